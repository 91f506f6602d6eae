/* scene_conv_panel.c: the heatmap panel with numbers that the convolution scenes share. */
#include <stdio.h>
#include <string.h>

#include "scene_conv.h"
#include "widgets.h"

int sl_conv_panel_height(int rows, int cell)
{
    int lw, lh;
    sl_canvas_text_size("M", SL_TEXT_SCALE, &lw, &lh);
    return lh + 4 + rows * cell;
}

int sl_conv_panel(SlCanvas *c, int x, int y, const char *title, const sl_real *m, int rows,
                  int cols, int cell, SlRole role, int numbers)
{
    int lw, lh;
    sl_canvas_text_size("M", SL_TEXT_SCALE, &lw, &lh);
    sl_draw_heatmap(c, x, y, m, rows, cols, cell, role, title);
    if (!title)
        lh = -4; /* the cells start at y */
    for (int r = 0; numbers && r < rows; r++)
        for (int k = 0; k < cols; k++) {
            static const char *const fmt[] = {"%.3g", "%.2f", "%.2g"}; /* fewer digits... */
            char v[24];
            double val = (double)m[r * cols + k];
            int tw = cell, th = cell;
            for (int f = 0; f < 3 && tw + 4 > cell; f++) {
                snprintf(v, sizeof v, fmt[f], val == 0 ? 0.0 : val); /* no "-0" */
                sl_canvas_text_size(v, SL_TEXT_SCALE, &tw, &th);
            }
            if (tw + 4 > cell || th + 2 > cell) /* ... then none */
                continue;
            sl_canvas_text(c, x + k * cell + (cell - tw) / 2,
                           y + lh + 4 + r * cell + (cell - th) / 2, v, SL_TEXT_SCALE, SL_INK);
        }
    return lh + 4 + rows * cell;
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
