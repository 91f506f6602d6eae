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

/* The values of one logged name at `points` evenly spaced epochs, first and last included (NAN
 * where missing). Returns how many are present. */
static int series_of(const SlHistory *h, const char *name, double *out, int points)
{
    int n = 0;
    for (int i = 0; i < points; i++) {
        int ep = points > 1 ? (int)((long long)i * (h->n_epochs - 1) / (points - 1)) : 0;
        out[i] = sl_logs_get(&h->epochs[ep], name);
        n += !isnan(out[i]);
    }
    return n;
}

/* A panel of the names that match (losses or metrics), each with its colour and name. */
static void panel(SlCanvas *c, int x, int y, int w, int hgt, const SlHistory *h, int losses,
                  const char *title)
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
        if (is_loss != losses || series_of(h, first->name[i], values[n], points) == 0)
            continue;
        series[n] = values[n];
        names[n] = first->name[i];
        lengths[n++] = points;
    }
    if (!n)
        return;
    sl_draw_plot(c, x, y, w, hgt, series, lengths, colours, n, h->n_epochs, title);
    /* which colour is which: a short line and the name, inside the panel's top right */
    int cw, ch, lx = x + w - 16;
    for (int i = n - 1; i >= 0; i--) {
        sl_canvas_text_size(names[i], SL_TEXT_SCALE, &cw, &ch);
        lx -= cw + 40;
        sl_canvas_line(c, lx, y + 8 + ch / 2, lx + 24, y + 8 + ch / 2, 3,
                       sl_role_color(colours[i]));
        sl_canvas_text(c, lx + 30, y + 8, names[i], SL_TEXT_SCALE, SL_INK);
    }
}

void sl_draw_history(SlCanvas *c, const SlHistory *h, const char *title)
{
    char caption[512];
    sl_canvas_clear(c, SL_PAPER);
    int top = sl_scene_title(c, title, 0) + 12;
    if (!h || h->n_epochs == 0) {
        sl_scene_caption(c, "No epoch has finished yet.");
        return;
    }
    int avail = c->h - top - sl_scene_caption_height() - 8, half = (avail - 12) / 2;
    panel(c, 16, top, c->w - 32, half, h, 1, "loss per epoch");
    panel(c, 16, top + half + 12, c->w - 32, half, h, 0, "metrics per epoch");
    const SlLogs *last = &h->epochs[h->n_epochs - 1];
    size_t u = (size_t)snprintf(caption, sizeof caption, "After %d epoch%s:", h->n_epochs,
                                h->n_epochs == 1 ? "" : "s");
    for (int i = 0; i < last->n && u < sizeof caption; i++)
        u += (size_t)snprintf(caption + u, sizeof caption - u, " %s %.4f%s", last->name[i],
                              last->value[i], i + 1 < last->n ? "," : ".");
    sl_scene_caption(c, caption);
}

static int training_prepare(SlSceneRun *run, SlError *e)
{
    if (!run->history || run->history->n_epochs == 0)
        return sl_errorf(e, "the training scene draws a fit's curves: use shapelab train --viz "
                            "or --plot OUT.png");
    run->n_steps = run->history->n_epochs;
    return 0;
}

static void training_draw(const SlSceneRun *run, int step, SlCanvas *c)
{
    SlHistory upto = *run->history; /* the curves up to this epoch */
    char title[160];
    upto.n_epochs = step + 1 < upto.n_epochs ? step + 1 : upto.n_epochs;
    snprintf(title, sizeof title, "model \"%s\": training, epoch %d of %d", run->m->name,
             upto.n_epochs, run->history->n_epochs);
    sl_draw_history(c, &upto, title);
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
