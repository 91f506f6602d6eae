/* Lesson 01: batch, timesteps, features; what None means.
 *
 * A batch of 8 samples, each 10 timesteps of 3 features, flows through
 *     Input(shape=(10, 3)) -> Dense(4, relu) -> Flatten -> Dense(2, softmax)
 * and the lesson prints every tensor's shape as the data passes, with the engine's own sentence
 * for why it changed. Then the same model takes 3 samples (the batch axis is None: any number),
 * and finally data without its features axis, (8, 10), which the model refuses with the fix.
 */
#include <stdio.h>
#include <string.h>

#include "lesson.h"

/* The observer: one line per layer as the batch flows through. */
static void print_layer(void *ctx, const SlEvent *ev)
{
    (void)ctx;
    if (ev->kind != SL_EV_LAYER_END)
        return;
    char s[96];
    printf("  %-14s %-13s -> %s\n", ev->layer->name, ev->layer->type->name,
           sl_shape_str(&ev->pass->y[0].shape, s, sizeof s));
    printf("  %14s   why: %s\n", "", ev->why);
}

static SlModel *build(SlError *e)
{
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    if (!m || sl_model_add(m, sl_layer("InputLayer", "shape=(10, 3)", e), e) < 0 ||
        sl_model_add(m, sl_layer("Dense", "4, activation='relu'", e), e) < 0 ||
        sl_model_add(m, sl_layer("Flatten", "", e), e) < 0 ||
        sl_model_add(m, sl_layer("Dense", "2, activation='softmax'", e), e) < 0 ||
        sl_model_init_params(m, 1, e) < 0) {
        sl_model_free(m);
        return NULL;
    }
    return m;
}

static void show_symbolic(const SlModel *m)
{
    char s[96];
    printf("  The model as built, before any data (Keras prints these shapes in summary()):\n\n");
    for (int n = 0; n < m->n_nodes; n++)
        printf("  %-14s %-13s output %s\n", m->nodes[n].layer->name, m->nodes[n].layer->type->name,
               sl_shape_str(&m->t[m->nodes[n].out[0]].shape, s, sizeof s));
    printf("\n  Every shape starts with None: the batch axis. The model never fixes how many\n"
           "  samples arrive together, so Keras leaves that number open. shape=(10, 3) in\n"
           "  Input describes ONE sample: 10 timesteps, 3 features at each.\n");
}

static void fill(sl_real *x, int n)
{
    SlRng r = sl_rng(2024);
    for (int i = 0; i < n; i++)
        x[i] = (sl_real)sl_rng_range(&r, -1, 1);
}

int main(int argc, char **argv)
{
    Lesson ls;
    if (lesson_begin(&ls, argc, argv, "Lesson 01: shapes: batch, timesteps, features",
                     "What is input_shape=(timesteps, features), and where did the batch go?",
                     "a batch flowing through four layers, its shape printed at each, and the "
                     "error for data missing an axis",
                     1))
        return 0;
    SlError e;
    SlModel *m = build(&e);
    if (!m)
        lesson_die(&e);

    lesson_step(&ls, "One sample, and a batch of them");
    static sl_real x[8 * 10 * 3];
    fill(x, 8 * 10 * 3);
    SlTensor batch = sl_tensor(sl_shape_of(3, (int[]){8, 10, 3}), x);
    SlTensor first = sl_tensor(sl_shape_of(2, (int[]){10, 3}), x);
    lesson_print_tensor("the first sample (10 timesteps x 3 features)", &first, 10);
    printf("\n  Stack 8 such samples and you have a batch of shape (8, 10, 3):\n"
           "  (samples, timesteps, features). The first axis counts samples.\n");

    lesson_step(&ls, "The model's shapes, with None for the batch");
    show_symbolic(m);

    lesson_step(&ls, "The batch flows through");
    SlObserver obs = {print_layer, NULL};
    sl_model_set_observer(m, &obs);
    if (sl_model_forward(m, &batch, 0, &e) < 0)
        lesson_die(&e);
    printf("\n  Dense works on the LAST axis only: at each of the 10 timesteps it turns 3\n"
           "  features into 4 units, with the same weights everywhere. Flatten then lays\n"
           "  10 x 4 values out as one vector of 40 per sample.\n");
    lesson_visualize(&ls, m, "shapes", NULL);
    SlTensor y = sl_model_output(m, 0);
    printf("\n");
    lesson_print_tensor("the output: two probabilities per sample", &y, 8);

    lesson_step(&ls, "Another batch size: nothing else changes");
    SlTensor three = sl_tensor(sl_shape_of(3, (int[]){3, 10, 3}), x);
    if (sl_model_forward(m, &three, 0, &e) < 0)
        lesson_die(&e);
    printf("\n  3 samples instead of 8: only the first axis changed. That is what None means.\n");

    lesson_step(&ls, "Data missing its features axis");
    sl_model_set_observer(m, NULL);
    SlTensor flat = sl_tensor(sl_shape_of(2, (int[]){8, 10}), x);
    if (sl_model_forward(m, &flat, 0, &e) == 0) {
        fprintf(stderr, "lesson: the model accepted (8, 10); it should not\n");
        return 1;
    }
    lesson_show_error("Feeding (8, 10): 8 samples of 10 numbers, but each sample should be "
                      "(10, 3):",
                      &e);
    printf("\n  The model counts axes: (batch, timesteps, features) is three. Data of 10\n"
           "  single numbers per sample needs a features axis of size 1, (8, 10, 1), and a\n"
           "  model built for shape=(10, 1). The same holds for an LSTM fed (N, 31).\n");

    lesson_step(&ls, "What to remember");
    printf("  - input_shape / shape= describes one sample; the batch axis is never written.\n"
           "  - Keras prints the batch axis as None: any number of samples.\n"
           "  - Dense acts on the last axis and keeps every other axis.\n"
           "  - A shape error names what was expected, what arrived, and how to fix the data.\n");
    sl_model_free(m);
    return 0;
}
