/* scene_seq2seq.c: an output sequence of another length than the input, three ways (item 8).
 *
 * What it draws: three small models that the scene builds itself (seeded weights, layers named
 * s2s_*, so the session's name counters are not touched), as lesson 15 trains them, side by side:
 *   (a) Reshape + TimeDistributed: (None, 12, 5) -> LSTM -> TD(Dense(5)) -> Reshape((4, 15))
 *       -> TD(Dense(5, softmax)) = (None, 4, 5);
 *   (b) encoder LSTM -> one (None, 64) vector -> RepeatVector(4) -> decoder LSTM -> (None, 4, 5);
 *   (c) START/END/PAD framing: two inputs, each through Embedding(mask_zero=True); the encoder's
 *       final h and c are the decoder's initial_state; the target's steps after END are masked
 *       in the loss.
 * Each tensor is a tensor box with the shape the engine inferred for it (inputs blue, states
 * green, outputs vermillion, tensors between layers grey, as in every scene); under each design one
 * sample of its data, with the same first symbols in all three, cells of padding hatched and the
 * target steps the masked loss skips hatched in the mask colour. Each step lights one design and
 * its caption explains it. The model the scene is started on only decides which design the title
 * names ("yours: (b)") and the last step lights (a PNG of the scene shows the last step); the
 * scene does not draw that model's layers, so no layer claims it with a weight: it is drawn when
 * asked for, --scene seq2seq. (RepeatVector, Reshape and TimeDistributed say which design they
 * belong to in their claims' parts.)
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "scene.h"
#include "widgets.h"

enum { N_DESIGNS = 3, MAX_ROWS = 5, N_SYM = 12 };

/* A tensor in a lane, and the layer call that made it (NULL for an input). */
typedef struct Row {
    int tensor;
    SlRole role;
    const char *longer, *shorter;
    int no_arrow; /* c sits under h: both come from the same call */
} Row;

typedef struct Lane {
    int n;
    Row row[MAX_ROWS];
} Lane;

typedef struct Design {
    SlModel *m;
    int n_lanes;
    Lane lane[2];
} Design;

typedef struct S2sRun {
    Design d[N_DESIGNS];
    int yours; /* the design the run's model follows, or -1 */
    int sym[N_SYM];
} S2sRun;

static const char *const titles[N_DESIGNS][2] = {
    {"(a) Reshape + TimeDistributed", "(a) Reshape"},
    {"(b) encoder + RepeatVector", "(b) RepeatVector"},
    {"(c) START/END/PAD, masked loss", "(c) START/END/PAD"},
};
static const char *const tasks[N_DESIGNS][2] = {
    {"out j: the largest of block j", "max of blocks of 3"},
    {"out: the first 4, reversed", "first 4, reversed"},
    {"out: the source reversed, END", "reversed + END"},
};

/* ---- building the three models ---- */

static SlLayer *td_dense(const char *dense_args, const char *name, SlError *e)
{
    SlArgs a;
    sl_args_init(&a);
    char n[64];
    snprintf(n, sizeof n, "name='%s'", name);
    SlLayer *d = sl_layer("Dense", dense_args, e);
    SlLayer *w =
        d && sl_args_parse(&a, n, e) == 0 ? sl_layer_wrap("TimeDistributed", d, &a, e) : NULL;
    if (d && !w)
        sl_layer_free(d);
    return w;
}

static int call(SlModel *m, SlLayer *l, int in, int *outs, SlError *e)
{
    return sl_model_call(m, l, 1, &in, outs, e);
}

static void row(Lane *ln, int t, SlRole role, const char *longer, const char *shorter)
{
    ln->row[ln->n++] = (Row){t, role, longer, shorter ? shorter : longer, 0};
}

