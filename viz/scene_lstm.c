/* scene_lstm.c: a recurrent layer (LSTM, GRU or SimpleRNN) unrolled over time, drawn from the
 * layer's own step events (SL_EV_STEP, src/layers/rnn.h) for the first sample of the recorded
 * batch: the numbers are the ones the layer computed in that forward pass.
 *
 * One cell per timestep, left to right: x[t] comes in from below, h (and LSTM's c) is carried to
 * the right, the gates light up with their real values (on their activation's range where it is
 * bounded, sigmoid 0..1 or tanh -1..1, so steps compare), and h[t] leaves at the top. With
 * return_sequences every h[t] is an output; without, only the last one is, and the others are
 * drawn as state. return_state pulls the final h and c out on the right. The units axis is
 * labelled on every h: units is the length of h, not the number of steps. A step masked for the
 * sample ran no cell: its frame says so. Each step of the scene runs one more timestep; long
 * sequences show a window of cells around it.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "layers/rnn.h"
#include "scene.h"
#include "trace.h"
#include "widgets.h"

enum { MAX_SHOWN = 16, WINDOW = 6, MAX_GATES = 4 }; /* values shown per vector; cells on screen */

/* Sample 0's step events of one layer call, copied (events lend their vectors). */
typedef struct Steps {
    int node, go_backwards;  /* the call listened to; its layer reads from the end */
    int T, F, u, G;          /* steps, features, units, gates (SimpleRNN 0: h is its block) */
    char gate[MAX_GATES][8]; /* the gates' names, as the events give them */
    int has_c;               /* the events carry c (LSTM) */
    sl_real *x;              /* (T, F) the row each step read */
    sl_real *a;              /* (T, MAX_GATES, u) the gates */
    sl_real *c;              /* (T, u) c after each step */
    sl_real *h;              /* (T, u) h after each step */
    unsigned char *ran;      /* (T) 1 where the cell ran, 0 where the mask skipped it */
    int seen, failed;        /* events copied; out of memory */
} Steps;

typedef struct LstmRun {
    const SlLayer *l;
    SlRnnInfo info;
    int seq, state, given; /* return_sequences, return_state, initial_state given */
    Steps st;
    int gate_signed[MAX_GATES];
    double gate_scale[MAX_GATES];
} LstmRun;

static void steps_free(Steps *st)
{
    sl_free(st->x), sl_free(st->a), sl_free(st->c), sl_free(st->h), sl_free(st->ran);
}

/* Sizes from the call's first event: T from its input, F from x, u from h. */
static int steps_alloc(Steps *st, const SlEvent *ev)
{
    st->T = ev->pass->x[0].shape.dim[1];
    for (int k = 0; k < ev->n_named; k++) {
        int n = (int)sl_tensor_count(&ev->named[k]);
        if (!strcmp(ev->names[k], "x"))
            st->F = n;
        if (!strcmp(ev->names[k], "h"))
            st->u = n;
    }
    size_t T = (size_t)st->T, u = (size_t)st->u;
    st->x = sl_alloc_zero(T * (size_t)st->F + 1, sizeof *st->x);
    st->a = sl_alloc_zero(T * MAX_GATES * u, sizeof *st->a);
    st->c = sl_alloc_zero(T * u, sizeof *st->c);
    st->h = sl_alloc_zero(T * u, sizeof *st->h);
    st->ran = sl_alloc_zero(T, 1);
    return st->x && st->a && st->c && st->h && st->ran ? 0 : -1;
}

static void copy_vector(sl_real *dst, const SlTensor *v, int n)
{
    if ((int)sl_tensor_count(v) == n)
        memcpy(dst, v->data, (size_t)n * sizeof *dst);
}

/* The listener: x, the gates (every name but x, c and h), c and h of each step of the call, and
 * whether the sample's mask let the step run. */
