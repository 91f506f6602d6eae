/* rnn.h: windows into the recurrent layers' time loop, for pictures, lessons and tests.
 *
 * The layers themselves are used through the layer interface like any other (rnn.c). Two ways
 * to see their steps:
 *
 * 1. The trace. With an observer attached (sl_model_set_observer), every call of SimpleRNN, LSTM
 *    or GRU emits one SL_EV_STEP event per timestep, in reading order (ev->step = s = 0 .. T-1;
 *    with go_backwards step s read input step T-1-s), and backward one SL_EV_BACK_STEP per step,
 *    from s = T-1 down to 0. The named vectors are sample 0's (the first row of the batch), each
 *    a rank-1 view valid during the callback:
 *      STEP       SimpleRNN  x h
 *                 LSTM       x i f g o c h
 *                 GRU        x z r n h
 *      BACK_STEP  SimpleRNN  dh dz         LSTM  dh dc dz         GRU  dh dz
 *    x (features) is the input row the step read; i f g o and z r n (units each) are the gates
 *    after their activations, in the kernel's block order: g is the LSTM's candidate (Keras's c
 *    block, c~ in the papers), n the GRU's (Keras's h block, called hh in its code, h~ in the
 *    papers); c and h (units) are the states after the step, h also the step's output. dh and dc
 *    are the gradients of h and c after the step (from the outputs and the later steps), dz
 *    (G*units) the gradient of the step's gate pre-activations, in the kernel's block order. A
 *    step masked for sample 0 runs no cell: its events leave out the gates and dz.
 *    A layer inside a wrapper (Bidirectional, TimeDistributed) emits no step events.
 * 2. sl_rnn_steps: the cell stepped by hand through any one sequence, from any states, without a
 *    model call (the mask, stateful and bidirectional scenes): every gate and state at every
 *    step, computed by the same code the layer runs. */
#ifndef SL_RNN_H
#define SL_RNN_H

#include "layer.h"

typedef struct SlRnnSteps {
    int T, units, G;   /* steps, units, gate blocks (LSTM 4: i f c o; GRU 3: z r h; SimpleRNN 1) */
    const char *gates; /* their letters: "ifco", "zrh", "h" */
    int go_backwards;  /* step s read input step T-1-s */
    sl_real *a;        /* (T, G*units): the gates after their activations, step by step */
    sl_real *h;        /* (T+1, units): h before the first step, then after each */
    sl_real *c;        /* (T+1, units): LSTM's c likewise; NULL for GRU and SimpleRNN */
} SlRnnSteps;

/* The states a recurrent layer (sl_layer_is(l, SL_KIND_RECURRENT)) carries: 2 for LSTM (h, c),
 * 1 for GRU and SimpleRNN (h). */
int sl_rnn_n_states(const SlLayer *l);
/* The state k (0: h, 1: LSTM's c) that a built stateful layer carries to the next batch, shape
 * (batch, units) into *shape; NULL for a layer that carries none (not stateful, not built, not
 * recurrent). Checkpoints save and restore them through this view. */
sl_real *sl_rnn_carried(const SlLayer *l, int k, SlShape *shape);
/* Step built layer l through one sample x (T, features) from states h0, c0 (NULL: zeros).
 * Allocates s's arrays; free them with sl_rnn_steps_free. */
int sl_rnn_steps(const SlLayer *l, const sl_real *x, int T, const sl_real *h0, const sl_real *c0,
                 SlRnnSteps *s, SlError *e);
void sl_rnn_steps_free(SlRnnSteps *s);

/* What a picture of a recurrent layer needs besides its step events: the Keras names of its
 * activations, and where its states start. */
typedef struct SlRnnInfo {
    const char *activation;           /* the candidates g and n, LSTM's act(c), SimpleRNN's h */
    const char *recurrent_activation; /* the gates i f o and z r; NULL for SimpleRNN */
    int go_backwards;                 /* step s read input step T-1-s */
    int stateful;                     /* the states before step 0 are the last batch's */
    int return_sequences, return_state;
    int zero_output_for_mask; /* a masked step outputs zeros (else the last output again) */
} SlRnnInfo;
/* Fill info for recurrent layer l; -1 (and info zeroed) when l is not one. */
int sl_rnn_info(const SlLayer *l, SlRnnInfo *info);
/* Set zero_output_for_mask of recurrent layer l: Bidirectional sets it on both copies to their
 * return_sequences, as Keras does. */
void sl_rnn_set_zero_output_for_mask(SlLayer *l, int zero);

#endif
