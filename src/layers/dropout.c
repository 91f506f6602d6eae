/* dropout.c: the regularizing layers that are active only in training, Identity, and
 * ActivityRegularization.
 *
 * Dropout. Shapes: x (batch, ...) -> y of the same shape; the mask, if any, passes through.
 * Training: a keep-mask m is drawn with one uniform u per element of the noise shape (the input
 * shape, or noise_shape with None filled in from the input), in row-major order, from the
 * model's seeded generator: m = (u >= rate) / (1 - rate). Where noise_shape has a 1, the same
 * draw is used along that axis (e.g. (None, 1, features) drops whole features for all timesteps).
 *   Forward:  y = x * m        Backward:  dx += dy * m
 * Inference: y = x, dx += dy. Scaling by 1/(1 - rate) in training keeps the expected sum the same,
 * so nothing changes at inference.
 *
 * SpatialDropout1D and SpatialDropout2D are Dropout with Keras's fixed noise shape: (batch, 1,
 * channels) on (batch, steps, channels), (batch, 1, 1, channels) on (batch, rows, cols, channels)
 * (channels_first: (batch, channels, 1, 1)). A whole channel is dropped, the same at every step or
 * pixel, since neighbouring steps and pixels are so alike that dropping single values teaches
 * little.
 *
 * GaussianNoise(stddev): training adds n * stddev, n ~ N(0, 1) drawn per element (row-major, the
 * model's generator):  y = x + stddev n,  dx += dy.
 * GaussianDropout(rate): training multiplies by g = 1 + s n, s = sqrt(rate / (1 - rate)), mean 1
 * and the variance of Dropout's scaled mask:  y = x g,  dx += dy g.
 * Both are the identity in inference, and pass masks through.
 *
 * Identity: y = x, dx += dy, in both modes (a placeholder where a layer is expected).
 * ActivityRegularization(l1=0, l2=0): y = x, and the loss gains (l1 sum |x| + l2 sum x^2) / batch
 * (an activity regularizer, src/penalty.c), so dx = dy + (l1 sign(x) + 2 l2 x) / batch.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "layer.h"

typedef struct DropoutCfg {
    double rate;
    int has_noise_shape;
    SlShape noise; /* as written, batch axis included; SL_NONE = same as the input */
} DropoutCfg;

static const SlArgSpec dropout_args[] = {
    {"rate", SL_ARG_FLOAT, NULL, "fraction of the inputs to drop, in [0, 1)"},
    {"noise_shape", SL_ARG_SHAPE | SL_ARG_OR_NONE, "None",
     "shape of the keep-mask, batch axis included; 1 shares a draw along that axis"},
    {"seed", SL_ARG_SEED | SL_ARG_OR_NONE, "None",
     "accepted for compatibility; masks come from the model's seeded generator"},
};

/* seed=: accepted, as Keras takes it, and said to be unused. */
static void seed_notice(SlLayer *l, const SlBound *b)
{
    if (sl_bound_is_none(b, "seed"))
        return;
    char text[256];
    snprintf(text, sizeof text,
             "notice: %s(seed=...) is accepted but not used: shapelab draws all its noise from "
             "the model's one seeded generator (the seed given to fit, or shapelab train --seed)",
             l->type->name);
    sl_layer_notice(l, text);
}

/* rate is a fraction of the inputs, in [0, 1). */
static int read_rate(const SlBound *b, double *rate, SlError *e)
{
    *rate = sl_bound_float(b, "rate");
    if (!(*rate >= 0 && *rate < 1))
        return sl_errorf(e, "rate is the fraction of inputs dropped and must be in [0, 1), got %g",
                         *rate);
    return 0;
}

static int dropout_create(SlLayer *l, const SlBound *b, SlError *e)
{
    DropoutCfg *c = sl_alloc_zero(1, sizeof *c);
    if (!c)
        return sl_errorf(e, "out of memory");
    l->cfg = c;
    if (read_rate(b, &c->rate, e) < 0)
        return -1;
    if (!sl_bound_is_none(b, "noise_shape")) {
        int dims[SL_MAX_RANK];
        int n = sl_bound_ints(b, "noise_shape", dims, SL_MAX_RANK);
        if (n < 1)
            return sl_errorf(e, "noise_shape needs 1 to %d axes, batch axis included", SL_MAX_RANK);
        c->noise = sl_shape_of(n, dims);
        c->has_noise_shape = 1;
        if (sl_check_sizes(&c->noise, 0, "noise_shape", e) < 0)
            return -1;
    }
    seed_notice(l, b);
    return 0;
}

