/* check_layers.c: every layer of the engine core against PyTorch's numbers, its gradient check,
 * and its shape errors.
 *
 * Fixtures (tests/fixtures/, written by tools/make_fixtures.py in float64) hold an input x, the
 * layer's weights in Keras layout, its output y, an upstream gradient dy and the gradients of
 * sum(y * dy) for the input and each weight. Each case builds the layer from the fixture's own
 * "layer" and "args" metadata, so the table below only lists names.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

extern const SlLayerType sl_dense_type;

static const char *const fixtures[] = {
    "dense_2d",
    "dense_3d_tanh",
    "dense_4d_relu",
    "dense_nobias_softmax",
    "dense_3d_sigmoid",
    "activation_linear",
    "activation_relu",
    "activation_elu",
    "activation_selu",
    "activation_sigmoid",
    "activation_hard_sigmoid",
    "activation_hard_sigmoid_k2",
    "activation_tanh",
    "activation_softplus",
    "activation_softsign",
    "activation_swish",
    "activation_softmax",
    "activation_leaky_relu",
    "activation_relu6",
    "activation_gelu",
    "activation_celu",
    "activation_soft_shrink",
    "activation_hard_shrink",
    "activation_sparse_plus",
    "activation_squareplus",
    "activation_tanh_shrink",
    "activation_hard_tanh",
    "activation_sparse_sigmoid",
    "activation_exponential",
    "activation_hard_silu",
    "activation_mish",
    "activation_log_sigmoid",
    "activation_log_softmax",
    "activation_relu_layer",
    "activation_relu_layer_max_slope_threshold",
    "activation_relu_layer_leaky",
    "activation_relu_layer_relu6",
    "activation_leaky_relu_layer",
    "activation_elu_layer",
    "activation_prelu",
    "activation_prelu_shared",
    "activation_prelu_shared_image",
    "activation_softmax_layer_axis1",
    "activation_softmax_layer_axes12",
    "dropout_eval",
    "dropout_train",
    "dropout_train_noise_shape",
    "spatial_dropout1d_train",
    "spatial_dropout2d_train",
    "spatial_dropout2d_channels_first",
    "spatial_dropout1d_eval",
    "gaussian_noise_train",
    "gaussian_noise_eval",
    "gaussian_dropout_train",
    "gaussian_dropout_eval",
    "identity",
    "flatten",
    "flatten_4d",
    "reshape",
    "reshape_minus1",
    "reshape_3d",
    "permute_21",
    "permute_312",
    "permute_213",
    "repeat_vector",
    "embedding_2d",
    "embedding_3d_repeats",
};
enum { N_FIXTURES = sizeof fixtures / sizeof fixtures[0] };

START_TEST(test_fixture)
{
    tu_check_layer_fixture(fixtures[_i]);
}
END_TEST

#ifdef SL_DOUBLE
/* Gradient checks in double: the same layer configurations as the fixtures, plus options, on
 * inputs drawn away from kinks. */
