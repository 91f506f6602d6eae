/* rng.h: the project's own seeded random numbers, so a seed gives the same run on every machine.
 *
 * splitmix64: state += 0x9E3779B97F4A7C15, then two xor-shift-multiply rounds. Small enough to be
 * written again in tools/make_fixtures.py, which reproduces Dropout's masks exactly.
 */
#ifndef SL_RNG_H
#define SL_RNG_H

#include <stdint.h>

typedef struct SlRng {
    uint64_t state;
} SlRng;

SlRng sl_rng(uint64_t seed);
uint64_t sl_rng_next(SlRng *r);
double sl_rng_uniform(SlRng *r);                     /* [0, 1), 53 random bits */
double sl_rng_range(SlRng *r, double lo, double hi); /* [lo, hi) */
double sl_rng_normal(SlRng *r);                      /* standard normal (Box-Muller) */
uint32_t sl_rng_below(SlRng *r, uint32_t n);         /* uniform integer in [0, n) */

#endif
