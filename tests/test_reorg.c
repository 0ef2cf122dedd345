/* Reorgs leave no trace: after any reorg within the undo depth, with tag
 * and heist imports before, between and after it, the database equals a
 * fresh index of the final chain followed by the same imports in the
 * same order (db digest), and so do the four policies' traces of every
 * heist and the screening answers; cluster summaries equal a naive fold
 * of their members' tags.
 *
 *  - test_sim_reorg3: the reported case, a simulated chain of 210
 *    blocks, the simulator's tags and heist imported, then a 3-deep reorg
 *    by tl_sim_extend.
 *  - test_model: a model-based randomized test on hand-built chains:
 *    extensions, reorgs of depth 1 to the undo depth whose new branch
 *    re-mines transactions at later heights, drops some (and what spent
 *    them) and double-spends their inputs, including heist seeds and
 *    tagged coins; owners first seen on a rolled-back branch, seen again
 *    or not; unions undone; tag and heist imports at random between the
 *    steps. A quarter of the index runs are killed by SIGKILL after a
 *    random commit (between batches of the rollback or of the new branch)
 *    and resumed. Fixed seeds in the suite; TL_REORG_SECONDS=N runs new
 *    seeds for N seconds (TL_REORG_SEED=S replays one), printing the seed
 *    of any failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "chain/address.h"
#include "chain/bytes.h"
#include "chain/hash.h"
#include "chain/network.h"
#include "indexer/indexer.h"
#include "sim/sim.h"
#include "store/store.h"
#include "store/tags.h"
#include "tests/chainfix.h"
#include "tests/testutil.h"
#include "tracer/entities.h"
#include "tracer/policy.h"
#include "tracer/registry.h"
#include "tracer/screen.h"
#include "tracer/storegraph.h"
#include "tracer/trace.h"
#include "tracer/walk.h"

static char *g_dir;
/* the seed of the model case running (printed on a failure) */
static unsigned long long g_seed;
static int g_in_model;

#define FAIL(...)                                                                                                   \
	do {                                                                                                        \
		if (g_in_model) print_error("reorg model: failing seed %llu (TL_REORG_SEED=%llu replays it)\n",     \
					    g_seed, g_seed);                                                        \
		fail_msg(__VA_ARGS__);                                                                              \
	} while (0)

static struct tl_store *open_db(const char *path)
{
	struct tl_store_opts so = { .create = true, .net = tl_net_params(TL_NET_REGTEST), .cache_mb = 8 };
	return cf_store_open(path, &so);
}

/* ---- the steps a user takes, as the commands take them ---- */

/* taintline index: the indexer, then the screening update. */
static void do_index(const char *blocks, const char *db, uint32_t keep, uint32_t batch_tx,
		     struct tl_index_stats *st)
{
	struct tl_index_opts o = cf_index_opts(blocks, db);
	o.undo_keep = keep;
	o.batch_tx = batch_tx;
	cf_index_run(&o, st);
	struct tl_store *s = open_db(db);
	struct tl_err err;
	if (tl_screen_update(s, NULL, &err)) FAIL("screen update: %s", err.msg);
	tl_store_close(s);
}

/* taintline tags import (refreshes the screening index itself). */
static void do_tags(const char *db, const char *file)
{
	struct tl_store *s = open_db(db);
	struct tl_err err;
	struct tl_tag_import_report rep;
	if (tl_tags_import(s, file, TL_TAGFMT_CSV, &rep, &err)) FAIL("tags import: %s", err.msg);
	tl_store_close(s);
}

/* taintline heist import: the heists, then the screening update. */
static void do_heists(const char *db, const char *file)
{
	struct tl_store *s = open_db(db);
	struct tl_err err;
	struct tl_heist_import_report rep;
	if (tl_heists_import(s, file, &rep, &err)) FAIL("heist import: %s", err.msg);
	if (tl_screen_update(s, NULL, &err)) FAIL("screen update: %s", err.msg);
	tl_store_close(s);
}

/* ---- comparing a database with a fresh one ---- */

struct heists {
	struct tl_heist_info *v;
	size_t n;
};

static int heist_cb(void *ctx, const struct tl_heist_info *h)
{
	struct heists *hs = ctx;
	hs->v = realloc(hs->v, (hs->n + 1) * sizeof *hs->v);
	hs->v[hs->n] = *h;
	hs->v[hs->n].json = strdup(h->json);
	hs->n++;
	return 0;
}

/* The trace of heist h under policy pol as JSON (its time stamp taken
 * out), or an error message in *msg (malloc'd) when its seeds do not
 * resolve. */
