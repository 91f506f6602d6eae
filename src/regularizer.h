/* regularizer.h: what training does to a weight besides the gradient step, as Keras 3 does it.
 *
 * A regularizer adds a term to the loss that fit reports and minimizes:
 *   L1(l1=0.01)           l1 * sum |w|
 *   L2(l2=0.01)           l2 * sum w^2
 *   L1L2(l1=0.0, l2=0.0)  both (Keras 3's defaults are 0 and 0: l1_l2() alone adds nothing)
 * on a weight (kernel_regularizer=, bias_regularizer=, recurrent_regularizer=, ...), or on a
 * layer's outputs (activity_regularizer=, ActivityRegularization), where the term of each output
 * is divided by its batch size. Its gradient: l1 sign(w) + 2 l2 w (sign(0) = 0).
 *
 * A constraint projects a weight after each optimizer step (kernel_constraint=, ...). With n the
 * Euclidean norm over `axis` (keeping the other axes: axis=0 of a Dense kernel (in, units) is the
 * norm of each unit's incoming weights) and eps = 1e-7 (Keras's epsilon):
 *   MaxNorm(max_value=2, axis=0)     w * clip(n, 0, max_value) / (eps + n)
 *   UnitNorm(axis=0)                 w / (eps + n)
 *   MinMaxNorm(min_value=0.0, max_value=1.0, rate=1.0, axis=0)
 *                                    w * (rate clip(n, min, max) + (1 - rate) n) / (eps + n)
 *   NonNeg()                         max(w, 0)
 * Names as Keras writes them: classes (L2, MaxNorm), snake case ('l2', 'max_norm', 'l1l2'), and
 * the functions keras.regularizers.l1_l2(...), keras.constraints.max_norm(...).
 */
#ifndef SL_REGULARIZER_H
#define SL_REGULARIZER_H

#include "args.h"
#include "error.h"
#include "tensor.h"

typedef struct SlRegularizer {
    double l1, l2; /* both 0: none */
    char text[80]; /* as written: l2(0.01), 'l1' */
} SlRegularizer;

/* The regularizer argument `key` of b (None: none). */
int sl_regularizer_read(SlRegularizer *r, const SlBound *b, const char *key, SlError *e);
int sl_regularizer_from(SlRegularizer *r, const SlArgs *a, const SlValue *v, const char *key,
                        SlError *e);
int sl_regularizer_active(const SlRegularizer *r);
/* l1 sum |w| + l2 sum w^2 over w[0 .. n). */
double sl_regularizer_value(const SlRegularizer *r, const sl_real *w, size_t n);
/* dw += scale * (l1 sign(w) + 2 l2 w), over n values. */
void sl_regularizer_grad(const SlRegularizer *r, sl_real *dw, const sl_real *w, size_t n,
                         double scale);

typedef enum SlConstraintKind {
    SL_CON_NONE,
    SL_CON_MAX_NORM,
    SL_CON_MIN_MAX_NORM,
    SL_CON_UNIT_NORM,
    SL_CON_NON_NEG
} SlConstraintKind;

typedef struct SlConstraint {
    SlConstraintKind kind;
    double min_value, max_value, rate;
    int n_axes;
    int axis[SL_MAX_RANK]; /* as written: negative counts from the end */
    char text[80];
} SlConstraint;

int sl_constraint_read(SlConstraint *c, const SlBound *b, const char *key, SlError *e);
/* Do the axes fit a weight of shape s? The error names the axes and the shape. */
int sl_constraint_check(const SlConstraint *c, const SlShape *s, SlError *e);
/* Project w (shape s) in place. */
void sl_constraint_apply(const SlConstraint *c, sl_real *w, const SlShape *s);

#endif
