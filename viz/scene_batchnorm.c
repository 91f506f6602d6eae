/* scene_batchnorm.c: BatchNormalization in fit and in predict. Twelve seeded batches go through
 * the model in training mode, as fit sends them; each step is one batch. For the first channels
 * of the first BatchNormalization call it shows the batch's values, their mean and variance per
 * channel, the normalized values, gamma and beta, and the output; on the right the moving mean
 * and variance creeping after the batch statistics (moving = moving * momentum + batch *
 * (1 - momentum)), and the same batch's output in predict, which normalizes with the moving
 * statistics instead. The model's weights are put back afterwards: the scene trains nothing. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "gradcheck.h"
#include "scene.h"
#include "trace.h"
#include "widgets.h"

enum {
    BN_STEPS = 12, /* batches shown */
    BN_CH = 4,     /* channels shown */
    BN_VALS = 24,  /* values of each channel shown, across the batch */
    BN_BATCH = 8   /* samples per batch, at least */
};

typedef struct BnStep {
    sl_real x[BN_CH * BN_VALS], xhat[BN_CH * BN_VALS]; /* (channel, value) */
    sl_real y_fit[BN_CH * BN_VALS], y_predict[BN_CH * BN_VALS];
    sl_real mean[BN_CH], var[BN_CH];               /* this batch's, over all its values */
    sl_real moving_mean[BN_CH], moving_var[BN_CH]; /* after this batch */
} BnStep;

typedef struct BnRun {
    int node, call;
    int C, axis, shown_c, shown_v; /* channels; the channel axis; what is shown */
    double momentum, eps;
    sl_real start_mean[BN_CH], start_var[BN_CH], gamma[BN_CH], beta[BN_CH];
    BnStep steps[BN_STEPS];
    int step, predict; /* what the listener is recording */
} BnRun;

/* A layer argument as it was made, or its fallback. */
static double arg_or(const SlLayer *l, const char *key, double fallback)
{
    double v;
    return sl_layer_arg_num(l, key, &v) == 0 ? v : fallback;
}

/* The weight `name` of l ("moving_mean"), or NULL when it has none (gamma with scale=False). */
static const sl_real *weight_of(const SlLayer *l, const char *name)
{
    for (int i = 0; i < l->n_params; i++)
        if (!strcmp(l->params[i].name, name))
            return l->params[i].value.data;
    return NULL;
}

/* The listener: at the BatchNormalization call, the first values of each shown channel across
 * the batch (x, and y of this pass), with the batch statistics computed here from all of x. */
static void on_event(void *ctx, const SlEvent *ev)
{
    BnRun *d = ctx;
    if (ev->kind != SL_EV_LAYER_END || ev->pass->node != d->node)
        return;
    const SlTensor *x = &ev->pass->x[0], *y = &ev->pass->y[0];
    BnStep *s = &d->steps[d->step];
    size_t inner = 1, outer = 1;
    for (int a = 0; a < x->shape.rank; a++)
        if (a < d->axis)
            outer *= (size_t)x->shape.dim[a];
        else if (a > d->axis)
            inner *= (size_t)x->shape.dim[a];
    for (int c = 0; c < d->shown_c; c++) {
        double sum = 0, sq = 0, n = (double)(outer * inner);
        for (size_t k = 0; k < outer * inner; k++)
            sum += x->data[((k / inner) * (size_t)d->C + (size_t)c) * inner + k % inner];
        for (size_t k = 0; k < outer * inner; k++) {
            double v = x->data[((k / inner) * (size_t)d->C + (size_t)c) * inner + k % inner];
            sq += (v - sum / n) * (v - sum / n);
        }
        for (int j = 0; j < d->shown_v; j++) {
            size_t k = (size_t)j, at = ((k / inner) * (size_t)d->C + (size_t)c) * inner + k % inner;
            sl_real *yv = d->predict ? s->y_predict : s->y_fit;
            yv[c * d->shown_v + j] = y->data[at];
            s->x[c * d->shown_v + j] = x->data[at];
        }
        if (d->predict)
            continue;
        s->mean[c] = (sl_real)(sum / n);
        s->var[c] = (sl_real)(sq / n); /* biased, as the layer's */
        for (int j = 0; j < d->shown_v; j++)
            s->xhat[c * d->shown_v + j] =
                (sl_real)((s->x[c * d->shown_v + j] - s->mean[c]) / sqrt(s->var[c] + d->eps));
    }
}

/* A seeded batch for every model input: values in [0, 2) (codes where an Embedding reads it),
 * so the channels have a mean of their own to learn. */
