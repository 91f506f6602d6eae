/* bench_conv.c: the speed of convolution training steps, measured here and never in a timed test.
 *   1. Conv2D(64, 5, padding='same') on a (32, 14, 14, 32) batch (12_conv2d_channels.py's second
 *      layer), forward and backward;
 *   2. a causal dilated Conv1D(32, 3, dilation_rate=4) on (32, 1000, 32), forward and backward;
 *   3. the input gradient alone, two ways: the rotated kernel run through the forward's loop
 *      (sl_conv_input_grad, whose innermost loop is an axpy) against the textbook gather, whose
 *      innermost loop is a dot product over the output channels.
 *   make bench
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sl.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static sl_real *random_buf(size_t n, SlRng *r)
{
    sl_real *p = malloc(n * sizeof *p);
    for (size_t i = 0; p && i < n; i++)
        p[i] = (sl_real)sl_rng_range(r, -1, 1);
    return p;
}

/* Best time of a forward + backward step of a one-layer model. */
static double step_time(const char *type, const char *args, SlShape s, double *macs)
{
    SlError e;
    char shape[96];
    snprintf(shape, sizeof shape, "batch_shape=(%d, %d, %d%s", s.dim[0], s.dim[1], s.dim[2],
             s.rank == 3 ? ")" : "");
    if (s.rank == 4)
        snprintf(shape, sizeof shape, "batch_shape=(%d, %d, %d, %d)", s.dim[0], s.dim[1], s.dim[2],
                 s.dim[3]);
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    if (sl_model_add(m, sl_layer("InputLayer", shape, &e), &e) ||
        sl_model_add(m, sl_layer(type, args, &e), &e) || sl_model_init_params(m, 1, &e)) {
        fprintf(stderr, "bench: %s\n", e.msg);
        exit(1);
    }
    SlRng r = sl_rng(2);
    SlShape os = sl_model_output_shape(m, 0);
    os.dim[0] = s.dim[0];
    sl_real *x = random_buf(sl_shape_count(&s), &r), *dy = random_buf(sl_shape_count(&os), &r);
    SlTensor in = sl_tensor(s, x), g = sl_tensor(os, dy);
    double best = 1e9;
    for (int k = 0; k < 5; k++) {
        double t0 = now();
        if (sl_model_forward(m, &in, 1, &e) || sl_model_backward(m, &g, 1, &e)) {
            fprintf(stderr, "bench: %s\n", e.msg);
            exit(1);
        }
        best = now() - t0 < best ? now() - t0 : best;
    }
    const SlShape *ks = &m->params[0]->shape;
    /* forward: every output value takes kernel taps * in multiply-adds; backward: twice */
    *macs = 3.0 * (double)sl_shape_count(&os) * (double)sl_shape_count(ks) / ks->dim[ks->rank - 1];
    free(x), free(dy);
    sl_model_free(m);
    return best;
}

/* The textbook input gradient: for each input cell, gather dy over the taps that read it (a dot
 * product over the output channels, innermost). */
static void input_grad_gather(sl_real *dx, const sl_real *dy, const sl_real *K, const SlConvGeom *g)
{
    for (int b = 0; b < g->B; b++)
        for (int ih = 0; ih < g->H; ih++)
            for (int iw = 0; iw < g->W; iw++)
                for (int ci = 0; ci < g->CI; ci++) {
                    sl_real s = 0;
                    for (int kh = 0; kh < g->KH; kh++) {
                        int oh = ih + g->ph - kh * g->dh;
                        if (oh < 0 || oh % g->sh || oh / g->sh >= g->OH)
                            continue;
                        for (int kw = 0; kw < g->KW; kw++) {
                            int ow = iw + g->pw - kw * g->dw;
                            if (ow < 0 || ow % g->sw || ow / g->sw >= g->OW)
                                continue;
                            const sl_real *go =
                                dy +
                                (((size_t)b * g->OH + oh / g->sh) * g->OW + ow / g->sw) * g->CO;
                            const sl_real *k = K + (((size_t)kh * g->KW + kw) * g->CI + ci) * g->CO;
                            for (int co = 0; co < g->CO; co++)
                                s += go[co] * k[co];
                        }
                    }
                    dx[(((size_t)b * g->H + ih) * g->W + iw) * g->CI + ci] += s;
                }
}

int main(void)
{
    double macs, t;
    t = step_time("Conv2D", "64, 5, padding='same'", sl_shape_of(4, (int[]){32, 14, 14, 32}),
                  &macs);
    printf("conv2d training step (%s), batch 32, (14, 14, 32) -> Conv2D(64, 5, same): %.1f ms, "
           "%.2f GMAC/s\n",
           SL_REAL_NAME, t * 1e3, macs / t * 1e-9);
    t = step_time("Conv1D", "32, 3, padding='causal', dilation_rate=4",
                  sl_shape_of(3, (int[]){32, 1000, 32}), &macs);
    printf("conv1d training step (%s), batch 32, (1000, 32) -> Conv1D(32, 3, causal, d=4): %.1f "
           "ms, %.2f GMAC/s\n",
           SL_REAL_NAME, t * 1e3, macs / t * 1e-9);

    SlConvGeom g = {.B = 32,
                    .H = 14,
                    .W = 14,
                    .CI = 32,
                    .OH = 14,
                    .OW = 14,
                    .CO = 64,
                    .KH = 5,
                    .KW = 5,
                    .sh = 1,
                    .sw = 1,
                    .dh = 1,
                    .dw = 1,
                    .ph = 2,
                    .pw = 2};
    SlRng r = sl_rng(3);
    size_t nx = (size_t)32 * 14 * 14 * 32, ny = (size_t)32 * 14 * 14 * 64, nk = 25 * 32 * 64;
    sl_real *dy = random_buf(ny, &r), *K = random_buf(nk, &r), *dx1 = calloc(nx, sizeof *dx1),
            *dx2 = calloc(nx, sizeof *dx2), *kr = malloc(nk * sizeof *kr),
            *sp = malloc(sl_spread_count(&g) * sizeof *sp);
    double best1 = 1e9, best2 = 1e9;
    for (int k = 0; k < 5; k++) {
        memset(dx1, 0, nx * sizeof *dx1), memset(dx2, 0, nx * sizeof *dx2);
        double t0 = now();
        sl_conv_input_grad(dx1, kr, sp, dy, K, &g);
        double t1 = now();
        input_grad_gather(dx2, dy, K, &g);
        double t2 = now();
        best1 = t1 - t0 < best1 ? t1 - t0 : best1;
        best2 = t2 - t1 < best2 ? t2 - t1 : best2;
    }
    double worst = 0;
    for (size_t i = 0; i < nx; i++) {
        double d = (double)dx1[i] - (double)dx2[i];
        worst = d > worst ? d : -d > worst ? -d : worst;
    }
    printf("input gradient of that Conv2D: rotate180 + full correlation %.1f ms, textbook gather "
           "%.1f ms (%.1fx); they differ by at most %.1e\n",
           best1 * 1e3, best2 * 1e3, best2 / best1, worst);
    free(dy), free(K), free(dx1), free(dx2), free(kr), free(sp);
    return 0;
}
