/* rnn.c: the recurrent layers SimpleRNN, LSTM and GRU: one time loop, three cells.
 *
 * Shapes: x (batch, timesteps, features) -> y (batch, timesteps, units) with
 * return_sequences=True, else (batch, units): h at the last step. return_state=True adds the
 * final states as more outputs: LSTM [y, h, c], GRU and SimpleRNN [y, h]. initial_state=[h0, c0]
 * in the functional API arrives as more inputs, each (batch, units).
 * Weights (Keras layout, G gate blocks side by side: LSTM i,f,c,o; GRU z,r,h; SimpleRNN one):
 *   kernel (features, G*units), recurrent_kernel (units, G*units),
 *   bias (G*units); GRU with reset_after=True (Keras's default) has bias (2, 3*units): one row
 *   added to x W, one to h U.
 *
 * Forward, step s = 0 .. T-1 (the input step t = s, or T-1-s with go_backwards):
 *   SimpleRNN  h = act(x W + h' U + b)                       (h' is the previous step's h)
 *   LSTM       [zi zf zc zo] = x W + h' U + b
 *              i = rec(zi)  f = rec(zf)  g = act(zc)  o = rec(zo)
 *              c = f c' + i g             h = o act(c)
 *   GRU        [xz xr xh] = x W + b_x    [rz rr rh] = h' U + b_h     (reset_after=True)
 *              z = rec(xz + rz)  r = rec(xr + rr)  n = act(xh + r rh)
 *              h = z h' + (1 - z) n
 *              with reset_after=False the reset gate acts before U: n = act(xh + (r h') U_h + b_h)
 *   act is `activation` (tanh), rec is `recurrent_activation` (sigmoid).
 *   A masked step (mask 0) keeps h and c as they were, and its output repeats the previous one
 *   (zeros before the first unmasked step).
 *
 * Backward through time: the same steps walked from the last to the first, each cell's gradient
 * written out in rnn_cell_backward; the derivation of every gate's gradient is in
 * docs/rnn-backprop.md. The gradient of the gate pre-activations of every step is kept, so the
 * kernel's and the input's gradients are two plain matrix products after the loop, as in Dense.
 */
#include <stdio.h>
#include <string.h>

#include "activation.h"
#include "alloc.h"
#include "init.h"
#include "layer.h"
#include "rnn.h"

typedef enum CellKind { CELL_SIMPLE, CELL_LSTM, CELL_GRU } CellKind;

typedef struct RnnCfg {
    CellKind kind;
    int G;       /* gate blocks: 1, 4, 3 */
    int n_state; /* 1 (h), 2 for LSTM (h, c) */
    int units, in;
    SlAct act, rec_act;
    int use_bias, return_sequences, return_state, go_backwards, stateful;
    int unit_forget_bias, reset_after;
    char kernel_init[32], rec_init[32], bias_init[32];
    /* stateful: the states carried from one batch to the next, (batch, units) each */
    int batch;
    sl_real *carried[2];
} RnnCfg;

/* Arguments every recurrent layer takes, then each cell's own. */
#define RNN_COMMON_ARGS                                                                            \
    {"units", SL_ARG_INT, NULL, "size of h (and c): the features of each output step"},            \
        {"activation", SL_ARG_STR | SL_ARG_OR_NONE, "'tanh'", "applied to the candidate"},         \
        {"use_bias", SL_ARG_BOOL, "True", "add bias vectors"},                                     \
        {"kernel_initializer", SL_ARG_STR, "'glorot_uniform'", "how the input kernel starts"},     \
        {"recurrent_initializer", SL_ARG_STR, "'orthogonal'", "how the recurrent kernel starts"},  \
        {"bias_initializer", SL_ARG_STR, "'zeros'", "how the bias starts"},                        \
        {"dropout", SL_ARG_FLOAT, "0.0", "dropout on the inputs (only 0 is supported)"},           \
        {"recurrent_dropout", SL_ARG_FLOAT, "0.0", "dropout on h (only 0 is supported)"},          \
        {"return_sequences", SL_ARG_BOOL, "False", "output h at every step, not only the last"},   \
        {"return_state", SL_ARG_BOOL, "False", "also output the final states"},                    \
        {"go_backwards", SL_ARG_BOOL, "False", "read the sequence from its end"},                  \
        {"stateful", SL_ARG_BOOL, "False", "carry the states from one batch to the next"},         \
    {                                                                                              \
        "unroll", SL_ARG_BOOL, "False", "Keras's speed option; no effect here"                     \
    }

static const SlArgSpec simple_args[] = {RNN_COMMON_ARGS};
static const SlArgSpec lstm_args[] = {
    RNN_COMMON_ARGS,
    {"recurrent_activation", SL_ARG_STR, "'sigmoid'", "applied to the gates i, f, o"},
    {"unit_forget_bias", SL_ARG_BOOL, "True", "start the forget gate's bias at 1"},
    {"implementation", SL_ARG_INT, "2", "Keras's speed option; no effect here"},
};
static const SlArgSpec gru_args[] = {
    RNN_COMMON_ARGS,
    {"recurrent_activation", SL_ARG_STR, "'sigmoid'", "applied to the gates z and r"},
    {"reset_after", SL_ARG_BOOL, "True", "apply the reset gate after the recurrent kernel"},
    {"implementation", SL_ARG_INT, "2", "Keras's speed option; no effect here"},
};

static const char *const cell_names[] = {"simple_rnn_cell", "lstm_cell", "gru_cell"};

