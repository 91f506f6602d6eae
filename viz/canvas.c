/* canvas.c: the RGBA canvas, its pixel-exact primitives, the record of what was drawn, and its
 * hash.
 *
 * Primitives take units and multiply them by the canvas's scale first; below that, every primitive
 * reduces to horizontal or vertical runs of pixels that are first clipped to the
 * canvas and the clip rectangle, so nothing can write outside the buffer whatever the coordinates.
 * Runs are computed so that no pixel is visited twice by one call: a half-transparent line, outline
 * or triangle then has one even tone instead of darker overlaps. Coordinates are widened to
 * long long inside, so x + w never overflows.
 *
 * Anti-aliased shapes live in canvas_smooth.c, text in text.c and PNG export in png.c.
 */
#include "canvas.h"
#include "canvas_px.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"

/* ---- colours ---- */

const SlColor SL_WHITE = {0xFF, 0xFF, 0xFF, 0xFF};
const SlColor SL_BLACK = {0x00, 0x00, 0x00, 0xFF};
const SlColor SL_INK = {0x22, 0x22, 0x22, 0xFF};
const SlColor SL_GRID = {0xCC, 0xCC, 0xCC, 0xFF};
const SlColor SL_PAPER = {0xFA, 0xFA, 0xF7, 0xFF};
const SlColor SL_HIGHLIGHT = {0xF0, 0xE4, 0x42, 0xFF};

/* Okabe-Ito, indexed by SlRole. The mask is hatched over cells, so it gets a dark grey instead of
 * black: hatching stays visible on white and does not read as text. */
static const SlColor role_colors[SL_ROLE_COUNT] = {
    [SL_ROLE_NONE] = {0x22, 0x22, 0x22, 0xFF},   [SL_ROLE_INPUT] = {0x00, 0x72, 0xB2, 0xFF},
    [SL_ROLE_WEIGHT] = {0xE6, 0x9F, 0x00, 0xFF}, [SL_ROLE_STATE] = {0x00, 0x9E, 0x73, 0xFF},
    [SL_ROLE_OUTPUT] = {0xD5, 0x5E, 0x00, 0xFF}, [SL_ROLE_GRADIENT] = {0xCC, 0x79, 0xA7, 0xFF},
    [SL_ROLE_MASK] = {0x55, 0x55, 0x55, 0xFF},   [SL_ROLE_PADDING] = {0x56, 0xB4, 0xE9, 0xFF},
};

static const char *const role_names[SL_ROLE_COUNT] = {
    [SL_ROLE_NONE] = "none",   [SL_ROLE_INPUT] = "input",     [SL_ROLE_WEIGHT] = "weight",
    [SL_ROLE_STATE] = "state", [SL_ROLE_OUTPUT] = "output",   [SL_ROLE_GRADIENT] = "gradient",
    [SL_ROLE_MASK] = "mask",   [SL_ROLE_PADDING] = "padding",
};

SlColor sl_role_color(SlRole r)
{
    if ((int)r < 0 || r >= SL_ROLE_COUNT)
        return role_colors[SL_ROLE_NONE];
    return role_colors[r];
}

/* sRGB to linear light and back. */
static double to_linear(uint8_t v)
{
    double c = v / 255.0;
    return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
}

static uint8_t to_srgb(double c)
{
    c = c < 0 ? 0 : c > 1 ? 1 : c;
    c = c <= 0.0031308 ? 12.92 * c : 1.055 * pow(c, 1 / 2.4) - 0.055;
    return (uint8_t)lround(c * 255);
}

SlColor sl_color_as_seen(SlColor c, SlVision v)
{
    static const double m[3][3][3] = {
        [SL_VISION_DEUTERANOPIA] = {{0.367322, 0.860646, -0.227968},
                                    {0.280085, 0.672501, 0.047413},
                                    {-0.011820, 0.042940, 0.968881}},
        [SL_VISION_PROTANOPIA] = {{0.152286, 1.052583, -0.204868},
                                  {0.114503, 0.786281, 0.099216},
                                  {-0.003882, -0.048116, 1.051998}},
        [SL_VISION_TRITANOPIA] = {{1.255528, -0.076749, -0.178779},
                                  {-0.078411, 0.930809, 0.147602},
                                  {0.004733, 0.691367, 0.303900}},
    };
    int k = (int)v < 0 || v > SL_VISION_TRITANOPIA ? SL_VISION_DEUTERANOPIA : (int)v;
    double l[3] = {to_linear(c.r), to_linear(c.g), to_linear(c.b)}, o[3];
    for (int i = 0; i < 3; i++)
        o[i] = m[k][i][0] * l[0] + m[k][i][1] * l[1] + m[k][i][2] * l[2];
    return (SlColor){to_srgb(o[0]), to_srgb(o[1]), to_srgb(o[2]), c.a};
}

