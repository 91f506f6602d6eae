/* widgets.c: tensor box, layer block, arrow, focus frame, caption, legend, heatmap and its colour
 * scale, bars, plot (see widgets.h). */
#include "widgets.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Negative values shade towards this grey: dark enough to read as "the other sign" next to any
 * role's colour, for every common colour-vision deficiency (it differs in lightness, not hue). */
static const SlColor NEGATIVE = {0x4D, 0x4D, 0x4D, 0xFF};

SlColor sl_mix(SlColor a, SlColor b, double t)
{
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    SlColor c = {(uint8_t)lround(a.r + (b.r - a.r) * t), (uint8_t)lround(a.g + (b.g - a.g) * t),
                 (uint8_t)lround(a.b + (b.b - a.b) * t), 255};
    return c;
}

SlColor sl_role_tint(SlRole r, double t)
{
    return sl_mix(SL_WHITE, sl_role_color(r), t);
}

SlColor sl_heat_color(double v, double range, SlRole role)
{
    double f = range > 0 ? v / range : 0;
    f = isfinite(f) ? (f > 1 ? 1 : f < -1 ? -1 : f) : 0;
    return f >= 0 ? sl_mix(SL_WHITE, sl_role_color(role), f) : sl_mix(SL_WHITE, NEGATIVE, -f);
}

double sl_lerp(double a, double b, double t)
{
    return a + (b - a) * t;
}

double sl_range_of(const sl_real *m, size_t n, int *any_negative)
{
    double mx = 1e-300; /* all zeros: a range that divides, and that scales show as "all 0" */
    int neg = 0;
    for (size_t i = 0; i < n; i++) {
        double v = (double)m[i];
        if (isfinite(v))
            mx = fabs(v) > mx ? fabs(v) : mx;
        neg |= v < 0;
    }
    if (any_negative)
        *any_negative = neg;
    return mx;
}

/* A number as short as reads well: 3 significant digits, no "-0". */
static void format_number(double v, char *buf, size_t n)
{
    if (v == 0 || !isfinite(v))
        snprintf(buf, n, "%s", v == 0 ? "0" : v > 0 ? "inf" : v < 0 ? "-inf" : "nan");
    else if (fabs(v) >= 1e4 || fabs(v) < 1e-3)
        snprintf(buf, n, "%.1e", v);
    else
        snprintf(buf, n, "%.3g", v);
}

/* ---- tensor box ---- */

static int axis_px(int d)
{
    if (d == SL_NONE)
        return 24;
    int px = (int)(8 + 12 * log2(1.0 + d));
    return px > 180 ? 180 : px;
}

/* width (last axis), height (the one before), depth (the rest, as a 2.5-D offset), all scaled */
static void box_dims(const SlShape *s, double scale, int *w, int *h, int *depth)
{
    int r = s->rank;
    *w = (int)((r >= 2 ? axis_px(s->dim[r - 1]) : 12) * scale);
    *h = (int)((r >= 3 ? axis_px(s->dim[r - 2]) : 10) * scale);
    *depth = 0;
    for (int i = 1; i < r - 2; i++)
        *depth += (int)(axis_px(s->dim[i]) / 3 * scale);
    *w = *w < 4 ? 4 : *w;
    *h = *h < 4 ? 4 : *h;
}

enum { STACK = 6, LABEL_GAP = 10 }; /* the batch axis: copies drawn this far behind */

/* What each axis usually means, for the label beside a tensor box. */
static const char *axis_names(int rank)
{
    switch (rank) {
    case 1:
        return "samples";
    case 2:
        return "samples x features";
    case 3:
        return "samples x positions x features"; /* timesteps, or grouped outputs */
    case 4:
        return "samples x rows x cols x channels";
    default:
        return "samples x ...";
    }
}

void sl_tensor_axes_text(const SlShape *s, const char *axes, char *buf, size_t n)
{
    snprintf(buf, n, "%s", axes ? axes : axis_names(s->rank));
}

static void box_label(const SlShape *s, const char *axes, int with_axes, char *buf, size_t n)
{
    char shape[96];
    sl_shape_str(s, shape, sizeof shape);
    if (with_axes)
        snprintf(buf, n, "%s  %s", shape, axes ? axes : axis_names(s->rank));
    else
        snprintf(buf, n, "%s", shape);
}

static void box_size(const SlShape *s, const char *axes, int with_axes, double scale, int *w,
                     int *h)
{
    int bw, bh, depth, lw, lh;
    char label[160];
    box_dims(s, scale, &bw, &bh, &depth);
    box_label(s, axes, with_axes, label, sizeof label);
    sl_canvas_text_size(label, SL_TEXT_LABEL, &lw, &lh);
    *w = bw + depth + STACK + LABEL_GAP + lw;
    *h = bh + depth + STACK > lh ? bh + depth + STACK : lh;
}

