/* loss.c: losses, their gradients, and metrics (see loss.h for the reduction).
 *
 * Per position, with prediction q and target y, vectors of C values (the last axis):
 *   mse   l = (1/C) sum_j (q_j - y_j)^2             dl/dq_j = 2 (q_j - y_j) / C
 *   mae   l = (1/C) sum_j |q_j - y_j|               dl/dq_j = sign(q_j - y_j) / C
 *   binary_crossentropy, p = clip(q, eps, 1 - eps), eps = 1e-7:
 *         l = (1/C) sum_j -(y_j log p_j + (1 - y_j) log(1 - p_j))
 *                                                   dl/dq_j = (p_j - y_j) / (p_j (1 - p_j)) / C
 *                                                   inside the clip range, else 0
 *     from logits z:  l = (1/C) sum_j max(z,0) - z y + log(1 + e^-|z|)
 *                                                   dl/dz_j = (sigmoid(z_j) - y_j) / C
 *   categorical_crossentropy: r = q / sum(q) (Keras normalises), c = clip(r, eps, 1 - eps),
 *         l = -sum_j y_j log c_j.  With g_j = -y_j / c_j inside the clip range (else 0),
 *                                                   dl/dq_k = g_k / s - (sum_j g_j q_j) / s^2
 *     from logits z:  l = -sum_j y_j log_softmax(z)_j
 *                                                   dl/dz_k = softmax(z)_k sum_j y_j - y_k
 *   sparse_categorical_crossentropy: the same with y one-hot at the target's class index.
 *
 * With the fast kernels, binary crossentropy's logs come from float vectors a chunk of positions
 * at a time (bce_logs); everything else is computed in double, one position at a time.
 */
#include "loss.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kernels/kernels.h"

static const double eps = 1e-7; /* Keras's backend.epsilon() */

static const struct {
    const char *names[4];
    SlLossKind kind;
    const char *canonical;
} loss_names[] = {
    {{"mse", "mean_squared_error", "MeanSquaredError", "MSE"}, SL_LOSS_MSE, "mean_squared_error"},
    {{"mae", "mean_absolute_error", "MeanAbsoluteError", "MAE"},
     SL_LOSS_MAE,
     "mean_absolute_error"},
    {{"binary_crossentropy", "BinaryCrossentropy"}, SL_LOSS_BCE, "binary_crossentropy"},
    {{"categorical_crossentropy", "CategoricalCrossentropy"},
     SL_LOSS_CCE,
     "categorical_crossentropy"},
    {{"sparse_categorical_crossentropy", "SparseCategoricalCrossentropy"},
     SL_LOSS_SCCE,
     "sparse_categorical_crossentropy"},
};

const char *sl_loss_names(void)
{
    return "mse (mean_squared_error), mae (mean_absolute_error), binary_crossentropy, "
           "categorical_crossentropy, sparse_categorical_crossentropy";
}

static const SlArgSpec loss_args[] = {
    {"from_logits", SL_ARG_BOOL, "False", "the predictions are logits, not probabilities"},
    {"name", SL_ARG_STR | SL_ARG_OR_NONE, "None", "the loss's name"},
    {"reduction", SL_ARG_STR, "'sum_over_batch_size'", "only 'sum_over_batch_size'"},
};

int sl_loss_create(SlLoss *L, const char *name, const SlArgs *args, SlError *e)
{
    memset(L, 0, sizeof *L);
    for (size_t i = 0; i < sizeof loss_names / sizeof loss_names[0]; i++)
        for (int k = 0; k < 4; k++)
            if (loss_names[i].names[k] && !strcmp(loss_names[i].names[k], name)) {
                L->kind = loss_names[i].kind;
                snprintf(L->name, sizeof L->name, "%s", loss_names[i].canonical);
                if (!args)
                    return 0;
                SlBound b;
                if (sl_args_bind(&b, loss_args, 3, args, name, e) < 0)
                    return -1;
                L->from_logits = sl_bound_bool(&b, "from_logits");
                if (strcmp(sl_bound_str(&b, "reduction"), "sum_over_batch_size"))
                    return sl_errorf(e, "%s: only reduction='sum_over_batch_size' is supported",
                                     name);
                if (L->from_logits && (L->kind == SL_LOSS_MSE || L->kind == SL_LOSS_MAE))
                    return sl_errorf(e, "%s has no from_logits argument", name);
                return 0;
            }
    return sl_errorf(e, "unknown loss '%s'; shapelab knows %s", name, sl_loss_names());
}

