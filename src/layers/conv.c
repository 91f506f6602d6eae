/* conv.c: Conv1D and Conv2D, Conv1DTranspose and Conv2DTranspose, and the correlation kernels
 * they are made of (conv.h).
 *
 * Shapes (channels_last):
 *   Conv1D  x (batch, steps, in)         kernel (k, in, filters)        y (batch, steps', filters)
 *   Conv2D  x (batch, rows, cols, in)    kernel (kh, kw, in, filters)   y (batch, rows', cols', filters)
 *   bias (filters). Each filter spans all `in` channels: one output channel per filter; with
 *   groups=g, filter f spans the in/g channels of its group f / (filters/g), and the kernel is
 *   (k..., in/g, filters): each group is a convolution of its own on its slices.
 *   data_format='channels_first' takes (batch, in, spatial...) and gives (batch, filters, ...),
 *   the channels moved at the boundary (layout.h); the kernel's layout is the same.
 *   The transposed layers (at the end of the file) keep Keras's kernel (k..., filters, in).
 * Along each spatial axis a kernel of k taps with dilation d spans 1 + (k - 1) * d cells; with
 * stride s and padding 'valid' the output has floor((n - span) / s) + 1 cells, with 'same' and
 * 'causal' ceil(n / s).
 *
 * Forward:   z[o, co] = b[co] + sum_{taps t, ci} x[o*s - p + t*d, ci] K[t, ci, co]    y = act(z)
 * Backward:  dz = act'(z) * dy
 *            db[co]        += sum_o dz[o, co]
 *            dK[t, ci, co] += sum_o x[o*s - p + t*d, ci] dz[o, co]     (x correlated with dz)
 *            dx            += full correlation(spread(dz), rotate180(K))
 * The derivation of the last line, with a worked example, is docs/conv-backprop.md.
 * A mask coming in is dropped, as Keras's Conv1D does (trace says so).
 */
#include "conv.h"

#include <stdio.h>
#include <string.h>

#include "activation.h"
#include "alloc.h"
#include "init.h"
#include "kernels/kernels.h"
#include "layer.h"
#include "layout.h"

/* ---- geometry ---- */

int sl_padding_parse(const char *name, SlPadding *out)
{
    static const char *const names[] = {"valid", "same", "causal"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(name, names[i])) {
            *out = (SlPadding)i;
            return 0;
        }
    return -1;
}

const char *sl_padding_name(SlPadding p)
{
    return p == SL_PAD_SAME ? "same" : p == SL_PAD_CAUSAL ? "causal" : "valid";
}

int sl_conv_span(int k, int d)
{
    return 1 + (k - 1) * d;
}

int sl_conv_out_len(int n, int k, int s, int d, SlPadding pad, int *pad_before)
{
    int span = sl_conv_span(k, d), before = 0, out;
    if (pad == SL_PAD_CAUSAL)
        before = span - 1;
    if (n == SL_NONE) {
        out = SL_NONE;
    } else if (pad == SL_PAD_VALID) {
        out = n >= span ? (n - span) / s + 1 : 0;
    } else {
        out = (n + s - 1) / s;
        if (pad == SL_PAD_SAME) {
            int total = (out - 1) * s + span - n;
            before = total > 0 ? total / 2 : 0;
        }
    }
    if (pad_before)
        *pad_before = before;
    return out;
}

/* ---- kernels: plain pointers, outputs first, sizes last ---- */

void sl_correlate(sl_real *out, const sl_real *in, const sl_real *k, const SlConvGeom *g)
{
    size_t CI = (size_t)g->CI, CO = (size_t)g->CO;
    for (int b = 0; b < g->B; b++)
        for (int oh = 0; oh < g->OH; oh++)
            for (int ow = 0; ow < g->OW; ow++) {
                sl_real *yo = out + (((size_t)b * g->OH + oh) * g->OW + ow) * CO;
                for (int kh = 0; kh < g->KH; kh++) {
                    int ih = oh * g->sh - g->ph + kh * g->dh;
                    if (ih < 0 || ih >= g->H)
                        continue; /* a row of padding: zeros add nothing */
                    for (int kw = 0; kw < g->KW; kw++) {
                        int iw = ow * g->sw - g->pw + kw * g->dw;
                        if (iw < 0 || iw >= g->W)
                            continue;
                        const sl_real *xi = in + (((size_t)b * g->H + ih) * g->W + iw) * CI;
                        const sl_real *kt = k + ((size_t)kh * g->KW + kw) * CI * CO;
                        for (size_t ci = 0; ci < CI; ci++) {
                            sl_real xv = xi[ci];
                            const sl_real *kc = kt + ci * CO;
                            for (size_t co = 0; co < CO; co++)
                                yo[co] += xv * kc[co];
                        }
                    }
                }
            }
}

void sl_correlate_kernel_grad(sl_real *dk, const sl_real *in, const sl_real *dout,
                              const SlConvGeom *g)
{
    size_t CI = (size_t)g->CI, CO = (size_t)g->CO;
    for (int b = 0; b < g->B; b++)
        for (int oh = 0; oh < g->OH; oh++)
            for (int ow = 0; ow < g->OW; ow++) {
                const sl_real *go = dout + (((size_t)b * g->OH + oh) * g->OW + ow) * CO;
                for (int kh = 0; kh < g->KH; kh++) {
                    int ih = oh * g->sh - g->ph + kh * g->dh;
                    if (ih < 0 || ih >= g->H)
                        continue;
                    for (int kw = 0; kw < g->KW; kw++) {
                        int iw = ow * g->sw - g->pw + kw * g->dw;
                        if (iw < 0 || iw >= g->W)
                            continue;
                        const sl_real *xi = in + (((size_t)b * g->H + ih) * g->W + iw) * CI;
                        sl_real *dkt = dk + ((size_t)kh * g->KW + kw) * CI * CO;
                        for (size_t ci = 0; ci < CI; ci++) {
                            sl_real xv = xi[ci];
                            sl_real *dkc = dkt + ci * CO;
                            for (size_t co = 0; co < CO; co++)
                                dkc[co] += xv * go[co];
                        }
                    }
                }
            }
}

void sl_rotate180(sl_real *kr, const sl_real *k, int KH, int KW, int CI, int CO)
{
    for (int kh = 0; kh < KH; kh++)
        for (int kw = 0; kw < KW; kw++)
            for (int co = 0; co < CO; co++)
                for (int ci = 0; ci < CI; ci++)
                    kr[(((size_t)kh * KW + kw) * CO + co) * CI + ci] =
                        k[(((size_t)(KH - 1 - kh) * KW + (KW - 1 - kw)) * CI + ci) * CO + co];
}

void sl_spread(sl_real *sp, const sl_real *dout, int B, int OH, int OW, int CO, int sh, int sw)
{
    size_t SH = (size_t)(OH - 1) * sh + 1, SW = (size_t)(OW - 1) * sw + 1;
    memset(sp, 0, (size_t)B * SH * SW * CO * sizeof *sp);
    for (int b = 0; b < B; b++)
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++)
                memcpy(sp + (((size_t)b * SH + (size_t)oh * sh) * SW + (size_t)ow * sw) * CO,
                       dout + (((size_t)b * OH + oh) * OW + ow) * CO, (size_t)CO * sizeof *sp);
}

size_t sl_spread_count(const SlConvGeom *g)
{
    return (size_t)g->B * ((size_t)(g->OH - 1) * g->sh + 1) * ((size_t)(g->OW - 1) * g->sw + 1) *
           (size_t)g->CO;
}

/* The forward's tap t at output o read input i = o*s - p + t*d. Turned around: the spread
 * gradient's cell u = o*s feeds input i through tap t when u = i + p - t*d; with t' = K-1-t this
 * is u = i - ((K-1)*d - p) + t'*d, a stride-1 correlation with the rotated kernel and
 * (K-1)*d - p cells of padding before: with p = 0 that is a full correlation. */
