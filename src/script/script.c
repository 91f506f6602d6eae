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
#include "script.h"
#include "script_impl.h"
#include "train.h"

typedef SlScript S;

/* ---- memory, errors, notices ---- */

void *sc_heap(S *s, size_t size)
{
    void **blocks = sl_grow(s->blocks, &s->cap_blocks, (size_t)s->n_blocks + 1, sizeof *blocks);
    if (!blocks)
        return NULL;
    s->blocks = blocks;
    void *p = sl_alloc_zero(1, size ? size : 1);
    if (p)
        s->blocks[s->n_blocks++] = p;
    return p;
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

void sc_layer_notices(S *s, int line, const char *text)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", text);
    for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
        sc_notice(s, line, "%s", strncmp(l, "notice: ", 8) ? l : l + 8);
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
    static const char *const names[] = {"None",       "a bool",       "an int",   "a float",
                                        "a string",   "a tuple",      "a list",   "a class",
                                        "a module",   "a layer",      "a tensor", "a model",
                                        "a function", "an optimizer", "a loss",   "data"};
    return names[k];
}

Val sc_seq(S *s, VKind kind, int n)
{
    Val v = sc_none();
    v.kind = kind;
    v.n = n;
    v.items = sc_heap(s, (size_t)(n ? n : 1) * sizeof(Val));
    return v;
}

/* ---- the environment ---- */

Var *sc_find_var(Env *env, const char *name)
{
    for (Env *e = env; e; e = e->parent)
        for (int i = e->n - 1; i >= 0; i--)
            if (!strcmp(e->vars[i].name, name))
                return &e->vars[i];
    return NULL;
}

int sc_bind(S *s, Env *env, const char *name, Val v, int node)
{
    for (int i = 0; i < env->n; i++)
        if (!strcmp(env->vars[i].name, name)) {
            env->vars[i].v = v;
            return 0;
        }
    if (env->n == env->cap) {
        int cap = env->cap ? 2 * env->cap : 64;
        Var *nv = sc_heap(s, (size_t)cap * sizeof *nv);
        if (!nv)
            return sc_err(s, node, "out of memory");
        if (env->n)
            memcpy(nv, env->vars, (size_t)env->n * sizeof *nv);
        env->vars = nv;
        env->cap = cap;
    }
    env->vars[env->n].name = name;
    env->vars[env->n++].v = v;
    return 0;
}

/* ---- names Keras code uses without defining them ---- */

static const char *const other_classes[] = {"Sequential",
                                            "Model",
                                            "Input",
                                            "SGD",
                                            "Adam",
                                            "RMSprop",
                                            "MeanSquaredError",
                                            "MeanAbsoluteError",
                                            "BinaryCrossentropy",
                                            "CategoricalCrossentropy",
                                            "SparseCategoricalCrossentropy",
                                            "range",
                                            "len",
                                            "print",
                                            "int",
                                            "float",
                                            "list",
                                            "tuple",
                                            "min",
                                            "max",
                                            "abs",
                                            "str"};
static const char *const keras_roots[] = {"keras",     "tf",          "tensorflow",  "layers",
                                          "models",    "optimizers",  "losses",      "metrics",
                                          "callbacks", "activations", "initializers"};
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

int sc_known_class(const char *name)
{
    return sl_layer_name_known(name) || sc_merge_function(name) ||
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
    if (sc_known_class(name)) {
        out->kind = V_CLASS;
        out->s = name;
    } else if (sc_in_list(keras_roots, sizeof keras_roots / sizeof *keras_roots, name)) {
        *out = sc_module(s, name, 0);
    } else if (sc_in_list(data_roots, sizeof data_roots / sizeof *data_roots, name)) {
        *out = sc_module(s, name, 1);
    } else {
        return sc_err(s, node,
                      "name '%s' is not defined (shapelab knows Keras's layers, models, "
                      "optimizers and losses by name)",
                      name);
    }
    return 0;
}

/* ---- converting values to engine arguments ---- */

/* The text of a line of the script, trimmed. */
static void line_text(const S *s, int line, char *buf, size_t n)
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
        if (v->s) {
            char where[160];
            line_text(s, v->node, where, sizeof where);
            return sc_err(s, node,
                          "'%s' is bound to data (line %d: %s), so shapelab does not know its "
                          "value: write the number, or pass --set %s=VALUE",
                          v->s, v->node, where, v->s);
        }
        return sc_err(s, node,
                      "this value comes from data, so shapelab does not know it: write "
                      "the number here");
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
    default:
        return sc_err(s, node, "not an expression");
    }
}

/* ---- statements ---- */

static int is_set(const S *s, const char *name)
{
    for (int i = 0; s->o && i < s->o->n_set; i++)
        if (!strcmp(s->o->set_name[i], name))
            return 1;
    return 0;
}

static int assign_to(S *s, Env *env, int target, Val v, int line)
{
    const Node *t = N(s, target);
    if (t->kind == N_NAME) {
        if (v.kind == V_DATA) /* errors name the variable the learner wrote */
            v.s = t->s, v.node = line;
        return sc_bind(s, env, t->s, v, target);
    }
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
    for (int i = t->a; i >= 0; i = N(s, i)->next, k++) {
        if (N(s, i)->kind != N_NAME)
            return sc_err(s, i, "only names can be unpacked into");
        if (assign_to(s, env, i, v.kind == V_DATA ? sc_data(NULL, line) : v.items[k], line) < 0)
            return -1;
    }
    return 0;
}