static int build_a(Design *d, SlError *e)
{
    SlModel *m = d->m = sl_model_new("s2s_reshape");
    if (!m)
        return sl_errorf(e, "out of memory");
    int x = sl_model_input(m, sl_layer("Input", "shape=(12, 5), name='s2s_a_in'", e), e), h, y, r,
        o;
    if (x < 0 ||
        (h = call(m, sl_layer("LSTM", "32, return_sequences=True, name='s2s_a_lstm'", e), x, NULL,
                  e)) < 0 ||
        (y = call(m, td_dense("5, name='s2s_a_dense'", "s2s_a_td", e), h, NULL, e)) < 0 ||
        (r = call(m, sl_layer("Reshape", "(4, 15), name='s2s_a_reshape'", e), y, NULL, e)) < 0 ||
        (o = call(m, td_dense("5, activation='softmax', name='s2s_a_out'", "s2s_a_td_out", e), r,
                  NULL, e)) < 0 ||
        sl_model_set_io(m, 1, &x, 1, &o, e) < 0)
        return -1;
    Lane *ln = &d->lane[0];
    d->n_lanes = 1;
    row(ln, x, SL_ROLE_INPUT, "12 steps, one-hot", NULL);
    row(ln, h, SL_ROLE_NONE, "LSTM(32, return_sequences=True)", "LSTM(32), every step");
    row(ln, y, SL_ROLE_NONE, "TimeDistributed(Dense(5))", "TD(Dense(5))");
    row(ln, r, SL_ROLE_NONE, "Reshape((4, 15)): 3 steps side by side", "Reshape((4, 15))");
    row(ln, o, SL_ROLE_OUTPUT, "TimeDistributed(Dense(5, softmax))", "TD(Dense(5, softmax))");
    return 0;
}

static int build_b(Design *d, SlError *e)
{
    SlModel *m = d->m = sl_model_new("s2s_repeat");
    if (!m)
        return sl_errorf(e, "out of memory");
    int x = sl_model_input(m, sl_layer("Input", "shape=(8, 5), name='s2s_b_in'", e), e), h, r, y, o;
    if (x < 0 || (h = call(m, sl_layer("LSTM", "64, name='s2s_b_enc'", e), x, NULL, e)) < 0 ||
        (r = call(m, sl_layer("RepeatVector", "4, name='s2s_b_repeat'", e), h, NULL, e)) < 0 ||
        (y = call(m, sl_layer("LSTM", "64, return_sequences=True, name='s2s_b_dec'", e), r, NULL,
                  e)) < 0 ||
        (o = call(m, td_dense("5, activation='softmax', name='s2s_b_dense'", "s2s_b_td", e), y,
                  NULL, e)) < 0 ||
        sl_model_set_io(m, 1, &x, 1, &o, e) < 0)
        return -1;
    Lane *ln = &d->lane[0];
    d->n_lanes = 1;
    row(ln, x, SL_ROLE_INPUT, "", NULL);
    row(ln, h, SL_ROLE_STATE, "encoder LSTM(64): the last h", "encoder LSTM(64)");
    row(ln, r, SL_ROLE_NONE, "RepeatVector(4): 4 copies", "RepeatVector(4)");
    row(ln, y, SL_ROLE_NONE, "LSTM(64, return_sequences=True)", "decoder LSTM(64)");
    row(ln, o, SL_ROLE_OUTPUT, "TimeDistributed(Dense(5, softmax))", "TD(Dense(5, softmax))");
    return 0;
}

