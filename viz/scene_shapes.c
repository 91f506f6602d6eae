/* scene_shapes.c: every layer call of a model as a block with the tensors it makes beside it,
 * drawn as the graph the calls make (viz/graph_layout.h): a chain reads from top to bottom, the
 * branches of a functional model stand side by side, a merge gets an arrow from each of its
 * inputs, and a skip connection (x + f(x)) runs beside the blocks it skips. A merge shows how it
 * merges, from what its layer declares: a join's box is divided along the joined axis in
 * proportion to its inputs (Concatenate), an elementwise merge says which inputs repeat along
 * which axes (broadcasting). A sample batch flows through call by call, the frame moving from one
 * call to the next and the arrows into it filling; each step's caption is the engine's sentence
 * for why the shape changed ("Dense acts on the last axis: (2, 100, 32) -> (2, 100, 2)").
 * This is also the scene of the layers that only move shapes (Flatten, Reshape, Permute,
 * RepeatVector, Dropout, Activation).
 *
 * A drawing taller than the canvas wraps into columns; one wider than the canvas shows the
 * columns around the current call, and moves along with the steps. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "graph_layout.h"
#include "scene.h"
#include "widgets.h"

enum {
    MARGIN = 16,    /* left and right of the drawing */
    TO_BOX = 20,    /* from a block to its first tensor box (an arrow) */
    BOX_GAP = 16,   /* between two tensor boxes of one call */
    PAN_STRIP = 22, /* above a drawing wider than the canvas: what is left and right of it */
    NAME_MIN = 110, /* the narrowest look: blocks narrowed in steps of NAME_STEP down to this */
    NAME_STEP = 12
};

/* How much a node says, from the most to the least: what each axis of its tensors means, the
 * layer's type in its block (the caption names it for the current call), its whole name. */
typedef enum Look { LOOK_AXES, LOOK_SHAPES, LOOK_NO_TYPE, LOOK_NARROW, LOOKS } Look;

typedef struct Shapes {
    SlGraph g; /* node i is recorded call i; an edge for each input a call reads */
    SlBoxMarks marks[SL_MAX_NODES]; /* a merge's joined axis, or what repeats */
    char notes[SL_MAX_NODES][96];
    /* the layout, for the canvas size it was made for */
    int for_w, for_h, ok;
    Look look;
    int block_w;
    double scale;               /* of every tensor box: sizes compare across the picture */
    int x0, y0, area_w, area_h; /* where the drawing goes */
    int pans;                   /* wider than the area: the view follows the steps */
} Shapes;

/* ---- what a merge says about its merging ---- */

/* What axis `a` of a tensor box means, as its label says it ("features"). */
static void axis_word(const SlSceneRun *run, int tensor, int a, char *buf, size_t n)
{
    const SlShape *s = &run->m->t[tensor].shape;
    char all[160];
    sl_tensor_axes_text(s, sl_scene_axes(run->m, tensor), all, sizeof all);
    const char *p = all;
    for (int i = 0; i < a && p; i++)
        if ((p = strstr(p, " x ")) != NULL)
            p += 3;
    snprintf(buf, n, "%.*s", p ? (int)strcspn(p, " ") : 0, p ? p : "");
}

/* A join: its output divided along the joined axis as its inputs were, "joined on axis 1
 * (features): 16 + 16". */
static void join_marks(const SlSceneRun *run, const SlNode *nd, SlBoxMarks *mk, char *note,
                       size_t n)
{
    int ax = sl_layer_join_axis(nd->layer, nd->sym.out[0].rank);
    if (ax < 1)
        return;
    char word[48], d[16];
    axis_word(run, nd->out[0], ax, word, sizeof word);
    size_t u = (size_t)snprintf(note, n, word[0] ? "joined on axis %d (%s): " : "joined on axis %d",
                                ax, word);
    mk->axis = ax;
    mk->n_parts = nd->sym.n_in < SL_BOX_PARTS ? nd->sym.n_in : SL_BOX_PARTS;
    for (int k = 0; k < mk->n_parts && u < n; k++) {
        mk->part[k] = nd->sym.in[k].dim[ax];
        snprintf(d, sizeof d, mk->part[k] == SL_NONE ? "None" : "%d", mk->part[k]);
        u += (size_t)snprintf(note + u, n - u, "%s%s", k ? " + " : "", d);
    }
    mk->note = note;
}

