/* widgets.h: the few pieces every scene is drawn from: a tensor box, a layer block, an arrow with
 * a label, a caption, a legend, a heatmap with its colour scale, bars and a plot. Each records its
 * rectangle on the canvas, so tests can check a scene's layout the way a reader would. Texts are
 * measured before they are placed: a number goes where it fits beside a bar or inside a cell, or
 * nowhere.
 */
#ifndef SL_WIDGETS_H
#define SL_WIDGETS_H

#include "canvas.h"
#include "tensor.h"

enum { SL_CAPTION_LINES = 3 }; /* a caption wraps to at most this many lines */

/* ---- colours and motion ---- */
/* (1 - t) a + t b, channel by channel. */
SlColor sl_mix(SlColor a, SlColor b, double t);
/* A role's colour lightened towards white: t = 0 is white, 1 the role's colour. */
SlColor sl_role_tint(SlRole r, double t);
/* The colour of v on a heatmap whose scale runs to +-range: white at 0, the role's colour at
 * +range, grey at -range. */
SlColor sl_heat_color(double v, double range, SlRole role);
/* a + (b - a) t, for positions between two steps. */
double sl_lerp(double a, double b, double t);

/* ---- tensor box ---- */
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
/* The general form: `axes` says what the axes mean ("samples x positions"), NULL for the usual
 * meaning of the shape's rank. */
int sl_draw_tensor_box_axes(SlCanvas *c, int x, int y, const SlShape *s, const char *axes,
                            double scale, SlRole role, int highlight, int right);
void sl_tensor_box_size_axes(const SlShape *s, const char *axes, double scale, int *w, int *h);

/* What the axes of a tensor box mean, as its label writes them: `axes`, or the usual meaning of
 * the shape's rank ("samples x positions x features"). */
void sl_tensor_axes_text(const SlShape *s, const char *axes, char *buf, size_t n);
/* A tensor box made of parts, and a word under its label (the shapes scene's merges): the axis
 * whose size the parts share out (a Concatenate's inputs side by side; -1: none) is drawn divided
 * in proportion to them, in two alternating shades; `note` (NULL: none) is a line of small text
 * under the shape. */
enum { SL_BOX_PARTS = 8 };
typedef struct SlBoxMarks {
    int axis;
    int n_parts;
    int part[SL_BOX_PARTS]; /* sizes along the axis, input by input (SL_NONE: unknown) */
    const char *note;
} SlBoxMarks;
/* The general form of sl_draw_tensor_box_axes with marks (may be NULL); with_axes 0 leaves the
 * axes' meaning out of the label. */
int sl_draw_tensor_box_marked(SlCanvas *c, int x, int y, const SlShape *s, const char *axes,
                              int with_axes, double scale, SlRole role, int highlight,
                              const SlBoxMarks *marks);
void sl_tensor_box_size_marked(const SlShape *s, const char *axes, int with_axes, double scale,
                               const SlBoxMarks *marks, int *w, int *h);

/* ---- blocks, arrows, text ---- */
/* A layer block: "name (Type)" and "N params" in a rounded box of the given size. */
void sl_draw_layer_block(SlCanvas *c, int x, int y, int w, int h, const char *name,
                         const char *type, long long params, int highlight);
/* A layer block in two lines, narrower than sl_draw_layer_block's one: "name", then "Type" (type
 * NULL: none) and the parameter count in small text, each cut to the width when longer (the count
 * goes whole or not at all). The width and height its texts want, padding included: */
void sl_draw_layer_card(SlCanvas *c, int x, int y, int w, int h, const char *name, const char *type,
                        long long params, int highlight);
int sl_layer_card_width(const char *name, const char *type, long long params);
int sl_layer_card_height(void);
/* An arrow from (x0, y0) to (x1, y1), optionally labelled beside its middle. */
void sl_draw_arrow(SlCanvas *c, int x0, int y0, int x1, int y1, const char *label);
/* The frame that marks what the current step is about, around (x, y, w, h), a little outside. */
void sl_draw_focus(SlCanvas *c, double x, double y, double w, double h);
/* A caption in a band: wraps at the band's width, at most SL_CAPTION_LINES lines (the last ends
 * in an ellipsis when cut). Returns the height used. */
