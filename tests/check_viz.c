/* check_viz.c: the visualizer above the canvas: tensor box sizes, every scene's layout checked
 * through the canvas record the way a reader would look at it, the shapes scene's captions, and
 * the live window against an offscreen canvas.
 *
 * Layout problems name the two items (their `what` and rectangles) and the picture is written to
 * /tmp/shapelab-viz/ for a look. Set SL_VIZ_PNGS=/some/dir to keep a PNG of every step drawn by
 * the layout test.
 *
 * The window test needs a display: `make test` runs the suites under xvfb-run when it exists. With
 * no display the window test fails (it does not skip), with the window's error message.
 */
#include "testutil.h"

#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "canvas.h"
#include "scene.h"
#include "script/script.h"
#include "sl.h"
#include "widgets.h"
#include "window.h"

/* The window test reads its screenshot back with stb_image. */
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-braces"
#include <stb/stb_image.h>
#pragma GCC diagnostic pop

#include "apng_read.h"
#include "receptive.h"

#ifdef SL_DOUBLE
#define BUILD_TAG "f64"
#else
#define BUILD_TAG "f32"
#endif

enum { WIN_W = 1280, WIN_H = 720 }; /* the window's default size, and the PNG writer's */

/* ---- models ---- */

/* The models every scene is laid out on: two scripts from the shared collection and a functional
 * model with two outputs built here. */
static const char *const model_names[] = {
    "two_heads",        "14_multi_output",    "15_regression",      "01_lstm_input_shape",
    "03_return_state",  "04_stateful",        "09_timedistributed", "08_seq2seq_encoder_decoder",
    "bidirectional",    "06_masking",         "10_causal_dilated",  "13_conv_backprop",
    "small_conv2d",     "08_seq2seq_reshape", "05_variable_length", "18_conv_transpose",
    "small_transposed", "small_batchnorm"};
enum { N_MODELS = sizeof model_names / sizeof model_names[0] };

typedef struct Loaded {
    SlScript *script; /* owns the model, when it came from a script */
    SlModel *m;
} Loaded;

/* Functional: one input sequence, a shared Dense encoder, two heads: a per-step softmax and a
 * single score from the flattened sequence. */
static SlModel *two_heads(SlError *e)
{
    sl_clear_session();
    SlModel *m = sl_model_new("two_heads");
    ck_assert_ptr_nonnull(m);
    int x = sl_model_input(m, sl_layer("Input", "shape=(6, 12), name='frames'", e), e);
    ck_assert_msg(x >= 0, "%s", e->msg);
    int h = sl_model_call(m, sl_layer("Dense", "16, activation='relu', name='encoder'", e), 1, &x,
                          NULL, e);
    ck_assert_msg(h >= 0, "%s", e->msg);
    int a = sl_model_call(m, sl_layer("Dense", "3, activation='softmax', name='per_step'", e), 1,
                          &h, NULL, e);
    ck_assert_msg(a >= 0, "%s", e->msg);
    int f = sl_model_call(m, sl_layer("Flatten", "name='flat'", e), 1, &h, NULL, e);
    ck_assert_msg(f >= 0, "%s", e->msg);
    int b = sl_model_call(m, sl_layer("Dense", "1, name='score'", e), 1, &f, NULL, e);
    ck_assert_msg(b >= 0, "%s", e->msg);
    int outs[2] = {a, b};
    ck_assert_msg(sl_model_set_io(m, 1, &x, 2, outs, e) == 0, "%s", e->msg);
    return m;
}

/* 12_conv2d_channels.py's pattern at a size every scene (gradcheck too) draws quickly, also
 * under AddressSanitizer; with strides, padding and a dilation for the conv2d scene to show. */
static SlModel *small_conv2d(SlError *e)
{
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    ck_assert_ptr_nonnull(m);
    ck_assert_msg(
        sl_model_add(
            m, sl_layer("Conv2D", "4, 3, strides=2, padding='same', input_shape=(9, 9, 3)", e),
            e) == 0 &&
            sl_model_add(m, sl_layer("MaxPooling2D", "2, padding='same'", e), e) == 0 &&
            sl_model_add(m,
                         sl_layer("Conv2D", "6, (3, 2), dilation_rate=(1, 2), padding='same'", e),
                         e) == 0,
        "%s", e->msg);
    return m;
}

/* The way back up along one axis: a strided Conv1DTranspose with output_padding, UpSampling1D and
 * a Cropping1D, so the transposed-conv scene draws a 1-D layer (one row). */
static SlModel *small_transposed(SlError *e)
{
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    ck_assert_ptr_nonnull(m);
    ck_assert_msg(sl_model_add(m, sl_layer("InputLayer", "shape=(6, 2)", e), e) == 0 &&
                      sl_model_add(m,
                                   sl_layer("Conv1DTranspose",
                                            "3, 4, strides=2, padding='same', output_padding=1", e),
                                   e) == 0 &&
                      sl_model_add(m, sl_layer("UpSampling1D", "2", e), e) == 0 &&
                      sl_model_add(m, sl_layer("Cropping1D", "(1, 2)", e), e) == 0,
                  "%s", e->msg);
    return m;
}

/* A sequence through Dense and BatchNormalization, for the batchnorm scene: its channels are
 * Dense's 5 units. */
static SlModel *small_batchnorm(SlError *e)
{
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    ck_assert_ptr_nonnull(m);
    ck_assert_msg(sl_model_add(m, sl_layer("InputLayer", "shape=(6, 3)", e), e) == 0 &&
                      sl_model_add(m, sl_layer("Dense", "5", e), e) == 0 &&
                      sl_model_add(m, sl_layer("BatchNormalization", "momentum=0.9", e), e) == 0 &&
                      sl_model_add(m, sl_layer("Dense", "1", e), e) == 0,
                  "%s", e->msg);
    return m;
}

/* A script by name: ours first (tests/scripts/models/), then the shared collection. */
static Loaded load_script(const char *name)
{
    SlError e = {{0}};
    Loaded L = {NULL, NULL};
    char path[512];
    SlScriptOptions quiet;
    memset(&quiet, 0, sizeof quiet);
    snprintf(path, sizeof path, "tests/scripts/models/%s.py", name);
    if (access(path, R_OK) != 0)
        snprintf(path, sizeof path, "%s/%s.py", SL_SHARED_MODELS, name);
    L.script = sl_script_run(path, &quiet, &e);
    ck_assert_msg(L.script != NULL, "%s", e.msg);
    L.m = sl_script_model(L.script, &e);
    ck_assert_msg(L.m != NULL, "%s: %s", path, e.msg);
    ck_assert_msg(sl_model_init_params(L.m, 0, &e) == 0, "%s", e.msg);
    return L;
}

static Loaded load_model(int k)
{
    SlError e = {{0}};
    Loaded L = {NULL, NULL};
    if (!strcmp(model_names[k], "small_conv2d")) {
        L.m = small_conv2d(&e);
    } else if (!strcmp(model_names[k], "small_transposed")) {
        L.m = small_transposed(&e);
    } else if (!strcmp(model_names[k], "small_batchnorm")) {
        L.m = small_batchnorm(&e);
    } else if (strcmp(model_names[k], "two_heads")) {
        return load_script(model_names[k]);
    } else {
        L.m = two_heads(&e);
    }
    ck_assert_msg(sl_model_init_params(L.m, 0, &e) == 0, "%s", e.msg);
    return L;
}

static int model_index(const char *name)
{
    for (int k = 0; k < N_MODELS; k++)
        if (!strcmp(model_names[k], name))
            return k;
    ck_abort_msg("no model %s in the list", name);
    return -1;
}

static void unload(Loaded *L)
{
    if (L->script)
        sl_script_free(L->script);
    else
        sl_model_free(L->m);
    L->script = NULL;
    L->m = NULL;
}

static void make_canvas(SlCanvas *c, int w, int h)
{
    SlError e = {{0}};
    ck_assert_msg(sl_canvas_init(c, w, h, &e) == 0, "%s", e.msg);
}

/* ---- 1. tensor box sizes ---- */

/* The pixels an axis maps to at scale 1, as widgets.h documents it. */
static int doc_px(int d)
{
    return d == SL_NONE ? 24 : (int)(8 + 12 * log2(1.0 + d));
}

/* Draw a box at scale 1 on a fresh canvas; return the box's own rectangle (the widget, label
 * excluded) and check that everything drawn lies within sl_tensor_box_size. */
