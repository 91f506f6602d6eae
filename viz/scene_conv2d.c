/* scene_conv2d.c: the first Conv2D of a model at work on one sample (QUESTIONS.md item 12). The
 * input's channels (with the padding 'same' adds, hatched) carry the kernel's window at the
 * current output position, its taps spaced by the dilation; every kernel is as deep as the input
 * has channels (drawn as one tile per input channel); each kernel makes one output channel, where
 * the current position is framed. Each step moves the window to the next output position (in
 * reading order), by the stride. Real values, as heatmaps. */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "layers/conv.h"
#include "scene.h"
#include "scene_conv.h"
#include "widgets.h"

enum { C2_IN_SHOWN = 3, C2_K_SHOWN = 2, C2_OUT_SHOWN = 4 };

typedef struct C2Run {
    int node;
    SlConvGeom g; /* one sample */
    int pad_after_h, pad_after_w;
    sl_real *x, *y;   /* the first sample, channels last */
    sl_real *plane;   /* one channel's (rows, cols), for drawing */
    const sl_real *K; /* (kh, kw, in, filters) */
} C2Run;

/* The Conv2D with the deepest input (QUESTIONS.md item 12 is about the second layer's depth). */
/* The call with the most input channels among those whose layer claims this scene (Conv2D): its
 * kernels show the channel depth best. */
static int deepest_conv2d(const SlModel *m, const SlScene *s)
{
    int best = -1, depth = 0;
    for (int n = 0; n < m->n_nodes; n++) {
        const SlShape *in = &m->nodes[n].sym.in[0];
        if (sl_scene_part(m, s, n) >= 0 && in->dim[in->rank - 1] > depth)
            best = n, depth = in->dim[in->rank - 1];
    }
    return best;
}

static int c2_prepare(SlSceneRun *run, SlError *e)
{
    SlModel *m = run->m;
    int node = deepest_conv2d(m, run->scene);
    if (node < 0)
        return sl_scene_missing(run, "Conv2D", "a Conv2D layer", e);
    if (sl_scene_record_forward(run, e) < 0)
        return -1;
    C2Run *d = sl_alloc_zero(1, sizeof *d);
    if (!d)
        return sl_errorf(e, "out of memory");
    run->priv = d;
    d->node = node;
    const SlNode *nd = &m->nodes[node];
    const SlShape *in = &m->t[nd->in[0]].run, *out = &m->t[nd->out[0]].run;
    SlWindowGeom w;
    const SlLayer *l = nd->layer;
    l->type->window(l, 0, &w); /* rows; the kernel's own shape gives the columns */
    const SlShape *ks = &l->params[0].shape;
    d->g = (SlConvGeom){.B = 1,
                        .H = in->dim[1],
                        .W = in->dim[2],
                        .CI = in->dim[3],
                        .OH = out->dim[1],
                        .OW = out->dim[2],
                        .CO = out->dim[3],
                        .KH = ks->dim[0],
                        .KW = ks->dim[1]};
    /* strides, dilations and padding per axis, as the layer worked them out */
    SlWindowGeom wc;
    l->type->window(l, 1, &wc);
    d->g.sh = w.s, d->g.dh = w.d, d->g.sw = wc.s, d->g.dw = wc.d;
    sl_window_out_len(&w, d->g.H, &d->g.ph);
    sl_window_out_len(&wc, d->g.W, &d->g.pw);
    d->pad_after_h = (d->g.OH - 1) * d->g.sh + sl_conv_span(d->g.KH, d->g.dh) - d->g.H - d->g.ph;
    d->pad_after_w = (d->g.OW - 1) * d->g.sw + sl_conv_span(d->g.KW, d->g.dw) - d->g.W - d->g.pw;
    d->pad_after_h = d->pad_after_h > 0 ? d->pad_after_h : 0;
    d->pad_after_w = d->pad_after_w > 0 ? d->pad_after_w : 0;
    size_t nx = (size_t)d->g.H * d->g.W * d->g.CI, ny = (size_t)d->g.OH * d->g.OW * d->g.CO;
    d->x = sl_alloc_zero(nx + ny + nx, sizeof *d->x);
    if (!d->x)
        return sl_errorf(e, "out of memory");
    d->y = d->x + nx, d->plane = d->y + ny;
    memcpy(d->x, m->t[nd->in[0]].val, nx * sizeof *d->x);
    memcpy(d->y, m->t[nd->out[0]].val, ny * sizeof *d->y);
    d->K = l->params[0].value.data;
    run->n_steps = d->g.OH * d->g.OW;
    return 0;
}

