/* norm.c: the normalization family. LayerNormalization (below) and BatchNormalization (at the
 * end of the file, with its own banner). LayerNormalization: within each sample, the values along the
 * chosen axes are brought to mean 0 and variance 1, then scaled by gamma and shifted by beta.
 *
 * The view every normalization here shares: the input read as (outer, N, inner), where N is the
 * product of the normalized axes (they must sit side by side), outer the product of the axes
 * before them (the batch first) and inner of the axes after them. Element (o, m, i) is
 * x[(o*N + m)*inner + i]. LayerNormalization(axis=-1) on (batch, steps, features) is
 * (batch*steps, features, 1); axis=1 on the same input is (batch, steps, features).
 *
 * Shapes: x (batch, ..., features) -> y of the same shape; gamma and beta have the shape of the
 * normalized axes: (features,) for axis=-1, (steps, features) for axis=[1, 2].
 *
 * A group is one (o, i): its N values x_m, m = 0 .. N-1, are normalized together.
 * Forward (eps = epsilon):
 *   mu = mean_m x_m     var = mean_m (x_m - mu)^2     r = 1 / sqrt(var + eps)        (r = 1/sigma)
 *   xhat_m = (x_m - mu) r
 *   y_m = gamma_m xhat_m + beta_m        (gamma = 1 with scale=False, beta = 0 with center=False)
 * Backward, with g_m = dy_m gamma_m the gradient reaching xhat:
 *   dgamma_m += dy_m xhat_m     dbeta_m += dy_m            (summed over the groups)
 *   dx_m += r (g_m - mean_k g_k - xhat_m mean_k (g_k xhat_k))
 * (derived in docs/layers/norm.md: the mean and r both depend on every x_k of the group).
 * rms_scaling=True, Keras 3's deprecated option, does not subtract the mean (r still comes from
 * the centred variance) and has no beta: z_m = x_m r, y_m = gamma_m z_m, and
 *   dx_m += r (g_m - xhat_m mean_k (g_k z_k)).
 * A mask passes through: as in Keras, every step is normalized on its own, masked or not.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "init.h"
#include "layer.h"

/* ---- what the family shares: the (outer, N, inner) view, the axes, the arguments ---- */

typedef struct NormView {
    size_t outer, N, inner;
} NormView;

/* The view of shape s with axes first..last as the middle block. */
static NormView norm_view(const SlShape *s, int first, int last)
{
    NormView v = {1, 1, 1};
    for (int a = 0; a < s->rank; a++) {
        size_t d = (size_t)s->dim[a];
        if (a < first)
            v.outer *= d;
        else if (a <= last)
            v.N *= d;
        else
            v.inner *= d;
    }
    return v;
}

/* "1 (or -1)" or "1 to 3 (or -3 to -1)": the axes after the batch axis of an input of rank r. */
static void valid_axes(int rank, char *buf, size_t n)
{
    if (rank == 2)
        snprintf(buf, n, "1 (or -1)");
    else
        snprintf(buf, n, "1 to %d (or -%d to -1)", rank - 1, rank - 1);
}

/* The axes as written (axis[k], negative counting from the end) on input `in`: sorted, made
 * non-negative, into *first .. *last. Refuses an axis out of range, the batch axis, an axis named
 * twice and, for now, axes that are not side by side, each naming the layer, the input and the
 * valid axes. */
static int norm_axes(const SlLayer *l, const char *written, const int *axis, int n_axes,
                     const SlShape *in, int *first, int *last, SlError *e)
{
    char valid[64], exp[160], fix[256];
    valid_axes(in->rank, valid, sizeof valid);
    int seen[SL_MAX_RANK] = {0};
    *first = in->rank, *last = -1;
    for (int k = 0; k < n_axes; k++) {
        int a = axis[k] < 0 ? axis[k] + in->rank : axis[k];
        if (a < 0 || a >= in->rank) {
            snprintf(exp, sizeof exp, "an input that has axis %d (%s)", axis[k], written);
            snprintf(fix, sizeof fix,
                     "this input has axes %s after the batch axis 0; choose among them "
                     "(-1 is the last axis, the features)",
                     valid);
            return sl_layer_shape_error(e, l, exp, in, fix);
        }
        if (a == 0) {
            snprintf(exp, sizeof exp, "axes after the batch axis (%s names axis 0, the batch)",
                     written);
            snprintf(fix, sizeof fix,
                     "it normalizes within each sample, never across samples; use axes %s", valid);
            return sl_layer_shape_error(e, l, exp, in, fix);
        }
        if (seen[a]++) {
            snprintf(exp, sizeof exp, "each axis once (%s names axis %d twice)", written, a);
            snprintf(fix, sizeof fix, "list each axis once; for this input the axes are %s", valid);
            return sl_layer_shape_error(e, l, exp, in, fix);
        }
        *first = a < *first ? a : *first;
        *last = a > *last ? a : *last;
    }
    if (*last - *first + 1 != n_axes) {
        snprintf(exp, sizeof exp,
                 "axes side by side (%s leaves a gap; shapelab does not support that yet)",
                 written);
        return sl_layer_shape_error(e, l, exp, in,
                                    "normalize over consecutive axes, such as [1, 2, 3], or "
                                    "Permute the axes next to each other first");
    }
    return 0;
}

/* What LayerNormalization and BatchNormalization read alike: epsilon (0 or more), center and
 * scale, and beta's and gamma's initializers, regularizers and constraints. */
typedef struct NormAffine {
    double epsilon;
    int center, scale;
    SlWeightArgs beta, gamma;
} NormAffine;

