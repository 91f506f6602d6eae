/* merge.c: the layers that join the branches of a functional model into one tensor.
 *
 *   Add, Subtract, Multiply,   x_0, ..., x_{n-1} -> y, element by element:
 *   Average, Maximum, Minimum  x_0 + x_1 + ..., x_0 - x_1 (exactly two), x_0 * x_1 * ...,
 *                              (x_0 + ... + x_{n-1}) / n, max(x_0, ...), min(x_0, ...)
 *   Concatenate(axis)          (b, ..., n_k, ...) for each k -> (b, ..., sum of n_k, ...)
 *   Dot(axes, normalize)       x (b, ..., s, ...) and z (b, ..., s, ...): products summed over s
 *
 * Shapes as Keras 3 works them out (keras/src/layers/merging/): the elementwise merges line up the
 * axes after the batch axis from the last one, and an axis of size 1, or one that a lower-rank
 * input lacks, repeats (broadcasts): (None, 10, 32) + (None, 1, 32) and (None, 10, 32) +
 * (None, 32) both give (None, 10, 32). Concatenate needs every axis but its own to agree. Dot pairs
 * one axis of each input (never the batch axis); its output holds the first input's other axes,
 * then the second's, and (batch, 1) when nothing else is left.
 *
 * Backward, with g = dL/dy:
 *   Add: dx_k += g;  Subtract: dx_0 += g, dx_1 -= g;  Average: dx_k += g / n;
 *   Multiply: dx_k += g * (the product of the other inputs);
 *   Maximum, Minimum: g goes to the input that won (the first of them on a tie);
 *   an element repeated by broadcasting gathers the gradient of every place it was copied to;
 *   Concatenate: each input takes back its own slice of g;
 *   Dot: dx[.., s, ..] += sum over z's other axes of g * z[.., s, ..], and the same for z;
 *   with normalize, u = x / |x| (|x| over s, at least 1e-7) is what is multiplied, and
 *   dx = (du - u (u . du)) / |x|  (derived in docs/layers/merge.md).
 *
 * Masks (one flag per (sample, step), over axis 1), as Keras merges them:
 *   Add, Subtract, Average: the values ignore the masks; the output carries the OR of the inputs'
 *     masks only when every input has one;
 *   Multiply: a masked entry counts as 1; when every input has a mask the output carries their OR
 *     and an entry masked in every input is 0;
 *   Maximum, Minimum: a masked entry takes no part (all masked: the first input's value);
 *     the output's mask as Add's;
 *   Concatenate: an input without a mask counts as all true; joined on axis 1 the masks are joined
 *     too, on another axis the output carries their OR;
 *   Dot: no mask leaves it.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "layer.h"

typedef enum MergeOp {
    OP_ADD,
    OP_SUBTRACT,
    OP_MULTIPLY,
    OP_AVERAGE,
    OP_MAXIMUM,
    OP_MINIMUM
} MergeOp;

typedef struct MergeCfg {
    MergeOp op;    /* the elementwise merges */
    int axis;      /* Concatenate, as written: -1 */
    int n_axes;    /* Dot: 1 when axes is one int, 2 for a pair */
    int axes[2];   /* Dot, as written */
    int normalize; /* Dot */
} MergeCfg;

static MergeCfg *new_cfg(SlLayer *l, SlError *e)
{
    MergeCfg *c = sl_alloc_zero(1, sizeof *c);
    if (!c)
        sl_errorf(e, "out of memory");
    l->cfg = c;
    return c;
}

/* ---- what every merge checks: a list of tensors of one batch size ---- */

/* At least two tensors, or exactly `exactly`. */
static int check_count(const SlLayer *l, const SlInfer *io, int exactly, SlError *e)
{
    if (exactly ? io->n_in == exactly : io->n_in >= 2)
        return 0;
    const char *t = l->type->name;
    if (io->n_in < 2)
        return sl_errorf(e,
                         "layer '%s' (%s) merges a list of tensors, got one tensor. Fix: call it "
                         "on a list, %s()([a, b]); a Sequential model gives each layer one "
                         "tensor, so a model that merges branches is built with the functional "
                         "API (Input(...), then Model(inputs, outputs))",
                         l->name, t, t);
    return sl_errorf(e,
                     "layer '%s' (%s) takes exactly %d tensors, got %d. Fix: call it on a list of "
                     "%d, %s()([a, b])",
                     l->name, t, exactly, io->n_in, exactly, t);
}

static int check_batch(const SlLayer *l, const SlInfer *io, SlError *e)
{
    int first = -1;
    for (int k = 0; k < io->n_in; k++) {
        if (io->in[k].rank < 2)
            return sl_layer_shape_error(e, l, "(batch, ...) with at least one axis after the batch",
                                        &io->in[k], "give each sample at least one axis");
        if (io->in[k].dim[0] == SL_NONE)
            continue;
        if (first < 0) {
            first = k;
            continue;
        }
        if (io->in[k].dim[0] != io->in[first].dim[0]) {
            char a[96], b[96];
            return sl_errorf(e,
                             "layer '%s' (%s) cannot merge tensors with different batch sizes: "
                             "%s and %s. Fix: every input needs the same number of samples",
                             l->name, l->type->name, sl_shape_str(&io->in[first], a, sizeof a),
                             sl_shape_str(&io->in[k], b, sizeof b));
        }
    }
    return 0;
}

/* The known batch size of the inputs, or None. */
static int batch_of(const SlInfer *io)
{
    for (int k = 0; k < io->n_in; k++)
        if (io->in[k].dim[0] != SL_NONE)
            return io->in[k].dim[0];
    return SL_NONE;
}

static int any_mask(const SlInfer *io)
{
    for (int k = 0; k < io->n_in; k++)
        if (io->in_mask[k])
            return 1;
    return 0;
}

static int every_mask(const SlInfer *io)
{
    for (int k = 0; k < io->n_in; k++)
        if (!io->in_mask[k])
            return 0;
    return 1;
}

/* ---- Add, Subtract, Multiply, Average, Maximum, Minimum ---- */

