/* A pool of reusable contexts that cache what they read (the screening
 * contexts of the Bitcoin and the Ethereum database): a context is reused
 * only while the state it was taken in is current. The caller names that
 * state by a generation number that grows when it changes (a catch-up, an
 * import, a rules reload). The generation is recorded when a context is
 * taken, so that one taken before a change and returned after it is not
 * handed out again as current. Thread-safe. */
#ifndef TL_API_CTX_POOL_H
#define TL_API_CTX_POOL_H

#include <stdint.h>

#include "base/err.h"

struct tl_ctx_pool;

/* Opens a new context for the current state. Returns it, or NULL with err. */
typedef void *(*tl_ctx_open_fn)(void *ctx, struct tl_err *err);
/* Closes a context. */
typedef void (*tl_ctx_close_fn)(void *item);

/** Makes an empty pool.
 *
 *  Returns: the pool (tl_ctx_pool_free), or NULL when out of memory.
 *  In:      open, close: how contexts are made and ended; open_ctx: open's ctx.
 */
struct tl_ctx_pool *tl_ctx_pool_new(tl_ctx_open_fn open, tl_ctx_close_fn close, void *open_ctx);

/** Lends a context of generation gen: an idle one taken in gen, else a
 *  new one. Idle contexts of another generation met on the way are
 *  closed.
 *
 *  Returns: the context, or NULL with err (open failed, out of memory).
 *  Args:    p: the pool; err: the failure.
 *  In:      gen: the current generation, read before the call.
 */
void *tl_ctx_pool_get(struct tl_ctx_pool *p, uint64_t gen, struct tl_err *err);

/** Returns a context lent by tl_ctx_pool_get. It is kept for reuse when
 *  the generation it was lent in is still now_gen, else closed.
 *
 *  Args:    p: the pool; item: the context (NULL: nothing happens).
 *  In:      now_gen: the current generation.
 */
void tl_ctx_pool_put(struct tl_ctx_pool *p, void *item, uint64_t now_gen);

/** Closes every idle context and frees the pool (NULL is fine). Every
 *  lent context must have been returned. */
void tl_ctx_pool_free(struct tl_ctx_pool *p);

#endif
