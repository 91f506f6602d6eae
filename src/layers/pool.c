/* pool.c: the weightless layers of the convolution family: pooling, global pooling, ZeroPadding
 * and Cropping (UpSampling, the way back up, is upsampling.c).
 *
 * Shapes (channels_last; 1-D is the 2-D case with one row, as in conv.c):
 *   MaxPooling1D / AveragePooling1D   (batch, steps, ch)        -> (batch, steps', ch)
 *   MaxPooling2D / AveragePooling2D   (batch, rows, cols, ch)   -> (batch, rows', cols', ch)
 *       a window of pool_size cells moves by strides (default: pool_size); lengths as conv.h's
 *       sl_conv_out_len with dilation 1. Each channel is pooled on its own.
 *   GlobalMax/AveragePooling1D/2D     (batch, ..., ch)          -> (batch, ch)  (keepdims: 1s kept)
 *   ZeroPadding1D/2D                  zeros added before and after along the steps (rows, cols)
 *   Cropping1D/2D                     steps (rows, cols) cut off at the start and the end
 *
 * Forward and backward:
 *   max       y = the largest real cell of the window (padding never wins);
 *             dx[the first cell holding it] += dy
 *   average   y = sum of the real cells / their count ('same' leaves the padding out of the
 *             divisor, as TensorFlow does);  dx[every real cell] += dy / count
 *   global    the same over all positions; GlobalAveragePooling1D with a mask averages the unmasked
 *             steps only (Keras's masked mean), a sample with every step masked gives zeros
 *   padding / cropping   a copy with an offset: dx gathers dy back from where forward put x.
 * Every one of them drops a mask (GlobalAveragePooling1D uses it first).
 * With data_format='channels_first' (batch, ch, ...) the loops are the same: layout.h moves the
 * channels last on the way in and first on the way out.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "conv.h"
#include "layer.h"
#include "layout.h"

/* ---- window pooling kernels (SlConvGeom with CI = CO = channels, KH x KW the pool) ---- */

/* y (B, OH, OW, C) = the max of each window; the innermost loop runs along the channels. */
static void max_pool_forward_k(sl_real *y, const sl_real *x, const SlConvGeom *g)
{
    size_t C = (size_t)g->CI;
    for (int b = 0; b < g->B; b++)
        for (int oh = 0; oh < g->OH; oh++)
            for (int ow = 0; ow < g->OW; ow++) {
                sl_real *yo = y + (((size_t)b * g->OH + oh) * g->OW + ow) * C;
                for (size_t c = 0; c < C; c++)
                    yo[c] = (sl_real)-INFINITY;
                for (int kh = 0; kh < g->KH; kh++) {
                    int ih = oh * g->sh - g->ph + kh;
                    for (int kw = 0; kw < g->KW && ih >= 0 && ih < g->H; kw++) {
                        int iw = ow * g->sw - g->pw + kw;
                        if (iw < 0 || iw >= g->W)
                            continue;
                        const sl_real *xi = x + (((size_t)b * g->H + ih) * g->W + iw) * C;
                        for (size_t c = 0; c < C; c++)
                            yo[c] = xi[c] > yo[c] ? xi[c] : yo[c];
                    }
                }
            }
}

/* dx += dy routed to the first cell of each window that holds the max y. The window's cells are
 * visited in the forward's order, each along its channels (contiguous), a channel's flag saying
 * whether its max was found already; channels go CHUNK at a time. Adding 0 where the max is not
 * leaves dx as it was. */
static void max_pool_backward_k(sl_real *dx, const sl_real *dy, const sl_real *x, const sl_real *y,
                                const SlConvGeom *g)
{
    enum { CHUNK = 64 };
    size_t C = (size_t)g->CI;
    for (int b = 0; b < g->B; b++)
        for (int oh = 0; oh < g->OH; oh++)
            for (int ow = 0; ow < g->OW; ow++)
                for (size_t c0 = 0; c0 < C; c0 += CHUNK) {
                    size_t o = (((size_t)b * g->OH + oh) * g->OW + ow) * C + c0;
                    size_t n = C - c0 < CHUNK ? C - c0 : CHUNK;
                    unsigned char found[CHUNK] = {0};
                    for (int kh = 0; kh < g->KH; kh++) {
                        int ih = oh * g->sh - g->ph + kh;
                        for (int kw = 0; kw < g->KW && ih >= 0 && ih < g->H; kw++) {
                            int iw = ow * g->sw - g->pw + kw;
                            if (iw < 0 || iw >= g->W)
                                continue;
                            size_t i = (((size_t)b * g->H + ih) * g->W + iw) * C + c0;
                            for (size_t c = 0; c < n; c++) { /* no branch: a hit adds dy, else 0 */
                                int hit = !found[c] & (x[i + c] == y[o + c]);
                                dx[i + c] += hit ? dy[o + c] : 0;
                                found[c] |= (unsigned char)hit;
                            }
                        }
                    }
                }
}

/* Real (not padding) cells of output (oh, ow)'s window. */
static int window_cells(const SlConvGeom *g, int oh, int ow)
{
    int rows = 0, cols = 0;
    for (int kh = 0; kh < g->KH; kh++) {
        int ih = oh * g->sh - g->ph + kh;
        rows += ih >= 0 && ih < g->H;
    }
    for (int kw = 0; kw < g->KW; kw++) {
        int iw = ow * g->sw - g->pw + kw;
        cols += iw >= 0 && iw < g->W;
    }
    return rows * cols;
}

