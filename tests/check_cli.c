/* check_cli.c: the shapelab program end to end (CONTRACT.md, "CLI" and "Files"): each subcommand
 * run as a user runs it, its exit code, what it prints, and the files it writes, read back with the
 * engine. Every build tests its own binary (SL_BUILD_DIR/shapelab). The fixtures in
 * tests/fixtures/cli/ come from tools/make_cli_fixtures.py (weights written by `shapelab init`,
 * edited in NumPy; predictions from PyTorch in float64). */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "script/script.h"
#include "testutil.h"

#define BIN   SL_BUILD_DIR "/shapelab"
#define REG   SL_SHARED_MODELS "/15_regression.py"
#define MULTI SL_SHARED_MODELS "/14_multi_output.py"
#define FX    SL_FIXTURES "/cli/"
#define REG_W FX "regression_weights.safetensors"
#define REG_X FX "regression_x.npy"
#define TR_XY " -x " FX "regression_train_x.npy -y " FX "regression_train_y.npy"
#define SE    "shapelab: error: "

/* ---- running the binary ---- */

/* One directory per test case, under one per TCase: the parent process removes the latter after
 * the TCase, so a failed test (whose checked teardown never runs) leaves nothing behind. */
static char root[64], dir[96];

static void make_root(void)
{
    strcpy(root, "/tmp/check_cli_XXXXXX");
    ck_assert_msg(mkdtemp(root) != NULL, "mkdtemp failed");
}

static void remove_root(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    int rc = system(cmd);
    (void)rc;
}

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "%s/XXXXXX", root);
    ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp in %s failed", root);
}

/* tpl with every '@' replaced by the temporary directory. */
static char *expand(const char *tpl, char *buf, size_t n)
{
    size_t u = 0;
    for (const char *p = tpl; *p && u + 1 < n; p++)
        if (*p == '@')
            u += (size_t)snprintf(buf + u, n - u, "%s", dir);
        else
            buf[u++] = *p;
    buf[u < n ? u : n - 1] = '\0';
    return buf;
}

/* The whole file as a string ("" if it cannot be read); the caller frees it. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    long n = f && fseek(f, 0, SEEK_END) == 0 ? ftell(f) : 0;
    char *s = calloc((size_t)(n > 0 ? n : 0) + 1, 1);
    if (f && (fseek(f, 0, SEEK_SET) != 0 || fread(s, 1, (size_t)n, f) != (size_t)n))
        s[0] = '\0';
    if (f)
        fclose(f);
    return s;
}

/* Run `BIN ARGS` (each '@' in ARGS is the temporary directory) through sh -c under `timeout 60`,
 * stdout and stderr captured apart into *out and *err (freed by the caller). Returns the exit code
 * (124: timed out; 128+N: killed by signal N). */
