/* From a tainted deposit published by a Bitcoin Core node to its webhook
 * received: a fake node (tests/fakenode.h) serves a simulated chain up to
 * a height; `serve --rpc`'s parts (live/follow.h, live/glue.h,
 * live/alerts.h, api/serve.h) follow it with ZMQ, with one watch per
 * heist (POST /v1/watches, min_amount_sat 1) pointing at a webhook
 * receiver on 127.0.0.1. The transactions of the following blocks are
 * then published at a steady rate (ZMQ rawtx + sequence A, as Core on
 * mempool acceptance) without waiting for anything, and the receiver
 * notes when the first deposit webhook of each transaction arrives.
 * Prints p50, p99 and max of publish-to-webhook over every transaction
 * that got one (goal: p99 under 1 s), then the in-process mempool
 * screening rate.
 * Usage: bench_live_alerts [BLOCKS [TXS_PER_BLOCK [LAST_INDEXED [RATE]]]]
 * (default 400 30 150 500 transactions/s). Prints figures only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <jansson.h>

#include "api/serve.h"
#include "bitcoin/blkfile.h"
#include "bitcoin/block.h"
#include "bitcoin/hash.h"
#include "live/alerts.h"
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
	char hex[65];
	double sent, got; /* got 0 = no webhook */
};

static struct {
	pthread_mutex_t lock;
	json_t *index; /* txid hex -> event number */
	struct ev *ev;
	size_t received;
} R;

static void die(const char *what, const struct tl_err *err)
{
	fprintf(stderr, "bench_live_alerts: %s: %s\n", what, err->msg);
	exit(1);
}

static void handle(struct evhttp_request *req, void *arg)
{
	(void)arg;
	double t = now();
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	char *body = malloc(len + 1);
	evbuffer_remove(in, body, len);
	body[len] = 0;
	json_t *j = json_loads(body, 0, NULL);
	free(body);
	const char *type = json_string_value(json_object_get(j, "type"));
	const char *txid = json_string_value(json_object_get(json_object_get(j, "data"), "txid"));
	pthread_mutex_lock(&R.lock);
	if (type && txid && !strcmp(type, "deposit")) {
		json_t *k = json_object_get(R.index, txid);
		if (k) {
			struct ev *e = &R.ev[json_integer_value(k)];
			if (e->got == 0) {
				e->got = t;
				R.received++;
			}
		}
	}
	pthread_mutex_unlock(&R.lock);
	json_decref(j);
	evhttp_send_reply(req, 204, "No Content", NULL);
}

static struct event_base *rbase;
static void *loop_main(void *arg)
{
	(void)arg;
	event_base_dispatch(rbase);
	return NULL;
}

