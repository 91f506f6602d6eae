/* fit.c: fit, evaluate and predict.
 *
 * fit checks every array against the model before the first step (shapes, sample counts, NaN,
 * class indices), then for each epoch walks the samples in batches (shuffled from the seed),
 * and per batch: gathers the rows, runs forward in training mode, takes each output's loss and its
 * gradient (scaled by loss_weights) plus the regularizers' terms (penalty.c), runs backward, lets
 * the optimizer update every trainable weight and projects the constrained ones. Buffers are made once per fit (and the plan on the first step), so no step after the
 * first allocates. The epoch's loss is the mean
 * of the batch losses weighted by batch size, as Keras logs it; metrics are one mean over every
 * position seen (see loss.h).
 *
 * fit_generator runs the same epochs (run_epochs) and the same pass over batches: a Feed hands
 * the pass either rows of the arrays or a generator's batches (each checked as it arrives).
 *
 * Two hooks in that loop: the NaN guard (guard.h) around every training step, and, for fit, a
 * checkpoint at each epoch's end (checkpoint.h).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "checkpoint.h"
#include "guard.h"
#include "train.h"

SlFitOptions sl_fit_defaults(void)
{
    SlFitOptions o;
    memset(&o, 0, sizeof o);
    o.batch_size = 32;
    o.epochs = 1;
    o.shuffle = 1;
    o.verbose = -1;
    o.nan_guard = 1;
    return o;
}

/* ---- data: the dataset's arrays and the rows [begin, begin + n) in use ---- */

typedef struct Data {
    const SlTensor *x, *y, *sw; /* per input / output; sw may be NULL or hold NULL data */
    size_t begin, n, total;     /* total: samples in the arrays */
} Data;

static const SlTensor *sw_of(const Data *d, int k)
{
    return d->sw && d->sw[k].data ? &d->sw[k] : NULL;
}

/* ---- per-fit buffers ---- */

typedef struct Batch {
    SlTensor x[SL_MAX_MODEL_IO], y[SL_MAX_MODEL_IO], sw[SL_MAX_MODEL_IO], dpred[SL_MAX_MODEL_IO];
    size_t *order;
} Batch;

static void free_batch(Batch *b)
{
    for (int k = 0; k < SL_MAX_MODEL_IO; k++) {
        sl_free(b->x[k].data);
        sl_free(b->y[k].data);
        sl_free(b->sw[k].data);
        sl_free(b->dpred[k].data);
    }
    sl_free(b->order);
    memset(b, 0, sizeof *b);
}

static sl_real *rows_buffer(const SlTensor *t, size_t total, size_t rows)
{
    size_t per = total ? sl_tensor_count(t) / total : 0;
    size_t n = per * rows;
    return sl_alloc_zero(n > 0 ? n : 1, sizeof(sl_real));
}

static int make_batch(const SlModel *m, const Data *d, const SlShape *out, size_t bs, Batch *b,
                      SlError *e)
{
    memset(b, 0, sizeof *b);
    int ok = (b->order = sl_alloc_zero(d->total + 1, sizeof *b->order)) != NULL;
    for (int k = 0; ok && k < m->n_inputs; k++)
        ok = (b->x[k].data = rows_buffer(&d->x[k], d->total, bs)) != NULL;
    for (int k = 0; ok && k < m->n_outputs; k++) {
        SlTensor o = {out[k], NULL};
        ok = (b->y[k].data = rows_buffer(&d->y[k], d->total, bs)) &&
             (b->dpred[k].data = rows_buffer(&o, (size_t)out[k].dim[0], bs)) &&
             (!sw_of(d, k) || (b->sw[k].data = rows_buffer(sw_of(d, k), d->total, bs)));
    }
    if (!ok) {
        free_batch(b);
        return sl_errorf(e, "out of memory for batches of %zu", bs);
    }
    return 0;
}

/* dst = the rows idx[0..n) of src (a dataset array of `total` samples). */
static void gather(SlTensor *dst, const SlTensor *src, size_t total, const size_t *idx, size_t n)
{
    size_t per = sl_tensor_count(src) / total;
    for (size_t i = 0; i < n; i++)
        memcpy(dst->data + i * per, src->data + idx[i] * per, per * sizeof(sl_real));
    dst->shape = src->shape;
    dst->shape.dim[0] = (int)n;
}

/* ---- checks before the first step ---- */

