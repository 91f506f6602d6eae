/* json.c: recursive-descent JSON reader (RFC 8259), strict: no comments, no trailing commas. */
#include "json.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* Limits: nesting, and values in one document (the node table grows with the values that are
 * there, by doubling, up to this: 96 MB of nodes, however long the text). */
enum { MAX_DEPTH = 64, MAX_VALUES = 1 << 21, FIRST_NODES = 256 };

typedef struct P {
    const char *s;
    size_t len, pos;
    SlJsonDoc *d;
    int cap;
    size_t str_used;
    SlError *e;
} P;

static int fail(P *p, const char *what)
{
    return sl_errorf(p->e, "bad JSON at byte %zu: %s", p->pos, what);
}

static void ws(P *p)
{
    while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]) && p->s[p->pos])
        p->pos++;
}

/* Room for one more node: the table doubles when full, up to MAX_VALUES. */
static int grow(P *p)
{
    if (p->d->n_nodes < p->cap)
        return 0;
    if (p->cap >= MAX_VALUES)
        return sl_errorf(p->e, "bad JSON at byte %zu: more than %d values, shapelab's limit",
                         p->pos, MAX_VALUES);
    int cap = p->cap ? 2 * p->cap : FIRST_NODES;
    SlJsonNode *nodes = sl_alloc((size_t)cap * sizeof *nodes);
    if (!nodes)
        return sl_errorf(p->e, "out of memory reading JSON (%d values)", cap);
    if (p->d->n_nodes)
        memcpy(nodes, p->d->nodes, (size_t)p->d->n_nodes * sizeof *nodes);
    sl_free(p->d->nodes);
    p->d->nodes = nodes;
    p->cap = cap;
    return 0;
}

static int new_node(P *p, SlJsonKind k)
{
    if (grow(p) < 0)
        return -1;
    int i = p->d->n_nodes++;
    SlJsonNode *n = &p->d->nodes[i];
    memset(n, 0, sizeof *n);
    n->kind = k;
    n->first = n->next = -1;
    return i;
}

static int hex4(P *p, unsigned *out)
{
    if (p->pos + 4 > p->len)
        return fail(p, "short \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p->s[p->pos++];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return fail(p, "bad hex digit in \\u escape");
    }
    *out = v;
    return 0;
}

