/* scene_mask.c: a padded batch and its mask, for a model that makes one (Masking, or Embedding
 * with mask_zero=True).
 *
 * The data is the learner's sample (-x), or the first sample of a seeded batch with its last
 * third zeroed (post-padding). Top: every layer call with the mask its output carries (the
 * trace's masks, step by step: real steps filled, padded steps hatched), or "no mask" where a
 * layer dropped it. Middle: the first recurrent layer's h for that sample, stepped with
 * src/layers/rnn.c's own cell (sl_rnn_steps): with the mask a padded step keeps h, without it the
 * cell runs over the zeros and h drifts. Bottom row: which steps the loss counts (sum(l*m)/sum(m)).
 *
 * The scene first follows the mask down the layers, one call per step (the hatching travels from
 * one row to the next), then moves a cursor one timestep per step. A long sequence is drawn
 * through a window of steps that scrolls with the cursor.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "gradcheck.h"
#include "layers/rnn.h"
#include "scene.h"
#include "widgets.h"

enum { MAX_T = 1 << 16, MAX_ROWS = 12, SHOWN_UNITS = 8, MIN_CELL = 22, MAX_CELL = 56 };

typedef struct MaskRun {
    int T, n_rows;
    int node[MAX_ROWS];
    int has_mask[MAX_ROWS];
    unsigned char *mask;      /* (MAX_ROWS, T): sample 0's mask after each call */
    int rnn_node, units, F;   /* the first recurrent layer, or -1; units shown; its features */
    sl_real *rnn_x;           /* (T, F) its input for sample 0 */
    sl_real *h_mask, *h_free; /* (units shown, T): h with the mask and without */
    double drift;             /* largest |h change| over padded steps, no mask */
    int real;                 /* unmasked steps of sample 0 at the output */
    int data;                 /* 1: the learner's sample */
} MaskRun;

static int makes_mask(const SlModel *m)
{
    for (int n = 0; n < m->n_nodes; n++)
        for (int k = 0; k < m->nodes[n].sym.n_out; k++)
            if (m->nodes[n].sym.out_mask[k] == SL_MASK_NEW)
                return 1;
    return 0;
}

static void on_layer(void *ctx, const SlEvent *ev)
{
    SlSceneRun *run = ctx;
    MaskRun *d = run->priv;
    if (ev->kind != SL_EV_LAYER_END || d->n_rows >= MAX_ROWS)
        return;
    int n = ev->pass->node, r = d->n_rows++;
    const unsigned char *mk = run->m->t[run->m->nodes[n].out[0]].mask;
    d->node[r] = n;
    d->has_mask[r] = mk != NULL;
    for (int t = 0; mk && t < d->T; t++)
        d->mask[(size_t)r * d->T + t] = mk[t];
    if (n == d->rnn_node && !d->rnn_x) {
        size_t count = (size_t)d->T * d->F;
        d->rnn_x = sl_alloc_zero(count + 1, sizeof(sl_real));
        if (d->rnn_x)
            memcpy(d->rnn_x, ev->pass->x[0].data, count * sizeof(sl_real));
    }
}

/* h of the recurrent layer over sample 0: stepped one step at a time, keeping h and c at masked
 * steps (as the layer does), and in one go over every step (as without a mask). */
