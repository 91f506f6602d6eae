/* activation.c: activation functions, the Activation layer, and the activation layers ReLU,
 * LeakyReLU, ELU, PReLU and Softmax.
 *
 * Shapes: every one keeps the shape, (batch, ..., n) -> (batch, ..., n), and passes the mask on.
 *
 * Forward, elementwise y = f(x), except softmax and log_softmax, which act on each vector of the
 * last axis (the Softmax layer: of the axis it is given):
 *   softmax      y_j = exp(x_j - max x) / sum_k exp(x_k - max x)
 *   log_softmax  y_j = x_j - max x - log sum_k exp(x_k - max x)
 * Backward, dx = f'(x) * dy, with each derivative written beside its function below, in terms of
 * x or of y = f(x) where that is shorter (sigmoid: y (1 - y); tanh: 1 - y^2). Softmax couples the
 * axis: with g = dL/dy, dx_j = sum_k g_k (dy_k/dx_j) = y_j (g_j - sum_k g_k y_k); log_softmax:
 * dx_j = g_j - exp(y_j) sum_k g_k.
 * At a kink the derivative comes from the piece on the left (or the flat piece), as TensorFlow
 * and PyTorch take it: relu'(0) = 0, elu'(0) = alpha, selu'(0) = scale * alpha, and hard_sigmoid's
 * derivative is 0 at both ends of its ramp (-3 and 3; -2.5 and 2.5 for hard_sigmoid_k2).
 *
 * The loops below are the reference, one value at a time in double; with the fast kernels the
 * common functions run as vector loops in float (src/kernels/act.c).
 *
 * Keras's relu takes arguments (the ReLU layer passes them):
 *   relu(x, negative_slope=0, max_value=None, threshold=0)
 *     with a slope s but no max_value and no threshold: leaky_relu, max(x, s x);
 *     else y = x above threshold (0 below; relu(x) for threshold 0), clipped to [0, max_value],
 *     then minus s * max(0, threshold - x)
 * PReLU learns the slope: y = x for x > 0, alpha x below, alpha (input_shape[1:], 1 along
 * shared_axes) a weight that starts at zeros; dalpha += dy * min(x, 0), dx = dy (1 or alpha).
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
    {"leaky_relu", SL_ACT_LEAKY_RELU},
    {"relu6", SL_ACT_RELU6},
    {"gelu", SL_ACT_GELU},
    {"celu", SL_ACT_CELU},
    {"soft_shrink", SL_ACT_SOFT_SHRINK},
    {"hard_shrink", SL_ACT_HARD_SHRINK},
    {"sparse_plus", SL_ACT_SPARSE_PLUS},
    {"squareplus", SL_ACT_SQUAREPLUS},
    {"tanh_shrink", SL_ACT_TANH_SHRINK},
    {"hard_tanh", SL_ACT_HARD_TANH},
    {"sparse_sigmoid", SL_ACT_SPARSE_SIGMOID},
    {"exponential", SL_ACT_EXPONENTIAL},
    {"hard_silu", SL_ACT_HARD_SILU},
    {"hard_swish", SL_ACT_HARD_SILU},
    {"mish", SL_ACT_MISH},
    {"log_sigmoid", SL_ACT_LOG_SIGMOID},
    {"log_softmax", SL_ACT_LOG_SOFTMAX},
};
enum { N_ACT_NAMES = sizeof act_names / sizeof act_names[0] };

/* Keras's activations shapelab does not have, with what to do instead. */
static const struct {
    const char *name, *instead;
} not_yet[] = {
    {"glu", "it halves the last axis; split it with two Dense layers and Multiply instead"},
    {"sparsemax", "use 'softmax'"},
    {"threshold", "it needs its threshold and default_value; use a ReLU(threshold=...) layer"},
};

/* SELU's constants (Klambauer et al. 2017), as Keras and PyTorch use them; sqrt(2 pi) for gelu. */
static const double selu_alpha = 1.6732632423543772848170429916717;
static const double selu_scale = 1.0507009873554804934193349852946;
static const double sqrt_2pi = 2.5066282746310005024157652848110;

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
           "softsign, swish (silu), softmax, leaky_relu, relu6, gelu, celu, soft_shrink, "
           "hard_shrink, sparse_plus, squareplus, tanh_shrink, hard_tanh, sparse_sigmoid, "
           "exponential, hard_silu (hard_swish), mish, log_sigmoid, log_softmax";
}

int sl_act_read(SlAct *out, const SlBound *b, const char *key, SlError *e)
{
    const char *v = sl_bound_str(b, key);
    if (sl_act_parse(v, out) == 0)
        return 0;
    for (size_t i = 0; i < sizeof not_yet / sizeof not_yet[0]; i++)
        if (!strcmp(not_yet[i].name, v))
            return sl_errorf(e, "%s='%s' is not supported yet; %s", key, v, not_yet[i].instead);
    return sl_errorf(e, "unknown activation '%s' for argument '%s'; shapelab knows %s", v, key,
                     sl_act_names());
}

