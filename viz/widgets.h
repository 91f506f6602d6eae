/* widgets.h: the few pieces every scene is drawn from: a tensor box, a layer block, an arrow with
 * a label, a caption, a legend, a heatmap and a plot. Each records its rectangle on the canvas,
 * so tests can check a scene's layout the way a reader would. */
#ifndef SL_WIDGETS_H
#define SL_WIDGETS_H

#include "canvas.h"
#include "tensor.h"

enum { SL_TEXT_SCALE = 2 };    /* every label is drawn at scale 2: legible at 100% zoom */
enum { SL_CAPTION_LINES = 3 }; /* a caption wraps to at most this many lines */

/* The size a tensor box takes for a shape, label included: each axis after the batch maps to
 * pixels by (8 + 12 log2(1 + size)) * scale, so within a scene a bigger axis is never drawn smaller;
 * None axes draw as 24 px. The last axis is the width, the one before it the height, earlier ones
 * the depth of the 2.5-D box; the Keras shape and what its axes mean sit to the right:
 * "(None, 100, 32)  samples x positions x features". */
void sl_tensor_box_size(const SlShape *s, double scale, int *w, int *h);
/* Draw it with its top-left at (x, y): the box in the role's colour and the batch axis as copies
 * behind it (dashed edges when its size is None). Returns the height used. */
int sl_draw_tensor_box(SlCanvas *c, int x, int y, const SlShape *s, double scale, SlRole role,
                       int highlight);
/* The same in a column that ends at x = right: the axes' meaning is left out of the label when it
 * would pass `right` (so it takes at most sl_tensor_box_size_short's size, the shape alone). */
int sl_draw_tensor_box_upto(SlCanvas *c, int x, int y, const SlShape *s, double scale, SlRole role,
                            int highlight, int right);
void sl_tensor_box_size_short(const SlShape *s, double scale, int *w, int *h);

/* A layer block: "name (Type)" and "N params" in a framed box of the given size. */
void sl_draw_layer_block(SlCanvas *c, int x, int y, int w, int h, const char *name,
                         const char *type, long long params, int highlight);
/* An arrow from (x0, y0) to (x1, y1), optionally labelled beside its middle. */
void sl_draw_arrow(SlCanvas *c, int x0, int y0, int x1, int y1, const char *label);
/* A caption in a band: wraps at the band's width, at most SL_CAPTION_LINES lines (the last ends
 * in "..." when cut). Returns the height used. */
int sl_draw_caption(SlCanvas *c, int x, int y, int w, const char *text);
/* A legend of roles (a swatch and a name each), laid out in one row from (x, y). Returns the
 * width used. */
int sl_draw_legend(SlCanvas *c, int x, int y, const SlRole *roles, int n);
int sl_legend_width(const SlRole *roles, int n);
/* A heatmap of a (rows, cols) matrix: positive values shade towards the role's colour, negative
 * ones towards grey, scaled by the largest magnitude. Cell size in pixels. */
void sl_draw_heatmap(SlCanvas *c, int x, int y, const sl_real *m, int rows, int cols, int cell,
                     SlRole role, const char *title);
/* The same on a fixed scale: scale maps to full colour (gates in [0, 1] compared step to step). */
void sl_draw_heatmap_scaled(SlCanvas *c, int x, int y, const sl_real *m, int rows, int cols,
                            int cell, SlRole role, const char *title, double scale);
/* Values as bars in a w x h strip (n bars): from the bottom on a 0..scale axis, or up and down
 * from the middle when is_signed (negative bars in grey); the numbers are written in when there is
 * room. One widget of the role's colour. */
void sl_draw_bars(SlCanvas *c, int x, int y, int w, int h, const sl_real *v, int n, int is_signed,
                  double scale, SlRole role, const char *what);
/* A line of text: the longer wording when it fits the canvas, else the shorter one. */
void sl_draw_text_fit(SlCanvas *c, int x, int y, const char *longer, const char *shorter);
/* A plot of up to 4 series against their index, in a framed box, with the y range marked; on a
 * log scale when every value is positive and the largest is over 30 times the smallest (accuracy
 * from 0.05 up stays linear). Non-finite values
 * leave a gap. The x axis is labelled 1 .. x_last (0: the longest series' length). */
void sl_draw_plot(SlCanvas *c, int x, int y, int w, int h, const double *const *series,
                  const int *lengths, const SlRole *roles, int n, int x_last, const char *title);

#endif
