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
#include "init.h"
#include "regularizer.h"
#include "rng.h"
#include "tensor.h"

enum {
    SL_MAX_IO = 6,     /* inputs or outputs of one layer call (Bidirectional LSTM with states: 5) */
    SL_MAX_PARAMS = 8, /* parameter tensors of one layer */
    SL_MAX_SCRATCH = 12, /* scratch buffers of one layer call (a grouped channels_first Conv: 11) */
    SL_NAME_MAX = 64,    /* layer names */
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

/* Keras's three arguments of one weight: <w>_initializer, <w>_regularizer and <w>_constraint
 * (kernel_initializer, kernel_regularizer, kernel_constraint). */
typedef struct SlWeightArgs {
    SlInit init;
    SlRegularizer reg; /* added to the loss (src/penalty.c) */
    SlConstraint con;  /* applied after each optimizer step */
} SlWeightArgs;

typedef struct SlParam {
    char name[SL_PARAM_NAME_MAX]; /* Keras path below the layer: "kernel", "lstm_cell/kernel" */
    SlShape shape;                /* no batch axis: Dense kernel (in, units) */
    SlInit init;                  /* how it starts: glorot_uniform, zeros, RandomNormal(...) */
    SlRegularizer reg;
    SlConstraint con;
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
    /* backward: nobody reads dx[k] (the data's gradient, while fit trains), so the layer may leave
     * it unwritten; writing it anyway is harmless */
    unsigned char no_dx[SL_MAX_IO];
    SlRng *rng;            /* randomness for training (Dropout) */
    const SlObserver *obs; /* trace listener, NULL when nobody listens */
    SlLayer *layer;
} SlPass;

/* ---- facts a layer type declares about itself ----
 * Other code asks these instead of comparing names or pointers: the receptive field asks `steps`
 * and `window`, the model asks `kind`, the visualizer asks `scenes`. A new layer declares them in
 * its own table and no list elsewhere learns its name. */

/* What a layer is, as bits of SlLayerType.kind. */
enum {
    SL_KIND_INPUT = 1,     /* a model's entry point (InputLayer): makes a tensor, takes none */
    SL_KIND_WRAPPER = 2,   /* holds an inner layer: made with sl_layer_wrap (TimeDistributed) */
    SL_KIND_RECURRENT = 4, /* a recurrent layer of src/layers/rnn.c: steps in time with a state,
                              so Bidirectional can wrap it and sl_rnn_* accept it */
    SL_KIND_MERGE = 8,     /* merges a list of tensors into one (src/layers/merge.c); Keras also
                              spells it as a function of the list, named like its layers:
                              layers.add([a, b]) is Add()([a, b]) */
    /* a merge that sets its inputs side by side along its `axis` argument (Concatenate): the
     * output's size there is the sum of theirs, its other axes are theirs (sl_layer_join_axis) */
    SL_KIND_JOIN = 16,
    /* a merge that combines its inputs element by element (Add ...): their axes line up from the
     * last, and an axis of size 1, or one a lower-rank input lacks, repeats (broadcasts) */
    SL_KIND_ELEMENTWISE = 32,
};

/* How a layer treats the steps axis (axis 1), for receptive fields. */
typedef enum SlSteps {
    SL_STEPS_EACH,   /* each step alone: the output at step t reads input step t only */
    SL_STEPS_WINDOW, /* a window of neighbouring steps, which `window` describes */
    SL_STEPS_ALL     /* rearranges or mixes the steps (a recurrent state, Flatten, Permute) */
} SlSteps;

/* How a window layer reads its input along one spatial axis: output cell o reads input cells
 * o*s - pad_before + t*d, t = 0 .. k-1. A transposed window runs the other way (a transposed
 * convolution, UpSampling): input cell i feeds output cells i*s - before + t*d, so an output cell
 * reads about k / s input cells and the length grows about s times. */
typedef enum SlPadding {
    SL_PAD_VALID,  /* no padding: the kernel stays inside the input */
    SL_PAD_SAME,   /* TensorFlow's rule: out = ceil(n / s), the odd cell of padding goes after */
    SL_PAD_CAUSAL, /* Conv1D only: all the padding on the left, (k - 1) * d cells */
} SlPadding;
typedef struct SlWindowGeom {
    int k, s, d;    /* taps, stride, dilation */
    SlPadding pad;  /* how the length changes (with shift 0) */
    int shift;      /* ZeroPadding / Cropping: 1, with `before` / `after` cells added (< 0: cut) */
    int transposed; /* 1: input cell i feeds outputs i*s - before + t*d; the output is the whole
                       scatter, (n - 1) * s + 1 + (k - 1) * d cells, less `before` cells cut at the
                       start and `after` at the end (< 0: zeros added) */
    int before, after;
} SlWindowGeom;

/* A scene that draws a layer (the scenes live in viz/; the engine knows them by name only). */
typedef struct SlSceneClaim {
    const char *scene; /* as `shapelab png --scene` takes it: "lstm" */
    int weight;        /* SL_SCENE_*: how much of that scene is about this layer */
    const char *why;   /* what the scene shows of it, for the learner: "its gates, step by step" */
    int part;          /* which part of that scene shows it, when the scene has parts; else 0 */
} SlSceneClaim;

/* The model's scene is the one claimed with the greatest weight; among equals, the first layer's
 * (viz/scene.c, sl_scene_best). */
enum {
    SL_SCENE_SHOWN = 0, /* the scene shows this layer when asked for, but is not picked for it */
    SL_SCENE_AMONG = 1, /* the scene shows this layer among other things */
    SL_SCENE_OWN = 2,   /* the scene is this layer's own mechanism (an LSTM's gates) */
    SL_SCENE_ABOUT = 3, /* the scene exists for this configuration (stateful, dilated, two-way) */
    SL_MAX_CLAIMS = 3
};

/* The parts of the seq2seq scene (three designs for an output of another length, item 8). */
enum {
    SL_SEQ2SEQ_REPEAT = 1,  /* design (b): the encoder's vector repeated once per output step */
    SL_SEQ2SEQ_REGROUP = 2, /* design (a): steps regrouped to the output's length */
    SL_SEQ2SEQ_EACH = 3     /* design (a): a layer applied at every step, before and after */
};

typedef struct SlLayerType {
    const char *name;      /* Keras class name: "Dense" */
    const char *aliases;   /* other spellings, space-separated: "MaxPool1D"; "" for none */
    const char *snake;     /* base of generated names: "dense", "dense_1", ... */
    const char *summary;   /* one line for --help */
    const SlArgSpec *args; /* in Keras 3's positional order (SL_ARG_KEYWORD: keyword-only) */
    int n_args;
    /* An example call, for --help and for the tests that run every registered type through
     * shape inference and a gradient check: arguments ("3, activation='tanh'"; a wrapper's is its
     * inner layer, "Dense(3)") and the input's shape with the batch axis ("(2, 4, 5)"). */
    const char *example_args, *example_input;
    unsigned kind; /* SL_KIND_* bits, 0 for an ordinary layer */
    SlSteps steps;
    int (*create)(SlLayer *l, const SlBound *b, SlError *e);
    int (*infer)(SlLayer *l, SlInfer *io, SlError *e); /* also declares what happens to masks */
    int (*params)(SlLayer *l, const SlInfer *io, SlError *e);
    void (*scratch)(const SlLayer *l, const SlInfer *io, SlScratchDecl *d);
    void (*forward)(SlLayer *l, SlPass *p);
    void (*backward)(SlLayer *l, SlPass *p);
    void (*reset)(SlLayer *l);
    void (*explain)(const SlLayer *l, const SlInfer *io, char *buf, size_t n);
    void (*formula)(const SlLayer *l, char *buf, size_t n);
    /* For `summary --explain`, a note under the formula (where Keras 2 had other defaults that
     * change this layer, or where its weights' layout surprises); writes "" when there is none. */
    void (*note)(const SlLayer *l, char *buf, size_t n);
    /* Its window along spatial axis `axis` (0: steps or rows, 1: columns): 1 and *w, or 0. */
    int (*window)(const SlLayer *l, int axis, SlWindowGeom *w);
    /* How many integer codes the layer reads as input (Embedding: input_dim), 0 for real values:
     * data fed straight to it must hold whole numbers 0 .. codes-1. */
    int (*codes)(const SlLayer *l);
    /* The scenes that draw this layer, best first; returns how many (at most SL_MAX_CLAIMS). */
    int (*scenes)(const SlLayer *l, SlSceneClaim *out);
    void (*destroy)(SlLayer *l);
} SlLayerType;

struct SlLayer {
    const SlLayerType *type;
    /* How this layer treats the steps: its type's `steps`, which a type whose answer depends on
     * its arguments sets again when it is built (LayerNormalization over axis 1 mixes them). */
    SlSteps steps;
    char name[SL_NAME_MAX];
    char dtype[16]; /* dtype= as given ("int32" for an Input of integer codes), "" for float */
    void *cfg;      /* the type's own configuration and state */
    int built;      /* parameters declared */
    int trainable;
    int n_params;
    SlParam params[SL_MAX_PARAMS];
    int n_child; /* wrappers: the layers they hold */
    SlLayer *child[2];
    SlLayer *parent; /* the wrapper holding this layer, or NULL */
    int refs;        /* holders beyond the first (models that share it): sl_layer_retain */
    SlArgs *args;    /* the arguments it was made with (to make a twin: Bidirectional) */
    /* From input_shape= / batch_input_shape= / input_dim= / batch_size=: the shape of the data
     * this layer expects, batch axis included. */
    int has_input_shape;
    SlShape input_shape;
    /* activity_regularizer=: a term on each of its outputs, divided by the batch size */
    SlRegularizer activity;
    char notice[256]; /* Keras-2 spellings used, for the caller to show; "" if none */
};

/* ---- the registry of layer types ---- */
const SlLayerType *sl_layer_type_find(const char *name); /* "Dense", also aliases */
/* 1 for a Keras layer class shapelab knows by name, built or not yet built (LSTM ...). */
int sl_layer_name_known(const char *name);
/* For a Keras layer shapelab refuses on purpose (Lambda): why, and what to write instead; else
 * NULL. sl_layer_create refuses it with this text. */
const char *sl_layer_refused(const char *name);
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
/* The same with a second layer: Bidirectional(layer, backward_layer=second). On error both stay
 * the caller's. */
SlLayer *sl_layer_wrap_pair(const char *type, SlLayer *inner, SlLayer *second, const SlArgs *args,
                            SlError *e);
/* A new layer made with l's arguments, named `name`, with the boolean argument `key` (if not
 * NULL) set to `value`: Bidirectional's backward twin of its layer. */
SlLayer *sl_layer_twin(const SlLayer *l, const char *name, const char *key, int value, SlError *e);
/* The same from a Python-style argument string: sl_layer("Dense", "3, activation='tanh'", &e). */
SlLayer *sl_layer(const char *type, const char *args, SlError *e);
/* Release a layer: free it, unless sl_layer_retain gave it another holder (then one fewer). */
void sl_layer_free(SlLayer *l);
/* One more holder: a layer in two models (Keras shares its weights) is freed by the last. */
void sl_layer_retain(SlLayer *l);
/* A layer of type t made from its declared example (a wrapper around its example inner layer), and
 * the example's input shapes, batch axis included, into in[0 .. *n_in) (room for SL_MAX_IO; a
 * merge's example lists several: "(2, 3, 4), (2, 3, 4)"). */
SlLayer *sl_layer_example(const SlLayerType *t, SlShape *in, int *n_in, SlError *e);

/* Keras's per-class name counters (keras.backend.clear_session() resets them). */
void sl_clear_session(void);
void sl_unique_name(const char *base, char *out, size_t n);

/* For a type's create entry: the arguments <prefix>_initializer, <prefix>_regularizer and
 * <prefix>_constraint of b ("kernel", "recurrent", "bias", "embeddings", "alpha"). */
int sl_weight_args_read(SlLayer *l, SlWeightArgs *w, const SlBound *b, const char *prefix,
                        SlError *e);
/* For a type's params entry: declare one weight with its arguments, or with an initializer's
 * name alone ("zeros"; no regularizer, no constraint). Errors name the layer and the weight. */
int sl_layer_add_weight(SlLayer *l, const char *name, SlShape shape, const SlWeightArgs *w,
                        SlError *e);
int sl_layer_add_param(SlLayer *l, const char *name, SlShape shape, const char *init, SlError *e);
size_t sl_layer_count_params(const SlLayer *l); /* including children */

/* One formatter for shape errors, so every message names the layer, what was expected, what
 * arrived and the fix:
 *   layer 'lstm' (LSTM): expects (batch, timesteps, features), got (None, 31). Fix: ... */
int sl_layer_shape_error(SlError *e, const SlLayer *l, const char *expected, const SlShape *got,
                         const char *fix);

/* Table entries for the arguments of a weight (initializer, regularizer, constraint) and for a
 * layer's activity regularizer, the same in every layer that has them. */
#define SL_ARG_INITIALIZER(key, def, help)                                                         \
    {                                                                                              \
        key, SL_ARG_OBJECT, def, help                                                              \
    }
#define SL_ARG_REGULARIZER(key)                                                                    \
    {                                                                                              \
        key, SL_ARG_OBJECT | SL_ARG_OR_NONE, "None",                                               \
            "a term added to the loss: l2(0.01), l1(0.01), l1_l2(l1=..., l2=...)"                  \
    }
#define SL_ARG_CONSTRAINT(key)                                                                     \
    {                                                                                              \
        key, SL_ARG_OBJECT | SL_ARG_OR_NONE, "None",                                               \
            "applied after each training step: max_norm(3), non_neg(), unit_norm(), "              \
            "min_max_norm()"                                                                       \
    }
#define SL_ARG_ACTIVITY                                                                            \
    {                                                                                              \
        "activity_regularizer", SL_ARG_OBJECT | SL_ARG_OR_NONE, "None",                            \
            "a term on the layer's outputs added to the loss, divided by the batch size: l2(0.01)" \
    }
/* The run of seven that follows use_bias in Dense and the convolutions. */
#define SL_ARGS_KERNEL_BIAS                                                                        \
    SL_ARG_INITIALIZER("kernel_initializer", "'glorot_uniform'", "how the kernel starts"),         \
        SL_ARG_INITIALIZER("bias_initializer", "'zeros'", "how the bias starts"),                  \
        SL_ARG_REGULARIZER("kernel_regularizer"), SL_ARG_REGULARIZER("bias_regularizer"),          \
        SL_ARG_ACTIVITY, SL_ARG_CONSTRAINT("kernel_constraint"),                                   \
        SL_ARG_CONSTRAINT("bias_constraint")
/* Keras's fine-tuning and quantization arguments (Dense, Embedding), not supported yet. */
#define SL_ARG_LORA(flags)                                                                         \
    {"lora_rank", SL_ARG_INT | SL_ARG_OR_NONE | (flags), "None", "not supported yet: None only"},  \
    {                                                                                              \
        "lora_alpha", SL_ARG_FLOAT | SL_ARG_OR_NONE | (flags), "None",                             \
            "not supported yet: None only"                                                         \
    }
/* lora_rank, lora_alpha (and quantization_config, where declared) must stay None. */
int sl_refuse_lora(const SlBound *b, SlError *e);
/* An argument Keras has and shapelab cannot honour yet: -1 with "`key` is not supported yet"
 * and what to do instead, unless it is at its default (not given, or given as the default). */
int sl_not_yet(const SlBound *b, const char *key, const char *instead, SlError *e);

/* Did the user write the keyword argument `key` when making l? (For a default that Keras once had
 * otherwise; a type's create reads its arguments bound, with sl_bound_given.) */
int sl_layer_arg_given(const SlLayer *l, const char *key);
/* The string argument `key` as the layer was made with it, positional or keyword, its default
 * filled in ("None" for None), into buf; -1 when the layer has no such string argument. */
int sl_layer_arg_str(const SlLayer *l, const char *key, char *buf, size_t n);
/* The same for a number (an int, float or bool argument: BatchNormalization's axis, momentum),
 * into *out; -1 when the layer has no such argument or it is None. */
int sl_layer_arg_num(const SlLayer *l, const char *key, double *out);
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
/* Declare the slots from d->n up to `slot` empty, so that the next buffer lands at `slot`. */
void sl_scratch_skip_to(SlScratchDecl *d, int slot);
int sl_layer_no_params(SlLayer *l, const SlInfer *io, SlError *e);
void sl_layer_formula_none(const SlLayer *l, char *buf, size_t n); /* "no parameters" */
/* Require exactly n inputs (a learner calling a one-input layer on a list gets told). */
int sl_layer_expect_inputs(const SlLayer *l, const SlInfer *io, int n, SlError *e);
/* Outputs = one output carrying input 0's mask through (Dense, Activation, Dropout). */
void sl_infer_pass_mask(SlInfer *io);
/* An infer entry for layers that keep the shape: one input, its shape and mask out. */
int sl_infer_same_shape(SlLayer *l, SlInfer *io, SlError *e);
/* For the facts: no note, no window, real-valued input, no scene of its own (the shapes scene
 * draws every layer). */
void sl_layer_no_note(const SlLayer *l, char *buf, size_t n);
int sl_layer_no_window(const SlLayer *l, int axis, SlWindowGeom *w);
int sl_layer_reals(const SlLayer *l);
int sl_layer_no_scenes(const SlLayer *l, SlSceneClaim *out);

/* Asking the facts. */
static inline int sl_layer_is(const SlLayer *l, unsigned kind)
{
    return (l->type->kind & kind) != 0;
}
/* A SL_KIND_JOIN layer's axis for an output of this rank (its `axis` argument, counted from the
 * end when negative); -1 for any other layer, or an axis that is not after the batch axis. */
int sl_layer_join_axis(const SlLayer *l, int rank);
/* The layer's window along `axis`, asking a wrapper's inner layer (TimeDistributed(Conv1D)) when
 * the wrapper has none of its own. */
int sl_layer_window(const SlLayer *l, int axis, SlWindowGeom *w);

#endif