SlActArgs sl_act_defaults(SlAct a)
{
    SlActArgs p = {0, HUGE_VAL, 0, 1};
    if (a == SL_ACT_LEAKY_RELU)
        p.negative_slope = 0.2;
    return p;
}

static double sigmoid(double x)
{
    return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}

static double softplus(double x) /* log(1 + e^x), without overflow for large x */
{
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

/* Keras's relu(x, negative_slope, max_value, threshold) (above) and its slope. */
static double relu_args(const SlActArgs *p, double x)
{
    double s = p->negative_slope, t = p->threshold, m = p->max_value;
    if (s != 0 && m == HUGE_VAL && t == 0)
        return fmax(x, s * x); /* leaky_relu */
    double y = t != 0 ? (x > t ? x : 0) : fmax(x, 0);
    if (m != HUGE_VAL)
        y = fmin(fmax(y, 0), m);
    return s != 0 ? y - s * fmax(0, t - x) : y;
}

static double drelu_args(const SlActArgs *p, double x)
{
    double s = p->negative_slope, t = p->threshold, m = p->max_value;
    if (s != 0 && m == HUGE_VAL && t == 0) /* the larger of x and s x */
        return x > 0 ? (s > 1 ? s : 1) : (s > 1 ? 1 : s);
    double d = x > t && x <= m ? 1 : 0;
    return s != 0 && x <= t ? d + s : d;
}

/* One element of every function but softmax and log_softmax. */
static double act1(SlAct a, const SlActArgs *p, double x)
{
    switch (a) {
    case SL_ACT_RELU:
    case SL_ACT_LEAKY_RELU:
        return relu_args(p, x);
    case SL_ACT_ELU: /* Keras: x where x >= 0 */
        return x >= 0 ? x : p->alpha * expm1(x);
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
    case SL_ACT_SOFTPLUS:
        return softplus(x);
    case SL_ACT_SOFTSIGN:
        return x / (1 + fabs(x));
    case SL_ACT_SWISH:
        return x * sigmoid(x);
    case SL_ACT_RELU6:
        return fmin(fmax(x, 0), 6);
    case SL_ACT_GELU:
        return 0.5 * x * (1 + erf(x / sqrt(2.0)));
    case SL_ACT_CELU:
        return fmax(x, 0) + p->alpha * expm1(fmin(x, 0) / p->alpha);
    case SL_ACT_SOFT_SHRINK:
        return x > 0.5 ? x - 0.5 : (x < -0.5 ? x + 0.5 : 0);
    case SL_ACT_HARD_SHRINK:
        return fabs(x) > 0.5 ? x : 0;
    case SL_ACT_SPARSE_PLUS:
        return x <= -1 ? 0 : (x < 1 ? (x + 1) * (x + 1) / 4 : x);
    case SL_ACT_SQUAREPLUS:
        return (x + sqrt(x * x + 4)) / 2;
    case SL_ACT_TANH_SHRINK:
        return x - tanh(x);
    case SL_ACT_HARD_TANH:
        return fmin(fmax(x, -1), 1);
    case SL_ACT_SPARSE_SIGMOID:
        return x <= -1 ? 0 : (x >= 1 ? 1 : 0.5 * (x + 1));
    case SL_ACT_EXPONENTIAL:
        return exp(x);
    case SL_ACT_HARD_SILU:
        return x * (x <= -3 ? 0 : (x >= 3 ? 1 : (x + 3) / 6));
    case SL_ACT_MISH:
        return x * tanh(softplus(x));
    case SL_ACT_LOG_SIGMOID:
        return -softplus(-x);
    default:
        return x;
    }
}

/* f'(x), given x and y = f(x). */
static double dact1(SlAct a, const SlActArgs *p, double x, double y)
{
    switch (a) {
    case SL_ACT_RELU:
    case SL_ACT_LEAKY_RELU:
        return drelu_args(p, x);
    case SL_ACT_ELU: /* alpha e^x = y + alpha below zero */
        return x > 0 ? 1 : y + p->alpha;
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
    case SL_ACT_RELU6:
        return x > 0 && x < 6 ? 1 : 0;
    case SL_ACT_GELU: /* Phi(x) + x phi(x) */
        return 0.5 * (1 + erf(x / sqrt(2.0))) + x * exp(-0.5 * x * x) / sqrt_2pi;
    case SL_ACT_CELU:
        return x > 0 ? 1 : exp(x / p->alpha);
    case SL_ACT_SOFT_SHRINK:
    case SL_ACT_HARD_SHRINK:
        return fabs(x) > 0.5 ? 1 : 0;
    case SL_ACT_SPARSE_PLUS:
        return x <= -1 ? 0 : (x < 1 ? (x + 1) / 2 : 1);
    case SL_ACT_SQUAREPLUS:
        return (1 + x / sqrt(x * x + 4)) / 2;
    case SL_ACT_TANH_SHRINK: { /* 1 - (1 - tanh^2) */
        double t = tanh(x);
        return t * t;
    }
    case SL_ACT_HARD_TANH:
        return x > -1 && x < 1 ? 1 : 0;
    case SL_ACT_SPARSE_SIGMOID:
        return x > -1 && x < 1 ? 0.5 : 0;
    case SL_ACT_EXPONENTIAL:
        return y;
    case SL_ACT_HARD_SILU: /* hard_sigmoid(x) + x / 6 on the ramp */
        return x <= -3 ? 0 : (x >= 3 ? 1 : (2 * x + 3) / 6);
    case SL_ACT_MISH: { /* tanh(sp) + x (1 - tanh(sp)^2) sigmoid(x), sp = softplus(x) */
        double t = tanh(softplus(x));
        return t + x * (1 - t * t) * sigmoid(x);
    }
    case SL_ACT_LOG_SIGMOID: /* sigmoid(-x) */
        return sigmoid(-x);
    default:
        return 1;
    }
}

/* softmax (log: log_softmax) of one vector of n values, stride apart. */
static void softmax_vec(sl_real *y, const sl_real *x, size_t n, size_t stride, int log_of)
{
    double mx = x[0], sum = 0;
    for (size_t j = 1; j < n; j++)
        mx = x[j * stride] > mx ? x[j * stride] : mx;
    for (size_t j = 0; j < n; j++)
        sum += exp(x[j * stride] - mx);
    for (size_t j = 0; j < n; j++)
        y[j * stride] =
            (sl_real)(log_of ? x[j * stride] - mx - log(sum) : exp(x[j * stride] - mx) / sum);
}

/* Its gradient: dx += y (dy - sum dy y), or for log_softmax dx += dy - exp(y) sum dy. */
static void softmax_vec_backward(sl_real *dx, const sl_real *dy, const sl_real *y, size_t n,
                                 size_t stride, int log_of)
{
    double dot = 0; /* sum_k dy_k y_k, or sum_k dy_k */
    for (size_t k = 0; k < n; k++)
        dot += dy[k * stride] * (log_of ? 1 : y[k * stride]);
    for (size_t j = 0; j < n; j++) {
        size_t at = j * stride;
        dx[at] += (sl_real)(log_of ? dy[at] - exp(y[at]) * dot : y[at] * (dy[at] - dot));
    }
}

void sl_act_forward_args(SlAct a, const SlActArgs *p, sl_real *y, const sl_real *x, size_t rows,
                         size_t cols)
{
    size_t n = rows * cols;
    if (a == SL_ACT_SOFTMAX || a == SL_ACT_LOG_SOFTMAX) {
        for (size_t r = 0; r < rows; r++)
            softmax_vec(y + r * cols, x + r * cols, cols, 1, a == SL_ACT_LOG_SOFTMAX);
        return;
    }
    if (a == SL_ACT_LINEAR) {
        if (y != x)
            memcpy(y, x, n * sizeof *y);
        return;
    }
    for (size_t i = 0; i < n; i++)
        y[i] = (sl_real)act1(a, p, x[i]);
}

void sl_act_backward_args(SlAct a, const SlActArgs *p, sl_real *dx, const sl_real *dy,
                          const sl_real *x, const sl_real *y, size_t rows, size_t cols)
{
    if (a == SL_ACT_SOFTMAX || a == SL_ACT_LOG_SOFTMAX) {
        for (size_t r = 0; r < rows; r++)
            softmax_vec_backward(dx + r * cols, dy + r * cols, y + r * cols, cols, 1,
                                 a == SL_ACT_LOG_SOFTMAX);
        return;
    }
    size_t n = rows * cols;
    for (size_t i = 0; i < n; i++)
        dx[i] += (sl_real)(dact1(a, p, x[i], y[i]) * dy[i]);
}

/* The functions by name (Keras's defaults), on rows that lie ld apart: the fast kernels' vector
 * loops where they have the function, else the loops above, row by row. */
void sl_act_forward_rows(SlAct a, sl_real *y, const sl_real *x, size_t ld, size_t rows, size_t cols)
{
    if (sl_kernels_fast() && sl_act_fast_forward(a, y, x, ld, rows, cols))
        return;
    SlActArgs p = sl_act_defaults(a);
    for (size_t r = 0; r < rows; r++)
        sl_act_forward_args(a, &p, y + r * ld, x + r * ld, 1, cols);
}

void sl_act_backward_rows(SlAct a, sl_real *dx, const sl_real *dy, const sl_real *x,
                          const sl_real *y, size_t ld, size_t rows, size_t cols)
{
    if (sl_kernels_fast() && sl_act_fast_backward(a, dx, dy, x, y, ld, rows, cols, 1))
        return;
    SlActArgs p = sl_act_defaults(a);
    for (size_t r = 0; r < rows; r++)
        sl_act_backward_args(a, &p, dx + r * ld, dy + r * ld, x + r * ld, y + r * ld, 1, cols);
}

void sl_act_backward_rows_set(SlAct a, sl_real *dx, const sl_real *dy, const sl_real *x,
                              const sl_real *y, size_t ld, size_t rows, size_t cols)
{
    if (sl_kernels_fast() && sl_act_fast_backward(a, dx, dy, x, y, ld, rows, cols, 0))
        return;
    for (size_t r = 0; r < rows; r++)
        memset(dx + r * ld, 0, cols * sizeof *dx);
    sl_act_backward_rows(a, dx, dy, x, y, ld, rows, cols);
}

void sl_act_forward(SlAct a, sl_real *y, const sl_real *x, size_t rows, size_t cols)
{
    sl_act_forward_rows(a, y, x, cols, rows, cols);
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

void sl_act_scratch(SlAct a, size_t n, SlScratchDecl *d)
{
    if (a == SL_ACT_LINEAR)
        return;
    d->name[d->n] = "z (before the activation)";
    d->count[d->n++] = n;
    d->name[d->n] = "dz";
    d->count[d->n++] = n;
}

/* ---- the layers that apply one function: Activation, ReLU, LeakyReLU, ELU ---- */

typedef struct ActCfg {
    SlAct act;
    SlActArgs args;
} ActCfg;

static ActCfg *act_cfg(SlLayer *l, SlAct act, SlError *e)
{
    ActCfg *c = sl_alloc_zero(1, sizeof *c);
    if (!c) {
        sl_errorf(e, "out of memory");
        return NULL;
    }
    l->cfg = c;
    c->act = act;
    c->args = sl_act_defaults(act);
    return c;
}

static const SlArgSpec act_args[] = {
    {"activation", SL_ARG_STR, NULL, "the function: 'relu', 'tanh', 'softmax', ..."},
};
static const SlArgSpec relu_args_spec[] = {
    {"max_value", SL_ARG_FLOAT | SL_ARG_OR_NONE, "None", "the largest output; None: no cap"},
    {"negative_slope", SL_ARG_FLOAT, "0.0", "the slope below the threshold"},
    {"threshold", SL_ARG_FLOAT, "0.0", "values at or below it give 0 (then the slope)"},
};
static const SlArgSpec leaky_args[] = {
    {"negative_slope", SL_ARG_FLOAT, "0.3", "the slope below 0 (Keras 3's default: 0.3)"},
    {"alpha", SL_ARG_FLOAT | SL_ARG_OR_NONE | SL_ARG_KEYWORD, "None",
     "Keras 2 spelling of negative_slope"},
};
static const SlArgSpec elu_args[] = {
    {"alpha", SL_ARG_FLOAT, "1.0", "the scale of the negative part: alpha (e^x - 1)"},
};

static int act_create(SlLayer *l, const SlBound *b, SlError *e)
{
    ActCfg *c = act_cfg(l, SL_ACT_LINEAR, e);
    if (!c || sl_act_read(&c->act, b, "activation", e) < 0)
        return -1;
    c->args = sl_act_defaults(c->act);
    return 0;
}

static int relu_create(SlLayer *l, const SlBound *b, SlError *e)
{
    ActCfg *c = act_cfg(l, SL_ACT_RELU, e);
    if (!c)
        return -1;
    if (!sl_bound_is_none(b, "max_value"))
        c->args.max_value = sl_bound_float(b, "max_value");
    c->args.negative_slope = sl_bound_float(b, "negative_slope");
    c->args.threshold = sl_bound_float(b, "threshold");
    static const char *const keys[] = {"max_value", "negative_slope", "threshold"};
    double v[] = {c->args.max_value, c->args.negative_slope, c->args.threshold};
    for (int i = 0; i < 3; i++)
        if (!(v[i] >= 0))
            return sl_errorf(e, "%s of a ReLU layer cannot be a negative value, got %g", keys[i],
                             v[i]);
    return 0;
}

static int leaky_create(SlLayer *l, const SlBound *b, SlError *e)
{
    ActCfg *c = act_cfg(l, SL_ACT_LEAKY_RELU, e);
    if (!c)
        return -1;
    c->args.negative_slope = sl_bound_float(b, "negative_slope");
    if (!sl_bound_is_none(b, "alpha")) {
        if (sl_bound_given(b, "negative_slope"))
            return sl_errorf(e, "give negative_slope= or alpha=, not both");
        c->args.negative_slope = sl_bound_float(b, "alpha");
        char msg[160];
        snprintf(msg, sizeof msg,
                 "notice: LeakyReLU(alpha=...) is the Keras 2 spelling; Keras 3 writes "
                 "negative_slope=%g",
                 c->args.negative_slope);
        sl_layer_notice(l, msg);
    }
    if (!(c->args.negative_slope >= 0))
        return sl_errorf(e,
                         "The negative_slope value of a Leaky ReLU layer cannot be negative, "
                         "got %g",
                         c->args.negative_slope);
    return 0;
}

static int elu_create(SlLayer *l, const SlBound *b, SlError *e)
{
    ActCfg *c = act_cfg(l, SL_ACT_ELU, e);
    if (!c)
        return -1;
    c->args.alpha = sl_bound_float(b, "alpha");
    return 0;
}

/* An activation layer's buffers are its input and output, which the plan keeps; rows x cols. */
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
    sl_act_forward_args(c->act, &c->args, p->y[0].data, p->x[0].data, rows, cols);
}

static void act_backward(SlLayer *l, SlPass *p)
{
    const ActCfg *c = l->cfg;
    size_t rows, cols;
    act_rows_cols(&p->x[0], &rows, &cols);
    sl_act_backward_args(c->act, &c->args, p->dx[0].data, p->dy[0].data, p->x[0].data, p->y[0].data,
                         rows, cols);
}

static void act_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    const ActCfg *c = l->cfg;
    char s[96];
    sl_shape_str(&io->out[0], s, sizeof s);
    if (c->act == SL_ACT_SOFTMAX || c->act == SL_ACT_LOG_SOFTMAX)
        snprintf(buf, n, "%s normalises each vector of the last axis%s: the shape stays %s",
                 sl_act_name(c->act), c->act == SL_ACT_SOFTMAX ? " to sum 1" : " (log of softmax)",
                 s);
    else
        snprintf(buf, n, "%s acts on each number by itself: the shape stays %s",
                 sl_act_name(c->act), s);
}

