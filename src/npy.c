/* npy.c: reading and writing NumPy .npy files (see npy.h).
 *
 * The format, as numpy/lib/format.py writes it:
 *   bytes 0-5  the magic string "\x93NUMPY"
 *   bytes 6-7  the format version, major then minor: 1.0, 2.0 or 3.0
 *   then       the header length HLEN: u16 little-endian in 1.0, u32 little-endian in 2.0 and 3.0
 *   then       HLEN bytes of header: a Python dict literal (latin-1; UTF-8 in 3.0)
 *                  {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
 *              padded with spaces and ending in '\n', so the data starts aligned (to 64 bytes now,
 *              16 in older NumPy)
 *   then       the data: prod(shape) elements, no padding, C order unless fortran_order is True.
 *              A 0-d array (shape ()) holds one element; a shape with a 0 holds none.
 * 'descr' is the dtype: a byte order ('<' little-endian, '>' big-endian, '|' not applicable: one
 * byte), a kind and a size in bytes: f4 float32, f8 float64, i1..i8 signed, u1 uint8, b1 bool.
 *
 * Reading checks, in order: the magic, the version, that the header fits in the file, the header's
 * syntax (a small recursive-descent parser of exactly that dict literal: nothing is evaluated),
 * the dtype, the rank, the order, and that the data is exactly as long as the shape says. Only
 * then does it allocate the result and read the data, in small chunks converted as they come, so
 * a hostile file can neither make it read out of bounds nor allocate more than its data needs.
 */
#include "npy.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "files.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "sl_npy_write stores sl_real values as they are in memory, which must be little-endian"
#endif

enum { MAX_HEADER = 1 << 20, DESCR_MAX = 32, KEY_MAX = 32, CHUNK = 4096 };

