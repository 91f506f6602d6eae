/* script_impl.h: the inside of the model-script reader, shared by its three files:
 * script_lex.c (text -> tokens), script_parse.c (tokens -> tree), script.c (tree -> model). */
#ifndef SL_SCRIPT_IMPL_H
#define SL_SCRIPT_IMPL_H

#include <stddef.h>

#include "error.h"

/* Limits against hostile or runaway input; each has its own error message. */
enum {
    SC_MAX_FILE = 1 << 20,      /* bytes of script */
    SC_MAX_DEPTH = 64,          /* nesting of brackets and expressions */
    SC_MAX_INDENT = 32,         /* nested blocks */
    SC_MAX_ITERATIONS = 100000, /* loop iterations in one run */
    SC_MAX_CALL_DEPTH = 32,     /* nested calls of the script's own functions */
    SC_MAX_LIST = 100000,       /* items in one list */
    SC_MAX_EVAL_DEPTH = 100     /* operators or calls nested in one expression (a call frame
                                   holds its arguments: about 46 KB each under ASan) */
};

/* ---- tokens ---- */

typedef enum TokKind {
    T_NAME,
    T_INT,
    T_FLOAT,
    T_STRING,
    T_OP, /* punctuation and operators; text in op[] */
    T_NEWLINE,
    T_INDENT,
    T_DEDENT,
    T_EOF
} TokKind;

typedef struct Tok {
    TokKind kind;
    int line, col; /* 1-based */
    const char *s; /* NAME: start in the source; STRING: decoded text (owned by the lexer) */
    int len;       /* of s */
    char op[4];    /* T_OP: "(", "**", "//", "=", "+=" ... */
    long long i;
    double f;
} Tok;

typedef struct Lexer {
    const char *file, *src;
    size_t len;
    Tok *toks;
    int n;
    size_t cap;
    char *strings; /* decoded string literals, one block */
    size_t str_used, str_cap;
} Lexer;

int sc_lex(Lexer *lx, const char *file, const char *src, size_t len, SlError *e);
void sc_lex_free(Lexer *lx);

/* "FILE:LINE:COL: error: MSG" then the source line and a caret under COL. Returns -1. */
int sc_error_at(SlError *e, const char *file, const char *src, int line, int col, const char *fmt,
                ...) SL_PRINTF(6, 7);

/* ---- the tree ---- */

typedef enum NodeKind {
    /* expressions */
    N_INT,
    N_FLOAT,
    N_STR,
    N_NAME,
    N_NONE,
    N_TRUE,
    N_FALSE,
    N_TUPLE,
    N_LIST,
    N_LISTCOMP,  /* a: element expr, b: target name node, c: iterable */
    N_ATTR,      /* a: object, s: attribute */
    N_CALL,      /* a: callee, b: first argument (linked by next; kw set for keywords) */
    N_SUBSCRIPT, /* a: object, b: index */
    N_BINOP,     /* op: "+" ... ; a, b */
    N_UNARY,     /* op: "-" or "+"; a */
    /* statements */
    S_EXPR,   /* a */
    S_ASSIGN, /* a: target (N_NAME or N_TUPLE of names), b: value; op "=" or "+=" ... */
    S_FOR,    /* a: target, b: iterable, c: first statement of the body */
    S_DEF,    /* s: name, a: first parameter (N_NAME, linked), c: body; i: 1 if it yields */
    S_RETURN, /* a: value or -1 */
    S_IMPORT, /* s: module, a: first imported name (N_NAME; kw holds the alias) */
    S_PASS
} NodeKind;

typedef struct Node {
    NodeKind kind;
    int line, col;
    char op[4];
    long long i;
    double f;
    const char *s;  /* name, attribute or string text (NUL-terminated, owned by the parser) */
    const char *kw; /* call argument's keyword, import alias */
    int a, b, c;    /* children, or -1 */
    int next;       /* next sibling, or -1 */
    int tail;       /* parsing only: a list's head knows its last item (appending is O(1)) */
} Node;

typedef struct Parser {
    const Lexer *lx;
    int pos;
    Node *nodes;
    int n;
    size_t cap;
    int depth;
    int in_def;  /* inside a def's body */
    char *names; /* NUL-terminated copies of NAME tokens */
    size_t names_used, names_cap;
    SlError *e;
} Parser;

/* Parse the whole file; returns the first statement's index (linked by next), -1 for an empty
 * file, or -2 on error. */
int sc_parse(Parser *p, const Lexer *lx, SlError *e);
/* Parse one expression from the tokens (for --set values). */
int sc_parse_expr_only(Parser *p, const Lexer *lx, SlError *e);
void sc_parse_free(Parser *p);

/* ---- the evaluator (script.c, script_ops.c, script_calls.c) ---- */

#include "model.h"
#include "script.h"