int sl_model_check_x(const SlModel *m, int k, const SlTensor *x, SlError *e)
{
    int fixed = m->t[m->inputs[k]].shape.dim[0];
    SlShape data = x->shape; /* its own shape, but a fixed batch size is not checked here */
    if (fixed != SL_NONE && data.rank > 0)
        data.dim[0] = fixed;
    char name[16];
    snprintf(name, sizeof name, "x[%d]", k);
    if (sl_model_check_input(m, k, &data, e) < 0)
        return -1;
    if (!x->data) /* a file's header: the values are not read yet */
        return 0;
    if (sl_tensor_check_finite(x, name, e) < 0)
        return -1;
    return sl_model_check_codes(m, k, x, e);
}

/* Every input array against the model, each with n samples; one[k] is the shape of one batch
 * (the model's fixed batch size, or 1) for working out the outputs' shapes. */
static int check_inputs(const SlModel *m, const SlTensor *x, size_t n, SlShape *one,
                        const char *who, SlError *e)
{
    for (int k = 0; k < m->n_inputs; k++) {
        const SlShape *s = &x[k].shape;
        if (s->rank < 1 || (size_t)s->dim[0] != n)
            return sl_errorf(e,
                             "%s: input %d has %d samples, but input 0 has %zu; every array "
                             "needs the same number of samples first",
                             who, k, s->rank ? s->dim[0] : 0, n);
        if (sl_model_check_x(m, k, &x[k], e) < 0)
            return sl_error_prefix(e, "%s: ", who);
        int fixed = m->t[m->inputs[k]].shape.dim[0];
        one[k] = *s;
        one[k].dim[0] = fixed == SL_NONE ? 1 : fixed;
    }
    return 0;
}

/* The outputs' shapes for these inputs (batch axis = the number of samples). */
static int check_data(SlModel *m, const Data *d, SlShape *out, const char *who, SlError *e)
{
    SlShape one[SL_MAX_MODEL_IO];
    char a[96], yname[32], swname[32];
    if (check_inputs(m, d->x, d->total, one, who, e) < 0)
        return -1;
    if (sl_model_output_shapes(m, one, out, e) < 0)
        return sl_error_prefix(e, "%s: ", who);
    for (int k = 0; k < m->n_outputs; k++) {
        out[k].dim[0] = (int)d->total;
        const SlTensor *y = &d->y[k], *sw = sw_of(d, k);
        if (y->shape.rank < 1 || (size_t)y->shape.dim[0] != d->total)
            return sl_errorf(e, "%s: x has %zu samples but y[%d] has %s; they must match", who,
                             d->total, k, sl_shape_str(&y->shape, a, sizeof a));
        snprintf(yname, sizeof yname, "y[%d]", k);
        snprintf(swname, sizeof swname, "sample_weight[%d]", k);
        if (sl_loss_check(&m->loss[k], &out[k], &y->shape, sw ? &sw->shape : NULL, e) < 0 ||
            sl_loss_check_targets(&m->loss[k], y, out[k].dim[out[k].rank - 1], e) < 0 ||
            sl_tensor_check_finite(y, yname, e) < 0 ||
            (sw && sl_tensor_check_finite(sw, swname, e) < 0))
            return sl_error_prefix(e, "%s: output %d ('%s'): ", who, k,
                                   m->nodes[m->t[m->outputs[k]].node].layer->name);
    }
    return 0;
}

/* ---- running sums of one pass, and their names ---- */

typedef struct Acc {
    double loss, samples, out_loss[SL_MAX_MODEL_IO];
    double sum[SL_MAX_MODEL_IO][2 * SL_MAX_METRICS], count[SL_MAX_MODEL_IO][2 * SL_MAX_METRICS];
    SlMetricKind kind[SL_MAX_MODEL_IO][2 * SL_MAX_METRICS];
} Acc;

static void acc_start(const SlModel *m, const SlShape *out, const Data *d, Acc *a)
{
    memset(a, 0, sizeof *a);
    for (int k = 0; k < m->n_outputs; k++)
        for (int i = 0; i < m->n_metrics + m->n_weighted; i++) {
            const SlMetric *mt = i < m->n_metrics ? &m->metrics[i] : &m->weighted[i - m->n_metrics];
            a->kind[k][i] = mt->kind == SL_METRIC_ACCURACY
                                ? sl_accuracy_kind(&m->loss[k], &out[k], &d->y[k].shape)
                                : mt->kind;
        }
}

