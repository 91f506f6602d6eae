/* safetensors.h: reading and writing safetensors files (weights and the test fixtures).
 *
 * Layout: an 8-byte little-endian header length N, N bytes of JSON
 *   {"__metadata__": {"k": "v"}, "dense/kernel": {"dtype": "F32", "shape": [13, 64],
 *    "data_offsets": [0, 3328]}, ...}
 * then the data, each tensor little-endian and C-ordered at its offsets. Reading validates all of
 * it (magic length, JSON, dtypes, shapes, offsets inside the data and not overlapping, sizes
 * agreeing) before any value is used; every error names the file. Writing goes to a temporary file
 * beside the target, then renames it, so a failed save never leaves a partial file.
 */
#ifndef SL_SAFETENSORS_H
#define SL_SAFETENSORS_H

#include <stddef.h>

#include "error.h"
#include "tensor.h"

enum { SL_ST_MAX_RANK = 8, SL_ST_NAME_MAX = 200 };

typedef enum SlStDtype { SL_ST_F32, SL_ST_F64 } SlStDtype;

typedef struct SlStTensor {
    char name[SL_ST_NAME_MAX];
    SlStDtype dtype;
    int rank;
    long long dim[SL_ST_MAX_RANK];
    size_t count;
    size_t begin, end; /* byte offsets into the data section */
} SlStTensor;

typedef struct SlSafetensors {
    char path[256];
    int n;
    SlStTensor *tensors;
    const SlStTensor **by_name; /* the tensors in the order of their names */
    int n_meta;
    char **meta_key, **meta_val;
    unsigned char *data; /* the data section */
    size_t data_len;
    unsigned char *file; /* the whole file, owned */
} SlSafetensors;

int sl_st_read(SlSafetensors *st, const char *path, SlError *e);
/* The same on the len bytes of a file already in memory, which st owns from then on (they are
 * freed by sl_st_free, or here on error; allocated with sl_alloc). Errors call the file `path`. */
int sl_st_parse(SlSafetensors *st, const char *path, unsigned char *file, size_t len, SlError *e);
void sl_st_free(SlSafetensors *st);
const SlStTensor *sl_st_find(const SlSafetensors *st, const char *name);
const char *sl_st_meta(const SlSafetensors *st, const char *key); /* NULL if absent */
/* Copy tensor `name` into out (count elements, converted to sl_real); -1 with an error naming the
 * file if it is missing or its element count differs. shape (may be NULL) receives its shape. */
int sl_st_get(const SlSafetensors *st, const char *name, sl_real *out, size_t count, SlShape *shape,
              SlError *e);

/* Write tensors (in the build's precision: F32, or F64 in build/f64) with optional metadata
 * (n_meta key/value pairs). Atomic: temp file, then rename. */
int sl_st_write(const char *path, int n, const char *const *names, const SlTensor *tensors,
                int n_meta, const char *const *meta_keys, const char *const *meta_vals, SlError *e);

#endif
