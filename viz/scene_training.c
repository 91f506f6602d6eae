/* scene_training.c: a fit's loss and metric curves, epoch by epoch: live in the window during
 * `shapelab train --viz`, and as a PNG with `--plot OUT.png`. One panel for the losses (loss and
 * val_loss), one for the metrics, each series named beside its colour. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "scene.h"
#include "widgets.h"

/* At most PLOT_POINTS points per curve: a longer fit is sampled at evenly spaced epochs. */
enum { MAX_SERIES = 4, PLOT_POINTS = 4096 };

/* The values of one logged name at `points` evenly spaced epochs of the whole fit, first and last
 * included: NAN where missing and after epoch `shown` (the plot's x axis stays the whole fit's).
 * Returns how many are present. */
static int series_of(const SlHistory *h, int shown, const char *name, double *out, int points)
{
    int n = 0;
    for (int i = 0; i < points; i++) {
        int ep = points > 1 ? (int)((long long)i * (h->n_epochs - 1) / (points - 1)) : 0;
        out[i] = ep < shown ? sl_logs_get(&h->epochs[ep], name) : NAN;
        n += !isnan(out[i]);
    }
    return n;
}

/* A panel of the names that match (losses or metrics), each with its colour and name. */
static void panel(SlCanvas *c, int x, int y, int w, int hgt, const SlHistory *h, int shown,
                  int losses, const char *title)
{
    static const SlRole colours[MAX_SERIES] = {SL_ROLE_OUTPUT, SL_ROLE_INPUT, SL_ROLE_WEIGHT,
                                               SL_ROLE_STATE};
    const double *series[MAX_SERIES];
    const char *names[MAX_SERIES];
    int lengths[MAX_SERIES], n = 0;
    int points = h->n_epochs < PLOT_POINTS ? h->n_epochs : PLOT_POINTS;
    static double values[MAX_SERIES][PLOT_POINTS];
    const SlLogs *first = &h->epochs[0];
    for (int i = 0; i < first->n && n < MAX_SERIES; i++) {
        int is_loss = strstr(first->name[i], "loss") != NULL;
        if (is_loss != losses || series_of(h, shown, first->name[i], values[n], points) == 0)
            continue;
        series[n] = values[n];
        names[n] = first->name[i];
        lengths[n++] = points;
    }
    if (!n)
        return;
    sl_draw_plot(c, x, y, w, hgt, series, lengths, colours, n, h->n_epochs, title);
    /* which colour is which: a short line and the name, inside the panel's top right */
    int lh = sl_text_height(SL_TEXT_LABEL), lx = x + w - 16;
    for (int i = n - 1; i >= 0; i--) {
        lx -= sl_text_width(names[i], SL_TEXT_LABEL) + 40;
        sl_canvas_smooth_line(c, lx, y + 8 + lh / 2.0, lx + 24, y + 8 + lh / 2.0, 3,
                              sl_role_color(colours[i]));
        sl_canvas_text(c, lx + 30, y + 8, names[i], SL_TEXT_LABEL, SL_INK);
    }
}

/* The curves of the first `shown` epochs, on the axes of the whole fit. */
static void draw_history(SlCanvas *c, const SlHistory *h, int shown, const char *title)
{
    char caption[512];
    sl_canvas_clear(c, SL_PAPER);
    int top = sl_scene_title(c, title, 0) + 12;
    if (!h || h->n_epochs == 0 || shown < 1) {
        sl_scene_caption(c, "No epoch has finished yet.");
        return;
    }
    shown = shown < h->n_epochs ? shown : h->n_epochs;
    int avail = c->h - top - sl_scene_caption_height() - 8, half = (avail - 12) / 2;
    panel(c, 16, top, c->w - 32, half, h, shown, 1, "loss per epoch");
    panel(c, 16, top + half + 12, c->w - 32, half, h, shown, 0, "metrics per epoch");
    const SlLogs *last = &h->epochs[shown - 1];
    size_t u = (size_t)snprintf(caption, sizeof caption, "After %d epoch%s:", shown,
                                shown == 1 ? "" : "s");
    for (int i = 0; i < last->n && u < sizeof caption; i++)
        u += (size_t)snprintf(caption + u, sizeof caption - u, " %s %.4f%s", last->name[i],
                              last->value[i], i + 1 < last->n ? "," : ".");
    sl_scene_caption(c, caption);
}

void sl_draw_history(SlCanvas *c, const SlHistory *h, const char *title)
{
    draw_history(c, h, h ? h->n_epochs : 0, title);
}

static int training_prepare(SlSceneRun *run, SlError *e)
{
    if (!run->history || run->history->n_epochs == 0)
        return sl_errorf(e, "the training scene draws a fit's curves: use shapelab train --viz "
                            "or --plot OUT.png");
    run->n_steps = run->history->n_epochs;
    return 0;
}

static void training_draw(const SlSceneRun *run, double at, SlCanvas *c)
{
    char title[160];
    int shown = sl_scene_caption_step(run, at) + 1; /* the curves up to this epoch */
    snprintf(title, sizeof title, "model \"%s\": training, epoch %d of %d", run->m->name, shown,
             run->history->n_epochs);
    draw_history(c, run->history, shown, title);
}

static void training_release(SlSceneRun *run)
{
    (void)run;
}

const SlScene sl_scene_training = {
    .name = "training",
    .what = "loss and metric curves per epoch (shapelab train --viz / --plot)",
    .can_draw = sl_scene_draws_any,
    .prepare = training_prepare,
    .draw = training_draw,
    .release = training_release,
};
