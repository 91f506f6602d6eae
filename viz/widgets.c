/* widgets.c: tensor box, layer block, arrow, caption, legend, heatmap, plot (see widgets.h). */
#include "widgets.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static SlColor mix(SlColor a, SlColor b, double t) /* (1 - t) a + t b */
{
    SlColor c = {(uint8_t)(a.r + (b.r - a.r) * t), (uint8_t)(a.g + (b.g - a.g) * t),
                 (uint8_t)(a.b + (b.b - a.b) * t), 255};
    return c;
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

enum { STACK = 6 }; /* the batch axis: copies drawn this far behind */

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

static void box_label(const SlShape *s, char *buf, size_t n)
{
    char shape[96];
    snprintf(buf, n, "%s  %s", sl_shape_str(s, shape, sizeof shape), axis_names(s->rank));
}

void sl_tensor_box_size(const SlShape *s, double scale, int *w, int *h)
{
    int bw, bh, depth, lw, lh;
    char label[96];
    box_dims(s, scale, &bw, &bh, &depth);
    box_label(s, label, sizeof label);
    sl_canvas_text_size(label, SL_TEXT_SCALE, &lw, &lh);
    *w = bw + depth + STACK + 10 + lw;
    *h = bh + depth + STACK > lh ? bh + depth + STACK : lh;
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
    return sl_draw_tensor_box_upto(c, x, y, s, scale, role, highlight, c->w - 8);
}

void sl_tensor_box_size_short(const SlShape *s, double scale, int *w, int *h)
{
    int bw, bh, depth, lw, lh;
    char shape[96];
    box_dims(s, scale, &bw, &bh, &depth);
    sl_canvas_text_size(sl_shape_str(s, shape, sizeof shape), SL_TEXT_SCALE, &lw, &lh);
    *w = bw + depth + STACK + 10 + lw;
    *h = bh + depth + STACK > lh ? bh + depth + STACK : lh;
}

int sl_draw_tensor_box_upto(SlCanvas *c, int x, int y, const SlShape *s, double scale, SlRole role,
                            int highlight, int right)
{
    int bw, bh, depth, tw, th, lw, lh;
    char label[96];
    box_dims(s, scale, &bw, &bh, &depth);
    sl_tensor_box_size(s, scale, &tw, &th);
    SlColor fill = mix(SL_WHITE, sl_role_color(role), highlight ? 0.85 : 0.45);
    SlColor edge = sl_role_color(role);
    int bx = x, by = y + (th - bh - depth - STACK) / 2 + STACK + depth;
    /* the batch axis: copies behind, dashed when its size is None */
    for (int k = 2; k >= 1; k--) {
        int ox = bx + depth + k * STACK / 2, oy = by - depth - k * STACK / 2;
        sl_canvas_fill_rect(c, ox, oy, bw, bh, mix(SL_WHITE, edge, 0.15));
        if (s->rank > 0 && s->dim[0] == SL_NONE)
            dashed_rect(c, ox, oy, bw, bh, edge);
        else
            sl_canvas_rect(c, ox, oy, bw, bh, 1, edge);
    }
    for (int d = depth; d > 0; d -= 2) /* the depth of a rank-4+ tensor */
        sl_canvas_rect(c, bx + d, by - d, bw, bh, 1, mix(SL_WHITE, edge, 0.5));
    sl_canvas_fill_rect(c, bx, by, bw, bh, fill);
    sl_canvas_rect(c, bx, by, bw, bh, highlight ? 2 : 1, edge);
    char shape[96];
    sl_shape_str(s, shape, sizeof shape);
    sl_canvas_record(c, SL_ITEM_WIDGET, x, by - depth - STACK, bw + depth + STACK,
                     bh + depth + STACK, role, 0, shape);
    box_label(s, label, sizeof label); /* with the axes' meaning, when it fits the canvas */
    sl_canvas_text_size(label, SL_TEXT_SCALE, &lw, &lh);
    if (x + bw + depth + STACK + 10 + lw > right)
        snprintf(label, sizeof label, "%s", shape);
    sl_canvas_text(c, x + bw + depth + STACK + 10, y + (th - lh) / 2, label, SL_TEXT_SCALE, SL_INK);
    return th;
}

/* ---- layer block, arrow, caption ---- */

void sl_draw_layer_block(SlCanvas *c, int x, int y, int w, int h, const char *name,
                         const char *type, long long params, int highlight)
{
    char title[160], sub[64];
    int tw, th;
    sl_canvas_fill_rect(c, x, y, w, h, highlight ? mix(SL_WHITE, SL_HIGHLIGHT, 0.6) : SL_WHITE);
    sl_canvas_rect(c, x, y, w, h, highlight ? 3 : 1, SL_INK);
    sl_canvas_record(c, SL_ITEM_WIDGET, x, y, w, h, params ? SL_ROLE_WEIGHT : SL_ROLE_NONE, 0,
                     name);
    snprintf(title, sizeof title, "%s (%s)", name, type);
    sl_canvas_text_size(title, SL_TEXT_SCALE, &tw, &th);
    int ty = params && h >= 2 * th + 10 ? y + 5 : y + (h - th) / 2;
    sl_canvas_text(c, x + 8, ty, title, SL_TEXT_SCALE, SL_INK);
    if (params && h >= 2 * th + 10) {
        snprintf(sub, sizeof sub, "%lld params", params);
        sl_canvas_fill_rect(c, x + 8, ty + th + 5, 10, th - 4, sl_role_color(SL_ROLE_WEIGHT));
        sl_canvas_text(c, x + 24, ty + th + 3, sub, SL_TEXT_SCALE, SL_INK);
    }
}

void sl_draw_arrow(SlCanvas *c, int x0, int y0, int x1, int y1, const char *label)
{
    sl_canvas_arrow(c, x0, y0, x1, y1, 2, 9, SL_INK);
    if (label && label[0])
        sl_canvas_text(c, (x0 + x1) / 2 + 6, (y0 + y1) / 2 - 6, label, SL_TEXT_SCALE, SL_INK);
}

int sl_draw_caption(SlCanvas *c, int x, int y, int w, const char *text)
{
    char line[512];
    int used = 0, lw, lh, lines = 0;
    sl_canvas_text_size("abcdefghijklmnopqrstuvwxyz (), 0123456789", SL_TEXT_SCALE, &lw, &lh);
    int per_line = lw > 0 ? (w - 16) * 41 / lw : 80; /* characters of average width per line */
    const char *p = text;
    while (*p && per_line > 4 && lines++ < SL_CAPTION_LINES) {
        int n = (int)strlen(p) < per_line ? (int)strlen(p) : per_line;
        if (p[n]) /* break at the last space that fits */
            for (int k = n; k > per_line / 2; k--)
                if (p[k] == ' ') {
                    n = k;
                    break;
                }
        snprintf(line, sizeof line, "%.*s%s", n, p, lines == SL_CAPTION_LINES && p[n] ? "..." : "");
        sl_canvas_text(c, x + 8, y + 6 + used, line, SL_TEXT_SCALE, SL_INK);
        used += lh + 4;
        p += n;
        while (*p == ' ')
            p++;
    }
    return used + 12;
}

int sl_draw_legend(SlCanvas *c, int x, int y, const SlRole *roles, int n)
{
    int cx = x, lw, lh;
    for (int i = 0; i < n; i++) {
        const char *name = sl_role_name(roles[i]);
        sl_canvas_text_size(name, SL_TEXT_SCALE, &lw, &lh);
        if (roles[i] == SL_ROLE_MASK || roles[i] == SL_ROLE_PADDING) {
            sl_canvas_fill_rect(c, cx, y, lh, lh, SL_WHITE);
            sl_canvas_hatch(c, cx, y, lh, lh, 4, sl_role_color(roles[i]));
        } else {
            sl_canvas_fill_rect(c, cx, y, lh, lh, sl_role_color(roles[i]));
        }
        sl_canvas_rect(c, cx, y, lh, lh, 1, SL_INK);
        sl_canvas_record(c, SL_ITEM_LEGEND_ENTRY, cx, y, lh + 6 + lw, lh, roles[i], 0, name);
        sl_canvas_text(c, cx + lh + 6, y, name, SL_TEXT_SCALE, SL_INK);
        cx += lh + 6 + lw + 18;
    }
    return cx - x;
}

int sl_legend_width(const SlRole *roles, int n)
{
    int w = 0, lw, lh;
    for (int i = 0; i < n; i++) {
        sl_canvas_text_size(sl_role_name(roles[i]), SL_TEXT_SCALE, &lw, &lh);
        w += lh + 6 + lw + 18;
    }
    return w > 18 ? w - 18 : 0;
}

/* ---- heatmap and plot ---- */

void sl_draw_heatmap(SlCanvas *c, int x, int y, const sl_real *m, int rows, int cols, int cell,
                     SlRole role, const char *title)
{
    sl_draw_heatmap_scaled(c, x, y, m, rows, cols, cell, role, title, 0);
}

void sl_draw_heatmap_scaled(SlCanvas *c, int x, int y, const sl_real *m, int rows, int cols,
                            int cell, SlRole role, const char *title, double scale)
{
    double mx = scale > 0 ? scale : 1e-12;
    int lw = 0, lh = 0;
    for (int i = 0; scale <= 0 && i < rows * cols; i++)
        mx = fabs((double)m[i]) > mx ? fabs((double)m[i]) : mx;
    if (title) {
        sl_canvas_text_size(title, SL_TEXT_SCALE, &lw, &lh);
        sl_canvas_text(c, x, y, title, SL_TEXT_SCALE, SL_INK);
        y += lh + 4;
    }
    for (int r = 0; r < rows; r++)
        for (int k = 0; k < cols; k++) {
            double v = fmax(-1.0, fmin(1.0, m[r * cols + k] / mx));
            SlColor col =
                v >= 0 ? mix(SL_WHITE, sl_role_color(role), v) : mix(SL_WHITE, SL_INK, -v * 0.8);
            sl_canvas_fill_rect(c, x + k * cell, y + r * cell, cell, cell, col);
        }
    sl_canvas_rect(c, x - 1, y - 1, cols * cell + 2, rows * cell + 2, 1, SL_INK);
    sl_canvas_record(c, SL_ITEM_WIDGET, x, y, cols * cell, rows * cell, role, 0,
                     title ? title : "heatmap");
    sl_canvas_probe(c, x, y, cell, rows, cols, m, title); /* the window shows values on hover */
}

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
    int log_y = plot_wants_log(series, lengths, n), len = 1, tw, th;
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
    sl_canvas_fill_rect(c, x, y, w, h, SL_WHITE);
    sl_canvas_rect(c, x, y, w, h, 1, SL_INK);
    sl_canvas_record(c, SL_ITEM_WIDGET, x, y, w, h, SL_ROLE_NONE, 0, title ? title : "plot");
    sl_canvas_text_size("0", SL_TEXT_SCALE, &tw, &th);
    int px = x + 10, py = y + th + 12, pw = w - 20, ph = h - 2 * th - 28;
    if (title)
        sl_canvas_text(c, x + 10, y + 6, title, SL_TEXT_SCALE, SL_INK);
    for (int s = 0; s < n; s++)
        for (int i = 1; i < lengths[s]; i++) {
            double a = series[s][i - 1], b = series[s][i];
            if (!isfinite(a) || !isfinite(b)) /* a missing value breaks the line */
                continue;
            if (log_y)
                a = log10(a), b = log10(b);
            int x0 = px + (int)((double)(i - 1) / (len > 1 ? len - 1 : 1) * pw);
            int x1 = px + (int)((double)i / (len > 1 ? len - 1 : 1) * pw);
            int y0 = py + ph - (int)((a - lo) / (hi - lo) * ph);
            int y1 = py + ph - (int)((b - lo) / (hi - lo) * ph);
            sl_canvas_line(c, x0, y0, x1, y1, 2, sl_role_color(roles[s]));
        }
    char range[96];
    if (log_y)
        snprintf(range, sizeof range, "%.4g .. %.4g, log scale", pow(10, lo), pow(10, hi));
    else
        snprintf(range, sizeof range, "%.4g .. %.4g", lo, hi);
    sl_canvas_text(c, x + 10, y + h - th - 6, range, SL_TEXT_SCALE, SL_INK);
    snprintf(range, sizeof range, "1 .. %d", x_last > 0 ? x_last : len); /* the x axis, 1-based */
    sl_canvas_text_size(range, SL_TEXT_SCALE, &tw, &th);
    sl_canvas_text(c, x + w - tw - 10, y + h - th - 6, range, SL_TEXT_SCALE, SL_INK);
}

