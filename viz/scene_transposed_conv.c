/* scene_transposed_conv.c: the first Conv1DTranspose or Conv2DTranspose of a model, two ways
 * (QUESTIONS.md item 18, docs/conv-backprop.md):
 *   left   the scatter: each input cell stamps a copy of the kernel, times its value, into the
 *          output, `strides` cells after its neighbour's stamp; where stamps overlap they add;
 *   right  the same numbers as a Conv2D's input gradient (the conv-backprop scene's steps): x spread
 *          to the stride with zeros between, padded, and correlated with rotate180(K).
 * One input channel and one filter (the first of each), with the layer's real kernel and a seeded
 * sample (or the learner's, -x). The steps stamp the input cells one by one (the first ones, then the rest at once), then
 * run the correlation, then sum every input channel's part and add the bias: the layer's output.
 * Every panel is drawn at every step (the PNG shows the whole story); the current step's parts are
 * framed. Between two steps the stamping cell moves on and its stamp flows into the scatter.
 * Channels and filters are counted from 0, as the conv2d scene does. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "layers/conv.h"
#include "scene.h"
#include "scene_conv.h"
#include "widgets.h"

enum { TC_MAX_STAMPS = 12, TC_MAX_CELLS = 96 };

typedef struct TcRun {
    int node, rank;
    SlConvGeom g; /* one sample, one channel in, one filter: the Conv whose input gradient it is */
    int CI, F;    /* the layer's input channels and filters */
    int PH, PW;   /* the padded spread: the cells the rotated kernel visits */
    int n_stamps; /* steps that stamp; the last of them stamps every cell left */
    double diff;  /* largest |scatter - correlation| */
    double out_diff; /* largest |all channels + bias - the layer's output| */
    /* (rows, cols) planes */
    sl_real *x;    /* input channel 0: (OH, OW) of g, the transposed layer's input */
    sl_real *k;    /* K[:, :, 0, 0]: (KH, KW) */
    sl_real *kr;   /* rotate180 of it */
    sl_real *sp;   /* x spread to the stride */
    sl_real *corr; /* the correlation: (H, W) of g */
    sl_real *scat; /* the scatter of the stamps so far, for drawing */
    sl_real *sum;  /* every channel + bias, filter 0 */
    sl_real *out;  /* the layer's recorded output, filter 0 */
} TcRun;

/* The scene draws a kernel's stamps cell by cell: an output that fits. */
static int tc_can_draw(const SlModel *m, int node)
{
    const SlLayer *l = m->nodes[node].layer;
    const SlShape *out = &m->nodes[node].sym.out[0];
    SlWindowGeom w;
    for (int a = 0; a < out->rank - 2; a++) {
        int n = out->dim[1 + a];
        if (n == SL_NONE || !l->type->window(l, a, &w) || n + sl_conv_span(w.k, w.d) > TC_MAX_CELLS)
            return 0;
    }
    return 1;
}

/* The output cells input cell (i, j) stamps (a kernel's taps from row i*sh - ph, col j*sw - pw),
 * times v, added to y (H, W). */
static void stamp(sl_real *y, const SlConvGeom *g, const sl_real *k, int i, int j, sl_real v)
{
    for (int a = 0; a < g->KH; a++)
        for (int b = 0; b < g->KW; b++) {
            int r = i * g->sh - g->ph + a * g->dh, q = j * g->sw - g->pw + b * g->dw;
            if (r >= 0 && r < g->H && q >= 0 && q < g->W)
                y[r * g->W + q] += v * k[a * g->KW + b];
        }
}

static double max_diff(const sl_real *a, const sl_real *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs((double)a[i] - (double)b[i]));
    return m;
}

/* The geometry from the layer's facts: its window along each axis (transposed: the stride, the
 * dilation and the cells cut before) gives the Conv whose input gradient the layer computes. */
static SlConvGeom tc_geom(const SlLayer *l, int rank, const SlShape *in, const SlShape *out)
{
    SlWindowGeom rows = {.k = 1, .s = 1, .d = 1}, cols;
    if (rank == 2) {
        l->type->window(l, 0, &rows);
        l->type->window(l, 1, &cols);
    } else {
        l->type->window(l, 0, &cols); /* a 1-D layer's steps are the columns */
    }
    SlConvGeom g = {.B = 1,
                    .H = rank == 2 ? out->dim[1] : 1,
                    .W = out->dim[rank],
                    .OH = rank == 2 ? in->dim[1] : 1,
                    .OW = in->dim[rank],
                    .CI = 1,
                    .CO = 1,
                    .KH = rows.k,
                    .KW = cols.k,
                    .sh = rows.s,
                    .sw = cols.s,
                    .dh = rows.d,
                    .dw = cols.d,
                    .ph = rows.before,
                    .pw = cols.before};
    return g;
}

