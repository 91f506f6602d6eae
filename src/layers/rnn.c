/* rnn.c: the recurrent layers SimpleRNN, LSTM and GRU: three cells and one time loop.
 *
 * Shapes: x (B, T, F) -> y (B, T, u) with return_sequences=True, else (B, u), h after the last
 * step. return_state=True adds the final states as more outputs: LSTM [y, h, c], GRU and
 * SimpleRNN [y, h]. initial_state=[h0, c0] (functional API) arrives as more inputs, (B, u) each.
 * Weights in Keras's layout, G blocks of u columns side by side (SimpleRNN 1; LSTM 4: i, f, c, o;
 * GRU 3: z, r, h): kernel W (F, G*u), recurrent_kernel U (u, G*u), bias (G*u). GRU with
 * reset_after=True (Keras 3's default) has bias (2, G*u): b_x added to x W, bh added to h' U.
 *
 * Forward, step s = 0 .. T-1 reading input step t = s (go_backwards: t = T-1-s). h' and c' are
 * the states before the step (zeros, initial_state, or stateful=True's carried states); act is
 * `activation` (tanh), rec is `recurrent_activation` (sigmoid); rows times matrices:
 *   SimpleRNN  z = x W + b + h' U                   h = act(z)
 *   LSTM       [zi zf zg zo] = x W + b + h' U       i, f, o = rec(zi, zf, zo)    g = act(zg)
 *              c = f c' + i g                       h = o act(c)
 *   GRU        [xz xr xh] = x W + b_x               [zz zr] = [xz xr] + h' [U_z U_r] (+ bh_z, bh_r)
 *              zg = rec(zz)  (the update gate z)    r = rec(zr)
 *              reset_after=True:  rh = h' U_h + bh_h    zn = xh + r rh
 *              reset_after=False: rh = r h'             zn = xh + rh U_h
 *              n = act(zn)                          h = zg h' + (1 - zg) n
 * g and n are the candidates (Keras's c and h blocks). Within a step the samples are independent:
 * the step runs on blocks of samples, whose pre-activations x W + b_x + h' U are products on their
 * rows (step_products), and the cell then runs on the block, elementwise. A masked step (mask 0)
 * keeps h and c, and its output repeats the previous output (zeros before the first unmasked
 * step), or is zeros with zero_output_for_mask=True (Bidirectional sets it on its copies that
 * return sequences, as Keras does).
 *
 * Dropout, in training only (Keras's DropoutRNNCell): masks drawn once per batch, the same at every
 * step, 1/(1 - rate) or 0. dropout= multiplies each step's x by mx (B, F), recurrent_dropout=
 * multiplies h' by mh (B, u) where it meets U. SimpleRNN, and LSTM and GRU without
 * recurrent_dropout (Keras's implementation 2), share one input mask among all gate blocks; LSTM
 * and GRU with recurrent_dropout > 0 (or implementation=1) draw one mask per block, input and
 * recurrent: block g of z reads x * mx_g and h' * mh_g. GRU's blend zg h' + (1 - zg) n keeps the
 * unmasked h'. The products stay the same block products: a step's masked rows are formed first
 * (masked_rows), and each gate block's columns read them. Backward multiplies the gradients of x
 * and h' by the same masks.
 *
 * Backward through time walks the steps from the last to the first; each cell's backward undoes
 * its forward line by line in reverse (derived in docs/rnn-backprop.md). dh, dc: the gradients
 * of h and c of the step; dh', dc' of the states before it, handed to the step before:
 *   SimpleRNN  dz = act'(z) dh                      dh' = dz U^T       dU += h'^T dz
 *   LSTM       do = dh act(c)    dc += act'(c) dh o    df = dc c'   dc' = dc f   di = dc g
 *              dg = dc i         dz = [rec'(zi) di, rec'(zf) df, act'(zg) dg, rec'(zo) do]
 *              dh' = dz U^T      dU += h'^T dz
 *   GRU        dzg = dh (h' - n)    dh' = dh zg    dn = dh (1 - zg)    dzn = act'(zn) dn
 *              reset_after=True:  dr = dzn rh    drh = dzn r    dh' += drh U_h^T
 *                                 dU_h += h'^T drh    dbh_h += drh
 *              reset_after=False: drh = dzn U_h^T    dU_h += rh^T dzn    dh' += drh r
 *                                 dr = drh h'
 *              dzz = rec'(zz) dzg    dzr = rec'(zr) dr    dz = [dzz dzr dzn]
 *              dh' += [dzz dzr] [U_z U_r]^T    dU_z,r += h'^T [dzz dzr]    (dbh_z,r += the same)
 * The products' gradients are the time loop's: per block dh' += dz U^T and dx += dz W^T, and
 * per step the sums over the batch, dU += h'^T dz, dW += x^T dz and the biases'
 * (step_weight_grads).
 *
 * Every product is one of three helpers (rows_times and its two gradients): a loop over rows,
 * the reference, or with the fast kernels one sl_gemm (src/kernels/, docs/performance.md).
 *
 * Trace: with an observer attached, forward reports each step of sample 0 (SL_EV_STEP: x, the
 * gates, c, h) and backward each step's gradients (SL_EV_BACK_STEP: dh, dc, dz); rnn.h lists
 * the names.
 *
 * In this file: arguments, creating, shapes and weights; the products; the cells, forward and
 * backward side by side; one call's sizes and scratch (Scratch); the trace; dropout's masks and
 * the rows read through them; the forward time loop; the backward time loop; the type tables;
 * rnn.h's windows into the loop (sl_rnn_steps, sl_rnn_info).
 */
#include <stdio.h>
#include <string.h>

#include "activation.h"
#include "alloc.h"
#include "init.h"
#include "kernels/kernels.h"
#include "layer.h"
#include "rnn.h"
#include "trace.h"

typedef enum CellKind { CELL_SIMPLE, CELL_LSTM, CELL_GRU } CellKind;

typedef struct RnnCfg {
    CellKind kind;
    int G;       /* gate blocks: 1, 4, 3 */
    int n_state; /* 1 (h), 2 for LSTM (h, c) */
    int units, in;
    SlAct act, rec_act;
    int use_bias, return_sequences, return_state, go_backwards, stateful;
    int unit_forget_bias, reset_after;
    int zero_output; /* zero_output_for_mask: a masked step outputs zeros, not the last output */
    SlWeightArgs kernel, recurrent, bias;
    /* dropout: rates, and the masks drawn per batch in training: nx masks (features) of the
     * input, nh masks (units) of h': 1 each, or G with recurrent dropout (one per gate block) */
    double dropout, rec_dropout;
    int nx, nh;
    /* stateful: the states carried from one batch to the next, (batch, units) each */
    int batch;
    sl_real *carried[2];
} RnnCfg;

/* Arguments in Keras 3's order. The three layers share most; each macro is a run of them. */
#define RNN_UNITS_ACTIVATION                                                                       \
    {"units", SL_ARG_INT, NULL, "size of h (and c): the features of each output step"},            \
    {                                                                                              \
        "activation", SL_ARG_STR | SL_ARG_OR_NONE, "'tanh'", "applied to the candidate"            \
    }
#define RNN_INITIALIZERS                                                                           \
    SL_ARG_INITIALIZER("kernel_initializer", "'glorot_uniform'", "how the input kernel starts"),   \
        SL_ARG_INITIALIZER("recurrent_initializer", "'orthogonal'",                                \
                           "how the recurrent kernel starts"),                                     \
        SL_ARG_INITIALIZER("bias_initializer", "'zeros'", "how the bias starts")
#define RNN_REGULARIZERS_CONSTRAINTS                                                               \
    SL_ARG_REGULARIZER("kernel_regularizer"), SL_ARG_REGULARIZER("recurrent_regularizer"),         \
        SL_ARG_REGULARIZER("bias_regularizer"), SL_ARG_ACTIVITY,                                   \
        SL_ARG_CONSTRAINT("kernel_constraint"), SL_ARG_CONSTRAINT("recurrent_constraint"),         \
        SL_ARG_CONSTRAINT("bias_constraint")
#define RNN_DROPOUTS                                                                               \
    {"dropout", SL_ARG_FLOAT, "0.0",                                                               \
     "fraction of the input features dropped in training (one mask per batch)"},                   \
    {                                                                                              \
        "recurrent_dropout", SL_ARG_FLOAT, "0.0",                                                  \
            "fraction of h' dropped in training (one mask per batch)"                              \
    }
#define RNN_SEED                                                                                   \
    {                                                                                              \
        "seed", SL_ARG_SEED | SL_ARG_OR_NONE, "None",                                              \
            "accepted; the dropout masks come from the model's seeded generator"                   \
    }
#define RNN_LOOP                                                                                   \
    {"return_sequences", SL_ARG_BOOL, "False", "output h at every step, not only the last"},       \
        {"return_state", SL_ARG_BOOL, "False", "also output the final states"},                    \
        {"go_backwards", SL_ARG_BOOL, "False", "read the sequence from its end"},                  \
        {"stateful", SL_ARG_BOOL, "False", "carry the states from one batch to the next"},         \
    {                                                                                              \
        "unroll", SL_ARG_BOOL, "False", "Keras's speed option; no effect here"                     \
    }
#define RNN_KEYWORDS                                                                               \
    {                                                                                              \
        "zero_output_for_mask", SL_ARG_BOOL | SL_ARG_KEYWORD, "False",                             \
            "a masked step outputs zeros instead of repeating the last output (return_sequences)"  \
    }
