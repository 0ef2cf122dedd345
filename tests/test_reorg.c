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
 *    of any failure; TL_REORG_DEBUG=1 prints each step and its cost. */
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

#include "api/serve.h"
#include "bitcoin/address.h"
#include "bitcoin/blkfile.h"
#include "bitcoin/block.h"
#include "base/bytes.h"
#include "bitcoin/hash.h"
#include "bitcoin/network.h"
#include "indexer/indexer.h"
#include "sim/sim.h"
#include "store/store.h"
#include "store/tags.h"
#include "tests/chainfix.h"
#include "tests/httpc.h"
#include "tests/testutil.h"
#include "tracer/entities.h"
#include "taint/policy.h"
#include "intel/registry.h"
#include "tracer/screen.h"
#include "tracer/storegraph.h"
#include "tracer/trace.h"
#include "taint/walk.h"

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
static void imp_tags(struct tl_store *s, const char *file)
{
	struct tl_err err;
	struct tl_tag_import_report rep;
	if (tl_tags_import(s, file, TL_TAGFMT_CSV, &rep, &err)) FAIL("tags import: %s", err.msg);
}

/* taintline heist import: the heists, then the screening update. */
static void imp_heists(struct tl_store *s, const char *file)
{
	struct tl_err err;
	struct tl_heist_import_report rep;
	if (tl_heists_import(s, file, &rep, &err)) FAIL("heist import: %s", err.msg);
	if (tl_screen_update(s, NULL, &err)) FAIL("screen update: %s", err.msg);
}

static void do_tags(const char *db, const char *file)
{
	struct tl_store *s = open_db(db);
	imp_tags(s, file);
	tl_store_close(s);
}