SlConvGeom sl_conv_input_grad_geom(const SlConvGeom *g)
{
    SlConvGeom r = {
        .B = g->B,
        .H = (g->OH - 1) * g->sh + 1,
        .W = (g->OW - 1) * g->sw + 1,
        .CI = g->CO,
        .OH = g->H,
        .OW = g->W,
        .CO = g->CI,
        .KH = g->KH,
        .KW = g->KW,
        .sh = 1,
        .sw = 1,
        .dh = g->dh,
        .dw = g->dw,
        .ph = (g->KH - 1) * g->dh - g->ph,
        .pw = (g->KW - 1) * g->dw - g->pw,
    };
    return r;
}

void sl_conv_input_grad(sl_real *din, sl_real *kr, sl_real *sp, const sl_real *dout,
                        const sl_real *k, const SlConvGeom *g)
{
    sl_rotate180(kr, k, g->KH, g->KW, g->CI, g->CO);              /* step 1: rotate the kernel */
    sl_spread(sp, dout, g->B, g->OH, g->OW, g->CO, g->sh, g->sw); /* step 2: undo the stride */
    sl_full_correlation(din, sp, kr, g); /* step 3: the full correlation, the forward's loop */
}

void sl_full_correlation(sl_real *din, const sl_real *sp, const sl_real *kr, const SlConvGeom *g)
{
    SlConvGeom full = sl_conv_input_grad_geom(g);
    sl_correlate(din, sp, kr, &full);
}

/* ---- the layers ---- */

typedef struct ConvCfg {
    int rank;       /* spatial axes: 1 (Conv1D) or 2 (Conv2D) */
    int transposed; /* Conv1DTranspose, Conv2DTranspose */
    int filters;
    int k[2], s[2], d[2]; /* (height, width); Conv1D has height 1 */
    int op[2];            /* output_padding of the transposed layers; -1: None */
    SlPadding padding;
    int in;             /* input channels, known once built */
    int groups;         /* Conv: input and output channels in this many groups, 1: one group */
    int channels_first; /* data_format='channels_first': (batch, channels, spatial...) */
    SlAct act;
    int use_bias;
    SlWeightArgs kernel, bias;
} ConvCfg;

/* One table for both: an int stands for (int, int) in Conv2D. */
static const SlArgSpec conv_args[] = {
    {"filters", SL_ARG_INT, NULL, "output channels: one filter each, like Dense's units"},
    {"kernel_size", SL_ARG_INTS, NULL, "taps of one filter along each axis (before dilation)"},
    {"strides", SL_ARG_INTS, "1", "step between windows along each axis"},
    {"padding", SL_ARG_STR, "'valid'",
     "'valid' (none), 'same' (length ceil(n / strides)), 'causal' (Conv1D: zeros on the left "
     "only)"},
    SL_ARG_DATA_FORMAT,
    {"dilation_rate", SL_ARG_INTS, "1", "spacing of the taps: span 1 + (k - 1) * d"},
    {"groups", SL_ARG_INT, "1",
     "channels split in this many groups, each filter seeing its group's in/groups channels"},
    {"activation", SL_ARG_STR | SL_ARG_OR_NONE, "None", "applied to the output; None is linear"},
    {"use_bias", SL_ARG_BOOL, "True", "add one bias per filter"},
    SL_ARGS_KERNEL_BIAS,
    SL_ARG_LORA(SL_ARG_KEYWORD),
};

int sl_read_window_ints(const SlBound *b, const char *key, int rank, int out[2], SlError *e)
{
    int v[SL_TUPLE_MAX], n = sl_bound_ints(b, key, v, SL_TUPLE_MAX);
    if (n == 1 && rank == 2)
        v[1] = v[0], n = 2;
    if (n != rank)
        return sl_errorf(e, "%s takes %s, got %d values", key,
                         rank == 1 ? "one int" : "one int or a tuple of two ints", n);
    for (int i = 0; i < rank; i++)
        if (v[i] <= 0 || v[i] == SL_NONE)
            return sl_errorf(e, "%s must hold positive integers, got %d", key, v[i]);
    out[0] = rank == 1 ? 1 : v[0];
    out[1] = v[rank - 1];
    return 0;
}

static void pair_str(const ConvCfg *c, const int v[2], char *buf, size_t n)
{
    if (c->rank == 1)
        snprintf(buf, n, "(%d,)", v[1]);
    else
        snprintf(buf, n, "(%d, %d)", v[0], v[1]);
}

/* output_padding (the transposed layers): None, or an int or `rank` ints, each below its stride
 * (Keras's rule and words): the cells added at the end of each spatial axis. -1 stands for None. */
static int read_output_padding(ConvCfg *c, const SlBound *b, SlError *e)
{
    c->op[0] = c->op[1] = -1;
    if (sl_bound_is_none(b, "output_padding"))
        return 0;
    int v[SL_TUPLE_MAX], n = sl_bound_ints(b, "output_padding", v, SL_TUPLE_MAX);
    if (n == 1 && c->rank == 2)
        v[1] = v[0], n = 2;
    if (n != c->rank)
        return sl_errorf(e, "output_padding takes %s, got %d values",
                         c->rank == 1 ? "one int" : "one int or a tuple of two ints", n);
    c->op[0] = 0; /* Conv1DTranspose: its one row gets none */
    for (int i = 0; i < c->rank; i++)
        c->op[2 - c->rank + i] = v[i];
    char op[32], st[32];
    pair_str(c, c->op, op, sizeof op);
    pair_str(c, c->s, st, sizeof st);
    for (int i = 0; i < c->rank; i++) {
        int a = 2 - c->rank + i;
        if (c->op[a] < 0 || c->op[a] == SL_NONE)
            return sl_errorf(e, "output_padding must not be negative, got %s", op);
        if (c->op[a] >= c->s[a])
            return sl_errorf(e,
                             "`output_padding` must be strictly less than `strides` for all "
                             "dimensions. At dimension %d, `output_padding` is %d but `strides` is "
                             "%d. Received: output_padding=%s, strides=%s (it adds at most "
                             "strides - 1 cells at the end)",
                             i, c->op[a], c->s[a], op, st);
    }
    return 0;
}

/* groups (Conv1D, Conv2D): positive and dividing filters, in Keras's words (base_conv.py); that
 * it divides the input channels is checked when the layer is built. */
static int read_groups(ConvCfg *c, const SlBound *b, SlError *e)
{
    long long g = sl_bound_int(b, "groups");
    if (g <= 0 || g > SL_MAX_DIM)
        return sl_errorf(e,
                         "The number of groups must be a positive integer. Received: "
                         "groups=%lld.",
                         g);
    if (c->filters % g)
        return sl_errorf(e,
                         "The number of filters must be evenly divisible by the number of groups. "
                         "Received: groups=%lld, filters=%d. (Each group makes filters / groups "
                         "output channels.)",
                         g, c->filters);
    c->groups = (int)g;
    return 0;
}