/* The keep-mask's shape for an input shape: noise_shape with None filled in. */
static SlShape mask_shape(const DropoutCfg *c, const SlShape *in)
{
    if (!c->has_noise_shape)
        return *in;
    SlShape m = c->noise;
    for (int i = 0; i < m.rank; i++)
        if (m.dim[i] == SL_NONE)
            m.dim[i] = in->dim[i];
    return m;
}

static int dropout_infer(SlLayer *l, SlInfer *io, SlError *e)
{
    const DropoutCfg *c = l->cfg;
    if (sl_layer_expect_inputs(l, io, 1, e) < 0)
        return -1;
    const SlShape *in = &io->in[0];
    if (c->has_noise_shape) {
        char ns[96];
        sl_shape_str(&c->noise, ns, sizeof ns);
        if (c->noise.rank != in->rank)
            return sl_layer_shape_error(e, l, "an input with as many axes as noise_shape", in,
                                        "write noise_shape with the batch axis included, one "
                                        "entry per axis");
        for (int i = 0; i < in->rank; i++) {
            int d = c->noise.dim[i];
            if (d != SL_NONE && d != 1 && in->dim[i] != SL_NONE && d != in->dim[i])
                return sl_layer_shape_error(e, l,
                                            "each noise_shape entry to be None, 1 or the "
                                            "input's size",
                                            in, "use None to follow the input, 1 to share");
        }
    }
    io->out[0] = *in;
    sl_infer_pass_mask(io);
    return 0;
}

static void dropout_scratch(const SlLayer *l, const SlInfer *io, SlScratchDecl *d)
{
    SlShape m = mask_shape(l->cfg, &io->in[0]);
    d->n = 1;
    d->name[0] = "keep-mask m";
    d->count[0] = sl_shape_count(&m);
}

/* Offset into the keep-mask for the element at flat offset i of the input: axes where the mask
 * has size 1 reuse draw 0. */
static size_t mask_offset(const SlShape *in, const SlShape *m, size_t i)
{
    size_t off = 0, stride = 1;
    for (int d = in->rank - 1; d >= 0; d--) {
        size_t idx = i % (size_t)in->dim[d];
        i /= (size_t)in->dim[d];
        if (m->dim[d] != 1)
            off += idx * stride;
        stride *= (size_t)m->dim[d];
    }
    return off;
}

static void dropout_forward(SlLayer *l, SlPass *p)
{
    const DropoutCfg *c = l->cfg;
    size_t n = sl_tensor_count(&p->x[0]);
    if (!p->training || c->rate == 0) {
        memcpy(p->y[0].data, p->x[0].data, n * sizeof *p->y[0].data);
        return;
    }
    SlShape m = mask_shape(c, &p->x[0].shape);
    size_t nm = sl_shape_count(&m);
    sl_real *keep = p->scratch[0];
    sl_real scale = (sl_real)(1.0 / (1.0 - c->rate));
    for (size_t i = 0; i < nm; i++)
        keep[i] = sl_rng_uniform(p->rng) >= c->rate ? scale : 0;
    for (size_t i = 0; i < n; i++)
        p->y[0].data[i] = p->x[0].data[i] * keep[mask_offset(&p->x[0].shape, &m, i)];
}

static void dropout_backward(SlLayer *l, SlPass *p)
{
    const DropoutCfg *c = l->cfg;
    size_t n = sl_tensor_count(&p->x[0]);
    if (!p->training || c->rate == 0) {
        for (size_t i = 0; i < n; i++)
            p->dx[0].data[i] += p->dy[0].data[i];
        return;
    }
    SlShape m = mask_shape(c, &p->x[0].shape);
    const sl_real *keep = p->scratch[0];
    for (size_t i = 0; i < n; i++)
        p->dx[0].data[i] += p->dy[0].data[i] * keep[mask_offset(&p->x[0].shape, &m, i)];
}

