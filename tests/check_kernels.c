/* check_kernels.c: the fast kernels (src/kernels/) against the plain loops they stand in for,
 * and the threads.
 *
 *   1. sl_gemm and sl_gemm_sum against the triple loop, on shapes with every kind of edge (rows and
 *      columns that do not fill a tile, a K longer than a block, A stored transposed, rows of C
 *      and B with gaps), in float and in double;
 *   2. the convolution kernels against sl_correlate, sl_correlate_kernel_grad and
 *      sl_conv_input_grad on geometries with strides, dilations, 'same', 'causal' and cut
 *      padding, and channel counts that do not fill a tile;
 *   3. the vector activations against activation.c's double-precision loop, over a sweep of x;
 *   4. threads: a few epochs of fit on models of every kernel give the same weights to the bit
 *      whatever the thread count (resuming from a checkpoint relies on it).
 * Every layer's PyTorch fixture is also checked with both kernel sets (tu_both_kernels in
 * testutil.c, used by check_layers, check_conv, check_rnn and check_norm).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static sl_real *random_buf(size_t n, SlRng *r)
{
    sl_real *p = malloc((n ? n : 1) * sizeof *p);
    ck_assert(p != NULL);
    for (size_t i = 0; i < n; i++)
        p[i] = (sl_real)sl_rng_range(r, -1, 1);
    return p;
}

/* Sums of many terms in float: the same rtol as the fixtures, and an atol for a sum of K terms
 * of size 1 that cancel. */
static void assert_sums_close(const char *what, const sl_real *a, const sl_real *b, size_t n,
                              size_t K)
{
    long i = tu_mismatch(a, b, n, TU_RTOL, TU_ATOL * (double)(K > 1 ? K : 1));
    ck_assert_msg(i < 0, "%s: element %ld is %.12g, the plain loop's %.12g", what, i,
                  i < 0 ? 0.0 : (double)a[i], i < 0 ? 0.0 : (double)b[i]);
}

/* ---- 1. the matrix product ---- */

typedef struct GemmCase {
    int M, N, K;
    int transposed; /* A stored (K, M) */
    int gap;        /* extra values at the end of every row of A, B and C */
} GemmCase;

static const GemmCase gemm_cases[] = {
    {1, 1, 1, 0, 0},     {5, 7, 3, 0, 0},    {6, 16, 8, 0, 0},    {13, 33, 37, 0, 3},
    {48, 128, 37, 0, 0}, {7, 10, 600, 1, 0}, {32, 8, 1000, 1, 2}, {100, 2, 9, 0, 1},
    {12, 17, 257, 1, 5}, {65, 1, 40, 0, 0},
};
enum { N_GEMM = sizeof gemm_cases / sizeof gemm_cases[0] };

/* C (M, N) += A (M, K) B (K, N), the plain loop. */
static void plain_product(sl_real *C, size_t ldc, SlMat A, const sl_real *B, size_t ldb, int M,
                          int N, int K)
{
    for (int i = 0; i < M; i++)
        for (int k = 0; k < K; k++) {
            sl_real a = A.p[(size_t)i * A.rs + (size_t)k * A.cs];
            for (int j = 0; j < N; j++)
                C[(size_t)i * ldc + j] += a * B[(size_t)k * ldb + j];
        }
}

START_TEST(test_gemm)
{
    const GemmCase *c = &gemm_cases[_i];
    SlRng r = sl_rng(40 + (uint64_t)_i);
    size_t lda = (size_t)(c->transposed ? c->M : c->K) + c->gap, ldb = (size_t)c->N + c->gap;
    size_t ldc = (size_t)c->N + c->gap, na = lda * (c->transposed ? c->K : c->M);
    sl_real *A = random_buf(na, &r), *B = random_buf(ldb * c->K, &r);
    sl_real *C = random_buf(ldc * c->M, &r), *want = malloc(ldc * c->M * sizeof *want);
    memcpy(want, C, ldc * c->M * sizeof *want); /* += onto what was there */
    SlMat a = c->transposed ? sl_mat_t(A, lda) : sl_mat(A, lda);
    plain_product(want, ldc, a, B, ldb, c->M, c->N, c->K);
    sl_gemm(C, ldc, a, B, ldb, (size_t)c->M, (size_t)c->N, (size_t)c->K);
    assert_sums_close("C", C, want, ldc * c->M, (size_t)c->K);
    /* the gaps between rows are left alone */
    for (int i = 0; c->gap && i < c->M; i++)
        for (int j = c->N; j < (int)ldc; j++)
            ck_assert(C[(size_t)i * ldc + j] == want[(size_t)i * ldc + j]);
    free(A), free(B), free(C), free(want);
}
END_TEST