const char *sl_role_name(SlRole r)
{
    if ((int)r < 0 || r >= SL_ROLE_COUNT)
        return "?";
    return role_names[r];
}

/* ---- the canvas ---- */

static void clip_all(SlCanvas *c)
{
    c->clip_x0 = 0;
    c->clip_y0 = 0;
    c->clip_x1 = c->pw;
    c->clip_y1 = c->ph;
}

/* The pixel buffer for w x h, filled with the paper colour, or NULL with an error. */
static uint8_t *new_pixels(int w, int h, SlError *e)
{
    if (w < 1 || h < 1) {
        sl_errorf(e, "canvas: %d x %d pixels: both sides must be at least 1", w, h);
        return NULL;
    }
    if ((size_t)w > SIZE_MAX / 4 / (size_t)h) {
        sl_errorf(e, "canvas: %d x %d pixels do not fit in memory", w, h);
        return NULL;
    }
    size_t n = (size_t)w * (size_t)h;
    uint8_t *p = sl_alloc(n * 4);
    if (!p) {
        sl_errorf(e, "canvas: out of memory for %d x %d pixels", w, h);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        memcpy(p + 4 * i, &SL_PAPER, 4);
    return p;
}

int sl_canvas_init(SlCanvas *c, int w, int h, SlError *e)
{
    return sl_canvas_init_scaled(c, w, h, 1, e);
}

int sl_canvas_init_scaled(SlCanvas *c, int w, int h, int scale, SlError *e)
{
    memset(c, 0, sizeof *c);
    if (scale < 1 || scale > SL_CANVAS_MAX_SCALE)
        return sl_errorf(e, "canvas: scale %d: it goes from 1 to %d", scale, SL_CANVAS_MAX_SCALE);
    c->scale = scale;
    c->recording = 1;
    return sl_canvas_resize(c, w, h, e);
}

int sl_canvas_resize(SlCanvas *c, int w, int h, SlError *e)
{
    int s = c->scale > 0 ? c->scale : 1;
    if (w < 1 || h < 1 || w > INT_MAX / s || h > INT_MAX / s)
        return sl_errorf(e,
                         "canvas: %d x %d units at scale %d: both sides must be at least 1 "
                         "(and at most %d)",
                         w, h, s, INT_MAX / s);
    /* Allocate first: on failure the old canvas is still whole. */
    uint8_t *p = new_pixels(w * s, h * s, e);
    if (!p)
        return -1;
    sl_free(c->rgba);
    c->rgba = p;
    c->scale = s;
    c->w = w;
    c->h = h;
    c->pw = w * s;
    c->ph = h * s;
    clip_all(c);
    c->n_items = 0;
    return 0;
}

void sl_canvas_free(SlCanvas *c)
{
    if (!c)
        return;
    sl_free(c->rgba);
    sl_free(c->items);
    sl_free(c->probes);
    sl_free(c->probe_values);
    memset(c, 0, sizeof *c);
}

void sl_canvas_clear(SlCanvas *c, SlColor color)
{
    size_t n = (size_t)c->pw * (size_t)c->ph;
    if (!c->rgba)
        return;
    size_t row = (size_t)c->pw;
    for (size_t i = 0; i < row && i < n; i++) /* one row, then copies of it */
        memcpy(c->rgba + 4 * i, &color, 4);
    for (size_t y = 1; y < (size_t)c->ph; y++)
        memcpy(c->rgba + 4 * y * row, c->rgba, 4 * row);
    c->n_items = 0;
    c->n_probes = 0;
    c->n_values = 0;
}

void sl_canvas_probe(SlCanvas *c, int x, int y, int cw, int ch, int rows, int cols,
                     const sl_real *values, const char *title)
{
    size_t n = (size_t)(rows > 0 ? rows : 0) * (size_t)(cols > 0 ? cols : 0);
    if (!n || cw < 1 || ch < 1 || n > ((size_t)1 << 20))
        return;
    SlProbe *probes = sl_grow(c->probes, &c->cap_probes, (size_t)c->n_probes + 1, sizeof *probes);
    if (!probes)
        return;
    c->probes = probes;
    float *kept = sl_grow(c->probe_values, &c->cap_values, c->n_values + n, sizeof *kept);
    if (!kept)
        return;
    c->probe_values = kept;
    SlProbe *p = &c->probes[c->n_probes++];
    p->x = x, p->y = y, p->cw = cw, p->ch = ch, p->rows = rows, p->cols = cols;
    p->first = c->n_values;
    snprintf(p->title, sizeof p->title, "%s", title ? title : "");
    for (size_t i = 0; i < n; i++)
        c->probe_values[c->n_values++] = (float)values[i];
}

const SlProbe *sl_canvas_probe_at(const SlCanvas *c, int px, int py, int *row, int *col,
                                  float *value)
{
    for (int k = c->n_probes - 1; k >= 0; k--) {
        const SlProbe *p = &c->probes[k];
        if (px < p->x || py < p->y || (long long)px >= p->x + (long long)p->cols * p->cw ||
            (long long)py >= p->y + (long long)p->rows * p->ch)
            continue;
        *row = (py - p->y) / p->ch;
        *col = (px - p->x) / p->cw;
        *value = c->probe_values[p->first + (size_t)*row * (size_t)p->cols + (size_t)*col];
        return p;
    }
    return NULL;
}

static long long clamp_ll(long long v, long long lo, long long hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

void sl_canvas_clip(SlCanvas *c, int x, int y, int w, int h)
{
    if (w < 0 || h < 0) {
        clip_all(c);
        return;
    }
    long long s = c->scale;
    c->clip_x0 = (int)clamp_ll(x * s, 0, c->pw);
    c->clip_y0 = (int)clamp_ll(y * s, 0, c->ph);
    c->clip_x1 = (int)clamp_ll(((long long)x + w) * s, c->clip_x0, c->pw);
    c->clip_y1 = (int)clamp_ll(((long long)y + h) * s, c->clip_y0, c->ph);
}

/* ---- pixels ---- */

SlPxBox sl_px_drawable(const SlCanvas *c)
{
    SlPxBox b = {c->clip_x0, c->clip_y0, c->clip_x1, c->clip_y1};
    b.x0 = clamp_ll(b.x0, 0, c->pw);
    b.y0 = clamp_ll(b.y0, 0, c->ph);
    b.x1 = clamp_ll(b.x1, b.x0, c->pw);
    b.y1 = clamp_ll(b.y1, b.y0, c->ph);
    if (!c->rgba)
        b.x1 = b.x0;
    return b;
}

/* Fill [x0, x1) x [y0, y1), clipped. Everything rectangular ends up here. */
static void fill_box(SlCanvas *c, long long x0, long long y0, long long x1, long long y1,
                     SlColor col)
{
    SlPxBox b = sl_px_drawable(c);
    x0 = x0 < b.x0 ? b.x0 : x0;
    y0 = y0 < b.y0 ? b.y0 : y0;
    x1 = x1 > b.x1 ? b.x1 : x1;
    y1 = y1 > b.y1 ? b.y1 : y1;
    if (x0 >= x1 || y0 >= y1 || col.a == 0)
        return;
    for (long long y = y0; y < y1; y++) {
        uint8_t *p = c->rgba + ((size_t)y * (size_t)c->pw + (size_t)x0) * 4;
        for (long long x = x0; x < x1; x++, p += 4)
            sl_px_blend(p, col);
    }
}

void sl_canvas_pixel(SlCanvas *c, int x, int y, SlColor color)
{
    long long s = c->scale;
    fill_box(c, x * s, y * s, ((long long)x + 1) * s, ((long long)y + 1) * s, color);
}

void sl_canvas_fill_rect(SlCanvas *c, int x, int y, int w, int h, SlColor color)
{
    long long s = c->scale;
    if (w <= 0 || h <= 0)
        return;
    fill_box(c, x * s, y * s, ((long long)x + w) * s, ((long long)y + h) * s, color);
}

void sl_canvas_rect(SlCanvas *c, int x, int y, int w, int h, int thickness, SlColor color)
{
    if (w <= 0 || h <= 0)
        return;
    long long s = c->scale, t = (thickness < 1 ? 1 : thickness) * s;
    long long x0 = x * s, y0 = y * s, x1 = x0 + w * s, y1 = y0 + h * s;
    /* Four bands that do not overlap: top and bottom full width, left and right in between. */
    long long top = y0 + t < y1 ? y0 + t : y1;
    long long bottom = y1 - t > top ? y1 - t : top;
    long long left = x0 + t < x1 ? x0 + t : x1;
    long long right = x1 - t > left ? x1 - t : left;
    fill_box(c, x0, y0, x1, top, color);
    fill_box(c, x0, bottom, x1, y1, color);
    fill_box(c, x0, top, left, bottom, color);
    fill_box(c, right, top, x1, bottom, color);
}

/* ---- lines ---- */

/* Beyond this, coordinates are first cut to a box this size around the origin (any canvas is far
 * smaller), so Bresenham's products stay well inside 64 bits. Lines inside it are exact. */
#define FAR (1LL << 24)

/* Cut the segment to [-FAR, FAR]^2 (Liang-Barsky). Returns 0 if nothing is left. */
static int cut_far(long long *x0, long long *y0, long long *x1, long long *y1)
{
    double t0 = 0, t1 = 1, dx = (double)(*x1 - *x0), dy = (double)(*y1 - *y0);
    double p[4] = {-dx, dx, -dy, dy};
    double q[4] = {(double)(*x0 + FAR), (double)(FAR - *x0), (double)(*y0 + FAR),
                   (double)(FAR - *y0)};
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0) {
            if (q[i] < 0)
                return 0;
            continue;
        }
        double r = q[i] / p[i];
        if (p[i] < 0 && r > t0)
            t0 = r;
        if (p[i] > 0 && r < t1)
            t1 = r;
    }
    if (t0 > t1)
        return 0;
    double ax = (double)*x0, ay = (double)*y0;
    *x0 = (long long)floor(ax + t0 * dx + 0.5);
    *y0 = (long long)floor(ay + t0 * dy + 0.5);
    *x1 = (long long)floor(ax + t1 * dx + 0.5);
    *y1 = (long long)floor(ay + t1 * dy + 0.5);
    return 1;
}

