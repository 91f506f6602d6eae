/* scene_bidirectional.c: Bidirectional(rnn): two copies of a layer read the same sequence from
 * opposite ends, and their outputs are merged step by step.
 *
 * The forward copy runs along the top row from the first step, the backward copy along the
 * bottom row from the last, both from the wrapper's real weights (sl_rnn_steps on each copy).
 * Each step of the scene runs one more step of both; where the two have met, the merged output
 * of that timestep appears in the middle (concat: side by side; sum, mul, ave: combined; None:
 * both kept). The backward copy's output for timestep t is the one it made when it read x[t],
 * which is how Keras lines them up.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "layers/rnn.h"
#include "scene.h"
#include "widgets.h"

enum { MAX_T = 8, MAX_SHOWN = 12 };

typedef struct BiRun {
    const SlLayer *l;
    int T, F, u, T_model;
    char merge[16];
    sl_real *x;
    SlRnnSteps f, b; /* forward, backward (its step s read x[T-1-s]) */
} BiRun;

static int bi_prepare(SlSceneRun *run, SlError *e)
{
    int node = sl_scene_node(run->m, run->scene);
    int i_call = sl_scene_record_layer(run, node, sizeof(BiRun), "a Bidirectional layer", e);
    if (i_call < 0)
        return -1;
    BiRun *d = run->priv;
    const SlVizCall *call = &run->calls[i_call];
    d->l = run->m->nodes[node].layer;
    if (sl_layer_arg_str(d->l, "merge_mode", d->merge, sizeof d->merge) < 0)
        snprintf(d->merge, sizeof d->merge, "concat");
    d->F = call->io.in[0].dim[2];
    d->T_model = call->io.in[0].dim[1];
    d->T = d->F ? call->n_in_vals / d->F : 0;
    d->T = d->T < d->T_model ? d->T : d->T_model;
    d->T = d->T < MAX_T ? d->T : MAX_T;
    if (d->T < 1)
        return sl_errorf(e, "no timestep of the sample to draw");
    d->x = sl_alloc_zero((size_t)d->T * d->F, sizeof *d->x);
    if (!d->x)
        return sl_errorf(e, "out of memory");
    for (int i = 0; i < d->T * d->F; i++)
        d->x[i] = (sl_real)call->in_vals[i];
    if (sl_rnn_steps(d->l->child[0], d->x, d->T, NULL, NULL, &d->f, e) < 0 ||
        sl_rnn_steps(d->l->child[1], d->x, d->T, NULL, NULL, &d->b, e) < 0)
        return -1;
    d->u = d->f.units;
    run->n_steps = d->T;
    return 0;
}

static void bi_release(SlSceneRun *run)
{
    BiRun *d = run->priv;
    if (d) {
        sl_rnn_steps_free(&d->f);
        sl_rnn_steps_free(&d->b);
        sl_free(d->x);
    }
    sl_free(d);
    run->priv = NULL;
}

/* h of a direction for timestep t (the backward copy made it at its step T-1-t). */
static const sl_real *h_at(const BiRun *d, const SlRnnSteps *s, int t)
{
    int step = s->go_backwards ? d->T - 1 - t : t;
    return s->h + (size_t)(step + 1) * d->u;
}

static void merged(const BiRun *d, int t, sl_real *out, int *n)
{
    const sl_real *f = h_at(d, &d->f, t), *b = h_at(d, &d->b, t);
    int u = d->u < MAX_SHOWN ? d->u : MAX_SHOWN;
    *n = u;
    for (int j = 0; j < u; j++) {
        if (!strcmp(d->merge, "concat") || !strcmp(d->merge, "None"))
            out[j] = f[j], out[u + j] = b[j];
        else if (!strcmp(d->merge, "sum"))
            out[j] = f[j] + b[j];
        else if (!strcmp(d->merge, "mul"))
            out[j] = f[j] * b[j];
        else
            out[j] = (f[j] + b[j]) / 2;
    }
    if (!strcmp(d->merge, "concat") || !strcmp(d->merge, "None"))
        *n = 2 * u;
}

