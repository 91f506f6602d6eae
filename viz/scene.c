/* scene.c: the list of scenes, and what scenes share: recording a forward pass, title, caption. */
#include "scene.h"

#include <math.h>
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
    SlSceneOptions o = {.batch = batch, .usual_timesteps = timesteps, .history = history};
    return sl_scene_start_with(run, s, m, &o, e);
}

/* The learner's data against the model: one array per input, the sample inside it, and the steps
 * it brings for a None time axis. */
static int check_data(SlSceneRun *run, const SlSceneOptions *o, SlError *e)
{
    const SlModel *m = run->m;
    if (o->n_x != m->n_inputs)
        return sl_errorf(e, "model '%s' takes %d input%s; %d data file%s given (one -x each)",
                         m->name, m->n_inputs, m->n_inputs == 1 ? "" : "s", o->n_x,
                         o->n_x == 1 ? " was" : "s were");
    for (int k = 0; k < o->n_x; k++) {
        const SlShape *d = &o->x[k].shape, *sym = &m->t[m->inputs[k]].shape;
        SlShape batch = *d; /* the rows a scene pushes: the batch axis as the model wants it */
        if (sym->rank > 0 && sym->dim[0] != SL_NONE && batch.rank > 0)
            batch.dim[0] = sym->dim[0];
        if (sl_model_check_input(m, k, &batch, e) < 0 ||
            sl_model_check_codes(m, k, &o->x[k], e) < 0)
            return -1;
        if (o->sample < 0 || o->sample >= d->dim[0])
            return sl_errorf(e, "the data has %d sample%s; --sample %d is past its end (0 to %d)",
                             d->dim[0], d->dim[0] == 1 ? "" : "s", o->sample, d->dim[0] - 1);
        if (sym->dim[0] != SL_NONE && o->sample + sym->dim[0] > d->dim[0])
            return sl_errorf(e,
                             "model '%s' takes batches of exactly %d; the data has %d samples "
                             "from sample %d on",
                             m->name, sym->dim[0], d->dim[0] - o->sample, o->sample);
    }
    const SlShape *d0 = &o->x[0].shape, *s0 = &m->t[m->inputs[0]].shape;
    if (s0->rank >= 3 && s0->dim[1] == SL_NONE) { /* the data's length is the steps drawn */
        if (o->timesteps > 0 && o->timesteps != d0->dim[1])
            return sl_errorf(e,
                             "--timesteps %d: the data's samples have %d steps (drop one of "
                             "the two)",
                             o->timesteps, d0->dim[1]);
        run->timesteps = d0->dim[1];
        run->timesteps_asked = 1;
    }
    run->x = o->x, run->n_x = o->n_x, run->sample = o->sample;
    return 0;
}