static const struct {
    const char *type, *args;
    int rank, dims[SL_MAX_RANK];
    int training;
} gc_cases[] = {
    {"Dense", "3", 2, {4, 5}, 0},
    {"Dense", "3, activation='tanh'", 3, {2, 3, 4}, 0},
    {"Dense", "2, activation='relu'", 4, {2, 2, 3, 4}, 0},
    {"Dense", "5, activation='softmax', use_bias=False", 2, {3, 4}, 0},
    {"Dense", "4, activation='swish'", 3, {2, 4, 3}, 0},
    {"Dense", "3, activation='selu'", 2, {3, 4}, 0},
    {"Activation", "'linear'", 3, {2, 3, 5}, 0},
    {"Activation", "'relu'", 3, {2, 3, 5}, 0},
    {"Activation", "'elu'", 3, {2, 3, 5}, 0},
    {"Activation", "'selu'", 3, {2, 3, 5}, 0},
    {"Activation", "'sigmoid'", 3, {2, 3, 5}, 0},
    {"Activation", "'hard_sigmoid'", 3, {2, 3, 5}, 0},
    {"Activation", "'hard_sigmoid_k2'", 3, {2, 3, 5}, 0},
    {"Activation", "'tanh'", 3, {2, 3, 5}, 0},
    {"Activation", "'softplus'", 3, {2, 3, 5}, 0},
    {"Activation", "'softsign'", 3, {2, 3, 5}, 0},
    {"Activation", "'swish'", 3, {2, 3, 5}, 0},
    {"Activation", "'softmax'", 3, {2, 3, 5}, 0},
    {"Activation", "'leaky_relu'", 3, {2, 3, 5}, 0},
    {"Activation", "'relu6'", 3, {2, 3, 5}, 0},
    {"Activation", "'gelu'", 3, {2, 3, 5}, 0},
    {"Activation", "'celu'", 3, {2, 3, 5}, 0},
    {"Activation", "'soft_shrink'", 3, {2, 3, 5}, 0},
    {"Activation", "'hard_shrink'", 3, {2, 3, 5}, 0},
    {"Activation", "'sparse_plus'", 3, {2, 3, 5}, 0},
    {"Activation", "'squareplus'", 3, {2, 3, 5}, 0},
    {"Activation", "'tanh_shrink'", 3, {2, 3, 5}, 0},
    {"Activation", "'hard_tanh'", 3, {2, 3, 5}, 0},
    {"Activation", "'sparse_sigmoid'", 3, {2, 3, 5}, 0},
    {"Activation", "'exponential'", 3, {2, 3, 5}, 0},
    {"Activation", "'hard_silu'", 3, {2, 3, 5}, 0},
    {"Activation", "'mish'", 3, {2, 3, 5}, 0},
    {"Activation", "'log_sigmoid'", 3, {2, 3, 5}, 0},
    {"Activation", "'log_softmax'", 3, {2, 3, 5}, 0},
    {"Dense", "4, activation='gelu'", 3, {2, 3, 5}, 0},
    {"ReLU", "", 3, {2, 3, 5}, 0},
    {"ReLU", "max_value=1.0, negative_slope=0.1, threshold=0.2", 3, {2, 3, 5}, 0},
    {"ReLU", "6.0, 0.3", 2, {4, 5}, 0},
    {"LeakyReLU", "", 3, {2, 3, 5}, 0},
    {"LeakyReLU", "negative_slope=1.5", 3, {2, 3, 5}, 0},
    {"ELU", "alpha=0.5", 3, {2, 3, 5}, 0},
    {"PReLU", "alpha_initializer='glorot_uniform'", 3, {2, 3, 4}, 0},
    {"PReLU", "alpha_initializer=RandomUniform(-0.5, 0.5), shared_axes=[1, 2]", 4, {2, 3, 2, 4}, 0},
    {"Softmax", "", 3, {2, 3, 5}, 0},
    {"Softmax", "axis=[1, 2]", 3, {2, 3, 4}, 0},
    {"Dropout", "0.5", 2, {4, 6}, 1},
    {"Dropout", "0.25, noise_shape=(None, 1, 4)", 3, {2, 3, 4}, 1},
    {"Dropout", "0.5", 2, {4, 6}, 0},
    /* the random layers in training: the checker reseeds the model's generator before every
     * pass, so each sees the same noise */
    {"SpatialDropout1D", "0.5", 3, {3, 4, 5}, 1},
    {"SpatialDropout2D", "0.4", 4, {2, 3, 3, 4}, 1},
    {"SpatialDropout2D", "0.5, data_format='channels_first'", 4, {2, 3, 2, 2}, 1},
    {"GaussianNoise", "0.3", 3, {2, 3, 4}, 1},
    {"GaussianDropout", "0.2", 2, {3, 5}, 1},
    {"GaussianDropout", "0.2", 2, {3, 5}, 0},
    {"Identity", "", 3, {2, 3, 4}, 0},
    {"Flatten", "", 4, {2, 2, 3, 2}, 0},
    {"Reshape", "(4, -1)", 3, {2, 3, 4}, 0},
    {"Permute", "(3, 1, 2)", 4, {2, 3, 4, 5}, 0},
    {"Permute", "(2, 1)", 3, {2, 10, 5}, 0},
    {"RepeatVector", "3", 2, {2, 4}, 0},
};
enum { N_GC = sizeof gc_cases / sizeof gc_cases[0] };