static int run(const char *args, char **out, char **err)
{
    char a[2048], cmd[4096], po[128], pe[128];
    snprintf(po, sizeof po, "%s/_stdout", dir);
    snprintf(pe, sizeof pe, "%s/_stderr", dir);
    snprintf(cmd, sizeof cmd, "timeout 60 %s %s >'%s' 2>'%s' </dev/null", BIN,
             expand(args, a, sizeof a), po, pe);
    int st = system(cmd);
    *out = slurp(po);
    *err = slurp(pe);
    remove(po), remove(pe);
    return st == -1 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Assert the exit code and that stream `s` holds `want` ('@' expanded); `cmd` names the run. */
static void check(const char *cmd, int rc, int want_rc, const char *s, const char *want)
{
    char w[512];
    expand(want ? want : "", w, sizeof w);
    ck_assert_msg(rc == want_rc && strstr(s, w), "%s: exit %d (want %d), want \"%s\" in:\n%s", cmd,
                  rc, want_rc, w, s);
}

/* Run args, check the exit code and what stdout and stderr hold (NULL: anything). */
static void expect(const char *args, int want_rc, const char *out_has, const char *err_has)
{
    char *out, *err;
    int rc = run(args, &out, &err);
    ck_assert_msg(rc == want_rc, "%s: exit %d (want %d):\n%s%s", args, rc, want_rc, out, err);
    check(args, rc, want_rc, out, out_has);
    check(args, rc, want_rc, err, err_has);
    free(out), free(err);
}

static int exists(const char *tpl)
{
    char p[512];
    return access(expand(tpl, p, sizeof p), F_OK) == 0;
}

/* A file holding a tensor of this shape (zeros, with `poison` at flat index 43 if not 0). */
static void write_npy(const char *name, SlShape s, double poison)
{
    char p[512];
    SlError e;
    sl_real *d = calloc(sl_shape_count(&s) + 1, sizeof *d);
    if (poison != 0)
        d[43] = (sl_real)poison;
    SlTensor t = sl_tensor(s, d);
    ck_assert_msg(sl_npy_write(expand(name, p, sizeof p), &t, &e) == 0, "%s", e.msg);
    free(d);
}

static void write_bytes(const char *name, const void *data, size_t n)
{
    char p[512];
    FILE *f = fopen(expand(name, p, sizeof p), "wb");
    ck_assert_msg(f && fwrite(data, 1, n, f) == n && fclose(f) == 0, "cannot write %s", p);
}

/* A file holding a tensor of this shape, random in [0, 1) from seed (rounded to 0 or 1: binary). */
static void write_random_npy(const char *name, SlShape s, int binary, uint64_t seed)
{
    char p[512];
    SlError e;
    SlRng r = sl_rng(seed);
    sl_real *d = calloc(sl_shape_count(&s) + 1, sizeof *d);
    for (size_t i = 0; i < sl_shape_count(&s); i++)
        d[i] = (sl_real)(binary ? sl_rng_uniform(&r) < 0.5 : sl_rng_uniform(&r));
    SlTensor t = sl_tensor(s, d);
    ck_assert_msg(sl_npy_write(expand(name, p, sizeof p), &t, &e) == 0, "%s", e.msg);
    free(d);
}

/* Do two files ('@' expanded) hold the same bytes? */
static int same_bytes(const char *a_tpl, const char *b_tpl)
{
    char a[512], b[512];
    FILE *fa = fopen(expand(a_tpl, a, sizeof a), "rb"),
         *fb = fopen(expand(b_tpl, b, sizeof b), "rb");
    int same = fa && fb;
    for (int ca = 0, cb = 0; same && ca != EOF; same = ca == cb)
        ca = fgetc(fa), cb = fgetc(fb);
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

/* ---- usage ---- */

START_TEST(test_usage)
{
    expect("--version", 0, "shapelab " SL_VERSION " (" SL_REAL_NAME ")\n", NULL);
    expect("--help", 0, "usage: shapelab SUBCOMMAND", NULL);
    expect("", 2, NULL, "usage: shapelab SUBCOMMAND");
    expect("frobnicate", 2, NULL, SE "unknown subcommand 'frobnicate'");
}
END_TEST

static const char *const subcommands[] = {"summary", "trace",     "init", "predict",
                                          "train",   "gradcheck", "png",  "viz"};

START_TEST(test_subcommand_help)
{
    char args[64], want[64];
    snprintf(args, sizeof args, "%s --help", subcommands[_i]);
    snprintf(want, sizeof want, "usage: shapelab %s", subcommands[_i]);
    expect(args, 0, want, NULL);
}
END_TEST

/* Bad usage: exit 2, one error on stderr, nothing on stdout, and no output file. */
static const struct {
    const char *args, *want;
} usage_errors[] = {
    {"summary", "summary needs a MODEL.py"},
    {"predict " REG " -x", "-x needs a value"},
    {"summary " REG " --bogus", "summary does not take --bogus"},
    {"summary " REG " extra.py", "'extra.py' is extra"},
    {"summary " REG " --set x", "--set wants NAME=VALUE"},
    {"trace " REG " --batch abc", "--batch wants a number"},
    {"train " REG TR_XY " --epochs 0 -o @/w.safetensors", "--epochs wants a number"},
    {"train " REG TR_XY " --validation-split 1.5 -o @/w.safetensors", "--validation-split wants"},
};

START_TEST(test_usage_error)
{
    char *out, *err;
    int rc = run(usage_errors[_i].args, &out, &err);
    check(usage_errors[_i].args, rc, 2, err, SE);
    check(usage_errors[_i].args, rc, 2, err, usage_errors[_i].want);
    ck_assert_msg(!*out, "%s: a usage error printed on stdout:\n%s", usage_errors[_i].args, out);
    const char *second = strstr(strstr(err, SE) + 1, SE);
    ck_assert_msg(!second, "%s: more than one error (the first should stop it):\n%s",
                  usage_errors[_i].args, err);
    ck_assert_msg(!exists("@/w.safetensors"), "%s: wrote weights anyway", usage_errors[_i].args);
    free(out), free(err);
}
END_TEST

/* ---- summary, trace, init, gradcheck, png, viz ---- */

START_TEST(test_summary_regression)
{
    char *out, *err;
    int rc = run("summary " REG, &out, &err);
    ck_assert_msg(rc == 0, "summary: exit %d: %s", rc, err);
    ck_assert_str_eq(out, "Model: \"sequential\"\n"
                          "_________________________________________________________________\n"
                          "Layer (type)                 Output Shape              Param #   \n"
                          "=================================================================\n"
                          "dense (Dense)                (None, 64)                896       \n"
                          "_________________________________________________________________\n"
                          "dense_1 (Dense)              (None, 1)                 65        \n"
                          "=================================================================\n"
                          "Total params: 961\n"
                          "Trainable params: 961\n"
                          "Non-trainable params: 0\n"
                          "_________________________________________________________________\n");
    check("summary: the notice", rc, 0, err, "input_shape=(13,) is the Keras 2 spelling");
    free(out), free(err);
    expect("summary " REG " --explain", 0, "  dense (Dense)                  13*64 + 64 = 896\n",
           NULL);
    expect("summary " MULTI, 0, "Total params: 3,696\n", NULL);
}
END_TEST

/* QUESTIONS.md item 3's model: the LSTM's three output shapes do not fit their column, so they
 * wrap after each "),", one shape a line, as tf.keras 2.7+ prints them (never cut). */
START_TEST(test_summary_return_state)
{
    char *out, *err;
    int rc = run("summary " SL_SHARED_MODELS "/03_return_state.py", &out, &err);
    ck_assert_msg(rc == 0, "summary: exit %d: %s", rc, err);
    ck_assert_str_eq(out, "Model: \"model\"\n"
                          "_________________________________________________________________\n"
                          "Layer (type)                 Output Shape              Param #   \n"
                          "=================================================================\n"
                          "input_1 (InputLayer)         [(None, 2, 3)]            0         \n"
                          "_________________________________________________________________\n"
                          "lstm (LSTM)                  [(None, 2, 1),            20        \n"
                          "                              (None, 1),                         \n"
                          "                              (None, 1)]                         \n"
                          "=================================================================\n"
                          "Total params: 20\n"
                          "Trainable params: 20\n"
                          "Non-trainable params: 0\n"
                          "_________________________________________________________________\n");
    free(out), free(err);
}
END_TEST

/* Every script in SL_SHARED_MODELS: the first layer this build lacks, where the error points
 * (line and column of the layer's name, checked against the scripts), or NULL: it runs. */
static const struct {
    const char *file, *layer;
    int line, col;
} models[] = {
    {"01_lstm_input_shape.py", NULL, 0, 0},
    {"01_stacked_lstm.py", NULL, 0, 0},
    {"02_units.py", NULL, 0, 0},
    {"03_return_state.py", NULL, 0, 0},
    {"04_stateful.py", NULL, 0, 0},
    {"05_variable_length.py", NULL, 0, 0},
    {"06_masking.py", NULL, 0, 0},
    {"07_transfer_weights.py", NULL, 0, 0},
    {"07_transfer_weights_flat.py", NULL, 0, 0},
    {"08_seq2seq_encoder_decoder.py", NULL, 0, 0},
    {"08_seq2seq_reshape.py", NULL, 0, 0},
    {"09_timedistributed.py", NULL, 0, 0},
    {"10_causal_dilated.py", NULL, 0, 0},
    {"11_causal_cnn_fixed.py", NULL, 0, 0},
    {"11_causal_cnn_reshape_bug.py", NULL, 0, 0},
    {"12_conv2d_channels.py", NULL, 0, 0},
    {"13_conv_backprop.py", NULL, 0, 0},
    {"14_multi_output.py", NULL, 0, 0},
    {"15_regression.py", NULL, 0, 0},
    {"16_batchnorm.py", NULL, 0, 0},
    {"17_functional_merge.py", NULL, 0, 0},
    {"18_conv_transpose.py", NULL, 0, 0},
};
enum { N_MODELS = sizeof models / sizeof models[0] };

/* The "Total params: 6,194" a script's header promises (the last one it names), or "". */
static void header_total(const char *file, char *out, size_t n)
{
    char path[512], line[512];
    snprintf(path, sizeof path, "%s/%s", SL_SHARED_MODELS, file);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    out[0] = 0;
    while (fgets(line, sizeof line, f) && line[0] == '#') {
        const char *t = strstr(line, "Total params: ");
        if (!t)
            continue;
        size_t k = strlen("Total params: ");
        while (t[k] && (isdigit((unsigned char)t[k]) || t[k] == ','))
            k++;
        snprintf(out, n, "%.*s\n", (int)k, t);
    }
    fclose(f);
}

START_TEST(test_shared_model)
{
    char args[256], want[256], *out, *err;
    snprintf(args, sizeof args, "summary %s/%s", SL_SHARED_MODELS, models[_i].file);
    int rc = run(args, &out, &err);
    const char *layer = models[_i].layer;
    if (!layer) {
        char total[64];
        header_total(models[_i].file, total, sizeof total);
        check(args, rc, 0, out, total[0] ? total : "Total params: ");
    } else if (sl_layer_type_find(layer)) {
        /* the layer has landed: this row needs updating; meanwhile it must not be the error */
        snprintf(want, sizeof want, "%s is not implemented yet", layer);
        ck_assert_msg(rc == 0 || (rc == 2 && !strstr(err, want) && strstr(err, "not implemented")),
                      "%s: exit %d:\n%s", args, rc, err);
    } else {
        snprintf(want, sizeof want, "%s/%s:%d:%d: error: %s is not implemented yet\n",
                 SL_SHARED_MODELS, models[_i].file, models[_i].line, models[_i].col, layer);
        check(args, rc, 2, err, want);
        /* then the source line, and a caret under the layer's name */
        const char *src = strstr(err, want) + strlen(want), *nl = strchr(src, '\n');
        const char *caret = nl ? strchr(nl + 1, '^') : NULL;
        ck_assert_msg(caret && caret - (nl + 1) < nl - src, "%s: no caret line:\n%s", args, err);
        ck_assert_msg(!strncmp(src + (caret - (nl + 1)), layer, strlen(layer)),
                      "%s: the caret is not under %s:\n%s", args, layer, err);
    }
    free(out), free(err);
}
END_TEST

/* A table of names (name_at(i), n rows) covers every .py file in `dir`, and no more. */
static void assert_lists_dir(const char *path, const char *(*name_at)(int), int n_rows,
                             const char *table)
{
    DIR *d = opendir(path);
    ck_assert_msg(d != NULL, "cannot list %s", path);
    int n = 0;
    for (struct dirent *f; (f = readdir(d)) != NULL;) {
        size_t len = strlen(f->d_name);
        if (len < 3 || strcmp(f->d_name + len - 3, ".py"))
            continue;
        int found = 0;
        for (int i = 0; i < n_rows; i++)
            found |= !strcmp(name_at(i), f->d_name);
        ck_assert_msg(found, "%s/%s is missing from the table `%s`", path, f->d_name, table);
        n++;
    }
    closedir(d);
    ck_assert_msg(n == n_rows, "%d scripts, %d rows in `%s`", n, n_rows, table);
}

static const char *model_at(int i)
{
    return models[i].file;
}

/* The table above covers every script there is. */
START_TEST(test_shared_models_listed)
{
    assert_lists_dir(SL_SHARED_MODELS, model_at, N_MODELS, "models");
}
END_TEST

/* Model cells of Keras tutorials, pasted as they are (docs/cli.md, "Tutorials"). Each file's
 * header says what the reader needs and what Keras prints:
 *   # set: NAME=VALUE          a value the tutorial takes from its data, given with --set
 *   # total: N                 Keras's Total params of the script's model
 *   # total of NAME: N         the same for the model bound to NAME (--model NAME)
 *   # waits: LINE:COL: TEXT    the error given until a layer or argument is implemented
 * with, under each total, where the number comes from. */
#define TUTORIALS "tests/scripts/tutorials"

static const char *const tutorials[] = {
    "addition_rnn.py",
    "bidirectional_lstm_imdb.py",
    "guide_custom_training_loop.py",
    "guide_functional_api.py",
    "guide_intro_keras_engineers.py",
    "guide_masking_and_padding.py",
    "guide_sequential_model.py",
    "guide_training_built_in.py",
    "guide_working_with_rnns.py",
    "image_autoencoder.py",
    "imbalanced_classification.py",
    "imdb_lstm_sentiment.py",
    "lstm_seq2seq.py",
    "lstm_text_generation.py",
    "lstm_vs_cnn_classification.py",
    "mnist_convnet.py",
    "multivariate_lstm_forecasting.py",
    "pretrained_word_embeddings.py",
    "regression_boston_housing.py",
    "reptile.py",
    "text_classification_from_scratch.py",
    "timeseries_anomaly_detection.py",
    "timeseries_classification_from_scratch.py",
    "timeseries_temperature_lstm.py",
    "timeseries_weather_forecasting.py",
};
enum { N_TUTORIALS = sizeof tutorials / sizeof tutorials[0] };

/* "205324" as summary prints it: "205,324". */
static void with_commas(const char *digits, char *out, size_t n)
{
    size_t len = strlen(digits), u = 0;
    for (size_t i = 0; i < len && u + 2 < n; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            out[u++] = ',';
        out[u++] = digits[i];
    }
    out[u] = '\0';
}

typedef struct Header {
    char sets[512];  /* " --set 'NAME=VALUE'" for each set line */
    char waits[256]; /* "FILE:LINE:COL: error: TEXT", or "" */
    int n_total;
    char model[8][64]; /* "" for the script's own model */
    char total[8][32]; /* "205,324" */
} Header;

static void read_header(const char *path, Header *h)
{
    char line[512];
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    memset(h, 0, sizeof *h);
    while (fgets(line, sizeof line, f) && line[0] == '#') {
        line[strcspn(line, "\n")] = '\0';
        char name[64] = "", digits[32];
        size_t u = strlen(h->sets);
        if (!strncmp(line, "# set: ", 7))
            snprintf(h->sets + u, sizeof h->sets - u, " --set '%s'", line + 7);
        else if (!strncmp(line, "# waits: ", 9))
            snprintf(h->waits, sizeof h->waits, "%s:%s", path, line + 9);
        else if ((sscanf(line, "# total of %63[^:]: %31[0-9]", name, digits) == 2 ||
                  sscanf(line, "# total: %31[0-9]", digits) == 1) &&
                 h->n_total < 8) {
            snprintf(h->model[h->n_total], sizeof h->model[0], "%s", name);
            with_commas(digits, h->total[h->n_total++], sizeof h->total[0]);
        }
    }
    fclose(f);
    ck_assert_msg(h->n_total > 0, "%s: its header names no total", path);
    if (h->waits[0]) { /* "FILE:10:16: text" -> "FILE:10:16: error: text" */
        char *text = strchr(strchr(strchr(h->waits + strlen(path), ':') + 1, ':') + 1, ' ');
        ck_assert_msg(text != NULL, "%s: a waits line is LINE:COL: TEXT", path);
        char rest[256];
        snprintf(rest, sizeof rest, "%s", text + 1);
        snprintf(text, sizeof h->waits - (size_t)(text - h->waits), " error: %s", rest);
    }
}

/* Each total is the one summary prints; or, while the script waits for a layer or an argument,
 * the error says so where the header says (once that lands, the totals are checked). */
START_TEST(test_tutorial)
{
    char path[256], args[1024], want[64], *out, *err;
    snprintf(path, sizeof path, "%s/%s", TUTORIALS, tutorials[_i]);
    Header h;
    read_header(path, &h);
    for (int k = 0; k < h.n_total; k++) {
        snprintf(args, sizeof args, "summary %s%s%s%s", path, h.sets,
                 h.model[k][0] ? " --model " : "", h.model[k]);
        int rc = run(args, &out, &err);
        if (rc != 0 && h.waits[0]) {
            check(args, rc, 2, err, h.waits);
        } else {
            snprintf(want, sizeof want, "\nTotal params: %s\n", h.total[k]);
            check(args, rc, 0, out, want);
        }
        free(out), free(err);
    }
}
END_TEST

static const char *tutorial_at(int i)
{
    return tutorials[i];
}

/* The table above covers every tutorial there is, and docs/cli.md lists each. */
START_TEST(test_tutorials_listed)
{
    assert_lists_dir(TUTORIALS, tutorial_at, N_TUTORIALS, "tutorials");
    char *doc = slurp("docs/cli.md");
    for (int i = 0; i < N_TUTORIALS; i++)
        ck_assert_msg(strstr(doc, tutorials[i]), "docs/cli.md does not list %s", tutorials[i]);
    free(doc);
}
END_TEST

START_TEST(test_trace_and_init)
{
    expect("trace " REG, 0, "(None, 13) -> (None, 64)", NULL);
    expect("trace " REG " --batch 4", 0, "dense (Dense)                (4, 13) -> (4, 64)\n", NULL);
    expect("init " REG " --seed 3 -o @/w.safetensors", 0, "(961 values)", NULL);
    ck_assert_msg(exists("@/w.safetensors"), "init: no @/w.safetensors");
    expect("init " REG, 2, NULL, SE "init needs -o");
    /* a convolution stack: its receptive field, and the input steps of the last output step */
    expect("trace " SL_SHARED_MODELS "/10_causal_dilated.py --timesteps 40", 0,
           "  step 39 of conv1d_3's output is fed by 31 input steps: 9..39\n", NULL);
    expect("trace " SL_SHARED_MODELS "/10_causal_dilated.py", 0,
           "one output step spans 31 input steps; every one of them feeds it", NULL);
    /* masks step by step, of a seeded sample padded at the end */
    expect("trace " SL_SHARED_MODELS "/06_masking.py --masks", 0,
           "  masking (Masking)            mask, 5 of 8 steps real (t = 0, 1, ...): 11111000\n",
           NULL);
    expect("trace " SL_SHARED_MODELS "/06_masking.py --masks --timesteps 12", 0,
           "mask, 7 of 12 steps real (t = 0, 1, ...): 1111111000 00\n", NULL);
    expect("trace " REG " --sample 3", 2, NULL, SE "trace reads -x and --sample for --masks only");
}
END_TEST

/* The Keras 2 spelling notice is said where the model is read (summary, trace), once per script
 * (01_lstm_input_shape.py gives input_shape= to its LSTM), and not on the other commands. */
START_TEST(test_keras2_notice)
{
    static const char *const cmds[] = {"summary", "trace", "init", "gradcheck"};
    for (int i = 0; i < 4; i++) {
        char args[256], *out, *err;
        snprintf(args, sizeof args, "%s %s/01_lstm_input_shape.py%s", cmds[i], SL_SHARED_MODELS,
                 i == 2 ? " -o @/w.safetensors" : "");
        int rc = run(args, &out, &err);
        const char *at = strstr(err, "is the Keras 2 spelling");
        int n = at ? 1 + (strstr(at + 1, "is the Keras 2 spelling") != NULL) : 0;
        ck_assert_msg(rc == 0 && n == (i < 2), "%s: exit %d, the notice %d times:\n%s", args, rc, n,
                      err);
        free(out), free(err);
    }
}
END_TEST

/* The window (make test runs the suites under xvfb-run, so there is a display). */
START_TEST(test_viz_window)
{
    expect("viz " REG " --quit-after-frames 5 --screenshot @/v.png --stats", 0, "fps: ", NULL);
    ck_assert_msg(exists("@/v.png"), "viz --screenshot: no @/v.png");
    expect("viz " REG " --scene nosuch --quit-after-frames 5", 2, NULL, SE "no scene named");
    /* train --viz: the curves live in a window, closed when fit ends; then the plot as a PNG */
    expect("train " REG TR_XY " --epochs 3 --viz --plot @/P.png -o @/W2.safetensors", 0,
           "Epoch 3/3", NULL);
    ck_assert_msg(exists("@/P.png") && exists("@/W2.safetensors"), "train --viz --plot: no files");
    /* --screenshot alone: the last frame, saved when the window closes (SDL turns SIGINT into
     * a quit event, as closing the window does) */
    char a[512], cmd[1024];
    snprintf(cmd, sizeof cmd, "timeout -s INT 2 %s %s >/dev/null 2>&1", BIN,
             expand("viz " REG " --screenshot @/q.png", a, sizeof a));
    ck_assert_int_ne(system(cmd), -1);
    ck_assert_msg(exists("@/q.png"), "viz --screenshot without --quit-after-frames: no @/q.png");
}
END_TEST

/* png draws without a display: one picture, every frame, the list of scenes, bad names. */
START_TEST(test_png)
{
    expect("png " REG " -o @/a.png", 0, NULL, NULL);
    /* the gradcheck scene runs in the double build, like gradcheck itself */
    expect("png " REG " --scene gradcheck -o @/g.png", 0, NULL, NULL);
    ck_assert_msg(exists("@/g.png"), "png --scene gradcheck: no @/g.png");
    ck_assert_msg(exists("@/a.png"), "png: no @/a.png");
    expect("png " REG " --scene dense --frames @/frames", 0, "wrote 1 frame of scene 'dense'",
           NULL);
    ck_assert_msg(exists("@/frames/frame_000.png"), "png --frames: no frame_000.png");
    expect("png --list-scenes", 0, "shapes ", NULL);
    expect("png " REG " --scene nosuch -o @/b.png", 2, NULL, SE "no scene named 'nosuch'");
    ck_assert_msg(!exists("@/b.png"), "png: a picture for an unknown scene");
    expect("png " REG, 2, NULL, SE "png needs -o OUT.png");
}
END_TEST

/* The width and height a PNG file's header gives. */
static void png_size(const char *tpl, int *w, int *h)
{
    char p[512];
    unsigned char head[24];
    FILE *f = fopen(expand(tpl, p, sizeof p), "rb");
    ck_assert_msg(f && fread(head, 1, 24, f) == 24, "%s: no PNG header", p);
    fclose(f);
    ck_assert(!memcmp(head, "\x89PNG", 4) && !memcmp(head + 12, "IHDR", 4));
    *w = head[16] << 24 | head[17] << 16 | head[18] << 8 | head[19];
    *h = head[20] << 24 | head[21] << 16 | head[22] << 8 | head[23];
}

/* The options every scene takes: the learner's data and sample, the scale, values in cells, an
 * animated PNG, the frames between steps. */
START_TEST(test_png_options)
{
    int w, h;
    expect("png " REG " --scene dense -x " REG_X " --sample 2 -o @/x.png", 0, NULL, NULL);
    ck_assert(exists("@/x.png"));
    expect("png " REG " --scene dense -x " REG_X " --sample 100000 -o @/y.png", 2, NULL,
           "is past its end");
    expect("png " REG " --sample 1 -o @/y.png", 2, NULL, SE "--sample picks a sample of the data");
    expect("png " REG " -x " FX "multi_x.npy -o @/y.png", 2, NULL, "axis 1 must be");
    ck_assert(!exists("@/y.png"));
    expect("png " REG " --scale 2 --values --scene dense -o @/s2.png", 0, NULL, NULL);
    png_size("@/s2.png", &w, &h);
    ck_assert(w == 2560 && h == 1440);
    expect("png " REG " --scale 5 -o @/s5.png", 2, NULL,
           SE "--scale wants a whole number from 1 to 4");
    expect("png " REG " --scale 1.5 -o @/s5.png", 2, NULL, SE "--scale wants a whole number");
    expect("png " REG " --animate -o @/anim.png", 0, NULL, NULL);
    png_size("@/anim.png", &w, &h);
    ck_assert(w == 1280 && h == 720);
    expect("png " REG " --scene shapes --animate --frames @/anim", 0,
           "(every frame of the animation)", NULL);
    ck_assert(exists("@/anim/frame_000.png") && exists("@/anim/frame_005.png"));
    /* the receptive field of a None length follows --timesteps */
    expect("png " SL_SHARED_MODELS "/10_causal_dilated.py --timesteps 20 --frames @/rf", 0,
           "wrote 20 frames", NULL);
}
END_TEST

START_TEST(test_gradcheck)
{
    /* in the float build this also tests the hand-over to build/f64/shapelab */
    char *out, *err;
    int rc = run("gradcheck " REG, &out, &err);
    check("gradcheck", rc, 0, out, "in double");
    check("gradcheck", rc, 0, out, "\ndense/kernel ");
    check("gradcheck", rc, 0, out, "\nmax error ");
    check("gradcheck", rc, 0, out, "): ok\n");
    free(out), free(err);
}
END_TEST

/* --dy: a Conv1D of kernel 3 on x = 1..6, dy = (0, 1, 0, 0). By hand: dx[j] = sum_t dy[t] k[j-t]
 * = k shifted by one (0, k0, k1, k2, 0, 0); dk[i] = sum_t dy[t] x[t+i] = (x1, x2, x3) = (2, 3, 4);
 * dbias = sum dy = 1. The kernel is the one init wrote, read back here. */
START_TEST(test_gradcheck_dy)
{
    char p[512], want[512], *out, *err;
    SlError e;
    SlSafetensors st;
    sl_real k[3], x[6] = {1, 2, 3, 4, 5, 6}, dy[4] = {0, 1, 0, 0};
    SlShape ks;
    expect("init " SL_SHARED_MODELS "/13_conv_backprop.py -o @/w.safetensors", 0, NULL, NULL);
    ck_assert_msg(sl_st_read(&st, expand("@/w.safetensors", p, sizeof p), &e) == 0, "%s", e.msg);
    ck_assert_msg(sl_st_get(&st, "conv1d/kernel", k, 3, &ks, &e) == 0, "%s", e.msg);
    sl_st_free(&st);
    SlTensor xt = sl_tensor(sl_shape_of(3, (int[]){1, 6, 1}), x);
    SlTensor dt = sl_tensor(sl_shape_of(3, (int[]){1, 4, 1}), dy);
    ck_assert(sl_npy_write(expand("@/x.npy", p, sizeof p), &xt, &e) == 0);
    ck_assert(sl_npy_write(expand("@/dy.npy", p, sizeof p), &dt, &e) == 0);
    int rc = run("gradcheck " SL_SHARED_MODELS "/13_conv_backprop.py -x @/x.npy --dy @/dy.npy "
                 "-w @/w.safetensors",
                 &out, &err);
    snprintf(want, sizeof want,
             "input 'conv1d_input' (1, 6, 1):\n[[[%10.6g]\n  [%10.6g]\n  [%10.6g]\n  [%10.6g]\n"
             "  [%10.6g]\n  [%10.6g]]]\n",
             0.0, (double)k[0], (double)k[1], (double)k[2], 0.0, 0.0);
    check("gradcheck --dy", rc, 0, out, want);
    check("gradcheck --dy", rc, 0, out,
          "conv1d/kernel (3, 1, 1):\n[[[         2]]\n [[         3]]\n [[         4]]]\n");
    check("gradcheck --dy", rc, 0, out, "conv1d/bias (1,):\n[         1]\n");
    free(out), free(err);
    expect("gradcheck " SL_SHARED_MODELS "/13_conv_backprop.py -x @/x.npy --dy @/x.npy", 2, NULL,
           "@/x.npy has shape (1, 6, 1), but the output for @/x.npy has shape (1, 4, 1)");
    expect("gradcheck " SL_SHARED_MODELS "/13_conv_backprop.py --dy @/dy.npy", 2, NULL,
           "--dy needs -x X.npy");
}
END_TEST

/* ---- predict, train ---- */

/* Compare a written tensor with the fixture's. rtol as the build's (TU_RTOL): the expected values
 * are PyTorch's float64 forward from the same float32 weights and inputs the binary reads, so the
 * double build reproduces them to ~1e-16, and the float build to float32 rounding. */
static void assert_matches(const char *what, SlShape got, const sl_real *data, const char *expected)
{
    SlNpy want;
    SlError e;
    char a[64], b[64];
    ck_assert_msg(sl_npy_read(&want, expected, &e) == 0, "%s", e.msg);
    ck_assert_msg(sl_shape_equal(&got, &want.shape), "%s: shape %s, expected %s", what,
                  sl_shape_str(&got, a, sizeof a), sl_shape_str(&want.shape, b, sizeof b));
    tu_assert_close(what, data, want.data, sl_shape_count(&want.shape));
    sl_npy_free(&want);
}

static void assert_npy_matches(const char *tpl, const char *expected)
{
    char p[512];
    SlNpy got;
    SlError e;
    ck_assert_msg(sl_npy_read(&got, expand(tpl, p, sizeof p), &e) == 0, "%s", e.msg);
    assert_matches(p, got.shape, got.data, expected);
    sl_npy_free(&got);
}

#define MULTI_P "predict " MULTI " -w " FX "multi_weights.safetensors -x " FX "multi_x.npy"

START_TEST(test_predict)
{
    char p[512];
    SlSafetensors st;
    SlError e;
    sl_real y[4 * 16 * 7];
    SlShape s;
    /* each output named, with its shape and where it went */
    expect("predict " REG " -w " REG_W " -x " REG_X " -o @/y.npy", 0,
           "output 'dense_1' (10, 1) -> @/y.npy\n", NULL);
    expect("predict --help", 0, "-o OUT.npy", NULL);
    assert_npy_matches("@/y.npy", FX "regression_expected.npy");
    expect(MULTI_P " -o @/m.npy", 0, NULL, NULL);
    assert_npy_matches("@/m.npy", FX "multi_expected.npy");
    expect(MULTI_P " -o @/m.safetensors", 0, " -> @/m.safetensors as output_0\n", NULL);
    ck_assert_msg(sl_st_read(&st, expand("@/m.safetensors", p, sizeof p), &e) == 0, "%s", e.msg);
    ck_assert_msg(st.n == 1 && sl_st_find(&st, "output_0"), "%s: want one tensor, output_0", p);
    ck_assert_msg(sl_st_get(&st, "output_0", y, 4 * 16 * 7, &s, &e) == 0, "%s", e.msg);
    assert_matches("output_0", s, y, FX "multi_expected.npy");
    sl_st_free(&st);
    /* without -w: the initial weights of seed 0 */
    expect("predict " REG " -x " REG_X " -o @/y0.npy", 0, NULL, NULL);
    ck_assert_msg(exists("@/y0.npy"), "predict without -w wrote no @/y0.npy");
}
END_TEST

/* --explain: the LSTM formula with its numbers, and what Keras 2.2's defaults would change. */
START_TEST(test_explain_recurrent)
{
    expect("summary --explain " SL_SHARED_MODELS "/02_units.py", 0,
           "lstm (LSTM)                    4*(4*(3+4) + 4) = 128\n", NULL);
    expect("summary --explain " SL_SHARED_MODELS "/02_units.py", 0,
           "Keras 2.2 defaults: recurrent_activation='hard_sigmoid' (same count)", NULL);
}
END_TEST

/* initial_state=[h, c] in a layer call: the states become inputs of the decoder LSTM, its
 * gradient reaches the encoder, and the check passes in double. */
START_TEST(test_initial_state)
{
    expect("summary tests/scripts/models/encoder_decoder_states.py", 0, "Total params: 827\n",
           NULL);
    expect("summary tests/scripts/models/encoder_decoder_states.py", 0,
           "                                                                 lstm[0][2]", NULL);
    expect("gradcheck tests/scripts/models/encoder_decoder_states.py", 0,
           "lstm/lstm_cell/recurrent_kernel", NULL);
}
END_TEST

/* Models full of kinks (relu on zero padding, max pooling over an image) pass the check: zero
 * biases get values, and where a nudge crosses kinks the slope is measured with a finer step. */
START_TEST(test_gradcheck_kinks)
{
    expect("gradcheck " SL_SHARED_MODELS "/10_causal_dilated.py", 0, "drawn from U(-0.1, 0.1)",
           NULL);
    /* a small Conv2D + max pool model: without the finer step it failed (7 of 40 kernel slopes
     * skipped, an input slope 3e-4 off); 12_conv2d_channels.py passes too, but takes a minute
     * under the sanitizers */
    expect("gradcheck tests/scripts/models/maxpool_kinks.py", 0, "): ok\n", NULL);
    expect("gradcheck tests/scripts/models/decoder_upsampling.py", 0, "): ok\n", NULL);
    expect("gradcheck tests/scripts/models/unused_input.py", 0, "): ok\n", NULL);
    expect("summary tests/scripts/models/unused_input.py", 0, "\ninput_2 (InputLayer) ", NULL);
    /* BatchNormalization's moving statistics are not trained: they get no row */
    const char *bn_models[] = {"tests/scripts/models/unet.py", "tests/scripts/models/resnet_bn.py"};
    for (int k = 0; k < 2; k++) {
        char args[128], *out, *err;
        snprintf(args, sizeof args, "gradcheck %s", bn_models[k]);
        int rc = run(args, &out, &err);
        check(args, rc, 0, out, "): ok\n");
        ck_assert_msg(strstr(out, "batch_normalization/gamma") && !strstr(out, "moving_"), "%s",
                      out);
        free(out), free(err);
    }
}
END_TEST

/* Without --scene, png draws the scene that fits the model best, and that scene can draw it: the
 * causal CNN has window layers, but its Permute ends the steps axis before them, so the
 * receptive-field scene does not claim it. */
START_TEST(test_png_best_scene_draws)
{
    char *out, *err;
    int rc = run("png " SL_SHARED_MODELS "/11_causal_cnn_fixed.py -o @/c.png", &out, &err);
    ck_assert_msg(rc == 0 && !strstr(err, "error"), "exit %d:\n%s", rc, err);
    ck_assert(exists("@/c.png"));
    free(out), free(err);
}
END_TEST

/* One recurrent model, one set of weights, sequences of 10 and of 37 steps (item 5), each
 * against PyTorch. */
START_TEST(test_predict_any_length)
{
    const char *var =
        SL_SHARED_MODELS "/05_variable_length.py -w " FX "variable_weights.safetensors";
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "predict %s -x " FX "variable_x10.npy -o @/v10.npy", var);
    expect(cmd, 0, NULL, NULL);
    assert_npy_matches("@/v10.npy", FX "variable_expected10.npy");
    snprintf(cmd, sizeof cmd, "predict %s -x " FX "variable_x37.npy -o @/v37.npy", var);
    expect(cmd, 0, NULL, NULL);
    assert_npy_matches("@/v37.npy", FX "variable_expected37.npy");
    /* 2-D data into the LSTM: the error names the file, the shapes and the fix */
    snprintf(cmd, sizeof cmd, "predict %s -x " FX "regression_x.npy -o @/bad.npy", var);
    expect(cmd, 2, NULL, "expects (None, None, 5), got (10, 13)");
}
END_TEST

/* A stateful model takes batches of exactly its batch size: 40 rows for batches of 32 leave a
 * partial last one, which is said as such; shuffled rows draw a warning. */
START_TEST(test_train_stateful)
{
    static const char script[] =
        "model = Sequential()\n"
        "model.add(LSTM(4, batch_input_shape=(32, 10, 2), stateful=True))\n"
        "model.add(Dense(1))\n"
        "model.compile(loss='mse', optimizer='adam')\n";
    write_bytes("@/st.py", script, sizeof script - 1);
    write_npy("@/x40.npy", sl_shape_of(3, (int[]){40, 10, 2}), 0);
    write_npy("@/y40.npy", sl_shape_of(2, (int[]){40, 1}), 0);
    write_npy("@/x64.npy", sl_shape_of(3, (int[]){64, 10, 2}), 0);
    write_npy("@/y64.npy", sl_shape_of(2, (int[]){64, 1}), 0);
    expect("train @/st.py -x @/x40.npy -y @/y40.npy -o @/w.safetensors", 2, NULL,
           SE "model 'sequential' takes batches of exactly 32 rows, and @/x40.npy has 40: the last "
              "batch would be partial (8 rows). Give a number of rows that is a multiple of 32");
    expect("predict @/st.py -x @/x40.npy -o @/p.npy", 2, NULL, "the last batch would be partial");
    expect("train @/st.py -x @/x64.npy -y @/y64.npy --batch-size 16 -o @/w.safetensors", 2, NULL,
           "is built for batches of exactly 32 rows");
    expect("train @/st.py -x @/x64.npy -y @/y64.npy -o @/w.safetensors", 0, "2/2",
           "warning: layer 'lstm' is stateful, and train shuffles the rows");
    char *out, *err;
    int rc =
        run("train @/st.py -x @/x64.npy -y @/y64.npy --no-shuffle -o @/w.safetensors", &out, &err);
    ck_assert_msg(rc == 0 && !strstr(err, "warning"), "--no-shuffle: exit %d:\n%s", rc, err);
    free(out), free(err);
    expect("predict @/st.py -x @/x64.npy -o @/p.npy", 0, "output 'dense' (64, 1) -> ", NULL);
}
END_TEST

/* An int32 Input before an Embedding: codes given as floats that hold whole numbers are read;
 * a code that is not whole is named with its sample and position. */
START_TEST(test_predict_codes)
{
    static const char script[] = "inputs = keras.Input(shape=(None,), dtype='int32')\n"
                                 "x = layers.Embedding(10, 4)(inputs)\n"
                                 "outputs = layers.GlobalAveragePooling1D()(x)\n"
                                 "model = keras.Model(inputs, outputs)\n";
    char p[512];
    SlError e;
    sl_real codes[6] = {1, 2, 3, 4, 5, 6};
    SlTensor c = sl_tensor(sl_shape_of(2, (int[]){2, 3}), codes);
    write_bytes("@/emb.py", script, sizeof script - 1);
    ck_assert(sl_npy_write(expand("@/c.npy", p, sizeof p), &c, &e) == 0);
    expect("predict @/emb.py -x @/c.npy -o @/p.npy", 0,
           "output 'global_average_pooling1d' (2, 4) -> ", NULL);
    codes[4] = (sl_real)5.5;
    ck_assert(sl_npy_write(expand("@/c.npy", p, sizeof p), &c, &e) == 0);
    expect("predict @/emb.py -x @/c.npy -o @/p.npy", 2, NULL, "5.5 at sample 1, position 1");
}
END_TEST

/* Targets with a time axis the output lacks: the fix is return_sequences=True. */
START_TEST(test_train_time_axis)
{
    static const char script[] = "model = Sequential()\n"
                                 "model.add(LSTM(4, input_shape=(10, 2)))\n"
                                 "model.add(Dense(1))\n"
                                 "model.compile(loss='mse', optimizer='adam')\n";
    write_bytes("@/seq.py", script, sizeof script - 1);
    write_npy("@/x.npy", sl_shape_of(3, (int[]){50, 10, 2}), 0);
    write_npy("@/y.npy", sl_shape_of(3, (int[]){50, 10, 1}), 0);
    expect("train @/seq.py -x @/x.npy -y @/y.npy -o @/w.safetensors", 2, NULL,
           "the output has shape (50, 1) and the targets (50, 10, 1). The targets have a time "
           "axis the output lacks: give the last recurrent layer return_sequences=True");
}
END_TEST

START_TEST(test_train)
{
    char *out, *err, p[512];
    int rc = run("train " REG TR_XY " --epochs 2 --batch-size 16 --history @/H.csv "
                 "-o @/W.safetensors",
                 &out, &err);
    check("train", rc, 0, out, "Epoch 1/2");
    check("train", rc, 0, out, "Epoch 2/2");
    check("train", rc, 0, out, "loss:");
    free(out), free(err);
    char *h = slurp(expand("@/H.csv", p, sizeof p));
    int lines = 0;
    for (const char *c = h; *c; c++)
        lines += *c == '\n';
    ck_assert_msg(!strncmp(h, "epoch,loss,mae\n", 15) && lines == 3,
                  "H.csv: want a header epoch,loss,mae and 2 rows:\n%s", h);
    ck_assert_msg(!strncmp(strchr(h, '\n') + 1, "1,", 2), "H.csv: the first row is epoch 1:\n%s",
                  h);
    free(h);
    /* the weights load into the script's model, and they are not seed 0's initial ones */
    SlError e;
    SlScriptOptions so = {0};
    SlScript *s = sl_script_run(REG, &so, &e);
    ck_assert_msg(s != NULL, "%s", e.msg);
    SlModel *m = sl_script_model(s, &e);
    ck_assert_msg(m && sl_model_init_params(m, 0, &e) == 0, "%s", e.msg);
    sl_real b0 = m->params[1]->value.data[0];
    ck_assert_msg(sl_model_load_weights(m, expand("@/W.safetensors", p, sizeof p), &e) == 0, "%s",
                  e.msg);
    ck_assert_msg(m->params[1]->value.data[0] != b0, "dense/bias did not move in training");
    sl_script_free(s);
}
END_TEST

/* ---- training that stops ---- */

/* The NaN guard on labels far too large (3e38, near float32's largest; 1e300 in the double
 * build): exit 1, the error names the step and the cause, and -o holds the weights from before
 * that step: the first, so seed 0's initial weights, as `init` writes them. */
START_TEST(test_train_nan_guard)
{
    char cmd[512], p[512];
    SlError e;
    sl_real *d = calloc(64, sizeof *d);
    for (int i = 0; i < 64; i++)
        d[i] = (sl_real)(sizeof(sl_real) == 4 ? 3e38 : 1e300);
    SlTensor t = sl_tensor(sl_shape_of(2, (int[]){64, 1}), d);
    ck_assert_msg(sl_npy_write(expand("@/huge.npy", p, sizeof p), &t, &e) == 0, "%s", e.msg);
    free(d);
    snprintf(cmd, sizeof cmd,
             "train " REG " -x " FX "regression_train_x.npy -y @/huge.npy "
             "--epochs 3 --history @/H.csv -o @/W.safetensors");
    expect(cmd, 1, "Epoch 1/3", SE "fit: NaN or Inf at epoch 1, batch 1 of 2: ");
    expect(cmd, 1, NULL, "Likely cause: unscaled targets");
    expect(cmd, 1, NULL, "@/W.safetensors holds the weights from before that step");
    expect("init " REG " -o @/W0.safetensors", 0, NULL, NULL);
    ck_assert_msg(same_bytes("@/W.safetensors", "@/W0.safetensors"),
                  "-o does not hold the initial weights");
    char *h = slurp(expand("@/H.csv", p, sizeof p));
    ck_assert_msg(!strcmp(h, "epoch\n"), "H.csv: no epoch finished, want only the header:\n%s", h);
    free(h);
    strcat(cmd, " --no-nan-guard");
    expect(cmd, 0, "Epoch 3/3", NULL);
}
END_TEST

/* The time of `epoch` in the checkpoint at path (-1 while there is none), polled. */
static int checkpoint_epoch(const char *path)
{
    SlSafetensors st;
    SlError e;
    if (access(path, F_OK) != 0 || sl_st_read(&st, path, &e) < 0)
        return -1;
    const char *v = sl_st_meta(&st, "epoch");
    int ep = v ? atoi(v) : -1;
    sl_st_free(&st);
    return ep;
}

static void pause_for(double s)
{
    struct timespec ts = {(time_t)s, (long)(1e9 * (s - (double)(time_t)s))};
    nanosleep(&ts, NULL);
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Start `BIN args` in the background, its output in @/_bg_out and @/_bg_err; its pid. */
static pid_t start(const char *args)
{
    char a[2048], cmd[4096];
    snprintf(cmd, sizeof cmd, "exec %s %s >'%s/_bg_out' 2>'%s/_bg_err' </dev/null", BIN,
             expand(args, a, sizeof a), dir, dir);
    pid_t pid = fork();
    ck_assert_msg(pid >= 0, "fork failed");
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* A run killed with SIGKILL in the middle of an epoch, then resumed, ends with weights
 * bit-identical to a run never stopped: the same binary (the same kernels, one thread). Item 5's
 * model, shuffled, with Adam: the weights, the optimizer's state and count, and the shuffling
 * generator must all come back. The kill aims a quarter into epoch 3 (an epoch takes tens of
 * milliseconds); a loaded machine may land it later, so the test reads which epoch the checkpoint
 * holds and expects the resumed run to start from the one after it. */
START_TEST(test_train_killed_and_resumed)
{
    char ck[512], from[32];
    write_random_npy("@/x.npy", sl_shape_of(3, (int[]){2048, 20, 5}), 0, 1);
    write_random_npy("@/y.npy", sl_shape_of(3, (int[]){2048, 20, 2}), 1, 2);
#define KR_TRAIN                                                                                   \
    "train " SL_SHARED_MODELS "/05_variable_length.py -x @/x.npy -y @/y.npy "                      \
    "--epochs 8 --seed 3"
    expect(KR_TRAIN " -o @/W_full.safetensors", 0, "Epoch 8/8", NULL);
    pid_t pid = start(KR_TRAIN " --checkpoint @/ck -o @/W.safetensors");
    expand("@/ck/checkpoint.safetensors", ck, sizeof ck);
    double t[3] = {0, 0, 0}, t0 = seconds();
    int ep = -1, status;
    while (ep < 2 && seconds() - t0 < 120 && waitpid(pid, &status, WNOHANG) == 0) {
        int now = checkpoint_epoch(ck);
        if (now > ep && now <= 2)
            t[now] = seconds();
        ep = now > ep ? now : ep;
        pause_for(0.002);
    }
    ck_assert_msg(ep == 2, "the checkpoint of epoch 2 never appeared (epoch %d)", ep);
    pause_for((t[2] - t[1]) / 4); /* a quarter into epoch 3 */
    ck_assert(kill(pid, SIGKILL) == 0);
    ck_assert(waitpid(pid, &status, 0) == pid);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the run was not killed");
    int kept = checkpoint_epoch(ck);
    ck_assert_msg(kept >= 2 && kept < 8, "the checkpoint holds epoch %d, want 2 to 7", kept);
    ck_assert_msg(!exists("@/W.safetensors"), "a killed run wrote its weights");
    snprintf(from, sizeof from, "Epoch %d/8", kept + 1);
    expect(KR_TRAIN " --resume @/ck -o @/W.safetensors", 0, from, NULL);
    ck_assert_msg(same_bytes("@/W.safetensors", "@/W_full.safetensors"),
                  "the resumed run's weights differ from the uninterrupted run's");
    ck_assert_int_eq(checkpoint_epoch(ck), 8);
#undef KR_TRAIN
}
END_TEST

/* A full disk (a tmpfs with room for one checkpoint, mounted in a namespace of its own) fails the
 * next checkpoint with an error, and the one before stays whole, with no temporary file left. */
START_TEST(test_train_checkpoint_disk_full)
{
    char p[512], cmd[4096], a[2048];
    struct stat st;
    const char *train = BIN " train " REG TR_XY " --epochs 3 --batch-size 16";
    snprintf(cmd, sizeof cmd, "%s --checkpoint @/ck -o @/W1.safetensors >/dev/null 2>&1", train);
    ck_assert(system(expand(cmd, a, sizeof a)) == 0);
    ck_assert(stat(expand("@/ck/checkpoint.safetensors", p, sizeof p), &st) == 0);
    long pages = (st.st_size + 4095) / 4096; /* room for one, not for the next beside it */
    mkdir(expand("@/small", p, sizeof p), 0777);
    snprintf(cmd, sizeof cmd,
             "unshare -rm sh -c 'mount -t tmpfs -o size=%ldk tmpfs @/small || exit 99; "
             "%s --checkpoint @/small -o @/W.safetensors >/dev/null 2>@/err; echo $? >@/rc; "
             "cp @/small/checkpoint.safetensors @/kept.safetensors; ls -a @/small >@/listing'",
             4 * (pages + (pages + 1) / 2), train);
    int rc = system(expand(cmd, a, sizeof a));
    ck_assert_msg(rc == 0, "could not mount a small tmpfs (unshare -rm, mount -t tmpfs): %d", rc);
    char *err = slurp(expand("@/err", p, sizeof p)), *code = slurp(expand("@/rc", p, sizeof p));
    char *listing = slurp(expand("@/listing", p, sizeof p));
    ck_assert_msg(!strcmp(code, "2\n"), "exit %s, want 2:\n%s", code, err);
    ck_assert_msg(strstr(err, "the checkpoint after epoch 2 failed") &&
                      strstr(err, "No space left on device"),
                  "%s", err);
    ck_assert_msg(checkpoint_epoch(expand("@/kept.safetensors", p, sizeof p)) == 1,
                  "the checkpoint of epoch 1 is not whole");
    ck_assert_msg(!strcmp(listing, ".\n..\ncheckpoint.safetensors\n"), "left behind:\n%s", listing);
    ck_assert_msg(!exists("@/W.safetensors"), "a failed run wrote its weights");
    free(err), free(code), free(listing);
}
END_TEST

/* A .npy of 256 MiB (sparse: no disk used) of the wrong shape is refused from its header: the
 * largest child process stays far below the 256 MiB a read would take. */
START_TEST(test_npy_header_checked_first)
{
    char p[512], h[128];
    const long long rows = 64LL << 20, bytes = rows * 4; /* (67108864, 1) float32 */
    int n = snprintf(h, sizeof h, "{'descr': '<f4', 'fortran_order': False, 'shape': (%lld, 1), }",
                     rows);
    while ((10 + n + 1) % 64)
        h[n++] = ' ';
    h[n++] = '\n';
    const char *names[] = {"@/big_x.npy", "@/big_y.npy"};
    for (int k = 0; k < 2; k++) {
        int fd = open(expand(names[k], p, sizeof p), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)n, 0};
        ck_assert(fd >= 0 && write(fd, pre, 10) == 10 && write(fd, h, (size_t)n) == n);
        ck_assert(ftruncate(fd, 10 + n + bytes) == 0 && close(fd) == 0);
    }
    expect("predict " REG " -w " REG_W " -x @/big_x.npy -o @/out.npy", 2, NULL,
           "expects (None, 13), got (67108864, 1)");
    expect("train " REG " -x " FX "regression_train_x.npy -y @/big_y.npy -o @/W.safetensors", 2,
           NULL, "@/big_y.npy has 67108864 samples");
    struct rusage ru;
    ck_assert(getrusage(RUSAGE_CHILDREN, &ru) == 0);
    ck_assert_msg(ru.ru_maxrss < 128 * 1024, "a child used %ld KiB: the file was read",
                  ru.ru_maxrss);
}
END_TEST

/* ---- bad input ---- */

enum { NONE, TRUNCATED, X_10_12, X_8, X_NAN, X_INF, X_NAN_64, Y_5, W_SHAPE, W_RANDOM, SYNTAX };

/* The .npy files of bad data: zeros of a shape, poisoned at one place. */
static const struct {
    int rank, dim[2];
    double poison;
} bad_npy[] = {
    [X_10_12] = {2, {10, 12}, 0},    [X_8] = {1, {8}, 0},
    [X_NAN] = {2, {10, 13}, NAN},    [X_INF] = {2, {10, 13}, INFINITY},
    [X_NAN_64] = {2, {64, 13}, NAN}, [Y_5] = {2, {5, 1}, 0},
};

/* Write the bad file `kind` into the temporary directory: @/bad.npy, @/bad.safetensors or @/bad.py */
static void make_bad(int kind)
{
    static sl_real zeros[13 * 64];
    const char *names[] = {"dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"};
    SlTensor w[] = {sl_tensor(sl_shape_of(2, (int[]){12, 64}), zeros), /* (13, 64) is right */
                    sl_tensor(sl_shape_of(1, (int[]){64}), zeros),
                    sl_tensor(sl_shape_of(2, (int[]){64, 1}), zeros),
                    sl_tensor(sl_shape_of(1, (int[]){1}), zeros)};
    unsigned char noise[300];
    unsigned r = 12345;
    char p[512], *good;
    SlError e;
    if (kind == TRUNCATED) { /* the first 60 bytes of a good file */
        good = slurp(REG_X);
        write_bytes("@/bad.npy", good, 60);
        free(good);
    } else if (kind == W_SHAPE) {
        expand("@/bad.safetensors", p, sizeof p);
        ck_assert_msg(sl_st_write(p, 4, names, w, 0, NULL, NULL, &e) == 0, "%s", e.msg);
    } else if (kind == W_RANDOM) {
        for (size_t i = 0; i < sizeof noise; i++)
            noise[i] = (unsigned char)((r = r * 1103515245u + 12345u) >> 16);
        write_bytes("@/bad.safetensors", noise, sizeof noise);
    } else if (kind == SYNTAX) {
        write_bytes("@/bad.py", "model = Sequential(\n", 20);
    } else if (kind != NONE) {
        write_npy("@/bad.npy", sl_shape_of(bad_npy[kind].rank, bad_npy[kind].dim),
                  bad_npy[kind].poison);
    }
}

#define PRED  "predict " REG " -w " REG_W
#define TRAIN "train " REG " -o @/out.safetensors"
#define BAD_X " -x @/bad.npy -o @/out.npy"
#define BAD_W " -w @/bad.safetensors -x " REG_X " -o @/out.npy"
static const struct {
    int kind;
    const char *args;    /* '@' is the temporary directory; outputs are named @/out... */
    const char *want[3]; /* on stderr */
} bad[] = {
    {NONE, PRED " -x @/none.npy -o @/out.npy", {SE "@/none.npy"}},
    {TRUNCATED, PRED BAD_X, {SE "@/bad.npy"}},
    {X_10_12, PRED BAD_X, {SE, "expects (None, 13), got (10, 12)"}},
    {X_8, PRED BAD_X, {SE, "expects (None, 13), got (8,)"}},
    {X_NAN, PRED BAD_X, {SE, "NaN"}},
    {X_INF, PRED BAD_X, {SE, "Inf"}},
    {X_NAN_64, TRAIN " -x @/bad.npy -y " FX "regression_train_y.npy", {SE, "NaN"}},
    {Y_5, TRAIN " -x " FX "regression_train_x.npy -y @/bad.npy", {SE, "64 samples", "(5, 1)"}},
    {W_SHAPE, "predict " REG BAD_W, {SE "@/bad.safetensors", "'dense/kernel'", "(12, 64)"}},
    {W_RANDOM, "predict " REG BAD_W, {SE "@/bad.safetensors"}},
    {NONE, PRED " -x " REG_X " -o @/nodir/out.npy", {SE "@/nodir/out.npy"}},
    {NONE, "init " REG " -o @/nodir/out.safetensors", {SE "@/nodir/out.safetensors"}},
    {NONE, "predict @/none.py -x " REG_X " -o @/out.npy", {SE "@/none.py"}},
    {SYNTAX,
     "predict @/bad.py -x " REG_X " -o @/out.npy",
     {"@/bad.py:1:19: error: '(' was never closed", "^"}},
};

/* Exit 2 with the message, and no output file (nor a temporary one) left in the directory. */
START_TEST(test_bad_input)
{
    char *out, *err;
    make_bad(bad[_i].kind);
    int rc = run(bad[_i].args, &out, &err);
    for (int k = 0; k < 3 && bad[_i].want[k]; k++)
        check(bad[_i].args, rc, 2, err, bad[_i].want[k]);
    DIR *d = opendir(dir);
    for (struct dirent *f; d && (f = readdir(d)) != NULL;)
        ck_assert_msg(strncmp(f->d_name, "out", 3) && !strstr(f->d_name, ".tmp"),
                      "%s: left %s/%s behind", bad[_i].args, dir, f->d_name);
    if (d)
        closedir(d);
    free(out), free(err);
}
END_TEST

/* ---- hostile input: what an attacker, or an unlucky learner, feeds the program ---- */

/* A Sequential of these layers on an input of 3 features, as a script. */
#define SEQ(layers) "from keras.layers import *\nfrom keras.models import Sequential\n" layers
#define KEEP        "printf precious > @/victim && cp @/victim @/victim.orig"

static const struct {
    const char *script; /* written to @/m.py first (NULL: none) */
    const char *setup;  /* then this shell command ('@': the temporary directory) */
    const char *args;
    int rc;
    const char *err;    /* on stderr (NULL: anything) */
    const char *intact; /* this file must still equal FILE.orig afterwards (NULL: none) */
} hostile[] = {
    /* outputs that could damage other files */
    {NULL, KEEP " && ln -s @/victim @/out.npy.tmp", PRED " -x " REG_X " -o @/out.npy", 0, NULL,
     "@/victim"},
    {NULL, "cp " REG " @/m.py && cp @/m.py @/m.py.orig", "train @/m.py" TR_XY " -o @/m.py", 2,
     SE "-o @/m.py is the same file as MODEL.py @/m.py", "@/m.py"},
    {NULL, "cp " REG_X " @/x.npy && cp @/x.npy @/x.npy.orig", PRED " -x @/x.npy -o @/x.npy", 2,
     SE "-o @/x.npy is the same file as -x @/x.npy", "@/x.npy"},
    {NULL, "cp " REG_X " @/x.npy && cp @/x.npy @/x.npy.orig && ln @/x.npy @/hard.npy",
     PRED " -x @/x.npy -o @/hard.npy", 2, "is the same file as -x @/x.npy", "@/x.npy"},
    {NULL, "printf old > @/W.safetensors && cp @/W.safetensors @/W.safetensors.orig",
     "train " REG TR_XY " -o @/W.safetensors --history @/nodir/H.csv", 2,
     SE "@/nodir/H.csv: cannot write there", "@/W.safetensors"},
    {NULL, NULL, PRED " -x " REG_X " -o @", 2, "it is a directory", NULL},
    {NULL, NULL, "train " REG TR_XY " -o @/W.safetensors --plot @/W.safetensors", 2,
     "are the same file", NULL},
    /* files that are not files */
    {NULL, "mkfifo @/fifo", "summary @/fifo", 2, SE "@/fifo: not a regular file (a FIFO)", NULL},
    {NULL, "mkfifo @/fifo", PRED " -x @/fifo -o @/out.npy", 2, "not a regular file (a FIFO)", NULL},
    {NULL, "mkfifo @/fifo", "predict " REG " -w @/fifo -x " REG_X " -o @/out.npy", 2,
     "not a regular file (a FIFO)", NULL},
    {NULL, NULL, "predict " REG " -w @ -x " REG_X " -o @/out.npy", 2,
     "not a regular file (a directory)", NULL},
    /* scripts that broke the reader, end to end */
    {SEQ("sizes = [8]\nsizes += [16]\nmodel = Sequential([Dense(sizes[1], input_shape=(3,))])\n"),
     NULL, "summary @/m.py", 0, NULL, NULL},
    {SEQ("x = [0, 0, 0, 0] * 4611686018427387905\n"), NULL, "summary @/m.py", 2,
     "a list of more than 100000 items", NULL},
    {SEQ("a = [] * 5555555555555\nb = 1 ** 10**18\n"
         "model = Sequential([Dense(b + len(a), input_shape=(3,))])\n"),
     NULL, "summary @/m.py", 0, NULL, NULL},
    {SEQ("model = Sequential([Dense(4, input_shape=(3,))])\nfor i in range(256):\n"
         "    model.add(Dense(4))\n"),
     NULL, "summary @/m.py", 2, "too many layers (at most 256)", NULL},
    {SEQ("model = Sequential([Conv1D(4, 3, dilation_rate=2147483647, padding='causal', "
         "input_shape=(8, 2))])\n"),
     NULL, "trace @/m.py --timesteps 8", 2, "'dilation_rate' holds 2147483647", NULL},
    {SEQ("model = Sequential([LSTM(10**9, input_shape=(8, 2))])\n"), NULL, "summary @/m.py", 2,
     "'units' holds 1000000000, beyond shapelab's limit of 16777216", NULL},
    {SEQ("units = 1 << 100\n"), NULL, "summary @/m.py", 2,
     "the integer result of '<<' does not fit in 64 bits", NULL},
    {"\xef\xbb\xbf" SEQ(
         "gr\xc3\xb6\xc3\x9f\x65 = 3\rmodel = Sequential([Dense(gr\xc3\xb6\xc3\x9f\x65, "
         "input_shape=(3,))])\r"),
     NULL, "summary @/m.py", 0, NULL, NULL},
};

/* Exit with the code and the message, quickly (a hang is exit 124 after `timeout 60`), no file
 * damaged, and no temporary file left. */
START_TEST(test_hostile)
{
    char *out, *err, cmd[2048], p[1024];
    if (hostile[_i].script)
        write_bytes("@/m.py", hostile[_i].script, strlen(hostile[_i].script));
    if (hostile[_i].setup) {
        snprintf(cmd, sizeof cmd, "%s", expand(hostile[_i].setup, p, sizeof p));
        ck_assert_msg(system(cmd) == 0, "setup failed: %s", cmd);
    }
    int rc = run(hostile[_i].args, &out, &err);
    check(hostile[_i].args, rc, hostile[_i].rc, err, hostile[_i].err);
    if (hostile[_i].intact) {
        char orig[1024];
        snprintf(orig, sizeof orig, "%s.orig", expand(hostile[_i].intact, p, sizeof p));
        char *now = slurp(p), *was = slurp(orig);
        ck_assert_msg(!strcmp(now, was), "%s: %s was changed", hostile[_i].args, p);
        free(now), free(was);
    }
    DIR *d = opendir(dir);
    for (struct dirent *f; d && (f = readdir(d)) != NULL;) {
        size_t n = strlen(f->d_name);
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, f->d_name);
        ck_assert_msg(n < 4 || strcmp(f->d_name + n - 4, ".tmp") ||
                          (lstat(p, &st) == 0 && S_ISLNK(st.st_mode)), /* the setup's own */
                      "%s: left %s behind", hostile[_i].args, p);
    }
    if (d)
        closedir(d);
    free(out), free(err);
}
END_TEST

/* Each command is bounded by `timeout 60` (a hang reads as exit 124); the TCase timeouts leave
 * room for that. */
Suite *cli_suite(void);
Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("usage");
    tcase_set_timeout(tc, 90);
    tcase_add_unchecked_fixture(tc, make_root, remove_root);
    tcase_add_checked_fixture(tc, make_dir, NULL);
    tcase_add_test(tc, test_usage);
    tcase_add_loop_test(tc, test_subcommand_help, 0, sizeof subcommands / sizeof subcommands[0]);
    tcase_add_loop_test(tc, test_usage_error, 0, sizeof usage_errors / sizeof usage_errors[0]);
    suite_add_tcase(s, tc);
    tc = tcase_create("shapes");
    tcase_set_timeout(tc, 90);
    tcase_add_unchecked_fixture(tc, make_root, remove_root);
    tcase_add_checked_fixture(tc, make_dir, NULL);
    tcase_add_test(tc, test_summary_regression);
    tcase_add_test(tc, test_summary_return_state);
    tcase_add_loop_test(tc, test_shared_model, 0, N_MODELS);
    tcase_add_test(tc, test_shared_models_listed);
    tcase_add_loop_test(tc, test_tutorial, 0, N_TUTORIALS);
    tcase_add_test(tc, test_tutorials_listed);
    tcase_add_test(tc, test_trace_and_init);
    tcase_add_test(tc, test_keras2_notice);
    tcase_add_test(tc, test_viz_window);
    tcase_add_test(tc, test_png);
    tcase_add_test(tc, test_png_options);
    suite_add_tcase(s, tc);
    tc = tcase_create("data");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, make_root, remove_root);
    tcase_add_checked_fixture(tc, make_dir, NULL);
    tcase_add_test(tc, test_predict);
    tcase_add_test(tc, test_predict_any_length);
    tcase_add_test(tc, test_explain_recurrent);
    tcase_add_test(tc, test_initial_state);
    tcase_add_test(tc, test_gradcheck_kinks);
    tcase_add_test(tc, test_png_best_scene_draws);
    tcase_add_test(tc, test_train);
    tcase_add_test(tc, test_train_stateful);
    tcase_add_test(tc, test_train_time_axis);
    tcase_add_test(tc, test_predict_codes);
    tcase_add_test(tc, test_gradcheck);
    tcase_add_test(tc, test_gradcheck_dy);
    tcase_add_loop_test(tc, test_bad_input, 0, sizeof bad / sizeof bad[0]);
    suite_add_tcase(s, tc);
    tc = tcase_create("stops");
    tcase_set_timeout(tc, 300);
    tcase_add_unchecked_fixture(tc, make_root, remove_root);
    tcase_add_checked_fixture(tc, make_dir, NULL);
    tcase_add_test(tc, test_train_nan_guard);
    tcase_add_test(tc, test_train_killed_and_resumed);
    tcase_add_test(tc, test_train_checkpoint_disk_full);
    tcase_add_test(tc, test_npy_header_checked_first);
    suite_add_tcase(s, tc);
    tc = tcase_create("hostile");
    tcase_set_timeout(tc, 90);
    tcase_add_unchecked_fixture(tc, make_root, remove_root);
    tcase_add_checked_fixture(tc, make_dir, NULL);
    tcase_add_loop_test(tc, test_hostile, 0, sizeof hostile / sizeof hostile[0]);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(cli_suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
