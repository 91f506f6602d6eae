/* layer.c: the registry of layer types, creation from Keras arguments, names, shared helpers. */
#include "layer.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"

#define SL_LAYER(t) extern const SlLayerType t;
#include "layers/registry.h"
#undef SL_LAYER

static const SlLayerType *const types[] = {
#define SL_LAYER(t) &t,
#include "layers/registry.h"
#undef SL_LAYER
};
enum { N_TYPES = sizeof types / sizeof types[0] };

/* Keras layers that shapelab knows by name but has not built: creating one says so plainly
 * instead of "unknown layer". A layer that lands removes its name from here. */
static const char *const not_yet[] = {
    "Attention",
    "MultiHeadAttention",
    "ConvLSTM2D",
    "RMSNormalization",
};

/* Keras layers that shapelab will not build, each with what to write instead. */
static const struct {
    const char *name, *instead;
} refused[] = {
    {"Lambda", "Lambda runs arbitrary Python, which shapelab does not run; write the same with "
               "layers: Reshape or Permute to move axes, Activation for a function of each "
               "value, Add, Subtract, Multiply, Concatenate or Dot to combine tensors"},
};

const char *sl_layer_refused(const char *name)
{
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (!strcmp(refused[i].name, name))
            return refused[i].instead;
    return NULL;
}

int sl_layer_name_known(const char *name)
{
    if (sl_layer_type_find(name) || sl_layer_refused(name))
        return 1;
    for (size_t i = 0; i < sizeof not_yet / sizeof not_yet[0]; i++)
        if (!strcmp(not_yet[i], name))
            return 1;
    return 0;
}

int sl_layer_type_count(void)
{
    return N_TYPES;
}

const SlLayerType *sl_layer_type_at(int i)
{
    return i >= 0 && i < N_TYPES ? types[i] : NULL;
}

/* The type `name` spells (its class name or one of its aliases), and whether it was an alias. */
static const SlLayerType *find_type(const char *name, int *alias)
{
    *alias = 0;
    if (!strcmp(name, "Input")) /* keras.Input(...) makes an InputLayer: not another spelling */
        name = "InputLayer";
    for (int i = 0; i < N_TYPES; i++)
        if (!strcmp(types[i]->name, name))
            return types[i];
    for (int i = 0; i < N_TYPES; i++)
        if (sl_in_words(types[i]->aliases, name))
            return *alias = 1, types[i];
    return NULL;
}

const SlLayerType *sl_layer_type_find(const char *name)
{
    int alias;
    return find_type(name, &alias);
}

/* ---- names: one counter per class, as Keras keeps them ---- */

enum { MAX_COUNTERS = 64 };
static struct {
    char base[SL_NAME_MAX];
    int count;
} counters[MAX_COUNTERS];
static int n_counters;

void sl_clear_session(void)
{
    n_counters = 0;
}

void sl_unique_name(const char *base, char *out, size_t n)
{
    int i;
    for (i = 0; i < n_counters; i++)
        if (!strcmp(counters[i].base, base))
            break;
    if (i == n_counters && n_counters < MAX_COUNTERS) {
        snprintf(counters[i].base, sizeof counters[i].base, "%s", base);
        counters[i].count = 0;
        n_counters++;
    }
    int k = i < MAX_COUNTERS ? counters[i].count++ : 0;
    if (k == 0)
        snprintf(out, n, "%s", base);
    else
        snprintf(out, n, "%s_%d", base, k);
}

/* ---- the keyword arguments every Keras layer accepts (through **kwargs: never by position) ---- */

