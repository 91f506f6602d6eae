/* script_parse.c: tokens to a tree, by recursive descent over the subset of Python that model
 * scripts use:
 *
 *   file      := stmt*
 *   stmt      := 'for' target 'in' expr ':' suite | 'def' NAME '(' names ')' ':' suite
 *              | 'import' dotted ['as' NAME] (',' ...)* | 'from' dotted 'import' names
 *              | 'return' [exprs] | 'pass' | exprs [('=' | '+=' | ...) exprs]
 *   suite     := NEWLINE INDENT stmt+ DEDENT | simple statement
 *   exprs     := expr (',' expr)* [',']            (a tuple without brackets)
 *   expr      := term (('+' | '-') term)*
 *   term      := unary (('*' | '/' | '//' | '%') unary)*
 *   unary     := ('-' | '+') unary | power
 *   power     := primary ['**' unary]
 *   primary   := atom ('(' args ')' | '[' expr ']' | '.' NAME)*
 *   atom      := NAME | number | string+ | '(' [exprs] ')' | '[' [exprs | expr 'for' NAME 'in' expr] ']'
 *
 * Anything outside it (if, while, lambda, comparisons, dicts, ...) is an error that names it.
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "script_impl.h"

static const Tok *peek(const Parser *p)
{
    return &p->lx->toks[p->pos];
}

static const Tok *next(Parser *p)
{
    const Tok *t = &p->lx->toks[p->pos];
    if (t->kind != T_EOF)
        p->pos++;
    return t;
}

static int is_op(const Parser *p, const char *op)
{
    return peek(p)->kind == T_OP && !strcmp(peek(p)->op, op);
}

static int is_name(const Parser *p, const char *name)
{
    const Tok *t = peek(p);
    return t->kind == T_NAME && (int)strlen(name) == t->len && !strncmp(t->s, name, (size_t)t->len);
}

static int fail(Parser *p, const Tok *t, const char *what)
{
    sc_error_at(p->e, p->lx->file, p->lx->src, t->line, t->col, "%s", what);
    return -2;
}

static int expect_op(Parser *p, const char *op)
{
    if (is_op(p, op)) {
        next(p);
        return 0;
    }
    char msg[64];
    snprintf(msg, sizeof msg, "expected '%s'", op);
    return fail(p, peek(p), msg);
}

static int new_node(Parser *p, NodeKind k, const Tok *t)
{
    Node *nodes = sl_grow(p->nodes, &p->cap, (size_t)p->n + 1, sizeof *nodes);
    if (!nodes) {
        sl_errorf(p->e, "%s: out of memory parsing the script", p->lx->file);
        return -2;
    }
    p->nodes = nodes;
    Node *n = &p->nodes[p->n];
    memset(n, 0, sizeof *n);
    n->kind = k;
    n->line = t->line;
    n->col = t->col;
    n->a = n->b = n->c = n->next = n->tail = -1;
    return p->n++;
}

/* A NUL-terminated copy of a NAME token's text. */
static const char *name_of(Parser *p, const Tok *t)
{
    size_t need = (size_t)t->len + 1;
    if (p->names_used + need > p->names_cap)
        return NULL;
    char *s = p->names + p->names_used;
    memcpy(s, t->s, (size_t)t->len);
    s[t->len] = '\0';
    p->names_used += need;
    return s;
}

static int expr(Parser *p);
static int exprs(Parser *p, int allow_tuple);

/* Link an item after the last of a list (head -1: a new list); returns the head. */
static int append(Parser *p, int head, int item)
{
    if (head < 0) {
        p->nodes[item].tail = item;
        return item;
    }
    p->nodes[p->nodes[head].tail].next = item;
    p->nodes[head].tail = item;
    return head;
}