static int read_affine(SlLayer *l, const SlBound *b, NormAffine *a, SlError *e)
{
    a->epsilon = sl_bound_float(b, "epsilon");
    if (!(a->epsilon >= 0))
        return sl_errorf(e,
                         "epsilon is added to the variance and must be 0 or more, got %g "
                         "(Keras's default is 1e-3, PyTorch's 1e-5)",
                         a->epsilon);
    a->center = sl_bound_bool(b, "center");
    a->scale = sl_bound_bool(b, "scale");
    if (sl_weight_args_read(l, &a->beta, b, "beta", e) < 0 ||
        sl_weight_args_read(l, &a->gamma, b, "gamma", e) < 0)
        return -1;
    return 0;
}

/* ---- LayerNormalization: kernels, outputs first, sizes last ---- */

/* mean (outer, inner) and r = 1/sqrt(var + eps) (outer, inner) of every group of x (outer, N,
 * inner). The innermost loops run along inner, over contiguous memory. */
static void layer_norm_moments_k(sl_real *mean, sl_real *rstd, const sl_real *x, double eps,
                                 size_t outer, size_t N, size_t inner)
{
    for (size_t o = 0; o < outer; o++) {
        sl_real *mu = mean + o * inner, *r = rstd + o * inner;
        for (size_t i = 0; i < inner; i++)
            mu[i] = 0, r[i] = 0;
        for (size_t m = 0; m < N; m++)
            for (size_t i = 0; i < inner; i++)
                mu[i] += x[(o * N + m) * inner + i];
        for (size_t i = 0; i < inner; i++)
            mu[i] /= (sl_real)N;
        for (size_t m = 0; m < N; m++)
            for (size_t i = 0; i < inner; i++) {
                sl_real d = x[(o * N + m) * inner + i] - mu[i];
                r[i] += d * d; /* the sum of squares, for now */
            }
        for (size_t i = 0; i < inner; i++)
            r[i] = (sl_real)(1.0 / sqrt((double)r[i] / (double)N + eps));
    }
}

/* y (outer, N, inner) = gamma (N) * z + beta (N), z = (x - mu) r, or x r when centre is 0
 * (rms_scaling). gamma or beta NULL: the layer has none. */
static void layer_norm_forward_k(sl_real *y, const sl_real *x, const sl_real *mean,
                                 const sl_real *rstd, const sl_real *gamma, const sl_real *beta,
                                 int centre, size_t outer, size_t N, size_t inner)
{
    for (size_t o = 0; o < outer; o++)
        for (size_t m = 0; m < N; m++) {
            sl_real gm = gamma ? gamma[m] : 1, bm = beta ? beta[m] : 0;
            for (size_t i = 0; i < inner; i++) {
                size_t at = (o * N + m) * inner + i, grp = o * inner + i;
                sl_real z = (x[at] - (centre ? mean[grp] : 0)) * rstd[grp];
                y[at] = gm * z + bm;
            }
        }
}

/* Accumulates dx (outer, N, inner), dgamma (N) and dbeta (N) (NULL: none) from dy. sum_g and
 * sum_gz (inner) are the caller's scratch: sum_m g_m and sum_m g_m z_m of the groups of one o. */
static void layer_norm_backward_k(sl_real *dx, sl_real *dgamma, sl_real *dbeta, sl_real *sum_g,
                                  sl_real *sum_gz, const sl_real *dy, const sl_real *x,
                                  const sl_real *mean, const sl_real *rstd, const sl_real *gamma,
                                  int centre, size_t outer, size_t N, size_t inner)
{
    for (size_t o = 0; o < outer; o++) {
        const sl_real *mu = mean + o * inner, *r = rstd + o * inner;
        for (size_t i = 0; i < inner; i++)
            sum_g[i] = 0, sum_gz[i] = 0;
        for (size_t m = 0; m < N; m++) {
            sl_real gm = gamma ? gamma[m] : 1;
            for (size_t i = 0; i < inner; i++) {
                size_t at = (o * N + m) * inner + i;
                sl_real z = (x[at] - (centre ? mu[i] : 0)) * r[i], g = dy[at] * gm;
                sum_g[i] += g;
                sum_gz[i] += g * z;
                if (dgamma)
                    dgamma[m] += dy[at] * z;
                if (dbeta)
                    dbeta[m] += dy[at];
            }
        }
        for (size_t m = 0; m < N; m++) {
            sl_real gm = gamma ? gamma[m] : 1;
            for (size_t i = 0; i < inner; i++) {
                size_t at = (o * N + m) * inner + i;
                sl_real xhat = (x[at] - mu[i]) * r[i], g = dy[at] * gm;
                sl_real mean_g = centre ? sum_g[i] / (sl_real)N : 0;
                dx[at] += r[i] * (g - mean_g - xhat * sum_gz[i] / (sl_real)N);
            }
        }
    }
}

/* ---- LayerNormalization: the layer ---- */

typedef struct LayerNormCfg {
    int n_axes;
    int axis[SL_MAX_RANK]; /* as written: negative counts from the end */
    char axis_text[64];    /* "axis=-1", "axis=[1, 2]", for messages */
    NormAffine a;
    int rms; /* Keras's rms_scaling */
    /* Known once built: the input's rank, the normalized axes first..last and their sizes, the
     * shape of gamma and beta; gamma_at, beta_at: their index in params, or -1. */
    int rank, first, last;
    SlShape block;
    int gamma_at, beta_at;
} LayerNormCfg;

