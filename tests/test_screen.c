/* Screening on a simulated chain (sim/sim.h), indexed in two parts:
 *   - the taint index after an incremental update (index 60% of the
 *     chain, materialize, index the rest, tl_screen_update) equals a full
 *     rebuild, entry for entry;
 *   - the index agrees with a forward haircut trace (tracer/trace.h) on
 *     every endpoint (same amount and hops);
 *   - every cash-out deposit of truth.json is exposed to its heist, at
 *     the outpoint and at the deposit address; the miners' addresses (they
 *     only receive coinbases) are "none";
 *   - sanctioned tags give "severe"; the rules file; bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "bitcoin/hash.h"
#include "bitcoin/network.h"
#include "indexer/indexer.h"
#include "sim/sim.h"
#include "store/store.h"
#include "tests/chainfix.h"
#include "tests/testutil.h"
#include "tracer/entities.h"
#include "tracer/screen.h"
#include "tracer/storegraph.h"
#include "tracer/trace.h"

static char *dir;
static char db[4096], blocks[4096];
static struct tl_store *st;
static json_t *truth, *heist;

static void index_until(int32_t until)
{
	struct tl_index_opts io = cf_index_opts(blocks, db);
	io.until = until;
	cf_index_run(&io, NULL);
}

static void open_db(void)
{
	struct tl_store_opts so = { .cache_mb = 16 };
	st = cf_store_open(db, &so);
}

/* Every taint entry as one JSON object (hex key -> hex value). */
static json_t *dump_taint(void)
{
	json_t *o = json_object();
	struct tl_iter *it = tl_iter_new(st, TL_CF_TAINT);
	for (tl_iter_first(it); tl_iter_valid(it); tl_iter_next(it)) {
		size_t kl, vl;
		const uint8_t *k = tl_iter_key(it, &kl), *v = tl_iter_value(it, &vl);
		char kh[128], vh[256];
		tl_hex_encode(k, kl, kh);
		tl_hex_encode(v, vl < 100 ? vl : 100, vh);
		json_object_set_new(o, kh, json_string(vh));
	}
	tl_iter_free(it);
	return o;
}

static json_t *incremental, *rebuilt;

static int setup(void **state)
{
	(void)state;
	struct tl_err err;
	dir = tu_tmpdir("screen");
	cf_sim(dir, 11, 200, 20, 0, true);
	snprintf(blocks, sizeof blocks, "%s/blocks", dir);
	snprintf(db, sizeof db, "%s/db", dir);
	truth = cf_sim_truth(dir);
	heist = json_array_get(json_object_get(truth, "heists"), 0);
	assert_non_null(heist);
	int32_t h = (int32_t)json_integer_value(json_object_get(heist, "height"));
	/* the first part ends a few blocks after the theft: peel chains and
	 * cash-outs are still to come */
	index_until(h + 5);
	open_db();
	cf_import_sim_labels(st, dir);
	struct tl_screen_update_stats us;
	if (tl_screen_update(st, &us, &err)) fail_msg("update: %s", err.msg);
	assert_int_equal(us.rebuilt, 1);
	assert_int_equal(us.heists, 1);
	tl_store_close(st);
	/* the rest of the chain, then the incremental update */
	index_until(-1);
	open_db();
	if (tl_screen_update(st, &us, &err)) fail_msg("update: %s", err.msg);
	assert_int_equal(us.rebuilt, 0);
	assert_int_equal(us.heists, 1);
	assert_true(us.visited > 0);
	incremental = dump_taint();
	/* and an update with nothing new changes nothing */
	if (tl_screen_update(st, &us, &err)) fail_msg("update: %s", err.msg);
	assert_int_equal(us.visited, 0);
	uint32_t done, skipped;
	if (tl_screen_rebuild(st, NULL, &done, &skipped, &err)) fail_msg("rebuild: %s", err.msg);
	assert_int_equal(done, 1);
	assert_int_equal(skipped, 0);
	rebuilt = dump_taint();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tl_store_close(st);
	json_decref(truth);
	json_decref(incremental);
	json_decref(rebuilt);
	tu_rmrf(dir);
	free(dir);
	return 0;
}

static void test_incremental_equals_rebuild(void **state)
{
	(void)state;
	assert_true(json_object_size(rebuilt) > 100);
	const char *k;
	json_t *v;
	json_object_foreach(rebuilt, k, v) {
		json_t *w = json_object_get(incremental, k);
		if (!w) fail_msg("key %s only in the rebuild", k);
		if (!json_equal(v, w)) fail_msg("key %s: %s (rebuild) vs %s (incremental)", k, json_string_value(v), json_string_value(w));
	}
	json_object_foreach(incremental, k, v) if (!json_object_get(rebuilt, k)) fail_msg("key %s only in the incremental index", k);
}

