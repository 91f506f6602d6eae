/* script_calls.c: what a model script calls: layer classes (Dense(3)), layers on tensors
 * (Dense(3)(x)), Sequential, Input, Model, models on tensors (a model used as a layer), optimizer,
 * loss, metric, initializer, regularizer and constraint classes, a model's and a layer's methods
 * (add, compile, summary, build, get_layer; fit and friends are skipped), list methods, Python's
 * builtins (range, len, print, ...) and the script's own functions, with defaults and keyword
 * arguments. Every model and layer goes through the engine's public API. */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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
 * they fail). From then on the script forgets it; a second model that takes it retains it
 * (sl_layer_retain), as Keras shares a layer and its weights between models. */
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
    if (!sl_layer_type_find(cls) && (sl_layer_name_known(cls) || sc_keras_layer(cls)))
        /* before its arguments are read */
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

/* A layer or a model called on data (x = tf.ones((2, 3)); layer(x)): shapelab builds models from
 * symbolic tensors and reads data from files. */
static int called_on_data(S *s, int node, const char *who, const Val *v)
{
    if (v->s) {
        char where[160];
        sc_line_text(s, v->node, where, sizeof where);
        return sc_err(s, node,
                      "%s is called on '%s', which is bound to data (line %d: %s); shapelab "
                      "builds models on symbolic tensors: call it on keras.Input(shape=...), and "
                      "give data to shapelab predict -x",
                      who, v->s, v->node, where);
    }
    return sc_err(s, node,
                  "%s is called on data; shapelab builds models on symbolic tensors: call it on "
                  "keras.Input(shape=...), and give data to shapelab predict -x",
                  who);
}

/* The value of an eager call on data of a known shape: data of the shape out, with the batch
 * axis of the data it was called on (shapelab never runs it: the values stay unknown). */
static int eager_result(S *s, int node, const SlShape *out, const Val *x, Val *result)
{
    *result = sc_data(NULL, N(s, node)->line);
    result->f = 1; /* the call was noticed */
    Val shape = sc_seq(s, V_TUPLE, out->rank);
    if (!shape.items)
        return sc_oom(s, node);
    for (int i = 0; i < out->rank; i++)
        shape.items[i] = i == 0 ? x->items[0] : sc_ival(out->dim[i]);
    result->i = 1;
    result->items = shape.items;
    result->n = out->rank;
    return 0;
}

/* The shape of data whose shape is known, as an SlShape. */
static int data_shape(S *s, int node, const Val *x, SlShape *sh)
{
    int dims[SL_MAX_RANK];
    if (x->n > SL_MAX_RANK)
        return sc_err(s, node, "an array of %d axes; shapelab takes at most %d", x->n, SL_MAX_RANK);
    for (int i = 0; i < x->n; i++) {
        if (x->items[i].i > SL_MAX_DIM)
            return sc_err(s, node, "an axis of %lld is beyond shapelab's limit of %d for a size",
                          x->items[i].i, SL_MAX_DIM);
        dims[i] = (int)x->items[i].i;
    }
    *sh = sl_shape_of(x->n, dims);
    return 0;
}

static void give_layer(S *s, SlLayer *l, const SlModel *m);

/* layer(tf.ones((1, 4))): Keras builds the layer for that shape then and there. shapelab calls it
 * in a model of its own (which later models share it with) and gives back data of its output's
 * shape. */
static int eager_layer(S *s, int node, SlLayer *l, const Val *x, Val *out)
{
    SlShape sh = {0};
    SlArgs a;
    SlError e2;
    if (data_shape(s, node, x, &sh) < 0)
        return -1;
    SlModel *m = sl_model_new("eager");
    if (keep_model(s, m, node) < 0)
        return -1;
    m->scratch = 1;
    SlValue dims[SL_MAX_RANK];
    sl_args_init(&a);
    for (int i = 0; i < sh.rank; i++)
        dims[i] = sl_value_int(sh.dim[i]);
    SlLayer *in = NULL;
    if (sl_args_add(&a, "batch_shape", sl_value_tuple(&a, sh.rank, dims, 0), &e2) == 0 &&
        sl_args_add(&a, "name", sl_value_str(&a, "eager_input"), &e2) == 0)
        in = sl_layer_create("InputLayer", &a, &e2);
    int t = in ? sl_model_input(m, in, &e2) : -1, outs[SL_MAX_IO];
    if (t < 0)
        return sc_engine_err(s, node, &e2);
    give_layer(s, l, m);
    if (sl_model_call(m, l, 1, &t, outs, &e2) < 0)
        return sc_engine_err(s, node, &e2);
    return eager_result(s, node, &m->t[outs[0]].shape, x, out);
}

/* model(tf.ones((1, 4))): an unbuilt Sequential model is built for that shape; the result is data
 * of the output's shape. */
static int eager_model(S *s, int node, SlModel *inner, const Val *x, Val *out)
{
    SlShape sh = {0};
    SlError e2;
    if (data_shape(s, node, x, &sh) < 0)
        return -1;
    if (inner->n_outputs == 0 && sl_model_build(inner, sh, &e2) < 0)
        return sc_engine_err(s, node, &e2);
    if (inner->n_inputs != 1)
        return sc_err(s, node, "model '%s' takes %d inputs", inner->name, inner->n_inputs);
    SlShape want = inner->t[inner->inputs[0]].shape;
    int ok = want.rank == sh.rank;
    for (int d = 0; ok && d < sh.rank; d++)
        ok = want.dim[d] == SL_NONE || want.dim[d] == sh.dim[d];
    if (!ok) {
        char w[96], g[96];
        return sc_err(s, node, "model '%s' takes input of shape %s, and was called on %s",
                      inner->name, sl_shape_str(&want, w, sizeof w),
                      sl_shape_str(&sh, g, sizeof g));
    }
    if (inner->n_outputs != 1) {
        *out = sc_noticed(N(s, node)->line);
        return 0;
    }
    return eager_result(s, node, &inner->t[inner->outputs[0]].shape, x, out);
}

/* Take l into model m: the script forgets a layer it made; a layer another model holds is
 * retained, so both hold it (and share its weights). */
static void give_layer(S *s, SlLayer *l, const SlModel *m)
{
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i] == l)
            return; /* a second call in the same model */
    if (owned_elsewhere(s, l, m))
        sl_layer_retain(l);
    else
        hand_over(s, l);
}

/* The call's outputs as a value: a tensor, or a tuple of them (a, h, c = LSTM(...)(x)). */
static int tensors_val(S *s, int node, SlModel *g, const int *outs, int n_out, Val *out)
{
    *out = sc_none();
    out->kind = V_TENSOR;
    out->model = g;
    out->tensor = outs[0];
    if (n_out > 1) {
        Val t = *out;
        *out = sc_seq(s, V_TUPLE, n_out);
        if (!out->items)
            return sc_oom(s, node);
        for (int k = 0; k < n_out; k++)
            out->items[k] = t, out->items[k].tensor = outs[k];
    }
    return 0;
}

