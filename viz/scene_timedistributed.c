/* scene_timedistributed.c: TimeDistributed(layer): one set of weights stamped on every step.
 *
 * The first sample's steps go down the left (each step's slice as bars: a vector on 3-D input, a
 * whole row of a grid on 4-D input), the one inner layer sits in the middle with its weights, and
 * the outputs come out on the right, one per step. Each step of the scene lights one timestep;
 * every step's arrows go through the same block, which is the point: the parameter count belongs
 * to the inner layer and does not grow with the number of steps.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "scene.h"
#include "widgets.h"

enum { ROWS = 8, MAX_BARS = 40 };

typedef struct TdRun {
    int call;
    const SlLayer *l, *inner;
    int T, in_n, out_n; /* steps recorded; values per step in and out */
} TdRun;

static int td_prepare(SlSceneRun *run, SlError *e)
{
    int node = sl_scene_node(run->m, run->scene);
    int i_call = sl_scene_record_layer(run, node, sizeof(TdRun), "a TimeDistributed layer", e);
    if (i_call < 0)
        return -1;
    TdRun *d = run->priv;
    d->call = i_call;
    const SlVizCall *call = &run->calls[d->call];
    d->l = run->m->nodes[node].layer;
    d->inner = d->l->child[0];
    int T = call->io.in[0].dim[1];
    d->in_n = (int)(sl_shape_sample_count(&call->io.in[0]) / (size_t)T);
    d->out_n = (int)(sl_shape_sample_count(&call->io.out[0]) / (size_t)T);
    int t_in = d->in_n ? call->n_in_vals / d->in_n : 0,
        t_out = d->out_n ? call->n_out_vals / d->out_n : 0;
    d->T = T < t_in ? T : t_in;
    d->T = d->T < t_out ? d->T : t_out;
    if (d->T < 1)
        return sl_errorf(e, "the recorded sample is too large to draw a step of it");
    run->n_steps = d->T;
    return 0;
}

static void td_release(SlSceneRun *run)
{
    sl_free(run->priv);
    run->priv = NULL;
}

static void step_bars(SlCanvas *c, int x, int y, int w, int h, const float *v, int n, double range,
                      SlRole role, const char *what)
{
    sl_real b[MAX_BARS];
    int k = n < MAX_BARS ? n : MAX_BARS;
    for (int i = 0; i < k; i++)
        b[i] = (sl_real)v[i];
    sl_draw_bars(c, x, y, w, h, b, k, 1, range, role, what);
}

/* The largest |v| of the first `steps` steps of n values each (one scale for every row). */
static double range_of(const float *v, int steps, int n)
{
    double mx = 1e-12;
    for (int i = 0; i < steps * n; i++)
        mx = fabs((double)v[i]) > mx ? fabs((double)v[i]) : mx;
    return mx;
}

/* The inner layer's first weight as a heatmap, (out, in) when that is the wider way, cut to fit. */
static void draw_kernel(SlCanvas *c, const SlLayer *l, int x, int y, int w, int h)
{
    if (l->n_params == 0)
        return;
    const SlParam *k = &l->params[0];
    int cols = k->shape.dim[k->shape.rank - 1], n = (int)sl_shape_count(&k->shape);
    int rows = cols ? n / cols : 0, flip = rows > cols;
    static sl_real m[8192];
    if (n > 8192 || rows < 1)
        return;
    int R = flip ? cols : rows, C = flip ? rows : cols;
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
            m[flip ? j * rows + i : i * cols + j] = k->value.data[i * cols + j];
    char t[96];
    snprintf(t, sizeof t, "%s%s", k->name, flip ? " (transposed)" : "");
    int tw, th;
    sl_heatmap_size(0, C, 0, t, &tw, &th);
    int cell = w / C < (h - th) / R ? w / C : (h - th) / R;
    cell = cell > 14 ? 14 : cell;
    if (cell >= 2)
        sl_draw_heatmap(c, x, y, m, R, C, cell, SL_ROLE_WEIGHT, t);
}

