/* norm.c: the normalization family. LayerNormalization: within each sample, the values along the
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
    double epsilon;
    int center, scale, rms; /* beta; gamma; Keras's rms_scaling */
    SlWeightArgs beta, gamma;
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
    c->epsilon = sl_bound_float(b, "epsilon");
    if (!(c->epsilon >= 0))
        return sl_errorf(e,
                         "epsilon is added to the variance and must be 0 or more, got %g "
                         "(Keras's default is 1e-3, PyTorch's 1e-5)",
                         c->epsilon);
    c->center = sl_bound_bool(b, "center");
    c->scale = sl_bound_bool(b, "scale");
    c->rms = sl_bound_bool(b, "rms_scaling");
    if (sl_weight_args_read(l, &c->beta, b, "beta", e) < 0 ||
        sl_weight_args_read(l, &c->gamma, b, "gamma", e) < 0)
        return -1;
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
    if (c->scale || c->rms) {
        c->gamma_at = l->n_params;
        if (sl_layer_add_weight(l, "gamma", c->block, &c->gamma, e) < 0)
            return -1;
    }
    if (c->center && !c->rms) {
        c->beta_at = l->n_params;
        if (sl_layer_add_weight(l, "beta", c->block, &c->beta, e) < 0)
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
    layer_norm_moments_k(mean, rstd, p->x[0].data, c->epsilon, v.outer, v.N, v.inner);
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
                 c->scale && c->center ? ", then scales by gamma and shifts by beta"
                 : c->scale            ? ", then scales by gamma"
                 : c->center           ? ", then shifts by beta"
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
    else if (c->scale && c->center)
        snprintf(buf, n, "gamma (scale) and beta (offset), one of each per normalized value");
    else if (c->scale)
        snprintf(buf, n, "gamma (scale) only: center=False leaves out beta");
    else if (c->center)
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