/* ReLU, LeakyReLU and ELU say which function, with their numbers. */
static void act_args_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    const ActCfg *c = l->cfg;
    const SlActArgs *a = &c->args;
    char s[96], what[160], below[64], cap[32] = "";
    sl_shape_str(&io->out[0], s, sizeof s);
    if (a->negative_slope == 0)
        snprintf(below, sizeof below, "0");
    else if (a->threshold == 0)
        snprintf(below, sizeof below, "%g x", a->negative_slope);
    else
        snprintf(below, sizeof below, "%g (x - %g)", a->negative_slope, a->threshold);
    if (a->max_value != HUGE_VAL)
        snprintf(cap, sizeof cap, ", at most %g", a->max_value);
    if (c->act == SL_ACT_ELU)
        snprintf(what, sizeof what, "x above 0, %g (e^x - 1) below", a->alpha);
    else /* ReLU, and LeakyReLU with its threshold 0 */
        snprintf(what, sizeof what, "x above %g%s, %s below", a->threshold, cap, below);
    snprintf(buf, n, "%s gives %s, each number by itself: the shape stays %s", l->type->name, what,
             s);
}

#define ACT_LAYER(NAME, SNAKE, SUMMARY, ARGS, EXAMPLE, CREATE, EXPLAIN)                            \
    {                                                                                              \
        .name = NAME, .snake = SNAKE, .aliases = "", .summary = SUMMARY, .args = ARGS,             \
        .n_args = sizeof ARGS / sizeof ARGS[0], .example_args = EXAMPLE,                           \
        .example_input = "(2, 4, 5)", .kind = 0, .steps = SL_STEPS_EACH, .create = CREATE,         \
        .infer = sl_infer_same_shape, .params = sl_layer_no_params,                                \
        .scratch = sl_layer_no_scratch, .forward = act_forward, .backward = act_backward,          \
        .reset = sl_layer_reset_nothing, .explain = EXPLAIN, .formula = sl_layer_formula_none,     \
        .note = sl_layer_no_note, .window = sl_layer_no_window, .codes = sl_layer_reals,           \
        .scenes = sl_layer_no_scenes, .destroy = sl_layer_destroy_cfg,                             \
    }

