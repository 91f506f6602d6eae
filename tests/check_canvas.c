/* check_canvas.c: the visualizer's canvas: primitives pixel by pixel, clipping, blending, text,
 * the record, the hash and PNG export.
 *
 * Primitives are checked on small canvases pixel by pixel; a few composed scenes are also pinned
 * by their hash, which only guards against accidental change (the pixel checks say what is
 * right). Set SL_CANVAS_DEMO=/some/file.png to keep the demo picture for a look.
 */
#include "testutil.h"

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "canvas.h"

/* The test reads PNGs back with stb_image, and measures text against the embedded fonts' own
 * metrics read with stb_truetype (its functions private to this file). */
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBTT_STATIC
#define STB_TRUETYPE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-braces"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wshadow"
#include <stb/stb_image.h>
#include <stb/stb_truetype.h>
#pragma GCC diagnostic pop

#include "apng_read.h"
#include "fonts.h"

#define tmp_path tu_tmp_path

static const SlColor RED = {255, 0, 0, 255};

/* A w x h canvas, all white. */
static void make(SlCanvas *c, int w, int h)
{
    SlError e = {{0}};
    ck_assert_msg(sl_canvas_init(c, w, h, &e) == 0, "%s", e.msg);
    sl_canvas_clear(c, SL_WHITE);
}

static SlColor at(const SlCanvas *c, int x, int y)
{
    const uint8_t *p = c->rgba + ((size_t)y * c->w + x) * 4;
    return (SlColor){p[0], p[1], p[2], p[3]};
}

static int same(SlColor a, SlColor b)
{
    return a.r == b.r && a.g == b.g && a.b == b.b && a.a == b.a;
}

static int is(const SlCanvas *c, int x, int y, SlColor col)
{
    return same(at(c, x, y), col);
}

static int count(const SlCanvas *c, SlColor col)
{
    int n = 0;
    for (int y = 0; y < c->h; y++)
        for (int x = 0; x < c->w; x++)
            n += is(c, x, y, col);
    return n;
}

/* The box [x0, x1) x [y0, y1) of pixels that are not `bg`; returns how many there are. */
static int ink_box(const SlCanvas *c, SlColor bg, int *x0, int *y0, int *x1, int *y1)
{
    int n = 0;
    *x0 = *y0 = INT_MAX;
    *x1 = *y1 = INT_MIN;
    for (int y = 0; y < c->h; y++)
        for (int x = 0; x < c->w; x++)
            if (!is(c, x, y, bg)) {
                n++;
                *x0 = x < *x0 ? x : *x0;
                *y0 = y < *y0 ? y : *y0;
                *x1 = x + 1 > *x1 ? x + 1 : *x1;
                *y1 = y + 1 > *y1 ? y + 1 : *y1;
            }
    return n;
}

/* Every pixel is `col` exactly where want(x, y) says so, white elsewhere. */
static void assert_pattern(const SlCanvas *c, SlColor col, int (*want)(int x, int y),
                           const char *what)
{
    for (int y = 0; y < c->h; y++)
        for (int x = 0; x < c->w; x++) {
            SlColor expect = want(x, y) ? col : SL_WHITE;
            ck_assert_msg(is(c, x, y, expect), "%s: pixel (%d, %d) is %d,%d,%d,%d", what, x, y,
                          at(c, x, y).r, at(c, x, y).g, at(c, x, y).b, at(c, x, y).a);
        }
}

/* ---- the canvas itself ---- */

START_TEST(test_init_and_resize)
{
    SlCanvas c;
    SlError e = {{0}};
    ck_assert_int_eq(sl_canvas_init(&c, 0, 5, &e), -1);
    ck_assert_msg(strstr(e.msg, "at least 1"), "%s", e.msg);
    ck_assert_ptr_null(c.rgba);
    sl_canvas_free(&c);

    ck_assert_int_eq(sl_canvas_init(&c, 7, 5, &e), 0);
    ck_assert_int_eq(c.recording, 1);
    ck_assert_int_eq(count(&c, SL_PAPER), 35); /* a new canvas is paper */
    ck_assert(c.clip_x0 == 0 && c.clip_y0 == 0 && c.clip_x1 == 7 && c.clip_y1 == 5);
    sl_canvas_clip(&c, 1, 1, 2, 2);
    sl_canvas_record(&c, SL_ITEM_WIDGET, 0, 0, 1, 1, SL_ROLE_INPUT, 0, "x");
    ck_assert_int_eq(sl_canvas_resize(&c, 9, 4, &e), 0);
    ck_assert(c.w == 9 && c.h == 4 && c.n_items == 0);
    ck_assert(c.clip_x0 == 0 && c.clip_y0 == 0 && c.clip_x1 == 9 && c.clip_y1 == 4);
    ck_assert_int_eq(count(&c, SL_PAPER), 36);
    /* A failed resize keeps the canvas as it was. */
    ck_assert_int_eq(sl_canvas_resize(&c, -1, 4, &e), -1);
    ck_assert(c.w == 9 && c.h == 4 && c.rgba);
    sl_canvas_free(&c);
    sl_canvas_free(&c); /* freeing twice is harmless */
}
END_TEST

START_TEST(test_roles)
{
    static const char *names[] = {"none",   "input",    "weight", "state",
                                  "output", "gradient", "mask",   "padding"};
    static const uint32_t rgb[] = {0x222222, 0x0072B2, 0xE69F00, 0x009E73,
                                   0xD55E00, 0xCC79A7, 0x555555, 0x56B4E9};
    for (int r = 0; r < SL_ROLE_COUNT; r++) {
        SlColor col = sl_role_color((SlRole)r);
        ck_assert_str_eq(sl_role_name((SlRole)r), names[r]);
        ck_assert_uint_eq(((uint32_t)col.r << 16) | ((uint32_t)col.g << 8) | col.b, rgb[r]);
        ck_assert_uint_eq(col.a, 255);
    }
    ck_assert_str_eq(sl_role_name(SL_ROLE_COUNT), "?");
    ck_assert(same(SL_PAPER, (SlColor){0xFA, 0xFA, 0xF7, 0xFF}));
    ck_assert(same(SL_HIGHLIGHT, (SlColor){0xF0, 0xE4, 0x42, 0xFF}));
    ck_assert(same(SL_INK, (SlColor){0x22, 0x22, 0x22, 0xFF}));
    ck_assert(same(SL_GRID, (SlColor){0xCC, 0xCC, 0xCC, 0xFF}));
}
END_TEST

/* ---- primitives, pixel by pixel ---- */

/* CIELAB distance between two sRGB colours (D65). */
static double lab_distance(SlColor a, SlColor b)
{
    double lab[2][3];
    SlColor c[2] = {a, b};
    for (int k = 0; k < 2; k++) {
        double l[3], v[3] = {c[k].r / 255.0, c[k].g / 255.0, c[k].b / 255.0};
        for (int i = 0; i < 3; i++)
            l[i] = v[i] <= 0.04045 ? v[i] / 12.92 : pow((v[i] + 0.055) / 1.055, 2.4);
        double X = (0.4124 * l[0] + 0.3576 * l[1] + 0.1805 * l[2]) / 0.95047;
        double Y = 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2];
        double Z = (0.0193 * l[0] + 0.1192 * l[1] + 0.9505 * l[2]) / 1.08883;
        double f[3] = {X, Y, Z};
        for (int i = 0; i < 3; i++)
            f[i] = f[i] > 0.008856 ? cbrt(f[i]) : 7.787 * f[i] + 16.0 / 116;
        lab[k][0] = 116 * f[1] - 16, lab[k][1] = 500 * (f[0] - f[1]),
        lab[k][2] = 200 * (f[1] - f[2]);
    }
    double d0 = lab[0][0] - lab[1][0], d1 = lab[0][1] - lab[1][1], d2 = lab[0][2] - lab[1][2];
    return sqrt(d0 * d0 + d1 * d1 + d2 * d2);
}

/* The role colours stay apart for viewers with the common colour-vision deficiencies: any two
 * roles drawn as fills differ by at least 15 in CIELAB after the simulation (clearly different; 2
 * is barely visible). Greys stay grey under every simulation. */
START_TEST(test_palette_colour_blind)
{
    static const SlRole fills[] = {SL_ROLE_INPUT,    SL_ROLE_WEIGHT,  SL_ROLE_STATE, SL_ROLE_OUTPUT,
                                   SL_ROLE_GRADIENT, SL_ROLE_PADDING, SL_ROLE_MASK};
    enum { N = sizeof fills / sizeof fills[0] };
    for (int v = SL_VISION_DEUTERANOPIA; v <= SL_VISION_TRITANOPIA; v++) {
        double nearest = 1e9;
        for (int i = 0; i < N; i++)
            for (int j = i + 1; j < N; j++) {
                SlColor a = sl_color_as_seen(sl_role_color(fills[i]), (SlVision)v);
                SlColor b = sl_color_as_seen(sl_role_color(fills[j]), (SlVision)v);
                double d = lab_distance(a, b);
                ck_assert_msg(d >= 15, "vision %d: %s and %s are %.1f apart", v,
                              sl_role_name(fills[i]), sl_role_name(fills[j]), d);
                nearest = d < nearest ? d : nearest;
            }
        ck_assert(nearest < 40); /* the simulation changes something */
        SlColor g = sl_color_as_seen((SlColor){0x80, 0x80, 0x80, 200}, (SlVision)v);
        ck_assert(abs(g.r - 0x80) <= 2 && abs(g.g - 0x80) <= 2 && abs(g.b - 0x80) <= 2 &&
                  g.a == 200);
    }
    /* without the simulation the roles are further apart still */
    ck_assert(
        lab_distance(sl_role_color(SL_ROLE_WEIGHT), sl_role_color(SL_ROLE_OUTPUT)) >
        lab_distance(sl_color_as_seen(sl_role_color(SL_ROLE_WEIGHT), SL_VISION_DEUTERANOPIA),
                     sl_color_as_seen(sl_role_color(SL_ROLE_OUTPUT), SL_VISION_DEUTERANOPIA)));
}
END_TEST

