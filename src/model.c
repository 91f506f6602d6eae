/* model.c: building the graph of layer calls (Sequential and functional) and its parameters.
 * The plan, forward and backward are in plan.c. See model.h for the stages and which file owns
 * which function; DESIGN.md for the data path. */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "init.h"

SlModel *sl_model_new(const char *name)
{
    SlModel *m = sl_alloc_zero(1, sizeof *m);
    if (!m)
        return NULL;
    if (name)
        snprintf(m->name, sizeof m->name, "%s", name);
    else
        sl_unique_name("model", m->name, sizeof m->name);
    m->rng = sl_rng(0);
    m->cur_group = -1;
    return m;
}

SlModel *sl_sequential(const char *name)
{
    SlModel *m = sl_model_new(name ? name : NULL);
    if (m && !name)
        sl_unique_name("sequential", m->name, sizeof m->name);
    if (m)
        m->sequential = 1;
    return m;
}

/* Does p hold its values in m's arenas (or none yet)? A layer shared by two models holds them in
 * the arenas of the one that ran last (sl_model_ensure_params moves them). */
static int in_arena(const SlArena *a, const sl_real *p)
{
    return a->base && p >= a->base && p < a->base + a->cap;
}

void sl_model_free(SlModel *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->n_params; i++) /* a layer another model holds must not point here */
        if (in_arena(&m->values, m->params[i]->value.data)) {
            m->params[i]->value.data = NULL;
            m->params[i]->grad.data = NULL;
        }
    for (int i = 0; i < m->n_layers; i++)
        sl_layer_free(m->layers[i]);
    for (int i = 0; i < m->n_pending; i++)
        sl_layer_free(m->pending[i]);
    sl_arena_free(&m->values);
    sl_arena_free(&m->grads);
    sl_arena_free(&m->act);
    sl_optimizer_free(&m->opt);
    sl_free(m->mask_block);
    sl_free(m);
}

/* ---- building ---- */

/* Take l into m's layers (*fresh 1), unless m holds it already (a layer called twice: 0). */
static int adopt(SlModel *m, SlLayer *l, int *fresh, SlError *e)
{
    *fresh = 0;
    if (l->parent)
        return sl_errorf(e,
                         "layer '%s' is inside the wrapper '%s'; use the wrapper in the model, "
                         "not the layer it wraps",
                         l->name, l->parent->name);
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i] == l)
            return 0;
    *fresh = 1;
    if (m->n_layers >= SL_MAX_NODES) {
        sl_layer_free(l);
        return sl_errorf(e, "model '%s' has too many layers (at most %d)", m->name, SL_MAX_NODES);
    }
    for (int i = 0; i < m->n_layers && !m->scratch; i++)
        if (!strcmp(m->layers[i]->name, l->name)) {
            m->layers[m->n_layers++] = l; /* owned, so it is freed with the model */
            return sl_errorf(e,
                             "model '%s' already has a layer named '%s'; layer names must be "
                             "unique (pass another name=)",
                             m->name, l->name);
        }
    m->layers[m->n_layers++] = l;
    return 0;
}

/* Register a layer's parameters (and its children's) under their full Keras names, with `prefix`
 * (the path of a nested Sequential model, or "") in front. */
static int register_params(SlModel *m, SlLayer *l, const char *prefix, SlError *e)
{
    char path[SL_PARAM_NAME_MAX];
    snprintf(path, sizeof path, "%s%s%s", prefix, prefix[0] ? "/" : "", l->name);
    for (int i = 0; i < l->n_params; i++) {
        if (m->n_params >= SL_MAX_MODEL_PARAMS)
            return sl_errorf(e, "model '%s' has too many weight tensors", m->name);
        m->params[m->n_params] = &l->params[i];
        snprintf(m->param_names[m->n_params], SL_PARAM_NAME_MAX, "%s/%s", path, l->params[i].name);
        m->n_params++;
    }
    for (int i = 0; i < l->n_child; i++)
        if (register_params(m, l->child[i], path, e) < 0)
            return -1;
    m->params_ready = 0;
    return 0;
}

