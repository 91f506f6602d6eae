/* activation.c: activation functions and the Activation layer.
 *
 * Shapes: Activation keeps the shape, (batch, ..., n) -> (batch, ..., n), and passes the mask on.
 *
 * Forward, elementwise y = f(x), except softmax, which normalises each vector of the last axis:
 *   y_j = exp(x_j - max x) / sum_k exp(x_k - max x).
 * Backward, dx = f'(x) * dy, with each derivative written beside its function below, in terms of
 * x or of y = f(x) where that is shorter (sigmoid: y (1 - y); tanh: 1 - y^2). Softmax couples the
 * last axis: with g = dL/dy, dx_j = sum_k g_k (dy_k/dx_j) = y_j (g_j - sum_k g_k y_k).
 * At a kink the derivative comes from the piece on the left (or the flat piece), as TensorFlow
 * and PyTorch take it: relu'(0) = 0, elu'(0) = 1, selu'(0) = scale * alpha, and hard_sigmoid's
 * derivative is 0 at both ends of its ramp (-3 and 3; -2.5 and 2.5 for hard_sigmoid_k2).
 *
 * The loops below are the reference, one value at a time in double; with the fast kernels the
 * common functions run as vector loops in float (src/kernels/act.c).
 */
#include "activation.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "kernels/kernels.h"
#include "layer.h"

static const struct {
    const char *name;
    SlAct act;
} act_names[] = {
    {"linear", SL_ACT_LINEAR},
    {"relu", SL_ACT_RELU},
    {"elu", SL_ACT_ELU},
    {"selu", SL_ACT_SELU},
    {"sigmoid", SL_ACT_SIGMOID},
    {"hard_sigmoid", SL_ACT_HARD_SIGMOID},
    {"hard_sigmoid_k2", SL_ACT_HARD_SIGMOID_K2},
    {"tanh", SL_ACT_TANH},
    {"softplus", SL_ACT_SOFTPLUS},
    {"softsign", SL_ACT_SOFTSIGN},
    {"swish", SL_ACT_SWISH},
    {"silu", SL_ACT_SWISH},
    {"softmax", SL_ACT_SOFTMAX},
};
enum { N_ACT_NAMES = sizeof act_names / sizeof act_names[0] };

/* SELU's constants (Klambauer et al. 2017), as Keras and PyTorch use them. */
static const double selu_alpha = 1.6732632423543772848170429916717;
static const double selu_scale = 1.0507009873554804934193349852946;

int sl_act_parse(const char *name, SlAct *out)
{
    if (!name) {
        *out = SL_ACT_LINEAR;
        return 0;
    }
    for (int i = 0; i < N_ACT_NAMES; i++)
        if (!strcmp(act_names[i].name, name)) {
            *out = act_names[i].act;
            return 0;
        }
    return -1;
}

const char *sl_act_name(SlAct a)
{
    for (int i = 0; i < N_ACT_NAMES; i++)
        if (act_names[i].act == a)
            return act_names[i].name;
    return "?";
}

const char *sl_act_names(void)
{
    return "linear, relu, elu, selu, sigmoid, hard_sigmoid, hard_sigmoid_k2, tanh, softplus, "
           "softsign, swish (silu), softmax";
}

int sl_act_read(SlAct *out, const SlBound *b, const char *key, SlError *e)
{
    const char *v = sl_bound_str(b, key);
    if (sl_act_parse(v, out) < 0)
        return sl_errorf(e, "unknown activation '%s' for argument '%s'; shapelab knows %s", v, key,
                         sl_act_names());
    return 0;
}

static double sigmoid(double x)
{
    return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}

/* One element of every function but softmax. */
static double act1(SlAct a, double x)
{
    switch (a) {
    case SL_ACT_RELU:
        return x > 0 ? x : 0;
    case SL_ACT_ELU:
        return x > 0 ? x : expm1(x);
    case SL_ACT_SELU:
        return selu_scale * (x > 0 ? x : selu_alpha * expm1(x));
    case SL_ACT_SIGMOID:
        return sigmoid(x);
    case SL_ACT_HARD_SIGMOID:
        return x <= -3 ? 0 : (x >= 3 ? 1 : (x + 3) / 6);
    case SL_ACT_HARD_SIGMOID_K2:
        return x <= -2.5 ? 0 : (x >= 2.5 ? 1 : 0.2 * x + 0.5);
    case SL_ACT_TANH:
        return tanh(x);
    case SL_ACT_SOFTPLUS: /* log(1 + e^x), without overflow for large x */
        return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
    case SL_ACT_SOFTSIGN:
        return x / (1 + fabs(x));
    case SL_ACT_SWISH:
        return x * sigmoid(x);
    default:
        return x;
    }
}

