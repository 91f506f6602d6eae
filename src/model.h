/* model.h: a graph of layer calls, built with shapes known, planned for a batch, run both ways.
 *
 *   build:  every call's output shapes are inferred as it is added (None kept symbolic), and the
 *           layer's parameters are declared on its first call;
 *   params: one arena for values, one for gradients, carved in declaration order;
 *   plan:   for a concrete batch every activation, gradient, mask and scratch buffer is carved
 *           from one block sized for a capacity; a batch that fits runs on views of it, and only a
 *           larger one grows it, so a training step allocates nothing.
 *
 * Sequential is a chain on the same graph as the functional API: one forward, one backward.
 * Tensors of the graph are referred to by small integer ids (the "Keras tensors" of the
 * functional API).
 *
 * Where the functions live: building and parameters in src/model.c; the plan, the input check,
 * forward and backward in src/plan.c; sl_model_check_codes and sl_model_code_range with the
 * Embedding layer in src/layers/embedding.c. What a Keras user calls after building (compile,
 * fit, predict, weights, summary) is declared in train.h.
 */
#ifndef SL_MODEL_H
#define SL_MODEL_H

#include <stdint.h>

#include "arena.h"
#include "layer.h"
#include "loss.h"
#include "optim.h"
#include "trace.h"

enum {
    SL_MAX_NODES = 256,
    SL_MAX_TENSORS = 512,
    SL_MAX_MODEL_IO = 8,
    SL_MAX_MODEL_PARAMS = 512,
    SL_MAX_METRICS = 8,
    SL_MAX_GROUPS = 32
};

/* One call of a layer: a layer used twice has two nodes and one set of weights. */
typedef struct SlNode {
    SlLayer *layer;
    int in[SL_MAX_IO], out[SL_MAX_IO]; /* tensor ids */
    SlInfer sym;                       /* shapes as built (None kept) */
    SlInfer run;                       /* shapes of the current plan */
    SlScratchDecl scratch;             /* for the current plan */
    size_t scratch_cap[SL_MAX_SCRATCH];
    sl_real *scratch_buf[SL_MAX_SCRATCH];
    char why[256]; /* why the shape changed, for the current plan (or as built) */
    int group;     /* the nested model this call was copied from (SlModel.groups), or -1 */
} SlNode;

/* A model used as a layer of this one (outer.add(inner), inner(x)): its calls are copied in among
 * this model's calls, sharing its layers and weights, and the summary shows them as one row, as
 * Keras shows a nested model: "encoder (Functional)  (None, 16)  18672". */
typedef struct SlGroup {
    char name[SL_NAME_MAX];    /* the inner model's name */
    int sequential;            /* it was a Sequential model (else "Functional") */
    int n_in, in[SL_MAX_IO];   /* the tensors of this model it was called on */
    int n_out, out[SL_MAX_IO]; /* its outputs among this model's tensors */
} SlGroup;

/* A tensor of the graph: the edge from a producing call to its consumers. */
typedef struct SlEdge {
    SlShape shape; /* symbolic */
    int has_mask;
    int node, index; /* producer */
    SlShape run;     /* concrete, in the current plan */
    size_t cap;      /* planned elements */
    sl_real *val, *grad;
    unsigned char *mask;     /* the mask this tensor carries in the current pass, or NULL */
    unsigned char *mask_buf; /* storage for masks created here (SL_MASK_NEW) */
    size_t mask_cap;
} SlEdge;

