/* canvas_smooth.c: anti-aliased shapes: lines, arrows, triangles, rounded boxes, circles.
 *
 * Each shape is a signed distance d(p) from a pixel's centre to its edge, in pixels (negative
 * inside). A pixel is covered by clamp(0.5 - d, 0, 1): 1 deep inside, 0 outside, and along the
 * edge in proportion to how far the edge crosses it, which for straight edges is its area within
 * the shape. Only the pixels near the shape are visited: each row from where it enters a convex
 * polygon around the shape (its hull, grown by a pixel) to where it leaves. A union (an arrow's
 * shaft and head) takes the nearer of the two distances, so overlapping parts blend once.
 *
 * Coordinates come in units and are multiplied by the canvas's scale; a unit's pixels span
 * [x * scale, (x + 1) * scale), so an odd-width line is crisp on half units (x + 0.5).
 */
#include <math.h>

#include "canvas.h"
#include "canvas_px.h"

typedef struct Pt {
    double x, y;
} Pt;

enum { MAX_HULL = 8, MAX_PARTS = 2 };

typedef enum Kind { CAPSULE, TRIANGLE, ROUND_BOX, CIRCLE } Kind;

/* One shape, in pixels. A stroke (ring) is the band |d + w/2| < w/2 inside the outline. */
typedef struct Part {
    Kind kind;
    Pt a, b, c;    /* capsule: a to b; triangle: a, b, c; box and circle: a is the centre */
    double r;      /* capsule: half the width; box: corner radius; circle: radius */
    double hw, hh; /* box: half width and half height */
    double stroke; /* > 0: only the outline, this wide, inside the shape */
} Part;

/* A rectangle [x0, x1) x [y0, y1) in pixels. */
typedef struct Rect {
    double x0, y0, x1, y1;
} Rect;

typedef struct Shape {
    int n_parts, n_hull, n_solid, has_hole;
    Part part[MAX_PARTS];
    Pt hull[MAX_HULL]; /* convex, around every part, a pixel wider */
    Rect solid[2];     /* pixels wholly inside these are covered: no distance to work out */
    Rect hole;         /* pixels wholly inside this are not (a frame's inside) */
} Shape;

/* fmin and fmax are calls into libm (they must treat NaN specially); these are not, and NaN never
 * reaches them. */
static double lo2(double a, double b)
{
    return a < b ? a : b;
}

static double hi2(double a, double b)
{
    return a > b ? a : b;
}

static double dot(Pt a, Pt b)
{
    return a.x * b.x + a.y * b.y;
}

static Pt sub(Pt a, Pt b)
{
    return (Pt){a.x - b.x, a.y - b.y};
}

static double clamp01(double v)
{
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

/* Distance from p to the segment a-b. */
static double seg_dist(Pt p, Pt a, Pt b)
{
    Pt pa = sub(p, a), ba = sub(b, a);
    double l = dot(ba, ba), t = l > 0 ? clamp01(dot(pa, ba) / l) : 0;
    Pt q = {pa.x - ba.x * t, pa.y - ba.y * t};
    return sqrt(dot(q, q));
}

/* Signed distance to a triangle: the nearest edge, negative when p is on the inner side of all
 * three (the winding does not matter). */
static double tri_dist(Pt p, Pt a, Pt b, Pt c)
{
    Pt e[3] = {sub(b, a), sub(c, b), sub(a, c)}, v[3] = {sub(p, a), sub(p, b), sub(p, c)};
    double s = e[0].x * e[2].y - e[0].y * e[2].x > 0 ? 1 : -1, d2 = INFINITY, side = INFINITY;
    for (int k = 0; k < 3; k++) {
        double l = dot(e[k], e[k]), t = l > 0 ? clamp01(dot(v[k], e[k]) / l) : 0;
        Pt q = {v[k].x - e[k].x * t, v[k].y - e[k].y * t};
        d2 = lo2(d2, dot(q, q));
        side = lo2(side, s * (v[k].x * e[k].y - v[k].y * e[k].x));
    }
    return side > 0 ? -sqrt(d2) : sqrt(d2);
}

static double part_dist(const Part *s, Pt p)
{
    double d = 0;
    switch (s->kind) {
    case CAPSULE:
        d = seg_dist(p, s->a, s->b) - s->r;
        break;
    case TRIANGLE:
        d = tri_dist(p, s->a, s->b, s->c);
        break;
    case ROUND_BOX: {
        double qx = fabs(p.x - s->a.x) - s->hw + s->r, qy = fabs(p.y - s->a.y) - s->hh + s->r;
        double ox = hi2(qx, 0), oy = hi2(qy, 0);
        d = sqrt(ox * ox + oy * oy) + lo2(hi2(qx, qy), 0) - s->r;
        break;
    }
    case CIRCLE:
        d = sqrt(dot(sub(p, s->a), sub(p, s->a))) - s->r;
        break;
    }
    return s->stroke > 0 ? fabs(d + s->stroke / 2) - s->stroke / 2 : d;
}

/* Where row y (a pixel centre) enters and leaves the convex hull; 0 if it misses it. */
static int row_span(const Shape *sh, double y, double *x0, double *x1)
{
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < sh->n_hull; i++) {
        Pt a = sh->hull[i], b = sh->hull[(i + 1) % sh->n_hull];
        if ((y < a.y && y < b.y) || (y > a.y && y > b.y))
            continue;
        double x = a.y == b.y ? a.x : a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y);
        double xe = a.y == b.y ? b.x : x;
        lo = fmin(lo, fmin(x, xe));
        hi = fmax(hi, fmax(x, xe));
    }
    *x0 = lo, *x1 = hi;
    return lo <= hi;
}

