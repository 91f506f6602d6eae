/* receptive.h: which input steps an output step of a model can see.
 *
 * One layer that slides a window of k taps with dilation d spans 1 + (k - 1) * d of its input
 * cells. In a stack, a layer's input cells are themselves `jump` model-input steps apart, where
 * jump is the product of the strides of the layers below (pooling counts: it is a stride). So:
 *     reach_0 = 1, jump_0 = 1
 *     reach_k = reach_{k-1} + (k - 1) * d * jump_{k-1}      jump_k = jump_{k-1} * s
 * With strides 1 that is the familiar 1 + sum((k - 1) * d): 1 + 2 * (1 + 2 + 4 + 8) = 31 for the
 * WaveNet stack of QUESTIONS.md item 10. Layers that act on each step alone (Dense, Activation,
 * Dropout) leave the reach as it is; layers that rearrange the steps axis (Flatten, Reshape,
 * Permute, global pooling, RepeatVector) end it: after them an output sees every input step.
 *
 * The reach is the span an output step looks over; not every step in it need feed the output. A
 * layer's taps are d * jump input steps apart, and what lies between two taps is seen only when the
 * layers below reach that far: there are no gaps when every layer's taps are at most the reach
 * below it apart (the first layer's dilation 1, then WaveNet's 1, 2, 4, ... with kernel 2 just
 * meets that). Two layers with kernel 4 and dilations 3 and 9 span 37 steps, but only every third
 * one, 13, feeds the output: the first layer's taps skip two steps that nothing below fills.
 * A transposed window (Conv1DTranspose, UpSampling1D) ends it too: it divides `jump` by its stride
 * instead of multiplying, and a fraction of a step is more than this arithmetic follows.
 */
#ifndef SL_RECEPTIVE_H
#define SL_RECEPTIVE_H

#include "layers/conv.h"
#include "model.h"

enum { SL_RF_MAX = 64 };

typedef struct SlReceptive {
    int n;               /* window layers on the chain, bottom to top */
    int node[SL_RF_MAX]; /* their model nodes */
    SlWindowGeom win[SL_RF_MAX];
    int span[SL_RF_MAX];     /* 1 + (k - 1) * d, in the layer's own input cells */
    int jump[SL_RF_MAX];     /* model-input steps between neighbouring input cells of the layer */
    int reach[SL_RF_MAX];    /* model-input steps one output cell of the layer sees */
    int total;               /* the reach of the whole stack */
    int fed;                 /* the steps of that span that feed an output step (padding aside) */
    int fed_upto[SL_RF_MAX]; /* the same for an output step of window layer i */
    int every;               /* > 1: every `every`-th step of the span feeds; 0: unevenly spaced */
    int gap_layer;           /* the first layer whose taps are further apart than the reach below
                              * it (so it skips steps), or -1 */
    int ended_at;            /* node where the steps axis is rearranged, or -1 */
} SlReceptive;

/* The receptive field of a model that is a chain of layers (Sequential, or a functional chain).
 * Errors name the node that makes it not a chain. */
int sl_receptive_field(const SlModel *m, SlReceptive *r, SlError *e);

/* The length of the steps axis at every level for n model-input steps: len[0] = n, len[i + 1]
 * after window layer i. Returns 0, or -1 when a 'valid' layer has nothing left. */
int sl_receptive_lengths(const SlReceptive *r, int n, int *len);

/* Light up the cells that feed cell t of the top level: lit holds every level one after the
 * other (level i starts at len[0] + ... + len[i-1]); a cell is 1 when some path of taps leads
 * from it to t. Padding cells are not in lit (they are not input). */
void sl_receptive_light(const SlReceptive *r, const int *len, int t, unsigned char *lit);

/* A sentence for the gaps: "13 of them feed it (every 3rd step): conv1d's taps are 3 steps apart
 * and the layers below it reach 1 step, so 2 steps between its taps feed nothing", or "every one
 * of them feeds it". */
void sl_receptive_gaps(const SlModel *m, const SlReceptive *r, char *buf, size_t n);

/* The table `shapelab trace` prints: one line per window layer and the stack's total. */
void sl_receptive_format(const SlModel *m, const SlReceptive *r, char *buf, size_t n);

#endif
