/* gradcheck.c: analytic gradients against central differences (see gradcheck.h). */
#include "gradcheck.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"

#ifdef SL_DOUBLE
#define SL_REAL_EPS DBL_EPSILON
#else
#define SL_REAL_EPS FLT_EPSILON
#endif

SlGradcheckOptions sl_gradcheck_defaults(void)
{
    SlGradcheckOptions o;
    o.seed = 0;
    o.training = 0;
    o.samples = 40;
    o.sweep_max = 64;
    o.h = 1e-3;
#ifdef SL_DOUBLE
    o.tol = 1e-6;
    o.kink = 1e-4;
#else /* float32 keeps ~7 digits, and a slope over h = 1e-3 only 3 or 4 of them */
    o.tol = 3e-2;
    o.kink = 1e-2;
#endif
    o.check_inputs = 1;
    o.penalties = 1;
    return o;
}

void sl_gradcheck_fill_input(SlTensor *x, SlRng *r)
{
    size_t n = sl_tensor_count(x);
    for (size_t i = 0; i < n; i++) {
        double v = sl_rng_range(r, 0.1, 1.5);
        x->data[i] = (sl_real)(sl_rng_uniform(r) < 0.5 ? -v : v);
    }
}

void sl_gradcheck_fill_model_input(const SlModel *m, int k, SlTensor *x, SlRng *r)
{
    int codes = sl_model_code_range(m, k);
    if (!codes) {
        sl_gradcheck_fill_input(x, r);
        return;
    }
    for (size_t i = 0; i < sl_tensor_count(x); i++)
        x->data[i] = (sl_real)sl_rng_below(r, (uint32_t)codes);
}

int sl_gradcheck_unzero_params(SlModel *m, SlRng *r)
{
    int changed = 0;
    for (int i = 0; i < m->n_params; i++) {
        SlParam *p = m->params[i];
        size_t n = sl_shape_count(&p->shape), k = 0;
        while (k < n && p->value.data[k] == 0)
            k++;
        if (n == 0 || k < n || !p->trainable) /* not checked: a moving mean stays as it is */
            continue;
        for (k = 0; k < n; k++)
            p->value.data[k] = (sl_real)sl_rng_range(r, -0.1, 0.1);
        changed++;
    }
    return changed;
}

typedef struct Ctx {
    SlModel *m;
    SlTensor in[SL_MAX_MODEL_IO]; /* our own copies, which we nudge */
    sl_real *R[SL_MAX_MODEL_IO];
    const SlGradcheckOptions *o;
    SlError *e;
    int failed;
    double f0; /* the objective at the unchanged point */
} Ctx;

/* f = sum_k sum(output_k * R_k), with the same Dropout mask every time, and stateful layers
 * starting from zero states every time (else each evaluation would continue the last). */
static double objective(Ctx *c)
{
    sl_model_seed_rng(c->m, c->o->seed ^ 0x5EEDull);
    sl_model_reset_states(c->m);
    if (sl_model_forward(c->m, c->in, c->o->training, c->e) < 0) {
        c->failed = 1;
        return 0;
    }
    double f = 0;
    for (int k = 0; k < c->m->n_outputs; k++) {
        SlTensor y = sl_model_output(c->m, k);
        size_t n = sl_tensor_count(&y);
        for (size_t i = 0; i < n; i++)
            f += (double)y.data[i] * (double)c->R[k][i];
    }
    return c->o->penalties ? f + sl_model_penalty(c->m) : f;
}

static double slope(Ctx *c, sl_real *v, double h)
{
    sl_real keep = *v;
    *v = (sl_real)(keep + h);
    double fp = objective(c);
    *v = (sl_real)(keep - h);
    double fm = objective(c);
    *v = keep;
    return (fp - fm) / (2 * h);
}

/* The Richardson slope from steps h and h/2 into *num; 1 when the two disagree as across a kink. */
static int richardson(Ctx *c, sl_real *v, double h, double *num)
{
    double d1 = slope(c, v, h), d2 = slope(c, v, h / 2);
    *num = (4 * d2 - d1) / 3;
    return fabs(d1 - d2) > c->o->kink * fmax(1.0, fabs(*num));
}

