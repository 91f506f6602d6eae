/* check_rnn_example.c: the hand-worked SimpleRNN of docs/rnn-backprop.md ("A worked example"),
 * recomputed by the engine.
 *
 * One unit, one feature, two steps: kernel W = 0.5, recurrent_kernel U = -0.8, bias b = 0.1,
 * x = [1.0, -0.5], h0 = 0, return_sequences=True, and the objective L = y1 + y2 (upstream
 * gradient 1 at both steps). The doc gives every forward value and gradient to 6 decimals; the
 * engine must agree with each to within 1e-6 (the rounding), in float32 and in double. The same
 * example with go_backwards=True, and with the second step masked (Embedding(mask_zero=True)),
 * is checked too.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"

/* The doc's numbers are rounded to 6 decimals. */
#define DOC_TOL 1e-6

static void near(const char *what, double got, double doc)
{
    ck_assert_msg(fabs(got - doc) <= DOC_TOL, "%s: the engine gives %.9f, the doc %.6f", what, got,
                  doc);
}

/* The weights of the example, set by their Keras names. */
static void set_weights(SlModel *m, const char *prefix)
{
    SlError e;
    static const char *const names[] = {"kernel", "recurrent_kernel", "bias"};
    static const sl_real values[] = {0.5, -0.8, 0.1};
    ck_assert_msg(sl_model_ensure_params(m, &e) == 0, "%s", e.msg);
    for (int k = 0; k < 3; k++) {
        char full[160];
        snprintf(full, sizeof full, "%s/simple_rnn_cell/%s", prefix, names[k]);
        int i = sl_model_find_param(m, full);
        ck_assert_msg(i >= 0, "no weight %s", full);
        ck_assert_uint_eq(sl_shape_count(&m->params[i]->shape), 1);
        m->params[i]->value.data[0] = values[k];
    }
}

static double grad_of(const SlModel *m, const char *full)
{
    int i = sl_model_find_param(m, full);
    ck_assert_msg(i >= 0, "no weight %s", full);
    return m->params[i]->grad.data[0];
}

/* Section "A worked example": forward values, every gradient, and the gradient of h0 (given as
 * initial_state so that it has one). */
START_TEST(test_worked_example)
{
    SlError e;
    sl_clear_session();
    SlModel *m = sl_model_new(NULL);
    int ids[2], out;
    ids[0] = sl_model_input(m, sl_layer("Input", "batch_shape=(1, 2, 1)", &e), &e);
    ids[1] = sl_model_input(m, sl_layer("Input", "batch_shape=(1, 1)", &e), &e);
    ck_assert_msg(ids[0] >= 0 && ids[1] >= 0, "%s", e.msg);
    ck_assert_msg(sl_model_call(m, sl_layer("SimpleRNN", "1, return_sequences=True", &e), 2, ids,
                                &out, &e) >= 0,
                  "%s", e.msg);
    ck_assert_msg(sl_model_set_io(m, 2, ids, 1, &out, &e) == 0, "%s", e.msg);
    set_weights(m, "simple_rnn");
    sl_real x[2] = {1.0, -0.5}, h0[1] = {0}, ones[2] = {1, 1};
    SlTensor in[2] = {sl_tensor(sl_shape_of(3, (int[]){1, 2, 1}), x),
                      sl_tensor(sl_shape_of(2, (int[]){1, 1}), h0)};
    ck_assert_msg(sl_model_forward(m, in, 0, &e) == 0, "%s", e.msg);
    SlTensor y = sl_model_output(m, 0);
    near("h1 = tanh(0.6)", y.data[0], 0.537050);
    near("h2 = tanh(-0.579640)", y.data[1], -0.522403);
    SlTensor dy = sl_tensor(y.shape, ones);
    ck_assert_msg(sl_model_backward(m, &dy, 0, &e) == 0, "%s", e.msg);
    near("dW", grad_of(m, "simple_rnn/simple_rnn_cell/kernel"), -0.065877);
    near("dU", grad_of(m, "simple_rnn/simple_rnn_cell/recurrent_kernel"), 0.390486);
    near("db", grad_of(m, "simple_rnn/simple_rnn_cell/bias"), 1.024765);
    SlTensor dx = sl_model_input_grad(m, 0), dh0 = sl_model_input_grad(m, 1);
    near("dx1", dx.data[0], 0.148835);
    near("dx2", dx.data[1], 0.363547);
    near("dh0", dh0.data[0], -0.238136);
    sl_model_free(m);
}
END_TEST

