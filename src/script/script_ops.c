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
    *out = sc_seq(s, N(s, node)->kind == N_LIST ? V_LIST : V_TUPLE, n);
    if (!out->items)
        return sc_oom(s, node);
    int k = 0;
    for (int i = N(s, node)->a; i >= 0; i = N(s, i)->next)
        if (sc_eval(s, env, i, &out->items[k++]) < 0)
            return -1;
    return 0;
}

/* [expr for name in iterable]; the loop variable is restored afterwards, as in Python 3. */
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
    const char *name = N(s, n->b)->s;
    Var *old = sc_find_var(env, name);
    Val saved = old ? old->v : sc_none();
    int had = old != NULL;
    *out = sc_seq(s, V_LIST, it.n);
    if (!out->items)
        return sc_oom(s, node);
    for (int k = 0; k < it.n; k++)
        if (sc_count_iteration(s, node) < 0 || sc_bind(s, env, name, it.items[k], n->b) < 0 ||
            sc_eval(s, env, n->a, &out->items[k]) < 0)
            return -1;
    if (had)
        sc_bind(s, env, name, saved, n->b);
    return 0;
}

int sc_eval_attr(S *s, Env *env, int node, Val *out)
{
    const Node *n = N(s, node);
    Val obj;
    if (sc_eval(s, env, n->a, &obj) < 0)
        return -1;
    if (obj.kind == V_DATA) {
        *out = obj;
        return 0;
    }
    if (obj.kind == V_MODULE) {
        *out = sc_none();
        if (sc_known_class(n->s) && !obj.data_lib) {
            out->kind = V_CLASS;
            out->s = n->s;
            return 0;
        }
        char *name = sc_heap(s, strlen(obj.s) + strlen(n->s) + 2);
        if (!name)
            return sc_oom(s, node);
        sprintf(name, "%s.%s", obj.s, n->s);
        *out = sc_module(s, name, obj.data_lib);
        return 0;
    }
    return sc_err(s, node, "'%s' of %s is not understood in a model script", n->s,
                  sc_kind_name(obj.kind));
}

int sc_eval_subscript(S *s, Env *env, int node, Val *out)
{
    const Node *n = N(s, node);
    Val obj, idx;
    if (sc_eval(s, env, n->a, &obj) < 0 || sc_eval(s, env, n->b, &idx) < 0)
        return -1;
    if (obj.kind == V_DATA || idx.kind == V_DATA) {
        *out = obj.kind == V_DATA ? obj : idx;
        return 0;
    }
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