/* Two terms in one pass equal the two products (z = x W + h' U). */
START_TEST(test_gemm_sum)
{
    SlRng r = sl_rng(7);
    enum { M = 50, N = 40, K1 = 5, K2 = 300 };
    sl_real *X = random_buf(M * K1, &r), *W = random_buf(K1 * N, &r);
    sl_real *H = random_buf(M * K2, &r), *U = random_buf(K2 * N, &r);
    sl_real *C = calloc(M * N, sizeof *C), *want = calloc(M * N, sizeof *want);
    plain_product(want, N, sl_mat(X, K1), W, N, M, N, K1);
    plain_product(want, N, sl_mat(H, K2), U, N, M, N, K2);
    SlTerm both[2] = {{sl_mat(X, K1), W, N, K1}, {sl_mat(H, K2), U, N, K2}};
    sl_gemm_sum(C, N, both, 2, M, N);
    assert_sums_close("x W + h' U", C, want, M * N, K1 + K2);
    /* from a bias row: C is overwritten, never read (NaN there would spread), by every group
     * (K2 takes two blocks of sums) and at the narrow column edge (N = 40: 32 + 8) */
    sl_real *row = random_buf(N, &r);
    for (int i = 0; i < M * N; i++)
        C[i] = (sl_real)NAN, want[i] += row[i % N];
    sl_gemm_sum_from(C, N, row, both, 2, M, N);
    assert_sums_close("b + x W + h' U", C, want, M * N, K1 + K2 + 1);
    for (int i = 0; i < M * N; i++)
        C[i] = (sl_real)NAN;
    sl_gemm_sum_from(C, N, row, both, 0, M, N); /* no terms: C = the row */
    ck_assert(memcmp(C + (M - 1) * N, row, N * sizeof *C) == 0);
    free(X), free(W), free(H), free(U), free(C), free(want), free(row);
}
END_TEST

/* ---- 2. convolutions ---- */

static const SlConvGeom conv_cases[] = {
    /* B  H   W  CI OH  OW CO KH KW sh sw dh dw ph pw */
    {2, 9, 8, 3, 9, 8, 5, 3, 3, 1, 1, 1, 1, 1, 1},    /* 'same' */
    {1, 7, 11, 2, 3, 5, 17, 3, 3, 2, 2, 1, 1, 0, 0},  /* strided 'valid' */
    {3, 1, 20, 4, 1, 20, 16, 1, 3, 1, 1, 1, 4, 0, 8}, /* causal, dilated */
    {2, 6, 6, 1, 6, 6, 32, 5, 5, 1, 1, 1, 1, 2, 2},   /* one input channel */
    {1, 8, 9, 6, 3, 4, 3, 2, 3, 3, 2, 1, 1, 0, 0},    /* stride 3 by 2 */
    {2, 10, 10, 3, 6, 4, 2, 3, 2, 1, 1, 2, 3, 0, 0},  /* dilated both ways */
    {1, 5, 5, 2, 3, 3, 4, 3, 3, 1, 1, 1, 1, -1, -1},  /* cells cut at the start */
};
enum { N_CONV = sizeof conv_cases / sizeof conv_cases[0] };

START_TEST(test_conv)
{
    const SlConvGeom *g = &conv_cases[_i];
    SlRng r = sl_rng(70 + (uint64_t)_i);
    size_t nx = (size_t)g->B * g->H * g->W * g->CI, ny = (size_t)g->B * g->OH * g->OW * g->CO;
    size_t nk = (size_t)g->KH * g->KW * g->CI * g->CO, taps = (size_t)g->KH * g->KW;
    SlConvGeom full = sl_conv_input_grad_geom(g);
    sl_real *x = random_buf(nx, &r), *k = random_buf(nk, &r), *dy = random_buf(ny, &r);
    sl_real *xp = malloc(sl_conv_pad_count(g) * sizeof *xp), *kr = malloc(nk * sizeof *kr);
    size_t nsp = sl_spread_count(g) > sl_conv_pad_count(&full) ? sl_spread_count(g)
                                                               : sl_conv_pad_count(&full);
    sl_real *sp = malloc(nsp * sizeof *sp);
    sl_real *y[2], *dk[2], *dx[2];
    for (int f = 0; f < 2; f++) {
        y[f] = calloc(ny, sizeof *y[f]), dk[f] = calloc(nk, sizeof *dk[f]);
        dx[f] = calloc(nx, sizeof *dx[f]);
    }
    sl_correlate(y[0], x, k, g);
    sl_correlate_kernel_grad(dk[0], x, dy, g);
    sl_conv_input_grad(dx[0], kr, sp, dy, k, g);
    sl_conv_pad(xp, x, g);
    sl_conv_correlate_padded(y[1], xp, k, g);
    sl_conv_kernel_grad_padded(dk[1], xp, dy, g);
    sl_conv_input_grad_fast(dx[1], kr, sp, dy, k, g);
    assert_sums_close("y", y[1], y[0], ny, taps * g->CI);
    assert_sums_close("dk", dk[1], dk[0], nk, (size_t)g->B * g->OH * g->OW);
    assert_sums_close("dx", dx[1], dx[0], nx, taps * g->CO);
    for (int f = 0; f < 2; f++)
        free(y[f]), free(dk[f]), free(dx[f]);
    free(x), free(k), free(dy), free(xp), free(kr), free(sp);
}
END_TEST