/* Average pooling both ways: forward y = sum / count; backward (dir 1) dx += dy / count, from
 * the same walk over each window's real cells. */
static void avg_pool_k(sl_real *y_or_dx, const sl_real *x_or_dy, const SlConvGeom *g, int backward)
{
    size_t C = (size_t)g->CI;
    for (int b = 0; b < g->B; b++)
        for (int oh = 0; oh < g->OH; oh++)
            for (int ow = 0; ow < g->OW; ow++) {
                size_t o = (((size_t)b * g->OH + oh) * g->OW + ow) * C;
                sl_real inv = (sl_real)1 / (sl_real)window_cells(g, oh, ow);
                if (!backward)
                    memset(y_or_dx + o, 0, C * sizeof *y_or_dx);
                for (int kh = 0; kh < g->KH; kh++) {
                    int ih = oh * g->sh - g->ph + kh;
                    for (int kw = 0; kw < g->KW && ih >= 0 && ih < g->H; kw++) {
                        int iw = ow * g->sw - g->pw + kw;
                        if (iw < 0 || iw >= g->W)
                            continue;
                        size_t i = (((size_t)b * g->H + ih) * g->W + iw) * C;
                        if (backward)
                            for (size_t c = 0; c < C; c++)
                                y_or_dx[i + c] += x_or_dy[o + c] * inv;
                        else
                            for (size_t c = 0; c < C; c++)
                                y_or_dx[o + c] += x_or_dy[i + c];
                    }
                }
                if (!backward)
                    for (size_t c = 0; c < C; c++)
                        y_or_dx[o + c] *= inv;
            }
}

/* ---- shared pieces ---- */

enum { KIND_MAX, KIND_AVG, KIND_PAD, KIND_CROP };

typedef struct PoolCfg {
    int rank; /* spatial axes: 1 or 2 */
    int kind;
    int k[2], s[2]; /* (height, width); 1-D uses the width */
    SlPadding padding;
    int keepdims;       /* global pooling */
    int channels_first; /* data_format='channels_first': (batch, channels, spatial...) */
    int pad[2][2];      /* ZeroPadding (+) / Cropping (-): (before, after) for (height, width) */
} PoolCfg;

static PoolCfg *new_cfg(SlLayer *l, int rank, int kind, SlError *e)
{
    PoolCfg *c = sl_alloc_zero(1, sizeof *c);
    if (!c) {
        sl_errorf(e, "out of memory");
        return NULL;
    }
    l->cfg = c;
    c->rank = rank;
    c->kind = kind;
    c->k[0] = c->k[1] = c->s[0] = c->s[1] = 1; /* a 1x1 window until the layer says otherwise */
    return c;
}

/* data_format (layout.h); channels_first moves the steps off axis 1. */
static int read_data_format(SlLayer *l, PoolCfg *c, const SlBound *b, SlError *e)
{
    if (sl_data_format_read(b, &c->channels_first, e) < 0)
        return -1;
    if (c->channels_first) /* axis 1 holds the channels */
        l->steps = SL_STEPS_ALL;
    return 0;
}

int sl_expect_spatial_input(const SlLayer *l, const SlInfer *io, int rank, int channels_first,
                            SlError *e)
{
    if (sl_layer_expect_inputs(l, io, 1, e) < 0)
        return -1;
    const SlShape *in = &io->in[0];
    if (in->rank == rank + 2)
        return 0;
    char fix[240];
    if (channels_first) {
        snprintf(fix, sizeof fix, "give each sample %s, or data_format='channels_last' for %s",
                 rank == 1 ? "(channels, steps)" : "(channels, rows, cols)",
                 rank == 1 ? "(steps, channels)" : "(rows, cols, channels)");
        return sl_layer_shape_error(
            e, l, rank == 1 ? "(batch, channels, steps)" : "(batch, channels, rows, cols)", in,
            fix);
    }
    if (rank == 1 && in->rank == 2)
        snprintf(fix, sizeof fix,
                 "a 1-D layer works along steps: give each sample (steps, channels), e.g. "
                 "reshape (N, %d) to (N, %d, 1)",
                 in->dim[1], in->dim[1]);
    else if (rank == 1 && in->rank == 4)
        snprintf(fix, sizeof fix, "for (rows, cols, channels) use the 2D layer");
    else if (rank == 2 && in->rank == 3)
        snprintf(fix, sizeof fix,
                 "for (steps, channels) use the 1D layer; an image needs (rows, cols, channels)");
    else
        snprintf(fix, sizeof fix, "give each sample %s",
                 rank == 1 ? "(steps, channels)" : "(rows, cols, channels)");
    return sl_layer_shape_error(
        e, l, rank == 1 ? "(batch, steps, channels)" : "(batch, rows, cols, channels)", in, fix);
}

/* Concrete sizes of a call as a correlation geometry (channels in = out). */
static SlConvGeom pool_geom(const PoolCfg *c, const SlShape *in, const SlShape *out)
{
    SlConvGeom g = {.B = in->dim[0], .H = 1, .OH = 1, .KH = c->k[0], .KW = c->k[1]};
    g.CI = g.CO = in->dim[in->rank - 1];
    g.W = in->dim[c->rank];
    g.OW = out->dim[c->rank];
    if (c->rank == 2)
        g.H = in->dim[1], g.OH = out->dim[1];
    g.sh = c->s[0], g.sw = c->s[1], g.dh = g.dw = 1;
    sl_conv_out_len(g.H, g.KH, g.sh, 1, c->padding, &g.ph);
    sl_conv_out_len(g.W, g.KW, g.sw, 1, c->padding, &g.pw);
    return g;
}

