/* script_parse.c: tokens to a tree, by recursive descent over the subset of Python that model
 * scripts use:
 *
 *   file      := stmt*
 *   stmt      := 'for' NAME 'in' exprs ':' suite | 'while' expr ':' suite
 *              | 'if' expr ':' suite ('elif' expr ':' suite)* ['else' ':' suite]
 *              | 'def' NAME '(' [NAME [':' expr] ['=' expr] (',' ...)*] ')' ['->' expr] ':' suite
 *              | 'with' expr ['as' NAME] ':' suite
 *              | 'import' dotted ['as' NAME] (',' ...)* | 'from' dotted 'import' names
 *              | 'return' [exprs] | 'pass' | 'break' | 'continue' | 'assert' expr [',' expr]
 *              | 'raise' ... | exprs [('=' | '+=' | ...) exprs]
 *   suite     := NEWLINE INDENT stmt+ DEDENT | simple statement
 *   exprs     := expr (',' expr)* [',']            (a tuple without brackets)
 *   expr      := or_test ['if' or_test 'else' expr]
 *   or_test   := and_test ('or' and_test)*
 *   and_test  := not_test ('and' not_test)*
 *   not_test  := 'not' not_test | compare
 *   compare   := shift (('<' | '>' | '==' | '>=' | '<=' | '!=' | ['not'] 'in' | 'is' ['not']) shift)*
 *   shift     := sum (('<<' | '>>') sum)*
 *   sum       := term (('+' | '-') term)*
 *   term      := unary (('*' | '/' | '//' | '%') unary)*
 *   unary     := ('-' | '+') unary | power
 *   power     := primary ['**' unary]
 *   primary   := atom ('(' args ')' | '[' subscript ']' | '.' NAME)*
 *   subscript := expr | [expr] ':' [expr] [':' [expr]]
 *   atom      := NAME | number | string+ | f-string | '(' [exprs] ')'
 *              | '[' [exprs | expr 'for' NAME 'in' expr] ']' | '{' [expr ':' expr (',' ...)*] '}'
 *
 * Anything outside it (lambda, class, try, ...) is an error that names it.
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
static int or_test(Parser *p);
static int loop_target(Parser *p, int top);
static int fstring(Parser *p, const Tok *start);
static int dict(Parser *p, const Tok *open);
static int subscripts(Parser *p, const Tok *open);

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

/* What a for loop binds: a name, or names and bracketed names with commas (i, (a, b)); at the top
 * it ends before 'in'. */
static int loop_target(Parser *p, int top)
{
    int first = -1, count = 0, comma = 0;
    const Tok *start = peek(p);
    if (++p->depth > SC_MAX_DEPTH)
        return fail(p, start, "expression nested too deeply");
    while (1) {
        const Tok *t = next(p);
        int item;
        if (t->kind == T_NAME) {
            if ((item = new_node(p, N_NAME, t)) < 0)
                return -2;
            p->nodes[item].s = name_of(p, t);
        } else if (t->kind == T_OP && (!strcmp(t->op, "(") || !strcmp(t->op, "["))) {
            if ((item = loop_target(p, 0)) < 0 || expect_op(p, t->op[0] == '(' ? ")" : "]") < 0)
                return -2;
        } else {
            return fail(p, t, "expected a loop variable (a name) after 'for'");
        }
        first = append(p, first, item);
        count++;
        comma = is_op(p, ",");
        if (!comma)
            break;
        next(p);
        if ((top && is_name(p, "in")) || is_op(p, ")") || is_op(p, "]"))
            break;
    }
    p->depth--;
    if (count == 1 && !comma)
        return first;
    int n = new_node(p, N_TUPLE, start);
    if (n >= 0)
        p->nodes[n].a = first;
    return n;
}

/* The rest of [item for x in xs if cond] (or of a generator in a call, read as a list), from the
 * 'for' on. */