static const SlArgSpec base_args[] = {
    {"name", SL_ARG_STR | SL_ARG_OR_NONE | SL_ARG_KEYWORD, "None",
     "the layer's name; default: from the class"},
    {"input_shape", SL_ARG_SHAPE | SL_ARG_OR_NONE | SL_ARG_KEYWORD, "None",
     "shape of one sample, batch axis left out: (timesteps, features) (Keras 2 spelling)"},
    {"batch_input_shape", SL_ARG_SHAPE | SL_ARG_OR_NONE | SL_ARG_KEYWORD, "None",
     "shape including the batch axis: (batch, timesteps, features) (Keras 2 spelling)"},
    {"batch_size", SL_ARG_INT | SL_ARG_OR_NONE | SL_ARG_KEYWORD, "None",
     "fixed batch size, with input_shape"},
    {"input_dim", SL_ARG_INT | SL_ARG_OR_NONE | SL_ARG_KEYWORD, "None",
     "features of a 2-D input; same as input_shape=(input_dim,) (Keras 2 spelling)"},
    {"input_length", SL_ARG_INT | SL_ARG_OR_NONE | SL_ARG_KEYWORD, "None",
     "timesteps, with input_dim (Keras 2 spelling)"},
    {"dtype", SL_ARG_STR | SL_ARG_OR_NONE | SL_ARG_KEYWORD, "None",
     "'float32' or 'float64'; an Input also takes integers ('int32', 'int64', ...) for codes"},
    {"trainable", SL_ARG_BOOL | SL_ARG_KEYWORD, "True", "whether training updates the weights"},
    {"activity_regularizer", SL_ARG_OBJECT | SL_ARG_OR_NONE | SL_ARG_KEYWORD, "None",
     "a term on the layer's outputs added to the loss: l1(0.01), l2(0.01), l1_l2(...)"},
    {"autocast", SL_ARG_BOOL | SL_ARG_KEYWORD, "True",
     "Keras's mixed-precision casting; no effect here (one precision throughout)"},
};
enum { N_BASE = sizeof base_args / sizeof base_args[0] };

void sl_layer_notice(SlLayer *l, const char *text)
{
    size_t used = strlen(l->notice);
    snprintf(l->notice + used, sizeof l->notice - used, "%s%s", used ? "\n" : "", text);
}

int sl_read_sample_shape(const SlBound *b, const char *key, SlShape *out, SlError *e)
{
    int dims[SL_MAX_RANK];
    int n = sl_bound_ints(b, key, dims + 1, SL_MAX_RANK - 1);
    if (n < 1)
        return sl_errorf(e, "%s needs 1 to %d axes (the batch axis is left out), like (31, 1)", key,
                         SL_MAX_RANK - 1);
    dims[0] = sl_bound_is_none(b, "batch_size") ? SL_NONE : (int)sl_bound_int(b, "batch_size");
    *out = sl_shape_of(n + 1, dims);
    return 0;
}

int sl_read_batch_shape(const SlBound *b, const char *key, SlShape *out, SlError *e)
{
    int dims[SL_MAX_RANK];
    int n = sl_bound_ints(b, key, dims, SL_MAX_RANK);
    if (n < 2)
        return sl_errorf(e, "%s needs the batch axis and 1 to %d more, like (32, 10, 5)", key,
                         SL_MAX_RANK - 1);
    *out = sl_shape_of(n, dims);
    return 0;
}

/* input_shape= and friends: the shape of the data the layer expects, batch axis included. */
/* Does the type take this argument itself (Embedding's input_dim is not Keras 2's input shape)? */
static int declares(const SlLayerType *t, const char *name)
{
    for (int i = 0; i < t->n_args; i++)
        if (!strcmp(t->args[i].name, name))
            return 1;
    return 0;
}