static json_t *trace_of(struct tl_store *s, const struct tl_heist_info *h, enum tl_policy pol, char **msg)
{
	struct tl_err err;
	struct tl_registry *reg = NULL;
	if (tl_heist_parse(h, &reg, &err)) FAIL("heist parse: %s", err.msg);
	struct tl_storegraph *sg;
	if (tl_storegraph_new(s, &sg, &err)) FAIL("storegraph: %s", err.msg);
	struct tl_trace_seeds seeds;
	tl_trace_seeds_init(&seeds);
	json_t *res = NULL;
	*msg = NULL;
	if (tl_trace_seeds_add_heist(sg, &reg->heists[0], &seeds, &err)) {
		*msg = strdup(err.msg);
	} else {
		struct tl_walk_params p;
		tl_walk_params_default(&p);
		p.policy = pol;
		if (tl_trace_run(sg, &seeds, &p, &res, &err)) FAIL("trace: %s", err.msg);
		json_object_del(json_object_get(res, "provenance"), "generated_at");
	}
	tl_trace_seeds_free(&seeds);
	tl_storegraph_free(sg);
	tl_registry_free(reg);
	return res;
}

static void check_traces(struct tl_store *a, struct tl_store *b, const char *what)
{
	struct heists ha = { 0 }, hb = { 0 };
	struct tl_err err;
	if (tl_heists_list(a, heist_cb, &ha, &err) < 0 || tl_heists_list(b, heist_cb, &hb, &err) < 0)
		FAIL("heists list: %s", err.msg);
	if (ha.n != hb.n) FAIL("%s: %zu heists against %zu", what, ha.n, hb.n);
	for (size_t i = 0; i < ha.n; i++) {
		if (!ha.v[i].traceable) continue;
		for (int pol = TL_POLICY_POISON; pol < TL_POLICY_COUNT; pol++) {
			char *ma, *mb;
			json_t *ta = trace_of(a, &ha.v[i], (enum tl_policy)pol, &ma);
			json_t *tb = trace_of(b, &hb.v[i], (enum tl_policy)pol, &mb);
			if ((ma == NULL) != (mb == NULL) || (ma && strcmp(ma, mb)))
				FAIL("%s: heist %s %s: seeds '%s' against '%s'", what, ha.v[i].id,
				     tl_policy_name((enum tl_policy)pol), ma ? ma : "resolved", mb ? mb : "resolved");
			if (ta && !json_equal(ta, tb)) {
				json_t *ea = json_object_get(ta, "totals"), *eb = json_object_get(tb, "totals");
				char *x = json_dumps(ea, JSON_COMPACT), *y = json_dumps(eb, JSON_COMPACT);
				FAIL("%s: heist %s %s trace differs from the fresh index: totals %s against %s", what,
				     ha.v[i].id, tl_policy_name((enum tl_policy)pol), x, y);
			}
			json_decref(ta);
			json_decref(tb);
			free(ma);
			free(mb);
		}
	}
	for (size_t i = 0; i < ha.n; i++) free(ha.v[i].json);
	for (size_t i = 0; i < hb.n; i++) free(hb.v[i].json);
	free(ha.v);
	free(hb.v);
}

static int exp_equal(const struct tl_screen_exp *a, const struct tl_screen_exp *b, int n)
{
	for (int i = 0; i < n; i++)
		if (a[i].heist_num != b[i].heist_num || a[i].amount != b[i].amount || a[i].hops != b[i].hops ||
		    a[i].value != b[i].value)
			return 0;
	return 1;
}

/* Screening: the raw lookups of every indexed address and output, and
 * the verdicts of the addresses given (seen or not). */