static void fill_batch(const SlModel *m, SlTensor *x, int step)
{
    SlRng r = sl_rng(1000 + (uint64_t)step);
    for (int k = 0; k < m->n_inputs; k++) {
        if (sl_model_code_range(m, k)) {
            sl_gradcheck_fill_model_input(m, k, &x[k], &r);
            continue;
        }
        for (size_t i = 0; i < sl_tensor_count(&x[k]); i++)
            x[k].data[i] = (sl_real)sl_rng_range(&r, 0, 2);
    }
}

/* Run the batches: each in training mode (the moving statistics update), then in predict. */
static int run_batches(SlSceneRun *run, BnRun *d, SlTensor *x, SlError *e)
{
    const SlLayer *l = run->m->nodes[d->node].layer;
    SlObserver listen = {on_event, d};
    const SlObserver *old = run->m->obs;
    sl_model_set_observer(run->m, &listen);
    int rc = 0;
    for (int s = 0; s < BN_STEPS && rc == 0; s++) {
        fill_batch(run->m, x, s);
        d->step = s, d->predict = 0;
        rc = sl_model_forward(run->m, x, 1, e);
        const sl_real *mm = weight_of(l, "moving_mean"), *mv = weight_of(l, "moving_variance");
        for (int c = 0; c < d->shown_c && mm && mv; c++)
            d->steps[s].moving_mean[c] = mm[c], d->steps[s].moving_var[c] = mv[c];
        d->predict = 1;
        if (rc == 0)
            rc = sl_model_forward(run->m, x, 0, e);
    }
    sl_model_set_observer(run->m, old);
    return rc;
}

static int bn_prepare(SlSceneRun *run, SlError *e)
{
    int node = sl_scene_node(run->m, run->scene);
    int call = sl_scene_record_layer(run, node, sizeof(BnRun), "a BatchNormalization layer", e);
    if (call < 0)
        return -1;
    BnRun *d = run->priv;
    const SlLayer *l = run->m->nodes[node].layer;
    const SlShape *in = &run->calls[call].io.in[0];
    d->node = node, d->call = call;
    int axis = (int)arg_or(l, "axis", -1);
    d->axis = axis < 0 ? axis + in->rank : axis;
    d->C = in->dim[d->axis];
    d->momentum = arg_or(l, "momentum", 0.99);
    d->eps = arg_or(l, "epsilon", 1e-3);
    d->shown_c = d->C < BN_CH ? d->C : BN_CH;
    const sl_real *g = weight_of(l, "gamma"), *b = weight_of(l, "beta");
    const sl_real *mm = weight_of(l, "moving_mean"), *mv = weight_of(l, "moving_variance");
    for (int c = 0; c < d->shown_c; c++) {
        d->gamma[c] = g ? g[c] : 1, d->beta[c] = b ? b[c] : 0;
        d->start_mean[c] = mm[c], d->start_var[c] = mv[c];
    }
    /* the batch: the inputs' None axes filled, at least BN_BATCH samples */
    SlModel *m = run->m;
    SlShape shape[SL_MAX_MODEL_IO];
    SlTensor x[SL_MAX_MODEL_IO];
    sl_real *buf[SL_MAX_MODEL_IO] = {0};
    int rc = 0;
    for (int k = 0; k < m->n_inputs && rc == 0; k++) {
        shape[k] = m->t[m->inputs[k]].shape;
        for (int a = 0; a < shape[k].rank; a++)
            if (shape[k].dim[a] == SL_NONE)
                shape[k].dim[a] =
                    a ? run->timesteps : (run->batch > BN_BATCH ? run->batch : BN_BATCH);
        if (!(buf[k] = sl_alloc_zero(sl_shape_count(&shape[k]) + 1, sizeof(sl_real))))
            rc = sl_errorf(e, "out of memory");
        x[k] = sl_tensor(shape[k], buf[k]);
    }
    /* values per channel in a batch: its samples times the other axes */
    size_t per_channel = m->n_inputs ? (size_t)shape[0].dim[0] : 1;
    for (int a = 1; a < in->rank; a++)
        per_channel *= a == d->axis ? 1 : (size_t)in->dim[a];
    d->shown_v = per_channel < BN_VALS ? (int)per_channel : BN_VALS;
    /* the weights as they are, put back after the batches: the scene trains nothing */
    sl_real *kept = rc == 0 ? sl_alloc_zero(m->values.used + 1, sizeof *kept) : NULL;
    if (rc == 0 && !kept)
        rc = sl_errorf(e, "out of memory");
    if (rc == 0) {
        memcpy(kept, m->values.base, m->values.used * sizeof *kept);
        rc = run_batches(run, d, x, e);
        memcpy(m->values.base, kept, m->values.used * sizeof *kept);
    }
    sl_free(kept);
    for (int k = 0; k < SL_MAX_MODEL_IO; k++)
        sl_free(buf[k]);
    run->n_steps = BN_STEPS;
    return rc;
}