/* Bresenham in closed form: at step i of d along the major axis, the minor axis has moved
 * round(i * dm / d), halves rounded up. Computing it directly (rather than stepping an error term)
 * lets a line skip straight to the part inside the clip box. */
static long long minor_at(long long i, long long dm, long long d)
{
    return d == 0 ? 0 : (2 * i * dm + d) / (2 * d);
}

static void line_ll(SlCanvas *c, long long ax, long long ay, long long bx, long long by,
                    int thickness, SlColor color)
{
    if (llabs(ax) > FAR || llabs(ay) > FAR || llabs(bx) > FAR || llabs(by) > FAR)
        if (!cut_far(&ax, &ay, &bx, &by))
            return;
    long long dx = llabs(bx - ax), dy = llabs(by - ay);
    int xmajor = dx >= dy;
    /* m: major axis, n: minor axis. Walk with m increasing, so A->B and B->A give the same pixels. */
    long long m0 = xmajor ? ax : ay, n0 = xmajor ? ay : ax;
    long long m1 = xmajor ? bx : by, n1 = xmajor ? by : bx;
    if (m1 < m0) {
        long long t = m0;
        m0 = m1, m1 = t;
        t = n0;
        n0 = n1, n1 = t;
    }
    long long d = m1 - m0, dm = llabs(n1 - n0), s = n1 < n0 ? -1 : 1;
    /* The square pen covers [p + lo, p + lo + t) on both axes around each pixel p of the path. */
    long long t = thickness < 1 ? 1 : thickness > FAR ? FAR : thickness;
    long long lo = -(t - 1) / 2;
    SlPxBox b = sl_px_drawable(c);
    long long cm0 = xmajor ? b.x0 : b.y0, cm1 = xmajor ? b.x1 : b.y1;
    long long first = m0 + lo > cm0 ? m0 + lo : cm0;
    long long last = m1 + lo + t - 1 < cm1 - 1 ? m1 + lo + t - 1 : cm1 - 1;
    /* Each major coordinate M is covered by the pens of steps ia..ib; the path is monotonic, so the
     * union of their squares there is one run on the minor axis, from the first to the last. */
    for (long long M = first; M <= last; M++) {
        long long ia = M - lo - t + 1 - m0, ib = M - lo - m0;
        ia = ia < 0 ? 0 : ia;
        ib = ib > d ? d : ib;
        long long na = n0 + s * minor_at(ia, dm, d), nb = n0 + s * minor_at(ib, dm, d);
        long long nlo = (na < nb ? na : nb) + lo, nhi = (na < nb ? nb : na) + lo + t;
        if (xmajor)
            fill_box(c, M, nlo, M + 1, nhi, color);
        else
            fill_box(c, nlo, M, nhi, M + 1, color);
    }
}