static int read_input_shape(SlLayer *l, const SlBound *b, SlError *e)
{
    char s[96], t[96], msg[240];
    l->has_input_shape = 0;
    if (!sl_bound_is_none(b, "batch_input_shape")) {
        if (sl_read_batch_shape(b, "batch_input_shape", &l->input_shape, e) < 0)
            return -1;
        snprintf(msg, sizeof msg,
                 "notice: batch_input_shape=%s is the Keras 2 spelling; Keras 3 writes "
                 "keras.Input(batch_shape=%s)",
                 sl_shape_str(&l->input_shape, s, sizeof s), s);
    } else if (!sl_bound_is_none(b, "input_shape")) {
        if (sl_read_sample_shape(b, "input_shape", &l->input_shape, e) < 0)
            return -1;
        SlShape sample = sl_shape_of(l->input_shape.rank - 1, l->input_shape.dim + 1);
        sl_shape_str(&sample, s, sizeof s);
        snprintf(msg, sizeof msg,
                 "notice: input_shape=%s is the Keras 2 spelling; Keras 3 starts the model with "
                 "keras.Input(shape=%s)",
                 s, s);
    } else if (!declares(l->type, "input_dim") && !sl_bound_is_none(b, "input_dim")) {
        int len = sl_bound_is_none(b, "input_length") ? 0 : (int)sl_bound_int(b, "input_length");
        int dims[3] = {SL_NONE, len, (int)sl_bound_int(b, "input_dim")};
        if (len)
            l->input_shape = sl_shape_of(3, dims);
        else
            l->input_shape = sl_shape_of(2, (int[]){SL_NONE, dims[2]});
        SlShape sample = sl_shape_of(l->input_shape.rank - 1, l->input_shape.dim + 1);
        snprintf(msg, sizeof msg,
                 "notice: input_dim= is the Keras 2 spelling; Keras 3 starts the model with "
                 "keras.Input(shape=%s)",
                 sl_shape_str(&sample, t, sizeof t));
    } else {
        return 0;
    }
    l->has_input_shape = 1;
    sl_layer_notice(l, msg);
    return sl_check_sizes(&l->input_shape, 0, "the input shape", e);
}

int sl_check_sizes(const SlShape *s, int from, const char *what, SlError *e)
{
    for (int i = from; i < s->rank; i++) {
        int d = s->dim[i];
        if (d == SL_NONE || d > 0)
            continue;
        char buf[96];
        return sl_errorf(e,
                         "%s %s has an axis of size %d; sizes must be positive, or None for a "
                         "size not known in advance",
                         what, sl_shape_str(s, buf, sizeof buf), d);
    }
    return 0;
}

static int read_base_args(SlLayer *l, const SlBound *b, SlError *e)
{
    static const char *const ints[] = {"int8",  "int16",  "int32",  "int64",
                                       "uint8", "uint16", "uint32", "uint64"};
    const char *dtype = sl_bound_str(b, "dtype");
    int integer = 0;
    for (size_t i = 0; dtype && i < sizeof ints / sizeof ints[0]; i++)
        integer |= !strcmp(dtype, ints[i]);
    if (integer && !(l->type->kind & SL_KIND_INPUT))
        return sl_errorf(e,
                         "dtype='%s' is for an Input of integer codes (keras.Input(shape=(None,), "
                         "dtype='%s') before an Embedding); a layer computes in floats",
                         dtype, dtype);
    if (dtype && !integer && strcmp(dtype, "float32") && strcmp(dtype, "float64"))
        return sl_errorf(e, "dtype='%s' is not supported; shapelab computes in %s", dtype,
                         SL_REAL_NAME);
    if (dtype)
        snprintf(l->dtype, sizeof l->dtype, "%s", dtype);
    l->trainable = sl_bound_bool(b, "trainable");
    if (sl_regularizer_read(&l->activity, b, "activity_regularizer", e) < 0)
        return -1;
    const char *name = sl_bound_str(b, "name");
    if (name) {
        if (!name[0] || strlen(name) >= SL_NAME_MAX || strchr(name, '/'))
            return sl_errorf(e, "name='%s' must be 1 to %d characters without '/'", name,
                             SL_NAME_MAX - 1);
        snprintf(l->name, sizeof l->name, "%s", name);
    }
    return read_input_shape(l, b, e);
}