static void bn_release(SlSceneRun *run)
{
    sl_free(run->priv);
    run->priv = NULL;
}

/* The longer label when it fits in w pixels, else the shorter. */
static const char *fit(const char *longer, const char *shorter, int w)
{
    int tw, th;
    sl_canvas_text_size(longer, SL_TEXT_LABEL, &tw, &th);
    return tw <= w ? longer : shorter;
}

/* A heatmap of the shown values, one row per channel, titled, at (x, y); returns its height. */
static int channel_map(SlCanvas *c, int x, int y, const BnRun *d, const sl_real *v, int cell,
                       SlRole role, const char *title, double scale)
{
    int w, h; /* its title, cells and scale */
    sl_heatmap_size(d->shown_c, d->shown_v, cell, title, &w, &h);
    sl_draw_heatmap_scaled(c, x, y, v, d->shown_c, d->shown_v, cell, role, title, scale);
    return h + 10;
}

/* Two bar strips side by side, each titled (the short titles where the long ones do not fit):
 * returns the height used. */
static int bar_pair(SlCanvas *c, int x, int y, int w, const sl_real *a, const sl_real *b, int n,
                    int a_signed, SlRole role, const char *ta, const char *tb, const char *ta_short,
                    const char *tb_short)
{
    int lw, lh, bh = 44;
    sl_canvas_text_size("M", SL_TEXT_LABEL, &lw, &lh);
    double sa = 1e-9, sb = 1e-9;
    for (int k = 0; k < n; k++)
        sa = fmax(sa, fabs((double)a[k])), sb = fmax(sb, fabs((double)b[k]));
    int half = (w - 24) / 2;
    ta = fit(ta, ta_short, half), tb = fit(tb, tb_short, half);
    sl_canvas_text(c, x, y, ta, SL_TEXT_LABEL, SL_INK);
    sl_draw_bars(c, x, y + lh + 4, half, bh, a, n, a_signed, sa, role, ta);
    sl_canvas_text(c, x + half + 24, y, tb, SL_TEXT_LABEL, SL_INK);
    sl_draw_bars(c, x + half + 24, y + lh + 4, half, bh, b, n, 0, sb, role, tb);
    return lh + 4 + bh + 14;
}

static double max_abs(const sl_real *v, int n)
{
    double m = 1e-9;
    for (int i = 0; i < n; i++)
        m = fmax(m, fabs((double)v[i]));
    return m;
}

/* Channel 0's batch statistic (input colour) and moving one (state colour), from the start
 * through batch `upto`. */
static void drift_plot(SlCanvas *c, int x, int y, int w, int h, const BnRun *d, int upto,
                       int variance, const char *title)
{
    double batch[BN_STEPS + 1], moving[BN_STEPS + 1];
    batch[0] = NAN;
    moving[0] = variance ? d->start_var[0] : d->start_mean[0];
    for (int s = 0; s < BN_STEPS; s++) {
        const BnStep *st = &d->steps[s];
        batch[s + 1] = s <= upto ? (variance ? st->var[0] : st->mean[0]) : NAN;
        moving[s + 1] = s <= upto ? (variance ? st->moving_var[0] : st->moving_mean[0]) : NAN;
    }
    const double *series[2] = {batch, moving};
    int lengths[2] = {BN_STEPS + 1, BN_STEPS + 1};
    SlRole roles[2] = {SL_ROLE_INPUT, SL_ROLE_STATE};
    sl_draw_plot(c, x, y, w, h, series, lengths, roles, 2, BN_STEPS + 1, title);
}