/* f'(x), given x and y = f(x). */
static double dact1(SlAct a, double x, double y)
{
    switch (a) {
    case SL_ACT_RELU:
        return x > 0 ? 1 : 0;
    case SL_ACT_ELU: /* e^x = y + 1 below zero */
        return x > 0 ? 1 : y + 1;
    case SL_ACT_SELU: /* scale * alpha * e^x = y + scale * alpha below zero */
        return x > 0 ? selu_scale : y + selu_scale * selu_alpha;
    case SL_ACT_SIGMOID:
        return y * (1 - y);
    case SL_ACT_HARD_SIGMOID:
        return (x > -3 && x < 3) ? 1.0 / 6.0 : 0;
    case SL_ACT_HARD_SIGMOID_K2:
        return (x > -2.5 && x < 2.5) ? 0.2 : 0;
    case SL_ACT_TANH:
        return 1 - y * y;
    case SL_ACT_SOFTPLUS: /* d/dx log(1 + e^x) = sigmoid(x) */
        return sigmoid(x);
    case SL_ACT_SOFTSIGN: {
        double d = 1 + fabs(x);
        return 1 / (d * d);
    }
    case SL_ACT_SWISH: { /* s + x s (1 - s) */
        double s = sigmoid(x);
        return s * (1 + x * (1 - s));
    }
    default:
        return 1;
    }
}

static void softmax_row(sl_real *y, const sl_real *x, size_t n)
{
    double mx = x[0], sum = 0;
    for (size_t j = 1; j < n; j++)
        mx = x[j] > mx ? x[j] : mx;
    for (size_t j = 0; j < n; j++) {
        y[j] = (sl_real)exp(x[j] - mx);
        sum += y[j];
    }
    for (size_t j = 0; j < n; j++)
        y[j] = (sl_real)(y[j] / sum);
}

void sl_act_forward_rows(SlAct a, sl_real *y, const sl_real *x, size_t ld, size_t rows, size_t cols)
{
    if (a == SL_ACT_SOFTMAX) {
        for (size_t r = 0; r < rows; r++)
            softmax_row(y + r * ld, x + r * ld, cols);
        return;
    }
    if (a == SL_ACT_LINEAR) {
        for (size_t r = 0; y != x && r < rows; r++)
            memcpy(y + r * ld, x + r * ld, cols * sizeof *y);
        return;
    }
    if (sl_kernels_fast() && sl_act_fast_forward(a, y, x, ld, rows, cols))
        return;
    for (size_t r = 0; r < rows; r++)
        for (size_t i = 0; i < cols; i++)
            y[r * ld + i] = (sl_real)act1(a, x[r * ld + i]);
}

void sl_act_forward(SlAct a, sl_real *y, const sl_real *x, size_t rows, size_t cols)
{
    sl_act_forward_rows(a, y, x, cols, rows, cols);
}

void sl_act_backward_rows(SlAct a, sl_real *dx, const sl_real *dy, const sl_real *x,
                          const sl_real *y, size_t ld, size_t rows, size_t cols)
{
    if (a == SL_ACT_SOFTMAX) {
        for (size_t r = 0; r < rows; r++) {
            const sl_real *yr = y + r * ld, *dyr = dy + r * ld;
            double dot = 0; /* sum_k dy_k y_k */
            for (size_t k = 0; k < cols; k++)
                dot += dyr[k] * yr[k];
            for (size_t j = 0; j < cols; j++)
                dx[r * ld + j] += (sl_real)(yr[j] * (dyr[j] - dot));
        }
        return;
    }
    if (sl_kernels_fast() && sl_act_fast_backward(a, dx, dy, x, y, ld, rows, cols))
        return;
    for (size_t r = 0; r < rows; r++)
        for (size_t i = 0; i < cols; i++) {
            size_t k = r * ld + i;
            dx[k] += (sl_real)(dact1(a, x[k], y[k]) * dy[k]);
        }
}

