/* check_train.c: compile, fit, evaluate, predict, weights, the summary table and the progress bar;
 * losses, metrics and optimizers against PyTorch's numbers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "train.h"

/* ---- helpers ---- */

static SlModel *seq(const char *const *layers, int n, SlError *e)
{
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    for (int i = 0; i < n; i += 2)
        if (sl_model_add(m, sl_layer(layers[i], layers[i + 1], e), e) < 0) {
            sl_model_free(m);
            return NULL;
        }
    return m;
}

/* Run f(m, out) with out going to a string. */
static char *capture_summary(const SlModel *m, int line_length)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    SlError e;
    ck_assert_msg(sl_model_summary(m, line_length, f, &e) == 0, "%s", e.msg);
    fclose(f);
    return buf;
}

/* ---- summary ---- */

START_TEST(test_summary_regression)
{
    SlError e;
    const char *L[] = {"Dense", "64, activation='relu', input_shape=(13,)", "Dense", "1"};
    SlModel *m = seq(L, 4, &e);
    char *s = capture_summary(m, 0);
    ck_assert_str_eq(s, "Model: \"sequential\"\n"
                        "_________________________________________________________________\n"
                        "Layer (type)                 Output Shape              Param #   \n"
                        "=================================================================\n"
                        "dense (Dense)                (None, 64)                896       \n"
                        "_________________________________________________________________\n"
                        "dense_1 (Dense)              (None, 1)                 65        \n"
                        "=================================================================\n"
                        "Total params: 961\n"
                        "Trainable params: 961\n"
                        "Non-trainable params: 0\n"
                        "_________________________________________________________________\n");
    free(s);
    sl_model_free(m);
}
END_TEST

START_TEST(test_summary_multi_output)
{
    SlError e;
    const char *L[] = {"Dense",    "112, input_shape=(32,)", "Reshape", "(16, 7)", "Activation",
                       "'softmax'"};
    SlModel *m = seq(L, 6, &e);
    char *s = capture_summary(m, 0);
    ck_assert_str_eq(s, "Model: \"sequential\"\n"
                        "_________________________________________________________________\n"
                        "Layer (type)                 Output Shape              Param #   \n"
                        "=================================================================\n"
                        "dense (Dense)                (None, 112)               3696      \n"
                        "_________________________________________________________________\n"
                        "reshape (Reshape)            (None, 16, 7)             0         \n"
                        "_________________________________________________________________\n"
                        "activation (Activation)      (None, 16, 7)             0         \n"
                        "=================================================================\n"
                        "Total params: 3,696\n"
                        "Trainable params: 3,696\n"
                        "Non-trainable params: 0\n"
                        "_________________________________________________________________\n");
    free(s);
    /* summary(line_length=40) narrows every column; what does not fit wraps onto the next line */
    s = capture_summary(m, 40);
    ck_assert_msg(strstr(s, "activation (Activ (None, 16, 7)   0     \n"
                            "ation)                                  \n"),
                  "%s", s);
    free(s);
    sl_model_free(m);
}
END_TEST

/* A functional chain prints like a Sequential model, with its InputLayer as a list-shaped row. */
START_TEST(test_summary_functional_chain)
{
    SlError e;
    sl_clear_session();
    SlModel *m = sl_model_new("model");
    int x = sl_model_input(m, sl_layer("Input", "shape=(2, 3)", &e), &e);
    int y = sl_model_call(m, sl_layer("Dense", "4", &e), 1, &x, NULL, &e);
    ck_assert(sl_model_set_io(m, 1, &x, 1, &y, &e) == 0);
    char *s = capture_summary(m, 0);
    ck_assert_str_eq(s, "Model: \"model\"\n"
                        "_________________________________________________________________\n"
                        "Layer (type)                 Output Shape              Param #   \n"
                        "=================================================================\n"
                        "input_1 (InputLayer)         [(None, 2, 3)]            0         \n"
                        "_________________________________________________________________\n"
                        "dense (Dense)                (None, 2, 4)              16        \n"
                        "=================================================================\n"
                        "Total params: 16\n"
                        "Trainable params: 16\n"
                        "Non-trainable params: 0\n"
                        "_________________________________________________________________\n");
    free(s);
    sl_model_free(m);
}
END_TEST

/* Two inputs through one shared Dense: not a chain, so "Connected to" and "multiple". */
START_TEST(test_summary_functional_graph)
{
    SlError e;
    sl_clear_session();
    SlModel *m = sl_model_new("two_towers");
    int a = sl_model_input(m, sl_layer("Input", "shape=(4,)", &e), &e);
    int b = sl_model_input(m, sl_layer("Input", "shape=(6, 4)", &e), &e);
    SlLayer *d = sl_layer("Dense", "3", &e);
    int ya = sl_model_call(m, d, 1, &a, NULL, &e), yb = sl_model_call(m, d, 1, &b, NULL, &e);
    int ins[2] = {a, b}, outs[2] = {ya, yb};
    ck_assert(sl_model_set_io(m, 2, ins, 2, outs, &e) == 0);
    char *s = capture_summary(m, 0);
    const char *want = "Model: \"two_towers\"\n"
                       "___________________________________________________________________________"
                       "_______________________\n"
                       "Layer (type)                    Output Shape         Param #     Connected "
                       "to                     \n"
                       "==========================================================================="
                       "=======================\n"
                       "input_1 (InputLayer)            [(None, 4)]          0                     "
                       "                       \n"
                       "___________________________________________________________________________"
                       "_______________________\n"
                       "input_2 (InputLayer)            [(None, 6, 4)]       0                     "
                       "                       \n"
                       "___________________________________________________________________________"
                       "_______________________\n"
                       "dense (Dense)                   multiple             15          "
                       "input_1[0][0]                    \n"
                       "                                                                 "
                       "input_2[0][0]                    \n"
                       "==========================================================================="
                       "=======================\n"
                       "Total params: 15\n"
                       "Trainable params: 15\n"
                       "Non-trainable params: 0\n"
                       "___________________________________________________________________________"
                       "_______________________\n";
    ck_assert_str_eq(s, want);
    free(s);
    sl_model_free(m);
}
END_TEST

