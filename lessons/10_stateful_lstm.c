/* Lesson 10: a stateful LSTM carries h and c from one batch to the next (QUESTIONS.md item 4).
 *
 * A long series is cut into B = 4 chunks, one per row of the batch, and each chunk into K = 6
 * windows of T = 10 steps: batch k holds window k of every chunk, so sample i of batch k+1
 * continues sample i of batch k. A stateful LSTM (batch_input_shape=(4, 10, 1): the batch size is
 * part of the model, one state per row) run batch by batch gives the same outputs as an ordinary
 * LSTM with the same weights reading each whole chunk of 60 steps in one go; the lesson checks it
 * number by number. reset_states() starts over. Then a short training loop on a toy series: fit
 * one epoch at a time with shuffle off, then reset_states(), because fit never resets by itself.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lesson.h"

enum { B = 4, K = 6, T = 10, L = B * K * T, U = 8, EPOCHS = 40 };
static sl_real series[L + 1];
static sl_real xb[K][B * T], yb[K][B * T]; /* batch k: inputs and next-step targets */

/* Chunk i is series[i*K*T .. (i+1)*K*T); batch k, row i is window k of chunk i. */
static void cut(void)
{
    for (int k = 0; k < K; k++)
        for (int i = 0; i < B; i++)
            for (int t = 0; t < T; t++) {
                int s = (i * K + k) * T + t;
                xb[k][i * T + t] = series[s];
                yb[k][i * T + t] = series[s + 1];
            }
}

static SlModel *model(const char *lstm_args, int dense, SlError *e)
{
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    if (!m || sl_model_add(m, sl_layer("LSTM", lstm_args, e), e) < 0 ||
        (dense && sl_model_add(m, sl_layer("Dense", "1", e), e) < 0) ||
        sl_model_init_params(m, 10, e) < 0) {
        sl_model_free(m);
        return NULL;
    }
    return m;
}

/* Run batch k; the largest difference of its outputs from steps k*T.. of the whole chunks. */
static double run_batch(SlModel *m, int k, const sl_real *whole, SlError *e)
{
    SlTensor in = sl_tensor(sl_shape_of(3, (int[]){B, T, 1}), xb[k]);
    if (sl_model_forward(m, &in, 0, e) < 0)
        lesson_die(e);
    SlTensor y = sl_model_output(m, 0);
    double worst = 0;
    for (int i = 0; i < B; i++)
        for (int t = 0; t < T; t++)
            for (int j = 0; j < U; j++)
                worst = fmax(worst, fabs((double)y.data[(i * T + t) * U + j] -
                                         (double)whole[(i * K * T + k * T + t) * U + j]));
    return worst;
}

static void step_layout(Lesson *ls)
{
    lesson_step(ls, "Cutting one long series into (batch, timesteps, features)");
    printf("  A series of %d values: 4 chunks of %d, one per row of the batch, each cut into\n"
           "  %d windows of %d steps. Which series positions each batch holds:\n\n",
           L, K * T, K, T);
    for (int k = 0; k < 3; k++) {
        printf("  batch %d:", k);
        for (int i = 0; i < B; i++)
            printf("  row %d: %3d..%3d", i, (i * K + k) * T, (i * K + k) * T + T - 1);
        printf("\n");
    }
    printf("  ...\n\n  Row i of batch k+1 starts where row i of batch k stopped: sample i of each\n"
           "  batch is the next piece of the same chunk. Each batch is (4, 10, 1).\n");
}

static void step_same_as_whole(Lesson *ls, SlError *e)
{
    lesson_step(ls, "Stateful, batch by batch = one pass over each whole chunk");
    SlModel *st =
        model("8, return_sequences=True, stateful=True, batch_input_shape=(4, 10, 1)", 0, e);
    SlModel *plain = model("8, return_sequences=True, input_shape=(None, 1)", 0, e);
    SlModel *forget = model("8, return_sequences=True, input_shape=(10, 1)", 0, e);
    if (!st || !plain || !forget)
        lesson_die(e);
    SlTensor w[3];
    int n = sl_model_get_weights(st, w, 3, e);
    if (n < 0 || sl_model_set_weights(plain, w, n, e) < 0 ||
        sl_model_set_weights(forget, w, n, e) < 0)
        lesson_die(e);
    static sl_real chunks[B * K * T], whole[B * K * T * U];
    memcpy(chunks, series, sizeof chunks); /* chunk i is row i: (4, 60, 1) */
    SlTensor in = sl_tensor(sl_shape_of(3, (int[]){B, K * T, 1}), chunks);
    if (sl_model_forward(plain, &in, 0, e) < 0)
        lesson_die(e);
    memcpy(whole, sl_model_output(plain, 0).data, sizeof whole);
    printf("  %-8s %-34s %s\n", "batch", "stateful vs whole chunks", "stateless vs whole chunks");
    double worst = 0, first = 0, later = 0;
    for (int k = 0; k < K; k++) {
        double ds = run_batch(st, k, whole, e), dp = run_batch(forget, k, whole, e);
        printf("  %-8d %-34.1e %.1e\n", k, ds, dp);
        worst = fmax(worst, ds);
        if (k == 0)
            first = dp;
        else
            later = fmax(later, dp);
    }
    printf("\n  The stateful LSTM starts each batch from the h and c where the previous batch\n"
           "  ended, so its outputs are the whole-chunk outputs (largest difference %.1e).\n"
           "  A stateless LSTM starts every batch from zeros: right for batch 0, off by up to\n"
           "  %.2f afterwards.\n",
           worst, later);
    lesson_expect(worst < 1e-5 && first < 1e-5 && later > 1e-3,
                  "stateful did not continue the chunks");
    lesson_visualize(ls, st, "stateful", NULL);

    sl_model_reset_states(st);
    double again = run_batch(st, 0, whole, e);
    printf("\n  model.reset_states(), then batch 0 again: difference %.1e from the start of\n"
           "  the chunks. Without the reset, the state would still be that of step 60.\n",
           again);
    lesson_expect(again < 1e-5, "reset_states() did not start over");

    SlTensor three = sl_tensor(sl_shape_of(3, (int[]){3, T, 1}), xb[0]);
    lesson_expect(sl_model_forward(st, &three, 0, e) < 0, "the stateful model took a batch of 3");
    printf("\n");
    lesson_show_error("Why the batch size is fixed: a batch of 3 for the 4 carried states:", e);
    SlModel *none = model("8, stateful=True, input_shape=(10, 1)", 0, e);
    lesson_expect(none == NULL, "a stateful LSTM without a batch size was accepted");
    lesson_show_error("And LSTM(8, stateful=True, input_shape=(10, 1)):", e);
    sl_model_free(forget);
    sl_model_free(plain);
    sl_model_free(st);
}

