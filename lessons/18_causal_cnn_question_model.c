/* Lesson 18: the causal CNN of QUESTIONS.md item 11, built, summarised and trained.
 *
 * The question's model forecasts one value from 10 steps of 5 series: per-feature causal
 * convolutions along time (5 layers, 32 filters, kernel 5, dilations 1, 2, 4, 8, 16), the
 * features joined, 3 more causal Conv1D layers over time, pooling, one Dense output:
 * 20,800 + 35,936 + 161 = 56,897 parameters. The script writes the per-feature convolutions as
 * TimeDistributed(Conv1D(..., padding='causal')). TimeDistributed is built on another branch, so
 * here each one is written the way it computes: a Conv2D with a (1, 5) kernel dilated along time
 * only, after ZeroPadding2D puts the causal zeros on the left of each row. Same weights (the
 * kernel (1, 5, in, 32) is Conv1D's (5, in, 32)), same shapes, same count. Then it trains on a
 * toy multivariate series and must beat predicting the mean by a stated margin.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "lesson.h"
#include "train.h"

enum { LOOKBACK = 10, FEATURES = 5, FILTERS = 32, WIDTH = 5, MAX_N = 1200 };
static sl_real X[MAX_N * LOOKBACK * FEATURES], Y[MAX_N];

static int add(SlModel *m, const char *type, const char *args, SlError *e)
{
    return sl_model_add(m, sl_layer(type, args, e), e);
}

static SlModel *build(SlError *e)
{
    char a[160];
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    int rc = !m || add(m, "InputLayer", "shape=(10, 5)", e) || add(m, "Permute", "(2, 1)", e) ||
             add(m, "Reshape", "(5, 10, 1)", e);
    for (int i = 0, rate = 1; i < 5 && !rc; i++, rate *= 2) { /* TimeDistributed(Conv1D causal) */
        snprintf(a, sizeof a, "((0, 0), (%d, 0))", (WIDTH - 1) * rate);
        rc = add(m, "ZeroPadding2D", a, e);
        snprintf(a, sizeof a, "%d, (1, %d), dilation_rate=(1, %d), activation='elu'", FILTERS,
                 WIDTH, rate);
        rc = rc || add(m, "Conv2D", a, e);
    }
    rc = rc || add(m, "Permute", "(2, 1, 3)", e) || add(m, "Reshape", "(10, 160)", e);
    for (int i = 0, rate = 1; i < 3 && !rc; i++, rate *= 2) {
        snprintf(a, sizeof a, "%d, %d, padding='causal', dilation_rate=%d, activation='elu'",
                 FILTERS, WIDTH, rate);
        rc = add(m, "Conv1D", a, e);
    }
    rc = rc || add(m, "MaxPool1D", "", e) || add(m, "Flatten", "", e) ||
         add(m, "Dense", "1, activation='linear'", e) ||
         sl_compile(m, "loss='mse', optimizer='adam'", e) || sl_model_init_params(m, 2, e);
    if (rc) {
        sl_model_free(m);
        return NULL;
    }
    return m;
}

/* Five noisy waves; the target is the next value of the first, which the others lead. */
static double make_data(int n)
{
    SlRng r = sl_rng(18);
    int len = n + LOOKBACK + 1;
    static double s[MAX_N + LOOKBACK + 1][FEATURES];
    for (int t = 0; t < len; t++)
        for (int f = 0; f < FEATURES; f++)
            s[t][f] = sin(0.31 * (t + 2 * f) + 0.2 * f * f) + 0.05 * sl_rng_normal(&r);
    double mean = 0, var = 0;
    for (int i = 0; i < n; i++) {
        for (int t = 0; t < LOOKBACK; t++)
            for (int f = 0; f < FEATURES; f++)
                X[(i * LOOKBACK + t) * FEATURES + f] = (sl_real)s[i + t][f];
        Y[i] = (sl_real)s[i + LOOKBACK][0];
        mean += Y[i];
    }
    mean /= n;
    for (int i = 0; i < n; i++)
        var += (Y[i] - mean) * (Y[i] - mean);
    return var / n;
}

int main(int argc, char **argv)
{
    Lesson ls;
    if (lesson_begin(&ls, argc, argv, "Lesson 18: the causal CNN of the question",
                     "Here is my causal CNN for a multivariate series: is it built right, and "
                     "does it learn?",
                     "the full model's summary (56,897 parameters), each TimeDistributed causal "
                     "Conv1D written as the Conv2D it is, and training beating the mean",
                     3))
        return 0;
    SlError e;
    lesson_step(&ls, "The model, as 11_causal_cnn_fixed.py builds it");
    SlModel *m = build(&e);
    if (!m || sl_model_summary(m, 0, stdout, &e) < 0)
        lesson_die(&e);
    size_t total = sl_model_count_params(m);
    printf("\n  %zu,%03zu parameters: 192 + 4 x 5,152 = 20,800 in the per-feature convolutions,\n"
           "  25,632 + 2 x 5,152 = 35,936 in the Conv1D layers over (10, 160), and 161 in Dense.\n"
           "  Each zero_padding2d + conv2d pair is one TimeDistributed(Conv1D(32, 5,\n"
           "  padding='causal', dilation_rate=d)): the same kernel runs along each feature's\n"
           "  row of 10 steps, with (5 - 1) * d zeros on its left.\n",
           total / 1000, total % 1000);
    if (total != 56897) {
        fprintf(stderr, "lesson: expected 56,897 parameters\n");
        return 1;
    }
    lesson_visualize(&ls, m, "shapes", NULL);

    int n = ls.quick ? 320 : 1200, epochs = ls.quick ? 4 : 12;
    char heading[128];
    snprintf(heading, sizeof heading,
             "Training on %d windows of 5 waves (%d epochs, 20%% held out)", n, epochs);
    lesson_step(&ls, heading);
    double var = make_data(n);
    SlTensor x = sl_tensor(sl_shape_of(3, (int[]){n, LOOKBACK, FEATURES}), X);
    SlTensor y = sl_tensor(sl_shape_of(2, (int[]){n, 1}), Y);
    SlFitOptions o = sl_fit_defaults();
    o.epochs = epochs;
    o.batch_size = 32;
    o.validation_split = 0.2;
    o.seed = 4;
    o.verbose = 0;
    SlHistory h;
    if (sl_model_fit(m, &x, &y, &o, &h, &e) < 0)
        lesson_die(&e);
    for (int ep = 0; ep < h.n_epochs; ep++)
        printf("  epoch %2d: loss %.4f   val_loss %.4f\n", ep + 1, sl_history_get(&h, "loss", ep),
               sl_history_get(&h, "val_loss", ep));
    double val = sl_history_get(&h, "val_loss", h.n_epochs - 1);
    printf("\n  Predicting the mean would score the target's variance, %.3f. The bar: val_loss\n"
           "  below a tenth of it, %.3f. Reached: %.4f: %s\n",
           var, var / 10, val, val < var / 10 ? "yes" : "NO");
    lesson_visualize(&ls, m, "training", &h);
    sl_history_free(&h);
    sl_model_free(m);
    if (!(val < var / 10)) {
        fprintf(stderr, "lesson: the causal CNN did not beat its bar\n");
        return 1;
    }
    lesson_step(&ls, "What to remember");
    printf("  - Permute, not Reshape, turns (steps, features) into rows of one feature each.\n"
           "  - TimeDistributed(Conv1D) runs one kernel along every row: a (1, k) Conv2D.\n"
           "  - Causal padding and dilations let 8 layers see all 10 steps without the future.\n");
    return 0;
}