/* A name longer than its column wraps at the column's edge (no "),"-like break in it). */
START_TEST(test_summary_long_name)
{
    SlError e;
    const char *L[] = {"Dense",
                       "3, name='a_dense_layer_with_a_rather_long_name', input_shape=(4,)"};
    SlModel *m = seq(L, 2, &e);
    ck_assert_msg(m != NULL, "%s", e.msg);
    char *s = capture_summary(m, 0);
    ck_assert_str_eq(s, "Model: \"sequential\"\n"
                        "_________________________________________________________________\n"
                        "Layer (type)                 Output Shape              Param #   \n"
                        "=================================================================\n"
                        "a_dense_layer_with_a_rather_ (None, 3)                 15        \n"
                        "long_name (Dense)                                                \n"
                        "=================================================================\n"
                        "Total params: 15\n"
                        "Trainable params: 15\n"
                        "Non-trainable params: 0\n"
                        "_________________________________________________________________\n");
    free(s);
    sl_model_free(m);
}
END_TEST

/* One Dense applied 20 times in a row: its Connected to lists all 20 inputs, one a row, and the
 * long input name wraps in the name column and in the Connected to column. */
START_TEST(test_summary_long_connections)
{
    enum { CALLS = 20 };
    SlError e;
    sl_clear_session();
    SlModel *m = sl_model_new("looped");
    int x = sl_model_input(
        m, sl_layer("Input", "shape=(4,), name='an_input_with_a_name_long_enough_to_wrap'", &e),
        &e);
    ck_assert_msg(x >= 0, "%s", e.msg);
    SlLayer *d = sl_layer("Dense", "4", &e);
    int y = x;
    for (int i = 0; i < CALLS; i++)
        ck_assert_msg((y = sl_model_call(m, d, 1, &y, NULL, &e)) >= 0, "%s", e.msg);
    ck_assert(sl_model_set_io(m, 1, &x, 1, &y, &e) == 0);
    char *s = capture_summary(m, 0);
    static const char head[] =
        "Model: \"looped\"\n"
        "___________________________________________________________________________"
        "_______________________\n"
        "Layer (type)                    Output Shape         Param #     Connected "
        "to                     \n"
        "==========================================================================="
        "=======================\n"
        "an_input_with_a_name_long_enoug [(None, 4)]          0                     "
        "                       \n"
        "h_to_wrap (InputLayer)                                                     "
        "                       \n"
        "___________________________________________________________________________"
        "_______________________\n"
        "dense (Dense)                   (None, 4)            20          an_input_w"
        "ith_a_name_long_enough_\n"
        "                                                                 to_wrap[0]"
        "[0]                    \n";
    static const char tail[] =
        "==========================================================================="
        "=======================\n"
        "Total params: 20\n"
        "Trainable params: 20\n"
        "Non-trainable params: 0\n"
        "___________________________________________________________________________"
        "_______________________\n";
    char want[8192], conn[32];
    size_t u = (size_t)snprintf(want, sizeof want, "%s", head);
    for (int i = 1; i < CALLS; i++) { /* call i reads the output of call i - 1 */
        snprintf(conn, sizeof conn, "dense[%d][0]", i - 1);
        u += (size_t)snprintf(want + u, sizeof want - u, "%65s%-33s\n", "", conn);
    }
    snprintf(want + u, sizeof want - u, "%s", tail);
    ck_assert_str_eq(s, want);
    free(s);
    sl_model_free(m);
}
END_TEST

START_TEST(test_summary_not_built)
{
    SlError e;
    const char *L[] = {"Dense", "4"};
    SlModel *m = seq(L, 2, &e);
    ck_assert(sl_model_summary(m, 0, stdout, &e) < 0);
    ck_assert_msg(strstr(e.msg, "not been built"), "%s", e.msg);
    sl_model_free(m);
}
END_TEST

/* ---- the progress bar, on a fake clock ---- */

static double fake_now;
static double fake_clock(void)
{
    return fake_now;
}

static char *bar_run(int verbose, int dynamic, int steps, const double *times, double loss,
                     double acc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    SlProgbar p;
    fake_now = 100;
    sl_progbar_init(&p, steps, verbose, dynamic, f, fake_clock);
    SlLogs l = {0};
    l.n = 2;
    snprintf(l.name[0], SL_LOG_NAME_MAX, "loss");
    snprintf(l.name[1], SL_LOG_NAME_MAX, "accuracy");
    l.value[0] = loss;
    l.value[1] = acc;
    for (int s = 1; s <= steps; s++) {
        fake_now = 100 + times[s - 1];
        sl_progbar_update(&p, s, &l, s == steps);
    }
    fclose(f);
    return buf;
}

