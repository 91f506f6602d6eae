/* guard.h: fit's numeric guard: training stops at the first NaN or Inf, before it is applied.
 *
 * Keras leaves this to an opt-in callback (TerminateOnNaN), which stops after the bad step has
 * changed the weights. shapelab's fit turns the guard on by default (SlFitOptions.nan_guard) and
 * stops before: each training step
 *   1. keeps a copy of the weights and of the optimizer's state (sl_guard_keep, before forward,
 *      so that BatchNormalization's moving statistics are kept too),
 *   2. checks the loss and every weight's gradient (sl_guard_check_gradients, before the update),
 *   3. checks the weights and the optimizer's state after the update (sl_guard_check_update).
 * At the first NaN or Inf it puts the copies back, so the model holds the weights of the last
 * good step, and only then walks the step's tensors in the order they were made (the layers'
 * outputs, the loss, its gradients, then the gradients layer by layer from the top) to name the
 * first that went bad. The error gives the epoch, the batch, the layer and the tensor, and the
 * likely cause: unscaled targets, unscaled inputs, or a learning rate too large.
 *
 * The checks every step are plain passes over the weights, the gradients and the optimizer's
 * state, never over the activations; docs/training.md gives the measured cost.
 */
#ifndef SL_GUARD_H
#define SL_GUARD_H

#include "train.h"

typedef struct SlGuard {
    sl_real *values;      /* (m->values.used) the weights before the step */
    sl_real *state;       /* (m->opt.state.used) the optimizer's state before the step */
    long long iterations; /* the optimizer's step count before the step */
} SlGuard;

/* Where a step is and what it saw: for the error and its likely cause. */
typedef struct SlGuardStep {
    int epoch, batch, steps; /* from 0; batches per epoch */
    double loss;             /* the batch's total loss */
    const SlTensor *x, *y;   /* the batch's inputs and targets, one per model input / output */
    const SlTensor *dloss;   /* the loss's gradient for each output */
} SlGuardStep;

/* Room for the copies (after the optimizer is prepared); g zeroed first. */
int sl_guard_init(SlGuard *g, const SlModel *m, SlError *e);
void sl_guard_free(SlGuard *g);
/* Before the step's forward pass: copy the weights and the optimizer's state. */
void sl_guard_keep(SlGuard *g, const SlModel *m);
/* After backward, before the update: 0 when the loss and every gradient are finite; else the
 * copies go back and SL_FIT_NONFINITE with e naming the first bad tensor. */
int sl_guard_check_gradients(SlGuard *g, SlModel *m, const SlGuardStep *s, SlError *e);
/* After the update: the same for the weights and the optimizer's state. */
int sl_guard_check_update(SlGuard *g, SlModel *m, const SlGuardStep *s, SlError *e);

#endif