void sl_tensor_box_size(const SlShape *s, double scale, int *w, int *h)
{
    box_size(s, NULL, 1, scale, w, h);
}

void sl_tensor_box_size_short(const SlShape *s, double scale, int *w, int *h)
{
    box_size(s, NULL, 0, scale, w, h);
}

void sl_tensor_box_size_axes(const SlShape *s, const char *axes, double scale, int *w, int *h)
{
    box_size(s, axes, 1, scale, w, h);
}

static void dashed_rect(SlCanvas *c, int x, int y, int w, int h, SlColor col)
{
    for (int i = 0; i < w; i += 6) {
        sl_canvas_fill_rect(c, x + i, y, i + 3 < w ? 3 : w - i, 1, col);
        sl_canvas_fill_rect(c, x + i, y + h - 1, i + 3 < w ? 3 : w - i, 1, col);
    }
    for (int j = 0; j < h; j += 6) {
        sl_canvas_fill_rect(c, x, y + j, 1, j + 3 < h ? 3 : h - j, col);
        sl_canvas_fill_rect(c, x + w - 1, y + j, 1, j + 3 < h ? 3 : h - j, col);
    }
}

int sl_draw_tensor_box(SlCanvas *c, int x, int y, const SlShape *s, double scale, SlRole role,
                       int highlight)
{
    return sl_draw_tensor_box_axes(c, x, y, s, NULL, scale, role, highlight, c->w - 8);
}

int sl_draw_tensor_box_upto(SlCanvas *c, int x, int y, const SlShape *s, double scale, SlRole role,
                            int highlight, int right)
{
    return sl_draw_tensor_box_axes(c, x, y, s, NULL, scale, role, highlight, right);
}

/* The axis a box is joined along divided in proportion to its parts (equally when a size is
 * unknown), every other part a shade darker and a line between two: along the width for the last
 * axis, the height for the one before, the depth for earlier ones (the nearest to the front
 * last). */
static void mark_parts(SlCanvas *c, int bx, int by, int bw, int bh, const SlShape *s, double scale,
                       const SlBoxMarks *mk, SlColor fill, SlColor edge)
{
    int r = s->rank, a = mk->axis, n = mk->n_parts < SL_BOX_PARTS ? mk->n_parts : SL_BOX_PARTS;
    double total = 0, at = 0;
    for (int k = 0; k < n; k++)
        total = mk->part[k] > 0 && total >= 0 ? total + mk->part[k] : -1;
    int d0 = 0, span = 0; /* a depth axis: where its share of the depth starts, and its share */
    for (int i = 1; i < r - 2; i++) {
        int px = (int)(axis_px(s->dim[i]) / 3 * scale);
        d0 += i > a ? px : 0;
        span = i == a ? px : span;
    }
    SlColor dark = sl_mix(fill, edge, 0.35);
    for (int k = 0; k < n; k++) {
        double f0 = at, f1 = at += total > 0 ? mk->part[k] / total : 1.0 / n;
        if (a == r - 1) {
            int x0 = bx + (int)lround(bw * f0), x1 = bx + (int)lround(bw * f1);
            sl_canvas_fill_rect(c, x0, by, x1 - x0, bh, k % 2 ? dark : fill);
            if (k)
                sl_canvas_fill_rect(c, x0, by, 1, bh, edge);
        } else if (a == r - 2) {
            int y0 = by + (int)lround(bh * f0), y1 = by + (int)lround(bh * f1);
            sl_canvas_fill_rect(c, bx, y0, bw, y1 - y0, k % 2 ? dark : fill);
            if (k)
                sl_canvas_fill_rect(c, bx, y0, bw, 1, edge);
        } else if (k + 1 < n) {
            int d = d0 + (int)lround(span * f1);
            sl_canvas_rect(c, bx + d, by - d, bw, bh, 1, edge);
        }
    }
}