/* ---- creating ---- */

static int rnn_create(SlLayer *l, const SlBound *b, SlError *e, CellKind kind)
{
    RnnCfg *c = sl_alloc_zero(1, sizeof *c);
    if (!c)
        return sl_errorf(e, "out of memory");
    l->cfg = c;
    c->kind = kind;
    c->G = kind == CELL_LSTM ? 4 : kind == CELL_GRU ? 3 : 1;
    c->n_state = kind == CELL_LSTM ? 2 : 1;
    c->units = (int)sl_bound_int(b, "units");
    c->use_bias = sl_bound_bool(b, "use_bias");
    c->return_sequences = sl_bound_bool(b, "return_sequences");
    c->return_state = sl_bound_bool(b, "return_state");
    c->go_backwards = sl_bound_bool(b, "go_backwards");
    c->stateful = sl_bound_bool(b, "stateful");
    c->rec_act = SL_ACT_SIGMOID;
    if (c->units <= 0)
        return sl_errorf(e, "units must be a positive integer (the size of h), got %d", c->units);
    if (sl_act_read(&c->act, b, "activation", e) < 0 ||
        sl_init_read(c->kernel_init, sizeof c->kernel_init, b, "kernel_initializer", e) < 0 ||
        sl_init_read(c->rec_init, sizeof c->rec_init, b, "recurrent_initializer", e) < 0 ||
        sl_init_read(c->bias_init, sizeof c->bias_init, b, "bias_initializer", e) < 0)
        return -1;
    if (kind != CELL_SIMPLE && sl_act_read(&c->rec_act, b, "recurrent_activation", e) < 0)
        return -1;
    if (kind == CELL_LSTM)
        c->unit_forget_bias = sl_bound_bool(b, "unit_forget_bias");
    c->reset_after = kind == CELL_GRU && sl_bound_bool(b, "reset_after");
    if (sl_bound_float(b, "dropout") != 0 || sl_bound_float(b, "recurrent_dropout") != 0)
        return sl_errorf(e, "dropout= and recurrent_dropout= inside a recurrent layer are not "
                            "supported yet; put a Dropout layer before or after it instead");
    return 0;
}

static int simple_create(SlLayer *l, const SlBound *b, SlError *e)
{
    return rnn_create(l, b, e, CELL_SIMPLE);
}
static int lstm_create(SlLayer *l, const SlBound *b, SlError *e)
{
    return rnn_create(l, b, e, CELL_LSTM);
}
static int gru_create(SlLayer *l, const SlBound *b, SlError *e)
{
    return rnn_create(l, b, e, CELL_GRU);
}

/* ---- shapes ---- */

/* The mistake learners make most: 2-D data into a recurrent layer. The fix names their numbers. */
static int rank_error(const SlLayer *l, const SlShape *in, SlError *e)
{
    char fix[400];
    if (in->rank == 2 && in->dim[1] != SL_NONE)
        snprintf(fix, sizeof fix,
                 "a recurrent layer reads a sequence of vectors. If your %d numbers per sample are "
                 "%d timesteps of one feature, reshape the data to (N, %d, 1) "
                 "(x.reshape(-1, %d, 1)) and give input_shape=(%d, 1); if they are integer codes "
                 "(characters, words), put an Embedding(vocab_size, dim) first",
                 in->dim[1], in->dim[1], in->dim[1], in->dim[1], in->dim[1]);
    else if (in->rank == 2)
        snprintf(fix, sizeof fix,
                 "a recurrent layer reads a sequence of vectors: give each sample a timesteps "
                 "axis and a features axis, e.g. input_shape=(None, 1)");
    else
        snprintf(fix, sizeof fix,
                 "for one sequence per row or column of a grid, wrap the layer in TimeDistributed, "
                 "or Reshape to (timesteps, features) first");
    return sl_layer_shape_error(e, l, "(batch, timesteps, features)", in, fix);
}

static int check_states(const SlLayer *l, const RnnCfg *c, SlInfer *io, SlError *e)
{
    if (io->n_in != 1 && io->n_in != 1 + c->n_state)
        return sl_errorf(e, "layer '%s' (%s): initial_state needs %d tensor%s (%s), got %d",
                         l->name, l->type->name, c->n_state, c->n_state > 1 ? "s" : "",
                         c->n_state > 1 ? "h and c" : "h", io->n_in - 1);
    for (int k = 1; k < io->n_in; k++) {
        const SlShape *s = &io->in[k];
        if (s->rank != 2 || (s->dim[1] != SL_NONE && s->dim[1] != c->units)) {
            char want[64];
            snprintf(want, sizeof want, "an initial state of (batch, %d)", c->units);
            return sl_layer_shape_error(e, l, want, s,
                                        "each initial state holds one vector of units per sample");
        }
    }
    return 0;
}

