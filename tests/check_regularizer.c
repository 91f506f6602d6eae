/* check_regularizer.c: weight and activity regularizers, constraints, and ActivityRegularization,
 * against PyTorch's numbers and the gradient checker.
 *
 * Fixtures (tests/fixtures/regularizer_*.safetensors, written by tools/make_regularizer_fixtures.py
 * in float64; its docstring says what each holds): a layer with regularizers (its outputs, the
 * regularizers' terms, and the gradients of sum(y * dy) + the terms), a constraint on a weight (the
 * weight after it), and a few SGD steps of fit (the epoch losses fit reports, which include the
 * terms, and the weights after the constraint).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script/script.h"
#include "testutil.h"

static const char *const layer_fixtures[] = {
    "regularizer_dense",  "regularizer_dense_strings", "regularizer_activity_layer",
    "regularizer_conv2d", "regularizer_lstm_states",
};
enum { N_LAYER_FIXTURES = sizeof layer_fixtures / sizeof layer_fixtures[0] };

static const char *const constraint_fixtures[] = {
    "regularizer_constraint_max_norm",         "regularizer_constraint_max_norm_default",
    "regularizer_constraint_max_norm_filters", "regularizer_constraint_max_norm_last_axis",
    "regularizer_constraint_unit_norm",        "regularizer_constraint_min_max_norm",
    "regularizer_constraint_non_neg",
};
enum { N_CONSTRAINT_FIXTURES = sizeof constraint_fixtures / sizeof constraint_fixtures[0] };

/* A functional model: Input(batch_shape=in) -> layer, every output of the call a model output. */
static SlModel *one_call(const char *type, const char *args, SlShape in, SlError *e)
{
    SlModel *m = sl_model_new(NULL);
    char shape[96], a[128];
    snprintf(a, sizeof a, "batch_shape=%s", sl_shape_str(&in, shape, sizeof shape));
    int x = sl_model_input(m, sl_layer("InputLayer", a, e), e), outs[SL_MAX_IO];
    ck_assert_msg(x >= 0, "%s", e->msg);
    ck_assert_msg(sl_model_call(m, sl_layer(type, args, e), 1, &x, outs, e) >= 0, "%s(%s): %s",
                  type, args, e->msg);
    int n_out = m->nodes[m->n_nodes - 1].sym.n_out;
    ck_assert_msg(sl_model_set_io(m, 1, &x, n_out, outs, e) == 0, "%s", e->msg);
    return m;
}

START_TEST(test_layer_fixture)
{
    const char *name = layer_fixtures[_i];
    SlSafetensors st;
    SlError e;
    ck_assert_msg(sl_st_read(&st, tu_fixture(name), &e) == 0, "%s", e.msg);
    ck_assert_str_eq(sl_st_meta(&st, "format"), "shapelab-regularizer-fixture-1");
    SlShape xs;
    SlTensor x = {.data = tu_st_load(&st, "x", &xs)};
    x.shape = xs;
    sl_clear_session();
    SlModel *m = one_call(sl_st_meta(&st, "layer"), sl_st_meta(&st, "args"), xs, &e);
    ck_assert_msg(sl_model_ensure_params(m, &e) == 0, "%s", e.msg);
    for (int i = 0; i < m->n_params; i++) {
        SlParam *p = m->params[i];
        ck_assert_msg(sl_st_get(&st, p->name, p->value.data, sl_shape_count(&p->shape), NULL, &e) ==
                          0,
                      "%s: %s", name, e.msg);
    }
    ck_assert_msg(sl_model_forward(m, &x, 0, &e) == 0, "%s: %s", name, e.msg);
    SlTensor dy[SL_MAX_MODEL_IO];
    for (int k = 0; k < m->n_outputs; k++) {
        char yn[8], dn[8];
        snprintf(yn, sizeof yn, "y%d", k);
        snprintf(dn, sizeof dn, "dy%d", k);
        sl_real *y = tu_st_load(&st, yn, NULL);
        SlTensor out = sl_model_output(m, k);
        tu_assert_close(yn, out.data, y, sl_tensor_count(&out));
        dy[k] = sl_tensor(out.shape, tu_st_load(&st, dn, NULL));
        free(y);
    }
    sl_real *penalty = tu_st_load(&st, "penalty", NULL), got = (sl_real)sl_model_penalty(m);
    tu_assert_close("penalty", &got, penalty, 1);
    ck_assert_msg(sl_model_backward_penalized(m, dy, 0, &e) == 0, "%s", e.msg);
    sl_real *dx = tu_st_load(&st, "dx", NULL);
    tu_assert_close("dx", sl_model_input_grad(m, 0).data, dx, sl_tensor_count(&x));
    for (int i = 0; i < m->n_params; i++) {
        SlParam *p = m->params[i];
        char gname[200];
        snprintf(gname, sizeof gname, "grad/%s", p->name);
        sl_real *g = tu_st_load(&st, gname, NULL);
        tu_assert_close(gname, p->grad.data, g, sl_shape_count(&p->shape));
        free(g);
    }
    for (int k = 0; k < m->n_outputs; k++)
        free(dy[k].data);
    free(x.data), free(penalty), free(dx);
    sl_model_free(m);
    sl_st_free(&st);
}
END_TEST

