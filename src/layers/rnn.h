/* rnn.h: the recurrent layers' cell, stepped by hand for one sample, for pictures and lessons.
 *
 * The layers themselves are used through the layer interface like any other (rnn.c); this is the
 * window into their time loop: every gate's value and every state at every step of one sequence,
 * computed by the same cell code the layer runs. */
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
/* Step built layer l through one sample x (T, features) from states h0, c0 (NULL: zeros).
 * Allocates s's arrays; free them with sl_rnn_steps_free. */
int sl_rnn_steps(const SlLayer *l, const sl_real *x, int T, const sl_real *h0, const sl_real *c0,
                 SlRnnSteps *s, SlError *e);
void sl_rnn_steps_free(SlRnnSteps *s);

#endif