static void one_output_no_mask(SlInfer *io, SlShape out)
{
    io->out[0] = out;
    io->n_out = 1;
    io->out_mask[0] = SL_MASK_NONE;
}

static void io_str(const SlInfer *io, char *a, char *b, size_t n)
{
    sl_shape_str(&io->in[0], a, n);
    sl_shape_str(&io->out[0], b, n);
}

/* ---- MaxPooling1D/2D, AveragePooling1D/2D ---- */

/* Keras's pooling layers take name= by position, after data_format; MaxPooling's pool_size
 * defaults to 2, AveragePooling's is required. */
#define POOL_ARGS_AFTER_SIZE                                                                       \
    {"strides", SL_ARG_INTS | SL_ARG_OR_NONE, "None", "step between windows; None: pool_size"},    \
        {"padding", SL_ARG_STR, "'valid'",                                                         \
         "'valid' (windows inside the input) or 'same' (length ceil(n / strides))"},               \
        SL_ARG_DATA_FORMAT,                                                                        \
    {                                                                                              \
        "name", SL_ARG_STR | SL_ARG_OR_NONE, "None", "the layer's name; default: from the class"   \
    }
static const SlArgSpec max_pool_args[] = {
    {"pool_size", SL_ARG_INTS, "2", "cells of one window along each axis"},
    POOL_ARGS_AFTER_SIZE,
};
static const SlArgSpec avg_pool_args[] = {
    {"pool_size", SL_ARG_INTS, NULL, "cells of one window along each axis, like 2 or (2, 2)"},
    POOL_ARGS_AFTER_SIZE,
};

static int pool_create(SlLayer *l, const SlBound *b, SlError *e, int rank, int kind)
{
    PoolCfg *c = new_cfg(l, rank, kind, e);
    if (!c || sl_read_window_ints(b, "pool_size", rank, c->k, e) < 0 ||
        read_data_format(l, c, b, e) < 0)
        return -1;
    if (sl_bound_is_none(b, "strides"))
        memcpy(c->s, c->k, sizeof c->s);
    else if (sl_read_window_ints(b, "strides", rank, c->s, e) < 0)
        return -1;
    const char *pad = sl_bound_str(b, "padding");
    if (sl_padding_parse(pad, &c->padding) < 0 || c->padding == SL_PAD_CAUSAL)
        return sl_errorf(e, "padding='%s' is not one of 'valid', 'same'", pad);
    return 0;
}

static int max1_create(SlLayer *l, const SlBound *b, SlError *e)
{
    return pool_create(l, b, e, 1, KIND_MAX);
}
static int max2_create(SlLayer *l, const SlBound *b, SlError *e)
{
    return pool_create(l, b, e, 2, KIND_MAX);
}
static int avg1_create(SlLayer *l, const SlBound *b, SlError *e)
{
    return pool_create(l, b, e, 1, KIND_AVG);
}
static int avg2_create(SlLayer *l, const SlBound *b, SlError *e)
{
    return pool_create(l, b, e, 2, KIND_AVG);
}

static int pool_infer(SlLayer *l, SlInfer *io, SlError *e)
{
    const PoolCfg *c = l->cfg;
    if (sl_expect_spatial_input(l, io, c->rank, c->channels_first, e) < 0)
        return -1;
    SlShape out = io->in[0];
    for (int a = 0; a < c->rank; a++) {
        int ax = 2 - c->rank + a, n = out.dim[sl_spatial_axis(c->channels_first, a)];
        int o = sl_conv_out_len(n, c->k[ax], c->s[ax], 1, c->padding, NULL);
        if (n != SL_NONE && o <= 0) {
            char exp[160];
            snprintf(exp, sizeof exp,
                     "at least %d cells along axis %d for pool_size %d with padding='valid'",
                     c->k[ax], a + 1, c->k[ax]);
            return sl_layer_shape_error(e, l, exp, &io->in[0],
                                        "use a smaller pool_size, or padding='same'");
        }
        out.dim[sl_spatial_axis(c->channels_first, a)] = o;
    }
    one_output_no_mask(io, out);
    return 0;
}

/* Forward and backward of every layer here run on channels_last tensors; a channels_first call
 * comes through layout.h's helpers, with its four buffers in scratch slots 0-3. */
static void channels_first_scratch(const SlLayer *l, const SlInfer *io, SlScratchDecl *d)
{
    const PoolCfg *c = l->cfg;
    if (c->channels_first)
        sl_channels_first_scratch(io, 0, d);
}

static void pool_forward_last(SlLayer *l, SlPass *p)
{
    const PoolCfg *c = l->cfg;
    SlConvGeom g = pool_geom(c, &p->x[0].shape, &p->y[0].shape);
    if (c->kind == KIND_MAX)
        max_pool_forward_k(p->y[0].data, p->x[0].data, &g);
    else
        avg_pool_k(p->y[0].data, p->x[0].data, &g, 0);
}

static void pool_backward_last(SlLayer *l, SlPass *p)
{
    const PoolCfg *c = l->cfg;
    SlConvGeom g = pool_geom(c, &p->x[0].shape, &p->y[0].shape);
    if (c->kind == KIND_MAX)
        max_pool_backward_k(p->dx[0].data, p->dy[0].data, p->x[0].data, p->y[0].data, &g);
    else
        avg_pool_k(p->dx[0].data, p->dy[0].data, &g, 1);
}

