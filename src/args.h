/* args.h: Keras keyword arguments as data.
 *
 * A layer is constructed from the arguments a Keras user writes, e.g. Dense(3, activation='tanh').
 * The same SlArgs reaches sl_layer_create whether it came from a lesson
 * (sl_args_parse(&a, "3, activation='tanh'", &err)) or from the model-script reader, so neither
 * needs special cases per layer.
 *
 * Each layer type declares its arguments once, in an SlArgSpec table: name, accepted type, default
 * written as a Python literal (NULL when required) and a help line. sl_args_bind matches positional
 * and keyword arguments against that table, fills in defaults and checks types; errors for unknown
 * keywords and the --help texts come from the same table.
 *
 * SlArgs owns its storage (no heap): strings and tuple items live inside it and values refer to
 * them by index, so an SlArgs can be copied by value.
 */
#ifndef SL_ARGS_H
#define SL_ARGS_H

#include "error.h"

enum { SL_ARGS_MAX = 48, SL_ARGS_POOL = 128, SL_ARGS_TEXT = 1536, SL_TUPLE_MAX = 16 };

typedef enum SlValueKind {
    SL_V_NONE,
    SL_V_BOOL,
    SL_V_INT,
    SL_V_FLOAT,
    SL_V_STR,
    SL_V_TUPLE, /* also lists; is_list tells which was written */
    SL_V_OBJECT /* a call that makes an object: RandomNormal(stddev=0.05), l2(0.01), relu */
} SlValueKind;

typedef struct SlValue {
    SlValueKind kind;
    long long i; /* BOOL, INT */
    double f;    /* FLOAT; also holds an INT's value */
    int str;     /* STR: offset into the owning SlArgs' text; OBJECT: its class or function name */
    int n;       /* TUPLE, OBJECT: item count (an OBJECT's arguments) ... */
    int first;   /* ... items at pool[first .. first + n) of the owning SlArgs */
    int is_list;
    int kw; /* an OBJECT's argument: 1 + the offset of its keyword in the text, 0 if positional */
} SlValue;

typedef struct SlArgs {
    int n;                /* arguments, positional ones first */
    int key[SL_ARGS_MAX]; /* offset of the keyword in text, or -1 for positional */
    SlValue val[SL_ARGS_MAX];
    SlValue pool[SL_ARGS_POOL]; /* tuple items */
    int n_pool;
    char text[SL_ARGS_TEXT]; /* keywords and strings, NUL-terminated */
    int n_text;
} SlArgs;

/* Accepted types; SL_ARG_OR_NONE may be or'ed in. */
enum {
    SL_ARG_INT = 1,    /* 3 */
    SL_ARG_FLOAT = 2,  /* 0.5 or 1 */
    SL_ARG_STR = 3,    /* 'relu' */
    SL_ARG_BOOL = 4,   /* True */
    SL_ARG_SHAPE = 5,  /* (None, 5): a tuple or list of ints and None */
    SL_ARG_INTS = 6,   /* 3 or (3, 3): an int or a tuple of ints */
    SL_ARG_ANY = 7,    /* anything, checked by the layer */
    SL_ARG_SEED = 8,   /* an integer of any size: a random seed, not a size */
    SL_ARG_OBJECT = 9, /* a name or an object: 'glorot_uniform' or RandomNormal(stddev=0.05) */
    SL_ARG_TYPE_MASK = 15,
    SL_ARG_OR_NONE = 16,
    SL_ARG_KEYWORD = 32 /* keyword-only: Keras takes it through **kwargs, never by position */
};

typedef struct SlArgSpec {
    const char *name;
    int type;
    const char
        *def; /* default as a Python literal, e.g. "'linear'", "None", "True"; NULL: required */
    const char *help;
} SlArgSpec;

/* Arguments after binding: one value per spec entry, in spec order, defaults filled in. */
typedef struct SlBound {
    const SlArgSpec *spec;
    int n_spec;
    unsigned char given[SL_ARGS_MAX]; /* 1 when the user wrote it */
    SlArgs store;                     /* store.val[i] belongs to spec[i] */
} SlBound;

void sl_args_init(SlArgs *a);
/* Parse a Python argument list of literals: 3, activation='tanh', input_shape=(None, 5).
 * Appends to a. Returns 0, or -1 with an error that points at the column. */
