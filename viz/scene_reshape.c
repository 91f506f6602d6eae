/* scene_reshape.c: Reshape against Permute (QUESTIONS.md item 11). One sample of the model's first
 * (steps, features) tensor that meets a Reshape or a Permute, its cells coloured by what they
 * mean: the colour is the feature, the number is the time step. The same tensor is sent through
 * Reshape((features, steps)) and through Permute((2, 1)), the engine's own layers: Reshape keeps
 * the memory order, so its rows mix features and times (scrambled); Permute moves the values, so
 * each row is one feature in time order. Step 1 shows the input, step 2 the Reshape, step 3 both. */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "scene.h"
#include "widgets.h"

enum { RP_MAX = 400, RP_STEPS = 3 };

typedef struct RpRun {
    int node; /* the model's Reshape or Permute */
    int T, F;
    sl_real code[RP_MAX];     /* input: f * 1000 + t */
    sl_real reshaped[RP_MAX]; /* through Reshape((F, T)) */
    sl_real permuted[RP_MAX]; /* through Permute((2, 1)) */
} RpRun;

/* The picture holds one (steps, features) sample of known size, at most RP_MAX cells. */
static int rp_can_draw(const SlModel *m, int node)
{
    const SlShape *in = &m->nodes[node].sym.in[0];
    return m->nodes[node].sym.n_in == 1 && in->rank == 3 && in->dim[1] != SL_NONE &&
           in->dim[2] != SL_NONE && in->dim[1] * in->dim[2] <= RP_MAX;
}

/* x (1, T, F) through one layer of `type`(`args`), with the engine. */
static int through(const char *type, const char *args, const sl_real *x, int T, int F, sl_real *out,
                   SlError *e)
{
    char shape[64];
    snprintf(shape, sizeof shape, "batch_shape=(1, %d, %d), name='x'", T, F);
    SlModel *m = sl_sequential("reshape_vs_permute");
    if (!m)
        return sl_errorf(e, "out of memory");
    int rc = sl_model_add(m, sl_layer("InputLayer", shape, e), e);
    if (rc == 0)
        rc = sl_model_add(m, sl_layer(type, args, e), e); /* named: no counter moves */
    SlTensor in = sl_tensor(sl_shape_of(3, (int[]){1, T, F}), (sl_real *)x);
    if (rc == 0)
        rc = sl_model_forward(m, &in, 0, e);
    if (rc == 0)
        memcpy(out, sl_model_output(m, 0).data, (size_t)T * F * sizeof *out);
    sl_model_free(m);
    return rc;
}

static int rp_prepare(SlSceneRun *run, SlError *e)
{
    int node = sl_scene_node(run->m, run->scene);
    if (node < 0)
        return sl_errorf(e, "the reshape-permute scene needs a Reshape or Permute on a (steps, "
                            "features) tensor of known size");
    RpRun *d = sl_alloc_zero(1, sizeof *d);
    if (!d)
        return sl_errorf(e, "out of memory");
    run->priv = d;
    d->node = node;
    const SlShape *in = &run->m->nodes[node].sym.in[0];
    d->T = in->dim[1], d->F = in->dim[2];
    for (int t = 0; t < d->T; t++)
        for (int f = 0; f < d->F; f++)
            d->code[t * d->F + f] = (sl_real)(f * 1000 + t);
    char args[64];
    snprintf(args, sizeof args, "(%d, %d), name='r'", d->F, d->T);
    if (through("Reshape", args, d->code, d->T, d->F, d->reshaped, e) < 0 ||
        through("Permute", "(2, 1), name='p'", d->code, d->T, d->F, d->permuted, e) < 0)
        return -1;
    run->n_steps = RP_STEPS;
    return 0;
}

static void rp_release(SlSceneRun *run)
{
    sl_free(run->priv);
    run->priv = NULL;
}

/* A feature's colour: the roles' palette, one hue per feature (cycled). */
static SlColor feature_color(int f)
{
    static const SlRole hues[] = {SL_ROLE_INPUT, SL_ROLE_WEIGHT, SL_ROLE_STATE, SL_ROLE_OUTPUT,
                                  SL_ROLE_GRADIENT};
    return sl_role_color(hues[f % 5]);
}

/* One coded cell (colour = feature, number = time step) at (x, y). */
static void coded_cell(SlCanvas *c, double x, double y, int cell, int code)
{
    int f = code / 1000, t = code % 1000;
    char s[16];
    sl_canvas_round_rect(c, x + 1, y + 1, cell - 2, cell - 2, cell > 12 ? 3 : 1, feature_color(f));
    snprintf(s, sizeof s, "%d", t);
    if (sl_text_width(s, SL_TEXT_SMALL) + 4 <= cell && sl_text_height(SL_TEXT_SMALL) <= cell)
        sl_canvas_text_aligned(c, (int)(x + cell / 2.0),
                               (int)(y + (cell - sl_text_height(SL_TEXT_SMALL)) / 2.0),
                               SL_ALIGN_CENTER, s, SL_TEXT_SMALL, SL_WHITE);
}

/* Where the cells of a grid start (under its title). */
static int cells_y(int y)
{
    return y + sl_text_height(SL_TEXT_HEADING) + 6;
}

/* A grid of coded cells (rows, cols) with its title and what its rows are. */
static void grid(SlCanvas *c, int x, int y, const sl_real *code, int rows, int cols, int cell,
                 const char *title, const char *row_name)
{
    sl_canvas_text(c, x, y, title, SL_TEXT_HEADING, SL_INK);
    y = cells_y(y);
    for (int r = 0; r < rows; r++)
        for (int k = 0; k < cols; k++)
            coded_cell(c, x + k * cell, y + r * cell, cell, (int)code[r * cols + k]);
    sl_canvas_record(c, SL_ITEM_WIDGET, x, y, cols * cell, rows * cell, SL_ROLE_NONE, 0, title);
    char s[64];
    snprintf(s, sizeof s, "%d %s", rows, row_name);
    sl_canvas_text(c, x, y + rows * cell + 6, s, SL_TEXT_LABEL, SL_INK);
}