static int call_args(Parser *p, int callee, const Tok *open)
{
    int call = new_node(p, N_CALL, open), first = -1, seen_kw = 0;
    if (call < 0)
        return -2;
    p->nodes[call].a = callee;
    p->nodes[call].line = p->nodes[callee].line; /* errors point at what is called */
    p->nodes[call].col = p->nodes[callee].col;
    while (!is_op(p, ")")) {
        const char *kw = NULL;
        const Tok *start = peek(p);
        if (start->kind == T_NAME && p->lx->toks[p->pos + 1].kind == T_OP &&
            !strcmp(p->lx->toks[p->pos + 1].op, "=")) {
            kw = name_of(p, next(p));
            next(p);
            seen_kw = 1;
        } else if (is_op(p, "*") || is_op(p, "**")) {
            return fail(p, start,
                        "*args and **kwargs are not understood here; write the "
                        "arguments out");
        } else if (seen_kw) {
            return fail(p, start, "a positional argument follows a keyword argument");
        }
        int arg = expr(p);
        if (arg < 0)
            return -2;
        p->nodes[arg].kw = kw;
        first = append(p, first, arg);
        if (!is_op(p, ","))
            break;
        next(p);
    }
    if (expect_op(p, ")") < 0)
        return -2;
    p->nodes[call].b = first;
    return call;
}

/* ( ... ) or [ ... ]: a tuple/list, a parenthesised expression, or a list comprehension. */
static int bracket(Parser *p, const Tok *open, int is_list)
{
    const char *close = is_list ? "]" : ")";
    int first = -1, count = 0, trailing = 0;
    while (!is_op(p, close)) {
        int item = expr(p);
        if (item < 0)
            return -2;
        if (is_list && count == 0 && is_name(p, "for")) { /* [expr for NAME in iterable] */
            int lc = new_node(p, N_LISTCOMP, open);
            if (lc < 0)
                return -2;
            next(p);
            const Tok *nt = next(p);
            if (nt->kind != T_NAME)
                return fail(p, nt, "expected a name after 'for'");
            int target = new_node(p, N_NAME, nt);
            if (target < 0 || !is_name(p, "in"))
                return target < 0 ? -2 : fail(p, peek(p), "expected 'in'");
            next(p);
            p->nodes[target].s = name_of(p, nt);
            int iter = expr(p);
            if (iter < 0)
                return -2;
            if (is_name(p, "if") || is_name(p, "for"))
                return fail(p, peek(p), "only [expr for name in iterable] is understood");
            p->nodes[lc].a = item, p->nodes[lc].b = target, p->nodes[lc].c = iter;
            return expect_op(p, "]") < 0 ? -2 : lc;
        }
        first = append(p, first, item);
        count++;
        trailing = 0;
        if (!is_op(p, ","))
            break;
        next(p);
        trailing = 1;
    }
    if (expect_op(p, close) < 0)
        return -2;
    if (!is_list && count == 1 && !trailing)
        return first; /* (x) is just x */
    int n = new_node(p, is_list ? N_LIST : N_TUPLE, open);
    if (n < 0)
        return -2;
    p->nodes[n].a = first;
    return n;
}

static int atom(Parser *p)
{
    const Tok *t = next(p);
    int n;
    switch (t->kind) {
    case T_INT:
    case T_FLOAT:
        if ((n = new_node(p, t->kind == T_INT ? N_INT : N_FLOAT, t)) >= 0)
            p->nodes[n].i = t->i, p->nodes[n].f = t->f;
        return n;
    case T_STRING: {
        if ((n = new_node(p, N_STR, t)) < 0)
            return -2;
        p->nodes[n].s = t->s;
        if (peek(p)->kind == T_STRING)
            return fail(p, peek(p), "adjacent strings are not joined here; write one string");
        return n;
    }
    case T_NAME: {
        static const char *const kw[] = {
            "if",   "else",   "elif",   "while", "lambda", "and",    "or",    "not",  "in",
            "is",   "with",   "class",  "try",   "yield",  "return", "def",   "for",  "import",
            "from", "global", "assert", "del",   "raise",  "except", "async", "await"};
        const char *s = name_of(p, t);
        if (!s)
            return fail(p, t, "name too long");
        for (size_t k = 0; k < sizeof kw / sizeof kw[0]; k++)
            if (!strcmp(s, kw[k])) {
                char msg[128];
                snprintf(msg, sizeof msg, "'%s' is not understood in a model script", s);
                return fail(p, t, msg);
            }
        NodeKind k = !strcmp(s, "None")    ? N_NONE
                     : !strcmp(s, "True")  ? N_TRUE
                     : !strcmp(s, "False") ? N_FALSE
                                           : N_NAME;
        if ((n = new_node(p, k, t)) >= 0)
            p->nodes[n].s = s;
        return n;
    }
    case T_OP:
        if (!strcmp(t->op, "(") || !strcmp(t->op, "["))
            return bracket(p, t, t->op[0] == '[');
        if (!strcmp(t->op, "{"))
            return fail(p, t,
                        "dictionaries are not understood here; give per-output values as "
                        "lists in the order of the model's outputs");
        return fail(p, t, "expected a value");
    default:
        return fail(p, t,
                    t->kind == T_NEWLINE ? "the line ends where a value was expected"
                                         : "expected a value");
    }
}

