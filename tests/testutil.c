/* testutil.c: helpers shared by the Check suites. */
#include "testutil.h"

#include "script/script.h"

#include <math.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <stdlib.h>

long tu_mismatch(const sl_real *a, const sl_real *b, size_t n, double rtol, double atol)
{
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= atol + rtol * fabs((double)b[i])))
            return (long)i;
    }
    return -1;
}

/* While tu_both_kernels runs a check: every array tu_assert_close compared, one after another. */
typedef struct Record {
    sl_real *values;
    size_t n, cap;
    int arrays;
} Record;
static Record *recording;

static void record(Record *r, const sl_real *a, size_t n)
{
    if (r->n + n > r->cap) {
        r->cap = (r->n + n) * 2;
        r->values = realloc(r->values, r->cap * sizeof *r->values);
        ck_assert(r->values != NULL);
    }
    memcpy(r->values + r->n, a, n * sizeof *a);
    r->n += n;
    r->arrays++;
}

void tu_assert_close(const char *what, const sl_real *a, const sl_real *b, size_t n)
{
    long i = tu_mismatch(a, b, n, TU_RTOL, TU_ATOL);
    ck_assert_msg(i < 0, "%s: element %ld is %.12g, expected %.12g", what, i,
                  i < 0 ? 0.0 : (double)a[i], i < 0 ? 0.0 : (double)b[i]);
    if (recording)
        record(recording, a, n);
}

void tu_both_kernels(void (*check)(const void *arg), const void *arg)
{
    SlKernels was = sl_kernels();
    Record r[2] = {{0}};
    static const SlKernels set[2] = {SL_KERNELS_FAST, SL_KERNELS_PLAIN};
    for (int k = 0; k < 2; k++) {
        sl_kernels_set(set[k]);
        recording = &r[k];
        check(arg);
        recording = NULL;
    }
    sl_kernels_set(was);
    ck_assert_int_eq(r[0].arrays, r[1].arrays);
    ck_assert(r[0].n == r[1].n);
    long i = tu_mismatch(r[0].values, r[1].values, r[0].n, TU_RTOL, TU_ATOL);
    ck_assert_msg(i < 0,
                  "fast and plain kernels differ: value %ld of the checked arrays is %.12g "
                  "fast, %.12g plain",
                  i, i < 0 ? 0.0 : (double)r[0].values[i], i < 0 ? 0.0 : (double)r[1].values[i]);
    ck_assert_msg(r[0].n > 0, "the check compared nothing");
    free(r[0].values), free(r[1].values);
}

SlModel *tu_one_layer(const char *type, const char *args, SlShape in, SlError *e)
{
    SlModel *m = sl_sequential(NULL);
    char shape[128], dims[96];
    snprintf(shape, sizeof shape, "batch_shape=%s", sl_shape_str(&in, dims, sizeof dims));
    if (!m || sl_model_add(m, sl_layer("InputLayer", shape, e), e) < 0 ||
        sl_model_add(m, sl_layer(type, args, e), e) < 0) {
        sl_model_free(m);
        return NULL;
    }
    return m;
}

sl_real *tu_st_load(const SlSafetensors *st, const char *name, SlShape *shape)
{
    const SlStTensor *t = sl_st_find(st, name);
    ck_assert_msg(t != NULL, "%s: no tensor '%s'", st->path, name);
    sl_real *buf = calloc(t->count ? t->count : 1, sizeof *buf);
    ck_assert_msg(buf != NULL, "out of memory");
    SlError e;
    ck_assert_msg(sl_st_get(st, name, buf, t->count, shape, &e) == 0, "%s", e.msg);
    return buf;
}

const char *tu_fixture(const char *name)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s.safetensors", SL_FIXTURES, name);
    return path;
}

