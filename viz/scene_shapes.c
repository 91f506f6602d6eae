/* scene_shapes.c: any model as a column of layer blocks, each with the tensor it makes beside it;
 * a sample batch flows through layer by layer, and each step's caption is the engine's sentence
 * for why the shape changed ("Dense acts on the last axis: (2, 100, 32) -> (2, 100, 2)").
 * This is also the scene of the layers that only move shapes (Flatten, Reshape, Permute,
 * RepeatVector, Dropout, Activation). */
#include <stdio.h>
#include <string.h>

#include "scene.h"
#include "widgets.h"

static int shapes_prepare(SlSceneRun *run, SlError *e)
{
    if (sl_scene_record_forward(run, e) < 0)
        return -1;
    run->n_steps = run->n_calls;
    return 0;
}

static void shapes_release(SlSceneRun *run)
{
    (void)run;
}

typedef struct Layout {
    int top, bottom, cols, rows_per_col, row_h, col_w, block_w, block_h;
    double scale;
} Layout;

static void layout(const SlSceneRun *run, const SlCanvas *c, int top, Layout *L)
{
    int ch = sl_text_height(SL_TEXT_LABEL), longest = 0;
    L->top = top + 14;
    L->bottom = c->h - sl_scene_caption_height() - 8;
    int avail = L->bottom - L->top, n = run->n_calls;
    L->cols = n * 46 > avail ? 2 : 1;
    L->rows_per_col = (n + L->cols - 1) / L->cols;
    L->row_h = avail / (L->rows_per_col ? L->rows_per_col : 1);
    L->row_h = L->row_h > 96 ? 96 : L->row_h;
    L->col_w = (c->w - 16) / L->cols;
    for (int i = 0; i < n; i++) {
        const SlLayer *l = run->m->nodes[run->calls[i].node].layer;
        char t[160];
        snprintf(t, sizeof t, "%s (%s)", l->name, l->type->name);
        int w = sl_text_width(t, SL_TEXT_LABEL);
        longest = w > longest ? w : longest;
    }
    L->block_w = longest + 24 > 200 ? longest + 24 : 200;
    L->block_h = L->row_h - 16 < 2 * ch + 14 ? L->row_h - 16 : 2 * ch + 14; /* two lines if room */
    /* one scale for every box, so sizes compare across the scene */
    double tallest = 1;
    for (int i = 0; i < n; i++) {
        int w, h;
        sl_tensor_box_size(&run->m->nodes[run->calls[i].node].sym.out[0], 1.0, &w, &h);
        tallest = h > tallest ? h : tallest;
    }
    L->scale = (L->row_h - 16) / tallest;
    L->scale = L->scale > 1 ? 1 : (L->scale < 0.2 ? 0.2 : L->scale);
}

static void row_origin(const Layout *L, int i, int *x, int *y)
{
    *x = 16 + (i / L->rows_per_col) * L->col_w;
    *y = L->top + (i % L->rows_per_col) * L->row_h;
}

static SlRole role_of(const SlSceneRun *run, int i)
{
    const SlModel *m = run->m;
    const SlVizCall *call = &run->calls[i];
    for (int k = 0; k < m->n_outputs; k++)
        if (m->t[m->outputs[k]].node == call->node)
            return SL_ROLE_OUTPUT;
    return call->io.n_in == 0 ? SL_ROLE_INPUT : SL_ROLE_NONE; /* in between: plain grey */
}

/* Where row i's tensor box goes. */
static int box_x(const SlSceneRun *run, const Layout *L, int i, int x)
{
    int bw, bh;
    sl_tensor_box_size(&run->m->nodes[run->calls[i].node].sym.out[0], L->scale, &bw, &bh);
    int bx = x + L->block_w + 44;
    return bx + bw > x + L->col_w - 8 ? x + L->block_w + 26 : bx; /* a narrow column */
}

static void draw_row(const SlSceneRun *run, const Layout *L, int i, int current, SlCanvas *c)
{
    const SlVizCall *call = &run->calls[i];
    const SlNode *nd = &run->m->nodes[call->node];
    const SlLayer *l = nd->layer;
    int x, y, bh = L->block_h;
    row_origin(L, i, &x, &y);
    sl_draw_layer_block(c, x, y, L->block_w, bh, l->name, l->type->name,
                        (long long)sl_layer_count_params(l), i == current);
    /* the model's own shape, as the summary prints it: None is drawn as an open (dashed) end */
    const SlShape *shape = &nd->sym.out[0];
    int bx = box_x(run, L, i, x), bw, bht;
    const char *axes = sl_scene_axes(run->m, nd->out[0]);
    sl_tensor_box_size_axes(shape, axes, L->scale, &bw, &bht);
    sl_canvas_smooth_arrow(c, x + L->block_w + 4, y + bh / 2, bx - 6, y + bh / 2, 1.5, 7,
                           sl_mix(SL_GRID, SL_INK, 0.5));
    sl_draw_tensor_box_axes(c, bx, y + bh / 2 - bht / 2, shape, axes, L->scale, role_of(run, i),
                            i == current, x + L->col_w - 8);
    /* data flows down: from the previous call to this one, when it is its input */
    int fed_by_previous =
        i > 0 && nd->sym.n_in && run->m->t[nd->in[0]].node == run->calls[i - 1].node;
    if (i % L->rows_per_col && fed_by_previous) {
        int px, py;
        row_origin(L, i - 1, &px, &py);
        sl_canvas_smooth_arrow(c, x + 30, py + bh + 2, x + 30, y - 2, 1.5, 6,
                               sl_mix(SL_GRID, SL_INK, 0.5));
    }
}

static void shapes_draw(const SlSceneRun *run, double at, SlCanvas *c)
{
    char title[256], caption[600];
    double t;
    int step = sl_scene_step(run, at, &t), said = sl_scene_caption_step(run, at);
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
    Layout L;
    layout(run, c, top, &L);
    for (int i = 0; i < run->n_calls; i++)
        draw_row(run, &L, i, said, c);
    /* the focus slides from this layer to the next */
    int x0, y0, x1, y1;
    row_origin(&L, step, &x0, &y0);
    row_origin(&L, step + 1 < run->n_calls ? step + 1 : step, &x1, &y1);
    sl_draw_focus(c, sl_lerp(x0, x1, t), sl_lerp(y0, y1, t), L.block_w, L.block_h);
    sl_draw_legend(c, c->w - sl_legend_width(roles, n_roles) - 12, 10, roles, n_roles);
    const SlVizCall *call = &run->calls[said];
    const SlLayer *l = run->m->nodes[call->node].layer;
    snprintf(caption, sizeof caption, "Layer %d of %d, %s (%s): %s", said + 1, run->n_calls,
             l->name, l->type->name, call->why);
    sl_scene_caption(c, caption);
}

const SlScene sl_scene_shapes = {
    .name = "shapes",
    .what = "every layer and the tensor it makes, the shape's change explained step by step",
    .draws_data = 1,
    .can_draw = sl_scene_draws_any,
    .prepare = shapes_prepare,
    .draw = shapes_draw,
    .release = shapes_release,
};
