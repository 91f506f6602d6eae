/* scene_conv.h: what the convolution scenes (scene_conv_*.c, scene_conv2d.c) share: a heatmap
 * panel that writes its values in its cells when they are big enough to read. */
#ifndef SL_SCENE_CONV_H
#define SL_SCENE_CONV_H

#include "canvas.h"

/* A heatmap of a (rows, cols) matrix with its title above; with `numbers`, each value is written
 * in its cell when it fits. Returns the height used (title included). */
int sl_conv_panel(SlCanvas *c, int x, int y, const char *title, const sl_real *m, int rows,
                  int cols, int cell, SlRole role, int numbers);
/* The height sl_conv_panel uses. */
int sl_conv_panel_height(int rows, int cell);
/* Hatch the cells [first, first + n) of row band (x, y, cell) as padding, and record them. */
void sl_conv_padding_cells(SlCanvas *c, int x, int y, int first, int n, int rows, int cell);

#endif
