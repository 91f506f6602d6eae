/* Lesson 23: the way back up: transposed convolution (QUESTIONS.md item 18).
 *
 * A decoder turns small feature maps back into big ones. Conv2DTranspose(1, 3, strides=2,
 * padding='same') turns 8x8 into 16x16: each input cell stamps a copy of the 3x3 kernel, times its
 * value, into the output, 2 cells after its neighbour's stamp, and overlapping stamps add. Those
 * are exactly the numbers a Conv2D's backward pass sends to its input (lesson 20): the gradient
 * spread to the stride, padded, and correlated with the kernel turned around. That is why the
 * transposed layer's kernel is (3, 3, filters, in): Conv2D's layout with the channel axes swapped.
 * The lesson builds 18_conv_transpose.py, stamps a 2x2 input by hand, gets the same numbers from
 * a Conv2D's backward pass and from the three named steps, works out how strides, padding and
 * output_padding set the output size (Keras's rule), and runs the gradient checker.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lesson.h"

static void print_grid(const char *name, const sl_real *v, int rows, int cols)
{
    printf("  %s\n", name);
    for (int r = 0; r < rows; r++) {
        printf("    ");
        for (int c = 0; c < cols; c++)
            printf("%6.1f", (double)v[r * cols + c]);
        printf("\n");
    }
}

static int same(const sl_real *a, const sl_real *b, int n)
{
    for (int i = 0; i < n; i++)
        if (fabs((double)a[i] - (double)b[i]) > 1e-5)
            return 0;
    return 1;
}

/* One layer on (1, n, n, 1); its 3x3 kernel set to K when K is given. */
static SlModel *one_layer(const char *type, const char *args, int n, const sl_real *K, SlError *e)
{
    char shape[48];
    snprintf(shape, sizeof shape, "batch_shape=(1, %d, %d, 1)", n, n);
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    if (!m || sl_model_add(m, sl_layer("InputLayer", shape, e), e) ||
        sl_model_add(m, sl_layer(type, args, e), e) || sl_model_ensure_params(m, e))
        lesson_die(e);
    if (K && sl_tensor_count(&m->params[0]->value) == 9)
        memcpy(m->params[0]->value.data, K, 9 * sizeof *K);
    return m;
}

/* The length Keras gives one axis of n cells (backend_utils.py's rule, written out). */
static int keras_len(int n, int k, int s, const char *padding, int op)
{
    if (!strcmp(padding, "same"))
        return op < 0 ? n * s : (n - 1) * s + k % 2 + op;
    return (n - 1) * s + (op < 0 ? (k > s ? k : s) : k + op);
}

