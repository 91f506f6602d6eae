/* check_web.c: the page (build/web/index.html, `make web`) in a headless Chromium, against the
 * shapelab program built from the same sources (build/shapelab).
 *
 * The page is opened from file:// with a model in its address (?model=NAME, or the code itself,
 * ?code=...), left to settle (window.shapelab.idle() in web/page.js: no request out, the picture
 * drawn), and read back over the DevTools protocol (cdp.h):
 *   - the summary of three shared models: the same text as `shapelab summary`, and its
 *     "Total params" the one the model's own "# Expected:" comment states (worked out by hand);
 *   - a broken script: the error the CLI prints, at the same line, and that line marked;
 *   - the canvas of the lstm scene at a step: the pixels of `shapelab png --frames` for it, each
 *     channel within PIXEL_TOL, on all but MAX_OFF_PERMILLE per mille of the pixels. The wasm
 *     build's libm (musl's) may round exp and tanh an ulp away from glibc's, which can move an
 *     anti-aliased edge or a colour-scale cell by a level; measured, the pictures are identical,
 *     while two neighbouring steps differ on 15 per mille of the pixels by up to 250 levels;
 *   - the window's keys: the right arrow moves one step, r back to the first;
 *   - a scene drawn in double, and a scene drawn from an .npy file dropped on the page;
 *   - as a learner would: paste the item 5 model, pick the lstm scene, play it, download its PNG.
 * Without Chromium or the built page the suite says so and checks nothing (make test runs it
 * only when both are there).
 */
#include "../testutil.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cdp.h"

#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-braces"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wshadow"
#include <stb/stb_image.h>
#pragma GCC diagnostic pop

#include "../apng_read.h"

#define PAGE SL_BUILD_DIR "/web/index.html"
#define CLI  SL_BUILD_DIR "/shapelab"
enum { PIXEL_TOL = 2, MAX_OFF_PERMILLE = 1, LOAD_MS = 60000 };

/* Everything a command prints on stdout (or stderr, with 2>&1 in cmd), in a buffer to free. */
static char *run(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    ck_assert_msg(p != NULL, "cannot run %s", cmd);
    size_t n = 0, cap = 4096;
    char *s = malloc(cap);
    ck_assert(s != NULL);
    size_t got;
    while ((got = fread(s + n, 1, cap - n - 1, p)) > 0) {
        n += got;
        if (n + 1 == cap) {
            s = realloc(s, cap *= 2);
            ck_assert(s != NULL);
        }
    }
    s[n] = 0;
    pclose(p);
    return s;
}

/* The page opened at ?query, settled. */
static void page_open(Cdp *c, const char *query)
{
    SlError e;
    char url[PATH_MAX + 4096], dir[PATH_MAX];
    ck_assert(getcwd(dir, sizeof dir) != NULL);
    snprintf(url, sizeof url, "file://%s/%s?%s", dir, PAGE, query);
    if (cdp_start(c, 1440, 960, &e) < 0 || cdp_open(c, url, LOAD_MS, &e) < 0)
        ck_abort_msg("%s", e.msg);
    char *idle = cdp_eval(c, "window.shapelab.idle()", LOAD_MS, &e);
    ck_assert_msg(idle != NULL, "the page did not settle: %s", e.msg);
    free(idle);
}

/* The text of an element of the page, in a buffer to free. */
static char *page_text(Cdp *c, const char *id)
{
    SlError e;
    char js[256];
    snprintf(js, sizeof js, "document.getElementById('%s').textContent", id);
    char *s = cdp_eval(c, js, 10000, &e);
    ck_assert_msg(s != NULL, "%s: %s", id, e.msg);
    return s;
}

