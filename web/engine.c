/* engine.c: shapelab in the browser: what the page's worker calls (web/worker.js).
 *
 * The page runs the same code as the shapelab program: web_cli is its main (summary and trace
 * print what the CLI prints, errors included), and a scene is prepared as `shapelab png` prepares
 * it, then drawn at any position between its steps as the window draws it. Files (the script, the
 * learner's .npy, the PNGs made for download) live in emscripten's in-memory file system.
 *
 * One scene run is kept at a time, with its canvas; the worker hands the canvas's pixels to the
 * page, which shows them in an HTML <canvas> (the page is the window: web/page.js).
 *
 * The float32 build cannot draw the scenes whose numbers mean something only in double
 * (SlScene.in_double): there web_scene_start says so, and the page asks the double build, as the
 * float32 CLI hands such scenes to build/f64/shapelab.
 */
#include <emscripten.h>
#include <stdio.h>
#include <string.h>

#include "canvas.h"
#include "cli.h"
#include "scene.h"

enum { UNITS_W = 1280, UNITS_H = 720 }; /* a scene's layout, as `shapelab png` draws it */

/* The scene shown, with everything it was made from. */
typedef struct Session {
    int active;
    Opts o;
    SlScript *script;
    SlNpy arrays[CLI_MAX_FILES];
    SlTensor x[CLI_MAX_FILES];
    int n_x;
    SlSceneRun run;
    SlCanvas canvas;
    char why[256];
} Session;

static Session session;

/* shapelab's main, called again for each command line. Output goes to the worker through
 * stdout and stderr, flushed here since the program never exits. */
EMSCRIPTEN_KEEPALIVE int web_cli(int argc, char **argv)
{
    Opts o;
    int rc = cli_parse(argc, argv, &o);
    if (rc < 0)
        rc = cli_check_files(&o) != 0 ? 2 : o.run(&o);
    cli_opts_free(&o);
    fflush(stdout);
    fflush(stderr);
    return rc;
}

EMSCRIPTEN_KEEPALIVE void web_scene_end(void)
{
    Session *s = &session;
    if (s->active) {
        sl_scene_end(&s->run);
        sl_canvas_free(&s->canvas);
    }
    cli_free_arrays(s->arrays, s->n_x);
    sl_script_free(s->script);
    cli_opts_free(&s->o);
    memset(s, 0, sizeof *s);
}

/* The scene asked for (--scene), else the one that fits the model best, as `shapelab png` picks
 * it; NULL after saying why on stderr. */
static const SlScene *pick_scene(Session *s, SlModel *m)
{
    const SlScene *scene = NULL;
    if (s->o.scene && !(scene = sl_scene_find(s->o.scene)))
        cli_fail("no scene named '%s' (shapelab png --list-scenes)", s->o.scene);
    return s->o.scene ? scene : sl_scene_best(m, s->why, sizeof s->why);
}

/* Prepare the scene of a `png` command line (MODEL.py [--scene NAME] [-x X.npy [--sample N]]
 * [--timesteps T] [--batch N] [-w W.safetensors]) and a canvas of `scale` pixels per unit for
 * it. Returns its number of steps; -1 after the error is printed on stderr as the CLI prints it;
 * -2 when the scene is drawn in double and this is the float32 build (the scene's name is then
 * web_scene_name's). */
