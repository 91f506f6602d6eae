/* receptive.c: the receptive field of a stack of window layers (receptive.h). */
#include "receptive.h"

#include <stdio.h>
#include <string.h>

/* a + b * c for reaches and jumps, in 64 bits and held at SL_MAX_ELEMENTS: a reach that large
 * is already more steps than any input can have (tensor.h), and the sum cannot overflow. */
static int reach_add(long long a, long long b, long long c)
{
    long long cap = SL_MAX_ELEMENTS;
    if (b > 0 && c > (cap - a) / b)
        return SL_MAX_ELEMENTS;
    return (int)(a + b * c);
}

#include "alloc.h"

/* The offsets (in input steps, from the first of the span) that feed one output step: {0} for an
 * input step, then through each layer every tap's offset t * d * jump added to what the layers
 * below see. Counted in a bitmap as long as the span; r->fed and r->every from it. */
static int count_fed(SlReceptive *r, SlError *e)
{
    r->gap_layer = -1;
    for (int i = 0, below = 1; i < r->n; i++) { /* the first layer that skips steps */
        if (r->win[i].k > 1 && r->win[i].d * r->jump[i] > below && r->gap_layer < 0)
            r->gap_layer = i;
        below = r->reach[i];
    }
    if (r->total > SL_MAX_DIM) /* a bitmap as long as the span: no more than a size may be */
        return sl_errorf(e,
                         "the receptive field spans %d input steps, more than shapelab counts "
                         "step by step (%d)",
                         r->total, SL_MAX_DIM);
    unsigned char *on = sl_alloc_zero((size_t)r->total, 1);
    if (!on)
        return sl_errorf(e, "out of memory counting the %d steps of a receptive field", r->total);
    on[0] = 1;
    int hi = 0; /* the highest offset so far */
    for (int i = 0; i < r->n; i++) {
        int step = r->win[i].d * r->jump[i], top = hi;
        for (int o = top; o >= 0; o--) /* from the top down, so new offsets are not reused */
            for (int t = 1; on[o] && t < r->win[i].k; t++)
                on[o + t * step] = 1;
        hi += (r->win[i].k - 1) * step;
        r->fed_upto[i] = 0;
        for (int o = 0; o <= hi; o++)
            r->fed_upto[i] += on[o];
    }
    int last = -1, gap = 0;
    r->fed = 0;
    r->every = 1;
    for (int o = 0; o < r->total; o++)
        if (on[o]) {
            r->fed++;
            if (last >= 0 && gap && o - last != gap)
                r->every = 0;
            gap = last >= 0 ? o - last : 0;
            last = o;
        }
    if (r->every && gap > 1)
        r->every = gap;
    sl_free(on);
    return 0;
}

int sl_receptive_field(const SlModel *m, SlReceptive *r, SlError *e)
{
    memset(r, 0, sizeof *r);
    r->ended_at = -1;
    r->total = 1;
    int reach = 1, jump = 1;
    for (int i = 0; i < m->n_nodes; i++) {
        const SlNode *nd = &m->nodes[i];
        if (i > 0 && (nd->sym.n_in != 1 || m->t[nd->in[0]].node != i - 1))
            return sl_errorf(e,
                             "the receptive field is worked out for a chain of layers; '%s' "
                             "does not take the previous layer's output alone",
                             nd->layer->name);
        SlWindowGeom w;
        if (nd->layer->steps == SL_STEPS_WINDOW && nd->layer->type->window(nd->layer, 0, &w) &&
            !w.transposed) {
            if (r->n >= SL_RF_MAX)
                return sl_errorf(e, "more than %d window layers", SL_RF_MAX);
            int k = r->n++;
            r->node[k] = i;
            r->win[k] = w;
            r->span[k] = sl_conv_span(w.k, w.d);
            r->jump[k] = jump;
            reach = reach_add(reach, (long long)(w.k - 1) * w.d, jump);
            jump = reach_add(0, jump, w.s);
            r->reach[k] = reach;
        } else if (nd->layer->steps != SL_STEPS_EACH && r->ended_at < 0) {
            r->ended_at = i;
            break;
        }
    }
    r->total = reach;
    return count_fed(r, e);
}

int sl_receptive_lengths(const SlReceptive *r, int n, int *len)
{
    len[0] = n;
    for (int i = 0; i < r->n; i++) {
        len[i + 1] = sl_window_out_len(&r->win[i], len[i], NULL);
        if (len[i + 1] <= 0)
            return -1;
    }
    return 0;
}