/* "Total params: N" as a model's "# Expected:" comment states it (the last one it states). */
static void expected_total(const char *model, char *out, size_t size)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s.py", SL_SHARED_MODELS, model);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "%s is missing", path);
    char line[1024];
    out[0] = 0;
    while (fgets(line, sizeof line, f) && line[0] == '#') {
        const char *t = strstr(line, "Total params: ");
        if (t) { /* "Total params: 6,194": the words and the number */
            size_t n = strlen("Total params: ");
            n += strspn(t + n, "0123456789,");
            snprintf(out, size, "%.*s", (int)n, t);
        }
    }
    fclose(f);
    ck_assert_msg(out[0], "%s states no total", path);
}

/* With SL_WEB_SCREENSHOTS=DIR, what the page shows is saved as DIR/name (docs/img/ has them). */
static void screenshot(Cdp *c, const char *name)
{
    const char *dir = getenv("SL_WEB_SCREENSHOTS");
    char path[PATH_MAX];
    SlError e;
    if (!dir || !*dir)
        return;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    ck_assert_msg(cdp_screenshot(c, path, &e) == 0, "%s", e.msg);
}

static const char *const summary_models[] = {"05_variable_length", "12_conv2d_channels",
                                             "17_functional_merge"};

/* What `shapelab COMMAND` prints for a shared model, in a buffer to free. */
static char *cli_says(const char *command, const char *model)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s %s/%s.py 2>/dev/null", CLI, command, SL_SHARED_MODELS, model);
    return run(cmd);
}

START_TEST(summary_as_the_cli)
{
    const char *model = summary_models[_i];
    char query[256], total[64];
    snprintf(query, sizeof query, "model=%s&step=1", model);
    expected_total(model, total, sizeof total);
    Cdp c;
    page_open(&c, query);
    char *page = page_text(&c, "summary"), *cli = cli_says("summary", model);
    char *trace = page_text(&c, "trace"), *cli_trace = cli_says("trace", model);
    cdp_stop(&c);
    ck_assert_msg(strcmp(trace, cli_trace) == 0, "%s: the page's trace:\n%s\nthe CLI's:\n%s", model,
                  trace, cli_trace);
    free(trace);
    free(cli_trace);
    ck_assert_msg(strstr(page, total) != NULL, "%s: the page's summary does not say '%s':\n%s",
                  model, total, page);
    ck_assert_msg(strcmp(page, cli) == 0, "%s: the page's summary:\n%s\nthe CLI's:\n%s", model,
                  page, cli);
    free(page);
    free(cli);
}
END_TEST

/* A call left open on line 4: the error points at the bracket that is never closed. */
static const char broken[] = "from keras.models import Sequential\n"
                             "from keras.layers import Dense\n"
                             "model = Sequential()\n"
                             "model.add(Dense(4, input_shape=(3,))\n"
                             "model.add(Dense(2))\n";

START_TEST(error_at_its_line)
{
    char query[1024] = "code=", path[PATH_MAX], cmd[PATH_MAX + 256];
    for (const char *p = broken; *p; p++) /* percent-encoded, every byte */
        snprintf(query + strlen(query), sizeof query - strlen(query), "%%%02X", (unsigned char)*p);
    snprintf(path, sizeof path, "%s", tu_tmp_path("model.py"));
    FILE *f = fopen(path, "w");
    ck_assert(f && fputs(broken, f) >= 0 && fclose(f) == 0);
    snprintf(cmd, sizeof cmd, "cd %.*s && %s/%s summary model.py 2>&1 >/dev/null",
             (int)(strrchr(path, '/') - path), path, getcwd((char[PATH_MAX]){0}, PATH_MAX), CLI);
    char *cli = run(cmd);
    ck_assert_msg(strstr(cli, "model.py:4:10: error: ") != NULL, "the CLI said:\n%s", cli);

    Cdp c;
    page_open(&c, query);
    SlError e;
    char *page = page_text(&c, "errors");
    char *mark = cdp_eval(&c,
                          "(document.querySelector('#gutter b') || {}).textContent + "
                          "(document.getElementById('error-band').hidden ? ' unmarked' : '')",
                          5000, &e);
    ck_assert_msg(mark != NULL, "%s", e.msg);
    char *summary = page_text(&c, "summary");
    screenshot(&c, "page-error.png");
    cdp_stop(&c);
    /* the CLI ends its message with a newline; the page's <pre> holds the lines without it */
    ck_assert_msg(strncmp(page, cli, strlen(page)) == 0 && strlen(cli) == strlen(page) + 1,
                  "the page's error:\n%s\nthe CLI's:\n%s", page, cli);
    ck_assert_msg(strcmp(mark, "4") == 0, "the line marked: %s (line 4 is)", mark);
    ck_assert_msg(summary[0] == 0, "a summary for a broken script: %s", summary);
    free(cli);
    free(page);
    free(mark);
    free(summary);
}
END_TEST

