/* scene_bidirectional.c: Bidirectional(rnn): two copies of a layer read the same sequence from
 * opposite ends, and their outputs are merged step by step.
 *
 * The forward copy runs along the top row from the first step, the backward copy along the
 * bottom row from the last, both from the wrapper's real weights (sl_rnn_steps on each copy).
 * Each step of the scene runs one more step of both; where the two have met, the merged output
 * of that timestep appears in the middle (concat: side by side; sum, mul, ave: combined; None:
 * both kept). The backward copy's output for timestep t is the one it made when it read x[t],
 * which is how Keras lines them up. Both copies run over the whole sequence; a long one is drawn
 * as its first and last steps with the ones between elided, so the backward copy is seen to start
 * where it really does, at the last step.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "layers/rnn.h"
#include "scene.h"
#include "widgets.h"

enum { MAX_T = 8, END_COLS = 4, MAX_SHOWN = 12 };

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
    if (d->T < d->T_model)
        return sl_errorf(e,
                         "the bidirectional scene draws up to %d steps of %d features; this "
                         "sample has %d (try --timesteps)",
                         SL_VIZ_VALUES / (d->F ? d->F : 1), d->F, d->T_model);
    d->T = d->T_model;
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

/* The columns drawn: every step of a short sequence; of a long one the first END_COLS and the
 * last END_COLS, with a gap between. col_of gives the column of a step, -1 when it is elided. */
typedef struct Cols {
    int x0, col, bw, gap_w, n, elided; /* elided: steps END_COLS .. T-END_COLS-1 are not drawn */
} Cols;

static int col_of(const Cols *g, int T, int t)
{
    if (!g->elided)
        return t;
    return t < END_COLS ? t : t >= T - END_COLS ? t - (T - 2 * END_COLS) : -1;
}

static int col_x(const Cols *g, int col)
{
    return g->x0 + col * g->col + (g->elided && col >= END_COLS ? g->gap_w : 0);
}

/* Part of the way from the column of step a to that of step b (each drawn or not). */
static int travels(const Cols *g, int T, int a, int b, double tw, int y, int bw, double *x)
{
    int ca = col_of(g, T, a), cb = col_of(g, T, b);
    if (ca < 0 || cb < 0 || a == b)
        return 0;
    *x = sl_lerp(col_x(g, ca) + bw / 2.0, col_x(g, cb) + bw / 2.0, tw);
    (void)y;
    return 1;
}

