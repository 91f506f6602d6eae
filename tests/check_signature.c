/* check_signature.c: every registered layer takes its arguments in Keras 3's order.
 *
 * A learner pastes `Conv2D(6, [5, 5], 1, "valid")` and means strides=1, padding='valid', because
 * that is the order of Conv2D.__init__ in Keras. The table below transcribes, for every layer type
 * shapelab registers, the positional parameters of its __init__ in Keras 3.16
 * (keras/src/layers/..., read from the source) and the keyword arguments its **kwargs take that
 * shapelab declares. Each type's argument table must list exactly those positional names in that
 * order (the ones it marks SL_ARG_KEYWORD aside), and must mark the keyword-only ones
 * SL_ARG_KEYWORD. A newly registered type without a row here fails, so its signature is read
 * before it lands (docs/adding-a-layer.md). Then a few calls written positionally, as tutorials
 * write them, must mean what they mean in Keras.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* The parameters every Keras layer takes through **kwargs (Layer.__init__ is keyword-only:
 * activity_regularizer, trainable, dtype, autocast, name; input_shape and input_dim are popped
 * from kwargs), which src/layer.c declares for every type that does not take them itself. */
static const char *const layer_kwargs = "activity_regularizer trainable dtype autocast name "
                                        "input_shape input_dim";

