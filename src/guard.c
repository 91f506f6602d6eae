/* guard.c: the numeric guard of fit (guard.h): cheap checks every step, a walk over the step's
 * tensors only when one fails, and the weights of the last good step put back. */
#include "guard.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"

int sl_guard_init(SlGuard *g, const SlModel *m, SlError *e)
{
    memset(g, 0, sizeof *g);
    g->values = sl_alloc_zero(m->values.used + 1, sizeof *g->values);
    g->state = sl_alloc_zero(m->opt.state.used + 1, sizeof *g->state);
    if (!g->values || !g->state) {
        sl_guard_free(g);
        return sl_errorf(e, "out of memory for the NaN guard's copy of %zu weights",
                         m->values.used);
    }
    return 0;
}

void sl_guard_free(SlGuard *g)
{
    sl_free(g->values);
    sl_free(g->state);
    memset(g, 0, sizeof *g);
}

/* An arena may be empty (SGD without momentum keeps no state): then its base is NULL. */
static void copy(sl_real *dst, const sl_real *src, size_t n)
{
    if (n)
        memcpy(dst, src, n * sizeof *dst);
}

void sl_guard_keep(SlGuard *g, const SlModel *m)
{
    copy(g->values, m->values.base, m->values.used);
    copy(g->state, m->opt.state.base, m->opt.state.used);
    g->iterations = m->opt.iterations;
}

static void put_back(const SlGuard *g, SlModel *m)
{
    copy(m->values.base, g->values, m->values.used);
    copy(m->opt.state.base, g->state, m->opt.state.used);
    m->opt.iterations = g->iterations;
}

/* ---- the checks of every step ---- */

/* One branch-free pass (it vectorizes): is every value of v[0..n) finite? */
static int all_finite(const sl_real *v, size_t n)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        bad |= !isfinite(v[i]);
    return !bad;
}

/* The first value of v[0..n) that is NaN or Inf, or n when there is none. */
static size_t first_bad(const sl_real *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return i;
    return n;
}

/* ---- naming what went bad ---- */

/* "NaN at [3, 0, 5]": the bad value v at flat index i of a tensor of shape s. */
static void where(sl_real v, const SlShape *s, size_t i, char *buf, size_t n)
{
    size_t u = (size_t)snprintf(buf, n, "%s at [", isnan(v) ? "NaN" : v > 0 ? "Inf" : "-Inf");
    size_t idx[SL_MAX_RANK], rest = i;
    for (int d = s->rank - 1; d >= 0; d--) {
        idx[d] = s->dim[d] > 0 ? rest % (size_t)s->dim[d] : 0;
        rest = s->dim[d] > 0 ? rest / (size_t)s->dim[d] : 0;
    }
    for (int d = 0; d < s->rank && u < n; d++)
        u += (size_t)snprintf(buf + u, n - u, "%s%zu", d ? ", " : "", idx[d]);
    if (u < n)
        snprintf(buf + u, n - u, "]");
}

static const char *param_name(const SlModel *m, const SlParam *p)
{
    for (int i = 0; i < m->n_params; i++)
        if (m->params[i] == p)
            return m->param_names[i];
    return p->name;
}

/* The first layer output of the step's forward pass holding NaN or Inf, into buf; 1 if found. */
static int bad_activation(const SlModel *m, char *buf, size_t n)
{
    char at[96];
    for (int k = 0; k < m->n_nodes; k++) {
        const SlNode *nd = &m->nodes[k];
        for (int o = 0; m->active[k] && o < nd->run.n_out; o++) {
            const SlEdge *t = &m->t[nd->out[o]];
            size_t count = sl_shape_count(&t->run), i = first_bad(t->val, count);
            if (i == count)
                continue;
            where(t->val[i], &t->run, i, at, sizeof at);
            snprintf(buf, n, "the output of layer '%s' (%s) holds %s", nd->layer->name,
                     nd->layer->type->name, at);
            return 1;
        }
    }
    return 0;
}

/* The first weight gradient of layer l (its inner layers' too) holding NaN or Inf; 1 if found. */
static int bad_param_grad(const SlModel *m, const SlLayer *l, char *buf, size_t n)
{
    char at[96];
    for (int j = 0; j < l->n_params; j++) {
        const SlParam *p = &l->params[j];
        size_t count = sl_shape_count(&p->shape), i = first_bad(p->grad.data, count);
        if (i < count) {
            where(p->grad.data[i], &p->shape, i, at, sizeof at);
            snprintf(buf, n, "the gradient of weight '%s' (layer '%s', %s) holds %s",
                     param_name(m, p), l->name, l->type->name, at);
            return 1;
        }
    }
    for (int c = 0; c < l->n_child; c++)
        if (bad_param_grad(m, l->child[c], buf, n))
            return 1;
    return 0;
}

/* The first gradient of the backward pass holding NaN or Inf, from the loss's down; 1 if found. */
static int bad_gradient(const SlModel *m, const SlGuardStep *s, char *buf, size_t n)
{
    char at[96];
    for (int k = 0; k < m->n_outputs; k++) {
        size_t count = sl_tensor_count(&s->dloss[k]), i = first_bad(s->dloss[k].data, count);
        if (i < count) {
            where(s->dloss[k].data[i], &s->dloss[k].shape, i, at, sizeof at);
            snprintf(buf, n, "the loss's gradient for output %d ('%s') holds %s", k,
                     m->nodes[m->t[m->outputs[k]].node].layer->name, at);
            return 1;
        }
    }
    for (int k = m->n_nodes - 1; k >= 0; k--) {
        const SlNode *nd = &m->nodes[k];
        if (!m->active[k])
            continue;
        if (bad_param_grad(m, nd->layer, buf, n))
            return 1;
        for (int j = 0; j < nd->run.n_in; j++) {
            const SlEdge *t = &m->t[nd->in[j]];
            size_t count = sl_shape_count(&t->run), i = first_bad(t->grad, count);
            if (i == count)
                continue;
            where(t->grad[i], &t->run, i, at, sizeof at);
            snprintf(buf, n, "the gradient layer '%s' (%s) passes back to its input holds %s",
                     nd->layer->name, nd->layer->type->name, at);
            return 1;
        }
    }
    return 0;
}

