/* script_ops.c: the model-script reader's expressions that are not calls: tuples and lists, list
 * comprehensions, attributes (keras.layers.LSTM, X.shape), subscripts, and Python's arithmetic on
 * ints, floats, strings and sequences. Anything computed from data stays data. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "script_impl.h"

int sc_eval_sequence(S *s, Env *env, int node, Val *out)
{
    int n = 0;
    for (int i = N(s, node)->a; i >= 0; i = N(s, i)->next)
        n++;
    NodeKind kind = N(s, node)->kind;
    *out = sc_seq(s, kind == N_LIST ? V_LIST : kind == N_DICT ? V_DICT : V_TUPLE, n);
    if (!out->items)
        return sc_oom(s, node);
    int k = 0;
    for (int i = N(s, node)->a; i >= 0; i = N(s, i)->next)
        if (sc_eval(s, env, i, &out->items[k++]) < 0)
            return -1;
    return 0;
}

/* [expr for x in xs if cond]: the loop's names live in a scope of their own, as in Python 3. */
int sc_eval_listcomp(S *s, Env *env, int node, Val *out)
{
    const Node *n = N(s, node);
    Val it;
    if (sc_eval(s, env, n->c, &it) < 0)
        return -1;
    if (it.kind == V_DATA) {
        *out = it;
        return 0;
    }
    if (it.kind != V_LIST && it.kind != V_TUPLE)
        return sc_err(s, n->c, "cannot loop over %s", sc_kind_name(it.kind));
    Env *inner = sc_heap(s, sizeof *inner);
    if (!inner)
        return sc_oom(s, node);
    inner->parent = env;
    *out = sc_seq(s, V_LIST, it.n);
    if (!out->items)
        return sc_oom(s, node);
    int kept = 0;
    for (int k = 0; k < it.n; k++) {
        if (sc_count_iteration(s, node) < 0 || sc_assign(s, inner, n->b, it.items[k], n->line) < 0)
            return -1;
        int keep = n->i >= 0 ? sc_eval_truth(s, inner, (int)n->i) : 1;
        if (keep < 0 || (keep && sc_eval(s, inner, n->a, &out->items[kept++]) < 0))
            return -1;
    }
    out->n = kept;
    return 0;
}

/* A shape as a tuple value: (None, 28, 28, 1). */
static int shape_val(S *s, int node, const SlShape *sh, Val *out)
{
    *out = sc_seq(s, V_TUPLE, sh->rank);
    if (!out->items)
        return sc_oom(s, node);
    for (int i = 0; i < sh->rank; i++)
        out->items[i] = sh->dim[i] == SL_NONE ? sc_none() : sc_ival(sh->dim[i]);
    return 0;
}

static Val str_val(const char *text)
{
    Val v = sc_none();
    v.kind = V_STR;
    v.s = text;
    return v;
}

/* A tensor's attributes: shape (a tuple, as Keras 3 gives it), dtype, name, ndim. */
static int tensor_attr(S *s, int node, const Val *t, const char *name, Val *out)
{
    const SlEdge *e = &t->model->t[t->tensor];
    const SlLayer *from = t->model->nodes[e->node].layer;
    if (!strcmp(name, "shape"))
        return shape_val(s, node, &e->shape, out);
    if (!strcmp(name, "ndim")) {
        *out = sc_ival(e->shape.rank);
        return 0;
    }
    if (!strcmp(name, "dtype")) {
        *out = str_val(from->dtype[0] ? from->dtype : "float32");
        return 0;
    }
    if (!strcmp(name, "name")) {
        *out = str_val(from->name);
        return 0;
    }
    return sc_err(s, node, "'%s' of a tensor is not understood in a model script", name);
}

/* The tensors of m's inputs or outputs: one, or a list of several (input vs inputs). */
static int io_val(S *s, int node, SlModel *m, int outputs, int as_list, Val *out)
{
    int n = outputs ? m->n_outputs : m->n_inputs;
    const int *ids = outputs ? m->outputs : m->inputs;
    if (n == 0)
        return sc_err(s, node, "model '%s' is not built yet, so it has no %s", m->name,
                      outputs ? "outputs" : "inputs");
    Val t = sc_none();
    t.kind = V_TENSOR;
    t.model = m;
    if (n == 1 && !as_list) {
        *out = t;
        out->tensor = ids[0];
        return 0;
    }
    *out = sc_seq(s, V_LIST, n);
    if (!out->items)
        return sc_oom(s, node);
    for (int k = 0; k < n; k++)
        out->items[k] = t, out->items[k].tensor = ids[k];
    return 0;
}