static const struct {
    const char *sep;  /* between the shapes in the sentence */
    const char *what; /* what the layer does with the elements */
} ops[] = {
    [OP_ADD] = {" + ", "adds"},
    [OP_SUBTRACT] = {" - ", "takes the second from the first"},
    [OP_MULTIPLY] = {" * ", "multiplies"},
    [OP_AVERAGE] = {", ", "averages"},
    [OP_MAXIMUM] = {", ", "keeps the largest"},
    [OP_MINIMUM] = {", ", "keeps the smallest"},
};

/* Keras's shape of an elementwise merge of a and b, batch axis aside: the other axes lined up
 * from the last; where one is missing or 1 the other's size is taken, and None stays None.
 * Returns 0, or r > 0 when the r-th axis from the end holds two known sizes that differ. */
static int broadcast(const SlShape *a, const SlShape *b, SlShape *out)
{
    const SlShape *hi = a->rank >= b->rank ? a : b, *lo = hi == a ? b : a;
    *out = *hi;
    for (int r = 1; r < lo->rank; r++) {
        int i = hi->dim[hi->rank - r], j = lo->dim[lo->rank - r], *o = &out->dim[hi->rank - r];
        if (i == SL_NONE || j == SL_NONE)
            *o = SL_NONE;
        else if (i == 1 || j == 1)
            *o = i == 1 ? j : i;
        else if (i != j)
            return r;
    }
    return 0;
}

/* The r-th axis from the end of s, or 0 if s has no such axis after its batch axis. */
static int from_end(const SlShape *s, int r)
{
    return r < s->rank ? s->dim[s->rank - r] : 0;
}

/* Inputs k and an earlier one disagree on the r-th axis from the end: name both, and the fix. */
static int elementwise_mismatch(const SlLayer *l, const SlInfer *io, int k, int r, SlError *e)
{
    int dk = from_end(&io->in[k], r), j = 0;
    for (int i = 0; i < k; i++) {
        int d = from_end(&io->in[i], r);
        if (d > 1 && d != dk) {
            j = i;
            break;
        }
    }
    int dj = from_end(&io->in[j], r), same_rank = 1;
    for (int i = 1; i < io->n_in; i++)
        same_rank &= io->in[i].rank == io->in[0].rank;
    char a[96], b[96], axis[48], fix[320];
    if (same_rank)
        snprintf(axis, sizeof axis, "axis %d", io->in[k].rank - r);
    else
        snprintf(axis, sizeof axis, "axis -%d (the shapes line up from the last axis)", r);
    if (r == 1)
        snprintf(fix, sizeof fix,
                 "make both %d there: a Dense(%d), or a Conv with %d filters and kernel_size=1, "
                 "on the branch that gives %d; in a residual block x + f(x) that projection goes "
                 "on the shortcut x",
                 dj, dj, dj, dk);
    else
        snprintf(fix, sizeof fix,
                 "the two branches must keep that axis the same size: strides, pooling and "
                 "padding='valid' shrink it, so give both branches the same strides and pooling "
                 "(padding='same' keeps the size), or make it 1 on one branch to repeat");
    return sl_errorf(e,
                     "layer '%s' (%s) %s, element by element, so every axis must agree (equal, or "
                     "1 to repeat): %s and %s differ on %s (%d vs %d). Fix: %s",
                     l->name, l->type->name, ops[((const MergeCfg *)l->cfg)->op].what,
                     sl_shape_str(&io->in[j], a, sizeof a), sl_shape_str(&io->in[k], b, sizeof b),
                     axis, dj, dk, fix);
}

static int elementwise_infer(SlLayer *l, SlInfer *io, SlError *e)
{
    const MergeCfg *c = l->cfg;
    if (check_count(l, io, c->op == OP_SUBTRACT ? 2 : 0, e) < 0 || check_batch(l, io, e) < 0)
        return -1;
    SlShape out = io->in[0];
    for (int k = 1; k < io->n_in; k++) {
        SlShape next;
        int r = broadcast(&out, &io->in[k], &next);
        if (r)
            return elementwise_mismatch(l, io, k, r, e);
        out = next;
    }
    out.dim[0] = batch_of(io);
    /* a mask flags axis 1 of its own tensor: it lines up with the output's only at equal rank */
    for (int k = 0; k < io->n_in; k++)
        if (io->in_mask[k] && io->in[k].rank != out.rank) {
            char a[96], b[96];
            return sl_errorf(e,
                             "layer '%s' (%s): input %d %s carries a mask over its steps (axis "
                             "1), which does not line up with the output %s. Fix: give the "
                             "inputs the same number of axes (Reshape or RepeatVector the "
                             "smaller one)",
                             l->name, l->type->name, k, sl_shape_str(&io->in[k], a, sizeof a),
                             sl_shape_str(&out, b, sizeof b));
        }
    io->n_out = 1;
    io->out[0] = out;
    io->out_mask[0] = every_mask(io) ? SL_MASK_NEW : SL_MASK_NONE;
    return 0;
}

/* Where each input's elements sit under the output's, walking the output in memory order: an
 * axis that input k lacks, or has with size 1, has stride 0 there (the element repeats). */
typedef struct Walk {
    int rank, n;
    int dim[SL_MAX_RANK];                  /* the output's shape */
    size_t stride[SL_MAX_IO][SL_MAX_RANK]; /* input k's step along output axis i */
    int steps[SL_MAX_IO];                  /* input k's axis 1: its mask is (batch, steps) */
    int pos[SL_MAX_RANK];                  /* the output position */
    size_t at[SL_MAX_IO];                  /* input k's element under it */
} Walk;

static void walk_start(Walk *w, const SlPass *p)
{
    const SlShape *y = &p->y[0].shape;
    w->rank = y->rank;
    w->n = p->n_in;
    for (int i = 0; i < y->rank; i++)
        w->dim[i] = y->dim[i], w->pos[i] = 0;
    for (int k = 0; k < p->n_in; k++) {
        const SlShape *x = &p->x[k].shape;
        int lead = y->rank - x->rank; /* the axes x lacks, right after the batch axis */
        size_t s = 1;
        for (int i = y->rank - 1; i >= 0; i--) {
            int a = i == 0 ? 0 : i - lead; /* x's axis under output axis i */
            if (i > 0 && a < 1) {
                w->stride[k][i] = 0;
                continue;
            }
            w->stride[k][i] = x->dim[a] == 1 ? 0 : s;
            s *= (size_t)x->dim[a];
        }
        w->steps[k] = x->dim[1];
        w->at[k] = 0;
    }
}