static int step_states(SlSceneRun *run, const unsigned char *mask, SlError *e)
{
    MaskRun *d = run->priv;
    const SlLayer *l = run->m->nodes[d->rnn_node].layer;
    SlRnnSteps all, one;
    if (sl_rnn_steps(l, d->rnn_x, d->T, NULL, NULL, &all, e) < 0)
        return -1;
    int U = all.units, shown = U < SHOWN_UNITS ? U : SHOWN_UNITS, rc = 0;
    sl_real *h = sl_alloc_zero(2 * (size_t)U + 1, sizeof *h), *cc = h ? h + U : NULL;
    d->h_mask = sl_alloc_zero(2 * (size_t)shown * d->T, sizeof(sl_real));
    if (!h || !d->h_mask)
        rc = sl_errorf(e, "out of memory");
    d->h_free = d->h_mask ? d->h_mask + (size_t)shown * d->T : NULL;
    d->units = shown;
    for (int t = 0; rc == 0 && t < d->T; t++) {
        if (mask[t]) {
            if ((rc = sl_rnn_steps(l, d->rnn_x + (size_t)t * d->F, 1, h, all.c ? cc : NULL, &one,
                                   e)) < 0)
                break;
            memcpy(h, one.h + U, (size_t)U * sizeof *h);
            if (one.c)
                memcpy(cc, one.c + U, (size_t)U * sizeof *cc);
            sl_rnn_steps_free(&one);
        }
        for (int j = 0; j < shown; j++) {
            d->h_mask[(size_t)j * d->T + t] = h[j];
            d->h_free[(size_t)j * d->T + t] = all.h[(size_t)(t + 1) * U + j];
            if (!mask[t])
                d->drift = fmax(d->drift, fabs((double)all.h[(size_t)(t + 1) * U + j] -
                                               (double)all.h[(size_t)t * U + j]));
        }
    }
    sl_free(h);
    sl_rnn_steps_free(&all);
    return rc;
}

/* Sample 0 of the batch: the learner's, or a seeded one with its last third zeroed. */
static int make_input(SlSceneRun *run, MaskRun *d, SlTensor *X, sl_real **x, SlError *e)
{
    if (sl_scene_input(run, 0, X, x, e) < 0)
        return -1;
    d->T = X->shape.dim[1];
    if (d->T > MAX_T)
        return sl_errorf(e, "the mask scene draws up to %d timesteps; the input has %d", MAX_T,
                         d->T);
    if (!d->data) {
        size_t per = sl_shape_sample_count(&X->shape), pad = (size_t)d->T / 3 + 1;
        size_t step = per / (size_t)d->T; /* values per timestep */
        memset(*x + (d->T - pad) * step, 0, pad * step * sizeof **x);
    }
    return 0;
}

static int mask_prepare(SlSceneRun *run, SlError *e)
{
    SlModel *m = run->m;
    if (!makes_mask(m))
        return sl_errorf(e, "the mask scene needs a model that makes a mask: Masking(...) or "
                            "Embedding(..., mask_zero=True)");
    if (m->t[m->inputs[0]].shape.rank < 2 || m->n_inputs != 1)
        return sl_errorf(e, "the mask scene draws a model of one input with a timesteps axis");
    MaskRun *d = sl_alloc_zero(1, sizeof *d);
    if (!d)
        return sl_errorf(e, "out of memory");
    run->priv = d;
    d->rnn_node = -1;
    d->data = run->x != NULL;
    for (int n = 0; n < m->n_nodes && d->rnn_node < 0; n++)
        if (sl_layer_is(m->nodes[n].layer, SL_KIND_RECURRENT))
            d->rnn_node = n;
    if (d->rnn_node >= 0)
        d->F = m->nodes[d->rnn_node].sym.in[0].dim[2];
    SlTensor X;
    sl_real *x = NULL;
    if (make_input(run, d, &X, &x, e) < 0 ||
        !(d->mask = sl_alloc_zero((size_t)MAX_ROWS * d->T, 1))) {
        sl_free(x);
        return d->mask ? -1 : sl_errorf(e, "out of memory");
    }
    const SlObserver *old = m->obs;
    SlObserver obs = {on_layer, run};
    int rc = sl_model_ensure_params(m, e);
    if (rc == 0) {
        sl_model_set_observer(m, &obs);
        rc = sl_model_forward(m, &X, 0, e);
        sl_model_set_observer(m, old);
    }
    sl_free(x);
    if (rc < 0)
        return -1;
    const unsigned char *first = NULL; /* the first mask made: what the RNN reads */
    for (int i = 0; i < d->n_rows && !first; i++)
        if (d->has_mask[i])
            first = d->mask + (size_t)i * d->T;
    const unsigned char *last = NULL; /* the mask the loss reads */
    for (int i = d->n_rows - 1; i >= 0 && !last; i--)
        last = d->has_mask[i] ? d->mask + (size_t)i * d->T : NULL;
    d->real = 0;
    for (int t = 0; t < d->T; t++)
        d->real += last ? last[t] : 1;
    if (d->rnn_node >= 0 && d->rnn_x && first && step_states(run, first, e) < 0)
        return -1;
    run->n_steps = d->n_rows + d->T;
    return 0;
}