static int primary(Parser *p)
{
    int n = atom(p);
    while (n >= 0) {
        const Tok *t = peek(p);
        if (is_op(p, "(")) {
            next(p);
            n = call_args(p, n, t);
        } else if (is_op(p, "[")) {
            next(p);
            int s = new_node(p, N_SUBSCRIPT, t);
            if (s < 0)
                return -2;
            p->nodes[s].a = n;
            int index = expr(p); /* may grow (move) the node table: assign after */
            if (index < 0)
                return -2;
            p->nodes[s].b = index;
            if (is_op(p, ":") || is_op(p, ","))
                return fail(p, peek(p), "slices are not understood here");
            n = expect_op(p, "]") < 0 ? -2 : s;
        } else if (is_op(p, ".")) {
            next(p);
            const Tok *nt = next(p);
            if (nt->kind != T_NAME)
                return fail(p, nt, "expected a name after '.'");
            int a = new_node(p, N_ATTR, nt);
            if (a < 0)
                return -2;
            p->nodes[a].a = n;
            p->nodes[a].s = name_of(p, nt);
            n = a;
        } else {
            break;
        }
    }
    return n;
}

static int binop(Parser *p, NodeKind kind, const Tok *t, int a, int b)
{
    if (a < 0 || b < 0)
        return -2;
    int n = new_node(p, kind, t);
    if (n < 0)
        return -2;
    snprintf(p->nodes[n].op, sizeof p->nodes[n].op, "%s", t->op);
    p->nodes[n].a = a;
    p->nodes[n].b = b;
    return n;
}

static int unary(Parser *p);

static int power(Parser *p)
{
    int base = primary(p);
    if (base >= 0 && is_op(p, "**")) {
        const Tok *t = next(p);
        if (++p->depth > SC_MAX_DEPTH)
            return fail(p, t, "expression nested too deeply");
        int exponent = unary(p);
        p->depth--;
        return binop(p, N_BINOP, t, base, exponent);
    }
    return base;
}

static int unary(Parser *p)
{
    if (is_op(p, "-") || is_op(p, "+")) {
        const Tok *t = next(p);
        if (++p->depth > SC_MAX_DEPTH)
            return fail(p, t, "expression nested too deeply");
        int a = unary(p);
        p->depth--;
        int n = a < 0 ? -2 : new_node(p, N_UNARY, t);
        if (n >= 0) {
            snprintf(p->nodes[n].op, sizeof p->nodes[n].op, "%s", t->op);
            p->nodes[n].a = a;
        }
        return n;
    }
    return power(p);
}

static int term(Parser *p)
{
    int n = unary(p);
    while (n >= 0 && (is_op(p, "*") || is_op(p, "/") || is_op(p, "//") || is_op(p, "%"))) {
        const Tok *t = next(p);
        n = binop(p, N_BINOP, t, n, unary(p));
    }
    return n;
}

