/* gemm.c: the matrix product C += A B, made of the register tiles of tile.h.
 *
 * Read it against Dense's plain loop (dense.c, dense_forward_k):
 *
 *   for r < rows: for i < I: for o < O:   y[r*O + o] += x[r*I + i] * W[i*O + o]
 *
 * That loop is right and vectorizes (the innermost one is an axpy along a row of W), but for each
 * multiply-add it loads and stores a value of y, and it reads all of W once per row. The tile
 * (tile.h) does the same multiply-adds, grouped differently: it keeps MR rows by NR columns of y
 * in registers and walks i once for all of them, so per step it loads NR values of W (one row
 * piece) and MR values of x, and does MR * NR multiply-adds with nothing stored. The product here
 * goes tile by tile, and a long sum (K above SL_KC) block by block, each block's piece of B small
 * enough to stay in the core's first cache while a group of tiles passes over it.
 *
 * Each sum's terms are added in order of k within a block, and the blocks in order; the plain
 * loop adds them in order of k too, but with one rounding per multiply and per add where the
 * tile fuses them (when the CPU can: FP_FAST_FMA), so the two agree to rounding, not to the bit.
 */
#include <string.h>

#include "kernels.h"
#include "tile.h"

/* ---- C += A_1 B_1 + A_2 B_2 + ... ----
 *
 * The terms' sums are cut into groups of at most KC values of k (a long K into blocks; short
 * terms share a group: z = x W + h' U is one), each group one pass of tiles over C, SL_ROW_GROUP
 * tile rows at a time, column by column. */

enum { GROUP_RUNS = 8 }; /* the most runs in a group: more terms than that take more groups */

typedef struct Product {
    sl_real *C;
    size_t ldc, M, N;
    const sl_real *row; /* C = row + the sums (the first group sets, the others add); NULL: C += */
    const SlTerm *terms;
    int n_terms;
    int by_rows; /* threads share the tiles' rows (else their columns) */
} Product;

/* A piece of a term: its k from k0 on, L of them. */
typedef struct Piece {
    int term;
    size_t k0, L;
} Piece;

/* The next group of pieces from (term *t, k *k) on: at most KC values of k, a long K cut in even
 * blocks. Returns how many pieces; 0 when the terms are used up. */
static int next_group(const Product *g, int *t, size_t *k, Piece *piece)
{
    int n = 0;
    size_t used = 0;
    while (*t < g->n_terms && n < GROUP_RUNS) {
        const SlTerm *term = &g->terms[*t];
        size_t blocks = (term->K + SL_KC - 1) / SL_KC, kc = (term->K + blocks - 1) / blocks;
        size_t L = term->K - *k < kc ? term->K - *k : kc;
        if (n > 0 && used + L > SL_KC)
            break;
        piece[n++] = (Piece){*t, *k, L};
        used += L;
        *k += L;
        if (*k == term->K)
            ++*t, *k = 0;
        if (L == kc && blocks > 1)
            break; /* a block of a long sum is a group of its own */
    }
    return n;
}

/* B's columns j0 .. j0+nr of a piece's rows, copied into a panel NR wide with zeros after them:
 * the last tile of a product whose N is not a multiple of NR reads this, so that its loads stay
 * inside B and it runs the same loop as the others. */
static void pack_edge(sl_real *panel, const SlTerm *term, const Piece *pc, size_t j0, int nr)
{
    for (size_t k = 0; k < pc->L; k++)
        for (int j = 0; j < SL_NR; j++)
            panel[k * SL_NR + (size_t)j] =
                j < nr ? term->B[(pc->k0 + k) * term->ldb + j0 + (size_t)j] : 0;
}

/* One tile of a group: rows i0.., columns j0.. (the edge's from the packed panel). */
static void group_tile(const Product *g, SlRun *run, const Piece *piece, int n, size_t i0,
                       size_t j0, const sl_real *panel, const sl_real *row)
{
    int mr = g->M - i0 < SL_MR ? (int)(g->M - i0) : SL_MR;
    int nr = g->N - j0 < SL_NR ? (int)(g->N - j0) : SL_NR;
    size_t packed = 0;
    for (int r = 0; r < n; r++) {
        const SlTerm *term = &g->terms[piece[r].term];
        for (int i = 0; i < SL_MR; i++) /* rows past M repeat the last one */
            run[r].a[i] = term->A.p + (i0 + (size_t)(i < mr ? i : mr - 1)) * term->A.rs +
                          piece[r].k0 * term->A.cs;
        run[r].cs = term->A.cs;
        run[r].L = piece[r].L;
        if (nr < SL_NR) { /* the packed edge */
            run[r].b = panel + packed * SL_NR;
            run[r].ldb = SL_NR;
            packed += piece[r].L;
        } else {
            run[r].b = term->B + piece[r].k0 * term->ldb;
            run[r].ldb = term->ldb;
        }
    }
    sl_tile(g->C + i0 * g->ldc + j0, g->ldc, row ? row + j0 : NULL, run, n, nr < SL_NR ? 0 : j0, mr,
            nr, SL_NR);
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
    Piece piece[GROUP_RUNS];
    SlRun run[GROUP_RUNS];
    int t = 0, n;
    size_t k = 0;
    for (const sl_real *row = g->row; (n = next_group(g, &t, &k, piece)) > 0; row = NULL) {
        for (int r = 0, at = 0; edge < n1 && r < n; at += (int)piece[r].L, r++)
            pack_edge(panel + (size_t)at * SL_NR, &g->terms[piece[r].term], &piece[r], edge * SL_NR,
                      (int)(g->N - edge * SL_NR));
        for (size_t r0 = m0; r0 < m1; r0 += SL_ROW_GROUP)
            for (size_t tj = n0; tj < n1; tj++)
                for (size_t ti = r0; ti < m1 && ti < r0 + SL_ROW_GROUP; ti++)
                    group_tile(g, run, piece, n, ti * SL_MR, tj * SL_NR, panel, row);
    }
}

void sl_gemm_sum_from(sl_real *C, size_t ldc, const sl_real *row, const SlTerm *terms, int n_terms,
                      size_t M, size_t N)
{
    if (M == 0 || N == 0)
        return;
    double work = 0;
    for (int t = 0; t < n_terms; t++)
        work += (double)M * (double)N * (double)terms[t].K;
    if (row && work == 0) { /* no terms to sum: C = row */
        for (size_t i = 0; i < M; i++)
            memcpy(C + i * ldc, row, N * sizeof *C);
        return;
    }
    Product g = {C, ldc, M, N, row, terms, n_terms, 0};
    g.by_rows = (M + SL_MR - 1) / SL_MR >= (N + SL_NR - 1) / SL_NR;
    sl_parallel(product_part, &g, sl_parts_for(work));
}

void sl_gemm_sum(sl_real *C, size_t ldc, const SlTerm *terms, int n_terms, size_t M, size_t N)
{
    sl_gemm_sum_from(C, ldc, NULL, terms, n_terms, M, N);
}

void sl_gemm(sl_real *C, size_t ldc, SlMat A, const sl_real *B, size_t ldb, size_t M, size_t N,
             size_t K)
{
    SlTerm one = {A, B, ldb, K};
    if (K > 0)
        sl_gemm_sum(C, ldc, &one, 1, M, N);
}