static const struct Signature {
    const char *type;
    const char *positional; /* __init__'s parameters after self, in order */
    const char *keyword;    /* what its **kwargs take besides layer_kwargs, declared keyword-only */
} signatures[] = {
    /* keras/src/layers/core/input_layer.py (keras.Input spells the last three name, tensor,
     * optional) */
    {"InputLayer", "shape batch_size dtype sparse ragged batch_shape input_tensor optional name",
     ""},
    /* core/dense.py */
    {"Dense",
     "units activation use_bias kernel_initializer bias_initializer kernel_regularizer "
     "bias_regularizer activity_regularizer kernel_constraint bias_constraint lora_rank lora_alpha "
     "quantization_config",
     ""},
    /* activations/activation.py, relu.py, leaky_relu.py, prelu.py, elu.py, softmax.py */
    {"Activation", "activation", ""},
    {"ReLU", "max_value negative_slope threshold", ""},
    {"LeakyReLU", "negative_slope", "alpha"},
    {"PReLU", "alpha_initializer alpha_regularizer alpha_constraint shared_axes", ""},
    {"ELU", "alpha", ""},
    {"Softmax", "axis", ""},
    /* regularization/dropout.py, activity_regularization.py */
    {"Dropout", "rate noise_shape seed", ""},
    {"ActivityRegularization", "l1 l2", ""},
    /* regularization/spatial_dropout.py (name and dtype by position, no **kwargs),
     * gaussian_noise.py, gaussian_dropout.py; core/identity.py */
    {"SpatialDropout1D", "rate seed name dtype", ""},
    {"SpatialDropout2D", "rate data_format seed name dtype", ""},
    {"GaussianNoise", "stddev seed", ""},
    {"GaussianDropout", "rate seed", ""},
    {"Identity", "", ""},
    /* reshaping/flatten.py, reshape.py, permute.py, repeat_vector.py */
    {"Flatten", "data_format", ""},
    {"Reshape", "target_shape", ""},
    {"Permute", "dims", ""},
    {"RepeatVector", "n", ""},
    /* convolutional/conv1d.py, conv2d.py (BaseConv takes lora_rank, lora_alpha via kwargs) */
    {"Conv1D",
     "filters kernel_size strides padding data_format dilation_rate groups activation use_bias "
     "kernel_initializer bias_initializer kernel_regularizer bias_regularizer activity_regularizer "
     "kernel_constraint bias_constraint",
     "lora_rank lora_alpha"},
    {"Conv2D",
     "filters kernel_size strides padding data_format dilation_rate groups activation use_bias "
     "kernel_initializer bias_initializer kernel_regularizer bias_regularizer activity_regularizer "
     "kernel_constraint bias_constraint",
     "lora_rank lora_alpha"},
    /* convolutional/conv1d_transpose.py, conv2d_transpose.py */
    {"Conv1DTranspose",
     "filters kernel_size strides padding output_padding data_format dilation_rate activation "
     "use_bias kernel_initializer bias_initializer kernel_regularizer bias_regularizer "
     "activity_regularizer kernel_constraint bias_constraint",
     ""},
    {"Conv2DTranspose",
     "filters kernel_size strides padding output_padding data_format dilation_rate activation "
     "use_bias kernel_initializer bias_initializer kernel_regularizer bias_regularizer "
     "activity_regularizer kernel_constraint bias_constraint",
     ""},
    /* pooling/max_pooling1d.py ... (name= by position; AveragePooling's pool_size is required) */
    {"MaxPooling1D", "pool_size strides padding data_format name", ""},
    {"MaxPooling2D", "pool_size strides padding data_format name", ""},
    {"AveragePooling1D", "pool_size strides padding data_format name", ""},
    {"AveragePooling2D", "pool_size strides padding data_format name", ""},
    {"GlobalMaxPooling1D", "data_format keepdims", ""},
    {"GlobalAveragePooling1D", "data_format keepdims", ""},
    {"GlobalMaxPooling2D", "data_format keepdims", ""},
    {"GlobalAveragePooling2D", "data_format keepdims", ""},
    /* reshaping/zero_padding1d.py ... up_sampling2d.py */
    {"ZeroPadding1D", "padding data_format", ""},
    {"ZeroPadding2D", "padding data_format", ""},
    {"Cropping1D", "cropping", ""},
    {"Cropping2D", "cropping data_format", ""},
    {"UpSampling1D", "size", ""},
    {"UpSampling2D", "size data_format interpolation", ""},
    /* rnn/simple_rnn.py, lstm.py, gru.py (RNN takes zero_output_for_mask via kwargs, the cells
     * implementation) */
    {"SimpleRNN",
     "units activation use_bias kernel_initializer recurrent_initializer bias_initializer "
     "kernel_regularizer recurrent_regularizer bias_regularizer activity_regularizer "
     "kernel_constraint recurrent_constraint bias_constraint dropout recurrent_dropout "
     "return_sequences return_state go_backwards stateful unroll seed",
     "zero_output_for_mask"},
    {"LSTM",
     "units activation recurrent_activation use_bias kernel_initializer recurrent_initializer "
     "bias_initializer unit_forget_bias kernel_regularizer recurrent_regularizer bias_regularizer "
     "activity_regularizer kernel_constraint recurrent_constraint bias_constraint dropout "
     "recurrent_dropout seed return_sequences return_state go_backwards stateful unroll use_cudnn",
     "implementation zero_output_for_mask"},
    {"GRU",
     "units activation recurrent_activation use_bias kernel_initializer recurrent_initializer "
     "bias_initializer kernel_regularizer recurrent_regularizer bias_regularizer "
     "activity_regularizer kernel_constraint recurrent_constraint bias_constraint dropout "
     "recurrent_dropout seed return_sequences return_state go_backwards stateful unroll "
     "reset_after use_cudnn",
     "implementation zero_output_for_mask"},
    /* rnn/time_distributed.py, bidirectional.py: `layer` comes first, and shapelab hands it over
     * with sl_layer_wrap (never bound by position: its table marks it keyword) */
    {"TimeDistributed", "layer", ""},
    {"Bidirectional", "layer merge_mode weights backward_layer", ""},
    /* core/embedding.py (input_length: popped from kwargs with a deprecation warning) */
    {"Embedding",
     "input_dim output_dim embeddings_initializer embeddings_regularizer embeddings_constraint "
     "mask_zero weights lora_rank lora_alpha quantization_config",
     "input_length"},
    /* core/masking.py, normalization/layer_normalization.py */
    {"Masking", "mask_value", ""},
    {"LayerNormalization",
     "axis epsilon center scale beta_initializer gamma_initializer beta_regularizer "
     "gamma_regularizer beta_constraint gamma_constraint",
     "rms_scaling"},
    /* normalization/batch_normalization.py */
    {"BatchNormalization",
     "axis momentum epsilon center scale beta_initializer gamma_initializer "
     "moving_mean_initializer moving_variance_initializer beta_regularizer gamma_regularizer "
     "beta_constraint gamma_constraint renorm renorm_clipping renorm_momentum synchronized",
     ""},
    /* merging/add.py ... dot.py */
    {"Add", "", ""},
    {"Subtract", "", ""},
    {"Multiply", "", ""},
    {"Average", "", ""},
    {"Maximum", "", ""},
    {"Minimum", "", ""},
    {"Concatenate", "axis", ""},
    {"Dot", "axes normalize", ""},
};
enum { N_SIGNATURES = sizeof signatures / sizeof signatures[0] };

static const struct Signature *signature_of(const char *type)
{
    for (int i = 0; i < N_SIGNATURES; i++)
        if (!strcmp(signatures[i].type, type))
            return &signatures[i];
    return NULL;
}