static const SlArgSpec layer_norm_args[] = {
    {"axis", SL_ARG_INTS, "-1",
     "the axis or axes normalized together: an int or a list, -1 is the last (the features)"},
    {"epsilon", SL_ARG_FLOAT, "1e-3", "added to the variance before its square root"},
    {"center", SL_ARG_BOOL, "True", "add the offset beta after normalizing"},
    {"scale", SL_ARG_BOOL, "True", "multiply by gamma after normalizing"},
    SL_ARG_INITIALIZER("beta_initializer", "'zeros'", "how beta starts"),
    SL_ARG_INITIALIZER("gamma_initializer", "'ones'", "how gamma starts"),
    SL_ARG_REGULARIZER("beta_regularizer"),
    SL_ARG_REGULARIZER("gamma_regularizer"),
    SL_ARG_CONSTRAINT("beta_constraint"),
    SL_ARG_CONSTRAINT("gamma_constraint"),
    {"rms_scaling", SL_ARG_BOOL | SL_ARG_KEYWORD, "False",
     "deprecated in Keras 3: divide by the standard deviation without centring; gamma only"},
};

static int layer_norm_create(SlLayer *l, const SlBound *b, SlError *e)
{
    LayerNormCfg *c = sl_alloc_zero(1, sizeof *c);
    if (!c)
        return sl_errorf(e, "out of memory");
    l->cfg = c;
    c->n_axes = sl_bound_ints(b, "axis", c->axis, SL_MAX_RANK - 1);
    char v[48];
    sl_value_repr(&b->store, sl_bound(b, "axis"), v, sizeof v);
    snprintf(c->axis_text, sizeof c->axis_text, "axis=%s", v);
    if (c->n_axes < 1)
        return sl_errorf(e, "%s: axis needs 1 to %d axes to normalize over, like -1 or [1, 2]",
                         c->axis_text, SL_MAX_RANK - 1);
    if (read_affine(l, b, &c->a, e) < 0)
        return -1;
    c->rms = sl_bound_bool(b, "rms_scaling");
    if (c->rms)
        sl_layer_notice(l, "notice: LayerNormalization(rms_scaling=True) is deprecated in Keras "
                           "3: it divides by the standard deviation without centring and has "
                           "no beta; keras.layers.RMSNormalization is the real RMS norm");
    c->gamma_at = c->beta_at = -1;
    return 0;
}

static int layer_norm_infer(SlLayer *l, SlInfer *io, SlError *e)
{
    const LayerNormCfg *c = l->cfg;
    if (sl_layer_expect_inputs(l, io, 1, e) < 0)
        return -1;
    const SlShape *in = &io->in[0];
    if (in->rank < 2)
        return sl_layer_shape_error(e, l, "(batch, ..., features)", in,
                                    "give each sample at least one axis to normalize");
    int first, last;
    if (norm_axes(l, c->axis_text, c->axis, c->n_axes, in, &first, &last, e) < 0)
        return -1;
    for (int a = first; a <= last; a++)
        if (in->dim[a] == SL_NONE) {
            char exp[128];
            snprintf(exp, sizeof exp, "a known size on axis %d (%s)", a, c->axis_text);
            return sl_layer_shape_error(e, l, exp, in,
                                        "gamma and beta hold one value per normalized position, "
                                        "so these sizes must be known; give them in the input "
                                        "shape");
        }
    SlShape block = sl_shape_of(last - first + 1, in->dim + first);
    if (l->built &&
        (in->rank != c->rank || first != c->first || !sl_shape_equal(&block, &c->block))) {
        char exp[160], s[96];
        snprintf(exp, sizeof exp,
                 "a rank-%d input of size %s on axes %d to %d, as when it was built", c->rank,
                 sl_shape_str(&c->block, s, sizeof s), c->first, c->last);
        return sl_layer_shape_error(e, l, exp, in,
                                    "a layer keeps the shape it was built for (its gamma and "
                                    "beta); feed it the same shape, or use a new layer");
    }
    io->out[0] = *in;
    sl_infer_pass_mask(io);
    return 0;
}

static int layer_norm_params(SlLayer *l, const SlInfer *io, SlError *e)
{
    LayerNormCfg *c = l->cfg;
    const SlShape *in = &io->in[0];
    if (norm_axes(l, c->axis_text, c->axis, c->n_axes, in, &c->first, &c->last, e) < 0)
        return -1;
    c->rank = in->rank;
    /* Normalizing over axis 1 mixes the steps: output step t then reads every input step. */
    l->steps = c->first == 1 ? SL_STEPS_ALL : SL_STEPS_EACH;
    c->block = sl_shape_of(c->last - c->first + 1, in->dim + c->first);
    if (c->a.scale || c->rms) {
        c->gamma_at = l->n_params;
        if (sl_layer_add_weight(l, "gamma", c->block, &c->a.gamma, e) < 0)
            return -1;
    }
    if (c->a.center && !c->rms) {
        c->beta_at = l->n_params;
        if (sl_layer_add_weight(l, "beta", c->block, &c->a.beta, e) < 0)
            return -1;
    }
    return 0;
}

/* Scratch: each group's mean and r, kept for backward; two rows of sums for backward. */
static void layer_norm_scratch(const SlLayer *l, const SlInfer *io, SlScratchDecl *d)
{
    const LayerNormCfg *c = l->cfg;
    NormView v = norm_view(&io->in[0], c->first, c->last);
    d->n = 4;
    d->name[0] = "mean of each group (outer, inner)";
    d->count[0] = v.outer * v.inner;
    d->name[1] = "r = 1/sqrt(var + eps) of each group (outer, inner)";
    d->count[1] = v.outer * v.inner;
    d->name[2] = "sum of g over a group, one row (inner)";
    d->count[2] = v.inner;
    d->name[3] = "sum of g*z over a group, one row (inner)";
    d->count[3] = v.inner;
}