int sl_check_output_sizes(const SlLayer *l, const SlInfer *io, SlError *e)
{
    char b[96];
    for (int k = 0; k < io->n_out; k++) {
        const SlShape *s = &io->out[k];
        size_t count;
        for (int i = 0; i < s->rank; i++)
            if (s->dim[i] < 0 && s->dim[i] != SL_NONE)
                return sl_errorf(e, "layer '%s' (%s): its output %s has an axis of size %d",
                                 l->name, l->type->name, sl_shape_str(s, b, sizeof b), s->dim[i]);
        if (sl_shape_count_capped(s, SL_MAX_ELEMENTS, &count) < 0)
            return sl_errorf(e,
                             "layer '%s' (%s): its output %s would hold more than %d values%s, "
                             "shapelab's limit for one tensor%s",
                             l->name, l->type->name, sl_shape_str(s, b, sizeof b), SL_MAX_ELEMENTS,
                             s->dim[0] == SL_NONE ? " per sample" : "",
                             s->dim[0] == SL_NONE ? "" : "; use smaller batches");
    }
    return 0;
}

/* The weights of a model fit its arenas' limit (each tensor's own was checked as declared). */
static int check_model_size(const SlModel *m, SlError *e)
{
    size_t total = sl_model_count_params(m);
    if (total > SL_MAX_ELEMENTS)
        return sl_errorf(e, "model '%s' would hold %zu weights, more than shapelab's limit of %d",
                         m->name, total, SL_MAX_ELEMENTS);
    return 0;
}

void sl_node_explain(SlNode *nd, const SlInfer *io)
{
    nd->layer->type->explain(nd->layer, io, nd->why, sizeof nd->why);
    int had = 0, kept = 0;
    for (int k = 0; k < io->n_in; k++)
        had |= io->in_mask[k];
    for (int k = 0; k < io->n_out; k++)
        kept |= io->out_mask[k] != SL_MASK_NONE;
    if (had && !kept) {
        size_t u = strlen(nd->why);
        snprintf(nd->why + u, sizeof nd->why - u,
                 "; the mask stops here (Keras drops it without a word)");
    }
}

/* sl_model_call, with the weights of a layer new to m registered under `prefix`. */
static int call_node(SlModel *m, SlLayer *l, int n_in, const int *in, int *outs, const char *prefix,
                     SlError *e)
{
    int fresh;
    if (adopt(m, l, &fresh, e) < 0)
        return -1;
    if (m->n_nodes >= SL_MAX_NODES)
        return sl_errorf(e, "model '%s' has too many layer calls", m->name);
    if (n_in > SL_MAX_IO)
        return sl_errorf(e, "layer '%s' called on %d tensors; at most %d", l->name, n_in,
                         SL_MAX_IO);
    SlNode *nd = &m->nodes[m->n_nodes];
    memset(nd, 0, sizeof *nd);
    nd->layer = l;
    nd->sym.n_in = n_in;
    for (int k = 0; k < n_in; k++) {
        if (in[k] < 0 || in[k] >= m->n_tensors)
            return sl_errorf(e, "layer '%s' called on a tensor that is not part of model '%s'",
                             l->name, m->name);
        nd->in[k] = in[k];
        nd->sym.in[k] = m->t[in[k]].shape;
        nd->sym.in_mask[k] = (unsigned char)m->t[in[k]].has_mask;
    }
    if (l->type->infer(l, &nd->sym, e) < 0 || sl_check_output_sizes(l, &nd->sym, e) < 0)
        return -1;
    if (m->n_tensors + nd->sym.n_out > SL_MAX_TENSORS)
        return sl_errorf(e, "model '%s' has too many tensors", m->name);
    if (!l->built) {
        if (l->type->params(l, &nd->sym, e) < 0)
            return -1;
        l->built = 1;
    }
    /* its weights join every model that holds it, once (Keras shares them) */
    if (fresh && (register_params(m, l, prefix, e) < 0 || check_model_size(m, e) < 0))
        return -1;
    nd->group = m->cur_group;
    for (int k = 0; k < nd->sym.n_out; k++) {
        SlEdge *t = &m->t[m->n_tensors];
        memset(t, 0, sizeof *t);
        t->shape = nd->sym.out[k];
        t->has_mask = nd->sym.out_mask[k] != SL_MASK_NONE;
        t->node = m->n_nodes;
        t->index = k;
        nd->out[k] = m->n_tensors++;
        if (outs)
            outs[k] = nd->out[k];
    }
    sl_node_explain(nd, &nd->sym);
    m->n_nodes++;
    m->planned = 0;
    return nd->out[0];
}

