/* Screening by category on a simulated chain (sim/sim.h):
 *   - one user of truth.json is tagged sanctioned (one address; its
 *     cluster carries it) by a tag import after the chain is indexed;
 *   - the sanctioned source's records equal a deliberately naive forward
 *     pass over every transaction of the chain (haircut, floor rounding,
 *     dust cut, hop limit, stop at exchanges), output for output;
 *   - a deposit registered as a transfer before the import is "none" and
 *     is marked raised by the import's re-screen, naming the entity;
 *   - destination of funds of an address that paid the entity;
 *   - the rules file (parsed strictly) and the transfer store's paging;
 *   - the server: rules file and reload, /v1/transfers, withdrawals. */
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
#include "indexer/indexer.h"
#include "store/store.h"
#include "store/transfers.h"
#include "api/serve.h"
#include "tests/chainfix.h"
#include "tests/httpc.h"
#include "tests/testutil.h"
#include "tracer/category.h"
#include "tracer/entities.h"
#include "tracer/screen.h"
#include "tracer/screen_int.h"
#include "tracer/screen_transfers.h"

#define LABEL "Test Sanctioned Entity"
#define SOURCE "test-list"

static char *dir;
static char db[4096], blocks[4096];
static struct tl_store *st;
static json_t *truth;
static char tagged_addr[128];
static uint64_t tagged_cluster;
static struct omap naive;   /* (tx, vout) -> amount, hops, flags */
static uint64_t deposit_tx; /* an exchange deposit the naive pass exposes within 3 hops */
static uint32_t deposit_vout;
static char deposit_op[80];
static char payer_addr[128]; /* paid the entity directly (test_destination_of_funds) */
static uint64_t transfer_id;
static json_t *verdict_before;

static uint32_t sanctioned_num(void)
{
	return TL_SCREEN_CAT_BASE + (uint32_t)(tl_category_find("sanctioned") - tl_categories);
}

/* The naive pass: every transaction in chain order, from the members'
 * outputs (seeds), with the walk's documented rules. */
static void naive_pass(const uint64_t *members, int nm)
{
	struct tl_err err;
	struct tl_screen_params p;
	tl_screen_params_default(&p);
	struct tl_tip tip;
	if (tl_store_tip(st, &tip, &err)) fail_msg("%s", err.msg);
	for (uint64_t x = 0; x < tip.next_tx_num; x++) {
		struct tl_tx_rec tx;
		int g = tl_store_tx(st, x, &tx, &err);
		if (g < 0) fail_msg("%s", err.msg);
		if (g == 0) continue;
		unsigned __int128 T = 0, V = 0;
		uint32_t maxhop = 0;
		int any = 0;
		for (uint32_t i = 0; i < tx.n_in; i++) {
			V += tx.in[i].value;
			if (tx.in[i].kind != TL_IN_KNOWN) continue;
			struct oent *e = omap_find(&naive, tx.in[i].prev_tx_num, tx.in[i].prev_vout);
			if (!e || (e->flags & F_ENDPOINT) || (!(e->flags & F_SEED) && e->hops >= p.max_hops)) continue;
			if (!any || e->hops < maxhop) maxhop = e->hops; /* the fewest hops */
			any = 1;
			T += e->amount;
		}
		for (uint32_t j = 0; j < tx.n_out; j++) {
			int seed = 0;
			for (int k = 0; k < nm && !seed; k++) seed = tx.out[j].addr_id == members[k];
			uint64_t t = T && V ? (uint64_t)((unsigned __int128)tx.out[j].value * T / V) : 0;
			if (!seed && (!t || t < p.min_sat)) continue;
			struct oent *e = omap_put(&naive, x, j);
			e->amount = seed ? tx.out[j].value : t;
			e->hops = seed ? 0 : maxhop + 1;
			e->flags = seed ? F_SEED : 0;
			if (tx.out[j].addr_id) {
				struct tl_entity ent;
				if (tl_entity_get(st, tx.out[j].addr_id, &ent, &err)) fail_msg("%s", err.msg);
				if (ent.cats & p.stop_cats) e->flags |= F_ENDPOINT;
			}
		}
		tl_tx_rec_free(&tx);
	}
}

