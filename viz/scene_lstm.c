/* scene_lstm.c: a recurrent layer (LSTM, GRU or SimpleRNN) unrolled over time, drawn from
 * src/layers/rnn.c's own cell (sl_rnn_steps) on the first sample of the recorded batch.
 *
 * One cell per timestep, left to right: x[t] comes in from below, h (and LSTM's c) is carried to
 * the right, the gates light up with their real values (on a fixed 0..1 scale, so steps compare),
 * and h[t] leaves at the top. With return_sequences every h[t] is an output; without, only the
 * last one is, and the others are drawn as state. return_state pulls the final h and c out on the
 * right. The units axis is labelled on every h: units is the length of h, not the number of steps.
 * Each step of the scene runs one more timestep; long sequences show a window of cells around it.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "layers/rnn.h"
#include "scene.h"
#include "widgets.h"

enum { MAX_SHOWN = 16, WINDOW = 6 }; /* values shown per vector; cells on screen */

typedef struct LstmRun {
    int call; /* the recorded call of the layer */
    const SlLayer *l;
    int T, F;       /* steps drawn (those of the first sample that were recorded), features */
    int seq, state; /* return_sequences, return_state */
    SlRnnSteps st;
    sl_real *x; /* (T, F) the first sample */
} LstmRun;

static int first_recurrent(const SlModel *m)
{
    for (int n = 0; n < m->n_nodes; n++)
        if (sl_rnn_is_recurrent(m->nodes[n].layer))
            return n;
    return -1;
}

static int lstm_fits(const SlModel *m)
{
    return first_recurrent(m) >= 0 ? 3 : 0;
}

static int lstm_prepare(SlSceneRun *run, SlError *e)
{
    int node = first_recurrent(run->m);
    int i_call =
        sl_scene_record_layer(run, node, sizeof(LstmRun), "an LSTM, GRU or SimpleRNN layer", e);
    if (i_call < 0)
        return -1;
    LstmRun *d = run->priv;
    d->call = i_call;
    const SlVizCall *call = &run->calls[i_call];
    d->l = run->m->nodes[node].layer;
    d->F = call->io.in[0].dim[2];
    d->T = d->F ? call->n_in_vals / d->F : 0;
    d->T = d->T < call->io.in[0].dim[1] ? d->T : call->io.in[0].dim[1];
    if (d->T < 1)
        return sl_errorf(e, "the recorded sample has no complete timestep to draw");
    d->seq = call->io.out[0].rank == 3;
    d->state = call->io.n_out > 1;
    d->x = sl_alloc_zero((size_t)d->T * d->F, sizeof *d->x);
    if (!d->x)
        return sl_errorf(e, "out of memory");
    for (int i = 0; i < d->T * d->F; i++)
        d->x[i] = (sl_real)call->in_vals[i];
    if (sl_rnn_steps(d->l, d->x, d->T, NULL, NULL, &d->st, e) < 0)
        return -1;
    run->n_steps = d->T;
    return 0;
}

static void lstm_release(SlSceneRun *run)
{
    LstmRun *d = run->priv;
    if (d) {
        sl_rnn_steps_free(&d->st);
        sl_free(d->x);
    }
    sl_free(d);
    run->priv = NULL;
}

/* ---- drawing ---- */

typedef struct Geo { /* where things go, for one canvas size */
    int lw, lh;      /* a letter */
    int x0, cell_w, gap, n_cells, first;
    int y_info, y_h, y_cell, cell_h, y_x, y_axis;
    int bar_h, row_h; /* a strip of bars, and a row of the cell */
    int shown_u, shown_f;
    double x_scale, h_scale; /* the largest |x| of the sample, |h| of all steps */
} Geo;

