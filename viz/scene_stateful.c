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

enum { N_BATCHES = 4, MAX_ROWS = 4, MAX_SHOWN = 12 };

typedef struct StRun {
    const SlLayer *l;
    int B, T, F, u, rows; /* batch, timesteps per batch, features, units, sample rows drawn */
    sl_real *x;           /* (rows, N_BATCHES * T, F): each row's whole series */
    sl_real *h;           /* (N_BATCHES, rows, u): h after each batch */
} StRun;

/* Every row's series, chunk after chunk, with the state carried from chunk to chunk. */
static int st_compute(StRun *d, SlError *e)
{
    size_t len = (size_t)N_BATCHES * d->T;
    d->x = sl_alloc_zero((size_t)d->rows * len * d->F, sizeof *d->x);
    d->h = sl_alloc_zero((size_t)N_BATCHES * d->rows * d->u, sizeof *d->h);
    sl_real *c = sl_alloc_zero((size_t)d->u, sizeof *c),
            *h = sl_alloc_zero((size_t)d->u, sizeof *h);
    int rc = 0;
    if (!d->x || !d->h || !c || !h)
        rc = sl_errorf(e, "out of memory");
    for (int i = 0; rc == 0 && i < d->rows; i++) {
        for (size_t t = 0; t < len; t++) /* a slow wave, its phase and level per sample */
            for (int f = 0; f < d->F; f++)
                d->x[((size_t)i * len + t) * d->F + f] =
                    (sl_real)(sin(0.45 * (double)(t + f) + 1.7 * i) * (0.6 + 0.2 * i));
        memset(h, 0, (size_t)d->u * sizeof *h), memset(c, 0, (size_t)d->u * sizeof *c);
        for (int k = 0; rc == 0 && k < N_BATCHES; k++) {
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
    if (d->T > 12)
        d->T = 12; /* enough steps to see the chunks; the layer's are the same */
    if (st_compute(d, e) < 0)
        return -1;
    run->n_steps = N_BATCHES + 1;
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

/* One chunk of one row: its T steps' features, step after step, as bars. */
static void draw_chunk(SlCanvas *c, const StRun *d, int row, int k, int x, int y, int w, int h)
{
    size_t len = (size_t)N_BATCHES * d->T;
    int n = d->T * d->F < 64 ? d->T * d->F : 64;
    sl_draw_bars(c, x, y, w, h, d->x + ((size_t)row * len + (size_t)k * d->T) * d->F, n, 1, 1.0,
                 SL_ROLE_INPUT, "chunk");
}

/* Sample 1's whole series (its first feature), with the batches' chunks marked on it. */
static void draw_series(SlCanvas *c, const StRun *d, int x0, int col, int y, int h, int done,
                        int reset)
{
    int lw, lh, n = N_BATCHES * d->T;
    sl_canvas_text_size("M", SL_TEXT_SCALE, &lw, &lh);
    sl_draw_text_fit(c, 12, y,
                     "sample 1's whole series (first feature); each batch holds the next chunk "
                     "of it",
                     "sample 1's whole series, chunk by chunk");
    sl_real v[N_BATCHES * 12];
    for (int t = 0; t < n; t++)
        v[t] = d->x[(size_t)t * d->F];
    int w = N_BATCHES * col - 70, yb = y + lh + 8;
    sl_draw_bars(c, x0, yb, w, h, v, n, 1, 1.0, SL_ROLE_INPUT, "series");
    int bw = w / n;
    for (int k = 1; k < N_BATCHES; k++) /* the cuts between batches */
        sl_canvas_fill_rect(c, x0 + k * d->T * bw - 1, yb - 4, 3, h + 8, SL_INK);
    if (!reset)
        sl_canvas_rect(c, x0 + (done - 1) * d->T * bw - 2, yb - 4, d->T * bw + 4, h + 8, 3,
                       SL_HIGHLIGHT);
}

static void st_draw(const SlSceneRun *run, int step, SlCanvas *c)
{
    const StRun *d = run->priv;
    char title[256], s[160], caption[700];
    int lw, lh;
    sl_canvas_text_size("M", SL_TEXT_SCALE, &lw, &lh);
    sl_canvas_clear(c, SL_PAPER);
    snprintf(title, sizeof title, "%s (stateful): a long series cut into batches of %d x %d steps",
             d->l->name, d->B, d->T);
    static const SlRole roles[] = {SL_ROLE_INPUT, SL_ROLE_STATE};
    int top = sl_scene_title(c, title, sl_legend_width(roles, 2) + 16) + 12;
    sl_draw_legend(c, c->w - sl_legend_width(roles, 2) - 8, 8, roles, 2);
    int done = step < N_BATCHES ? step + 1 : N_BATCHES, reset = step >= N_BATCHES;
    int x0 = 130, col = (c->w - x0 - 20) / N_BATCHES, cw = col - 70;
    int series_h = 60 + 2 * lh; /* sample 1's whole series, at the bottom */
    int bottom = c->h - sl_scene_caption_height() - 2 * lh - 40 - series_h;
    int row_h = (bottom - top - lh - 20) / d->rows;
    row_h = row_h > 180 ? 180 : row_h;
    int chunk_h = (row_h - lh - 24) / 2 > 64 ? 64 : (row_h - lh - 24) / 2;
    chunk_h = chunk_h < 10 ? 10 : chunk_h;
    int shown_u = d->u < MAX_SHOWN ? d->u : MAX_SHOWN;
    double h_scale = 1e-12; /* one scale for every h drawn, so they compare */
    for (int i = 0; i < N_BATCHES * d->rows * d->u; i++)
        h_scale = fmax(h_scale, fabs((double)d->h[i]));
    for (int k = 0; k < N_BATCHES; k++) {
        int x = x0 + k * col;
        if (d->T == 1)
            snprintf(s, sizeof s, "batch %d: step %d", k + 1, k + 1);
        else
            snprintf(s, sizeof s, "batch %d: steps %d-%d", k + 1, k * d->T + 1, (k + 1) * d->T);
        int tw = sl_canvas_text(c, x, top, s, SL_TEXT_SCALE, SL_INK);
        if (k == done - 1 && !reset)
            sl_canvas_rect(c, x - 6, top - 4, (tw > cw ? tw : cw) + 12, d->rows * row_h + lh + 16,
                           3, SL_HIGHLIGHT);
        for (int i = 0; i < d->rows; i++) {
            int y = top + lh + 12 + i * row_h;
            if (k == 0) {
                snprintf(s, sizeof s, "sample %d", i + 1);
                sl_canvas_text(c, 12, y + chunk_h / 2 - lh / 2, s, SL_TEXT_SCALE, SL_INK);
            }
            draw_chunk(c, d, i, k, x, y, cw, chunk_h);
            if (k >= done)
                continue;
            /* the state this sample leaves for the same sample of the next batch */
            int sy = y + chunk_h + lh + 10;
            sl_canvas_text(c, x, sy - lh - 4,
                           reset && k == N_BATCHES - 1 ? "h: reset to 0" : "h after", SL_TEXT_SCALE,
                           SL_INK);
            sl_real zeros[MAX_SHOWN] = {0};
            const sl_real *hv =
                reset && k == N_BATCHES - 1 ? zeros : d->h + ((size_t)k * d->rows + i) * d->u;
            sl_draw_bars(c, x, sy, cw, chunk_h, hv, shown_u, 1, h_scale, SL_ROLE_STATE, "h");
            int ay = sy + chunk_h / 2;
            if (k + 1 < N_BATCHES)
                sl_canvas_arrow(c, x + cw + 4, ay, x + col - 6, y + chunk_h / 2, 3, 8,
                                sl_role_color(SL_ROLE_STATE));
        }
    }
    int ty = top + lh + 12 + d->rows * row_h + 6;
    draw_series(c, d, x0, col, ty + lh + 24, series_h - 2 * lh, done, reset);
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
    sl_draw_text_fit(c, 12, ty, s, sh);
    if (reset)
        snprintf(caption, sizeof caption,
                 "After the last batch the series is over. Keras's fit never resets the states: "
                 "the training loop calls model.reset_states() between epochs, so the next epoch "
                 "starts each series from h = 0 again.");
    else
        snprintf(
            caption, sizeof caption,
            "Batch %d: each sample's chunk of %d step%s starts from the h%s its own sample "
            "left in batch %d%s. That is why a stateful layer needs a fixed batch size (%d) and "
            "data that is not shuffled. %d unit%s, %d drawn.",
            done, d->T, d->T == 1 ? "" : "s", sl_rnn_n_states(d->l) == 2 ? " and c" : "",
            done > 1 ? done - 1 : 0, done > 1 ? "" : " (none yet: it starts at 0)", d->B, d->u,
            d->u == 1 ? "" : "s", shown_u);
    sl_scene_caption(c, caption);
}

const SlScene sl_scene_stateful = {
    .name = "stateful",
    .what = "a stateful RNN: a long series cut into batches, the state handed from batch to "
            "batch, reset_states() between epochs",
    .can_draw = sl_scene_draws_any,
    .prepare = st_prepare,
    .draw = st_draw,
    .release = st_release,
};
