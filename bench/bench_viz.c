/* bench_viz.c: the speed of the visualizer, measured here and never in a timed test. The budgets:
 * a frame drawn offscreen at 1280x720 in under 8 ms on one core while the scene moves between two
 * steps (the window animates at 60 frames a second and has more to do than draw), its PNG written
 * in under 100 ms, and the whole scene as an animated PNG in under 2 s.
 *
 * Two models: the largest script in ../shared/models that builds today (most layer calls, then
 * most parameters; scripts with layers not built yet are skipped), and a model built here through
 * the API with the size of 11_causal_cnn_fixed.py (the same 15 layers and shapes, Dense standing
 * in for TimeDistributed(Conv1D) and Conv1D, Dropout for MaxPool1D), so the frame time reflects a
 * tall model. Every registered scene that fits each model draws its last step (the frame `shapelab
 * png` writes) and the positions between its steps (as the window draws them while moving): the
 * best and median of 50 draws with the canvas's record off (as the window draws) and on (as tests
 * draw), the best of 5 PNG writes to /tmp, and one APNG of the whole scene. Single-threaded; run
 * from the repository's root:
 *   make bench
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "canvas.h"
#include "scene.h"
#include "script/script.h"
#include "sl.h"

enum { W = 1280, H = 720, DRAWS = 50, PNGS = 5, MAX_SCRIPTS = 64 };
static const double FRAME_BUDGET_MS = 8.0, PNG_BUDGET_MS = 100.0, APNG_BUDGET_MS = 2000.0;
static const char *const MODELS_DIR = "../shared/models";

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *verdict(double ms, double budget)
{
    return ms < budget ? "PASS" : "over budget";
}

static long file_kib(const char *path)
{
    FILE *f = fopen(path, "rb");
    long bytes = -1;
    if (f && fseek(f, 0, SEEK_END) == 0)
        bytes = ftell(f);
    if (f)
        fclose(f);
    return bytes < 0 ? -1 : bytes / 1024;
}

/* The model of 11_causal_cnn_fixed.py with the layers built today: (None, 10, 5) -> Permute ->
 * Reshape (5, 10, 1) -> 5 x Dense(32) (5, 10, 32) -> Permute (10, 5, 32) -> Reshape (10, 160) ->
 * Dense(32) with a 160x32 kernel -> 2 x Dense(32) -> Dropout -> Flatten (320) -> Dense(1). */
static SlModel *synthetic_model(SlError *e)
{
    static const char *const layers[][2] = {
        {"InputLayer", "input_shape=(10, 5)"},
        {"Permute", "(2, 1)"},
        {"Reshape", "target_shape=(5, 10, 1)"},
        {"Dense", "32, activation='elu'"},
        {"Dense", "32, activation='elu'"},
        {"Dense", "32, activation='elu'"},
        {"Dense", "32, activation='elu'"},
        {"Dense", "32, activation='elu'"},
        {"Permute", "(2, 1, 3)"},
        {"Reshape", "target_shape=(10, 160)"},
        {"Dense", "32, activation='elu'"},
        {"Dense", "32, activation='elu'"},
        {"Dense", "32, activation='elu'"},
        {"Dropout", "0.5"},
        {"Flatten", ""},
        {"Dense", "1"},
    };
    SlModel *m = sl_sequential("causal_cnn_like");
    for (size_t i = 0; m && i < sizeof layers / sizeof layers[0]; i++)
        if (sl_model_add(m, sl_layer(layers[i][0], layers[i][1], e), e) < 0) {
            sl_model_free(m);
            return NULL;
        }
    return m;
}

/* The largest script of MODELS_DIR that builds; *name gets its file name. */
static SlScript *largest_script(SlModel **model, char *name, size_t name_size, int *n_built,
                                int *n_tried)
{
    char *files[MAX_SCRIPTS];
    int n = 0;
    DIR *d = opendir(MODELS_DIR);
    struct dirent *de;
    while (d && (de = readdir(d)) && n < MAX_SCRIPTS) {
        size_t len = strlen(de->d_name);
        if (len > 3 && !strcmp(de->d_name + len - 3, ".py"))
            files[n++] = strdup(de->d_name);
    }
    if (d)
        closedir(d);
    qsort(files, (size_t)n, sizeof files[0], cmp_str);
    SlScript *best = NULL;
    *model = NULL;
    *n_built = 0;
    *n_tried = n;
    for (int i = 0; i < n; i++) {
        char path[1024];
        SlError e;
        SlScriptOptions o = {0};
        snprintf(path, sizeof path, "%s/%s", MODELS_DIR, files[i]);
        SlScript *s = sl_script_run(path, &o, &e);
        SlModel *m = s ? sl_script_model(s, &e) : NULL;
        if (m && m->n_outputs > 0) {
            ++*n_built;
            if (!best || m->n_nodes > (*model)->n_nodes ||
                (m->n_nodes == (*model)->n_nodes &&
                 sl_model_count_params(m) > sl_model_count_params(*model))) {
                sl_script_free(best);
                best = s, *model = m;
                snprintf(name, name_size, "%s", files[i]);
                s = NULL;
            }
        }
        sl_script_free(s);
        free(files[i]);
    }
    return best;
}

/* Every scene a layer of m claims, or only `only` (asked for by name): frame times (record off and
 * on), PNG write time, APNG time. */