static int setup(void **state)
{
	(void)state;
	struct tl_err err;
	dir = tu_tmpdir("screencat");
	cf_sim(dir, 23, 220, 24, 0, true);
	snprintf(blocks, sizeof blocks, "%s/blocks", dir);
	snprintf(db, sizeof db, "%s/db", dir);
	truth = cf_sim_truth(dir);
	struct tl_index_opts io = cf_index_opts(blocks, db);
	cf_index_run(&io, NULL);
	struct tl_store_opts so = { .cache_mb = 16 };
	st = cf_store_open(db, &so);
	cf_import_sim_labels(st, dir);
	if (tl_screen_update(st, NULL, &err)) fail_msg("update: %s", err.msg);

	/* the user with the most addresses becomes "sanctioned" */
	json_t *ents = json_object_get(truth, "entities"), *best = NULL, *e;
	size_t i;
	json_array_foreach(ents, i, e) {
		if (strcmp(json_string_value(json_object_get(e, "kind")), "user")) continue;
		if (!best || json_array_size(json_object_get(e, "addresses")) >
				     json_array_size(json_object_get(best, "addresses")))
			best = e;
	}
	assert_non_null(best);
	json_t *a;
	uint64_t addr_id = 0;
	json_array_foreach(json_object_get(best, "addresses"), i, a) {
		int r = tl_store_addr_id_of_string(st, json_string_value(a), &addr_id, &err);
		if (r < 0) fail_msg("%s", err.msg);
		if (r == 1) {
			snprintf(tagged_addr, sizeof tagged_addr, "%s", json_string_value(a));
			break;
		}
	}
	assert_true(tagged_addr[0]);
	if (tl_cluster_of(st, addr_id, &tagged_cluster, &err)) fail_msg("%s", err.msg);
	uint64_t *members = NULL;
	int nm = tl_cluster_members_all(st, tagged_cluster, &members, &err);
	if (nm < 1) fail_msg("members: %s", err.msg);
	naive_pass(members, nm);
	free(members);

	/* a deposit (an exchange's output) within 3 hops, before the tag */
	uint64_t best_amount = 0;
	for (size_t k = 0; k < naive.cap; k++) {
		struct oent *o = &naive.v[k];
		if (o->tx == UINT64_MAX || !(o->flags & F_ENDPOINT) || o->hops < 1 || o->hops > 3) continue;
		if (o->amount > best_amount) {
			best_amount = o->amount;
			deposit_tx = o->tx;
			deposit_vout = o->vout;
		}
	}
	assert_true(best_amount > 0);
	struct tl_tx_rec tx;
	if (tl_store_tx(st, deposit_tx, &tx, &err) != 1) fail_msg("deposit tx");
	char hex[65];
	tl_hash_to_hex(tx.txid, hex);
	snprintf(deposit_op, sizeof deposit_op, "%s:%u", hex, deposit_vout);
	tl_tx_rec_free(&tx);

	struct tl_screen *sc;
	if (tl_screen_open(st, NULL, &sc, &err)) fail_msg("%s", err.msg);
	verdict_before = tl_screen_transfer_verdict(sc, 0, NULL, deposit_op, &err);
	if (!verdict_before) fail_msg("verdict: %s", err.msg);
	tl_screen_close(sc);
	json_t *rec = json_pack("{s:s,s:s,s:s,s:{s:s},s:O}", "transfer_reference", "dep-1", "user_id", "alice",
	                        "direction", "deposit", "subject", "outpoint", deposit_op, "verdict", verdict_before);
	if (tl_screen_transfer_save(st, rec, &transfer_id, &err) != 0) fail_msg("save: %s", err.msg);
	json_decref(rec);

	/* the later tag import */
	char path[4200];
	snprintf(path, sizeof path, "%s/sanctioned.csv", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "chain,address,label,category,source,confidence\nbitcoin-regtest,%s,%s,sanctioned,%s,90\n",
	        tagged_addr, LABEL, SOURCE);
	fclose(f);
	struct tl_tag_import_report rep;
	if (tl_tags_import(st, path, TL_TAGFMT_AUTO, &rep, &err)) fail_msg("import: %s", err.msg);
	assert_int_equal(rep.stored, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tl_store_close(st);
	json_decref(truth);
	json_decref(verdict_before);
	free(naive.v);
	tu_rmrf(dir);
	free(dir);
	return 0;
}

/* Every record of the sanctioned source equals the naive pass, and the
 * naive pass has no output the index lacks. */
static void test_index_equals_naive(void **state)
{
	(void)state;
	struct tl_err err;
	uint32_t num = sanctioned_num();
	uint8_t k0[16];
	tl_taint_key(num, 0, 0, k0);
	struct tl_iter *it = tl_iter_new(st, TL_CF_TAINT);
	size_t n = 0, hop3 = 0;
	for (tl_iter_seek(it, k0, 4); tl_iter_valid(it); tl_iter_next(it)) {
		size_t kl, vl;
		const uint8_t *k = tl_iter_key(it, &kl), *v = tl_iter_value(it, &vl);
		if (kl != 16 || memcmp(k, k0, 4)) break;
		uint64_t tx = 0, f[5];
		uint32_t vout = 0;
		for (int i = 4; i < 12; i++) tx = tx << 8 | k[i];
		for (int i = 12; i < 16; i++) vout = vout << 8 | k[i];
		size_t pos = 0;
		for (int i = 0; i < 5; i++)
			if (tl_get_varint(v, vl, &pos, &f[i])) fail_msg("record %llu:%u", (unsigned long long)tx, vout);
		struct oent *e = omap_find(&naive, tx, vout);
		if (!e) fail_msg("output %llu:%u in the index, not in the naive pass", (unsigned long long)tx, vout);
		if (e->amount != f[0] || e->hops != f[1] || (e->flags & 3) != (f[2] & 3))
			fail_msg("output %llu:%u: index %llu sat %llu hops flags %llu, naive %llu sat %u hops flags %u",
			         (unsigned long long)tx, vout, (unsigned long long)f[0], (unsigned long long)f[1],
			         (unsigned long long)f[2], (unsigned long long)e->amount, e->hops, e->flags);
		if (f[4] != tagged_cluster) fail_msg("origin %llu, not the tagged cluster", (unsigned long long)f[4]);
		e->mark = 1;
		n++;
		hop3 += f[1] <= 3 && f[1] > 0;
	}
	tl_iter_free(it);
	for (size_t i = 0; i < naive.cap; i++)
		if (naive.v[i].tx != UINT64_MAX && !naive.v[i].mark)
			fail_msg("output %llu:%u in the naive pass (%llu sat, %u hops), not in the index",
			         (unsigned long long)naive.v[i].tx, naive.v[i].vout, (unsigned long long)naive.v[i].amount,
			         naive.v[i].hops);
	assert_true(n > 20);
	assert_true(hop3 > 5);
	print_message("sanctioned source: %zu outputs, %zu of them 1..3 hops away, equal to the naive pass\n", n, hop3);
	(void)err;
}

static json_t *find_cat(json_t *v, const char *cat, const char *direction)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(v, "categories"), i, c)
		if (!strcmp(json_string_value(json_object_get(c, "category")), cat) &&
		    !strcmp(json_string_value(json_object_get(c, "direction")), direction))
			return c;
	return NULL;
}