/* A random index of [0, n) not among the k already chosen (n > sweep_max >= k, so one exists). */
static size_t pick_distinct(SlRng *r, size_t n, size_t *chosen, size_t k)
{
    size_t i;
    int again;
    do {
        i = (size_t)sl_rng_below(r, (uint32_t)n);
        again = 0;
        for (size_t j = 0; j < k; j++)
            again |= chosen[j] == i;
    } while (again);
    chosen[k] = i;
    return i;
}

/* Compare analytic gradient `a` of the tensor `v` (n elements) coordinate by coordinate. */
static void check_tensor(Ctx *c, SlGradcheckRow *row, sl_real *v, const sl_real *a, size_t n,
                         SlRng *pick)
{
    const SlGradcheckOptions *o = c->o;
    int sweep = n <= (size_t)o->sweep_max;
    size_t todo = sweep ? n : (size_t)o->samples;
    row->count = n;
    /* f carries a rounding error of a few eps |f|, so a slope carries about eps |f| / h: compared
     * with the relative tolerance, that error is only small enough for slopes above this */
    row->resolution = 16 * SL_REAL_EPS * fmax(fabs(c->f0), 1.0) / o->h / o->tol;
    row->all_zero = 1;
    for (size_t i = 0; i < n; i++)
        if (a[i] != 0)
            row->all_zero = 0;
    size_t chosen[256];
    todo = todo < 256 ? todo : 256;
    for (size_t j = 0; j < todo && !c->failed; j++) {
        size_t i = sweep ? j : pick_distinct(pick, n, chosen, j);
        double num, an = a[i], res = row->resolution;
        int kinked = richardson(c, &v[i], o->h, &num);
        /* A nudge across a kink (relu, max pooling) says nothing, and across many (a max pool
         * over a whole image) the two steps may agree and still be wrong. In double the slope is
         * measured again with a step 1000 times smaller, which rarely crosses one (at the price
         * of 1000 times the rounding); where the two disagree, the smaller step's is the slope. */
        if (SL_REAL_EPS < 1e-10 && !c->failed) {
            double fine, hf = o->h * 1e-3;
            int fine_kinked = richardson(c, &v[i], hf, &fine);
            /* apart by more than the fine slope's rounding and a quarter of the tolerance */
            double apart =
                fmax(0.25 * o->tol * fabs(num), 16 * SL_REAL_EPS * fmax(fabs(c->f0), 1) / hf);
            /* the finer slope is compared only where its rounding is a hundredth of the
             * tolerance: its rounding is larger than the estimate above assumes */
            if (kinked || fabs(fine - num) > apart)
                num = fine, kinked = fine_kinked, res *= 1e5, row->fine++;
        }
        row->max_num = fmax(row->max_num, fabs(num));
        if (kinked) {
            row->skipped++; /* the slope is not defined here */
            continue;
        }
        if (fabs(an) < res && fabs(num) < res) {
            row->unresolved++; /* lost in the rounding of f: nothing to compare */
            continue;
        }
        double err = fabs(an - num) / fmax(fabs(an) + fabs(num), 1e-8);
        row->checked++;
        if (err > row->max_err || row->checked == 1) {
            row->max_err = err;
            row->worst = i;
            row->worst_a = an;
            row->worst_n = num;
        }
    }
    int attempted = row->checked + row->skipped;
    /* An all-zero gradient is the sign of a missing backward, unless the differences agree that
     * the weight has no effect here (a recurrent kernel over one step from a zero state). */
    row->zero_agrees =
        row->all_zero && row->checked + row->unresolved > 0 && row->max_num < row->resolution;
    row->ok = (!row->all_zero || row->zero_agrees) && row->max_err <= o->tol &&
              row->skipped * 10 <= attempted;
}

