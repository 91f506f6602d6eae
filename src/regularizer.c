/* regularizer.c: Keras's regularizers and constraints: reading them, their terms and gradients,
 * their projections (regularizer.h has the formulas). */
#include "regularizer.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const double keras_epsilon = 1e-7;

/* ---- reading: Keras's classes and their other spellings ---- */

/* Bind an object's arguments (none for a name) against its class's table. */
static int bind_object(SlBound *b, const SlArgSpec *spec, int n, const SlArgs *a, const SlValue *v,
                       const char *key, const char *cls, SlError *e)
{
    SlArgs call;
    char who[96];
    snprintf(who, sizeof who, "%s: %s", key, cls);
    if (v->kind == SL_V_OBJECT) {
        if (sl_value_call_args(&call, a, v, e) < 0)
            return -1;
    } else {
        sl_args_init(&call);
    }
    return sl_args_bind(b, spec, n, &call, who, e);
}

static const SlArgSpec l1_args[] = {{"l1", SL_ARG_FLOAT, "0.01", "the factor of sum |w|"}};
static const SlArgSpec l2_args[] = {{"l2", SL_ARG_FLOAT, "0.01", "the factor of sum w^2"}};
static const SlArgSpec l1l2_args[] = {
    {"l1", SL_ARG_FLOAT, "0.0", "the factor of sum |w|"},
    {"l2", SL_ARG_FLOAT, "0.0", "the factor of sum w^2"},
};

static const struct RegClass {
    const char *cls, *names;
    const SlArgSpec *args;
    int n_args;
} reg_classes[] = {
    {"L1", "l1", l1_args, 1},
    {"L2", "l2", l2_args, 1},
    {"L1L2", "l1l2", l1l2_args, 2},
};

int sl_regularizer_from(SlRegularizer *r, const SlArgs *a, const SlValue *v, const char *key,
                        SlError *e)
{
    memset(r, 0, sizeof *r);
    if (v->kind == SL_V_NONE)
        return 0;
    const char *name = sl_value_name(a, v);
    if (!name)
        return sl_errorf(e, "%s takes a regularizer, like l2(0.01) or 'l2', or None", key);
    if (v->kind == SL_V_STR && !strcmp(name, "l1_l2"))
        return sl_errorf(e,
                         "%s='l1_l2' is not a name Keras 3 knows (its string is 'l1l2', with "
                         "l1 and l2 both 0); write keras.regularizers.l1_l2(l1=0.01, l2=0.01)",
                         key);
    if (!strcmp(name, "OrthogonalRegularizer") || !strcmp(name, "orthogonal_regularizer"))
        return sl_errorf(e,
                         "%s: OrthogonalRegularizer is not supported yet; use l1, l2 or l1_l2, or "
                         "leave it out",
                         key);
    if (v->kind == SL_V_OBJECT && !strcmp(name, "l1_l2")) /* the function's spelling */
        name = "L1L2";
    const struct RegClass *c = NULL;
    for (size_t i = 0; i < sizeof reg_classes / sizeof reg_classes[0]; i++)
        if (!strcmp(reg_classes[i].cls, name) || sl_in_words(reg_classes[i].names, name))
            c = &reg_classes[i];
    if (!c)
        return sl_errorf(e,
                         "unknown regularizer '%s' for argument '%s'; shapelab knows l1(0.01), "
                         "l2(0.01), l1_l2(l1=..., l2=...) (or L1, L2, L1L2), and 'l1', 'l2', "
                         "'l1l2'",
                         name, key);
    SlBound b;
    if (bind_object(&b, c->args, c->n_args, a, v, key, c->cls, e) < 0)
        return -1;
    for (int i = 0; i < c->n_args; i++) {
        double f = sl_bound_float(&b, c->args[i].name);
        if (!(f >= 0) || isinf(f))
            return sl_errorf(e,
                             "%s: Invalid value for argument %s: expected a non-negative float. "
                             "Received: %s=%g",
                             key, c->args[i].name, c->args[i].name, f);
        *(strcmp(c->args[i].name, "l1") ? &r->l2 : &r->l1) = f;
    }
    sl_value_repr(a, v, r->text, (int)sizeof r->text);
    return 0;
}

int sl_regularizer_read(SlRegularizer *r, const SlBound *b, const char *key, SlError *e)
{
    return sl_regularizer_from(r, &b->store, sl_bound(b, key), key, e);
}

