/* act.c: activation functions on vectors.
 *
 * activation.c computes each value in double through a switch on the function (act1, dact1),
 * calling libm's exp and tanh: one value at a time, which no compiler vectorizes. Here the switch
 * is outside the loop and each function is written on tile.h's vectors, eight floats at a time
 * with AVX: exp is written out (exp_v below), and the clamps that keep its argument in range
 * are one instruction each (clamp). The backward loops are plain arithmetic, which the compiler
 * vectorizes by itself.
 *
 * exp_v, after Cephes's expf: x = n ln2 + r with n an integer and |r| <= ln2 / 2, then
 * e^x = 2^n e^r, e^r from a polynomial of degree 7 and 2^n written straight into the exponent
 * bits; its error is below 2 units in the last place. tanh is a ratio of two polynomials
 * (tanh_v). tests/check_kernels.c measures every function here against activation.c's. The
 * double build keeps libm for the functions that need exp or tanh: float polynomials would spoil
 * its precision.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"
#include "tile.h"

#if defined(__AVX__) || defined(__SSE__)
#include <immintrin.h>
#endif

#ifndef SL_DOUBLE

/* Eight floats at a time with AVX (tile.h's vec), four without; the integers of the same width
 * hold exp's exponent bits and the lanes' masks of comparisons. */
typedef int32_t ivec __attribute__((vector_size(SL_VEC_BYTES)));

/* m ? a : b in every lane (m from a comparison: all ones or all zeros) */
static inline vec select(ivec m, vec a, vec b)
{
    return (vec)((m & (ivec)a) | (~m & (ivec)b));
}

/* x clamped to [lo, hi] in every lane, a NaN kept. x86's maxps and minps do each side in one
 * instruction (they return their second operand where a lane is NaN: x's); elsewhere the lanes
 * one by one. A comparison and a blend per side cost sigmoid a third of its time. */
static inline vec clamp(vec x, float lo, float hi)
{
#if defined(__AVX__)
    return _mm256_min_ps(_mm256_set1_ps(hi), _mm256_max_ps(_mm256_set1_ps(lo), x));
#elif defined(__SSE__)
    return _mm_min_ps(_mm_set1_ps(hi), _mm_max_ps(_mm_set1_ps(lo), x));
#else
    for (int l = 0; l < SL_VL; l++)
        x[l] = lo > x[l] ? lo : hi < x[l] ? hi : x[l];
    return x;
#endif
}

/* e^x for x in [-87, 88] (clamped there: below, e^x is under float's smallest normal number). */
static inline vec exp_v(vec x)
{
    x = clamp(x, -87.0f, 88.0f);
    /* n = round(x / ln2): adding 1.5 * 2^23 leaves no bits for fractions, so the sum is rounded,
     * and n sits in its low bits */
    const vec shift = splat(12582912.0f);
    vec t = madd(x, splat(1.44269504f), shift), n = t - shift;
    vec r = madd(n, splat(-0.693359375f), x); /* x - n ln2, ln2 in two parts for accuracy */
    r = madd(n, splat(2.12194440e-4f), r);
    vec p = splat(1.9875691500e-4f);
    p = madd(p, r, splat(1.3981999507e-3f));
    p = madd(p, r, splat(8.3334519073e-3f));
    p = madd(p, r, splat(4.1665795894e-2f));
    p = madd(p, r, splat(1.6666665459e-1f));
    p = madd(p, r, splat(5.0000001201e-1f));
    p = madd(p, r * r, r) + splat(1);                /* e^r */
    ivec scale = ((ivec)t - 0x4B400000 + 127) << 23; /* 2^n: n + 127 in the exponent field */
    return p * (vec)scale;
}

/* e^x - 1, accurate near 0 where e^x - 1 would cancel: a Taylor polynomial for |x| < 1/2. */
static inline vec expm1_v(vec x)
{
    vec p = splat(1.0f / 40320);
    p = madd(p, x, splat(1.0f / 5040));
    p = madd(p, x, splat(1.0f / 720));
    p = madd(p, x, splat(1.0f / 120));
    p = madd(p, x, splat(1.0f / 24));
    p = madd(p, x, splat(1.0f / 6));
    p = madd(p, x, splat(0.5f));
    p = madd(p, x * x, x);
    return select((x < splat(0.5f)) & (x > splat(-0.5f)), p, exp_v(x) - splat(1));
}

