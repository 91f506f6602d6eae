/* wrappers.c: TimeDistributed and Bidirectional, the layers that run another layer.
 *
 * TimeDistributed(layer): x (batch, T, ...) -> y (batch, T, ...out). The inner layer sees
 *   (batch*T, ...): every timestep (every row of a 4-D input) is one more sample, and one set of
 *   weights serves them all. In row-major memory that is a change of shape, not a copy, so forward
 *   and backward are the inner layer's own, on views. The inner layer's weights are named under
 *   the wrapper's: time_distributed/dense/kernel.
 *
 * Bidirectional(rnn, merge_mode='concat'): two copies of a recurrent layer read the same input,
 *   forward_<name> from the first step and backward_<name> (go_backwards=True) from the last.
 *   With return_sequences the backward copy's outputs come out last step first, so they are put
 *   back in time order before merging; step t then holds what the forward copy saw up to t and
 *   what the backward copy saw from t on. Merges: concat (units doubled), sum, mul, ave, or None
 *   (two outputs). With return_state the states follow: forward h (c), then backward h (c).
 *   Backward: the merge's gradient (concat splits, sum copies, ave halves, mul multiplies by the
 *   other direction), the backward copy's put back in its step order, then each copy's backward,
 *   both adding into the input's gradient.
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "layer.h"
#include "rnn.h"

/* ---- running an inner layer inside a wrapper's call ---- */

/* Shapes of the inner layer's run, and its scratch, carved from the wrapper's own scratch. */
typedef struct Inner {
    SlLayer *l;
    SlInfer io;
    SlScratchDecl d;
} Inner;

/* The inner layer's shapes for its inputs x[0 .. n) (a sequence, then any initial states). */
static int inner_infer(Inner *in, SlLayer *l, const SlShape *x, int n, SlError *e)
{
    memset(&in->io, 0, sizeof in->io);
    in->l = l;
    in->io.n_in = n;
    for (int k = 0; k < n; k++)
        in->io.in[k] = x[k];
    return l->type->infer(l, &in->io, e);
}

static size_t inner_scratch_count(Inner *in)
{
    memset(&in->d, 0, sizeof in->d);
    in->l->type->scratch(in->l, &in->io, &in->d);
    size_t n = 0;
    for (int i = 0; i < in->d.n; i++)
        n += in->d.count[i];
    return n;
}

/* A pass of the inner layer over views of the wrapper's buffers; returns the scratch used. */
static size_t inner_pass(Inner *in, const SlPass *outer, SlPass *p, sl_real *scratch)
{
    memset(p, 0, sizeof *p);
    p->node = outer->node;
    p->n_in = 1;
    p->n_out = in->io.n_out;
    p->training = outer->training;
    p->no_dx[0] = outer->no_dx[0];
    p->rng = outer->rng;
    p->layer = in->l;
    size_t used = inner_scratch_count(in);
    for (int i = 0; i < in->d.n; i++) {
        p->scratch[i] = scratch;
        scratch += in->d.count[i];
    }
    return used;
}

static int mul_none(int a, int b)
{
    return a == SL_NONE || b == SL_NONE ? SL_NONE : a * b;
}

/* ---- TimeDistributed ---- */

static const SlArgSpec td_args[] = {{"layer", SL_ARG_ANY | SL_ARG_OR_NONE | SL_ARG_KEYWORD, "None",
                                     "the layer to apply at every timestep (given first, and "
                                     "handed over by sl_layer_wrap: never bound by position)"}};

/* The layer itself arrives through sl_layer_wrap; anything bound to `layer` is not a layer. */
static int wrapped_one(const SlLayer *l, const SlBound *b, SlError *e)
{
    if (l->n_child != 1 || sl_bound_given(b, "layer"))
        return sl_errorf(e, "it wraps a layer: %s(%s)", l->type->name, l->type->example_args);
    return 0;
}

