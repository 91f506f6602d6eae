/* check_batchnorm.c: BatchNormalization, the normalization with state and two modes.
 *
 *   1. PyTorch's numbers (tests/fixtures/norm_batch_norm_*.safetensors, written by
 *      tools/make_norm_fixtures.py): the output, the input gradient, gamma's and beta's gradients,
 *      and the moving statistics after the pass (updated in training, untouched in inference);
 *   2. gradient checks in double, in both modes, through a mask and on a frozen layer;
 *   3. the state: fit updates the moving statistics by Keras's rule, batch by batch; predict,
 *      evaluate and the gradient checker leave them alone; trainable=False freezes all four;
 *      save and load carry them under Keras's names;
 *   4. shape and argument errors, the sentence, formula and note, the worked example of
 *      docs/layers/norm.md, the summaries (Non-trainable params);
 *   5. a U-Net and a ResNet-style model with BatchNormalization (tests/scripts/models/unet.py,
 *      resnet_bn.py), written as a learner would: summary counted by hand, training to under half
 *      the first loss, gradient check.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script/script.h"
#include "testutil.h"

/* ---- 1. PyTorch fixtures ---- */

static const char *const fixtures[] = {
    "norm_batch_norm_dense_train",      "norm_batch_norm_dense_infer",
    "norm_batch_norm_seq_train",        "norm_batch_norm_image_train",
    "norm_batch_norm_image_infer",      "norm_batch_norm_axis1_train",
    "norm_batch_norm_positional",       "norm_batch_norm_beta_only_infer",
    "norm_batch_norm_no_weights_train", "norm_batch_norm_masked_train",
    "norm_batch_norm_masked_infer",
};
enum { N_FIXTURES = sizeof fixtures / sizeof fixtures[0] };

/* Input (shape in), Masking() when `masked`, then BatchNormalization(args). */
static SlModel *bn_model(const char *args, SlShape in, int masked)
{
    SlError e;
    char shape[128], dims[96];
    snprintf(shape, sizeof shape, "batch_shape=%s", sl_shape_str(&in, dims, sizeof dims));
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    ck_assert(sl_model_add(m, sl_layer("InputLayer", shape, &e), &e) == 0);
    if (masked)
        ck_assert(sl_model_add(m, sl_layer("Masking", "", &e), &e) == 0);
    ck_assert_msg(sl_model_add(m, sl_layer("BatchNormalization", args, &e), &e) == 0, "%s", e.msg);
    ck_assert_msg(sl_model_ensure_params(m, &e) == 0, "%s", e.msg);
    return m;
}

/* The model's weight `name` (below the layer: "moving_mean"), or NULL. */
static SlParam *param(const SlModel *m, const char *name)
{
    for (int i = 0; i < m->n_params; i++)
        if (!strcmp(m->params[i]->name, name))
            return m->params[i];
    return NULL;
}

START_TEST(test_fixture)
{
    const char *name = fixtures[_i];
    SlSafetensors st;
    SlError e;
    ck_assert_msg(sl_st_read(&st, tu_fixture(name), &e) == 0, "%s", e.msg);
    int training = atoi(sl_st_meta(&st, "training"));
    SlShape xs, ys;
    sl_real *x = tu_st_load(&st, "x", &xs), *y = tu_st_load(&st, "y", &ys);
    sl_real *dy = tu_st_load(&st, "dy", NULL), *dx = tu_st_load(&st, "dx", NULL);
    SlModel *m = bn_model(sl_st_meta(&st, "args"), xs, atoi(sl_st_meta(&st, "masked")));
    for (int i = 0; i < m->n_params; i++) { /* every weight, the moving statistics too */
        SlParam *p = m->params[i];
        ck_assert_msg(sl_st_get(&st, p->name, p->value.data, sl_shape_count(&p->shape), NULL, &e) ==
                          0,
                      "%s: %s", name, e.msg);
    }
    SlTensor in = sl_tensor(xs, x);
    ck_assert_msg(sl_model_forward(m, &in, training, &e) == 0, "%s: %s", name, e.msg);
    tu_assert_close("y", sl_model_output(m, 0).data, y, sl_shape_count(&ys));
    const char *moving[] = {"moving_mean", "moving_variance"};
    for (int k = 0; k < 2; k++) {
        char after[64];
        snprintf(after, sizeof after, "after/%s", moving[k]);
        sl_real *want = tu_st_load(&st, after, NULL);
        SlParam *p = param(m, moving[k]);
        ck_assert_ptr_nonnull(p);
        tu_assert_close(after, p->value.data, want, sl_shape_count(&p->shape));
        free(want);
    }
    SlTensor d = sl_tensor(ys, dy);
    ck_assert_msg(sl_model_backward(m, &d, training, &e) == 0, "%s", e.msg);
    tu_assert_close("dx", sl_model_input_grad(m, 0).data, dx, sl_shape_count(&xs));
    int trained = 0;
    for (int i = 0; i < m->n_params; i++) {
        SlParam *p = m->params[i];
        if (!p->trainable)
            continue;
        char gname[200];
        snprintf(gname, sizeof gname, "grad/%s", p->name);
        sl_real *g = tu_st_load(&st, gname, NULL);
        tu_assert_close(gname, p->grad.data, g, sl_shape_count(&p->shape));
        free(g);
        trained++;
    }
    /* the fixture's weights: the trained ones and the two moving statistics */
    int weights = 0;
    for (int i = 0; i < st.n; i++)
        weights += !strncmp(st.tensors[i].name, "grad/", 5);
    ck_assert_int_eq(weights, trained);
    ck_assert_int_eq(m->n_params, trained + 2);
    free(x), free(y), free(dy), free(dx);
    sl_model_free(m);
    sl_st_free(&st);
}
END_TEST