/* The cells of x flying from their place in x to their place in `to` (rows x cols), part t of
 * the way: each value is found in `to` by its code. */
static void fly(SlCanvas *c, const RpRun *d, int x0, int x1, int y, int cell, const sl_real *to,
                double t)
{
    for (int i = 0; i < d->T * d->F; i++) {
        int j = 0;
        while (j < d->T * d->F && to[j] != d->code[i])
            j++;
        double sx = x0 + (i % d->F) * cell, sy = y + (i / d->F) * cell;
        double ex = x1 + (j % d->T) * cell, ey = y + (j / d->T) * cell;
        coded_cell(c, sl_lerp(sx, ex, t), sl_lerp(sy, ey, t), cell, (int)d->code[i]);
    }
}

static void rp_draw(const SlSceneRun *run, double at, SlCanvas *c)
{
    const RpRun *d = run->priv;
    const SlLayer *l = run->m->nodes[d->node].layer;
    double tw;
    int st = sl_scene_step(run, at, &tw), said = sl_scene_caption_step(run, at);
    int lh = sl_text_height(SL_TEXT_LABEL);
    char title[256], caption[800], t1[128], t2[128], t3[128];
    sl_canvas_clear(c, SL_PAPER);
    snprintf(title, sizeof title, "%s (%s): Reshape keeps memory order, Permute swaps axes",
             l->name, l->type->name);
    int top = sl_scene_title(c, title, 0) + 16;
    /* three grids side by side: input (T, F), Reshape (F, T), Permute (F, T) */
    int cell = (c->w - 40 - 2 * 40) / (d->F + 2 * d->T);
    int hc = (c->h - top - sl_scene_caption_height() - 5 * lh - 50) / (d->T > d->F ? d->T : d->F);
    cell = cell < hc ? cell : hc;
    cell = cell > 40 ? 40 : cell < 6 ? 6 : cell;
    int gap = 40;
    snprintf(t1, sizeof t1, "x: (%d steps, %d features)", d->T, d->F);
    snprintf(t2, sizeof t2, "Reshape((%d, %d)): scrambled", d->F, d->T);
    snprintf(t3, sizeof t3, "Permute((2, 1)): kept");
    int x1 = 20, w1 = d->F * cell > sl_text_width(t1, SL_TEXT_HEADING)
                          ? d->F * cell
                          : sl_text_width(t1, SL_TEXT_HEADING);
    int x2 = x1 + w1 + gap, w2 = d->T * cell > sl_text_width(t2, SL_TEXT_HEADING)
                                     ? d->T * cell
                                     : sl_text_width(t2, SL_TEXT_HEADING);
    int x3 = x2 + w2 + gap;
    grid(c, x1, top, d->code, d->T, d->F, cell, t1, "rows = steps");
    if (st >= 1)
        grid(c, x2, top, d->reshaped, d->F, d->T, cell, t2, "rows: mixed");
    if (st >= 2)
        grid(c, x3, top, d->permuted, d->F, d->T, cell, t3, "rows = features");
    if (tw > 0) /* the values on their way to where the next layer puts them */
        fly(c, d, x1, st == 0 ? x2 : x3, cells_y(top), cell, st == 0 ? d->reshaped : d->permuted,
            tw);
    /* the key: colour = feature, number = time step */
    int ky = c->h - sl_scene_caption_height() - lh - 14, kx = 20;
    kx += sl_canvas_text(c, kx, ky, "colour = feature:", SL_TEXT_LABEL, SL_INK) + 10;
    for (int f = 0; f < d->F && f < 10; f++) {
        char s[8];
        snprintf(s, sizeof s, "%d", f);
        sl_canvas_round_rect(c, kx, ky - 2, lh + 4, lh + 4, 3, feature_color(f));
        sl_canvas_text_aligned(c, kx + (lh + 4) / 2, ky, SL_ALIGN_CENTER, s, SL_TEXT_LABEL,
                               SL_WHITE);
        sl_canvas_record(c, SL_ITEM_WIDGET, kx, ky - 2, lh + 4, lh + 4, SL_ROLE_NONE, 0, "key");
        kx += lh + 10;
    }
    sl_canvas_text(c, kx + 10, ky, "number = time step (from 0)", SL_TEXT_LABEL, SL_INK);
    static const char *const what[RP_STEPS] = {
        "One sample, each cell coloured by its feature and numbered by its time step. Memory "
        "holds it row by row: step 0's features, then step 1's, ...",
        "Reshape reads the same memory in the same order into rows of %d: a row now holds the "
        "features of two steps or more, mixed. Nothing moved; the meaning did.",
        "Permute((2, 1)) moves the values: row f is feature f through all %d steps, in order. The "
        "fixed model permutes first, then reshapes to add the channel axis.",
    };
    snprintf(caption, sizeof caption, what[said], d->T);
    sl_scene_caption(c, caption);
}

const SlScene sl_scene_reshape_permute = {
    .name = "reshape-permute",
    .what = "the same (steps, features) sample through Reshape and through Permute, cells "
            "coloured by their meaning: the scrambling is plain to see",
    .draws_data = 0,
    .can_draw = rp_can_draw,
    .prepare = rp_prepare,
    .draw = rp_draw,
    .release = rp_release,
};