START_TEST(test_progbar_verbose2)
{
    double times[30];
    for (int i = 0; i < 30; i++)
        times[i] = 6.03 * (i + 1) / 30;
    char *s = bar_run(2, 0, 30, times, 0.6913, 0.81);
    ck_assert_str_eq(s, "30/30 - 6s - loss: 0.6913 - accuracy: 0.8100 - 6s/epoch - 201ms/step\n");
    free(s);
    s = bar_run(2, 0, 30, times, 0.0005, 0.81); /* small values in %.4e */
    ck_assert_str_eq(s, "30/30 - 6s - loss: 5.0000e-04 - accuracy: 0.8100 - 6s/epoch - "
                        "201ms/step\n");
    free(s);
}
END_TEST

START_TEST(test_progbar_verbose1_terminal)
{
    /* three steps: 0.2 s, then 0.1 s each; ETA uses the steps after the first */
    double times[3] = {0.2, 0.3, 0.4};
    char *s = bar_run(1, 1, 3, times, 0.5, 0.25);
    ck_assert_str_eq(s, "\r1/3 [=========>....................] - ETA: 0s - loss: 0.5000 - "
                        "accuracy: 0.2500"
                        "\r2/3 [===================>..........] - ETA: 0s - loss: 0.5000 - "
                        "accuracy: 0.2500"
                        "\r3/3 [==============================] - 0s 100ms/step - loss: 0.5000 - "
                        "accuracy: 0.2500\n");
    free(s);
    double slow[3] = {20, 40, 60}; /* the ETA counts the remaining steps */
    s = bar_run(1, 1, 3, slow, 0.5, 0.25);
    ck_assert(strstr(s, "\r1/3 [=========>....................] - ETA: 40s - loss"));
    ck_assert(strstr(s, "3/3 [==============================] - 60s 20s/step - loss"));
    free(s);
    /* not a terminal: only the finished line */
    s = bar_run(1, 0, 3, times, 0.5, 0.25);
    ck_assert_str_eq(s, "3/3 [==============================] - 0s 133ms/step - loss: 0.5000 - "
                        "accuracy: 0.2500\n");
    free(s);
}
END_TEST

/* ---- compile and data errors, before any training ---- */

static const struct {
    const char *args, *must;
} compile_errors[] = {
    {"loss='msee', optimizer='adam'", "unknown loss 'msee'"},
    {"loss='mse', optimizer='adamw'", "unknown optimizer 'adamw'"},
    {"loss='mse', metrics=['acuracy']", "unknown metric 'acuracy'"},
    {"optimizer='adam'", "give a loss"},
    {"loss=['mse', 'mae']", "2 losses for a model with 1 outputs"},
    {"loss='mse', optimiser='adam'", "unknown keyword argument 'optimiser'"},
};

START_TEST(test_compile_errors)
{
    SlError e = {""};
    const char *L[] = {"Dense", "2, input_shape=(3,)"};
    SlModel *m = seq(L, 2, &e);
    ck_assert(sl_compile(m, compile_errors[_i].args, &e) < 0);
    ck_assert_msg(strstr(e.msg, compile_errors[_i].must), "%s: %s", compile_errors[_i].args, e.msg);
    sl_model_free(m);
}
END_TEST

START_TEST(test_fit_data_errors)
{
    SlError e;
    const char *L[] = {"Dense", "5, activation='softmax', input_shape=(3,)"};
    SlModel *m = seq(L, 2, &e);
    ck_assert(sl_compile(m, "loss='categorical_crossentropy', optimizer='sgd'", &e) == 0);
    static sl_real x[8 * 3], y[8 * 5], labels[8], sw[8];
    SlTensor X = sl_tensor(sl_shape_of(2, (int[]){8, 3}), x);
    SlTensor Y = sl_tensor(sl_shape_of(2, (int[]){8, 5}), y);
    SlTensor Ylab = sl_tensor(sl_shape_of(1, (int[]){8}), labels);
    SlTensor Y7 = sl_tensor(sl_shape_of(2, (int[]){7, 5}), y);
    SlFitOptions o = sl_fit_defaults();
    o.verbose = 0;
    ck_assert(sl_model_fit(m, &X, &Y7, &o, NULL, &e) < 0);
    ck_assert_msg(strstr(e.msg, "x has 8 samples but y[0] has (7, 5)"), "%s", e.msg);
    ck_assert(sl_model_fit(m, &X, &Ylab, &o, NULL, &e) < 0);
    ck_assert_msg(strstr(e.msg, "the output has shape (8, 5) and the targets (8,)") &&
                      strstr(e.msg, "use sparse_categorical_crossentropy"),
                  "%s", e.msg);
    x[4] = NAN;
    ck_assert(sl_model_fit(m, &X, &Y, &o, NULL, &e) < 0);
    ck_assert_msg(strstr(e.msg, "x[0] holds NaN at flat index 4"), "%s", e.msg);
    x[4] = 0;
    SlTensor W = sl_tensor(sl_shape_of(1, (int[]){7}), sw);
    o.sample_weight = &W;
    ck_assert(sl_model_fit(m, &X, &Y, &o, NULL, &e) < 0);
    ck_assert_msg(strstr(e.msg, "sample weights must be one per sample (8,)"), "%s", e.msg);
    o.sample_weight = NULL;
    ck_assert(sl_compile(m, "loss='sparse_categorical_crossentropy'", &e) == 0);
    labels[3] = 5;
    ck_assert(sl_model_fit(m, &X, &Ylab, &o, NULL, &e) < 0);
    ck_assert_msg(strstr(e.msg, "target 3 is 5") && strstr(e.msg, "from 0 to 4"), "%s", e.msg);
    SlTensor X0 = sl_tensor(sl_shape_of(2, (int[]){0, 3}), x),
             Y0 = sl_tensor(sl_shape_of(1, (int[]){0}), labels);
    ck_assert(sl_model_fit(m, &X0, &Y0, &o, NULL, &e) < 0);
    ck_assert_msg(strstr(e.msg, "no samples"), "%s", e.msg);
    o.val_x = &X;
    ck_assert(sl_model_fit(m, &X, &Ylab, &o, NULL, &e) < 0);
    ck_assert_msg(strstr(e.msg, "needs both x and y"), "%s", e.msg);
    o.val_x = NULL;
    SlTensor X2 = sl_tensor(sl_shape_of(1, (int[]){8}), x); /* (N,) for a (None, 3) input */
    labels[3] = 1;
    ck_assert(sl_model_fit(m, &X2, &Ylab, &o, NULL, &e) < 0);
    ck_assert_msg(strstr(e.msg, "expects (None, 3), got (8,)"), "%s", e.msg);
    sl_model_free(m);
}
END_TEST

