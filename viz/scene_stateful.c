/* scene_stateful.c: a stateful recurrent layer fed a long series cut into batches.
 *
 * Each sample row of the batch is one long series, cut into chunks of `timesteps`: batch k holds
 * chunk k of every series, so sample i of batch k+1 continues sample i of batch k. The layer hands
 * each sample's final h (and c) on to the same sample of the next batch, which is why the batch
 * size is part of a stateful model and why shuffling must be off. After the last batch of the
 * epoch the training loop calls model.reset_states(): Keras's fit never does it by itself.
 * The states drawn are the layer's own, from its cell (sl_rnn_steps) on a seeded series; the
 * model's carried state is not touched.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "layers/rnn.h"
#include "scene.h"
#include "widgets.h"

enum { MAX_BATCHES = 4, MAX_ROWS = 4, MAX_SHOWN = 12, MAX_BARS = 64, SERIES_BARS = 240 };

typedef struct StRun {
    const SlLayer *l;
    int B, T, F, u, rows; /* batch, timesteps per batch, features, units, sample rows drawn */
    int nb;               /* batches drawn */
    int data;             /* 1: the learner's samples, 0: a seeded series */
    sl_real *x;           /* (rows, nb * T, F): each row's whole series */
    sl_real *h;           /* (nb, rows, u): h after each batch */
} StRun;

/* Row i's series: chunk k is sample (k * B + i) of the learner's data, as fit feeds a stateful
 * layer (sample i of one batch continues sample i of the batch before); or a slow wave, its phase
 * and level per row. */
static void fill_series(StRun *d, const SlSceneRun *run)
{
    size_t len = (size_t)d->nb * d->T;
    for (int i = 0; i < d->rows; i++)
        for (size_t t = 0; t < len; t++)
            for (int f = 0; f < d->F; f++) {
                sl_real *out = &d->x[((size_t)i * len + t) * d->F + f];
                if (d->data) {
                    size_t k = t / (size_t)d->T, s = (size_t)run->sample + k * d->B + (size_t)i;
                    *out = run->x[0].data[(s * d->T + t % (size_t)d->T) * d->F + f];
                } else {
                    *out = (sl_real)(sin(0.45 * (double)(t + f) + 1.7 * i) * (0.6 + 0.2 * i));
                }
            }
}

/* Every row's series, chunk after chunk, with the state carried from chunk to chunk. */
static int st_compute(StRun *d, const SlSceneRun *run, SlError *e)
{
    size_t len = (size_t)d->nb * d->T;
    d->x = sl_alloc_zero((size_t)d->rows * len * d->F, sizeof *d->x);
    d->h = sl_alloc_zero((size_t)d->nb * d->rows * d->u, sizeof *d->h);
    sl_real *c = sl_alloc_zero((size_t)d->u, sizeof *c),
            *h = sl_alloc_zero((size_t)d->u, sizeof *h);
    int rc = 0;
    if (!d->x || !d->h || !c || !h)
        rc = sl_errorf(e, "out of memory");
    if (rc == 0)
        fill_series(d, run);
    for (int i = 0; rc == 0 && i < d->rows; i++) {
        memset(h, 0, (size_t)d->u * sizeof *h), memset(c, 0, (size_t)d->u * sizeof *c);
        for (int k = 0; rc == 0 && k < d->nb; k++) {
            SlRnnSteps s;
            const sl_real *chunk = d->x + ((size_t)i * len + (size_t)k * d->T) * d->F;
            if ((rc = sl_rnn_steps(d->l, chunk, d->T, h, c, &s, e)) < 0)
                break;
            memcpy(h, s.h + (size_t)d->T * d->u, (size_t)d->u * sizeof *h);
            if (s.c)
                memcpy(c, s.c + (size_t)d->T * d->u, (size_t)d->u * sizeof *c);
            memcpy(d->h + ((size_t)k * d->rows + i) * d->u, h, (size_t)d->u * sizeof *h);
            sl_rnn_steps_free(&s);
        }
    }
    sl_free(c), sl_free(h);
    return rc;
}