static Geo layout(const LstmRun *d, const SlCanvas *c, int top, int step)
{
    Geo g;
    g.lh = sl_text_height(SL_TEXT_LABEL);
    g.lw = sl_text_width("M", SL_TEXT_LABEL);
    g.n_cells = d->T < WINDOW ? d->T : WINDOW;
    g.first = step - g.n_cells / 2;
    g.first = g.first < 0 ? 0 : g.first > d->T - g.n_cells ? d->T - g.n_cells : g.first;
    g.x0 = 150;
    g.gap = 44;
    g.cell_w = (c->w - g.x0 - 230) / g.n_cells - g.gap;
    g.cell_w = g.cell_w > 220 ? 220 : g.cell_w;
    g.shown_u = d->st.units < MAX_SHOWN ? d->st.units : MAX_SHOWN;
    g.shown_f = d->F < MAX_SHOWN ? d->F : MAX_SHOWN;
    int rows = d->st.G + (d->st.c ? 1 : 0);
    int room = c->h - top - sl_scene_caption_height() - 5 * g.lh - 150; /* for the cell */
    g.row_h = (room - g.lh - 16) / rows;
    g.row_h = g.row_h > 44 ? 44 : g.row_h < 14 ? 14 : g.row_h;
    g.bar_h = g.row_h - 8;
    g.y_info = top + 10;
    g.y_h = g.y_info + 2 * g.lh + 26;
    g.y_cell = g.y_h + g.lh + 4 + g.bar_h + 30;
    g.cell_h = g.lh + 16 + rows * g.row_h;
    g.y_x = g.y_cell + g.cell_h + 30;
    g.y_axis = g.y_x + g.lh + 4 + g.bar_h + 14;
    g.x_scale = g.h_scale = 1e-12;
    for (int i = 0; i < d->T * d->F; i++)
        g.x_scale = fmax(g.x_scale, fabs((double)d->x[i]));
    for (int i = 0; i < (d->T + 1) * d->st.units; i++)
        g.h_scale = fmax(g.h_scale, fabs((double)d->st.h[i]));
    return g;
}

static const char *gate_name(const LstmRun *d, int k)
{
    static const char *const lstm[] = {"i", "f", "c~", "o"}, *const gru[] = {"z", "r", "h~"};
    if (d->st.G == 4)
        return lstm[k];
    return d->st.G == 3 ? gru[k] : "h";
}

/* One cell: its gates (0..1) and LSTM's c, or an empty frame for a step not run yet. */
static void draw_cell(SlCanvas *c, const LstmRun *d, const Geo *g, int t, int x, int run_yet,
                      int current)
{
    sl_canvas_round_rect(c, x, g->y_cell, g->cell_w, g->cell_h, 8, run_yet ? SL_WHITE : SL_PAPER);
    sl_canvas_round_frame(c, x, g->y_cell, g->cell_w, g->cell_h, 8, 1,
                          sl_mix(SL_GRID, SL_INK, run_yet ? 0.6 : 0.2));
    if (current)
        sl_draw_focus(c, x, g->y_cell, g->cell_w, g->cell_h);
    char s[48];
    snprintf(s, sizeof s, "t=%d", t);
    sl_canvas_text(c, x + 8, g->y_cell + 6, s, SL_TEXT_HEADING, SL_INK);
    if (!run_yet)
        return;
    int u = d->st.units, y = g->y_cell + g->lh + 14, bw = g->cell_w - 44;
    int n = d->st.G == 1 ? 0 : d->st.G; /* SimpleRNN's only "gate" is h itself, drawn above */
    for (int k = 0; k < n; k++, y += g->row_h) {
        sl_canvas_text(c, x + 6, y + g->bar_h / 2 - g->lh / 2, gate_name(d, k), SL_TEXT_LABEL,
                       SL_INK);
        const sl_real *a = d->st.a + ((size_t)t * d->st.G + k) * u;
        sl_draw_bars(c, x + 38, y, bw, g->bar_h, a, g->shown_u, k == 2 && d->st.G == 4, 1.0,
                     SL_ROLE_OUTPUT, "gate");
    }
    if (d->st.c) {
        const sl_real *cv = d->st.c + (size_t)(t + 1) * u;
        double mx = 1e-12;
        for (int j = 0; j < u; j++)
            mx = fabs((double)cv[j]) > mx ? fabs((double)cv[j]) : mx;
        sl_canvas_text(c, x + 6, y + g->bar_h / 2 - g->lh / 2, "c", SL_TEXT_LABEL, SL_INK);
        sl_draw_bars(c, x + 38, y, bw, g->bar_h, cv, g->shown_u, 1, mx, SL_ROLE_STATE, "c");
    }
    if (!n && !d->st.c)
        sl_canvas_text(c, x + 8, y, "tanh(xW\n +hU+b)", SL_TEXT_LABEL, SL_INK);
}

