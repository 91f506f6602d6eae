/* optim.c: the update rules, as Keras 3 writes them. For each weight value w with gradient g, at
 * step t = 1, 2, ...:
 *
 *   SGD:      no momentum:  w -= lr g
 *             momentum:     m = momentum m - lr g;   w += m            (nesterov: w += momentum m - lr g)
 *   RMSprop:  v = rho v + (1 - rho) g^2
 *             centered:     a = rho a + (1 - rho) g;  denom = v - a^2 + eps,  else denom = v + eps
 *             inc = lr g / sqrt(denom)                (epsilon inside the square root)
 *             momentum:     mom = momentum mom + inc;  w -= mom,   else w -= inc
 *   Adam:     alpha = lr sqrt(1 - beta_2^t) / (1 - beta_1^t)
 *             m += (g - m)(1 - beta_1);   v += (g^2 - v)(1 - beta_2)
 *             amsgrad:      vhat = max(vhat, v), used in place of v
 *             w -= alpha m / (sqrt(v) + eps)
 *
 * PyTorch agrees on SGD (its velocity is -m / lr) but puts RMSprop's epsilon outside the square
 * root and Adam's epsilon after the bias correction; see docs/training.md.
 */
#include "optim.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const SlArgSpec sgd_args[] = {
    {"learning_rate", SL_ARG_FLOAT, "0.01", "step size"},
    {"momentum", SL_ARG_FLOAT, "0.0", "fraction of the previous step kept, in [0, 1)"},
    {"nesterov", SL_ARG_BOOL, "False", "Nesterov momentum"},
    {"lr", SL_ARG_FLOAT | SL_ARG_OR_NONE, "None", "Keras 2 spelling of learning_rate"},
    {"name", SL_ARG_STR | SL_ARG_OR_NONE, "None", "the optimizer's name"},
};
static const SlArgSpec rmsprop_args[] = {
    {"learning_rate", SL_ARG_FLOAT, "0.001", "step size"},
    {"rho", SL_ARG_FLOAT, "0.9", "decay of the moving average of squared gradients"},
    {"momentum", SL_ARG_FLOAT, "0.0", "momentum on the scaled steps"},
    {"epsilon", SL_ARG_FLOAT, "1e-07", "added inside the square root"},
    {"centered", SL_ARG_BOOL, "False", "divide by the gradient's estimated variance"},
    {"lr", SL_ARG_FLOAT | SL_ARG_OR_NONE, "None", "Keras 2 spelling of learning_rate"},
    {"name", SL_ARG_STR | SL_ARG_OR_NONE, "None", "the optimizer's name"},
};
static const SlArgSpec adam_args[] = {
    {"learning_rate", SL_ARG_FLOAT, "0.001", "step size"},
    {"beta_1", SL_ARG_FLOAT, "0.9", "decay of the first moment"},
    {"beta_2", SL_ARG_FLOAT, "0.999", "decay of the second moment"},
    {"epsilon", SL_ARG_FLOAT, "1e-07", "added to the square root of the second moment"},
    {"amsgrad", SL_ARG_BOOL, "False", "use the largest second moment seen"},
    {"lr", SL_ARG_FLOAT | SL_ARG_OR_NONE, "None", "Keras 2 spelling of learning_rate"},
    {"name", SL_ARG_STR | SL_ARG_OR_NONE, "None", "the optimizer's name"},
};

static const struct {
    const char *lower, *cls;
    SlOptKind kind;
    const SlArgSpec *args;
    int n_args;
} kinds[] = {
    {"sgd", "SGD", SL_OPT_SGD, sgd_args, 5},
    {"rmsprop", "RMSprop", SL_OPT_RMSPROP, rmsprop_args, 7},
    {"adam", "Adam", SL_OPT_ADAM, adam_args, 7},
};

static int read_args(SlOptimizer *o, const SlBound *b, SlError *e)
{
    o->learning_rate = sl_bound_float(b, "learning_rate");
    if (!sl_bound_is_none(b, "lr")) {
        if (sl_bound_given(b, "learning_rate"))
            return sl_errorf(e, "%s: give learning_rate= or lr=, not both", o->name);
        o->learning_rate = sl_bound_float(b, "lr");
        snprintf(o->notice, sizeof o->notice,
                 "notice: lr= is the Keras 2 spelling; Keras 3 writes learning_rate=%g",
                 o->learning_rate);
    }
    if (!(o->learning_rate > 0))
        return sl_errorf(e, "%s: learning_rate must be positive, got %g", o->name,
                         o->learning_rate);
    if (o->kind != SL_OPT_ADAM) {
        o->momentum = sl_bound_float(b, "momentum");
        if (!(o->momentum >= 0 && o->momentum < 1))
            return sl_errorf(e, "%s: momentum must be in [0, 1), got %g", o->name, o->momentum);
    }
    if (o->kind == SL_OPT_SGD) {
        o->nesterov = sl_bound_bool(b, "nesterov");
        o->n_slots = o->momentum > 0;
    } else if (o->kind == SL_OPT_RMSPROP) {
        o->rho = sl_bound_float(b, "rho");
        o->epsilon = sl_bound_float(b, "epsilon");
        o->centered = sl_bound_bool(b, "centered");
        o->n_slots = 1 + (o->momentum > 0) + o->centered;
    } else {
        o->beta_1 = sl_bound_float(b, "beta_1");
        o->beta_2 = sl_bound_float(b, "beta_2");
        o->epsilon = sl_bound_float(b, "epsilon");
        o->amsgrad = sl_bound_bool(b, "amsgrad");
        o->n_slots = 2 + o->amsgrad;
        if (!(o->beta_1 >= 0 && o->beta_1 < 1 && o->beta_2 >= 0 && o->beta_2 < 1))
            return sl_errorf(e, "Adam: beta_1 and beta_2 must be in [0, 1)");
    }
    return 0;
}