static int build_c(Design *d, SlError *e)
{
    SlModel *m = d->m = sl_model_new("s2s_framed");
    if (!m)
        return sl_errorf(e, "out of memory");
    int in[2], st[3], x, dx, dec[3], y, o;
    in[0] = sl_model_input(m, sl_layer("Input", "shape=(6,), name='s2s_c_source'", e), e);
    in[1] = sl_model_input(m, sl_layer("Input", "shape=(7,), name='s2s_c_dec_in'", e), e);
    if (in[0] < 0 || in[1] < 0 ||
        (x = call(m, sl_layer("Embedding", "8, 16, mask_zero=True, name='s2s_c_emb'", e), in[0],
                  NULL, e)) < 0 ||
        call(m, sl_layer("LSTM", "64, return_state=True, name='s2s_c_enc'", e), x, st, e) < 0 ||
        (dx = call(m, sl_layer("Embedding", "8, 16, mask_zero=True, name='s2s_c_demb'", e), in[1],
                   NULL, e)) < 0)
        return -1;
    dec[0] = dx, dec[1] = st[1], dec[2] = st[2];
    if ((y = sl_model_call(m, sl_layer("LSTM", "64, return_sequences=True, name='s2s_c_dec'", e), 3,
                           dec, NULL, e)) < 0 ||
        (o = call(m, td_dense("8, activation='softmax', name='s2s_c_dense'", "s2s_c_td", e), y,
                  NULL, e)) < 0 ||
        sl_model_set_io(m, 2, in, 1, &o, e) < 0)
        return -1;
    d->n_lanes = 2;
    row(&d->lane[0], in[0], SL_ROLE_INPUT, "source", NULL);
    row(&d->lane[0], x, SL_ROLE_NONE, "Embedding(8, 16, mask_zero=True)", "Embedding, mask_zero");
    row(&d->lane[0], st[1], SL_ROLE_STATE, "encoder LSTM(64, return_state=True): h",
        "encoder LSTM: h");
    row(&d->lane[0], st[2], SL_ROLE_STATE, "and c", NULL);
    d->lane[0].row[3].no_arrow = 1;
    row(&d->lane[1], in[1], SL_ROLE_INPUT, "decoder in", NULL);
    row(&d->lane[1], dx, SL_ROLE_NONE, "Embedding(8, 16, mask_zero=True)", "Embedding, mask_zero");
    row(&d->lane[1], y, SL_ROLE_NONE, "LSTM(64, initial_state=[h, c])", "decoder LSTM(64)");
    row(&d->lane[1], o, SL_ROLE_OUTPUT, "TimeDistributed(Dense(8, softmax))",
        "TD(Dense(8, softmax))");
    return 0;
}

/* Which design a model follows: RepeatVector (b), initial_state or two inputs (c), Reshape
 * between TimeDistributed layers (a). */
extern const SlScene sl_scene_seq2seq;

static int design_of(const SlModel *m)
{
    int reshape = 0, td = 0;
    for (int n = 0; n < m->n_nodes; n++) {
        int part = sl_scene_part(m, &sl_scene_seq2seq, n);
        if (part == SL_SEQ2SEQ_REPEAT)
            return 1;
        if (sl_layer_is(m->nodes[n].layer, SL_KIND_RECURRENT) && m->nodes[n].sym.n_in > 1)
            return 2;
        reshape |= part == SL_SEQ2SEQ_REGROUP && td;
        td += part == SL_SEQ2SEQ_EACH;
    }
    return reshape && td > 1 ? 0 : -1;
}

static void s2s_release(SlSceneRun *run)
{
    S2sRun *d = run->priv;
    for (int k = 0; d && k < N_DESIGNS; k++)
        sl_model_free(d->d[k].m);
    sl_free(d);
    run->priv = NULL;
}

static int s2s_prepare(SlSceneRun *run, SlError *e)
{
    S2sRun *d = sl_alloc_zero(1, sizeof *d);
    if (!d)
        return sl_errorf(e, "out of memory");
    run->priv = d;
    if (build_a(&d->d[0], e) < 0 || build_b(&d->d[1], e) < 0 || build_c(&d->d[2], e) < 0) {
        sl_error_prefix(e, "the seq2seq scene's own models: ");
        return -1;
    }
    for (int k = 0; k < N_DESIGNS; k++)
        if (sl_model_init_params(d->d[k].m, 15, e) < 0)
            return -1;
    SlRng r = sl_rng(15);
    for (int i = 0; i < N_SYM; i++)
        d->sym[i] = (int)sl_rng_below(&r, 5);
    d->yours = design_of(run->m);
    run->n_steps = N_DESIGNS;
    return 0;
}

/* ---- drawing ---- */

typedef struct Geo {
    int lh, top, head_y, rows_y, row_h, gap, strip_y, cell_h, bottom;
    double scale;
    int x[N_DESIGNS], w[N_DESIGNS];
} Geo;

static int text_w(const char *t)
{
    return sl_text_width(t, SL_TEXT_LABEL);
}

