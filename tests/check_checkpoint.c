/* check_checkpoint.c: checkpoints of fit (checkpoint.h): a run stopped after any epoch and resumed
 * ends bit-identical to one never stopped (weights, optimizer state and step count, Dropout's
 * generator, the shuffled order, a stateful LSTM's carried states); a resume that cannot continue
 * the same run is refused and leaves the model as it was. The program's own test, a run killed
 * with SIGKILL and resumed, is in check_cli.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "script/script.h"
#include "testutil.h"

/* ---- models and data ---- */

/* Dense with Dropout, Adam, shuffled, a validation split: every random and stateful part of fit. */
static const char *const CLASSIFIER =
    "from keras.layers import *\nfrom keras.models import Sequential\n"
    "model = Sequential([Dense(8, activation='tanh', input_shape=(3,)), Dropout(0.3),\n"
    "                    Dense(2, activation='softmax')])\n"
    "model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy'])\n";

/* A stateful LSTM: its carried states go from batch to batch and epoch to epoch. */
static const char *const STATEFUL =
    "from keras.layers import *\nfrom keras.models import Sequential\n"
    "model = Sequential([LSTM(4, batch_input_shape=(2, 5, 3), stateful=True), Dense(2)])\n"
    "model.compile(loss='mse', optimizer='rmsprop')\n";

typedef struct Run {
    SlScript *script;
    SlModel *m;
} Run;

static Run build(const char *code)
{
    SlScriptOptions so;
    SlError e;
    Run r;
    memset(&so, 0, sizeof so);
    sl_clear_session();
    r.script = sl_script_run_text("model.py", code, strlen(code), &so, &e);
    ck_assert_msg(r.script != NULL, "%s", e.msg);
    r.m = sl_script_model(r.script, &e);
    ck_assert_msg(r.m && sl_model_init_params(r.m, 5, &e) == 0, "%s", e.msg);
    return r;
}

enum { N = 40 };
static sl_real cx[N * 5 * 3], cy[N * 2];
static SlTensor X, Y;

/* Samples for the classifier (3 features, one-hot of 2 classes) or the stateful LSTM (5 steps of
 * 3 features, 2 targets). */
static void data(int stateful)
{
    SlRng r = sl_rng(9);
    int per = stateful ? 15 : 3;
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < per; j++)
            cx[i * per + j] = (sl_real)sl_rng_range(&r, -1, 1);
        int c = cx[i * per] + cx[i * per + 1] > 0;
        cy[i * 2] = (sl_real)(stateful ? cx[i * per + 2] : 1 - c);
        cy[i * 2 + 1] = (sl_real)c;
    }
    X = stateful ? sl_tensor(sl_shape_of(3, (int[]){N, 5, 3}), cx)
                 : sl_tensor(sl_shape_of(2, (int[]){N, 3}), cx);
    Y = sl_tensor(sl_shape_of(2, (int[]){N, 2}), cy);
}

static SlFitOptions options(int stateful, int epochs)
{
    SlFitOptions o = sl_fit_defaults();
    o.verbose = 0;
    o.epochs = epochs;
    o.batch_size = stateful ? 2 : 8;
    o.shuffle = !stateful;
    o.validation_split = stateful ? 0 : 0.2;
    o.seed = 42;
    return o;
}

static const char *folder(const char *name)
{
    const char *p = tu_tmp_path(name);
    mkdir(p, 0777);
    return p;
}

static void fit_ok(SlModel *m, const SlFitOptions *o, SlHistory *h)
{
    SlError e;
    ck_assert_msg(sl_model_fit(m, &X, &Y, o, h, &e) == 0, "%s", e.msg);
}

static int same(const sl_real *a, const sl_real *b, size_t n)
{
    return !memcmp(a, b, n * sizeof *a);
}

/* Everything a continued run depends on: weights, optimizer state and count, Dropout's generator. */
static void assert_same_state(const SlModel *a, const SlModel *b)
{
    ck_assert_msg(same(a->values.base, b->values.base, a->values.used), "the weights differ");
    ck_assert_msg(same(a->opt.state.base, b->opt.state.base, a->opt.state.used),
                  "the optimizer's state differs");
    ck_assert_int_eq(a->opt.iterations, b->opt.iterations);
    ck_assert(a->rng.state == b->rng.state);
}

/* ---- a stopped run continues bit for bit ---- */

/* 5 epochs at once, against 2 epochs, a new process's worth of fresh model, then 3 more resumed;
 * the history of the resumed part is the uninterrupted run's. */
