/* init.h: Keras's weight initializers, drawn from the project's own seeded RNG so a seed gives the
 * same weights on every machine. */
#ifndef SL_INIT_H
#define SL_INIT_H

#include "args.h"
#include "error.h"
#include "rng.h"
#include "tensor.h"

/* 1 if shapelab knows the initializer name ("glorot_uniform", "orthogonal", "zeros", ...). */
int sl_init_known(const char *name);
const char *sl_init_names(void);
/* The initializer named by the argument `key` of b, copied to dst (n bytes) once it is known; the
 * error names the argument, the value and the choices, as every layer words it. */
int sl_init_read(char *dst, size_t n, const SlBound *b, const char *key, SlError *e);
/* Keras's fans: rank 2 (in, out); rank > 2 multiplies both by the receptive field (all axes but
 * the last two), as for a Conv1D kernel (k, in, filters). */
void sl_init_fans(const SlShape *s, double *fan_in, double *fan_out);
/* Fill a parameter of shape s (no batch axis). -1 if the name is unknown or memory runs out
 * (orthogonal needs a scratch matrix). */
int sl_init_fill(const char *name, sl_real *data, const SlShape *s, SlRng *r);

#endif