static int add_row(SlGradcheckReport *r, const char *name, SlError *e)
{
    if (r->n_rows >= SL_GC_MAX_ROWS)
        return sl_errorf(e, "gradcheck: more than %d tensors; check a smaller model",
                         SL_GC_MAX_ROWS);
    SlGradcheckRow *row = &r->rows[r->n_rows++];
    memset(row, 0, sizeof *row);
    snprintf(row->name, sizeof row->name, "%s", name);
    return 0;
}

/* Analytic gradients: one forward, one backward with d(output) = R; copied out, since the
 * nudged forwards that follow reuse the model's buffers. */
static sl_real *analytic(Ctx *c, size_t *n_out)
{
    SlModel *m = c->m;
    size_t total = m->values.used;
    for (int k = 0; k < m->n_inputs; k++)
        total += sl_tensor_count(&c->in[k]);
    sl_real *g = sl_alloc_zero(total ? total : 1, sizeof *g);
    if (!g) {
        sl_errorf(c->e, "gradcheck: out of memory");
        return NULL;
    }
    c->f0 = objective(c);
    SlTensor dy[SL_MAX_MODEL_IO];
    for (int k = 0; k < m->n_outputs && !c->failed; k++)
        dy[k] = sl_tensor(sl_model_output(m, k).shape, c->R[k]);
    int back = c->failed         ? -1
               : c->o->penalties ? sl_model_backward_penalized(m, dy, c->o->training, c->e)
                                 : sl_model_backward(m, dy, c->o->training, c->e);
    if (back < 0) {
        sl_free(g);
        return NULL;
    }
    if (m->values.used)
        memcpy(g, m->grads.base, m->values.used * sizeof *g);
    size_t off = m->values.used;
    for (int k = 0; k < m->n_inputs; k++) {
        SlTensor gi = sl_model_input_grad(m, k);
        memcpy(g + off, gi.data, sl_tensor_count(&gi) * sizeof *g);
        off += sl_tensor_count(&gi);
    }
    *n_out = total;
    return g;
}

static void free_ctx(Ctx *c)
{
    for (int k = 0; k < SL_MAX_MODEL_IO; k++) {
        sl_free(c->in[k].data);
        sl_free(c->R[k]);
    }
}

/* Our own copies of the inputs, and R shaped like each output. */
static int setup(Ctx *c, const SlTensor *inputs, SlRng *r)
{
    SlModel *m = c->m;
    for (int k = 0; k < m->n_inputs; k++) {
        size_t n = sl_tensor_count(&inputs[k]);
        c->in[k] = sl_tensor(inputs[k].shape, sl_alloc_zero(n ? n : 1, sizeof(sl_real)));
        if (!c->in[k].data)
            return sl_errorf(c->e, "gradcheck: out of memory");
        memcpy(c->in[k].data, inputs[k].data, n * sizeof(sl_real));
    }
    if (sl_model_forward(m, c->in, c->o->training, c->e) < 0)
        return -1;
    for (int k = 0; k < m->n_outputs; k++) {
        size_t n = sl_tensor_count(&(SlTensor){sl_model_output(m, k).shape, NULL});
        if (!(c->R[k] = sl_alloc_zero(n ? n : 1, sizeof(sl_real))))
            return sl_errorf(c->e, "gradcheck: out of memory");
        for (size_t i = 0; i < n; i++)
            c->R[k][i] = (sl_real)sl_rng_range(r, -1, 1);
    }
    return 0;
}

/* Put the weights back as sl_gradcheck found them, and free the copy. */
static void restore(SlModel *m, sl_real *kept)
{
    if (m->values.used)
        memcpy(m->values.base, kept, m->values.used * sizeof *kept);
    sl_free(kept);
}