static void pool_forward(SlLayer *l, SlPass *p)
{
    const PoolCfg *c = l->cfg;
    sl_channels_first_forward(l, p, c->channels_first, 0, pool_forward_last);
}

static void pool_backward(SlLayer *l, SlPass *p)
{
    const PoolCfg *c = l->cfg;
    sl_channels_first_backward(l, p, c->channels_first, 0, pool_backward_last);
}

static void pool_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    const PoolCfg *c = l->cfg;
    char a[96], b[96], win[32], st[32];
    io_str(io, a, b, sizeof a);
    if (c->rank == 1) {
        snprintf(win, sizeof win, "%d", c->k[1]);
        snprintf(st, sizeof st, "%d", c->s[1]);
    } else {
        snprintf(win, sizeof win, "%dx%d", c->k[0], c->k[1]);
        snprintf(st, sizeof st, "(%d, %d)", c->s[0], c->s[1]);
    }
    snprintf(buf, n,
             "%s keeps the %s of each window of %s %s, moving by %s, each channel on its own "
             "(padding='%s'): %s -> %s",
             l->type->name, c->kind == KIND_MAX ? "largest value" : "average", win,
             c->rank == 1 ? "steps" : "cells", st, sl_padding_name(c->padding), a, b);
}

/* ---- GlobalMax/AveragePooling1D/2D ---- */

static const SlArgSpec global_args[] = {
    SL_ARG_DATA_FORMAT,
    {"keepdims", SL_ARG_BOOL, "False", "keep the pooled axes with size 1"},
};

static int global_create(SlLayer *l, const SlBound *b, SlError *e, int rank, int kind)
{
    PoolCfg *c = new_cfg(l, rank, kind, e);
    if (!c || read_data_format(l, c, b, e) < 0)
        return -1;
    c->keepdims = sl_bound_bool(b, "keepdims");
    return 0;
}

static int gmax1_create(SlLayer *l, const SlBound *b, SlError *e)
{
    return global_create(l, b, e, 1, KIND_MAX);
}
static int gmax2_create(SlLayer *l, const SlBound *b, SlError *e)
{
    return global_create(l, b, e, 2, KIND_MAX);
}
static int gavg1_create(SlLayer *l, const SlBound *b, SlError *e)
{
    return global_create(l, b, e, 1, KIND_AVG);
}
static int gavg2_create(SlLayer *l, const SlBound *b, SlError *e)
{
    return global_create(l, b, e, 2, KIND_AVG);
}

static int global_infer(SlLayer *l, SlInfer *io, SlError *e)
{
    const PoolCfg *c = l->cfg;
    if (sl_expect_spatial_input(l, io, c->rank, c->channels_first, e) < 0)
        return -1;
    const SlShape *in = &io->in[0];
    if (c->channels_first && io->in_mask[0])
        return sl_layer_shape_error(e, l, "no mask with data_format='channels_first'", in,
                                    "a mask marks the steps on axis 1, where channels_first has "
                                    "the channels; use data_format='channels_last' after a "
                                    "masking layer");
    SlShape out = *in;
    if (c->keepdims) {
        for (int a = 0; a < c->rank; a++)
            out.dim[sl_spatial_axis(c->channels_first, a)] = 1;
    } else {
        int d[2] = {in->dim[0], in->dim[sl_channel_axis(c->channels_first, in->rank)]};
        out = sl_shape_of(2, d);
    }
    one_output_no_mask(io, out);
    return 0;
}

/* x (B, P, C) pooled over its P positions to y (B, C); mask (B, P) or NULL (average only). */
static void global_forward_k(sl_real *y, const sl_real *x, const unsigned char *mask, int kind,
                             size_t B, size_t P, size_t C)
{
    for (size_t b = 0; b < B; b++) {
        sl_real *yb = y + b * C;
        size_t count = 0;
        for (size_t c = 0; c < C; c++)
            yb[c] = kind == KIND_MAX ? (sl_real)-INFINITY : 0;
        for (size_t t = 0; t < P; t++) {
            const sl_real *xt = x + (b * P + t) * C;
            if (mask && !mask[b * P + t])
                continue;
            count++;
            for (size_t c = 0; c < C; c++)
                yb[c] = kind == KIND_MAX ? (xt[c] > yb[c] ? xt[c] : yb[c]) : yb[c] + xt[c];
        }
        if (kind == KIND_AVG)
            for (size_t c = 0; c < C; c++)
                yb[c] = count ? yb[c] / (sl_real)count : 0;
    }
}

static void global_backward_k(sl_real *dx, const sl_real *dy, const sl_real *x, const sl_real *y,
                              const unsigned char *mask, int kind, size_t B, size_t P, size_t C)
{
    for (size_t b = 0; b < B; b++) {
        const sl_real *gb = dy + b * C;
        if (kind == KIND_MAX) {
            for (size_t c = 0; c < C; c++)
                for (size_t t = 0; t < P; t++)
                    if (x[(b * P + t) * C + c] == y[b * C + c]) {
                        dx[(b * P + t) * C + c] += gb[c];
                        break;
                    }
            continue;
        }
        size_t count = 0;
        for (size_t t = 0; t < P; t++)
            count += !mask || mask[b * P + t];
        for (size_t t = 0; t < P && count; t++) {
            if (mask && !mask[b * P + t])
                continue;
            sl_real *dxt = dx + (b * P + t) * C;
            for (size_t c = 0; c < C; c++)
                dxt[c] += gb[c] / (sl_real)count;
        }
    }
}