/* The box itself, its front face's top-left at (x, by): the batch axis as copies behind it. */
static void draw_box(SlCanvas *c, int x, int by, const SlShape *s, double scale, SlRole role,
                     int highlight, const SlBoxMarks *marks)
{
    int bw, bh, depth;
    char shape[96];
    box_dims(s, scale, &bw, &bh, &depth);
    SlColor edge = sl_role_color(role);
    SlColor fill = role == SL_ROLE_NONE ? sl_mix(SL_WHITE, SL_GRID, highlight ? 1.0 : 0.45)
                                        : sl_role_tint(role, highlight ? 0.85 : 0.4);
    if (role == SL_ROLE_NONE)
        edge = sl_mix(SL_GRID, SL_INK, 0.45); /* tensors between layers: plain grey */
    int bx = x;
    /* the batch axis: copies behind, dashed when its size is None */
    for (int k = 2; k >= 1; k--) {
        int ox = bx + depth + k * STACK / 2, oy = by - depth - k * STACK / 2;
        sl_canvas_fill_rect(c, ox, oy, bw, bh, sl_mix(SL_WHITE, edge, 0.12));
        if (s->rank > 0 && s->dim[0] == SL_NONE)
            dashed_rect(c, ox, oy, bw, bh, edge);
        else
            sl_canvas_rect(c, ox, oy, bw, bh, 1, edge);
    }
    for (int d = depth; d > 0; d -= 2) /* the depth of a rank-4+ tensor */
        sl_canvas_rect(c, bx + d, by - d, bw, bh, 1, sl_mix(SL_WHITE, edge, 0.5));
    sl_canvas_fill_rect(c, bx, by, bw, bh, fill);
    if (marks && marks->axis >= 1 && marks->axis < s->rank && marks->n_parts >= 2)
        mark_parts(c, bx, by, bw, bh, s, scale, marks, fill, edge);
    sl_canvas_rect(c, bx, by, bw, bh, highlight ? 2 : 1, edge);
    sl_shape_str(s, shape, sizeof shape);
    sl_canvas_record(c, SL_ITEM_WIDGET, x, by - depth - STACK, bw + depth + STACK,
                     bh + depth + STACK, role, 0, shape);
}

int sl_draw_tensor_box_axes(SlCanvas *c, int x, int y, const SlShape *s, const char *axes,
                            double scale, SlRole role, int highlight, int right)
{
    int bw, bh, depth, tw, th, lw, lh;
    char label[160];
    box_dims(s, scale, &bw, &bh, &depth);
    box_size(s, axes, 1, scale, &tw, &th);
    draw_box(c, x, y + (th - bh - depth - STACK) / 2 + STACK + depth, s, scale, role, highlight,
             NULL);
    box_label(s, axes, 1, label, sizeof label); /* with the axes' meaning, when it fits */
    sl_canvas_text_size(label, SL_TEXT_LABEL, &lw, &lh);
    if (x + bw + depth + STACK + LABEL_GAP + lw > right)
        box_label(s, axes, 0, label, sizeof label);
    sl_canvas_text_size(label, SL_TEXT_LABEL, &lw, &lh);
    sl_canvas_text(c, x + bw + depth + STACK + LABEL_GAP, y + (th - lh) / 2, label, SL_TEXT_LABEL,
                   SL_INK);
    return th;
}

void sl_tensor_box_size_marked(const SlShape *s, const char *axes, int with_axes, double scale,
                               const SlBoxMarks *marks, int *w, int *h)
{
    box_size(s, axes, with_axes, scale, w, h);
    if (!marks || !marks->note)
        return;
    int bw, bh, depth, lw, lh, nw = sl_text_width(marks->note, SL_TEXT_SMALL);
    char label[160];
    box_dims(s, scale, &bw, &bh, &depth);
    box_label(s, axes, with_axes, label, sizeof label);
    sl_canvas_text_size(label, SL_TEXT_LABEL, &lw, &lh);
    *w = bw + depth + STACK + LABEL_GAP + (lw > nw ? lw : nw);
    lh += sl_text_height(SL_TEXT_SMALL);
    *h = *h > lh ? *h : lh;
}

int sl_draw_tensor_box_marked(SlCanvas *c, int x, int y, const SlShape *s, const char *axes,
                              int with_axes, double scale, SlRole role, int highlight,
                              const SlBoxMarks *marks)
{
    int bw, bh, depth, tw, th, lw, lh;
    char label[160];
    box_dims(s, scale, &bw, &bh, &depth);
    sl_tensor_box_size_marked(s, axes, with_axes, scale, marks, &tw, &th);
    draw_box(c, x, y + (th - bh - depth - STACK) / 2 + STACK + depth, s, scale, role, highlight,
             marks);
    box_label(s, axes, with_axes, label, sizeof label);
    sl_canvas_text_size(label, SL_TEXT_LABEL, &lw, &lh);
    int note_h = marks && marks->note ? sl_text_height(SL_TEXT_SMALL) : 0;
    int tx = x + bw + depth + STACK + LABEL_GAP, ty = y + (th - lh - note_h) / 2;
    sl_canvas_text(c, tx, ty, label, SL_TEXT_LABEL, SL_INK);
    if (note_h)
        sl_canvas_text(c, tx, ty + lh, marks->note, SL_TEXT_SMALL, SL_INK);
    return th;
}