static void mask_release(SlSceneRun *run)
{
    MaskRun *d = run->priv;
    if (d) {
        sl_free(d->rnn_x);
        sl_free(d->mask);
        sl_free(d->h_mask);
    }
    sl_free(d);
    run->priv = NULL;
}

/* ---- drawing ---- */

/* The window of steps on screen: `cols` cells of `cell` units from x0, the first at step w0 (a
 * fraction while it scrolls). */
typedef struct Win {
    int x0, cell, cols;
    double w0;
} Win;

static double step_x(const Win *w, double t)
{
    return w->x0 + (t - w->w0) * w->cell;
}

/* A strip of the mask's values in the window: real steps (1) white, masked ones (0) hatched in
 * the mask's colour (the hatching `shift` units on its way). */
static void draw_strip(SlCanvas *c, const Win *w, int y, int h, const unsigned char *mask, int T,
                       int shift)
{
    int th = sl_text_height(SL_TEXT_NUMBER);
    for (int t = (int)floor(w->w0); t < T && t < w->w0 + w->cols; t++) {
        if (t < 0)
            continue;
        int cx = (int)lround(step_x(w, t)), real = mask ? mask[t] : 1;
        sl_canvas_fill_rect(c, cx, y, w->cell - 2, h, SL_WHITE);
        if (!real)
            sl_canvas_hatch_shifted(c, cx, y, w->cell - 2, h, 6, shift,
                                    sl_role_color(SL_ROLE_MASK));
        sl_canvas_rect(c, cx, y, w->cell - 2, h, 1, real ? sl_mix(SL_GRID, SL_INK, 0.4) : SL_INK);
        if (w->cell - 2 >= sl_text_width("0", SL_TEXT_NUMBER) + 6 && h >= th + 2 && real)
            sl_canvas_text_aligned(c, cx + (w->cell - 2) / 2, y + (h - th) / 2, SL_ALIGN_CENTER,
                                   "1", SL_TEXT_NUMBER, SL_INK);
    }
    int x0 = w->x0, x1 = (int)lround(step_x(w, fmin(T, w->w0 + w->cols)));
    int masked = 0;
    for (int t = 0; mask && t < T; t++)
        masked += !mask[t];
    sl_canvas_record(c, SL_ITEM_WIDGET, x0, y, x1 - x0 - 2 > 1 ? x1 - x0 - 2 : 1, h,
                     masked ? SL_ROLE_MASK : SL_ROLE_NONE, 0, masked ? "mask, padded" : "mask");
}

/* Where the window starts when the cursor is at step t: t in its middle, inside the steps. */
static double window_start(const Win *w, int t, int T)
{
    int s = t - w->cols / 2;
    s = s > T - w->cols ? T - w->cols : s;
    return s < 0 ? 0 : s;
}

