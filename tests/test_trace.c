/* Traces on a real store: a simulated chain (sim/sim.h) indexed by the
 * indexer, its tags.csv and heists.json imported, then
 *   - conservation per policy, exactly, on the store (with and without
 *     limits);
 *   - the store-backed walk against the same walk over an in-memory graph
 *     built independently here from the decoded blk files (chain/), with
 *     tags from tags.csv and CoinJoins from truth.json;
 *   - address-window seeds against a naive scan of every transaction;
 *   - every bad input gives its error (library and CLI exit codes);
 *   - the renderers (CSV edges, DOT, HTML without external resources). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "bitcoin/address.h"
#include "bitcoin/blkfile.h"
#include "bitcoin/block.h"
#include "bitcoin/hash.h"
#include "bitcoin/network.h"
#include "bitcoin/script.h"
#include "indexer/indexer.h"
#include "sim/sim.h"
#include "store/store.h"
#include "tests/chainfix.h"
#include "tests/testutil.h"
#include "tracer/entities.h"
#include "taint/memgraph.h"
#include "tracer/storegraph.h"
#include "intel/tags.h"
#include "tracer/trace.h"

static char *dir, *db;
static struct tl_store *st;
static struct tl_storegraph *sg;
static json_t *truth, *heist; /* truth.json and its first heist */

static int setup(void **state)
{
	(void)state;
	struct tl_err err;
	dir = tu_tmpdir("trace");
	cf_sim(dir, 7, 200, 20, 1, true);
	char blocks[4096];
	snprintf(blocks, sizeof blocks, "%s/blocks", dir);
	db = malloc(4096);
	snprintf(db, 4096, "%s/db", dir);
	struct tl_index_opts io = cf_index_opts(blocks, db);
	cf_index_run(&io, NULL);
	struct tl_store_opts so = { .cache_mb = 16 };
	st = cf_store_open(db, &so);
	cf_import_sim_labels(st, dir);
	if (tl_storegraph_new(st, &sg, &err)) fail_msg("%s", err.msg);
	truth = cf_sim_truth(dir);
	heist = json_array_get(json_object_get(truth, "heists"), 0);
	assert_non_null(heist);
	assert_true(json_is_true(json_object_get(heist, "happened")));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tl_storegraph_free(sg);
	tl_store_close(st);
	json_decref(truth);
	tu_rmrf(dir);
	free(dir);
	free(db);
	return 0;
}

static const struct tl_heist *load_heist(struct tl_registry **reg)
{
	struct tl_err err;
	struct tl_heist_info hi;
	memset(&hi, 0, sizeof hi);
	const char *id = json_string_value(json_object_get(heist, "id"));
	assert_int_equal(tl_heist_get(st, id, &hi, &err), 1);
	if (tl_heist_parse(&hi, reg, &err)) fail_msg("%s", err.msg);
	free(hi.json);
	assert_int_equal((*reg)->n, 1);
	return &(*reg)->heists[0];
}

static json_t *trace_heist(enum tl_policy pol, uint32_t max_hops, uint64_t min_sat)
{
	struct tl_err err;
	struct tl_registry *reg = NULL;
	const struct tl_heist *h = load_heist(&reg);
	struct tl_trace_seeds s;
	tl_trace_seeds_init(&s);
	if (tl_trace_seeds_add_heist(sg, h, &s, &err)) fail_msg("seeds: %s", err.msg);
	struct tl_walk_params p;
	tl_walk_params_default(&p);
	p.policy = pol;
	p.max_hops = max_hops;
	p.min_sat = min_sat;
	json_t *res = NULL;
	if (tl_trace_run(sg, &s, &p, &res, &err)) fail_msg("trace: %s", err.msg);
	tl_trace_seeds_free(&s);
	tl_registry_free(reg);
	return res;
}

static long long tot(const json_t *r, const char *k)
{
	return (long long)json_integer_value(json_object_get(json_object_get(r, "totals"), k));
}

static long long sum_list(const json_t *r, const char *list)
{
	long long s = 0;
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(r, list), i, e) s += json_integer_value(json_object_get(e, "amount_sat"));
	return s;
}