/* ---- 2. gradient checks in double ---- */

#ifdef SL_DOUBLE
/* gamma and beta start from glorot_uniform, not ones and zeros, so a backward that forgot gamma
 * in dx or mixed up the channels would fail; the moving statistics start away from 0 and 1, so
 * inference divides by something other than sqrt(1 + eps). */
#define RANDOM_WEIGHTS                                                                             \
    "gamma_initializer='glorot_uniform', beta_initializer='glorot_uniform', "                      \
    "moving_mean_initializer='glorot_uniform', moving_variance_initializer='random_uniform'"
static const struct {
    const char *args;
    int rank, dims[SL_MAX_RANK];
    int training, masked;
} gc_cases[] = {
    {RANDOM_WEIGHTS, 2, {5, 3}, 1, 0},
    {RANDOM_WEIGHTS, 2, {5, 3}, 0, 0},
    {RANDOM_WEIGHTS, 3, {3, 4, 2}, 1, 0},
    {RANDOM_WEIGHTS, 4, {2, 3, 2, 3}, 1, 0},
    {RANDOM_WEIGHTS, 4, {2, 3, 2, 3}, 0, 0},
    {"axis=1, " RANDOM_WEIGHTS, 3, {3, 4, 2}, 1, 0},
    {"axis=-2, epsilon=1e-5, " RANDOM_WEIGHTS, 4, {2, 3, 2, 3}, 1, 0},
    {"center=False, scale=False", 3, {3, 4, 2}, 1, 0},
    {"center=False, " RANDOM_WEIGHTS, 2, {4, 3}, 1, 0},
    {"scale=False, " RANDOM_WEIGHTS, 2, {4, 3}, 1, 0},
    {RANDOM_WEIGHTS, 3, {3, 5, 2}, 1, 1},
    {"axis=1, " RANDOM_WEIGHTS, 3, {3, 5, 2}, 1, 1},
    {RANDOM_WEIGHTS, 3, {3, 5, 2}, 0, 1},
    /* frozen: the training pass normalizes with the moving statistics */
    {"trainable=False, " RANDOM_WEIGHTS, 3, {3, 4, 2}, 1, 0},
};
enum { N_GC = sizeof gc_cases / sizeof gc_cases[0] };

START_TEST(test_gradcheck)
{
    SlShape s = sl_shape_of(gc_cases[_i].rank, gc_cases[_i].dims);
    SlModel *m = bn_model(gc_cases[_i].args, s, gc_cases[_i].masked);
    SlError e;
    ck_assert(sl_model_init_params(m, 7, &e) == 0);
    SlParam *var = param(m, "moving_variance");
    for (size_t i = 0; i < sl_shape_count(&var->shape); i++)
        var->value.data[i] += (sl_real)0.5; /* random_uniform is in [-0.05, 0.05] */
    SlRng r = sl_rng(401 + (uint64_t)_i);
    sl_real *x = malloc(sl_shape_count(&s) * sizeof *x);
    SlTensor in = sl_tensor(s, x);
    sl_gradcheck_fill_input(&in, &r);
    if (gc_cases[_i].masked) /* steps (0, 4), (1, 3) and (1, 4) are padding */
        for (int k = 0; k < 2; k++)
            x[(0 * 5 + 4) * 2 + k] = x[(1 * 5 + 3) * 2 + k] = x[(1 * 5 + 4) * 2 + k] = 0;
    SlGradcheckOptions o = sl_gradcheck_defaults();
    o.training = gc_cases[_i].training;
    /* Masking reads the mask from x: a padding step nudged away from 0 is padding no more, so
     * the model's input has no slope there to compare; the masked fixtures compare dx with
     * PyTorch's autograd instead, and gamma's and beta's rows here go through the mask. */
    o.check_inputs = !gc_cases[_i].masked;
    SlGradcheckReport rep;
    ck_assert_msg(sl_gradcheck(m, &in, &o, &rep, &e) == 0, "%s", e.msg);
    char table[4096];
    sl_gradcheck_format(&rep, table, sizeof table);
    ck_assert_msg(rep.ok && rep.max_err < 1e-6, "%s, training=%d:\n%s", gc_cases[_i].args,
                  o.training, table);
    /* rows for the trained weights and the input only: no gradient reaches the moving ones */
    ck_assert_msg(!strstr(table, "moving_"), "%s", table);
    int trained = strstr(gc_cases[_i].args, "trainable=False")             ? 0
                  : strstr(gc_cases[_i].args, "center=False, scale=False") ? 0
                  : strstr(gc_cases[_i].args, "=False")                    ? 1
                                                                           : 2;
    ck_assert_int_eq(rep.n_rows, trained + o.check_inputs);
    free(x);
    sl_model_free(m);
}
END_TEST
#endif