SlLayer *sl_layer_create(const char *type_name, const SlArgs *args, SlError *e)
{
    int alias;
    const SlLayerType *t = find_type(type_name, &alias);
    if (!t) {
        const char *instead = sl_layer_refused(type_name);
        if (instead) {
            sl_errorf(e, "%s is not supported: %s", type_name, instead);
            return NULL;
        }
        for (size_t i = 0; i < sizeof not_yet / sizeof not_yet[0]; i++)
            if (!strcmp(not_yet[i], type_name)) {
                sl_errorf(e, "%s is not implemented yet", type_name);
                return NULL;
            }
        sl_errorf(e, "unknown layer '%s' (shapelab knows: see `shapelab --help`)", type_name);
        return NULL;
    }
    SlLayer *l = sl_layer_of_type(t, args, e);
    if (l && alias) {
        char msg[200];
        snprintf(msg, sizeof msg, "notice: %s is another spelling of %s (its layers are named %s)",
                 type_name, t->name, t->snake);
        sl_layer_notice(l, msg);
    }
    return l;
}

/* Every entry of a type table is required: a layer written outside the registry (a lesson's,
 * a test's) hears which one it left out instead of crashing where it is first used. */
static int check_type(const SlLayerType *t, SlError *e)
{
    const struct {
        const char *name;
        int missing;
    } entries[] = {
        {"name", !t->name},
        {"aliases", !t->aliases},
        {"snake", !t->snake},
        {"summary", !t->summary},
        {"args", !t->args && t->n_args > 0},
        {"example_args", !t->example_args},
        {"example_input", !t->example_input},
        {"create", !t->create},
        {"infer", !t->infer},
        {"params", !t->params},
        {"scratch", !t->scratch},
        {"forward", !t->forward},
        {"backward", !t->backward},
        {"reset", !t->reset},
        {"explain", !t->explain},
        {"formula", !t->formula},
        {"note", !t->note},
        {"window", !t->window},
        {"codes", !t->codes},
        {"scenes", !t->scenes},
        {"destroy", !t->destroy},
    };
    for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++)
        if (entries[i].missing)
            return sl_errorf(e,
                             "layer type %s leaves its `%s` entry empty; every entry of a "
                             "SlLayerType is required (docs/adding-a-layer.md)",
                             t->name ? t->name : "(unnamed)", entries[i].name);
    return 0;
}

/* Bind args against the type's arguments and the ones every layer takes (unless the type declares
 * one itself, in its place: Keras's pooling layers take name= by position, InputLayer dtype=);
 * spec is the caller's storage (b points into it). */
static int bind(const SlLayerType *t, const SlArgs *args, SlArgSpec *spec, SlBound *b, SlError *e)
{
    int n = t->n_args;
    if (n + N_BASE > SL_ARGS_MAX)
        return sl_errorf(e, "%s declares too many arguments", t->name);
    if (n > 0) /* a type without arguments may have no table (NULL) */
        memcpy(spec, t->args, (size_t)n * sizeof *spec);
    for (int i = 0; i < N_BASE; i++)
        if (!declares(t, base_args[i].name))
            spec[n++] = base_args[i];
    return sl_args_bind(b, spec, n, args, t->name, e);
}

/* Bind the arguments, then create; a wrapper's inner layers (inner, and second when not NULL)
 * are in place before its create runs. */
static SlLayer *make_layer(const SlLayerType *t, const SlArgs *args, SlLayer *inner,
                           SlLayer *second, SlError *e)
{
    if (check_type(t, e) < 0)
        return NULL;
    SlArgSpec spec[SL_ARGS_MAX];
    SlBound b;
    if (bind(t, args, spec, &b, e) < 0)
        return NULL;
    SlLayer *l = sl_alloc_zero(1, sizeof *l);
    SlArgs *copy = sl_alloc_zero(1, sizeof *copy);
    if (!l || !copy) {
        sl_free(l), sl_free(copy);
        sl_errorf(e, "out of memory creating a %s layer", t->name);
        return NULL;
    }
    *copy = *args;
    l->type = t;
    l->steps = t->steps;
    l->args = copy;
    SlLayer *given[2] = {inner, second};
    for (int k = 0; k < 2; k++)
        if (given[k]) {
            l->child[l->n_child++] = given[k];
            given[k]->parent = l;
        }
    if (read_base_args(l, &b, e) < 0 || t->create(l, &b, e) < 0) {
        sl_error_prefix(e, "%s: ", t->name);
        for (int k = 0; k < 2; k++) /* still the caller's (create may have added a copy) */
            if (given[k])
                given[k]->parent = NULL;
        for (int k = 0; k < l->n_child; k++)
            if (l->child[k] == inner || l->child[k] == second)
                l->child[k] = NULL;
        sl_layer_free(l);
        return NULL;
    }
    if (!l->name[0])
        sl_unique_name(t->snake, l->name, sizeof l->name);
    return l;
}