/* The deposit: "none" for sanctions before the import, raised after it,
 * naming the entity; the answer carries tip, rules version, time, score. */
static void test_deposit_raised_by_import(void **state)
{
	(void)state;
	struct tl_err err;
	assert_null(find_cat(verdict_before, "sanctioned", "indirect"));
	char *txt = NULL;
	assert_int_equal(tl_transfer_get(st, transfer_id, &txt, &err), 1);
	json_t *rec = json_loads(txt, 0, NULL);
	free(txt);
	assert_non_null(rec);
	json_t *raised = json_object_get(rec, "raised");
	if (json_array_size(raised) != 1) fail_msg("transfer not raised: %s", json_dumps(rec, JSON_COMPACT));
	json_t *r0 = json_array_get(raised, 0);
	assert_string_equal(json_string_value(json_object_get(r0, "from")),
	                    json_string_value(json_object_get(verdict_before, "risk")));
	json_t *cur = json_object_get(rec, "current");
	assert_string_equal(json_string_value(json_object_get(cur, "risk")), json_string_value(json_object_get(r0, "to")));

	struct tl_screen *sc;
	if (tl_screen_open(st, NULL, &sc, &err)) fail_msg("%s", err.msg);
	json_t *v = tl_screen_transfer_verdict(sc, 0, NULL, deposit_op, &err);
	if (!v) fail_msg("%s", err.msg);
	json_t *c = find_cat(v, "sanctioned", "indirect");
	if (!c) fail_msg("no sanctioned exposure: %s", json_dumps(v, JSON_COMPACT));
	struct oent *e = omap_find(&naive, deposit_tx, deposit_vout);
	assert_int_equal(json_integer_value(json_object_get(c, "amount_sat")), e->amount);
	assert_int_equal(json_integer_value(json_object_get(c, "hops")), e->hops);
	json_t *ent = json_object_get(c, "entity");
	assert_string_equal(json_string_value(json_object_get(ent, "label")), LABEL);
	assert_string_equal(json_string_value(json_object_get(ent, "source")), SOURCE);
	assert_int_equal(json_integer_value(json_object_get(ent, "confidence")), 90);
	assert_int_equal(json_integer_value(json_object_get(ent, "cluster_id")), tagged_cluster);
	assert_true(json_real_value(json_object_get(v, "score")) >= 30);
	assert_string_equal(json_string_value(json_object_get(v, "rules_version")), "default-1");
	struct tl_tip tip;
	if (tl_store_tip(st, &tip, &err)) fail_msg("%s", err.msg);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "tip"), "height")), tip.height);
	assert_non_null(json_string_value(json_object_get(v, "screened_at")));
	/* a second re-screen with nothing new marks nothing more */
	uint32_t more = 9;
	if (tl_screen_transfers_rescreen(st, &more, &err)) fail_msg("%s", err.msg);
	assert_int_equal(more, 0);
	/* the tagged address itself: direct exposure, severe */
	json_t *d = tl_screen_address(sc, tagged_addr, &err);
	assert_non_null(d);
	assert_non_null(find_cat(d, "sanctioned", "direct"));
	assert_string_equal(json_string_value(json_object_get(d, "risk")), "severe");
	json_decref(d);
	json_decref(v);
	json_decref(rec);
	tl_screen_close(sc);
}