int sl_optimizer_create(SlOptimizer *o, const char *name, const SlArgs *args, SlError *e)
{
    memset(o, 0, sizeof *o);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strcmp(name, kinds[i].lower) && strcmp(name, kinds[i].cls))
            continue;
        o->kind = kinds[i].kind;
        snprintf(o->name, sizeof o->name, "%s", kinds[i].cls);
        SlArgs none;
        SlBound b;
        sl_args_init(&none);
        if (sl_args_bind(&b, kinds[i].args, kinds[i].n_args, args ? args : &none, o->name, e) < 0)
            return -1;
        return read_args(o, &b, e);
    }
    return sl_errorf(e,
                     "unknown optimizer '%s'; shapelab knows sgd (SGD), rmsprop (RMSprop), "
                     "adam (Adam)",
                     name);
}

int sl_optimizer(SlOptimizer *o, const char *name, const char *args, SlError *e)
{
    SlArgs a;
    sl_args_init(&a);
    if (sl_args_parse(&a, args ? args : "", e) < 0)
        return -1;
    return sl_optimizer_create(o, name, &a, e);
}

int sl_optimizer_prepare(SlOptimizer *o, size_t n, SlError *e)
{
    o->iterations = 0;
    o->n = n;
    if (sl_arena_reserve(&o->state, (size_t)o->n_slots * n) < 0)
        return sl_errorf(e, "%s: out of memory for its state (%zu values)", o->name,
                         (size_t)o->n_slots * n);
    o->state.used = o->state.cap;
    return 0;
}

void sl_optimizer_begin_step(SlOptimizer *o)
{
    o->iterations++;
}

static void sgd(const SlOptimizer *o, sl_real *w, const sl_real *g, sl_real *m, size_t n)
{
    double lr = o->learning_rate, mu = o->momentum;
    for (size_t i = 0; i < n; i++) {
        if (!m) {
            w[i] -= (sl_real)(lr * g[i]);
            continue;
        }
        m[i] = (sl_real)(mu * m[i] - lr * g[i]);
        w[i] += o->nesterov ? (sl_real)(mu * m[i] - lr * g[i]) : m[i];
    }
}

static void rmsprop(const SlOptimizer *o, sl_real *w, const sl_real *g, sl_real *v, sl_real *mom,
                    sl_real *a, size_t n)
{
    double lr = o->learning_rate, rho = o->rho;
    for (size_t i = 0; i < n; i++) {
        double gi = g[i];
        v[i] = (sl_real)(rho * v[i] + (1 - rho) * gi * gi);
        double denom = (double)v[i] + o->epsilon;
        if (a) {
            a[i] = (sl_real)(rho * a[i] + (1 - rho) * gi);
            denom -= (double)a[i] * a[i];
        }
        double inc = lr * gi / sqrt(denom);
        if (mom) {
            mom[i] = (sl_real)(o->momentum * mom[i] + inc);
            w[i] -= mom[i];
        } else {
            w[i] -= (sl_real)inc;
        }
    }
}

static void adam(const SlOptimizer *o, sl_real *w, const sl_real *g, sl_real *m, sl_real *v,
                 sl_real *vhat, size_t n)
{
    double t = (double)o->iterations;
    double alpha = o->learning_rate * sqrt(1 - pow(o->beta_2, t)) / (1 - pow(o->beta_1, t));
    for (size_t i = 0; i < n; i++) {
        double gi = g[i];
        m[i] += (sl_real)((gi - m[i]) * (1 - o->beta_1));
        v[i] += (sl_real)((gi * gi - v[i]) * (1 - o->beta_2));
        double vi = v[i];
        if (vhat) {
            vhat[i] = vhat[i] > v[i] ? vhat[i] : v[i];
            vi = vhat[i];
        }
        w[i] -= (sl_real)(alpha * m[i] / (sqrt(vi) + o->epsilon));
    }
}

void sl_optimizer_update(SlOptimizer *o, sl_real *w, const sl_real *g, size_t offset, size_t n)
{
    /* slot k of value i lives at state[k * o->n + offset + i] */
    sl_real *s0 = o->n_slots > 0 ? o->state.base + offset : NULL;
    sl_real *s1 = o->n_slots > 1 ? o->state.base + o->n + offset : NULL;
    sl_real *s2 = o->n_slots > 2 ? o->state.base + 2 * o->n + offset : NULL;
    switch (o->kind) {
    case SL_OPT_SGD:
        sgd(o, w, g, s0, n);
        break;
    case SL_OPT_RMSPROP: /* slots: velocity, then momentum (if any), then the average gradient */
        rmsprop(o, w, g, s0, o->momentum > 0 ? s1 : NULL,
                o->centered ? (o->momentum > 0 ? s2 : s1) : NULL, n);
        break;
    case SL_OPT_ADAM:
        adam(o, w, g, s0, s1, s2, n);
        break;
    }
}

void sl_optimizer_free(SlOptimizer *o)
{
    sl_arena_free(&o->state);
}