static int td_create(SlLayer *l, const SlBound *b, SlError *e)
{
    if (wrapped_one(l, b, e) < 0)
        return -1;
    if (sl_layer_is(l->child[0], SL_KIND_INPUT))
        return sl_errorf(e, "it wraps a layer that computes, not an Input");
    if (sl_regularizer_active(&l->child[0]->activity)) {
        sl_layer_notice(l, "notice: the activity_regularizer of a layer inside TimeDistributed "
                           "adds nothing: Keras runs the inner layer's call directly, without "
                           "it; give activity_regularizer= to the TimeDistributed layer instead");
        memset(&l->child[0]->activity, 0, sizeof l->child[0]->activity);
    }
    return 0;
}

/* The inner layer's input: batch and time folded into one axis. */
static SlShape td_fold(const SlShape *x)
{
    SlShape s;
    s.rank = x->rank - 1;
    s.dim[0] = mul_none(x->dim[0], x->dim[1]);
    for (int i = 2; i < x->rank; i++)
        s.dim[i - 1] = x->dim[i];
    return s;
}

static int td_infer(SlLayer *l, SlInfer *io, SlError *e)
{
    if (sl_layer_expect_inputs(l, io, 1, e) < 0)
        return -1;
    const SlShape *x = &io->in[0];
    if (x->rank < 3)
        return sl_layer_shape_error(e, l, "(batch, timesteps, ...): at least 3 axes", x,
                                    "TimeDistributed applies its layer at each step of axis 1; "
                                    "a 2-D input has no steps (use the layer without the "
                                    "wrapper)");
    Inner in;
    SlShape folded = td_fold(x);
    if (inner_infer(&in, l->child[0], &folded, 1, e) < 0) {
        sl_error_prefix(e, "inside '%s', at each timestep: ", l->name);
        return -1;
    }
    if (in.io.n_out != 1)
        return sl_errorf(e, "layer '%s': TimeDistributed needs a layer with one output", l->name);
    const SlShape *o = &in.io.out[0];
    io->n_out = 1;
    io->out[0].rank = o->rank + 1;
    io->out[0].dim[0] = x->dim[0];
    io->out[0].dim[1] = x->dim[1];
    for (int i = 1; i < o->rank; i++)
        io->out[0].dim[i + 1] = o->dim[i];
    sl_infer_pass_mask(io);
    return 0;
}

static int td_params(SlLayer *l, const SlInfer *io, SlError *e)
{
    Inner in;
    SlShape folded = td_fold(&io->in[0]);
    SlLayer *c = l->child[0];
    if (inner_infer(&in, c, &folded, 1, e) < 0 || c->type->params(c, &in.io, e) < 0)
        return -1;
    c->built = 1;
    return 0;
}

static void td_scratch(const SlLayer *l, const SlInfer *io, SlScratchDecl *d)
{
    Inner in;
    SlError e;
    SlShape folded = td_fold(&io->in[0]);
    size_t n = inner_infer(&in, l->child[0], &folded, 1, &e) < 0 ? 0 : inner_scratch_count(&in);
    d->n = 1;
    d->name[0] = "the inner layer's scratch";
    d->count[0] = n ? n : 1;
}

/* The inner layer's pass: the wrapper's tensors seen with batch and time folded together. */
static void td_inner(SlLayer *l, const SlPass *p, SlPass *ip)
{
    Inner in;
    SlError e;
    SlShape folded = td_fold(&p->x[0].shape);
    inner_infer(&in, l->child[0], &folded, 1, &e); /* succeeded when this call was planned */
    inner_pass(&in, p, ip, p->scratch[0]);
    ip->x[0] = sl_tensor(folded, p->x[0].data);
    ip->y[0] = sl_tensor(in.io.out[0], p->y[0].data);
    ip->dx[0] = sl_tensor(folded, p->dx[0].data);
    ip->dy[0] = sl_tensor(in.io.out[0], p->dy[0].data);
}

static void td_forward(SlLayer *l, SlPass *p)
{
    SlPass ip;
    td_inner(l, p, &ip);
    l->child[0]->type->forward(l->child[0], &ip);
}

static void td_backward(SlLayer *l, SlPass *p)
{
    SlPass ip;
    td_inner(l, p, &ip);
    l->child[0]->type->backward(l->child[0], &ip);
}

static void wrapper_reset(SlLayer *l)
{
    for (int i = 0; i < l->n_child; i++)
        l->child[i]->type->reset(l->child[i]);
}