typedef enum VKind {
    V_NONE,
    V_BOOL,
    V_INT,
    V_FLOAT,
    V_STR,
    V_TUPLE,
    V_LIST,
    V_CLASS,  /* a class or builtin function by name: Dense, Sequential, range */
    V_MODULE, /* keras, keras.layers, np ... */
    V_LAYER,
    V_TENSOR,
    V_MODEL,
    V_FUNC,
    V_OPT,
    V_LOSS,
    V_DATA /* computed from data: skipped, an error where a number is needed */
} VKind;

typedef struct Val {
    VKind kind;
    long long i;
    double f;
    const char *s; /* STR; CLASS and MODULE names; DATA: the variable it was bound to */
    int n;         /* TUPLE, LIST */
    struct Val *items;
    SlLayer *layer;
    SlModel *model; /* MODEL; TENSOR: its graph */
    int tensor;
    int node;     /* FUNC: its def; DATA: the line where it was bound */
    int data_lib; /* MODULE: numpy and friends, whose calls give data */
    SlOptimizer *opt;
    SlLoss *loss;
} Val;

typedef struct Var {
    const char *name;
    Val v;
} Var;

typedef struct Env {
    Var *vars;
    int n, cap;
    struct Env *parent;
} Env;

enum { MAX_MODELS = 64, MAX_LAYERS = 2048 };

struct SlScript {
    const char *file;
    char *src;
    size_t len;
    Lexer lx;
    Parser ps;
    Env globals;
    void **blocks; /* everything allocated while running, freed at the end */
    int n_blocks;
    size_t cap_blocks;
    int eval_depth; /* nested evaluations: long chains of operators and calls */
    SlModel *models[MAX_MODELS];
    int n_models;
    SlLayer *layers[MAX_LAYERS];
    int n_layers;
    SlModel *graph;      /* the functional graph that Input() and layer calls add to */
    SlModel *last_model; /* the last model built or changed */
    int summary_width;
    int iterations, call_depth, returning;
    Val ret;
    const SlScriptOptions *o;
    SlError *e;
};

typedef SlScript S;

static inline const Node *N(const S *s, int i)
{
    return &s->ps.nodes[i];
}

typedef struct Args { /* a call's evaluated arguments */
    int n;
    Val v[SL_ARGS_MAX];
    const char *kw[SL_ARGS_MAX];
    int node[SL_ARGS_MAX];
} Args;

void *sc_heap(S *s, size_t size); /* freed with the script */
int sc_err(S *s, int node, const char *fmt, ...) SL_PRINTF(3, 4);
int sc_engine_err(S *s, int node, const SlError *e);
void sc_notice(S *s, int line, const char *fmt, ...) SL_PRINTF(3, 4);
void sc_layer_notices(S *s, int line, const char *text);
Val sc_none(void);
Val sc_ival(long long x);
Val sc_fval(double x);
Val sc_data(const char *name, int line);
Val sc_seq(S *s, VKind kind, int n);
Val sc_module(S *s, const char *name, int data_lib);
const char *sc_kind_name(VKind k);
Var *sc_find_var(Env *env, const char *name);
int sc_bind(S *s, Env *env, const char *name, Val v, int node);
int sc_in_list(const char *const *list, size_t n, const char *name);
int sc_known_class(const char *name);
int sc_resolve_name(S *s, Env *env, int node, Val *out);
int sc_to_slvalue(S *s, int node, const Val *v, SlArgs *a, SlValue *out);
int sc_to_slargs(S *s, const Args *in, SlArgs *a, const char *const *skip, int n_skip);
const Val *sc_kwarg(const Args *a, const char *name, int pos);
int sc_has_data(const Args *a);
int sc_eval(S *s, Env *env, int node, Val *out);
int sc_eval_args(S *s, Env *env, int first, Args *a);
int sc_exec_block(S *s, Env *env, int first);
int sc_count_iteration(S *s, int node);
/* script_ops.c: tuples, lists, comprehensions, attributes, subscripts, arithmetic */
int sc_eval_sequence(S *s, Env *env, int node, Val *out);
int sc_eval_listcomp(S *s, Env *env, int node, Val *out);
int sc_eval_attr(S *s, Env *env, int node, Val *out);
int sc_eval_subscript(S *s, Env *env, int node, Val *out);
int sc_eval_binop(S *s, Env *env, int node, Val *out);
int sc_eval_unary(S *s, Env *env, int node, Val *out);
int sc_binary(S *s, int node, const char *op, const Val *a, const Val *b, Val *out);
Val sc_copy_deep(S *s, const Val *v);
/* script_calls.c: calls: classes, layers, models and their methods, builtins, functions */
int sc_eval_call(S *s, Env *env, int node, Val *out);
/* The merge layer whose function spelling `name` is (add, concatenate, ...), or NULL. */
const SlLayerType *sc_merge_function(const char *name);

#endif
