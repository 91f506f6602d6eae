/* plan.c: planning buffers for a concrete batch, and running the graph forward and backward.
 *
 * The plan sizes one block for every tensor's values and gradients, every call's scratch and every
 * created mask. It remembers the capacity of each piece: a later batch whose pieces all fit runs
 * on views of the same block (a shorter sequence uses the front of each buffer), and only a piece
 * that needs more room regrows the block. After the first step of a training loop, forward and
 * backward allocate nothing.
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "model.h"

/* All activations, gradients and scratch of one plan, in values: 4 GiB of float32. */
enum { SL_MAX_PLAN = 1 << 30 };

/* The shape check a learner meets first: data against the model's input. */
int sl_model_check_input(const SlModel *m, int k, const SlShape *got, SlError *e)
{
    const SlEdge *t = &m->t[m->inputs[k]];
    const char *name = m->nodes[t->node].layer->name;
    char want[96], have[96], fix[256] = "";
    sl_shape_str(&t->shape, want, sizeof want);
    sl_shape_str(got, have, sizeof have);
    if (!sl_shape_is_concrete(got) || got->dim[0] <= 0)
        return sl_errorf(e, "model input '%s': data of shape %s has an empty or unknown axis", name,
                         have);
    if (sl_shape_matches(&t->shape, got))
        return 0;
    if (got->rank + 1 == t->shape.rank && t->shape.dim[t->shape.rank - 1] == 1) {
        SlShape s = *got;
        s.dim[s.rank++] = 1;
        char to[96];
        snprintf(fix, sizeof fix,
                 " Fix: add a features axis of size 1: reshape the data to %s "
                 "(in NumPy: X.reshape(X.shape + (1,)))",
                 sl_shape_str(&s, to, sizeof to));
    } else if (got->rank != t->shape.rank) {
        snprintf(fix, sizeof fix,
                 " Fix: the data needs %d axes, the batch axis first; each "
                 "sample must have the shape the model was given",
                 t->shape.rank);
    } else {
        for (int i = 0; i < got->rank; i++)
            if (t->shape.dim[i] != SL_NONE && t->shape.dim[i] != got->dim[i]) {
                snprintf(fix, sizeof fix, " Fix: axis %d must be %d%s", i, t->shape.dim[i],
                         i == 0 ? " (the model has a fixed batch size)"
                         : i == 1 && got->rank == 3
                             ? " (the model was built for that many timesteps; built with None "
                               "there, as input_shape=(None, features), it takes any length)"
                             : "");
                break;
            }
    }
    return sl_errorf(e, "model input '%s' expects %s, got %s.%s", name, want, have, fix);
}

/* Which calls the outputs need: walk back from the outputs; every model input too. A needed Input that is not one of the
 * model's inputs means the graph is disconnected (Keras's "Graph disconnected" error). */
int sl_model_mark_active(SlModel *m, SlError *e)
{
    memset(m->active, 0, sizeof m->active);
    for (int k = 0; k < m->n_outputs; k++)
        m->active[m->t[m->outputs[k]].node] = 1;
    for (int n = m->n_nodes - 1; n >= 0; n--) {
        if (!m->active[n])
            continue;
        const SlNode *nd = &m->nodes[n];
        for (int k = 0; k < nd->sym.n_in; k++)
            m->active[m->t[nd->in[k]].node] = 1;
        if (nd->sym.n_in == 0) {
            int is_input = 0;
            for (int k = 0; k < m->n_inputs; k++)
                is_input |= m->t[m->inputs[k]].node == n;
            if (!is_input)
                return sl_errorf(e,
                                 "model '%s': its outputs depend on '%s', which is not one of "
                                 "its inputs; list it in Model(inputs=[...])",
                                 m->name, nd->layer->name);
        }
    }
    for (int k = 0; k < m->n_inputs; k++)       /* an input no output uses, as Keras allows: fed, */
        m->active[m->t[m->inputs[k]].node] = 1; /* listed, and its gradient is zero */
    return 0;
}

