/* scene_conv_backprop.c: backprop through the first Conv1D of a model, step by step, with its
 * real kernel and a seeded sample (QUESTIONS.md item 13, docs/conv-backprop.md):
 *   1. forward: y = correlate(x, K) (+ b)
 *   2. the output gradient dy, spread to the stride (zeros where the strided forward skipped)
 *   3. rotate180: K turned around, its in/out channel axes swapped
 *   4. dx = the full correlation of the spread dy with the rotated kernel, beside a gradient check
 *   5. dK = x correlated with dy, beside a gradient check
 * Every panel is drawn at every step (the PNG shows the whole story); the current step's panels
 * are framed. Tensors are drawn channels down, steps across. Drawn in double (the checks' errors
 * only mean something there). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "layers/conv.h"
#include "rng.h"
#include "scene.h"
#include "scene_conv.h"
#include "widgets.h"

enum { BP_STEPS = 5, BP_MAX_T = 64, BP_MAX_CH = 16 };

typedef struct BpRun {
    int node;
    SlConvGeom g;        /* of one sample */
    int T, k, d, s, pad; /* steps, taps, dilation, stride, padding before */
    /* one sample, channels first for drawing: (channels, steps) */
    sl_real x[BP_MAX_CH * BP_MAX_T], y[BP_MAX_CH * BP_MAX_T], dy[BP_MAX_CH * BP_MAX_T];
    sl_real sp[BP_MAX_CH * BP_MAX_T];
    sl_real dx[BP_MAX_CH * BP_MAX_T];
    int S, P, n_padded;    /* spread length, full-correlation padding, row */
    sl_real *K, *Kr, *dK;  /* (k, in, out), (k, out, in), (k, in, out) */
    double err_dx, err_dK; /* gradient checks */
} BpRun;

/* (steps, ch) channels-last -> (ch, steps) for drawing */
static void to_rows(sl_real *out, const sl_real *in, int T, int C)
{
    for (int t = 0; t < T; t++)
        for (int ch = 0; ch < C; ch++)
            out[ch * T + t] = in[t * C + ch];
}

/* f = sum(y * dy) for y = correlate(x, K): the objective whose gradients are dx and dK. */
static double objective(const BpRun *b, const sl_real *x, const sl_real *K, sl_real *y)
{
    size_t n = (size_t)b->g.OW * b->g.CO;
    memset(y, 0, n * sizeof *y);
    sl_correlate(y, x, K, &b->g);
    double f = 0;
    for (size_t i = 0; i < n; i++)
        f += (double)y[i] * (double)b->dy[i];
    return f;
}

/* max |a - n| / max(|a| + |n|, 1e-8) over every value of v (the input or the kernel). */
static double check(BpRun *b, sl_real *v, size_t count, const sl_real *analytic, sl_real *x,
                    sl_real *K)
{
    sl_real y[BP_MAX_CH * BP_MAX_T];
    double worst = 0, h = 1e-5;
    for (size_t i = 0; i < count; i++) {
        sl_real keep = v[i];
        v[i] = (sl_real)(keep + h);
        double fp = objective(b, x, K, y);
        v[i] = (sl_real)(keep - h);
        double fm = objective(b, x, K, y);
        v[i] = keep;
        double n = (fp - fm) / (2 * h), a = (double)analytic[i];
        double err = fabs(a - n) / fmax(fabs(a) + fabs(n), 1e-8);
        worst = err > worst ? err : worst;
    }
    return worst;
}