START_TEST(test_gradcheck)
{
    SlShape s = sl_shape_of(gc_cases[_i].rank, gc_cases[_i].dims);
    tu_gradcheck_layer(gc_cases[_i].type, gc_cases[_i].args, s, gc_cases[_i].training,
                       11 + (uint64_t)_i);
}
END_TEST

/* The checker must be able to fail. Run it on Dense(2) with its backward replaced. */
static void gradcheck_with_backward(void (*backward)(SlLayer *, SlPass *), SlGradcheckReport *rep)
{
    SlError e;
    int d[2] = {3, 4};
    SlModel *m = tu_one_layer("Dense", "2", sl_shape_of(2, d), &e);
    ck_assert(m != NULL);
    SlLayerType broken = *m->layers[1]->type;
    broken.backward = backward;
    m->layers[1]->type = &broken;
    sl_real x[12];
    SlTensor in = sl_tensor(sl_shape_of(2, d), x);
    SlRng r = sl_rng(3);
    sl_gradcheck_fill_input(&in, &r);
    SlGradcheckOptions o = sl_gradcheck_defaults();
    ck_assert(sl_gradcheck(m, &in, &o, rep, &e) == 0);
    m->layers[1]->type = &sl_dense_type;
    sl_model_free(m);
}

static void off_by_a_little(SlLayer *l, SlPass *p)
{
    sl_dense_type.backward(l, p);
    l->params[0].grad.data[0] += (sl_real)0.01; /* one wrong entry of dense/kernel */
}

static void no_backward(SlLayer *l, SlPass *p)
{
    (void)l;
    (void)p;
}

START_TEST(test_gradcheck_catches_a_bug)
{
    SlGradcheckReport rep;
    gradcheck_with_backward(off_by_a_little, &rep);
    ck_assert(!rep.ok);
    ck_assert(!rep.rows[0].ok); /* dense/kernel */
    ck_assert(rep.rows[1].ok);  /* dense/bias is still right */
}
END_TEST

/* ... and the all-zeros guard: a backward that does nothing fails. */
START_TEST(test_gradcheck_zero_guard)
{
    SlGradcheckReport rep;
    gradcheck_with_backward(no_backward, &rep);
    ck_assert(!rep.ok);
    ck_assert(rep.rows[0].all_zero);
}
END_TEST
#endif