typedef struct SlModel {
    char name[SL_NAME_MAX];
    int sequential;
    int n_layers;
    SlLayer *layers[SL_MAX_NODES]; /* owned from the moment they are passed in; distinct */
    int n_nodes;
    SlNode nodes[SL_MAX_NODES];         /* in call order, which is a topological order */
    unsigned char active[SL_MAX_NODES]; /* on a path from the inputs to the outputs */
    int n_tensors;
    SlEdge t[SL_MAX_TENSORS];
    int n_inputs, inputs[SL_MAX_MODEL_IO];
    int n_outputs, outputs[SL_MAX_MODEL_IO];
    int n_pending; /* Sequential layers waiting for an input shape */
    SlLayer *pending[SL_MAX_NODES];
    int n_groups; /* nested models */
    SlGroup groups[SL_MAX_GROUPS];
    int cur_group; /* while a nested model's calls are copied in: its group; else -1 */
    int scratch;   /* a graph that models are cut from (sl_model_functional), never run itself:
                      two of its layers may share a name, as two models' layers may */
    /* parameters: pointers into the layers' SlParam tables, in order of declaration */
    int n_params;
    SlParam *params[SL_MAX_MODEL_PARAMS];
    char param_names[SL_MAX_MODEL_PARAMS][SL_PARAM_NAME_MAX]; /* "dense_1/kernel" */
    SlArena values, grads;
    int params_ready; /* arenas match the declared parameters */
    uint64_t seed;    /* for initial weights */
    /* the plan */
    int planned;
    int forwarded; /* the buffers hold a forward pass of the current plan (backward needs one) */
    int skip_input_grads; /* backward may leave the gradient of the model's inputs unwritten */
    SlArena act;          /* activations, gradients and scratch */
    unsigned char *mask_block;
    size_t mask_block_size;
    SlRng rng; /* training randomness (Dropout) */
    const SlObserver *obs;
    /* compile(): losses per output (loss_weight scales each), metrics, the optimizer */
    int compiled;
    SlLoss loss[SL_MAX_MODEL_IO];
    double loss_weight[SL_MAX_MODEL_IO];
    int n_metrics, n_weighted;
    SlMetric metrics[SL_MAX_METRICS];  /* ignore sample weights, as Keras's metrics= */
    SlMetric weighted[SL_MAX_METRICS]; /* weighted_metrics= */
    SlOptimizer opt;
} SlModel;

SlModel *sl_model_new(const char *name);
SlModel *sl_sequential(const char *name);
void sl_model_free(SlModel *m);

/* ---- building ---- */
/* Sequential: append a layer (the model takes ownership, also on error). The first layer needs an
 * input shape (input_shape=..., or an InputLayer), or the model waits for sl_model_build.
 * l may be NULL when its creation failed: then this returns -1 and leaves e as creation set it, so
 * sl_model_add(m, sl_layer("Dense", "3", &e), &e) reports the right error. */
int sl_model_add(SlModel *m, SlLayer *l, SlError *e);
/* Sequential without an input shape: build for this shape (batch axis included). */
int sl_model_build(SlModel *m, SlShape input, SlError *e);
/* Functional: an input tensor, and a call of a layer on tensors. Returns tensor ids (>= 0), or -1.
 * sl_model_call writes the ids of the call's outputs to outs (may be NULL) and returns the first.
 * As with sl_model_add, the model owns the layer from then on, also on error (one it cannot take
 * is freed), except a layer inside a wrapper, which stays its wrapper's. */
int sl_model_input(SlModel *m, SlLayer *input_layer, SlError *e);
int sl_model_call(SlModel *m, SlLayer *l, int n_in, const int *in, int *outs, SlError *e);
/* Functional: choose the model's inputs and outputs. */
int sl_model_set_io(SlModel *m, int n_in, const int *in, int n_out, const int *out, SlError *e);
/* Functional, several models on one graph (encoder = Model(inputs, h); full = Model(inputs, out)):
 * a new model named `name` of the calls of g that lead from the Input tensors `in` to the tensors
 * `out` (ids in g), holding g's layers too (a layer shared by two models shares its weights). An
 * output that needs an Input not among `in` is Keras's "graph disconnected" error. */
SlModel *sl_model_functional(const SlModel *g, int n_in, const int *in, int n_out, const int *out,
                             const char *name, SlError *e);
/* A model used as a layer: inner's calls copied into m after the tensors `in` (one per input of
 * inner, each of a shape inner accepts), as group m->groups[...]; outs gets the ids of inner's
 * outputs in m. inner's layers are shared, so are their weights. A Sequential inner model's weight
 * names get its name in front, as Keras 3's variable paths have it ("sequential/dense/kernel"). */
int sl_model_call_model(SlModel *m, const SlModel *inner, int n_in, const int *in, int *outs,
                        SlError *e);
/* Sequential: append a whole model (outer.add(inner)), which has one input and one output; a
 * chain without an input yet starts with an InputLayer of inner's input shape. */
int sl_model_add_model(SlModel *m, SlModel *inner, SlError *e);

SlShape sl_model_output_shape(const SlModel *m, int k);
size_t sl_model_count_params(const SlModel *m);

