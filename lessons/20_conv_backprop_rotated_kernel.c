/* Lesson 20: backprop through a convolution (QUESTIONS.md item 13).
 *
 * Keras's Conv1D computes a correlation: the kernel slides without being flipped. Its backward
 * pass needs no new loop: the kernel gradient is the input correlated with the output gradient,
 * and the input gradient is a full correlation of the output gradient with the kernel rotated by
 * 180 degrees (with a stride, the gradient is first spread back to the stride's spacing). The
 * lesson works 13_conv_backprop.py's layer with docs/conv-backprop.md's numbers, calls the three
 * named steps (rotate180, spread, the full correlation) itself, compares with the engine's
 * backward, does the same with a stride of 2, and runs the gradient checker.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson.h"

static void print_row(const char *name, const sl_real *v, int n)
{
    printf("  %-34s [", name);
    for (int i = 0; i < n; i++)
        printf("%s%g", i ? ", " : "", (double)v[i]);
    printf("]\n");
}

static int same(const sl_real *a, const sl_real *b, int n)
{
    for (int i = 0; i < n; i++)
        if (fabs((double)a[i] - (double)b[i]) > 1e-5)
            return 0;
    return 1;
}

/* Conv1D(1, 3, ...) on (1, T, 1) with kernel K and bias b; forward x, backward dy. */
static SlModel *layer(const char *args, int T, const sl_real *K, sl_real b, const sl_real *x,
                      const sl_real *dy, SlError *e)
{
    char shape[48];
    snprintf(shape, sizeof shape, "batch_shape=(1, %d, 1)", T);
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    if (!m || sl_model_add(m, sl_layer("InputLayer", shape, e), e) ||
        sl_model_add(m, sl_layer("Conv1D", args, e), e) || sl_model_ensure_params(m, e))
        lesson_die(e);
    memcpy(m->params[0]->value.data, K, 3 * sizeof *K);
    m->params[1]->value.data[0] = b;
    SlTensor in = sl_tensor(sl_shape_of(3, (int[]){1, T, 1}), (sl_real *)x);
    if (sl_model_forward(m, &in, 0, e) < 0)
        lesson_die(e);
    SlTensor out = sl_model_output(m, 0);
    SlTensor g = sl_tensor(out.shape, (sl_real *)dy);
    if (sl_model_backward(m, &g, 0, e) < 0)
        lesson_die(e);
    return m;
}