/* Above a cell: h after the step (an output, or state kept inside); below: x[t] coming in. */
static void draw_io(SlCanvas *c, const LstmRun *d, const Geo *g, int t, int x, int returned)
{
    char s[48];
    int u = d->st.units, mid = x + g->cell_w / 2, w = g->cell_w - 8;
    snprintf(s, sizeof s, "h[%d]", t);
    sl_canvas_text(c, x + 4, g->y_h, s, SL_TEXT_LABEL, SL_INK);
    sl_draw_bars(c, x + 4, g->y_h + g->lh + 4, w, g->bar_h, d->st.h + (size_t)(t + 1) * u,
                 g->shown_u, 1, g->h_scale, returned ? SL_ROLE_OUTPUT : SL_ROLE_STATE, "h");
    sl_canvas_smooth_arrow(c, mid, g->y_cell - 2, mid, g->y_h + g->lh + 4 + g->bar_h + 6, 2, 8,
                           SL_INK);
    int t_in = d->st.go_backwards ? d->T - 1 - t : t;
    snprintf(s, sizeof s, "x[%d]", t_in);
    sl_canvas_text(c, x + 4, g->y_x, s, SL_TEXT_LABEL, SL_INK);
    sl_draw_bars(c, x + 4, g->y_x + g->lh + 4, w, g->bar_h, d->x + (size_t)t_in * d->F, g->shown_f,
                 1, g->x_scale, SL_ROLE_INPUT, "x");
    sl_canvas_smooth_arrow(c, mid, g->y_x - 4, mid, g->y_cell + g->cell_h + 4, 2, 8, SL_INK);
}

/* The states handed from one cell to the next. */
static void draw_carry(SlCanvas *c, const Geo *g, int x_from, int x_to, const char *label)
{
    int y = g->y_cell + g->cell_h / 2;
    sl_canvas_smooth_arrow(c, x_from + 2, y, x_to - 2, y, 3, 9, sl_role_color(SL_ROLE_STATE));
    sl_canvas_text_aligned(c, (x_from + x_to) / 2, y - sl_text_height(SL_TEXT_LABEL) - 8,
                           SL_ALIGN_CENTER, label, SL_TEXT_LABEL, SL_INK);
}

static void draw_finals(SlCanvas *c, const LstmRun *d, const Geo *g, int done)
{
    int x = c->w - 210, y = g->y_cell, u = d->st.units;
    if (!d->state) {
        sl_canvas_text(c, x, y, "return_state=False:\nthe final h stays\ninside", SL_TEXT_LABEL,
                       SL_INK);
        return;
    }
    if (!done) {
        sl_canvas_text(c, x, y,
                       "return_state=True:\nthe final states\ncome out after the\nlast step",
                       SL_TEXT_LABEL, SL_INK);
        return;
    }
    sl_canvas_text(c, x, y, "final h", SL_TEXT_LABEL, SL_INK);
    sl_draw_bars(c, x, y + g->lh + 4, 180, g->bar_h, d->st.h + (size_t)d->T * u, g->shown_u, 1,
                 g->h_scale, SL_ROLE_OUTPUT, "final h");
    if (d->st.c) {
        const sl_real *cv = d->st.c + (size_t)d->T * u;
        double mx = 1e-12;
        for (int j = 0; j < u; j++)
            mx = fabs((double)cv[j]) > mx ? fabs((double)cv[j]) : mx;
        int y2 = y + g->lh + g->bar_h + 20;
        sl_canvas_text(c, x, y2, "final c", SL_TEXT_LABEL, SL_INK);
        sl_draw_bars(c, x, y2 + g->lh + 4, 180, g->bar_h, cv, g->shown_u, 1, mx, SL_ROLE_OUTPUT,
                     "final c");
    }
}

static void draw_texts(SlCanvas *c, const LstmRun *d, const Geo *g, int step)
{
    char s[256], sh[128];
    int u = d->st.units;
    if (d->seq) {
        snprintf(s, sizeof s, "return_sequences=True: every h[t] is an output -> (batch, %d, %d)",
                 d->T, u);
        snprintf(sh, sizeof sh, "every h[t] is an output: (batch, %d, %d)", d->T, u);
    } else {
        snprintf(s, sizeof s,
                 "return_sequences=False: only h after the last step is an output "
                 "-> (batch, %d)",
                 u);
        snprintf(sh, sizeof sh, "only the last h is an output: (batch, %d)", u);
    }
    sl_draw_text_fit(c, 16, g->y_info, s, sh);
    snprintf(s, sizeof s, "units = %d: h%s %s %d number%s at every step%s", u,
             d->st.c ? " and c" : "", d->st.c ? "have" : "has", u, u == 1 ? "" : "s",
             u > MAX_SHOWN ? " (the first 16 drawn)" : "");
    snprintf(sh, sizeof sh, "units = %d: the length of h%s", u, d->st.c ? " and c" : "");
    sl_draw_text_fit(c, 16, g->y_info + g->lh + 8, s, sh);
    snprintf(s, sizeof s, "timesteps: t = %d of 0..%d%s, %d feature%s each", step, d->T - 1,
             d->st.go_backwards ? " (go_backwards: read from the end)" : "", d->F,
             d->F == 1 ? "" : "s");
    sl_canvas_text(c, g->x0, g->y_axis, s, SL_TEXT_LABEL, SL_INK);
    sl_canvas_text(c, 16, g->y_cell + g->cell_h / 2 + 10,
                   d->st.c ? "h, c start\nat 0" : "h starts\nat 0", SL_TEXT_LABEL, SL_INK);
}