SlLayer *sl_layer_of_type(const SlLayerType *t, const SlArgs *args, SlError *e)
{
    return make_layer(t, args, NULL, NULL, e);
}

SlLayer *sl_layer_wrap_pair(const char *type, SlLayer *inner, SlLayer *second, const SlArgs *args,
                            SlError *e)
{
    const SlLayerType *t = sl_layer_type_find(type);
    if (!t || !(t->kind & SL_KIND_WRAPPER)) {
        sl_errorf(e, "%s does not wrap a layer", type);
        return NULL;
    }
    if (!inner) {
        sl_errorf(e, "%s needs a layer to wrap, e.g. %s(Dense(5))", type, type);
        return NULL;
    }
    if (second == inner) {
        sl_errorf(e, "%s: backward_layer must be another layer than the one it wraps", type);
        return NULL;
    }
    const SlLayer *both[2] = {inner, second};
    for (int k = 0; k < 2; k++)
        if (both[k] && both[k]->parent) {
            sl_errorf(e, "layer '%s' is already inside '%s'; make a new layer to wrap",
                      both[k]->name, both[k]->parent->name);
            return NULL;
        }
    return make_layer(t, args, inner, second, e);
}

SlLayer *sl_layer_wrap(const char *type, SlLayer *inner, const SlArgs *args, SlError *e)
{
    return sl_layer_wrap_pair(type, inner, NULL, args, e);
}

/* Set (or add) the argument `key` of a to v. */
static int set_arg(SlArgs *a, const char *key, SlValue v, SlError *e)
{
    int i = sl_args_find(a, key);
    if (i < 0)
        return sl_args_add(a, key, v, e);
    a->val[i] = v;
    return 0;
}

int sl_not_yet(const SlBound *b, const char *key, const char *instead, SlError *e)
{
    char got[128];
    for (int k = 0; k < b->n_spec; k++) {
        if (strcmp(b->spec[k].name, key) || !b->given[k])
            continue;
        const SlValue *v = &b->store.val[k];
        SlArgs d;
        char def[128] = "";
        sl_args_init(&d);
        if (b->spec[k].def && sl_args_parse(&d, b->spec[k].def, NULL) == 0 && d.n == 1)
            sl_value_repr(&d, &d.val[0], def, sizeof def);
        sl_value_repr(&b->store, v, got, sizeof got);
        int numbers = (v->kind == SL_V_INT || v->kind == SL_V_FLOAT) &&
                      (d.val[0].kind == SL_V_INT || d.val[0].kind == SL_V_FLOAT);
        if (numbers ? v->f == d.val[0].f : !strcmp(got, def))
            return 0;
        return sl_errorf(e, "%s=%s is not supported yet; %s", key, got, instead);
    }
    return 0;
}