/* An elementwise merge: which input repeats along which axes of the output (broadcasting: an axis
 * of size 1, or one it lacks, lined up from the last axis), or that every axis agrees. */
static void broadcast_note(const SlNode *nd, SlBoxMarks *mk, char *note, size_t n)
{
    const SlShape *out = &nd->sym.out[0];
    snprintf(note, n, "element by element: every axis agrees");
    for (int k = 0; k < nd->sym.n_in; k++) {
        const SlShape *in = &nd->sym.in[k];
        char axes[48] = "", s[96];
        int count = 0;
        size_t u = 0;
        for (int a = 1; a < out->rank; a++) {
            int b = a - (out->rank - in->rank);
            if ((b < 1 || in->dim[b] == 1) && out->dim[a] != 1 && u < sizeof axes) {
                u += (size_t)snprintf(axes + u, sizeof axes - u, "%s%d", count ? ", " : "", a);
                count++;
            }
        }
        if (count) {
            snprintf(note, n, "%s repeats along %s %s", sl_shape_str(in, s, sizeof s),
                     count > 1 ? "axes" : "axis", axes);
            break;
        }
    }
    mk->note = note;
}

static void merge_marks(const SlSceneRun *run, Shapes *S)
{
    for (int i = 0; i < run->n_calls; i++) {
        const SlNode *nd = &run->m->nodes[run->calls[i].node];
        S->marks[i] = (SlBoxMarks){.axis = -1};
        if (sl_layer_is(nd->layer, SL_KIND_JOIN))
            join_marks(run, nd, &S->marks[i], S->notes[i], sizeof S->notes[i]);
        else if (sl_layer_is(nd->layer, SL_KIND_ELEMENTWISE))
            broadcast_note(nd, &S->marks[i], S->notes[i], sizeof S->notes[i]);
    }
}

/* ---- the graph ---- */

/* An edge for every input of every recorded call that another recorded call made. */
static int build_graph(const SlSceneRun *run, Shapes *S, SlError *e)
{
    const SlModel *m = run->m;
    int call_of[SL_MAX_NODES], n_edges = 0;
    for (int i = 0; i < SL_MAX_NODES; i++)
        call_of[i] = -1;
    for (int i = 0; i < run->n_calls; i++)
        call_of[run->calls[i].node] = i;
    for (int pass = 0; pass < 2; pass++) {
        if (pass && sl_graph_init(&S->g, run->n_calls, n_edges, e) < 0)
            return -1;
        n_edges = 0;
        for (int i = 0; i < run->n_calls; i++) {
            const SlNode *nd = &m->nodes[run->calls[i].node];
            for (int k = 0; k < nd->sym.n_in; k++) {
                int from = call_of[m->t[nd->in[k]].node];
                if (from >= 0 && pass)
                    S->g.edges[n_edges] = (SlGlEdge){.from = from, .to = i};
                n_edges += from >= 0;
            }
        }
    }
    return 0;
}

static SlRole role_of(const SlSceneRun *run, int i, int o)
{
    const SlModel *m = run->m;
    const SlNode *nd = &m->nodes[run->calls[i].node];
    for (int k = 0; k < m->n_outputs; k++)
        if (m->outputs[k] == nd->out[o])
            return SL_ROLE_OUTPUT;
    return nd->sym.n_in == 0 ? SL_ROLE_INPUT : SL_ROLE_NONE; /* in between: plain grey */
}

static const SlBoxMarks *marks_of(const Shapes *S, int i, int o)
{
    return o == 0 && S->marks[i].note ? &S->marks[i] : NULL;
}

/* The size of call i's tensor boxes, side by side, labels included. */
static void boxes_size(const SlSceneRun *run, const Shapes *S, int i, Look look, double scale,
                       int *w, int *h)
{
    const SlNode *nd = &run->m->nodes[run->calls[i].node];
    *w = *h = 0;
    for (int o = 0; o < nd->sym.n_out; o++) {
        int bw, bh;
        sl_tensor_box_size_marked(&nd->sym.out[o], sl_scene_axes(run->m, nd->out[o]),
                                  look == LOOK_AXES, scale, marks_of(S, i, o), &bw, &bh);
        *w += (o ? BOX_GAP : 0) + bw;
        *h = bh > *h ? bh : *h;
    }
}

/* Node sizes for a look and a row height: one block width for all (the widest name, at most cap
 * in the narrowest look), one scale for every box (the tallest fits the row). */