/* Concrete shapes for every call the outputs need, and the scratch each declares. */
static int infer_run(SlModel *m, SlError *e)
{
    for (int n = 0; n < m->n_nodes; n++) {
        SlNode *nd = &m->nodes[n];
        if (!m->active[n])
            continue;
        SlLayer *l = nd->layer;
        if (nd->sym.n_in == 0) { /* an Input: its shape was set from the data */
            nd->run = nd->sym;
            nd->run.out[0] = m->t[nd->out[0]].run;
        } else {
            memset(&nd->run, 0, sizeof nd->run);
            nd->run.n_in = nd->sym.n_in;
            for (int k = 0; k < nd->run.n_in; k++) {
                nd->run.in[k] = m->t[nd->in[k]].run;
                nd->run.in_mask[k] = nd->sym.in_mask[k];
            }
            if (l->type->infer(l, &nd->run, e) < 0 || sl_check_output_sizes(l, &nd->run, e) < 0)
                return -1;
        }
        for (int k = 0; k < nd->run.n_out; k++) {
            if (!sl_shape_is_concrete(&nd->run.out[k])) {
                char s[96];
                return sl_errorf(e,
                                 "layer '%s' cannot work out its output size %s from this "
                                 "batch",
                                 l->name, sl_shape_str(&nd->run.out[k], s, sizeof s));
            }
            m->t[nd->out[k]].run = nd->run.out[k];
        }
        l->type->scratch(l, &nd->run, &nd->scratch);
        for (int k = 0; k < nd->scratch.n; k++)
            if (nd->scratch.count[k] > SL_MAX_ELEMENTS)
                return sl_errorf(e,
                                 "layer '%s' (%s): its buffer '%s' for this batch would hold %zu "
                                 "values, more than shapelab's limit of %d; use smaller batches",
                                 l->name, l->type->name, nd->scratch.name[k], nd->scratch.count[k],
                                 SL_MAX_ELEMENTS);
        sl_node_explain(nd, &nd->run);
    }
    return 0;
}

/* Does every piece of this batch fit the planned capacities? */
static int fits(const SlModel *m)
{
    if (!m->planned)
        return 0;
    for (int i = 0; i < m->n_tensors; i++) {
        const SlEdge *t = &m->t[i];
        if (!m->active[t->node])
            continue;
        if (sl_shape_count(&t->run) > t->cap)
            return 0;
        if (t->mask_cap && (size_t)t->run.dim[0] * (size_t)t->run.dim[1] > t->mask_cap)
            return 0;
    }
    for (int n = 0; n < m->n_nodes; n++)
        for (int s = 0; m->active[n] && s < m->nodes[n].scratch.n; s++)
            if (m->nodes[n].scratch.count[s] > m->nodes[n].scratch_cap[s])
                return 0;
    return 1;
}

/* Grow the capacities to this batch's needs (never shrink) and carve one block again. */
static int regrow(SlModel *m, SlError *e)
{
    size_t total = 0, masks = 0;
    for (int i = 0; i < m->n_tensors; i++) {
        SlEdge *t = &m->t[i];
        size_t need = m->active[t->node] ? sl_shape_count(&t->run) : 0;
        t->cap = need > t->cap ? need : t->cap;
        total += 2 * t->cap; /* values and gradients */
        const SlNode *nd = &m->nodes[t->node];
        if (m->active[t->node] && nd->run.out_mask[t->index] == SL_MASK_NEW) {
            size_t bt = (size_t)t->run.dim[0] * (size_t)t->run.dim[1];
            t->mask_cap = bt > t->mask_cap ? bt : t->mask_cap;
        }
        masks += t->mask_cap;
    }
    for (int n = 0; n < m->n_nodes; n++) {
        SlNode *nd = &m->nodes[n];
        for (int s = 0; m->active[n] && s < nd->scratch.n; s++) {
            size_t need = nd->scratch.count[s];
            nd->scratch_cap[s] = need > nd->scratch_cap[s] ? need : nd->scratch_cap[s];
            total += nd->scratch_cap[s];
        }
    }
    sl_free(m->mask_block);
    m->mask_block = NULL;
    m->planned = 0;
    if (total > SL_MAX_PLAN)
        return sl_errorf(e,
                         "model '%s': this batch needs %zu activation values, more than "
                         "shapelab's limit of %d; use smaller batches",
                         m->name, total, SL_MAX_PLAN);
    if (sl_arena_reserve(&m->act, total) < 0)
        return sl_errorf(e, "out of memory planning %zu activation values", total);
    if (masks && !(m->mask_block = sl_alloc_zero(masks, 1)))
        return sl_errorf(e, "out of memory planning masks");
    unsigned char *mb = m->mask_block;
    for (int i = 0; i < m->n_tensors; i++) {
        SlEdge *t = &m->t[i];
        t->val = sl_arena_take(&m->act, t->cap);
        t->grad = sl_arena_take(&m->act, t->cap);
        t->mask_buf = t->mask_cap ? mb : NULL;
        if (t->mask_cap) /* mb is NULL when no tensor has a mask: no arithmetic on it then */
            mb += t->mask_cap;
    }
    for (int n = 0; n < m->n_nodes; n++)
        for (int s = 0; m->active[n] && s < m->nodes[n].scratch.n; s++)
            m->nodes[n].scratch_buf[s] = sl_arena_take(&m->act, m->nodes[n].scratch_cap[s]);
    m->planned = 1;
    return 0;
}

