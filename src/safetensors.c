/* safetensors.c: validated reading and atomic writing (see safetensors.h). */
#include "safetensors.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "json.h"
#include "files.h"

enum { MAX_FILE = 1 << 30, MAX_HEADER = 100 << 20, MAX_TENSORS = 100000 };

static int st_err(SlError *e, const char *path, const char *what)
{
    return sl_errorf(e, "%s: %s", path, what);
}

/* Read a whole file into memory, refusing what is not a regular file and huge files. */
static unsigned char *slurp(const char *path, size_t *len, SlError *e)
{
    unsigned long long size;
    FILE *f = sl_open_input(path, &size, e);
    if (!f)
        return NULL;
    unsigned char *buf = NULL;
    if (size > MAX_FILE) {
        sl_errorf(e, "%s: file too large (%llu bytes; shapelab reads up to %d)", path, size,
                  MAX_FILE);
    } else if (!(buf = sl_alloc((size_t)size + 1))) {
        sl_errorf(e, "%s: out of memory reading %llu bytes", path, size);
    } else if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        sl_errorf(e, "%s: read error", path);
        sl_free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = buf ? (size_t)size : 0;
    return buf;
}

static uint64_t le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static int parse_entry(SlStTensor *t, const SlJsonDoc *d, const SlJsonNode *v, const char *path,
                       size_t data_len, SlError *e)
{
    char msg[400];
    const SlJsonNode *dt = sl_json_get(d, v, "dtype"), *sh = sl_json_get(d, v, "shape"),
                     *off = sl_json_get(d, v, "data_offsets");
    snprintf(t->name, sizeof t->name, "%s", v->key);
    if (strlen(v->key) >= sizeof t->name)
        return st_err(e, path, "a tensor name is too long");
    if (!dt || dt->kind != SL_JSON_STRING || !sh || sh->kind != SL_JSON_ARRAY || !off ||
        off->kind != SL_JSON_ARRAY || off->count != 2) {
        snprintf(msg, sizeof msg,
                 "tensor '%s' needs \"dtype\", \"shape\" and two "
                 "\"data_offsets\"",
                 t->name);
        return st_err(e, path, msg);
    }
    if (!strcmp(dt->str, "F32"))
        t->dtype = SL_ST_F32;
    else if (!strcmp(dt->str, "F64"))
        t->dtype = SL_ST_F64;
    else {
        snprintf(msg, sizeof msg, "tensor '%s' has dtype %s; shapelab reads F32 and F64", t->name,
                 dt->str);
        return st_err(e, path, msg);
    }
    if (sh->count > SL_ST_MAX_RANK) {
        snprintf(msg, sizeof msg, "tensor '%s' has %d axes; at most %d", t->name, sh->count,
                 SL_ST_MAX_RANK);
        return st_err(e, path, msg);
    }
    t->rank = sh->count;
    t->count = 1;
    for (int i = 0; i < t->rank; i++) {
        const SlJsonNode *x = sl_json_child(d, sh, i);
        if (x->kind != SL_JSON_NUMBER || x->num < 0 || x->num > 1e12 || x->num != (long long)x->num)
            return st_err(e, path, "a shape entry is not a non-negative integer");
        t->dim[i] = (long long)x->num;
        if (t->dim[i] && t->count > (size_t)MAX_FILE / (size_t)t->dim[i])
            return st_err(e, path, "a tensor's shape is impossibly large");
        t->count *= (size_t)t->dim[i];
    }
    const SlJsonNode *b = sl_json_child(d, off, 0), *en = sl_json_child(d, off, 1);
    if (b->kind != SL_JSON_NUMBER || en->kind != SL_JSON_NUMBER || b->num < 0 || en->num < b->num ||
        en->num > (double)data_len || b->num != (long long)b->num ||
        en->num != (long long)en->num) {
        snprintf(msg, sizeof msg, "tensor '%s' has data_offsets outside the %zu bytes of data",
                 t->name, data_len);
        return st_err(e, path, msg);
    }
    t->begin = (size_t)b->num;
    t->end = (size_t)en->num;
    size_t esize = t->dtype == SL_ST_F32 ? 4 : 8;
    if (t->end - t->begin != t->count * esize) {
        snprintf(msg, sizeof msg,
                 "tensor '%s': its shape needs %zu bytes but data_offsets span %zu", t->name,
                 t->count * esize, t->end - t->begin);
        return st_err(e, path, msg);
    }
    return 0;
}

