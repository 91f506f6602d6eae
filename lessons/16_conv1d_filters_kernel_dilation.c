/* Lesson 16: Conv1D's filters, kernel_size and dilation_rate (QUESTIONS.md item 10).
 *
 * filters is to Conv1D what units is to Dense: the length of each output vector. kernel_size is
 * how many steps one output joins, and dilation_rate how far apart they are: one layer spans
 * 1 + (kernel_size - 1) * dilation_rate steps and reads kernel_size of them. A WaveNet stack of
 * dilations 1, 2, 4, 8 with kernel 3 spans 3, 5, 9 and 17 steps per layer and 31 in all, every one
 * of which feeds the last output, and with causal padding no output
 * sees a step after its own. The lesson computes one output by hand, prints the receptive-field
 * table from the model's layers, and proves causality by changing the future.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lesson.h"

enum { T = 40 };

static SlModel *stack(const char *const *layers, int n, SlError *e)
{
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    for (int i = 0; i < n; i++)
        if (!m || sl_model_add(m, sl_layer(i == 0 ? "InputLayer" : "Conv1D", layers[i], e), e)) {
            sl_model_free(m);
            return NULL;
        }
    if (sl_model_init_params(m, 5, e) < 0) {
        sl_model_free(m);
        return NULL;
    }
    return m;
}

static void step_filters(Lesson *ls, SlError *e)
{
    lesson_step(ls, "filters vs units: Conv1D(16, 3) and Dense(16) on (None, 2)");
    const char *L[] = {"shape=(None, 2)", "16, 3"};
    SlModel *m = stack(L, 2, e);
    if (!m || sl_model_summary(m, 0, stdout, e) < 0)
        lesson_die(e);
    char f[96];
    m->nodes[1].layer->type->formula(m->nodes[1].layer, f, sizeof f);
    printf("\n  kernel %s: (kernel_size, in, filters); parameters %s.\n"
           "  Dense(16) on the same input has 2*16 + 16 = 48: it joins the 2 features of ONE\n"
           "  step. Conv1D joins the features of 3 neighbouring steps, so its kernel is 3 times\n"
           "  as deep. Both make 16 numbers per step: filters plays the part of units.\n",
           sl_shape_str(&m->params[0]->shape, (char[64]){0}, 64), f);
    /* one output by hand: step 5, filter 0, 'valid' padding */
    sl_real x[10 * 2];
    for (int i = 0; i < 20; i++)
        x[i] = (sl_real)sin(0.7 * i);
    SlTensor in = sl_tensor(sl_shape_of(3, (int[]){1, 10, 2}), x);
    if (sl_model_forward(m, &in, 0, e) < 0)
        lesson_die(e);
    const sl_real *K = m->params[0]->value.data, *y = sl_model_output(m, 0).data;
    double s = 0;
    printf("\n  Output step 5, filter 0 = sum over taps t and channels c of x[5 + t][c] "
           "K[t][c][0]:\n");
    for (int t = 0; t < 3; t++)
        for (int c = 0; c < 2; c++) {
            s += (double)x[(5 + t) * 2 + c] * (double)K[(t * 2 + c) * 16];
            printf("    x[%d][%d] * K[%d][%d][0] = %7.4f * %7.4f\n", 5 + t, c, t, c,
                   (double)x[(5 + t) * 2 + c], (double)K[(t * 2 + c) * 16]);
        }
    printf("  = %.5f (bias 0); the engine says %.5f. The kernel is not flipped: Keras's\n"
           "  'convolution' is a correlation (lesson 20).\n",
           s, (double)y[5 * 16]);
    lesson_expect(fabs(s - (double)y[5 * 16]) <= 1e-5, "the engine differs from the sum by hand");
    sl_model_free(m);
}

static SlModel *wavenet(SlError *e)
{
    const char *L[] = {"shape=(None, 2)",
                       "16, 3, padding='causal', dilation_rate=1, activation='relu'",
                       "16, 3, padding='causal', dilation_rate=2, activation='relu'",
                       "16, 3, padding='causal', dilation_rate=4, activation='relu'",
                       "16, 3, padding='causal', dilation_rate=8, activation='relu'"};
    return stack(L, 5, e);
}