int sl_args_parse(SlArgs *a, const char *src, SlError *e);

/* Build values inside a (for the script reader and lessons). */
SlValue sl_value_none(void);
SlValue sl_value_int(long long v);
SlValue sl_value_float(double v);
SlValue sl_value_bool(int v);
SlValue sl_value_str(SlArgs *a, const char *s); /* kind NONE if out of room: check sl_args_full */
/* Copy n items (their own sub-tuples and strings must already live in a) into a tuple value. */
SlValue sl_value_tuple(SlArgs *a, int n, const SlValue *items, int is_list);
/* An object made by calling `name` with n arguments (items living in a, as for tuples); keys[i] is
 * argument i's keyword or NULL for a positional one (keys may be NULL: all positional). The name
 * is the last part of a dotted one: keras.initializers.RandomNormal -> RandomNormal. Kind NONE if
 * out of room. */
SlValue sl_value_object(SlArgs *a, const char *name, int n, const SlValue *items,
                        const char *const *keys);
/* Append an argument; key NULL for positional. -1 with an error when out of room or when a
 * positional argument follows a keyword. */
int sl_args_add(SlArgs *a, const char *key, SlValue v, SlError *e);
int sl_args_full(const SlArgs *a);

const char *sl_args_key(const SlArgs *a, int i); /* NULL for positional */
/* The index of the keyword argument `key` in a, or -1 when a does not name it. */
int sl_args_find(const SlArgs *a, const char *key);
const char *sl_value_strv(const SlArgs *a, const SlValue *v);
const SlValue *sl_value_item(const SlArgs *a, const SlValue *v, int i);
/* The name a STR value holds, or an OBJECT's class or function name; NULL for other kinds. */
const char *sl_value_name(const SlArgs *a, const SlValue *v);
/* An OBJECT's argument: by keyword `key`, else its positional argument number `pos` (pos < 0:
 * keyword only); NULL when the call did not give it. */
const SlValue *sl_value_arg(const SlArgs *a, const SlValue *v, const char *key, int pos);
/* The keyword of an OBJECT's argument item, or NULL for a positional one. */
const char *sl_value_item_key(const SlArgs *a, const SlValue *item);
/* An OBJECT's arguments as an argument list of their own, to bind against its class's arguments:
 * RandomNormal(0.0, stddev=0.02) gives out = 0.0, stddev=0.02. -1 with an error when out of room. */
int sl_value_call_args(SlArgs *out, const SlArgs *a, const SlValue *obj, SlError *e);
/* 1 when `word` is one of the space-separated words of `list` (Keras's other spellings of a
 * name: "MaxPool1D", "glorot_uniform", "l1"). */
int sl_in_words(const char *list, const char *word);
/* Python spelling of a value: 'tanh', (None, 5), True. */
void sl_value_repr(const SlArgs *a, const SlValue *v, char *buf, int n);

/* Match args against spec for the layer type `who`: the k-th positional argument binds to the k-th
 * entry that is not SL_ARG_KEYWORD (specs list arguments in Keras's positional order). Errors name
 * the layer type, the keyword and the accepted type. Integers of INT, INTS and SHAPE arguments are
 * sizes: at most SL_MAX_DIM. */
int sl_args_bind(SlBound *b, const SlArgSpec *spec, int n_spec, const SlArgs *args, const char *who,
                 SlError *e);

/* Read bound values by name (the spec guarantees the type; asking for an undeclared name is a
 * programming error and aborts). */
const SlValue *sl_bound(const SlBound *b, const char *name);
int sl_bound_given(const SlBound *b, const char *name);
int sl_bound_is_none(const SlBound *b, const char *name);
long long sl_bound_int(const SlBound *b, const char *name);
double sl_bound_float(const SlBound *b, const char *name);
int sl_bound_bool(const SlBound *b, const char *name);
const char *sl_bound_str(const SlBound *b, const char *name); /* NULL when None */
/* Ints of a SHAPE/INTS value (an int gives one item; None items give SL_NONE). Returns the count,
 * or -1 when there are more than max. */
int sl_bound_ints(const SlBound *b, const char *name, int *out, int max);

#endif
