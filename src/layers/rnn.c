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
 * g and n are the candidates (Keras's c and h blocks). The input side x W + b_x of all steps is
 * one product before the loop (input_projection); the cell adds h' U. A masked step (mask 0) keeps
 * h and c, and its output repeats the previous output (zeros before the first unmasked step), or
 * is zeros with zero_output_for_mask=True (Bidirectional sets it on its copies that return
 * sequences, as Keras does).
 *
 * Dropout, in training only (Keras's DropoutRNNCell): masks drawn once per batch, the same at every
 * step, 1/(1 - rate) or 0. dropout= multiplies each step's x by mx (B, F), recurrent_dropout=
 * multiplies h' by mh (B, u) where it meets U. SimpleRNN, and LSTM and GRU without
 * recurrent_dropout (Keras's implementation 2), share one input mask among all gate blocks; LSTM
 * and GRU with recurrent_dropout > 0 (or implementation=1) draw one mask per block, input and
 * recurrent: block g of z reads x * mx_g and h' * mh_g. GRU's blend zg h' + (1 - zg) n keeps the
 * unmasked h'. Backward multiplies the gradients of x and h' by the same masks.
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
 * dz of every step is kept, so the kernel's, b_x's and the input's gradients are Dense's two
 * products after the loop (input_backward).
 *
 * Trace: with an observer attached, forward reports each step of sample 0 (SL_EV_STEP: x, the
 * gates, c, h) and backward each step's gradients (SL_EV_BACK_STEP: dh, dc, dz); rnn.h lists
 * the names.
 *
 * In this file: arguments, creating, shapes and weights; the cells, forward and backward side by
 * side; one call's sizes and scratch (Scratch); the trace; dropout's masks and the input side
 * through them; the forward time loop; the backward time loop; the type tables; rnn.h's windows
 * into the loop (sl_rnn_steps, sl_rnn_info).
 */
#include <stdio.h>
#include <string.h>

#include "activation.h"
#include "alloc.h"
#include "init.h"
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

/* ---- the cells: one sample's step, forward and backward side by side ----
 *
 * u units, G gate blocks. A cell finds the input side of its pre-activations already in z
 * (x W + b_x, made for every step at once by input_projection) and adds the recurrent side h' U.
 * Backward walks the forward's lines in reverse and accumulates (+=) into dz, dhp, dcp, dU and
 * dbh, which the caller zeroed (and into LSTM's dc, the path through h); UT is U transposed, so
 * that every product is an axpy. */

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

/* y[k] += sum_i h[i] U[i, g0 + k] for k < n: the recurrent side of the columns g0 .. g0+n of z.
 * Every block reads h' (hp), or, with recurrent dropout, its own masked copy: block b (columns
 * b*u .. b*u+u) reads hq + b*u = h' * mask_b. */
static void times_recurrent(sl_real *y, const sl_real *hp, const sl_real *hq, const sl_real *U,
                            int u, int Gu, int g0, int n)
{
    if (!hq) {
        row_times(y, hp, U, u, Gu, g0, n);
        return;
    }
    for (int g = g0; g < g0 + n; g += u)
        row_times(y + (g - g0), hq + g, U, u, Gu, g, u);
}

/* times_recurrent's gradients from dy (n): dU += h^T dy, and dhp += dy U^T, through the masks
 * mh (G*u) when the blocks read masked copies (work: u values). */
static void times_recurrent_backward(sl_real *dhp, sl_real *dU, sl_real *work, const sl_real *dy,
                                     const sl_real *hp, const sl_real *hq, const sl_real *mh,
                                     const sl_real *UT, int u, int Gu, int g0, int n)
{
    if (!hq) {
        times_transposed(dhp, dy, UT, u, g0, n);
        outer_add(dU, hp, dy, u, Gu, g0, n);
        return;
    }
    for (int g = g0; g < g0 + n; g += u) {
        memset(work, 0, (size_t)u * sizeof *work);
        times_transposed(work, dy + (g - g0), UT, u, g, u);
        for (int j = 0; j < u; j++) /* hq = h' * mask */
            dhp[j] += work[j] * mh[g + j];
        outer_add(dU, hq + g, dy + (g - g0), u, Gu, g, u);
    }
}

/* MT (cols, rows) = M (rows, cols) transposed. */
static void transpose(sl_real *MT, const sl_real *M, int rows, int cols)
{
    for (int i = 0; i < rows; i++)
        for (int g = 0; g < cols; g++)
            MT[(size_t)g * rows + i] = M[(size_t)i * cols + g];
}

/* SimpleRNN: h = act(x W + b + h' U). */
static void simple_cell_forward(sl_real *h,        // h: (u) the new state
                                sl_real *a,        // a: (u) act(z), the one block (h again)
                                sl_real *z,        // z: (u) in x W + b, out the pre-activation
                                const sl_real *hp, // hp: (u) h', the previous state
                                const sl_real *hq, // hq: (u) h' * mask (recurrent dropout), or NULL
                                const sl_real *U,  // U: (u, u) recurrent_kernel
                                SlAct act, int u)
{
    times_recurrent(z, hp, hq, U, u, u, 0, u); /* z += h' U */
    sl_act_forward(act, a, z, 1, (size_t)u);   /* a = act(z) */
    memcpy(h, a, (size_t)u * sizeof *h);       /* h = a */
}

static void simple_cell_backward(sl_real *dz,       // dz: (u) += the gradient of z
                                 sl_real *dhp,      // dhp: (u) += the gradient of h'
                                 sl_real *dU,       // dU: (u, u) += the gradient of U
                                 sl_real *work,     // work: (u)
                                 const sl_real *dh, // dh: (u) the gradient of h
                                 const sl_real *z,  // z: (u) the pre-activation
                                 const sl_real *a,  // a: (u) act(z)
                                 const sl_real *hp, // hp: (u) h'
                                 const sl_real *hq, // hq: (u) h' * mh, or NULL
                                 const sl_real *mh, // mh: (u) the recurrent dropout mask, or NULL
                                 const sl_real *UT, // UT: (u, u) U transposed
                                 SlAct act, int u)
{
    /* h = a: dh is the gradient of a */
    sl_act_backward(act, dz, dh, z, a, 1, (size_t)u);                        /* a = act(z) */
    times_recurrent_backward(dhp, dU, work, dz, hp, hq, mh, UT, u, u, 0, u); /* z += h' U */
}

/* LSTM: [zi zf zg zo] = x W + b + h' U; i, f, o = rec(zi, zf, zo), g = act(zg) (the candidate,
 * Keras's c block); c = f c' + i g; h = o act(c). */
static void lstm_cell_forward(sl_real *h,        // h: (u) the new h
                              sl_real *c,        // c: (u) the new c
                              sl_real *a,        // a: (4u) the gates i, f, g, o
                              sl_real *ac,       // ac: (u) act(c)
                              sl_real *z,        // z: (4u) in x W + b, out the pre-activations
                              const sl_real *hp, // hp: (u) h'
                              const sl_real *hq, // hq: (4u) h' * the 4 masks, or NULL
                              const sl_real *cp, // cp: (u) c'
                              const sl_real *U,  // U: (u, 4u) recurrent_kernel
                              SlAct act, SlAct rec, int u)
{
    sl_real *i = a, *f = a + u, *g = a + 2 * u, *o = a + 3 * u;
    times_recurrent(z, hp, hq, U, u, 4 * u, 0, 4 * u); /* z += h' U */
    sl_act_forward(rec, i, z, 1, (size_t)u);           /* i = rec(zi) */
    sl_act_forward(rec, f, z + u, 1, (size_t)u);       /* f = rec(zf) */
    sl_act_forward(act, g, z + 2 * u, 1, (size_t)u);   /* g = act(zg) */
    sl_act_forward(rec, o, z + 3 * u, 1, (size_t)u);   /* o = rec(zo) */
    for (int j = 0; j < u; j++)
        c[j] = f[j] * cp[j] + i[j] * g[j];
    sl_act_forward(act, ac, c, 1, (size_t)u); /* ac = act(c) */
    for (int j = 0; j < u; j++)
        h[j] = o[j] * ac[j];
}

/* dc arrives with what c gave the next step (through that step's f) and leaves with the path
 * through h added: the whole gradient of c. */
static void lstm_cell_backward(sl_real *dz,       // dz: (4u) += the gradient of z
                               sl_real *dhp,      // dhp: (u) += the gradient of h'
                               sl_real *dcp,      // dcp: (u) += the gradient of c'
                               sl_real *dc,       // dc: (u) the gradient of c, += through h
                               sl_real *dU,       // dU: (u, 4u) += the gradient of U
                               sl_real *da,       // da: (5u) work: di, df, dg, do, d act(c)
                               sl_real *work,     // work: (u)
                               const sl_real *dh, // dh: (u) the gradient of h
                               const sl_real *c,  // c: (u) c
                               const sl_real *a,  // a: (4u) the gates i, f, g, o
                               const sl_real *ac, // ac: (u) act(c)
                               const sl_real *z,  // z: (4u) the pre-activations
                               const sl_real *hp, // hp: (u) h'
                               const sl_real *hq, // hq: (4u) h' * mh, or NULL
                               const sl_real *mh, // mh: (4u) the recurrent masks, or NULL
                               const sl_real *cp, // cp: (u) c'
                               const sl_real *UT, // UT: (4u, u) U transposed
                               SlAct act, SlAct rec, int u)
{
    const sl_real *i = a, *f = a + u, *g = a + 2 * u, *o = a + 3 * u;
    sl_real *di = da, *df = da + u, *dg = da + 2 * u, *do_ = da + 3 * u, *dac = da + 4 * u;
    for (int j = 0; j < u; j++) { /* h = o ac */
        do_[j] = dh[j] * ac[j];
        dac[j] = dh[j] * o[j];
    }
    sl_act_backward(act, dc, dac, c, ac, 1, (size_t)u); /* ac = act(c) */
    for (int j = 0; j < u; j++) {                       /* c = f c' + i g */
        df[j] = dc[j] * cp[j];
        dcp[j] += dc[j] * f[j];
        di[j] = dc[j] * g[j];
        dg[j] = dc[j] * i[j];
    }
    sl_act_backward(rec, dz + 3 * u, do_, z + 3 * u, o, 1, (size_t)u); /* o = rec(zo) */
    sl_act_backward(act, dz + 2 * u, dg, z + 2 * u, g, 1, (size_t)u);  /* g = act(zg) */
    sl_act_backward(rec, dz + u, df, z + u, f, 1, (size_t)u);          /* f = rec(zf) */
    sl_act_backward(rec, dz, di, z, i, 1, (size_t)u);                  /* i = rec(zi) */
    times_recurrent_backward(dhp, dU, work, dz, hp, hq, mh, UT, u, 4 * u, 0, 4 * u); /* z += h' U */
}

/* GRU: z holds [xz xr xh] = x W + b_x on entry. zg = rec(xz + h' U_z + bh_z) (the update gate
 * z), r = rec(xr + h' U_r + bh_r); the candidate n (Keras's hh) = act(xh + r rh) with
 * rh = h' U_h + bh_h (reset_after=True), or act(xh + rh U_h) with rh = r h' (reset_after=False);
 * h = zg h' + (1 - zg) n. bh, the second bias row, exists only with reset_after and use_bias.
 * With recurrent dropout each block reads its own h' * mask (hq) in place of h', but the blend
 * zg h' + (1 - zg) n keeps h' itself, as Keras's implementation 1 does. */
static void gru_cell_forward(sl_real *h,        // h: (u) the new h
                             sl_real *a,        // a: (3u) the gates z, r and the candidate n
                             sl_real *rh,       // rh: (u) what the reset gate meets (above)
                             sl_real *z,        // z: (3u) in x W + b_x, out the pre-activations
                             const sl_real *hp, // hp: (u) h'
                             const sl_real *hq, // hq: (3u) h' * the 3 masks, or NULL
                             const sl_real *U,  // U: (u, 3u) recurrent_kernel
                             const sl_real *bh, // bh: (3u) the bias added to h' U, or NULL
                             int reset_after, SlAct act, SlAct rec, int u)
{
    sl_real *zg = a, *r = a + u, *n = a + 2 * u;
    const sl_real *hh = hq ? hq + 2 * u : hp; /* what the candidate's block reads */
    for (int k = 0; bh && k < 2 * u; k++)
        z[k] += bh[k];
    times_recurrent(z, hp, hq, U, u, 3 * u, 0, 2 * u); /* [zz zr] += h' [U_z U_r] */
    sl_act_forward(rec, zg, z, 1, (size_t)u);          /* zg = rec(zz) */
    sl_act_forward(rec, r, z + u, 1, (size_t)u);       /* r = rec(zr) */
    if (reset_after) {                                 /* zn = xh + r (h' U_h + bh_h) */
        for (int j = 0; j < u; j++)
            rh[j] = bh ? bh[2 * u + j] : 0;
        row_times(rh, hh, U, u, 3 * u, 2 * u, u);
        for (int j = 0; j < u; j++)
            z[2 * u + j] += r[j] * rh[j];
    } else { /* zn = xh + (r h') U_h */
        for (int j = 0; j < u; j++)
            rh[j] = r[j] * hh[j];
        row_times(z + 2 * u, rh, U, u, 3 * u, 2 * u, u);
    }
    sl_act_forward(act, n, z + 2 * u, 1, (size_t)u); /* n = act(zn) */
    for (int j = 0; j < u; j++)
        h[j] = zg[j] * hp[j] + (1 - zg[j]) * n[j];
}

static void gru_cell_backward(sl_real *dz,       // dz: (3u) += the gradient of z
                              sl_real *dhp,      // dhp: (u) += the gradient of h'
                              sl_real *dU,       // dU: (u, 3u) += the gradient of U
                              sl_real *dbh,      // dbh: (3u) += the gradient of bh, or NULL
                              sl_real *da,       // da: (4u) work: dzg, dr, dn, drh
                              sl_real *work,     // work: (u)
                              const sl_real *dh, // dh: (u) the gradient of h
                              const sl_real *a,  // a: (3u) the gates z, r and the candidate n
                              const sl_real *rh, // rh: (u) what the reset gate met
                              const sl_real *z,  // z: (3u) the pre-activations
                              const sl_real *hp, // hp: (u) h'
                              const sl_real *hq, // hq: (3u) h' * mh, or NULL
                              const sl_real *mh, // mh: (3u) the recurrent masks, or NULL
                              const sl_real *UT, // UT: (3u, u) U transposed
                              int reset_after, SlAct act, SlAct rec, int u)
{
    const sl_real *zg = a, *r = a + u, *n = a + 2 * u;
    sl_real *dzg = da, *dr = da + u, *dn = da + 2 * u, *drh = da + 3 * u;
    const sl_real *dzn = dz + 2 * u;
    const sl_real *hh = hq ? hq + 2 * u : hp, *mhh = hq ? mh + 2 * u : NULL;
    for (int j = 0; j < u; j++) { /* h = zg h' + (1 - zg) n */
        dzg[j] = dh[j] * (hp[j] - n[j]);
        dhp[j] += dh[j] * zg[j];
        dn[j] = dh[j] * (1 - zg[j]);
    }
    sl_act_backward(act, dz + 2 * u, dn, z + 2 * u, n, 1, (size_t)u); /* n = act(zn) */
    if (reset_after) { /* zn = xh + r (h' U_h + bh_h) */
        for (int j = 0; j < u; j++) {
            dr[j] = dzn[j] * rh[j];
            drh[j] = dzn[j] * r[j];
        }
        times_recurrent_backward(dhp, dU, work, drh, hp, hq, mh, UT, u, 3 * u, 2 * u, u);
        for (int j = 0; dbh && j < u; j++)
            dbh[2 * u + j] += drh[j];
    } else { /* zn = xh + (r h') U_h */
        memset(drh, 0, (size_t)u * sizeof *drh);
        times_transposed(drh, dzn, UT, u, 2 * u, u);
        outer_add(dU, rh, dzn, u, 3 * u, 2 * u, u);
        for (int j = 0; j < u; j++) { /* rh = r hh, hh = h' (or h' * its mask) */
            dhp[j] += drh[j] * r[j] * (mhh ? mhh[j] : 1);
            dr[j] = drh[j] * hh[j];
        }
    }
    sl_act_backward(rec, dz + u, dr, z + u, r, 1, (size_t)u); /* r = rec(zr) */
    sl_act_backward(rec, dz, dzg, z, zg, 1, (size_t)u);       /* zg = rec(zz) */
    times_recurrent_backward(dhp, dU, work, dz, hp, hq, mh, UT, u, 3 * u, 0,
                             2 * u); /* [zz zr] += h' [U_z U_r] */
    for (int k = 0; dbh && k < 2 * u; k++)
        dbh[k] += dz[k];
}

/* ---- one call: its sizes, weights and scratch ---- */

enum { KERNEL, RECURRENT_KERNEL, BIAS }; /* l->params, in rnn_params's order */

/* The scratch of one call, for B samples, T steps, u units, Gu = G*u gate columns and F features,
 * as named views. Step-major ([s][b][...]): one step of the whole batch is one block. A view the
 * cell does not use is NULL. */
typedef struct Scratch {
    /* made by forward, kept for backward */
    sl_real *z;  /* (T, B, Gu) the gates' pre-activations: x W + b_x, then the cell's h' U */
    sl_real *a;  /* (T, B, Gu) the gates after their activations (SimpleRNN: h) */
    sl_real *h;  /* (T+1, B, u) h before the first step, then after each: h[s] is step s's h' */
    sl_real *c;  /* (T+1, B, u) LSTM: c likewise */
    sl_real *ac; /* (T, B, u) LSTM: act(c) */
    sl_real *rh; /* (T, B, u) GRU: what r meets, h' U_h + bh_h or r h' (gru_cell_forward) */
    sl_real *mx; /* (B, nx, F) dropout: the input masks, drawn per batch in training */
    sl_real *mh; /* (B, nh, u) recurrent_dropout: the masks of h' */
    sl_real *xm; /* (F) one input row times its mask */
    sl_real *hq; /* (Gu) h' times each block's mask: what each block of U reads */
    /* backward's own */
    sl_real *dz;     /* (T, B, Gu) the gradients of the pre-activations, for input_backward */
    sl_real *dh;     /* (2, B, u) the gradient of h of the current step, and of its h' */
    sl_real *dc;     /* (2, B, u) LSTM: the same for c */
    sl_real *dcarry; /* (B, u) the gradient of an output not yet handed to its step's h (masks) */
    sl_real *da;     /* (Gu + u) one sample's gate gradients, and one more vector (the cells') */
    sl_real *UT;     /* (Gu, u) recurrent_kernel transposed */
    sl_real *WT;     /* (Gu, F) kernel transposed */
    sl_real *dxm;    /* (F) the gradient of one masked input row */
    sl_real *work;   /* (u) the gradient of one block's masked h' */
} Scratch;

/* Point S's views one after another into base and return how many elements they take; with base
 * NULL only count them (rnn_scratch declares that many). */
static size_t scratch_views(Scratch *S, sl_real *base, const RnnCfg *c, size_t B, size_t T)
{
    size_t u = (size_t)c->units, Gu = (size_t)c->G * u, F = (size_t)c->in;
    int lstm = c->kind == CELL_LSTM, gru = c->kind == CELL_GRU;
    struct {
        sl_real **view;
        size_t count;
    } list[] = {
        {&S->z, T * B * Gu},
        {&S->a, T * B * Gu},
        {&S->h, (T + 1) * B * u},
        {&S->c, lstm ? (T + 1) * B * u : 0},
        {&S->ac, lstm ? T * B * u : 0},
        {&S->rh, gru ? T * B * u : 0},
        {&S->mx, B * (size_t)c->nx * F},
        {&S->mh, B * (size_t)c->nh * u},
        {&S->xm, c->nx ? F : 0},
        {&S->hq, c->nh ? Gu : 0},
        {&S->dz, T * B * Gu},
        {&S->dh, 2 * B * u},
        {&S->dc, lstm ? 2 * B * u : 0},
        {&S->dcarry, B * u},
        {&S->da, Gu + u},
        {&S->UT, Gu * u},
        {&S->WT, Gu * F},
        {&S->dxm, c->nx ? F : 0},
        {&S->work, c->nh ? u : 0},
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
    int B, T, F, u, Gu; /* samples, steps, features, units, G*units */
    const sl_real *W;   /* (F, Gu) kernel */
    const sl_real *U;   /* (u, Gu) recurrent_kernel */
    const sl_real *bx;  /* (Gu) the bias added to x W; NULL without use_bias */
    const sl_real *bh;  /* (Gu) GRU reset_after: the bias added to h' U; else NULL */
    /* dropout in this call (training): the masks in the scratch, else NULL */
    int nx;            /* input masks per sample: 1 (all blocks) or G (one each) */
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
    scratch_views(&k.s, p->scratch[0], c, (size_t)k.B, (size_t)k.T);
    if (p->training) {
        k.nx = c->nx;
        k.mx = c->nx ? k.s.mx : NULL;
        k.mh = c->nh ? k.s.mh : NULL;
    }
    return k;
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
        named_add(&q, "dz", k->s.dz + (size_t)s * k->B * k->Gu, k->Gu);
    sl_trace_step(p, 1, s, q.n, q.name, q.value);
}

/* ---- dropout: the masks, and the input side read through them ----
 *
 * In training, dropout= multiplies the input row of every step by a mask drawn once for the
 * batch, the same at every step (Keras's DropoutRNNCell); recurrent_dropout= does the same to h'.
 * A mask holds 1/(1 - rate) where a uniform draw is at least rate, else 0 (inverted dropout, as
 * the Dropout layer), and is drawn from the model's generator, input masks first. With one input
 * mask every block reads x * m; with one per block (Keras's implementation 1), block g reads
 * x * m_g, and h' * mh_g on the recurrent side (times_recurrent). */

static void draw_masks(sl_real *m, size_t n, double rate, SlRng *r)
{
    sl_real keep = (sl_real)(1.0 / (1.0 - rate));
    for (size_t i = 0; i < n; i++)
        m[i] = sl_rng_uniform(r) >= rate ? keep : 0;
}

/* hq (Gu) = h' * sample b's recurrent masks, block by block; NULL without recurrent dropout. */
static const sl_real *masked_h(const Call *k, int b, const sl_real *hp)
{
    if (!k->mh)
        return NULL;
    const sl_real *m = k->mh + (size_t)b * k->Gu;
    for (int g = 0; g < k->Gu; g++)
        k->s.hq[g] = hp[g % k->u] * m[g];
    return k->s.hq;
}

/* Sample b's input mask for the block at column g: its own, or the one all blocks share. */
static const sl_real *x_mask(const Call *k, int b, int g)
{
    return k->mx + ((size_t)b * k->nx + (k->nx == 1 ? 0 : g / k->u)) * k->F;
}

/* input_projection with input dropout: Z[s,b, block] = (x[b,t(s),:] * m) W_block + b_x. */
static void input_projection_dropped(sl_real *Z, const sl_real *x, const Call *k, int backwards)
{
    int B = k->B, T = k->T, F = k->F, Gu = k->Gu, u = k->u;
    for (int s = 0; s < T; s++)
        for (int b = 0; b < B; b++) {
            int t = backwards ? T - 1 - s : s;
            sl_real *z = Z + ((size_t)s * B + b) * Gu;
            const sl_real *xr = x + ((size_t)b * T + t) * F;
            for (int g = 0; g < Gu; g++)
                z[g] = k->bx ? k->bx[g] : 0;
            for (int g = 0; g < Gu; g += u) {
                const sl_real *m = x_mask(k, b, g);
                for (int f = 0; f < F; f++)
                    k->s.xm[f] = xr[f] * m[f];
                row_times(z + g, k->s.xm, k->W, F, Gu, g, u);
            }
        }
}

/* Its gradients, as input_backward's: dW_block += (x * m)^T dz_block, dx += (dz_block W^T) * m. */
static void input_backward_dropped(sl_real *dx, sl_real *dW, sl_real *dbx, const sl_real *x,
                                   const Call *k, int backwards)
{
    int B = k->B, T = k->T, F = k->F, Gu = k->Gu, u = k->u;
    transpose(k->s.WT, k->W, F, Gu);
    for (int s = 0; s < T; s++)
        for (int b = 0; b < B; b++) {
            int t = backwards ? T - 1 - s : s;
            const sl_real *dz = k->s.dz + ((size_t)s * B + b) * Gu;
            size_t row = ((size_t)b * T + t) * F;
            for (int g = 0; dbx && g < Gu; g++)
                dbx[g] += dz[g];
            for (int g = 0; g < Gu; g += u) {
                const sl_real *m = x_mask(k, b, g);
                for (int f = 0; f < F; f++)
                    k->s.xm[f] = x[row + f] * m[f];
                outer_add(dW, k->s.xm, dz + g, F, Gu, g, u);
                memset(k->s.dxm, 0, (size_t)F * sizeof *k->s.dxm);
                times_transposed(k->s.dxm, dz + g, k->s.WT, F, g, u);
                for (int f = 0; f < F; f++)
                    dx[row + f] += k->s.dxm[f] * m[f];
            }
        }
}

/* ---- forward through time ---- */

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

/* Step s of sample b through the layer's cell, on the call's views. */
static void cell_forward(const RnnCfg *c, const Call *k, int s, int b)
{
    const Scratch *S = &k->s;
    size_t sb = (size_t)s * k->B + b;
    size_t prev = sb * k->u, next = prev + (size_t)k->B * k->u; /* h[s][b], h[s+1][b] */
    size_t g = sb * k->Gu;
    const sl_real *hq = masked_h(k, b, S->h + prev);
    switch (c->kind) {
    case CELL_SIMPLE:
        simple_cell_forward(S->h + next, S->a + g, S->z + g, S->h + prev, hq, k->U, c->act, k->u);
        break;
    case CELL_LSTM:
        lstm_cell_forward(S->h + next, S->c + next, S->a + g, S->ac + prev, S->z + g, S->h + prev,
                          hq, S->c + prev, k->U, c->act, c->rec_act, k->u);
        break;
    case CELL_GRU:
        gru_cell_forward(S->h + next, S->a + g, S->rh + prev, S->z + g, S->h + prev, hq, k->U,
                         k->bh, c->reset_after, c->act, c->rec_act, k->u);
        break;
    }
}

static void rnn_forward(SlLayer *l, SlPass *p)
{
    RnnCfg *c = l->cfg;
    Call k = call_of(l, p);
    const Scratch *S = &k.s;
    int B = k.B, T = k.T, u = k.u;
    size_t Bu = (size_t)B * u, nu = (size_t)u * sizeof(sl_real);
    start_states(c, p, S->h, S->c, Bu);
    if (k.mx)
        draw_masks(S->mx, (size_t)B * c->nx * k.F, c->dropout, p->rng);
    if (k.mh)
        draw_masks(S->mh, (size_t)B * c->nh * u, c->rec_dropout, p->rng);
    if (k.mx)
        input_projection_dropped(S->z, p->x[0].data, &k, c->go_backwards);
    else
        input_projection(S->z, p->x[0].data, k.W, k.bx, B, T, k.F, k.Gu, c->go_backwards);
    sl_real *y = p->y[0].data;
    memset(y, 0, sl_tensor_count(&p->y[0]) * sizeof *y);
    for (int s = 0; s < T; s++) {
        int t = c->go_backwards ? T - 1 - s : s;
        for (int b = 0; b < B; b++) {
            size_t prev = ((size_t)s * B + b) * u, next = prev + Bu;
            sl_real *out = c->return_sequences ? y + ((size_t)b * T + s) * u : y + (size_t)b * u;
            if (step_unmasked(p->mask_in[0], b, t, T)) {
                cell_forward(c, &k, s, b);
                memcpy(out, S->h + next, nu);
                continue;
            }
            /* masked: the states carry over, the output repeats the previous one (or is zeros,
             * with zero_output_for_mask) */
            memcpy(S->h + next, S->h + prev, nu);
            if (S->c)
                memcpy(S->c + next, S->c + prev, nu);
            if (c->zero_output)
                memset(out, 0, nu);
            else if (c->return_sequences && s > 0)
                memcpy(out, out - u, nu);
        }
        if (p->obs)
            trace_forward(p, c, &k, s);
    }
    for (int n = 1; n < p->n_out; n++)
        memcpy(p->y[n].data, (n == 1 ? S->h : S->c) + (size_t)T * Bu, Bu * sizeof(sl_real));
    for (int n = 0; c->stateful && n < c->n_state; n++)
        memcpy(c->carried[n], (n == 0 ? S->h : S->c) + (size_t)T * Bu, Bu * sizeof(sl_real));
}

/* ---- backward through time ---- */

/* Step s of sample b backwards through the layer's cell: from dh (dc) of the step to dz of the
 * step, dhp (dcp) for the step before, and the recurrent weights' gradients. dh, dhp, dc, dcp are
 * (B, u) rows of Scratch's dh and dc. */
static void cell_backward(const RnnCfg *c, const Call *k, int s, int b, sl_real *dhp, sl_real *dcp,
                          sl_real *dc, sl_real *dU, sl_real *dbh, const sl_real *dh)
{
    const Scratch *S = &k->s;
    size_t sb = (size_t)s * k->B + b;
    size_t prev = sb * k->u, next = prev + (size_t)k->B * k->u; /* h[s][b], h[s+1][b] */
    size_t g = sb * k->Gu, row = (size_t)b * k->u;
    const sl_real *hq = masked_h(k, b, S->h + prev), *mh = k->mh ? k->mh + (size_t)b * k->Gu : NULL;
    switch (c->kind) {
    case CELL_SIMPLE:
        simple_cell_backward(S->dz + g, dhp + row, dU, S->work, dh + row, S->z + g, S->a + g,
                             S->h + prev, hq, mh, S->UT, c->act, k->u);
        break;
    case CELL_LSTM:
        lstm_cell_backward(S->dz + g, dhp + row, dcp + row, dc + row, dU, S->da, S->work, dh + row,
                           S->c + next, S->a + g, S->ac + prev, S->z + g, S->h + prev, hq, mh,
                           S->c + prev, S->UT, c->act, c->rec_act, k->u);
        break;
    case CELL_GRU:
        gru_cell_backward(S->dz + g, dhp + row, dU, dbh, S->da, S->work, dh + row, S->a + g,
                          S->rh + prev, S->z + g, S->h + prev, hq, mh, S->UT, c->reset_after,
                          c->act, c->rec_act, k->u);
        break;
    }
}

/* The kernel's, the input bias's and the input's gradients from every step's dz: the same two
 * products as Dense's backward, on the rows x[b, t(s)]. */
static void input_backward(sl_real *dx, sl_real *dW, sl_real *dbx, const sl_real *x, const Call *k,
                           int backwards)
{
    int B = k->B, T = k->T, F = k->F, Gu = k->Gu;
    transpose(k->s.WT, k->W, F, Gu);
    for (int s = 0; s < T; s++)
        for (int b = 0; b < B; b++) {
            int t = backwards ? T - 1 - s : s;
            const sl_real *dz = k->s.dz + ((size_t)s * B + b) * Gu;
            size_t row = ((size_t)b * T + t) * F;
            for (int g = 0; dbx && g < Gu; g++)
                dbx[g] += dz[g];
            outer_add(dW, x + row, dz, F, Gu, 0, Gu);
            times_transposed(dx + row, dz, k->s.WT, F, 0, Gu);
        }
}

static void rnn_backward(SlLayer *l, SlPass *p)
{
    RnnCfg *c = l->cfg;
    Call k = call_of(l, p);
    const Scratch *S = &k.s;
    int B = k.B, T = k.T, u = k.u, Gu = k.Gu;
    size_t Bu = (size_t)B * u, nBu = Bu * sizeof(sl_real);
    sl_real *dU = l->params[RECURRENT_KERNEL].grad.data;
    sl_real *dbias = c->use_bias ? l->params[BIAS].grad.data : NULL;
    sl_real *dbh = dbias && c->reset_after ? dbias + Gu : NULL;
    /* dh, dc: the gradients of the current step's h and c; dhp, dcp: of its h' and c' */
    sl_real *dh = S->dh, *dhp = S->dh + Bu, *dc = S->dc, *dcp = S->dc ? S->dc + Bu : NULL;
    transpose(S->UT, k.U, u, Gu);
    memset(dh, 0, nBu);
    if (dc)
        memset(dc, 0, nBu);
    for (size_t i = 0; i < Bu && c->return_state; i++) {
        dh[i] += p->dy[1].data[i];
        if (dc)
            dc[i] += p->dy[2].data[i];
    }
    if (c->return_sequences) /* step s's output gets its gradient at step s */
        memset(S->dcarry, 0, nBu);
    else /* the last output: the last unmasked step's h */
        memcpy(S->dcarry, p->dy[0].data, nBu);
    memset(S->dz, 0, (size_t)T * B * Gu * sizeof *S->dz);
    for (int s = T - 1; s >= 0; s--) {
        int t = c->go_backwards ? T - 1 - s : s;
        memset(dhp, 0, nBu);
        if (dcp)
            memset(dcp, 0, nBu);
        for (int b = 0; b < B; b++) {
            size_t row = (size_t)b * u;
            sl_real *dcarry = S->dcarry + row;
            if (c->return_sequences)
                for (int j = 0; j < u; j++)
                    dcarry[j] += p->dy[0].data[((size_t)b * T + s) * u + j];
            if (!step_unmasked(p->mask_in[0], b, t, T)) { /* masked: h = h', c = c' */
                for (int j = 0; j < u; j++)
                    dhp[row + j] += dh[row + j];
                for (int j = 0; dc && j < u; j++)
                    dcp[row + j] += dc[row + j];
                if (c->zero_output) /* the output was zeros: its gradient goes nowhere */
                    memset(dcarry, 0, (size_t)u * sizeof *dcarry);
                continue; /* else it carries on to the previous output */
            }
            for (int j = 0; j < u; j++) /* the step's output is its h */
                dh[row + j] += dcarry[j], dcarry[j] = 0;
            cell_backward(c, &k, s, b, dhp, dcp, dc, dU, dbh, dh);
        }
        if (p->obs)
            trace_backward(p, c, &k, s, dh, dc);
        sl_real *swap = dh;
        dh = dhp, dhp = swap;
        swap = dc, dc = dcp, dcp = swap;
    }
    for (int n = 1; n < p->n_in; n++) { /* initial_state inputs: dh, dc now belong to h0, c0 */
        const sl_real *src = n == 1 ? dh : dc;
        for (size_t i = 0; i < Bu; i++)
            p->dx[n].data[i] += src[i];
    }
    if (k.mx)
        input_backward_dropped(p->dx[0].data, l->params[KERNEL].grad.data, dbias, p->x[0].data, &k,
                               c->go_backwards);
    else
        input_backward(p->dx[0].data, l->params[KERNEL].grad.data, dbias, p->x[0].data, &k,
                       c->go_backwards);
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
    input_projection(k.s.z, x, k.W, k.bx, 1, T, c->in, Gu, c->go_backwards);
    for (int step = 0; step < T; step++)
        cell_forward(c, &k, step, 0);
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