static int conv_create(SlLayer *l, const SlBound *b, SlError *e, int rank, int transposed)
{
    ConvCfg *c = sl_alloc_zero(1, sizeof *c);
    if (!c)
        return sl_errorf(e, "out of memory");
    l->cfg = c;
    c->rank = rank;
    c->transposed = transposed;
    c->filters = (int)sl_bound_int(b, "filters");
    c->use_bias = sl_bound_bool(b, "use_bias");
    if (c->filters <= 0)
        return sl_errorf(e, "filters must be a positive integer (the output channels), got %d",
                         c->filters);
    if (sl_read_window_ints(b, "kernel_size", rank, c->k, e) < 0 ||
        sl_read_window_ints(b, "strides", rank, c->s, e) < 0 ||
        sl_read_window_ints(b, "dilation_rate", rank, c->d, e) < 0)
        return -1;
    for (int a = 0; a < 2; a++) /* the span in 64 bits: kernel and dilation are each a size */
        if (1 + (long long)(c->k[a] - 1) * c->d[a] > SL_MAX_DIM)
            return sl_errorf(e,
                             "kernel_size %d with dilation_rate %d spans 1 + (%d - 1) * %d = %lld "
                             "steps, beyond shapelab's limit of %d for a size",
                             c->k[a], c->d[a], c->k[a], c->d[a],
                             1 + (long long)(c->k[a] - 1) * c->d[a], SL_MAX_DIM);
    const char *pad = sl_bound_str(b, "padding");
    int causal_ok = rank == 1 && !transposed;
    if (sl_padding_parse(pad, &c->padding) < 0 || (!causal_ok && c->padding == SL_PAD_CAUSAL))
        return sl_errorf(e, "padding='%s' is not one of %s", pad,
                         causal_ok ? "'valid', 'same', 'causal'"
                                   : "'valid', 'same' ('causal' is for Conv1D only)");
    if (sl_data_format_read(b, &c->channels_first, e) < 0)
        return -1;
    if (c->channels_first) /* axis 1 holds the channels: no step or row follows its own */
        l->steps = SL_STEPS_ALL;
    c->groups = 1;
    if (!transposed && read_groups(c, b, e) < 0)
        return -1;
    if (transposed && read_output_padding(c, b, e) < 0)
        return -1;
    if ((c->s[0] > 1 || c->s[1] > 1) && (c->d[0] > 1 || c->d[1] > 1)) {
        char s[32], d[32];
        pair_str(c, c->s, s, sizeof s);
        pair_str(c, c->d, d, sizeof d);
        return sl_errorf(e,
                         "`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                         "Received: strides=%s and dilation_rate=%s (Keras refuses it too: use "
                         "one or the other)",
                         s, d);
    }
    if (sl_weight_args_read(l, &c->kernel, b, "kernel", e) < 0 ||
        sl_weight_args_read(l, &c->bias, b, "bias", e) < 0 || sl_refuse_lora(b, e) < 0)
        return -1;
    return sl_act_read(&c->act, b, "activation", e);
}

static int conv1d_create(SlLayer *l, const SlBound *b, SlError *e)
{
    return conv_create(l, b, e, 1, 0);
}

static int conv2d_create(SlLayer *l, const SlBound *b, SlError *e)
{
    return conv_create(l, b, e, 2, 0);
}

/* The shape a sample must have, in words: "(batch, rows, cols, channels)". */
static const char *conv_expected(const ConvCfg *c)
{
    if (c->channels_first)
        return c->rank == 1 ? "(batch, channels, steps)" : "(batch, channels, rows, cols)";
    return c->rank == 1 ? "(batch, steps, channels)" : "(batch, rows, cols, channels)";
}

/* The fix for an input of the wrong rank. */
static void conv_rank_fix(const SlLayer *l, const SlShape *in, char *fix, size_t n)
{
    const ConvCfg *c = l->cfg;
    const char *who = l->type->name;
    if (c->channels_first)
        snprintf(fix, n, "give each sample %s, or data_format='channels_last' for %s",
                 c->rank == 1 ? "(channels, steps)" : "(channels, rows, cols)",
                 c->rank == 1 ? "(steps, channels)" : "(rows, cols, channels)");
    else if (c->rank == 1 && in->rank == 2)
        snprintf(fix, n,
                 "%s needs a channels axis after the steps: reshape (N, %d) to (N, %d, 1), "
                 "e.g. input_shape=(%d, 1)",
                 who, in->dim[1], in->dim[1], in->dim[1]);
    else if (c->rank == 1 && in->rank == 4)
        snprintf(fix, n,
                 "%s slides along one axis; to run it along each row of a (rows, steps, "
                 "channels) sample wrap it in TimeDistributed, or Reshape to (steps, "
                 "channels)",
                 who);
    else if (c->rank == 2 && in->rank == 3)
        snprintf(fix, n,
                 "%s needs a channels axis: a grey image (rows, cols) becomes (rows, cols, "
                 "1), e.g. input_shape=(%d, %d, 1)",
                 who, in->dim[1], in->dim[2]);
    else
        snprintf(fix, n, "give each sample %s",
                 c->rank == 1 ? "(steps, channels)" : "(rows, cols, channels)");
}

/* The input must be (batch, <rank spatial axes>, channels), or channels_first (batch, channels,
 * <rank spatial axes>), with the channels known, divisible by groups, and the channels the kernel
 * was built for. */
static int conv_check_input(const SlLayer *l, const SlInfer *io, SlError *e)
{
    const ConvCfg *c = l->cfg;
    if (sl_layer_expect_inputs(l, io, 1, e) < 0)
        return -1;
    const SlShape *in = &io->in[0];
    char fix[320], exp[200];
    if (in->rank != c->rank + 2) {
        conv_rank_fix(l, in, fix, sizeof fix);
        return sl_layer_shape_error(e, l, conv_expected(c), in, fix);
    }
    int ch = in->dim[sl_channel_axis(c->channels_first, in->rank)];
    if (ch == SL_NONE)
        return sl_layer_shape_error(e, l,
                                    c->channels_first ? "a known number of channels on axis 1"
                                                      : "a known number of channels on the last "
                                                        "axis",
                                    in,
                                    "the kernel's shape needs the channels; give them in the "
                                    "input shape, e.g. (None, 2)");
    if (ch % c->groups) {
        snprintf(exp, sizeof exp,
                 "input channels evenly divisible by the number of groups: groups=%d, but the "
                 "input has %d channels",
                 c->groups, ch);
        snprintf(fix, sizeof fix,
                 "each group reads in / groups channels; give a number of channels that %d "
                 "divides, or choose groups to divide %d",
                 c->groups, ch);
        return sl_layer_shape_error(e, l, exp, in, fix);
    }
    if (l->built && ch != c->in) {
        snprintf(exp, sizeof exp, "%d channels: the kernel was built for %d", c->in, c->in);
        return sl_layer_shape_error(e, l, exp, in,
                                    "a layer keeps its weights' shape; feed it the same number "
                                    "of channels, or use a new layer");
    }
    return 0;
}

static int conv_infer(SlLayer *l, SlInfer *io, SlError *e)
{
    ConvCfg *c = l->cfg;
    if (conv_check_input(l, io, e) < 0)
        return -1;
    const SlShape *in = &io->in[0];
    char exp[200];
    SlShape out = *in;
    for (int a = 0; a < c->rank; a++) {
        int ax = 2 - c->rank + a; /* into c->k[]: Conv1D uses the width slot */
        int n = in->dim[sl_spatial_axis(c->channels_first, a)];
        int o = sl_conv_out_len(n, c->k[ax], c->s[ax], c->d[ax], c->padding, NULL);
        if (n != SL_NONE && o <= 0) {
            int span = sl_conv_span(c->k[ax], c->d[ax]);
            snprintf(exp, sizeof exp,
                     "at least %d %s along axis %d with padding='valid' (kernel %d, dilation %d: "
                     "span 1 + (%d - 1) * %d = %d)",
                     span, c->rank == 1 ? "steps" : "cells", a + 1, c->k[ax], c->d[ax], c->k[ax],
                     c->d[ax], span);
            return sl_layer_shape_error(e, l, exp, in,
                                        "give longer inputs, a smaller kernel_size or "
                                        "dilation_rate, or padding='same' (or 'causal') to keep "
                                        "the length");
        }
        out.dim[sl_spatial_axis(c->channels_first, a)] = o;
    }
    out.dim[sl_channel_axis(c->channels_first, in->rank)] = c->filters;
    io->out[0] = out;
    io->n_out = 1;
    io->out_mask[0] = SL_MASK_NONE;
    return 0;
}

static int conv_params(SlLayer *l, const SlInfer *io, SlError *e)
{
    ConvCfg *c = l->cfg;
    c->in = io->in[0].dim[sl_channel_axis(c->channels_first, io->in[0].rank)];
    int kd[4] = {c->k[0], c->k[1], c->in / c->groups, c->filters}; /* groups: (k..., in/g, f) */
    if (c->transposed) /* Keras swaps the channel axes: (k..., filters, in) */
        kd[2] = c->filters, kd[3] = c->in;
    SlShape ks = c->rank == 1 ? sl_shape_of(3, kd + 1) : sl_shape_of(4, kd);
    if (sl_layer_add_weight(l, "kernel", ks, &c->kernel, e) < 0)
        return -1;
    if (c->use_bias && sl_layer_add_weight(l, "bias", sl_shape_of(1, &c->filters), &c->bias, e) < 0)
        return -1;
    return 0;
}

/* The concrete geometry of a call. */
SlConvGeom sl_conv1d_geom(int B, int W, int CI, int CO, int K, int s, int d, SlPadding pad)
{
    SlConvGeom g = {.B = B, .H = 1, .W = W, .CI = CI, .OH = 1, .CO = CO, .KH = 1, .KW = K};
    g.sh = 1, g.sw = s, g.dh = 1, g.dw = d;
    g.OW = sl_conv_out_len(W, K, s, d, pad, &g.pw);
    return g;
}

/* The concrete geometry of one group of a call, on channels_last shapes: in / groups channels in,
 * filters / groups out (all of them with one group). */
static SlConvGeom conv_geom(const ConvCfg *c, const SlShape *in, const SlShape *out)
{
    SlConvGeom g = {.B = in->dim[0], .H = 1, .OH = 1};
    g.CI = c->in / c->groups, g.CO = c->filters / c->groups;
    g.W = in->dim[c->rank];
    g.OW = out->dim[c->rank];
    if (c->rank == 2) {
        g.H = in->dim[1];
        g.OH = out->dim[1];
    }
    g.KH = c->k[0], g.KW = c->k[1], g.sh = c->s[0], g.sw = c->s[1], g.dh = c->d[0], g.dw = c->d[1];
    sl_conv_out_len(g.H, g.KH, g.sh, g.dh, c->padding, &g.ph);
    sl_conv_out_len(g.W, g.KW, g.sw, g.dw, c->padding, &g.pw);
    return g;
}

/* A call's scratch, Conv's and the transposed layers' alike: the first five; with groups (Conv),
 * one group's slices; with channels_first, the moved tensors (layout.h). */
enum {
    SCR_ROTATED, /* the kernel rotated by 180 degrees */
    SCR_SPREAD,  /* a gradient spread to the stride (the transposed layer's input), padded too
                    for the fast kernels */
    SCR_PADDED,  /* the input (the transposed layer's: dz) with its padding written out as zeros,
                    for the fast kernels (src/kernels/conv.c) */
    SCR_Z,       /* with an activation: z, before it (sl_act_scratch) */
    SCR_DZ,      /* and dz */
    SCR_GROUP_X, /* with groups: one group's input channels, then its dx */
    SCR_GROUP_Y, /* one group's output (or its gradient) */
    SCR_GROUP_K, /* one group's kernel slice (or its gradient) */
    SCR_CHANNELS_FIRST /* with channels_first: from here, the four buffers of layout.h */
};

/* The scratch of a call whose product has geometry g: the first three above. */
static void conv_scratch_of(const SlConvGeom *g, SlScratchDecl *d)
{
    SlConvGeom full = sl_conv_input_grad_geom(g);
    size_t spread = sl_spread_count(g), padded = sl_conv_pad_count(&full);
    d->name[SCR_ROTATED] = "kernel rotated by 180 degrees (kh, kw, out, in), of one group";
    d->count[SCR_ROTATED] = (size_t)g->KH * g->KW * g->CI * g->CO;
    d->name[SCR_SPREAD] = "gradient spread to the stride (and padded)";
    d->count[SCR_SPREAD] = spread > padded ? spread : padded;
    d->name[SCR_PADDED] = "input with its padding written out";
    d->count[SCR_PADDED] = sl_conv_pad_count(g);
    d->n = 3;
}

/* z (rows, C) = the bias in every row, or zeros. */
static void fill_bias(sl_real *z, const sl_real *bias, size_t rows, size_t C)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t ch = 0; ch < C; ch++)
            z[r * C + ch] = bias ? bias[ch] : 0;
}

