/* The context pool (ctx_pool.h): idle contexts on a stack, lent ones in a
 * list that remembers the generation each was lent in. */
#include "api/ctx_pool.h"

#include <pthread.h>
#include <stdlib.h>

struct slot {
	void *item;
	uint64_t gen;
};

struct slots {
	struct slot *v;
	size_t n, cap;
};

struct tl_ctx_pool {
	pthread_mutex_t lock;
	tl_ctx_open_fn open;
	tl_ctx_close_fn close;
	void *open_ctx;
	struct slots idle, lent;
};

static int slots_push(struct slots *s, void *item, uint64_t gen)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 8;
		struct slot *v = realloc(s->v, nc * sizeof *v);
		if (!v) return -1;
		s->v = v;
		s->cap = nc;
	}
	s->v[s->n++] = (struct slot){ item, gen };
	return 0;
}

struct tl_ctx_pool *tl_ctx_pool_new(tl_ctx_open_fn open, tl_ctx_close_fn close, void *open_ctx)
{
	struct tl_ctx_pool *p = calloc(1, sizeof *p);
	if (!p) return NULL;
	if (pthread_mutex_init(&p->lock, NULL)) {
		free(p);
		return NULL;
	}
	p->open = open;
	p->close = close;
	p->open_ctx = open_ctx;
	return p;
}

void *tl_ctx_pool_get(struct tl_ctx_pool *p, uint64_t gen, struct tl_err *err)
{
	void *item = NULL;
	for (;;) { /* stale contexts are closed outside the lock */
		void *stale = NULL;
		pthread_mutex_lock(&p->lock);
		if (p->idle.n > 0) {
			struct slot s = p->idle.v[--p->idle.n];
			if (s.gen == gen) item = s.item;
			else stale = s.item;
		}
		pthread_mutex_unlock(&p->lock);
		if (!stale) break;
		p->close(stale);
	}
	if (!item && !(item = p->open(p->open_ctx, err))) return NULL;
	pthread_mutex_lock(&p->lock);
	int rc = slots_push(&p->lent, item, gen);
	pthread_mutex_unlock(&p->lock);
	if (rc < 0) {
		p->close(item);
		tl_err_set(err, "out of memory");
		return NULL;
	}
	return item;
}

void tl_ctx_pool_put(struct tl_ctx_pool *p, void *item, uint64_t now_gen)
{
	if (!item) return;
	int keep = 0;
	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < p->lent.n; i++) {
		if (p->lent.v[i].item != item) continue;
		uint64_t gen = p->lent.v[i].gen;
		p->lent.v[i] = p->lent.v[--p->lent.n];
		keep = gen == now_gen && slots_push(&p->idle, item, gen) == 0;
		break;
	}
	pthread_mutex_unlock(&p->lock);
	if (!keep) p->close(item); /* stale, not ours, or no room: the next get opens one */
}

void tl_ctx_pool_free(struct tl_ctx_pool *p)
{
	if (!p) return;
	for (size_t i = 0; i < p->idle.n; i++) p->close(p->idle.v[i].item);
	free(p->idle.v);
	free(p->lent.v);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