static void size_nodes(const SlSceneRun *run, Shapes *S, Look look, int row_h, int cap)
{
    int block_h = sl_layer_card_height(), tallest = 1;
    S->block_w = 0;
    for (int i = 0; i < run->n_calls; i++) {
        const SlLayer *l = run->m->nodes[run->calls[i].node].layer;
        int w = sl_layer_card_width(l->name, look < LOOK_NO_TYPE ? l->type->name : NULL,
                                    (long long)sl_layer_count_params(l));
        S->block_w = w > S->block_w ? w : S->block_w;
        int bw, bh;
        boxes_size(run, S, i, look, 1.0, &bw, &bh);
        tallest = bh > tallest ? bh : tallest;
    }
    if (look == LOOK_NARROW && S->block_w > cap)
        S->block_w = cap;
    S->look = look;
    S->scale = fmax(0.2, fmin(1.0, (row_h - 4.0) / tallest));
    for (int i = 0; i < run->n_calls; i++) {
        int bw, bh;
        boxes_size(run, S, i, look, S->scale, &bw, &bh);
        S->g.nodes[i] = (SlGlNode){.w = S->block_w + TO_BOX + bw,
                                   .h = row_h,
                                   .aw = S->block_w,
                                   .ay = (row_h - block_h) / 2,
                                   .ah = block_h};
    }
}

/* Lay out in a look: 1 when the drawing fits the area, wrapping into columns only with the
 * shortest rows (or when the layout failed: then there is nothing to try). */
static int fits(const SlSceneRun *run, Shapes *S, Look look, int row_h, int cap)
{
    SlError e;
    size_nodes(run, S, look, row_h, cap);
    S->ok = sl_graph_layout(&S->g, S->area_h, &e) == 0;
    return !S->ok || (S->g.h <= S->area_h && S->g.w <= S->area_w &&
                      (S->g.n_columns == 1 || row_h == sl_layer_card_height()));
}

/* The roomiest look that fits the area: the axes' meanings before shapes alone before blocks
 * without types before narrower blocks, tall rows before wrapping into columns. What fits nowhere
 * takes the narrowest look and is shown a part at a time. */
static void lay_out(const SlSceneRun *run, Shapes *S, const SlCanvas *c, int top)
{
    int block_h = sl_layer_card_height();
    const int rows[] = {72, 58, block_h};
    S->for_w = c->w, S->for_h = c->h, S->pans = 0;
    S->x0 = MARGIN, S->y0 = top + 6;
    S->area_w = c->w - 2 * MARGIN;
    S->area_h = c->h - sl_scene_caption_height() - 4 - S->y0;
    for (Look look = LOOK_AXES; look < LOOK_NARROW; look++)
        for (int r = 0; r < 3; r++)
            if (fits(run, S, look, rows[r], 0))
                return;
    for (int cap = S->block_w - NAME_STEP; cap >= NAME_MIN; cap -= NAME_STEP)
        if (fits(run, S, LOOK_NARROW, block_h, cap))
            return;
    S->pans = 1; /* room above to say what is left and right of the part shown */
    S->y0 += PAN_STRIP, S->area_h -= PAN_STRIP;
    fits(run, S, LOOK_NARROW, block_h, NAME_MIN);
}

/* ---- the view, when the drawing is wider than the area ---- */

/* Where the view starts (in the drawing) when call k is the current one: at its column, moved so
 * that the call shows whole, and never past the drawing's end. */
static double view_at(const Shapes *S, int k)
{
    if (!S->pans)
        return 0;
    const SlGlNode *nd = &S->g.nodes[k];
    double v = S->g.column_x[nd->column];
    if (nd->x + nd->w > v + S->area_w)
        v = nd->x + nd->w - S->area_w;
    v = fmin(v, nd->x);
    return fmax(0, fmin(v, S->g.w - S->area_w));
}

/* What of the drawing is shown from view v on: the columns that fit whole (with the gutter after
 * them), or the view itself when not even one column does. */
static void shown(const Shapes *S, double v, double *lo, double *hi)
{
    *lo = v, *hi = v + S->area_w;
    if (!S->pans)
        return;
    int first = -1, last = -1;
    for (int c = 0; c < S->g.n_columns; c++)
        if (S->g.column_x[c] >= v && S->g.column_x[c + 1] <= v + S->area_w + 0.5) {
            first = first < 0 ? c : first;
            last = c;
        }
    if (first >= 0)
        *lo = S->g.column_x[first], *hi = S->g.column_x[last + 1];
}