/* db (C) += the sum of dz's rows (rows, C). */
static void add_bias_grad(sl_real *db, const sl_real *dz, size_t rows, size_t C)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t ch = 0; ch < C; ch++)
            db[ch] += dz[r * C + ch];
}

/* Scratch: the product's three (conv_scratch_of, for one group); with an activation, z and dz;
 * with groups, one group's input, output and kernel; with channels_first, the moved tensors. */
static void conv_scratch(const SlLayer *l, const SlInfer *io, SlScratchDecl *d)
{
    const ConvCfg *c = l->cfg;
    SlInfer last = sl_infer_channels_last(io, c->channels_first);
    SlConvGeom g = conv_geom(c, &last.in[0], &last.out[0]);
    conv_scratch_of(&g, d);
    sl_act_scratch(c->act, sl_shape_count(&io->out[0]), d); /* SCR_Z, SCR_DZ */
    if (c->groups > 1) {
        sl_scratch_skip_to(d, SCR_GROUP_X);
        d->name[SCR_GROUP_X] = "one group's input channels (b, h, w, in/groups), then its dx";
        d->count[SCR_GROUP_X] = (size_t)g.B * g.H * g.W * g.CI;
        d->name[SCR_GROUP_Y] = "one group's output or its gradient (b, oh, ow, filters/groups)";
        d->count[SCR_GROUP_Y] = (size_t)g.B * g.OH * g.OW * g.CO;
        d->name[SCR_GROUP_K] = "one group's kernel or its gradient (kh, kw, in/g, filters/g)";
        d->count[SCR_GROUP_K] = (size_t)g.KH * g.KW * g.CI * g.CO;
        d->n = SCR_GROUP_K + 1;
    }
    if (c->channels_first)
        sl_channels_first_scratch(io, SCR_CHANNELS_FIRST, d);
}

/* Channels [from, from + n) of `rows` cells of C channels each (a group's slice), into out
 * (rows, n); and out (rows, C)'s slice += in (rows, n), the way back. */
static void take_channels(sl_real *out, const sl_real *in, size_t rows, size_t C, size_t from,
                          size_t n)
{
    for (size_t r = 0; r < rows; r++)
        memcpy(out + r * n, in + r * C + from, n * sizeof *out);
}

static void add_channels(sl_real *out, const sl_real *in, size_t rows, size_t C, size_t from,
                         size_t n)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t i = 0; i < n; i++)
            out[r * C + from + i] += in[r * n + i];
}

/* z += the correlation of x with K, of geometry g (a whole call's or one group's): with the fast
 * kernels a product over the windows of a padded copy of x (sl_conv_correlate_padded), else the
 * plain loops; the same sums either way. */
static void correlate(SlPass *p, sl_real *z, const sl_real *x, const sl_real *K,
                      const SlConvGeom *g)
{
    if (sl_kernels_fast()) {
        sl_conv_pad(p->scratch[SCR_PADDED], x, g);
        sl_conv_correlate_padded(z, p->scratch[SCR_PADDED], K, g);
    } else {
        sl_correlate(z, x, K, g);
    }
}

/* Its way back: dK += the kernel's gradient from x and dz (a product over the windows of x's
 * padded copy, or the plain loops) */
static void kernel_grad(SlPass *p, sl_real *dK, const sl_real *x, const sl_real *dz,
                        const SlConvGeom *g)
{
    if (sl_kernels_fast()) {
        sl_conv_pad(p->scratch[SCR_PADDED], x, g);
        sl_conv_kernel_grad_padded(dK, p->scratch[SCR_PADDED], dz, g);
    } else {
        sl_correlate_kernel_grad(dK, x, dz, g);
    }
}

