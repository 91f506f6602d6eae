/* check_norm.c: the normalization family (LayerNormalization) against PyTorch's numbers, its
 * gradient checks, its shape and argument errors, the worked example of docs/layers/norm.md,
 * Keras's summary figures, and the facts it declares (masks pass, the steps mix over axis 1).
 *
 * Fixtures are tests/fixtures/norm_*.safetensors, written by tools/make_norm_fixtures.py in the
 * format check_layers.c describes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script/script.h"
#include "testutil.h"

static const char *const fixtures[] = {
    "norm_layer_norm_last",
    "norm_layer_norm_2d_eps",
    "norm_layer_norm_axis1",
    "norm_layer_norm_two_last",
    "norm_layer_norm_middle_axes",
    "norm_layer_norm_whole_sample",
    "norm_layer_norm_positional_beta_only",
    "norm_layer_norm_gamma_only",
    "norm_layer_norm_no_weights",
    "norm_layer_norm_rms_scaling",
    "norm_layer_norm_rms_scaling_axis1",
};
enum { N_FIXTURES = sizeof fixtures / sizeof fixtures[0] };

START_TEST(test_fixture)
{
    tu_check_layer_fixture(fixtures[_i]);
}
END_TEST

#ifdef SL_DOUBLE
/* Gradient checks in double. gamma and beta start from glorot_uniform, not ones and zeros, so a
 * backward that forgot gamma in dx (g = dy * gamma) or mixed up gamma's positions would fail. */
#define RANDOM_WEIGHTS "gamma_initializer='glorot_uniform', beta_initializer='glorot_uniform'"
static const struct {
    const char *args;
    int rank, dims[SL_MAX_RANK];
    int training;
} gc_cases[] = {
    {RANDOM_WEIGHTS, 3, {2, 3, 5}, 0},
    {RANDOM_WEIGHTS, 3, {2, 3, 5}, 1},
    {"epsilon=1e-5, " RANDOM_WEIGHTS, 2, {3, 6}, 0},
    {"axis=1, " RANDOM_WEIGHTS, 3, {2, 4, 3}, 0},
    {"axis=[1, 2], " RANDOM_WEIGHTS, 3, {2, 3, 4}, 0},
    {"axis=[-2, -1], " RANDOM_WEIGHTS, 4, {2, 2, 3, 4}, 0},
    {"axis=2, " RANDOM_WEIGHTS, 4, {2, 2, 3, 2}, 0},
    {"axis=(1, 2), " RANDOM_WEIGHTS, 4, {2, 3, 2, 4}, 0},
    {"center=False, scale=False", 3, {2, 3, 4}, 0},
    {"axis=1, center=False, scale=False", 3, {2, 4, 3}, 0},
    {"center=False, gamma_initializer='glorot_uniform'", 3, {2, 3, 4}, 0},
    {"scale=False, beta_initializer='glorot_uniform'", 3, {2, 3, 4}, 0},
    {"rms_scaling=True, gamma_initializer='glorot_uniform'", 3, {2, 3, 5}, 0},
    {"axis=1, rms_scaling=True, gamma_initializer='glorot_uniform'", 3, {2, 4, 3}, 0},
};
enum { N_GC = sizeof gc_cases / sizeof gc_cases[0] };

START_TEST(test_gradcheck)
{
    SlShape s = sl_shape_of(gc_cases[_i].rank, gc_cases[_i].dims);
    tu_gradcheck_layer("LayerNormalization", gc_cases[_i].args, s, gc_cases[_i].training,
                       301 + (uint64_t)_i);
}
END_TEST
#endif