/* The canvas (a data: URL) as RGBA pixels. */
static unsigned char *canvas_pixels(Cdp *c, int *w, int *h)
{
    SlError e;
    char *url = cdp_eval(c, "window.shapelab.canvasPng()", 30000, &e);
    ck_assert_msg(url != NULL, "%s", e.msg);
    const char *comma = strchr(url, ',');
    ck_assert_msg(comma != NULL, "not a data: URL");
    size_t n;
    unsigned char *png = cdp_base64_decode(comma + 1, &n);
    ck_assert(png != NULL);
    int ch;
    unsigned char *px = stbi_load_from_memory(png, (int)n, w, h, &ch, 4);
    ck_assert_msg(px != NULL, "the canvas's PNG does not read back");
    free(png);
    free(url);
    return px;
}

/* Pixels of a and b (w x h RGBA) with a channel more than PIXEL_TOL apart. */
static long pixels_off(const unsigned char *a, const unsigned char *b, int w, int h, int *worst)
{
    long off = 0;
    *worst = 0;
    for (long i = 0; i < (long)w * h; i++) {
        int bad = 0;
        for (int k = 0; k < 4; k++) {
            int d = abs(a[i * 4 + k] - b[i * 4 + k]);
            *worst = d > *worst ? d : *worst;
            bad |= d > PIXEL_TOL;
        }
        off += bad;
    }
    return off;
}

/* The CLI's pictures of a shared model's scene, one per step, DIR/frame_NNN.png: `shapelab png
 * MODEL.py ARGS --frames DIR`, run in the test's folder (where data/ is). */
static void cli_frames(char *dir, size_t size, const char *model, const char *args)
{
    char cmd[3 * PATH_MAX + 256], cwd[PATH_MAX];
    ck_assert(getcwd(cwd, sizeof cwd) != NULL);
    snprintf(dir, size, "%s", tu_tmp_path("frames"));
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s' && cd '%s/..' && '%s/%s' png '%s/%s/%s.py' %s --frames '%s' 2>&1", dir,
             dir, cwd, CLI, cwd, SL_SHARED_MODELS, model, args, dir);
    char *said = run(cmd);
    ck_assert_msg(strstr(said, "frames of scene") != NULL, "%s said:\n%s", cmd, said);
    free(said);
}

static void remove_frames(const char *dir)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    free(run(cmd));
}

/* px (w x h RGBA, what) shows the CLI's picture of a step (from 0), within the tolerance. */
static void assert_as_frame(const char *what, const unsigned char *px, int w, int h,
                            const char *dir, int step)
{
    char path[PATH_MAX];
    int cw, ch, n, worst;
    snprintf(path, sizeof path, "%s/frame_%03d.png", dir, step);
    unsigned char *cli = stbi_load(path, &cw, &ch, &n, 4);
    ck_assert_msg(cli != NULL, "%s does not read", path);
    ck_assert_msg(w == cw && h == ch, "step %d: %s is %dx%d, the CLI's PNG %dx%d", step + 1, what,
                  w, h, cw, ch);
    long off = pixels_off(px, cli, w, h, &worst);
    ck_assert_msg(off * 1000 <= (long)MAX_OFF_PERMILLE * w * h,
                  "step %d: %s: %ld of %d pixels differ by more than %d (the worst by %d)",
                  step + 1, what, off, w * h, PIXEL_TOL, worst);
    stbi_image_free(cli);
}

