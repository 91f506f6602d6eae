/* conv.h: the convolution kernels shared by Conv1D, Conv2D, their backward pass, the pooling
 * layers' geometry, the receptive-field arithmetic, the lessons and the scenes.
 *
 * Everything is channels_last (a layer given data_format='channels_first' moves its tensors at
 * its boundary, layout.h). A 1-D sequence (batch, steps, channels) is the 2-D case with a
 * height of 1: (batch, 1, steps, channels), and a Conv1D kernel (k, in, filters) is the Conv2D
 * kernel (1, k, in, filters). So one set of loops serves both.
 *
 * What Keras calls a convolution is a correlation: the kernel is not flipped.
 *   forward          y = correlate(x, K)                         (+ bias, then the activation)
 *   kernel gradient  dK = correlate(x, dy)                       (the input against the gradient)
 *   input gradient   dx = full correlation(spread(dy), rotate180(K))
 * rotate180 turns the kernel around in space and swaps its input and output channel axes;
 * spread puts the gradient's values back at the stride's spacing, with zeros between. The input
 * gradient is then the forward loop itself, run on the rotated kernel. docs/conv-backprop.md
 * derives it and works a small example by hand.
 */
#ifndef SL_CONV_H
#define SL_CONV_H

#include <stddef.h>

#include "layer.h"
#include "tensor.h"

/* SlPadding and SlWindowGeom are in layer.h: every layer type may declare a window. */

/* "valid", "same", "causal" -> the enum; -1 if unknown. */
int sl_padding_parse(const char *name, SlPadding *out);
const char *sl_padding_name(SlPadding p);

/* The span of a kernel of k taps spaced d apart: 1 + (k - 1) * d input cells. */
int sl_conv_span(int k, int d);
/* Output length along one axis of length n (SL_NONE stays SL_NONE) for a window of k taps,
 * stride s, dilation d; the padding before the first cell goes to *pad_before (may be NULL;
 * with n unknown it is exact only for 'valid' and 'causal'). The result is <= 0 when a 'valid'
 * window does not fit. TensorFlow's 'same': pad_total = max((ceil(n/s) - 1) * s + span - n, 0),
 * pad_before = pad_total / 2. */
int sl_conv_out_len(int n, int k, int s, int d, SlPadding pad, int *pad_before);

/* A transposed convolution along one axis (Conv1DTranspose, Conv2DTranspose), as Keras sizes it:
 * of the whole scatter of (n - 1) * s + span cells, `before` cells are cut at the start and
 * `after` at the end (< 0: zeros added), independent of n. op is output_padding, -1 for None.
 *   'valid'  out = (n - 1) * s + span + op      (op None: max(span, s) - span)
 *   'same'   out = n * s                         (op given: (n - 1) * s + span % 2 + op)
 * The forward pass is sl_conv_input_grad of the Conv with padding `before` (docs/conv-backprop.md). */
void sl_conv_transpose_cuts(int k, int s, int d, SlPadding pad, int op, int *before, int *after);

/* Sizes of one correlation, all concrete. Input (B, H, W, CI), kernel (KH, KW, CI, CO), output
 * (B, OH, OW, CO); a kernel tap (kh, kw) at output (oh, ow) reads input row
 * oh*sh - ph + kh*dh and column ow*sw - pw + kw*dw, and reads zero outside the input. */
typedef struct SlConvGeom {
    int B, H, W, CI;
    int OH, OW, CO;
    int KH, KW;
    int sh, sw; /* strides */
    int dh, dw; /* dilations */
    int ph, pw; /* padding before: top, left (may be negative: cells skipped) */
} SlConvGeom;

/* The geometry of a 1-D correlation over W steps: input (B, W, CI), kernel (K, CI, CO), stride s,
 * dilation d, padding as Conv1D's (output length and padding before from sl_conv_out_len). */
SlConvGeom sl_conv1d_geom(int B, int W, int CI, int CO, int K, int s, int d, SlPadding pad);

/* out (B, OH, OW, CO) += correlate(in (B, H, W, CI), k (KH, KW, CI, CO)). The innermost loop runs
 * along k's output channels, contiguous in memory (an axpy). */
void sl_correlate(sl_real *out, const sl_real *in, const sl_real *k, const SlConvGeom *g);
/* dk (KH, KW, CI, CO) += the input correlated with the output gradient dout (B, OH, OW, CO). */
void sl_correlate_kernel_grad(sl_real *dk, const sl_real *in, const sl_real *dout,
                              const SlConvGeom *g);
/* kr (KH, KW, CO, CI) = k (KH, KW, CI, CO) turned by 180 degrees in space, in/out swapped:
 * kr[kh][kw][co][ci] = k[KH-1-kh][KW-1-kw][ci][co]. */
void sl_rotate180(sl_real *kr, const sl_real *k, int KH, int KW, int CI, int CO);
/* Spread dout (B, OH, OW, CO) to (B, (OH-1)*sh + 1, (OW-1)*sw + 1, CO): each value at a multiple
 * of the stride, zeros between (the cells the strided forward skipped). */
void sl_spread(sl_real *sp, const sl_real *dout, int B, int OH, int OW, int CO, int sh, int sw);
/* The geometry of the input gradient's full correlation: the spread gradient as input, the
 * rotated kernel, stride 1, the same dilation, and (KH-1)*dh - ph rows of padding before. */
SlConvGeom sl_conv_input_grad_geom(const SlConvGeom *g);
/* din (B, H, W, CI) += the full correlation of the spread gradient sp with the rotated kernel kr
 * (KH, KW, CO, CI): sl_correlate on sl_conv_input_grad_geom(g). */
void sl_full_correlation(sl_real *din, const sl_real *sp, const sl_real *kr, const SlConvGeom *g);
/* din (B, H, W, CI) += full correlation(spread(dout), rotate180(k)): the three named steps.
 * kr (KH*KW*CO*CI) and sp (B * spread rows * spread cols * CO) are the caller's scratch. */
void sl_conv_input_grad(sl_real *din, sl_real *kr, sl_real *sp, const sl_real *dout,
                        const sl_real *k, const SlConvGeom *g);
/* Elements of the spread gradient for g. */
size_t sl_spread_count(const SlConvGeom *g);

/* A window argument (kernel_size, strides, pool_size ...): an int, or a tuple of `rank` ints, all
 * positive, into out[2] as (height, width); 1-D layers fill the width and set the height to 1. */
int sl_read_window_ints(const SlBound *b, const char *key, int rank, int out[2], SlError *e);

/* ---- what the weightless layers share (pool.c, upsampling.c) ---- */

/* The input must be (batch, <rank spatial axes>, channels), or with channels_first (batch,
 * channels, <rank spatial axes>); the error's fix says what to give. */
int sl_expect_spatial_input(const SlLayer *l, const SlInfer *io, int rank, int channels_first,
                            SlError *e);

/* ---- windows (SlLayerType.window) ---- */

/* Output length for n input cells, and the cells of padding before (for a concrete n). */
int sl_window_out_len(const SlWindowGeom *w, int n, int *pad_before);

#endif