START_TEST(test_fill_rect)
{
    SlCanvas c;
    make(&c, 16, 12);
    sl_canvas_fill_rect(&c, 2, 3, 5, 4, RED);
    ck_assert_int_eq(count(&c, RED), 20);
    ck_assert(is(&c, 2, 3, RED) && is(&c, 6, 3, RED) && is(&c, 2, 6, RED) && is(&c, 6, 6, RED));
    ck_assert(is(&c, 7, 3, SL_WHITE) && is(&c, 2, 7, SL_WHITE) && is(&c, 1, 3, SL_WHITE) &&
              is(&c, 2, 2, SL_WHITE));
    /* Zero and negative sizes draw nothing. */
    uint64_t before = sl_canvas_hash(&c);
    sl_canvas_fill_rect(&c, 5, 5, 0, 3, SL_BLACK);
    sl_canvas_fill_rect(&c, 5, 5, 3, -2, SL_BLACK);
    sl_canvas_fill_rect(&c, 5, 5, -3, -3, SL_BLACK);
    sl_canvas_rect(&c, 5, 5, 0, 0, 1, SL_BLACK);
    sl_canvas_hatch(&c, 5, 5, -1, 4, 2, SL_BLACK);
    ck_assert(sl_canvas_hash(&c) == before);
    /* A single pixel. */
    sl_canvas_pixel(&c, 15, 11, SL_BLACK);
    sl_canvas_pixel(&c, 16, 11, SL_BLACK);
    sl_canvas_pixel(&c, -1, 0, SL_BLACK);
    ck_assert_int_eq(count(&c, SL_BLACK), 1);
    ck_assert(is(&c, 15, 11, SL_BLACK));
    sl_canvas_free(&c);
}
END_TEST

static int want_outline1(int x, int y)
{
    return x >= 1 && x < 7 && y >= 1 && y < 6 && (x == 1 || x == 6 || y == 1 || y == 5);
}

static int want_outline2(int x, int y)
{
    int in = x >= 1 && x < 9 && y >= 1 && y < 7;
    int hole = x >= 3 && x < 7 && y >= 3 && y < 5;
    return in && !hole;
}

START_TEST(test_rect_outline)
{
    SlCanvas c;
    make(&c, 16, 12);
    sl_canvas_rect(&c, 1, 1, 6, 5, 1, RED);
    ck_assert_int_eq(count(&c, RED), 2 * 6 + 2 * 3);
    assert_pattern(&c, RED, want_outline1, "outline, thickness 1");

    sl_canvas_clear(&c, SL_WHITE);
    sl_canvas_rect(&c, 1, 1, 8, 6, 2, RED);
    ck_assert_int_eq(count(&c, RED), 8 * 6 - 4 * 2);
    assert_pattern(&c, RED, want_outline2, "outline, thickness 2");

    /* Thicker than half the rectangle: a filled rectangle. Thickness 0 means 1. */
    sl_canvas_clear(&c, SL_WHITE);
    sl_canvas_rect(&c, 2, 2, 5, 4, 3, RED);
    ck_assert_int_eq(count(&c, RED), 20);
    sl_canvas_clear(&c, SL_WHITE);
    sl_canvas_rect(&c, 1, 1, 6, 5, 0, RED);
    assert_pattern(&c, RED, want_outline1, "outline, thickness 0");

    /* Half transparent: every outline pixel is blended exactly once, corners too. */
    sl_canvas_clear(&c, SL_WHITE);
    SlColor half = {0, 0, 0, 128};
    sl_canvas_rect(&c, 1, 1, 8, 6, 2, half);
    ck_assert_int_eq(count(&c, (SlColor){127, 127, 127, 255}), 40);
    sl_canvas_free(&c);
}
END_TEST

static int want_hline(int x, int y)
{
    return y == 5 && x >= 2 && x <= 10;
}

static int want_vline(int x, int y)
{
    return x == 3 && y >= 1 && y <= 9;
}

static int want_diag(int x, int y)
{
    return x == y && x <= 7;
}

/* (0, 0) to (6, 3): y = round(x / 2), halves up. */
static int want_shallow(int x, int y)
{
    static const int ys[] = {0, 1, 1, 2, 2, 3, 3};
    return x <= 6 && ys[x] == y;
}

static int want_thick2(int x, int y)
{
    return y >= 5 && y <= 6 && x >= 2 && x <= 11;
}

static int want_thick3(int x, int y)
{
    return y >= 4 && y <= 6 && x >= 1 && x <= 11;
}

START_TEST(test_lines)
{
    SlCanvas c;
    make(&c, 16, 12);
    sl_canvas_line(&c, 2, 5, 10, 5, 1, RED);
    assert_pattern(&c, RED, want_hline, "horizontal line");
    sl_canvas_clear(&c, SL_WHITE);
    sl_canvas_line(&c, 10, 5, 2, 5, 1, RED);
    assert_pattern(&c, RED, want_hline, "horizontal line, backwards");

    sl_canvas_clear(&c, SL_WHITE);
    sl_canvas_line(&c, 3, 9, 3, 1, 1, RED);
    assert_pattern(&c, RED, want_vline, "vertical line");

    sl_canvas_clear(&c, SL_WHITE);
    sl_canvas_line(&c, 0, 0, 7, 7, 1, RED);
    assert_pattern(&c, RED, want_diag, "diagonal line");

    sl_canvas_clear(&c, SL_WHITE);
    sl_canvas_line(&c, 0, 0, 6, 3, 1, RED);
    assert_pattern(&c, RED, want_shallow, "shallow line");
    sl_canvas_clear(&c, SL_WHITE);
    sl_canvas_line(&c, 6, 3, 0, 0, 1, RED);
    assert_pattern(&c, RED, want_shallow, "shallow line, backwards");

    /* A point is one pixel. The pen is square: thickness 2 covers the path's pixel and the next
     * one along both axes (so one more column at the end), 3 is centred on it. */
    sl_canvas_clear(&c, SL_WHITE);
    sl_canvas_line(&c, 4, 4, 4, 4, 1, RED);
    ck_assert_int_eq(count(&c, RED), 1);
    ck_assert(is(&c, 4, 4, RED));
    sl_canvas_clear(&c, SL_WHITE);
    sl_canvas_line(&c, 2, 5, 10, 5, 2, RED);
    assert_pattern(&c, RED, want_thick2, "line of thickness 2");
    sl_canvas_clear(&c, SL_WHITE);
    sl_canvas_line(&c, 2, 5, 10, 5, 3, RED);
    assert_pattern(&c, RED, want_thick3, "line of thickness 3");

    /* A thick, half-transparent diagonal has one even tone: no pixel is blended twice. */
    sl_canvas_clear(&c, SL_WHITE);
    sl_canvas_line(&c, 2, 1, 12, 9, 3, (SlColor){0, 0, 0, 128});
    int x0, y0, x1, y1;
    int n = ink_box(&c, SL_WHITE, &x0, &y0, &x1, &y1);
    ck_assert_int_gt(n, 30);
    ck_assert_int_eq(count(&c, (SlColor){127, 127, 127, 255}), n);
    ck_assert(x0 == 1 && y0 == 0 && x1 == 14 && y1 == 11);
    sl_canvas_free(&c);
}
END_TEST

static int want_clipped(int x, int y)
{
    return x >= 4 && x < 10 && y >= 4 && y < 9;
}