int sl_draw_caption(SlCanvas *c, int x, int y, int w, const char *text);
/* A legend of roles (a swatch and a name each), laid out in one row from (x, y). Returns the
 * width used. */
int sl_draw_legend(SlCanvas *c, int x, int y, const SlRole *roles, int n);
int sl_legend_width(const SlRole *roles, int n);
/* A line of text: the longer wording when it fits the canvas, else the shorter one (cut to fit
 * when even that is too long). */
void sl_draw_text_fit(SlCanvas *c, int x, int y, const char *longer, const char *shorter);
/* Text cut to fit w units (an ellipsis ends it when cut). */
void sl_draw_text_in(SlCanvas *c, int x, int y, int w, const char *text, SlTextStyle style);

/* ---- heatmaps ---- */
/* A heatmap of a (rows, cols) matrix, its title above and its colour scale below: positive values
 * shade towards the role's colour, negative ones towards grey, on a scale to the largest
 * magnitude. Cell size in units. With the canvas's `values` set, each value is written in its
 * cell when it fits. The window shows the value under the mouse. */
void sl_draw_heatmap(SlCanvas *c, int x, int y, const sl_real *m, int rows, int cols, int cell,
                     SlRole role, const char *title);
/* The same on a fixed scale: `range` maps to full colour (gates in [0, 1] compared step to step). */
void sl_draw_heatmap_scaled(SlCanvas *c, int x, int y, const sl_real *m, int rows, int cols,
                            int cell, SlRole role, const char *title, double range);
/* The space a heatmap takes: its cells, and its title and scale when it has them. */
void sl_heatmap_size(int rows, int cols, int cell, const char *title, int *w, int *h);
/* Only the cells (rows x cols, cw x ch units each) on the scale +-range, no title and no scale
 * (a group of heatmaps that share one scale draws it once with sl_draw_scale). `what` names it
 * in the record and for the mouse. */
void sl_draw_cells(SlCanvas *c, int x, int y, const sl_real *m, int rows, int cols, int cw, int ch,
                   SlRole role, double range, const char *what);
/* A colour scale from -range (or 0 when the values are never negative) to +range, w units wide.
 * Returns the height used (sl_scale_height). */
int sl_draw_scale(SlCanvas *c, int x, int y, int w, double range, int signed_values, SlRole role);
int sl_scale_height(void);
int sl_scale_min_width(double range, int signed_values);
/* The largest |m[i]| (at least a tiny number, so it can divide); whether any is negative. */
double sl_range_of(const sl_real *m, size_t n, int *any_negative);

/* ---- bars and plots ---- */
/* Values as bars in a w x h strip (n bars): from the bottom on a 0..range axis, or up and down
 * from the middle when is_signed (negative bars in grey). With the canvas's `values` set, a
 * number is written beside its bar's end where the strip leaves room for it, never over a bar.
 * One widget of the role's colour; the window shows each bar's value under the mouse. */
void sl_draw_bars(SlCanvas *c, int x, int y, int w, int h, const sl_real *v, int n, int is_signed,
                  double range, SlRole role, const char *what);
/* A plot of up to 4 series against their index, in a framed box, with the y range marked; on a
 * log scale when every value is positive and the largest is over 30 times the smallest (accuracy
 * from 0.05 up stays linear). Non-finite values leave a gap. The x axis is labelled 1 .. x_last
 * (0: the longest series' length): epochs are counted from 1, as Keras prints them. */
void sl_draw_plot(SlCanvas *c, int x, int y, int w, int h, const double *const *series,
                  const int *lengths, const SlRole *roles, int n, int x_last, const char *title);

#endif
