/* alloc.h: every heap allocation of the engine goes through here.
 *
 * One place to count allocations (the zero-allocations-per-training-step test installs a counting
 * allocator) and one place that turns "out of memory" into an error instead of a crash.
 */
#ifndef SL_ALLOC_H
#define SL_ALLOC_H

#include <stddef.h>

typedef struct SlAllocator {
    void *(*alloc)(void *ctx, size_t size); /* like malloc */
    void (*release)(void *ctx, void *ptr);  /* like free */
    void *ctx;
} SlAllocator;

/* Install an allocator (NULL restores malloc/free). Returns the previous one. Memory must be
 * released by the allocator that gave it, so install before building a model. */
SlAllocator sl_set_allocator(const SlAllocator *a);

void *sl_alloc(size_t size);                    /* NULL on failure or size 0 */
void *sl_alloc_zero(size_t count, size_t size); /* zeroed; NULL on failure or overflow */
void sl_free(void *ptr);
char *sl_strdup(const char *s);
/* A growable array: room for at least `need` elements of `size` bytes in p, whose room is *cap
 * elements. When it is too small the room doubles (from 16) until it fits, the elements move to
 * the new block (the rest zeroed) and p is freed. Returns the array to use from then on, with
 * *cap updated; NULL when memory runs out or the size overflows (p and *cap stay as they were). */
void *sl_grow(void *p, size_t *cap, size_t need, size_t size);

#endif