/* ---- layer block, arrow, focus, caption ---- */

/* A layer's rounded box, lit when it is the current one, recorded as a weight widget when the
 * layer has parameters. */
static void block_frame(SlCanvas *c, int x, int y, int w, int h, const char *name, long long params,
                        int highlight)
{
    sl_canvas_round_rect(c, x, y, w, h, 6,
                         highlight ? sl_mix(SL_WHITE, SL_HIGHLIGHT, 0.55) : SL_WHITE);
    sl_canvas_round_frame(c, x, y, w, h, 6, highlight ? 2 : 1,
                          highlight ? SL_INK : sl_mix(SL_GRID, SL_INK, 0.35));
    sl_canvas_record(c, SL_ITEM_WIDGET, x, y, w, h, params ? SL_ROLE_WEIGHT : SL_ROLE_NONE, 0,
                     name);
}

void sl_draw_layer_block(SlCanvas *c, int x, int y, int w, int h, const char *name,
                         const char *type, long long params, int highlight)
{
    char title[160], sub[64];
    int th = sl_text_height(SL_TEXT_LABEL);
    block_frame(c, x, y, w, h, name, params, highlight);
    snprintf(title, sizeof title, "%s (%s)", name, type);
    int two = params && h >= 2 * th + 8;
    int ty = two ? y + (h - 2 * th - 2) / 2 : y + (h - th) / 2;
    sl_draw_text_in(c, x + 10, ty, w - 16, title, SL_TEXT_LABEL);
    if (two) {
        snprintf(sub, sizeof sub, "%lld params", params);
        int sw = th / 2 + 2;
        sl_canvas_round_rect(c, x + 10, ty + th + 2 + (th - sw) / 2, sw, sw, 2,
                             sl_role_color(SL_ROLE_WEIGHT));
        sl_draw_text_in(c, x + 16 + sw, ty + th + 2, w - 22 - sw, sub, SL_TEXT_SMALL);
    }
}

enum { CARD_PAD = 10, CARD_GAP = 10 }; /* inside a card; between its type and its count */

int sl_layer_card_height(void)
{
    return sl_text_height(SL_TEXT_LABEL) + sl_text_height(SL_TEXT_SMALL) + 7;
}

/* "N params" after a weight-coloured swatch, or nothing. */
static int card_params_width(long long params, char *buf, size_t n)
{
    snprintf(buf, n, "%lld params", params);
    return params ? sl_text_height(SL_TEXT_SMALL) / 2 + 2 + 4 + sl_text_width(buf, SL_TEXT_SMALL)
                  : 0;
}

int sl_layer_card_width(const char *name, const char *type, long long params)
{
    char count[48];
    int pw = card_params_width(params, count, sizeof count);
    int w1 = sl_text_width(name, SL_TEXT_LABEL);
    int w2 = (type ? sl_text_width(type, SL_TEXT_SMALL) : 0) + (type && pw ? CARD_GAP : 0) + pw;
    return (w1 > w2 ? w1 : w2) + 2 * CARD_PAD;
}

void sl_draw_layer_card(SlCanvas *c, int x, int y, int w, int h, const char *name, const char *type,
                        long long params, int highlight)
{
    char count[48], cut[160];
    int lh = sl_text_height(SL_TEXT_LABEL), sh = sl_text_height(SL_TEXT_SMALL);
    int room = w - 2 * CARD_PAD, pw = card_params_width(params, count, sizeof count);
    block_frame(c, x, y, w, h, name, params, highlight);
    int second = type || params, ty = second ? y + (h - lh - sh - 1) / 2 : y + (h - lh) / 2;
    sl_draw_text_in(c, x + CARD_PAD, ty, room, name, SL_TEXT_LABEL);
    ty += lh + 1;
    /* the type keeps what the count leaves it; the count goes only where it fits whole */
    int fits =
        pw && (type ? CARD_GAP + pw + sl_text_width("Ab\xE2\x80\xA6", SL_TEXT_SMALL) : pw) <= room;
    int px = x + CARD_PAD;
    if (type) {
        sl_text_fit(type, SL_TEXT_SMALL, fits ? room - CARD_GAP - pw : room, cut, sizeof cut);
        px += sl_canvas_text(c, px, ty, cut, SL_TEXT_SMALL, SL_INK) + CARD_GAP;
    }
    if (fits) {
        int sw = sh / 2 + 2;
        sl_canvas_round_rect(c, px, ty + (sh - sw) / 2, sw, sw, 2, sl_role_color(SL_ROLE_WEIGHT));
        sl_canvas_text(c, px + sw + 4, ty, count, SL_TEXT_SMALL, SL_INK);
    }
}