static inline vec sigmoid_v(vec x)
{
    return splat(1) / (splat(1) + exp_v(-x));
}

/* tanh: an odd polynomial of degree 13 over an even one of degree 6, a minimax fit on
 * [-7.9, 7.9] (the one Eigen uses for float), past which tanh rounds to +-1 within 3e-7. No exp:
 * about twice as fast as 1 - 2 / (e^2x + 1), within 5 units in the last place. */
static inline vec tanh_v(vec x)
{
    const float edge = 7.90531110763549805f;
    x = clamp(x, -edge, edge);
    vec z = x * x, p = splat(-2.76076847742355e-16f), q = splat(1.19825839466702e-06f);
    p = madd(p, z, splat(2.00018790482477e-13f));
    p = madd(p, z, splat(-8.60467152213735e-11f));
    p = madd(p, z, splat(5.12229709037114e-08f));
    p = madd(p, z, splat(1.48572235717979e-05f));
    p = madd(p, z, splat(6.37261928875436e-04f));
    p = madd(p, z, splat(4.89352455891786e-03f));
    q = madd(q, z, splat(1.18534705686654e-04f));
    q = madd(q, z, splat(2.26843463243900e-03f));
    q = madd(q, z, splat(4.89352518554385e-03f));
    return p * x / q;
}

/* log x for x a positive normal number, after Cephes's logf: x = m 2^e with m in [sqrt(1/2),
 * sqrt(2)) read from x's bits, log x = e ln2 + log(1 + f), f = m - 1, log(1 + f) = f - f^2/2 +
 * f^3 P(f), P of degree 8; within 2 units in the last place. */
static inline vec log_v(vec x)
{
    ivec bits = (ivec)x;
    ivec e = (bits >> 23) - 127;
    vec m = (vec)((bits & 0x007fffff) | 0x3f800000); /* in [1, 2) */
    ivec big = m > splat(1.41421356f);
    m = select(big, m * splat(0.5f), m);
    vec E = __builtin_convertvector(e - big, vec); /* big is -1 where m was halved */
    vec f = m - splat(1), z = f * f, p = splat(7.0376836292e-2f);
    p = madd(p, f, splat(-1.1514610310e-1f));
    p = madd(p, f, splat(1.1676998740e-1f));
    p = madd(p, f, splat(-1.2420140846e-1f));
    p = madd(p, f, splat(1.4249322787e-1f));
    p = madd(p, f, splat(-1.6668057665e-1f));
    p = madd(p, f, splat(2.0000714765e-1f));
    p = madd(p, f, splat(-2.4999993993e-1f));
    p = madd(p, f, splat(3.3333331174e-1f));
    vec y = f * z * p;
    y = madd(E, splat(-2.12194440e-4f), y); /* ln2 in two parts, as exp_v */
    y = madd(z, splat(-0.5f), y);
    return madd(E, splat(0.693359375f), f + y);
}

static const float selu_alpha = 1.67326324f, selu_scale = 1.05070099f;

static inline vec elu_v(vec x)
{
    return select(x > splat(0), x, expm1_v(x)); /* both sides computed, one kept */
}

static inline vec selu_v(vec x)
{
    return splat(selu_scale) * select(x > splat(0), x, splat(selu_alpha) * expm1_v(x));
}

static inline vec swish_v(vec x)
{
    return x * sigmoid_v(x);
}

static inline vec relu_v(vec x)
{
    return select(x > splat(0), x, splat(0));
}

/* y = f(x) on rows of n values, ld apart: a vector at a time, the last few of a row through one
 * vector padded with zeros. Inline, with f known where it is called: the compiler makes each a
 * loop of its own, its constants loaded once for all the rows. */
