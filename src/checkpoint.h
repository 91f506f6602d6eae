/* checkpoint.h: the state of a fit at an epoch's end, saved so that a stopped run continues.
 *
 * One file, DIR/checkpoint.safetensors, saved whole or not at all (files.h: a temporary file
 * beside it, written, flushed to the disk, renamed over the old one, then the folder flushed), so
 * DIR always holds one whole checkpoint: the last one saved. A full disk is an error that leaves
 * the previous checkpoint as it was. The file holds
 *   weight/NAME           every weight by its Keras name, trainable or not (BatchNormalization's
 *                         moving statistics too)
 *   optimizer/K           the optimizer's state slot K (Adam: 0 m, 1 v, 2 vhat), a value per
 *                         weight value in the weights' order
 *   carried/LAYER/K       the states a stateful recurrent layer carries to the next batch (0: h,
 *                         1: LSTM's c), (batch, units)
 * and in its metadata the epochs done, the optimizer's configuration and step count, the states
 * of the two random generators (Dropout's, the shuffling's), and what the run must keep the same
 * to continue bit for bit: the build's precision, the samples, batch_size, shuffle, seed,
 * validation_split, and a hash of the data. Resuming with any of them changed is an error that
 * names it.
 */
#ifndef SL_CHECKPOINT_H
#define SL_CHECKPOINT_H

#include <stdint.h>

#include "train.h"

enum { SL_CK_MAX_RUN = 8 };

typedef struct SlCheckpoint {
    int epoch;        /* epochs done */
    uint64_t shuffle; /* the shuffling generator's state */
    /* what the run must keep the same: keys and values as text */
    int n_run;
    char key[SL_CK_MAX_RUN][24], val[SL_CK_MAX_RUN][64];
} SlCheckpoint;

/* The run that fit is about to do (x, y and the options' arrays, hashed), into c->key/val. */
void sl_checkpoint_describe(SlCheckpoint *c, const SlModel *m, const SlTensor *x, const SlTensor *y,
                            const SlFitOptions *o);
/* Before the first step: DIR exists (made if missing) and is writable; the temporary files of a
 * killed run's unfinished save are removed from it. */
int sl_checkpoint_prepare(const char *dir, SlError *e);
/* Save m's weights, optimizer and generators with c's epoch, shuffling state and run. */
int sl_checkpoint_save(const char *dir, const SlModel *m, const SlCheckpoint *c, SlError *e);
/* Continue from DIR's checkpoint: c holds this run's description (sl_checkpoint_describe); on
 * success m holds the checkpoint's weights, optimizer state, Dropout generator and carried
 * states, and c its epoch and shuffling state. Everything is checked before m is touched, so on
 * an error m is as it was. */
int sl_checkpoint_load(const char *dir, SlModel *m, SlCheckpoint *c, SlError *e);

#endif