START_TEST(test_clipping)
{
    SlCanvas c;
    make(&c, 16, 16);
    /* A rectangle half outside, at each corner. */
    sl_canvas_fill_rect(&c, -5, -5, 10, 10, RED);
    ck_assert_int_eq(count(&c, RED), 25);
    sl_canvas_fill_rect(&c, 10, 12, 100, 100, RED);
    ck_assert_int_eq(count(&c, RED), 25 + 6 * 4);

    /* A line from far outside through the canvas: exactly the diagonal. */
    sl_canvas_clear(&c, SL_WHITE);
    sl_canvas_line(&c, -100, -100, 200, 200, 1, RED);
    ck_assert_int_eq(count(&c, RED), 16);
    for (int i = 0; i < 16; i++)
        ck_assert(is(&c, i, i, RED));

    /* Huge coordinates do not crash and do not wrap around. */
    sl_canvas_clear(&c, SL_WHITE);
    sl_canvas_line(&c, INT_MIN, INT_MIN, INT_MAX, INT_MAX, 1, RED);
    ck_assert_int_eq(count(&c, RED), 16);
    ck_assert(is(&c, 0, 0, RED) && is(&c, 15, 15, RED));
    sl_canvas_clear(&c, SL_WHITE);
    sl_canvas_fill_rect(&c, INT_MIN, INT_MIN, INT_MAX, INT_MAX, RED);
    sl_canvas_fill_rect(&c, INT_MAX - 1, 0, INT_MAX, 5, RED);
    sl_canvas_rect(&c, INT_MAX - 3, INT_MAX - 3, INT_MAX, INT_MAX, INT_MAX, RED);
    sl_canvas_line(&c, INT_MIN, 3, INT_MIN + 5, 3, INT_MAX, RED);
    sl_canvas_line(&c, 20, -5, INT_MAX, INT_MIN, 7, RED);
    sl_canvas_hatch(&c, INT_MIN, 0, 10, 10, INT_MIN, RED);
    sl_canvas_fill_triangle(&c, INT_MIN, INT_MIN, INT_MAX, INT_MIN, 0, INT_MIN, RED);
    sl_canvas_arrow(&c, INT_MIN, INT_MIN, INT_MIN, INT_MAX, INT_MAX, INT_MAX, RED);
    sl_canvas_text(&c, INT_MAX - 10, INT_MAX - 10, "overflow?", (SlTextStyle)INT_MAX, RED);
    sl_canvas_text(&c, INT_MIN, INT_MIN, "overflow?", (SlTextStyle)INT_MIN, RED);
    sl_canvas_text_aligned(&c, INT_MIN, 3, SL_ALIGN_RIGHT, "overflow?", SL_TEXT_TITLE, RED);
    sl_canvas_text_aligned(&c, INT_MAX, 3, SL_ALIGN_CENTER, "overflow?", SL_TEXT_TITLE, RED);
    sl_canvas_smooth_line(&c, -1e300, -1e300, 1e300, -1e300, 100, RED);
    sl_canvas_smooth_line(&c, 1e300, 1e300, INFINITY, NAN, 5, RED);
    sl_canvas_smooth_arrow(&c, NAN, 0, 5, NAN, 3, 9, RED);
    sl_canvas_round_rect(&c, INT_MIN, INT_MIN, 1e30, -1, 5, RED);
    sl_canvas_circle(&c, 1e12, 1e12, 1e11, RED);
    ck_assert_int_eq(count(&c, RED), 0);
    /* ... and rectangles bigger than everything cover everything. */
    sl_canvas_fill_rect(&c, -1000000000, -1000000000, 2000000000, 2000000000, RED);
    ck_assert_int_eq(count(&c, RED), 256);
    sl_canvas_clear(&c, SL_WHITE);
    sl_canvas_fill_triangle(&c, -1000000000, -1000000000, 2000000000, -1000000000, -1000000000,
                            2000000000, RED);
    ck_assert_int_eq(count(&c, RED), 256);

    /* The clip rectangle limits every primitive. */
    sl_canvas_clear(&c, SL_WHITE);
    sl_canvas_clip(&c, 4, 4, 6, 5);
    sl_canvas_fill_rect(&c, -10, -10, 100, 100, RED);
    assert_pattern(&c, RED, want_clipped, "fill in a clip");
    sl_canvas_clear(&c, SL_WHITE);
    sl_canvas_line(&c, 0, 0, 15, 15, 5, RED);
    sl_canvas_line(&c, 15, 0, 0, 15, 5, RED);
    sl_canvas_hatch(&c, 0, 0, 16, 16, 1, RED);
    sl_canvas_fill_triangle(&c, 0, 0, 15, 0, 7, 15, RED);
    sl_canvas_arrow(&c, 0, 6, 15, 6, 3, 6, RED);
    sl_canvas_text(&c, 0, 0, "WWWW\nWWWW", SL_TEXT_TITLE, RED);
    sl_canvas_smooth_line(&c, 0, 0, 15, 15, 4, RED);
    sl_canvas_smooth_arrow(&c, 15, 0, 0, 15, 3, 8, RED);
    sl_canvas_round_rect(&c, -3, -3, 30, 30, 6, RED);
    sl_canvas_ring(&c, 8, 8, 9, 3, RED);
    sl_canvas_rect(&c, 0, 0, 16, 16, 6, RED);
    assert_pattern(&c, RED, want_clipped, "everything in a clip");
    /* An empty clip draws nothing; a negative size lifts the clip. */
    sl_canvas_clear(&c, SL_WHITE);
    sl_canvas_clip(&c, 4, 4, 0, 5);
    sl_canvas_fill_rect(&c, 0, 0, 16, 16, RED);
    ck_assert_int_eq(count(&c, RED), 0);
    sl_canvas_clip(&c, 0, 0, -1, -1);
    sl_canvas_fill_rect(&c, 0, 0, 16, 16, RED);
    ck_assert_int_eq(count(&c, RED), 256);
    /* A clip reaching outside the canvas is cut to it. */
    sl_canvas_clip(&c, -5, 10, 100, 100);
    ck_assert(c.clip_x0 == 0 && c.clip_y0 == 10 && c.clip_x1 == 16 && c.clip_y1 == 16);
    sl_canvas_free(&c);
}
END_TEST

/* A coordinate for the random test: mostly near the canvas, sometimes anywhere in int. */
static int any_coord(uint64_t *st)
{
    *st = *st * 6364136223846793005ULL + 1442695040888963407ULL;
    uint32_t r = (uint32_t)(*st >> 32);
    switch (r % 8) {
    case 0:
        return (int)r; /* anything */
    case 1:
        return r & 1 ? INT_MAX - (int)(r >> 28) : INT_MIN + (int)(r >> 28);
    default:
        return (int)(r >> 8) % 60 - 20;
    }
}

/* Thousands of primitives with random arguments inside a clip: nothing outside it changes. */
START_TEST(test_random_clip)
{
    SlCanvas c;
    make(&c, 23, 17);
    uint64_t st = 12345;
    long inked = 0;
    for (int round = 0; round < 40; round++) {
        sl_canvas_clear(&c, SL_WHITE);
        int cx = any_coord(&st) % 12, cy = any_coord(&st) % 9;
        int cw = any_coord(&st) % 14, ch = any_coord(&st) % 12;
        sl_canvas_clip(&c, cx, cy, cw, ch);
        int x0 = c.clip_x0, y0 = c.clip_y0, x1 = c.clip_x1, y1 = c.clip_y1;
        for (int k = 0; k < 100; k++) {
            int a[8];
            for (int i = 0; i < 8; i++)
                a[i] = any_coord(&st);
            SlColor col = {(uint8_t)a[0], (uint8_t)a[1], (uint8_t)a[2], (uint8_t)(a[3] | 1)};
            switch (k % 10) {
            case 0:
                sl_canvas_fill_rect(&c, a[0], a[1], a[2], a[3], col);
                break;
            case 1:
                sl_canvas_rect(&c, a[0], a[1], a[2], a[3], a[4] % 5, col);
                break;
            case 2:
                sl_canvas_line(&c, a[0], a[1], a[2], a[3], a[4] % 6, col);
                break;
            case 3:
                sl_canvas_hatch(&c, a[0], a[1], a[2], a[3], a[4] % 7, col);
                break;
            case 4:
                sl_canvas_fill_triangle(&c, a[0], a[1], a[2], a[3], a[4], a[5], col);
                break;
            case 5:
                sl_canvas_arrow(&c, a[0], a[1], a[2], a[3], a[4] % 4, a[5] % 12, col);
                break;
            case 6:
                sl_canvas_text(&c, a[0], a[1], "Ag\n(3)", (SlTextStyle)(a[2] % 8), col);
                break;
            case 7:
                sl_canvas_smooth_arrow(&c, a[0] / 3.0, a[1] / 7.0, a[2], a[3], a[4] % 5, a[5] % 9,
                                       col);
                break;
            case 8:
                sl_canvas_round_frame(&c, a[0], a[1], a[2] / 2.0, a[3], a[4] % 7, a[5] % 4, col);
                break;
            default:
                sl_canvas_pixel(&c, a[0], a[1], col);
                break;
            }
        }
        for (int y = 0; y < c.h; y++)
            for (int x = 0; x < c.w; x++)
                if (x < x0 || x >= x1 || y < y0 || y >= y1)
                    ck_assert_msg(is(&c, x, y, SL_WHITE), "round %d: (%d, %d) outside the clip",
                                  round, x, y);
        inked += c.w * c.h - count(&c, SL_WHITE);
    }
    ck_assert_int_gt(inked, 1000); /* the test did draw */
    sl_canvas_free(&c);
}
END_TEST

START_TEST(test_alpha)
{
    SlCanvas c;
    make(&c, 4, 4);
    /* 50% grey over white: (128 * 128 + 255 * 127) / 255, rounded, is 191.7 -> 191 (the
     * rounding is (v + 127) / 255). The canvas stays opaque. */
    sl_canvas_fill_rect(&c, 0, 0, 2, 2, (SlColor){128, 128, 128, 128});
    ck_assert(is(&c, 0, 0, ((SlColor){191, 191, 191, 255})));
    ck_assert(is(&c, 2, 2, SL_WHITE));
    /* Twice over is darker again; fully transparent changes nothing; opaque replaces. */
    sl_canvas_fill_rect(&c, 0, 0, 1, 1, (SlColor){128, 128, 128, 128});
    ck_assert(is(&c, 0, 0, ((SlColor){159, 159, 159, 255}))); /* 159.9 */
    sl_canvas_fill_rect(&c, 0, 0, 4, 4, (SlColor){0, 0, 0, 0});
    ck_assert(is(&c, 3, 3, SL_WHITE));
    sl_canvas_fill_rect(&c, 0, 0, 4, 4, RED);
    ck_assert_int_eq(count(&c, RED), 16);
    /* Over a transparent canvas the alpha channel composites too. */
    sl_canvas_clear(&c, (SlColor){0, 0, 0, 0});
    sl_canvas_pixel(&c, 1, 1, (SlColor){255, 255, 255, 128});
    ck_assert(is(&c, 1, 1, ((SlColor){128, 128, 128, 128})));
    sl_canvas_free(&c);
}
END_TEST

