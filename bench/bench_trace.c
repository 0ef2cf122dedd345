/* Forward-trace throughput on an in-memory graph (taint/memgraph.h):
 * about 200,000 transactions: one theft fanned out into 50 branches, each
 * a peel chain whose links interleave in chain order, with some peels
 * re-spent and consolidated with clean coins, one long 40,000-link peel
 * chain, and clean traffic around them. Prints transactions visited per
 * second for each policy; the goal is a 100,000-transaction trace in
 * under a second. Prints figures only; asserts nothing about time. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "taint/memgraph.h"
#include "taint/walk.h"

static uint64_t rng = 42;
static uint32_t rnd(void)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng >> 33);
}

static uint64_t add(struct tl_memgraph *mg, uint32_t h, const struct tl_gin *in, uint32_t ni,
                    const struct tl_gout *out, uint32_t no)
{
	struct tl_err err;
	uint64_t n;
	if (tl_memgraph_add_tx(mg, h, 1600000000 + (int64_t)h * 600, 0, in, ni, out, no, &n, &err)) {
		fprintf(stderr, "bench graph: %s\n", err.msg);
		exit(1);
	}
	return n;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define BRANCHES 50
#define LINKS 2000

int main(void)
{
	struct tl_err err;
	struct tl_memgraph *mg = tl_memgraph_new();
	for (uint64_t a = 1; a <= 40; a++)
		if (tl_memgraph_set_entity(mg, a, TL_CAT_EXCHANGE, a, "exchange", &err)) {
			fprintf(stderr, "bench graph: %s\n", err.msg);
			return 1;
		}
	uint64_t next_addr = 1000;
	/* theft: 10,000 BTC */
	struct tl_gout cb = {1000000000000ULL, next_addr++, 0};
	uint64_t theft = add(mg, 0, NULL, 0, &cb, 1);
	struct tl_gin in = {theft, 0, 0};
	struct tl_gout fan[BRANCHES];
	for (int b = 0; b < BRANCHES; b++) fan[b] = (struct tl_gout){19999999000ULL, next_addr++, 0};
	uint64_t fan_tx = add(mg, 1, &in, 1, fan, BRANCHES);
	/* the long chain's coins and a pool of clean coins */
	struct tl_gout lc = {500000000000ULL, next_addr++, 0};
	uint64_t long_prev = add(mg, 1, NULL, 0, &lc, 1);
	uint64_t long_val = lc.value;
	uint64_t clean[64];
	for (int i = 0; i < 64; i++) {
		struct tl_gout c = {100000000, next_addr++, 0};
		clean[i] = add(mg, 1, NULL, 0, &c, 1);
	}
	uint64_t prev[BRANCHES], val[BRANCHES];
	uint32_t pv[BRANCHES];
	for (int b = 0; b < BRANCHES; b++) {
		prev[b] = fan_tx;
		pv[b] = (uint32_t)b;
		val[b] = fan[b].value;
	}
	uint32_t h = 2;
	for (int k = 0; k < LINKS; k++, h++) {
		for (int b = 0; b < BRANCHES; b++) {
			uint64_t peel = 1000000 + rnd() % 5000000;
			struct tl_gin i1 = {prev[b], pv[b], 0};
			uint64_t addr = rnd() % 20 == 0 ? 1 + rnd() % 40 : next_addr++;
			struct tl_gout o[2] = {{peel, addr, 0}, {val[b] - peel - 1000, next_addr++, 0}};
			uint64_t t = add(mg, h, &i1, 1, o, 2);
			prev[b] = t;
			pv[b] = 1;
			val[b] -= peel + 1000;
			/* every 10th peel is consolidated with a clean coin */
			if (addr >= 1000 && rnd() % 10 == 0) {
				struct tl_gin ci[2] = {{t, 0, 0}, {clean[rnd() % 64], 0, 0}};
				uint64_t ck = ci[1].prev_tx;
				uint64_t sum = peel + 100000000;
				struct tl_gout co[2] = {{sum / 2, next_addr++, 0}, {sum - sum / 2 - 500, next_addr++, 0}};
				uint64_t c = add(mg, h, ci, 2, co, 2);
				/* refill the clean pool slot with a fresh coinbase */
				struct tl_gout nc = {100000000, next_addr++, 0};
				for (int i = 0; i < 64; i++)
					if (clean[i] == ck) clean[i] = add(mg, h, NULL, 0, &nc, 1);
				(void)c;
			}
		}
		/* the long chain: 20 links per round */
		for (int r = 0; r < 20; r++) {
			struct tl_gin i1 = {long_prev, long_prev == 2 ? 0 : 1, 0};
			uint64_t peel = 100000 + rnd() % 1000000;
			struct tl_gout o[2] = {{peel, next_addr++, 0}, {long_val - peel - 500, next_addr++, 0}};
			long_prev = add(mg, h, &i1, 1, o, 2);
			long_val -= peel + 500;
		}
		/* clean traffic */
		for (int r = 0; r < 20; r++) {
			struct tl_gout c = {5000000000ULL, next_addr++, 0};
			add(mg, h, NULL, 0, &c, 1);
		}
	}
	struct tl_graph g;
	tl_memgraph_graph(mg, &g);
	printf("graph: %" PRIu64 " transactions\n", tl_memgraph_count(mg));
	struct tl_seed seeds[2] = {{theft, 0, TL_SEED_FULL}, {2, 0, TL_SEED_FULL}};
	for (int p = 0; p < TL_POLICY_COUNT; p++) {
		struct tl_walk_params wp;
		tl_walk_params_default(&wp);
		wp.policy = (enum tl_policy)p;
		struct tl_walk_result r;
		double t0 = now();
		int rc = tl_walk_forward(&g, seeds, 2, &wp, &r, &err);
		double dt = now() - t0;
		if (rc) {
			fprintf(stderr, "%s: %s\n", tl_policy_name(wp.policy), err.msg);
			return 1;
		}
		printf("%-8s %7" PRIu64 " tx visited in %6.3f s = %9.0f tx/s; %zu endpoints, %zu holdings, "
		       "%zu peel chains, %zu consolidations\n",
		       tl_policy_name(wp.policy), r.visited, dt, (double)r.visited / dt, r.n_endpoints,
		       r.n_holdings, r.n_peel_chains, r.n_consolidations);
		tl_walk_result_free(&r);
	}
	tl_memgraph_free(mg);
	return 0;
}