static int st_prepare(SlSceneRun *run, SlError *e)
{
    int node = sl_scene_node(run->m, run->scene);
    if (node < 0)
        return sl_errorf(e, "the stateful scene needs a recurrent layer with stateful=True");
    if (sl_model_ensure_params(run->m, e) < 0)
        return -1;
    StRun *d = sl_alloc_zero(1, sizeof *d);
    if (!d)
        return sl_errorf(e, "out of memory");
    run->priv = d;
    const SlNode *nd = &run->m->nodes[node];
    d->l = nd->layer;
    d->B = nd->sym.in[0].dim[0];
    d->T = nd->sym.in[0].dim[1] == SL_NONE ? run->timesteps : nd->sym.in[0].dim[1];
    d->F = nd->sym.in[0].dim[2];
    d->u = nd->sym.out[0].dim[nd->sym.out[0].rank - 1];
    d->rows = d->B < MAX_ROWS ? d->B : MAX_ROWS;
    d->nb = MAX_BATCHES;
    /* the learner's data, when it is the layer's own input: batches of B samples in order */
    d->data = run->x && run->m->t[nd->in[0]].node == run->m->t[run->m->inputs[0]].node;
    if (run->x && !d->data)
        return sl_errorf(e,
                         "the stateful scene draws -x data only when it goes straight into "
                         "the stateful layer '%s'",
                         d->l->name);
    if (d->data) {
        d->T = run->x[0].shape.dim[1];
        int batches = (run->x[0].shape.dim[0] - run->sample) / d->B;
        d->nb = batches < MAX_BATCHES ? batches : MAX_BATCHES;
        if (d->nb < 1)
            return sl_errorf(e,
                             "the data has %d samples from sample %d on: less than one batch "
                             "of %d",
                             run->x[0].shape.dim[0] - run->sample, run->sample, d->B);
    } else if (d->T > 12) {
        d->T = 12; /* enough steps to see the chunks; the layer's are the same */
    }
    if (st_compute(d, run, e) < 0)
        return -1;
    run->n_steps = d->nb + 1;
    return 0;
}

static void st_release(SlSceneRun *run)
{
    StRun *d = run->priv;
    if (d)
        sl_free(d->x), sl_free(d->h);
    sl_free(d);
    run->priv = NULL;
}

/* One chunk of one row: its T steps' features, step after step, as bars (the first MAX_BARS). */
static void draw_chunk(SlCanvas *c, const StRun *d, int row, int k, int x, int y, int w, int h,
                       double range)
{
    size_t len = (size_t)d->nb * d->T;
    int n = d->T * d->F < MAX_BARS ? d->T * d->F : MAX_BARS;
    sl_draw_bars(c, x, y, w, h, d->x + ((size_t)row * len + (size_t)k * d->T) * d->F, n, 1, range,
                 SL_ROLE_INPUT, "chunk");
}

/* The first row's whole series (its first feature), with the batches' chunks marked on it; the
 * mark on the current chunk moves to the next between two steps. */
static void draw_series(SlCanvas *c, const StRun *d, int x0, int w, int y, int h, double mark,
                        int reset, double range)
{
    int lh = sl_text_height(SL_TEXT_LABEL), n = d->nb * d->T,
        every = (n + SERIES_BARS - 1) / SERIES_BARS;
    sl_draw_text_fit(c, 16, y,
                     "sample 0's whole series (first feature); each batch holds the next chunk "
                     "of it",
                     "sample 0's whole series, chunk by chunk");
    sl_real v[SERIES_BARS];
    int shown = 0;
    for (int t = 0; t < n && shown < SERIES_BARS; t += every)
        v[shown++] = d->x[(size_t)t * d->F];
    int yb = y + lh + 8, bw = w / shown, per = d->T / every > 0 ? d->T / every : 1;
    sl_draw_bars(c, x0, yb, w, h, v, shown, 1, range, SL_ROLE_INPUT, "series");
    for (int k = 1; k < d->nb; k++) /* the cuts between batches */
        sl_canvas_fill_rect(c, x0 + k * per * bw - 1, yb - 4, 2, h + 8, SL_INK);
    if (!reset)
        sl_draw_focus(c, x0 + mark * per * bw, yb, per * bw, h);
}

