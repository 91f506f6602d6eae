/* Lesson 21: why BatchNormalization has non-trainable parameters (QUESTIONS.md item 16).
 *
 * BatchNormalization after a Conv2D(16, 3, use_bias=False) holds 4 * 16 = 64 numbers: gamma and
 * beta, trained by the gradient, and the moving mean and variance, which fit updates from each
 * batch's statistics and the gradient never touches: "Non-trainable params: 32". In fit the layer
 * normalizes with the batch's own mean and variance; in predict with the moving ones, so the same
 * input gives two outputs. The lesson shows the summary, one batch's statistics by hand, the two
 * outputs of the same batch, the moving statistics converging during fit (momentum 0.99: about
 * 1% of the way per batch), and a frozen layer.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lesson.h"
#include "script/script.h"

/* ../shared/models/16_batchnorm.py */
static const char *model_py =
    "from keras.models import Sequential\n"
    "from keras.layers import Conv2D, BatchNormalization, Activation, MaxPooling2D, Flatten, "
    "Dense\n"
    "model = Sequential()\n"
    "model.add(Conv2D(16, 3, use_bias=False, input_shape=(28, 28, 1)))\n"
    "model.add(BatchNormalization())\n"
    "model.add(Activation('relu'))\n"
    "model.add(MaxPooling2D(2))\n"
    "model.add(Flatten())\n"
    "model.add(Dense(10, activation='softmax'))\n"
    "model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy'])\n";

/* Three features with their own means and spreads, as raw data has: (5, 2), (-2, 0.5), (0.5, 1). */
static const double feat_mean[3] = {5, -2, 0.5}, feat_sd[3] = {2, 0.5, 1};

static void make_data(int n, sl_real *x, sl_real *y, uint64_t seed)
{
    SlRng r = sl_rng(seed);
    for (int s = 0; s < n; s++) {
        double t = 0;
        for (int f = 0; f < 3; f++) {
            x[s * 3 + f] = (sl_real)(feat_mean[f] + feat_sd[f] * sl_rng_normal(&r));
            t += (x[s * 3 + f] - feat_mean[f]) / feat_sd[f];
        }
        y[s] = (sl_real)t;
    }
}

/* Input(3) -> BatchNormalization(args) -> Dense(1). */
static SlModel *small_model(const char *args, SlError *e)
{
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    if (sl_model_add(m, sl_layer("InputLayer", "shape=(3,)", e), e) < 0 ||
        sl_model_add(m, sl_layer("BatchNormalization", args, e), e) < 0 ||
        sl_model_add(m, sl_layer("Dense", "1", e), e) < 0 ||
        sl_compile(m, "loss='mse', optimizer='adam'", e) < 0 || sl_model_init_params(m, 1, e) < 0)
        lesson_die(e);
    return m;
}

static const sl_real *param(const SlModel *m, const char *name)
{
    int i = sl_model_find_param(m, name);
    lesson_expect(i >= 0, name);
    return m->params[i]->value.data;
}

static void step_summary(Lesson *ls, SlError *e)
{
    lesson_step(ls, "16_batchnorm.py: 64 parameters, 32 of them not trained");
    SlScriptOptions so;
    memset(&so, 0, sizeof so);
    SlScript *s = sl_script_run_text("16_batchnorm.py", model_py, strlen(model_py), &so, e);
    SlModel *m = s ? sl_script_model(s, e) : NULL;
    if (!m || sl_model_summary(m, 0, stdout, e) < 0)
        lesson_die(e);
    const SlLayer *bn = NULL;
    for (int i = 0; i < m->n_layers; i++)
        if (!strcmp(m->layers[i]->name, "batch_normalization"))
            bn = m->layers[i];
    lesson_expect(bn != NULL, "the model has a layer named batch_normalization");
    char f[128], note[256];
    bn->type->formula(bn, f, sizeof f);
    bn->type->note(bn, note, sizeof note);
    printf("\n  batch_normalization: %s\n    (%s)\n", f, note);
    for (int i = 0; i < bn->n_params; i++)
        printf("    batch_normalization/%-16s (16,)  %s\n", bn->params[i].name,
               bn->params[i].trainable ? "trained by the gradient" : "updated by fit, not trained");
    lesson_expect(sl_model_count_params(m) == 27258 && bn->n_params == 4 &&
                      !bn->params[2].trainable && !bn->params[3].trainable,
                  "the header's figures: 27,258 params, two of BatchNormalization's not trained");
    printf("  Conv2D has use_bias=False: beta, added after normalizing, is the bias.\n");
    if (ls->viz || ls->png_dir) {
        if (sl_model_init_params(m, 1, e) < 0)
            lesson_die(e);
        lesson_visualize(ls, m, "batchnorm", NULL);
    }
    sl_script_free(s);
}