void sl_draw_arrow(SlCanvas *c, int x0, int y0, int x1, int y1, const char *label)
{
    sl_canvas_smooth_arrow(c, x0, y0, x1, y1, 1.6, 8, SL_INK);
    if (label && label[0])
        sl_canvas_text(c, (x0 + x1) / 2 + 6, (y0 + y1) / 2 - sl_text_height(SL_TEXT_LABEL) / 2,
                       label, SL_TEXT_LABEL, SL_INK);
}

void sl_draw_focus(SlCanvas *c, double x, double y, double w, double h)
{
    sl_canvas_round_frame(c, x - 5, y - 5, w + 10, h + 10, 7, 4, SL_HIGHLIGHT);
    sl_canvas_round_frame(c, x - 5, y - 5, w + 10, h + 10, 7, 1.2,
                          sl_mix(SL_HIGHLIGHT, SL_INK, 0.55));
}

int sl_draw_caption(SlCanvas *c, int x, int y, int w, const char *text)
{
    char line[512];
    int lh = sl_text_height(SL_TEXT_CAPTION), used = 0, lines = 0, width = w - 16;
    const char *p = text;
    while (*p && lines < SL_CAPTION_LINES) {
        /* the longest run of whole words that fits; a word longer than the line is cut */
        int n = 0, fit = 0;
        while (p[n]) {
            int m = n;
            while (p[m] == ' ')
                m++;
            while (p[m] && p[m] != ' ')
                m++;
            if (m >= (int)sizeof line)
                break;
            snprintf(line, sizeof line, "%.*s", m, p);
            if (sl_text_width(line, SL_TEXT_CAPTION) > width)
                break;
            n = fit = m;
        }
        lines++;
        if (!fit || (lines == SL_CAPTION_LINES && p[n])) { /* cut with an ellipsis */
            sl_text_fit(p, SL_TEXT_CAPTION, width, line, sizeof line);
            n = (int)strlen(p);
        } else {
            snprintf(line, sizeof line, "%.*s", n, p);
        }
        sl_canvas_text(c, x + 8, y + 8 + used, line, SL_TEXT_CAPTION, SL_INK);
        used += lh + 4;
        p += n;
        while (*p == ' ')
            p++;
    }
    return used + 12;
}

enum { SWATCH = 13, LEGEND_GAP = 18 };

static void swatch(SlCanvas *c, int x, int y, SlRole r)
{
    if (r == SL_ROLE_MASK || r == SL_ROLE_PADDING) {
        sl_canvas_fill_rect(c, x, y, SWATCH, SWATCH, SL_WHITE);
        sl_canvas_hatch(c, x, y, SWATCH, SWATCH, 4, sl_role_color(r));
        sl_canvas_rect(c, x, y, SWATCH, SWATCH, 1, sl_role_color(r));
    } else {
        sl_canvas_round_rect(c, x, y, SWATCH, SWATCH, 3, sl_role_color(r));
    }
}

int sl_draw_legend(SlCanvas *c, int x, int y, const SlRole *roles, int n)
{
    int cx = x, lh = sl_text_height(SL_TEXT_LABEL);
    for (int i = 0; i < n; i++) {
        const char *name = sl_role_name(roles[i]);
        int lw = sl_text_width(name, SL_TEXT_LABEL);
        swatch(c, cx, y + (lh - SWATCH) / 2, roles[i]);
        sl_canvas_record(c, SL_ITEM_LEGEND_ENTRY, cx, y, SWATCH + 6 + lw, lh, roles[i], 0, name);
        sl_canvas_text(c, cx + SWATCH + 6, y, name, SL_TEXT_LABEL, SL_INK);
        cx += SWATCH + 6 + lw + LEGEND_GAP;
    }
    return cx - x;
}

int sl_legend_width(const SlRole *roles, int n)
{
    int w = 0;
    for (int i = 0; i < n; i++)
        w += SWATCH + 6 + sl_text_width(sl_role_name(roles[i]), SL_TEXT_LABEL) + LEGEND_GAP;
    return w > LEGEND_GAP ? w - LEGEND_GAP : 0;
}

void sl_draw_text_in(SlCanvas *c, int x, int y, int w, const char *text, SlTextStyle style)
{
    char t[512];
    sl_text_fit(text, style, w, t, sizeof t);
    sl_canvas_text(c, x, y, t, style, SL_INK);
}