static void td_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    char a[96], b[96], T[16];
    sl_shape_str(&io->in[0], a, sizeof a);
    sl_shape_str(&io->out[0], b, sizeof b);
    if (io->in[0].dim[1] == SL_NONE)
        snprintf(T, sizeof T, "every");
    else
        snprintf(T, sizeof T, "each of the %d", io->in[0].dim[1]);
    snprintf(buf, n,
             "TimeDistributed applies %s (%s) to %s steps of axis 1 with one set of "
             "weights: %s -> %s",
             l->child[0]->name, l->child[0]->type->name, T, a, b);
}

/* A wrapper's note is its inner layer's. */
static void wrapper_note(const SlLayer *l, char *buf, size_t n)
{
    l->child[0]->type->note(l->child[0], buf, n);
}

static int td_scenes(const SlLayer *l, SlSceneClaim *out)
{
    (void)l;
    out[0] = (SlSceneClaim){"timedistributed", SL_SCENE_OWN,
                            "the same inner layer, with the same weights, at every step", 0};
    out[1] = (SlSceneClaim){"seq2seq", SL_SCENE_SHOWN, "a layer applied at every output step",
                            SL_SEQ2SEQ_EACH};
    return 2;
}

static void td_formula(const SlLayer *l, char *buf, size_t n)
{
    char f[192];
    l->child[0]->type->formula(l->child[0], f, sizeof f);
    snprintf(buf, n, "%s (one %s shared by every step)", f, l->child[0]->type->name);
}

const SlLayerType sl_time_distributed_type = {
    .name = "TimeDistributed",
    .snake = "time_distributed",
    .aliases = "",
    .summary = "applies a layer at every timestep (axis 1) with one set of weights",
    .args = td_args,
    .n_args = sizeof td_args / sizeof td_args[0],
    .example_args = "Dense(3)",
    .example_input = "(2, 4, 5)",
    .kind = SL_KIND_WRAPPER,
    .steps = SL_STEPS_EACH,
    .create = td_create,
    .infer = td_infer,
    .params = td_params,
    .scratch = td_scratch,
    .forward = td_forward,
    .backward = td_backward,
    .reset = wrapper_reset,
    .explain = td_explain,
    .formula = td_formula,
    .note = wrapper_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = td_scenes,
    .destroy = sl_layer_destroy_cfg,
};

/* ---- Bidirectional ---- */

typedef enum Merge { MERGE_CONCAT, MERGE_SUM, MERGE_MUL, MERGE_AVE, MERGE_NONE } Merge;
static const char *const merge_names[] = {"concat", "sum", "mul", "ave", "None"};

typedef struct BiCfg {
    Merge merge;
} BiCfg;

static const SlArgSpec bi_args[] = {
    {"layer", SL_ARG_ANY | SL_ARG_OR_NONE | SL_ARG_KEYWORD, "None",
     "the recurrent layer (given first, and handed over by sl_layer_wrap: never bound by "
     "position)"},
    {"merge_mode", SL_ARG_STR | SL_ARG_OR_NONE, "'concat'",
     "how the two directions combine: concat, sum, mul, ave or None (two outputs)"},
    {"weights", SL_ARG_ANY | SL_ARG_OR_NONE, "None", "not supported yet: None only"},
    {"backward_layer", SL_ARG_ANY | SL_ARG_OR_NONE, "None",
     "the layer reading from the last step (handed over by sl_layer_wrap_pair); default: a "
     "copy of layer with go_backwards flipped"},
};

/* Keras's checks of a given backward layer against the forward one. */
static int check_pair(const SlLayer *f, const SlLayer *bk, SlError *e)
{
    SlRnnInfo a, b;
    if (sl_rnn_info(bk, &b) < 0)
        return sl_errorf(e,
                         "backward_layer must be a recurrent layer (LSTM, GRU, SimpleRNN), not %s",
                         bk->type->name);
    sl_rnn_info(f, &a);
    if (a.go_backwards == b.go_backwards)
        return sl_errorf(e,
                         "Forward layer and backward layer should have different `go_backwards` "
                         "value: give the backward layer go_backwards=%s",
                         a.go_backwards ? "False" : "True");
    const char *names[] = {"stateful", "return_sequences", "return_state"};
    int fv[] = {a.stateful, a.return_sequences, a.return_state};
    int bv[] = {b.stateful, b.return_sequences, b.return_state};
    for (int i = 0; i < 3; i++)
        if (fv[i] != bv[i])
            return sl_errorf(e,
                             "Forward layer and backward layer are expected to have the same "
                             "value for attribute \"%s\", got %s for the forward layer and %s for "
                             "the backward layer",
                             names[i], fv[i] ? "True" : "False", bv[i] ? "True" : "False");
    return 0;
}

