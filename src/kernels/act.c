/* act.c: activation functions as loops the compiler turns into vector code.
 *
 * activation.c computes each value in double through a switch on the function (act1, dact1),
 * calling libm's exp and tanh: one value at a time, which no compiler vectorizes. Here the switch
 * is outside the loop, each loop body is a handful of float operations, and exp is written out so
 * that it vectorizes too (exp_f below): eight values per instruction with AVX.
 *
 * exp_f, after Cephes's expf: x = n ln2 + r with n an integer and |r| <= ln2 / 2, then
 * e^x = 2^n e^r, e^r from a polynomial of degree 7 and 2^n written straight into the exponent
 * bits; its error is below 2 units in the last place. tanh is a ratio of two polynomials
 * (tanh_f). tests/check_kernels.c measures every function here against activation.c's. The
 * double build keeps libm for the functions that need exp or tanh: float polynomials would spoil
 * its precision.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"

#ifndef SL_DOUBLE

/* a * b + c, fused where the CPU can (as gemm.c's madd) */
static inline float madd(float a, float b, float c)
{
#ifdef FP_FAST_FMAF
    return fmaf(a, b, c);
#else
    return a * b + c;
#endif
}

/* e^x for x in [-87, 88] (clamped there: below, e^x is under float's smallest normal number). */
static inline float exp_f(float x)
{
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    /* n = round(x / ln2): adding 1.5 * 2^23 leaves no bits for fractions, so the sum is rounded,
     * and n sits in its low bits */
    const float shift = 12582912.0f;
    float t = madd(x, 1.44269504f, shift), n = t - shift;
    float r = madd(n, -0.693359375f, x); /* x - n ln2, ln2 in two parts for accuracy */
    r = madd(n, 2.12194440e-4f, r);
    float p = 1.9875691500e-4f;
    p = madd(p, r, 1.3981999507e-3f);
    p = madd(p, r, 8.3334519073e-3f);
    p = madd(p, r, 4.1665795894e-2f);
    p = madd(p, r, 1.6666665459e-1f);
    p = madd(p, r, 5.0000001201e-1f);
    p = madd(p, r * r, r) + 1.0f; /* e^r */
    int32_t nbits, scale_bits;
    memcpy(&nbits, &t, sizeof nbits);
    scale_bits = (nbits - 0x4B400000 + 127) << 23; /* 2^n: n + 127 in the exponent field */
    float scale;
    memcpy(&scale, &scale_bits, sizeof scale);
    return p * scale;
}

/* e^x - 1, accurate near 0 where e^x - 1 would cancel: a Taylor polynomial for |x| < 1/2. */
static inline float expm1_f(float x)
{
    float p = 1.0f / 40320;
    p = madd(p, x, 1.0f / 5040);
    p = madd(p, x, 1.0f / 720);
    p = madd(p, x, 1.0f / 120);
    p = madd(p, x, 1.0f / 24);
    p = madd(p, x, 1.0f / 6);
    p = madd(p, x, 0.5f);
    p = madd(p, x * x, x);
    float e = exp_f(x) - 1.0f;
    return fabsf(x) < 0.5f ? p : e;
}

static inline float sigmoid_f(float x)
{
    return 1.0f / (1.0f + exp_f(-x));
}

/* tanh: an odd polynomial of degree 13 over an even one of degree 6, a minimax fit on
 * [-7.9, 7.9] (the one Eigen uses for float), past which tanh rounds to +-1 within 3e-7. No exp:
 * about twice as fast as 1 - 2 / (e^2x + 1), within 5 units in the last place. */
static inline float tanh_f(float x)
{
    const float edge = 7.90531110763549805f;
    x = x < -edge ? -edge : x;
    x = x > edge ? edge : x;
    float z = x * x, p = -2.76076847742355e-16f, q = 1.19825839466702e-06f;
    p = madd(p, z, 2.00018790482477e-13f);
    p = madd(p, z, -8.60467152213735e-11f);
    p = madd(p, z, 5.12229709037114e-08f);
    p = madd(p, z, 1.48572235717979e-05f);
    p = madd(p, z, 6.37261928875436e-04f);
    p = madd(p, z, 4.89352455891786e-03f);
    q = madd(q, z, 1.18534705686654e-04f);
    q = madd(q, z, 2.26843463243900e-03f);
    q = madd(q, z, 4.89352518554385e-03f);
    return p * x / q;
}