/* Shape errors: each names the layer, the input and what to change. */
static const TuShapeError shape_errors[] = {
    {"LayerNormalization",
     "axis=3",
     3,
     {SL_NONE, 10, 32},
     {"layer 'layer_normalization' (LayerNormalization)", "axis 3 (axis=3)", "(None, 10, 32)",
      "axes 1 to 2 (or -2 to -1)"}},
    {"LayerNormalization",
     "axis=-3",
     2,
     {SL_NONE, 32},
     {"axis -3 (axis=-3)", "(None, 32)", "axes 1 (or -1)", ""}},
    {"LayerNormalization",
     "axis=[1, 5]",
     3,
     {SL_NONE, 4, 5},
     {"axis 5 (axis=[1, 5])", "(None, 4, 5)", "", ""}},
    {"LayerNormalization",
     "axis=0",
     3,
     {SL_NONE, 10, 32},
     {"names axis 0, the batch", "within each sample", "1 to 2 (or -2 to -1)", ""}},
    {"LayerNormalization",
     "axis=[-1, 1]",
     2,
     {SL_NONE, 4},
     {"names axis 1 twice", "(None, 4)", "list each axis once", ""}},
    {"LayerNormalization",
     "axis=[1, 3]",
     4,
     {SL_NONE, 4, 5, 6},
     {"axes side by side", "not support that yet", "Permute", "(None, 4, 5, 6)"}},
    {"LayerNormalization",
     "",
     3,
     {SL_NONE, 10, SL_NONE},
     {"a known size on axis 2 (axis=-1)", "(None, 10, None)", "give them in the input shape", ""}},
};
enum { N_SHAPE_ERRORS = sizeof shape_errors / sizeof shape_errors[0] };

START_TEST(test_shape_error)
{
    tu_check_shape_error(&shape_errors[_i]);
}
END_TEST

/* Arguments: what Keras accepts and shapelab cannot do yet is refused by name. */
static const TuArgError arg_errors[] = {
    {"LayerNormalization", "gamma_regularizer='l1_l2'", "'l1_l2' is not a name Keras 3 knows"},
    {"LayerNormalization", "beta_regularizer=l3(0.1)",
     "unknown regularizer 'l3' for argument 'beta_regularizer'"},
    {"LayerNormalization", "beta_constraint='nonneg'",
     "unknown constraint 'nonneg' for argument 'beta_constraint'"},
    {"LayerNormalization", "gamma_constraint=max_norm(axis='x')",
     "gamma_constraint: MaxNorm: argument 'axis' must be an integer or a tuple of integers"},
    {"LayerNormalization", "gamma_initializer='onez'",
     "unknown initializer 'onez' for argument 'gamma_initializer'"},
    {"LayerNormalization", "epsilon=-1e-3", "must be 0 or more"},
    {"LayerNormalization", "axis=[]", "axis needs 1 to 4 axes"},
    {"LayerNormalization", "axis='last'", "argument 'axis' must be an integer or a tuple"},
    {"LayerNormalization", "-1, 1e-3, True, True, 'zeros', 'ones', None, None, None, None, False",
     "at most 10 positional arguments"},
    {"LayerNormalization", "momentum=0.9", "unknown keyword argument 'momentum'"},
    /* the rms_scaling notice points to it */
    {"RMSNormalization", "", "RMSNormalization is not implemented yet"},
};
enum { N_ARG_ERRORS = sizeof arg_errors / sizeof arg_errors[0] };

START_TEST(test_arg_error)
{
    tu_check_arg_error(&arg_errors[_i]);
}
END_TEST

/* A one-layer model on `in`, its weights set from gamma and beta (NULL: the layer has none). */
static SlModel *layer_norm_model(const char *args, SlShape in, const sl_real *gamma,
                                 const sl_real *beta)
{
    SlError e;
    sl_clear_session();
    SlModel *m = tu_one_layer("LayerNormalization", args, in, &e);
    ck_assert_msg(m != NULL, "%s", e.msg);
    ck_assert_msg(sl_model_ensure_params(m, &e) == 0, "%s", e.msg);
    for (int i = 0; i < m->n_params; i++) {
        SlParam *p = m->params[i];
        const sl_real *v = strstr(p->name, "gamma") ? gamma : beta;
        ck_assert_ptr_nonnull(v);
        memcpy(p->value.data, v, sl_shape_count(&p->shape) * sizeof *v);
    }
    return m;
}

/* docs/layers/norm.md works this example by hand (epsilon=0 keeps the numbers exact): x = [1, 1,
 * 3, 3] has mean 2 and variance 1, so xhat = [-1, -1, 1, 1]. */