static void check_layer_fixture(const void *arg)
{
    const char *name = arg;
    SlSafetensors st;
    SlError e;
    ck_assert_msg(sl_st_read(&st, tu_fixture(name), &e) == 0, "%s", e.msg);
    ck_assert_str_eq(sl_st_meta(&st, "format"), "shapelab-fixture-1");
    int training = atoi(sl_st_meta(&st, "training"));
    SlShape xs, ys;
    sl_real *x = tu_st_load(&st, "x", &xs), *y = tu_st_load(&st, "y", &ys),
            *dy = tu_st_load(&st, "dy", NULL), *dx = tu_st_load(&st, "dx", NULL);
    sl_clear_session();
    SlModel *m = tu_one_layer(sl_st_meta(&st, "layer"), sl_st_meta(&st, "args"), xs, &e);
    ck_assert_msg(m != NULL, "%s: %s", name, e.msg);
    ck_assert_msg(sl_model_ensure_params(m, &e) == 0, "%s", e.msg);
    /* Weights from the fixture, by their Keras names below the layer ("kernel", "bias"). */
    for (int i = 0; i < m->n_params; i++) {
        SlParam *p = m->params[i];
        ck_assert_msg(sl_st_get(&st, p->name, p->value.data, sl_shape_count(&p->shape), NULL, &e) ==
                          0,
                      "%s", e.msg);
    }
    sl_model_seed_rng(m, strtoull(sl_st_meta(&st, "seed"), NULL, 10));
    SlTensor in = sl_tensor(xs, x);
    ck_assert_msg(sl_model_forward(m, &in, training, &e) == 0, "%s: %s", name, e.msg);
    SlTensor out = sl_model_output(m, 0);
    ck_assert_msg(sl_shape_equal(&out.shape, &ys), "%s: output shape differs", name);
    tu_assert_close("y", out.data, y, sl_tensor_count(&out));
    SlTensor d = sl_tensor(ys, dy);
    ck_assert_msg(sl_model_backward(m, &d, training, &e) == 0, "%s", e.msg);
    SlTensor gx = sl_model_input_grad(m, 0);
    tu_assert_close("dx", gx.data, dx, sl_tensor_count(&gx));
    for (int i = 0; i < m->n_params; i++) {
        SlParam *p = m->params[i];
        char gname[200];
        snprintf(gname, sizeof gname, "grad/%s", p->name);
        sl_real *g = tu_st_load(&st, gname, NULL);
        tu_assert_close(gname, p->grad.data, g, sl_shape_count(&p->shape));
        free(g);
    }
    /* Every weight in the fixture was used. */
    int weights = 0;
    for (int i = 0; i < st.n; i++)
        weights += strcmp(st.tensors[i].name, "x") && strcmp(st.tensors[i].name, "y") &&
                   strcmp(st.tensors[i].name, "dy") && strcmp(st.tensors[i].name, "dx") &&
                   strcmp(st.tensors[i].name, "keep") && strcmp(st.tensors[i].name, "noise") &&
                   strncmp(st.tensors[i].name, "grad/", 5);
    ck_assert_int_eq(weights, m->n_params);
    free(x), free(y), free(dy), free(dx);
    sl_model_free(m);
    sl_st_free(&st);
}

void tu_check_layer_fixture(const char *name)
{
    tu_both_kernels(check_layer_fixture, name);
}

void tu_check_shape_error(const TuShapeError *c)
{
    SlError e = {""};
    sl_clear_session();
    SlModel *m = tu_one_layer(c->type, c->args, sl_shape_of(c->rank, c->dims), &e);
    ck_assert_msg(m == NULL, "%s(%s) accepted a bad shape", c->type, c->args);
    for (int k = 0; k < 4 && c->must[k] && c->must[k][0]; k++)
        ck_assert_msg(strstr(e.msg, c->must[k]), "message lacks \"%s\": %s", c->must[k], e.msg);
}

char *tu_script_summary(const char *file, const char *text)
{
    static const SlScriptOptions quiet;
    char *buf = NULL;
    size_t len = 0;
    SlError e;
    sl_clear_session();
    SlScript *s = sl_script_run_text(file, text, strlen(text), &quiet, &e);
    ck_assert_msg(s != NULL, "%s", e.msg);
    SlModel *m = sl_script_model(s, &e);
    ck_assert_msg(m != NULL, "%s", e.msg);
    FILE *f = open_memstream(&buf, &len);
    ck_assert_msg(f != NULL, "open_memstream");
    ck_assert_msg(sl_model_summary(m, sl_script_summary_width(s), f, &e) == 0, "%s", e.msg);
    fclose(f);
    sl_script_free(s);
    return buf;
}

void tu_check_arg_error(const TuArgError *c)
{
    SlError e = {""};
    SlLayer *l = sl_layer(c->type, c->args, &e);
    ck_assert_msg(l == NULL, "%s(%s) was accepted", c->type, c->args);
    ck_assert_msg(strstr(e.msg, c->must), "message lacks \"%s\": %s", c->must, e.msg);
}

void tu_gradcheck_layer(const char *type, const char *args, SlShape s, int training, uint64_t seed)
{
    SlError e;
    SlModel *m = tu_one_layer(type, args, s, &e);
    ck_assert_msg(m != NULL, "%s", e.msg);
    ck_assert(sl_model_init_params(m, 7, &e) == 0);
    SlRng r = sl_rng(seed);
    sl_real *x = malloc(sl_shape_count(&s) * sizeof *x);
    SlTensor in = sl_tensor(s, x);
    sl_gradcheck_fill_input(&in, &r);
    SlGradcheckOptions o = sl_gradcheck_defaults();
    o.training = training;
    SlGradcheckReport rep;
    ck_assert_msg(sl_gradcheck(m, &in, &o, &rep, &e) == 0, "%s", e.msg);
    char table[4096];
    sl_gradcheck_format(&rep, table, sizeof table);
    ck_assert_msg(rep.ok, "%s(%s):\n%s", type, args, table);
    ck_assert_double_lt(rep.max_err, 1e-6);
    free(x);
    sl_model_free(m);
}

long tu_n_allocs;

static void *count_alloc(void *ctx, size_t n)
{
    (void)ctx;
    tu_n_allocs++;
    return malloc(n);
}

