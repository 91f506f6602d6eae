/* script_lex.c: Python source to tokens, with Python's rules for lines: a logical line ends at a
 * newline outside brackets; a backslash joins lines; indentation opens (INDENT) and closes
 * (DEDENT) blocks; comments and blank lines vanish. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "script_impl.h"

int sc_error_at(SlError *e, const char *file, const char *src, int line, int col, const char *fmt,
                ...)
{
    if (!e)
        return -1;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* find the line's text */
    const char *p = src;
    for (int l = 1; p && *p && l < line; l++) {
        const char *nl = strchr(p, '\n');
        p = nl ? nl + 1 : NULL;
    }
    int len = 0;
    while (p && p[len] && p[len] != '\n' && p[len] != '\r' && len < 200)
        len++;
    char caret[220];
    int c = col - 1 < 0 ? 0 : (col - 1 > 200 ? 200 : col - 1);
    for (int i = 0; i < c; i++)
        caret[i] = (p && i < len && p[i] == '\t') ? '\t' : ' ';
    caret[c] = '^';
    caret[c + 1] = '\0';
    snprintf(e->msg, sizeof e->msg, "%s:%d:%d: error: %s\n    %.*s\n    %s", file, line, col, msg,
             len, p ? p : "", caret);
    return -1;
}

static int push(Lexer *lx, Tok t, SlError *e)
{
    Tok *toks = sl_grow(lx->toks, &lx->cap, (size_t)lx->n + 1, sizeof *toks);
    if (!toks)
        return sl_errorf(e, "%s: out of memory reading the script", lx->file);
    lx->toks = toks;
    lx->toks[lx->n++] = t;
    return 0;
}

static Tok tok(TokKind k, int line, int col)
{
    Tok t;
    memset(&t, 0, sizeof t);
    t.kind = k;
    t.line = line;
    t.col = col;
    return t;
}

typedef struct Pos {
    size_t i;
    int line, col;
} Pos;

static char at(const Lexer *lx, size_t i)
{
    return i < lx->len ? lx->src[i] : '\0';
}

static void advance(const Lexer *lx, Pos *p)
{
    if (at(lx, p->i) == '\n') {
        p->line++;
        p->col = 1;
    } else {
        p->col++;
    }
    p->i++;
}

/* A string literal (prefixes r, b, u, f; single or triple quotes), decoded into lx->strings. */
static int lex_string(Lexer *lx, Pos *p, Tok *t, SlError *e)
{
    int raw = 0;
    while (strchr("rRbBuUfF", at(lx, p->i)) && at(lx, p->i)) {
        raw |= at(lx, p->i) == 'r' || at(lx, p->i) == 'R';
        advance(lx, p);
    }
    char q = at(lx, p->i);
    int triple = at(lx, p->i + 1) == q && at(lx, p->i + 2) == q;
    for (int k = 0; k < (triple ? 3 : 1); k++)
        advance(lx, p);
    char *out = lx->strings + lx->str_used;
    size_t n = 0;
    while (1) {
        char c = at(lx, p->i);
        if (p->i >= lx->len || (!triple && c == '\n'))
            return sc_error_at(e, lx->file, lx->src, t->line, t->col, "string not closed");
        if (c == q && (!triple || (at(lx, p->i + 1) == q && at(lx, p->i + 2) == q))) {
            for (int k = 0; k < (triple ? 3 : 1); k++)
                advance(lx, p);
            break;
        }
        if (c == '\\' && !raw && p->i + 1 < lx->len) {
            advance(lx, p);
            char x = at(lx, p->i);
            c = x == 'n' ? '\n' : x == 't' ? '\t' : x == '\n' ? '\0' : x;
            advance(lx, p);
            if (c)
                out[n++] = c;
            continue;
        }
        out[n++] = c;
        advance(lx, p);
    }
    out[n] = '\0';
    lx->str_used += n + 1;
    t->kind = T_STRING;
    t->s = out;
    t->len = (int)n;
    return 0;
}