START_TEST(test_resume_bit_identical)
{
    int stateful = _i;
    const char *code = stateful ? STATEFUL : CLASSIFIER;
    SlHistory ha, hc;
    data(stateful);
    Run a = build(code), b = build(code), c = build(code);
    SlFitOptions o = options(stateful, 5);
    o.checkpoint = folder(stateful ? "ck_a_stateful" : "ck_a");
    fit_ok(a.m, &o, &ha);
    o.epochs = 2;
    o.checkpoint = folder(stateful ? "ck_b_stateful" : "ck_b");
    fit_ok(b.m, &o, NULL);
    o.epochs = 5;
    o.resume = o.checkpoint;
    fit_ok(c.m, &o, &hc);
    assert_same_state(a.m, c.m);
    ck_assert_int_eq(hc.first_epoch, 2);
    ck_assert_int_eq(hc.n_epochs, 3);
    for (int ep = 0; ep < 3; ep++)
        ck_assert(sl_history_get(&hc, "loss", ep) == sl_history_get(&ha, "loss", ep + 2));
    if (stateful) { /* the carried states were restored, and they matter */
        SlShape sa, sc;
        int lstm = 0;
        while (!sl_layer_is(a.m->layers[lstm], SL_KIND_RECURRENT))
            lstm++;
        for (int k = 0; k < 2; k++) {
            const sl_real *ca = sl_rnn_carried(a.m->layers[lstm], k, &sa);
            const sl_real *cc = sl_rnn_carried(c.m->layers[lstm], k, &sc);
            ck_assert(ca && cc && sl_shape_equal(&sa, &sc));
            ck_assert(same(ca, cc, sl_shape_count(&sa)));
            double norm = 0;
            for (size_t i = 0; i < sl_shape_count(&sa); i++)
                norm += fabs((double)ca[i]);
            ck_assert_msg(norm > 0, "the carried state %d is all zeros", k);
        }
    }
    sl_history_free(&ha);
    sl_history_free(&hc);
    sl_script_free(a.script), sl_script_free(b.script), sl_script_free(c.script);
}
END_TEST

/* Without the optimizer's state and the generators, the same weights trained on do not end where
 * the uninterrupted run does: what the checkpoint adds to the weights is needed. */
START_TEST(test_weights_alone_differ)
{
    SlError e;
    data(0);
    Run a = build(CLASSIFIER), b = build(CLASSIFIER);
    SlFitOptions o = options(0, 4);
    fit_ok(a.m, &o, NULL);
    o.epochs = 2;
    o.checkpoint = folder("ck_weights");
    fit_ok(b.m, &o, NULL);
    const char *w = tu_tmp_path("ck_weights.safetensors");
    ck_assert_msg(sl_model_save_weights(b.m, w, &e) == 0, "%s", e.msg);
    sl_script_free(b.script);
    b = build(CLASSIFIER);
    ck_assert_msg(sl_model_load_weights(b.m, w, &e) == 0, "%s", e.msg);
    o.initial_epoch = 2;
    o.epochs = 4;
    o.checkpoint = NULL;
    fit_ok(b.m, &o, NULL);
    ck_assert(!same(a.m->values.base, b.m->values.base, a.m->values.used));
    sl_script_free(a.script), sl_script_free(b.script);
}
END_TEST

/* ---- what the file holds, and what the folder keeps ---- */

