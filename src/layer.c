/* layer.c: the registry of layer types, creation from Keras arguments, names, shared helpers. */
#include "layer.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"

extern const SlLayerType sl_input_type;
extern const SlLayerType sl_dense_type;
extern const SlLayerType sl_activation_type;
extern const SlLayerType sl_dropout_type;
extern const SlLayerType sl_flatten_type;
extern const SlLayerType sl_reshape_type;
extern const SlLayerType sl_permute_type;
extern const SlLayerType sl_repeat_vector_type;
extern const SlLayerType sl_simple_rnn_type, sl_lstm_type, sl_gru_type;   /* rnn.c */
extern const SlLayerType sl_time_distributed_type, sl_bidirectional_type; /* wrappers.c */
extern const SlLayerType sl_embedding_type;                               /* embedding.c */
extern const SlLayerType sl_masking_type;                                 /* masking.c */
extern const SlLayerType sl_conv1d_type, sl_conv2d_type;                  /* conv.c */
extern const SlLayerType sl_max_pooling1d_type, sl_max_pooling2d_type, sl_average_pooling1d_type,
    sl_average_pooling2d_type, sl_global_max_pooling1d_type, sl_global_average_pooling1d_type,
    sl_global_max_pooling2d_type, sl_global_average_pooling2d_type, sl_zero_padding1d_type,
    sl_zero_padding2d_type, sl_cropping1d_type; /* pool.c */

static const SlLayerType *const types[] = {
    &sl_input_type,
    &sl_dense_type,
    &sl_activation_type,
    &sl_dropout_type,
    &sl_flatten_type,
    &sl_reshape_type,
    &sl_permute_type,
    &sl_repeat_vector_type,
    /* conv.c, pool.c */
    &sl_conv1d_type,
    &sl_conv2d_type,
    &sl_max_pooling1d_type,
    &sl_max_pooling2d_type,
    &sl_average_pooling1d_type,
    &sl_average_pooling2d_type,
    &sl_global_max_pooling1d_type,
    &sl_global_average_pooling1d_type,
    &sl_global_max_pooling2d_type,
    &sl_global_average_pooling2d_type,
    &sl_zero_padding1d_type,
    &sl_zero_padding2d_type,
    &sl_cropping1d_type,
    /* rnn.c, wrappers.c */
    &sl_simple_rnn_type,
    &sl_lstm_type,
    &sl_gru_type,
    &sl_time_distributed_type,
    &sl_bidirectional_type,
    &sl_embedding_type,
    &sl_masking_type,
};
enum { N_TYPES = sizeof types / sizeof types[0] };

/* Keras layers that shapelab knows by name but has not built: creating one says so plainly
 * instead of "unknown layer". A layer that lands removes its name from here. */
static const char *const not_yet[] = {
    "BatchNormalization", "LayerNormalization", "Concatenate", "Add",
    "Attention",          "MultiHeadAttention", "ConvLSTM2D",  "Conv1DTranspose",
    "Conv2DTranspose",    "UpSampling1D",
};