int sl_model_call(SlModel *m, SlLayer *l, int n_in, const int *in, int *outs, SlError *e)
{
    return call_node(m, l, n_in, in, outs, "", e);
}

int sl_model_input(SlModel *m, SlLayer *input_layer, SlError *e)
{
    if (!sl_layer_is(input_layer, SL_KIND_INPUT)) {
        sl_layer_free(input_layer);
        return sl_errorf(e, "sl_model_input needs an InputLayer");
    }
    return sl_model_call(m, input_layer, 0, NULL, NULL, e);
}

int sl_model_set_io(SlModel *m, int n_in, const int *in, int n_out, const int *out, SlError *e)
{
    if (n_in < 1 || n_in > SL_MAX_MODEL_IO || n_out < 1 || n_out > SL_MAX_MODEL_IO)
        return sl_errorf(e, "model '%s' needs 1 to %d inputs and outputs", m->name,
                         SL_MAX_MODEL_IO);
    for (int k = 0; k < n_in; k++) {
        if (in[k] < 0 || in[k] >= m->n_tensors ||
            !sl_layer_is(m->nodes[m->t[in[k]].node].layer, SL_KIND_INPUT))
            return sl_errorf(e, "model '%s': inputs must be tensors made by Input()", m->name);
        m->inputs[k] = in[k];
    }
    for (int k = 0; k < n_out; k++) {
        if (out[k] < 0 || out[k] >= m->n_tensors)
            return sl_errorf(e, "model '%s': an output is not a tensor of this model", m->name);
        m->outputs[k] = out[k];
    }
    m->n_inputs = n_in;
    m->n_outputs = n_out;
    m->planned = 0;
    if (sl_model_mark_active(m, e) < 0) {
        m->n_inputs = m->n_outputs = 0;
        return -1;
    }
    return 0;
}

/* Sequential: give the chain its input, then call the layer on the current output. */
static int seq_append(SlModel *m, SlLayer *l, SlError *e)
{
    int outs[SL_MAX_IO];
    if (sl_model_call(m, l, 1, &m->outputs[0], outs, e) < 0)
        return -1;
    if (m->nodes[m->n_nodes - 1].sym.n_out != 1)
        return sl_errorf(e,
                         "layer '%s' has %d outputs; every layer of a Sequential model must "
                         "have one (use the functional API: Model(inputs, outputs))",
                         l->name, m->nodes[m->n_nodes - 1].sym.n_out);
    m->outputs[0] = outs[0];
    return 0;
}

/* The chain starts at this InputLayer. */
static int seq_set_input(SlModel *m, SlLayer *input_layer, SlError *e)
{
    int t = sl_model_input(m, input_layer, e);
    if (t < 0)
        return -1;
    m->inputs[0] = m->outputs[0] = t;
    m->n_inputs = m->n_outputs = 1;
    return 0;
}

