/* gradcheck.h: the numerical gradient checker every layer is run through.
 *
 * Objective: f = sum_k sum(output_k * R_k) with a fixed random R, so df/d(output) = R and one
 * backward pass gives the analytic gradient of every weight and every input; plus, as in fit, the
 * regularizers' terms of the model (none for most models). Each checked
 * coordinate v is nudged both ways and the slope measured by central differences with Richardson
 * extrapolation:
 *     D(h) = (f(v + h) - f(v - h)) / 2h,     n = (4 D(h/2) - D(h)) / 3     (error O(h^4))
 * then compared with the analytic a by  err = |a - n| / max(|a| + |n|, 1e-8).
 * Small tensors are swept in full; larger ones on distinct random indices. A coordinate whose nudge crosses
 * a kink (relu at 0, a max changing its winner) shows D(h) and D(h/2) disagreeing; it is counted
 * as skipped, not compared, and too many skips fail the check. An analytic gradient that is zero
 * everywhere fails too: it usually means backward was never wired in.
 * Meaningful in double (build/f64/); the float build computes it but cannot reach 1e-6.
 */
#ifndef SL_GRADCHECK_H
#define SL_GRADCHECK_H

#include <stdint.h>

#include "model.h"

enum { SL_GC_MAX_ROWS = 64 };

typedef struct SlGradcheckOptions {
    uint64_t seed;    /* for R, the random indices and Dropout's masks */
    int training;     /* run forward in training mode (Dropout active, same mask each time) */
    int samples;      /* random coordinates per tensor when it is too large to sweep */
    int sweep_max;    /* tensors with at most this many elements are swept in full */
    double h;         /* step */
    double tol;       /* max allowed error: 1e-6 (float32 builds: 3e-2, indicative only) */
    double kink;      /* |D(h) - D(h/2)| above kink * max(1, |n|) counts as a kink: 1e-4 (1e-2) */
    int check_inputs; /* also check the gradient of the model's inputs */
    int penalties;    /* add the regularizers' terms to f (sl_model_penalty), as fit does: 1 */
} SlGradcheckOptions;

typedef struct SlGradcheckRow {
    char name[SL_PARAM_NAME_MAX]; /* "dense/kernel" or "input 'input_1'" */
    size_t count;                 /* elements */
    int checked, skipped;         /* coordinates compared; skipped at kinks */
    double max_err;
    size_t worst;            /* index of the largest error */
    double worst_a, worst_n; /* analytic and numerical there */
    int all_zero;            /* the analytic gradient is zero everywhere */
    int zero_agrees;         /* ... and so is every difference taken */
    double max_num;          /* the largest numerical slope taken */
    int unresolved;          /* slopes both ways below what differences resolve: not compared */
    double resolution;       /* that limit: 16 eps |f| / h / tol */
    int fine;                /* slopes measured again with the finer step (across kinks) */
    int ok;
} SlGradcheckRow;

typedef struct SlGradcheckReport {
    int n_rows;
    SlGradcheckRow rows[SL_GC_MAX_ROWS];
    double max_err;
    int ok;
} SlGradcheckReport;

SlGradcheckOptions sl_gradcheck_defaults(void);
/* Fill x with values in [-1.5, -0.1] U [0.1, 1.5]: away from relu's kink at 0 and from ties. */
void sl_gradcheck_fill_input(SlTensor *x, SlRng *r);
/* Give every trainable weight tensor that is all zeros (Keras's biases at the start) values in
 * [-0.1, 0.1]: with zero biases a relu unit that reads zero padding sits exactly on its kink,
 * where the slope is not defined and differences cannot see the kink. Returns how many changed. */
int sl_gradcheck_unzero_params(SlModel *m, SlRng *r);
/* The same for input k of m, but whole codes in [0, input_dim) where it feeds an Embedding. */
void sl_gradcheck_fill_model_input(const SlModel *m, int k, SlTensor *x, SlRng *r);
/* Check every trainable weight tensor (and the inputs) of m on this batch: weights that are not
 * trained (BatchNormalization's moving statistics, a frozen layer's) get no row. Parameters must
 * be set (or are initialized with seed 0); the check leaves them as it found them, also those a
 * training-mode forward updates. Returns 0 when it ran (see report->ok), -1 on error. */
int sl_gradcheck(SlModel *m, const SlTensor *inputs, const SlGradcheckOptions *o,
                 SlGradcheckReport *r, SlError *e);
/* A plain-text table of the report, one row per tensor. */
void sl_gradcheck_format(const SlGradcheckReport *r, char *buf, size_t n);

#endif