static void do_heists(const char *db, const char *file)
{
	struct tl_store *s = open_db(db);
	imp_heists(s, file);
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
		json_object_del(va, "screened_at"); /* the clock, not the index */
		json_object_del(vb, "screened_at");
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
static void compare_stores(struct tl_store *sa, struct tl_store *sb, char (*addrs)[TL_ADDRESS_MAX], size_t naddrs,
			   const char *what)
{
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
}

static void compare_dbs(const char *a, const char *b, char (*addrs)[TL_ADDRESS_MAX], size_t naddrs,
			const char *what)
{
	struct tl_store *sa = open_db(a), *sb = open_db(b);
	compare_stores(sa, sb, addrs, naddrs, what);
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


static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- the model ---- */

#define KEEP 6          /* undo depth of the model's databases */
#define NOWN 32         /* owners: 16 hashes, each as P2PKH and P2WPKH (twins unite) */
#define MAXIN 3
#define MAXOUT 3

struct mtx {
	uint8_t txid[32];
	uint8_t *raw;
	size_t len;
	int nin, nout;
	int in_tx[MAXIN];
	uint32_t in_vout[MAXIN];
	uint64_t val[MAXOUT];
	int own[MAXOUT];
};

struct coin {
	int tx;
	uint32_t vout;
};

struct imp {
	int heists; /* 0 tags, 1 heists */
	char path[700];
};

struct model {
	uint64_t rng;
	struct mtx *tx;
	int ntx, txcap;
	/* the best chain: per height (1..height) its transactions, coinbase
	 * first; hash[h] its block hash (hash[0] genesis) */
	int **blk;
	int *nblk;
	uint8_t (*hash)[32];
	int height, hcap;
	struct tl_buf file;
	uint8_t skey[NOWN][25];
	size_t slen[NOWN];
	char addr[NOWN][TL_ADDRESS_MAX];
	int tagged[NOWN];
	int *seeds; /* tx indices named as heist seeds */
	int nseeds;
	int seed_from[64], seed_to[64]; /* heist k's seeds: seeds[seed_from[k] .. seed_to[k]) */
	struct imp imps[64];
	int nimps, nheists, ntagfiles;
	char dir[600], blocks[700], db[700], fresh[700];
	/* what ran */
	int reorgs, kills, steps, depth_hist[KEEP + 1];
	int unresolved_seen; /* (heist, step) pairs with seeds missing */
};

static uint64_t rnd(struct model *m)
{
	/* splitmix64 */
	uint64_t z = (m->rng += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static int rn(struct model *m, int n) { return (int)(rnd(m) % (uint64_t)n); }

static void owner_script(struct model *m, int i)
{
	uint8_t seed[16], h[32];
	memcpy(seed, &m->rng, 8); /* differs per case: owners are the case's own */
	seed[8] = (uint8_t)(i % (NOWN / 2));
	memset(seed + 9, 0x5a, 7);
	tl_sha256(seed, sizeof seed, h);
	uint8_t *p = m->skey[i];
	if (i < NOWN / 2) {
		p[0] = 0x76, p[1] = 0xa9, p[2] = 0x14;
		memcpy(p + 3, h, 20);
		p[23] = 0x88, p[24] = 0xac;
		m->slen[i] = 25;
	} else {
		p[0] = 0x00, p[1] = 0x14;
		memcpy(p + 2, h, 20);
		m->slen[i] = 22;
	}
	if (tl_address_from_script(p, m->slen[i], tl_net_params(TL_NET_REGTEST), m->addr[i]))
		FAIL("owner %d has no address", i);
}

/* Builds a transaction into the pool; returns its index. */
static int new_tx(struct model *m, const struct coin *in, int nin, int coinbase_height, const uint64_t *val,
		  const int *own, int nout)
{
	if (m->ntx == m->txcap) {
		m->txcap = m->txcap ? m->txcap * 2 : 256;
		m->tx = realloc(m->tx, (size_t)m->txcap * sizeof *m->tx);
	}
	struct mtx *t = &m->tx[m->ntx];
	memset(t, 0, sizeof *t);
	struct cf_in ci[MAXIN];
	uint8_t sig[MAXIN][8];
	for (int i = 0; i < nin; i++) {
		ci[i].prev = m->tx[in[i].tx].txid;
		ci[i].vout = in[i].vout;
		sig[i][0] = 1;
		sig[i][1] = (uint8_t)(i + 1);
		ci[i].sig = sig[i];
		ci[i].sig_len = 2;
		t->in_tx[i] = in[i].tx;
		t->in_vout[i] = in[i].vout;
	}
	uint8_t cbsig[8];
	if (coinbase_height >= 0) {
		/* BIP34 height, then a nonce: a block on another branch at the
		 * same height has another coinbase */
		uint64_t r = rnd(m);
		cbsig[0] = 3;
		cbsig[1] = (uint8_t)coinbase_height, cbsig[2] = (uint8_t)(coinbase_height >> 8), cbsig[3] = 0;
		cbsig[4] = 3;
		memcpy(cbsig + 5, &r, 3);
		ci[0].prev = NULL;
		ci[0].sig = cbsig;
		ci[0].sig_len = 8;
		nin = 1;
	}
	t->nin = coinbase_height >= 0 ? 0 : nin;
	struct cf_out co[MAXOUT];
	for (int o = 0; o < nout; o++) {
		co[o].value = val[o];
		memcpy(co[o].script, m->skey[own[o]], m->slen[own[o]]);
		co[o].len = m->slen[own[o]];
		t->val[o] = val[o];
		t->own[o] = own[o];
	}
	t->nout = nout;
	struct cf_block b = { 0 };
	cf_block_add_tx(&b, ci, (size_t)nin, co, (size_t)nout, t->txid);
	t->raw = malloc(b.txs.len);
	memcpy(t->raw, b.txs.data, b.txs.len);
	t->len = b.txs.len;
	tl_buf_free(&b.txs);
	free(b.ids);
	return m->ntx++;
}

/* Coins unspent after `height` blocks, plus the transactions given
 * (applied in order when their inputs are there). */
static int utxo_at(struct model *m, int height, struct coin **out)
{
	int n = 0, cap = 64;
	struct coin *u = malloc((size_t)cap * sizeof *u);
	for (int h = 1; h <= height; h++)
		for (int k = 0; k < m->nblk[h]; k++) {
			struct mtx *t = &m->tx[m->blk[h][k]];
			for (int i = 0; i < t->nin; i++)
				for (int j = 0; j < n; j++)
					if (u[j].tx == t->in_tx[i] && u[j].vout == t->in_vout[i]) {
						u[j] = u[--n];
						break;
					}
			for (int o = 0; o < t->nout; o++) {
				if (n == cap) u = realloc(u, (size_t)(cap *= 2) * sizeof *u);
				u[n].tx = m->blk[h][k];
				u[n++].vout = (uint32_t)o;
			}
		}
	*out = u;
	return n;
}

/* Whether every input of t is in u (n coins); if so, spends them and
 * adds t's outputs. */
static int apply_to(struct model *m, int ti, struct coin **u, int *n, int *cap)
{
	struct mtx *t = &m->tx[ti];
	int at[MAXIN];
	for (int i = 0; i < t->nin; i++) {
		at[i] = -1;
		for (int j = 0; j < *n; j++)
			if ((*u)[j].tx == t->in_tx[i] && (*u)[j].vout == t->in_vout[i]) at[i] = j;
		if (at[i] < 0) return 0;
	}
	for (int i = t->nin; i-- > 0;) {
		/* remove highest positions first */
		int hi = 0;
		for (int k = 1; k < t->nin; k++)
			if (at[k] > at[hi]) hi = k;
		(*u)[at[hi]] = (*u)[--*n];
		at[hi] = -1;
	}
	for (int o = 0; o < t->nout; o++) {
		if (*n >= *cap) *u = realloc(*u, (size_t)(*cap = *cap * 2 + 8) * sizeof **u);
		(*u)[*n].tx = ti;
		(*u)[(*n)++].vout = (uint32_t)o;
	}
	return 1;
}

/* A transaction spending in (nin coins of u) to random owners, tagged
 * ones often; the coins leave u, its outputs join it. */
static int pay(struct model *m, struct coin *in, int nin, struct coin **u, int *n, int *cap)
{
	uint64_t total = 0;
	for (int i = 0; i < nin; i++) total += m->tx[in[i].tx].val[in[i].vout];
	uint64_t fee = 1000 + (uint64_t)rn(m, 1000);
	if (total <= fee + 10000) return -1;
	int nout = 1 + rn(m, MAXOUT);
	uint64_t val[MAXOUT], left = total - fee;
	int own[MAXOUT];
	for (int o = 0; o < nout; o++) {
		val[o] = o + 1 == nout ? left : 5000 + rnd(m) % (left / 2);
		left -= val[o];
		own[o] = rn(m, NOWN);
		if (rn(m, 3) == 0) {
			int t = rn(m, NOWN);
			for (int k = 0; k < NOWN && !m->tagged[t]; k++) t = (t + 1) % NOWN;
			own[o] = t;
		}
	}
	int ti = new_tx(m, in, nin, -1, val, own, nout);
	if (!apply_to(m, ti, u, n, cap)) FAIL("model: a payment's coins are not unspent");
	return ti;
}

/* A random payment from the coins of u. */
static int random_pay(struct model *m, struct coin **u, int *n, int *cap)
{
	if (*n == 0) return -1;
	int nin = 1 + rn(m, MAXIN);
	if (nin > *n) nin = *n;
	struct coin in[MAXIN];
	for (int i = 0; i < nin; i++) {
		int j;
		do {
			j = rn(m, *n);
			int dup = 0;
			for (int k = 0; k < i; k++)
				if (in[k].tx == (*u)[j].tx && in[k].vout == (*u)[j].vout) dup = 1;
			if (!dup) break;
		} while (1);
		in[i] = (*u)[j];
	}
	return pay(m, in, nin, u, n, cap);
}

static void grow(struct model *m, int h)
{
	if (h < m->hcap) return;
	int old = m->hcap;
	m->hcap = m->hcap * 2 + 64;
	m->blk = realloc(m->blk, (size_t)m->hcap * sizeof *m->blk);
	m->nblk = realloc(m->nblk, (size_t)m->hcap * sizeof *m->nblk);
	m->hash = realloc(m->hash, (size_t)m->hcap * sizeof *m->hash);
	for (int i = old; i < m->hcap; i++) {
		m->blk[i] = NULL;
		m->nblk[i] = 0;
	}
}

/* Mines block h (h - 1 the tip) holding txs; the model's best chain ends
 * there. */
static void push_block(struct model *m, int h, const int *txs, int n)
{
	grow(m, h);
	free(m->blk[h]);
	m->blk[h] = malloc((size_t)(n ? n : 1) * sizeof(int));
	memcpy(m->blk[h], txs, (size_t)n * sizeof(int));
	m->nblk[h] = n;
	struct cf_block b = { 0 };
	for (int k = 0; k < n; k++) cf_block_add_raw(&b, m->tx[txs[k]].raw, m->tx[txs[k]].len, NULL);
	memcpy(m->hash[h], m->hash[h - 1], 32);
	cf_mine(&m->file, &b, m->hash[h], 1700000000u + (uint32_t)h * 600);
	m->height = h;
}

static int coinbase(struct model *m, int h)
{
	uint64_t v = 5000000000ull;
	int own = rn(m, NOWN);
	return new_tx(m, NULL, 0, h, &v, &own, 1);
}

/* Mines k blocks of random payments on the tip. */
static void extend(struct model *m, int k)
{
	struct coin *u;
	int n = utxo_at(m, m->height, &u), cap = n;
	int txs[16];
	for (int b = 0; b < k; b++) {
		int h = m->height + 1, nt = 0;
		txs[nt++] = coinbase(m, h);
		int np = rn(m, 5);
		for (int i = 0; i < np; i++) {
			int t = random_pay(m, &u, &n, &cap);
			if (t >= 0) txs[nt++] = t;
		}
		/* the coinbase is spendable from the next block on */
		apply_to(m, txs[0], &u, &n, &cap);
		push_block(m, h, txs, nt);
	}
	free(u);
}

static int is_seed_or_tagged(struct model *m, int ti)
{
	struct mtx *t = &m->tx[ti];
	for (int i = 0; i < t->nin; i++) {
		for (int k = 0; k < m->nseeds; k++)
			if (m->seeds[k] == t->in_tx[i]) return 1;
		struct mtx *p = &m->tx[t->in_tx[i]];
		if (m->tagged[p->own[t->in_vout[i]]]) return 1;
	}
	for (int k = 0; k < m->nseeds; k++)
		if (m->seeds[k] == ti) return 1;
	return 0;
}

/* A reorg of depth d: the new branch (d + 1 or d + 2 blocks) re-mines the
 * rolled-back transactions in order at the same or later heights, drops
 * some (those spending tainted or tagged coins more often; what spent
 * their outputs goes with them), double-spends the inputs of half the
 * dropped ones, and adds payments of its own. */
static void reorg(struct model *m, int d)
{
	int f = m->height - d, nnew = d + 1 + rn(m, 2);
	int nr = 0, *r = NULL, *slot = NULL, *drop = NULL;
	for (int h = f + 1; h <= m->height; h++)
		for (int k = 1; k < m->nblk[h]; k++) {
			r = realloc(r, (size_t)(nr + 1) * sizeof *r);
			slot = realloc(slot, (size_t)(nr + 1) * sizeof *slot);
			drop = realloc(drop, (size_t)(nr + 1) * sizeof *drop);
			r[nr] = m->blk[h][k];
			int prev = nr ? slot[nr - 1] : 0, s = h - f - 1 + rn(m, 2);
			slot[nr] = s < prev ? prev : s >= nnew ? nnew - 1 : s;
			drop[nr] = rn(m, 100) < (is_seed_or_tagged(m, r[nr]) ? 50 : 15);
			nr++;
		}
	struct coin *u;
	int n = utxo_at(m, f, &u), cap = n;
	int txs[64];
	for (int b = 0; b < nnew; b++) {
		int h = f + 1 + b, nt = 0;
		txs[nt++] = coinbase(m, h);
		for (int i = 0; i < nr; i++) {
			if (slot[i] != b || nt >= 60) continue;
			if (!drop[i] && apply_to(m, r[i], &u, &n, &cap)) {
				txs[nt++] = r[i];
				continue;
			}
			/* dropped: maybe double-spend one of its inputs */
			struct mtx *t = &m->tx[r[i]];
			if (rn(m, 2) == 0) continue;
			for (int k = 0; k < t->nin; k++) {
				int j;
				for (j = 0; j < n; j++)
					if (u[j].tx == t->in_tx[k] && u[j].vout == t->in_vout[k]) break;
				if (j == n) continue;
				struct coin c = u[j];
				int ds = pay(m, &c, 1, &u, &n, &cap);
				if (ds >= 0) txs[nt++] = ds;
				break;
			}
		}
		int np = rn(m, 3);
		for (int i = 0; i < np && nt < 60; i++) {
			int t = random_pay(m, &u, &n, &cap);
			if (t >= 0) txs[nt++] = t;
		}
		apply_to(m, txs[0], &u, &n, &cap);
		push_block(m, h, txs, nt);
	}
	free(u);
	free(r);
	free(slot);
	free(drop);
	m->reorgs++;
	m->depth_hist[d]++;
}

/* A tag file of 1 to 4 owners (seen or not), labels and confidences
 * chosen so that ties happen. */
static void tag_import(struct model *m, int which)
{
	struct imp *im = &m->imps[m->nimps++];
	im->heists = 0;
	snprintf(im->path, sizeof im->path, "%s/tags%d.csv", m->dir, m->ntagfiles++);
	FILE *f = fopen(im->path, "w");
	assert_non_null(f);
	fprintf(f, "chain,address,label,category,source,confidence\n");
	static const char *cats[] = { "exchange", "mixer", "sanctioned", "service", "other" };
	static const char *labels[] = { "Exchange A", "Exchange B", "Mixer M", "OFAC SDN", "Z" };
	int k = 1 + rn(m, 4);
	for (int i = 0; i < k; i++) {
		int o = which >= 0 ? which : rn(m, NOWN), c = rn(m, 5);
		fprintf(f, "bitcoin-regtest,%s,%s,%s,model,%d\n", m->addr[o], labels[rn(m, 5)], cats[c],
			rn(m, 2) ? 90 : 50);
		m->tagged[o] = 1;
	}
	fclose(f);
}

/* A heist file adding one heist with 1 or 2 txid seeds: recent
 * transactions (a reorg may move or drop them), now and then one that is
 * not in the chain at all. */
static void heist_import(struct model *m)
{
	struct imp *im = &m->imps[m->nimps++];
	im->heists = 1;
	snprintf(im->path, sizeof im->path, "%s/heists%d.json", m->dir, m->nimps);
	json_t *seeds = json_array();
	/* now and then a new definition of a heist imported before */
	int hk = m->nheists && rn(m, 4) == 0 ? rn(m, m->nheists) : m->nheists;
	m->seed_from[hk] = m->nseeds;
	int k = 1 + rn(m, 2);
	for (int i = 0; i < k; i++) {
		int ti;
		if (rn(m, 8) == 0) {
			ti = rn(m, m->ntx); /* maybe stale, maybe never mined */
		} else {
			int h = m->height - rn(m, KEEP < m->height ? KEEP : m->height);
			ti = m->blk[h][rn(m, m->nblk[h])];
		}
		m->seeds = realloc(m->seeds, (size_t)(m->nseeds + 1) * sizeof *m->seeds);
		m->seeds[m->nseeds++] = ti;
		char hex[65];
		tl_hash_to_hex(m->tx[ti].txid, hex);
		json_array_append_new(seeds, json_pack("{s:s}", "txid", hex));
	}
	m->seed_to[hk] = m->nseeds;
	char id[32];
	snprintf(id, sizeof id, "h%d", hk);
	if (hk == m->nheists) m->nheists++;
	json_t *h = json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:s},s:o}", "id", id, "name", id, "date", "2024-01-01",
			      "chain", "bitcoin-regtest", "attribution", "authority", "model", "document", "model",
			      "seeds", seeds);
	json_t *reg = json_pack("{s:[o]}", "heists", h);
	if (json_dump_file(reg, im->path, 0)) FAIL("writing %s", im->path);
	json_decref(reg);
}

static void write_blocks(struct model *m) { cf_write_blocks(m->blocks, &m->file); }

static int in_chain(struct model *m, int ti)
{
	for (int h = 1; h <= m->height; h++)
		for (int k = 0; k < m->nblk[h]; k++)
			if (m->blk[h][k] == ti) return 1;
	return 0;
}

/* Against the model: a verdict says which heists have seeds missing from
 * the chain (never mined, dropped or rolled back by a reorg). */
static void check_unresolved(struct model *m, struct tl_store *s, const char *what)
{
	struct tl_err err;
	struct tl_screen *sc;
	if (tl_screen_open(s, NULL, &sc, &err)) FAIL("screen open: %s", err.msg);
	json_t *v = tl_screen_address(sc, m->addr[0], &err);
	if (!v) FAIL("screen: %s", err.msg);
	json_t *mat = json_object_get(v, "materialized"), *e;
	size_t i;
	if ((int)json_array_size(mat) != m->nheists) FAIL("%s: %zu heists screened of %d", what, json_array_size(mat), m->nheists);
	json_array_foreach(mat, i, e) {
		int k = atoi(json_string_value(json_object_get(e, "heist")) + 1);
		int all = 1;
		for (int j = m->seed_from[k]; j < m->seed_to[k]; j++) all &= in_chain(m, m->seeds[j]);
		m->unresolved_seen += !all;
		if (all == json_is_true(json_object_get(e, "seeds_unresolved")))
			FAIL("%s: heist h%d: seeds %s the chain, the verdict says %s", what, k, all ? "all in" : "not all in",
			     all ? "unresolved" : "resolved");
	}
	json_decref(v);
	tl_screen_close(sc);
}

/* The fresh index: the final chain, then every import in order. Returns
 * it open. */
static struct tl_store *build_fresh(struct model *m)
{
	tu_rmrf(m->fresh);
	struct tl_index_opts o = cf_index_opts(m->blocks, m->fresh);
	o.undo_keep = KEEP;
	cf_index_run(&o, NULL);
	struct tl_store *s = open_db(m->fresh);
	for (int i = 0; i < m->nimps; i++)
		if (m->imps[i].heists) imp_heists(s, m->imps[i].path);
		else imp_tags(s, m->imps[i].path);
	return s;
}

/* `taintline index` killed by SIGKILL right after its k-th commit (the
 * real program, batches of one transaction), then the screening update
 * a resumed run does. */
static void index_killed(struct model *m, int k)
{
	char cmd[3000], keep[16];
	snprintf(keep, sizeof keep, "%d", KEEP);
	snprintf(cmd, sizeof cmd, "%d", k);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setenv("TL_TEST_KILL_AT_COMMIT", cmd, 1);
		execl(TL_BINARY, TL_BINARY, "index", "--blocks-dir", m->blocks, "--db", m->db, "--network", "regtest",
		      "--undo-depth", keep, "--batch-tx", "1", "--cache-mb", "16", "-q", (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) m->kills++;
	else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) FAIL("index exited with status %d", st);
}

struct totals {
	int cases, steps, reorgs, kills, depth[KEEP + 1], unresolved;
};

static void model_case(unsigned long long seed, int nsteps, struct totals *tot)
{
	struct model *m = calloc(1, sizeof *m);
	g_seed = seed;
	m->rng = seed * 0x2545F4914F6CDD1Dull + 1;
	snprintf(m->dir, sizeof m->dir, "%s/m%llu", g_dir, seed);
	mkdir(m->dir, 0755);
	snprintf(m->blocks, sizeof m->blocks, "%s/blocks", m->dir);
	snprintf(m->db, sizeof m->db, "%s/db", m->dir);
	snprintf(m->fresh, sizeof m->fresh, "%s/fresh", m->dir);
	for (int i = 0; i < NOWN; i++) owner_script(m, i);
	tl_buf_init(&m->file);
	grow(m, 0);
	m->height = 0;
	cf_genesis(&m->file, m->hash[0]);
	extend(m, 3 + rn(m, 4));
	/* tags may come before the first index */
	if (rn(m, 2)) tag_import(m, -1);
	write_blocks(m);
	do_index(m->blocks, m->db, KEEP, (uint32_t)(1 + rn(m, 4)), NULL);
	for (int i = 0; i < m->nimps; i++) do_tags(m->db, m->imps[i].path);
	char what[128];
	for (int step = 0; step < nsteps; step++) {
		int op = rn(m, 100);
		const char *name;
		if (op < 45) {
			int maxd = m->height < KEEP ? m->height : KEEP;
			int d = 1 + rn(m, maxd);
			reorg(m, d);
			name = "reorg";
		} else if (op < 62) {
			extend(m, 1 + rn(m, 3));
			name = "extend";
		} else if (op < 82) {
			tag_import(m, -1);
			do_tags(m->db, m->imps[m->nimps - 1].path);
			name = "tags";
		} else {
			heist_import(m);
			do_heists(m->db, m->imps[m->nimps - 1].path);
			name = "heist";
		}
		if (op < 62) {
			write_blocks(m);
			if (rn(m, 4) == 0) index_killed(m, 1 + rn(m, 2 * KEEP));
			do_index(m->blocks, m->db, KEEP, (uint32_t)(1 + rn(m, 4)), NULL);
		}
		m->steps++;
		if (getenv("TL_REORG_DEBUG"))
			print_message("step %d: %s, height %d, kills %d, reorgs %d\n", step, name, m->height, m->kills,
				      m->reorgs);
		if (m->nimps >= 60) break;
		double t1 = now_s();
		struct tl_store *fr = build_fresh(m), *sd = open_db(m->db);
		double t2 = now_s();
		snprintf(what, sizeof what, "seed %llu step %d (%s, height %d)", seed, step, name, m->height);
		compare_stores(sd, fr, m->addr, NOWN, what);
		check_unresolved(m, sd, what);
		tl_store_close(sd);
		tl_store_close(fr);
		if (getenv("TL_REORG_DEBUG")) print_message("  fresh %.3f s, compare %.3f s\n", t2 - t1, now_s() - t2);
	}
	tot->cases++;
	tot->steps += m->steps;
	tot->reorgs += m->reorgs;
	tot->kills += m->kills;
	tot->unresolved += m->unresolved_seen;
	for (int d = 0; d <= KEEP; d++) tot->depth[d] += m->depth_hist[d];
	for (int i = 0; i < m->ntx; i++) free(m->tx[i].raw);
	for (int h = 0; h <= m->height; h++) free(m->blk[h]);
	free(m->tx);
	free(m->blk);
	free(m->nblk);
	free(m->hash);
	free(m->seeds);
	tl_buf_free(&m->file);
	tu_rmrf(m->dir);
	free(m);
}

static void print_totals(const struct totals *t, double secs)
{
	char d[128] = "";
	for (int k = 1; k <= KEEP; k++) {
		size_t l = strlen(d);
		snprintf(d + l, sizeof d - l, "%s%d:%d", k > 1 ? " " : "", k, t->depth[k]);
	}
	print_message("reorg model: %d cases, %d steps, %d reorgs (by depth %s), %d index runs killed, "
		      "%d heist states with seeds missing; every step equal to a fresh index; %.1f s\n", t->cases,
		      t->steps, t->reorgs, d, t->kills, t->unresolved, secs);
}


/* The suite's fixed seeds. */
#define SUITE_SEEDS 6
#define SUITE_STEPS 16

static void test_model(void **state)
{
	(void)state;
	struct totals t = { 0 };
	double t0 = now_s();
	g_in_model = 1;
	for (unsigned long long seed = 1; seed <= SUITE_SEEDS; seed++) model_case(seed, SUITE_STEPS, &t);
	g_in_model = 0;
	print_totals(&t, now_s() - t0);
	assert_true(t.reorgs >= SUITE_SEEDS * 3);
}

/* TL_REORG_SECONDS=N: new seeds (from the clock, printed) for N seconds;
 * TL_REORG_SEED=S: that one case. */
static int long_mode(void)
{
	const char *one = getenv("TL_REORG_SEED"), *secs = getenv("TL_REORG_SECONDS");
	struct totals t = { 0 };
	double t0 = now_s();
	if (one) {
		g_in_model = 1;
		model_case(strtoull(one, NULL, 10), SUITE_STEPS, &t);
		print_totals(&t, now_s() - t0);
		return 0;
	}
	double limit = atof(secs);
	unsigned long long base = (unsigned long long)time(NULL) * 1000003ull;
	print_message("reorg model, long mode: %.0f s from seed %llu\n", limit, base);
	g_in_model = 1;
	for (unsigned long long seed = base; now_s() - t0 < limit; seed++) {
		model_case(seed, SUITE_STEPS, &t);
		if (t.cases % 50 == 0) print_totals(&t, now_s() - t0);
	}
	print_totals(&t, now_s() - t0);
	return 0;
}

static void long_mode_test(void **state)
{
	(void)state;
	assert_int_equal(long_mode(), 0);
}

/* ---- the reported case ---- */

/* A best-chain transaction as the blocks directory holds it, read with
 * the block parser alone (not the indexer): the simulator's output is
 * checked against what it claims. */
struct btx {
	uint8_t txid[32];
	uint32_t height;
	uint32_t n_in;
	uint8_t (*prev)[36];      /* spent outpoints: txid, vout (le) */
	char addr0[TL_ADDRESS_MAX];
	uint64_t value0;
};

static void read_blocks(const char *bdir, uint32_t from, struct btx **out, size_t *n)
{
	const struct tl_netparams *np = tl_net_params(TL_NET_REGTEST);
	struct tl_blkdir *d;
	struct tl_err err = { 0 };
	struct tl_scan_report rep;
	if (tl_blkdir_open(bdir, np, &d, &err) || tl_blkdir_scan(d, &rep, &err)) FAIL("blocks: %s", err.msg);
	uint8_t *buf = NULL;
	size_t cap = 0;
	struct tl_block b;
	tl_block_init(&b);
	*out = NULL;
	*n = 0;
	for (uint32_t h = from; h < tl_blkdir_chain_len(d); h++) {
		const struct tl_chain_entry *ce = tl_blkdir_chain_at(d, h);
		if (tl_blkdir_read(d, &ce->loc, &buf, &cap, &err) || tl_block_parse(&b, buf, ce->loc.size, &err))
			FAIL("block %u: %s", h, err.msg);
		for (uint32_t t = 1; t < b.n_tx; t++) {
			const struct tl_tx *tx = &b.tx[t];
			*out = realloc(*out, (*n + 1) * sizeof **out);
			struct btx *x = &(*out)[(*n)++];
			memset(x, 0, sizeof *x);
			memcpy(x->txid, tx->txid, 32);
			x->height = h;
			x->n_in = tx->n_in;
			x->prev = malloc(tx->n_in * sizeof *x->prev);
			for (uint32_t i = 0; i < tx->n_in; i++) {
				memcpy(x->prev[i], tx->in[i].prev_txid, 32);
				tl_put_le32(x->prev[i] + 32, tx->in[i].prev_vout);
			}
			if (tl_address_from_script(tx->out[0].script, tx->out[0].script_len, np, x->addr0) < 0) x->addr0[0] = 0;
			x->value0 = tx->out[0].value;
		}
		tl_block_free(&b);
		tl_block_init(&b);
	}
	tl_block_free(&b);
	free(buf);
	tl_blkdir_close(d);
}

static void free_btx(struct btx *v, size_t n)
{
	for (size_t i = 0; i < n; i++) free(v[i].prev);
	free(v);
}

static const struct btx *find_btx(const struct btx *v, size_t n, const uint8_t txid[32])
{
	for (size_t i = 0; i < n; i++)
		if (!memcmp(v[i].txid, txid, 32)) return &v[i];
	return NULL;
}

static bool json_strs_have(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) if (json_string_value(v) && !strcmp(json_string_value(v), s)) return true;
	return false;
}