/* The i-th space-separated word of s into w (n bytes); 0 when there is none. */
static int word(const char *s, int i, char *w, size_t n)
{
    for (int k = 0; *s; k++) {
        s += strspn(s, " ");
        size_t len = strcspn(s, " ");
        if (!len)
            break;
        if (k == i) {
            snprintf(w, n, "%.*s", (int)len, s);
            return 1;
        }
        s += len;
    }
    return 0;
}

static const SlArgSpec *spec_of(const SlLayerType *t, const char *name)
{
    for (int k = 0; k < t->n_args; k++)
        if (!strcmp(t->args[k].name, name))
            return &t->args[k];
    return NULL;
}

START_TEST(test_positional_order)
{
    const SlLayerType *t = sl_layer_type_at(_i);
    const struct Signature *sig = signature_of(t->name);
    ck_assert_msg(sig != NULL,
                  "%s has no row in check_signature.c: transcribe its __init__ from Keras's source",
                  t->name);
    char want[64];
    int k = 0, i = 0;
    if ((t->kind & SL_KIND_WRAPPER) && word(sig->positional, 0, want, sizeof want)) {
        const SlArgSpec *layer = spec_of(t, want); /* handed over by sl_layer_wrap */
        ck_assert_msg(layer && (layer->type & SL_ARG_KEYWORD),
                      "%s: '%s' comes through sl_layer_wrap and is never bound by position",
                      t->name, want);
        i = 1;
    }
    for (; word(sig->positional, i, want, sizeof want); i++) {
        while (k < t->n_args && (t->args[k].type & SL_ARG_KEYWORD))
            k++;
        ck_assert_msg(k < t->n_args,
                      "%s: Keras's positional argument %d is '%s'; the table "
                      "has no more positional arguments",
                      t->name, i + 1, want);
        ck_assert_msg(!strcmp(t->args[k].name, want),
                      "%s: Keras's positional argument %d is '%s', the table's is '%s'", t->name,
                      i + 1, want, t->args[k].name);
        k++;
    }
    for (; k < t->n_args; k++)
        ck_assert_msg(t->args[k].type & SL_ARG_KEYWORD,
                      "%s: '%s' is positional in the table but not in Keras's signature", t->name,
                      t->args[k].name);
    for (i = 0; word(sig->keyword, i, want, sizeof want); i++) {
        const SlArgSpec *s = spec_of(t, want);
        ck_assert_msg(s && (s->type & SL_ARG_KEYWORD), "%s: '%s' is keyword-only in Keras", t->name,
                      want);
    }
}
END_TEST

/* Every layer takes Layer's keyword arguments, also those it declares itself (pooling's name,
 * InputLayer's dtype and name, the activity_regularizer of Dense ...), and refuses them by
 * position beyond its own. */
START_TEST(test_layer_kwargs)
{
    const SlLayerType *t = sl_layer_type_at(_i);
    SlShape in[SL_MAX_IO];
    int n_in;
    SlError e;
    char want[64], args[512];
    for (int i = 0; word(layer_kwargs, i, want, sizeof want); i++) {
        if (!strcmp(want, "input_shape") || !strcmp(want, "input_dim"))
            continue; /* read as shapes: check_layers and check_script cover them */
        const char *value = !strcmp(want, "name")                                     ? "'a_name'"
                            : !strcmp(want, "dtype")                                  ? "'float32'"
                            : !strcmp(want, "autocast") || !strcmp(want, "trainable") ? "True"
                                                                                      : "None";
        if ((t->kind & SL_KIND_WRAPPER) || !strcmp(t->name, "ActivityRegularization")) {
            if (!strcmp(want, "activity_regularizer"))
                continue; /* its own, or its inner layer's */
        }
        sl_clear_session();
        if (t->kind & SL_KIND_WRAPPER) {
            SlLayer *w = sl_layer_example(t, in, &n_in, &e);
            ck_assert_msg(w != NULL, "%s: %s", t->name, e.msg);
            sl_layer_free(w);
            continue;
        }
        snprintf(args, sizeof args, "%s%s%s=%s", t->example_args, t->example_args[0] ? ", " : "",
                 want, value);
        SlLayer *l = sl_layer(t->name, args, &e);
        ck_assert_msg(l != NULL, "%s(%s): %s", t->name, args, e.msg);
        sl_layer_free(l);
    }
}
END_TEST

