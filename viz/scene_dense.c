/* scene_dense.c: Dense as a matrix product. The first Dense layer's kernel W (in, units) is a
 * heatmap; each step takes one position of the first sample (the sample itself on 2-D input, one
 * timestep on 3-D input), shows its input vector x, and the output vector y = x W + b it makes.
 * On a sequence the same W is stamped on every timestep: that is what "Dense acts on the last
 * axis" means, and why the parameter count does not depend on the number of timesteps. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "scene.h"
#include "widgets.h"

typedef struct DenseRun {
    int call;      /* the recorded call of the first Dense */
    int in, units; /* kernel shape */
    int positions; /* rows of the first sample */
} DenseRun;

static int dense_prepare(SlSceneRun *run, SlError *e)
{
    int node = sl_scene_node(run->m, run->scene);
    int i_call = sl_scene_record_layer(run, node, sizeof(DenseRun), "a Dense layer", e);
    if (i_call < 0)
        return -1;
    DenseRun *d = run->priv;
    d->call = i_call;
    const SlInfer *io = &run->calls[d->call].io;
    d->in = io->in[0].dim[io->in[0].rank - 1];
    d->units = io->out[0].dim[io->out[0].rank - 1];
    d->positions = d->in ? run->calls[d->call].n_in_vals / d->in : 0;
    d->positions = d->positions > 0 ? d->positions : 1;
    run->n_steps = d->positions;
    return 0;
}

static void dense_release(SlSceneRun *run)
{
    sl_free(run->priv);
    run->priv = NULL;
}

static int fit_cell(int rows, int cols, int w, int h)
{
    int c = w / (cols ? cols : 1);
    int r = h / (rows ? rows : 1);
    c = c < r ? c : r;
    return c > 56 ? 56 : (c < 2 ? 2 : c);
}

static int heat_h(int rows, int cell, const char *title)
{
    int w, h;
    sl_heatmap_size(rows, 1, cell, title, &w, &h);
    return h;
}

/* The whole sample (positions x features) as a small heatmap with the current row framed, the
 * frame part of the way to the next row between two steps. */
static void sample_panel(SlCanvas *c, int x, int y, int w, int h, const float *v, int rows,
                         int cols, double row, SlRole role, const char *title)
{
    sl_real m[SL_VIZ_VALUES];
    int n = rows * cols < SL_VIZ_VALUES ? rows * cols : SL_VIZ_VALUES;
    for (int i = 0; i < n; i++)
        m[i] = (sl_real)v[i];
    rows = cols ? n / cols : 0;
    int cell = fit_cell(rows, cols, w, h - heat_h(0, 0, title));
    sl_draw_heatmap(c, x, y, m, rows, cols, cell, role, title);
    int ty = y + sl_text_height(SL_TEXT_LABEL) + 4;
    sl_canvas_round_frame(c, x - 4, ty + row * cell - 4, cols * cell + 8, cell + 8, 3, 2.5, SL_INK);
}

/* The largest |v| of n values (the scale of a whole sample). */
static double range_of(const float *v, int n)
{
    double mx = 0;
    for (int i = 0; i < n && i < SL_VIZ_VALUES; i++)
        mx = fabs((double)v[i]) > mx ? fabs((double)v[i]) : mx;
    return mx > 0 ? mx : 1e-300;
}

/* x at a position between t and t + 1: each value on its way from one to the other. */
static void vector_at(const float *v, int n, int t, int next, double tw, sl_real *out)
{
    for (int i = 0; i < n && i < SL_VIZ_VALUES; i++)
        out[i] = (sl_real)sl_lerp(v[(size_t)t * n + i], v[(size_t)next * n + i], tw);
}

