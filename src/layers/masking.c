/* masking.c: Masking(mask_value), the layer that says which timesteps are padding.
 *
 * Shapes: x (batch, timesteps, features) -> y the same; it starts a mask (batch, timesteps).
 * Forward:   m[b,t] = 0 when every feature of x[b,t,:] equals mask_value, else 1
 *            y[b,t,:] = x[b,t,:] * m[b,t]      (Keras zeroes the masked steps)
 * Backward:  dx[b,t,:] += dy[b,t,:] * m[b,t]
 * The layers after it read the mask: a recurrent layer carries its state over a masked step, the
 * loss leaves masked steps out of its mean, and layers that cannot keep a mask (Flatten, Conv1D,
 * pooling) drop it; `shapelab trace` says where.
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "layer.h"

typedef struct MaskCfg {
    double value;
} MaskCfg;

static const SlArgSpec masking_args[] = {
    {"mask_value", SL_ARG_FLOAT, "0.0", "a timestep whose features all equal this is padding"},
};

static int masking_create(SlLayer *l, const SlBound *b, SlError *e)
{
    MaskCfg *c = sl_alloc_zero(1, sizeof *c);
    if (!c)
        return sl_errorf(e, "out of memory");
    l->cfg = c;
    c->value = sl_bound_float(b, "mask_value");
    return 0;
}

static int masking_infer(SlLayer *l, SlInfer *io, SlError *e)
{
    if (sl_layer_expect_inputs(l, io, 1, e) < 0)
        return -1;
    const SlShape *in = &io->in[0];
    if (in->rank != 3)
        return sl_layer_shape_error(e, l, "(batch, timesteps, features)", in,
                                    "a mask has one entry per timestep: give the data a "
                                    "timesteps axis and a features axis");
    io->n_out = 1;
    io->out[0] = *in;
    io->out_mask[0] = SL_MASK_NEW;
    return 0;
}

/* 1 where step (b, t) has a feature other than mask_value. */
static unsigned char keep_step(const MaskCfg *c, const sl_real *x, size_t F)
{
    for (size_t f = 0; f < F; f++)
        if ((double)x[f] != (double)(sl_real)c->value)
            return 1;
    return 0;
}

static void masking_forward(SlLayer *l, SlPass *p)
{
    const MaskCfg *c = l->cfg;
    const SlShape *s = &p->x[0].shape;
    size_t rows = (size_t)s->dim[0] * (size_t)s->dim[1], F = (size_t)s->dim[2];
    for (size_t r = 0; r < rows; r++) {
        unsigned char keep = keep_step(c, p->x[0].data + r * F, F);
        p->mask_out[0][r] = keep;
        for (size_t f = 0; f < F; f++)
            p->y[0].data[r * F + f] = keep ? p->x[0].data[r * F + f] : 0;
    }
}

static void masking_backward(SlLayer *l, SlPass *p)
{
    const SlShape *s = &p->x[0].shape;
    size_t rows = (size_t)s->dim[0] * (size_t)s->dim[1], F = (size_t)s->dim[2];
    (void)l;
    for (size_t r = 0; r < rows; r++)
        for (size_t f = 0; p->mask_out[0][r] && f < F; f++)
            p->dx[0].data[r * F + f] += p->dy[0].data[r * F + f];
}

static void masking_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    const MaskCfg *c = l->cfg;
    char a[96];
    sl_shape_str(&io->in[0], a, sizeof a);
    snprintf(buf, n,
             "Masking keeps the shape %s and starts a mask: a timestep whose %d features all "
             "equal %g is padding",
             a, io->in[0].dim[2], c->value);
}

const SlLayerType sl_masking_type = {
    .name = "Masking",
    .snake = "masking",
    .aliases = "",
    .summary = "marks padded timesteps (all features = mask_value) so later layers skip them",
    .args = masking_args,
    .n_args = sizeof masking_args / sizeof masking_args[0],
    .example_args = "",
    .example_input = "(2, 5, 3)",
    .kind = 0,
    .steps = SL_STEPS_EACH,
    .create = masking_create,
    .infer = masking_infer,
    .params = sl_layer_no_params,
    .scratch = sl_layer_no_scratch,
    .forward = masking_forward,
    .backward = masking_backward,
    .reset = sl_layer_reset_nothing,
    .explain = masking_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};