int main(int argc, char **argv)
{
    Lesson ls;
    if (lesson_begin(&ls, argc, argv, "Lesson 23: the way back up, transposed convolution",
                     "How does Conv2DTranspose turn 8x8 into 16x16, and why is it a Conv2D's "
                     "backward pass?",
                     "the kernel's swapped axes, stamps added by hand, the same numbers from a "
                     "Conv2D's input gradient, how strides and output_padding set the size",
                     3))
        return 0;
    SlError e;

    lesson_step(&ls, "18_conv_transpose.py: down with Conv2D, back up with Conv2DTranspose");
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    if (!m ||
        sl_model_add(m,
                     sl_layer("Conv2D",
                              "8, 3, strides=2, padding='same', input_shape=(16, "
                              "16, 1)",
                              &e),
                     &e) ||
        sl_model_add(m, sl_layer("Conv2DTranspose", "1, 3, strides=2, padding='same'", &e), &e) ||
        sl_model_summary(m, 0, stdout, &e) < 0)
        lesson_die(&e);
    char s0[64], s1[64], note[256];
    m->layers[2]->type->note(m->layers[2], note, sizeof note);
    printf("\n  conv2d/kernel           %s  (kh, kw, in, filters)\n"
           "  conv2d_transpose/kernel %s  (kh, kw, filters, in)\n  %s\n",
           sl_shape_str(&m->params[0]->shape, s0, sizeof s0),
           sl_shape_str(&m->params[2]->shape, s1, sizeof s1), note);
    if (sl_model_count_params(m) != 153 || m->params[2]->shape.dim[2] != 1)
        return 1;
    sl_model_free(m);

    lesson_step(&ls, "Each input cell stamps the kernel; overlapping stamps add");
    const sl_real x[4] = {1, 2, 3, 4}, K[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    print_grid("x (2x2)", x, 2, 2);
    print_grid("K (3x3)", K, 3, 3);
    sl_real stamps[25] = {0};
    for (int i = 0; i < 2; i++) /* input cell (i, j) stamps x[i][j] * K at row 2i, col 2j */
        for (int j = 0; j < 2; j++)
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++)
                    stamps[(2 * i + a) * 5 + 2 * j + b] += x[i * 2 + j] * K[a * 3 + b];
    print_grid("the four stamps, 2 cells apart, added (by hand)", stamps, 5, 5);
    SlModel *t = one_layer("Conv2DTranspose", "1, 3, strides=2, use_bias=False", 2, K, &e);
    SlTensor xt = sl_tensor(sl_shape_of(4, (int[]){1, 2, 2, 1}), (sl_real *)x);
    if (sl_model_forward(t, &xt, 0, &e) < 0)
        lesson_die(&e);
    print_grid("Conv2DTranspose(1, 3, strides=2) on x", sl_model_output(t, 0).data, 5, 5);
    printf("  Row 2 and column 2 are where neighbouring stamps overlap: the top row's middle is\n"
           "  1*3 + 2*1 = 5, the centre 1*9 + 2*7 + 3*3 + 4*1 = 36 (a corner of every stamp).\n");
    if (!same(stamps, sl_model_output(t, 0).data, 25))
        return 1;

    lesson_step(&ls, "The same numbers: a Conv2D's backward pass (lesson 20)");
    /* Conv2D(1, 3, strides=2) reads 5x5 and makes 2x2; send x back as its output gradient */
    SlModel *c = one_layer("Conv2D", "1, 3, strides=2, use_bias=False", 5, K, &e);
    sl_real y5[25] = {0};
    SlTensor in5 = sl_tensor(sl_shape_of(4, (int[]){1, 5, 5, 1}), y5);
    if (sl_model_forward(c, &in5, 0, &e) < 0 || sl_model_backward(c, &xt, 0, &e) < 0)
        lesson_die(&e);
    print_grid("Conv2D(1, 3, strides=2): dx when dy = x", sl_model_input_grad(c, 0).data, 5, 5);
    SlConvGeom g = {.B = 1,
                    .H = 5,
                    .W = 5,
                    .CI = 1,
                    .OH = 2,
                    .OW = 2,
                    .CO = 1,
                    .KH = 3,
                    .KW = 3,
                    .sh = 2,
                    .sw = 2,
                    .dh = 1,
                    .dw = 1}; /* that Conv2D, 'valid' */
    sl_real kr[9], sp[9], full[25] = {0};
    sl_rotate180(kr, K, 3, 3, 1, 1);
    sl_spread(sp, x, 1, 2, 2, 1, 2, 2);
    print_grid("spread(x): zeros where the stride skipped", sp, 3, 3);
    sl_full_correlation(full, sp, kr, &g);
    print_grid("rotate180(K): the taps in reverse order", kr, 3, 3);
    printf("  The spread x padded by (3 - 1) * 1 = %d zeros on every side, rotate180(K) slid\n"
           "  over it (the forward loop again):\n",
           sl_conv_input_grad_geom(&g).ph);
    print_grid("the full correlation", full, 5, 5);
    if (!same(full, sl_model_output(t, 0).data, 25) ||
        !same(sl_model_input_grad(c, 0).data, sl_model_output(t, 0).data, 25))
        return 1;
    printf("  Three ways, one result: the transposed layer runs a Conv2D backwards, which is\n"
           "  why its kernel is stored as that Conv2D's, (kh, kw, filters, in).\n");
    sl_model_free(c);

    lesson_step(&ls, "How strides, padding and output_padding set the size");
    static const struct {
        const char *args;
        int k, s, op;
        const char *padding;
    } rows[] = {
        {"1, 3", 3, 1, -1, "valid"},
        {"1, 3, strides=2", 3, 2, -1, "valid"},
        {"1, 3, strides=2, output_padding=1", 3, 2, 1, "valid"},
        {"1, 3, strides=2, padding='same'", 3, 2, -1, "same"},
        {"1, 3, strides=2, padding='same', output_padding=0", 3, 2, 0, "same"},
        {"1, 2, strides=2", 2, 2, -1, "valid"},
        {"1, 1, strides=2", 1, 2, -1, "valid"},
    };
    printf("  on 8x8; 'valid': (n - 1) * s + k + output_padding (None: max(k, s) - k);\n"
           "  'same': n * s, or (n - 1) * s + k %% 2 + output_padding when it is given\n");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        SlModel *r = one_layer("Conv2DTranspose", rows[i].args, 8, NULL, &e);
        SlShape o = sl_model_output_shape(r, 0);
        int want = keras_len(8, rows[i].k, rows[i].s, rows[i].padding, rows[i].op);
        char call[96];
        snprintf(call, sizeof call, "Conv2DTranspose(%s)", rows[i].args);
        printf("  %-68s -> %d x %d (rule: %d)\n", call, o.dim[1], o.dim[2], want);
        if (o.dim[1] != want)
            return 1;
        sl_model_free(r);
    }
    printf("  A stride of 2 can give 17 or 18 ('valid') or 15 or 16 ('same'): output_padding\n"
           "  picks among the sizes that a Conv2D with that stride would shrink back to 8.\n");
    if (sl_layer("Conv2DTranspose", "1, 3, strides=2, output_padding=2", &e))
        return 1;
    lesson_show_error("Conv2DTranspose(1, 3, strides=2, output_padding=2)", &e);

    lesson_step(&ls, "The gradient checker agrees");
    int ok = lesson_gradcheck(t, sl_shape_of(4, (int[]){1, 2, 2, 1}), 23);
    printf("  (float32 keeps about 7 digits; build/f64/lessons/23_transposed_conv gives about\n"
           "  1e-12.) Its backward is a Conv2D's forward: the scatter read the other way.\n");
    lesson_visualize(&ls, t, "transposed-conv", NULL);
    sl_model_free(t);
    if (!ok)
        return 1;

    lesson_step(&ls, "What to remember");
    printf(
        "  - Conv2DTranspose stamps the kernel once per input cell, strides apart; overlaps add.\n"
        "  - Its forward pass is a Conv2D's input gradient, its kernel (kh, kw, filters, in).\n"
        "  - 'same' gives n * strides; output_padding (below strides) picks another size.\n"
        "  - UpSampling2D then a Conv2D is the other way up: repeat cells, then convolve.\n");
    return 0;
}
