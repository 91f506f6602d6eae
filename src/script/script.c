/* script.c: evaluating a model script's tree into models, through the engine's public API.
 *
 * Values are Python's small ones (None, bools, ints, floats, strings, tuples, lists) plus what
 * Keras code handles: layer classes and layers, tensors of a functional graph, models, optimizer
 * and loss objects, the script's own functions, modules (keras, layers, numpy ...) and "data": any
 * value computed from data (np.load(...), X.shape[1]). Data flows through arithmetic silently and is
 * an error only where a model needs a number, with a hint to write the number or pass --set.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "files.h"
#include "script.h"
#include "script_impl.h"
#include "train.h"

typedef SlScript S;

/* ---- memory, errors, notices ---- */

void *sc_heap(S *s, size_t size)
{
    if (size > SC_MAX_HEAP - s->heap) {
        s->heap_full = 1;
        return NULL;
    }
    void **blocks = sl_grow(s->blocks, &s->cap_blocks, (size_t)s->n_blocks + 1, sizeof *blocks);
    if (!blocks)
        return NULL;
    s->blocks = blocks;
    void *p = sl_alloc_zero(1, size ? size : 1);
    if (p) {
        s->blocks[s->n_blocks++] = p;
        s->heap += size;
    }
    return p;
}

int sc_oom(S *s, int node)
{
    if (s->heap_full)
        return sc_err(s, node,
                      "the script's values take more than %d MiB, shapelab's limit; shapelab "
                      "stops here",
                      SC_MAX_HEAP >> 20);
    return sc_err(s, node, "out of memory");
}

int sc_steps(S *s, int node, long long n)
{
    s->steps += n;
    if (s->steps > SC_MAX_STEPS)
        return sc_err(s, node,
                      "the script takes more than %d evaluation steps; shapelab stops here",
                      SC_MAX_STEPS);
    return 0;
}

int sc_err(S *s, int node, const char *fmt, ...)
{
    char msg[SL_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const Node *n = N(s, node);
    return sc_error_at(s->e, s->file, s->src, n->line, n->col, "%s", msg);
}

/* An engine error, placed at a node of the script. */
int sc_engine_err(S *s, int node, const SlError *e)
{
    char msg[SL_ERROR_MAX];
    snprintf(msg, sizeof msg, "%s", e->msg);
    return sc_err(s, node, "%s", msg);
}

void sc_notice(S *s, int line, const char *fmt, ...)
{
    if (!s->o || !s->o->notices)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(s->o->notices, "%s:%d: notice: ", s->file, line);
    vfprintf(s->o->notices, fmt, ap);
    fputc('\n', s->o->notices);
    va_end(ap);
}

/* A Keras 2 spelling is said where asked for (summary, trace), and each only once per script:
 * "input_shape" once, however many layers give it. */
static int first_spelling(S *s, const char *line)
{
    const char *text = strncmp(line, "notice: ", 8) ? line : line + 8;
    size_t n = strcspn(text, "= ");
    if (!s->o || !s->o->spellings || n >= sizeof s->spellings_shown[0])
        return 0;
    for (int i = 0; i < s->n_spellings; i++)
        if (strlen(s->spellings_shown[i]) == n && !strncmp(s->spellings_shown[i], text, n))
            return 0;
    if (s->n_spellings < (int)(sizeof s->spellings_shown / sizeof s->spellings_shown[0]))
        snprintf(s->spellings_shown[s->n_spellings++], sizeof s->spellings_shown[0], "%.*s", (int)n,
                 text);
    return 1;
}

void sc_layer_notices(S *s, int line, const char *text)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", text);
    for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
        if (strstr(l, "Keras 2 spelling") && !first_spelling(s, l))
            continue;
        sc_notice(s, line, "%s", strncmp(l, "notice: ", 8) ? l : l + 8);
    }
}

/* ---- values ---- */

Val sc_none(void)
{
    Val v;
    memset(&v, 0, sizeof v);
    return v;
}

Val sc_ival(long long x)
{
    Val v = sc_none();
    v.kind = V_INT;
    v.i = x;
    v.f = (double)x;
    return v;
}

Val sc_fval(double x)
{
    Val v = sc_none();
    v.kind = V_FLOAT;
    v.f = x;
    return v;
}

Val sc_noticed(int line)
{
    Val v = sc_data(NULL, line);
    v.f = 1;
    return v;
}

Val sc_data(const char *name, int line)
{
    Val v = sc_none();
    v.kind = V_DATA;
    v.s = name;
    v.node = line;
    return v;
}

const char *sc_kind_name(VKind k)
{
    static const char *const names[] = {
        "None",       "a bool",       "an int",   "a float", "a string", "a tuple",
        "a list",     "a class",      "a module", "a layer", "a tensor", "a model",
        "a function", "an optimizer", "a loss",   "data",    "a dict",   "a Keras object"};
    return names[k];
}

Val sc_seq(S *s, VKind kind, int n)
{
    Val v = sc_none();
    v.kind = kind;
    v.items = sc_heap(s, (size_t)(n ? n : 1) * sizeof(Val));
    v.n = v.items ? n : 0; /* never items that are not there; the caller reports the NULL */
    return v;
}

/* ---- the environment ---- */