const SlLayerType sl_activation_type = ACT_LAYER(
    "Activation", "activation", "applies an activation function; the shape does not change",
    act_args, "'tanh'", act_create, act_explain);
const SlLayerType sl_relu_type =
    ACT_LAYER("ReLU", "re_lu", "relu with Keras's options: max_value, negative_slope, threshold",
              relu_args_spec, "max_value=1.0, negative_slope=0.1, threshold=0.2", relu_create,
              act_args_explain);
const SlLayerType sl_leaky_relu_type =
    ACT_LAYER("LeakyReLU", "leaky_re_lu", "x above 0, negative_slope * x below (default 0.3)",
              leaky_args, "negative_slope=0.1", leaky_create, act_args_explain);
const SlLayerType sl_elu_type = ACT_LAYER("ELU", "elu", "x above 0, alpha * (e^x - 1) below",
                                          elu_args, "alpha=0.5", elu_create, act_args_explain);

/* ---- Softmax(axis): softmax over an axis or several side by side ---- */

typedef struct SoftmaxCfg {
    int n_axes, axis[SL_MAX_RANK]; /* as written; negative counts from the end */
    char axis_text[48];            /* "axis=-1", for messages */
} SoftmaxCfg;

static const SlArgSpec softmax_args[] = {
    {"axis", SL_ARG_INTS, "-1", "the axis (or axes, side by side) whose values sum to 1"},
};

