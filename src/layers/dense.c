/* dense.c: Dense, the fully connected layer, on the last axis of an input of any rank.
 *
 * Shapes: x (batch, ..., in) -> y (batch, ..., units); kernel W (in, units), bias b (units).
 * Every axis but the last is kept, so on (batch, timesteps, in) the same W is applied at every
 * timestep. Below, r runs over all the kept positions (rows = batch * ... ), i over in, o over
 * units.
 *
 * Forward:   z[r,o] = b[o] + sum_i x[r,i] W[i,o]        y = act(z)
 * Backward:  dz = act'(z) * dy                          (activation.c)
 *            db[o]   += sum_r dz[r,o]
 *            dW[i,o] += sum_r x[r,i] dz[r,o]
 *            dx[r,i] += sum_o dz[r,o] W[i,o]     (computed as dz times the transposed kernel)
 * The mask, if any, passes through: Dense treats every timestep alike.
 *
 * The kernels below are the plain loops, the reference; with the fast kernels
 * (src/kernels/kernels.h) each of the three products is one call of sl_gemm: the same sums, added
 * up in register tiles.
 */
#include <stdio.h>
#include <string.h>

#include "activation.h"
#include "alloc.h"
#include "init.h"
#include "kernels/kernels.h"
#include "layer.h"

typedef struct DenseCfg {
    int units;
    int in; /* input features, known once built */
    SlAct act;
    int use_bias;
    SlWeightArgs kernel, bias;
} DenseCfg;

static const SlArgSpec dense_args[] = {
    {"units", SL_ARG_INT, NULL, "size of each output vector: the last axis becomes units"},
    {"activation", SL_ARG_STR | SL_ARG_OR_NONE, "None", "applied to the output; None is linear"},
    {"use_bias", SL_ARG_BOOL, "True", "add a bias vector of size units"},
    SL_ARGS_KERNEL_BIAS,
    SL_ARG_LORA(0),
    {"quantization_config", SL_ARG_ANY | SL_ARG_OR_NONE, "None", "not supported yet: None only"},
};

/* ---- kernels: plain pointers, outputs first, sizes last ---- */

/* y (rows, O) = x (rows, I) W (I, O) + b; the innermost loop runs along W's rows (an axpy). */
static void dense_forward_k(sl_real *y, const sl_real *x, const sl_real *W, const sl_real *b,
                            size_t rows, size_t I, size_t O)
{
    for (size_t r = 0; r < rows; r++) {
        sl_real *yr = y + r * O;
        for (size_t o = 0; o < O; o++)
            yr[o] = b ? b[o] : 0;
        for (size_t i = 0; i < I; i++) {
            sl_real xi = x[r * I + i];
            const sl_real *Wi = W + i * O;
            for (size_t o = 0; o < O; o++)
                yr[o] += xi * Wi[o];
        }
    }
}

/* WT (O, I) = W (I, O) transposed. */
static void transpose_k(sl_real *WT, const sl_real *W, size_t I, size_t O)
{
    for (size_t i = 0; i < I; i++)
        for (size_t o = 0; o < O; o++)
            WT[o * I + i] = W[i * O + o];
}

/* Accumulates dW, db and dx from dz (rows, O). Every innermost loop runs along contiguous memory
 * (an axpy, which compilers vectorize): dW's rows are updated along o, and dx is built from the
 * transposed kernel WT (O, I), dx[r,:] += dz[r,o] * WT[o,:], instead of a dot product along W's
 * rows. WT is the caller's scratch; dx may be NULL (not needed). */
static void dense_backward_k(sl_real *dx, sl_real *dW, sl_real *db, sl_real *WT, const sl_real *dz,
                             const sl_real *x, const sl_real *W, size_t rows, size_t I, size_t O)
{
    transpose_k(WT, W, I, O);
    for (size_t r = 0; r < rows; r++) {
        const sl_real *dzr = dz + r * O;
        if (db)
            for (size_t o = 0; o < O; o++)
                db[o] += dzr[o];
        for (size_t i = 0; i < I; i++) {
            sl_real xi = x[r * I + i];
            sl_real *dWi = dW + i * O;
            for (size_t o = 0; o < O; o++)
                dWi[o] += xi * dzr[o];
        }
        if (!dx)
            continue;
        sl_real *dxr = dx + r * I;
        for (size_t o = 0; o < O; o++) {
            sl_real g = dzr[o];
            const sl_real *WTo = WT + o * I;
            for (size_t i = 0; i < I; i++)
                dxr[i] += g * WTo[i];
        }
    }
}