static const unsigned char MAGIC[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

/* The dtypes shapelab reads, named without their byte-order mark. */
static const struct {
    const char *name;
    SlNpyType type;
    int size; /* bytes per element */
} DTYPES[] = {
    {"f4", SL_NPY_F4, 4}, {"f8", SL_NPY_F8, 8}, {"i1", SL_NPY_I1, 1}, {"i2", SL_NPY_I2, 2},
    {"i4", SL_NPY_I4, 4}, {"i8", SL_NPY_I8, 8}, {"u1", SL_NPY_U1, 1}, {"b1", SL_NPY_B1, 1},
};

static const char *const KEYS[3] = {"descr", "fortran_order", "shape"};

/* What the header says. rank counts every axis, also past SL_MAX_RANK (only the first SL_MAX_RANK
 * are kept), so that the error can say how many there were. */
typedef struct Header {
    char descr[DESCR_MAX];
    int fortran;
    int rank;
    int dim[SL_MAX_RANK];
    int seen; /* bit k set: KEYS[k] was present */
} Header;

/* ---- the header parser ---- */

typedef struct Parser {
    const char *s; /* the header text: n bytes, not NUL-terminated */
    size_t n, i;   /* i: the next byte to read */
    const char *path;
    SlError *e;
} Parser;

static int peek(const Parser *p)
{
    return p->i < p->n ? (unsigned char)p->s[p->i] : EOF;
}

static void skip_ws(Parser *p)
{
    int c = peek(p);
    while (c == ' ' || c == '\t' || c == '\r' || c == '\n')
        p->i++, c = peek(p);
}

/* "PATH: malformed header: expected ':' at byte 8 of {'descr' '<f4', ...}" */
static int syntax(const Parser *p, const char *expected)
{
    char shown[81];
    size_t k = 0;
    for (; k < p->n && k + 1 < sizeof shown; k++) {
        unsigned char c = (unsigned char)p->s[k];
        shown[k] = c == '\n' ? ' ' : (c >= 0x20 && c < 0x7f ? (char)c : '?');
    }
    int more = k < p->n;
    while (k > 0 && shown[k - 1] == ' ')
        k--;
    shown[k] = '\0';
    return sl_errorf(p->e, "%s: malformed header: expected %s at byte %zu of: %s%s", p->path,
                     expected, p->i, shown, more ? " ..." : "");
}

/* A Python string in single or double quotes. NumPy's headers need no escapes, so a backslash or
 * a control character is an error. */
static int parse_string(Parser *p, char *out, size_t cap)
{
    skip_ws(p);
    int q = peek(p);
    if (q != '\'' && q != '"')
        return syntax(p, "a quoted string");
    size_t start = ++p->i;
    while (peek(p) >= 0x20 && peek(p) != q && peek(p) != '\\')
        p->i++;
    if (peek(p) != q)
        return syntax(p, "a closing quote (escapes are not supported)");
    size_t len = p->i - start;
    p->i++;
    if (len >= cap)
        return sl_errorf(p->e,
                         "%s: malformed header: a string of %zu characters, at most %zu expected",
                         p->path, len, cap - 1);
    memcpy(out, p->s + start, len);
    out[len] = '\0';
    return 0;
}

static int parse_bool(Parser *p, int *v)
{
    skip_ws(p);
    size_t start = p->i;
    while (isalpha(peek(p)))
        p->i++;
    size_t len = p->i - start;
    if (len == 4 && !memcmp(p->s + start, "True", 4))
        *v = 1;
    else if (len == 5 && !memcmp(p->s + start, "False", 5))
        *v = 0;
    else {
        p->i = start;
        return syntax(p, "True or False");
    }
    return 0;
}

/* A non-negative integer that fits in int. NumPy under Python 2 wrote longs with an L: (3L, 4L). */
static int parse_dim(Parser *p, int *out)
{
    skip_ws(p);
    if (peek(p) == '-')
        return sl_errorf(p->e, "%s: the shape has a negative dimension", p->path);
    if (!isdigit(peek(p)))
        return syntax(p, "a dimension (a non-negative integer)");
    long long v = 0;
    while (isdigit(peek(p))) {
        v = v * 10 + (p->s[p->i++] - '0');
        if (v > INT_MAX)
            return sl_errorf(p->e, "%s: a dimension of the shape is larger than %d", p->path,
                             INT_MAX);
    }
    if (peek(p) == 'L')
        p->i++;
    *out = (int)v;
    return 0;
}

/* A tuple of dimensions: (), (5,), (3, 4) or (3, 4,). */
static int parse_shape(Parser *p, Header *h)
{
    skip_ws(p);
    if (peek(p) != '(')
        return syntax(p, "a shape tuple such as (3, 4)");
    p->i++;
    int comma = 0;
    for (h->rank = 0;;) {
        skip_ws(p);
        if (peek(p) == ')')
            break;
        int d = 0;
        if (parse_dim(p, &d) < 0)
            return -1;
        if (h->rank < SL_MAX_RANK)
            h->dim[h->rank] = d;
        h->rank++;
        skip_ws(p);
        comma = peek(p) == ',';
        if (comma)
            p->i++;
        else if (peek(p) != ')')
            return syntax(p, "',' or ')' in the shape");
    }
    p->i++;
    if (h->rank == 1 && !comma) /* Python reads (5) as the number 5, not a tuple */
        return sl_errorf(p->e, "%s: the shape (%d) is not a tuple; a 1-d shape is written (%d,)",
                         p->path, h->dim[0], h->dim[0]);
    return 0;
}

static int parse_descr(Parser *p, Header *h)
{
    skip_ws(p);
    if (peek(p) == '[')
        return sl_errorf(p->e,
                         "%s: the array has a structured dtype (its descr is a list of fields); "
                         "shapelab reads plain arrays of f4 f8 i1 i2 i4 i8 u1 b1",
                         p->path);
    return parse_string(p, h->descr, sizeof h->descr);
}

/* 'key': value, for one of the three keys, each at most once. */
static int parse_entry(Parser *p, Header *h)
{
    char key[KEY_MAX];
    if (parse_string(p, key, sizeof key) < 0)
        return -1;
    int k = 0;
    while (k < 3 && strcmp(key, KEYS[k]))
        k++;
    if (k == 3)
        return sl_errorf(p->e,
                         "%s: the header has an unexpected key '%s' (a .npy header holds exactly "
                         "'descr', 'fortran_order' and 'shape')",
                         p->path, key);
    if (h->seen & (1 << k))
        return sl_errorf(p->e, "%s: the header repeats the key '%s'", p->path, key);
    h->seen |= 1 << k;
    skip_ws(p);
    if (peek(p) != ':')
        return syntax(p, "':' after the key");
    p->i++;
    if (k == 0)
        return parse_descr(p, h);
    if (k == 1)
        return parse_bool(p, &h->fortran);
    return parse_shape(p, h);
}

/* { entry, entry, entry } with an optional trailing comma, then only whitespace. */
static int parse_dict(Parser *p, Header *h)
{
    skip_ws(p);
    if (peek(p) != '{')
        return sl_errorf(p->e,
                         "%s: the header is not a Python dict literal like {'descr': '<f4', "
                         "'fortran_order': False, 'shape': (3, 4), }",
                         p->path);
    p->i++;
    for (;;) {
        skip_ws(p);
        if (peek(p) == '}')
            break;
        if (parse_entry(p, h) < 0)
            return -1;
        skip_ws(p);
        if (peek(p) == ',')
            p->i++;
        else if (peek(p) != '}')
            return syntax(p, "',' or '}'");
    }
    p->i++;
    skip_ws(p);
    if (p->i != p->n)
        return syntax(p, "the end of the header after '}'");
    for (int k = 0; k < 3; k++)
        if (!(h->seen & (1 << k)))
            return sl_errorf(p->e, "%s: the header has no '%s' key", p->path, KEYS[k]);
    return 0;
}

/* ---- checking what the header says ---- */

static int find_dtype(const char *descr, const char *path, SlNpyType *type, int *size, SlError *e)
{
    for (size_t k = 0; descr[0] && k < sizeof DTYPES / sizeof DTYPES[0]; k++) {
        if (strcmp(descr + 1, DTYPES[k].name))
            continue;
        if (descr[0] == '<' || (descr[0] == '|' && DTYPES[k].size == 1)) {
            *type = DTYPES[k].type;
            *size = DTYPES[k].size;
            return 0;
        }
        if (descr[0] == '>')
            return sl_errorf(e,
                             "%s: the data is big-endian (dtype '%s'); shapelab reads "
                             "little-endian: save arr.astype('<%s')",
                             path, descr, DTYPES[k].name);
    }
    return sl_errorf(e,
                     "%s: dtype '%s' is not supported; shapelab reads little-endian f4 f8 i1 i2 i4 "
                     "i8 u1 b1 (such as '<f4', '<i8', '|u1', '|b1'), not complex numbers, strings, "
                     "objects or records",
                     path, descr);
}

/* Fill out->type and out->shape from the header; *size: bytes per element. */
static int check_header(const Header *h, const char *path, SlNpy *out, int *size, SlError *e)
{
    if (find_dtype(h->descr, path, &out->type, size, e) < 0)
        return -1;
    if (h->rank > SL_MAX_RANK)
        return sl_errorf(e, "%s: the array has %d axes; shapelab handles at most %d", path, h->rank,
                         SL_MAX_RANK);
    int big = 0; /* axes longer than 1: with at most one, both orders lay out the same bytes */
    for (int i = 0; i < h->rank; i++)
        big += h->dim[i] > 1;
    if (h->fortran && big > 1)
        return sl_errorf(e,
                         "%s: Fortran-ordered arrays are not supported; save with "
                         "np.ascontiguousarray",
                         path);
    out->shape = sl_shape_of(h->rank, h->dim);
    return 0;
}

/* The element count and byte count of the shape; an error if they overflow size_t. */
static int data_size(const SlShape *s, int size, size_t *count, size_t *bytes, const char *path,
                     SlError *e)
{
    size_t n = 1;
    for (int i = 0; i < s->rank; i++)
        if (s->dim[i] == 0)
            n = 0;
    for (int i = 0; i < s->rank && n; i++) {
        if (n > SIZE_MAX / (size_t)s->dim[i] / (size_t)size) {
            char b[128];
            return sl_errorf(e, "%s: the shape %s is impossibly large (its size overflows)", path,
                             sl_shape_str(s, b, sizeof b));
        }
        n *= (size_t)s->dim[i];
    }
    *count = n;
    *bytes = n * (size_t)size;
    return 0;
}

/* ---- reading ---- */

static uint64_t le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* One little-endian element at p. */
static sl_real convert(SlNpyType type, const unsigned char *p)
{
    float f;
    double d;
    uint32_t u32;
    uint64_t u64;
    switch (type) {
    case SL_NPY_F4:
        u32 = (uint32_t)le(p, 4);
        memcpy(&f, &u32, 4);
        return (sl_real)f;
    case SL_NPY_F8:
        u64 = le(p, 8);
        memcpy(&d, &u64, 8);
        return (sl_real)d;
    case SL_NPY_I1:
        return (sl_real)(int8_t)p[0];
    case SL_NPY_I2:
        return (sl_real)(int16_t)le(p, 2);
    case SL_NPY_I4:
        return (sl_real)(int32_t)le(p, 4);
    case SL_NPY_I8:
        return (sl_real)(int64_t)le(p, 8);
    case SL_NPY_U1:
    case SL_NPY_B1:
        return (sl_real)p[0];
    }
    return 0;
}

/* Magic, version and header length; leaves f at the start of the header. */
static int read_preamble(FILE *f, const char *path, unsigned long long size, size_t *hstart,
                         size_t *hlen, SlError *e)
{
    unsigned char b[12] = {0};
    if (size == 0)
        return sl_errorf(e, "%s: empty file (not a .npy file)", path);
    size_t got = fread(b, 1, size < sizeof b ? (size_t)size : sizeof b, f);
    if (got < 6 || memcmp(b, MAGIC, 6))
        return sl_errorf(e, "%s: not a .npy file (bad magic)", path);
    if (got < 8)
        return sl_errorf(e, "%s: truncated: the file ends inside the .npy preamble", path);
    if (b[6] < 1 || b[6] > 3 || b[7] != 0)
        return sl_errorf(e,
                         "%s: unsupported .npy format version %d.%d (shapelab reads 1.0, 2.0 and "
                         "3.0)",
                         path, b[6], b[7]);
    int lenbytes = b[6] == 1 ? 2 : 4;
    if (got < (size_t)(8 + lenbytes))
        return sl_errorf(e, "%s: truncated: the file ends inside the .npy preamble", path);
    uint64_t hl = le(b + 8, lenbytes);
    if (hl > MAX_HEADER)
        return sl_errorf(e, "%s: header length %llu is over shapelab's limit of %d bytes", path,
                         (unsigned long long)hl, MAX_HEADER);
    if (8 + lenbytes + hl > size)
        return sl_errorf(e, "%s: header length %llu runs past the end of the file (%llu bytes)",
                         path, (unsigned long long)hl, size);
    *hstart = (size_t)(8 + lenbytes);
    *hlen = (size_t)hl;
    if (fseek(f, (long)*hstart, SEEK_SET) != 0)
        return sl_errorf(e, "%s: cannot seek: %s", path, strerror(errno));
    return 0;
}

static int read_header(FILE *f, const char *path, size_t hlen, Header *h, SlError *e)
{
    char *text = sl_alloc(hlen + 1);
    if (!text)
        return sl_errorf(e, "%s: out of memory reading the header", path);
    int rc;
    if (fread(text, 1, hlen, f) != hlen) {
        rc = sl_errorf(e, "%s: read error in the header", path);
    } else {
        Parser p = {text, hlen, 0, path, e};
        memset(h, 0, sizeof *h);
        rc = parse_dict(&p, h);
    }
    sl_free(text);
    return rc;
}

/* count elements of `size` bytes each, converted as they are read, a chunk at a time. */
static int read_values(FILE *f, SlNpy *out, size_t count, int size, const char *path, SlError *e)
{
    unsigned char buf[CHUNK];
    size_t per = CHUNK / (size_t)size;
    for (size_t i = 0; i < count;) {
        size_t n = count - i < per ? count - i : per;
        if (fread(buf, (size_t)size, n, f) != n)
            return sl_errorf(e, "%s: read error in the data", path);
        for (size_t j = 0; j < n; j++, i++) {
            const unsigned char *p = buf + j * (size_t)size;
            if (out->type == SL_NPY_B1 && p[0] > 1)
                return sl_errorf(e, "%s: element %zu of the bool array is %d; bools are 0 or 1",
                                 path, i, p[0]);
            out->data[i] = convert(out->type, p);
        }
    }
    return 0;
}

/* Everything before the data: the header parsed and checked, and that the data is exactly as
 * long as the shape says and within the size limit; f is left at the first value. */
static int read_head(FILE *f, SlNpy *out, const char *path, unsigned long long size, size_t *count,
                     int *esize, SlError *e)
{
    size_t hstart = 0, hlen = 0, bytes = 0;
    Header h;
    if (read_preamble(f, path, size, &hstart, &hlen, e) < 0 ||
        read_header(f, path, hlen, &h, e) < 0 || check_header(&h, path, out, esize, e) < 0 ||
        data_size(&out->shape, *esize, count, &bytes, path, e) < 0)
        return -1;
    if (*count > SL_MAX_ELEMENTS) {
        char b[128];
        return sl_errorf(e, "%s: the array %s holds %zu values, more than shapelab's limit of %d",
                         path, sl_shape_str(&out->shape, b, sizeof b), *count, SL_MAX_ELEMENTS);
    }
    unsigned long long have = size - hstart - hlen;
    if (have < bytes)
        return sl_errorf(e, "%s: truncated: header says %zu bytes of data, file has %llu", path,
                         bytes, have);
    if (have > bytes)
        return sl_errorf(e,
                         "%s: %llu trailing bytes after the data: header says %zu bytes of data, "
                         "file has %llu",
                         path, have - bytes, bytes, have);
    return 0;
}

int sl_npy_read_stream(SlNpy *out, FILE *f, unsigned long long size, const char *path, SlError *e)
{
    size_t count = 0;
    int esize = 1;
    memset(out, 0, sizeof *out);
    int rc = read_head(f, out, path, size, &count, &esize, e);
    if (rc == 0) {
        out->data = sl_alloc_zero(count ? count : 1, sizeof(sl_real)); /* never NULL */
        rc = out->data ? read_values(f, out, count, esize, path, e)
                       : sl_errorf(e, "%s: out of memory for %zu values", path, count);
    }
    if (rc < 0)
        sl_npy_free(out);
    return rc;
}

int sl_npy_read(SlNpy *out, const char *path, SlError *e)
{
    memset(out, 0, sizeof *out);
    unsigned long long size;
    FILE *f = sl_open_input(path, &size, e);
    if (!f)
        return -1;
    int rc = sl_npy_read_stream(out, f, size, path, e);
    fclose(f);
    return rc;
}

int sl_npy_peek(const char *path, SlShape *shape, SlError *e)
{
    unsigned long long size;
    size_t count;
    int esize;
    SlNpy head;
    memset(&head, 0, sizeof head);
    FILE *f = sl_open_input(path, &size, e);
    if (!f)
        return -1;
    int rc = read_head(f, &head, path, size, &count, &esize, e);
    fclose(f);
    *shape = head.shape;
    return rc;
}

void sl_npy_free(SlNpy *a)
{
    if (!a)
        return;
    sl_free(a->data);
    memset(a, 0, sizeof *a);
}

/* ---- writing ---- */

static int check_tensor(const char *path, const SlTensor *t, SlError *e)
{
    char b[128];
    if (t->shape.rank < 0 || t->shape.rank > SL_MAX_RANK)
        return sl_errorf(e, "%s: cannot save a tensor of rank %d", path, t->shape.rank);
    if (!sl_shape_is_concrete(&t->shape))
        return sl_errorf(e, "%s: cannot save a tensor of shape %s: every dimension must be known",
                         path, sl_shape_str(&t->shape, b, sizeof b));
    if (!t->data && sl_tensor_count(t) > 0)
        return sl_errorf(e, "%s: cannot save a tensor without data", path);
    return 0;
}

/* The header dict padded with spaces and a final '\n' so that the data starts at a multiple of 64
 * bytes, as NumPy writes it. Returns its length (at most 256 - 64: rank <= 5, dims <= 10 digits). */
static size_t format_header(char *h, size_t cap, const SlShape *s)
{
    char shape[128];
    size_t u = (size_t)snprintf(h, cap, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                                sizeof(sl_real) == 4 ? "<f4" : "<f8",
                                sl_shape_str(s, shape, sizeof shape));
    while ((10 + u + 1) % 64 && u + 2 < cap)
        h[u++] = ' ';
    h[u++] = '\n';
    return u;
}

/* The whole file: magic, version, header, data. Returns 0 or an errno value. */
static int fill_npy(FILE *f, void *ctx)
{
    const SlTensor *t = ctx;
    char h[256];
    size_t hl = format_header(h, sizeof h, &t->shape);
    unsigned char pre[10] = {
        0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hl & 0xff), (unsigned char)(hl >> 8)};
    size_t bytes = sl_tensor_count(t) * sizeof(sl_real);
    int ok = fwrite(pre, 1, sizeof pre, f) == sizeof pre && fwrite(h, 1, hl, f) == hl &&
             (bytes == 0 || fwrite(t->data, 1, bytes, f) == bytes);
    return ok ? 0 : (errno ? errno : EIO);
}

int sl_npy_write(const char *path, const SlTensor *t, SlError *e)
{
    if (check_tensor(path, t, e) < 0)
        return -1;
    return sl_save_file(path, fill_npy, (void *)t, e);
}