/* Calls written positionally, as tutorials write them, against what Keras makes of them. */
static const struct {
    const char *type, *args;
    int rank, in[SL_MAX_RANK];
    const char *out;  /* the output shape, or "" */
    long long params; /* or -1 */
    const char *name; /* the layer's name, or NULL */
} calls[] = {
    /* strides=1, padding='valid' (the fourth went to dilation_rate before Keras's order) */
    {"Conv2D", "6, [5, 5], 1, 'valid'", 4, {SL_NONE, 28, 28, 1}, "(None, 24, 24, 6)", 156, NULL},
    {"Conv2D", "6, 5, 2, 'same'", 4, {SL_NONE, 28, 28, 1}, "(None, 14, 14, 6)", 156, NULL},
    {"Conv2D", "4, 3, 1, 'valid', None, 2", 4, {SL_NONE, 9, 9, 2}, "(None, 5, 5, 4)", 76, NULL},
    {"Conv1D",
     "8, 3, 1, 'causal', None, 2, 1, 'relu', False",
     3,
     {SL_NONE, 10, 2},
     "(None, 10, 8)",
     48,
     NULL},
    {"Conv1DTranspose", "2, 3, 2, 'same', None", 3, {SL_NONE, 5, 3}, "(None, 10, 2)", 20, NULL},
    {"Conv2DTranspose",
     "1, 3, 2, 'valid', 1",
     4,
     {SL_NONE, 4, 4, 2},
     "(None, 10, 10, 1)",
     19,
     NULL},
    /* data_format fifth, then dilation_rate and groups: kernel (3, 3, 4/2, 6), 3*3*2*6 + 6 */
    {"Conv2D",
     "6, 3, 1, 'same', 'channels_first', 1, 2",
     4,
     {SL_NONE, 4, 9, 9},
     "(None, 6, 9, 9)",
     114,
     NULL},
    {"Conv1DTranspose",
     "2, 3, 2, 'valid', None, 'channels_first'",
     3,
     {SL_NONE, 3, 5},
     "(None, 2, 11)",
     20,
     NULL},
    {"Dense", "3, 'relu', False", 2, {SL_NONE, 4}, "(None, 3)", 12, NULL},
    {"MaxPooling2D",
     "2, 2, 'same', None, 'pool_a'",
     4,
     {SL_NONE, 5, 5, 3},
     "(None, 3, 3, 3)",
     0,
     "pool_a"},
    {"AveragePooling1D", "3, 1, 'valid'", 3, {SL_NONE, 7, 2}, "(None, 5, 2)", 0, NULL},
    {"GlobalAveragePooling1D", "None, True", 3, {SL_NONE, 7, 2}, "(None, 1, 2)", 0, NULL},
    {"GlobalMaxPooling2D",
     "'channels_first', True",
     4,
     {SL_NONE, 3, 4, 5},
     "(None, 3, 1, 1)",
     0,
     NULL},
    {"MaxPooling1D",
     "2, 1, 'valid', 'channels_first'",
     3,
     {SL_NONE, 3, 6},
     "(None, 3, 5)",
     0,
     NULL},
    {"ZeroPadding2D",
     "(1, 2), 'channels_first'",
     4,
     {SL_NONE, 3, 4, 5},
     "(None, 3, 6, 9)",
     0,
     NULL},
    {"Cropping2D",
     "((1, 0), (2, 1)), 'channels_first'",
     4,
     {SL_NONE, 3, 4, 5},
     "(None, 3, 3, 2)",
     0,
     NULL},
    {"UpSampling2D",
     "2, 'channels_first', 'bilinear'",
     4,
     {SL_NONE, 3, 4, 5},
     "(None, 3, 8, 10)",
     0,
     NULL},
    {"Flatten", "'channels_first'", 4, {SL_NONE, 3, 4, 5}, "(None, 60)", 0, NULL},
    {"Embedding", "10, 4, 'uniform', None, None, True", 2, {SL_NONE, 6}, "(None, 6, 4)", 40, NULL},
    /* LSTM: ... unit_forget_bias, 7 regularizers and constraints, dropout, recurrent_dropout,
     * seed, then return_sequences */
    {"LSTM",
     "3, 'tanh', 'sigmoid', True, 'glorot_uniform', 'orthogonal', 'zeros', True, None, None, "
     "None, None, None, None, None, 0.0, 0.0, None, True",
     3,
     {SL_NONE, 5, 2},
     "(None, 5, 3)",
     72,
     NULL},
    /* GRU: ... seed, return_sequences, return_state, go_backwards, stateful, unroll, reset_after */
    {"GRU",
     "3, 'tanh', 'sigmoid', True, 'glorot_uniform', 'orthogonal', 'zeros', None, None, None, "
     "None, None, None, None, 0.0, 0.0, None, False, False, False, False, False, False",
     3,
     {SL_NONE, 5, 2},
     "(None, 3)",
     54,
     NULL},
    /* SimpleRNN: return_sequences right after recurrent_dropout, seed last */
    {"SimpleRNN",
     "2, 'tanh', True, 'glorot_uniform', 'orthogonal', 'zeros', None, None, None, None, None, "
     "None, None, 0.0, 0.0, True",
     3,
     {SL_NONE, 5, 2},
     "(None, 5, 2)",
     10,
     NULL},
    {"ReLU", "6.0, 0.1, 0.5", 2, {SL_NONE, 4}, "(None, 4)", 0, NULL},
    {"PReLU", "'zeros', None, None, [1]", 3, {SL_NONE, 5, 4}, "(None, 5, 4)", 4, NULL},
    {"LayerNormalization", "-1, 1e-3, True, False", 3, {SL_NONE, 5, 4}, "(None, 5, 4)", 4, NULL},
    {"InputLayer", "(5, 3), 16", 0, {0}, "(16, 5, 3)", 0, NULL},
};
enum { N_CALLS = sizeof calls / sizeof calls[0] };

