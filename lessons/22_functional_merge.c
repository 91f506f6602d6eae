/* Lesson 22: merging branches in a functional model (QUESTIONS.md item 17).
 *
 * Two inputs, a series (None, 20, 3) and facts about it (None, 5), go through an LSTM(16) and a
 * Dense(16); Concatenate(axis=-1) joins them side by side into (None, 32), and a residual Add puts
 * that back onto a Dense(32) of it. Concatenate needs every axis but the joined one to agree, Add
 * needs every axis to agree (or be 1, which repeats). The lesson builds the question's script,
 * shows the values side by side and the sum element by element, then the models that get the
 * shapes wrong with the errors and their fixes, and trains the right one on two inputs.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson.h"
#include "script/script.h"

/* ../shared/models/17_functional_merge.py, with %s for the lines the wrong models change. */
static const char *model_py = "from keras.models import Model\n"
                              "from keras.layers import Input, LSTM, Dense, Concatenate, Add\n"
                              "series = Input(shape=(20, 3), name='series')\n"
                              "meta = Input(shape=(5,), name='meta')\n"
                              "h = %s(series)\n"
                              "m = %s(meta)\n"
                              "joined = Concatenate(axis=-1)([h, m])\n"
                              "x = Dense(32, activation='relu')(joined)\n"
                              "x = Add()([x, %s])\n"
                              "out = Dense(1)(x)\n"
                              "model = Model(inputs=[series, meta], outputs=out)\n"
                              "model.compile(loss='mse', optimizer='adam')\n";

static void expect(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "lesson: %s\n", what);
        exit(1);
    }
}

/* The script with its branches and shortcut filled in; NULL with e set when it fails. */
static SlModel *build(SlScript **s, const char *lstm, const char *dense, const char *shortcut,
                      SlError *e)
{
    char py[2048];
    SlScriptOptions so;
    memset(&so, 0, sizeof so);
    snprintf(py, sizeof py, model_py, lstm, dense, shortcut);
    sl_clear_session();
    *s = sl_script_run_text("17_functional_merge.py", py, strlen(py), &so, e);
    SlModel *m = *s ? sl_script_model(*s, e) : NULL;
    if (m && sl_model_init_params(m, 1, e) < 0)
        m = NULL;
    return m;
}

/* The call of the layer named `name`. */
static const SlNode *node(const SlModel *m, const char *name)
{
    for (int n = 0; n < m->n_nodes; n++)
        if (!strcmp(m->nodes[n].layer->name, name))
            return &m->nodes[n];
    fprintf(stderr, "lesson: no layer '%s'\n", name);
    exit(1);
}

static const sl_real *value(const SlModel *m, const char *name)
{
    return m->t[node(m, name)->out[0]].val;
}

/* A batch of n samples: the target is the mean of sensor 0 over the last 5 steps plus
 * meta[0] * meta[1], so the model needs both inputs. */
static void make_data(int n, sl_real *series, sl_real *meta, sl_real *y)
{
    SlRng r = sl_rng(17);
    for (int s = 0; s < n; s++) {
        double t = 0;
        for (int i = 0; i < 20 * 3; i++)
            series[s * 60 + i] = (sl_real)sl_rng_range(&r, -1, 1);
        for (int i = 0; i < 5; i++)
            meta[s * 5 + i] = (sl_real)sl_rng_range(&r, -1, 1);
        for (int step = 15; step < 20; step++)
            t += series[s * 60 + step * 3] / 5.0;
        y[s] = (sl_real)(t + meta[s * 5] * meta[s * 5 + 1]);
    }
}