static void dense_draw(const SlSceneRun *run, double at, SlCanvas *c)
{
    const DenseRun *d = run->priv;
    const SlVizCall *call = &run->calls[d->call];
    const SlLayer *l = run->m->nodes[call->node].layer;
    char title[256], caption[700], f[128], s1[96];
    double tw;
    int t = sl_scene_step(run, at, &tw), said = sl_scene_caption_step(run, at);
    int next = t + 1 < d->positions ? t + 1 : t, lh = sl_text_height(SL_TEXT_LABEL);
    sl_canvas_clear(c, SL_PAPER);
    snprintf(title, sizeof title, "%s (Dense): y = x W + b %s", l->name,
             d->positions > 1 ? "at each position of a sample" : "for each sample");
    static const SlRole roles[] = {SL_ROLE_INPUT, SL_ROLE_WEIGHT, SL_ROLE_OUTPUT};
    int top = sl_scene_title(c, title, sl_legend_width(roles, 3) + 16) + 16;
    sl_draw_legend(c, c->w - sl_legend_width(roles, 3) - 12, 10, roles, 3);
    /* x W + b, computed here; when the layer has an activation, y is that function of it */
    sl_real col[SL_VIZ_VALUES], row[SL_VIZ_VALUES], z[SL_VIZ_VALUES];
    vector_at(call->in_vals, d->in, t, next, tw, col);
    vector_at(call->out_vals, d->units, t, next, tw, row);
    int activated = 0;
    for (int o = 0; o < d->units && o < SL_VIZ_VALUES; o++) {
        double v = l->n_params > 1 ? l->params[1].value.data[o] : 0;
        for (int i = 0; i < d->in; i++)
            v += col[i] * l->params[0].value.data[i * d->units + o];
        z[o] = (sl_real)v;
        activated |= fabs(v - row[o]) > 1e-4 * (1 + fabs(v));
    }
    /* W in the middle; x as a column beside its rows; b and y as rows under its columns */
    int panels = d->positions > 1 && c->w >= 1100; /* the whole sample, when there is room */
    int bottom = c->h - sl_scene_caption_height() - 12;
    int rows_under = (l->n_params > 1) + activated + 1;
    /* the heights without the cells: titles, scales and gaps; the cells share what is left */
    int room_h = bottom - top - heat_h(0, 0, "W") - rows_under * (heat_h(0, 0, "y") + 14) - 14;
    int xcol = 96, wx = 24 + xcol + 60;
    int cell =
        fit_cell(d->in + rows_under, d->units, (panels ? c->w - 380 : c->w - 40) - wx, room_h);
    char at_s[24] = ""; /* which position of the sample, when it has several */
    if (d->positions > 1)
        snprintf(at_s, sizeof at_s, "[%d]", said);
    snprintf(s1, sizeof s1, "x%s", at_s);
    /* x and y on the whole sample's scales: a colour means the same value at every position */
    double x_range = range_of(call->in_vals, d->positions * d->in);
    double y_range = range_of(call->out_vals, d->positions * d->units);
    sl_draw_heatmap_scaled(c, 24, top, col, d->in, 1, cell, SL_ROLE_INPUT, s1, x_range);
    int my = top + lh + 4 + d->in * cell / 2;
    sl_canvas_text_aligned(c, wx - 22, my - lh / 2, SL_ALIGN_CENTER, "\xC3\x97", SL_TEXT_TITLE,
                           SL_INK); /* a times sign */
    snprintf(s1, sizeof s1, "W (in %d, units %d)", d->in, d->units);
    sl_draw_heatmap(c, wx, top, l->params[0].value.data, d->in, d->units, cell, SL_ROLE_WEIGHT, s1);
    int by = top + heat_h(d->in, cell, s1) + 14;
    if (l->n_params > 1) {
        sl_draw_heatmap(c, wx, by, l->params[1].value.data, 1, d->units, cell, SL_ROLE_WEIGHT,
                        "+ b (units)");
        by += heat_h(1, cell, "b") + 14;
    }
    if (activated) {
        sl_draw_heatmap(c, wx, by, z, 1, d->units, cell, SL_ROLE_OUTPUT, "= x W + b");
        by += heat_h(1, cell, "z") + 14;
        snprintf(s1, sizeof s1, "y%s = activation(x W + b)", at_s);
    } else {
        snprintf(s1, sizeof s1, "= y%s (units %d)", at_s, d->units);
    }
    sl_draw_heatmap_scaled(c, wx, by, row, 1, d->units, cell, SL_ROLE_OUTPUT, s1, y_range);
    if (panels) { /* the whole sample, position by position */
        int px = c->w - 330, ph = (bottom - top - 20) / 2;
        double r = sl_lerp(t, next, tw);
        snprintf(s1, sizeof s1, "x: %d positions x %d", d->positions, d->in);
        sample_panel(c, px, top, 300, ph, call->in_vals, d->positions, d->in, r, SL_ROLE_INPUT, s1);
        snprintf(s1, sizeof s1, "y: %d positions x %d", d->positions, d->units);
        sample_panel(c, px, top + ph + 20, 300, ph, call->out_vals, d->positions, d->units, r,
                     SL_ROLE_OUTPUT, s1);
    }
    l->type->formula(l, f, sizeof f);
    if (d->positions > 1)
        snprintf(caption, sizeof caption,
                 "Position %d (of 0..%d): x[%d] times the same W, plus b, gives y[%d]. W is (%d, "
                 "%d) whatever the number of positions: %s parameters.",
                 said, d->positions - 1, said, said, d->in, d->units, f);
    else
        snprintf(caption, sizeof caption,
                 "Each of the %d units is one weighted sum of the sample's %d features: a column "
                 "of W times x, plus its bias. %s parameters; units is the length of y.",
                 d->units, d->in, f);
    sl_scene_caption(c, caption);
}

const SlScene sl_scene_dense = {
    .name = "dense",
    .what = "Dense's kernel as a heatmap times each input vector; the same kernel at every "
            "timestep",
    .draws_data = 1,
    .can_draw = sl_scene_draws_any,
    .prepare = dense_prepare,
    .draw = dense_draw,
    .release = dense_release,
};
