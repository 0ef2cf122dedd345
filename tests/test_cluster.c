/* Clustering on simulated chains: no cluster mixes two simulated entities
 * (precision 1.0 against truth.json), CoinJoin rounds detected (recall >=
 * 0.95 against truth.json), clusters equal to a naive union-find over the
 * indexed transactions, cluster summaries equal to the union of their
 * members' tags (tags imported before and after indexing), and a reorg
 * leaves the same database as a fresh index. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "chain/hash.h"
#include "indexer/cluster.h"
#include "indexer/indexer.h"
#include "sim/sim.h"
#include "store/store.h"
#include "tests/testutil.h"
#include "tracer/entities.h"

static char *g_dir;

static void sim(const char *sub, uint64_t seed, uint32_t blocks)
{
	char d[512];
	snprintf(d, sizeof d, "%s/%s", g_dir, sub);
	struct tl_sim_params p;
	tl_sim_params_default(&p);
	p.seed = seed;
	p.blocks = blocks;
	p.txs_per_block = 25;
	p.fast = true;
	p.forks = 0;
	struct tl_err err;
	if (tl_sim_run(d, &p, NULL, &err) < 0) fail_msg("sim: %s", err.msg);
}

static void index_into(const char *sub, const char *db, int no_cluster)
{
	char bd[512], dp[512];
	snprintf(bd, sizeof bd, "%s/%s/blocks", g_dir, sub);
	snprintf(dp, sizeof dp, "%s/%s", g_dir, db);
	struct tl_index_opts o = { .blocks_dir = bd, .db_path = dp, .net = tl_net_params(TL_NET_REGTEST),
				   .cache_mb = 16, .until = -1, .no_cluster = no_cluster, .batch_tx = 700 };
	struct tl_index_stats st;
	struct tl_err err;
	if (tl_index_run(&o, &st, &err) < 0) fail_msg("index: %s", err.msg);
}

static struct tl_store *open_db(const char *db, int create)
{
	char dp[512];
	snprintf(dp, sizeof dp, "%s/%s", g_dir, db);
	struct tl_store_opts so = { .create = create, .net = tl_net_params(TL_NET_REGTEST), .cache_mb = 8 };
	struct tl_store *s;
	struct tl_err err;
	if (tl_store_open(dp, &so, &s, &err) < 0) fail_msg("open: %s", err.msg);
	return s;
}

static json_t *truth(const char *sub)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s/truth.json", g_dir, sub);
	json_error_t je;
	json_t *t = json_load_file(p, 0, &je);
	if (!t) fail_msg("truth: %s", je.text);
	return t;
}

/* naive union-find over addr_ids */
static uint64_t *g_par;
static uint64_t uf(uint64_t x)
{
	while (g_par[x] != x) x = g_par[x] = g_par[g_par[x]];
	return x;
}