static void add_log(SlLogs *l, const char *prefix, const char *out, const char *name, double v)
{
    if (l->n >= SL_MAX_LOGS)
        return;
    snprintf(l->name[l->n], SL_LOG_NAME_MAX, "%s%s%s%s", prefix, out, out[0] ? "_" : "", name);
    l->value[l->n++] = v;
}

/* Keras's names: loss, accuracy; with several outputs also dense_1_loss, dense_1_accuracy. */
static void acc_logs(const SlModel *m, const Acc *a, const char *prefix, SlLogs *l)
{
    int multi = m->n_outputs > 1;
    add_log(l, prefix, "", "loss", a->samples ? a->loss / a->samples : 0);
    for (int k = 0; k < m->n_outputs; k++) {
        const char *out = multi ? m->nodes[m->t[m->outputs[k]].node].layer->name : "";
        if (multi)
            add_log(l, prefix, out, "loss", a->samples ? a->out_loss[k] / a->samples : 0);
        for (int i = 0; i < m->n_metrics + m->n_weighted; i++) {
            char name[SL_LOG_NAME_MAX];
            if (i < m->n_metrics)
                snprintf(name, sizeof name, "%s", m->metrics[i].name);
            else
                snprintf(name, sizeof name, "weighted_%s", m->weighted[i - m->n_metrics].name);
            add_log(l, prefix, out, name, a->count[k][i] > 0 ? a->sum[k][i] / a->count[k][i] : 0);
        }
    }
}

/* ---- one batch ---- */

/* Loss, gradients (when training) and metrics of the batch now in the model's outputs. */
static double batch_losses(SlModel *m, Batch *b, const Data *d, size_t n, int train, Acc *a)
{
    double total = 0;
    for (int k = 0; k < m->n_outputs; k++) {
        SlTensor pred = sl_model_output(m, k);
        const unsigned char *mask = m->t[m->outputs[k]].mask;
        const SlTensor *sw = sw_of(d, k) ? &b->sw[k] : NULL;
        double lk = sl_loss_eval(&m->loss[k], &pred, &b->y[k], sw, mask,
                                 train ? b->dpred[k].data : NULL, m->loss_weight[k]);
        b->dpred[k].shape = pred.shape;
        total += m->loss_weight[k] * lk;
        a->out_loss[k] += lk * (double)n;
        for (int i = 0; i < m->n_metrics + m->n_weighted; i++) /* weighted ones use sw */
            sl_metric_update(a->kind[k][i], &pred, &b->y[k], i < m->n_metrics ? NULL : sw, mask,
                             &a->sum[k][i], &a->count[k][i]);
    }
    total += sl_model_penalty(m); /* the regularizers' terms, as Keras adds them to the loss */
    a->loss += total * (double)n;
    a->samples += (double)n;
    return total;
}

/* Backward and the update; the guard g (may be NULL) checks the gradients before the update and
 * the weights after it. Returns 0, -1 or SL_FIT_NONFINITE. */
static int train_step(SlModel *m, Batch *b, SlGuard *g, const SlGuardStep *gs, SlError *e)
{
    m->skip_input_grads = 1; /* the data needs no gradient: layers may skip it */
    int rc = sl_model_backward_penalized(m, b->dpred, 1, e);
    m->skip_input_grads = 0;
    if (rc < 0)
        return -1;
    if (g && sl_guard_check_gradients(g, m, gs, e) < 0)
        return SL_FIT_NONFINITE;
    sl_optimizer_begin_step(&m->opt);
    for (int i = 0; i < m->n_params; i++) {
        SlParam *p = m->params[i];
        if (p->trainable)
            sl_optimizer_update(&m->opt, p->value.data, p->grad.data,
                                (size_t)(p->value.data - m->values.base),
                                sl_shape_count(&p->shape));
    }
    sl_model_apply_constraints(m); /* part of the update: the guard checks the weights after it */
    if (g && sl_guard_check_update(g, m, gs, e) < 0)
        return SL_FIT_NONFINITE;
    return 0;
}

static void emit(const SlModel *m, SlEventKind kind, int batch, int epoch, const SlLogs *l)
{
    if (!m->obs)
        return;
    SlEvent ev;
    const char *names[SL_MAX_LOGS];
    memset(&ev, 0, sizeof ev);
    for (int i = 0; i < l->n; i++)
        names[i] = l->name[i];
    ev.kind = kind;
    ev.batch = batch;
    ev.epoch = epoch;
    ev.n_metrics = l->n;
    ev.metric_names = names;
    ev.metric_values = l->value;
    sl_emit(m->obs, &ev);
}