static int tc_prepare(SlSceneRun *run, SlError *e)
{
    SlModel *m = run->m;
    int node = sl_scene_node(m, run->scene);
    if (node < 0)
        return sl_errorf(e, "the transposed-conv scene needs a Conv1DTranspose or Conv2DTranspose "
                            "layer small enough to draw cell by cell");
    if (sl_scene_record_forward(run, e) < 0)
        return -1;
    TcRun *d = sl_alloc_zero(1, sizeof *d);
    if (!d)
        return sl_errorf(e, "out of memory");
    run->priv = d;
    d->node = node;
    const SlNode *nd = &m->nodes[node];
    const SlLayer *l = nd->layer;
    const SlShape *in = &m->t[nd->in[0]].run, *out = &m->t[nd->out[0]].run;
    d->rank = in->rank - 2;
    SlConvGeom g = tc_geom(l, d->rank, in, out);
    d->g = g;
    d->CI = in->dim[in->rank - 1];
    d->F = out->dim[out->rank - 1];
    d->PH = g.H + (g.KH - 1) * g.dh;
    d->PW = g.W + (g.KW - 1) * g.dw;
    int cells = g.OH * g.OW;
    d->n_stamps = cells < TC_MAX_STAMPS ? cells : TC_MAX_STAMPS;
    size_t nx = (size_t)cells, nk = (size_t)g.KH * g.KW, ny = (size_t)g.H * g.W,
           nsp = sl_spread_count(&g);
    /* the whole layer, for its output: every channel and filter */
    SlConvGeom full = g;
    full.CI = d->F, full.CO = d->CI;
    size_t nz = ny * d->F, nkf = nk * d->F * d->CI, nspf = sl_spread_count(&full);
    sl_real *buf = sl_alloc_zero(nx + 2 * nk + nsp + 4 * ny + nz + nkf + nspf, sizeof *buf);
    if (!buf)
        return sl_errorf(e, "out of memory");
    d->x = buf;
    d->k = d->x + nx, d->kr = d->k + nk, d->sp = d->kr + nk;
    d->corr = d->sp + nsp, d->scat = d->corr + ny, d->sum = d->scat + ny, d->out = d->sum + ny;
    sl_real *z = d->out + ny, *krf = z + nz, *spf = krf + nkf;
    const sl_real *X = m->t[nd->in[0]].val, *K = l->params[0].value.data; /* K (kh, kw, F, CI) */
    const sl_real *Y = m->t[nd->out[0]].val;
    for (size_t i = 0; i < nx; i++)
        d->x[i] = X[i * d->CI];
    for (size_t t = 0; t < nk; t++)
        d->k[t] = K[t * d->F * d->CI];
    /* right: the Conv's input gradient, channel 0 to filter 0 (sl_conv_input_grad's three steps) */
    sl_conv_input_grad(d->corr, d->kr, d->sp, d->x, d->k, &g);
    /* left: every stamp, to compare */
    for (int i = 0; i < g.OH; i++)
        for (int j = 0; j < g.OW; j++)
            stamp(d->scat, &g, d->k, i, j, d->x[i * g.OW + j]);
    d->diff = max_diff(d->scat, d->corr, ny);
    /* the layer: all channels, plus the bias, as its forward pass does */
    const sl_real *bias = l->n_params > 1 ? l->params[1].value.data : NULL;
    for (size_t i = 0; i < ny; i++)
        for (int f = 0; f < d->F; f++)
            z[i * d->F + f] = bias ? bias[f] : 0;
    sl_conv_input_grad(z, krf, spf, X, K, &full);
    for (size_t i = 0; i < ny; i++)
        d->sum[i] = z[i * d->F], d->out[i] = Y[i * d->F];
    d->out_diff = max_diff(d->sum, d->out, ny);
    run->n_steps = d->n_stamps + 2;
    return 0;
}