static void test_conservation(void **state)
{
	(void)state;
	const enum tl_policy pols[] = { TL_POLICY_HAIRCUT, TL_POLICY_FIFO, TL_POLICY_TIHO };
	const struct { uint32_t hops; uint64_t min; } lim[] = { { 0, 0 }, { 3, 0 }, { 0, 500000 }, { 4, 100000 } };
	for (size_t i = 0; i < 3; i++)
		for (size_t k = 0; k < 4; k++) {
			json_t *r = trace_heist(pols[i], lim[k].hops, lim[k].min);
			long long seeded = tot(r, "seeded_sat");
			assert_true(seeded > 0);
			assert_int_equal(seeded, tot(r, "endpoints_sat") + tot(r, "holdings_sat") + tot(r, "fees_sat") +
			                                 tot(r, "cut_sat"));
			/* the lists add up to their totals */
			assert_int_equal(sum_list(r, "endpoints"), tot(r, "endpoints_sat"));
			assert_int_equal(sum_list(r, "holdings"), tot(r, "holdings_sat"));
			/* the stolen amount is what the truth says was seeded
			 * (the theft outputs; the address seed is the same coins) */
			if (!lim[k].min)
				assert_int_equal(seeded, json_integer_value(json_object_get(heist, "stolen_sat")));
			if (!lim[k].hops && !lim[k].min) assert_int_equal(tot(r, "cut_sat"), 0);
			/* the result names its tip and policy */
			assert_string_equal(json_string_value(json_object_get(r, "policy")), tl_policy_name(pols[i]));
			assert_true(json_integer_value(json_object_get(json_object_get(r, "tip"), "height")) >= 200);
			json_decref(r);
		}
	/* poison taints whole outputs: it reaches at least what haircut does */
	json_t *r = trace_heist(TL_POLICY_POISON, 0, 0), *hc = trace_heist(TL_POLICY_HAIRCUT, 0, 0);
	assert_true(tot(r, "endpoints_sat") >= tot(hc, "endpoints_sat"));
	assert_true(json_array_size(json_object_get(r, "endpoints")) >= json_array_size(json_object_get(hc, "endpoints")));
	json_decref(r);
	json_decref(hc);
}

/* ---- the same chain as an in-memory graph, built from the blk files ---- */

struct txmap {
	uint8_t (*k)[32];
	uint64_t *v;
	size_t cap;
};

static size_t th(const uint8_t *t, size_t mask)
{
	uint64_t x;
	memcpy(&x, t, 8);
	return (size_t)(x * 0x9E3779B97F4A7C15ull >> 7) & mask;
}

static void tm_put(struct txmap *m, const uint8_t *txid, uint64_t v)
{
	size_t i = th(txid, m->cap - 1);
	while (m->v[i] != UINT64_MAX && memcmp(m->k[i], txid, 32)) i = (i + 1) & (m->cap - 1);
	memcpy(m->k[i], txid, 32);
	m->v[i] = v;
}

static uint64_t tm_get(struct txmap *m, const uint8_t *txid)
{
	size_t i = th(txid, m->cap - 1);
	while (m->v[i] != UINT64_MAX) {
		if (!memcmp(m->k[i], txid, 32)) return m->v[i];
		i = (i + 1) & (m->cap - 1);
	}
	return UINT64_MAX;
}

struct tagset {
	uint8_t key[64][TL_SCRIPT_KEY_MAX];
	size_t klen[64];
	json_t *map; /* hex script key -> {cats, label} */
};

static int tag_cb(void *ctx, const struct tl_tag *t)
{
	json_t *map = ctx;
	uint8_t script[42], key[TL_SCRIPT_KEY_MAX];
	size_t sl;
	struct tl_err err;
	if (tl_address_to_script(t->address, tl_net_params(TL_NET_REGTEST), script, &sl, &err)) return 0;
	size_t kl = tl_script_key(script, sl, key);
	char hex[2 * TL_SCRIPT_KEY_MAX + 1];
	tl_hex_encode(key, kl, hex);
	json_t *e = json_object_get(map, hex);
	if (!e) {
		e = json_pack("{s:i,s:s}", "cats", 0, "label", t->label);
		json_object_set_new(map, hex, e);
	}
	json_int_t c = json_integer_value(json_object_get(e, "cats"));
	c |= tl_storegraph_cat_flags(t->category);
	json_object_set_new(e, "cats", json_integer(c));
	return 0;
}