static int lex_number(Lexer *lx, Pos *p, Tok *t, SlError *e)
{
    const char *start = lx->src + p->i;
    char *end;
    if (start[0] == '0' && (start[1] == 'x' || start[1] == 'X' || start[1] == 'b' ||
                            start[1] == 'B' || start[1] == 'o' || start[1] == 'O'))
        return sc_error_at(e, lx->file, lx->src, t->line, t->col,
                           "only decimal numbers are understood here");
    errno = 0;
    double f = strtod(start, &end);
    int is_float = 0;
    for (const char *q = start; q < end; q++)
        is_float |= *q == '.' || *q == 'e' || *q == 'E';
    t->kind = is_float ? T_FLOAT : T_INT;
    t->f = f;
    errno = 0;
    t->i = is_float ? 0 : strtoll(start, NULL, 10);
    if (errno == ERANGE)
        return sc_error_at(e, lx->file, lx->src, t->line, t->col,
                           "this number does not fit in 64 bits");
    while (lx->src + p->i < end)
        advance(lx, p);
    return 0;
}

static const char *const ops[] = {"**=", "//=", "**", "//", "==", "!=", "<=", ">=", "+=",
                                  "-=",  "*=",  "/=", "->", "(",  ")",  "[",  "]",  "{",
                                  "}",   ",",   ":",  ".",  "=",  "+",  "-",  "*",  "/",
                                  "%",   "<",   ">",  "@",  "&",  "|",  "^",  "~",  ";"};

static int lex_op(Lexer *lx, Pos *p, Tok *t, int *depth, SlError *e)
{
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        size_t n = strlen(ops[k]);
        if (p->i + n <= lx->len && !strncmp(lx->src + p->i, ops[k], n)) {
            t->kind = T_OP;
            memcpy(t->op, ops[k], n + 1);
            if (strchr("([{", t->op[0]) && n == 1 && ++*depth > SC_MAX_DEPTH)
                return sc_error_at(e, lx->file, lx->src, t->line, t->col,
                                   "brackets nested too deeply (more than %d)", SC_MAX_DEPTH);
            if (strchr(")]}", t->op[0]) && n == 1)
                *depth = *depth > 0 ? *depth - 1 : 0;
            for (size_t j = 0; j < n; j++)
                advance(lx, p);
            return 0;
        }
    }
    return sc_error_at(e, lx->file, lx->src, t->line, t->col, "unexpected character '%c'",
                       at(lx, p->i));
}

/* Indentation at the start of a logical line: emit INDENT or DEDENTs. */
static int indent(Lexer *lx, Pos *p, int *stack, int *top, SlError *e)
{
    int width = 0;
    while (at(lx, p->i) == ' ' || at(lx, p->i) == '\t') {
        width = at(lx, p->i) == '\t' ? (width / 8 + 1) * 8 : width + 1;
        advance(lx, p);
    }
    char c = at(lx, p->i);
    if (c == '\n' || c == '#' || c == '\r' || p->i >= lx->len)
        return 0; /* a blank or comment-only line does not count */
    if (width > stack[*top]) {
        if (*top + 1 >= SC_MAX_INDENT)
            return sc_error_at(e, lx->file, lx->src, p->line, p->col, "blocks nested too deeply");
        stack[++*top] = width;
        return push(lx, tok(T_INDENT, p->line, p->col), e);
    }
    while (width < stack[*top]) {
        (*top)--;
        if (push(lx, tok(T_DEDENT, p->line, p->col), e) < 0)
            return -1;
    }
    if (width != stack[*top])
        return sc_error_at(e, lx->file, lx->src, p->line, p->col,
                           "this line's indentation matches no outer block");
    return 0;
}

static int lex_line_end(Lexer *lx, Pos *p, int depth, int *line_has_tokens, SlError *e)
{
    advance(lx, p);
    if (depth == 0 && *line_has_tokens) {
        *line_has_tokens = 0;
        return push(lx, tok(T_NEWLINE, p->line - 1, 1), e);
    }
    return 0;
}