static void step_one_batch(Lesson *ls, SlModel *m, SlError *e)
{
    lesson_step(ls, "One batch in fit: each feature's own mean and variance");
    enum { B = 8 };
    static sl_real x[B * 3], y[B];
    make_data(B, x, y, 21);
    SlTensor xt = sl_tensor(sl_shape_of(2, (int[]){B, 3}), x);
    lesson_print_tensor("x, a batch of 8", &xt, 4);
    if (sl_model_forward(m, &xt, 1, e) < 0) /* training mode, as fit runs it */
        lesson_die(e);
    const sl_real *out = m->t[m->nodes[1].out[0]].val,
                  *mm = param(m, "batch_normalization/moving_mean");
    printf("\n  feature   batch mean   batch variance   output mean   output variance   moving "
           "mean\n");
    for (int f = 0; f < 3; f++) {
        double mu = 0, var = 0, om = 0, ov = 0;
        for (int s = 0; s < B; s++)
            mu += x[s * 3 + f] / (double)B, om += out[s * 3 + f] / (double)B;
        for (int s = 0; s < B; s++) {
            var += (x[s * 3 + f] - mu) * (x[s * 3 + f] - mu) / B; /* divided by B: biased */
            ov += (out[s * 3 + f] - om) * (out[s * 3 + f] - om) / B;
        }
        printf("  %7d   %10.4f   %14.4f   %11.1e   %15.4f   %11.4f\n", f, mu, var, om, ov,
               (double)mm[f]);
        lesson_expect(fabs(om) < 1e-4 && fabs(ov - var / (var + 1e-3)) < 1e-3,
                      "the batch's output has mean 0 and variance var / (var + eps)");
        lesson_expect(fabs(mm[f] - 0.01 * mu) < 1e-4 * (1 + fabs(mu)),
                      "moving mean = 0 * 0.99 + batch mean * 0.01");
    }
    printf("  (gamma = 1, beta = 0 at the start, so the output is the normalized value.)\n"
           "  The moving mean took 1%% of the batch mean: 0 * 0.99 + mean * (1 - 0.99).\n");
}

static void step_two_modes(Lesson *ls, SlModel *m, SlError *e)
{
    lesson_step(ls, "The same input, two outputs: fit against predict");
    static sl_real x[8 * 3], y[8];
    make_data(8, x, y, 21);
    SlTensor xt = sl_tensor(sl_shape_of(2, (int[]){8, 3}), x);
    double fit[3], pred[3];
    for (int mode = 1; mode >= 0; mode--) {
        if (sl_model_forward(m, &xt, mode, e) < 0)
            lesson_die(e);
        const sl_real *out = m->t[m->nodes[1].out[0]].val;
        for (int f = 0; f < 3; f++)
            (mode ? fit : pred)[f] = out[f];
    }
    printf("  sample 0, batch_normalization's output:\n"
           "    in fit (this batch's mean and variance):  %8.4f %8.4f %8.4f\n"
           "    in predict (the moving ones, barely moved): %6.4f %8.4f %8.4f\n"
           "  After two batches the moving mean is still near 0 and the variance near 1, so\n"
           "  predict hardly normalizes at all: feature 0 stays near its raw value of %.2f.\n",
           fit[0], fit[1], fit[2], pred[0], pred[1], pred[2], (double)x[0]);
    lesson_expect(fabs(fit[0] - pred[0]) > 1, "the two modes differ early in training");
}

