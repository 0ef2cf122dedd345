#include "taint/interval.h"

#include <stdlib.h>
#include <string.h>

void tl_ivset_init(struct tl_ivset *s)
{
	s->v = NULL;
	s->n = s->cap = 0;
}

void tl_ivset_free(struct tl_ivset *s)
{
	free(s->v);
	tl_ivset_init(s);
}

void tl_ivset_clear(struct tl_ivset *s)
{
	s->n = 0;
}

static void reserve(struct tl_ivset *s, uint32_t need)
{
	if (need <= s->cap) return;
	uint32_t cap = s->cap ? s->cap : 2;
	while (cap < need) cap *= 2;
	struct tl_iv *v = realloc(s->v, (size_t)cap * sizeof *v);
	if (!v) abort();
	s->v = v;
	s->cap = cap;
}

void tl_ivset_add(struct tl_ivset *s, uint64_t lo, uint64_t hi)
{
	if (lo >= hi) return;
	/* Fast path: at or past the end (the FIFO sweep appends in order). */
	if (s->n == 0 || lo > s->v[s->n - 1].hi) {
		reserve(s, s->n + 1);
		s->v[s->n].lo = lo;
		s->v[s->n].hi = hi;
		s->n++;
		return;
	}
	if (lo >= s->v[s->n - 1].lo) {
		if (hi > s->v[s->n - 1].hi) s->v[s->n - 1].hi = hi;
		return;
	}
	/* General case: first range with hi >= lo (touching counts). */
	uint32_t a = 0, b = s->n;
	while (a < b) {
		uint32_t m = a + (b - a) / 2;
		if (s->v[m].hi < lo) a = m + 1;
		else b = m;
	}
	/* Ranges a..e-1 overlap or touch [lo, hi). */
	uint32_t e = a;
	while (e < s->n && s->v[e].lo <= hi) e++;
	if (e == a) { /* insert before a */
		reserve(s, s->n + 1);
		memmove(&s->v[a + 1], &s->v[a], (size_t)(s->n - a) * sizeof s->v[0]);
		s->v[a].lo = lo;
		s->v[a].hi = hi;
		s->n++;
		return;
	}
	uint64_t nlo = s->v[a].lo < lo ? s->v[a].lo : lo;
	uint64_t nhi = s->v[e - 1].hi > hi ? s->v[e - 1].hi : hi;
	s->v[a].lo = nlo;
	s->v[a].hi = nhi;
	memmove(&s->v[a + 1], &s->v[e], (size_t)(s->n - e) * sizeof s->v[0]);
	s->n -= e - a - 1;
}

uint64_t tl_ivset_total(const struct tl_ivset *s)
{
	uint64_t t = 0;
	for (uint32_t i = 0; i < s->n; i++) t += s->v[i].hi - s->v[i].lo;
	return t;
}

void tl_ivset_union(struct tl_ivset *dst, const struct tl_ivset *src)
{
	for (uint32_t i = 0; i < src->n; i++) tl_ivset_add(dst, src->v[i].lo, src->v[i].hi);
}

void tl_ivset_copy(struct tl_ivset *dst, const struct tl_ivset *src)
{
	if (dst == src) return;
	reserve(dst, src->n);
	if (src->n) memcpy(dst->v, src->v, (size_t)src->n * sizeof src->v[0]);
	dst->n = src->n;
}

void tl_ivset_move(struct tl_ivset *dst, struct tl_ivset *src)
{
	if (dst == src) return;
	free(dst->v);
	*dst = *src;
	tl_ivset_init(src);
}

int tl_ivset_check(const struct tl_ivset *s, uint64_t limit, struct tl_err *err)
{
	for (uint32_t i = 0; i < s->n; i++) {
		if (s->v[i].lo >= s->v[i].hi)
			return tl_err_set(err, "interval %u is empty or reversed [%llu, %llu)", i,
			                  (unsigned long long)s->v[i].lo, (unsigned long long)s->v[i].hi);
		if (s->v[i].hi > limit)
			return tl_err_set(err, "interval %u [%llu, %llu) ends past %llu", i,
			                  (unsigned long long)s->v[i].lo, (unsigned long long)s->v[i].hi,
			                  (unsigned long long)limit);
		if (i && s->v[i].lo <= s->v[i - 1].hi)
			return tl_err_set(err, "intervals %u and %u overlap, touch or are out of order", i - 1, i);
	}
	return 0;
}