static int call_layer(S *s, int node, SlLayer *l, const Args *a, Val *out)
{
    int ids[SL_MAX_IO], n, outs[SL_MAX_IO];
    SlModel *g = NULL;
    SlError e2;
    char who[SL_NAME_MAX + 16];
    snprintf(who, sizeof who, "layer '%s'", l->name);
    if (a->n < 1 || a->kw[0])
        return sc_err(s, node, "a layer is called on its input tensor: layer(x)");
    int keywords_only = 1; /* fresh(x, initial_state=states): the states do not change weights */
    for (int i = 1; i < a->n; i++)
        keywords_only &= a->kw[i] != NULL;
    if (a->v[0].kind == V_DATA && a->v[0].i == 1 && keywords_only)
        return eager_layer(s, node, l, &a->v[0], out);
    if (a->v[0].kind == V_DATA)
        return called_on_data(s, node, who, &a->v[0]);
    for (int i = 1; i < a->n; i++)
        if (!a->kw[i] || (strcmp(a->kw[i], "initial_state") && strcmp(a->kw[i], "training") &&
                          strcmp(a->kw[i], "mask")))
            return sc_err(s, a->node[i], "the argument '%s' of a layer call is not understood yet",
                          a->kw[i] ? a->kw[i] : "(positional)");
    const Val *mask = sc_kwarg(a, "mask", -1);
    if (mask && mask->kind != V_NONE)
        return sc_err(s, node,
                      "mask= in a layer call is not supported yet: masks come from Masking or "
                      "Embedding(mask_zero=True) and travel with the tensor");
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
    give_layer(s, l, g);
    if (sl_model_call(g, l, n, ids, outs, &e2) < 0)
        return sc_engine_err(s, node, &e2);
    return tensors_val(s, node, g, outs, g->nodes[g->n_nodes - 1].sym.n_out, out);
}

/* inner(x): a model used as a layer of the graph x belongs to. */
static int call_model(S *s, int node, SlModel *inner, const Args *a, Val *out)
{
    int ids[SL_MAX_IO], n, outs[SL_MAX_IO];
    SlModel *g = NULL;
    SlError e2;
    char who[SL_NAME_MAX + 16];
    snprintf(who, sizeof who, "model '%s'", inner->name);
    if (a->n < 1 || a->kw[0])
        return sc_err(s, node, "a model is called on its input tensor: model(x)");
    if (a->v[0].kind == V_DATA && a->v[0].i == 1)
        return eager_model(s, node, inner, &a->v[0], out);
    if (a->v[0].kind == V_DATA)
        return called_on_data(s, node, who, &a->v[0]);
    for (int i = 1; i < a->n; i++)
        if (!a->kw[i] || strcmp(a->kw[i], "training"))
            return sc_err(s, a->node[i], "the argument '%s' of a model call is not understood yet",
                          a->kw[i] ? a->kw[i] : "(positional)");
    if (tensors_of(s, a->node[0], &a->v[0], ids, &n, &g) < 0)
        return -1;
    if (inner->n_outputs == 0 && inner->sequential && n == 1 &&
        sl_model_build(inner, g->t[ids[0]].shape, &e2) < 0)
        return sc_engine_err(s, node, &e2);
    if (sl_model_call_model(g, inner, n, ids, outs, &e2) < 0)
        return sc_engine_err(s, node, &e2);
    return tensors_val(s, node, g, outs, inner->n_outputs, out);
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

/* model.add(x) and the items of Sequential([...]): a layer, keras.Input(...) (its InputLayer, as
 * Keras takes it from the tensor's history), or a model (a model used as a layer). */
static int add_layer(S *s, int node, SlModel *m, const Val *v)
{
    SlError e2;
    SlLayer *l;
    if (v->kind == V_MODEL) {
        if (sl_model_add_model(m, v->model, &e2) < 0)
            return sc_engine_err(s, node, &e2);
        s->last_model = m;
        return 0;
    }
    if (v->kind == V_TENSOR && v->model->nodes[v->model->t[v->tensor].node].sym.n_in == 0) {
        l = v->model->nodes[v->model->t[v->tensor].node].layer;
    } else if (v->kind == V_LAYER) {
        l = v->layer;
    } else if (v->kind == V_TENSOR) {
        return sc_err(s, node,
                      "add() takes a layer, or keras.Input(...) as the first; this tensor comes "
                      "out of a layer: make the model with Model(inputs, outputs) instead");
    } else {
        return sc_err(s, node, "add() takes a layer, like Dense(3), not %s", sc_kind_name(v->kind));
    }
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i] == l)
            return sc_err(s, node, "layer '%s' is in model '%s' already; make a new one", l->name,
                          m->name);
    give_layer(s, l, m);
    if (sl_model_add(m, l, &e2) < 0)
        return sc_engine_err(s, node, &e2);
    s->last_model = m;
    return 0;
}

