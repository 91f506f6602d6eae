/* scene_mask.c: a padded batch and its mask, for a model that makes one (Masking, or Embedding
 * with mask_zero=True).
 *
 * The first sample of a seeded batch gets its last third zeroed (post-padding). Top: every layer
 * call with the mask its output carries (the trace's masks, step by step: real steps filled,
 * padded steps hatched), or "no mask" where a layer dropped it. Middle: the first recurrent layer's
 * h for that sample, stepped with src/layers/rnn.c's own cell (sl_rnn_steps): with the mask a padded step
 * keeps h, without it the cell runs over the zeros and h drifts. Bottom: which steps the loss
 * counts (sum(l*m)/sum(m)). Each step of the scene moves a cursor one timestep on.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "gradcheck.h"
#include "layers/rnn.h"
#include "scene.h"
#include "widgets.h"

enum { MAX_T = 32, MAX_ROWS = 12, SHOWN_UNITS = 8 };

typedef struct MaskRun {
    int T, n_rows;
    int node[MAX_ROWS];
    int has_mask[MAX_ROWS];
    unsigned char mask[MAX_ROWS][MAX_T]; /* sample 0's mask after each call */
    int rnn_node, units, F;              /* the first recurrent layer, or -1 */
    sl_real *rnn_x;                      /* (T, F) its input for sample 0 */
    sl_real h_mask[MAX_T * SHOWN_UNITS], h_free[MAX_T * SHOWN_UNITS]; /* (units shown, T) */
    double drift; /* largest |h change| over padded steps, no mask */
    int real;     /* unmasked steps of sample 0 at the output */
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
        d->mask[r][t] = mk[t];
    if (n == d->rnn_node) {
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
    int U = all.units, shown = U < SHOWN_UNITS ? U : SHOWN_UNITS;
    sl_real h[1024] = {0}, cc[1024] = {0};
    d->units = shown;
    for (int t = 0; t < d->T && U <= 1024; t++) {
        if (mask[t]) {
            if (sl_rnn_steps(l, d->rnn_x + (size_t)t * d->F, 1, h, all.c ? cc : NULL, &one, e) <
                0) {
                sl_rnn_steps_free(&all);
                return -1;
            }
            memcpy(h, one.h + U, (size_t)U * sizeof *h);
            if (one.c)
                memcpy(cc, one.c + U, (size_t)U * sizeof *cc);
            sl_rnn_steps_free(&one);
        }
        for (int j = 0; j < shown; j++) {
            d->h_mask[j * d->T + t] = h[j];
            d->h_free[j * d->T + t] = all.h[(size_t)(t + 1) * U + j];
            if (!mask[t])
                d->drift = fmax(d->drift, fabs((double)all.h[(size_t)(t + 1) * U + j] -
                                               (double)all.h[(size_t)t * U + j]));
        }
    }
    sl_rnn_steps_free(&all);
    return 0;
}

static int mask_prepare(SlSceneRun *run, SlError *e)
{
    SlModel *m = run->m;
    if (!makes_mask(m))
        return sl_errorf(e, "the mask scene needs a model that makes a mask: Masking(...) or "
                            "Embedding(..., mask_zero=True)");
    const SlShape *sym = &m->t[m->inputs[0]].shape;
    if (sym->rank < 2)
        return sl_errorf(e, "the mask scene needs a timesteps axis on the input");
    MaskRun *d = sl_alloc_zero(1, sizeof *d);
    if (!d)
        return sl_errorf(e, "out of memory");
    run->priv = d;
    d->rnn_node = -1;
    for (int n = 0; n < m->n_nodes && d->rnn_node < 0; n++)
        if (sl_layer_is(m->nodes[n].layer, SL_KIND_RECURRENT))
            d->rnn_node = n;
    SlShape in = *sym;
    for (int k = 0; k < in.rank; k++)
        if (in.dim[k] == SL_NONE)
            in.dim[k] = k == 0 ? run->batch : run->timesteps;
    d->T = in.dim[1] < MAX_T ? in.dim[1] : MAX_T;
    if (d->rnn_node >= 0)
        d->F = m->nodes[d->rnn_node].sym.in[0].dim[2];
    if (in.dim[1] > MAX_T || m->n_inputs != 1)
        return sl_errorf(e, "the mask scene draws one input of at most %d timesteps", MAX_T);
    size_t per = sl_shape_count(&in) / (size_t)in.dim[0], pad = (size_t)d->T / 3 + 1;
    sl_real *x = sl_alloc_zero(sl_shape_count(&in) + 1, sizeof(sl_real));
    if (!x)
        return sl_errorf(e, "out of memory");
    SlTensor X = sl_tensor(in, x);
    SlRng r = sl_rng(42);
    sl_gradcheck_fill_model_input(m, 0, &X, &r);
    size_t step = per / (size_t)d->T;                           /* values per timestep */
    memset(x + (d->T - pad) * step, 0, pad * step * sizeof *x); /* sample 0: padded at the end */
    const SlObserver *old = m->obs;
    SlObserver obs = {on_layer, run};
    sl_model_set_observer(m, &obs);
    int rc = sl_model_forward(m, &X, 0, e);
    sl_model_set_observer(m, old);
    sl_free(x);
    if (rc < 0)
        return -1;
    const unsigned char *first = NULL; /* the first mask made: what the RNN reads */
    for (int i = 0; i < d->n_rows && !first; i++)
        if (d->has_mask[i])
            first = d->mask[i];
    for (int i = d->n_rows - 1; i >= 0; i--)
        if (m->nodes[d->node[i]].layer == m->nodes[m->t[m->outputs[0]].node].layer) {
            d->real = 0;
            for (int t = 0; t < d->T; t++)
                d->real += d->has_mask[i] ? d->mask[i][t] : 1;
            break;
        }
    if (d->rnn_node >= 0 && d->rnn_x && first && step_states(run, first, e) < 0)
        return -1;
    run->n_steps = d->T;
    return 0;
}