int main(int argc, char **argv)
{
	uint32_t blocks = argc > 1 ? (uint32_t)atoi(argv[1]) : 400;
	uint32_t txs = argc > 2 ? (uint32_t)atoi(argv[2]) : 30;
	int32_t last = argc > 3 ? atoi(argv[3]) : 150;
	double rate = argc > 4 ? atof(argv[4]) : 500;
	const struct tl_netparams *np = tl_net_params(TL_NET_REGTEST);
	signal(SIGPIPE, SIG_IGN);
	char *tmp = tu_tmpdir("bench-live-alerts");
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
	json_t *heists = json_load_file(path, 0, NULL);

	/* The events: every transaction of the blocks above, in chain order. */
	struct tl_blkdir *d;
	if (tl_blkdir_open(simblocks, np, &d, &err) < 0 || tl_blkdir_scan(d, NULL, &err) < 0) die("blocks", &err);
	struct ev *ev = NULL;
	size_t nev = 0, cap = 0;
	uint8_t *buf = NULL;
	size_t bcap = 0;
	R.index = json_object();
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
			memset(&ev[nev], 0, sizeof ev[nev]);
			ev[nev].len = b.tx[i].size;
			ev[nev].raw = malloc(ev[nev].len);
			memcpy(ev[nev].raw, b.tx[i].raw, ev[nev].len);
			memcpy(ev[nev].txid, b.tx[i].txid, 32);
			tl_hash_to_hex(b.tx[i].txid, ev[nev].hex);
			json_object_set_new(R.index, ev[nev].hex, json_integer((json_int_t)nev));
			nev++;
		}
		tl_block_free(&b);
	}
	free(buf);
	tl_blkdir_close(d);
	R.ev = ev;

	/* The receiver. */
	evthread_use_pthreads();
	pthread_mutex_init(&R.lock, NULL);
	rbase = event_base_new();
	struct evhttp *http = evhttp_new(rbase);
	evhttp_set_gencb(http, handle, NULL);
	struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sa, &sl);
	uint16_t rport = ntohs(sa.sin_port);
	pthread_t rthread;
	pthread_create(&rthread, NULL, loop_main, NULL);

	/* serve --rpc, in process */
	struct tl_live_glue g;
	atomic_init(&g.app, NULL);
	g.mempool = tl_mempool_new();
	struct tl_alerts_opts ao = { .mempool = g.mempool };
	struct tl_alerts *alerts = tl_alerts_new(&ao);
	tl_mempool_set_listener(g.mempool, tl_alerts_tx, alerts);
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
	so.extra_screen = tl_live_glue_screen;
	so.extra_screen_ctx = &g;
	struct tl_app *app;
	if (tl_app_open(&so, &app, &err) < 0 || tl_app_start(app, &err) < 0) die("serve", &err);
	atomic_store(&g.app, app);
	if (tl_alerts_start(alerts, app, &err) < 0) die("alerts", &err);
	uint16_t port = tl_app_port(app);
	json_t *hv;
	size_t hi;
	int nw = 0;
	json_array_foreach(json_object_get(heists, "heists"), hi, hv)
	{
		char body[512];
		snprintf(body, sizeof body,
			 "{\"heist\":\"%s\",\"min_amount_sat\":1,\"url\":\"http://127.0.0.1:%u/hook\",\"events\":[\"deposit\"]}",
			 json_string_value(json_object_get(hv, "id")), rport);
		struct resp rs;
		if (http_do(port, "POST", "/v1/watches", NULL, body, strlen(body), &rs) == 0 && rs.status / 100 == 2) nw++;
		resp_free(&rs);
	}
	json_decref(heists);
	/* The alerts start at the served tip: wait for their first round. */
	for (int i = 0; i < 600; i++) {
		struct tl_alerts_stats st;
		tl_alerts_stats(alerts, &st);
		if (st.height == last) break;
		struct timespec ms = { 0, 10000000L };
		nanosleep(&ms, NULL);
	}
	/* ZMQ drops messages until the subscription is through: a first
	 * transaction is published again until the mempool holds it. */
	fn_mempool_add(n, ev[0].raw, ev[0].len, ev[0].txid);
	for (int i = 0; !tl_mempool_has(g.mempool, ev[0].txid); i++) {
		struct timespec ms = { 0, 10000000L };
		nanosleep(&ms, NULL);
		if (i % 20 == 19) {
			fn_mempool_remove(n, ev[0].txid);
			fn_mempool_add(n, ev[0].raw, ev[0].len, ev[0].txid);
		}
	}
	pthread_mutex_lock(&R.lock);
	ev[0].sent = now();
	ev[0].got = 0;
	R.received = 0;
	pthread_mutex_unlock(&R.lock);
	fn_mempool_remove(n, ev[0].txid);
	fn_mempool_add(n, ev[0].raw, ev[0].len, ev[0].txid);
	/* Open loop: publish at the rate, whatever the server does. */
	double start = now();
	for (size_t i = 1; i < nev; i++) {
		double at = start + (double)i / rate;
		double w = at - now();
		if (w > 0) {
			struct timespec ts = { (time_t)w, (long)((w - (time_t)w) * 1e9) };
			nanosleep(&ts, NULL);
		}
		pthread_mutex_lock(&R.lock);
		ev[i].sent = now();
		pthread_mutex_unlock(&R.lock);
		fn_mempool_add(n, ev[i].raw, ev[i].len, ev[i].txid);
	}
	double pub = now() - start;
	/* Wait until nothing more arrives for 3 s (bounded: 120 s). */
	size_t seen = (size_t)-1;
	double quiet = now();
	while (now() - quiet < 3 && now() - start < 120 + pub) {
		pthread_mutex_lock(&R.lock);
		size_t r = R.received;
		pthread_mutex_unlock(&R.lock);
		if (r != seen) {
			seen = r;
			quiet = now();
		}
		struct timespec ms = { 0, 50000000L };
		nanosleep(&ms, NULL);
	}
	double *lat = malloc(sizeof *lat * nev);
	size_t nl = 0;
	pthread_mutex_lock(&R.lock);
	for (size_t i = 0; i < nev; i++)
		if (ev[i].got > 0) lat[nl++] = ev[i].got - ev[i].sent;
	pthread_mutex_unlock(&R.lock);
	struct tl_alerts_stats st;
	tl_alerts_stats(alerts, &st);
	qsort(lat, nl, sizeof *lat, cmp_d);
	printf("%zu transactions published in %.1f s (%.0f/s), %d heist watches\n", nev, pub, (nev - 1) / pub, nw);
	if (nl)
		printf("tainted deposit published -> webhook received: %zu events, p50 %.1f ms, p99 %.1f ms, max %.1f ms "
		       "(%llu deliveries queued, %llu delivered)\n",
		       nl, lat[nl / 2] * 1e3, lat[(size_t)((double)nl * 0.99)] * 1e3, lat[nl - 1] * 1e3,
		       (unsigned long long)st.events, (unsigned long long)st.delivered);
	else
		printf("no webhook received\n");
	tl_follow_stop(f);
	tl_alerts_free(alerts);

	/* In process: screening transactions into a fresh mempool. */
	struct tl_screen *sc = tl_app_screen_get(app, &err);
	if (!sc) die("screen", &err);
	struct tl_mempool_index ix = { .store = app->store, .sc = sc };
	double best = 0;
	for (int round = 0; round < 3; round++) {
		struct tl_mempool *mp = tl_mempool_new();
		double t0 = now();
		for (size_t i = 0; i < nev; i++)
			if (tl_mempool_add(mp, ev[i].raw, ev[i].len, tl_mempool_index_prevout, &ix, &err) < 0)
				die("mempool", &err);
		double dt = now() - t0;
		if (nev / dt > best) best = nev / dt;
		tl_mempool_free(mp);
	}
	printf("mempool screening in process: %.0f transactions/s (best of 3 rounds of %zu)\n", best, nev);
	tl_app_screen_put(app, sc);
	tl_app_close(app);
	tl_mempool_free(g.mempool);
	fn_stop(n);
	event_base_loopbreak(rbase);
	pthread_join(rthread, NULL);
	evhttp_free(http);
	event_base_free(rbase);
	for (size_t i = 0; i < nev; i++) free(ev[i].raw);
	free(ev);
	free(lat);
	json_decref(R.index);
	tu_rmrf(tmp);
	free(tmp);
	return 0;
}