static void paint(SlCanvas *c, const Shape *sh, SlColor color)
{
    SlPxBox b = sl_px_drawable(c);
    if (color.a == 0 || b.x0 >= b.x1 || b.y0 >= b.y1)
        return;
    double ymin = INFINITY, ymax = -INFINITY;
    for (int i = 0; i < sh->n_hull; i++) {
        if (isnan(sh->hull[i].x) || isnan(sh->hull[i].y))
            return;
        ymin = lo2(ymin, sh->hull[i].y), ymax = hi2(ymax, sh->hull[i].y);
    }
    long long y0 = (long long)hi2(floor(ymin), (double)b.y0);
    long long y1 = (long long)lo2(ceil(ymax), (double)b.y1 - 1);
    for (long long y = y0; y <= y1; y++) {
        double xa, xb, yc = (double)y + 0.5;
        if (!row_span(sh, yc, &xa, &xb))
            continue;
        long long x0 = (long long)hi2(floor(xa), (double)b.x0);
        long long x1 = (long long)lo2(ceil(xb), (double)b.x1 - 1);
        /* along the row: pixels wholly in a solid part are covered, those wholly in the hole
         * skipped, and only the rest need their distance */
        long long skip0 = 1, skip1 = 0, fill0[2] = {1, 1}, fill1[2] = {0, 0};
        double fy = (double)y;
        if (sh->has_hole && fy >= sh->hole.y0 && fy + 1 <= sh->hole.y1)
            skip0 = (long long)ceil(sh->hole.x0), skip1 = (long long)floor(sh->hole.x1) - 1;
        for (int k = 0; k < sh->n_solid; k++)
            if (fy >= sh->solid[k].y0 && fy + 1 <= sh->solid[k].y1)
                fill0[k] = (long long)ceil(sh->solid[k].x0),
                fill1[k] = (long long)floor(sh->solid[k].x1) - 1;
        for (long long x = x0; x <= x1; x++) {
            if (x >= skip0 && x <= skip1) {
                x = skip1;
                continue;
            }
            int k = x >= fill0[0] && x <= fill1[0] ? 0 : x >= fill0[1] && x <= fill1[1] ? 1 : -1;
            if (k >= 0) {
                long long end = fill1[k] < x1 ? fill1[k] : x1;
                for (uint8_t *p = sl_px_at(c, x, y); x <= end; x++, p += 4)
                    sl_px_blend(p, color);
                x--;
                continue;
            }
            Pt q = {(double)x + 0.5, yc};
            double d = INFINITY;
            for (int n = 0; n < sh->n_parts; n++)
                d = lo2(d, part_dist(&sh->part[n], q));
            double cover = clamp01(0.5 - d);
            if (cover > 0)
                sl_px_cover(sl_px_at(c, x, y), color, (unsigned)(cover * 255 + 0.5));
        }
    }
}

/* Units to pixels; coordinates beyond 1e15 are held there so squares stay finite (anything there
 * is far off any canvas). NaN stays NaN, and a shape with one draws nothing. */