/* ---- 3. activations ---- */

static const SlAct fast_acts[] = {SL_ACT_SIGMOID, SL_ACT_TANH,  SL_ACT_ELU,
                                  SL_ACT_SELU,    SL_ACT_SWISH, SL_ACT_RELU};
enum { N_ACTS = sizeof fast_acts / sizeof fast_acts[0] };

/* Forward over x in [-40, 40] (and both ends of every piece of the vector forms), backward from
 * the plain forward's y: within a few units in the last place of the double loop's value. */
START_TEST(test_activation)
{
    enum { N = 20001 };
    SlAct a = fast_acts[_i];
    sl_real *x = malloc(N * sizeof *x), *y[2], *dx[2], *dy = malloc(N * sizeof *dy);
    for (int i = 0; i < N; i++) {
        x[i] = (sl_real)(-40.0 + 80.0 * i / (N - 1));
        dy[i] = (sl_real)(1 + 0.5 * sin(i));
    }
    static const double edges[] = {0.5, -0.5, 0.625, -0.625, 1e-5, -1e-5, 87, -87, 0};
    for (int i = 0; i < 9; i++)
        x[i] = (sl_real)edges[i];
    SlKernels was = sl_kernels();
    for (int f = 0; f < 2; f++) {
        sl_kernels_set(f ? SL_KERNELS_FAST : SL_KERNELS_PLAIN);
        y[f] = malloc(N * sizeof *y[f]), dx[f] = calloc(N, sizeof *dx[f]);
        sl_act_forward(a, y[f], x, 1, N);
        sl_act_backward(a, dx[f], dy, x, y[0], 1, N);
    }
    sl_kernels_set(was);
    /* about 7 units in the last place; the derivative also an absolute unit of 1's, what
     * 1 - y^2 and y (1 - y) can keep where y is near 1 */
    double rtol = sizeof(sl_real) == 4 ? 4e-7 : 1e-15, atol = sizeof(sl_real) == 4 ? 1.2e-7 : 0;
    long i = tu_mismatch(y[1], y[0], N, rtol, 1e-30);
    ck_assert_msg(i < 0, "%s(%g): fast %.9g, plain %.9g", sl_act_name(a), i < 0 ? 0 : x[i],
                  i < 0 ? 0 : y[1][i], i < 0 ? 0 : y[0][i]);
    i = tu_mismatch(dx[1], dx[0], N, rtol, atol);
    ck_assert_msg(i < 0, "%s'(%g): fast %.9g, plain %.9g", sl_act_name(a), i < 0 ? 0 : x[i],
                  i < 0 ? 0 : dx[1][i], i < 0 ? 0 : dx[0][i]);
    for (int f = 0; f < 2; f++)
        free(y[f]), free(dx[f]);
    free(x), free(dy);
}
END_TEST

/* The losses' log (sl_log_fast) against libm's in double: over every power of two from 2^-126
 * to 2^127 and the values between, densely near 1 (where log x is near 0) and over the clipped
 * probabilities [1e-7, 1 - 1e-7] that binary crossentropy takes. */
START_TEST(test_log)
{
    enum { N = 30000 };
    sl_real *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    for (int i = 0; i < N; i++) {
        double u = (double)i / (N - 1);
        x[i] = (sl_real)(i % 3 == 0   ? ldexp(1 + u, -126 + (int)(u * 253))
                         : i % 3 == 1 ? 1 + (u - 0.5) / 64
                                      : 1e-7 + u * (1 - 2e-7));
    }
    if (!sl_log_fast(y, x, N)) { /* the double build keeps libm's */
        ck_assert_int_eq(sizeof(sl_real), sizeof(double));
        free(x), free(y);
        return;
    }
    for (int i = 0; i < N; i++) {
        double want = log((double)x[i]);
        ck_assert_msg(fabs(y[i] - want) <= 2.4e-7 * fabs(want) + 1e-30 || (want == 0 && y[i] == 0),
                      "log(%.9g): fast %.9g, libm %.9g", (double)x[i], (double)y[i], want);
    }
    free(x), free(y);
}
END_TEST

