/* upsampling.c: UpSampling1D and UpSampling2D, the weightless way back up (a decoder's other
 * choice beside Conv2DTranspose).
 *
 * Shapes (channels_last; 1-D is the 2-D case with one row, as in conv.c):
 *   UpSampling1D(size)              (batch, steps, ch)        -> (batch, steps * size, ch)
 *   UpSampling2D(size=(sh, sw))     (batch, rows, cols, ch)   -> (batch, rows * sh, cols * sw, ch)
 * Each channel on its own; no weights.
 *
 * Forward, along an axis of n cells made s times longer, output cell o reads two input cells
 * i0, i1 with weights 1 - w and w:
 *   nearest   i0 = i1 = o / s, w = 0: each cell repeated s times (Keras: ops.repeat)
 *   bilinear  (UpSampling2D) the cells' centres lined up, tf.image.resize's half-pixel rule, which
 *             Keras's other backends share: src = (o + 0.5) / s - 0.5, clamped at 0;
 *             i0 = floor(src), i1 = min(i0 + 1, n - 1), w = src - i0
 *   y[oh, ow] = sum over the two rows r and two columns q of wr * wq * x[r, q]
 * Backward reads the same weights the other way: dx[r, q] += wr * wq * dy[oh, ow].
 * As windows (layer.h) both are transposed: input cell i feeds the outputs of a stamp. Nearest's
 * is a box of s cells with stride s (a Conv1DTranspose with a kernel of ones); bilinear's a tent
 * of 2s - s % 2 cells starting s / 2 cells before i*s. A mask is dropped, as Keras does.
 * UpSampling2D(data_format='channels_first') runs the same loop on its input with the channels
 * moved last (layout.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "conv.h"
#include "layer.h"
#include "layout.h"

typedef struct UpCfg {
    int rank;           /* spatial axes: 1 or 2 */
    int size[2];        /* (rows, cols); UpSampling1D uses the width */
    int bilinear;       /* else nearest */
    int channels_first; /* UpSampling2D(data_format='channels_first') */
} UpCfg;

/* ---- the kernel: one loop for both interpolations ---- */

/* The input cells output cell o of an axis made s times longer reads (n cells), and the weight w
 * of the second. */
static void source_cells(int o, int s, int n, int bilinear, int *i0, int *i1, sl_real *w)
{
    if (!bilinear) {
        *i0 = *i1 = o / s;
        *w = 0;
        return;
    }
    double src = (o + 0.5) / s - 0.5;
    src = src > 0 ? src : 0;
    *i0 = (int)src; /* floor: src >= 0 */
    *i1 = *i0 + 1 < n ? *i0 + 1 : n - 1;
    *w = (sl_real)(src - *i0);
}

/* y (B, H*sh, W*sw, C) from x (B, H, W, C); or, backward, dx += the same weights times dy. */
static void upsample_k(sl_real *out, const sl_real *in, int backward, const UpCfg *c, int B, int H,
                       int W, int C)
{
    int OH = H * c->size[0], OW = W * c->size[1];
    for (int b = 0; b < B; b++)
        for (int oh = 0; oh < OH; oh++) {
            int r[2];
            sl_real wr[2];
            source_cells(oh, c->size[0], H, c->bilinear, &r[0], &r[1], &wr[1]);
            wr[0] = 1 - wr[1];
            for (int ow = 0; ow < OW; ow++) {
                int q[2];
                sl_real wq[2];
                source_cells(ow, c->size[1], W, c->bilinear, &q[0], &q[1], &wq[1]);
                wq[0] = 1 - wq[1];
                size_t yo = (((size_t)b * OH + oh) * OW + ow) * C;
                if (!backward)
                    memset(out + yo, 0, (size_t)C * sizeof *out);
                for (int i = 0; i < 2; i++)
                    for (int j = 0; j < 2; j++) {
                        sl_real wt = wr[i] * wq[j];
                        size_t xi = (((size_t)b * H + r[i]) * W + q[j]) * C;
                        for (int ch = 0; ch < C; ch++) {
                            if (backward)
                                out[xi + ch] += wt * in[yo + ch];
                            else
                                out[yo + ch] += wt * in[xi + ch];
                        }
                    }
            }
        }
}

