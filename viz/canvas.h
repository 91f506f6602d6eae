/* canvas.h: the one place pictures are drawn (DESIGN.md, seam 3).
 *
 * An RGBA canvas in memory, drawn on by a few primitives, with integer coordinates (x right, y
 * down, pixel (0, 0) top left). The SDL2 window shows its pixels and the PNG writer saves them, so
 * what a learner sees and what a test or a lesson's --png writes are the same pixels.
 *
 * The canvas also keeps a record of what was drawn where (each widget's and each text's rectangle,
 * role and text scale), so tests can check what a reader would: nothing overlaps, everything is
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
const char *sl_role_name(SlRole r); /* "input", "weight", ... for legends */
/* Fixed colours for everything that is not a role. */
extern const SlColor SL_WHITE, SL_BLACK, SL_INK, SL_GRID, SL_PAPER, SL_HIGHLIGHT;

/* What was drawn, for layout tests. */
typedef enum SlItemKind { SL_ITEM_WIDGET, SL_ITEM_TEXT, SL_ITEM_LEGEND_ENTRY } SlItemKind;

typedef struct SlItem {
    SlItemKind kind;
    int x, y, w, h; /* the rectangle it covers */
    SlRole role;    /* widgets: the role colour they use; legend entries: the role they explain */
    int scale;      /* texts: the integer scale of the font */
    int allow_overlap; /* drawn on purpose over another item (a label inside a box) */
    char what[48];     /* a short description: "tensor box (None, 100, 32)", the text itself */
} SlItem;

/* A grid of values drawn somewhere on the canvas (a heatmap), so the window can show the value
 * under the mouse. Values are copied: the drawing's own arrays may be gone by then. */
typedef struct SlProbe {
    int x, y, cell, rows, cols;
    size_t first; /* its values in the canvas's probe_values */
    char title[48];
} SlProbe;

typedef struct SlCanvas {
    int w, h;
    uint8_t *rgba;                          /* w * h * 4 bytes, row-major, RGBA */
    int clip_x0, clip_y0, clip_x1, clip_y1; /* drawing is limited to [x0, x1) x [y0, y1) */
    SlItem *items;                          /* the record; grows as needed */
    int n_items;
    size_t cap_items;
    int recording;   /* 1: keep the record (tests, layout checks); 0: skip it (the window) */
    SlProbe *probes; /* the heatmaps of this frame */
    int n_probes;
    size_t cap_probes;
    float *probe_values;
    size_t n_values, cap_values;
} SlCanvas;

int sl_canvas_init(SlCanvas *c, int w, int h, SlError *e);
/* Resize (a window was resized); keeps nothing. */
int sl_canvas_resize(SlCanvas *c, int w, int h, SlError *e);
void sl_canvas_free(SlCanvas *c);
/* Fill everything with a colour and forget the record. */
void sl_canvas_clear(SlCanvas *c, SlColor color);
void sl_canvas_clip(SlCanvas *c, int x, int y, int w, int h); /* w or h < 0: no clip */

/* ---- primitives (all clipped; alpha below 255 blends over what is there) ---- */
void sl_canvas_pixel(SlCanvas *c, int x, int y, SlColor color);
void sl_canvas_fill_rect(SlCanvas *c, int x, int y, int w, int h, SlColor color);
/* The outline of a rectangle, `thickness` pixels inside its edge. */
void sl_canvas_rect(SlCanvas *c, int x, int y, int w, int h, int thickness, SlColor color);
/* A line from (x0, y0) to (x1, y1) inclusive, `thickness` pixels wide (Bresenham, square pen). */
void sl_canvas_line(SlCanvas *c, int x0, int y0, int x1, int y1, int thickness, SlColor color);
/* Diagonal hatching (lines at 45 degrees, `spacing` apart) inside a rectangle: padding, masks. */
void sl_canvas_hatch(SlCanvas *c, int x, int y, int w, int h, int spacing, SlColor color);
/* A line with a filled triangular head of size `head` at (x1, y1). */
void sl_canvas_arrow(SlCanvas *c, int x0, int y0, int x1, int y1, int thickness, int head,
                     SlColor color);
void sl_canvas_fill_triangle(SlCanvas *c, int x0, int y0, int x1, int y1, int x2, int y2,
                             SlColor color);

/* ---- text: stb_easy_font, at an integer scale (1 is 6 x 7-ish pixels a letter; 2 for labels) ---- */
/* Draw text with its top-left corner at (x, y); '\n' starts a new line. Returns the width drawn.
 * Recorded as an SL_ITEM_TEXT. */
int sl_canvas_text(SlCanvas *c, int x, int y, const char *text, int scale, SlColor color);
void sl_canvas_text_size(const char *text, int scale, int *w, int *h);

/* ---- the record ---- */
/* Note a widget's rectangle (widgets call this; primitives do not). */
void sl_canvas_record(SlCanvas *c, SlItemKind kind, int x, int y, int w, int h, SlRole role,
                      int scale, const char *what);

/* ---- values under the mouse ---- */
/* Remember a rows x cols grid of values drawn at (x, y) with square cells. Skipped (silently) when
 * memory runs out: hovering is a convenience. */
void sl_canvas_probe(SlCanvas *c, int x, int y, int cell, int rows, int cols, const sl_real *values,
                     const char *title);
/* The probe under pixel (px, py), with the cell's row, column and value; NULL if none. */
const SlProbe *sl_canvas_probe_at(const SlCanvas *c, int px, int py, int *row, int *col,
                                  float *value);

/* ---- PNG ---- */
/* Write the canvas as a PNG (stb_image_write), atomically: PATH.tmp, then rename. */
int sl_canvas_write_png(const SlCanvas *c, const char *path, SlError *e);
/* FNV-1a of the pixels: for tests of primitives only (scenes are checked by their record). */
uint64_t sl_canvas_hash(const SlCanvas *c);

#endif
