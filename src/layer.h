/* layer.h: the layer interface (DESIGN.md, seam 1).
 *
 * Every layer type supplies one const SlLayerType table, and every entry is real: a layer that has
 * no state still says how to reset it (by doing nothing, on purpose). A layer's file holds its
 * whole story: the argument table, shape inference, parameter and scratch declarations, forward,
 * backward and the sentence that explains why the shape changed.
 *
 * Lifecycle:
 *   create   from Keras arguments (SlArgs), bound against the type's SlArgSpec table;
 *   infer    output shapes and masks from input shapes; called with symbolic shapes (None) when
 *            the model is built, and again with concrete shapes when a batch is planned;
 *   params   declare parameters (Keras names, shapes, initializers) on the first call;
 *   scratch  declare per-call buffers for a concrete batch (kept from forward to backward);
 *   forward / backward  on planned views; backward accumulates (+=) into input and parameter
 *            gradients that the caller zeroed;
 *   reset    forget carried state (stateful RNNs);
 *   explain / formula  the "why the shape changed" sentence and the parameter formula;
 *   destroy  free the type's own configuration.
 */
#ifndef SL_LAYER_H
#define SL_LAYER_H

#include <stddef.h>

#include "args.h"
#include "error.h"
#include "rng.h"
#include "tensor.h"

enum {
    SL_MAX_IO = 6,     /* inputs or outputs of one layer call (Bidirectional LSTM with states: 5) */
    SL_MAX_PARAMS = 8, /* parameter tensors of one layer */
    SL_MAX_SCRATCH = 8, /* scratch buffers of one layer call */
    SL_NAME_MAX = 64,   /* layer names */
    SL_PARAM_NAME_MAX = 160
};

typedef struct SlLayer SlLayer;
typedef struct SlObserver SlObserver;

/* What happens to the mask at an output. */
typedef enum SlMaskRule {
    SL_MASK_NONE = 0, /* no mask leaves this output (dropped, if one came in) */
    SL_MASK_PASS = 1, /* the mask of input mask_from[k] passes through unchanged */
    SL_MASK_NEW = 2   /* the layer writes a fresh (batch, timesteps) mask */
} SlMaskRule;

/* Shapes in and out of one layer call, symbolic or concrete. */
typedef struct SlInfer {
    int n_in;
    SlShape in[SL_MAX_IO];
    unsigned char in_mask[SL_MAX_IO]; /* 1 when input k carries a mask */
    int n_out;
    SlShape out[SL_MAX_IO];
    unsigned char out_mask[SL_MAX_IO];  /* an SlMaskRule */
    unsigned char mask_from[SL_MAX_IO]; /* for SL_MASK_PASS */
} SlInfer;

typedef struct SlParam {
    char name[SL_PARAM_NAME_MAX]; /* Keras path below the layer: "kernel", "lstm_cell/kernel" */
    SlShape shape;                /* no batch axis: Dense kernel (in, units) */
    char init[32];                /* initializer: "glorot_uniform", "zeros", "orthogonal", ... */
    int trainable;
    SlTensor value, grad; /* views into the model's parameter and gradient arenas */
} SlParam;

typedef struct SlScratchDecl {
    int n;
    const char *name[SL_MAX_SCRATCH];
    size_t count[SL_MAX_SCRATCH]; /* elements */
} SlScratchDecl;

/* One call of a layer on planned, concrete views: what forward and backward work on. */
typedef struct SlPass {
    int node; /* the call's index in its model (a shared layer has several) */
    int n_in, n_out;
    SlTensor x[SL_MAX_IO];  /* inputs */
    SlTensor y[SL_MAX_IO];  /* outputs */
    SlTensor dx[SL_MAX_IO]; /* backward: gradients of the inputs, accumulate (+=) */
    SlTensor dy[SL_MAX_IO]; /* backward: gradients of the outputs */
    const unsigned char *mask_in[SL_MAX_IO]; /* (batch, timesteps), or NULL */
    unsigned char *mask_out[SL_MAX_IO];      /* SL_MASK_NEW outputs: write here */
    sl_real *scratch[SL_MAX_SCRATCH];        /* as declared, for this call's shapes */
    int training;
    SlRng *rng;            /* randomness for training (Dropout) */
    const SlObserver *obs; /* trace listener, NULL when nobody listens */
    SlLayer *layer;
} SlPass;

typedef struct SlLayerType {
    const char *name;    /* Keras class name: "Dense" */
    const char *snake;   /* base of generated names: "dense", "dense_1", ... */
    const char *summary; /* one line for --help */
    const SlArgSpec *args;
    int n_args;
    int (*create)(SlLayer *l, const SlBound *b, SlError *e);
    int (*infer)(SlLayer *l, SlInfer *io, SlError *e);
    int (*params)(SlLayer *l, const SlInfer *io, SlError *e);
    void (*scratch)(const SlLayer *l, const SlInfer *io, SlScratchDecl *d);
    void (*forward)(SlLayer *l, SlPass *p);
    void (*backward)(SlLayer *l, SlPass *p);
    void (*reset)(SlLayer *l);
    void (*explain)(const SlLayer *l, const SlInfer *io, char *buf, size_t n);
    void (*formula)(const SlLayer *l, char *buf, size_t n);
    void (*destroy)(SlLayer *l);
    int wraps; /* 1 for wrappers: made with sl_layer_wrap around another layer */
} SlLayerType;

