/* pool.c: which kernels run (kernels.h), and the threads they may share their work with.
 *
 * The pool is made once by sl_threads_set(n): n - 1 threads that wait for a job (spinning a little,
 * then asleep on a condition variable). sl_parallel hands every thread its part of the job (the
 * caller takes part 0), then waits until all parts are done, so a kernel that returns has
 * finished. A job's parts split its outputs, never a sum (kernels.h), which is why the thread
 * count cannot change a number.
 *
 * One job at a time: a kernel called from inside a part runs on its caller's thread alone.
 */
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

/* Emscripten without its pthreads (the browser build): no threads, as with SL_NO_THREADS. */
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__) && !defined(SL_NO_THREADS)
#define SL_NO_THREADS
#endif

#ifndef SL_NO_THREADS
#include <pthread.h>
#include <stdatomic.h>
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

/* A thread that finds no job spins this many rounds before it sleeps: a training step hands out
 * jobs a few microseconds apart (the steps of a recurrent layer), and waking a sleeping thread
 * takes longer than that. About 20 microseconds; a program that stops training sleeps. */
enum { SPIN = 1 << 10 };

static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

typedef struct Pool {
    int n; /* threads, the caller included */
    pthread_t thread[SL_MAX_THREADS];
    pthread_mutex_t mu; /* for sleeping and waking only */
    pthread_cond_t go, done;
    atomic_ulong job; /* counts the jobs handed out; a thread waits for the next one */
    SlTask task;      /* the job: set before job counts it, read after */
    void *ctx;
    int parts;
    atomic_int running; /* threads still working on the job */
    atomic_int quit;
} Pool;

static Pool pool = {.n = 1,
                    .mu = PTHREAD_MUTEX_INITIALIZER,
                    .go = PTHREAD_COND_INITIALIZER,
                    .done = PTHREAD_COND_INITIALIZER};
static _Thread_local int inside_job; /* this thread is running a part */

/* Wait until a job after `seen` comes (or the pool stops): spin a while, then sleep. */
static unsigned long next_job(unsigned long seen)
{
    for (int i = 0; i < SPIN && atomic_load(&pool.job) == seen && !atomic_load(&pool.quit); i++)
        relax();
    pthread_mutex_lock(&pool.mu);
    while (atomic_load(&pool.job) == seen && !atomic_load(&pool.quit))
        pthread_cond_wait(&pool.go, &pool.mu);
    pthread_mutex_unlock(&pool.mu);
    return atomic_load(&pool.job);
}

static void *worker(void *arg)
{
    int me = (int)(size_t)arg;
    unsigned long seen = 0;
    for (;;) {
        seen = next_job(seen);
        if (atomic_load(&pool.quit))
            return NULL;
        if (me < pool.parts) {
            inside_job = 1;
            pool.task(pool.ctx, me, pool.parts);
            inside_job = 0;
        }
        if (atomic_fetch_sub(&pool.running, 1) == 1) { /* the last one tells the caller */
            pthread_mutex_lock(&pool.mu);
            pthread_cond_signal(&pool.done);
            pthread_mutex_unlock(&pool.mu);
        }
    }
}

static void stop_pool(void)
{
    pthread_mutex_lock(&pool.mu);
    atomic_store(&pool.quit, 1);
    pthread_cond_broadcast(&pool.go);
    pthread_mutex_unlock(&pool.mu);
    for (int t = 1; t < pool.n; t++)
        pthread_join(pool.thread[t], NULL);
    atomic_store(&pool.quit, 0);
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
    atomic_store(&pool.job, 0);
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
    pool.task = task;
    pool.ctx = ctx;
    pool.parts = parts;
    atomic_store(&pool.running, pool.n - 1);
    atomic_fetch_add(&pool.job, 1); /* publishes the job (sequentially consistent) */
    pthread_mutex_lock(&pool.mu);   /* wake the ones that went to sleep */
    pthread_cond_broadcast(&pool.go);
    pthread_mutex_unlock(&pool.mu);
    inside_job = 1;
    task(ctx, 0, parts);
    inside_job = 0;
    for (int i = 0; i < SPIN && atomic_load(&pool.running) > 0; i++)
        relax();
    pthread_mutex_lock(&pool.mu);
    while (atomic_load(&pool.running) > 0)
        pthread_cond_wait(&pool.done, &pool.mu);
    pthread_mutex_unlock(&pool.mu);
}

#endif
