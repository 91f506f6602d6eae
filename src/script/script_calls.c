/* script_calls.c: what a model script calls: layer classes (Dense(3)), layers on tensors
 * (Dense(3)(x)), Sequential, Input, Model, optimizer and loss classes, a model's methods (add,
 * compile, summary, build; fit and friends are skipped), Python's builtins (range, len, print ...)
 * and the script's own functions. Every model and layer goes through the engine's public API. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "optim.h"
#include "script_impl.h"
#include "train.h"

static int keep_model(S *s, SlModel *m, int node)
{
    if (!m)
        return sc_oom(s, node);
    if (s->n_models >= (int)(sizeof s->models / sizeof s->models[0])) {
        sl_model_free(m);
        return sc_err(s, node, "the script builds too many models");
    }
    s->models[s->n_models++] = m;
    return 0;
}

static Val model_val(SlModel *m)
{
    Val v = sc_none();
    v.kind = V_MODEL;
    v.model = m;
    return v;
}

/* ---- layers ---- */

/* The script frees the layers it made (s->layers) unless something else took them: a wrapper
 * (sl_layer_wrap), or a model (sl_model_add and sl_model_call take a layer for good, also when
 * they fail). From then on the script forgets it. */
static void hand_over(S *s, const SlLayer *l)
{
    for (int i = 0; i < s->n_layers; i++)
        if (s->layers[i] == l)
            s->layers[i] = NULL;
}

static int owned_elsewhere(const S *s, const SlLayer *l, const SlModel *m);

/* TimeDistributed(Dense(5)), Bidirectional(LSTM(8), merge_mode='sum'): the layer to wrap comes
 * first (or as layer=); the wrapper owns it from then on, so the script forgets it. */
static int make_wrapper(S *s, int node, const char *cls, const Args *a, SlLayer **out)
{
    Args rest = {0};
    const Val *inner = NULL;
    int at = node;
    for (int i = 0; i < a->n; i++) {
        int is_layer = a->kw[i] ? !strcmp(a->kw[i], "layer") : i == 0;
        if (!is_layer) {
            rest.v[rest.n] = a->v[i], rest.kw[rest.n] = a->kw[i], rest.node[rest.n++] = a->node[i];
            continue;
        }
        inner = &a->v[i], at = a->node[i];
        if (inner->kind != V_LAYER)
            return sc_err(s, at, "%s wraps a layer, like %s(Dense(5)), not %s", cls, cls,
                          sc_kind_name(inner->kind));
        if (owned_elsewhere(s, inner->layer, NULL))
            return sc_err(s, at,
                          "layer '%s' already belongs to a model; %s wraps a new layer, like "
                          "%s(Dense(5))",
                          inner->layer->name, cls, cls);
    }
    if (!inner)
        return sc_err(s, node, "%s needs the layer it wraps: %s(Dense(5))", cls, cls);
    SlArgs sa;
    SlError e2;
    if (sc_to_slargs(s, &rest, &sa, NULL, 0) < 0)
        return -1;
    *out = sl_layer_wrap(cls, inner->layer, &sa, &e2);
    if (!*out)
        return sc_engine_err(s, node, &e2);
    hand_over(s, inner->layer); /* freed with its wrapper */
    return 0;
}

static int make_layer(S *s, int node, const char *cls, const Args *a, SlLayer **out)
{
    SlArgs sa;
    SlError e2;
    if (sl_layer_refused(cls)) /* Lambda: refused on purpose, with what to write instead */
        return sc_err(s, node, "%s", sl_layer_refused(cls));
    if (!sl_layer_type_find(cls) && sl_layer_name_known(cls)) /* before its arguments are read */
        return sc_err(s, node, "%s is not implemented yet", cls);
    if (s->n_layers >= (int)(sizeof s->layers / sizeof s->layers[0]))
        return sc_err(s, node, "the script makes too many layers");
    const SlLayerType *t = sl_layer_type_find(cls);
    if (t && (t->kind & SL_KIND_WRAPPER)) {
        if (make_wrapper(s, node, cls, a, out) < 0)
            return -1;
    } else {
        if (sc_to_slargs(s, a, &sa, NULL, 0) < 0)
            return -1;
        *out = sl_layer_create(cls, &sa, &e2);
        if (!*out)
            return sc_engine_err(s, node, &e2);
    }
    s->layers[s->n_layers++] = *out;
    if ((*out)->notice[0])
        sc_layer_notices(s, N(s, node)->line, (*out)->notice);
    return 0;
}