static int bp_prepare(SlSceneRun *run, SlError *e)
{
    SlModel *m = run->m;
    int node = sl_scene_node(m, run->scene);
    if (node < 0)
        return sl_scene_missing(run, "Conv1D", "a Conv1D layer", e);
    if (sl_scene_record_forward(run, e) < 0)
        return -1;
    BpRun *b = sl_alloc_zero(1, sizeof *b);
    if (!b)
        return sl_errorf(e, "out of memory");
    run->priv = b;
    b->node = node;
    const SlNode *nd = &m->nodes[node];
    const SlLayer *l = nd->layer;
    SlWindowGeom w;
    l->type->window(l, 0, &w);
    const SlShape *in = &m->t[nd->in[0]].run, *out = &m->t[nd->out[0]].run;
    int T = in->dim[1], CI = in->dim[2], OT = out->dim[1], CO = out->dim[2];
    if (T > BP_MAX_T || OT > BP_MAX_T || CI > BP_MAX_CH || CO > BP_MAX_CH)
        return sl_errorf(e, "the conv-backprop scene draws up to %d steps and %d channels",
                         BP_MAX_T, BP_MAX_CH);
    b->T = T, b->k = w.k, b->d = w.d, b->s = w.s;
    sl_window_out_len(&w, T, &b->pad);
    b->g = (SlConvGeom){.B = 1,
                        .H = 1,
                        .W = T,
                        .CI = CI,
                        .OH = 1,
                        .OW = OT,
                        .CO = CO,
                        .KH = 1,
                        .KW = w.k,
                        .sh = 1,
                        .sw = w.s,
                        .dh = 1,
                        .dw = w.d,
                        .pw = b->pad};
    size_t nk = (size_t)w.k * CI * CO;
    b->K = sl_alloc_zero(3 * nk, sizeof *b->K);
    if (!b->K)
        return sl_errorf(e, "out of memory");
    b->Kr = b->K + nk, b->dK = b->K + 2 * nk;
    memcpy(b->K, l->params[0].value.data, nk * sizeof *b->K);
    /* the first sample of the layer's input, from the recorded forward pass */
    sl_real x[BP_MAX_CH * BP_MAX_T], y[BP_MAX_CH * BP_MAX_T], dy[BP_MAX_CH * BP_MAX_T];
    memcpy(x, m->t[nd->in[0]].val, (size_t)T * CI * sizeof *x);
    SlRng r = sl_rng(13);
    for (int i = 0; i < OT * CO; i++) /* a seeded output gradient in [-1, 1] */
        dy[i] = (sl_real)(2 * sl_rng_uniform(&r) - 1);
    memcpy(b->dy, dy, (size_t)OT * CO * sizeof *dy);
    objective(b, x, b->K, y);
    const sl_real *bias = l->n_params > 1 ? l->params[1].value.data : NULL;
    for (int t = 0; t < OT; t++)
        for (int co = 0; co < CO && bias; co++)
            y[t * CO + co] += bias[co];
    /* the three named steps, and the kernel gradient */
    sl_real dxl[BP_MAX_CH * BP_MAX_T] = {0}, spl[BP_MAX_CH * BP_MAX_T];
    sl_rotate180(b->Kr, b->K, 1, w.k, CI, CO);
    sl_spread(spl, dy, 1, 1, OT, CO, 1, w.s);
    SlConvGeom full = sl_conv_input_grad_geom(&b->g);
    sl_full_correlation(dxl, spl, b->Kr, &b->g);
    sl_correlate_kernel_grad(b->dK, x, dy, &b->g);
    b->S = full.W;
    b->P = full.pw;
    b->n_padded = T + (w.k - 1) * w.d; /* the cells the rotated kernel visits */
    b->err_dx = check(b, x, (size_t)T * CI, dxl, x, b->K);
    b->err_dK = check(b, b->K, nk, b->dK, x, b->K);
    to_rows(b->x, x, T, CI);
    to_rows(b->y, y, OT, CO);
    to_rows(b->dy, dy, OT, CO);
    to_rows(b->sp, spl, b->S, CO);
    to_rows(b->dx, dxl, T, CI);
    run->n_steps = BP_STEPS;
    return 0;
}

static void bp_release(SlSceneRun *run)
{
    BpRun *b = run->priv;
    if (b)
        sl_free(b->K);
    sl_free(b);
    run->priv = NULL;
}

/* The kernel as k tiles side by side, each (rows x cols) of one tap, on one scale drawn under
 * them; the title over the first. Returns the width used. */
static int kernel_tiles(SlCanvas *c, int x, int y, const char *title, const sl_real *k, int taps,
                        int rows, int cols, int cell, SlRole role)
{
    int lh = sl_text_height(SL_TEXT_LABEL), cx = x, neg;
    double range = sl_range_of(k, (size_t)taps * rows * cols, &neg);
    sl_canvas_text(c, x, y, title, SL_TEXT_LABEL, SL_INK);
    for (int t = 0; t < taps; t++) {
        sl_conv_cells(c, cx, y + lh + 4, k + (size_t)t * rows * cols, rows, cols, cell, role, range,
                      1, title);
        cx += cols * cell + 8;
    }
    int w = cx - x - 8, sw = sl_scale_min_width(range, neg);
    sl_draw_scale(c, x, y + lh + 4 + rows * cell + 6, w > sw ? w : sw, range, neg, role);
    w = w > sw ? w : sw;
    int tw = sl_text_width(title, SL_TEXT_LABEL);
    return w > tw ? w : tw;
}

static int title_w(const char *t)
{
    return sl_text_width(t, SL_TEXT_LABEL);
}