static void test_store_equals_memgraph(void **state)
{
	(void)state;
	struct tl_err err;
	char path[4096];
	json_t *tagmap = json_object();
	snprintf(path, sizeof path, "%s/tags.csv", dir);
	assert_int_equal(tl_tags_parse_file(path, TL_TAGFMT_AUTO, tag_cb, tagmap, NULL, &err), 0);
	json_t *cj = json_object();
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(truth, "coinjoin_txids"), i, x) json_object_set(cj, json_string_value(x), json_true());

	snprintf(path, sizeof path, "%s/blocks", dir);
	struct tl_blkdir *bd;
	assert_int_equal(tl_blkdir_open(path, tl_net_params(TL_NET_REGTEST), &bd, &err), 0);
	assert_int_equal(tl_blkdir_scan(bd, NULL, &err), 0);
	struct tl_memgraph *mg = tl_memgraph_new();
	struct txmap tm = { .cap = 1 << 15 };
	tm.k = calloc(tm.cap, 32);
	tm.v = malloc(tm.cap * sizeof *tm.v);
	memset(tm.v, 0xff, tm.cap * sizeof *tm.v);
	uint8_t *buf = NULL;
	size_t cap = 0;
	uint64_t next_addr = 1000000, count = 0;
	struct tl_block b;
	tl_block_init(&b);
	for (uint32_t hgt = 0; hgt < tl_blkdir_chain_len(bd); hgt++) {
		const struct tl_chain_entry *ce = tl_blkdir_chain_at(bd, hgt);
		assert_int_equal(tl_blkdir_read(bd, &ce->loc, &buf, &cap, &err), 0);
		assert_int_equal(tl_block_parse(&b, buf, ce->loc.size, &err), 0);
		for (uint32_t t = 0; t < b.n_tx; t++) {
			const struct tl_tx *tx = &b.tx[t];
			struct tl_gin *in = calloc(tx->n_in + 1, sizeof *in);
			struct tl_gout *out = calloc(tx->n_out + 1, sizeof *out);
			uint32_t nin = t == 0 ? 0 : tx->n_in;
			for (uint32_t k = 0; k < nin; k++) {
				in[k].prev_tx = tm_get(&tm, tx->in[k].prev_txid);
				assert_true(in[k].prev_tx != UINT64_MAX);
				in[k].vout = tx->in[k].prev_vout;
			}
			for (uint32_t k = 0; k < tx->n_out; k++) {
				out[k].value = tx->out[k].value;
				uint8_t key[TL_SCRIPT_KEY_MAX];
				size_t kl = tl_script_key(tx->out[k].script, tx->out[k].script_len, key);
				char hex[2 * TL_SCRIPT_KEY_MAX + 1];
				tl_hex_encode(key, kl, hex);
				json_t *e = json_object_get(tagmap, hex);
				if (e && !json_object_get(e, "id")) json_object_set_new(e, "id", json_integer(++next_addr));
				out[k].addr_id = e ? (uint64_t)json_integer_value(json_object_get(e, "id")) : ++next_addr;
				if (e)
					assert_int_equal(tl_memgraph_set_entity(
					                         mg, out[k].addr_id,
					                         (uint32_t)json_integer_value(json_object_get(e, "cats")), 0,
					                         json_string_value(json_object_get(e, "label")), &err),
					                 0);
			}
			char txh[65];
			tl_hash_to_hex(tx->txid, txh);
			uint64_t num;
			int is_cj = json_object_get(cj, txh) != NULL;
			if (tl_memgraph_add_tx(mg, hgt, ce->time, is_cj, in, nin, out, tx->n_out, &num, &err))
				fail_msg("memgraph: %s", err.msg);
			assert_int_equal(num, count);
			tm_put(&tm, tx->txid, num);
			count++;
			free(in);
			free(out);
		}
	}
	tl_block_free(&b);
	free(buf);
	tl_blkdir_close(bd);
	/* the store numbers transactions the same way (position in the chain) */
	struct tl_tip tip;
	assert_int_equal(tl_store_tip(st, &tip, &err), 0);
	assert_int_equal(tip.next_tx_num, count);

	/* seeds: the theft transaction, whole */
	uint8_t theft[32];
	assert_int_equal(tl_hash_from_hex(json_string_value(json_object_get(heist, "theft_txid")), theft), 0);
	struct tl_seed seed = { tm_get(&tm, theft), TL_SEED_WHOLE_TX, TL_SEED_FULL };
	struct tl_trace_seeds ts;
	tl_trace_seeds_init(&ts);
	assert_int_equal(tl_trace_seeds_add_outpoint(sg, json_string_value(json_object_get(heist, "theft_txid")), &ts, &err), 0);
	assert_int_equal(ts.n, 1);
	assert_int_equal(ts.v[0].tx_num, seed.tx_num);

	struct tl_graph mgg, sgg;
	tl_memgraph_graph(mg, &mgg);
	tl_storegraph_graph(sg, &sgg);
	for (int pol = TL_POLICY_POISON; pol < TL_POLICY_COUNT; pol++)
		for (int lim = 0; lim < 3; lim++) {
			struct tl_walk_params p;
			tl_walk_params_default(&p);
			p.policy = (enum tl_policy)pol;
			p.max_hops = lim == 1 ? 4 : 0;
			p.min_sat = lim == 2 ? 200000 : 0;
			p.stop_at_mixers = lim == 2;
			struct tl_walk_result a, c;
			assert_int_equal(tl_walk_forward(&mgg, &seed, 1, &p, &a, &err), 0);
			assert_int_equal(tl_walk_forward(&sgg, &seed, 1, &p, &c, &err), 0);
			assert_memory_equal(&a.totals, &c.totals, sizeof a.totals);
			assert_int_equal(a.visited, c.visited);
			assert_int_equal(a.n_endpoints, c.n_endpoints);
			for (size_t k = 0; k < a.n_endpoints; k++) {
				assert_int_equal(a.endpoints[k].tx_num, c.endpoints[k].tx_num);
				assert_int_equal(a.endpoints[k].vout, c.endpoints[k].vout);
				assert_int_equal(a.endpoints[k].amount, c.endpoints[k].amount);
				assert_int_equal(a.endpoints[k].hops, c.endpoints[k].hops);
				assert_int_equal(a.endpoints[k].time, c.endpoints[k].time);
				assert_int_equal(a.endpoints[k].cats, c.endpoints[k].cats);
			}
			assert_int_equal(a.n_holdings, c.n_holdings);
			for (size_t k = 0; k < a.n_holdings; k++) {
				assert_int_equal(a.holdings[k].tx_num, c.holdings[k].tx_num);
				assert_int_equal(a.holdings[k].amount, c.holdings[k].amount);
			}
			assert_int_equal(a.n_mixers, c.n_mixers);
			assert_int_equal(a.n_peel_chains, c.n_peel_chains);
			assert_int_equal(a.n_flows, c.n_flows);
			tl_walk_result_free(&a);
			tl_walk_result_free(&c);
		}
	tl_trace_seeds_free(&ts);
	tl_memgraph_free(mg);
	free(tm.k);
	free(tm.v);
	json_decref(tagmap);
	json_decref(cj);
}