static int bi_create(SlLayer *l, const SlBound *b, SlError *e)
{
    if (l->n_child < 1 || l->n_child > 2 || sl_bound_given(b, "layer"))
        return sl_errorf(e, "it wraps a layer: %s(%s)", l->type->name, l->type->example_args);
    if (sl_bound_given(b, "backward_layer") && !sl_bound_is_none(b, "backward_layer"))
        return sl_errorf(e, "backward_layer takes a recurrent layer, like "
                            "Bidirectional(LSTM(4), backward_layer=LSTM(4, go_backwards=True))");
    if (sl_not_yet(b, "weights", "set them after building, with set_weights or load_weights", e) <
        0)
        return -1;
    SlLayer *f = l->child[0];
    if (!sl_layer_is(f, SL_KIND_RECURRENT))
        return sl_errorf(e, "it wraps a recurrent layer (LSTM, GRU, SimpleRNN), not %s",
                         f->type->name);
    BiCfg *c = sl_alloc_zero(1, sizeof *c);
    if (!c)
        return sl_errorf(e, "out of memory");
    l->cfg = c;
    const char *m = sl_bound_str(b, "merge_mode");
    c->merge = MERGE_NONE;
    for (int i = 0; m && i < MERGE_NONE; i++)
        if (!strcmp(m, merge_names[i]))
            c->merge = (Merge)i;
    if (m && c->merge == MERGE_NONE)
        return sl_errorf(e, "merge_mode='%s'; Keras knows 'concat', 'sum', 'mul', 'ave' and None",
                         m);
    if (l->n_child == 2) { /* backward_layer=: Keras keeps its name */
        if (check_pair(f, l->child[1], e) < 0)
            return -1;
    } else { /* Keras's two copies: forward_<name>, and backward_<name> reading from the end */
        char name[SL_NAME_MAX];
        snprintf(name, sizeof name, "backward_%s", f->name);
        int gb = sl_args_find(f->args, "go_backwards");
        int was_backwards = gb >= 0 && f->args->val[gb].i;
        SlLayer *back = sl_layer_twin(f, name, "go_backwards", !was_backwards, e);
        if (!back)
            return -1;
        back->parent = l;
        back->notice[0] = '\0'; /* its notices are the original's, already shown */
        l->child[l->n_child++] = back;
    }
    for (int k = 0; k < 2; k++)
        if (sl_regularizer_active(&l->child[k]->activity))
            return sl_errorf(e, "an activity_regularizer on the layer inside Bidirectional is not "
                                "supported yet; give activity_regularizer= to the Bidirectional "
                                "layer, which regularizes the merged output");
    for (int k = 0; k < 2; k++) { /* Keras: a copy returning sequences outputs zeros at masked
                                     steps */
        SlRnnInfo info;
        sl_rnn_info(l->child[k], &info);
        sl_rnn_set_zero_output_for_mask(l->child[k], info.return_sequences);
    }
    char fname[SL_NAME_MAX];
    snprintf(fname, sizeof fname, "forward_%s", f->name);
    snprintf(f->name, sizeof f->name, "%s", fname);
    if (!l->has_input_shape && f->has_input_shape)
        l->has_input_shape = 1, l->input_shape = f->input_shape;
    return 0;
}

/* States of direction k: LSTM's h and c, the others' h. */
static int bi_states(const SlLayer *l, int k)
{
    return sl_rnn_n_states(l->child[k]);
}

/* Both copies' shapes for the wrapper's inputs: the sequence, then (with initial_state) the
 * forward copy's states and the backward copy's, as Keras takes them. */
