/* Clustering on a simulated chain: completeness and precision against the
 * simulator's truth, and the indexing-time overhead of clustering
 * (the same chain indexed with and without it, side by side, alternating,
 * best of ROUNDS each).
 *
 * usage: bench_cluster WORK_DIR [BLOCKS] [TXS_PER_BLOCK] [ROUNDS]
 * WORK_DIR must not exist; defaults 400 blocks, 100 tx per block, 3 rounds.
 * Completeness of an entity = the share of its indexed addresses that lie
 * in its largest cluster (1.0 = one cluster per entity); reported as the
 * address-weighted mean over entities with at least two addresses.
 * Precision = the share of clustered addresses whose cluster holds no
 * address of another entity. Both are reported for the default rules and,
 * on a third index of the same chain, with --cluster-change. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "indexer/cluster.h"
#include "indexer/indexer.h"
#include "sim/sim.h"
#include "store/store.h"
#include "tracer/entities.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static double run_index(const char *blocks, const char *db, int no_cluster, uint32_t heur, uint64_t *txs)
{
	char cmd[1200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", db);
	if (system(cmd) != 0) return -1;
	struct tl_index_opts o = { .blocks_dir = blocks, .db_path = db, .net = tl_net_params(TL_NET_REGTEST),
				   .cache_mb = 256, .until = -1, .no_cluster = no_cluster,
				   .cluster_heuristics = heur };
	struct tl_index_stats st;
	struct tl_err err;
	double t0 = now();
	if (tl_index_run(&o, &st, &err) < 0) {
		fprintf(stderr, "index: %s\n", err.msg);
		exit(1);
	}
	*txs = st.txs;
	return now() - t0;
}

/* Completeness and precision of the clusters in db against truth.json. */
static int measure(const char *db, const char *tp, const char *what)
{
	struct tl_err err;
	struct tl_store_opts so = { .read_only = true, .cache_mb = 64 };
	struct tl_store *s;
	if (tl_store_open(db, &so, &s, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	json_error_t je;
	json_t *t = json_load_file(tp, 0, &je), *ents = json_object_get(t, "entities"), *e;
	size_t ei;
	/* per address: (cluster id, entity) */
	size_t n = 0, cap = 4096;
	uint64_t(*rows)[2] = malloc(cap * sizeof *rows);
	double comp_w = 0;
	uint64_t comp_n = 0;
	json_array_foreach(ents, ei, e) {
		json_t *a;
		size_t ai, m0 = n;
		json_array_foreach(json_object_get(e, "addresses"), ai, a) {
			uint64_t id, cid;
			if (tl_store_addr_id_of_string(s, json_string_value(a), &id, &err) != 1) continue;
			if (tl_cluster_of(s, id, &cid, &err) < 0) return -1;
			if (n == cap) rows = realloc(rows, (cap *= 2) * sizeof *rows);
			rows[n][0] = cid;
			rows[n][1] = ei;
			n++;
		}
		size_t k = n - m0;
		if (k < 2) continue;
		uint64_t *ids = malloc(k * sizeof *ids);
		for (size_t i = 0; i < k; i++) ids[i] = rows[m0 + i][0];
		qsort(ids, k, sizeof *ids, cmp_u64);
		size_t best = 0;
		for (size_t i = 0; i < k;) {
			size_t j = i;
			while (j < k && ids[j] == ids[i]) j++;
			if (j - i > best) best = j - i;
			i = j;
		}
		comp_w += (double)best;
		comp_n += k;
		free(ids);
	}
	/* precision: clusters holding one entity only */
	qsort(rows, n, sizeof *rows, cmp_u64);
	uint64_t pure = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		int mixed = 0;
		while (j < n && rows[j][0] == rows[i][0]) {
			if (rows[j][1] != rows[i][1]) mixed = 1;
			j++;
		}
		if (!mixed) pure += j - i;
		i = j;
	}
	printf("%s: addresses in truth and index: %zu\n", what, n);
	printf("completeness (addresses in their entity's largest cluster): %.3f\n", comp_n ? comp_w / comp_n : 0);
	printf("precision (addresses in single-entity clusters): %.4f\n", n ? (double)pure / n : 0);
	free(rows);
	json_decref(t);
	tl_store_close(s);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_cluster WORK_DIR [BLOCKS] [TXS_PER_BLOCK] [ROUNDS]\n");
		return 2;
	}
	const char *w = argv[1];
	struct tl_sim_params p;
	tl_sim_params_default(&p);
	p.blocks = argc > 2 ? (uint32_t)atoi(argv[2]) : 400;
	p.txs_per_block = argc > 3 ? (uint32_t)atoi(argv[3]) : 100;
	int rounds = argc > 4 ? atoi(argv[4]) : 3;
	p.fast = true;
	p.forks = 0;
	struct tl_err err;
	char sim[1024], blocks[1100], db_on[1100], db_off[1100], tp[1100];
	snprintf(sim, sizeof sim, "%s/sim", w);
	snprintf(blocks, sizeof blocks, "%s/blocks", sim);
	snprintf(db_on, sizeof db_on, "%s/db-cluster", w);
	snprintf(db_off, sizeof db_off, "%s/db-plain", w);
	snprintf(tp, sizeof tp, "%s/truth.json", sim);
	mkdir(w, 0755);
	printf("simulating %u blocks x %u tx (fast)...\n", p.blocks, p.txs_per_block);
	if (tl_sim_run(sim, &p, NULL, &err) < 0) {
		fprintf(stderr, "sim: %s\n", err.msg);
		return 1;
	}
	double best_on = 1e30, best_off = 1e30;
	uint64_t txs = 0;
	for (int r = 0; r < rounds; r++) {
		double a = run_index(blocks, db_off, 1, 0, &txs);
		double b = run_index(blocks, db_on, 0, 0, &txs);
		if (a < best_off) best_off = a;
		if (b < best_on) best_on = b;
	}
	printf("index without clustering: %.3f s (%.0f tx/s)\n", best_off, txs / best_off);
	printf("index with clustering:    %.3f s (%.0f tx/s)\n", best_on, txs / best_on);
	printf("clustering overhead:      %+.1f%% (goal: at most +25%%)\n", (best_on / best_off - 1) * 100);

	if (measure(db_on, tp, "default rules") < 0) return 1;
	/* the same chain with the optional fresh-change heuristic */
	char db_ch[1100];
	snprintf(db_ch, sizeof db_ch, "%s/db-change", w);
	double c = run_index(blocks, db_ch, 0, TL_CLUSTER_H_FRESH_CHANGE, &txs);
	printf("index with --cluster-change: %.3f s (%+.1f%% against no clustering)\n", c, (c / best_off - 1) * 100);
	if (measure(db_ch, tp, "with --cluster-change") < 0) return 1;
	return 0;
}