static void check_canvas_against_cli(Cdp *c, const char *dir, int step)
{
    int w, h;
    unsigned char *page = canvas_pixels(c, &w, &h);
    assert_as_frame("the canvas", page, w, h, dir, step);
    stbi_image_free(page);
}

START_TEST(canvas_as_the_cli)
{
    char dir[PATH_MAX];
    cli_frames(dir, sizeof dir, "05_variable_length", "--scene lstm");
    Cdp c;
    SlError e;
    page_open(&c, "model=05_variable_length&scene=lstm&step=3&scale=1");
    check_canvas_against_cli(&c, dir, 2);
    /* the window's keys: one step on, then back to the first */
    ck_assert_msg(cdp_eval(&c, "document.getElementById('scene').focus() || ''", 5000, &e), "%s",
                  e.msg);
    ck_assert_msg(cdp_key(&c, "ArrowRight", &e) == 0, "%s", e.msg);
    free(cdp_eval(&c, "window.shapelab.idle()", LOAD_MS, &e));
    char *step = page_text(&c, "scene-step");
    ck_assert_msg(strncmp(step, "step 4 of ", 10) == 0, "after the right arrow: %s", step);
    free(step);
    check_canvas_against_cli(&c, dir, 3);
    ck_assert_msg(cdp_key(&c, "r", &e) == 0, "%s", e.msg);
    free(cdp_eval(&c, "window.shapelab.idle()", LOAD_MS, &e));
    check_canvas_against_cli(&c, dir, 0);
    cdp_stop(&c);
    remove_frames(dir);
}
END_TEST

/* A scene drawn in double (conv-backprop): the page hands it to its double engine, as the float32
 * CLI hands it to build/f64/shapelab. */
START_TEST(double_scene_as_the_cli)
{
    char dir[PATH_MAX];
    cli_frames(dir, sizeof dir, "13_conv_backprop", "");
    Cdp c;
    page_open(&c, "model=13_conv_backprop&step=2&scale=1");
    char *why = page_text(&c, "scene-why");
    ck_assert_msg(strstr(why, "conv-backprop") && strstr(why, "(drawn in double precision)"),
                  "the scene: %s", why);
    free(why);
    check_canvas_against_cli(&c, dir, 1);
    cdp_stop(&c);
    remove_frames(dir);
}
END_TEST

/* The learner's data (-x), dropped on the page as a file: 2 samples of 6 timesteps of 5 features
 * for item 5's model; the second sample is drawn, as `png -x data/walk.npy --sample 1` draws it. */