static void global_sizes(const SlPass *p, size_t *B, size_t *P, size_t *C)
{
    const SlShape *s = &p->x[0].shape;
    *B = (size_t)s->dim[0];
    *C = (size_t)s->dim[s->rank - 1];
    *P = sl_shape_count(s) / (*B * *C);
}

static void global_forward_last(SlLayer *l, SlPass *p)
{
    const PoolCfg *c = l->cfg;
    size_t B, P, C;
    global_sizes(p, &B, &P, &C);
    global_forward_k(p->y[0].data, p->x[0].data, c->rank == 1 ? p->mask_in[0] : NULL, c->kind, B, P,
                     C);
}

static void global_backward_last(SlLayer *l, SlPass *p)
{
    const PoolCfg *c = l->cfg;
    size_t B, P, C;
    global_sizes(p, &B, &P, &C);
    global_backward_k(p->dx[0].data, p->dy[0].data, p->x[0].data, p->y[0].data,
                      c->rank == 1 ? p->mask_in[0] : NULL, c->kind, B, P, C);
}

static void global_forward(SlLayer *l, SlPass *p)
{
    const PoolCfg *c = l->cfg;
    sl_channels_first_forward(l, p, c->channels_first, 0, global_forward_last);
}

static void global_backward(SlLayer *l, SlPass *p)
{
    const PoolCfg *c = l->cfg;
    sl_channels_first_backward(l, p, c->channels_first, 0, global_backward_last);
}

static void global_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    const PoolCfg *c = l->cfg;
    char a[96], b[96];
    io_str(io, a, b, sizeof a);
    snprintf(buf, n, "%s keeps the %s of every %s for each channel%s: %s -> %s", l->type->name,
             c->kind == KIND_MAX ? "largest value" : "average", c->rank == 1 ? "step" : "position",
             c->kind == KIND_AVG && io->in_mask[0] ? " (the unmasked steps only)" : "", a, b);
}

/* ---- ZeroPadding1D/2D, Cropping1D/2D ---- */

static const SlArgSpec zp1_args[] = {
    {"padding", SL_ARG_ANY, "1", "zeros before and after the steps: an int, or (before, after)"},
    SL_ARG_DATA_FORMAT,
};
static const SlArgSpec zp2_args[] = {
    {"padding", SL_ARG_ANY, "(1, 1)",
     "zeros around: an int, (rows, cols) on both sides, or ((top, bottom), (left, right))"},
    SL_ARG_DATA_FORMAT,
};
static const SlArgSpec crop1_args[] = {
    {"cropping", SL_ARG_ANY, "(1, 1)", "steps cut from the start and the end: an int or a pair"},
};
static const SlArgSpec crop2_args[] = {
    {"cropping", SL_ARG_ANY, "((0, 0), (0, 0))",
     "cut off: an int, (rows, cols) on both sides, or ((top, bottom), (left, right))"},
    SL_ARG_DATA_FORMAT,
};

/* An int, or (before, after), into one axis' pair; non-negative. */
static int read_side_pair(const SlArgs *a, const SlValue *v, const char *key, int out[2],
                          SlError *e)
{
    if (v->kind == SL_V_INT) {
        out[0] = out[1] = (int)v->i;
    } else if (v->kind == SL_V_TUPLE && v->n == 2 && sl_value_item(a, v, 0)->kind == SL_V_INT &&
               sl_value_item(a, v, 1)->kind == SL_V_INT) {
        out[0] = (int)sl_value_item(a, v, 0)->i;
        out[1] = (int)sl_value_item(a, v, 1)->i;
    } else {
        return sl_errorf(e, "%s takes an int or a pair of ints (before, after)", key);
    }
    if (out[0] < 0 || out[1] < 0)
        return sl_errorf(e, "%s must not be negative, got (%d, %d)", key, out[0], out[1]);
    return 0;
}

/* ZeroPadding2D's forms: n; (rows, cols); ((top, bottom), (left, right)). */
static int read_pads(const SlBound *b, const char *key, int rank, int out[2][2], SlError *e)
{
    const SlValue *v = sl_bound(b, key);
    const SlArgs *a = &b->store;
    out[0][0] = out[0][1] = 0;
    if (rank == 1)
        return read_side_pair(a, v, key, out[1], e);
    if (v->kind == SL_V_INT)
        return read_side_pair(a, v, key, out[0], e) < 0 ? -1 : read_side_pair(a, v, key, out[1], e);
    if (v->kind != SL_V_TUPLE || v->n != 2)
        return sl_errorf(e, "%s takes an int, (rows, cols) or ((top, bottom), (left, right))", key);
    return read_side_pair(a, sl_value_item(a, v, 0), key, out[0], e) < 0
               ? -1
               : read_side_pair(a, sl_value_item(a, v, 1), key, out[1], e);
}

static int zp1_create(SlLayer *l, const SlBound *b, SlError *e)
{
    PoolCfg *c = new_cfg(l, 1, KIND_PAD, e);
    return c && read_data_format(l, c, b, e) == 0 ? read_pads(b, "padding", 1, c->pad, e) : -1;
}

