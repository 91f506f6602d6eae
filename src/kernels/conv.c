/* conv.c: a convolution as the register tiles of gemm.c, over the windows of a padded input.
 *
 * Read it against the layer's plain loop (src/layers/conv.c, sl_correlate):
 *
 *   for each output cell o, tap t inside the input, channel ci:   y[o, :] += x[o*s - p + t*d, ci] K[t, ci, :]
 *
 * Each output cell is a row of a matrix product: its window of the input (every tap, every input
 * channel) times the kernel seen as a matrix (KH*KW*CI, CO). So the same tile as a matrix product
 * serves: MR output cells by NR output channels held in registers while k walks the window. Two
 * things make that walk simple:
 *   - the input is first copied with its padding written out as zeros (sl_conv_pad), so every
 *     window lies inside the copy and no tap needs the plain loop's test for the edge;
 *   - along a kernel row the taps read consecutive cells (dilation 1), so with channels last a
 *     kernel row's taps and channels are KW*CI consecutive values: the window is KH runs of
 *     consecutive k (SlRuns), each row of the tile reading from its own cell's window in place.
 *     With dilation along the row every tap is a run of CI values.
 *
 * The kernel's gradient is the same product turned around: dK (KH*KW*CI, CO) += window^T dout, a
 * tile of kernel values by output channels, k walking the output cells (a run per output row).
 * The input's gradient stays what docs/conv-backprop.md derives: rotate the kernel, spread the
 * output gradient to the stride (written straight into its padded copy), and run the forward's
 * product on them.
 */
#include <string.h>

#include "kernels.h"
#include "tile.h"

enum {
    RUNS_MAX = 64, /* runs per tile call: the tile's sums go to C after each group of them */
    K_BLOCK = 512  /* about this many k per group of the kernel gradient's runs: the output
                      gradient's rows they read stay in the core's cache across the tiles */
};

/* The padded copy: every cell a window reads, B * pad_rows * pad_cols cells of CI values. */
static size_t pad_rows(const SlConvGeom *g)
{
    return (size_t)(g->OH - 1) * (size_t)g->sh + (size_t)(g->KH - 1) * (size_t)g->dh + 1;
}

static size_t pad_cols(const SlConvGeom *g)
{
    return (size_t)(g->OW - 1) * (size_t)g->sw + (size_t)(g->KW - 1) * (size_t)g->dw + 1;
}

size_t sl_conv_pad_count(const SlConvGeom *g)
{
    return (size_t)g->B * pad_rows(g) * pad_cols(g) * (size_t)g->CI;
}

/* xp (B, Hp, Wp, C) = zeros, with src (B, h, w, C)'s cell (i, j) at row top + i*si and column
 * left + j*sj where that falls inside. */
static void place(sl_real *xp, size_t Hp, size_t Wp, const sl_real *src, int B, int h, int w, int C,
                  long top, long left, int si, int sj)
{
    memset(xp, 0, (size_t)B * Hp * Wp * (size_t)C * sizeof *xp);
    for (int b = 0; b < B; b++)
        for (int i = 0; i < h; i++) {
            long r = top + (long)i * si;
            if (r < 0 || r >= (long)Hp)
                continue;
            for (int j = 0; j < w; j++) {
                long col = left + (long)j * sj;
                if (col < 0 || col >= (long)Wp)
                    continue;
                memcpy(xp + (((size_t)b * Hp + (size_t)r) * Wp + (size_t)col) * (size_t)C,
                       src + (((size_t)b * h + i) * w + j) * (size_t)C, (size_t)C * sizeof *xp);
            }
        }
}

void sl_conv_pad(sl_real *xp, const sl_real *in, const SlConvGeom *g)
{
    place(xp, pad_rows(g), pad_cols(g), in, g->B, g->H, g->W, g->CI, g->ph, g->pw, 1, 1);
}

/* ---- out += correlate(xp, k) ---- */

typedef struct Correlate {
    sl_real *out;
    const sl_real *xp, *k;
    const SlConvGeom *g;
    size_t Wp;
    int per_tap; /* a run per tap (the row's taps are apart), else per kernel row */
    int n_runs;  /* KH*KW, or KH */
    size_t L;    /* k per run: CI, or KW*CI */
    int by_rows; /* threads share the output cells (else the output channels) */
} Correlate;

