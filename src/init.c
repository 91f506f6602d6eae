/* init.c: initializers with Keras 3's formulas.
 *
 *   zeros, ones, Constant(value=0)
 *   RandomNormal(mean=0, stddev=0.05)          N(mean, stddev)
 *   RandomUniform(minval=-0.05, maxval=0.05)   U(minval, maxval)
 *   TruncatedNormal(mean=0, stddev=0.05)       N(mean, stddev), draws beyond 2 stddev redrawn
 *   VarianceScaling(scale=1, mode='fan_in', distribution='truncated_normal'):
 *       s = scale / max(1, fan), fan = fan_in, fan_out or (fan_in + fan_out) / 2 by mode;
 *       truncated_normal: truncated N(0, sqrt(s) / 0.8796...), untruncated_normal: N(0, sqrt(s)),
 *       uniform: U(-sqrt(3 s), sqrt(3 s))
 *   glorot_uniform = VarianceScaling(1, 'fan_avg', 'uniform')   U(-l, l), l = sqrt(6 / (in + out))
 *   glorot_normal  = VarianceScaling(1, 'fan_avg', 'truncated_normal')     (Keras's default kernel)
 *   he_uniform, he_normal = the same with scale 2 and 'fan_in'; lecun_* with scale 1 and 'fan_in'
 *   Orthogonal(gain=1)   gain * Q of a QR decomposition of a normal matrix (recurrent kernels)
 *   Identity(gain=1)     gain * the identity matrix (2-D only)
 * 0.8796... is the standard deviation of a unit normal truncated at +-2, so the truncated draw has
 * the intended variance. Names are Keras's: the class ('GlorotUniform'), its snake case
 * ('glorot_uniform') and the aliases 'normal', 'uniform', 'zero', 'one'.
 */
#include "init.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"

static const double trunc_std = 0.87962566103423978;

#define SEED_ARG                                                                                   \
    {                                                                                              \
        "seed", SL_ARG_SEED | SL_ARG_OR_NONE, "None", "the same numbers every time"                \
    }
#define AXES_ARGS                                                                                  \
    {"input_axes", SL_ARG_ANY | SL_ARG_OR_NONE, "None", "not supported yet: None only"},           \
    {                                                                                              \
        "output_axes", SL_ARG_ANY | SL_ARG_OR_NONE, "None", "not supported yet: None only"         \
    }

static const SlArgSpec constant_args[] = {{"value", SL_ARG_FLOAT, "0.0", "every value"}};
static const SlArgSpec normal_args[] = {
    {"mean", SL_ARG_FLOAT, "0.0", "the mean"},
    {"stddev", SL_ARG_FLOAT, "0.05", "the standard deviation"},
    SEED_ARG,
};
static const SlArgSpec uniform_args[] = {
    {"minval", SL_ARG_FLOAT, "-0.05", "the lower bound"},
    {"maxval", SL_ARG_FLOAT, "0.05", "the upper bound"},
    SEED_ARG,
};
static const SlArgSpec scaling_args[] = {
    {"scale", SL_ARG_FLOAT, "1.0", "the variance before dividing by the fan"},
    {"mode", SL_ARG_STR, "'fan_in'", "'fan_in', 'fan_out' or 'fan_avg'"},
    {"distribution", SL_ARG_STR, "'truncated_normal'",
     "'truncated_normal', 'untruncated_normal' or 'uniform'"},
    SEED_ARG,
    AXES_ARGS,
};
static const SlArgSpec seed_args[] = {SEED_ARG, AXES_ARGS};
static const SlArgSpec gain_seed_args[] = {{"gain", SL_ARG_FLOAT, "1.0", "a factor"}, SEED_ARG};
static const SlArgSpec gain_args[] = {{"gain", SL_ARG_FLOAT, "1.0", "a factor"}};

#define ARGS(t) t, (int)(sizeof t / sizeof t[0])