/* An address that paid the entity directly: its destination of funds
 * names the entity one hop away. */
static void test_destination_of_funds(void **state)
{
	(void)state;
	struct tl_err err;
	struct tl_screen *sc;
	if (tl_screen_open(st, NULL, &sc, &err)) fail_msg("%s", err.msg);
	/* a seed output (paid to the entity) of a transaction whose first
	 * input is an untagged address outside the cluster */
	char payer[128] = "";
	for (size_t i = 0; i < naive.cap && !payer[0]; i++) {
		struct oent *o = &naive.v[i];
		if (o->tx == UINT64_MAX || !(o->flags & F_SEED) || o->amount < 100000) continue;
		struct tl_tx_rec tx;
		if (tl_store_tx(st, o->tx, &tx, &err) != 1) fail_msg("tx");
		uint64_t a = tx.n_in ? tx.in[0].addr_id : 0, cid = 0;
		struct tl_entity ent;
		if (a && !tl_cluster_of(st, a, &cid, &err) && cid != tagged_cluster && !tl_entity_get(st, a, &ent, &err) &&
		    !ent.cats && !omap_find(&naive, tx.in[0].prev_tx_num, tx.in[0].prev_vout))
			tl_store_owner_address(st, a, payer, &err);
		tl_tx_rec_free(&tx);
	}
	if (!payer[0]) {
		print_message("no direct payer to the entity on this chain\n");
		tl_screen_close(sc);
		return;
	}
	snprintf(payer_addr, sizeof payer_addr, "%s", payer);
	json_t *v = tl_screen_destination(sc, payer, 3, &err);
	if (!v) fail_msg("%s", err.msg);
	json_t *c, *found = NULL;
	size_t i;
	json_array_foreach(json_object_get(v, "destination_of_funds"), i, c)
		if (!strcmp(json_string_value(json_object_get(c, "category")), "sanctioned")) found = c;
	if (!found) fail_msg("no sanctioned destination for %s: %s", payer, json_dumps(v, JSON_COMPACT));
	assert_int_equal(json_integer_value(json_object_get(found, "hops")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(found, "entity"), "cluster_id")),
	                 tagged_cluster);
	json_decref(v);
	tl_screen_close(sc);
}

