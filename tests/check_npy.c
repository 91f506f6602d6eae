/* check_npy.c: .npy files: NumPy's own files, hand-made and malformed ones, and saving. */
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "npy.h"
#include "files.h"
#include "testutil.h"

#define tmp_path tu_tmp_path

static const char *npy_fixture(const char *name)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/npy/%s.npy", SL_FIXTURES, name);
    return p;
}

/* ---- files written by NumPy (tools/make_npy_fixtures.py) ---- */

/* The values tools/make_npy_fixtures.py writes, element k in C order (k = np.arange(...)). Keep
 * the two in step. Every value is exact in float32, so the comparison is exact. */
static double expected(const char *name, long k)
{
    if (!strcmp(name, "f4") || !strcmp(name, "v2") || !strcmp(name, "v3"))
        return k * 0.5 - 2.75;
    if (!strcmp(name, "f8"))
        return k * 0.125 - 0.5;
    if (!strcmp(name, "i1"))
        return k * 23 - 128;
    if (!strcmp(name, "i2"))
        return k * 5000 - 32768;
    if (!strcmp(name, "i4"))
        return (k - 6) * 268435456.0; /* 2**28 */
    if (!strcmp(name, "i8"))
        return (k - 6) * 1099511627776.0 + 8589934592.0; /* 2**40, 2**33 */
    if (!strcmp(name, "u1"))
        return k * 20 + 35;
    if (!strcmp(name, "b1"))
        return k % 3 == 0;
    if (!strcmp(name, "f8_3d"))
        return k * 0.25 - 3;
    if (!strcmp(name, "scalar"))
        return 7.5;
    ck_abort_msg("no formula for %s", name);
    return 0;
}

static const struct {
    const char *name;
    SlNpyType type;
    int rank, dim[3];
} numpy_files[] = {
    {"f4", SL_NPY_F4, 2, {3, 4}},       {"f8", SL_NPY_F8, 2, {3, 4}},
    {"i1", SL_NPY_I1, 2, {3, 4}},       {"i2", SL_NPY_I2, 2, {3, 4}},
    {"i4", SL_NPY_I4, 2, {3, 4}},       {"i8", SL_NPY_I8, 2, {3, 4}},
    {"u1", SL_NPY_U1, 2, {3, 4}},       {"b1", SL_NPY_B1, 2, {3, 4}},
    {"v2", SL_NPY_F4, 2, {3, 4}},       {"v3", SL_NPY_F4, 2, {3, 4}},
    {"f8_3d", SL_NPY_F8, 3, {2, 3, 4}}, {"scalar", SL_NPY_F8, 0, {0}},
    {"empty", SL_NPY_F4, 2, {0, 3}},
};

START_TEST(test_numpy_files)
{
    const char *name = numpy_files[_i].name;
    SlNpy a;
    SlError e = {""};
    ck_assert_msg(sl_npy_read(&a, npy_fixture(name), &e) == 0, "%s", e.msg);
    ck_assert_int_eq(a.type, numpy_files[_i].type);
    SlShape want = sl_shape_of(numpy_files[_i].rank, numpy_files[_i].dim);
    char b1[64], b2[64];
    ck_assert_msg(sl_shape_equal(&a.shape, &want), "%s: shape %s, expected %s", name,
                  sl_shape_str(&a.shape, b1, sizeof b1), sl_shape_str(&want, b2, sizeof b2));
    ck_assert_ptr_nonnull(a.data);
    size_t n = sl_shape_count(&a.shape);
    for (size_t k = 0; k < n; k++)
        ck_assert_msg(a.data[k] == (sl_real)expected(name, (long)k),
                      "%s[%zu] = %.17g, expected %.17g", name, k, (double)a.data[k],
                      expected(name, (long)k));
    sl_npy_free(&a);
    ck_assert_ptr_null(a.data);
}
END_TEST

static const struct {
    const char *name, *must;
} refused_files[] = {
    {"big_endian", "big-endian (dtype '>f4'); shapelab reads little-endian"},
    {"fortran", "Fortran-ordered arrays are not supported; save with np.ascontiguousarray"},
    {"complex64", "dtype '<c8' is not supported"},
};

START_TEST(test_numpy_refused)
{
    const char *path = npy_fixture(refused_files[_i].name);
    SlNpy a;
    SlError e = {""};
    ck_assert(sl_npy_read(&a, path, &e) < 0);
    ck_assert_msg(strstr(e.msg, refused_files[_i].must), "%s", e.msg);
    ck_assert_msg(!strncmp(e.msg, path, strlen(path)), "no file name first in: %s", e.msg);
    ck_assert_ptr_null(a.data);
}
END_TEST