/* Keras's initializer classes: the class name, its other spellings, and what it draws. */
static const struct InitClass {
    const char *cls, *names; /* names: snake case and aliases, space-separated */
    SlInitKind kind;
    double a, b; /* defaults, or a SCALED preset's scale */
    SlFanMode mode;
    SlScaledDist dist;
    const SlArgSpec *args;
    int n_args;
} classes[] = {
    {"Zeros", "zeros zero", SL_INIT_CONSTANT, 0, 0, 0, 0, NULL, 0},
    {"Ones", "ones one", SL_INIT_CONSTANT, 1, 0, 0, 0, NULL, 0},
    {"Constant", "constant", SL_INIT_CONSTANT, 0, 0, 0, 0, ARGS(constant_args)},
    {"RandomNormal", "random_normal normal", SL_INIT_NORMAL, 0, 0, 0, 0, ARGS(normal_args)},
    {"RandomUniform", "random_uniform uniform", SL_INIT_UNIFORM, 0, 0, 0, 0, ARGS(uniform_args)},
    {"TruncatedNormal", "truncated_normal", SL_INIT_TRUNCATED, 0, 0, 0, 0, ARGS(normal_args)},
    {"VarianceScaling", "variance_scaling", SL_INIT_SCALED, 0, 0, 0, 0, ARGS(scaling_args)},
    {"GlorotUniform", "glorot_uniform", SL_INIT_SCALED, 1, 0, SL_FAN_AVG, SL_DIST_UNIFORM,
     ARGS(seed_args)},
    {"GlorotNormal", "glorot_normal", SL_INIT_SCALED, 1, 0, SL_FAN_AVG, SL_DIST_TRUNCATED,
     ARGS(seed_args)},
    {"HeUniform", "he_uniform", SL_INIT_SCALED, 2, 0, SL_FAN_IN, SL_DIST_UNIFORM, ARGS(seed_args)},
    {"HeNormal", "he_normal", SL_INIT_SCALED, 2, 0, SL_FAN_IN, SL_DIST_TRUNCATED, ARGS(seed_args)},
    {"LecunUniform", "lecun_uniform", SL_INIT_SCALED, 1, 0, SL_FAN_IN, SL_DIST_UNIFORM,
     ARGS(seed_args)},
    {"LecunNormal", "lecun_normal", SL_INIT_SCALED, 1, 0, SL_FAN_IN, SL_DIST_TRUNCATED,
     ARGS(seed_args)},
    {"Orthogonal", "orthogonal OrthogonalInitializer", SL_INIT_ORTHOGONAL, 0, 0, 0, 0,
     ARGS(gain_seed_args)},
    {"Identity", "identity IdentityInitializer", SL_INIT_IDENTITY, 0, 0, 0, 0, ARGS(gain_args)},
};
enum { N_CLASSES = sizeof classes / sizeof classes[0] };

const char *sl_init_names(void)
{
    return "glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_uniform, lecun_normal, "
           "orthogonal, identity, zeros, ones, constant, random_normal, random_uniform, "
           "truncated_normal, variance_scaling (or their classes: GlorotUniform(seed=1), "
           "RandomNormal(stddev=0.02), Constant(0.5), ...)";
}

static const struct InitClass *find_class(const char *name)
{
    for (int i = 0; i < N_CLASSES; i++)
        if (!strcmp(classes[i].cls, name) || sl_in_words(classes[i].names, name))
            return &classes[i];
    return NULL;
}

/* The class's own defaults; its arguments (bound against its table) come on top. */
static void preset(SlInit *out, const struct InitClass *c)
{
    memset(out, 0, sizeof *out);
    out->kind = c->kind;
    out->a = c->a;
    out->b = c->b;
    out->mode = c->mode;
    out->dist = c->dist;
}

