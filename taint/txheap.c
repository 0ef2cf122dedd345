#include "taint/txheap.h"

#include <stdlib.h>

int tl_txheap_push(struct tl_txheap *h, uint64_t x)
{
	if (h->n == h->cap) {
		size_t nc = h->cap ? h->cap * 2 : 256;
		uint64_t *p = realloc(h->v, nc * sizeof *p);
		if (!p) return -1;
		h->v = p;
		h->cap = nc;
	}
	size_t i = h->n++;
	while (i && h->v[(i - 1) / 2] > x) {
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i] = x;
	return 0;
}

uint64_t tl_txheap_pop(struct tl_txheap *h)
{
	uint64_t top = h->v[0], x = h->v[--h->n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->n) break;
		if (c + 1 < h->n && h->v[c + 1] < h->v[c]) c++;
		if (h->v[c] >= x) break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n) h->v[i] = x;
	return top;
}

void tl_txheap_free(struct tl_txheap *h)
{
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
}