/* Section "go_backwards": the same layer reads x2 first; outputs come in reading order. */
START_TEST(test_go_backwards)
{
    SlError e;
    sl_clear_session();
    SlModel *m = tu_one_layer("SimpleRNN", "1, return_sequences=True, go_backwards=True",
                              sl_shape_of(3, (int[]){1, 2, 1}), &e);
    ck_assert_msg(m != NULL, "%s", e.msg);
    set_weights(m, "simple_rnn");
    sl_real x[2] = {1.0, -0.5}, ones[2] = {1, 1};
    SlTensor in = sl_tensor(sl_shape_of(3, (int[]){1, 2, 1}), x);
    ck_assert_msg(sl_model_forward(m, &in, 0, &e) == 0, "%s", e.msg);
    SlTensor y = sl_model_output(m, 0);
    near("y[0] = tanh(-0.15)", y.data[0], -0.148885);
    near("y[1] = tanh(0.719108)", y.data[1], 0.616356);
    SlTensor dy = sl_tensor(y.shape, ones);
    ck_assert_msg(sl_model_backward(m, &dy, 0, &e) == 0, "%s", e.msg);
    near("dW", grad_of(m, "simple_rnn/simple_rnn_cell/kernel"), 0.373732);
    near("dU", grad_of(m, "simple_rnn/simple_rnn_cell/recurrent_kernel"), -0.092324);
    near("db", grad_of(m, "simple_rnn/simple_rnn_cell/bias"), 1.112851);
    SlTensor dx = sl_model_input_grad(m, 0);
    near("dx1", dx.data[0], 0.310052);
    near("dx2", dx.data[1], 0.246373);
    sl_model_free(m);
}
END_TEST

/* Section "Masks": codes [1, 0] through Embedding(3, 1, mask_zero=True) whose row 1 holds 1.0:
 * step 2 is masked, so y2 repeats y1, the state carries, and both upstream gradients reach
 * step 1. The gradient of x1 arrives in the embedding's row 1; row 0 (the padding) gets none. */
START_TEST(test_masked_step)
{
    SlError e;
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    ck_assert(sl_model_add(m, sl_layer("InputLayer", "batch_shape=(1, 2)", &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("Embedding", "3, 1, mask_zero=True", &e), &e) == 0);
    ck_assert_msg(sl_model_add(m, sl_layer("SimpleRNN", "1, return_sequences=True", &e), &e) == 0,
                  "%s", e.msg);
    set_weights(m, "simple_rnn");
    int t = sl_model_find_param(m, "embedding/embeddings");
    ck_assert(t >= 0);
    sl_real *table = m->params[t]->value.data;
    table[0] = 0.25, table[1] = 1.0, table[2] = -0.5; /* row 0 is never read as data */
    sl_real codes[2] = {1, 0}, ones[2] = {1, 1};
    SlTensor in = sl_tensor(sl_shape_of(2, (int[]){1, 2}), codes);
    ck_assert_msg(sl_model_forward(m, &in, 0, &e) == 0, "%s", e.msg);
    SlTensor y = sl_model_output(m, 0);
    near("y1", y.data[0], 0.537050);
    near("y2 (masked: repeats y1)", y.data[1], 0.537050);
    SlTensor dy = sl_tensor(y.shape, ones);
    ck_assert_msg(sl_model_backward(m, &dy, 0, &e) == 0, "%s", e.msg);
    near("dW", grad_of(m, "simple_rnn/simple_rnn_cell/kernel"), 1.423156);
    near("dU", grad_of(m, "simple_rnn/simple_rnn_cell/recurrent_kernel"), 0.0);
    near("db", grad_of(m, "simple_rnn/simple_rnn_cell/bias"), 1.423156);
    const sl_real *dtable = m->params[t]->grad.data;
    near("d row 1 (dx1)", dtable[1], 0.711578);
    near("d row 0 (the masked step's x)", dtable[0], 0.0);
    near("d row 2 (not looked up)", dtable[2], 0.0);
    sl_model_free(m);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("rnn_example");
    TCase *t = tcase_create("worked_example");
    tcase_set_timeout(t, 10);
    tcase_add_test(t, test_worked_example);
    tcase_add_test(t, test_go_backwards);
    tcase_add_test(t, test_masked_step);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return tu_run(suite()) ? 1 : 0;
}