static int rnn_infer(SlLayer *l, SlInfer *io, SlError *e)
{
    RnnCfg *c = l->cfg;
    if (io->n_in < 1)
        return sl_layer_expect_inputs(l, io, 1, e);
    if (check_states(l, c, io, e) < 0)
        return -1;
    const SlShape *in = &io->in[0];
    if (in->rank != 3)
        return rank_error(l, in, e);
    if (in->dim[2] == SL_NONE)
        return sl_layer_shape_error(e, l, "a known number of features on the last axis", in,
                                    "give the features in the input shape, e.g. (None, 5)");
    if (l->built && in->dim[2] != c->in) {
        char msg[96];
        snprintf(msg, sizeof msg, "(batch, timesteps, %d): the kernel was built for %d", c->in,
                 c->in);
        return sl_layer_shape_error(e, l, msg, in, "feed it the same number of features");
    }
    if (c->stateful && in->dim[0] == SL_NONE)
        return sl_layer_shape_error(
            e, l, "a fixed batch size, because stateful=True", in,
            "a stateful layer keeps one state per sample of the batch: give "
            "batch_input_shape=(batch_size, timesteps, features), or Input(batch_size=...)");
    if (c->stateful && l->built && in->dim[0] != c->batch) {
        char msg[96];
        snprintf(msg, sizeof msg, "batches of %d, the batch size its states were made for",
                 c->batch);
        return sl_layer_shape_error(e, l, msg, in,
                                    "a stateful model runs on batches of one size; pass that "
                                    "batch size (and no shuffling) to fit and predict");
    }
    if (in->dim[1] != SL_NONE && in->dim[1] < 1)
        return sl_layer_shape_error(e, l, "at least one timestep", in, "give each sequence a step");
    int B = in->dim[0], T = in->dim[1];
    io->n_out = 1 + (c->return_state ? c->n_state : 0);
    io->out[0] = c->return_sequences ? sl_shape_of(3, (int[]){B, T, c->units})
                                     : sl_shape_of(2, (int[]){B, c->units});
    for (int k = 1; k < io->n_out; k++)
        io->out[k] = sl_shape_of(2, (int[]){B, c->units});
    for (int k = 0; k < io->n_out; k++)
        io->out_mask[k] = SL_MASK_NONE;
    /* the mask is consumed; it goes on with the sequence when the sequence goes on */
    if (c->return_sequences && io->in_mask[0]) {
        io->out_mask[0] = SL_MASK_PASS;
        io->mask_from[0] = 0;
    }
    return 0;
}

static int rnn_params(SlLayer *l, const SlInfer *io, SlError *e)
{
    RnnCfg *c = l->cfg;
    const char *cell = cell_names[c->kind];
    char name[SL_PARAM_NAME_MAX];
    int Gu = c->G * c->units;
    c->in = io->in[0].dim[2];
    snprintf(name, sizeof name, "%s/kernel", cell);
    if (sl_layer_add_param(l, name, sl_shape_of(2, (int[]){c->in, Gu}), c->kernel_init, e) < 0)
        return -1;
    snprintf(name, sizeof name, "%s/recurrent_kernel", cell);
    if (sl_layer_add_param(l, name, sl_shape_of(2, (int[]){c->units, Gu}), c->rec_init, e) < 0)
        return -1;
    if (c->use_bias) {
        SlShape bs = c->reset_after ? sl_shape_of(2, (int[]){2, Gu}) : sl_shape_of(1, &Gu);
        /* Keras's unit_forget_bias: the forget block starts at 1, so the cell remembers */
        const char *init = c->unit_forget_bias && !strcmp(c->bias_init, "zeros")
                               ? "unit_forget_bias"
                               : c->bias_init;
        snprintf(name, sizeof name, "%s/bias", cell);
        if (sl_layer_add_param(l, name, bs, init, e) < 0)
            return -1;
    }
    if (c->stateful) {
        c->batch = io->in[0].dim[0];
        for (int k = 0; k < c->n_state; k++) {
            c->carried[k] = sl_alloc_zero((size_t)c->batch * (size_t)c->units, sizeof(sl_real));
            if (!c->carried[k])
                return sl_errorf(e, "out of memory for the states of '%s'", l->name);
        }
    }
    return 0;
}

/* Scratch, for T steps of B samples, u units, Gu = G*u (step-major: [s][b][...]):
 *   0 Z   (T, B, Gu) gate pre-activations         1 A  (T, B, Gu) gates after their activation
 *   2 H   (T+1, B, u) h before and after each step
 *   3 C   (T+1, B, u) LSTM: c; GRU: rh = h'U_h + b_h (reset_after) or r*h' (not); SimpleRNN: -
 *   4 AC  (T, B, u) LSTM: act(c)
 *   5 dZ  (T, B, Gu) gradients of the pre-activations, input side (kernel, bias, x)
 *   6 work: dH, dC, dcarry (B, u each), dzr (Gu), tmp (2*Gu), UT (Gu, u), WT (Gu, in) */
enum { S_Z, S_A, S_H, S_C, S_AC, S_DZ, S_WORK };

static void rnn_scratch(const SlLayer *l, const SlInfer *io, SlScratchDecl *d)
{
    const RnnCfg *c = l->cfg;
    size_t B = (size_t)io->in[0].dim[0], T = (size_t)io->in[0].dim[1], u = (size_t)c->units;
    size_t Gu = (size_t)c->G * u, in = (size_t)c->in;
    static const char *const names[] = {"Z gate pre-activations (T, B, G*units)",
                                        "A gates (T, B, G*units)",
                                        "H states (T+1, B, units)",
                                        "C cell states or reset products (T+1, B, units)",
                                        "act(c) (T, B, units)",
                                        "dZ (T, B, G*units)",
                                        "work"};
    size_t count[] = {T * B * Gu,
                      T * B * Gu,
                      (T + 1) * B * u,
                      c->kind == CELL_SIMPLE ? 1 : (T + 1) * B * u,
                      c->kind == CELL_LSTM ? T * B * u : 1,
                      T * B * Gu,
                      3 * B * u + 3 * Gu + Gu * u + Gu * in};
    d->n = S_WORK + 1;
    for (int i = 0; i < d->n; i++)
        d->name[i] = names[i], d->count[i] = count[i];
}

