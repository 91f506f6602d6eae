/* arena.h: one block of sl_real, carved into tensors.
 *
 * Parameters, gradients and optimizer state each live in one arena, sized first and allocated once,
 * then carved into named views in declaration order (llm.c's habit). The activation plan uses one
 * too, regrown only when a larger batch or a longer sequence arrives.
 */
#ifndef SL_ARENA_H
#define SL_ARENA_H

#include <stddef.h>

#include "tensor.h"

typedef struct SlArena {
    sl_real *base;
    size_t cap;  /* elements allocated */
    size_t used; /* elements handed out */
} SlArena;

/* Allocate room for `count` zeroed elements (freeing what was there). -1 when out of memory. */
int sl_arena_reserve(SlArena *a, size_t count);
/* Hand out the next `count` elements, or NULL when the arena is full (a planning bug). */
sl_real *sl_arena_take(SlArena *a, size_t count);
void sl_arena_reset(SlArena *a); /* forget what was handed out; keep the block */
void sl_arena_zero(SlArena *a);  /* zero the handed-out part */
void sl_arena_free(SlArena *a);

#endif