START_TEST(dropped_data_as_the_cli)
{
    enum { N = 2 * 6 * 5 };
    sl_real v[N]; /* (2, 6, 5) */
    for (int i = 0; i < N; i++)
        v[i] = (sl_real)sin(0.37 * i);
    SlTensor x = {sl_shape_of(3, (int[]){2, 6, 5}), v};
    SlError e;
    char path[PATH_MAX], dir[PATH_MAX];
    snprintf(path, sizeof path, "%s", tu_tmp_path("data"));
    ck_assert(mkdir(path, 0700) == 0 || errno == EEXIST);
    snprintf(path, sizeof path, "%s", tu_tmp_path("data/walk.npy"));
    ck_assert_msg(sl_npy_write(path, &x, &e) == 0, "%s", e.msg);
    cli_frames(dir, sizeof dir, "05_variable_length", "--scene lstm -x data/walk.npy --sample 1");

    /* the file's bytes as a JavaScript array, dropped on the document */
    FILE *f = fopen(path, "rb");
    ck_assert(f != NULL);
    char js[8192];
    int n = snprintf(js, sizeof js,
                     "(function (b) { var dt = new DataTransfer();"
                     " dt.items.add(new File([new Uint8Array(b)], 'walk.npy'));"
                     " document.getElementById('data-sample').value = '1';"
                     " document.dispatchEvent(new DragEvent('drop', {dataTransfer: dt,"
                     " bubbles: true, cancelable: true}));"
                     " return new Promise(function (ok) { (function wait() {"
                     " if (document.getElementById('data-name').textContent)"
                     " ok(window.shapelab.idle()); else setTimeout(wait, 20); })(); });"
                     " })([");
    for (int ch; (ch = fgetc(f)) != EOF && n < (int)sizeof js - 16;)
        n += snprintf(js + n, sizeof js - n, "%d,", ch);
    fclose(f);
    snprintf(js + n, sizeof js - n, "])");
    ck_assert(n < (int)sizeof js - 16);

    Cdp c;
    page_open(&c, "model=05_variable_length&scene=lstm&step=3&scale=1");
    char *idle = cdp_eval(&c, js, LOAD_MS, &e);
    ck_assert_msg(idle != NULL, "%s", e.msg);
    free(idle);
    char *name = page_text(&c, "data-name");
    ck_assert_msg(strcmp(name, "data/walk.npy, shape (2, 6, 5)") == 0, "the data: %s", name);
    free(name);
    check_canvas_against_cli(&c, dir, 2);
    cdp_stop(&c);
    remove_frames(dir);
}
END_TEST

/* Wait (at most 30 s) for a download to arrive: Chromium gives it its name once it is whole. */
static void wait_for_file(const char *path)
{
    for (int i = 0; i < 600 && access(path, R_OK) != 0; i++)
        nanosleep(&(struct timespec){0, 50000000}, NULL);
    ck_assert_msg(access(path, R_OK) == 0, "%s was not downloaded", path);
}

/* An animated PNG opens on the still picture (the last step), then plays from the first step to
 * the last: its frames 0, 1 and last are the CLI's pictures of those steps. */
typedef struct Ends {
    const char *dir;
    int frames, last_step;
} Ends;

static int check_ends(void *ctx, int k, const unsigned char *rgba, int w, int h, const ApngFrame *f)
{
    const Ends *ends = ctx;
    (void)f;
    if (k == 0) /* the still picture (sl_scene_animate) */
        assert_as_frame("the animated PNG's first frame", rgba, w, h, ends->dir, ends->last_step);
    if (k == 1)
        assert_as_frame("the animated PNG's second frame", rgba, w, h, ends->dir, 0);
    if (k == ends->frames - 1)
        assert_as_frame("the animated PNG's last frame", rgba, w, h, ends->dir, ends->last_step);
    return 0;
}

/* The page's animated PNG: as many frames as `png --animate` makes, its ends the CLI's pictures
 * (item 5's lstm scene, 8 steps, frames in dir). */
static void check_apng_download(const char *path, const char *dir)
{
    char cli[PATH_MAX + 32], cmd[3 * PATH_MAX];
    ApngInfo want = {0}, got = {0};
    snprintf(cli, sizeof cli, "%s/cli-animated.png", dir);
    snprintf(cmd, sizeof cmd, "%s png %s/05_variable_length.py --scene lstm --animate -o '%s' 2>&1",
             CLI, SL_SHARED_MODELS, cli);
    free(run(cmd));
    ck_assert_msg(apng_read(cli, &want, NULL, NULL) == 0, "%s: %s", cli, want.err);
    Ends ends = {dir, want.frames, 7};
    ck_assert_msg(apng_read(path, &got, check_ends, &ends) == 0, "%s: %s", path, got.err);
    ck_assert_msg(got.frames == want.frames && got.seen == want.frames,
                  "the page's animated PNG has %d frames, the CLI's %d", got.frames, want.frames);
}

/* A model's text, in a buffer to free. */
static char *model_text(const char *model)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "cat '%s/%s.py'", SL_SHARED_MODELS, model);
    return run(cmd);
}

