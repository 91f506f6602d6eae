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

/* The scene asked for, or the one that fits the model best. */
static const SlScene *pick_scene(const Opts *o, const SlModel *m)
{
    if (!o->scene)
        return sl_scene_best(m);
    const SlScene *s = sl_scene_find(o->scene);
    if (!s)
        cli_fail("no scene named '%s' (shapelab png --list-scenes)", o->scene);
    return s;
}

int cmd_png(Opts *o)
{
    SlModel *m;
    SlError e;
    SlCanvas c;
    SlSceneRun run;
    if (!o->out && !o->frames)
        return cli_fail("png needs -o OUT.png (one picture) or --frames DIR (every step)");
    if (o->scene && !strcmp(o->scene, "gradcheck") && cli_run_double(o, "the gradcheck scene") >= 0)
        return 2;
    SlScript *s = cli_load(o, &m);
    if (!s)
        return 2;
    const SlScene *scene = pick_scene(o, m);
    int rc = 0;
    if (!scene)
        rc = 2;
    else if (cli_weights(o, m) != 0)
        rc = 2;
    else if (sl_scene_start(&run, scene, m, o->have_batch ? o->batch : 2,
                            o->have_timesteps ? o->timesteps : 8, NULL, &e) < 0)
        rc = cli_fail("%s: %s", o->script, e.msg);
    else {
        if (sl_canvas_init(&c, PNG_W, PNG_H, &e) < 0) {
            rc = cli_fail("%s", e.msg);
        } else if (o->out) {
            scene->draw(&run, run.n_steps - 1, &c);
            if (sl_canvas_write_png(&c, o->out, &e) < 0)
                rc = cli_fail("%s", e.msg);
        } else {
            mkdir(o->frames, 0777); /* an existing directory is fine */
            for (int k = 0; k < run.n_steps && rc == 0; k++) {
                char path[4096];
                snprintf(path, sizeof path, "%s/frame_%03d.png", o->frames, k);
                scene->draw(&run, k, &c);
                if (sl_canvas_write_png(&c, path, &e) < 0)
                    rc = cli_fail("%s", e.msg);
            }
            if (rc == 0)
                printf("wrote %d frame%s of scene '%s' to %s/\n", run.n_steps,
                       run.n_steps == 1 ? "" : "s", scene->name, o->frames);
        }
        sl_canvas_free(&c);
        sl_scene_end(&run);
    }
    sl_script_free(s);
    return rc;
}

int cmd_viz(Opts *o)
{
    SlModel *m;
    SlError e;
    SlSceneRun run;
    if (o->scene && !strcmp(o->scene, "gradcheck") && cli_run_double(o, "the gradcheck scene") >= 0)
        return 2;
    SlScript *s = cli_load(o, &m);
    if (!s)
        return 2;
    const SlScene *scene = pick_scene(o, m);
    int rc = 0;
    if (!scene || cli_weights(o, m) != 0) {
        rc = 2;
    } else if (sl_scene_start(&run, scene, m, o->have_batch ? o->batch : 2,
                              o->have_timesteps ? o->timesteps : 8, NULL, &e) < 0) {
        rc = cli_fail("%s: %s", o->script, e.msg);
    } else {
        char title[256];
        SlWindowOptions wo = {o->quit_after_frames, o->screenshot, o->stats, 1};
        snprintf(title, sizeof title, "shapelab: %s (%s)", o->script, scene->name);
        if (sl_window_run(&run, title, &wo, &e) < 0)
            rc = cli_fail("%s", e.msg);
        sl_scene_end(&run);
    }
    sl_script_free(s);
    return rc;
}
