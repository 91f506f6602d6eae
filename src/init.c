/* init.c: initializers with Keras 3's formulas.
 *
 *   glorot_uniform  U(-l, l), l = sqrt(6 / (fan_in + fan_out))      (Keras's default kernel)
 *   glorot_normal   truncated N(0, s), s = sqrt(2 / (fan_in + fan_out)) / 0.8796...
 *   he_uniform      U(-l, l), l = sqrt(6 / fan_in)
 *   he_normal       truncated N(0, s), s = sqrt(2 / fan_in) / 0.8796...
 *   lecun_uniform / lecun_normal: the same with scale 1 on fan_in
 *   orthogonal      Q of a QR decomposition of a normal matrix (recurrent kernels)
 *   zeros, ones, random_normal N(0, 0.05), random_uniform U(-0.05, 0.05),
 *   truncated_normal N(0, 0.05) cut at two standard deviations
 * 0.8796... is the standard deviation of a unit normal truncated at +-2, so the truncated draw has
 * the intended variance.
 */
#include "init.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"

static const char *const names[] = {
    "glorot_uniform", "glorot_normal", "he_uniform",     "he_normal",
    "lecun_uniform",  "lecun_normal",  "orthogonal",     "zeros",
    "ones",           "random_normal", "random_uniform", "truncated_normal",
};

static const double trunc_std = 0.87962566103423978;

int sl_init_known(const char *name)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(names[i], name))
            return 1;
    return 0;
}

const char *sl_init_names(void)
{
    return "glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_uniform, lecun_normal, "
           "orthogonal, zeros, ones, random_normal, random_uniform, truncated_normal";
}

int sl_init_read(char *dst, size_t n, const SlBound *b, const char *key, SlError *e)
{
    const char *v = sl_bound_str(b, key);
    if (!sl_init_known(v))
        return sl_errorf(e, "unknown initializer '%s' for argument '%s'; shapelab knows %s", v, key,
                         sl_init_names());
    snprintf(dst, n, "%s", v);
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
 * (rows, cols) = (prod of all axes but the last, last axis). */
static int orthogonal(sl_real *data, size_t rows, size_t cols, SlRng *r)
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
            data[i * cols + j] = (sl_real)(rows >= cols ? q[i * small + j] : q[j * small + i]);
    sl_free(q);
    return 0;
}

int sl_init_fill(const char *name, sl_real *data, const SlShape *s, SlRng *r)
{
    size_t n = sl_shape_count(s);
    double fan_in, fan_out;
    sl_init_fans(s, &fan_in, &fan_out);
    double lim = 0, std = 0;
    int uniform = 0;
    if (!strcmp(name, "zeros") || !strcmp(name, "ones")) {
        for (size_t i = 0; i < n; i++)
            data[i] = name[0] == 'o' ? 1 : 0;
        return 0;
    } else if (!strcmp(name, "unit_forget_bias")) {
        /* an LSTM bias (4*units): zeros, but ones for the forget gate f (blocks i, f, c, o) */
        for (size_t i = 0; i < n; i++)
            data[i] = i >= n / 4 && i < n / 2 ? 1 : 0;
        return 0;
    } else if (!strcmp(name, "orthogonal")) {
        size_t cols = s->rank ? (size_t)s->dim[s->rank - 1] : 1;
        return orthogonal(data, cols ? n / cols : 0, cols, r);
    } else if (!strcmp(name, "glorot_uniform")) {
        lim = sqrt(6.0 / (fan_in + fan_out)), uniform = 1;
    } else if (!strcmp(name, "he_uniform")) {
        lim = sqrt(6.0 / fan_in), uniform = 1;
    } else if (!strcmp(name, "lecun_uniform")) {
        lim = sqrt(3.0 / fan_in), uniform = 1;
    } else if (!strcmp(name, "random_uniform")) {
        lim = 0.05, uniform = 1;
    } else if (!strcmp(name, "glorot_normal")) {
        std = sqrt(2.0 / (fan_in + fan_out)) / trunc_std;
    } else if (!strcmp(name, "he_normal")) {
        std = sqrt(2.0 / fan_in) / trunc_std;
    } else if (!strcmp(name, "lecun_normal")) {
        std = sqrt(1.0 / fan_in) / trunc_std;
    } else if (!strcmp(name, "truncated_normal")) {
        std = 0.05;
    } else if (!strcmp(name, "random_normal")) {
        for (size_t i = 0; i < n; i++)
            data[i] = (sl_real)(0.05 * sl_rng_normal(r));
        return 0;
    } else {
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        data[i] = (sl_real)(uniform ? sl_rng_range(r, -lim, lim) : truncated_normal(r, std));
    return 0;
}
