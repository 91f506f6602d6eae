/* arena.c: bump allocation of tensors from one block. */
#include "arena.h"

#include <string.h>

#include "alloc.h"

int sl_arena_reserve(SlArena *a, size_t count)
{
    sl_arena_free(a);
    if (count == 0)
        return 0;
    a->base = sl_alloc_zero(count, sizeof *a->base);
    if (!a->base)
        return -1;
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
