/* Recall and precision of sanctions screening on a simulated chain.
 *   bench_screen_categories SIM_DIR [HOPS] [ENTITIES] [one|all]
 * SIM_DIR is a 'taintline simulate --out' directory. The bench indexes
 * it (SIM_DIR/bench-categories-db, made afresh), imports its tags and
 * heists, then tags ONE address (default; "all": every address) of each
 * of the ENTITIES (default 3) users of truth.json with the most addresses
 * as sanctioned, as a sanctions list names an address and not a wallet:
 * clustering has to find the rest (printed: how many of the users'
 * addresses their tagged clusters hold). The import re-materializes the
 * category sources.
 *
 * A deposit is an output paid to an exchange's address (truth.json's
 * ownership) by a transaction none of whose inputs the exchanges own.
 * Truth: the deposit is reachable within HOPS transactions (default 3)
 * from an output a sanctioned user owns (truth.json, every address of
 * it), through outputs no exchange owns: the fewest hops, whatever the
 * amount. Flagged: the screening index holds a sanctioned exposure of
 * the deposit output at most HOPS hops away. Printed: the counts,
 * recall and precision, and why the misses were missed (no record: the
 * tagged clusters do not reach it or the haircut amount fell under the
 * dust cut; or a record further than HOPS). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "bitcoin/network.h"
#include "indexer/indexer.h"
#include "store/store.h"
#include "tracer/category.h"
#include "tracer/entities.h"
#include "tracer/screen.h"
#include "tracer/screen_int.h"

static void die(const char *what, const struct tl_err *err)
{
	fprintf(stderr, "bench_screen_categories: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* owner kind per addr_id, from truth.json */