void sl_draw_text_fit(SlCanvas *c, int x, int y, const char *longer, const char *shorter)
{
    int room = c->w - 8 - x;
    sl_draw_text_in(c, x, y, room, sl_text_width(longer, SL_TEXT_LABEL) <= room ? longer : shorter,
                    SL_TEXT_LABEL);
}

/* ---- heatmaps and their scales ---- */

enum { SCALE_STRIP = 8, SCALE_GAP = 6, SCALE_MAX_W = 260 };

int sl_scale_height(void)
{
    return sl_text_height(SL_TEXT_SMALL);
}

static void scale_ends(double range, int signed_values, char *lo, char *hi, size_t n)
{
    format_number(signed_values ? -range : 0, lo, n);
    format_number(range, hi, n);
}

int sl_scale_min_width(double range, int signed_values)
{
    char lo[32], hi[32];
    scale_ends(range, signed_values, lo, hi, sizeof lo);
    return sl_text_width(lo, SL_TEXT_SMALL) + sl_text_width(hi, SL_TEXT_SMALL) + 2 * 4 + 40;
}

int sl_draw_scale(SlCanvas *c, int x, int y, int w, double range, int signed_values, SlRole role)
{
    char lo[32], hi[32];
    scale_ends(range, signed_values, lo, hi, sizeof lo);
    int h = sl_scale_height(), lw = sl_text_width(lo, SL_TEXT_SMALL);
    int hw = sl_text_width(hi, SL_TEXT_SMALL);
    int sx = x + lw + 4, sw = w - lw - hw - 8, sy = y + (h - SCALE_STRIP) / 2;
    if (!(range > 1e-200)) { /* nothing but zeros: no scale to show */
        sl_canvas_text(c, x, y, "all 0", SL_TEXT_SMALL, SL_INK);
        return h;
    }
    sl_canvas_text(c, x, y, lo, SL_TEXT_SMALL, SL_INK);
    sl_canvas_text(c, x + w - hw, y, hi, SL_TEXT_SMALL, SL_INK);
    for (int i = 0; i < sw; i++) {
        double f = sw > 1 ? (double)i / (sw - 1) : 1;
        double v = signed_values ? (2 * f - 1) * range : f * range;
        sl_canvas_fill_rect(c, sx + i, sy, 1, SCALE_STRIP, sl_heat_color(v, range, role));
    }
    sl_canvas_rect(c, sx, sy, sw, SCALE_STRIP, 1, sl_mix(SL_GRID, SL_INK, 0.3));
    if (signed_values) /* where zero is */
        sl_canvas_fill_rect(c, sx + sw / 2, sy - 2, 1, SCALE_STRIP + 4, SL_INK);
    return h;
}

static int ink_for(SlColor bg) /* 1: white text reads better on bg than ink */
{
    return 0.2126 * bg.r + 0.7152 * bg.g + 0.0722 * bg.b < 120;
}

/* The value of each cell written in it, where the number fits. */
static void cell_values(SlCanvas *c, int x, int y, const sl_real *m, int rows, int cols, int cw,
                        int ch, SlRole role, double range)
{
    int th = sl_text_height(SL_TEXT_NUMBER);
    if (ch < th)
        return;
    for (int r = 0; r < rows; r++)
        for (int k = 0; k < cols; k++) {
            char v[32];
            double val = (double)m[(size_t)r * cols + k];
            /* 3 significant digits, else 2, else 1; never a rounding that reads as another value
             * ("0.0" for 0.012): then no number */
            int fits = 0;
            for (int digits = 3; digits >= 1 && !fits; digits--) {
                if (val == 0)
                    snprintf(v, sizeof v, "0");
                else if (fabs(val) >= 1e4 || fabs(val) < 1e-3)
                    snprintf(v, sizeof v, "%.*e", digits - 1, val);
                else
                    snprintf(v, sizeof v, "%.*g", digits, val);
                fits = sl_text_width(v, SL_TEXT_NUMBER) + 4 <= cw;
            }
            if (!fits)
                continue;
            SlColor bg = sl_heat_color(val, range, role);
            sl_canvas_text_aligned(c, x + k * cw + cw / 2, y + r * ch + (ch - th) / 2,
                                   SL_ALIGN_CENTER, v, SL_TEXT_NUMBER,
                                   ink_for(bg) ? SL_WHITE : SL_INK);
        }
}