static int softmax_create(SlLayer *l, const SlBound *b, SlError *e)
{
    SoftmaxCfg *c = sl_alloc_zero(1, sizeof *c);
    if (!c)
        return sl_errorf(e, "out of memory");
    l->cfg = c;
    char v[40];
    sl_value_repr(&b->store, sl_bound(b, "axis"), v, sizeof v);
    snprintf(c->axis_text, sizeof c->axis_text, "axis=%s", v);
    c->n_axes = sl_bound_ints(b, "axis", c->axis, SL_MAX_RANK);
    if (c->n_axes < 1)
        return sl_errorf(e, "%s: axis takes an axis or a list of them, like -1 or [1, 2]",
                         c->axis_text);
    return 0;
}

/* The axes of the softmax on a rank-`rank` input as first .. last (side by side, never the batch
 * axis 0); -1 with an error otherwise. */
static int softmax_axes(const SlLayer *l, const SlShape *in, int *first, int *last, SlError *e)
{
    const SoftmaxCfg *c = l->cfg;
    char exp[128];
    int seen[SL_MAX_RANK] = {0};
    *first = in->rank, *last = -1;
    for (int k = 0; k < c->n_axes; k++) {
        int a = c->axis[k] < 0 ? c->axis[k] + in->rank : c->axis[k];
        if (a < 1 || a >= in->rank || seen[a]) {
            snprintf(exp, sizeof exp, "axes 1 to %d (or -1 for the last) for %s", in->rank - 1,
                     c->axis_text);
            return sl_layer_shape_error(e, l, exp, in,
                                        "name axes of each sample, each once; axis 0 counts the "
                                        "samples");
        }
        seen[a] = 1;
        *first = a < *first ? a : *first;
        *last = a > *last ? a : *last;
    }
    if (*last - *first + 1 != c->n_axes) {
        snprintf(exp, sizeof exp, "axes side by side (%s leaves a gap; not supported yet)",
                 c->axis_text);
        return sl_layer_shape_error(e, l, exp, in, "Permute the axes next to each other first");
    }
    return 0;
}

