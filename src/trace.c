/* trace.c: helpers for emitting events. */
#include "trace.h"

#include <string.h>

void sl_trace_step(const SlPass *p, int backward, int step, int n, const char *const *names,
                   const SlTensor *values)
{
    if (!p->obs)
        return;
    SlEvent ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = backward ? SL_EV_BACK_STEP : SL_EV_STEP;
    ev.layer = p->layer;
    ev.pass = p;
    ev.step = step;
    ev.n_named = n < SL_MAX_NAMED ? n : SL_MAX_NAMED;
    for (int i = 0; i < ev.n_named; i++) {
        ev.names[i] = names[i];
        ev.named[i] = values[i];
    }
    sl_emit(p->obs, &ev);
}

const char *sl_event_kind_name(SlEventKind k)
{
    static const char *const names[] = {"layer_begin", "layer_end", "step",      "back_begin",
                                        "back_end",    "back_step", "batch_end", "epoch_end"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}