START_TEST(test_hand_example)
{
    SlError e;
    SlShape in = sl_shape_of(2, (int[]){1, 4});
    sl_real gamma[4] = {1, 2, 1, 2}, beta[4] = {0, 0, 0.5, 0.5};
    SlModel *m = layer_norm_model("epsilon=0", in, gamma, beta);
    sl_real x[4] = {1, 1, 3, 3}, dy[4] = {1, 0, 0, 1};
    SlTensor t = sl_tensor(in, x);
    ck_assert(sl_model_forward(m, &t, 0, &e) == 0);
    sl_real y[4] = {-1, -2, 1.5, 2.5};
    tu_assert_close("y", sl_model_output(m, 0).data, y, 4);
    SlTensor g = sl_tensor(in, dy);
    ck_assert(sl_model_backward(m, &g, 0, &e) == 0);
    sl_real dx[4] = {0.5, -0.5, -1, 1}, dgamma[4] = {-1, 0, 0, 1}, dbeta[4] = {1, 0, 0, 1};
    tu_assert_close("dx", sl_model_input_grad(m, 0).data, dx, 4);
    tu_assert_close("dgamma", m->params[0]->grad.data, dgamma, 4);
    tu_assert_close("dbeta", m->params[1]->grad.data, dbeta, 4);
    sl_model_free(m);
}
END_TEST

/* Keras's own test_output and test_output_with_rms_scaling: x = [0, 1, 2, 3, 4], the default
 * epsilon 1e-3, gamma = beta = 1 (rms_scaling has no beta). Keras prints 5 digits. */
START_TEST(test_keras_test_figures)
{
    SlError e;
    SlShape in = sl_shape_of(2, (int[]){1, 5});
    sl_real ones[5] = {1, 1, 1, 1, 1}, x[5] = {0, 1, 2, 3, 4};
    SlTensor t = sl_tensor(in, x);
    const struct {
        const char *args;
        double want[5];
    } cases[] = {
        {"", {-0.41386, 0.29307, 1.0, 1.70693, 2.41386}},
        {"rms_scaling=True", {0.0, 0.70693, 1.41386, 2.12079, 2.82772}},
    };
    for (int k = 0; k < 2; k++) {
        SlModel *m = layer_norm_model(cases[k].args, in, ones, ones);
        ck_assert(sl_model_forward(m, &t, 0, &e) == 0);
        sl_real want[5];
        for (int i = 0; i < 5; i++)
            want[i] = (sl_real)cases[k].want[i];
        ck_assert_msg(tu_mismatch(sl_model_output(m, 0).data, want, 5, 0, 1e-5) < 0, "%s",
                      cases[k].args);
        sl_model_free(m);
    }
}
END_TEST