/* model.layers: each layer once, in call order (a Sequential model's own InputLayer left out, as
 * Keras 3 lists them). */
static int layers_val(S *s, int node, SlModel *m, Val *out)
{
    SlLayer *seen[SL_MAX_NODES];
    int n = 0;
    for (int i = 0; i < m->n_nodes; i++) {
        SlLayer *l = m->nodes[i].layer;
        int dup = m->sequential && m->nodes[i].sym.n_in == 0;
        for (int k = 0; k < n && !dup; k++)
            dup = seen[k] == l;
        if (!dup)
            seen[n++] = l;
    }
    for (int i = 0; i < m->n_pending; i++)
        seen[n++] = m->pending[i];
    *out = sc_seq(s, V_LIST, n);
    if (!out->items)
        return sc_oom(s, node);
    for (int k = 0; k < n; k++) {
        out->items[k] = sc_none();
        out->items[k].kind = V_LAYER;
        out->items[k].layer = seen[k];
    }
    return 0;
}

static int model_attr(S *s, int node, SlModel *m, const char *name, Val *out)
{
    if (!strcmp(name, "layers"))
        return layers_val(s, node, m, out);
    if (!strcmp(name, "input") || !strcmp(name, "inputs") || !strcmp(name, "output") ||
        !strcmp(name, "outputs"))
        return io_val(s, node, m, name[0] == 'o', name[strlen(name) - 1] == 's', out);
    if (!strcmp(name, "input_shape") || !strcmp(name, "output_shape")) {
        if (m->n_outputs == 0)
            return sc_err(s, node, "model '%s' is not built yet, so it has no %s", m->name, name);
        int id = name[0] == 'i' ? m->inputs[0] : m->outputs[0];
        return shape_val(s, node, &m->t[id].shape, out);
    }
    if (!strcmp(name, "name")) {
        *out = str_val(m->name);
        return 0;
    }
    static const char *const runtime[] = {
        "weights",       "trainable_weights", "non_trainable_weights",
        "variables",     "optimizer",         "history",
        "metrics_names", "trainable",         "built"};
    if (sc_in_list(runtime, sizeof runtime / sizeof *runtime, name)) {
        *out = sc_data(NULL, N(s, node)->line);
        return 0;
    }
    return sc_err(s, node, "'%s' of a model is not understood in a model script", name);
}

/* The first call of l in any of the script's models: where its input and output come from. */
static int layer_call(const S *s, const SlLayer *l, SlModel **m, int *node)
{
    for (int k = 0; k < s->n_models; k++)
        for (int i = 0; i < s->models[k]->n_nodes; i++)
            if (s->models[k]->nodes[i].layer == l) {
                *m = s->models[k];
                *node = i;
                return 1;
            }
    return 0;
}

static int layer_attr(S *s, int node, const SlLayer *l, const char *name, Val *out)
{
    if (!strcmp(name, "name")) {
        *out = str_val(l->name);
        return 0;
    }
    if (!strcmp(name, "trainable")) {
        *out = sc_none();
        out->kind = V_BOOL;
        out->i = l->trainable;
        return 0;
    }
    static const char *const io[] = {"input", "output", "input_shape", "output_shape"};
    if (sc_in_list(io, 4, name)) {
        SlModel *m;
        int at;
        if (!layer_call(s, l, &m, &at))
            return sc_err(s, node, "layer '%s' has not been called yet, so it has no %s", l->name,
                          name);
        const SlNode *nd = &m->nodes[at];
        int outputs = strstr(name, "output") != NULL;
        if (!outputs && nd->sym.n_in == 0)
            return sc_err(s, node, "layer '%s' takes no input", l->name);
        int id = outputs ? nd->out[0] : nd->in[0];
        if (strstr(name, "shape"))
            return shape_val(s, node, &m->t[id].shape, out);
        *out = sc_none();
        out->kind = V_TENSOR;
        out->model = m;
        out->tensor = id;
        return 0;
    }
    *out = sc_data(NULL, N(s, node)->line); /* weights, kernel, states ...: values at run time */
    return 0;
}