/* Forward, loss, backward and update (when training, under the guard g when not NULL) on the
 * batch in b, then the bar and the observer see the running logs of step s of steps. */
static int run_batch(SlModel *m, Batch *b, const Data *d, size_t n, int train, SlGuard *g,
                     SlProgbar *bar, int s, int steps, int epoch, Acc *a, SlError *e)
{
    if (g)
        sl_guard_keep(g, m);
    if (sl_model_forward(m, b->x, train, e) < 0)
        return -1;
    SlGuardStep gs = {epoch, s, steps, batch_losses(m, b, d, n, train, a), b->x, b->y, b->dpred};
    int rc = train ? train_step(m, b, g, &gs, e) : 0;
    if (rc < 0)
        return rc;
    if (bar || m->obs) {
        SlLogs l = {0};
        acc_logs(m, a, "", &l);
        if (bar && s + 1 < steps)
            sl_progbar_update(bar, s + 1, &l, 0);
        emit(m, SL_EV_BATCH_END, s, epoch, &l);
    }
    return 0;
}

/* ---- one pass: batches from arrays or from a generator ---- */

/* Where a pass's batches come from: rows of arrays (fit, evaluate), or a generator
 * (fit_generator). */
typedef struct Feed {
    Batch *b;
    int steps; /* batches per pass */
    /* arrays */
    const Data *d;      /* the rows in use; NULL for a generator */
    const SlShape *out; /* the outputs' shapes for all the arrays' samples */
    size_t bs;
    SlRng *shuffle; /* a new order every pass from it, or NULL */
    /* a generator */
    SlBatchFn next;
    void *ctx;
    int step;    /* batches asked for so far, across passes */
    size_t *cap; /* the room of b->dpred, grown to the largest batch */
    const char *who;
} Feed;

static Feed array_feed(Batch *b, const Data *d, const SlShape *out, size_t bs, SlRng *shuffle)
{
    Feed f;
    memset(&f, 0, sizeof f);
    f.b = b;
    f.steps = (int)((d->n + bs - 1) / bs);
    f.d = d;
    f.out = out;
    f.bs = bs;
    f.shuffle = shuffle;
    return f;
}

static Feed gen_feed(Batch *b, SlBatchFn next, void *ctx, int steps, size_t *cap, const char *who)
{
    Feed f;
    memset(&f, 0, sizeof f);
    f.b = b;
    f.steps = steps;
    f.next = next;
    f.ctx = ctx;
    f.cap = cap;
    f.who = who;
    return f;
}