/* gamma's or beta's values (grad 0) or gradient (grad 1); NULL when the layer has none. */
static sl_real *weight(const SlLayer *l, int at, int grad)
{
    if (at < 0)
        return NULL;
    return grad ? l->params[at].grad.data : l->params[at].value.data;
}

static void layer_norm_forward(SlLayer *l, SlPass *p)
{
    const LayerNormCfg *c = l->cfg;
    NormView v = norm_view(&p->x[0].shape, c->first, c->last);
    sl_real *mean = p->scratch[0], *rstd = p->scratch[1];
    layer_norm_moments_k(mean, rstd, p->x[0].data, c->a.epsilon, v.outer, v.N, v.inner);
    layer_norm_forward_k(p->y[0].data, p->x[0].data, mean, rstd, weight(l, c->gamma_at, 0),
                         weight(l, c->beta_at, 0), !c->rms, v.outer, v.N, v.inner);
}

static void layer_norm_backward(SlLayer *l, SlPass *p)
{
    const LayerNormCfg *c = l->cfg;
    NormView v = norm_view(&p->x[0].shape, c->first, c->last);
    layer_norm_backward_k(p->dx[0].data, weight(l, c->gamma_at, 1), weight(l, c->beta_at, 1),
                          p->scratch[2], p->scratch[3], p->dy[0].data, p->x[0].data, p->scratch[0],
                          p->scratch[1], weight(l, c->gamma_at, 0), !c->rms, v.outer, v.N, v.inner);
}

/* "32" or "10*32": how many values one group holds, written out. */
static void group_size(const SlShape *s, int first, int last, char *buf, size_t n)
{
    size_t u = 0;
    for (int a = first; a <= last && u < n; a++)
        u += (size_t)snprintf(buf + u, n - u, "%s%d", a > first ? "*" : "", s->dim[a]);
}

static void layer_norm_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    const LayerNormCfg *c = l->cfg;
    const SlShape *in = &io->in[0];
    int first, last;
    if (norm_axes(l, c->axis_text, c->axis, c->n_axes, in, &first, &last, NULL) < 0) {
        snprintf(buf, n, "LayerNormalization cannot normalize %s on this input", c->axis_text);
        return;
    }
    char size[64], which[160], shape[96];
    const char *each = ""; /* where the groups are side by side */
    group_size(in, first, last, size, sizeof size);
    if (first == 1 && last == in->rank - 1) {
        snprintf(which, sizeof which, "all %s values of each sample", size);
    } else if (first == last && last == in->rank - 1) {
        snprintf(which, sizeof which, "each vector of the last axis (%s values)", size);
    } else {
        if (first == last)
            snprintf(which, sizeof which, "the %s values along axis %d", size, first);
        else
            snprintf(which, sizeof which, "the %s values of axes %d to %d", size, first, last);
        each = " (one group per position of the other axes)";
    }
    sl_shape_str(in, shape, sizeof shape);
    if (c->rms)
        snprintf(buf, n,
                 "LayerNormalization(rms_scaling=True) divides %s by their standard deviation%s, "
                 "without centring, then scales by gamma: the shape stays %s",
                 which, each, shape);
    else
        snprintf(buf, n,
                 "LayerNormalization brings %s to mean 0 and variance 1%s%s: the shape stays %s",
                 which, each,
                 c->a.scale && c->a.center ? ", then scales by gamma and shifts by beta"
                 : c->a.scale              ? ", then scales by gamma"
                 : c->a.center             ? ", then shifts by beta"
                                           : "",
                 shape);
}

/* "2*32 = 64": gamma and beta, one value each per normalized position. */
static void layer_norm_formula(const SlLayer *l, char *buf, size_t n)
{
    const LayerNormCfg *c = l->cfg;
    int weights = (c->gamma_at >= 0) + (c->beta_at >= 0);
    if (!weights) {
        sl_layer_formula_none(l, buf, n);
        return;
    }
    const SlShape *s = &c->block;
    char size[64];
    group_size(s, 0, s->rank - 1, size, sizeof size);
    size_t count = sl_shape_count(s);
    const char *open = s->rank > 1 && weights == 2 ? "(" : "", *close = *open ? ")" : "";
    if (weights == 2)
        snprintf(buf, n, "2*%s%s%s = %zu", open, size, close, 2 * count);
    else
        snprintf(buf, n, "%s = %zu", size, count);
}

static void layer_norm_note(const SlLayer *l, char *buf, size_t n)
{
    const LayerNormCfg *c = l->cfg;
    if (c->rms)
        snprintf(buf, n, "gamma only: rms_scaling=True has no beta");
    else if (c->a.scale && c->a.center)
        snprintf(buf, n, "gamma (scale) and beta (offset), one of each per normalized value");
    else if (c->a.scale)
        snprintf(buf, n, "gamma (scale) only: center=False leaves out beta");
    else if (c->a.center)
        snprintf(buf, n, "beta (offset) only: scale=False leaves out gamma");
    else
        sl_layer_no_note(l, buf, n);
}