START_TEST(test_checkpoint_file)
{
    SlError e;
    SlSafetensors st;
    data(1);
    Run r = build(STATEFUL);
    SlFitOptions o = options(1, 3);
    o.checkpoint = folder("ck_file");
    char stale[600], other[600];
    snprintf(stale, sizeof stale, "%s/checkpoint.safetensors.a1B2c3.tmp", o.checkpoint);
    snprintf(other, sizeof other, "%s/notes.tmp", o.checkpoint);
    FILE *f = fopen(stale, "w"), *g = fopen(other, "w");
    ck_assert(f && g && fclose(f) == 0 && fclose(g) == 0);
    fit_ok(r.m, &o, NULL);
    ck_assert_msg(access(stale, F_OK) != 0, "a killed save's temporary file is still there");
    ck_assert_msg(access(other, F_OK) == 0, "a file that is not the checkpoint's was removed");
    char path[600];
    snprintf(path, sizeof path, "%s/checkpoint.safetensors", o.checkpoint);
    ck_assert_msg(sl_st_read(&st, path, &e) == 0, "%s", e.msg);
    ck_assert_str_eq(sl_st_meta(&st, "epoch"), "3");
    ck_assert_str_eq(sl_st_meta(&st, "batch_size"), "2");
    ck_assert_str_eq(sl_st_meta(&st, "precision"), SL_REAL_NAME);
    ck_assert(strstr(sl_st_meta(&st, "optimizer"), "RMSprop learning_rate=0.001"));
    const char *names[] = {"weight/lstm/lstm_cell/kernel", "weight/dense/bias", "optimizer/0",
                           "carried/lstm/0", "carried/lstm/1"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        ck_assert_msg(sl_st_find(&st, names[i]), "no %s in the checkpoint", names[i]);
    ck_assert_int_eq(st.n, r.m->n_params + 1 + 2);
    sl_st_free(&st);
    sl_script_free(r.script);
}
END_TEST

/* ---- resumes that cannot continue the same run ---- */

static const struct {
    int change; /* what differs from the saved run */
    const char *want;
} refusals[] = {
    {0, "the checkpoint's run had batch_size 8, this one has 4"},
    {1, "the checkpoint's run had data_hash "},
    {2, "the checkpoint's optimizer is Adam learning_rate=0.001"},
    {3, "the checkpoint's run had seed 42, this one has 43"},
    {4, "ck_none/checkpoint.safetensors: cannot open"},
    {5, "'weight/dense/kernel' has shape (3, 8) in the checkpoint but (3, 9) in the model"},
};

START_TEST(test_resume_refused)
{
    SlError e;
    SlOptimizer sgd;
    data(0);
    Run a = build(CLASSIFIER);
    SlFitOptions o = options(0, 1);
    o.checkpoint = folder("ck_refuse");
    fit_ok(a.m, &o, NULL);
    sl_script_free(a.script);
    if (refusals[_i].change == 5) {
        char wider[512];
        snprintf(wider, sizeof wider, "%s", CLASSIFIER);
        memcpy(strstr(wider, "Dense(8"), "Dense(9", 7);
        a = build(wider);
    } else {
        a = build(CLASSIFIER);
    }
    o.epochs = 2;
    o.resume = o.checkpoint;
    switch (refusals[_i].change) {
    case 0:
        o.batch_size = 4;
        break;
    case 1:
        cx[7] += 1;
        break;
    case 2:
        ck_assert(sl_optimizer(&sgd, "SGD", "", &e) == 0);
        sl_model_set_optimizer(a.m, &sgd);
        break;
    case 3:
        o.seed = 43;
        break;
    case 4:
        o.resume = tu_tmp_path("ck_none");
        break;
    }
    size_t n = a.m->values.used;
    sl_real *before = malloc(n * sizeof *before);
    memcpy(before, a.m->values.base, n * sizeof *before);
    ck_assert_int_eq(sl_model_fit(a.m, &X, &Y, &o, NULL, &e), -1);
    ck_assert_msg(strstr(e.msg, refusals[_i].want), "want \"%s\" in: %s", refusals[_i].want, e.msg);
    ck_assert_msg(same(before, a.m->values.base, n), "a refused resume changed the weights");
    free(before);
    sl_script_free(a.script);
}
END_TEST

/* A run that has done its epochs already: nothing more to train, the checkpoint's weights. */
START_TEST(test_resume_finished)
{
    SlHistory h;
    data(0);
    Run a = build(CLASSIFIER), b = build(CLASSIFIER);
    SlFitOptions o = options(0, 3);
    o.checkpoint = folder("ck_done");
    fit_ok(a.m, &o, NULL);
    o.resume = o.checkpoint;
    fit_ok(b.m, &o, &h);
    ck_assert_int_eq(h.n_epochs, 0);
    assert_same_state(a.m, b.m);
    sl_history_free(&h);
    sl_script_free(a.script), sl_script_free(b.script);
}
END_TEST

Suite *checkpoint_suite(void);
Suite *checkpoint_suite(void)
{
    Suite *s = suite_create("checkpoint");
    TCase *tc = tcase_create("resume");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_resume_bit_identical, 0, 2);
    tcase_add_test(tc, test_weights_alone_differ);
    tcase_add_test(tc, test_checkpoint_file);
    tcase_add_loop_test(tc, test_resume_refused, 0, sizeof refusals / sizeof refusals[0]);
    tcase_add_test(tc, test_resume_finished);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_in_tmpdir(checkpoint_suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