/* and dx += the full correlation of dz with the kernel rotated by 180 degrees. */
static void input_grad(SlPass *p, sl_real *dx, const sl_real *dz, const sl_real *K,
                       const SlConvGeom *g)
{
    sl_real *rotated = p->scratch[SCR_ROTATED], *spread = p->scratch[SCR_SPREAD];
    if (sl_kernels_fast())
        sl_conv_input_grad_fast(dx, rotated, spread, dz, K, g);
    else
        sl_conv_input_grad(dx, rotated, spread, dz, K, g);
}

/* z (B, OH, OW, filters) += the correlation of each group: its in/groups channels of x with its
 * slice of the kernel (kh, kw, in/groups, filters), making its filters/groups output channels.
 * Each group's channels are copied out, so that its correlation is an ungrouped one. */
static void grouped_forward(SlLayer *l, SlPass *p, sl_real *z, const SlConvGeom *g)
{
    const ConvCfg *c = l->cfg;
    size_t in_rows = (size_t)g->B * g->H * g->W, out_rows = (size_t)g->B * g->OH * g->OW;
    size_t taps = (size_t)g->KH * g->KW * g->CI, CI = (size_t)g->CI, CO = (size_t)g->CO;
    sl_real *xg = p->scratch[SCR_GROUP_X], *zg = p->scratch[SCR_GROUP_Y]; /* one group's */
    sl_real *kg = p->scratch[SCR_GROUP_K];
    for (int gi = 0; gi < c->groups; gi++) {
        take_channels(xg, p->x[0].data, in_rows, (size_t)c->in, gi * CI, CI);
        take_channels(kg, l->params[0].value.data, taps, (size_t)c->filters, gi * CO, CO);
        memset(zg, 0, out_rows * CO * sizeof *zg);
        correlate(p, zg, xg, kg, g);
        add_channels(z, zg, out_rows, (size_t)c->filters, gi * CO, CO);
    }
}

/* The same group by group backward: the kernel's slice gradient from the group's x and dz, and
 * the group's dx from its dz and kernel slice (unless the input needs none). */
static void grouped_backward(SlLayer *l, SlPass *p, const sl_real *dz, const SlConvGeom *g)
{
    const ConvCfg *c = l->cfg;
    size_t in_rows = (size_t)g->B * g->H * g->W, out_rows = (size_t)g->B * g->OH * g->OW;
    size_t taps = (size_t)g->KH * g->KW * g->CI, CI = (size_t)g->CI, CO = (size_t)g->CO;
    sl_real *xg = p->scratch[SCR_GROUP_X], *dzg = p->scratch[SCR_GROUP_Y]; /* one group's */
    sl_real *kg = p->scratch[SCR_GROUP_K];
    for (int gi = 0; gi < c->groups; gi++) {
        take_channels(dzg, dz, out_rows, (size_t)c->filters, gi * CO, CO);
        take_channels(xg, p->x[0].data, in_rows, (size_t)c->in, gi * CI, CI);
        memset(kg, 0, taps * CO * sizeof *kg); /* the slice's dK */
        kernel_grad(p, kg, xg, dzg, g);
        add_channels(l->params[0].grad.data, kg, taps, (size_t)c->filters, gi * CO, CO);
        if (p->no_dx[0])
            continue;
        take_channels(kg, l->params[0].value.data, taps, (size_t)c->filters, gi * CO, CO);
        memset(xg, 0, in_rows * CI * sizeof *xg); /* the group's dx */
        input_grad(p, xg, dzg, kg, g);
        add_channels(p->dx[0].data, xg, in_rows, (size_t)c->in, gi * CI, CI);
    }
}

/* forward and backward on channels_last tensors (a channels_first call comes through
 * sl_channels_first_forward and _backward). With the fast kernels each correlation is a product
 * over the windows of a padded copy of its input (sl_conv_correlate_padded and friends): the
 * same sums as the plain loops. */
static void conv_forward_last(SlLayer *l, SlPass *p)
{
    const ConvCfg *c = l->cfg;
    SlConvGeom g = conv_geom(c, &p->x[0].shape, &p->y[0].shape);
    size_t rows = (size_t)g.B * g.OH * g.OW, F = (size_t)c->filters;
    sl_real *z = c->act == SL_ACT_LINEAR ? p->y[0].data : p->scratch[SCR_Z]; /* (B, OH, OW, F) */
    const sl_real *x = p->x[0].data, *K = l->params[0].value.data;
    fill_bias(z, c->use_bias ? l->params[1].value.data : NULL, rows, F);
    if (c->groups > 1)
        grouped_forward(l, p, z, &g);
    else
        correlate(p, z, x, K, &g);
    if (c->act != SL_ACT_LINEAR)
        sl_act_forward(c->act, p->y[0].data, z, rows, F);
}

static void conv_backward_last(SlLayer *l, SlPass *p)
{
    const ConvCfg *c = l->cfg;
    SlConvGeom g = conv_geom(c, &p->x[0].shape, &p->y[0].shape);
    size_t rows = (size_t)g.B * g.OH * g.OW, F = (size_t)c->filters;
    const sl_real *dz = /* (B, OH, OW, F) */
        sl_act_grad(c->act, p->scratch[SCR_DZ], p->dy[0].data, p->scratch[SCR_Z], p->y[0].data,
                    rows, F);
    const sl_real *x = p->x[0].data, *K = l->params[0].value.data;
    sl_real *dK = l->params[0].grad.data, *dx = p->no_dx[0] ? NULL : p->dx[0].data;
    if (c->use_bias)
        add_bias_grad(l->params[1].grad.data, dz, rows, F);
    if (c->groups > 1) {
        grouped_backward(l, p, dz, &g);
        return;
    }
    kernel_grad(p, dK, x, dz, &g);
    if (dx)
        input_grad(p, dx, dz, K, &g);
}

static void conv_forward(SlLayer *l, SlPass *p)
{
    const ConvCfg *c = l->cfg;
    sl_channels_first_forward(l, p, c->channels_first, SCR_CHANNELS_FIRST, conv_forward_last);
}

static void conv_backward(SlLayer *l, SlPass *p)
{
    const ConvCfg *c = l->cfg;
    sl_channels_first_backward(l, p, c->channels_first, SCR_CHANNELS_FIRST, conv_backward_last);
}

static void conv_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    const ConvCfg *c = l->cfg;
    char a[96], b[96], k[32], pad[160] = "", how[160] = "", grp[96] = "";
    sl_shape_str(&io->in[0], a, sizeof a);
    sl_shape_str(&io->out[0], b, sizeof b);
    if (c->groups > 1)
        snprintf(grp, sizeof grp, "; %d groups of %d channels in, %d filters each", c->groups,
                 c->in / c->groups, c->filters / c->groups);
    snprintf(how, sizeof how, "%s%s", grp,
             c->channels_first ? "; channels_first: the channels on axis 1" : "");
    if (c->rank == 1) {
        int span = sl_conv_span(c->k[1], c->d[1]);
        if (c->padding == SL_PAD_CAUSAL)
            snprintf(pad, sizeof pad, "; causal: %d zero%s on the left, no step sees the future",
                     span - 1, span == 2 ? "" : "s");
        else if (c->padding == SL_PAD_SAME)
            snprintf(pad, sizeof pad, "; padding='same' keeps ceil(steps / %d)", c->s[1]);
        else
            snprintf(pad, sizeof pad, "; padding='valid' loses %d step%s", span - 1,
                     span == 2 ? "" : "s");
        char reads[96]; /* a dilated kernel spans more steps than it reads */
        if (c->d[1] > 1)
            snprintf(reads, sizeof reads,
                     "dilation %d: each output spans %d steps and reads %d of "
                     "them",
                     c->d[1], span, c->k[1]);
        else
            snprintf(reads, sizeof reads, "dilation 1: each output reads %d step%s", span,
                     span == 1 ? "" : "s");
        snprintf(buf, n,
                 "Conv1D slides %d filter%s of %d step%s x %d channels (%s%s)%s%s: %s -> %s",
                 c->filters, c->filters == 1 ? "" : "s", c->k[1], c->k[1] == 1 ? "" : "s",
                 c->in / c->groups, reads, c->s[1] > 1 ? ", strided" : "", pad, how, a, b);
    } else {
        pair_str(c, c->k, k, sizeof k);
        snprintf(buf, n,
                 "Conv2D slides %d kernel%s of %dx%dx%d (depth %d: %s), one output channel each, "
                 "padding='%s'%s: %s -> %s",
                 c->filters, c->filters == 1 ? "" : "s", c->k[0], c->k[1], c->in / c->groups,
                 c->in / c->groups,
                 c->groups > 1 ? "its group's input channels"
                               : "every input "
                                 "channel",
                 sl_padding_name(c->padding), how, a, b);
    }
}

