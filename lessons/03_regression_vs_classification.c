/* Lesson 03: regression vs classification (QUESTIONS.md item 15).
 *
 * A real-valued target (a price, a temperature) needs one linear output unit and a squared error:
 *     Dense(64, relu, input_shape=(13,)) -> Dense(1), loss='mse', metrics=['mae']
 * (../shared/models/15_regression.py). The lesson builds that model, prints its summary, trains it
 * on a made-up housing-like set of 13 features, and states the bar it must clear. Then it shows
 * what happens with a classifier's ending, Dense(10, softmax), on the same targets: the shapes do
 * not even match, and "accuracy" means nothing for a number like 23.7.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "lesson.h"
#include "train.h"

enum { N = 2000, F = 13 };
static sl_real x[N * F], y[N];

/* 13 features in [-1, 1]; the target mixes them with a bend (a relu) and a little noise. */
static void make_data(void)
{
    SlRng r = sl_rng(15);
    for (int i = 0; i < N; i++) {
        double s = 22;
        for (int j = 0; j < F; j++) {
            double v = sl_rng_range(&r, -1, 1);
            x[i * F + j] = (sl_real)v;
            s += (j % 4 - 1.5) * 2 * v;
        }
        s += 4 * fmax(0, x[i * F] + x[i * F + 1]);
        y[i] = (sl_real)(s + 0.3 * sl_rng_normal(&r));
    }
}

static SlModel *build(const char *last, const char *compile, SlError *e)
{
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    if (!m ||
        sl_model_add(m, sl_layer("Dense", "64, activation='relu', input_shape=(13,)", e), e) ||
        sl_model_add(m, sl_layer("Dense", last, e), e) || sl_compile(m, compile, e) ||
        sl_model_init_params(m, 1, e)) {
        sl_model_free(m);
        return NULL;
    }
    return m;
}

int main(int argc, char **argv)
{
    Lesson ls;
    if (lesson_begin(&ls, argc, argv, "Lesson 03: regression vs classification",
                     "My target is a number, not a class: what should the last layer and the loss "
                     "be?",
                     "the regression model's summary, its training reaching a stated error, and "
                     "the error a softmax classifier gives on the same targets",
                     1))
        return 0;
    SlError e;
    make_data();
    SlTensor X = sl_tensor(sl_shape_of(2, (int[]){N, F}), x);
    SlTensor Y = sl_tensor(sl_shape_of(2, (int[]){N, 1}), y);

    lesson_step(&ls, "The model: one linear unit at the end");
    SlModel *m = build("1", "loss='mse', optimizer='adam', metrics=['mae']", &e);
    if (!m || sl_model_summary(m, 0, stdout, &e) < 0)
        lesson_die(&e);
    lesson_visualize(&ls, m, "shapes", NULL);
    printf("\n  Dense(1) has no activation: its output can be any real number, like the target.\n"
           "  The loss is the mean squared error; mae (mean absolute error) is easier to read:\n"
           "  it is in the target's own units.\n");

    lesson_step(&ls, "Training (Adam, 100 epochs, 20% held out for validation)");
    SlOptimizer adam;
    if (sl_optimizer(&adam, "Adam", "learning_rate=0.003", &e) < 0)
        lesson_die(&e);
    sl_model_set_optimizer(m, &adam);
    SlFitOptions o = sl_fit_defaults();
    o.epochs = 100;
    o.batch_size = 32;
    o.validation_split = 0.2;
    o.seed = 3;
    o.verbose = 0;
    SlHistory h;
    if (sl_model_fit(m, &X, &Y, &o, &h, &e) < 0)
        lesson_die(&e);
    for (int ep = 0; ep < h.n_epochs; ep++)
        if (ep < 4 || (ep + 1) % 20 == 0)
            printf("  epoch %3d: loss %8.4f  mae %6.3f   val_loss %8.4f  val_mae %6.3f\n", ep + 1,
                   sl_history_get(&h, "loss", ep), sl_history_get(&h, "mae", ep),
                   sl_history_get(&h, "val_loss", ep), sl_history_get(&h, "val_mae", ep));
    double val_mae = sl_history_get(&h, "val_mae", h.n_epochs - 1);
    double val_loss = sl_history_get(&h, "val_loss", h.n_epochs - 1);
    printf("\n  The bar this lesson sets: val_loss below 0.5 (targets average about 22).\n"
           "  Reached: val_loss %.4f, val_mae %.3f: %s\n",
           val_loss, val_mae, val_loss < 0.5 ? "yes" : "NO");
    if (!(val_loss < 0.5)) {
        fprintf(stderr, "\nlesson: the regression did not reach its stated loss\n");
        return 1;
    }
    lesson_visualize(&ls, m, "training", &h);
    sl_history_free(&h);
    SlTensor pred[1];
    if (sl_model_predict(m, &X, 32, pred, &e) < 0)
        lesson_die(&e);
    printf("\n  First three samples: target vs prediction\n");
    for (int i = 0; i < 3; i++)
        printf("    %7.3f  vs  %7.3f\n", (double)y[i], (double)pred[0].data[i]);
    sl_free(pred[0].data);
    sl_model_free(m);

    lesson_step(&ls, "The same targets with a classifier's ending");
    m = build("10, activation='softmax'",
              "loss='categorical_crossentropy', optimizer='adam', "
              "metrics=['accuracy']",
              &e);
    if (!m)
        lesson_die(&e);
    o.epochs = 1;
    if (sl_model_fit(m, &X, &Y, &o, NULL, &e) == 0) {
        fprintf(stderr, "lesson: a softmax over 10 classes accepted one number per sample\n");
        return 1;
    }
    lesson_show_error("fit refuses before the first step:", &e);
    printf("\n  Dense(10, softmax) outputs 10 probabilities that sum to 1, one per class. A\n"
           "  price is not one of 10 classes: cutting it into bins throws away precision, and\n"
           "  accuracy would only count exact bins. Keep Dense(1) and mse for numbers; use\n"
           "  softmax and crossentropy when the target is a category.\n");
    sl_model_free(m);

    lesson_step(&ls, "What to remember");
    printf("  - A real-valued target: Dense(1) with no activation, loss 'mse' (or 'mae').\n"
           "  - Report mae: the average error in the target's units. Accuracy does not apply.\n"
           "  - n classes: Dense(n, activation='softmax') with categorical crossentropy.\n");
    return 0;
}
