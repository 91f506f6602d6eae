/* embedding.c: Embedding, a lookup table from integer codes to vectors.
 *
 * Shapes: x (batch, ...) of integer codes in [0, input_dim) -> y (batch, ..., output_dim);
 * embeddings E (input_dim, output_dim). Typically x is (batch, timesteps) of word or character
 * codes and y the (batch, timesteps, features) an LSTM wants.
 *
 * Forward:   y[r, :] = E[x[r], :]                 (r runs over every code of the batch)
 * Backward:  dE[x[r], :] += dy[r, :]              only the rows that were looked up move;
 *            a code has no gradient (it is not a number the model can nudge), so dx stays 0.
 * It is the same as a Dense layer without bias applied to one-hot vectors, without building them.
 *
 * mask_zero=True: code 0 means padding, and the layer starts a mask (batch, timesteps) that is 0
 * where x is 0; input_dim must then count 0 as well (vocabulary + 1). A code outside
 * [0, input_dim) has no row: its vector is zeros here, and `shapelab predict`/`train` refuse such
 * data before it reaches the layer (sl_model_check_codes, from the `codes` the layer declares).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "init.h"
#include "layer.h"
#include "model.h"

typedef struct EmbCfg {
    int input_dim, output_dim, mask_zero;
    SlWeightArgs embeddings;
} EmbCfg;

static const SlArgSpec emb_args[] = {
    {"input_dim", SL_ARG_INT, NULL, "how many codes: the largest code + 1"},
    {"output_dim", SL_ARG_INT, NULL, "the size of each code's vector"},
    SL_ARG_INITIALIZER("embeddings_initializer", "'uniform'",
                       "how the table starts: U(-0.05, 0.05)"),
    SL_ARG_REGULARIZER("embeddings_regularizer"),
    SL_ARG_CONSTRAINT("embeddings_constraint"),
    {"mask_zero", SL_ARG_BOOL, "False", "code 0 is padding: start a mask there"},
    {"weights", SL_ARG_ANY | SL_ARG_OR_NONE, "None", "not supported yet: None only"},
    SL_ARG_LORA(0),
    {"quantization_config", SL_ARG_ANY | SL_ARG_OR_NONE, "None", "not supported yet: None only"},
    {"input_length", SL_ARG_INT | SL_ARG_OR_NONE | SL_ARG_KEYWORD, "None",
     "Keras 2: the number of codes per sample"},
};

static int emb_create(SlLayer *l, const SlBound *b, SlError *e)
{
    EmbCfg *c = sl_alloc_zero(1, sizeof *c);
    if (!c)
        return sl_errorf(e, "out of memory");
    l->cfg = c;
    c->input_dim = (int)sl_bound_int(b, "input_dim");
    c->output_dim = (int)sl_bound_int(b, "output_dim");
    c->mask_zero = sl_bound_bool(b, "mask_zero");
    if (c->input_dim <= 0 || c->output_dim <= 0)
        return sl_errorf(e, "input_dim and output_dim must be positive, got %d and %d",
                         c->input_dim, c->output_dim);
    if (sl_weight_args_read(l, &c->embeddings, b, "embeddings", e) < 0 ||
        sl_refuse_lora(b, e) < 0 ||
        sl_not_yet(b, "weights", "set the table after building, with set_weights or load_weights",
                   e) < 0)
        return -1;
    if (!sl_bound_is_none(b, "input_length") && !l->has_input_shape) {
        int len = (int)sl_bound_int(b, "input_length");
        l->has_input_shape = 1;
        l->input_shape = sl_shape_of(2, (int[]){SL_NONE, len});
        char msg[160];
        snprintf(msg, sizeof msg,
                 "notice: input_length=%d is the Keras 2 spelling; Keras 3 starts the model with "
                 "keras.Input(shape=(%d,))",
                 len, len);
        sl_layer_notice(l, msg);
        return sl_check_sizes(&l->input_shape, 1, "input_length", e);
    }
    return 0;
}

static int emb_infer(SlLayer *l, SlInfer *io, SlError *e)
{
    const EmbCfg *c = l->cfg;
    if (sl_layer_expect_inputs(l, io, 1, e) < 0)
        return -1;
    const SlShape *in = &io->in[0];
    if (in->rank + 1 > SL_MAX_RANK)
        return sl_layer_shape_error(e, l, "(batch, ...) with at most 4 axes", in,
                                    "give fewer axes of codes");
    io->n_out = 1;
    io->out[0] = *in;
    io->out[0].rank = in->rank + 1;
    io->out[0].dim[in->rank] = c->output_dim;
    io->out_mask[0] = SL_MASK_NONE;
    if (c->mask_zero) {
        if (in->rank != 2)
            return sl_layer_shape_error(e, l, "(batch, timesteps) of codes, for mask_zero=True", in,
                                        "a mask has one entry per timestep");
        io->out_mask[0] = SL_MASK_NEW;
    } else if (io->in_mask[0]) {
        io->out_mask[0] = SL_MASK_PASS;
        io->mask_from[0] = 0;
    }
    return 0;
}

static int emb_params(SlLayer *l, const SlInfer *io, SlError *e)
{
    const EmbCfg *c = l->cfg;
    (void)io;
    return sl_layer_add_weight(
        l, "embeddings", sl_shape_of(2, (int[]){c->input_dim, c->output_dim}), &c->embeddings, e);
}

/* The table row of a code, or -1 when the code is not a whole number in [0, input_dim). */
static long emb_row(const EmbCfg *c, sl_real v)
{
    if (!(v >= 0 && v < c->input_dim) || v != floor(v))
        return -1;
    return (long)v;
}

