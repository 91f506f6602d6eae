/* viz_commands.c: `shapelab png` (a scene to PNG files, no display needed) and `shapelab viz`
 * (the live SDL2 window). */
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

/* What png and viz share: the scene asked for (or the one that fits the model best), the double
 * build for a scene that needs it, the script, the weights, and the run. 0, or the exit code after
 * the error is printed; *s is the script to free either way (NULL if none). A scene not asked for
 * leaves in why the layer it was chosen for, and what it shows of it ("" otherwise). */
static int start_scene(Opts *o, SlScript **s, SlSceneRun *run, char *why, size_t n_why)
{
    SlModel *m;
    SlError e;
    const SlScene *scene = NULL;
    *s = NULL;
    why[0] = '\0';
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
    if (sl_scene_start(run, scene, m, o->have_batch ? o->batch : 2,
                       o->have_timesteps ? o->timesteps : 8, NULL, &e) < 0)
        return cli_fail("%s: %s", o->script, e.msg);
    return 0;
}

/* Every step of the run as numbered PNGs in o->frames. */
static int write_frames(const Opts *o, const SlSceneRun *run, SlCanvas *c)
{
    SlError e;
    mkdir(o->frames, 0777); /* an existing directory is fine */
    for (int k = 0; k < run->n_steps; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/frame_%03d.png", o->frames, k);
        run->scene->draw(run, k, c);
        if (sl_canvas_write_png(c, path, &e) < 0)
            return cli_fail("%s", e.msg);
    }
    printf("wrote %d frame%s of scene '%s' to %s/\n", run->n_steps, run->n_steps == 1 ? "" : "s",
           run->scene->name, o->frames);
    return 0;
}

int cmd_png(Opts *o)
{
    SlError e;
    SlCanvas c;
    SlSceneRun run;
    SlScript *s;
    if (!o->out && !o->frames)
        return cli_fail("png needs -o OUT.png (one picture) or --frames DIR (every step)");
    char why[256];
    int rc = start_scene(o, &s, &run, why, sizeof why);
    if (rc == 0) {
        if (sl_canvas_init(&c, PNG_W, PNG_H, &e) < 0) {
            rc = cli_fail("%s", e.msg);
        } else {
            if (!o->out) {
                rc = write_frames(o, &run, &c);
            } else {
                run.scene->draw(&run, run.n_steps - 1, &c); /* the last step: the whole story */
                if (sl_canvas_write_png(&c, o->out, &e) < 0)
                    rc = cli_fail("%s", e.msg);
                else
                    printf("wrote %s: scene '%s'%s%s\n", o->out, run.scene->name,
                           why[0] ? ", for " : "", why);
            }
            sl_canvas_free(&c);
        }
        sl_scene_end(&run);
    }
    sl_script_free(s);
    return rc;
}

int cmd_viz(Opts *o)
{
    SlError e;
    SlSceneRun run;
    SlScript *s;
    char why[256];
    int rc = start_scene(o, &s, &run, why, sizeof why);
    if (rc == 0) {
        char title[256];
        SlWindowOptions wo = {o->quit_after_frames, o->screenshot, o->stats, 1};
        snprintf(title, sizeof title, "shapelab: %s (%s)", o->script, run.scene->name);
        if (sl_window_run(&run, title, &wo, &e) < 0)
            rc = cli_fail("%s", e.msg);
        sl_scene_end(&run);
    }
    sl_script_free(s);
    return rc;
}