static int bench_model(SlModel *m, const char *label, const char *only)
{
    char png[128];
    snprintf(png, sizeof png, "/tmp/shapelab_bench_viz_%ld.png", (long)getpid());
    printf("%s: %d layer calls, %zu params\n", label, m->n_nodes, sl_model_count_params(m));
    for (int k = 0; k < sl_scene_count(); k++) {
        const SlScene *scene = sl_scene_at(k);
        SlSceneRun run;
        SlCanvas c;
        SlError e;
        if (only ? strcmp(scene->name, only) != 0 : sl_scene_claim(m, scene) <= 0) {
            if (!only)
                printf("  scene %s: skipped (no layer of this model claims it)\n", scene->name);
            continue;
        }
        if (sl_scene_start(&run, scene, m, 2, 8, NULL, &e) < 0) {
            printf("  scene %s: skipped (%s)\n", scene->name, e.msg);
            continue;
        }
        if (sl_canvas_init(&c, W, H, &e) < 0) {
            fprintf(stderr, "bench: %s\n", e.msg);
            sl_scene_end(&run);
            return 1;
        }
        int step = run.n_steps > 0 ? run.n_steps - 1 : 0;
        for (int rec = 0; rec <= 1; rec++) {
            double t[DRAWS];
            c.recording = rec;
            scene->draw(&run, step, &c);      /* warm: caches, the record's first growth */
            for (int i = 0; i < DRAWS; i++) { /* the last step, then moving towards it */
                double at = i % 2 ? step : step - (double)i / DRAWS;
                double t0 = now();
                scene->draw(&run, at < 0 ? 0 : at, &c);
                t[i] = (now() - t0) * 1e3;
            }
            qsort(t, DRAWS, sizeof t[0], cmp_double);
            double med = (t[DRAWS / 2 - 1] + t[DRAWS / 2]) / 2;
            printf("  frame %dx%d, scene %-6s step %d/%d and between, record %-3s: best %6.2f ms, "
                   "median %6.2f ms of %d  (budget %.0f ms: %s)%s\n",
                   W, H, scene->name, step + 1, run.n_steps, rec ? "on" : "off", t[0], med, DRAWS,
                   FRAME_BUDGET_MS, verdict(med, FRAME_BUDGET_MS),
                   rec ? "" : "  <- as the window draws");
        }
        c.recording = 0;
        double a0 = now();
        if (sl_scene_write_apng(&run, &c, png, &e) < 0) {
            fprintf(stderr, "bench: %s\n", e.msg);
            sl_canvas_free(&c);
            sl_scene_end(&run);
            return 1;
        }
        double apng_ms = (now() - a0) * 1e3;
        printf("  apng  %dx%d, scene %-6s (%ld KiB): %7.1f ms  (budget %.0f ms: %s)\n", W, H,
               scene->name, file_kib(png), apng_ms, APNG_BUDGET_MS,
               verdict(apng_ms, APNG_BUDGET_MS));
        scene->draw(&run, step, &c);
        double best = 1e9;
        for (int i = 0; i < PNGS; i++) {
            double t0 = now();
            if (sl_canvas_write_png(&c, png, &e) < 0) {
                fprintf(stderr, "bench: %s\n", e.msg);
                sl_canvas_free(&c);
                sl_scene_end(&run);
                return 1;
            }
            double ms = (now() - t0) * 1e3;
            best = ms < best ? ms : best;
        }
        long kib = file_kib(png);
        remove(png);
        printf("  png   %dx%d, scene %-6s (%ld KiB to /tmp): best of %d: %6.2f ms  "
               "(budget %.0f ms: %s)\n",
               W, H, scene->name, kib, PNGS, best, PNG_BUDGET_MS, verdict(best, PNG_BUDGET_MS));
        sl_canvas_free(&c);
        sl_scene_end(&run);
    }
    return 0;
}

int main(void)
{
    SlError e;
    int rc = 0, built, tried;
    char name[256] = "", label[512];
    SlModel *sm;
    printf("viz speed (%s engine), %dx%d offscreen, one thread:\n", SL_REAL_NAME, W, H);
    SlScript *s = largest_script(&sm, name, sizeof name, &built, &tried);
    if (s) {
        snprintf(label, sizeof label, "%s/%s (largest of the %d of %d scripts that build today)",
                 MODELS_DIR, name, built, tried);
        rc |= bench_model(sm, label, NULL);
        sl_script_free(s);
    } else {
        printf("%s: no script builds (run from the repository's root); skipped\n", MODELS_DIR);
    }
    SlModel *m = synthetic_model(&e);
    if (!m) {
        fprintf(stderr, "bench: synthetic model: %s\n", e.msg);
        return 1;
    }
    rc |= bench_model(m, "synthetic model the size of 11_causal_cnn_fixed.py", NULL);
    sl_model_free(m);
    /* the scenes of the README's gallery, each on its model */
    static const char *const gallery[][2] = {
        {"10_causal_dilated.py", "receptive-field"},
        {"12_conv2d_channels.py", "conv2d"},
        {"01_stacked_lstm.py", "lstm"},
        {"06_masking.py", "mask"},
        {"13_conv_backprop.py", "conv-backprop"},
        {"08_seq2seq_encoder_decoder.py", "seq2seq"},
        {"04_stateful.py", "stateful"},
        {"18_conv_transpose.py", "transposed-conv"},
    };
    for (size_t i = 0; i < sizeof gallery / sizeof gallery[0]; i++) {
        char path[512];
        SlScriptOptions o = {0};
        snprintf(path, sizeof path, "%s/%s", MODELS_DIR, gallery[i][0]);
        SlScript *g = sl_script_run(path, &o, &e);
        SlModel *gm = g ? sl_script_model(g, &e) : NULL;
        if (gm && sl_model_init_params(gm, 0, &e) == 0)
            rc |= bench_model(gm, path, gallery[i][1]);
        else
            printf("%s: skipped (%s)\n", path, e.msg);
        sl_script_free(g);
    }
    return rc;
}