static void walk_next(Walk *w)
{
    for (int i = w->rank - 1; i >= 0; i--) {
        for (int k = 0; k < w->n; k++)
            w->at[k] += w->stride[k][i];
        if (++w->pos[i] < w->dim[i])
            return;
        for (int k = 0; k < w->n; k++)
            w->at[k] -= w->stride[k][i] * (size_t)w->dim[i];
        w->pos[i] = 0;
    }
}

/* Input k's mask at the output's (sample, step), 1 when it has none. */
static unsigned char mask_at(const Walk *w, const SlPass *p, int k)
{
    const unsigned char *m = p->mask_in[k];
    if (!m)
        return 1;
    int t = w->steps[k] == 1 ? 0 : w->pos[1];
    return m[(size_t)w->pos[0] * (size_t)w->steps[k] + (size_t)t];
}

/* The inputs' values under the walk's position, and which of them the masks keep. Returns 1 when
 * none keeps this entry (then every input has a mask: one without keeps everything). */
static int gather(const Walk *w, const SlPass *p, sl_real *v, unsigned char *keep)
{
    int kept = 0;
    for (int k = 0; k < p->n_in; k++) {
        v[k] = p->x[k].data[w->at[k]];
        keep[k] = mask_at(w, p, k);
        kept |= keep[k];
    }
    return !kept;
}

/* Maximum and Minimum: the input that wins among those the masks keep (the first on a tie; the
 * first input when none is kept). */
static int winner(MergeOp op, const sl_real *v, const unsigned char *keep, int n)
{
    int best = -1;
    for (int k = 0; k < n; k++) {
        if (!keep[k])
            continue;
        if (best < 0 || (op == OP_MAXIMUM ? v[k] > v[best] : v[k] < v[best]))
            best = k;
    }
    return best < 0 ? 0 : best;
}

/* Multiply: the product of the inputs other than `skip` (-1: all), a masked entry counting 1. */
static sl_real product(const sl_real *v, const unsigned char *keep, int n, int skip)
{
    sl_real r = 1;
    for (int k = 0; k < n; k++)
        if (k != skip && keep[k])
            r *= v[k];
    return r;
}

/* The output mask of an elementwise merge: the OR of the inputs' at each (sample, step). */
static void or_masks(const SlPass *p)
{
    Walk w;
    walk_start(&w, p);
    int B = p->y[0].shape.dim[0], T = p->y[0].shape.dim[1];
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            unsigned char any = 0;
            w.pos[0] = b, w.pos[1] = t;
            for (int k = 0; k < p->n_in; k++)
                any |= mask_at(&w, p, k);
            p->mask_out[0][(size_t)b * (size_t)T + (size_t)t] = any;
        }
}

static void elementwise_forward(SlLayer *l, SlPass *p)
{
    const MergeCfg *c = l->cfg;
    size_t count = sl_tensor_count(&p->y[0]);
    sl_real v[SL_MAX_IO], *y = p->y[0].data; /* y (batch, ...) */
    unsigned char keep[SL_MAX_IO];
    int n = p->n_in;
    Walk w;
    walk_start(&w, p);
    for (size_t o = 0; o < count; o++, walk_next(&w)) {
        int none_kept = gather(&w, p, v, keep);
        switch (c->op) {
        case OP_ADD:
        case OP_AVERAGE:
            y[o] = 0;
            for (int k = 0; k < n; k++)
                y[o] += v[k];
            if (c->op == OP_AVERAGE)
                y[o] /= (sl_real)n;
            break;
        case OP_SUBTRACT:
            y[o] = v[0] - v[1];
            break;
        case OP_MULTIPLY:
            y[o] = none_kept ? 0 : product(v, keep, n, -1);
            break;
        case OP_MAXIMUM:
        case OP_MINIMUM:
            y[o] = v[winner(c->op, v, keep, n)];
            break;
        }
    }
    if (p->mask_out[0])
        or_masks(p);
}

static void elementwise_backward(SlLayer *l, SlPass *p)
{
    const MergeCfg *c = l->cfg;
    size_t count = sl_tensor_count(&p->y[0]);
    const sl_real *dy = p->dy[0].data; /* dy (batch, ...), like y */
    sl_real v[SL_MAX_IO];
    unsigned char keep[SL_MAX_IO];
    int n = p->n_in;
    Walk w;
    walk_start(&w, p);
    for (size_t o = 0; o < count; o++, walk_next(&w)) {
        int none_kept = gather(&w, p, v, keep);
        switch (c->op) {
        case OP_ADD:
        case OP_AVERAGE:
            for (int k = 0; k < n; k++)
                p->dx[k].data[w.at[k]] += c->op == OP_AVERAGE ? dy[o] / (sl_real)n : dy[o];
            break;
        case OP_SUBTRACT:
            p->dx[0].data[w.at[0]] += dy[o];
            p->dx[1].data[w.at[1]] -= dy[o];
            break;
        case OP_MULTIPLY:
            for (int k = 0; k < n && !none_kept; k++)
                if (keep[k])
                    p->dx[k].data[w.at[k]] += dy[o] * product(v, keep, n, k);
            break;
        case OP_MAXIMUM:
        case OP_MINIMUM: {
            int k = winner(c->op, v, keep, n);
            p->dx[k].data[w.at[k]] += dy[o];
            break;
        }
        }
    }
}

static void elementwise_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    const MergeCfg *c = l->cfg;
    char s[96];
    size_t u = (size_t)snprintf(buf, n,
                                "%s %s, element by element, so every axis must agree (or be 1 "
                                "and repeat): ",
                                l->type->name, ops[c->op].what);
    const char *open = c->op == OP_MAXIMUM   ? "max("
                       : c->op == OP_MINIMUM ? "min("
                       : c->op == OP_AVERAGE ? "mean("
                                             : "";
    u += (size_t)snprintf(buf + u, u < n ? n - u : 0, "%s", open);
    for (int k = 0; k < io->n_in && u < n; k++)
        u += (size_t)snprintf(buf + u, n - u, "%s%s", k ? ops[c->op].sep : "",
                              sl_shape_str(&io->in[k], s, sizeof s));
    if (u < n)
        snprintf(buf + u, n - u, "%s -> %s", open[0] ? ")" : "",
                 sl_shape_str(&io->out[0], s, sizeof s));
}

