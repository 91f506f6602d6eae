/* args.c: Keras keyword arguments: a literal parser, binding against a spec, typed reads. */
#include "args.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensor.h"

void sl_args_init(SlArgs *a)
{
    memset(a, 0, sizeof *a);
}

int sl_args_full(const SlArgs *a)
{
    return a->n >= SL_ARGS_MAX || a->n_pool >= SL_ARGS_POOL || a->n_text >= SL_ARGS_TEXT - 1;
}

static int add_text(SlArgs *a, const char *s, size_t len)
{
    if (a->n_text + (int)len + 1 > SL_ARGS_TEXT)
        return -1;
    int off = a->n_text;
    memcpy(a->text + off, s, len);
    a->text[off + len] = '\0';
    a->n_text += (int)len + 1;
    return off;
}

SlValue sl_value_none(void)
{
    SlValue v;
    memset(&v, 0, sizeof v);
    v.kind = SL_V_NONE;
    return v;
}

SlValue sl_value_int(long long x)
{
    SlValue v = sl_value_none();
    v.kind = SL_V_INT;
    v.i = x;
    v.f = (double)x;
    return v;
}

SlValue sl_value_float(double x)
{
    SlValue v = sl_value_none();
    v.kind = SL_V_FLOAT;
    v.f = x;
    return v;
}

SlValue sl_value_bool(int x)
{
    SlValue v = sl_value_none();
    v.kind = SL_V_BOOL;
    v.i = x != 0;
    return v;
}

SlValue sl_value_str(SlArgs *a, const char *s)
{
    SlValue v = sl_value_none();
    int off = add_text(a, s, strlen(s));
    if (off >= 0) {
        v.kind = SL_V_STR;
        v.str = off;
    }
    return v;
}

SlValue sl_value_tuple(SlArgs *a, int n, const SlValue *items, int is_list)
{
    SlValue v = sl_value_none();
    if (n < 0 || a->n_pool + n > SL_ARGS_POOL)
        return v;
    v.kind = SL_V_TUPLE;
    v.n = n;
    v.first = a->n_pool;
    v.is_list = is_list;
    for (int i = 0; i < n; i++)
        a->pool[a->n_pool++] = items[i];
    return v;
}

SlValue sl_value_object(SlArgs *a, const char *name, int n, const SlValue *items,
                        const char *const *keys)
{
    SlValue v = sl_value_none();
    const char *dot = strrchr(name, '.');
    int off = add_text(a, dot ? dot + 1 : name, strlen(dot ? dot + 1 : name));
    if (off < 0 || n < 0 || a->n_pool + n > SL_ARGS_POOL)
        return v;
    v.kind = SL_V_OBJECT;
    v.str = off;
    v.n = n;
    v.first = a->n_pool;
    for (int i = 0; i < n; i++) {
        SlValue it = items[i];
        it.kw = 0;
        if (keys && keys[i]) {
            int k = add_text(a, keys[i], strlen(keys[i]));
            if (k < 0) {
                a->n_pool = v.first;
                return sl_value_none();
            }
            it.kw = k + 1;
        }
        a->pool[a->n_pool++] = it;
    }
    return v;
}

int sl_args_add(SlArgs *a, const char *key, SlValue v, SlError *e)
{
    if (a->n >= SL_ARGS_MAX)
        return sl_errorf(e, "too many arguments (at most %d)", SL_ARGS_MAX);
    if (!key && a->n > 0 && a->key[a->n - 1] >= 0)
        return sl_errorf(e, "positional argument follows keyword argument");
    int off = -1;
    if (key && (off = add_text(a, key, strlen(key))) < 0)
        return sl_errorf(e, "arguments too long (at most %d characters of text)", SL_ARGS_TEXT);
    a->key[a->n] = off;
    a->val[a->n] = v;
    a->n++;
    return 0;
}

const char *sl_args_key(const SlArgs *a, int i)
{
    return a->key[i] < 0 ? NULL : a->text + a->key[i];
}

int sl_args_find(const SlArgs *a, const char *key)
{
    for (int i = 0; i < a->n; i++) {
        const char *k = sl_args_key(a, i);
        if (k && !strcmp(k, key))
            return i;
    }
    return -1;
}

const char *sl_value_strv(const SlArgs *a, const SlValue *v)
{
    return v->kind == SL_V_STR ? a->text + v->str : NULL;
}