/* Built once: a softmax over axis 1 (the steps) mixes the steps. */
static int softmax_params(SlLayer *l, const SlInfer *io, SlError *e)
{
    int first, last;
    if (softmax_axes(l, &io->in[0], &first, &last, e) < 0)
        return -1;
    l->steps = first == 1 ? SL_STEPS_ALL : SL_STEPS_EACH;
    return 0;
}

static int softmax_infer(SlLayer *l, SlInfer *io, SlError *e)
{
    int first, last;
    if (sl_layer_expect_inputs(l, io, 1, e) < 0 ||
        softmax_axes(l, &io->in[0], &first, &last, e) < 0)
        return -1;
    if (io->in_mask[0])
        return sl_layer_shape_error(
            e, l, "no mask (a masked Softmax is not supported yet)", &io->in[0],
            "Keras broadcasts a (batch, timesteps) mask against the input's last axes, and "
            "refuses it on (batch, timesteps, features); drop the mask before Softmax (a "
            "layer that does not pass it on, such as Dense after GlobalAveragePooling1D)");
    io->out[0] = io->in[0];
    sl_infer_pass_mask(io);
    return 0;
}

/* x (outer, N, inner) with the softmax over N: the sizes of a pass. */
static void softmax_sizes(const SlLayer *l, const SlShape *in, size_t *outer, size_t *N,
                          size_t *inner)
{
    int first, last;
    softmax_axes(l, in, &first, &last, NULL); /* checked when the call was planned */
    *outer = *N = *inner = 1;
    for (int a = 0; a < in->rank; a++)
        *(a < first ? outer : a <= last ? N : inner) *= (size_t)in->dim[a];
}

