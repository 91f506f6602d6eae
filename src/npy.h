/* npy.h: NumPy .npy files: the format data comes in and predictions go out.
 *
 * Reading accepts what np.save writes for little-endian f4 f8 i1 i2 i4 i8 u1 b1 arrays in C order
 * (format versions 1.0, 2.0 and 3.0) and converts the values to sl_real. Everything is validated
 * before a value is used; every error starts with the file's path and says what is wrong.
 * Writing produces what np.load reads: '<f4' (or '<f8' in the double build), version 1.0, C
 * order, saved atomically (a temporary file beside the target, then a rename).
 */
#ifndef SL_NPY_H
#define SL_NPY_H

#include <stdio.h>

#include "error.h"
#include "tensor.h"

typedef enum SlNpyType {
    SL_NPY_F4,
    SL_NPY_F8,
    SL_NPY_I1,
    SL_NPY_I2,
    SL_NPY_I4,
    SL_NPY_I8,
    SL_NPY_U1,
    SL_NPY_B1
} SlNpyType;

typedef struct SlNpy {
    SlShape shape;  /* rank 0..SL_MAX_RANK (a 0-d array has rank 0 and 1 element) */
    SlNpyType type; /* as stored in the file */
    sl_real *data;  /* converted to sl_real, C order; owned (sl_free via sl_npy_free) */
} SlNpy;

/* Read and validate a .npy file (versions 1.0, 2.0, 3.0). Every error names the file and the
 * problem. On success out->data is never NULL (even for 0 elements); on failure *out is zeroed.
 * An array may hold at most SL_MAX_ELEMENTS values. */
int sl_npy_read(SlNpy *out, const char *path, SlError *e);
/* The same from an open stream of `size` bytes (errors call it `path`). */
int sl_npy_read_stream(SlNpy *out, FILE *f, unsigned long long size, const char *path, SlError *e);
/* Only the header, validated as sl_npy_read does (the data's length included): the shape, so that
 * a caller can refuse an array of the wrong shape before reading a value of it. */
int sl_npy_peek(const char *path, SlShape *shape, SlError *e);
void sl_npy_free(SlNpy *a);

/* Write t as little-endian float32 ('<f4') in the float build, float64 ('<f8') in the double
 * build (sizeof(sl_real)), version 1.0, C order. Atomic (files.h): a temporary file beside it,
 * then a rename; on any failure no file at PATH (an older file there stays as it was). */
int sl_npy_write(const char *path, const SlTensor *t, SlError *e);

#endif
