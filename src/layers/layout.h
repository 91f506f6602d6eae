/* layout.h: data_format='channels_first' at a layer's boundary.
 *
 * The convolution family computes channels_last: (batch, spatial..., channels), the channels
 * contiguous, so the innermost loops run along them. Keras's data_format='channels_first' puts
 * the channels right after the batch: (batch, channels, spatial...), as PyTorch does. A layer
 * given that format keeps its loops: on the way in it moves the channels last into a buffer of
 * its own, runs, and moves the channels of its output first again; backward does the same with
 * the gradients. Weights do not change: a Conv2D kernel is (kh, kw, in, filters) in both formats,
 * as in Keras.
 *
 * Only the layer's boundary knows the format: its infer reads the channels and the spatial axes
 * where the format puts them (sl_channel_axis, sl_spatial_axis), and its scratch, forward and
 * backward entries go through the three sl_channels_first_* helpers below.
 */
#ifndef SL_LAYOUT_H
#define SL_LAYOUT_H

#include "layer.h"

/* The table entry every layer that takes data_format declares. */
#define SL_ARG_DATA_FORMAT                                                                         \
    {                                                                                              \
        "data_format", SL_ARG_STR | SL_ARG_OR_NONE, "None",                                        \
            "'channels_last' (batch, ..., channels), the default, or 'channels_first' (batch, "    \
            "channels, ...)"                                                                       \
    }

/* data_format: None or 'channels_last' give 0, 'channels_first' 1 (any case, as Keras reads it);
 * anything else is Keras's error. */
int sl_data_format_read(const SlBound *b, int *channels_first, SlError *e);

/* Where the format puts the channels of a shape of rank `rank`, and its spatial axis i (0 first). */
static inline int sl_channel_axis(int channels_first, int rank)
{
    return channels_first ? 1 : rank - 1;
}
static inline int sl_spatial_axis(int channels_first, int i)
{
    return channels_first ? 2 + i : 1 + i;
}

/* (batch, channels, s1, ..., sn) -> (batch, s1, ..., sn, channels), and back. Shapes of rank 2 or
 * less have no spatial axes and stay as they are. */
SlShape sl_shape_channels_last(const SlShape *first);
SlShape sl_shape_channels_first(const SlShape *last);

/* last (B, S..., C) = first (B, C, S...), whose shape is `first_shape`. */
void sl_move_channels_last(sl_real *last, const sl_real *first, const SlShape *first_shape);
/* first (B, C, S...) += last (B, S..., C); first_shape is first's shape. */
void sl_add_channels_first(sl_real *first, const sl_real *last, const SlShape *first_shape);

/* For a layer's scratch entry: io as its channels_last loops see it (io itself when
 * channels_first is 0). */
SlInfer sl_infer_channels_last(const SlInfer *io, int channels_first);
/* Declare, from slot `slot` on, the four buffers of a channels_first call (x, y, dy and dx with
 * the channels last); slots between d->n and `slot` are declared empty. */
void sl_channels_first_scratch(const SlInfer *io, int slot, SlScratchDecl *d);
/* Run a layer's channels_last forward (backward) on a call: straight through when
 * channels_first is 0; else on the buffers from slot `slot`, with the channels moved last on the
 * way in and first on the way out. The inner entry sees a pass whose x, y, dy and dx are those
 * buffers, with every other field (masks, scratch, rng) the call's own. */
void sl_channels_first_forward(SlLayer *l, SlPass *p, int channels_first, int slot,
                               void (*forward)(SlLayer *, SlPass *));
void sl_channels_first_backward(SlLayer *l, SlPass *p, int channels_first, int slot,
                                void (*backward)(SlLayer *, SlPass *));

#endif