static unsigned name_hash(const char *name) /* FNV-1a */
{
    unsigned h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

/* The slot of env's index that holds name, or the empty one where it would go. */
static unsigned slot_of(const Env *env, const char *name)
{
    unsigned mask = 2u * (unsigned)env->cap - 1;
    unsigned i = name_hash(name) & mask;
    while (env->index[i] && strcmp(env->vars[env->index[i] - 1].name, name))
        i = (i + 1) & mask;
    return i;
}

Var *sc_find_var(Env *env, const char *name)
{
    for (Env *e = env; e; e = e->parent) {
        int k = e->n ? e->index[slot_of(e, name)] : 0;
        if (k)
            return &e->vars[k - 1];
    }
    return NULL;
}

/* Room for one more name: vars and the index double (the index stays at most half full). */
static int grow_env(S *s, Env *env, int node)
{
    int cap = env->cap ? 2 * env->cap : 64;
    Var *nv = sc_heap(s, (size_t)cap * sizeof *nv);
    int *index = sc_heap(s, 2 * (size_t)cap * sizeof *index);
    if (!nv || !index)
        return sc_oom(s, node);
    if (env->n)
        memcpy(nv, env->vars, (size_t)env->n * sizeof *nv);
    env->vars = nv;
    env->index = index;
    env->cap = cap;
    for (int k = 0; k < env->n; k++)
        index[slot_of(env, nv[k].name)] = k + 1;
    return 0;
}

int sc_bind(S *s, Env *env, const char *name, Val v, int node)
{
    int k = env->n ? env->index[slot_of(env, name)] : 0;
    if (k) {
        env->vars[k - 1].v = v;
        return 0;
    }
    if (env->n == env->cap && grow_env(s, env, node) < 0)
        return -1;
    env->vars[env->n].name = name;
    env->vars[env->n].v = v;
    env->index[slot_of(env, name)] = ++env->n;
    return 0;
}

/* ---- names Keras code uses without defining them ---- */

static const char *const other_classes[] = {"Sequential", "Model", "Functional", "Input"};
/* Python's builtins a model script calls (script_calls.c's builtin()). */
static const char *const builtins[] = {
    "range", "len",   "print", "int",  "float", "list",      "tuple",  "min", "max", "abs",  "str",
    "repr",  "round", "sum",   "bool", "zip",   "enumerate", "sorted", "any", "all", "dict", "set"};
static const char *const keras_roots[] = {
    "keras",   "tf",        "tensorflow",  "layers",       "models",       "optimizers", "losses",
    "metrics", "callbacks", "activations", "initializers", "regularizers", "constraints"};
static const char *const data_roots[] = {
    "np",   "numpy",  "pd",  "pandas", "plt",  "matplotlib", "sklearn",      "scipy",
    "math", "random", "os",  "sys",    "time", "datetime",   "pickle",       "json",
    "glob", "h5py",   "cv2", "PIL",    "open", "utils",      "preprocessing"};

int sc_in_list(const char *const *list, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i], name))
            return 1;
    return 0;
}

int sc_is_builtin(const char *name)
{
    return sc_in_list(builtins, sizeof builtins / sizeof *builtins, name);
}

int sc_known_class(const char *name)
{
    return sl_layer_name_known(name) || sc_keras_layer(name) || sc_merge_function(name) ||
           sc_is_builtin(name) ||
           sc_in_list(other_classes, sizeof other_classes / sizeof *other_classes, name);
}

Val sc_module(S *s, const char *name, int data_lib)
{
    Val v = sc_none();
    v.kind = V_MODULE;
    v.s = name;
    v.data_lib = data_lib;
    (void)s;
    return v;
}

int sc_resolve_name(S *s, Env *env, int node, Val *out)
{
    const char *name = N(s, node)->s;
    Var *var = sc_find_var(env, name);
    if (var) {
        *out = var->v;
        return 0;
    }
    *out = sc_none();
    if (sc_keras_name(NULL, name, 0, out)) {
        return 0;
    } else if (sc_in_list(keras_roots, sizeof keras_roots / sizeof *keras_roots, name)) {
        *out = sc_module(s, name, 0);
    } else if (sc_in_list(data_roots, sizeof data_roots / sizeof *data_roots, name)) {
        *out = sc_module(s, name, 1);
    } else if (s->lenient_names) {
        *out = sc_data(NULL, N(s, node)->line);
    } else {
        return sc_err(s, node,
                      "name '%s' is not defined (shapelab knows Keras's layers, models, "
                      "optimizers and losses by name): paste the lines that define it, or give "
                      "its value with --set %s=VALUE",
                      name, name);
    }
    return 0;
}

/* ---- converting values to engine arguments ---- */

