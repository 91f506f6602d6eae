/* Lesson 14: weights do not depend on the number of timesteps (QUESTIONS.md item 7).
 *
 * Two models with the same layers (07_transfer_weights.py): one built for windows of 50 steps and
 * trained on them, one that takes any length. Every weight's shape names features and units, never
 * timesteps, so new_model.set_weights(old_model.get_weights()) works, and the new model gives the
 * old one's outputs on a 50-step window and also runs on 120 steps, which the old one refuses.
 * A model with other units is refused, the error naming the weight. Saved to a file and loaded
 * back, the names differ (lstm against lstm_2: both models live in one session), and loading goes
 * by position with each shape checked, as Keras's load_weights does.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson.h"

enum { N = 64, STEPS = 50, F = 5, LONG = 120 };

/* LSTM(units, rs) -> LSTM(8, rs) -> TimeDistributed(Dense(2, sigmoid)) on (steps, 5). */
static SlModel *build(const char *steps, int units, SlError *e)
{
    char a[96];
    SlArgs none;
    sl_args_init(&none);
    SlModel *m = sl_sequential(NULL);
    snprintf(a, sizeof a, "%d, return_sequences=True, input_shape=(%s, 5)", units, steps);
    if (!m || sl_model_add(m, sl_layer("LSTM", a, e), e) < 0 ||
        sl_model_add(m, sl_layer("LSTM", "8, return_sequences=True", e), e) < 0 ||
        sl_model_add(m,
                     sl_layer_wrap("TimeDistributed",
                                   sl_layer("Dense", "2, activation='sigmoid'", e), &none, e),
                     e) < 0) {
        sl_model_free(m);
        return NULL;
    }
    return m;
}

/* Windows of 50 steps of 5 features; each step's label: is the sum of its features above 0? */
static void data(sl_real *x, sl_real *y, int n, int steps, unsigned seed)
{
    SlRng r = sl_rng(seed);
    for (int i = 0; i < n * steps; i++) {
        double s = 0;
        for (int f = 0; f < F; f++) {
            x[i * F + f] = (sl_real)sl_rng_range(&r, -1, 1);
            s += x[i * F + f];
        }
        y[i * 2] = s > 0, y[i * 2 + 1] = s > 1;
    }
}

static double max_diff(const SlTensor *a, const SlTensor *b)
{
    double d = 0;
    for (size_t i = 0; i < sl_tensor_count(a); i++)
        d = fmax(d, fabs((double)a->data[i] - (double)b->data[i]));
    return d;
}

