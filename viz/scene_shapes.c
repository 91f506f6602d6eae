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
    int top, bottom, cols, rows_per_col, row_h, col_w, block_w;
    double scale;
} Layout;

static void layout(const SlSceneRun *run, const SlCanvas *c, int top, Layout *L)
{
    int cw, ch, longest = 0;
    sl_canvas_text_size("M", SL_TEXT_SCALE, &cw, &ch);
    L->top = top + 12;
    L->bottom = c->h - sl_scene_caption_height() - 8;
    int avail = L->bottom - L->top, n = run->n_calls;
    L->cols = n * 52 > avail ? 2 : 1;
    L->rows_per_col = (n + L->cols - 1) / L->cols;
    L->row_h = avail / (L->rows_per_col ? L->rows_per_col : 1);
    L->row_h = L->row_h > 110 ? 110 : L->row_h;
    L->col_w = (c->w - 16) / L->cols;
    for (int i = 0; i < n; i++) {
        const SlLayer *l = run->m->nodes[run->calls[i].node].layer;
        int w = (int)(strlen(l->name) + strlen(l->type->name) + 3);
        longest = w > longest ? w : longest;
    }
    L->block_w = longest * cw + 16 > 180 ? longest * cw + 16 : 180;
    /* one scale for every box, so sizes compare across the scene */
    double tallest = 1;
    for (int i = 0; i < n; i++) {
        int w, h;
        sl_tensor_box_size(&run->m->nodes[run->calls[i].node].sym.out[0], 1.0, &w, &h);
        tallest = h > tallest ? h : tallest;
    }
    L->scale = (L->row_h - 14) / tallest;
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

static void draw_row(const SlSceneRun *run, const Layout *L, int i, int current, SlCanvas *c)
{
    const SlVizCall *call = &run->calls[i];
    const SlLayer *l = run->m->nodes[call->node].layer;
    int x, y, cw, ch;
    sl_canvas_text_size("M", SL_TEXT_SCALE, &cw, &ch);
    int bh = L->row_h - 14 < 2 * ch + 16 ? L->row_h - 14 : 2 * ch + 16; /* two lines if room */
    row_origin(L, i, &x, &y);
    sl_draw_layer_block(c, x, y, L->block_w, bh, l->name, l->type->name,
                        (long long)sl_layer_count_params(l), i == current);
    /* the model's own shape, as the summary prints it: None is drawn as an open (dashed) end */
    const SlShape *shape = &run->m->nodes[call->node].sym.out[0];
    int bx = x + L->block_w + 40, bw, bht;
    sl_tensor_box_size(shape, L->scale, &bw, &bht);
    if (bx + bw > x + L->col_w - 8) /* a narrow column: the label may not fit; shrink nothing */
        bx = x + L->block_w + 24;
    sl_draw_arrow(c, x + L->block_w + 4, y + bh / 2, bx - 6, y + bh / 2, NULL);
    sl_draw_tensor_box(c, bx, y + bh / 2 - bht / 2, shape, L->scale, role_of(run, i), i == current);
    /* data flows down: from the previous call to this one, when it is its input */
    const SlNode *nd = &run->m->nodes[call->node];
    int fed_by_previous =
        i > 0 && nd->sym.n_in && run->m->t[nd->in[0]].node == run->calls[i - 1].node;
    if (i % L->rows_per_col && fed_by_previous) {
        int px, py;
        row_origin(L, i - 1, &px, &py);
        sl_canvas_arrow(c, x + 30, py + bh + 1, x + 30, y - 1, 2, 6, SL_GRID);
    }
}

static void shapes_draw(const SlSceneRun *run, int step, SlCanvas *c)
{
    char title[256], caption[600];
    sl_canvas_clear(c, SL_PAPER);
    snprintf(title, sizeof title,
             "model \"%s\": shapes layer by layer (a batch of %d flows through)", run->m->name,
             run->batch);
    /* the legend names the roles this picture uses: weights only if a layer has some */
    SlRole roles[3] = {SL_ROLE_INPUT, SL_ROLE_WEIGHT, SL_ROLE_OUTPUT};
    int n_roles = 3;
    if (sl_model_count_params(run->m) == 0)
        roles[1] = SL_ROLE_OUTPUT, n_roles = 2;
    int top = sl_scene_title(c, title, sl_legend_width(roles, n_roles) + 16);
    Layout L;
    layout(run, c, top, &L);
    for (int i = 0; i < run->n_calls; i++)
        draw_row(run, &L, i, step, c);
    sl_draw_legend(c, c->w - sl_legend_width(roles, n_roles) - 8, 8, roles, n_roles);
    if (step >= 0 && step < run->n_calls) {
        const SlVizCall *call = &run->calls[step];
        const SlLayer *l = run->m->nodes[call->node].layer;
        snprintf(caption, sizeof caption, "Step %d/%d, %s (%s): %s", step + 1, run->n_calls,
                 l->name, l->type->name, call->why);
        sl_scene_caption(c, caption);
    }
}

const SlScene sl_scene_shapes = {
    .name = "shapes",
    .what = "every layer and the tensor it makes, the shape's change explained step by step",
    .can_draw = sl_scene_draws_any,
    .prepare = shapes_prepare,
    .draw = shapes_draw,
    .release = shapes_release,
};