static void check_screen(struct tl_store *a, struct tl_store *b, char (*addrs)[TL_ADDRESS_MAX], size_t naddrs,
			 const char *what)
{
	struct tl_err err;
	struct tl_screen *sa, *sb;
	if (tl_screen_open(a, NULL, &sa, &err) || tl_screen_open(b, NULL, &sb, &err)) FAIL("screen open: %s", err.msg);
	struct tl_tip tip;
	if (tl_store_tip(a, &tip, &err)) FAIL("tip: %s", err.msg);
	struct tl_screen_exp ea[16], eb[16];
	for (uint64_t id = 1; id < tip.next_addr_id; id++) {
		int na = tl_screen_lookup_addr(sa, id, ea, 16, &err);
		int nb = tl_screen_lookup_addr(sb, id, eb, 16, &err);
		if (na < 0 || nb < 0) FAIL("screen lookup: %s", err.msg);
		if (na != nb || !exp_equal(ea, eb, na))
			FAIL("%s: screening of address %llu differs (%d against %d exposures)", what,
			     (unsigned long long)id, na, nb);
	}
	for (uint64_t t = 0; t < tip.next_tx_num; t++) {
		struct tl_tx_rec r;
		if (tl_store_tx(a, t, &r, &err) != 1) FAIL("tx %llu: %s", (unsigned long long)t, err.msg);
		for (uint32_t o = 0; o < r.n_out; o++) {
			int na = tl_screen_lookup_outref(sa, t, o, ea, 16, &err);
			int nb = tl_screen_lookup_outref(sb, t, o, eb, 16, &err);
			if (na != nb || (na > 0 && !exp_equal(ea, eb, na)))
				FAIL("%s: screening of output %llu:%u differs", what, (unsigned long long)t, o);
		}
		tl_tx_rec_free(&r);
	}
	for (size_t i = 0; i < naddrs; i++) {
		json_t *va = tl_screen_address(sa, addrs[i], &err);
		if (!va) FAIL("screen %s: %s", addrs[i], err.msg);
		json_t *vb = tl_screen_address(sb, addrs[i], &err);
		if (!vb) FAIL("screen %s: %s", addrs[i], err.msg);
		if (!json_equal(va, vb)) {
			char *x = json_dumps(va, JSON_COMPACT), *y = json_dumps(vb, JSON_COMPACT);
			FAIL("%s: verdict on %s differs: %s against %s", what, addrs[i], x, y);
		}
		json_decref(va);
		json_decref(vb);
	}
	tl_screen_close(sa);
	tl_screen_close(sb);
}

struct naive {
	struct tl_cluster_summary s;
	int any;
};

static int naive_tag_cb(void *ctx, const struct tl_tag_rec *t)
{
	struct naive *n = ctx;
	n->s.cats |= t->cats;
	n->any = 1;
	/* the rule written out: highest confidence, then the label that
	 * sorts first (truncated as stored) */
	char l[TL_SUMMARY_LABEL_MAX];
	snprintf(l, sizeof l, "%s", t->label ? t->label : "");
	if (l[0] && (!n->s.label[0] || t->confidence > n->s.confidence ||
		     (t->confidence == n->s.confidence && strcmp(l, n->s.label) < 0))) {
		memcpy(n->s.label, l, sizeof l);
		n->s.confidence = t->confidence;
	}
	return 0;
}

/* Every owner's cluster summary (what `taintline cluster` and the tracer
 * show) equals a fold of its members' own tags, read one by one. */
static void check_summaries(struct tl_store *s, const char *what)
{
	struct tl_err err;
	struct tl_tip tip;
	if (tl_store_tip(s, &tip, &err)) FAIL("tip: %s", err.msg);
	for (uint64_t id = 1; id < tip.next_addr_id; id++) {
		uint64_t cid, *mem = NULL;
		if (tl_cluster_of(s, id, &cid, &err)) FAIL("cluster of: %s", err.msg);
		if (cid != id) continue; /* checked at its cluster id */
		int n = tl_cluster_members_all(s, cid, &mem, &err);
		if (n < 1) FAIL("members: %s", err.msg);
		struct naive nv;
		memset(&nv, 0, sizeof nv);
		nv.s.confidence = -1;
		for (int i = 0; i < n; i++) {
			nv.any = 0;
			if (tl_tags_of_addr_id(s, mem[i], naive_tag_cb, &nv, &err) < 0) FAIL("tags: %s", err.msg);
			nv.s.tagged += (uint64_t)nv.any;
		}
		free(mem);
		struct tl_cluster_summary got;
		if (tl_cluster_summary(s, cid, &got, &err) < 0) FAIL("summary: %s", err.msg);
		if ((uint64_t)n != got.size || nv.s.tagged != got.tagged || nv.s.cats != got.cats ||
		    strcmp(nv.s.label, got.label) || (nv.s.tagged && nv.s.confidence != got.confidence))
			FAIL("%s: cluster %llu: summary says %llu members, %llu tagged, cats %u, label '%s'; its "
			     "members: %d, %llu tagged, cats %u, label '%s'",
			     what, (unsigned long long)cid, (unsigned long long)got.size,
			     (unsigned long long)got.tagged, got.cats, got.label, n, (unsigned long long)nv.s.tagged,
			     nv.s.cats, nv.s.label);
	}
}