void sc_line_text(const S *s, int line, char *buf, size_t n)
{
    const char *p = s->src;
    for (int l = 1; p && l < line; l++) {
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    while (p && (*p == ' ' || *p == '\t'))
        p++;
    size_t len = 0;
    while (p && p[len] && p[len] != '\n' && p[len] != '\r' && len + 1 < n)
        len++;
    snprintf(buf, n, "%.*s", (int)len, p ? p : "");
    sl_utf8_trim(buf);
}

/* A Keras object as an engine argument: an activation, a loss or a metric by its name (a
 * metric class by its snake_case name, as Keras logs it); an initializer, a regularizer or a
 * constraint as an SL_V_OBJECT with its arguments. */
static int object_value(S *s, int node, const Val *v, SlArgs *a, SlValue *out)
{
    if (v->i == F_ACTIVATION || v->i == F_LOSS_FN || v->i == F_METRIC) {
        char name[96];
        if (v->i == F_METRIC)
            sc_snake_case(v->s, name, sizeof name);
        else
            snprintf(name, sizeof name, "%s", v->s);
        *out = sl_value_str(a, name);
        return out->kind == SL_V_STR ? 0 : sc_err(s, node, "arguments too long");
    }
    SlValue items[SL_TUPLE_MAX];
    const char *keys[SL_TUPLE_MAX];
    int n = v->kind == V_OBJECT ? v->n / 2 : 0;
    if (n > SL_TUPLE_MAX)
        return sc_err(s, node, "%s takes too many arguments here", v->s);
    for (int k = 0; k < n; k++) {
        keys[k] = v->items[2 * k].kind == V_STR ? v->items[2 * k].s : NULL;
        if (sc_to_slvalue(s, node, &v->items[2 * k + 1], a, &items[k]) < 0)
            return -1;
    }
    *out = sl_value_object(a, v->s, n, items, keys);
    return out->kind == SL_V_OBJECT ? 0 : sc_err(s, node, "arguments too long");
}

int sc_to_slvalue(S *s, int node, const Val *v, SlArgs *a, SlValue *out)
{
    SlValue items[SL_TUPLE_MAX];
    switch (v->kind) {
    case V_NONE:
        *out = sl_value_none();
        return 0;
    case V_BOOL:
        *out = sl_value_bool((int)v->i);
        return 0;
    case V_INT:
        *out = sl_value_int(v->i);
        return 0;
    case V_FLOAT:
        *out = sl_value_float(v->f);
        return 0;
    case V_STR:
        *out = sl_value_str(a, v->s);
        return out->kind == SL_V_STR ? 0 : sc_err(s, node, "arguments too long");
    case V_TUPLE:
    case V_LIST:
        if (v->n > SL_TUPLE_MAX)
            return sc_err(s, node, "a tuple of %d items is longer than shapelab takes here (%d)",
                          v->n, SL_TUPLE_MAX);
        for (int i = 0; i < v->n; i++)
            if (sc_to_slvalue(s, node, &v->items[i], a, &items[i]) < 0)
                return -1;
        *out = sl_value_tuple(a, v->n, items, v->kind == V_LIST);
        return out->kind == SL_V_TUPLE ? 0 : sc_err(s, node, "arguments too long");
    case V_DATA:
        if (v->s && v->i == 2) { /* x_train.shape[1] */
            char where[160];
            sc_line_text(s, v->node, where, sizeof where);
            return sc_err(s, node,
                          "'%s' is data (line %d: %s), so shapelab does not know its shape: "
                          "write the number, or pass --set %s.shape=(...) with the array's "
                          "shape",
                          v->s, v->node, where, v->s);
        }
        if (v->s) {
            char where[160];
            sc_line_text(s, v->node, where, sizeof where);
            return sc_err(s, node,
                          "'%s' is bound to data (line %d: %s), so shapelab does not know its "
                          "value: write the number, or pass --set %s=VALUE",
                          v->s, v->node, where, v->s);
        }
        return sc_err(s, node,
                      "this value comes from data, so shapelab does not know it: write "
                      "the number here");
    case V_OBJECT:
        return object_value(s, node, v, a, out);
    case V_CLASS:
        if (v->i == F_INIT || v->i == F_REG || v->i == F_CONSTRAINT || v->i == F_METRIC)
            return object_value(s, node, v, a, out); /* a class passed uncalled: its defaults */
        return sc_err(s, node, "the class %s cannot be passed here; make one: %s(...)", v->s, v->s);
    case V_DICT:
        return sc_err(s, node, "a dict as an argument is not supported yet");
    default:
        return sc_err(s, node, "%s cannot be passed here", sc_kind_name(v->kind));
    }
}

/* Engine arguments from call arguments, leaving out the keywords in `skip`. */
int sc_to_slargs(S *s, const Args *in, SlArgs *a, const char *const *skip, int n_skip)
{
    sl_args_init(a);
    for (int i = 0; i < in->n; i++) {
        if (in->kw[i] && sc_in_list(skip, (size_t)n_skip, in->kw[i]))
            continue;
        SlValue v;
        SlError e2;
        if (sc_to_slvalue(s, in->node[i], &in->v[i], a, &v) < 0)
            return -1;
        if (sl_args_add(a, in->kw[i], v, &e2) < 0)
            return sc_err(s, in->node[i], "%s", e2.msg);
    }
    return 0;
}

const Val *sc_kwarg(const Args *a, const char *name, int pos)
{
    for (int i = 0; i < a->n; i++)
        if (a->kw[i] ? !strcmp(a->kw[i], name) : i == pos)
            return &a->v[i];
    return NULL;
}

int sc_has_data(const Args *a)
{
    for (int i = 0; i < a->n; i++)
        if (a->v[i].kind == V_DATA)
            return 1;
    return 0;
}

/* ---- evaluation ---- */

int sc_eval_args(S *s, Env *env, int first, Args *a)
{
    a->n = 0;
    for (int i = first; i >= 0; i = N(s, i)->next) {
        if (a->n == SL_ARGS_MAX)
            return sc_err(s, i, "too many arguments");
        a->kw[a->n] = N(s, i)->kw;
        a->node[a->n] = i;
        if (sc_eval(s, env, i, &a->v[a->n]) < 0)
            return -1;
        a->n++;
    }
    return 0;
}

int sc_count_iteration(S *s, int node)
{
    if (++s->iterations > SC_MAX_ITERATIONS)
        return sc_err(s, node, "the script runs more than %d loop iterations; shapelab stops here",
                      SC_MAX_ITERATIONS);
    return 0;
}

static int eval_node(S *s, Env *env, int node, Val *out);

int sc_eval(S *s, Env *env, int node, Val *out)
{
    if (sc_steps(s, node, 1) < 0)
        return -1;
    if (++s->eval_depth > SC_MAX_EVAL_DEPTH) {
        s->eval_depth--;
        return sc_err(s, node,
                      "expression nested too deeply (more than %d operations or calls "
                      "inside one another); split it over several lines",
                      SC_MAX_EVAL_DEPTH);
    }
    int rc = eval_node(s, env, node, out);
    s->eval_depth--;
    return rc;
}

static int eval_node(S *s, Env *env, int node, Val *out)
{
    const Node *n = N(s, node);
    *out = sc_none();
    switch (n->kind) {
    case N_INT:
        *out = sc_ival(n->i);
        return 0;
    case N_FLOAT:
        *out = sc_fval(n->f);
        return 0;
    case N_STR:
        out->kind = V_STR;
        out->s = n->s;
        return 0;
    case N_NONE:
        return 0;
    case N_TRUE:
    case N_FALSE:
        out->kind = V_BOOL;
        out->i = n->kind == N_TRUE;
        return 0;
    case N_NAME:
        return sc_resolve_name(s, env, node, out);
    case N_TUPLE:
    case N_LIST:
        return sc_eval_sequence(s, env, node, out);
    case N_LISTCOMP:
        return sc_eval_listcomp(s, env, node, out);
    case N_ATTR:
        return sc_eval_attr(s, env, node, out);
    case N_SUBSCRIPT:
        return sc_eval_subscript(s, env, node, out);
    case N_BINOP:
        return sc_eval_binop(s, env, node, out);
    case N_UNARY:
        return sc_eval_unary(s, env, node, out);
    case N_CALL:
        return sc_eval_call(s, env, node, out);
    case N_BOOLOP:
        return sc_eval_boolop(s, env, node, out);
    case N_NOT:
        return sc_eval_not(s, env, node, out);
    case N_COMPARE:
        return sc_eval_compare(s, env, node, out);
    case N_IFEXP: {
        int t = sc_eval_truth(s, env, n->a);
        return t < 0 ? -1 : sc_eval(s, env, t ? n->b : n->c, out);
    }
    case N_FSTRING:
        return sc_eval_fstring(s, env, node, out);
    case N_DICT:
        return sc_eval_dict(s, env, node, out);
    case N_SLICE:
        return sc_err(s, node, "a slice (a:b) goes inside brackets: x[a:b]");
    default:
        return sc_err(s, node, "not an expression");
    }
}

/* ---- statements ---- */

/* Does --set give `name`: 1 for NAME=VALUE, 2 for NAME.shape=(...) (an array's shape), else 0. */
static int is_set(const S *s, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; s->o && i < s->o->n_set; i++) {
        if (!strcmp(s->o->set_name[i], name))
            return 1;
        if (!strncmp(s->o->set_name[i], name, n) && !strcmp(s->o->set_name[i] + n, ".shape"))
            return 2;
    }
    return 0;
}