/* Address seeds against a naive scan of every transaction of the store. */
static void test_address_window(void **state)
{
	(void)state;
	struct tl_err err;
	struct tl_registry *reg = NULL;
	const struct tl_heist *h = load_heist(&reg);
	const struct tl_heist_seed *as = NULL;
	for (size_t i = 0; i < h->nseeds; i++)
		if (h->seeds[i].kind == TL_SEED_ADDRESS) as = &h->seeds[i];
	assert_non_null(as);
	int64_t from = INT64_MIN, to = INT64_MAX;
	if (as->from[0]) assert_int_equal(tl_trace_parse_date(as->from, 0, &from, &err), 0);
	if (as->until[0]) assert_int_equal(tl_trace_parse_date(as->until, 1, &to, &err), 0);
	struct tl_trace_seeds ts;
	tl_trace_seeds_init(&ts);
	assert_int_equal(tl_trace_seeds_add_address(sg, as->address, from, to, &ts, &err), 0);
	/* naive */
	uint64_t id;
	assert_int_equal(tl_store_addr_id_of_string(st, as->address, &id, &err), 1);
	struct tl_tip tip;
	assert_int_equal(tl_store_tip(st, &tip, &err), 0);
	size_t n = 0;
	for (uint64_t t = 0; t < tip.next_tx_num; t++) {
		struct tl_tx_rec r;
		assert_int_equal(tl_store_tx(st, t, &r, &err), 1);
		struct tl_block_rec br;
		assert_int_equal(tl_store_block_by_height(st, r.height, &br, &err), 1);
		for (uint32_t j = 0; j < r.n_out; j++)
			if (r.out[j].addr_id == id && (int64_t)br.time >= from && (int64_t)br.time <= to) {
				int found = 0;
				for (size_t k = 0; k < ts.n; k++)
					found |= ts.v[k].tx_num == t && ts.v[k].vout == j;
				assert_true(found);
				n++;
			}
		tl_tx_rec_free(&r);
	}
	assert_int_equal(n, ts.n);
	assert_true(n >= 1);
	/* the dates: 2024-01-01 is 1704067200 */
	int64_t d;
	assert_int_equal(tl_trace_parse_date("2024-01-01", 0, &d, &err), 0);
	assert_int_equal(d, 1704067200);
	assert_int_equal(tl_trace_parse_date("2024-02-29", 1, &d, &err), 0);
	assert_int_equal(d, 1704067200 + 59 * 86400 + 86399);
	assert_int_equal(tl_trace_parse_date("2023-02-29", 0, &d, &err), -1);
	assert_int_equal(tl_trace_parse_date("2024-1-01", 0, &d, &err), -1);
	/* Found by fuzz_trace_opts: sscanf's %d took a sign or a space. */
	assert_int_equal(tl_trace_parse_date("2022-03-+3", 0, &d, &err), -1);
	assert_int_equal(tl_trace_parse_date("2022-03- 3", 0, &d, &err), -1);
	assert_int_equal(tl_trace_parse_date("2022-+3-03", 0, &d, &err), -1);
	assert_int_equal(tl_trace_parse_date("+202-03-03", 0, &d, &err), -1);
	tl_trace_seeds_free(&ts);
	tl_registry_free(reg);
}