/* h as a grid of (units, window) cells 10 units tall on one colour scale for both grids. */
static void draw_h(SlCanvas *c, const Win *w, int y, const sl_real *h, int U, int T, double range,
                   const char *label)
{
    int first = (int)floor(w->w0) > 0 ? (int)floor(w->w0) : 0;
    for (int j = 0; j < U; j++)
        for (int t = first; t < T && t < w->w0 + w->cols; t++)
            sl_canvas_fill_rect(c, (int)lround(step_x(w, t)), y + j * 10, w->cell - 2, 10,
                                sl_heat_color((double)h[(size_t)j * T + t], range, SL_ROLE_STATE));
    int x0 = w->x0, x1 = (int)lround(step_x(w, fmin(T, w->w0 + w->cols)));
    sl_canvas_record(c, SL_ITEM_WIDGET, x0, y, x1 - x0 - 2 > 1 ? x1 - x0 - 2 : 1, U * 10,
                     SL_ROLE_STATE, 0, label);
    sl_real shown[SHOWN_UNITS * 256]; /* the window's values, for the mouse */
    int n = T - first < w->cols ? T - first : w->cols;
    n = n < 256 ? n : 256;
    for (int j = 0; j < U && j < SHOWN_UNITS; j++)
        for (int t = 0; t < n; t++)
            shown[j * n + t] = h[(size_t)j * T + first + t];
    if (w->w0 == first)
        sl_canvas_probe(c, x0, y, w->cell, 10, U, n, shown, label);
}

/* The steps' numbers over the window (from 0, as x[:, t] counts them), and an ellipsis where
 * steps are out of view. */
static void step_numbers(SlCanvas *c, const Win *w, int y, int T)
{
    int every = 1;
    while (every * w->cell < sl_text_width("0000", SL_TEXT_SMALL))
        every *= 2;
    for (int t = (int)ceil(w->w0); t < T && t < w->w0 + w->cols; t++)
        if (t % every == 0) {
            char s[16];
            snprintf(s, sizeof s, "%d", t);
            sl_canvas_text_aligned(c, (int)lround(step_x(w, t)) + (w->cell - 2) / 2, y,
                                   SL_ALIGN_CENTER, s, SL_TEXT_SMALL, SL_INK);
        }
}

static void caption_for(const SlSceneRun *run, int said, char *caption, size_t n)
{
    const MaskRun *d = run->priv;
    const SlModel *m = run->m;
    if (said < d->n_rows) { /* following the mask down the layers */
        const SlLayer *l = m->nodes[d->node[said]].layer;
        snprintf(caption, n,
                 "Layer %d of %d, %s (%s): %s Padded steps are hatched; the loss reads the mask "
                 "the last layer carries.",
                 said + 1, d->n_rows, l->name, l->type->name,
                 d->has_mask[said]
                     ? "its output carries a mask, one number per step: 1 for a real step, 0 for "
                       "a padded one."
                 : said == 0 ? "the input has no mask yet."
                             : "its output carries no mask (this layer drops it).");
        return;
    }
    int t = said - d->n_rows;
    const unsigned char *last = NULL;
    for (int i = d->n_rows - 1; i >= 0 && !last; i--)
        last = d->has_mask[i] ? d->mask + (size_t)i * d->T : NULL;
    if (!last || last[t])
        snprintf(caption, n,
                 "Step t = %d (of 0..%d), a real step: the mask is 1, the recurrent layer updates "
                 "h and c, and the loss counts this step. The mask started at the masking layer "
                 "and travels with the tensor to the loss.",
                 t, d->T - 1);
    else
        snprintf(caption, n,
                 "Step t = %d (of 0..%d), a padded step (all features 0): masked, so h and c are "
                 "carried over unchanged and the loss leaves it out (sum(l*m)/sum(m) over %d "
                 "steps). Without the mask the cell runs on the zeros: h moves by up to %.3f per "
                 "padded step.",
                 t, d->T - 1, d->real, d->drift);
}

