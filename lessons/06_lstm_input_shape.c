/* Lesson 06: an LSTM wants (batch, timesteps, features) (QUESTIONS.md item 1).
 *
 * Data arrives as (N, 31): 31 integer-coded characters per sample. LSTM(64, input_shape=(31, 1))
 * refuses it with an error that names the fix; the same numbers viewed as (N, 31, 1) (31 timesteps
 * of one feature) run, and the summary of ../shared/models/01_lstm_input_shape.py reads 16,896 +
 * 1,950 = 18,846. An Embedding(30, 8) in front is the other way in: it reads the codes as they
 * are. The batch axis stays None through every layer, and the stacked model of the question
 * (01_stacked_lstm.py) has 23,242 parameters. Every figure printed is the engine's, checked
 * against the formula.
 */
#include <stdio.h>
#include <string.h>

#include "lesson.h"

enum { N = 6, T = 31, CHARS = 30 };
static sl_real codes[N * T];

/* A Sequential model from (type, args) pairs; NULL-terminated. */
static SlModel *chain(const char *const *layers, SlError *e)
{
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    for (int k = 0; m && layers[k]; k += 2)
        if (sl_model_add(m, sl_layer(layers[k], layers[k + 1], e), e) < 0) {
            sl_model_free(m);
            return NULL;
        }
    if (m && sl_model_init_params(m, 6, e) < 0) {
        sl_model_free(m);
        return NULL;
    }
    return m;
}

/* Each layer's output shape and parameters, checked against what the lesson expects. */
static void check_layers(const SlModel *m, const char *const *shapes, const size_t *params)
{
    int k = 0;
    for (int n = 0; n < m->n_nodes; n++) {
        const SlLayer *l = m->nodes[n].layer;
        if (sl_layer_is(l, SL_KIND_INPUT))
            continue;
        char s[96];
        sl_shape_str(&m->t[m->nodes[n].out[0]].shape, s, sizeof s);
        size_t p = sl_layer_count_params(l);
        printf("    %-10s %-14s %6zu params   (expected %s, %zu)\n", l->name, s, p, shapes[k],
               params[k]);
        lesson_expect(!strcmp(s, shapes[k]) && p == params[k], "a layer's shape or count differs");
        k++;
    }
}

static size_t lstm_params(size_t units, size_t in)
{
    return 4 * (units * (in + units) + units);
}

