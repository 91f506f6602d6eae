/* window.c: the SDL2 window: a streaming texture that shows the canvas, keyboard controls, a
 * frame rate capped to the display (vsync, or a 60 Hz timer when the renderer has none), motion
 * between steps at that rate, and read-back of what was shown for screenshots and tests.
 *
 * The scene is drawn at a position `pos` between its steps (SlScene.draw): a step key sets the
 * target step and pos moves there over TRANSITION seconds, eased by the scene, redrawn every frame
 * on the way. On a high-density display the canvas has two pixels per unit (or --scale's). */
#include "window.h"

#include <SDL.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "widgets.h"

enum { MAX_TIMES = 1 << 14 };

typedef struct Win {
    SDL_Window *win;
    SDL_Renderer *ren;
    SDL_Texture *tex;
    SlCanvas canvas;
    SlSceneRun *run;
    int step, playing, help, dirty, vsync;
    double pos;           /* where the scene is drawn: step `step` once it has arrived */
    double speed;         /* steps per second while playing */
    double since_step;    /* seconds since pos arrived at step */
    int saved;            /* frames saved with 's' */
    int mouse_x, mouse_y; /* for the value under the mouse, in units */
    int scale, values;    /* pixels per unit (0: the display's); values in cells */
    float *times;         /* ms to draw each frame that was drawn, for --stats */
    int n_times;
} Win;

static const double TRANSITION = 0.4; /* seconds from one step to the next, at speed 1 */

static int sdl_fail(SlError *e, const char *what)
{
    return sl_errorf(e,
                     "cannot open the window (%s: %s); use `shapelab png` where there is no "
                     "display",
                     what, SDL_GetError());
}

/* Pixels per unit: --scale's, or the display's density (output pixels per window point). */
static int pixel_scale(const Win *w, int width)
{
    int points, hpts;
    SDL_GetWindowSize(w->win, &points, &hpts);
    int s = w->scale > 0 ? w->scale : points > 0 ? (width + points / 2) / points : 1;
    return s < 1 ? 1 : s > SL_CANVAS_MAX_SCALE ? SL_CANVAS_MAX_SCALE : s;
}

static int make_texture(Win *w, int width, int height, SlError *e)
{
    int s = pixel_scale(w, width);
    width = width / s * s, height = height / s * s; /* whole units */
    if (w->tex)
        SDL_DestroyTexture(w->tex);
    w->tex = SDL_CreateTexture(w->ren, SDL_PIXELFORMAT_RGBA32, SDL_TEXTUREACCESS_STREAMING, width,
                               height);
    if (!w->tex)
        return sdl_fail(e, "texture");
    int rc;
    if (w->canvas.rgba && w->canvas.scale == s) {
        rc = sl_canvas_resize(&w->canvas, width / s, height / s, e);
    } else {
        sl_canvas_free(&w->canvas);
        rc = sl_canvas_init_scaled(&w->canvas, width / s, height / s, s, e);
    }
    if (rc < 0)
        return -1;
    w->canvas.recording = 0; /* the record is for tests, not for every frame */
    w->canvas.values = w->values;
    w->dirty = 1;
    return 0;
}

