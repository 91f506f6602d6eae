/* canvas.h: the one place pictures are drawn (DESIGN.md, seam 3).
 *
 * An RGBA canvas in memory, drawn on by a few primitives, with coordinates in units (x right, y
 * down, (0, 0) top left; a unit is `scale` pixels). The SDL2 window shows its pixels and the PNG
 * and APNG writers save them, so what a learner sees and what a test or a lesson's --png writes are
 * the same pixels.
 *
 * The canvas also keeps a record of what was drawn where (each widget's and each text's rectangle,
 * role and font size), so tests can check what a reader would: nothing overlaps, everything is
 * inside, text is legible, every role colour used is in the legend.
 */
#ifndef SL_CANVAS_H
#define SL_CANVAS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "tensor.h"

typedef struct SlColor {
    uint8_t r, g, b, a;
} SlColor;

/* One colour per role, the same in every scene (Okabe-Ito: safe for the common colour-vision
 * deficiencies). */
typedef enum SlRole {
    SL_ROLE_NONE,     /* text, frames, axes */
    SL_ROLE_INPUT,    /* data coming in */
    SL_ROLE_WEIGHT,   /* parameters */
    SL_ROLE_STATE,    /* carried state (h, c) */
    SL_ROLE_OUTPUT,   /* results */
    SL_ROLE_GRADIENT, /* gradients */
    SL_ROLE_MASK,     /* masked steps */
    SL_ROLE_PADDING,  /* padding */
    SL_ROLE_COUNT
} SlRole;

SlColor sl_role_color(SlRole r);
/* How a colour looks to a viewer with a colour-vision deficiency (Machado, Oliveira and Fernandes
 * 2009, full severity): for checking that the roles stay apart. */
typedef enum SlVision {
    SL_VISION_DEUTERANOPIA,
    SL_VISION_PROTANOPIA,
    SL_VISION_TRITANOPIA
} SlVision;
SlColor sl_color_as_seen(SlColor c, SlVision v);
const char *sl_role_name(SlRole r); /* "input", "weight", ... for legends */
/* Fixed colours for everything that is not a role. */
extern const SlColor SL_WHITE, SL_BLACK, SL_INK, SL_GRID, SL_PAPER, SL_HIGHLIGHT;

/* What was drawn, for layout tests. */
typedef enum SlItemKind { SL_ITEM_WIDGET, SL_ITEM_TEXT, SL_ITEM_LEGEND_ENTRY } SlItemKind;

typedef struct SlItem {
    SlItemKind kind;
    int x, y, w, h; /* the rectangle it covers */
    SlRole role;    /* widgets: the role colour they use; legend entries: the role they explain */
    int px;         /* texts: the font's size in pixels (at scale 1) */
    int allow_overlap; /* drawn on purpose over another item (a label inside a box) */
    char what[160];    /* a short description: "tensor box (None, 100, 32)", the text itself */
} SlItem;

/* A grid of values drawn somewhere on the canvas (a heatmap), so the window can show the value
 * under the mouse. Values are copied: the drawing's own arrays may be gone by then. */
typedef struct SlProbe {
    int x, y, cw, ch, rows, cols; /* cw x ch units a cell */
    size_t first;                 /* its values in the canvas's probe_values */
    char title[48];
} SlProbe;

/* Scenes lay out in units (w x h, 1280 x 720 for a PNG); the pixels are `scale` times as many
 * each way (--scale 2: the same picture, crisp at twice the size). Everything below takes units;
 * the pixel buffer and the clip rectangle are in pixels. At scale 1 units are pixels. */
typedef struct SlCanvas {
    int w, h;                               /* the size in units */
    int scale;                              /* pixels per unit along each axis, 1 to 4 */
    int pw, ph;                             /* the size in pixels: w * scale, h * scale */
    uint8_t *rgba;                          /* pw * ph * 4 bytes, row-major, RGBA */
    int clip_x0, clip_y0, clip_x1, clip_y1; /* drawing is limited to [x0, x1) x [y0, y1) pixels */
    int values;    /* 1: heatmaps write their numbers into cells that fit them (png --values) */
    SlItem *items; /* the record; grows as needed */
    int n_items;
    size_t cap_items;
    int recording;   /* 1: keep the record (tests, layout checks); 0: skip it (the window) */
    SlProbe *probes; /* the heatmaps of this frame */
    int n_probes;
    size_t cap_probes;
    float *probe_values;
    size_t n_values, cap_values;
} SlCanvas;

