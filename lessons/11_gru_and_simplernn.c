/* Lesson 11: GRU and SimpleRNN, the other two cells.
 *
 * The same questions as lessons 06-08, asked of the other cells: same input (batch, timesteps,
 * features), same outputs (units wide), fewer gates. SimpleRNN has one block: h = tanh(x W + h' U
 * + b), units*(in+units) + units params. GRU has three (z, r, h): 3*(units*(in+units) + units),
 * plus one more bias per block with reset_after=True (Keras 3's default): GRU(32) on 5 features
 * has 3,744 params, 3,648 with reset_after=False; SimpleRNN(32) has 1,216; LSTM(32) 4,864. Every
 * count is the engine's, checked against the formula, and one step of each cell is worked by hand
 * with the engine's weights.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lesson.h"

static SlModel *one(const char *type, const char *args, SlError *e)
{
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    if (!m || sl_model_add(m, sl_layer(type, args, e), e) < 0 ||
        sl_model_init_params(m, 11, e) < 0) {
        sl_model_free(m);
        return NULL;
    }
    /* biases start at zero; move every weight a little so the bias rows show in the sums */
    SlRng r = sl_rng(11);
    for (int i = 0; i < m->n_params; i++)
        for (size_t j = 0; j < sl_shape_count(&m->params[i]->shape); j++)
            m->params[i]->value.data[j] += (sl_real)sl_rng_range(&r, -0.2, 0.2);
    return m;
}

static void step_counts(Lesson *ls, SlError *e)
{
    lesson_step(ls, "Three cells, 32 units, 5 features: the counts");
    static const struct {
        const char *type, *args, *hand;
        size_t want;
    } c[] = {
        {"SimpleRNN", "32, input_shape=(10, 5)", "32*(5+32) + 32", 32 * (5 + 32) + 32},
        {"GRU", "32, input_shape=(10, 5)", "3*(32*(5+32) + 2*32)", 3 * (32 * (5 + 32) + 2 * 32)},
        {"GRU", "32, input_shape=(10, 5), reset_after=False", "3*(32*(5+32) + 32)",
         3 * (32 * (5 + 32) + 32)},
        {"LSTM", "32, input_shape=(10, 5)", "4*(32*(5+32) + 32)", 4 * (32 * (5 + 32) + 32)},
    };
    static const size_t keras[] = {1216, 3744, 3648, 4864};
    printf("  %-48s %-11s %-22s %-7s %s\n", "layer", "output", "by hand", "", "engine");
    for (int k = 0; k < 4; k++) {
        SlModel *m = one(c[k].type, c[k].args, e);
        if (!m)
            lesson_die(e);
        char call[96], s[32];
        SlShape out = sl_model_output_shape(m, 0);
        snprintf(call, sizeof call, "%s(%s)", c[k].type, c[k].args);
        printf("  %-48s %-11s %-22s %-7zu %zu\n", call, sl_shape_str(&out, s, sizeof s), c[k].hand,
               c[k].want, sl_model_count_params(m));
        lesson_expect(c[k].want == keras[k] && sl_model_count_params(m) == keras[k],
                      "a count differs from Keras's");
        lesson_expect(!strcmp(s, "(None, 32)"), "the output is not (None, 32)");
        for (int i = 0; i < m->n_params; i++)
            printf("      %-46s %s\n", m->param_names[i],
                   sl_shape_str(&m->params[i]->shape, s, sizeof s));
        sl_model_free(m);
    }
    printf("\n  Each gate block is a small Dense on [x, h']: units*(in+units) weights and a bias\n"
           "  of units. SimpleRNN has 1 block, GRU 3 (z, r, h), LSTM 4 (i, f, c, o). GRU with\n"
           "  reset_after=True (Keras 3) keeps two bias rows, bias (2, 96): one added to x W,\n"
           "  one to h' U, so the reset gate can scale h' U + b_h; Keras 2.2 and older built\n"
           "  GRUs with reset_after=False and one bias (96,): 3,648 instead of 3,744.\n");
}

static void step_simple_by_hand(Lesson *ls, SlError *e)
{
    lesson_step(ls, "SimpleRNN(2): two steps by hand");
    SlModel *m = one("SimpleRNN", "2, input_shape=(2, 3), return_sequences=True", e);
    if (!m)
        lesson_die(e);
    const sl_real *W = m->params[0]->value.data, *U = m->params[1]->value.data;
    const sl_real *b = m->params[2]->value.data;
    sl_real x[6] = {0.5f, -1.0f, 0.25f, 1.0f, 0.0f, -0.5f};
    SlTensor in = sl_tensor(sl_shape_of(3, (int[]){1, 2, 3}), x);
    if (sl_model_forward(m, &in, 0, e) < 0)
        lesson_die(e);
    SlTensor y = sl_model_output(m, 0);
    double h[2] = {0, 0}, worst = 0;
    printf("  h_t = tanh(x_t W + h_{t-1} U + b), h_0 = 0:\n");
    for (int t = 0; t < 2; t++) {
        double hn[2];
        for (int j = 0; j < 2; j++) {
            double s = b[j];
            for (int i = 0; i < 3; i++)
                s += x[t * 3 + i] * W[i * 2 + j];
            for (int i = 0; i < 2; i++)
                s += h[i] * U[i * 2 + j];
            hn[j] = tanh(s);
            worst = fmax(worst, fabs(hn[j] - y.data[t * 2 + j]));
        }
        printf("    step %d: by hand [%8.5f %8.5f]   engine [%8.5f %8.5f]\n", t + 1, hn[0], hn[1],
               (double)y.data[t * 2], (double)y.data[t * 2 + 1]);
        h[0] = hn[0], h[1] = hn[1];
    }
    printf("  Largest difference %.1e. h is the only state: return_state adds just [h].\n", worst);
    lesson_expect(worst < 1e-5, "SimpleRNN differs from the hand computation");
    sl_model_free(m);
}