static const SlArgSpec no_args[1]; /* the elementwise merges take only the common arguments */

static int make_elementwise(SlLayer *l, MergeOp op, SlError *e)
{
    MergeCfg *c = new_cfg(l, e);
    if (!c)
        return -1;
    c->op = op;
    return 0;
}

static int add_create(SlLayer *l, const SlBound *b, SlError *e)
{
    (void)b;
    return make_elementwise(l, OP_ADD, e);
}

static int subtract_create(SlLayer *l, const SlBound *b, SlError *e)
{
    (void)b;
    return make_elementwise(l, OP_SUBTRACT, e);
}

static int multiply_create(SlLayer *l, const SlBound *b, SlError *e)
{
    (void)b;
    return make_elementwise(l, OP_MULTIPLY, e);
}

static int average_create(SlLayer *l, const SlBound *b, SlError *e)
{
    (void)b;
    return make_elementwise(l, OP_AVERAGE, e);
}

static int maximum_create(SlLayer *l, const SlBound *b, SlError *e)
{
    (void)b;
    return make_elementwise(l, OP_MAXIMUM, e);
}

static int minimum_create(SlLayer *l, const SlBound *b, SlError *e)
{
    (void)b;
    return make_elementwise(l, OP_MINIMUM, e);
}

const SlLayerType sl_add_type = {
    .name = "Add",
    .snake = "add",
    .aliases = "",
    .summary = "adds tensors element by element (a residual connection: x + f(x))",
    .args = no_args,
    .n_args = 0,
    .example_args = "",
    .example_input = "(2, 3, 4), (2, 3, 4)",
    .kind = SL_KIND_MERGE | SL_KIND_ELEMENTWISE,
    .steps = SL_STEPS_EACH,
    .create = add_create,
    .infer = elementwise_infer,
    .params = sl_layer_no_params,
    .scratch = sl_layer_no_scratch,
    .forward = elementwise_forward,
    .backward = elementwise_backward,
    .reset = sl_layer_reset_nothing,
    .explain = elementwise_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

const SlLayerType sl_subtract_type = {
    .name = "Subtract",
    .snake = "subtract",
    .aliases = "",
    .summary = "the first of two tensors minus the second, element by element",
    .args = no_args,
    .n_args = 0,
    .example_args = "",
    .example_input = "(2, 3, 4), (2, 1, 4)",
    .kind = SL_KIND_MERGE | SL_KIND_ELEMENTWISE,
    .steps = SL_STEPS_EACH,
    .create = subtract_create,
    .infer = elementwise_infer,
    .params = sl_layer_no_params,
    .scratch = sl_layer_no_scratch,
    .forward = elementwise_forward,
    .backward = elementwise_backward,
    .reset = sl_layer_reset_nothing,
    .explain = elementwise_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

const SlLayerType sl_multiply_type = {
    .name = "Multiply",
    .snake = "multiply",
    .aliases = "",
    .summary = "multiplies tensors element by element (a gate: x * sigmoid(g))",
    .args = no_args,
    .n_args = 0,
    .example_args = "",
    .example_input = "(2, 3, 4), (2, 3, 4), (2, 4)",
    .kind = SL_KIND_MERGE | SL_KIND_ELEMENTWISE,
    .steps = SL_STEPS_EACH,
    .create = multiply_create,
    .infer = elementwise_infer,
    .params = sl_layer_no_params,
    .scratch = sl_layer_no_scratch,
    .forward = elementwise_forward,
    .backward = elementwise_backward,
    .reset = sl_layer_reset_nothing,
    .explain = elementwise_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

const SlLayerType sl_average_type = {
    .name = "Average",
    .snake = "average",
    .aliases = "",
    .summary = "the mean of tensors, element by element",
    .args = no_args,
    .n_args = 0,
    .example_args = "",
    .example_input = "(2, 3, 4), (2, 3, 4)",
    .kind = SL_KIND_MERGE | SL_KIND_ELEMENTWISE,
    .steps = SL_STEPS_EACH,
    .create = average_create,
    .infer = elementwise_infer,
    .params = sl_layer_no_params,
    .scratch = sl_layer_no_scratch,
    .forward = elementwise_forward,
    .backward = elementwise_backward,
    .reset = sl_layer_reset_nothing,
    .explain = elementwise_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

const SlLayerType sl_maximum_type = {
    .name = "Maximum",
    .snake = "maximum",
    .aliases = "",
    .summary = "the largest of tensors, element by element",
    .args = no_args,
    .n_args = 0,
    .example_args = "",
    .example_input = "(2, 3, 4), (2, 3, 4)",
    .kind = SL_KIND_MERGE | SL_KIND_ELEMENTWISE,
    .steps = SL_STEPS_EACH,
    .create = maximum_create,
    .infer = elementwise_infer,
    .params = sl_layer_no_params,
    .scratch = sl_layer_no_scratch,
    .forward = elementwise_forward,
    .backward = elementwise_backward,
    .reset = sl_layer_reset_nothing,
    .explain = elementwise_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

const SlLayerType sl_minimum_type = {
    .name = "Minimum",
    .snake = "minimum",
    .aliases = "",
    .summary = "the smallest of tensors, element by element",
    .args = no_args,
    .n_args = 0,
    .example_args = "",
    .example_input = "(2, 3, 4), (2, 3, 4)",
    .kind = SL_KIND_MERGE | SL_KIND_ELEMENTWISE,
    .steps = SL_STEPS_EACH,
    .create = minimum_create,
    .infer = elementwise_infer,
    .params = sl_layer_no_params,
    .scratch = sl_layer_no_scratch,
    .forward = elementwise_forward,
    .backward = elementwise_backward,
    .reset = sl_layer_reset_nothing,
    .explain = elementwise_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

/* ---- Concatenate ---- */

static const SlArgSpec concatenate_args[] = {
    {"axis", SL_ARG_INT, "-1", "the axis the inputs are joined along; every other axis must agree"},
};

static int concatenate_create(SlLayer *l, const SlBound *b, SlError *e)
{
    MergeCfg *c = new_cfg(l, e);
    if (!c)
        return -1;
    long long axis = sl_bound_int(b, "axis");
    if (axis < -SL_MAX_RANK || axis >= SL_MAX_RANK)
        return sl_errorf(e, "axis=%lld does not exist: tensors have at most %d axes", axis,
                         SL_MAX_RANK);
    c->axis = (int)axis;
    return 0;
}

/* The axis as a positive index into shapes of this rank, or -1 when there is no such axis. */
static int positive_axis(int axis, int rank)
{
    int a = axis < 0 ? axis + rank : axis;
    return a >= 0 && a < rank ? a : -1;
}

static int concatenate_mismatch(const SlLayer *l, const SlInfer *io, int j, int k, int i,
                                SlError *e)
{
    const MergeCfg *c = l->cfg;
    char a[96], b[96], fix[240];
    int dj = io->in[j].dim[i], dk = io->in[k].dim[i];
    if (i == 0)
        snprintf(fix, sizeof fix, "every input needs the same number of samples");
    else
        snprintf(fix, sizeof fix,
                 "make axis %d the same size in both (%d or %d); or, if the joined tensor "
                 "should grow along that axis, use axis=%d",
                 i, dj, dk, i);
    return sl_errorf(e,
                     "layer '%s': Concatenate(axis=%d) needs equal shapes except on axis %d: %s "
                     "and %s differ on axis %d (%d vs %d). Fix: %s",
                     l->name, c->axis, c->axis, sl_shape_str(&io->in[j], a, sizeof a),
                     sl_shape_str(&io->in[k], b, sizeof b), i, dj, dk, fix);
}

static int concatenate_infer(SlLayer *l, SlInfer *io, SlError *e)
{
    const MergeCfg *c = l->cfg;
    char a[96], b[96];
    if (check_count(l, io, 0, e) < 0)
        return -1;
    int rank = io->in[0].rank;
    for (int k = 1; k < io->n_in; k++)
        if (io->in[k].rank != rank)
            return sl_errorf(
                e,
                "layer '%s': Concatenate(axis=%d) joins tensors with the same number of axes: "
                "%s has %d, %s has %d. Fix: bring them to one rank first: Flatten, Reshape or a "
                "global pooling take axes away; RepeatVector or Reshape add one",
                l->name, c->axis, sl_shape_str(&io->in[0], a, sizeof a), rank,
                sl_shape_str(&io->in[k], b, sizeof b), io->in[k].rank);
    int ax = positive_axis(c->axis, rank);
    if (ax <= 0)
        return sl_errorf(e,
                         "layer '%s': Concatenate(axis=%d) on %s: %s. Fix: axis=-1 joins the "
                         "last axis (the features)",
                         l->name, c->axis, sl_shape_str(&io->in[0], a, sizeof a),
                         ax == 0 ? "that is the batch axis, and a merge joins the axes of each "
                                   "sample, not samples"
                                 : "the tensors have no such axis");
    /* every axis but ax: the first known size, and every other known size equal to it */
    for (int i = 0; i < rank; i++) {
        int first = -1;
        for (int k = 0; k < io->n_in && i != ax; k++) {
            if (io->in[k].dim[i] == SL_NONE)
                continue;
            if (first < 0)
                first = k;
            else if (io->in[k].dim[i] != io->in[first].dim[i])
                return concatenate_mismatch(l, io, first, k, i, e);
        }
    }
    SlShape out = io->in[0];
    long long sum = 0;
    for (int k = 0; k < io->n_in && sum != SL_NONE; k++)
        sum = io->in[k].dim[ax] == SL_NONE ? SL_NONE : sum + io->in[k].dim[ax];
    if (sum > INT_MAX)
        return sl_errorf(e, "layer '%s': Concatenate joins more than %d along axis %d", l->name,
                         INT_MAX, ax);
    out.dim[ax] = (int)sum;
    io->n_out = 1;
    io->out[0] = out;
    io->out_mask[0] = any_mask(io) ? SL_MASK_NEW : SL_MASK_NONE;
    return 0;
}

/* The inputs as blocks (outer, n_k): outer is the product of the axes before the joined one, n_k
 * is the rest of input k; the output's rows are the inputs' rows side by side. */
static size_t outer_count(const SlShape *s, int ax)
{
    size_t outer = 1;
    for (int i = 0; i < ax; i++)
        outer *= (size_t)s->dim[i];
    return outer;
}

/* The output mask: the inputs' masks joined along the steps, or their OR (no mask: all true). */
static void concatenate_masks(const SlPass *p, int ax)
{
    int B = p->y[0].shape.dim[0], T = p->y[0].shape.dim[1];
    unsigned char *out = p->mask_out[0]; /* (B, T) */
    for (int b = 0; b < B; b++) {
        int t0 = 0;
        for (int t = 0; t < T && ax != 1; t++)
            out[(size_t)b * T + t] = 0;
        for (int k = 0; k < p->n_in; k++) {
            int Tk = p->x[k].shape.dim[1];
            const unsigned char *m = p->mask_in[k]; /* (B, Tk) or NULL */
            for (int t = 0; t < Tk; t++) {
                unsigned char v = m ? m[(size_t)b * Tk + t] : 1;
                if (ax == 1)
                    out[(size_t)b * T + t0 + t] = v;
                else
                    out[(size_t)b * T + t] |= v;
            }
            t0 += ax == 1 ? Tk : 0;
        }
    }
}

static void concatenate_forward(SlLayer *l, SlPass *p)
{
    const MergeCfg *c = l->cfg;
    int ax = positive_axis(c->axis, p->y[0].shape.rank);
    size_t outer = outer_count(&p->y[0].shape, ax);
    size_t row = sl_tensor_count(&p->y[0]) / outer;
    for (size_t o = 0; o < outer; o++) {
        sl_real *y = p->y[0].data + o * row; /* one output row (row) */
        for (int k = 0; k < p->n_in; k++) {
            size_t nk = sl_tensor_count(&p->x[k]) / outer; /* x_k (outer, nk) */
            memcpy(y, p->x[k].data + o * nk, nk * sizeof *y);
            y += nk;
        }
    }
    if (p->mask_out[0])
        concatenate_masks(p, ax);
}

static void concatenate_backward(SlLayer *l, SlPass *p)
{
    const MergeCfg *c = l->cfg;
    int ax = positive_axis(c->axis, p->y[0].shape.rank);
    size_t outer = outer_count(&p->y[0].shape, ax);
    size_t row = sl_tensor_count(&p->y[0]) / outer;
    for (size_t o = 0; o < outer; o++) {
        const sl_real *dy = p->dy[0].data + o * row;
        for (int k = 0; k < p->n_in; k++) {
            size_t nk = sl_tensor_count(&p->x[k]) / outer;
            sl_real *dx = p->dx[k].data + o * nk;
            for (size_t i = 0; i < nk; i++)
                dx[i] += dy[i];
            dy += nk;
        }
    }
}

static void concatenate_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    const MergeCfg *c = l->cfg;
    int ax = positive_axis(c->axis, io->out[0].rank);
    char s[96];
    size_t u = (size_t)snprintf(buf, n, "Concatenate joins ");
    for (int k = 0; k < io->n_in && u < n; k++)
        u += (size_t)snprintf(buf + u, n - u, "%s%s",
                              k == 0             ? ""
                              : k + 1 < io->n_in ? ", "
                                                 : " and ",
                              sl_shape_str(&io->in[k], s, sizeof s));
    if (u < n)
        u += (size_t)snprintf(buf + u, n - u, " along axis %d (", c->axis);
    for (int k = 0; k < io->n_in && u < n; k++) {
        int d = io->in[k].dim[ax];
        u += (size_t)snprintf(buf + u, n - u, "%s", k ? " + " : "");
        u += (size_t)(d == SL_NONE ? snprintf(buf + u, n - u, "None")
                                   : snprintf(buf + u, n - u, "%d", d));
    }
    if (u < n)
        snprintf(buf + u, n - u, "); every other axis must agree: -> %s",
                 sl_shape_str(&io->out[0], s, sizeof s));
}

const SlLayerType sl_concatenate_type = {
    .name = "Concatenate",
    .snake = "concatenate",
    .aliases = "",
    .summary = "joins tensors side by side along one axis; the other axes must agree",
    .args = concatenate_args,
    .n_args = sizeof concatenate_args / sizeof concatenate_args[0],
    .example_args = "axis=1",
    .example_input = "(2, 3, 4), (2, 2, 4)",
    .kind = SL_KIND_MERGE | SL_KIND_JOIN,
    .steps = SL_STEPS_ALL, /* axis=1 puts one input's steps after the other's */
    .create = concatenate_create,
    .infer = concatenate_infer,
    .params = sl_layer_no_params,
    .scratch = sl_layer_no_scratch,
    .forward = concatenate_forward,
    .backward = concatenate_backward,
    .reset = sl_layer_reset_nothing,
    .explain = concatenate_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

/* ---- Dot ---- */

static const SlArgSpec dot_args[] = {
    {"axes", SL_ARG_INTS, NULL,
     "the axis multiplied and summed over: one int for both inputs, or a pair (axis of the "
     "first, axis of the second); never 0, the batch"},
    {"normalize", SL_ARG_BOOL, "False",
     "scale each vector along the axes to length 1 first: the output is their cosine similarity"},
};

static const double DOT_EPSILON = 1e-7; /* Keras's backend.epsilon(): |x| is at least this */

static int dot_create(SlLayer *l, const SlBound *b, SlError *e)
{
    MergeCfg *c = new_cfg(l, e);
    if (!c)
        return -1;
    const SlValue *v = sl_bound(b, "axes");
    int n = sl_bound_ints(b, "axes", c->axes, 2), count = n < 0 ? v->n : n;
    if (!(v->kind == SL_V_INT || n == 2))
        return sl_errorf(e,
                         "axes must be one int or a pair of ints, like axes=-1 or axes=(1, 2); "
                         "got %d number%s",
                         count, count == 1 ? "" : "s");
    for (int k = 0; k < n; k++)
        if (c->axes[k] < -SL_MAX_RANK || c->axes[k] >= SL_MAX_RANK)
            return sl_errorf(e, "axes holds %d, an axis no tensor has (at most %d axes)",
                             c->axes[k], SL_MAX_RANK);
    c->n_axes = n;
    c->normalize = sl_bound_bool(b, "normalize");
    return 0;
}

/* The paired axes as positive indices (as Keras: one negative int counts from the end of each
 * input); -1 where the input has no such axis. */
static void dot_axes(const MergeCfg *c, const SlShape *x, const SlShape *z, int *ax, int *az)
{
    int a0 = c->axes[0], a1 = c->n_axes == 2 ? c->axes[1] : c->axes[0];
    *ax = positive_axis(a0, x->rank);
    *az = positive_axis(a1, z->rank);
}

/* A pair of axes of x and z (after the batch) with the same known size, for the fix; 0 if none. */
static int dot_suggest(const SlShape *x, const SlShape *z, int *i, int *j)
{
    for (*i = 1; *i < x->rank; (*i)++)
        for (*j = 1; *j < z->rank; (*j)++)
            if (x->dim[*i] != SL_NONE && x->dim[*i] == z->dim[*j])
                return 1;
    return 0;
}

static void dot_axes_text(const MergeCfg *c, char *buf, size_t n)
{
    if (c->n_axes == 2)
        snprintf(buf, n, "(%d, %d)", c->axes[0], c->axes[1]);
    else
        snprintf(buf, n, "%d", c->axes[0]);
}

static int dot_infer(SlLayer *l, SlInfer *io, SlError *e)
{
    const MergeCfg *c = l->cfg;
    if (check_count(l, io, 2, e) < 0 || check_batch(l, io, e) < 0)
        return -1;
    const SlShape *x = &io->in[0], *z = &io->in[1];
    char a[96], b[96], axes[32];
    dot_axes_text(c, axes, sizeof axes);
    int ax, az;
    dot_axes(c, x, z, &ax, &az);
    if (ax <= 0 || az <= 0)
        return sl_errorf(e,
                         "layer '%s': Dot(axes=%s) on %s and %s: %s. Fix: choose an axis after "
                         "the batch in each, like axes=-1 (the last of both)",
                         l->name, axes, sl_shape_str(x, a, sizeof a), sl_shape_str(z, b, sizeof b),
                         ax == 0 || az == 0 ? "axis 0 is the batch axis, and Dot multiplies within "
                                              "each sample"
                                            : "an input has no such axis");
    if (x->dim[ax] != z->dim[az]) { /* as Keras: None against a size is a mismatch too */
        char fix[160] = "make the two branches give the same size there";
        int i, j;
        if (dot_suggest(x, z, &i, &j))
            snprintf(fix, sizeof fix,
                     "choose axes whose sizes agree, e.g. axes=(%d, %d) (both %d), or make the "
                     "branches give the same size",
                     i, j, x->dim[i]);
        char dx[16], dz[16];
        snprintf(dx, sizeof dx, x->dim[ax] == SL_NONE ? "None" : "%d", x->dim[ax]);
        snprintf(dz, sizeof dz, z->dim[az] == SL_NONE ? "None" : "%d", z->dim[az]);
        return sl_errorf(e,
                         "layer '%s': Dot(axes=%s) multiplies axis %d of %s with axis %d of %s "
                         "and sums over them, so they must be the same size: %s vs %s. Fix: %s",
                         l->name, axes, ax, sl_shape_str(x, a, sizeof a), az,
                         sl_shape_str(z, b, sizeof b), dx, dz, fix);
    }
    int rank = x->rank + z->rank - 3;
    if (rank > SL_MAX_RANK)
        return sl_errorf(e,
                         "layer '%s': Dot of %s and %s would have %d axes; shapelab's tensors "
                         "have at most %d. Fix: Reshape the inputs to fewer axes first",
                         l->name, sl_shape_str(x, a, sizeof a), sl_shape_str(z, b, sizeof b), rank,
                         SL_MAX_RANK);
    SlShape out = {0, {0}};
    out.dim[out.rank++] = batch_of(io);
    for (int i = 1; i < x->rank; i++)
        if (i != ax)
            out.dim[out.rank++] = x->dim[i];
    for (int i = 1; i < z->rank; i++)
        if (i != az)
            out.dim[out.rank++] = z->dim[i];
    if (out.rank == 1)
        out.dim[out.rank++] = 1;
    io->n_out = 1;
    io->out[0] = out;
    io->out_mask[0] = SL_MASK_NONE; /* Keras's Dot computes no mask */
    return 0;
}

/* x viewed as (B, P, S, Q) and z as (B, P2, S, Q2): P and Q the axes before and after the paired
 * one; the output is (B, P, Q, P2, Q2). */
typedef struct DotGeom {
    size_t B, P, S, Q, P2, Q2;
} DotGeom;

static DotGeom dot_geom(const MergeCfg *c, const SlShape *x, const SlShape *z)
{
    int ax, az;
    dot_axes(c, x, z, &ax, &az);
    DotGeom g = {(size_t)x->dim[0], 1, (size_t)x->dim[ax], 1, 1, 1};
    for (int i = 1; i < x->rank; i++) {
        if (i < ax)
            g.P *= (size_t)x->dim[i];
        else if (i > ax)
            g.Q *= (size_t)x->dim[i];
    }
    for (int i = 1; i < z->rank; i++) {
        if (i < az)
            g.P2 *= (size_t)z->dim[i];
        else if (i > az)
            g.Q2 *= (size_t)z->dim[i];
    }
    return g;
}

/* y[b,p,q,p2,q2] = sum_s x[b,p,s,q] * z[b,p2,s,q2]; y is overwritten. */
static void dot_forward_k(sl_real *y, const sl_real *x, const sl_real *z, DotGeom g)
{
    size_t PQ2 = g.P2 * g.Q2;
    memset(y, 0, g.B * g.P * g.Q * PQ2 * sizeof *y);
    for (size_t b = 0; b < g.B; b++)
        for (size_t p = 0; p < g.P; p++)
            for (size_t q = 0; q < g.Q; q++) {
                sl_real *yr = y + ((b * g.P + p) * g.Q + q) * PQ2; /* (P2, Q2) */
                for (size_t s = 0; s < g.S; s++) {
                    sl_real xv = x[((b * g.P + p) * g.S + s) * g.Q + q];
                    for (size_t p2 = 0; p2 < g.P2; p2++) {
                        const sl_real *zr = z + ((b * g.P2 + p2) * g.S + s) * g.Q2; /* (Q2) */
                        for (size_t q2 = 0; q2 < g.Q2; q2++)
                            yr[p2 * g.Q2 + q2] += xv * zr[q2];
                    }
                }
            }
}

/* dx[b,p,s,q] += sum_{p2,q2} dy[b,p,q,p2,q2] z[b,p2,s,q2];
 * dz[b,p2,s,q2] += sum_{p,q} dy[b,p,q,p2,q2] x[b,p,s,q]. */
static void dot_backward_k(sl_real *dx, sl_real *dz, const sl_real *dy, const sl_real *x,
                           const sl_real *z, DotGeom g)
{
    size_t PQ2 = g.P2 * g.Q2;
    for (size_t b = 0; b < g.B; b++)
        for (size_t p = 0; p < g.P; p++)
            for (size_t q = 0; q < g.Q; q++) {
                const sl_real *dyr = dy + ((b * g.P + p) * g.Q + q) * PQ2; /* (P2, Q2) */
                for (size_t s = 0; s < g.S; s++) {
                    size_t ix = ((b * g.P + p) * g.S + s) * g.Q + q;
                    sl_real xv = x[ix], acc = 0;
                    for (size_t p2 = 0; p2 < g.P2; p2++) {
                        size_t iz = ((b * g.P2 + p2) * g.S + s) * g.Q2; /* (Q2) */
                        for (size_t q2 = 0; q2 < g.Q2; q2++) {
                            acc += dyr[p2 * g.Q2 + q2] * z[iz + q2];
                            dz[iz + q2] += dyr[p2 * g.Q2 + q2] * xv;
                        }
                    }
                    dx[ix] += acc;
                }
            }
}

/* u = x / max(|x|, eps) along S for each (row, q) of x viewed (rows, S, Q), as Keras's
 * normalize: x * rsqrt(max(sum x^2, eps^2)); r keeps 1 / max(|x|, eps) per (row, q). */
static void l2_normalize(sl_real *u, sl_real *r, const sl_real *x, size_t rows, size_t S, size_t Q)
{
    for (size_t i = 0; i < rows; i++)
        for (size_t q = 0; q < Q; q++) {
            double ss = 0;
            for (size_t s = 0; s < S; s++)
                ss += (double)x[(i * S + s) * Q + q] * (double)x[(i * S + s) * Q + q];
            double inv = 1 / sqrt(fmax(ss, DOT_EPSILON * DOT_EPSILON));
            r[i * Q + q] = (sl_real)inv;
            for (size_t s = 0; s < S; s++)
                u[(i * S + s) * Q + q] = x[(i * S + s) * Q + q] * (sl_real)inv;
        }
}

/* dx += r (du - u (u . du)) where |x| > eps; below it the scale is the constant 1/eps and
 * dx += r du. */
static void l2_normalize_backward(sl_real *dx, const sl_real *du, const sl_real *u,
                                  const sl_real *r, const sl_real *x, size_t rows, size_t S,
                                  size_t Q)
{
    for (size_t i = 0; i < rows; i++)
        for (size_t q = 0; q < Q; q++) {
            double ss = 0, ud = 0;
            for (size_t s = 0; s < S; s++) {
                size_t at = (i * S + s) * Q + q;
                ss += (double)x[at] * (double)x[at];
                ud += (double)u[at] * (double)du[at];
            }
            if (ss <= DOT_EPSILON * DOT_EPSILON)
                ud = 0;
            for (size_t s = 0; s < S; s++) {
                size_t at = (i * S + s) * Q + q;
                dx[at] += r[i * Q + q] * (du[at] - u[at] * (sl_real)ud);
            }
        }
}

/* With normalize: the unit vectors, the inverse lengths, and the gradients of the unit vectors. */
static void dot_scratch(const SlLayer *l, const SlInfer *io, SlScratchDecl *d)
{
    const MergeCfg *c = l->cfg;
    d->n = 0;
    if (!c->normalize)
        return;
    DotGeom g = dot_geom(c, &io->in[0], &io->in[1]);
    size_t nx = sl_shape_count(&io->in[0]), nz = sl_shape_count(&io->in[1]);
    d->name[0] = "x scaled to unit length (like x)";
    d->count[0] = nx;
    d->name[1] = "z scaled to unit length (like z)";
    d->count[1] = nz;
    d->name[2] = "1 / |x| (B, P, Q)";
    d->count[2] = g.B * g.P * g.Q;
    d->name[3] = "1 / |z| (B, P2, Q2)";
    d->count[3] = g.B * g.P2 * g.Q2;
    d->name[4] = "gradient of the unit x";
    d->count[4] = nx;
    d->name[5] = "gradient of the unit z";
    d->count[5] = nz;
    d->n = 6;
}

static void dot_forward(SlLayer *l, SlPass *p)
{
    const MergeCfg *c = l->cfg;
    DotGeom g = dot_geom(c, &p->x[0].shape, &p->x[1].shape);
    const sl_real *x = p->x[0].data, *z = p->x[1].data;
    if (c->normalize) {
        l2_normalize(p->scratch[0], p->scratch[2], x, g.B * g.P, g.S, g.Q);
        l2_normalize(p->scratch[1], p->scratch[3], z, g.B * g.P2, g.S, g.Q2);
        x = p->scratch[0], z = p->scratch[1];
    }
    dot_forward_k(p->y[0].data, x, z, g);
}

static void dot_backward(SlLayer *l, SlPass *p)
{
    const MergeCfg *c = l->cfg;
    DotGeom g = dot_geom(c, &p->x[0].shape, &p->x[1].shape);
    if (!c->normalize) {
        dot_backward_k(p->dx[0].data, p->dx[1].data, p->dy[0].data, p->x[0].data, p->x[1].data, g);
        return;
    }
    size_t nx = sl_tensor_count(&p->x[0]), nz = sl_tensor_count(&p->x[1]);
    sl_real *du = p->scratch[4], *dv = p->scratch[5];
    memset(du, 0, nx * sizeof *du);
    memset(dv, 0, nz * sizeof *dv);
    dot_backward_k(du, dv, p->dy[0].data, p->scratch[0], p->scratch[1], g);
    l2_normalize_backward(p->dx[0].data, du, p->scratch[0], p->scratch[2], p->x[0].data, g.B * g.P,
                          g.S, g.Q);
    l2_normalize_backward(p->dx[1].data, dv, p->scratch[1], p->scratch[3], p->x[1].data, g.B * g.P2,
                          g.S, g.Q2);
}

static void dot_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    const MergeCfg *c = l->cfg;
    int ax, az;
    dot_axes(c, &io->in[0], &io->in[1], &ax, &az);
    char a[96], b[96], o[96], s[16];
    int d = io->in[0].dim[ax];
    snprintf(s, sizeof s, d == SL_NONE ? "None" : "%d", d);
    snprintf(buf, n,
             "Dot multiplies axis %d of %s with axis %d of %s%s and sums over those %s pairs; the "
             "other axes stay: -> %s",
             ax, sl_shape_str(&io->in[0], a, sizeof a), az, sl_shape_str(&io->in[1], b, sizeof b),
             c->normalize ? ", each scaled to length 1 (cosine similarity)," : "", s,
             sl_shape_str(&io->out[0], o, sizeof o));
}

const SlLayerType sl_dot_type = {
    .name = "Dot",
    .snake = "dot",
    .aliases = "",
    .summary = "products of two tensors summed over one axis of each (a batch of matrix products)",
    .args = dot_args,
    .n_args = sizeof dot_args / sizeof dot_args[0],
    .example_args = "axes=(1, 2)",
    .example_input = "(2, 3, 4), (2, 5, 3)",
    .kind = SL_KIND_MERGE,
    .steps = SL_STEPS_ALL, /* the paired axis may be the steps */
    .create = dot_create,
    .infer = dot_infer,
    .params = sl_layer_no_params,
    .scratch = dot_scratch,
    .forward = dot_forward,
    .backward = dot_backward,
    .reset = sl_layer_reset_nothing,
    .explain = dot_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};