int sl_regularizer_active(const SlRegularizer *r)
{
    return r->l1 != 0 || r->l2 != 0;
}

static const SlArgSpec max_norm_args[] = {
    {"max_value", SL_ARG_FLOAT, "2", "the largest norm"},
    {"axis", SL_ARG_INTS, "0", "the axis or axes the norm runs over"},
};
static const SlArgSpec min_max_norm_args[] = {
    {"min_value", SL_ARG_FLOAT, "0.0", "the smallest norm"},
    {"max_value", SL_ARG_FLOAT, "1.0", "the largest norm"},
    {"rate", SL_ARG_FLOAT, "1.0", "how far each step moves the norm into [min, max]"},
    {"axis", SL_ARG_INTS, "0", "the axis or axes the norm runs over"},
};
static const SlArgSpec unit_norm_args[] = {
    {"axis", SL_ARG_INTS, "0", "the axis or axes the norm runs over"},
};

static const struct ConClass {
    const char *cls, *names;
    SlConstraintKind kind;
    const SlArgSpec *args;
    int n_args;
} con_classes[] = {
    {"MaxNorm", "max_norm", SL_CON_MAX_NORM, max_norm_args, 2},
    {"MinMaxNorm", "min_max_norm", SL_CON_MIN_MAX_NORM, min_max_norm_args, 4},
    {"UnitNorm", "unit_norm", SL_CON_UNIT_NORM, unit_norm_args, 1},
    {"NonNeg", "non_neg", SL_CON_NON_NEG, NULL, 0},
};

int sl_constraint_read(SlConstraint *c, const SlBound *b, const char *key, SlError *e)
{
    const SlValue *v = sl_bound(b, key);
    memset(c, 0, sizeof *c);
    if (v->kind == SL_V_NONE)
        return 0;
    const char *name = sl_value_name(&b->store, v);
    const struct ConClass *k = NULL;
    for (size_t i = 0; name && i < sizeof con_classes / sizeof con_classes[0]; i++)
        if (!strcmp(con_classes[i].cls, name) || sl_in_words(con_classes[i].names, name))
            k = &con_classes[i];
    if (!k)
        return sl_errorf(e,
                         "unknown constraint %s%s%s for argument '%s'; shapelab knows max_norm(2), "
                         "min_max_norm(0.0, 1.0), unit_norm(), non_neg() (or MaxNorm, MinMaxNorm, "
                         "UnitNorm, NonNeg)",
                         name ? "'" : "", name ? name : "value", name ? "'" : "", key);
    SlBound cb;
    if (bind_object(&cb, k->args, k->n_args, &b->store, v, key, k->cls, e) < 0)
        return -1;
    c->kind = k->kind;
    if (k->kind == SL_CON_MAX_NORM || k->kind == SL_CON_MIN_MAX_NORM)
        c->max_value = sl_bound_float(&cb, "max_value");
    if (k->kind == SL_CON_MIN_MAX_NORM) {
        c->min_value = sl_bound_float(&cb, "min_value");
        c->rate = sl_bound_float(&cb, "rate");
    }
    if (k->n_args) {
        c->n_axes = sl_bound_ints(&cb, "axis", c->axis, SL_MAX_RANK);
        if (c->n_axes < 1)
            return sl_errorf(e, "%s: %s's axis takes 1 to %d axes", key, k->cls, SL_MAX_RANK);
    }
    sl_value_repr(&b->store, v, c->text, (int)sizeof c->text);
    return 0;
}

/* The axes of c on a weight of rank `rank`, each in [0, rank), into reduce[] (1 = summed over);
 * -1 when one is out of range or named twice. */
static int reduce_axes(const SlConstraint *c, int rank, int reduce[SL_MAX_RANK])
{
    for (int i = 0; i < SL_MAX_RANK; i++)
        reduce[i] = 0;
    for (int k = 0; k < c->n_axes; k++) {
        int a = c->axis[k] < 0 ? c->axis[k] + rank : c->axis[k];
        if (a < 0 || a >= rank || reduce[a])
            return -1;
        reduce[a] = 1;
    }
    return 0;
}