static double sigmoid(double v)
{
    return 1 / (1 + exp(-v));
}

static void step_gru_by_hand(Lesson *ls, SlError *e)
{
    lesson_step(ls, "GRU(2): one step by hand, gates z, r, h side by side");
    enum { u = 2, Gu = 6 };
    sl_real x[3] = {0.5f, -1.0f, 0.25f}, h0[u] = {0.3f, -0.6f};
    for (int after = 1; after >= 0; after--) {
        SlModel *m = sl_model_new(NULL);
        int ids[2], out;
        sl_clear_session();
        ids[0] = sl_model_input(m, sl_layer("Input", "shape=(1, 3)", e), e);
        ids[1] = sl_model_input(m, sl_layer("Input", "shape=(2,)", e), e);
        SlLayer *g = sl_layer("GRU", after ? "2" : "2, reset_after=False", e);
        if (ids[0] < 0 || ids[1] < 0 || sl_model_call(m, g, 2, ids, &out, e) < 0 ||
            sl_model_set_io(m, 2, ids, 1, &out, e) < 0 || sl_model_init_params(m, 11, e) < 0)
            lesson_die(e);
        SlRng rng = sl_rng(12);
        for (int i = 0; i < m->n_params; i++)
            for (size_t j = 0; j < sl_shape_count(&m->params[i]->shape); j++)
                m->params[i]->value.data[j] += (sl_real)sl_rng_range(&rng, -0.2, 0.2);
        const sl_real *W = m->params[0]->value.data, *U = m->params[1]->value.data;
        const sl_real *bx = m->params[2]->value.data, *bh = after ? bx + Gu : NULL;
        SlTensor in[2] = {sl_tensor(sl_shape_of(3, (int[]){1, 1, 3}), x),
                          sl_tensor(sl_shape_of(2, (int[]){1, u}), h0)};
        if (sl_model_forward(m, in, 0, e) < 0)
            lesson_die(e);
        SlTensor y = sl_model_output(m, 0);
        double worst = 0, xs[3][u], hs[3][u], z[u], r[u];
        printf("  reset_after=%s, initial_state h' = [0.3, -0.6]:\n", after ? "True" : "False");
        for (int k = 0; k < 3; k++) /* blocks z, r, h: x W + b_x and h' U (+ b_h) */
            for (int j = 0; j < u; j++) {
                int col = k * u + j;
                xs[k][j] = bx[col], hs[k][j] = bh ? bh[col] : 0;
                for (int i = 0; i < 3; i++)
                    xs[k][j] += x[i] * W[i * Gu + col];
                for (int i = 0; i < u; i++)
                    hs[k][j] += h0[i] * U[i * Gu + col];
            }
        for (int j = 0; j < u; j++)
            z[j] = sigmoid(xs[0][j] + hs[0][j]), r[j] = sigmoid(xs[1][j] + hs[1][j]);
        for (int j = 0; j < u; j++) {
            double n = xs[2][j];
            if (after) /* r scales h' U_h + b_h */
                n += r[j] * hs[2][j];
            else /* r scales h' before U_h: (r * h') U_h */
                for (int i = 0; i < u; i++)
                    n += r[i] * h0[i] * U[i * Gu + 2 * u + j];
            n = tanh(n);
            double h = z[j] * h0[j] + (1 - z[j]) * n;
            worst = fmax(worst, fabs(h - y.data[j]));
            printf(
                "    unit %d: z %.4f  r %.4f  n %.4f  h = z h' + (1-z) n = %8.5f  engine %8.5f\n",
                j, z[j], r[j], n, h, (double)y.data[j]);
        }
        lesson_expect(worst < 1e-5, "GRU differs from the hand computation");
        sl_model_free(m);
    }
    printf("\n  z (update) blends the old h with the candidate n; r (reset) decides how much of\n"
           "  the old h the candidate sees. Kernel columns 0-1 are z, 2-3 r, 4-5 h: Keras's\n"
           "  order. (PyTorch's GRU orders them r, z, n.)\n");
}

int main(int argc, char **argv)
{
    Lesson ls;
    if (lesson_begin(&ls, argc, argv, "Lesson 11: GRU and SimpleRNN",
                     "What about GRU and SimpleRNN: same shapes? How many parameters, and why two "
                     "counts for a GRU?",
                     "the counts 1,216, 3,744 and 3,648 against their formulas, the weight shapes, "
                     "and one step of each cell worked by hand",
                     2))
        return 0;
    SlError e;
    step_counts(&ls, &e);
    step_simple_by_hand(&ls, &e);
    step_gru_by_hand(&ls, &e);
    SlModel *m = one("GRU", "32, input_shape=(10, 5)", &e);
    if (!m)
        lesson_die(&e);
    lesson_visualize(&ls, m, "lstm", NULL);
    sl_model_free(m);
    lesson_step(&ls, "What to remember");
    printf("  - Same input (batch, timesteps, features) and outputs as LSTM; units = size of h.\n"
           "  - SimpleRNN: units*(in+units)+units; GRU: 3*(units*(in+units)+2*units) in Keras 3\n"
           "    (reset_after=True), 3*(units*(in+units)+units) with reset_after=False.\n"
           "  - GRU and SimpleRNN have no c: return_state gives [output, h].\n");
    return 0;
}