/* A constraint as a Keras user writes it: "max_norm(2.0, axis=0)". */
static void constraint_of(SlConstraint *c, const char *text)
{
    static const SlArgSpec spec[] = {{"kernel_constraint", SL_ARG_OBJECT, NULL, "a constraint"}};
    SlArgs a;
    SlBound b;
    SlError e;
    sl_args_init(&a);
    ck_assert_msg(sl_args_parse(&a, text, &e) == 0 &&
                      sl_args_bind(&b, spec, 1, &a, "test", &e) == 0 &&
                      sl_constraint_read(c, &b, "kernel_constraint", &e) == 0,
                  "%s: %s", text, e.msg);
}

START_TEST(test_constraint_fixture)
{
    SlSafetensors st;
    SlError e;
    SlShape s;
    ck_assert_msg(sl_st_read(&st, tu_fixture(constraint_fixtures[_i]), &e) == 0, "%s", e.msg);
    sl_real *w = tu_st_load(&st, "w", &s), *want = tu_st_load(&st, "w_after", NULL);
    SlConstraint c;
    constraint_of(&c, sl_st_meta(&st, "constraint"));
    ck_assert_msg(sl_constraint_check(&c, &s, &e) == 0, "%s", e.msg);
    sl_constraint_apply(&c, w, &s);
    tu_assert_close(sl_st_meta(&st, "constraint"), w, want, sl_shape_count(&s));
    free(w), free(want);
    sl_st_free(&st);
}
END_TEST

/* fit with SGD: the loss it reports holds the regularizers' terms at each batch's weights, and
 * the constraint holds after every step; evaluate adds the terms too. */
START_TEST(test_fit_fixture)
{
    SlSafetensors st;
    SlError e;
    ck_assert_msg(sl_st_read(&st, tu_fixture("regularizer_fit_sgd"), &e) == 0, "%s", e.msg);
    SlShape xs, ys;
    SlTensor x = {.data = tu_st_load(&st, "x", &xs)}, y = {.data = tu_st_load(&st, "y", &ys)};
    x.shape = xs, y.shape = ys;
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    ck_assert(sl_model_add(m, sl_layer("InputLayer", "shape=(4,)", &e), &e) == 0);
    ck_assert_msg(sl_model_add(m, sl_layer("Dense", sl_st_meta(&st, "args"), &e), &e) == 0, "%s",
                  e.msg);
    ck_assert(sl_compile(m, "loss='mse'", &e) == 0);
    SlOptimizer opt;
    ck_assert(sl_optimizer(&opt, "SGD", "learning_rate=0.1", &e) == 0);
    sl_model_set_optimizer(m, &opt);
    ck_assert(sl_model_ensure_params(m, &e) == 0);
    for (int i = 0; i < m->n_params; i++)
        ck_assert_msg(sl_st_get(&st, m->param_names[i], m->params[i]->value.data,
                                sl_shape_count(&m->params[i]->shape), NULL, &e) == 0,
                      "%s", e.msg);
    SlFitOptions o = sl_fit_defaults();
    o.batch_size = atoi(sl_st_meta(&st, "batch_size"));
    o.epochs = atoi(sl_st_meta(&st, "epochs"));
    o.shuffle = 0;
    o.verbose = 0;
    SlHistory h;
    ck_assert_msg(sl_model_fit(m, &x, &y, &o, &h, &e) == 0, "%s", e.msg);
    sl_real *loss = tu_st_load(&st, "epoch_loss", NULL);
    for (int ep = 0; ep < o.epochs; ep++) {
        sl_real got = (sl_real)sl_history_get(&h, "loss", ep);
        tu_assert_close("epoch loss", &got, loss + ep, 1);
    }
    for (int i = 0; i < m->n_params; i++) {
        char name[200];
        snprintf(name, sizeof name, "final/%s", m->param_names[i]);
        sl_real *want = tu_st_load(&st, name, NULL);
        tu_assert_close(name, m->params[i]->value.data, want, sl_shape_count(&m->params[i]->shape));
        free(want);
    }
    SlLogs logs;
    ck_assert_msg(sl_model_evaluate(m, &x, &y, NULL, 8, &logs, &e) == 0, "%s", e.msg);
    sl_real *eval = tu_st_load(&st, "eval_loss", NULL), got = (sl_real)sl_logs_get(&logs, "loss");
    tu_assert_close("evaluate's loss", &got, eval, 1);
    free(x.data), free(y.data), free(loss), free(eval);
    sl_history_free(&h);
    sl_model_free(m);
    sl_st_free(&st);
}
END_TEST

