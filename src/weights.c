/* weights.c: get_weights / set_weights, and saving and loading weights by their Keras names.
 *
 * Weights do not depend on the batch size or on the number of timesteps, so a model built for 50
 * steps and one built for None steps take the same weights (QUESTIONS.md item 7). What must agree is
 * the list of weight tensors and each one's shape; the errors name the first that does not.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "safetensors.h"
#include "train.h"

int sl_model_get_weights(SlModel *m, SlTensor *views, int max, SlError *e)
{
    if (sl_model_ensure_params(m, e) < 0)
        return -1;
    if (m->n_params > max)
        return sl_errorf(e, "get_weights: the model has %d weight tensors, room for %d",
                         m->n_params, max);
    for (int i = 0; i < m->n_params; i++)
        views[i] = m->params[i]->value;
    return m->n_params;
}

int sl_model_set_weights(SlModel *m, const SlTensor *w, int n, SlError *e)
{
    char a[96], b[96];
    if (sl_model_ensure_params(m, e) < 0)
        return -1;
    if (n != m->n_params)
        return sl_errorf(e,
                         "set_weights: model '%s' has %d weight tensors, got %d; both models "
                         "need the same layers in the same order",
                         m->name, m->n_params, n);
    for (int i = 0; i < n; i++)
        if (!sl_shape_equal(&w[i].shape, &m->params[i]->shape))
            return sl_errorf(e, "set_weights: weight %d (%s) has shape %s in model '%s', got %s", i,
                             m->param_names[i], sl_shape_str(&m->params[i]->shape, a, sizeof a),
                             m->name, sl_shape_str(&w[i].shape, b, sizeof b));
    for (int i = 0; i < n; i++)
        memcpy(m->params[i]->value.data, w[i].data, sl_shape_count(&w[i].shape) * sizeof(sl_real));
    return 0;
}

int sl_model_save_weights(SlModel *m, const char *path, SlError *e)
{
    const char *names[SL_MAX_MODEL_PARAMS];
    SlTensor t[SL_MAX_MODEL_PARAMS];
    if (sl_model_ensure_params(m, e) < 0)
        return -1;
    for (int i = 0; i < m->n_params; i++) {
        names[i] = m->param_names[i];
        t[i] = m->params[i]->value;
    }
    const char *keys[1] = {"format"}, *vals[1] = {"shapelab weights (Keras names)"};
    return sl_st_write(path, m->n_params, names, t, 1, keys, vals, e);
}

static int load_checked(SlModel *m, const SlSafetensors *st, const char *path, SlError *e)
{
    char a[96], b[96];
    for (int i = 0; i < m->n_params; i++) {
        const SlStTensor *t = sl_st_find(st, m->param_names[i]);
        if (!t)
            return sl_errorf(e, "%s: no weight named '%s' (the model's weight %d)", path,
                             m->param_names[i], i);
        SlShape s;
        s.rank = t->rank;
        for (int d = 0; d < t->rank && d < SL_MAX_RANK; d++)
            s.dim[d] = (int)t->dim[d];
        if (t->rank > SL_MAX_RANK || !sl_shape_equal(&s, &m->params[i]->shape))
            return sl_errorf(e, "%s: weight '%s' has shape %s in the file but %s in the model",
                             path, m->param_names[i], sl_shape_str(&s, a, sizeof a),
                             sl_shape_str(&m->params[i]->shape, b, sizeof b));
    }
    for (int j = 0; j < st->n; j++)
        if (sl_model_find_param(m, st->tensors[j].name) < 0)
            return sl_errorf(e, "%s: the file has a weight '%s' that model '%s' does not", path,
                             st->tensors[j].name, m->name);
    return 0;
}

/* The file's tensors in the order they were written (by their place in the data). */
static void file_order(const SlSafetensors *st, int *order)
{
    for (int j = 0; j < st->n; j++)
        order[j] = j;
    for (int j = 1; j < st->n; j++) /* insertion sort: a few hundred at most */
        for (int k = j; k > 0 && st->tensors[order[k]].begin < st->tensors[order[k - 1]].begin;
             k--) {
            int t = order[k];
            order[k] = order[k - 1], order[k - 1] = t;
        }
}

/* None of the model's names is in the file, but it holds as many tensors: Keras's case of the
 * same layers under other names (two models in one session: lstm_2 against lstm). Each tensor
 * must then have the shape of the model's weight at its place; an error names both. */
static int load_by_position(SlModel *m, const SlSafetensors *st, const char *path, int *order,
                            SlError *e)
{
    char a[96], b[96];
    for (int i = 0; i < m->n_params; i++)
        if (sl_st_find(st, m->param_names[i]))
            return 0; /* some names match: the by-name error stands */
    if (st->n != m->n_params)
        return 0;
    file_order(st, order);
    for (int i = 0; i < m->n_params; i++) {
        const SlStTensor *t = &st->tensors[order[i]];
        SlShape s = {.rank = t->rank};
        for (int d = 0; d < t->rank && d < SL_MAX_RANK; d++)
            s.dim[d] = (int)t->dim[d];
        if (t->rank > SL_MAX_RANK || !sl_shape_equal(&s, &m->params[i]->shape))
            return sl_errorf(e,
                             "%s: the names differ from model '%s''s, and by position weight %d, "
                             "'%s' %s in the file, does not fit '%s' %s",
                             path, m->name, i, t->name, sl_shape_str(&s, a, sizeof a),
                             m->param_names[i], sl_shape_str(&m->params[i]->shape, b, sizeof b));
    }
    return 1;
}

int sl_model_load_weights(SlModel *m, const char *path, SlError *e)
{
    SlSafetensors st;
    int order[SL_MAX_MODEL_PARAMS], by_position = 0;
    if (sl_model_ensure_params(m, e) < 0 || sl_st_read(&st, path, e) < 0)
        return -1;
    int rc = load_checked(m, &st, path, e);
    if (rc < 0) {
        SlError e2;
        by_position = st.n <= SL_MAX_MODEL_PARAMS ? load_by_position(m, &st, path, order, &e2) : 0;
        if (by_position < 0)
            *e = e2;
        rc = by_position == 1 ? 0 : -1;
    }
    /* read everything into a scratch copy first, so a bad value leaves the model untouched */
    size_t total = m->values.used;
    sl_real *tmp = rc == 0 ? sl_alloc_zero(total + 1, sizeof *tmp) : NULL;
    if (rc == 0 && !tmp)
        rc = sl_errorf(e, "%s: out of memory", path);
    for (int i = 0; rc == 0 && i < m->n_params; i++) {
        SlParam *p = m->params[i];
        size_t n = sl_shape_count(&p->shape), off = (size_t)(p->value.data - m->values.base);
        const char *name = by_position == 1 ? st.tensors[order[i]].name : m->param_names[i];
        rc = sl_st_get(&st, name, tmp + off, n, NULL, e);
        for (size_t k = 0; rc == 0 && k < n; k++)
            if (!isfinite((double)tmp[off + k]))
                rc = sl_errorf(e, "%s: weight '%s' holds NaN or Inf at index %zu", path, name, k);
    }
    if (rc == 0)
        memcpy(m->values.base, tmp, total * sizeof *tmp);
    sl_free(tmp);
    sl_st_free(&st);
    return rc < 0 ? rc : by_position;
}
