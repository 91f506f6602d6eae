/* pool.c: which kernels run (kernels.h), and the threads they may share their work with.
 *
 * The pool is made once by sl_threads_set(n): n - 1 threads that sleep on a condition variable
 * until a job comes. sl_parallel hands every thread its part of the job (the caller takes part 0),
 * then waits until all parts are done, so a kernel that returns has finished. A job's parts split
 * its outputs, never a sum (kernels.h), which is why the thread count cannot change a number.
 *
 * One job at a time: a kernel called from inside a part runs on its caller's thread alone.
 */
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

#ifndef SL_NO_THREADS
#include <pthread.h>
#endif

/* ---- which kernels ---- */

#ifdef SL_PLAIN_KERNELS
static const SlKernels build_default = SL_KERNELS_PLAIN;
#else
static const SlKernels build_default = SL_KERNELS_FAST;
#endif

SlKernels sl_kernels_in_use = SL_KERNELS_UNSET;

SlKernels sl_kernels_choose(void)
{
    const char *env = getenv("SL_KERNELS");
    sl_kernels_in_use = env && !strcmp(env, "plain")  ? SL_KERNELS_PLAIN
                        : env && !strcmp(env, "fast") ? SL_KERNELS_FAST
                                                      : build_default;
    return sl_kernels_in_use;
}

void sl_kernels_set(SlKernels k)
{
    sl_kernels_in_use = k;
}

const char *sl_kernels_name(SlKernels k)
{
    return k == SL_KERNELS_PLAIN ? "plain" : "fast";
}

/* ---- threads ---- */

/* Below this many multiply-adds per part, waking a thread costs more than it saves. */
static const double MIN_PART_WORK = 1 << 16;

int sl_parts_for(double work)
{
    int n = sl_threads();
    int most = work < MIN_PART_WORK ? 1 : (int)(work / MIN_PART_WORK);
    return n < most ? n : most;
}

#ifdef SL_NO_THREADS

int sl_threads_set(int n, SlError *e)
{
    if (n == 1)
        return 0;
    return sl_errorf(e, "this build of shapelab has no threads (built with SL_NO_THREADS); "
                        "it runs on one");
}

int sl_threads(void)
{
    return 1;
}

void sl_parallel(SlTask task, void *ctx, int parts)
{
    (void)parts;
    task(ctx, 0, 1);
}

#else

typedef struct Pool {
    int n; /* threads, the caller included */
    pthread_t thread[SL_MAX_THREADS];
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    unsigned long job; /* counts the jobs handed out; a thread waits for the next one */
    SlTask task;
    void *ctx;
    int parts;
    int running; /* threads still working on the job */
    int quit;
} Pool;

static Pool pool = {.n = 1,
                    .mu = PTHREAD_MUTEX_INITIALIZER,
                    .go = PTHREAD_COND_INITIALIZER,
                    .done = PTHREAD_COND_INITIALIZER};
static _Thread_local int inside_job; /* this thread is running a part */

static void *worker(void *arg)
{
    int me = (int)(size_t)arg;
    unsigned long seen = 0;
    pthread_mutex_lock(&pool.mu);
    for (;;) {
        while (pool.job == seen && !pool.quit)
            pthread_cond_wait(&pool.go, &pool.mu);
        if (pool.quit)
            break;
        seen = pool.job;
        if (me < pool.parts) {
            SlTask task = pool.task;
            void *ctx = pool.ctx;
            int parts = pool.parts;
            pthread_mutex_unlock(&pool.mu);
            inside_job = 1;
            task(ctx, me, parts);
            inside_job = 0;
            pthread_mutex_lock(&pool.mu);
        }
        if (--pool.running == 0)
            pthread_cond_signal(&pool.done);
    }
    pthread_mutex_unlock(&pool.mu);
    return NULL;
}

static void stop_pool(void)
{
    pthread_mutex_lock(&pool.mu);
    pool.quit = 1;
    pthread_cond_broadcast(&pool.go);
    pthread_mutex_unlock(&pool.mu);
    for (int t = 1; t < pool.n; t++)
        pthread_join(pool.thread[t], NULL);
    pool.quit = 0;
    pool.n = 1;
}

int sl_threads_set(int n, SlError *e)
{
    if (n < 1 || n > SL_MAX_THREADS)
        return sl_errorf(e, "threads must be from 1 to %d, got %d", SL_MAX_THREADS, n);
    if (n == pool.n)
        return 0;
    if (pool.n > 1)
        stop_pool();
    for (int t = 1; t < n; t++) {
        if (pthread_create(&pool.thread[t], NULL, worker, (void *)(size_t)t) != 0) {
            pool.n = t; /* stop the ones that started */
            stop_pool();
            return sl_errorf(e, "could not start thread %d of %d; running on one", t + 1, n);
        }
        pool.n = t + 1;
    }
    return 0;
}

int sl_threads(void)
{
    return pool.n;
}

void sl_parallel(SlTask task, void *ctx, int parts)
{
    parts = parts < pool.n ? parts : pool.n;
    if (parts <= 1 || inside_job) {
        task(ctx, 0, 1);
        return;
    }
    pthread_mutex_lock(&pool.mu);
    pool.task = task;
    pool.ctx = ctx;
    pool.parts = parts;
    pool.running = pool.n - 1;
    pool.job++;
    pthread_cond_broadcast(&pool.go);
    pthread_mutex_unlock(&pool.mu);
    inside_job = 1;
    task(ctx, 0, parts);
    inside_job = 0;
    pthread_mutex_lock(&pool.mu);
    while (pool.running > 0)
        pthread_cond_wait(&pool.done, &pool.mu);
    pthread_mutex_unlock(&pool.mu);
}

#endif