static void step_converge(Lesson *ls, SlError *e)
{
    lesson_step(ls, "fit moves the moving statistics towards the data's");
    SlModel *m = small_model("", e);
    enum { N = 256 };
    static sl_real x[N * 3], y[N];
    make_data(N, x, y, 7);
    SlTensor X = sl_tensor(sl_shape_of(2, (int[]){N, 3}), x),
             Y = sl_tensor(sl_shape_of(2, (int[]){N, 1}), y);
    SlFitOptions o = sl_fit_defaults();
    o.batch_size = 16; /* 16 batches an epoch */
    o.verbose = 0;
    o.seed = 3;
    double data_mean = 0;
    for (int i = 0; i < N; i++)
        data_mean += x[i * 3] / (double)N;
    printf("  epoch  batches  moving mean of feature 0  1 - 0.99^batches  max |fit - predict|\n");
    const int epochs[] = {1, 2, 4, 8, 16, 32};
    int done = 0;
    double gap = 0, first_gap = 0, moved = 0;
    SlParam *mm = m->params[sl_model_find_param(m, "batch_normalization/moving_mean")];
    SlParam *mv = m->params[sl_model_find_param(m, "batch_normalization/moving_variance")];
    for (int k = 0; k < 6; k++) {
        o.epochs = epochs[k] - done, done = epochs[k];
        if (sl_model_fit(m, &X, &Y, &o, NULL, e) < 0)
            lesson_die(e);
        moved = mm->value.data[0];
        /* the same 16 samples in both modes; the training-mode pass would update the moving
         * statistics once more, so they are put back after it */
        sl_real keep[6] = {mm->value.data[0], mm->value.data[1], mm->value.data[2],
                           mv->value.data[0], mv->value.data[1], mv->value.data[2]};
        SlTensor xt = sl_tensor(sl_shape_of(2, (int[]){16, 3}), x);
        double a[16 * 3];
        gap = 0;
        for (int mode = 1; mode >= 0; mode--) {
            if (sl_model_forward(m, &xt, mode, e) < 0)
                lesson_die(e);
            const sl_real *out = m->t[m->nodes[1].out[0]].val;
            for (int i = 0; i < 16 * 3; i++)
                if (mode)
                    a[i] = out[i];
                else
                    gap = fmax(gap, fabs(a[i] - out[i]));
            for (int f = 0; mode && f < 3; f++)
                mm->value.data[f] = keep[f], mv->value.data[f] = keep[3 + f];
        }
        first_gap = k ? first_gap : gap;
        printf("  %5d  %7d  %24.3f  %16.3f  %19.3f\n", done, done * 16, moved,
               1 - pow(0.99, done * 16), gap);
    }
    printf("  Feature 0's mean over the data is %.3f. The moving mean covers 1%% of the\n"
           "  remaining gap per batch, so it needs a few hundred batches; until then predict's\n"
           "  outputs are off. What stays is each batch's own noise (times gamma): 16 samples'\n"
           "  mean and variance are not the whole data's. With few batches, momentum=0.9\n"
           "  converges in tens.\n",
           data_mean);
    lesson_expect(fabs(moved - data_mean) < 0.05 * fabs(data_mean) && gap < first_gap / 4,
                  "after 512 batches the moving mean is within 5% of the data's, and predict "
                  "within a quarter of its first distance from fit");
    sl_model_free(m);
}

static void step_frozen(Lesson *ls, SlError *e)
{
    lesson_step(ls, "trainable=False: frozen, and in predict's mode also in fit");
    SlModel *m = small_model("trainable=False", e);
    if (sl_model_summary(m, 0, stdout, e) < 0)
        lesson_die(e);
    static sl_real x[8 * 3], y[8];
    make_data(8, x, y, 21);
    SlTensor xt = sl_tensor(sl_shape_of(2, (int[]){8, 3}), x);
    if (sl_model_forward(m, &xt, 1, e) < 0)
        lesson_die(e);
    printf("  All 4*3 = 12 of its numbers are non-trainable now. As in Keras 3, a frozen\n"
           "  BatchNormalization normalizes with its moving statistics even in fit, and does\n"
           "  not update them: the moving mean is still %.1f after a training pass. This is\n"
           "  how a pretrained network's BatchNormalization is kept when fine-tuning.\n",
           (double)param(m, "batch_normalization/moving_mean")[0]);
    lesson_expect(param(m, "batch_normalization/moving_mean")[0] == 0,
                  "a frozen layer keeps its statistics");
    sl_model_free(m);
}

int main(int argc, char **argv)
{
    Lesson ls;
    SlError e;
    if (lesson_begin(&ls, argc, argv, "Lesson 21: BatchNormalization's two modes",
                     "Why does BatchNormalization have non-trainable parameters, and why does "
                     "predict give other outputs than training? (item 16)",
                     "the summary's 32 non-trainable params, one batch's statistics by hand, the "
                     "same input in fit and in predict, the moving statistics converging during "
                     "fit, and a frozen layer",
                     2))
        return 0;
    step_summary(&ls, &e);
    SlModel *m = small_model("", &e);
    step_one_batch(&ls, m, &e);
    step_two_modes(&ls, m, &e);
    sl_model_free(m);
    step_converge(&ls, &e);
    step_frozen(&ls, &e);

    lesson_step(&ls, "What to remember");
    printf("  - BatchNormalization holds 4 numbers per channel: gamma and beta are trained;\n"
           "    the moving mean and variance are not (Non-trainable params), fit updates them:\n"
           "    moving = moving * momentum + batch * (1 - momentum), the variance divided by n.\n"
           "  - fit normalizes with each batch's statistics, predict and evaluate with the\n"
           "    moving ones: the same input gives two outputs until the moving ones converge.\n"
           "  - trainable=False freezes all four and runs the layer in predict's mode.\n");
    return 0;
}