/* A Sequential whose first layer carries input_shape=: an implicit InputLayer "<first>_input". */
static int seq_start(SlModel *m, SlShape shape, const char *first_name, SlError *e)
{
    SlArgs a;
    SlError e2;
    char name[SL_NAME_MAX + 8];
    int dims[SL_MAX_RANK];
    sl_args_init(&a);
    snprintf(name, sizeof name, "%s_input", first_name);
    for (int i = 0; i < shape.rank; i++)
        dims[i] = shape.dim[i];
    SlValue items[SL_MAX_RANK];
    for (int i = 0; i < shape.rank; i++)
        items[i] = dims[i] == SL_NONE ? sl_value_none() : sl_value_int(dims[i]);
    if (sl_args_add(&a, "batch_shape", sl_value_tuple(&a, shape.rank, items, 0), &e2) < 0 ||
        sl_args_add(&a, "name", sl_value_str(&a, name), &e2) < 0)
        return sl_errorf(e, "%s", e2.msg);
    SlLayer *in = sl_layer_create("InputLayer", &a, e);
    return in ? seq_set_input(m, in, e) : -1;
}

int sl_model_add(SlModel *m, SlLayer *l, SlError *e)
{
    if (!l)
        return -1; /* its creation failed and already said why in e */
    int fresh;
    if (l->parent) /* not ours to free: it belongs to its wrapper */
        return adopt(m, l, &fresh, e);
    if (!m->sequential) {
        sl_layer_free(l);
        return sl_errorf(e, "model '%s' is functional; add() is for Sequential models", m->name);
    }
    int started = m->n_inputs > 0;
    if (sl_layer_is(l, SL_KIND_INPUT)) {
        if (started || m->n_pending) {
            sl_layer_free(l);
            return sl_errorf(e, "an InputLayer can only be the first layer of a Sequential "
                                "model");
        }
        return seq_set_input(m, l, e);
    }
    if (!started && !m->n_pending && l->has_input_shape &&
        seq_start(m, l->input_shape, l->name, e) < 0) {
        sl_layer_free(l);
        return -1;
    }
    if (m->n_inputs == 0) { /* no shape yet: wait for sl_model_build */
        if (m->n_pending >= SL_MAX_NODES) {
            sl_layer_free(l);
            return sl_errorf(e, "too many layers");
        }
        m->pending[m->n_pending++] = l;
        return 0;
    }
    return seq_append(m, l, e);
}

int sl_model_build(SlModel *m, SlShape input, SlError *e)
{
    if (m->n_inputs > 0)
        return 0;
    if (m->n_pending == 0)
        return sl_errorf(e, "model '%s' has no layers to build", m->name);
    if (seq_start(m, input, m->pending[0]->name, e) < 0)
        return -1;
    int n = m->n_pending, rc = 0;
    m->n_pending = 0;
    for (int i = 0; i < n; i++) {
        int fresh;
        if (rc == 0)
            rc = seq_append(m, m->pending[i], e);
        else if (adopt(m, m->pending[i], &fresh, NULL) < 0)
            continue; /* adopt frees on failure */
    }
    return rc;
}

/* ---- several models on one graph, and models used as layers ---- */

/* The calls of m that the tensors `out` need, back to the Input calls, into take[]; -1 when they
 * need an Input not among `in` (which then names it in e). */
static int needed(const SlModel *m, int n_in, const int *in, int n_out, const int *out,
                  unsigned char *take, SlError *e)
{
    memset(take, 0, SL_MAX_NODES);
    for (int k = 0; k < n_out; k++)
        take[m->t[out[k]].node] = 1;
    for (int n = m->n_nodes - 1; n >= 0; n--) {
        if (!take[n])
            continue;
        const SlNode *nd = &m->nodes[n];
        for (int k = 0; k < nd->sym.n_in; k++)
            take[m->t[nd->in[k]].node] = 1;
        int given = nd->sym.n_in > 0;
        for (int k = 0; k < n_in; k++)
            given |= m->t[in[k]].node == n;
        if (!given)
            return sl_errorf(e,
                             "the outputs depend on the Input '%s', which is not among the "
                             "model's inputs (Keras: graph disconnected); list it in "
                             "Model(inputs=[...])",
                             nd->layer->name);
    }
    return 0;
}

