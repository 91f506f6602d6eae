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

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "tensor.h"

/* The vectors: an AVX register (32 bytes) where the compiler may use AVX, else 16 bytes (SSE,
 * NEON, WebAssembly's SIMD; plain scalar code where there is none). */
#ifdef __AVX__
#define SL_VEC_BYTES 32
#else
#define SL_VEC_BYTES 16
#endif

/* A tile is MR rows by NR columns, NR two vectors of VL values. A long sum goes in blocks of KC
 * values of k, so that a tile's piece of B (KC by NR) fits the core's first cache; ROW_GROUP tiles
 * down C are taken together, each piece of B serving all of them while it is there. */
enum {
    SL_VL = SL_VEC_BYTES / sizeof(sl_real),
    SL_MR = 6,
    SL_NR = 2 * SL_VL,
    SL_KC = 256,
    SL_ROW_GROUP = 8
};

/* L terms of a tile's sums: for k < L, row i adds a[i][k*cs] times B's row b + k*ldb. */
typedef struct SlRun {
    const sl_real *a[SL_MR]; /* where row i of A starts; rows past the tile's repeat its last */
    size_t cs;               /* from one k to the next along a row of A */
    const sl_real *b;        /* B's first row for this run (column 0 of the product) */
    size_t ldb;              /* from one row of B to the next */
    size_t L;
} SlRun;

typedef sl_real vec __attribute__((vector_size(SL_VEC_BYTES)));

static inline vec load(const sl_real *p)
{
    vec v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline vec splat(sl_real x)
{
    vec v;
    for (int l = 0; l < SL_VL; l++)
        v[l] = x;
    return v;
}

/* a * b + c in every lane, rounded once where the CPU has a fused multiply-add (math.h's
 * FP_FAST_FMA: as fast as a multiply), else as written. Either way the same for every tile. */
static inline vec madd(vec a, vec b, vec c)
{
#if defined(SL_DOUBLE) ? defined(FP_FAST_FMA) : defined(FP_FAST_FMAF)
    vec r;
    for (int l = 0; l < SL_VL; l++)
#ifdef SL_DOUBLE
        r[l] = fma(a[l], b[l], c[l]);
#else
        r[l] = fmaf(a[l], b[l], c[l]);
#endif
    return r;
#else
    return a * b + c;
#endif
}

/* B's row piece of nb <= NR values at p, zeros after them: two vectors. */
static inline void load_b(vec *b0, vec *b1, const sl_real *p, int nb)
{
    if (nb == SL_NR) {
        *b0 = load(p);
        *b1 = load(p + SL_VL);
        return;
    }
    sl_real row[SL_NR] = {0};
    for (int j = 0; j < nb; j++)
        row[j] = p[j];
    *b0 = load(row);
    *b1 = load(row + SL_VL);
}

/* The tile's sums (tile.h), reading nb columns of B; compiled apart for nb = NR. */
static inline void tile_sums(vec acc[SL_MR][2], const SlRun *runs, int n_runs, size_t col, int nb)
{
    for (int r = 0; r < n_runs; r++) {
        const SlRun *run = &runs[r];
        const sl_real *b = run->b + col;
        for (size_t k = 0; k < run->L; k++) {
            vec b0, b1;
            load_b(&b0, &b1, b + k * run->ldb, nb);
#pragma GCC unroll 6
            for (int i = 0; i < SL_MR; i++) {
                vec ai = splat(run->a[i][k * run->cs]);
                acc[i][0] = madd(ai, b0, acc[i][0]);
                acc[i][1] = madd(ai, b1, acc[i][1]);
            }
        }
    }
}

/* C[i*ldc + j] += sum over the runs of a(i, k) b(k, col + j), for i < mr, j < nr (mr <= MR,
 * nr <= NR); or, where row is not NULL, C[i*ldc + j] = row[j] + that sum (C is not read: a
 * layer's bias row under its products). nb columns of each row of B are read from col on, zeros
 * taken after them: NR where B is a whole tile wide (the fast loop), nr at a narrow edge that
 * nobody padded. Every value is computed by the same multiply-adds in the same order whatever
 * mr, nr, nb and the tile's place, so a product split among threads gives the same numbers.
 * Inline: the drivers' loops call it for every tile. */
static inline void sl_tile(sl_real *C, size_t ldc, const sl_real *row, const SlRun *runs,
                           int n_runs, size_t col, int mr, int nr, int nb)
{
    vec acc[SL_MR][2];
    for (int i = 0; i < SL_MR; i++)
        acc[i][0] = acc[i][1] = splat(0);
    if (nb == SL_NR) /* B's rows are a whole tile wide: the loop every full tile runs */
        tile_sums(acc, runs, n_runs, col, SL_NR);
    else
        tile_sums(acc, runs, n_runs, col, nb);
    for (int i = 0; i < mr; i++) {
        sl_real *c = C + (size_t)i * ldc;
        const sl_real *to = row ? row : c; /* what the sums are added to */
        if (nr == SL_NR) {                 /* a whole row of the tile: two vectors */
            vec c0 = load(to) + acc[i][0], c1 = load(to + SL_VL) + acc[i][1];
            memcpy(c, &c0, sizeof c0);
            memcpy(c + SL_VL, &c1, sizeof c1);
            continue;
        }
        for (int j = 0; j < nr; j++)
            c[j] = to[j] + acc[i][j / SL_VL][j % SL_VL];
    }
}

#endif