static void conv_formula(const SlLayer *l, char *buf, size_t n)
{
    const ConvCfg *c = l->cfg;
    long long k = (long long)c->k[0] * c->k[1] * (c->in / c->groups) * c->filters;
    char taps[32];
    if (c->rank == 1)
        snprintf(taps, sizeof taps, "%d", c->k[1]);
    else
        snprintf(taps, sizeof taps, "%d*%d", c->k[0], c->k[1]);
    int ch[2] = {c->in / c->groups, c->filters}; /* in the kernel's order */
    if (c->transposed)
        ch[0] = c->filters, ch[1] = c->in;
    if (c->use_bias)
        snprintf(buf, n, "%s*%d*%d + %d = %lld", taps, ch[0], ch[1], c->filters, k + c->filters);
    else
        snprintf(buf, n, "%s*%d*%d = %lld", taps, ch[0], ch[1], k);
}

/* Along the steps (Conv1D) or rows (axis 0) and columns (Conv2D's axis 1). */
static int conv_window(const SlLayer *l, int axis, SlWindowGeom *w)
{
    const ConvCfg *c = l->cfg;
    int a = c->rank == 1 ? (axis == 0 ? 1 : -1) : axis; /* Conv1D keeps its steps in the width */
    if (a < 0 || a > 1 || c->channels_first) /* channels_first: axis 1 holds the channels */
        return 0;
    *w = (SlWindowGeom){.k = c->k[a], .s = c->s[a], .d = c->d[a], .pad = c->padding};
    return 1;
}

/* The scenes draw channels_last tensors and filters that see every input channel: a layer with
 * channels_first or groups claims none (the shapes scene draws it). */
static int conv_drawn(const ConvCfg *c)
{
    return !c->channels_first && c->groups == 1;
}

/* Few channels fit the conv-backprop scene's picture whole; a dilated or causal stack is what the
 * receptive-field scene is for. */
static int conv1d_scenes(const SlLayer *l, SlSceneClaim *out)
{
    const ConvCfg *c = l->cfg;
    if (!conv_drawn(c))
        return 0;
    SlSceneClaim rf = {"receptive-field", SL_SCENE_AMONG, "which input steps one output step sees",
                       0};
    SlSceneClaim bp = {"conv-backprop", SL_SCENE_AMONG,
                       "the forward correlation and the backward pass's turned-around kernel", 0};
    if (c->d[1] > 1 || c->padding == SL_PAD_CAUSAL)
        rf.weight = SL_SCENE_ABOUT;
    if (c->in > 0 && c->in <= 2 && c->filters <= 2)
        bp.weight = SL_SCENE_OWN;
    int rf_first = rf.weight >= bp.weight;
    out[0] = rf_first ? rf : bp;
    out[1] = rf_first ? bp : rf;
    return 2;
}

static int conv2d_scenes(const SlLayer *l, SlSceneClaim *out)
{
    if (!conv_drawn(l->cfg))
        return 0;
    out[0] = (SlSceneClaim){"conv2d", SL_SCENE_OWN,
                            "each filter summing over every input channel in its window", 0};
    out[1] = (SlSceneClaim){"receptive-field", SL_SCENE_AMONG,
                            "which input rows one output row sees", 0};
    return 2;
}

int sl_window_out_len(const SlWindowGeom *w, int n, int *pad_before)
{
    if (w->transposed) {
        if (pad_before)
            *pad_before = w->before;
        return n == SL_NONE ? SL_NONE
                            : (n - 1) * w->s + sl_conv_span(w->k, w->d) - w->before - w->after;
    }
    if (w->shift) {
        if (pad_before)
            *pad_before = w->before;
        return n == SL_NONE ? SL_NONE : n + w->before + w->after;
    }
    return sl_conv_out_len(n, w->k, w->s, w->d, w->pad, pad_before);
}

const SlLayerType sl_conv1d_type = {
    .name = "Conv1D",
    .snake = "conv1d",
    .aliases = "Convolution1D",
    .summary = "filters slide along the steps: (batch, steps, in) -> (batch, steps', filters)",
    .args = conv_args,
    .n_args = sizeof conv_args / sizeof conv_args[0],
    .example_args = "3, 3, padding='causal', dilation_rate=2",
    .example_input = "(2, 9, 2)",
    .kind = 0,
    .steps = SL_STEPS_WINDOW,
    .create = conv1d_create,
    .infer = conv_infer,
    .params = conv_params,
    .scratch = conv_scratch,
    .forward = conv_forward,
    .backward = conv_backward,
    .reset = sl_layer_reset_nothing,
    .explain = conv_explain,
    .formula = conv_formula,
    .note = sl_layer_no_note,
    .window = conv_window,
    .codes = sl_layer_reals,
    .scenes = conv1d_scenes,
    .destroy = sl_layer_destroy_cfg,
};

const SlLayerType sl_conv2d_type = {
    .name = "Conv2D",
    .snake = "conv2d",
    .aliases = "Convolution2D",
    .summary = "kernels slide over rows and cols: (batch, rows, cols, in) -> (..., filters)",
    .args = conv_args,
    .n_args = sizeof conv_args / sizeof conv_args[0],
    .example_args = "3, (2, 3)",
    .example_input = "(2, 5, 6, 2)",
    .kind = 0,
    .steps = SL_STEPS_WINDOW,
    .create = conv2d_create,
    .infer = conv_infer,
    .params = conv_params,
    .scratch = conv_scratch,
    .forward = conv_forward,
    .backward = conv_backward,
    .reset = sl_layer_reset_nothing,
    .explain = conv_explain,
    .formula = conv_formula,
    .note = sl_layer_no_note,
    .window = conv_window,
    .codes = sl_layer_reals,
    .scenes = conv2d_scenes,
    .destroy = sl_layer_destroy_cfg,
};

/* ---- Conv1DTranspose, Conv2DTranspose: the way back up ----
 *
 * Shapes (channels_last):
 *   Conv1DTranspose  x (batch, steps, in)       kernel (k, filters, in)        y (batch, steps', filters)
 *   Conv2DTranspose  x (batch, rows, cols, in)  kernel (kh, kw, filters, in)   y (batch, rows', cols', filters)
 * Keras keeps the kernel of the Conv that reads `filters` channels and makes `in`: the Conv2D
 * layout with the channel axes swapped.
 *
 * Each input cell stamps a copy of the kernel, times its values, into the output, s cells after
 * the stamp of the cell before; where stamps overlap they add. Along an axis of n cells the whole
 * scatter has (n - 1) * s + span cells (span = 1 + (k - 1) * d), of which Keras keeps
 *   'valid'  (n - 1) * s + span + op       op = output_padding; None: max(span, s) - span
 *   'same'   n * s                          with output_padding: (n - 1) * s + span % 2 + op
 * cutting `before` cells at the start (sl_conv_transpose_cuts; zeros where it keeps more).
 *
 * That scatter is the input gradient of the Conv with kernel K from y's shape to x's (conv.h):
 * the forward pass is sl_conv_input_grad (rotate180, spread, full correlation) with x where the
 * output gradient was. Backward, with A that Conv's linear map, y = A^T x + b, so
 *   dz = act'(z) * dy          db[f] += sum dz[..., f]
 *   dx += A dz                 the Conv's forward: dz correlated with K
 *   dK += dz correlated with x the Conv's kernel gradient, with x as its output gradient
 * docs/conv-backprop.md shows the two side by side.
 */