/* ---- forward ---- */

/* y[k] += sum_i x[i] U[i*ld + g0 + k] for k < n: a row times n columns of a matrix (I, ld) from
 * column g0 on, the innermost loop along U's rows (an axpy). */
static void row_times(sl_real *y, const sl_real *x, const sl_real *U, int I, int ld, int g0, int n)
{
    for (int i = 0; i < I; i++) {
        sl_real xi = x[i];
        const sl_real *Ui = U + (size_t)i * (size_t)ld + g0;
        for (int k = 0; k < n; k++)
            y[k] += xi * Ui[k];
    }
}

/* Z[s,b,:] = x[b,t(s),:] W + b_x for every step at once: the input side of every gate. */
static void input_projection(sl_real *Z, const sl_real *x, const sl_real *W, const sl_real *bx,
                             int B, int T, int F, int Gu, int backwards)
{
    for (int s = 0; s < T; s++)
        for (int b = 0; b < B; b++) {
            int t = backwards ? T - 1 - s : s;
            sl_real *z = Z + ((size_t)s * B + b) * Gu;
            for (int g = 0; g < Gu; g++)
                z[g] = bx ? bx[g] : 0;
            row_times(z, x + ((size_t)b * T + t) * F, W, F, Gu, 0, Gu);
        }
}

/* One sample's step of a cell. z holds x W + b_x on entry and the pre-activations on exit; a gets
 * the gates; hp/cp are the previous states, h/cn the new ones; rh is the GRU's extra (see
 * scratch). */
static void cell_forward(const RnnCfg *c, sl_real *z, sl_real *a, sl_real *h, sl_real *cn,
                         sl_real *ac, sl_real *rh, const sl_real *hp, const sl_real *cp,
                         const sl_real *U, const sl_real *bh)
{
    int u = c->units, Gu = c->G * u;
    if (c->kind == CELL_SIMPLE) {
        row_times(z, hp, U, u, Gu, 0, u);
        sl_act_forward(c->act, a, z, 1, (size_t)u);
        memcpy(h, a, (size_t)u * sizeof *h);
        return;
    }
    if (c->kind == CELL_LSTM) {
        row_times(z, hp, U, u, Gu, 0, Gu);
        sl_act_forward(c->rec_act, a, z, 1, (size_t)u);                 /* i */
        sl_act_forward(c->rec_act, a + u, z + u, 1, (size_t)u);         /* f */
        sl_act_forward(c->act, a + 2 * u, z + 2 * u, 1, (size_t)u);     /* g */
        sl_act_forward(c->rec_act, a + 3 * u, z + 3 * u, 1, (size_t)u); /* o */
        for (int j = 0; j < u; j++)
            cn[j] = a[u + j] * cp[j] + a[j] * a[2 * u + j];
        sl_act_forward(c->act, ac, cn, 1, (size_t)u);
        for (int j = 0; j < u; j++)
            h[j] = a[3 * u + j] * ac[j];
        return;
    }
    /* GRU: z and r from h', then the candidate n through the reset gate */
    if (c->reset_after) {
        for (int j = 0; j < u; j++)
            rh[j] = bh ? bh[2 * u + j] : 0;
        row_times(rh, hp, U, u, Gu, 2 * u, u);
        for (int g = 0; g < 2 * u; g++)
            z[g] += bh ? bh[g] : 0;
    }
    row_times(z, hp, U, u, Gu, 0, 2 * u);
    sl_act_forward(c->rec_act, a, z, 1, (size_t)u);         /* z */
    sl_act_forward(c->rec_act, a + u, z + u, 1, (size_t)u); /* r */
    const sl_real *r = a + u;
    if (c->reset_after) {
        for (int j = 0; j < u; j++)
            z[2 * u + j] += r[j] * rh[j];
    } else {
        for (int j = 0; j < u; j++)
            rh[j] = r[j] * hp[j];
        row_times(z + 2 * u, rh, U, u, Gu, 2 * u, u);
    }
    sl_act_forward(c->act, a + 2 * u, z + 2 * u, 1, (size_t)u);
    for (int j = 0; j < u; j++)
        h[j] = a[j] * hp[j] + (1 - a[j]) * a[2 * u + j];
}

/* The states before the first step: initial_state inputs, the carried states of a stateful layer,
 * or zeros. */
static void start_states(const RnnCfg *c, const SlPass *p, sl_real *H0, sl_real *C0, size_t n)
{
    for (int k = 0; k < c->n_state; k++) {
        sl_real *dst = k == 0 ? H0 : C0;
        if (p->n_in > 1)
            memcpy(dst, p->x[1 + k].data, n * sizeof *dst);
        else if (c->stateful)
            memcpy(dst, c->carried[k], n * sizeof *dst);
        else
            memset(dst, 0, n * sizeof *dst);
    }
}

typedef struct Steps { /* one call's sizes and buffers */
    int B, T, F, u, Gu;
    sl_real *Z, *A, *H, *C, *AC, *dZ, *work;
    const sl_real *W, *U, *bx, *bh;
} Steps;