static void test_rules(void **state)
{
	(void)state;
	struct tl_err err;
	struct tl_screen_rules r;
	tl_screen_rules_default(&r);
	const char *good = "# exchange rules\nversion = ex-2026.12\nhigh_share = 0.4\n"
	                   "rule sanctioned direct severe 100\n"
	                   "rule sanctioned indirect high 90 hops<=2\n"
	                   "rule mixer indirect medium 40 share>=0.2 amount>=50000\n";
	assert_int_equal(tl_screen_rules_parse(good, strlen(good), "t", &r, &err), 0);
	assert_string_equal(r.version, "ex-2026.12");
	assert_int_equal(r.n_cat, 3);
	assert_true(r.high_share == 0.4);
	double s;
	size_t mixer = (size_t)(tl_category_find("mixer") - tl_categories);
	size_t sanc = (size_t)(tl_category_find("sanctioned") - tl_categories);
	assert_int_equal(tl_screen_rules_apply(&r, sanc, 0, 0.01, 2, 5000, &s), 3);
	assert_true(s == 90);
	assert_int_equal(tl_screen_rules_apply(&r, sanc, 0, 0.9, 3, 5000, &s), 0); /* no rule for 3 hops */
	assert_int_equal(tl_screen_rules_apply(&r, mixer, 0, 0.3, 5, 60000, &s), 2);
	assert_int_equal(tl_screen_rules_apply(&r, mixer, 0, 0.3, 5, 40000, &s), 0);
	static const char *const bad[] = {
		"rule sanctioned sideways high 90\n",         "rule exchange indirect high 90\n",
		"rule sanctioned indirect extreme 90\n",      "rule sanctioned indirect high 101\n",
		"rule sanctioned indirect high 90 hops<=0\n", "rule sanctioned direct high 90 share>=0.1\n",
		"rule sanctioned indirect high 90 share>=2\n", "high_share = 1.5\n",
		"nonsense = 1\n",                            "version = has space\n",
		"rule sanctioned\n",                          "just words\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct tl_screen_rules r2 = r;
		char txt[256];
		snprintf(txt, sizeof txt, "version = x\n%s", bad[i]);
		if (tl_screen_rules_parse(txt, strlen(txt), "t", &r2, &err) == 0) fail_msg("accepted: %s", bad[i]);
		if (!strstr(err.msg, "line 2")) fail_msg("'%s': message names no line: %s", bad[i], err.msg);
		assert_memory_equal(&r2, &r, sizeof r); /* unchanged on error */
	}
	/* no version: a hash of the text; no rule line: the defaults stay */
	struct tl_screen_rules d;
	tl_screen_rules_default(&d);
	size_t n0 = d.n_cat;
	assert_int_equal(tl_screen_rules_parse("low_min_sat = 5000\n", 19, "t", &d, &err), 0);
	assert_int_equal(d.n_cat, n0);
	assert_int_equal(strncmp(d.version, "fnv-", 4), 0);
	assert_int_equal(tl_screen_rules_parse("a\0b", 3, "t", &d, &err), -1);
}