static double px(const SlCanvas *c, double v)
{
    double s = v * c->scale, lim = 1e15;
    return s < -lim ? -lim : s > lim ? lim : s;
}

static void add_box_hull(Shape *sh, double x0, double y0, double x1, double y1)
{
    sh->hull[0] = (Pt){x0 - 1, y0 - 1}, sh->hull[1] = (Pt){x1 + 1, y0 - 1};
    sh->hull[2] = (Pt){x1 + 1, y1 + 1}, sh->hull[3] = (Pt){x0 - 1, y1 + 1};
    sh->n_hull = 4;
}

/* The capsule from a to b with radius r, and its hull: the segment's rectangle grown by r + 1. */
static void capsule(Shape *sh, Pt a, Pt b, double r)
{
    Pt d = sub(b, a);
    double l = sqrt(dot(d, d));
    Pt u = l > 0 ? (Pt){d.x / l, d.y / l} : (Pt){1, 0}, n = {-u.y, u.x};
    double g = r + 1;
    sh->part[sh->n_parts++] = (Part){.kind = CAPSULE, .a = a, .b = b, .r = r};
    sh->hull[0] = (Pt){a.x - u.x * g + n.x * g, a.y - u.y * g + n.y * g};
    sh->hull[1] = (Pt){b.x + u.x * g + n.x * g, b.y + u.y * g + n.y * g};
    sh->hull[2] = (Pt){b.x + u.x * g - n.x * g, b.y + u.y * g - n.y * g};
    sh->hull[3] = (Pt){a.x - u.x * g - n.x * g, a.y - u.y * g - n.y * g};
    sh->n_hull = 4;
}

void sl_canvas_smooth_line(SlCanvas *c, double x0, double y0, double x1, double y1, double width,
                           SlColor color)
{
    Shape sh = {0};
    double w = width > 0 ? fmin(width * c->scale, 1e15) : c->scale;
    capsule(&sh, (Pt){px(c, x0), px(c, y0)}, (Pt){px(c, x1), px(c, y1)}, w / 2);
    paint(c, &sh, color);
}

void sl_canvas_smooth_arrow(SlCanvas *c, double x0, double y0, double x1, double y1, double width,
                            double head, SlColor color)
{
    Pt a = {px(c, x0), px(c, y0)}, tip = {px(c, x1), px(c, y1)}, d = sub(tip, a);
    double w = fmin((width > 0 ? width : 1) * c->scale, 1e15);
    double hl = fmin((head > 0 ? head : 0) * c->scale, 1e15);
    double l = sqrt(dot(d, d));
    if (hl <= 0 || l == 0) {
        sl_canvas_smooth_line(c, x0, y0, x1, y1, width, color);
        return;
    }
    hl = hl < l ? hl : l;
    Pt u = {d.x / l, d.y / l}, n = {-u.y, u.x};
    double hw = fmax(hl * 0.45, w); /* the head's half width */
    Pt base = {tip.x - u.x * hl, tip.y - u.y * hl};
    Pt b1 = {base.x + n.x * hw, base.y + n.y * hw}, b2 = {base.x - n.x * hw, base.y - n.y * hw};
    Shape sh = {0};
    /* The shaft stops inside the head, so a thick pen never pokes out past the tip. */
    Pt end = {base.x + u.x * fmin(hl / 2, w / 2), base.y + u.y * fmin(hl / 2, w / 2)};
    capsule(&sh, a, l > hl ? end : a, w / 2);
    sh.part[sh.n_parts++] = (Part){.kind = TRIANGLE, .a = tip, .b = b1, .c = b2};
    /* The hull: the shaft's, widened at the head's end to the head's corners. */
    double g = w / 2 + 1, gh = hw + 1;
    sh.hull[0] = (Pt){a.x - u.x * g + n.x * g, a.y - u.y * g + n.y * g};
    sh.hull[1] = (Pt){base.x - u.x + n.x * gh, base.y - u.y + n.y * gh};
    sh.hull[2] = (Pt){tip.x + u.x * 2 + n.x, tip.y + u.y * 2 + n.y};
    sh.hull[3] = (Pt){tip.x + u.x * 2 - n.x, tip.y + u.y * 2 - n.y};
    sh.hull[4] = (Pt){base.x - u.x - n.x * gh, base.y - u.y - n.y * gh};
    sh.hull[5] = (Pt){a.x - u.x * g - n.x * g, a.y - u.y * g - n.y * g};
    sh.n_hull = 6;
    paint(c, &sh, color);
}