static int bi_inner(const SlLayer *l, const SlShape *x, int n_in, Inner in[2], SlError *e)
{
    int first = 1;
    for (int k = 0; k < 2; k++) {
        SlShape mine[1 + 2];
        int ns = bi_states(l, k);
        mine[0] = x[0];
        for (int j = 0; n_in > 1 && j < ns; j++)
            mine[1 + j] = x[first + j];
        first += ns;
        if (inner_infer(&in[k], l->child[k], mine, n_in > 1 ? 1 + ns : 1, e) < 0) {
            sl_error_prefix(e, "inside '%s': ", l->name);
            return -1;
        }
    }
    return 0;
}

static int bi_infer(SlLayer *l, SlInfer *io, SlError *e)
{
    const BiCfg *c = l->cfg;
    Inner in[2];
    int nf = bi_states(l, 0), nb = bi_states(l, 1);
    if (io->n_in != 1 && (io->n_in != 1 + nf + nb || nf != nb))
        return sl_errorf(e,
                         "layer '%s' (Bidirectional): initial_state takes %d tensors, the forward "
                         "layer's %s then the backward layer's; got %d",
                         l->name, nf + nb, nf == 2 ? "h and c" : "h", io->n_in - 1);
    if (bi_inner(l, io->in, io->n_in, in, e) < 0)
        return -1;
    int seq = in[0].io.out[0].rank == 3;
    SlShape y = in[0].io.out[0], yb = in[1].io.out[0];
    int uf = y.dim[y.rank - 1], ub = yb.dim[yb.rank - 1];
    if (c->merge != MERGE_CONCAT && c->merge != MERGE_NONE && uf != ub) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "two directions of the same units to merge_mode='%s': the forward layer has %d, "
                 "the backward layer %d",
                 merge_names[c->merge], uf, ub);
        return sl_layer_shape_error(e, l, msg, &io->in[0],
                                    "give both layers the same units, or merge_mode='concat'");
    }
    io->n_out = 0;
    if (c->merge == MERGE_NONE) {
        io->out[io->n_out++] = y;
        io->out[io->n_out++] = yb;
    } else {
        if (c->merge == MERGE_CONCAT)
            y.dim[y.rank - 1] = uf + ub;
        io->out[io->n_out++] = y;
    }
    int merged = io->n_out;
    for (int k = 0; k < 2; k++)
        for (int s = 1; s < in[k].io.n_out; s++)
            io->out[io->n_out++] = in[k].io.out[s];
    for (int k = 0; k < io->n_out; k++) {
        int pass = seq && k < merged && io->in_mask[0];
        io->out_mask[k] = pass ? SL_MASK_PASS : SL_MASK_NONE;
        io->mask_from[k] = 0;
    }
    return 0;
}

static int bi_params(SlLayer *l, const SlInfer *io, SlError *e)
{
    Inner in[2];
    if (bi_inner(l, io->in, io->n_in, in, e) < 0)
        return -1;
    for (int k = 0; k < 2; k++) {
        if (l->child[k]->type->params(l->child[k], &in[k].io, e) < 0)
            return -1;
        l->child[k]->built = 1;
    }
    return 0;
}

/* Scratch: each copy's own, then each copy's outputs, then their gradients. */
static size_t bi_outputs_count(const Inner *in)
{
    size_t n = 0;
    for (int k = 0; k < in->io.n_out; k++)
        n += sl_shape_count(&in->io.out[k]);
    return n;
}

static void bi_scratch(const SlLayer *l, const SlInfer *io, SlScratchDecl *d)
{
    Inner in[2];
    SlError e;
    size_t n = 0;
    if (bi_inner(l, io->in, io->n_in, in, &e) == 0)
        for (int k = 0; k < 2; k++)
            n += inner_scratch_count(&in[k]) + 2 * bi_outputs_count(&in[k]);
    d->n = 1;
    d->name[0] = "both directions' scratch, outputs and output gradients";
    d->count[0] = n ? n : 1;
}