/* The first weight, or optimizer state of a weight, that the update made NaN or Inf; 1 if found. */
static int bad_update(const SlModel *m, char *buf, size_t n)
{
    char at[96];
    for (int p = 0; p < m->n_params; p++) {
        const SlParam *w = m->params[p];
        size_t count = sl_shape_count(&w->shape), off = (size_t)(w->value.data - m->values.base);
        for (int slot = -1; slot < m->opt.n_slots; slot++) { /* -1: the weight itself */
            const sl_real *v =
                slot < 0 ? w->value.data : m->opt.state.base + (size_t)slot * m->opt.n + off;
            size_t i = first_bad(v, count);
            if (i == count)
                continue;
            where(v[i], &w->shape, i, at, sizeof at);
            if (slot < 0 && !w->trainable) /* BatchNormalization's moving statistics */
                snprintf(buf, n,
                         "weight '%s', which its layer updates in the forward pass, became %s",
                         m->param_names[p], at);
            else if (slot < 0)
                snprintf(buf, n, "the %s update made weight '%s' %s (its gradient there: %.3g)",
                         m->opt.name, m->param_names[p], at, (double)w->grad.data[i]);
            else
                snprintf(buf, n,
                         "the %s update made its state (slot %d) of weight '%s' %s (the "
                         "gradient there: %.3g)",
                         m->opt.name, slot, m->param_names[p], at, (double)w->grad.data[i]);
            return 1;
        }
    }
    return 0;
}

/* ---- the likely cause ---- */

static double max_abs(const SlTensor *t, int n)
{
    double mx = 0;
    for (int k = 0; k < n; k++)
        for (size_t i = 0, c = sl_tensor_count(&t[k]); i < c; i++)
            mx = fabs((double)t[k].data[i]) > mx ? fabs((double)t[k].data[i]) : mx;
    return mx;
}

/* Data far from unit size first (what learners meet most), else the learning rate. */
static void likely_cause(const SlModel *m, const SlGuardStep *s, char *buf, size_t n)
{
    const double big = 1e3;
    double my = max_abs(s->y, m->n_outputs), mx = max_abs(s->x, m->n_inputs);
    if (my > big)
        snprintf(buf, n,
                 "unscaled targets: this batch's targets reach %.3g, so the loss and its "
                 "gradients are huge; scale y to about unit size (subtract its mean, divide by "
                 "its standard deviation) and scale predictions back",
                 my);
    else if (mx > big)
        snprintf(buf, n,
                 "unscaled inputs: this batch's inputs reach %.3g; scale each feature to about "
                 "unit size (subtract its mean, divide by its standard deviation)",
                 mx);
    else
        snprintf(buf, n,
                 "a learning rate too large for this model (%s's learning_rate is %g; the data "
                 "are within +-%.3g): lower it, ten times at a time (Keras's defaults: 0.01 for "
                 "SGD, 0.001 for RMSprop and Adam)",
                 m->opt.name, m->opt.learning_rate, mx > my ? mx : my);
}

/* Put the last good weights back and say what happened; returns SL_FIT_NONFINITE. */
static int stop(const SlGuard *g, SlModel *m, const SlGuardStep *s, const char *what, SlError *e)
{
    char cause[400];
    put_back(g, m);
    likely_cause(m, s, cause, sizeof cause);
    sl_errorf(e,
              "fit: NaN or Inf at epoch %d, batch %d of %d: %s (the batch's loss: %.4g). Likely "
              "cause: %s. Training stopped; the weights are those from before this step, which "
              "the optimizer did not apply",
              s->epoch + 1, s->batch + 1, s->steps, what, s->loss, cause);
    return SL_FIT_NONFINITE;
}

int sl_guard_check_gradients(SlGuard *g, SlModel *m, const SlGuardStep *s, SlError *e)
{
    if (isfinite(s->loss) && all_finite(m->grads.base, m->grads.used))
        return 0;
    char what[400];
    if (!bad_activation(m, what, sizeof what)) {
        if (!isfinite(s->loss))
            snprintf(what, sizeof what, "the loss is %s while every layer's output is finite",
                     isnan(s->loss) ? "NaN" : "Inf");
        else if (!bad_gradient(m, s, what, sizeof what))
            snprintf(what, sizeof what, "a weight's gradient holds NaN or Inf");
    }
    return stop(g, m, s, what, e);
}

int sl_guard_check_update(SlGuard *g, SlModel *m, const SlGuardStep *s, SlError *e)
{
    if (all_finite(m->values.base, m->values.used) &&
        all_finite(m->opt.state.base, m->opt.state.used))
        return 0;
    char what[400];
    if (!bad_update(m, what, sizeof what))
        snprintf(what, sizeof what, "the %s update made a weight NaN or Inf", m->opt.name);
    return stop(g, m, s, what, e);
}