static void test_agrees_with_trace(void **state)
{
	(void)state;
	struct tl_err err;
	struct tl_storegraph *sg;
	assert_int_equal(tl_storegraph_new(st, &sg, &err), 0);
	struct tl_heist_info hi;
	memset(&hi, 0, sizeof hi);
	assert_int_equal(tl_heist_get(st, json_string_value(json_object_get(heist, "id")), &hi, &err), 1);
	struct tl_registry *reg;
	assert_int_equal(tl_heist_parse(&hi, &reg, &err), 0);
	struct tl_trace_seeds ts;
	tl_trace_seeds_init(&ts);
	assert_int_equal(tl_trace_seeds_add_heist(sg, &reg->heists[0], &ts, &err), 0);
	struct tl_walk_params p;
	tl_walk_params_default(&p);
	p.policy = TL_POLICY_HAIRCUT;
	p.min_sat = 1000; /* the screening default */
	json_t *r;
	assert_int_equal(tl_trace_run(sg, &ts, &p, &r, &err), 0);
	struct tl_screen *sc;
	assert_int_equal(tl_screen_open(st, NULL, &sc, &err), 0);
	size_t i;
	json_t *e;
	int checked = 0;
	json_array_foreach(json_object_get(r, "endpoints"), i, e) {
		const char *op = json_string_value(json_object_get(e, "outpoint"));
		if (strcmp(json_string_value(json_object_get(e, "kind")), "tagged")) continue;
		uint8_t txid[32];
		uint32_t vout;
		assert_int_equal(tl_trace_parse_outpoint(op, txid, &vout, &err), 0);
		json_t *v = tl_screen_outpoint(sc, txid, vout, &err);
		assert_non_null(v);
		json_t *x = json_array_get(json_object_get(v, "exposures"), 0);
		assert_non_null(x);
		assert_int_equal(json_integer_value(json_object_get(x, "amount_sat")),
		                 json_integer_value(json_object_get(e, "amount_sat")));
		assert_int_equal(json_integer_value(json_object_get(x, "hops")), json_integer_value(json_object_get(e, "hops")));
		json_decref(v);
		checked++;
	}
	assert_true(checked > 5);
	tl_screen_close(sc);
	json_decref(r);
	tl_trace_seeds_free(&ts);
	tl_registry_free(reg);
	free(hi.json);
	tl_storegraph_free(sg);
}

static void test_cashouts_exposed(void **state)
{
	(void)state;
	struct tl_err err;
	struct tl_screen *sc;
	assert_int_equal(tl_screen_open(st, NULL, &sc, &err), 0);
	const char *hid = json_string_value(json_object_get(heist, "id"));
	size_t i;
	json_t *c;
	size_t n = 0;
	json_array_foreach(json_object_get(heist, "cashouts"), i, c) {
		uint8_t txid[32];
		uint32_t vout;
		assert_int_equal(tl_trace_parse_outpoint(json_string_value(json_object_get(c, "outpoint")), txid, &vout, &err), 0);
		json_t *v = tl_screen_outpoint(sc, txid, vout, &err);
		assert_non_null(v);
		json_t *x = json_array_get(json_object_get(v, "exposures"), 0);
		if (!x) fail_msg("cash-out %s not exposed", json_string_value(json_object_get(c, "outpoint")));
		assert_string_equal(json_string_value(json_object_get(x, "heist")), hid);
		assert_true(json_integer_value(json_object_get(x, "amount_sat")) > 0);
		assert_string_not_equal(json_string_value(json_object_get(v, "risk")), "none");
		json_decref(v);
		v = tl_screen_address(sc, json_string_value(json_object_get(c, "address")), &err);
		assert_non_null(v);
		assert_true(json_array_size(json_object_get(v, "exposures")) == 1);
		assert_string_not_equal(json_string_value(json_object_get(v, "risk")), "none");
		json_decref(v);
		/* the whole transaction */
		v = tl_screen_txid(sc, txid, &err);
		assert_non_null(v);
		assert_string_not_equal(json_string_value(json_object_get(v, "risk")), "none");
		json_decref(v);
		n++;
	}
	assert_true(n > 0);
	/* miners receive only coinbases: no relation to the heist */
	json_t *ent;
	int miners = 0;
	json_array_foreach(json_object_get(truth, "entities"), i, ent) {
		if (strcmp(json_string_value(json_object_get(ent, "kind")), "miner")) continue;
		json_t *a = json_array_get(json_object_get(ent, "addresses"), 0);
		json_t *v = tl_screen_address(sc, json_string_value(a), &err);
		assert_non_null(v);
		assert_string_equal(json_string_value(json_object_get(v, "risk")), "none");
		assert_int_equal(json_array_size(json_object_get(v, "exposures")), 0);
		json_decref(v);
		miners++;
	}
	assert_true(miners > 0);
	/* the lookup API agrees with itself for the raw path */
	struct tl_screen_exp exp[4];
	assert_int_equal(tl_screen_lookup_addr(sc, 0, exp, 4, &err), 0);
	tl_screen_close(sc);
}