void sl_act_backward(SlAct a, sl_real *dx, const sl_real *dy, const sl_real *x, const sl_real *y,
                     size_t rows, size_t cols)
{
    sl_act_backward_rows(a, dx, dy, x, y, cols, rows, cols);
}

int sl_act_backward_from_y(SlAct a)
{
    switch (a) {
    case SL_ACT_LINEAR:
    case SL_ACT_SIGMOID: /* y (1 - y) */
    case SL_ACT_TANH:    /* 1 - y^2 */
    case SL_ACT_SOFTMAX:
        return 1;
    case SL_ACT_RELU: /* x > 0 exactly where y > 0 */
    case SL_ACT_ELU:
    case SL_ACT_SELU:
        return 1;
    default:
        return 0;
    }
}

const sl_real *sl_act_grad(SlAct a, sl_real *dz, const sl_real *dy, const sl_real *z,
                           const sl_real *y, size_t rows, size_t cols)
{
    if (a == SL_ACT_LINEAR)
        return dy;
    memset(dz, 0, rows * cols * sizeof *dz);
    sl_act_backward(a, dz, dy, z, y, rows, cols);
    return dz;
}

/* ---- the Activation layer ---- */

typedef struct ActCfg {
    SlAct act;
} ActCfg;

static const SlArgSpec act_args[] = {
    {"activation", SL_ARG_STR, NULL, "the function: 'relu', 'tanh', 'softmax', ..."},
};

static int act_create(SlLayer *l, const SlBound *b, SlError *e)
{
    ActCfg *c = sl_alloc_zero(1, sizeof *c);
    if (!c)
        return sl_errorf(e, "out of memory");
    l->cfg = c;
    return sl_act_read(&c->act, b, "activation", e);
}

static int act_infer(SlLayer *l, SlInfer *io, SlError *e)
{
    if (sl_layer_expect_inputs(l, io, 1, e) < 0)
        return -1;
    io->out[0] = io->in[0];
    sl_infer_pass_mask(io);
    return 0;
}

/* Activation's buffers are its input and output, which the plan keeps; rows x cols views. */
static void act_rows_cols(const SlTensor *t, size_t *rows, size_t *cols)
{
    *cols = (size_t)t->shape.dim[t->shape.rank - 1];
    *rows = *cols ? sl_tensor_count(t) / *cols : 0;
}

static void act_forward(SlLayer *l, SlPass *p)
{
    const ActCfg *c = l->cfg;
    size_t rows, cols;
    act_rows_cols(&p->x[0], &rows, &cols);
    sl_act_forward(c->act, p->y[0].data, p->x[0].data, rows, cols);
}

static void act_backward(SlLayer *l, SlPass *p)
{
    const ActCfg *c = l->cfg;
    size_t rows, cols;
    act_rows_cols(&p->x[0], &rows, &cols);
    sl_act_backward(c->act, p->dx[0].data, p->dy[0].data, p->x[0].data, p->y[0].data, rows, cols);
}

static void act_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    const ActCfg *c = l->cfg;
    char s[96];
    sl_shape_str(&io->out[0], s, sizeof s);
    if (c->act == SL_ACT_SOFTMAX)
        snprintf(buf, n,
                 "softmax normalises each vector of the last axis to sum 1: the shape stays %s", s);
    else
        snprintf(buf, n, "%s acts on each number by itself: the shape stays %s",
                 sl_act_name(c->act), s);
}

const SlLayerType sl_activation_type = {
    .name = "Activation",
    .snake = "activation",
    .aliases = "",
    .summary = "applies an activation function; the shape does not change",
    .args = act_args,
    .n_args = sizeof act_args / sizeof act_args[0],
    .example_args = "'tanh'",
    .example_input = "(2, 4, 5)",
    .kind = 0,
    .steps = SL_STEPS_EACH,
    .create = act_create,
    .infer = act_infer,
    .params = sl_layer_no_params,
    .scratch = sl_layer_no_scratch,
    .forward = act_forward,
    .backward = act_backward,
    .reset = sl_layer_reset_nothing,
    .explain = act_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

void sl_act_scratch(SlAct a, size_t n, SlScratchDecl *d)
{
    if (a == SL_ACT_LINEAR)
        return;
    d->name[d->n] = "z (before the activation)";
    d->count[d->n++] = n;
    d->name[d->n] = "dz";
    d->count[d->n++] = n;
}
