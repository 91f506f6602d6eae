/* Lesson 18: the causal CNN of QUESTIONS.md item 11, built, summarised and trained.
 *
 * The question's model forecasts one value from 10 steps of 5 series: per-feature causal
 * convolutions along time (5 layers, 32 filters, kernel 5, dilations 1, 2, 4, 8, 16), the
 * features joined, 3 more causal Conv1D layers over time, pooling, one Dense output:
 * 20,800 + 35,936 + 161 = 56,897 parameters. The per-feature convolutions are
 * TimeDistributed(Conv1D(..., padding='causal')), as 11_causal_cnn_fixed.py writes them; the lesson
 * also builds each one the way it computes, a Conv2D with a (1, 5) kernel dilated along time only
 * after ZeroPadding2D puts the causal zeros on the left of each row, gives it the same weights
 * (Conv1D's kernel (5, in, 32) is the (1, 5, in, 32) one, value for value) and checks the two
 * models agree. Then it trains on a toy multivariate series and must beat predicting the mean by a
 * stated margin.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson.h"
#include "train.h"

enum { LOOKBACK = 10, FEATURES = 5, FILTERS = 32, WIDTH = 5, MAX_N = 1200 };
static sl_real X[MAX_N * LOOKBACK * FEATURES], Y[MAX_N];

static int add(SlModel *m, const char *type, const char *args, SlError *e)
{
    return sl_model_add(m, sl_layer(type, args, e), e);
}

/* The per-feature causal convolution, as the script writes it (TimeDistributed(Conv1D)) or as it
 * computes (ZeroPadding2D then a (1, 5) Conv2D). */
static int per_feature(SlModel *m, int td, int rate, SlError *e)
{
    char a[160];
    if (td) {
        SlArgs none;
        sl_args_init(&none);
        snprintf(a, sizeof a,
                 "filters=%d, kernel_size=%d, padding='causal', dilation_rate=%d, "
                 "activation='elu'",
                 FILTERS, WIDTH, rate);
        return sl_model_add(m, sl_layer_wrap("TimeDistributed", sl_layer("Conv1D", a, e), &none, e),
                            e);
    }
    snprintf(a, sizeof a, "((0, 0), (%d, 0))", (WIDTH - 1) * rate);
    if (add(m, "ZeroPadding2D", a, e))
        return -1;
    snprintf(a, sizeof a, "%d, (1, %d), dilation_rate=(1, %d), activation='elu'", FILTERS, WIDTH,
             rate);
    return add(m, "Conv2D", a, e);
}

static SlModel *build(int td, SlError *e)
{
    char a[160];
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    int rc = !m || add(m, "InputLayer", "shape=(10, 5)", e) || add(m, "Permute", "(2, 1)", e) ||
             add(m, "Reshape", "(5, 10, 1)", e);
    for (int i = 0, rate = 1; i < 5 && !rc; i++, rate *= 2)
        rc = per_feature(m, td, rate, e);
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

/* The Conv2D model given the TimeDistributed model's weights, value for value; the largest
 * difference of their outputs on a sample. */
static double same_as_conv2d(SlModel *td, SlError *e)
{
    SlModel *c2 = build(0, e);
    if (!c2)
        return -1;
    for (int i = 0; i < td->n_params; i++)
        memcpy(c2->params[i]->value.data, td->params[i]->value.data,
               sl_shape_count(&td->params[i]->shape) * sizeof(sl_real));
    SlTensor in = sl_tensor(sl_shape_of(3, (int[]){4, LOOKBACK, FEATURES}), X), a, b;
    double d = -1;
    if (sl_model_predict(td, &in, 4, &a, e) == 0 && sl_model_predict(c2, &in, 4, &b, e) == 0) {
        d = 0;
        for (int i = 0; i < 4; i++)
            d = fmax(d, fabs((double)a.data[i] - (double)b.data[i]));
        sl_free(a.data), sl_free(b.data);
    }
    sl_model_free(c2);
    return d;
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
                     "Conv1D checked against the (1, 5) Conv2D it is, and training beating the "
                     "mean",
                     3))
        return 0;
    SlError e;
    lesson_step(&ls, "The model, as 11_causal_cnn_fixed.py builds it");
    SlModel *m = build(1, &e);
    if (!m || sl_model_summary(m, 0, stdout, &e) < 0)
        lesson_die(&e);
    size_t total = sl_model_count_params(m);
    printf("\n  %zu,%03zu parameters: 192 + 4 x 5,152 = 20,800 in the per-feature convolutions,\n"
           "  25,632 + 2 x 5,152 = 35,936 in the Conv1D layers over (10, 160), and 161 in Dense.\n",
           total / 1000, total % 1000);
    if (total != 56897) {
        fprintf(stderr, "lesson: expected 56,897 parameters\n");
        return 1;
    }
    make_data(8);
    double same = same_as_conv2d(m, &e);
    if (same < 0)
        lesson_die(&e);
    printf("\n  Each TimeDistributed(Conv1D(32, 5, padding='causal', dilation_rate=d)) runs one\n"
           "  kernel along each feature's row of 10 steps, with (5 - 1) * d zeros on its left:\n"
           "  a ZeroPadding2D then a Conv2D with a (1, 5) kernel. Given the same weights, that\n"
           "  model's outputs differ from these by %.1e.\n",
           same);
    if (same > 1e-4) {
        fprintf(stderr, "lesson: the Conv2D form should give the same outputs\n");
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