/* ---- the layers ---- */

static const SlArgSpec up1_args[] = {
    {"size", SL_ARG_INT, "2", "how many times each step is repeated"},
};
static const SlArgSpec up2_args[] = {
    {"size", SL_ARG_INTS, "(2, 2)", "the factors for rows and columns: an int or a pair"},
    SL_ARG_DATA_FORMAT,
    {"interpolation", SL_ARG_STR, "'nearest'",
     "'nearest' (repeat each cell) or 'bilinear' (weighted means of the nearest four)"},
};

static UpCfg *new_cfg(SlLayer *l, int rank, SlError *e)
{
    UpCfg *c = sl_alloc_zero(1, sizeof *c);
    if (!c) {
        sl_errorf(e, "out of memory");
        return NULL;
    }
    l->cfg = c;
    c->rank = rank;
    c->size[0] = c->size[1] = 1;
    return c;
}

static int up1_create(SlLayer *l, const SlBound *b, SlError *e)
{
    UpCfg *c = new_cfg(l, 1, e);
    if (!c)
        return -1;
    long long s = sl_bound_int(b, "size");
    if (s <= 0)
        return sl_errorf(e, "Argument `size` should be a positive integer. Received: size=%lld", s);
    c->size[1] = (int)s;
    return 0;
}

static int up2_create(SlLayer *l, const SlBound *b, SlError *e)
{
    UpCfg *c = new_cfg(l, 2, e);
    if (!c || sl_read_window_ints(b, "size", 2, c->size, e) < 0 ||
        sl_data_format_read(b, &c->channels_first, e) < 0)
        return -1;
    if (c->channels_first) /* axis 1 holds the channels */
        l->steps = SL_STEPS_ALL;
    const char *how = sl_bound_str(b, "interpolation");
    if (!strcasecmp(how, "bilinear"))
        c->bilinear = 1;
    else if (strcasecmp(how, "nearest"))
        return sl_errorf(e,
                         "interpolation='%s' is not one of 'nearest', 'bilinear' (Keras also has "
                         "'bicubic', 'lanczos3' and 'lanczos5', which shapelab does not)",
                         how);
    return 0;
}

static int up_infer(SlLayer *l, SlInfer *io, SlError *e)
{
    const UpCfg *c = l->cfg;
    if (sl_expect_spatial_input(l, io, c->rank, c->channels_first, e) < 0)
        return -1;
    SlShape out = io->in[0];
    for (int a = 0; a < c->rank; a++) {
        int ax = sl_spatial_axis(c->channels_first, a);
        int s = c->size[2 - c->rank + a], n = out.dim[ax];
        if (n == SL_NONE)
            continue;
        if ((long long)n * s > SL_MAX_DIM) {
            char exp[160];
            snprintf(exp, sizeof exp, "an output of at most %d cells along axis %d, not %d * %d",
                     SL_MAX_DIM, a + 1, n, s);
            return sl_layer_shape_error(e, l, exp, &io->in[0], "use a smaller size or input");
        }
        out.dim[ax] = n * s;
    }
    io->out[0] = out;
    io->n_out = 1;
    io->out_mask[0] = SL_MASK_NONE;
    return 0;
}

static void up_run(SlLayer *l, SlPass *p, int backward)
{
    const UpCfg *c = l->cfg;
    const SlShape *in = &p->x[0].shape;
    int H = c->rank == 2 ? in->dim[1] : 1, W = in->dim[c->rank], C = in->dim[in->rank - 1];
    if (backward)
        upsample_k(p->dx[0].data, p->dy[0].data, 1, c, in->dim[0], H, W, C);
    else
        upsample_k(p->y[0].data, p->x[0].data, 0, c, in->dim[0], H, W, C);
}

static void up_forward_last(SlLayer *l, SlPass *p)
{
    up_run(l, p, 0);
}