enum { OWN_NONE = 0, OWN_EXCHANGE = 1, OWN_SANCTIONED = 2 };

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_screen_categories SIM_DIR [HOPS] [ENTITIES] [one|all]\n");
		return 2;
	}
	const char *sim = argv[1];
	uint32_t hops = argc > 2 ? (uint32_t)atoi(argv[2]) : 3;
	int nent = argc > 3 ? atoi(argv[3]) : 3;
	int tag_all = argc > 4 && !strcmp(argv[4], "all");
	if (hops < 1 || hops > 20 || nent < 1 || nent > 50) {
		fprintf(stderr, "bench_screen_categories: HOPS 1..20, ENTITIES 1..50\n");
		return 2;
	}
	char blocks[4096], db[4096], path[4096], cmd[8400];
	snprintf(blocks, sizeof blocks, "%s/blocks", sim);
	snprintf(db, sizeof db, "%s/bench-categories-db", sim);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", db);
	if (system(cmd)) die("cannot remove the old database", NULL);
	struct tl_err err;
	struct tl_index_opts io = { 0 };
	io.blocks_dir = blocks;
	io.db_path = db;
	io.net = tl_net_by_name("regtest");
	io.cache_mb = 64;
	io.until = -1;
	struct tl_index_stats ist;
	double t0 = now();
	if (tl_index_run(&io, &ist, &err)) die("index", &err);
	double t_index = now() - t0;
	struct tl_store *s;
	struct tl_store_opts so = { .cache_mb = 64 };
	if (tl_store_open(db, &so, &s, &err)) die("open", &err);
	struct tl_tag_import_report trep;
	struct tl_heist_import_report hrep;
	snprintf(path, sizeof path, "%s/tags.csv", sim);
	if (tl_tags_import(s, path, TL_TAGFMT_AUTO, &trep, &err)) die("tags", &err);
	snprintf(path, sizeof path, "%s/heists.json", sim);
	if (tl_heists_import(s, path, &hrep, &err)) die("heists", &err);
	if (tl_screen_update(s, NULL, &err)) die("screen update", &err);

	snprintf(path, sizeof path, "%s/truth.json", sim);
	json_error_t je;
	json_t *truth = json_load_file(path, 0, &je);
	if (!truth) die(je.text, NULL);
	struct tl_tip tip;
	if (tl_store_tip(s, &tip, &err)) die("tip", &err);
	uint8_t *own = calloc(tip.next_addr_id + 1, 1);
	if (!own) die("out of memory", NULL);
	json_t *ents = json_object_get(truth, "entities"), *e, *a;
	size_t i, j;
	/* the users with the most addresses */
	json_t **pick = calloc((size_t)nent, sizeof *pick);
	json_array_foreach(ents, i, e) {
		const char *kind = json_string_value(json_object_get(e, "kind"));
		uint64_t id;
		if (!strcmp(kind, "exchange"))
			json_array_foreach(json_object_get(e, "addresses"), j, a)
				if (tl_store_addr_id_of_string(s, json_string_value(a), &id, &err) == 1) own[id] = OWN_EXCHANGE;
		if (strcmp(kind, "user")) continue;
		size_t na = json_array_size(json_object_get(e, "addresses"));
		for (int k = 0; k < nent; k++)
			if (!pick[k] || na > json_array_size(json_object_get(pick[k], "addresses"))) {
				memmove(pick + k + 1, pick + k, (size_t)(nent - k - 1) * sizeof *pick);
				pick[k] = e;
				break;
			}
	}
	snprintf(path, sizeof path, "%s/bench-sanctioned.csv", sim);
	FILE *f = fopen(path, "w");
	if (!f) die("cannot write the tag file", NULL);
	fprintf(f, "chain,address,label,category,source,confidence\n");
	int tagged = 0;
	for (int k = 0; k < nent && pick[k]; k++) {
		int listed = 0;
		json_array_foreach(json_object_get(pick[k], "addresses"), j, a) {
			uint64_t id;
			if (tl_store_addr_id_of_string(s, json_string_value(a), &id, &err) != 1) continue;
			own[id] = OWN_SANCTIONED;
			if (!listed || tag_all) {
				fprintf(f, "bitcoin-regtest,%s,sanctioned user %s,sanctioned,bench,100\n", json_string_value(a),
				        json_string_value(json_object_get(pick[k], "id")));
				tagged += !listed;
				listed = 1;
			}
		}
	}
	fclose(f);
	t0 = now();
	if (tl_tags_import(s, path, TL_TAGFMT_AUTO, &trep, &err)) die("sanctioned tags", &err);
	double t_mat = now() - t0;
	/* clustering's part: the users' addresses inside a cluster tagged sanctioned */
	uint64_t n_own = 0, n_found = 0;
	for (uint64_t id = 1; id <= tip.next_addr_id; id++) {
		if (own[id] != OWN_SANCTIONED) continue;
		n_own++;
		uint64_t cid;
		struct tl_cluster_summary sum;
		if (tl_cluster_of(s, id, &cid, &err) || tl_cluster_summary(s, cid, &sum, &err) < 0) die("cluster", &err);
		n_found += !!(sum.cats & tl_category_tagbit("sanctioned"));
	}

	/* truth: fewest hops from a sanctioned user's output, through outputs
	 * no exchange owns; and the deposits */
	struct omap reach = { 0 }, deposits = { 0 };
	for (uint64_t x = 0; x < tip.next_tx_num; x++) {
		struct tl_tx_rec tx;
		int g = tl_store_tx(s, x, &tx, &err);
		if (g < 0) die("tx", &err);
		if (g == 0) continue;
		uint32_t best = UINT32_MAX;
		int from_exchange = 0;
		for (uint32_t k = 0; k < tx.n_in; k++) {
			if (tx.in[k].kind != TL_IN_KNOWN) continue;
			if (tx.in[k].addr_id && own[tx.in[k].addr_id] == OWN_EXCHANGE) from_exchange = 1;
			struct oent *r = omap_find(&reach, tx.in[k].prev_tx_num, tx.in[k].prev_vout);
			if (r && r->hops < best && !(r->flags & 1)) best = r->hops;
		}
		for (uint32_t k = 0; k < tx.n_out; k++) {
			uint64_t ad = tx.out[k].addr_id;
			uint8_t o = ad ? own[ad] : OWN_NONE;
			uint32_t h = o == OWN_SANCTIONED ? 0 : best == UINT32_MAX ? UINT32_MAX : best + 1;
			if (o == OWN_EXCHANGE && !from_exchange) {
				struct oent *d = omap_put(&deposits, x, k);
				d->hops = h;
				d->amount = tx.out[k].value;
			}
			if (h == UINT32_MAX || h > hops) continue;
			struct oent *r = omap_put(&reach, x, k);
			r->hops = h;
			r->flags = o == OWN_EXCHANGE; /* an endpoint: not followed */
		}
		tl_tx_rec_free(&tx);
	}

	struct tl_screen *sc;
	if (tl_screen_open(s, NULL, &sc, &err)) die("screen", &err);
	uint32_t num = TL_SCREEN_CAT_BASE + (uint32_t)(tl_category_find("sanctioned") - tl_categories);
	uint64_t n_dep = 0, pos = 0, flagged = 0, tp = 0, fp = 0, fn_deeper = 0, fn_none = 0, fp_far = 0;
	struct tl_screen_exp exp[64];
	for (size_t k = 0; k < deposits.cap; k++) {
		struct oent *d = &deposits.v[k];
		if (d->tx == UINT64_MAX) continue;
		n_dep++;
		int truth_pos = d->hops <= hops;
		int n = tl_screen_lookup_outref(sc, d->tx, d->vout, exp, 64, &err);
		if (n < 0) die("lookup", &err);
		int flag = 0, seen = 0;
		for (int q = 0; q < n; q++)
			if (exp[q].heist_num == num) {
				seen = 1;
				if (exp[q].hops <= hops) flag = 1;
			}
		pos += truth_pos;
		flagged += flag;
		if (flag && truth_pos) tp++;
		if (flag && !truth_pos) {
			fp++;
			fp_far += d->hops != UINT32_MAX; /* reachable, but further than HOPS */
		}
		if (!flag && truth_pos) {
			if (seen) fn_deeper++; /* the walk counts more hops than the shortest path */
			else fn_none++;        /* no record: not reached from the tagged clusters, or under the dust cut */
		}
	}
	printf("chain: %d blocks, %llu transactions; indexed in %.1f s\n", tip.height + 1,
	       (unsigned long long)tip.next_tx_num, t_index);
	printf("sanctioned: %d users of truth.json, %s tagged; category source materialized in %.2f s\n", tagged,
	       tag_all ? "every address" : "one address each", t_mat);
	printf("clustering: %llu of the users' %llu indexed addresses are in a cluster tagged sanctioned\n",
	       (unsigned long long)n_found, (unsigned long long)n_own);
	printf("deposits (outputs paid to exchanges from outside them): %llu\n", (unsigned long long)n_dep);
	printf("truth: %llu deposits within %u hops of a sanctioned user's output\n", (unsigned long long)pos, hops);
	printf("flagged: %llu (true %llu, false %llu of which %llu reachable further than %u hops)\n",
	       (unsigned long long)flagged, (unsigned long long)tp, (unsigned long long)fp, (unsigned long long)fp_far,
	       hops);
	printf("missed: %llu (%llu without a record: not reached from the tagged clusters or under the dust cut; "
	       "%llu recorded further than %u hops)\n",
	       (unsigned long long)(fn_none + fn_deeper), (unsigned long long)fn_none, (unsigned long long)fn_deeper,
	       hops);
	printf("recall %.4f  precision %.4f\n", pos ? (double)tp / (double)pos : 1.0,
	       flagged ? (double)tp / (double)flagged : 1.0);
	tl_screen_close(sc);
	free(reach.v);
	free(deposits.v);
	free(own);
	free(pick);
	json_decref(truth);
	tl_store_close(s);
	return 0;
}
