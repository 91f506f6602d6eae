/* tensor.c: shape arithmetic and printing. */
#include "tensor.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

SlShape sl_shape_of(int rank, const int *dims)
{
    SlShape s;
    memset(&s, 0, sizeof s);
    s.rank = rank < 0 ? 0 : (rank > SL_MAX_RANK ? SL_MAX_RANK : rank);
    for (int i = 0; i < s.rank; i++)
        s.dim[i] = dims[i];
    return s;
}

size_t sl_shape_count(const SlShape *s)
{
    size_t n = 1;
    for (int i = 0; i < s->rank; i++) {
        if (s->dim[i] < 0)
            return 0;
        n *= (size_t)s->dim[i];
    }
    return n;
}

size_t sl_shape_sample_count(const SlShape *s)
{
    size_t n = 1;
    for (int i = 1; i < s->rank; i++) {
        if (s->dim[i] < 0)
            return 0;
        n *= (size_t)s->dim[i];
    }
    return n;
}

int sl_shape_is_concrete(const SlShape *s)
{
    for (int i = 0; i < s->rank; i++)
        if (s->dim[i] < 0)
            return 0;
    return 1;
}

int sl_shape_equal(const SlShape *a, const SlShape *b)
{
    if (a->rank != b->rank)
        return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->dim[i] != b->dim[i])
            return 0;
    return 1;
}

int sl_shape_matches(const SlShape *s, const SlShape *c)
{
    if (s->rank != c->rank)
        return 0;
    for (int i = 0; i < s->rank; i++)
        if (s->dim[i] != SL_NONE && s->dim[i] != c->dim[i])
            return 0;
    return 1;
}

char *sl_shape_str(const SlShape *s, char *buf, size_t n)
{
    size_t used = 0;
    if (n == 0)
        return buf;
    buf[0] = '\0';
    used += (size_t)snprintf(buf, n, "(");
    for (int i = 0; i < s->rank && used < n; i++) {
        const char *sep = i ? ", " : "";
        if (s->dim[i] == SL_NONE)
            used += (size_t)snprintf(buf + used, n - used, "%sNone", sep);
        else
            used += (size_t)snprintf(buf + used, n - used, "%s%d", sep, s->dim[i]);
    }
    if (used < n)
        snprintf(buf + used, n - used, s->rank == 1 ? ",)" : ")");
    return buf;
}

SlTensor sl_tensor(SlShape s, sl_real *data)
{
    SlTensor t;
    t.shape = s;
    t.data = data;
    return t;
}

size_t sl_tensor_count(const SlTensor *t)
{
    return sl_shape_count(&t->shape);
}

void sl_tensor_zero(SlTensor *t)
{
    size_t n = sl_tensor_count(t);
    if (t->data && n)
        memset(t->data, 0, n * sizeof *t->data);
}

int sl_tensor_check_finite(const SlTensor *t, const char *name, SlError *e)
{
    size_t n = sl_tensor_count(t);
    for (size_t i = 0; i < n; i++)
        if (!isfinite((double)t->data[i]))
            return sl_errorf(e, "%s holds %s at flat index %zu; clean the data first", name,
                             isnan((double)t->data[i]) ? "NaN" : "Inf", i);
    return 0;
}