/* ---- training that learns ---- */

/* QUESTIONS.md item 15: one linear unit and mse learn a real-valued target. */
START_TEST(test_fit_regression_learns)
{
    SlError e;
    const char *L[] = {"Dense", "16, activation='relu', input_shape=(4,)", "Dense", "1"};
    SlModel *m = seq(L, 4, &e);
    ck_assert(sl_compile(m, "loss='mse', optimizer=Adam, metrics=['mae']", &e) < 0);
    ck_assert(sl_compile(m, "loss='mse', optimizer='adam', metrics=['mae']", &e) == 0);
    SlOptimizer adam;
    ck_assert(sl_optimizer(&adam, "Adam", "learning_rate=0.01", &e) == 0);
    sl_model_set_optimizer(m, &adam);
    enum { N = 200 };
    static sl_real x[N * 4], y[N];
    SlRng r = sl_rng(3);
    for (int i = 0; i < N; i++) {
        double s = 0;
        for (int j = 0; j < 4; j++) {
            x[i * 4 + j] = (sl_real)sl_rng_range(&r, -1, 1);
            s += (j + 1) * 0.5 * x[i * 4 + j];
        }
        y[i] = (sl_real)s;
    }
    SlTensor X = sl_tensor(sl_shape_of(2, (int[]){N, 4}), x);
    SlTensor Y = sl_tensor(sl_shape_of(2, (int[]){N, 1}), y);
    SlFitOptions o = sl_fit_defaults();
    o.verbose = 0;
    o.epochs = 40;
    o.seed = 1;
    SlHistory h;
    ck_assert_msg(sl_model_fit(m, &X, &Y, &o, &h, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(h.n_epochs, 40);
    double first = sl_history_get(&h, "loss", 0), last = sl_history_get(&h, "loss", 39);
    ck_assert_msg(last < 0.02 && last < first / 20, "loss %g -> %g", first, last);
    SlLogs l;
    ck_assert(sl_model_evaluate(m, &X, &Y, NULL, 50, &l, &e) == 0);
    ck_assert(sl_logs_get(&l, "mae") < 0.12);
    SlTensor out[1];
    ck_assert(sl_model_predict(m, &X, 64, out, &e) == 0);
    ck_assert_int_eq(out[0].shape.dim[0], N);
    double err = 0;
    for (int i = 0; i < N; i++)
        err += fabs(out[0].data[i] - y[i]) / N;
    ck_assert_double_eq_tol(err, sl_logs_get(&l, "mae"), 1e-5);
    sl_free(out[0].data);
    sl_history_free(&h);
    sl_model_free(m);
}
END_TEST

/* The same seed gives the same run; validation_split holds out the tail. */
START_TEST(test_fit_seeded_and_validation)
{
    double loss[2];
    for (int run = 0; run < 2; run++) {
        SlError e;
        const char *L[] = {"Dense",   "8, activation='tanh', input_shape=(3,)",
                           "Dropout", "0.3",
                           "Dense",   "2, activation='softmax'"};
        SlModel *m = seq(L, 6, &e);
        ck_assert(sl_compile(m,
                             "loss='categorical_crossentropy', optimizer='rmsprop', "
                             "metrics=['accuracy']",
                             &e) == 0);
        ck_assert(sl_model_init_params(m, 5, &e) == 0);
        static sl_real x[40 * 3], y[40 * 2];
        SlRng r = sl_rng(9);
        for (int i = 0; i < 40; i++) {
            for (int j = 0; j < 3; j++)
                x[i * 3 + j] = (sl_real)sl_rng_range(&r, -1, 1);
            int c = x[i * 3] + x[i * 3 + 1] > 0;
            y[i * 2] = (sl_real)(1 - c);
            y[i * 2 + 1] = (sl_real)c;
        }
        SlTensor X = sl_tensor(sl_shape_of(2, (int[]){40, 3}), x);
        SlTensor Y = sl_tensor(sl_shape_of(2, (int[]){40, 2}), y);
        SlFitOptions o = sl_fit_defaults();
        o.verbose = 0;
        o.epochs = 3;
        o.batch_size = 8;
        o.validation_split = 0.25;
        o.seed = 42;
        SlHistory h;
        ck_assert_msg(sl_model_fit(m, &X, &Y, &o, &h, &e) == 0, "%s", e.msg);
        loss[run] = sl_history_get(&h, "loss", 2);
        ck_assert(!isnan(sl_history_get(&h, "val_loss", 2)));
        ck_assert(!isnan(sl_history_get(&h, "val_accuracy", 2)));
        sl_history_free(&h);
        sl_model_free(m);
    }
    ck_assert(loss[0] == loss[1]);
}
END_TEST

/* Two outputs with their own losses and loss_weights, validation_data, Keras's log names. */
START_TEST(test_fit_two_outputs)
{
    SlError e;
    sl_clear_session();
    SlModel *m = sl_model_new("two_heads");
    int x = sl_model_input(m, sl_layer("Input", "shape=(3,)", &e), &e);
    int h = sl_model_call(m, sl_layer("Dense", "8, activation='tanh'", &e), 1, &x, NULL, &e);
    int a = sl_model_call(m, sl_layer("Dense", "1, name='price'", &e), 1, &h, NULL, &e);
    int b = sl_model_call(m, sl_layer("Dense", "2, activation='softmax', name='kind'", &e), 1, &h,
                          NULL, &e);
    int outs[2] = {a, b};
    ck_assert(sl_model_set_io(m, 1, &x, 2, outs, &e) == 0);
    ck_assert_msg(sl_compile(m,
                             "loss=['mse', 'categorical_crossentropy'], optimizer='adam', "
                             "loss_weights=[0.5, 2.0], metrics=['accuracy']",
                             &e) == 0,
                  "%s", e.msg);
    enum { N = 64 };
    static sl_real xs[N * 3], price[N], kind[N * 2];
    SlRng r = sl_rng(2);
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < 3; j++)
            xs[i * 3 + j] = (sl_real)sl_rng_range(&r, -1, 1);
        price[i] = xs[i * 3] - xs[i * 3 + 2];
        kind[i * 2] = xs[i * 3 + 1] > 0, kind[i * 2 + 1] = xs[i * 3 + 1] <= 0;
    }
    SlTensor X = sl_tensor(sl_shape_of(2, (int[]){N, 3}), xs);
    SlTensor Y[2] = {sl_tensor(sl_shape_of(2, (int[]){N, 1}), price),
                     sl_tensor(sl_shape_of(2, (int[]){N, 2}), kind)};
    SlFitOptions o = sl_fit_defaults();
    o.verbose = 0;
    o.epochs = 2;
    o.val_x = &X; /* validation_data=(x, y) */
    o.val_y = Y;
    SlHistory hist;
    ck_assert_msg(sl_model_fit(m, &X, Y, &o, &hist, &e) == 0, "%s", e.msg);
    const SlLogs *l = &hist.epochs[1];
    const char *want[] = {
        "loss",     "price_loss",     "price_accuracy",     "kind_loss",     "kind_accuracy",
        "val_loss", "val_price_loss", "val_price_accuracy", "val_kind_loss", "val_kind_accuracy"};
    ck_assert_int_eq(l->n, 10);
    for (int i = 0; i < 10; i++)
        ck_assert_str_eq(l->name[i], want[i]);
    /* the total is the weighted sum of the two outputs' losses */
    double total = 0.5 * sl_logs_get(l, "val_price_loss") + 2.0 * sl_logs_get(l, "val_kind_loss");
    ck_assert_double_eq_tol(sl_logs_get(l, "val_loss"), total, 1e-5);
    SlLogs ev;
    ck_assert(sl_model_evaluate(m, &X, Y, NULL, 16, &ev, &e) == 0);
    ck_assert_double_eq_tol(sl_logs_get(&ev, "loss"), sl_logs_get(l, "val_loss"), 1e-5);
    sl_history_free(&hist);
    sl_model_free(m);
}
END_TEST