static int read_args(SlInit *out, const struct InitClass *c, const SlBound *b, const char *key,
                     SlError *e)
{
    if (c->n_args == 0)
        return 0;
    if (sl_bound_given(b, "seed") && !sl_bound_is_none(b, "seed")) {
        out->has_seed = 1;
        out->seed = sl_bound(b, "seed")->i;
    }
    for (int i = 0; i < c->n_args; i++)
        if (!strcmp(c->args[i].name, "input_axes") || !strcmp(c->args[i].name, "output_axes"))
            if (!sl_bound_is_none(b, c->args[i].name))
                return sl_errorf(e,
                                 "%s: %s(%s=...) is not supported yet; leave it out, and the fans "
                                 "come from the weight's shape as Keras's default",
                                 key, c->cls, c->args[i].name);
    switch (c->kind) {
    case SL_INIT_CONSTANT:
        out->a = sl_bound_float(b, "value");
        return 0;
    case SL_INIT_NORMAL:
    case SL_INIT_TRUNCATED:
        out->a = sl_bound_float(b, "mean");
        out->b = sl_bound_float(b, "stddev");
        if (!(out->b >= 0))
            return sl_errorf(e, "%s: %s needs stddev >= 0, got %g", key, c->cls, out->b);
        return 0;
    case SL_INIT_UNIFORM:
        out->a = sl_bound_float(b, "minval");
        out->b = sl_bound_float(b, "maxval");
        if (!(out->a <= out->b))
            return sl_errorf(e, "%s: %s needs minval <= maxval, got %g and %g", key, c->cls, out->a,
                             out->b);
        return 0;
    case SL_INIT_ORTHOGONAL:
    case SL_INIT_IDENTITY:
        out->a = sl_bound_float(b, "gain");
        return 0;
    case SL_INIT_SCALED:
        break;
    }
    if (c->a != 0) /* a preset (GlorotUniform, ...) takes only seed= */
        return 0;
    static const char *const modes[] = {"fan_in", "fan_out", "fan_avg"};
    static const char *const dists[] = {"truncated_normal", "untruncated_normal", "uniform"};
    const char *mode = sl_bound_str(b, "mode"), *dist = sl_bound_str(b, "distribution");
    out->a = sl_bound_float(b, "scale");
    if (!(out->a > 0))
        return sl_errorf(e, "%s: Argument `scale` must be positive float. Received: scale=%g", key,
                         out->a);
    int m = 0, d = 0;
    while (m < 3 && strcmp(mode, modes[m]))
        m++;
    if (!strcmp(dist, "normal")) /* Keras's older name */
        dist = "truncated_normal";
    while (d < 3 && strcmp(dist, dists[d]))
        d++;
    if (m == 3)
        return sl_errorf(e, "%s: Invalid `mode` argument: %s; use 'fan_in', 'fan_out' or 'fan_avg'",
                         key, mode);
    if (d == 3)
        return sl_errorf(e,
                         "%s: Invalid `distribution` argument: %s; use 'truncated_normal', "
                         "'untruncated_normal' or 'uniform'",
                         key, dist);
    out->mode = (SlFanMode)m;
    out->dist = (SlScaledDist)d;
    return 0;
}

int sl_init_named(SlInit *out, const char *name)
{
    const struct InitClass *c = find_class(name);
    if (!c)
        return -1;
    SlArgs none;
    SlBound b;
    sl_args_init(&none);
    preset(out, c);
    if (sl_args_bind(&b, c->args, c->n_args, &none, c->cls, NULL) < 0 ||
        read_args(out, c, &b, name, NULL) < 0)
        return -1;
    snprintf(out->text, sizeof out->text, "'%s'", name);
    return 0;
}