/* The attributes of data: its shape when it is known (tf.ones((2, 3)).shape, --set x.shape=...);
 * else (a part of) it is still data, and errors say how to give its shape. */
static int data_attr(S *s, const Val *obj, const char *name, Val *out)
{
    *out = *obj;
    static const char *const same[] = {"astype", "numpy", "copy"}; /* x.astype(...): its shape */
    if (sc_in_list(same, 3, name))
        return 0;
    if (strcmp(name, "shape") && strcmp(name, "ndim")) {
        out->i = 0, out->n = 0, out->items = NULL;
        return 0;
    }
    if (obj->i != 1) {
        out->i = 2; /* the shape of the data named s: --set s.shape=(...) */
        return 0;
    }
    if (name[0] == 'n') {
        *out = sc_ival(obj->n);
        return 0;
    }
    *out = sc_seq(s, V_TUPLE, obj->n);
    if (!out->items)
        return -1;
    memcpy(out->items, obj->items, (size_t)obj->n * sizeof(Val));
    return 0;
}

int sc_attr(S *s, int node, const Val *obj, const char *name, Val *out)
{
    switch (obj->kind) {
    case V_DATA:
        return data_attr(s, obj, name, out) < 0 ? sc_oom(s, node) : 0;
    case V_MODULE: {
        if (sc_keras_name(obj->s, name, obj->data_lib, out))
            return 0;
        char *full = sc_heap(s, strlen(obj->s) + strlen(name) + 2);
        if (!full)
            return sc_oom(s, node);
        sprintf(full, "%s.%s", obj->s, name);
        *out = sc_module(s, full, obj->data_lib);
        return 0;
    }
    case V_TENSOR:
        return tensor_attr(s, node, obj, name, out);
    case V_MODEL:
        return model_attr(s, node, obj->model, name, out);
    case V_LAYER:
        return layer_attr(s, node, obj->layer, name, out);
    default:
        return sc_err(s, node, "'%s' of %s is not understood in a model script", name,
                      sc_kind_name(obj->kind));
    }
}

int sc_eval_attr(S *s, Env *env, int node, Val *out)
{
    Val obj;
    if (sc_eval(s, env, N(s, node)->a, &obj) < 0)
        return -1;
    return sc_attr(s, node, &obj, N(s, node)->s, out);
}

/* Python's slice indices for n items: start, stop and step with their defaults, clamped. */
static int slice_range(S *s, int node, const Val *part, int n, long long *start, long long *stop,
                       long long *step)
{
    for (int k = 0; k < 3; k++)
        if (part[k].kind != V_NONE && part[k].kind != V_INT)
            return sc_err(s, node, "slice indices must be integers or None, not %s",
                          sc_kind_name(part[k].kind));
    *step = part[2].kind == V_INT ? part[2].i : 1;
    if (*step == 0)
        return sc_err(s, node, "slice step cannot be zero");
    long long lo = *step > 0 ? 0 : -1, hi = *step > 0 ? n : n - 1;
    long long b[2] = {*step > 0 ? 0 : n - 1, *step > 0 ? n : -1};
    for (int k = 0; k < 2; k++) {
        if (part[k].kind != V_INT)
            continue;
        long long v = part[k].i < 0 ? part[k].i + n : part[k].i;
        b[k] = v < lo ? lo : v > hi ? hi : v;
    }
    *start = b[0], *stop = b[1];
    return 0;
}