static int scene_start(int argc, char **argv, int scale)
{
    Session *s = &session;
    SlModel *m;
    SlError e;
    web_scene_end();
    int rc = cli_parse(argc, argv, &s->o);
    if (rc >= 0)
        return -1;
    if (cli_check_files(&s->o) != 0 || !(s->script = cli_load(&s->o, &m)) ||
        cli_weights(&s->o, m) != 0)
        return -1;
    const SlScene *scene = pick_scene(s, m);
    if (!scene)
        return -1;
    s->run.scene = scene; /* its name, for the page */
#ifndef SL_DOUBLE
    if (scene->in_double)
        return -2;
#endif
    if (s->o.n_x && cli_read_arrays(s->o.x, s->o.n_x, s->arrays, s->x) != 0)
        return -1;
    s->n_x = s->o.n_x;
    if (s->n_x && !scene->draws_data)
        fprintf(stderr,
                "shapelab: note: the %s scene draws what it builds itself; -x only sets the "
                "steps it draws\n",
                scene->name);
    SlSceneOptions so = {.batch = s->o.have_batch ? s->o.batch : 0,
                         .timesteps = s->o.have_timesteps ? s->o.timesteps : 0,
                         .x = s->n_x ? s->x : NULL,
                         .n_x = s->n_x,
                         .sample = s->o.sample};
    if (sl_scene_start_with(&s->run, scene, m, &so, &e) < 0) {
        cli_fail("%s%s%s: %s", s->o.script, s->n_x ? " with " : "", s->n_x ? s->o.x[0] : "", e.msg);
        return -1;
    }
    s->active = 1;
    if (sl_canvas_init_scaled(&s->canvas, UNITS_W, UNITS_H, scale, &e) < 0) {
        cli_fail("%s", e.msg);
        return -1;
    }
    s->canvas.recording = 0; /* the record is for layout tests, not for every frame */
    s->canvas.values = s->o.values;
    return s->run.n_steps;
}

EMSCRIPTEN_KEEPALIVE int web_scene_start(int argc, char **argv, int scale)
{
    int rc = scene_start(argc, argv, scale);
    fflush(stdout);
    fflush(stderr);
    return rc;
}

/* The scene prepared (or refused with -2), and why it was chosen when it was not asked for. */
EMSCRIPTEN_KEEPALIVE const char *web_scene_name(void)
{
    return session.run.scene ? session.run.scene->name : "";
}

EMSCRIPTEN_KEEPALIVE const char *web_scene_why(void)
{
    return session.why;
}

/* Draw the scene at a position between its steps (SlScene.draw); returns the canvas's RGBA
 * pixels (web_scene_width x web_scene_height), or 0 when no scene is prepared. */
EMSCRIPTEN_KEEPALIVE const uint8_t *web_scene_draw(double at)
{
    if (!session.active)
        return NULL;
    session.run.scene->draw(&session.run, at, &session.canvas);
    return session.canvas.rgba;
}

EMSCRIPTEN_KEEPALIVE int web_scene_width(void)
{
    return session.canvas.pw;
}

EMSCRIPTEN_KEEPALIVE int web_scene_height(void)
{
    return session.canvas.ph;
}

/* The step a click at (x, y) units picks, or -1 (sl_scene_pick). */
EMSCRIPTEN_KEEPALIVE int web_scene_pick(int x, int y)
{
    return session.active ? sl_scene_pick(&session.canvas, x, y) : -1;
}

/* The picture at a position as a PNG file; the whole scene as an animated PNG (`png --animate`).
 * 0, or -1 after saying why on stderr. */
EMSCRIPTEN_KEEPALIVE int web_scene_save_png(double at, const char *path)
{
    SlError e;
    int rc = 0;
    if (!session.active)
        return -1;
    session.run.scene->draw(&session.run, at, &session.canvas);
    if (sl_canvas_write_png(&session.canvas, path, &e) < 0) {
        cli_fail("%s", e.msg);
        rc = -1;
    }
    fflush(stderr);
    return rc;
}

EMSCRIPTEN_KEEPALIVE int web_scene_save_apng(const char *path)
{
    SlError e;
    int rc = 0;
    if (!session.active)
        return -1;
    if (sl_scene_write_apng(&session.run, &session.canvas, path, &e) < 0) {
        cli_fail("%s", e.msg);
        rc = -1;
    }
    fflush(stderr);
    return rc;
}

/* The scenes, for the page's picker. */
EMSCRIPTEN_KEEPALIVE int web_scene_count(void)
{
    return sl_scene_count();
}

EMSCRIPTEN_KEEPALIVE const char *web_scene_list_name(int i)
{
    return sl_scene_at(i)->name;
}

EMSCRIPTEN_KEEPALIVE const char *web_scene_list_what(int i)
{
    return sl_scene_at(i)->what;
}

EMSCRIPTEN_KEEPALIVE int web_scene_list_in_double(int i)
{
    return sl_scene_at(i)->in_double;
}
