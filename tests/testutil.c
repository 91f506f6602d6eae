/* testutil.c: helpers shared by the Check suites. */
#include "testutil.h"

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

void tu_assert_close(const char *what, const sl_real *a, const sl_real *b, size_t n)
{
    long i = tu_mismatch(a, b, n, TU_RTOL, TU_ATOL);
    ck_assert_msg(i < 0, "%s: element %ld is %.12g, expected %.12g", what, i,
                  i < 0 ? 0.0 : (double)a[i], i < 0 ? 0.0 : (double)b[i]);
}

SlModel *tu_one_layer(const char *type, const char *args, SlShape in, SlError *e)
{
    SlModel *m = sl_sequential(NULL);
    char shape[128] = "batch_shape=(";
    size_t u = strlen(shape);
    for (int i = 0; i < in.rank; i++)
        u += (size_t)snprintf(shape + u, sizeof shape - u, "%s%d", i ? ", " : "", in.dim[i]);
    snprintf(shape + u, sizeof shape - u, "%s)", in.rank == 1 ? "," : "");
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

static char tmpdir[256];

const char *tu_tmp_path(const char *name)
{
    static char paths[4][512]; /* a few at once: tu_tmp_path(a), tu_tmp_path(b) in one call */
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, 512, "%s/%s", tmpdir, name);
    return p;
}

int tu_run_in_tmpdir(Suite *s)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/shapelab-test-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    int failed = tu_run(s);
    DIR *d = opendir(tmpdir);
    for (struct dirent *de; d && (de = readdir(d));)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            remove(tu_tmp_path(de->d_name));
    if (d)
        closedir(d);
    rmdir(tmpdir);
    return failed;
}

int tu_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed;
}