int sl_model_plan_shapes(SlModel *m, const SlShape *in_shapes, SlError *e)
{
    m->forwarded = 0;
    if (m->n_inputs == 0 && m->sequential)
        return sl_errorf(e,
                         "model '%s' is not built: give its first layer an input shape "
                         "(input_shape=... or an Input), or build it for a shape",
                         m->name);
    if (m->n_inputs == 0)
        return sl_errorf(e,
                         "model '%s' has no inputs and outputs yet: choose them as "
                         "Model(inputs=..., outputs=...) does",
                         m->name);
    if (sl_model_mark_active(m, e) < 0)
        return -1;
    if (sl_model_ensure_params(m, e) < 0)
        return -1;
    for (int k = 0; k < m->n_inputs; k++) {
        if (sl_model_check_input(m, k, &in_shapes[k], e) < 0)
            return -1;
        m->t[m->inputs[k]].run = in_shapes[k];
    }
    return infer_run(m, e);
}

int sl_model_plan(SlModel *m, const SlShape *in_shapes, SlError *e)
{
    if (sl_model_plan_shapes(m, in_shapes, e) < 0)
        return -1;
    return fits(m) ? 0 : regrow(m, e);
}

static int is_model_input(const SlModel *m, int tensor)
{
    for (int k = 0; k < m->n_inputs; k++)
        if (m->inputs[k] == tensor)
            return 1;
    return 0;
}

/* The views one call works on, in the current plan. */
static void make_pass(SlModel *m, int n, SlPass *p, int training)
{
    SlNode *nd = &m->nodes[n];
    memset(p, 0, sizeof *p);
    p->node = n;
    p->layer = nd->layer;
    p->n_in = nd->run.n_in;
    p->n_out = nd->run.n_out;
    for (int k = 0; k < p->n_in; k++) {
        SlEdge *t = &m->t[nd->in[k]];
        p->x[k] = sl_tensor(t->run, t->val);
        p->dx[k] = sl_tensor(t->run, t->grad);
        p->mask_in[k] = t->mask;
        p->no_dx[k] = m->skip_input_grads && is_model_input(m, nd->in[k]);
    }
    for (int k = 0; k < p->n_out; k++) {
        SlEdge *t = &m->t[nd->out[k]];
        p->y[k] = sl_tensor(t->run, t->val);
        p->dy[k] = sl_tensor(t->run, t->grad);
        p->mask_out[k] = nd->run.out_mask[k] == SL_MASK_NEW ? t->mask_buf : NULL;
    }
    for (int s = 0; s < nd->scratch.n; s++)
        p->scratch[s] = nd->scratch_buf[s];
    p->training = training;
    p->rng = &m->rng;
    p->obs = m->obs;
}

static void emit_layer(const SlModel *m, SlEventKind kind, const SlPass *p)
{
    const SlNode *nd = &m->nodes[p->node];
    SlEvent ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.layer = nd->layer;
    ev.pass = p;
    ev.io = &nd->run;
    ev.why = nd->why;
    sl_emit(m->obs, &ev);
}