int sl_metric_create(SlMetric *M, const char *name, SlError *e)
{
    static const struct {
        const char *name;
        SlMetricKind kind;
    } names[] = {
        {"accuracy", SL_METRIC_ACCURACY},
        {"acc", SL_METRIC_ACCURACY},
        {"binary_accuracy", SL_METRIC_BINARY_ACCURACY},
        {"categorical_accuracy", SL_METRIC_CATEGORICAL_ACCURACY},
        {"sparse_categorical_accuracy", SL_METRIC_SPARSE_CATEGORICAL_ACCURACY},
        {"mae", SL_METRIC_MAE},
        {"mean_absolute_error", SL_METRIC_MAE},
        {"mse", SL_METRIC_MSE},
        {"mean_squared_error", SL_METRIC_MSE},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(names[i].name, name)) {
            M->kind = names[i].kind;
            snprintf(M->name, sizeof M->name, "%s", name);
            return 0;
        }
    return sl_errorf(e,
                     "unknown metric '%s'; shapelab knows accuracy (acc), binary_accuracy, "
                     "categorical_accuracy, sparse_categorical_accuracy, mae, mse",
                     name);
}

/* ---- shapes ---- */

static SlShape drop_last(const SlShape *s)
{
    SlShape r = *s;
    r.rank = s->rank > 0 ? s->rank - 1 : 0;
    return r;
}

/* Targets with a time axis the output lacks, (N, T, F) or (N, T) against (N, F): a recurrent
 * layer gave only its last step. 1 if so. */
static int lacks_time_axis(const SlShape *pred, const SlShape *target)
{
    if (pred->rank != 2 || target->dim[0] != pred->dim[0])
        return 0;
    if (target->rank == 3)
        return target->dim[2] == pred->dim[1] && target->dim[1] > 1;
    return target->rank == 2 && pred->dim[1] == 1 && target->dim[1] > 1;
}

int sl_loss_check(const SlLoss *L, const SlShape *pred, const SlShape *target, const SlShape *sw,
                  SlError *e)
{
    char p[96], t[96], w[96];
    sl_shape_str(pred, p, sizeof p);
    sl_shape_str(target, t, sizeof t);
    SlShape positions = drop_last(pred);
    int C = pred->dim[pred->rank - 1];
    if (C > SL_LOSS_MAX_CLASSES)
        return sl_errorf(e,
                         "%s: the output's last axis has %d values; shapelab's losses handle "
                         "up to %d",
                         L->name, C, SL_LOSS_MAX_CLASSES);
    int same = sl_shape_equal(pred, target);
    int as_positions = sl_shape_equal(&positions, target); /* class indices, or squeezed 1 */
    if (L->kind == SL_LOSS_SCCE) {
        SlShape with1 = positions;
        with1.dim[with1.rank++] = 1;
        if (!as_positions && !(target->rank == pred->rank && sl_shape_equal(&with1, target)))
            return sl_errorf(e,
                             "%s wants one class index per position, shape %s, but the targets "
                             "have shape %s.%s",
                             L->name, sl_shape_str(&positions, w, sizeof w), t,
                             same ? " They look one-hot: use categorical_crossentropy." : "");
    } else if (!same && !(C == 1 && as_positions)) {
        const char *hint = "";
        if (as_positions && (L->kind == SL_LOSS_CCE))
            hint = " They look like class indices: use sparse_categorical_crossentropy, or one-hot "
                   "encode them.";
        else if (lacks_time_axis(pred, target))
            hint = " The targets have a time axis the output lacks: give the last recurrent layer "
                   "return_sequences=True, so that the layers after it see every step.";
        return sl_errorf(e,
                         "%s compares targets with the model's output element by element, but "
                         "the output has shape %s and the targets %s.%s",
                         L->name, p, t, hint);
    }
    if (sw && sw->rank) {
        int per_sample = sw->rank == 1 && sw->dim[0] == pred->dim[0];
        int per_step = sl_shape_equal(sw, &positions) && positions.rank == 2;
        if (!per_sample && !per_step && pred->rank >= 3)
            return sl_errorf(e,
                             "sample weights must be one per sample (%d,) or one per timestep "
                             "(%d, %d); got %s",
                             pred->dim[0], pred->dim[0], pred->dim[1],
                             sl_shape_str(sw, w, sizeof w));
        if (!per_sample && !per_step)
            return sl_errorf(e, "sample weights must be one per sample (%d,); got %s", pred->dim[0],
                             sl_shape_str(sw, w, sizeof w));
    }
    return 0;
}

/* ---- per-position losses ---- */

static double sigmoid(double z)
{
    return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z));
}

/* l for one position; if g is not NULL, g_j = dl/dq_j. y is the target vector (NULL for sparse,
 * which uses the class index k). logs: binary crossentropy's log p_j and log(1 - p_j) side by
 * side, made by bce_logs, or NULL to call log here. */