void sl_receptive_light(const SlReceptive *r, const int *len, int t, unsigned char *lit)
{
    size_t off[SL_RF_MAX + 1], total = 0;
    for (int i = 0; i <= r->n; i++) {
        off[i] = total;
        total += (size_t)len[i];
    }
    memset(lit, 0, total);
    if (t >= 0 && t < len[r->n])
        lit[off[r->n] + (size_t)t] = 1;
    for (int i = r->n - 1; i >= 0; i--) { /* from the top down, through each layer's taps */
        const SlWindowGeom *w = &r->win[i];
        int pad;
        sl_window_out_len(w, len[i], &pad);
        for (int o = 0; o < len[i + 1]; o++) {
            if (!lit[off[i + 1] + (size_t)o])
                continue;
            for (int tap = 0; tap < w->k; tap++) {
                int at = o * w->s - pad + tap * w->d;
                if (at >= 0 && at < len[i]) /* outside: padding, not input */
                    lit[off[i] + (size_t)at] = 1;
            }
        }
    }
}

/* 2nd, 3rd, 4th, 11th, 21st ... */
static const char *ordinal(int k)
{
    int t = k % 100;
    return t >= 11 && t <= 13 ? "th"
           : k % 10 == 1      ? "st"
           : k % 10 == 2      ? "nd"
           : k % 10 == 3      ? "rd"
                              : "th";
}

void sl_receptive_gaps(const SlModel *m, const SlReceptive *r, char *buf, size_t n)
{
    if (r->fed >= r->total) {
        snprintf(buf, n, "every one of them feeds it");
        return;
    }
    char every[48] = "";
    if (r->every > 1)
        snprintf(every, sizeof every, " (every %d%s step)", r->every, ordinal(r->every));
    size_t u = (size_t)snprintf(buf, n, "%d of them feed it%s", r->fed, every);
    if (r->gap_layer < 0 || u >= n)
        return;
    int i = r->gap_layer, apart = r->win[i].d * r->jump[i];
    int below = i > 0 ? r->reach[i - 1] : 1;
    snprintf(buf + u, n - u,
             ": %s's taps are %d steps apart and the layers below it reach %d step%s, so %d "
             "step%s between two taps feed%s nothing",
             m->nodes[r->node[i]].layer->name, apart, below, below == 1 ? "" : "s", apart - below,
             apart - below == 1 ? "" : "s", apart - below == 1 ? "s" : "");
}

void sl_receptive_format(const SlModel *m, const SlReceptive *r, char *buf, size_t n)
{
    size_t u = (size_t)snprintf(buf, n,
                                "receptive field along the steps (a layer spans 1 + (k - 1) * d "
                                "of its input; strides below multiply its reach):\n");
    for (int i = 0; i < r->n && u < n; i++) {
        const SlLayer *l = m->nodes[r->node[i]].layer;
        const SlWindowGeom *w = &r->win[i];
        char who[160];
        snprintf(who, sizeof who, "%s (%s)", l->name, l->type->name);
        if (w->shift)
            u += (size_t)snprintf(buf + u, n - u, "  %-28s shifts the steps by %d: reach %d\n", who,
                                  w->before, r->reach[i]);
        else
            u += (size_t)snprintf(buf + u, n - u,
                                  "  %-28s k=%d d=%d s=%d: span 1 + (%d - 1) * %d = %d%s, "
                                  "reach %d step%s\n",
                                  who, w->k, w->d, w->s, w->k, w->d, r->span[i],
                                  r->jump[i] > 1 ? " cells" : "", r->reach[i],
                                  r->reach[i] == 1 ? "" : "s");
        if (r->jump[i] > 1 && u < n)
            u += (size_t)snprintf(buf + u, n - u,
                                  "  %-28s (its input cells are %d steps apart: the strides "
                                  "below)\n",
                                  "", r->jump[i]);
    }
    if (u < n) {
        char gaps[512];
        sl_receptive_gaps(m, r, gaps, sizeof gaps);
        u += (size_t)snprintf(buf + u, n - u, "  one output step spans %d input step%s; %s",
                              r->total, r->total == 1 ? "" : "s", gaps);
    }
    SlWindowGeom w;
    const SlLayer *end = r->ended_at >= 0 ? m->nodes[r->ended_at].layer : NULL;
    if (end && u < n && end->type->window(end, 0, &w) && w.transposed)
        snprintf(buf + u, n - u,
                 "\n  that holds up to '%s', which spreads each step over %d output steps (a "
                 "transposed window: the table stops there)",
                 end->name, sl_conv_span(w.k, w.d));
    else if (end && u < n)
        snprintf(buf + u, n - u,
                 "\n  that holds up to '%s', which rearranges the steps (after it: all of them)",
                 end->name);
}