static void step_wrong_models(Lesson *ls, SlError *e)
{
    SlScript *s;
    lesson_step(ls, "When the shapes do not agree");
    printf("  (a) The LSTM returns its whole sequence: h = LSTM(16, return_sequences=True)\n"
           "      gives (None, 20, 16), three axes, beside m's two:\n");
    expect(
        !build(&s, "LSTM(16, return_sequences=True)", "Dense(16, activation='relu')", "joined", e),
        "a 3-axis h should not concatenate with a 2-axis m");
    lesson_show_error("Concatenate(axis=-1)([h, m]):", e);
    sl_script_free(s);
    printf("\n  (b) The facts' Dense gives 8 features: joined is (None, 24), and the residual\n"
           "      Add puts Dense(32)'s (None, 32) onto it:\n");
    expect(!build(&s, "LSTM(16)", "Dense(8, activation='relu')", "joined", e),
           "(None, 32) + (None, 24) should be refused");
    lesson_show_error("Add()([x, joined]):", e);
    sl_script_free(s);
    printf("\n  The fix the message gives: project the shortcut to 32 first,\n"
           "      x = Add()([x, Dense(32)(joined)])\n");
    SlModel *m = build(&s, "LSTM(16)", "Dense(8, activation='relu')", "Dense(32)(joined)", e);
    if (!m)
        lesson_die(e);
    char shape[64];
    sl_shape_str(&node(m, "add")->sym.out[0], shape, sizeof shape);
    printf("  builds: add gives %s, and the projection holds 24*32 + 32 = %zu weights.\n", shape,
           sl_layer_count_params(node(m, "dense_2")->layer));
    expect(sl_layer_count_params(node(m, "dense_2")->layer) == 24 * 32 + 32, "projection count");
    sl_script_free(s);

    printf("\n  (c) Two sequences of different lengths, 20 and 12 steps, joined on the last\n"
           "      axis: every other axis must agree, and axis 1 does not:\n");
    static const char *seq_py = "from keras import layers, Input, Model\n"
                                "a = Input(shape=(20, 3))\n"
                                "b = Input(shape=(12, 3))\n"
                                "j = layers.concatenate([a, b], axis=%d)\n"
                                "model = Model([a, b], j)\n";
    char py[512];
    SlScriptOptions so;
    memset(&so, 0, sizeof so);
    snprintf(py, sizeof py, seq_py, -1);
    s = sl_script_run_text("two_sequences.py", py, strlen(py), &so, e);
    expect(!s, "(None, 20, 3) and (None, 12, 3) should not join on axis -1");
    lesson_show_error("layers.concatenate([a, b], axis=-1):", e);
    snprintf(py, sizeof py, seq_py, 1);
    s = sl_script_run_text("two_sequences.py", py, strlen(py), &so, e);
    m = s ? sl_script_model(s, e) : NULL;
    if (!m)
        lesson_die(e);
    printf("  With axis=1 they are one sequence after the other: %s\n",
           m->nodes[m->n_nodes - 1].why);
    sl_script_free(s);
}

static void step_train(Lesson *ls, SlModel *m, SlError *e)
{
    enum { N = 512 };
    static sl_real series[N * 60], meta[N * 5], y[N];
    lesson_step(ls, "Training on two inputs: fit(x=[series, meta], y=...)");
    make_data(N, series, meta, y);
    SlTensor x[2] = {sl_tensor(sl_shape_of(3, (int[]){N, 20, 3}), series),
                     sl_tensor(sl_shape_of(2, (int[]){N, 5}), meta)};
    SlTensor Y = sl_tensor(sl_shape_of(2, (int[]){N, 1}), y);
    printf("  The target needs both inputs: the mean of sensor 0 over the last 5 steps, plus\n"
           "  meta[0] * meta[1]. The data is a list, one array per Input, in Model's order.\n");
    SlLogs before, after;
    SlFitOptions o = sl_fit_defaults();
    o.epochs = 15;
    o.verbose = 0;
    o.seed = 1;
    if (sl_model_evaluate(m, x, &Y, NULL, 0, &before, e) < 0 ||
        sl_model_fit(m, x, &Y, &o, NULL, e) < 0 ||
        sl_model_evaluate(m, x, &Y, NULL, 0, &after, e) < 0)
        lesson_die(e);
    double l0 = sl_logs_get(&before, "loss"), l1 = sl_logs_get(&after, "loss");
    printf("  loss before %.4f, after %d epochs %.4f (bar: below a fifth of the start).\n", l0,
           o.epochs, l1);
    expect(l1 < 0.2 * l0, "the two-input model should learn the task");
}