/* binary crossentropy with the fast kernels' logs (loss.c, bce_logs) against the plain loop's:
 * the same loss to float's precision and the same gradient (computed in double either way), over
 * several chunks of positions, with predictions at and beyond the clip's edges. */
START_TEST(test_bce_logs)
{
    enum { P = 700, C = 3 };
    SlLoss L;
    SlError e;
    SlArgs none;
    sl_args_init(&none);
    ck_assert_msg(sl_loss_create(&L, "binary_crossentropy", &none, &e) == 0, "%s", e.msg);
    sl_real *q = malloc(P * C * sizeof *q), *t = malloc(P * C * sizeof *t), *g[2];
    SlRng r = sl_rng(3);
    static const double edges[] = {0, 1, 1e-9, 1 - 1e-9, 1e-7, 0.5};
    for (int i = 0; i < P * C; i++) {
        q[i] = (sl_real)(i < 6 ? edges[i] : sl_rng_range(&r, 0, 1));
        t[i] = (sl_real)(i % 5 == 0 ? sl_rng_range(&r, 0, 1) : i % 2);
    }
    SlShape shape = sl_shape_of(2, (const int[]){P, C});
    SlTensor pred = sl_tensor(shape, q), target = sl_tensor(shape, t);
    double l[2];
    SlKernels was = sl_kernels();
    for (int f = 0; f < 2; f++) {
        sl_kernels_set(f ? SL_KERNELS_FAST : SL_KERNELS_PLAIN);
        g[f] = calloc(P * C, sizeof *g[f]);
        l[f] = sl_loss_eval(&L, &pred, &target, NULL, NULL, g[f], 1.0);
    }
    sl_kernels_set(was);
    ck_assert_msg(fabs(l[1] - l[0]) <= 4e-7 * fabs(l[0]), "loss: fast %.9g, plain %.9g", l[1],
                  l[0]);
    ck_assert(memcmp(g[0], g[1], P * C * sizeof *g[0]) == 0);
    free(q), free(t), free(g[0]), free(g[1]);
}
END_TEST

/* ---- 4. threads ---- */

/* Models of every kernel, each trained a few epochs from the same seed. */
static const struct {
    const char *layers; /* one layer a line: type | arguments */
    int rank, in[3], out_rank, out[2];
} thread_models[] = {
    {"LSTM|32, return_sequences=True\nGRU|16\nDense|3", 2, {12, 7}, 1, {3}},
    {"LSTM|32, dropout=0.2, recurrent_dropout=0.2, return_sequences=True\nGRU|16, dropout=0.2, "
     "recurrent_dropout=0.1, reset_after=False, return_sequences=True\nSimpleRNN|8, "
     "dropout=0.1\nDense|3",
     2,
     {12, 7},
     1,
     {3}},
    {"Conv2D|16, 3, padding='same', activation='relu'\nMaxPooling2D|2\nConv2D|16, 3, "
     "strides=2, groups=4\nFlatten|\nDense|4, activation='softmax'",
     3,
     {16, 16, 3},
     1,
     {4}},
    {"Conv1D|24, 3, padding='causal', dilation_rate=2, activation='elu'\nConv1DTranspose|16, 3, "
     "strides=2, padding='same'\nTimeDistributed|Dense(2)",
     2,
     {40, 4},
     2,
     {80, 2}},
};
enum { N_THREAD_MODELS = sizeof thread_models / sizeof thread_models[0], SAMPLES = 192 };

