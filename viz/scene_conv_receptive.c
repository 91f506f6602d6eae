/* scene_conv_receptive.c: the receptive field of a stack of window layers (Conv1D, pooling ...),
 * drawn as in the WaveNet figure. One row of cells per level: the model's input at the bottom,
 * each window layer's output above it, positions aligned in time. Each step picks one output step
 * of the top layer (arrow keys); the cells that feed it light up down to the input, joined by the
 * taps that read them, and the padding a layer adds (causal: on the left) is drawn as padding.
 * Everything comes from the model's real layers through src/receptive.h. */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "receptive.h"
#include "scene.h"
#include "widgets.h"

enum { RF_MAX_CELLS = 4096 };

typedef struct RfRun {
    SlReceptive r;
    int len[SL_RF_MAX + 1];
    int jump[SL_RF_MAX + 1]; /* input steps between neighbouring cells of each level */
    int pad[SL_RF_MAX];      /* padding before the input of window layer i */
    int lo, hi;              /* the cell range drawn, in input steps (lo < 0: padding) */
    int padded;              /* some layer reads padding */
    unsigned char lit[RF_MAX_CELLS];
} RfRun;

/* The picture follows the steps axis through a chain of layers: it draws a model only when the
 * receptive field reaches a window layer (the causal CNN of item 11 permutes the steps away
 * first). */
static int rf_can_draw(const SlModel *m, int node)
{
    (void)node;
    SlReceptive r;
    SlError e;
    return sl_receptive_field(m, &r, &e) == 0 && r.n > 0;
}

static int rf_prepare(SlSceneRun *run, SlError *e)
{
    RfRun *d = sl_alloc_zero(1, sizeof *d);
    if (!d)
        return sl_errorf(e, "out of memory");
    run->priv = d;
    if (sl_receptive_field(run->m, &d->r, e) < 0)
        return -1;
    if (d->r.n == 0)
        return sl_errorf(e, "the receptive-field scene needs Conv1D, Conv2D or pooling layers on "
                            "the model's steps axis (a Permute or Reshape before them ends it)");
    SlShape in = run->m->t[run->m->inputs[0]].shape;
    int n = in.rank >= 3 ? in.dim[1] : SL_NONE;
    if (n == SL_NONE) /* a None length: enough steps to show the whole field twice over */
        n = d->r.total * 3 / 2 + 4 < 64 ? d->r.total * 3 / 2 + 4 : 64;
    if (sl_receptive_lengths(&d->r, n, d->len) < 0)
        return sl_errorf(e, "the stack leaves no steps of %d input steps", n);
    d->jump[0] = 1;
    d->lo = 0;
    d->hi = n;
    size_t cells = 0;
    for (int i = 0; i < d->r.n; i++) {
        const SlWindowGeom *w = &d->r.win[i];
        sl_window_out_len(w, d->len[i], &d->pad[i]);
        d->jump[i + 1] = d->jump[i] * w->s;
        int first = -d->pad[i], last = (d->len[i + 1] - 1) * w->s - d->pad[i] + (w->k - 1) * w->d;
        d->padded |= first < 0 || last >= d->len[i];
        d->lo = first * d->jump[i] < d->lo ? first * d->jump[i] : d->lo;
        d->hi = (last + 1) * d->jump[i] > d->hi ? (last + 1) * d->jump[i] : d->hi;
    }
    for (int i = 0; i <= d->r.n; i++)
        cells += (size_t)d->len[i];
    if (cells > RF_MAX_CELLS || d->hi - d->lo > 400)
        return sl_errorf(e, "%zu cells are too many to draw", cells);
    run->n_steps = d->len[d->r.n];
    return 0;
}

static void rf_release(SlSceneRun *run)
{
    sl_free(run->priv);
    run->priv = NULL;
}

/* Where level L's cell j is drawn: cells sit at their first input step, level by level. */
typedef struct Grid {
    int x0, cell, top, pitch, levels;
} Grid;

static int cell_x(const Grid *g, const RfRun *d, int level, int j)
{
    return g->x0 + (j * d->jump[level] - d->lo) * g->cell;
}

static int cell_y(const Grid *g, int level)
{
    return g->top + (g->levels - 1 - level) * g->pitch; /* the input at the bottom */
}