int main(int argc, char **argv)
{
    Lesson ls;
    if (lesson_begin(&ls, argc, argv, "Lesson 20: backprop through a convolution",
                     "How does the gradient go back through a convolution layer?",
                     "correlation vs convolution, the kernel rotated by 180 degrees, the full "
                     "correlation that gives dx, dK as x correlated with dy, and a gradient check",
                     3))
        return 0;
    SlError e;
    const sl_real x[6] = {1, 2, 0, -1, 3, 1}, K[3] = {1, 0, -2}, dy[4] = {1, -1, 2, 0.5};

    lesson_step(&ls, "Correlation (what Keras computes) vs convolution");
    sl_real corr[4], conv[4];
    for (int o = 0; o < 4; o++) {
        corr[o] = conv[o] = 0;
        for (int t = 0; t < 3; t++) {
            corr[o] += x[o + t] * K[t];     /* the kernel as it is */
            conv[o] += x[o + t] * K[2 - t]; /* the kernel flipped */
        }
    }
    print_row("x", x, 6);
    print_row("K", K, 3);
    print_row("correlation  sum_t x[o+t] K[t]", corr, 4);
    print_row("convolution  sum_t x[o+t] K[2-t]", conv, 4);
    SlModel *m = layer("1, 3", 6, K, 0, x, dy, &e);
    print_row("Conv1D(1, 3) with this kernel", sl_model_output(m, 0).data, 4);
    printf("  Keras's Conv1D is the correlation. Convolving is correlating with the kernel\n"
           "  turned around, which is why the rotation shows up going backwards.\n");
    if (!same(sl_model_output(m, 0).data, corr, 4))
        return 1;
    sl_model_free(m);

    lesson_step(&ls, "13_conv_backprop.py's layer, backwards, in three named steps");
    m = layer("1, 3", 6, K, (sl_real)0.5, x, dy, &e);
    print_row("y = correlate(x, K) + 0.5", sl_model_output(m, 0).data, 4);
    print_row("dy (from the loss)", dy, 4);
    SlConvGeom g = sl_conv1d_geom(1, 6, 1, 1, 3, 1, 1, SL_PAD_VALID); /* x (1, 6, 1), K (3, 1, 1) */
    sl_real kr[3], sp[4], dx[6] = {0}, dK[3] = {0};
    sl_rotate180(kr, K, 1, 3, 1, 1);
    print_row("1. rotate180(K)", kr, 3);
    sl_spread(sp, dy, 1, 1, 4, 1, 1, 1);
    print_row("2. spread(dy) (stride 1: itself)", sp, 4);
    sl_full_correlation(dx, sp, kr, &g);
    printf("  3. full correlation: pad dy with %d zeros each side, slide rotate180(K) over it\n",
           sl_conv_input_grad_geom(&g).pw);
    print_row("   dx", dx, 6);
    print_row("   the engine's dx", sl_model_input_grad(m, 0).data, 6);
    sl_correlate_kernel_grad(dK, x, dy, &g);
    print_row("dK = correlate(x, dy)", dK, 3);
    print_row("the engine's dK", m->params[0]->grad.data, 3);
    printf("  db = sum(dy) = %g (engine %g)\n", 1 - 1 + 2 + 0.5,
           (double)m->params[1]->grad.data[0]);
    if (!same(dx, sl_model_input_grad(m, 0).data, 6) || !same(dK, m->params[0]->grad.data, 3))
        return 1;

    lesson_step(&ls, "With strides=2: spread the gradient first");
    const sl_real x7[7] = {1, 2, 0, -1, 3, 1, 2}, dy3[3] = {1, -1, 2};
    SlModel *m2 = layer("1, 3, strides=2", 7, K, 0, x7, dy3, &e);
    SlConvGeom g2 = g;
    g2.W = 7, g2.OW = 3, g2.sw = 2;
    sl_real sp2[5], dx2[7] = {0};
    sl_spread(sp2, dy3, 1, 1, 3, 1, 1, 2);
    print_row("dy", dy3, 3);
    print_row("spread(dy): zeros where windows skipped", sp2, 5);
    sl_full_correlation(dx2, sp2, kr, &g2);
    print_row("full correlation with rotate180(K)", dx2, 7);
    print_row("the engine's dx", sl_model_input_grad(m2, 0).data, 7);
    printf("  Windows start at steps 0, 2, 4: steps 2 and 4 are read by two windows and gather\n"
           "  both shares; odd steps meet only the middle tap, which is 0 in this kernel.\n");
    if (!same(dx2, sl_model_input_grad(m2, 0).data, 7))
        return 1;
    sl_model_free(m2);

    lesson_step(&ls, "The gradient checker agrees");
    int ok = lesson_gradcheck(m, sl_shape_of(3, (int[]){1, 6, 1}), 20);
    printf("  (In double, build/f64/lessons/20_conv_backprop_rotated_kernel, the errors are\n"
           "  near 1e-12; in float32 near 1e-4: float32 keeps about 7 digits.)\n");
    lesson_visualize(&ls, m, "conv-backprop", NULL);
    sl_model_free(m);
    if (!ok)
        return 1;
    lesson_step(&ls, "What to remember");
    printf("  - Forward: y = correlate(x, K); Keras never flips the kernel.\n"
           "  - dK = correlate(x, dy): the input against the output gradient.\n"
           "  - dx = full correlation(spread(dy), rotate180(K)): the forward loop again.\n");
    return 0;
}
