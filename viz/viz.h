/* viz.h: shapelab's visualizer, one include: the canvas and its widgets, the scenes, the window.
 * Only viz/window.c includes SDL; everything else here draws on memory. */
#ifndef SL_VIZ_H
#define SL_VIZ_H

#include "canvas.h"
#include "scene.h"
#include "widgets.h"
#include "window.h"

#endif