int sl_model_forward(SlModel *m, const SlTensor *inputs, int training, SlError *e)
{
    SlShape shapes[SL_MAX_MODEL_IO];
    for (int k = 0; k < m->n_inputs; k++)
        shapes[k] = inputs[k].shape;
    if (sl_model_plan(m, shapes, e) < 0)
        return -1;
    for (int k = 0; k < m->n_inputs; k++) {
        SlEdge *t = &m->t[m->inputs[k]];
        memcpy(t->val, inputs[k].data, sl_tensor_count(&inputs[k]) * sizeof *t->val);
        t->mask = NULL;
    }
    for (int n = 0; n < m->n_nodes; n++) {
        SlNode *nd = &m->nodes[n];
        SlPass p;
        if (!m->active[n])
            continue;
        make_pass(m, n, &p, training);
        for (int k = 0; k < p.n_out; k++) { /* where each output's mask comes from */
            SlEdge *t = &m->t[nd->out[k]];
            int rule = nd->run.out_mask[k];
            t->mask = rule == SL_MASK_NEW    ? t->mask_buf
                      : rule == SL_MASK_PASS ? (unsigned char *)p.mask_in[nd->run.mask_from[k]]
                                             : NULL;
        }
        if (m->obs)
            emit_layer(m, SL_EV_LAYER_BEGIN, &p);
        nd->layer->type->forward(nd->layer, &p);
        if (m->obs)
            emit_layer(m, SL_EV_LAYER_END, &p);
    }
    m->forwarded = 1;
    return 0;
}

/* Backward from d_outputs; with `penalized`, of the regularizers' terms too (model.h). */
static int backward(SlModel *m, const SlTensor *d_outputs, int training, int penalized, SlError *e)
{
    if (!m->planned || !m->forwarded)
        return sl_errorf(e, "model '%s': backward needs a forward pass first", m->name);
    for (int k = 0; k < m->n_outputs; k++) {
        const SlEdge *t = &m->t[m->outputs[k]];
        if (!sl_shape_equal(&d_outputs[k].shape, &t->run)) {
            char a[96], b[96];
            return sl_errorf(e,
                             "model '%s': the gradient of output %d has shape %s, the output "
                             "%s",
                             m->name, k, sl_shape_str(&d_outputs[k].shape, a, sizeof a),
                             sl_shape_str(&t->run, b, sizeof b));
        }
    }
    sl_arena_zero(&m->grads);
    for (int i = 0; i < m->n_tensors; i++)
        if (m->active[m->t[i].node])
            memset(m->t[i].grad, 0, sl_shape_count(&m->t[i].run) * sizeof *m->t[i].grad);
    for (int k = 0; k < m->n_outputs; k++) {
        SlEdge *t = &m->t[m->outputs[k]];
        size_t n = sl_shape_count(&t->run);
        for (size_t i = 0; i < n; i++)
            t->grad[i] += d_outputs[k].data[i];
    }
    if (penalized) /* before any layer's backward reads its outputs' gradients */
        sl_model_activity_grads(m);
    for (int n = m->n_nodes - 1; n >= 0; n--) {
        SlNode *nd = &m->nodes[n];
        SlPass p;
        if (!m->active[n])
            continue;
        make_pass(m, n, &p, training);
        if (m->obs)
            emit_layer(m, SL_EV_BACK_BEGIN, &p);
        nd->layer->type->backward(nd->layer, &p);
        if (m->obs)
            emit_layer(m, SL_EV_BACK_END, &p);
    }
    if (penalized)
        sl_model_weight_penalty_grads(m);
    return 0;
}

int sl_model_backward(SlModel *m, const SlTensor *d_outputs, int training, SlError *e)
{
    return backward(m, d_outputs, training, 0, e);
}

int sl_model_backward_penalized(SlModel *m, const SlTensor *d_outputs, int training, SlError *e)
{
    return backward(m, d_outputs, training, 1, e);
}

SlTensor sl_model_output(const SlModel *m, int k)
{
    const SlEdge *t = &m->t[m->outputs[k]];
    return sl_tensor(t->run, t->val);
}

SlTensor sl_model_input_grad(const SlModel *m, int k)
{
    const SlEdge *t = &m->t[m->inputs[k]];
    return sl_tensor(t->run, t->grad);
}

void sl_model_reset_states(SlModel *m)
{
    for (int i = 0; i < m->n_layers; i++)
        m->layers[i]->type->reset(m->layers[i]);
}

void sl_model_set_observer(SlModel *m, const SlObserver *obs)
{
    m->obs = obs;
}

void sl_model_seed_rng(SlModel *m, uint64_t seed)
{
    m->rng = sl_rng(seed);
}
