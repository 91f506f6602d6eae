/* scene_mask.c: padding with and without a mask, side by side.
 *
 * A sample padded in front to T steps (pad_sequences' default, padding='pre'). Left, the model as
 * it is, with its Masking layer (or Embedding(mask_zero=True)): the padded steps are hatched at every
 * layer the mask reaches, and the rows say where a layer drops it; the first recurrent layer's h
 * stays flat over the padded steps (a masked step carries the state over), and the loss counts only
 * the real steps. Right, the same sample without a mask: the padding is read like data, h drifts
 * over it before the real steps begin, and the loss averages over every step. The states come from
 * the layer's own cell (sl_rnn_steps), stepped one timestep at a time so a masked step can be held.
 * Each step of the scene shows one more timestep.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "rnn.h"
#include "scene.h"
#include "widgets.h"

enum { T = 10, PAD = 4, MAX_ROWS = 8, SHOWN = 8 };

typedef struct MaskRun {
    int biased;        /* the layer's biases were all zero: drawn with 0.1 as after training */
    double h_scale;    /* the largest |h| drawn */
    int start;         /* the node that starts the mask (Masking, Embedding) */
    int rnn;           /* the first recurrent layer after it, or -1 */
    int F, u;          /* the recurrent layer's input features and units */
    sl_real x[T * 64]; /* its input for the sample, padded steps first */
    sl_real h_mask[T * SHOWN], h_plain[T * SHOWN]; /* h after each step, the first SHOWN units */
} MaskRun;

static int starts_mask(const SlNode *nd)
{
    return nd->sym.n_out == 1 && nd->sym.out_mask[0] == SL_MASK_NEW;
}

static int first_starter(const SlModel *m)
{
    for (int n = 0; n < m->n_nodes; n++)
        if (starts_mask(&m->nodes[n]))
            return n;
    return -1;
}

static int mask_fits(const SlModel *m)
{
    return first_starter(m) >= 0 ? 5 : 0;
}

/* The recurrent layer's input for the sample: the Masking layer's (the data itself), or the
 * Embedding's rows for codes 1, 2, ... with code 0 on the padded steps. */
static int rnn_input(const SlModel *m, MaskRun *d, SlError *e)
{
    const SlLayer *s = m->nodes[d->start].layer;
    SlRng r = sl_rng(5);
    for (int t = 0; t < T; t++)
        for (int f = 0; f < d->F; f++) {
            double v = sl_rng_range(&r, -1, 1);
            if (!strcmp(s->type->name, "Embedding")) {
                int rows = s->params[0].shape.dim[0], code = t < PAD ? 0 : 1 + (t % (rows - 1));
                v = s->params[0].value.data[(size_t)code * d->F + f];
            } else if (t < PAD) {
                v = 0; /* Masking's mask_value, in every feature */
            }
            d->x[t * d->F + f] = (sl_real)v;
        }
    if (d->F > 64)
        return sl_errorf(e, "the mask scene draws inputs of up to 64 features, not %d", d->F);
    return 0;
}

/* h after each step, stepping the cell one step at a time; masked steps hold h and c. */
static int states(const SlLayer *l, MaskRun *d, int masked, sl_real *out, SlError *e)
{
    sl_real h[256] = {0}, c[256] = {0};
    for (int t = 0; t < T; t++) {
        if (!(masked && t < PAD)) {
            SlRnnSteps s;
            if (sl_rnn_steps(l, d->x + t * d->F, 1, h, c, &s, e) < 0)
                return -1;
            memcpy(h, s.h + d->u, (size_t)d->u * sizeof *h);
            if (s.c)
                memcpy(c, s.c + d->u, (size_t)d->u * sizeof *c);
            sl_rnn_steps_free(&s);
        }
        for (int j = 0; j < SHOWN; j++)
            out[t * SHOWN + j] = j < d->u ? h[j] : 0;
    }
    return 0;
}

/* Both sides' h. An untrained layer has zero biases, and zeros in then leave h at 0, so the
 * padding's effect would not show: the states are then drawn with biases of 0.1, as training
 * leaves them, and the layer's own are put back. */