/* One weight of l or of its inner layers, and the path from l to it: "lstm/lstm_cell/kernel"
 * ("bidirectional/forward_lstm/lstm_cell/kernel" for a wrapper). 0 when l has no weights. */
static int first_weight(const SlLayer *l, const SlParam **p, char *path, size_t n)
{
    if (l->n_params > 0) {
        *p = &l->params[0];
        snprintf(path, n, "%s/%s", l->name, l->params[0].name);
        return 1;
    }
    for (int i = 0; i < l->n_child; i++) {
        char sub[SL_PARAM_NAME_MAX];
        if (first_weight(l->child[i], p, sub, sizeof sub)) {
            snprintf(path, n, "%s/%s", l->name, sub);
            return 1;
        }
    }
    return 0;
}

/* The path m put in front of l's weight names ("" or "inner_model"), from the name it gave one of
 * them. */
static void weight_prefix(const SlModel *m, const SlLayer *l, char *out, size_t n)
{
    const SlParam *p;
    char path[SL_PARAM_NAME_MAX];
    out[0] = '\0';
    if (!first_weight(l, &p, path, sizeof path))
        return;
    for (int i = 0; i < m->n_params; i++) {
        size_t len = strlen(m->param_names[i]), plen = strlen(path);
        if (m->params[i] == p && len > plen + 1 && !strcmp(m->param_names[i] + len - plen, path))
            snprintf(out, n, "%.*s", (int)(len - plen - 1), m->param_names[i]);
    }
}

/* Call l in m, as it was called in src: m holds it too from then on (retained, so either model
 * may be freed first), and its weights are named with `outer` ("" or a nested model's name) in
 * front of the path src gave them. */
static int copy_call(SlModel *m, const SlModel *src, const SlNode *nd, const int *ins, int *outs,
                     const char *outer, SlError *e)
{
    char pre[SL_PARAM_NAME_MAX], prefix[SL_PARAM_NAME_MAX];
    int held = 0;
    for (int i = 0; i < m->n_layers; i++)
        held |= m->layers[i] == nd->layer;
    if (!held)
        sl_layer_retain(nd->layer);
    weight_prefix(src, nd->layer, pre, sizeof pre);
    snprintf(prefix, sizeof prefix, "%s%s%s", outer, outer[0] && pre[0] ? "/" : "", pre);
    return call_node(m, nd->layer, nd->sym.n_in, ins, outs, prefix, e) < 0 ? -1 : 0;
}

/* The tensors of src's call nd, as ids of m through map; -1 for one not copied yet. */
static int map_inputs(const SlNode *nd, const int *map, int *ins)
{
    for (int k = 0; k < nd->sym.n_in; k++)
        if ((ins[k] = map[nd->in[k]]) < 0)
            return -1;
    return 0;
}