/* The simulator's reorg has the reported shape: the replaced blocks'
 * transactions are either in the new branch one block later or gone
 * (three of them), one gone transaction's tainted inputs are spent again
 * in the new branch to an exchange deposit address the old chain had
 * never paid, and truth.json says so. Returns how many were re-mined. */
static size_t check_sim_reorg_shape(const char *blocks, const char *pre_blocks, const struct btx *old, size_t nold,
				    const char *pre_db, json_t *truth0, json_t *truth1)
{
	struct btx *nw;
	size_t nn;
	read_blocks(blocks, 208, &nw, &nn);
	size_t remined = 0, gone = 0;
	for (size_t i = 0; i < nold; i++) {
		const struct btx *x = find_btx(nw, nn, old[i].txid);
		if (!x) { gone++; continue; }
		assert_int_equal(x->height, old[i].height + 1); /* at another height */
		remined++;
	}
	assert_int_equal(gone, 3);
	assert_true(remined > nold / 2);
	/* the double spend: a new transaction spending what a gone one spent */
	const struct btx *ds = NULL;
	const struct btx *victim = NULL;
	for (size_t j = 0; j < nn; j++) {
		if (find_btx(old, nold, nw[j].txid)) continue;
		for (size_t i = 0; i < nold && !ds; i++) {
			if (find_btx(nw, nn, old[i].txid)) continue;
			for (uint32_t a = 0; a < nw[j].n_in; a++)
				for (uint32_t b = 0; b < old[i].n_in; b++)
					if (!memcmp(nw[j].prev[a], old[i].prev[b], 36)) { ds = &nw[j]; victim = &old[i]; }
		}
	}
	assert_non_null(ds);
	assert_int_equal(ds->height, 208);
	/* tainted: a naive poison walk over the old chain from the truth's
	 * theft transaction (every output of a transaction spending a tainted
	 * output is tainted) reaches one of its inputs */
	json_t *h0 = json_array_get(json_object_get(truth0, "heists"), 0);
	uint8_t theft[32];
	assert_int_equal(tl_hash_from_hex(json_string_value(json_object_get(h0, "theft_txid")), theft), 0);
	struct btx *all;
	size_t nall;
	read_blocks(pre_blocks, 0, &all, &nall);
	uint8_t (*tainted)[32] = malloc((nall + 1) * 32);
	size_t nt = 0;
	memcpy(tainted[nt++], theft, 32);
	for (size_t j = 0; j < nall; j++) {
		bool t = false;
		for (uint32_t a = 0; a < all[j].n_in && !t; a++)
			for (size_t q = 0; q < nt && !t; q++) t = !memcmp(all[j].prev[a], tainted[q], 32);
		if (t) memcpy(tainted[nt++], all[j].txid, 32);
	}
	bool reached = false;
	for (uint32_t a = 0; a < ds->n_in; a++)
		for (size_t q = 0; q < nt; q++) reached |= !memcmp(ds->prev[a], tainted[q], 32);
	assert_true(reached);
	free(tainted);
	free_btx(all, nall);
	/* paid to an exchange's address the old best chain had never seen */
	struct tl_err err;
	struct tl_store *s = open_db(pre_db);
	uint64_t aid;
	assert_int_equal(tl_store_addr_id_of_string(s, ds->addr0, &aid, &err), 0);
	tl_store_close(s);
	const char *owner = NULL;
	size_t i, k;
	json_t *e, *a;
	json_array_foreach(json_object_get(truth1, "entities"), i, e) json_array_foreach(json_object_get(e, "addresses"), k, a)
		if (!strcmp(json_string_value(a), ds->addr0)) owner = json_string_value(json_object_get(e, "id"));
	assert_non_null(owner);
	assert_true(!strncmp(owner, "exchange-", 9));
	/* the truth after the reorg: a cash-out of the heist at that address and height */
	json_t *h1 = json_array_get(json_object_get(truth1, "heists"), 0);
	char dhex[65], vhex[65];
	tl_hash_to_hex(ds->txid, dhex);
	tl_hash_to_hex(victim->txid, vhex);
	/* the attacker's own coins make it a cash-out in the truth */
	bool cash = !json_strs_have(json_object_get(h1, "attacker_txids"), dhex);
	json_array_foreach(json_object_get(h1, "cashouts"), i, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "txid")), dhex)) continue;
		assert_string_equal(json_string_value(json_object_get(e, "address")), ds->addr0);
		assert_int_equal(json_integer_value(json_object_get(e, "height")), 208);
		assert_int_equal(json_integer_value(json_object_get(e, "amount_sat")), ds->value0);
		cash = true;
	}
	assert_true(cash);
	assert_false(json_strs_have(json_object_get(h1, "attacker_txids"), vhex));
	/* the gone transactions are the truth's stale ones */
	for (size_t j = 0; j < nold; j++) {
		if (find_btx(nw, nn, old[j].txid)) continue;
		tl_hash_to_hex(old[j].txid, vhex);
		assert_true(json_strs_have(json_object_get(truth1, "stale_txids"), vhex));
	}
	print_message("simulated reorg: %zu of %zu replaced transactions re-mined one block later, %zu dropped, "
		      "double spend %s pays %s (%s), never paid before\n", remined, nold, gone, dhex, ds->addr0, owner);
	free_btx(nw, nn);
	return remined;
}


