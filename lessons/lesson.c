/* lesson.c: banner, steps and printing shared by the lessons. */
#include "lesson.h"

#include <sys/stat.h>

#include "canvas.h"
#include "scene.h"
#include "window.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int lesson_begin(Lesson *ls, int argc, char **argv, const char *title, const char *question,
                 const char *you_will_see, int stars)
{
    memset(ls, 0, sizeof *ls);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            ls->quick = 1;
        } else if (!strcmp(argv[i], "--viz")) {
            ls->viz = 1;
        } else if (!strcmp(argv[i], "--png") && i + 1 < argc) {
            ls->png_dir = argv[++i];
        } else if (!strcmp(argv[i], "--help")) {
            printf("usage: %s [--quick] [--viz | --png DIR]\n"
                   "  --quick    run straight through without pausing\n"
                   "  --viz      show the lesson's scenes in a window\n"
                   "  --png DIR  write the scenes' frames into DIR as PNGs\n",
                   argv[0]);
            return 1;
        } else {
            fprintf(stderr, "%s: unknown option '%s' (try --help)\n", argv[0], argv[i]);
            exit(2);
        }
    }
    ls->interactive = !ls->quick && isatty(0) && isatty(1);
    const char *slash = strrchr(argv[0], '/');
    ls->name = slash ? slash + 1 : argv[0];
    printf("==============================================================================\n");
    printf("  %s   [%s]\n", title, stars >= 3 ? "***" : stars == 2 ? "**" : "*");
    printf("------------------------------------------------------------------------------\n");
    printf("  Question: %s\n", question);
    printf("  You will see: %s\n", you_will_see);
    printf("==============================================================================\n");
    return 0;
}

void lesson_step(Lesson *ls, const char *heading)
{
    if (ls->step > 0 && ls->interactive) {
        printf("\n  [press Enter to go on]");
        fflush(stdout);
        int c;
        while ((c = getchar()) != '\n' && c != EOF)
            ;
    }
    ls->step++;
    printf("\n--- Step %d: %s\n\n", ls->step, heading);
}

void lesson_show_error(const char *what, const SlError *e)
{
    printf("  %s\n    error: %s\n", what, e->msg);
}

void lesson_die(const SlError *e)
{
    fprintf(stderr, "lesson: unexpected error: %s\n", e->msg);
    exit(1);
}

void lesson_expect(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "lesson: %s\n", what);
        exit(1);
    }
}

int lesson_gradcheck(SlModel *m, SlShape in, uint64_t seed)
{
    static sl_real x[256];
    SlError e;
    if (sl_shape_count(&in) > sizeof x / sizeof x[0]) {
        sl_errorf(&e, "lesson_gradcheck takes at most 256 input values");
        lesson_die(&e);
    }
    SlTensor t = sl_tensor(in, x);
    SlRng r = sl_rng(seed);
    sl_gradcheck_fill_input(&t, &r);
    SlGradcheckOptions o = sl_gradcheck_defaults();
    SlGradcheckReport rep;
    if (sl_gradcheck(m, &t, &o, &rep, &e) < 0)
        lesson_die(&e);
    char table[2048];
    sl_gradcheck_format(&rep, table, sizeof table);
    printf("%s\n", table);
    return rep.ok;
}

void lesson_print_tensor(const char *name, const SlTensor *t, int max_rows)
{
    char s[96];
    int cols = t->shape.rank ? t->shape.dim[t->shape.rank - 1] : 1;
    size_t rows = cols ? sl_tensor_count(t) / (size_t)cols : 0;
    printf("  %s, shape %s:\n", name, sl_shape_str(&t->shape, s, sizeof s));
    for (size_t r = 0; r < rows && (int)r < max_rows; r++) {
        printf("    [");
        for (int c = 0; c < cols && c < 10; c++)
            printf("%s%7.3f", c ? " " : "", (double)t->data[r * (size_t)cols + (size_t)c]);
        printf("%s]\n", cols > 10 ? " ..." : "");
    }
    if ((int)rows > max_rows)
        printf("    ... (%zu rows in all)\n", rows);
}

static void write_frames(Lesson *ls, SlSceneRun *run, const char *scene)
{
    SlCanvas c;
    SlError e;
    if (sl_canvas_init(&c, 1280, 720, &e) < 0) {
        fprintf(stderr, "lesson: %s\n", e.msg);
        return;
    }
    mkdir(ls->png_dir, 0777);
    int first = run->n_steps > 12 ? run->n_steps - 1 : 0; /* long runs: the last frame only */
    for (int k = first; k < run->n_steps; k++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s-%d-%s-%03d.png", ls->png_dir, ls->name, ls->shown, scene,
                 k + 1);
        run->scene->draw(run, k, &c);
        if (sl_canvas_write_png(&c, path, &e) < 0)
            fprintf(stderr, "lesson: %s\n", e.msg);
    }
    printf("  (wrote %d picture%s of the %s scene to %s/%s-%d-%s-*.png)\n", run->n_steps - first,
           run->n_steps - first == 1 ? "" : "s", scene, ls->png_dir, ls->name, ls->shown, scene);
    char path[1024]; /* and the whole scene, moving, as an animated PNG */
    snprintf(path, sizeof path, "%s/%s-%d-%s-animated.png", ls->png_dir, ls->name, ls->shown,
             scene);
    if (sl_scene_write_apng(run, &c, path, &e) < 0)
        fprintf(stderr, "lesson: %s\n", e.msg);
    else
        printf("  (and all of it, animated: %s)\n", path);
    sl_canvas_free(&c);
}

void lesson_visualize(Lesson *ls, SlModel *m, const char *scene, const SlHistory *h)
{
    SlSceneRun run;
    SlError e;
    const SlScene *s = sl_scene_find(scene);
    if (!ls->viz && !ls->png_dir)
        return;
    if (!s || sl_scene_start(&run, s, m, 2, 8, h, &e) < 0) {
        fprintf(stderr, "lesson: cannot show the %s scene: %s\n", scene,
                s ? e.msg : "no such scene");
        return;
    }
    ls->shown++;
    if (ls->png_dir)
        write_frames(ls, &run, scene);
    if (ls->viz) {
        char title[160];
        SlWindowOptions wo = {.playing = 1};
        snprintf(title, sizeof title, "%s: the %s scene (h for help, q to go on)", ls->name, scene);
        printf("  (the window shows the %s scene; press q there to go on)\n", scene);
        if (sl_window_run(&run, title, &wo, &e) < 0)
            fprintf(stderr, "lesson: %s\n", e.msg);
    }
    sl_scene_end(&run);
}