static int zp2_create(SlLayer *l, const SlBound *b, SlError *e)
{
    PoolCfg *c = new_cfg(l, 2, KIND_PAD, e);
    if (!c || read_data_format(l, c, b, e) < 0)
        return -1;
    return read_pads(b, "padding", 2, c->pad, e);
}

/* Cropping is padding by a negative amount. */
static int crop_create(SlLayer *l, const SlBound *b, SlError *e, int rank)
{
    PoolCfg *c = new_cfg(l, rank, KIND_CROP, e);
    if (!c || (rank == 2 && read_data_format(l, c, b, e) < 0) ||
        read_pads(b, "cropping", rank, c->pad, e) < 0)
        return -1;
    for (int a = 0; a < 2; a++)
        c->pad[a][0] = -c->pad[a][0], c->pad[a][1] = -c->pad[a][1];
    return 0;
}

static int crop1_create(SlLayer *l, const SlBound *b, SlError *e)
{
    return crop_create(l, b, e, 1);
}

static int crop2_create(SlLayer *l, const SlBound *b, SlError *e)
{
    return crop_create(l, b, e, 2);
}

static int pad_infer(SlLayer *l, SlInfer *io, SlError *e)
{
    const PoolCfg *c = l->cfg;
    if (sl_expect_spatial_input(l, io, c->rank, c->channels_first, e) < 0)
        return -1;
    SlShape out = io->in[0];
    for (int a = 0; a < c->rank; a++) {
        const int *pd = c->pad[2 - c->rank + a];
        int ax = sl_spatial_axis(c->channels_first, a), n = out.dim[ax];
        if (n == SL_NONE)
            continue;
        out.dim[ax] = n + pd[0] + pd[1];
        if (out.dim[ax] <= 0) { /* what is cut, and its two ends */
            static const char *const words[3][3] = {
                {"steps", "start", "end"}, {"rows", "top", "bottom"}, {"cols", "left", "right"}};
            const char *const *w = words[c->rank == 1 ? 0 : 1 + a];
            char exp[160], fix[32];
            snprintf(exp, sizeof exp, "more than %d %s to crop %d from the %s and %d from the %s",
                     -pd[0] - pd[1], w[0], -pd[0], w[1], -pd[1], w[2]);
            snprintf(fix, sizeof fix, "crop fewer %s", w[0]);
            return sl_layer_shape_error(e, l, exp, &io->in[0], fix);
        }
    }
    one_output_no_mask(io, out);
    return 0;
}

/* y (B, OH, OW, C) = x (B, H, W, C) moved by (top, left) cells, zeros where x has none; or,
 * backward, dx += dy gathered back from the same places. */
static void shift_copy_k(sl_real *out, const sl_real *in, int backward, int B, int H, int W, int OH,
                         int OW, int C, int top, int left)
{
    if (!backward)
        memset(out, 0, (size_t)B * OH * OW * C * sizeof *out);
    for (int b = 0; b < B; b++)
        for (int oh = 0; oh < OH; oh++) {
            int ih = oh - top;
            for (int ow = 0; ow < OW && ih >= 0 && ih < H; ow++) {
                int iw = ow - left;
                if (iw < 0 || iw >= W)
                    continue;
                size_t yo = (((size_t)b * OH + oh) * OW + ow) * C;
                size_t xi = (((size_t)b * H + ih) * W + iw) * C;
                for (int ch = 0; ch < C; ch++) {
                    if (backward)
                        out[xi + ch] += in[yo + ch];
                    else
                        out[yo + ch] = in[xi + ch];
                }
            }
        }
}

static void pad_run(SlLayer *l, SlPass *p, int backward)
{
    const PoolCfg *c = l->cfg;
    SlConvGeom g = pool_geom(c, &p->x[0].shape, &p->y[0].shape);
    shift_copy_k(backward ? p->dx[0].data : p->y[0].data, backward ? p->dy[0].data : p->x[0].data,
                 backward, g.B, g.H, g.W, g.OH, g.OW, g.CI, c->pad[0][0], c->pad[1][0]);
}

static void pad_forward_last(SlLayer *l, SlPass *p)
{
    pad_run(l, p, 0);
}

static void pad_backward_last(SlLayer *l, SlPass *p)
{
    pad_run(l, p, 1);
}

static void pad_forward(SlLayer *l, SlPass *p)
{
    const PoolCfg *c = l->cfg;
    sl_channels_first_forward(l, p, c->channels_first, 0, pad_forward_last);
}

static void pad_backward(SlLayer *l, SlPass *p)
{
    const PoolCfg *c = l->cfg;
    sl_channels_first_backward(l, p, c->channels_first, 0, pad_backward_last);
}

static void pad_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    const PoolCfg *c = l->cfg;
    char a[96], b[96];
    io_str(io, a, b, sizeof a);
    if (c->kind == KIND_CROP && c->rank == 1)
        snprintf(buf, n, "Cropping1D cuts %d step%s from the start and %d from the end: %s -> %s",
                 -c->pad[1][0], c->pad[1][0] == -1 ? "" : "s", -c->pad[1][1], a, b);
    else if (c->kind == KIND_CROP)
        snprintf(buf, n,
                 "Cropping2D cuts rows (%d from the top, %d from the bottom) and columns (%d "
                 "left, %d right): %s -> %s",
                 -c->pad[0][0], -c->pad[0][1], -c->pad[1][0], -c->pad[1][1], a, b);
    else if (c->rank == 1)
        snprintf(buf, n, "ZeroPadding1D adds %d zero step%s before and %d after: %s -> %s",
                 c->pad[1][0], c->pad[1][0] == 1 ? "" : "s", c->pad[1][1], a, b);
    else
        snprintf(buf, n,
                 "ZeroPadding2D adds zero rows (%d above, %d below) and columns (%d left, %d "
                 "right): %s -> %s",
                 c->pad[0][0], c->pad[0][1], c->pad[1][0], c->pad[1][1], a, b);
}