/* Between step s and s + 1: x[t] rises into the next cell and the carried state moves over to
 * it, part tw of the way. */
static void draw_motion(SlCanvas *c, const LstmRun *d, const Geo *g, int s, double tw)
{
    int k = s + 1 - g->first;
    if (tw <= 0 || s + 1 >= d->T || k < 0 || k >= g->n_cells)
        return;
    double x = g->x0 + k * (g->cell_w + g->gap), mid = x + g->cell_w / 2.0;
    double y_from = g->y_x + g->lh + 4 + g->bar_h / 2.0, y_to = g->y_cell + g->cell_h - 6;
    sl_canvas_circle(c, mid, sl_lerp(y_from, y_to, tw), 7, sl_role_color(SL_ROLE_INPUT));
    double cy = g->y_cell + g->cell_h / 2.0;
    sl_canvas_circle(c, sl_lerp(x - g->gap - g->cell_w / 2.0, x + 12, tw), cy, 7,
                     sl_role_color(SL_ROLE_STATE));
}

static void lstm_draw(const SlSceneRun *run, double at, SlCanvas *c)
{
    const LstmRun *d = run->priv;
    char title[256], caption[700], f[128];
    double tw;
    int step = sl_scene_step(run, at, &tw), said = sl_scene_caption_step(run, at);
    int s = step < 0 ? 0 : step >= d->T ? d->T - 1 : step;
    sl_canvas_clear(c, SL_PAPER);
    snprintf(title, sizeof title, "%s (%s): one cell, the same weights, at each of %d timesteps",
             d->l->name, d->l->type->name, d->T);
    static const SlRole roles[] = {SL_ROLE_INPUT, SL_ROLE_STATE, SL_ROLE_OUTPUT};
    int top = sl_scene_title(c, title, sl_legend_width(roles, 3) + 16);
    sl_draw_legend(c, c->w - sl_legend_width(roles, 3) - 12, 10, roles, 3);
    Geo g = layout(d, c, top, s);
    draw_texts(c, d, &g, said);
    for (int k = 0; k < g.n_cells; k++) {
        int t = g.first + k, x = g.x0 + k * (g.cell_w + g.gap);
        draw_cell(c, d, &g, t, x, t <= s, t == said);
        if (t <= s)
            draw_io(c, d, &g, t, x, d->seq || t == d->T - 1);
        int from = k == 0 ? g.x0 - g.gap : x - g.gap;
        const char *lab = d->st.c ? "h,c" : "h";
        if (k == 0 && g.first > 0)
            lab = "\xE2\x80\xA6";
        draw_carry(c, &g, from, x, lab);
    }
    int x_end = g.x0 + g.n_cells * (g.cell_w + g.gap) - g.gap;
    if (g.first + g.n_cells < d->T)
        draw_carry(c, &g, x_end, x_end + g.gap - 8, "\xE2\x80\xA6");
    draw_motion(c, d, &g, s, tw);
    draw_finals(c, d, &g, s == d->T - 1);
    if (d->state && s == d->T - 1) /* the final states leave the last cell */
        sl_canvas_smooth_arrow(c, x_end + 2, g.y_cell + g.cell_h / 2, c->w - 216,
                               g.y_cell + g.cell_h / 2, 3, 9, sl_role_color(SL_ROLE_STATE));
    d->l->type->formula(d->l, f, sizeof f);
    snprintf(caption, sizeof caption,
             "Timestep t = %d (of 0..%d): x[t] and the carried state go into the cell; %s. The "
             "same weights serve every step: %s parameters, whatever the number of timesteps.",
             said, d->T - 1,
             d->st.G == 4   ? "gates i, f, o (0..1) and the candidate c~ make c = f*c + i*c~, "
                              "then h = o*tanh(c)"
             : d->st.G == 3 ? "gates z and r (0..1) and the candidate h~ make h = z*h + (1-z)*h~"
                            : "h = tanh(x W + h U + b)",
             f);
    sl_scene_caption(c, caption);
}

const SlScene sl_scene_lstm = {
    .name = "lstm",
    .what = "an LSTM, GRU or SimpleRNN unrolled over time: gates lit by their values, h and c "
            "carried, outputs collected",
    .draws_data = 1,
    .fits = lstm_fits,
    .prepare = lstm_prepare,
    .draw = lstm_draw,
    .release = lstm_release,
};
