/* tile.h: the register tile every fast product is made of (gemm.c, conv.c).
 *
 * A tile is MR rows by NR columns of an output C. Its MR * NR sums are held in vector registers
 * (GCC's and Clang's vector extensions: `vec` is VL values side by side, one AVX register) while
 * k runs, so each k costs MR * 2 vector multiply-adds and loads one row piece of B (NR values)
 * and MR values of A, instead of loading and storing C. With MR = 6 and NR = 2 vectors the 12 sums,
 * the 2 pieces of B and 1 value of A fill 15 of the 16 AVX registers.
 *
 * The terms come in runs of consecutive k (SlRun): a matrix product has one run per block of K,
 * z = x W + h' U two, a convolution one per kernel row or tap. A run says where each of the
 * tile's rows of A starts (A is read in place: a matrix row, its transpose, a window of an image,
 * never copied) and where B's rows are.
 */
#ifndef SL_TILE_H
#define SL_TILE_H

#include <stddef.h>

#include "tensor.h"

enum {
    SL_VL = 32 / sizeof(sl_real), /* values in a vector: 8 floats, or 4 doubles */
    SL_MR = 6,                    /* rows of a tile */
    SL_NR = 2 * SL_VL,            /* columns of a tile: two vectors */
    SL_KC = 256,     /* k per block of a long sum: a tile's piece of B (KC by NR) fits the core's
                    first cache */
    SL_ROW_GROUP = 8 /* tiles down C taken together: each piece of B serves all of them while it
                        is in the first cache, and their rows of A wait in the second */
};

/* L terms of a tile's sums: for k < L, row i adds a[i][k*cs] times B's row b + k*ldb. */
typedef struct SlRun {
    const sl_real *a[SL_MR]; /* where row i of A starts; rows past the tile's repeat its last */
    size_t cs;               /* from one k to the next along a row of A */
    const sl_real *b;        /* B's first row for this run (column 0 of the product) */
    size_t ldb;              /* from one row of B to the next */
    size_t L;
} SlRun;

/* C[i*ldc + j] += sum over the runs of a(i, k) b(k, col + j), for i < mr, j < nr (mr <= MR,
 * nr <= NR). nb columns of each row of B are read from col on, zeros taken after them: NR where
 * B is a whole tile wide (the fast loop), nr at a narrow edge that nobody padded. Every value is
 * computed by the same multiply-adds in the same order whatever mr, nr, nb and the tile's place,
 * so a product split among threads gives the same numbers. */
void sl_tile(sl_real *C, size_t ldc, const SlRun *runs, int n_runs, size_t col, int mr, int nr,
             int nb);

#endif
