/* bench_tracer: the tracer on a simulated chain, measured against the
 * simulator's ground truth (not in CI; prints figures, asserts nothing
 * about time).
 *
 *   bench_tracer [BLOCKS [TXS_PER_BLOCK [WORKDIR]]]   (default 400 250)
 *
 * Simulates (--fast) into WORKDIR (default a fresh directory under /tmp),
 * indexes, imports tags.csv and heists.json, then for each heist and
 * policy:
 *   - recall and precision of the attacker's cash-out deposits found as
 *     endpoints, separately for deposits whose funds never went through a
 *     CoinJoin ("not mixed": walked with --stop-at-mixers, so a precision
 *     figure is not diluted by mixed coins) and for mixed ones (walked
 *     through mixers);
 *   - trace speed: transactions visited per second (warm, poison without
 *     limits visits the most);
 * and screening: materialization time and in-process lookups per second
 * (outpoints and addresses, tainted and clean, random order). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "bitcoin/hash.h"
#include "bitcoin/network.h"
#include "indexer/indexer.h"
#include "sim/sim.h"
#include "store/store.h"
#include "tracer/entities.h"
#include "tracer/screen.h"
#include "tracer/storegraph.h"
#include "tracer/trace.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, const struct tl_err *e)
{
	fprintf(stderr, "bench_tracer: %s: %s\n", what, e ? e->msg : "");
	exit(1);
}

/* 1 if the cash-out's funds passed through a CoinJoin: walk back over
 * the attacker's and CoinJoin transactions of the truth. */
static int mixed(struct tl_store *s, json_t *att, json_t *cj, const char *txid_hex, int depth)
{
	if (depth > 60) return 0;
	if (json_object_get(cj, txid_hex)) return 1;
	uint8_t txid[32];
	if (tl_hash_from_hex(txid_hex, txid)) return 0;
	struct tl_tx_rec r;
	struct tl_err e;
	if (tl_store_tx_by_txid(s, txid, &r, &e) != 1) return 0;
	int m = 0;
	for (uint32_t i = 0; i < r.n_in && !m; i++) {
		if (r.in[i].kind != TL_IN_KNOWN) continue;
		struct tl_tx_rec p;
		if (tl_store_tx(s, r.in[i].prev_tx_num, &p, &e) != 1) continue;
		char h[65];
		tl_hash_to_hex(p.txid, h);
		tl_tx_rec_free(&p);
		if (json_object_get(cj, h)) m = 1;
		else if (json_object_get(att, h)) m = mixed(s, att, cj, h, depth + 1);
	}
	tl_tx_rec_free(&r);
	return m;
}

