/* Lesson 08: return_sequences and return_state (QUESTIONS.md item 3).
 *
 * The functional model of ../shared/models/03_return_state.py, built in C:
 *     seq_in = Input(shape=(2, 3))
 *     all_h, last_h, last_c = LSTM(1, return_sequences=True, return_state=True)(seq_in)
 *     model = Model(inputs=seq_in, outputs=[all_h, last_h, last_c])
 * For one input it prints the three outputs and checks what they are: all_h holds h after each
 * of the 2 steps, its last step IS last_h, and last_c is the cell state, a different number
 * (h = o * tanh(c), so |h| < |tanh(c)|). Then the four combinations of the two flags, with the
 * shapes the engine infers for each.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lesson.h"

static sl_real x[2 * 3] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f};

/* Input(shape=(2, 3)) -> the recurrent layer, every output of the call an output of the model. */
static SlModel *functional(const char *type, const char *args, SlError *e)
{
    sl_clear_session();
    SlModel *m = sl_model_new(NULL);
    int outs[SL_MAX_IO];
    int in = m ? sl_model_input(m, sl_layer("Input", "shape=(2, 3)", e), e) : -1;
    if (in < 0 || sl_model_call(m, sl_layer(type, args, e), 1, &in, outs, e) < 0 ||
        sl_model_set_io(m, 1, &in, m->nodes[m->n_nodes - 1].sym.n_out, outs, e) < 0 ||
        sl_model_init_params(m, 3, e) < 0) {
        sl_model_free(m);
        return NULL;
    }
    return m;
}

static void step_three_outputs(Lesson *ls, SlError *e)
{
    lesson_step(ls, "LSTM(1, return_sequences=True, return_state=True): three outputs");
    SlModel *m = functional("LSTM", "1, return_sequences=True, return_state=True", e);
    if (!m || sl_model_summary(m, 110, stdout, e) < 0)
        lesson_die(e);
    lesson_expect(m->n_outputs == 3 && sl_model_count_params(m) == 20,
                  "the model should have 3 outputs and 4*(1*(3+1)+1) = 20 params");
    printf("\n  One call, three tensors: all_h, last_h, last_c. Params 4*(1*(3+1)+1) = %zu.\n",
           sl_model_count_params(m));

    lesson_step(ls, "The three outputs for one input");
    SlTensor in = sl_tensor(sl_shape_of(3, (int[]){1, 2, 3}), x);
    if (sl_model_forward(m, &in, 0, e) < 0)
        lesson_die(e);
    lesson_print_tensor("x: 2 timesteps of 3 features", &in, 2);
    SlTensor all_h = sl_model_output(m, 0), h = sl_model_output(m, 1), c = sl_model_output(m, 2);
    printf("\n");
    lesson_print_tensor("all_h: h after each step", &all_h, 2);
    lesson_print_tensor("last_h: h after the last step", &h, 1);
    lesson_print_tensor("last_c: the cell state after the last step", &c, 1);
    double hv = h.data[0], cv = c.data[0], last = all_h.data[1];
    printf("\n  all_h[:, -1] = %.6f and last_h = %.6f: the same number (h of step 2).\n"
           "  last_c = %.6f is not h: the LSTM keeps two vectors. c is its memory; h is\n"
           "  what it shows, h = o * tanh(c) with the output gate o between 0 and 1, so\n"
           "  |h| = %.4f < |tanh(c)| = %.4f.\n",
           last, hv, cv, fabs(hv), fabs(tanh(cv)));
    lesson_expect(last == hv, "the last step of all_h is not last_h");
    lesson_expect(cv != hv && fabs(hv) < fabs(tanh(cv)) && hv * cv > 0, "c does not relate to h");
    lesson_visualize(ls, m, "lstm", NULL);
    sl_model_free(m);
}

static void step_flags(Lesson *ls, SlError *e)
{
    lesson_step(ls, "The two flags, four combinations");
    static const struct {
        const char *type, *args, *want;
    } cases[] = {
        {"LSTM", "1", "(None, 1)"},
        {"LSTM", "1, return_sequences=True", "(None, 2, 1)"},
        {"LSTM", "1, return_state=True", "(None, 1) (None, 1) (None, 1)"},
        {"LSTM", "1, return_sequences=True, return_state=True", "(None, 2, 1) (None, 1) (None, 1)"},
        {"GRU", "1, return_sequences=True, return_state=True", "(None, 2, 1) (None, 1)"},
    };
    printf("  %-50s %s\n", "layer on Input(shape=(2, 3))", "outputs");
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        SlModel *m = functional(cases[k].type, cases[k].args, e);
        if (!m)
            lesson_die(e);
        char got[160] = "", s[48], call[96];
        for (int o = 0; o < m->n_outputs; o++) {
            SlShape sh = sl_model_output_shape(m, o);
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", o ? " " : "",
                     sl_shape_str(&sh, s, sizeof s));
        }
        snprintf(call, sizeof call, "%s(%s)", cases[k].type, cases[k].args);
        printf("  %-50s %s\n", call, got);
        lesson_expect(!strcmp(got, cases[k].want), "an output shape differs from Keras's");
        if (m->n_outputs == 3 && m->t[m->outputs[0]].shape.rank == 2) { /* y and h: the same */
            SlTensor in = sl_tensor(sl_shape_of(3, (int[]){1, 2, 3}), x);
            if (sl_model_forward(m, &in, 0, e) < 0)
                lesson_die(e);
            lesson_expect(sl_model_output(m, 0).data[0] == sl_model_output(m, 1).data[0],
                          "with return_state alone, output 0 is not the last h");
        }
        sl_model_free(m);
    }
    printf("\n  return_sequences: (batch, steps, units), h at EVERY step, instead of (batch,\n"
           "  units), h at the last step only. return_state: also the final states, each\n"
           "  (batch, units): h and c for an LSTM, h alone for a GRU or SimpleRNN. With\n"
           "  return_state=True and no return_sequences, the first two outputs hold the same\n"
           "  numbers: the last h, twice.\n");
}

int main(int argc, char **argv)
{
    Lesson ls;
    if (lesson_begin(&ls, argc, argv, "Lesson 08: return_sequences and return_state",
                     "What do return_sequences=True and return_state=True give back?",
                     "the three outputs of one LSTM call, the last h found in the sequence, c "
                     "next to h, and the shapes of every combination",
                     2))
        return 0;
    SlError e;
    step_three_outputs(&ls, &e);
    step_flags(&ls, &e);
    lesson_step(&ls, "What to remember");
    printf(
        "  - return_sequences=True: (batch, steps, units); needed to stack another RNN.\n"
        "  - return_state=True adds [h, c] (LSTM) or [h] (GRU, SimpleRNN), each (batch, units).\n"
        "  - The last step of the sequence output is the final h; c is a second vector.\n"
        "  - Final states are what an encoder hands to a decoder as initial_state.\n");
    return 0;
}
