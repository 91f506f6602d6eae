/* reshape.c: the layers that only move values around: Flatten, Reshape, Permute, RepeatVector.
 *
 * None of them has weights. Each keeps the batch axis and changes the rest:
 *
 *   Flatten          (batch, d1, ..., dk) -> (batch, d1*...*dk)        same memory order
 *       with data_format='channels_first', d1 is the channels: Flatten moves them last first, as
 *       Keras does, so the vector is in channels_last order and a Dense after it has the same
 *       kernel in both formats
 *   Reshape(t)       (batch, d1, ..., dk) -> (batch, t1, ..., tm)      same memory order; one t may be -1
 *   Permute(p)       (batch, d1, ..., dk) -> (batch, d_p1, ..., d_pk)  axes swapped (1-based, as Keras)
 *   RepeatVector(n)  (batch, f)           -> (batch, n, f)              each vector copied n times
 *
 * Flatten and Reshape copy memory as it is, so they keep the order of the values and change only
 * how they are grouped; Permute moves values so that an axis keeps its meaning. That difference is
 * QUESTIONS.md item 11.
 * Backward is the same movement in reverse: dx gathers dy from where forward put each value
 * (RepeatVector sums the n copies). A mask is dropped at all four (Keras 3's Permute does not
 * support masking either); the model's trace says so.
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "layer.h"
#include "layout.h"

static void copy_forward(SlLayer *l, SlPass *p)
{
    (void)l;
    memcpy(p->y[0].data, p->x[0].data, sl_tensor_count(&p->x[0]) * sizeof *p->x[0].data);
}

static void copy_backward(SlLayer *l, SlPass *p)
{
    (void)l;
    size_t n = sl_tensor_count(&p->x[0]);
    for (size_t i = 0; i < n; i++)
        p->dx[0].data[i] += p->dy[0].data[i];
}

/* ---- Flatten ---- */

static const SlArgSpec flatten_args[] = {
    SL_ARG_DATA_FORMAT,
};

typedef struct FlattenCfg {
    int channels_first; /* axis 1 holds the channels: moved last before flattening */
} FlattenCfg;

static int flatten_create(SlLayer *l, const SlBound *b, SlError *e)
{
    FlattenCfg *c = sl_alloc_zero(1, sizeof *c);
    if (!c)
        return sl_errorf(e, "out of memory");
    l->cfg = c;
    return sl_data_format_read(b, &c->channels_first, e);
}

/* y (batch, n) = x (batch, d1, ..., dk) in memory order, or channels_first x (batch, c, s...) as
 * (batch, s..., c); backward gathers dy back to where each value came from. */
static void flatten_forward(SlLayer *l, SlPass *p)
{
    const FlattenCfg *c = l->cfg;
    if (c->channels_first)
        sl_move_channels_last(p->y[0].data, p->x[0].data, &p->x[0].shape);
    else
        copy_forward(l, p);
}

static void flatten_backward(SlLayer *l, SlPass *p)
{
    const FlattenCfg *c = l->cfg;
    if (c->channels_first)
        sl_add_channels_first(p->dx[0].data, p->dy[0].data, &p->x[0].shape);
    else
        copy_backward(l, p);
}

static int flatten_infer(SlLayer *l, SlInfer *io, SlError *e)
{
    if (sl_layer_expect_inputs(l, io, 1, e) < 0)
        return -1;
    size_t n = sl_shape_sample_count(&io->in[0]);
    int dims[2] = {io->in[0].dim[0], n ? (int)n : SL_NONE};
    io->out[0] = sl_shape_of(2, dims);
    io->n_out = 1;
    io->out_mask[0] = SL_MASK_NONE;
    return 0;
}

/* Reshape and Permute, side by side: one keeps the memory order, the other moves the axes. */
static int permute_scenes(const SlLayer *l, SlSceneClaim *out)
{
    (void)l;
    out[0] = (SlSceneClaim){"reshape-permute", SL_SCENE_OWN,
                            "where each cell goes: Reshape keeps the memory order, Permute moves "
                            "the axes",
                            0};
    return 1;
}