static int lex_all(Lexer *lx, SlError *e)
{
    Pos p = {0, 1, 1};
    int stack[SC_MAX_INDENT] = {0}, top = 0, depth = 0, line_has_tokens = 0, at_line_start = 1;
    while (p.i < lx->len) {
        if (at_line_start && depth == 0 && indent(lx, &p, stack, &top, e) < 0)
            return -1;
        at_line_start = 0;
        char c = at(lx, p.i);
        if (c == '\n') {
            if (lex_line_end(lx, &p, depth, &line_has_tokens, e) < 0)
                return -1;
            at_line_start = 1;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
            advance(lx, &p);
        } else if (c == '#') {
            while (p.i < lx->len && at(lx, p.i) != '\n')
                advance(lx, &p);
        } else if (c == '\\' && (at(lx, p.i + 1) == '\n' || at(lx, p.i + 1) == '\r')) {
            advance(lx, &p);
            while (at(lx, p.i) == '\r')
                advance(lx, &p);
            advance(lx, &p); /* a joined line: no NEWLINE, no indentation */
        } else {
            Tok t = tok(T_OP, p.line, p.col);
            int rc;
            int quote = c == '"' || c == '\'';
            int prefixed = strchr("rRbBuUfF", c) && c &&
                           (at(lx, p.i + 1) == '"' || at(lx, p.i + 1) == '\'' ||
                            (strchr("rRbBfF", at(lx, p.i + 1)) && at(lx, p.i + 1) &&
                             (at(lx, p.i + 2) == '"' || at(lx, p.i + 2) == '\'')));
            if (quote || prefixed) {
                rc = lex_string(lx, &p, &t, e);
            } else if (isdigit((unsigned char)c) ||
                       (c == '.' && isdigit((unsigned char)at(lx, p.i + 1)))) {
                rc = lex_number(lx, &p, &t, e);
            } else if (isalpha((unsigned char)c) || c == '_') {
                t.kind = T_NAME;
                t.s = lx->src + p.i;
                while (isalnum((unsigned char)at(lx, p.i)) || at(lx, p.i) == '_')
                    advance(lx, &p), t.len++;
                rc = 0;
            } else {
                rc = lex_op(lx, &p, &t, &depth, e);
            }
            if (rc < 0 || push(lx, t, e) < 0)
                return -1;
            line_has_tokens = 1;
        }
    }
    if (depth > 0)
        return sc_error_at(e, lx->file, lx->src, p.line, p.col,
                           "the file ends inside brackets: a '(', '[' or '{' is not closed");
    if (line_has_tokens && push(lx, tok(T_NEWLINE, p.line, p.col), e) < 0)
        return -1;
    while (top-- > 0)
        if (push(lx, tok(T_DEDENT, p.line, p.col), e) < 0)
            return -1;
    return push(lx, tok(T_EOF, p.line, p.col), e);
}

int sc_lex(Lexer *lx, const char *file, const char *src, size_t len, SlError *e)
{
    memset(lx, 0, sizeof *lx);
    lx->file = file;
    lx->src = src;
    lx->len = len;
    if (len > SC_MAX_FILE)
        return sl_errorf(e, "%s: the script is %zu bytes; shapelab reads scripts up to %d", file,
                         len, SC_MAX_FILE);
    if (memchr(src, '\0', len))
        return sl_errorf(e, "%s: the script holds a NUL byte; is it a text file?", file);
    /* decoded strings are never longer than their source */
    lx->str_cap = len + 1;
    lx->strings = sl_alloc(lx->str_cap);
    if (!lx->strings)
        return sl_errorf(e, "%s: out of memory", file);
    if (lex_all(lx, e) < 0) {
        sc_lex_free(lx);
        return -1;
    }
    return 0;
}

void sc_lex_free(Lexer *lx)
{
    sl_free(lx->toks);
    sl_free(lx->strings);
    lx->toks = NULL;
    lx->strings = NULL;
    lx->n = 0;
    lx->cap = 0;
}