/* Values as bars in a w x h strip: from the bottom on a 0..scale axis, or up and down from the
 * middle when signed (negative bars in grey). A widget of the role's colour. */
void sl_draw_bars(SlCanvas *c, int x, int y, int w, int h, const sl_real *v, int n, int is_signed,
                  double scale, SlRole role, const char *what)
{
    int bw = w / (n ? n : 1), base = is_signed ? y + h / 2 : y + h;
    double half = is_signed ? h / 2.0 : h;
    sl_canvas_fill_rect(c, x, y, bw * n, h, SL_WHITE);
    sl_canvas_fill_rect(c, x, base, bw * n, 1, SL_GRID);
    for (int k = 0; k < n; k++) {
        double f = fmax(-1.0, fmin(1.0, (double)v[k] / scale));
        int len = (int)(fabs(f) * half + 0.5);
        SlColor col = f >= 0 ? sl_role_color(role) : SL_INK;
        if (f >= 0)
            sl_canvas_fill_rect(c, x + k * bw, base - len, bw > 2 ? bw - 1 : bw, len, col);
        else
            sl_canvas_fill_rect(c, x + k * bw, base, bw > 2 ? bw - 1 : bw, len, col);
    }
    sl_canvas_rect(c, x - 1, y - 1, bw * n + 2, h + 2, 1, SL_GRID);
    sl_canvas_record(c, SL_ITEM_WIDGET, x, y, bw * n, h, role, 0, what);
    int tw, th;
    sl_canvas_text_size("-0.00", SL_TEXT_SCALE, &tw, &th);
    for (int k = 0; bw >= tw + 6 && h >= th + 4 && k < n; k++) { /* room for the numbers */
        char num[16];
        snprintf(num, sizeof num, "%.2f", (double)v[k]);
        int ty = is_signed && v[k] < 0 ? y + 2 : y + h - th - 2, nw, nh;
        sl_canvas_text_size(num, SL_TEXT_SCALE, &nw, &nh);
        sl_canvas_fill_rect(c, x + k * bw + 2, ty - 1, nw + 2, nh + 2, SL_WHITE);
        sl_canvas_text(c, x + k * bw + 3, ty, num, SL_TEXT_SCALE, SL_INK);
    }
}

void sl_draw_text_fit(SlCanvas *c, int x, int y, const char *longer, const char *shorter)
{
    int w, h;
    sl_canvas_text_size(longer, SL_TEXT_SCALE, &w, &h);
    sl_canvas_text(c, x, y, x + w <= c->w - 8 ? longer : shorter, SL_TEXT_SCALE, SL_INK);
}