/* ---- 3. the state ---- */

/* x (6, 2): two batches of 3 samples, 2 channels. */
static const sl_real six[12] = {1, 10, 2, 20, 6, 30, 0, -4, 4, 0, 8, 4};

/* moving = moving * momentum + batch * (1 - momentum), by hand for each batch of three:
 * batch 1: channel 0 {1, 2, 6} mean 3, variance (4 + 1 + 9) / 3 = 14/3;
 *          channel 1 {10, 20, 30} mean 20, variance 200/3;
 * batch 2: channel 0 {0, 4, 8} mean 4, variance 32/3; channel 1 {-4, 0, 4} mean 0, variance 32/3.
 * With momentum 0.5 from 0 and 1: after batch 1, mean (1.5, 10), variance (1/2 + 7/3, 1/2 +
 * 100/3); after batch 2, mean (2.75, 5), variance (1/4 + 7/6 + 16/3, 1/4 + 50/3 + 16/3) =
 * (27/4, 89/4). */
START_TEST(test_fit_updates_moving)
{
    SlModel *m = bn_model("momentum=0.5", sl_shape_of(2, (int[]){SL_NONE, 2}), 0);
    SlError e;
    ck_assert_msg(sl_compile(m, "loss='mse', optimizer='sgd'", &e) == 0, "%s", e.msg);
    ck_assert(sl_model_init_params(m, 1, &e) == 0);
    sl_real target[12] = {0};
    SlTensor X = sl_tensor(sl_shape_of(2, (int[]){6, 2}), (sl_real *)six);
    SlTensor Y = sl_tensor(sl_shape_of(2, (int[]){6, 2}), target);
    SlFitOptions o = sl_fit_defaults();
    o.batch_size = 3;
    o.shuffle = 0;
    o.verbose = 0;
    ck_assert_msg(sl_model_fit(m, &X, &Y, &o, NULL, &e) == 0, "%s", e.msg);
    sl_real mean[2] = {2.75, 5}, var[2] = {27.0 / 4, 89.0 / 4};
    tu_assert_close("moving_mean", param(m, "moving_mean")->value.data, mean, 2);
    tu_assert_close("moving_variance", param(m, "moving_variance")->value.data, var, 2);
    /* gamma and beta trained (the loss pulls y to 0: gamma shrinks) */
    ck_assert(param(m, "gamma")->value.data[0] < 1);
    /* predict and evaluate use them and change nothing */
    SlTensor out;
    ck_assert(sl_model_predict(m, &X, 6, &out, &e) == 0);
    ck_assert_msg(fabs((double)out.data[0] -
                       ((1 - 2.75) / sqrt(var[0] + 1e-3) * param(m, "gamma")->value.data[0] +
                        param(m, "beta")->value.data[0])) < 1e-5,
                  "%g", (double)out.data[0]);
    sl_free(out.data);
    SlLogs logs;
    ck_assert(sl_model_evaluate(m, &X, &Y, NULL, 3, &logs, &e) == 0);
    tu_assert_close("moving_mean after predict and evaluate", param(m, "moving_mean")->value.data,
                    mean, 2);
    tu_assert_close("moving_variance after predict and evaluate",
                    param(m, "moving_variance")->value.data, var, 2);
    sl_model_free(m);
}
END_TEST

/* The gradient checker runs hundreds of training-mode passes; it leaves every weight as it was. */
START_TEST(test_gradcheck_leaves_state)
{
    SlModel *m = bn_model("momentum=0.5", sl_shape_of(2, (int[]){3, 2}), 0);
    SlError e;
    ck_assert(sl_model_init_params(m, 1, &e) == 0);
    SlTensor X = sl_tensor(sl_shape_of(2, (int[]){3, 2}), (sl_real *)six);
    SlGradcheckOptions o = sl_gradcheck_defaults();
    o.training = 1;
    SlGradcheckReport rep;
    ck_assert(sl_gradcheck(m, &X, &o, &rep, &e) == 0);
    sl_real zeros[2] = {0, 0}, ones[2] = {1, 1};
    tu_assert_close("moving_mean", param(m, "moving_mean")->value.data, zeros, 2);
    tu_assert_close("moving_variance", param(m, "moving_variance")->value.data, ones, 2);
    /* while one training pass does move them */
    ck_assert(sl_model_forward(m, &X, 1, &e) == 0);
    ck_assert(param(m, "moving_mean")->value.data[0] == (sl_real)1.5);
    sl_model_free(m);
}
END_TEST