/* The tensors a layer is called on: one tensor, or a list of them, all of one graph. */
static int tensors_of(S *s, int node, const Val *v, int *ids, int *n, SlModel **graph)
{
    const Val *items = v->kind == V_TENSOR ? v : v->items;
    *n = v->kind == V_TENSOR ? 1 : v->n;
    if (v->kind != V_TENSOR && v->kind != V_LIST && v->kind != V_TUPLE)
        return sc_err(s, node,
                      "a layer is called on a tensor (from Input or another layer's "
                      "call), not on %s",
                      sc_kind_name(v->kind));
    if (*n < 1 || *n > SL_MAX_IO)
        return sc_err(s, node, "a layer is called on 1 to %d tensors", SL_MAX_IO);
    *graph = items[0].model;
    for (int i = 0; i < *n; i++) {
        if (items[i].kind != V_TENSOR)
            return sc_err(s, node, "a layer is called on tensors, and this list holds %s",
                          sc_kind_name(items[i].kind));
        if (items[i].model != *graph)
            return sc_err(s, node, "these tensors come from different models' inputs");
        ids[i] = items[i].tensor;
    }
    return 0;
}

static int call_layer(S *s, int node, SlLayer *l, const Args *a, Val *out)
{
    int ids[SL_MAX_IO], n, outs[SL_MAX_IO];
    SlModel *g = NULL;
    SlError e2;
    if (a->n < 1 || a->kw[0])
        return sc_err(s, node, "a layer is called on its input tensor: layer(x)");
    for (int i = 1; i < a->n; i++)
        if (!a->kw[i] || (strcmp(a->kw[i], "initial_state") && strcmp(a->kw[i], "training")))
            return sc_err(s, a->node[i], "the argument '%s' of a layer call is not understood yet",
                          a->kw[i] ? a->kw[i] : "(positional)");
    if (tensors_of(s, a->node[0], &a->v[0], ids, &n, &g) < 0)
        return -1;
    const Val *init = sc_kwarg(a, "initial_state", -1);
    if (init) { /* LSTM(...)(x, initial_state=[h, c]): the states become more inputs */
        int more[SL_MAX_IO], n_more;
        SlModel *g2;
        if (tensors_of(s, node, init, more, &n_more, &g2) < 0)
            return -1;
        if (g2 != g || n + n_more > SL_MAX_IO)
            return sc_err(s, node, "initial_state must be tensors of the same model as the input");
        for (int k = 0; k < n_more; k++)
            ids[n++] = more[k];
    }
    if (owned_elsewhere(s, l, g))
        return sc_err(s, node,
                      "layer '%s' already belongs to another model; shapelab cannot "
                      "share a layer between models",
                      l->name);
    hand_over(s, l);
    if (sl_model_call(g, l, n, ids, outs, &e2) < 0)
        return sc_engine_err(s, node, &e2);
    int n_out = g->nodes[g->n_nodes - 1].sym.n_out;
    *out = sc_none();
    out->kind = V_TENSOR;
    out->model = g;
    out->tensor = outs[0];
    if (n_out > 1) { /* return_state: a tuple, unpacked by a, h, c = ... */
        Val t = *out;
        *out = sc_seq(s, V_TUPLE, n_out);
        if (!out->items)
            return sc_oom(s, node);
        for (int k = 0; k < n_out; k++)
            out->items[k] = t, out->items[k].tensor = outs[k];
    }
    return 0;
}

/* ---- the merge layers' function spellings ---- */

/* layers.add([a, b]) is Add()([a, b]), layers.concatenate([a, b], axis=1) is
 * Concatenate(axis=1)([a, b]): Keras spells each merge layer also as a function, named like its
 * layers. NULL when `name` is not one of them. */
const SlLayerType *sc_merge_function(const char *name)
{
    for (int i = 0; i < sl_layer_type_count(); i++) {
        const SlLayerType *t = sl_layer_type_at(i);
        if ((t->kind & SL_KIND_MERGE) && !strcmp(t->snake, name))
            return t;
    }
    return NULL;
}