static void put_utf8(char *o, size_t *k, unsigned cp)
{
    if (cp < 0x80) {
        o[(*k)++] = (char)cp;
    } else if (cp < 0x800) {
        o[(*k)++] = (char)(0xC0 | (cp >> 6));
        o[(*k)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        o[(*k)++] = (char)(0xE0 | (cp >> 12));
        o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[(*k)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        o[(*k)++] = (char)(0xF0 | (cp >> 18));
        o[(*k)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[(*k)++] = (char)(0x80 | (cp & 0x3F));
    }
}

/* A string, decoded into the strings buffer (never longer than its source text). */
static int string(P *p, const char **out)
{
    p->pos++; /* opening quote */
    char *o = p->d->strings + p->str_used;
    size_t k = 0;
    while (1) {
        if (p->pos >= p->len)
            return fail(p, "string not closed");
        unsigned char c = (unsigned char)p->s[p->pos++];
        if (c == '"')
            break;
        if (c < 0x20)
            return fail(p, "control character in string");
        if (c != '\\') {
            o[k++] = (char)c;
            continue;
        }
        if (p->pos >= p->len)
            return fail(p, "string not closed");
        char x = p->s[p->pos++];
        const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
        const char *hit = x ? strchr(from, x) : NULL;
        if (hit) {
            o[k++] = to[hit - from];
        } else if (x == 'u') {
            unsigned cp, lo;
            if (hex4(p, &cp) < 0)
                return -1;
            if (cp >= 0xD800 && cp < 0xDC00) {
                if (p->pos + 2 > p->len || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
                    return fail(p, "lone surrogate");
                p->pos += 2;
                if (hex4(p, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF)
                    return fail(p, "bad surrogate pair");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            put_utf8(o, &k, cp);
        } else {
            return fail(p, "bad escape");
        }
    }
    o[k] = '\0';
    *out = o;
    p->str_used += k + 1;
    return 0;
}

static int number(P *p, double *out)
{
    size_t start = p->pos;
    if (p->pos < p->len && p->s[p->pos] == '-')
        p->pos++;
    if (p->pos >= p->len || !(p->s[p->pos] >= '0' && p->s[p->pos] <= '9'))
        return fail(p, "expected a value");
    while (p->pos < p->len && strchr("0123456789+-.eE", p->s[p->pos]) && p->s[p->pos])
        p->pos++;
    char buf[64];
    size_t n = p->pos - start;
    if (n >= sizeof buf)
        return fail(p, "number too long");
    memcpy(buf, p->s + start, n);
    buf[n] = '\0';
    char *end;
    *out = strtod(buf, &end);
    if (*end)
        return fail(p, "bad number");
    return 0;
}

static int value(P *p, int depth);

static int container(P *p, int depth, int is_obj)
{
    int self = new_node(p, is_obj ? SL_JSON_OBJECT : SL_JSON_ARRAY), last = -1;
    if (self < 0)
        return -1;
    char close = is_obj ? '}' : ']';
    p->pos++;
    ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        return self;
    }
    while (1) {
        const char *key = NULL;
        ws(p);
        if (is_obj) {
            if (p->pos >= p->len || p->s[p->pos] != '"')
                return fail(p, "expected a member name");
            if (string(p, &key) < 0)
                return -1;
            ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':')
                return fail(p, "expected ':'");
            p->pos++;
        }
        int kid = value(p, depth + 1);
        if (kid < 0)
            return -1;
        p->d->nodes[kid].key = key;
        if (last < 0)
            p->d->nodes[self].first = kid;
        else
            p->d->nodes[last].next = kid;
        last = kid;
        p->d->nodes[self].count++;
        ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == close) {
            p->pos++;
            return self;
        }
        return fail(p, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int literal(P *p, const char *word, SlJsonKind k, double v)
{
    size_t n = strlen(word);
    if (p->pos + n > p->len || strncmp(p->s + p->pos, word, n))
        return fail(p, "expected a value");
    p->pos += n;
    int i = new_node(p, k);
    if (i >= 0)
        p->d->nodes[i].num = v;
    return i;
}

static int value(P *p, int depth)
{
    if (depth > MAX_DEPTH)
        return fail(p, "nested too deeply");
    ws(p);
    if (p->pos >= p->len)
        return fail(p, "unexpected end");
    char c = p->s[p->pos];
    if (c == '{' || c == '[')
        return container(p, depth, c == '{');
    if (c == '"') {
        const char *s;
        if (string(p, &s) < 0)
            return -1;
        int i = new_node(p, SL_JSON_STRING);
        if (i >= 0)
            p->d->nodes[i].str = s;
        return i;
    }
    if (c == 't')
        return literal(p, "true", SL_JSON_BOOL, 1);
    if (c == 'f')
        return literal(p, "false", SL_JSON_BOOL, 0);
    if (c == 'n')
        return literal(p, "null", SL_JSON_NULL, 0);
    double v = 0;
    if (number(p, &v) < 0)
        return -1;
    int i = new_node(p, SL_JSON_NUMBER);
    if (i >= 0)
        p->d->nodes[i].num = v;
    return i;
}

int sl_json_parse(SlJsonDoc *d, const char *text, size_t len, SlError *e)
{
    memset(d, 0, sizeof *d);
    if (len > (size_t)1 << 28)
        return sl_errorf(e, "JSON text too large (%zu bytes)", len);
    P p = {text, len, 0, d, 0, 0, e};
    d->strings = sl_alloc_zero(len + 1, 1); /* decoded strings are never longer than the text */
    if (!d->strings) {
        sl_json_free(d);
        return sl_errorf(e, "out of memory reading JSON");
    }
    if (value(&p, 0) < 0) {
        sl_json_free(d);
        return -1;
    }
    ws(&p);
    if (p.pos != len) {
        fail(&p, "text after the value");
        sl_json_free(d);
        return -1;
    }
    return 0;
}

void sl_json_free(SlJsonDoc *d)
{
    sl_free(d->nodes);
    sl_free(d->strings);
    memset(d, 0, sizeof *d);
}

const SlJsonNode *sl_json_get(const SlJsonDoc *d, const SlJsonNode *obj, const char *key)
{
    const SlJsonNode *hit = NULL;
    if (!obj || obj->kind != SL_JSON_OBJECT)
        return NULL;
    for (int i = obj->first; i >= 0; i = d->nodes[i].next)
        if (!strcmp(d->nodes[i].key, key))
            hit = &d->nodes[i];
    return hit;
}

const SlJsonNode *sl_json_child(const SlJsonDoc *d, const SlJsonNode *n, int k)
{
    int i = n->first;
    while (i >= 0 && k-- > 0)
        i = d->nodes[i].next;
    return i >= 0 ? &d->nodes[i] : NULL;
}