static SlItem drawn_box(const SlShape *s)
{
    SlCanvas c;
    char label[96];
    int w, h;
    make_canvas(&c, 1600, 1000);
    sl_tensor_box_size(s, 1.0, &w, &h);
    int th = sl_draw_tensor_box(&c, 10, 20, s, 1.0, SL_ROLE_OUTPUT, 0);
    ck_assert_int_eq(th, h);
    SlItem box = {0};
    int widgets = 0, texts = 0;
    for (int i = 0; i < c.n_items; i++) {
        const SlItem *it = &c.items[i];
        ck_assert_msg(
            it->x >= 10 && it->y >= 20 && it->x + it->w <= 10 + w && it->y + it->h <= 20 + h,
            "%s: '%s' (%d,%d %dx%d) is outside the size the box says it takes "
            "(10,20 %dx%d)",
            sl_shape_str(s, label, sizeof label), it->what, it->x, it->y, it->w, it->h, w, h);
        if (it->kind == SL_ITEM_WIDGET)
            box = *it, widgets++;
        texts += it->kind == SL_ITEM_TEXT;
    }
    ck_assert_int_eq(widgets, 1);
    ck_assert_int_eq(texts, 1);
    ck_assert_int_eq(box.role, SL_ROLE_OUTPUT);
    ck_assert_str_eq(box.what, sl_shape_str(s, label, sizeof label));
    sl_canvas_free(&c);
    return box;
}

/* Shapes with one varying axis: `pos` is the axis that takes every size in `sizes`. */
static const struct {
    int rank, pos;
    int dim[4];
} box_cases[] = {
    {2, 1, {SL_NONE, 0}},          /* (None, d): the last axis is the width */
    {3, 2, {SL_NONE, 16, 0}},      /* (None, 16, d): width */
    {3, 1, {SL_NONE, 0, 16}},      /* (None, d, 16): the one before is the height */
    {3, 1, {SL_NONE, 0, SL_NONE}}, /* (None, d, None) */
    {3, 2, {SL_NONE, SL_NONE, 0}}, /* (None, None, d) */
    {4, 1, {SL_NONE, 0, 8, 8}},    /* (None, d, 8, 8): the depth of the 2.5-D box */
    {4, 2, {SL_NONE, 8, 0, 8}},    /* (None, 8, d, 8): height */
    {4, 3, {SL_NONE, 8, 8, 0}},    /* (None, 8, 8, d): width */
    {3, 2, {4, 16, 0}},            /* a concrete batch */
};
enum { N_BOX_CASES = sizeof box_cases / sizeof box_cases[0] };

static const int sizes[] = {1, 2, 3, 4, 7, 8, 10, 16, 31, 32, 64, 100, 128, 255, 256, 1000, 4096};
enum { N_SIZES = sizeof sizes / sizeof sizes[0] };

static SlShape case_shape(int k, int d)
{
    int dims[4];
    memcpy(dims, box_cases[k].dim, sizeof dims);
    dims[box_cases[k].pos] = d;
    return sl_shape_of(box_cases[k].rank, dims);
}

START_TEST(test_box_size_follows_shape)
{
    const int k = _i, rank = box_cases[k].rank, pos = box_cases[k].pos;
    char a[96], b[96];
    int pw = 0, ph = 0;
    SlItem first = {0}, prev = {0};
    for (int j = 0; j < N_SIZES; j++) {
        SlShape s = case_shape(k, sizes[j]);
        int w, h;
        sl_tensor_box_size(&s, 1.0, &w, &h);
        SlItem box = drawn_box(&s);
        if (j == 0) {
            first = box;
        } else {
            SlShape p = case_shape(k, sizes[j - 1]);
            sl_shape_str(&p, a, sizeof a);
            sl_shape_str(&s, b, sizeof b);
            ck_assert_msg(w >= pw && h >= ph, "%s takes %dx%d, less than %s's %dx%d", b, w, h, a,
                          pw, ph);
            ck_assert_msg(box.w >= prev.w && box.h >= prev.h,
                          "the box of %s is %dx%d, smaller than the box of %s (%dx%d)", b, box.w,
                          box.h, a, prev.w, prev.h);
        }
        /* The axis's extent follows the documented mapping exactly: the width for the last axis,
         * the height for the one before, a third of it in both for a depth axis. */
        int grow = doc_px(sizes[j]) - doc_px(sizes[0]);
        sl_shape_str(&s, b, sizeof b);
        if (pos == rank - 1)
            ck_assert_msg(box.w - first.w == grow && box.h == first.h,
                          "%s: box %dx%d, expected %dx%d", b, box.w, box.h, first.w + grow,
                          first.h);
        else if (pos == rank - 2)
            ck_assert_msg(box.h - first.h == grow && box.w == first.w,
                          "%s: box %dx%d, expected %dx%d", b, box.w, box.h, first.w,
                          first.h + grow);
        else {
            int g3 = doc_px(sizes[j]) / 3 - doc_px(sizes[0]) / 3;
            ck_assert_msg(box.w - first.w == g3 && box.h - first.h == g3,
                          "%s: box %dx%d, expected %dx%d", b, box.w, box.h, first.w + g3,
                          first.h + g3);
        }
        pw = w, ph = h, prev = box;
    }
    /* Wider (or taller, or deeper) when the axis goes from 1 to 1000. */
    SlShape s1 = case_shape(k, 1), s2 = case_shape(k, 1000);
    SlItem b1 = drawn_box(&s1), b2 = drawn_box(&s2);
    if (pos == rank - 1)
        ck_assert_int_gt(b2.w, b1.w);
    else
        ck_assert_int_gt(b2.h, b1.h);

    /* A None axis has its fixed size (24 px at scale 1), whatever the other axes are: put None
     * in the varying axis and compare with size 1 (doc_px(1) = 20). */
    SlShape sn = case_shape(k, SL_NONE);
    SlItem bn = drawn_box(&sn);
    int gn = doc_px(SL_NONE) - doc_px(1);
    sl_shape_str(&sn, b, sizeof b);
    if (pos == rank - 1)
        ck_assert_msg(bn.w - b1.w == gn && bn.h == b1.h, "%s: box %dx%d, expected %dx%d", b, bn.w,
                      bn.h, b1.w + gn, b1.h);
    else if (pos == rank - 2)
        ck_assert_msg(bn.h - b1.h == gn && bn.w == b1.w, "%s: box %dx%d, expected %dx%d", b, bn.w,
                      bn.h, b1.w, b1.h + gn);
    else
        ck_assert_msg(bn.w - b1.w == 24 / 3 - 20 / 3 && bn.h - b1.h == 24 / 3 - 20 / 3,
                      "%s: box %dx%d", b, bn.w, bn.h);
}
END_TEST

START_TEST(test_box_size_none_fixed)
{
    /* Along a None axis the size does not change with the other axes: (None, None, d) is always
     * as tall, (None, d, None) always as wide (the box itself; the label grows with the digits). */
    int h0 = -1, bw0 = -1, bh0 = -1;
    for (int j = 0; j < N_SIZES; j++) {
        int w, h;
        SlShape s = sl_shape_of(3, (int[]){SL_NONE, SL_NONE, sizes[j]});
        sl_tensor_box_size(&s, 1.0, &w, &h);
        SlItem bx = drawn_box(&s);
        SlShape t = sl_shape_of(3, (int[]){SL_NONE, sizes[j], SL_NONE});
        SlItem by = drawn_box(&t);
        if (j == 0)
            h0 = h, bh0 = bx.h, bw0 = by.w;
        ck_assert_int_eq(h, h0);
        ck_assert_int_eq(bx.h, bh0);
        ck_assert_int_eq(by.w, bw0);
    }
    /* Scale shrinks a box and never grows it. */
    SlShape s = sl_shape_of(3, (int[]){SL_NONE, 100, 32});
    int w1, h1, w2, h2;
    sl_tensor_box_size(&s, 1.0, &w1, &h1);
    sl_tensor_box_size(&s, 0.5, &w2, &h2);
    ck_assert(w2 <= w1 && h2 <= h1 && w2 < w1);
}
END_TEST

/* ---- 2. scene layout, through the canvas record ---- */

static int overlap(const SlItem *a, const SlItem *b)
{
    return a->w > 0 && a->h > 0 && b->w > 0 && b->h > 0 && a->x < b->x + b->w &&
           b->x < a->x + a->w && a->y < b->y + b->h && b->y < a->y + a->h;
}

static int inside(const SlItem *in, const SlItem *out)
{
    return in->x >= out->x && in->y >= out->y && in->x + in->w <= out->x + out->w &&
           in->y + in->h <= out->y + out->h;
}

static const char *kind_name(SlItemKind k)
{
    return k == SL_ITEM_WIDGET ? "widget" : k == SL_ITEM_TEXT ? "text" : "legend entry";
}

/* Problems found on one picture, as sentences. */
typedef struct Problems {
    int n;
    char text[4096];
} Problems;