static void step_table(Lesson *ls, SlError *e)
{
    lesson_step(ls, "The receptive field of dilations 1, 2, 4, 8 with kernel 3");
    SlModel *m = wavenet(e);
    SlReceptive r;
    if (!m || sl_receptive_field(m, &r, e) < 0)
        lesson_die(e);
    char buf[2048];
    sl_receptive_format(m, &r, buf, sizeof buf);
    printf("%s\n", buf);
    static const int want[4] = {3, 5, 9, 17};
    for (int i = 0; i < 4; i++)
        lesson_expect(r.span[i] == want[i] && r.total == 31, "the receptive fields differ");
    printf("\n  Per layer 3, 5, 9, 17 steps; the stack 1 + 2 * (1 + 2 + 4 + 8) = 31. Doubling the\n"
           "  dilation doubles the reach for the same 784 weights a layer: that is why WaveNet\n"
           "  stacks them. A stride or a pooling layer below would multiply the reach above it.\n");
    sl_model_free(m);
}

static void step_causal(Lesson *ls, SlError *e)
{
    lesson_step(ls, "The stack's lookback, and causality checked by changing the future");
    SlModel *m = wavenet(e);
    SlReceptive r;
    if (!m || sl_receptive_field(m, &r, e) < 0)
        lesson_die(e);
    int len[SL_RF_MAX + 1], t = 35, first = -1, n = 0;
    unsigned char lit[(SL_RF_MAX + 1) * T];
    sl_receptive_lengths(&r, T, len);
    sl_receptive_light(&r, len, t, lit);
    printf("  Input steps that feed output step %d (of %d), '#':\n  ", t, T);
    for (int i = 0; i < T; i++) {
        putchar(lit[i] ? '#' : '.');
        n += lit[i];
        first = lit[i] && first < 0 ? i : first;
    }
    printf("\n  %d steps, %d..%d: the stack looks back %d steps. Causal padding put (k - 1) * d\n"
           "  zeros on the LEFT of each layer, so the field ends at step %d itself.\n",
           n, first, t, n - 1, t);
    lesson_expect(n == 31, "the causal stack does not see 31 steps");
    sl_real x[T * 2], y0[T * 16];
    for (int i = 0; i < T * 2; i++)
        x[i] = (sl_real)cos(0.3 * i);
    SlTensor in = sl_tensor(sl_shape_of(3, (int[]){1, T, 2}), x);
    if (sl_model_forward(m, &in, 0, e) < 0)
        lesson_die(e);
    memcpy(y0, sl_model_output(m, 0).data, sizeof y0);
    for (int i = (t + 1) * 2; i < T * 2; i++) /* change every step after t */
        x[i] = 5;
    if (sl_model_forward(m, &in, 0, e) < 0)
        lesson_die(e);
    const sl_real *y1 = sl_model_output(m, 0).data;
    int same = 1;
    for (int i = 0; i <= t * 16 + 15; i++)
        same &= y0[i] == y1[i];
    printf("\n  Steps %d..%d of the input set to 5: outputs 0..%d %s.\n", t + 1, T - 1, t,
           same ? "did not change at all" : "CHANGED");
    lesson_visualize(ls, m, "receptive-field", NULL);
    sl_model_free(m);
    lesson_expect(same, "a change after step t reached an output up to t");
}

int main(int argc, char **argv)
{
    Lesson ls;
    if (lesson_begin(&ls, argc, argv, "Lesson 16: Conv1D filters, kernel_size, dilation_rate",
                     "What do filters, kernel_size and dilation_rate do, and how far back does a "
                     "WaveNet stack see?",
                     "one output by hand, the receptive-field table 3, 5, 9, 17 -> 31, and the "
                     "future changed without the past noticing",
                     2))
        return 0;
    SlError e;
    step_filters(&ls, &e);
    step_table(&ls, &e);
    step_causal(&ls, &e);
    lesson_step(&ls, "What to remember");
    printf("  - Conv1D(filters, k): kernel (k, in, filters), k*in*filters + filters weights;\n"
           "    filters is the output's last axis, like Dense's units.\n"
           "  - One layer spans 1 + (k - 1) * d steps and reads k of them; a stack spans\n"
           "    1 + sum((k - 1) * d), with no gaps while each layer's taps are at most the\n"
           "    reach below it apart.\n"
           "  - padding='causal' pads on the left only: no output sees the future.\n");
    return 0;
}