/* A unit's middle pixel, for lines between units (its own pixel at scale 1). */
static long long mid(const SlCanvas *c, long long v)
{
    return v * c->scale + (c->scale - 1) / 2;
}

void sl_canvas_line(SlCanvas *c, int x0, int y0, int x1, int y1, int thickness, SlColor color)
{
    line_ll(c, mid(c, x0), mid(c, y0), mid(c, x1), mid(c, y1),
            (thickness < 1     ? 1
             : thickness > FAR ? (int)FAR
                               : thickness) *
                c->scale,
            color);
}

void sl_canvas_hatch(SlCanvas *c, int x, int y, int w, int h, int spacing, SlColor color)
{
    sl_canvas_hatch_shifted(c, x, y, w, h, spacing, 0, color);
}

void sl_canvas_hatch_shifted(SlCanvas *c, int x, int y, int w, int h, int spacing, int shift,
                             SlColor color)
{
    if (w <= 0 || h <= 0 || color.a == 0)
        return;
    long long k = c->scale, s = (spacing < 1 ? 1 : spacing) * k, off = (long long)shift * k;
    SlPxBox b = sl_px_drawable(c);
    long long rx0 = x * k, rx1 = ((long long)x + w) * k, ry0 = y * k, ry1 = ((long long)y + h) * k;
    long long x0 = rx0 > b.x0 ? rx0 : b.x0, x1 = rx1 < b.x1 ? rx1 : b.x1;
    long long y0 = ry0 > b.y0 ? ry0 : b.y0, y1 = ry1 < b.y1 ? ry1 : b.y1;
    /* Canvas coordinates, not the rectangle's: hatched neighbours continue each other's lines.
     * Each line is `scale` pixels wide. */
    for (long long py = y0; py < y1; py++)
        for (long long px = x0; px < x1; px++)
            if ((((px - py - off) % s) + s) % s < k)
                sl_px_blend(c->rgba + ((size_t)py * (size_t)c->pw + (size_t)px) * 4, color);
}