/* Shape errors: each names the layer, what it expected, what it got, and a fix. */
static const TuShapeError shape_errors[] = {
    {"Reshape",
     "(4, 120)",
     3,
     {SL_NONE, 100, 5},
     {"layer 'reshape' (Reshape)", "(None, 100, 5)", "multiply to 500", "Fix:"}},
    {"Reshape", "(3, -1)", 3, {SL_NONE, 7, 2}, {"(None, 7, 2)", "multiply to 14", "Fix:", ""}},
    {"Permute",
     "(2, 1)",
     4,
     {SL_NONE, 10, 5, 3},
     {"layer 'permute' (Permute)", "2 axes after the batch", "(None, 10, 5, 3)", "Fix:"}},
    {"RepeatVector",
     "4",
     3,
     {SL_NONE, 100, 32},
     {"layer 'repeat_vector' (RepeatVector)", "(batch, features)", "(None, 100, 32)", "LSTM"}},
    {"Dense",
     "3",
     3,
     {SL_NONE, 10, SL_NONE},
     {"layer 'dense' (Dense)", "(None, 10, None)", "last axis", "Fix:"}},
    {"Dropout",
     "0.5, noise_shape=(None, 1)",
     3,
     {SL_NONE, 4, 5},
     {"layer 'dropout' (Dropout)", "noise_shape", "(None, 4, 5)", "Fix:"}},
    /* sizes past the limits (tensor.h): an error naming the layer and the limit, never a wrapped
     * count, a "Total params: 0" or an absurd allocation */
    {"Dense",
     "16000000",
     2,
     {SL_NONE, 16000000},
     {"layer 'dense' (Dense)", "'kernel' of shape (16000000, 16000000)", "268435456"}},
    {"LSTM",
     "10000000",
     3,
     {SL_NONE, 8, 2},
     {"layer 'lstm' (LSTM)", "(10000000, 40000000)", "268435456"}},
    {"RepeatVector",
     "16000000",
     2,
     {SL_NONE, 16000000},
     {"layer 'repeat_vector' (RepeatVector)", "(None, 16000000, 16000000)", "per sample",
      "268435456"}},
    {"Flatten", "", 3, {64, 16384, 16384}, {"(64, 16384, 16384)", "use smaller batches"}},
    {"SpatialDropout1D",
     "0.5",
     4,
     {SL_NONE, 8, 8, 3},
     {"layer 'spatial_dropout1d' (SpatialDropout1D)", "(batch, steps, channels)", "(None, 8, 8, 3)",
      "SpatialDropout2D"}},
    {"SpatialDropout2D",
     "0.5",
     3,
     {SL_NONE, 10, 4},
     {"layer 'spatial_dropout2d' (SpatialDropout2D)", "(batch, rows, cols, channels)",
      "(None, 10, 4)", "use SpatialDropout1D on sequences"}},
    /* the activation layers */
    {"PReLU",
     "",
     3,
     {SL_NONE, SL_NONE, 4},
     {"layer 'p_re_lu' (PReLU)", "a known size on axis 1", "shared_axes=[1]", "(None, None, 4)"}},
    {"PReLU", "shared_axes=[3]", 3, {SL_NONE, 5, 4}, {"an axis 3 for shared_axes", "Fix:"}},
    {"Softmax", "axis=0", 3, {SL_NONE, 5, 4}, {"axes 1 to 2", "axis=0", "counts the samples"}},
    {"Softmax", "axis=[1, 3]", 4, {SL_NONE, 5, 4, 3}, {"leaves a gap", "Permute"}},
};
enum { N_SHAPE_ERRORS = sizeof shape_errors / sizeof shape_errors[0] };

START_TEST(test_shape_error)
{
    tu_check_shape_error(&shape_errors[_i]);
}
END_TEST