/* ---- weights ---- */

/* QUESTIONS.md item 7 in small: weights do not depend on the number of timesteps. */
START_TEST(test_set_weights_across_timesteps)
{
    SlError e;
    const char *A[] = {"Dense", "4, input_shape=(50, 5)", "Dense", "2"};
    const char *B[] = {"Dense", "4, input_shape=(None, 5)", "Dense", "2"};
    const char *C[] = {"Dense", "4, input_shape=(None, 6)", "Dense", "2"};
    SlModel *a = seq(A, 4, &e), *b = seq(B, 4, &e), *c = seq(C, 4, &e);
    SlTensor w[8];
    ck_assert(sl_model_init_params(a, 3, &e) == 0);
    int n = sl_model_get_weights(a, w, 8, &e);
    ck_assert_int_eq(n, 4);
    ck_assert_msg(sl_model_set_weights(b, w, n, &e) == 0, "%s", e.msg);
    ck_assert_mem_eq(b->values.base, a->values.base, sl_model_count_params(a) * sizeof(sl_real));
    ck_assert(sl_model_set_weights(c, w, n, &e) < 0);
    ck_assert_msg(strstr(e.msg, "weight 0 (dense/kernel) has shape (6, 4)") &&
                      strstr(e.msg, "got (5, 4)"),
                  "%s", e.msg);
    ck_assert(sl_model_set_weights(c, w, 3, &e) < 0);
    ck_assert_msg(strstr(e.msg, "has 4 weight tensors, got 3"), "%s", e.msg);
    sl_model_free(a);
    sl_model_free(b);
    sl_model_free(c);
}
END_TEST

