/* script_impl.h: the inside of the model-script reader, shared by its three files:
 * script_lex.c (text -> tokens), script_parse.c (tokens -> tree), script.c (tree -> model). */
#ifndef SL_SCRIPT_IMPL_H
#define SL_SCRIPT_IMPL_H

#include <stddef.h>

#include "error.h"

/* Limits against hostile or runaway input; each has its own error message. The fuzz build (make
 * fuzz) divides the loop, list and step limits by 100: the same checks run, and the fuzzer spends
 * its time on varied scripts rather than on long loops. */
#ifdef SL_FUZZ_LIMITS
#define SC_LIMIT_SCALE 100
#else
#define SC_LIMIT_SCALE 1
#endif
enum {
    SC_MAX_FILE = 1 << 20,   /* bytes of script */
    SC_MAX_DEPTH = 64,       /* nesting of brackets and expressions */
    SC_MAX_INDENT = 32,      /* nested blocks */
    SC_MAX_CALL_DEPTH = 32,  /* nested calls of the script's own functions */
    SC_MAX_EVAL_DEPTH = 100, /* operators or calls nested in one expression (a call frame holds
                                its arguments: about 46 KB each under ASan) */
    SC_MAX_ITERATIONS = 100000 / SC_LIMIT_SCALE, /* loop iterations in one run */
    SC_MAX_LIST = 100000 / SC_LIMIT_SCALE,       /* items in one list */
    /* evaluation steps in one run: every expression evaluated, every item compared by min() or
       max(), every 64 bytes len() counts */
    SC_MAX_STEPS = 10000000 / SC_LIMIT_SCALE,
    SC_MAX_HEAP = 64 << 20 /* bytes of the script's values (lists, strings, names) */
};

/* ---- tokens ---- */

typedef enum TokKind {
    T_NAME,
    T_INT,
    T_FLOAT,
    T_STRING,
    T_OP,     /* punctuation and operators; text in op[] */
    T_FSTART, /* an f-string: its parts (STRINGs and '{' ... '}' fields) follow, then FEND */
    T_FEND,
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
    N_LISTCOMP,  /* a: element expr, b: target (a name or a tuple of them), c: iterable; i: the
                    condition after 'if', or -1 */
    N_ATTR,      /* a: object, s: attribute */
    N_CALL,      /* a: callee, b: first argument (linked by next; kw set for keywords) */
    N_SUBSCRIPT, /* a: object, b: index */
    N_BINOP,     /* op: "+" ... ; a, b */
    N_UNARY,     /* op: "-" or "+"; a */
    N_BOOLOP,    /* op: "and" or "or"; a, b (b is evaluated only when needed) */
    N_NOT,       /* a */
    N_COMPARE,   /* a: the first operand; b: the first N_CMP (linked): a < b <= c */
    N_CMP,       /* op: "<" "<=" "==" "!=" ">" ">=" "in" "!in" "is" "!is"; a: right operand */
    N_IFEXP,     /* b if a else c */
    N_FSTRING,   /* a: the first part (linked): N_STR and N_FORMAT */
    N_FORMAT,    /* {a!op:s} of an f-string: a: the value; op: "r", "s", "a" or ""; s: spec */
    N_SLICE,     /* inside a subscript: a: start, b: stop, c: step (each -1 when left out) */
    N_DICT,      /* a: the first key (linked: key, value, key, value ...) */
    /* statements */
    S_EXPR,   /* a */
    S_ASSIGN, /* a: target (N_NAME or N_TUPLE of names), b: value; op "=" or "+=" ... */
    S_FOR,    /* a: target (a name or a tuple of them), b: iterable, c: first statement of the
                 body */
    S_DEF,    /* s: name, a: first parameter (N_NAME, linked; b: its default or -1), c: body; i: 1
                 if it yields */
    S_IF,     /* a: condition, b: body, c: what runs otherwise (an S_IF for elif, a body, or -1) */
    S_WHILE,  /* a: condition, b: body */
    S_WITH,   /* a: the context's expression, b: the 'as' name (N_NAME) or -1, c: body */
    S_BREAK,
    S_CONTINUE,
    S_ASSERT, /* a: condition */
    S_RAISE,
    S_RETURN, /* a: value or -1 */
    S_IMPORT, /* s: module, a: first imported name (N_NAME; kw holds the alias) */
    S_PASS,
    S_DEL /* a: the first name (linked) */
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
    int in_loop; /* inside a loop's body (break, continue) */
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
    V_DATA,   /* computed from data: skipped, an error where a number is needed */
    V_DICT,   /* items: key, value, key, value ... (n counts both) */
    V_OBJECT, /* a Keras object passed as an argument (family in i): an initializer, a
                 regularizer, a constraint, a metric, an activation or loss function; s: its
                 class or function name; items: key (a string, or None when positional), value,
                 ... (n counts both) */
} VKind;

