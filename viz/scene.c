/* scene.c: the list of scenes, and what scenes share: recording a forward pass, title, caption. */
#include "scene.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "gradcheck.h"
#include "trace.h"
#include "widgets.h"

extern const SlScene sl_scene_shapes;
extern const SlScene sl_scene_dense;
extern const SlScene sl_scene_training;
extern const SlScene sl_scene_gradcheck;
extern const SlScene sl_scene_lstm;
extern const SlScene sl_scene_stateful;
extern const SlScene sl_scene_timedistributed;
extern const SlScene sl_scene_bidirectional;
extern const SlScene sl_scene_generator;
extern const SlScene sl_scene_mask;
extern const SlScene sl_scene_seq2seq;
extern const SlScene sl_scene_receptive_field; /* scene_conv_receptive.c */
extern const SlScene sl_scene_conv_backprop;   /* scene_conv_backprop.c */
extern const SlScene sl_scene_conv2d;          /* scene_conv2d.c */
extern const SlScene sl_scene_reshape_permute; /* scene_reshape.c */
extern const SlScene sl_scene_transposed_conv; /* scene_transposed_conv.c */
extern const SlScene sl_scene_batchnorm;       /* scene_batchnorm.c */

static const SlScene *const scenes[] = {
    &sl_scene_shapes,
    &sl_scene_dense,
    &sl_scene_training,
    &sl_scene_gradcheck,
    &sl_scene_lstm,
    &sl_scene_stateful,
    &sl_scene_timedistributed,
    &sl_scene_bidirectional,
    &sl_scene_generator,
    &sl_scene_mask,
    &sl_scene_seq2seq,
    &sl_scene_receptive_field,
    &sl_scene_conv_backprop,
    &sl_scene_conv2d,
    &sl_scene_reshape_permute,
    &sl_scene_transposed_conv,
    &sl_scene_batchnorm,
};
enum { N_SCENES = sizeof scenes / sizeof scenes[0] };

int sl_scene_count(void)
{
    return N_SCENES;
}

const SlScene *sl_scene_at(int i)
{
    return i >= 0 && i < N_SCENES ? scenes[i] : NULL;
}

const SlScene *sl_scene_find(const char *name)
{
    for (int i = 0; i < N_SCENES; i++)
        if (!strcmp(scenes[i]->name, name))
            return scenes[i];
    return NULL;
}

int sl_scene_draws_any(const SlModel *m, int node)
{
    (void)m, (void)node;
    return 1;
}

/* Visit the claims of m's layers on scenes, in layer order; stops when visit returns nonzero. */
typedef int (*ClaimVisit)(void *ctx, int node, const SlSceneClaim *c, const SlScene *s);
static int each_claim(const SlModel *m, ClaimVisit visit, void *ctx)
{
    for (int n = 0; n < m->n_nodes; n++) {
        const SlLayer *l = m->nodes[n].layer;
        SlSceneClaim claims[SL_MAX_CLAIMS];
        int k = l->type->scenes(l, claims);
        for (int i = 0; i < k; i++) {
            const SlScene *s = sl_scene_find(claims[i].scene);
            if (s && s->can_draw(m, n) && visit(ctx, n, &claims[i], s))
                return 1;
        }
    }
    return 0;
}

typedef struct Best {
    const SlModel *m;
    const SlScene *want; /* NULL: any scene */
    const SlScene *scene;
    int node, weight;
    char why[256];
} Best;

static int keep_heaviest(void *ctx, int node, const SlSceneClaim *c, const SlScene *s)
{
    Best *b = ctx;
    if ((b->want && s != b->want) || c->weight <= b->weight)
        return 0;
    const SlLayer *l = b->m->nodes[node].layer;
    b->scene = s, b->node = node, b->weight = c->weight;
    snprintf(b->why, sizeof b->why, "%s (%s): %s", l->name, l->type->name, c->why);
    return 0;
}

