/* tile.h: the register tile every fast product is made of (gemm.c, conv.c).
 *
 * A tile is MR rows by NR columns of an output C. Its MR * NR sums are held in vector registers
 * (GCC's and Clang's vector extensions: `vec` is VL values side by side, one AVX register) while
 * k runs, so each k costs MR * 2 vector multiply-adds and loads one row piece of B (NR values)
 * and MR values of A, instead of loading and storing C. With MR = 6 and NR = 2 vectors the 12 sums,
 * the 2 pieces of B and 1 value of A fill 15 of the 16 AVX registers.
 *
 * The terms come in runs of consecutive k (SlRuns): a matrix product has one run per block of K,
 * a convolution one per kernel row or tap. Where A's values sit is the caller's business: row i's
 * values are a[i][aoff + k*cs], so A is read in place (a matrix row, its transpose, a window of an
 * image), never copied. B is row-major: b[boff + k*ldb + j].
 */
#ifndef SL_TILE_H
#define SL_TILE_H

#include <stddef.h>

#include "tensor.h"

enum {
    SL_VL = 32 / sizeof(sl_real), /* values in a vector: 8 floats, or 4 doubles */
    SL_MR = 6,                    /* rows of a tile */
    SL_NR = 2 * SL_VL,            /* columns of a tile: two vectors */
    SL_KC = 256 /* k per block of a long sum: the block of B (KC by N) stays in the core's cache */
};

/* The terms of a tile's sums: run r has L terms, k = 0 .. L-1, reading A's row i at
 * a[i][aoff[r] + k*cs] and B at b[boff[r] + k*ldb + j]. */
typedef struct SlRuns {
    int n;
    size_t L;
    const size_t *aoff, *boff;
} SlRuns;

/* C[i*ldc + j] += sum over the runs of a(i, k) b(k, j), for i < mr, j < nr (mr <= MR, nr <= NR).
 * a holds MR row pointers; rows from mr on are read but not written (point them at a real row).
 * nb columns of each row of B are read, zeros taken after them: NR where B is a whole tile wide
 * (the fast loop), nr at a narrow edge that nobody padded. Every value is computed by the same
 * multiply-adds in the same order whatever mr, nr, nb and the tile's place, so a product split
 * among threads gives the same numbers. */
void sl_tile(sl_real *C, size_t ldc, const sl_real *const a[SL_MR], size_t cs, const sl_real *b,
             size_t ldb, const SlRuns *runs, int mr, int nr, int nb);

#endif