/* ---- parameters ---- */
/* Allocate parameter and gradient arenas (if the declared parameters changed) and initialize
 * every parameter with its initializer from a generator seeded with `seed`. */
int sl_model_init_params(SlModel *m, uint64_t seed, SlError *e);
/* Full Keras name of a parameter: "dense_1/kernel". */
void sl_param_full_name(const SlModel *m, int i, char *buf, size_t n);
int sl_model_find_param(const SlModel *m, const char *full_name);

/* Make the arenas match the declared parameters, keeping values already set and initializing new
 * ones (with the model's seed). Called by plan; call it before touching weights of a fresh model.
 */
int sl_model_ensure_params(SlModel *m, SlError *e);

/* ---- running ---- */
/* Plan for these input shapes (concrete). Allocates only when they need more room than planned. */
int sl_model_plan(SlModel *m, const SlShape *in_shapes, SlError *e);
/* Mark the calls the outputs need (active[]); an error when they need an Input that is not one
 * of the model's inputs (Keras's "Graph disconnected"). */
int sl_model_mark_active(SlModel *m, SlError *e);
/* Does data of this shape fit input k? The error says what was expected, what arrived, the fix. */
int sl_model_check_input(const SlModel *m, int k, const SlShape *got, SlError *e);
/* Integer codes read straight from input k by a layer that declares `codes` (Embedding): each must
 * be a whole number below the codes; the error names the layer, the value, where it is, the fix. */
int sl_model_check_codes(const SlModel *m, int k, const SlTensor *x, SlError *e);
/* How many codes input k may hold when it feeds such layers (the smallest count), else 0. */
int sl_model_code_range(const SlModel *m, int k);
/* Only the shapes of a plan: check the inputs and infer every call's concrete shapes (into
 * nodes[].run and t[].run), allocating nothing. */
int sl_model_plan_shapes(SlModel *m, const SlShape *in_shapes, SlError *e);
/* Forward on a batch: copies inputs in, runs every call. Plans (and initializes parameters with
 * seed 0, if not done) as needed. */
int sl_model_forward(SlModel *m, const SlTensor *inputs, int training, SlError *e);
/* Backward from gradients of the outputs (shaped as the outputs of the last forward). Parameter
 * gradients are zeroed first, then accumulated; so are the gradients of every tensor. */
int sl_model_backward(SlModel *m, const SlTensor *d_outputs, int training, SlError *e);
/* ---- what regularizers add to the loss, and constraints (src/penalty.c) ---- */
/* The regularizers' terms for the forward pass just run, as Keras adds them to the loss: every
 * trainable weight's regularizer at its value, and each active call's activity regularizer on
 * each of its outputs, divided by that output's batch size. 0 when the model has none. */
double sl_model_penalty(const SlModel *m);
/* Backward of the loss plus sl_model_penalty: sl_model_backward, with each activity regularizer's
 * gradient added to its outputs' gradients before their layer's backward, and each weight
 * regularizer's to its weight's gradient. */
int sl_model_backward_penalized(SlModel *m, const SlTensor *d_outputs, int training, SlError *e);
/* Project every trainable weight that has a constraint; fit calls it after each optimizer step. */
void sl_model_apply_constraints(SlModel *m);
/* For plan.c's backward: the activity regularizers' gradients into the outputs' gradients, and
 * the weight regularizers' into the weights' gradients. */
void sl_model_activity_grads(SlModel *m);
void sl_model_weight_penalty_grads(SlModel *m);

SlTensor sl_model_output(const SlModel *m, int k);     /* view, valid until the next forward */
SlTensor sl_model_input_grad(const SlModel *m, int k); /* view, valid until the next forward */
void sl_model_reset_states(SlModel *m);
void sl_model_set_observer(SlModel *m, const SlObserver *obs);
void sl_model_seed_rng(SlModel *m, uint64_t seed);
/* Are the output shapes of a call within the limits (tensor.h)? Every axis a size or None, and
 * at most SL_MAX_ELEMENTS values per tensor (per sample while the batch axis is None). The error
 * names the layer and the limit. */
int sl_check_output_sizes(const SlLayer *l, const SlInfer *io, SlError *e);
/* The call's "why the shape changed" sentence into nd->why, with a note when a mask is dropped. */
void sl_node_explain(SlNode *nd, const SlInfer *io);

#endif