const SlScene *sl_scene_best(const SlModel *m, char *why, size_t n)
{
    Best b = {m, NULL, &sl_scene_shapes, -1, 0, "every layer's tensor and why its shape changed"};
    each_claim(m, keep_heaviest, &b);
    if (why)
        snprintf(why, n, "%s", b.why);
    return b.scene;
}

int sl_scene_claim(const SlModel *m, const SlScene *s)
{
    Best b = {m, s, NULL, -1, 0, ""};
    each_claim(m, keep_heaviest, &b);
    return b.weight;
}

static int first_for(void *ctx, int node, const SlSceneClaim *c, const SlScene *s)
{
    (void)c;
    Best *b = ctx;
    if (s != b->want)
        return 0;
    b->node = node;
    return 1;
}

int sl_scene_part(const SlModel *m, const SlScene *s, int node)
{
    const SlLayer *l = m->nodes[node].layer;
    SlSceneClaim claims[SL_MAX_CLAIMS];
    int k = l->type->scenes(l, claims);
    for (int i = 0; i < k; i++)
        if (!strcmp(claims[i].scene, s->name))
            return claims[i].part;
    return -1;
}

int sl_scene_node(const SlModel *m, const SlScene *s)
{
    Best b = {m, s, NULL, -1, 0, ""};
    each_claim(m, first_for, &b);
    return b.node;
}

int sl_scene_start(SlSceneRun *run, const SlScene *s, SlModel *m, int batch, int timesteps,
                   const SlHistory *history, SlError *e)
{
    memset(run, 0, sizeof *run);
    run->history = history;
    run->scene = s;
    run->m = m;
    run->batch = batch > 0 ? batch : 2;
    run->timesteps = timesteps > 0 ? timesteps : 8;
    if (m->n_outputs == 0)
        return sl_errorf(e, "model '%s' has no input shape yet, so there is nothing to draw",
                         m->name);
    if (s->prepare(run, e) < 0) {
        sl_scene_end(run);
        return -1;
    }
    return 0;
}

void sl_scene_end(SlSceneRun *run)
{
    if (run->scene)
        run->scene->release(run);
    sl_free(run->calls);
    memset(run, 0, sizeof *run);
}

/* ---- recording a forward pass ---- */

static void copy_first_sample(const SlTensor *t, float *out, int *n)
{
    size_t per = t->shape.dim[0] > 0 ? sl_tensor_count(t) / (size_t)t->shape.dim[0] : 0;
    *n = per < SL_VIZ_VALUES ? (int)per : SL_VIZ_VALUES;
    for (int i = 0; i < *n; i++)
        out[i] = (float)t->data[i];
}

static void on_event(void *ctx, const SlEvent *ev)
{
    SlSceneRun *run = ctx;
    sl_emit(run->listen, ev);
    if (ev->kind != SL_EV_LAYER_END || run->n_calls >= run->m->n_nodes)
        return;
    SlVizCall *call = &run->calls[run->n_calls++];
    call->node = ev->pass->node;
    call->io = *ev->io;
    snprintf(call->why, sizeof call->why, "%s", ev->why ? ev->why : "");
    copy_first_sample(&ev->pass->y[0], call->out_vals, &call->n_out_vals);
    if (ev->pass->n_in)
        copy_first_sample(&ev->pass->x[0], call->in_vals, &call->n_in_vals);
}