/* The longer wording when it fits in w pixels, else the shorter one, cut to fit (a small window). */
static void text_in(SlCanvas *c, int x, int y, int w, const char *longer, const char *shorter)
{
    sl_draw_text_in(c, x, y, w, text_w(longer) <= w ? longer : shorter, SL_TEXT_LABEL);
}

static int rows_height(const S2sRun *d, double scale, int *row_h)
{
    int th = 0, w, h;
    for (int k = 0; k < N_DESIGNS; k++)
        for (int l = 0; l < d->d[k].n_lanes; l++)
            for (int i = 0; i < d->d[k].lane[l].n; i++) {
                sl_tensor_box_size_short(&d->d[k].m->t[d->d[k].lane[l].row[i].tensor].shape, scale,
                                         &w, &h);
                th = h > th ? h : th;
            }
    *row_h = th;
    return th;
}

static Geo layout(const S2sRun *d, const SlCanvas *c, int top)
{
    Geo g;
    memset(&g, 0, sizeof g);
    g.lh = sl_text_height(SL_TEXT_LABEL);
    g.top = top;
    g.bottom = c->h - sl_scene_caption_height() - 6;
    g.head_y = top + 8;
    g.rows_y = g.head_y + 2 * (g.lh + 4) + 10;
    g.gap = g.lh + 12;
    g.cell_h = g.lh + 8;
    int strips = 3 * (g.cell_h + 6); /* (c) has three rows of cells */
    for (g.scale = 0.8; g.scale > 0.25; g.scale -= 0.1) {
        rows_height(d, g.scale, &g.row_h);
        if (g.rows_y + MAX_ROWS * 0 + 5 * g.row_h + 4 * g.gap + 14 + strips <= g.bottom)
            break;
    }
    g.strip_y = g.rows_y + 5 * g.row_h + 4 * g.gap + 14;
    static const int share[N_DESIGNS] = {28, 28, 44};
    int avail = c->w - 32 - 2 * 20, x = 16;
    for (int k = 0; k < N_DESIGNS; k++) {
        g.x[k] = x;
        g.w[k] = avail * share[k] / 100;
        x += g.w[k] + 20;
    }
    return g;
}

static int row_y(const Geo *g, int i)
{
    return g->rows_y + i * (g->row_h + g->gap);
}

static void draw_lane(SlCanvas *c, const Geo *g, const Design *des, const Lane *ln, int x, int w,
                      int lit)
{
    for (int i = 0; i < ln->n; i++) {
        const Row *r = &ln->row[i];
        int y = row_y(g, i), bw, bh;
        const SlShape *s = &des->m->t[r->tensor].shape;
        sl_tensor_box_size_short(s, g->scale, &bw, &bh);
        sl_draw_tensor_box_upto(c, x, y + (g->row_h - bh) / 2, s, g->scale, r->role,
                                lit && r->role != SL_ROLE_NONE, x + w); /* grey stays light */
        if (i == 0)
            continue;
        int y0 = row_y(g, i - 1) + g->row_h + 2, y1 = y - 2;
        if (!r->no_arrow)
            sl_canvas_smooth_arrow(c, x + 10, y0, x + 10, y1, lit ? 2 : 1.2, 7, SL_INK);
        if (r->longer[0])
            text_in(c, x + 26, y0 + (y1 - y0 - g->lh) / 2, w - 26, r->longer, r->shorter);
    }
}

/* One row of symbol cells: codes >= 0 are symbols a.., -1 PAD (hatched, padding), -2 GO,
 * -3 END, -4 a step the loss skips (hatched, mask). span: cells per symbol drawn. */
