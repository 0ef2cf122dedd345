/* The indexer's LRU hash map against a naive model (an array searched
 * linearly, with its own recency order): same contents after random
 * puts, touches and deletes; a byte count equal to what the allocator
 * reports for each entry plus the bucket array; trimming that evicts
 * exactly the least recently used entries until the budget holds. */
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/hmap.h"

#define NKEYS 3000

struct mkey {
	uint8_t k[40];
	size_t klen, vlen;
	uint32_t val;
	uint64_t used; /* recency stamp, 0 = absent */
};

static uint64_t rng = 0x243f6a8885a308d3ull;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Keys of several lengths, some sharing long prefixes. */
static void make_keys(struct mkey *ks)
{
	for (int i = 0; i < NKEYS; i++) {
		ks[i].klen = 1 + (size_t)(i % 40);
		memset(ks[i].k, 0xab, sizeof ks[i].k);
		memcpy(ks[i].k + (ks[i].klen > 4 ? ks[i].klen - 4 : 0), &i, ks[i].klen < 4 ? ks[i].klen : 4);
		ks[i].used = 0;
	}
	/* keys of length < 4 collide in the scheme above: keep one each */
	for (int i = 0; i < NKEYS; i++)
		for (int j = 0; j < i && ks[i].klen < 4; j++)
			if (ks[j].klen == ks[i].klen && !memcmp(ks[j].k, ks[i].k, ks[i].klen)) ks[i].klen = 0;
}

static size_t real_bytes(const struct tl_hmap *m)
{
	size_t n = m->nb * sizeof *m->b, count = 0;
	for (const struct tl_hent *e = m->lru_head; e; e = e->lru_next) {
		n += malloc_usable_size((void *)e);
		count++;
	}
	assert_int_equal(count, m->count);
	return n;
}

/* Puts key k with a value of vlen bytes starting with val, in the map
 * and in the model. */
static void model_put(struct tl_hmap *m, struct mkey *k, size_t vlen, uint32_t val, uint64_t *clock)
{
	k->vlen = vlen;
	k->val = val;
	struct tl_hent *e = tl_hmap_put(m, k->k, k->klen, k->vlen);
	memcpy(tl_hent_val(e), &k->val, 4);
	k->used = ++*clock;
}

/* Touches key k if the map has it (as the model must say). */
static void model_touch(struct tl_hmap *m, struct mkey *k, uint64_t *clock)
{
	struct tl_hent *e = tl_hmap_get(m, k->k, k->klen);
	assert_true((e != NULL) == (k->used != 0));
	if (!e) return;
	tl_hmap_touch(m, e);
	k->used = ++*clock;
}

static void check_same(struct tl_hmap *m, const struct mkey *ks)
{
	size_t present = 0;
	for (int i = 0; i < NKEYS; i++) {
		if (!ks[i].klen) continue;
		struct tl_hent *e = tl_hmap_get(m, ks[i].k, ks[i].klen);
		if (!ks[i].used) {
			assert_null(e);
			continue;
		}
		present++;
		assert_non_null(e);
		assert_int_equal(e->vlen, ks[i].vlen);
		uint32_t v;
		memcpy(&v, tl_hent_val(e), 4);
		assert_int_equal(v, ks[i].val);
	}
	assert_int_equal(present, m->count);
	/* LRU order = increasing recency stamps */
	uint64_t last = 0;
	for (const struct tl_hent *e = m->lru_head; e; e = e->lru_next) {
		const uint8_t *k = tl_hent_key(e);
		int found = -1;
		for (int i = 0; i < NKEYS && found < 0; i++)
			if (ks[i].klen == e->klen && !memcmp(ks[i].k, k, e->klen)) found = i;
		assert_true(found >= 0);
		assert_true(ks[found].used > last);
		last = ks[found].used;
	}
	assert_int_equal(m->bytes, real_bytes(m));
}

static void test_model(void **state)
{
	(void)state;
	static struct mkey ks[NKEYS];
	make_keys(ks);
	struct tl_hmap m;
	tl_hmap_init(&m);
	uint64_t clock = 0;
	for (int round = 0; round < 40000; round++) {
		int i = (int)(next_rand() % NKEYS);
		if (!ks[i].klen) continue;
		int op = (int)(next_rand() % 10);
		if (op < 5) { /* put (replacing) */
			size_t vlen = 4 + (size_t)(next_rand() % 200);
			model_put(&m, &ks[i], vlen, (uint32_t)next_rand(), &clock);
		} else if (op < 8) { /* touch */
			model_touch(&m, &ks[i], &clock);
		} else { /* delete */
			struct tl_hent *e = tl_hmap_get(&m, ks[i].k, ks[i].klen);
			if (e) tl_hmap_del(&m, e);
			ks[i].used = 0;
		}
		if (round % 4000 == 0) check_same(&m, ks);
	}
	check_same(&m, ks);
	tl_hmap_free(&m);
}

/* Trimming evicts least recently used entries, exactly as many as the
 * budget needs (counted from the LRU order beforehand). */
static void test_trim(void **state)
{
	(void)state;
	static struct mkey ks[NKEYS];
	make_keys(ks);
	struct tl_hmap m;
	tl_hmap_init(&m);
	uint64_t clock = 0;
	for (int i = 0; i < NKEYS; i++) {
		if (ks[i].klen) model_put(&m, &ks[i], 8 + (size_t)(next_rand() % 100), (uint32_t)i, &clock);
	}
	/* touch a random half so that recency differs from insertion */
	for (int r = 0; r < NKEYS / 2; r++) {
		int i = (int)(next_rand() % NKEYS);
		if (ks[i].klen) model_touch(&m, &ks[i], &clock);
	}
	/* What trimming should do, computed from the LRU order beforehand. */
	size_t budget = real_bytes(&m) / 3, bytes = m.bytes, expect_evicted = 0;
	const struct tl_hent *expect_head = m.lru_head;
	while (bytes > budget && expect_head) {
		bytes -= malloc_usable_size((void *)expect_head);
		expect_head = expect_head->lru_next;
		expect_evicted++;
	}
	assert_true(expect_evicted > 0 && expect_head);
	uint64_t head_used = 0;
	for (int i = 0; i < NKEYS; i++)
		if (ks[i].klen == expect_head->klen && !memcmp(ks[i].k, tl_hent_key(expect_head), ks[i].klen))
			head_used = ks[i].used;
	size_t count = m.count;
	tl_hmap_trim(&m, budget);
	assert_true(m.bytes <= budget);
	assert_int_equal(m.count, count - expect_evicted);
	assert_ptr_equal(m.lru_head, expect_head);
	for (int i = 0; i < NKEYS; i++) {
		if (!ks[i].klen) continue;
		struct tl_hent *e = tl_hmap_get(&m, ks[i].k, ks[i].klen);
		assert_true((e != NULL) == (ks[i].used >= head_used));
		if (!e) ks[i].used = 0;
	}
	check_same(&m, ks);
	/* the bucket array stays: an empty map still holds it */
	tl_hmap_trim(&m, 0);
	assert_int_equal(m.count, 0);
	assert_int_equal(m.bytes, m.nb * sizeof *m.b);
	tl_hmap_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_trim),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