/* Run r's offsets: into a window (from its first cell) and into the kernel matrix's rows. */
static void tap_run(const Correlate *j, int r, size_t *aoff, size_t *boff)
{
    const SlConvGeom *g = j->g;
    int kh = j->per_tap ? r / g->KW : r, kw = j->per_tap ? r % g->KW : 0;
    *aoff = ((size_t)kh * g->dh * j->Wp + (size_t)kw * g->dw) * g->CI;
    *boff = ((size_t)kh * g->KW + kw) * g->CI * g->CO;
}

static void correlate_part(void *ctx, int part, int parts)
{
    const Correlate *j = ctx;
    const SlConvGeom *g = j->g;
    size_t P = (size_t)g->B * g->OH * g->OW, CO = (size_t)g->CO, Hp = pad_rows(g);
    size_t row_tiles = (P + SL_MR - 1) / SL_MR, col_tiles = (CO + SL_NR - 1) / SL_NR;
    size_t m0 = 0, m1 = row_tiles, n0 = 0, n1 = col_tiles;
    if (j->by_rows)
        sl_share(row_tiles, part, parts, &m0, &m1);
    else
        sl_share(col_tiles, part, parts, &n0, &n1);
    SlRun run[RUNS_MAX];
    for (int r0 = 0; r0 < j->n_runs; r0 += RUNS_MAX) {
        int n = j->n_runs - r0 < RUNS_MAX ? j->n_runs - r0 : RUNS_MAX;
        for (size_t ti = m0; ti < m1; ti++) {
            size_t p0 = ti * SL_MR;
            int mr = P - p0 < SL_MR ? (int)(P - p0) : SL_MR;
            const sl_real *cell[SL_MR]; /* where each output cell's window starts */
            for (int i = 0; i < SL_MR; i++) {
                size_t p = p0 + (size_t)(i < mr ? i : mr - 1);
                size_t b = p / ((size_t)g->OH * g->OW), oh = p / g->OW % g->OH, ow = p % g->OW;
                cell[i] = j->xp + ((b * Hp + oh * g->sh) * j->Wp + ow * g->sw) * g->CI;
            }
            for (int r = 0; r < n; r++) { /* a kernel row (or tap) of every window */
                size_t aoff, boff;
                tap_run(j, r0 + r, &aoff, &boff);
                SlRun *ru = &run[r];
                for (int i = 0; i < SL_MR; i++)
                    ru->a[i] = cell[i] + aoff;
                ru->cs = 1, ru->b = j->k + boff, ru->ldb = CO, ru->L = j->L;
            }
            for (size_t tj = n0; tj < n1; tj++) {
                size_t c0 = tj * SL_NR;
                int nr = CO - c0 < SL_NR ? (int)(CO - c0) : SL_NR;
                sl_tile(j->out + p0 * CO + c0, CO, NULL, run, n, c0, mr, nr, nr);
            }
        }
    }
}

void sl_conv_correlate_padded(sl_real *out, const sl_real *xp, const sl_real *k,
                              const SlConvGeom *g)
{
    Correlate j = {out, xp, k, g, pad_cols(g), 0, g->KH, (size_t)g->KW * g->CI, 0};
    if (g->dw > 1 && g->KW > 1) { /* taps apart along the row: a run per tap */
        j.per_tap = 1;
        j.n_runs = g->KH * g->KW;
        j.L = (size_t)g->CI;
    }
    size_t P = (size_t)g->B * g->OH * g->OW;
    j.by_rows = (P + SL_MR - 1) / SL_MR >= ((size_t)g->CO + SL_NR - 1) / SL_NR;
    double work = (double)P * g->CO * g->KH * g->KW * g->CI;
    sl_parallel(correlate_part, &j, sl_parts_for(work));
}

/* ---- dk += xp correlated with dout ---- */

typedef struct KernelGrad {
    sl_real *dk;
    const sl_real *xp, *dout;
    const SlConvGeom *g;
    size_t Wp;
    int by_rows;
} KernelGrad;