static const float selu_alpha = 1.67326324f, selu_scale = 1.05070099f;

/* y = f(x) for n values; 0 for a function without a vector form here. */
static inline int forward_row(SlAct a, sl_real *y, const sl_real *x, size_t n)
{
    switch (a) {
    case SL_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++)
            y[i] = sigmoid_f(x[i]);
        return 1;
    case SL_ACT_TANH:
        for (size_t i = 0; i < n; i++)
            y[i] = tanh_f(x[i]);
        return 1;
    case SL_ACT_ELU:
        for (size_t i = 0; i < n; i++) {
            float e = expm1_f(x[i]); /* both sides computed, one kept: a vector select */
            y[i] = x[i] > 0 ? x[i] : e;
        }
        return 1;
    case SL_ACT_SELU:
        for (size_t i = 0; i < n; i++) {
            float e = selu_alpha * expm1_f(x[i]);
            y[i] = selu_scale * (x[i] > 0 ? x[i] : e);
        }
        return 1;
    case SL_ACT_SWISH:
        for (size_t i = 0; i < n; i++)
            y[i] = x[i] * sigmoid_f(x[i]);
        return 1;
    case SL_ACT_RELU:
        for (size_t i = 0; i < n; i++)
            y[i] = x[i] > 0 ? x[i] : 0;
        return 1;
    default:
        return 0;
    }
}

#else /* SL_DOUBLE */

static inline int forward_row(SlAct a, sl_real *y, const sl_real *x, size_t n)
{
    if (a != SL_ACT_RELU)
        return 0;
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] > 0 ? x[i] : 0;
    return 1;
}

#endif

int sl_act_fast_forward(SlAct a, sl_real *y, const sl_real *x, size_t ld, size_t rows, size_t cols)
{
    if (ld == cols) /* rows one after another: one long row, one loop */
        cols *= rows, rows = 1;
    for (size_t r = 0; r < rows; r++)
        if (!forward_row(a, y + r * ld, x + r * ld, cols))
            return 0; /* no vector form: at the first row, before anything was written */
    return 1;
}

/* dx += f'(x) dy for n values, from x and y = f(x), as activation.c's dact1 writes them. */
static inline int backward_row(SlAct a, sl_real *dx, const sl_real *dy, const sl_real *x,
                               const sl_real *y, size_t n)
{
    switch (a) {
    case SL_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++)
            dx[i] += y[i] * (1 - y[i]) * dy[i];
        return 1;
    case SL_ACT_TANH:
        for (size_t i = 0; i < n; i++)
            dx[i] += (1 - y[i] * y[i]) * dy[i];
        return 1;
    case SL_ACT_ELU: /* e^x = y + 1 below zero */
        for (size_t i = 0; i < n; i++) {
            sl_real below = y[i] + 1;
            dx[i] += (x[i] > 0 ? 1 : below) * dy[i];
        }
        return 1;
    case SL_ACT_RELU:
        for (size_t i = 0; i < n; i++)
            dx[i] += x[i] > 0 ? dy[i] : 0;
        return 1;
    default:
        return 0;
    }
}

int sl_act_fast_backward(SlAct a, sl_real *dx, const sl_real *dy, const sl_real *x,
                         const sl_real *y, size_t ld, size_t rows, size_t cols)
{
    if (ld == cols) /* rows one after another: one long row, one loop */
        cols *= rows, rows = 1;
    for (size_t r = 0; r < rows; r++) {
        size_t o = r * ld;
        if (!backward_row(a, dx + o, dy + o, x + o, y + o, cols))
            return 0; /* no vector form: at the first row, before anything was written */
    }
    return 1;
}