static void mask_draw(const SlSceneRun *run, double at, SlCanvas *c)
{
    const MaskRun *d = run->priv;
    const SlModel *m = run->m;
    char title[256], caption[700], line[160];
    double tw;
    int step = sl_scene_step(run, at, &tw), said = sl_scene_caption_step(run, at);
    int lh = sl_text_height(SL_TEXT_LABEL), sh = sl_text_height(SL_TEXT_SMALL);
    sl_canvas_clear(c, SL_PAPER);
    snprintf(title, sizeof title, "model \"%s\": padding, and the mask that travels with it%s",
             m->name, d->data ? " (your sample)" : "");
    /* the legend: the mask's hatching once a strip with a masked step is on screen, and h */
    const unsigned char *last = NULL;
    for (int i = d->n_rows - 1; i >= 0 && !last; i--)
        last = d->has_mask[i] ? d->mask + (size_t)i * d->T : NULL;
    int hatched = 0, upto = step < d->n_rows ? step + 1 + (tw > 0) : d->n_rows;
    for (int i = 0; i < d->n_rows && i < upto; i++)
        for (int t = 0; d->has_mask[i] && t < d->T; t++)
            hatched |= !d->mask[(size_t)i * d->T + t];
    for (int t = 0; last && step >= d->n_rows - 1 && t < d->T; t++)
        hatched |= !last[t];
    SlRole roles[2] = {SL_ROLE_MASK, SL_ROLE_STATE};
    SlRole *shown_roles = hatched ? roles : roles + 1;
    int n_roles = (hatched ? 1 : 0) + (d->units ? 1 : 0);
    int top = sl_scene_title(c, title, sl_legend_width(shown_roles, n_roles) + 16) + 8;
    sl_draw_legend(c, c->w - sl_legend_width(shown_roles, n_roles) - 12, 10, shown_roles, n_roles);
    int bottom = c->h - sl_scene_caption_height() - 8;
    int label_w = 0;
    for (int i = 0; i < d->n_rows; i++) {
        const SlLayer *l = m->nodes[d->node[i]].layer;
        snprintf(line, sizeof line, "%s (%s)", l->name, l->type->name);
        int w = sl_text_width(line, SL_TEXT_LABEL);
        label_w = w > label_w ? w : label_w;
    }
    label_w = label_w < 150 ? 150 : label_w > 320 ? 320 : label_w;
    /* the window: as many steps as fit at MIN_CELL, around the cursor */
    Win w;
    w.x0 = 16 + label_w + 16;
    w.cols = (c->w - w.x0 - 16) / MIN_CELL;
    w.cols = w.cols < d->T ? w.cols : d->T;
    w.cell = (c->w - w.x0 - 16) / (w.cols ? w.cols : 1);
    w.cell = w.cell > MAX_CELL ? MAX_CELL : w.cell;
    int cursor = step - d->n_rows, next = cursor + 1 < d->T ? cursor + 1 : cursor;
    double cur = cursor < 0 ? -1 : sl_lerp(cursor, next, tw); /* the cursor, moving on */
    if (step == d->n_rows - 1 && d->n_rows < run->n_steps)
        cur = sl_lerp(-1, 0, tw); /* arriving at step 0 */
    w.w0 = sl_lerp(window_start(&w, cursor, d->T), window_start(&w, next, d->T), tw);
    int heat_h = d->units ? 2 * d->units * 10 + lh + sl_scale_height() + 34 : 0;
    int row_h = (bottom - top - sh - heat_h - 20) / (d->n_rows + 1);
    row_h = row_h > 32 ? 32 : row_h;
    int y0 = top + sh + 4, y = y0;
    step_numbers(c, &w, top, d->T);
    if (w.w0 > 0)
        sl_canvas_text_aligned(c, w.x0 - 6, top, SL_ALIGN_RIGHT, "\xE2\x80\xA6", SL_TEXT_SMALL,
                               SL_INK);
    if (w.w0 + w.cols < d->T)
        sl_canvas_text(c, w.x0 + w.cols * w.cell + 2, top, "\xE2\x80\xA6", SL_TEXT_SMALL, SL_INK);
    int shown_rows = step < d->n_rows ? step + 1 : d->n_rows; /* the mask has reached row step */
    for (int i = 0; i < d->n_rows; i++, y += row_h) {         /* the labels */
        const SlLayer *l = m->nodes[d->node[i]].layer;
        snprintf(line, sizeof line, "%s (%s)", l->name, l->type->name);
        sl_draw_text_in(c, 16, y + (row_h - lh) / 2, label_w, line, SL_TEXT_LABEL);
        if (i < shown_rows && !d->has_mask[i])
            sl_canvas_text(c, w.x0, y + (row_h - lh) / 2, "no mask", SL_TEXT_LABEL, SL_INK);
    }
    snprintf(line, sizeof line, "loss counts %d of %d", d->real, d->T);
    sl_canvas_text(c, 16, y + (row_h - lh) / 2, line, SL_TEXT_HEADING, SL_INK);
    sl_canvas_clip(c, w.x0 - 2, 0, w.cols * w.cell + 2, c->h); /* cells scroll in the window */
    y = y0;
    for (int i = 0; i < d->n_rows; i++, y += row_h) {
        int arriving = i == step + 1 && tw > 0 && step + 1 < d->n_rows;
        if ((i >= shown_rows && !arriving) || !d->has_mask[i])
            continue;
        /* arriving: the strip slides down from the row above, its hatching moving with it */
        int yy = arriving ? (int)lround(sl_lerp(y - row_h, y, tw)) : y;
        draw_strip(c, &w, yy + 2, row_h - 6, d->mask + (size_t)i * d->T, d->T,
                   arriving ? (int)lround(tw * 12) : 0);
    }
    /* the loss: which steps of sample 0 it counts */
    if (step >= d->n_rows - 1)
        draw_strip(c, &w, y + 2, row_h - 6, last, d->T, 0);
    y += row_h + 10;
    if (d->units) {
        double range = fmax(sl_range_of(d->h_mask, (size_t)d->units * d->T, NULL),
                            sl_range_of(d->h_free, (size_t)d->units * d->T, NULL));
        const SlLayer *l = m->nodes[d->rnn_node].layer;
        sl_canvas_clip(c, -1, -1, -1, -1);
        snprintf(line, sizeof line, "%s's h (first %d units), step by step:", l->name, d->units);
        sl_canvas_text(c, 16, y, line, SL_TEXT_HEADING, SL_INK);
        sl_draw_scale(c, c->w - 16 - sl_scale_min_width(range, 1) - 40, y,
                      sl_scale_min_width(range, 1) + 40, range, 1, SL_ROLE_STATE);
        y += lh + 8;
        sl_canvas_text(c, 16, y + (d->units * 10 - lh) / 2, "with the mask", SL_TEXT_LABEL, SL_INK);
        sl_canvas_text(c, 16, y + d->units * 10 + 8 + (d->units * 10 - lh) / 2, "without a mask",
                       SL_TEXT_LABEL, SL_INK);
        sl_canvas_clip(c, w.x0 - 2, 0, w.cols * w.cell + 2, c->h);
        draw_h(c, &w, y, d->h_mask, d->units, d->T, range, "h with the mask");
        y += d->units * 10 + 8;
        draw_h(c, &w, y, d->h_free, d->units, d->T, range, "h without a mask");
        y += d->units * 10;
    }
    if (cur >= 0) { /* the cursor: a frame over the current step's column */
        double cx = step_x(&w, cur);
        sl_canvas_round_frame(c, cx - 3, y0 - 2, w.cell + 4, y - y0 + 6, 3, 2.5, SL_INK);
    }
    sl_canvas_clip(c, -1, -1, -1, -1);
    caption_for(run, said, caption, sizeof caption);
    sl_scene_caption(c, caption);
}

const SlScene sl_scene_mask = {
    .name = "mask",
    .what = "padded steps and the mask travelling layer by layer; h carried over masked steps",
    .draws_data = 1,
    .can_draw = sl_scene_draws_any,
    .prepare = mask_prepare,
    .draw = mask_draw,
    .release = mask_release,
};