/* What a Keras name stands for, by the module it comes from (keras.initializers.HeNormal). */
typedef enum Family {
    F_NONE,
    F_INIT,         /* keras.initializers: RandomNormal(stddev=0.02), he_normal */
    F_REG,          /* keras.regularizers: l2(0.01), L1L2(l1=..., l2=...) */
    F_CONSTRAINT,   /* keras.constraints: max_norm(3), NonNeg() */
    F_ACTIVATION,   /* keras.activations.relu, tf.nn.relu: a function, passed by its name */
    F_METRIC,       /* keras.metrics.SparseCategoricalAccuracy(), passed by its name */
    F_LOSS_FN,      /* keras.losses.mse: a function, passed by its name */
    F_LOSS,         /* keras.losses.MeanSquaredError: a class that makes a loss object */
    F_OPTIMIZER,    /* keras.optimizers.Adam */
    F_PREPROCESSING /* keras.layers.TextVectorization, Rescaling, RandomFlip: part of the data
                       pipeline, not built by shapelab */
} Family;

typedef struct Val {
    VKind kind;
    long long i;   /* BOOL, INT; CLASS, OBJECT: the Family; DATA: 1 when items holds its known
                    shape, 2 when it is (a part of) the shape of the data named s */
    double f;      /* FLOAT; DATA: 1 when the statement that made it was noticed already */
    const char *s; /* STR; CLASS and MODULE names; DATA: the variable it was bound to */
    int n;         /* TUPLE, LIST, DICT, OBJECT; DATA with a known shape: its rank */
    struct Val *items;
    SlLayer *layer;
    SlModel *model; /* MODEL; TENSOR: its graph */
    int tensor;
    int node;     /* FUNC: its def; DATA: the line where it was bound */
    int data_lib; /* MODULE: numpy and friends, whose calls give data */
    SlOptimizer *opt;
    SlLoss *loss;
    struct Env *scope; /* FUNC: where it was defined (items: its parameters' defaults) */
} Val;

typedef struct Var {
    const char *name;
    Val v;
} Var;

/* A scope's names. index finds them by hash (open addressing over 2 * cap slots, each 0 when
 * empty, else 1 + the name's place in vars), so a script of many names is not read in time that
 * grows with their square. */
typedef struct Env {
    Var *vars;
    int n, cap;
    int *index;
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
    int eval_depth;  /* nested evaluations: long chains of operators and calls */
    long long steps; /* evaluation steps so far (SC_MAX_STEPS) */
    size_t heap;     /* bytes handed out by sc_heap (SC_MAX_HEAP) */
    int heap_full;   /* sc_heap refused a block for the limit */
    SlModel *models[MAX_MODELS];
    int n_models;
    SlLayer *layers[MAX_LAYERS];
    int n_layers;
    SlModel *graph;      /* the functional graph that Input() and layer calls add to */
    SlModel *last_model; /* the last model built or changed */
    int summary_width;
    int iterations, call_depth, returning;
    Val ret;
    int breaking, continuing;    /* a break or continue is leaving the loop's body */
    char spellings_shown[8][32]; /* the Keras 2 spellings already noticed: "input_shape", "lr" */
    int n_spellings;
    int lenient_names; /* inside the arguments of a call that makes data: an undefined name is
                          data, not an error */
    const SlScriptOptions *o;
    SlError *e;
};

typedef SlScript S;

static inline const Node *N(const S *s, int i)
{
    return &s->ps.nodes[i];
}

/* 1 when the float f, truncated or rounded, is a 64-bit integer (NaN is not): the test before
 * int(), round() and '%d' convert it, a conversion out of range being undefined in C. */
static inline int sc_fits_int64(double f)
{
    return f > -0x1p63 && f < 0x1p63;
}

typedef struct Args { /* a call's evaluated arguments */
    int n;
    Val v[SL_ARGS_MAX];
    const char *kw[SL_ARGS_MAX];
    int node[SL_ARGS_MAX];
} Args;

void *sc_heap(S *s, size_t size); /* freed with the script; NULL past SC_MAX_HEAP */
int sc_oom(S *s, int node);       /* the error for sc_heap's NULL: over the limit, or no memory */
int sc_steps(S *s, int node, long long n); /* count n evaluation steps; -1 past SC_MAX_STEPS */
int sc_err(S *s, int node, const char *fmt, ...) SL_PRINTF(3, 4);
int sc_engine_err(S *s, int node, const SlError *e);
void sc_notice(S *s, int line, const char *fmt, ...) SL_PRINTF(3, 4);
void sc_layer_notices(S *s, int line, const char *text);
Val sc_none(void);
Val sc_ival(long long x);
Val sc_fval(double x);
Val sc_data(const char *name, int line);
/* Data from a statement that was skipped with its own notice already (fit, plot_model ...). */
Val sc_noticed(int line);
Val sc_seq(S *s, VKind kind, int n);
Val sc_module(S *s, const char *name, int data_lib);
const char *sc_kind_name(VKind k);
Var *sc_find_var(Env *env, const char *name);
int sc_bind(S *s, Env *env, const char *name, Val v, int node);
int sc_in_list(const char *const *list, size_t n, const char *name);
int sc_known_class(const char *name);
int sc_is_builtin(const char *name);  /* range, len, print ... */
int sc_keras_layer(const char *name); /* a Keras 3 layer class, built here or not */
/* What `name` is in the module `module` ("keras.initializers", "tf.nn", or NULL for a bare name
 * or one imported from a module that does not decide): F_NONE when not one of these families. */