int sl_layer_name_known(const char *name)
{
    if (sl_layer_type_find(name))
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

/* Other spellings of a class: Keras 2's names and Keras's short aliases. */
static const char *const aliases[][2] = {
    {"Convolution1D", "Conv1D"},       {"Convolution2D", "Conv2D"},
    {"MaxPool1D", "MaxPooling1D"},     {"MaxPool2D", "MaxPooling2D"},
    {"AvgPool1D", "AveragePooling1D"}, {"AvgPool2D", "AveragePooling2D"},
};

static const char *alias_of(const char *name)
{
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (!strcmp(aliases[i][0], name))
            return aliases[i][1];
    return name;
}

const SlLayerType *sl_layer_type_find(const char *name)
{
    if (!strcmp(name, "Input"))
        name = "InputLayer";
    name = alias_of(name);
    for (int i = 0; i < N_TYPES; i++)
        if (!strcmp(types[i]->name, name))
            return types[i];
    return NULL;
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

/* ---- the keyword arguments every Keras layer accepts ---- */

static const SlArgSpec base_args[] = {
    {"name", SL_ARG_STR | SL_ARG_OR_NONE, "None", "the layer's name; default: from the class"},
    {"input_shape", SL_ARG_SHAPE | SL_ARG_OR_NONE, "None",
     "shape of one sample, batch axis left out: (timesteps, features) (Keras 2 spelling)"},
    {"batch_input_shape", SL_ARG_SHAPE | SL_ARG_OR_NONE, "None",
     "shape including the batch axis: (batch, timesteps, features) (Keras 2 spelling)"},
    {"batch_size", SL_ARG_INT | SL_ARG_OR_NONE, "None", "fixed batch size, with input_shape"},
    {"input_dim", SL_ARG_INT | SL_ARG_OR_NONE, "None",
     "features of a 2-D input; same as input_shape=(input_dim,) (Keras 2 spelling)"},
    {"input_length", SL_ARG_INT | SL_ARG_OR_NONE, "None",
     "timesteps, with input_dim (Keras 2 spelling)"},
    {"dtype", SL_ARG_STR | SL_ARG_OR_NONE, "None", "'float32' or 'float64'"},
    {"trainable", SL_ARG_BOOL, "True", "whether training updates the weights"},
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
    const char *dtype = sl_bound_str(b, "dtype");
    if (dtype && strcmp(dtype, "float32") && strcmp(dtype, "float64"))
        return sl_errorf(e, "dtype='%s' is not supported; shapelab computes in %s", dtype,
                         SL_REAL_NAME);
    l->trainable = sl_bound_bool(b, "trainable");
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
    const SlLayerType *t = sl_layer_type_find(type_name);
    if (!t) {
        for (size_t i = 0; i < sizeof not_yet / sizeof not_yet[0]; i++)
            if (!strcmp(not_yet[i], type_name)) {
                sl_errorf(e, "%s is not implemented yet", type_name);
                return NULL;
            }
        sl_errorf(e, "unknown layer '%s' (shapelab knows: see `shapelab --help`)", type_name);
        return NULL;
    }
    SlLayer *l = sl_layer_of_type(t, args, e);
    if (l && alias_of(type_name) != type_name) {
        char msg[200];
        snprintf(msg, sizeof msg, "notice: %s is another spelling of %s (its layers are named %s)",
                 type_name, t->name, t->snake);
        sl_layer_notice(l, msg);
    }
    return l;
}

/* Bind the arguments, then create; a wrapper's inner layer is in place before its create runs. */
static SlLayer *make_layer(const SlLayerType *t, const SlArgs *args, SlLayer *inner, SlError *e)
{
    SlArgSpec spec[SL_ARGS_MAX];
    if (t->n_args + N_BASE > SL_ARGS_MAX) {
        sl_errorf(e, "%s declares too many arguments", t->name);
        return NULL;
    }
    if (t->n_args > 0) /* a type without arguments may have no table (NULL) */
        memcpy(spec, t->args, (size_t)t->n_args * sizeof *spec);
    memcpy(spec + t->n_args, base_args, sizeof base_args);
    SlBound b;
    if (sl_args_bind(&b, spec, t->n_args + N_BASE, args, t->name, e) < 0)
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
    l->args = copy;
    if (inner) {
        l->child[l->n_child++] = inner;
        inner->parent = l;
    }
    if (read_base_args(l, &b, e) < 0 || t->create(l, &b, e) < 0) {
        sl_error_prefix(e, "%s: ", t->name);
        if (inner) /* still the caller's */
            l->n_child = 0, inner->parent = NULL;
        sl_layer_free(l);
        return NULL;
    }
    if (!l->name[0])
        sl_unique_name(t->snake, l->name, sizeof l->name);
    return l;
}

SlLayer *sl_layer_of_type(const SlLayerType *t, const SlArgs *args, SlError *e)
{
    return make_layer(t, args, NULL, e);
}

SlLayer *sl_layer_wrap(const char *type, SlLayer *inner, const SlArgs *args, SlError *e)
{
    const SlLayerType *t = sl_layer_type_find(type);
    if (!t || !t->wraps) {
        sl_errorf(e, "%s does not wrap a layer", type);
        return NULL;
    }
    if (!inner) {
        sl_errorf(e, "%s needs a layer to wrap, e.g. %s(Dense(5))", type, type);
        return NULL;
    }
    if (inner->parent) {
        sl_errorf(e, "layer '%s' is already inside '%s'; make a new layer to wrap", inner->name,
                  inner->parent->name);
        return NULL;
    }
    return make_layer(t, args, inner, e);
}

/* Set (or add) the argument `key` of a to v. */
static int set_arg(SlArgs *a, const char *key, SlValue v, SlError *e)
{
    for (int i = 0; i < a->n; i++) {
        const char *k = sl_args_key(a, i);
        if (k && !strcmp(k, key)) {
            a->val[i] = v;
            return 0;
        }
    }
    return sl_args_add(a, key, v, e);
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
        twin = make_layer(l->type, a, NULL, e);
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

void sl_layer_free(SlLayer *l)
{
    if (!l)
        return;
    for (int i = 0; i < l->n_child; i++)
        sl_layer_free(l->child[i]);
    if (l->type)
        l->type->destroy(l);
    sl_free(l->args);
    sl_free(l);
}

int sl_layer_add_param(SlLayer *l, const char *name, SlShape shape, const char *init, SlError *e)
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
    SlParam *p = &l->params[l->n_params++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->init, sizeof p->init, "%s", init);
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

void sl_infer_pass_mask(SlInfer *io)
{
    io->n_out = 1;
    io->out_mask[0] = io->in_mask[0] ? SL_MASK_PASS : SL_MASK_NONE;
    io->mask_from[0] = 0;
}