/* The same two kernels with every product one sl_gemm (src/kernels/gemm.c). */
static void dense_forward_fast(sl_real *y, const sl_real *x, const sl_real *W, const sl_real *b,
                               size_t rows, size_t I, size_t O)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t o = 0; o < O; o++)
            y[r * O + o] = b ? b[o] : 0;
    sl_gemm(y, O, sl_mat(x, I), W, O, rows, O, I); /* y += x W */
}

static void dense_backward_fast(sl_real *dx, sl_real *dW, sl_real *db, sl_real *WT,
                                const sl_real *dz, const sl_real *x, const sl_real *W, size_t rows,
                                size_t I, size_t O)
{
    for (size_t r = 0; db && r < rows; r++)
        for (size_t o = 0; o < O; o++)
            db[o] += dz[r * O + o];
    sl_gemm(dW, O, sl_mat_t(x, I), dz, O, I, O, rows); /* dW += x^T dz */
    if (!dx)
        return;
    transpose_k(WT, W, I, O);
    sl_gemm(dx, I, sl_mat(dz, O), WT, I, rows, I, O); /* dx += dz W^T */
}

/* ---- the layer ---- */

static int dense_create(SlLayer *l, const SlBound *b, SlError *e)
{
    DenseCfg *c = sl_alloc_zero(1, sizeof *c);
    if (!c)
        return sl_errorf(e, "out of memory");
    l->cfg = c;
    c->units = (int)sl_bound_int(b, "units");
    c->use_bias = sl_bound_bool(b, "use_bias");
    if (c->units <= 0)
        return sl_errorf(e,
                         "units must be a positive integer (the size of each output vector), "
                         "got %d",
                         c->units);
    if (sl_weight_args_read(l, &c->kernel, b, "kernel", e) < 0 ||
        sl_weight_args_read(l, &c->bias, b, "bias", e) < 0 || sl_refuse_lora(b, e) < 0)
        return -1;
    return sl_act_read(&c->act, b, "activation", e);
}

static int dense_infer(SlLayer *l, SlInfer *io, SlError *e)
{
    DenseCfg *c = l->cfg;
    if (sl_layer_expect_inputs(l, io, 1, e) < 0)
        return -1;
    const SlShape *in = &io->in[0];
    if (in->rank < 2)
        return sl_layer_shape_error(e, l, "(batch, ..., features)", in,
                                    "give each sample at least one axis of features");
    int last = in->dim[in->rank - 1];
    if (last == SL_NONE)
        return sl_layer_shape_error(e, l, "a known number of features on the last axis", in,
                                    "Dense needs the size of the last axis to size its kernel; "
                                    "give it in the input shape, e.g. (None, 5)");
    if (l->built && last != c->in) {
        char msg[128];
        snprintf(msg, sizeof msg, "(..., %d): the kernel was built as (%d, %d)", c->in, c->in,
                 c->units);
        return sl_layer_shape_error(e, l, msg, in,
                                    "a layer keeps its weights' shape; feed it the same number of "
                                    "features, or use a new layer");
    }
    io->out[0] = *in;
    io->out[0].dim[in->rank - 1] = c->units;
    sl_infer_pass_mask(io);
    return 0;
}

static int dense_params(SlLayer *l, const SlInfer *io, SlError *e)
{
    DenseCfg *c = l->cfg;
    c->in = io->in[0].dim[io->in[0].rank - 1];
    int kdims[2] = {c->in, c->units};
    if (sl_layer_add_weight(l, "kernel", sl_shape_of(2, kdims), &c->kernel, e) < 0)
        return -1;
    if (c->use_bias && sl_layer_add_weight(l, "bias", sl_shape_of(1, &c->units), &c->bias, e) < 0)
        return -1;
    return 0;
}