int sl_init_from(SlInit *out, const SlArgs *a, const SlValue *v, const char *key, SlError *e)
{
    const char *name = sl_value_name(a, v);
    if (!name)
        return sl_errorf(e,
                         "%s takes an initializer's name or object, like 'glorot_uniform' or "
                         "RandomNormal(stddev=0.05)",
                         key);
    if (!strcmp(name, "STFT") || !strcmp(name, "stft") || !strcmp(name, "STFTInitializer"))
        return sl_errorf(e,
                         "%s: the STFT initializer is not supported yet; it fills the kernels of "
                         "spectrogram layers, which shapelab does not have",
                         key);
    const struct InitClass *c = find_class(name);
    if (!c)
        return sl_errorf(e, "unknown initializer '%s' for argument '%s'; shapelab knows %s", name,
                         key, sl_init_names());
    SlArgs call;
    SlBound b;
    if (v->kind == SL_V_OBJECT) {
        char who[96];
        snprintf(who, sizeof who, "%s: %s", key, c->cls);
        if (sl_value_call_args(&call, a, v, e) < 0 ||
            sl_args_bind(&b, c->args, c->n_args, &call, who, e) < 0)
            return -1;
    } else {
        sl_args_init(&call);
        if (sl_args_bind(&b, c->args, c->n_args, &call, c->cls, e) < 0)
            return -1;
    }
    preset(out, c);
    if (read_args(out, c, &b, key, e) < 0)
        return -1;
    sl_value_repr(a, v, out->text, (int)sizeof out->text);
    return 0;
}

int sl_init_read(SlInit *out, const SlBound *b, const char *key, SlError *e)
{
    return sl_init_from(out, &b->store, sl_bound(b, key), key, e);
}

int sl_init_check(const SlInit *init, const SlShape *s, SlError *e)
{
    char buf[96];
    if (init->kind == SL_INIT_ORTHOGONAL && s->rank < 2)
        return sl_errorf(e,
                         "the orthogonal initializer needs a weight of at least two axes, and this "
                         "one is %s; use it for kernels, and 'zeros' for biases",
                         sl_shape_str(s, buf, sizeof buf));
    if (init->kind == SL_INIT_IDENTITY && s->rank != 2)
        return sl_errorf(e,
                         "the identity initializer makes 2-D matrices only, and this weight is %s",
                         sl_shape_str(s, buf, sizeof buf));
    return 0;
}

void sl_init_fans(const SlShape *s, double *fan_in, double *fan_out)
{
    if (s->rank == 0) {
        *fan_in = *fan_out = 1;
    } else if (s->rank == 1) {
        *fan_in = *fan_out = s->dim[0];
    } else {
        double receptive = 1;
        for (int i = 0; i < s->rank - 2; i++)
            receptive *= s->dim[i];
        *fan_in = s->dim[s->rank - 2] * receptive;
        *fan_out = s->dim[s->rank - 1] * receptive;
    }
}

static double truncated_normal(SlRng *r, double std)
{
    double z;
    do
        z = sl_rng_normal(r);
    while (fabs(z) > 2.0);
    return z * std;
}

/* Orthonormal rows or columns: modified Gram-Schmidt on the columns of a (big x small) normal
 * matrix, which gives Q with R's diagonal positive (Keras's sign fix), then laid out as
 * (rows, cols) = (prod of all axes but the last, last axis), times gain. */
static int orthogonal(sl_real *data, size_t rows, size_t cols, double gain, SlRng *r)
{
    size_t big = rows > cols ? rows : cols, small = rows > cols ? cols : rows;
    double *q = sl_alloc_zero(big * small, sizeof *q); /* q[i*small + j]: column j */
    if (!q)
        return -1;
    for (size_t i = 0; i < big * small; i++)
        q[i] = sl_rng_normal(r);
    for (size_t j = 0; j < small; j++) {
        for (size_t k = 0; k < j; k++) {
            double dot = 0;
            for (size_t i = 0; i < big; i++)
                dot += q[i * small + j] * q[i * small + k];
            for (size_t i = 0; i < big; i++)
                q[i * small + j] -= dot * q[i * small + k];
        }
        double norm = 0;
        for (size_t i = 0; i < big; i++)
            norm += q[i * small + j] * q[i * small + j];
        norm = sqrt(norm);
        for (size_t i = 0; i < big; i++)
            q[i * small + j] /= norm > 0 ? norm : 1;
    }
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            data[i * cols + j] =
                (sl_real)(gain * (rows >= cols ? q[i * small + j] : q[j * small + i]));
    sl_free(q);
    return 0;
}