int main(int argc, char **argv)
{
    Lesson ls;
    if (lesson_begin(&ls, argc, argv, "Lesson 06: an LSTM's input shape",
                     "My data is (N, 31); why does LSTM(64, input_shape=(31, 1)) refuse it?",
                     "the engine's error and its fix, the reshape to (N, 31, 1), the summary "
                     "16,896 + 1,950 = 18,846, Embedding as the other way in, a stacked model",
                     1))
        return 0;
    SlError e;
    SlRng r = sl_rng(31);
    for (int i = 0; i < N * T; i++)
        codes[i] = (sl_real)(int)(sl_rng_uniform(&r) * CHARS); /* characters coded 0..29 */

    lesson_step(&ls, "The data: N samples of 31 character codes");
    SlTensor flat = sl_tensor(sl_shape_of(2, (int[]){N, T}), codes);
    lesson_print_tensor("x (first 10 of 31 codes per sample)", &flat, 3);
    printf("\n  Two axes: (samples, 31). An LSTM reads a SEQUENCE OF VECTORS per sample:\n"
           "  (samples, timesteps, features). Here each timestep is one character, so the\n"
           "  31 characters are 31 timesteps; the features axis is missing.\n");

    lesson_step(&ls, "LSTM(64, input_shape=(31, 1)) refuses (N, 31)");
    static const char *const model01[] = {"LSTM", "64, input_shape=(31, 1)", "Dense",
                                          "30, activation='softmax'", NULL};
    SlModel *m = chain(model01, &e);
    if (!m)
        lesson_die(&e);
    lesson_expect(sl_model_forward(m, &flat, 0, &e) < 0,
                  "the model accepted (6, 31); it should not");
    lesson_show_error("model.predict(x) with x of shape (6, 31):", &e);
    lesson_expect(strstr(e.msg, "(6, 31)") != NULL,
                  "the error does not name the shape that arrived");
    static const char *const wrong[] = {"LSTM", "64, input_shape=(31,)", NULL};
    lesson_expect(chain(wrong, &e) == NULL, "LSTM(64, input_shape=(31,)) was accepted");
    printf("\n");
    lesson_show_error("And the other way round, LSTM(64, input_shape=(31,)):", &e);
    lesson_expect(strstr(e.msg, "(N, 31, 1)") != NULL, "the LSTM's error does not give the fix");

    lesson_step(&ls, "Reshaped to (N, 31, 1), it runs");
    SlTensor seq = sl_tensor(sl_shape_of(3, (int[]){N, T, 1}), codes);
    printf("  x.reshape(-1, 31, 1) moves no number: the same %d values, one more axis of\n"
           "  size 1. Now each timestep is a vector of one feature.\n\n",
           N * T);
    if (sl_model_summary(m, 0, stdout, &e) < 0)
        lesson_die(&e);
    size_t p_lstm = lstm_params(64, 1), p_dense = 64 * CHARS + CHARS;
    printf("\n  LSTM:  4*(64*(1+64)+64) = %zu   (4 gates, each a kernel (1, 64), a recurrent\n"
           "         kernel (64, 64) and a bias of 64)\n"
           "  Dense: 64*30+30         = %zu\n"
           "  Total: %zu; the engine counts %zu.\n",
           p_lstm, p_dense, p_lstm + p_dense, sl_model_count_params(m));
    lesson_expect(p_lstm == 16896 && p_dense == 1950 && sl_model_count_params(m) == 18846,
                  "the summary's total is not 18,846");
    if (sl_model_forward(m, &seq, 0, &e) < 0)
        lesson_die(&e);
    SlTensor y = sl_model_output(m, 0);
    printf("\n");
    lesson_print_tensor("the output: 30 probabilities per sample", &y, 3);
    for (int b = 0; b < N; b++) {
        double sum = 0;
        for (int k = 0; k < CHARS; k++)
            sum += y.data[b * CHARS + k];
        lesson_expect(sum > 0.999 && sum < 1.001, "a softmax row does not sum to 1");
    }
    printf("  (each row sums to 1: a guess at the next character)\n");
    lesson_visualize(&ls, m, "lstm", NULL);

    lesson_step(&ls, "The batch axis is None and never changes");
    static const char *const s01[] = {"(None, 64)", "(None, 30)"};
    static const size_t n01[] = {16896, 1950};
    printf("  The model as built:\n");
    check_layers(m, s01, n01);
    SlTensor two = sl_tensor(sl_shape_of(3, (int[]){2, T, 1}), codes);
    if (sl_model_forward(m, &two, 0, &e) < 0)
        lesson_die(&e);
    SlTensor y2 = sl_model_output(m, 0);
    char s[64];
    printf("\n  6 samples in gave (6, 30) out; 2 samples in give %s out.\n"
           "  input_shape=(31, 1) describes ONE sample; N is whatever you feed, here 6, in the\n"
           "  question 1,085,420.\n",
           sl_shape_str(&y2.shape, s, sizeof s));
    lesson_expect(y2.shape.dim[0] == 2, "the batch axis changed");
    sl_model_free(m);

    lesson_step(&ls, "The other way in: Embedding(30, 8) reads the codes as they are");
    static const char *const emb[] = {
        "InputLayer", "shape=(31,)", "Embedding", "30, 8",
        "LSTM",       "64",          "Dense",     "30, activation='softmax'",
        NULL};
    m = chain(emb, &e);
    if (!m)
        lesson_die(&e);
    if (sl_model_summary(m, 0, stdout, &e) < 0 || sl_model_forward(m, &flat, 0, &e) < 0)
        lesson_die(&e);
    static const char *const se[] = {"(None, 31, 8)", "(None, 64)", "(None, 30)"};
    size_t ne[] = {30 * 8, lstm_params(64, 8), p_dense};
    printf("\n");
    check_layers(m, se, ne);
    printf("\n  Embedding looks each code up in a (30, 8) table: (N, 31) in, (N, 31, 8) out.\n"
           "  Character 7 becomes row 7, a vector the model learns, instead of the number 7,\n"
           "  which would claim that character 7 sits between 6 and 8. The LSTM now reads 8\n"
           "  features per step: 4*(64*(8+64)+64) = %zu. (N, 31) went in with no reshape.\n",
           ne[1]);
    sl_model_free(m);

    lesson_step(&ls, "Stacked LSTMs: return_sequences hands on the whole sequence");
    static const char *const stack[] = {"LSTM",  "32, return_sequences=True, input_shape=(8, 16)",
                                        "LSTM",  "32, return_sequences=True",
                                        "LSTM",  "32",
                                        "Dense", "10, activation='softmax'",
                                        NULL};
    m = chain(stack, &e);
    if (!m || sl_model_summary(m, 0, stdout, &e) < 0)
        lesson_die(&e);
    static const char *const ss[] = {"(None, 8, 32)", "(None, 8, 32)", "(None, 32)", "(None, 10)"};
    size_t ns[] = {lstm_params(32, 16), lstm_params(32, 32), lstm_params(32, 32), 32 * 10 + 10};
    printf("\n");
    check_layers(m, ss, ns);
    printf("\n  Total %zu (the question says 23,242). The first two LSTMs return h at each of\n"
           "  the 8 steps, (None, 8, 32), so the next LSTM gets a sequence of 32 features; the\n"
           "  third returns only its last h, (None, 32), for Dense.\n",
           sl_model_count_params(m));
    lesson_expect(sl_model_count_params(m) == 23242,
                  "the stacked model does not have 23,242 params");
    sl_model_free(m);

    lesson_step(&ls, "What to remember");
    printf("  - An LSTM's input is (batch, timesteps, features); input_shape leaves out batch.\n"
           "  - 31 numbers per sample as 31 timesteps: reshape (N, 31) to (N, 31, 1).\n"
           "  - Integer codes are better read by an Embedding: (N, 31) -> (N, 31, dim).\n"
           "  - None is the number of samples; no layer changes it.\n");
    return 0;
}