/* trainable=False: all four weights are not trained, fit normalizes with the moving statistics
 * (Keras 3: "the layer will be subsequently run in inference mode") and updates nothing. */
START_TEST(test_frozen)
{
    SlModel *m = bn_model("trainable=False", sl_shape_of(2, (int[]){SL_NONE, 2}), 0);
    SlError e;
    ck_assert(sl_compile(m, "loss='mse', optimizer='sgd'", &e) == 0);
    ck_assert(sl_model_init_params(m, 1, &e) == 0);
    for (int i = 0; i < m->n_params; i++)
        ck_assert(!m->params[i]->trainable);
    SlTensor X = sl_tensor(sl_shape_of(2, (int[]){3, 2}), (sl_real *)six);
    ck_assert(sl_model_forward(m, &X, 1, &e) == 0);
    double r = 1 / sqrt(1 + 1e-3); /* moving mean 0, variance 1 */
    sl_real want[6];
    for (int i = 0; i < 6; i++)
        want[i] = (sl_real)(six[i] * r);
    tu_assert_close("frozen training pass", sl_model_output(m, 0).data, want, 6);
    sl_real target[6] = {0};
    SlTensor Y = sl_tensor(sl_shape_of(2, (int[]){3, 2}), target);
    SlFitOptions o = sl_fit_defaults();
    o.verbose = 0;
    ck_assert(sl_model_fit(m, &X, &Y, &o, NULL, &e) == 0);
    sl_real w[4][2] = {{1, 1}, {0, 0}, {0, 0}, {1, 1}}; /* gamma, beta, moving mean, variance */
    for (int i = 0; i < 4; i++)
        tu_assert_close(m->param_names[i], m->params[i]->value.data, w[i], 2);
    sl_model_free(m);
}
END_TEST

/* save_weights writes all four under Keras's names; load_weights brings the moving ones back. */
START_TEST(test_save_load)
{
    SlModel *m = bn_model("", sl_shape_of(2, (int[]){3, 2}), 0);
    SlError e;
    ck_assert(sl_model_init_params(m, 1, &e) == 0);
    SlTensor X = sl_tensor(sl_shape_of(2, (int[]){3, 2}), (sl_real *)six);
    ck_assert(sl_model_forward(m, &X, 1, &e) == 0); /* moving statistics away from 0 and 1 */
    const char *path = tu_tmp_path("bn.safetensors");
    ck_assert_msg(sl_model_save_weights(m, path, &e) == 0, "%s", e.msg);
    SlSafetensors st;
    ck_assert(sl_st_read(&st, path, &e) == 0);
    const char *names[] = {"batch_normalization/gamma", "batch_normalization/beta",
                           "batch_normalization/moving_mean",
                           "batch_normalization/moving_variance"};
    ck_assert_int_eq(st.n, 4);
    for (int k = 0; k < 4; k++)
        ck_assert_msg(sl_st_find(&st, names[k]) != NULL, "no %s", names[k]);
    sl_st_free(&st);
    SlModel *m2 = bn_model("", sl_shape_of(2, (int[]){3, 2}), 0);
    ck_assert_int_eq(sl_model_load_weights(m2, path, &e), 0);
    for (int i = 0; i < 4; i++)
        tu_assert_close(m->param_names[i], m2->params[i]->value.data, m->params[i]->value.data, 2);
    ck_assert(param(m2, "moving_mean")->value.data[0] != 0);
    sl_model_free(m);
    sl_model_free(m2);
}
END_TEST

/* ---- 4. errors, sentences, figures ---- */

static const TuShapeError shape_errors[] = {
    {"BatchNormalization",
     "axis=3",
     3,
     {SL_NONE, 10, 32},
     {"layer 'batch_normalization' (BatchNormalization)", "axis=3", "(None, 10, 32)",
      "axes 1 to 2 (or -2 to -1)"}},
    {"BatchNormalization",
     "axis=0",
     2,
     {SL_NONE, 8},
     {"a channel axis after the batch axis (axis=0)", "averaged over", "", ""}},
    {"BatchNormalization",
     "",
     3,
     {SL_NONE, 10, SL_NONE},
     {"a known size on the channel axis 2 (axis=-1)", "(None, 10, None)", "input shape", ""}},
};
enum { N_SHAPE_ERRORS = sizeof shape_errors / sizeof shape_errors[0] };