int sl_refuse_lora(const SlBound *b, SlError *e)
{
    static const char *const keys[] = {"lora_rank", "lora_alpha", "quantization_config"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (sl_not_yet(b, keys[i],
                       "LoRA adapters and quantization are for fine-tuning and shipping large "
                       "models: leave it out, and the layer trains all of its weights",
                       e) < 0)
            return -1;
    return 0;
}

int sl_layer_arg_given(const SlLayer *l, const char *key)
{
    return l->args && sl_args_find(l->args, key) >= 0;
}

int sl_layer_arg_str(const SlLayer *l, const char *key, char *buf, size_t n)
{
    SlArgSpec spec[SL_ARGS_MAX];
    SlBound b;
    SlError e;
    if (!l->args || bind(l->type, l->args, spec, &b, &e) < 0)
        return -1;
    for (int i = 0; i < b.n_spec; i++)
        if (!strcmp(spec[i].name, key) && (spec[i].type & SL_ARG_TYPE_MASK) == SL_ARG_STR) {
            const char *v = sl_bound_str(&b, key);
            snprintf(buf, n, "%s", v ? v : "None");
            return 0;
        }
    return -1;
}

int sl_layer_arg_num(const SlLayer *l, const char *key, double *out)
{
    SlArgSpec spec[SL_ARGS_MAX];
    SlBound b;
    SlError e;
    if (!l->args || bind(l->type, l->args, spec, &b, &e) < 0)
        return -1;
    for (int i = 0; i < b.n_spec; i++) {
        int type = spec[i].type & SL_ARG_TYPE_MASK;
        if (strcmp(spec[i].name, key) || sl_bound_is_none(&b, key))
            continue;
        if (type == SL_ARG_INT)
            return *out = (double)sl_bound_int(&b, key), 0;
        if (type == SL_ARG_FLOAT)
            return *out = sl_bound_float(&b, key), 0;
        if (type == SL_ARG_BOOL)
            return *out = sl_bound_bool(&b, key), 0;
    }
    return -1;
}

int sl_layer_join_axis(const SlLayer *l, int rank)
{
    double a;
    if (!sl_layer_is(l, SL_KIND_JOIN) || sl_layer_arg_num(l, "axis", &a) < 0)
        return -1;
    int axis = a < 0 ? (int)a + rank : (int)a;
    return axis >= 1 && axis < rank ? axis : -1;
}

SlLayer *sl_layer_twin(const SlLayer *l, const char *name, const char *key, int value, SlError *e)
{
    SlArgs *a = sl_alloc_zero(1, sizeof *a);
    if (!a) {
        sl_errorf(e, "out of memory");
        return NULL;
    }
    *a = *l->args;
    SlValue nv = sl_value_str(a, name);
    SlLayer *twin = NULL;
    if (nv.kind == SL_V_STR && set_arg(a, "name", nv, e) == 0 &&
        (!key || set_arg(a, key, sl_value_bool(value), e) == 0))
        twin = make_layer(l->type, a, NULL, NULL, e);
    else if (nv.kind != SL_V_STR)
        sl_errorf(e, "layer '%s': too many arguments to copy", l->name);
    sl_free(a);
    return twin;
}

SlLayer *sl_layer(const char *type, const char *args, SlError *e)
{
    SlArgs a;
    sl_args_init(&a);
    if (sl_args_parse(&a, args ? args : "", e) < 0) {
        sl_error_prefix(e, "%s: ", type);
        return NULL;
    }
    return sl_layer_create(type, &a, e);
}

SlLayer *sl_layer_example(const SlLayerType *t, SlShape *in, int *n_in, SlError *e)
{
    SlArgs a;
    sl_args_init(&a);
    int ok = sl_args_parse(&a, t->example_input, e) == 0 && a.n >= 1 && a.n <= SL_MAX_IO;
    for (int k = 0; ok && k < a.n; k++)
        ok = a.val[k].kind == SL_V_TUPLE;
    if (!ok) {
        sl_errorf(e, "%s: its example input '%s' is not a shape like (2, 4, 5), or several",
                  t->name, t->example_input);
        return NULL;
    }
    for (int k = 0; k < a.n; k++) {
        int dims[SL_MAX_RANK], n = a.val[k].n;
        for (int i = 0; i < n && i < SL_MAX_RANK; i++)
            dims[i] = (int)sl_value_item(&a, &a.val[k], i)->i;
        in[k] = sl_shape_of(n < SL_MAX_RANK ? n : SL_MAX_RANK, dims);
    }
    *n_in = a.n;
    if (!(t->kind & SL_KIND_WRAPPER))
        return sl_layer(t->name, t->example_args, e);
    /* a wrapper's example is its inner layer: "Dense(3)" */
    char inner[SL_NAME_MAX], args[256];
    const char *open = strchr(t->example_args, '('), *end = strrchr(t->example_args, ')');
    if (!open || !end || end < open || (size_t)(open - t->example_args) >= sizeof inner) {
        sl_errorf(e, "%s: its example '%s' is not a layer like Dense(3)", t->name, t->example_args);
        return NULL;
    }
    snprintf(inner, sizeof inner, "%.*s", (int)(open - t->example_args), t->example_args);
    snprintf(args, sizeof args, "%.*s", (int)(end - open - 1), open + 1);
    SlLayer *l = sl_layer(inner, args, e);
    sl_args_init(&a);
    SlLayer *w = l ? sl_layer_wrap(t->name, l, &a, e) : NULL;
    if (l && !w)
        sl_layer_free(l);
    return w;
}

void sl_layer_retain(SlLayer *l)
{
    l->refs++;
}

void sl_layer_free(SlLayer *l)
{
    if (!l)
        return;
    if (l->refs > 0) {
        l->refs--;
        return;
    }
    for (int i = 0; i < l->n_child; i++)
        sl_layer_free(l->child[i]);
    if (l->type)
        l->type->destroy(l);
    sl_free(l->args);
    sl_free(l);
}

int sl_weight_args_read(SlLayer *l, SlWeightArgs *w, const SlBound *b, const char *prefix,
                        SlError *e)
{
    char key[3][64];
    snprintf(key[0], sizeof key[0], "%s_initializer", prefix);
    snprintf(key[1], sizeof key[1], "%s_regularizer", prefix);
    snprintf(key[2], sizeof key[2], "%s_constraint", prefix);
    if (sl_init_read(&w->init, b, key[0], e) < 0 ||
        sl_regularizer_read(&w->reg, b, key[1], e) < 0 ||
        sl_constraint_read(&w->con, b, key[2], e) < 0)
        return -1;
    const SlValue *r = sl_bound(b, key[1]);
    if (r->kind == SL_V_OBJECT && r->n == 0 && !sl_regularizer_active(&w->reg)) {
        char msg[240];
        snprintf(msg, sizeof msg,
                 "notice: %s=%s adds nothing: Keras 3's l1_l2 defaults to l1=0 and l2=0 (Keras "
                 "2's were 0.01); give the factors, like l1_l2(l1=0.01, l2=0.01)",
                 key[1], w->reg.text);
        sl_layer_notice(l, msg);
    }
    return 0;
}

int sl_layer_add_param(SlLayer *l, const char *name, SlShape shape, const char *init, SlError *e)
{
    SlWeightArgs w;
    memset(&w, 0, sizeof w);
    if (sl_init_named(&w.init, init) < 0)
        return sl_errorf(e, "layer '%s' (%s): its weight '%s' has no initializer '%s'", l->name,
                         l->type->name, name, init);
    return sl_layer_add_weight(l, name, shape, &w, e);
}

int sl_layer_add_weight(SlLayer *l, const char *name, SlShape shape, const SlWeightArgs *w,
                        SlError *e)
{
    size_t count;
    char b[96];
    if (l->n_params >= SL_MAX_PARAMS)
        return sl_errorf(e, "layer '%s' declares too many parameters", l->name);
    if (!sl_shape_is_concrete(&shape))
        return sl_errorf(e, "layer '%s' (%s): its weight '%s' would have the unknown shape %s",
                         l->name, l->type->name, name, sl_shape_str(&shape, b, sizeof b));
    if (sl_shape_count_capped(&shape, SL_MAX_ELEMENTS, &count) < 0)
        return sl_errorf(e,
                         "layer '%s' (%s): its weight '%s' of shape %s would hold more than "
                         "%d values, shapelab's limit for one tensor; use fewer units or filters",
                         l->name, l->type->name, name, sl_shape_str(&shape, b, sizeof b),
                         SL_MAX_ELEMENTS);
    if (sl_init_check(&w->init, &shape, e) < 0 || sl_constraint_check(&w->con, &shape, e) < 0)
        return sl_error_prefix(e, "layer '%s' (%s), weight '%s': ", l->name, l->type->name, name);
    SlParam *p = &l->params[l->n_params++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->init = w->init;
    p->reg = w->reg;
    p->con = w->con;
    p->shape = shape;
    p->trainable = l->trainable;
    return 0;
}

size_t sl_layer_count_params(const SlLayer *l)
{
    size_t n = 0;
    for (int i = 0; i < l->n_params; i++)
        n += sl_shape_count(&l->params[i].shape);
    for (int i = 0; i < l->n_child; i++)
        n += sl_layer_count_params(l->child[i]);
    return n;
}

int sl_layer_shape_error(SlError *e, const SlLayer *l, const char *expected, const SlShape *got,
                         const char *fix)
{
    char s[96];
    return sl_errorf(e, "layer '%s' (%s) expects %s, got %s.%s%s", l->name, l->type->name, expected,
                     sl_shape_str(got, s, sizeof s), fix ? " Fix: " : "", fix ? fix : "");
}

void sl_layer_reset_nothing(SlLayer *l)
{
    (void)l; /* no state is carried between calls */
}

void sl_layer_destroy_cfg(SlLayer *l)
{
    sl_free(l->cfg);
    l->cfg = NULL;
}

void sl_layer_no_scratch(const SlLayer *l, const SlInfer *io, SlScratchDecl *d)
{
    (void)l;
    (void)io;
    d->n = 0;
}

void sl_scratch_skip_to(SlScratchDecl *d, int slot)
{
    for (; d->n < slot; d->n++) {
        d->name[d->n] = "(not used)";
        d->count[d->n] = 0;
    }
}

int sl_layer_no_params(SlLayer *l, const SlInfer *io, SlError *e)
{
    (void)l;
    (void)io;
    (void)e;
    return 0;
}

void sl_layer_formula_none(const SlLayer *l, char *buf, size_t n)
{
    (void)l;
    snprintf(buf, n, "no weights: 0");
}

int sl_layer_expect_inputs(const SlLayer *l, const SlInfer *io, int n, SlError *e)
{
    if (io->n_in == n)
        return 0;
    return sl_errorf(e, "layer '%s' (%s) takes %d input%s, got %d", l->name, l->type->name, n,
                     n == 1 ? "" : "s", io->n_in);
}

void sl_layer_no_note(const SlLayer *l, char *buf, size_t n)
{
    (void)l;
    if (n)
        buf[0] = '\0';
}

int sl_layer_no_window(const SlLayer *l, int axis, SlWindowGeom *w)
{
    (void)l, (void)axis, (void)w;
    return 0;
}

int sl_layer_reals(const SlLayer *l)
{
    (void)l;
    return 0;
}

int sl_layer_no_scenes(const SlLayer *l, SlSceneClaim *out)
{
    (void)l, (void)out;
    return 0;
}

int sl_layer_window(const SlLayer *l, int axis, SlWindowGeom *w)
{
    if (l->type->window(l, axis, w))
        return 1;
    return l->n_child > 0 && sl_layer_window(l->child[0], axis, w);
}

void sl_infer_pass_mask(SlInfer *io)
{
    io->n_out = 1;
    io->out_mask[0] = io->in_mask[0] ? SL_MASK_PASS : SL_MASK_NONE;
    io->mask_from[0] = 0;
}

int sl_infer_same_shape(SlLayer *l, SlInfer *io, SlError *e)
{
    if (sl_layer_expect_inputs(l, io, 1, e) < 0)
        return -1;
    io->out[0] = io->in[0];
    sl_infer_pass_mask(io);
    return 0;
}
