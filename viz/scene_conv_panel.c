/* scene_conv_panel.c: the heatmap panel with numbers that the convolution scenes share. */
#include <stdio.h>
#include <string.h>

#include "scene_conv.h"
#include "widgets.h"

enum { SCALE_GAP = 6 };

int sl_conv_panel_height(int rows, int cell, int titled)
{
    return (titled ? sl_text_height(SL_TEXT_LABEL) + 4 : 0) + rows * cell + SCALE_GAP +
           sl_scale_height();
}

void sl_conv_cells(SlCanvas *c, int x, int y, const sl_real *m, int rows, int cols, int cell,
                   SlRole role, double range, int numbers, const char *what)
{
    int values = c->values; /* numbers are part of these pictures, --values or not */
    c->values = values || numbers;
    sl_draw_cells(c, x, y, m, rows, cols, cell, cell, role, range, what);
    c->values = values;
}

int sl_conv_panel(SlCanvas *c, int x, int y, const char *title, const sl_real *m, int rows,
                  int cols, int cell, SlRole role, int numbers)
{
    int neg, y0 = y;
    double range = sl_range_of(m, (size_t)rows * (size_t)cols, &neg);
    if (title) {
        sl_canvas_text(c, x, y, title, SL_TEXT_LABEL, SL_INK);
        y += sl_text_height(SL_TEXT_LABEL) + 4;
    }
    sl_conv_cells(c, x, y, m, rows, cols, cell, role, range, numbers, title);
    int w = cols * cell < 260 ? cols * cell : 260, sw = sl_scale_min_width(range, neg);
    sl_draw_scale(c, x, y + rows * cell + SCALE_GAP, w > sw ? w : sw, range, neg, role);
    return y + rows * cell + SCALE_GAP + sl_scale_height() - y0;
}

void sl_conv_padding_cells(SlCanvas *c, int x, int y, int first, int n, int rows, int cell)
{
    if (n <= 0 || rows <= 0)
        return;
    int px = x + first * cell;
    sl_canvas_fill_rect(c, px, y, n * cell, rows * cell, SL_WHITE);
    sl_canvas_hatch(c, px, y, n * cell, rows * cell, 5, sl_role_color(SL_ROLE_PADDING));
    sl_canvas_rect(c, px, y, n * cell, rows * cell, 1, sl_role_color(SL_ROLE_PADDING));
    sl_canvas_record(c, SL_ITEM_WIDGET, px, y, n * cell, rows * cell, SL_ROLE_PADDING, 0,
                     "padding");
}