/* ---- files made here: hand-written headers NumPy would accept, and broken files ---- */

typedef struct FileCase {
    const char *what;
    const char *raw; /* if set: the whole file, raw_len bytes */
    size_t raw_len;
    unsigned char major, minor; /* else: magic, version (0.0 means 1.0), header length, */
    const char *header;         /* the header as written (plus extra_len to the length), */
    unsigned extra_len;
    size_t data_len; /* then data_len bytes of value `fill` */
    unsigned char fill;
    const char *must; /* broken files: a phrase of the error */
    int rank, dim[3]; /* good files: the shape */
    double first;     /* and the first value */
} FileCase;

#define RAW(s)    .raw = s, .raw_len = sizeof(s) - 1
#define F4(shape) "{'descr': '<f4', 'fortran_order': False, 'shape': " shape ", }"

static void make_file(const char *path, const FileCase *c)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    if (c->raw) {
        ck_assert_uint_eq(fwrite(c->raw, 1, c->raw_len, f), c->raw_len);
    } else {
        unsigned char major = c->major ? c->major : 1;
        size_t hl = strlen(c->header) + c->extra_len;
        unsigned char pre[12] = {0x93, 'N', 'U', 'M', 'P', 'Y', major, c->minor};
        for (int i = 0; i < 4; i++) /* u16 (1.0) or u32 little-endian */
            pre[8 + i] = (unsigned char)(hl >> (8 * i));
        size_t np = major == 1 ? 10 : 12;
        ck_assert_uint_eq(fwrite(pre, 1, np, f), np);
        fputs(c->header, f);
        for (size_t i = 0; i < c->data_len; i++)
            fputc(c->fill, f);
    }
    ck_assert_int_eq(fclose(f), 0);
}

static const FileCase good_files[] = {
    {"double quotes, other key order, no padding",
     .header = "{\"shape\": (2,), \"fortran_order\": False, \"descr\": \"<u1\"}", .data_len = 2,
     .fill = 200, .rank = 1, .dim = {2}, .first = 200},
    {"'<i1' and newlines and tabs",
     .header = "{\n\t'descr' : '<i1' ,\n 'fortran_order':False,'shape':( 2 , 3 ) }\n",
     .data_len = 6, .fill = 0xff, .rank = 2, .dim = {2, 3}, .first = -1},
    {"'<b1'", .header = "{'descr': '<b1', 'fortran_order': False, 'shape': (3,), }", .data_len = 3,
     .fill = 1, .rank = 1, .dim = {3}, .first = 1},
    {"Python 2 longs", .header = "{'descr': '<i2', 'fortran_order': False, 'shape': (1L, 2L), }",
     .data_len = 4, .fill = 1, .rank = 2, .dim = {1, 2}, .first = 257},
    {"Fortran order of a 1-d array",
     .header = "{'descr': '<f4', 'fortran_order': True, 'shape': (4,), }", .data_len = 16,
     .rank = 1, .dim = {4}, .first = 0},
    {"Fortran order with one long axis",
     .header = "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 3, 1), }", .data_len = 12,
     .rank = 3, .dim = {1, 3, 1}, .first = 0},
    {"version 3.0, trailing comma in the shape", .major = 3, .header = F4("(2, 0,)"), .rank = 2,
     .dim = {2, 0}},
    {"huge dimensions with a zero", .header = F4("(2147483647, 0, 2147483647)"), .rank = 3,
     .dim = {2147483647, 0, 2147483647}},
};

START_TEST(test_good_headers)
{
    const FileCase *c = &good_files[_i];
    const char *path = tmp_path("good.npy");
    make_file(path, c);
    SlNpy a;
    SlError e = {""};
    ck_assert_msg(sl_npy_read(&a, path, &e) == 0, "%s: %s", c->what, e.msg);
    SlShape want = sl_shape_of(c->rank, c->dim);
    ck_assert_msg(sl_shape_equal(&a.shape, &want), "%s: wrong shape", c->what);
    ck_assert_ptr_nonnull(a.data);
    if (sl_shape_count(&a.shape))
        ck_assert_msg(a.data[0] == (sl_real)c->first, "%s: first value %g", c->what,
                      (double)a.data[0]);
    sl_npy_free(&a);
}
END_TEST

