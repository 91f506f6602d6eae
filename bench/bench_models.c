/* bench_models.c: the time of one training step (forward, loss, backward, RMSprop's update) of the
 * question models, measured here and never in a timed test. bench/run.sh runs it beside the same
 * models in PyTorch (bench/torch_models.py), pinned to one core, and prints the table of
 * docs/performance.md.
 *
 *   bench_models WORKLOAD [--threads N] [--steps N]   one workload: prints one line (below)
 *   bench_models --peak                               the core's peak, from a multiply-add loop
 *   bench_models --list                               the workloads' names
 *
 * A workload's line: name, milliseconds per step (the best of --steps steps after 3 steps of
 * warm-up), GFLOP per step, GFLOP/s, and the peak memory in MB (the most the process held,
 * less what it held before building the model). The steps run through sl_model_fit on one batch
 * per epoch: the time between two batches' ends is one step as a learner's fit runs it.
 *
 * The FLOPs counted are those of the products (2 per multiply-add): forward, the weights'
 * gradients, and the inputs' gradients of every layer but the first (the data needs none), the
 * same count for both engines. Elementwise work (activations, the loss, the update) is left out.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "sl.h"

/* The clock: wall time, or with --cpu the process's CPU time (on a busy machine, what compares
 * two variants of the code; it counts every thread's time). */
static clockid_t clock_id = CLOCK_MONOTONIC;

