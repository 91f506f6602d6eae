/* script_format.c: values as text, as Python writes them: str() and repr() (what print() and
 * f-strings show), format(value, spec) for f-string fields ({x:.3f}, {n:>5}, {n:,}), and the
 * string % operator ("%d samples" % n). A tensor prints as Keras 3's KerasTensor does, and its
 * shape as the tuple it is: (None, 28, 28, 1). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script_impl.h"

/* Append text to buf (n bytes), at *u; -1 once it no longer fits. */
static int put(char *buf, size_t n, size_t *u, const char *text)
{
    size_t len = strlen(text);
    if (*u + len + 1 > n)
        return -1;
    memcpy(buf + *u, text, len + 1);
    *u += len;
    return 0;
}

/* repr(float): the shortest digits that read back as the same double, positional from 1e-4 up
 * to 1e16, else with an exponent ("1e-05", "1.5e+16"), and always with a '.' or an exponent. */
static void float_repr(double x, char *out, size_t n)
{
    if (isnan(x)) {
        snprintf(out, n, "nan");
        return;
    }
    if (isinf(x)) {
        snprintf(out, n, "%sinf", x < 0 ? "-" : "");
        return;
    }
    char e[64];
    int p = 1;
    for (; p < 17; p++) {
        snprintf(e, sizeof e, "%.*e", p - 1, x);
        if (strtod(e, NULL) == x)
            break;
    }
    snprintf(e, sizeof e, "%.*e", p - 1, x);
    int exp = atoi(strchr(e, 'e') + 1);
    if (exp >= -4 && exp < 16) {
        int decimals = p - 1 - exp > 0 ? p - 1 - exp : 0;
        snprintf(out, n, "%.*f", decimals, x);
        if (!strchr(out, '.') && strlen(out) + 2 < n)
            strcat(out, ".0");
        return;
    }
    /* d.ddde+XX: C writes the mantissa the same way; Python drops a trailing ".0" */
    char mant[40];
    snprintf(mant, sizeof mant, "%.*f", p - 1, x / pow(10, exp));
    snprintf(out, n, "%se%c%02d", mant, exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
}

static int str_repr(const char *s, char *buf, size_t n, size_t *u)
{
    char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
    char one[8] = {q, 0};
    if (put(buf, n, u, one) < 0)
        return -1;
    for (const char *c = s; *c; c++) {
        char esc[8];
        if (*c == '\n')
            snprintf(esc, sizeof esc, "\\n");
        else if (*c == '\t')
            snprintf(esc, sizeof esc, "\\t");
        else if (*c == '\\' || *c == q)
            snprintf(esc, sizeof esc, "\\%c", *c);
        else
            snprintf(esc, sizeof esc, "%c", *c);
        if (put(buf, n, u, esc) < 0)
            return -1;
    }
    return put(buf, n, u, one);
}

static int str_at(S *s, const Val *v, int repr, char *buf, size_t n, size_t *u);

static int seq_repr(S *s, const Val *v, char *buf, size_t n, size_t *u)
{
    const char *open = v->kind == V_LIST ? "[" : v->kind == V_DICT ? "{" : "(";
    const char *close = v->kind == V_LIST ? "]" : v->kind == V_DICT ? "}" : ")";
    if (put(buf, n, u, open) < 0)
        return -1;
    int step = v->kind == V_DICT ? 2 : 1;
    for (int k = 0; k < v->n; k += step) {
        if ((k && put(buf, n, u, ", ") < 0) || str_at(s, &v->items[k], 1, buf, n, u) < 0)
            return -1;
        if (step == 2 &&
            (put(buf, n, u, ": ") < 0 || str_at(s, &v->items[k + 1], 1, buf, n, u) < 0))
            return -1;
    }
    if (v->kind == V_TUPLE && v->n == 1 && put(buf, n, u, ",") < 0)
        return -1;
    return put(buf, n, u, close);
}

/* A tensor's shape as a tuple value: (None, 28, 28, 1). */
static void shape_text(const SlShape *sh, char *out, size_t n)
{
    sl_shape_str(sh, out, n);
}

static int str_at(S *s, const Val *v, int repr, char *buf, size_t n, size_t *u)
{
    char t[512];
    switch (v->kind) {
    case V_NONE:
        return put(buf, n, u, "None");
    case V_BOOL:
        return put(buf, n, u, v->i ? "True" : "False");
    case V_INT:
        snprintf(t, sizeof t, "%lld", v->i);
        return put(buf, n, u, t);
    case V_FLOAT:
        float_repr(v->f, t, sizeof t);
        return put(buf, n, u, t);
    case V_STR:
        return repr ? str_repr(v->s, buf, n, u) : put(buf, n, u, v->s);
    case V_TUPLE:
    case V_LIST:
    case V_DICT:
        return seq_repr(s, v, buf, n, u);
    case V_TENSOR: {
        char sh[128];
        const SlEdge *e = &v->model->t[v->tensor];
        const SlLayer *from = v->model->nodes[e->node].layer;
        shape_text(&e->shape, sh, sizeof sh);
        snprintf(t, sizeof t,
                 "<KerasTensor shape=%s, dtype=%s, sparse=False, ragged=False, name=%s>", sh,
                 from->dtype[0] ? from->dtype : "float32", from->name);
        return put(buf, n, u, t);
    }
    case V_LAYER:
        snprintf(t, sizeof t, "<%s name=%s, built=%s>", v->layer->type->name, v->layer->name,
                 v->layer->built ? "True" : "False");
        return put(buf, n, u, t);
    case V_MODEL:
        snprintf(t, sizeof t, "<%s name=%s, built=%s>",
                 v->model->sequential ? "Sequential" : "Functional", v->model->name,
                 v->model->n_outputs ? "True" : "False");
        return put(buf, n, u, t);
    case V_CLASS:
        snprintf(t, sizeof t, "<class '%s'>", v->s);
        return put(buf, n, u, t);
    case V_MODULE:
        snprintf(t, sizeof t, "<module '%s'>", v->s);
        return put(buf, n, u, t);
    case V_FUNC:
        snprintf(t, sizeof t, "<function %s>", N(s, v->node)->s);
        return put(buf, n, u, t);
    case V_OBJECT:
        if (v->i == F_ACTIVATION || v->i == F_LOSS_FN ||
            (v->i == F_METRIC && v->s[0] >= 'a' && v->s[0] <= 'z'))
            snprintf(t, sizeof t, "<function %s>", v->s);
        else
            snprintf(t, sizeof t, "<%s object>", v->s);
        return put(buf, n, u, t);
    case V_OPT:
        snprintf(t, sizeof t, "<%s object>", v->opt->name);
        return put(buf, n, u, t);
    case V_LOSS:
        snprintf(t, sizeof t, "<%s object>", v->loss->name);
        return put(buf, n, u, t);
    default:
        return put(buf, n, u, "<data>");
    }
}

int sc_str(S *s, const Val *v, int repr, char *buf, size_t n)
{
    size_t u = 0;
    if (n)
        buf[0] = '\0';
    return str_at(s, v, repr, buf, n, &u);
}

/* ---- format(value, spec) ---- */

typedef struct Spec {
    char fill, align, sign, type;
    int width, precision, commas, zero;
} Spec;

/* [[fill]align][sign][0][width][,][.precision][type]; 0, or -1 when spec is not of that form. */
static int parse_spec(const char *p, Spec *f)
{
    memset(f, 0, sizeof *f);
    f->fill = ' ';
    f->precision = -1;
    if (p[0] && p[1] && strchr("<>^=", p[1]))
        f->fill = p[0], f->align = p[1], p += 2;
    else if (p[0] && strchr("<>^=", p[0]))
        f->align = *p++;
    if (*p && strchr("+- ", *p))
        f->sign = *p++;
    if (*p == '0')
        f->zero = 1, p++;
    while (*p >= '0' && *p <= '9' && f->width < 1000)
        f->width = f->width * 10 + (*p++ - '0');
    if (*p == ',' || *p == '_')
        f->commas = *p++;
    if (*p == '.') {
        p++;
        f->precision = 0;
        if (!(*p >= '0' && *p <= '9'))
            return -1;
        while (*p >= '0' && *p <= '9' && f->precision < 100)
            f->precision = f->precision * 10 + (*p++ - '0');
    }
    if (*p && strchr("sdnfFeEgG%", *p))
        f->type = *p++;
    return *p ? -1 : 0;
}

/* Digits of an integer part with a separator every three: "1234567" -> "1,234,567". */
static void group(const char *in, char sep, char *out, size_t n)
{
    const char *digits = in + (in[0] == '-' || in[0] == '+');
    size_t lead = (size_t)(digits - in), len = strcspn(digits, ".eE%"), u = 0;
    for (size_t i = 0; i < lead && u + 1 < n; i++)
        out[u++] = in[i];
    for (size_t i = 0; i < len && u + 2 < n; i++) {
        if (i && (len - i) % 3 == 0)
            out[u++] = sep;
        out[u++] = digits[i];
    }
    snprintf(out + u, n - u, "%s", digits + len);
}

int sc_format(S *s, int node, const Val *v, const char *spec, char *buf, size_t n)
{
    Spec f;
    char body[512], t[600];
    if (parse_spec(spec, &f) < 0) {
        sc_err(s, node, "the format spec '%s' is not understood here", spec);
        return -2;
    }
    int numeric = v->kind == V_INT || v->kind == V_FLOAT || v->kind == V_BOOL;
    if (f.type && f.type != 's' && !numeric) {
        sc_err(s, node, "format '%c' needs a number, not %s", f.type, sc_kind_name(v->kind));
        return -2;
    }
    if (f.type == 's' || !numeric || (!f.type && f.precision < 0)) {
        if (!numeric || !f.commas) {
            if (sc_str(s, v, 0, body, sizeof body) < 0)
                return -1;
        } else {
            snprintf(body, sizeof body, "%lld", v->i);
        }
    } else {
        double x = v->kind == V_FLOAT ? v->f : (double)v->i;
        char type = f.type ? f.type : 'g';
        int prec = f.precision >= 0 ? f.precision : 6;
        if (type == 'd' || type == 'n') {
            if (v->kind == V_FLOAT) {
                sc_err(s, node, "format 'd' needs an int, not a float");
                return -2;
            }
            snprintf(body, sizeof body, "%lld", v->i);
        } else if (type == '%') {
            snprintf(body, sizeof body, "%.*f%%", prec, x * 100);
        } else {
            char cfmt[8] = {'%', '.', '*', type, 0};
            snprintf(body, sizeof body, cfmt, prec, x);
        }
    }
    if (numeric && f.sign && body[0] != '-') {
        snprintf(t, sizeof t, "%c%s", f.sign, body);
        snprintf(body, sizeof body, "%s", t);
    }
    if (f.commas && numeric) {
        group(body, (char)f.commas, t, sizeof t);
        snprintf(body, sizeof body, "%s", t);
    }
    int len = (int)strlen(body), pad = f.width > len ? f.width - len : 0;
    char align = f.align ? f.align : f.zero && numeric ? '=' : numeric ? '>' : '<';
    char fill = f.zero && !f.align ? '0' : f.fill;
    int before = align == '>' ? pad : align == '^' ? pad / 2 : 0, after = pad - before;
    size_t u = 0;
    if (align == '=') { /* padding after the sign */
        int sign = body[0] == '-' || body[0] == '+' || body[0] == ' ';
        if (sign && n > 1)
            buf[u++] = body[0];
        for (int k = 0; k < pad && u + 1 < n; k++)
            buf[u++] = fill;
        buf[u] = '\0';
        return put(buf, n, &u, body + sign);
    }
    for (int k = 0; k < before && u + 1 < n; k++)
        buf[u++] = fill;
    buf[u] = '\0';
    if (put(buf, n, &u, body) < 0)
        return -1;
    for (int k = 0; k < after && u + 1 < n; k++)
        buf[u++] = fill;
    buf[u] = '\0';
    return 0;
}

/* ---- "..." % args ---- */

int sc_percent(S *s, int node, const char *fmt, const Val *args, Val *out)
{
    const Val *items = args->kind == V_TUPLE ? args->items : args;
    int n_items = args->kind == V_TUPLE ? args->n : 1, k = 0;
    for (int i = 0; i < n_items; i++)
        if (items[i].kind == V_DATA) { /* "%d words" % (hits,): counted from data */
            *out = items[i];
            return 0;
        }
    size_t cap = strlen(fmt) + 256, u = 0;
    char *buf = sc_heap(s, cap);
    if (!buf)
        return sc_oom(s, node);
    buf[0] = '\0';
    for (const char *p = fmt; *p;) {
        if (*p != '%') {
            char one[2] = {*p++, 0};
            if (put(buf, cap, &u, one) < 0)
                return sc_err(s, node, "the formatted string is too long");
            continue;
        }
        const char *start = p++;
        p += strspn(p, "-+ #0");
        size_t width = strspn(p, "0123456789"), prec = 0;
        p += width;
        if (*p == '.')
            prec = strspn(p + 1, "0123456789"), p += 1 + prec;
        if (width > 3 || prec > 2)
            return sc_err(s, node, "a width or precision this large is not understood here");
        char type = *p ? *p++ : '\0';
        char piece[512], cfmt[32];
        snprintf(cfmt, sizeof cfmt, "%.*s", (int)(p - start - 1), start);
        if (type == '%') {
            snprintf(piece, sizeof piece, "%%");
        } else if (!strchr("sridfeEgGxX", type) || !type) {
            return sc_err(s, node, "'%%%c' in a %% format is not understood here", type);
        } else if (k >= n_items) {
            return sc_err(s, node, "not enough arguments for the %% format string");
        } else {
            const Val *v = &items[k++];
            int numeric = v->kind == V_INT || v->kind == V_FLOAT || v->kind == V_BOOL;
            char spec[48];
            if (type == 's' || type == 'r') {
                char text[400];
                if (sc_str(s, v, type == 'r', text, sizeof text) < 0)
                    return sc_err(s, node, "the formatted string is too long");
                snprintf(spec, sizeof spec, "%ss", cfmt);
                snprintf(piece, sizeof piece, spec, text);
            } else if (!numeric) {
                return sc_err(s, node, "%%%c needs a number, not %s", type, sc_kind_name(v->kind));
            } else if (strchr("dixX", type)) {
                if (v->kind == V_FLOAT && !sc_fits_int64(v->f))
                    return sc_err(s, node, "'%%%c' of %g does not fit in 64 bits", type, v->f);
                long long x = v->kind == V_FLOAT ? (long long)v->f : v->i;
                snprintf(spec, sizeof spec, "%sll%c", cfmt, type == 'i' ? 'd' : type);
                snprintf(piece, sizeof piece, spec, x);
            } else {
                snprintf(spec, sizeof spec, "%s%c", cfmt, type);
                snprintf(piece, sizeof piece, spec, v->kind == V_FLOAT ? v->f : (double)v->i);
            }
        }
        if (put(buf, cap, &u, piece) < 0)
            return sc_err(s, node, "the formatted string is too long");
    }
    if (k < n_items)
        return sc_err(s, node, "not all arguments converted during string formatting");
    *out = sc_none();
    out->kind = V_STR;
    out->s = buf;
    return 0;
}