/* The function's first argument (or inputs=) is the list to merge; the others make the layer. */
static int merge_function(S *s, int node, const SlLayerType *t, const Args *a, Val *out)
{
    Args rest = {0}, call = {0};
    for (int i = 0; i < a->n; i++) {
        int is_inputs = a->kw[i] ? !strcmp(a->kw[i], "inputs") : i == 0;
        Args *to = is_inputs ? &call : &rest;
        if (is_inputs && call.n)
            return sc_err(s, a->node[i], "%s() got the tensors to merge twice", t->snake);
        to->v[to->n] = a->v[i], to->kw[to->n] = is_inputs ? NULL : a->kw[i];
        to->node[to->n++] = a->node[i];
    }
    if (!call.n)
        return sc_err(s, node, "%s() takes the list of tensors to merge: %s([a, b])", t->snake,
                      t->snake);
    /* Keras's dot(inputs, axes=-1) has a default for the axes its class Dot requires */
    if (!strcmp(t->snake, "dot") && !sc_kwarg(&rest, "axes", 0))
        rest.v[rest.n] = sc_ival(-1), rest.kw[rest.n] = "axes", rest.node[rest.n++] = node;
    SlLayer *l;
    if (make_layer(s, node, t->name, &rest, &l) < 0)
        return -1;
    return call_layer(s, node, l, &call, out);
}

/* ---- Sequential, Input, Model ---- */

/* Is this layer already part of a model other than m (any model, for m NULL)? */
static int owned_elsewhere(const S *s, const SlLayer *l, const SlModel *m)
{
    for (int k = 0; k < s->n_models; k++) {
        const SlModel *o = s->models[k];
        for (int i = 0; o != m && i < o->n_layers; i++)
            if (o->layers[i] == l)
                return 1;
        for (int i = 0; o != m && i < o->n_pending; i++)
            if (o->pending[i] == l)
                return 1;
    }
    return 0;
}

static int add_layer(S *s, int node, SlModel *m, const Val *v)
{
    SlError e2;
    if (v->kind != V_LAYER)
        return sc_err(s, node, "add() takes a layer, like Dense(3), not %s", sc_kind_name(v->kind));
    if (owned_elsewhere(s, v->layer, m))
        return sc_err(s, node,
                      "layer '%s' already belongs to another model; shapelab cannot "
                      "share a layer between models (make a new one)",
                      v->layer->name);
    hand_over(s, v->layer);
    if (sl_model_add(m, v->layer, &e2) < 0)
        return sc_engine_err(s, node, &e2);
    s->last_model = m;
    return 0;
}

static int make_sequential(S *s, int node, const Args *a, Val *out)
{
    const Val *layers = sc_kwarg(a, "layers", 0), *name = sc_kwarg(a, "name", 1);
    for (int i = 0; i < a->n; i++)
        if (a->kw[i] && strcmp(a->kw[i], "layers") && strcmp(a->kw[i], "name"))
            return sc_err(s, a->node[i], "Sequential() got an unknown keyword '%s'", a->kw[i]);
    SlModel *m = sl_sequential(name && name->kind == V_STR ? name->s : NULL);
    if (keep_model(s, m, node) < 0)
        return -1;
    *out = model_val(m);
    s->last_model = m;
    if (layers && layers->kind != V_NONE) {
        if (layers->kind != V_LIST && layers->kind != V_TUPLE)
            return sc_err(s, node, "Sequential() takes a list of layers");
        for (int i = 0; i < layers->n; i++)
            if (add_layer(s, node, m, &layers->items[i]) < 0)
                return -1;
    }
    return 0;
}

static int make_input(S *s, int node, const Args *a, Val *out)
{
    SlLayer *l;
    SlError e2;
    if (make_layer(s, node, "InputLayer", a, &l) < 0)
        return -1;
    if (!s->graph) {
        s->graph = sl_model_new("graph");
        if (keep_model(s, s->graph, node) < 0)
            return -1;
    }
    hand_over(s, l);
    int t = sl_model_input(s->graph, l, &e2);
    if (t < 0)
        return sc_engine_err(s, node, &e2);
    *out = sc_none();
    out->kind = V_TENSOR;
    out->model = s->graph;
    out->tensor = t;
    return 0;
}