static int node_shown(const SlGlNode *nd, double lo, double hi)
{
    return nd->x >= lo && nd->x + nd->w <= hi;
}

/* ---- drawing ---- */

static void draw_node(const SlSceneRun *run, const Shapes *S, int i, int ox, int oy, int current,
                      SlCanvas *c)
{
    const SlGlNode *gn = &S->g.nodes[i];
    const SlNode *nd = &run->m->nodes[run->calls[i].node];
    const SlLayer *l = nd->layer;
    int bx = ox + gn->x + gn->ax, by = oy + gn->y + gn->ay, x = bx + gn->aw + TO_BOX;
    sl_draw_layer_card(c, bx, by, gn->aw, gn->ah, l->name,
                       S->look < LOOK_NO_TYPE ? l->type->name : NULL,
                       (long long)sl_layer_count_params(l), current);
    sl_canvas_smooth_arrow(c, bx + gn->aw + 4, by + gn->ah / 2.0, x - 6, by + gn->ah / 2.0, 1.5, 7,
                           sl_mix(SL_GRID, SL_INK, 0.5));
    for (int o = 0; o < nd->sym.n_out; o++) {
        const char *axes = sl_scene_axes(run->m, nd->out[o]);
        const SlBoxMarks *mk = marks_of(S, i, o);
        int bw, bh;
        sl_tensor_box_size_marked(&nd->sym.out[o], axes, S->look == LOOK_AXES, S->scale, mk, &bw,
                                  &bh);
        sl_draw_tensor_box_marked(c, x, oy + gn->y + (gn->h - bh) / 2, &nd->sym.out[o], axes,
                                  S->look == LOOK_AXES, S->scale, role_of(run, i, o), current, mk);
        x += bw + BOX_GAP;
    }
}

/* Edge k's route from its start to `part` of its length (1: whole, ending in an arrow head). */
static void draw_route(const Shapes *S, int k, int ox, int oy, double part, double width,
                       SlColor color, SlCanvas *c)
{
    const SlGlEdge *ed = &S->g.edges[k];
    const double *px = S->g.px + ed->first, *py = S->g.py + ed->first;
    double total = 0, done = 0;
    for (int i = 1; i < ed->n; i++)
        total += fabs(px[i] - px[i - 1]) + fabs(py[i] - py[i - 1]);
    double want = total * part;
    for (int i = 1; i < ed->n && done < want; i++) {
        double len = fabs(px[i] - px[i - 1]) + fabs(py[i] - py[i - 1]);
        double f = len > 0 && done + len > want ? (want - done) / len : 1;
        double x1 = sl_lerp(px[i - 1], px[i], f) + ox, y1 = sl_lerp(py[i - 1], py[i], f) + oy;
        if (i == ed->n - 1 && f >= 1)
            sl_canvas_smooth_arrow(c, px[i - 1] + ox, py[i - 1] + oy, x1, y1, width, 7, color);
        else
            sl_canvas_smooth_line(c, px[i - 1] + ox, py[i - 1] + oy, x1, y1, width, color);
        done += len;
    }
}

/* The arrows: into the current call dark, the others grey; on the way to the next step the
 * arrows into the next call fill from their start. Clipped to what is shown. */
static void draw_edges(const Shapes *S, int current, int next, double t, int ox, int oy, double lo,
                       double hi, SlCanvas *c)
{
    sl_canvas_clip(c, ox + (int)lo, S->y0, (int)(hi - lo), S->area_h);
    for (int k = 0; k < S->g.n_edges; k++) {
        int in = S->g.edges[k].to == current;
        draw_route(S, k, ox, oy, 1, in ? 2 : 1.5, in ? SL_INK : sl_mix(SL_GRID, SL_INK, 0.5), c);
    }
    for (int k = 0; t > 0 && k < S->g.n_edges; k++)
        if (S->g.edges[k].to == next && next != current)
            draw_route(S, k, ox, oy, t, 2, SL_INK, c);
    sl_canvas_clip(c, 0, 0, -1, -1);
}