void sl_draw_cells(SlCanvas *c, int x, int y, const sl_real *m, int rows, int cols, int cw, int ch,
                   SlRole role, double range, const char *what)
{
    if (rows <= 0 || cols <= 0)
        return;
    for (int r = 0; r < rows; r++)
        for (int k = 0; k < cols; k++)
            sl_canvas_fill_rect(c, x + k * cw, y + r * ch, cw, ch,
                                sl_heat_color((double)m[(size_t)r * cols + k], range, role));
    if (cw >= 6 && ch >= 6) /* hairlines between cells, where cells are big enough to count */
        for (int k = 1; k < cols; k++)
            sl_canvas_fill_rect(c, x + k * cw, y, 1, rows * ch, (SlColor){255, 255, 255, 110});
    if (cw >= 6 && ch >= 6)
        for (int r = 1; r < rows; r++)
            sl_canvas_fill_rect(c, x, y + r * ch, cols * cw, 1, (SlColor){255, 255, 255, 110});
    sl_canvas_rect(c, x - 1, y - 1, cols * cw + 2, rows * ch + 2, 1, sl_mix(SL_GRID, SL_INK, 0.45));
    if (c->values)
        cell_values(c, x, y, m, rows, cols, cw, ch, role, range);
    sl_canvas_record(c, SL_ITEM_WIDGET, x, y, cols * cw, rows * ch, role, 0,
                     what ? what : "heatmap");
    sl_canvas_probe(c, x, y, cw, ch, rows, cols, m, what); /* the window shows values on hover */
}

void sl_heatmap_size(int rows, int cols, int cell, const char *title, int *w, int *h)
{
    int tw = title ? sl_text_width(title, SL_TEXT_LABEL) : 0;
    int cw = cols * cell, sw = sl_scale_min_width(1.0, 1);
    *w = cw > tw ? cw : tw;
    *w = *w > sw ? *w : sw;
    *h = (title ? sl_text_height(SL_TEXT_LABEL) + 4 : 0) + rows * cell + SCALE_GAP +
         sl_scale_height();
}

void sl_draw_heatmap(SlCanvas *c, int x, int y, const sl_real *m, int rows, int cols, int cell,
                     SlRole role, const char *title)
{
    sl_draw_heatmap_scaled(c, x, y, m, rows, cols, cell, role, title, 0);
}

void sl_draw_heatmap_scaled(SlCanvas *c, int x, int y, const sl_real *m, int rows, int cols,
                            int cell, SlRole role, const char *title, double range)
{
    int neg;
    double mx = sl_range_of(m, (size_t)(rows > 0 ? rows : 0) * (size_t)(cols > 0 ? cols : 0), &neg);
    mx = range > 0 ? range : mx;
    if (title) {
        sl_canvas_text(c, x, y, title, SL_TEXT_LABEL, SL_INK);
        y += sl_text_height(SL_TEXT_LABEL) + 4;
    }
    sl_draw_cells(c, x, y, m, rows, cols, cell, cell, role, mx, title);
    int w = cols * cell < SCALE_MAX_W ? cols * cell : SCALE_MAX_W;
    int sw = sl_scale_min_width(mx, neg);
    sl_draw_scale(c, x, y + rows * cell + SCALE_GAP, w > sw ? w : sw, mx, neg, role);
}

/* ---- plot ---- */

/* Log scale when every value is positive and the largest is over 30 times the smallest (a loss
 * that falls from 500 to 0.1 would otherwise be a flat line after its first epochs). */
static int plot_wants_log(const double *const *series, const int *lengths, int n)
{
    double lo = INFINITY, hi = 0;
    for (int s = 0; s < n; s++)
        for (int i = 0; i < lengths[s]; i++) {
            double v = series[s][i];
            if (v <= 0)
                return 0;
            if (isfinite(v))
                lo = fmin(lo, v), hi = fmax(hi, v);
        }
    return hi > 0 && hi > 30 * lo;
}

