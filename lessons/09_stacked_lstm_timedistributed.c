/* Lesson 09: TimeDistributed(Dense) after stacked LSTMs (QUESTIONS.md items 8 and 9).
 *
 * The model of ../shared/models/09_timedistributed.py:
 *     LSTM(32, return_sequences=True, input_shape=(100, 5)) -> LSTM(32, return_sequences=True)
 *     -> TimeDistributed(Dense(5)) -> Activation('softmax')
 * 4,864 + 8,320 + 165 + 0 = 13,349 parameters. TimeDistributed's Dense holds one kernel (32, 5)
 * and one bias (5,): 165 numbers shared by all 100 steps. The lesson applies that kernel by hand
 * at step 0 and at step 99 and gets the engine's outputs, then swaps in a plain Dense(5), which on
 * 3-D input does the same thing with the same weights.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lesson.h"

enum { B = 2, T = 100, F = 5, U = 32 };
static sl_real x[B * T * F];

/* The model of item 9; with td = 0 the Dense is added without the wrapper. */
static SlModel *build(int td, SlError *e)
{
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    if (!m ||
        sl_model_add(m, sl_layer("LSTM", "32, return_sequences=True, input_shape=(100, 5)", e), e) <
            0 ||
        sl_model_add(m, sl_layer("LSTM", "32, return_sequences=True", e), e) < 0)
        goto fail;
    SlLayer *dense = sl_layer("Dense", "5", e), *top = dense;
    if (td && dense) {
        SlArgs a;
        sl_args_init(&a);
        top = sl_layer_wrap("TimeDistributed", dense, &a, e);
        if (!top)
            sl_layer_free(dense);
    }
    if (sl_model_add(m, top, e) < 0 ||
        sl_model_add(m, sl_layer("Activation", "'softmax'", e), e) < 0 ||
        sl_model_init_params(m, 9, e) < 0)
        goto fail;
    return m;
fail:
    sl_model_free(m);
    return NULL;
}

/* The model's first wrapper call (its TimeDistributed). */
static const SlNode *first_wrapper(const SlModel *m)
{
    for (int n = 0; n < m->n_nodes; n++)
        if (sl_layer_is(m->nodes[n].layer, SL_KIND_WRAPPER))
            return &m->nodes[n];
    return NULL;
}

/* Dense's kernel applied by hand at step t of sample b to the second LSTM's output; the largest
 * difference from what the engine's Dense wrote at that step. */
static double by_hand(const SlModel *m, const SlNode *nd, const sl_real *W, const sl_real *bias,
                      int b, int t, int show)
{
    const sl_real *h = m->t[nd->in[0]].val + ((size_t)b * T + t) * U;
    const sl_real *y = m->t[nd->out[0]].val + ((size_t)b * T + t) * F;
    double worst = 0;
    if (show)
        printf("  sample %d, step %2d:  by hand", b, t);
    for (int j = 0; j < F; j++) {
        double s = bias[j];
        for (int i = 0; i < U; i++)
            s += (double)h[i] * W[i * F + j];
        worst = fmax(worst, fabs(s - y[j]));
        if (show)
            printf(" %7.4f", s);
    }
    if (show) {
        printf("\n  %27s", "engine");
        for (int j = 0; j < F; j++)
            printf(" %7.4f", (double)y[j]);
        printf("\n");
    }
    return worst;
}