static Steps steps_of(const SlLayer *l, const SlPass *p)
{
    const RnnCfg *c = l->cfg;
    Steps s = {.B = p->x[0].shape.dim[0], .T = p->x[0].shape.dim[1], .F = c->in, .u = c->units};
    s.Gu = c->G * c->units;
    s.Z = p->scratch[S_Z], s.A = p->scratch[S_A], s.H = p->scratch[S_H], s.C = p->scratch[S_C];
    s.AC = p->scratch[S_AC], s.dZ = p->scratch[S_DZ], s.work = p->scratch[S_WORK];
    s.W = l->params[0].value.data, s.U = l->params[1].value.data;
    const sl_real *bias = c->use_bias ? l->params[2].value.data : NULL;
    s.bx = bias;
    s.bh = bias && c->reset_after ? bias + s.Gu : NULL;
    return s;
}

static int step_unmasked(const SlPass *p, int b, int t, int T)
{
    return !p->mask_in[0] || p->mask_in[0][(size_t)b * T + t];
}

static void rnn_forward(SlLayer *l, SlPass *p)
{
    RnnCfg *c = l->cfg;
    Steps S = steps_of(l, p);
    int B = S.B, T = S.T, u = S.u, Gu = S.Gu;
    size_t Bu = (size_t)B * u, nu = (size_t)u * sizeof(sl_real);
    start_states(c, p, S.H, S.C, Bu);
    input_projection(S.Z, p->x[0].data, S.W, S.bx, B, T, S.F, Gu, c->go_backwards);
    sl_real *y = p->y[0].data;
    memset(y, 0, sl_tensor_count(&p->y[0]) * sizeof *y);
    for (int s = 0; s < T; s++) {
        int t = c->go_backwards ? T - 1 - s : s;
        for (int b = 0; b < B; b++) {
            size_t prev = ((size_t)s * B + b) * u, next = prev + Bu, g = ((size_t)s * B + b) * Gu;
            sl_real *out = c->return_sequences ? y + ((size_t)b * T + s) * u : y + (size_t)b * u;
            if (step_unmasked(p, b, t, T)) {
                sl_real *cn = c->kind == CELL_SIMPLE ? NULL : S.C + next;
                sl_real *rh = c->kind == CELL_GRU ? S.C + prev : NULL;
                cell_forward(c, S.Z + g, S.A + g, S.H + next, cn, S.AC + prev, rh, S.H + prev,
                             c->kind == CELL_LSTM ? S.C + prev : NULL, S.U, S.bh);
                memcpy(out, S.H + next, nu);
                continue;
            }
            /* masked: the states carry over, the output repeats the previous one */
            memcpy(S.H + next, S.H + prev, nu);
            if (c->kind == CELL_LSTM)
                memcpy(S.C + next, S.C + prev, nu);
            if (c->return_sequences && s > 0)
                memcpy(out, out - u, nu);
        }
    }
    for (int k = 1; k < p->n_out; k++)
        memcpy(p->y[k].data, (k == 1 ? S.H : S.C) + (size_t)T * Bu, Bu * sizeof(sl_real));
    for (int k = 0; c->stateful && k < c->n_state; k++)
        memcpy(c->carried[k], (k == 0 ? S.H : S.C) + (size_t)T * Bu, Bu * sizeof(sl_real));
}

/* ---- backward through time ---- */

/* dh[j] += sum_k dz[k] UT[(g0 + k)*u + j] for k < n: gradient rows times the transposed kernel,
 * innermost loop along UT's rows (an axpy). */
static void times_transposed(sl_real *dh, const sl_real *dz, const sl_real *UT, int u, int g0,
                             int n)
{
    for (int k = 0; k < n; k++) {
        sl_real g = dz[k];
        const sl_real *row = UT + (size_t)(g0 + k) * u;
        for (int j = 0; j < u; j++)
            dh[j] += g * row[j];
    }
}

/* dU[i*ld + g0 + k] += x[i] dz[k]: the outer product that a weight's gradient is made of. */
static void outer_add(sl_real *dU, const sl_real *x, const sl_real *dz, int I, int ld, int g0,
                      int n)
{
    for (int i = 0; i < I; i++) {
        sl_real xi = x[i];
        sl_real *row = dU + (size_t)i * ld + g0;
        for (int k = 0; k < n; k++)
            row[k] += xi * dz[k];
    }
}

/* What one sample's step needs to go backwards. */
typedef struct CellGrad {
    const sl_real *z, *a, *hp, *cp, *h, *cn, *ac, *rh, *UT;
    sl_real *dz;  /* out: gradient of the pre-activations, input side (zeroed by the caller) */
    sl_real *dzr; /* scratch (Gu): the same, recurrent side */
    sl_real *da;  /* scratch (Gu): gradients of the gates after their activations */
    sl_real *dU, *dbh;
} CellGrad;

/* LSTM (docs/rnn-backprop.md, "LSTM"): dh and dc arrive for h and c of this step and leave for
 * the previous step's. */
static void lstm_backward(const RnnCfg *c, const CellGrad *g, sl_real *dh, sl_real *dc)
{
    int u = c->units;
    const sl_real *i = g->a, *f = g->a + u, *gg = g->a + 2 * u, *o = g->a + 3 * u;
    sl_real *da = g->da;
    for (int j = 0; j < u; j++)
        da[j] = dh[j] * o[j]; /* dh/d act(c) */
    sl_act_backward(c->act, dc, da, g->cn, g->ac, 1, (size_t)u);
    for (int j = 0; j < u; j++) {
        da[j] = dc[j] * gg[j];            /* i */
        da[u + j] = dc[j] * g->cp[j];     /* f */
        da[2 * u + j] = dc[j] * i[j];     /* g */
        da[3 * u + j] = dh[j] * g->ac[j]; /* o */
        dc[j] *= f[j];                    /* c' */
    }
    for (int k = 0; k < 4; k++)
        sl_act_backward(k == 2 ? c->act : c->rec_act, g->dz + k * u, da + k * u, g->z + k * u,
                        g->a + k * u, 1, (size_t)u);
    memset(dh, 0, (size_t)u * sizeof *dh);
    times_transposed(dh, g->dz, g->UT, u, 0, 4 * u);
    outer_add(g->dU, g->hp, g->dz, u, 4 * u, 0, 4 * u);
}