/* tl_trace_height_at against a linear scan of the block times, and a
 * trace with --until: everything spent later is held "at cutoff", and
 * conservation still holds. */
static void test_until(void **state)
{
	(void)state;
	struct tl_err err;
	struct tl_tip tip;
	assert_int_equal(tl_store_tip(st, &tip, &err), 0);
	for (int32_t hgt = 0; hgt <= tip.height; hgt += 7) {
		struct tl_block_rec br;
		assert_int_equal(tl_store_block_by_height(st, hgt, &br, &err), 1);
		for (int d = -1; d <= 1; d++) {
			int64_t t = (int64_t)br.time + d;
			int32_t naive = -1;
			for (int32_t k = 0; k <= tip.height; k++) {
				struct tl_block_rec b2;
				assert_int_equal(tl_store_block_by_height(st, k, &b2, &err), 1);
				if ((int64_t)b2.time <= t) naive = k;
			}
			uint32_t got;
			int r = tl_trace_height_at(st, t, &got, &err);
			if (naive < 0) assert_int_equal(r, 0);
			else {
				assert_int_equal(r, 1);
				assert_int_equal((int32_t)got, naive);
			}
		}
	}
	uint32_t cut = (uint32_t)json_integer_value(json_object_get(heist, "height")) + 3;
	struct tl_registry *reg = NULL;
	const struct tl_heist *h = load_heist(&reg);
	struct tl_trace_seeds ts;
	tl_trace_seeds_init(&ts);
	assert_int_equal(tl_trace_seeds_add_heist(sg, h, &ts, &err), 0);
	struct tl_walk_params p;
	tl_walk_params_default(&p);
	p.policy = TL_POLICY_FIFO;
	p.until_height = cut;
	json_t *r;
	assert_int_equal(tl_trace_run(sg, &ts, &p, &r, &err), 0);
	assert_true(tot(r, "holdings_at_cutoff_sat") > 0);
	assert_int_equal(tot(r, "seeded_sat"),
	                 tot(r, "endpoints_sat") + tot(r, "holdings_sat") + tot(r, "fees_sat") + tot(r, "cut_sat"));
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(r, "endpoints"), i, e) assert_true(json_integer_value(json_object_get(e, "height")) <= cut);
	json_decref(r);
	tl_trace_seeds_free(&ts);
	tl_registry_free(reg);
}