/* seq[a:b:c] of a tuple, list or string. */
static int eval_slice(S *s, Env *env, int node, const Val *obj, Val *out)
{
    const Node *sl = N(s, N(s, node)->b);
    Val part[3];
    int at[3] = {sl->a, sl->b, sl->c};
    for (int k = 0; k < 3; k++) {
        part[k] = sc_none();
        if (at[k] >= 0 && sc_eval(s, env, at[k], &part[k]) < 0)
            return -1;
        if (part[k].kind == V_DATA) {
            *out = part[k];
            return 0;
        }
    }
    int n = obj->kind == V_STR ? (int)strlen(obj->s) : obj->n;
    long long start = 0, stop = 0, step = 1;
    if (slice_range(s, node, part, n, &start, &stop, &step) < 0)
        return -1;
    long long count = step > 0 ? (stop > start ? (stop - start + step - 1) / step : 0)
                               : (start > stop ? (start - stop - step - 1) / -step : 0);
    if (obj->kind == V_STR) {
        char *t = sc_heap(s, (size_t)count + 1);
        if (!t)
            return sc_oom(s, node);
        for (long long k = 0; k < count; k++)
            t[k] = obj->s[start + k * step];
        *out = sc_none();
        out->kind = V_STR;
        out->s = t;
        return 0;
    }
    *out = sc_seq(s, obj->kind, (int)count);
    if (!out->items)
        return sc_oom(s, node);
    for (long long k = 0; k < count; k++)
        out->items[k] = obj->items[start + k * step];
    return 0;
}

/* d[key]: the value of the first equal key. */
static int dict_get(S *s, int node, const Val *d, const Val *key, Val *out)
{
    for (int k = 0; k + 1 < d->n; k += 2)
        if (sc_equal(&d->items[k], key)) {
            *out = d->items[k + 1];
            return 0;
        }
    char buf[128];
    sc_str(s, key, 1, buf, sizeof buf);
    return sc_err(s, node, "key %s is not in this dict", buf);
}

int sc_eval_subscript(S *s, Env *env, int node, Val *out)
{
    const Node *n = N(s, node);
    Val obj, idx;
    if (sc_eval(s, env, n->a, &obj) < 0)
        return -1;
    if (obj.kind == V_DATA) { /* x[0] of data is data; x.shape[1] stays the shape's */
        *out = obj;
        if (out->i == 1)
            out->i = 0, out->n = 0, out->items = NULL;
        return 0;
    }
    if (N(s, n->b)->kind == N_TUPLE && obj.kind != V_DICT) /* x[:, 0] of data was data above */
        return sc_err(s, n->b, "indexing with several axes (a[i, j]) works on arrays, not on %s",
                      sc_kind_name(obj.kind));
    if (N(s, n->b)->kind == N_SLICE) {
        if (obj.kind != V_LIST && obj.kind != V_TUPLE && obj.kind != V_STR)
            return sc_err(s, node, "slicing %s is not understood here", sc_kind_name(obj.kind));
        return eval_slice(s, env, node, &obj, out);
    }
    if (sc_eval(s, env, n->b, &idx) < 0)
        return -1;
    if (idx.kind == V_DATA) {
        *out = idx;
        return 0;
    }
    if (obj.kind == V_DICT)
        return dict_get(s, node, &obj, &idx, out);
    if ((obj.kind != V_LIST && obj.kind != V_TUPLE) || idx.kind != V_INT)
        return sc_err(s, node, "indexing %s with %s is not understood here", sc_kind_name(obj.kind),
                      sc_kind_name(idx.kind));
    long long k = idx.i < 0 ? idx.i + obj.n : idx.i;
    if (k < 0 || k >= obj.n)
        return sc_err(s, n->b, "index %lld is out of range for %d items", idx.i, obj.n);
    *out = obj.items[k];
    return 0;
}

static int is_num(const Val *v)
{
    return v->kind == V_INT || v->kind == V_FLOAT || v->kind == V_BOOL;
}

static double num(const Val *v)
{
    return v->kind == V_FLOAT ? v->f : (double)v->i;
}

