/* loss.h: Keras's losses and metrics, with their reductions, sample weights and masks.
 *
 * A loss is computed per "position" (every axis of the prediction but the last), then reduced:
 *     loss = sum_p l_p * w_p * m_p / D,    D = sum_p m_p with a mask, else the number of positions
 * w_p is a sample weight, given per sample (batch,) or per timestep (batch, timesteps); m_p is the
 * mask (batch, timesteps). So a zero sample weight is not a mask: its step still counts in D.
 * Metrics ignore sample weights and use the mask: they add up sum_p v_p m_p and sum_p m_p, so an
 * epoch's value is one mean over every position seen.
 */
#ifndef SL_LOSS_H
#define SL_LOSS_H

#include "args.h"
#include "error.h"
#include "tensor.h"

enum { SL_LOSS_MAX_CLASSES = 4096 };

typedef enum SlLossKind {
    SL_LOSS_MSE, /* mean_squared_error */
    SL_LOSS_MAE, /* mean_absolute_error */
    SL_LOSS_BCE, /* binary_crossentropy */
    SL_LOSS_CCE, /* categorical_crossentropy */
    SL_LOSS_SCCE /* sparse_categorical_crossentropy: targets are class indices */
} SlLossKind;

typedef struct SlLoss {
    SlLossKind kind;
    int from_logits;
    char name[48]; /* as Keras names the function: "categorical_crossentropy" */
} SlLoss;

typedef enum SlMetricKind {
    SL_METRIC_ACCURACY, /* resolved to one of the next three for each output */
    SL_METRIC_BINARY_ACCURACY,
    SL_METRIC_CATEGORICAL_ACCURACY,
    SL_METRIC_SPARSE_CATEGORICAL_ACCURACY,
    SL_METRIC_MAE,
    SL_METRIC_MSE
} SlMetricKind;

typedef struct SlMetric {
    SlMetricKind kind;
    char name[48]; /* as written in compile(metrics=[...]): "accuracy", "mae" */
} SlMetric;

/* A loss by Keras name: "mse", "mean_squared_error", "MeanSquaredError", "categorical_crossentropy",
 * ... with the keyword arguments of its class (from_logits=True). args may be NULL. */
int sl_loss_create(SlLoss *L, const char *name, const SlArgs *args, SlError *e);
int sl_metric_create(SlMetric *M, const char *name, SlError *e);
const char *sl_loss_names(void);

/* Check that a target (and sample weight) fit a prediction; errors give both shapes and the fix. */
int sl_loss_check(const SlLoss *L, const SlShape *pred, const SlShape *target, const SlShape *sw,
                  SlError *e);

/* sparse_categorical_crossentropy: every target must be a class index in [0, C). */
int sl_loss_check_targets(const SlLoss *L, const SlTensor *target, int C, SlError *e);

/* The reduced loss of a batch. If dpred is not NULL, writes (=) scale * d loss / d pred there.
 * sw may be NULL; mask may be NULL. Shapes must have passed sl_loss_check. */
double sl_loss_eval(const SlLoss *L, const SlTensor *pred, const SlTensor *target,
                    const SlTensor *sw, const unsigned char *mask, sl_real *dpred, double scale);

/* Which accuracy "accuracy" means for this loss and these shapes (tf.keras's rule, with the loss
 * deciding for binary and sparse crossentropy). */
SlMetricKind sl_accuracy_kind(const SlLoss *L, const SlShape *pred, const SlShape *target);
/* Add a batch to a metric's running sum and count: sum += v_p w_p m_p, count += w_p m_p, where w
 * is the sample weight (weighted_metrics) or 1 (metrics: pass sw = NULL). */
void sl_metric_update(SlMetricKind kind, const SlTensor *pred, const SlTensor *target,
                      const SlTensor *sw, const unsigned char *mask, double *sum, double *count);

#endif