Family sc_family(const char *module, const char *name);
const char *sc_family_name(Family f); /* "an initializer" */
/* Keras's to_snake_case: "SparseCategoricalAccuracy" -> "sparse_categorical_accuracy". */
void sc_snake_case(const char *name, char *out, size_t n);
/* The value of a Keras name read from `module` (NULL: a bare name): a class (V_CLASS, with its
 * family in i) or a function of a family (V_OBJECT). 0 when `name` is none of these, or the module
 * is a data library's. */
int sc_keras_name(const char *module, const char *name, int data_lib, Val *out);
/* Python's str() (repr 0) or repr() (repr 1) of a value into buf; -1 past n bytes. */
int sc_str(S *s, const Val *v, int repr, char *buf, size_t n);
/* Is v true, as Python's `if v:` asks? -1 with an error at node for data or a tensor. */
int sc_truth(S *s, int node, const Val *v);
/* Evaluate node and say whether it is true: 1, 0, or -1 with an error. */
int sc_eval_truth(S *s, Env *env, int node);
/* a == b as Python compares these values (1 + 1.0 == 2; layers, tensors and models by identity). */
int sc_equal(const Val *a, const Val *b);
/* a against b as Python orders numbers, strings and sequences: -1, 0, 1, or -2 when they do not
 * compare. */
int sc_order(const Val *a, const Val *b);
/* The text of a line of the script, trimmed. */
void sc_line_text(const S *s, int line, char *buf, size_t n);
int sc_resolve_name(S *s, Env *env, int node, Val *out);
int sc_to_slvalue(S *s, int node, const Val *v, SlArgs *a, SlValue *out);
int sc_to_slargs(S *s, const Args *in, SlArgs *a, const char *const *skip, int n_skip);
const Val *sc_kwarg(const Args *a, const char *name, int pos);
int sc_has_data(const Args *a);
int sc_eval(S *s, Env *env, int node, Val *out);
int sc_eval_args(S *s, Env *env, int first, Args *a);
int sc_exec_block(S *s, Env *env, int first);
/* target = v: a name, a tuple of targets (unpacking), obj.attr or x[i]. */
int sc_assign(S *s, Env *env, int target, Val v, int line);
int sc_count_iteration(S *s, int node);
/* script_ops.c: tuples, lists, comprehensions, attributes, subscripts, arithmetic */
int sc_eval_sequence(S *s, Env *env, int node, Val *out);
int sc_eval_listcomp(S *s, Env *env, int node, Val *out);
int sc_eval_attr(S *s, Env *env, int node, Val *out);
/* obj.name, for an object already evaluated. */
int sc_attr(S *s, int node, const Val *obj, const char *name, Val *out);
int sc_eval_subscript(S *s, Env *env, int node, Val *out);
int sc_eval_binop(S *s, Env *env, int node, Val *out);
int sc_eval_unary(S *s, Env *env, int node, Val *out);
int sc_eval_boolop(S *s, Env *env, int node, Val *out);
int sc_eval_not(S *s, Env *env, int node, Val *out);
int sc_eval_compare(S *s, Env *env, int node, Val *out);
int sc_eval_fstring(S *s, Env *env, int node, Val *out);
int sc_eval_dict(S *s, Env *env, int node, Val *out);
/* Python's format(v, spec) into buf (the mini-language's fill, align, sign, width, ',', precision
 * and types d, f, e, g, %, s); -1 with an error at node for a spec it does not read. */
int sc_format(S *s, int node, const Val *v, const char *spec, char *buf, size_t n);
/* The same for a string's % operator: "%d words" % n, "%s, %.2f" % (a, b). */
int sc_percent(S *s, int node, const char *fmt, const Val *args, Val *out);
/* a op b into out, which must be neither a nor b. */
int sc_binary(S *s, int node, const char *op, const Val *a, const Val *b, Val *out);
Val sc_copy_deep(S *s, const Val *v);
/* script_calls.c: calls: classes, layers, models and their methods, builtins, functions */
int sc_eval_call(S *s, Env *env, int node, Val *out);
/* A def's value: the function, its scope and its defaults (evaluated when the def runs). */
int sc_make_function(S *s, Env *env, int def, Val *out);
/* The merge layer whose function spelling `name` is (add, concatenate, ...), or NULL. */
const SlLayerType *sc_merge_function(const char *name);

#endif