static void kernel_grad_part(void *ctx, int part, int parts)
{
    const KernelGrad *j = ctx;
    const SlConvGeom *g = j->g;
    size_t Q = (size_t)g->KH * g->KW * g->CI, CO = (size_t)g->CO, Hp = pad_rows(g);
    size_t row_tiles = (Q + SL_MR - 1) / SL_MR, col_tiles = (CO + SL_NR - 1) / SL_NR;
    size_t m0 = 0, m1 = row_tiles, n0 = 0, n1 = col_tiles;
    if (j->by_rows)
        sl_share(row_tiles, part, parts, &m0, &m1);
    else
        sl_share(col_tiles, part, parts, &n0, &n1);
    /* a run per output row: OW cells, sw*CI apart in the padded input */
    int n_runs = g->B * g->OH, group = (int)(K_BLOCK / (size_t)g->OW);
    group = group < 1 ? 1 : group > RUNS_MAX ? RUNS_MAX : group;
    SlRun run[RUNS_MAX];
    for (int r0 = 0; r0 < n_runs; r0 += group) {
        int n = n_runs - r0 < group ? n_runs - r0 : group;
        for (size_t ti = m0; ti < m1; ti++) {
            size_t q0 = ti * SL_MR;
            int mr = Q - q0 < SL_MR ? (int)(Q - q0) : SL_MR;
            const sl_real *tap[SL_MR]; /* kernel value q = (kh, kw, ci) reads from here on */
            for (int i = 0; i < SL_MR; i++) {
                size_t q = q0 + (size_t)(i < mr ? i : mr - 1), ci = q % g->CI;
                size_t kw = q / g->CI % g->KW, kh = q / g->CI / g->KW;
                tap[i] = j->xp + (kh * g->dh * j->Wp + kw * g->dw) * g->CI + ci;
            }
            for (int r = 0; r < n; r++) { /* output row oh of image b */
                size_t b = (size_t)(r0 + r) / g->OH, oh = (size_t)(r0 + r) % g->OH;
                SlRun *ru = &run[r];
                for (int i = 0; i < SL_MR; i++)
                    ru->a[i] = tap[i] + (b * Hp + oh * g->sh) * j->Wp * g->CI;
                ru->cs = (size_t)g->sw * g->CI;
                ru->b = j->dout + (b * g->OH + oh) * g->OW * CO;
                ru->ldb = CO, ru->L = (size_t)g->OW;
            }
            for (size_t tj = n0; tj < n1; tj++) {
                size_t c0 = tj * SL_NR;
                int nr = CO - c0 < SL_NR ? (int)(CO - c0) : SL_NR;
                sl_tile(j->dk + q0 * CO + c0, CO, NULL, run, n, c0, mr, nr, nr);
            }
        }
    }
}

void sl_conv_kernel_grad_padded(sl_real *dk, const sl_real *xp, const sl_real *dout,
                                const SlConvGeom *g)
{
    KernelGrad j = {dk, xp, dout, g, pad_cols(g), 0};
    size_t Q = (size_t)g->KH * g->KW * g->CI;
    j.by_rows = (Q + SL_MR - 1) / SL_MR >= ((size_t)g->CO + SL_NR - 1) / SL_NR;
    double work = (double)g->B * g->OH * g->OW * g->CO * (double)Q;
    sl_parallel(kernel_grad_part, &j, sl_parts_for(work));
}

/* ---- din += full correlation(spread(dout), rotate180(k)) ---- */

void sl_conv_input_grad_fast(sl_real *din, sl_real *kr, sl_real *sp, const sl_real *dout,
                             const sl_real *k, const SlConvGeom *g)
{
    SlConvGeom full = sl_conv_input_grad_geom(g);
    sl_rotate180(kr, k, g->KH, g->KW, g->CI, g->CO); /* step 1: rotate the kernel */
    place(sp, pad_rows(&full), pad_cols(&full), dout, g->B, g->OH, g->OW, g->CO, full.ph, full.pw,
          g->sh, g->sw);                          /* step 2: undo the stride, pad */
    sl_conv_correlate_padded(din, sp, kr, &full); /* step 3: the forward's product */
}