static void td_draw(const SlSceneRun *run, double at, SlCanvas *c)
{
    const TdRun *d = run->priv;
    const SlVizCall *call = &run->calls[d->call];
    char title[256], s[192], caption[700], f[160], a[64], b[64];
    double tw;
    int t = sl_scene_step(run, at, &tw), said = sl_scene_caption_step(run, at);
    int lh = sl_text_height(SL_TEXT_LABEL), T = call->io.in[0].dim[1];
    sl_canvas_clear(c, SL_PAPER);
    snprintf(title, sizeof title, "%s: the same %s at each of %d steps", d->l->name, d->inner->name,
             T);
    static const SlRole roles[] = {SL_ROLE_INPUT, SL_ROLE_WEIGHT, SL_ROLE_OUTPUT};
    int top = sl_scene_title(c, title, sl_legend_width(roles, 3) + 16) + 14;
    sl_draw_legend(c, c->w - sl_legend_width(roles, 3) - 12, 10, roles, 3);
    int n_rows = d->T < ROWS ? d->T : ROWS;
    int first = t - n_rows / 2; /* the window of rows moves with the step left */
    first = first < 0 ? 0 : first > d->T - n_rows ? d->T - n_rows : first;
    int bottom = c->h - sl_scene_caption_height() - lh - 20;
    int row_h = (bottom - top - lh - 10) / n_rows, bar_h = row_h - 12 > 40 ? 40 : row_h - 12;
    int col_w = c->w / 4, xl = 80, xr = c->w - col_w - 20, bx = col_w + 150,
        bw = c->w - 2 * col_w - 260;
    double in_range = range_of(call->in_vals, d->T, d->in_n);
    double out_range = range_of(call->out_vals, d->T, d->out_n);
    const SlNode *nd = &run->m->nodes[call->node]; /* the shapes as the summary prints them */
    sl_shape_str(&nd->sym.in[0], a, sizeof a);
    sl_shape_str(&nd->sym.out[0], b, sizeof b);
    snprintf(s, sizeof s, "in %s", a);
    sl_canvas_text(c, xl, top, s, SL_TEXT_HEADING, SL_INK);
    snprintf(s, sizeof s, "out %s", b);
    sl_canvas_text(c, xr, top, s, SL_TEXT_HEADING, SL_INK);
    /* the one inner layer, with its weights */
    int bh = n_rows * row_h - 20 < 320 ? n_rows * row_h - 20 : 320;
    int by = top + lh + 10 + (n_rows * row_h) / 2 - bh / 2;
    sl_canvas_round_rect(c, bx, by, bw, bh, 8, SL_WHITE);
    sl_canvas_round_frame(c, bx, by, bw, bh, 8, 3, sl_role_color(SL_ROLE_WEIGHT));
    snprintf(s, sizeof s, "%s (%s)", d->inner->name, d->inner->type->name);
    sl_canvas_text(c, bx + 12, by + 10, s, SL_TEXT_HEADING, SL_INK);
    d->inner->type->formula(d->inner, f, sizeof f);
    sl_draw_text_in(c, bx + 12, by + 14 + lh, bw - 24, f, SL_TEXT_LABEL);
    draw_kernel(c, d->inner, bx + 12, by + 24 + 2 * lh, bw - 24, bh - 2 * lh - 36);
    int ym = by + bh / 2;
    for (int r = 0; r < n_rows; r++) {
        int tt = first + r, y = top + lh + 10 + r * row_h;
        snprintf(s, sizeof s, "t=%d", tt);
        sl_canvas_text(c, 16, y + bar_h / 2 - lh / 2, s, SL_TEXT_LABEL, SL_INK);
        step_bars(c, xl, y, col_w, bar_h, call->in_vals + (size_t)tt * d->in_n, d->in_n, in_range,
                  SL_ROLE_INPUT, "x[t]");
        step_bars(c, xr, y, col_w, bar_h, call->out_vals + (size_t)tt * d->out_n, d->out_n,
                  out_range, SL_ROLE_OUTPUT, "y[t]");
        SlColor col = sl_mix(SL_WHITE, SL_GRID, 0.8);
        sl_canvas_smooth_arrow(c, xl + col_w + 6, y + bar_h / 2, bx - 4, ym, 1, 7, col);
        sl_canvas_smooth_arrow(c, bx + bw + 4, ym, xr - 6, y + bar_h / 2, 1, 7, col);
    }
    /* the current step's path, lit; between two steps a value travels through the layer */
    int rt = t - first, rn = (t + 1 < d->T ? t + 1 : t) - first;
    double yt = top + lh + 10 + sl_lerp(rt, rn, tw) * row_h;
    double y_mid = yt + bar_h / 2.0;
    sl_canvas_smooth_arrow(c, xl + col_w + 6, y_mid, bx - 4, ym, 2.5, 9, SL_INK);
    sl_canvas_smooth_arrow(c, bx + bw + 4, ym, xr - 6, y_mid, 2.5, 9, SL_INK);
    sl_draw_focus(c, xl - 2, yt - 2, col_w + 4, bar_h + 4);
    sl_draw_focus(c, xr - 2, yt - 2, col_w + 4, bar_h + 4);
    if (first + n_rows < T)
        sl_canvas_text(c, xl, top + lh + 10 + n_rows * row_h, "\xE2\x80\xA6", SL_TEXT_LABEL,
                       SL_INK);
    snprintf(caption, sizeof caption,
             "Step t = %d (of 0..%d): x[t] (%d number%s) goes through %s and gives y[t] (%d). "
             "Every step goes through the same weights: %s, whatever the number of steps. The "
             "inner layer sees batch x steps samples.",
             said, T - 1, d->in_n, d->in_n == 1 ? "" : "s", d->inner->name, d->out_n, f);
    sl_scene_caption(c, caption);
}

const SlScene sl_scene_timedistributed = {
    .name = "timedistributed",
    .what = "TimeDistributed: one inner layer, one set of weights, stamped on every timestep",
    .draws_data = 1,
    .can_draw = sl_scene_draws_any,
    .prepare = td_prepare,
    .draw = td_draw,
    .release = td_release,
};