void sl_conv_transpose_cuts(int k, int s, int d, SlPadding pad, int op, int *before, int *after)
{
    int span = sl_conv_span(k, d);
    if (pad != SL_PAD_SAME) {
        *before = 0;
        *after = op >= 0 ? -op : -((span > s ? span : s) - span);
        return;
    }
    /* Keras pads the spread input by pad_len cells for the full correlation, the odd one before,
     * at most span - 1 before (backend_utils.py, as JAX pads); the scatter's cells it does not
     * reach are cut. out = (n - 1) * s + s, or + span % 2 + op. */
    int pad_len = op < 0 ? s + span - 2 : span + span % 2 - 2 + op;
    int left = pad_len / 2 + pad_len % 2;
    left = left < span - 1 ? left : span - 1;
    *before = span - 1 - left;
    *after = span - (op < 0 ? s : span % 2 + op) - *before;
}

/* The transposed window along cfg axis a (0: rows; 1: columns, or Conv1DTranspose's steps). */
static SlWindowGeom transpose_window_geom(const ConvCfg *c, int a)
{
    SlWindowGeom w = {.k = c->k[a], .s = c->s[a], .d = c->d[a], .pad = c->padding, .transposed = 1};
    sl_conv_transpose_cuts(c->k[a], c->s[a], c->d[a], c->padding, c->op[a], &w.before, &w.after);
    return w;
}

static int transpose1d_create(SlLayer *l, const SlBound *b, SlError *e)
{
    return conv_create(l, b, e, 1, 1);
}

static int transpose2d_create(SlLayer *l, const SlBound *b, SlError *e)
{
    return conv_create(l, b, e, 2, 1);
}

/* How Keras sizes one axis, in words with the numbers: "8 * 2 = 16". n may be None. */
static void transpose_rule(const ConvCfg *c, int a, int n, long long out, char *buf, size_t len)
{
    char nb[24], eq[32] = "";
    int span = sl_conv_span(c->k[a], c->d[a]), s = c->s[a], op = c->op[a];
    if (n == SL_NONE)
        snprintf(nb, sizeof nb, "n");
    else
        snprintf(nb, sizeof nb, "%d", n), snprintf(eq, sizeof eq, " = %lld", out);
    if (c->padding == SL_PAD_SAME && op < 0)
        snprintf(buf, len, "%s * %d%s", nb, s, eq);
    else if (c->padding == SL_PAD_SAME)
        snprintf(buf, len, "(%s - 1) * %d + %d %% 2 + %d%s", nb, s, span, op, eq);
    else if (op >= 0)
        snprintf(buf, len, "(%s - 1) * %d + %d + %d%s", nb, s, span, op, eq);
    else /* output_padding None: max(span, s) */
        snprintf(buf, len, "(%s - 1) * %d + %d%s", nb, s, span > s ? span : s, eq);
}

static int transpose_infer(SlLayer *l, SlInfer *io, SlError *e)
{
    ConvCfg *c = l->cfg;
    if (conv_check_input(l, io, e) < 0)
        return -1;
    const SlShape *in = &io->in[0];
    SlShape out = *in;
    for (int i = 0; i < c->rank; i++) {
        int a = 2 - c->rank + i, ax = sl_spatial_axis(c->channels_first, i), n = in->dim[ax];
        if (n == SL_NONE)
            continue;
        SlWindowGeom w = transpose_window_geom(c, a);
        long long o = (long long)(n - 1) * w.s + sl_conv_span(w.k, w.d) - w.before - w.after;
        char rule[96], exp[200];
        transpose_rule(c, a, n, o, rule, sizeof rule);
        if (o <= 0) {
            snprintf(exp, sizeof exp, "an output of at least 1 cell along axis %d, not %s", i + 1,
                     rule);
            return sl_layer_shape_error(e, l, exp, in,
                                        "leave output_padding=None ('same' then gives n * "
                                        "strides), or use padding='valid'");
        }
        if (o > SL_MAX_DIM) {
            snprintf(exp, sizeof exp, "an output of at most %d cells along axis %d, not %s",
                     SL_MAX_DIM, i + 1, rule);
            return sl_layer_shape_error(e, l, exp, in, "use smaller strides or a smaller input");
        }
        out.dim[ax] = (int)o;
    }
    out.dim[sl_channel_axis(c->channels_first, in->rank)] = c->filters;
    io->out[0] = out;
    io->n_out = 1;
    io->out_mask[0] = SL_MASK_NONE;
    return 0;
}

/* A call of a transposed layer as the Conv whose input gradient it is: that Conv reads an image
 * shaped like y (CI = filters) and makes one shaped like x (CO = in), with K (kh, kw, filters, in)
 * in its own layout (KH, KW, CI, CO), and cuts `before` cells as its padding. */
static SlConvGeom transpose_geom(const ConvCfg *c, const SlShape *in, const SlShape *out)
{
    SlConvGeom g = {.B = in->dim[0], .H = 1, .OH = 1, .CI = c->filters, .CO = c->in};
    g.W = out->dim[c->rank];
    g.OW = in->dim[c->rank];
    if (c->rank == 2) {
        g.H = out->dim[1];
        g.OH = in->dim[1];
    }
    g.KH = c->k[0], g.KW = c->k[1], g.sh = c->s[0], g.sw = c->s[1], g.dh = c->d[0], g.dw = c->d[1];
    g.ph = transpose_window_geom(c, 0).before;
    g.pw = transpose_window_geom(c, 1).before;
    return g;
}

/* Scratch: the product's three (conv_scratch_of); with an activation, z and dz; with
 * channels_first, the moved tensors (no groups here). */
static void transpose_scratch(const SlLayer *l, const SlInfer *io, SlScratchDecl *d)
{
    const ConvCfg *c = l->cfg;
    SlInfer last = sl_infer_channels_last(io, c->channels_first);
    SlConvGeom g = transpose_geom(c, &last.in[0], &last.out[0]);
    conv_scratch_of(&g, d);
    sl_act_scratch(c->act, sl_shape_count(&io->out[0]), d); /* SCR_Z, SCR_DZ */
    if (c->channels_first)
        sl_channels_first_scratch(io, SCR_CHANNELS_FIRST, d);
}

/* y = b + the input gradient of the Conv with kernel K, x in the place of its output gradient. */
static void transpose_forward_last(SlLayer *l, SlPass *p)
{
    const ConvCfg *c = l->cfg;
    SlConvGeom g = transpose_geom(c, &p->x[0].shape, &p->y[0].shape);
    size_t rows = (size_t)g.B * g.H * g.W, F = (size_t)g.CI;
    sl_real *z =
        c->act == SL_ACT_LINEAR ? p->y[0].data : p->scratch[SCR_Z]; /* (B, H, W, filters) */
    const sl_real *x = p->x[0].data, *K = l->params[0].value.data;
    fill_bias(z, c->use_bias ? l->params[1].value.data : NULL, rows, F);
    (sl_kernels_fast() ? sl_conv_input_grad_fast : sl_conv_input_grad)(
        z, p->scratch[SCR_ROTATED], p->scratch[SCR_SPREAD], x, K, &g);
    if (c->act != SL_ACT_LINEAR)
        sl_act_forward(c->act, p->y[0].data, z, rows, F);
}