static int expr(Parser *p)
{
    if (++p->depth > SC_MAX_DEPTH)
        return fail(p, peek(p), "expression nested too deeply");
    int n = term(p);
    while (n >= 0 && (is_op(p, "+") || is_op(p, "-"))) {
        const Tok *t = next(p);
        n = binop(p, N_BINOP, t, n, term(p));
    }
    p->depth--;
    if (n >= 0 && (is_op(p, "==") || is_op(p, "!=") || is_op(p, "<") || is_op(p, ">") ||
                   is_op(p, "<=") || is_op(p, ">=")))
        return fail(p, peek(p), "comparisons are not understood in a model script");
    if (n >= 0 && (is_name(p, "if") || is_name(p, "and") || is_name(p, "or")))
        return fail(p, peek(p), "conditions are not understood in a model script");
    return n;
}

/* expr (',' expr)* : a tuple without brackets when there is a comma. */
static int exprs(Parser *p, int allow_tuple)
{
    const Tok *start = peek(p);
    int first = expr(p);
    if (first < 0 || !allow_tuple || !is_op(p, ","))
        return first;
    first = append(p, -1, first); /* the head of the tuple's items */
    while (is_op(p, ",")) {
        next(p);
        if (peek(p)->kind == T_NEWLINE || is_op(p, "=") || is_op(p, ":"))
            break;
        int item = expr(p);
        if (item < 0)
            return -2;
        append(p, first, item);
    }
    int t = new_node(p, N_TUPLE, start);
    if (t >= 0)
        p->nodes[t].a = first;
    return t;
}

static int end_of_line(Parser *p)
{
    if (peek(p)->kind == T_NEWLINE) {
        next(p);
        return 0;
    }
    if (is_op(p, ";"))
        return fail(p, peek(p), "';' between statements is not understood; use one line each");
    return peek(p)->kind == T_EOF || peek(p)->kind == T_DEDENT
               ? 0
               : fail(p, peek(p), "unexpected text at the end of the statement");
}

static int statement(Parser *p);

static int suite(Parser *p)
{
    if (expect_op(p, ":") < 0)
        return -2;
    if (peek(p)->kind != T_NEWLINE)
        return statement(p); /* for x in y: stmt */
    next(p);
    if (peek(p)->kind != T_INDENT)
        return fail(p, peek(p), "expected an indented block");
    next(p);
    int first = -1;
    while (peek(p)->kind != T_DEDENT && peek(p)->kind != T_EOF) {
        int s = statement(p);
        if (s == -2)
            return -2;
        if (s >= 0)
            first = append(p, first, s);
    }
    next(p);
    if (first < 0) {
        const Tok *t = peek(p);
        return new_node(p, S_PASS, t);
    }
    return first;
}

static int stmt_for(Parser *p, const Tok *t)
{
    int n = new_node(p, S_FOR, t);
    if (n < 0)
        return -2;
    const Tok *nt = next(p);
    if (nt->kind != T_NAME)
        return fail(p, nt, "expected a loop variable after 'for'");
    int target = new_node(p, N_NAME, nt);
    if (target < 0)
        return -2;
    p->nodes[target].s = name_of(p, nt);
    if (!is_name(p, "in"))
        return fail(p, peek(p), "expected 'in'");
    next(p);
    p->nodes[n].a = target;
    int iter = exprs(p, 1);
    int body = iter < 0 ? -2 : suite(p);
    if (body < 0)
        return -2;
    p->nodes[n].b = iter, p->nodes[n].c = body;
    return n;
}

/* Does a function body yield (a generator: shapelab skips it)? */
static int yields(const Parser *p, int from, int to)
{
    for (int i = from; i < to; i++)
        if (p->lx->toks[i].kind == T_NAME && p->lx->toks[i].len == 5 &&
            !strncmp(p->lx->toks[i].s, "yield", 5))
            return 1;
    return 0;
}

static int skip_block(Parser *p)
{
    int depth = 0;
    while (peek(p)->kind != T_EOF) {
        const Tok *t = next(p);
        if (t->kind == T_INDENT)
            depth++;
        if (t->kind == T_DEDENT && --depth <= 0)
            return 0;
    }
    return 0;
}