static void dropout_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    const DropoutCfg *c = l->cfg;
    char s[96];
    snprintf(buf, n,
             "Dropout zeroes a random %.0f%% of the values while training (and scales the rest "
             "by 1/(1-rate)); the shape stays %s",
             c->rate * 100, sl_shape_str(&io->out[0], s, sizeof s));
}

const SlLayerType sl_dropout_type = {
    .name = "Dropout",
    .snake = "dropout",
    .aliases = "",
    .summary = "zeroes a random fraction of values while training; the shape does not change",
    .args = dropout_args,
    .n_args = sizeof dropout_args / sizeof dropout_args[0],
    .example_args = "0.5",
    .example_input = "(2, 4, 5)",
    .kind = 0,
    .steps = SL_STEPS_EACH,
    .create = dropout_create,
    .infer = dropout_infer,
    .params = sl_layer_no_params,
    .scratch = dropout_scratch,
    .forward = dropout_forward,
    .backward = dropout_backward,
    .reset = sl_layer_reset_nothing,
    .explain = dropout_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

/* ---- SpatialDropout1D, SpatialDropout2D: Dropout with the noise shape fixed ---- */

/* Keras's spatial dropouts take seed, name and dtype by position, after rate (and data_format). */
#define SPATIAL_SEED_NAME_DTYPE                                                                    \
    {"seed", SL_ARG_INT | SL_ARG_OR_NONE, "None",                                                  \
     "accepted for compatibility; masks come from the model's seeded generator"},                  \
        {"name", SL_ARG_STR | SL_ARG_OR_NONE, "None",                                              \
         "the layer's name; default: from the class"},                                             \
    {                                                                                              \
        "dtype", SL_ARG_STR | SL_ARG_OR_NONE, "None", "'float32' or 'float64'"                     \
    }

static const SlArgSpec spatial_dropout1d_args[] = {
    {"rate", SL_ARG_FLOAT, NULL, "fraction of the channels to drop, in [0, 1)"},
    SPATIAL_SEED_NAME_DTYPE,
};

static const SlArgSpec spatial_dropout2d_args[] = {
    {"rate", SL_ARG_FLOAT, NULL, "fraction of the channels to drop, in [0, 1)"},
    {"data_format", SL_ARG_STR | SL_ARG_OR_NONE, "None",
     "'channels_last' (the default) or 'channels_first': where the channels are"},
    SPATIAL_SEED_NAME_DTYPE,
};

/* A Dropout configuration whose keep-mask has the noise shape `noise` (SL_NONE: the input's). */
static int spatial_create(SlLayer *l, const SlBound *b, SlShape noise, SlError *e)
{
    DropoutCfg *c = sl_alloc_zero(1, sizeof *c);
    if (!c)
        return sl_errorf(e, "out of memory");
    l->cfg = c;
    if (read_rate(b, &c->rate, e) < 0)
        return -1;
    c->noise = noise;
    c->has_noise_shape = 1;
    seed_notice(l, b);
    return 0;
}

static int spatial_dropout1d_create(SlLayer *l, const SlBound *b, SlError *e)
{
    return spatial_create(l, b, sl_shape_of(3, (int[]){SL_NONE, 1, SL_NONE}), e);
}

static int spatial_dropout2d_create(SlLayer *l, const SlBound *b, SlError *e)
{
    const char *f = sl_bound_str(b, "data_format");
    int first = f && !strcmp(f, "channels_first");
    if (f && !first && strcmp(f, "channels_last"))
        return sl_errorf(e, "data_format must be 'channels_last' or 'channels_first', got '%s'", f);
    SlShape noise = first ? sl_shape_of(4, (int[]){SL_NONE, SL_NONE, 1, 1})
                          : sl_shape_of(4, (int[]){SL_NONE, 1, 1, SL_NONE});
    return spatial_create(l, b, noise, e);
}

/* The rank Keras's InputSpec asks for, then Dropout's rules. */
static int spatial_dropout_infer(SlLayer *l, SlInfer *io, SlError *e)
{
    const DropoutCfg *c = l->cfg;
    if (sl_layer_expect_inputs(l, io, 1, e) < 0)
        return -1;
    if (io->in[0].rank != c->noise.rank)
        return sl_layer_shape_error(
            e, l, c->noise.rank == 3 ? "(batch, steps, channels)" : "(batch, rows, cols, channels)",
            &io->in[0],
            c->noise.rank == 3 ? "SpatialDropout1D drops whole channels of a sequence; "
                                 "use SpatialDropout2D on images, Dropout otherwise"
                               : "SpatialDropout2D drops whole channels of an image; "
                                 "use SpatialDropout1D on sequences, Dropout otherwise");
    return dropout_infer(l, io, e);
}

static void spatial_dropout_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    const DropoutCfg *c = l->cfg;
    char s[96];
    snprintf(buf, n,
             "%s drops a random %.0f%% of the channels while training, each whole, at every %s "
             "alike (and scales the rest by 1/(1-rate)); the shape stays %s",
             l->type->name, c->rate * 100, c->noise.rank == 3 ? "step" : "pixel",
             sl_shape_str(&io->out[0], s, sizeof s));
}