/* Python's % and // round toward minus infinity. */
static long long floor_div(long long a, long long b)
{
    long long q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* x ** y for 0 <= y by repeated squaring (at most 63 squarings, whatever y is); 1 on overflow. */
static int int_pow(long long x, long long y, long long *r)
{
    long long base = x;
    *r = 1;
    while (y > 0) {
        if ((y & 1) && __builtin_mul_overflow(*r, base, r))
            return 1;
        y >>= 1;
        if (y > 0 && __builtin_mul_overflow(base, base, &base))
            return 1; /* |base| >= 2 here, and the result has base * base as a factor */
    }
    return 0;
}

/* x << y and x >> y as Python computes them on its unbounded ints (>> rounds toward minus
 * infinity); 1 when x << y does not fit in 64 bits. */
static int int_shift(const char *op, long long x, long long y, long long *r)
{
    if (op[0] == '>') {
        *r = y >= 63 ? (x < 0 ? -1 : 0) : (x < 0 ? ~(~x >> y) : x >> y);
        return 0;
    }
    *r = 0;
    if (x == 0)
        return 0;
    if (y >= 63)
        return 1;
    long long limit = LLONG_MAX >> y; /* |x| up to this shifts without overflow */
    if (x > limit || x < -limit - 1)
        return 1;
    *r = (long long)((unsigned long long)x << y);
    return 0;
}

/* Integer arithmetic that says so when a result does not fit in 64 bits. */
static int int_op(S *s, int node, const char *op, long long x, long long y, Val *out)
{
    long long r = 0;
    int bad = 0;
    if (!strcmp(op, "+"))
        bad = __builtin_add_overflow(x, y, &r);
    else if (!strcmp(op, "-"))
        bad = __builtin_sub_overflow(x, y, &r);
    else if (!strcmp(op, "*"))
        bad = __builtin_mul_overflow(x, y, &r);
    else if (!strcmp(op, "//") || !strcmp(op, "%")) {
        bad = x == LLONG_MIN && y == -1;
        r = bad ? 0 : (op[0] == '/' ? floor_div(x, y) : x - floor_div(x, y) * y);
    } else if (!strcmp(op, "<<") || !strcmp(op, ">>")) {
        if (y < 0)
            return sc_err(s, node, "negative shift count %lld", y);
        bad = int_shift(op, x, y, &r);
    } else { /* ** with 0 <= y */
        bad = int_pow(x, y, &r);
    }
    if (bad)
        return sc_err(s, node, "the integer result of '%s' does not fit in 64 bits", op);
    *out = sc_ival(r);
    return 0;
}

/* Numbers: ints stay ints (except for '/' and negative powers), anything with a float is a float.
 */
static int arith(S *s, int node, const char *op, const Val *a, const Val *b, Val *out)
{
    int ints = a->kind != V_FLOAT && b->kind != V_FLOAT;
    double x = num(a), y = num(b);
    if ((!strcmp(op, "/") || !strcmp(op, "//") || !strcmp(op, "%")) && y == 0)
        return sc_err(s, node, "division by zero");
    if ((!strcmp(op, "<<") || !strcmp(op, ">>")) && !ints)
        return sc_err(s, node, "'%s' shifts integers, not floats", op);
    if (ints && strcmp(op, "/") && (strcmp(op, "**") || b->i >= 0))
        return int_op(s, node, op, a->i, b->i, out);
    if (!strcmp(op, "+"))
        *out = sc_fval(x + y);
    else if (!strcmp(op, "-"))
        *out = sc_fval(x - y);
    else if (!strcmp(op, "*"))
        *out = sc_fval(x * y);
    else if (!strcmp(op, "/"))
        *out = sc_fval(x / y);
    else if (!strcmp(op, "//"))
        *out = sc_fval(floor(x / y));
    else if (!strcmp(op, "%"))
        *out = sc_fval(x - floor(x / y) * y);
    else if (!strcmp(op, "**"))
        *out = sc_fval(pow(x, y));
    else
        return sc_err(s, node, "operator '%s' is not understood here", op);
    return 0;
}

/* seq + seq, seq * int, str + str, str * int. */
static int seq_op(S *s, int node, const char *op, const Val *a, const Val *b, Val *out)
{
    if (!strcmp(op, "+") && a->kind == b->kind && a->kind != V_STR) {
        if ((long long)a->n + b->n > SC_MAX_LIST)
            return sc_err(s, node, "a list of more than %d items", SC_MAX_LIST);
        *out = sc_seq(s, a->kind, a->n + b->n);
        if (!out->items)
            return sc_oom(s, node);
        memcpy(out->items, a->items, (size_t)a->n * sizeof(Val));
        memcpy(out->items + a->n, b->items, (size_t)b->n * sizeof(Val));
        return 0;
    }
    if (!strcmp(op, "*") && b->kind == V_INT && a->kind != V_STR) {
        long long times = b->i < 0 || a->n == 0 ? 0 : b->i; /* [] * n is [] for any n */
        if (times > SC_MAX_LIST / (a->n ? a->n : 1))
            return sc_err(s, node, "a list of more than %d items", SC_MAX_LIST);
        *out = sc_seq(s, a->kind, (int)(a->n * times));
        if (!out->items)
            return sc_oom(s, node);
        for (long long t = 0; t < times; t++)
            memcpy(out->items + t * a->n, a->items, (size_t)a->n * sizeof(Val));
        return 0;
    }
    if (a->kind == V_STR && b->kind == V_STR && !strcmp(op, "+")) {
        char *t = sc_heap(s, strlen(a->s) + strlen(b->s) + 1);
        if (!t)
            return sc_oom(s, node);
        sprintf(t, "%s%s", a->s, b->s);
        *out = sc_none();
        out->kind = V_STR;
        out->s = t;
        return 0;
    }
    return sc_err(s, node, "'%s' between %s and %s is not understood", op, sc_kind_name(a->kind),
                  sc_kind_name(b->kind));
}

int sc_binary(S *s, int node, const char *op, const Val *a, const Val *b, Val *out)
{
    if (a->kind == V_DATA || b->kind == V_DATA) {
        *out = a->kind == V_DATA ? *a : *b;
        return 0;
    }
    if (is_num(a) && is_num(b))
        return arith(s, node, op, a, b, out);
    if (a->kind == V_STR && !strcmp(op, "%"))
        return sc_percent(s, node, a->s, b, out);
    if ((a->kind == V_LIST || a->kind == V_TUPLE || a->kind == V_STR) &&
        (b->kind == a->kind || b->kind == V_INT))
        return seq_op(s, node, op, a, b, out);
    return sc_err(s, node, "'%s' between %s and %s is not understood", op, sc_kind_name(a->kind),
                  sc_kind_name(b->kind));
}

int sc_eval_binop(S *s, Env *env, int node, Val *out)
{
    const Node *n = N(s, node);
    Val a, b;
    if (sc_eval(s, env, n->a, &a) < 0 || sc_eval(s, env, n->b, &b) < 0)
        return -1;
    return sc_binary(s, node, n->op, &a, &b, out);
}

int sc_eval_unary(S *s, Env *env, int node, Val *out)
{
    const Node *n = N(s, node);
    if (sc_eval(s, env, n->a, out) < 0)
        return -1;
    if (out->kind == V_DATA || n->op[0] == '+')
        return out->kind == V_DATA || is_num(out) ? 0 : sc_err(s, node, "'+' needs a number");
    if ((out->kind == V_INT || out->kind == V_BOOL) && out->i == LLONG_MIN)
        return sc_err(s, node, "the integer result of '-' does not fit in 64 bits");
    if (out->kind == V_INT || out->kind == V_BOOL)
        *out = sc_ival(-out->i);
    else if (out->kind == V_FLOAT)
        *out = sc_fval(-out->f);
    else
        return sc_err(s, node, "'-' needs a number, not %s", sc_kind_name(out->kind));
    return 0;
}

/* ---- truth, comparisons, conditions ---- */

int sc_truth(S *s, int node, const Val *v)
{
    switch (v->kind) {
    case V_NONE:
        return 0;
    case V_BOOL:
    case V_INT:
        return v->i != 0;
    case V_FLOAT:
        return v->f != 0;
    case V_STR:
        return v->s[0] != '\0';
    case V_TUPLE:
    case V_LIST:
    case V_DICT:
        return v->n != 0;
    case V_DATA:
        if (v->s) {
            char where[160];
            sc_line_text(s, v->node, where, sizeof where);
            return sc_err(s, node,
                          "this condition depends on '%s', which is bound to data (line %d: %s), "
                          "so shapelab cannot tell which way it goes: write the value, or pass "
                          "--set %s=VALUE",
                          v->s, v->node, where, v->s);
        }
        return sc_err(s, node,
                      "this condition depends on data, so shapelab cannot tell which way it "
                      "goes: write the value here");
    case V_TENSOR:
        return sc_err(s, node,
                      "a symbolic tensor cannot be used as a condition (Keras refuses "
                      "it too): test its shape instead, e.g. x.shape[-1] > 1");
    default:
        return 1; /* layers, models, classes, functions, modules, objects */
    }
}

int sc_equal(const Val *a, const Val *b)
{
    int na = a->kind == V_INT || a->kind == V_FLOAT || a->kind == V_BOOL;
    int nb = b->kind == V_INT || b->kind == V_FLOAT || b->kind == V_BOOL;
    if (na && nb)
        return (a->kind == V_FLOAT || b->kind == V_FLOAT)
                   ? (a->kind == V_FLOAT ? a->f : (double)a->i) ==
                         (b->kind == V_FLOAT ? b->f : (double)b->i)
                   : a->i == b->i;
    if (a->kind != b->kind)
        return 0;
    switch (a->kind) {
    case V_NONE:
        return 1;
    case V_STR:
        return !strcmp(a->s, b->s);
    case V_TUPLE:
    case V_LIST:
    case V_DICT:
        if (a->n != b->n)
            return 0;
        for (int k = 0; k < a->n; k++)
            if (!sc_equal(&a->items[k], &b->items[k]))
                return 0;
        return 1;
    case V_CLASS:
    case V_MODULE:
    case V_OBJECT:
        return !strcmp(a->s, b->s) && a->i == b->i && a->n == 0 && b->n == 0;
    case V_LAYER:
        return a->layer == b->layer;
    case V_MODEL:
        return a->model == b->model;
    case V_TENSOR:
        return a->model == b->model && a->tensor == b->tensor;
    case V_FUNC:
        return a->node == b->node;
    default:
        return 0;
    }
}

/* a < b (or <=, >, >=) for numbers, strings and sequences, as Python orders them: -2 when they do
 * not compare; else -1, 0 or 1. */
int sc_order(const Val *a, const Val *b)
{
    if (is_num(a) && is_num(b)) {
        double x = num(a), y = num(b);
        if (a->kind != V_FLOAT && b->kind != V_FLOAT)
            return a->i < b->i ? -1 : a->i > b->i;
        return x < y ? -1 : x > y;
    }
    if (a->kind == V_STR && b->kind == V_STR) {
        int c = strcmp(a->s, b->s);
        return c < 0 ? -1 : c > 0;
    }
    if ((a->kind == V_TUPLE || a->kind == V_LIST) && a->kind == b->kind) {
        for (int k = 0; k < a->n && k < b->n; k++)
            if (!sc_equal(&a->items[k], &b->items[k]))
                return sc_order(&a->items[k], &b->items[k]);
        return a->n < b->n ? -1 : a->n > b->n;
    }
    return -2;
}

/* One comparison a op b into *result. */
static int compare_one(S *s, int node, const char *op, const Val *a, const Val *b, int *result)
{
    if (!strcmp(op, "==") || !strcmp(op, "!=")) {
        *result = sc_equal(a, b) == (op[0] == '=');
        return 0;
    }
    if (!strcmp(op, "is") || !strcmp(op, "!is")) { /* identity: None, True, False, one object */
        *result = (a->kind == b->kind && sc_equal(a, b)) == (op[0] != '!');
        return 0;
    }
    if (!strcmp(op, "in") || !strcmp(op, "!in")) {
        int found = 0;
        if (b->kind == V_STR && a->kind == V_STR)
            found = strstr(b->s, a->s) != NULL;
        else if (b->kind == V_LIST || b->kind == V_TUPLE || b->kind == V_DICT)
            for (int k = 0; k < b->n && !found; k += b->kind == V_DICT ? 2 : 1)
                found = sc_equal(a, &b->items[k]);
        else
            return sc_err(s, node, "'in' needs a list, tuple, dict or string on its right, not %s",
                          sc_kind_name(b->kind));
        *result = found == (op[0] != '!');
        return 0;
    }
    int c = sc_order(a, b);
    if (c == -2)
        return sc_err(s, node, "'%s' between %s and %s is not understood", op,
                      sc_kind_name(a->kind), sc_kind_name(b->kind));
    *result = op[0] == '<' ? (op[1] ? c <= 0 : c < 0) : (op[1] ? c >= 0 : c > 0);
    return 0;
}

int sc_eval_compare(S *s, Env *env, int node, Val *out)
{
    const Node *n = N(s, node);
    Val left, right;
    if (sc_eval(s, env, n->a, &left) < 0)
        return -1;
    int all = 1;
    for (int i = n->b; i >= 0; i = N(s, i)->next) {
        if (sc_eval(s, env, N(s, i)->a, &right) < 0)
            return -1;
        if (left.kind == V_DATA || right.kind == V_DATA) {
            *out = left.kind == V_DATA ? left : right;
            return 0;
        }
        int r = 0;
        if (compare_one(s, i, N(s, i)->op, &left, &right, &r) < 0)
            return -1;
        all &= r;
        if (!all)
            break; /* Python stops at the first false link */
        left = right;
    }
    *out = sc_none();
    out->kind = V_BOOL;
    out->i = all;
    return 0;
}

int sc_eval_boolop(S *s, Env *env, int node, Val *out)
{
    const Node *n = N(s, node);
    if (sc_eval(s, env, n->a, out) < 0)
        return -1;
    if (out->kind == V_DATA)
        return 0;
    int t = sc_truth(s, n->a, out);
    if (t < 0)
        return -1;
    if (t == (n->op[0] == 'o')) /* a or b: a when a is true; a and b: a when a is false */
        return 0;
    return sc_eval(s, env, n->b, out);
}

int sc_eval_not(S *s, Env *env, int node, Val *out)
{
    Val v;
    if (sc_eval(s, env, N(s, node)->a, &v) < 0)
        return -1;
    if (v.kind == V_DATA) {
        *out = v;
        return 0;
    }
    int t = sc_truth(s, N(s, node)->a, &v);
    if (t < 0)
        return -1;
    *out = sc_none();
    out->kind = V_BOOL;
    out->i = !t;
    return 0;
}

int sc_eval_dict(S *s, Env *env, int node, Val *out)
{
    return sc_eval_sequence(s, env, node, out); /* its keys and values, one after the other */
}

/* f"...": each part's text, a field formatted by its spec (format(value, spec)). */
int sc_eval_fstring(S *s, Env *env, int node, Val *out)
{
    size_t cap = 256, used = 0;
    char *buf = sc_heap(s, cap);
    if (!buf)
        return sc_oom(s, node);
    for (int i = N(s, node)->a; i >= 0; i = N(s, i)->next) {
        const Node *part = N(s, i);
        char piece[1024];
        if (part->kind == N_STR) {
            snprintf(piece, sizeof piece, "%s", part->s);
        } else {
            Val v;
            if (sc_eval(s, env, part->a, &v) < 0)
                return -1;
            if (v.kind == V_DATA) {
                *out = v;
                return 0;
            }
            int rc = part->op[0] == 'r' || part->op[0] == 'a'
                         ? sc_str(s, &v, 1, piece, sizeof piece)
                         : sc_format(s, i, &v, part->s ? part->s : "", piece, sizeof piece);
            if (rc < 0)
                return rc == -2 ? -1 : sc_err(s, i, "this f-string field is too long");
        }
        size_t len = strlen(piece);
        if (used + len + 1 > cap) {
            while (used + len + 1 > cap)
                cap *= 2;
            char *more = sc_heap(s, cap);
            if (!more)
                return sc_oom(s, node);
            memcpy(more, buf, used);
            buf = more;
        }
        memcpy(buf + used, piece, len);
        used += len;
    }
    buf[used] = '\0';
    *out = sc_none();
    out->kind = V_STR;
    out->s = buf;
    return 0;
}

/* A copy whose strings and items live in the script's heap (for values parsed elsewhere). */
Val sc_copy_deep(S *s, const Val *v)
{
    Val c = *v;
    if (v->kind == V_STR && v->s) {
        char *t = sc_heap(s, strlen(v->s) + 1);
        if (t)
            strcpy(t, v->s);
        c.s = t ? t : "";
    } else if (v->kind == V_TUPLE || v->kind == V_LIST) {
        c = sc_seq(s, v->kind, v->n);
        for (int i = 0; c.items && i < v->n; i++)
            c.items[i] = sc_copy_deep(s, &v->items[i]);
    }
    return c;
}
