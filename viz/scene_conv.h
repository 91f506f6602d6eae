/* scene_conv.h: what the convolution scenes (scene_conv_*.c, scene_conv2d.c) share: a heatmap
 * panel that writes its values in its cells when they are big enough to read, and padding. */
#ifndef SL_SCENE_CONV_H
#define SL_SCENE_CONV_H

#include "canvas.h"

/* A heatmap of a (rows, cols) matrix with its title above (when not NULL) and its colour scale
 * below; with `numbers`, each value is written in its cell when it fits. Returns the height used
 * (sl_conv_panel_height). */
int sl_conv_panel(SlCanvas *c, int x, int y, const char *title, const sl_real *m, int rows,
                  int cols, int cell, SlRole role, int numbers);
int sl_conv_panel_height(int rows, int cell, int titled);
/* Cells only, on the scale +-range, numbers in them when asked and they fit (a group of tiles
 * that shares one scale). */
void sl_conv_cells(SlCanvas *c, int x, int y, const sl_real *m, int rows, int cols, int cell,
                   SlRole role, double range, int numbers, const char *what);
/* Hatch the cells [first, first + n) of row band (x, y, cell) as padding, and record them. */
void sl_conv_padding_cells(SlCanvas *c, int x, int y, int first, int n, int rows, int cell);

#endif