/* Bad arguments: caught when the layer is made, naming the layer and the argument. */
static const TuArgError arg_errors[] = {
    {"Dense", "", "missing the required argument 'units'"},
    {"Dense", "0", "units must be a positive integer"},
    {"Dense", "3, activaton='relu'", "unknown keyword argument 'activaton'"},
    {"Dense", "3, activation='rleu'",
     "unknown activation 'rleu' for argument 'activation'; shapelab knows linear, relu, "},
    {"Dense", "'3'", "argument 'units' must be an integer"},
    {"Dense", "3, kernel_initializer='glorot'",
     "unknown initializer 'glorot' for argument 'kernel_initializer'; shapelab knows "
     "glorot_uniform, "},
    {"Conv1D", "4, 3, bias_initializer='zeroes'",
     "unknown initializer 'zeroes' for argument 'bias_initializer'"},
    {"Conv2D", "4, 3, activation='gleu'", "unknown activation 'gleu' for argument 'activation'"},
    {"Embedding", "10, 4, embeddings_initializer='gaussian'",
     "unknown initializer 'gaussian' for argument 'embeddings_initializer'"},
    {"Reshape", "(2, -1, -1)", "only one -1"},
    {"Permute", "(1, 3)", "each of 1..2 once"},
    {"Dropout", "1.5", "must be in [0, 1)"},
    {"Activation", "'gleu'", "unknown activation 'gleu' for argument 'activation'"},
    {"Activation", "'sparsemax'", "activation='sparsemax' is not supported yet; use 'softmax'"},
    {"MultiHeadAttention", "", "MultiHeadAttention is not implemented yet"},
    {"LSTM", "", "missing the required argument 'units'"},
    {"LSTM", "32, recurrent_activation='rleu'",
     "unknown activation 'rleu' for argument 'recurrent_activation'; shapelab knows linear, "},
    {"GRU", "4, recurrent_initializer='identiy'",
     "unknown initializer 'identiy' for argument 'recurrent_initializer'"},
    {"GRU", "4, dropout=1.0", "dropout is the fraction dropped and must be in [0, 1), got 1"},
    {"LSTM", "4, recurrent_dropout=-0.1", "recurrent_dropout is the fraction dropped"},
    {"SimpleRNN", "4, reset_after=True", "unknown keyword argument 'reset_after'"},
    {"Dense", "3, input_shape=(0, 4)", "sizes must be positive"},
    {"Frobnicate", "", "unknown layer 'Frobnicate'"},
    {"InputLayer", "shape=(0, 4)", "has an axis of size 0"},
    {"InputLayer", "shape=(-1, 4)", "has an axis of size -1; sizes must be positive, or None"},
    {"Dense", "3, input_shape=(-1, 5)", "size -1"},
    {"Reshape", "(None, 5)", "uses -1, not None"},
    {"InputLayer", "shape=(3,), input_shape=(3,)", "not several"},
    {"Dropout", "0.5, noise_shape=(None, 0)", "noise_shape (None, 0) has an axis of size 0"},
    {"LSTM", "1000000000", "'units' holds 1000000000, beyond shapelab's limit of 16777216"},
    {"Dense", "3, input_shape=(4, 16777217)", "holds 16777217"},
    {"Reshape", "(100000, 100000)", "more than 268435456 values per sample"},
    {"SpatialDropout1D", "1.0", "must be in [0, 1), got 1"},
    {"SpatialDropout1D", "0.5, noise_shape=(None, 1, 4)", "unknown keyword argument 'noise_shape'"},
    {"SpatialDropout2D", "0.5, data_format='channels_middle'",
     "data_format must be 'channels_last' or 'channels_first'"},
    {"GaussianNoise", "", "missing the required argument 'stddev'"},
    {"GaussianNoise", "1.5", "must be in [0, 1], got 1.5"},
    {"GaussianDropout", "1", "must be in [0, 1), got 1"},
    {"GaussianDropout", "-0.1", "must be in [0, 1)"},
    {"Identity", "3", "at most 0 positional arguments"},
    {"Lambda", "", "Lambda runs arbitrary Python"},
    {"Lambda", "", "Reshape or Permute to move axes, Activation for a function of each value"},
    /* the activation layers and functions */
    {"Activation", "'glu'", "activation='glu' is not supported yet; it halves the last axis"},
    {"Dense", "3, activation='threshold'", "'threshold' is not supported yet"},
    {"ReLU", "max_value=-1.0", "max_value of a ReLU layer cannot be a negative value, got -1"},
    {"ReLU", "negative_slope=-0.1", "negative_slope of a ReLU layer cannot be a negative value"},
    {"LeakyReLU", "-0.2", "cannot be negative, got -0.2"},
    {"LeakyReLU", "0.2, alpha=0.3", "give negative_slope= or alpha=, not both"},
    {"PReLU", "shared_axes=[0]", "shared_axes names axes after the batch axis, 1 to 4, got 0"},
    {"PReLU", "alpha_initializer='frobnicate'", "unknown initializer 'frobnicate'"},
    {"Softmax", "axis='last'", "argument 'axis' must be an integer or a tuple"},
    {"ELU", "alpha='one'", "argument 'alpha' must be a number"},
};
enum { N_ARG_ERRORS = sizeof arg_errors / sizeof arg_errors[0] };

START_TEST(test_arg_error)
{
    tu_check_arg_error(&arg_errors[_i]);
}
END_TEST

START_TEST(test_explain_sentences)
{
    SlError e;
    int d3[3] = {SL_NONE, 100, 32};
    sl_clear_session();
    SlModel *m = tu_one_layer("Dense", "2", sl_shape_of(3, d3), &e);
    ck_assert_str_eq(m->nodes[1].why, "Dense acts on the last axis (32 -> 2 units) and keeps the "
                                      "others: (None, 100, 32) -> (None, 100, 2)");
    char f[64];
    m->layers[1]->type->formula(m->layers[1], f, sizeof f);
    ck_assert_str_eq(f, "32*2 + 2 = 66");
    sl_model_free(m);
    int d2[3] = {SL_NONE, 10, 5};
    m = tu_one_layer("Permute", "(2, 1)", sl_shape_of(3, d2), &e);
    ck_assert(strstr(m->nodes[1].why, "(None, 10, 5) -> (None, 5, 10)"));
    sl_model_free(m);
}
END_TEST

