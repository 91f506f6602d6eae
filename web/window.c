/* window.c: the window in the browser build, in place of viz/window.c (SDL2, which emscripten's
 * frozen cache cannot link). The page is the window there: web/page.js shows a scene's canvas,
 * steps through it with the window's keys and saves what it shows. So the commands that open a
 * window (`viz`, `train --viz`) say where to look instead. */
#include "window.h"

static int no_window(SlError *e)
{
    return sl_errorf(e, "there is no window in the browser: the page shows the scene beside the "
                        "editor (pick it there)");
}

int sl_window_run(SlSceneRun *run, const char *title, const SlWindowOptions *o, SlError *e)
{
    (void)run, (void)title, (void)o;
    return no_window(e);
}

SlWindow *sl_window_open(const char *title, SlError *e)
{
    (void)title;
    no_window(e);
    return NULL;
}

int sl_window_show(SlWindow *w, const SlCanvas *c)
{
    (void)w, (void)c;
    return 1; /* as when the learner closed the window */
}

void sl_window_close(SlWindow *w)
{
    (void)w;
}
