/* alloc.c: the engine's one door to the heap. */
#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void *default_alloc(void *ctx, size_t size)
{
    (void)ctx;
    return malloc(size);
}

static void default_release(void *ctx, void *ptr)
{
    (void)ctx;
    free(ptr);
}

static SlAllocator current = {default_alloc, default_release, NULL};

SlAllocator sl_set_allocator(const SlAllocator *a)
{
    SlAllocator old = current;
    if (a)
        current = *a;
    else
        current = (SlAllocator){default_alloc, default_release, NULL};
    return old;
}

void *sl_alloc(size_t size)
{
    if (size == 0)
        return NULL;
    return current.alloc(current.ctx, size);
}

void *sl_alloc_zero(size_t count, size_t size)
{
    if (count == 0 || size == 0 || count > SIZE_MAX / size)
        return NULL;
    void *p = sl_alloc(count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

void sl_free(void *ptr)
{
    if (ptr)
        current.release(current.ctx, ptr);
}

void *sl_grow(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return p;
    size_t n = *cap ? *cap : 16;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return NULL;
        n *= 2;
    }
    void *q = sl_alloc_zero(n, size);
    if (!q)
        return NULL;
    if (*cap)
        memcpy(q, p, *cap * size);
    sl_free(p);
    *cap = n;
    return q;
}

char *sl_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = sl_alloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}