const SlLayerType sl_spatial_dropout1d_type = {
    .name = "SpatialDropout1D",
    .snake = "spatial_dropout1d",
    .aliases = "",
    .summary = "drops whole channels of a sequence while training, the same at every step",
    .args = spatial_dropout1d_args,
    .n_args = sizeof spatial_dropout1d_args / sizeof spatial_dropout1d_args[0],
    .example_args = "0.5",
    .example_input = "(3, 4, 5)",
    .kind = 0,
    .steps = SL_STEPS_EACH,
    .create = spatial_dropout1d_create,
    .infer = spatial_dropout_infer,
    .params = sl_layer_no_params,
    .scratch = dropout_scratch,
    .forward = dropout_forward,
    .backward = dropout_backward,
    .reset = sl_layer_reset_nothing,
    .explain = spatial_dropout_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

const SlLayerType sl_spatial_dropout2d_type = {
    .name = "SpatialDropout2D",
    .snake = "spatial_dropout2d",
    .aliases = "",
    .summary = "drops whole channels of an image while training, the same at every pixel",
    .args = spatial_dropout2d_args,
    .n_args = sizeof spatial_dropout2d_args / sizeof spatial_dropout2d_args[0],
    .example_args = "0.5",
    .example_input = "(2, 3, 3, 4)",
    .kind = 0,
    .steps = SL_STEPS_EACH,
    .create = spatial_dropout2d_create,
    .infer = spatial_dropout_infer,
    .params = sl_layer_no_params,
    .scratch = dropout_scratch,
    .forward = dropout_forward,
    .backward = dropout_backward,
    .reset = sl_layer_reset_nothing,
    .explain = spatial_dropout_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

/* ---- GaussianNoise and GaussianDropout ---- */

typedef struct GaussianCfg {
    double stddev;      /* of the noise: GaussianNoise's stddev, GaussianDropout's s */
    int multiplicative; /* GaussianDropout */
    double rate;        /* GaussianDropout's, for its sentence */
} GaussianCfg;

static const SlArgSpec gaussian_noise_args[] = {
    {"stddev", SL_ARG_FLOAT, NULL, "standard deviation of the noise added, in [0, 1]"},
    {"seed", SL_ARG_INT | SL_ARG_OR_NONE, "None",
     "accepted for compatibility; noise comes from the model's seeded generator"},
};

static const SlArgSpec gaussian_dropout_args[] = {
    {"rate", SL_ARG_FLOAT, NULL,
     "as Dropout's, in [0, 1): the noise multiplied in has stddev sqrt(rate / (1 - rate))"},
    {"seed", SL_ARG_INT | SL_ARG_OR_NONE, "None",
     "accepted for compatibility; noise comes from the model's seeded generator"},
};

static int gaussian_noise_create(SlLayer *l, const SlBound *b, SlError *e)
{
    GaussianCfg *c = sl_alloc_zero(1, sizeof *c);
    if (!c)
        return sl_errorf(e, "out of memory");
    l->cfg = c;
    c->stddev = sl_bound_float(b, "stddev");
    if (!(c->stddev >= 0 && c->stddev <= 1)) /* Keras's own bounds */
        return sl_errorf(e,
                         "stddev is the noise's standard deviation and must be in [0, 1], "
                         "got %g",
                         c->stddev);
    seed_notice(l, b);
    return 0;
}

static int gaussian_dropout_create(SlLayer *l, const SlBound *b, SlError *e)
{
    GaussianCfg *c = sl_alloc_zero(1, sizeof *c);
    if (!c)
        return sl_errorf(e, "out of memory");
    l->cfg = c;
    if (read_rate(b, &c->rate, e) < 0)
        return -1;
    c->stddev = sqrt(c->rate / (1 - c->rate));
    c->multiplicative = 1;
    seed_notice(l, b);
    return 0;
}

/* Scratch: the noise drawn in training, one value per element, kept for backward. */
static void gaussian_scratch(const SlLayer *l, const SlInfer *io, SlScratchDecl *d)
{
    (void)l;
    d->n = 1;
    d->name[0] = "noise n ~ N(0, 1), one per element";
    d->count[0] = sl_shape_count(&io->in[0]);
}

static int gaussian_active(const GaussianCfg *c, const SlPass *p)
{
    return p->training && c->stddev > 0;
}

static void gaussian_forward(SlLayer *l, SlPass *p)
{
    const GaussianCfg *c = l->cfg;
    size_t n = sl_tensor_count(&p->x[0]);
    const sl_real *x = p->x[0].data;
    sl_real *y = p->y[0].data, *noise = p->scratch[0];
    if (!gaussian_active(c, p)) {
        memcpy(y, x, n * sizeof *y);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        noise[i] = (sl_real)sl_rng_normal(p->rng);
        y[i] = c->multiplicative ? x[i] * (1 + (sl_real)c->stddev * noise[i])
                                 : x[i] + (sl_real)c->stddev * noise[i];
    }
}

static void gaussian_backward(SlLayer *l, SlPass *p)
{
    const GaussianCfg *c = l->cfg;
    size_t n = sl_tensor_count(&p->x[0]);
    const sl_real *dy = p->dy[0].data, *noise = p->scratch[0];
    sl_real *dx = p->dx[0].data;
    int scaled = gaussian_active(c, p) && c->multiplicative; /* added noise passes dy as it is */
    for (size_t i = 0; i < n; i++)
        dx[i] += scaled ? dy[i] * (1 + (sl_real)c->stddev * noise[i]) : dy[i];
}

static void gaussian_noise_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    const GaussianCfg *c = l->cfg;
    char s[96];
    snprintf(buf, n,
             "GaussianNoise adds noise of standard deviation %g to every value while training "
             "(nothing in predict); the shape stays %s",
             c->stddev, sl_shape_str(&io->out[0], s, sizeof s));
}

static void gaussian_dropout_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    const GaussianCfg *c = l->cfg;
    char s[96];
    snprintf(buf, n,
             "GaussianDropout multiplies every value by 1 + noise of standard deviation %.3g "
             "(sqrt(rate/(1-rate)), rate %g) while training (nothing in predict); the shape stays "
             "%s",
             c->stddev, c->rate, sl_shape_str(&io->out[0], s, sizeof s));
}