static void emb_forward(SlLayer *l, SlPass *p)
{
    const EmbCfg *c = l->cfg;
    const sl_real *E = l->params[0].value.data, *x = p->x[0].data;
    size_t n = sl_tensor_count(&p->x[0]), D = (size_t)c->output_dim;
    sl_real *y = p->y[0].data;
    for (size_t r = 0; r < n; r++) {
        long k = emb_row(c, x[r]);
        if (k < 0)
            memset(y + r * D, 0, D * sizeof *y);
        else
            memcpy(y + r * D, E + (size_t)k * D, D * sizeof *y);
    }
    if (c->mask_zero)
        for (size_t r = 0; r < n; r++)
            p->mask_out[0][r] = x[r] != 0;
}

static void emb_backward(SlLayer *l, SlPass *p)
{
    const EmbCfg *c = l->cfg;
    const sl_real *x = p->x[0].data, *dy = p->dy[0].data;
    sl_real *dE = l->params[0].grad.data;
    size_t n = sl_tensor_count(&p->x[0]), D = (size_t)c->output_dim;
    for (size_t r = 0; r < n; r++) {
        long k = emb_row(c, x[r]);
        for (size_t j = 0; k >= 0 && j < D; j++)
            dE[(size_t)k * D + j] += dy[r * D + j];
    }
}

static void emb_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    const EmbCfg *c = l->cfg;
    char a[96], b[96];
    sl_shape_str(&io->in[0], a, sizeof a);
    sl_shape_str(&io->out[0], b, sizeof b);
    snprintf(buf, n,
             "Embedding looks up each code (0 to %d) and puts its %d-number vector in its "
             "place%s: %s -> %s",
             c->input_dim - 1, c->output_dim, c->mask_zero ? "; code 0 starts a mask" : "", a, b);
}

/* Data fed to an Embedding are row numbers: whole numbers 0 .. input_dim - 1. */
static int emb_codes(const SlLayer *l)
{
    return ((const EmbCfg *)l->cfg)->input_dim;
}

static void emb_formula(const SlLayer *l, char *buf, size_t n)
{
    const EmbCfg *c = l->cfg;
    snprintf(buf, n, "%d*%d = %lld", c->input_dim, c->output_dim,
             (long long)c->input_dim * c->output_dim);
}

const SlLayerType sl_embedding_type = {
    .name = "Embedding",
    .snake = "embedding",
    .aliases = "",
    .summary = "integer codes to vectors: each code picks a row of a trained table",
    .args = emb_args,
    .n_args = sizeof emb_args / sizeof emb_args[0],
    .example_args = "10, 4",
    .example_input = "(2, 5)",
    .kind = 0,
    .steps = SL_STEPS_EACH,
    .create = emb_create,
    .infer = emb_infer,
    .params = emb_params,
    .scratch = sl_layer_no_scratch,
    .forward = emb_forward,
    .backward = emb_backward,
    .reset = sl_layer_reset_nothing,
    .explain = emb_explain,
    .formula = emb_formula,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = emb_codes,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};
