/* scene_generator.c: batches of other lengths arriving one after another through the same
 * weights, as fit(generator, steps_per_epoch=...) feeds them (src/fit.c, sl_model_fit_generator).
 *
 * Left: the model's layers with their parameter counts, which no batch changes. Right: one column
 * per batch, its input and output boxes drawn at their concrete shapes; each step of the scene
 * brings the next batch. With a None timesteps axis the batches differ in length (and size), else
 * only in size. A fit's history, when given, adds the loss per epoch underneath.
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "scene.h"
#include "widgets.h"

enum { N_BATCHES = 4 };

typedef struct GenRun {
    int open_t; /* input 0 has a None timesteps axis */
    SlShape in[N_BATCHES], out[N_BATCHES];
} GenRun;

/* The shapes batch k has: a None axis 1 gets a length, the batch axis a size. */
static SlShape batch_shape(const SlShape *sym, int k, const SlSceneRun *run)
{
    static const int len[N_BATCHES] = {0, 21, 5, 13}, more[N_BATCHES] = {0, 1, 0, 2};
    SlShape s = *sym;
    for (int d = 0; d < s.rank; d++)
        if (s.dim[d] == SL_NONE)
            s.dim[d] = d == 0 ? run->batch + more[k] : k == 0 ? run->timesteps : len[k];
    return s;
}

static int generator_prepare(SlSceneRun *run, SlError *e)
{
    SlModel *m = run->m;
    GenRun *g = sl_alloc_zero(1, sizeof *g);
    if (!g)
        return sl_errorf(e, "out of memory");
    run->priv = g;
    const SlShape *sym = &m->t[m->inputs[0]].shape;
    g->open_t = sym->rank >= 3 && sym->dim[1] == SL_NONE;
    for (int k = 0; k < N_BATCHES; k++) {
        SlShape in[SL_MAX_MODEL_IO], out[SL_MAX_MODEL_IO];
        for (int i = 0; i < m->n_inputs; i++)
            in[i] = batch_shape(&m->t[m->inputs[i]].shape, k, run);
        if (sl_model_output_shapes(m, in, out, e) < 0)
            return sl_error_prefix(e, "the generator scene, batch %d: ", k + 1);
        g->in[k] = in[0];
        g->out[k] = out[0];
    }
    run->n_steps = N_BATCHES;
    return 0;
}

static void generator_release(SlSceneRun *run)
{
    sl_free(run->priv);
    run->priv = NULL;
}

/* ---- drawing ---- */

/* The layers with weights as a row of blocks (as many as fit), then the total. Returns the
 * height used. */
static int draw_weights(const SlSceneRun *run, SlCanvas *c, int x, int y)
{
    const SlModel *m = run->m;
    int ch = sl_text_height(SL_TEXT_LABEL), bh = 2 * ch + 14, x1 = x, hidden = 0;
    char line[128];
    for (int i = 0; i < m->n_layers; i++) {
        const SlLayer *l = m->layers[i];
        long long p = (long long)sl_layer_count_params(l);
        char t[160];
        snprintf(t, sizeof t, "%s (%s)", l->name, l->type->name);
        int w = sl_text_width(t, SL_TEXT_LABEL) + 24;
        if (!p)
            continue;
        if (hidden || x1 + w > c->w - 16) {
            hidden++;
            continue;
        }
        sl_draw_layer_block(c, x1, y, w, bh, l->name, l->type->name, p, 0);
        x1 += w + 10;
    }
    if (hidden)
        snprintf(line, sizeof line, "and %d more: %zu params in all, the same for every batch",
                 hidden, sl_model_count_params(m));
    else
        snprintf(line, sizeof line, "%zu params in all, the same for every batch",
                 sl_model_count_params(m));
    sl_canvas_text(c, x, y + bh + 8, line, SL_TEXT_LABEL, SL_INK);
    return bh + 8 + ch;
}

/* One batch as a row: a heading, its input box, an arrow through the weights down to its output
 * box; dx moves it right (a batch arriving slides in). */
static void draw_batch(const SlSceneRun *run, SlCanvas *c, int k, int y, int row_h, int x_in,
                       double scale, int current, int dx)
{
    const GenRun *g = run->priv;
    int ch = sl_text_height(SL_TEXT_HEADING), iw, ih, ow, oh, half = row_h / 2;
    char head[64];
    if (g->open_t)
        snprintf(head, sizeof head, "batch %d: %d steps", k + 1, g->in[k].dim[1]);
    else
        snprintf(head, sizeof head, "batch %d: %d samples", k + 1, g->in[k].dim[0]);
    if (current) /* the batch now going through: a band behind its row */
        sl_canvas_round_rect(c, 8 + dx, y + 2, c->w - 16, row_h - 4, 8,
                             sl_mix(SL_WHITE, SL_HIGHLIGHT, 0.35));
    sl_canvas_text(c, 20 + dx, y + (row_h - ch) / 2, head, SL_TEXT_HEADING, SL_INK);
    sl_tensor_box_size(&g->in[k], scale, &iw, &ih);
    sl_tensor_box_size(&g->out[k], scale, &ow, &oh);
    sl_draw_tensor_box(c, x_in + dx, y + (half - ih) / 2, &g->in[k], scale, SL_ROLE_INPUT, current);
    sl_draw_tensor_box(c, x_in + dx, y + half + (half - oh) / 2, &g->out[k], scale, SL_ROLE_OUTPUT,
                       current);
    sl_draw_arrow(c, x_in - 24 + dx, y + half / 2, x_in - 24 + dx, y + half + half / 2, NULL);
}