/* GRU (docs/rnn-backprop.md, "GRU"), both reset_after variants. */
static void gru_backward(const RnnCfg *c, const CellGrad *g, sl_real *dh)
{
    int u = c->units, Gu = 3 * u;
    const sl_real *zg = g->a, *r = g->a + u, *n = g->a + 2 * u;
    sl_real *da = g->da, *dz = g->dz, *dzr = g->dzr;
    for (int j = 0; j < u; j++) {
        da[j] = dh[j] * (g->hp[j] - n[j]);   /* z */
        da[2 * u + j] = dh[j] * (1 - zg[j]); /* n */
        dh[j] *= zg[j];                      /* h' directly, through z h' */
    }
    sl_act_backward(c->act, dz + 2 * u, da + 2 * u, g->z + 2 * u, n, 1, (size_t)u);
    if (c->reset_after) {
        for (int j = 0; j < u; j++) {
            da[u + j] = dz[2 * u + j] * g->rh[j]; /* r multiplies h'U_h + b_h */
            dzr[2 * u + j] = dz[2 * u + j] * r[j];
        }
    } else {
        sl_real *drh = da + u; /* gradient of r h', then of r */
        memset(drh, 0, (size_t)u * sizeof *drh);
        times_transposed(drh, dz + 2 * u, g->UT, u, 2 * u, u);
        outer_add(g->dU, g->rh, dz + 2 * u, u, Gu, 2 * u, u);
        for (int j = 0; j < u; j++) {
            dh[j] += drh[j] * r[j];
            drh[j] *= g->hp[j];
        }
    }
    sl_act_backward(c->rec_act, dz, da, g->z, zg, 1, (size_t)u);
    sl_act_backward(c->rec_act, dz + u, da + u, g->z + u, r, 1, (size_t)u);
    memcpy(dzr, dz, 2 * (size_t)u * sizeof *dzr);
    int n_rec = c->reset_after ? Gu : 2 * u; /* columns of U that h' went through */
    times_transposed(dh, dzr, g->UT, u, 0, n_rec);
    outer_add(g->dU, g->hp, dzr, u, Gu, 0, n_rec);
    for (int k = 0; g->dbh && k < Gu; k++)
        g->dbh[k] += dzr[k];
}

static void simple_backward(const RnnCfg *c, const CellGrad *g, sl_real *dh)
{
    int u = c->units;
    sl_act_backward(c->act, g->dz, dh, g->z, g->a, 1, (size_t)u);
    memset(dh, 0, (size_t)u * sizeof *dh);
    times_transposed(dh, g->dz, g->UT, u, 0, u);
    outer_add(g->dU, g->hp, g->dz, u, u, 0, u);
}

/* The kernel's, the input bias's and the input's gradients from every step's dZ: the same two
 * products as Dense's backward, on the rows x[b, t(s)]. */
static void input_backward(const RnnCfg *c, const Steps *S, const SlPass *p, sl_real *dW,
                           sl_real *dbx, sl_real *WT)
{
    int B = S->B, T = S->T, F = S->F, Gu = S->Gu;
    for (int i = 0; i < F; i++)
        for (int g = 0; g < Gu; g++)
            WT[(size_t)g * F + i] = S->W[(size_t)i * Gu + g];
    for (int s = 0; s < T; s++)
        for (int b = 0; b < B; b++) {
            int t = c->go_backwards ? T - 1 - s : s;
            const sl_real *dz = S->dZ + ((size_t)s * B + b) * Gu;
            size_t row = ((size_t)b * T + t) * F;
            for (int g = 0; dbx && g < Gu; g++)
                dbx[g] += dz[g];
            outer_add(dW, p->x[0].data + row, dz, F, Gu, 0, Gu);
            times_transposed(p->dx[0].data + row, dz, WT, F, 0, Gu);
        }
}