static int want_hatch4(int x, int y)
{
    return ((x - y) % 4 + 4) % 4 == 0;
}

static int want_hatch3_in(int x, int y)
{
    return x >= 3 && x < 8 && y >= 2 && y < 7 && ((x - y) % 3 + 3) % 3 == 0;
}

START_TEST(test_hatch)
{
    SlCanvas c;
    make(&c, 16, 12);
    sl_canvas_hatch(&c, 0, 0, 16, 12, 4, RED);
    assert_pattern(&c, RED, want_hatch4, "hatch every 4");
    sl_canvas_clear(&c, SL_WHITE);
    sl_canvas_hatch(&c, 3, 2, 5, 5, 3, RED);
    assert_pattern(&c, RED, want_hatch3_in, "hatch every 3 in a rectangle");
    /* Two neighbouring hatched cells continue each other's lines. */
    sl_canvas_clear(&c, SL_WHITE);
    sl_canvas_hatch(&c, 0, 0, 8, 12, 4, RED);
    sl_canvas_hatch(&c, 8, 0, 8, 12, 4, RED);
    assert_pattern(&c, RED, want_hatch4, "hatch in two halves");
    sl_canvas_free(&c);
}
END_TEST

static int want_corner(int x, int y)
{
    return x + y <= 4;
}