/* ... and a Reshape between two TimeDistributed layers is item 8's design (a). */
static int reshape_scenes(const SlLayer *l, SlSceneClaim *out)
{
    permute_scenes(l, out);
    out[1] = (SlSceneClaim){"seq2seq", SL_SCENE_SHOWN, "the steps regrouped to the output's length",
                            SL_SEQ2SEQ_REGROUP};
    return 2;
}

/* Item 8's design (b): the encoder's last h, once per output step. */
static int repeat_scenes(const SlLayer *l, SlSceneClaim *out)
{
    (void)l;
    out[0] =
        (SlSceneClaim){"seq2seq", SL_SCENE_SHOWN,
                       "the encoder's summary repeated once per output step", SL_SEQ2SEQ_REPEAT};
    return 1;
}

static void flatten_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    const FlattenCfg *c = l->cfg;
    char a[96], b[96];
    snprintf(buf, n, "Flatten lays out each sample's values in one vector, %s: %s -> %s",
             c->channels_first && io->in[0].rank > 2
                 ? "the channels moved last first (channels_first), so the order is channels_last's"
                 : "in memory order",
             sl_shape_str(&io->in[0], a, sizeof a), sl_shape_str(&io->out[0], b, sizeof b));
}

const SlLayerType sl_flatten_type = {
    .name = "Flatten",
    .snake = "flatten",
    .aliases = "",
    .summary = "all axes after the batch become one",
    .args = flatten_args,
    .n_args = 1,
    .example_args = "",
    .example_input = "(2, 4, 5)",
    .kind = 0,
    .steps = SL_STEPS_ALL,
    .create = flatten_create,
    .infer = flatten_infer,
    .params = sl_layer_no_params,
    .scratch = sl_layer_no_scratch,
    .forward = flatten_forward,
    .backward = flatten_backward,
    .reset = sl_layer_reset_nothing,
    .explain = flatten_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

/* ---- Reshape ---- */

typedef struct ReshapeCfg {
    SlShape target; /* without the batch axis; may hold one -1 */
} ReshapeCfg;

static const SlArgSpec reshape_args[] = {
    {"target_shape", SL_ARG_SHAPE, NULL,
     "the new shape of one sample, batch axis left out; one entry may be -1"},
};

static int reshape_create(SlLayer *l, const SlBound *b, SlError *e)
{
    ReshapeCfg *c = sl_alloc_zero(1, sizeof *c);
    if (!c)
        return sl_errorf(e, "out of memory");
    l->cfg = c;
    int dims[SL_MAX_RANK], n = sl_bound_ints(b, "target_shape", dims, SL_MAX_RANK - 1);
    if (n < 1)
        return sl_errorf(e,
                         "target_shape needs 1 to %d axes (the batch axis is left out), like "
                         "(4, 125)",
                         SL_MAX_RANK - 1);
    int minus = 0;
    for (int i = 0; i < n; i++) {
        if (dims[i] == SL_NONE)
            return sl_errorf(e, "target_shape uses -1, not None, for the one size Reshape should "
                                "work out, like (3, -1)");
        if (dims[i] == -1)
            minus++;
        else if (dims[i] <= 0)
            return sl_errorf(e,
                             "target_shape entries must be positive, or one -1 to be worked "
                             "out; got %d",
                             dims[i]);
    }
    if (minus > 1)
        return sl_errorf(e, "target_shape may hold only one -1 (the one size worked out from the "
                            "others)");
    c->target = sl_shape_of(n, dims);
    size_t known = 1;
    for (int i = 0; i < n; i++)
        if (dims[i] > 0 && known > (size_t)SL_MAX_ELEMENTS / (size_t)dims[i])
            return sl_errorf(e,
                             "target_shape asks for more than %d values per sample, shapelab's "
                             "limit for one tensor",
                             SL_MAX_ELEMENTS);
        else if (dims[i] > 0)
            known *= (size_t)dims[i];
    return 0;
}

static int reshape_infer(SlLayer *l, SlInfer *io, SlError *e)
{
    const ReshapeCfg *c = l->cfg;
    if (sl_layer_expect_inputs(l, io, 1, e) < 0)
        return -1;
    const SlShape *in = &io->in[0];
    size_t have = sl_shape_sample_count(in), known = 1;
    int minus_at = -1;
    SlShape out;
    out.rank = c->target.rank + 1;
    out.dim[0] = in->dim[0];
    for (int i = 0; i < c->target.rank; i++) {
        out.dim[i + 1] = c->target.dim[i];
        if (c->target.dim[i] == -1)
            minus_at = i + 1;
        else
            known *= (size_t)c->target.dim[i];
    }
    if (have && minus_at >= 0 && have % known == 0)
        out.dim[minus_at] = (int)(have / known);
    else if (!have && minus_at >= 0)
        out.dim[minus_at] = SL_NONE; /* worked out when data arrives */
    if (have && (minus_at >= 0 ? have % known != 0 : have != known)) {
        char a[96], t[96], fix[200];
        sl_shape_str(in, a, sizeof a);
        sl_shape_str(&c->target, t, sizeof t);
        snprintf(fix, sizeof fix,
                 "the target's sizes must multiply to %zu, the values in one sample of %s%s", have,
                 a, minus_at >= 0 ? "" : "; or put -1 where one size should be worked out");
        char exp[160];
        if (minus_at >= 0)
            snprintf(exp, sizeof exp, "a multiple of %zu values per sample to fill target_shape=%s",
                     known, t);
        else
            snprintf(exp, sizeof exp, "%zu values per sample to fill target_shape=%s", known, t);
        return sl_layer_shape_error(e, l, exp, in, fix);
    }
    io->out[0] = out;
    io->n_out = 1;
    io->out_mask[0] = SL_MASK_NONE;
    return 0;
}

static void reshape_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    (void)l;
    char a[96], b[96];
    snprintf(buf, n,
             "Reshape keeps the memory order and regroups the same values: %s -> %s (axes do not "
             "swap; that is Permute)",
             sl_shape_str(&io->in[0], a, sizeof a), sl_shape_str(&io->out[0], b, sizeof b));
}