/* The reorged database at a equals the fresh one at b: digest first
 * (naming the families that differ), then what users see. */
static void compare_dbs(const char *a, const char *b, char (*addrs)[TL_ADDRESS_MAX], size_t naddrs,
			const char *what)
{
	struct tl_store *sa = open_db(a), *sb = open_db(b);
	struct tl_err err;
	uint8_t da[32], db[32];
	uint64_t ca[TL_CF_COUNT], cb[TL_CF_COUNT];
	if (tl_store_digest(sa, da, ca, &err) || tl_store_digest(sb, db, cb, &err)) FAIL("digest: %s", err.msg);
	if (memcmp(da, db, 32)) {
		char fams[512] = "";
		for (int i = 0; i < TL_CF_COUNT; i++) {
			size_t l = strlen(fams);
			snprintf(fams + l, sizeof fams - l, " %s %llu/%llu", tl_cf_name((enum tl_cf)i),
				 (unsigned long long)ca[i], (unsigned long long)cb[i]);
		}
		FAIL("%s: digest differs from a fresh index with the same imports (entries reorged/fresh:%s)", what,
		     fams);
	}
	check_summaries(sa, what);
	check_traces(sa, sb, what);
	check_screen(sa, sb, addrs, naddrs, what);
	tl_store_close(sa);
	tl_store_close(sb);
}

static void copy_file(const char *from, const char *to)
{
	size_t len;
	uint8_t *d = tu_read_file(from, &len);
	FILE *f = fopen(to, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(d, 1, len, f), len);
	fclose(f);
	free(d);
}

/* ---- the reported case ---- */

static void test_sim_reorg3(void **state)
{
	(void)state;
	char sim[600], blocks[700], db[600], fresh[600], tags0[600], heists0[600], p[700];
	snprintf(sim, sizeof sim, "%s/sim", g_dir);
	snprintf(blocks, sizeof blocks, "%s/blocks", sim);
	snprintf(db, sizeof db, "%s/sim-db", g_dir);
	snprintf(fresh, sizeof fresh, "%s/sim-fresh", g_dir);
	snprintf(tags0, sizeof tags0, "%s/tags0.csv", g_dir);
	snprintf(heists0, sizeof heists0, "%s/heists0.json", g_dir);
	cf_sim(sim, 1, 210, 50, 3, false);
	snprintf(p, sizeof p, "%s/tags.csv", sim);
	copy_file(p, tags0);
	snprintf(p, sizeof p, "%s/heists.json", sim);
	copy_file(p, heists0);
	/* index, import the simulator's tags and heist, reorg 3 deep, index */
	do_index(blocks, db, 0, 0, NULL);
	do_tags(db, tags0);
	do_heists(db, heists0);
	struct tl_err err;
	if (tl_sim_extend(sim, 3, 0, NULL, NULL, NULL, &err)) FAIL("extend: %s", err.msg);
	struct tl_index_stats st;
	do_index(blocks, db, 0, 0, &st);
	assert_int_equal(st.blocks_rolled_back, 3);
	assert_int_equal(st.fork_height, 207);
	/* a fresh index of the final chain, the same imports */
	do_index(blocks, fresh, 0, 0, NULL);
	do_tags(fresh, tags0);
	do_heists(fresh, heists0);
	/* every address of the simulation, as addresses to screen */
	json_t *t = cf_sim_truth(sim);
	size_t n = 0, i, k;
	char(*addrs)[TL_ADDRESS_MAX] = NULL;
	json_t *e, *a;
	json_array_foreach(json_object_get(t, "entities"), i, e) json_array_foreach(json_object_get(e, "addresses"), k, a)
	{
		addrs = realloc(addrs, (n + 1) * sizeof *addrs);
		snprintf(addrs[n++], TL_ADDRESS_MAX, "%s", json_string_value(a));
	}
	json_decref(t);
	compare_dbs(db, fresh, addrs, n, "simulated 3-deep reorg");
	free(addrs);
	struct tl_store *s = open_db(db);
	uint8_t d[32];
	char hex[65];
	if (tl_store_digest(s, d, NULL, &err)) FAIL("digest: %s", err.msg);
	tl_hex_encode(d, 32, hex);
	print_message("3-deep reorg with tags and a heist imported before it: digest %s equals the fresh index's\n",
		      hex);
	tl_store_close(s);
}

int main(void)
{
	g_dir = tu_tmpdir("reorg");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim_reorg3),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (!rc) tu_rmrf(g_dir);
	free(g_dir);
	return tu_finish(rc);
}
