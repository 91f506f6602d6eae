/* tensor.h: shapes and tensors.
 *
 * A shape lists up to SL_MAX_RANK dimensions, the batch axis first, as Keras prints them:
 * (None, 100, 32) is rank 3 with dim[0] = SL_NONE. While a model is being built, dimensions may be
 * unknown (SL_NONE, printed "None"); when data flows every dimension is concrete.
 *
 * A tensor is a view: a shape plus a pointer to row-major data that lives in an arena (parameters,
 * gradients, activations) owned by someone else. Element (b, t, c) of a (B, T, C) tensor is
 * data[(b*T + t)*C + c].
 */
#ifndef SL_TENSOR_H
#define SL_TENSOR_H

#include <limits.h>
#include <stddef.h>

#include "error.h"

/* One scalar type for the whole engine: float32 by default, double when built with -DSL_DOUBLE
 * (build/f64/). Gradient checks run on the double build. */
#ifdef SL_DOUBLE
typedef double sl_real;
#define SL_REAL_NAME "float64"
#else
typedef float sl_real;
#define SL_REAL_NAME "float32"
#endif

enum { SL_MAX_RANK = 5 };
/* An unknown dimension, printed "None". Not -1, which Reshape uses for "work this size out". */
#define SL_NONE INT_MIN

typedef struct SlShape {
    int rank;
    int dim[SL_MAX_RANK];
} SlShape;

typedef struct SlTensor {
    SlShape shape;
    sl_real *data;
} SlTensor;

/* sl_shape_of(3, (int[]){SL_NONE, 100, 32}) */
SlShape sl_shape_of(int rank, const int *dims);
/* Number of elements; requires every dimension to be concrete (returns 0 otherwise). */
size_t sl_shape_count(const SlShape *s);
/* Number of elements per sample: the product of dims 1..rank-1, or 0 if one is unknown. */
size_t sl_shape_sample_count(const SlShape *s);
int sl_shape_is_concrete(const SlShape *s);
int sl_shape_equal(const SlShape *a, const SlShape *b);
/* Could a concrete shape `c` flow where the symbolic shape `s` is expected (None matches any)? */
int sl_shape_matches(const SlShape *s, const SlShape *c);
/* Keras spelling: "(None, 100, 32)", "(None, 32)", "(4,)". Returns buf. */
char *sl_shape_str(const SlShape *s, char *buf, size_t n);

/* A view of `data` with shape s. */
SlTensor sl_tensor(SlShape s, sl_real *data);
size_t sl_tensor_count(const SlTensor *t);
void sl_tensor_zero(SlTensor *t);
/* Data must hold numbers: the first NaN or Inf is an error that names the array (`name`), the
 * flat index and the fix. */
int sl_tensor_check_finite(const SlTensor *t, const char *name, SlError *e);

#endif
