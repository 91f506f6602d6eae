/* bench_lstm.c: the speed of a training step through the recurrent layers, measured here and never
 * in a timed test. A (32, 100, 5) batch through LSTM(32, return_sequences) -> LSTM(8,
 * return_sequences) -> TimeDistributed(Dense(2)) (the 05_variable_length model), forward and
 * backward; then the same with GRU. Prints the time per step and the multiply-add rate.
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

enum { B = 32, T = 100, F = 5, U1 = 32, U2 = 8, STEPS = 10 };

static int bench(const char *cell, int gates)
{
    SlError e;
    SlArgs none;
    sl_args_init(&none);
    char a[96];
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    snprintf(a, sizeof a, "%d, return_sequences=True, input_shape=(%d, %d)", U1, T, F);
    int rc = sl_model_add(m, sl_layer(cell, a, &e), &e);
    snprintf(a, sizeof a, "%d, return_sequences=True", U2);
    rc = rc ? rc : sl_model_add(m, sl_layer(cell, a, &e), &e);
    rc = rc ? rc
            : sl_model_add(
                  m, sl_layer_wrap("TimeDistributed", sl_layer("Dense", "2", &e), &none, &e), &e);
    if (rc || sl_model_init_params(m, 1, &e)) {
        fprintf(stderr, "bench: %s\n", e.msg);
        return 1;
    }
    static sl_real x[B * T * F], dy[B * T * 2];
    SlRng r = sl_rng(1);
    for (int i = 0; i < B * T * F; i++)
        x[i] = (sl_real)sl_rng_range(&r, -1, 1);
    for (int i = 0; i < B * T * 2; i++)
        dy[i] = (sl_real)sl_rng_range(&r, -1, 1);
    SlTensor in = sl_tensor(sl_shape_of(3, (int[]){B, T, F}), x);
    SlTensor g = sl_tensor(sl_shape_of(3, (int[]){B, T, 2}), dy);
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
    /* per sample and step: the gates' products G*u*(in+u) forward, twice that backward */
    double macs = 3.0 * B * T * gates * ((double)U1 * (F + U1) + (double)U2 * (U1 + U2));
    printf("%s training step (%s), batch %d x %d steps x %d features, %s(%d) -> %s(%d) -> "
           "TimeDistributed(Dense(2)): best of %d: %.2f ms, %.2f GMAC/s\n",
           cell, SL_REAL_NAME, B, T, F, cell, U1, cell, U2, STEPS, best * 1e3, macs / best * 1e-9);
    sl_model_free(m);
    return 0;
}

int main(void)
{
    return bench("LSTM", 4) || bench("GRU", 3);
}