static void mask_release(SlSceneRun *run)
{
    MaskRun *d = run->priv;
    if (d)
        sl_free(d->rnn_x);
    sl_free(d);
    run->priv = NULL;
}

/* ---- drawing ---- */

/* A strip of T cells, the mask's values: real steps (1) white, masked ones (0) hatched in the
 * mask's colour; the cursor's cell framed. */
static void draw_strip(SlCanvas *c, int x, int y, int cell, int h, const unsigned char *mask, int T,
                       int cursor)
{
    int cw, ch;
    sl_canvas_text_size("0", SL_TEXT_SCALE, &cw, &ch);
    for (int t = 0; t < T; t++) {
        int cx = x + t * cell, real = mask ? mask[t] : 1;
        sl_canvas_fill_rect(c, cx, y, cell - 2, h, SL_WHITE);
        if (!real)
            sl_canvas_hatch(c, cx, y, cell - 2, h, 6, sl_role_color(SL_ROLE_MASK));
        sl_canvas_rect(c, cx, y, cell - 2, h, t == cursor ? 3 : 1,
                       t == cursor ? SL_HIGHLIGHT : SL_INK);
        sl_canvas_record(c, SL_ITEM_WIDGET, cx, y, cell - 2, h, real ? SL_ROLE_NONE : SL_ROLE_MASK,
                         0, real ? "mask 1" : "mask 0");
        if (cell - 2 >= cw + 6 && h >= ch + 2)
            sl_canvas_text(c, cx + (cell - 2 - cw) / 2, y + (h - ch) / 2, real ? "1" : "0",
                           SL_TEXT_SCALE, SL_INK);
    }
}

/* h as a grid of (units, T) cells 10 px tall, columns under the strips' steps: positive values
 * shade towards the state colour, negative ones towards grey, on one scale mx for both grids. */
static void draw_h(SlCanvas *c, int xl, int x, int y, int cell, const sl_real *h, int U, int T,
                   double mx, const char *label, int cursor)
{
    SlColor st = sl_role_color(SL_ROLE_STATE);
    int cw, ch;
    sl_canvas_text_size(label, SL_TEXT_SCALE, &cw, &ch);
    sl_canvas_text(c, xl, y + (U * 10 - ch) / 2, label, SL_TEXT_SCALE, SL_INK);
    for (int j = 0; j < U; j++)
        for (int t = 0; t < T; t++) {
            double v = fmax(-1.0, fmin(1.0, (double)h[j * T + t] / mx));
            SlColor to = v >= 0 ? st : SL_INK, col;
            double a = v >= 0 ? v : -0.8 * v;
            col.r = (uint8_t)(SL_WHITE.r + (to.r - SL_WHITE.r) * a);
            col.g = (uint8_t)(SL_WHITE.g + (to.g - SL_WHITE.g) * a);
            col.b = (uint8_t)(SL_WHITE.b + (to.b - SL_WHITE.b) * a);
            col.a = 255;
            sl_canvas_fill_rect(c, x + t * cell, y + j * 10, cell - 2, 10, col);
        }
    sl_canvas_rect(c, x - 1, y - 1, T * cell, U * 10 + 2, 1, SL_INK);
    if (cursor >= 0 && cursor < T)
        sl_canvas_rect(c, x + cursor * cell - 1, y - 1, cell, U * 10 + 2, 2, SL_HIGHLIGHT);
    sl_canvas_record(c, SL_ITEM_WIDGET, x - 1, y - 1, T * cell, U * 10 + 2, SL_ROLE_STATE, 0,
                     label);
}