static void bi_draw(const SlSceneRun *run, int step, SlCanvas *c)
{
    const BiRun *d = run->priv;
    char title[256], s[160], caption[700];
    int lw, lh;
    sl_canvas_text_size("M", SL_TEXT_SCALE, &lw, &lh);
    sl_canvas_clear(c, SL_PAPER);
    snprintf(title, sizeof title, "%s: %s forwards and %s backwards, merged by %s", d->l->name,
             d->l->child[0]->name, d->l->child[1]->name, d->merge);
    static const SlRole roles[] = {SL_ROLE_INPUT, SL_ROLE_STATE, SL_ROLE_OUTPUT};
    int k = step < 0 ? 0 : step >= d->T ? d->T - 1 : step; /* steps each copy has run: k + 1 */
    int nr = 2 * k >= d->T - 1 ? 3 : 2; /* outputs appear once the two copies have met */
    int top = sl_scene_title(c, title, sl_legend_width(roles, nr) + 16) + 12;
    sl_draw_legend(c, c->w - sl_legend_width(roles, nr) - 8, 8, roles, nr);
    int x0 = 150, col = (c->w - x0 - 20) / d->T, bw = col - 24;
    int room = c->h - top - sl_scene_caption_height() - 40;
    int bh = (room - 8 * lh - 70) / 4;
    bh = bh > 60 ? 60 : bh < 12 ? 12 : bh;
    int y_f = top + lh + 6, y_m = y_f + bh + 2 * lh + 24, y_x = y_m + bh + 2 * lh + 24;
    int y_b = y_x + bh + 2 * lh + 24, shown = d->u < MAX_SHOWN ? d->u : MAX_SHOWN;
    sl_canvas_text(c, 12, y_f + lh + bh / 2 - lh / 2, "forward", SL_TEXT_SCALE, SL_INK);
    sl_canvas_text(c, 12, y_m + lh + bh / 2 - lh / 2, "output", SL_TEXT_SCALE, SL_INK);
    sl_canvas_text(c, 12, y_x + lh + bh / 2 - lh / 2, "x", SL_TEXT_SCALE, SL_INK);
    sl_canvas_text(c, 12, y_b + lh + bh / 2 - lh / 2, "backward", SL_TEXT_SCALE, SL_INK);
    double xs = 1e-12, hs = 1e-12; /* one scale for x, one for every h of both directions */
    for (int i = 0; i < d->T * d->F; i++)
        xs = fmax(xs, fabs((double)d->x[i]));
    for (int i = 0; i < (d->T + 1) * d->u; i++)
        hs = fmax(hs, fmax(fabs((double)d->f.h[i]), fabs((double)d->b.h[i])));
    const char *how = !strcmp(d->merge, "concat") ? "[forward h | backward h] at each t"
                      : !strcmp(d->merge, "None") ? "both kept: two outputs"
                                                  : d->merge;
    snprintf(s, sizeof s, "merged (%s)", how);
    sl_draw_text_fit(c, x0, y_m, s, "merged");
    for (int t = 0; t < d->T; t++) {
        int x = x0 + t * col;
        int f_done = t <= k, b_done = t >= d->T - 1 - k;
        snprintf(s, sizeof s, "t=%d", t + 1);
        sl_canvas_text(c, x, y_x, s, SL_TEXT_SCALE, SL_INK);
        sl_draw_bars(c, x, y_x + lh + 4, bw, bh, d->x + (size_t)t * d->F,
                     d->F < MAX_SHOWN ? d->F : MAX_SHOWN, 1, xs, SL_ROLE_INPUT, "x");
        if (f_done) {
            sl_canvas_text(c, x, y_f, "h", SL_TEXT_SCALE, SL_INK);
            sl_draw_bars(c, x, y_f + lh + 4, bw, bh, h_at(d, &d->f, t), shown, 1, hs, SL_ROLE_STATE,
                         "forward h");
        }
        if (b_done) {
            sl_canvas_text(c, x, y_b, "h", SL_TEXT_SCALE, SL_INK);
            sl_draw_bars(c, x, y_b + lh + 4, bw, bh, h_at(d, &d->b, t), shown, 1, hs, SL_ROLE_STATE,
                         "backward h");
        }
        if (t + 1 < d->T) { /* the two directions' carried state */
            int yf = y_f + lh + 4 + bh / 2, yb = y_b + lh + 4 + bh / 2;
            if (t + 1 <= k)
                sl_canvas_arrow(c, x + bw + 2, yf, x + col - 2, yf, 2, 7,
                                sl_role_color(SL_ROLE_STATE));
            if (t >= d->T - 1 - k)
                sl_canvas_arrow(c, x + bw + 2 + (col - bw) - 4, yb, x + bw + 2, yb, 2, 7,
                                sl_role_color(SL_ROLE_STATE));
        }
        if (f_done && b_done) {
            sl_real m[2 * MAX_SHOWN];
            int n;
            merged(d, t, m, &n);
            double mx = 1e-12;
            for (int j = 0; j < n; j++)
                mx = fmax(mx, fabs((double)m[j]));
            sl_draw_bars(c, x, y_m + lh + 4, bw, bh, m, n, 1, mx, SL_ROLE_OUTPUT, "merged");
        }
    }
    int u = d->u;
    if (d->T < d->T_model)
        snprintf(s, sizeof s, " (the first %d of %d steps drawn)", d->T, d->T_model);
    else
        s[0] = '\0';
    snprintf(caption, sizeof caption,
             "Step %d: the forward copy has read x[1..%d], the backward copy x[%d..%d]. Where both "
             "have been, timestep t's output is %s of the two h (%d units each)%s.",
             k + 1, k + 1, d->T - k, d->T,
             !strcmp(d->merge, "concat") ? "the concatenation" : "the merge", u, s);
    sl_scene_caption(c, caption);
}

const SlScene sl_scene_bidirectional = {
    .name = "bidirectional",
    .what = "Bidirectional: the two directions running against each other, merged per step",
    .can_draw = sl_scene_draws_any,
    .prepare = bi_prepare,
    .draw = bi_draw,
    .release = bi_release,
};