static void on_step(void *ctx, const SlEvent *ev)
{
    Steps *st = ctx;
    if (ev->kind != SL_EV_STEP || ev->pass->node != st->node || st->failed)
        return;
    if (!st->h && steps_alloc(st, ev) < 0) {
        st->failed = 1;
        return;
    }
    int s = ev->step, g = 0;
    if (s < 0 || s >= st->T)
        return;
    const unsigned char *mask = ev->pass->mask_in[0]; /* (batch, T): sample 0's row first */
    st->ran[s] = !mask || mask[st->go_backwards ? st->T - 1 - s : s];
    for (int k = 0; k < ev->n_named; k++) {
        const char *name = ev->names[k];
        const SlTensor *v = &ev->named[k];
        if (!strcmp(name, "x"))
            copy_vector(st->x + (size_t)s * st->F, v, st->F);
        else if (!strcmp(name, "h"))
            copy_vector(st->h + (size_t)s * st->u, v, st->u);
        else if (!strcmp(name, "c"))
            copy_vector(st->c + (size_t)s * st->u, v, st->u), st->has_c = 1;
        else if (g < MAX_GATES) {
            snprintf(st->gate[g], sizeof st->gate[g], "%s", name);
            copy_vector(st->a + ((size_t)s * MAX_GATES + g) * st->u, v, st->u);
            g++;
        }
    }
    st->G = g > st->G ? g : st->G;
    st->seen++;
}

/* The activation that makes gate k: the third block is the candidate (LSTM's g, GRU's n), made
 * by activation=; the others by recurrent_activation= (layers/rnn.h). */
static const char *gate_act(const LstmRun *d, int k)
{
    return k == 2 ? d->info.activation : d->info.recurrent_activation;
}

/* Gate k's bars: on its activation's range where that is bounded (sigmoid 0..1, tanh -1..1), so
 * the steps compare on one scale; else on the largest |value| of all steps. Signed when a value
 * can be negative. */
static void gate_range(LstmRun *d, int k)
{
    static const char *const to_one[] = {"sigmoid", "hard_sigmoid", "hard_sigmoid_k2",
                                         "softmax", "tanh",         "softsign"};
    const Steps *st = &d->st;
    const char *act = gate_act(d, k);
    double mx = 1e-12;
    int neg = !strcmp(act, "tanh") || !strcmp(act, "softsign");
    for (int t = 0; t < st->T; t++)
        for (int j = 0; st->ran[t] && j < st->u; j++) {
            double v = (double)st->a[((size_t)t * MAX_GATES + k) * st->u + j];
            mx = fmax(mx, fabs(v));
            neg |= v < 0;
        }
    d->gate_signed[k] = neg;
    d->gate_scale[k] = mx;
    for (size_t i = 0; i < sizeof to_one / sizeof to_one[0]; i++)
        if (!strcmp(act, to_one[i]))
            d->gate_scale[k] = 1.0;
}

static int lstm_prepare(SlSceneRun *run, SlError *e)
{
    int node = sl_scene_first_of_kind(run->m, SL_KIND_RECURRENT);
    Steps st = {.node = node};
    SlRnnInfo info = {0};
    if (node >= 0 && sl_rnn_info(run->m->nodes[node].layer, &info) == 0)
        st.go_backwards = info.go_backwards;
    SlObserver listen = {on_step, &st};
    run->listen = &listen;
    int i_call =
        sl_scene_record_layer(run, node, sizeof(LstmRun), "an LSTM, GRU or SimpleRNN layer", e);
    run->listen = NULL;
    if (i_call < 0 || st.failed || st.T < 1 || st.seen != st.T) {
        steps_free(&st);
        if (i_call < 0)
            return -1;
        if (st.failed)
            return sl_errorf(e, "out of memory copying the layer's steps");
        return sl_errorf(e, "the layer reported %d steps of %d", st.seen, st.T);
    }
    LstmRun *d = run->priv;
    const SlVizCall *call = &run->calls[i_call];
    d->l = run->m->nodes[node].layer;
    d->info = info;
    d->st = st;
    d->seq = call->io.out[0].rank == 3;
    d->state = call->io.n_out > 1;
    d->given = call->io.n_in > 1;
    for (int k = 0; k < st.G; k++)
        gate_range(d, k);
    run->n_steps = st.T;
    return 0;
}