SlModel *sl_model_functional(const SlModel *g, int n_in, const int *in, int n_out, const int *out,
                             const char *name, SlError *e)
{
    unsigned char take[SL_MAX_NODES];
    int map[SL_MAX_TENSORS], group_map[SL_MAX_GROUPS], ii[SL_MAX_MODEL_IO], oo[SL_MAX_MODEL_IO];
    if (n_in < 1 || n_in > SL_MAX_MODEL_IO || n_out < 1 || n_out > SL_MAX_MODEL_IO) {
        sl_errorf(e, "Model() takes 1 to %d inputs and outputs", SL_MAX_MODEL_IO);
        return NULL;
    }
    for (int k = 0; k < n_in; k++)
        if (in[k] < 0 || in[k] >= g->n_tensors ||
            !sl_layer_is(g->nodes[g->t[in[k]].node].layer, SL_KIND_INPUT)) {
            sl_errorf(e, "Model(): inputs must be tensors made by Input()");
            return NULL;
        }
    if (needed(g, n_in, in, n_out, out, take, e) < 0)
        return NULL;
    for (int k = 0; k < n_in; k++) /* an input no output uses is still one (Keras lists it) */
        take[g->t[in[k]].node] = 1;
    SlModel *m = sl_model_new(name);
    if (!m) {
        sl_errorf(e, "out of memory");
        return NULL;
    }
    for (int t = 0; t < SL_MAX_TENSORS; t++)
        map[t] = -1;
    for (int k = 0; k < SL_MAX_GROUPS; k++)
        group_map[k] = -1;
    for (int n = 0; n < g->n_nodes; n++) {
        const SlNode *nd = &g->nodes[n];
        int ins[SL_MAX_IO], outs[SL_MAX_IO], gr = nd->group;
        if (!take[n])
            continue;
        if (gr >= 0 && group_map[gr] < 0) { /* a nested model called in g: one too in m */
            if (m->n_groups >= SL_MAX_GROUPS) {
                sl_errorf(e, "model '%s' holds too many nested models", m->name);
                goto fail;
            }
            group_map[gr] = m->n_groups;
            m->groups[m->n_groups++] = g->groups[gr];
        }
        m->cur_group = gr >= 0 ? group_map[gr] : -1;
        if (map_inputs(nd, map, ins) < 0 || copy_call(m, g, nd, ins, outs, "", e) < 0)
            goto fail;
        for (int k = 0; k < nd->sym.n_out; k++)
            map[nd->out[k]] = outs[k];
    }
    m->cur_group = -1;
    for (int gr = 0; gr < g->n_groups; gr++) { /* the nested models' tensors, renumbered */
        SlGroup *to = group_map[gr] >= 0 ? &m->groups[group_map[gr]] : NULL;
        for (int k = 0; to && k < to->n_in; k++)
            to->in[k] = map[g->groups[gr].in[k]];
        for (int k = 0; to && k < to->n_out; k++)
            to->out[k] = map[g->groups[gr].out[k]];
    }
    for (int k = 0; k < n_in; k++)
        ii[k] = map[in[k]];
    for (int k = 0; k < n_out; k++)
        oo[k] = map[out[k]];
    if (sl_model_set_io(m, n_in, ii, n_out, oo, e) == 0)
        return m;
fail:
    sl_model_free(m);
    return NULL;
}

/* Can inner take a tensor of shape `got` as its input k? Keras's rule: the same rank, and the same
 * size on every axis where both know it. */
static int check_nested_input(const SlModel *inner, int k, const SlShape *got, SlError *e)
{
    SlShape want = inner->t[inner->inputs[k]].shape;
    int ok = want.rank == got->rank;
    for (int d = 0; ok && d < want.rank; d++)
        ok = want.dim[d] == SL_NONE || got->dim[d] == SL_NONE || want.dim[d] == got->dim[d];
    if (ok)
        return 0;
    char a[96], b[96];
    return sl_errorf(e, "model '%s' takes input %d of shape %s, and was called on %s", inner->name,
                     k, sl_shape_str(&want, a, sizeof a), sl_shape_str(got, b, sizeof b));
}