const SlValue *sl_value_item(const SlArgs *a, const SlValue *v, int i)
{
    return &a->pool[v->first + i];
}

const char *sl_value_name(const SlArgs *a, const SlValue *v)
{
    return v->kind == SL_V_STR || v->kind == SL_V_OBJECT ? a->text + v->str : NULL;
}

const char *sl_value_item_key(const SlArgs *a, const SlValue *item)
{
    return item->kw ? a->text + item->kw - 1 : NULL;
}

const SlValue *sl_value_arg(const SlArgs *a, const SlValue *v, const char *key, int pos)
{
    if (v->kind != SL_V_OBJECT)
        return NULL;
    int k = 0;
    for (int i = 0; i < v->n; i++) {
        const SlValue *it = sl_value_item(a, v, i);
        const char *kw = sl_value_item_key(a, it);
        if (kw ? !strcmp(kw, key) : k++ == pos)
            return it;
    }
    return NULL;
}

int sl_in_words(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; *p;) {
        size_t w = strcspn(p, " ");
        if (w == n && !strncmp(p, word, n))
            return 1;
        p += w;
        p += strspn(p, " ");
    }
    return 0;
}

void sl_value_repr(const SlArgs *a, const SlValue *v, char *buf, int n)
{
    int used = 0;
    if (n <= 0)
        return;
    buf[0] = '\0';
    switch (v->kind) {
    case SL_V_NONE:
        snprintf(buf, (size_t)n, "None");
        return;
    case SL_V_BOOL:
        snprintf(buf, (size_t)n, "%s", v->i ? "True" : "False");
        return;
    case SL_V_INT:
        snprintf(buf, (size_t)n, "%lld", v->i);
        return;
    case SL_V_FLOAT:
        snprintf(buf, (size_t)n, "%g", v->f);
        return;
    case SL_V_STR:
        snprintf(buf, (size_t)n, "'%s'", sl_value_strv(a, v));
        return;
    case SL_V_OBJECT:
        used = snprintf(buf, (size_t)n, "%s(", sl_value_name(a, v));
        for (int i = 0; i < v->n && used < n; i++) {
            const SlValue *it = sl_value_item(a, v, i);
            const char *kw = sl_value_item_key(a, it);
            used += snprintf(buf + used, (size_t)(n - used), "%s%s%s", i ? ", " : "", kw ? kw : "",
                             kw ? "=" : "");
            if (used < n)
                sl_value_repr(a, it, buf + used, n - used);
            used += (int)strlen(buf + used);
        }
        if (used < n)
            snprintf(buf + used, (size_t)(n - used), ")");
        return;
    case SL_V_TUPLE:
        used = snprintf(buf, (size_t)n, "%c", v->is_list ? '[' : '(');
        for (int i = 0; i < v->n && used < n; i++) {
            if (i)
                used += snprintf(buf + used, (size_t)(n - used), ", ");
            if (used < n)
                sl_value_repr(a, sl_value_item(a, v, i), buf + used, n - used);
            used += (int)strlen(buf + used);
        }
        if (used < n)
            snprintf(buf + used, (size_t)(n - used), "%s",
                     v->is_list ? "]" : (v->n == 1 ? ",)" : ")"));
        return;
    }
}

/* ---- the literal parser: a recursive descent over one string ---- */

typedef struct Parser {
    const char *src, *p;
    SlArgs *a;
    SlError *e;
    int depth;
} Parser;

static int perr(Parser *ps, const char *what)
{
    return sl_errorf(ps->e, "in arguments \"%s\" at column %d: %s", ps->src,
                     (int)(ps->p - ps->src) + 1, what);
}

static void skip_space(Parser *ps)
{
    while (isspace((unsigned char)*ps->p))
        ps->p++;
}