struct SlLayer {
    const SlLayerType *type;
    char name[SL_NAME_MAX];
    void *cfg; /* the type's own configuration and state */
    int built; /* parameters declared */
    int trainable;
    int n_params;
    SlParam params[SL_MAX_PARAMS];
    int n_child; /* wrappers: the layers they hold */
    SlLayer *child[2];
    SlLayer *parent; /* the wrapper holding this layer, or NULL */
    SlArgs *args;    /* the arguments it was made with (to make a twin: Bidirectional) */
    /* From input_shape= / batch_input_shape= / input_dim= / batch_size=: the shape of the data
     * this layer expects, batch axis included. */
    int has_input_shape;
    SlShape input_shape;
    char notice[256]; /* Keras-2 spellings used, for the caller to show; "" if none */
};

/* ---- the registry of layer types ---- */
const SlLayerType *sl_layer_type_find(const char *name); /* "Dense", also aliases */
/* 1 for a Keras layer class shapelab knows by name, built or not yet built (LSTM ...). */
int sl_layer_name_known(const char *name);
int sl_layer_type_count(void);
const SlLayerType *sl_layer_type_at(int i);

/* ---- creating layers ---- */
/* Create a layer of a registered type from Keras arguments. The name comes from name= or the
 * session's counter for the type (dense, dense_1, ...). */
SlLayer *sl_layer_create(const char *type, const SlArgs *args, SlError *e);
/* Create a layer of a type that is not in the registry (a lesson's or a test's own layer). */
SlLayer *sl_layer_of_type(const SlLayerType *t, const SlArgs *args, SlError *e);
/* A wrapper (TimeDistributed, Bidirectional) around `inner`: the wrapper owns inner from then on.
 * On error inner stays the caller's. */
SlLayer *sl_layer_wrap(const char *type, SlLayer *inner, const SlArgs *args, SlError *e);
/* A new layer made with l's arguments, named `name`, with the boolean argument `key` (if not
 * NULL) set to `value`: Bidirectional's backward twin of its layer. */
SlLayer *sl_layer_twin(const SlLayer *l, const char *name, const char *key, int value, SlError *e);
/* The same from a Python-style argument string: sl_layer("Dense", "3, activation='tanh'", &e). */
SlLayer *sl_layer(const char *type, const char *args, SlError *e);
void sl_layer_free(SlLayer *l);

/* Keras's per-class name counters (keras.backend.clear_session() resets them). */
void sl_clear_session(void);
void sl_unique_name(const char *base, char *out, size_t n);

/* For a type's params entry: declare one parameter. */
int sl_layer_add_param(SlLayer *l, const char *name, SlShape shape, const char *init, SlError *e);
size_t sl_layer_count_params(const SlLayer *l); /* including children */

/* One formatter for shape errors, so every message names the layer, what was expected, what
 * arrived and the fix:
 *   layer 'lstm' (LSTM): expects (batch, timesteps, features), got (None, 31). Fix: ... */
int sl_layer_shape_error(SlError *e, const SlLayer *l, const char *expected, const SlShape *got,
                         const char *fix);

/* Did the user write the keyword argument `key` when making l? (For a default that Keras once had
 * otherwise; a type's create reads its arguments bound, with sl_bound_given.) */
int sl_layer_arg_given(const SlLayer *l, const char *key);
/* Append a line to the layer's notices (Keras 2 spellings, arguments accepted but unused). */
void sl_layer_notice(SlLayer *l, const char *text);
/* Read a shape argument: one sample's shape (batch_size= or None put in front), or a shape that
 * includes the batch axis. Errors name the argument. */
int sl_read_sample_shape(const SlBound *b, const char *key, SlShape *out, SlError *e);
int sl_read_batch_shape(const SlBound *b, const char *key, SlShape *out, SlError *e);
/* Every axis of s from `from` on must be a positive size or None; -1 or 0 get an error saying so. */
int sl_check_sizes(const SlShape *s, int from, const char *what, SlError *e);

/* Small shared pieces for type tables. */
void sl_layer_reset_nothing(SlLayer *l); /* for layers without carried state */
void sl_layer_destroy_cfg(SlLayer *l);   /* frees cfg */
void sl_layer_no_scratch(const SlLayer *l, const SlInfer *io, SlScratchDecl *d);
int sl_layer_no_params(SlLayer *l, const SlInfer *io, SlError *e);
void sl_layer_formula_none(const SlLayer *l, char *buf, size_t n); /* "no parameters" */
/* Require exactly n inputs (a learner calling a one-input layer on a list gets told). */
int sl_layer_expect_inputs(const SlLayer *l, const SlInfer *io, int n, SlError *e);
/* Outputs = one output carrying input 0's mask through (Dense, Activation, Dropout). */
void sl_infer_pass_mask(SlInfer *io);

#endif