static int cmp_begin(const void *a, const void *b)
{
    const SlStTensor *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp((*(const SlStTensor *const *)a)->name, (*(const SlStTensor *const *)b)->name);
}

/* Tensors must not share bytes, nor a name. Both checks sort, so 100,000 tensors take a moment,
 * not the square of their count. The order by name stays in st->by_name for sl_st_find. */
static int check_layout(SlSafetensors *st, SlError *e)
{
    SlStTensor *sorted = sl_alloc_zero((size_t)st->n + 1, sizeof *sorted);
    st->by_name = sl_alloc_zero((size_t)st->n + 1, sizeof *st->by_name);
    if (!sorted || !st->by_name) {
        sl_free(sorted);
        return st_err(e, st->path, "out of memory");
    }
    memcpy(sorted, st->tensors, (size_t)st->n * sizeof *sorted);
    qsort(sorted, (size_t)st->n, sizeof *sorted, cmp_begin);
    int rc = 0;
    size_t end = 0; /* the furthest end of the tensors so far; empty ones hold no bytes */
    for (int i = 0; i < st->n && !rc; i++) {
        if (sorted[i].begin == sorted[i].end)
            continue;
        if (sorted[i].begin < end)
            rc = st_err(e, st->path, "two tensors overlap in the data section");
        end = sorted[i].end > end ? sorted[i].end : end;
    }
    sl_free(sorted);
    for (int i = 0; i < st->n; i++)
        st->by_name[i] = &st->tensors[i];
    qsort(st->by_name, (size_t)st->n, sizeof *st->by_name, cmp_name);
    for (int i = 1; i < st->n && !rc; i++)
        if (!strcmp(st->by_name[i]->name, st->by_name[i - 1]->name))
            rc = st_err(e, st->path, "a tensor name appears twice");
    return rc;
}

static int read_header(SlSafetensors *st, const SlJsonDoc *d, SlError *e)
{
    const SlJsonNode *root = &d->nodes[0];
    if (root->kind != SL_JSON_OBJECT)
        return st_err(e, st->path, "the header is not a JSON object");
    if (root->count > MAX_TENSORS)
        return st_err(e, st->path, "too many tensors");
    st->tensors = sl_alloc_zero((size_t)root->count + 1, sizeof *st->tensors);
    st->meta_key = sl_alloc_zero((size_t)root->count + 64, sizeof(char *));
    st->meta_val = sl_alloc_zero((size_t)root->count + 64, sizeof(char *));
    if (!st->tensors || !st->meta_key || !st->meta_val)
        return st_err(e, st->path, "out of memory");
    for (int i = root->first; i >= 0; i = d->nodes[i].next) {
        const SlJsonNode *v = &d->nodes[i];
        if (!strcmp(v->key, "__metadata__")) {
            if (v->kind != SL_JSON_OBJECT)
                return st_err(e, st->path, "__metadata__ is not an object");
            for (int j = v->first; j >= 0 && st->n_meta < root->count + 63; j = d->nodes[j].next) {
                if (d->nodes[j].kind != SL_JSON_STRING)
                    return st_err(e, st->path, "__metadata__ values must be strings");
                st->meta_key[st->n_meta] = sl_strdup(d->nodes[j].key);
                st->meta_val[st->n_meta] = sl_strdup(d->nodes[j].str);
                if (!st->meta_key[st->n_meta] || !st->meta_val[st->n_meta])
                    return st_err(e, st->path, "out of memory");
                st->n_meta++;
            }
            continue;
        }
        if (v->kind != SL_JSON_OBJECT)
            return st_err(e, st->path, "a tensor entry is not an object");
        if (parse_entry(&st->tensors[st->n], d, v, st->path, st->data_len, e) < 0)
            return -1;
        st->n++;
    }
    return check_layout(st, e);
}