static void bi_draw(const SlSceneRun *run, double at, SlCanvas *c)
{
    const BiRun *d = run->priv;
    char title[256], s[160], caption[800];
    double tw;
    int k = sl_scene_step(run, at, &tw), said = sl_scene_caption_step(run, at);
    int lh = sl_text_height(SL_TEXT_LABEL), T = d->T;
    sl_canvas_clear(c, SL_PAPER);
    snprintf(title, sizeof title, "%s: %s forwards and %s backwards, merged by %s", d->l->name,
             d->l->child[0]->name, d->l->child[1]->name, d->merge);
    static const SlRole roles[] = {SL_ROLE_INPUT, SL_ROLE_STATE, SL_ROLE_OUTPUT};
    int met = 0; /* outputs appear where the two copies have both been */
    for (int t = 0; t < T; t++) {
        int ct = col_of(&(Cols){.elided = T > MAX_T}, T, t);
        met |= ct >= 0 && t <= said && t >= T - 1 - said;
    }
    int nr = met ? 3 : 2;
    int top = sl_scene_title(c, title, sl_legend_width(roles, nr) + 16) + 12;
    sl_draw_legend(c, c->w - sl_legend_width(roles, nr) - 12, 10, roles, nr);
    Cols g = {.x0 = 130, .elided = T > MAX_T};
    g.n = g.elided ? 2 * END_COLS : T;
    g.gap_w = g.elided ? 110 : 0;
    g.col = (c->w - g.x0 - 20 - g.gap_w) / g.n;
    g.bw = g.col - 24;
    int room = c->h - top - sl_scene_caption_height() - 40;
    int bh = (room - 8 * lh - 70) / 4;
    bh = bh > 60 ? 60 : bh < 12 ? 12 : bh;
    int y_f = top + lh + 6, y_m = y_f + bh + 2 * lh + 24, y_x = y_m + bh + 2 * lh + 24;
    int y_b = y_x + bh + 2 * lh + 24, shown = d->u < MAX_SHOWN ? d->u : MAX_SHOWN;
    sl_canvas_text(c, 16, y_f + lh + bh / 2 - lh / 2, "forward", SL_TEXT_HEADING, SL_INK);
    sl_canvas_text(c, 16, y_m + lh + bh / 2 - lh / 2, "output", SL_TEXT_HEADING, SL_INK);
    sl_canvas_text(c, 16, y_x + lh + bh / 2 - lh / 2, "x", SL_TEXT_HEADING, SL_INK);
    sl_canvas_text(c, 16, y_b + lh + bh / 2 - lh / 2, "backward", SL_TEXT_HEADING, SL_INK);
    /* one scale for x, one for every h of both directions */
    double xs = sl_range_of(d->x, (size_t)T * d->F, NULL);
    double hs = fmax(sl_range_of(d->f.h, (size_t)(T + 1) * d->u, NULL),
                     sl_range_of(d->b.h, (size_t)(T + 1) * d->u, NULL));
    const char *how = !strcmp(d->merge, "concat") ? "[forward h | backward h] at each t"
                      : !strcmp(d->merge, "None") ? "both kept: two outputs"
                                                  : d->merge;
    snprintf(s, sizeof s, "merged (%s)", how);
    sl_draw_text_fit(c, g.x0, y_m, s, "merged");
    SlColor state = sl_role_color(SL_ROLE_STATE);
    /* where each copy starts, said where there is room for it */
    const char *start = sl_text_width("h (starts here)", SL_TEXT_LABEL) <= g.col - 4
                            ? "h (starts here)"
                            : "h, first";
    for (int t = 0; t < T; t++) {
        int ct = col_of(&g, T, t);
        if (ct < 0)
            continue;
        int x = col_x(&g, ct), f_done = t <= said, b_done = t >= T - 1 - said;
        snprintf(s, sizeof s, "t=%d", t);
        sl_canvas_text(c, x, y_x, s, SL_TEXT_LABEL, SL_INK);
        sl_draw_bars(c, x, y_x + lh + 4, g.bw, bh, d->x + (size_t)t * d->F,
                     d->F < MAX_SHOWN ? d->F : MAX_SHOWN, 1, xs, SL_ROLE_INPUT, "x");
        if (f_done) {
            sl_canvas_text(c, x, y_f, t == 0 ? start : "h", SL_TEXT_LABEL, SL_INK);
            sl_draw_bars(c, x, y_f + lh + 4, g.bw, bh, h_at(d, &d->f, t), shown, 1, hs,
                         SL_ROLE_STATE, "forward h");
        }
        if (b_done) {
            sl_canvas_text(c, x, y_b, t == T - 1 ? start : "h", SL_TEXT_LABEL, SL_INK);
            sl_draw_bars(c, x, y_b + lh + 4, g.bw, bh, h_at(d, &d->b, t), shown, 1, hs,
                         SL_ROLE_STATE, "backward h");
        }
        int cn = t + 1 < T ? col_of(&g, T, t + 1) : -1; /* the carried states, to the neighbour */
        double yf = y_f + lh + 4 + bh / 2.0, yb = y_b + lh + 4 + bh / 2.0;
        if (cn == ct + 1 && t + 1 <= said)
            sl_canvas_smooth_arrow(c, x + g.bw + 3, yf, col_x(&g, cn) - 3, yf, 2, 7, state);
        if (cn == ct + 1 && t >= T - 1 - said)
            sl_canvas_smooth_arrow(c, col_x(&g, cn) - 3, yb, x + g.bw + 3, yb, 2, 7, state);
        if (f_done && b_done) {
            sl_real m[2 * MAX_SHOWN];
            int n;
            merged(d, t, m, &n);
            sl_draw_bars(c, x, y_m + lh + 4, g.bw, bh, m, n, 1, sl_range_of(m, (size_t)n, NULL),
                         SL_ROLE_OUTPUT, "merged");
        }
    }
    if (g.elided) { /* the steps between, and how far each copy has got into them */
        int gx = col_x(&g, END_COLS) - g.gap_w + 4, gw = g.gap_w - 8 - (g.col - g.bw);
        snprintf(s, sizeof s, "x[%d..%d]", END_COLS, T - END_COLS - 1);
        sl_canvas_text_aligned(c, gx + gw / 2, y_x + lh + 4 + bh / 2 - lh / 2, SL_ALIGN_CENTER, s,
                               SL_TEXT_SMALL, SL_INK);
        int fk = said, bk = T - 1 - said;
        double yf = y_f + lh + 4 + bh / 2.0, yb = y_b + lh + 4 + bh / 2.0;
        double left = col_x(&g, END_COLS - 1) + g.bw + 3, right = col_x(&g, END_COLS) - 3;
        if (fk >= END_COLS) /* the states carried through the elided steps */
            sl_canvas_smooth_arrow(c, left, yf, fk >= T - END_COLS ? right : gx + 6, yf, 2, 7,
                                   state);
        if (bk < T - END_COLS)
            sl_canvas_smooth_arrow(c, right, yb, bk < END_COLS ? left : gx + gw - 6, yb, 2, 7,
                                   state);
        if (fk >= END_COLS && fk < T - END_COLS) {
            snprintf(s, sizeof s, "\xE2\x80\xA6 at t=%d", fk);
            sl_canvas_text_aligned(c, gx + gw / 2, y_f + lh + 4 + bh / 2 - lh / 2, SL_ALIGN_CENTER,
                                   s, SL_TEXT_SMALL, SL_INK);
        }
        if (bk >= END_COLS && bk < T - END_COLS) {
            snprintf(s, sizeof s, "at t=%d \xE2\x80\xA6", bk);
            sl_canvas_text_aligned(c, gx + gw / 2, y_b + lh + 4 + bh / 2 - lh / 2, SL_ALIGN_CENTER,
                                   s, SL_TEXT_SMALL, SL_INK);
        }
    }
    /* between two steps, each copy's state travels on to its next step */
    double xm;
    if (tw > 0 && k + 1 < T && travels(&g, T, k, k + 1, tw, y_f, g.bw, &xm))
        sl_canvas_circle(c, xm, y_f + lh + 4 + bh / 2.0, 7, state);
    if (tw > 0 && k + 1 < T && travels(&g, T, T - 1 - k, T - 2 - k, tw, y_b, g.bw, &xm))
        sl_canvas_circle(c, xm, y_b + lh + 4 + bh / 2.0, 7, state);
    int u = d->u;
    snprintf(caption, sizeof caption,
             "After %d of %d steps: the forward copy has read x[0..%d] from the first step on, the "
             "backward copy x[%d..%d] from the last step back. Where both have been, timestep "
             "t's output is %s of the two h (%d units each)%s.",
             said + 1, T, said, T - 1 - said, T - 1,
             !strcmp(d->merge, "concat") ? "the concatenation" : "the merge", u,
             g.elided ? "; the steps between the two ends are elided" : "");
    sl_scene_caption(c, caption);
}

const SlScene sl_scene_bidirectional = {
    .name = "bidirectional",
    .what = "Bidirectional: the two directions running against each other, merged per step",
    .draws_data = 1,
    .can_draw = sl_scene_draws_any,
    .prepare = bi_prepare,
    .draw = bi_draw,
    .release = bi_release,
};