/* ---- triangles and arrows ---- */

static void triangle_ll(SlCanvas *c, long long x0, long long y0, long long x1, long long y1,
                        long long x2, long long y2, SlColor color)
{
    /* Edges with their upper end first, so the arithmetic does not depend on the vertex order. */
    long long ex[3][2], ey[3][2];
    long long vx[3] = {x0, x1, x2}, vy[3] = {y0, y1, y2};
    for (int k = 0; k < 3; k++) {
        int a = k, z = (k + 1) % 3;
        if (vy[z] < vy[a] || (vy[z] == vy[a] && vx[z] < vx[a])) {
            int t = a;
            a = z, z = t;
        }
        ex[k][0] = vx[a], ey[k][0] = vy[a], ex[k][1] = vx[z], ey[k][1] = vy[z];
    }
    SlPxBox b = sl_px_drawable(c);
    long long ymin = y0 < y1 ? y0 : y1, ymax = y0 < y1 ? y1 : y0;
    ymin = y2 < ymin ? y2 : ymin;
    ymax = y2 > ymax ? y2 : ymax;
    ymin = ymin < b.y0 ? b.y0 : ymin;
    ymax = ymax > b.y1 - 1 ? b.y1 - 1 : ymax;
    /* Scanline: on row y the triangle covers [xl, xr] exactly; fill the pixels whose centres lie
     * in it, edges included. Exact for any sensible coordinates: the products are integers far
     * below 2^53, and an integer quotient is computed exactly. */
    for (long long y = ymin; y <= ymax; y++) {
        double xl = INFINITY, xr = -INFINITY;
        for (int k = 0; k < 3; k++) {
            long long ya = ey[k][0], yb = ey[k][1], xa = ex[k][0], xb = ex[k][1];
            if (y < ya || y > yb)
                continue;
            double u = (double)xa, v = (double)xb;
            if (ya != yb)
                u = v = (double)xa + (double)(y - ya) * (double)(xb - xa) / (double)(yb - ya);
            xl = u < xl ? u : xl;
            xr = v > xr ? v : xr;
        }
        if (xl > xr)
            continue;
        double l = ceil(xl), r = floor(xr) + 1;
        l = l < (double)b.x0 ? (double)b.x0 : l;
        r = r > (double)b.x1 ? (double)b.x1 : r;
        if (l < r)
            fill_box(c, (long long)l, y, (long long)r, y + 1, color);
    }
}