/* docs/layers/dense.md works this example by hand; the engine must agree. */
START_TEST(test_dense_hand_example)
{
    SlError e;
    SlModel *m = tu_one_layer("Dense", "2", sl_shape_of(2, (int[]){1, 2}), &e);
    ck_assert(m && sl_model_ensure_params(m, &e) == 0);
    sl_real W[4] = {0.5, -1, 0.25, 2}, b[2] = {(sl_real)0.1, 0}, x[2] = {1, 2}, dy[2] = {1, 1};
    memcpy(m->params[0]->value.data, W, sizeof W);
    memcpy(m->params[1]->value.data, b, sizeof b);
    SlTensor in = sl_tensor(sl_shape_of(2, (int[]){1, 2}), x);
    ck_assert(sl_model_forward(m, &in, 0, &e) == 0);
    sl_real y[2] = {(sl_real)1.1, 3}, dW[4] = {1, 1, 2, 2}, db[2] = {1, 1}, dx[2] = {-0.5, 2.25};
    tu_assert_close("y", sl_model_output(m, 0).data, y, 2);
    SlTensor g = sl_tensor(sl_shape_of(2, (int[]){1, 2}), dy);
    ck_assert(sl_model_backward(m, &g, 0, &e) == 0);
    tu_assert_close("dW", m->params[0]->grad.data, dW, 4);
    tu_assert_close("db", m->params[1]->grad.data, db, 2);
    tu_assert_close("dx", sl_model_input_grad(m, 0).data, dx, 2);
    sl_model_free(m);
}
END_TEST

/* docs/layers/activation.md works these by hand: PReLU's slopes and ReLU's options. */
START_TEST(test_activation_hand_example)
{
    SlError e;
    SlShape s = sl_shape_of(2, (int[]){2, 2});
    SlModel *m = tu_one_layer("PReLU", "", s, &e);
    ck_assert_msg(m && sl_model_ensure_params(m, &e) == 0, "%s", e.msg);
    sl_real alpha[2] = {0.25, -0.5}, x[4] = {-2, 1, 3, -0.5}, ones[4] = {1, 1, 1, 1};
    memcpy(m->params[0]->value.data, alpha, sizeof alpha);
    SlTensor in = sl_tensor(s, x), dy = sl_tensor(s, ones);
    ck_assert(sl_model_forward(m, &in, 0, &e) == 0 && sl_model_backward(m, &dy, 0, &e) == 0);
    sl_real y[4] = {-0.5, 1, 3, 0.25}, dx[4] = {0.25, 1, 1, -0.5}, da[2] = {-2, -0.5};
    tu_assert_close("PReLU y", sl_model_output(m, 0).data, y, 4);
    tu_assert_close("PReLU dx", sl_model_input_grad(m, 0).data, dx, 4);
    tu_assert_close("PReLU dalpha", m->params[0]->grad.data, da, 2);
    sl_model_free(m);
    s = sl_shape_of(2, (int[]){1, 4});
    m = tu_one_layer("ReLU", "max_value=1.0, negative_slope=0.1, threshold=0.2", s, &e);
    ck_assert_msg(m != NULL, "%s", e.msg);
    sl_real xr[4] = {-1, 0.1, 0.5, 2}, yr[4] = {-0.12, -0.01, 0.5, 1}, dr[4] = {0.1, 0.1, 1, 0};
    in = sl_tensor(s, xr), dy = sl_tensor(s, ones);
    ck_assert(sl_model_forward(m, &in, 0, &e) == 0 && sl_model_backward(m, &dy, 0, &e) == 0);
    tu_assert_close("ReLU y", sl_model_output(m, 0).data, yr, 4);
    tu_assert_close("ReLU dx", sl_model_input_grad(m, 0).data, dr, 4);
    sl_model_free(m);
}
END_TEST

