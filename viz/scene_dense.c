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
    return c > 22 ? 22 : (c < 2 ? 2 : c);
}

/* The whole sample (positions x features) as a small heatmap with the current row framed. */
static void sample_panel(SlCanvas *c, int x, int y, const float *v, int rows, int cols, int t,
                         SlRole role, const char *title)
{
    sl_real m[SL_VIZ_VALUES];
    int n = rows * cols < SL_VIZ_VALUES ? rows * cols : SL_VIZ_VALUES, lw, lh;
    for (int i = 0; i < n; i++)
        m[i] = (sl_real)v[i];
    rows = cols ? n / cols : 0;
    int cell = fit_cell(rows, cols, 300, 230);
    sl_draw_heatmap(c, x, y, m, rows, cols, cell, role, title);
    sl_canvas_text_size("M", SL_TEXT_SCALE, &lw, &lh);
    sl_canvas_rect(c, x - 3, y + lh + 4 + t * cell - 3, cols * cell + 6, cell + 6, 2, SL_INK);
}

static void dense_draw(const SlSceneRun *run, int step, SlCanvas *c)
{
    const DenseRun *d = run->priv;
    const SlVizCall *call = &run->calls[d->call];
    const SlLayer *l = run->m->nodes[call->node].layer;
    char title[256], caption[700], f[128], s1[96];
    int lw, lh;
    sl_canvas_clear(c, SL_PAPER);
    sl_canvas_text_size("M", SL_TEXT_SCALE, &lw, &lh);
    snprintf(title, sizeof title, "%s (Dense): y = x W + b %s", l->name,
             d->positions > 1 ? "at each position of a sample" : "for each sample");
    static const SlRole roles[] = {SL_ROLE_INPUT, SL_ROLE_WEIGHT, SL_ROLE_OUTPUT};
    int top = sl_scene_title(c, title, sl_legend_width(roles, 3) + 16) + 20;
    sl_draw_legend(c, c->w - sl_legend_width(roles, 3) - 8, 8, roles, 3);
    int t = step < 0 ? 0 : (step >= d->positions ? d->positions - 1 : step);
    /* W in the middle; x(t) as a column beside its rows; b and y(t) as rows under its columns */
    int panels = d->positions > 1 && c->w >= 1100; /* the whole sample, when there is room */
    int cell = fit_cell(d->in, d->units, panels ? c->w - 620 : c->w - 300,
                        c->h - top - sl_scene_caption_height() - 4 * lh - 90);
    int wx = 220, wy = top + lh + 8;
    sl_real col[SL_VIZ_VALUES], row[SL_VIZ_VALUES];
    for (int i = 0; i < d->in && i < SL_VIZ_VALUES; i++)
        col[i] = (sl_real)call->in_vals[t * d->in + i];
    for (int o = 0; o < d->units && o < SL_VIZ_VALUES; o++)
        row[o] = (sl_real)call->out_vals[t * d->units + o];
    snprintf(s1, sizeof s1, "W (in %d, units %d)", d->in, d->units);
    sl_draw_heatmap(c, wx, top, l->params[0].value.data, d->in, d->units, cell, SL_ROLE_WEIGHT, s1);
    char at[24] = ""; /* which position of the sample, when it has several */
    if (d->positions > 1)
        snprintf(at, sizeof at, "[%d]", t + 1);
    snprintf(s1, sizeof s1, "x%s", at);
    sl_draw_heatmap(c, wx - cell - 90, top, col, d->in, 1, cell, SL_ROLE_INPUT, s1);
    sl_canvas_text(c, wx - 60, wy + d->in * cell / 2 - lh / 2, "times", SL_TEXT_SCALE, SL_INK);
    int by = wy + d->in * cell + 16;
    if (l->n_params > 1) {
        sl_draw_heatmap(c, wx, by, l->params[1].value.data, 1, d->units, cell, SL_ROLE_WEIGHT,
                        "+ b (units)");
        by += cell + lh + 20;
    }
    /* x W + b, computed here; when the layer has an activation, y is that function of it */
    sl_real z[SL_VIZ_VALUES];
    int activated = 0;
    for (int o = 0; o < d->units && o < SL_VIZ_VALUES; o++) {
        double v = l->n_params > 1 ? l->params[1].value.data[o] : 0;
        for (int i = 0; i < d->in; i++)
            v += col[i] * l->params[0].value.data[i * d->units + o];
        z[o] = (sl_real)v;
        activated |= fabs(v - row[o]) > 1e-4 * (1 + fabs(v));
    }
    if (activated) {
        sl_draw_heatmap(c, wx, by, z, 1, d->units, cell, SL_ROLE_OUTPUT, "= x W + b");
        by += cell + lh + 20;
        snprintf(s1, sizeof s1, "y%s = activation(x W + b)", at);
    } else {
        snprintf(s1, sizeof s1, "= y%s (units %d)", at, d->units);
    }
    sl_draw_heatmap(c, wx, by, row, 1, d->units, cell, SL_ROLE_OUTPUT, s1);
    sl_canvas_text(c, wx, by + cell + lh + 14, "colour: positive values; grey: negative",
                   SL_TEXT_SCALE, SL_INK);
    if (panels) { /* the whole sample, position by position */
        int px = c->w - 320;
        snprintf(s1, sizeof s1, "x: %d positions x %d", d->positions, d->in);
        sample_panel(c, px, top, call->in_vals, d->positions, d->in, t, SL_ROLE_INPUT, s1);
        snprintf(s1, sizeof s1, "y: %d positions x %d", d->positions, d->units);
        sample_panel(c, px, top + 290, call->out_vals, d->positions, d->units, t, SL_ROLE_OUTPUT,
                     s1);
    }
    l->type->formula(l, f, sizeof f);
    if (d->positions > 1)
        snprintf(caption, sizeof caption,
                 "Position %d of %d: x at this position times the same W (plus b) gives y at this "
                 "position. W is (%d, %d) whatever the number of positions: %s parameters.",
                 t + 1, d->positions, d->in, d->units, f);
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
    .can_draw = sl_scene_draws_any,
    .prepare = dense_prepare,
    .draw = dense_draw,
    .release = dense_release,
};