int main(int argc, char **argv)
{
    Lesson ls;
    if (lesson_begin(&ls, argc, argv, "Lesson 22: merging branches, Concatenate and Add",
                     "Two inputs, (None, 20, 3) and (None, 5): how do their branches join, and "
                     "which shapes must agree?",
                     "the two-input model's summary, Concatenate's values side by side and Add's "
                     "sum element by element, the errors of models that get the shapes wrong, and "
                     "training on two inputs",
                     2))
        return 0;
    SlError e;
    SlScript *s;
    lesson_step(&ls, "17_functional_merge.py: two inputs, two branches, two merges");
    SlModel *m = build(&s, "LSTM(16)", "Dense(16, activation='relu')", "joined", &e);
    if (!m || sl_model_summary(m, 0, stdout, &e) < 0)
        lesson_die(&e);
    printf("\n  The series branch ends in LSTM(16): (None, 16); the facts in Dense(16):\n"
           "  (None, 16). The merges hold no weights (0); Connected to lists their inputs.\n"
           "  Params 1,280 + 96 + 1,056 + 33 = 2,465, the total above.\n");
    expect(sl_model_count_params(m) == 2465, "the header's total is 2,465");

    lesson_step(&ls, "Which shapes must agree");
    printf("  concatenate: %s\n  add:         %s\n\n"
           "  Concatenate joins along one axis, so only that axis may differ; Add works element\n"
           "  by element, so every axis must agree.\n",
           node(m, "concatenate")->why, node(m, "add")->why);

    lesson_step(&ls, "One sample through it: side by side, then element by element");
    static sl_real series[2 * 60], meta[2 * 5], y[2];
    make_data(2, series, meta, y);
    SlTensor x[2] = {sl_tensor(sl_shape_of(3, (int[]){2, 20, 3}), series),
                     sl_tensor(sl_shape_of(2, (int[]){2, 5}), meta)};
    if (sl_model_forward(m, x, 0, &e) < 0)
        lesson_die(&e);
    const sl_real *h = value(m, "lstm"), *md = value(m, "dense"), *j = value(m, "concatenate");
    const sl_real *d1 = value(m, "dense_1"), *sum = value(m, "add");
    double gap = 0;
    int k5 = 0; /* an element where dense_1's relu is not 0, to show a sum of two numbers */
    while (k5 < 31 && d1[k5] == 0)
        k5++;
    printf("  sample 0: h[12..15]      %7.3f %7.3f %7.3f %7.3f   (the LSTM's last h)\n"
           "            m[0..3]        %7.3f %7.3f %7.3f %7.3f   (the facts' Dense)\n"
           "            joined[12..19] %7.3f %7.3f %7.3f %7.3f | %7.3f %7.3f %7.3f %7.3f\n",
           h[12], h[13], h[14], h[15], md[0], md[1], md[2], md[3], j[12], j[13], j[14], j[15],
           j[16], j[17], j[18], j[19]);
    for (int b = 0; b < 2; b++)
        for (int k = 0; k < 32; k++) {
            gap = fmax(gap, fabs(j[b * 32 + k] - (k < 16 ? h[b * 16 + k] : md[b * 16 + k - 16])));
            gap = fmax(gap, fabs(sum[b * 32 + k] - (d1[b * 32 + k] + j[b * 32 + k])));
        }
    printf("  joined is h, then m. add[%d] = dense_1[%d] + joined[%d] = %.3f %c %.3f = %.3f.\n"
           "  Largest difference from those two rules over both samples: %.1g\n",
           k5, k5, k5, d1[k5], j[k5] < 0 ? '-' : '+', fabs(j[k5]), sum[k5], gap);
    expect(gap < 1e-6, "Concatenate places h then m; Add adds");
    lesson_visualize(&ls, m, "shapes", NULL);

    step_wrong_models(&ls, &e);
    step_train(&ls, m, &e);
    sl_script_free(s);

    lesson_step(&ls, "What to remember");
    printf("  - Concatenate(axis=-1): every axis but the joined one must agree; that one adds up\n"
           "    (16 + 16 = 32). axis=1 puts two sequences one after the other.\n"
           "  - Add, Subtract, Multiply, Average, Maximum, Minimum: every axis must agree, or be\n"
           "    1 and repeat. A residual x + f(x) needs f to keep x's shape, or a projection\n"
           "    (Dense, or a 1x1 Conv) on the shortcut.\n"
           "  - Merges have no weights; a model with two inputs takes a list of two arrays.\n");
    return 0;
}
