/* viz_commands.c: `shapelab png` (a scene to PNG files or an animated PNG, no display needed) and
 * `shapelab viz` (the live SDL2 window). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "canvas.h"
#include "cli.h"
#include "scene.h"
#include "window.h"

enum { PNG_W = 1280, PNG_H = 720 };

int cmd_list_scenes(void)
{
    for (int i = 0; i < sl_scene_count(); i++)
        printf("  %-16s %s\n", sl_scene_at(i)->name, sl_scene_at(i)->what);
    return 0;
}

/* The learner's data for a scene (-x, one file per model input), kept while the run draws. */
typedef struct Data {
    SlNpy arrays[CLI_MAX_FILES];
    SlTensor x[CLI_MAX_FILES];
    int n;
} Data;

/* What png and viz share: the scene asked for (or the one that fits the model best), the double
 * build for a scene that needs it, the script, the weights, the data and the run. 0, or the exit
 * code after the error is printed; *s is the script to free either way (NULL if none), and the
 * data's arrays to free with data_free. A scene not asked for leaves in why the layer it was chosen
 * for, and what it shows of it ("" otherwise). */
static int start_scene(Opts *o, SlScript **s, Data *data, SlSceneRun *run, char *why, size_t n_why)
{
    SlModel *m;
    SlError e;
    const SlScene *scene = NULL;
    *s = NULL;
    data->n = 0;
    why[0] = '\0';
    if (o->have_sample && !o->n_x)
        return cli_fail("--sample picks a sample of the data given with -x X.npy");
    if (o->scene && !(scene = sl_scene_find(o->scene)))
        return cli_fail("no scene named '%s' (shapelab png --list-scenes)", o->scene);
    if (scene && scene->in_double) {
        char what[64];
        snprintf(what, sizeof what, "the %s scene", scene->name);
        if (cli_run_double(o, what) >= 0)
            return 2;
    }
    if (!(*s = cli_load(o, &m)) || cli_weights(o, m) != 0)
        return 2;
    if (!scene)
        scene = sl_scene_best(m, why, n_why);
    if (!o->scene && scene->in_double) { /* the best scene is drawn in double: hand over too */
        char what[64];
        snprintf(what, sizeof what, "the %s scene", scene->name);
        if (cli_run_double(o, what) >= 0)
            return 2;
    }
    if (o->n_x && cli_read_arrays(o->x, o->n_x, data->arrays, data->x) != 0)
        return 2;
    data->n = o->n_x;
    if (o->n_x && !scene->draws_data)
        fprintf(stderr,
                "shapelab: note: the %s scene draws what it builds itself; -x only sets the "
                "steps it draws\n",
                scene->name);
    SlSceneOptions so = {.batch = o->have_batch ? o->batch : 0,
                         .timesteps = o->have_timesteps ? o->timesteps : 0,
                         .x = o->n_x ? data->x : NULL,
                         .n_x = o->n_x,
                         .sample = o->sample};
    if (sl_scene_start_with(run, scene, m, &so, &e) < 0)
        return cli_fail("%s%s%s: %s", o->script, o->n_x ? " with " : "", o->n_x ? o->x[0] : "",
                        e.msg);
    return 0;
}

static void data_free(Data *data)
{
    cli_free_arrays(data->arrays, data->n);
    data->n = 0;
}

/* Writing frames as numbered PNGs into a directory. */
typedef struct FrameDir {
    const char *dir;
    int n;
} FrameDir;

static int frame_png(void *ctx, const SlCanvas *c, int delay_ms, SlError *e)
{
    FrameDir *f = ctx;
    char path[4096];
    (void)delay_ms;
    snprintf(path, sizeof path, "%s/frame_%03d.png", f->dir, f->n++);
    return sl_canvas_write_png(c, path, e);
}

/* Every step of the run as numbered PNGs in o->frames; with --animate every frame of the
 * animation, in-between frames too. */
static int write_frames(const Opts *o, const SlSceneRun *run, SlCanvas *c)
{
    SlError e;
    FrameDir f = {o->frames, 0};
    mkdir(o->frames, 0777); /* an existing directory is fine */
    if (o->animate) {
        if (sl_scene_animate(run, c, frame_png, &f, &e) != 0)
            return cli_fail("%s", e.msg);
    } else {
        for (int k = 0; k < run->n_steps; k++) {
            run->scene->draw(run, k, c);
            if (frame_png(&f, c, 0, &e) < 0)
                return cli_fail("%s", e.msg);
        }
    }
    printf("wrote %d frame%s of scene '%s' to %s/%s\n", f.n, f.n == 1 ? "" : "s", run->scene->name,
           o->frames, o->animate ? " (every frame of the animation)" : "");
    return 0;
}

int cmd_png(Opts *o)
{
    SlError e;
    SlCanvas c;
    SlSceneRun run;
    SlScript *s;
    Data data;
    char why[256];
    if (!o->out && !o->frames)
        return cli_fail("png needs -o OUT.png (one picture) or --frames DIR (every step)");
    int rc = start_scene(o, &s, &data, &run, why, sizeof why);
    if (rc == 0) {
        if (sl_canvas_init_scaled(&c, PNG_W, PNG_H, o->scale ? o->scale : 1, &e) < 0) {
            rc = cli_fail("%s", e.msg);
        } else {
            c.values = o->values;
            if (!o->out) {
                rc = write_frames(o, &run, &c);
            } else {
                if (o->animate) { /* the still first, then the scene from its first step */
                    rc = sl_scene_write_apng(&run, &c, o->out, &e);
                } else { /* the last step: the whole story */
                    run.scene->draw(&run, run.n_steps - 1, &c);
                    rc = sl_canvas_write_png(&c, o->out, &e);
                }
                if (rc < 0)
                    rc = cli_fail("%s", e.msg);
                else
                    printf("wrote %s: scene '%s'%s%s%s\n", o->out, run.scene->name,
                           o->animate ? ", animated" : "", why[0] ? ", for " : "", why);
            }
            sl_canvas_free(&c);
        }
        sl_scene_end(&run);
    }
    data_free(&data);
    sl_script_free(s);
    return rc;
}

int cmd_viz(Opts *o)
{
    SlError e;
    SlSceneRun run;
    SlScript *s;
    Data data;
    char why[256];
    int rc = start_scene(o, &s, &data, &run, why, sizeof why);
    if (rc == 0) {
        char title[256];
        SlWindowOptions wo = {.quit_after_frames = o->quit_after_frames,
                              .screenshot = o->screenshot,
                              .stats = o->stats,
                              .playing = 1,
                              .scale = o->scale,
                              .values = o->values};
        snprintf(title, sizeof title, "shapelab: %s (%s)", o->script, run.scene->name);
        if (sl_window_run(&run, title, &wo, &e) < 0)
            rc = cli_fail("%s", e.msg);
        sl_scene_end(&run);
    }
    data_free(&data);
    sl_script_free(s);
    return rc;
}