START_TEST(test_triangle)
{
    SlCanvas c;
    make(&c, 16, 12);
    /* A right triangle: on row y it spans x = 0 .. 4 - y, edges included. */
    sl_canvas_fill_triangle(&c, 0, 0, 4, 0, 0, 4, RED);
    assert_pattern(&c, RED, want_corner, "right triangle");
    ck_assert_int_eq(count(&c, RED), 15);

    /* Any triangle: its vertices and centroid are in, nothing outside its bounding box. */
    int v[6] = {2, 2, 13, 4, 5, 10};
    int order[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    uint64_t first = 0;
    for (int k = 0; k < 6; k++) {
        sl_canvas_clear(&c, SL_WHITE);
        int *a = v + 2 * order[k][0], *b = v + 2 * order[k][1], *d = v + 2 * order[k][2];
        sl_canvas_fill_triangle(&c, a[0], a[1], b[0], b[1], d[0], d[1], RED);
        ck_assert(is(&c, 2, 2, RED) && is(&c, 13, 4, RED) && is(&c, 5, 10, RED));
        ck_assert(is(&c, (2 + 13 + 5) / 3, (2 + 4 + 10) / 3, RED));
        int x0, y0, x1, y1;
        ink_box(&c, SL_WHITE, &x0, &y0, &x1, &y1);
        ck_assert(x0 == 2 && y0 == 2 && x1 == 14 && y1 == 11);
        /* The vertex order does not change a pixel. */
        if (k == 0)
            first = sl_canvas_hash(&c);
        ck_assert(sl_canvas_hash(&c) == first);
    }
    /* Degenerate triangles: a point and a segment still show. */
    sl_canvas_clear(&c, SL_WHITE);
    sl_canvas_fill_triangle(&c, 3, 3, 3, 3, 3, 3, RED);
    ck_assert_int_eq(count(&c, RED), 1);
    sl_canvas_clear(&c, SL_WHITE);
    sl_canvas_fill_triangle(&c, 1, 7, 9, 7, 5, 7, RED);
    ck_assert_int_eq(count(&c, RED), 9);
    sl_canvas_free(&c);
}
END_TEST

START_TEST(test_arrow)
{
    SlCanvas c;
    make(&c, 16, 12);
    /* Right: the shaft, then a head of length 5 whose tip is (14, 6) and nothing beyond. */
    sl_canvas_arrow(&c, 1, 6, 14, 6, 1, 5, RED);
    ck_assert(is(&c, 14, 6, RED) && is(&c, 1, 6, RED) && is(&c, 5, 6, RED));
    ck_assert(is(&c, 15, 6, SL_WHITE) && is(&c, 0, 6, SL_WHITE));
    /* The head is wider than the shaft and symmetric about it. */
    ck_assert(is(&c, 9, 4, RED) && is(&c, 9, 8, RED) && is(&c, 5, 5, SL_WHITE));
    for (int x = 0; x < 16; x++)
        for (int d = 1; d < 6; d++)
            ck_assert(is(&c, x, 6 - d, RED) == is(&c, x, 6 + d, RED));

    /* Every direction, a thick shaft: the tip pixel is set, the pixel past it is not. */
    static const int dirs[8][2] = {{1, 0},  {1, 1},   {0, 1},  {-1, 1},
                                   {-1, 0}, {-1, -1}, {0, -1}, {1, -1}};
    for (int k = 0; k < 8; k++) {
        SlCanvas b;
        make(&b, 40, 40);
        int tx = 20 + 12 * dirs[k][0], ty = 20 + 12 * dirs[k][1];
        sl_canvas_arrow(&b, 20, 20, tx, ty, 3, 7, RED);
        ck_assert_msg(is(&b, tx, ty, RED), "direction %d: no tip", k);
        ck_assert_msg(is(&b, tx + dirs[k][0], ty + dirs[k][1], SL_WHITE),
                      "direction %d: ink past the tip", k);
        ck_assert(is(&b, 20, 20, RED));
        sl_canvas_free(&b);
    }
    /* No head or no length: a plain line, or a point. */
    sl_canvas_clear(&c, SL_WHITE);
    sl_canvas_arrow(&c, 2, 5, 10, 5, 1, 0, RED);
    assert_pattern(&c, RED, want_hline, "arrow without a head");
    sl_canvas_clear(&c, SL_WHITE);
    sl_canvas_arrow(&c, 4, 4, 4, 4, 1, 5, RED);
    ck_assert_int_eq(count(&c, RED), 1);
    sl_canvas_free(&c);
}
END_TEST

/* ---- scenes pinned by their hash ---- */

static void scene_boxes(SlCanvas *c)
{
    sl_canvas_clear(c, SL_PAPER);
    for (int r = 1; r < SL_ROLE_COUNT; r++) {
        int x = 2 + (r - 1) * 7;
        sl_canvas_fill_rect(c, x, 2, 6, 6, sl_role_color((SlRole)r));
        sl_canvas_rect(c, x, 2, 6, 6, 1, SL_INK);
    }
    sl_canvas_hatch(c, 2, 10, 20, 10, 3, sl_role_color(SL_ROLE_MASK));
    sl_canvas_rect(c, 2, 10, 20, 10, 2, SL_GRID);
    sl_canvas_line(c, 24, 10, 56, 22, 1, SL_INK);
    sl_canvas_line(c, 24, 22, 56, 10, 2, sl_role_color(SL_ROLE_GRADIENT));
}

static void scene_shapes(SlCanvas *c)
{
    sl_canvas_clear(c, SL_WHITE);
    sl_canvas_fill_triangle(c, 3, 20, 15, 2, 28, 17, sl_role_color(SL_ROLE_STATE));
    sl_canvas_arrow(c, 30, 4, 58, 20, 2, 7, SL_INK);
    sl_canvas_arrow(c, 58, 4, 34, 22, 1, 5, sl_role_color(SL_ROLE_OUTPUT));
    sl_canvas_fill_rect(c, 10, 8, 30, 10, (SlColor){0xF0, 0xE4, 0x42, 160});
    sl_canvas_clip(c, 0, 0, 20, 24);
    sl_canvas_line(c, 0, 23, 63, 0, 4, (SlColor){0, 0x72, 0xB2, 200});
    sl_canvas_clip(c, 0, 0, -1, -1);
}

static void scene_text(SlCanvas *c)
{
    sl_canvas_clear(c, SL_PAPER);
    sl_canvas_text(c, 1, 1, "Dense(32)", SL_TEXT_SMALL, SL_INK);
    sl_canvas_text(c, 1, 10, "h_t", SL_TEXT_TITLE, sl_role_color(SL_ROLE_STATE));
    sl_canvas_text(c, 52, 0, "a\nb", SL_TEXT_NUMBER, sl_role_color(SL_ROLE_INPUT));
}

static void scene_smooth(SlCanvas *c)
{
    sl_canvas_clear(c, SL_WHITE);
    sl_canvas_smooth_line(c, 2, 3, 30, 20, 1.5, SL_INK);
    sl_canvas_smooth_arrow(c, 34, 20, 60, 4, 2, 7, sl_role_color(SL_ROLE_OUTPUT));
    sl_canvas_round_rect(c, 8, 12, 20, 10, 4, (SlColor){0, 0x72, 0xB2, 180});
    sl_canvas_ring(c, 48, 14, 8, 1.5, sl_role_color(SL_ROLE_STATE));
}

START_TEST(test_scene_hashes)
{
    struct {
        void (*draw)(SlCanvas *c);
        uint64_t hash;
    } scenes[] = {
        {scene_boxes, 0xcc995905f2a99d6cULL},
        {scene_shapes, 0x99abc44f7877fd6eULL},
        {scene_text, 0x6eeffde42eeb7d2cULL},
        {scene_smooth, 0x1da21600a1388277ULL},
    };
    for (size_t k = 0; k < sizeof scenes / sizeof scenes[0]; k++) {
        SlCanvas c;
        make(&c, 64, 24);
        scenes[k].draw(&c);
        uint64_t h = sl_canvas_hash(&c);
        ck_assert_msg(h == scenes[k].hash, "scene %zu: hash 0x%016llxULL", k,
                      (unsigned long long)h);
        sl_canvas_free(&c);
    }
    /* The hash covers the sides too: equal bytes in another shape differ. */
    SlCanvas a, b;
    make(&a, 4, 2);
    make(&b, 2, 4);
    ck_assert(sl_canvas_hash(&a) != sl_canvas_hash(&b));
    ck_assert(memcmp(a.rgba, b.rgba, 32) == 0);
    /* FNV-1a of nothing but the sides, for a canvas without pixels, is well defined. */
    sl_canvas_free(&a);
    sl_canvas_free(&b);
}
END_TEST

/* ---- text ---- */

/* The font a style uses, read here with stb_truetype straight from the embedded data. */
static stbtt_fontinfo test_font(const unsigned char *data)
{
    stbtt_fontinfo f;
    ck_assert(stbtt_InitFont(&f, data, stbtt_GetFontOffsetForIndex(data, 0)));
    return f;
}

/* The documented layout rule: each advance rounded at the style's size, plus the pair's kerning
 * rounded. */
static int expected_width(const unsigned char *data, int px, const char *ascii)
{
    stbtt_fontinfo f = test_font(data);
    float s = stbtt_ScaleForMappingEmToPixels(&f, (float)px);
    int w = 0, prev = 0;
    for (const char *p = ascii; *p; p++) {
        int g = stbtt_FindGlyphIndex(&f, *p), adv, lsb;
        stbtt_GetGlyphHMetrics(&f, g, &adv, &lsb);
        if (prev)
            w += (int)lround(stbtt_GetGlyphKernAdvance(&f, prev, g) * s);
        w += (int)lround(adv * s);
        prev = g;
    }
    return w;
}

START_TEST(test_text_size)
{
    int w, h;
    sl_canvas_text_size("Ab", SL_TEXT_LABEL, &w, &h);
    ck_assert_int_eq(w, expected_width(sl_font_sans, sl_text_px(SL_TEXT_LABEL), "Ab"));
    stbtt_fontinfo f = test_font(sl_font_sans);
    int asc, desc, gap;
    stbtt_GetFontVMetrics(&f, &asc, &desc, &gap);
    float s = stbtt_ScaleForMappingEmToPixels(&f, 15);
    ck_assert_int_eq(h, (int)ceil(asc * s) + (int)ceil(-desc * s));
    ck_assert_int_eq(h, sl_text_height(SL_TEXT_LABEL));
    /* A kerned pair is narrower than its letters apart (DejaVu kerns "AV") */
    ck_assert_int_lt(sl_text_width("AV", SL_TEXT_LABEL),
                     sl_text_width("A", SL_TEXT_LABEL) + sl_text_width("V", SL_TEXT_LABEL));
    ck_assert_int_eq(sl_text_width("AV", SL_TEXT_LABEL), expected_width(sl_font_sans, 15, "AV"));
    ck_assert_int_eq(sl_text_width("Dense(32)", SL_TEXT_TITLE),
                     expected_width(sl_font_sans_bold, sl_text_px(SL_TEXT_TITLE), "Dense(32)"));
    /* The widest line; lines stack at the line height, a trailing empty line not counted. */
    sl_canvas_text_size("wide line\nab\n", SL_TEXT_LABEL, &w, &h);
    ck_assert_int_eq(w, sl_text_width("wide line", SL_TEXT_LABEL));
    ck_assert_int_eq(h, 2 * sl_text_height(SL_TEXT_LABEL));
    sl_canvas_text_size("", SL_TEXT_TITLE, &w, &h);
    ck_assert(w == 0 && h == 0);
    sl_canvas_text_size(NULL, SL_TEXT_TITLE, &w, &h);
    ck_assert(w == 0 && h == 0);
    /* Numbers: every digit, the point and the minus as wide as each other (tabular), so numbers
     * of one format line up when right-aligned. */
    int d0 = sl_text_width("0", SL_TEXT_NUMBER);
    for (const char *p = "123456789.-e+"; *p; p++) {
        char one[2] = {*p, '\0'};
        ck_assert_int_eq(sl_text_width(one, SL_TEXT_NUMBER), d0);
    }
    ck_assert_int_eq(sl_text_width("-0.125", SL_TEXT_NUMBER),
                     sl_text_width("12.500", SL_TEXT_NUMBER));
    /* Sizes: each style at least SL_TEXT_MIN_PX, titles the biggest */
    for (int k = 0; k < SL_TEXT_STYLES; k++)
        ck_assert_int_ge(sl_text_px((SlTextStyle)k), SL_TEXT_MIN_PX);
    ck_assert_int_gt(sl_text_px(SL_TEXT_TITLE), sl_text_px(SL_TEXT_LABEL));
    /* Bytes that are no UTF-8 measure as U+FFFD; a missing style is the label's. */
    ck_assert_int_eq(sl_text_width("\xff", SL_TEXT_LABEL),
                     sl_text_width("\xEF\xBF\xBD", SL_TEXT_LABEL));
    ck_assert_int_eq(sl_text_width("\xE2\x82", SL_TEXT_LABEL),
                     2 * sl_text_width("\xff", SL_TEXT_LABEL));
    ck_assert_int_eq(sl_text_width("Ab", (SlTextStyle)99), sl_text_width("Ab", SL_TEXT_LABEL));
    /* Non-ASCII that DejaVu has: wider than nothing, and not the replacement's width */
    ck_assert_int_gt(sl_text_width("\xE2\x86\x92", SL_TEXT_LABEL), 0); /* an arrow */
}
END_TEST

START_TEST(test_text_draw)
{
    SlCanvas c;
    make(&c, 96, 60);
    int w, h;
    sl_canvas_text_size("Ab", SL_TEXT_LABEL, &w, &h);
    ck_assert_int_eq(sl_canvas_text(&c, 3, 4, "Ab", SL_TEXT_LABEL, SL_INK), w);
    int x0, y0, x1, y1;
    int n1 = ink_box(&c, SL_WHITE, &x0, &y0, &x1, &y1);
    ck_assert_int_gt(n1, 20);
    /* Ink starts near the origin and stays inside the measured box. */
    ck_assert_msg(x0 >= 3 && x0 <= 5 && y0 >= 4 && x1 <= 3 + w + 1 && y1 <= 4 + h,
                  "ink %d,%d..%d,%d; box 3,4 %dx%d", x0, y0, x1, y1, w, h);
    ck_assert_int_gt(count(&c, SL_INK), 5);  /* solid stems ... */
    ck_assert_int_gt(n1, count(&c, SL_INK)); /* ... and anti-aliased edges */

    /* Moved by whole units, the same pixels move. */
    uint8_t *first = malloc((size_t)c.w * c.h * 4);
    ck_assert_ptr_nonnull(first);
    memcpy(first, c.rgba, (size_t)c.w * c.h * 4);
    sl_canvas_clear(&c, SL_WHITE);
    sl_canvas_text(&c, 13, 19, "Ab", SL_TEXT_LABEL, SL_INK);
    for (int y = 0; y + 15 < c.h; y++)
        for (int x = 0; x + 10 < c.w; x++)
            ck_assert(!memcmp(first + ((size_t)y * c.w + x) * 4,
                              c.rgba + ((size_t)(y + 15) * c.w + x + 10) * 4, 4));
    free(first);

    /* Recorded with its box and font size. */
    ck_assert_int_eq(c.n_items, 1);
    SlItem it = c.items[0];
    ck_assert_int_eq(it.kind, SL_ITEM_TEXT);
    ck_assert(it.x == 13 && it.y == 19 && it.w == w && it.h == h && it.px == 15);
    ck_assert_str_eq(it.what, "Ab");
    ck_assert_int_eq(it.allow_overlap, 0);
    sl_canvas_clear(&c, SL_WHITE);
    ck_assert_int_eq(c.n_items, 0);

    /* Right-aligned: the text ends at x (its box), and the ink just before. */
    ck_assert_int_eq(
        sl_canvas_text_aligned(&c, 90, 4, SL_ALIGN_RIGHT, "0.125", SL_TEXT_NUMBER, SL_INK),
        sl_text_width("0.125", SL_TEXT_NUMBER));
    ink_box(&c, SL_WHITE, &x0, &y0, &x1, &y1);
    ck_assert_msg(x1 <= 90 && x1 >= 90 - 3, "ink ends at %d", x1);
    ck_assert_int_eq(c.items[0].x + c.items[0].w, 90);
    /* Each line of a right-aligned block ends at x; centred lines centre on x */
    sl_canvas_clear(&c, SL_WHITE);
    sl_canvas_text_aligned(&c, 48, 4, SL_ALIGN_CENTER, "1", SL_TEXT_NUMBER, SL_INK);
    ink_box(&c, SL_WHITE, &x0, &y0, &x1, &y1);
    ck_assert_msg(abs((x0 + x1) - 2 * 48) <= 3, "centred ink %d..%d", x0, x1);

    /* Two lines: the second is the first moved down by the line height. */
    sl_canvas_clear(&c, SL_WHITE);
    int lh = sl_text_height(SL_TEXT_LABEL);
    sl_canvas_text(&c, 0, 0, "I\nI", SL_TEXT_LABEL, SL_INK);
    for (int y = 0; y < lh; y++)
        for (int x = 0; x < 10; x++)
            ck_assert(same(at(&c, x, y), at(&c, x, y + lh)));
    ck_assert_int_gt(c.w * c.h - count(&c, SL_WHITE), 10);

    /* Translucent ink is never darker than opaque ink, and lighter where the opaque is solid. */
    sl_canvas_clear(&c, SL_WHITE);
    sl_canvas_text(&c, 1, 1, "ft#$*\nAb", SL_TEXT_TITLE, SL_INK);
    SlCanvas half;
    make(&half, c.w, c.h);
    sl_canvas_text(&half, 1, 1, "ft#$*\nAb", SL_TEXT_TITLE, (SlColor){0x22, 0x22, 0x22, 128});
    for (int i = 0; i < c.w * c.h; i++) {
        ck_assert(half.rgba[4 * i] >= c.rgba[4 * i]);
        if (c.rgba[4 * i] == 0x22)
            ck_assert(half.rgba[4 * i] > 0x22 && half.rgba[4 * i] < 0xFF);
    }
    sl_canvas_free(&half);

    /* Not recording: nothing recorded, the same pixels. */
    sl_canvas_clear(&c, SL_WHITE);
    sl_canvas_text(&c, 3, 4, "Ab", SL_TEXT_TITLE, SL_INK);
    uint64_t h1 = sl_canvas_hash(&c);
    sl_canvas_clear(&c, SL_WHITE);
    c.recording = 0;
    sl_canvas_text(&c, 3, 4, "Ab", SL_TEXT_TITLE, SL_INK);
    ck_assert_int_eq(c.n_items, 0);
    ck_assert(sl_canvas_hash(&c) == h1);
    /* Odd bytes and empty text do not crash. */
    sl_canvas_text(&c, 3, 4, "\t\x01\x7f\x80\xff\xF4\x90\x80\x80\xED\xA0\x80", SL_TEXT_LABEL,
                   SL_INK);
    ck_assert_int_eq(sl_canvas_text(&c, 3, 4, "", SL_TEXT_LABEL, SL_INK), 0);
    sl_canvas_free(&c);
}
END_TEST

/* Scale 2: the same layout in units, twice the pixels, sharper letters. */
START_TEST(test_text_scaled)
{
    SlCanvas one, two;
    SlError e = {{0}};
    make(&one, 80, 30);
    ck_assert(sl_canvas_init_scaled(&two, 80, 30, 2, &e) == 0);
    sl_canvas_clear(&two, SL_WHITE);
    ck_assert(two.pw == 160 && two.ph == 60 && two.w == 80 && two.scale == 2);
    int w1 = sl_canvas_text(&one, 5, 5, "x[t] = 0.5", SL_TEXT_LABEL, SL_INK);
    int w2 = sl_canvas_text(&two, 5, 5, "x[t] = 0.5", SL_TEXT_LABEL, SL_INK);
    ck_assert_int_eq(w1, w2);
    ck_assert(one.items[0].x == two.items[0].x && one.items[0].w == two.items[0].w &&
              one.items[0].h == two.items[0].h);
    int a0, b0, a1, b1, c0, d0, c1, d1;
    ink_box(&one, SL_WHITE, &a0, &b0, &a1, &b1);
    SlCanvas big = two; /* ink_box reads w, h as pixels: look at the whole buffer */
    big.w = two.pw, big.h = two.ph;
    ink_box(&big, SL_WHITE, &c0, &d0, &c1, &d1);
    ck_assert_msg(abs(c0 - 2 * a0) <= 2 && abs(c1 - 2 * a1) <= 2 && abs(d0 - 2 * b0) <= 2 &&
                      abs(d1 - 2 * b1) <= 2,
                  "ink at scale 1: %d,%d..%d,%d; at scale 2: %d,%d..%d,%d", a0, b0, a1, b1, c0, d0,
                  c1, d1);
    sl_canvas_free(&one);
    sl_canvas_free(&two);
}
END_TEST

START_TEST(test_text_long)
{
    /* A 200-character label is drawn whole: ink reaches its measured right end. */
    char label[201];
    for (int i = 0; i < 200; i++)
        label[i] = "shapelab: Dense(units=32) -> LSTM(64, return_sequences=True) @#%&"[i % 64];
    label[200] = '\0';
    int w, h;
    sl_canvas_text_size(label, SL_TEXT_LABEL, &w, &h);
    ck_assert_int_gt(w, 1000);
    SlCanvas c;
    make(&c, w + 20, h + 6);
    ck_assert_int_eq(sl_canvas_text(&c, 5, 3, label, SL_TEXT_LABEL, SL_INK), w);
    int x0, y0, x1, y1;
    ink_box(&c, SL_WHITE, &x0, &y0, &x1, &y1);
    ck_assert_int_le(abs(x0 - 5), 2);
    ck_assert_msg(x1 >= 5 + w - 6 && x1 <= 5 + w + 1, "ink ends at %d, text at %d", x1, 5 + w);
    /* The record keeps the start of the text, cut to fit. */
    ck_assert_int_eq(c.n_items, 1);
    ck_assert_uint_eq(strlen(c.items[0].what), sizeof c.items[0].what - 1);
    ck_assert(strncmp(c.items[0].what, label, sizeof c.items[0].what - 1) == 0);
    /* ... and never inside a character: a label of arrows keeps whole arrows. */
    char arrows[3 * 30 + 1] = "";
    for (int i = 0; i < 30; i++)
        strcat(arrows, "\xE2\x86\x92");
    sl_canvas_clear(&c, SL_WHITE);
    sl_canvas_text(&c, 0, 0, arrows, SL_TEXT_LABEL, SL_INK);
    ck_assert_uint_eq(strlen(c.items[0].what) % 3, 0);
    ck_assert_uint_eq(strlen(c.items[0].what), 90); /* all of it: 30 arrows */
    char more[3 * 60 + 1] = "";
    for (int i = 0; i < 60; i++)
        strcat(more, "\xE2\x86\x92");
    sl_canvas_text(&c, 0, 0, more, SL_TEXT_LABEL, SL_INK);
    ck_assert_uint_eq(strlen(c.items[1].what), 3 * ((sizeof c.items[1].what - 1) / 3));
    sl_canvas_free(&c);
}
END_TEST

START_TEST(test_text_fit)
{
    char out[64];
    ck_assert_int_eq(sl_text_fit("short", SL_TEXT_LABEL, 500, out, sizeof out), 0);
    ck_assert_str_eq(out, "short");
    int full = sl_text_width("a label that is too long", SL_TEXT_LABEL);
    ck_assert_int_eq(
        sl_text_fit("a label that is too long", SL_TEXT_LABEL, full / 2, out, sizeof out), 1);
    ck_assert_int_le(sl_text_width(out, SL_TEXT_LABEL), full / 2);
    ck_assert_int_gt(sl_text_width(out, SL_TEXT_LABEL),
                     full / 2 - 30); /* cut no more than needed */
    size_t n = strlen(out);
    ck_assert(n >= 3 && !strcmp(out + n - 3, "\xE2\x80\xA6"));
    ck_assert(!strncmp(out, "a label", 7));
    /* nothing fits: nothing but the ellipsis, or nothing at all */
    sl_text_fit("abc", SL_TEXT_LABEL, 1, out, sizeof out);
    ck_assert_str_eq(out, "");
    /* a small buffer cuts at a character too */
    sl_text_fit("\xE2\x86\x92\xE2\x86\x92\xE2\x86\x92", SL_TEXT_LABEL, 1000, out, 8);
    ck_assert_uint_eq(strlen(out) % 3, 0);
}
END_TEST

/* ---- the record ---- */

START_TEST(test_record)
{
    SlCanvas c;
    make(&c, 8, 8);
    for (int i = 0; i < 1000; i++)
        sl_canvas_record(&c, SL_ITEM_WIDGET, i, 2 * i, 3, 4, (SlRole)(i % SL_ROLE_COUNT), 0,
                         i % 2 ? "odd"
                               : "a very long description that does not fit in the record's 160 "
                                 "bytes, because it goes on and on about what was drawn where and "
                                 "why, far longer than any widget's name would be");
    ck_assert_int_eq(c.n_items, 1000);
    ck_assert_int_ge(c.cap_items, 1000);
    for (int i = 0; i < 1000; i++) {
        SlItem *it = &c.items[i];
        ck_assert(it->kind == SL_ITEM_WIDGET && it->x == i && it->y == 2 * i && it->w == 3 &&
                  it->h == 4 && (int)it->role == i % SL_ROLE_COUNT && it->allow_overlap == 0);
    }
    ck_assert_str_eq(c.items[1].what, "odd");
    ck_assert_str_eq(c.items[0].what,
                     "a very long description that does not fit in the record's 160 bytes, "
                     "because it goes on and on about what was drawn where and why, far longer "
                     "than any widget's");
    sl_canvas_record(&c, SL_ITEM_LEGEND_ENTRY, 0, 0, 1, 1, SL_ROLE_MASK, 0, NULL);
    ck_assert_str_eq(c.items[1000].what, "");
    /* Clearing forgets; not recording records nothing. */
    sl_canvas_clear(&c, SL_WHITE);
    ck_assert_int_eq(c.n_items, 0);
    c.recording = 0;
    sl_canvas_record(&c, SL_ITEM_WIDGET, 0, 0, 1, 1, SL_ROLE_INPUT, 0, "x");
    ck_assert_int_eq(c.n_items, 0);
    sl_canvas_free(&c);

    /* Out of memory while growing: recording stops, drawing goes on. */
    make(&c, 8, 8);
    SlAllocator old = sl_set_allocator(&tu_failing_allocator);
    sl_canvas_record(&c, SL_ITEM_WIDGET, 0, 0, 1, 1, SL_ROLE_INPUT, 0, "x");
    sl_canvas_text(&c, 0, 0, "hi", SL_TEXT_LABEL, SL_INK);
    sl_canvas_smooth_line(&c, 0, 0, 8, 8, 2, SL_INK);
    sl_set_allocator(&old);
    ck_assert_int_eq(c.n_items, 0);
    ck_assert_int_eq(c.recording, 0);
    ck_assert_int_gt(8 * 8 - count(&c, SL_WHITE), 0);
    sl_canvas_free(&c);
}
END_TEST

/* ---- PNG ---- */

START_TEST(test_png_round_trip)
{
    SlCanvas c;
    make(&c, 37, 23);
    for (int y = 0; y < c.h; y++)
        for (int x = 0; x < c.w; x++)
            sl_canvas_pixel(&c, x, y,
                            (SlColor){(uint8_t)(7 * x), (uint8_t)(11 * y), (uint8_t)(x * y),
                                      (uint8_t)(255 - x - y)});
    sl_canvas_text(&c, 2, 2, "PNG", SL_TEXT_TITLE, SL_INK);
    SlError e = {{0}};
    const char *path = tmp_path("round.png");
    ck_assert_msg(sl_canvas_write_png(&c, path, &e) == 0, "%s", e.msg);
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    ck_assert_int_ne(access(tmp, F_OK), 0);
    int w, h, n;
    unsigned char *px = stbi_load(path, &w, &h, &n, 4);
    ck_assert_ptr_nonnull(px);
    ck_assert(w == 37 && h == 23 && n == 4);
    for (int i = 0; i < w * h * 4; i++)
        ck_assert_msg(px[i] == c.rgba[i], "byte %d: %d, expected %d", i, px[i], c.rgba[i]);
    stbi_image_free(px);
    /* Writing again replaces the file. */
    sl_canvas_clear(&c, SL_HIGHLIGHT);
    ck_assert_int_eq(sl_canvas_write_png(&c, path, &e), 0);
    px = stbi_load(path, &w, &h, &n, 4);
    ck_assert_ptr_nonnull(px);
    ck_assert(px[0] == 0xF0 && px[1] == 0xE4 && px[2] == 0x42 && px[3] == 0xFF);
    stbi_image_free(px);
    sl_canvas_free(&c);
}
END_TEST

START_TEST(test_png_fails_cleanly)
{
    SlCanvas c;
    make(&c, 8, 8);
    SlError e = {{0}};
    /* Into a directory that does not exist. */
    char path[300], tmp[310];
    snprintf(path, sizeof path, "%s", tmp_path("missing/dir/out.png"));
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    ck_assert_int_eq(sl_canvas_write_png(&c, path, &e), -1);
    ck_assert_msg(strncmp(e.msg, path, strlen(path)) == 0, "%s", e.msg);
    ck_assert_msg(strstr(e.msg, ": cannot save: No such file or directory"), "%s", e.msg);
    ck_assert_int_ne(access(path, F_OK), 0);
    ck_assert_int_ne(access(tmp, F_OK), 0);
    /* Over a directory: the temporary file is written, the rename fails, the temporary goes. */
    snprintf(path, sizeof path, "%s", tmp_path("a_directory"));
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    ck_assert_int_eq(mkdir(path, 0700), 0);
    ck_assert_int_eq(sl_canvas_write_png(&c, path, &e), -1);
    ck_assert_msg(strstr(e.msg, ": cannot save: "), "%s", e.msg);
    ck_assert_int_ne(access(tmp, F_OK), 0);
    rmdir(path);
    sl_canvas_free(&c);
}
END_TEST

/* ---- APNG ---- */

typedef struct Expected {
    int n;
    const uint8_t *pictures[4];
    int delays[4];
    ApngFrame rects[4];
} Expected;

static int check_frame(void *ctx, int k, const unsigned char *rgba, int w, int h,
                       const ApngFrame *f)
{
    const Expected *x = ctx;
    ck_assert_int_lt(k, x->n);
    ck_assert_msg(!memcmp(rgba, x->pictures[k], (size_t)w * h * 4),
                  "frame %d is not the picture "
                  "it was made from",
                  k);
    ck_assert_int_eq(f->delay_num * 1000 / f->delay_den, x->delays[k]);
    ck_assert_msg(f->x == x->rects[k].x && f->y == x->rects[k].y && f->w == x->rects[k].w &&
                      f->h == x->rects[k].h,
                  "frame %d: rectangle %d,%d %dx%d", k, f->x, f->y, f->w, f->h);
    ck_assert_int_eq(f->dispose, 0);
    return 0;
}

/* Four frames in, three out (the second repeats the first: it lengthens it); each after the first
 * is the rectangle that changed. Read back by an independent reader, composed frame by frame, and
 * by stb_image as a plain PNG: the first frame. */
START_TEST(test_apng)
{
    SlCanvas c;
    SlError e = {{0}};
    make(&c, 40, 30);
    size_t bytes = (size_t)c.w * c.h * 4;
    uint8_t *a = malloc(bytes), *b = malloc(bytes);
    ck_assert(a && b);
    SlApng *an = sl_apng_begin(&e);
    ck_assert_ptr_nonnull(an);
    sl_canvas_fill_rect(&c, 2, 2, 20, 10, RED);
    memcpy(a, c.rgba, bytes);
    ck_assert_int_eq(sl_apng_frame(an, &c, 100, &e), 0);
    ck_assert_int_eq(sl_apng_frame(an, &c, 50, &e), 0); /* the same picture: 150 ms in all */
    ck_assert_int_eq(sl_apng_frames(an), 1);
    sl_canvas_fill_rect(&c, 10, 11, 5, 6, sl_role_color(SL_ROLE_INPUT)); /* over red and white */
    memcpy(b, c.rgba, bytes);
    ck_assert_int_eq(sl_apng_frame(an, &c, 70, &e), 0);
    memcpy(c.rgba, a, bytes);
    ck_assert_int_eq(sl_apng_frame(an, &c, 30, &e), 0);
    ck_assert_int_eq(sl_apng_frames(an), 3);
    /* a frame of another size is refused, and the animation goes on */
    SlCanvas other;
    make(&other, 41, 30);
    ck_assert_int_eq(sl_apng_frame(an, &other, 10, &e), -1);
    ck_assert_msg(strstr(e.msg, "40 x 30"), "%s", e.msg);
    sl_canvas_free(&other);
    const char *path = tmp_path("anim.png");
    ck_assert_msg(sl_apng_finish(an, path, &e) == 0, "%s", e.msg);
    Expected x = {3,
                  {a, b, a},
                  {150, 70, 30},
                  {{.w = 40, .h = 30}, {10, 11, 5, 6, 0, 0, 0, 0}, {10, 11, 5, 6, 0, 0, 0, 0}}};
    ApngInfo info;
    ck_assert_msg(apng_read(path, &info, check_frame, &x) == 0, "%s", info.err);
    ck_assert(info.w == 40 && info.h == 30 && info.frames == 3 && info.plays == 0 &&
              info.seen == 3);
    /* a viewer without APNG shows the first frame */
    int w, h, n;
    unsigned char *px = stbi_load(path, &w, &h, &n, 4);
    ck_assert_ptr_nonnull(px);
    ck_assert(w == 40 && h == 30 && !memcmp(px, a, bytes));
    stbi_image_free(px);
    /* no frame: nothing written; a missing directory: an error, no file left */
    an = sl_apng_begin(&e);
    ck_assert_int_eq(sl_apng_finish(an, tmp_path("none.png"), &e), -1);
    ck_assert_int_ne(access(tmp_path("none.png"), F_OK), 0);
    an = sl_apng_begin(&e);
    ck_assert_int_eq(sl_apng_frame(an, &c, 10, &e), 0);
    ck_assert_int_eq(sl_apng_finish(an, tmp_path("missing/dir/a.png"), &e), -1);
    ck_assert_msg(strstr(e.msg, "cannot save"), "%s", e.msg);
    free(a), free(b);
    sl_canvas_free(&c);
}
END_TEST

typedef struct Pictures {
    const uint8_t *data;
    size_t bytes;
} Pictures;

static int same_picture(void *ctx, int k, const unsigned char *rgba, int w, int h,
                        const ApngFrame *f)
{
    const Pictures *p = ctx;
    (void)f;
    ck_assert_uint_eq((size_t)w * h * 4, p->bytes);
    ck_assert_msg(!memcmp(rgba, p->data + p->bytes * (size_t)k, p->bytes),
                  "frame %d read back is not the picture drawn", k);
    return 0;
}

/* Bigger pictures than one deflate window, a dozen frames, noise that does not compress, a scale-2
 * canvas: every frame read back is the picture drawn. */
START_TEST(test_apng_many_frames)
{
    SlCanvas c;
    SlError e = {{0}};
    ck_assert(sl_canvas_init_scaled(&c, 150, 90, 2, &e) == 0);
    enum { FRAMES = 12 };
    size_t bytes = (size_t)c.pw * c.ph * 4;
    uint8_t *pictures = malloc(bytes * FRAMES);
    ck_assert_ptr_nonnull(pictures);
    SlApng *an = sl_apng_begin(&e);
    uint64_t st = 7;
    for (int k = 0; k < FRAMES; k++) {
        sl_canvas_clear(&c, SL_PAPER);
        sl_canvas_smooth_arrow(&c, 5, 80, 5 + 11 * k, 10 + 5 * k, 2, 9, SL_INK);
        sl_canvas_text(&c, 20, 20 + k, "frame by frame", SL_TEXT_TITLE, SL_INK);
        for (int i = 0; i < 400 * k; i++) { /* noise in the first rows */
            st = st * 6364136223846793005ULL + 1442695040888963407ULL;
            c.rgba[((size_t)(st >> 40) % 2000) * 4 + (st >> 20) % 3] = (uint8_t)(st >> 33);
        }
        memcpy(pictures + bytes * k, c.rgba, bytes);
        ck_assert_int_eq(sl_apng_frame(an, &c, 40 + k, &e), 0);
    }
    ck_assert_msg(sl_apng_finish(an, tmp_path("many.png"), &e) == 0, "%s", e.msg);
    Pictures p = {pictures, bytes};
    ApngInfo info;
    ck_assert_msg(apng_read(tmp_path("many.png"), &info, same_picture, &p) == 0, "%s", info.err);
    ck_assert_int_eq(info.frames, FRAMES);
    ck_assert_int_eq(info.seen, FRAMES);
    ck_assert(info.w == 300 && info.h == 180);
    free(pictures);
    sl_canvas_free(&c);
}
END_TEST

/* ---- the demo: every primitive and every role, to look at ---- */

static void draw_demo(SlCanvas *c)
{
    sl_canvas_clear(c, SL_PAPER);
    sl_canvas_text(c, 12, 10, "shapelab canvas: primitives and roles", SL_TEXT_TITLE, SL_INK);

    /* The legend: a swatch per role and its name at scale 2; the mask hatched over white. */
    for (int r = 0; r < SL_ROLE_COUNT; r++) {
        int y = 44 + r * 30;
        SlColor col = sl_role_color((SlRole)r);
        if (r == SL_ROLE_MASK) {
            sl_canvas_fill_rect(c, 12, y, 36, 22, SL_WHITE);
            sl_canvas_hatch(c, 12, y, 36, 22, 4, col);
        } else {
            sl_canvas_fill_rect(c, 12, y, 36, 22, col);
        }
        sl_canvas_rect(c, 12, y, 36, 22, 1, SL_INK);
        sl_canvas_text(c, 56, y + 2, sl_role_name((SlRole)r), SL_TEXT_LABEL, SL_INK);
        sl_canvas_record(c, SL_ITEM_LEGEND_ENTRY, 12, y, 150, 22, (SlRole)r, 0,
                         sl_role_name((SlRole)r));
    }

    /* Outlines of thickness 1, 2, 3 and a highlight behind half-transparent boxes. */
    sl_canvas_text(c, 200, 44, "rect 1, 2, 3", SL_TEXT_SMALL, SL_INK);
    for (int t = 1; t <= 3; t++)
        sl_canvas_rect(c, 200 + (t - 1) * 44, 58, 36, 28, t, sl_role_color(SL_ROLE_WEIGHT));
    sl_canvas_text(c, 350, 44, "alpha 50%", SL_TEXT_SMALL, SL_INK);
    sl_canvas_fill_rect(c, 350, 58, 60, 28, SL_HIGHLIGHT);
    SlColor blue = sl_role_color(SL_ROLE_INPUT), orange = sl_role_color(SL_ROLE_OUTPUT);
    blue.a = orange.a = 128;
    sl_canvas_fill_rect(c, 365, 64, 40, 34, blue);
    sl_canvas_fill_rect(c, 385, 74, 40, 30, orange);

    /* Lines of thickness 1 to 4 at several angles; arrows all around. */
    sl_canvas_text(c, 200, 110, "lines 1-4", SL_TEXT_SMALL, SL_INK);
    for (int t = 1; t <= 4; t++) {
        int x = 200 + (t - 1) * 36;
        sl_canvas_line(c, x, 124, x + 28, 124 + 8 * t, t, SL_INK);
    }
    sl_canvas_text(c, 350, 110, "arrows", SL_TEXT_SMALL, SL_INK);
    for (int k = 0; k < 8; k++) {
        static const int d[8][2] = {{1, 0},  {1, 1},   {0, 1},  {-1, 1},
                                    {-1, 0}, {-1, -1}, {0, -1}, {1, -1}};
        sl_canvas_arrow(c, 400, 150, 400 + 30 * d[k][0], 150 + 30 * d[k][1], k % 2 + 1, 9,
                        sl_role_color(SL_ROLE_GRADIENT));
    }

    /* Hatching for padding and masks; triangles; a clipped cell. */
    sl_canvas_text(c, 200, 190, "padding, mask", SL_TEXT_SMALL, SL_INK);
    sl_canvas_fill_rect(c, 200, 204, 60, 36, SL_WHITE);
    sl_canvas_hatch(c, 200, 204, 60, 36, 5, sl_role_color(SL_ROLE_PADDING));
    sl_canvas_rect(c, 200, 204, 60, 36, 1, SL_GRID);
    sl_canvas_fill_rect(c, 266, 204, 60, 36, sl_role_color(SL_ROLE_STATE));
    sl_canvas_hatch(c, 266, 204, 60, 36, 4, sl_role_color(SL_ROLE_MASK));
    sl_canvas_text(c, 350, 190, "triangle, clip", SL_TEXT_SMALL, SL_INK);
    sl_canvas_fill_triangle(c, 350, 240, 372, 204, 395, 236, sl_role_color(SL_ROLE_WEIGHT));
    sl_canvas_clip(c, 405, 204, 40, 36);
    sl_canvas_fill_rect(c, 395, 195, 60, 60, SL_GRID);
    sl_canvas_text(c, 400, 210, "clipped text", SL_TEXT_TITLE, SL_INK);
    sl_canvas_clip(c, 0, 0, -1, -1);

    /* Every text style, one with two lines; anti-aliased shapes. */
    sl_canvas_text(c, 12, 286, "small: Dense(units=32) (None, 100, 32) 0.125", SL_TEXT_SMALL,
                   SL_INK);
    sl_canvas_text(c, 12, 304, "label: LSTM h\xE2\x82\x9C = o \xC2\xB7 tanh(c\xE2\x82\x9C)",
                   SL_TEXT_LABEL, SL_INK);
    sl_canvas_text(c, 12, 326, "heading: x[t] \xE2\x86\x92 h[t]", SL_TEXT_HEADING,
                   sl_role_color(SL_ROLE_INPUT));
    sl_canvas_text_aligned(c, 250, 340, SL_ALIGN_RIGHT, "-0.125\n12.5\n3", SL_TEXT_NUMBER, SL_INK);
    sl_canvas_text(c, 300, 340, "two lines\nof caption", SL_TEXT_CAPTION,
                   sl_role_color(SL_ROLE_OUTPUT));
    sl_canvas_smooth_arrow(c, 300, 392, 400, 392, 2, 9, sl_role_color(SL_ROLE_STATE));
    sl_canvas_round_rect(c, 410, 330, 50, 30, 8, sl_role_color(SL_ROLE_WEIGHT));
    sl_canvas_round_frame(c, 410, 330, 50, 30, 8, 2, SL_INK);
    sl_canvas_circle(c, 440, 378, 12, sl_role_color(SL_ROLE_GRADIENT));
}

START_TEST(test_demo)
{
    SlCanvas c;
    make(&c, 480, 400);
    draw_demo(&c);
    /* Every role has a legend entry; every text is inside the canvas. */
    int legend = 0;
    for (int i = 0; i < c.n_items; i++) {
        SlItem *it = &c.items[i];
        legend += it->kind == SL_ITEM_LEGEND_ENTRY;
        if (it->kind == SL_ITEM_TEXT && strcmp(it->what, "clipped text") != 0)
            ck_assert_msg(it->x >= 0 && it->y >= 0 && it->x + it->w <= c.w && it->y + it->h <= c.h,
                          "'%s' sticks out", it->what);
    }
    ck_assert_int_eq(legend, SL_ROLE_COUNT);
    SlError e = {{0}};
    ck_assert_msg(sl_canvas_write_png(&c, tmp_path("demo.png"), &e) == 0, "%s", e.msg);
    const char *keep = getenv("SL_CANVAS_DEMO");
    if (keep && *keep)
        ck_assert_msg(sl_canvas_write_png(&c, keep, &e) == 0, "%s", e.msg);
    sl_canvas_free(&c);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("canvas");
    TCase *tc = tcase_create("canvas");
    tcase_add_test(tc, test_init_and_resize);
    tcase_add_test(tc, test_roles);
    tcase_add_test(tc, test_palette_colour_blind);
    suite_add_tcase(s, tc);
    tc = tcase_create("primitives");
    tcase_add_test(tc, test_fill_rect);
    tcase_add_test(tc, test_rect_outline);
    tcase_add_test(tc, test_lines);
    tcase_add_test(tc, test_clipping);
    tcase_add_test(tc, test_random_clip);
    tcase_add_test(tc, test_alpha);
    tcase_add_test(tc, test_hatch);
    tcase_add_test(tc, test_triangle);
    tcase_add_test(tc, test_arrow);
    tcase_add_test(tc, test_scene_hashes);
    suite_add_tcase(s, tc);
    tc = tcase_create("text");
    tcase_add_test(tc, test_text_size);
    tcase_add_test(tc, test_text_draw);
    tcase_add_test(tc, test_text_long);
    tcase_add_test(tc, test_text_scaled);
    tcase_add_test(tc, test_text_fit);
    tcase_add_test(tc, test_record);
    suite_add_tcase(s, tc);
    tc = tcase_create("png");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_png_round_trip);
    tcase_add_test(tc, test_png_fails_cleanly);
    tcase_add_test(tc, test_apng);
    tcase_add_test(tc, test_apng_many_frames);
    tcase_add_test(tc, test_demo);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_in_tmpdir(suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