/* One scale for every box, so sizes compare across batches. */
static double box_scale(const GenRun *g, int half)
{
    double tallest = 1;
    for (int k = 0; k < N_BATCHES; k++)
        for (int io = 0; io < 2; io++) {
            int w, h;
            sl_tensor_box_size(io ? &g->out[k] : &g->in[k], 1.0, &w, &h);
            tallest = h > tallest ? h : tallest;
        }
    double s = (half - 6) / tallest;
    return s > 1 ? 1 : s < 0.2 ? 0.2 : s;
}

/* "loss per epoch: 0.6861 0.6575 ...": as many epochs as fit, the last one always. */
static void draw_losses(const SlHistory *h, SlCanvas *c, int x, int y)
{
    char line[512], shorter[128];
    int n = h->n_epochs;
    size_t u = (size_t)snprintf(line, sizeof line, "loss per epoch:");
    for (int i = 0; i < n && u + 16 < sizeof line; i++)
        u += (size_t)snprintf(line + u, sizeof line - u, " %.4f",
                              sl_logs_get(&h->epochs[i], "loss"));
    snprintf(shorter, sizeof shorter, "loss: %.4f after epoch 1, %.4f after epoch %d",
             sl_logs_get(&h->epochs[0], "loss"), sl_logs_get(&h->epochs[n - 1], "loss"), n);
    sl_draw_text_fit(c, x, y, line, shorter);
}

static void generator_draw(const SlSceneRun *run, double at, SlCanvas *c)
{
    const GenRun *g = run->priv;
    const SlHistory *h = run->history;
    char title[256], caption[600], a[64], b[64];
    double tw;
    int step = sl_scene_step(run, at, &tw), said = sl_scene_caption_step(run, at);
    int ch = sl_text_height(SL_TEXT_LABEL);
    sl_canvas_clear(c, SL_PAPER);
    snprintf(title, sizeof title,
             "model \"%s\": batches of %s from a generator, one set of weights", run->m->name,
             g->open_t ? "other lengths" : "other sizes");
    SlRole roles[3] = {SL_ROLE_INPUT, SL_ROLE_WEIGHT, SL_ROLE_OUTPUT};
    int n_roles = sl_model_count_params(run->m) ? 3 : 2;
    if (n_roles == 2)
        roles[1] = SL_ROLE_OUTPUT;
    int top = sl_scene_title(c, title, sl_legend_width(roles, n_roles) + 16) + 12;
    sl_draw_legend(c, c->w - sl_legend_width(roles, n_roles) - 12, 10, roles, n_roles);
    int bottom = c->h - sl_scene_caption_height() - 8;
    top += draw_weights(run, c, 16, top) + 8;
    if (h && h->n_epochs > 0) {
        draw_losses(h, c, 16, top);
        top += ch + 8;
    }
    int row_h = (bottom - top) / N_BATCHES;
    row_h = row_h > 150 ? 150 : row_h;
    double scale = box_scale(g, row_h / 2);
    int x_in = 16 + sl_text_width("batch 4: 999 samples", SL_TEXT_HEADING) + 50;
    for (int k = 0; k <= step && k < N_BATCHES; k++)
        draw_batch(run, c, k, top + k * row_h, row_h, x_in, scale, k == said, 0);
    if (tw > 0 && step + 1 < N_BATCHES) /* the next batch arrives from the right */
        draw_batch(run, c, step + 1, top + (step + 1) * row_h, row_h, x_in, scale, 0,
                   (int)((1 - tw) * (c->w - 16)));
    snprintf(caption, sizeof caption,
             "Batch %d of %d arrives as %s and leaves as %s, through the same %zu weights. %s",
             said + 1, N_BATCHES, sl_shape_str(&g->in[said], a, sizeof a),
             sl_shape_str(&g->out[said], b, sizeof b), sl_model_count_params(run->m),
             g->open_t ? "Within a batch every sequence has one length; between batches it may "
                         "change."
                       : "The batch axis is free: each batch may hold another number of samples.");
    sl_scene_caption(c, caption);
}

const SlScene sl_scene_generator = {
    .name = "generator",
    .what = "fit from a generator: batches of other lengths through the same weights",
    .draws_data = 0,
    .can_draw = sl_scene_draws_any,
    .prepare = generator_prepare,
    .draw = generator_draw,
    .release = generator_release,
};