static void bn_draw(const SlSceneRun *run, double at, SlCanvas *c)
{
    const BnRun *d = run->priv;
    int step = (int)(at + 0.5); /* one batch a step: the picture changes at the step's middle */
    const SlLayer *l = run->m->nodes[d->node].layer;
    int t = step < 0 ? 0 : (step >= BN_STEPS ? BN_STEPS - 1 : step);
    const BnStep *s = &d->steps[t];
    char title[256], caption[800], text[160];
    int lw, lh, n = d->shown_c * d->shown_v;
    sl_canvas_clear(c, SL_PAPER);
    sl_canvas_text_size("M", SL_TEXT_LABEL, &lw, &lh);
    static const SlRole roles[] = {SL_ROLE_INPUT, SL_ROLE_WEIGHT, SL_ROLE_STATE, SL_ROLE_OUTPUT};
    int legend_w = sl_legend_width(roles, 4);
    snprintf(title, sizeof title, "Batch %d of %d in fit: %s (BatchNormalization)", t + 1, BN_STEPS,
             l->name);
    int top = sl_scene_title(c, title, legend_w + 16) + 12;
    sl_draw_legend(c, c->w - legend_w - 8, 8, roles, 4);
    int bottom = c->h - sl_scene_caption_height() - 8;
    /* left: this batch, channel by channel; right: the moving statistics and predict */
    int left_w = c->w * 52 / 100, rx = 16 + left_w + 24, rw = c->w - rx - 16;
    int fixed = 3 * (lh + 18) + 2 * (lh + 62);
    int cell = (bottom - top - fixed) / (3 * d->shown_c);
    cell = cell < left_w / d->shown_v ? cell : left_w / d->shown_v;
    cell = cell > 22 ? 22 : (cell < 4 ? 4 : cell);
    int y = top, x = 16;
    double xs = max_abs(s->x, n), ys = fmax(max_abs(s->y_fit, n), max_abs(s->y_predict, n));
    snprintf(text, sizeof text, "x: channels 1-%d, %d values each across the batch", d->shown_c,
             d->shown_v);
    y += channel_map(c, x, y, d, s->x, cell, SL_ROLE_INPUT, fit(text, "x: channels", left_w), xs);
    y += bar_pair(c, x, y, left_w, s->mean, s->var, d->shown_c, 1, SL_ROLE_INPUT, "batch mean",
                  "batch variance", "mean", "variance");
    y += channel_map(c, x, y, d, s->xhat, cell, SL_ROLE_OUTPUT,
                     fit("(x - mean) / sqrt(variance + eps): mean 0, variance 1",
                         "(x - mean) / sqrt(var + eps)", left_w),
                     0);
    y += bar_pair(c, x, y, left_w, d->gamma, d->beta, d->shown_c, 1, SL_ROLE_WEIGHT,
                  "* gamma (trained)", "+ beta (trained)", "* gamma", "+ beta");
    channel_map(c, x, y, d, s->y_fit, cell, SL_ROLE_OUTPUT,
                fit("= y in fit (batch statistics)", "= y in fit", left_w), ys);
    /* right column: the drift of channel 1's statistics, the moving statistics now, and the same
     * batch in predict, beside fit's output on the same row */
    int bars_h = lh + 4 + 44 + 14;
    int ph = (y - top - bars_h - 16) / 2;
    int ry = top;
    drift_plot(c, rx, ry, rw, ph, d, t, 0,
               fit("channel 1: batch mean, moving mean", "ch 1: mean", rw - 20));
    ry += ph + 8;
    drift_plot(c, rx, ry, rw, ph, d, t, 1,
               fit("channel 1: batch variance, moving variance", "ch 1: variance", rw - 20));
    ry += ph + 8;
    int half = (rw - 24) / 2;
    bar_pair(c, rx, ry, rw, s->moving_mean, s->moving_var, d->shown_c, 1, SL_ROLE_STATE,
             "moving mean", fit("moving variance", "moving var", half), "moving", "moving var");
    int rcell = cell < rw / d->shown_v ? cell : rw / d->shown_v;
    channel_map(c, rx, y, d, s->y_predict, rcell, SL_ROLE_OUTPUT,
                fit("= y in predict (moving statistics)", "= y in predict", rw), ys);
    double gap = 0;
    for (int i = 0; i < n; i++)
        gap = fmax(gap, fabs((double)(s->y_fit[i] - s->y_predict[i])));
    snprintf(caption, sizeof caption,
             "Fit normalizes with the batch's statistics, predict with the moving ones: outputs "
             "differ by up to %.3g. Channel 1: batch mean %.3g, moving mean %.3g (momentum %g).%s",
             gap, (double)s->mean[0], (double)s->moving_mean[0], d->momentum,
             c->w >= 1100 ? " The moving statistics are not trained: Non-trainable params." : "");
    sl_scene_caption(c, caption);
}

static int bn_can_draw(const SlModel *m, int node)
{
    (void)node;
    return m->n_inputs >= 1;
}

const SlScene sl_scene_batchnorm = {
    .name = "batchnorm",
    .what = "BatchNormalization batch by batch: each channel's batch mean and variance, the "
            "normalized values, gamma and beta, the moving statistics drifting, fit against "
            "predict",
    .can_draw = bn_can_draw,
    .prepare = bn_prepare,
    .draw = bn_draw,
    .release = bn_release,
};