static int comprehension(Parser *p, int item, const Tok *open)
{
    int lc = new_node(p, N_LISTCOMP, open);
    if (lc < 0)
        return -2;
    next(p);
    int target = loop_target(p, 1);
    if (target < 0)
        return -2;
    if (!is_name(p, "in"))
        return fail(p, peek(p), "expected 'in'");
    next(p);
    int iter = or_test(p), cond = -1;
    if (iter < 0)
        return -2;
    if (is_name(p, "if")) {
        next(p);
        if ((cond = or_test(p)) < 0)
            return -2;
    }
    if (is_name(p, "for") || is_name(p, "if"))
        return fail(p, peek(p),
                    "only one 'for' (and one 'if') in a list comprehension is understood");
    p->nodes[lc].a = item, p->nodes[lc].b = target, p->nodes[lc].c = iter;
    p->nodes[lc].i = cond;
    return lc;
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
        if (!kw && first < 0 && is_name(p, "for")) { /* f(x for x in xs): read as a list */
            arg = comprehension(p, arg, start);
            if (arg < 0 || !is_op(p, ")"))
                return arg < 0 ? -2 : fail(p, peek(p), "expected ')' after the generator");
        }
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
        if (is_list && count == 0 && is_name(p, "for")) { /* [expr for x in xs if cond] */
            int lc = comprehension(p, item, open);
            return lc < 0 || expect_op(p, "]") < 0 ? -2 : lc;
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
    case T_FSTART:
        return fstring(p, t);
    case T_NAME: {
        static const char *const kw[] = {
            "if",     "else",  "elif",     "while",  "and",      "or",     "not",    "in",
            "is",     "with",  "class",    "try",    "yield",    "return", "def",    "for",
            "import", "from",  "global",   "assert", "del",      "raise",  "except", "async",
            "await",  "break", "continue", "pass",   "nonlocal", "finally"};
        const char *s = name_of(p, t);
        if (!s)
            return fail(p, t, "name too long");
        if (!strcmp(s, "lambda"))
            return fail(p, t,
                        "lambda functions are not supported yet: write a def instead (a Lambda "
                        "layer is not supported yet either)");
        for (size_t k = 0; k < sizeof kw / sizeof kw[0]; k++)
            if (!strcmp(s, kw[k])) {
                char msg[128];
                snprintf(msg, sizeof msg, "'%s' is not understood here in a model script", s);
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
            return dict(p, t);
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
            int index = subscripts(p, t); /* may grow (move) the node table: assign after */
            if (index < 0)
                return -2;
            p->nodes[s].b = index;
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

static int sum(Parser *p)
{
    int n = term(p);
    while (n >= 0 && (is_op(p, "+") || is_op(p, "-"))) {
        const Tok *t = next(p);
        n = binop(p, N_BINOP, t, n, term(p));
    }
    return n;
}

static int shift(Parser *p)
{
    int n = sum(p);
    while (n >= 0 && (is_op(p, "<<") || is_op(p, ">>"))) {
        const Tok *t = next(p);
        n = binop(p, N_BINOP, t, n, sum(p));
    }
    if (n >= 0 && (is_op(p, "&") || is_op(p, "|") || is_op(p, "^") || is_op(p, "@")))
        return fail(p, peek(p), "this operator is not understood in a model script");
    return n;
}

/* The comparison operator at the parser's position ("!in" for 'not in', "!is" for 'is not'), or
 * NULL; it is consumed. */
static const char *compare_op(Parser *p)
{
    static const char *const ops[] = {"==", "!=", "<=", ">=", "<", ">"};
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
        if (is_op(p, ops[k])) {
            next(p);
            return ops[k];
        }
    if (is_name(p, "in")) {
        next(p);
        return "in";
    }
    if (is_name(p, "not") && p->lx->toks[p->pos + 1].kind == T_NAME &&
        p->lx->toks[p->pos + 1].len == 2 && !strncmp(p->lx->toks[p->pos + 1].s, "in", 2)) {
        next(p);
        next(p);
        return "!in";
    }
    if (is_name(p, "is")) {
        next(p);
        if (is_name(p, "not")) {
            next(p);
            return "!is";
        }
        return "is";
    }
    return NULL;
}

static int compare(Parser *p)
{
    int n = shift(p), cmp = -1;
    const Tok *t = peek(p);
    const char *op;
    while (n >= 0 && (op = compare_op(p))) {
        if (cmp < 0) { /* errors point at the start of the comparison */
            if ((cmp = new_node(p, N_COMPARE, t)) < 0)
                return -2;
            p->nodes[cmp].a = n;
            p->nodes[cmp].line = p->nodes[n].line, p->nodes[cmp].col = p->nodes[n].col;
        }
        int item = new_node(p, N_CMP, t);
        if (item < 0)
            return -2;
        snprintf(p->nodes[item].op, sizeof p->nodes[item].op, "%s", op);
        int right = shift(p);
        if (right < 0)
            return -2;
        p->nodes[item].a = right;
        p->nodes[cmp].b = append(p, p->nodes[cmp].b, item);
        t = peek(p);
    }
    return cmp >= 0 ? cmp : n;
}

static int not_test(Parser *p)
{
    if (!is_name(p, "not"))
        return compare(p);
    const Tok *t = next(p);
    if (++p->depth > SC_MAX_DEPTH)
        return fail(p, t, "expression nested too deeply");
    int a = not_test(p);
    p->depth--;
    int n = a < 0 ? -2 : new_node(p, N_NOT, t);
    if (n >= 0)
        p->nodes[n].a = a;
    return n;
}

/* and_test and or_test: left to right, each operand read by `operand`. */
static int bool_chain(Parser *p, const char *word, int (*operand)(Parser *))
{
    int n = operand(p);
    while (n >= 0 && is_name(p, word)) {
        const Tok *t = next(p);
        int b = operand(p);
        if (b < 0)
            return -2;
        int op = new_node(p, N_BOOLOP, t);
        if (op < 0)
            return -2;
        snprintf(p->nodes[op].op, sizeof p->nodes[op].op, "%s", word);
        p->nodes[op].a = n;
        p->nodes[op].line = p->nodes[n].line, p->nodes[op].col = p->nodes[n].col;
        p->nodes[op].b = b;
        n = op;
    }
    return n;
}

static int and_test(Parser *p)
{
    return bool_chain(p, "and", not_test);
}

static int or_test(Parser *p)
{
    return bool_chain(p, "or", and_test);
}

static int expr(Parser *p)
{
    if (++p->depth > SC_MAX_DEPTH)
        return fail(p, peek(p), "expression nested too deeply");
    int n = or_test(p);
    if (n >= 0 && is_name(p, "if")) { /* a if cond else b */
        const Tok *t = next(p);
        int cond = or_test(p);
        if (cond < 0)
            return -2;
        if (!is_name(p, "else"))
            return fail(p, peek(p), "expected 'else' (a conditional value is: a if cond else b)");
        next(p);
        int other = expr(p);
        int ife = other < 0 ? -2 : new_node(p, N_IFEXP, t);
        if (ife < 0)
            return -2;
        p->nodes[ife].a = cond, p->nodes[ife].b = n, p->nodes[ife].c = other;
        n = ife;
    }
    p->depth--;
    return n;
}

/* Inside [ ]: an index, or a slice start:stop:step with any part left out. */
static int subscript(Parser *p)
{
    const Tok *t = peek(p);
    int part[3] = {-1, -1, -1}, k = 0;
    if (!is_op(p, ":") && (part[0] = expr(p)) < 0)
        return -2;
    if (!is_op(p, ":"))
        return part[0];
    while (is_op(p, ":") && k < 2) {
        next(p);
        k++;
        if (!is_op(p, ":") && !is_op(p, "]") && !is_op(p, ",") && (part[k] = expr(p)) < 0)
            return -2;
    }
    int n = new_node(p, N_SLICE, t);
    if (n >= 0)
        p->nodes[n].a = part[0], p->nodes[n].b = part[1], p->nodes[n].c = part[2];
    return n;
}

/* Inside [ ]: one subscript, or several axes of an array (x[:, 0]) as a tuple of them. */
static int subscripts(Parser *p, const Tok *open)
{
    int one = subscript(p);
    if (one < 0 || !is_op(p, ","))
        return one;
    int first = append(p, -1, one);
    while (is_op(p, ",")) {
        next(p);
        if (is_op(p, "]"))
            break;
        int more = subscript(p);
        if (more < 0)
            return -2;
        first = append(p, first, more);
    }
    int n = new_node(p, N_TUPLE, open);
    if (n >= 0)
        p->nodes[n].a = first;
    return n;
}

/* {key: value, ...} */
static int dict(Parser *p, const Tok *open)
{
    int first = -1;
    while (!is_op(p, "}")) {
        int key = expr(p);
        if (key < 0 || expect_op(p, ":") < 0)
            return -2;
        int value = expr(p);
        if (value < 0)
            return -2;
        first = append(p, first, key);
        first = append(p, first, value);
        if (!is_op(p, ","))
            break;
        next(p);
    }
    if (expect_op(p, "}") < 0)
        return -2;
    int n = new_node(p, N_DICT, open);
    if (n >= 0)
        p->nodes[n].a = first;
    return n;
}

/* An f-string's parts, as the lexer split them: STRING, '{' expr ['!' NAME] [':' STRING] '}'. */
static int fstring(Parser *p, const Tok *start)
{
    int first = -1;
    while (peek(p)->kind != T_FEND) {
        const Tok *t = next(p);
        int part;
        if (t->kind == T_STRING) {
            if ((part = new_node(p, N_STR, t)) < 0)
                return -2;
            p->nodes[part].s = t->s;
        } else {
            if ((part = new_node(p, N_FORMAT, t)) < 0)
                return -2;
            int value = exprs(p, 1);
            if (value < 0)
                return -2;
            p->nodes[part].a = value;
            if (is_op(p, "!")) {
                next(p);
                const Tok *c = next(p);
                if (c->kind != T_NAME || c->len != 1 || !strchr("rsa", c->s[0]))
                    return fail(p, c, "expected r, s or a after '!' in an f-string");
                p->nodes[part].op[0] = c->s[0];
            }
            if (is_op(p, ":")) {
                next(p);
                p->nodes[part].s = next(p)->s;
            }
            if (expect_op(p, "}") < 0)
                return -2;
        }
        first = append(p, first, part);
    }
    next(p);
    int n = new_node(p, N_FSTRING, start);
    if (n >= 0)
        p->nodes[n].a = first;
    if (n >= 0 && (peek(p)->kind == T_STRING || peek(p)->kind == T_FSTART))
        return fail(p, peek(p), "adjacent strings are not joined here; write one string");
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
    int target = loop_target(p, 1);
    if (target < 0)
        return -2;
    if (!is_name(p, "in"))
        return fail(p, peek(p), "expected 'in'");
    next(p);
    p->nodes[n].a = target;
    int iter = exprs(p, 1);
    if (iter < 0)
        return -2;
    p->in_loop++;
    int body = suite(p);
    p->in_loop--;
    if (body < 0)
        return -2;
    p->nodes[n].b = iter, p->nodes[n].c = body;
    if (is_name(p, "else"))
        return fail(p, peek(p), "'else' after a loop is not understood in a model script");
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

/* def NAME(a, b=2, c: int = 3) -> Model: its parameters, each with its default or -1. */
static int def_params(Parser *p, int *first)
{
    *first = -1;
    int seen_default = 0;
    while (!is_op(p, ")")) {
        const Tok *pt = next(p);
        if (pt->kind == T_OP && (!strcmp(pt->op, "*") || !strcmp(pt->op, "**")))
            return fail(p, pt, "*args and **kwargs are not understood here; name each parameter");
        if (pt->kind != T_NAME)
            return fail(p, pt, "expected a parameter name");
        int par = new_node(p, N_NAME, pt);
        if (par < 0)
            return -2;
        p->nodes[par].s = name_of(p, pt);
        if (is_op(p, ":")) { /* an annotation: read, not used */
            next(p);
            if (expr(p) < 0)
                return -2;
        }
        if (is_op(p, "=")) {
            next(p);
            int def = expr(p);
            if (def < 0)
                return -2;
            p->nodes[par].b = def;
            seen_default = 1;
        } else if (seen_default) {
            return fail(p, pt, "a parameter without a default follows one with a default");
        }
        *first = append(p, *first, par);
        if (!is_op(p, ","))
            break;
        next(p);
    }
    if (expect_op(p, ")") < 0)
        return -2;
    if (is_op(p, "->")) { /* a return annotation: read, not used */
        next(p);
        if (expr(p) < 0)
            return -2;
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
    int first;
    if (def_params(p, &first) < 0)
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
    int loop = p->in_loop; /* break and continue do not reach out of a function */
    p->in_def++;
    p->in_loop = 0;
    int body = suite(p);
    p->in_def--;
    p->in_loop = loop;
    if (body < 0)
        return -2;
    p->nodes[n].c = body;
    return n;
}

/* `if cond: body` and `while cond: body`: the node, its condition in a, its body in b. */
static int cond_suite(Parser *p, NodeKind k, const Tok *t)
{
    int n = new_node(p, k, t);
    int cond = n < 0 ? -2 : expr(p);
    if (cond < 0)
        return -2;
    p->in_loop += k == S_WHILE;
    int body = suite(p);
    p->in_loop -= k == S_WHILE;
    if (body < 0)
        return -2;
    p->nodes[n].a = cond, p->nodes[n].b = body;
    return n;
}

/* if / elif / else: an elif is an S_IF in its parent's else branch. */
static int stmt_if(Parser *p, const Tok *t)
{
    int n = cond_suite(p, S_IF, t);
    if (n < 0)
        return -2;
    if (is_name(p, "elif")) {
        const Tok *e = next(p);
        int other = stmt_if(p, e);
        if (other < 0)
            return -2;
        p->nodes[n].c = other;
    } else if (is_name(p, "else")) {
        next(p);
        int other = suite(p);
        if (other < 0)
            return -2;
        p->nodes[n].c = other;
    }
    return n;
}

static int stmt_while(Parser *p, const Tok *t)
{
    int n = cond_suite(p, S_WHILE, t);
    if (n < 0)
        return -2;
    if (is_name(p, "else"))
        return fail(p, peek(p), "'else' after a loop is not understood in a model script");
    return n;
}

/* with EXPR [as NAME]: the body runs as written; the context only gets evaluated. */
static int stmt_with(Parser *p, const Tok *t)
{
    int n = new_node(p, S_WITH, t);
    int ctx = n < 0 ? -2 : expr(p);
    if (ctx < 0)
        return -2;
    p->nodes[n].a = ctx;
    if (is_name(p, "as")) {
        next(p);
        const Tok *nt = next(p);
        if (nt->kind != T_NAME)
            return fail(p, nt, "expected a name after 'as'");
        int target = new_node(p, N_NAME, nt);
        if (target < 0)
            return -2;
        p->nodes[target].s = name_of(p, nt);
        p->nodes[n].b = target;
    }
    if (is_op(p, ","))
        return fail(p, peek(p), "one context per 'with' is understood here");
    int body = suite(p);
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
            if (y->kind != T_NAME)
                return fail(p, y, "expected a name after '.'");
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
            const Tok *alias = next(p);
            if (alias->kind != T_NAME)
                return fail(p, alias, "expected a name after 'as'");
            p->nodes[item].kw = name_of(p, alias);
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

/* A statement of one word: pass, break, continue. */
static int stmt_word(Parser *p, const Tok *t, NodeKind k)
{
    if ((k == S_BREAK || k == S_CONTINUE) && !p->in_loop)
        return fail(p, t, k == S_BREAK ? "'break' outside a loop" : "'continue' outside a loop");
    next(p);
    return end_of_line(p) < 0 ? -2 : new_node(p, k, t);
}

static int stmt_simple(Parser *p, const Tok *t)
{
    if (is_name(p, "pass"))
        return stmt_word(p, t, S_PASS);
    if (is_name(p, "break"))
        return stmt_word(p, t, S_BREAK);
    if (is_name(p, "continue"))
        return stmt_word(p, t, S_CONTINUE);
    if (is_name(p, "assert")) {
        next(p);
        int n = new_node(p, S_ASSERT, t), cond = n < 0 ? -2 : expr(p);
        if (cond < 0)
            return -2;
        p->nodes[n].a = cond;
        if (is_op(p, ",")) { /* the message: read, not shown */
            next(p);
            if (expr(p) < 0)
                return -2;
        }
        return end_of_line(p) < 0 ? -2 : n;
    }
    if (is_name(p, "del")) { /* del a, b: names only */
        next(p);
        int n = new_node(p, S_DEL, t), first = -1;
        while (n >= 0) {
            const Tok *nt = next(p);
            if (nt->kind != T_NAME)
                return fail(p, nt, "del is understood on names here");
            int name = new_node(p, N_NAME, nt);
            if (name < 0)
                return -2;
            p->nodes[name].s = name_of(p, nt);
            first = append(p, first, name);
            if (!is_op(p, ","))
                break;
            next(p);
        }
        if (n >= 0)
            p->nodes[n].a = first;
        return end_of_line(p) < 0 ? -2 : n;
    }
    if (is_name(p, "raise")) { /* what it raises is not read: reaching it is the error */
        next(p);
        int n = new_node(p, S_RAISE, t);
        while (n >= 0 && peek(p)->kind != T_NEWLINE && peek(p)->kind != T_EOF &&
               peek(p)->kind != T_DEDENT)
            next(p);
        return end_of_line(p) < 0 ? -2 : n;
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
        if (k != N_NAME && k != N_TUPLE && k != N_ATTR && k != N_SUBSCRIPT)
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
    if (is_name(p, "if"))
        return next(p), stmt_if(p, t);
    if (is_name(p, "while"))
        return next(p), stmt_while(p, t);
    if (is_name(p, "with"))
        return next(p), stmt_with(p, t);
    if (is_name(p, "class"))
        return fail(p, t,
                    "class definitions (subclassed layers and models) are not supported yet: "
                    "build the model with Sequential([...]) or the functional API, "
                    "Model(inputs, outputs)");
    if (is_name(p, "try"))
        return fail(p, t,
                    "'try' blocks are not supported yet: write the lines it guards "
                    "without it");
    if (is_name(p, "elif") || is_name(p, "else"))
        return fail(p, t, "this 'elif' or 'else' follows no 'if'");
    if (is_op(p, "@"))
        return fail(p, t, "decorators are not supported yet: write the function without it");
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