int main(int argc, char **argv)
{
    Lesson ls;
    if (lesson_begin(&ls, argc, argv, "Lesson 09: stacked LSTMs and TimeDistributed(Dense)",
                     "How does TimeDistributed(Dense(5)) turn (None, 100, 32) into (None, 100, 5), "
                     "and with how many weights?",
                     "the summary's 13,349 params, the Dense's 165 weights applied by hand at "
                     "step 0 and step 99, and a plain Dense doing the same",
                     2))
        return 0;
    SlError e;
    SlRng r = sl_rng(9);
    for (int i = 0; i < B * T * F; i++)
        x[i] = (sl_real)sl_rng_range(&r, -1, 1);

    lesson_step(&ls, "The model of item 9");
    SlModel *m = build(1, &e);
    if (!m || sl_model_summary(m, 0, stdout, &e) < 0)
        lesson_die(&e);
    size_t l1 = 4 * (U * (F + U) + U), l2 = 4 * (U * (U + U) + U), d = U * F + F;
    printf("\n  4*(32*(5+32)+32) + 4*(32*(32+32)+32) + (32*5+5) + 0 = %zu + %zu + %zu = %zu\n", l1,
           l2, d, l1 + l2 + d);
    lesson_expect(l1 + l2 + d == 13349 && sl_model_count_params(m) == 13349,
                  "the model does not have 13,349 params");
    printf("  The second LSTM hands on h at all 100 steps, (None, 100, 32); TimeDistributed\n"
           "  runs its Dense on each of those 100 vectors of 32: (None, 100, 5).\n");

    lesson_step(&ls, "165 weights, shared by all 100 steps");
    for (int i = 0; i < m->n_params; i++) {
        char s[48];
        printf("  %-44s %s\n", m->param_names[i], sl_shape_str(&m->params[i]->shape, s, sizeof s));
    }
    int k = sl_model_find_param(m, "time_distributed/dense/kernel");
    int bk = sl_model_find_param(m, "time_distributed/dense/bias");
    lesson_expect(k >= 0 && bk >= 0,
                  "TimeDistributed's Dense weights are not named as Keras names them");
    const sl_real *W = m->params[k]->value.data, *bias = m->params[bk]->value.data;
    printf("\n  One kernel (32, 5) and one bias (5,): 32*5 + 5 = 165. No axis of 100 anywhere:\n"
           "  the wrapper does not make 100 Dense layers, it reuses one.\n");

    lesson_step(&ls, "The same kernel at step 0 and at step 99");
    SlTensor in = sl_tensor(sl_shape_of(3, (int[]){B, T, F}), x);
    if (sl_model_forward(m, &in, 0, &e) < 0)
        lesson_die(&e);
    const SlNode *td = first_wrapper(m);
    lesson_expect(td != NULL, "no TimeDistributed call in the model");
    printf("  y[b, t] = h2[b, t] . kernel + bias, before the softmax:\n\n");
    double worst = 0;
    worst = fmax(worst, by_hand(m, td, W, bias, 0, 0, 1));
    worst = fmax(worst, by_hand(m, td, W, bias, 0, 99, 1));
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            worst = fmax(worst, by_hand(m, td, W, bias, b, t, 0));
    printf("\n  The same two lines of arithmetic at every one of the %d x %d steps: the largest\n"
           "  difference from the engine is %.1e.\n",
           B, T, worst);
    lesson_expect(worst < 1e-4, "TimeDistributed(Dense) differs from the kernel applied by hand");
    lesson_visualize(&ls, m, "timedistributed", NULL);

    lesson_step(&ls, "A plain Dense(5) on 3-D input does the same");
    SlModel *plain = build(0, &e);
    SlTensor w[16];
    int n = sl_model_get_weights(m, w, 16, &e);
    /* both on the same batch (a scene shown above ran its own batch through m) */
    if (!plain || n < 0 || sl_model_set_weights(plain, w, n, &e) < 0 ||
        sl_model_forward(plain, &in, 0, &e) < 0 || sl_model_forward(m, &in, 0, &e) < 0)
        lesson_die(&e);
    SlTensor y1 = sl_model_output(m, 0), y2 = sl_model_output(plain, 0);
    double diff = 0;
    for (size_t i = 0; i < sl_tensor_count(&y1); i++)
        diff = fmax(diff, fabs((double)y1.data[i] - (double)y2.data[i]));
    char s[48];
    printf("  LSTM, LSTM, Dense(5), softmax: output %s, %zu params.\n"
           "  With the TimeDistributed model's weights, its outputs differ by %.1e.\n\n"
           "  Dense works on the last axis and keeps the others, so on (None, 100, 32) it is\n"
           "  already applied at every step. TimeDistributed matters for layers that would\n"
           "  otherwise see the time axis (Conv1D on 4-D input, Flatten, a whole model).\n",
           sl_shape_str(&y2.shape, s, sizeof s), sl_model_count_params(plain), diff);
    lesson_expect(sl_model_count_params(plain) == 13349 && diff < 1e-6,
                  "plain Dense and TimeDistributed(Dense) disagree");
    sl_model_free(plain);
    sl_model_free(m);

    lesson_step(&ls, "What to remember");
    printf("  - return_sequences=True keeps the time axis: (None, 100, 32).\n"
           "  - TimeDistributed(Dense(5)) applies ONE Dense (165 weights) at every step.\n"
           "  - Dense on 3-D input does the same; the params do not grow with the steps.\n");
    return 0;
}
