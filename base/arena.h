/* A bump allocator: many small allocations freed at once. Parsed blocks
 * keep their input/output arrays in one, so parsing a block costs a few
 * large allocations instead of one per transaction, and reusing a
 * reset arena for the next block costs none. */
#ifndef TL_BASE_ARENA_H
#define TL_BASE_ARENA_H

#include <stddef.h>

struct tl_arena_chunk;
struct tl_arena {
	struct tl_arena_chunk *head; /* newest chunk first */
};

void tl_arena_init(struct tl_arena *a);
/* Returns n bytes aligned to 16, valid until reset or free. Aborts on
 * out-of-memory. */
void *tl_arena_alloc(struct tl_arena *a, size_t n);
/* Frees every allocation but keeps the largest chunk for reuse. */
void tl_arena_reset(struct tl_arena *a);
void tl_arena_free(struct tl_arena *a);

#endif