/* Every weight after fitting thread_models[i] on `threads` threads, in one fresh buffer. */
static sl_real *trained_weights(int i, int threads, size_t *n)
{
    SlError e;
    SlArgs none;
    sl_args_init(&none);
    ck_assert_msg(sl_threads_set(threads, &e) == 0, "%s", e.msg);
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    char shape[64], line[256];
    if (thread_models[i].rank == 2)
        snprintf(shape, sizeof shape, "shape=(%d, %d)", thread_models[i].in[0],
                 thread_models[i].in[1]);
    else
        snprintf(shape, sizeof shape, "shape=(%d, %d, %d)", thread_models[i].in[0],
                 thread_models[i].in[1], thread_models[i].in[2]);
    ck_assert(sl_model_add(m, sl_layer("InputLayer", shape, &e), &e) == 0);
    for (const char *p = thread_models[i].layers; *p;) {
        size_t len = strcspn(p, "\n");
        snprintf(line, sizeof line, "%.*s", (int)len, p);
        p += len + (p[len] == '\n');
        char *bar = strchr(line, '|');
        *bar = '\0';
        SlLayer *l;
        if (!strcmp(line, "TimeDistributed"))
            l = sl_layer_wrap(line, sl_layer("Dense", "2", &e), &none, &e);
        else
            l = sl_layer(line, bar + 1, &e);
        ck_assert_msg(sl_model_add(m, l, &e) == 0, "%s", e.msg);
    }
    ck_assert_msg(sl_model_init_params(m, 3, &e) == 0, "%s", e.msg);
    ck_assert(sl_compile(m, "loss='mse', optimizer='rmsprop'", &e) == 0);
    const int *d = thread_models[i].in, *o = thread_models[i].out;
    SlShape xs = thread_models[i].rank == 2 ? sl_shape_of(3, (int[]){SAMPLES, d[0], d[1]})
                                            : sl_shape_of(4, (int[]){SAMPLES, d[0], d[1], d[2]});
    SlShape ys = thread_models[i].out_rank == 1 ? sl_shape_of(2, (int[]){SAMPLES, o[0]})
                                                : sl_shape_of(3, (int[]){SAMPLES, o[0], o[1]});
    SlRng r = sl_rng(11);
    sl_real *x = random_buf(sl_shape_count(&xs), &r), *y = random_buf(sl_shape_count(&ys), &r);
    SlTensor tx = sl_tensor(xs, x), ty = sl_tensor(ys, y);
    SlFitOptions f = sl_fit_defaults();
    f.batch_size = 96; /* two blocks of a recurrent step, for two threads */
    f.epochs = 2;
    f.verbose = 0;
    f.seed = 5;
    ck_assert_msg(sl_model_fit(m, &tx, &ty, &f, NULL, &e) == 0, "%s", e.msg);
    *n = m->values.used;
    sl_real *w = malloc(*n * sizeof *w);
    memcpy(w, m->values.base, *n * sizeof *w);
    sl_model_free(m);
    free(x), free(y);
    ck_assert(sl_threads_set(1, &e) == 0);
    return w;
}

START_TEST(test_threads_bit_identical)
{
    size_t n1, n;
    sl_real *one = trained_weights(_i, 1, &n1);
    for (int threads = 2; threads <= 3; threads++) {
        sl_real *w = trained_weights(_i, threads, &n);
        ck_assert(n == n1);
        ck_assert_msg(memcmp(w, one, n * sizeof *w) == 0,
                      "model %d: %d threads give other weights than one", _i, threads);
        free(w);
    }
    free(one);
}
END_TEST

START_TEST(test_thread_count_checked)
{
    SlError e;
    ck_assert(sl_threads_set(0, &e) < 0);
    ck_assert(strstr(e.msg, "from 1 to") != NULL);
    ck_assert(sl_threads_set(SL_MAX_THREADS + 1, &e) < 0);
    ck_assert_int_eq(sl_threads(), 1);
}
END_TEST

START_TEST(test_kernels_switch)
{
    SlKernels was = sl_kernels();
    sl_kernels_set(SL_KERNELS_PLAIN);
    ck_assert(!sl_kernels_fast());
    ck_assert_str_eq(sl_kernels_name(sl_kernels()), "plain");
    sl_kernels_set(SL_KERNELS_FAST);
    ck_assert(sl_kernels_fast());
    ck_assert_str_eq(sl_kernels_name(sl_kernels()), "fast");
    sl_kernels_set(was);
}
END_TEST

static Suite *kernels_suite(void)
{
    Suite *s = suite_create("kernels");
    TCase *tc = tcase_create("against the plain loops");
    tcase_add_loop_test(tc, test_gemm, 0, N_GEMM);
    tcase_add_test(tc, test_gemm_sum);
    tcase_add_loop_test(tc, test_conv, 0, N_CONV);
    tcase_add_loop_test(tc, test_activation, 0, N_ACTS);
    tcase_add_test(tc, test_log);
    tcase_add_test(tc, test_bce_logs);
    tcase_add_test(tc, test_kernels_switch);
    suite_add_tcase(s, tc);
    tc = tcase_create("threads");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_threads_bit_identical, 0, N_THREAD_MODELS);
    tcase_add_test(tc, test_thread_count_checked);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(kernels_suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