int sl_scene_start_with(SlSceneRun *run, const SlScene *s, SlModel *m, const SlSceneOptions *o,
                        SlError *e)
{
    memset(run, 0, sizeof *run);
    run->history = o->history;
    run->scene = s;
    run->m = m;
    run->batch = o->batch > 0 ? o->batch : 2;
    run->timesteps = o->timesteps > 0         ? o->timesteps
                     : o->usual_timesteps > 0 ? o->usual_timesteps
                                              : 8;
    run->timesteps_asked = o->timesteps > 0;
    if (m->n_outputs == 0)
        return sl_errorf(e, "model '%s' has no input shape yet, so there is nothing to draw",
                         m->name);
    if (o->x && check_data(run, o, e) < 0)
        return -1;
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

/* ---- positions between steps ---- */

double sl_ease(double u)
{
    u = u < 0 ? 0 : u > 1 ? 1 : u;
    return u * u * (3 - 2 * u); /* smoothstep: no jump in speed at either end */
}

int sl_scene_step(const SlSceneRun *run, double at, double *t)
{
    int n = run->n_steps > 0 ? run->n_steps : 1;
    double f = isfinite(at) ? floor(at) : 0;
    int k = f < 0 ? 0 : f >= n - 1 ? n - 1 : (int)f;
    *t = at > k && k < n - 1 ? sl_ease(at - k) : 0;
    return k;
}

int sl_scene_caption_step(const SlSceneRun *run, double at)
{
    double t;
    int k = sl_scene_step(run, at, &t);
    return t >= 0.5 ? k + 1 : k;
}

/* ---- the whole scene as an animation ---- */

enum {
    STILL_MS = 2500, /* the first frame, the still picture */
    HOLD_MS = 1100,  /* each step */
    BETWEEN = 7,     /* frames from one step to the next ... */
    FRAME_MS = 40,   /* ... at 25 a second: a quarter of a second */
    ALL_UP_TO = 16,  /* longer scenes: the first LONG_HEAD steps, then the last two */
    LONG_HEAD = 10
};

int sl_scene_animate(const SlSceneRun *run, SlCanvas *c, SlFrameFn fn, void *ctx, SlError *e)
{
    int n = run->n_steps > 0 ? run->n_steps : 1, rc;
    run->scene->draw(run, n - 1, c);
    if ((rc = fn(ctx, c, STILL_MS, e)) != 0)
        return rc;
    for (int k = 0; k < n; k++) {
        if (n > ALL_UP_TO && k == LONG_HEAD)
            k = n - 2; /* a long scene jumps to its end */
        run->scene->draw(run, k, c);
        if ((rc = fn(ctx, c, HOLD_MS, e)) != 0)
            return rc;
        int next_drawn = k + 1 < n && !(n > ALL_UP_TO && k + 1 == LONG_HEAD);
        for (int i = 1; next_drawn && i < BETWEEN; i++) {
            run->scene->draw(run, k + (double)i / BETWEEN, c);
            if ((rc = fn(ctx, c, FRAME_MS, e)) != 0)
                return rc;
        }
    }
    return 0;
}

static int apng_frame(void *ctx, const SlCanvas *c, int delay_ms, SlError *e)
{
    return sl_apng_frame(ctx, c, delay_ms, e);
}

int sl_scene_write_apng(const SlSceneRun *run, SlCanvas *c, const char *path, SlError *e)
{
    SlApng *a = sl_apng_begin(e);
    if (!a)
        return -1;
    if (sl_scene_animate(run, c, apng_frame, a, e) != 0) {
        sl_apng_free(a);
        return -1;
    }
    return sl_apng_finish(a, path, e);
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

int sl_scene_input(const SlSceneRun *run, int k, SlTensor *x, sl_real **buf, SlError *e)
{
    const SlModel *m = run->m;
    SlShape in = m->t[m->inputs[k]].shape;
    *buf = NULL;
    if (run->x) { /* the learner's rows from the chosen sample on */
        const SlTensor *d = &run->x[k];
        int rows = in.dim[0] != SL_NONE ? in.dim[0] : run->batch;
        rows = rows < d->shape.dim[0] - run->sample ? rows : d->shape.dim[0] - run->sample;
        in = d->shape;
        in.dim[0] = rows;
        size_t per = sl_shape_sample_count(&d->shape);
        if (!(*buf = sl_alloc_zero(sl_shape_count(&in) + 1, sizeof(sl_real))))
            return sl_errorf(e, "out of memory");
        memcpy(*buf, d->data + (size_t)run->sample * per, (size_t)rows * per * sizeof(sl_real));
        *x = sl_tensor(in, *buf);
        return 0;
    }
    for (int d = 0; d < in.rank; d++)
        if (in.dim[d] == SL_NONE)
            in.dim[d] = d == 0 ? run->batch : run->timesteps;
    if (!(*buf = sl_alloc_zero(sl_shape_count(&in) + 1, sizeof(sl_real))))
        return sl_errorf(e, "out of memory");
    *x = sl_tensor(in, *buf);
    SlRng r = sl_rng(42 + (uint64_t)k);
    sl_gradcheck_fill_model_input(m, k, x, &r); /* a seeded sample batch in [-1.5, 1.5] */
    return 0;
}

int sl_scene_record_forward(SlSceneRun *run, SlError *e)
{
    SlModel *m = run->m;
    SlTensor x[SL_MAX_MODEL_IO];
    sl_real *buf[SL_MAX_MODEL_IO] = {0};
    int rc = 0;
    run->calls = sl_alloc_zero((size_t)m->n_nodes, sizeof *run->calls);
    if (!run->calls)
        return sl_errorf(e, "out of memory recording the model");
    for (int k = 0; k < m->n_inputs && rc == 0; k++)
        rc = sl_scene_input(run, k, &x[k], &buf[k], e);
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

/* 1 when layer l was given data_format='channels_first'. */
static int channels_first(const SlLayer *l)
{
    char f[32];
    return sl_layer_arg_str(l, "data_format", f, sizeof f) == 0 && !strcmp(f, "channels_first");
}

/* A tensor of rank 3 or 4 made or read by a channels_first layer (not through Flatten, whose
 * output has rank 2) holds its channels on axis 1. */
static const char *channels_first_axes(const SlModel *m, int t, int rank)
{
    int first = channels_first(m->nodes[m->t[t].node].layer);
    for (int n = 0; n < m->n_nodes && !first; n++)
        for (int i = 0; i < m->nodes[n].sym.n_in; i++)
            first |= m->nodes[n].in[i] == t && channels_first(m->nodes[n].layer);
    if (!first)
        return NULL;
    return rank == 4 ? "samples x channels x rows x cols" : "samples x channels x steps";
}

const char *sl_scene_axes(const SlModel *m, int t)
{
    const SlShape *s = &m->t[t].shape;
    if (s->rank == 3 || s->rank == 4)
        return channels_first_axes(m, t, s->rank);
    if (s->rank != 2)
        return NULL;
    for (int k = 0; k < m->n_inputs; k++)
        if (m->inputs[k] == t && sl_model_code_range(m, k) > 0)
            return "samples x positions"; /* codes an Embedding looks up, one per position */
    int readers = 0, positional = 0;
    for (int n = 0; n < m->n_nodes; n++)
        for (int i = 0; i < m->nodes[n].sym.n_in; i++) {
            if (m->nodes[n].in[i] != t)
                continue;
            const SlShape *o = &m->nodes[n].sym.out[0];
            readers++; /* (batch, n) -> (batch, n, d): each of the n values became a vector */
            positional += o->rank == 3 && o->dim[1] == s->dim[1] && o->dim[2] != s->dim[1];
        }
    return readers && positional == readers ? "samples x positions" : NULL;
}

int sl_scene_first_of_kind(const SlModel *m, unsigned kind)
{
    for (int n = 0; n < m->n_nodes; n++)
        if (sl_layer_is(m->nodes[n].layer, kind))
            return n;
    return -1;
}

int sl_scene_missing(const SlSceneRun *run, const char *type, const char *need, SlError *e)
{
    const SlModel *m = run->m;
    for (int n = 0; n < m->n_nodes; n++) {
        const SlLayer *l = m->nodes[n].layer;
        if (!strcmp(l->type->name, type))
            return sl_errorf(e,
                             "the %s scene needs a model with %s whose filters see every input "
                             "channel, channels_last; %s (%s) is grouped or channels_first, which "
                             "it does not draw: --scene shapes shows its shapes",
                             run->scene->name, need, l->name, type);
    }
    return sl_errorf(e, "the %s scene needs a model with %s", run->scene->name, need);
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
    int h = sl_text_height(SL_TEXT_TITLE), band = h + 20;
    sl_text_fit(title, SL_TEXT_TITLE, c->w - reserve_right - 32, t, sizeof t);
    sl_canvas_fill_rect(c, 0, 0, c->w, band, SL_WHITE);
    sl_canvas_fill_rect(c, 0, band - 1, c->w, 1, SL_GRID);
    sl_canvas_text(c, 16, (band - h) / 2, t, SL_TEXT_TITLE, SL_INK);
    return band;
}

int sl_scene_caption_height(void)
{
    return SL_CAPTION_LINES * (sl_text_height(SL_TEXT_CAPTION) + 4) + 18;
}

void sl_scene_caption(SlCanvas *c, const char *text)
{
    int band = sl_scene_caption_height();
    sl_canvas_fill_rect(c, 0, c->h - band, c->w, band, SL_WHITE);
    sl_canvas_fill_rect(c, 0, c->h - band, c->w, 1, SL_GRID);
    sl_draw_caption(c, 8, c->h - band + 2, c->w - 16, text);
}