static inline void map(sl_real *y, const sl_real *x, size_t ld, size_t rows, size_t n,
                       vec (*f)(vec))
{
    for (size_t r = 0; r < rows; r++, x += ld, y += ld) {
        size_t i = 0;
        for (; i + SL_VL <= n; i += SL_VL) {
            vec v = f(load(x + i));
            memcpy(y + i, &v, sizeof v);
        }
        if (i < n) {
            sl_real last[SL_VL] = {0};
            memcpy(last, x + i, (n - i) * sizeof *last);
            vec v = f(load(last));
            memcpy(y + i, &v, (n - i) * sizeof *y);
        }
    }
}

/* y = f(x) on rows of n values, ld apart; 0 for a function without a vector form here. */
static int forward_rows(SlAct a, sl_real *y, const sl_real *x, size_t ld, size_t rows, size_t n)
{
    switch (a) {
    case SL_ACT_SIGMOID:
        map(y, x, ld, rows, n, sigmoid_v);
        return 1;
    case SL_ACT_TANH:
        map(y, x, ld, rows, n, tanh_v);
        return 1;
    case SL_ACT_ELU:
        map(y, x, ld, rows, n, elu_v);
        return 1;
    case SL_ACT_SELU:
        map(y, x, ld, rows, n, selu_v);
        return 1;
    case SL_ACT_SWISH:
        map(y, x, ld, rows, n, swish_v);
        return 1;
    case SL_ACT_RELU:
        map(y, x, ld, rows, n, relu_v);
        return 1;
    default:
        return 0;
    }
}

#else /* SL_DOUBLE */

static int forward_rows(SlAct a, sl_real *y, const sl_real *x, size_t ld, size_t rows, size_t n)
{
    if (a != SL_ACT_RELU)
        return 0;
    for (size_t r = 0; r < rows; r++, x += ld, y += ld)
        for (size_t i = 0; i < n; i++)
            y[i] = x[i] > 0 ? x[i] : 0;
    return 1;
}

#endif

int sl_act_fast_forward(SlAct a, sl_real *y, const sl_real *x, size_t ld, size_t rows, size_t cols)
{
    if (ld == cols) /* rows one after another: one long row, one loop */
        cols *= rows, rows = 1;
    return forward_rows(a, y, x, ld, rows, cols); /* 0, nothing written: no vector form */
}

/* dx += f'(x) dy for n values, from x and y = f(x), as activation.c's dact1 writes them; with add
 * 0, dx = f'(x) dy (dx is not read). */
static inline int backward_row(SlAct a, sl_real *dx, const sl_real *dy, const sl_real *x,
                               const sl_real *y, size_t n, int add)
{
    switch (a) {
    case SL_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++)
            dx[i] = (add ? dx[i] : 0) + y[i] * (1 - y[i]) * dy[i];
        return 1;
    case SL_ACT_TANH:
        for (size_t i = 0; i < n; i++)
            dx[i] = (add ? dx[i] : 0) + (1 - y[i] * y[i]) * dy[i];
        return 1;
    case SL_ACT_ELU: /* e^x = y + 1 below zero */
        for (size_t i = 0; i < n; i++) {
            sl_real below = y[i] + 1;
            dx[i] = (add ? dx[i] : 0) + (x[i] > 0 ? 1 : below) * dy[i];
        }
        return 1;
    case SL_ACT_RELU:
        for (size_t i = 0; i < n; i++)
            dx[i] = (add ? dx[i] : 0) + (x[i] > 0 ? dy[i] : 0);
        return 1;
    default:
        return 0;
    }
}

int sl_act_fast_backward(SlAct a, sl_real *dx, const sl_real *dy, const sl_real *x,
                         const sl_real *y, size_t ld, size_t rows, size_t cols, int add)
{
    if (ld == cols) /* rows one after another: one long row, one loop */
        cols *= rows, rows = 1;
    for (size_t r = 0; r < rows; r++) {
        size_t o = r * ld;
        if (!backward_row(a, dx + o, dy + o, x + o, y + o, cols, add))
            return 0; /* no vector form: at the first row, before anything was written */
    }
    return 1;
}

int sl_log_fast(sl_real *y, const sl_real *x, size_t n)
{
#ifndef SL_DOUBLE
    map(y, x, n, 1, n, log_v);
    return 1;
#else
    (void)y, (void)x, (void)n;
    return 0;
#endif
}