/* The activation layers in a model written as a learner writes it; Keras's figures, worked by
 * hand from build(): Conv2D(8, 3) on 12x12x1 has 3*3*1*8 + 8 = 80 weights and gives (10, 10, 8);
 * PReLU(shared_axes=[1, 2]) has one slope per channel, (1, 1, 8): 8; a PReLU() after Dense(16)
 * one per feature: 16; ReLU, LeakyReLU, ELU, Softmax and Flatten none; Dense(16) on
 * 10*10*8 = 800 features 800*16 + 16 = 12816, Dense(3) 16*3 + 3 = 51. */
START_TEST(test_activation_summary)
{
    static const char text[] = "from tensorflow import keras\n"
                               "from tensorflow.keras import layers\n"
                               "model = keras.Sequential([\n"
                               "    layers.Conv2D(8, 3, input_shape=(12, 12, 1)),\n"
                               "    layers.PReLU(shared_axes=[1, 2]),\n"
                               "    layers.ReLU(max_value=6.0),\n"
                               "    layers.Flatten(),\n"
                               "    layers.Dense(16),\n"
                               "    layers.PReLU(),\n"
                               "    layers.LeakyReLU(negative_slope=0.1),\n"
                               "    layers.ELU(),\n"
                               "    layers.Dense(3),\n"
                               "    layers.Softmax(axis=-1),\n"
                               "])\n";
    char *buf = tu_script_summary("activations.py", text);
    ck_assert_str_eq(buf, "Model: \"sequential\"\n"
                          "_________________________________________________________________\n"
                          "Layer (type)                 Output Shape              Param #   \n"
                          "=================================================================\n"
                          "conv2d (Conv2D)              (None, 10, 10, 8)         80        \n"
                          "_________________________________________________________________\n"
                          "p_re_lu (PReLU)              (None, 10, 10, 8)         8         \n"
                          "_________________________________________________________________\n"
                          "re_lu (ReLU)                 (None, 10, 10, 8)         0         \n"
                          "_________________________________________________________________\n"
                          "flatten (Flatten)            (None, 800)               0         \n"
                          "_________________________________________________________________\n"
                          "dense (Dense)                (None, 16)                12816     \n"
                          "_________________________________________________________________\n"
                          "p_re_lu_1 (PReLU)            (None, 16)                16        \n"
                          "_________________________________________________________________\n"
                          "leaky_re_lu (LeakyReLU)      (None, 16)                0         \n"
                          "_________________________________________________________________\n"
                          "elu (ELU)                    (None, 16)                0         \n"
                          "_________________________________________________________________\n"
                          "dense_1 (Dense)              (None, 3)                 51        \n"
                          "_________________________________________________________________\n"
                          "softmax (Softmax)            (None, 3)                 0         \n"
                          "=================================================================\n"
                          "Total params: 12,971\n"
                          "Trainable params: 12,971\n"
                          "Non-trainable params: 0\n"
                          "_________________________________________________________________\n");
    free(buf);
}
END_TEST

START_TEST(test_notices_accumulate)
{
    SlError e;
    SlLayer *l = sl_layer("Dropout", "0.5, seed=12345678901234, input_shape=(4,)",
                          &e); /* a seed, not a size */
    ck_assert(l != NULL);
    ck_assert_msg(strstr(l->notice, "input_shape=(4,) is the Keras 2 spelling") &&
                      strstr(l->notice, "seed=...) is accepted but not used"),
                  "%s", l->notice);
    sl_layer_free(l);
}
END_TEST

/* What the user wrote as a keyword, not a default nor a positional argument; a twin's set one. */
START_TEST(test_arg_given)
{
    SlError e;
    SlLayer *l = sl_layer("LSTM", "4, recurrent_activation='sigmoid'", &e);
    ck_assert_msg(l != NULL, "%s", e.msg);
    ck_assert(sl_layer_arg_given(l, "recurrent_activation"));
    ck_assert(!sl_layer_arg_given(l, "units") && !sl_layer_arg_given(l, "activation"));
    SlLayer *twin = sl_layer_twin(l, "twin", "go_backwards", 1, &e);
    ck_assert_msg(twin != NULL, "%s", e.msg);
    ck_assert(sl_layer_arg_given(twin, "go_backwards") && sl_layer_arg_given(twin, "name"));
    ck_assert(!sl_layer_arg_given(l, "go_backwards"));
    sl_layer_free(twin);
    sl_layer_free(l);
}
END_TEST

