/* progbar.c: the progress bar Keras prints during fit, as tf.keras 2.x prints it.
 *
 * verbose 1 on a terminal, redrawn in place with '\r':
 *   12/30 [===========>..................] - ETA: 3s - loss: 0.6913 - accuracy: 0.8100
 *   30/30 [==============================] - 6s 201ms/step - loss: 0.6913 - accuracy: 0.8100
 * verbose 1 when the output is not a terminal: only the finished line of each epoch.
 * verbose 2, one line per epoch:
 *   30/30 - 6s - loss: 0.6913 - accuracy: 0.8100 - 6s/epoch - 201ms/step
 * Values print as %.4f, or %.4e when small: |v| <= 1e-3 with verbose 1, v <= 1e-3 with verbose 2
 * (so negative values too), as tf.keras's Progbar does.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "train.h"

double sl_clock_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void sl_progbar_init(SlProgbar *p, int target, int verbose, int dynamic, FILE *out,
                     double (*clock)(void))
{
    memset(p, 0, sizeof *p);
    p->target = target;
    p->width = 30;
    p->verbose = verbose;
    p->dynamic = dynamic;
    p->out = out ? out : stdout;
    p->clock = clock ? clock : sl_clock_seconds;
    p->start = p->clock();
    p->last_update = -1e300;
    p->interval = 0.05;
}

/* " 201ms/step", " 6s/epoch", " 950us/step" */
static void format_time(char *buf, size_t n, double t, const char *unit)
{
    if (t >= 1 || t == 0)
        snprintf(buf, n, " %.0fs/%s", t, unit);
    else if (t >= 1e-3)
        snprintf(buf, n, " %.0fms/%s", t * 1e3, unit);
    else
        snprintf(buf, n, " %.0fus/%s", t * 1e6, unit);
}

/* Time per step, not counting the first step (which includes planning) once there are more. */
static double step_time(SlProgbar *p, int current, double now)
{
    if (!current)
        return 0;
    double t = p->have_first_step && current > 1 ? (now - p->time_after_first_step) / (current - 1)
                                                 : (now - p->start) / current;
    if (current == 1) {
        p->time_after_first_step = now;
        p->have_first_step = 1;
    }
    return t;
}

static size_t append_values(char *buf, size_t n, const SlLogs *v, int use_abs)
{
    size_t u = 0;
    for (int i = 0; v && i < v->n && u < n; i++) {
        double x = v->value[i];
        int small = use_abs ? fabs(x) <= 1e-3 : x <= 1e-3;
        u += (size_t)snprintf(buf + u, n - u, small ? " - %s: %.4e" : " - %s: %.4f", v->name[i], x);
    }
    return u;
}

static void bar_text(const SlProgbar *p, int current, char *buf, size_t n)
{
    int digits = (int)log10((double)p->target) + 1;
    size_t u = (size_t)snprintf(buf, n, "%*d/%d [", digits, current, p->target);
    int prog_width = (int)(p->width * ((double)current / p->target));
    for (int i = 0; i < prog_width - 1 && u < n; i++)
        buf[u++] = '=';
    if (prog_width > 0 && u < n)
        buf[u++] = current < p->target ? '>' : '=';
    for (int i = prog_width; i < p->width && u < n; i++)
        buf[u++] = '.';
    snprintf(buf + u, n - u, "]");
}

static void eta_text(char *buf, size_t n, double eta)
{
    if (eta > 3600)
        snprintf(buf, n, " - ETA: %d:%02d:%02d", (int)(eta / 3600), (int)fmod(eta, 3600) / 60,
                 (int)fmod(eta, 60));
    else if (eta > 60)
        snprintf(buf, n, " - ETA: %d:%02d", (int)(eta / 60), (int)fmod(eta, 60));
    else
        snprintf(buf, n, " - ETA: %ds", (int)eta);
}

static void verbose1(SlProgbar *p, int current, const SlLogs *values, int finalize, double now)
{
    char bar[128], info[2048], t[48];
    if (!p->dynamic && !finalize)
        return; /* not a terminal: only the finished line */
    bar_text(p, current, bar, sizeof bar);
    double per_step = step_time(p, current, now);
    size_t u = (size_t)snprintf(info, sizeof info, " - %.0fs", now - p->start);
    if (finalize) {
        format_time(t, sizeof t, per_step, "step");
        u += (size_t)snprintf(info + u, sizeof info - u, "%s", t);
    } else {
        eta_text(info, sizeof info, per_step * (p->target - current));
        u = strlen(info);
    }
    u += append_values(info + u, sizeof info - u, values, 1);
    int prev = p->total_width;
    p->total_width = (int)(strlen(bar) + u);
    fprintf(p->out, "%s%s%s%*s%s", p->dynamic ? "\r" : "", bar, info,
            prev > p->total_width ? prev - p->total_width : 0, "", finalize ? "\n" : "");
    fflush(p->out);
}

static void verbose2(SlProgbar *p, int current, const SlLogs *values, double now)
{
    char info[2048], t1[48], t2[48];
    int digits = (int)log10((double)p->target) + 1;
    size_t u = (size_t)snprintf(info, sizeof info, "%*d/%d - %.0fs", digits, current, p->target,
                                now - p->start);
    u += append_values(info + u, sizeof info - u, values, 0);
    format_time(t1, sizeof t1, now - p->start, "epoch");
    format_time(t2, sizeof t2, (now - p->start) / p->target, "step");
    fprintf(p->out, "%s -%s -%s\n", info, t1, t2);
    fflush(p->out);
}

void sl_progbar_update(SlProgbar *p, int current, const SlLogs *values, int finalize)
{
    double now = p->clock();
    if (p->target < 1)
        return;
    if (p->verbose == 1) {
        if (now - p->last_update < p->interval && !finalize)
            return;
        verbose1(p, current, values, finalize, now);
    } else if (p->verbose == 2 && finalize) {
        verbose2(p, current, values, now);
    }
    p->last_update = now;
}