int sl_model_call_model(SlModel *m, const SlModel *inner, int n_in, const int *in, int *outs,
                        SlError *e)
{
    unsigned char take[SL_MAX_NODES];
    int map[SL_MAX_TENSORS];
    if (inner == m)
        return sl_errorf(e, "model '%s' cannot be a layer of itself", m->name);
    if (inner->n_outputs == 0)
        return sl_errorf(e, "model '%s' is not built yet (it has no input shape)", inner->name);
    if (n_in != inner->n_inputs)
        return sl_errorf(e, "model '%s' takes %d input%s, and was called on %d", inner->name,
                         inner->n_inputs, inner->n_inputs == 1 ? "" : "s", n_in);
    if (inner->n_outputs > SL_MAX_IO)
        return sl_errorf(e, "model '%s' has %d outputs; a model used as a layer has at most %d",
                         inner->name, inner->n_outputs, SL_MAX_IO);
    if (m->n_groups >= SL_MAX_GROUPS)
        return sl_errorf(e, "model '%s' holds too many nested models", m->name);
    for (int k = 0; k < n_in; k++)
        if (check_nested_input(inner, k, &m->t[in[k]].shape, e) < 0)
            return -1;
    if (needed(inner, inner->n_inputs, inner->inputs, inner->n_outputs, inner->outputs, take, e) <
        0)
        return -1;
    for (int t = 0; t < SL_MAX_TENSORS; t++)
        map[t] = -1;
    for (int k = 0; k < n_in; k++)
        map[inner->inputs[k]] = in[k];
    SlGroup *gr = &m->groups[m->n_groups];
    memset(gr, 0, sizeof *gr);
    snprintf(gr->name, sizeof gr->name, "%s", inner->name);
    gr->sequential = inner->sequential;
    gr->n_in = n_in;
    memcpy(gr->in, in, (size_t)n_in * sizeof *in);
    m->cur_group = m->n_groups++;
    int rc = 0;
    for (int n = 0; n < inner->n_nodes && rc == 0; n++) {
        const SlNode *nd = &inner->nodes[n];
        int ins[SL_MAX_IO], o[SL_MAX_IO];
        if (!take[n] || nd->sym.n_in == 0) /* its Inputs are the tensors it is called on */
            continue;
        rc = map_inputs(nd, map, ins) < 0 ||
                     copy_call(m, inner, nd, ins, o, inner->sequential ? inner->name : "", e) < 0
                 ? -1
                 : 0;
        for (int k = 0; rc == 0 && k < nd->sym.n_out; k++)
            map[nd->out[k]] = o[k];
    }
    m->cur_group = -1;
    if (rc < 0)
        return -1;
    gr->n_out = inner->n_outputs;
    for (int k = 0; k < inner->n_outputs; k++)
        gr->out[k] = outs[k] = map[inner->outputs[k]];
    return 0;
}

int sl_model_add_model(SlModel *m, SlModel *inner, SlError *e)
{
    if (!m->sequential)
        return sl_errorf(e, "model '%s' is functional; call '%s' on a tensor instead of add()",
                         m->name, inner->name);
    if (inner->n_outputs == 0 && m->n_inputs > 0 &&
        sl_model_build(inner, m->t[m->outputs[0]].shape, e) < 0)
        return -1;
    if (inner->n_inputs != 1 || inner->n_outputs != 1)
        return sl_errorf(e,
                         "model '%s' has %d inputs and %d outputs; a layer of a Sequential model "
                         "has one of each",
                         inner->name, inner->n_inputs, inner->n_outputs);
    if (m->n_pending)
        return sl_errorf(e,
                         "model '%s' has no input shape yet, so '%s' cannot follow its layers; "
                         "start it with keras.Input(shape=...)",
                         m->name, inner->name);
    if (m->n_inputs == 0 && seq_start(m, inner->t[inner->inputs[0]].shape, inner->name, e) < 0)
        return -1;
    int out;
    if (sl_model_call_model(m, inner, 1, &m->outputs[0], &out, e) < 0)
        return -1;
    m->outputs[0] = out;
    return 0;
}

SlShape sl_model_output_shape(const SlModel *m, int k)
{
    return m->t[m->outputs[k]].shape;
}

size_t sl_model_count_params(const SlModel *m)
{
    size_t n = 0;
    for (int i = 0; i < m->n_params; i++)
        n += sl_shape_count(&m->params[i]->shape);
    return n;
}

/* ---- parameters ---- */

void sl_param_full_name(const SlModel *m, int i, char *buf, size_t n)
{
    snprintf(buf, n, "%s", m->param_names[i]);
}

int sl_model_find_param(const SlModel *m, const char *full_name)
{
    for (int i = 0; i < m->n_params; i++)
        if (!strcmp(m->param_names[i], full_name))
            return i;
    return -1;
}