static void transpose_backward_last(SlLayer *l, SlPass *p)
{
    const ConvCfg *c = l->cfg;
    SlConvGeom g = transpose_geom(c, &p->x[0].shape, &p->y[0].shape);
    size_t rows = (size_t)g.B * g.H * g.W, F = (size_t)g.CI;
    const sl_real *dz = /* (B, H, W, filters) */
        sl_act_grad(c->act, p->scratch[SCR_DZ], p->dy[0].data, p->scratch[SCR_Z], p->y[0].data,
                    rows, F);
    const sl_real *x = p->x[0].data, *K = l->params[0].value.data;
    sl_real *dK = l->params[0].grad.data, *dx = p->no_dx[0] ? NULL : p->dx[0].data;
    if (c->use_bias)
        add_bias_grad(l->params[1].grad.data, dz, rows, F);
    if (sl_kernels_fast()) { /* the Conv's forward and its dK, on dz padded */
        sl_conv_pad(p->scratch[SCR_PADDED], dz, &g);
        if (dx)
            sl_conv_correlate_padded(dx, p->scratch[SCR_PADDED], K, &g);
        sl_conv_kernel_grad_padded(dK, p->scratch[SCR_PADDED], x, &g);
        return;
    }
    if (dx)
        sl_correlate(dx, dz, K, &g);         /* the Conv's forward */
    sl_correlate_kernel_grad(dK, dz, x, &g); /* and its dK */
}

static void transpose_forward(SlLayer *l, SlPass *p)
{
    const ConvCfg *c = l->cfg;
    sl_channels_first_forward(l, p, c->channels_first, SCR_CHANNELS_FIRST, transpose_forward_last);
}

static void transpose_backward(SlLayer *l, SlPass *p)
{
    const ConvCfg *c = l->cfg;
    sl_channels_first_backward(l, p, c->channels_first, SCR_CHANNELS_FIRST,
                               transpose_backward_last);
}

static void transpose_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    const ConvCfg *c = l->cfg;
    char a[96], b[96], rule[96], kern[48], apart[32];
    sl_shape_str(&io->in[0], a, sizeof a);
    sl_shape_str(&io->out[0], b, sizeof b);
    int ax = 2 - c->rank; /* the first spatial axis */
    int sp = sl_spatial_axis(c->channels_first, 0);
    transpose_rule(c, ax, io->in[0].dim[sp], io->out[0].dim[sp], rule, sizeof rule);
    if (c->rank == 1)
        snprintf(kern, sizeof kern, "a kernel of %d tap%s", c->k[1], c->k[1] == 1 ? "" : "s");
    else
        snprintf(kern, sizeof kern, "a %dx%d kernel", c->k[0], c->k[1]);
    if (c->rank == 2 && c->s[0] != c->s[1])
        snprintf(apart, sizeof apart, "(%d, %d) cells", c->s[0], c->s[1]);
    else
        snprintf(apart, sizeof apart, "%d %s%s", c->s[1], c->rank == 1 ? "step" : "cell",
                 c->s[1] == 1 ? "" : "s");
    snprintf(buf, n,
             "%s: each input %s stamps %s (%d channel%s in, %d filter%s out) into the output, "
             "%s apart; padding='%s' gives %s %s: %s -> %s",
             l->type->name, c->rank == 1 ? "step" : "cell", kern, c->in, c->in == 1 ? "" : "s",
             c->filters, c->filters == 1 ? "" : "s", apart, sl_padding_name(c->padding),
             c->rank == 1 ? "steps" : "rows", rule, a, b);
}

/* summary --explain: the kernel's layout, which surprises. */
static void transpose_note(const SlLayer *l, char *buf, size_t n)
{
    const ConvCfg *c = l->cfg;
    if (c->rank == 1)
        snprintf(buf, n,
                 "kernel (%d, %d, %d) is (k, filters, in): Conv1D's layout with the channel axes "
                 "swapped; the forward pass is a Conv1D's input gradient",
                 c->k[1], c->filters, c->in);
    else
        snprintf(buf, n,
                 "kernel (%d, %d, %d, %d) is (kh, kw, filters, in): Conv2D's layout with the "
                 "channel axes swapped; the forward pass is a Conv2D's input gradient",
                 c->k[0], c->k[1], c->filters, c->in);
}

/* Input step i feeds output steps i*s - before + t*d (axis 0: the steps or rows; 1: columns). */
static int transpose_window(const SlLayer *l, int axis, SlWindowGeom *w)
{
    const ConvCfg *c = l->cfg;
    int a = c->rank == 1 ? (axis == 0 ? 1 : -1) : axis;
    if (a < 0 || a > 1 || c->channels_first) /* channels_first: axis 1 holds the channels */
        return 0;
    *w = transpose_window_geom(c, a);
    return 1;
}

static int transpose_scenes(const SlLayer *l, SlSceneClaim *out)
{
    if (!conv_drawn(l->cfg))
        return 0;
    out[0] = (SlSceneClaim){"transposed-conv", SL_SCENE_ABOUT,
                            "each input cell stamping the kernel: a Conv's input gradient", 0};
    return 1;
}

/* Keras's order: output_padding comes before data_format and dilation_rate; no groups. */
static const SlArgSpec transpose_args[] = {
    {"filters", SL_ARG_INT, NULL, "output channels: one filter each"},
    {"kernel_size", SL_ARG_INTS, NULL, "taps of the stamp along each axis (before dilation)"},
    {"strides", SL_ARG_INTS, "1", "cells between the stamps of neighbouring input cells"},
    {"padding", SL_ARG_STR, "'valid'",
     "'valid' (every stamped cell: (n - 1) * strides + span) or 'same' (n * strides)"},
    {"output_padding", SL_ARG_INTS | SL_ARG_OR_NONE, "None",
     "cells added at the end of each axis, below strides; None: Keras's choice"},
    SL_ARG_DATA_FORMAT,
    {"dilation_rate", SL_ARG_INTS, "1", "spacing of the kernel's taps: span 1 + (k - 1) * d"},
    {"activation", SL_ARG_STR | SL_ARG_OR_NONE, "None", "applied to the output; None is linear"},
    {"use_bias", SL_ARG_BOOL, "True", "add one bias per filter"},
    SL_ARGS_KERNEL_BIAS,
};

const SlLayerType sl_conv1d_transpose_type = {
    .name = "Conv1DTranspose",
    .snake = "conv1d_transpose",
    .aliases = "Convolution1DTranspose",
    .summary = "each input step stamps the kernel: (batch, steps, in) -> (batch, steps', filters)",
    .args = transpose_args,
    .n_args = sizeof transpose_args / sizeof transpose_args[0],
    .example_args = "2, 3, strides=2, padding='same'",
    .example_input = "(2, 5, 3)",
    .kind = 0,
    .steps = SL_STEPS_WINDOW,
    .create = transpose1d_create,
    .infer = transpose_infer,
    .params = conv_params,
    .scratch = transpose_scratch,
    .forward = transpose_forward,
    .backward = transpose_backward,
    .reset = sl_layer_reset_nothing,
    .explain = transpose_explain,
    .formula = conv_formula,
    .note = transpose_note,
    .window = transpose_window,
    .codes = sl_layer_reals,
    .scenes = transpose_scenes,
    .destroy = sl_layer_destroy_cfg,
};

const SlLayerType sl_conv2d_transpose_type = {
    .name = "Conv2DTranspose",
    .snake = "conv2d_transpose",
    .aliases = "Convolution2DTranspose",
    .summary = "each input cell stamps the kernel: (batch, rows, cols, in) -> (..., filters)",
    .args = transpose_args,
    .n_args = sizeof transpose_args / sizeof transpose_args[0],
    .example_args = "2, (3, 2), strides=(2, 1), padding='same', output_padding=(1, 0)",
    .example_input = "(2, 3, 4, 3)",
    .kind = 0,
    .steps = SL_STEPS_WINDOW,
    .create = transpose2d_create,
    .infer = transpose_infer,
    .params = conv_params,
    .scratch = transpose_scratch,
    .forward = transpose_forward,
    .backward = transpose_backward,
    .reset = sl_layer_reset_nothing,
    .explain = transpose_explain,
    .formula = conv_formula,
    .note = transpose_note,
    .window = transpose_window,
    .codes = sl_layer_reals,
    .scenes = transpose_scenes,
    .destroy = sl_layer_destroy_cfg,
};