/* layer.trainable = False: the layer, its inner layers and their weights. */
static void set_trainable(SlLayer *l, int on)
{
    l->trainable = on;
    for (int i = 0; i < l->n_params; i++)
        l->params[i].trainable = on;
    for (int i = 0; i < l->n_child; i++)
        set_trainable(l->child[i], on);
}

/* obj.attr = v: what a model script sets on layers and models (trainable); on data, nothing. */
static int assign_attr(S *s, Env *env, int target, const Val *v)
{
    const Node *t = N(s, target);
    Val obj;
    if (sc_eval(s, env, t->a, &obj) < 0)
        return -1;
    if (obj.kind == V_DATA || obj.kind == V_MODULE)
        return 0; /* df.index = ..., tf.config.x = ...: about data or the machine */
    if ((obj.kind == V_LAYER || obj.kind == V_MODEL) && !strcmp(t->s, "trainable")) {
        int on = sc_truth(s, target, v);
        if (on < 0)
            return -1;
        if (obj.kind == V_LAYER)
            set_trainable(obj.layer, on);
        for (int i = 0; obj.kind == V_MODEL && i < obj.model->n_layers; i++)
            set_trainable(obj.model->layers[i], on);
        for (int i = 0; obj.kind == V_MODEL && i < obj.model->n_pending; i++)
            set_trainable(obj.model->pending[i], on);
        return 0;
    }
    return sc_err(s, target, "setting '%s' of %s is not understood in a model script", t->s,
                  sc_kind_name(obj.kind));
}