/* Each of the outer * inner vectors of N values, inner apart. */
static void softmax_forward(SlLayer *l, SlPass *p)
{
    size_t outer, N, inner;
    softmax_sizes(l, &p->x[0].shape, &outer, &N, &inner);
    for (size_t o = 0; o < outer; o++)
        for (size_t i = 0; i < inner; i++) {
            size_t base = o * N * inner + i;
            softmax_vec(p->y[0].data + base, p->x[0].data + base, N, inner, 0);
        }
}

static void softmax_backward(SlLayer *l, SlPass *p)
{
    size_t outer, N, inner;
    softmax_sizes(l, &p->x[0].shape, &outer, &N, &inner);
    for (size_t o = 0; o < outer; o++)
        for (size_t i = 0; i < inner; i++) {
            size_t base = o * N * inner + i;
            softmax_vec_backward(p->dx[0].data + base, p->dy[0].data + base, p->y[0].data + base, N,
                                 inner, 0);
        }
}

static void softmax_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    const SoftmaxCfg *c = l->cfg;
    char s[96];
    sl_shape_str(&io->out[0], s, sizeof s);
    snprintf(buf, n,
             "Softmax turns each vector along %s into positive numbers that sum to 1: the shape "
             "stays %s",
             c->axis_text, s);
}

