/* The mempool's screening (live/mempool.h) against the screening index:
 * the transactions of a simulated block, put in the mempool while the
 * index stops one block below, must get for every output exactly the
 * exposures (heist, amount, hops) that the screening index gives the
 * same outputs once the block is indexed. Removal takes descendants
 * with it, checked against a naive closure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitcoin/blkfile.h"
#include "bitcoin/block.h"
#include "live/mempool.h"
#include "tests/chainfix.h"
#include "tests/testutil.h"
#include "tracer/screen.h"

struct blk {
	uint8_t *raw;
	size_t cap;
	struct tl_block b;
};

static void read_block(const char *blocks, int32_t h, struct blk *out)
{
	struct tl_blkdir *d;
	struct tl_err err;
	if (tl_blkdir_open(blocks, tl_net_params(TL_NET_REGTEST), &d, &err) < 0 || tl_blkdir_scan(d, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	const struct tl_chain_entry *e = tl_blkdir_chain_at(d, (uint32_t)h);
	assert_non_null(e);
	out->raw = NULL;
	out->cap = 0;
	if (tl_blkdir_read(d, &e->loc, &out->raw, &out->cap, &err) < 0) fail_msg("%s", err.msg);
	tl_block_init(&out->b);
	if (tl_block_parse(&out->b, out->raw, e->loc.size, &err) < 0) fail_msg("%s", err.msg);
	tl_blkdir_close(d);
}

static struct tl_store *open_db(const char *db)
{
	struct tl_store_opts so = { .cache_mb = 16 };
	return cf_store_open(db, &so);
}

/* Tainted outputs of the block at h in a fully screened database. */
static int tainted_outputs(struct tl_store *s, struct tl_screen *sc, const struct tl_block *b)
{
	int n = 0;
	struct tl_err err;
	for (uint32_t i = 1; i < b->n_tx; i++) {
		struct tl_tx_rec r;
		assert_int_equal(tl_store_tx_by_txid(s, b->tx[i].txid, &r, &err), 1);
		for (uint32_t o = 0; o < r.n_out; o++) {
			struct tl_screen_exp e[16];
			int k = tl_screen_lookup_outref(sc, r.tx_num, o, e, 16, &err), h = 0;
			for (int q = 0; q < k; q++) h += e[q].heist_num < TL_SCREEN_CAT_BASE; /* heists only */
			n += h > 0;
		}
		tl_tx_rec_free(&r);
	}
	return n;
}

static void screen_db(const char *db, const char *sim)
{
	struct tl_store *s = open_db(db);
	cf_import_sim_labels(s, sim);
	struct tl_err err;
	if (tl_screen_update(s, NULL, &err) < 0) fail_msg("%s", err.msg);
	tl_store_close(s);
}

static int cmp_exp(const void *a, const void *b)
{
	const struct tl_screen_exp *x = a, *y = b;
	return x->heist_num < y->heist_num ? -1 : x->heist_num > y->heist_num;
}