static const FileCase bad_files[] = {
    {"empty file", RAW(""), .must = "empty file"},
    {"bad magic", RAW("\x93NUMPZ\x01\x00\x02\x00{}"), .must = "not a .npy file (bad magic)"},
    {"text file", RAW("x,y\n1,2\n"), .must = "not a .npy file (bad magic)"},
    {"shorter than the magic", RAW("\x93NUM"), .must = "not a .npy file (bad magic)"},
    {"ends in the version", RAW("\x93NUMPY\x01"), .must = "ends inside the .npy preamble"},
    {"ends in the v1 length", RAW("\x93NUMPY\x01\x00\x10"),
     .must = "ends inside the .npy preamble"},
    {"ends in the v2 length", RAW("\x93NUMPY\x02\x00\x10\x00"),
     .must = "ends inside the .npy preamble"},
    {"version 4.0", .major = 4, .header = F4("(1,)"), .data_len = 4,
     .must = "unsupported .npy format version 4.0 (shapelab reads 1.0, 2.0 and 3.0)"},
    {"version 1.1", .major = 1, .minor = 1, .header = F4("(1,)"), .data_len = 4,
     .must = "version 1.1"},
    {"header length past the end", .header = F4("(1,)"), .extra_len = 100,
     .must = "runs past the end of the file"},
    {"header length over 1 MiB", RAW("\x93NUMPY\x02\x00\xff\xff\xff\x7f{}"),
     .must = "is over shapelab's limit"},
    {"header not a dict", .header = "[('descr', '<f4')]", .must = "not a Python dict literal"},
    {"empty header", .header = "", .must = "not a Python dict literal"},
    {"header of binary bytes", .header = "\xff\xfe\x01", .must = "not a Python dict literal"},
    {"missing key", .header = "{'descr': '<f4', 'shape': (3,), }", .data_len = 12,
     .must = "the header has no 'fortran_order' key"},
    {"unexpected key",
     .header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'order': 'C'}",
     .data_len = 12, .must = "unexpected key 'order'"},
    {"repeated key", .header = "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False}",
     .must = "repeats the key 'descr'"},
    {"bad shape text", .header = F4("(3, x)"), .must = "expected a dimension"},
    {"shape without comma", .header = F4("(3 4)"), .must = "expected ',' or ')' in the shape"},
    {"shape not a tuple", .header = F4("(3)"), .data_len = 12, .must = "(3) is not a tuple"},
    {"shape a list", .header = F4("[3, 4]"), .must = "expected a shape tuple"},
    {"shape unclosed", .header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4}",
     .must = "expected ',' or ')' in the shape"},
    {"negative dimension", .header = F4("(-1,)"), .must = "negative dimension"},
    {"dimension past int", .header = F4("(3000000000,)"), .must = "larger than 2147483647"},
    {"dimension of 40 digits", .header = F4("(1234567890123456789012345678901234567890,)"),
     .must = "larger than 2147483647"},
    {"fortran_order not a bool", .header = "{'descr': '<f4', 'fortran_order': 0, 'shape': ()}",
     .must = "expected True or False"},
    {"unterminated string", .header = "{'descr': '<f4", .must = "expected a closing quote"},
    {"tab in a string", .header = "{'descr': '<f\t4'}", .must = "expected a closing quote"},
    {"missing colon", .header = "{'descr' '<f4'}", .must = "expected ':' after the key"},
    {"missing comma", .header = "{'descr': '<f4' 'shape': ()}", .must = "expected ',' or '}'"},
    {"unclosed dict", .header = "{'descr': '<f4', ", .must = "expected a quoted string"},
    {"text after the dict", .header = F4("(1,)") " x", .data_len = 4,
     .must = "expected the end of the header"},
    {"structured dtype",
     .header = "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }",
     .must = "structured dtype"},
    {"float16", .header = "{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }",
     .data_len = 2, .must = "dtype '<f2' is not supported"},
    {"'|' on a 4-byte type", .header = "{'descr': '|f4', 'fortran_order': False, 'shape': ()}",
     .data_len = 4, .must = "dtype '|f4' is not supported"},
    {"object", .header = "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", .data_len = 8,
     .must = "dtype '|O' is not supported"},
    {"big-endian int", .header = "{'descr': '>i4', 'fortran_order': False, 'shape': (1,), }",
     .data_len = 4, .must = "save arr.astype('<i4')"},
    {"truncated data", .header = F4("(3, 4)"), .data_len = 40,
     .must = "truncated: header says 48 bytes of data, file has 40"},
    {"trailing data", .header = F4("(3, 4)"), .data_len = 56,
     .must = "8 trailing bytes after the data: header says 48 bytes of data, file has 56"},
    {"huge shape that overflows", .header = F4("(2147483647, 2147483647, 2147483647)"),
     .must = "the shape (2147483647, 2147483647, 2147483647) is impossibly large"},
    {"huge shape, no data", .header = F4("(100000, 100000)"), .data_len = 4,
     .must = "the array (100000, 100000) holds 10000000000 values, more than shapelab's limit"},
    {"big shape, data cut short", .header = F4("(1000, 1000)"), .data_len = 4,
     .must = "truncated: header says 4000000 bytes of data, file has 4"},
    {"rank 6", .header = F4("(1, 1, 1, 1, 1, 2)"), .data_len = 8,
     .must = "the array has 6 axes; shapelab handles at most 5"},
    {"bool that is not 0 or 1", .header = "{'descr': '|b1', 'fortran_order': False, 'shape': (2,)}",
     .data_len = 2, .fill = 2, .must = "element 0 of the bool array is 2; bools are 0 or 1"},
    {"more values than the limit",
     .header = "{'descr': '|u1', 'fortran_order': False, "
               "'shape': (16385, 16384), }",
     .must = "holds 268451840 values, more than shapelab's limit of 268435456"},
};

