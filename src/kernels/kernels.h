/* kernels.h: the fast kernels, in one place, and the switch between them and the plain loops.
 *
 * Every layer's numbers come from plain loops in its own file (dense.c, rnn.c, conv.c,
 * activation.c): the reference, written to be read against the math. The kernels here compute
 * the same sums faster, and a layer calls them where `sl_kernels_fast()` says so:
 *
 *   sl_gemm        C += A B, a matrix product blocked into tiles that live in registers
 *                  (gemm.c): Dense, the recurrent layers' gates and weight gradients;
 *   sl_conv_*      a convolution as the same tiles over the windows of a zero-padded input
 *                  (conv.c): Conv1D, Conv2D and the transposed layers, forward and backward;
 *   sl_act_fast_*  sigmoid, tanh, elu, ... as loops the compiler turns into vector code (act.c).
 *
 * Which set runs: the fast one, unless the environment says SL_KERNELS=plain when the first layer
 * asks, the program calls sl_kernels_set, or the build defines SL_PLAIN_KERNELS. The tests run
 * both on every layer's fixtures and compare them (tests/check_kernels.c, testutil.c).
 *
 * Threads (pool.c): with sl_threads_set(n), the kernels split their work among n threads by output
 * (rows of C, output channels), never along a sum, so every number is computed by the same
 * operations in the same order whatever the thread count: results are identical to the bit. A
 * build with SL_NO_THREADS (the browser's) runs everything on the caller's thread.
 *
 * Kernels are pure: plain pointers and sizes, outputs first, sizes last; they accumulate (+=)
 * into outputs the caller prepared, allocate nothing and print nothing. docs/performance.md
 * measures what each of them buys and shows how to read one against its plain loop.
 */
#ifndef SL_KERNELS_H
#define SL_KERNELS_H

#include <stddef.h>

#include "error.h"
#include "layers/activation.h"
#include "layers/conv.h"
#include "tensor.h"

/* ---- which kernels ---- */

typedef enum SlKernels { SL_KERNELS_UNSET, SL_KERNELS_FAST, SL_KERNELS_PLAIN } SlKernels;

/* The set in use: UNSET until the first question (the cells of a recurrent layer ask a few
 * times per sample and step, so the answer is one load once known). */
extern SlKernels sl_kernels_in_use;
SlKernels sl_kernels_choose(void); /* from SL_KERNELS or the build, the first time */
static inline SlKernels sl_kernels(void)
{
    return sl_kernels_in_use != SL_KERNELS_UNSET ? sl_kernels_in_use : sl_kernels_choose();
}
void sl_kernels_set(SlKernels k);
/* "fast" or "plain" */
const char *sl_kernels_name(SlKernels k);
static inline int sl_kernels_fast(void)
{
    return sl_kernels() == SL_KERNELS_FAST;
}

/* ---- threads ---- */

enum { SL_MAX_THREADS = 64 };

/* Run the kernels on n threads (1: the caller's only, the default). The pool's threads start here
 * and wait between jobs; the error says why n cannot be had (a build without threads, or the
 * system refusing). Call it between training steps, never from inside one. */
int sl_threads_set(int n, SlError *e);
int sl_threads(void);

/* A job split into parts: part p of n. */
typedef void (*SlTask)(void *ctx, int part, int parts);
/* Run task(ctx, p, parts) for p = 0 .. parts-1, spread over the pool (the caller runs part 0),
 * and return when all are done. parts above the thread count are clamped to it. */
void sl_parallel(SlTask task, void *ctx, int parts);
/* How many parts a job of `work` multiply-adds is worth splitting into on this pool: the thread
 * count, or fewer when each part would be too small to pay for waking a thread. */
int sl_parts_for(double work);
/* Part p of n of `count` items: [*from, *to). */
static inline void sl_share(size_t count, int p, int n, size_t *from, size_t *to)
{
    *from = count * (size_t)p / (size_t)n;
    *to = count * (size_t)(p + 1) / (size_t)n;
}

/* ---- the matrix product ---- */

/* A matrix operand read in place: element (i, k) at p[i*rs + k*cs]. Stored row-major with rows ld
 * apart it is sl_mat(p, ld); stored transposed (k-th row holds column k), sl_mat_t(p, ld). */