START_TEST(test_save_load_weights)
{
    SlError e;
    char path[] = "/tmp/shapelab-w-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    const char *A[] = {"Dense", "4, input_shape=(3,)", "Dense", "2"};
    const char *Wrong[] = {"Dense", "5, input_shape=(3,)", "Dense", "2"};
    const char *More[] = {"Dense", "4, input_shape=(3,)", "Dense", "2", "Dense", "1"};
    SlModel *a = seq(A, 4, &e), *b = seq(A, 4, &e);
    ck_assert(sl_model_init_params(a, 1, &e) == 0 && sl_model_init_params(b, 2, &e) == 0);
    ck_assert_msg(sl_model_save_weights(a, path, &e) == 0, "%s", e.msg);
    ck_assert_msg(sl_model_load_weights(b, path, &e) == 0, "%s", e.msg);
    ck_assert_mem_eq(b->values.base, a->values.base, sl_model_count_params(a) * sizeof(sl_real));
    SlModel *w = seq(Wrong, 4, &e), *more = seq(More, 6, &e);
    ck_assert(sl_model_load_weights(w, path, &e) < 0);
    ck_assert_msg(strstr(e.msg, "weight 'dense/kernel' has shape (3, 4) in the file but (3, 5)"),
                  "%s", e.msg);
    ck_assert(sl_model_load_weights(more, path, &e) < 0);
    ck_assert_msg(strstr(e.msg, "no weight named 'dense_2/kernel'"), "%s", e.msg);
    /* the same layers under other names (a second model of the session): by position */
    const char *Named[] = {"Dense", "4, input_shape=(3,), name='enc'", "Dense", "2, name='out'"};
    const char *NamedWrong[] = {"Dense", "5, input_shape=(3,), name='enc'", "Dense", "2, name='o'"};
    SlModel *renamed = seq(Named, 4, &e);
    ck_assert_str_eq(renamed->param_names[0], "enc/kernel");
    ck_assert_int_eq(sl_model_load_weights(renamed, path, &e), 1);
    ck_assert_mem_eq(renamed->values.base, a->values.base,
                     sl_model_count_params(a) * sizeof(sl_real));
    SlModel *wrong2 = seq(NamedWrong, 4, &e); /* other names, another shape: named in the error */
    ck_assert(sl_model_load_weights(wrong2, path, &e) < 0);
    ck_assert_msg(strstr(e.msg, "by position weight 0, 'dense/kernel' (3, 4) in the file, does not "
                                "fit 'enc/kernel' (3, 5)"),
                  "%s", e.msg);
    sl_model_free(renamed);
    sl_model_free(wrong2);
    sl_model_free(a);
    sl_model_free(b);
    sl_model_free(w);
    sl_model_free(more);
    unlink(path);
}
END_TEST

/* ---- no allocation inside fit's steps ---- */

static long at_batch[64];
static int n_batches;
static void on_batch(void *ctx, const SlEvent *ev)
{
    (void)ctx;
    if (ev->kind == SL_EV_BATCH_END && n_batches < 64)
        at_batch[n_batches++] = tu_n_allocs;
}

START_TEST(test_fit_steps_allocate_nothing)
{
    SlAllocator old = sl_set_allocator(&tu_counting_allocator);
    SlError e;
    const char *L[] = {"Dense", "8, activation='relu', input_shape=(5,)", "Dense", "1"};
    SlModel *m = seq(L, 4, &e);
    ck_assert(sl_compile(m, "loss='mse', optimizer='adam'", &e) == 0);
    static sl_real x[50 * 5], y[50];
    for (int i = 0; i < 250; i++)
        x[i] = (sl_real)sin(i);
    SlTensor X = sl_tensor(sl_shape_of(2, (int[]){50, 5}), x);
    SlTensor Y = sl_tensor(sl_shape_of(2, (int[]){50, 1}), y);
    SlFitOptions o = sl_fit_defaults();
    o.verbose = 0;
    o.epochs = 2;
    o.batch_size = 8; /* 7 steps per epoch, the last one smaller */
    SlObserver obs = {on_batch, NULL};
    sl_model_set_observer(m, &obs);
    n_batches = 0;
    ck_assert(sl_model_fit(m, &X, &Y, &o, NULL, &e) == 0);
    sl_set_allocator(&old);
    ck_assert_int_eq(n_batches, 14);
    for (int i = 1; i < n_batches; i++)
        ck_assert_msg(at_batch[i] == at_batch[0], "batch %d allocated %ld times", i + 1,
                      at_batch[i] - at_batch[i - 1]);
    sl_model_free(m);
}
END_TEST

/* ---- losses, metrics and optimizers against PyTorch ---- */

static const char *const loss_fixtures[] = {
    "loss_mse_2d",
    "loss_mse_3d_mask",
    "loss_mse_3d_step_weights",
    "loss_mse_3d_mask_sample_weights",
    "loss_mae_2d_weights",
    "loss_bce_2d",
    "loss_bce_logits",
    "loss_bce_3d_mask",
    "loss_cce_2d",
    "loss_cce_logits",
    "loss_cce_3d_mask_step_weights",
    "loss_scce_2d",
    "loss_scce_logits",
    "loss_scce_3d",
};
enum { N_LOSS = sizeof loss_fixtures / sizeof loss_fixtures[0] };

/* A tensor of the fixture in a fresh buffer (NULL data if absent). */
static SlTensor fx(const SlSafetensors *st, const char *name)
{
    SlTensor t = {{0, {0}}, NULL};
    const SlStTensor *s = sl_st_find(st, name);
    if (!s)
        return t;
    SlError e;
    t.data = calloc(s->count + 1, sizeof(sl_real));
    ck_assert_msg(sl_st_get(st, name, t.data, s->count, &t.shape, &e) == 0, "%s", e.msg);
    return t;
}