static int exec_assign(S *s, Env *env, int node)
{
    const Node *n = N(s, node);
    const Node *t = N(s, n->a);
    if (t->kind == N_NAME && is_set(s, t->s)) {
        sc_notice(s, n->line, "'%s' comes from --set, not from this line", t->s);
        return 0;
    }
    Val v;
    if (sc_eval(s, env, n->b, &v) < 0)
        return -1;
    if (strcmp(n->op, "=")) { /* x += y */
        Val old;
        if (t->kind != N_NAME || sc_resolve_name(s, env, n->a, &old) < 0)
            return -1;
        char op[4];
        snprintf(op, sizeof op, "%.*s", (int)strlen(n->op) - 1, n->op);
        if (sc_binary(s, node, op, &old, &v, &v) < 0)
            return -1;
    }
    if (v.kind == V_DATA && t->kind == N_NAME)
        sc_notice(s, n->line,
                  "skipped a statement about data ('%s' = ...); shapelab takes data "
                  "from files (-x, -y)",
                  t->s);
    return assign_to(s, env, n->a, v, n->line);
}

static int exec_for(S *s, Env *env, int node)
{
    const Node *n = N(s, node);
    Val it;
    if (sc_eval(s, env, n->b, &it) < 0)
        return -1;
    if (it.kind == V_DATA) {
        sc_notice(s, n->line, "skipped a loop over data");
        return 0;
    }
    if (it.kind != V_LIST && it.kind != V_TUPLE)
        return sc_err(s, n->b, "cannot loop over %s", sc_kind_name(it.kind));
    for (int k = 0; k < it.n && !s->returning; k++) {
        if (sc_count_iteration(s, node) < 0 ||
            sc_bind(s, env, N(s, n->a)->s, it.items[k], n->a) < 0 ||
            sc_exec_block(s, env, n->c) < 0)
            return -1;
    }
    return 0;
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
        const char *last = strrchr(name, '.') ? strrchr(name, '.') + 1 : name;
        Val v = sc_module(s, name, data_lib);
        if (n->s[0] && sc_known_class(name) && !data_lib) {
            v.kind = V_CLASS;
            v.s = name;
        }
        if (!strcmp(name, "*"))
            continue;
        char *root_copy = sc_heap(s, strlen(root) + 1); /* root is on the stack */
        if (!root_copy)
            return sc_err(s, i, "out of memory");
        strcpy(root_copy, root);
        if (sc_bind(s, env, as ? as : (n->s[0] ? name : root_copy),
                    n->s[0] || as ? v : sc_module(s, root_copy, data_lib), i) < 0)
            return -1;
        (void)last;
    }
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
        if (v.kind == V_DATA && N(s, n->a)->kind == N_CALL && !v.s)
            sc_notice(s, n->line, "skipped a statement about data");
        return 0;
    case S_ASSIGN:
        return exec_assign(s, env, node);
    case S_FOR:
        return exec_for(s, env, node);
    case S_DEF:
        v = sc_none();
        v.kind = V_FUNC;
        v.node = node;
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
    for (int i = first; i >= 0 && !s->returning; i = N(s, i)->next)
        if (exec_stmt(s, env, i) < 0)
            return -1;
    return 0;
}

/* ---- running a script ---- */

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
                rc = sc_bind(s, &s->globals, s->o->set_name[i], v, 0);
        }
        sc_parse_free(&ps);
        sc_lex_free(&lx);
        if (rc < 0)
            return -1;
    }
    return 0;
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
    memcpy(s->src, text, len);
    s->src[len] = '\0';
    s->len = len;
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
    FILE *f = fopen(path, "rb");
    if (!f) {
        sl_errorf(e, "%s: cannot open the script", path);
        return NULL;
    }
    char *buf = sl_alloc(SC_MAX_FILE + 1);
    size_t n = buf ? fread(buf, 1, SC_MAX_FILE + 1, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        sl_free(buf);
        sl_errorf(e, "%s: %s", path, buf ? "read error (is it a directory?)" : "out of memory");
        return NULL;
    }
    if (n > SC_MAX_FILE) {
        sl_free(buf);
        sl_errorf(e, "%s: the script is larger than %d bytes; shapelab reads scripts up to that",
                  path, SC_MAX_FILE);
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

static int adopted(const S *s, const SlLayer *l)
{
    for (int m = 0; m < s->n_models; m++)
        for (int i = 0; i < s->models[m]->n_layers; i++)
            if (s->models[m]->layers[i] == l)
                return 1;
    for (int m = 0; m < s->n_models; m++)
        for (int i = 0; i < s->models[m]->n_pending; i++)
            if (s->models[m]->pending[i] == l)
                return 1;
    return 0;
}

void sl_script_free(SlScript *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n_layers; i++)
        if (!adopted(s, s->layers[i]))
            sl_layer_free(s->layers[i]);
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