static void lstm_release(SlSceneRun *run)
{
    LstmRun *d = run->priv;
    if (d)
        steps_free(&d->st);
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
    const Steps *st = &d->st;
    Geo g;
    g.lh = sl_text_height(SL_TEXT_LABEL);
    g.lw = sl_text_width("M", SL_TEXT_LABEL);
    g.n_cells = st->T < WINDOW ? st->T : WINDOW;
    g.first = step - g.n_cells / 2;
    g.first = g.first < 0 ? 0 : g.first > st->T - g.n_cells ? st->T - g.n_cells : g.first;
    g.x0 = 150;
    g.gap = 44;
    g.cell_w = (c->w - g.x0 - 230) / g.n_cells - g.gap;
    g.cell_w = g.cell_w > 220 ? 220 : g.cell_w;
    g.shown_u = st->u < MAX_SHOWN ? st->u : MAX_SHOWN;
    g.shown_f = st->F < MAX_SHOWN ? st->F : MAX_SHOWN;
    int rows = st->G + st->has_c;
    rows = rows < 1 ? 1 : rows;
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
    for (int i = 0; i < st->T * st->F; i++)
        g.x_scale = fmax(g.x_scale, fabs((double)st->x[i]));
    for (int i = 0; i < st->T * st->u; i++)
        g.h_scale = fmax(g.h_scale, fabs((double)st->h[i]));
    return g;
}

/* The largest |c| of step t, the scale its bars are drawn on. */
static double c_scale(const Steps *st, int t)
{
    double mx = 1e-12;
    for (int j = 0; j < st->u; j++)
        mx = fmax(mx, fabs((double)st->c[(size_t)t * st->u + j]));
    return mx;
}

/* One cell: its gates and LSTM's c, or an empty frame for a step not run yet. */
static void draw_cell(SlCanvas *c, const LstmRun *d, const Geo *g, int t, int x, int run_yet,
                      int current)
{
    const Steps *st = &d->st;
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
    int u = st->u, y = g->y_cell + g->lh + 14, bw = g->cell_w - 44;
    if (!st->ran[t]) {
        sl_canvas_text(c, x + 6, y, st->has_c ? "masked:\nh, c kept" : "masked:\nh kept",
                       SL_TEXT_LABEL, SL_INK);
        return;
    }
    for (int k = 0; k < st->G; k++, y += g->row_h) {
        sl_canvas_text(c, x + 6, y + g->bar_h / 2 - g->lh / 2, st->gate[k], SL_TEXT_LABEL, SL_INK);
        const sl_real *a = st->a + ((size_t)t * MAX_GATES + k) * u;
        sl_draw_bars(c, x + 38, y, bw, g->bar_h, a, g->shown_u, d->gate_signed[k], d->gate_scale[k],
                     SL_ROLE_OUTPUT, "gate");
    }
    if (st->has_c) {
        sl_canvas_text(c, x + 6, y + g->bar_h / 2 - g->lh / 2, "c", SL_TEXT_LABEL, SL_INK);
        sl_draw_bars(c, x + 38, y, bw, g->bar_h, st->c + (size_t)t * u, g->shown_u, 1,
                     c_scale(st, t), SL_ROLE_STATE, "c");
    }
    if (!st->G && !st->has_c) { /* SimpleRNN: its one block is h, drawn above */
        snprintf(s, sizeof s, "%s(xW\n +hU+b)", d->info.activation);
        sl_canvas_text(c, x + 6, y, s, SL_TEXT_LABEL, SL_INK);
    }
}

