/* optim.h: Keras 3's optimizers: SGD (momentum, nesterov), RMSprop, Adam.
 *
 * An optimizer keeps its state (momenta, velocities) in one arena with a slot per weight value, in
 * the same order as the model's weights, and updates the weights in place from their gradients.
 * The update rules are written out in optim.c; docs/training.md derives and compares them.
 */
#ifndef SL_OPTIM_H
#define SL_OPTIM_H

#include "args.h"
#include "arena.h"
#include "error.h"

typedef enum SlOptKind { SL_OPT_SGD, SL_OPT_RMSPROP, SL_OPT_ADAM } SlOptKind;

typedef struct SlOptimizer {
    SlOptKind kind;
    char name[16]; /* "SGD", "RMSprop", "Adam" */
    double learning_rate;
    double momentum; /* SGD, RMSprop */
    int nesterov;    /* SGD */
    double rho;      /* RMSprop */
    int centered;    /* RMSprop */
    double beta_1, beta_2;
    int amsgrad;          /* Adam */
    double epsilon;       /* RMSprop, Adam */
    long long iterations; /* steps taken */
    int n_slots;          /* state values per weight value */
    size_t n;             /* weight values the state is sized for */
    SlArena state;        /* n_slots blocks of n values */
    char notice[160];     /* Keras 2 spellings used (lr=) */
} SlOptimizer;

/* An optimizer by Keras name ("adam", "Adam", "sgd", "SGD", "rmsprop", "RMSprop") with its class's
 * keyword arguments (args may be NULL for the defaults). */
int sl_optimizer_create(SlOptimizer *o, const char *name, const SlArgs *args, SlError *e);
/* The same from a Python-style argument string: sl_optimizer(&o, "SGD", "learning_rate=0.1", &e). */
int sl_optimizer(SlOptimizer *o, const char *name, const char *args, SlError *e);
/* Size the state for n weight values (zeroed) and restart the step count. */
int sl_optimizer_prepare(SlOptimizer *o, size_t n, SlError *e);
/* Begin a step (counts it: Adam's bias correction uses the count). */
void sl_optimizer_begin_step(SlOptimizer *o);
/* Update w[0..n) from g[0..n); `offset` says where these values sit among the n the state was
 * prepared for, so each weight tensor finds its own state. */
void sl_optimizer_update(SlOptimizer *o, sl_real *w, const sl_real *g, size_t offset, size_t n);
void sl_optimizer_free(SlOptimizer *o);

#endif