static int stmt_def(Parser *p, const Tok *t)
{
    int n = new_node(p, S_DEF, t);
    const Tok *nt = next(p);
    if (n < 0 || nt->kind != T_NAME)
        return n < 0 ? -2 : fail(p, nt, "expected a function name after 'def'");
    p->nodes[n].s = name_of(p, nt);
    if (expect_op(p, "(") < 0)
        return -2;
    int first = -1;
    while (!is_op(p, ")")) {
        const Tok *pt = next(p);
        if (pt->kind != T_NAME)
            return fail(p, pt, "expected a parameter name");
        if (is_op(p, "=") || is_op(p, ":"))
            return fail(p, peek(p), "default values and annotations are not understood here");
        int par = new_node(p, N_NAME, pt);
        if (par < 0)
            return -2;
        p->nodes[par].s = name_of(p, pt);
        first = append(p, first, par);
        if (!is_op(p, ","))
            break;
        next(p);
    }
    if (expect_op(p, ")") < 0)
        return -2;
    p->nodes[n].a = first;
    /* a generator's body is not parsed: it is about data, and shapelab skips it */
    int start = p->pos, end = start, depth = 0;
    for (; p->lx->toks[end].kind != T_EOF; end++) {
        if (p->lx->toks[end].kind == T_INDENT)
            depth++;
        if (p->lx->toks[end].kind == T_DEDENT && --depth <= 0)
            break;
    }
    if (yields(p, start, end)) {
        p->nodes[n].i = 1;
        if (expect_op(p, ":") < 0)
            return -2;
        skip_block(p);
        return n;
    }
    p->in_def++;
    int body = suite(p);
    p->in_def--;
    if (body < 0)
        return -2;
    p->nodes[n].c = body;
    return n;
}

/* import a.b [as c], ...   /   from a.b import c [as d], ... */
static int stmt_import(Parser *p, const Tok *t, int from)
{
    int n = new_node(p, S_IMPORT, t), first = -1;
    if (n < 0)
        return -2;
    char module[256] = "";
    if (from) {
        while (peek(p)->kind == T_NAME || is_op(p, ".")) {
            const Tok *x = next(p);
            size_t u = strlen(module);
            snprintf(module + u, sizeof module - u, "%.*s", x->kind == T_NAME ? x->len : 1,
                     x->kind == T_NAME ? x->s : ".");
            if (is_name(p, "import"))
                break;
        }
        if (!is_name(p, "import"))
            return fail(p, peek(p), "expected 'import'");
        next(p);
    }
    int paren = is_op(p, "(");
    if (paren)
        next(p);
    while (peek(p)->kind == T_NAME || is_op(p, "*")) {
        const Tok *x = next(p);
        char name[256];
        snprintf(name, sizeof name, "%.*s", x->kind == T_NAME ? x->len : 1,
                 x->kind == T_NAME ? x->s : "*");
        while (!from && is_op(p, ".")) { /* import a.b.c */
            next(p);
            const Tok *y = next(p);
            size_t u = strlen(name);
            snprintf(name + u, sizeof name - u, ".%.*s", y->len, y->s);
        }
        int item = new_node(p, N_NAME, x);
        if (item < 0)
            return -2;
        Tok fake = *x;
        fake.s = name;
        fake.len = (int)strlen(name);
        p->nodes[item].s = name_of(p, &fake);
        if (is_name(p, "as")) {
            next(p);
            p->nodes[item].kw = name_of(p, next(p));
        }
        first = append(p, first, item);
        if (!is_op(p, ","))
            break;
        next(p);
    }
    if (paren && expect_op(p, ")") < 0)
        return -2;
    Tok fake = *t;
    fake.s = module;
    fake.len = (int)strlen(module);
    p->nodes[n].s = name_of(p, &fake);
    p->nodes[n].a = first;
    return end_of_line(p) < 0 ? -2 : n;
}