static int open_window(Win *w, const char *title, SlError *e)
{
    if (SDL_Init(SDL_INIT_VIDEO) != 0)
        return sdl_fail(e, "SDL_Init");
    /* Without a display SDL falls back to drivers that show nothing; refuse them unless asked. */
    const char *driver = SDL_GetCurrentVideoDriver(), *asked = getenv("SDL_VIDEODRIVER");
    if (driver && (!strcmp(driver, "offscreen") || !strcmp(driver, "dummy")) &&
        !(asked && !strcmp(asked, driver))) {
        SDL_SetError("no display (SDL chose its '%s' video driver)", driver);
        return sdl_fail(e, "display");
    }
    int s = w->scale > 0 ? w->scale : 1; /* --scale 2: a window twice as big, as crisp */
    w->win = SDL_CreateWindow(title, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, 1280 * s,
                              720 * s, SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
    if (!w->win)
        return sdl_fail(e, "SDL_CreateWindow");
    w->ren = SDL_CreateRenderer(w->win, -1, SDL_RENDERER_PRESENTVSYNC);
    w->vsync = w->ren != NULL;
    if (!w->ren)
        w->ren = SDL_CreateRenderer(w->win, -1, SDL_RENDERER_SOFTWARE);
    if (!w->ren)
        return sdl_fail(e, "SDL_CreateRenderer");
    SDL_RendererInfo info;
    if (SDL_GetRendererInfo(w->ren, &info) == 0)
        w->vsync = (info.flags & SDL_RENDERER_PRESENTVSYNC) != 0;
    int width, height;
    SDL_GetRendererOutputSize(w->ren, &width, &height);
    return make_texture(w, width, height, e);
}

static void close_window(Win *w)
{
    sl_canvas_free(&w->canvas);
    free(w->times);
    w->times = NULL;
    if (w->tex)
        SDL_DestroyTexture(w->tex);
    if (w->ren)
        SDL_DestroyRenderer(w->ren);
    if (w->win)
        SDL_DestroyWindow(w->win);
    SDL_Quit();
}

static void draw_help(SlCanvas *c)
{
    static const char *const lines = "space    play / pause\n"
                                     "right    next step\n"
                                     "left     previous step\n"
                                     "click    pick a step, where a scene allows\n"
                                     "+ / -    faster / slower\n"
                                     "r        back to step 1\n"
                                     "s        save this frame as a PNG\n"
                                     "h        this help\n"
                                     "q, Esc   quit";
    int w, h;
    sl_canvas_text_size(lines, SL_TEXT_NUMBER, &w, &h);
    int x = (c->w - w) / 2 - 20, y = (c->h - h) / 2 - 20;
    sl_canvas_round_rect(c, x, y, w + 40, h + 40, 10, SL_WHITE);
    sl_canvas_round_frame(c, x, y, w + 40, h + 40, 10, 2, SL_INK);
    sl_canvas_text(c, x + 20, y + 20, lines, SL_TEXT_NUMBER, SL_INK);
}

/* The value of the heatmap cell under the mouse, in a box beside it. */
static void draw_hover(Win *w)
{
    int row, col, tw, th;
    float v;
    char text[128];
    const SlProbe *p = sl_canvas_probe_at(&w->canvas, w->mouse_x, w->mouse_y, &row, &col, &v);
    if (!p)
        return;
    snprintf(text, sizeof text, "%s [%d, %d] = %.4g", p->title[0] ? p->title : "value", row, col,
             (double)v);
    sl_canvas_text_size(text, SL_TEXT_NUMBER, &tw, &th);
    int x = w->mouse_x + 16, y = w->mouse_y + 16;
    x = x + tw + 16 > w->canvas.w ? w->canvas.w - tw - 16 : x;
    y = y + th + 12 > w->canvas.h ? w->mouse_y - th - 20 : y;
    sl_canvas_round_frame(&w->canvas, p->x + col * p->cw - 2, p->y + row * p->ch - 2, p->cw + 4,
                          p->ch + 4, 2, 2, SL_INK);
    sl_canvas_round_rect(&w->canvas, x, y, tw + 12, th + 8, 4, SL_WHITE);
    sl_canvas_round_frame(&w->canvas, x, y, tw + 12, th + 8, 4, 1, SL_INK);
    sl_canvas_text(&w->canvas, x + 6, y + 4, text, SL_TEXT_NUMBER, SL_INK);
}

static void render(Win *w)
{
    if (w->dirty) {
        Uint64 t0 = SDL_GetPerformanceCounter();
        w->run->scene->draw(w->run, w->pos, &w->canvas);
        draw_hover(w);
        if (w->help)
            draw_help(&w->canvas);
        SDL_UpdateTexture(w->tex, NULL, w->canvas.rgba, w->canvas.pw * 4);
        w->dirty = 0;
        double ms = (double)(SDL_GetPerformanceCounter() - t0) * 1e3 /
                    (double)SDL_GetPerformanceFrequency();
        if (w->times && w->n_times < MAX_TIMES)
            w->times[w->n_times++] = (float)ms;
    }
    SDL_RenderClear(w->ren);
    SDL_RenderCopy(w->ren, w->tex, NULL, NULL);
}

/* Head for a step: pos moves there over the next frames (from one step away at most: a jump
 * further shows only the last step's motion). */
static void go_to(Win *w, int step)
{
    int n = w->run->n_steps > 0 ? w->run->n_steps : 1;
    step = step < 0 ? 0 : (step >= n ? n - 1 : step);
    if (w->pos < step - 1)
        w->pos = step - 1;
    if (w->pos > step + 1)
        w->pos = step + 1;
    if (step != w->step || w->pos != step)
        w->dirty = 1;
    w->step = step;
    w->since_step = 0;
}

/* Move pos towards the step by dt seconds' worth; 1 while it is on its way. */
static int move(Win *w, double dt)
{
    if (w->pos == w->step)
        return 0;
    double d = dt / (TRANSITION / (w->speed > 1 ? w->speed : 1));
    w->pos = w->pos < w->step ? fmin(w->step, w->pos + d) : fmax(w->step, w->pos - d);
    w->dirty = 1;
    return 1;
}

/* What the window shows, read back from the renderer, as a PNG. */
static int save_shown(Win *w, const char *path, SlError *e)
{
    SlCanvas shot;
    int width, height;
    SDL_GetRendererOutputSize(w->ren, &width, &height);
    if (sl_canvas_init(&shot, width, height, e) < 0)
        return -1;
    int rc = SDL_RenderReadPixels(w->ren, NULL, SDL_PIXELFORMAT_RGBA32, shot.rgba, width * 4);
    rc = rc != 0 ? sl_errorf(e, "cannot read the window's pixels: %s", SDL_GetError())
                 : sl_canvas_write_png(&shot, path, e);
    sl_canvas_free(&shot);
    return rc;
}

static int on_key(Win *w, SDL_Keycode k)
{
    char path[64];
    SlError e;
    switch (k) {
    case SDLK_q:
    case SDLK_ESCAPE:
        return 1;
    case SDLK_SPACE:
        w->playing = !w->playing;
        if (w->playing && w->step == w->run->n_steps - 1)
            go_to(w, 0);
        break;
    case SDLK_RIGHT:
        go_to(w, w->step + 1);
        break;
    case SDLK_LEFT:
        go_to(w, w->step - 1);
        break;
    case SDLK_PLUS:
    case SDLK_EQUALS:
    case SDLK_KP_PLUS:
        w->speed = w->speed < 16 ? w->speed * 2 : w->speed;
        break;
    case SDLK_MINUS:
    case SDLK_KP_MINUS:
        w->speed = w->speed > 0.125 ? w->speed / 2 : w->speed;
        break;
    case SDLK_r:
        go_to(w, 0);
        break;
    case SDLK_h:
        w->help = !w->help;
        w->dirty = 1;
        break;
    case SDLK_s:
        snprintf(path, sizeof path, "shapelab-frame-%03d.png", w->saved++);
        if (save_shown(w, path, &e) < 0)
            fprintf(stderr, "shapelab: %s\n", e.msg);
        else
            printf("saved %s\n", path);
        break;
    default:
        break;
    }
    return 0;
}

/* A mouse position (window points) in canvas units. */
static void to_units(const Win *w, int x, int y, int *ux, int *uy)
{
    int points, hpts;
    SDL_GetWindowSize(w->win, &points, &hpts);
    double k = points > 0 ? (double)w->canvas.pw / points / w->canvas.scale : 1;
    *ux = (int)(x * k), *uy = (int)(y * k);
}

static int poll(Win *w, SlError *e)
{
    SDL_Event ev;
    while (SDL_PollEvent(&ev)) {
        if (ev.type == SDL_QUIT)
            return 1;
        if (ev.type == SDL_KEYDOWN && on_key(w, ev.key.keysym.sym))
            return 1;
        if (ev.type == SDL_MOUSEBUTTONDOWN && ev.button.button == SDL_BUTTON_LEFT) {
            int x, y;
            to_units(w, ev.button.x, ev.button.y, &x, &y);
            int step = sl_scene_pick(&w->canvas, x, y);
            if (step >= 0) /* a scene's clickable cells (receptive-field: an output step) */
                go_to(w, step);
        }
        if (ev.type == SDL_MOUSEMOTION) {
            to_units(w, ev.motion.x, ev.motion.y, &w->mouse_x, &w->mouse_y);
            w->dirty = 1;
        }
        if (ev.type == SDL_WINDOWEVENT && ev.window.event == SDL_WINDOWEVENT_SIZE_CHANGED) {
            int width, height;
            SDL_GetRendererOutputSize(w->ren, &width, &height);
            if (make_texture(w, width, height, e) < 0)
                return -1;
        }
    }
    return 0;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* The time to draw a frame (the scene, the hover, the upload to the texture): what motion costs. */
static void print_frame_times(Win *w)
{
    if (!w->n_times)
        return;
    qsort(w->times, (size_t)w->n_times, sizeof *w->times, cmp_float);
    printf("frame: median %.2f ms, 95%% %.2f ms, max %.2f ms to draw (%d frames drawn, %dx%d "
           "units at scale %d)\n",
           (double)w->times[w->n_times / 2], (double)w->times[w->n_times * 95 / 100],
           (double)w->times[w->n_times - 1], w->n_times, w->canvas.w, w->canvas.h, w->canvas.scale);
}

struct SlWindow {
    Win w;
};

SlWindow *sl_window_open(const char *title, SlError *e)
{
    SlWindow *sw = calloc(1, sizeof *sw);
    if (!sw) {
        sl_errorf(e, "out of memory");
        return NULL;
    }
    if (open_window(&sw->w, title, e) < 0) {
        close_window(&sw->w);
        free(sw);
        return NULL;
    }
    return sw;
}

int sl_window_show(SlWindow *sw, const SlCanvas *c)
{
    SDL_Event ev;
    while (SDL_PollEvent(&ev))
        if (ev.type == SDL_QUIT || (ev.type == SDL_KEYDOWN && (ev.key.keysym.sym == SDLK_q ||
                                                               ev.key.keysym.sym == SDLK_ESCAPE)))
            return 1;
    SDL_Texture *t = SDL_CreateTexture(sw->w.ren, SDL_PIXELFORMAT_RGBA32, SDL_TEXTUREACCESS_STATIC,
                                       c->pw, c->ph);
    if (t) {
        SDL_UpdateTexture(t, NULL, c->rgba, c->pw * 4);
        SDL_RenderClear(sw->w.ren);
        SDL_RenderCopy(sw->w.ren, t, NULL, NULL);
        SDL_RenderPresent(sw->w.ren);
        SDL_DestroyTexture(t);
    }
    return 0;
}

void sl_window_close(SlWindow *sw)
{
    if (!sw)
        return;
    close_window(&sw->w);
    free(sw);
}

int sl_window_run(SlSceneRun *run, const char *title, const SlWindowOptions *o, SlError *e)
{
    Win w;
    memset(&w, 0, sizeof w);
    w.run = run;
    w.playing = o->playing;
    w.speed = 1;
    w.dirty = 1;
    w.mouse_x = w.mouse_y = -1;
    w.scale = o->scale;
    w.values = o->values;
    w.times = o->stats ? malloc(MAX_TIMES * sizeof *w.times) : NULL;
    int rc = open_window(&w, title, e), frames = 0;
    Uint64 t0 = SDL_GetPerformanceCounter(), last = t0, freq = SDL_GetPerformanceFrequency();
    while (rc == 0) {
        int quit = poll(&w, e);
        if (quit < 0)
            rc = -1;
        if (quit) { /* --screenshot without --quit-after-frames: the last frame shown */
            if (!o->quit_after_frames && o->screenshot && save_shown(&w, o->screenshot, e) < 0)
                rc = -1;
            break;
        }
        Uint64 now = SDL_GetPerformanceCounter();
        double dt = (double)(now - last) / (double)freq;
        last = now;
        if (!move(&w, dt) && w.playing && (w.since_step += dt) >= 1.0 / w.speed) {
            if (w.step + 1 >= run->n_steps)
                w.playing = 0;
            else
                go_to(&w, w.step + 1);
        }
        render(&w);
        frames++;
        if (o->quit_after_frames && frames >= o->quit_after_frames) {
            if (o->screenshot && save_shown(&w, o->screenshot, e) < 0)
                rc = -1;
            SDL_RenderPresent(w.ren);
            break;
        }
        SDL_RenderPresent(w.ren);
        if (!w.vsync) /* no vsync: cap at about 60 frames a second */
            SDL_Delay(16);
    }
    double secs = (double)(SDL_GetPerformanceCounter() - t0) / (double)freq;
    if (o->stats && rc == 0) {
        printf("fps: %.1f\n", secs > 0 ? frames / secs : 0.0);
        print_frame_times(&w);
    }
    close_window(&w);
    return rc;
}