/* Above a drawing shown a part at a time: how many calls are not shown, left and right of it. */
static void draw_pan_notes(const Shapes *S, double lo, double hi, SlCanvas *c)
{
    int left = 0, right = 0;
    char t[64];
    for (int i = 0; i < S->g.n_nodes; i++)
        if (!node_shown(&S->g.nodes[i], lo, hi)) {
            left += S->g.nodes[i].x < lo;
            right += S->g.nodes[i].x >= lo;
        }
    int y = S->y0 - PAN_STRIP + 2;
    if (left) {
        snprintf(t, sizeof t, "\xE2\x97\x80 %d more call%s", left, left == 1 ? "" : "s");
        sl_canvas_text(c, S->x0, y, t, SL_TEXT_SMALL, SL_INK);
    }
    if (right) {
        snprintf(t, sizeof t, "%d more call%s \xE2\x96\xB6", right, right == 1 ? "" : "s");
        sl_canvas_text_aligned(c, S->x0 + S->area_w, y, SL_ALIGN_RIGHT, t, SL_TEXT_SMALL, SL_INK);
    }
}

static void shapes_draw(const SlSceneRun *run, double at, SlCanvas *c)
{
    Shapes *S = run->priv;
    char title[256], caption[600];
    double t;
    int step = sl_scene_step(run, at, &t), said = sl_scene_caption_step(run, at);
    int next = step + 1 < run->n_calls ? step + 1 : step;
    sl_canvas_clear(c, SL_PAPER);
    snprintf(title, sizeof title,
             "model \"%s\": shapes layer by layer (a batch of %d flows through)", run->m->name,
             run->calls[0].io.n_out ? run->calls[0].io.out[0].dim[0] : run->batch);
    /* the legend names the roles this picture uses: weights only if a layer has some */
    SlRole roles[3] = {SL_ROLE_INPUT, SL_ROLE_WEIGHT, SL_ROLE_OUTPUT};
    int n_roles = 3;
    if (sl_model_count_params(run->m) == 0)
        roles[1] = SL_ROLE_OUTPUT, n_roles = 2;
    int top = sl_scene_title(c, title, sl_legend_width(roles, n_roles) + 16);
    sl_draw_legend(c, c->w - sl_legend_width(roles, n_roles) - 12, 10, roles, n_roles);
    if (S->for_w != c->w || S->for_h != c->h)
        lay_out(run, S, c, top);
    if (S->ok) {
        double view = sl_lerp(view_at(S, step), view_at(S, next), t), lo, hi;
        shown(S, view, &lo, &hi);
        int ox = S->x0 - (int)lround(view), oy = S->y0;
        draw_edges(S, said, next, t, ox, oy, lo, hi, c);
        for (int i = 0; i < run->n_calls; i++)
            if (node_shown(&S->g.nodes[i], lo, hi))
                draw_node(run, S, i, ox, oy, i == said, c);
        if (S->pans)
            draw_pan_notes(S, lo, hi, c);
        /* the focus slides from this call to the next */
        const SlGlNode *a = &S->g.nodes[step], *b = &S->g.nodes[next];
        if (node_shown(a, lo, hi) || node_shown(b, lo, hi))
            sl_draw_focus(c, ox + sl_lerp(a->x + a->ax, b->x + b->ax, t),
                          oy + sl_lerp(a->y + a->ay, b->y + b->ay, t), S->block_w, a->ah);
    } else {
        sl_canvas_text(c, MARGIN, top + 16, "out of memory laying out the model's graph",
                       SL_TEXT_LABEL, SL_INK);
    }
    const SlVizCall *call = &run->calls[said];
    const SlLayer *l = run->m->nodes[call->node].layer;
    snprintf(caption, sizeof caption, "Layer %d of %d, %s (%s): %s", said + 1, run->n_calls,
             l->name, l->type->name, call->why);
    sl_scene_caption(c, caption);
}

static int shapes_prepare(SlSceneRun *run, SlError *e)
{
    if (sl_scene_record_forward(run, e) < 0)
        return -1;
    run->n_steps = run->n_calls;
    Shapes *S = run->priv = sl_alloc_zero(1, sizeof *S);
    if (!S)
        return sl_errorf(e, "out of memory drawing model '%s'", run->m->name);
    if (build_graph(run, S, e) < 0)
        return -1;
    merge_marks(run, S);
    return 0;
}

static void shapes_release(SlSceneRun *run)
{
    Shapes *S = run->priv;
    if (S)
        sl_graph_free(&S->g);
    sl_free(S);
    run->priv = NULL;
}

const SlScene sl_scene_shapes = {
    .name = "shapes",
    .what = "every layer call and the tensors it makes, drawn as the model's graph, the shape's "
            "change explained step by step",
    .draws_data = 1,
    .can_draw = sl_scene_draws_any,
    .prepare = shapes_prepare,
    .draw = shapes_draw,
    .release = shapes_release,
};