static int stmt_simple(Parser *p, const Tok *t)
{
    if (is_name(p, "pass")) {
        next(p);
        return end_of_line(p) < 0 ? -2 : new_node(p, S_PASS, t);
    }
    if (is_name(p, "return")) {
        if (!p->in_def)
            return fail(p, t, "'return' outside a function");
        next(p);
        int n = new_node(p, S_RETURN, t);
        if (n >= 0 && peek(p)->kind != T_NEWLINE) {
            int value = exprs(p, 1);
            if (value < 0)
                return -2;
            p->nodes[n].a = value;
        }
        return end_of_line(p) < 0 ? -2 : n;
    }
    int lhs = exprs(p, 1);
    if (lhs < 0)
        return -2;
    const Tok *op = peek(p);
    int is_assign = op->kind == T_OP &&
                    (!strcmp(op->op, "=") || !strcmp(op->op, "+=") || !strcmp(op->op, "-=") ||
                     !strcmp(op->op, "*=") || !strcmp(op->op, "/=") || !strcmp(op->op, "//="));
    int n;
    if (is_assign) {
        next(p);
        n = new_node(p, S_ASSIGN, op);
        if (n < 0)
            return -2;
        snprintf(p->nodes[n].op, sizeof p->nodes[n].op, "%s", op->op);
        p->nodes[n].a = lhs;
        int value = exprs(p, 1);
        if (value < 0)
            return -2;
        p->nodes[n].b = value;
        if (is_op(p, "="))
            return fail(p, peek(p), "chained assignment (a = b = ...) is not understood here");
        NodeKind k = p->nodes[lhs].kind;
        if (k != N_NAME && k != N_TUPLE)
            return fail(p, t, "only names (or a, b = ...) can be assigned to in a model script");
    } else {
        n = new_node(p, S_EXPR, t);
        if (n >= 0)
            p->nodes[n].a = lhs;
    }
    return end_of_line(p) < 0 ? -2 : n;
}

static int statement(Parser *p)
{
    const Tok *t = peek(p);
    if (t->kind == T_NEWLINE) {
        next(p);
        return -1;
    }
    if (t->kind == T_INDENT)
        return fail(p, t, "unexpected indentation");
    if (is_name(p, "for"))
        return next(p), stmt_for(p, t);
    if (is_name(p, "def"))
        return next(p), stmt_def(p, t);
    if (is_name(p, "import"))
        return next(p), stmt_import(p, t, 0);
    if (is_name(p, "from"))
        return next(p), stmt_import(p, t, 1);
    if (is_name(p, "if") || is_name(p, "while") || is_name(p, "class") || is_name(p, "with") ||
        is_name(p, "try")) {
        char msg[128];
        snprintf(msg, sizeof msg, "'%.*s' blocks are not understood in a model script", t->len,
                 t->s);
        return fail(p, t, msg);
    }
    return stmt_simple(p, t);
}

static int setup(Parser *p, const Lexer *lx, SlError *e)
{
    memset(p, 0, sizeof *p);
    p->lx = lx;
    p->e = e;
    p->names_cap = 2 * lx->len + 4096;
    p->names = sl_alloc(p->names_cap);
    return p->names ? 0 : sl_errorf(e, "%s: out of memory", lx->file);
}

int sc_parse(Parser *p, const Lexer *lx, SlError *e)
{
    if (setup(p, lx, e) < 0)
        return -2;
    int first = -1;
    while (peek(p)->kind != T_EOF) {
        int s = statement(p);
        if (s == -2)
            return -2;
        if (s >= 0)
            first = append(p, first, s);
    }
    return first;
}

int sc_parse_expr_only(Parser *p, const Lexer *lx, SlError *e)
{
    if (setup(p, lx, e) < 0)
        return -2;
    int n = exprs(p, 1);
    if (n >= 0 && peek(p)->kind != T_NEWLINE && peek(p)->kind != T_EOF)
        return fail(p, peek(p), "unexpected text after the value");
    return n;
}

void sc_parse_free(Parser *p)
{
    sl_free(p->nodes);
    sl_free(p->names);
    p->nodes = NULL;
    p->names = NULL;
}
