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
        return sl_errorf(e, "the conv2d scene needs a model with a Conv2D layer");
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

static void c2_draw(const SlSceneRun *run, int step, SlCanvas *c)
{
    C2Run *d = run->priv;
    const SlConvGeom *g = &d->g;
    const SlLayer *l = run->m->nodes[d->node].layer;
    int lw, lh, n_steps = g->OH * g->OW;
    int st = step < 0 ? 0 : step >= n_steps ? n_steps - 1 : step;
    int oh = st / g->OW, ow = st % g->OW;
    char title[256], caption[800], t1[128], f[96];
    sl_canvas_clear(c, SL_PAPER);
    sl_canvas_text_size("M", SL_TEXT_SCALE, &lw, &lh);
    int padded = g->ph || g->pw || d->pad_after_h || d->pad_after_w;
    static const SlRole roles[] = {SL_ROLE_INPUT, SL_ROLE_WEIGHT, SL_ROLE_OUTPUT, SL_ROLE_PADDING};
    int n_roles = padded ? 4 : 3;
    snprintf(title, sizeof title, "%s (Conv2D): %d kernels of %dx%dx%d, one output channel each",
             l->name, g->CO, g->KH, g->KW, g->CI);
    int top = sl_scene_title(c, title, sl_legend_width(roles, n_roles) + 16) + 16;
    sl_draw_legend(c, c->w - sl_legend_width(roles, n_roles) - 8, 8, roles, n_roles);
    int n_in = g->CI < C2_IN_SHOWN ? g->CI : C2_IN_SHOWN;
    int n_k = g->CO < C2_K_SHOWN ? g->CO : C2_K_SHOWN;
    int n_out = g->CO < C2_OUT_SHOWN ? g->CO : C2_OUT_SHOWN;
    int avail_h = c->h - top - sl_scene_caption_height() - 20;
    /* the input, padding included, in the left third; stacked channels */
    int PH = g->ph + g->H + d->pad_after_h, PW = g->pw + g->W + d->pad_after_w;
    int cell = (avail_h - n_in * (lh + 16)) / (n_in * PH);
    int cw = (c->w / 3 - 40) / PW;
    cell = cell < cw ? cell : cw;
    cell = cell > 28 ? 28 : cell < 2 ? 2 : cell;
    int x = 20, y = top;
    for (int ch = 0; ch < n_in; ch++) {
        int ix = x + g->pw * cell, iy = y + lh + 4 + g->ph * cell;
        snprintf(t1, sizeof t1, "input channel %d of %d", ch + 1, g->CI);
        sl_canvas_text(c, x, y, t1, SL_TEXT_SCALE, SL_INK);
        sl_draw_heatmap(c, ix, iy, plane(d, d->x, g->H, g->W, g->CI, ch), g->H, g->W, cell,
                        SL_ROLE_INPUT, NULL);
        int by = y + lh + 4; /* padding: rows above and below, columns left and right */
        sl_conv_padding_cells(c, x, by, 0, PW, g->ph, cell);
        sl_conv_padding_cells(c, x, by + (g->ph + g->H) * cell, 0, PW, d->pad_after_h, cell);
        sl_conv_padding_cells(c, x, by + g->ph * cell, 0, g->pw, g->H, cell);
        sl_conv_padding_cells(c, x, by + g->ph * cell, g->pw + g->W, d->pad_after_w, g->H, cell);
        /* the window: taps at rows oh*sh - ph + a*dh, cols ow*sw - pw + b*dw (padding coords) */
        for (int a = 0; a < g->KH; a++)
            for (int bb = 0; bb < g->KW; bb++) {
                int r = oh * g->sh + a * g->dh, q = ow * g->sw + bb * g->dw;
                sl_canvas_rect(c, x + q * cell, y + lh + 4 + r * cell, cell, cell, 2, SL_INK);
            }
        int wx = x + ow * g->sw * cell, wy = y + lh + 4 + oh * g->sh * cell;
        sl_canvas_rect(c, wx - 3, wy - 3, (sl_conv_span(g->KW, g->dw)) * cell + 6,
                       (sl_conv_span(g->KH, g->dh)) * cell + 6, 3, SL_HIGHLIGHT);
        y += lh + 16 + PH * cell;
    }
    if (g->CI > n_in) {
        snprintf(t1, sizeof t1, "... %d more channel%s", g->CI - n_in,
                 g->CI - n_in == 1 ? "" : "s");
        sl_canvas_text(c, x, y, t1, SL_TEXT_SCALE, SL_INK);
    }
    /* the kernels: each a stack of CI tiles of kh x kw */
    int kx = 20 + (PW * cell > 260 ? PW * cell : 260) + 40, ky = top;
    int kcell = 300 / (n_in * g->KW + 1), kw_total, tw, th;
    kcell = kcell > 22 ? 22 : kcell < 4 ? 4 : kcell;
    snprintf(t1, sizeof t1, "kernel 1: %dx%d x %d deep", g->KH, g->KW, g->CI);
    sl_canvas_text_size(t1, SL_TEXT_SCALE, &tw, &th);
    kw_total = n_in * (g->KW * kcell + 10);
    kw_total = kw_total > tw ? kw_total : tw;
    for (int fi = 0; fi < n_k; fi++) {
        snprintf(t1, sizeof t1, "kernel %d: %dx%d x %d deep", fi + 1, g->KH, g->KW, g->CI);
        sl_canvas_text(c, kx, ky, t1, SL_TEXT_SCALE, SL_INK);
        ky += lh + 4;
        for (int ch = 0; ch < n_in; ch++) {
            for (int a = 0; a < g->KH * g->KW; a++)
                d->plane[a] = d->K[((size_t)a * g->CI + ch) * g->CO + fi];
            sl_conv_panel(c, kx + ch * (g->KW * kcell + 10), ky, NULL, d->plane, g->KH, g->KW,
                          kcell, SL_ROLE_WEIGHT, 0);
        }
        if (g->CI > n_in) {
            snprintf(t1, sizeof t1, "+ %d more", g->CI - n_in);
            sl_canvas_text(c, kx, ky + g->KH * kcell + 4, t1, SL_TEXT_SCALE, SL_INK);
            ky += lh + 4;
        }
        ky += g->KH * kcell + 24;
    }
    /* the outputs: one channel per kernel */
    int ox = kx + kw_total + 30, oy = top, otw, oth;
    sl_canvas_text_size("output ch 4", SL_TEXT_SCALE, &otw, &oth);
    int cols = (c->w - ox - 20) / (otw + 24) >= 2 ? 2 : 1; /* a narrow window: one column */
    int rows = cols == 1 ? 2 : (n_out + 1) / 2;
    n_out = n_out < cols * rows ? n_out : cols * rows;
    int ocell = (c->w - ox - 20 - cols * 24) / (cols * g->OW);
    int oh_cell = (avail_h - rows * (lh + 16)) / (rows * g->OH);
    ocell = ocell < oh_cell ? ocell : oh_cell;
    ocell = ocell > 28 ? 28 : ocell < 2 ? 2 : ocell;
    int pitch = g->OW * ocell > otw ? g->OW * ocell : otw;
    for (int k = 0; k < n_out; k++) {
        int px = ox + (k % cols) * (pitch + 24), py = oy + (k / cols) * (g->OH * ocell + lh + 16);
        snprintf(t1, sizeof t1, "output ch %d", k + 1);
        sl_draw_heatmap(c, px, py, plane(d, d->y, g->OH, g->OW, g->CO, k), g->OH, g->OW, ocell,
                        SL_ROLE_OUTPUT, t1);
        sl_canvas_rect(c, px + ow * ocell - 1, py + lh + 4 + oh * ocell - 1, ocell + 2, ocell + 2,
                       2, SL_INK);
    }
    l->type->formula(l, f, sizeof f);
    snprintf(caption, sizeof caption,
             "Output (%d, %d): each kernel's %dx%d window, through all %d input channel%s, summed "
             "(plus its bias) into one value of its own output channel. Stride (%d, %d), "
             "dilation (%d, %d)%s. Parameters %s.",
             oh, ow, g->KH, g->KW, g->CI, g->CI == 1 ? "" : "s", g->sh, g->sw, g->dh, g->dw,
             padded ? ", padding='same' (hatched)" : ", padding='valid'", f);
    sl_scene_caption(c, caption);
}

const SlScene sl_scene_conv2d = {
    .name = "conv2d",
    .what = "Conv2D's kernels (as deep as the input's channels) sliding over the input, one output "
            "channel per kernel",
    .can_draw = sl_scene_draws_any,
    .prepare = c2_prepare,
    .draw = c2_draw,
    .release = c2_release,
};