const SlLayerType sl_layer_normalization_type = {
    .name = "LayerNormalization",
    .snake = "layer_normalization",
    .aliases = "",
    .summary = "normalizes each sample along axis (mean 0, variance 1), then gamma and beta",
    .args = layer_norm_args,
    .n_args = sizeof layer_norm_args / sizeof layer_norm_args[0],
    .example_args = "axis=-1",
    .example_input = "(2, 3, 4)",
    .kind = 0,
    .steps = SL_STEPS_EACH, /* with axis=1 among its axes, SL_STEPS_ALL (layer_norm_params) */
    .create = layer_norm_create,
    .infer = layer_norm_infer,
    .params = layer_norm_params,
    .scratch = layer_norm_scratch,
    .forward = layer_norm_forward,
    .backward = layer_norm_backward,
    .reset = sl_layer_reset_nothing,
    .explain = layer_norm_explain,
    .formula = layer_norm_formula,
    .note = layer_norm_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

/* ---- BatchNormalization ----
 *
 * One channel axis (axis=-1: the features, or a Conv2D's filters); every other axis, the batch
 * first, is averaged over. The input read as (outer, C, inner), C the channel axis's size: channel
 * c's group is every (o, i), outer*inner values, across the whole batch.
 *
 * Training (a training pass of a layer that is trainable), per channel:
 *   mu = sum_k w_k x_k / W     var = sum_k w_k (x_k - mu)^2 / W     (biased: divided by W)
 *   r = 1 / sqrt(var + eps)    y = gamma (x - mu) r + beta
 *   moving_mean     = moving_mean * momentum + mu * (1 - momentum)
 *   moving_variance = moving_variance * momentum + var * (1 - momentum)
 * with w_k = 1 and W = outer*inner without a mask. With a (batch, timesteps) mask, w_k is the mask
 * of x_k's step and W = sum_k w_k + 1e-7, as Keras's _moments writes it (backend.epsilon()): a
 * masked step counts in neither statistic, but is normalized like the others.
 * Inference (and trainable=False, as in Keras 3): mu and var are the moving ones; nothing updates.
 *
 * Backward, with g = dy gamma and d_k = x_k - mu. In inference mu and r are constants:
 *   dx_j += g_j r.
 * In training they depend on every x_k of the channel. dL/dvar = -r^3/2 sum_k g_k d_k, and mu
 * reaches L directly and through var (dvar/dmu = -2/W sum_k w_k d_k, zero without the mask's
 * 1e-7), so with dL/dmu = -r sum_k g_k - 2/W dL/dvar sum_k w_k d_k:
 *   dx_j += g_j r + w_j / W (dL/dmu + 2 dL/dvar d_j)
 * Without a mask that is r (g_j - mean g - xhat_j mean(g xhat)), LayerNormalization's rule over
 * the batch (docs/layers/norm.md derives both). dgamma_c += sum dy xhat, dbeta_c += sum dy.
 */

typedef struct BatchNormCfg {
    int axis; /* as written: negative counts from the end */
    double momentum;
    NormAffine a;
    SlWeightArgs mean, var; /* the moving statistics' initializers (no regularizer, constraint) */
    /* Known once built: the input's rank, the channel axis and its size, the weights' places in
     * params (gamma_at, beta_at: -1 when absent). */
    int rank, at, channels;
    int gamma_at, beta_at, mean_at, var_at;
} BatchNormCfg;

static const SlArgSpec batch_norm_args[] = {
    {"axis", SL_ARG_INT, "-1", "the channel axis, kept apart; the statistics average the others"},
    {"momentum", SL_ARG_FLOAT, "0.99", "how much of the moving statistics each batch keeps"},
    {"epsilon", SL_ARG_FLOAT, "1e-3", "added to the variance before its square root"},
    {"center", SL_ARG_BOOL, "True", "add the offset beta after normalizing"},
    {"scale", SL_ARG_BOOL, "True", "multiply by gamma after normalizing"},
    SL_ARG_INITIALIZER("beta_initializer", "'zeros'", "how beta starts"),
    SL_ARG_INITIALIZER("gamma_initializer", "'ones'", "how gamma starts"),
    SL_ARG_INITIALIZER("moving_mean_initializer", "'zeros'", "how the moving mean starts"),
    SL_ARG_INITIALIZER("moving_variance_initializer", "'ones'", "how the moving variance starts"),
    SL_ARG_REGULARIZER("beta_regularizer"),
    SL_ARG_REGULARIZER("gamma_regularizer"),
    SL_ARG_CONSTRAINT("beta_constraint"),
    SL_ARG_CONSTRAINT("gamma_constraint"),
    {"renorm", SL_ARG_BOOL, "False", "batch renormalization: not supported yet, False only"},
    {"renorm_clipping", SL_ARG_ANY | SL_ARG_OR_NONE, "None", "with renorm: None only"},
    {"renorm_momentum", SL_ARG_FLOAT, "0.99", "with renorm: not used"},
    {"synchronized", SL_ARG_BOOL, "False",
     "statistics across devices (TensorFlow only): False only"},
};

static int batch_norm_create(SlLayer *l, const SlBound *b, SlError *e)
{
    BatchNormCfg *c = sl_alloc_zero(1, sizeof *c);
    if (!c)
        return sl_errorf(e, "out of memory");
    l->cfg = c;
    c->axis = (int)sl_bound_int(b, "axis");
    c->momentum = sl_bound_float(b, "momentum");
    if (!(c->momentum >= 0 && c->momentum <= 1))
        return sl_errorf(e,
                         "momentum is the share of the moving statistics each batch keeps and "
                         "must be in [0, 1], got %g (Keras's default is 0.99; PyTorch's "
                         "momentum=0.1 is Keras's 0.9)",
                         c->momentum);
    if (read_affine(l, b, &c->a, e) < 0 ||
        sl_init_read(&c->mean.init, b, "moving_mean_initializer", e) < 0 ||
        sl_init_read(&c->var.init, b, "moving_variance_initializer", e) < 0)
        return -1;
    if (sl_bound_bool(b, "renorm") || !sl_bound_is_none(b, "renorm_clipping"))
        return sl_errorf(e, "renorm (batch renormalization) is not supported yet: leave renorm "
                            "False and renorm_clipping None; plain BatchNormalization "
                            "normalizes with each batch's statistics");
    if (sl_bound_bool(b, "synchronized"))
        return sl_errorf(e, "synchronized=True is not supported: shapelab trains on one device, "
                            "where every batch's statistics are already whole; remove it");
    c->gamma_at = c->beta_at = c->mean_at = c->var_at = -1;
    return 0;
}

/* The channel axis made non-negative on an input of rank `rank`, or -1 when out of range or 0. */
static int batch_norm_axis(const BatchNormCfg *c, int rank)
{
    int a = c->axis < 0 ? c->axis + rank : c->axis;
    return a >= 1 && a < rank ? a : -1;
}

static int batch_norm_infer(SlLayer *l, SlInfer *io, SlError *e)
{
    const BatchNormCfg *c = l->cfg;
    if (sl_layer_expect_inputs(l, io, 1, e) < 0)
        return -1;
    const SlShape *in = &io->in[0];
    char exp[160], fix[256], valid[64];
    if (in->rank < 2)
        return sl_layer_shape_error(e, l, "(batch, ..., channels)", in,
                                    "give each sample at least one axis: its channels");
    int a = batch_norm_axis(c, in->rank);
    valid_axes(in->rank, valid, sizeof valid);
    if (a < 0) {
        snprintf(exp, sizeof exp, "a channel axis after the batch axis (axis=%d)", c->axis);
        snprintf(fix, sizeof fix,
                 "this input has axes %s after the batch axis 0; the channels are usually the "
                 "last, axis=-1 (the batch axis is averaged over, never kept apart)",
                 valid);
        return sl_layer_shape_error(e, l, exp, in, fix);
    }
    if (in->dim[a] == SL_NONE) {
        snprintf(exp, sizeof exp, "a known size on the channel axis %d (axis=%d)", a, c->axis);
        return sl_layer_shape_error(e, l, exp, in,
                                    "gamma, beta and the moving statistics hold one value per "
                                    "channel, so their count must be known; give it in the "
                                    "input shape");
    }
    if (l->built && (in->rank != c->rank || in->dim[a] != c->channels)) {
        snprintf(exp, sizeof exp,
                 "a rank-%d input with %d channels on axis %d, as when it was built", c->rank,
                 c->channels, c->at);
        return sl_layer_shape_error(e, l, exp, in,
                                    "a layer keeps the shape it was built for (its gamma, beta "
                                    "and moving statistics); use a new layer for this input");
    }
    if (io->in_mask[0] && in->rank != 3)
        return sl_layer_shape_error(e, l, "a (batch, timesteps, features) input with its mask", in,
                                    "a mask marks timesteps of a 3-D input; drop the mask "
                                    "before this layer, or normalize the 3-D sequence");
    io->out[0] = *in;
    sl_infer_pass_mask(io);
    return 0;
}

/* One weight of `channels` values, not trained when `trainable` is 0; its index into *at. */
static int batch_norm_weight(SlLayer *l, const char *name, int channels, const SlWeightArgs *w,
                             int trainable, int *at, SlError *e)
{
    *at = l->n_params;
    if (sl_layer_add_weight(l, name, sl_shape_of(1, (int[]){channels}), w, e) < 0)
        return -1;
    l->params[*at].trainable &= trainable;
    return 0;
}

static int batch_norm_params(SlLayer *l, const SlInfer *io, SlError *e)
{
    BatchNormCfg *c = l->cfg;
    c->rank = io->in[0].rank;
    c->at = batch_norm_axis(c, c->rank);
    c->channels = io->in[0].dim[c->at];
    /* Keras's build(): gamma, beta (trained), then the moving statistics (never trained) */
    if (c->a.scale &&
        batch_norm_weight(l, "gamma", c->channels, &c->a.gamma, 1, &c->gamma_at, e) < 0)
        return -1;
    if (c->a.center && batch_norm_weight(l, "beta", c->channels, &c->a.beta, 1, &c->beta_at, e) < 0)
        return -1;
    if (batch_norm_weight(l, "moving_mean", c->channels, &c->mean, 0, &c->mean_at, e) < 0 ||
        batch_norm_weight(l, "moving_variance", c->channels, &c->var, 0, &c->var_at, e) < 0)
        return -1;
    return 0;
}

/* Scratch: each channel's mean, r and W (kept for backward), and backward's sums. */
static void batch_norm_scratch(const SlLayer *l, const SlInfer *io, SlScratchDecl *d)
{
    const BatchNormCfg *c = l->cfg;
    size_t C = (size_t)io->in[0].dim[batch_norm_axis(c, io->in[0].rank)];
    static const char *const names[] = {
        "mean of each channel, batch or moving (C)",
        "r = 1/sqrt(var + eps) of each channel (C)",
        "W: the weight of each channel's statistics, its count of unmasked values (C)",
        "sum of g over a channel (C)",
        "sum of g*(x - mean) over a channel (C)",
        "sum of w*(x - mean) over a channel (C)",
    };
    d->n = 6;
    for (int k = 0; k < d->n; k++) {
        d->name[k] = names[k];
        d->count[k] = C;
    }
}

/* The mask weight of element (o, c, i) of x (outer, C, inner): 1 without a mask, else the mask of
 * its (batch, timestep), the first two axes of a 3-D input (steps_of_one: the values one step
 * holds, x's last axis). */
static sl_real batch_norm_w(const unsigned char *mask, size_t at, size_t steps_of_one)
{
    return mask ? (sl_real)(mask[at / steps_of_one] != 0) : 1;
}

/* mean (C), var into rstd as r = 1/sqrt(var + eps) (C) and W (C) of every channel of x (outer, C,
 * inner); var_out (C) gets the biased variance itself for the moving statistics. */
static void batch_norm_moments_k(sl_real *mean, sl_real *rstd, sl_real *wsum, sl_real *var_out,
                                 const sl_real *x, const unsigned char *mask, size_t step_len,
                                 double eps, size_t outer, size_t C, size_t inner)
{
    for (size_t c = 0; c < C; c++) {
        double s = 0, w = 0, ss = 0;
        for (size_t o = 0; o < outer; o++)
            for (size_t i = 0; i < inner; i++) {
                size_t at = (o * C + c) * inner + i;
                sl_real wk = batch_norm_w(mask, at, step_len);
                s += wk * x[at];
                w += wk;
            }
        if (mask)
            w += 1e-7; /* Keras's backend.epsilon() in _moments */
        double mu = s / w;
        for (size_t o = 0; o < outer; o++)
            for (size_t i = 0; i < inner; i++) {
                size_t at = (o * C + c) * inner + i;
                double d = x[at] - mu;
                ss += batch_norm_w(mask, at, step_len) * d * d;
            }
        mean[c] = (sl_real)mu;
        wsum[c] = (sl_real)w;
        var_out[c] = (sl_real)(ss / w);
        rstd[c] = (sl_real)(1.0 / sqrt(ss / w + eps));
    }
}

/* y (outer, C, inner) = gamma (C) * (x - mean) r + beta (C); gamma or beta NULL: none. */
static void batch_norm_forward_k(sl_real *y, const sl_real *x, const sl_real *mean,
                                 const sl_real *rstd, const sl_real *gamma, const sl_real *beta,
                                 size_t outer, size_t C, size_t inner)
{
    for (size_t o = 0; o < outer; o++)
        for (size_t c = 0; c < C; c++) {
            sl_real gc = gamma ? gamma[c] : 1, bc = beta ? beta[c] : 0;
            for (size_t i = 0; i < inner; i++) {
                size_t at = (o * C + c) * inner + i;
                y[at] = gc * (x[at] - mean[c]) * rstd[c] + bc;
            }
        }
}

/* Accumulates dx (outer, C, inner), dgamma (C) and dbeta (C) (NULL: none) from dy. batch: the
 * mean and r came from this batch (training), so they carry gradient back to every x of the
 * channel. sum_g, sum_gd, sum_wd (C) are the caller's scratch. */
static void batch_norm_backward_k(sl_real *dx, sl_real *dgamma, sl_real *dbeta, sl_real *sum_g,
                                  sl_real *sum_gd, sl_real *sum_wd, const sl_real *dy,
                                  const sl_real *x, const sl_real *mean, const sl_real *rstd,
                                  const sl_real *wsum, const sl_real *gamma, int batch,
                                  const unsigned char *mask, size_t step_len, size_t outer,
                                  size_t C, size_t inner)
{
    for (size_t c = 0; c < C; c++)
        sum_g[c] = 0, sum_gd[c] = 0, sum_wd[c] = 0;
    for (size_t o = 0; o < outer; o++)
        for (size_t c = 0; c < C; c++) {
            sl_real gc = gamma ? gamma[c] : 1;
            for (size_t i = 0; i < inner; i++) {
                size_t at = (o * C + c) * inner + i;
                sl_real d = x[at] - mean[c], g = dy[at] * gc;
                sum_g[c] += g;
                sum_gd[c] += g * d;
                sum_wd[c] += batch_norm_w(mask, at, step_len) * d;
                if (dgamma)
                    dgamma[c] += dy[at] * d * rstd[c];
                if (dbeta)
                    dbeta[c] += dy[at];
            }
        }
    for (size_t o = 0; o < outer; o++)
        for (size_t c = 0; c < C; c++) {
            sl_real gc = gamma ? gamma[c] : 1, r = rstd[c];
            /* dL/dvar and dL/dmu of the banner (unused in inference) */
            sl_real dvar = -r * r * r / 2 * sum_gd[c];
            sl_real dmu = -r * sum_g[c] - 2 / wsum[c] * dvar * sum_wd[c];
            for (size_t i = 0; i < inner; i++) {
                size_t at = (o * C + c) * inner + i;
                sl_real g = dy[at] * gc, d = x[at] - mean[c];
                dx[at] += g * r;
                if (batch)
                    dx[at] += batch_norm_w(mask, at, step_len) / wsum[c] * (dmu + 2 * dvar * d);
            }
        }
}

/* Statistics from the batch: a training pass of a trainable layer (Keras 3: `training and
 * self.trainable`); a frozen layer normalizes with its moving statistics, as in inference. */
static int batch_norm_uses_batch(const SlLayer *l, const SlPass *p)
{
    return p->training && l->trainable;
}

/* The pass's view (outer, C, inner), and the length of one step of a masked 3-D input. */
static NormView batch_norm_view(const BatchNormCfg *c, const SlShape *s, size_t *step_len)
{
    *step_len = s->rank == 3 ? (size_t)s->dim[2] : 1;
    return norm_view(s, batch_norm_axis(c, s->rank), batch_norm_axis(c, s->rank));
}

static void batch_norm_forward(SlLayer *l, SlPass *p)
{
    const BatchNormCfg *c = l->cfg;
    size_t step_len;
    NormView v = batch_norm_view(c, &p->x[0].shape, &step_len);
    sl_real *mean = p->scratch[0], *rstd = p->scratch[1], *wsum = p->scratch[2];
    sl_real *moving_mean = l->params[c->mean_at].value.data;
    sl_real *moving_var = l->params[c->var_at].value.data;
    if (batch_norm_uses_batch(l, p)) {
        sl_real *var = p->scratch[3]; /* backward's sum_g, free until then */
        batch_norm_moments_k(mean, rstd, wsum, var, p->x[0].data, p->mask_in[0], step_len,
                             c->a.epsilon, v.outer, v.N, v.inner);
        for (size_t k = 0; k < v.N; k++) {
            moving_mean[k] = (sl_real)(moving_mean[k] * c->momentum + mean[k] * (1 - c->momentum));
            moving_var[k] = (sl_real)(moving_var[k] * c->momentum + var[k] * (1 - c->momentum));
        }
    } else {
        for (size_t k = 0; k < v.N; k++) {
            mean[k] = moving_mean[k];
            rstd[k] = (sl_real)(1.0 / sqrt((double)moving_var[k] + c->a.epsilon));
            wsum[k] = 1;
        }
    }
    batch_norm_forward_k(p->y[0].data, p->x[0].data, mean, rstd, weight(l, c->gamma_at, 0),
                         weight(l, c->beta_at, 0), v.outer, v.N, v.inner);
}

static void batch_norm_backward(SlLayer *l, SlPass *p)
{
    const BatchNormCfg *c = l->cfg;
    size_t step_len;
    NormView v = batch_norm_view(c, &p->x[0].shape, &step_len);
    batch_norm_backward_k(p->dx[0].data, weight(l, c->gamma_at, 1), weight(l, c->beta_at, 1),
                          p->scratch[3], p->scratch[4], p->scratch[5], p->dy[0].data, p->x[0].data,
                          p->scratch[0], p->scratch[1], p->scratch[2], weight(l, c->gamma_at, 0),
                          batch_norm_uses_batch(l, p), p->mask_in[0], step_len, v.outer, v.N,
                          v.inner);
}

static void batch_norm_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    const BatchNormCfg *c = l->cfg;
    const SlShape *in = &io->in[0];
    char shape[96];
    sl_shape_str(in, shape, sizeof shape);
    int a = batch_norm_axis(c, in->rank);
    if (a < 0) {
        snprintf(buf, n, "BatchNormalization has no channel axis %d on %s", c->axis, shape);
        return;
    }
    snprintf(buf, n,
             "BatchNormalization normalizes each of the %d channels (axis %d) with its mean and "
             "variance over the batch%s while training, and with its moving averages in predict: "
             "the shape stays %s",
             in->dim[a], a, in->rank > 2 ? " and the other axes" : "", shape);
}