int main(int argc, char **argv)
{
    Lesson ls;
    SlError e;
    if (lesson_begin(&ls, argc, argv, "Moving weights to a model with another number of timesteps",
                     "I trained on windows of 50 steps; can the same weights read 120 steps?",
                     "the weights' shapes (no timesteps in them), set_weights across the two "
                     "models, outputs compared, the errors when the layers differ",
                     2))
        return 0;
    static sl_real x[N * STEPS * F], y[N * STEPS * 2], xl[LONG * F];

    lesson_step(&ls, "Two models, the same layers: one for 50 steps, one for any length");
    sl_clear_session();
    SlModel *old_model = build("50", 32, &e), *model = build("None", 32, &e);
    if (!old_model || !model || sl_model_summary(old_model, 0, stdout, &e) < 0 ||
        sl_model_summary(model, 0, stdout, &e) < 0)
        lesson_die(&e);
    lesson_expect(sl_model_count_params(old_model) == 6194 && sl_model_count_params(model) == 6194,
                  "both models should have 6,194 parameters");

    lesson_step(&ls, "Train the old model on windows of 50 steps");
    if (sl_compile(old_model, "loss='binary_crossentropy', optimizer='adam', metrics=['accuracy']",
                   &e) < 0 ||
        sl_model_init_params(old_model, 1, &e) < 0)
        lesson_die(&e);
    data(x, y, N, STEPS, 7);
    SlTensor X = sl_tensor(sl_shape_of(3, (int[]){N, STEPS, F}), x);
    SlTensor Y = sl_tensor(sl_shape_of(3, (int[]){N, STEPS, 2}), y);
    SlFitOptions o = sl_fit_defaults();
    o.epochs = ls.quick ? 1 : 8;
    o.batch_size = 16;
    o.verbose = 2;
    if (sl_model_fit(old_model, &X, &Y, &o, NULL, &e) < 0)
        lesson_die(&e);

    lesson_step(&ls, "get_weights(): no shape mentions the 50 timesteps");
    SlTensor w[16];
    int n = sl_model_get_weights(old_model, w, 16, &e);
    if (n < 0)
        lesson_die(&e);
    for (int i = 0; i < n; i++) {
        char s[64];
        printf("  %-40s %s\n", old_model->param_names[i], sl_shape_str(&w[i].shape, s, sizeof s));
        for (int d = 0; d < w[i].shape.rank; d++)
            lesson_expect(w[i].shape.dim[d] != STEPS, "a weight should not have a timesteps axis");
    }
    printf("\n  Kernels are (features, 4*units), recurrent kernels (units, 4*units), biases\n"
           "  (4*units): the cell is the same at every step, so the number of steps is not in\n"
           "  them. The new model's names differ (%s:\n"
           "  both models live in one session), but set_weights goes by position.\n",
           model->param_names[0]);

    lesson_step(&ls, "model.set_weights(old_model.get_weights())");
    if (sl_model_set_weights(model, w, n, &e) < 0)
        lesson_die(&e);
    SlTensor a0, b0;
    SlTensor one = sl_tensor(sl_shape_of(3, (int[]){1, STEPS, F}), x);
    if (sl_model_predict(old_model, &one, 1, &a0, &e) < 0 ||
        sl_model_predict(model, &one, 1, &b0, &e) < 0)
        lesson_die(&e);
    double d = max_diff(&a0, &b0);
    printf("  the same 50-step window through both: largest difference %.1e\n", d);
    lesson_expect(d == 0, "the two models should agree on a 50-step window");
    sl_free(a0.data), sl_free(b0.data);
    SlRng r = sl_rng(3);
    for (int i = 0; i < LONG * F; i++)
        xl[i] = (sl_real)sl_rng_range(&r, -1, 1);
    SlTensor lng = sl_tensor(sl_shape_of(3, (int[]){1, LONG, F}), xl), out;
    if (sl_model_predict(model, &lng, 1, &out, &e) < 0)
        lesson_die(&e);
    char s[64];
    printf("  120 steps through the new model: %s\n", sl_shape_str(&out.shape, s, sizeof s));
    lesson_expect(out.shape.dim[1] == LONG, "the new model should return 120 steps");
    sl_free(out.data);
    printf("  and through the old one:\n");
    lesson_expect(sl_model_predict(old_model, &lng, 1, &out, &e) < 0,
                  "the old model should refuse");
    lesson_show_error("predict(120 steps) on old_model", &e);
    lesson_visualize(&ls, model, "lstm", NULL);

    lesson_step(&ls, "Other layers: set_weights says which weight does not fit");
    SlModel *wide = build("None", 64, &e);
    if (!wide)
        lesson_die(&e);
    lesson_expect(sl_model_set_weights(wide, w, n, &e) < 0,
                  "LSTM(64) should refuse LSTM(32)'s weights");
    lesson_show_error("wide.set_weights(old_model.get_weights())", &e);

    lesson_step(&ls, "Through a file: save_weights, then load_weights by position");
    char path[] = "/tmp/shapelab-lesson14-XXXXXX";
    int fd = mkstemp(path);
    lesson_expect(fd >= 0, "cannot make a temporary file");
    fclose(fdopen(fd, "w"));
    SlModel *fresh = build("None", 32, &e);
    int how = fresh && sl_model_save_weights(old_model, path, &e) == 0
                  ? sl_model_load_weights(fresh, path, &e)
                  : -1;
    remove(path);
    if (how < 0)
        lesson_die(&e);
    printf("  the file's names are old_model's (%s),\n  the fresh model's are %s: none match,\n"
           "  so the weights went by position (load_weights returned %d), each shape checked.\n",
           old_model->param_names[0], fresh->param_names[0], how);
    lesson_expect(how == 1, "loading should have gone by position");
    if (sl_model_predict(fresh, &lng, 1, &out, &e) < 0 ||
        sl_model_predict(model, &lng, 1, &a0, &e) < 0)
        lesson_die(&e);
    d = max_diff(&out, &a0);
    printf("  fresh and model on the 120 steps: largest difference %.1e\n", d);
    lesson_expect(d == 0, "the loaded model should equal the one set by set_weights");
    sl_free(out.data), sl_free(a0.data);
    sl_model_free(old_model), sl_model_free(model), sl_model_free(wide), sl_model_free(fresh);
    printf("\n  The number of timesteps is a property of the data, not of the weights: build\n"
           "  the model with input_shape=(None, 5) and it reads any length.\n");
    return 0;
}