int sl_constraint_check(const SlConstraint *c, const SlShape *s, SlError *e)
{
    int reduce[SL_MAX_RANK];
    char buf[96];
    if (c->kind == SL_CON_NONE || c->kind == SL_CON_NON_NEG || reduce_axes(c, s->rank, reduce) == 0)
        return 0;
    return sl_errorf(e,
                     "%s: its axis must name axes of the weight, which is %s (axes 0 to %d, or "
                     "-1 for the last), each once",
                     c->text, sl_shape_str(s, buf, sizeof buf), s->rank - 1);
}

/* ---- terms, gradients, projections ---- */

double sl_regularizer_value(const SlRegularizer *r, const sl_real *w, size_t n)
{
    double s1 = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        s1 += fabs((double)w[i]);
        s2 += (double)w[i] * w[i];
    }
    return r->l1 * s1 + r->l2 * s2;
}

void sl_regularizer_grad(const SlRegularizer *r, sl_real *dw, const sl_real *w, size_t n,
                         double scale)
{
    for (size_t i = 0; i < n; i++) {
        double sign = w[i] > 0 ? 1 : w[i] < 0 ? -1 : 0;
        dw[i] += (sl_real)(scale * (r->l1 * sign + 2 * r->l2 * w[i]));
    }
}

/* The flat offsets of a weight split into two mixed-radix counters: `kept` over the axes the norm
 * keeps (one norm each) and `summed` over the axes it runs over. Offset of (kept k, summed j):
 * sum over the axes of index * stride. */
typedef struct Split {
    int n_kept, n_summed;
    size_t kept_dim[SL_MAX_RANK], kept_stride[SL_MAX_RANK];
    size_t sum_dim[SL_MAX_RANK], sum_stride[SL_MAX_RANK];
    size_t groups, per_group;
} Split;

static void split_of(Split *p, const SlShape *s, const int reduce[SL_MAX_RANK])
{
    size_t stride = 1;
    p->n_kept = p->n_summed = 0;
    p->groups = p->per_group = 1;
    for (int a = s->rank - 1; a >= 0; a--) {
        size_t d = (size_t)s->dim[a];
        if (reduce[a]) {
            p->sum_dim[p->n_summed] = d, p->sum_stride[p->n_summed++] = stride;
            p->per_group *= d;
        } else {
            p->kept_dim[p->n_kept] = d, p->kept_stride[p->n_kept++] = stride;
            p->groups *= d;
        }
        stride *= d;
    }
}

/* Offset of counter value i over (dim, stride) pairs, the first pair varying fastest. */
static size_t offset_of(size_t i, int n, const size_t *dim, const size_t *stride)
{
    size_t off = 0;
    for (int k = 0; k < n; k++) {
        off += (i % dim[k]) * stride[k];
        i /= dim[k];
    }
    return off;
}

void sl_constraint_apply(const SlConstraint *c, sl_real *w, const SlShape *s)
{
    size_t n = sl_shape_count(s);
    if (c->kind == SL_CON_NONE)
        return;
    if (c->kind == SL_CON_NON_NEG) {
        for (size_t i = 0; i < n; i++)
            w[i] = w[i] > 0 ? w[i] : 0;
        return;
    }
    int reduce[SL_MAX_RANK];
    Split p;
    if (reduce_axes(c, s->rank, reduce) < 0) /* checked when the weight was declared */
        return;
    split_of(&p, s, reduce);
    for (size_t g = 0; g < p.groups; g++) {
        size_t base = offset_of(g, p.n_kept, p.kept_dim, p.kept_stride);
        double sq = 0;
        for (size_t j = 0; j < p.per_group; j++) {
            double v = w[base + offset_of(j, p.n_summed, p.sum_dim, p.sum_stride)];
            sq += v * v;
        }
        double norm = sqrt(sq), want = norm;
        if (c->kind == SL_CON_MAX_NORM)
            want = fmin(norm, c->max_value); /* clip(n, 0, max): a norm is never below 0 */
        else if (c->kind == SL_CON_MIN_MAX_NORM)
            want = c->rate * fmin(fmax(norm, c->min_value), c->max_value) + (1 - c->rate) * norm;
        else /* unit norm */
            want = 1;
        double factor = want / (keras_epsilon + norm);
        for (size_t j = 0; j < p.per_group; j++) {
            size_t at = base + offset_of(j, p.n_summed, p.sum_dim, p.sum_stride);
            w[at] = (sl_real)(w[at] * factor);
        }
    }
}