int sl_scene_record_forward(SlSceneRun *run, SlError *e)
{
    SlModel *m = run->m;
    SlShape in[SL_MAX_MODEL_IO];
    SlTensor x[SL_MAX_MODEL_IO];
    sl_real *buf[SL_MAX_MODEL_IO] = {0};
    SlRng r = sl_rng(42);
    int rc = 0;
    run->calls = sl_alloc_zero((size_t)m->n_nodes, sizeof *run->calls);
    if (!run->calls)
        return sl_errorf(e, "out of memory recording the model");
    for (int k = 0; k < m->n_inputs && rc == 0; k++) {
        in[k] = m->t[m->inputs[k]].shape;
        for (int d = 0; d < in[k].rank; d++)
            if (in[k].dim[d] == SL_NONE)
                in[k].dim[d] = d == 0 ? run->batch : run->timesteps;
        buf[k] = sl_alloc_zero(sl_shape_count(&in[k]) + 1, sizeof(sl_real));
        if (!buf[k])
            rc = sl_errorf(e, "out of memory");
        x[k] = sl_tensor(in[k], buf[k]);
        if (buf[k])
            sl_gradcheck_fill_model_input(m, k, &x[k],
                                          &r); /* a seeded sample batch in [-1.5, 1.5] */
    }
    const SlObserver *old = m->obs;
    SlObserver obs = {on_event, run};
    if (rc == 0 && sl_model_ensure_params(m, e) == 0) {
        sl_model_set_observer(m, &obs);
        rc = sl_model_forward(m, x, 0, e);
        sl_model_set_observer(m, old);
    } else if (rc == 0) {
        rc = -1;
    }
    for (int k = 0; k < SL_MAX_MODEL_IO; k++)
        sl_free(buf[k]);
    return rc;
}

int sl_scene_first_of_kind(const SlModel *m, unsigned kind)
{
    for (int n = 0; n < m->n_nodes; n++)
        if (sl_layer_is(m->nodes[n].layer, kind))
            return n;
    return -1;
}

int sl_scene_record_layer(SlSceneRun *run, int node, size_t priv_size, const char *need, SlError *e)
{
    if (node < 0)
        return sl_errorf(e, "the %s scene needs a model with %s", run->scene->name, need);
    if (sl_scene_record_forward(run, e) < 0)
        return -1;
    if (!(run->priv = sl_alloc_zero(1, priv_size)))
        return sl_errorf(e, "out of memory");
    for (int i = 0; i < run->n_calls; i++)
        if (run->calls[i].node == node)
            return i;
    return sl_errorf(e, "%s layer '%s' is not on the path to the model's outputs", need,
                     run->m->nodes[node].layer->name);
}

int sl_scene_pick(const SlCanvas *c, int x, int y)
{
    int row, col;
    float v;
    const SlProbe *p = sl_canvas_probe_at(c, x, y, &row, &col, &v);
    return p && !strncmp(p->title, "pick step", 9) ? (int)v : -1;
}

/* ---- bands every scene uses ---- */

int sl_scene_title(SlCanvas *c, const char *title, int reserve_right)
{
    char t[256];
    int w, h, n = (int)strlen(title);
    snprintf(t, sizeof t, "%s", title);
    sl_canvas_text_size(t, SL_TEXT_SCALE, &w, &h);
    while (n > 4 && 16 + w > c->w - reserve_right - 16) { /* cut to fit beside the legend */
        n--;
        snprintf(t, sizeof t, "%.*s...", n, title);
        sl_canvas_text_size(t, SL_TEXT_SCALE, &w, &h);
    }
    sl_canvas_fill_rect(c, 0, 0, c->w, h + 16, SL_WHITE);
    sl_canvas_fill_rect(c, 0, h + 15, c->w, 1, SL_GRID);
    sl_canvas_text(c, 16, 8, t, SL_TEXT_SCALE, SL_INK);
    return h + 16;
}

int sl_scene_caption_height(void)
{
    int w, h;
    sl_canvas_text_size("M", SL_TEXT_SCALE, &w, &h);
    return SL_CAPTION_LINES * (h + 4) + 18;
}

void sl_scene_caption(SlCanvas *c, const char *text)
{
    int band = sl_scene_caption_height();
    sl_canvas_fill_rect(c, 0, c->h - band, c->w, band, SL_WHITE);
    sl_canvas_fill_rect(c, 0, c->h - band, c->w, 1, SL_GRID);
    sl_draw_caption(c, 8, c->h - band + 2, c->w - 16, text);
}
