/* bench_guard.c: what fit's NaN guard (guard.h) costs, measured here and never in a timed test.
 * For three of the shared models, one epoch of fit on random data with the guard on and off, in
 * turns, the best of several epochs each:
 *   05_variable_length.py  two LSTMs and a TimeDistributed Dense, 20 steps (QUESTIONS.md item 5)
 *   15_regression.py       two small Dense layers: the guard's worst case, little work per weight
 *   10_causal_dilated.py   causal dilated Conv1D layers (WaveNet)
 *   make bench
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "script/script.h"
#include "sl.h"

#define MODELS "../shared/models/" /* make bench runs from the repository's top */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID,
                  &ts); /* this thread's CPU time: less noise on a shared machine */
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Random data of the model's input and output shapes: n samples, None axes 20 long. */
static SlTensor random_like(SlShape s, int n, SlRng *r)
{
    s.dim[0] = n;
    for (int d = 1; d < s.rank; d++)
        s.dim[d] = s.dim[d] == SL_NONE ? 20 : s.dim[d];
    SlTensor t = sl_tensor(s, malloc(sl_shape_count(&s) * sizeof(sl_real)));
    for (size_t i = 0; t.data && i < sl_shape_count(&s); i++)
        t.data[i] = (sl_real)sl_rng_uniform(r);
    return t;
}

static double epoch_time(SlModel *m, const SlTensor *x, const SlTensor *y, int guard)
{
    SlError e;
    SlFitOptions o = sl_fit_defaults();
    o.verbose = 0;
    o.nan_guard = guard;
    double t0 = now();
    if (sl_model_fit(m, x, y, &o, NULL, &e) < 0) {
        fprintf(stderr, "bench: %s\n", e.msg);
        exit(1);
    }
    return now() - t0;
}

static void bench(const char *script, int samples, int rounds)
{
    SlError e;
    SlScriptOptions so = {0};
    SlScript *s = sl_script_run(script, &so, &e);
    SlModel *m = s ? sl_script_model(s, &e) : NULL;
    if (!m || sl_model_init_params(m, 1, &e) < 0) {
        fprintf(stderr, "bench: %s\n", e.msg);
        exit(1);
    }
    SlRng r = sl_rng(3);
    SlTensor x = random_like(m->t[m->inputs[0]].shape, samples, &r);
    SlTensor y = random_like(sl_model_output_shape(m, 0), samples, &r);
    double best[2] = {1e30, 1e30};
    for (int i = 0; i < 2 * rounds; i++) {
        double t = epoch_time(m, &x, &y, i % 2);
        best[i % 2] = t < best[i % 2] ? t : best[i % 2];
    }
    printf("%-28s %8zu weights  %9.2f ms/epoch off  %9.2f ms/epoch on  %+6.1f%%\n",
           script + sizeof MODELS - 1, sl_model_count_params(m), 1e3 * best[0], 1e3 * best[1],
           100 * (best[1] / best[0] - 1));
    free(x.data), free(y.data);
    sl_script_free(s);
}

int main(void)
{
    printf("fit's NaN guard, %s: one epoch of batches of 32, best of several each way\n",
           SL_REAL_NAME);
    bench(MODELS "05_variable_length.py", 512, 30);
    bench(MODELS "15_regression.py", 4096, 100);
    bench(MODELS "10_causal_dilated.py", 512, 30);
    return 0;
}