static int run_states(SlLayer *l, MaskRun *d, SlError *e)
{
    SlParam *b = l->n_params > 2 ? &l->params[2] : NULL;
    size_t n = b ? sl_shape_count(&b->shape) : 0;
    sl_real keep[1024];
    d->biased = b && n <= 1024;
    for (size_t i = 0; d->biased && i < n; i++)
        d->biased &= b->value.data[i] == 0 || (i >= n / 4 && i < n / 2); /* LSTM's forget 1s */
    if (d->biased) {
        memcpy(keep, b->value.data, n * sizeof *keep);
        for (size_t i = 0; i < n; i++)
            b->value.data[i] += (sl_real)0.1;
    }
    int rc = states(l, d, 1, d->h_mask, e) < 0 || states(l, d, 0, d->h_plain, e) < 0 ? -1 : 0;
    if (d->biased)
        memcpy(b->value.data, keep, n * sizeof *keep);
    d->h_scale = 1e-12;
    for (int i = 0; i < T * SHOWN; i++)
        d->h_scale =
            fmax(d->h_scale, fmax(fabs((double)d->h_mask[i]), fabs((double)d->h_plain[i])));
    return rc;
}

static int mask_prepare(SlSceneRun *run, SlError *e)
{
    const SlModel *m = run->m;
    int start = first_starter(m);
    if (start < 0)
        return sl_errorf(e, "the mask scene needs a Masking layer or an Embedding(mask_zero=True)");
    if (sl_model_ensure_params(run->m, e) < 0)
        return -1;
    MaskRun *d = sl_alloc_zero(1, sizeof *d);
    if (!d)
        return sl_errorf(e, "out of memory");
    run->priv = d;
    d->start = start, d->rnn = -1;
    for (int n = start + 1; n < m->n_nodes && d->rnn < 0; n++)
        if (sl_rnn_is_recurrent(m->nodes[n].layer) && m->nodes[n].in[0] == m->nodes[start].out[0])
            d->rnn = n;
    if (d->rnn >= 0) {
        const SlNode *nd = &m->nodes[d->rnn];
        d->F = nd->sym.in[0].dim[2];
        d->u = nd->sym.out[0].dim[nd->sym.out[0].rank - 1];
        if (d->u > 256)
            return sl_errorf(e, "the mask scene draws up to 256 units");
        if (rnn_input(m, d, e) < 0 || run_states(nd->layer, d, e) < 0)
            return -1;
    }
    run->n_steps = T;
    return 0;
}

static void mask_release(SlSceneRun *run)
{
    sl_free(run->priv);
    run->priv = NULL;
}

/* One layer's row: its name and T cells, padded ones hatched where a mask covers them. */
static int layer_row(SlCanvas *c, int x, int y, int w, int cell, const SlNode *nd, int has_mask,
                     int masked_side, int upto)
{
    char s[96], sh[64];
    int lw, lh;
    sl_canvas_text_size("M", SL_TEXT_SCALE, &lw, &lh);
    sl_shape_str(&nd->sym.out[0], sh, sizeof sh);
    snprintf(s, sizeof s, "%s %s%s", nd->layer->name, sh,
             masked_side ? (has_mask ? " +mask" : " (mask dropped)") : "");
    sl_draw_text_fit(c, x, y, s, nd->layer->name);
    int cy = y + lh + 4;
    for (int t = 0; t < T; t++) {
        int cx = x + t * (cell + 3), pad = t < PAD;
        if (t > upto) {
            sl_canvas_rect(c, cx, cy, cell, cell, 1, SL_GRID);
            continue;
        }
        sl_canvas_fill_rect(c, cx, cy, cell, cell, SL_WHITE);
        if (pad && masked_side && has_mask)
            sl_canvas_hatch(c, cx, cy, cell, cell, 4, sl_role_color(SL_ROLE_MASK));
        else if (pad)
            sl_canvas_hatch(c, cx, cy, cell, cell, 6, sl_role_color(SL_ROLE_PADDING));
        else
            sl_canvas_fill_rect(c, cx + 2, cy + 2, cell - 4, cell - 4,
                                sl_role_color(SL_ROLE_INPUT));
        sl_canvas_rect(c, cx, cy, cell, cell, 1, SL_INK);
    }
    sl_canvas_record(c, SL_ITEM_WIDGET, x, cy, PAD * (cell + 3) - 3, cell,
                     masked_side && has_mask ? SL_ROLE_MASK : SL_ROLE_PADDING, 0, "padded steps");
    if (upto >= PAD)
        sl_canvas_record(c, SL_ITEM_WIDGET, x + PAD * (cell + 3), cy, (T - PAD) * (cell + 3) - 3,
                         cell, SL_ROLE_INPUT, 0, "real steps");
    (void)w;
    return lh + 4 + cell + 10;
}