START_TEST(test_bad_files)
{
    const FileCase *c = &bad_files[_i];
    const char *path = tmp_path("bad.npy");
    make_file(path, c);
    SlNpy a;
    SlError e = {""};
    ck_assert_msg(sl_npy_read(&a, path, &e) < 0, "%s: accepted", c->what);
    ck_assert_msg(strstr(e.msg, c->must), "%s: %s", c->what, e.msg);
    ck_assert_msg(!strncmp(e.msg, path, strlen(path)), "%s: no file name first in: %s", c->what,
                  e.msg);
    ck_assert_ptr_null(a.data);
}
END_TEST

/* The header alone: the shape of a good file, the error of a bad one, without reading data. */
START_TEST(test_peek)
{
    const char *path = tmp_path("peek.npy");
    SlShape s;
    SlError e = {""};
    make_file(path, &good_files[1]);
    ck_assert_msg(sl_npy_peek(path, &s, &e) == 0, "%s", e.msg);
    ck_assert(s.rank == 2 && s.dim[0] == 2 && s.dim[1] == 3);
    for (size_t i = 0; i < sizeof bad_files / sizeof bad_files[0]; i++) {
        if (strstr(bad_files[i].what, "bool")) /* a value, not the header: seen only by reading */
            continue;
        make_file(path, &bad_files[i]);
        ck_assert_msg(sl_npy_peek(path, &s, &e) < 0, "%s: accepted", bad_files[i].what);
        ck_assert_msg(strstr(e.msg, bad_files[i].must), "%s: %s", bad_files[i].what, e.msg);
    }
}
END_TEST

START_TEST(test_not_a_file)
{
    SlNpy a;
    SlError e = {""};
    ck_assert(sl_npy_read(&a, "/nonexistent/x.npy", &e) < 0);
    ck_assert_msg(strstr(e.msg, "/nonexistent/x.npy: cannot open"), "%s", e.msg);
    ck_assert(sl_npy_read(&a, "/tmp", &e) < 0); /* a directory */
    ck_assert_msg(strstr(e.msg, "not a regular file (a directory)"), "%s", e.msg);
    /* a FIFO: refused at once, not read (which would wait for a writer for ever) */
    const char *fifo = tmp_path("fifo.npy");
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    ck_assert(sl_npy_read(&a, fifo, &e) < 0);
    ck_assert_msg(strstr(e.msg, "not a regular file (a FIFO)"), "%s", e.msg);
    unlink(fifo);
}
END_TEST

/* ---- saving ---- */

/* No temporary file of a save to PATH is left beside it (PATH.XXXXXX.tmp, files.h). */
static void assert_no_temporary(const char *path)
{
    char pattern[600];
    glob_t g;
    snprintf(pattern, sizeof pattern, "%s*.tmp", path);
    int rc = glob(pattern, 0, NULL, &g);
    ck_assert_msg(rc == GLOB_NOMATCH, "%s is left behind", rc == 0 ? g.gl_pathv[0] : pattern);
}