static void problem(Problems *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(Problems *p, const char *fmt, ...)
{
    size_t u = strlen(p->text);
    if (p->n++ < 8 && u + 2 < sizeof p->text) {
        va_list ap;
        va_start(ap, fmt);
        snprintf(p->text + u, sizeof p->text - u, "\n    ");
        u = strlen(p->text);
        vsnprintf(p->text + u, sizeof p->text - u, fmt, ap);
        va_end(ap);
    }
}

static void two(Problems *p, const char *how, const SlItem *a, const SlItem *b)
{
    problem(p, "%s '%s' (%d,%d %dx%d) and %s '%s' (%d,%d %dx%d) %s", kind_name(a->kind), a->what,
            a->x, a->y, a->w, a->h, kind_name(b->kind), b->what, b->x, b->y, b->w, b->h, how);
}

/* What a reader checks: inside, legible, nothing on top of anything else, the legend matches. */
static void check_record(const SlCanvas *c, int full, Problems *p)
{
    for (int i = 0; i < c->n_items; i++) {
        const SlItem *it = &c->items[i];
        if (it->x < 0 || it->y < 0 || it->x + it->w > c->w || it->y + it->h > c->h)
            problem(p, "%s '%s' (%d,%d %dx%d) is not inside the %dx%d canvas", kind_name(it->kind),
                    it->what, it->x, it->y, it->w, it->h, c->w, c->h);
        if (full && it->kind == SL_ITEM_TEXT && it->px < SL_TEXT_MIN_PX)
            problem(p, "text '%s' is drawn at %d px (below %d: too small to read)", it->what,
                    it->px, SL_TEXT_MIN_PX);
    }
    if (!c->recording)
        problem(p, "the canvas stopped recording (the record ran out): %d items kept", c->n_items);
    if (!full)
        return;
    for (int i = 0; i < c->n_items; i++)
        for (int j = i + 1; j < c->n_items; j++) {
            const SlItem *a = &c->items[i], *b = &c->items[j];
            if (!overlap(a, b))
                continue;
            if (a->kind == SL_ITEM_TEXT && b->kind == SL_ITEM_TEXT)
                two(p, "overlap", a, b);
            else if (a->kind != SL_ITEM_TEXT && b->kind != SL_ITEM_TEXT)
                two(p, "overlap", a, b); /* widgets, and legend entries among them */
            else {
                const SlItem *t = a->kind == SL_ITEM_TEXT ? a : b, *w = a == t ? b : a;
                if (!inside(t, w))
                    two(p, "overlap: the text sticks out of it", t, w);
            }
        }
    /* Every role colour used by a widget is explained, and the legend explains nothing else. */
    int used[SL_ROLE_COUNT] = {0}, legend[SL_ROLE_COUNT] = {0};
    for (int i = 0; i < c->n_items; i++) {
        const SlItem *it = &c->items[i];
        if (it->role < 0 || it->role >= SL_ROLE_COUNT)
            continue;
        if (it->kind == SL_ITEM_WIDGET)
            used[it->role]++;
        else if (it->kind == SL_ITEM_LEGEND_ENTRY)
            legend[it->role]++;
    }
    for (int r = 1; r < SL_ROLE_COUNT; r++) {
        if (used[r] && !legend[r])
            problem(p, "%d widget%s use%s the role '%s', which has no legend entry", used[r],
                    used[r] == 1 ? "" : "s", used[r] == 1 ? "s" : "", sl_role_name((SlRole)r));
        if (legend[r] && !used[r])
            problem(p, "the legend explains '%s', which no widget uses", sl_role_name((SlRole)r));
    }
    if (legend[SL_ROLE_NONE])
        problem(p, "the legend has an entry for the role 'none'");
}

static const char *pictures_dir(void)
{
    static const char dir[] = "/tmp/shapelab-viz";
    mkdir(dir, 0777);
    return dir;
}

/* Check one drawn step; on a problem save the picture and fail with every problem found. */
static void check_picture(const SlCanvas *c, const char *model, const SlScene *s, int step,
                          int n_steps, int full)
{
    Problems p;
    memset(&p, 0, sizeof p);
    check_record(c, full, &p);
    const char *keep = getenv("SL_VIZ_PNGS");
    char path[512];
    SlError e = {{0}};
    if (keep && *keep) {
        snprintf(path, sizeof path, "%s/%s-%s-%s-%dx%d-step%02d.png", keep, BUILD_TAG, model,
                 s->name, c->w, c->h, step + 1);
        ck_assert_msg(sl_canvas_write_png(c, path, &e) == 0, "%s", e.msg);
    }
    if (p.n == 0)
        return;
    snprintf(path, sizeof path, "%s/%s-%s-%s-%dx%d-step%02d.png", pictures_dir(), BUILD_TAG, model,
             s->name, c->w, c->h, step + 1);
    int saved = sl_canvas_write_png(c, path, &e) == 0;
    ck_abort_msg("scene '%s' on model %s at %dx%d, step %d of %d: %d problem%s (picture: %s)%s%s",
                 s->name, model, c->w, c->h, step + 1, n_steps, p.n, p.n == 1 ? "" : "s",
                 saved ? path : e.msg, p.text, p.n > 8 ? "\n    ..." : "");
}

/* A fit's history as `fit` logs it, for the scenes that draw one (training): 12 epochs of loss,
 * mae and their validation twins, falling as they do. */
enum { N_EPOCHS = 12 };

static SlHistory make_history(SlLogs *epochs)
{
    static const char *const names[] = {"loss", "mae", "val_loss", "val_mae"};
    memset(epochs, 0, N_EPOCHS * sizeof *epochs);
    for (int ep = 0; ep < N_EPOCHS; ep++) {
        epochs[ep].n = 4;
        for (int i = 0; i < 4; i++) {
            snprintf(epochs[ep].name[i], SL_LOG_NAME_MAX, "%s", names[i]);
            epochs[ep].value[i] = (i % 2 ? 0.8 : 2.5) * exp(-0.3 * ep) + (i >= 2 ? 0.05 : 0.01);
        }
    }
    return (SlHistory){.n_epochs = N_EPOCHS, .epochs = epochs};
}

/* How many recorded texts contain `part`. */
static int texts_with(const SlCanvas *c, const char *part)
{
    int n = 0;
    for (int i = 0; i < c->n_items; i++)
        n += c->items[i].kind == SL_ITEM_TEXT && strstr(c->items[i].what, part) != NULL;
    return n;
}

/* How many recorded texts are exactly `text`. */
static int texts_equal(const SlCanvas *c, const char *text)
{
    int n = 0;
    for (int i = 0; i < c->n_items; i++)
        n += c->items[i].kind == SL_ITEM_TEXT && !strcmp(c->items[i].what, text);
    return n;
}

/* A long fit: 5000 epochs (more than the points a curve keeps), a loss falling from 500 to 0.1
 * (over 30 times: log scale) and an accuracy from 0.5 to 0.9 (linear). */
START_TEST(test_training_long_fit)
{
    enum { EPOCHS = 5000 };
    SlLogs *epochs = calloc(EPOCHS, sizeof *epochs);
    ck_assert_ptr_nonnull(epochs);
    for (int ep = 0; ep < EPOCHS; ep++) {
        epochs[ep].n = 2;
        snprintf(epochs[ep].name[0], SL_LOG_NAME_MAX, "loss");
        snprintf(epochs[ep].name[1], SL_LOG_NAME_MAX, "accuracy");
        epochs[ep].value[0] = 500 * exp(-ep / 500.0) + 0.1;
        epochs[ep].value[1] = 0.9 - 0.4 * exp(-ep / 500.0);
    }
    SlHistory h = {.n_epochs = EPOCHS, .epochs = epochs};
    SlCanvas c;
    make_canvas(&c, WIN_W, WIN_H);
    sl_draw_history(&c, &h, "a long fit");
    ck_assert_int_eq(texts_with(&c, "1 .. 5000"), 2);
    ck_assert_int_eq(texts_with(&c, "log scale"), 1);
    ck_assert_int_eq(texts_with(&c, "0.5 .. 0.9"), 1);
    ck_assert_int_eq(texts_with(&c, "After 5000 epochs"), 1);
    sl_canvas_free(&c);
    free(epochs);
}
END_TEST

/* Every step of scene `_i % count` on model `_i / count`, on a w x h canvas. A scene that says it
 * fits the model must start on it; a scene that only draws when asked for (fits 0: training,
 * gradcheck) is laid out too when it starts (given a history). */
static void layout_case(int i, int w, int h, int full)
{
#ifdef SL_DOUBLE
    /* Under the sanitizers (make asan) the float32 run draws the same pictures, with the same
     * drawing code; the double run, several times slower still, leaves them to it. */
    if (getenv("SL_SANITIZED"))
        return;
#endif
    int n_scenes = sl_scene_count();
    int k = i / n_scenes;
    const SlScene *s = sl_scene_at(i % n_scenes);
    ck_assert_ptr_nonnull(s);
    Loaded L = load_model(k);
    SlLogs epochs[N_EPOCHS];
    SlHistory hist = make_history(epochs);
    SlSceneRun run;
    SlError e = {{0}};
    int fits = sl_scene_claim(L.m, s);
    int rc = sl_scene_start(&run, s, L.m, 2, 8, &hist, &e);
    if (rc < 0 && !fits) { /* it does not draw this model */
        unload(&L);
        return;
    }
    ck_assert_msg(rc == 0, "scene '%s' fits %s (%d) but does not start: %s", s->name,
                  model_names[k], fits, e.msg);
    ck_assert_msg(run.n_steps >= 1, "scene '%s' on %s has no steps", s->name, model_names[k]);
    SlCanvas c;
    make_canvas(&c, w, h);
    /* Under the sanitizers (make asan), about ten times slower, one frame on the way to each
     * step instead of three: the drawing code is the same, at fewer positions. */
    double between = getenv("SL_SANITIZED") ? 0.5 : 0.3;
    for (int step = 0; step < run.n_steps; step++) {
        s->draw(&run, step, &c);
        ck_assert_msg(c.n_items > 0, "scene '%s' recorded nothing", s->name);
        check_picture(&c, model_names[k], s, step, run.n_steps, full);
        if (step + 1 < run.n_steps) /* on the way to the next step (the sanitizers watch) */
            for (double t = 0.2; t < 1; t += between)
                s->draw(&run, step + t, &c);
    }
    sl_canvas_free(&c);
    sl_scene_end(&run);
    unload(&L);
}

START_TEST(test_layout)
{
    layout_case(_i, WIN_W, WIN_H, 1);
}
END_TEST

START_TEST(test_layout_small_window)
{
    layout_case(_i, 800, 600, 0);
}
END_TEST

/* For every script of the shared collection, the scene png picks without --scene can draw it. */
START_TEST(test_best_scene_starts_on_every_script)
{
    DIR *dir = opendir(SL_SHARED_MODELS);
    ck_assert_msg(dir != NULL, "cannot list %s", SL_SHARED_MODELS);
    int n = 0;
    for (struct dirent *f; (f = readdir(dir)) != NULL;) {
        size_t len = strlen(f->d_name);
        if (len < 3 || strcmp(f->d_name + len - 3, ".py"))
            continue;
        char path[512];
        SlScriptOptions quiet;
        memset(&quiet, 0, sizeof quiet);
        snprintf(path, sizeof path, "%s/%s", SL_SHARED_MODELS, f->d_name);
        SlError e = {{0}};
        SlScript *sc = sl_script_run(path, &quiet, &e);
        /* a script that stops at a layer this build lacks has no model to draw yet (check_script
         * holds where each one stops) */
        if (!sc && strstr(e.msg, " is not implemented yet"))
            continue;
        ck_assert_msg(sc != NULL, "%s", e.msg);
        SlModel *m = sl_script_model(sc, &e);
        ck_assert_msg(m && sl_model_init_params(m, 0, &e) == 0, "%s: %s", path, e.msg);
        const SlScene *s = sl_scene_best(m, NULL, 0);
        SlSceneRun run;
        ck_assert_msg(sl_scene_start(&run, s, m, 2, 8, NULL, &e) == 0,
                      "%s: the best scene, %s, does not start: %s", path, s->name, e.msg);
        sl_scene_end(&run);
        sl_script_free(sc);
        n++;
    }
    closedir(dir);
    ck_assert_int_ge(n, 19);
}
END_TEST

START_TEST(test_every_model_has_a_scene)
{
    for (int k = 0; k < N_MODELS; k++) {
        Loaded L = load_model(k);
        const SlScene *best = sl_scene_best(L.m, NULL, 0);
        ck_assert_ptr_nonnull(best);
        ck_assert_msg(best == sl_scene_find("shapes") || sl_scene_claim(L.m, best) > 0,
                      "%s: the best scene, %s, is claimed by none of its layers", model_names[k],
                      best->name);
        unload(&L);
    }
}
END_TEST

/* ---- 3. the shapes scene's captions ---- */

START_TEST(test_shapes_captions)
{
    const SlScene *s = sl_scene_find("shapes");
    ck_assert_ptr_nonnull(s);
    Loaded L = load_model(_i);
    SlSceneRun run;
    SlError e = {{0}};
    ck_assert_msg(sl_scene_start(&run, s, L.m, 2, 8, NULL, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(run.n_steps, run.n_calls);
    ck_assert_int_ge(run.n_calls, 2);
    SlCanvas c;
    make_canvas(&c, WIN_W, WIN_H);
    for (int k = 1; k <= run.n_steps; k++) {
        char prefix[32], want[256];
        const SlLayer *l = run.m->nodes[run.calls[k - 1].node].layer;
        snprintf(prefix, sizeof prefix, "Layer %d of ", k);
        snprintf(want, sizeof want, "Layer %d of %d, %s (%s)", k, run.n_steps, l->name,
                 l->type->name);
        s->draw(&run, k - 1, &c);
        const SlItem *found = NULL;
        int n = 0;
        for (int i = 0; i < c.n_items; i++)
            if (c.items[i].kind == SL_ITEM_TEXT &&
                !strncmp(c.items[i].what, prefix, strlen(prefix)))
                found = &c.items[i], n++;
        ck_assert_msg(n == 1, "%s, step %d: %d texts start with '%s'", model_names[_i], k, n,
                      prefix);
        /* The record keeps the first 47 characters of a text. */
        size_t cmp = strlen(want) < sizeof found->what - 1 ? strlen(want) : sizeof found->what - 1;
        ck_assert_msg(!strncmp(found->what, want, cmp),
                      "%s, step %d: the caption is '%s', expected '%s...'", model_names[_i], k,
                      found->what, want);
    }
    sl_canvas_free(&c);
    sl_scene_end(&run);
    unload(&L);
}
END_TEST

/* The shapes scene on functional models drawn as graphs (branches, merges, skips; the graph's own
 * properties are held by check_graph.c): every step laid out as a reader checks it, at the
 * window's size and a small one, and each merge saying how it merges, from what its layer
 * declares (the joined axis and its parts, or what repeats). */
START_TEST(test_shapes_graphs)
{
    static const struct {
        const char *model;
        const char *notes[2];
    } cases[] = {
        {"17_functional_merge",
         {"joined on axis 1 (features): 16 + 16", "element by element: every axis agrees"}},
        {"resnet_bn", {"element by element: every axis agrees", NULL}},
        {"unet", {"joined on axis 3 (channels): 8 + 8", "joined on axis 3 (channels): 4 + 4"}},
        {"three_branches",
         {"joined on axis 3 (channels): 8 + 8 + 4", "(None, 1, 1, 20) repeats along axes 1, 2"}},
    };
    const SlScene *s = sl_scene_find("shapes");
    Loaded L = load_script(cases[_i].model);
    SlSceneRun run;
    SlError e = {{0}};
    ck_assert_msg(sl_scene_start(&run, s, L.m, 2, 8, NULL, &e) == 0, "%s", e.msg);
    static const int canvases[][3] = {{WIN_W, WIN_H, 1}, {800, 600, 0}};
    for (int z = 0; z < 2; z++) {
        SlCanvas c;
        make_canvas(&c, canvases[z][0], canvases[z][1]);
        for (int step = 0; step < run.n_steps; step++) {
            s->draw(&run, step, &c);
            check_picture(&c, cases[_i].model, s, step, run.n_steps, canvases[z][2]);
            for (int k = 0; k < 2 && cases[_i].notes[k] && canvases[z][2]; k++)
                ck_assert_msg(texts_equal(&c, cases[_i].notes[k]) >= 1,
                              "%s, step %d: no merge says '%s'", cases[_i].model, step + 1,
                              cases[_i].notes[k]);
            if (step + 1 < run.n_steps)
                s->draw(&run, step + 0.5, &c);
        }
        sl_canvas_free(&c);
    }
    sl_scene_end(&run);
    unload(&L);
}
END_TEST

/* The seq2seq scene: the shapes the engine inferred for its three designs on their boxes, padding
 * and masked target steps drawn as hatched cells, and the design of the run's model lit last. */
START_TEST(test_seq2seq_scene)
{
    static const struct {
        const char *model, *yours;
    } cases[] = {{"08_seq2seq_encoder_decoder", "yours: (b)"},
                 {"08_seq2seq_reshape", "yours: (a)"},
                 {"14_multi_output", NULL}};
    const SlScene *s = sl_scene_find("seq2seq");
    ck_assert_ptr_nonnull(s);
    Loaded L = load_model(model_index(cases[_i].model));
    SlSceneRun run;
    SlError e = {{0}};
    ck_assert_msg(sl_scene_start(&run, s, L.m, 2, 8, NULL, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(run.n_steps, 3);
    SlCanvas c;
    make_canvas(&c, WIN_W, WIN_H);
    s->draw(&run, run.n_steps - 1, &c);
    static const char *const shapes[] = {"(None, 12, 32)", "(None, 4, 15)", "(None, 4, 5)",
                                         "(None, 64)",     "(None, 4, 64)", "(None, 6, 16)",
                                         "(None, 7, 64)",  "(None, 7, 8)"};
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
        ck_assert_msg(texts_with(&c, shapes[k]) >= 1, "no tensor box labelled %s", shapes[k]);
    int pad = 0, mask = 0;
    for (int i = 0; i < c.n_items; i++)
        if (c.items[i].kind == SL_ITEM_WIDGET) {
            pad += c.items[i].role == SL_ROLE_PADDING;
            mask += c.items[i].role == SL_ROLE_MASK;
        }
    ck_assert_int_eq(pad, 3 + 3); /* the source's and the decoder input's padded steps */
    ck_assert_int_eq(mask, 3);    /* the target's steps after END */
    if (cases[_i].yours)
        ck_assert_int_eq(texts_with(&c, cases[_i].yours), 1);
    else
        ck_assert_int_eq(texts_with(&c, "yours"), 0);
    ck_assert_int_eq(sl_scene_claim(L.m, s), 0); /* drawn when asked for */
    sl_canvas_free(&c);
    sl_scene_end(&run);
    unload(&L);
}
END_TEST

/* The transposed-conv scene: QUESTIONS.md item 18's model and a 1-D layer. It draws the first
 * transposed layer; its scatter of stamps and its correlation agree to the last bit; the layer's
 * output is the sum over its input channels plus the bias; a stamp step frames the stamp. */
START_TEST(test_transposed_conv_scene)
{
    static const struct {
        const char *model, *layer;
        int steps;
    } cases[] = {{"18_conv_transpose", "conv2d_transpose (Conv2DTranspose) = a Conv2D", 12 + 2},
                 {"small_transposed", "conv1d_transpose (Conv1DTranspose) = a Conv1D", 6 + 2}};
    const SlScene *s = sl_scene_find("transposed-conv");
    ck_assert_ptr_nonnull(s);
    Loaded L = load_model(model_index(cases[_i].model));
    ck_assert_ptr_eq(sl_scene_best(L.m, NULL, 0), s);
    SlSceneRun run;
    SlError e = {{0}};
    ck_assert_msg(sl_scene_start(&run, s, L.m, 2, 8, NULL, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(run.n_steps, cases[_i].steps);
    SlCanvas c;
    make_canvas(&c, WIN_W, WIN_H);
    s->draw(&run, run.n_steps - 1, &c);
    ck_assert_int_eq(texts_with(&c, cases[_i].layer), 1);
    ck_assert_int_eq(texts_with(&c, "largest difference: 0"), 1);
    ck_assert_int_eq(texts_with(&c, "equal to what the layer"), 1);
    ck_assert_int_eq(texts_with(&c, "rotate180(K)"), 1);
    s->draw(&run, 1, &c);
    ck_assert_int_eq(texts_with(&c, "Step 2 of"), 1);
    ck_assert_int_eq(texts_with(&c, "scatter: 2 of"), 1); /* 2 stamps so far */
    uint64_t at1 = sl_canvas_hash(&c);
    /* between the first two steps: the cell moves on and the second stamp flows in; the caption
     * still tells the nearer step, counting cells from 0 */
    s->draw(&run, 0, &c);
    uint64_t at0 = sl_canvas_hash(&c);
    s->draw(&run, 0.4, &c);
    ck_assert(sl_canvas_hash(&c) != at0 && sl_canvas_hash(&c) != at1);
    ck_assert_int_eq(texts_with(&c, "Step 1 of"), 1);
    ck_assert_int_eq(texts_with(&c, "Input cell (0, 0)"), 1);
    ck_assert_int_eq(texts_with(&c, "scatter: 1 of"), 1);
    sl_canvas_free(&c);
    sl_scene_end(&run);
    unload(&L);
}
END_TEST

/* The batchnorm scene: it is the one picked for a model with BatchNormalization, shows twelve
 * batches of fit with predict beside fit, and leaves the model's weights (the moving statistics
 * too) as they were. */
START_TEST(test_batchnorm_scene)
{
    static const struct {
        const char *model;
    } cases[] = {{"small_batchnorm"}, {"16_batchnorm"}};
    const SlScene *s = sl_scene_find("batchnorm");
    ck_assert_ptr_nonnull(s);
    Loaded L = _i == 0 ? load_model(model_index(cases[0].model)) : (Loaded){NULL, NULL};
    if (_i == 1) {
        SlScriptOptions quiet;
        memset(&quiet, 0, sizeof quiet);
        SlError e = {{0}};
        L.script = sl_script_run(SL_SHARED_MODELS "/16_batchnorm.py", &quiet, &e);
        ck_assert_msg(L.script != NULL, "%s", e.msg);
        L.m = sl_script_model(L.script, &e);
        ck_assert_msg(L.m && sl_model_init_params(L.m, 0, &e) == 0, "%s", e.msg);
    }
    ck_assert_ptr_eq(sl_scene_best(L.m, NULL, 0), s);
    size_t n = L.m->values.used;
    sl_real *before = malloc(n * sizeof *before);
    ck_assert_ptr_nonnull(before);
    memcpy(before, L.m->values.base, n * sizeof *before);
    SlSceneRun run;
    SlError e = {{0}};
    ck_assert_msg(sl_scene_start(&run, s, L.m, 2, 8, NULL, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(run.n_steps, 12);
    ck_assert_msg(!memcmp(before, L.m->values.base, n * sizeof *before),
                  "the scene changed the model's weights");
    SlCanvas c;
    make_canvas(&c, WIN_W, WIN_H);
    s->draw(&run, run.n_steps - 1, &c);
    ck_assert_int_eq(texts_with(&c, "Batch 12 of 12 in fit"), 1);
    ck_assert_int_eq(texts_with(&c, "= y in fit (batch statistics)"), 1);
    ck_assert_int_eq(texts_with(&c, "= y in predict (moving statistics)"), 1);
    ck_assert_int_eq(texts_with(&c, "moving variance"), 2); /* a plot's title and the bars' */
    ck_assert_int_eq(texts_with(&c, "channel 1: batch mean, moving mean"), 1);
    int state = 0; /* the moving statistics' bars */
    for (int i = 0; i < c.n_items; i++)
        state += c.items[i].kind == SL_ITEM_WIDGET && c.items[i].role == SL_ROLE_STATE;
    ck_assert_int_eq(state, 2);
    sl_canvas_free(&c);
    sl_scene_end(&run);
    free(before);
    unload(&L);
}
END_TEST

/* ---- 4. the window shows the same pixels as an offscreen canvas ---- */

START_TEST(test_window_matches_canvas)
{
    Loaded L = load_model(model_index("15_regression"));
    const SlScene *s = sl_scene_find("shapes");
    ck_assert_ptr_nonnull(s);
    SlSceneRun run;
    SlError e = {{0}};
    ck_assert_msg(sl_scene_start(&run, s, L.m, 2, 8, NULL, &e) == 0, "%s", e.msg);

    char dir[64], path[128];
    snprintf(dir, sizeof dir, "/tmp/shapelab-window-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/shot.png", dir);
    SlWindowOptions o = {.quit_after_frames = 60, .screenshot = path, .stats = 0, .playing = 0};
    int rc = sl_window_run(&run, "shapelab check_viz", &o, &e);
    /* No display is a failure, not a skip: the window is part of what is tested. */
    ck_assert_msg(rc == 0, "sl_window_run: %s", e.msg);

    int w, h, n;
    unsigned char *px = stbi_load(path, &w, &h, &n, 4);
    ck_assert_msg(px != NULL, "cannot read the screenshot %s: %s", path, stbi_failure_reason());
    remove(path);
    rmdir(dir);
    ck_assert_msg(w == WIN_W && h == WIN_H, "the window is %dx%d, expected %dx%d", w, h, WIN_W,
                  WIN_H);

    SlCanvas c;
    make_canvas(&c, w, h);
    s->draw(&run, 0, &c);
    long bad = 0, first = -1;
    for (long i = 0; i < (long)w * h; i++)
        if (memcmp(px + 4 * i, c.rgba + 4 * i, 4)) {
            bad++;
            first = first < 0 ? i : first;
        }
    if (bad) {
        char keep[160];
        SlError pe = {{0}};
        snprintf(keep, sizeof keep, "%s/%s-window-expected.png", pictures_dir(), BUILD_TAG);
        sl_canvas_write_png(&c, keep, &pe);
        ck_abort_msg("%ld of %d pixels differ; the first at (%ld, %ld): window %d,%d,%d,%d, "
                     "canvas %d,%d,%d,%d (expected picture: %s)",
                     bad, w * h, first % w, first / w, px[4 * first], px[4 * first + 1],
                     px[4 * first + 2], px[4 * first + 3], c.rgba[4 * first], c.rgba[4 * first + 1],
                     c.rgba[4 * first + 2], c.rgba[4 * first + 3], keep);
    }
    stbi_image_free(px);
    sl_canvas_free(&c);
    sl_scene_end(&run);
    unload(&L);
}
END_TEST

/* Without a display the window is refused with a message that points to `shapelab png` (the
 * header's contract: -1 when no window can be opened), rather than drawn where nobody sees it
 * (SDL falls back to its offscreen driver, and `shapelab viz` would then run invisibly until
 * killed). The display's variables are hidden from SDL for this test only. */
START_TEST(test_window_without_display_fails)
{
    static const char *const vars[] = {"DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"};
    char *saved[3];
    for (int i = 0; i < 3; i++) {
        const char *v = getenv(vars[i]);
        saved[i] = v ? strdup(v) : NULL;
        unsetenv(vars[i]);
    }
    Loaded L = load_model(model_index("14_multi_output"));
    SlSceneRun run;
    SlError e = {{0}};
    ck_assert_msg(sl_scene_start(&run, sl_scene_find("shapes"), L.m, 2, 8, NULL, &e) == 0, "%s",
                  e.msg);
    SlWindowOptions o = {.quit_after_frames = 3, .screenshot = NULL, .stats = 0, .playing = 0};
    int rc = sl_window_run(&run, "shapelab check_viz (no display)", &o, &e);
    for (int i = 0; i < 3; i++)
        if (saved[i]) {
            setenv(vars[i], saved[i], 1);
            free(saved[i]);
        }
    ck_assert_msg(rc == -1,
                  "with DISPLAY and WAYLAND_DISPLAY unset, sl_window_run returned %d: it opened a "
                  "window nobody can see instead of failing with \"use `shapelab png`\"",
                  rc);
    ck_assert_msg(strstr(e.msg, "shapelab png"), "%s", e.msg);
    sl_scene_end(&run);
    unload(&L);
}
END_TEST

/* Heatmaps remember their values, so the window can show the one under the mouse. */
START_TEST(test_heatmap_values_under_the_mouse)
{
    SlError e;
    SlCanvas c;
    sl_real m[6] = {1, -2, 3, 4, 5, -6};
    ck_assert(sl_canvas_init(&c, 200, 100, &e) == 0);
    sl_draw_heatmap(&c, 10, 20, m, 2, 3, 8, SL_ROLE_WEIGHT, NULL);
    int row, col;
    float v;
    const SlProbe *p = sl_canvas_probe_at(&c, 10 + 2 * 8 + 3, 20 + 8 + 1, &row, &col, &v);
    ck_assert_msg(p && row == 1 && col == 2 && v == -6, "probe: %p row %d col %d v %g",
                  (const void *)p, row, col, (double)v);
    ck_assert(!sl_canvas_probe_at(&c, 9, 20, &row, &col, &v)); /* just outside */
    ck_assert(!sl_canvas_probe_at(&c, 10 + 3 * 8, 20, &row, &col, &v));
    sl_canvas_clear(&c, SL_PAPER); /* a new frame forgets them */
    ck_assert(!sl_canvas_probe_at(&c, 12, 22, &row, &col, &v));
    sl_canvas_free(&c);
}
END_TEST

/* ---- motion and the animated PNG ---- */

/* A position between two steps draws something between them: at k + 0 exactly step k, on the way
 * a picture that is neither (the scene moves), at k + 1 exactly step k + 1. */
START_TEST(test_motion_between_steps)
{
    Loaded L = load_model(model_index("14_multi_output"));
    const SlScene *s = sl_scene_find("shapes");
    SlSceneRun run;
    SlError e = {{0}};
    ck_assert_msg(sl_scene_start(&run, s, L.m, 2, 8, NULL, &e) == 0, "%s", e.msg);
    ck_assert_int_ge(run.n_steps, 3);
    SlCanvas c;
    make_canvas(&c, WIN_W, WIN_H);
    s->draw(&run, 1, &c);
    uint64_t at1 = sl_canvas_hash(&c);
    s->draw(&run, 2, &c);
    uint64_t at2 = sl_canvas_hash(&c);
    s->draw(&run, 1.0 + 1e-12, &c);
    ck_assert(sl_canvas_hash(&c) == at1 || sl_canvas_hash(&c) != at2);
    uint64_t prev = at1;
    int changes = 0;
    for (int i = 1; i < 10; i++) {
        s->draw(&run, 1 + i / 10.0, &c);
        uint64_t h = sl_canvas_hash(&c);
        ck_assert(h != at1 || i == 0);
        changes += h != prev;
        prev = h;
    }
    ck_assert_int_ge(changes, 8); /* it moves at every frame, not in one jump */
    /* easing: slow at the ends, fast in the middle */
    ck_assert(sl_ease(0) == 0 && sl_ease(1) == 1 && fabs(sl_ease(0.5) - 0.5) < 1e-12);
    ck_assert(sl_ease(0.1) < 0.1 && sl_ease(0.9) > 0.9);
    double t;
    ck_assert_int_eq(sl_scene_step(&run, 1.25, &t), 1);
    ck_assert(fabs(t - sl_ease(0.25)) < 1e-12);
    ck_assert_int_eq(sl_scene_step(&run, run.n_steps + 3.5, &t), run.n_steps - 1);
    ck_assert(t == 0);
    ck_assert_int_eq(sl_scene_step(&run, -2, &t), 0);
    ck_assert_int_eq(sl_scene_caption_step(&run, 1.4), 1);
    ck_assert_int_eq(sl_scene_caption_step(&run, 1.6), 2);
    sl_canvas_free(&c);
    sl_scene_end(&run);
    unload(&L);
}
END_TEST

/* What sl_scene_animate hands out, with neighbours that are the same picture merged as the APNG
 * writer merges them: each picture's hash and how long it shows. */
typedef struct Drawn {
    int n;
    uint64_t hash[512];
    int ms[512];
} Drawn;

static int note_frame(void *ctx, const SlCanvas *c, int delay_ms, SlError *e)
{
    Drawn *d = ctx;
    (void)e;
    uint64_t h = sl_canvas_hash(c);
    if (d->n && d->hash[d->n - 1] == h) {
        d->ms[d->n - 1] += delay_ms;
        return 0;
    }
    ck_assert_int_lt(d->n, 512);
    d->hash[d->n] = h, d->ms[d->n++] = delay_ms;
    return 0;
}

static int frame_is_drawn(void *ctx, int k, const unsigned char *rgba, int w, int h,
                          const ApngFrame *f)
{
    const Drawn *d = ctx;
    SlCanvas view = {.w = w, .h = h, .pw = w, .ph = h, .scale = 1, .rgba = (uint8_t *)rgba};
    ck_assert_int_lt(k, d->n);
    ck_assert_msg(sl_canvas_hash(&view) == d->hash[k],
                  "frame %d of the APNG is not what the scene "
                  "drew",
                  k);
    ck_assert_int_eq(f->delay_num * 1000 / f->delay_den, d->ms[k]);
    return 0;
}

/* `png --animate`: every frame of the file is a picture the scene drew, in order, with its delay;
 * the first is the still `png -o` writes. */
START_TEST(test_scene_apng)
{
    static const char *const cases[][2] = {{"14_multi_output", "shapes"},
                                           {"10_causal_dilated", "receptive-field"},
                                           {"06_masking", "mask"},
                                           {"18_conv_transpose", "transposed-conv"}};
    Loaded L = load_model(model_index(cases[_i][0]));
    const SlScene *s = sl_scene_find(cases[_i][1]);
    SlSceneRun run;
    SlError e = {{0}};
    ck_assert_msg(sl_scene_start(&run, s, L.m, 2, 8, NULL, &e) == 0, "%s", e.msg);
    SlCanvas c;
    make_canvas(&c, WIN_W, WIN_H);
    static Drawn drawn;
    memset(&drawn, 0, sizeof drawn);
    ck_assert_int_eq(sl_scene_animate(&run, &c, note_frame, &drawn, &e), 0);
    s->draw(&run, run.n_steps - 1, &c); /* the still */
    ck_assert(drawn.hash[0] == sl_canvas_hash(&c));
    ck_assert_int_gt(drawn.n, run.n_steps); /* in-between frames too */
    char dir[64], path[128];
    snprintf(dir, sizeof dir, "/tmp/shapelab-apng-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/scene.png", dir);
    ck_assert_msg(sl_scene_write_apng(&run, &c, path, &e) == 0, "%s", e.msg);
    ApngInfo info;
    ck_assert_msg(apng_read(path, &info, frame_is_drawn, &drawn) == 0, "%s", info.err);
    ck_assert_int_eq(info.frames, drawn.n);
    ck_assert(info.w == WIN_W && info.h == WIN_H);
    remove(path);
    rmdir(dir);
    sl_canvas_free(&c);
    sl_scene_end(&run);
    unload(&L);
}
END_TEST

/* ---- captions from the engine ---- */

static SlModel *conv_stack(int k, int d1, int d2, SlError *e)
{
    char a[96], b[96];
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    snprintf(a, sizeof a, "4, %d, padding='causal', dilation_rate=%d, input_shape=(None, 2)", k,
             d1);
    snprintf(b, sizeof b, "4, %d, padding='causal', dilation_rate=%d", k, d2);
    ck_assert_msg(sl_model_add(m, sl_layer("Conv1D", a, e), e) == 0 &&
                      sl_model_add(m, sl_layer("Conv1D", b, e), e) == 0 &&
                      sl_model_init_params(m, 0, e) == 0,
                  "%s", e->msg);
    return m;
}

/* The receptive-field scene's title and caption carry the engine's numbers for the model drawn:
 * changing the dilations changes them. Kernel 4 with dilations 3 and 9 spans 37 steps, 13 of
 * which feed the output; dilations 1 and 4 span 16, all of which do. */
START_TEST(test_receptive_captions)
{
    static const struct {
        int k, d1, d2, total, fed;
        const char *gaps;
    } cases[] = {{4, 3, 9, 37, 13, "13 of them feed it (every 3rd step)"},
                 {4, 1, 4, 16, 16, "every one of them feeds it"},
                 {2, 2, 3, 6, 4, "4 of them feed it: conv1d's taps are 2 steps apart"}};
    SlError e = {{0}};
    SlModel *m = conv_stack(cases[_i].k, cases[_i].d1, cases[_i].d2, &e);
    SlReceptive r;
    ck_assert(sl_receptive_field(m, &r, &e) == 0);
    ck_assert_int_eq(r.total, cases[_i].total);
    ck_assert_int_eq(r.fed, cases[_i].fed);
    const SlScene *s = sl_scene_find("receptive-field");
    SlSceneRun run;
    SlSceneOptions o = {.timesteps = 60};
    ck_assert_msg(sl_scene_start_with(&run, s, m, &o, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(run.n_steps, 60); /* --timesteps is the input's length */
    SlCanvas c;
    make_canvas(&c, WIN_W, WIN_H);
    s->draw(&run, run.n_steps - 1, &c);
    char title[160];
    if (r.fed < r.total)
        snprintf(title, sizeof title, "it spans %d input steps, %d of them feed it", r.total,
                 r.fed);
    else
        snprintf(title, sizeof title, "%d input steps", r.total);
    ck_assert_msg(texts_with(&c, title) == 1, "no title with '%s'", title);
    char gaps[512];
    sl_receptive_gaps(m, &r, gaps, sizeof gaps);
    ck_assert_msg(strstr(gaps, cases[_i].gaps), "%s", gaps);
    /* the caption names the lit steps and the stack's span: its first line, as the record keeps
     * it, and the rest through the engine's sentence above */
    char first[160];
    snprintf(first, sizeof first, "reads input steps %d..59: %d steps", 60 - r.total, r.fed);
    ck_assert_msg(texts_with(&c, first) == 1, "no caption with '%s'", first);
    /* the lit input cells of the last output step are the fed steps (away from the padding) */
    int len[SL_RF_MAX + 1];
    unsigned char lit[4096];
    ck_assert(sl_receptive_lengths(&r, 60, len) == 0);
    sl_receptive_light(&r, len, len[r.n] - 1, lit);
    int n = 0;
    for (int i = 0; i < 60; i++)
        n += lit[i];
    ck_assert_int_eq(n, r.fed);
    sl_canvas_free(&c);
    sl_scene_end(&run);
    sl_model_free(m);
}
END_TEST

/* channels_first puts the channels on axis 1: the tensors its layers make and read say so; the
 * Flatten after them makes features, and the same model in channels_last keeps the usual words. */
START_TEST(test_channels_first_axes)
{
    for (int first = 0; first < 2; first++) {
        SlError e = {{0}};
        char conv[96], pool[64];
        const char *f = first ? "channels_first" : "channels_last";
        snprintf(conv, sizeof conv, "8, 3, data_format='%s'", f);
        snprintf(pool, sizeof pool, "2, data_format='%s'", f);
        sl_clear_session();
        SlModel *m = sl_sequential(NULL);
        ck_assert_msg(sl_model_add(m,
                                   sl_layer("InputLayer",
                                            first ? "shape=(3, 16, 16)" : "shape=(16, 16, 3)", &e),
                                   &e) == 0 &&
                          sl_model_add(m, sl_layer("Conv2D", conv, &e), &e) == 0 &&
                          sl_model_add(m, sl_layer("MaxPooling2D", pool, &e), &e) == 0 &&
                          sl_model_add(m, sl_layer("Flatten", "", &e), &e) == 0,
                      "%s", e.msg);
        for (int t = 0; t < 3; t++) { /* the input, the Conv2D's output, the pooling's */
            int edge = t == 0 ? m->inputs[0] : m->nodes[t].out[0];
            const char *axes = sl_scene_axes(m, edge);
            if (first)
                ck_assert_str_eq(axes, "samples x channels x rows x cols");
            else
                ck_assert_ptr_null(axes); /* "samples x rows x cols x channels" */
        }
        ck_assert_ptr_null(sl_scene_axes(m, m->outputs[0])); /* (None, n): features */
        sl_model_free(m);
    }
}
END_TEST

/* A scene asked for by name on a model without its layer says what it needs; where the model has
 * that layer in a form the scene does not draw (grouped, channels_first), it names the layer and
 * the scene that does. */
START_TEST(test_scene_refusals)
{
    static const struct {
        const char *input, *type, *args, *scene, *says;
    } cases[] = {
        {"shape=(8, 8, 4)", "Conv2D", "4, 3, groups=2", "conv2d",
         "the conv2d scene needs a model with a Conv2D layer whose filters see every input "
         "channel, channels_last; conv2d (Conv2D) is grouped or channels_first, which it does not "
         "draw: --scene shapes shows its shapes"},
        {"shape=(2, 12)", "Conv1D", "2, 3, data_format='channels_first'", "conv-backprop",
         "conv1d (Conv1D) is grouped or channels_first"},
        {"shape=(12,)", "Dense", "3", "conv2d",
         "the conv2d scene needs a model with a Conv2D layer"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        SlError e = {{0}};
        sl_clear_session();
        SlModel *m = sl_sequential(NULL);
        ck_assert_msg(sl_model_add(m, sl_layer("InputLayer", cases[i].input, &e), &e) == 0 &&
                          sl_model_add(m, sl_layer(cases[i].type, cases[i].args, &e), &e) == 0 &&
                          sl_model_init_params(m, 0, &e) == 0,
                      "%s", e.msg);
        SlSceneRun run;
        ck_assert_int_eq(sl_scene_start(&run, sl_scene_find(cases[i].scene), m, 2, 8, NULL, &e),
                         -1);
        ck_assert_msg(strstr(e.msg, cases[i].says), "%s: %s", cases[i].scene, e.msg);
        if (i == 2) /* no layer of the type: nothing more is said */
            ck_assert_str_eq(e.msg, cases[i].says);
        sl_model_free(m);
    }
}
END_TEST

/* The axes an Embedding reads are positions, not features; after it, positions and features. */
START_TEST(test_embedding_axes)
{
    SlError e = {{0}};
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    ck_assert(sl_model_add(m, sl_layer("InputLayer", "shape=(31,)", &e), &e) == 0 &&
              sl_model_add(m, sl_layer("Embedding", "30, 8", &e), &e) == 0 &&
              sl_model_add(m, sl_layer("LSTM", "4", &e), &e) == 0 &&
              sl_model_init_params(m, 0, &e) == 0);
    ck_assert_str_eq(sl_scene_axes(m, m->inputs[0]), "samples x positions");
    ck_assert_ptr_null(sl_scene_axes(m, m->nodes[1].out[0])); /* rank 3: the usual words */
    ck_assert_ptr_null(sl_scene_axes(m, m->outputs[0]));      /* (None, 4): features */
    const SlScene *s = sl_scene_find("shapes");
    SlSceneRun run;
    ck_assert_msg(sl_scene_start(&run, s, m, 2, 8, NULL, &e) == 0, "%s", e.msg);
    SlCanvas c;
    make_canvas(&c, WIN_W, WIN_H);
    s->draw(&run, 0, &c);
    ck_assert_int_eq(texts_with(&c, "(None, 31)  samples x positions"), 1);
    ck_assert_int_eq(texts_with(&c, "(None, 31, 8)  samples x positions x features"), 1);
    ck_assert_int_eq(texts_with(&c, "(None, 4)  samples x features"), 1);
    sl_canvas_free(&c);
    sl_scene_end(&run);
    sl_model_free(m);
}
END_TEST

/* The learner's data: the sample asked for is the one drawn; data that does not fit the model, or
 * a sample past its end, is an error that says so. */
START_TEST(test_learner_data)
{
    Loaded L = load_model(model_index("15_regression"));
    const SlScene *s = sl_scene_find("dense");
    int in = L.m->t[L.m->inputs[0]].shape.dim[1];
    enum { N = 5 };
    sl_real *x = calloc((size_t)N * in, sizeof *x);
    ck_assert_ptr_nonnull(x);
    for (int i = 0; i < N * in; i++)
        x[i] = (sl_real)(i % 7) - 3;
    SlTensor X = sl_tensor(sl_shape_of(2, (int[]){N, in}), x);
    SlSceneOptions o = {.x = &X, .n_x = 1, .sample = 3};
    SlSceneRun run;
    SlError e = {{0}};
    ck_assert_msg(sl_scene_start_with(&run, s, L.m, &o, &e) == 0, "%s", e.msg);
    const SlVizCall *first = NULL;
    for (int i = 0; i < run.n_calls && !first; i++)
        if (!strcmp(L.m->nodes[run.calls[i].node].layer->type->name, "Dense"))
            first = &run.calls[i];
    ck_assert_ptr_nonnull(first);
    for (int i = 0; i < in; i++)
        ck_assert(first->in_vals[i] == (float)x[3 * in + i]);
    sl_scene_end(&run);
    o.sample = N;
    ck_assert_int_eq(sl_scene_start_with(&run, s, L.m, &o, &e), -1);
    ck_assert_msg(strstr(e.msg, "5 samples") && strstr(e.msg, "--sample 5"), "%s", e.msg);
    X.shape = sl_shape_of(2, (int[]){N * in / 2, 2}); /* wrong features */
    o.sample = 0;
    ck_assert_int_eq(sl_scene_start_with(&run, s, L.m, &o, &e), -1);
    ck_assert_msg(strstr(e.msg, "axis 1 must be"), "%s", e.msg);
    o.n_x = 2; /* one file per input */
    ck_assert_int_eq(sl_scene_start_with(&run, s, L.m, &o, &e), -1);
    ck_assert_msg(strstr(e.msg, "takes 1 input"), "%s", e.msg);
    free(x);
    unload(&L);
}
END_TEST

/* A long sequence: the mask scene scrolls instead of refusing; the bidirectional scene shows the
 * backward copy starting at the last step even with the middle steps elided. */
START_TEST(test_long_sequences)
{
    SlError e = {{0}};
    SlCanvas c;
    make_canvas(&c, WIN_W, WIN_H);
    Loaded L = load_model(model_index("06_masking"));
    const SlScene *s = sl_scene_find("mask");
    SlSceneRun run;
    SlSceneOptions o = {.timesteps = 200};
    ck_assert_msg(sl_scene_start_with(&run, s, L.m, &o, &e) == 0, "%s", e.msg);
    ck_assert_int_ge(run.n_steps, 200);
    s->draw(&run, run.n_steps - 1, &c);
    ck_assert_int_eq(texts_with(&c, "loss counts 133 of 200"), 1);
    ck_assert_int_ge(texts_with(&c, "198"), 1); /* the window has scrolled to the end */
    ck_assert_int_eq(texts_with(&c, "Step t = 199 (of 0..199)"), 1);
    sl_scene_end(&run);
    unload(&L);

    L = load_model(model_index("bidirectional"));
    s = sl_scene_find("bidirectional");
    o.timesteps = 20;
    ck_assert_msg(sl_scene_start_with(&run, s, L.m, &o, &e) == 0, "%s", e.msg);
    s->draw(&run, 0, &c);
    const SlItem *t19 = NULL, *start = NULL;
    for (int i = 0; i < c.n_items; i++) {
        if (c.items[i].kind == SL_ITEM_TEXT && !strcmp(c.items[i].what, "t=19"))
            t19 = &c.items[i];
        if (c.items[i].kind == SL_ITEM_TEXT && !strcmp(c.items[i].what, "h (starts here)") &&
            c.items[i].y > c.h / 2)
            start = &c.items[i];
    }
    ck_assert_msg(t19 && start, "the backward copy's first step is not drawn at t=19");
    ck_assert_int_eq(start->x, t19->x); /* in the same column */
    ck_assert_int_eq(texts_with(&c, "x[0..0]"), 1);
    ck_assert_int_eq(texts_with(&c, "x[19..19]"), 1);
    sl_scene_end(&run);
    unload(&L);
    sl_canvas_free(&c);
}
END_TEST

/* --values: a heatmap's numbers in its cells when asked, none otherwise. */
START_TEST(test_values_in_cells)
{
    SlCanvas c;
    make_canvas(&c, 400, 200);
    sl_real m[6] = {0.5, -1.25, 3, 0, 12.5, -0.001};
    sl_draw_heatmap(&c, 10, 10, m, 2, 3, 48, SL_ROLE_WEIGHT, "W");
    ck_assert_int_eq(texts_with(&c, "-1.25"), 0);
    sl_canvas_clear(&c, SL_PAPER);
    c.values = 1;
    sl_draw_heatmap(&c, 10, 10, m, 2, 3, 48, SL_ROLE_WEIGHT, "W");
    ck_assert_int_eq(texts_with(&c, "-1.25"), 1);
    ck_assert_int_eq(texts_equal(&c, "12.5"), 2);  /* the cell, and the scale's end */
    ck_assert_int_eq(texts_with(&c, "-0.001"), 0); /* too long for its cell: none, not "-0.0" */
    ck_assert_int_eq(texts_with(&c, "-0.0"), 0);
    /* every number inside its own cell */
    for (int i = 0; i < c.n_items; i++) {
        const SlItem *it = &c.items[i];
        if (it->kind == SL_ITEM_TEXT && it->px == sl_text_px(SL_TEXT_NUMBER))
            ck_assert_msg(it->x >= 10 && it->x + it->w <= 10 + 3 * 48 && it->y >= 10 + 22 &&
                              it->y + it->h <= 10 + 22 + 2 * 48,
                          "'%s' at %d,%d %dx%d", it->what, it->x, it->y, it->w, it->h);
    }
    sl_canvas_free(&c);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("viz");
    TCase *tc = tcase_create("box");
    tcase_set_timeout(tc, 20);
    tcase_add_loop_test(tc, test_box_size_follows_shape, 0, N_BOX_CASES);
    tcase_add_test(tc, test_box_size_none_fixed);
    tcase_add_test(tc, test_heatmap_values_under_the_mouse);
    tcase_add_test(tc, test_training_long_fit);
    suite_add_tcase(s, tc);

    tc = tcase_create("layout");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_every_model_has_a_scene);
    tcase_add_test(tc, test_best_scene_starts_on_every_script);
    tcase_add_loop_test(tc, test_layout, 0, N_MODELS * sl_scene_count());
    tcase_add_loop_test(tc, test_layout_small_window, 0, N_MODELS * sl_scene_count());
    suite_add_tcase(s, tc);

    tc = tcase_create("caption");
    tcase_set_timeout(tc, 20);
    tcase_add_loop_test(tc, test_shapes_captions, 0, N_MODELS);
    tcase_add_loop_test(tc, test_shapes_graphs, 0, 4);
    tcase_add_loop_test(tc, test_seq2seq_scene, 0, 3);
    tcase_add_loop_test(tc, test_receptive_captions, 0, 3);
    tcase_add_test(tc, test_embedding_axes);
    tcase_add_test(tc, test_channels_first_axes);
    tcase_add_test(tc, test_scene_refusals);
    tcase_add_test(tc, test_learner_data);
    tcase_add_test(tc, test_long_sequences);
    tcase_add_test(tc, test_values_in_cells);
    tcase_add_loop_test(tc, test_transposed_conv_scene, 0, 2);
    tcase_add_loop_test(tc, test_batchnorm_scene, 0, 2);
    suite_add_tcase(s, tc);

    tc = tcase_create("motion");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_motion_between_steps);
    tcase_add_loop_test(tc, test_scene_apng, 0, 4);
    suite_add_tcase(s, tc);

    tc = tcase_create("window");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_window_matches_canvas);
    tcase_add_test(tc, test_window_without_display_fails);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
