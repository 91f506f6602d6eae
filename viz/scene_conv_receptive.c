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
    if (n == SL_NONE) /* a None length: --timesteps or the data's, else the whole field twice */
        n = run->timesteps_asked          ? run->timesteps
            : d->r.total * 3 / 2 + 4 < 64 ? d->r.total * 3 / 2 + 4
                                          : 64;
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
        return sl_errorf(e,
                         "%zu cells over %d steps are too many to draw (at most %d cells over "
                         "400 steps: try --timesteps)",
                         cells, d->hi - d->lo, RF_MAX_CELLS);
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

/* The three lines beside level L: what it is, its span, its reach and the steps that feed it. */
static void level_labels(const SlModel *m, const RfRun *d, int L, char lines[3][96])
{
    const SlReceptive *r = &d->r;
    if (L == 0) {
        snprintf(lines[0], 96, "input");
        snprintf(lines[1], 96, "%d steps, from 0", d->len[0]);
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
        snprintf(lines[1], 96, "k=%d d=%d: 1+(%d-1)*%d = %d", w->k, w->d, w->k, w->d,
                 r->span[L - 1]);
    if (r->fed_upto[L - 1] < r->reach[L - 1])
        snprintf(lines[2], 96, "spans %d, %d feed it", r->reach[L - 1], r->fed_upto[L - 1]);
    else
        snprintf(lines[2], 96, "spans %d step%s, all feed it", r->reach[L - 1],
                 r->reach[L - 1] == 1 ? "" : "s");
}

static void layout(const SlSceneRun *run, const RfRun *d, const SlCanvas *c, int top, Grid *g)
{
    int lh = sl_text_height(SL_TEXT_LABEL), label_w = 0;
    char lines[3][96];
    for (int L = 0; L <= d->r.n; L++) {
        level_labels(run->m, d, L, lines);
        for (int k = 0; k < 3; k++) {
            int w1 = sl_text_width(lines[k], k ? SL_TEXT_SMALL : SL_TEXT_HEADING);
            label_w = w1 > label_w ? w1 : label_w;
        }
    }
    label_w = label_w < 150 ? 150 : label_w;
    g->levels = d->r.n + 1;
    g->x0 = 16 + label_w + 20;
    g->cell = (c->w - g->x0 - 16) / (d->hi - d->lo);
    g->cell = g->cell > 26 ? 26 : g->cell < 3 ? 3 : g->cell;
    int bottom = c->h - sl_scene_caption_height() - sl_text_height(SL_TEXT_SMALL) - 16;
    g->top = top + lh + 6; /* room for the top level's first label */
    g->pitch = (bottom - g->top - g->cell) / (g->levels > 1 ? g->levels - 1 : 1);
    g->pitch = g->pitch > 140 ? 140 : g->pitch;
}

/* The cells of each level (unlit), the padding the layer above reads, and the labels. */
static void draw_levels(const SlSceneRun *run, const RfRun *d, const Grid *g, SlCanvas *c)
{
    const SlReceptive *r = &d->r;
    int lh = sl_text_height(SL_TEXT_LABEL), sh = sl_text_height(SL_TEXT_SMALL);
    char lines[3][96];
    for (int L = 0; L < g->levels; L++) {
        int y = cell_y(g, L), len = d->len[L];
        SlRole role = L == 0 ? SL_ROLE_INPUT : SL_ROLE_OUTPUT;
        if (L < r->n) { /* the padding the layer above reads: before (causal, same), after */
            const SlWindowGeom *w = &r->win[L];
            int last = (d->len[L + 1] - 1) * w->s - d->pad[L] + (w->k - 1) * w->d;
            int after = last >= len ? last - len + 1 : 0, span = d->jump[L] * g->cell;
            for (int side = 0; side < 2; side++) {
                int cells = side ? after : d->pad[L];
                if (cells <= 0)
                    continue;
                int x = cell_x(g, d, L, side ? len : -cells);
                sl_canvas_fill_rect(c, x, y, cells * span, g->cell, SL_WHITE);
                sl_canvas_hatch(c, x, y, cells * span, g->cell, 5, sl_role_color(SL_ROLE_PADDING));
                sl_canvas_rect(c, x, y, cells * span, g->cell, 1, sl_role_color(SL_ROLE_PADDING));
                sl_canvas_record(c, SL_ITEM_WIDGET, x, y, cells * span, g->cell, SL_ROLE_PADDING, 0,
                                 side ? "padding after" : "padding before");
            }
        }
        for (int j = 0; j < len; j++) {
            int x = cell_x(g, d, L, j);
            sl_canvas_fill_rect(c, x + 1, y, g->cell - 2, g->cell, SL_WHITE);
            sl_canvas_rect(c, x + 1, y, g->cell - 2, g->cell, 1, SL_GRID);
        }
        sl_canvas_record(c, SL_ITEM_WIDGET, cell_x(g, d, L, 0), y,
                         cell_x(g, d, L, len - 1) + g->cell - cell_x(g, d, L, 0), g->cell, role, 0,
                         L == 0 ? "input steps" : "layer output steps");
        level_labels(run->m, d, L, lines);
        int ly = y + g->cell / 2 - (lh + 2 * sh + 4) / 2;
        sl_canvas_text(c, 16, ly, lines[0], SL_TEXT_HEADING, SL_INK);
        sl_canvas_text(c, 16, ly + lh + 2, lines[1], SL_TEXT_SMALL, SL_INK);
        sl_canvas_text(c, 16, ly + lh + sh + 4, lines[2], SL_TEXT_SMALL, SL_INK);
    }
    /* the input's step numbers, every few cells (they count from 0, as x[:, t] does) */
    int every = 1, y0 = cell_y(g, 0) + g->cell + 4;
    while (every * d->jump[0] * g->cell < sl_text_width("000", SL_TEXT_SMALL) + 8)
        every = every < 5 ? 5 : every * 2;
    for (int j = 0; j < d->len[0]; j += every) {
        char s[16];
        snprintf(s, sizeof s, "%d", j);
        sl_canvas_text_aligned(c, cell_x(g, d, 0, j) + g->cell / 2, y0, SL_ALIGN_CENTER, s,
                               SL_TEXT_SMALL, SL_INK);
    }
}

/* Output step t's field: the lit cells and the taps that carry them up, moved dx units to the
 * right (between two steps, the field slides to the next one). */
static void draw_field(const RfRun *d, const Grid *g, int t, double dx, unsigned char *lit,
                       SlCanvas *c)
{
    const SlReceptive *r = &d->r;
    sl_receptive_light(r, d->len, t, lit);
    size_t off = 0;
    for (int L = 0; L < r->n; L++) { /* the taps, under the cells */
        const SlWindowGeom *w = &r->win[L];
        size_t up = off + (size_t)d->len[L];
        double y0 = cell_y(g, L) + 0.5, y1 = cell_y(g, L + 1) + g->cell - 0.5;
        for (int o = 0; o < d->len[L + 1]; o++) {
            if (!lit[up + (size_t)o])
                continue;
            double xo = cell_x(g, d, L + 1, o) + g->cell / 2.0 + dx;
            for (int tap = 0; tap < w->k; tap++) {
                int at = o * w->s - d->pad[L] + tap * w->d;
                double xi = cell_x(g, d, L, at) + g->cell / 2.0 + dx;
                int pad_tap = at < 0 || at >= d->len[L];
                sl_canvas_smooth_line(c, xo, y1, xi, y0, pad_tap ? 1 : 1.6,
                                      pad_tap ? sl_role_color(SL_ROLE_PADDING) : SL_INK);
            }
        }
        off = up;
    }
    off = 0;
    for (int L = 0; L <= r->n; L++) {
        SlColor col = sl_role_color(L == 0 ? SL_ROLE_INPUT : SL_ROLE_OUTPUT);
        for (int j = 0; j < d->len[L]; j++)
            if (lit[off + (size_t)j]) {
                double x = cell_x(g, d, L, j) + 1 + dx;
                sl_canvas_round_rect(c, x, cell_y(g, L), g->cell - 2, g->cell, 2, col);
            }
        off += (size_t)d->len[L];
    }
}

static void rf_draw(const SlSceneRun *run, double at, SlCanvas *c)
{
    RfRun *d = run->priv;
    const SlReceptive *r = &d->r;
    const SlModel *m = run->m;
    double tw;
    int t = sl_scene_step(run, at, &tw), said = sl_scene_caption_step(run, at);
    char title[256], caption[900], gaps[512];
    sl_canvas_clear(c, SL_PAPER);
    static const SlRole roles[] = {SL_ROLE_INPUT, SL_ROLE_OUTPUT, SL_ROLE_PADDING};
    const SlLayer *top_layer = m->nodes[r->node[r->n - 1]].layer;
    if (r->fed < r->total)
        snprintf(title, sizeof title,
                 "Receptive field of %s's step %d: it spans %d input steps, %d of them feed it",
                 top_layer->name, said, r->total, r->fed);
    else
        snprintf(title, sizeof title, "Receptive field of %s's step %d: %d input steps",
                 top_layer->name, said, r->total);
    int n_roles = d->padded ? 3 : 2;
    int top = sl_scene_title(c, title, sl_legend_width(roles, n_roles) + 16) + 10;
    sl_draw_legend(c, c->w - sl_legend_width(roles, n_roles) - 12, 10, roles, n_roles);
    Grid g;
    layout(run, d, c, top, &g);
    draw_levels(run, d, &g, c);
    int next = t + 1 < run->n_steps ? t + 1 : t;
    double dx = tw * (cell_x(&g, d, r->n, next) - cell_x(&g, d, r->n, t));
    draw_field(d, &g, t, dx, d->lit, c);
    /* the chosen step, framed; a click on another picks it (sl_scene_pick) */
    int yt = cell_y(&g, r->n);
    sl_canvas_round_frame(c, cell_x(&g, d, r->n, t) - 2 + dx, yt - 3, g.cell + 4, g.cell + 6, 3, 2,
                          SL_INK);
    sl_real steps[RF_MAX_CELLS / 4];
    int n = d->len[r->n] < RF_MAX_CELLS / 4 ? d->len[r->n] : RF_MAX_CELLS / 4;
    for (int j = 0; j < n; j++)
        steps[j] = (sl_real)j;
    sl_canvas_probe(c, cell_x(&g, d, r->n, 0), yt, g.cell * d->jump[r->n], g.cell, 1, n, steps,
                    "pick step");
    /* the caption counts what the picture lights for the step it names */
    sl_receptive_light(r, d->len, said, d->lit);
    int first = -1, last = -1, lit = 0;
    for (int i = 0; i < d->len[0]; i++)
        if (d->lit[i])
            last = i, first = first < 0 ? i : first, lit++;
    sl_receptive_gaps(m, r, gaps, sizeof gaps);
    snprintf(caption, sizeof caption,
             "Step %d of %s reads input steps %d..%d: %d step%s, with padding %s. The stack spans "
             "%d steps; %s.%s Right/left or a click pick another step.",
             said, top_layer->name, first, last, lit, lit == 1 ? "" : "s",
             !d->padded                       ? "nowhere"
             : r->win[0].pad == SL_PAD_CAUSAL ? "(hatched) on the left only, so no step sees the "
                                                "future"
                                              : "hatched",
             r->total, gaps,
             lit < last - first + 1 && r->fed == r->total ? " (Padding cuts it.)" : "");
    sl_scene_caption(c, caption);
}

const SlScene sl_scene_receptive_field = {
    .name = "receptive-field",
    .what = "a stack of Conv1D/pooling layers as in the WaveNet figure: the input steps that feed "
            "one output step light up",
    .draws_data = 0,
    .can_draw = rf_can_draw,
    .prepare = rf_prepare,
    .draw = rf_draw,
    .release = rf_release,
};
