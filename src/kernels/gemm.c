/* gemm.c: the register tile (tile.h) and the matrix product C += A B made of tiles.
 *
 * Read it against Dense's plain loop (dense.c, dense_forward_k):
 *
 *   for r < rows: for i < I: for o < O:   y[r*O + o] += x[r*I + i] * W[i*O + o]
 *
 * That loop is right and vectorizes (the innermost one is an axpy along a row of W), but for each
 * multiply-add it loads and stores a value of y, and it reads all of W once per row. The tile
 * below does the same multiply-adds, grouped differently: it keeps MR rows by NR columns of y in
 * registers and walks i once for all of them, so per step it loads NR values of W (one row piece)
 * and MR values of x, and does MR * NR multiply-adds with nothing stored. The product then goes
 * tile by tile, and a long sum (K above SL_KC) goes block by block, each block of B small enough
 * to stay in the core's cache while every tile of C passes over it.
 *
 * Each sum's terms are added in order of k within a block, and the blocks in order; the plain
 * loop adds them in order of k too, but with one rounding per multiply and per add where the
 * tile fuses them (when the CPU can: FP_FAST_FMA), so the two agree to rounding, not to the bit.
 */
#include <math.h>
#include <string.h>

#include "kernels.h"
#include "tile.h"

typedef sl_real vec __attribute__((vector_size(32)));

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
static inline void tile_sums(vec acc[SL_MR][2], const sl_real *const a[SL_MR], size_t cs,
                             const sl_real *b, size_t ldb, const SlRuns *runs, int nb)
{
    for (int r = 0; r < runs->n; r++) {
        const sl_real *br = b + runs->boff[r];
        size_t ar = runs->aoff[r];
        for (size_t k = 0; k < runs->L; k++) {
            vec b0, b1;
            load_b(&b0, &b1, br + k * ldb, nb);
#pragma GCC unroll 6
            for (int i = 0; i < SL_MR; i++) {
                vec ai = splat(a[i][ar + k * cs]);
                acc[i][0] = madd(ai, b0, acc[i][0]);
                acc[i][1] = madd(ai, b1, acc[i][1]);
            }
        }
    }
}

void sl_tile(sl_real *C, size_t ldc, const sl_real *const a[SL_MR], size_t cs, const sl_real *b,
             size_t ldb, const SlRuns *runs, int mr, int nr, int nb)
{
    vec acc[SL_MR][2];
    for (int i = 0; i < SL_MR; i++)
        acc[i][0] = acc[i][1] = splat(0);
    if (nb == SL_NR) /* B's rows are a whole tile wide: the loop every full tile runs */
        tile_sums(acc, a, cs, b, ldb, runs, SL_NR);
    else
        tile_sums(acc, a, cs, b, ldb, runs, nb);
    for (int i = 0; i < mr; i++) {
        sl_real *c = C + (size_t)i * ldc;
        if (nr == SL_NR) { /* a whole row of the tile: two vectors */
            vec c0 = load(c) + acc[i][0], c1 = load(c + SL_VL) + acc[i][1];
            memcpy(c, &c0, sizeof c0);
            memcpy(c + SL_VL, &c1, sizeof c1);
            continue;
        }
        for (int j = 0; j < nr; j++)
            c[j] += acc[i][j / SL_VL][j % SL_VL];
    }
}

/* ---- C += A B ---- */

typedef struct Product {
    sl_real *C;
    size_t ldc;
    SlMat A;
    const sl_real *B;
    size_t ldb, M, N, K;
    int by_rows; /* threads share the tiles' rows (else their columns) */
} Product;

/* B's columns j0 .. j0+nr of rows k0 .. k0+kc, copied into a panel NR wide with zeros after them:
 * the last tile of a product whose N is not a multiple of NR reads this, so that its loads stay
 * inside B and it runs the same code as the others. */
static void pack_edge(sl_real *panel, const sl_real *B, size_t ldb, size_t k0, size_t kc, size_t j0,
                      int nr)
{
    for (size_t k = 0; k < kc; k++)
        for (int j = 0; j < SL_NR; j++)
            panel[k * SL_NR + (size_t)j] = j < nr ? B[(k0 + k) * ldb + j0 + (size_t)j] : 0;
}

static void product_part(void *ctx, int part, int parts)
{
    const Product *g = ctx;
    size_t row_tiles = (g->M + SL_MR - 1) / SL_MR, col_tiles = (g->N + SL_NR - 1) / SL_NR;
    size_t m0 = 0, m1 = row_tiles, n0 = 0, n1 = col_tiles;
    if (g->by_rows)
        sl_share(row_tiles, part, parts, &m0, &m1);
    else
        sl_share(col_tiles, part, parts, &n0, &n1);
    size_t edge = g->N % SL_NR ? col_tiles - 1 : col_tiles; /* the narrow tile's column, if any */
    sl_real panel[SL_KC * SL_NR];
    /* K in blocks of at most KC, all of one size but the last */
    size_t blocks = (g->K + SL_KC - 1) / SL_KC, kc = (g->K + blocks - 1) / blocks;
    for (size_t k0 = 0; k0 < g->K; k0 += kc) {
        size_t len = g->K - k0 < kc ? g->K - k0 : kc, aoff = k0 * g->A.cs, boff = k0 * g->ldb;
        size_t zero = 0;
        SlRuns block = {1, len, &aoff, &boff}, packed = {1, len, &aoff, &zero};
        if (edge < n1)
            pack_edge(panel, g->B, g->ldb, k0, len, edge * SL_NR, (int)(g->N - edge * SL_NR));
        for (size_t ti = m0; ti < m1; ti++) {
            size_t i0 = ti * SL_MR;
            int mr = g->M - i0 < SL_MR ? (int)(g->M - i0) : SL_MR;
            const sl_real *a[SL_MR];
            for (int i = 0; i < SL_MR; i++) /* rows past M repeat the last one */
                a[i] = g->A.p + (i0 + (size_t)(i < mr ? i : mr - 1)) * g->A.rs;
            for (size_t tj = n0; tj < n1; tj++) {
                size_t j0 = tj * SL_NR;
                sl_real *c = g->C + i0 * g->ldc + j0;
                if (tj == edge)
                    sl_tile(c, g->ldc, a, g->A.cs, panel, SL_NR, &packed, mr, (int)(g->N - j0),
                            SL_NR);
                else
                    sl_tile(c, g->ldc, a, g->A.cs, g->B + j0, g->ldb, &block, mr, SL_NR, SL_NR);
            }
        }
    }
}

void sl_gemm(sl_real *C, size_t ldc, SlMat A, const sl_real *B, size_t ldb, size_t M, size_t N,
             size_t K)
{
    if (M == 0 || N == 0 || K == 0)
        return;
    Product g = {C, ldc, A, B, ldb, M, N, K, 0};
    g.by_rows = (M + SL_MR - 1) / SL_MR >= (N + SL_NR - 1) / SL_NR;
    sl_parallel(product_part, &g, sl_parts_for((double)M * (double)N * (double)K));
}