/* "4*16 = 64": gamma, beta, moving_mean and moving_variance, one value each per channel. */
static void batch_norm_formula(const SlLayer *l, char *buf, size_t n)
{
    const BatchNormCfg *c = l->cfg;
    int weights = 2 + (c->gamma_at >= 0) + (c->beta_at >= 0);
    snprintf(buf, n, "%d*%d = %d", weights, c->channels, weights * c->channels);
}

/* Why the count splits into trained and not trained: the Non-trainable params row. */
static void batch_norm_note(const SlLayer *l, char *buf, size_t n)
{
    const BatchNormCfg *c = l->cfg;
    int trained = (c->gamma_at >= 0) + (c->beta_at >= 0);
    const char *which = trained == 2 ? "gamma, beta" : c->a.scale ? "gamma" : "beta";
    if (!l->trainable)
        snprintf(buf, n,
                 "trainable=False: all %d*%d are non-trainable, and the layer normalizes with its "
                 "moving statistics also in fit",
                 trained + 2, c->channels);
    else if (!trained)
        snprintf(buf, n,
                 "moving_mean, moving_variance: 2*%d = %d non-trainable, updated by fit from each "
                 "batch's mean and variance (center=False, scale=False: nothing to train)",
                 c->channels, 2 * c->channels);
    else
        snprintf(buf, n,
                 "%s: %d*%d = %d trainable; moving_mean, moving_variance: 2*%d = %d "
                 "non-trainable, updated by fit from each batch's mean and variance",
                 which, trained, c->channels, trained * c->channels, c->channels, 2 * c->channels);
}