#ifdef SL_DOUBLE
/* Gradient checks in double of the loss with the regularizers' terms (sl_gradcheck adds them, as
 * fit does): l1 at nonzero weights, l2 everywhere, activity terms on every output. */
static const struct {
    const char *type, *args;
    int rank, dims[SL_MAX_RANK];
} gc_cases[] = {
    {"Dense",
     "3, kernel_regularizer=l1_l2(l1=0.1, l2=0.2), bias_regularizer=l2(0.3), "
     "bias_initializer='glorot_uniform', activity_regularizer=l1_l2(0.05, 0.1)",
     3,
     {2, 3, 4}},
    {"ActivityRegularization", "l1=0.1, l2=0.2", 3, {2, 3, 4}},
    {"Conv1D", "2, 3, kernel_regularizer=l2(0.5), activity_regularizer=l1(0.2)", 3, {2, 6, 3}},
    {"Conv2DTranspose", "2, 2, strides=2, kernel_regularizer=l1(0.3)", 4, {1, 3, 3, 2}},
    {"LSTM",
     "3, return_sequences=True, kernel_regularizer=l2(0.2), "
     "recurrent_regularizer=l1(0.3), bias_regularizer=l1_l2(0.1, 0.2), "
     "activity_regularizer=l2(0.1)",
     3,
     {2, 4, 3}},
    {"GRU", "3, recurrent_regularizer=l2(0.4), activity_regularizer=l1(0.2)", 3, {2, 4, 3}},
    {"SimpleRNN", "3, kernel_regularizer=l1(0.3)", 3, {2, 4, 3}},
    {"PReLU", "alpha_initializer='glorot_uniform', alpha_regularizer=l2(0.5)", 3, {2, 3, 4}},
    {"LayerNormalization",
     "gamma_initializer='glorot_uniform', gamma_regularizer=l1(0.2), beta_regularizer=l2(0.3), "
     "beta_initializer='glorot_uniform'",
     3,
     {2, 3, 4}},
    {"Flatten", "activity_regularizer=l2(0.3)", 3, {2, 3, 4}},
};
enum { N_GC = sizeof gc_cases / sizeof gc_cases[0] };

START_TEST(test_gradcheck)
{
    SlShape s = sl_shape_of(gc_cases[_i].rank, gc_cases[_i].dims);
    sl_clear_session();
    tu_gradcheck_layer(gc_cases[_i].type, gc_cases[_i].args, s, 0, 31 + (uint64_t)_i);
}
END_TEST

