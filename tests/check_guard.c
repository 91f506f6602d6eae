/* check_guard.c: fit's NaN guard (guard.h): where it stops, what it names, and that the model
 * keeps the weights from before the bad step, bit for bit, with the optimizer's state and count. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "train.h"

/* Values that overflow sl_real when multiplied by 1e10 (HUGE_REAL), or whose losses and gradients
 * do (HUGE_TARGET: 3e38, as the reproducer's labels, near float32's largest value). */
#define HUGE_REAL   (sizeof(sl_real) == 4 ? 1e30 : 1e300)
#define HUGE_TARGET (sizeof(sl_real) == 4 ? 3e38 : 1e300)

/* Dense(16, relu) -> Dense(1) on 4 features, mse, the optimizer given, weights of seed 1. */
static SlModel *regression(const char *optimizer, const char *args)
{
    SlError e;
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    SlOptimizer opt;
    ck_assert(
        sl_model_add(m, sl_layer("Dense", "16, activation='relu', input_shape=(4,)", &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("Dense", "1", &e), &e) == 0);
    ck_assert_msg(sl_compile(m, "loss='mse', optimizer='adam'", &e) == 0, "%s", e.msg);
    ck_assert_msg(sl_optimizer(&opt, optimizer, args, &e) == 0, "%s", e.msg);
    sl_model_set_optimizer(m, &opt);
    ck_assert(sl_model_init_params(m, 1, &e) == 0);
    return m;
}

enum { N = 64 };
static sl_real x[N * 4], y[N];
static SlTensor X, Y;

/* x in [-1, 1), y = a linear function of x (unit size), then target i set to `target`. */
static void data(int i, double target)
{
    SlRng r = sl_rng(7);
    for (int k = 0; k < N; k++) {
        double s = 0;
        for (int j = 0; j < 4; j++)
            s += (j + 1) * (x[k * 4 + j] = (sl_real)sl_rng_range(&r, -1, 1));
        y[k] = (sl_real)(0.3 * s);
    }
    if (i >= 0)
        y[i] = (sl_real)target;
    X = sl_tensor(sl_shape_of(2, (int[]){N, 4}), x);
    Y = sl_tensor(sl_shape_of(2, (int[]){N, 1}), y);
}

static SlFitOptions options(int epochs, int batch_size)
{
    SlFitOptions o = sl_fit_defaults();
    o.verbose = 0;
    o.epochs = epochs;
    o.batch_size = batch_size;
    o.shuffle = 0;
    return o;
}

static void assert_has(const char *msg, const char *part)
{
    ck_assert_msg(strstr(msg, part), "want \"%s\" in: %s", part, msg);
}

/* fit on X, Y stops in its first step with a message holding `what` and `cause`; the model keeps
 * its weights, bit for bit, and the optimizer has taken no step. */
static void expect_first_step_stops(SlModel *m, const char *what, const char *cause)
{
    SlError e;
    SlHistory h;
    sl_real *before = malloc(m->values.used * sizeof *before);
    memcpy(before, m->values.base, m->values.used * sizeof *before);
    SlFitOptions o = options(3, 16);
    ck_assert_int_eq(sl_model_fit(m, &X, &Y, &o, &h, &e), SL_FIT_NONFINITE);
    assert_has(e.msg, "NaN or Inf at epoch 1, batch 1 of 4: ");
    assert_has(e.msg, what);
    assert_has(e.msg, cause);
    assert_has(e.msg, "the weights are those from before this step");
    ck_assert_msg(!memcmp(before, m->values.base, m->values.used * sizeof *before),
                  "the weights changed");
    ck_assert_int_eq(m->opt.iterations, 0);
    ck_assert_int_eq(h.n_epochs, 0);
    free(before);
    sl_history_free(&h);
}

/* The reproducer: labels of 3e38 made NaN weights (and exit 0). Now the first step stops, names
 * the gradient that overflowed and the unscaled targets, and the weights are the initial ones. */
START_TEST(test_guard_unscaled_targets)
{
    SlModel *m = regression("Adam", "");
    char cause[96];
    data(-1, 0);
    for (int k = 0; k < N; k++)
        y[k] = (sl_real)HUGE_TARGET;
    snprintf(cause, sizeof cause, "unscaled targets: this batch's targets reach %.3g", HUGE_TARGET);
    expect_first_step_stops(m, ": the ", cause);
    sl_model_free(m);
}
END_TEST

/* A huge target in the third batch: the model ends bit-identical to one trained on the first two
 * batches only, optimizer state and step count included. */
START_TEST(test_guard_keeps_last_good_step)
{
    SlError e;
    SlModel *m = regression("Adam", "learning_rate=0.01"),
            *ref = regression("Adam", "learning_rate=0.01");
    data(40, HUGE_TARGET); /* batch 3 of 16-sample batches */
    SlFitOptions o = options(2, 16);
    ck_assert_int_eq(sl_model_fit(m, &X, &Y, &o, NULL, &e), SL_FIT_NONFINITE);
    assert_has(e.msg, "at epoch 1, batch 3 of 4");
    SlTensor X2 = X, Y2 = Y;
    X2.shape.dim[0] = Y2.shape.dim[0] = 32;
    o.epochs = 1;
    ck_assert_msg(sl_model_fit(ref, &X2, &Y2, &o, NULL, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(m->opt.iterations, 2);
    ck_assert_int_eq(ref->opt.iterations, 2);
    ck_assert(!memcmp(ref->values.base, m->values.base, m->values.used * sizeof(sl_real)));
    ck_assert(!memcmp(ref->opt.state.base, m->opt.state.base, m->opt.state.used * sizeof(sl_real)));
    sl_model_free(m);
    sl_model_free(ref);
}
END_TEST

/* Weights that overflow the first layer's output: the walk names that output, the cause the
 * inputs. */
START_TEST(test_guard_names_activation)
{
    SlModel *m = regression("Adam", "");
    data(-1, 0);
    for (int k = 0; k < N * 4; k++)
        x[k] = (sl_real)1e10;
    SlParam *kernel = m->params[0];
    for (size_t i = 0; i < sl_shape_count(&kernel->shape); i++)
        kernel->value.data[i] = (sl_real)HUGE_REAL;
    expect_first_step_stops(m, "the output of layer 'dense' (Dense) holds Inf at [0, 0]",
                            "unscaled inputs: this batch's inputs reach 1e+10");
    sl_model_free(m);
}
END_TEST

/* Finite gradients, but a step so large that the update overflows: the update is undone and the
 * learning rate named. */
START_TEST(test_guard_names_update)
{
    char lr[64];
    snprintf(lr, sizeof lr, "learning_rate=%g", HUGE_REAL * 1e8);
    SlModel *m = regression("SGD", lr);
    data(-1, 0);
    for (int k = 0; k < N; k++)
        y[k] = 100;
    expect_first_step_stops(m, "batch 1 of 4: the SGD update made weight 'dense",
                            "a learning rate too large for this model (SGD's learning_rate is");
    sl_model_free(m);
}
END_TEST

#ifndef SL_DOUBLE
/* float32: gradients near 1e24 are finite, their squares are not: Adam's second moment overflows
 * while the weights stay finite. The guard sees the state, and the state is put back too. */
START_TEST(test_guard_names_optimizer_state)
{
    SlModel *m = regression("Adam", "");
    data(-1, 0);
    for (int k = 0; k < N; k++)
        y[k] = (sl_real)1e25;
    expect_first_step_stops(m, "the Adam update made its state (slot 1) of weight 'dense",
                            "unscaled targets");
    for (size_t i = 0; i < m->opt.state.used; i++)
        ck_assert(m->opt.state.base[i] == 0);
    sl_model_free(m);
}
END_TEST
#endif

/* nan_guard = 0 is Keras's behaviour: training goes on through NaN. */
START_TEST(test_guard_off)
{
    SlError e;
    SlModel *m = regression("Adam", "");
    data(-1, 0);
    for (int k = 0; k < N; k++)
        y[k] = (sl_real)HUGE_TARGET;
    SlFitOptions o = options(2, 16);
    o.nan_guard = 0;
    ck_assert_int_eq(sl_model_fit(m, &X, &Y, &o, NULL, &e), 0);
    int bad = 0;
    for (size_t i = 0; i < m->values.used; i++)
        bad += !isfinite(m->values.base[i]);
    ck_assert_msg(bad > 0, "without the guard the weights should have gone non-finite");
    sl_model_free(m);
}
END_TEST

static int huge_batches(void *ctx, int step, SlTensor *bx, SlTensor *by, SlTensor *sw, SlError *e)
{
    (void)ctx, (void)sw, (void)e;
    bx[0] = sl_tensor(sl_shape_of(2, (int[]){16, 4}), x + (step % 4) * 64);
    by[0] = sl_tensor(sl_shape_of(2, (int[]){16, 1}), y + (step % 4) * 16);
    return 0;
}

/* fit_generator has the same guard: the second batch holds the huge target. */
START_TEST(test_guard_generator)
{
    SlError e;
    SlModel *m = regression("Adam", "");
    data(20, HUGE_TARGET);
    SlFitGeneratorOptions o = sl_fit_generator_defaults();
    o.steps_per_epoch = 4;
    o.epochs = 2;
    o.verbose = 0;
    ck_assert_int_eq(sl_model_fit_generator(m, huge_batches, NULL, &o, NULL, &e), SL_FIT_NONFINITE);
    assert_has(e.msg, "at epoch 1, batch 2 of 4");
    ck_assert_int_eq(m->opt.iterations, 1);
    sl_model_free(m);
}
END_TEST

Suite *guard_suite(void);
Suite *guard_suite(void)
{
    Suite *s = suite_create("guard");
    TCase *tc = tcase_create("nan guard");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_guard_unscaled_targets);
    tcase_add_test(tc, test_guard_keeps_last_good_step);
    tcase_add_test(tc, test_guard_names_activation);
    tcase_add_test(tc, test_guard_names_update);
#ifndef SL_DOUBLE
    tcase_add_test(tc, test_guard_names_optimizer_state);
#endif
    tcase_add_test(tc, test_guard_off);
    tcase_add_test(tc, test_guard_generator);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(guard_suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