static void rnn_backward(SlLayer *l, SlPass *p)
{
    RnnCfg *c = l->cfg;
    Steps S = steps_of(l, p);
    int B = S.B, T = S.T, u = S.u, Gu = S.Gu;
    size_t Bu = (size_t)B * u;
    sl_real *dH = S.work, *dC = dH + Bu, *dcar = dC + Bu, *dzr = dcar + Bu, *da = dzr + Gu;
    sl_real *UT = da + 2 * Gu, *WT = UT + (size_t)Gu * u;
    sl_real *dU = l->params[1].grad.data;
    sl_real *dbias = c->use_bias ? l->params[2].grad.data : NULL;
    for (int i = 0; i < u; i++)
        for (int g = 0; g < Gu; g++)
            UT[(size_t)g * u + i] = S.U[(size_t)i * Gu + g];
    memset(S.work, 0, 3 * Bu * sizeof *dH);
    for (size_t k = 0; k < Bu && c->return_state; k++) {
        dH[k] += p->dy[1].data[k];
        if (c->kind == CELL_LSTM)
            dC[k] += p->dy[2].data[k];
    }
    if (!c->return_sequences) /* the last output: the last unmasked step's h */
        memcpy(dcar, p->dy[0].data, Bu * sizeof *dcar);
    memset(S.dZ, 0, (size_t)T * B * Gu * sizeof *S.dZ);
    for (int s = T - 1; s >= 0; s--) {
        int t = c->go_backwards ? T - 1 - s : s;
        for (int b = 0; b < B; b++) {
            sl_real *dh = dH + (size_t)b * u, *dcr = dcar + (size_t)b * u;
            if (c->return_sequences)
                for (int j = 0; j < u; j++)
                    dcr[j] += p->dy[0].data[((size_t)b * T + s) * u + j];
            if (!step_unmasked(p, b, t, T))
                continue; /* the gradient carries on to the previous step's output and states */
            for (int j = 0; j < u; j++)
                dh[j] += dcr[j], dcr[j] = 0;
            size_t prev = ((size_t)s * B + b) * u, next = prev + Bu, g = ((size_t)s * B + b) * Gu;
            CellGrad cg = {.z = S.Z + g,
                           .a = S.A + g,
                           .hp = S.H + prev,
                           .h = S.H + next,
                           .UT = UT,
                           .dz = S.dZ + g,
                           .dzr = dzr,
                           .da = da,
                           .dU = dU,
                           .dbh = dbias && c->reset_after ? dbias + Gu : NULL};
            if (c->kind == CELL_LSTM) {
                cg.cp = S.C + prev, cg.cn = S.C + next, cg.ac = S.AC + prev;
                lstm_backward(c, &cg, dh, dC + (size_t)b * u);
            } else if (c->kind == CELL_GRU) {
                cg.rh = S.C + prev;
                gru_backward(c, &cg, dh);
            } else {
                simple_backward(c, &cg, dh);
            }
        }
    }
    for (int k = 1; k < p->n_in; k++) { /* initial_state inputs */
        const sl_real *src = k == 1 ? dH : dC;
        for (size_t i = 0; i < Bu; i++)
            p->dx[k].data[i] += src[i];
    }
    input_backward(c, &S, p, l->params[0].grad.data, dbias, WT);
}

/* ---- the rest of the interface ---- */

static void rnn_reset(SlLayer *l)
{
    RnnCfg *c = l->cfg;
    for (int k = 0; c->stateful && k < c->n_state; k++)
        if (c->carried[k])
            memset(c->carried[k], 0, (size_t)c->batch * (size_t)c->units * sizeof(sl_real));
}

static void rnn_destroy(SlLayer *l)
{
    RnnCfg *c = l->cfg;
    if (c)
        for (int k = 0; k < 2; k++)
            sl_free(c->carried[k]);
    sl_layer_destroy_cfg(l);
}

static void rnn_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    const RnnCfg *c = l->cfg;
    char a[96], b[96], T[16];
    const SlShape *in = &io->in[0];
    sl_shape_str(in, a, sizeof a);
    sl_shape_str(&io->out[0], b, sizeof b);
    if (in->dim[1] == SL_NONE)
        snprintf(T, sizeof T, "any number of");
    else
        snprintf(T, sizeof T, "%d", in->dim[1]);
    const char *states = !c->return_state  ? ""
                         : c->n_state == 2 ? ", plus the final h and c"
                                           : ", plus the final h";
    snprintf(buf, n,
             "%s reads %s timesteps of %d feature%s%s and returns %s (%d unit%s)%s: %s -> %s",
             l->type->name, T, in->dim[2], in->dim[2] == 1 ? "" : "s",
             c->go_backwards ? " from the end" : "",
             c->return_sequences ? "h at every step" : "the last h", c->units,
             c->units == 1 ? "" : "s", states, a, b);
}

/* Keras's count: G blocks, each a kernel (in, u), a recurrent kernel (u, u) and a bias (u), plus
 * GRU's second bias with reset_after. */
static void rnn_formula(const SlLayer *l, char *buf, size_t n)
{
    const RnnCfg *c = l->cfg;
    long long u = c->units, in = c->in, G = c->G;
    long long total = G * (u * (in + u) + (c->use_bias ? (c->reset_after ? 2 : 1) * u : 0));
    const char *bias = !c->use_bias ? "" : c->reset_after ? " + 2*%lld" : " + %lld";
    char inner[96], b[32];
    snprintf(b, sizeof b, bias, u);
    snprintf(inner, sizeof inner, "%lld*(%lld+%lld)%s", u, in, u, b);
    if (G == 1)
        snprintf(buf, n, "%s = %lld", inner, total);
    else
        snprintf(buf, n, "%lld*(%s) = %lld", G, inner, total);
}

/* For `summary --explain`: where Keras 2.2 had another default that changes this layer (LSTM and
 * GRU's recurrent_activation, GRU's reset_after) and the user did not choose, a note saying so. */
static void rnn_note(const SlLayer *l, char *buf, size_t n)
{
    const RnnCfg *c = l->cfg;
    buf[0] = '\0';
    if (c->kind == CELL_SIMPLE)
        return;
    int act = !sl_layer_arg_given(l, "recurrent_activation"),
        reset = c->kind == CELL_GRU && !sl_layer_arg_given(l, "reset_after");
    if (!act && !reset)
        return;
    long long old = 3LL * (c->units * (long long)(c->in + c->units) + (c->use_bias ? c->units : 0));
    char r[96];
    snprintf(r, sizeof r, "reset_after=False: %lld params", old);
    snprintf(buf, n, "Keras 2.2 defaults: %s%s%s",
             act ? "recurrent_activation='hard_sigmoid' (same count)" : "",
             act && reset ? "; " : "", reset ? r : "");
}

