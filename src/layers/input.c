/* input.c: InputLayer (and keras.Input), where data enters a model.
 *
 * Shapes: no input; one output, (batch, *shape). The batch axis is None unless batch_size or
 * batch_shape fixes it: it is the number of samples in a batch, never written in shape=, and it
 * stays the first axis of every tensor in the model.
 * Forward and backward do nothing: the model writes each batch into this layer's output and reads
 * the input gradient from there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "layer.h"

/* Keras's InputLayer order (keras.Input spells the last three name, tensor, optional). */
static const SlArgSpec input_args[] = {
    {"shape", SL_ARG_SHAPE | SL_ARG_OR_NONE, "None",
     "shape of one sample, batch axis left out: (timesteps, features)"},
    {"batch_size", SL_ARG_INT | SL_ARG_OR_NONE, "None", "fixed batch size, with shape"},
    {"dtype", SL_ARG_STR | SL_ARG_OR_NONE, "None", "'float32' or 'float64'"},
    {"sparse", SL_ARG_BOOL | SL_ARG_OR_NONE, "None", "not supported yet: dense inputs only"},
    {"ragged", SL_ARG_BOOL | SL_ARG_OR_NONE, "None", "not supported yet: dense inputs only"},
    {"batch_shape", SL_ARG_SHAPE | SL_ARG_OR_NONE, "None",
     "shape including the batch axis: (batch, timesteps, features)"},
    {"input_tensor", SL_ARG_ANY | SL_ARG_OR_NONE, "None", "not supported yet: None only"},
    {"optional", SL_ARG_BOOL, "False", "not supported yet: every input is given"},
    {"name", SL_ARG_STR | SL_ARG_OR_NONE, "None", "the input's name; default: input_1, ..."},
};

static int input_create(SlLayer *l, const SlBound *b, SlError *e)
{
    static const char *const dense_only[] = {"sparse", "ragged"};
    for (int i = 0; i < 2; i++)
        if (!sl_bound_is_none(b, dense_only[i]) && sl_bound_bool(b, dense_only[i]))
            return sl_errorf(e,
                             "%s=True is not supported yet; give the data as a dense array (pad "
                             "sequences to one length with pad_sequences, and mask the padding)",
                             dense_only[i]);
    if (sl_not_yet(b, "input_tensor", "give shape= instead", e) < 0 ||
        sl_not_yet(b, "optional", "give every input", e) < 0)
        return -1;
    int given =
        !sl_bound_is_none(b, "shape") + !sl_bound_is_none(b, "batch_shape") + l->has_input_shape;
    if (given > 1)
        return sl_errorf(e, "give one of shape=, batch_shape= or input_shape=, not several");
    if (!sl_bound_is_none(b, "batch_shape")) {
        if (sl_read_batch_shape(b, "batch_shape", &l->input_shape, e) < 0)
            return -1;
        l->has_input_shape = 1;
    } else if (!sl_bound_is_none(b, "shape")) {
        if (sl_read_sample_shape(b, "shape", &l->input_shape, e) < 0)
            return -1;
        l->has_input_shape = 1;
    }
    if (!l->has_input_shape)
        return sl_errorf(e, "needs shape=, e.g. Input(shape=(31, 1)) for 31 timesteps of 1 "
                            "feature");
    if (sl_check_sizes(&l->input_shape, 0, "the input shape", e) < 0)
        return -1;
    if (!l->name[0]) {
        /* tf.keras numbers functional inputs from 1: input_1, input_2, ... */
        char tmp[SL_NAME_MAX];
        sl_unique_name("input", tmp, sizeof tmp);
        int k = strcmp(tmp, "input") ? atoi(tmp + 6) : 0;
        snprintf(l->name, sizeof l->name, "input_%d", k + 1);
    }
    return 0;
}

static int input_infer(SlLayer *l, SlInfer *io, SlError *e)
{
    if (sl_layer_expect_inputs(l, io, 0, e) < 0)
        return -1;
    io->n_out = 1;
    io->out[0] = l->input_shape;
    io->out_mask[0] = SL_MASK_NONE;
    return 0;
}

static void input_nothing(SlLayer *l, SlPass *p)
{
    (void)l; /* the model copies the batch into p->y[0] itself */
    (void)p;
}

static void input_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    char s[96], one[96];
    SlShape sample = sl_shape_of(io->out[0].rank - 1, io->out[0].dim + 1);
    sl_shape_str(&io->out[0], s, sizeof s);
    sl_shape_str(&sample, one, sizeof one);
    if (l->input_shape.dim[0] == SL_NONE && io->out[0].dim[0] == SL_NONE)
        snprintf(buf, n, "each sample is %s; the first axis, None, counts the samples: %s", one, s);
    else if (l->input_shape.dim[0] == SL_NONE)
        snprintf(buf, n, "each sample is %s; the first axis holds this batch's %d samples: %s", one,
                 io->out[0].dim[0], s);
    else
        snprintf(buf, n, "each sample is %s, in batches of exactly %d: %s", one,
                 l->input_shape.dim[0], s);
}

const SlLayerType sl_input_type = {
    .name = "InputLayer",
    .snake = "input",
    .aliases = "",
    .summary = "where data enters: shape= is one sample, the batch axis comes first",
    .args = input_args,
    .n_args = sizeof input_args / sizeof input_args[0],
    .example_args = "shape=(4, 5)",
    .example_input = "(2, 4, 5)",
    .kind = SL_KIND_INPUT,
    .steps = SL_STEPS_EACH,
    .create = input_create,
    .infer = input_infer,
    .params = sl_layer_no_params,
    .scratch = sl_layer_no_scratch,
    .forward = input_nothing,
    .backward = input_nothing,
    .reset = sl_layer_reset_nothing,
    .explain = input_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};