/* Inside the wrappers: the inner layers' weight regularizers count (Bidirectional: both copies). */
START_TEST(test_gradcheck_wrapped)
{
    SlError e;
    static const char *const cases[][3] = {
        {"Bidirectional", "LSTM",
         "3, return_sequences=True, kernel_regularizer=l2(0.3), "
         "recurrent_regularizer=l1(0.2)"},
        {"TimeDistributed", "Dense", "2, kernel_regularizer=l1_l2(0.1, 0.2)"},
    };
    for (int i = 0; i < 2; i++) {
        sl_clear_session();
        SlArgs none;
        sl_args_init(&none);
        SlLayer *inner = sl_layer(cases[i][1], cases[i][2], &e);
        SlLayer *w = sl_layer_wrap(cases[i][0], inner, &none, &e);
        ck_assert_msg(w != NULL, "%s", e.msg);
        SlModel *m = sl_sequential(NULL);
        ck_assert(sl_model_add(m, sl_layer("InputLayer", "batch_shape=(2, 4, 3)", &e), &e) == 0);
        ck_assert_msg(sl_model_add(m, w, &e) == 0, "%s", e.msg);
        ck_assert(sl_model_init_params(m, 3, &e) == 0);
        sl_real x[24];
        SlTensor in = sl_tensor(sl_shape_of(3, (int[]){2, 4, 3}), x);
        SlRng r = sl_rng(5);
        sl_gradcheck_fill_input(&in, &r);
        SlGradcheckOptions o = sl_gradcheck_defaults();
        SlGradcheckReport rep;
        ck_assert_msg(sl_gradcheck(m, &in, &o, &rep, &e) == 0, "%s", e.msg);
        ck_assert(sl_model_penalty(m) > 0);
        char table[4096];
        sl_gradcheck_format(&rep, table, sizeof table);
        ck_assert_msg(rep.ok, "%s(%s(%s)):\n%s", cases[i][0], cases[i][1], cases[i][2], table);
        sl_model_free(m);
    }
}
END_TEST
#endif

/* Which terms count: trainable weights of the layers in the model, each shared layer once. */
START_TEST(test_penalty_counts)
{
    SlError e;
    sl_clear_session();
    SlModel *m = sl_model_new(NULL);
    int x = sl_model_input(m, sl_layer("InputLayer", "batch_shape=(2, 3)", &e), &e);
    SlLayer *shared = sl_layer("Dense", "3, kernel_regularizer=l1(1.0), use_bias=False", &e);
    SlLayer *frozen =
        sl_layer("Dense", "3, kernel_regularizer=l1(1.0), use_bias=False, trainable=False", &e);
    int a = sl_model_call(m, shared, 1, &x, NULL, &e);
    int b = sl_model_call(m, shared, 1, &a, NULL, &e); /* the same kernel, called twice */
    int c = sl_model_call(m, frozen, 1, &b, NULL, &e);
    ck_assert_msg(c >= 0, "%s", e.msg);
    ck_assert(sl_model_set_io(m, 1, &x, 1, &c, &e) == 0);
    ck_assert(sl_model_init_params(m, 1, &e) == 0);
    sl_real xv[6] = {1, 2, 3, 4, 5, 6};
    SlTensor in = sl_tensor(sl_shape_of(2, (int[]){2, 3}), xv);
    ck_assert(sl_model_forward(m, &in, 0, &e) == 0);
    double l1 = 0;
    for (int i = 0; i < 9; i++)
        l1 += fabs(shared->params[0].value.data[i]);
    ck_assert_double_eq_tol(sl_model_penalty(m), l1, 1e-5 * l1);
    sl_model_free(m);
}
END_TEST