static void shuffle(size_t *order, size_t n, SlRng *r)
{
    for (size_t i = n; i > 1; i--) { /* Fisher-Yates */
        size_t j = (size_t)sl_rng_below(r, (uint32_t)i);
        size_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
}

/* The rows of step s of the arrays into the batch; returns how many. */
static size_t gather_step(const SlModel *m, const Feed *f, int s)
{
    const Data *d = f->d;
    Batch *b = f->b;
    size_t n = s + 1 < f->steps ? f->bs : d->n - (size_t)s * f->bs;
    const size_t *idx = b->order + d->begin + (size_t)s * f->bs;
    for (int k = 0; k < m->n_inputs; k++)
        gather(&b->x[k], &d->x[k], d->total, idx, n);
    for (int k = 0; k < m->n_outputs; k++) {
        gather(&b->y[k], &d->y[k], d->total, idx, n);
        if (sw_of(d, k))
            gather(&b->sw[k], sw_of(d, k), d->total, idx, n);
    }
    return n;
}

/* The generator's next batch, checked, in b (views of the generator's buffers); b->dpred grows
 * to the largest output seen (f->cap holds its sizes). d describes the batch for the shared loss
 * code, out its outputs' shapes. */
static int gen_batch(SlModel *m, Feed *f, Data *d, SlShape *out, SlError *e)
{
    char where[96];
    Batch *b = f->b;
    size_t *cap = f->cap;
    int step = f->step++;
    for (int k = 0; k < SL_MAX_MODEL_IO; k++)
        b->x[k].data = b->y[k].data = b->sw[k].data = NULL;
    snprintf(where, sizeof where, "%s: step %d", f->who, step);
    if (f->next(f->ctx, step, b->x, b->y, b->sw, e) < 0)
        return sl_error_prefix(e, "%s: the generator failed: ", where);
    for (int k = 0; k < m->n_inputs + m->n_outputs; k++)
        if (!(k < m->n_inputs ? b->x[k].data : b->y[k - m->n_inputs].data))
            return sl_errorf(e, "%s: the generator gave no data for %s[%d]", where,
                             k < m->n_inputs ? "x" : "y", k < m->n_inputs ? k : k - m->n_inputs);
    size_t n = b->x[0].shape.rank ? (size_t)b->x[0].shape.dim[0] : 0;
    *d = (Data){b->x, b->y, b->sw, 0, n, n};
    if (n == 0)
        return sl_errorf(e, "%s: the generator gave an empty batch", where);
    if (check_data(m, d, out, where, e) < 0)
        return -1;
    for (int k = 0; k < m->n_outputs; k++) {
        size_t need = sl_shape_count(&out[k]);
        if (need > cap[k]) { /* only while batches keep getting bigger */
            sl_free(b->dpred[k].data);
            if (!(b->dpred[k].data = sl_alloc_zero(need, sizeof(sl_real))))
                return sl_errorf(e, "%s: out of memory", where);
            cap[k] = need;
        }
    }
    return 0;
}

/* One pass of f->steps batches: training (with a progress bar, when given, and under the guard g
 * when not NULL) or evaluation. Returns 0, -1 or SL_FIT_NONFINITE. */
static int pass(SlModel *m, Feed *f, int train, SlGuard *g, SlProgbar *bar, int epoch, Acc *a,
                SlError *e)
{
    if (f->d) {
        for (size_t i = 0; i < f->d->total; i++)
            f->b->order[i] = i;
        if (f->shuffle)
            shuffle(f->b->order + f->d->begin, f->d->n, f->shuffle);
    }
    for (int s = 0; s < f->steps; s++) {
        Data gd;
        SlShape gout[SL_MAX_MODEL_IO];
        const Data *d = f->d;
        const SlShape *out = f->out;
        size_t n;
        if (d) {
            n = gather_step(m, f, s);
        } else {
            if (gen_batch(m, f, &gd, gout, e) < 0)
                return -1;
            d = &gd, out = gout, n = gd.n;
        }
        if (s == 0)
            acc_start(m, out, d, a);
        int rc = run_batch(m, f->b, d, n, train, g, bar, s, f->steps, epoch, a, e);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ---- the epochs of fit and fit_generator ---- */

/* How the epochs run and where their progress goes. */
typedef struct Loop {
    int initial_epoch, epochs;
    int verbose, dynamic; /* dynamic: redrawn in place on a terminal */
    FILE *out;
    double (*clock)(void);
    SlGuard *guard; /* the NaN guard of the training steps, or NULL */
    /* at each epoch's end (after the history has it), when not NULL: a checkpoint */
    int (*epoch_end)(void *ctx, SlModel *m, int epoch, SlError *e);
    void *ctx;
} Loop;

static Loop loop_of(int initial_epoch, int epochs, int verbose, FILE *out, double (*clock)(void))
{
    Loop l = {initial_epoch, epochs, verbose, 0, out ? out : stdout, clock, NULL, NULL, NULL};
    l.dynamic = isatty(fileno(l.out));
    if (l.verbose < 0) /* 'auto' */
        l.verbose = l.dynamic ? 1 : 2;
    return l;
}

/* The NaN guard of the loop's training steps, when `on` (release it with sl_guard_free). */
static int arm_guard(Loop *l, SlGuard *g, int on, const SlModel *m, SlError *e)
{
    memset(g, 0, sizeof *g);
    if (!on)
        return 0;
    if (sl_guard_init(g, m, e) < 0)
        return -1;
    l->guard = g;
    return 0;
}

/* Per epoch: the training pass under the progress bar, the validation pass (val may be NULL),
 * then the epoch's logs to the bar, the observer and the history, then the epoch's end hook.
 * Returns 0, -1 or SL_FIT_NONFINITE. */
static int run_epochs(SlModel *m, const Loop *o, Feed *train, Feed *val, SlHistory *h, SlError *e)
{
    int rc = 0;
    if (h)
        h->first_epoch = o->initial_epoch;
    for (int ep = o->initial_epoch; ep < o->epochs; ep++) {
        if (o->verbose && o->epochs > 1)
            fprintf(o->out, "Epoch %d/%d\n", ep + 1, o->epochs);
        SlProgbar bar;
        sl_progbar_init(&bar, train->steps, o->verbose, o->dynamic, o->out, o->clock);
        Acc a, va;
        SlLogs logs = {0};
        if ((rc = pass(m, train, 1, o->guard, o->verbose ? &bar : NULL, ep, &a, e)) < 0)
            return rc;
        acc_logs(m, &a, "", &logs);
        if (val) {
            if ((rc = pass(m, val, 0, NULL, NULL, ep, &va, e)) < 0)
                return rc;
            acc_logs(m, &va, "val_", &logs);
        }
        if (o->verbose)
            sl_progbar_update(&bar, train->steps, &logs, 1);
        emit(m, SL_EV_EPOCH_END, train->steps, ep, &logs);
        if (h)
            h->epochs[h->n_epochs++] = logs;
        if (o->epoch_end && o->epoch_end(o->ctx, m, ep, e) < 0)
            return -1;
    }
    return 0;
}

static int ready(SlModel *m, const char *who, SlError *e)
{
    if (!m->compiled)
        return sl_errorf(e, "%s: compile the model first (a loss and an optimizer)", who);
    return sl_model_ensure_params(m, e);
}

/* After the data checks, before the first step: the optimizer's state, room for the history, the
 * seed of the training randomness. */
static int prepare(SlModel *m, const char *who, int epochs, uint64_t seed, SlHistory *h, SlError *e)
{
    if (m->opt.n != m->values.used && sl_optimizer_prepare(&m->opt, m->values.used, e) < 0)
        return -1;
    if (h && !(h->epochs = sl_alloc_zero((size_t)(epochs + 1), sizeof *h->epochs)))
        return sl_errorf(e, "%s: out of memory for the history", who);
    sl_model_seed_rng(m, seed);
    return 0;
}

/* ---- fit ---- */

/* Validation data: validation_data arrays, or the tail of the training arrays. */
static int split(const SlModel *m, const SlTensor *x, const SlTensor *y, const SlFitOptions *o,
                 Data *train, Data *val, SlError *e)
{
    size_t N = x[0].shape.rank ? (size_t)x[0].shape.dim[0] : 0;
    *train = (Data){x, y, o->sample_weight, 0, N, N};
    memset(val, 0, sizeof *val);
    if (o->val_x) {
        size_t nv = o->val_x[0].shape.rank ? (size_t)o->val_x[0].shape.dim[0] : 0;
        *val = (Data){o->val_x, o->val_y, o->val_sample_weight, 0, nv, nv};
    } else if (o->validation_split > 0) {
        if (o->validation_split >= 1)
            return sl_errorf(e, "fit: validation_split must be in [0, 1), got %g",
                             o->validation_split);
        size_t at = (size_t)floor((double)N * (1 - o->validation_split));
        if (at == 0 || at == N)
            return sl_errorf(e, "fit: validation_split=%g of %zu samples leaves %s empty",
                             o->validation_split, N, at == 0 ? "training" : "validation");
        train->n = at;
        *val = (Data){x, y, o->sample_weight, at, N - at, N};
    }
    (void)m;
    return 0;
}

/* fit's epoch-end hook with a checkpoint folder: the run's state after epoch ep. */
typedef struct Saver {
    const char *dir;
    SlCheckpoint ck; /* the run's description; the epoch and shuffling state are set here */
    const SlRng *shuffle;
} Saver;

static int save_checkpoint(void *ctx, SlModel *m, int ep, SlError *e)
{
    Saver *sv = ctx;
    sv->ck.epoch = ep + 1;
    sv->ck.shuffle = sv->shuffle->state;
    if (sl_checkpoint_save(sv->dir, m, &sv->ck, e) < 0)
        return sl_error_prefix(e,
                               "fit: the checkpoint after epoch %d failed (%s holds the one "
                               "before, whole): ",
                               ep + 1, sv->dir);
    return 0;
}

/* Before the first step, with a checkpoint or resume folder: describe the run, continue the saved
 * one (its epoch becomes the first, its shuffling state the generator's), and check that the
 * checkpoint folder can be written. */
static int start_checkpoints(SlModel *m, const SlTensor *x, const SlTensor *y,
                             const SlFitOptions *o, Saver *sv, SlRng *rng, int *initial_epoch,
                             SlError *e)
{
    if (!o->checkpoint && !o->resume)
        return 0;
    sl_checkpoint_describe(&sv->ck, m, x, y, o);
    if (o->resume) {
        if (sl_checkpoint_load(o->resume, m, &sv->ck, e) < 0)
            return sl_error_prefix(e, "fit: cannot resume: ");
        *initial_epoch = sv->ck.epoch;
        rng->state = sv->ck.shuffle;
    }
    if (o->checkpoint && sl_checkpoint_prepare(o->checkpoint, e) < 0)
        return sl_error_prefix(e, "fit: ");
    return 0;
}

int sl_model_fit(SlModel *m, const SlTensor *x, const SlTensor *y, const SlFitOptions *o,
                 SlHistory *h, SlError *e)
{
    SlShape out[SL_MAX_MODEL_IO], vout[SL_MAX_MODEL_IO];
    Data tr, val;
    Batch b, vb;
    if (h)
        memset(h, 0, sizeof *h);
    if (o->batch_size < 1 || o->epochs < 0 || o->initial_epoch < 0)
        return sl_errorf(e, "fit: batch_size must be at least 1 and epochs not negative");
    if (o->val_x && !o->val_y)
        return sl_errorf(e, "fit: validation_data needs both x and y");
    if (ready(m, "fit", e) < 0 || split(m, x, y, o, &tr, &val, e) < 0)
        return -1;
    if (tr.total == 0 || (o->val_x && val.total == 0))
        return sl_errorf(e, "fit: there are no samples to train on (the arrays' first axis is 0)");
    Data all = tr;
    all.n = all.total;
    if (check_data(m, &all, out, "fit", e) < 0 ||
        (val.n && o->val_x && check_data(m, &val, vout, "fit (validation_data)", e) < 0))
        return -1;
    if (val.n && !o->val_x)
        memcpy(vout, out, sizeof out);
    if (prepare(m, "fit", o->epochs, o->seed, h, e) < 0)
        return -1;
    size_t bs = (size_t)o->batch_size;
    if (make_batch(m, &tr, out, bs, &b, e) < 0)
        return -1;
    if (val.n && make_batch(m, &val, vout, bs, &vb, e) < 0) {
        free_batch(&b);
        return -1;
    }
    SlRng rng = sl_rng(o->seed ^ 0x5F17ull);
    Feed f = array_feed(&b, &tr, out, bs, o->shuffle ? &rng : NULL);
    Feed vf = array_feed(&vb, &val, vout, bs, NULL);
    Loop loop = loop_of(o->initial_epoch, o->epochs, o->verbose, o->out, o->clock);
    Saver sv = {o->checkpoint, {0}, &rng};
    SlGuard g;
    int rc = arm_guard(&loop, &g, o->nan_guard, m, e);
    if (rc == 0)
        rc = start_checkpoints(m, x, y, o, &sv, &rng, &loop.initial_epoch, e);
    if (o->checkpoint)
        loop.epoch_end = save_checkpoint, loop.ctx = &sv;
    if (rc == 0)
        rc = run_epochs(m, &loop, &f, val.n ? &vf : NULL, h, e);
    sl_guard_free(&g);
    free_batch(&b);
    if (val.n)
        free_batch(&vb);
    return rc;
}

/* ---- evaluate, predict ---- */

int sl_model_evaluate(SlModel *m, const SlTensor *x, const SlTensor *y,
                      const SlTensor *sample_weight, int batch_size, SlLogs *logs, SlError *e)
{
    SlShape out[SL_MAX_MODEL_IO];
    size_t N = x[0].shape.rank ? (size_t)x[0].shape.dim[0] : 0;
    Data d = {x, y, sample_weight, 0, N, N};
    Batch b;
    Acc a;
    size_t bs = batch_size > 0 ? (size_t)batch_size : 32;
    memset(logs, 0, sizeof *logs);
    if (ready(m, "evaluate", e) < 0 || check_data(m, &d, out, "evaluate", e) < 0 ||
        make_batch(m, &d, out, bs, &b, e) < 0)
        return -1;
    Feed f = array_feed(&b, &d, out, bs, NULL);
    int rc = pass(m, &f, 0, NULL, NULL, 0, &a, e);
    if (rc == 0)
        acc_logs(m, &a, "", logs);
    free_batch(&b);
    return rc;
}

int sl_model_output_shapes(SlModel *m, const SlShape *in, SlShape *out, SlError *e)
{
    if (sl_model_plan_shapes(m, in, e) < 0)
        return -1;
    for (int k = 0; k < m->n_outputs; k++)
        out[k] = m->t[m->outputs[k]].run;
    return 0;
}

int sl_model_predict(SlModel *m, const SlTensor *x, int batch_size, SlTensor *out, SlError *e)
{
    SlShape one[SL_MAX_MODEL_IO], shp[SL_MAX_MODEL_IO];
    size_t N = x[0].shape.rank ? (size_t)x[0].shape.dim[0] : 0,
           bs = batch_size > 0 ? (size_t)batch_size : 32;
    if (check_inputs(m, x, N, one, "predict", e) < 0)
        return -1;
    if (sl_model_ensure_params(m, e) < 0 || sl_model_output_shapes(m, one, shp, e) < 0)
        return sl_error_prefix(e, "predict: ");
    memset(out, 0, (size_t)m->n_outputs * sizeof *out);
    for (int k = 0; k < m->n_outputs; k++) {
        shp[k].dim[0] = (int)N;
        out[k] = sl_tensor(shp[k], sl_alloc_zero(sl_shape_count(&shp[k]) + 1, sizeof(sl_real)));
        if (!out[k].data) {
            for (int j = 0; j < k; j++)
                sl_free(out[j].data);
            return sl_errorf(e, "predict: out of memory for the outputs");
        }
    }
    for (size_t s = 0; s < N; s += bs) {
        size_t n = N - s < bs ? N - s : bs;
        SlTensor xb[SL_MAX_MODEL_IO];
        for (int k = 0; k < m->n_inputs; k++) { /* contiguous rows: views, no copy */
            size_t per = sl_tensor_count(&x[k]) / N;
            xb[k] = sl_tensor(x[k].shape, x[k].data + s * per);
            xb[k].shape.dim[0] = (int)n;
        }
        if (sl_model_forward(m, xb, 0, e) < 0) {
            for (int k = 0; k < m->n_outputs; k++)
                sl_free(out[k].data);
            return sl_error_prefix(e, "predict: ");
        }
        for (int k = 0; k < m->n_outputs; k++) {
            SlTensor y = sl_model_output(m, k);
            memcpy(out[k].data + s * (sl_tensor_count(&out[k]) / N), y.data,
                   sl_tensor_count(&y) * sizeof(sl_real));
        }
    }
    return 0;
}

/* ---- fit from a generator ---- */

SlFitGeneratorOptions sl_fit_generator_defaults(void)
{
    SlFitGeneratorOptions o;
    memset(&o, 0, sizeof o);
    o.epochs = 1;
    o.verbose = -1;
    o.nan_guard = 1;
    return o;
}

int sl_model_fit_generator(SlModel *m, SlBatchFn next, void *ctx, const SlFitGeneratorOptions *o,
                           SlHistory *h, SlError *e)
{
    Batch b;
    size_t cap[SL_MAX_MODEL_IO] = {0};
    if (h)
        memset(h, 0, sizeof *h);
    if (!next)
        return sl_errorf(e, "fit_generator: no generator given");
    if (o->steps_per_epoch < 1)
        return sl_errorf(e,
                         "fit_generator: steps_per_epoch must be at least 1 (a generator has "
                         "no length: say how many batches make an epoch), got %d",
                         o->steps_per_epoch);
    if (o->epochs < 0 || o->initial_epoch < 0)
        return sl_errorf(e, "fit_generator: epochs and initial_epoch must not be negative");
    if (o->validation_data && o->validation_steps < 1)
        return sl_errorf(e,
                         "fit_generator: a validation generator needs validation_steps of at "
                         "least 1, got %d",
                         o->validation_steps);
    if (ready(m, "fit_generator", e) < 0 ||
        prepare(m, "fit_generator", o->epochs, o->seed, h, e) < 0)
        return -1;
    memset(&b, 0, sizeof b);
    Feed f = gen_feed(&b, next, ctx, o->steps_per_epoch, cap, "fit_generator");
    Feed vf = gen_feed(&b, o->validation_data, o->validation_ctx, o->validation_steps, cap,
                       "fit_generator (validation)");
    Loop loop = loop_of(o->initial_epoch, o->epochs, o->verbose, o->out, o->clock);
    SlGuard g;
    int rc = arm_guard(&loop, &g, o->nan_guard, m, e);
    if (rc == 0)
        rc = run_epochs(m, &loop, &f, o->validation_data ? &vf : NULL, h, e);
    sl_guard_free(&g);
    for (int k = 0; k < SL_MAX_MODEL_IO; k++)
        sl_free(b.dpred[k].data);
    return rc;
}