static int ident_len(const char *s)
{
    int n = 0;
    if (!(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return 0;
    while (isalnum((unsigned char)s[n]) || s[n] == '_')
        n++;
    return n;
}

static int parse_value(Parser *ps, SlValue *out);

static int parse_sequence(Parser *ps, SlValue *out)
{
    char close = *ps->p == '(' ? ')' : ']';
    int is_list = close == ']';
    SlValue items[SL_TUPLE_MAX];
    int n = 0, trailing_comma = 0;
    if (++ps->depth > 8)
        return perr(ps, "tuples nested too deeply");
    ps->p++;
    skip_space(ps);
    while (*ps->p != close) {
        if (n == SL_TUPLE_MAX)
            return perr(ps, "tuple too long");
        if (parse_value(ps, &items[n++]) < 0)
            return -1;
        skip_space(ps);
        trailing_comma = 0;
        if (*ps->p == ',') {
            ps->p++;
            trailing_comma = 1;
            skip_space(ps);
        } else if (*ps->p != close) {
            return perr(ps, is_list ? "expected ',' or ']'" : "expected ',' or ')'");
        }
    }
    ps->p++;
    ps->depth--;
    if (!is_list && n == 1 && !trailing_comma) { /* (3) is just 3 in Python */
        *out = items[0];
        return 0;
    }
    *out = sl_value_tuple(ps->a, n, items, is_list);
    if (out->kind != SL_V_TUPLE)
        return perr(ps, "too many tuple items in one argument list");
    return 0;
}

static int parse_string(Parser *ps, SlValue *out)
{
    char quote = *ps->p++;
    const char *start = ps->p;
    while (*ps->p && *ps->p != quote)
        ps->p++;
    if (*ps->p != quote)
        return perr(ps, "string not closed");
    char tmp[256];
    size_t len = (size_t)(ps->p - start);
    if (len >= sizeof tmp)
        return perr(ps, "string too long");
    memcpy(tmp, start, len);
    tmp[len] = '\0';
    ps->p++;
    *out = sl_value_str(ps->a, tmp);
    if (out->kind != SL_V_STR)
        return perr(ps, "arguments too long");
    return 0;
}

static int parse_number(Parser *ps, SlValue *out)
{
    char *end;
    const char *start = ps->p;
    double f = strtod(start, &end);
    if (end == start)
        return perr(ps, "expected a value (a number, 'string', None, True, False or a tuple)");
    int is_float = 0;
    for (const char *q = start; q < end; q++)
        if (*q == '.' || *q == 'e' || *q == 'E')
            is_float = 1;
    ps->p = end;
    if (is_float) {
        *out = sl_value_float(f);
    } else {
        long long i = strtoll(start, NULL, 10);
        *out = sl_value_int(i);
    }
    return 0;
}

/* Name(1, stddev=0.05): an object's call, the name (dotted: keras.initializers.HeNormal) read. */
static int parse_object(Parser *ps, const char *name, int len, SlValue *out)
{
    SlValue items[SL_TUPLE_MAX];
    char keys[SL_TUPLE_MAX][64], full[128];
    const char *kp[SL_TUPLE_MAX];
    int n = 0;
    if (len >= (int)sizeof full)
        return perr(ps, "name too long");
    memcpy(full, name, (size_t)len);
    full[len] = '\0';
    if (++ps->depth > 8)
        return perr(ps, "calls nested too deeply");
    ps->p++; /* ( */
    skip_space(ps);
    while (*ps->p != ')') {
        if (n == SL_TUPLE_MAX)
            return perr(ps, "too many arguments in one call");
        int k = ident_len(ps->p);
        const char *after = ps->p + k;
        while (isspace((unsigned char)*after))
            after++;
        kp[n] = NULL;
        if (k && *after == '=' && after[1] != '=') {
            if (k >= (int)sizeof keys[n])
                return perr(ps, "keyword too long");
            memcpy(keys[n], ps->p, (size_t)k);
            keys[n][k] = '\0';
            kp[n] = keys[n];
            ps->p = after + 1;
        } else if (n > 0 && kp[n - 1]) {
            return perr(ps, "positional argument follows keyword argument");
        }
        if (parse_value(ps, &items[n++]) < 0)
            return -1;
        skip_space(ps);
        if (*ps->p == ',') {
            ps->p++;
            skip_space(ps);
        } else if (*ps->p != ')') {
            return perr(ps, "expected ',' or ')'");
        }
    }
    ps->p++;
    ps->depth--;
    *out = sl_value_object(ps->a, full, n, items, kp);
    if (out->kind != SL_V_OBJECT)
        return perr(ps, "arguments too long");
    return 0;
}

static int parse_value(Parser *ps, SlValue *out)
{
    skip_space(ps);
    char c = *ps->p;
    if (c == '(' || c == '[')
        return parse_sequence(ps, out);
    if (c == '\'' || c == '"')
        return parse_string(ps, out);
    int n = ident_len(ps->p);
    if (n) {
        if (n == 4 && !strncmp(ps->p, "None", 4))
            *out = sl_value_none();
        else if (n == 4 && !strncmp(ps->p, "True", 4))
            *out = sl_value_bool(1);
        else if (n == 5 && !strncmp(ps->p, "False", 5))
            *out = sl_value_bool(0);
        else {
            const char *name = ps->p, *q = ps->p + n; /* a dotted name, then ( */
            while (*q == '.' && ident_len(q + 1))
                q += 1 + ident_len(q + 1);
            const char *paren = q;
            while (isspace((unsigned char)*paren))
                paren++;
            if (*paren != '(')
                return perr(ps, "only literal values are understood here (numbers, strings, "
                                "None, True, False, tuples, and objects such as "
                                "RandomNormal(stddev=0.05))");
            ps->p = paren;
            return parse_object(ps, name, (int)(q - name), out);
        }
        ps->p += n;
        return 0;
    }
    return parse_number(ps, out);
}

int sl_args_parse(SlArgs *a, const char *src, SlError *e)
{
    Parser ps = {src, src, a, e, 0};
    skip_space(&ps);
    while (*ps.p) {
        char key[64] = "";
        int n = ident_len(ps.p);
        const char *after = ps.p + n;
        while (isspace((unsigned char)*after))
            after++;
        if (n && *after == '=' && after[1] != '=') {
            if (n >= (int)sizeof key)
                return perr(&ps, "keyword too long");
            memcpy(key, ps.p, (size_t)n);
            key[n] = '\0';
            ps.p = after + 1;
        }
        SlValue v;
        if (parse_value(&ps, &v) < 0)
            return -1;
        SlError why;
        if (sl_args_add(a, key[0] ? key : NULL, v, &why) < 0)
            return perr(&ps, why.msg);
        skip_space(&ps);
        if (*ps.p == ',') {
            ps.p++;
            skip_space(&ps);
        } else if (*ps.p && strchr("+-*/%", *ps.p)) {
            return perr(&ps, "only literal values are understood here, not arithmetic: write "
                             "the number (the model-script reader evaluates expressions)");
        } else if (*ps.p) {
            return perr(&ps, "expected ',' between arguments");
        }
    }
    return 0;
}

/* ---- binding against a spec ---- */

static const char *type_name(int type)
{
    switch (type & SL_ARG_TYPE_MASK) {
    case SL_ARG_INT:
        return "an integer";
    case SL_ARG_FLOAT:
        return "a number";
    case SL_ARG_STR:
        return "a string";
    case SL_ARG_BOOL:
        return "True or False";
    case SL_ARG_SHAPE:
        return "a tuple of integers or None, like (None, 5)";
    case SL_ARG_INTS:
        return "an integer or a tuple of integers";
    case SL_ARG_SEED:
        return "an integer";
    case SL_ARG_OBJECT:
        return "a name like 'glorot_uniform' or an object like RandomNormal(stddev=0.05)";
    default:
        return "a value";
    }
}

static int is_int_or_none_tuple(const SlArgs *a, const SlValue *v, int allow_none)
{
    if (v->kind != SL_V_TUPLE)
        return 0;
    for (int i = 0; i < v->n; i++) {
        const SlValue *it = sl_value_item(a, v, i);
        if (!((it->kind == SL_V_INT && it->i >= INT_MIN && it->i <= INT_MAX) ||
              (allow_none && it->kind == SL_V_NONE)))
            return 0;
    }
    return 1;
}

static int type_ok(const SlArgs *a, const SlValue *v, int type)
{
    if (v->kind == SL_V_NONE)
        return (type & SL_ARG_OR_NONE) != 0;
    switch (type & SL_ARG_TYPE_MASK) {
    case SL_ARG_INT:
        return v->kind == SL_V_INT && v->i >= INT_MIN && v->i <= INT_MAX;
    case SL_ARG_FLOAT:
        return v->kind == SL_V_INT || v->kind == SL_V_FLOAT;
    case SL_ARG_STR:
        return v->kind == SL_V_STR;
    case SL_ARG_BOOL:
        return v->kind == SL_V_BOOL;
    case SL_ARG_SHAPE:
        return is_int_or_none_tuple(a, v, 1);
    case SL_ARG_INTS:
        return (v->kind == SL_V_INT && v->i >= INT_MIN && v->i <= INT_MAX) ||
               is_int_or_none_tuple(a, v, 0);
    case SL_ARG_SEED:
        return v->kind == SL_V_INT;
    case SL_ARG_OBJECT:
        return v->kind == SL_V_STR || v->kind == SL_V_OBJECT;
    default:
        return 1;
    }
}

/* The first integer of a size argument (INT, INTS, SHAPE) beyond SL_MAX_DIM either way, or NULL. */
static const SlValue *oversize(const SlArgs *a, const SlValue *v, int type)
{
    int t = type & SL_ARG_TYPE_MASK;
    if (t != SL_ARG_INT && t != SL_ARG_INTS && t != SL_ARG_SHAPE)
        return NULL;
    if (v->kind == SL_V_INT)
        return v->i > SL_MAX_DIM || v->i < -SL_MAX_DIM ? v : NULL;
    for (int i = 0; v->kind == SL_V_TUPLE && i < v->n; i++) {
        const SlValue *it = sl_value_item(a, v, i);
        if (it->kind == SL_V_INT && (it->i > SL_MAX_DIM || it->i < -SL_MAX_DIM))
            return it;
    }
    return NULL;
}

/* Deep-copy v (living in src) into dst. */
static SlValue copy_value(SlArgs *dst, const SlArgs *src, const SlValue *v)
{
    if (v->kind == SL_V_STR)
        return sl_value_str(dst, sl_value_strv(src, v));
    if (v->kind != SL_V_TUPLE && v->kind != SL_V_OBJECT)
        return *v;
    SlValue items[SL_TUPLE_MAX];
    const char *keys[SL_TUPLE_MAX];
    int n = v->n < SL_TUPLE_MAX ? v->n : SL_TUPLE_MAX;
    for (int i = 0; i < n; i++) {
        items[i] = copy_value(dst, src, sl_value_item(src, v, i));
        keys[i] = sl_value_item_key(src, sl_value_item(src, v, i));
    }
    if (v->kind == SL_V_OBJECT)
        return sl_value_object(dst, sl_value_name(src, v), n, items, keys);
    return sl_value_tuple(dst, n, items, v->is_list);
}

int sl_value_call_args(SlArgs *out, const SlArgs *a, const SlValue *obj, SlError *e)
{
    sl_args_init(out);
    for (int i = 0; obj->kind == SL_V_OBJECT && i < obj->n; i++) {
        const SlValue *it = sl_value_item(a, obj, i);
        SlValue v = copy_value(out, a, it);
        if (it->kind != SL_V_NONE && v.kind == SL_V_NONE)
            return sl_errorf(e, "the arguments of %s are too long", sl_value_name(a, obj));
        v.kw = 0;
        if (sl_args_add(out, sl_value_item_key(a, it), v, e) < 0)
            return -1;
    }
    return 0;
}

static int spec_index(const SlArgSpec *spec, int n_spec, const char *name)
{
    for (int i = 0; i < n_spec; i++)
        if (!strcmp(spec[i].name, name))
            return i;
    return -1;
}

static int unknown_keyword(const SlArgSpec *spec, int n_spec, const char *key, const char *who,
                           SlError *e)
{
    char known[512] = "";
    size_t used = 0;
    for (int i = 0; i < n_spec && used < sizeof known; i++)
        used += (size_t)snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "",
                                 spec[i].name);
    return sl_errorf(e, "%s got an unknown keyword argument '%s'. It accepts: %s", who, key, known);
}

int sl_args_bind(SlBound *b, const SlArgSpec *spec, int n_spec, const SlArgs *args, const char *who,
                 SlError *e)
{
    memset(b, 0, sizeof *b);
    b->spec = spec;
    b->n_spec = n_spec;
    if (n_spec > SL_ARGS_MAX)
        return sl_errorf(e, "%s declares too many arguments", who);
    int slot_of_arg[SL_ARGS_MAX], positional[SL_ARGS_MAX], n_positional = 0;
    for (int k = 0; k < n_spec; k++)
        if (!(spec[k].type & SL_ARG_KEYWORD))
            positional[n_positional++] = k;
    int n_pos = 0;
    for (int i = 0; i < args->n; i++) {
        const char *key = sl_args_key(args, i);
        int k;
        if (!key) {
            if (n_pos >= n_positional)
                return sl_errorf(e, "%s takes at most %d positional argument%s, got %d more", who,
                                 n_positional, n_positional == 1 ? "" : "s", args->n - i);
            k = positional[n_pos++];
        } else if ((k = spec_index(spec, n_spec, key)) < 0) {
            return unknown_keyword(spec, n_spec, key, who, e);
        }
        if (b->given[k])
            return sl_errorf(e, "%s got multiple values for argument '%s'", who, spec[k].name);
        b->given[k] = 1;
        slot_of_arg[i] = k;
    }
    /* Fill every slot in spec order: the user's value, else the parsed default. */
    for (int k = 0; k < n_spec; k++) {
        SlValue v = sl_value_none();
        int found = 0;
        for (int i = 0; i < args->n && !found; i++)
            if (slot_of_arg[i] == k) {
                v = copy_value(&b->store, args, &args->val[i]);
                found = 1;
            }
        if (!found) {
            if (!spec[k].def)
                return sl_errorf(e, "%s is missing the required argument '%s' (%s)", who,
                                 spec[k].name, spec[k].help);
            SlArgs d;
            sl_args_init(&d);
            if (sl_args_parse(&d, spec[k].def, e) < 0 || d.n != 1)
                return sl_errorf(e, "%s: bad default for '%s'", who, spec[k].name);
            v = copy_value(&b->store, &d, &d.val[0]);
        }
        b->store.key[k] = -1;
        b->store.val[k] = v;
        if (found && !type_ok(&b->store, &v, spec[k].type)) {
            char got[128];
            sl_value_repr(&b->store, &v, got, sizeof got);
            return sl_errorf(e, "%s: argument '%s' must be %s%s, got %s", who, spec[k].name,
                             type_name(spec[k].type),
                             (spec[k].type & SL_ARG_OR_NONE) ? " or None" : "", got);
        }
        const SlValue *big = found ? oversize(&b->store, &v, spec[k].type) : NULL;
        if (big)
            return sl_errorf(e,
                             "%s: argument '%s' holds %lld, beyond shapelab's limit of %d for a "
                             "size",
                             who, spec[k].name, big->i, SL_MAX_DIM);
    }
    b->store.n = n_spec;
    if (sl_args_full(&b->store))
        return sl_errorf(e, "%s: arguments too large", who);
    return 0;
}

const SlValue *sl_bound(const SlBound *b, const char *name)
{
    int k = spec_index(b->spec, b->n_spec, name);
    if (k < 0) {
        fprintf(stderr, "shapelab: internal error: argument '%s' read but not declared\n", name);
        abort();
    }
    return &b->store.val[k];
}

int sl_bound_given(const SlBound *b, const char *name)
{
    int k = spec_index(b->spec, b->n_spec, name);
    return k >= 0 && b->given[k];
}

int sl_bound_is_none(const SlBound *b, const char *name)
{
    return sl_bound(b, name)->kind == SL_V_NONE;
}

long long sl_bound_int(const SlBound *b, const char *name)
{
    const SlValue *v = sl_bound(b, name);
    return v->kind == SL_V_FLOAT ? (long long)v->f : v->i;
}

double sl_bound_float(const SlBound *b, const char *name)
{
    return sl_bound(b, name)->f;
}

int sl_bound_bool(const SlBound *b, const char *name)
{
    return (int)sl_bound(b, name)->i;
}

const char *sl_bound_str(const SlBound *b, const char *name)
{
    return sl_value_strv(&b->store, sl_bound(b, name));
}

int sl_bound_ints(const SlBound *b, const char *name, int *out, int max)
{
    const SlValue *v = sl_bound(b, name);
    if (v->kind == SL_V_INT) {
        if (max < 1)
            return -1;
        out[0] = (int)v->i;
        return 1;
    }
    if (v->kind != SL_V_TUPLE)
        return 0;
    if (v->n > max)
        return -1;
    for (int i = 0; i < v->n; i++) {
        const SlValue *it = sl_value_item(&b->store, v, i);
        out[i] = it->kind == SL_V_NONE ? SL_NONE : (int)it->i;
    }
    return v->n;
}