enum { SL_CANVAS_MAX_SCALE = 4 };

int sl_canvas_init(SlCanvas *c, int w, int h, SlError *e);
/* The same with `scale` pixels per unit (1 to SL_CANVAS_MAX_SCALE). */
int sl_canvas_init_scaled(SlCanvas *c, int w, int h, int scale, SlError *e);
/* Resize (a window was resized); keeps nothing but the scale. */
int sl_canvas_resize(SlCanvas *c, int w, int h, SlError *e);
void sl_canvas_free(SlCanvas *c);
/* Fill everything with a colour and forget the record. */
void sl_canvas_clear(SlCanvas *c, SlColor color);
void sl_canvas_clip(SlCanvas *c, int x, int y, int w, int h); /* w or h < 0: no clip */

/* ---- primitives (all clipped; alpha below 255 blends over what is there) ---- */
/* These cover whole pixels and are pixel-exact: cells, bands, grids. */
void sl_canvas_pixel(SlCanvas *c, int x, int y, SlColor color);
void sl_canvas_fill_rect(SlCanvas *c, int x, int y, int w, int h, SlColor color);
/* The outline of a rectangle, `thickness` units inside its edge. */
void sl_canvas_rect(SlCanvas *c, int x, int y, int w, int h, int thickness, SlColor color);
/* A line from (x0, y0) to (x1, y1) inclusive, `thickness` wide (Bresenham, square pen). */
void sl_canvas_line(SlCanvas *c, int x0, int y0, int x1, int y1, int thickness, SlColor color);
/* Diagonal hatching (lines at 45 degrees, `spacing` apart) inside a rectangle: padding, masks. */
void sl_canvas_hatch(SlCanvas *c, int x, int y, int w, int h, int spacing, SlColor color);
/* The same with the lines moved `shift` units along the rectangle (hatching that travels). */
void sl_canvas_hatch_shifted(SlCanvas *c, int x, int y, int w, int h, int spacing, int shift,
                             SlColor color);
/* A line with a filled triangular head of size `head` at (x1, y1). */
void sl_canvas_arrow(SlCanvas *c, int x0, int y0, int x1, int y1, int thickness, int head,
                     SlColor color);
void sl_canvas_fill_triangle(SlCanvas *c, int x0, int y0, int x1, int y1, int x2, int y2,
                             SlColor color);

/* ---- anti-aliased shapes (canvas_smooth.c): coordinates in units, fractions allowed; each
 * pixel is covered in proportion to the shape's area over it ---- */
/* A line `width` wide with round ends. */
void sl_canvas_smooth_line(SlCanvas *c, double x0, double y0, double x1, double y1, double width,
                           SlColor color);
/* A line ending in a filled head `head` long at (x1, y1), the head twice `width` at least. */
void sl_canvas_smooth_arrow(SlCanvas *c, double x0, double y0, double x1, double y1, double width,
                            double head, SlColor color);
void sl_canvas_smooth_triangle(SlCanvas *c, double x0, double y0, double x1, double y1, double x2,
                               double y2, SlColor color);
/* A filled rectangle with corners rounded by `radius`. */
void sl_canvas_round_rect(SlCanvas *c, double x, double y, double w, double h, double radius,
                          SlColor color);
/* Its outline, `width` wide, inside the rectangle. */
void sl_canvas_round_frame(SlCanvas *c, double x, double y, double w, double h, double radius,
                           double width, SlColor color);
void sl_canvas_circle(SlCanvas *c, double cx, double cy, double r, SlColor color);
/* A ring: the circle's outline, `width` wide, inside the radius. */
void sl_canvas_ring(SlCanvas *c, double cx, double cy, double r, double width, SlColor color);