static double now(void)
{
    struct timespec ts;
    clock_gettime(clock_id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The most memory the process has held so far, in MB. */
static double max_rss_mb(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_maxrss / 1024.0; /* kB on Linux */
}

/* ---- the core's peak ---- */

/* The widest vector of floats the build may use: 8 lanes with AVX, else 4. */
#ifdef __AVX__
#define LANES 8
#else
#define LANES 4
#endif
typedef float vf __attribute__((vector_size(LANES * 4)));

/* a * b + c in each lane, fused into one instruction where the CPU has one. */
static vf madd_vf(vf a, vf b, vf c)
{
#ifdef FP_FAST_FMAF
    vf r;
    for (int l = 0; l < LANES; l++)
        r[l] = fmaf(a[l], b[l], c[l]);
    return r;
#else
    return a * b + c;
#endif
}

/* Seconds for `iters` rounds of ACC independent multiply-adds on every lane; ACC = 12 hides the
 * instruction's latency (4 cycles, 2 issued per cycle). */
enum { ACC = 12 };
__attribute__((noinline)) /* compiled alone, its accumulators stay in registers */
static double
fma_rounds(long iters, float *keep)
{
    vf acc[ACC], a, b;
    for (int l = 0; l < LANES; l++)
        a[l] = 0.999999f, b[l] = 1e-7f;
    for (int k = 0; k < ACC; k++)
        acc[k] = a * (float)k;
    double t0 = now();
    for (long i = 0; i < iters; i++)
#pragma GCC unroll 12 /* every accumulator in its own register */
        for (int k = 0; k < ACC; k++)
            acc[k] = madd_vf(acc[k], a, b);
    double t = now() - t0;
    for (int k = 0; k < ACC; k++) /* the results are used: the loop cannot be dropped */
        *keep += acc[k][0];
    return t;
}

/* The core's peak GFLOP/s: the best of 5 runs of the multiply-add loop, about 0.05 s each. */
static double peak_gflops(void)
{
    enum { ITERS = 10000000 };
    double best = 0;
    float keep = 0;
    for (int run = 0; run < 5; run++) {
        double gf = 2.0 * LANES * ACC * ITERS / fma_rounds(ITERS, &keep) * 1e-9;
        best = gf > best ? gf : best;
    }
    return keep == 12345.0f ? 0 : best;
}

/* ---- the workloads ---- */

typedef struct Workload {
    const char *name, *what;
    int B;                /* batch */
    int rank, in[3];      /* one sample's shape */
    int out_rank, out[3]; /* one sample's target */
    const char *loss;     /* Keras name */
    int (*build)(SlModel *m, SlError *e);
    double (*flop)(void); /* per training step */
} Workload;

static int add(SlModel *m, const char *type, const char *args, SlError *e)
{
    return sl_model_add(m, sl_layer(type, args, e), e);
}

static int add_td(SlModel *m, const char *type, const char *args, SlError *e)
{
    SlArgs none;
    sl_args_init(&none);
    SlLayer *inner = sl_layer(type, args, e);
    return sl_model_add(m, inner ? sl_layer_wrap("TimeDistributed", inner, &none, e) : NULL, e);
}

/* Item 5: LSTM(32) -> LSTM(8) -> TimeDistributed(Dense(2)), batch 1000 x 55 steps x 5. */
enum { L_B = 1000, L_T = 55, L_F = 5, L_U1 = 32, L_U2 = 8, L_O = 2 };

static int build_lstm(SlModel *m, SlError *e)
{
    return add(m, "InputLayer", "shape=(55, 5)", e) ||
           add(m, "LSTM", "32, return_sequences=True", e) ||
           add(m, "LSTM", "8, return_sequences=True", e) ||
           add_td(m, "Dense", "2, activation='sigmoid'", e);
}

/* A recurrent layer of G gate blocks, u units, F features: G*u*(F + u) multiply-adds per sample
 * and step forward; backward the same for the weights and again for the inputs (h' and, unless
 * first, x). */
static double rnn_macs(int G, int u, int F, int first)
{
    double fwd = (double)G * u * (F + u);
    return fwd + fwd + (double)G * u * (u + (first ? 0 : F));
}

static double flop_lstm(void)
{
    double per = rnn_macs(4, L_U1, L_F, 1) + rnn_macs(4, L_U2, L_U1, 0) + 3.0 * L_U2 * L_O;
    return 2.0 * per * L_B * L_T;
}

/* Item 12: Conv2D(32, 5x5, same) on 28x28x1, MaxPooling2D, Conv2D(64, 5x5, same), Flatten,
 * Dense(10), batch 64. */
enum { C_B = 64 };

static int build_conv2d(SlModel *m, SlError *e)
{
    return add(m, "InputLayer", "shape=(28, 28, 1)", e) ||
           add(m, "Conv2D", "32, (5, 5), padding='same'", e) ||
           add(m, "MaxPooling2D", "(2, 2)", e) ||
           add(m, "Conv2D", "64, (5, 5), padding='same'", e) || add(m, "Flatten", "", e) ||
           add(m, "Dense", "10, activation='softmax'", e);
}

static double flop_conv2d(void)
{
    double c1 = 28.0 * 28 * 32 * 25 * 1, c2 = 14.0 * 14 * 64 * 25 * 32, d = 14.0 * 14 * 64 * 10;
    return 2.0 * C_B * (2 * c1 + 3 * c2 + 3 * d);
}

/* A causal dilated Conv1D stack: 5 x Conv1D(32, 3, causal, dilation 1..16, elu) on (1000, 1),
 * TimeDistributed(Dense(1)), batch 16. */
enum { D_B = 16, D_T = 1000, D_C = 32, D_K = 3 };

static int build_conv1d(SlModel *m, SlError *e)
{
    int rc = add(m, "InputLayer", "shape=(1000, 1)", e);
    for (int d = 1; d <= 16 && !rc; d *= 2) {
        char a[96];
        snprintf(a, sizeof a, "32, 3, padding='causal', dilation_rate=%d, activation='elu'", d);
        rc = add(m, "Conv1D", a, e);
    }
    return rc || add_td(m, "Dense", "1", e);
}

static double flop_conv1d(void)
{
    double first = (double)D_K * 1 * D_C, rest = (double)D_K * D_C * D_C, d = D_C;
    return 2.0 * D_B * D_T * (2 * first + 4 * 3 * rest + 3 * d);
}

/* The recurrent bench of before: (32, 100, 5) through LSTM(32) -> LSTM(8) ->
 * TimeDistributed(Dense(2)) (the item 5 model on a small batch), and the same with GRU. */
enum { S_B = 32, S_T = 100 };

static int build_small(SlModel *m, const char *cell, SlError *e)
{
    return add(m, "InputLayer", "shape=(100, 5)", e) ||
           add(m, cell, "32, return_sequences=True", e) ||
           add(m, cell, "8, return_sequences=True", e) ||
           add_td(m, "Dense", "2, activation='sigmoid'", e);
}

static int build_small_lstm(SlModel *m, SlError *e)
{
    return build_small(m, "LSTM", e);
}

static int build_small_gru(SlModel *m, SlError *e)
{
    return build_small(m, "GRU", e);
}

static double flop_small(int G)
{
    double per = rnn_macs(G, L_U1, L_F, 1) + rnn_macs(G, L_U2, L_U1, 0) + 3.0 * L_U2 * L_O;
    return 2.0 * per * S_B * S_T;
}

static double flop_small_lstm(void)
{
    return flop_small(4);
}

static double flop_small_gru(void)
{
    return flop_small(3);
}

static const Workload workloads[] = {
    {"lstm",
     "item 5: LSTM(32) -> LSTM(8) -> TD(Dense(2)), 1000 x 55 x 5",
     L_B,
     2,
     {L_T, L_F},
     2,
     {L_T, L_O},
     "binary_crossentropy",
     build_lstm,
     flop_lstm},
    {"conv2d",
     "item 12: Conv2D(32, 5x5) -> pool -> Conv2D(64, 5x5) -> Dense(10), 64 x 28 x 28",
     C_B,
     3,
     {28, 28, 1},
     1,
     {10},
     "categorical_crossentropy",
     build_conv2d,
     flop_conv2d},
    {"conv1d",
     "causal dilated Conv1D x5 (32, k=3, elu) -> TD(Dense(1)), 16 x 1000",
     D_B,
     2,
     {D_T, 1},
     2,
     {D_T, 1},
     "mse",
     build_conv1d,
     flop_conv1d},
    {"lstm-small",
     "LSTM(32) -> LSTM(8) -> TD(Dense(2)), 32 x 100 x 5",
     S_B,
     2,
     {S_T, L_F},
     2,
     {S_T, L_O},
     "binary_crossentropy",
     build_small_lstm,
     flop_small_lstm},
    {"gru-small",
     "GRU(32) -> GRU(8) -> TD(Dense(2)), 32 x 100 x 5",
     S_B,
     2,
     {S_T, L_F},
     2,
     {S_T, L_O},
     "binary_crossentropy",
     build_small_gru,
     flop_small_gru},
};
enum { N_WORKLOADS = sizeof workloads / sizeof workloads[0] };

/* ---- timing fit's steps ---- */

typedef struct Timer {
    double last, best;
    int seen, warmup;
} Timer;

static void on_event(void *ctx, const SlEvent *ev)
{
    Timer *t = ctx;
    if (ev->kind != SL_EV_BATCH_END)
        return;
    double at = now(), step = at - t->last;
    t->last = at;
    if (++t->seen > t->warmup && step < t->best)
        t->best = step;
}

static int run(const Workload *w, int steps)
{
    SlError e;
    double rss0 = max_rss_mb();
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    char compile[128];
    snprintf(compile, sizeof compile, "loss='%s', optimizer='rmsprop'", w->loss);
    if (w->build(m, &e) || sl_model_init_params(m, 1, &e) || sl_compile(m, compile, &e)) {
        fprintf(stderr, "bench_models: %s: %s\n", w->name, e.msg);
        return 1;
    }
    /* one batch of random inputs and targets in (0, 1) (one-hot for the classifier) */
    SlShape xs = sl_shape_of(w->rank + 1, (int[]){w->B, w->in[0], w->in[1], w->in[2]});
    SlShape ys = sl_shape_of(w->out_rank + 1, (int[]){w->B, w->out[0], w->out[1], w->out[2]});
    size_t nx = sl_shape_count(&xs), ny = sl_shape_count(&ys);
    sl_real *x = malloc(nx * sizeof *x), *y = calloc(ny, sizeof *y);
    if (!x || !y) {
        fprintf(stderr, "bench_models: out of memory\n");
        return 1;
    }
    SlRng r = sl_rng(7);
    for (size_t i = 0; i < nx; i++)
        x[i] = (sl_real)sl_rng_range(&r, -1, 1);
    int classes = ys.dim[ys.rank - 1];
    for (size_t i = 0; i < ny; i += (size_t)classes)
        if (!strcmp(w->loss, "categorical_crossentropy"))
            y[i + (size_t)(sl_rng_range(&r, 0, classes - 1e-9))] = 1;
        else
            for (int c = 0; c < classes; c++)
                y[i + (size_t)c] = (sl_real)sl_rng_range(&r, 0, 1);
    SlTensor tx = sl_tensor(xs, x), ty = sl_tensor(ys, y);
    Timer t = {now(), 1e30, 0, 3};
    SlObserver obs = {on_event, &t};
    sl_model_set_observer(m, &obs);
    SlFitOptions o = sl_fit_defaults();
    o.batch_size = w->B;
    o.epochs = t.warmup + steps;
    o.shuffle = 0;
    o.verbose = 0;
    t.last = now();
    if (sl_model_fit(m, &tx, &ty, &o, NULL, &e)) {
        fprintf(stderr, "bench_models: %s: %s\n", w->name, e.msg);
        return 1;
    }
    double gflop = w->flop() * 1e-9;
    printf("%s %.3f %.4f %.2f %.1f\n", w->name, t.best * 1e3, gflop, gflop / t.best,
           max_rss_mb() - rss0);
    sl_model_free(m);
    free(x), free(y);
    return 0;
}

static int usage(void)
{
    fprintf(
        stderr,
        "usage: bench_models WORKLOAD [--threads N] [--steps N] [--cpu] | --peak [--cpu] | --list\n"
        "workloads:");
    for (int i = 0; i < N_WORKLOADS; i++)
        fprintf(stderr, " %s", workloads[i].name);
    fprintf(stderr, "\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *name = NULL;
    int steps = 10, threads = 1;
    int peak = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--peak")) {
            peak = 1;
        } else if (!strcmp(argv[i], "--list")) {
            for (int k = 0; k < N_WORKLOADS; k++)
                printf("%s %s\n", workloads[k].name, workloads[k].what);
            return 0;
        } else if (!strcmp(argv[i], "--cpu")) {
            clock_id = CLOCK_PROCESS_CPUTIME_ID;
        } else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
            threads = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--steps") && i + 1 < argc) {
            steps = atoi(argv[++i]);
        } else if (argv[i][0] != '-' && !name) {
            name = argv[i];
        } else {
            return usage();
        }
    }
    SlError e;
    if (sl_threads_set(threads, &e) < 0) {
        fprintf(stderr, "bench_models: %s\n", e.msg);
        return 2;
    }
    if (peak) {
        printf("peak %.2f\n", peak_gflops());
        return 0;
    }
    for (int k = 0; name && k < N_WORKLOADS; k++)
        if (!strcmp(name, workloads[k].name))
            return run(&workloads[k], steps < 1 ? 1 : steps);
    return usage();
}