typedef struct LossCase {
    SlSafetensors st;
    SlLoss L;
    SlTensor yt, yp, sw, mask, loss, grad;
    unsigned char m[64];
} LossCase;

static void load_loss_case(LossCase *c, const char *name)
{
    SlError e;
    ck_assert_msg(sl_st_read(&c->st, tu_fixture(name), &e) == 0, "%s", e.msg);
    SlArgs a;
    sl_args_init(&a);
    ck_assert(sl_args_parse(&a, sl_st_meta(&c->st, "args"), &e) == 0);
    ck_assert_msg(sl_loss_create(&c->L, sl_st_meta(&c->st, "loss"), &a, &e) == 0, "%s", e.msg);
    c->yt = fx(&c->st, "y_true"), c->yp = fx(&c->st, "y_pred"), c->sw = fx(&c->st, "sample_weight");
    c->mask = fx(&c->st, "mask"), c->loss = fx(&c->st, "loss"), c->grad = fx(&c->st, "grad");
    for (size_t i = 0; c->mask.data && i < sl_tensor_count(&c->mask); i++)
        c->m[i] = c->mask.data[i] != 0;
    ck_assert(sl_loss_check(&c->L, &c->yp.shape, &c->yt.shape, c->sw.data ? &c->sw.shape : NULL,
                            &e) == 0);
}

static void free_loss_case(LossCase *c)
{
    free(c->yt.data), free(c->yp.data), free(c->sw.data), free(c->mask.data);
    free(c->loss.data), free(c->grad.data);
    sl_st_free(&c->st);
}

START_TEST(test_loss_fixture)
{
    LossCase c;
    load_loss_case(&c, loss_fixtures[_i]);
    sl_real *g = calloc(sl_tensor_count(&c.yp), sizeof *g);
    double l = sl_loss_eval(&c.L, &c.yp, &c.yt, c.sw.data ? &c.sw : NULL, c.mask.data ? c.m : NULL,
                            g, 1.0);
    sl_real lr = (sl_real)l;
    tu_assert_close("loss", &lr, c.loss.data, 1);
    tu_assert_close("grad", g, c.grad.data, sl_tensor_count(&c.yp));
    /* metrics: [sum, count] each, ignoring sample weights, using the mask */
    const char *acc = sl_st_meta(&c.st, "accuracy");
    SlMetricKind ak = sl_accuracy_kind(&c.L, &c.yp.shape, &c.yt.shape);
    ck_assert_int_eq(ak, !strcmp(acc, "binary")   ? SL_METRIC_BINARY_ACCURACY
                         : !strcmp(acc, "sparse") ? SL_METRIC_SPARSE_CATEGORICAL_ACCURACY
                                                  : SL_METRIC_CATEGORICAL_ACCURACY);
    const struct {
        const char *name;
        SlMetricKind kind;
    } metrics[3] = {
        {"metric/accuracy", ak}, {"metric/mae", SL_METRIC_MAE}, {"metric/mse", SL_METRIC_MSE}};
    for (int i = 0; i < 3; i++) {
        SlTensor want = fx(&c.st, metrics[i].name);
        if (!want.data)
            continue;
        double sum = 0, count = 0;
        sl_metric_update(metrics[i].kind, &c.yp, &c.yt, NULL, c.mask.data ? c.m : NULL, &sum,
                         &count);
        sl_real got[2] = {(sl_real)sum, (sl_real)count};
        tu_assert_close(metrics[i].name, got, want.data, 2);
        free(want.data);
    }
    free(g);
    free_loss_case(&c);
}
END_TEST

#ifdef SL_DOUBLE
/* Every loss's gradient against central differences, on the fixtures' inputs. */
START_TEST(test_loss_gradcheck)
{
    LossCase c;
    load_loss_case(&c, loss_fixtures[_i]);
    size_t n = sl_tensor_count(&c.yp);
    sl_real *g = calloc(n, sizeof *g);
    const SlTensor *sw = c.sw.data ? &c.sw : NULL;
    const unsigned char *mask = c.mask.data ? c.m : NULL;
    sl_loss_eval(&c.L, &c.yp, &c.yt, sw, mask, g, 1.0);
    double worst = 0;
    int nonzero = 0;
    for (size_t i = 0; i < n; i++) {
        double v = c.yp.data[i], h = 1e-6;
        if (c.L.kind == SL_LOSS_BCE && !c.L.from_logits && (v < 1e-6 || v > 1 - 1e-6))
            continue; /* at the clip: the slope is not defined there */
        c.yp.data[i] = v + h;
        double fp = sl_loss_eval(&c.L, &c.yp, &c.yt, sw, mask, NULL, 1);
        c.yp.data[i] = v - h;
        double fm = sl_loss_eval(&c.L, &c.yp, &c.yt, sw, mask, NULL, 1);
        c.yp.data[i] = v;
        double num = (fp - fm) / (2 * h),
               err = fabs(num - g[i]) / fmax(fabs(num) + fabs(g[i]), 1e-8);
        worst = fmax(worst, err);
        nonzero += g[i] != 0;
    }
    ck_assert_msg(worst < 1e-6, "%s: max error %g", loss_fixtures[_i], worst);
    ck_assert(nonzero > 0);
    free(g);
    free_loss_case(&c);
}
END_TEST
#endif

static const char *const optim_fixtures[] = {
    "optim_sgd",
    "optim_sgd_momentum",
    "optim_sgd_nesterov",
    "optim_rmsprop",
    "optim_rmsprop_centered_momentum",
    "optim_adam",
    "optim_adam_amsgrad",
};