void sl_canvas_smooth_triangle(SlCanvas *c, double x0, double y0, double x1, double y1, double x2,
                               double y2, SlColor color)
{
    Pt a = {px(c, x0), px(c, y0)}, b = {px(c, x1), px(c, y1)}, t = {px(c, x2), px(c, y2)};
    Shape sh = {0};
    sh.part[sh.n_parts++] = (Part){.kind = TRIANGLE, .a = a, .b = b, .c = t};
    add_box_hull(&sh, fmin(a.x, fmin(b.x, t.x)), fmin(a.y, fmin(b.y, t.y)),
                 fmax(a.x, fmax(b.x, t.x)), fmax(a.y, fmax(b.y, t.y)));
    paint(c, &sh, color);
}

static void round_box(SlCanvas *c, double x, double y, double w, double h, double radius,
                      double stroke, SlColor color)
{
    if (!(w > 0 && h > 0))
        return;
    double x0 = px(c, x), y0 = px(c, y), x1 = px(c, x + w), y1 = px(c, y + h);
    double hw = (x1 - x0) / 2, hh = (y1 - y0) / 2, r = fmin(radius * c->scale, 1e15);
    r = r < 0 ? 0 : r > fmin(hw, hh) ? fmin(hw, hh) : r;
    Shape sh = {0};
    sh.part[sh.n_parts++] = (Part){.kind = ROUND_BOX,
                                   .a = {(x0 + x1) / 2, (y0 + y1) / 2},
                                   .r = r,
                                   .hw = hw,
                                   .hh = hh,
                                   .stroke = stroke * c->scale};
    add_box_hull(&sh, x0, y0, x1, y1);
    if (stroke > 0) { /* inside the frame, a pixel in from its inner edge, nothing */
        double in = stroke * c->scale + r + 1;
        sh.hole = (Rect){x0 + in, y0 + in, x1 - in, y1 - in};
        sh.has_hole = 1;
    } else { /* the box less its rounded corners, a pixel in from the edge, is covered */
        sh.solid[0] = (Rect){x0 + r + 1, y0 + 1, x1 - r - 1, y1 - 1};
        sh.solid[1] = (Rect){x0 + 1, y0 + r + 1, x1 - 1, y1 - r - 1};
        sh.n_solid = 2;
    }
    paint(c, &sh, color);
}

void sl_canvas_round_rect(SlCanvas *c, double x, double y, double w, double h, double radius,
                          SlColor color)
{
    round_box(c, x, y, w, h, radius, 0, color);
}

void sl_canvas_round_frame(SlCanvas *c, double x, double y, double w, double h, double radius,
                           double width, SlColor color)
{
    round_box(c, x, y, w, h, radius, width > 0 ? width : 1, color);
}

static void disc(SlCanvas *c, double cx, double cy, double r, double stroke, SlColor color)
{
    double x = px(c, cx), y = px(c, cy), rr = fmin(r * c->scale, 1e15);
    if (!(rr > 0))
        return;
    Shape sh = {0};
    sh.part[sh.n_parts++] =
        (Part){.kind = CIRCLE, .a = {x, y}, .r = rr, .stroke = stroke * c->scale};
    add_box_hull(&sh, x - rr, y - rr, x + rr, y + rr);
    double in = (rr - (stroke > 0 ? stroke * c->scale : 0)) * 0.7071 - 1; /* an inner square */
    if (in > 0 && stroke > 0)
        sh.hole = (Rect){x - in, y - in, x + in, y + in}, sh.has_hole = 1;
    in = rr * 0.7071 - 1;
    if (in > 0 && !(stroke > 0))
        sh.solid[0] = (Rect){x - in, y - in, x + in, y + in}, sh.n_solid = 1;
    paint(c, &sh, color);
}

void sl_canvas_circle(SlCanvas *c, double cx, double cy, double r, SlColor color)
{
    disc(c, cx, cy, r, 0, color);
}

void sl_canvas_ring(SlCanvas *c, double cx, double cy, double r, double width, SlColor color)
{
    disc(c, cx, cy, r, width > 0 ? width : 1, color);
}
