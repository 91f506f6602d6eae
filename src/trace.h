/* trace.h: what the engine tells whoever listens (DESIGN.md, seam 2).
 *
 * A caller may attach one observer to a model. The engine emits events as data flows; with no
 * observer attached the cost is one branch per layer call. Tensors in events are views, valid only
 * during the callback: a listener that keeps them (the visualizer's timeline) copies what it needs.
 * The engine never knows who listens.
 *
 * STEP and BACK_STEP events come from the recurrent layers (SimpleRNN, LSTM, GRU): one per
 * timestep of each call, with sample 0's input row, gates and states, and backward their
 * gradients; layers/rnn.h lists the names. No other layer emits them yet. The visualizer's lstm
 * scene draws from these events; the mask, stateful and bidirectional scenes step the cell
 * themselves with sl_rnn_steps (layers/rnn.h), on sequences and states of their own choosing.
 */
#ifndef SL_TRACE_H
#define SL_TRACE_H

#include "layer.h"

typedef enum SlEventKind {
    SL_EV_LAYER_BEGIN, /* forward: a layer call starts; pass->x and masks are ready */
    SL_EV_LAYER_END,   /* forward: pass->y filled; why = the shape sentence */
    SL_EV_STEP,        /* forward: an inner step (a recurrent layer's timestep) */
    SL_EV_BACK_BEGIN,  /* backward: pass->dy ready */
    SL_EV_BACK_END,    /* backward: pass->dx and the parameter gradients accumulated */
    SL_EV_BACK_STEP,   /* backward: an inner step, last first */
    SL_EV_BATCH_END,   /* training: a batch done; loss and metrics */
    SL_EV_EPOCH_END    /* training: an epoch done */
} SlEventKind;

enum { SL_MAX_NAMED = 8 };

typedef struct SlEvent {
    SlEventKind kind;
    const SlLayer *layer; /* layer events */
    const SlPass *pass;   /* layer events: tensors, gradients, masks */
    const SlInfer *io;    /* layer events: the call's concrete shapes and mask rules */
    const char *why;      /* LAYER_END: why the shape changed (and whether a mask was dropped) */
    int step;             /* STEP events: the timestep s (in the order the layer reads) */
    int n_named;          /* STEP events: named vectors (x, gates, c, h; dh, dc, dz) */
    const char *names[SL_MAX_NAMED];
    SlTensor named[SL_MAX_NAMED];
    int batch, epoch; /* BATCH_END / EPOCH_END */
    int n_metrics;
    const char *const *metric_names;
    const double *metric_values;
} SlEvent;

struct SlObserver {
    void (*on_event)(void *ctx, const SlEvent *ev);
    void *ctx;
};

static inline void sl_emit(const SlObserver *o, const SlEvent *ev)
{
    if (o && o->on_event)
        o->on_event(o->ctx, ev);
}

/* For layers with inner loops: emit a STEP (backward: BACK_STEP) event with named quantities.
 * Call it only under `if (p->obs)` so the silent path stays one branch. */
void sl_trace_step(const SlPass *p, int backward, int step, int n, const char *const *names,
                   const SlTensor *values);

const char *sl_event_kind_name(SlEventKind k);

#endif