static void mask_draw(const SlSceneRun *run, int step, SlCanvas *c)
{
    const MaskRun *d = run->priv;
    const SlModel *m = run->m;
    char title[256], caption[700], line[160];
    int cw, ch;
    sl_canvas_text_size("M", SL_TEXT_SCALE, &cw, &ch);
    sl_canvas_clear(c, SL_PAPER);
    snprintf(title, sizeof title, "model \"%s\": padding, and the mask that travels with it",
             m->name);
    SlRole roles[2] = {SL_ROLE_MASK, SL_ROLE_STATE};
    int n_roles = d->units ? 2 : 1;
    int top = sl_scene_title(c, title, sl_legend_width(roles, n_roles) + 16) + 10;
    sl_draw_legend(c, c->w - sl_legend_width(roles, n_roles) - 8, 8, roles, n_roles);
    int bottom = c->h - sl_scene_caption_height() - 8;
    int x0 = 16 + 34 * cw, cell = (c->w - x0 - 16) / d->T;
    cell = cell > 56 ? 56 : cell;
    int heat_h = d->units ? 2 * d->units * 10 + ch + 30 : 0;
    int row_h = (bottom - top - heat_h - 2 * ch - 30) / (d->n_rows + 1);
    row_h = row_h > 34 ? 34 : row_h;
    int y = top, cursor = step;
    for (int i = 0; i < d->n_rows; i++, y += row_h) {
        const SlLayer *l = m->nodes[d->node[i]].layer;
        snprintf(line, sizeof line, "%s (%s)", l->name, l->type->name);
        sl_draw_text_fit(c, 16, y + (row_h - ch) / 2, line, l->name);
        if (d->has_mask[i])
            draw_strip(c, x0, y + 2, cell, row_h - 6, d->mask[i], d->T, cursor);
        else
            sl_canvas_text(c, x0, y + (row_h - ch) / 2, "no mask", SL_TEXT_SCALE, SL_INK);
    }
    /* the loss: which steps of sample 0 it counts */
    snprintf(line, sizeof line, "loss counts %d of %d", d->real, d->T);
    sl_canvas_text(c, 16, y + (row_h - ch) / 2, line, SL_TEXT_SCALE, SL_INK);
    const unsigned char *last = NULL;
    for (int i = d->n_rows - 1; i >= 0 && !last; i--)
        last = d->has_mask[i] ? d->mask[i] : NULL;
    draw_strip(c, x0, y + 2, cell, row_h - 6, last, d->T, cursor);
    y += row_h + 10;
    if (d->units) {
        double mx = 1e-12;
        for (int i = 0; i < d->units * d->T; i++)
            mx = fmax(mx, fmax(fabs((double)d->h_mask[i]), fabs((double)d->h_free[i])));
        const SlLayer *l = m->nodes[d->rnn_node].layer;
        snprintf(line, sizeof line, "%s's h (first %d units), step by step:", l->name, d->units);
        sl_canvas_text(c, 16, y, line, SL_TEXT_SCALE, SL_INK);
        y += ch + 6;
        draw_h(c, 16, x0, y, cell, d->h_mask, d->units, d->T, mx, "with the mask", step);
        y += d->units * 10 + 8;
        draw_h(c, 16, x0, y, cell, d->h_free, d->units, d->T, mx, "without a mask", step);
    }
    int t = step < d->T ? step : d->T - 1;
    const unsigned char *mk = last ? last : NULL;
    int real = mk ? mk[t] : 1;
    if (real)
        snprintf(caption, sizeof caption,
                 "Step %d/%d, a real step: the mask is 1, the recurrent layer updates h and c, "
                 "and the loss counts this step. The mask started at the masking layer and "
                 "travels with the tensor to the loss.",
                 t + 1, d->T);
    else
        snprintf(caption, sizeof caption,
                 "Step %d/%d, a padded step (all features 0): masked, so h and c are carried over "
                 "unchanged and the loss leaves it out (sum(l*m)/sum(m) over %d steps). Without "
                 "the mask the cell runs on the zeros: h moves by up to %.3f per padded step.",
                 t + 1, d->T, d->real, d->drift);
    sl_scene_caption(c, caption);
}

const SlScene sl_scene_mask = {
    .name = "mask",
    .what = "padded steps and the mask travelling layer by layer; h carried over masked steps",
    .can_draw = sl_scene_draws_any,
    .prepare = mask_prepare,
    .draw = mask_draw,
    .release = mask_release,
};