/* x[i] = v: an item of a list; on data, nothing. */
static int assign_item(S *s, Env *env, int target, const Val *v)
{
    const Node *t = N(s, target);
    Val obj, idx;
    if (sc_eval(s, env, t->a, &obj) < 0)
        return -1;
    if (obj.kind == V_DATA) { /* w[y_train == 5] = 2.0: its index is data of unpasted cells too */
        sc_notice(s, t->line, "skipped a statement about data (an item of '%s' set)",
                  obj.s ? obj.s : "an array");
        return 0;
    }
    if (sc_eval(s, env, t->b, &idx) < 0)
        return -1;
    if (idx.kind == V_DATA || obj.kind == V_MODULE)
        return 0; /* os.environ["KERAS_BACKEND"] = ...: about the machine, not the model */
    if (obj.kind != V_LIST || idx.kind != V_INT)
        return sc_err(s, target, "setting an item of %s is not understood in a model script",
                      sc_kind_name(obj.kind));
    long long k = idx.i < 0 ? idx.i + obj.n : idx.i;
    if (k < 0 || k >= obj.n)
        return sc_err(s, t->b, "index %lld is out of range for %d items", idx.i, obj.n);
    obj.items[k] = *v;
    return 0;
}

int sc_assign(S *s, Env *env, int target, Val v, int line)
{
    const Node *t = N(s, target);
    if (t->kind == N_NAME) {
        if (v.kind == V_DATA && env == &s->globals && is_set(s, t->s))
            return 0;           /* (x_train, y_train), _ = load_data(): --set gives x_train.shape */
        if (v.kind == V_DATA) { /* errors name the variable the learner wrote */
            v.s = t->s, v.node = line, v.f = 0;
            v.i = v.i == 2 ? 0 : v.i; /* n = x.shape[1]: --set n=VALUE now */
        }
        return sc_bind(s, env, t->s, v, target);
    }
    if (t->kind == N_ATTR)
        return assign_attr(s, env, target, &v);
    if (t->kind == N_SUBSCRIPT)
        return assign_item(s, env, target, &v);
    if (t->kind != N_TUPLE && t->kind != N_LIST)
        return sc_err(s, target, "only names (or a, b = ...) can be assigned to");
    int count = 0;
    for (int i = t->a; i >= 0; i = N(s, i)->next)
        count++;
    if (v.kind != V_DATA && v.kind != V_TUPLE && v.kind != V_LIST)
        return sc_err(s, target, "cannot unpack %s into %d names", sc_kind_name(v.kind), count);
    if (v.kind != V_DATA && v.n != count)
        return sc_err(s, target,
                      "%d values to unpack into %d names (a layer with return_state "
                      "gives its output and then its states)",
                      v.n, count);
    int k = 0;
    for (int i = t->a; i >= 0; i = N(s, i)->next, k++)
        if (sc_assign(s, env, i, v.kind == V_DATA ? sc_data(NULL, line) : v.items[k], line) < 0)
            return -1;
    return 0;
}

static int exec_assign(S *s, Env *env, int node)
{
    const Node *n = N(s, node);
    const Node *t = N(s, n->a);
    int set = t->kind == N_NAME && env == &s->globals ? is_set(s, t->s) : 0;
    if (set == 1) {
        sc_notice(s, n->line, "'%s' comes from --set, not from this line", t->s);
        return 0;
    }
    Val v;
    s->lenient_names += set == 2; /* x_train = make(df.values): the names of unpasted cells */
    int rc = sc_eval(s, env, n->b, &v);
    s->lenient_names -= set == 2;
    if (rc < 0)
        return -1;
    if (set == 2 && v.kind == V_DATA) { /* the array whose shape --set gives */
        sc_notice(s, n->line, "'%s' has the shape --set gives it, not one from this line", t->s);
        return 0;
    }
    if (strcmp(n->op, "=")) { /* x += y */
        Val old;
        if (t->kind == N_TUPLE)
            return sc_err(s, n->a, "'%s' needs one name on its left", n->op);
        if (sc_eval(s, env, n->a, &old) < 0)
            return -1;
        char op[4];
        Val sum; /* not v itself: sc_binary reads its operands' items while it fills out */
        snprintf(op, sizeof op, "%.*s", (int)strlen(n->op) - 1, n->op);
        if (sc_binary(s, node, op, &old, &v, &sum) < 0)
            return -1;
        v = sum;
    }
    if (v.kind == V_DATA && t->kind == N_NAME && !v.f)
        sc_notice(s, n->line,
                  "skipped a statement about data ('%s' = ...); shapelab takes data "
                  "from files (-x, -y)",
                  t->s);
    return sc_assign(s, env, n->a, v, n->line);
}

/* After a loop's body: a `continue` is done with; a `break` ends the loop (1). */
static int end_of_body(S *s)
{
    s->continuing = 0;
    if (!s->breaking)
        return 0;
    s->breaking = 0;
    return 1;
}

/* After a loop over data, the names it binds hold data, as they would in Python (for batch in
 * ds.take(1): inputs, targets = batch), unless --set gives them. */
