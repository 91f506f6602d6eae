/* activation.h: Keras's activation functions as kernels, shared by the Activation layer, the
 * activation layers (ReLU, LeakyReLU, PReLU, ELU, Softmax) and every layer with an activation=
 * argument (Dense, Conv1D, Conv2D, the recurrent layers). */
#ifndef SL_ACTIVATION_H
#define SL_ACTIVATION_H

#include <stddef.h>

#include "layer.h"
#include "tensor.h"

typedef enum SlAct {
    SL_ACT_LINEAR,
    SL_ACT_RELU, /* relu(x, negative_slope, max_value, threshold); the name: 0, None, 0 */
    SL_ACT_ELU,  /* elu(x, alpha); the name: alpha 1 */
    SL_ACT_SELU,
    SL_ACT_SIGMOID,
    SL_ACT_HARD_SIGMOID,    /* Keras 3: relu6(x + 3) / 6 */
    SL_ACT_HARD_SIGMOID_K2, /* Keras 2: clip(0.2 x + 0.5, 0, 1) */
    SL_ACT_TANH,
    SL_ACT_SOFTPLUS,
    SL_ACT_SOFTSIGN,
    SL_ACT_SWISH,          /* x * sigmoid(x); Keras 3 also calls it silu */
    SL_ACT_SOFTMAX,        /* over the last axis */
    SL_ACT_LEAKY_RELU,     /* max(x, negative_slope x); the name: negative_slope 0.2 */
    SL_ACT_RELU6,          /* min(max(x, 0), 6) */
    SL_ACT_GELU,           /* x Phi(x), Phi the normal CDF (Keras's default approximate=False) */
    SL_ACT_CELU,           /* max(x, 0) + alpha expm1(min(x, 0) / alpha), alpha 1 */
    SL_ACT_SOFT_SHRINK,    /* x - 0.5 above 0.5, x + 0.5 below -0.5, else 0 */
    SL_ACT_HARD_SHRINK,    /* x where |x| > 0.5, else 0 */
    SL_ACT_SPARSE_PLUS,    /* 0, (x + 1)^2 / 4, x on (-inf, -1], (-1, 1), [1, inf) */
    SL_ACT_SQUAREPLUS,     /* (x + sqrt(x^2 + 4)) / 2 */
    SL_ACT_TANH_SHRINK,    /* x - tanh(x) */
    SL_ACT_HARD_TANH,      /* clip(x, -1, 1) */
    SL_ACT_SPARSE_SIGMOID, /* clip((x + 1) / 2, 0, 1) */
    SL_ACT_EXPONENTIAL,    /* exp(x) */
    SL_ACT_HARD_SILU,      /* x hard_sigmoid(x); also hard_swish */
    SL_ACT_MISH,           /* x tanh(softplus(x)) */
    SL_ACT_LOG_SIGMOID,    /* -softplus(-x) */
    SL_ACT_LOG_SOFTMAX     /* x - log(sum exp(x)) over the last axis */
} SlAct;

/* The arguments of the activations that take some (the names use Keras's defaults). */
typedef struct SlActArgs {
    double negative_slope; /* relu: 0, leaky_relu: 0.2 */
    double max_value;      /* relu: HUGE_VAL for None */
    double threshold;      /* relu: 0 */
    double alpha;          /* elu, celu: 1 */
} SlActArgs;

/* Look up a Keras name ("relu", "swish", "silu", None -> linear). -1 if unknown. */
int sl_act_parse(const char *name, SlAct *out);
const char *sl_act_name(SlAct a);
/* A comma-separated list of the names, for error messages. */
const char *sl_act_names(void);
/* The activation named by the argument `key` of b (None is linear); the error names the argument,
 * the value and the choices, as every layer words it. */
int sl_act_read(SlAct *out, const SlBound *b, const char *key, SlError *e);
/* The defaults of a's arguments. */
SlActArgs sl_act_defaults(SlAct a);

/* y = f(x) on a (rows, cols) block; softmax normalises each row of cols. y may equal x. */
void sl_act_forward(SlAct a, sl_real *y, const sl_real *x, size_t rows, size_t cols);
/* dx += f'(x) * dy, using x and y = f(x) (softmax: dx_j += y_j (dy_j - sum_k dy_k y_k)). */
void sl_act_backward(SlAct a, sl_real *dx, const sl_real *dy, const sl_real *x, const sl_real *y,
                     size_t rows, size_t cols);
/* The same two on rows of cols values that lie ld apart, in every array alike: a gate block of
 * several samples, side by side with the others in each sample's row (the recurrent cells). */
void sl_act_forward_rows(SlAct a, sl_real *y, const sl_real *x, size_t ld, size_t rows,
                         size_t cols);
void sl_act_backward_rows(SlAct a, sl_real *dx, const sl_real *dy, const sl_real *x,
                          const sl_real *y, size_t ld, size_t rows, size_t cols);
/* dx = f'(x) * dy on such rows: set, not added (dx is not read with the fast kernels). */
void sl_act_backward_rows_set(SlAct a, sl_real *dx, const sl_real *dy, const sl_real *x,
                              const sl_real *y, size_t ld, size_t rows, size_t cols);

/* 1 when sl_act_backward gives the same with y passed for x: the derivative is a function of
 * y = f(x) alone (sigmoid, tanh, relu, elu, selu, linear, softmax), so a layer may keep y only. */
int sl_act_backward_from_y(SlAct a);
/* The same with arguments (the activation layers: ReLU(max_value=6), LeakyReLU(0.1), ELU(0.5)). */
void sl_act_forward_args(SlAct a, const SlActArgs *p, sl_real *y, const sl_real *x, size_t rows,
                         size_t cols);
void sl_act_backward_args(SlAct a, const SlActArgs *p, sl_real *dx, const sl_real *dy,
                          const sl_real *x, const sl_real *y, size_t rows, size_t cols);

/* For a layer with an activation after its linear part z: the gradient of z, act'(z) * dy,
 * written to the scratch dz (rows, cols) and returned; with a linear activation, dy itself
 * (dz is not touched). */
const sl_real *sl_act_grad(SlAct a, sl_real *dz, const sl_real *dy, const sl_real *z,
                           const sl_real *y, size_t rows, size_t cols);

/* A layer with an activation= argument keeps z (before the activation) and dz for backward: this
 * declares the two, n elements each, after d's entries, unless the activation is linear. */
void sl_act_scratch(SlAct a, size_t n, SlScratchDecl *d);

#endif
