/* scene_gradcheck.c: the gradient check as a picture: one bar per weight tensor (and the input),
 * its largest relative error on a log scale from 1e-16 to 1, against the tolerance line. A bar
 * right of the line failed. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "scene.h"
#include "widgets.h"

static int gc_prepare(SlSceneRun *run, SlError *e)
{
    SlModel *m = run->m;
    SlGradcheckReport *rep = sl_alloc_zero(1, sizeof *rep);
    SlTensor x[SL_MAX_MODEL_IO];
    sl_real *buf[SL_MAX_MODEL_IO] = {0};
    int rc = rep ? 0 : sl_errorf(e, "out of memory");
    run->priv = rep;
    for (int k = 0; k < m->n_inputs && rc == 0; k++) /* the learner's sample, or a seeded one */
        rc = sl_scene_input(run, k, &x[k], &buf[k], e);
    SlGradcheckOptions o = sl_gradcheck_defaults();
    if (rc == 0)
        rc = sl_gradcheck(m, x, &o, rep, e);
    for (int k = 0; k < SL_MAX_MODEL_IO; k++)
        sl_free(buf[k]);
    run->n_steps = 1;
    return rc;
}

static int bar_x(int x0, int w, double err) /* 1e-16 .. 1 on a log scale */
{
    double l = log10(err > 1e-16 ? err : 1e-16);
    l = l > 0 ? 0 : l;
    return x0 + (int)((l + 16) / 16 * w);
}

static void gc_draw(const SlSceneRun *run, double at, SlCanvas *c)
{
    const SlGradcheckReport *rep = run->priv;
    SlGradcheckOptions o = sl_gradcheck_defaults();
    char title[200], caption[400], v[48];
    (void)at; /* one step */
    sl_canvas_clear(c, SL_PAPER);
    snprintf(title, sizeof title, "model \"%s\": gradient check in %s, error per tensor",
             run->m->name, SL_REAL_NAME);
    static const SlRole roles[] = {SL_ROLE_GRADIENT};
    int top = sl_scene_title(c, title, sl_legend_width(roles, 1) + 16) + 20;
    sl_draw_legend(c, c->w - sl_legend_width(roles, 1) - 12, 10, roles, 1);
    int ch = sl_text_height(SL_TEXT_LABEL), nh = sl_text_height(SL_TEXT_SMALL);
    /* names cut to 40% of the width (keeping their ends: "…/gru_cell/bias"), rows to the room */
    int max_w = (int)(0.4 * c->w), name_w = 0;
    for (int i = 0; i < rep->n_rows; i++) {
        int w = sl_text_width(rep->rows[i].name, SL_TEXT_LABEL);
        name_w = (w < max_w ? w : max_w) > name_w ? (w < max_w ? w : max_w) : name_w;
    }
    int value_w = sl_text_width("9.9e-99 FAIL", SL_TEXT_NUMBER);
    int room = c->h - top - sl_scene_caption_height() - 2 * nh - 40;
    int row = room / (rep->n_rows ? rep->n_rows : 1);
    row = row > 2 * ch + 6 ? 2 * ch + 6 : row;
    int shown = row >= ch + 6 ? rep->n_rows : room / (ch + 6) - 1;
    row = row >= ch + 6 ? row : ch + 6;
    int x0 = 24 + name_w + 16, w = c->w - x0 - value_w - 48;
    int bottom = top + (shown < rep->n_rows ? shown + 1 : shown) * row;
    for (int p = -16; p <= 0; p += 4) { /* the scale, under the bars */
        int tx = bar_x(x0, w, pow(10, p));
        snprintf(v, sizeof v, "1e%d", p);
        sl_canvas_fill_rect(c, tx, top - 4, 1, bottom - top + 8, SL_GRID);
        sl_canvas_text_aligned(c, tx, bottom + 8, SL_ALIGN_CENTER, v, SL_TEXT_SMALL, SL_INK);
    }
    for (int i = 0; i < shown; i++) {
        const SlGradcheckRow *r = &rep->rows[i];
        int y = top + i * row, bh = ch - 2;
        char name[SL_PARAM_NAME_MAX + 8];
        const char *nm = r->name;
        while (sl_text_width(nm, SL_TEXT_LABEL) > max_w && strchr(nm + 1, '/'))
            nm = strchr(nm + 1, '/'); /* keep the end, from a '/' */
        snprintf(name, sizeof name, "%s%s", nm != r->name ? "\xE2\x80\xA6" : "", nm);
        sl_draw_text_in(c, 16, y + (row - ch) / 2, name_w + 8, name, SL_TEXT_LABEL);
        int bx = bar_x(x0, w, r->max_err), by = y + (row - bh) / 2;
        sl_canvas_fill_rect(c, x0, by, bx - x0 > 1 ? bx - x0 : 1, bh,
                            sl_role_color(SL_ROLE_GRADIENT));
        sl_canvas_record(c, SL_ITEM_WIDGET, x0, by, bx - x0 > 1 ? bx - x0 : 1, bh, SL_ROLE_GRADIENT,
                         0, r->name);
        snprintf(v, sizeof v, "%.1e %s", r->max_err, r->ok ? "ok" : "FAIL");
        sl_canvas_text_aligned(c, c->w - 24, y + (row - sl_text_height(SL_TEXT_NUMBER)) / 2,
                               SL_ALIGN_RIGHT, v, SL_TEXT_NUMBER, SL_INK);
    }
    if (shown < rep->n_rows) {
        int failing = 0;
        for (int i = shown; i < rep->n_rows; i++)
            failing += !rep->rows[i].ok;
        snprintf(v, sizeof v, "\xE2\x80\xA6 %d more, %d failing", rep->n_rows - shown, failing);
        sl_canvas_text(c, 16, top + shown * row + 4, v, SL_TEXT_LABEL, SL_INK);
    }
    int tol = bar_x(x0, w, o.tol);
    sl_canvas_fill_rect(c, tol - 1, top - 8, 3, bottom - top + 16, SL_INK);
    snprintf(v, sizeof v, "tolerance %.0e", o.tol);
    sl_canvas_text(c, tol + 6, bottom + 8 + nh + 6, v, SL_TEXT_LABEL, SL_INK);
    snprintf(
        caption, sizeof caption,
        "Each bar is the largest abs(a - n) / (abs(a) + abs(n)) between backward's gradient a and "
        "the slope n measured by nudging one value both ways. Largest: %.2e: %s.",
        rep->max_err, rep->ok ? "every tensor passes" : "some tensor FAILS");
    sl_scene_caption(c, caption);
}

static void gc_release(SlSceneRun *run)
{
    sl_free(run->priv);
    run->priv = NULL;
}

const SlScene sl_scene_gradcheck = {
    .name = "gradcheck",
    .what = "per-tensor gradient-check errors on a log scale against the tolerance",
    .in_double = 1,
    .draws_data = 1,
    .can_draw = sl_scene_draws_any,
    .prepare = gc_prepare,
    .draw = gc_draw,
    .release = gc_release,
};