static int batch_norm_scenes(const SlLayer *l, SlSceneClaim *out)
{
    (void)l;
    /* ABOUT: a model with BatchNormalization most needs its two modes explained (why predict
     * differs from fit, what the non-trainable weights are), more than its convolutions */
    out[0] = (SlSceneClaim){"batchnorm", SL_SCENE_ABOUT,
                            "each channel's batch statistics, the moving ones drifting, and "
                            "training against predict",
                            0};
    return 1;
}

const SlLayerType sl_batch_normalization_type = {
    .name = "BatchNormalization",
    .snake = "batch_normalization",
    .aliases = "",
    .summary = "normalizes each channel with the batch's statistics (moving ones in predict)",
    .args = batch_norm_args,
    .n_args = sizeof batch_norm_args / sizeof batch_norm_args[0],
    .example_args = "gamma_initializer='glorot_uniform', beta_initializer='glorot_uniform'",
    .example_input = "(4, 3, 2)",
    .kind = 0,
    .steps = SL_STEPS_EACH, /* in inference; training's statistics mix the whole batch */
    .create = batch_norm_create,
    .infer = batch_norm_infer,
    .params = batch_norm_params,
    .scratch = batch_norm_scratch,
    .forward = batch_norm_forward,
    .backward = batch_norm_backward,
    .reset = sl_layer_reset_nothing,
    .explain = batch_norm_explain,
    .formula = batch_norm_formula,
    .note = batch_norm_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = batch_norm_scenes,
    .destroy = sl_layer_destroy_cfg,
};
