/* compile.c: compile(optimizer, loss, loss_weights, metrics, ...), and the logs that fit and
 * evaluate fill. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "train.h"

/* In Keras 3's positional order (keras/src/trainers/trainer.py, Trainer.compile): tf.keras 2 had
 * metrics third, Keras 3 has loss_weights there. */
static const SlArgSpec compile_args[] = {
    {"optimizer", SL_ARG_STR, "'rmsprop'",
     "'sgd', 'rmsprop' or 'adam' (a configured one: sl_model_set_optimizer after compile)"},
    {"loss", SL_ARG_ANY | SL_ARG_OR_NONE, "None", "a loss name, or a list with one per output"},
    {"loss_weights", SL_ARG_ANY | SL_ARG_OR_NONE, "None", "a list of weights, one per output"},
    {"metrics", SL_ARG_ANY | SL_ARG_OR_NONE, "None", "a list of metric names: ['accuracy']"},
    {"weighted_metrics", SL_ARG_ANY | SL_ARG_OR_NONE, "None",
     "metrics that also use sample weights"},
    {"run_eagerly", SL_ARG_BOOL, "False", "accepted; shapelab always runs step by step"},
    {"steps_per_execution", SL_ARG_INT, "1", "accepted; shapelab runs one step at a time"},
    {"jit_compile", SL_ARG_ANY | SL_ARG_OR_NONE, "'auto'", "accepted; shapelab compiles nothing"},
    {"auto_scale_loss", SL_ARG_BOOL, "True", "accepted; shapelab computes in one precision"},
};

/* A string, or a list/tuple of strings, as up to max names. Returns the count or -1. */
static int strings(const SlBound *b, const char *key, const char **out, int max, SlError *e)
{
    const SlValue *v = sl_bound(b, key);
    if (v->kind == SL_V_NONE)
        return 0;
    if (v->kind == SL_V_STR) {
        out[0] = sl_value_strv(&b->store, v);
        return 1;
    }
    if (v->kind != SL_V_TUPLE || v->n > max)
        return sl_errorf(e, "compile: %s must be a name or a list of up to %d names", key, max);
    for (int i = 0; i < v->n; i++) {
        const SlValue *it = sl_value_item(&b->store, v, i);
        if (it->kind != SL_V_STR)
            return sl_errorf(e, "compile: %s must hold names (strings) only", key);
        out[i] = sl_value_strv(&b->store, it);
    }
    return v->n;
}

/* What compile() reads, kept apart until all of it is valid. */
typedef struct Compiled {
    int n_outputs;
    SlLoss loss[SL_MAX_MODEL_IO];
    double loss_weight[SL_MAX_MODEL_IO];
    int n_metrics, n_weighted;
    SlMetric metrics[SL_MAX_METRICS], weighted[SL_MAX_METRICS];
} Compiled;

static int read_losses(Compiled *m, const SlBound *b, SlError *e)
{
    const char *names[SL_MAX_MODEL_IO];
    int n = strings(b, "loss", names, SL_MAX_MODEL_IO, e);
    if (n < 0)
        return -1;
    if (n == 0)
        return sl_errorf(e, "compile: give a loss, e.g. loss='mse' for a real-valued target or "
                            "loss='categorical_crossentropy' for classes");
    if (n != 1 && n != m->n_outputs)
        return sl_errorf(e,
                         "compile: %d losses for a model with %d outputs; give one to share "
                         "or one per output",
                         n, m->n_outputs);
    for (int k = 0; k < m->n_outputs; k++)
        if (sl_loss_create(&m->loss[k], names[n == 1 ? 0 : k], NULL, e) < 0)
            return -1;
    const SlValue *w = sl_bound(b, "loss_weights");
    for (int k = 0; k < m->n_outputs; k++)
        m->loss_weight[k] = 1;
    if (w->kind == SL_V_TUPLE) {
        if (w->n != m->n_outputs)
            return sl_errorf(e, "compile: loss_weights needs one number per output (%d), got %d",
                             m->n_outputs, w->n);
        for (int k = 0; k < w->n; k++) {
            const SlValue *it = sl_value_item(&b->store, w, k);
            if (it->kind == SL_V_STR)
                return sl_errorf(e,
                                 "compile: loss_weights must be numbers, got '%s'; Keras 3's "
                                 "third argument of compile() is loss_weights (tf.keras 2's "
                                 "was metrics): write metrics=[...]",
                                 sl_value_strv(&b->store, it));
            if (it->kind != SL_V_INT && it->kind != SL_V_FLOAT)
                return sl_errorf(e, "compile: loss_weights must be numbers");
            m->loss_weight[k] = it->f;
        }
    } else if (w->kind != SL_V_NONE) {
        return sl_errorf(e, "compile: loss_weights must be a list of numbers, one per output");
    }
    return 0;
}

