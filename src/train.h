/* train.h: what a Keras user touches after building a model: compile, fit, evaluate, predict,
 * the weights, the summary, and the progress bar.
 *
 * Where the functions live: compile, the logs and History in src/compile.c; fit, fit_generator,
 * evaluate, predict and the data checks in src/fit.c; the weights in src/weights.c; the summary
 * in src/summary.c; the progress bar in src/progbar.c. Building, planning and running the graph
 * are model.h's (src/model.c, src/plan.c).
 */
#ifndef SL_TRAIN_H
#define SL_TRAIN_H

#include <stdint.h>
#include <stdio.h>

#include "model.h"

/* ---- compile ---- */
/* compile(loss=..., optimizer=..., metrics=[...], loss_weights=[...], weighted_metrics=[...]) with
 * strings for the loss and the optimizer (Keras's defaults: optimizer 'rmsprop'). A list of
 * losses gives one per output, one loss is shared by all. */
int sl_model_compile_args(SlModel *m, const SlArgs *args, SlError *e);
/* The same from a Python-style string: sl_compile(m, "loss='mse', optimizer='adam'", &e). */
int sl_compile(SlModel *m, const char *args, SlError *e);
/* compile(optimizer=SGD(learning_rate=0.1)): replace the optimizer with a configured one. */
void sl_model_set_optimizer(SlModel *m, const SlOptimizer *opt);
/* compile(loss=CategoricalCrossentropy(from_logits=True)): output k's loss (-1: every output). */
int sl_model_set_loss(SlModel *m, int k, const SlLoss *L, SlError *e);

/* ---- logs: names and values, as the progress bar and History show them ---- */
enum { SL_MAX_LOGS = 48, SL_LOG_NAME_MAX = 80 };
typedef struct SlLogs {
    int n;
    char name[SL_MAX_LOGS][SL_LOG_NAME_MAX]; /* "loss", "accuracy", "dense_1_loss", "val_loss" */
    double value[SL_MAX_LOGS];
} SlLogs;
/* The value logged under `name`, or NAN. */
double sl_logs_get(const SlLogs *l, const char *name);

typedef struct SlHistory { /* epochs[0] is the first epoch run (initial_epoch) */
    int n_epochs;
    SlLogs *epochs;  /* one SlLogs per epoch; sl_history_free releases them */
    int first_epoch; /* the number of epochs[0], from 0, as Keras's history.epoch[0] */
} SlHistory;
double sl_history_get(const SlHistory *h, const char *name, int epoch);
void sl_history_free(SlHistory *h);

/* ---- fit, evaluate, predict ---- */
typedef struct SlFitOptions {
    int batch_size;          /* 32 */
    int epochs;              /* 1 */
    int initial_epoch;       /* 0 */
    int shuffle;             /* 1: a new order every epoch, from seed */
    int verbose;             /* -1 'auto' (1 on a terminal, else 2), 0, 1, 2 */
    double validation_split; /* the last fraction of the samples, taken before shuffling */
    const SlTensor *val_x, *val_y, *val_sample_weight; /* validation_data, or NULL */
    const SlTensor *sample_weight; /* one per output (data NULL for none), or NULL */
    uint64_t seed;                 /* shuffling and Dropout */
    int nan_guard;          /* 1: stop at the first NaN or Inf, before it is applied (guard.h) */
    const char *checkpoint; /* a folder: the run's state saved there at each epoch's end, or NULL */
    const char *resume;    /* a folder: continue the run saved there (its epoch is initial_epoch) */
    FILE *out;             /* where the progress bar goes (stdout) */
    double (*clock)(void); /* seconds; tests pass a fake one (default: monotonic clock) */
} SlFitOptions;

SlFitOptions sl_fit_defaults(void);
/* What fit returns when its NaN guard stopped it: an error (below 0) whose message names the
 * epoch, the batch, the first bad tensor and the likely cause; the model holds the weights from
 * before the bad step, and h the epochs finished before it. */
enum { SL_FIT_NONFINITE = -2 };
/* x: one tensor per model input, y: one per output, all with the same number of samples first.
 * Every shape and value is checked before the first step; errors give expected and actual shapes
 * and the fix. h may be NULL. With a checkpoint folder, each epoch's end saves the weights, the
 * optimizer's state, the random generators and the epoch there (checkpoint.h); resume continues
 * such a run, which then ends bit-identical to one never stopped. Returns 0, -1 with e set, or
 * SL_FIT_NONFINITE. */
int sl_model_fit(SlModel *m, const SlTensor *x, const SlTensor *y, const SlFitOptions *o,
                 SlHistory *h, SlError *e);