int main(int argc, char **argv)
{
	uint32_t blocks = argc > 1 ? (uint32_t)atoi(argv[1]) : 400;
	uint32_t tpb = argc > 2 ? (uint32_t)atoi(argv[2]) : 250;
	char dir[4096], path[4200], db[4200];
	if (argc > 3) snprintf(dir, sizeof dir, "%s", argv[3]);
	else snprintf(dir, sizeof dir, "/tmp/bench_tracer.%d", (int)getpid());
	struct tl_err err;
	struct tl_sim_params sp;
	tl_sim_params_default(&sp);
	sp.blocks = blocks;
	sp.txs_per_block = tpb;
	sp.fast = true;
	sp.forks = 0;
	double t0 = now();
	struct tl_sim_stats ss;
	if (tl_sim_run(dir, &sp, &ss, &err)) die("simulate", &err);
	printf("chain: %u blocks, %llu transactions (simulated in %.1f s)\n", ss.tip, (unsigned long long)ss.txs,
	       now() - t0);
	snprintf(path, sizeof path, "%s/blocks", dir);
	snprintf(db, sizeof db, "%s/db", dir);
	struct tl_index_opts io = { .blocks_dir = path, .db_path = db, .net = tl_net_params(TL_NET_REGTEST),
		                    .cache_mb = 256, .until = -1 };
	struct tl_index_stats ist;
	t0 = now();
	if (tl_index_run(&io, &ist, &err)) die("index", &err);
	printf("indexed in %.1f s\n", now() - t0);
	struct tl_store *s;
	struct tl_store_opts so = { .cache_mb = 512 };
	if (tl_store_open(db, &so, &s, &err)) die("open", &err);
	struct tl_tag_import_report trep;
	struct tl_heist_import_report hrep;
	snprintf(path, sizeof path, "%s/tags.csv", dir);
	if (tl_tags_import(s, path, TL_TAGFMT_AUTO, &trep, &err)) die("tags", &err);
	snprintf(path, sizeof path, "%s/heists.json", dir);
	if (tl_heists_import(s, path, &hrep, &err)) die("heists", &err);
	snprintf(path, sizeof path, "%s/truth.json", dir);
	json_error_t je;
	json_t *truth = json_load_file(path, 0, &je);
	if (!truth) die("truth.json", NULL);
	struct tl_storegraph *sg;
	if (tl_storegraph_new(s, &sg, &err)) die("storegraph", &err);

	size_t hi;
	json_t *h;
	json_array_foreach(json_object_get(truth, "heists"), hi, h) {
		if (!json_is_true(json_object_get(h, "happened"))) continue;
		const char *id = json_string_value(json_object_get(h, "id"));
		json_t *att = json_object(), *cj = json_object(), *co_mixed = json_object(), *co_clean = json_object();
		size_t i;
		json_t *x;
		json_array_foreach(json_object_get(h, "attacker_txids"), i, x) json_object_set_new(att, json_string_value(x), json_true());
		json_array_foreach(json_object_get(truth, "coinjoin_txids"), i, x) json_object_set_new(cj, json_string_value(x), json_true());
		json_array_foreach(json_object_get(h, "cashouts"), i, x) {
			const char *op = json_string_value(json_object_get(x, "outpoint"));
			int m = mixed(s, att, cj, json_string_value(json_object_get(x, "txid")), 0);
			json_object_set_new(m ? co_mixed : co_clean, op, json_true());
		}
		printf("\nheist %s: %zu cash-outs (%zu not mixed, %zu mixed)\n", id,
		       json_array_size(json_object_get(h, "cashouts")), json_object_size(co_clean),
		       json_object_size(co_mixed));
		struct tl_heist_info info;
		memset(&info, 0, sizeof info);
		struct tl_registry *reg;
		if (tl_heist_get(s, id, &info, &err) != 1 || tl_heist_parse(&info, &reg, &err)) die("heist", &err);
		free(info.json);
		struct tl_trace_seeds ts;
		tl_trace_seeds_init(&ts);
		if (tl_trace_seeds_add_heist(sg, &reg->heists[0], &ts, &err)) die("seeds", &err);
		printf("  %-8s %-10s %8s %9s %6s %10s %9s\n", "policy", "funds", "recall", "precision", "found",
		       "endpoints", "tx/s");
		for (int pol = TL_POLICY_POISON; pol < TL_POLICY_COUNT; pol++)
			for (int through = 0; through < 2; through++) {
				struct tl_walk_params p;
				tl_walk_params_default(&p);
				p.policy = (enum tl_policy)pol;
				p.stop_at_mixers = !through;
				struct tl_graph g;
				tl_storegraph_graph(sg, &g);
				struct tl_walk_result r;
				if (tl_walk_forward(&g, ts.v, ts.n, &p, &r, &err)) die("walk", &err); /* warm-up */
				tl_walk_result_free(&r);
				double a = now();
				if (tl_walk_forward(&g, ts.v, ts.n, &p, &r, &err)) die("walk", &err);
				double dt = now() - a;
				json_t *set = through ? co_mixed : co_clean;
				size_t tagged = 0, hit = 0, hit_all = 0;
				for (size_t k = 0; k < r.n_endpoints; k++) {
					if (r.endpoints[k].kind != TL_END_TAGGED) continue;
					tagged++;
					uint8_t txid[32];
					char hx[65], op[80];
					if (tl_storegraph_txid(sg, r.endpoints[k].tx_num, txid, &err) != 1) die("txid", &err);
					tl_hash_to_hex(txid, hx);
					snprintf(op, sizeof op, "%s:%u", hx, r.endpoints[k].vout);
					hit += json_object_get(set, op) != NULL;
					hit_all += json_object_get(co_clean, op) || json_object_get(co_mixed, op);
				}
				size_t want = json_object_size(set);
				printf("  %-8s %-10s %8.3f %9.3f %6zu %10zu %9.0f\n", tl_policy_name(p.policy),
				       through ? "mixed" : "not mixed", want ? (double)hit / want : 1.0,
				       tagged ? (double)hit_all / tagged : 1.0, hit, tagged,
				       dt > 0 ? r.visited / dt : 0.0);
				tl_walk_result_free(&r);
			}
		/* speed on the largest walk */
		struct tl_walk_params p;
		tl_walk_params_default(&p);
		p.policy = TL_POLICY_POISON;
		p.stop_cats = 0;
		struct tl_graph g;
		tl_storegraph_graph(sg, &g);
		struct tl_walk_result r;
		if (tl_walk_forward(&g, ts.v, ts.n, &p, &r, &err)) die("walk", &err);
		tl_walk_result_free(&r);
		double a = now();
		if (tl_walk_forward(&g, ts.v, ts.n, &p, &r, &err)) die("walk", &err);
		double dt = now() - a;
		printf("  widest walk (poison, no stops): %llu transactions in %.3f s warm = %.0f tx/s "
		       "(a 100,000-tx trace: %.2f s; goal < 1 s)\n",
		       (unsigned long long)r.visited, dt, r.visited / dt, 100000.0 * dt / (double)r.visited);
		tl_walk_result_free(&r);
		tl_trace_seeds_free(&ts);
		tl_registry_free(reg);
		json_decref(att);
		json_decref(cj);
		json_decref(co_mixed);
		json_decref(co_clean);
	}

	/* screening */
	t0 = now();
	uint32_t done = 0, skipped = 0;
	if (tl_screen_rebuild(s, NULL, &done, &skipped, &err)) die("rebuild", &err);
	printf("\nscreening: materialized %u heists in %.2f s\n", done, now() - t0);
	struct tl_screen *sc;
	if (tl_screen_open(s, NULL, &sc, &err)) die("screen open", &err);
	struct tl_tip tip;
	if (tl_store_tip(s, &tip, &err)) die("tip", &err);
	uint64_t rng = 88172645463325252ull, n = 1000000, exposed = 0;
	struct tl_screen_exp exp[8];
	double a = now();
	for (uint64_t i = 0; i < n; i++) {
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		int k = tl_screen_lookup_outref(sc, rng % tip.next_tx_num, (uint32_t)(rng >> 40) % 3, exp, 8, &err);
		if (k < 0) die("lookup", &err);
		exposed += k > 0;
	}
	double dt = now() - a;
	printf("  outpoint lookups: %.0f /s (%llu of %llu exposed; goal >= 200,000/s)\n", n / dt,
	       (unsigned long long)exposed, (unsigned long long)n);
	exposed = 0;
	a = now();
	for (uint64_t i = 0; i < n; i++) {
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		int k = tl_screen_lookup_addr(sc, 1 + rng % (tip.next_addr_id - 1), exp, 8, &err);
		if (k < 0) die("lookup", &err);
		exposed += k > 0;
	}
	dt = now() - a;
	printf("  address lookups: %.0f /s (%llu of %llu exposed)\n", n / dt, (unsigned long long)exposed,
	       (unsigned long long)n);
	tl_screen_close(sc);
	tl_storegraph_free(sg);
	tl_store_close(s);
	json_decref(truth);
	if (argc <= 3) {
		char cmd[4200];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd)) fprintf(stderr, "could not remove %s\n", dir);
	}
	return 0;
}
