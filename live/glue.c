/* Follower-to-server glue (live/glue.h). */
#include "live/glue.h"

void tl_live_glue_on_blocks(void *glue)
{
	struct tl_live_glue *g = glue;
	struct tl_app *app = atomic_load(&g->app);
	if (app) tl_app_kick(app);
}

int tl_live_glue_prevout(void *glue, const uint8_t txid[32], uint32_t vout, uint64_t *value,
			 struct tl_screen_exp *exp, size_t cap, struct tl_err *err)
{
	struct tl_live_glue *g = glue;
	struct tl_app *app = atomic_load(&g->app);
	if (!app) return -2;
	/* Pinned from taking the context to giving it back: the pool files a
	 * context under the state served when it is given back, so a context
	 * taken in one state and given back in a newer one would be handed
	 * out later as if it knew the newer blocks. */
	tl_store_view_begin(app->store);
	struct tl_screen *sc = tl_app_screen_get(app, err);
	int r = -1;
	if (sc) {
		struct tl_mempool_index ix = { .store = app->store, .sc = sc };
		r = tl_mempool_index_prevout(&ix, txid, vout, value, exp, cap, err);
		tl_app_screen_put(app, sc);
	}
	tl_store_view_end(app->store);
	return r;
}

json_t *tl_live_glue_screen(void *glue, struct tl_screen *sc, const uint8_t txid[32], uint32_t vout)
{
	struct tl_live_glue *g = glue;
	return g->mempool ? tl_mempool_screen(g->mempool, sc, txid, vout) : NULL;
}