static void test_backward(void **state)
{
	(void)state;
	struct tl_err err;
	struct tl_screen *sc;
	assert_int_equal(tl_screen_open(st, NULL, &sc, &err), 0);
	/* the first peel chain's first hop spends a split coin of the theft:
	 * its outputs come from the heist within a few hops */
	json_t *chain = json_array_get(json_object_get(heist, "peel_chains"), 0);
	assert_non_null(chain);
	uint8_t txid[32];
	assert_int_equal(tl_hash_from_hex(json_string_value(json_array_get(chain, 0)), txid), 0);
	json_t *b = tl_screen_backward(sc, txid, 0, 6, &err);
	if (!b) fail_msg("%s", err.msg);
	json_t *s = json_array_get(json_object_get(b, "sources"), 0);
	assert_non_null(s);
	assert_true(json_real_value(json_object_get(s, "share")) > 0.99);
	assert_true(json_integer_value(json_object_get(s, "hops")) <= 4);
	json_decref(b);
	tl_screen_close(sc);
}

static void test_rules_and_sanctions(void **state)
{
	(void)state;
	struct tl_err err;
	char path[4096];
	snprintf(path, sizeof path, "%s/rules.txt", dir);
	FILE *f = fopen(path, "w");
	fprintf(f, "# stricter\nhigh_share = 0.9\nhigh_hops = 0\nmedium_share=0.5\n medium_hops = 0 \nlow_min_sat = 1\n");
	fclose(f);
	struct tl_screen_rules r;
	tl_screen_rules_default(&r);
	assert_int_equal(tl_screen_rules_load(path, &r, &err), 0);
	assert_true(r.high_share == 0.9 && r.high_hops == 0 && r.medium_share == 0.5 && r.medium_hops == 0 &&
	            r.low_min_sat == 1 && r.sanctioned_severe == 1);
	const char *bad[] = { "high_share = 2\n", "nonsense = 1\n", "high_hops = x\n", "high_hops\n", "medium_hops = 1.5\n" };
	for (size_t i = 0; i < 5; i++) {
		f = fopen(path, "w");
		fputs(bad[i], f);
		fclose(f);
		assert_int_equal(tl_screen_rules_load(path, &r, &err), -1);
		assert_non_null(strstr(err.msg, "line 1"));
	}
	/* sanctioned: tag one cash-out address, it becomes severe */
	json_t *c = json_array_get(json_object_get(heist, "cashouts"), 0);
	const char *addr = json_string_value(json_object_get(c, "address"));
	snprintf(path, sizeof path, "%s/sanctioned.csv", dir);
	f = fopen(path, "w");
	fprintf(f, "chain,address,label,category,source,confidence\nbitcoin-regtest,%s,Test SDN,sanctioned,test,100\n", addr);
	fclose(f);
	struct tl_tag_import_report rep;
	assert_int_equal(tl_tags_import(st, path, TL_TAGFMT_AUTO, &rep, &err), 0);
	struct tl_screen *sc;
	assert_int_equal(tl_screen_open(st, NULL, &sc, &err), 0);
	json_t *v = tl_screen_address(sc, addr, &err);
	assert_non_null(v);
	assert_string_equal(json_string_value(json_object_get(v, "risk")), "severe");
	assert_true(json_is_true(json_object_get(v, "sanctioned")));
	json_decref(v);
	/* bad input */
	assert_null(tl_screen_address(sc, "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", &err));
	assert_non_null(strstr(err.msg, "wrong network"));
	assert_null(tl_screen_address(sc, "garbage", &err));
	uint8_t txid[32];
	memset(txid, 0xab, 32);
	assert_null(tl_screen_outpoint(sc, txid, 0, &err));
	assert_non_null(strstr(err.msg, "unknown transaction"));
	assert_null(tl_screen_txid(sc, txid, &err));
	uint32_t vout;
	assert_int_equal(tl_trace_parse_outpoint(json_string_value(json_object_get(c, "outpoint")), txid, &vout, &err), 0);
	assert_null(tl_screen_outpoint(sc, txid, 5000, &err));
	assert_non_null(strstr(err.msg, "no output 5000"));
	tl_screen_close(sc);
	/* the command's exit codes */
	char cmd[8192], *out = NULL;
	tl_store_close(st);
	st = NULL;
	struct { const char *args; int code; const char *msg; } cases[] = {
		{ "--outpoint zz:1", 2, "bad outpoint" },
		{ "--txid 12", 2, "bad txid" },
		{ "--address 1BoatSLRHtKNngkdXEeobR76b53LETtpyT", 1, "wrong network" },
		{ "--outpoint abababababababababababababababababababababababababababababababab:0", 1, "unknown transaction" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(cmd, sizeof cmd, "%s screen --db %s %s 2>&1", TL_BINARY, db, cases[i].args);
		int rc = tu_run(cmd, &out);
		if (rc != cases[i].code || !strstr(out, cases[i].msg))
			fail_msg("'%s': exit %d, output %s", cases[i].args, rc, out);
		free(out);
	}
	snprintf(cmd, sizeof cmd, "%s screen --db %s --address %s --json", TL_BINARY, db, addr);
	assert_int_equal(tu_run(cmd, &out), 0);
	assert_non_null(strstr(out, "\"severe\""));
	free(out);
	open_db();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_incremental_equals_rebuild),
		cmocka_unit_test(test_agrees_with_trace),
		cmocka_unit_test(test_cashouts_exposed),
		cmocka_unit_test(test_backward),
		cmocka_unit_test(test_rules_and_sanctions),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
