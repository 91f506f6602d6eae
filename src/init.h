/* init.h: Keras's weight initializers, drawn from the project's own seeded RNG so a seed gives the
 * same weights on every machine.
 *
 * An initializer is what a layer's *_initializer argument names or makes: a string
 * ('glorot_uniform', 'HeNormal', 'zeros') or an object with its arguments
 * (keras.initializers.RandomNormal(stddev=0.02, seed=1), Constant(0.5)). The same numbers as Keras
 * come out of the formulas, never out of the draws: shapelab's generator is not Keras's, so a
 * seed gives the same weights every time within shapelab, and other ones than in Keras.
 */
#ifndef SL_INIT_H
#define SL_INIT_H

#include "args.h"
#include "error.h"
#include "rng.h"
#include "tensor.h"

typedef enum SlInitKind {
    SL_INIT_CONSTANT,   /* zeros, ones, Constant(value) */
    SL_INIT_NORMAL,     /* RandomNormal(mean, stddev) */
    SL_INIT_UNIFORM,    /* RandomUniform(minval, maxval) */
    SL_INIT_TRUNCATED,  /* TruncatedNormal(mean, stddev): draws beyond two stddev are redrawn */
    SL_INIT_SCALED,     /* VarianceScaling(scale, mode, distribution): glorot_*, he_*, lecun_* */
    SL_INIT_ORTHOGONAL, /* Orthogonal(gain) */
    SL_INIT_IDENTITY    /* Identity(gain): 2-D weights only */
} SlInitKind;

typedef enum SlFanMode { SL_FAN_IN, SL_FAN_OUT, SL_FAN_AVG } SlFanMode;
typedef enum SlScaledDist { SL_DIST_TRUNCATED, SL_DIST_UNTRUNCATED, SL_DIST_UNIFORM } SlScaledDist;

typedef struct SlInit {
    SlInitKind kind;
    double a, b;       /* CONSTANT: value; NORMAL, TRUNCATED: mean, stddev; UNIFORM: minval, maxval;
                    SCALED: scale; ORTHOGONAL, IDENTITY: gain */
    SlFanMode mode;    /* SCALED */
    SlScaledDist dist; /* SCALED */
    int has_seed;      /* seed=: the same numbers every time, whatever the model's seed */
    long long seed;
    int unit_forget; /* an LSTM bias with unit_forget_bias: the forget block is ones (Keras) */
    char text[80];   /* as written: 'glorot_uniform', RandomNormal(stddev=0.02) */
} SlInit;

/* The initializer a name spells ("glorot_uniform", "GlorotUniform", "uniform", "zeros"), with
 * its class's defaults; -1 when shapelab does not know the name. */
int sl_init_named(SlInit *out, const char *name);
/* The initializer a value gives (a name, or an object with arguments); `key` names the argument
 * in errors ("kernel_initializer"). */
int sl_init_from(SlInit *out, const SlArgs *a, const SlValue *v, const char *key, SlError *e);
/* The initializer argument `key` of b. */
int sl_init_read(SlInit *out, const SlBound *b, const char *key, SlError *e);
/* The names shapelab knows, for error messages. */
const char *sl_init_names(void);
/* Can init fill a weight of shape s? (Orthogonal needs 2 axes or more, Identity exactly 2.) */
int sl_init_check(const SlInit *init, const SlShape *s, SlError *e);
/* Keras's fans: rank 2 (in, out); rank > 2 multiplies both by the receptive field (all axes but
 * the last two), as for a Conv1D kernel (k, in, filters). */
void sl_init_fans(const SlShape *s, double *fan_in, double *fan_out);
/* Fill a weight of shape s (no batch axis) from r. -1 when memory runs out (orthogonal needs a
 * scratch matrix). */
int sl_init_fill(const SlInit *init, sl_real *data, const SlShape *s, SlRng *r);

#endif