static void step_training(Lesson *ls, SlError *e)
{
    lesson_step(ls, "Training: fit one epoch at a time, reset_states() between epochs");
    SlModel *m =
        model("8, return_sequences=True, stateful=True, batch_input_shape=(4, 10, 1)", 1, e);
    SlOptimizer adam;
    if (!m || sl_compile(m, "loss='mse', optimizer='adam'", e) < 0 ||
        sl_optimizer(&adam, "Adam", "learning_rate=0.02", e) < 0)
        lesson_die(e);
    sl_model_set_optimizer(m, &adam);
    /* the samples in fit's order: batch 0's rows, then batch 1's, ... */
    SlTensor X = sl_tensor(sl_shape_of(3, (int[]){K * B, T, 1}), &xb[0][0]);
    SlTensor Y = sl_tensor(sl_shape_of(3, (int[]){K * B, T, 1}), &yb[0][0]);
    SlFitOptions o = sl_fit_defaults();
    o.batch_size = B; /* the batch the states were made for */
    o.shuffle = 0;    /* keep batch k+1 after batch k */
    o.verbose = 0;
    printf("  for epoch in range(%d):\n"
           "      model.fit(X, Y, batch_size=4, epochs=1, shuffle=False)\n"
           "      model.reset_states()\n\n",
           EPOCHS);
    double loss0 = 0, loss = 0;
    for (int ep = 0; ep < EPOCHS; ep++) {
        SlHistory h;
        if (sl_model_fit(m, &X, &Y, &o, &h, e) < 0)
            lesson_die(e);
        loss = sl_history_get(&h, "loss", 0);
        sl_history_free(&h);
        if (ep == 0)
            loss0 = loss;
        if (ep < 3 || ep % 10 == 9)
            printf("  epoch %2d  loss %.4f\n", ep + 1, loss);
        if (ep == EPOCHS - 1) { /* the state fit left behind, before resetting it */
            SlTensor in = sl_tensor(sl_shape_of(3, (int[]){B, T, 1}), xb[0]), out;
            if (sl_model_predict(m, &in, B, &out, e) < 0)
                lesson_die(e);
            double carried = out.data[0];
            sl_free(out.data);
            sl_model_reset_states(m);
            if (sl_model_predict(m, &in, B, &out, e) < 0)
                lesson_die(e);
            printf(
                "\n  After the last fit, batch 0's first output is %.4f with the state fit left\n"
                "  behind and %.4f after reset_states(): fit did not reset.\n",
                carried, (double)out.data[0]);
            lesson_expect(fabs(carried - out.data[0]) > 1e-6, "fit seems to have reset the states");
            sl_free(out.data);
        }
        sl_model_reset_states(m);
    }
    printf("\n  The bar: the loss falls below a quarter of the first epoch's. %.4f -> %.4f: %s\n",
           loss0, loss, loss < loss0 / 4 ? "yes" : "NO");
    lesson_expect(loss < loss0 / 4, "the stateful model did not learn the series");
    sl_model_free(m);
}

int main(int argc, char **argv)
{
    Lesson ls;
    if (lesson_begin(&ls, argc, argv, "Lesson 10: a stateful LSTM",
                     "What does stateful=True do, why does it need a fixed batch size, and who "
                     "resets the state?",
                     "a series cut so batches continue each other, stateful outputs equal to one "
                     "pass over the whole series, reset_states(), and a training loop",
                     3))
        return 0;
    SlError e;
    for (int s = 0; s <= L; s++) /* two waves: what comes next depends on more than one window */
        series[s] = (sl_real)(0.7 * sin(0.3 * s) + 0.3 * sin(0.05 * s));
    cut();
    step_layout(&ls);
    step_same_as_whole(&ls, &e);
    step_training(&ls, &e);
    lesson_step(&ls, "What to remember");
    printf("  - Cut the series so row i of each batch continues row i of the batch before.\n"
           "  - stateful=True needs batch_input_shape: one carried state per row.\n"
           "  - fit(..., shuffle=False); fit never resets: call reset_states() yourself,\n"
           "    between epochs and before a new series.\n"
           "  - Gradients do not flow back across batches: only the state carries over.\n");
    return 0;
}