const SlLayerType sl_reshape_type = {
    .name = "Reshape",
    .snake = "reshape",
    .aliases = "",
    .summary = "regroups the values of each sample into a new shape, keeping their order",
    .args = reshape_args,
    .n_args = 1,
    .example_args = "(5, 4)",
    .example_input = "(2, 4, 5)",
    .kind = 0,
    .steps = SL_STEPS_ALL,
    .create = reshape_create,
    .infer = reshape_infer,
    .params = sl_layer_no_params,
    .scratch = sl_layer_no_scratch,
    .forward = copy_forward,
    .backward = copy_backward,
    .reset = sl_layer_reset_nothing,
    .explain = reshape_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = reshape_scenes,
    .destroy = sl_layer_destroy_cfg,
};

/* ---- Permute ---- */

typedef struct PermuteCfg {
    int n;
    int dims[SL_MAX_RANK]; /* 1-based, batch axis excluded, as written */
} PermuteCfg;

static const SlArgSpec permute_args[] = {
    {"dims", SL_ARG_SHAPE, NULL, "new order of the axes after the batch, 1-based: (2, 1) swaps"},
};

static int permute_create(SlLayer *l, const SlBound *b, SlError *e)
{
    PermuteCfg *c = sl_alloc_zero(1, sizeof *c);
    if (!c)
        return sl_errorf(e, "out of memory");
    l->cfg = c;
    c->n = sl_bound_ints(b, "dims", c->dims, SL_MAX_RANK - 1);
    if (c->n < 1)
        return sl_errorf(e, "dims needs 1 to %d entries", SL_MAX_RANK - 1);
    int seen[SL_MAX_RANK + 1] = {0};
    for (int i = 0; i < c->n; i++) {
        int d = c->dims[i];
        if (d < 1 || d > c->n || seen[d]++)
            return sl_errorf(e,
                             "dims must list each of 1..%d once (the batch axis is not "
                             "counted), like (2, 1)",
                             c->n);
    }
    return 0;
}