/* SpatialDropout drops whole channels: on an input of ones, each (sample, channel) is 0 at every
 * pixel or 1/(1 - rate) at every pixel, and about `rate` of them are 0. GaussianNoise's and
 * GaussianDropout's noise has the mean and spread they promise; all four are the identity in
 * inference. */
START_TEST(test_noise_statistics)
{
    SlError e;
    static sl_real ones[8 * 5 * 5 * 40];
    for (size_t i = 0; i < sizeof ones / sizeof ones[0]; i++)
        ones[i] = 1;
    const struct {
        const char *type, *args;
        int rank, dims[4];
    } cases[] = {{"SpatialDropout2D", "0.5", 4, {8, 5, 5, 40}},
                 {"SpatialDropout1D", "0.25", 3, {8, 25, 40}},
                 {"GaussianNoise", "0.3", 3, {8, 25, 40}},
                 {"GaussianDropout", "0.2", 3, {8, 25, 40}}};
    for (int k = 0; k < 4; k++) {
        SlShape s = sl_shape_of(cases[k].rank, cases[k].dims);
        sl_clear_session();
        SlModel *m = tu_one_layer(cases[k].type, cases[k].args, s, &e);
        ck_assert_msg(m != NULL, "%s", e.msg);
        SlTensor x = sl_tensor(s, ones);
        ck_assert(sl_model_forward(m, &x, 0, &e) == 0);
        ck_assert(tu_mismatch(sl_model_output(m, 0).data, ones, 8000, 0, 0) < 0);
        sl_model_seed_rng(m, 5);
        ck_assert(sl_model_forward(m, &x, 1, &e) == 0);
        const sl_real *y = sl_model_output(m, 0).data;
        double rate = strtod(cases[k].args, NULL), sum = 0, sq = 0;
        if (k < 2) {
            int dropped = 0;
            for (int b = 0; b < 8; b++)
                for (int c = 0; c < 40; c++) {
                    sl_real first = y[b * 1000 + c];
                    ck_assert(first == 0 || fabs(first - 1 / (1 - rate)) < 1e-6);
                    for (int p = 1; p < 25; p++)
                        ck_assert_msg(y[b * 1000 + p * 40 + c] == first,
                                      "%s: channel %d of sample %d differs at pixel %d",
                                      cases[k].type, c, b, p);
                    dropped += first == 0;
                }
            ck_assert_msg(fabs(dropped / 320.0 - rate) < 0.1, "%s dropped %d of 320", cases[k].type,
                          dropped);
        } else {
            for (int i = 0; i < 8000; i++)
                sum += y[i] - 1, sq += (y[i] - 1) * (y[i] - 1);
            double want = k == 2 ? rate : sqrt(rate / (1 - rate)), sd = sqrt(sq / 8000);
            ck_assert_msg(fabs(sum / 8000) < 0.05 && fabs(sd - want) < 0.05 * want,
                          "%s: noise mean %g, stddev %g (want 0, %g)", cases[k].type, sum / 8000,
                          sd, want);
        }
        sl_model_free(m);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("layers");
    TCase *tc = tcase_create("pytorch fixtures");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_fixture, 0, N_FIXTURES);
    suite_add_tcase(s, tc);
#ifdef SL_DOUBLE
    tc = tcase_create("gradient checks");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_gradcheck, 0, N_GC);
    tcase_add_test(tc, test_gradcheck_catches_a_bug);
    tcase_add_test(tc, test_gradcheck_zero_guard);
    suite_add_tcase(s, tc);
#endif
    tc = tcase_create("errors and sentences");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, test_shape_error, 0, N_SHAPE_ERRORS);
    tcase_add_loop_test(tc, test_arg_error, 0, N_ARG_ERRORS);
    tcase_add_test(tc, test_explain_sentences);
    tcase_add_test(tc, test_noise_statistics);
    tcase_add_test(tc, test_arg_given);
    tcase_add_test(tc, test_dense_hand_example);
    tcase_add_test(tc, test_notices_accumulate);
    tcase_add_test(tc, test_activation_hand_example);
    tcase_add_test(tc, test_activation_summary);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