/* One side: the layers from the mask's start on, then h of the recurrent layer, then the loss. */
static void draw_side(SlCanvas *c, const SlSceneRun *run, const MaskRun *d, int x, int y0, int w,
                      int masked, int step)
{
    const SlModel *m = run->m;
    int lw, lh, cell = (w - 20) / T - 3;
    cell = cell > 48 ? 48 : cell;
    sl_canvas_text_size("M", SL_TEXT_SCALE, &lw, &lh);
    sl_canvas_text(c, x, y0, masked ? "with the mask" : "the same padding, no mask", SL_TEXT_SCALE,
                   SL_INK);
    int y = y0 + lh + 14, has = 1, rows = 0;
    for (int n = d->start; n < m->n_nodes && rows < MAX_ROWS; n++, rows++) {
        const SlNode *nd = &m->nodes[n];
        has = nd->sym.out_mask[0] != SL_MASK_NONE;
        y += layer_row(c, x, y, w, cell, nd, has, masked, step);
        if (n == d->rnn)
            break;
    }
    if (d->rnn >= 0) {
        const sl_real *h = masked ? d->h_mask : d->h_plain;
        char s[96];
        snprintf(s, sizeof s, "%s's h after each step", m->nodes[d->rnn].layer->name);
        sl_draw_text_fit(c, x, y, s, "h");
        y += lh + 4;
        for (int t = 0; t <= step && t < T; t++)
            sl_draw_bars(c, x + t * (cell + 3), y, cell, 70, h + t * SHOWN,
                         d->u < SHOWN ? d->u : SHOWN, 1, d->h_scale, SL_ROLE_STATE, "h");
        y += 84;
    }
    char s[128];
    int real = step + 1 > PAD ? step + 1 - PAD : 0, all = step + 1;
    if (masked)
        snprintf(s, sizeof s, "loss: mean over %d real step%s", real, real == 1 ? "" : "s");
    else
        snprintf(s, sizeof s, "loss: mean over all %d steps", all);
    sl_canvas_text(c, x, y, s, SL_TEXT_SCALE, SL_INK);
    if (d->rnn >= 0 && !masked) { /* how far the padding moved h */
        double diff = 0;
        for (int j = 0; j < SHOWN; j++)
            diff = fmax(diff, fabs((double)d->h_plain[step * SHOWN + j] -
                                   (double)d->h_mask[step * SHOWN + j]));
        snprintf(s, sizeof s, "h differs from the masked run by up to %.3f", diff);
        sl_draw_text_fit(c, x, y + lh + 10, s, "h differs");
    }
}

static void mask_draw(const SlSceneRun *run, int step, SlCanvas *c)
{
    const MaskRun *d = run->priv;
    char title[200], caption[600];
    int s = step < 0 ? 0 : step >= T ? T - 1 : step;
    sl_canvas_clear(c, SL_PAPER);
    snprintf(title, sizeof title, "%s: %d padded steps in front of %d real ones",
             run->m->nodes[d->start].layer->name, PAD, T - PAD);
    SlRole roles[4] = {SL_ROLE_MASK, SL_ROLE_PADDING}; /* then the others that are drawn yet */
    int nr = 2;
    if (s >= PAD)
        roles[nr++] = SL_ROLE_INPUT;
    if (d->rnn >= 0)
        roles[nr++] = SL_ROLE_STATE;
    int top = sl_scene_title(c, title, sl_legend_width(roles, nr) + 16) + 12;
    sl_draw_legend(c, c->w - sl_legend_width(roles, nr) - 8, 8, roles, nr);
    int half = (c->w - 48) / 2;
    draw_side(c, run, d, 16, top, half, 1, s);
    sl_canvas_fill_rect(c, 24 + half, top, 2, c->h - top - sl_scene_caption_height() - 8, SL_GRID);
    draw_side(c, run, d, 32 + half, top, half, 0, s);
    const char *bias = d->biased ? " (the untrained layer's zero biases drawn as 0.1)" : "";
    if (s < PAD)
        snprintf(caption, sizeof caption,
                 "Step %d is padding. With the mask the layers skip it: h stays at 0 and the loss "
                 "will not count it. Without a mask the padding is read like data and h moves%s.",
                 s + 1, bias);
    else
        snprintf(caption, sizeof caption,
                 "Step %d is real. With the mask h starts from where it was before the padding "
                 "(0), so the output is that of the unpadded sequence; without one it starts from "
                 "whatever the padding left%s.",
                 s + 1, bias);
    sl_scene_caption(c, caption);
}

const SlScene sl_scene_mask = {
    .name = "mask",
    .what = "padding with and without a mask: hatched steps layer by layer, h held over them, "
            "the loss counting only real steps",
    .fits = mask_fits,
    .prepare = mask_prepare,
    .draw = mask_draw,
    .release = mask_release,
};