/* The three lines beside level L: what it is, its span, its reach. */
static void level_labels(const SlModel *m, const RfRun *d, int L, char lines[3][96])
{
    const SlReceptive *r = &d->r;
    if (L == 0) {
        snprintf(lines[0], 96, "input");
        snprintf(lines[1], 96, "%d steps", d->len[0]);
        lines[2][0] = '\0';
        return;
    }
    const SlWindowGeom *w = &r->win[L - 1];
    snprintf(lines[0], 96, "%s", m->nodes[r->node[L - 1]].layer->name);
    if (w->shift)
        snprintf(lines[1], 96, "shifts by %d", w->before);
    else if (w->s > 1)
        snprintf(lines[1], 96, "k=%d, stride %d", w->k, w->s);
    else
        snprintf(lines[1], 96, "1+(%d-1)*%d = %d", w->k, w->d, r->span[L - 1]);
    snprintf(lines[2], 96, "reach %d step%s", r->reach[L - 1], r->reach[L - 1] == 1 ? "" : "s");
}

static void rf_draw(const SlSceneRun *run, int step, SlCanvas *c)
{
    RfRun *d = run->priv;
    const SlReceptive *r = &d->r;
    const SlModel *m = run->m;
    int lw, lh, t = step < 0 ? 0 : step >= run->n_steps ? run->n_steps - 1 : step;
    char title[256], caption[700];
    sl_canvas_clear(c, SL_PAPER);
    sl_canvas_text_size("M", SL_TEXT_SCALE, &lw, &lh);
    static const SlRole roles[] = {SL_ROLE_INPUT, SL_ROLE_OUTPUT, SL_ROLE_PADDING};
    const SlLayer *top_layer = m->nodes[r->node[r->n - 1]].layer;
    snprintf(title, sizeof title, "Receptive field of step %d of %s: %d input steps", t,
             top_layer->name, r->total);
    int n_roles = d->padded ? 3 : 2;
    int top = sl_scene_title(c, title, sl_legend_width(roles, n_roles) + 16) + 12;
    sl_draw_legend(c, c->w - sl_legend_width(roles, n_roles) - 8, 8, roles, n_roles);
    sl_receptive_light(r, d->len, t, d->lit);

    Grid g;
    int label_w = 0;
    char lines[3][96];
    for (int L = 0; L <= r->n; L++) {
        level_labels(m, d, L, lines);
        for (int k = 0; k < 3; k++) {
            int w1, h1;
            sl_canvas_text_size(lines[k], SL_TEXT_SCALE, &w1, &h1);
            label_w = w1 > label_w ? w1 : label_w;
        }
    }
    label_w = label_w < 170 ? 170 : label_w;
    g.levels = r->n + 1;
    g.x0 = 16 + label_w + 16;
    int avail = c->w - g.x0 - 16, span = d->hi - d->lo;
    g.cell = avail / span;
    g.cell = g.cell > 26 ? 26 : g.cell < 3 ? 3 : g.cell;
    int bottom = c->h - sl_scene_caption_height() - 2 * lh - 16; /* the input's labels */
    g.top = top + lh + 10; /* room for the top level's first label */
    g.pitch = (bottom - g.top - g.cell) / (g.levels > 1 ? g.levels - 1 : 1);
    g.pitch = g.pitch > 140 ? 140 : g.pitch;

    size_t off = 0;
    for (int L = 0; L < g.levels; L++) {
        int y = cell_y(&g, L), len = d->len[L];
        SlRole role = L == 0 ? SL_ROLE_INPUT : SL_ROLE_OUTPUT;
        SlColor col = sl_role_color(role);
        /* the padding the layer above reads: before (causal, same) and after (same) */
        if (L < r->n) {
            const SlWindowGeom *w = &r->win[L];
            int pad = d->pad[L];
            int last = (d->len[L + 1] - 1) * w->s - pad + (w->k - 1) * w->d;
            int after = last >= len ? last - len + 1 : 0;
            if (pad > 0) {
                int x = cell_x(&g, d, L, -pad);
                sl_canvas_hatch(c, x, y, pad * d->jump[L] * g.cell, g.cell, 5,
                                sl_role_color(SL_ROLE_PADDING));
                sl_canvas_rect(c, x, y, pad * d->jump[L] * g.cell, g.cell, 1,
                               sl_role_color(SL_ROLE_PADDING));
                sl_canvas_record(c, SL_ITEM_WIDGET, x, y, pad * d->jump[L] * g.cell, g.cell,
                                 SL_ROLE_PADDING, 0, "padding before");
            }
            if (after > 0) {
                int x = cell_x(&g, d, L, len);
                sl_canvas_hatch(c, x, y, after * d->jump[L] * g.cell, g.cell, 5,
                                sl_role_color(SL_ROLE_PADDING));
                sl_canvas_rect(c, x, y, after * d->jump[L] * g.cell, g.cell, 1,
                               sl_role_color(SL_ROLE_PADDING));
                sl_canvas_record(c, SL_ITEM_WIDGET, x, y, after * d->jump[L] * g.cell, g.cell,
                                 SL_ROLE_PADDING, 0, "padding after");
            }
        }
        for (int j = 0; j < len; j++) {
            int x = cell_x(&g, d, L, j), on = d->lit[off + (size_t)j];
            sl_canvas_fill_rect(c, x + 1, y, g.cell - 2, g.cell, on ? col : SL_WHITE);
            sl_canvas_rect(c, x + 1, y, g.cell - 2, g.cell, 1, on ? SL_INK : SL_GRID);
        }
        sl_canvas_record(c, SL_ITEM_WIDGET, cell_x(&g, d, L, 0), y,
                         cell_x(&g, d, L, len - 1) + g.cell - cell_x(&g, d, L, 0), g.cell, role, 0,
                         L == 0 ? "input steps" : "layer output steps");
        if (L == r->n) { /* the chosen step; a click on another picks it (sl_scene_pick) */
            sl_canvas_rect(c, cell_x(&g, d, L, t) - 2, y - 3, g.cell + 4, g.cell + 6, 2, SL_INK);
            sl_real steps[RF_MAX_CELLS / 4];
            int n = len < RF_MAX_CELLS / 4 ? len : RF_MAX_CELLS / 4, pitch = g.cell * d->jump[L];
            for (int j = 0; j < n; j++)
                steps[j] = (sl_real)j;
            sl_canvas_probe(c, cell_x(&g, d, L, 0), y, pitch, 1, n, steps, "pick step");
        }
        /* labels at the left: the layer, and its span and reach */
        level_labels(m, d, L, lines);
        for (int k = 0; k < 3; k++)
            sl_canvas_text(c, 16, y - lh - 6 + k * (lh + 6), lines[k], SL_TEXT_SCALE, SL_INK);
        off += (size_t)len;
    }
    /* the taps that carry the lit cells up, layer by layer */
    off = 0;
    for (int L = 0; L < r->n; L++) {
        const SlWindowGeom *w = &r->win[L];
        size_t up = off + (size_t)d->len[L];
        int y0 = cell_y(&g, L), y1 = cell_y(&g, L + 1) + g.cell;
        for (int o = 0; o < d->len[L + 1]; o++) {
            if (!d->lit[up + (size_t)o])
                continue;
            int xo = cell_x(&g, d, L + 1, o) + g.cell / 2;
            for (int tap = 0; tap < w->k; tap++) {
                int at = o * w->s - d->pad[L] + tap * w->d;
                int xi = cell_x(&g, d, L, at) + g.cell / 2;
                int pad_tap = at < 0 || at >= d->len[L];
                sl_canvas_line(c, xo, y1, xi, y0, pad_tap ? 1 : 2,
                               pad_tap ? sl_role_color(SL_ROLE_PADDING) : SL_INK);
            }
        }
        off = up;
    }
    int first = -1, last = -1;
    for (int i = 0; i < d->len[0]; i++)
        if (d->lit[i])
            last = i, first = first < 0 ? i : first;
    snprintf(caption, sizeof caption,
             "A layer reads k cells, d apart: it spans 1 + (k - 1) * d, and strides below multiply "
             "its reach. Step %d at the top is fed by input steps %d..%d (%d; the stack's field is "
             "%d).%s Arrows or a click pick a step.",
             t, first, last, last - first + 1, r->total,
             !d->padded                       ? ""
             : r->win[0].pad == SL_PAD_CAUSAL ? " Hatched cells are padding, on the left only, so "
                                                "no step sees the future."
                                              : " Hatched cells are padding.");
    sl_scene_caption(c, caption);
}

const SlScene sl_scene_receptive_field = {
    .name = "receptive-field",
    .what = "a stack of Conv1D/pooling layers as in the WaveNet figure: the input steps that feed "
            "one output step light up",
    .can_draw = rf_can_draw,
    .prepare = rf_prepare,
    .draw = rf_draw,
    .release = rf_release,
};