/* ---- fit from a batch generator: fit(generator, steps_per_epoch=..., epochs=...) ---- */
/* Called once per batch. Point x[k] (one per model input) and y[k] (one per output) at a batch the
 * generator owns, valid until its next call; sw[k] is a sample weight per output (leave .data NULL
 * for none). step counts the batches asked for, from 0, across epochs. Batches may differ in batch
 * size and in the length of None axes. Return 0, or -1 with e set to stop. */
typedef int (*SlBatchFn)(void *ctx, int step, SlTensor *x, SlTensor *y, SlTensor *sw, SlError *e);

typedef struct SlFitGeneratorOptions {
    int steps_per_epoch;       /* required: batches per epoch */
    int epochs;                /* 1 */
    int initial_epoch;         /* 0 */
    int verbose;               /* -1 'auto' (1 on a terminal, else 2), 0, 1, 2 */
    SlBatchFn validation_data; /* a second generator, or NULL */
    void *validation_ctx;
    int validation_steps; /* batches of it per epoch */
    uint64_t seed;        /* Dropout */
    int nan_guard;        /* 1: stop at the first NaN or Inf, as fit does */
    FILE *out;            /* where the progress bar goes (stdout) */
    double (*clock)(void);
} SlFitGeneratorOptions;

SlFitGeneratorOptions sl_fit_generator_defaults(void);
/* Train on steps_per_epoch batches from next(ctx, ...) per epoch. Each batch is checked against the
 * model before it runs; an error names the step and the shapes expected and given. Buffers grow
 * to the largest batch seen and are then reused, so steps allocate nothing once every shape has
 * come by. The epoch's loss is the mean of the batch losses weighted by batch size, as in fit.
 * h may be NULL. Returns 0, -1 with e set, or SL_FIT_NONFINITE (no checkpoints: a generator's
 * own state cannot be saved). */
int sl_model_fit_generator(SlModel *m, SlBatchFn next, void *ctx, const SlFitGeneratorOptions *o,
                           SlHistory *h, SlError *e);

/* Loss and metrics over the data (batch_size 0 means 32). sample_weight may be NULL. */
int sl_model_evaluate(SlModel *m, const SlTensor *x, const SlTensor *y,
                      const SlTensor *sample_weight, int batch_size, SlLogs *logs, SlError *e);
/* Outputs for all samples: out[k] gets a buffer from sl_alloc (release with sl_free(out[k].data)). */
int sl_model_predict(SlModel *m, const SlTensor *x, int batch_size, SlTensor *out, SlError *e);
/* The array for model input k, as fit, evaluate and predict check it before the first step: its
 * shape (its sample count aside: a fixed batch size is checked batch by batch), finite values
 * (the error names it x[k]), and in-range codes where an Embedding reads it. With x->data NULL
 * only the shape is checked: a file's header, before its values are read (sl_npy_peek). */
int sl_model_check_x(const SlModel *m, int k, const SlTensor *x, SlError *e);
/* The output shapes for inputs of these concrete shapes, without running anything. */
int sl_model_output_shapes(SlModel *m, const SlShape *in, SlShape *out, SlError *e);

/* ---- weights ---- */
/* get_weights(): views of every weight tensor in Keras's order (copy them to keep them). */
int sl_model_get_weights(SlModel *m, SlTensor *views, int max, SlError *e);
/* set_weights(): the same number of tensors, the same shapes; an error names any that differ. */
int sl_model_set_weights(SlModel *m, const SlTensor *w, int n, SlError *e);
/* Save or load every weight under its Keras name ("dense_1/kernel") in a safetensors file. */
int sl_model_save_weights(SlModel *m, const char *path, SlError *e);
/* By Keras name; when no name matches but the file holds the same number of tensors, by position
 * (the same layers under other names: two models of one session), each checked for its shape.
 * Returns 0 (by name), 1 (by position: tell the user), -1 with an error naming the weight. */
int sl_model_load_weights(SlModel *m, const char *path, SlError *e);

/* ---- the summary table (tf.keras 2.x's plain text) ---- */
/* line_length 0: 65 columns for chains, 98 with the "Connected to" column otherwise. Fails (and
 * prints nothing) for a Sequential model that has no input shape yet, as Keras does. */
int sl_model_summary(const SlModel *m, int line_length, FILE *out, SlError *e);

/* ---- the progress bar (tf.keras 2.x's Progbar) ---- */
typedef struct SlProgbar {
    int target, width, verbose, dynamic;
    FILE *out;
    double (*clock)(void);
    double start, last_update, time_after_first_step, interval;
    int have_first_step, total_width;
} SlProgbar;

double sl_clock_seconds(void); /* a monotonic clock */
void sl_progbar_init(SlProgbar *p, int target, int verbose, int dynamic, FILE *out,
                     double (*clock)(void));
/* Show step `current` of target with these running values; finalize ends the line. */
void sl_progbar_update(SlProgbar *p, int current, const SlLogs *values, int finalize);

#endif