static int read_metrics(const SlBound *b, const char *key, SlMetric *out, int *n_out, SlError *e)
{
    const char *names[SL_MAX_METRICS];
    int n = strings(b, key, names, SL_MAX_METRICS, e);
    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++)
        if (sl_metric_create(&out[i], names[i], e) < 0)
            return -1;
    *n_out = n;
    return 0;
}

int sl_model_compile_args(SlModel *m, const SlArgs *args, SlError *e)
{
    SlBound b;
    if (m->n_outputs == 0)
        return sl_errorf(e,
                         "compile: model '%s' is not built yet (its first layer needs an input "
                         "shape)",
                         m->name);
    if (sl_args_bind(&b, compile_args, sizeof compile_args / sizeof compile_args[0], args,
                     "compile", e) < 0)
        return -1;
    /* read everything apart first, so a failed compile leaves the model as it was */
    Compiled scratch;
    SlOptimizer opt;
    memset(&scratch, 0, sizeof scratch);
    scratch.n_outputs = m->n_outputs;
    if (sl_optimizer_create(&opt, sl_bound_str(&b, "optimizer"), NULL, e) < 0 ||
        read_losses(&scratch, &b, e) < 0 ||
        read_metrics(&b, "metrics", scratch.metrics, &scratch.n_metrics, e) < 0 ||
        read_metrics(&b, "weighted_metrics", scratch.weighted, &scratch.n_weighted, e) < 0)
        return -1;
    memcpy(m->loss, scratch.loss, sizeof m->loss);
    memcpy(m->loss_weight, scratch.loss_weight, sizeof m->loss_weight);
    memcpy(m->metrics, scratch.metrics, sizeof m->metrics);
    memcpy(m->weighted, scratch.weighted, sizeof m->weighted);
    m->n_metrics = scratch.n_metrics;
    m->n_weighted = scratch.n_weighted;
    sl_model_set_optimizer(m, &opt);
    m->compiled = 1;
    return 0;
}

int sl_compile(SlModel *m, const char *args, SlError *e)
{
    SlArgs a;
    sl_args_init(&a);
    if (sl_args_parse(&a, args, e) < 0)
        return sl_error_prefix(e, "compile: ");
    return sl_model_compile_args(m, &a, e);
}

void sl_model_set_optimizer(SlModel *m, const SlOptimizer *opt)
{
    sl_optimizer_free(&m->opt);
    m->opt = *opt;
    memset(&m->opt.state, 0, sizeof m->opt.state); /* the model's own state, sized at fit */
    m->opt.n = 0;
}

int sl_model_set_loss(SlModel *m, int k, const SlLoss *L, SlError *e)
{
    if (k >= m->n_outputs)
        return sl_errorf(e, "model '%s' has %d outputs; there is no output %d", m->name,
                         m->n_outputs, k);
    for (int i = 0; i < m->n_outputs; i++)
        if (k < 0 || i == k)
            m->loss[i] = *L;
    return 0;
}

/* ---- logs and history ---- */

double sl_logs_get(const SlLogs *l, const char *name)
{
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->name[i], name))
            return l->value[i];
    return NAN;
}

double sl_history_get(const SlHistory *h, const char *name, int epoch)
{
    if (!h || epoch < 0 || epoch >= h->n_epochs)
        return NAN;
    return sl_logs_get(&h->epochs[epoch], name);
}

void sl_history_free(SlHistory *h)
{
    if (!h)
        return;
    sl_free(h->epochs);
    h->epochs = NULL;
    h->n_epochs = 0;
}