static void test_bad_input(void **state)
{
	(void)state;
	struct tl_err err;
	struct tl_trace_seeds ts;
	tl_trace_seeds_init(&ts);
	uint8_t txid[32];
	uint32_t vout;
	assert_int_equal(tl_trace_parse_outpoint("abc", txid, &vout, &err), -1);
	assert_non_null(strstr(err.msg, "bad outpoint"));
	char spec[100];
	memset(spec, 'a', 64);
	strcpy(spec + 64, ":x");
	assert_int_equal(tl_trace_parse_outpoint(spec, txid, &vout, &err), -1);
	strcpy(spec + 64, ":");
	assert_int_equal(tl_trace_parse_outpoint(spec, txid, &vout, &err), -1);
	strcpy(spec + 64, ":99999999999");
	assert_int_equal(tl_trace_parse_outpoint(spec, txid, &vout, &err), -1);
	spec[3] = 'g';
	spec[64] = 0;
	assert_int_equal(tl_trace_parse_outpoint(spec, txid, &vout, &err), -1);
	/* unknown transaction */
	memset(spec, 'a', 64);
	spec[64] = 0;
	assert_int_equal(tl_trace_seeds_add_outpoint(sg, spec, &ts, &err), -1);
	assert_non_null(strstr(err.msg, "unknown transaction"));
	/* vout past the outputs */
	snprintf(spec, sizeof spec, "%s:999", json_string_value(json_object_get(heist, "theft_txid")));
	assert_int_equal(tl_trace_seeds_add_outpoint(sg, spec, &ts, &err), -1);
	assert_non_null(strstr(err.msg, "no output 999"));
	/* an address of another network */
	assert_int_equal(tl_trace_seeds_add_address(sg, "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", INT64_MIN, INT64_MAX, &ts,
	                                            &err),
	                 -1);
	assert_non_null(strstr(err.msg, "wrong network"));
	assert_int_equal(tl_trace_seeds_add_address(sg, "notanaddress", INT64_MIN, INT64_MAX, &ts, &err), -1);
	/* a good address with an empty window */
	json_t *co = json_array_get(json_object_get(heist, "cashouts"), 0);
	assert_int_equal(tl_trace_seeds_add_address(sg, json_string_value(json_object_get(co, "address")), 0, 1, &ts,
	                                            &err),
	                 -1);
	assert_non_null(strstr(err.msg, "nothing in the window"));
	assert_int_equal(ts.n, 0);
	json_t *res = (json_t *)1;
	assert_int_equal(tl_trace_run(sg, &ts, NULL, &res, &err), -1);
	assert_null(res);
	tl_trace_seeds_free(&ts);

	/* the command: usage errors exit 2, failures 1 with a message */
	char cmd[8192], *out = NULL;
	struct { const char *args; int code; const char *msg; } cases[] = {
		{ "--heist no-such-heist", 1, "unknown heist" },
		{ "--seed zz", 2, "bad outpoint" },
		{ "--seed aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1, "unknown transaction" },
		{ "--address 1BoatSLRHtKNngkdXEeobR76b53LETtpyT --from 2024-01-01", 1, "wrong network" },
		{ "--address x --from 2024-13-01", 2, "bad date" },
		{ "--heist a --policy nope", 2, "unknown policy" },
		{ "--heist a --seed b", 2, "exactly one" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(cmd, sizeof cmd, "%s trace --db %s %s 2>&1", TL_BINARY, db, cases[i].args);
		int rc = tu_run(cmd, &out);
		if (rc != cases[i].code || !strstr(out, cases[i].msg))
			fail_msg("'%s': exit %d, output %s", cases[i].args, rc, out);
		free(out);
	}
}

static void test_renderers(void **state)
{
	(void)state;
	struct tl_err err;
	json_t *r = trace_heist(TL_POLICY_FIFO, 0, 0);
	json_t *edges = json_object_get(json_object_get(r, "graph"), "edges");
	assert_true(json_array_size(edges) > 0);
	char *buf;
	size_t len;
	/* CSV: a header and one line per edge, amounts as in the JSON */
	assert_int_equal(tl_report_csv(r, &buf, &len, &err), 0);
	size_t lines = 0;
	for (size_t i = 0; i < len; i++) lines += buf[i] == '\n';
	assert_int_equal(lines, json_array_size(edges) + 1);
	assert_memory_equal(buf, "from,to,amount_sat,kind\n", 24);
	free(buf);
	/* DOT: every endpoint appears as a node */
	assert_int_equal(tl_report_dot(r, &buf, &len, &err), 0);
	assert_memory_equal(buf, "digraph", 7);
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(r, "endpoints"), i, e) assert_non_null(strstr(buf, json_string_value(json_object_get(e, "outpoint"))));
	free(buf);
	/* HTML: self-contained, with the endpoints and the drawing */
	assert_int_equal(tl_report_html(r, &buf, &len, &err), 0);
	assert_null(strstr(buf, "src="));
	assert_null(strstr(buf, "<link"));
	assert_null(strstr(buf, "href="));
	assert_null(strstr(buf, "https:"));
	assert_non_null(strstr(buf, "<svg"));
	json_array_foreach(json_object_get(r, "endpoints"), i, e) assert_non_null(strstr(buf, json_string_value(json_object_get(e, "outpoint"))));
	free(buf);
	assert_int_equal(tl_report_json(r, &buf, &len, &err), 0);
	json_error_t je;
	json_t *back = json_loads(buf, 0, &je);
	assert_true(json_equal(back, r));
	json_decref(back);
	free(buf);
	json_t *bad = json_object();
	assert_int_equal(tl_report_csv(bad, &buf, &len, &err), -1);
	assert_int_equal(tl_report_html(bad, &buf, &len, &err), -1);
	assert_int_equal(tl_report_dot(bad, &buf, &len, &err), -1);
	json_decref(bad);
	json_decref(r);
}

/* Cash-out deposits of the truth found as endpoints (fifo follows the
 * satoshis, so every deposit the heist script made is an endpoint). */
static void test_cashouts_found(void **state)
{
	(void)state;
	json_t *r = trace_heist(TL_POLICY_HAIRCUT, 0, 0);
	json_t *eps = json_object();
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(r, "endpoints"), i, e) json_object_set(eps, json_string_value(json_object_get(e, "outpoint")), e);
	size_t found = 0, n = json_array_size(json_object_get(heist, "cashouts"));
	json_array_foreach(json_object_get(heist, "cashouts"), i, e) found += json_object_get(eps, json_string_value(json_object_get(e, "outpoint"))) != NULL;
	assert_true(n > 0);
	assert_int_equal(found, n);
	json_decref(eps);
	json_decref(r);
}