static int tensor_list(S *s, int node, const Val *v, int *ids, int *n, SlModel **g)
{
    const Val *items = v->kind == V_TENSOR ? v : v->items;
    *n = v->kind == V_TENSOR ? 1 : v->n;
    if (v->kind != V_TENSOR && v->kind != V_LIST && v->kind != V_TUPLE)
        return sc_err(s, node, "Model() takes tensors (or lists of them) for inputs and outputs");
    if (*n < 1 || *n > SL_MAX_MODEL_IO)
        return sc_err(s, node, "Model() takes 1 to %d inputs and outputs", SL_MAX_MODEL_IO);
    for (int i = 0; i < *n; i++) {
        if (items[i].kind != V_TENSOR || (*g && items[i].model != *g))
            return sc_err(s, node, "Model() takes tensors of one graph");
        *g = items[i].model;
        ids[i] = items[i].tensor;
    }
    return 0;
}

static int make_model(S *s, int node, const Args *a, Val *out)
{
    const Val *in = sc_kwarg(a, "inputs", 0), *outs = sc_kwarg(a, "outputs", 1),
              *name = sc_kwarg(a, "name", 2);
    int ii[SL_MAX_MODEL_IO], oo[SL_MAX_MODEL_IO], ni, no;
    SlModel *g = NULL;
    SlError e2;
    if (!in || !outs)
        return sc_err(s, node, "Model() needs inputs= and outputs=");
    if (tensor_list(s, node, in, ii, &ni, &g) < 0 || tensor_list(s, node, outs, oo, &no, &g) < 0)
        return -1;
    if (g != s->graph)
        return sc_err(s, node,
                      "these tensors already make a model; shapelab builds one Model() "
                      "per graph of Input()s");
    if (name && name->kind == V_STR)
        snprintf(g->name, sizeof g->name, "%s", name->s);
    else
        sl_unique_name("model", g->name, sizeof g->name);
    if (sl_model_set_io(g, ni, ii, no, oo, &e2) < 0)
        return sc_engine_err(s, node, &e2);
    s->graph = NULL; /* the next Input() starts a new graph */
    s->last_model = g;
    *out = model_val(g);
    return 0;
}

/* ---- optimizers and losses ---- */

static int make_optimizer(S *s, int node, const char *cls, const Args *a, Val *out)
{
    SlArgs sa;
    SlError e2;
    SlOptimizer *o = sc_heap(s, sizeof *o);
    if (!o)
        return sc_oom(s, node);
    if (sc_to_slargs(s, a, &sa, NULL, 0) < 0)
        return -1;
    if (sl_optimizer_create(o, cls, &sa, &e2) < 0)
        return sc_engine_err(s, node, &e2);
    if (o->notice[0])
        sc_layer_notices(s, N(s, node)->line, o->notice);
    *out = sc_none();
    out->kind = V_OPT;
    out->opt = o;
    return 0;
}

static int make_loss(S *s, int node, const char *cls, const Args *a, Val *out)
{
    SlArgs sa;
    SlError e2;
    SlLoss *L = sc_heap(s, sizeof *L);
    if (!L)
        return sc_oom(s, node);
    if (sc_to_slargs(s, a, &sa, NULL, 0) < 0)
        return -1;
    if (sl_loss_create(L, cls, &sa, &e2) < 0)
        return sc_engine_err(s, node, &e2);
    *out = sc_none();
    out->kind = V_LOSS;
    out->loss = L;
    return 0;
}

/* ---- a model's methods ---- */