typedef struct SlMat {
    const sl_real *p;
    size_t rs, cs;
} SlMat;

static inline SlMat sl_mat(const sl_real *p, size_t ld)
{
    SlMat m = {p, ld, 1};
    return m;
}
static inline SlMat sl_mat_t(const sl_real *p, size_t ld)
{
    SlMat m = {p, 1, ld};
    return m;
}

/* C (M, N) += A (M, K) B (K, N). C's rows are ldc apart, B is row-major with rows ldb apart (a
 * transposed B is the caller's to transpose: the layers keep their kernels transposed in scratch).
 * Equal to the plain triple loop up to the order of each sum's terms. */
void sl_gemm(sl_real *C, size_t ldc, SlMat A, const sl_real *B, size_t ldb, size_t M, size_t N,
             size_t K);

/* One product of a sum of them: A (M, K) times B (K, N), B row-major with rows ldb apart. */
typedef struct SlTerm {
    SlMat A;
    const sl_real *B;
    size_t ldb, K;
} SlTerm;

/* C (M, N) += A_1 B_1 + ... + A_n B_n in one pass over C (z = x W + h' U), each sum's terms
 * added in order. */
void sl_gemm_sum(sl_real *C, size_t ldc, const SlTerm *terms, int n_terms, size_t M, size_t N);
/* C = row + A_1 B_1 + A_2 B_2 + ..., row (N values) under every row of C, which is not read: a
 * layer's biases under its pre-activations' products, without a pass to put them there first. */
void sl_gemm_sum_from(sl_real *C, size_t ldc, const sl_real *row, const SlTerm *terms, int n_terms,
                      size_t M, size_t N);

/* ---- convolutions (conv.h's geometry) ----
 * The fast kernels read the input through a copy with its padding written out as zeros, `xp`, so
 * that every window lies inside it; sl_conv_pad_count says how big xp must be. */

/* Elements of the zero-padded copy of g's input: B * (rows the windows cover) * (cols) * CI. */
size_t sl_conv_pad_count(const SlConvGeom *g);
/* xp = in (B, H, W, CI) with g's padding around it as zeros (and cells the windows skip left
 * out): the layout sl_conv_correlate_padded and sl_conv_kernel_grad_padded read. */
void sl_conv_pad(sl_real *xp, const sl_real *in, const SlConvGeom *g);
/* out (B, OH, OW, CO) += correlate(in, k): sl_correlate's sums, from xp = sl_conv_pad(in). */
void sl_conv_correlate_padded(sl_real *out, const sl_real *xp, const sl_real *k,
                              const SlConvGeom *g);
/* dk (KH, KW, CI, CO) += xp correlated with dout (B, OH, OW, CO): sl_correlate_kernel_grad's
 * sums, from xp = sl_conv_pad(in). */
void sl_conv_kernel_grad_padded(sl_real *dk, const sl_real *xp, const sl_real *dout,
                                const SlConvGeom *g);
/* din (B, H, W, CI) += full correlation(spread(dout), rotate180(k)), the three named steps of
 * sl_conv_input_grad with the spread written straight into its padded copy sp
 * (sl_conv_pad_count(sl_conv_input_grad_geom(g)) elements); kr as there. */
void sl_conv_input_grad_fast(sl_real *din, sl_real *kr, sl_real *sp, const sl_real *dout,
                             const sl_real *k, const SlConvGeom *g);

/* ---- activations ---- */

/* y = f(x) on rows of cols values, rows ld apart (as sl_act_forward_rows), for an activation that
 * has a vector form here (act.c): 1 when done, 0 when the caller should use the plain loop. */
int sl_act_fast_forward(SlAct a, sl_real *y, const sl_real *x, size_t ld, size_t rows, size_t cols);
/* dx += f'(x) dy likewise, from x and y = f(x); with add 0, dx = f'(x) dy. */
int sl_act_fast_backward(SlAct a, sl_real *dx, const sl_real *dy, const sl_real *x,
                         const sl_real *y, size_t ld, size_t rows, size_t cols, int add);
/* y = log(x) for n positive normal numbers (the losses' clipped probabilities), on vectors in the
 * float build: 1 when done, 0 (nothing written) in the double build, which keeps libm's. */
int sl_log_fast(sl_real *y, const sl_real *x, size_t n);

#endif
