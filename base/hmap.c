#include "base/hmap.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
	/* Eight bytes at a time through a multiply-xorshift mix; keys are
	 * mostly hashes already (txids, script keys), 8 to 66 bytes. */
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		h = mix64(h ^ w);
	}
	if (i < n) {
		uint64_t w = 0;
		memcpy(&w, p + i, n - i);
		h = mix64(h ^ w ^ ((uint64_t)(n - i) << 56));
	}
	return h;
}

void tl_hmap_init(struct tl_hmap *m)
{
	memset(m, 0, sizeof *m);
}

void tl_hmap_clear(struct tl_hmap *m)
{
	struct tl_hent *e = m->lru_head;
	while (e) {
		struct tl_hent *n = e->lru_next;
		free(e);
		e = n;
	}
	if (m->b) memset(m->b, 0, m->nb * sizeof *m->b);
	m->count = 0;
	m->bytes = m->nb * sizeof *m->b;
	m->lru_head = m->lru_tail = NULL;
}

void tl_hmap_free(struct tl_hmap *m)
{
	tl_hmap_clear(m);
	free(m->b);
	memset(m, 0, sizeof *m);
}

static void lru_unlink(struct tl_hmap *m, struct tl_hent *e)
{
	if (e->lru_prev) e->lru_prev->lru_next = e->lru_next;
	else m->lru_head = e->lru_next;
	if (e->lru_next) e->lru_next->lru_prev = e->lru_prev;
	else m->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
}

static void lru_append(struct tl_hmap *m, struct tl_hent *e)
{
	e->lru_prev = m->lru_tail;
	e->lru_next = NULL;
	if (m->lru_tail) m->lru_tail->lru_next = e;
	else m->lru_head = e;
	m->lru_tail = e;
}

struct tl_hent *tl_hmap_get(struct tl_hmap *m, const void *key, size_t klen)
{
	if (!m->nb) return NULL;
	uint64_t h = hash_bytes(key, klen);
	for (struct tl_hent *e = m->b[h & (m->nb - 1)]; e; e = e->next)
		if (e->hash == h && e->klen == klen && memcmp(e->data, key, klen) == 0) return e;
	return NULL;
}

void tl_hmap_touch(struct tl_hmap *m, struct tl_hent *e)
{
	if (m->lru_tail == e) return;
	lru_unlink(m, e);
	lru_append(m, e);
}

static void grow(struct tl_hmap *m)
{
	size_t nb = m->nb ? m->nb * 2 : 1024;
	struct tl_hent **b = calloc(nb, sizeof *b);
	if (!b) abort();
	for (size_t i = 0; i < m->nb; i++) {
		struct tl_hent *e = m->b[i];
		while (e) {
			struct tl_hent *n = e->next;
			e->next = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
			e = n;
		}
	}
	free(m->b);
	m->bytes += (nb - m->nb) * sizeof *b;
	m->b = b;
	m->nb = nb;
}

struct tl_hent *tl_hmap_put(struct tl_hmap *m, const void *key, size_t klen, size_t vlen)
{
	struct tl_hent *old = tl_hmap_get(m, key, klen);
	if (old) tl_hmap_del(m, old);
	return tl_hmap_insert(m, key, klen, vlen);
}

struct tl_hent *tl_hmap_insert(struct tl_hmap *m, const void *key, size_t klen, size_t vlen)
{
	if (m->count + 1 > m->nb) grow(m);
	struct tl_hent *e = calloc(1, sizeof(struct tl_hent) + ((klen + 7u) & ~7u) + vlen);
	if (!e) abort();
	e->hash = hash_bytes(key, klen);
	e->klen = (uint32_t)klen;
	e->vlen = (uint32_t)vlen;
	memcpy(e->data, key, klen);
	size_t i = e->hash & (m->nb - 1);
	e->next = m->b[i];
	m->b[i] = e;
	lru_append(m, e);
	m->count++;
	m->bytes += malloc_usable_size(e);
	return e;
}

void tl_hmap_del(struct tl_hmap *m, struct tl_hent *e)
{
	struct tl_hent **pp = &m->b[e->hash & (m->nb - 1)];
	while (*pp && *pp != e) pp = &(*pp)->next;
	if (*pp) *pp = e->next;
	lru_unlink(m, e);
	m->count--;
	m->bytes -= malloc_usable_size(e);
	free(e);
}

void tl_hmap_trim(struct tl_hmap *m, size_t budget)
{
	while (m->bytes > budget && m->lru_head) tl_hmap_del(m, m->lru_head);
}