static int method_compile(S *s, int node, SlModel *m, const Args *a)
{
    const Val *opt = sc_kwarg(a, "optimizer", 0), *loss = sc_kwarg(a, "loss", 1);
    SlArgs sa;
    SlError e2;
    if (a->n && !a->kw[0])
        return sc_err(s, node,
                      "write compile's arguments with their names: compile(loss=..., "
                      "optimizer=...)");
    int skip_opt = opt && opt->kind == V_OPT, skip_loss = loss && loss->kind == V_LOSS, n = 0;
    const char *skip[2];
    if (skip_opt)
        skip[n++] = "optimizer";
    if (skip_loss)
        skip[n++] = "loss";
    if (sc_to_slargs(s, a, &sa, skip, n) < 0)
        return -1;
    if (skip_loss) { /* compile needs a loss to parse; give the object's name, then the object */
        SlValue v = sl_value_str(&sa, loss->loss->name);
        if (sl_args_add(&sa, "loss", v, &e2) < 0)
            return sc_err(s, node, "%s", e2.msg);
    }
    if (sl_model_compile_args(m, &sa, &e2) < 0)
        return sc_engine_err(s, node, &e2);
    if (skip_opt)
        sl_model_set_optimizer(m, opt->opt);
    if (skip_loss && sl_model_set_loss(m, -1, loss->loss, &e2) < 0)
        return sc_engine_err(s, node, &e2);
    return 0;
}

static int method_build(S *s, int node, SlModel *m, const Args *a)
{
    const Val *shape = sc_kwarg(a, "input_shape", 0);
    SlArgs sa;
    SlValue v;
    SlError e2;
    int dims[SL_MAX_RANK];
    if (!shape)
        return sc_err(s, node,
                      "build() needs the input shape, batch axis included: "
                      "build((None, 10, 5))");
    sl_args_init(&sa);
    if (sc_to_slvalue(s, node, shape, &sa, &v) < 0)
        return -1;
    if (v.kind != SL_V_TUPLE || v.n < 2 || v.n > SL_MAX_RANK)
        return sc_err(s, node, "build() takes a shape with the batch axis first, like (None, 10)");
    for (int i = 0; i < v.n; i++) {
        const SlValue *it = sl_value_item(&sa, &v, i);
        dims[i] = it->kind == SL_V_NONE ? SL_NONE : (int)it->i;
    }
    if (sl_model_build(m, sl_shape_of(v.n, dims), &e2) < 0)
        return sc_engine_err(s, node, &e2);
    return 0;
}

static const char *const runtime[] = {
    "fit",          "fit_generator",      "predict",        "predict_generator", "predict_on_batch",
    "evaluate",     "evaluate_generator", "train_on_batch", "test_on_batch",     "save",
    "save_weights", "load_weights",       "reset_states",   "set_weights",       "get_weights",
    "to_json",      "count_params",       "get_layer",      "get_config"};

/* fit(), predict() ...: skipped, and their arguments (data, often defined elsewhere) unread. */
static int skip_runtime(S *s, int node, const char *who, const char *name, Val *out)
{
    static const char *const instead[] = {"fit", "shapelab train", "predict", "shapelab predict"};
    const char *cmd = "the shapelab subcommands";
    for (int i = 0; i < 4; i += 2)
        if (strstr(name, instead[i]))
            cmd = instead[i + 1];
    sc_notice(s, N(s, node)->line, "skipped %s.%s(...): use %s", who, name, cmd);
    *out = sc_data(name, N(s, node)->line); /* named, so no second notice */
    return 0;
}

static int model_method(S *s, int node, SlModel *m, const char *name, const Args *a, Val *out)
{
    *out = sc_none();
    if (!strcmp(name, "add")) {
        if (a->n != 1)
            return sc_err(s, node, "add() takes one layer");
        return add_layer(s, a->node[0], m, &a->v[0]);
    }
    if (!strcmp(name, "compile"))
        return method_compile(s, node, m, a);
    if (!strcmp(name, "build"))
        return method_build(s, node, m, a);
    if (!strcmp(name, "summary")) {
        const Val *w = sc_kwarg(a, "line_length", 0);
        s->summary_width = w && w->kind == V_INT ? (int)w->i : 0;
        return 0;
    }
    return sc_err(s, node, "model.%s() is not understood in a model script", name);
}

/* ---- builtins ---- */