/* Scratch: the kernel transposed, for backward; and with an activation, z before it and dz. */
static void dense_scratch(const SlLayer *l, const SlInfer *io, SlScratchDecl *d)
{
    const DenseCfg *c = l->cfg;
    size_t n = sl_shape_count(&io->out[0]);
    d->name[0] = "kernel transposed (units, in)";
    d->count[0] = (size_t)c->in * (size_t)c->units;
    d->n = 1;
    sl_act_scratch(c->act, n, d); /* 1, 2 */
}

static void dense_forward(SlLayer *l, SlPass *p)
{
    const DenseCfg *c = l->cfg;
    size_t rows = sl_tensor_count(&p->x[0]) / (size_t)c->in;
    const sl_real *b = c->use_bias ? l->params[1].value.data : NULL;
    sl_real *z = c->act == SL_ACT_LINEAR ? p->y[0].data : p->scratch[1];
    (sl_kernels_fast() ? dense_forward_fast : dense_forward_k)(
        z, p->x[0].data, l->params[0].value.data, b, rows, (size_t)c->in, (size_t)c->units);
    if (c->act != SL_ACT_LINEAR)
        sl_act_forward(c->act, p->y[0].data, z, rows, (size_t)c->units);
}

static void dense_backward(SlLayer *l, SlPass *p)
{
    const DenseCfg *c = l->cfg;
    size_t rows = sl_tensor_count(&p->x[0]) / (size_t)c->in;
    const sl_real *dz = sl_act_grad(c->act, p->scratch[2], p->dy[0].data, p->scratch[1],
                                    p->y[0].data, rows, (size_t)c->units);
    sl_real *db = c->use_bias ? l->params[1].grad.data : NULL;
    sl_real *dx = p->no_dx[0] ? NULL : p->dx[0].data;
    (sl_kernels_fast() ? dense_backward_fast : dense_backward_k)(
        dx, l->params[0].grad.data, db, p->scratch[0], dz, p->x[0].data, l->params[0].value.data,
        rows, (size_t)c->in, (size_t)c->units);
}

static void dense_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    const DenseCfg *c = l->cfg;
    char a[96], b[96];
    sl_shape_str(&io->in[0], a, sizeof a);
    sl_shape_str(&io->out[0], b, sizeof b);
    if (io->in[0].rank == 2)
        snprintf(buf, n, "Dense maps the %d features of each sample to %d unit%s: %s -> %s",
                 io->in[0].dim[1], c->units, c->units == 1 ? "" : "s", a, b);
    else
        snprintf(buf, n,
                 "Dense acts on the last axis (%d -> %d units) and keeps the others: %s -> %s",
                 io->in[0].dim[io->in[0].rank - 1], c->units, a, b);
}

static int dense_scenes(const SlLayer *l, SlSceneClaim *out)
{
    (void)l;
    out[0] = (SlSceneClaim){"dense", SL_SCENE_AMONG, "one kernel applied at every position", 0};
    return 1;
}

static void dense_formula(const SlLayer *l, char *buf, size_t n)
{
    const DenseCfg *c = l->cfg;
    long long k = (long long)c->in * c->units;
    if (c->use_bias)
        snprintf(buf, n, "%d*%d + %d = %lld", c->in, c->units, c->units, k + c->units);
    else
        snprintf(buf, n, "%d*%d = %lld", c->in, c->units, k);
}

const SlLayerType sl_dense_type = {
    .name = "Dense",
    .snake = "dense",
    .aliases = "",
    .summary = "fully connected: the last axis becomes units, every other axis is kept",
    .args = dense_args,
    .n_args = sizeof dense_args / sizeof dense_args[0],
    .example_args = "3, activation='tanh'",
    .example_input = "(2, 4, 5)",
    .kind = 0,
    .steps = SL_STEPS_EACH,
    .create = dense_create,
    .infer = dense_infer,
    .params = dense_params,
    .scratch = dense_scratch,
    .forward = dense_forward,
    .backward = dense_backward,
    .reset = sl_layer_reset_nothing,
    .explain = dense_explain,
    .formula = dense_formula,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = dense_scenes,
    .destroy = sl_layer_destroy_cfg,
};