static void cells(SlCanvas *c, int x, int y, int cw, int ch, const int *v, int n, int span,
                  SlRole role, const char *label, int label_w)
{
    int th = sl_text_height(SL_TEXT_LABEL);
    sl_canvas_text(c, x, y + (ch - th) / 2, label, SL_TEXT_LABEL, SL_INK);
    x += label_w;
    for (int i = 0; i < n; i++) {
        int cx = x + i * span * cw, w = span * cw - 4;
        char t[8] = "";
        SlRole r = v[i] == -1 ? SL_ROLE_PADDING : v[i] == -4 ? SL_ROLE_MASK : role;
        if (v[i] == -1 || v[i] == -4) {
            sl_canvas_fill_rect(c, cx, y, w, ch, SL_WHITE);
            sl_canvas_hatch(c, cx, y, w, ch, 5, sl_role_color(r));
        } else {
            SlColor k = sl_role_color(role);
            sl_canvas_fill_rect(c, cx, y, w, ch, sl_mix(SL_WHITE, k, 0.4));
            snprintf(t, sizeof t, "%s",
                     v[i] == -2   ? "GO"
                     : v[i] == -3 ? "END"
                                  : (char[]){(char)('a' + v[i]), 0});
        }
        sl_canvas_rect(c, cx, y, w, ch, 1, sl_role_color(r));
        sl_canvas_record(c, SL_ITEM_WIDGET, cx, y, w, ch, r, 0, t[0] ? t : sl_role_name(r));
        if (t[0] && text_w(t) <= w)
            sl_canvas_text(c, cx + (w - text_w(t)) / 2, y + (ch - th) / 2, t, SL_TEXT_LABEL,
                           SL_INK);
    }
}

static void draw_samples(SlCanvas *c, const Geo *g, const S2sRun *d, int k)
{
    int x = g->x[k], w = g->w[k], y = g->strip_y, ch = g->cell_h, p = ch + 6;
    int v[N_SYM], lab = text_w("target") + 10;
    if (k == 0) { /* 12 in; output j spans the 3 inputs it summarizes */
        int cw = (w - lab) / 12 < 30 ? (w - lab) / 12 : 30;
        cells(c, x, y, cw, ch, d->sym, 12, 1, SL_ROLE_INPUT, "in", lab);
        for (int j = 0; j < 4; j++) {
            int a = d->sym[3 * j], b = d->sym[3 * j + 1], m = d->sym[3 * j + 2];
            v[j] = a > b ? (a > m ? a : m) : (b > m ? b : m);
        }
        cells(c, x, y + p, cw, ch, v, 4, 3, SL_ROLE_OUTPUT, "out", lab);
    } else if (k == 1) { /* 8 in, the first 4 reversed out */
        int cw = (w - lab) / 8 < 30 ? (w - lab) / 8 : 30;
        cells(c, x, y, cw, ch, d->sym, 8, 1, SL_ROLE_INPUT, "in", lab);
        for (int j = 0; j < 4; j++)
            v[j] = d->sym[3 - j];
        cells(c, x, y + p, cw, ch, v, 4, 1, SL_ROLE_OUTPUT, "out", lab);
    } else { /* 3 real symbols of 6; GO + target shifted; target, END, then masked steps */
        int cw = (w - lab) / 7 < 48 ? (w - lab) / 7 : 48, src[6], dec[7], tgt[7];
        for (int t = 0; t < 7; t++) {
            if (t < 6)
                src[t] = t < 3 ? d->sym[t] : -1;
            tgt[t] = t < 3 ? d->sym[2 - t] : t == 3 ? -3 : -4;
            dec[t] = t == 0 ? -2 : t <= 3 ? d->sym[3 - t] : -1;
        }
        cells(c, x, y, cw, ch, src, 6, 1, SL_ROLE_INPUT, "source", lab);
        cells(c, x, y + p, cw, ch, dec, 7, 1, SL_ROLE_INPUT, "dec in", lab);
        cells(c, x, y + 2 * p, cw, ch, tgt, 7, 1, SL_ROLE_OUTPUT, "target", lab);
    }
}

static const char *const captions[N_DESIGNS] = {
    "(a) The LSTM gives 12 steps; Reshape((4, 15)) lays 3 neighbouring steps of 5 numbers side by "
    "side, so 4 wider steps come out and TimeDistributed(Dense) makes one symbol of each. The "
    "output length is tied to the input's: 12 = 4 x 3, the same for every sample.",
    "(b) The encoder LSTM keeps only its last h: one (None, 64) vector for the whole input. "
    "RepeatVector(4) copies it to 4 steps and the decoder LSTM unrolls them. The output length is "
    "RepeatVector's number, chosen when the model is built, the same for every sample.",
    "(c) Each sample its own length, padded with 0 (hatched). Embedding(mask_zero=True) masks the "
    "padding; the decoder starts from the encoder's h, c and reads GO + the target (teacher "
    "forcing); the loss, sum(l*m)/sum(m), skips the steps after END (hatched).",
};

