/* Lesson 19: how deep is a Conv2D kernel? (QUESTIONS.md item 12)
 *
 * After Conv2D(32, (5, 5)) on 28x28x1 images and 2x2 max pooling, the data is (14, 14, 32). The
 * next Conv2D(64, (5, 5)) does not use 5x5 kernels: each of its 64 kernels is 5 x 5 x 32, as deep
 * as its input has channels, so its weight is (5, 5, 32, 64) and it has 5*5*32*64 + 64 = 51,264
 * parameters. Each output channel sums over all 32 input channels. The lesson builds
 * 12_conv2d_channels.py, computes one output value by hand through all 32 channels, and shows
 * that changing one input channel moves every output channel.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson.h"

static SlModel *build(SlError *e)
{
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    if (!m ||
        sl_model_add(m,
                     sl_layer("Conv2D",
                              "32, kernel_size=(5, 5), padding='same', input_shape=(28, 28, 1)", e),
                     e) ||
        sl_model_add(m, sl_layer("MaxPooling2D", "pool_size=(2, 2), strides=(2, 2)", e), e) ||
        sl_model_add(m, sl_layer("Conv2D", "64, kernel_size=(5, 5), padding='same'", e), e) ||
        sl_model_init_params(m, 12, e)) {
        sl_model_free(m);
        return NULL;
    }
    return m;
}

int main(int argc, char **argv)
{
    Lesson ls;
    if (lesson_begin(&ls, argc, argv, "Lesson 19: Conv2D and its channels",
                     "After 32 filters and pooling, is the next Conv2D's kernel 5x5, or 5x5x32?",
                     "the summary and kernel shapes, one output summed by hand over all 32 input "
                     "channels, and one input channel changing every output channel",
                     2))
        return 0;
    SlError e;
    lesson_step(&ls, "12_conv2d_channels.py: the summary and the kernels' shapes");
    SlModel *m = build(&e);
    if (!m || sl_model_summary(m, 0, stdout, &e) < 0)
        lesson_die(&e);
    char s0[64], s1[64], f[96];
    m->layers[3]->type->formula(m->layers[3], f, sizeof f);
    printf("\n  conv2d/kernel   %s  (kh, kw, in, filters)\n  conv2d_1/kernel %s\n"
           "  conv2d_1: %s. 64 kernels, each 5 x 5 x 32.\n",
           sl_shape_str(&m->params[0]->shape, s0, sizeof s0),
           sl_shape_str(&m->params[2]->shape, s1, sizeof s1), f);
    if (m->params[2]->shape.dim[2] != 32 || sl_model_count_params(m) != 52096)
        return 1;

    lesson_step(&ls, "One output of conv2d_1, summed by hand over all 32 channels");
    static sl_real x[28 * 28];
    for (int i = 0; i < 28 * 28; i++)
        x[i] = (sl_real)sin(0.05 * i) * (sl_real)cos(0.11 * i);
    SlTensor in = sl_tensor(sl_shape_of(4, (int[]){1, 28, 28, 1}), x);
    if (sl_model_forward(m, &in, 0, &e) < 0)
        lesson_die(&e);
    /* conv2d_1's input is the pooled (14, 14, 32); 'same' with kernel 5: 2 rows of zeros above */
    const SlNode *nd = &m->nodes[3];
    const sl_real *p = m->t[nd->in[0]].val, *K = m->params[2]->value.data;
    int oh = 6, ow = 9, fo = 5;
    double sum = m->params[3]->value.data[fo], per[32] = {0};
    for (int a = 0; a < 5; a++)
        for (int b = 0; b < 5; b++) {
            int ih = oh - 2 + a, iw = ow - 2 + b;
            if (ih < 0 || ih >= 14 || iw < 0 || iw >= 14)
                continue;
            for (int ci = 0; ci < 32; ci++) {
                double v = (double)p[(ih * 14 + iw) * 32 + ci] *
                           (double)K[((a * 5 + b) * 32 + ci) * 64 + fo];
                per[ci] += v;
                sum += v;
            }
        }
    double engine = sl_model_output(m, 0).data[(oh * 14 + ow) * 64 + fo];
    printf("  output (row %d, col %d, channel %d) = bias + sum over 5 x 5 taps and 32 channels.\n"
           "  The 25 taps' share from each input channel:\n   ",
           oh, ow, fo);
    for (int ci = 0; ci < 32; ci++)
        printf(" %+.3f%s", per[ci], ci % 8 == 7 ? "\n   " : "");
    printf(" total with bias %.5f; the engine says %.5f.\n", sum, engine);
    if (fabs(sum - engine) > 1e-4)
        return 1;

    lesson_step(&ls, "Change one input channel: every output channel moves");
    static sl_real y0[14 * 14 * 64];
    memcpy(y0, sl_model_output(m, 0).data, sizeof y0);
    sl_real *pm =
        m->t[nd->in[0]].val; /* nudge channel 7 of the pooled input, then rerun conv2d_1 */
    for (int i = 0; i < 14 * 14; i++)
        pm[i * 32 + 7] += 1;
    SlModel *last = NULL;
    sl_clear_session();
    last = sl_sequential(NULL);
    if (!last ||
        sl_model_add(last,
                     sl_layer("Conv2D",
                              "64, kernel_size=(5, 5), padding='same', input_shape=(14, 14, 32)",
                              &e),
                     &e) ||
        sl_model_ensure_params(last, &e))
        lesson_die(&e);
    memcpy(last->params[0]->value.data, K, 5 * 5 * 32 * 64 * sizeof *K);
    memcpy(last->params[1]->value.data, m->params[3]->value.data, 64 * sizeof *K);
    SlTensor pin = sl_tensor(sl_shape_of(4, (int[]){1, 14, 14, 32}), pm);
    if (sl_model_forward(last, &pin, 0, &e) < 0)
        lesson_die(&e);
    const sl_real *y1 = sl_model_output(last, 0).data;
    int moved = 0;
    for (int co = 0; co < 64; co++) {
        double d = 0;
        for (int i = 0; i < 14 * 14; i++)
            d += fabs((double)y1[i * 64 + co] - (double)y0[i * 64 + co]);
        moved += d > 1e-6;
    }
    printf("  Input channel 7 raised by 1 everywhere: %d of 64 output channels changed.\n"
           "  Each kernel reaches through every input channel, so no output channel belongs to\n"
           "  one input channel.\n",
           moved);
    sl_model_free(last);
    lesson_visualize(&ls, m, "conv2d", NULL);
    sl_model_free(m);
    if (moved != 64)
        return 1;
    lesson_step(&ls, "What to remember");
    printf("  - A Conv2D kernel is (kh, kw, in, filters): as deep as the input's channels.\n"
           "  - Parameters kh*kw*in*filters + filters: 5*5*32*64 + 64 = 51,264.\n"
           "  - Each output channel is one kernel's sum over all input channels.\n");
    return 0;
}