/* A panel's width, or its title's (or its scale's) when that is wider. */
static int wider(int panel_w, const char *title)
{
    int t = title_w(title), s = sl_scale_min_width(0.999, 1);
    t = t > s ? t : s;
    return panel_w > t ? panel_w : t;
}

/* The width of the third band (rotate180, the padded dy, dx) for a cell size. */
static int band3_width(const BpRun *b, int cell, int narrow)
{
    if (narrow)
        return b->k * (b->g.CI * cell + 8) + 40 + b->n_padded * cell + 40 + b->T * cell + 80;
    int wk = wider(b->k * (b->g.CI * cell + 8), "rotate180(K) (16 out x 16 in)");
    int wp = wider(b->n_padded * cell, "padded spread dy (16 zeros before)");
    return (wk > 200 ? wk : 200) + 40 + wp + 40 + wider(b->T * cell, "dx: check 1e-10");
}

typedef struct Band { /* where a step's panels are, for the frame that marks it */
    int x, y, w, h;
} Band;

static void bp_draw(const SlSceneRun *run, double at, SlCanvas *c)
{
    BpRun *b = run->priv;
    const SlLayer *l = run->m->nodes[b->node].layer;
    int CI = b->g.CI, CO = b->g.CO, OT = b->g.OW, T = b->T, k = b->k;
    double tw;
    int st = sl_scene_step(run, at, &tw), said = sl_scene_caption_step(run, at);
    int lh = sl_text_height(SL_TEXT_LABEL), sh = sl_scale_height() + 6;
    char title[256], caption[800], t1[128];
    Band band[BP_STEPS];
    sl_canvas_clear(c, SL_PAPER);
    static const SlRole roles[] = {SL_ROLE_INPUT, SL_ROLE_WEIGHT, SL_ROLE_OUTPUT, SL_ROLE_GRADIENT,
                                   SL_ROLE_PADDING};
    int n_roles = b->P > 0 || b->n_padded > b->P + b->S ? 5 : 4;
    snprintf(title, sizeof title, "%s (Conv1D) backward: the kernel turned around", l->name);
    int top = sl_scene_title(c, title, sl_legend_width(roles, n_roles) + 16) + 14;
    sl_draw_legend(c, c->w - sl_legend_width(roles, n_roles) - 12, 10, roles, n_roles);
    /* cell size: the widest band is rotate180's tiles, the padded dy and dx; four bands */
    int widest = k * (CI > CO ? CI : CO) + b->n_padded + T;
    int cell = (c->w - 40 - 80 - 8 * k - 20) / (widest > 0 ? widest : 1);
    int band_rows = 2 * (CI > CO ? CI : CO) + CO + CI;
    int hcell = (c->h - top - sl_scene_caption_height() - 4 * (lh + 4 + sh) - 4 * 26) / band_rows;
    cell = cell < hcell ? cell : hcell;
    cell = cell > 60 ? 60 : cell < 3 ? 3 : cell;
    int narrow = c->w < 1100; /* shorter titles */
    while (cell > 3 && band3_width(b, cell, narrow) > c->w - 40)
        cell--;
    int x0 = 20, y = top, h, gap = 40;
    /* band 1: forward */
    int x = x0;
    snprintf(t1, sizeof t1, narrow ? "x" : "x (%d ch x %d steps)", CI, T);
    h = sl_conv_panel(c, x, y, t1, b->x, CI, T, cell, SL_ROLE_INPUT, 1);
    x += wider(T * cell, t1) + gap;
    snprintf(t1, sizeof t1, narrow ? "K" : "K: %d taps (%d in x %d out)", k, CI, CO);
    x += kernel_tiles(c, x, y, t1, b->K, k, CI, CO, cell, SL_ROLE_WEIGHT) + gap;
    snprintf(t1, sizeof t1, "y = correlate(x, K)%s", l->n_params > 1 && !narrow ? " + b" : "");
    int hy = sl_conv_panel(c, x, y, t1, b->y, CO, OT, cell, SL_ROLE_OUTPUT, 1);
    h = h > hy ? h : hy;
    band[0] = (Band){x0, y, x + wider(OT * cell, t1) - x0, h};
    y += h + 26;
    /* band 2: dy and its spread */
    x = x0;
    h = sl_conv_panel(c, x, y, "dy (from the loss)", b->dy, CO, OT, cell, SL_ROLE_GRADIENT, 1);
    x += wider(OT * cell, "dy (from the loss)") + gap + 60;
    snprintf(t1, sizeof t1, b->s > 1 ? "spread by stride %d" : "spread (stride %d: = dy)", b->s);
    sl_conv_panel(c, x, y, t1, b->sp, CO, b->S, cell, SL_ROLE_GRADIENT, 1);
    band[1] = (Band){x0, y, x + wider(b->S * cell, t1) - x0, h};
    y += h + 26;
    /* band 3: rotate180 and the full correlation */
    x = x0;
    snprintf(t1, sizeof t1, narrow ? "rotate180(K)" : "rotate180(K) (%d out x %d in)", CO, CI);
    int wk = kernel_tiles(c, x, y, t1, b->Kr, k, CO, CI, cell, SL_ROLE_WEIGHT);
    band[2] = (Band){x, y, wk, sl_conv_panel_height(CO > CI ? CO : CI, cell, 1)};
    x += (wk > 200 ? wk : 200) + gap;
    int px = x;
    snprintf(t1, sizeof t1, narrow ? "dy, padded" : "padded spread dy (%d zeros before)", b->P);
    /* the padding cells, then the spread gradient, then the padding after */
    int ry = y + lh + 4;
    sl_canvas_text(c, x, y, t1, SL_TEXT_LABEL, SL_INK);
    sl_conv_padding_cells(c, x, ry, 0, b->P, CO, cell);
    int neg;
    double range = sl_range_of(b->sp, (size_t)CO * b->S, &neg);
    sl_conv_cells(c, x + b->P * cell, ry, b->sp, CO, b->S, cell, SL_ROLE_GRADIENT, range, 1,
                  "padded spread dy");
    sl_conv_padding_cells(c, x, ry, b->P + b->S, b->n_padded - b->P - b->S, CO, cell);
    int sw = sl_scale_min_width(range, neg);
    sl_draw_scale(c, x, ry + CO * cell + 6, b->n_padded * cell > sw ? b->n_padded * cell : sw,
                  range, neg, SL_ROLE_GRADIENT);
    h = lh + 4 + CO * cell + sh;
    x += wider(b->n_padded * cell, t1) + gap;
    snprintf(t1, sizeof t1, narrow ? "dx %.0e" : "dx: check %.0e", b->err_dx);
    int hd = sl_conv_panel(c, x, y, t1, b->dx, CI, T, cell, SL_ROLE_GRADIENT, 1);
    band[3] = (Band){px, y, x + wider(T * cell, t1) - px, h > hd ? h : hd};
    y += (h > hd ? h : hd) + 26;
    /* band 4: the kernel gradient */
    x = x0;
    snprintf(t1, sizeof t1, narrow ? "dK %.0e" : "dK = correlate(x, dy): check %.0e", b->err_dK);
    wk = kernel_tiles(c, x, y, t1, b->dK, k, CI, CO, cell, SL_ROLE_GRADIENT);
    band[4] = (Band){x, y, wk > 360 ? wk : 360, sl_conv_panel_height(CI, cell, 1)};
    /* the frame on the current step's panels, moving on to the next step's */
    const Band *f0 = &band[st], *f1 = &band[st + 1 < BP_STEPS ? st + 1 : st];
    sl_draw_focus(c, sl_lerp(f0->x, f1->x, tw), sl_lerp(f0->y, f1->y, tw),
                  sl_lerp(f0->w, f1->w, tw), sl_lerp(f0->h, f1->h, tw));
    static const char *const what[BP_STEPS] = {
        "Forward: K slides along x without being flipped (a correlation); each output step is "
        "the sum of the taps times the cells they cover.",
        "Backward starts from dy. With a stride, dy is spread: its values go back to the steps "
        "the windows started at, with zeros between.",
        "rotate180: the taps in reverse order, and each tap's (in, out) matrix transposed to "
        "(out, in): the gradient flows from the filters back to the input channels.",
        "dx is the forward loop again: the rotated kernel slides over dy padded by (k - 1) * d - "
        "p zeros, a full correlation. The check compares it with central differences.",
        "dK is x correlated with dy: each tap's gradient sums x at that tap's offset times dy. "
        "Checked against central differences too.",
    };
    snprintf(caption, sizeof caption, "Step %d of %d. %s", said + 1, BP_STEPS, what[said]);
    sl_scene_caption(c, caption);
}

const SlScene sl_scene_conv_backprop = {
    .name = "conv-backprop",
    .what = "backprop through Conv1D: dy, the kernel rotated by 180 degrees, the full correlation "
            "that gives dx, and dK as x correlated with dy, with gradient checks",
    .in_double = 1,
    .draws_data = 1,
    .can_draw = sl_scene_draws_any,
    .prepare = bp_prepare,
    .draw = bp_draw,
    .release = bp_release,
};