/* The cfg's index of spatial axis `axis` (0: steps or rows, 1: columns): 1-D layers keep their
 * steps in the width; -1 when the layer has no such axis. */
static int cfg_axis(const PoolCfg *c, int axis)
{
    if (c->channels_first) /* the steps or rows are not on axis 1 */
        return -1;
    if (c->rank == 1)
        return axis == 0 ? 1 : -1;
    return axis == 0 || axis == 1 ? axis : -1;
}

static int pool_window(const SlLayer *l, int axis, SlWindowGeom *w)
{
    const PoolCfg *c = l->cfg;
    int a = cfg_axis(c, axis);
    if (a < 0)
        return 0;
    *w = (SlWindowGeom){.k = c->k[a], .s = c->s[a], .d = 1, .pad = c->padding};
    return 1;
}

/* Padding and cropping move the cells: a window of one tap, shifted. */
static int pad_window(const SlLayer *l, int axis, SlWindowGeom *w)
{
    const PoolCfg *c = l->cfg;
    int a = cfg_axis(c, axis);
    if (a < 0)
        return 0;
    *w = (SlWindowGeom){
        .k = 1, .s = 1, .d = 1, .shift = 1, .before = c->pad[a][0], .after = c->pad[a][1]};
    return 1;
}

/* ---- the type tables ---- */

