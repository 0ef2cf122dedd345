/* What ties the node follower (live/follow.h) and its mempool to a
 * running server (api/serve.h): announcements of new blocks wake the
 * server's indexer, prevouts resolve through the server's store and
 * screening contexts, and /v1/screen answers for unconfirmed
 * transactions from the mempool. */
#ifndef TL_LIVE_GLUE_H
#define TL_LIVE_GLUE_H

#include <stdatomic.h>
#include <stdint.h>

#include <jansson.h>

#include "api/serve.h"
#include "live/mempool.h"

struct tl_live_glue {
	_Atomic(struct tl_app *) app;   /* NULL until the server is open */
	struct tl_mempool *mempool;     /* may be NULL */
};

/* tl_follow_opts.on_blocks: tl_app_kick once the server is open. */
void tl_live_glue_on_blocks(void *glue);
/* tl_follow_opts.prevout: tl_mempool_index_prevout over the server's
 * store and a borrowed screening context; -2 before the server is open. */
int tl_live_glue_prevout(void *glue, const uint8_t txid[32], uint32_t vout, uint64_t *value,
			 struct tl_screen_exp *exp, size_t cap, struct tl_err *err);
/* tl_serve_opts.extra_screen: the mempool's verdict (tl_mempool_screen). */
json_t *tl_live_glue_screen(void *glue, struct tl_screen *sc, const uint8_t txid[32], uint32_t vout);

#endif
