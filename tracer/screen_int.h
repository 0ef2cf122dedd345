/* Private to tracer/screen*.c: the open-addressing map of outputs the
 * screening walks keep (key tx_num and vout; a member set uses addr_id
 * and vout 0). */
#ifndef TL_TRACER_SCREEN_INT_H
#define TL_TRACER_SCREEN_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>


#define F_ENDPOINT 1u
#define F_SEED 2u
#define M_FRONTIER_DB 1u
#define M_FRONTIER_NOW 2u
#define M_WRITE 4u

struct oent {
	uint64_t tx; /* UINT64_MAX = empty */
	uint32_t vout;
	uint32_t hops;
	uint64_t amount, addr_id;
	uint32_t flags, mark;
	uint64_t origin; /* category sources: cluster id of the tagged entity the largest share came from */
};

struct omap {
	struct oent *v;
	size_t cap, n;
};

static inline size_t ohash(uint64_t tx, uint32_t vout, size_t mask)
{
	uint64_t h = (tx * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)vout * 0xC2B2AE3D27D4EB4Full);
	return (size_t)(h ^ (h >> 29)) & mask;
}

static inline struct oent *omap_find(struct omap *m, uint64_t tx, uint32_t vout)
{
	if (!m->cap) return NULL;
	size_t i = ohash(tx, vout, m->cap - 1);
	for (;;) {
		struct oent *e = &m->v[i];
		if (e->tx == UINT64_MAX) return NULL;
		if (e->tx == tx && e->vout == vout) return e;
		i = (i + 1) & (m->cap - 1);
	}
}

static inline struct oent *omap_put(struct omap *m, uint64_t tx, uint32_t vout)
{
	if ((m->n + 1) * 2 > m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 1024;
		struct oent *nv = malloc(nc * sizeof *nv);
		if (!nv) return NULL;
		for (size_t i = 0; i < nc; i++) nv[i].tx = UINT64_MAX;
		for (size_t i = 0; i < m->cap; i++)
			if (m->v[i].tx != UINT64_MAX) {
				size_t j = ohash(m->v[i].tx, m->v[i].vout, nc - 1);
				while (nv[j].tx != UINT64_MAX) j = (j + 1) & (nc - 1);
				nv[j] = m->v[i];
			}
		free(m->v);
		m->v = nv;
		m->cap = nc;
	}
	size_t i = ohash(tx, vout, m->cap - 1);
	while (m->v[i].tx != UINT64_MAX && !(m->v[i].tx == tx && m->v[i].vout == vout)) i = (i + 1) & (m->cap - 1);
	if (m->v[i].tx == UINT64_MAX) {
		memset(&m->v[i], 0, sizeof m->v[i]);
		m->v[i].tx = tx;
		m->v[i].vout = vout;
		m->n++;
	}
	return &m->v[i];
}


#endif