START_TEST(test_shape_error)
{
    tu_check_shape_error(&shape_errors[_i]);
}
END_TEST

static const TuArgError arg_errors[] = {
    {"BatchNormalization", "renorm=True", "renorm (batch renormalization) is not supported yet"},
    {"BatchNormalization", "synchronized=True", "synchronized=True is not supported"},
    {"BatchNormalization", "gamma_regularizer='l3'",
     "unknown regularizer 'l3' for argument 'gamma_regularizer'"},
    {"BatchNormalization", "beta_constraint='positive'",
     "unknown constraint 'positive' for argument 'beta_constraint'"},
    {"BatchNormalization", "moving_variance_initializer='unit'",
     "unknown initializer 'unit' for argument 'moving_variance_initializer'"},
    {"BatchNormalization", "momentum=1.5", "must be in [0, 1], got 1.5"},
    {"BatchNormalization", "momentum=0.1", ""},
    {"BatchNormalization", "epsilon=-1", "must be 0 or more"},
    {"BatchNormalization", "axis=[1, 2]", "argument 'axis' must be an integer"},
};
enum { N_ARG_ERRORS = sizeof arg_errors / sizeof arg_errors[0] };

START_TEST(test_arg_error)
{
    if (!arg_errors[_i].must[0]) { /* accepted: Keras takes it (PyTorch's value, not Keras's) */
        SlError e;
        SlLayer *l = sl_layer(arg_errors[_i].type, arg_errors[_i].args, &e);
        ck_assert_msg(l != NULL, "%s", e.msg);
        sl_layer_free(l);
        return;
    }
    tu_check_arg_error(&arg_errors[_i]);
}
END_TEST

/* docs/layers/norm.md works this example by hand (epsilon=0, momentum=0.5): one channel, a batch
 * of x = [1, 1, 3, 3] has mean 2 and variance 1, so xhat = [-1, -1, 1, 1]; with gamma 2 and beta
 * 0.5, y = [-1.5, -1.5, 2.5, 2.5]. The moving mean becomes 0 * 0.5 + 2 * 0.5 = 1, the moving
 * variance 1 * 0.5 + 1 * 0.5 = 1; predict on the same x then gives 2 (x - 1) + 0.5 =
 * [0.5, 0.5, 4.5, 4.5]. Backward with dy = [1, 0, 0, 0]: g = dy gamma = [2, 0, 0, 0], mean g =
 * 0.5, mean(g xhat) = -0.5, dx = g - 0.5 + 0.5 xhat = [1, -1, 0, 0]; in inference dx = g r =
 * [2, 0, 0, 0]. */
START_TEST(test_hand_example)
{
    SlError e;
    SlShape in = sl_shape_of(2, (int[]){4, 1});
    SlModel *m = bn_model("momentum=0.5, epsilon=0", in, 0);
    param(m, "gamma")->value.data[0] = 2;
    param(m, "beta")->value.data[0] = (sl_real)0.5;
    sl_real x[4] = {1, 1, 3, 3}, dy[4] = {1, 0, 0, 0};
    SlTensor t = sl_tensor(in, x), g = sl_tensor(in, dy);
    ck_assert(sl_model_forward(m, &t, 1, &e) == 0);
    tu_assert_close("y, training", sl_model_output(m, 0).data, (sl_real[]){-1.5, -1.5, 2.5, 2.5},
                    4);
    tu_assert_close("moving mean", param(m, "moving_mean")->value.data, (sl_real[]){1}, 1);
    tu_assert_close("moving variance", param(m, "moving_variance")->value.data, (sl_real[]){1}, 1);
    ck_assert(sl_model_backward(m, &g, 1, &e) == 0);
    tu_assert_close("dx, training", sl_model_input_grad(m, 0).data, (sl_real[]){1, -1, 0, 0}, 4);
    tu_assert_close("dgamma", param(m, "gamma")->grad.data, (sl_real[]){-1}, 1);
    tu_assert_close("dbeta", param(m, "beta")->grad.data, (sl_real[]){1}, 1);
    ck_assert(sl_model_forward(m, &t, 0, &e) == 0);
    tu_assert_close("y, predict", sl_model_output(m, 0).data, (sl_real[]){0.5, 0.5, 4.5, 4.5}, 4);
    ck_assert(sl_model_backward(m, &g, 0, &e) == 0);
    tu_assert_close("dx, predict", sl_model_input_grad(m, 0).data, (sl_real[]){2, 0, 0, 0}, 4);
    sl_model_free(m);
}
END_TEST

