/* Lesson 07: what `units` means in LSTM(4, ...) (QUESTIONS.md item 2).
 *
 * units is the size of the hidden state h and of the cell state c: the width of every output
 * vector. It is not the number of timesteps. One cell, with one set of weights, is used again at
 * every step, so LSTM(4) on sequences of 3, 10 or 50 steps has the same 4*(4*(3+4)+4) = 128
 * parameters and the same output shape (None, 4). The lesson checks the formula
 * 4*(units*(in+units)+units) against the engine's count for several sizes (LSTM(32) on 5
 * features: 4,864), and prints h after each step of one sample: 10 steps, 4 numbers each.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lesson.h"

static SlModel *one_lstm(const char *args, SlError *e)
{
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    if (!m || sl_model_add(m, sl_layer("LSTM", args, e), e) < 0 ||
        sl_model_init_params(m, 7, e) < 0) {
        sl_model_free(m);
        return NULL;
    }
    return m;
}

static size_t lstm_formula(size_t units, size_t in)
{
    return 4 * (units * (in + units) + units);
}

static void step_timesteps(Lesson *ls, SlError *e)
{
    lesson_step(ls, "LSTM(4) on 3 features, for 3, 10 and 50 timesteps");
    static const int steps[] = {3, 10, 50};
    printf("  %-34s %-12s %s\n", "layer", "output", "params");
    for (int k = 0; k < 3; k++) {
        char args[64], s[64], call[80];
        snprintf(args, sizeof args, "4, input_shape=(%d, 3)", steps[k]);
        snprintf(call, sizeof call, "LSTM(%s)", args);
        SlModel *m = one_lstm(args, e);
        if (!m)
            lesson_die(e);
        SlShape out = sl_model_output_shape(m, 0);
        printf("  %-34s %-12s %zu\n", call, sl_shape_str(&out, s, sizeof s),
               sl_model_count_params(m));
        lesson_expect(sl_model_count_params(m) == lstm_formula(4, 3) && !strcmp(s, "(None, 4)"),
                      "the count or the shape depends on the timesteps");
        if (k == 0) {
            printf("    weights:");
            for (int i = 0; i < m->n_params; i++)
                printf(" %s %s", m->param_names[i] + strlen("lstm/"),
                       sl_shape_str(&m->params[i]->shape, s, sizeof s));
            printf("\n");
        }
        sl_model_free(m);
    }
    printf("\n  Nothing in the weights has a timesteps axis: kernel (3, 16) maps the 3 features\n"
           "  of ONE step to the 4 gates x 4 units, recurrent_kernel (4, 16) maps the previous\n"
           "  h (4 units) to the same gates. The cell runs once per step with these weights,\n"
           "  3 times or 50 times. 4*(4*(3+4)+4) = %zu every time, output (None, 4): h after\n"
           "  the last step.\n",
           lstm_formula(4, 3));
}

static void step_formula(Lesson *ls, SlError *e)
{
    lesson_step(ls, "The formula 4*(units*(in+units)+units) against the engine");
    static const int sizes[][2] = {{4, 3}, {32, 5}, {64, 1}, {1, 3}, {32, 16}, {128, 300}};
    printf("  %-26s %-38s %-8s %s\n", "layer", "the engine's formula", "by hand", "counted");
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int u = sizes[i][0], in = sizes[i][1];
        char args[64], name[40], f[96];
        snprintf(args, sizeof args, "%d, input_shape=(7, %d)", u, in);
        SlModel *m = one_lstm(args, e);
        if (!m)
            lesson_die(e);
        SlLayer *l = m->nodes[m->n_nodes - 1].layer;
        l->type->formula(l, f, sizeof f);
        snprintf(name, sizeof name, "LSTM(%d) on %d feature%s", u, in, in == 1 ? "" : "s");
        size_t want = lstm_formula((size_t)u, (size_t)in);
        printf("  %-26s %-38s %-8zu %zu\n", name, f, want, sl_model_count_params(m));
        lesson_expect(sl_model_count_params(m) == want,
                      "the engine's count differs from the formula");
        lesson_expect(u != 32 || in != 5 || want == 4864, "LSTM(32) on 5 features is not 4,864");
        sl_model_free(m);
    }
    printf("\n  Read it as 4 gates (i, f, c, o), each a small Dense on [x, h']: in + units\n"
           "  inputs, units outputs, plus a bias of units. LSTM(32) on 5 features: 4,864.\n");
}

static void step_h_over_time(Lesson *ls, SlError *e)
{
    lesson_step(ls, "h after each step of one sample: units across, timesteps down");
    enum { T = 10, F = 3, U = 4 };
    SlModel *last = one_lstm("4, input_shape=(10, 3)", e);
    SlModel *all = one_lstm("4, input_shape=(10, 3), return_sequences=True", e);
    if (!last || !all)
        lesson_die(e);
    SlTensor w[3]; /* the same weights in both models: get_weights / set_weights */
    int n = sl_model_get_weights(last, w, 3, e);
    if (n < 0 || sl_model_set_weights(all, w, n, e) < 0)
        lesson_die(e);
    sl_real x[T * F];
    for (int t = 0; t < T; t++) /* a slow wave on 3 features */
        for (int f = 0; f < F; f++)
            x[t * F + f] = (sl_real)sin(0.6 * t + f);
    SlTensor in = sl_tensor(sl_shape_of(3, (int[]){1, T, F}), x);
    if (sl_model_forward(all, &in, 0, e) < 0 || sl_model_forward(last, &in, 0, e) < 0)
        lesson_die(e);
    SlTensor hs = sl_model_output(all, 0), h = sl_model_output(last, 0);
    lesson_print_tensor("x: one sample, 10 timesteps x 3 features", &in, T);
    printf("\n");
    lesson_print_tensor("h after each step (return_sequences=True): 10 steps x 4 units", &hs, T);
    printf("\n");
    lesson_print_tensor("the layer's output without return_sequences", &h, 1);
    double worst = 0;
    for (int j = 0; j < U; j++)
        worst = fmax(worst, fabs((double)h.data[j] - (double)hs.data[(T - 1) * U + j]));
    printf("\n  Each row is one h: 4 numbers, because units = 4. There are 10 rows because the\n"
           "  sample has 10 timesteps. The plain LSTM(4) returns only the last row (largest\n"
           "  difference from row 10: %.1e).\n",
           worst);
    lesson_expect(worst < 1e-6, "the last h differs from the last row of the sequence");
    lesson_visualize(ls, last, "lstm", NULL);
    sl_model_free(all);
    sl_model_free(last);
}

int main(int argc, char **argv)
{
    Lesson ls;
    if (lesson_begin(&ls, argc, argv, "Lesson 07: an LSTM's units and parameters",
                     "What does units mean in LSTM(4, ...)? Is it the number of timesteps?",
                     "the same 128 parameters for 3, 10 and 50 timesteps, the formula against the "
                     "engine's count, and h step by step",
                     1))
        return 0;
    SlError e;
    step_timesteps(&ls, &e);
    step_formula(&ls, &e);
    step_h_over_time(&ls, &e);
    lesson_step(&ls, "What to remember");
    printf("  - units = the size of h and c = the width of each output vector.\n"
           "  - The timesteps come from the data; the same cell runs at every step.\n"
           "  - LSTM params = 4*(units*(in+units)+units), whatever the number of timesteps.\n");
    return 0;
}