static double position_loss(const SlLoss *L, const sl_real *q, const sl_real *y, int k, int C,
                            double *g, const sl_real *logs)
{
    double l = 0;
    switch (L->kind) {
    case SL_LOSS_MSE:
    case SL_LOSS_MAE:
        for (int j = 0; j < C; j++) {
            double d = (double)q[j] - (double)y[j];
            l += L->kind == SL_LOSS_MSE ? d * d : fabs(d);
            if (g)
                g[j] = L->kind == SL_LOSS_MSE ? 2 * d / C : (double)((d > 0) - (d < 0)) / C;
        }
        return l / C;
    case SL_LOSS_BCE:
        for (int j = 0; j < C; j++) {
            double t = y[j], z = q[j];
            if (L->from_logits) {
                l += fmax(z, 0) - z * t + log1p(exp(-fabs(z)));
                if (g)
                    g[j] = (sigmoid(z) - t) / C;
            } else {
                double p = fmin(fmax(z, eps), 1 - eps);
                double lp = logs ? logs[2 * j] : log(p), lq = logs ? logs[2 * j + 1] : log(1 - p);
                l -= t * lp + (1 - t) * lq;
                if (g)
                    g[j] = (z >= eps && z <= 1 - eps) ? (p - t) / (p * (1 - p)) / C : 0;
            }
        }
        return l / C;
    default:
        break;
    }
    /* categorical and sparse categorical */
    double ysum = 0;
    for (int j = 0; j < C; j++)
        ysum += y ? (double)y[j] : (j == k);
    if (L->from_logits) {
        double mx = q[0], se = 0;
        for (int j = 1; j < C; j++)
            mx = fmax(mx, q[j]);
        for (int j = 0; j < C; j++)
            se += exp(q[j] - mx);
        double lse = mx + log(se);
        for (int j = 0; j < C; j++) {
            double t = y ? (double)y[j] : (j == k);
            l -= t * (q[j] - lse);
            if (g)
                g[j] = exp(q[j] - lse) * ysum - t;
        }
        return l;
    }
    double s = 0, gq = 0;
    for (int j = 0; j < C; j++)
        s += q[j];
    for (int j = 0; j < C; j++) {
        double t = y ? (double)y[j] : (j == k), r = q[j] / s;
        double c = fmin(fmax(r, eps), 1 - eps);
        l -= t * log(c);
        if (g) {
            g[j] = (r >= eps && r <= 1 - eps) ? -t / c : 0; /* dl/dr_j for now */
            gq += g[j] * q[j];
        }
    }
    for (int j = 0; g && j < C; j++)
        g[j] = g[j] / s - gq / (s * s);
    return l;
}

/* Binary crossentropy's logs for the chunk of positions from p0 on (at most CHUNK / (2 C) of
 * them, P in all): log p and log(1 - p) of each clipped value, side by side, in logs. The fast
 * kernels' float vectors (sl_log_fast): returns 0, nothing made, where they have no log (the
 * double build) or are switched off. */
enum { CHUNK = 512 };

static int bce_logs(sl_real *logs, const sl_real *q, size_t p0, size_t P, int C)
{
    size_t per = CHUNK / (2 * (size_t)C), n = 0;
    sl_real args[CHUNK];
    if (!sl_kernels_fast())
        return 0;
    for (size_t p = p0; p < P && p < p0 + per; p++)
        for (int j = 0; j < C; j++) {
            double v = fmin(fmax(q[p * (size_t)C + (size_t)j], eps), 1 - eps);
            args[n++] = (sl_real)v, args[n++] = (sl_real)(1 - v);
        }
    return sl_log_fast(logs, args, n);
}