/* ---- text (text.c): DejaVu Sans, Sans Bold and Sans Mono, embedded in the program, drawn with
 * stb_truetype, anti-aliased; one style per use ---- */
typedef enum SlTextStyle {
    SL_TEXT_LABEL,   /* Sans 15: labels, the default */
    SL_TEXT_TITLE,   /* Sans Bold 18: a scene's title */
    SL_TEXT_HEADING, /* Sans Bold 15: a panel's name */
    SL_TEXT_CAPTION, /* Sans 16: the sentences under a picture */
    SL_TEXT_NUMBER,  /* Sans Mono 13: values; every digit as wide as any other */
    SL_TEXT_SMALL,   /* Sans 12: a scale's ends, indices under cells */
    SL_TEXT_STYLES
} SlTextStyle;
enum { SL_TEXT_MIN_PX = 12 }; /* no text is smaller: legible at 100% */

typedef enum SlAlign { SL_ALIGN_LEFT, SL_ALIGN_CENTER, SL_ALIGN_RIGHT } SlAlign;

/* Draw UTF-8 text with its top-left corner at (x, y); '\n' starts a new line. Returns the width
 * drawn. Recorded as an SL_ITEM_TEXT. */
int sl_canvas_text(SlCanvas *c, int x, int y, const char *text, SlTextStyle style, SlColor color);
/* The same with x the left end, the middle or the right end of each line. */
int sl_canvas_text_aligned(SlCanvas *c, int x, int y, SlAlign align, const char *text,
                           SlTextStyle style, SlColor color);
/* The size the text takes: the widest line, and the line height times the lines. */
void sl_canvas_text_size(const char *text, SlTextStyle style, int *w, int *h);
int sl_text_width(const char *text, SlTextStyle style);
int sl_text_height(SlTextStyle style); /* one line */
int sl_text_px(SlTextStyle style);     /* the font size */
/* Copy text into out, cut at a character and ended with "\u2026" when it is wider than max_w.
 * Returns 1 when it was cut. */
int sl_text_fit(const char *text, SlTextStyle style, int max_w, char *out, size_t n);

/* ---- the record ---- */
/* Note a widget's rectangle (widgets call this; primitives do not). */
void sl_canvas_record(SlCanvas *c, SlItemKind kind, int x, int y, int w, int h, SlRole role, int px,
                      const char *what);

/* ---- values under the mouse ---- */
/* Remember a rows x cols grid of values drawn at (x, y) with cells cw x ch. Skipped (silently)
 * when memory runs out: hovering is a convenience. */
void sl_canvas_probe(SlCanvas *c, int x, int y, int cw, int ch, int rows, int cols,
                     const sl_real *values, const char *title);
/* The probe under (px, py) in units, with the cell's row, column and value; NULL if none. */
const SlProbe *sl_canvas_probe_at(const SlCanvas *c, int px, int py, int *row, int *col,
                                  float *value);

/* ---- PNG (png.c) ---- */
/* Write the canvas's pixels as a PNG (stb_image_write), atomically: PATH.tmp, then rename. */
int sl_canvas_write_png(const SlCanvas *c, const char *path, SlError *e);
/* An animated PNG (APNG: browsers and GitHub play it; other viewers show its first frame), built
 * frame by frame from canvases of one pixel size. A frame after the first is stored as the
 * rectangle where it differs from the one before; a frame equal to the one before lengthens it. */
typedef struct SlApng SlApng;
SlApng *sl_apng_begin(SlError *e);
/* Add the canvas's pixels as the next frame, shown for delay_ms. */
int sl_apng_frame(SlApng *a, const SlCanvas *c, int delay_ms, SlError *e);
/* Write the file (atomically, as sl_canvas_write_png) and free a; a is freed on failure too. */
int sl_apng_finish(SlApng *a, const char *path, SlError *e);
void sl_apng_free(SlApng *a);        /* without writing: after an error */
int sl_apng_frames(const SlApng *a); /* frames so far (equal neighbours count once) */

/* FNV-1a of the pixels: for tests of primitives only (scenes are checked by their record). */
uint64_t sl_canvas_hash(const SlCanvas *c);

#endif