int sl_gradcheck(SlModel *m, const SlTensor *inputs, const SlGradcheckOptions *o,
                 SlGradcheckReport *r, SlError *e)
{
    Ctx c;
    memset(&c, 0, sizeof c);
    memset(r, 0, sizeof *r);
    c.m = m;
    c.o = o;
    c.e = e;
    SlRng rng = sl_rng(o->seed);
    size_t n_g = 0;
    sl_real *g = NULL;
    /* The weights as found, put back at the end: a training-mode forward updates the weights
     * that are not trained (BatchNormalization's moving statistics), and the checker runs many. */
    if (sl_model_ensure_params(m, e) < 0)
        return -1;
    sl_real *kept = sl_alloc_zero(m->values.used ? m->values.used : 1, sizeof *kept);
    if (!kept)
        return sl_errorf(e, "gradcheck: out of memory");
    if (m->values.used)
        memcpy(kept, m->values.base, m->values.used * sizeof *kept);
    if (setup(&c, inputs, &rng) < 0 || !(g = analytic(&c, &n_g))) {
        restore(m, kept);
        free_ctx(&c);
        return -1;
    }
    size_t off = 0;
    for (int i = 0; i < m->n_params && !c.failed; i++) {
        SlParam *p = m->params[i];
        size_t n = sl_shape_count(&p->shape);
        off += n;
        if (!p->trainable) /* no gradient reaches it (BatchNormalization's moving statistics) */
            continue;
        if (add_row(r, m->param_names[i], e) < 0)
            break;
        check_tensor(&c, &r->rows[r->n_rows - 1], p->value.data, g + off - n, n, &rng);
    }
    for (int k = 0; o->check_inputs && k < m->n_inputs && !c.failed; k++) {
        if (sl_model_code_range(m, k)) { /* integer codes: a code nudged by h is no code */
            off += sl_tensor_count(&c.in[k]);
            continue;
        }
        char name[SL_PARAM_NAME_MAX];
        size_t n = sl_tensor_count(&c.in[k]);
        snprintf(name, sizeof name, "input '%s'", m->nodes[m->t[m->inputs[k]].node].layer->name);
        if (add_row(r, name, e) < 0)
            break;
        check_tensor(&c, &r->rows[r->n_rows - 1], c.in[k].data, g + off, n, &rng);
        off += n;
    }
    sl_free(g);
    restore(m, kept);
    free_ctx(&c);
    if (c.failed)
        return -1;
    r->ok = r->n_rows > 0;
    for (int i = 0; i < r->n_rows; i++) {
        r->ok &= r->rows[i].ok;
        r->max_err = fmax(r->max_err, r->rows[i].max_err);
    }
    return 0;
}

void sl_gradcheck_format(const SlGradcheckReport *r, char *buf, size_t n)
{
    size_t u = 0;
    int wn = 40; /* the name column fits the longest name */
    for (int i = 0; i < r->n_rows; i++)
        wn = (int)strlen(r->rows[i].name) > wn ? (int)strlen(r->rows[i].name) : wn;
    u += (size_t)snprintf(buf + u, n - u, "%-*s %9s %8s %8s %10s\n", wn, "tensor", "elements",
                          "checked", "skipped", "max error");
    for (int i = 0; i < r->n_rows && u < n; i++) {
        const SlGradcheckRow *w = &r->rows[i];
        const char *verdict = w->zero_agrees ? "ok (zero: no effect on this input)"
                              : w->ok        ? "ok"
                              : w->all_zero  ? "FAIL: gradient is all zeros"
                                             : "FAIL";
        u += (size_t)snprintf(buf + u, n - u, "%-*s %9zu %8d %8d %10.2e  %s\n", wn, w->name,
                              w->count, w->checked, w->skipped, w->max_err, verdict);
        if (w->unresolved && u < n)
            u += (size_t)snprintf(buf + u, n - u,
                                  "    %d slope%s below %.1e%s, too small for differences to "
                                  "resolve, not compared\n",
                                  w->unresolved, w->unresolved == 1 ? "" : "s", w->resolution,
                                  w->fine ? " (1e5 times that with the finer step)" : "");
        if (w->fine && u < n)
            u += (size_t)snprintf(buf + u, n - u,
                                  "    %d slope%s measured again with a 1000 times finer step "
                                  "(the nudge crossed kinks)\n",
                                  w->fine, w->fine == 1 ? "" : "s");
        if (!w->ok && !w->all_zero && u < n)
            u += (size_t)snprintf(buf + u, n - u,
                                  "    worst at index %zu: analytic %.10g, numerical %.10g\n",
                                  w->worst, w->worst_a, w->worst_n);
    }
}
