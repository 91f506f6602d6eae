/* arena.c: bump allocation of tensors from one block. */
#define _DEFAULT_SOURCE /* madvise */
#include "arena.h"

#include <stdint.h>
#include <string.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

#include "alloc.h"

/* Ask Linux to back the block with 2 MB pages where it lies on them, before it is first touched:
 * a model's activations are tens of MB, walked step by step, and with 4 KB pages every few
 * values of a walk would need a page-table entry the core's TLB does not hold. A hint; nothing
 * changes where the system says no, or is not Linux. */
static void want_huge_pages(void *p, size_t bytes)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    enum { HUGE = 2 << 20 };
    uintptr_t from = ((uintptr_t)p + HUGE - 1) / HUGE * HUGE,
              to = ((uintptr_t)p + bytes) / HUGE * HUGE;
    if (to > from)
        madvise((void *)from, to - from, MADV_HUGEPAGE);
#else
    (void)p, (void)bytes;
#endif
}

int sl_arena_reserve(SlArena *a, size_t count)
{
    sl_arena_free(a);
    if (count == 0)
        return 0;
    if (count > SIZE_MAX / sizeof *a->base || !(a->base = sl_alloc(count * sizeof *a->base)))
        return -1;
    want_huge_pages(a->base, count * sizeof *a->base);
    memset(a->base, 0, count * sizeof *a->base);
    a->cap = count;
    return 0;
}

sl_real *sl_arena_take(SlArena *a, size_t count)
{
    if (count == 0 || count > a->cap - a->used)
        return NULL; /* nothing to hand out, or a planning bug */
    sl_real *p = a->base + a->used;
    a->used += count;
    return p;
}

void sl_arena_reset(SlArena *a)
{
    a->used = 0;
}

void sl_arena_zero(SlArena *a)
{
    if (a->base && a->used)
        memset(a->base, 0, a->used * sizeof *a->base);
}

void sl_arena_free(SlArena *a)
{
    sl_free(a->base);
    a->base = NULL;
    a->cap = 0;
    a->used = 0;
}