START_TEST(test_explain_and_formula)
{
    static const struct {
        const char *args;
        int rank, dims[SL_MAX_RANK];
        const char *why, *formula, *note;
    } cases[] = {
        {"",
         4,
         {SL_NONE, 26, 26, 16},
         "BatchNormalization normalizes each of the 16 channels (axis 3) with its mean and "
         "variance over the batch and the other axes while training, and with its moving "
         "averages in predict: the shape stays (None, 26, 26, 16)",
         "4*16 = 64",
         "gamma, beta: 2*16 = 32 trainable; moving_mean, moving_variance: 2*16 = 32 "
         "non-trainable, updated by fit from each batch's mean and variance"},
        {"scale=False",
         2,
         {SL_NONE, 8},
         "BatchNormalization normalizes each of the 8 channels (axis 1) with its mean and "
         "variance over the batch while training, and with its moving averages in predict: the "
         "shape stays (None, 8)",
         "3*8 = 24",
         "beta: 1*8 = 8 trainable; moving_mean, moving_variance: 2*8 = 16 non-trainable, updated "
         "by fit from each batch's mean and variance"},
        {"center=False, scale=False",
         3,
         {SL_NONE, 10, 4},
         NULL,
         "2*4 = 8",
         "moving_mean, moving_variance: 2*4 = 8 non-trainable, updated by fit from each batch's "
         "mean and variance (center=False, scale=False: nothing to train)"},
        {"trainable=False",
         3,
         {SL_NONE, 10, 4},
         NULL,
         "4*4 = 16",
         "trainable=False: all 4*4 are non-trainable, and the layer normalizes with its moving "
         "statistics also in fit"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        SlError e;
        sl_clear_session();
        SlModel *m = tu_one_layer("BatchNormalization", cases[k].args,
                                  sl_shape_of(cases[k].rank, cases[k].dims), &e);
        ck_assert_msg(m != NULL, "%s", e.msg);
        const SlLayer *l = m->layers[1];
        char f[256], note[256];
        l->type->formula(l, f, sizeof f);
        l->type->note(l, note, sizeof note);
        if (cases[k].why)
            ck_assert_str_eq(m->nodes[1].why, cases[k].why);
        ck_assert_str_eq(f, cases[k].formula);
        ck_assert_str_eq(note, cases[k].note);
        sl_model_free(m);
    }
}
END_TEST

static SlScript *script_file(const char *path, SlModel **m)
{
    static const SlScriptOptions quiet;
    SlError e;
    sl_clear_session();
    SlScript *s = sl_script_run(path, &quiet, &e);
    ck_assert_msg(s != NULL, "%s", e.msg);
    *m = sl_script_model(s, &e);
    ck_assert_msg(*m != NULL, "%s", e.msg);
    return s;
}

static char *summary_of(const SlScript *s, const SlModel *m)
{
    char *buf = NULL;
    size_t len = 0;
    SlError e;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_msg(sl_model_summary(m, sl_script_summary_width(s), f, &e) == 0, "%s", e.msg);
    fclose(f);
    return buf;
}

/* QUESTIONS.md item 16's model: the figures its header states, with Keras's Non-trainable row:
 * BatchNormalization on 16 channels holds 4*16 = 64, of which the moving mean and variance,
 * 2*16 = 32, are not trained. */
START_TEST(test_summary_16)
{
    SlModel *m;
    SlScript *s = script_file(SL_SHARED_MODELS "/16_batchnorm.py", &m);
    char *text = summary_of(s, m);
    ck_assert_msg(strstr(text, "batch_normalization (BatchNo (None, 26, 26, 16)        64        \n"
                               "rmalization)"),
                  "%s", text);
    ck_assert_msg(strstr(text, "Total params: 27,258\n"
                               "Trainable params: 27,226\n"
                               "Non-trainable params: 32\n"),
                  "%s", text);
    free(text);
    sl_script_free(s);
}
END_TEST

/* ---- 5. a U-Net and a ResNet-style model with BatchNormalization ---- */

typedef struct Row {
    const char *name, *shape;
    long params;
} Row;

static const Row unet_rows[] = {
    /* tests/scripts/models/unet.py's header counts them by hand */
    {"input_1", "(None, 8, 8, 1)", 0},
    {"conv2d", "(None, 8, 8, 4)", 36},
    {"batch_normalization", "(None, 8, 8, 4)", 16},
    {"activation", "(None, 8, 8, 4)", 0},
    {"max_pooling2d", "(None, 4, 4, 4)", 0},
    {"conv2d_1", "(None, 4, 4, 8)", 288},
    {"batch_normalization_1", "(None, 4, 4, 8)", 32},
    {"activation_1", "(None, 4, 4, 8)", 0},
    {"max_pooling2d_1", "(None, 2, 2, 8)", 0},
    {"conv2d_2", "(None, 2, 2, 16)", 1152},
    {"batch_normalization_2", "(None, 2, 2, 16)", 64},
    {"activation_2", "(None, 2, 2, 16)", 0},
    {"conv2d_transpose", "(None, 4, 4, 8)", 520},
    {"concatenate", "(None, 4, 4, 16)", 0},
    {"conv2d_3", "(None, 4, 4, 8)", 1160},
    {"conv2d_transpose_1", "(None, 8, 8, 4)", 132},
    {"concatenate_1", "(None, 8, 8, 8)", 0},
    {"conv2d_4", "(None, 8, 8, 4)", 292},
    {"conv2d_5", "(None, 8, 8, 1)", 5},
};
static const Row resnet_rows[] = {
    /* tests/scripts/models/resnet_bn.py's header counts them by hand */
    {"input_1", "(None, 8, 8, 1)", 0},
    {"conv2d", "(None, 8, 8, 4)", 36},
    {"batch_normalization", "(None, 8, 8, 4)", 16},
    {"activation", "(None, 8, 8, 4)", 0},
    {"conv2d_1", "(None, 8, 8, 4)", 144},
    {"batch_normalization_1", "(None, 8, 8, 4)", 16},
    {"activation_1", "(None, 8, 8, 4)", 0},
    {"conv2d_2", "(None, 8, 8, 4)", 144},
    {"batch_normalization_2", "(None, 8, 8, 4)", 16},
    {"add", "(None, 8, 8, 4)", 0},
    {"activation_2", "(None, 8, 8, 4)", 0},
    {"conv2d_3", "(None, 8, 8, 8)", 288},
    {"batch_normalization_3", "(None, 8, 8, 8)", 32},
    {"activation_3", "(None, 8, 8, 8)", 0},
    {"conv2d_4", "(None, 8, 8, 8)", 576},
    {"batch_normalization_4", "(None, 8, 8, 8)", 32},
    {"conv2d_5", "(None, 8, 8, 8)", 32},
    {"batch_normalization_5", "(None, 8, 8, 8)", 32},
    {"add_1", "(None, 8, 8, 8)", 0},
    {"activation_4", "(None, 8, 8, 8)", 0},
    {"global_average_pooling2d", "(None, 8)", 0},
    {"dense", "(None, 1)", 9},
};

static const struct {
    const char *path;
    const Row *rows;
    int n_rows;
    const char *totals;
} bn_models[] = {
    {"tests/scripts/models/unet.py", unet_rows, sizeof unet_rows / sizeof unet_rows[0],
     "Total params: 3,697\nTrainable params: 3,641\nNon-trainable params: 56\n"},
    {"tests/scripts/models/resnet_bn.py", resnet_rows, sizeof resnet_rows / sizeof resnet_rows[0],
     "Total params: 1,373\nTrainable params: 1,301\nNon-trainable params: 72\n"},
};

START_TEST(test_model_summary)
{
    SlModel *m;
    SlScript *s = script_file(bn_models[_i].path, &m);
    const Row *rows = bn_models[_i].rows;
    ck_assert_int_eq(m->n_nodes, bn_models[_i].n_rows);
    for (int i = 0; i < bn_models[_i].n_rows; i++) {
        char shape[96];
        const SlNode *nd = &m->nodes[i];
        sl_shape_str(&nd->sym.out[0], shape, sizeof shape);
        ck_assert_str_eq(nd->layer->name, rows[i].name);
        ck_assert_msg(!strcmp(shape, rows[i].shape), "%s: %s, expected %s", rows[i].name, shape,
                      rows[i].shape);
        ck_assert_int_eq((long)sl_layer_count_params(nd->layer), rows[i].params);
    }
    char *text = summary_of(s, m);
    ck_assert_msg(strstr(text, bn_models[_i].totals), "%s", text);
    free(text);
    sl_script_free(s);
}
END_TEST

/* Small tasks on 8x8 images of values in [0, 1), images differing in contrast. The U-Net
 * segments: a pixel is in the mask when the mean of its 3x3 neighbourhood (inside the image) is
 * above the image's own mean. The ResNet regresses how much bright pixels cluster (the mean of x
 * times its right neighbour), standardized, as tests/check_merge.c's ResNet does. */
static void image_data(int n, sl_real *x, sl_real *y, int segment)
{
    SlRng r = sl_rng(2025);
    double sum = 0, sq = 0;
    for (int s = 0; s < n; s++) {
        sl_real *img = x + (size_t)s * 64;
        double scale = 0.2 + 0.8 * sl_rng_uniform(&r), mean = 0, t = 0;
        for (int i = 0; i < 64; i++)
            mean += img[i] = (sl_real)(scale * sl_rng_uniform(&r));
        mean /= 64;
        for (int i = 0; i < 8; i++)
            for (int j = 0; j < 8; j++) {
                double local = 0;
                int cells = 0;
                for (int a = i - 1; a <= i + 1; a++)
                    for (int b = j - 1; b <= j + 1; b++)
                        if (a >= 0 && a < 8 && b >= 0 && b < 8)
                            local += img[a * 8 + b], cells++;
                if (segment)
                    y[(size_t)s * 64 + (size_t)(i * 8 + j)] = local / cells > mean;
                if (j + 1 < 8)
                    t += (double)img[i * 8 + j] * (double)img[i * 8 + j + 1];
            }
        if (!segment) {
            y[s] = (sl_real)(t / 56);
            sum += y[s], sq += y[s] * y[s];
        }
    }
    if (!segment) {
        double mean = sum / n, sd = sqrt(sq / n - mean * mean);
        for (int s = 0; s < n; s++)
            y[s] = (sl_real)((y[s] - mean) / sd);
    }
}

START_TEST(test_model_trains)
{
    enum { N = 256 };
    static sl_real x[N * 64], y[N * 64];
    int segment = _i == 0;
    image_data(N, x, y, segment);
    SlModel *m;
    SlScript *s = script_file(bn_models[_i].path, &m);
    SlError e;
    ck_assert(sl_model_init_params(m, 1, &e) == 0);
    SlTensor X = sl_tensor(sl_shape_of(4, (int[]){N, 8, 8, 1}), x);
    SlTensor Y = segment ? sl_tensor(sl_shape_of(4, (int[]){N, 8, 8, 1}), y)
                         : sl_tensor(sl_shape_of(2, (int[]){N, 1}), y);
    SlLogs before, after;
    ck_assert_msg(sl_model_evaluate(m, &X, &Y, NULL, 0, &before, &e) == 0, "%s", e.msg);
    SlFitOptions o = sl_fit_defaults();
    o.epochs = 25;
    o.batch_size = 16;
    o.verbose = 0;
    o.seed = 3;
    ck_assert_msg(sl_model_fit(m, &X, &Y, &o, NULL, &e) == 0, "%s", e.msg);
    /* evaluate runs in inference: it judges the moving statistics fit has gathered */
    ck_assert_msg(sl_model_evaluate(m, &X, &Y, NULL, 0, &after, &e) == 0, "%s", e.msg);
    double l0 = sl_logs_get(&before, "loss"), l1 = sl_logs_get(&after, "loss");
    ck_assert_msg(l1 < 0.5 * l0, "%s: the loss went from %g to %g, not below half",
                  bn_models[_i].path, l0, l1);
    sl_script_free(s);
}
END_TEST

#ifdef SL_DOUBLE
/* In training mode (batch statistics through the whole network) and in inference. */
START_TEST(test_model_gradcheck)
{
    int which = _i / 2, training = _i % 2;
    SlModel *m;
    SlScript *s = script_file(bn_models[which].path, &m);
    SlError e;
    ck_assert(sl_model_init_params(m, 1, &e) == 0);
    SlRng r = sl_rng(8);
    sl_gradcheck_unzero_params(m, &r);
    static sl_real x[3 * 64];
    SlTensor X = sl_tensor(sl_shape_of(4, (int[]){3, 8, 8, 1}), x);
    sl_gradcheck_fill_input(&X, &r);
    SlGradcheckOptions o = sl_gradcheck_defaults();
    o.training = training;
    SlGradcheckReport rep;
    ck_assert_msg(sl_gradcheck(m, &X, &o, &rep, &e) == 0, "%s", e.msg);
    char table[8192];
    sl_gradcheck_format(&rep, table, sizeof table);
    ck_assert_msg(rep.ok && rep.max_err < 1e-6, "%s, training=%d:\n%s", bn_models[which].path,
                  training, table);
    sl_script_free(s);
}
END_TEST
#endif

static Suite *suite(void)
{
    Suite *s = suite_create("batchnorm");
    TCase *tc = tcase_create("pytorch fixtures");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_fixture, 0, N_FIXTURES);
    suite_add_tcase(s, tc);
#ifdef SL_DOUBLE
    tc = tcase_create("gradient checks");
    tcase_set_timeout(tc, 240);
    tcase_add_loop_test(tc, test_gradcheck, 0, N_GC);
    tcase_add_loop_test(tc, test_model_gradcheck, 0, 4);
    suite_add_tcase(s, tc);
#endif
    tc = tcase_create("state");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_fit_updates_moving);
    tcase_add_test(tc, test_gradcheck_leaves_state);
    tcase_add_test(tc, test_frozen);
    tcase_add_test(tc, test_save_load);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors, sentences, figures");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_shape_error, 0, N_SHAPE_ERRORS);
    tcase_add_loop_test(tc, test_arg_error, 0, N_ARG_ERRORS);
    tcase_add_test(tc, test_hand_example);
    tcase_add_test(tc, test_explain_and_formula);
    tcase_add_test(tc, test_summary_16);
    tcase_add_loop_test(tc, test_model_summary, 0, 2);
    suite_add_tcase(s, tc);
    tc = tcase_create("training the models");
    tcase_set_timeout(tc, 240);
    tcase_add_loop_test(tc, test_model_trains, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_in_tmpdir(suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
