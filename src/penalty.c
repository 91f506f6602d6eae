/* penalty.c: regularizers and constraints over a model, as Keras 3's training applies them.
 *
 * The loss fit reports and minimizes is the compiled loss plus sl_model_penalty:
 *   sum over the trainable weights w of the layers in the model:  reg_w(w)
 *   sum over the calls of layers with an activity regularizer, over each output y of the call:
 *       reg(y) / batch        (Keras's Layer.__call__ divides by the output's first axis)
 * The weight terms are taken at the weights of the forward pass (before the optimizer's step).
 * After each step, every trainable weight with a constraint is projected (regularizer.h).
 */
#include <string.h>

#include "model.h"

/* Is node n the first active call of its layer? (A shared layer's weights count once.) */
static int first_call(const SlModel *m, int n)
{
    if (!m->active[n])
        return 0;
    for (int k = 0; k < n; k++)
        if (m->active[k] && m->nodes[k].layer == m->nodes[n].layer)
            return 0;
    return 1;
}

/* The terms of the trainable weights of l and of the layers it wraps. */
static double weight_terms(const SlLayer *l)
{
    double sum = 0;
    for (int i = 0; i < l->n_params; i++) {
        const SlParam *p = &l->params[i];
        if (p->trainable && sl_regularizer_active(&p->reg))
            sum += sl_regularizer_value(&p->reg, p->value.data, sl_shape_count(&p->shape));
    }
    for (int c = 0; c < l->n_child; c++)
        sum += weight_terms(l->child[c]);
    return sum;
}

/* Their gradients, added to the weights' gradients. */
static void weight_grads(SlLayer *l)
{
    for (int i = 0; i < l->n_params; i++) {
        SlParam *p = &l->params[i];
        if (p->trainable && sl_regularizer_active(&p->reg))
            sl_regularizer_grad(&p->reg, p->grad.data, p->value.data, sl_shape_count(&p->shape),
                                1.0);
    }
    for (int c = 0; c < l->n_child; c++)
        weight_grads(l->child[c]);
}

/* The batch size of a planned tensor: its first axis (1 for a scalar). */
static double batch_of(const SlEdge *t)
{
    return t->run.rank > 0 && t->run.dim[0] > 0 ? t->run.dim[0] : 1;
}

/* The activity terms of node n's outputs. */
static double activity_terms(const SlModel *m, int n)
{
    const SlNode *nd = &m->nodes[n];
    const SlRegularizer *r = &nd->layer->activity;
    double sum = 0;
    for (int k = 0; m->active[n] && sl_regularizer_active(r) && k < nd->run.n_out; k++) {
        const SlEdge *t = &m->t[nd->out[k]];
        sum += sl_regularizer_value(r, t->val, sl_shape_count(&t->run)) / batch_of(t);
    }
    return sum;
}

/* Their gradients, added to the outputs' gradients. */
static void activity_grads(SlModel *m, int n)
{
    const SlNode *nd = &m->nodes[n];
    const SlRegularizer *r = &nd->layer->activity;
    for (int k = 0; m->active[n] && sl_regularizer_active(r) && k < nd->run.n_out; k++) {
        SlEdge *t = &m->t[nd->out[k]];
        sl_regularizer_grad(r, t->grad, t->val, sl_shape_count(&t->run), 1.0 / batch_of(t));
    }
}

double sl_model_penalty(const SlModel *m)
{
    double sum = 0;
    if (!m->planned || !m->forwarded)
        return 0;
    for (int n = 0; n < m->n_nodes; n++) {
        if (first_call(m, n))
            sum += weight_terms(m->nodes[n].layer);
        sum += activity_terms(m, n);
    }
    return sum;
}

void sl_model_activity_grads(SlModel *m)
{
    for (int n = 0; n < m->n_nodes; n++)
        activity_grads(m, n);
}

void sl_model_weight_penalty_grads(SlModel *m)
{
    for (int n = 0; n < m->n_nodes; n++)
        if (first_call(m, n))
            weight_grads(m->nodes[n].layer);
}

void sl_model_apply_constraints(SlModel *m)
{
    for (int i = 0; i < m->n_params; i++) {
        SlParam *p = m->params[i];
        if (p->trainable && p->con.kind != SL_CON_NONE)
            sl_constraint_apply(&p->con, p->value.data, &p->shape);
    }
}