static int bind_as_data(S *s, Env *env, int target, int line)
{
    const Node *t = N(s, target);
    if (t->kind == N_NAME)
        return is_set(s, t->s) ? 0 : sc_bind(s, env, t->s, sc_data(t->s, line), target);
    for (int i = t->a; (t->kind == N_TUPLE || t->kind == N_LIST) && i >= 0; i = N(s, i)->next)
        if (bind_as_data(s, env, i, line) < 0)
            return -1;
    return 0;
}

static int bind_body_as_data(S *s, Env *env, int first)
{
    for (int i = first; i >= 0; i = N(s, i)->next) {
        const Node *st = N(s, i);
        if (st->kind == S_ASSIGN && bind_as_data(s, env, st->a, st->line) < 0)
            return -1;
        if (st->kind == S_FOR && bind_as_data(s, env, st->a, st->line) < 0)
            return -1;
        if ((st->kind == S_FOR || st->kind == S_WITH) && bind_body_as_data(s, env, st->c) < 0)
            return -1;
        if ((st->kind == S_IF || st->kind == S_WHILE) && bind_body_as_data(s, env, st->b) < 0)
            return -1;
        if (st->kind == S_IF && st->c >= 0 && bind_body_as_data(s, env, st->c) < 0)
            return -1;
    }
    return 0;
}

static int exec_for(S *s, Env *env, int node)
{
    const Node *n = N(s, node);
    Val it;
    if (sc_eval(s, env, n->b, &it) < 0)
        return -1;
    if (it.kind == V_DATA) {
        sc_notice(s, n->line, "skipped a loop over data");
        return bind_as_data(s, env, n->a, n->line) < 0 ? -1 : bind_body_as_data(s, env, n->c);
    }
    if (it.kind != V_LIST && it.kind != V_TUPLE)
        return sc_err(s, n->b, "cannot loop over %s", sc_kind_name(it.kind));
    for (int k = 0; k < it.n && !s->returning; k++) {
        if (sc_count_iteration(s, node) < 0 || sc_assign(s, env, n->a, it.items[k], n->line) < 0 ||
            sc_exec_block(s, env, n->c) < 0)
            return -1;
        if (end_of_body(s))
            break;
    }
    return 0;
}

/* while cond: body. Its iterations count against the loop limit, so a loop that never ends
 * stops with an error at its line. */
static int exec_while(S *s, Env *env, int node)
{
    const Node *n = N(s, node);
    while (!s->returning) {
        int t = sc_eval_truth(s, env, n->a);
        if (t < 0)
            return -1;
        if (!t)
            break;
        if (sc_count_iteration(s, node) < 0 || sc_exec_block(s, env, n->b) < 0)
            return -1;
        if (end_of_body(s))
            break;
    }
    return 0;
}

static int exec_if(S *s, Env *env, int node)
{
    const Node *n = N(s, node);
    int t = sc_eval_truth(s, env, n->a);
    if (t < 0)
        return -1;
    if (t)
        return sc_exec_block(s, env, n->b);
    return n->c >= 0 ? sc_exec_block(s, env, n->c) : 0;
}

/* with strategy.scope(): the context is evaluated (data or a device is fine) and the body runs. */
static int exec_with(S *s, Env *env, int node)
{
    const Node *n = N(s, node);
    Val c;
    if (sc_eval(s, env, n->a, &c) < 0)
        return -1;
    if (n->b >= 0 && sc_assign(s, env, n->b, c, n->line) < 0)
        return -1;
    return sc_exec_block(s, env, n->c);
}

int sc_eval_truth(S *s, Env *env, int node)
{
    Val c;
    return sc_eval(s, env, node, &c) < 0 ? -1 : sc_truth(s, node, &c);
}

static int exec_assert(S *s, Env *env, int node)
{
    Val c;
    if (sc_eval(s, env, N(s, node)->a, &c) < 0)
        return -1;
    if (c.kind == V_DATA) /* about data: shapelab cannot tell, and goes on */
        return 0;
    int t = sc_truth(s, N(s, node)->a, &c);
    return t < 0 ? -1 : t ? 0 : sc_err(s, node, "this assertion fails");
}

static int exec_import(S *s, Env *env, int node)
{
    const Node *n = N(s, node);
    for (int i = n->a; i >= 0; i = N(s, i)->next) {
        const char *name = N(s, i)->s, *as = N(s, i)->kw;
        char root[64];
        snprintf(root, sizeof root, "%s", n->s[0] ? n->s : name);
        char *dot = strchr(root, '.');
        if (dot)
            *dot = '\0';
        int data_lib = sc_in_list(data_roots, sizeof data_roots / sizeof *data_roots, root);
        char *full = sc_heap(s, strlen(n->s) + strlen(name) + 2); /* from a.b import c: a.b.c */
        if (!full)
            return sc_oom(s, i);
        sprintf(full, "%s%s%s", n->s, n->s[0] ? "." : "", name);
        Val v = sc_module(s, full, data_lib), named;
        if (n->s[0] && sc_keras_name(n->s, name, data_lib, &named))
            v = named;
        if (!strcmp(name, "*"))
            continue;
        char *root_copy = sc_heap(s, strlen(root) + 1); /* root is on the stack */
        if (!root_copy)
            return sc_oom(s, i);
        strcpy(root_copy, root);
        if (sc_bind(s, env, as ? as : (n->s[0] ? name : root_copy),
                    n->s[0] || as ? v : sc_module(s, root_copy, data_lib), i) < 0)
            return -1;
    }
    return 0;
}