static int builtin(S *s, int node, const char *name, const Args *a, Val *out)
{
    *out = sc_none();
    if (!strcmp(name, "print"))
        return 0;
    if (sc_has_data(a)) {
        *out = sc_data(NULL, N(s, node)->line);
        return 0;
    }
    if (!strcmp(name, "range")) {
        long long v[3] = {0, 0, 1};
        if (a->n < 1 || a->n > 3)
            return sc_err(s, node, "range() takes 1 to 3 integers");
        for (int i = 0; i < a->n; i++) {
            if (a->v[i].kind != V_INT)
                return sc_err(s, a->node[i], "range() takes integers");
            v[a->n == 1 ? 1 : i] = a->v[i].i;
        }
        if (v[2] == 0)
            return sc_err(s, node, "range() step must not be zero");
        /* the count, ceil((stop - start) / step), in unsigned 64 bits: no step of it overflows */
        unsigned long long span = v[2] > 0 ? (unsigned long long)v[1] - (unsigned long long)v[0]
                                           : (unsigned long long)v[0] - (unsigned long long)v[1];
        unsigned long long step =
            v[2] > 0 ? (unsigned long long)v[2] : 0ull - (unsigned long long)v[2];
        int empty = v[2] > 0 ? v[1] <= v[0] : v[1] >= v[0];
        unsigned long long count = empty ? 0 : (span - 1) / step + 1;
        if (count > SC_MAX_LIST)
            return sc_err(s, node, "range() of more than %d numbers", SC_MAX_LIST);
        long long n = (long long)count;
        *out = sc_seq(s, V_LIST, (int)n);
        for (long long k = 0; out->items && k < n; k++)
            out->items[k] = sc_ival(v[0] + k * v[2]);
        return out->items ? 0 : sc_oom(s, node);
    }
    if (a->n != 1 && strcmp(name, "min") && strcmp(name, "max"))
        return sc_err(s, node, "%s() takes one argument here", name);
    const Val *x = &a->v[0];
    if (!strcmp(name, "len") && (x->kind == V_LIST || x->kind == V_TUPLE || x->kind == V_STR)) {
        long long n = x->kind == V_STR ? (long long)strlen(x->s) : x->n;
        *out = sc_ival(n);
        return x->kind == V_STR ? sc_steps(s, node, n / 64) : 0;
    }
    if (!strcmp(name, "int") && (x->kind == V_INT || x->kind == V_FLOAT || x->kind == V_BOOL)) {
        if (x->kind == V_FLOAT && !(x->f > -0x1p63 && x->f < 0x1p63))
            return sc_err(s, node, "int() of %g does not fit in 64 bits", x->f);
        *out = sc_ival(x->kind == V_FLOAT ? (long long)x->f : x->i);
        return 0;
    }
    if (!strcmp(name, "float") && (x->kind == V_INT || x->kind == V_FLOAT)) {
        *out = sc_fval(x->kind == V_FLOAT ? x->f : (double)x->i);
        return 0;
    }
    if (!strcmp(name, "abs") && x->kind == V_INT && x->i == LLONG_MIN)
        return sc_err(s, node, "the integer result of abs() does not fit in 64 bits");
    if (!strcmp(name, "abs") && (x->kind == V_INT || x->kind == V_FLOAT)) {
        *out =
            x->kind == V_INT ? sc_ival(x->i < 0 ? -x->i : x->i) : sc_fval(x->f < 0 ? -x->f : x->f);
        return 0;
    }
    if ((!strcmp(name, "list") || !strcmp(name, "tuple")) &&
        (x->kind == V_LIST || x->kind == V_TUPLE)) {
        *out = *x;
        out->kind = name[0] == 'l' ? V_LIST : V_TUPLE;
        return 0;
    }
    if (!strcmp(name, "min") || !strcmp(name, "max")) {
        const Val *items = a->n == 1 && (x->kind == V_LIST || x->kind == V_TUPLE) ? x->items : a->v;
        int n = a->n == 1 && (x->kind == V_LIST || x->kind == V_TUPLE) ? x->n : a->n;
        if (sc_steps(s, node, n) < 0)
            return -1;
        for (int i = 0; i < n; i++) {
            if (items[i].kind != V_INT && items[i].kind != V_FLOAT)
                return sc_err(s, node, "%s() takes numbers here", name);
            double v = items[i].kind == V_INT ? (double)items[i].i : items[i].f;
            double best = out->kind == V_NONE ? v : (out->kind == V_INT ? (double)out->i : out->f);
            if (out->kind == V_NONE || (name[1] == 'i' ? v < best : v > best))
                *out = items[i];
        }
        return out->kind == V_NONE ? sc_err(s, node, "%s() of nothing", name) : 0;
    }
    return sc_err(s, node, "%s() is not understood on %s here", name, sc_kind_name(x->kind));
}