/* VarianceScaling: s = scale / max(1, fan), written as num / den so that the presets give the
 * same bits as their textbook formulas (glorot_uniform: sqrt(6 / (in + out))). */
static void scaled(const SlInit *init, sl_real *data, size_t n, const SlShape *s, SlRng *r)
{
    double fan_in, fan_out, num = init->a, den;
    sl_init_fans(s, &fan_in, &fan_out);
    if (init->mode == SL_FAN_IN)
        den = fmax(1.0, fan_in);
    else if (init->mode == SL_FAN_OUT)
        den = fmax(1.0, fan_out);
    else /* fan_avg: scale / ((in + out) / 2) = 2 scale / (in + out) */
        num *= 2, den = fmax(2.0, fan_in + fan_out);
    if (init->dist == SL_DIST_UNIFORM) {
        double lim = sqrt(3 * num / den);
        for (size_t i = 0; i < n; i++)
            data[i] = (sl_real)sl_rng_range(r, -lim, lim);
    } else if (init->dist == SL_DIST_TRUNCATED) {
        double std = sqrt(num / den) / trunc_std;
        for (size_t i = 0; i < n; i++)
            data[i] = (sl_real)truncated_normal(r, std);
    } else {
        double std = sqrt(num / den);
        for (size_t i = 0; i < n; i++)
            data[i] = (sl_real)(std * sl_rng_normal(r));
    }
}

/* One initializer over the whole of a weight of shape s. */
static int fill(const SlInit *init, sl_real *data, const SlShape *s, SlRng *r)
{
    size_t n = sl_shape_count(s);
    size_t cols = s->rank ? (size_t)s->dim[s->rank - 1] : 1;
    switch (init->kind) {
    case SL_INIT_CONSTANT:
        for (size_t i = 0; i < n; i++)
            data[i] = (sl_real)init->a;
        return 0;
    case SL_INIT_NORMAL:
        for (size_t i = 0; i < n; i++)
            data[i] = (sl_real)(init->a + init->b * sl_rng_normal(r));
        return 0;
    case SL_INIT_UNIFORM:
        for (size_t i = 0; i < n; i++)
            data[i] = (sl_real)sl_rng_range(r, init->a, init->b);
        return 0;
    case SL_INIT_TRUNCATED:
        for (size_t i = 0; i < n; i++)
            data[i] = (sl_real)(init->a + truncated_normal(r, init->b));
        return 0;
    case SL_INIT_SCALED:
        scaled(init, data, n, s, r);
        return 0;
    case SL_INIT_ORTHOGONAL:
        return orthogonal(data, cols ? n / cols : 0, cols, init->a, r);
    case SL_INIT_IDENTITY:
        for (size_t i = 0; i < n; i++)
            data[i] = (sl_real)(i / cols == i % cols ? init->a : 0);
        return 0;
    }
    return -1;
}

int sl_init_fill(const SlInit *init, sl_real *data, const SlShape *s, SlRng *r)
{
    if (!init->unit_forget || s->rank != 1)
        return fill(init, data, s, r);
    /* Keras's LSTM bias (4 units, blocks i, f, c, o) with unit_forget_bias: the initializer on
     * (units,) for i, ones for f, the initializer on (2 units,) for c and o */
    int u = s->dim[0] / 4, two = 2 * u;
    SlShape one = sl_shape_of(1, &u), pair = sl_shape_of(1, &two);
    for (int j = 0; j < u; j++)
        data[u + j] = 1;
    return fill(init, data, &one, r) < 0 || fill(init, data + 2 * u, &pair, r) < 0 ? -1 : 0;
}