/* A value on a line of its own (x.shape, model.output_shape) is shown, as a notebook shows a
 * cell's value; strings (the text between a tutorial's cells) and None are not. */
static int echo(S *s, int node, const Val *v)
{
    NodeKind k = N(s, node)->kind;
    FILE *f = s->o ? s->o->out : NULL;
    if (!f || s->call_depth > 0 || v->kind == V_NONE || v->kind == V_DATA ||
        (k != N_ATTR && k != N_SUBSCRIPT && k != N_NAME && k != N_CALL && k != N_TUPLE))
        return 0;
    char text[4096];
    if (sc_str(s, v, 1, text, sizeof text) < 0)
        return sc_err(s, node, "this value is too long to show");
    fprintf(f, "%s\n", text);
    return 0;
}

static int exec_stmt(S *s, Env *env, int node)
{
    const Node *n = N(s, node);
    Val v;
    switch (n->kind) {
    case S_EXPR:
        if (sc_eval(s, env, n->a, &v) < 0)
            return -1;
        if (v.kind == V_DATA && N(s, n->a)->kind == N_CALL && !v.f)
            sc_notice(s, n->line, "skipped a statement about data");
        return echo(s, n->a, &v);
    case S_ASSIGN:
        return exec_assign(s, env, node);
    case S_FOR:
        return exec_for(s, env, node);
    case S_WHILE:
        return exec_while(s, env, node);
    case S_IF:
        return exec_if(s, env, node);
    case S_WITH:
        return exec_with(s, env, node);
    case S_BREAK:
        s->breaking = 1;
        return 0;
    case S_CONTINUE:
        s->continuing = 1;
        return 0;
    case S_ASSERT:
        return exec_assert(s, env, node);
    case S_RAISE:
        return sc_err(s, node, "the script raises an exception here");
    case S_DEL: /* the name is gone; what it held (a model, a layer) stays where it is used */
        for (int i = n->a; i >= 0; i = N(s, i)->next) {
            Var *var = sc_find_var(env, N(s, i)->s);
            if (!var)
                return sc_err(s, i, "name '%s' is not defined", N(s, i)->s);
            var->v = sc_none();
        }
        return 0;
    case S_DEF:
        if (!n->i && sc_make_function(s, env, node, &v) < 0)
            return -1;
        if (n->i) {
            sc_notice(s, n->line,
                      "skipped generator function '%s' (it makes data; shapelab train "
                      "takes data from files)",
                      n->s);
            v = sc_data(n->s, n->line);
        }
        return sc_bind(s, env, n->s, v, node);
    case S_RETURN:
        s->ret = sc_none();
        if (n->a >= 0 && sc_eval(s, env, n->a, &s->ret) < 0)
            return -1;
        s->returning = 1;
        return 0;
    case S_IMPORT:
        return exec_import(s, env, node);
    case S_PASS:
        return 0;
    default:
        return sc_err(s, node, "not a statement");
    }
}

int sc_exec_block(S *s, Env *env, int first)
{
    for (int i = first; i >= 0 && !s->returning && !s->breaking && !s->continuing;
         i = N(s, i)->next)
        if (exec_stmt(s, env, i) < 0)
            return -1;
    return 0;
}

/* ---- running a script ---- */

/* --set NAME=VALUE binds NAME; --set NAME.shape=(3745, 288, 1) makes NAME an array of data of
 * that shape, so that NAME.shape[1] and len(NAME) are known. */
static int bind_set(S *s, const char *name, const char *text, const Val *v)
{
    size_t n = strlen(name);
    if (n <= 6 || strcmp(name + n - 6, ".shape"))
        return sc_bind(s, &s->globals, name, *v, 0);
    int ok = (v->kind == V_TUPLE || v->kind == V_LIST) && v->n >= 1 && v->n <= SL_MAX_RANK;
    for (int k = 0; ok && k < v->n; k++)
        ok = v->items[k].kind == V_INT && v->items[k].i >= 0;
    if (!ok)
        return sl_errorf(s->e,
                         "--set %s=%s: a shape is a tuple of 1 to %d sizes, like (100, 28, 1)",
                         name, text, SL_MAX_RANK);
    char *base = sc_heap(s, n - 5);
    if (!base)
        return sl_errorf(s->e, "--set: out of memory");
    memcpy(base, name, n - 6);
    base[n - 6] = '\0';
    Val d = sc_data(base, 0);
    d.i = 1; /* its shape is known */
    d.items = v->items;
    d.n = v->n;
    return sc_bind(s, &s->globals, base, d, 0);
}