void sl_draw_plot(SlCanvas *c, int x, int y, int w, int h, const double *const *series,
                  const int *lengths, const SlRole *roles, int n, int x_last, const char *title)
{
    int log_y = plot_wants_log(series, lengths, n), len = 1;
    int th = sl_text_height(SL_TEXT_LABEL), nh = sl_text_height(SL_TEXT_SMALL);
    double lo = INFINITY, hi = -INFINITY;
    for (int s = 0; s < n; s++) {
        len = lengths[s] > len ? lengths[s] : len;
        for (int i = 0; i < lengths[s]; i++)
            if (isfinite(series[s][i])) {
                double v = log_y ? log10(series[s][i]) : series[s][i];
                lo = fmin(lo, v), hi = fmax(hi, v);
            }
    }
    if (lo > hi)
        lo = 0, hi = 1;
    if (hi - lo < 1e-12)
        hi = lo + 1;
    sl_canvas_round_rect(c, x, y, w, h, 6, SL_WHITE);
    sl_canvas_round_frame(c, x, y, w, h, 6, 1, sl_mix(SL_GRID, SL_INK, 0.3));
    sl_canvas_record(c, SL_ITEM_WIDGET, x, y, w, h, SL_ROLE_NONE, 0, title ? title : "plot");
    int px = x + 14, py = y + th + 16, pw = w - 28, ph = h - th - nh - 32;
    if (title)
        sl_canvas_text(c, x + 14, y + 8, title, SL_TEXT_HEADING, SL_INK);
    for (int g = 0; g <= 4; g++) /* light lines at quarters of the range */
        sl_canvas_fill_rect(c, px, py + ph * g / 4, pw, 1, sl_mix(SL_WHITE, SL_GRID, 0.6));
    for (int s = 0; s < n; s++)
        for (int i = 1; i < lengths[s]; i++) {
            double a = series[s][i - 1], b = series[s][i];
            if (!isfinite(a) || !isfinite(b)) /* a missing value breaks the line */
                continue;
            if (log_y)
                a = log10(a), b = log10(b);
            double x0 = px + (double)(i - 1) / (len > 1 ? len - 1 : 1) * pw;
            double x1 = px + (double)i / (len > 1 ? len - 1 : 1) * pw;
            double y0 = py + ph - (a - lo) / (hi - lo) * ph,
                   y1 = py + ph - (b - lo) / (hi - lo) * ph;
            sl_canvas_smooth_line(c, x0, y0, x1, y1, 2, sl_role_color(roles[s]));
        }
    char range[96];
    if (log_y)
        snprintf(range, sizeof range, "%.4g .. %.4g, log scale", pow(10, lo), pow(10, hi));
    else
        snprintf(range, sizeof range, "%.4g .. %.4g", lo, hi);
    sl_canvas_text(c, x + 14, y + h - nh - 8, range, SL_TEXT_SMALL, SL_INK);
    snprintf(range, sizeof range, "1 .. %d", x_last > 0 ? x_last : len); /* the x axis, 1-based */
    sl_canvas_text_aligned(c, x + w - 14, y + h - nh - 8, SL_ALIGN_RIGHT, range, SL_TEXT_SMALL,
                           SL_INK);
}

/* ---- bars ---- */

/* Values as bars in a w x h strip: from the bottom on a 0..range axis, or up and down from the
 * middle when signed (negative bars in grey). A widget of the role's colour. */
void sl_draw_bars(SlCanvas *c, int x, int y, int w, int h, const sl_real *v, int n, int is_signed,
                  double range, SlRole role, const char *what)
{
    int bw = w / (n ? n : 1), base = is_signed ? y + h / 2 : y + h;
    double half = is_signed ? h / 2.0 : h;
    int gap = bw >= 5 ? 1 : 0, th = sl_text_height(SL_TEXT_NUMBER);
    sl_canvas_fill_rect(c, x, y, bw * n, h, SL_WHITE);
    sl_canvas_fill_rect(c, x, base, bw * n, 1, SL_GRID);
    for (int k = 0; k < n; k++) {
        double f = range > 0 ? (double)v[k] / range : 0;
        f = isfinite(f) ? fmax(-1.0, fmin(1.0, f)) : 0;
        int len = (int)(fabs(f) * half + 0.5);
        SlColor col = f >= 0 ? sl_role_color(role) : NEGATIVE;
        int top = f >= 0 ? base - len : base;
        sl_canvas_fill_rect(c, x + k * bw, top, bw - gap, len, col);
        if (!c->values)
            continue;
        /* the number in the free part of the strip, at the bar's end, when it fits there */
        char num[24];
        format_number((double)v[k], num, sizeof num);
        int nw = sl_text_width(num, SL_TEXT_NUMBER), room;
        int ny = f >= 0 ? base - len - th - 1 : base + len + 1;
        room = f >= 0 ? base - len - y : y + h - (base + len);
        if (nw + 2 <= bw && th + 1 <= room)
            sl_canvas_text_aligned(c, x + k * bw + bw / 2, ny, SL_ALIGN_CENTER, num, SL_TEXT_NUMBER,
                                   SL_INK);
    }
    sl_canvas_rect(c, x - 1, y - 1, bw * n + 2, h + 2, 1, SL_GRID);
    sl_canvas_record(c, SL_ITEM_WIDGET, x, y, bw * n, h, role, 0, what);
    sl_canvas_probe(c, x, y, bw, h, 1, n, v, what);
}