static void st_draw(const SlSceneRun *run, double at, SlCanvas *c)
{
    const StRun *d = run->priv;
    char title[256], s[160], caption[700];
    double tw;
    int step = sl_scene_step(run, at, &tw), said = sl_scene_caption_step(run, at);
    int lh = sl_text_height(SL_TEXT_LABEL), hh = sl_text_height(SL_TEXT_HEADING);
    sl_canvas_clear(c, SL_PAPER);
    snprintf(title, sizeof title, "%s (stateful): a long series cut into batches of %d x %d steps",
             d->l->name, d->B, d->T);
    static const SlRole roles[] = {SL_ROLE_INPUT, SL_ROLE_STATE};
    int top = sl_scene_title(c, title, sl_legend_width(roles, 2) + 16) + 12;
    sl_draw_legend(c, c->w - sl_legend_width(roles, 2) - 12, 10, roles, 2);
    int done = said < d->nb ? said + 1 : d->nb, reset = said >= d->nb;
    int x0 = 120, col = (c->w - x0 - 20) / MAX_BATCHES, cw = col - 70;
    int series_h = 56 + 2 * lh; /* the first row's whole series, at the bottom */
    int bottom = c->h - sl_scene_caption_height() - 2 * lh - 40 - series_h;
    int row_h = (bottom - top - hh - 20) / d->rows;
    row_h = row_h > 170 ? 170 : row_h;
    int chunk_h = (row_h - lh - 24) / 2 > 60 ? 60 : (row_h - lh - 24) / 2;
    chunk_h = chunk_h < 10 ? 10 : chunk_h;
    int shown_u = d->u < MAX_SHOWN ? d->u : MAX_SHOWN;
    double h_scale = sl_range_of(d->h, (size_t)d->nb * d->rows * d->u, NULL); /* one scale */
    double x_scale = sl_range_of(d->x, (size_t)d->rows * d->nb * d->T * d->F, NULL);
    for (int k = 0; k < d->nb; k++) {
        int x = x0 + k * col;
        if (d->T == 1)
            snprintf(s, sizeof s, "batch %d: step %d", k + 1, k);
        else
            snprintf(s, sizeof s, "batch %d: steps %d-%d", k + 1, k * d->T, (k + 1) * d->T - 1);
        sl_canvas_text(c, x, top, s, SL_TEXT_HEADING, SL_INK);
        for (int i = 0; i < d->rows; i++) {
            int y = top + hh + 12 + i * row_h;
            if (k == 0) {
                snprintf(s, sizeof s, "sample %d", i);
                sl_canvas_text(c, 16, y + chunk_h / 2 - lh / 2, s, SL_TEXT_LABEL, SL_INK);
            }
            draw_chunk(c, d, i, k, x, y, cw, chunk_h, x_scale);
            if (k >= done)
                continue;
            /* the state this sample leaves for the same sample of the next batch */
            int sy = y + chunk_h + lh + 10;
            int resets = reset && k == d->nb - 1;
            sl_canvas_text(c, x, sy - lh - 4, resets ? "h: reset to 0" : "h after", SL_TEXT_LABEL,
                           SL_INK);
            sl_real zeros[MAX_SHOWN] = {0};
            const sl_real *hv = resets ? zeros : d->h + ((size_t)k * d->rows + i) * d->u;
            sl_draw_bars(c, x, sy, cw, chunk_h, hv, shown_u, 1, h_scale, SL_ROLE_STATE, "h");
            if (k + 1 < d->nb) {
                double ax0 = x + cw + 4, ay0 = sy + chunk_h / 2.0;
                double ax1 = x + col - 6, ay1 = y + chunk_h / 2.0;
                sl_canvas_smooth_arrow(c, ax0, ay0, ax1, ay1, 2.5, 9, sl_role_color(SL_ROLE_STATE));
                if (k == step && tw > 0 && step + 1 < d->nb) /* h travels on to the next batch */
                    sl_canvas_circle(c, sl_lerp(ax0, ax1, tw), sl_lerp(ay0, ay1, tw), 6,
                                     sl_role_color(SL_ROLE_STATE));
            }
        }
    }
    if (!reset) { /* the batch now going through, the frame moving on to the next */
        int nx = step + 1 < d->nb ? step + 1 : step;
        double fx = sl_lerp(x0 + step * col, x0 + nx * col, tw);
        sl_draw_focus(c, fx - 4, top - 2, cw + 8, d->rows * row_h + hh + 8);
    }
    int ty = top + hh + 12 + d->rows * row_h + 6;
    double mark = sl_lerp(step < d->nb ? step : d->nb - 1, step + 1 < d->nb ? step + 1 : step, tw);
    draw_series(c, d, x0, d->nb * col - 70, ty + lh + 24, series_h - 2 * lh, mark, reset, x_scale);
    char sh[96];
    if (reset) {
        snprintf(s, sizeof s,
                 "end of the epoch: the loop calls model.reset_states(); every h%s "
                 "goes back to 0",
                 sl_rnn_n_states(d->l) == 2 ? " and c" : "");
        snprintf(sh, sizeof sh, "epoch over: model.reset_states()");
    } else {
        snprintf(s, sizeof s,
                 "row i of each batch continues row i of the one before: "
                 "fit(..., batch_size=%d, shuffle=False)",
                 d->B);
        snprintf(sh, sizeof sh, "row i continues row i: shuffle=False");
    }
    sl_draw_text_fit(c, 16, ty, s, sh);
    if (reset)
        snprintf(caption, sizeof caption,
                 "After the last batch the series is over. Keras's fit never resets the states: "
                 "the training loop calls model.reset_states() between epochs, so the next epoch "
                 "starts each series from h = 0 again.");
    else
        snprintf(
            caption, sizeof caption,
            "Batch %d of %d: each sample's chunk of %d step%s starts from the h%s its own sample "
            "left in batch %d%s. That is why a stateful layer needs a fixed batch size (%d) and "
            "data that is not shuffled. %d unit%s, %d drawn%s.",
            done, d->nb, d->T, d->T == 1 ? "" : "s", sl_rnn_n_states(d->l) == 2 ? " and c" : "",
            done > 1 ? done - 1 : 0, done > 1 ? "" : " (none yet: it starts at 0)", d->B, d->u,
            d->u == 1 ? "" : "s", shown_u, d->data ? "; your samples" : "; a seeded series");
    sl_scene_caption(c, caption);
}

const SlScene sl_scene_stateful = {
    .name = "stateful",
    .what = "a stateful RNN: a long series cut into batches, the state handed from batch to "
            "batch, reset_states() between epochs",
    .draws_data = 1,
    .can_draw = sl_scene_draws_any,
    .prepare = st_prepare,
    .draw = st_draw,
    .release = st_release,
};