#define RNN_GATED_TAIL                                                                             \
    {"use_cudnn", SL_ARG_ANY, "'auto'",                                                            \
     "Keras's GPU option ('auto', True, False); no effect here"},                                  \
        {"implementation", SL_ARG_INT | SL_ARG_KEYWORD, "2",                                       \
         "1: a dropout mask per gate; 2 (the default): one for all (recurrent_dropout means 1)"},  \
        RNN_KEYWORDS

static const SlArgSpec simple_args[] = {
    RNN_UNITS_ACTIVATION,
    {"use_bias", SL_ARG_BOOL, "True", "add a bias vector"},
    RNN_INITIALIZERS,
    RNN_REGULARIZERS_CONSTRAINTS,
    RNN_DROPOUTS,
    RNN_LOOP,
    RNN_SEED,
    RNN_KEYWORDS,
};
static const SlArgSpec lstm_args[] = {
    RNN_UNITS_ACTIVATION,
    {"recurrent_activation", SL_ARG_STR, "'sigmoid'", "applied to the gates i, f, o"},
    {"use_bias", SL_ARG_BOOL, "True", "add bias vectors"},
    RNN_INITIALIZERS,
    {"unit_forget_bias", SL_ARG_BOOL, "True", "start the forget gate's bias at 1"},
    RNN_REGULARIZERS_CONSTRAINTS,
    RNN_DROPOUTS,
    RNN_SEED,
    RNN_LOOP,
    RNN_GATED_TAIL,
};
static const SlArgSpec gru_args[] = {
    RNN_UNITS_ACTIVATION,
    {"recurrent_activation", SL_ARG_STR, "'sigmoid'", "applied to the gates z and r"},
    {"use_bias", SL_ARG_BOOL, "True", "add bias vectors"},
    RNN_INITIALIZERS,
    RNN_REGULARIZERS_CONSTRAINTS,
    RNN_DROPOUTS,
    RNN_SEED,
    RNN_LOOP,
    {"reset_after", SL_ARG_BOOL, "True", "apply the reset gate after the recurrent kernel"},
    RNN_GATED_TAIL,
};

static const char *const cell_names[] = {"simple_rnn_cell", "lstm_cell", "gru_cell"};

/* ---- creating ---- */

/* dropout= and recurrent_dropout=, and how many masks each draws (Keras's DropoutRNNCell): one
 * for all the gates, or, for LSTM and GRU in Keras's implementation 1 (chosen by
 * recurrent_dropout > 0, or implementation=1), one per gate block. */
