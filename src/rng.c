/* rng.c: splitmix64 and the distributions built on it. */
#include "rng.h"

#include <math.h>

SlRng sl_rng(uint64_t seed)
{
    SlRng r = {seed};
    return r;
}

uint64_t sl_rng_next(SlRng *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double sl_rng_uniform(SlRng *r)
{
    return (double)(sl_rng_next(r) >> 11) * 0x1.0p-53;
}

double sl_rng_range(SlRng *r, double lo, double hi)
{
    return lo + (hi - lo) * sl_rng_uniform(r);
}

double sl_rng_normal(SlRng *r)
{
    /* Box-Muller; 1 - u keeps the logarithm's argument in (0, 1]. */
    double u1 = 1.0 - sl_rng_uniform(r);
    double u2 = sl_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

uint32_t sl_rng_below(SlRng *r, uint32_t n)
{
    /* Multiply-shift: maps 32 random bits onto [0, n) without a modulo. */
    return (uint32_t)(((sl_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}