static void up_backward_last(SlLayer *l, SlPass *p)
{
    up_run(l, p, 1);
}

/* channels_first: on the moved tensors, in scratch slots 0-3 (layout.h). */
static void up_scratch(const SlLayer *l, const SlInfer *io, SlScratchDecl *d)
{
    const UpCfg *c = l->cfg;
    if (c->channels_first)
        sl_channels_first_scratch(io, 0, d);
}

static void up_forward(SlLayer *l, SlPass *p)
{
    const UpCfg *c = l->cfg;
    sl_channels_first_forward(l, p, c->channels_first, 0, up_forward_last);
}

static void up_backward(SlLayer *l, SlPass *p)
{
    const UpCfg *c = l->cfg;
    sl_channels_first_backward(l, p, c->channels_first, 0, up_backward_last);
}

static void up_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    const UpCfg *c = l->cfg;
    char a[96], b[96];
    sl_shape_str(&io->in[0], a, sizeof a);
    sl_shape_str(&io->out[0], b, sizeof b);
    if (c->rank == 1)
        snprintf(buf, n, "UpSampling1D repeats each step %d times, no weights: %s -> %s",
                 c->size[1], a, b);
    else if (!c->bilinear)
        snprintf(buf, n,
                 "UpSampling2D repeats each row %d times and each column %d times (nearest), "
                 "each channel on its own, no weights: %s -> %s",
                 c->size[0], c->size[1], a, b);
    else
        snprintf(buf, n,
                 "UpSampling2D (bilinear) makes %dx%d cells of each: each new cell a weighted "
                 "mean of the 4 input cells around its centre, no weights: %s -> %s",
                 c->size[0], c->size[1], a, b);
}

/* Input cell i feeds outputs i*s - before + t (axis 0: steps or rows; 1: columns). */
static int up_window(const SlLayer *l, int axis, SlWindowGeom *w)
{
    const UpCfg *c = l->cfg;
    int a = c->rank == 1 ? (axis == 0 ? 1 : -1) : axis;
    if (a < 0 || a > 1 || c->channels_first) /* channels_first: axis 1 holds the channels */
        return 0;
    int s = c->size[a];
    *w = (SlWindowGeom){.k = s, .s = s, .d = 1, .transposed = 1};
    if (c->bilinear) /* the tent: s / 2 cells before i*s, 2s - s % 2 cells in all */
        w->k = 2 * s - s % 2, w->before = w->after = s / 2;
    return 1;
}

const SlLayerType sl_up_sampling1d_type = {
    .name = "UpSampling1D",
    .snake = "up_sampling1d",
    .aliases = "",
    .summary = "each step repeated size times: (batch, steps, ch) -> (batch, steps * size, ch)",
    .args = up1_args,
    .n_args = sizeof up1_args / sizeof up1_args[0],
    .example_args = "3",
    .example_input = "(2, 4, 3)",
    .kind = 0,
    .steps = SL_STEPS_WINDOW,
    .create = up1_create,
    .infer = up_infer,
    .params = sl_layer_no_params,
    .scratch = up_scratch,
    .forward = up_forward,
    .backward = up_backward,
    .reset = sl_layer_reset_nothing,
    .explain = up_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = up_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

const SlLayerType sl_up_sampling2d_type = {
    .name = "UpSampling2D",
    .snake = "up_sampling2d",
    .aliases = "",
    .summary = "rows and columns repeated (or interpolated): (batch, rows * sh, cols * sw, ch)",
    .args = up2_args,
    .n_args = sizeof up2_args / sizeof up2_args[0],
    .example_args = "(2, 3), interpolation='bilinear'",
    .example_input = "(2, 3, 4, 2)",
    .kind = 0,
    .steps = SL_STEPS_WINDOW,
    .create = up2_create,
    .infer = up_infer,
    .params = sl_layer_no_params,
    .scratch = up_scratch,
    .forward = up_forward,
    .backward = up_backward,
    .reset = sl_layer_reset_nothing,
    .explain = up_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = up_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};