/* Write t, check the bytes NumPy expects, read it back and compare exactly. */
static void round_trip(const SlTensor *t, const char *shape_text)
{
    const char *path = tmp_path("rt.npy");
    SlError e = {""};
    ck_assert_msg(sl_npy_write(path, t, &e) == 0, "%s", e.msg);
    char text[256] = "";
    assert_no_temporary(path); /* renamed into place */

    FILE *f = fopen(path, "rb");
    unsigned char pre[10];
    ck_assert_uint_eq(fread(pre, 1, 10, f), 10);
    ck_assert(!memcmp(pre, "\x93NUMPY\x01\x00", 8));
    size_t hl = pre[8] | (size_t)pre[9] << 8;
    ck_assert(hl < sizeof text && (10 + hl) % 64 == 0);
    ck_assert_uint_eq(fread(text, 1, hl, f), hl);
    fclose(f);
    char want[128];
    snprintf(want, sizeof want, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
             sizeof(sl_real) == 4 ? "<f4" : "<f8", shape_text);
    ck_assert_msg(!strncmp(text, want, strlen(want)), "header: %s", text);
    ck_assert(text[hl - 1] == '\n');

    SlNpy a;
    ck_assert_msg(sl_npy_read(&a, path, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(a.type, sizeof(sl_real) == 4 ? SL_NPY_F4 : SL_NPY_F8);
    ck_assert(sl_shape_equal(&a.shape, &t->shape));
    size_t n = sl_tensor_count(t);
    ck_assert_ptr_nonnull(a.data);
    if (n)
        ck_assert_mem_eq(a.data, t->data, n * sizeof(sl_real));
    sl_npy_free(&a);
}

START_TEST(test_write_round_trip)
{
    sl_real x[24];
    for (int i = 0; i < 24; i++)
        x[i] = (sl_real)(i * 0.37 - 1.0 / 3.0); /* not exact in binary: tests all the bits */
    SlTensor t = sl_tensor(sl_shape_of(3, (int[]){2, 3, 4}), x);
    round_trip(&t, "(2, 3, 4)");
    t = sl_tensor(sl_shape_of(1, (int[]){5}), x);
    round_trip(&t, "(5,)");
    t = sl_tensor(sl_shape_of(5, (int[]){1, 2, 1, 3, 2}), x);
    round_trip(&t, "(1, 2, 1, 3, 2)");
    sl_real s = (sl_real)-3.25;
    t = sl_tensor(sl_shape_of(0, NULL), &s); /* a 0-d array: one value */
    round_trip(&t, "()");
    t = sl_tensor(sl_shape_of(2, (int[]){0, 3}), NULL); /* no values */
    round_trip(&t, "(0, 3)");
}
END_TEST

START_TEST(test_write_fails_cleanly)
{
    sl_real x[2] = {1, 2};
    SlTensor t = sl_tensor(sl_shape_of(1, (int[]){2}), x);
    SlError e = {""};
    /* No such directory: nothing is created. */
    char path[600];
    snprintf(path, sizeof path, "%s", tmp_path("no-such-dir/x.npy"));
    ck_assert(sl_npy_write(path, &t, &e) < 0);
    ck_assert_msg(strstr(e.msg, path) == e.msg && strstr(e.msg, "cannot save"), "%s", e.msg);
    ck_assert(access(path, F_OK) != 0);
    /* The rename fails (a directory is in the way): the temp file is removed. */
    snprintf(path, sizeof path, "%s", tmp_path("adir.npy"));
    ck_assert_int_eq(mkdir(path, 0700), 0);
    ck_assert(sl_npy_write(path, &t, &e) < 0);
    ck_assert_msg(strstr(e.msg, "cannot save"), "%s", e.msg);
    assert_no_temporary(path);
    rmdir(path);
    /* Shapes that cannot be saved. */
    t.shape.dim[0] = SL_NONE;
    ck_assert(sl_npy_write(tmp_path("none.npy"), &t, &e) < 0);
    ck_assert_msg(strstr(e.msg, "every dimension must be known"), "%s", e.msg);
    t = sl_tensor(sl_shape_of(1, (int[]){2}), NULL);
    ck_assert(sl_npy_write(tmp_path("null.npy"), &t, &e) < 0);
    ck_assert_msg(strstr(e.msg, "without data"), "%s", e.msg);
    ck_assert(access(tmp_path("none.npy"), F_OK) != 0 && access(tmp_path("null.npy"), F_OK) != 0);
}
END_TEST

START_TEST(test_write_replaces)
{
    const char *path = tmp_path("replace.npy");
    FILE *f = fopen(path, "wb");
    fputs("an older, longer file that the save replaces as a whole ...........................", f);
    fclose(f);
    sl_real x[3] = {1, 2, 3};
    SlTensor t = sl_tensor(sl_shape_of(1, (int[]){3}), x);
    SlError e = {""};
    ck_assert_msg(sl_npy_write(path, &t, &e) == 0, "%s", e.msg);
    SlNpy a;
    ck_assert_msg(sl_npy_read(&a, path, &e) == 0, "%s", e.msg);
    ck_assert(a.data[2] == 3);
    sl_npy_free(&a);
}
END_TEST

/* sl_save_file, which every writer uses: a fill that fails half-way leaves the old file as it was
 * and no PATH.tmp; one that succeeds replaces it whole. */
static int fill_then_fail(FILE *f, void *ctx)
{
    fputs((const char *)ctx, f);
    return EIO;
}

static int fill_ok(FILE *f, void *ctx)
{
    fputs((const char *)ctx, f);
    return 0;
}

static void assert_file_holds(const char *path, const char *want)
{
    char got[64] = "";
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s is missing", path);
    size_t n = fread(got, 1, sizeof got - 1, f);
    fclose(f);
    got[n] = '\0';
    ck_assert_str_eq(got, want);
}

START_TEST(test_save_file_whole_or_nothing)
{
    char path[300];
    snprintf(path, sizeof path, "%s", tmp_path("whole.txt"));
    SlError e = {""};
    ck_assert_msg(sl_save_file(path, fill_ok, "old", &e) == 0, "%s", e.msg);
    ck_assert_int_eq(sl_save_file(path, fill_then_fail, "half of the new", &e), -1);
    ck_assert_msg(strncmp(e.msg, path, strlen(path)) == 0 &&
                      strstr(e.msg, ": cannot save: Input/output error"),
                  "%s", e.msg);
    assert_file_holds(path, "old");
    assert_no_temporary(path);
    ck_assert_msg(sl_save_file(path, fill_ok, "new", &e) == 0, "%s", e.msg);
    assert_file_holds(path, "new");
    assert_no_temporary(path);
}
END_TEST

/* The temporary file is never a file that was there: a symlink at the old fixed name PATH.tmp
 * is not written through, and the file it points to is left as it was. A replaced file keeps its
 * permissions. */
START_TEST(test_save_file_exclusive)
{
    char path[300], link[310], victim[300];
    SlError e = {""};
    snprintf(path, sizeof path, "%s", tmp_path("out.txt"));
    snprintf(link, sizeof link, "%s.tmp", path);
    snprintf(victim, sizeof victim, "%s", tmp_path("victim.txt"));
    ck_assert_msg(sl_save_file(victim, fill_ok, "precious", &e) == 0, "%s", e.msg);
    ck_assert_int_eq(symlink(victim, link), 0);
    ck_assert_msg(sl_save_file(path, fill_ok, "new", &e) == 0, "%s", e.msg);
    assert_file_holds(victim, "precious");
    assert_file_holds(path, "new");
    unlink(link);
    struct stat st;
    ck_assert_int_eq(chmod(path, 0640), 0);
    ck_assert_msg(sl_save_file(path, fill_ok, "newer", &e) == 0, "%s", e.msg);
    ck_assert(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("npy");
    TCase *tc = tcase_create("numpy");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, test_numpy_files, 0, sizeof numpy_files / sizeof numpy_files[0]);
    tcase_add_loop_test(tc, test_numpy_refused, 0, sizeof refused_files / sizeof refused_files[0]);
    suite_add_tcase(s, tc);
    tc = tcase_create("headers");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, test_good_headers, 0, sizeof good_files / sizeof good_files[0]);
    tcase_add_loop_test(tc, test_bad_files, 0, sizeof bad_files / sizeof bad_files[0]);
    tcase_add_test(tc, test_not_a_file);
    tcase_add_test(tc, test_peek);
    suite_add_tcase(s, tc);
    tc = tcase_create("write");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_write_round_trip);
    tcase_add_test(tc, test_write_fails_cleanly);
    tcase_add_test(tc, test_write_replaces);
    tcase_add_test(tc, test_save_file_whole_or_nothing);
    tcase_add_test(tc, test_save_file_exclusive);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_in_tmpdir(suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
