/* From a deposit published by a Bitcoin Core node to its screening answer:
 * a fake node (tests/fakenode.h) serves a simulated chain up to a height;
 * `serve --rpc`'s parts (live/follow.h, live/glue.h, api/serve.h) follow
 * it with ZMQ; the transactions of the following blocks are published
 * one at a time (ZMQ rawtx + sequence A, as Core on mempool acceptance),
 * and the time until GET /v1/screen?txid= answers 200 for each is taken.
 * Prints p50, p99 and max over every event (goal: p99 under 1 s), then
 * mempool screening throughput: transactions screened into a fresh
 * mempool per second in process, and GET /v1/screen?txid= requests per
 * second on the mempool's transactions over HTTP (one client).
 * Usage: bench_live [BLOCKS [TXS_PER_BLOCK [LAST_INDEXED]]] (default
 * 200 30 150). Prints figures only; asserts nothing about time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/serve.h"
#include "bitcoin/blkfile.h"
#include "bitcoin/block.h"
#include "bitcoin/hash.h"
#include "live/follow.h"
#include "live/glue.h"
#include "live/index_rpc.h"
#include "live/mempool.h"
#include "sim/sim.h"
#include "tests/fakenode.h"
#include "tests/httpc.h"
#include "tests/testutil.h"
#include "tracer/entities.h"
#include "tracer/screen.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct ev {
	uint8_t *raw;
	size_t len;
	uint8_t txid[32];
};

static void die(const char *what, const struct tl_err *err)
{
	fprintf(stderr, "bench_live: %s: %s\n", what, err->msg);
	exit(1);
}

int main(int argc, char **argv)
{
	uint32_t blocks = argc > 1 ? (uint32_t)atoi(argv[1]) : 200;
	uint32_t txs = argc > 2 ? (uint32_t)atoi(argv[2]) : 30;
	int32_t last = argc > 3 ? atoi(argv[3]) : 150;
	const struct tl_netparams *np = tl_net_params(TL_NET_REGTEST);
	char *tmp = tu_tmpdir("bench-live");
	char sim[4200], simblocks[4300], db[4200], fetched[4200];
	snprintf(sim, sizeof sim, "%s/sim", tmp);
	snprintf(simblocks, sizeof simblocks, "%s/blocks", sim);
	snprintf(db, sizeof db, "%s/db", tmp);
	snprintf(fetched, sizeof fetched, "%s/fetched", tmp);
	struct tl_err err;
	struct tl_sim_params sp;
	tl_sim_params_default(&sp);
	sp.seed = 41;
	sp.blocks = blocks;
	sp.txs_per_block = txs;
	sp.forks = 0;
	sp.fast = true;
	if (tl_sim_run(sim, &sp, NULL, &err)) die("simulate", &err);

	struct fakenode *n = fn_start(tmp, np);
	int32_t len = fn_load_chain(n, simblocks);
	fn_set_height(n, last);
	struct tl_rpc_opts ro = { .url = fn_url(n), .cookie_file = fn_cookie(n) };
	struct tl_rpc *rpc;
	if (tl_rpc_open(&ro, &rpc, &err) < 0) die("rpc", &err);
	struct tl_index_opts io = { .blocks_dir = fetched, .db_path = db, .net = np, .cache_mb = 64, .until = -1 };
	struct tl_live_index_stats lst;
	if (tl_live_index(rpc, &io, 0, &lst, &err) < 0) die("index --rpc", &err);
	tl_rpc_close(rpc);
	struct tl_store *ws;
	struct tl_store_opts wso = { .cache_mb = 64 };
	if (tl_store_open(db, &wso, &ws, &err) < 0) die("store", &err);
	struct tl_tag_import_report trep;
	struct tl_heist_import_report hrep;
	char path[4400];
	snprintf(path, sizeof path, "%s/tags.csv", sim);
	if (tl_tags_import(ws, path, TL_TAGFMT_AUTO, &trep, &err)) die("tags", &err);
	snprintf(path, sizeof path, "%s/heists.json", sim);
	if (tl_heists_import(ws, path, &hrep, &err)) die("heists", &err);
	if (tl_screen_update(ws, NULL, &err) < 0) die("screen", &err);
	tl_store_close(ws);

	/* The events: every transaction of the blocks above, in chain order
	 * (parents before children). */
	struct tl_blkdir *d;
	if (tl_blkdir_open(simblocks, np, &d, &err) < 0 || tl_blkdir_scan(d, NULL, &err) < 0) die("blocks", &err);
	struct ev *ev = NULL;
	size_t nev = 0, cap = 0;
	uint8_t *buf = NULL;
	size_t bcap = 0;
	for (int32_t h = last + 1; h < len; h++) {
		const struct tl_chain_entry *e = tl_blkdir_chain_at(d, (uint32_t)h);
		if (tl_blkdir_read(d, &e->loc, &buf, &bcap, &err) < 0) die("read", &err);
		struct tl_block b;
		tl_block_init(&b);
		if (tl_block_parse(&b, buf, e->loc.size, &err) < 0) die("parse", &err);
		for (uint32_t i = 1; i < b.n_tx; i++) {
			if (nev == cap) {
				cap = cap ? cap * 2 : 1024;
				ev = realloc(ev, sizeof *ev * cap);
			}
			ev[nev].len = b.tx[i].size;
			ev[nev].raw = malloc(ev[nev].len);
			memcpy(ev[nev].raw, b.tx[i].raw, ev[nev].len);
			memcpy(ev[nev].txid, b.tx[i].txid, 32);
			nev++;
		}
		tl_block_free(&b);
	}
	free(buf);
	tl_blkdir_close(d);

	struct tl_live_glue g;
	atomic_init(&g.app, NULL);
	g.mempool = tl_mempool_new();
	struct tl_follow_opts fo = { .rpc = ro, .zmq = fn_zmq(n), .blocks_dir = fetched, .net = np,
				     .on_blocks = tl_live_glue_on_blocks, .ctx = &g, .mempool = g.mempool,
				     .prevout = tl_live_glue_prevout, .prevout_ctx = &g };
	struct tl_follow *f;
	if (tl_follow_start(&fo, &f, &err) < 0) die("follow", &err);
	struct tl_serve_opts so;
	tl_serve_opts_default(&so);
	so.db_path = db;
	so.listen = "127.0.0.1:0";
	so.follow_dir = fetched;
	so.net = np;
	so.log = NULL;
	so.extra_health = tl_follow_health;
	so.extra_ctx = f;
	so.extra_screen = tl_live_glue_screen;
	so.extra_screen_ctx = &g;
	struct tl_app *app;
	if (tl_app_open(&so, &app, &err) < 0 || tl_app_start(app, &err) < 0) die("serve", &err);
	atomic_store(&g.app, app);
	uint16_t port = tl_app_port(app);
	/* ZMQ drops messages until the subscription is through: wait for
	 * the first event to arrive, republishing it. */
	struct timespec ms = { 0, 1000000L };
	double *lat = malloc(sizeof *lat * (nev ? nev : 1));
	size_t tainted = 0;
	for (size_t i = 0; i < nev; i++) {
		char p[128];
		char hex[65];
		tl_hash_to_hex(ev[i].txid, hex);
		snprintf(p, sizeof p, "/v1/screen?txid=%s", hex);
		double t0 = now();
		fn_mempool_add(n, ev[i].raw, ev[i].len, ev[i].txid);
		for (int tries = 0;; tries++) {
			struct resp rs;
			if (http_do(port, "GET", p, NULL, NULL, 0, &rs) == 0 && rs.status == 200) {
				if (!strstr(rs.body, "\"risk\": \"none\"") && !strstr(rs.body, "\"risk\":\"none\"")) tainted++;
				resp_free(&rs);
				break;
			}
			resp_free(&rs);
			nanosleep(&ms, NULL);
			if (i == 0 && tries % 200 == 199) { /* the subscription was not through yet */
				fn_mempool_remove(n, ev[i].txid);
				t0 = now();
				fn_mempool_add(n, ev[i].raw, ev[i].len, ev[i].txid);
			}
		}
		lat[i] = now() - t0;
	}
	qsort(lat, nev, sizeof *lat, cmp_d);
	printf("deposit published -> screened over HTTP: %zu events (%zu with a risk), p50 %.2f ms, p99 %.2f ms, "
	       "max %.2f ms\n",
	       nev, tainted, lat[nev / 2] * 1e3, lat[(size_t)(nev * 0.99)] * 1e3, lat[nev - 1] * 1e3);

	/* Throughput: GET /v1/screen?txid= on the mempool's transactions. */
	size_t reqs = 0;
	double t0 = now();
	for (int round = 0; round < 5; round++)
		for (size_t i = 0; i < nev; i++) {
			char p[128], hex[65];
			tl_hash_to_hex(ev[i].txid, hex);
			snprintf(p, sizeof p, "/v1/screen?txid=%s", hex);
			struct resp rs;
			if (http_do(port, "GET", p, NULL, NULL, 0, &rs) == 0 && rs.status == 200) reqs++;
			resp_free(&rs);
		}
	double dt = now() - t0;
	printf("GET /v1/screen?txid= on unconfirmed transactions: %zu answers in %.2f s, %.0f req/s (one client, a "
	       "new connection each)\n", reqs, dt, reqs / dt);
	tl_follow_stop(f);

	/* In process: screening transactions into a fresh mempool. */
	struct tl_screen *sc = tl_app_screen_get(app, &err);
	if (!sc) die("screen", &err);
	struct tl_mempool_index ix = { .store = app->store, .sc = sc };
	double best = 0;
	for (int round = 0; round < 3; round++) {
		struct tl_mempool *mp = tl_mempool_new();
		t0 = now();
		for (size_t i = 0; i < nev; i++)
			if (tl_mempool_add(mp, ev[i].raw, ev[i].len, tl_mempool_index_prevout, &ix, &err) < 0)
				die("mempool", &err);
		dt = now() - t0;
		if (nev / dt > best) best = nev / dt;
		tl_mempool_free(mp);
	}
	printf("mempool screening in process: %.0f transactions/s (best of 3 rounds of %zu)\n", best, nev);
	tl_app_screen_put(app, sc);
	tl_app_close(app);
	tl_mempool_free(g.mempool);
	fn_stop(n);
	for (size_t i = 0; i < nev; i++) free(ev[i].raw);
	free(ev);
	free(lat);
	tu_rmrf(tmp);
	free(tmp);
	return 0;
}
