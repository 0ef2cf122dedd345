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

/** Makes a an empty arena; it allocates nothing until the first alloc.
 *
 *  Out:     a: an empty arena; release with tl_arena_free.
 */
void tl_arena_init(struct tl_arena *a);
/** Allocates n bytes from the arena.
 *
 *  Returns: n bytes aligned to 16, owned by the arena and valid until
 *           tl_arena_reset or tl_arena_free. Aborts on out-of-memory.
 *  Args:    a: an initialised arena.
 *  In:      n: bytes wanted.
 */
void *tl_arena_alloc(struct tl_arena *a, size_t n);
/** Frees every allocation but keeps the largest chunk for reuse.
 *
 *  Args:    a: an initialised arena; earlier allocations become invalid.
 */
void tl_arena_reset(struct tl_arena *a);
/** Frees every chunk; a is left empty and may be reused.
 *
 *  Args:    a: an initialised arena; earlier allocations become invalid.
 */
void tl_arena_free(struct tl_arena *a);

#endif