static void marker_set(const char *db, const char *stage)
{
	struct tl_err err;
	struct tl_store *s = open_db(db);
	bool began;
	if (tl_store_update_begin(s, stage, &began, &err)) FAIL("marker: %s", err.msg);
	assert_true(began);
	tl_store_close(s);
}

/* 1 and the stage when a marker is set, 0 none. */
static int marker_get(const char *db, char stage[32])
{
	struct tl_err err;
	struct tl_store *s = open_db(db);
	int r = tl_store_updating(s, stage, 32, &err);
	if (r < 0) FAIL("marker: %s", err.msg);
	tl_store_close(s);
	return r;
}

/* The command-line imports run under the "write" update marker like API
 * writes: a "write" stage left by a write that died is taken over and
 * ended, an index run's unfinished stage stays named, and re-importing
 * the same files changes nothing else (the digest stays the fresh one). */
static void cli_import_marker(const char *db, const char *tags, const char *heists, const uint8_t want[32])
{
	char cmd[3000], stage[32];
	assert_int_equal(marker_get(db, stage), 0);
	marker_set(db, "write");
	snprintf(cmd, sizeof cmd, "'%s' tags import --db '%s' '%s' >/dev/null", TL_BINARY, db, tags);
	assert_int_equal(tu_run(cmd, NULL), 0);
	assert_int_equal(marker_get(db, stage), 0);
	marker_set(db, "write");
	snprintf(cmd, sizeof cmd, "'%s' heist import --db '%s' '%s' >/dev/null", TL_BINARY, db, heists);
	assert_int_equal(tu_run(cmd, NULL), 0);
	assert_int_equal(marker_get(db, stage), 0);
	marker_set(db, "index");
	assert_int_equal(tu_run(cmd, NULL), 0);
	assert_int_equal(marker_get(db, stage), 1);
	assert_string_equal(stage, "index");
	struct tl_err err;
	struct tl_store *s = open_db(db);
	if (tl_store_update_end(s, "index", &err)) FAIL("marker: %s", err.msg);
	uint8_t d[32];
	if (tl_store_digest(s, d, NULL, &err)) FAIL("digest: %s", err.msg);
	tl_store_close(s);
	assert_memory_equal(d, want, 32);
}

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
	struct btx *oldb;
	size_t noldb;
	read_blocks(blocks, 208, &oldb, &noldb);
	json_t *truth0 = cf_sim_truth(sim);
	/* the blocks before the reorg, for the taint walk */
	char preblocks[700];
	snprintf(preblocks, sizeof preblocks, "%s/blocks-pre", g_dir);
	char cpcmd[1500];
	snprintf(cpcmd, sizeof cpcmd, "cp -r '%s' '%s'", blocks, preblocks);
	assert_int_equal(tu_run(cpcmd, NULL), 0);
	/* index, import the simulator's tags and heist, reorg 3 deep, index */
	do_index(blocks, db, 0, 0, NULL);
	do_tags(db, tags0);
	do_heists(db, heists0);
	/* what the reorg will roll back, read before it: the transactions of
	 * blocks 208-210 and their tagged new owners */
	struct tl_err err;
	struct tl_store *s = open_db(db);
	struct tl_block_rec br;
	struct tl_tip tip0;
	if (tl_store_block_by_height(s, 208, &br, &err) != 1 || tl_store_tip(s, &tip0, &err)) FAIL("%s", err.msg);
	uint64_t nold = tip0.next_tx_num - br.first_tx_num;
	uint8_t(*old)[32] = malloc(nold * sizeof *old);
	for (uint64_t t = br.first_tx_num; t < tip0.next_tx_num; t++) {
		struct tl_tx_rec r;
		if (tl_store_tx(s, t, &r, &err) != 1) FAIL("tx: %s", err.msg);
		memcpy(old[t - br.first_tx_num], r.txid, 32);
		tl_tx_rec_free(&r);
	}
	struct tl_undo_rec u;
	if (tl_store_undo(s, 208, &u, &err) != 1) FAIL("undo: %s", err.msg);
	uint32_t tagged_old = 0;
	for (uint64_t a = u.first_addr_id; a < tip0.next_addr_id; a++) {
		int n = tl_tags_of_addr_id(s, a, NULL, NULL, &err);
		if (n < 0) FAIL("tags: %s", err.msg);
		tagged_old += n > 0;
	}
	tl_store_close(s);
	char pre[700], cmd[3000];
	snprintf(pre, sizeof pre, "%s/sim-db-pre", g_dir);
	snprintf(cmd, sizeof cmd, "cp -r '%s' '%s'", db, pre);
	assert_int_equal(tu_run(cmd, NULL), 0);
	/* the case is built with the command a user would run */
	snprintf(cmd, sizeof cmd, "'%s' simulate --extend '%s' --reorg 3 -q", TL_BINARY, sim);
	assert_int_equal(tu_run(cmd, NULL), 0);
	json_t *truth1 = cf_sim_truth(sim);
	size_t remined = check_sim_reorg_shape(blocks, preblocks, oldb, noldb, pre, truth0, truth1);
	free_btx(oldb, noldb);
	json_decref(truth0);
	json_decref(truth1);
	struct tl_index_stats st;
	do_index(blocks, db, 0, 0, &st);
	assert_int_equal(st.blocks_rolled_back, 3);
	assert_int_equal(st.fork_height, 207);
	/* the report: every rolled-back transaction, those not in the final
	 * chain (looked up by txid), the tagged owners rolled back */
	s = open_db(db);
	uint64_t dropped = 0;
	for (uint64_t i = 0; i < nold; i++) {
		uint64_t nums[4];
		int n = tl_store_txid_nums(s, old[i], nums, 4, &err);
		if (n < 0) FAIL("txid: %s", err.msg);
		dropped += n == 0;
	}
	free(old);
	assert_int_equal(st.reorg_txs, nold);
	assert_int_equal(st.reorg_dropped, dropped);
	/* the rolled-back coinbases are gone too */
	assert_int_equal(dropped, 3 + 3);
	assert_int_equal(nold, remined + 3 + 3);
	assert_int_equal(st.tagged_rolled_back, tagged_old);
	print_message("3-deep reorg: %llu transactions rolled back, %llu dropped, %u tagged addresses rolled back, "
		      "%u applied\n", (unsigned long long)st.reorg_txs, (unsigned long long)st.reorg_dropped,
		      st.tagged_rolled_back, st.tagged_applied);
	tl_store_close(s);
	/* /healthz and /metrics of a server beside the index count it */
	struct tl_serve_opts so;
	tl_serve_opts_default(&so);
	so.db_path = db;
	so.net = tl_net_params(TL_NET_REGTEST);
	so.listen = "127.0.0.1:0";
	so.log = NULL;
	struct tl_app *app;
	if (tl_app_open(&so, &app, &err) || tl_app_start(app, &err)) FAIL("serve: %s", err.msg);
	struct resp r;
	if (http_do(tl_app_port(app), "GET", "/healthz", NULL, NULL, 0, &r) < 0) FAIL("no answer");
	json_t *h = resp_json(&r);
	resp_free(&r);
	assert_int_equal(json_integer_value(json_object_get(h, "reorgs")), 1);
	json_t *last = json_object_get(h, "last_reorg");
	assert_int_equal(json_integer_value(json_object_get(last, "depth")), 3);
	assert_int_equal(json_integer_value(json_object_get(last, "fork_height")), 207);
	assert_int_equal(json_integer_value(json_object_get(last, "from_height")), 210);
	json_decref(h);
	if (http_do(tl_app_port(app), "GET", "/metrics", NULL, NULL, 0, &r) < 0) FAIL("no answer");
	assert_non_null(strstr(r.body, "\ntl_index_reorgs_total 1\n"));
	assert_non_null(strstr(r.body, "\ntl_index_last_reorg_depth 3\n"));
	resp_free(&r);
	tl_app_close(app);
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
	s = open_db(db);
	uint8_t d[32];
	char hex[65];
	if (tl_store_digest(s, d, NULL, &err)) FAIL("digest: %s", err.msg);
	tl_hex_encode(d, 32, hex);
	print_message("3-deep reorg with tags and a heist imported before it: digest %s equals the fresh index's\n",
		      hex);
	tl_store_close(s);
	/* SIGKILL after each commit of the reorg in turn (3 rollback batches,
	 * then the new branch in batches of 70 transactions), then a normal
	 * run: the same database as the fresh index */
	uint8_t want[32];
	s = open_db(fresh);
	if (tl_store_digest(s, want, NULL, &err)) FAIL("digest: %s", err.msg);
	tl_store_close(s);
	int kc;
	for (kc = 1;; kc++) {
		char kdb[700];
		snprintf(kdb, sizeof kdb, "%s/sim-db-k%d", g_dir, kc);
		snprintf(cmd, sizeof cmd, "cp -r '%s' '%s' && TL_TEST_KILL_AT_COMMIT=%d '%s' index --blocks-dir '%s' --db '%s' "
			 "--network regtest --batch-tx 70 -q; echo $?", pre, kdb, kc, TL_BINARY, blocks, kdb);
		char *out = NULL;
		tu_run(cmd, &out);
		int status = atoi(out);
		free(out);
		if (status == 0) break; /* fewer than k commits: nothing killed */
		assert_int_equal(status, 128 + 9);
		do_index(blocks, kdb, 0, 0, NULL);
		s = open_db(kdb);
		if (tl_store_digest(s, d, NULL, &err)) FAIL("digest: %s", err.msg);
		tl_store_close(s);
		if (memcmp(d, want, 32)) FAIL("killed after commit %d of the reorg and resumed: digest differs", kc);
		tu_rmrf(kdb);
	}
	assert_true(kc > 4);
	print_message("killed after each of the reorg's %d commits and resumed: same digest each time\n", kc - 1);
	cli_import_marker(db, tags0, heists0, want);
}

int main(void)
{
	g_dir = tu_tmpdir("reorg");
	if (getenv("TL_REORG_SECONDS") || getenv("TL_REORG_SEED")) {
		/* cmocka's failure handling needs a running test */
		const struct CMUnitTest lm[] = { cmocka_unit_test(long_mode_test) };
		int rc = cmocka_run_group_tests(lm, NULL, NULL);
		if (!rc) tu_rmrf(g_dir);
		free(g_dir);
		return rc;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim_reorg3),
		cmocka_unit_test(test_model),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (!rc) tu_rmrf(g_dir);
	free(g_dir);
	return tu_finish(rc);
}
