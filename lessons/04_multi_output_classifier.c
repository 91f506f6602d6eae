/* Lesson 04: 16 outputs of 7 classes each from 32 features (QUESTIONS.md item 14).
 *
 *     Dense(16 * 7, input_shape=(32,)) -> Reshape((16, 7)) -> Activation('softmax')
 * (../shared/models/14_multi_output.py). Dense makes 112 numbers per sample; Reshape groups them as
 * 16 rows of 7; softmax works on the last axis, so each row becomes its own distribution over 7
 * classes; categorical crossentropy compares each row with a one-hot target row and averages over
 * the 16 outputs and the batch. The lesson trains it on data where every output's class is decided
 * by the features, and states the accuracy it must reach.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "lesson.h"

enum { N = 3000, F = 32, OUTS = 16, CLASSES = 7 };
static sl_real x[N * F], y[N * OUTS * CLASSES];

/* A hidden "teacher" scores each class of each output from the features; the target is the
 * class with the best score, one-hot. */
static void make_data(void)
{
    static double teacher[F * OUTS * CLASSES];
    SlRng r = sl_rng(14);
    for (int i = 0; i < F * OUTS * CLASSES; i++)
        teacher[i] = sl_rng_normal(&r);
    for (int n = 0; n < N; n++) {
        for (int f = 0; f < F; f++)
            x[n * F + f] = (sl_real)(sl_rng_uniform(&r) < 0.5 ? -1 : 1);
        for (int o = 0; o < OUTS; o++) {
            int best = 0;
            double best_s = -1e300;
            for (int c = 0; c < CLASSES; c++) {
                double s = 0;
                for (int f = 0; f < F; f++)
                    s += x[n * F + f] * teacher[f * OUTS * CLASSES + o * CLASSES + c];
                if (s > best_s)
                    best_s = s, best = c;
            }
            for (int c = 0; c < CLASSES; c++)
                y[(n * OUTS + o) * CLASSES + c] = (sl_real)(c == best);
        }
    }
}

static SlModel *build(SlError *e)
{
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    if (!m || sl_model_add(m, sl_layer("Dense", "112, input_shape=(32,)", e), e) ||
        sl_model_add(m, sl_layer("Reshape", "(16, 7)", e), e) ||
        sl_model_add(m, sl_layer("Activation", "'softmax'", e), e) ||
        sl_compile(m, "loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy']",
                   e) ||
        sl_model_init_params(m, 1, e)) {
        sl_model_free(m);
        return NULL;
    }
    return m;
}

static void show_one(SlModel *m, SlError *e)
{
    SlTensor one = sl_tensor(sl_shape_of(2, (int[]){1, F}), x), out[1];
    if (sl_model_predict(m, &one, 1, out, e) < 0)
        lesson_die(e);
    printf("  Sample 0, first 5 of its 16 outputs (probabilities over 7 classes; * = target):\n");
    for (int o = 0; o < 5; o++) {
        double sum = 0;
        printf("    output %2d:", o);
        for (int c = 0; c < CLASSES; c++) {
            double p = out[0].data[o * CLASSES + c];
            sum += p;
            printf(" %5.2f%s", p, y[o * CLASSES + c] == 1 ? "*" : " ");
        }
        printf("  sum %.2f\n", sum);
    }
    sl_free(out[0].data);
}

int main(int argc, char **argv)
{
    Lesson ls;
    if (lesson_begin(&ls, argc, argv, "Lesson 04: a classifier with 16 outputs of 7 classes",
                     "How do I predict 16 labels of 7 classes each from 32 features?",
                     "Dense(112) regrouped as (16, 7), softmax on the last axis, and training to a "
                     "stated accuracy",
                     2))
        return 0;
    SlError e;
    make_data();
    SlModel *m = build(&e);
    if (!m)
        lesson_die(&e);

    lesson_step(&ls, "The model");
    if (sl_model_summary(m, 0, stdout, &e) < 0)
        lesson_die(&e);
    printf("\n  Dense gives 112 = 16 x 7 numbers per sample. Reshape((16, 7)) regroups them, in\n"
           "  order, as 16 rows of 7. Softmax acts on the LAST axis: each row of 7 becomes a\n"
           "  distribution over the 7 classes of one output. The targets are one-hot rows,\n"
           "  shape (N, 16, 7).\n\n");
    show_one(m, &e);
    lesson_visualize(&ls, m, "shapes", NULL);

    lesson_step(&ls, "Training (Adam, 30 epochs, batches of 64, 20% held out)");
    SlTensor X = sl_tensor(sl_shape_of(2, (int[]){N, F}), x);
    SlTensor Y = sl_tensor(sl_shape_of(3, (int[]){N, OUTS, CLASSES}), y);
    SlOptimizer adam;
    if (sl_optimizer(&adam, "Adam", "learning_rate=0.01", &e) < 0)
        lesson_die(&e);
    sl_model_set_optimizer(m, &adam);
    SlFitOptions o = sl_fit_defaults();
    o.epochs = 30;
    o.batch_size = 64;
    o.validation_split = 0.2;
    o.seed = 4;
    o.verbose = -1; /* Keras's 'auto': the live bar in a terminal, one line per epoch otherwise */
    SlHistory h;
    printf(
        "  model.fit(x, y, epochs=30, batch_size=64, validation_split=0.2) prints, as Keras:\n\n");
    if (sl_model_fit(m, &X, &Y, &o, &h, &e) < 0)
        lesson_die(&e);
    lesson_visualize(&ls, m, "training", &h);
    double acc = sl_history_get(&h, "val_accuracy", h.n_epochs - 1);
    double loss = sl_history_get(&h, "val_loss", h.n_epochs - 1);
    sl_history_free(&h);
    printf("\n  Accuracy counts each of the 16 outputs of each sample: a row is right when its\n"
           "  largest probability sits on the target class (categorical accuracy).\n"
           "  The bar this lesson sets: val_accuracy above 0.90 and val_loss below 0.35.\n"
           "  Reached: val_accuracy %.4f, val_loss %.4f: %s\n",
           acc, loss, acc > 0.9 && loss < 0.35 ? "yes" : "NO");
    if (!(acc > 0.9 && loss < 0.35)) {
        fprintf(stderr, "\nlesson: the classifier did not reach its stated accuracy\n");
        return 1;
    }
    printf("\n");
    show_one(m, &e);

    lesson_step(&ls, "What to remember");
    printf("  - Several outputs of several classes: Dense(outputs * classes), Reshape((outputs,\n"
           "    classes)), softmax on the last axis, categorical crossentropy.\n"
           "  - The loss and the accuracy average over every output of every sample.\n"
           "  - Softmax over the last axis is why the Reshape must put the classes last.\n");
    sl_model_free(m);
    return 0;
}