static int count_cb(uint64_t id, const char *text, void *ctx)
{
	uint64_t *c = ctx;
	(void)text;
	if (id <= c[1]) fail_msg("ids out of order");
	c[1] = id;
	return ++c[0] >= c[2];
}

/* Paging through one user's transfers sees each once, in order, and no
 * other user's; a reference registers once. */
static void test_transfer_paging(void **state)
{
	(void)state;
	struct tl_err err;
	for (int i = 0; i < 25; i++) {
		char ref[32];
		snprintf(ref, sizeof ref, "pg-%d", i);
		json_t *rec = json_pack("{s:s,s:s,s:s}", "transfer_reference", ref, "user_id", i % 2 ? "bob" : "bo",
		                        "direction", "deposit");
		uint64_t id;
		assert_int_equal(tl_screen_transfer_save(st, rec, &id, &err), 0);
		json_decref(rec);
	}
	json_t *dup = json_pack("{s:s,s:s}", "transfer_reference", "pg-3", "user_id", "bob");
	uint64_t id;
	assert_int_equal(tl_screen_transfer_save(st, dup, &id, &err), 1);
	json_decref(dup);
	uint64_t total = 0, after = 0;
	for (;;) {
		uint64_t c[3] = { 0, after, 5 };
		if (tl_transfers_of_user(st, "bob", after, count_cb, c, &err)) fail_msg("%s", err.msg);
		total += c[0];
		if (c[0] < 5) break;
		after = c[1];
	}
	assert_int_equal(total, 12);
}


static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static json_t *get_json(uint16_t port, const char *method, const char *path, const char *body, int want)
{
	struct resp r;
	if (http_do(port, method, path, NULL, body, body ? strlen(body) : 0, &r) < 0) fail_msg("%s: no answer", path);
	if (r.status != want) fail_msg("%s %s: %d, not %d: %.300s", method, path, r.status, want, r.body ? r.body : "");
	json_t *j = resp_json(&r);
	resp_free(&r);
	return j;
}

/* The server: rules from a file and reloaded, transfers registered,
 * listed and refused twice, destination of funds over HTTP. */