static int apply_sets(S *s)
{
    for (int i = 0; s->o && i < s->o->n_set; i++) {
        Lexer lx;
        Parser ps;
        SlError e2;
        const char *text = s->o->set_value[i];
        if (sc_lex(&lx, "--set", text, strlen(text), &e2) < 0)
            return sl_errorf(s->e, "--set %s=%s: not a value (%s)", s->o->set_name[i], text,
                             e2.msg);
        int root = sc_parse_expr_only(&ps, &lx, &e2);
        int rc = 0;
        if (root < 0) {
            rc = sl_errorf(s->e,
                           "--set %s=%s: not a value: write a number, a string in quotes, "
                           "or a tuple",
                           s->o->set_name[i], text);
        } else {
            /* evaluate with the --set text as the source, then keep the value */
            Parser keep = s->ps;
            const char *src = s->src, *file = s->file;
            s->ps = ps, s->src = (char *)text, s->file = "--set";
            Val v;
            rc = sc_eval(s, &s->globals, root, &v);
            if (rc == 0 && (v.kind == V_STR || v.kind == V_TUPLE || v.kind == V_LIST))
                v = sc_copy_deep(s, &v); /* it must outlive the --set parse */
            s->ps = keep, s->src = (char *)src, s->file = file;
            if (rc == 0)
                rc = bind_set(s, s->o->set_name[i], text, &v);
        }
        sc_parse_free(&ps);
        sc_lex_free(&lx);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* The text as Python reads it: without the UTF-8 byte-order mark some editors put first, and with
 * every line ending ("\r\n", or "\r" alone as old Mac editors save) made "\n". dst has room for
 * len + 1 bytes; returns the new length. */
static size_t python_text(char *dst, const char *src, size_t len)
{
    size_t i = len >= 3 && !memcmp(src, "\xEF\xBB\xBF", 3) ? 3 : 0, n = 0;
    for (; i < len; i++) {
        dst[n++] = src[i] == '\r' ? '\n' : src[i];
        if (src[i] == '\r' && i + 1 < len && src[i + 1] == '\n')
            i++;
    }
    dst[n] = '\0';
    return n;
}

SlScript *sl_script_run_text(const char *name, const char *text, size_t len,
                             const SlScriptOptions *o, SlError *e)
{
    S *s = sl_alloc_zero(1, sizeof *s);
    if (!s) {
        sl_errorf(e, "%s: out of memory", name);
        return NULL;
    }
    s->file = name;
    s->o = o;
    s->e = e;
    s->src = sl_alloc(len + 1);
    if (!s->src) {
        sl_free(s);
        sl_errorf(e, "%s: out of memory", name);
        return NULL;
    }
    s->len = len = python_text(s->src, text, len);
    sl_clear_session();
    int first;
    if (sc_lex(&s->lx, name, s->src, len, e) < 0 || (first = sc_parse(&s->ps, &s->lx, e)) == -2 ||
        apply_sets(s) < 0 || sc_exec_block(s, &s->globals, first) < 0) {
        sl_script_free(s);
        return NULL;
    }
    return s;
}

SlScript *sl_script_run(const char *path, const SlScriptOptions *o, SlError *e)
{
    unsigned long long size;
    FILE *f = sl_open_input(path, &size, e);
    if (!f)
        return NULL;
    if (size > SC_MAX_FILE) {
        fclose(f);
        sl_errorf(e, "%s: the script is larger than %d bytes; shapelab reads scripts up to that",
                  path, SC_MAX_FILE);
        return NULL;
    }
    char *buf = sl_alloc(SC_MAX_FILE + 1);
    size_t n = buf ? fread(buf, 1, SC_MAX_FILE + 1, f) : 0; /* the file may have grown since */
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad || n > SC_MAX_FILE) {
        sl_free(buf);
        sl_errorf(e, "%s: %s", path,
                  !buf  ? "out of memory"
                  : bad ? "read error"
                        : "the script grew while read");
        return NULL;
    }
    SlScript *s = sl_script_run_text(path, buf, n, o, e);
    sl_free(buf);
    return s;
}

SlModel *sl_script_model(SlScript *s, SlError *e)
{
    const char *want = s->o && s->o->model_name ? s->o->model_name : "model";
    Var *v = sc_find_var(&s->globals, want);
    if (v && v->v.kind == V_MODEL)
        return v->v.model;
    if (s->o && s->o->model_name) {
        char names[512] = "";
        size_t u = 0;
        for (int i = 0; i < s->globals.n; i++)
            if (s->globals.vars[i].v.kind == V_MODEL && u < sizeof names)
                u += (size_t)snprintf(names + u, sizeof names - u, "%s%s", u ? ", " : "",
                                      s->globals.vars[i].name);
        sl_errorf(e, "%s: no model is bound to '%s'%s%s", s->file, want,
                  u ? "; the script's models are: " : "", names);
        return NULL;
    }
    if (!s->last_model)
        sl_errorf(e,
                  "%s: the script builds no model (shapelab looks for Sequential(...) or "
                  "Model(inputs, outputs))",
                  s->file);
    return s->last_model;
}

int sl_script_summary_width(const SlScript *s)
{
    return s->summary_width;
}

void sl_script_free(SlScript *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n_layers; i++)
        sl_layer_free(s->layers[i]); /* the ones no model or wrapper took (the others are NULL) */
    for (int m = 0; m < s->n_models; m++)
        sl_model_free(s->models[m]);
    for (int i = 0; i < s->n_blocks; i++)
        sl_free(s->blocks[i]);
    sl_free(s->blocks);
    sc_parse_free(&s->ps);
    sc_lex_free(&s->lx);
    sl_free(s->src);
    sl_free(s);
}