void sl_canvas_fill_triangle(SlCanvas *c, int x0, int y0, int x1, int y1, int x2, int y2,
                             SlColor color)
{
    triangle_ll(c, mid(c, x0), mid(c, y0), mid(c, x1), mid(c, y1), mid(c, x2), mid(c, y2), color);
}

static long long round_half_away(double v)
{
    return (long long)(v < 0 ? -floor(-v + 0.5) : floor(v + 0.5));
}

void sl_canvas_arrow(SlCanvas *c, int x0i, int y0i, int x1i, int y1i, int thickness, int head,
                     SlColor color)
{
    long long x0 = mid(c, x0i), y0 = mid(c, y0i), x1 = mid(c, x1i), y1 = mid(c, y1i);
    thickness = (thickness < 1 ? 1 : thickness > FAR ? (int)FAR : thickness) * c->scale;
    head = head > FAR ? (int)FAR : head * c->scale;
    double dx = (double)x1 - x0, dy = (double)y1 - y0;
    double len = sqrt(dx * dx + dy * dy); /* sqrt, unlike hypot, is exactly rounded everywhere */
    if (head <= 0 || len == 0) {
        line_ll(c, x0, y0, x1, y1, thickness, color);
        return;
    }
    double ux = dx / len, uy = dy / len;
    double hl = head > FAR ? (double)FAR : (double)head;
    /* The head: tip at (x1, y1), base centre `head` back along the line, half as wide as long
     * (but at least the pen's width, so the pen does not show beside it). The corners are rounded
     * as offsets from the base centre, so the head is symmetric about the line. */
    double hw = hl / 2 > thickness ? hl / 2 : (double)thickness;
    hw = hw > FAR ? (double)FAR : hw;
    long long bx = round_half_away(x1 - ux * hl), by = round_half_away(y1 - uy * hl);
    long long ox = round_half_away(-uy * hw), oy = round_half_away(ux * hw);
    /* The shaft stops at the base, so a thick pen never pokes out past the tip. */
    if (len > hl)
        line_ll(c, x0, y0, bx, by, thickness, color);
    triangle_ll(c, x1, y1, bx + ox, by + oy, bx - ox, by - oy, color);
}

/* ---- the record ---- */

void sl_canvas_record(SlCanvas *c, SlItemKind kind, int x, int y, int w, int h, SlRole role, int px,
                      const char *what)
{
    if (!c->recording)
        return;
    /* If memory runs out, stop recording rather than fail the drawing. */
    SlItem *items = c->n_items < (1 << 28)
                        ? sl_grow(c->items, &c->cap_items, (size_t)c->n_items + 1, sizeof *items)
                        : NULL;
    if (!items) {
        c->recording = 0;
        return;
    }
    c->items = items;
    SlItem *it = &c->items[c->n_items++];
    memset(it, 0, sizeof *it);
    it->kind = kind;
    it->x = x, it->y = y, it->w = w, it->h = h;
    it->role = role;
    it->px = px;
    if (what) {
        size_t n = strlen(what);
        n = n < sizeof it->what - 1 ? n : sizeof it->what - 1;
        memcpy(it->what, what, n);
    }
}

/* ---- hash ---- */

uint64_t sl_canvas_hash(const SlCanvas *c)
{
    uint64_t hsh = 14695981039346656037ULL;
    size_t n = c->rgba ? (size_t)c->pw * (size_t)c->ph * 4 : 0;
    for (size_t i = 0; i < n; i++)
        hsh = (hsh ^ c->rgba[i]) * 1099511628211ULL;
    /* Then the sides, little-endian, so equal pixels in another shape hash differently. */
    uint32_t side[2] = {(uint32_t)c->pw, (uint32_t)c->ph};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 4; i++)
            hsh = (hsh ^ ((side[k] >> (8 * i)) & 0xFF)) * 1099511628211ULL;
    return hsh;
}