/* The lstm scene steps any of the three cells; a stateful layer has a scene of its own. */
static int rnn_scenes(const SlLayer *l, SlSceneClaim *out)
{
    const RnnCfg *c = l->cfg;
    int n = 0;
    if (c->stateful)
        out[n++] = (SlSceneClaim){"stateful", SL_SCENE_ABOUT,
                                  "the state handed from one batch to the next", 0};
    out[n++] =
        (SlSceneClaim){"lstm", SL_SCENE_OWN, "the cell unrolled: gates and states step by step", 0};
    return n;
}

#define RNN_TYPE(NAME, SNAKE, ARGS, CREATE, SUMMARY, EXAMPLE)                                      \
    {                                                                                              \
        .name = NAME, .aliases = "", .snake = SNAKE, .summary = SUMMARY, .args = ARGS,             \
        .n_args = sizeof ARGS / sizeof ARGS[0], .example_args = EXAMPLE,                           \
        .example_input = "(2, 5, 4)", .kind = SL_KIND_RECURRENT, .steps = SL_STEPS_ALL,            \
        .create = CREATE, .infer = rnn_infer, .params = rnn_params, .scratch = rnn_scratch,        \
        .forward = rnn_forward, .backward = rnn_backward, .reset = rnn_reset,                      \
        .explain = rnn_explain, .formula = rnn_formula, .note = rnn_note,                          \
        .window = sl_layer_no_window, .codes = sl_layer_reals, .scenes = rnn_scenes,               \
        .destroy = rnn_destroy,                                                                    \
    }

const SlLayerType sl_simple_rnn_type =
    RNN_TYPE("SimpleRNN", "simple_rnn", simple_args, simple_create,
             "the plain recurrent layer: h = act(x W + h' U + b) at each timestep",
             "3, return_sequences=True");
const SlLayerType sl_lstm_type =
    RNN_TYPE("LSTM", "lstm", lstm_args, lstm_create,
             "long short-term memory: gates i, f, c, o carry h and a cell state c through time",
             "3, return_sequences=True");
const SlLayerType sl_gru_type =
    RNN_TYPE("GRU", "gru", gru_args, gru_create,
             "gated recurrent unit: gates z and r blend the previous h with a candidate",
             "3, return_sequences=True, reset_after=False");

/* ---- one sample, step by step (rnn.h) ---- */

int sl_rnn_n_states(const SlLayer *l)
{
    return ((const RnnCfg *)l->cfg)->n_state;
}

void sl_rnn_steps_free(SlRnnSteps *s)
{
    sl_free(s->a), sl_free(s->h), sl_free(s->c);
    memset(s, 0, sizeof *s);
}

int sl_rnn_steps(const SlLayer *l, const sl_real *x, int T, const sl_real *h0, const sl_real *c0,
                 SlRnnSteps *s, SlError *e)
{
    memset(s, 0, sizeof *s);
    if (!sl_layer_is(l, SL_KIND_RECURRENT) || !l->built || T < 1)
        return sl_errorf(e, "layer '%s' is not a built recurrent layer", l->name);
    const RnnCfg *c = l->cfg;
    int u = c->units, Gu = c->G * u;
    s->T = T, s->units = u, s->G = c->G, s->go_backwards = c->go_backwards;
    s->gates = c->kind == CELL_LSTM ? "ifco" : c->kind == CELL_GRU ? "zrh" : "h";
    s->a = sl_alloc_zero((size_t)T * Gu, sizeof(sl_real));
    s->h = sl_alloc_zero((size_t)(T + 1) * u, sizeof(sl_real));
    s->c = sl_alloc_zero((size_t)(T + 1) * u, sizeof(sl_real)); /* also GRU's rh, then dropped */
    sl_real *z = sl_alloc_zero((size_t)T * Gu + u, sizeof(sl_real)); /* (T, Gu), then u extra */
    if (!s->a || !s->h || !s->c || !z) {
        sl_free(z);
        sl_rnn_steps_free(s);
        return sl_errorf(e, "out of memory");
    }
    if (h0)
        memcpy(s->h, h0, (size_t)u * sizeof *s->h);
    if (c0)
        memcpy(s->c, c0, (size_t)u * sizeof *s->c);
    const sl_real *U = l->params[1].value.data;
    const sl_real *bias = c->use_bias ? l->params[2].value.data : NULL;
    const sl_real *bh = bias && c->reset_after ? bias + Gu : NULL;
    input_projection(z, x, l->params[0].value.data, bias, 1, T, c->in, Gu, c->go_backwards);
    sl_real *extra = z + (size_t)T * Gu; /* act(c) or GRU's rh of the step: not kept */
    for (int step = 0; step < T; step++) {
        sl_real *hp = s->h + (size_t)step * u, *cp = s->c + (size_t)step * u;
        cell_forward(c, z + (size_t)step * Gu, s->a + (size_t)step * Gu, hp + u,
                     c->kind == CELL_LSTM ? cp + u : extra, extra,
                     c->kind == CELL_GRU ? extra : NULL, hp, cp, U, bh);
    }
    sl_free(z);
    if (c->kind != CELL_LSTM) {
        sl_free(s->c);
        s->c = NULL;
    }
    return 0;
}