static void count_free(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

const SlAllocator tu_counting_allocator = {count_alloc, count_free, NULL};

static void *no_alloc(void *ctx, size_t n)
{
    (void)ctx, (void)n;
    return NULL;
}

/* Releases what was given before it was installed. */
const SlAllocator tu_failing_allocator = {no_alloc, count_free, NULL};

static char tmpdir[256];

const char *tu_tmp_path(const char *name)
{
    static char paths[4][512]; /* a few at once: tu_tmp_path(a), tu_tmp_path(b) in one call */
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, 512, "%s/%s", tmpdir, name);
    return p;
}

/* A folder and what is in it, folders within included. */
static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    for (struct dirent *de; d && (de = readdir(d));) {
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", path, de->d_name);
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && remove(p) != 0)
            remove_tree(p);
    }
    if (d)
        closedir(d);
    rmdir(path);
}

int tu_run_in_tmpdir(Suite *s)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/shapelab-test-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    int failed = tu_run(s);
    remove_tree(tmpdir);
    return failed;
}

/* ---- model scripts ---- */

/* A call's output shapes as Keras prints them: "(None, 112)", or "[(None, 2, 1), (None, 1)]". */
static void node_shape(const SlNode *nd, char *buf, size_t n)
{
    char one[96];
    if (nd->sym.n_out == 1) {
        sl_shape_str(&nd->sym.out[0], buf, n);
        return;
    }
    size_t u = (size_t)snprintf(buf, n, "[");
    for (int k = 0; k < nd->sym.n_out && u < n; k++)
        u += (size_t)snprintf(buf + u, n - u, "%s%s", k ? ", " : "",
                              sl_shape_str(&nd->sym.out[k], one, sizeof one));
    if (u < n)
        snprintf(buf + u, n - u, "]");
}

void tu_check_model(const char *what, const SlModel *m, const TuExpect *x)
{
    int first = m->sequential && m->n_nodes > 0 && sl_layer_is(m->nodes[0].layer, SL_KIND_INPUT);
    ck_assert_msg(m->n_nodes - first == x->n, "%s: %d layers, expected %d", what,
                  m->n_nodes - first, x->n);
    for (int i = 0; i < x->n; i++) {
        const SlNode *nd = &m->nodes[first + i];
        char got[256];
        node_shape(nd, got, sizeof got);
        ck_assert_msg(!strcmp(got, x->shape[i]), "%s: layer %d (%s) outputs %s, expected %s", what,
                      i, nd->layer->name, got, x->shape[i]);
        ck_assert_msg((long)sl_layer_count_params(nd->layer) == x->params[i],
                      "%s: layer %d (%s) has %zu parameters, expected %ld", what, i,
                      nd->layer->name, sl_layer_count_params(nd->layer), x->params[i]);
        if (x->name[i])
            ck_assert_msg(!strcmp(nd->layer->name, x->name[i]),
                          "%s: layer %d is named '%s', expected '%s'", what, i, nd->layer->name,
                          x->name[i]);
    }
    ck_assert_msg((long)sl_model_count_params(m) == x->total,
                  "%s: %zu parameters in all, expected %ld", what, sl_model_count_params(m),
                  x->total);
}

/* The message's last two lines quote the source line and put a caret under column `col`
 * (col 0: anywhere). */
void tu_assert_caret(const char *what, const char *msg, int col)
{
    const char *last = strrchr(msg, '\n');
    ck_assert_msg(last && last != msg, "%s: no caret line in: %s", what, msg);
    const char *quote = last - 1;
    while (quote > msg && *quote != '\n')
        quote--;
    ck_assert_msg(*quote == '\n' && !strncmp(quote + 1, "    ", 4),
                  "%s: no quoted source line before the caret in: %s", what, msg);
    const char *caret = last + 1;
    size_t k = strspn(caret, " \t");
    ck_assert_msg(caret[k] == '^' && caret[k + 1] == '\0', "%s: the last line is not a caret: %s",
                  what, msg);
    if (col > 0)
        ck_assert_msg((int)k == 4 + col - 1, "%s: the caret is under column %d, expected %d: %s",
                      what, (int)k - 3, col, msg);
}

/* The first line of an error message (what it says, without the quoted source). */
void tu_first_line(const char *msg, char *buf, size_t n)
{
    size_t len = strcspn(msg, "\n");
    snprintf(buf, n, "%.*s", (int)len, msg);
}

/* Run a text that must build; returns the script (free it) and its chosen model. */
SlScript *tu_script_ok(const char *what, const char *text, const SlScriptOptions *o, SlModel **m)
{
    SlError e;
    SlScript *s = sl_script_run_text("t.py", text, strlen(text), o, &e);
    ck_assert_msg(s != NULL, "%s: the script failed: %s", what, e.msg);
    *m = sl_script_model(s, &e);
    ck_assert_msg(*m != NULL, "%s: no model: %s", what, e.msg);
    return s;
}

/* Run a text that must fail; returns the first line of the error in buf. */
void tu_script_fail(const char *what, const char *text, const SlScriptOptions *o, char *buf,
                    size_t n)
{
    SlError e;
    SlScript *s = sl_script_run_text("t.py", text, strlen(text), o, &e);
    if (s)
        sl_script_free(s);
    ck_assert_msg(s == NULL, "%s: the script ran, but it should fail", what);
    tu_first_line(e.msg, buf, n);
}

int tu_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed;
}