/* Reads a file into a NUL-terminated string (malloc'd). */
static char *slurp(const char *path)
{
	size_t n;
	uint8_t *b = tu_read_file(path, &n);
	if (!b) fail_msg("cannot read %s", path);
	char *r = realloc(b, n + 1);
	r[n] = 0;
	return r;
}

/* The provenance block: the heist's attribution and sources as the
 * registry file gives them, its stored definition's hash, the software
 * version the CLI prints, the tip; every endpoint's tag traced to a row of
 * tags.csv; deterministic apart from generated_at. */
static void test_provenance(void **state)
{
	(void)state;
	struct tl_err err;
	time_t t0 = time(NULL);
	json_t *r = trace_heist(TL_POLICY_HAIRCUT, 0, 0);
	time_t t1 = time(NULL);
	json_t *pv = json_object_get(r, "provenance");
	assert_true(json_is_object(pv));

	/* software: what `taintline --version` prints */
	char cmd[4096], *out = NULL;
	snprintf(cmd, sizeof cmd, "'%s' --version", TL_BINARY);
	assert_int_equal(tu_run(cmd, &out), 0);
	out[strcspn(out, "\n")] = 0;
	assert_string_equal(json_string_value(json_object_get(pv, "software")), out);
	free(out);

	/* generated_at: an ISO UTC time taken during the run */
	const char *ga = json_string_value(json_object_get(pv, "generated_at"));
	assert_non_null(ga);
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const char *end = strptime(ga, "%Y-%m-%dT%H:%M:%SZ", &tm);
	assert_non_null(end);
	assert_int_equal(*end, 0);
	time_t g = timegm(&tm);
	assert_true(g >= t0 && g <= t1);

	/* network and tip: the store's */
	struct tl_tip tip;
	assert_int_equal(tl_store_tip(st, &tip, &err), 0);
	char hh[65];
	tl_hash_to_hex(tip.hash, hh);
	assert_string_equal(json_string_value(json_object_get(pv, "network")), "regtest");
	json_t *pt = json_object_get(pv, "tip");
	assert_int_equal(json_integer_value(json_object_get(pt, "height")), tip.height);
	assert_string_equal(json_string_value(json_object_get(pt, "hash")), hh);

	/* heist: attribution and sources as in heists.json; the stored text's hash */
	char path[4096];
	snprintf(path, sizeof path, "%s/heists.json", dir);
	json_error_t je;
	json_t *file = json_load_file(path, 0, &je);
	assert_non_null(file);
	const char *id = json_string_value(json_object_get(heist, "id"));
	json_t *fh = NULL, *x;
	size_t i;
	json_array_foreach(json_object_get(file, "heists"), i, x)
		if (!strcmp(json_string_value(json_object_get(x, "id")), id)) fh = x;
	assert_non_null(fh);
	json_t *hs = json_object_get(pv, "heists");
	assert_int_equal(json_array_size(hs), 1);
	json_t *ph = json_array_get(hs, 0);
	assert_string_equal(json_string_value(json_object_get(ph, "id")), id);
	json_t *fa = json_object_get(fh, "attribution");
	json_t *pa = json_object_get(ph, "attribution");
	assert_true(json_is_string(json_object_get(pa, "authority")));
	assert_true(json_is_string(json_object_get(pa, "document")));
	const char *fk;
	json_object_foreach(fa, fk, x) assert_true(json_equal(x, json_object_get(pa, fk)));
	json_t *fs = json_object_get(fh, "sources");
	if (fs) assert_true(json_equal(fs, json_object_get(ph, "sources")));
	else assert_true(json_is_null(json_object_get(ph, "sources")));
	assert_string_equal(json_string_value(json_object_get(ph, "name")), json_string_value(json_object_get(fh, "name")));
	assert_string_equal(json_string_value(json_object_get(ph, "definition")), "database");
	struct tl_heist_info hi;
	memset(&hi, 0, sizeof hi);
	assert_int_equal(tl_heist_get(st, id, &hi, &err), 1);
	uint8_t h[32];
	char hex[65];
	tl_sha256(hi.json, strlen(hi.json), h);
	tl_hex_encode(h, 32, hex);
	free(hi.json);
	assert_string_equal(json_string_value(json_object_get(ph, "definition_sha256")), hex);

	/* endpoints: each tag's source is a row of tags.csv (address, label,
	 * category, source, confidence) on the endpoint's address or cluster */
	snprintf(path, sizeof path, "%s/tags.csv", dir);
	char *csv = slurp(path);
	size_t n_src = 0;
	json_array_foreach(json_object_get(r, "endpoints"), i, x) {
		json_t *tag = json_object_get(x, "tag");
		if (strcmp(json_string_value(json_object_get(x, "kind")), "tagged")) continue;
		const char *src = json_string_value(json_object_get(tag, "source"));
		assert_non_null(src); /* every stop is a stored tag here */
		char row[1024];
		snprintf(row, sizeof row, "\n%s,%s,%s,%s,%s,%lld", "bitcoin-regtest",
		         json_string_value(json_object_get(tag, "tagged_address")),
		         json_string_value(json_object_get(tag, "label")), json_string_value(json_object_get(tag, "category")),
		         src, (long long)json_integer_value(json_object_get(tag, "confidence")));
		if (!strstr(csv, row)) fail_msg("endpoint tag not in tags.csv: %s", row + 1);
		const char *ta = json_string_value(json_object_get(tag, "tagged_address"));
		if (json_is_null(json_object_get(x, "cluster")))
			assert_string_equal(ta, json_string_value(json_object_get(x, "address")));
		n_src++;
	}
	assert_true(n_src > 0);
	free(csv);

	/* deterministic apart from generated_at */
	json_t *r2 = trace_heist(TL_POLICY_HAIRCUT, 0, 0);
	json_object_del(json_object_get(r2, "provenance"), "generated_at");
	json_object_del(pv, "generated_at");
	assert_true(json_equal(r, r2));
	json_decref(r2);
	json_decref(r);

	/* A heist given from a registry file and not stored: its own definition. */
	struct tl_registry *reg = NULL;
	snprintf(path, sizeof path, "%s/heists.json", dir);
	assert_int_equal(tl_registry_load(path, &reg, &err), 0);
	struct tl_heist *fh2 = (struct tl_heist *)tl_registry_find(reg, id);
	assert_non_null(fh2);
	free(fh2->id);
	fh2->id = strdup("not-stored-heist");
	struct tl_trace_seeds s;
	tl_trace_seeds_init(&s);
	assert_int_equal(tl_trace_seeds_add_heist(sg, fh2, &s, &err), 0);
	json_t *r3 = NULL;
	assert_int_equal(tl_trace_run(sg, &s, NULL, &r3, &err), 0);
	json_t *ph3 = json_array_get(json_object_get(json_object_get(r3, "provenance"), "heists"), 0);
	assert_string_equal(json_string_value(json_object_get(ph3, "id")), "not-stored-heist");
	assert_string_equal(json_string_value(json_object_get(ph3, "definition")), "registry file");
	json_object_foreach(fa, fk, x) assert_true(json_equal(x, json_object_get(json_object_get(ph3, "attribution"), fk)));
	json_decref(r3);

	/* A time limit already past: TL_WALK_TIMEOUT, no result. */
	struct tl_walk_params p;
	tl_walk_params_default(&p);
	p.deadline_ms = 1;
	r3 = NULL;
	assert_int_equal(tl_trace_run(sg, &s, &p, &r3, &err), TL_WALK_TIMEOUT);
	assert_null(r3);
	assert_non_null(strstr(err.msg, "time limit"));
	tl_trace_seeds_free(&s);
	tl_registry_free(reg);
	json_decref(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conservation),   cmocka_unit_test(test_store_equals_memgraph),
		cmocka_unit_test(test_address_window), cmocka_unit_test(test_until),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_renderers),      cmocka_unit_test(test_cashouts_found),
		cmocka_unit_test(test_provenance),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