static void tc_release(SlSceneRun *run)
{
    TcRun *d = run->priv;
    if (d)
        sl_free(d->x);
    sl_free(d);
    run->priv = NULL;
}

static int text_w(const char *t)
{
    return sl_text_width(t, SL_TEXT_LABEL);
}

/* A cell size of at most `room` and 60 units (room for a number), and at least `least`. */
static int clamp_cell(int want, int least, int room)
{
    want = want < room ? want : room;
    want = want < 60 ? want : 60;
    return want > least ? want : least;
}

/* The spread x with the padding the correlation reads around it (hatched), one scale under the
 * whole. Returns the height used. */
static int padded_spread(SlCanvas *c, const TcRun *d, int x, int y, int cell, const char *title)
{
    SlConvGeom r = sl_conv_input_grad_geom(&d->g);
    int lh = sl_text_height(SL_TEXT_LABEL) + 4, by = y + lh, neg;
    int after_h = d->PH - r.ph - r.H, after_w = d->PW - r.pw - r.W;
    double range = sl_range_of(d->sp, (size_t)r.H * r.W, &neg);
    sl_canvas_text(c, x, y, title, SL_TEXT_LABEL, SL_INK);
    sl_conv_cells(c, x + r.pw * cell, by + r.ph * cell, d->sp, r.H, r.W, cell, SL_ROLE_INPUT, range,
                  1, "x spread");
    sl_conv_padding_cells(c, x, by, 0, d->PW, r.ph, cell);
    sl_conv_padding_cells(c, x, by + (r.ph + r.H) * cell, 0, d->PW, after_h, cell);
    sl_conv_padding_cells(c, x, by + r.ph * cell, 0, r.pw, r.H, cell);
    sl_conv_padding_cells(c, x, by + r.ph * cell, r.pw + r.W, after_w, r.H, cell);
    int w = d->PW * cell < 260 ? d->PW * cell : 260, sw = sl_scale_min_width(range, neg);
    sl_draw_scale(c, x, by + d->PH * cell + 6, w > sw ? w : sw, range, neg, SL_ROLE_INPUT);
    return lh + d->PH * cell + 6 + sl_scale_height();
}

typedef struct Box { /* a panel's cells, for the frame that marks a step */
    double x, y, w, h;
} Box;

/* Where the frames stand at step st: the stamps build the scatter; then the correlation's inputs
 * and its result; then the layer's output. Returns how many (1 or 2). */
static int focus_of(const TcRun *d, int st, const Box *scatter, const Box *spread, const Box *corr,
                    const Box *out, Box f[2])
{
    if (st < d->n_stamps) {
        f[0] = *scatter;
        return 1;
    }
    if (st == d->n_stamps) {
        f[0] = *spread, f[1] = *corr;
        return 2;
    }
    f[0] = *out;
    return 1;
}

/* The frames between step st and the next, t of the way: each moves to its place at the next
 * step (one frame splits into two, or two merge into one). */
static void draw_focus_between(SlCanvas *c, const Box *a, int na, const Box *b, int nb, double t)
{
    int n = na > nb ? na : nb;
    for (int i = 0; i < n; i++) {
        const Box *p = &a[i < na ? i : na - 1], *q = &b[i < nb ? i : nb - 1];
        sl_draw_focus(c, sl_lerp(p->x, q->x, t), sl_lerp(p->y, q->y, t), sl_lerp(p->w, q->w, t),
                      sl_lerp(p->h, q->h, t));
    }
}

/* "3" or "3 (rows) and 2 (columns)" for a value along each axis. */
static void per_axis(char *out, size_t n, int rank, int rows, int cols)
{
    if (rank == 2 && rows != cols)
        snprintf(out, n, "%d (rows) and %d (columns)", rows, cols);
    else
        snprintf(out, n, "%d", rank == 2 ? rows : cols);
}