static int read_dropout(SlLayer *l, RnnCfg *c, const SlBound *b, SlError *e)
{
    static const char *const keys[] = {"dropout", "recurrent_dropout"};
    double *rate[] = {&c->dropout, &c->rec_dropout};
    for (int i = 0; i < 2; i++) {
        *rate[i] = sl_bound_float(b, keys[i]);
        if (!(*rate[i] >= 0 && *rate[i] < 1))
            return sl_errorf(e, "%s is the fraction dropped and must be in [0, 1), got %g", keys[i],
                             *rate[i]);
    }
    int impl = c->kind == CELL_SIMPLE ? 2 : (int)sl_bound_int(b, "implementation");
    if (impl != 1 && impl != 2)
        return sl_errorf(e, "implementation is 1 or 2, got %d", impl);
    int per_gate = impl == 1 || c->rec_dropout > 0;
    c->nx = c->dropout > 0 ? (per_gate ? c->G : 1) : 0;
    c->nh = c->rec_dropout > 0 ? c->G : 0;
    if (!sl_bound_is_none(b, "seed"))
        sl_layer_notice(l, "notice: seed= of a recurrent layer is accepted but not used: shapelab "
                           "draws every dropout mask from the model's one seeded generator (the "
                           "seed given to fit, or shapelab train --seed)");
    return 0;
}

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
    c->zero_output = sl_bound_bool(b, "zero_output_for_mask");
    c->rec_act = SL_ACT_SIGMOID;
    if (c->units <= 0)
        return sl_errorf(e, "units must be a positive integer (the size of h), got %d", c->units);
    if (sl_act_read(&c->act, b, "activation", e) < 0 ||
        sl_weight_args_read(l, &c->kernel, b, "kernel", e) < 0 ||
        sl_weight_args_read(l, &c->recurrent, b, "recurrent", e) < 0 ||
        sl_weight_args_read(l, &c->bias, b, "bias", e) < 0)
        return -1;
    if (kind != CELL_SIMPLE && sl_act_read(&c->rec_act, b, "recurrent_activation", e) < 0)
        return -1;
    if (kind == CELL_LSTM)
        c->unit_forget_bias = sl_bound_bool(b, "unit_forget_bias");
    c->reset_after = kind == CELL_GRU && sl_bound_bool(b, "reset_after");
    if (kind != CELL_SIMPLE) {
        const SlValue *cudnn = sl_bound(b, "use_cudnn");
        const char *s = sl_value_strv(&b->store, cudnn);
        if (cudnn->kind != SL_V_BOOL && !(s && !strcmp(s, "auto")))
            return sl_errorf(e, "use_cudnn is 'auto', True or False");
    }
    return read_dropout(l, c, b, e);
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
    if (sl_layer_add_weight(l, name, sl_shape_of(2, (int[]){c->in, Gu}), &c->kernel, e) < 0)
        return -1;
    snprintf(name, sizeof name, "%s/recurrent_kernel", cell);
    if (sl_layer_add_weight(l, name, sl_shape_of(2, (int[]){c->units, Gu}), &c->recurrent, e) < 0)
        return -1;
    if (c->use_bias) {
        SlShape bs = c->reset_after ? sl_shape_of(2, (int[]){2, Gu}) : sl_shape_of(1, &Gu);
        /* Keras's unit_forget_bias: the forget block starts at 1, so the cell remembers */
        SlWeightArgs bias = c->bias;
        bias.init.unit_forget = c->unit_forget_bias;
        snprintf(name, sizeof name, "%s/bias", cell);
        if (sl_layer_add_weight(l, name, bs, &bias, e) < 0)
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

/* ---- the products: rows of a batch times a weight matrix ----
 *
 * Every matrix product of this file is one of three, each on n rows of a batch at once: rows
 * times columns of a weight matrix (z = x W + h' U for a block of samples), and its two
 * gradients (for the rows: dh' += dz U^T; for the matrix: dU += h'^T dz). Each is written as a
 * loop over the rows of a one-row helper (an axpy innermost: the reference); with the fast
 * kernels it is one sl_gemm over all the rows (src/kernels/gemm.c), the same sums added up in
 * register tiles. */

/* y[k] += sum_i x[i] M[i*ld + g0 + k] for k < n: the row x (I) times n columns of M (I, ld) from
 * column g0 on, the innermost loop along M's rows (an axpy). */
static void row_times(sl_real *y, const sl_real *x, const sl_real *M, int I, int ld, int g0, int n)
{
    for (int i = 0; i < I; i++) {
        sl_real xi = x[i];
        const sl_real *Mi = M + (size_t)i * (size_t)ld + g0;
        for (int k = 0; k < n; k++)
            y[k] += xi * Mi[k];
    }
}

/* dx[j] += sum_k dy[k] MT[(g0 + k)*I + j] for k < n: row_times's gradient for x, through M
 * transposed (MT is (ld, I)), the innermost loop along MT's rows (an axpy). */
static void times_transposed(sl_real *dx, const sl_real *dy, const sl_real *MT, int I, int g0,
                             int n)
{
    for (int k = 0; k < n; k++) {
        sl_real g = dy[k];
        const sl_real *row = MT + (size_t)(g0 + k) * I;
        for (int j = 0; j < I; j++)
            dx[j] += g * row[j];
    }
}

/* dM[i*ld + g0 + k] += x[i] dy[k]: row_times's gradient for M, an outer product. */
static void outer_add(sl_real *dM, const sl_real *x, const sl_real *dy, int I, int ld, int g0,
                      int n)
{
    for (int i = 0; i < I; i++) {
        sl_real xi = x[i];
        sl_real *row = dM + (size_t)i * ld + g0;
        for (int k = 0; k < n; k++)
            row[k] += xi * dy[k];
    }
}

/* MT (cols, rows) = M (rows, cols) transposed. */
static void transpose(sl_real *MT, const sl_real *M, int rows, int cols)
{
    for (int i = 0; i < rows; i++)
        for (int g = 0; g < cols; g++)
            MT[(size_t)g * rows + i] = M[(size_t)i * cols + g];
}

/* Y[r] += X[r] M[:, g0 : g0+n] for the B rows r of X (I each, ldx apart) and Y (ldy apart); or,
 * where row is not NULL, Y[r] = row + X[r] M[:, g0 : g0+n], row (n values) a bias row. */
static void rows_times(sl_real *Y, size_t ldy, const sl_real *X, size_t ldx, const sl_real *M,
                       int I, int ld, int g0, int n, int B, const sl_real *row)
{
    if (sl_kernels_fast()) {
        SlTerm one = {sl_mat(X, ldx), M + g0, (size_t)ld, (size_t)I};
        sl_gemm_sum_from(Y, ldy, row, &one, 1, (size_t)B, (size_t)n);
        return;
    }
    for (int r = 0; r < B; r++) {
        if (row)
            memcpy(Y + r * ldy, row, (size_t)n * sizeof *Y);
        row_times(Y + r * ldy, X + r * ldx, M, I, ld, g0, n);
    }
}

/* Y[r] = row + X[r] W[:, g0 : g0+n] + H[r] U[:, g0 : g0+n] for the B rows: both sides of the
 * gates' pre-activations over their biases, in one pass with the fast kernels (W is (F, ld), U
 * (u, ld), row n values). */
static void rows_times_sum(sl_real *Y, size_t ldy, const sl_real *row, const sl_real *X, size_t ldx,
                           const sl_real *W, int F, const sl_real *H, size_t ldh, const sl_real *U,
                           int u, int ld, int g0, int n, int B)
{
    if (sl_kernels_fast()) {
        SlTerm both[2] = {{sl_mat(X, ldx), W + g0, (size_t)ld, (size_t)F},
                          {sl_mat(H, ldh), U + g0, (size_t)ld, (size_t)u}};
        sl_gemm_sum_from(Y, ldy, row, both, 2, (size_t)B, (size_t)n);
        return;
    }
    for (int r = 0; r < B; r++) {
        memcpy(Y + r * ldy, row, (size_t)n * sizeof *Y);
        row_times(Y + r * ldy, X + r * ldx, W, F, ld, g0, n);
        row_times(Y + r * ldy, H + r * ldh, U, u, ld, g0, n);
    }
}

/* dX[r] += dY[r] M[:, g0 : g0+n]^T for the B rows, through MT (ld, I) = M transposed. */
static void rows_times_transposed(sl_real *dX, size_t ldx, const sl_real *dY, size_t ldy,
                                  const sl_real *MT, int I, int g0, int n, int B)
{
    if (sl_kernels_fast()) {
        sl_gemm(dX, ldx, sl_mat(dY, ldy), MT + (size_t)g0 * I, (size_t)I, (size_t)B, (size_t)I,
                (size_t)n);
        return;
    }
    for (int r = 0; r < B; r++)
        times_transposed(dX + r * ldx, dY + r * ldy, MT, I, g0, n);
}

/* dM[:, g0 : g0+n] += sum over the B rows of X[r]^T dY[r]: the weights' gradient of rows_times. */
static void rows_outer_add(sl_real *dM, const sl_real *X, size_t ldx, const sl_real *dY, size_t ldy,
                           int I, int ld, int g0, int n, int B)
{
    if (sl_kernels_fast()) {
        sl_gemm(dM + g0, (size_t)ld, sl_mat_t(X, ldx), dY, ldy, (size_t)I, (size_t)n, (size_t)B);
        return;
    }
    for (int r = 0; r < B; r++)
        outer_add(dM, X + r * ldx, dY + r * ldy, I, ld, g0, n);
}

/* ---- the cells: a step of n samples, forward and backward side by side ----
 *
 * u units, G gate blocks. A cell runs on n consecutive samples at once: each sample's gates are
 * one row of G*u values (the blocks side by side, as the kernel's columns), its states one row
 * of u values, the rows one after another. A cell finds its pre-activations' sums already in z:
 * the input side x W + b_x and the recurrent side h' U, products the time loop made for a block
 * of samples at once (step_products). What is left is elementwise, row by row. Backward walks
 * the forward's lines in reverse. It sets dz and LSTM's dcp, which only it writes, and
 * accumulates (+=) into dhp, which the caller zeroed (and into LSTM's dc, the path through h);
 * the products' gradients, dh' += dz U^T and dU += h'^T dz, are the time loop's too. */

/* SimpleRNN: h = act(z), z = x W + b + h' U. */
static void simple_cell_forward(sl_real *h,       // h: (n, u) the new states
                                sl_real *a,       // a: (n, u) act(z), the one block (h again)
                                const sl_real *z, // z: (n, u) the pre-activations
                                SlAct act, size_t u, size_t n)
{
    sl_act_forward(act, a, z, n, u); /* a = act(z) */
    memcpy(h, a, n * u * sizeof *h); /* h = a */
}

static void simple_cell_backward(sl_real *dz,       // dz: (n, u) = the gradient of z
                                 const sl_real *dh, // dh: (n, u) the gradient of h
                                 const sl_real *z,  // z: (n, u) the pre-activations
                                 const sl_real *a,  // a: (n, u) act(z)
                                 SlAct act, size_t u, size_t n)
{
    /* h = a: dh is the gradient of a */
    sl_act_backward_rows_set(act, dz, dh, z, a, u, n, u); /* a = act(z) */
}

/* LSTM: [zi zf zg zo] = x W + b + h' U; i, f, o = rec(zi, zf, zo), g = act(zg) (the candidate,
 * Keras's c block); c = f c' + i g; h = o act(c). Rows of 4u: the gates i, f, g, o side by side. */
static void lstm_cell_forward(sl_real *h,        // h: (n, u) the new h
                              sl_real *c,        // c: (n, u) the new c
                              sl_real *a,        // a: (n, 4u) the gates i, f, g, o
                              sl_real *ac,       // ac: (n, u) act(c)
                              const sl_real *z,  // z: (n, 4u) the pre-activations
                              const sl_real *cp, // cp: (n, u) c'
                              SlAct act, SlAct rec, size_t u, size_t n)
{
    size_t row = 4 * u;                                        /* a sample's gates */
    sl_act_forward_rows(rec, a, z, row, n, 2 * u);             /* i, f = rec(zi, zf) */
    sl_act_forward_rows(act, a + 2 * u, z + 2 * u, row, n, u); /* g = act(zg) */
    sl_act_forward_rows(rec, a + 3 * u, z + 3 * u, row, n, u); /* o = rec(zo) */
    for (size_t b = 0; b < n; b++) {
        const sl_real *i = a + b * row, *f = i + u, *g = i + 2 * u;
        for (size_t j = 0; j < u; j++)
            c[b * u + j] = f[j] * cp[b * u + j] + i[j] * g[j];
    }
    sl_act_forward(act, ac, c, n, u); /* ac = act(c) */
    for (size_t b = 0; b < n; b++) {
        const sl_real *o = a + b * row + 3 * u;
        for (size_t j = 0; j < u; j++)
            h[b * u + j] = o[j] * ac[b * u + j];
    }
}

/* c = f c' + i g backwards, for one sample's u values: di, df, dg = dc g, dc c', dc i and
 * dc' = dc f. restrict says the rows are distinct, which makes it a vector loop. */
static void lstm_c_backward(sl_real *restrict di, sl_real *restrict df, sl_real *restrict dg,
                            sl_real *restrict dcp, const sl_real *restrict dc,
                            const sl_real *restrict cp, const sl_real *restrict i,
                            const sl_real *restrict f, const sl_real *restrict g, size_t u)
{
    for (size_t j = 0; j < u; j++) {
        df[j] = dc[j] * cp[j];
        dcp[j] = dc[j] * f[j];
        di[j] = dc[j] * g[j];
        dg[j] = dc[j] * i[j];
    }
}

/* dc arrives with what c gave the next step (through that step's f) and leaves with the path
 * through h added: the whole gradient of c. */
static void lstm_cell_backward(sl_real *dz,       // dz: (n, 4u) = the gradient of z
                               sl_real *dcp,      // dcp: (n, u) = the gradient of c'
                               sl_real *dc,       // dc: (n, u) the gradient of c, += through h
                               sl_real *da,       // da: (n, 4u) work: di, df, dg, do
                               sl_real *dac,      // dac: (n, u) work: d act(c)
                               const sl_real *dh, // dh: (n, u) the gradient of h
                               const sl_real *c,  // c: (n, u) c
                               const sl_real *a,  // a: (n, 4u) the gates i, f, g, o
                               const sl_real *ac, // ac: (n, u) act(c)
                               const sl_real *z,  // z: (n, 4u) the pre-activations
                               const sl_real *cp, // cp: (n, u) c'
                               SlAct act, SlAct rec, size_t u, size_t n)
{
    size_t row = 4 * u;              /* a sample's gates */
    for (size_t b = 0; b < n; b++) { /* h = o ac */
        const sl_real *o = a + b * row + 3 * u;
        sl_real *do_ = da + b * row + 3 * u;
        for (size_t j = 0; j < u; j++) {
            do_[j] = dh[b * u + j] * ac[b * u + j];
            dac[b * u + j] = dh[b * u + j] * o[j];
        }
    }
    sl_act_backward(act, dc, dac, c, ac, n, u); /* ac = act(c) */
    for (size_t b = 0; b < n; b++) {            /* c = f c' + i g */
        const sl_real *i = a + b * row;
        sl_real *di = da + b * row;
        lstm_c_backward(di, di + u, di + 2 * u, dcp + b * u, dc + b * u, cp + b * u, i, i + u,
                        i + 2 * u, u);
    }
    sl_act_backward_rows_set(rec, dz + 3 * u, da + 3 * u, z + 3 * u, a + 3 * u, row, n, u); /* o */
    sl_act_backward_rows_set(act, dz + 2 * u, da + 2 * u, z + 2 * u, a + 2 * u, row, n, u); /* g */
    sl_act_backward_rows_set(rec, dz, da, z, a, row, n, 2 * u); /* i, f = rec(zi, zf) */
}

/* GRU's elementwise lines backwards, for one sample's u values (restrict: the rows are distinct,
 * which makes them vector loops). h = zg h' + (1 - zg) n: dzg = dh (h' - n), dh' += dh zg,
 * dn = dh (1 - zg). */
static void gru_h_backward(sl_real *restrict dzg, sl_real *restrict dn, sl_real *restrict dhp,
                           const sl_real *restrict dh, const sl_real *restrict hp,
                           const sl_real *restrict zg, const sl_real *restrict cand, size_t u)
{
    for (size_t j = 0; j < u; j++) {
        dzg[j] = dh[j] * (hp[j] - cand[j]);
        dhp[j] += dh[j] * zg[j];
        dn[j] = dh[j] * (1 - zg[j]);
    }
}

/* p = r m, the reset gate r times m (rh, or hh): dr = dp m, and dm = dp r (add 0: rh's gradient,
 * which only this sets) or dm += dp r (add 1: hh's, which adds up). */
static void gru_product_backward(sl_real *restrict dr, sl_real *restrict dm,
                                 const sl_real *restrict dp, const sl_real *restrict m,
                                 const sl_real *restrict r, int add, size_t u)
{
    for (size_t j = 0; j < u; j++) {
        dr[j] = dp[j] * m[j];
        dm[j] = (add ? dm[j] : 0) + dp[j] * r[j];
    }
}

/* GRU: z holds [xz xr xh] + [h' U_z + bh_z, h' U_r + bh_r, 0], and with reset_after rh holds
 * h' U_h + bh_h (bh, the second bias row, exists only with reset_after and use_bias). zg =
 * rec(zz) (the update gate z), r = rec(zr); the candidate n (Keras's hh) = act(xh + r rh)
 * (reset_after=True), or act(xh + rh U_h) with rh = r h' (reset_after=False: the product of the
 * n samples' rows here); h = zg h' + (1 - zg) n. Rows of 3u: the gates z, r, n side by side.
 * With recurrent dropout the candidate's block reads hh = h' times its mask in place of h' (the
 * time loop's products read the masked rows too), but the blend zg h' + (1 - zg) n keeps h'
 * itself, as Keras's implementation 1 does. */
static void gru_cell_forward(sl_real *h,        // h: (n, u) the new h
                             sl_real *a,        // a: (n, 3u) the gates z, r and the candidate n
                             sl_real *rh,       // rh: (n, u) what the reset gate meets (above)
                             sl_real *z,        // z: (n, 3u) the pre-activations; zn made here
                             const sl_real *hp, // hp: (n, u) h'
                             const sl_real *hh, // hh: (n, u) the candidate's h': hp, or masked
                             const sl_real *U,  // U: (u, 3u) recurrent_kernel
                             int reset_after, SlAct act, SlAct rec, size_t u, size_t n)
{
    size_t row = 3 * u;                            /* a sample's gates */
    sl_act_forward_rows(rec, a, z, row, n, 2 * u); /* zg, r = rec(zz, zr) */
    for (size_t b = 0; b < n; b++) {
        const sl_real *r = a + b * row + u;
        sl_real *zn = z + b * row + 2 * u, *rhb = rh + b * u;
        for (size_t j = 0; j < u; j++) {
            if (reset_after) /* zn = xh + r (h' U_h + bh_h) */
                zn[j] += r[j] * rhb[j];
            else /* rh = r hh, then zn = xh + rh U_h below */
                rhb[j] = r[j] * hh[b * u + j];
        }
    }
    if (!reset_after)
        rows_times(z + 2 * u, row, rh, u, U, (int)u, (int)row, 2 * (int)u, (int)u, (int)n, NULL);
    sl_act_forward_rows(act, a + 2 * u, z + 2 * u, row, n, u); /* n = act(zn) */
    for (size_t b = 0; b < n; b++) {
        const sl_real *zg = a + b * row, *cand = zg + 2 * u;
        for (size_t j = 0; j < u; j++)
            h[b * u + j] = zg[j] * hp[b * u + j] + (1 - zg[j]) * cand[j];
    }
}

/* drh is an output: with reset_after its products with U_h are the time loop's, for a block of
 * samples (dh' += drh U_h^T, dU_h += h'^T drh); without, it meets U_h here (drh = dzn U_h^T)
 * and the time loop adds dU_h += rh^T dzn. The biases' gradients are the time loop's sums.
 * dhh, the gradient of the candidate's h', is dhp itself unless recurrent dropout masked hh: then
 * the time loop multiplies it by the mask on its way to dh'. */
static void gru_cell_backward(sl_real *dz,       // dz: (n, 3u) = the gradient of z
                              sl_real *dhp,      // dhp: (n, u) += the gradient of h'
                              sl_real *dhh,      // dhh: (n, u) += the gradient of hh (or dhp)
                              sl_real *drh,      // drh: (n, u) = the gradient of rh
                              sl_real *da,       // da: (n, 3u) work: dzg, dr, dn
                              const sl_real *dh, // dh: (n, u) the gradient of h
                              const sl_real *a,  // a: (n, 3u) the gates z, r and the candidate n
                              const sl_real *rh, // rh: (n, u) what the reset gate met
                              const sl_real *z,  // z: (n, 3u) the pre-activations
                              const sl_real *hp, // hp: (n, u) h'
                              const sl_real *hh, // hh: (n, u) the candidate's h': hp, or masked
                              const sl_real *UT, // UT: (3u, u) U transposed
                              int reset_after, SlAct act, SlAct rec, size_t u, size_t n)
{
    size_t row = 3 * u;              /* a sample's gates */
    for (size_t b = 0; b < n; b++) { /* h = zg h' + (1 - zg) n */
        const sl_real *zg = a + b * row;
        sl_real *dzg = da + b * row;
        gru_h_backward(dzg, dzg + 2 * u, dhp + b * u, dh + b * u, hp + b * u, zg, zg + 2 * u, u);
    }
    sl_act_backward_rows_set(act, dz + 2 * u, da + 2 * u, z + 2 * u, a + 2 * u, row, n, u); /* n */
    if (!reset_after) { /* zn = xh + (r h') U_h: drh = dzn U_h^T */
        memset(drh, 0, n * u * sizeof *drh);
        rows_times_transposed(drh, u, dz + 2 * u, row, UT, (int)u, 2 * (int)u, (int)u, (int)n);
    }
    for (size_t b = 0; b < n; b++) {
        const sl_real *r = a + b * row + u, *dzn = dz + b * row + 2 * u;
        sl_real *dr = da + b * row + u, *drhb = drh + b * u;
        if (reset_after) /* zn = xh + r (h' U_h + bh_h) */
            gru_product_backward(dr, drhb, dzn, rh + b * u, r, 0, u);
        else /* rh = r hh */
            gru_product_backward(dr, dhh + b * u, drhb, hh + b * u, r, 1, u);
    }
    sl_act_backward_rows_set(rec, dz, da, z, a, row, n, 2 * u); /* zg, r = rec(zz, zr) */
}

/* ---- one call: its sizes, weights and scratch ---- */

enum { KERNEL, RECURRENT_KERNEL, BIAS }; /* l->params, in rnn_params's order */

/* The scratch of one call, for B samples, T steps, u units, Gu = G*u gate columns and F features,
 * as named views. Step-major ([s][b][...]): one step of the whole batch is one block. A view the
 * cell does not use is NULL. */
typedef struct Scratch {
    /* made by forward, kept for backward */
    sl_real *z;   /* (T, B, Gu) the gates' pre-activations x W + b_x + h' U; or (B, Gu), one step's,
                   when the activations' derivatives need only the gates (sigmoid, tanh) */
    size_t zstep; /* from one step's z to the next: B*Gu, or 0 when only one step is kept */
    sl_real *a;   /* (T, B, Gu) the gates after their activations (SimpleRNN: h) */
    sl_real *h;   /* (T+1, B, u) h before the first step, then after each: h[s] is step s's h' */
    sl_real *c;   /* (T+1, B, u) LSTM: c likewise */
    sl_real *ac;  /* (T, B, u) LSTM: act(c) */
    sl_real *rh;  /* (T, B, u) GRU: what r meets, h' U_h + bh_h or r h' (gru_cell_forward) */
    /* dropout in training: the masks, drawn once per batch, and the rows the step read through
     * them (nx input masks: 1, or G, one per gate block; nh recurrent masks: 0 or G) */
    sl_real *mx; /* (B, nx, F) the input masks */
    sl_real *mh; /* (B, nh, u) the masks of h' */
    sl_real *xm; /* (nx, B, F) the step's x times each input mask */
    sl_real *hm; /* (nh, B, u) the step's h' times each recurrent mask */
    /* forward's own: the biases under its products, z's row, then GRU's rh row (bias_rows) */
    sl_real *brow; /* (Gu + u) */
    /* backward's own, for the step at hand */
    sl_real *dz;     /* (B, Gu) the gradients of the pre-activations */
    sl_real *dh;     /* (2, B, u) the gradient of h of the current step, and of its h' */
    sl_real *dc;     /* (2, B, u) LSTM: the same for c */
    sl_real *drh;    /* (B, u) GRU: the gradient of rh */
    sl_real *dys;    /* (T, B, u) with return_sequences: the outputs' gradients, step-major */
    sl_real *dcarry; /* (B, u) the gradient of an output not yet handed to its step's h (masks) */
    sl_real *da;     /* (B, Gu) the cells' work, shaped as dz: the gates' gradients */
    sl_real *du;     /* (B, u) the cells' work: LSTM's d act(c), GRU's drh without reset_after */
    sl_real *UT;     /* (Gu, u) recurrent_kernel transposed */
    sl_real *WT;     /* (Gu, F) kernel transposed */
    sl_real *dxm;    /* (B, F) dropout: the gradient of the rows of one masked x */
    sl_real *dhm;    /* (nh, B, u) recurrent dropout: the gradients of the masked h' rows */
} Scratch;

/* Point S's views one after another into base and return how many elements they take; with base
 * NULL only count them (rnn_scratch declares that many). */
static size_t scratch_views(Scratch *S, sl_real *base, const RnnCfg *c, size_t B, size_t T)
{
    size_t u = (size_t)c->units, Gu = (size_t)c->G * u, F = (size_t)c->in;
    size_t nx = (size_t)c->nx, nh = (size_t)c->nh;
    int lstm = c->kind == CELL_LSTM, gru = c->kind == CELL_GRU;
    int keep_z = !sl_act_backward_from_y(c->act) ||
                 (c->kind != CELL_SIMPLE && !sl_act_backward_from_y(c->rec_act));
    S->zstep = keep_z ? B * Gu : 0;
    struct {
        sl_real **view;
        size_t count;
    } list[] = {
        {&S->z, keep_z ? T * B * Gu : B * Gu},
        {&S->a, T * B * Gu},
        {&S->h, (T + 1) * B * u},
        {&S->c, lstm ? (T + 1) * B * u : 0},
        {&S->ac, lstm ? T * B * u : 0},
        {&S->rh, gru ? T * B * u : 0},
        {&S->mx, B * nx * F},
        {&S->mh, B * nh * u},
        {&S->xm, nx * B * F},
        {&S->hm, nh * B * u},
        {&S->brow, Gu + u},
        {&S->dz, B * Gu},
        {&S->dh, 2 * B * u},
        {&S->dc, lstm ? 2 * B * u : 0},
        {&S->drh, gru ? B * u : 0},
        {&S->dys, c->return_sequences ? T * B * u : 0},
        {&S->dcarry, B * u},
        {&S->da, B * Gu},
        {&S->du, B * u},
        {&S->UT, Gu * u},
        {&S->WT, Gu * F},
        {&S->dxm, nx ? B * F : 0},
        {&S->dhm, nh * B * u},
    };
    size_t used = 0;
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {
        *list[i].view = base && list[i].count ? base + used : NULL;
        used += list[i].count;
    }
    return used;
}

static void rnn_scratch(const SlLayer *l, const SlInfer *io, SlScratchDecl *d)
{
    Scratch unused;
    d->n = 1;
    d->name[0] = "the named views of Scratch (rnn.c)";
    d->count[0] =
        scratch_views(&unused, NULL, l->cfg, (size_t)io->in[0].dim[0], (size_t)io->in[0].dim[1]);
}

/* One call of the layer on B samples of T steps. */
typedef struct Call {
    int B, T, F, u, Gu;        /* samples, steps, features, units, G*units */
    const sl_real *W;          /* (F, Gu) kernel */
    const sl_real *U;          /* (u, Gu) recurrent_kernel */
    const sl_real *bx;         /* (Gu) the bias added to x W; NULL without use_bias */
    const sl_real *bh;         /* (Gu) GRU reset_after: the bias added to h' U; else NULL */
    const sl_real *x;          /* (B, T, F) the input */
    const unsigned char *mask; /* (B, T), or NULL */
    /* dropout in this call (training): the masks in the scratch, else NULL */
    int nx;            /* input masks per sample: 1 (all blocks) or G (one each); 0 without */
    const sl_real *mx; /* (B, nx, F) */
    const sl_real *mh; /* (B, G, u): one mask per block */
    Scratch s;
} Call;

/* The sizes and weights of a call; its scratch views are still to be pointed. */
static Call call_sizes(const SlLayer *l, int B, int T)
{
    const RnnCfg *c = l->cfg;
    Call k = {.B = B, .T = T, .F = c->in, .u = c->units, .Gu = c->G * c->units};
    const sl_real *bias = c->use_bias ? l->params[BIAS].value.data : NULL;
    k.W = l->params[KERNEL].value.data;
    k.U = l->params[RECURRENT_KERNEL].value.data;
    k.bx = bias;
    k.bh = bias && c->reset_after ? bias + k.Gu : NULL;
    return k;
}

/* A pass's call: dropout only in training (forward draws the masks, backward reads them). */
static Call call_of(const SlLayer *l, const SlPass *p)
{
    const RnnCfg *c = l->cfg;
    Call k = call_sizes(l, p->x[0].shape.dim[0], p->x[0].shape.dim[1]);
    k.x = p->x[0].data;
    k.mask = p->mask_in[0];
    scratch_views(&k.s, p->scratch[0], c, (size_t)k.B, (size_t)k.T);
    if (p->training) {
        k.nx = c->nx;
        k.mx = c->nx ? k.s.mx : NULL;
        k.mh = c->nh ? k.s.mh : NULL;
    }
    return k;
}

/* The rows of biases the forward's products start from (step_products): z's, b_x plus, for
 * GRU's z and r blocks, bh; then GRU's rh row, bh_h. Zeros without use_bias. */
static void bias_rows(const RnnCfg *c, const Call *k)
{
    int u = k->u, Gu = k->Gu, both = c->kind == CELL_GRU ? 2 * u : Gu;
    for (int g = 0; g < Gu; g++)
        k->s.brow[g] = (k->bx ? k->bx[g] : 0) + (k->bh && g < both ? k->bh[g] : 0);
    for (int j = 0; j < u; j++)
        k->s.brow[Gu + j] = k->bh ? k->bh[2 * u + j] : 0;
}

/* Does sample b read input step t? (mask: (B, T), or NULL for no mask) */
static int step_unmasked(const unsigned char *mask, int b, int t, int T)
{
    return !mask || mask[(size_t)b * T + t];
}

/* ---- the trace: the steps of sample 0, by name (rnn.h) ---- */

static const char *const gate_names[][4] = {
    [CELL_SIMPLE] = {NULL}, /* its one block is h itself */
    [CELL_LSTM] = {"i", "f", "g", "o"},
    [CELL_GRU] = {"z", "r", "n"},
};

/* The named vectors of one step event. */
typedef struct Named {
    int n;
    const char *name[SL_MAX_NAMED];
    SlTensor value[SL_MAX_NAMED];
} Named;

static void named_add(Named *q, const char *name, sl_real *data, int count)
{
    q->name[q->n] = name;
    q->value[q->n++] = sl_tensor(sl_shape_of(1, &count), data);
}

/* The STEP event of step s: sample 0's x (F), its gates, c and h after the step (u each); a step
 * masked for sample 0 ran no cell and reports x, c and h only. */
static void trace_forward(const SlPass *p, const RnnCfg *c, const Call *k, int s)
{
    Named q = {0};
    int t = c->go_backwards ? k->T - 1 - s : s, ran = step_unmasked(p->mask_in[0], 0, t, k->T);
    size_t next = (size_t)(s + 1) * k->B * k->u, g = (size_t)s * k->B * k->Gu;
    named_add(&q, "x", p->x[0].data + (size_t)t * k->F, k->F);
    for (int j = 0; ran && j < c->G && gate_names[c->kind][j]; j++)
        named_add(&q, gate_names[c->kind][j], k->s.a + g + (size_t)j * k->u, k->u);
    if (k->s.c)
        named_add(&q, "c", k->s.c + next, k->u);
    named_add(&q, "h", k->s.h + next, k->u);
    sl_trace_step(p, 0, s, q.n, q.name, q.value);
}

/* The BACK_STEP event of step s: sample 0's dh and dc, the gradients of h and c after the step
 * (from the outputs and the later steps), and dz (G*u), the gradient of the step's
 * pre-activations; a step masked for sample 0 reports dh and dc only. */
static void trace_backward(const SlPass *p, const RnnCfg *c, const Call *k, int s, sl_real *dh,
                           sl_real *dc)
{
    Named q = {0};
    int t = c->go_backwards ? k->T - 1 - s : s, ran = step_unmasked(p->mask_in[0], 0, t, k->T);
    named_add(&q, "dh", dh, k->u);
    if (dc)
        named_add(&q, "dc", dc, k->u);
    if (ran)
        named_add(&q, "dz", k->s.dz, k->Gu);
    sl_trace_step(p, 1, s, q.n, q.name, q.value);
}

/* ---- dropout: the masks, and the rows read through them ----
 *
 * In training, dropout= multiplies the input row of every step by a mask drawn once for the
 * batch, the same at every step (Keras's DropoutRNNCell); recurrent_dropout= does the same to h'.
 * A mask holds 1/(1 - rate) where a uniform draw is at least rate, else 0 (inverted dropout, as
 * the Dropout layer), and is drawn from the model's generator, input masks first. With one input
 * mask every block reads x * m; with one per block (Keras's implementation 1), block g reads
 * x * m_g, and h' * mh_g on the recurrent side. A step forms its masked rows first (xm, hm), and
 * each gate block's product reads its own (x_rows, h_rows); backward multiplies the gradients of
 * those rows by the same masks on their way to x and h'. Without dropout the products read x and
 * h' themselves, a product spanning all the blocks. */

static void draw_masks(sl_real *m, size_t n, double rate, SlRng *r)
{
    sl_real keep = (sl_real)(1.0 / (1.0 - rate));
    for (size_t i = 0; i < n; i++)
        m[i] = sl_rng_uniform(r) >= rate ? keep : 0;
}

/* Y[r] = X[r] * M[r] (add 0), or Y[r] += X[r] * M[r] (add 1), for n rows of w values, ldy, ldx
 * and ldm apart: rows through a mask, or their gradients back through it. */
static void rows_masked(sl_real *Y, size_t ldy, const sl_real *X, size_t ldx, const sl_real *M,
                        size_t ldm, int add, int w, int n)
{
    for (int r = 0; r < n; r++) {
        sl_real *y = Y + r * ldy;
        const sl_real *x = X + r * ldx, *m = M + r * ldm;
        for (int i = 0; i < w; i++)
            y[i] = (add ? y[i] : 0) + x[i] * m[i];
    }
}

/* The rows step s reads through the masks, for samples b0 .. b0+n-1: xm = x times each input
 * mask, hm = h' times each recurrent mask. Nothing without dropout in the call. */
static void masked_rows(const RnnCfg *c, const Call *k, int s, int b0, int n)
{
    const Scratch *S = &k->s;
    size_t B = (size_t)k->B, F = (size_t)k->F, u = (size_t)k->u;
    int t = c->go_backwards ? k->T - 1 - s : s;
    for (int m = 0; k->mx && m < k->nx; m++)
        rows_masked(S->xm + (m * B + b0) * F, F, k->x + ((size_t)b0 * k->T + t) * F,
                    (size_t)k->T * F, k->mx + ((size_t)b0 * k->nx + m) * F, k->nx * F, 0, k->F, n);
    for (int g = 0; k->mh && g < c->G; g++)
        rows_masked(S->hm + (g * B + b0) * u, u, S->h + (s * B + b0) * u, u,
                    k->mh + ((size_t)b0 * c->G + g) * u, c->G * u, 0, k->u, n);
}

/* The input rows the columns from g on read at input step t, samples from b0 on: x itself
 * (rows T*F apart), or x times the input mask of g's block (rows F apart); *ld gets the distance.
 * The columns one product may span with the same rows: x_span. */
static const sl_real *x_rows(const Call *k, int t, int g, int b0, size_t *ld)
{
    if (!k->mx) {
        *ld = (size_t)k->T * k->F;
        return k->x + ((size_t)b0 * k->T + t) * k->F;
    }
    *ld = (size_t)k->F;
    return k->s.xm + ((size_t)(k->nx == 1 ? 0 : g / k->u) * k->B + b0) * k->F;
}

static int x_span(const Call *k)
{
    return k->nx > 1 ? k->u : k->Gu;
}

/* Likewise the rows of h' the columns from g on read at step s (u apart): h' itself, or h' times
 * the recurrent mask of g's block. Its gradient's rows: dhp's own, or those of dhm. */
static const sl_real *h_rows(const Call *k, int s, int g, int b0)
{
    if (!k->mh)
        return k->s.h + ((size_t)s * k->B + b0) * k->u;
    return k->s.hm + ((size_t)(g / k->u) * k->B + b0) * k->u;
}

static sl_real *dh_rows(const Call *k, sl_real *dhp, int g, int b0)
{
    if (!k->mh)
        return dhp + (size_t)b0 * k->u;
    return k->s.dhm + ((size_t)(g / k->u) * k->B + b0) * k->u;
}

/* ---- forward through time ----
 *
 * Step by step; within a step the samples are independent, so the step goes in blocks of ROWS
 * samples: a block's pre-activations z = x W + b_x + h' U are products on its rows
 * (step_products), then each sample's cell runs while the block is still in the core's cache.
 * With threads, each takes its share of the blocks. */

enum { ROWS = 48 }; /* samples per block: a multiple of the product's tile (6 rows) */

/* The pre-activations of step s for samples b0 .. b0+n-1: z = b_x + x W + h' U. GRU adds
 * bh_z, bh_r and h' [U_z U_r] to z's first two blocks only; its candidate's h' U_h + bh_h goes
 * to rh with reset_after=True, and is the cell's own product of r h' with reset_after=False.
 * With dropout, x and h' are the masked rows (x_rows, h_rows), a product per gate block where
 * the blocks have masks of their own. */
static void step_products(const RnnCfg *c, const Call *k, int s, int b0, int n)
{
    const Scratch *S = &k->s;
    int u = k->u, Gu = k->Gu, F = k->F, gru = c->kind == CELL_GRU;
    int t = c->go_backwards ? k->T - 1 - s : s, both = gru ? 2 * u : Gu; /* the columns of h' U */
    int span = k->nx > 1 || k->mh ? u : both; /* the columns that read the same x and h' rows */
    size_t ldx;
    sl_real *Z = S->z + s * S->zstep + (size_t)b0 * Gu; /* (n, Gu) */
    masked_rows(c, k, s, b0, n);
    for (int g0 = 0; g0 < both; g0 += span) {
        const sl_real *X = x_rows(k, t, g0, b0, &ldx); /* (n, F) x */
        const sl_real *H = h_rows(k, s, g0, b0);       /* (n, u) h' */
        rows_times_sum(Z + g0, (size_t)Gu, S->brow + g0, X, ldx, k->W, F, H, (size_t)u, k->U, u, Gu,
                       g0, span, n);
    }
    if (!gru)
        return;
    const sl_real *X = x_rows(k, t, both, b0, &ldx); /* the candidate's x W_h */
    rows_times(Z + both, (size_t)Gu, X, ldx, k->W, F, Gu, both, u, n, S->brow + both);
    if (!c->reset_after)
        return;
    sl_real *RH = S->rh + ((size_t)s * k->B + b0) * u; /* (n, u) */
    rows_times(RH, (size_t)u, h_rows(k, s, both, b0), (size_t)u, k->U, u, Gu, 2 * u, u, n,
               S->brow + Gu);
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

/* Step s of samples b0 .. b0+n-1 through the layer's cell, on the call's views. */
static void cell_forward(const RnnCfg *c, const Call *k, int s, int b0, int n)
{
    const Scratch *S = &k->s;
    size_t sb = (size_t)s * k->B + b0, u = (size_t)k->u, N = (size_t)n;
    size_t prev = sb * u, next = prev + (size_t)k->B * u; /* h[s][b0], h[s+1][b0] */
    size_t g = sb * k->Gu;
    sl_real *z = S->z + s * S->zstep + (size_t)b0 * k->Gu;
    switch (c->kind) {
    case CELL_SIMPLE:
        simple_cell_forward(S->h + next, S->a + g, z, c->act, u, N);
        break;
    case CELL_LSTM:
        lstm_cell_forward(S->h + next, S->c + next, S->a + g, S->ac + prev, z, S->c + prev, c->act,
                          c->rec_act, u, N);
        break;
    case CELL_GRU:
        gru_cell_forward(S->h + next, S->a + g, S->rh + prev, z, S->h + prev,
                         h_rows(k, s, 2 * k->u, b0), k->U, c->reset_after, c->act, c->rec_act, u,
                         N);
        break;
    }
}

/* The end of the run of samples from b on (before b1) that read step t. */
static int run_end(const Call *k, int b, int b1, int t)
{
    while (b < b1 && step_unmasked(k->mask, b, t, k->T))
        b++;
    return b;
}

/* Step s of samples b0 .. b1-1: their pre-activations, then the cell on each run of samples the
 * mask lets read this step; the others keep their states. */
static void forward_rows(const RnnCfg *c, const Call *k, int s, int b0, int b1)
{
    const Scratch *S = &k->s;
    int t = c->go_backwards ? k->T - 1 - s : s;
    size_t Bu = (size_t)k->B * k->u, nu = (size_t)k->u * sizeof(sl_real);
    step_products(c, k, s, b0, b1 - b0);
    for (int b = b0; b < b1;) {
        int e = run_end(k, b, b1, t);
        if (e > b) { /* samples b .. e-1 read the step */
            cell_forward(c, k, s, b, e - b);
            b = e;
            continue;
        }
        size_t prev = ((size_t)s * k->B + b) * k->u; /* masked: h = h', c = c' */
        memcpy(S->h + prev + Bu, S->h + prev, nu);
        if (S->c)
            memcpy(S->c + prev + Bu, S->c + prev, nu);
        b++;
    }
}

/* One step's work for the threads: the blocks of samples are shared out. */
typedef struct StepJob {
    const RnnCfg *c;
    const Call *k;
    const SlPass *p; /* backward: the gradients of the outputs and inputs */
    int s;
    sl_real *dh, *dhp, *dc, *dcp; /* backward: as in rnn_backward */
} StepJob;

static void forward_part(void *ctx, int part, int parts)
{
    const StepJob *j = ctx;
    size_t from, to, blocks = ((size_t)j->k->B + ROWS - 1) / ROWS;
    sl_share(blocks, part, parts, &from, &to);
    for (size_t i = from; i < to; i++) {
        int b0 = (int)i * ROWS, b1 = b0 + ROWS < j->k->B ? b0 + ROWS : j->k->B;
        forward_rows(j->c, j->k, j->s, b0, b1);
    }
}

/* How many threads a step of the batch is worth: its multiply-adds. */
static int step_parts(const Call *k)
{
    return sl_parts_for((double)k->B * k->Gu * (k->F + k->u));
}

static void step_forward(const RnnCfg *c, const Call *k, int s)
{
    StepJob j = {c, k, NULL, s, NULL, NULL, NULL, NULL};
    sl_parallel(forward_part, &j, step_parts(k));
}

/* dst = src, one row of u values: a loop the compiler inlines, where memcpy is a call for each
 * of the many short rows write_outputs and gather_output_grads move. */
static void copy_row(sl_real *restrict dst, const sl_real *restrict src, int u)
{
    for (int i = 0; i < u; i++)
        dst[i] = src[i];
}

enum { SAMPLES = 8 }; /* samples whose rows go side by side between (B, T, u) and (T, B, u) */

/* y from the states h (T+1, B, u): (B, T, u) with return_sequences, where a step masked for a
 * sample repeats its output before (zeros before its first step, and always with
 * zero_output_for_mask), else (B, u), the state after the last step a sample read (zeros if none,
 * or with zero_output_for_mask if the last step was masked). SAMPLES at a time, step by step: h
 * is read a run of rows per step, and each sample's rows of y are written in order. */
static void write_outputs(sl_real *y, const RnnCfg *c, const Call *k)
{
    int B = k->B, T = k->T, u = k->u;
    size_t Bu = (size_t)B * u, nu = (size_t)u * sizeof(sl_real);
    for (int b0 = 0; b0 < B; b0 += SAMPLES) {
        int b1 = b0 + SAMPLES < B ? b0 + SAMPLES : B, holds_h[SAMPLES] = {0};
        for (int s = 0; s < T; s++) {
            int t = c->go_backwards ? T - 1 - s : s;
            for (int b = b0; b < b1; b++) {
                int read = step_unmasked(k->mask, b, t, T);
                holds_h[b - b0] = read || (holds_h[b - b0] && !c->zero_output);
                sl_real *out = y + ((size_t)b * T + s) * u;
                if (!c->return_sequences)
                    continue;
                if (read)
                    copy_row(out, k->s.h + (size_t)(s + 1) * Bu + (size_t)b * u, u);
                else if (s > 0 && !c->zero_output)
                    copy_row(out, out - u, u);
                else
                    memset(out, 0, nu);
            }
        }
        for (int b = b0; !c->return_sequences && b < b1; b++) {
            if (holds_h[b - b0])
                memcpy(y + (size_t)b * u, k->s.h + (size_t)T * Bu + (size_t)b * u, nu);
            else
                memset(y + (size_t)b * u, 0, nu);
        }
    }
}

/* dys (T, B, u) = dy (B, T, u), the outputs' gradients put in the order backward reads them,
 * SAMPLES at a time as write_outputs. */
static void gather_output_grads(sl_real *dys, const sl_real *dy, const Call *k)
{
    int B = k->B, T = k->T, u = k->u;
    for (int b0 = 0; b0 < B; b0 += SAMPLES)
        for (int s = 0; s < T; s++)
            for (int b = b0; b < b0 + SAMPLES && b < B; b++)
                copy_row(dys + ((size_t)s * B + b) * u, dy + ((size_t)b * T + s) * u, u);
}

static void rnn_forward(SlLayer *l, SlPass *p)
{
    RnnCfg *c = l->cfg;
    Call k = call_of(l, p);
    const Scratch *S = &k.s;
    int B = k.B, T = k.T, u = k.u;
    size_t Bu = (size_t)B * u;
    start_states(c, p, S->h, S->c, Bu);
    bias_rows(c, &k);
    if (k.mx)
        draw_masks(S->mx, (size_t)B * c->nx * k.F, c->dropout, p->rng);
    if (k.mh)
        draw_masks(S->mh, Bu * (size_t)c->nh, c->rec_dropout, p->rng);
    for (int s = 0; s < T; s++) {
        step_forward(c, &k, s);
        if (p->obs)
            trace_forward(p, c, &k, s);
    }
    write_outputs(p->y[0].data, c, &k);
    for (int n = 1; n < p->n_out; n++)
        memcpy(p->y[n].data, (n == 1 ? S->h : S->c) + (size_t)T * Bu, Bu * sizeof(sl_real));
    for (int n = 0; c->stateful && n < c->n_state; n++)
        memcpy(c->carried[n], (n == 0 ? S->h : S->c) + (size_t)T * Bu, Bu * sizeof(sl_real));
}

/* ---- backward through time ----
 *
 * From the last step to the first. Within a step, blocks of samples again: each sample's cell
 * backward gives its dz, then the block's products dh' += dz U^T and dx += dz W^T. The weights'
 * gradients are sums over every sample, so they come after the blocks, for the whole step:
 * dU += h'^T dz, dW += x^T dz and the biases' sums (step_weight_grads). */

/* Step s of samples b0 .. b0+n-1 backwards through the layer's cell: from dh (dc) of the step
 * to dz of the step and dhp (dcp) for the step before. dh, dhp, dc, dcp are (B, u) views of
 * Scratch's dh and dc. */
static void cell_backward(const RnnCfg *c, const Call *k, int s, int b0, int n, sl_real *dhp,
                          sl_real *dcp, sl_real *dc, const sl_real *dh)
{
    const Scratch *S = &k->s;
    size_t sb = (size_t)s * k->B + b0, u = (size_t)k->u, N = (size_t)n;
    size_t prev = sb * u, next = prev + (size_t)k->B * u; /* h[s][b0], h[s+1][b0] */
    size_t g = sb * k->Gu, row = (size_t)b0 * u, grow = (size_t)b0 * k->Gu;
    sl_real *dz = S->dz + grow, *da = S->da + grow, *du = S->du + row;
    /* z, or the gates standing in for it where the derivatives read only them */
    const sl_real *z = S->zstep ? S->z + s * S->zstep + grow : S->a + g;
    switch (c->kind) {
    case CELL_SIMPLE:
        simple_cell_backward(dz, dh + row, z, S->a + g, c->act, u, N);
        break;
    case CELL_LSTM:
        lstm_cell_backward(dz, dcp + row, dc + row, da, du, dh + row, S->c + next, S->a + g,
                           S->ac + prev, z, S->c + prev, c->act, c->rec_act, u, N);
        break;
    case CELL_GRU:
        gru_cell_backward(dz, dhp + row, dh_rows(k, dhp, 2 * k->u, b0),
                          c->reset_after ? S->drh + row : du, da, dh + row, S->a + g, S->rh + prev,
                          z, S->h + prev, h_rows(k, s, 2 * k->u, b0), S->UT, c->reset_after, c->act,
                          c->rec_act, u, N);
        break;
    }
}

/* z = x W + ...: dx += dz W^T for step s's samples b0 .. b0+n-1; with dropout, per input mask
 * xm = x * mx: dx += (dz W^T) * mx, a mask's columns at a time (all, or its gate block). */
static void input_grads(const RnnCfg *c, const Call *k, sl_real *dx, int s, int b0, int n)
{
    const Scratch *S = &k->s;
    int T = k->T, F = k->F, Gu = k->Gu, t = c->go_backwards ? T - 1 - s : s, span = x_span(k);
    sl_real *dX = dx + ((size_t)b0 * T + t) * F; /* (n, F), rows T*F apart */
    const sl_real *dZ = S->dz + (size_t)b0 * Gu; /* (n, Gu) */
    if (!k->mx) {
        rows_times_transposed(dX, (size_t)T * F, dZ, (size_t)Gu, S->WT, F, 0, Gu, n);
        return;
    }
    sl_real *dXm = S->dxm + (size_t)b0 * F; /* (n, F) */
    for (int m = 0; m < k->nx; m++) {
        memset(dXm, 0, (size_t)n * F * sizeof *dXm);
        rows_times_transposed(dXm, (size_t)F, dZ + m * span, (size_t)Gu, S->WT, F, m * span, span,
                              n);
        rows_masked(dX, (size_t)T * F, dXm, (size_t)F, k->mx + ((size_t)b0 * k->nx + m) * F,
                    (size_t)k->nx * F, 1, F, n);
    }
}

/* Step s of samples b0 .. b1-1 backwards: each sample's output gradient (a masked step hands dh
 * and dc on unchanged), the cell on each run of samples that read the step, then the block's
 * products for h' and, unless nobody needs it, for x; with dropout, for the masked rows, whose
 * gradients then go through the masks. */
static void backward_rows(const StepJob *j, int b0, int b1)
{
    const RnnCfg *c = j->c;
    const Call *k = j->k;
    const Scratch *S = &k->s;
    int s = j->s, T = k->T, u = k->u, n = b1 - b0, t = c->go_backwards ? T - 1 - s : s;
    size_t Gu = (size_t)k->Gu;
    sl_real *dh = j->dh, *dhp = j->dhp, *dc = j->dc, *dcp = j->dcp;
    if (S->drh)
        memset(S->drh + (size_t)b0 * u, 0, (size_t)n * u * sizeof(sl_real));
    masked_rows(c, k, s, b0, n); /* the rows the step read, for the cells and step_weight_grads */
    for (int g = 0; k->mh && g < c->G; g++)
        memset(dh_rows(k, dhp, g * u, b0), 0, (size_t)n * u * sizeof(sl_real));
    for (int b = b0; c->return_sequences && b < b1; b++) /* the step's output gradients */
        for (int i = 0; i < u; i++)
            S->dcarry[(size_t)b * u + i] += S->dys[((size_t)s * k->B + b) * u + i];
    for (int b = b0; b < b1; b++) {
        size_t row = (size_t)b * u;
        sl_real *dcarry = S->dcarry + row;
        if (!step_unmasked(k->mask, b, t, T)) { /* masked: h = h', c = c' */
            for (int i = 0; i < u; i++)
                dhp[row + i] += dh[row + i];
            for (int i = 0; dc && i < u; i++) /* this row's only writer of dcp */
                dcp[row + i] = dc[row + i];
            memset(S->dz + (size_t)b * Gu, 0, Gu * sizeof(sl_real)); /* the cells set the others */
            if (c->zero_output) /* the output was zeros: its gradient goes nowhere */
                memset(dcarry, 0, (size_t)u * sizeof *dcarry);
            continue; /* else it carries on to the previous output */
        }
        for (int i = 0; i < u; i++) /* the step's output is its h */
            dh[row + i] += dcarry[i], dcarry[i] = 0;
    }
    for (int b = b0; b < b1;) {
        int e = run_end(k, b, b1, t);
        if (e > b)
            cell_backward(c, k, s, b, e - b, dhp, dcp, dc, dh);
        b = e > b ? e : b + 1;
    }
    /* z += h' U (GRU: the blocks z and r; with reset_after U_h through rh) */
    const sl_real *dZ = S->dz + (size_t)b0 * Gu; /* (n, Gu) */
    int both = c->kind == CELL_GRU ? 2 * u : k->Gu, span = k->mh ? u : both;
    if (c->kind == CELL_GRU && c->reset_after)
        rows_times_transposed(dh_rows(k, dhp, 2 * u, b0), (size_t)u, S->drh + (size_t)b0 * u,
                              (size_t)u, S->UT, u, 2 * u, u, n);
    for (int g0 = 0; g0 < both; g0 += span)
        rows_times_transposed(dh_rows(k, dhp, g0, b0), (size_t)u, dZ + g0, Gu, S->UT, u, g0, span,
                              n);
    for (int g = 0; k->mh && g < c->G; g++) /* hm = h' * mh: dh' += dhm * mh */
        rows_masked(dhp + (size_t)b0 * u, (size_t)u, dh_rows(k, dhp, g * u, b0), (size_t)u,
                    k->mh + ((size_t)b0 * c->G + g) * u, (size_t)c->G * u, 1, u, n);
    if (!j->p->no_dx[0])
        input_grads(c, k, j->p->dx[0].data, s, b0, n);
}

static void backward_part(void *ctx, int part, int parts)
{
    const StepJob *j = ctx;
    size_t from, to, blocks = ((size_t)j->k->B + ROWS - 1) / ROWS;
    sl_share(blocks, part, parts, &from, &to);
    for (size_t i = from; i < to; i++) {
        int b0 = (int)i * ROWS, b1 = b0 + ROWS < j->k->B ? b0 + ROWS : j->k->B;
        backward_rows(j, b0, b1);
    }
}

/* The weights' gradients from step s's dz: sums over the batch, each product split among the
 * threads by its outputs. U's (GRU: U_z and U_r from dz, U_h from drh or, without reset_after,
 * against rh), W's, and the biases' column sums. With dropout, U's and W's read the masked rows
 * the step read (h_rows, x_rows), a product per block where the blocks have masks of their own. */
static void step_weight_grads(const RnnCfg *c, const Call *k, int s, sl_real *dW, sl_real *dU,
                              sl_real *dbx, sl_real *dbh)
{
    const Scratch *S = &k->s;
    int B = k->B, T = k->T, u = k->u, Gu = k->Gu, F = k->F;
    int t = c->go_backwards ? T - 1 - s : s, gru = c->kind == CELL_GRU;
    int both = gru ? 2 * u : Gu, span = k->mh ? u : both;
    const sl_real *dZ = S->dz; /* (B, Gu) */
    size_t ldx;
    for (int g0 = 0; g0 < both; g0 += span) /* h' (B, u), or each block's h' * mh */
        rows_outer_add(dU, h_rows(k, s, g0, 0), (size_t)u, dZ + g0, (size_t)Gu, u, Gu, g0, span, B);
    if (gru && c->reset_after)
        rows_outer_add(dU, h_rows(k, s, 2 * u, 0), (size_t)u, S->drh, (size_t)u, u, Gu, 2 * u, u,
                       B);
    else if (gru) /* zn = xh + rh U_h */
        rows_outer_add(dU, S->rh + (size_t)s * B * u, (size_t)u, dZ + 2 * u, (size_t)Gu, u, Gu,
                       2 * u, u, B);
    for (int g0 = 0; g0 < Gu; g0 += x_span(k)) { /* x (B, F), or x * each input mask */
        const sl_real *X = x_rows(k, t, g0, 0, &ldx);
        rows_outer_add(dW, X, ldx, dZ + g0, (size_t)Gu, F, Gu, g0, x_span(k), B);
    }
    for (int b = 0; dbx && b < B; b++)
        for (int g = 0; g < Gu; g++)
            dbx[g] += dZ[(size_t)b * Gu + g];
    for (int b = 0; dbh && b < B; b++) { /* GRU reset_after: bh adds to z's z, r blocks and rh */
        for (int g = 0; g < 2 * u; g++)
            dbh[g] += dZ[(size_t)b * Gu + g];
        for (int i = 0; i < u; i++)
            dbh[2 * u + i] += S->drh[(size_t)b * u + i];
    }
}

static void rnn_backward(SlLayer *l, SlPass *p)
{
    RnnCfg *c = l->cfg;
    Call k = call_of(l, p);
    const Scratch *S = &k.s;
    int B = k.B, T = k.T, u = k.u, Gu = k.Gu;
    size_t Bu = (size_t)B * u, nBu = Bu * sizeof(sl_real);
    sl_real *dbias = c->use_bias ? l->params[BIAS].grad.data : NULL;
    /* dh, dc: the gradients of the current step's h and c; dhp, dcp: of its h' and c' */
    StepJob j = {c, &k, p, 0, S->dh, S->dh + Bu, S->dc, S->dc ? S->dc + Bu : NULL};
    transpose(S->UT, k.U, u, Gu);
    transpose(S->WT, k.W, k.F, Gu);
    memset(j.dh, 0, nBu);
    if (j.dc)
        memset(j.dc, 0, nBu);
    for (size_t i = 0; i < Bu && c->return_state; i++) {
        j.dh[i] += p->dy[1].data[i];
        if (j.dc)
            j.dc[i] += p->dy[2].data[i];
    }
    if (c->return_sequences) { /* step s's output gets its gradient at step s */
        memset(S->dcarry, 0, nBu);
        gather_output_grads(S->dys, p->dy[0].data, &k);
    } else /* the last output: the last unmasked step's h */
        memcpy(S->dcarry, p->dy[0].data, nBu);
    for (j.s = T - 1; j.s >= 0; j.s--) {
        memset(j.dhp, 0, nBu);
        sl_parallel(backward_part, &j, step_parts(&k));
        step_weight_grads(c, &k, j.s, l->params[KERNEL].grad.data,
                          l->params[RECURRENT_KERNEL].grad.data, dbias,
                          dbias && c->reset_after ? dbias + Gu : NULL);
        if (p->obs)
            trace_backward(p, c, &k, j.s, j.dh, j.dc);
        sl_real *swap = j.dh;
        j.dh = j.dhp, j.dhp = swap;
        swap = j.dc, j.dc = j.dcp, j.dcp = swap;
    }
    for (int n = 1; n < p->n_in; n++) { /* initial_state inputs: dh, dc now belong to h0, c0 */
        const sl_real *src = n == 1 ? j.dh : j.dc;
        for (size_t i = 0; i < Bu; i++)
            p->dx[n].data[i] += src[i];
    }
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

sl_real *sl_rnn_carried(const SlLayer *l, int k, SlShape *shape)
{
    const RnnCfg *c = l->cfg;
    if (!sl_layer_is(l, SL_KIND_RECURRENT) || !c->stateful || k < 0 || k >= c->n_state ||
        !c->carried[k])
        return NULL;
    *shape = sl_shape_of(2, (int[]){c->batch, c->units});
    return c->carried[k];
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
    /* the layer's own cell, step by step, on the scratch views of a one-sample call */
    Call k = call_sizes(l, 1, T);
    sl_real *buf = sl_alloc_zero(scratch_views(&k.s, NULL, c, 1, (size_t)T), sizeof(sl_real));
    s->a = sl_alloc_zero((size_t)T * Gu, sizeof(sl_real));
    s->h = sl_alloc_zero((size_t)(T + 1) * u, sizeof(sl_real));
    if (c->kind == CELL_LSTM)
        s->c = sl_alloc_zero((size_t)(T + 1) * u, sizeof(sl_real));
    if (!buf || !s->a || !s->h || (c->kind == CELL_LSTM && !s->c)) {
        sl_free(buf);
        sl_rnn_steps_free(s);
        return sl_errorf(e, "out of memory");
    }
    scratch_views(&k.s, buf, c, 1, (size_t)T);
    if (h0)
        memcpy(k.s.h, h0, (size_t)u * sizeof *k.s.h);
    if (c0 && k.s.c)
        memcpy(k.s.c, c0, (size_t)u * sizeof *k.s.c);
    k.x = x;
    bias_rows(c, &k);
    for (int step = 0; step < T; step++)
        forward_rows(c, &k, step, 0, 1);
    memcpy(s->a, k.s.a, (size_t)T * Gu * sizeof *s->a);
    memcpy(s->h, k.s.h, (size_t)(T + 1) * u * sizeof *s->h);
    if (s->c)
        memcpy(s->c, k.s.c, (size_t)(T + 1) * u * sizeof *s->c);
    sl_free(buf);
    return 0;
}

int sl_rnn_info(const SlLayer *l, SlRnnInfo *info)
{
    memset(info, 0, sizeof *info);
    if (!sl_layer_is(l, SL_KIND_RECURRENT))
        return -1;
    const RnnCfg *c = l->cfg;
    info->activation = sl_act_name(c->act);
    info->recurrent_activation = c->kind == CELL_SIMPLE ? NULL : sl_act_name(c->rec_act);
    info->go_backwards = c->go_backwards;
    info->stateful = c->stateful;
    info->return_sequences = c->return_sequences;
    info->return_state = c->return_state;
    info->zero_output_for_mask = c->zero_output;
    return 0;
}

void sl_rnn_set_zero_output_for_mask(SlLayer *l, int zero)
{
    if (sl_layer_is(l, SL_KIND_RECURRENT))
        ((RnnCfg *)l->cfg)->zero_output = zero != 0;
}
