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

void sl_model_free(SlModel *m)
{
    if (!m)
        return;
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

static int adopt(SlModel *m, SlLayer *l, SlError *e)
{
    if (l->parent)
        return sl_errorf(e,
                         "layer '%s' is inside the wrapper '%s'; use the wrapper in the model, "
                         "not the layer it wraps",
                         l->name, l->parent->name);
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i] == l)
            return 0;
    if (m->n_layers >= SL_MAX_NODES) {
        sl_layer_free(l);
        return sl_errorf(e, "model '%s' has too many layers (at most %d)", m->name, SL_MAX_NODES);
    }
    for (int i = 0; i < m->n_layers; i++)
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

/* Register a layer's parameters (and its children's) under their full Keras names. */
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

int sl_model_call(SlModel *m, SlLayer *l, int n_in, const int *in, int *outs, SlError *e)
{
    if (adopt(m, l, e) < 0)
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
        if (l->type->params(l, &nd->sym, e) < 0 || register_params(m, l, "", e) < 0 ||
            check_model_size(m, e) < 0)
            return -1;
        l->built = 1;
    }
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
    if (l->parent) /* not ours to free: it belongs to its wrapper */
        return adopt(m, l, e);
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
        if (rc == 0)
            rc = seq_append(m, m->pending[i], e);
        else if (adopt(m, m->pending[i], NULL) < 0)
            continue; /* adopt frees on failure */
    }
    return rc;
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
    if (m->params_ready)
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