const SlLayerType sl_gaussian_noise_type = {
    .name = "GaussianNoise",
    .snake = "gaussian_noise",
    .aliases = "",
    .summary = "adds Gaussian noise of a given stddev while training; the shape does not change",
    .args = gaussian_noise_args,
    .n_args = sizeof gaussian_noise_args / sizeof gaussian_noise_args[0],
    .example_args = "0.5",
    .example_input = "(2, 4, 5)",
    .kind = 0,
    .steps = SL_STEPS_EACH,
    .create = gaussian_noise_create,
    .infer = sl_infer_same_shape,
    .params = sl_layer_no_params,
    .scratch = gaussian_scratch,
    .forward = gaussian_forward,
    .backward = gaussian_backward,
    .reset = sl_layer_reset_nothing,
    .explain = gaussian_noise_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

const SlLayerType sl_gaussian_dropout_type = {
    .name = "GaussianDropout",
    .snake = "gaussian_dropout",
    .aliases = "",
    .summary = "multiplies by Gaussian noise of mean 1 while training; the shape does not change",
    .args = gaussian_dropout_args,
    .n_args = sizeof gaussian_dropout_args / sizeof gaussian_dropout_args[0],
    .example_args = "0.3",
    .example_input = "(2, 4, 5)",
    .kind = 0,
    .steps = SL_STEPS_EACH,
    .create = gaussian_dropout_create,
    .infer = sl_infer_same_shape,
    .params = sl_layer_no_params,
    .scratch = gaussian_scratch,
    .forward = gaussian_forward,
    .backward = gaussian_backward,
    .reset = sl_layer_reset_nothing,
    .explain = gaussian_dropout_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

/* ---- Identity ---- */

static const SlArgSpec identity_args[1]; /* only the arguments every layer takes */

static int identity_create(SlLayer *l, const SlBound *b, SlError *e)
{
    (void)l, (void)b, (void)e;
    return 0;
}

static void identity_forward(SlLayer *l, SlPass *p)
{
    (void)l;
    memcpy(p->y[0].data, p->x[0].data, sl_tensor_count(&p->x[0]) * sizeof *p->y[0].data);
}

static void identity_backward(SlLayer *l, SlPass *p)
{
    (void)l;
    size_t n = sl_tensor_count(&p->x[0]);
    for (size_t i = 0; i < n; i++)
        p->dx[0].data[i] += p->dy[0].data[i];
}

static void identity_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    (void)l;
    char s[96];
    snprintf(buf, n, "Identity passes its input on unchanged: the shape stays %s",
             sl_shape_str(&io->out[0], s, sizeof s));
}

const SlLayerType sl_identity_type = {
    .name = "Identity",
    .snake = "identity",
    .aliases = "",
    .summary = "passes its input on unchanged (a placeholder where a layer is expected)",
    .args = identity_args,
    .n_args = 0,
    .example_args = "",
    .example_input = "(2, 3, 4)",
    .kind = 0,
    .steps = SL_STEPS_EACH,
    .create = identity_create,
    .infer = sl_infer_same_shape,
    .params = sl_layer_no_params,
    .scratch = sl_layer_no_scratch,
    .forward = identity_forward,
    .backward = identity_backward,
    .reset = sl_layer_reset_nothing,
    .explain = identity_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

/* ---- ActivityRegularization: the identity, with an activity regularizer of its own ---- */

static const SlArgSpec activity_args[] = {
    {"l1", SL_ARG_FLOAT, "0.0", "the factor of sum |x| added to the loss (divided by the batch)"},
    {"l2", SL_ARG_FLOAT, "0.0", "the factor of sum x^2 added to the loss (divided by the batch)"},
};

static int activity_create(SlLayer *l, const SlBound *b, SlError *e)
{
    if (sl_bound_given(b, "activity_regularizer"))
        return sl_errorf(e, "it makes its own activity regularizer from l1= and l2=; give those "
                            "instead of activity_regularizer=");
    double f[2] = {sl_bound_float(b, "l1"), sl_bound_float(b, "l2")};
    for (int i = 0; i < 2; i++)
        if (!(f[i] >= 0))
            return sl_errorf(e,
                             "Invalid value for argument l%d: expected a non-negative float. "
                             "Received: l%d=%g",
                             i + 1, i + 1, f[i]);
    l->activity.l1 = f[0];
    l->activity.l2 = f[1];
    snprintf(l->activity.text, sizeof l->activity.text, "L1L2(l1=%g, l2=%g)", f[0], f[1]);
    return 0;
}

static void activity_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    char s[96];
    snprintf(buf, n,
             "ActivityRegularization passes its input on unchanged and adds %g sum |x| + %g sum "
             "x^2 (over the batch, divided by its size) to the loss: the shape stays %s",
             l->activity.l1, l->activity.l2, sl_shape_str(&io->out[0], s, sizeof s));
}

const SlLayerType sl_activity_regularization_type = {
    .name = "ActivityRegularization",
    .snake = "activity_regularization",
    .aliases = "",
    .summary = "passes values on unchanged and adds l1/l2 terms of them to the loss",
    .args = activity_args,
    .n_args = sizeof activity_args / sizeof activity_args[0],
    .example_args = "l1=0.01, l2=0.02",
    .example_input = "(2, 4, 5)",
    .kind = 0,
    .steps = SL_STEPS_EACH,
    .create = activity_create,
    .infer = sl_infer_same_shape,
    .params = sl_layer_no_params,
    .scratch = sl_layer_no_scratch,
    .forward = identity_forward,   /* y = x */
    .backward = identity_backward, /* the regularizer's gradient is added to dy by the model
                                      (penalty.c) */
    .reset = sl_layer_reset_nothing,
    .explain = activity_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};