/* Constraints run after each step of fit on trainable weights only; a frozen one is left alone. */
START_TEST(test_constraint_after_step)
{
    SlError e;
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    ck_assert(sl_model_add(m, sl_layer("InputLayer", "shape=(3,)", &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("Dense", "4, kernel_constraint='non_neg'", &e), &e) == 0);
    ck_assert(
        sl_model_add(m, sl_layer("Dense", "1, kernel_constraint=unit_norm(), trainable=False", &e),
                     &e) == 0);
    ck_assert(sl_compile(m, "loss='mse', optimizer='sgd'", &e) == 0);
    ck_assert(sl_model_ensure_params(m, &e) == 0);
    sl_real xv[12], yv[4];
    for (int i = 0; i < 12; i++)
        xv[i] = (sl_real)(i % 5) - 2;
    for (int i = 0; i < 4; i++)
        yv[i] = (sl_real)i;
    SlTensor x = sl_tensor(sl_shape_of(2, (int[]){4, 3}), xv),
             y = sl_tensor(sl_shape_of(2, (int[]){4, 1}), yv);
    sl_real frozen[4];
    memcpy(frozen, m->params[2]->value.data, sizeof frozen);
    SlFitOptions o = sl_fit_defaults();
    o.verbose = 0;
    o.epochs = 3;
    ck_assert_msg(sl_model_fit(m, &x, &y, &o, NULL, &e) == 0, "%s", e.msg);
    for (int i = 0; i < 12; i++)
        ck_assert(m->params[0]->value.data[i] >= 0);
    ck_assert(memcmp(frozen, m->params[2]->value.data, sizeof frozen) == 0);
    sl_model_free(m);
}
END_TEST

/* Reading regularizers and constraints: Keras's names, and the errors. */
static const TuArgError arg_errors[] = {
    {"Dense", "3, kernel_regularizer='l1_l2'",
     "kernel_regularizer='l1_l2' is not a name Keras 3 knows (its string is 'l1l2'"},
    {"Dense", "3, kernel_regularizer=l3(0.01)",
     "unknown regularizer 'l3' for argument 'kernel_regularizer'"},
    {"Dense", "3, kernel_regularizer=l2(-0.01)",
     "Invalid value for argument l2: expected a non-negative float. Received: l2=-0.01"},
    {"Dense", "3, bias_regularizer=l1_l2(0.1, 0.2, 0.3)",
     "bias_regularizer: L1L2 takes at most 2 positional arguments"},
    {"Dense", "3, kernel_regularizer=OrthogonalRegularizer(0.01)",
     "OrthogonalRegularizer is not supported yet"},
    {"Dense", "3, kernel_regularizer=3", "argument 'kernel_regularizer' must be a name like"},
    {"Dense", "3, kernel_constraint='nonneg'",
     "unknown constraint 'nonneg' for argument 'kernel_constraint'"},
    {"Dense", "3, kernel_constraint=max_norm(2, ax=0)",
     "kernel_constraint: MaxNorm got an unknown keyword argument 'ax'"},
    {"LSTM", "3, recurrent_constraint=max_norm(axis=[0, 1, 2, 3, 4, 5])",
     "MaxNorm's axis takes 1 to 5 axes"},
    {"ActivityRegularization", "l1=-0.1", "Invalid value for argument l1"},
    {"ActivityRegularization", "0.1, activity_regularizer='l2'",
     "give those instead of activity_regularizer="},
    {"Dense", "3, lora_rank=4", "lora_rank=4 is not supported yet; LoRA adapters"},
    {"Embedding", "10, 3, weights=[1]", "weights=[1] is not supported yet"},
};
enum { N_ARG_ERRORS = sizeof arg_errors / sizeof arg_errors[0] };

START_TEST(test_arg_error)
{
    tu_check_arg_error(&arg_errors[_i]);
}
END_TEST

/* A constraint's axes must fit its weight: said when the weight is made. */
static const TuShapeError shape_errors[] = {
    {"Dense",
     "3, kernel_constraint=max_norm(2, axis=2)",
     2,
     {SL_NONE, 4},
     {"layer 'dense' (Dense), weight 'kernel'", "max_norm(2, axis=2)", "(4, 3)", "axes 0 to 1"}},
    {"Conv1D",
     "2, 3, bias_constraint=unit_norm(axis=[0, 0])",
     3,
     {SL_NONE, 5, 2},
     {"weight 'bias'", "each once"}},
};
enum { N_SHAPE_ERRORS = sizeof shape_errors / sizeof shape_errors[0] };

START_TEST(test_shape_error)
{
    tu_check_shape_error(&shape_errors[_i]);
}
END_TEST

/* docs/layers/dropout.md works this by hand. */
START_TEST(test_activity_hand_example)
{
    SlError e;
    SlShape s = sl_shape_of(2, (int[]){2, 2});
    sl_clear_session();
    SlModel *m = one_call("ActivityRegularization", "l1=0.01, l2=0.02", s, &e);
    sl_real x[4] = {1, -2, 0.5, 0}, zeros[4] = {0}, dx[4] = {0.025, -0.045, 0.015, 0};
    SlTensor in = sl_tensor(s, x), dy = sl_tensor(s, zeros);
    ck_assert(sl_model_forward(m, &in, 0, &e) == 0);
    ck_assert_double_eq_tol(sl_model_penalty(m), 0.07, 1e-6);
    ck_assert(sl_model_backward_penalized(m, &dy, 0, &e) == 0);
    tu_assert_close("dx", sl_model_input_grad(m, 0).data, dx, 4);
    sl_model_free(m);
}
END_TEST

/* Keras 3's l1_l2 defaults to 0 and 0: a learner who writes l1_l2() from a Keras 2 tutorial
 * hears that it adds nothing. */
START_TEST(test_l1_l2_notice)
{
    SlError e;
    SlLayer *l = sl_layer("Dense", "3, kernel_regularizer=l1_l2()", &e);
    ck_assert_msg(l != NULL, "%s", e.msg);
    ck_assert_msg(strstr(l->notice, "kernel_regularizer=l1_l2() adds nothing: Keras 3's l1_l2 "
                                    "defaults to l1=0 and l2=0"),
                  "%s", l->notice);
    sl_layer_free(l);
}
END_TEST

/* The summary of a model with regularizers, built from a script as a learner writes it; the
 * counts are Keras's (worked from build(): regularizers and constraints add no weights). */
START_TEST(test_summary_figures)
{
    const char *script = "from tensorflow import keras\n"
                         "from tensorflow.keras import layers\n"
                         "model = keras.Sequential()\n"
                         "model.add(layers.Dense(16, activation='relu', input_shape=(8,),\n"
                         "                       kernel_regularizer='l2'))\n"
                         "model.add(layers.ActivityRegularization(l1=0.01))\n"
                         "model.add(layers.Dense(4, bias_regularizer='l1',\n"
                         "                       kernel_constraint='max_norm'))\n";
    static const SlScriptOptions quiet;
    SlError e;
    sl_clear_session();
    SlScript *s = sl_script_run_text("regularized.py", script, strlen(script), &quiet, &e);
    ck_assert_msg(s != NULL, "%s", e.msg);
    SlModel *m = sl_script_model(s, &e);
    ck_assert_msg(m != NULL, "%s", e.msg);
    ck_assert_int_eq(sl_model_count_params(m), 8 * 16 + 16 + 16 * 4 + 4); /* 212 */
    char buf[4096] = "";
    FILE *f = fmemopen(buf, sizeof buf, "w");
    ck_assert(sl_model_summary(m, 0, f, &e) == 0);
    fclose(f);
    /* tf.keras 2's table wraps the long class name in its column */
    ck_assert_str_eq(buf, "Model: \"sequential\"\n"
                          "_________________________________________________________________\n"
                          "Layer (type)                 Output Shape              Param #   \n"
                          "=================================================================\n"
                          "dense (Dense)                (None, 16)                144       \n"
                          "_________________________________________________________________\n"
                          "activity_regularization (Act (None, 16)                0         \n"
                          "ivityRegularization)                                             \n"
                          "_________________________________________________________________\n"
                          "dense_1 (Dense)              (None, 4)                 68        \n"
                          "=================================================================\n"
                          "Total params: 212\n"
                          "Trainable params: 212\n"
                          "Non-trainable params: 0\n"
                          "_________________________________________________________________\n");
    sl_script_free(s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("regularizer");
    TCase *tc = tcase_create("pytorch fixtures");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_layer_fixture, 0, N_LAYER_FIXTURES);
    tcase_add_loop_test(tc, test_constraint_fixture, 0, N_CONSTRAINT_FIXTURES);
    tcase_add_test(tc, test_fit_fixture);
    suite_add_tcase(s, tc);
#ifdef SL_DOUBLE
    tc = tcase_create("gradient checks");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_gradcheck, 0, N_GC);
    tcase_add_test(tc, test_gradcheck_wrapped);
    suite_add_tcase(s, tc);
#endif
    tc = tcase_create("rules and errors");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_penalty_counts);
    tcase_add_test(tc, test_constraint_after_step);
    tcase_add_loop_test(tc, test_arg_error, 0, N_ARG_ERRORS);
    tcase_add_loop_test(tc, test_shape_error, 0, N_SHAPE_ERRORS);
    tcase_add_test(tc, test_l1_l2_notice);
    tcase_add_test(tc, test_activity_hand_example);
    tcase_add_test(tc, test_summary_figures);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