static void c2_release(SlSceneRun *run)
{
    C2Run *d = run->priv;
    if (d)
        sl_free(d->x);
    sl_free(d);
    run->priv = NULL;
}

/* Channel ch of a (rows, cols, C) tensor into d->plane. */
static const sl_real *plane(C2Run *d, const sl_real *t, int rows, int cols, int C, int ch)
{
    for (int i = 0; i < rows * cols; i++)
        d->plane[i] = t[(size_t)i * C + ch];
    return d->plane;
}

/* The window's top-left at output position p (reading order), in padded input cells. */
static void window_at(const SlConvGeom *g, int p, int *row, int *col)
{
    *row = p / g->OW * g->sh, *col = p % g->OW * g->sw;
}

/* The input channels (padding hatched), each with the kernel's taps at output position (oh, ow)
 * and its window's frame, which slides towards `next` between two steps. Returns the width. */
static int draw_inputs(SlCanvas *c, C2Run *d, int n_in, int cell, int top, int st, int next,
                       double tw)
{
    const SlConvGeom *g = &d->g;
    int lh = sl_text_height(SL_TEXT_LABEL), sh = sl_scale_height();
    int PH = g->ph + g->H + d->pad_after_h, PW = g->pw + g->W + d->pad_after_w;
    int x = 20, y = top, r0, c0, r1, c1;
    window_at(g, st, &r0, &c0);
    window_at(g, next, &r1, &c1);
    double range = sl_range_of(d->x, (size_t)g->H * g->W * g->CI, NULL);
    char t1[128];
    for (int ch = 0; ch < n_in; ch++) {
        snprintf(t1, sizeof t1, "input channel %d (of %d)", ch, g->CI);
        sl_canvas_text(c, x, y, t1, SL_TEXT_LABEL, SL_INK);
        int by = y + lh + 4; /* padding: rows above and below, columns left and right */
        sl_draw_cells(c, x + g->pw * cell, by + g->ph * cell, plane(d, d->x, g->H, g->W, g->CI, ch),
                      g->H, g->W, cell, cell, SL_ROLE_INPUT, range, "input channel");
        sl_conv_padding_cells(c, x, by, 0, PW, g->ph, cell);
        sl_conv_padding_cells(c, x, by + (g->ph + g->H) * cell, 0, PW, d->pad_after_h, cell);
        sl_conv_padding_cells(c, x, by + g->ph * cell, 0, g->pw, g->H, cell);
        sl_conv_padding_cells(c, x, by + g->ph * cell, g->pw + g->W, d->pad_after_w, g->H, cell);
        /* the window: taps at rows oh*sh - ph + a*dh, cols ow*sw - pw + b*dw (padding coords) */
        double wr = sl_lerp(r0, r1, tw), wc = sl_lerp(c0, c1, tw);
        for (int a = 0; a < g->KH; a++)
            for (int bb = 0; bb < g->KW; bb++)
                sl_canvas_round_frame(c, x + (wc + bb * g->dw) * cell, by + (wr + a * g->dh) * cell,
                                      cell, cell, 1, cell > 8 ? 1.5 : 1, SL_INK);
        sl_draw_focus(c, x + wc * cell, by + wr * cell, sl_conv_span(g->KW, g->dw) * cell,
                      sl_conv_span(g->KH, g->dh) * cell);
        y += lh + 10 + PH * cell;
    }
    sl_draw_scale(c, x, y,
                  PW * cell > sl_scale_min_width(range, 1) ? PW * cell
                                                           : sl_scale_min_width(range, 1),
                  range, 1, SL_ROLE_INPUT);
    y += sh + 8;
    if (g->CI > n_in) {
        snprintf(t1, sizeof t1, "\xE2\x80\xA6 and %d more channel%s", g->CI - n_in,
                 g->CI - n_in == 1 ? "" : "s");
        sl_canvas_text(c, x, y, t1, SL_TEXT_LABEL, SL_INK);
    }
    return PW * cell > sl_text_width("input channel 00 (of 000)", SL_TEXT_LABEL)
               ? PW * cell
               : sl_text_width("input channel 00 (of 000)", SL_TEXT_LABEL);
}

