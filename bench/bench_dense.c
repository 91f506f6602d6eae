/* bench_dense.c: the speed of a training step through Dense layers, measured here and never in a
 * timed test. Prints the time per step and the rate of multiply-adds for a (256, 512) batch through
 * Dense(512, relu) -> Dense(512, relu) -> Dense(10), forward and backward.
 *   make bench
 */
#include <stdio.h>
#include <time.h>

#include "sl.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(void)
{
    enum { B = 256, F = 512, H = 512, O = 10, STEPS = 20 };
    SlError e;
    SlModel *m = sl_sequential(NULL);
    if (sl_model_add(m, sl_layer("Dense", "512, activation='relu', input_shape=(512,)", &e), &e) ||
        sl_model_add(m, sl_layer("Dense", "512, activation='relu'", &e), &e) ||
        sl_model_add(m, sl_layer("Dense", "10", &e), &e) || sl_model_init_params(m, 1, &e)) {
        fprintf(stderr, "bench: %s\n", e.msg);
        return 1;
    }
    static sl_real x[B * F], dy[B * O];
    SlRng r = sl_rng(1);
    for (int i = 0; i < B * F; i++)
        x[i] = (sl_real)sl_rng_range(&r, -1, 1);
    for (int i = 0; i < B * O; i++)
        dy[i] = (sl_real)sl_rng_range(&r, -1, 1);
    SlTensor in = sl_tensor(sl_shape_of(2, (int[]){B, F}), x);
    SlTensor g = sl_tensor(sl_shape_of(2, (int[]){B, O}), dy);
    double best = 1e9;
    for (int s = 0; s < STEPS; s++) {
        double t0 = now();
        if (sl_model_forward(m, &in, 1, &e) || sl_model_backward(m, &g, 1, &e)) {
            fprintf(stderr, "bench: %s\n", e.msg);
            return 1;
        }
        double t = now() - t0;
        best = t < best ? t : best;
    }
    /* forward: B*(F*H + H*H + H*O) multiply-adds; backward: twice that (dW and dx) */
    double macs = 3.0 * B * ((double)F * H + (double)H * H + (double)H * O);
    printf("dense training step (%s), batch %d, %d -> %d -> %d -> %d: best of %d: %.2f ms, "
           "%.2f GMAC/s\n",
           SL_REAL_NAME, B, F, H, H, O, STEPS, best * 1e3, macs / best * 1e-9);
    sl_model_free(m);
    return 0;
}