static int make_sequential(S *s, int node, const Args *a, Val *out)
{
    const Val *layers = sc_kwarg(a, "layers", 0), *name = sc_kwarg(a, "name", 2);
    for (int i = 0; i < a->n; i++) {
        if (!a->kw[i] && i > 2)
            return sc_err(s, a->node[i], "Sequential() takes layers, trainable and name");
        if (a->kw[i] && strcmp(a->kw[i], "layers") && strcmp(a->kw[i], "name") &&
            strcmp(a->kw[i], "trainable"))
            return sc_err(s, a->node[i], "Sequential() got an unknown keyword '%s'", a->kw[i]);
    }
    if (name && name->kind != V_STR && name->kind != V_NONE)
        return sc_err(s, node, "Sequential(name=...) takes a string");
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

/* keras.Input(...): an InputLayer called in the script's graph, which every functional model of
 * the script is cut from (Model(inputs, outputs)). */
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
        s->graph->scratch = 1;
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
    if (v->kind == V_DICT)
        return sc_err(s, node,
                      "inputs and outputs given as a dict are not supported yet; give a list");
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

/* Model(inputs, outputs): a new model of the calls between them, cut from the graph they belong
 * to (the script's, or another model's: Model(model.input, model.layers[-2].output)). */
static int make_model(S *s, int node, const Args *a, Val *out)
{
    const Val *in = sc_kwarg(a, "inputs", 0), *outs = sc_kwarg(a, "outputs", 1),
              *name = sc_kwarg(a, "name", 2);
    int ii[SL_MAX_MODEL_IO], oo[SL_MAX_MODEL_IO], ni, no;
    SlModel *g = NULL;
    SlError e2;
    char model_name[SL_NAME_MAX];
    for (int i = 0; i < a->n; i++)
        if (a->kw[i] && strcmp(a->kw[i], "inputs") && strcmp(a->kw[i], "outputs") &&
            strcmp(a->kw[i], "name") && strcmp(a->kw[i], "trainable"))
            return sc_err(s, a->node[i], "Model() got an unknown keyword '%s'", a->kw[i]);
    if (!in || !outs)
        return sc_err(s, node, "Model() needs inputs= and outputs=");
    if (tensor_list(s, node, in, ii, &ni, &g) < 0 || tensor_list(s, node, outs, oo, &no, &g) < 0)
        return -1;
    if (name && name->kind == V_STR)
        snprintf(model_name, sizeof model_name, "%s", name->s);
    else
        sl_unique_name("model", model_name, sizeof model_name);
    SlModel *m = sl_model_functional(g, ni, ii, no, oo, model_name, &e2);
    if (!m)
        return sc_engine_err(s, node, &e2);
    if (keep_model(s, m, node) < 0)
        return -1;
    s->last_model = m;
    *out = model_val(m);
    return 0;
}

/* ---- optimizers, losses, and the objects passed as arguments ---- */

static int make_optimizer(S *s, int node, const char *cls, const Args *a, Val *out)
{
    SlArgs sa;
    SlError e2;
    if (strcmp(cls, "SGD") && strcmp(cls, "Adam") && strcmp(cls, "RMSprop"))
        return sc_err(s, node,
                      "the optimizer %s is not supported yet: use SGD, RMSprop or Adam (for "
                      "AdamW, Adam without weight decay)",
                      cls);
    for (int i = 0; i < a->n; i++)
        if (a->v[i].kind == V_OBJECT || a->v[i].kind == V_DATA)
            return sc_err(s, a->node[i],
                          "a learning-rate schedule is not supported yet: give %s a number, "
                          "learning_rate=0.001",
                          cls);
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
    static const char *const built[] = {"MeanSquaredError", "MeanAbsoluteError",
                                        "BinaryCrossentropy", "CategoricalCrossentropy",
                                        "SparseCategoricalCrossentropy"};
    SlArgs sa;
    SlError e2;
    if (!sc_in_list(built, sizeof built / sizeof *built, cls))
        return sc_err(s, node, "the loss %s is not supported yet: shapelab has %s", cls,
                      sl_loss_names());
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

/* RandomNormal(stddev=0.02), l2(0.01), MaxNorm(3), SparseCategoricalAccuracy(): an object a layer
 * or compile() reads, kept with its arguments (key, value, ...; the key None when positional). */
static int make_object(S *s, int node, const Val *cls, const Args *a, Val *out)
{
    *out = sc_seq(s, V_OBJECT, 2 * a->n);
    if (!out->items)
        return sc_oom(s, node);
    out->s = cls->s;
    out->i = cls->i;
    for (int i = 0; i < a->n; i++) {
        if (a->v[i].kind == V_DATA) { /* keras.initializers.Constant(embedding_matrix) */
            char what[64];
            snprintf(what, sizeof what, "%s", sc_family_name((Family)cls->i));
            return sc_to_slvalue(s, a->node[i], &a->v[i], NULL, NULL) < 0
                       ? -1
                       : sc_err(s, a->node[i], "%s of data is not supported yet", what);
        }
        out->items[2 * i] = sc_none();
        if (a->kw[i]) {
            out->items[2 * i].kind = V_STR;
            out->items[2 * i].s = a->kw[i];
        }
        out->items[2 * i + 1] = a->v[i];
    }
    return 0;
}

/* ---- a model's methods ---- */

/* loss={"priority": ..., "department": ...}: the values in the order of m's outputs, each found
 * by the name of the layer that makes it (Keras's output names). */
static int by_output(S *s, int node, const SlModel *m, const char *what, Val *v)
{
    if (v->kind != V_DICT)
        return 0;
    Val list = sc_seq(s, V_LIST, m->n_outputs);
    if (!list.items)
        return sc_oom(s, node);
    for (int k = 0; k < m->n_outputs; k++) {
        const char *name = m->nodes[m->t[m->outputs[k]].node].layer->name;
        int found = -1;
        for (int i = 0; i + 1 < v->n; i += 2)
            if (v->items[i].kind == V_STR && !strcmp(v->items[i].s, name))
                found = i;
        if (found < 0)
            return sc_err(s, node,
                          "compile: %s names no output '%s'; give one per output of model '%s', "
                          "by the name of the layer that makes it",
                          what, name, m->name);
        list.items[k] = v->items[found + 1];
    }
    for (int i = 0; i + 1 < v->n; i += 2) { /* and no name that is not an output */
        int known = 0;
        for (int k = 0; k < m->n_outputs; k++)
            known |= v->items[i].kind == V_STR &&
                     !strcmp(v->items[i].s, m->nodes[m->t[m->outputs[k]].node].layer->name);
        if (!known) {
            char key[128];
            sc_str(s, &v->items[i], 1, key, sizeof key);
            return sc_err(s, node, "compile: %s names %s, which is not an output of model '%s'",
                          what, key, m->name);
        }
    }
    *v = list;
    return 0;
}

/* compile's loss as the engine parses it: names (a loss object by its name, a list item by item);
 * objects go to *objs, one per output (NULL where a name is enough). */
static int loss_names(S *s, int node, const Val *v, Val *names, const SlLoss **objs, int *n_objs)
{
    *names = *v;
    *n_objs = 0;
    if (v->kind == V_LOSS) {
        objs[(*n_objs)++] = v->loss;
        *names = sc_none();
        names->kind = V_STR;
        names->s = v->loss->name;
        return 0;
    }
    if (v->kind != V_LIST && v->kind != V_TUPLE)
        return 0;
    if (v->n > SL_MAX_MODEL_IO)
        return sc_err(s, node, "compile: more losses than a model has outputs");
    *names = sc_seq(s, v->kind, v->n);
    if (!names->items)
        return sc_oom(s, node);
    for (int k = 0; k < v->n; k++) {
        names->items[k] = v->items[k];
        objs[k] = NULL;
        if (v->items[k].kind == V_LOSS) {
            objs[k] = v->items[k].loss;
            names->items[k] = sc_none();
            names->items[k].kind = V_STR;
            names->items[k].s = v->items[k].loss->name;
        }
    }
    *n_objs = v->n;
    return 0;
}

/* compile(optimizer, loss, loss_weights, metrics, ...): Keras 3's order, by position or by name;
 * the optimizer and losses as names or objects, metrics as names or metric objects. */
/* metrics=[keras.metrics.Precision(), 'accuracy']: Keras metrics that shapelab does not compute
 * are left out with a notice (a name shapelab does not know stays an error: it may be a typo). */
static int drop_uncomputed_metrics(S *s, int node, const char *key, Val *v)
{
    if ((strcmp(key, "metrics") && strcmp(key, "weighted_metrics")) || v->kind != V_LIST)
        return 0;
    Val kept = sc_seq(s, V_LIST, v->n);
    if (v->n && !kept.items)
        return sc_oom(s, node);
    char left_out[256] = "";
    int n = 0;
    for (int i = 0; i < v->n; i++) {
        const Val *it = &v->items[i];
        char name[96];
        SlMetric probe;
        SlError e;
        if (it->kind == V_OBJECT && it->i == F_METRIC) {
            sc_snake_case(it->s, name, sizeof name);
            if (sl_metric_create(&probe, name, &e) < 0) {
                size_t u = strlen(left_out);
                snprintf(left_out + u, sizeof left_out - u, "%s%s", u ? ", " : "", it->s);
                continue;
            }
        }
        kept.items[n++] = *it;
    }
    if (left_out[0])
        sc_notice(s, N(s, node)->line, "compile: shapelab does not compute %s yet; left out of %s",
                  left_out, key);
    kept.n = n;
    *v = kept;
    return 0;
}

/* metrics=[['mae'], ['accuracy']] or {'out': [...]}: one list of metrics for each output. */
static int per_output_metrics(const char *key, const Val *v)
{
    if (strcmp(key, "metrics") && strcmp(key, "weighted_metrics"))
        return 0;
    if (v->kind == V_DICT)
        return 1;
    for (int i = 0; v->kind == V_LIST && i < v->n; i++)
        if (v->items[i].kind == V_LIST || v->items[i].kind == V_TUPLE || v->items[i].kind == V_DICT)
            return 1;
    return 0;
}

static int method_compile(S *s, int node, SlModel *m, const Args *a)
{
    static const char *const order[] = {"optimizer", "loss", "loss_weights", "metrics",
                                        "weighted_metrics"};
    Args named = *a;
    SlArgs sa;
    SlError e2;
    for (int i = 0; i < a->n && !a->kw[i]; i++) { /* positional: Keras 3's order */
        if (i >= 5)
            return sc_err(s, a->node[i], "compile() takes at most 5 arguments by position");
        named.kw[i] = order[i];
    }
    const Val *opt = sc_kwarg(&named, "optimizer", -1), *loss = sc_kwarg(&named, "loss", -1);
    if (!loss) { /* Keras compiles without a loss for a training loop of the script's own */
        sc_notice(s, N(s, node)->line,
                  "compile() without a loss is skipped: shapelab trains with a loss, e.g. "
                  "loss='mse'");
        return 0;
    }
    if (opt && opt->kind == V_CLASS && opt->i == F_OPTIMIZER)
        return sc_err(s, node, "optimizer=%s is a class; make one: %s()", opt->s, opt->s);
    if (opt && opt->kind != V_OPT && opt->kind != V_STR)
        return sc_err(s, node,
                      "compile's optimizer is a name ('adam') or an optimizer object "
                      "(keras.optimizers.Adam(learning_rate=0.001))");
    for (int i = 0; i < named.n; i++) { /* per-output values by output name */
        const char *k = named.kw[i];
        if (per_output_metrics(k, &named.v[i])) {
            sc_notice(s, N(s, node)->line,
                      "compile: %s per output (a list of lists, or a dict) are not supported "
                      "yet and are left out; one list, metrics=['mae'], is kept for every output",
                      k);
            named.v[i] = sc_none();
        } else if (drop_uncomputed_metrics(s, node, k, &named.v[i]) < 0) {
            return -1;
        } else if (!strcmp(k, "loss") || !strcmp(k, "loss_weights")) {
            if (by_output(s, node, m, k, &named.v[i]) < 0)
                return -1;
        } else if (named.v[i].kind == V_DICT) {
            return sc_err(s, node, "compile: %s given as a dict is not supported yet; give a list",
                          k);
        }
    }
    loss = sc_kwarg(&named, "loss", -1);
    Val lnames;
    const SlLoss *objs[SL_MAX_MODEL_IO];
    int n_objs = 0;
    if (loss && loss_names(s, node, loss, &lnames, objs, &n_objs) < 0)
        return -1;
    const char *skip[1] = {"optimizer"};
    for (int i = 0; i < named.n; i++)
        if (loss && named.kw[i] && !strcmp(named.kw[i], "loss"))
            named.v[i] = lnames;
    if (sc_to_slargs(s, &named, &sa, skip, opt && opt->kind == V_OPT) < 0)
        return -1;
    if (sl_model_compile_args(m, &sa, &e2) < 0)
        return sc_engine_err(s, node, &e2);
    if (opt && opt->kind == V_OPT)
        sl_model_set_optimizer(m, opt->opt);
    for (int k = 0; k < n_objs; k++)
        if (objs[k] && sl_model_set_loss(m, n_objs == 1 ? -1 : k, objs[k], &e2) < 0)
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

static const char *const runtime[] = {"fit",
                                      "fit_generator",
                                      "predict",
                                      "predict_generator",
                                      "predict_on_batch",
                                      "evaluate",
                                      "evaluate_generator",
                                      "train_on_batch",
                                      "test_on_batch",
                                      "save",
                                      "save_weights",
                                      "load_weights",
                                      "reset_states",
                                      "set_weights",
                                      "get_weights",
                                      "to_json",
                                      "get_config",
                                      "export",
                                      "call",
                                      "reset_metrics",
                                      "stateless_call",
                                      "make_predict_function",
                                      "make_train_function",
                                      "get_metrics_result",
                                      "compute_loss",
                                      "load_own_variables",
                                      "save_own_variables",
                                      "add_weight",
                                      "add_loss",
                                      "set_weights",
                                      "get_weights"};

/* fit(), predict() ...: skipped, and their arguments (data, often defined elsewhere) unread. */
static int skip_runtime(S *s, int node, const char *who, const char *name, Val *out)
{
    static const char *const instead[] = {
        "fit", "shapelab train", "predict", "shapelab predict", "weights", "shapelab init and -w"};
    const char *cmd = "the shapelab subcommands";
    for (int i = 0; i < 6; i += 2)
        if (strstr(name, instead[i]))
            cmd = instead[i + 1];
    sc_notice(s, N(s, node)->line, "skipped %s.%s(...): use %s", who, name, cmd);
    *out = sc_noticed(N(s, node)->line);
    return 0;
}

/* The layer of m named `name`, or NULL. */
static SlLayer *layer_named(SlModel *m, const char *name)
{
    for (int i = 0; i < m->n_layers; i++)
        if (!strcmp(m->layers[i]->name, name))
            return m->layers[i];
    for (int i = 0; i < m->n_pending; i++)
        if (!strcmp(m->pending[i]->name, name))
            return m->pending[i];
    return NULL;
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
        *out = sc_noticed(N(s, node)->line); /* print(model.summary()) prints nothing */
        return 0;
    }
    if (!strcmp(name, "count_params")) {
        *out = sc_ival((long long)sl_model_count_params(m));
        return 0;
    }
    if (!strcmp(name, "pop")) { /* a Sequential model waiting for its input shape */
        if (!m->sequential || m->n_pending == 0 || m->n_inputs > 0)
            return sc_err(s, node,
                          "pop() of a model that is built already is not supported yet: leave "
                          "the layer out where the model is made");
        if (s->n_layers >= MAX_LAYERS)
            return sc_err(s, node, "the script makes too many layers");
        SlLayer *l = m->pending[--m->n_pending];
        s->layers[s->n_layers++] = l; /* the script's again */
        out->kind = V_LAYER;
        out->layer = l;
        return 0;
    }
    if (!strcmp(name, "get_layer")) {
        const Val *n = sc_kwarg(a, "name", 0), *index = sc_kwarg(a, "index", 1);
        SlLayer *l = n && n->kind == V_STR ? layer_named(m, n->s) : NULL;
        if (index && index->kind == V_INT)
            return sc_err(s, node,
                          "get_layer(index=...) is not supported yet; use "
                          "model.layers[i]");
        if (!l)
            return sc_err(s, node, "model '%s' has no layer named %s%s%s", m->name,
                          n && n->kind == V_STR ? "'" : "", n && n->kind == V_STR ? n->s : "?",
                          n && n->kind == V_STR ? "'" : "");
        out->kind = V_LAYER;
        out->layer = l;
        return 0;
    }
    return sc_err(s, node, "model.%s() is not understood in a model script", name);
}

/* layer.build(shape), layer.get_weights() ...: what notebooks do with a layer outside a model. */
static int layer_method(S *s, int node, const SlLayer *l, const char *name, const Args *a, Val *out)
{
    (void)a;
    if (!strcmp(name, "count_params")) {
        if (!l->built)
            return sc_err(s, node, "layer '%s' is not built yet, so it has no weights to count",
                          l->name);
        *out = sc_ival((long long)sl_layer_count_params(l));
        return 0;
    }
    if (!strcmp(name, "build")) {
        sc_notice(s, N(s, node)->line,
                  "skipped %s.build(...): a layer is built when it is called on a tensor", l->name);
        *out = sc_noticed(N(s, node)->line);
        return 0;
    }
    if (sc_in_list(runtime, sizeof runtime / sizeof *runtime, name))
        return skip_runtime(s, node, l->name, name, out);
    return sc_err(s, node, "layer.%s() is not understood in a model script", name);
}

/* xs.append(v), xs.extend(ys) on a list bound to a name: the name gets the longer list. */
static int list_method(S *s, Env *env, int node, int obj_node, const Val *list, const char *name,
                       const Args *a, Val *out)
{
    *out = sc_none();
    if (strcmp(name, "append") && strcmp(name, "extend"))
        return sc_err(s, node, "list.%s() is not understood in a model script", name);
    if (a->n != 1)
        return sc_err(s, node, "%s() takes one argument", name);
    if (N(s, obj_node)->kind != N_NAME)
        return sc_err(s, node, "%s() is understood on a list bound to a name here", name);
    const Val *more = &a->v[0];
    int extend = name[0] == 'e';
    if (extend && more->kind != V_LIST && more->kind != V_TUPLE)
        return sc_err(s, node, "extend() takes a list");
    int n_more = extend ? more->n : 1;
    if (list->n + n_more > SC_MAX_LIST)
        return sc_err(s, node, "a list of more than %d items", SC_MAX_LIST);
    Val grown = sc_seq(s, V_LIST, list->n + n_more);
    if (!grown.items)
        return sc_oom(s, node);
    memcpy(grown.items, list->items, (size_t)list->n * sizeof(Val));
    if (extend)
        memcpy(grown.items + list->n, more->items, (size_t)n_more * sizeof(Val));
    else
        grown.items[list->n] = *more;
    Var *var = sc_find_var(env, N(s, obj_node)->s);
    if (!var)
        return sc_err(s, node, "'%s' is not defined", N(s, obj_node)->s);
    var->v = grown;
    return 0;
}

/* ---- builtins ---- */

/* print(*values, sep=' ', end='\n'): what Python prints, to the script's output; a value from data
 * is not known, so that print is skipped (its statement gets the data notice). */
static int builtin_print(S *s, int node, const Args *a, Val *out)
{
    const char *sep = " ", *end = "\n";
    for (int i = 0; i < a->n; i++) {
        if (a->v[i].kind == V_DATA) {
            *out = a->v[i].f ? a->v[i] : sc_data(NULL, N(s, node)->line);
            return 0;
        }
        if (a->kw[i] && (!strcmp(a->kw[i], "sep") || !strcmp(a->kw[i], "end"))) {
            if (a->v[i].kind != V_STR && a->v[i].kind != V_NONE)
                return sc_err(s, a->node[i], "%s= takes a string", a->kw[i]);
            if (a->v[i].kind == V_STR)
                *(a->kw[i][0] == 's' ? &sep : &end) = a->v[i].s;
        } else if (a->kw[i] && strcmp(a->kw[i], "flush") && strcmp(a->kw[i], "file")) {
            return sc_err(s, a->node[i], "print() got an unknown keyword '%s'", a->kw[i]);
        }
    }
    FILE *f = s->o ? s->o->out : NULL;
    int first = 1;
    for (int i = 0; i < a->n; i++) {
        if (a->kw[i])
            continue;
        char text[4096];
        if (sc_str(s, &a->v[i], 0, text, sizeof text) < 0)
            return sc_err(s, a->node[i], "this value is too long to print");
        if (f)
            fprintf(f, "%s%s", first ? "" : sep, text);
        first = 0;
    }
    if (f)
        fprintf(f, "%s", end);
    *out = sc_none();
    return 0;
}

/* A list or tuple of numbers added up (sum), or its truth tested (any, all). */
static int fold(S *s, int node, const char *name, const Val *x, Val *out)
{
    if (x->kind != V_LIST && x->kind != V_TUPLE)
        return sc_err(s, node, "%s() takes a list here, not %s", name, sc_kind_name(x->kind));
    if (sc_steps(s, node, x->n) < 0)
        return -1;
    if (!strcmp(name, "sum")) {
        Val acc = sc_ival(0), next;
        for (int k = 0; k < x->n; k++) {
            if (sc_binary(s, node, "+", &acc, &x->items[k], &next) < 0)
                return -1;
            acc = next;
        }
        *out = acc;
        return 0;
    }
    int all = name[1] == 'l', result = all;
    for (int k = 0; k < x->n; k++) {
        int t = sc_truth(s, node, &x->items[k]);
        if (t < 0)
            return -1;
        if (all ? !t : t) {
            result = !all;
            break;
        }
    }
    *out = sc_none();
    out->kind = V_BOOL;
    out->i = result;
    return 0;
}

/* zip(a, b, ...) and enumerate(a[, start]): lists of tuples. */
static int pairs(S *s, int node, const char *name, const Args *a, Val *out)
{
    int zip = name[0] == 'z', n = -1, start = 0;
    int n_seq = zip ? a->n : 1;
    if (!zip && a->n == 2 && a->v[1].kind == V_INT)
        start = (int)a->v[1].i;
    for (int k = 0; k < n_seq; k++) {
        if (a->v[k].kind != V_LIST && a->v[k].kind != V_TUPLE)
            return sc_err(s, a->node[k], "%s() takes lists or tuples here", name);
        n = n < 0 || a->v[k].n < n ? a->v[k].n : n;
    }
    if (n < 0)
        n = 0;
    *out = sc_seq(s, V_LIST, n);
    if (!out->items)
        return sc_oom(s, node);
    for (int i = 0; i < n; i++) {
        Val t = sc_seq(s, V_TUPLE, zip ? n_seq : 2);
        if (!t.items)
            return sc_oom(s, node);
        if (zip)
            for (int k = 0; k < n_seq; k++)
                t.items[k] = a->v[k].items[i];
        else
            t.items[0] = sc_ival(start + i), t.items[1] = a->v[0].items[i];
        out->items[i] = t;
    }
    return 0;
}

static int builtin(S *s, int node, const char *name, const Args *a, Val *out)
{
    *out = sc_none();
    if (!strcmp(name, "print"))
        return builtin_print(s, node, a, out);
    if (!strcmp(name, "len") && a->n == 1 && a->v[0].kind == V_DATA && a->v[0].i == 1) {
        *out = a->v[0].items[0]; /* len(x) of an array whose shape is known */
        return 0;
    }
    if (sc_has_data(a)) { /* len(chars): still about chars, so its error names it */
        for (int i = a->n - 1; i >= 0; i--)
            if (a->v[i].kind == V_DATA)
                *out = a->v[i];
        out->i = out->i == 1 ? 0 : out->i;
        out->f = 0;
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
    if (a->n != 1 && strcmp(name, "min") && strcmp(name, "max") && strcmp(name, "zip") &&
        strcmp(name, "enumerate"))
        return sc_err(s, node, "%s() takes one argument here", name);
    if (a->n == 0)
        return sc_err(s, node, "%s() takes an argument", name);
    const Val *x = &a->v[0];
    if (!strcmp(name, "len") &&
        (x->kind == V_LIST || x->kind == V_TUPLE || x->kind == V_STR || x->kind == V_DICT)) {
        long long n = x->kind == V_STR    ? (long long)strlen(x->s)
                      : x->kind == V_DICT ? x->n / 2
                                          : x->n;
        *out = sc_ival(n);
        return x->kind == V_STR ? sc_steps(s, node, n / 64) : 0;
    }
    if (!strcmp(name, "int") && (x->kind == V_INT || x->kind == V_FLOAT || x->kind == V_BOOL)) {
        if (x->kind == V_FLOAT && !sc_fits_int64(x->f))
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
        *out = sc_seq(s, name[0] == 'l' ? V_LIST : V_TUPLE, x->n); /* a copy, as Python's */
        if (!out->items)
            return sc_oom(s, node);
        memcpy(out->items, x->items, (size_t)x->n * sizeof(Val));
        return 0;
    }
    if (!strcmp(name, "str") || !strcmp(name, "repr")) {
        char text[4096];
        if (sc_str(s, x, name[0] == 'r', text, sizeof text) < 0)
            return sc_err(s, node, "this value is too long for %s()", name);
        char *t = sc_heap(s, strlen(text) + 1);
        if (!t)
            return sc_oom(s, node);
        strcpy(t, text);
        out->kind = V_STR;
        out->s = t;
        return 0;
    }
    if (!strcmp(name, "bool")) {
        int t = sc_truth(s, node, x);
        if (t < 0)
            return -1;
        out->kind = V_BOOL;
        out->i = t;
        return 0;
    }
    if (!strcmp(name, "round") && (x->kind == V_INT || x->kind == V_FLOAT)) {
        if (x->kind == V_INT) {
            *out = *x;
            return 0;
        }
        double r = nearbyint(x->f); /* Python rounds halves to even, as the default mode does */
        if (!sc_fits_int64(r))
            return sc_err(s, node, "round() of %g does not fit in 64 bits", x->f);
        *out = sc_ival((long long)r);
        return 0;
    }
    if (!strcmp(name, "set") && (x->kind == V_LIST || x->kind == V_TUPLE || x->kind == V_STR)) {
        int n = x->kind == V_STR ? (int)strlen(x->s) : x->n, kept = 0;
        if (sc_steps(s, node, (long long)n * n) < 0)
            return -1;
        *out = sc_seq(s, V_LIST, n); /* a list of the distinct items, first seen first */
        for (int k = 0; out->items && k < n; k++) {
            Val item = x->kind == V_STR ? sc_none() : x->items[k];
            if (x->kind == V_STR) {
                char *c = sc_heap(s, 2);
                if (!c)
                    return sc_oom(s, node);
                c[0] = x->s[k];
                item.kind = V_STR, item.s = c;
            }
            int seen = 0;
            for (int j = 0; j < kept && !seen; j++)
                seen = sc_equal(&out->items[j], &item);
            if (!seen)
                out->items[kept++] = item;
        }
        out->n = kept;
        return out->items ? 0 : sc_oom(s, node);
    }
    if (!strcmp(name, "dict") && (x->kind == V_LIST || x->kind == V_TUPLE)) { /* of pairs */
        *out = sc_seq(s, V_DICT, 2 * x->n);
        if (!out->items)
            return sc_oom(s, node);
        for (int k = 0; k < x->n; k++) {
            const Val *pair = &x->items[k];
            if ((pair->kind != V_TUPLE && pair->kind != V_LIST) || pair->n != 2)
                return sc_err(s, node, "dict() takes a list of (key, value) pairs here");
            out->items[2 * k] = pair->items[0], out->items[2 * k + 1] = pair->items[1];
        }
        return 0;
    }
    if (!strcmp(name, "sum") || !strcmp(name, "any") || !strcmp(name, "all"))
        return fold(s, node, name, x, out);
    if (!strcmp(name, "zip") || !strcmp(name, "enumerate"))
        return pairs(s, node, name, a, out);
    if (!strcmp(name, "sorted") && (x->kind == V_LIST || x->kind == V_TUPLE)) {
        if (sc_steps(s, node, (long long)x->n * x->n) < 0)
            return -1;
        *out = sc_seq(s, V_LIST, x->n);
        if (!out->items)
            return sc_oom(s, node);
        memcpy(out->items, x->items, (size_t)x->n * sizeof(Val));
        for (int i = 1; i < x->n; i++) /* insertion sort: stable, as Python's */
            for (int j = i; j > 0; j--) {
                int c = sc_order(&out->items[j - 1], &out->items[j]);
                if (c == -2)
                    return sc_err(s, node, "sorted() of values that do not compare");
                if (c <= 0)
                    break;
                Val t = out->items[j];
                out->items[j] = out->items[j - 1], out->items[j - 1] = t;
            }
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

static int class_call(S *s, int node, const Val *cls_val, const Args *a, Val *out)
{
    const char *cls = cls_val->s;
    Family f = (Family)cls_val->i;
    if (f == F_OPTIMIZER)
        return make_optimizer(s, node, cls, a, out);
    if (f == F_LOSS)
        return make_loss(s, node, cls, a, out);
    if (f == F_INIT || f == F_REG || f == F_CONSTRAINT || f == F_METRIC)
        return make_object(s, node, cls_val, a, out);
    if (f == F_PREPROCESSING) {
        sc_notice(s, N(s, node)->line,
                  "skipped %s(...): a preprocessing layer belongs to the data pipeline; "
                  "shapelab reads the arrays it makes from files (-x)",
                  cls);
        *out = sc_noticed(N(s, node)->line);
        return 0;
    }
    if (sc_is_builtin(cls))
        return builtin(s, node, cls, a, out);
    if (!strcmp(cls, "Sequential"))
        return make_sequential(s, node, a, out);
    if (!strcmp(cls, "Model") || !strcmp(cls, "Functional"))
        return make_model(s, node, a, out);
    if (!strcmp(cls, "Input"))
        return make_input(s, node, a, out);
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

/* The value of a def: its node, the scope it was made in (a function inside a function sees the
 * outer one's names), and its defaults, evaluated now, as Python does. */
int sc_make_function(S *s, Env *env, int def, Val *out)
{
    const Node *d = N(s, def);
    int n = 0;
    for (int p = d->a; p >= 0; p = N(s, p)->next)
        n++;
    *out = sc_seq(s, V_FUNC, n);
    if (!out->items)
        return sc_oom(s, def);
    out->node = def;
    out->scope = env;
    int k = 0;
    for (int p = d->a; p >= 0; p = N(s, p)->next, k++)
        if (N(s, p)->b >= 0 && sc_eval(s, env, N(s, p)->b, &out->items[k]) < 0)
            return -1;
    return 0;
}

static int call_function(S *s, int node, const Val *f, const Args *a, Val *out)
{
    const Node *d = N(s, f->node);
    Env *local = sc_heap(s, sizeof *local); /* kept: a function it returns may still need it */
    if (!local)
        return sc_oom(s, node);
    local->parent = f->scope ? f->scope : &s->globals;
    int params[SL_ARGS_MAX], n = 0;
    unsigned char given[SL_ARGS_MAX] = {0};
    for (int p = d->a; p >= 0 && n < SL_ARGS_MAX; p = N(s, p)->next)
        params[n++] = p;
    int pos = 0;
    for (int i = 0; i < a->n; i++) {
        int k = -1;
        if (!a->kw[i]) {
            if (pos >= n)
                return sc_err(s, node, "%s() takes %d argument%s, got %d", d->s, n,
                              n == 1 ? "" : "s", a->n);
            k = pos++;
        } else {
            for (int j = 0; j < n; j++)
                k = !strcmp(N(s, params[j])->s, a->kw[i]) ? j : k;
            if (k < 0)
                return sc_err(s, a->node[i], "%s() got an unexpected keyword argument '%s'", d->s,
                              a->kw[i]);
            if (given[k])
                return sc_err(s, a->node[i], "%s() got multiple values for argument '%s'", d->s,
                              a->kw[i]);
        }
        given[k] = 1;
        if (sc_bind(s, local, N(s, params[k])->s, a->v[i], params[k]) < 0)
            return -1;
    }
    for (int k = 0; k < n; k++) {
        if (given[k])
            continue;
        if (N(s, params[k])->b < 0)
            return sc_err(s, node, "%s() needs %s", d->s, N(s, params[k])->s);
        if (sc_bind(s, local, N(s, params[k])->s, f->items[k], params[k]) < 0)
            return -1;
    }
    if (++s->call_depth > SC_MAX_CALL_DEPTH)
        return sc_err(s, node, "functions call each other more than %d deep", SC_MAX_CALL_DEPTH);
    s->returning = 0;
    int rc = sc_exec_block(s, local, d->c);
    *out = s->returning ? s->ret : sc_none();
    s->returning = 0;
    s->call_depth--;
    return rc;
}

/* ---- string methods ---- */

/* "{} + {:.2f}".format(a, b): fields by position ({} or {0}) or by keyword ({name}), each with
 * an optional !r and format spec; {{ and }} are braces. */
static int str_format(S *s, int node, const char *fmt, const Args *a, Val *out)
{
    size_t cap = strlen(fmt) + 512, u = 0;
    char *buf = sc_heap(s, cap);
    if (!buf)
        return sc_oom(s, node);
    int auto_index = 0;
    for (const char *p = fmt; *p;) {
        if ((*p == '{' || *p == '}') && p[1] == *p) {
            if (u + 2 > cap)
                return sc_err(s, node, "the formatted string is too long");
            buf[u++] = *p;
            p += 2;
            continue;
        }
        if (*p != '{') {
            if (u + 2 > cap)
                return sc_err(s, node, "the formatted string is too long");
            buf[u++] = *p++;
            continue;
        }
        const char *end = strchr(p, '}');
        if (!end)
            return sc_err(s, node, "a '{' in the format string is not closed");
        char field[128], spec[64] = "";
        snprintf(field, sizeof field, "%.*s", (int)(end - p - 1), p + 1);
        p = end + 1;
        char *colon = strchr(field, ':'), *bang = strchr(field, '!');
        if (colon)
            snprintf(spec, sizeof spec, "%s", colon + 1), *colon = '\0';
        int repr = bang && bang[1] == 'r';
        if (bang)
            *bang = '\0';
        const Val *v = NULL;
        if (!field[0] || (field[0] >= '0' && field[0] <= '9')) {
            int k = field[0] ? atoi(field) : auto_index++;
            int pos = 0;
            for (int i = 0; i < a->n; i++)
                if (!a->kw[i] && pos++ == k)
                    v = &a->v[i];
        } else {
            v = sc_kwarg(a, field, -1);
        }
        if (!v)
            return sc_err(s, node, "format(): no value for the field {%s}", field);
        char piece[1024];
        int rc = repr ? sc_str(s, v, 1, piece, sizeof piece)
                      : sc_format(s, node, v, spec, piece, sizeof piece);
        if (rc < 0)
            return rc == -2 ? -1 : sc_err(s, node, "a format field is too long");
        size_t len = strlen(piece);
        if (u + len + 1 > cap)
            return sc_err(s, node, "the formatted string is too long");
        memcpy(buf + u, piece, len);
        u += len;
    }
    buf[u] = '\0';
    *out = sc_none();
    out->kind = V_STR;
    out->s = buf;
    return 0;
}

/* The string methods model scripts use in names and messages: format, join, upper, lower. */
static int str_method(S *s, int node, const char *str, const char *name, const Args *a, Val *out)
{
    if (sc_has_data(a)) {
        *out = sc_data(NULL, N(s, node)->line);
        return 0;
    }
    if (!strcmp(name, "format"))
        return str_format(s, node, str, a, out);
    if (!strcmp(name, "join")) {
        if (a->n != 1 || (a->v[0].kind != V_LIST && a->v[0].kind != V_TUPLE))
            return sc_err(s, node, "join() takes a list of strings");
        size_t len = 1;
        for (int k = 0; k < a->v[0].n; k++) {
            if (a->v[0].items[k].kind != V_STR)
                return sc_err(s, node, "join() takes a list of strings");
            len += strlen(a->v[0].items[k].s) + strlen(str);
        }
        char *t = sc_heap(s, len);
        if (!t)
            return sc_oom(s, node);
        for (int k = 0; k < a->v[0].n; k++) {
            if (k)
                strcat(t, str);
            strcat(t, a->v[0].items[k].s);
        }
        *out = sc_none();
        out->kind = V_STR;
        out->s = t;
        return 0;
    }
    if ((!strcmp(name, "upper") || !strcmp(name, "lower")) && a->n == 0) {
        char *t = sc_heap(s, strlen(str) + 1);
        if (!t)
            return sc_oom(s, node);
        for (size_t i = 0; str[i]; i++)
            t[i] = (char)(name[0] == 'u' ? toupper((unsigned char)str[i])
                                         : tolower((unsigned char)str[i]));
        *out = sc_none();
        out->kind = V_STR;
        out->s = t;
        return 0;
    }
    return sc_err(s, node, "str.%s() is not understood in a model script", name);
}

/* ---- calls on modules: keras.utils, keras.backend, numpy ... ---- */

/* Does calling into this module make data (numpy, keras.utils, keras.datasets, tf.random ...)? */
static int module_is_data(const Val *f)
{
    static const char *const data_parts[] = {
        "utils", "datasets", "preprocessing", "callbacks", "random", "data",
        "io",    "image",    "config",        "backend",   "saving", "applications"};
    int about_data = f->data_lib;
    for (size_t k = 0; k < sizeof data_parts / sizeof *data_parts && !about_data; k++) {
        char part[40];
        snprintf(part, sizeof part, ".%s", data_parts[k]);
        about_data = strstr(f->s, part) || !strncmp(f->s, data_parts[k], strlen(data_parts[k]));
    }
    return about_data;
}

/* The shape an array op gives an array whose shape is known: cast, expand_dims, tile. 0 for
 * another op (its result is data of an unknown shape). */
static int reshaped(S *s, int node, const char *op, const Args *a, Val *out)
{
    const Val *x = &a->v[0], *arg = a->n > 1 ? &a->v[1] : NULL;
    int n = x->n;
    long long dims[SL_MAX_RANK + 1];
    for (int i = 0; i < n; i++)
        dims[i] = x->items[i].i;
    if (!strcmp(op, "expand_dims") && arg && arg->kind == V_INT && n < SL_MAX_RANK) {
        long long axis = arg->i < 0 ? arg->i + n + 1 : arg->i;
        if (axis < 0 || axis > n)
            return 0;
        for (int i = n; i > axis; i--)
            dims[i] = dims[i - 1];
        dims[axis] = 1;
        n++;
    } else if (!strcmp(op, "tile") && arg && (arg->kind == V_LIST || arg->kind == V_TUPLE) &&
               arg->n == n) {
        for (int i = 0; i < n; i++) {
            if (arg->items[i].kind != V_INT || arg->items[i].i < 0 ||
                __builtin_mul_overflow(dims[i], arg->items[i].i, &dims[i]))
                return 0;
        }
    } else if (strcmp(op, "cast") && strcmp(op, "convert_to_tensor") && strcmp(op, "asarray") &&
               strcmp(op, "array")) {
        return 0;
    }
    Val shape = sc_seq(s, V_TUPLE, n);
    if (!shape.items)
        return sc_oom(s, node);
    for (int i = 0; i < n; i++)
        shape.items[i] = sc_ival(dims[i]);
    *out = sc_data(NULL, N(s, node)->line);
    out->i = 1, out->items = shape.items, out->n = n;
    return 1;
}

/* pad_sequences([[711, 632], [73, 8, 3215]], maxlen=None): an array of one row per sequence,
 * as long as maxlen or the longest. 0 when the sequences are not written out. */
static int padded_shape(S *s, int node, const Args *a, Val *out)
{
    const Val *seqs = sc_kwarg(a, "sequences", 0), *maxlen = sc_kwarg(a, "maxlen", 1);
    if (!seqs || (seqs->kind != V_LIST && seqs->kind != V_TUPLE))
        return 0;
    long long longest = 0;
    for (int k = 0; k < seqs->n; k++) {
        const Val *one = &seqs->items[k];
        if (one->kind != V_LIST && one->kind != V_TUPLE)
            return 0;
        longest = one->n > longest ? one->n : longest;
    }
    if (maxlen && maxlen->kind == V_INT)
        longest = maxlen->i;
    else if (maxlen && maxlen->kind != V_NONE)
        return 0;
    Val shape = sc_seq(s, V_TUPLE, 2);
    if (!shape.items)
        return sc_oom(s, node);
    shape.items[0] = sc_ival(seqs->n), shape.items[1] = sc_ival(longest);
    *out = sc_data(NULL, N(s, node)->line);
    out->i = 1, out->items = shape.items, out->n = 2;
    return 1;
}

/* tf.ones((2, 3)), np.zeros((20, 10, 50)), np.random.random((4, 5)): data whose shape is known
 * (x.shape answers), from the shape given first or as shape=. 0 when f makes no such array. */
static int known_array(S *s, int node, const char *last, const Args *a, Val *out)
{
    if (!strcmp(last, "pad_sequences"))
        return padded_shape(s, node, a, out);
    if (a->n >= 1 && !a->kw[0] && a->v[0].kind == V_DATA && a->v[0].i == 1)
        return reshaped(s, node, last, a, out);
    static const char *const makers[] = {"ones",    "zeros", "empty", "random", "normal",
                                         "uniform", "rand",  "randn", "full"};
    if (!sc_in_list(makers, sizeof makers / sizeof *makers, last))
        return 0;
    const Val *shape = sc_kwarg(a, "shape", 0);
    if (!shape && a->n && !a->kw[0])
        shape = &a->v[0];
    if (!shape)
        return 0;
    Val one = *shape;
    if (shape->kind == V_INT) { /* np.zeros(5) */
        one = sc_seq(s, V_TUPLE, 1);
        if (!one.items)
            return sc_oom(s, node);
        one.items[0] = *shape;
    }
    if ((one.kind != V_TUPLE && one.kind != V_LIST) || one.n < 1 || one.n > SL_MAX_RANK)
        return 0;
    for (int k = 0; k < one.n; k++)
        if (one.items[k].kind != V_INT || one.items[k].i < 0)
            return 0;
    *out = sc_data(NULL, N(s, node)->line);
    out->i = 1;
    out->items = one.items;
    out->n = one.n;
    return 1;
}

static int module_call(S *s, int node, const Val *f, const Args *a, Val *out)
{
    const char *last = strrchr(f->s, '.') ? strrchr(f->s, '.') + 1 : f->s;
    int made = known_array(s, node, last, a, out);
    if (made)
        return made < 0 ? -1 : 0;
    if (!strcmp(last, "plot_model")) {
        sc_notice(s, N(s, node)->line,
                  "skipped %s(...): shapelab png MODEL.py draws the model, and shapelab summary "
                  "lists it",
                  f->s);
        *out = sc_noticed(N(s, node)->line);
        return 0;
    }
    if (!strcmp(last, "load_model") || !strcmp(last, "model_from_json")) {
        sc_notice(s, N(s, node)->line,
                  "skipped %s(...): shapelab builds a model from the code that makes it, and "
                  "reads saved weights with -w W.safetensors",
                  f->s);
        *out = sc_noticed(N(s, node)->line);
        return 0;
    }
    if (!strcmp(last, "clear_session")) { /* keras.backend.clear_session(): names start over */
        sl_clear_session();
        *out = sc_none();
        return 0;
    }
    int about_data = module_is_data(f) || sc_has_data(a);
    if (about_data) {
        *out = sc_data(NULL, N(s, node)->line);
        return 0;
    }
    if (strstr(f->s, "ops") || strstr(f->s, "math") || strstr(f->s, ".nn"))
        return sc_err(s, node,
                      "%s() on tensors is not supported yet: shapelab builds models from layers "
                      "(for an activation, layers.Activation('relu')(x))",
                      f->s);
    return sc_err(s, node, "shapelab does not know %s()", f->s);
}

/* A function of a family called: keras.activations.relu(x) on a tensor. */
static int object_call(S *s, int node, const Val *f, const Args *a, Val *out)
{
    if (sc_has_data(a)) {
        *out = sc_data(NULL, N(s, node)->line);
        return 0;
    }
    if (f->i == F_ACTIVATION)
        return sc_err(s, node,
                      "calling %s on a tensor is not supported yet: write "
                      "layers.Activation('%s')(x), or give activation='%s' to the layer before",
                      f->s, f->s, f->s);
    return sc_err(s, node, "%s cannot be called here", f->s);
}

int sc_eval_call(S *s, Env *env, int node, Val *out)
{
    const Node *n = N(s, node);
    const Node *callee = N(s, n->a);
    Args a;
    Val obj = sc_none(), f;
    int at = n->a;                /* errors point at what is called */
    if (callee->kind == N_ATTR) { /* a method: the object is evaluated once */
        if (sc_eval(s, env, callee->a, &obj) < 0)
            return -1;
        const char *who = N(s, callee->a)->kind == N_NAME ? N(s, callee->a)->s : NULL;
        if ((obj.kind == V_MODEL || obj.kind == V_LAYER) &&
            sc_in_list(runtime, sizeof runtime / sizeof *runtime, callee->s))
            return skip_runtime(s, at,
                                who                   ? who
                                : obj.kind == V_MODEL ? obj.model->name
                                                      : obj.layer->name,
                                callee->s, out);
        if (obj.kind == V_MODEL || obj.kind == V_LAYER || obj.kind == V_LIST || obj.kind == V_STR) {
            if (sc_eval_args(s, env, n->b, &a) < 0)
                return -1;
            if (obj.kind == V_STR)
                return str_method(s, at, obj.s, callee->s, &a, out);
            if (obj.kind == V_MODEL)
                return model_method(s, at, obj.model, callee->s, &a, out);
            if (obj.kind == V_LAYER)
                return layer_method(s, at, obj.layer, callee->s, &a, out);
            return list_method(s, env, at, callee->a, &obj, callee->s, &a, out);
        }
        if (sc_attr(s, n->a, &obj, callee->s, &f) < 0)
            return -1;
    } else if (sc_eval(s, env, n->a, &f) < 0) {
        return -1;
    }
    /* a call that makes data reads its arguments only as far as it can: a name from a cell that
     * was not pasted is data too (np.load(path), to_categorical(y_train, num_classes)) */
    int lenient = f.kind == V_DATA || (f.kind == V_MODULE && module_is_data(&f));
    s->lenient_names += lenient;
    int rc = sc_eval_args(s, env, n->b, &a);
    s->lenient_names -= lenient;
    if (rc < 0)
        return -1;
    switch (f.kind) {
    case V_CLASS:
        return class_call(s, at, &f, &a, out);
    case V_LAYER:
        return call_layer(s, at, f.layer, &a, out);
    case V_MODEL:
        return call_model(s, at, f.model, &a, out);
    case V_FUNC:
        return call_function(s, at, &f, &a, out);
    case V_OBJECT:
        return object_call(s, at, &f, &a, out);
    case V_DATA:
        *out = f;
        return 0;
    case V_MODULE:
        return module_call(s, at, &f, &a, out);
    default:
        return sc_err(s, at, "%s cannot be called", sc_kind_name(f.kind));
    }
}