/* The design lit at step k: the last step (a single PNG) lights the run's model's design, when it
 * follows one. */
static int lit_at(const S2sRun *d, int k)
{
    return d->yours >= 0 ? (d->yours + 1 + k) % N_DESIGNS : k;
}

static void s2s_draw(const SlSceneRun *run, double at, SlCanvas *c)
{
    const S2sRun *d = run->priv;
    double tw;
    int k0 = sl_scene_step(run, at, &tw);
    int lit = lit_at(d, sl_scene_caption_step(run, at));
    static const SlRole roles[] = {SL_ROLE_INPUT, SL_ROLE_STATE, SL_ROLE_OUTPUT, SL_ROLE_PADDING,
                                   SL_ROLE_MASK};
    int lw = sl_legend_width(roles, 5);
    char title[160];
    sl_canvas_clear(c, SL_PAPER);
    snprintf(title, sizeof title, "Sequence to sequence, three ways%s%s",
             d->yours >= 0 ? "; yours: " : "",
             d->yours >= 0 ? (const char *[]){"(a)", "(b)", "(c)"}[d->yours] : "");
    int top = sl_scene_title(c, title, lw + 16);
    sl_draw_legend(c, c->w - lw - 12, 10, roles, 5);
    Geo g = layout(d, c, top);
    for (int k = 0; k < N_DESIGNS; k++) {
        const Design *des = &d->d[k];
        int x = g.x[k], w = g.w[k];
        sl_canvas_text(c, x, g.head_y, text_w(titles[k][0]) <= w ? titles[k][0] : titles[k][1],
                       SL_TEXT_HEADING, SL_INK);
        text_in(c, x, g.head_y + g.lh + 4, w, tasks[k][0], tasks[k][1]);
        int lane_w = w / des->n_lanes;
        for (int l = 0; l < des->n_lanes; l++)
            draw_lane(c, &g, des, &des->lane[l], x + l * lane_w,
                      lane_w - (l + 1 < des->n_lanes ? 8 : 0), k == lit);
        if (des->n_lanes == 2) { /* h and c into the decoder's call: initial_state */
            int y4 = row_y(&g, 4);
            text_in(c, x, y4, lane_w - 8, "[h, c]: initial_state", "initial_state");
            text_in(c, x + lane_w, y4, lane_w - 8, "mask: dec in != 0", "mask");
            for (int i = 2; i <= 3; i++) {
                int bw, bh;
                sl_tensor_box_size_short(&des->m->t[des->lane[0].row[i].tensor].shape, g.scale, &bw,
                                         &bh);
                sl_canvas_smooth_arrow(c, x + bw + 6, row_y(&g, i) + g.row_h / 2, x + lane_w + 6,
                                       row_y(&g, 2) - g.gap / 2, k == lit ? 2 : 1.2, 7,
                                       sl_role_color(SL_ROLE_STATE));
            }
        }
        draw_samples(c, &g, d, k);
    }
    /* the frame around the lit design, moving to the next one between steps */
    int from = lit_at(d, k0), to = lit_at(d, k0 + 1 < N_DESIGNS ? k0 + 1 : k0);
    double fx = sl_lerp(g.x[from], g.x[to], tw), fw = sl_lerp(g.w[from], g.w[to], tw);
    sl_draw_focus(c, fx - 4, g.head_y, fw + 4, g.bottom - g.head_y - 6);
    sl_scene_caption(c, captions[lit]);
}

const SlScene sl_scene_seq2seq = {
    .name = "seq2seq",
    .what = "sequence to sequence three ways: Reshape + TimeDistributed, RepeatVector, "
            "START/END/PAD with a masked loss",
    .draws_data = 0,
    .can_draw = sl_scene_draws_any,
    .prepare = s2s_prepare,
    .draw = s2s_draw,
    .release = s2s_release,
};
