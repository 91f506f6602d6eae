/* window.h: the live window. It shows a scene's canvas, steps through the scene, and saves what
 * it shows. The only part of shapelab that talks to SDL2 (window.c). */
#ifndef SL_WINDOW_H
#define SL_WINDOW_H

#include "scene.h"

typedef struct SlWindowOptions {
    int quit_after_frames;  /* 0: run until the learner quits */
    const char *screenshot; /* with quit_after_frames: save the window's last frame here */
    int stats;              /* print "fps: X" and the time to draw a frame at the end */
    int playing;            /* start playing (1) or paused on the first step (0) */
    int scale;              /* pixels per unit (--scale); 0: the display's (2 on a high-density
                             * screen, else 1) */
    int values;             /* write values into heatmap cells (--values) */
} SlWindowOptions;

/* Controls: space play/pause, left/right step, +/- speed, r restart, s save the frame as PNG,
 * h help, q or Esc quit. Between two steps the scene moves at the display's rate (eased).
 * Returns 0, or -1 when no window can be opened (no display). */
int sl_window_run(SlSceneRun *run, const char *title, const SlWindowOptions *o, SlError *e);

/* For pictures that change as something runs (training curves): open, show a canvas as often as
 * it changes (returns 1 when the learner closed the window or pressed q), close. */
typedef struct SlWindow SlWindow;
SlWindow *sl_window_open(const char *title, SlError *e);
int sl_window_show(SlWindow *w, const SlCanvas *c);
void sl_window_close(SlWindow *w);

#endif