static void test_api(void **state)
{
	(void)state;
	struct tl_err err;
	tl_store_close(st);
	st = NULL;
	char rules[4200], path[600];
	snprintf(rules, sizeof rules, "%s/rules.txt", dir);
	write_file(rules, "version = api-rules-1\nrule sanctioned indirect high 95 hops<=6\nrule sanctioned direct severe 100\n");
	struct tl_serve_opts o;
	tl_serve_opts_default(&o);
	o.db_path = db;
	o.listen = "127.0.0.1:0";
	o.log = NULL;
	o.rules_file = rules;
	struct tl_app *app;
	if (tl_app_open(&o, &app, &err) < 0) fail_msg("open: %s", err.msg);
	if (tl_app_start(app, &err) < 0) fail_msg("start: %s", err.msg);
	uint16_t port = tl_app_port(app);

	snprintf(path, sizeof path, "/v1/screen?outpoint=%s", deposit_op);
	json_t *v = get_json(port, "GET", path, NULL, 200);
	assert_string_equal(json_string_value(json_object_get(v, "rules_version")), "api-rules-1");
	assert_string_equal(json_string_value(json_object_get(v, "risk")), "high");
	assert_true(json_real_value(json_object_get(v, "score")) == 95);
	assert_non_null(find_cat(v, "sanctioned", "indirect"));
	json_decref(v);

	/* reload: a new version is in force; a bad file keeps it */
	write_file(rules, "version = api-rules-2\nrule sanctioned indirect medium 55\n");
	assert_int_equal(tl_app_reload_rules(app, &err), 0);
	v = get_json(port, "GET", path, NULL, 200);
	assert_string_equal(json_string_value(json_object_get(v, "rules_version")), "api-rules-2");
	assert_string_equal(json_string_value(json_object_get(v, "risk")), "medium");
	json_decref(v);
	write_file(rules, "version = api-rules-3\nrule sanctioned sideways medium 55\n");
	assert_int_equal(tl_app_reload_rules(app, &err), -1);
	assert_non_null(strstr(err.msg, "line 2"));
	v = get_json(port, "GET", path, NULL, 200);
	assert_string_equal(json_string_value(json_object_get(v, "rules_version")), "api-rules-2");
	json_decref(v);

	/* transfers */
	char body[512];
	snprintf(body, sizeof body,
	         "{\"transfer_reference\":\"dep-api\",\"user_id\":\"carol\",\"direction\":\"deposit\",\"outpoint\":\"%s\"}",
	         deposit_op);
	v = get_json(port, "POST", "/v1/transfers", body, 201);
	assert_string_equal(json_string_value(json_object_get(v, "risk")), "medium");
	json_int_t id = json_integer_value(json_object_get(v, "id"));
	assert_true(id > 0);
	json_decref(v);
	v = get_json(port, "POST", "/v1/transfers", body, 409);
	assert_string_equal(json_string_value(json_object_get(v, "error")), "transfer_exists");
	assert_int_equal(json_integer_value(json_object_get(v, "id")), id);
	json_decref(v);
	json_decref(get_json(port, "POST", "/v1/transfers",
	                     "{\"transfer_reference\":\"w\",\"user_id\":\"carol\",\"direction\":\"withdrawal\"}", 400));
	json_decref(get_json(port, "POST", "/v1/transfers",
	                     "{\"transfer_reference\":\"w\",\"user_id\":\"carol\",\"direction\":\"sideways\",\"address\":\"x\"}",
	                     400));
	/* the follower's catch-up makes the write visible to the secondary */
	if (tl_app_follow_once(app, &err) < 0) fail_msg("%s", err.msg);
	v = get_json(port, "GET", "/v1/transfers?user=carol", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(v, "transfers")), 1);
	json_decref(v);
	snprintf(path, sizeof path, "/v1/transfers/%lld", (long long)id);
	v = get_json(port, "GET", path, NULL, 200);
	assert_string_equal(json_string_value(json_object_get(v, "transfer_reference")), "dep-api");
	json_decref(v);
	/* paging bob's 12 transfers by 5 */
	long long after = 0;
	size_t total = 0;
	for (int pages = 0; pages < 10; pages++) {
		snprintf(path, sizeof path, "/v1/transfers?user=bob&limit=5&after=%lld", after);
		v = get_json(port, "GET", path, NULL, 200);
		total += json_array_size(json_object_get(v, "transfers"));
		json_t *n = json_object_get(v, "next_after");
		int more = json_is_integer(n);
		if (more) after = json_integer_value(n);
		json_decref(v);
		if (!more) break;
	}
	assert_int_equal(total, 12);

	if (payer_addr[0]) {
		snprintf(path, sizeof path, "/v1/screen?address=%s&direction=withdrawal", payer_addr);
		v = get_json(port, "GET", path, NULL, 200);
		assert_true(json_array_size(json_object_get(v, "destination_of_funds")) > 0);
		json_decref(v);
	}
	tl_app_close(app);
	struct tl_store_opts so = { .cache_mb = 16 };
	st = cf_store_open(db, &so);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_equals_naive),
		cmocka_unit_test(test_deposit_raised_by_import),
		cmocka_unit_test(test_destination_of_funds),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_transfer_paging),
		cmocka_unit_test(test_api),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
