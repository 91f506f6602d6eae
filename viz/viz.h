/* viz.h: shapelab's visualizer, one include: the canvas and its widgets, scenes, the timeline,
 * PNG export and the SDL2 window. Only viz/window.c includes SDL. */
#ifndef SL_VIZ_H
#define SL_VIZ_H

#define SL_VIZ_VERSION 1

#endif