static void test_mempool_predicts_the_index(void **state)
{
	(void)state;
	char *tmp = tu_tmpdir("live-mempool");
	char sim[4200], blocks[4300], full[4200], part[4200];
	snprintf(sim, sizeof sim, "%s/sim", tmp);
	snprintf(blocks, sizeof blocks, "%s/blocks", sim);
	snprintf(full, sizeof full, "%s/full", tmp);
	snprintf(part, sizeof part, "%s/part", tmp);
	cf_sim(sim, 41, 150, 30, 0, true);
	struct tl_index_opts o = cf_index_opts(blocks, full);
	cf_index_run(&o, NULL);
	screen_db(full, sim);
	struct tl_store *fs = open_db(full);
	struct tl_screen *fsc;
	struct tl_err err;
	assert_int_equal(tl_screen_open(fs, NULL, &fsc, &err), 0);
	/* The block with the most tainted outputs. */
	struct tl_tip tip;
	assert_int_equal(tl_store_tip(fs, &tip, &err), 0);
	int32_t best = -1;
	int most = 0;
	for (int32_t h = 100; h <= tip.height; h++) {
		struct blk k;
		read_block(blocks, h, &k);
		int n = tainted_outputs(fs, fsc, &k.b);
		if (n > most) {
			most = n;
			best = h;
		}
		tl_block_free(&k.b);
		free(k.raw);
	}
	assert_true(best > 0);
	print_message("block %d: %d tainted outputs\n", best, most);

	/* The index one block below; the block's transactions in the mempool. */
	o = cf_index_opts(blocks, part);
	o.until = best - 1;
	cf_index_run(&o, NULL);
	screen_db(part, sim);
	struct tl_store *ps = open_db(part);
	struct tl_screen *psc;
	assert_int_equal(tl_screen_open(ps, NULL, &psc, &err), 0);
	struct tl_mempool_index ix = { .store = ps, .sc = psc };
	struct tl_mempool *mp = tl_mempool_new();
	struct blk k;
	read_block(blocks, best, &k);
	for (uint32_t i = 1; i < k.b.n_tx; i++)
		assert_int_equal(tl_mempool_add(mp, k.b.tx[i].raw, k.b.tx[i].size, tl_mempool_index_prevout, &ix, &err), 1);
	assert_int_equal(tl_mempool_count(mp), k.b.n_tx - 1);
	/* Adding again is a no-op. */
	assert_int_equal(tl_mempool_add(mp, k.b.tx[1].raw, k.b.tx[1].size, tl_mempool_index_prevout, &ix, &err), 0);

	/* Every output: the mempool's exposures are the index's. */
	int compared = 0, tainted = 0;
	for (uint32_t i = 1; i < k.b.n_tx; i++) {
		struct tl_tx_rec r;
		assert_int_equal(tl_store_tx_by_txid(fs, k.b.tx[i].txid, &r, &err), 1);
		for (uint32_t v = 0; v < r.n_out; v++) {
			struct tl_screen_exp a[16], b[16];
			uint64_t value;
			int na = tl_mempool_output(mp, k.b.tx[i].txid, v, &value, a, 16);
			int nb = tl_screen_lookup_outref(fsc, r.tx_num, v, b, 16, &err);
			assert_true(na >= 0 && nb >= 0);
			/* the mempool predicts heists only, not category sources */
			int nh = 0;
			for (int e = 0; e < nb; e++)
				if (b[e].heist_num < TL_SCREEN_CAT_BASE) b[nh++] = b[e];
			nb = nh;
			assert_int_equal(value, r.out[v].value);
			if (na != nb) fail_msg("tx %u out %u: %d exposures in the mempool, %d in the index", i, v, na, nb);
			qsort(a, (size_t)na, sizeof *a, cmp_exp);
			qsort(b, (size_t)nb, sizeof *b, cmp_exp);
			for (int e = 0; e < na; e++) {
				assert_int_equal(a[e].heist_num, b[e].heist_num);
				assert_int_equal(a[e].amount, b[e].amount);
				assert_int_equal(a[e].hops, b[e].hops);
			}
			compared++;
			tainted += na > 0;
		}
		tl_tx_rec_free(&r);
	}
	assert_int_equal(tainted, most);
	print_message("%d outputs compared, %d tainted\n", compared, tainted);

	/* The verdicts: confirmations 0, the heist named, a risk. */
	for (uint32_t i = 1; i < k.b.n_tx; i++) {
		json_t *v = tl_mempool_screen(mp, psc, k.b.tx[i].txid, UINT32_MAX);
		assert_non_null(v);
		assert_int_equal(json_integer_value(json_object_get(v, "confirmations")), 0);
		assert_int_equal(json_array_size(json_object_get(v, "outputs")), k.b.tx[i].n_out);
		json_t *ex = json_object_get(v, "exposures");
		if (json_array_size(ex)) {
			assert_string_not_equal(json_string_value(json_object_get(v, "risk")), "none");
			assert_non_null(json_string_value(json_object_get(json_array_get(ex, 0), "heist")));
		}
		json_decref(v);
	}
	uint8_t unknown[32] = { 1 };
	assert_null(tl_mempool_screen(mp, psc, unknown, 0));
	assert_null(tl_mempool_screen(mp, psc, k.b.tx[1].txid, k.b.tx[1].n_out));

	/* Removal: a transaction and, naively, everything spending from what
	 * was removed, until nothing changes. */
	uint32_t n = k.b.n_tx;
	char *gone = calloc(n, 1);
	uint32_t victim = 0;
	for (uint32_t i = 1; i < n && !victim; i++) /* one with a child in the block, if any */
		for (uint32_t j = i + 1; j < n && !victim; j++)
			for (uint32_t q = 0; q < k.b.tx[j].n_in; q++)
				if (!memcmp(k.b.tx[j].in[q].prev_txid, k.b.tx[i].txid, 32)) victim = i;
	if (!victim) victim = 1;
	gone[victim] = 1;
	size_t expect = 1;
	for (int changed = 1; changed;) {
		changed = 0;
		for (uint32_t j = 1; j < n; j++) {
			if (gone[j]) continue;
			for (uint32_t q = 0; q < k.b.tx[j].n_in && !gone[j]; q++)
				for (uint32_t i = 1; i < n; i++)
					if (gone[i] && !memcmp(k.b.tx[j].in[q].prev_txid, k.b.tx[i].txid, 32)) {
						gone[j] = 1;
						expect++;
						changed = 1;
						break;
					}
		}
	}
	assert_int_equal(tl_mempool_remove(mp, k.b.tx[victim].txid), expect);
	for (uint32_t i = 1; i < n; i++) assert_int_equal(tl_mempool_has(mp, k.b.tx[i].txid), !gone[i]);
	/* Retain: keep the even ones (their ancestors may be gone: those go). */
	uint8_t (*keep)[32] = malloc(32 * n);
	size_t nk = 0;
	for (uint32_t i = 1; i < n; i++)
		if (!gone[i] && i % 2 == 0) memcpy(keep[nk++], k.b.tx[i].txid, 32);
	tl_mempool_retain(mp, keep, nk);
	for (uint32_t i = 1; i < n; i++)
		if (tl_mempool_has(mp, k.b.tx[i].txid)) assert_true(!gone[i] && i % 2 == 0);
	assert_true(tl_mempool_count(mp) <= nk);
	free(keep);
	free(gone);

	tl_mempool_free(mp);
	tl_block_free(&k.b);
	free(k.raw);
	tl_screen_close(psc);
	tl_screen_close(fsc);
	tl_store_close(ps);
	tl_store_close(fs);
	tu_rmrf(tmp);
	free(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mempool_predicts_the_index),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