const SlLayerType sl_softmax_type = {
    .name = "Softmax",
    .snake = "softmax",
    .aliases = "",
    .summary = "normalises the values along an axis to positive numbers summing to 1",
    .args = softmax_args,
    .n_args = sizeof softmax_args / sizeof softmax_args[0],
    .example_args = "axis=1",
    .example_input = "(2, 4, 5)",
    .kind = 0,
    .steps = SL_STEPS_EACH,
    .create = softmax_create,
    .infer = softmax_infer,
    .params = softmax_params,
    .scratch = sl_layer_no_scratch,
    .forward = softmax_forward,
    .backward = softmax_backward,
    .reset = sl_layer_reset_nothing,
    .explain = softmax_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

/* ---- PReLU: leaky relu with a learned slope per position ---- */

typedef struct PreluCfg {
    SlWeightArgs alpha;
    int shared[SL_MAX_RANK]; /* 1 for an axis (of the input, batch axis 0) that shares alpha */
    int rank;                /* of the input, known once built */
    SlShape in;              /* its sample's shape when built: later calls must keep it */
} PreluCfg;

static const SlArgSpec prelu_args[] = {
    SL_ARG_INITIALIZER("alpha_initializer", "'Zeros'", "how the slopes start (Keras: zeros)"),
    SL_ARG_REGULARIZER("alpha_regularizer"),
    SL_ARG_CONSTRAINT("alpha_constraint"),
    {"shared_axes", SL_ARG_INTS | SL_ARG_OR_NONE, "None",
     "axes (1 = the first after the batch) that share one slope, like [1, 2] for images"},
};

static int prelu_create(SlLayer *l, const SlBound *b, SlError *e)
{
    PreluCfg *c = sl_alloc_zero(1, sizeof *c);
    if (!c)
        return sl_errorf(e, "out of memory");
    l->cfg = c;
    if (sl_weight_args_read(l, &c->alpha, b, "alpha", e) < 0)
        return -1;
    int axes[SL_TUPLE_MAX], n = sl_bound_ints(b, "shared_axes", axes, SL_TUPLE_MAX);
    for (int i = 0; i < n; i++) {
        if (axes[i] < 1 || axes[i] >= SL_MAX_RANK)
            return sl_errorf(e,
                             "shared_axes names axes after the batch axis, 1 to %d, got %d "
                             "(counting from the end is not supported yet)",
                             SL_MAX_RANK - 1, axes[i]);
        c->shared[axes[i]] = 1;
    }
    return 0;
}

/* alpha's shape for an input: input_shape[1:], with 1 on the shared axes. */
static SlShape alpha_shape(const PreluCfg *c, const SlShape *in)
{
    SlShape a = sl_shape_of(in->rank - 1, in->dim + 1);
    for (int i = 1; i < in->rank; i++)
        if (c->shared[i])
            a.dim[i - 1] = 1;
    return a;
}

static int prelu_infer(SlLayer *l, SlInfer *io, SlError *e)
{
    const PreluCfg *c = l->cfg;
    if (sl_layer_expect_inputs(l, io, 1, e) < 0)
        return -1;
    const SlShape *in = &io->in[0];
    char exp[160];
    if (in->rank < 2)
        return sl_layer_shape_error(e, l, "(batch, ...) with at least one axis per sample", in,
                                    "give each sample its values");
    for (int i = 1; i < SL_MAX_RANK; i++)
        if (c->shared[i] && i >= in->rank) {
            snprintf(exp, sizeof exp, "an axis %d for shared_axes", i);
            return sl_layer_shape_error(e, l, exp, in, "share axes that the input has");
        }
    for (int i = 1; i < in->rank; i++)
        if (!c->shared[i] && in->dim[i] == SL_NONE) {
            snprintf(exp, sizeof exp, "a known size on axis %d: alpha has one slope per position",
                     i);
            return sl_layer_shape_error(e, l, exp, in,
                                        "give the size in the input shape, or share the axis: "
                                        "shared_axes=[1] for a timesteps axis");
        }
    if (l->built) {
        SlShape a = alpha_shape(c, in), built = alpha_shape(c, &c->in);
        if (in->rank != c->rank || !sl_shape_equal(&a, &built)) {
            char s[96];
            snprintf(exp, sizeof exp, "the sample shape it was built for, %s",
                     sl_shape_str(&c->in, s, sizeof s));
            return sl_layer_shape_error(e, l, exp, in,
                                        "a layer keeps its weights' shape; use a new PReLU");
        }
    }
    io->out[0] = *in;
    sl_infer_pass_mask(io);
    return 0;
}

static int prelu_params(SlLayer *l, const SlInfer *io, SlError *e)
{
    PreluCfg *c = l->cfg;
    c->rank = io->in[0].rank;
    c->in = io->in[0];
    return sl_layer_add_weight(l, "alpha", alpha_shape(c, &io->in[0]), &c->alpha, e);
}

/* The index into alpha of element i of one sample (shape dims[1..rank)): the shared axes read
 * alpha's single entry. */
static size_t alpha_index(const PreluCfg *c, const SlShape *in, size_t i)
{
    size_t at = 0, stride = 1;
    for (int d = in->rank - 1; d >= 1; d--) {
        size_t n = (size_t)in->dim[d], idx = i % n;
        i /= n;
        if (!c->shared[d]) {
            at += idx * stride;
            stride *= n;
        }
    }
    return at;
}

static void prelu_forward(SlLayer *l, SlPass *p)
{
    const PreluCfg *c = l->cfg;
    const SlShape *in = &p->x[0].shape;
    const sl_real *x = p->x[0].data, *alpha = l->params[0].value.data;
    size_t per = sl_shape_sample_count(in), n = sl_tensor_count(&p->x[0]);
    for (size_t i = 0; i < n; i++) /* relu(x) - alpha relu(-x) */
        p->y[0].data[i] = x[i] > 0 ? x[i] : alpha[alpha_index(c, in, i % per)] * x[i];
}

static void prelu_backward(SlLayer *l, SlPass *p)
{
    const PreluCfg *c = l->cfg;
    const SlShape *in = &p->x[0].shape;
    const sl_real *x = p->x[0].data, *dy = p->dy[0].data, *alpha = l->params[0].value.data;
    sl_real *dalpha = l->params[0].grad.data;
    size_t per = sl_shape_sample_count(in), n = sl_tensor_count(&p->x[0]);
    for (size_t i = 0; i < n; i++) {
        size_t k = alpha_index(c, in, i % per);
        if (x[i] > 0) {
            p->dx[0].data[i] += dy[i];
        } else if (x[i] < 0) { /* y = alpha x */
            p->dx[0].data[i] += dy[i] * alpha[k];
            dalpha[k] += dy[i] * x[i];
        }
    }
}

static void prelu_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    const PreluCfg *c = l->cfg;
    char s[96], a[96];
    SlShape as = alpha_shape(c, &io->in[0]);
    sl_shape_str(&io->out[0], s, sizeof s);
    sl_shape_str(&as, a, sizeof a);
    snprintf(buf, n,
             "PReLU gives x above 0 and alpha * x below, with a learned slope per position "
             "(alpha %s): the shape stays %s",
             a, s);
}

static void prelu_formula(const SlLayer *l, char *buf, size_t n)
{
    const SlShape *a = &l->params[0].shape;
    size_t used = 0;
    for (int i = 0; i < a->rank; i++)
        used +=
            (size_t)snprintf(buf + used, used < n ? n - used : 0, "%s%d", i ? "*" : "", a->dim[i]);
    if (used < n)
        snprintf(buf + used, n - used, " = %zu", sl_shape_count(a));
}

const SlLayerType sl_prelu_type = {
    .name = "PReLU",
    .snake = "p_re_lu",
    .aliases = "",
    .summary = "leaky relu whose slope below 0 is learned, one per position (shared_axes share)",
    .args = prelu_args,
    .n_args = sizeof prelu_args / sizeof prelu_args[0],
    .example_args = "shared_axes=[1]",
    .example_input = "(2, 4, 5)",
    .kind = 0,
    .steps = SL_STEPS_EACH,
    .create = prelu_create,
    .infer = prelu_infer,
    .params = prelu_params,
    .scratch = sl_layer_no_scratch,
    .forward = prelu_forward,
    .backward = prelu_backward,
    .reset = sl_layer_reset_nothing,
    .explain = prelu_explain,
    .formula = prelu_formula,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};