static void tc_draw(const SlSceneRun *run, double at, SlCanvas *c)
{
    TcRun *d = run->priv;
    const SlConvGeom *g = &d->g;
    const SlLayer *l = run->m->nodes[d->node].layer;
    int rank = d->rank;
    double tw;
    int st = sl_scene_step(run, at, &tw), said = sl_scene_caption_step(run, at);
    int nx = st + 1 < run->n_steps ? st + 1 : st;
    int cells = g->OH * g->OW, stamped = st < d->n_stamps - 1 ? st + 1 : cells;
    /* the input cell stamping now (the last stamping step stamps all the rest: -1) */
    int cur = st < d->n_stamps - 1 ? st : -1, next = nx < d->n_stamps - 1 ? nx : -1;
    int ci = cur >= 0 ? cur / g->OW : 0, cj = cur >= 0 ? cur % g->OW : 0;
    /* on the way to the next stamping cell; else where it is */
    double mi = next >= 0 && cur >= 0 ? sl_lerp(ci, next / g->OW, tw) : ci,
           mj = next >= 0 && cur >= 0 ? sl_lerp(cj, next % g->OW, tw) : cj;
    SlConvGeom r = sl_conv_input_grad_geom(g);
    char title[256], caption[800], t1[128], t2[64], t3[64];
    sl_canvas_clear(c, SL_PAPER);
    static const SlRole roles[] = {SL_ROLE_INPUT, SL_ROLE_WEIGHT, SL_ROLE_OUTPUT, SL_ROLE_PADDING};
    int n_roles = d->PH > r.H || d->PW > r.W ? 4 : 3;
    snprintf(title, sizeof title, "%s (%s) = a Conv%dD's input gradient", l->name, l->type->name,
             rank);
    int top = sl_scene_title(c, title, sl_legend_width(roles, n_roles) + 16) + 14;
    sl_draw_legend(c, c->w - sl_legend_width(roles, n_roles) - 12, 10, roles, n_roles);
    int lh = sl_text_height(SL_TEXT_LABEL) + 4; /* a panel's title line and its gap */
    int sh = 6 + sl_scale_height();             /* and its scale under the cells */
    int dl = sl_text_height(SL_TEXT_LABEL) + 8; /* the "largest difference" line */
    /* Cell sizes: row A first keeps room for the kernels with their numbers, row B's two
     * outputs (the result) take the rest of the height, and row A fits x and the padded spread
     * in what row B leaves, each as large as it can be. */
    int half = (c->w - 80) / 2, x0 = 20, x1 = x0 + half + 40, gap = 24, narrow = c->w < 1100;
    int avail = c->h - top - sl_scene_caption_height() - 2 * (lh + sh) - gap - dl - 12;
    int kernel_h = g->KH * clamp_cell(60, 3, (half / 3) / g->KW);
    kernel_h = kernel_h < avail / 2 ? kernel_h : avail / 2;
    int cell = clamp_cell((avail - kernel_h) / g->H, 3, half / g->W);
    int row_h = avail - g->H * cell;
    int kcell = clamp_cell(row_h / g->KH, 3, (half / 3) / g->KW);
    int scell = clamp_cell(row_h / d->PH, 3, (half - gap - g->KW * kcell) / d->PW);
    int xcell = clamp_cell(row_h / g->OH, 3, (half - 2 * gap - g->KW * kcell) / (2 * g->OW));

    /* left, row A: x (channel 0), the kernel slice, and the layer's output (every channel) */
    int y = top, h, ha;
    if (d->CI > 1)
        snprintf(t1, sizeof t1, narrow ? "x ch 0" : "x, channel 0 (of %d)", d->CI);
    else
        snprintf(t1, sizeof t1, "x");
    ha = sl_conv_panel(c, x0, y, t1, d->x, g->OH, g->OW, xcell, SL_ROLE_INPUT, 1);
    if (cur >= 0) /* the cell that stamps, moving on to the next */
        sl_canvas_round_frame(c, x0 + mj * xcell - 2, y + lh + mi * xcell - 2, xcell + 4, xcell + 4,
                              3, 3, SL_HIGHLIGHT);
    int kx = x0 + (g->OW * xcell > text_w(t1) ? g->OW * xcell : text_w(t1)) + gap;
    if (narrow)
        snprintf(t1, sizeof t1, "K");
    else if (rank == 1)
        snprintf(t1, sizeof t1, "K (%d taps)", g->KW);
    else
        snprintf(t1, sizeof t1, "K (%dx%d)", g->KH, g->KW);
    h = sl_conv_panel(c, kx, y, t1, d->k, g->KH, g->KW, kcell, SL_ROLE_WEIGHT, 1);
    ha = ha > h ? ha : h;
    int ox = kx + (g->KW * kcell > text_w(t1) ? g->KW * kcell : text_w(t1)) + gap;
    const char *ot = narrow || text_w("layer output, filter 0") > x0 + half - ox
                         ? "layer output"
                         : "layer output, filter 0";
    int ocell = clamp_cell(row_h / g->H, 0, (x0 + half - ox) / g->W);
    ocell = ocell < cell ? ocell : cell;
    int out_in_row_a = ocell >= 3 && text_w(ot) <= x0 + half - ox;
    Box out_box = {0, 0, 0, 0};
    if (out_in_row_a) {
        h = sl_conv_panel(c, ox, y, ot, d->out, g->H, g->W, ocell, SL_ROLE_OUTPUT, 1);
        ha = ha > h ? ha : h;
        out_box = (Box){ox, y + lh, g->W * ocell, g->H * ocell};
    }
    /* right, row A: the spread x, padded, and the rotated kernel */
    per_axis(t2, sizeof t2, rank, g->sh, g->sw);
    per_axis(t3, sizeof t3, rank, r.ph, r.pw);
    snprintf(t1, sizeof t1, narrow ? "x spread, padded" : "x spread by %s, padded by %s", t2, t3);
    if (text_w(t1) > half - gap - g->KW * kcell - gap)
        snprintf(t1, sizeof t1, "x spread, padded");
    h = padded_spread(c, d, x1, y, scell, t1);
    ha = ha > h ? ha : h;
    int rx = x1 + (d->PW * scell > text_w(t1) ? d->PW * scell : text_w(t1)) + gap;
    sl_conv_panel(c, rx, y, "rotate180(K)", d->kr, g->KH, g->KW, kcell, SL_ROLE_WEIGHT, 1);
    Box spread_box = {x1, y + lh, rx + g->KW * kcell - x1, ha - lh - sh};
    if (cur >= 0) /* where the stamping cell sits in the spread */
        sl_canvas_round_frame(c, x1 + (r.pw + mj * g->sw) * scell - 2,
                              y + lh + (r.ph + mi * g->sh) * scell - 2, scell + 4, scell + 4, 3, 3,
                              SL_HIGHLIGHT);

    /* row B: the scatter so far = the correlation; the left one ends where "=" stands. Between
     * two steps the next stamp flows in: its share grows with the motion. */
    int yb = top + ha + gap;
    for (int i = 0; i < g->H * g->W; i++)
        d->scat[i] = 0;
    for (int k = 0; k < stamped; k++)
        stamp(d->scat, g, d->k, k / g->OW, k % g->OW, d->x[k]);
    int upto = nx < d->n_stamps - 1 ? nx + 1 : cells; /* the stamps the next step has */
    for (int k = stamped; k < upto && st < d->n_stamps; k++)
        stamp(d->scat, g, d->k, k / g->OW, k % g->OW, (sl_real)(tw * (double)d->x[k]));
    snprintf(t1, sizeof t1, narrow ? "%d of %d stamps" : "the scatter: %d of %d stamps added",
             stamped, cells);
    int neg;
    double range = sl_range_of(d->corr, (size_t)g->H * g->W, &neg); /* the scatter's at the end */
    int lx = x0 + half - (g->W * cell > text_w(t1) ? g->W * cell : text_w(t1));
    sl_canvas_text(c, lx, yb, t1, SL_TEXT_LABEL, SL_INK);
    sl_conv_cells(c, lx, yb + lh, d->scat, g->H, g->W, cell, SL_ROLE_OUTPUT, range, 1,
                  "the scatter");
    int sw = sl_scale_min_width(range, neg), pw = g->W * cell < 260 ? g->W * cell : 260;
    sl_draw_scale(c, lx, yb + lh + g->H * cell + 6, pw > sw ? pw : sw, range, neg, SL_ROLE_OUTPUT);
    Box scatter_box = {lx, yb + lh, g->W * cell, g->H * cell};
    const char *ct = narrow ? "correlation" : "the correlation: the same numbers";
    sl_conv_panel(c, x1, yb, ct, d->corr, g->H, g->W, cell, SL_ROLE_OUTPUT, 1);
    Box corr_box = {x1, yb + lh, g->W * cell, g->H * cell};
    if (cur >= 0) /* the stamp's cells, on both outputs, moving with the stamping cell */
        for (int side = 0; side < 2; side++) {
            int px = side ? x1 : lx, py = yb + lh;
            sl_canvas_clip(c, px, py, g->W * cell, g->H * cell);
            for (int a = 0; a < g->KH; a++)
                for (int b = 0; b < g->KW; b++) {
                    double rr = mi * g->sh - g->ph + a * g->dh, q = mj * g->sw - g->pw + b * g->dw;
                    sl_canvas_round_frame(c, px + q * cell, py + rr * cell, cell, cell, 1.5,
                                          cell > 8 ? 2 : 1, SL_INK);
                }
            sl_canvas_clip(c, 0, 0, -1, -1);
        }
    sl_canvas_text_aligned(c, x0 + half + 20, yb + lh + (g->H * cell - lh) / 2, SL_ALIGN_CENTER,
                           "=", SL_TEXT_HEADING, SL_INK);
    snprintf(t1, sizeof t1, "largest difference: %.1g", d->diff);
    sl_canvas_text(c, x1, yb + lh + g->H * cell + sh + 4, t1, SL_TEXT_LABEL, SL_INK);
    /* no room in row A (a narrow window): the layer's output under the scatter, if it fits */
    int yc = yb + lh + g->H * cell + sh + dl;
    if (!out_in_row_a && yc + lh + g->H * cell + sh <= c->h - sl_scene_caption_height() - 8) {
        sl_conv_panel(c, lx, yc, "layer output", d->out, g->H, g->W, cell, SL_ROLE_OUTPUT, 1);
        out_box = (Box){lx, yc + lh, g->W * cell, g->H * cell};
    }
    if (out_box.w == 0) /* not drawn: the last step frames the correlation */
        out_box = corr_box;
    Box fa[2], fb[2];
    int na = focus_of(d, st, &scatter_box, &spread_box, &corr_box, &out_box, fa);
    int nb = focus_of(d, nx, &scatter_box, &spread_box, &corr_box, &out_box, fb);
    draw_focus_between(c, fa, na, fb, nb, tw);

    int n = run->n_steps;
    int s_cur = said < d->n_stamps - 1 ? said : -1;
    per_axis(t2, sizeof t2, rank, g->sh, g->sw);
    if (s_cur >= 0)
        snprintf(caption, sizeof caption,
                 "Step %d of %d. Input cell (%d, %d) = %.3g stamps %.3g * K into the output, %s "
                 "cells after its neighbour's stamp; where stamps overlap they add. On the right "
                 "the same value sits in the spread x, with zeros between.",
                 said + 1, n, s_cur / g->OW, s_cur % g->OW, (double)d->x[s_cur],
                 (double)d->x[s_cur], t2);
    else if (said < d->n_stamps)
        snprintf(caption, sizeof caption,
                 "Step %d of %d. Every input cell has stamped its copy of the kernel (%d stamps): "
                 "that sum of stamps is the transposed convolution (of channel 0 into filter 0).",
                 said + 1, n, cells);
    else if (said == d->n_stamps) {
        per_axis(t3, sizeof t3, rank, g->ph, g->pw);
        char t4[64];
        per_axis(t4, sizeof t4, rank, r.ph, r.pw);
        snprintf(caption, sizeof caption,
                 "Step %d of %d. The same numbers the other way: x spread with zeros between, "
                 "padded by (k - 1) * d - %s = %s cells before, correlated with rotate180(K): a "
                 "Conv%dD's input gradient (the conv-backprop scene), its backward pass.",
                 said + 1, n, t3, t4, rank);
    } else
        snprintf(caption, sizeof caption,
                 "Step %d of %d. Each of the %d input channel%s stamps its own slice of K; their "
                 "sum plus the bias is the layer's output (filter 0 of %d): %s.",
                 said + 1, n, d->CI, d->CI == 1 ? "" : "s", d->F,
                 d->out_diff <= 1e-5 * (1 + fabs((double)d->out[0]))
                     ? "equal to what the layer computed"
                     : "the layer then applies its activation");
    sl_scene_caption(c, caption);
}

const SlScene sl_scene_transposed_conv = {
    .name = "transposed-conv",
    .what = "Conv2DTranspose: each input cell stamps a copy of the kernel into the output, beside "
            "the same numbers as a Conv2D's input gradient (rotated kernel, full correlation)",
    .draws_data = 1,
    .can_draw = tc_can_draw,
    .prepare = tc_prepare,
    .draw = tc_draw,
    .release = tc_release,
};