static int permute_infer(SlLayer *l, SlInfer *io, SlError *e)
{
    const PermuteCfg *c = l->cfg;
    if (sl_layer_expect_inputs(l, io, 1, e) < 0)
        return -1;
    const SlShape *in = &io->in[0];
    if (in->rank != c->n + 1) {
        char exp[96];
        snprintf(exp, sizeof exp, "%d axes after the batch axis (dims has %d entries)", c->n, c->n);
        return sl_layer_shape_error(e, l, exp, in,
                                    "list every axis after the batch in dims, 1-based");
    }
    SlShape out = *in;
    for (int i = 0; i < c->n; i++)
        out.dim[i + 1] = in->dim[c->dims[i]];
    io->out[0] = out;
    io->n_out = 1;
    io->out_mask[0] = SL_MASK_NONE;
    return 0;
}

/* Walk the output in row-major order; `src` is the input offset of the same value. Output axis a
 * (a >= 1) is input axis dims[a-1]; the batch axis stays first. */
static void permute_walk(const PermuteCfg *c, const SlShape *in, sl_real *out_or_dout,
                         sl_real *in_or_din, int backward)
{
    size_t in_stride[SL_MAX_RANK], step[SL_MAX_RANK];
    int rank = in->rank, odim[SL_MAX_RANK], idx[SL_MAX_RANK] = {0};
    in_stride[rank - 1] = 1;
    for (int d = rank - 2; d >= 0; d--)
        in_stride[d] = in_stride[d + 1] * (size_t)in->dim[d + 1];
    odim[0] = in->dim[0];
    step[0] = in_stride[0];
    for (int a = 1; a < rank; a++) {
        odim[a] = in->dim[c->dims[a - 1]];
        step[a] = in_stride[c->dims[a - 1]];
    }
    size_t n = sl_shape_count(in), src = 0;
    for (size_t o = 0; o < n; o++) {
        if (backward)
            in_or_din[src] += out_or_dout[o];
        else
            out_or_dout[o] = in_or_din[src];
        for (int a = rank - 1; a >= 0; a--) { /* next output index, like an odometer */
            src += step[a];
            if (++idx[a] < odim[a])
                break;
            src -= step[a] * (size_t)odim[a];
            idx[a] = 0;
        }
    }
}

static void permute_forward(SlLayer *l, SlPass *p)
{
    permute_walk(l->cfg, &p->x[0].shape, p->y[0].data, p->x[0].data, 0);
}

static void permute_backward(SlLayer *l, SlPass *p)
{
    permute_walk(l->cfg, &p->x[0].shape, p->dy[0].data, p->dx[0].data, 1);
}

static void permute_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    const PermuteCfg *c = l->cfg;
    char a[96], b[96], d[64] = "";
    size_t used = 0;
    for (int i = 0; i < c->n; i++)
        used += (size_t)snprintf(d + used, sizeof d - used, "%s%d", i ? ", " : "", c->dims[i]);
    snprintf(buf, n,
             "Permute((%s%s)) swaps axes, moving the values so each axis keeps its "
             "meaning: %s -> %s",
             d, c->n == 1 ? "," : "", sl_shape_str(&io->in[0], a, sizeof a),
             sl_shape_str(&io->out[0], b, sizeof b));
}