const SlLayerType sl_max_pooling1d_type = {
    .name = "MaxPooling1D",
    .snake = "max_pooling1d",
    .aliases = "MaxPool1D",
    .summary = "the largest value of each window of steps, per channel",
    .args = max_pool_args,
    .n_args = sizeof max_pool_args / sizeof max_pool_args[0],
    .example_args = "2",
    .example_input = "(2, 8, 3)",
    .kind = 0,
    .steps = SL_STEPS_WINDOW,
    .create = max1_create,
    .infer = pool_infer,
    .params = sl_layer_no_params,
    .scratch = channels_first_scratch,
    .forward = pool_forward,
    .backward = pool_backward,
    .reset = sl_layer_reset_nothing,
    .explain = pool_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = pool_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

const SlLayerType sl_max_pooling2d_type = {
    .name = "MaxPooling2D",
    .snake = "max_pooling2d",
    .aliases = "MaxPool2D",
    .summary = "the largest value of each window of cells, per channel",
    .args = max_pool_args,
    .n_args = sizeof max_pool_args / sizeof max_pool_args[0],
    .example_args = "2",
    .example_input = "(2, 6, 6, 2)",
    .kind = 0,
    .steps = SL_STEPS_WINDOW,
    .create = max2_create,
    .infer = pool_infer,
    .params = sl_layer_no_params,
    .scratch = channels_first_scratch,
    .forward = pool_forward,
    .backward = pool_backward,
    .reset = sl_layer_reset_nothing,
    .explain = pool_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = pool_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

const SlLayerType sl_average_pooling1d_type = {
    .name = "AveragePooling1D",
    .snake = "average_pooling1d",
    .aliases = "AvgPool1D",
    .summary = "the average of each window of steps, per channel",
    .args = avg_pool_args,
    .n_args = sizeof avg_pool_args / sizeof avg_pool_args[0],
    .example_args = "2, padding='same'",
    .example_input = "(2, 7, 3)",
    .kind = 0,
    .steps = SL_STEPS_WINDOW,
    .create = avg1_create,
    .infer = pool_infer,
    .params = sl_layer_no_params,
    .scratch = channels_first_scratch,
    .forward = pool_forward,
    .backward = pool_backward,
    .reset = sl_layer_reset_nothing,
    .explain = pool_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = pool_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

const SlLayerType sl_average_pooling2d_type = {
    .name = "AveragePooling2D",
    .snake = "average_pooling2d",
    .aliases = "AvgPool2D",
    .summary = "the average of each window of cells, per channel",
    .args = avg_pool_args,
    .n_args = sizeof avg_pool_args / sizeof avg_pool_args[0],
    .example_args = "2",
    .example_input = "(2, 6, 6, 2)",
    .kind = 0,
    .steps = SL_STEPS_WINDOW,
    .create = avg2_create,
    .infer = pool_infer,
    .params = sl_layer_no_params,
    .scratch = channels_first_scratch,
    .forward = pool_forward,
    .backward = pool_backward,
    .reset = sl_layer_reset_nothing,
    .explain = pool_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = pool_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

const SlLayerType sl_global_max_pooling1d_type = {
    .name = "GlobalMaxPooling1D",
    .snake = "global_max_pooling1d",
    .aliases = "GlobalMaxPool1D",
    .summary = "the largest value over all steps: (batch, steps, ch) -> (batch, ch)",
    .args = global_args,
    .n_args = sizeof global_args / sizeof global_args[0],
    .example_args = "",
    .example_input = "(2, 6, 3)",
    .kind = 0,
    .steps = SL_STEPS_ALL,
    .create = gmax1_create,
    .infer = global_infer,
    .params = sl_layer_no_params,
    .scratch = channels_first_scratch,
    .forward = global_forward,
    .backward = global_backward,
    .reset = sl_layer_reset_nothing,
    .explain = global_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

const SlLayerType sl_global_average_pooling1d_type = {
    .name = "GlobalAveragePooling1D",
    .snake = "global_average_pooling1d",
    .aliases = "GlobalAvgPool1D",
    .summary = "the average over all (unmasked) steps: (batch, steps, ch) -> (batch, ch)",
    .args = global_args,
    .n_args = sizeof global_args / sizeof global_args[0],
    .example_args = "",
    .example_input = "(2, 6, 3)",
    .kind = 0,
    .steps = SL_STEPS_ALL,
    .create = gavg1_create,
    .infer = global_infer,
    .params = sl_layer_no_params,
    .scratch = channels_first_scratch,
    .forward = global_forward,
    .backward = global_backward,
    .reset = sl_layer_reset_nothing,
    .explain = global_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

const SlLayerType sl_global_max_pooling2d_type = {
    .name = "GlobalMaxPooling2D",
    .snake = "global_max_pooling2d",
    .aliases = "GlobalMaxPool2D",
    .summary = "the largest value over all cells: (batch, rows, cols, ch) -> (batch, ch)",
    .args = global_args,
    .n_args = sizeof global_args / sizeof global_args[0],
    .example_args = "",
    .example_input = "(2, 4, 5, 3)",
    .kind = 0,
    .steps = SL_STEPS_ALL,
    .create = gmax2_create,
    .infer = global_infer,
    .params = sl_layer_no_params,
    .scratch = channels_first_scratch,
    .forward = global_forward,
    .backward = global_backward,
    .reset = sl_layer_reset_nothing,
    .explain = global_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

const SlLayerType sl_global_average_pooling2d_type = {
    .name = "GlobalAveragePooling2D",
    .snake = "global_average_pooling2d",
    .aliases = "GlobalAvgPool2D",
    .summary = "the average over all cells: (batch, rows, cols, ch) -> (batch, ch)",
    .args = global_args,
    .n_args = sizeof global_args / sizeof global_args[0],
    .example_args = "",
    .example_input = "(2, 4, 5, 3)",
    .kind = 0,
    .steps = SL_STEPS_ALL,
    .create = gavg2_create,
    .infer = global_infer,
    .params = sl_layer_no_params,
    .scratch = channels_first_scratch,
    .forward = global_forward,
    .backward = global_backward,
    .reset = sl_layer_reset_nothing,
    .explain = global_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

const SlLayerType sl_zero_padding1d_type = {
    .name = "ZeroPadding1D",
    .snake = "zero_padding1d",
    .aliases = "",
    .summary = "zero steps added before and after",
    .args = zp1_args,
    .n_args = sizeof zp1_args / sizeof zp1_args[0],
    .example_args = "(1, 2)",
    .example_input = "(2, 5, 3)",
    .kind = 0,
    .steps = SL_STEPS_WINDOW,
    .create = zp1_create,
    .infer = pad_infer,
    .params = sl_layer_no_params,
    .scratch = channels_first_scratch,
    .forward = pad_forward,
    .backward = pad_backward,
    .reset = sl_layer_reset_nothing,
    .explain = pad_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = pad_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

const SlLayerType sl_zero_padding2d_type = {
    .name = "ZeroPadding2D",
    .snake = "zero_padding2d",
    .aliases = "",
    .summary = "zero rows and columns added around",
    .args = zp2_args,
    .n_args = sizeof zp2_args / sizeof zp2_args[0],
    .example_args = "(1, 2)",
    .example_input = "(2, 4, 5, 2)",
    .kind = 0,
    .steps = SL_STEPS_WINDOW,
    .create = zp2_create,
    .infer = pad_infer,
    .params = sl_layer_no_params,
    .scratch = channels_first_scratch,
    .forward = pad_forward,
    .backward = pad_backward,
    .reset = sl_layer_reset_nothing,
    .explain = pad_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = pad_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

const SlLayerType sl_cropping1d_type = {
    .name = "Cropping1D",
    .snake = "cropping1d",
    .aliases = "",
    .summary = "steps cut from the start and the end",
    .args = crop1_args,
    .n_args = sizeof crop1_args / sizeof crop1_args[0],
    .example_args = "(1, 2)",
    .example_input = "(2, 7, 3)",
    .kind = 0,
    .steps = SL_STEPS_WINDOW,
    .create = crop1_create,
    .infer = pad_infer,
    .params = sl_layer_no_params,
    .scratch = channels_first_scratch,
    .forward = pad_forward,
    .backward = pad_backward,
    .reset = sl_layer_reset_nothing,
    .explain = pad_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = pad_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

const SlLayerType sl_cropping2d_type = {
    .name = "Cropping2D",
    .snake = "cropping2d",
    .aliases = "",
    .summary = "rows and columns cut from the edges",
    .args = crop2_args,
    .n_args = sizeof crop2_args / sizeof crop2_args[0],
    .example_args = "((1, 0), (2, 1))",
    .example_input = "(2, 4, 6, 2)",
    .kind = 0,
    .steps = SL_STEPS_WINDOW,
    .create = crop2_create,
    .infer = pad_infer,
    .params = sl_layer_no_params,
    .scratch = channels_first_scratch,
    .forward = pad_forward,
    .backward = pad_backward,
    .reset = sl_layer_reset_nothing,
    .explain = pad_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = pad_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};
