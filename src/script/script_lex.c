/* script_lex.c: Python source to tokens, with Python's rules for lines: a logical line ends at a
 * newline outside brackets; a backslash joins lines; indentation opens (INDENT) and closes
 * (DEDENT) blocks; comments and blank lines vanish. The text is UTF-8, as Python 3 reads it: names
 * may hold letters outside ASCII, and columns count characters, not bytes. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "script_impl.h"

/* The code point of the UTF-8 character at s[0..n) into *cp, and its length in bytes; 0 when the
 * bytes there are not UTF-8 (a stray continuation byte, a cut, overlong or surrogate sequence). */
static int utf8_at(const char *s, size_t n, unsigned *cp)
{
    static const unsigned least[5] = {0, 0, 0x80, 0x800, 0x10000};
    unsigned char c = n ? (unsigned char)s[0] : 0;
    int len = c < 0x80 ? 1 : c < 0xC2 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
    if (len == 0 || (size_t)len > n)
        return 0;
    unsigned v = len == 1 ? c : c & (0x7Fu >> len);
    for (int k = 1; k < len; k++) {
        unsigned char b = (unsigned char)s[k];
        if ((b & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (b & 0x3Fu);
    }
    if (v < least[len] || v > 0x10FFFF || (v >= 0xD800 && v < 0xE000))
        return 0;
    *cp = v;
    return len;
}

static int continuation(char c)
{
    return ((unsigned char)c & 0xC0) == 0x80;
}

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
    sl_utf8_trim(msg);
    /* find the line's text */
    const char *p = src;
    for (int l = 1; p && *p && l < line; l++) {
        const char *nl = strchr(p, '\n');
        p = nl ? nl + 1 : NULL;
    }
    int len = 0;
    while (p && p[len] && p[len] != '\n' && p[len] != '\r' && len < 200)
        len++;
    while (len > 0 && continuation(p[len])) /* never cut a character in two */
        len--;
    /* the caret under character col: a tab where the line has one, else a space per character */
    char caret[220];
    int c = col - 1 < 0 ? 0 : (col - 1 > 200 ? 200 : col - 1);
    for (int i = 0, b = 0; i < c; i++) {
        caret[i] = (p && b < len && p[b] == '\t') ? '\t' : ' ';
        for (b++; p && b < len && continuation(p[b]);)
            b++;
    }
    caret[c] = '^';
    caret[c + 1] = '\0';
    snprintf(e->msg, sizeof e->msg, "%s:%d:%d: error: %s\n    %.*s\n    %s", file, line, col, msg,
             len, p ? p : "", caret);
    sl_utf8_trim(e->msg);
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

/* The brackets open at a point of the text, innermost last: where each was opened, so that one
 * never closed is reported at its place, as Python reports it. */
typedef struct Brackets {
    int depth;
    Tok open[SC_MAX_DEPTH];
} Brackets;

static char at(const Lexer *lx, size_t i)
{
    return i < lx->len ? lx->src[i] : '\0';
}

/* One byte on; the column counts characters (the bytes that start one). */
static void advance(const Lexer *lx, Pos *p)
{
    if (at(lx, p->i) == '\n') {
        p->line++;
        p->col = 1;
    } else if (!continuation(at(lx, p->i))) {
        p->col++;
    }
    p->i++;
}

/* Can the character at i be part of a name? ASCII letters, digits and '_', and letters outside
 * ASCII as Python takes them (größe, 層): from U+00C0 on, except the blocks of punctuation and
 * symbols, where curly quotes, arrows and odd spaces live. */
static int name_char_at(const Lexer *lx, size_t i)
{
    unsigned cp = 0;
    if (!utf8_at(lx->src + i, lx->len - i, &cp) || cp < 0x80)
        return isalnum((unsigned char)at(lx, i)) || at(lx, i) == '_';
    return cp >= 0xC0 && cp != 0xD7 && cp != 0xF7 && !(cp >= 0x2000 && cp < 0x2C00) &&
           !(cp >= 0x3000 && cp < 0x3040) && !(cp >= 0xFE00 && cp < 0xFE10) && cp != 0xFEFF &&
           !(cp >= 0xFF00 && cp < 0xFF66);
}

/* One character of a string literal's body at p, decoded (\n, \t, \\, \', a backslash before a
 * newline joins lines) into *c; 0 in *c when it adds nothing. */
static void string_char(const Lexer *lx, Pos *p, int raw, char *c)
{
    *c = at(lx, p->i);
    if (*c == '\\' && !raw && p->i + 1 < lx->len) {
        advance(lx, p);
        char x = at(lx, p->i);
        *c = x == 'n' ? '\n' : x == 't' ? '\t' : x == '\n' ? '\0' : x;
    }
    advance(lx, p);
}

/* Is the string's closing quote at p? */
static int string_end(const Lexer *lx, const Pos *p, char q, int triple)
{
    return at(lx, p->i) == q && (!triple || (at(lx, p->i + 1) == q && at(lx, p->i + 2) == q));
}

static int string_cut(const Lexer *lx, const Pos *p, int triple)
{
    return p->i >= lx->len || (!triple && at(lx, p->i) == '\n');
}

/* Close the string being decoded at lx->strings + lx->str_used, n bytes long, into t. */
static void string_token(Lexer *lx, Tok *t, size_t n)
{
    char *out = lx->strings + lx->str_used;
    out[n] = '\0';
    lx->str_used += n + 1;
    t->kind = T_STRING;
    t->s = out;
    t->len = (int)n;
}

static int lex_token(Lexer *lx, Pos *p, Brackets *b, int fdepth, SlError *e);

/* The body of f"...": FSTART, each literal part as a STRING, each replacement field as
 * '{' EXPRESSION ['!' NAME] [':' STRING] '}', then FEND; the parser reads the expressions as it
 * reads any other (Python 3.12 tokenizes f-strings so). Decoded parts are never longer than their
 * source, which also holds the braces. */
static int lex_fstring(Lexer *lx, Pos *p, const Tok *start, int raw, char q, int triple, int fdepth,
                       SlError *e)
{
    if (fdepth >= 8)
        return sc_error_at(e, lx->file, lx->src, start->line, start->col,
                           "f-strings nested too deeply");
    Tok f = *start;
    f.kind = T_FSTART;
    if (push(lx, f, e) < 0)
        return -1;
    Tok part = tok(T_STRING, p->line, p->col);
    size_t n = 0;
    while (!string_end(lx, p, q, triple)) {
        char c = at(lx, p->i);
        if (string_cut(lx, p, triple))
            return sc_error_at(e, lx->file, lx->src, start->line, start->col, "string not closed");
        if ((c == '{' || c == '}') && at(lx, p->i + 1) == c) { /* {{ and }} are braces */
            lx->strings[lx->str_used + n++] = c;
            advance(lx, p);
            advance(lx, p);
            continue;
        }
        if (c == '}')
            return sc_error_at(e, lx->file, lx->src, p->line, p->col,
                               "a single '}' in an f-string: write '}}' for a brace");
        if (c != '{') {
            string_char(lx, p, raw, &c);
            if (c)
                lx->strings[lx->str_used + n++] = c;
            continue;
        }
        if (n) {
            string_token(lx, &part, n);
            if (push(lx, part, e) < 0)
                return -1;
            n = 0;
        }
        /* a replacement field: its expression's tokens up to '!', ':' or '}' outside brackets */
        Tok open = tok(T_OP, p->line, p->col);
        snprintf(open.op, sizeof open.op, "{");
        advance(lx, p);
        if (push(lx, open, e) < 0)
            return -1;
        Brackets inner;
        inner.depth = 0;
        while (1) {
            while (at(lx, p->i) == ' ' || at(lx, p->i) == '\t')
                advance(lx, p);
            c = at(lx, p->i);
            if (string_cut(lx, p, triple) || string_end(lx, p, q, triple))
                return sc_error_at(e, lx->file, lx->src, open.line, open.col,
                                   "'{' in an f-string is never closed with '}'");
            if (inner.depth == 0 && (c == '}' || c == ':' || (c == '!' && at(lx, p->i + 1) != '=')))
                break;
            if (lex_token(lx, p, &inner, fdepth + 1, e) < 0)
                return -1;
        }
        if (c == '!') { /* !r, !s, !a */
            Tok bang = tok(T_OP, p->line, p->col);
            snprintf(bang.op, sizeof bang.op, "!");
            advance(lx, p);
            if (push(lx, bang, e) < 0 || lex_token(lx, p, &inner, fdepth + 1, e) < 0)
                return -1;
            c = at(lx, p->i);
        }
        if (c == ':') { /* the format spec: literal text up to the field's '}' */
            Tok colon = tok(T_OP, p->line, p->col), spec;
            snprintf(colon.op, sizeof colon.op, ":");
            advance(lx, p);
            spec = tok(T_STRING, p->line, p->col);
            while (at(lx, p->i) != '}') {
                if (string_cut(lx, p, triple) || string_end(lx, p, q, triple) ||
                    at(lx, p->i) == '{')
                    return sc_error_at(e, lx->file, lx->src, colon.line, colon.col,
                                       "this f-string's format spec does not end with '}' "
                                       "(nested fields in a spec are not understood)");
                lx->strings[lx->str_used + n++] = at(lx, p->i);
                advance(lx, p);
            }
            string_token(lx, &spec, n);
            n = 0;
            if (push(lx, colon, e) < 0 || push(lx, spec, e) < 0)
                return -1;
        }
        if (at(lx, p->i) != '}')
            return sc_error_at(e, lx->file, lx->src, p->line, p->col,
                               "expected '}' to end this f-string field");
        Tok close = tok(T_OP, p->line, p->col);
        snprintf(close.op, sizeof close.op, "}");
        advance(lx, p);
        if (push(lx, close, e) < 0)
            return -1;
        part = tok(T_STRING, p->line, p->col);
    }
    if (n) {
        string_token(lx, &part, n);
        if (push(lx, part, e) < 0)
            return -1;
    }
    for (int k = 0; k < (triple ? 3 : 1); k++)
        advance(lx, p);
    return push(lx, tok(T_FEND, p->line, p->col), e);
}

/* A string literal (prefixes r, b, u, f; single or triple quotes), decoded into lx->strings and
 * pushed as one STRING token, or an f-string as its parts (lex_fstring). */
static int lex_string(Lexer *lx, Pos *p, Tok *t, int fdepth, SlError *e)
{
    int raw = 0, fmt = 0;
    while (strchr("rRbBuUfF", at(lx, p->i)) && at(lx, p->i)) {
        raw |= at(lx, p->i) == 'r' || at(lx, p->i) == 'R';
        fmt |= at(lx, p->i) == 'f' || at(lx, p->i) == 'F';
        advance(lx, p);
    }
    char q = at(lx, p->i);
    int triple = at(lx, p->i + 1) == q && at(lx, p->i + 2) == q;
    for (int k = 0; k < (triple ? 3 : 1); k++)
        advance(lx, p);
    if (fmt)
        return lex_fstring(lx, p, t, raw, q, triple, fdepth, e);
    size_t n = 0;
    while (!string_end(lx, p, q, triple)) {
        if (string_cut(lx, p, triple))
            return sc_error_at(e, lx->file, lx->src, t->line, t->col, "string not closed");
        char c;
        string_char(lx, p, raw, &c);
        if (c)
            lx->strings[lx->str_used + n++] = c;
    }
    for (int k = 0; k < (triple ? 3 : 1); k++)
        advance(lx, p);
    string_token(lx, t, n);
    return push(lx, *t, e);
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

/* Longest first, so that "<<=" is not read as "<" "<=". */
static const char *const ops[] = {"**=", "//=", "<<=", ">>=", "**", "//", "<<", ">>", "==", "!=",
                                  "<=",  ">=",  "+=",  "-=",  "*=", "/=", "->", "(",  ")",  "[",
                                  "]",   "{",   "}",   ",",   ":",  ".",  "=",  "+",  "-",  "*",
                                  "/",   "%",   "<",   ">",   "@",  "&",  "|",  "^",  "~",  ";"};

/* A character that starts no token, named so that a pasted one can be found and retyped. */
static int unexpected(const Lexer *lx, const Pos *p, const Tok *t, SlError *e)
{
    unsigned cp = 0;
    int n = utf8_at(lx->src + p->i, lx->len - p->i, &cp);
    const char *what = "";
    if (cp == 0x2018 || cp == 0x2019 || cp == 0x201C || cp == 0x201D)
        what = ": a curly quote; Python's quotes are straight, ' or \"";
    else if (cp == 0xA0 || cp == 0x2007 || cp == 0x202F || cp == 0x3000)
        what = ": a no-break space; type a plain space";
    if (cp < 0x20 || cp == 0x7F)
        return sc_error_at(e, lx->file, lx->src, t->line, t->col,
                           "unexpected control character U+%04X", cp);
    return sc_error_at(e, lx->file, lx->src, t->line, t->col,
                       "unexpected character '%.*s' (U+%04X)%s", n, lx->src + p->i, cp, what);
}

/* An opening bracket goes on the stack; a closing one must match the innermost open one. */
static int bracket(Lexer *lx, const Tok *t, Brackets *b, SlError *e)
{
    static const char pairs[] = "()[]{}";
    const char *at_pair = strchr(pairs, t->op[0]);
    int k = (int)(at_pair - pairs);
    if (k % 2 == 0) {
        if (b->depth >= SC_MAX_DEPTH)
            return sc_error_at(e, lx->file, lx->src, t->line, t->col,
                               "brackets nested too deeply (more than %d)", SC_MAX_DEPTH);
        b->open[b->depth++] = *t;
        return 0;
    }
    if (b->depth == 0)
        return sc_error_at(e, lx->file, lx->src, t->line, t->col, "unmatched '%c'", t->op[0]);
    const Tok *o = &b->open[--b->depth];
    if (o->op[0] != pairs[k - 1])
        return sc_error_at(e, lx->file, lx->src, t->line, t->col,
                           "closing bracket '%c' does not match the '%c' opened at line %d, "
                           "column %d",
                           t->op[0], o->op[0], o->line, o->col);
    return 0;
}

static int lex_op(Lexer *lx, Pos *p, Tok *t, Brackets *b, SlError *e)
{
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        size_t n = strlen(ops[k]);
        if (p->i + n <= lx->len && !strncmp(lx->src + p->i, ops[k], n)) {
            t->kind = T_OP;
            memcpy(t->op, ops[k], n + 1);
            if (n == 1 && strchr("()[]{}", t->op[0]) && bracket(lx, t, b, e) < 0)
                return -1;
            for (size_t j = 0; j < n; j++)
                advance(lx, p);
            return 0;
        }
    }
    return unexpected(lx, p, t, e);
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

/* One token at p (not a space, a comment or a line's end), pushed; an f-string pushes its parts. */
static int lex_token(Lexer *lx, Pos *p, Brackets *b, int fdepth, SlError *e)
{
    char c = at(lx, p->i);
    Tok t = tok(T_OP, p->line, p->col);
    int quote = c == '"' || c == '\'';
    int prefixed = strchr("rRbBuUfF", c) && c &&
                   (at(lx, p->i + 1) == '"' || at(lx, p->i + 1) == '\'' ||
                    (strchr("rRbBfF", at(lx, p->i + 1)) && at(lx, p->i + 1) &&
                     (at(lx, p->i + 2) == '"' || at(lx, p->i + 2) == '\'')));
    if (quote || prefixed)
        return lex_string(lx, p, &t, fdepth, e);
    int rc;
    if (isdigit((unsigned char)c) || (c == '.' && isdigit((unsigned char)at(lx, p->i + 1)))) {
        rc = lex_number(lx, p, &t, e);
    } else if (name_char_at(lx, p->i)) {
        t.kind = T_NAME;
        t.s = lx->src + p->i;
        while (p->i < lx->len && (continuation(at(lx, p->i)) || name_char_at(lx, p->i)))
            advance(lx, p), t.len++;
        rc = 0;
    } else {
        rc = lex_op(lx, p, &t, b, e);
    }
    return rc < 0 ? -1 : push(lx, t, e);
}

static int lex_all(Lexer *lx, SlError *e)
{
    Pos p = {0, 1, 1};
    int stack[SC_MAX_INDENT] = {0}, top = 0, line_has_tokens = 0, at_line_start = 1;
    Brackets b;
    b.depth = 0;
    while (p.i < lx->len) {
        if (at_line_start && b.depth == 0 && indent(lx, &p, stack, &top, e) < 0)
            return -1;
        at_line_start = 0;
        char c = at(lx, p.i);
        if (c == '\n') {
            if (lex_line_end(lx, &p, b.depth, &line_has_tokens, e) < 0)
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
            if (lex_token(lx, &p, &b, 0, e) < 0)
                return -1;
            line_has_tokens = 1;
        }
    }
    if (b.depth > 0) {
        const Tok *o = &b.open[b.depth - 1];
        return sc_error_at(e, lx->file, lx->src, o->line, o->col,
                           "'%c' was never closed: the file ends before its closing '%c'", o->op[0],
                           o->op[0] == '('   ? ')'
                           : o->op[0] == '[' ? ']'
                                             : '}');
    }
    if (line_has_tokens && push(lx, tok(T_NEWLINE, p.line, p.col), e) < 0)
        return -1;
    while (top-- > 0)
        if (push(lx, tok(T_DEDENT, p.line, p.col), e) < 0)
            return -1;
    return push(lx, tok(T_EOF, p.line, p.col), e);
}

/* Python 3 reads source as UTF-8; other bytes (a file saved as Latin-1) are an error at their
 * place, before anything else reads the text. */
static int check_utf8(const Lexer *lx, SlError *e)
{
    Pos p = {0, 1, 1};
    unsigned cp;
    while (p.i < lx->len) {
        int n = utf8_at(lx->src + p.i, lx->len - p.i, &cp);
        if (n == 0)
            return sc_error_at(e, lx->file, lx->src, p.line, p.col,
                               "byte 0x%02X is not UTF-8 text; save the script as UTF-8",
                               (unsigned char)lx->src[p.i]);
        for (int k = 0; k < n; k++)
            advance(lx, &p);
    }
    return 0;
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
    if (check_utf8(lx, e) < 0)
        return -1;
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