static void test_precision_recall_naive(void **st)
{
	(void)st;
	sim("a", 11, 260);
	index_into("a", "dba", 0);
	struct tl_store *s = open_db("dba", 0);
	struct tl_err err;
	json_t *t = truth("a");

	/* precision: cluster -> entity must be a function */
	size_t ncl = 0, cap = 1024;
	uint64_t(*owner)[2] = malloc(cap * sizeof *owner); /* cluster id, entity index + 1 */
	json_t *ents = json_object_get(t, "entities"), *e;
	size_t ei;
	size_t checked = 0;
	json_array_foreach(ents, ei, e) {
		json_t *addrs = json_object_get(e, "addresses"), *a;
		size_t ai;
		json_array_foreach(addrs, ai, a) {
			uint64_t id, cid;
			int rc = tl_store_addr_id_of_string(s, json_string_value(a), &id, &err);
			assert_true(rc >= 0);
			if (rc == 0) continue;
			assert_int_equal(tl_cluster_of(s, id, &cid, &err), 0);
			size_t k;
			for (k = 0; k < ncl && owner[k][0] != cid; k++) ;
			if (k == ncl) {
				if (ncl == cap) owner = realloc(owner, (cap *= 2) * sizeof *owner);
				owner[ncl][0] = cid;
				owner[ncl][1] = ei + 1;
				ncl++;
			} else if (owner[k][1] != ei + 1) {
				fail_msg("cluster %llu holds addresses of entities %llu and %zu",
					 (unsigned long long)cid, (unsigned long long)owner[k][1] - 1, ei);
			}
			checked++;
		}
	}
	assert_true(checked > 500);
	free(owner);

	/* CoinJoin recall */
	json_t *cjs = json_object_get(t, "coinjoin_txids"), *cj;
	size_t ci, found = 0, total = json_array_size(cjs);
	assert_true(total >= 5);
	uint64_t *truth_cj = calloc(total, sizeof *truth_cj);
	json_array_foreach(cjs, ci, cj) {
		uint8_t txid[32];
		const char *hex = json_string_value(cj);
		for (int i = 0; i < 32; i++) sscanf(hex + 2 * i, "%2hhx", &txid[31 - i]);
		struct tl_tx_rec r;
		assert_int_equal(tl_store_tx_by_txid(s, txid, &r, &err), 1);
		truth_cj[ci] = r.tx_num;
		if (tl_tx_coinjoin(s, r.tx_num, &err) > 0) found++;
		tl_tx_rec_free(&r);
	}
	print_message("coinjoin recall %zu/%zu\n", found, total);
	assert_true(found * 100 >= total * 95);

	/* naive union-find over common inputs of non-CoinJoin transactions;
	 * the same pass measures detection precision */
	size_t flagged = 0, false_pos = 0;
	struct tl_tip tip;
	assert_int_equal(tl_store_tip(s, &tip, &err), 0);
	g_par = malloc(tip.next_addr_id * sizeof *g_par);
	for (uint64_t i = 0; i < tip.next_addr_id; i++) g_par[i] = i;
	for (uint64_t tn = 0; tn < tip.next_tx_num; tn++) {
		struct tl_tx_rec r;
		assert_int_equal(tl_store_tx(s, tn, &r, &err), 1);
		int cjk = tl_tx_coinjoin(s, tn, &err);
		assert_int_equal(cjk, tl_coinjoin_detect(&r));
		if (cjk) {
			int in_truth = 0;
			for (size_t k = 0; k < total; k++)
				if (truth_cj[k] == tn) in_truth = 1;
			flagged++;
			if (!in_truth) {
				false_pos++;
				print_message("not a simulated CoinJoin: tx %llu kind %s, %u in, %u out\n",
					      (unsigned long long)tn, tl_coinjoin_kind_name(cjk), r.n_in, r.n_out);
			}
		}
		if (!cjk && !(r.flags & TL_TX_COINBASE)) {
			uint64_t first = 0;
			for (uint32_t i = 0; i < r.n_in; i++) {
				if (r.in[i].kind != TL_IN_KNOWN || !r.in[i].addr_id) continue;
				if (!first) first = r.in[i].addr_id;
				else g_par[uf(r.in[i].addr_id)] = uf(first);
			}
		}
		tl_tx_rec_free(&r);
	}
	print_message("coinjoin precision %zu/%zu\n", flagged - false_pos, flagged);
	assert_int_equal(false_pos, 0);
	free(truth_cj);
	/* same partition: naive root <-> stored cluster id one to one, same sizes */
	uint64_t *map = calloc(tip.next_addr_id, sizeof *map), *size = calloc(tip.next_addr_id, sizeof *size);
	uint64_t multi = 0;
	for (uint64_t a = 1; a < tip.next_addr_id; a++) size[uf(a)]++;
	for (uint64_t a = 1; a < tip.next_addr_id; a++) {
		uint64_t cid, root = uf(a);
		assert_int_equal(tl_cluster_of(s, a, &cid, &err), 0);
		if (!map[root]) map[root] = cid;
		assert_int_equal(map[root], cid);
		struct tl_cluster_summary sum;
		assert_true(tl_cluster_summary(s, cid, &sum, &err) >= 0);
		assert_int_equal(sum.size, size[root]);
		if (size[root] > 1 && root == a) {
			multi++;
			/* id stability rule: the id is a member */
			uint64_t c2;
			assert_int_equal(tl_cluster_of(s, cid, &c2, &err), 0);
			assert_int_equal(c2, cid);
			assert_int_equal(tl_cluster_members(s, cid, NULL, 0, &err), (int)size[root]);
		}
	}
	assert_true(multi > 10);
	free(map);
	free(size);
	free(g_par);
	json_decref(t);
	tl_store_close(s);
}