/* The sentence, formula and note of each configuration, as summary --explain and trace show them. */
START_TEST(test_explain_and_formula)
{
    static const struct {
        const char *args;
        int rank, dims[SL_MAX_RANK];
        const char *why, *formula, *note;
    } cases[] = {
        {"",
         3,
         {SL_NONE, 10, 32},
         "LayerNormalization brings each vector of the last axis (32 values) to mean 0 and "
         "variance "
         "1, then scales by gamma and shifts by beta: the shape stays (None, 10, 32)",
         "2*32 = 64",
         "gamma (scale) and beta (offset), one of each per normalized value"},
        {"axis=[1, 2]",
         3,
         {SL_NONE, 10, 32},
         "LayerNormalization brings all 10*32 values of each sample to mean 0 and variance 1, then "
         "scales by gamma and shifts by beta: the shape stays (None, 10, 32)",
         "2*(10*32) = 640",
         "gamma (scale) and beta (offset), one of each per normalized value"},
        {"axis=1, center=False",
         3,
         {SL_NONE, 10, 32},
         "LayerNormalization brings the 10 values along axis 1 to mean 0 and variance 1 (one group "
         "per position of the other axes), then scales by gamma: the shape stays (None, 10, 32)",
         "10 = 10",
         "gamma (scale) only: center=False leaves out beta"},
        {"scale=False",
         2,
         {SL_NONE, 8},
         "LayerNormalization brings all 8 values of each sample to mean 0 and variance 1, then "
         "shifts by beta: the shape stays (None, 8)",
         "8 = 8",
         "beta (offset) only: scale=False leaves out gamma"},
        {"center=False, scale=False",
         3,
         {SL_NONE, 10, 32},
         "LayerNormalization brings each vector of the last axis (32 values) to mean 0 and "
         "variance "
         "1: the shape stays (None, 10, 32)",
         "no weights: 0",
         ""},
        {"rms_scaling=True",
         3,
         {SL_NONE, 10, 32},
         "LayerNormalization(rms_scaling=True) divides each vector of the last axis (32 values) by "
         "their standard deviation, without centring, then scales by gamma: the shape stays "
         "(None, 10, 32)",
         "32 = 32",
         "gamma only: rms_scaling=True has no beta"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        SlError e;
        sl_clear_session();
        SlModel *m = tu_one_layer("LayerNormalization", cases[k].args,
                                  sl_shape_of(cases[k].rank, cases[k].dims), &e);
        ck_assert_msg(m != NULL, "%s", e.msg);
        const SlLayer *l = m->layers[1];
        char f[256], note[256];
        l->type->formula(l, f, sizeof f);
        l->type->note(l, note, sizeof note);
        ck_assert_str_eq(m->nodes[1].why, cases[k].why);
        ck_assert_str_eq(f, cases[k].formula);
        ck_assert_str_eq(note, cases[k].note);
        sl_model_free(m);
    }
}
END_TEST

/* The summary of a model written as a learner writes it, as `shapelab summary` prints it. */
static char *summary_of(const char *text)
{
    static const SlScriptOptions quiet;
    char *buf = NULL;
    size_t len = 0;
    SlError e;
    sl_clear_session();
    SlScript *s = sl_script_run_text("model.py", text, strlen(text), &quiet, &e);
    ck_assert_msg(s != NULL, "%s", e.msg);
    SlModel *m = sl_script_model(s, &e);
    ck_assert_msg(m != NULL, "%s", e.msg);
    FILE *f = open_memstream(&buf, &len);
    ck_assert_msg(sl_model_summary(m, sl_script_summary_width(s), f, &e) == 0, "%s", e.msg);
    fclose(f);
    sl_script_free(s);
    return buf;
}

/* Keras's figures, worked by hand from build(): gamma and beta each have the shape of the
 * normalized axes, (32,) here, so 2*32 = 64; on an LSTM's 64 units, 2*64 = 128; over axes 1 and
 * 2 of (None, 10, 16), 2*(10*16) = 320. (tf.keras 2's table cuts a long name at its column.) */
static const struct {
    const char *script, *want;
} goldens[] = {
    {"import keras\n"
     "from keras import layers\n"
     "\n"
     "inputs = keras.Input(shape=(10, 32))\n"
     "outputs = layers.LayerNormalization()(inputs)\n"
     "model = keras.Model(inputs, outputs)\n"
     "model.summary()\n",
     "Model: \"model\"\n"
     "_________________________________________________________________\n"
     "Layer (type)                 Output Shape              Param #   \n"
     "=================================================================\n"
     "input_1 (InputLayer)         [(None, 10, 32)]          0         \n"
     "_________________________________________________________________\n"
     "layer_normalization (LayerNo (None, 10, 32)            64        \n"
     "rmalization)                                                     \n"
     "=================================================================\n"
     "Total params: 64\n"
     "Trainable params: 64\n"
     "Non-trainable params: 0\n"
     "_________________________________________________________________\n"},
    {"from keras.models import Sequential\n"
     "from keras.layers import LSTM, Dense, LayerNormalization\n"
     "\n"
     "model = Sequential()\n"
     "model.add(LSTM(64, return_sequences=True, input_shape=(10, 8)))\n"
     "model.add(LayerNormalization())\n"
     "model.add(Dense(16))\n"
     "model.add(LayerNormalization(axis=[1, 2], epsilon=1e-5))\n",
     "Model: \"sequential\"\n"
     "_________________________________________________________________\n"
     "Layer (type)                 Output Shape              Param #   \n"
     "=================================================================\n"
     "lstm (LSTM)                  (None, 10, 64)            18688     \n"
     "_________________________________________________________________\n"
     "layer_normalization (LayerNo (None, 10, 64)            128       \n"
     "rmalization)                                                     \n"
     "_________________________________________________________________\n"
     "dense (Dense)                (None, 10, 16)            1040      \n"
     "_________________________________________________________________\n"
     "layer_normalization_1 (Layer (None, 10, 16)            320       \n"
     "Normalization)                                                   \n"
     "=================================================================\n"
     "Total params: 20,176\n"
     "Trainable params: 20,176\n"
     "Non-trainable params: 0\n"
     "_________________________________________________________________\n"},
};
enum { N_GOLDENS = sizeof goldens / sizeof goldens[0] };

START_TEST(test_summary_golden)
{
    char *s = summary_of(goldens[_i].script);
    ck_assert_str_eq(s, goldens[_i].want);
    free(s);
}
END_TEST

/* Weight names and layouts are Keras's: layer_normalization/gamma then /beta, shaped like the
 * normalized axes, starting at ones and zeros. */
START_TEST(test_weight_names)
{
    SlError e;
    sl_clear_session();
    SlModel *m = tu_one_layer("LayerNormalization", "axis=[-2, -1]",
                              sl_shape_of(4, (int[]){SL_NONE, 5, 3, 4}), &e);
    ck_assert_msg(m != NULL, "%s", e.msg);
    ck_assert(sl_model_init_params(m, 1, &e) == 0);
    ck_assert_int_eq(m->n_params, 2);
    ck_assert_str_eq(m->param_names[0], "layer_normalization/gamma");
    ck_assert_str_eq(m->param_names[1], "layer_normalization/beta");
    for (int k = 0; k < 2; k++) {
        const SlParam *p = m->params[k];
        ck_assert_int_eq(p->shape.rank, 2);
        ck_assert_int_eq(p->shape.dim[0], 3);
        ck_assert_int_eq(p->shape.dim[1], 4);
        for (int i = 0; i < 12; i++)
            ck_assert(p->value.data[i] == (k == 0 ? 1 : 0));
    }
    sl_model_free(m);
}
END_TEST

/* Positional arguments bind in Keras 3's order: axis, epsilon, center, scale; rms_scaling only
 * by keyword, with Keras's deprecation warning as a notice. */
START_TEST(test_arguments)
{
    SlError e;
    SlLayer *l = sl_layer("LayerNormalization", "1, 0.01, False, True", &e);
    ck_assert_msg(l != NULL, "%s", e.msg);
    ck_assert_str_eq(l->notice, "");
    sl_layer_free(l);
    l = sl_layer("LayerNormalization", "rms_scaling=True", &e);
    ck_assert_msg(l != NULL, "%s", e.msg);
    ck_assert_msg(strstr(l->notice, "deprecated in Keras 3") &&
                      strstr(l->notice, "keras.layers.RMSNormalization"),
                  "%s", l->notice);
    sl_layer_free(l);
}
END_TEST

/* A shared layer keeps the shape it was built for. */
START_TEST(test_shared_layer_other_shape)
{
    static const SlScriptOptions quiet;
    const char *text = "import keras\n"
                       "from keras import layers\n"
                       "norm = layers.LayerNormalization()\n"
                       "a = keras.Input(shape=(5, 8))\n"
                       "b = keras.Input(shape=(5, 6))\n"
                       "model = keras.Model([a, b], [norm(a), norm(b)])\n";
    SlError e;
    sl_clear_session();
    SlScript *s = sl_script_run_text("shared.py", text, strlen(text), &quiet, &e);
    ck_assert(s == NULL);
    ck_assert_msg(strstr(e.msg, "layer 'layer_normalization'") && strstr(e.msg, "(8,)") &&
                      strstr(e.msg, "(None, 5, 6)") && strstr(e.msg, "a new layer"),
                  "%s", e.msg);
}
END_TEST

/* Masks pass through, as Keras's supports_masking: every step is normalized on its own. */
START_TEST(test_mask_passes)
{
    SlError e;
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    ck_assert(sl_model_add(m, sl_layer("InputLayer", "shape=(6, 3)", &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("Masking", "", &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("LayerNormalization", "", &e), &e) == 0);
    ck_assert_msg(sl_model_add(m, sl_layer("LSTM", "2", &e), &e) == 0, "%s", e.msg);
    ck_assert(m->nodes[2].sym.in_mask[0]);
    ck_assert_int_eq(m->nodes[2].sym.out_mask[0], SL_MASK_PASS);
    ck_assert(m->nodes[3].sym.in_mask[0]);
    sl_model_free(m);
}
END_TEST

/* The steps fact follows the axes: over the features, a causal stack's receptive field passes
 * through (and the gradient agrees: output step t reads no later input step); over axis 1, it
 * ends at the normalization, where every step reaches every output step. */
START_TEST(test_steps_fact)
{
    SlError e;
    for (int over_steps = 0; over_steps < 2; over_steps++) {
        sl_clear_session();
        SlModel *m = sl_sequential(NULL);
        ck_assert(sl_model_add(m, sl_layer("InputLayer", "batch_shape=(1, 8, 1)", &e), &e) == 0);
        ck_assert(sl_model_add(m, sl_layer("Conv1D", "3, 2, padding='causal'", &e), &e) == 0);
        ck_assert(sl_model_add(m, sl_layer("LayerNormalization", over_steps ? "axis=1" : "", &e),
                               &e) == 0);
        ck_assert(sl_model_add(m, sl_layer("Conv1D", "1, 2, padding='causal'", &e), &e) == 0);
        SlReceptive r;
        ck_assert_msg(sl_receptive_field(m, &r, &e) == 0, "%s", e.msg);
        ck_assert_int_eq(m->layers[2]->steps, over_steps ? SL_STEPS_ALL : SL_STEPS_EACH);
        ck_assert_int_eq(r.ended_at, over_steps ? 2 : -1);
        ck_assert_int_eq(r.n, over_steps ? 1 : 2);
        /* The gradient of output step 0 reaches input step 7 only across the steps. */
        ck_assert(sl_model_init_params(m, 3, &e) == 0);
        SlRng rng = sl_rng(4);
        sl_real x[8], dy[8] = {1};
        SlTensor xt = sl_tensor(sl_shape_of(3, (int[]){1, 8, 1}), x);
        sl_gradcheck_fill_input(&xt, &rng);
        ck_assert(sl_model_forward(m, &xt, 0, &e) == 0);
        SlTensor g = sl_tensor(sl_shape_of(3, (int[]){1, 8, 1}), dy);
        ck_assert(sl_model_backward(m, &g, 0, &e) == 0);
        ck_assert_int_eq(sl_model_input_grad(m, 0).data[7] != 0, over_steps);
        sl_model_free(m);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("norm");
    TCase *tc = tcase_create("pytorch fixtures");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_fixture, 0, N_FIXTURES);
    suite_add_tcase(s, tc);
#ifdef SL_DOUBLE
    tc = tcase_create("gradient checks");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_gradcheck, 0, N_GC);
    suite_add_tcase(s, tc);
#endif
    tc = tcase_create("errors, sentences, figures");
    tcase_set_timeout(tc, 20);
    tcase_add_loop_test(tc, test_shape_error, 0, N_SHAPE_ERRORS);
    tcase_add_loop_test(tc, test_arg_error, 0, N_ARG_ERRORS);
    tcase_add_test(tc, test_hand_example);
    tcase_add_test(tc, test_keras_test_figures);
    tcase_add_test(tc, test_explain_and_formula);
    tcase_add_loop_test(tc, test_summary_golden, 0, N_GOLDENS);
    tcase_add_test(tc, test_weight_names);
    tcase_add_test(tc, test_arguments);
    tcase_add_test(tc, test_shared_layer_other_shape);
    tcase_add_test(tc, test_mask_passes);
    tcase_add_test(tc, test_steps_fact);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