START_TEST(test_positional_call)
{
    SlError e;
    char got[96];
    sl_clear_session();
    SlLayer *l = sl_layer(calls[_i].type, calls[_i].args, &e);
    ck_assert_msg(l != NULL, "%s(%s): %s", calls[_i].type, calls[_i].args, e.msg);
    if (calls[_i].name)
        ck_assert_str_eq(l->name, calls[_i].name);
    if (calls[_i].rank == 0) { /* InputLayer: its shape */
        ck_assert_str_eq(sl_shape_str(&l->input_shape, got, sizeof got), calls[_i].out);
        sl_layer_free(l);
        return;
    }
    SlModel *m = sl_model_new(NULL);
    SlShape in = sl_shape_of(calls[_i].rank, calls[_i].in);
    char shape[96], a[128];
    SlShape sample = sl_shape_of(in.rank - 1, in.dim + 1);
    snprintf(a, sizeof a, "shape=%s", sl_shape_str(&sample, shape, sizeof shape));
    int x = sl_model_input(m, sl_layer("InputLayer", a, &e), &e);
    ck_assert_msg(x >= 0, "%s", e.msg);
    int y = sl_model_call(m, l, 1, &x, NULL, &e);
    ck_assert_msg(y >= 0, "%s(%s): %s", calls[_i].type, calls[_i].args, e.msg);
    ck_assert_str_eq(sl_shape_str(&m->t[y].shape, got, sizeof got), calls[_i].out);
    if (calls[_i].params >= 0)
        ck_assert_int_eq((long long)sl_layer_count_params(l), calls[_i].params);
    sl_model_free(m);
}
END_TEST

/* What a positional argument means shows in the layer's own reading of it. */
START_TEST(test_positional_meaning)
{
    SlError e;
    /* Conv1D(8, 3, 2): strides 2 (its window's s), dilation 1 */
    SlLayer *l = sl_layer("Conv1D", "8, 3, 2", &e);
    SlWindowGeom w;
    ck_assert_msg(l && sl_layer_window(l, 0, &w), "%s", e.msg);
    ck_assert_int_eq(w.s, 2);
    ck_assert_int_eq(w.d, 1);
    sl_layer_free(l);
    /* Bidirectional(LSTM(4), 'sum'): merge_mode */
    SlArgs a;
    sl_args_init(&a);
    ck_assert(sl_args_parse(&a, "'sum'", &e) == 0);
    SlLayer *in = sl_layer("LSTM", "4", &e);
    l = sl_layer_wrap("Bidirectional", in, &a, &e);
    ck_assert_msg(l != NULL, "%s", e.msg);
    char mode[16];
    ck_assert(sl_layer_arg_str(l, "merge_mode", mode, sizeof mode) == 0);
    ck_assert_str_eq(mode, "sum");
    sl_layer_free(l);
    /* too many positional arguments: the count is Keras's */
    ck_assert(sl_layer("Dropout", "0.5, None, 1, 2", &e) == NULL);
    ck_assert_msg(strstr(e.msg, "takes at most 3 positional arguments"), "%s", e.msg);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("signature");
    TCase *tc = tcase_create("keras order");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_positional_order, 0, sl_layer_type_count());
    tcase_add_loop_test(tc, test_layer_kwargs, 0, sl_layer_type_count());
    tcase_add_loop_test(tc, test_positional_call, 0, N_CALLS);
    tcase_add_test(tc, test_positional_meaning);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