/* The first kernels, each a row of tiles, one per input channel shown, on one scale. Returns
 * the width used. */
static int draw_kernels(SlCanvas *c, C2Run *d, int kx, int top, int n_k, int n_in)
{
    const SlConvGeom *g = &d->g;
    int lh = sl_text_height(SL_TEXT_LABEL), ky = top;
    int kcell = 300 / (n_in * g->KW + 1);
    kcell = kcell > 22 ? 22 : kcell < 4 ? 4 : kcell;
    double range = sl_range_of(d->K, (size_t)g->KH * g->KW * g->CI * g->CO, NULL);
    char t1[128];
    snprintf(t1, sizeof t1, "kernel %d: %dx%d x %d deep", 0, g->KH, g->KW, g->CI);
    int w = n_in * (g->KW * kcell + 10);
    w = w > sl_text_width(t1, SL_TEXT_LABEL) ? w : sl_text_width(t1, SL_TEXT_LABEL);
    for (int fi = 0; fi < n_k; fi++) {
        snprintf(t1, sizeof t1, "kernel %d: %dx%d x %d deep", fi, g->KH, g->KW, g->CI);
        sl_canvas_text(c, kx, ky, t1, SL_TEXT_LABEL, SL_INK);
        ky += lh + 4;
        for (int ch = 0; ch < n_in; ch++) {
            for (int a = 0; a < g->KH * g->KW; a++)
                d->plane[a] = d->K[((size_t)a * g->CI + ch) * g->CO + fi];
            sl_conv_cells(c, kx + ch * (g->KW * kcell + 10), ky, d->plane, g->KH, g->KW, kcell,
                          SL_ROLE_WEIGHT, range, 0, "kernel tile");
        }
        ky += g->KH * kcell + 6;
        if (g->CI > n_in) {
            snprintf(t1, sizeof t1, "+ %d more channel%s", g->CI - n_in,
                     g->CI - n_in == 1 ? "" : "s");
            sl_canvas_text(c, kx, ky, t1, SL_TEXT_SMALL, SL_INK);
            ky += sl_text_height(SL_TEXT_SMALL) + 4;
        }
        ky += 14;
    }
    sl_draw_scale(c, kx, ky, w > sl_scale_min_width(range, 1) ? w : sl_scale_min_width(range, 1),
                  range, 1, SL_ROLE_WEIGHT);
    ky += sl_scale_height() + 8;
    if (g->CO > n_k) {
        snprintf(t1, sizeof t1, "\xE2\x80\xA6 and %d more kernels", g->CO - n_k);
        sl_canvas_text(c, kx, ky, t1, SL_TEXT_LABEL, SL_INK);
    }
    return w;
}