double sl_loss_eval(const SlLoss *L, const SlTensor *pred, const SlTensor *target,
                    const SlTensor *sw, const unsigned char *mask, sl_real *dpred, double scale)
{
    int C = pred->shape.dim[pred->shape.rank - 1];
    size_t P = sl_tensor_count(pred) / (size_t)C, B = (size_t)pred->shape.dim[0];
    size_t per_sample = P / B;
    /* the mask is (batch, timesteps): positions per mask entry, when the output has more axes */
    size_t per_mask = pred->shape.rank >= 3 ? P / (B * (size_t)pred->shape.dim[1]) : per_sample;
    size_t nw = sw ? sl_tensor_count(sw) : 0;
    double total = 0, D = 0, g[SL_LOSS_MAX_CLASSES];
    double *gp = dpred ? g : NULL;
    for (size_t p = 0; p < P; p++) {
        double m = mask ? mask[p / per_mask] : 1;
        D += m;
    }
    if (!mask)
        D = (double)P;
    sl_real logs[CHUNK];
    size_t per_chunk = L->kind == SL_LOSS_BCE && !L->from_logits && 2 * C <= CHUNK
                           ? CHUNK / (2 * (size_t)C)
                           : 0; /* positions whose logs bce_logs makes at once; 0: none */
    for (size_t p = 0; p < P; p++) {
        if (per_chunk && p % per_chunk == 0 && !bce_logs(logs, pred->data, p, P, C))
            per_chunk = 0;
        const sl_real *lg = per_chunk ? logs + 2 * (size_t)C * (p % per_chunk) : NULL;
        double m = mask ? mask[p / per_mask] : 1;
        double w = !sw ? 1 : (nw == B ? (double)sw->data[p / per_sample] : (double)sw->data[p]);
        const sl_real *q = pred->data + p * (size_t)C;
        const sl_real *y = L->kind == SL_LOSS_SCCE ? NULL : target->data + p * (size_t)C;
        int k = L->kind == SL_LOSS_SCCE ? (int)target->data[p] : 0;
        double l = position_loss(L, q, y, k, C, gp, lg);
        total += l * w * m;
        for (int j = 0; dpred && j < C; j++)
            dpred[p * (size_t)C + (size_t)j] = D > 0 ? (sl_real)(scale * w * m / D * gp[j]) : 0;
    }
    return D > 0 ? total / D : 0;
}

int sl_loss_check_targets(const SlLoss *L, const SlTensor *target, int C, SlError *e)
{
    size_t n = sl_tensor_count(target);
    for (size_t i = 0; L->kind == SL_LOSS_SCCE && i < n; i++) {
        double k = target->data[i];
        if (!(k >= 0 && k < C && k == floor(k)))
            return sl_errorf(e,
                             "%s: target %zu is %g, but class indices must be whole numbers "
                             "from 0 to %d (the output has %d classes)",
                             L->name, i, k, C - 1, C);
    }
    return 0;
}

/* ---- metrics ---- */

SlMetricKind sl_accuracy_kind(const SlLoss *L, const SlShape *pred, const SlShape *target)
{
    int C = pred->dim[pred->rank - 1];
    if (L && L->kind == SL_LOSS_BCE)
        return SL_METRIC_BINARY_ACCURACY;
    if (L && L->kind == SL_LOSS_SCCE)
        return SL_METRIC_SPARSE_CATEGORICAL_ACCURACY;
    if (C == 1)
        return SL_METRIC_BINARY_ACCURACY;
    if (target->rank < pred->rank || (target->dim[target->rank - 1] == 1 && C > 1))
        return SL_METRIC_SPARSE_CATEGORICAL_ACCURACY;
    return SL_METRIC_CATEGORICAL_ACCURACY;
}

static int argmax(const sl_real *v, int n)
{
    int best = 0;
    for (int j = 1; j < n; j++)
        if (v[j] > v[best])
            best = j;
    return best;
}

void sl_metric_update(SlMetricKind kind, const SlTensor *pred, const SlTensor *target,
                      const SlTensor *sw, const unsigned char *mask, double *sum, double *count)
{
    int C = pred->shape.dim[pred->shape.rank - 1];
    size_t P = sl_tensor_count(pred) / (size_t)C, B = (size_t)pred->shape.dim[0];
    size_t per_mask = pred->shape.rank >= 3 ? P / (B * (size_t)pred->shape.dim[1]) : P / B;
    size_t nw = sw ? sl_tensor_count(sw) : 0;
    for (size_t p = 0; p < P; p++) {
        double m = mask ? mask[p / per_mask] : 1, v = 0;
        if (sw)
            m *= nw == B ? (double)sw->data[p / (P / B)] : (double)sw->data[p];
        const sl_real *q = pred->data + p * (size_t)C;
        const sl_real *y = kind == SL_METRIC_SPARSE_CATEGORICAL_ACCURACY
                               ? target->data + p
                               : target->data + p * (size_t)C;
        switch (kind) {
        case SL_METRIC_SPARSE_CATEGORICAL_ACCURACY:
            v = (double)argmax(q, C) == (double)y[0];
            break;
        case SL_METRIC_CATEGORICAL_ACCURACY:
            v = argmax(q, C) == argmax(y, C);
            break;
        case SL_METRIC_MAE:
        case SL_METRIC_MSE:
            for (int j = 0; j < C; j++) {
                double d = (double)q[j] - (double)y[j];
                v += kind == SL_METRIC_MSE ? d * d : fabs(d);
            }
            v /= C;
            break;
        default: /* binary accuracy, threshold 0.5 */
            for (int j = 0; j < C; j++)
                v += (q[j] > 0.5 ? 1.0 : 0.0) == (double)y[j];
            v /= C;
            break;
        }
        *sum += v * m;
        *count += m;
    }
}