/* The passes of the two copies, on views of the wrapper's input and of its scratch. */
static void bi_passes(SlLayer *l, const SlPass *p, SlPass ip[2])
{
    Inner in[2];
    SlError e;
    SlShape shapes[SL_MAX_IO];
    for (int k = 0; k < p->n_in; k++)
        shapes[k] = p->x[k].shape;
    bi_inner(l, shapes, p->n_in, in, &e); /* succeeded when this call was planned */
    sl_real *buf = p->scratch[0];
    for (int k = 0; k < 2; k++)
        buf += inner_pass(&in[k], p, &ip[k], buf);
    for (int k = 0, first = 1; k < 2; k++) {
        int ns = bi_states(l, k);
        ip[k].x[0] = p->x[0];
        ip[k].dx[0] = p->dx[0];
        ip[k].n_in = p->n_in > 1 ? 1 + ns : 1;
        for (int j = 0; p->n_in > 1 && j < ns; j++) { /* this copy's initial states */
            ip[k].x[1 + j] = p->x[first + j];
            ip[k].dx[1 + j] = p->dx[first + j];
        }
        first += ns;
        ip[k].mask_in[0] = p->mask_in[0]; /* both copies carry their state over masked steps */
        for (int o = 0; o < in[k].io.n_out; o++) {
            size_t n = sl_shape_count(&in[k].io.out[o]);
            ip[k].y[o] = sl_tensor(in[k].io.out[o], buf);
            ip[k].dy[o] = sl_tensor(in[k].io.out[o], buf + n);
            buf += 2 * n;
        }
    }
}

/* The backward copy's row for merged row s = (b, t): its sequence comes out last step first, so
 * it is put back in time order (Keras's flip); a last output has one row per sample. */
static size_t back_row(const SlTensor *yb, size_t s, size_t T)
{
    if (yb->shape.rank == 2)
        return s;
    size_t b = s / T, t = s % T;
    return b * T + (T - 1 - t);
}

/* Merged rows: a copy that returns sequences writes zeros at masked steps itself
 * (zero_output_for_mask, set in bi_create), so a masked step merges to zeros, as in Keras. */
static void bi_forward(SlLayer *l, SlPass *p)
{
    const BiCfg *c = l->cfg;
    SlPass ip[2];
    bi_passes(l, p, ip);
    for (int k = 0; k < 2; k++)
        l->child[k]->type->forward(l->child[k], &ip[k]);
    const SlTensor *f = &ip[0].y[0], *b = &ip[1].y[0];
    size_t B = (size_t)f->shape.dim[0], uf = (size_t)f->shape.dim[f->shape.rank - 1];
    size_t ub = (size_t)b->shape.dim[b->shape.rank - 1];
    size_t T = f->shape.rank == 3 ? (size_t)f->shape.dim[1] : 1;
    sl_real *y = p->y[0].data;
    for (size_t s = 0; s < B * T; s++) {
        const sl_real *vf = f->data + s * uf, *vb = b->data + back_row(b, s, T) * ub;
        for (size_t j = 0; j < uf; j++)
            switch (c->merge) {
            case MERGE_CONCAT:
            case MERGE_NONE:
                y[s * (c->merge == MERGE_CONCAT ? uf + ub : uf) + j] = vf[j];
                break;
            case MERGE_SUM:
                y[s * uf + j] = vf[j] + vb[j];
                break;
            case MERGE_MUL:
                y[s * uf + j] = vf[j] * vb[j];
                break;
            case MERGE_AVE:
                y[s * uf + j] = (vf[j] + vb[j]) / 2;
                break;
            }
        for (size_t j = 0; j < ub; j++)
            if (c->merge == MERGE_CONCAT)
                y[s * (uf + ub) + uf + j] = vb[j];
            else if (c->merge == MERGE_NONE)
                p->y[1].data[s * ub + j] = vb[j];
    }
    int first = c->merge == MERGE_NONE ? 2 : 1;
    for (int k = 0; k < 2; k++)
        for (int o = 1; o < ip[k].n_out; o++)
            memcpy(p->y[first++].data, ip[k].y[o].data,
                   sl_tensor_count(&ip[k].y[o]) * sizeof(sl_real));
}