static void c2_draw(const SlSceneRun *run, double at, SlCanvas *c)
{
    C2Run *d = run->priv;
    const SlConvGeom *g = &d->g;
    const SlLayer *l = run->m->nodes[d->node].layer;
    double tw;
    int st = sl_scene_step(run, at, &tw), said = sl_scene_caption_step(run, at);
    int next = st + 1 < run->n_steps ? st + 1 : st;
    int lh = sl_text_height(SL_TEXT_LABEL), sh = sl_scale_height();
    char title[256], caption[900], t1[128], f[96];
    sl_canvas_clear(c, SL_PAPER);
    int padded = g->ph || g->pw || d->pad_after_h || d->pad_after_w;
    static const SlRole roles[] = {SL_ROLE_INPUT, SL_ROLE_WEIGHT, SL_ROLE_OUTPUT, SL_ROLE_PADDING};
    int n_roles = padded ? 4 : 3;
    snprintf(title, sizeof title, "%s (Conv2D): %d kernels of %dx%dx%d, one output channel each",
             l->name, g->CO, g->KH, g->KW, g->CI);
    int top = sl_scene_title(c, title, sl_legend_width(roles, n_roles) + 16) + 16;
    sl_draw_legend(c, c->w - sl_legend_width(roles, n_roles) - 12, 10, roles, n_roles);
    int n_in = g->CI < C2_IN_SHOWN ? g->CI : C2_IN_SHOWN;
    int n_k = g->CO < C2_K_SHOWN ? g->CO : C2_K_SHOWN;
    int n_out = g->CO < C2_OUT_SHOWN ? g->CO : C2_OUT_SHOWN;
    int avail_h = c->h - top - sl_scene_caption_height() - 20;
    /* the input, padding included, in the left third; stacked channels */
    int PH = g->ph + g->H + d->pad_after_h, PW = g->pw + g->W + d->pad_after_w;
    int cell = (avail_h - n_in * (lh + 10) - sh - 2 * lh) / (n_in * PH);
    int cw = (c->w / 3 - 40) / PW;
    cell = cell < cw ? cell : cw;
    cell = cell > 28 ? 28 : cell < 2 ? 2 : cell;
    int in_w = draw_inputs(c, d, n_in, cell, top, st, next, tw);
    int kx = 20 + (in_w > 260 ? in_w : 260) + 40;
    int kw_total = draw_kernels(c, d, kx, top, n_k, n_in);
    /* the outputs: one channel per kernel, on one scale */
    int ox = kx + kw_total + 36, oy = top;
    int otw = sl_text_width("output channel 00", SL_TEXT_LABEL);
    int cols = (c->w - ox - 20) / (otw + 24) >= 2 ? 2 : 1; /* a narrow window: one column */
    int rows = cols == 1 ? 2 : (n_out + 1) / 2;
    n_out = n_out < cols * rows ? n_out : cols * rows;
    int ocell = (c->w - ox - 20 - cols * 24) / (cols * g->OW);
    int oh_cell = (avail_h - rows * (lh + 16) - sh - 12) / (rows * g->OH);
    ocell = ocell < oh_cell ? ocell : oh_cell;
    ocell = ocell > 28 ? 28 : ocell < 2 ? 2 : ocell;
    int pitch = g->OW * ocell > otw ? g->OW * ocell : otw;
    double range = sl_range_of(d->y, (size_t)g->OH * g->OW * g->CO, NULL);
    for (int k = 0; k < n_out; k++) {
        int px = ox + (k % cols) * (pitch + 24), py = oy + (k / cols) * (g->OH * ocell + lh + 16);
        snprintf(t1, sizeof t1, "output channel %d", k);
        sl_canvas_text(c, px, py, t1, SL_TEXT_LABEL, SL_INK);
        sl_draw_cells(c, px, py + lh + 4, plane(d, d->y, g->OH, g->OW, g->CO, k), g->OH, g->OW,
                      ocell, ocell, SL_ROLE_OUTPUT, range, t1);
        double pr = sl_lerp(st / g->OW, next / g->OW, tw),
               pc = sl_lerp(st % g->OW, next % g->OW, tw);
        sl_canvas_round_frame(c, px + pc * ocell - 2, py + lh + 4 + pr * ocell - 2, ocell + 4,
                              ocell + 4, 2, 2, SL_INK);
    }
    int sy = oy + rows * (g->OH * ocell + lh + 16);
    sl_draw_scale(c, ox, sy, sl_scale_min_width(range, 1) + 60, range, 1, SL_ROLE_OUTPUT);
    if (g->CO > n_out) {
        snprintf(t1, sizeof t1, "\xE2\x80\xA6 and %d more output channels", g->CO - n_out);
        sl_canvas_text(c, ox, sy + sh + 8, t1, SL_TEXT_LABEL, SL_INK);
    }
    l->type->formula(l, f, sizeof f);
    int oh = said / g->OW, ow = said % g->OW;
    snprintf(caption, sizeof caption,
             "Output position (row %d, col %d) of %dx%d: each kernel's %dx%d window, through all "
             "%d input channel%s, summed (plus its bias) into one value of its own output channel. "
             "Drawn: %d of %d input channels, kernels 0-%d and output channels 0-%d of %d. Stride "
             "(%d, %d), dilation (%d, %d)%s. Parameters %s.",
             oh, ow, g->OH, g->OW, g->KH, g->KW, g->CI, g->CI == 1 ? "" : "s", n_in, g->CI, n_k - 1,
             n_out - 1, g->CO, g->sh, g->sw, g->dh, g->dw,
             padded ? ", padding='same' (hatched)" : ", padding='valid'", f);
    sl_scene_caption(c, caption);
}

const SlScene sl_scene_conv2d = {
    .name = "conv2d",
    .what = "Conv2D's kernels (as deep as the input's channels) sliding over the input, one output "
            "channel per kernel",
    .draws_data = 1,
    .can_draw = sl_scene_draws_any,
    .prepare = c2_prepare,
    .draw = c2_draw,
    .release = c2_release,
};