/* Above a cell: h after the step (an output, or state kept inside); below: x[t] coming in. */
static void draw_io(SlCanvas *c, const LstmRun *d, const Geo *g, int t, int x, int returned)
{
    const Steps *st = &d->st;
    char s[48];
    int u = st->u, mid = x + g->cell_w / 2, w = g->cell_w - 8;
    snprintf(s, sizeof s, "h[%d]", t);
    sl_canvas_text(c, x + 4, g->y_h, s, SL_TEXT_LABEL, SL_INK);
    sl_draw_bars(c, x + 4, g->y_h + g->lh + 4, w, g->bar_h, st->h + (size_t)t * u, g->shown_u, 1,
                 g->h_scale, returned ? SL_ROLE_OUTPUT : SL_ROLE_STATE, "h");
    sl_canvas_smooth_arrow(c, mid, g->y_cell - 2, mid, g->y_h + g->lh + 4 + g->bar_h + 6, 2, 8,
                           SL_INK);
    int t_in = d->info.go_backwards ? st->T - 1 - t : t;
    snprintf(s, sizeof s, "x[%d]", t_in);
    sl_canvas_text(c, x + 4, g->y_x, s, SL_TEXT_LABEL, SL_INK);
    sl_draw_bars(c, x + 4, g->y_x + g->lh + 4, w, g->bar_h, st->x + (size_t)t * st->F, g->shown_f,
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
    const Steps *st = &d->st;
    int x = c->w - 210, y = g->y_cell, u = st->u, last = st->T - 1;
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
    sl_draw_bars(c, x, y + g->lh + 4, 180, g->bar_h, st->h + (size_t)last * u, g->shown_u, 1,
                 g->h_scale, SL_ROLE_OUTPUT, "final h");
    if (st->has_c) {
        int y2 = y + g->lh + g->bar_h + 20;
        sl_canvas_text(c, x, y2, "final c", SL_TEXT_LABEL, SL_INK);
        sl_draw_bars(c, x, y2 + g->lh + 4, 180, g->bar_h, st->c + (size_t)last * u, g->shown_u, 1,
                     c_scale(st, last), SL_ROLE_OUTPUT, "final c");
    }
}

/* Where the states start: zeros, initial_state, or the last batch's (stateful). */
static const char *start_text(const LstmRun *d)
{
    if (d->given)
        return d->st.has_c ? "h, c from\ninitial_\nstate" : "h from\ninitial_\nstate";
    if (d->info.stateful)
        return d->st.has_c ? "h, c from\nthe last\nbatch" : "h from\nthe last\nbatch";
    return d->st.has_c ? "h, c start\nat 0" : "h starts\nat 0";
}

static void draw_texts(SlCanvas *c, const LstmRun *d, const Geo *g, int step)
{
    const Steps *st = &d->st;
    char s[256], sh[128];
    int u = st->u;
    if (d->seq) {
        snprintf(s, sizeof s, "return_sequences=True: every h[t] is an output -> (batch, %d, %d)",
                 st->T, u);
        snprintf(sh, sizeof sh, "every h[t] is an output: (batch, %d, %d)", st->T, u);
    } else {
        snprintf(s, sizeof s,
                 "return_sequences=False: only h after the last step is an output "
                 "-> (batch, %d)",
                 u);
        snprintf(sh, sizeof sh, "only the last h is an output: (batch, %d)", u);
    }
    sl_draw_text_fit(c, 16, g->y_info, s, sh);
    snprintf(s, sizeof s, "units = %d: h%s %s %d number%s at every step%s", u,
             st->has_c ? " and c" : "", st->has_c ? "have" : "has", u, u == 1 ? "" : "s",
             u > MAX_SHOWN ? " (the first 16 drawn)" : "");
    snprintf(sh, sizeof sh, "units = %d: the length of h%s", u, st->has_c ? " and c" : "");
    sl_draw_text_fit(c, 16, g->y_info + g->lh + 8, s, sh);
    snprintf(s, sizeof s, "timesteps: t = %d of 0..%d%s, %d feature%s each", step, st->T - 1,
             d->info.go_backwards ? " (go_backwards: read from the end)" : "", st->F,
             st->F == 1 ? "" : "s");
    sl_canvas_text(c, g->x0, g->y_axis, s, SL_TEXT_LABEL, SL_INK);
    sl_canvas_text(c, 16, g->y_cell + g->cell_h / 2 + 10, start_text(d), SL_TEXT_LABEL, SL_INK);
}

/* What the cell computes, with the layer's own activations. */
static void cell_sentence(const LstmRun *d, char *buf, size_t n)
{
    const char *act = d->info.activation, *rec = d->info.recurrent_activation;
    const Steps *st = &d->st;
    if (st->G == 4)
        snprintf(buf, n,
                 "gates %s, %s, %s = %s(...) and the candidate %s = %s(...) make c = %s*c + %s*%s, "
                 "then h = %s*%s(c)",
                 st->gate[0], st->gate[1], st->gate[3], rec, st->gate[2], act, st->gate[1],
                 st->gate[0], st->gate[2], st->gate[3], act);
    else if (st->G == 3)
        snprintf(buf, n,
                 "gates %s, %s = %s(...) and the candidate %s = %s(...) make "
                 "h = %s*h + (1-%s)*%s",
                 st->gate[0], st->gate[1], rec, st->gate[2], act, st->gate[0], st->gate[0],
                 st->gate[2]);
    else
        snprintf(buf, n, "h = %s(x W + h U + b)", act);
}

/* Between step s and s + 1: x[t] rises into the next cell and the carried state moves over to
 * it, part tw of the way. */
static void draw_motion(SlCanvas *c, const LstmRun *d, const Geo *g, int s, double tw)
{
    int k = s + 1 - g->first;
    if (tw <= 0 || s + 1 >= d->st.T || k < 0 || k >= g->n_cells)
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
    const Steps *st = &d->st;
    char title[256], caption[700], f[128], cell[256];
    double tw;
    int step = sl_scene_step(run, at, &tw), said = sl_scene_caption_step(run, at);
    int s = step < 0 ? 0 : step >= st->T ? st->T - 1 : step;
    sl_canvas_clear(c, SL_PAPER);
    snprintf(title, sizeof title, "%s (%s): one cell, the same weights, at each of %d timesteps",
             d->l->name, d->l->type->name, st->T);
    static const SlRole roles[] = {SL_ROLE_INPUT, SL_ROLE_STATE, SL_ROLE_OUTPUT};
    int top = sl_scene_title(c, title, sl_legend_width(roles, 3) + 16);
    sl_draw_legend(c, c->w - sl_legend_width(roles, 3) - 12, 10, roles, 3);
    Geo g = layout(d, c, top, s);
    draw_texts(c, d, &g, said);
    for (int k = 0; k < g.n_cells; k++) {
        int t = g.first + k, x = g.x0 + k * (g.cell_w + g.gap);
        draw_cell(c, d, &g, t, x, t <= s, t == said);
        if (t <= s)
            draw_io(c, d, &g, t, x, d->seq || t == st->T - 1);
        int from = k == 0 ? g.x0 - g.gap : x - g.gap;
        const char *lab = st->has_c ? "h,c" : "h";
        if (k == 0 && g.first > 0)
            lab = "\xE2\x80\xA6";
        draw_carry(c, &g, from, x, lab);
    }
    int x_end = g.x0 + g.n_cells * (g.cell_w + g.gap) - g.gap;
    if (g.first + g.n_cells < st->T)
        draw_carry(c, &g, x_end, x_end + g.gap - 8, "\xE2\x80\xA6");
    draw_motion(c, d, &g, s, tw);
    draw_finals(c, d, &g, s == st->T - 1);
    if (d->state && s == st->T - 1) /* the final states leave the last cell */
        sl_canvas_smooth_arrow(c, x_end + 2, g.y_cell + g.cell_h / 2, c->w - 216,
                               g.y_cell + g.cell_h / 2, 3, 9, sl_role_color(SL_ROLE_STATE));
    d->l->type->formula(d->l, f, sizeof f);
    cell_sentence(d, cell, sizeof cell);
    snprintf(caption, sizeof caption,
             "Timestep t = %d (of 0..%d): x[t] and the carried state go into the cell; %s. The "
             "same weights serve every step: %s parameters, whatever the number of timesteps.",
             said, st->T - 1, cell, f);
    sl_scene_caption(c, caption);
}

const SlScene sl_scene_lstm = {
    .name = "lstm",
    .what = "an LSTM, GRU or SimpleRNN unrolled over time: gates lit by their values, h and c "
            "carried, outputs collected",
    .draws_data = 1,
    .can_draw = sl_scene_draws_any,
    .prepare = lstm_prepare,
    .draw = lstm_draw,
    .release = lstm_release,
};