static int class_call(S *s, int node, const char *cls, const Args *a, Val *out)
{
    static const char *const builtins[] = {"range", "len", "print", "int", "float", "list",
                                           "tuple", "min", "max",   "abs", "str"};
    static const char *const optimizers[] = {"SGD", "Adam", "RMSprop"};
    static const char *const losses[] = {"MeanSquaredError", "MeanAbsoluteError",
                                         "BinaryCrossentropy", "CategoricalCrossentropy",
                                         "SparseCategoricalCrossentropy"};
    if (sc_in_list(builtins, sizeof builtins / sizeof *builtins, cls))
        return builtin(s, node, cls, a, out);
    if (!strcmp(cls, "Sequential"))
        return make_sequential(s, node, a, out);
    if (!strcmp(cls, "Model"))
        return make_model(s, node, a, out);
    if (!strcmp(cls, "Input"))
        return make_input(s, node, a, out);
    if (sc_in_list(optimizers, 3, cls))
        return make_optimizer(s, node, cls, a, out);
    if (sc_in_list(losses, 5, cls))
        return make_loss(s, node, cls, a, out);
    const SlLayerType *merge = sc_merge_function(cls);
    if (merge)
        return merge_function(s, node, merge, a, out);
    SlLayer *l;
    if (make_layer(s, node, cls, a, &l) < 0)
        return -1;
    *out = sc_none();
    out->kind = V_LAYER;
    out->layer = l;
    return 0;
}

/* ---- the script's own functions ---- */

static int call_function(S *s, int node, int def, const Args *a, Val *out)
{
    const Node *d = N(s, def);
    Env local = {.parent = &s->globals};
    int k = 0;
    for (int p = d->a; p >= 0; p = N(s, p)->next, k++) {
        if (k >= a->n)
            return sc_err(s, node, "%s() needs %s", d->s, N(s, p)->s);
        if (a->kw[k])
            return sc_err(s, a->node[k], "call %s() with positional arguments", d->s);
        if (sc_bind(s, &local, N(s, p)->s, a->v[k], p) < 0)
            return -1;
    }
    if (k != a->n)
        return sc_err(s, node, "%s() takes %d arguments, got %d", d->s, k, a->n);
    if (++s->call_depth > SC_MAX_CALL_DEPTH)
        return sc_err(s, node, "functions call each other more than %d deep", SC_MAX_CALL_DEPTH);
    s->returning = 0;
    int rc = sc_exec_block(s, &local, d->c);
    *out = s->returning ? s->ret : sc_none();
    s->returning = 0;
    s->call_depth--;
    return rc;
}

int sc_eval_call(S *s, Env *env, int node, Val *out)
{
    const Node *n = N(s, node);
    const Node *callee = N(s, n->a);
    Args a;
    Val obj = sc_none(), f;
    int at = n->a; /* errors point at what is called */
    if (callee->kind == N_ATTR) {
        if (sc_eval(s, env, callee->a, &obj) < 0)
            return -1;
        if (obj.kind == V_MODEL) {
            if (sc_in_list(runtime, sizeof runtime / sizeof *runtime, callee->s))
                return skip_runtime(
                    s, at, N(s, callee->a)->kind == N_NAME ? N(s, callee->a)->s : obj.model->name,
                    callee->s, out);
            if (sc_eval_args(s, env, n->b, &a) < 0)
                return -1;
            return model_method(s, at, obj.model, callee->s, &a, out);
        }
    }
    if (sc_eval(s, env, n->a, &f) < 0 || sc_eval_args(s, env, n->b, &a) < 0)
        return -1;
    switch (f.kind) {
    case V_CLASS:
        return class_call(s, at, f.s, &a, out);
    case V_LAYER:
        return call_layer(s, at, f.layer, &a, out);
    case V_FUNC:
        return call_function(s, at, f.node, &a, out);
    case V_DATA:
        *out = f;
        return 0;
    case V_MODULE:
        if (f.data_lib || sc_has_data(&a)) {
            *out = sc_data(NULL, n->line);
            return 0;
        }
        return sc_err(s, at, "shapelab does not know %s()", f.s);
    default:
        return sc_err(s, at, "%s cannot be called", sc_kind_name(f.kind));
    }
}