int sl_st_read(SlSafetensors *st, const char *path, SlError *e)
{
    size_t len;
    unsigned char *file = slurp(path, &len, e);
    if (!file) {
        memset(st, 0, sizeof *st);
        return -1;
    }
    return sl_st_parse(st, path, file, len, e);
}

int sl_st_parse(SlSafetensors *st, const char *path, unsigned char *file, size_t len, SlError *e)
{
    memset(st, 0, sizeof *st);
    snprintf(st->path, sizeof st->path, "%s", path);
    st->file = file;
    if (len < 8) {
        st_err(e, path, "too short to be a safetensors file (under 8 bytes)");
        sl_st_free(st);
        return -1;
    }
    uint64_t hl = le64(st->file);
    if (hl > MAX_HEADER && hl <= len - 8) {
        char msg[200];
        snprintf(msg, sizeof msg, "header length %llu is over shapelab's limit of %d bytes",
                 (unsigned long long)hl, MAX_HEADER);
        st_err(e, path, msg);
        sl_st_free(st);
        return -1;
    }
    if (hl > len - 8 || hl < 2) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "header length %llu does not fit the file's %zu bytes "
                 "(truncated, or not safetensors)",
                 (unsigned long long)hl, len);
        st_err(e, path, msg);
        sl_st_free(st);
        return -1;
    }
    st->data = st->file + 8 + hl;
    st->data_len = len - 8 - (size_t)hl;
    SlJsonDoc d;
    SlError je;
    if (sl_json_parse(&d, (const char *)st->file + 8, (size_t)hl, &je) < 0) {
        char msg[SL_ERROR_MAX - 300];
        snprintf(msg, sizeof msg, "the header is not valid JSON (%s)", je.msg);
        st_err(e, path, msg);
        sl_st_free(st);
        return -1;
    }
    int rc = read_header(st, &d, e);
    sl_json_free(&d);
    if (rc < 0)
        sl_st_free(st);
    return rc;
}

void sl_st_free(SlSafetensors *st)
{
    for (int i = 0; i < st->n_meta; i++) {
        sl_free(st->meta_key[i]);
        sl_free(st->meta_val[i]);
    }
    sl_free(st->meta_key);
    sl_free(st->meta_val);
    sl_free(st->tensors);
    sl_free(st->by_name);
    sl_free(st->file);
    memset(st, 0, sizeof *st);
}