static void init_one(SlModel *m, int i, uint64_t seed)
{
    /* One stream per weight tensor, so adding a layer does not change the others' start; an
     * initializer with its own seed= starts from that seed alone, as Keras's does. */
    SlParam *p = m->params[i];
    SlRng r = p->init.has_seed ? sl_rng((uint64_t)p->init.seed)
                               : sl_rng(seed + 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1));
    sl_init_fill(&p->init, p->value.data, &p->shape, &r);
}

/* Make the arenas match the declared parameters; keep values already set, initialize new ones. */
int sl_model_ensure_params(SlModel *m, SlError *e)
{
    int here = m->params_ready; /* and no shared layer moved its weights to another model's */
    for (int i = 0; here && i < m->n_params; i++)
        here = in_arena(&m->values, m->params[i]->value.data);
    if (here)
        return 0;
    size_t total = sl_model_count_params(m);
    SlArena values = {0}, grads = {0};
    if (sl_arena_reserve(&values, total) < 0 || sl_arena_reserve(&grads, total) < 0) {
        sl_arena_free(&values);
        return sl_errorf(e, "out of memory for %zu weights", total);
    }
    for (int i = 0; i < m->n_params; i++) {
        SlParam *p = m->params[i];
        size_t n = sl_shape_count(&p->shape);
        sl_real *v = sl_arena_take(&values, n), *g = sl_arena_take(&grads, n);
        int had = p->value.data != NULL;
        if (had)
            memcpy(v, p->value.data, n * sizeof *v);
        p->value = sl_tensor(p->shape, v);
        p->grad = sl_tensor(p->shape, g);
        if (!had)
            init_one(m, i, m->seed);
    }
    sl_arena_free(&m->values);
    sl_arena_free(&m->grads);
    m->values = values;
    m->grads = grads;
    m->params_ready = 1;
    return 0;
}

int sl_model_init_params(SlModel *m, uint64_t seed, SlError *e)
{
    m->seed = seed;
    if (sl_model_ensure_params(m, e) < 0)
        return -1;
    for (int i = 0; i < m->n_params; i++)
        init_one(m, i, seed);
    return 0;
}

/* ---- integer codes (layers that declare `codes`: Embedding) ---- */

int sl_model_code_range(const SlModel *m, int k)
{
    int range = 0;
    for (int n = 0; n < m->n_nodes; n++) {
        const SlNode *nd = &m->nodes[n];
        int codes = nd->sym.n_in ? nd->layer->type->codes(nd->layer) : 0;
        if (codes > 0 && nd->in[0] == m->inputs[k])
            range = range && range < codes ? range : codes;
    }
    return range;
}

int sl_model_check_codes(const SlModel *m, int k, const SlTensor *x, SlError *e)
{
    int codes = sl_model_code_range(m, k);
    size_t count = sl_tensor_count(x);
    size_t per = x->shape.dim[0] > 0 ? count / (size_t)x->shape.dim[0] : count;
    for (size_t i = 0; codes > 0 && i < count; i++) {
        sl_real v = x->data[i];
        if (v >= 0 && v < codes && v == floor(v))
            continue;
        const SlLayer *l = NULL; /* the first layer that reads these codes */
        for (int n = 0; n < m->n_nodes && !l; n++)
            if (m->nodes[n].sym.n_in && m->nodes[n].in[0] == m->inputs[k] &&
                m->nodes[n].layer->type->codes(m->nodes[n].layer) > 0)
                l = m->nodes[n].layer;
        return sl_errorf(
            e,
            "layer '%s' (%s) reads codes, whole numbers 0 to %d (one row each), but "
            "the data holds %g at sample %zu, position %zu (flat index %zu). Fix: give "
            "input_dim=(the largest code + 1), or map the data to whole numbers "
            "from 0",
            l->name, l->type->name, codes - 1, (double)v, i / per, i % per, i);
    }
    return 0;
}