/* As a learner would: see the first model's summary on load, paste the item 5 model over it, see its total, pick the
 * lstm scene, play it to its end at 4x, download its PNG (the CLI's picture of the last step)
 * and its animated PNG.
 * What the page shows then is its screenshot page-lstm.png. */
START_TEST(paste_play_download)
{
    char dir[PATH_MAX], png[PATH_MAX + 32], apng[PATH_MAX + 32];
    SlError e;
    cli_frames(dir, sizeof dir, "05_variable_length", "--scene lstm");
    Cdp c;
    page_open(&c, "step=1");
    char *first = page_text(&c, "summary"), *cli = cli_says("summary", "01_lstm_input_shape");
    ck_assert_msg(strcmp(first, cli) == 0, "on load, the first model's summary:\n%s", first);
    free(first);
    free(cli);
    ck_assert(cdp_downloads_to(&c, dir, &e) == 0);
    char *text = model_text("05_variable_length");
    free(cdp_eval(&c, "document.getElementById('code').select() || ''", 5000, &e));
    ck_assert_msg(cdp_insert_text(&c, text, &e) == 0, "%s", e.msg);
    free(text);
    free(cdp_eval(&c,
                  "(function (p) { p.value = 'lstm'; p.dispatchEvent(new Event('change')); "
                  "document.getElementById('scene').focus(); return window.shapelab.idle(); })"
                  "(document.getElementById('scene-pick'))",
                  LOAD_MS, &e));
    char *summary = page_text(&c, "summary");
    ck_assert_msg(strstr(summary, "Total params: 6,194\n") != NULL, "after the paste:\n%s",
                  summary);
    free(summary);
    ck_assert(cdp_key(&c, "+", &e) == 0 && cdp_key(&c, "+", &e) == 0);
    ck_assert(cdp_key(&c, " ", &e) == 0);
    char *idle = cdp_eval(&c, "window.shapelab.idle()", LOAD_MS, &e); /* played to its end */
    ck_assert_msg(idle != NULL, "%s", e.msg);
    free(idle);
    char *step = page_text(&c, "scene-step");
    ck_assert_msg(strcmp(step, "step 8 of 8") == 0, "after playing: %s", step);
    free(step);
    screenshot(&c, "page-lstm.png");
    free(cdp_eval(&c, "document.getElementById('save-png').click() || ''", 5000, &e));
    snprintf(png, sizeof png, "%s/lstm-step8.png", dir);
    wait_for_file(png);
    free(cdp_eval(&c, "document.getElementById('save-apng').click() || ''", 5000, &e));
    snprintf(apng, sizeof apng, "%s/lstm-animated.png", dir);
    wait_for_file(apng);
    cdp_stop(&c);
    int w, h, n;
    unsigned char *got = stbi_load(png, &w, &h, &n, 4);
    ck_assert_msg(got != NULL, "no lstm-step8.png downloaded");
    assert_as_frame("the download", got, w, h, dir, 7);
    stbi_image_free(got);
    check_apng_download(apng, dir);
    remove_frames(dir);
}
END_TEST

START_TEST(no_browser)
{
    /* nothing to check here: the notice is printed once, by main */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("web");
    TCase *tc = tcase_create("page");
    tcase_set_timeout(tc, 120);
    if (!cdp_available() || access(PAGE, R_OK) != 0) {
        printf("check_web: no Chromium or no %s (make web): the page is not checked\n", PAGE);
        tcase_add_test(tc, no_browser);
    } else {
        tcase_add_loop_test(tc, summary_as_the_cli, 0,
                            (int)(sizeof summary_models / sizeof summary_models[0]));
        tcase_add_test(tc, error_at_its_line);
        tcase_add_test(tc, canvas_as_the_cli);
        tcase_add_test(tc, double_scene_as_the_cli);
        tcase_add_test(tc, dropped_data_as_the_cli);
        tcase_add_test(tc, paste_play_download);
    }
    suite_add_tcase(s, tc);
    return tu_run_in_tmpdir(s) ? EXIT_FAILURE : EXIT_SUCCESS;
}