const SlStTensor *sl_st_find(const SlSafetensors *st, const char *name)
{
    int lo = 0, hi = st->n; /* binary search of the names in order */
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2, c = strcmp(st->by_name[mid]->name, name);
        if (c == 0)
            return st->by_name[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const char *sl_st_meta(const SlSafetensors *st, const char *key)
{
    for (int i = 0; i < st->n_meta; i++)
        if (!strcmp(st->meta_key[i], key))
            return st->meta_val[i];
    return NULL;
}

int sl_st_get(const SlSafetensors *st, const char *name, sl_real *out, size_t count, SlShape *shape,
              SlError *e)
{
    const SlStTensor *t = sl_st_find(st, name);
    if (!t)
        return sl_errorf(e, "%s: no tensor named '%s'", st->path, name);
    if (t->count != count)
        return sl_errorf(e, "%s: tensor '%s' has %zu values, expected %zu", st->path, name,
                         t->count, count);
    if (shape) {
        if (t->rank > SL_MAX_RANK)
            return sl_errorf(e, "%s: tensor '%s' has %d axes; at most %d", st->path, name, t->rank,
                             SL_MAX_RANK);
        shape->rank = t->rank;
        for (int i = 0; i < t->rank; i++)
            shape->dim[i] = (int)t->dim[i];
    }
    const unsigned char *p = st->data + t->begin;
    for (size_t i = 0; i < count; i++) {
        if (t->dtype == SL_ST_F32) {
            uint32_t u = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
                         (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
            float f;
            memcpy(&f, &u, 4);
            out[i] = (sl_real)f;
        } else {
            uint64_t u = le64(p + 8 * i);
            double f;
            memcpy(&f, &u, 8);
            out[i] = (sl_real)f;
        }
    }
    return 0;
}

/* ---- writing ---- */

static size_t json_escape(char *out, size_t n, const char *s)
{
    size_t k = 0;
    for (; *s && k + 7 < n; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            k += (size_t)snprintf(out + k, n - k, "\\%c", c);
        else if (c < 0x20)
            k += (size_t)snprintf(out + k, n - k, "\\u%04x", c);
        else
            out[k++] = (char)c;
    }
    out[k] = '\0';
    return k;
}

typedef struct StFile {
    const char *header;
    size_t header_len; /* a multiple of 8 */
    int n;
    const SlTensor *tensors;
} StFile;

static int write_all(FILE *f, const void *p, size_t n)
{
    return fwrite(p, 1, n, f) == n ? 0 : (errno ? errno : EIO);
}

/* The header's length (8 bytes, little-endian), the header, then each tensor's data in order. */
static int fill_st(FILE *f, void *ctx)
{
    const StFile *st = ctx;
    unsigned char len8[8];
    for (int i = 0; i < 8; i++)
        len8[i] = (unsigned char)((uint64_t)st->header_len >> (8 * i));
    int err = write_all(f, len8, 8);
    if (!err)
        err = write_all(f, st->header, st->header_len);
    for (int i = 0; i < st->n && !err; i++) /* the machines shapelab runs on are little-endian */
        err = write_all(f, st->tensors[i].data, sl_tensor_count(&st->tensors[i]) * sizeof(sl_real));
    return err;
}

int sl_st_write(const char *path, int n, const char *const *names, const SlTensor *tensors,
                int n_meta, const char *const *meta_keys, const char *const *meta_vals, SlError *e)
{
    size_t cap = 256 + (size_t)n * 512 + (size_t)n_meta * 1024, u = 0, off = 0;
    char *h = sl_alloc(cap), esc[900];
    if (!h)
        return st_err(e, path, "out of memory");
    u += (size_t)snprintf(h + u, cap - u, "{");
    if (n_meta) {
        u += (size_t)snprintf(h + u, cap - u, "\"__metadata__\":{");
        for (int i = 0; i < n_meta; i++) {
            json_escape(esc, sizeof esc, meta_keys[i]);
            u += (size_t)snprintf(h + u, cap - u, "%s\"%s\":", i ? "," : "", esc);
            json_escape(esc, sizeof esc, meta_vals[i]);
            u += (size_t)snprintf(h + u, cap - u, "\"%s\"", esc);
        }
        u += (size_t)snprintf(h + u, cap - u, "}%s", n ? "," : "");
    }
    for (int i = 0; i < n; i++) {
        size_t bytes = sl_tensor_count(&tensors[i]) * sizeof(sl_real);
        json_escape(esc, sizeof esc, names[i]);
        u += (size_t)snprintf(h + u, cap - u, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[",
                              i ? "," : "", esc, sizeof(sl_real) == 4 ? "F32" : "F64");
        for (int d = 0; d < tensors[i].shape.rank; d++)
            u += (size_t)snprintf(h + u, cap - u, "%s%d", d ? "," : "", tensors[i].shape.dim[d]);
        u += (size_t)snprintf(h + u, cap - u, "],\"data_offsets\":[%zu,%zu]}", off, off + bytes);
        off += bytes;
    }
    u += (size_t)snprintf(h + u, cap - u, "}");
    while (u % 8 && u + 1 < cap) /* pad with spaces so the data starts 8-byte aligned */
        h[u++] = ' ';
    if (u + 1 >= cap) {
        sl_free(h);
        return st_err(e, path, "header too long");
    }
    StFile st = {h, u, n, tensors};
    int rc = sl_save_file(path, fill_st, &st, e);
    sl_free(h);
    return rc;
}