START_TEST(test_optimizer_fixture)
{
    SlSafetensors st;
    SlError e;
    ck_assert_msg(sl_st_read(&st, tu_fixture(optim_fixtures[_i]), &e) == 0, "%s", e.msg);
    SlOptimizer o;
    ck_assert_msg(sl_optimizer(&o, sl_st_meta(&st, "optimizer"), sl_st_meta(&st, "args"), &e) == 0,
                  "%s", e.msg);
    SlTensor w = fx(&st, "w0"), g = fx(&st, "grads"), want = fx(&st, "w");
    size_t n = sl_tensor_count(&w);
    ck_assert(sl_optimizer_prepare(&o, n, &e) == 0);
    for (int t = 0; t < g.shape.dim[0]; t++) {
        sl_optimizer_begin_step(&o);
        sl_optimizer_update(&o, w.data, g.data + (size_t)t * n, 0, n);
        char what[64];
        snprintf(what, sizeof what, "%s step %d", optim_fixtures[_i], t + 1);
        tu_assert_close(what, w.data, want.data + (size_t)t * n, n);
    }
    free(w.data), free(g.data), free(want.data);
    sl_optimizer_free(&o);
    sl_st_free(&st);
}
END_TEST

/* A whole fit: Dense(3, tanh) -> Dense(2, softmax), Adam(0.05), 3 epochs of 2 batches, against
 * the same steps taken by PyTorch. */
START_TEST(test_fit_fixture)
{
    SlSafetensors st;
    SlError e;
    ck_assert_msg(sl_st_read(&st, tu_fixture("fit_dense_adam"), &e) == 0, "%s", e.msg);
    const char *L[] = {"Dense", "3, activation='tanh', input_shape=(4,)", "Dense",
                       "2, activation='softmax'"};
    SlModel *m = seq(L, 4, &e);
    ck_assert(sl_compile(m, "loss='categorical_crossentropy', metrics=['accuracy']", &e) == 0);
    SlOptimizer opt;
    ck_assert(sl_optimizer(&opt, "Adam", "learning_rate=0.05", &e) == 0);
    sl_model_set_optimizer(m, &opt);
    ck_assert(sl_model_ensure_params(m, &e) == 0);
    for (int i = 0; i < m->n_params; i++)
        ck_assert_msg(sl_st_get(&st, m->param_names[i], m->params[i]->value.data,
                                sl_shape_count(&m->params[i]->shape), NULL, &e) == 0,
                      "%s", e.msg);
    SlTensor x = fx(&st, "x"), y = fx(&st, "y"), loss = fx(&st, "epoch_loss"),
             acc = fx(&st, "epoch_accuracy");
    SlFitOptions o = sl_fit_defaults();
    o.batch_size = 4;
    o.epochs = 3;
    o.shuffle = 0;
    o.verbose = 0;
    SlHistory h;
    ck_assert_msg(sl_model_fit(m, &x, &y, &o, &h, &e) == 0, "%s", e.msg);
    for (int ep = 0; ep < 3; ep++) {
        sl_real got[2] = {(sl_real)sl_history_get(&h, "loss", ep),
                          (sl_real)sl_history_get(&h, "accuracy", ep)};
        tu_assert_close("epoch loss", &got[0], loss.data + ep, 1);
        tu_assert_close("epoch accuracy", &got[1], acc.data + ep, 1);
    }
    for (int i = 0; i < m->n_params; i++) {
        char name[200];
        snprintf(name, sizeof name, "final/%s", m->param_names[i]);
        SlTensor want = fx(&st, name);
        tu_assert_close(name, m->params[i]->value.data, want.data,
                        sl_shape_count(&m->params[i]->shape));
        free(want.data);
    }
    free(x.data), free(y.data), free(loss.data), free(acc.data);
    sl_history_free(&h);
    sl_model_free(m);
    sl_st_free(&st);
}
END_TEST

Suite *train_suite(void);
Suite *train_suite(void)
{
    Suite *s = suite_create("train");
    TCase *tc = tcase_create("keras face");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_summary_regression);
    tcase_add_test(tc, test_summary_multi_output);
    tcase_add_test(tc, test_summary_functional_chain);
    tcase_add_test(tc, test_summary_functional_graph);
    tcase_add_test(tc, test_summary_long_name);
    tcase_add_test(tc, test_summary_long_connections);
    tcase_add_test(tc, test_summary_not_built);
    tcase_add_test(tc, test_progbar_verbose2);
    tcase_add_test(tc, test_progbar_verbose1_terminal);
    tcase_add_loop_test(tc, test_compile_errors, 0,
                        sizeof compile_errors / sizeof compile_errors[0]);
    tcase_add_test(tc, test_fit_data_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("training");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_fit_regression_learns);
    tcase_add_test(tc, test_fit_seeded_and_validation);
    tcase_add_test(tc, test_fit_two_outputs);
    tcase_add_test(tc, test_set_weights_across_timesteps);
    tcase_add_test(tc, test_save_load_weights);
    tcase_add_test(tc, test_fit_steps_allocate_nothing);
    suite_add_tcase(s, tc);
    tc = tcase_create("pytorch fixtures");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_loss_fixture, 0, N_LOSS);
    tcase_add_loop_test(tc, test_optimizer_fixture, 0,
                        sizeof optim_fixtures / sizeof optim_fixtures[0]);
    tcase_add_test(tc, test_fit_fixture);
#ifdef SL_DOUBLE
    tcase_add_loop_test(tc, test_loss_gradcheck, 0, N_LOSS);
#endif
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(train_suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