/* What the tags file says, per address: category bits. */
static uint32_t naive_cats(const char *sub, struct tl_store *s, uint64_t cid)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s/tags.csv", g_dir, sub);
	FILE *f = fopen(p, "r");
	char line[1024];
	uint32_t cats = 0;
	struct tl_err err;
	while (fgets(line, sizeof line, f)) {
		char *chain = strtok(line, ","), *addr = strtok(NULL, ","), *label = strtok(NULL, ","),
		     *cat = strtok(NULL, ",");
		(void)chain;
		(void)label;
		if (!cat || !strcmp(addr, "address")) continue;
		uint64_t id, c;
		if (tl_store_addr_id_of_string(s, addr, &id, &err) != 1) continue;
		assert_int_equal(tl_cluster_of(s, id, &c, &err), 0);
		if (c == cid) cats |= tl_tagcat_bit(cat);
	}
	fclose(f);
	return cats;
}

static int count_tag(void *ctx, const struct tl_tag_rec *t)
{
	(void)t;
	(*(int *)ctx)++;
	return 0;
}

static void test_tags_of_clusters(void **st)
{
	(void)st;
	sim("b", 5, 200);
	char tags[512];
	snprintf(tags, sizeof tags, "%s/b/tags.csv", g_dir);
	struct tl_err err;
	struct tl_tag_import_report rep;
	/* db1: tags first (addresses not seen yet), then index */
	struct tl_store *s = open_db("db1", 1);
	assert_int_equal(tl_tags_import(s, tags, TL_TAGFMT_AUTO, &rep, &err), 0);
	assert_int_equal(rep.seen, 0);
	tl_store_close(s);
	index_into("b", "db1", 0);
	/* db2: index, then tags */
	index_into("b", "db2", 0);
	s = open_db("db2", 0);
	assert_int_equal(tl_tags_import(s, tags, TL_TAGFMT_AUTO, &rep, &err), 0);
	tl_store_close(s);
	struct tl_store *s1 = open_db("db1", 0), *s2 = open_db("db2", 0);
	FILE *f = fopen(tags, "r");
	char line[1024];
	int n = 0;
	while (fgets(line, sizeof line, f) && n < 60) {
		char *chain = strtok(line, ","), *addr = strtok(NULL, ",");
		(void)chain;
		if (!addr || !strcmp(addr, "address")) continue;
		uint64_t id;
		if (tl_store_addr_id_of_string(s1, addr, &id, &err) != 1) continue;
		struct tl_entity e1, e2;
		assert_int_equal(tl_entity_get(s1, id, &e1, &err), 0);
		assert_int_equal(tl_entity_get(s2, id, &e2, &err), 0);
		assert_int_equal(e1.cats, e2.cats);
		assert_true(e1.cats != 0);
		assert_true(e1.label[0] != 0);
		uint64_t cid;
		assert_int_equal(tl_cluster_of(s1, id, &cid, &err), 0);
		struct tl_cluster_summary sum;
		assert_true(tl_cluster_summary(s1, cid, &sum, &err) >= 0);
		assert_int_equal(sum.cats, naive_cats("b", s1, cid));
		int nt = 0;
		assert_true(tl_tags_of_cluster(s1, cid, count_tag, &nt, &err) >= 1);
		assert_true(nt >= 1 && (uint64_t)nt >= sum.tagged);
		n++;
	}
	fclose(f);
	assert_true(n > 10);
	tl_store_close(s1);
	tl_store_close(s2);
}

static void digest_of(const char *db, uint8_t out[32])
{
	struct tl_store *s = open_db(db, 0);
	struct tl_err err;
	assert_int_equal(tl_store_digest(s, out, NULL, &err), 0);
	tl_store_close(s);
}

static void test_reorg(void **st)
{
	(void)st;
	sim("c", 3, 160);
	index_into("c", "dbc", 0);
	char d[512];
	snprintf(d, sizeof d, "%s/c", g_dir);
	struct tl_err err;
	if (tl_sim_extend(d, 4, 3, NULL, NULL, NULL, &err) < 0) fail_msg("extend: %s", err.msg);
	index_into("c", "dbc", 0);
	index_into("c", "dbc_fresh", 0);
	uint8_t a[32], b[32];
	digest_of("dbc", a);
	digest_of("dbc_fresh", b);
	assert_memory_equal(a, b, 32);
}

static int setup(void **st)
{
	(void)st;
	g_dir = tu_tmpdir("cluster");
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	tu_rmrf(g_dir);
	free(g_dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_precision_recall_naive),
		cmocka_unit_test(test_tags_of_clusters),
		cmocka_unit_test(test_reorg),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