const SlLayerType sl_permute_type = {
    .name = "Permute",
    .snake = "permute",
    .aliases = "",
    .summary = "swaps the axes after the batch axis (1-based dims)",
    .args = permute_args,
    .n_args = 1,
    .example_args = "(2, 1)",
    .example_input = "(2, 4, 5)",
    .kind = 0,
    .steps = SL_STEPS_ALL,
    .create = permute_create,
    .infer = permute_infer,
    .params = sl_layer_no_params,
    .scratch = sl_layer_no_scratch,
    .forward = permute_forward,
    .backward = permute_backward,
    .reset = sl_layer_reset_nothing,
    .explain = permute_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = permute_scenes,
    .destroy = sl_layer_destroy_cfg,
};

/* ---- RepeatVector ---- */

typedef struct RepeatCfg {
    int n;
} RepeatCfg;

static const SlArgSpec repeat_args[] = {
    {"n", SL_ARG_INT, NULL, "how many times to repeat each sample's vector"},
};

static int repeat_create(SlLayer *l, const SlBound *b, SlError *e)
{
    RepeatCfg *c = sl_alloc_zero(1, sizeof *c);
    if (!c)
        return sl_errorf(e, "out of memory");
    l->cfg = c;
    c->n = (int)sl_bound_int(b, "n");
    if (c->n <= 0)
        return sl_errorf(e, "n must be a positive number of repeats, got %d", c->n);
    return 0;
}

static int repeat_infer(SlLayer *l, SlInfer *io, SlError *e)
{
    const RepeatCfg *c = l->cfg;
    if (sl_layer_expect_inputs(l, io, 1, e) < 0)
        return -1;
    const SlShape *in = &io->in[0];
    if (in->rank != 2)
        return sl_layer_shape_error(e, l, "one vector per sample, (batch, features)", in,
                                    "RepeatVector repeats a vector into a sequence; before it, "
                                    "use an LSTM without return_sequences (one vector per "
                                    "sample), or Flatten");
    int dims[3] = {in->dim[0], c->n, in->dim[1]};
    io->out[0] = sl_shape_of(3, dims);
    io->n_out = 1;
    io->out_mask[0] = SL_MASK_NONE;
    return 0;
}

static void repeat_forward(SlLayer *l, SlPass *p)
{
    const RepeatCfg *c = l->cfg;
    size_t B = (size_t)p->x[0].shape.dim[0], F = (size_t)p->x[0].shape.dim[1];
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < (size_t)c->n; t++)
            memcpy(p->y[0].data + (b * (size_t)c->n + t) * F, p->x[0].data + b * F,
                   F * sizeof *p->x[0].data);
}

static void repeat_backward(SlLayer *l, SlPass *p)
{
    const RepeatCfg *c = l->cfg;
    size_t B = (size_t)p->x[0].shape.dim[0], F = (size_t)p->x[0].shape.dim[1];
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < (size_t)c->n; t++)
            for (size_t f = 0; f < F; f++)
                p->dx[0].data[b * F + f] += p->dy[0].data[(b * (size_t)c->n + t) * F + f];
}

static void repeat_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    const RepeatCfg *c = l->cfg;
    char a[96], b[96];
    snprintf(buf, n,
             "RepeatVector copies each sample's vector %d times along a new time axis: "
             "%s -> %s",
             c->n, sl_shape_str(&io->in[0], a, sizeof a), sl_shape_str(&io->out[0], b, sizeof b));
}

const SlLayerType sl_repeat_vector_type = {
    .name = "RepeatVector",
    .snake = "repeat_vector",
    .aliases = "",
    .summary = "repeats each sample's vector n times: (batch, f) -> (batch, n, f)",
    .args = repeat_args,
    .n_args = 1,
    .example_args = "3",
    .example_input = "(2, 5)",
    .kind = 0,
    .steps = SL_STEPS_ALL,
    .create = repeat_create,
    .infer = repeat_infer,
    .params = sl_layer_no_params,
    .scratch = sl_layer_no_scratch,
    .forward = repeat_forward,
    .backward = repeat_backward,
    .reset = sl_layer_reset_nothing,
    .explain = repeat_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = repeat_scenes,
    .destroy = sl_layer_destroy_cfg,
};