static void bi_backward(SlLayer *l, SlPass *p)
{
    const BiCfg *c = l->cfg;
    SlPass ip[2];
    bi_passes(l, p, ip);
    const SlTensor *f = &ip[0].y[0], *b = &ip[1].y[0];
    size_t B = (size_t)f->shape.dim[0], uf = (size_t)f->shape.dim[f->shape.rank - 1];
    size_t ub = (size_t)b->shape.dim[b->shape.rank - 1];
    size_t T = f->shape.rank == 3 ? (size_t)f->shape.dim[1] : 1;
    const sl_real *dy = p->dy[0].data;
    for (size_t s = 0; s < B * T; s++) {
        size_t rb = back_row(b, s, T);
        sl_real *df = ip[0].dy[0].data + s * uf, *db = ip[1].dy[0].data + rb * ub;
        const sl_real *vf = f->data + s * uf, *vb = b->data + rb * ub;
        for (size_t j = 0; j < uf; j++)
            switch (c->merge) {
            case MERGE_CONCAT:
            case MERGE_NONE:
                df[j] = dy[s * (c->merge == MERGE_CONCAT ? uf + ub : uf) + j];
                break;
            case MERGE_SUM:
                df[j] = dy[s * uf + j], db[j] = dy[s * uf + j];
                break;
            case MERGE_MUL:
                df[j] = dy[s * uf + j] * vb[j], db[j] = dy[s * uf + j] * vf[j];
                break;
            case MERGE_AVE:
                df[j] = dy[s * uf + j] / 2, db[j] = dy[s * uf + j] / 2;
                break;
            }
        for (size_t j = 0; j < ub; j++)
            if (c->merge == MERGE_CONCAT)
                db[j] = dy[s * (uf + ub) + uf + j];
            else if (c->merge == MERGE_NONE)
                db[j] = p->dy[1].data[s * ub + j];
    }
    int first = c->merge == MERGE_NONE ? 2 : 1;
    for (int k = 0; k < 2; k++)
        for (int o = 1; o < ip[k].n_out; o++)
            memcpy(ip[k].dy[o].data, p->dy[first++].data,
                   sl_tensor_count(&ip[k].dy[o]) * sizeof(sl_real));
    for (int k = 0; k < 2; k++)
        l->child[k]->type->backward(l->child[k], &ip[k]);
}

static void bi_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    const BiCfg *c = l->cfg;
    char a[96], b[96];
    sl_shape_str(&io->in[0], a, sizeof a);
    sl_shape_str(&io->out[0], b, sizeof b);
    snprintf(buf, n,
             "Bidirectional runs %s from the first step and %s from the last, then %s: "
             "%s -> %s",
             l->child[0]->name, l->child[1]->name,
             c->merge == MERGE_CONCAT ? "puts their outputs side by side (units doubled)"
             : c->merge == MERGE_NONE ? "returns both"
                                      : "merges them elementwise",
             a, b);
}

static int bi_scenes(const SlLayer *l, SlSceneClaim *out)
{
    (void)l;
    out[0] =
        (SlSceneClaim){"bidirectional", SL_SCENE_ABOUT,
                       "two copies reading the steps in opposite directions, merged per step", 0};
    return 1;
}

static void bi_formula(const SlLayer *l, char *buf, size_t n)
{
    char f[192], b[192];
    l->child[0]->type->formula(l->child[0], f, sizeof f);
    l->child[1]->type->formula(l->child[1], b, sizeof b);
    if (sl_layer_count_params(l->child[0]) == sl_layer_count_params(l->child[1]))
        snprintf(buf, n, "2 directions x (%s) = %zu", f, sl_layer_count_params(l));
    else /* a backward_layer of its own */
        snprintf(buf, n, "(%s) + (%s) = %zu", f, b, sl_layer_count_params(l));
}

const SlLayerType sl_bidirectional_type = {
    .name = "Bidirectional",
    .snake = "bidirectional",
    .aliases = "",
    .summary = "runs a recurrent layer forwards and backwards in time and merges the two",
    .args = bi_args,
    .n_args = sizeof bi_args / sizeof bi_args[0],
    .example_args = "LSTM(3, return_sequences=True)",
    .example_input = "(2, 5, 4)",
    .kind = SL_KIND_WRAPPER,
    .steps = SL_STEPS_ALL,
    .create = bi_create,
    .infer = bi_infer,
    .params = bi_params,
    .scratch = bi_scratch,
    .forward = bi_forward,
    .backward = bi_backward,
    .reset = wrapper_reset,
    .explain = bi_explain,
    .formula = bi_formula,
    .note = wrapper_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = bi_scenes,
    .destroy = sl_layer_destroy_cfg,
};
