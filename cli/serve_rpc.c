/* taintline serve --rpc: the API over a database kept at a Bitcoin Core
 * node's tip (live/follow.h fetches, api/serve.h indexes and serves). */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/serve.h"
#include "cli/cli.h"
#include "live/alerts.h"
#include "live/fetch.h"
#include "live/follow.h"
#include "live/glue.h"
#include "live/index_rpc.h"
#include "tracer/screen.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: taintline serve --rpc URL (--rpc-cookie FILE | --rpc-user U --rpc-password P)\n"
		   "                       --db DB [--zmq tcp://HOST:PORT] [--blocks-dir DIR] [OPTIONS]\n"
		   "  Serves the index (as serve --follow) while following a Bitcoin Core node:\n"
		   "  new blocks are fetched over RPC into DIR (Core's blk format) and indexed,\n"
		   "  reorgs included. A database that does not exist yet is built first.\n"
		   "  --rpc URL          the node's RPC address, e.g. http://127.0.0.1:8332\n"
		   "  --rpc-cookie FILE  the node's cookie file (<datadir>/.cookie)\n"
		   "  --rpc-user U, --rpc-password P   rpcauth credentials instead of the cookie\n"
		   "  --zmq ENDPOINT     the node's zmqpubhashblock / zmqpubsequence address: fetch\n"
		   "                     as soon as a block is announced (polling stays the fallback)\n"
		   "  --blocks-dir DIR   where fetched blocks are kept (default DB.blocks)\n"
		   "  --network N        main (default), test, signet, regtest; checked with the node\n"
		   "  --poll-ms MS       how often to ask the node (default 5000 with --zmq, else 1000)\n"
		   "  --listen, --keys, --threads, --trace-time-ms, --max-trace-txs   as for serve\n"
		   "  /healthz reports the node: reachable, heights, errors, the last error.\n"
		   "  The node's mempool is screened: /v1/screen?txid= and ?outpoint= answer for\n"
		   "  unconfirmed transactions with \"confirmations\": 0 (zmqpubrawtx and\n"
		   "  zmqpubsequence make it immediate; getrawmempool reconciles each poll).\n"
		   "  Watches (POST /v1/watches) are alerted: deposit, confirmed, movement and\n"
		   "  reorg events are kept in the database and delivered as signed webhooks.\n"
		   "  --alert-ca FILE    PEM certificates trusted for https webhooks besides the\n"
		   "                     system's (a receiver with its own CA)\n"
		   "  --alert-time-scale N  run the retry schedule N times faster than real time\n"
		   "                     (testing only: an hour of backoff in 3600/N seconds)\n");
}

/* /healthz: the node's state and the alerts'. */
struct health2 {
	struct tl_follow *f;
	struct tl_alerts *a;
};

static void health_both(struct json_t *obj, void *ctx)
{
	struct health2 *h = ctx;
	tl_follow_health(obj, h->f);
	tl_alerts_health(obj, h->a);
}

static volatile sig_atomic_t g_stop;
static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static void on_warn(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "taintline serve: %s\n", msg);
}

/* A database that does not exist yet: fetch and index up to the node's
 * tip first (waiting for the node as long as it takes, or a signal). */
static int initial_index(const struct tl_rpc_opts *ro0, const char *db, const char *blocks,
			 const struct tl_netparams *net)
{
	char cur[4200];
	struct stat sb;
	snprintf(cur, sizeof cur, "%s/CURRENT", db);
	if (stat(cur, &sb) == 0) return 0;
	struct tl_rpc_opts ro = *ro0;
	ro.max_attempts = 0;
	ro.stop = &g_stop;
	ro.warn = on_warn;
	struct tl_index_opts io;
	memset(&io, 0, sizeof io);
	io.blocks_dir = blocks;
	io.db_path = db;
	io.net = net;
	io.until = -1;
	io.stop = &g_stop;
	struct tl_err err;
	struct tl_rpc *r;
	struct tl_live_index_stats st;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "taintline serve: no database yet: indexing the node's chain first\n");
	int rc = tl_rpc_open(&ro, &r, &err);
	if (rc == 0) rc = tl_fetch_check_network(r, net, &err);
	if (rc == 0) rc = tl_live_index(r, &io, 0, &st, &err);
	tl_rpc_close(r);
	if (rc == 0 && g_stop) rc = tl_err_set(&err, "stopped by signal before the first index was complete");
	if (rc == 0 && stat(cur, &sb) != 0) rc = tl_err_set(&err, "the node has no blocks yet");
	if (rc == 0) {
		struct tl_store *s;
		struct tl_store_opts so = { .cache_mb = 64 };
		rc = tl_store_open(db, &so, &s, &err);
		if (rc == 0) {
			rc = tl_screen_update(s, NULL, &err);
			tl_store_close(s);
		}
	}
	if (rc < 0) fprintf(stderr, "serve: %s\n", err.msg);
	return rc;
}

int cmd_serve_rpc(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rpc", required_argument, NULL, 'r' },          { "rpc-cookie", required_argument, NULL, 'c' },
		{ "rpc-user", required_argument, NULL, 'U' },     { "rpc-password", required_argument, NULL, 'P' },
		{ "zmq", required_argument, NULL, 'z' },          { "blocks-dir", required_argument, NULL, 'b' },
		{ "db", required_argument, NULL, 'd' },           { "listen", required_argument, NULL, 'l' },
		{ "keys", required_argument, NULL, 'k' },         { "threads", required_argument, NULL, 't' },
		{ "network", required_argument, NULL, 'n' },      { "poll-ms", required_argument, NULL, 'p' },
		{ "trace-time-ms", required_argument, NULL, 'T' }, { "max-trace-txs", required_argument, NULL, 'X' },
		{ "alert-ca", required_argument, NULL, 'A' },     { "alert-time-scale", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },               { NULL, 0, NULL, 0 },
	};
	struct tl_serve_opts o;
	tl_serve_opts_default(&o);
	struct tl_follow_opts fo;
	memset(&fo, 0, sizeof fo);
	const struct tl_netparams *net = tl_net_params(TL_NET_MAIN);
	const char *blocks = NULL;
	struct tl_alerts_opts ao;
	memset(&ao, 0, sizeof ao);
	ao.log = stderr;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		char *end;
		long v;
		switch (c) {
		case 'r': fo.rpc.url = optarg; break;
		case 'c': fo.rpc.cookie_file = optarg; break;
		case 'U': fo.rpc.user = optarg; break;
		case 'P': fo.rpc.password = optarg; break;
		case 'z': fo.zmq = optarg; break;
		case 'b': blocks = optarg; break;
		case 'd': o.db_path = optarg; break;
		case 'l': o.listen = optarg; break;
		case 'k': o.keys_file = optarg; break;
		case 'n':
			net = tl_net_by_name(optarg);
			if (!net) {
				fprintf(stderr, "serve: unknown network '%s'\n", optarg);
				return TL_EXIT_USAGE;
			}
			break;
		case 't':
		case 'p':
		case 'T':
		case 'X':
			v = strtol(optarg, &end, 10);
			if (!*optarg || *end || v < 1 || v > (c == 't' ? 256 : c == 'X' ? 1000000000L : 3600000L)) {
				fprintf(stderr, "serve: bad number '%s'\n", optarg);
				return TL_EXIT_USAGE;
			}
			if (c == 't') o.threads = (int)v;
			else if (c == 'p') fo.poll_ms = (int)v;
			else if (c == 'T') o.trace_time_ms = (int)v;
			else o.max_trace_txs = (uint64_t)v;
			break;
		case 'A': ao.deliver.ca_file = optarg; break;
		case 'S':
			v = strtol(optarg, &end, 10);
			if (!*optarg || *end || v < 1 || v > 1000000) {
				fprintf(stderr, "serve: bad number '%s'\n", optarg);
				return TL_EXIT_USAGE;
			}
			ao.time_scale = (double)v;
			break;
		case 'h': usage(stdout); return TL_EXIT_OK;
		default: usage(stderr); return TL_EXIT_USAGE;
		}
	}
	if (!fo.rpc.url || !o.db_path || optind != argc) {
		usage(stderr);
		return TL_EXIT_USAGE;
	}
	char *own = NULL;
	if (!blocks) {
		own = tl_live_default_blocks_dir(o.db_path);
		if (!own) return TL_EXIT_FAIL;
		blocks = own;
	}
	int rc = TL_EXIT_FAIL;
	struct tl_err err;
	struct tl_follow *f = NULL;
	struct tl_app *app = NULL;
	struct tl_alerts *alerts = NULL;
	struct health2 h2 = { 0 };
	struct tl_live_glue g;
	atomic_init(&g.app, NULL);
	g.mempool = tl_mempool_new();
	if (!g.mempool) goto out;
	ao.mempool = g.mempool;
	alerts = tl_alerts_new(&ao);
	if (!alerts) goto out;
	/* mempool transactions are queued for the alerts from the start */
	tl_mempool_set_listener(g.mempool, tl_alerts_tx, alerts);
	if (initial_index(&fo.rpc, o.db_path, blocks, net) < 0) goto out;
	fo.blocks_dir = blocks;
	fo.net = net;
	fo.on_blocks = tl_live_glue_on_blocks;
	fo.ctx = &g;
	fo.mempool = g.mempool;
	fo.prevout = tl_live_glue_prevout;
	fo.prevout_ctx = &g;
	fo.log = stderr;
	/* The follower's threads (and ZMQ's) must not take the SIGINT and
	 * SIGTERM that tl_app_run_until_signal waits for. */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	int frc = tl_follow_start(&fo, &f, &err);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (frc < 0) {
		fprintf(stderr, "serve: %s\n", err.msg);
		goto out;
	}
	o.follow_dir = blocks;
	o.blocks_dir = blocks;
	o.net = net;
	/* The fetcher announces new blocks (tl_app_kick): the directory is
	 * looked at on each announcement, and otherwise rarely. */
	o.poll_ms = 5000;
	h2.f = f;
	h2.a = alerts;
	o.extra_health = health_both;
	o.extra_ctx = &h2;
	o.extra_screen = tl_live_glue_screen;
	o.extra_screen_ctx = &g;
	if (tl_app_open(&o, &app, &err) < 0) {
		fprintf(stderr, "serve: %s\n", err.msg);
		goto out;
	}
	atomic_store(&g.app, app);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	int arc = tl_alerts_start(alerts, app, &err);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (arc < 0) {
		fprintf(stderr, "serve: %s\n", err.msg);
		goto out;
	}
	if (tl_app_run_until_signal(app, &err) < 0) fprintf(stderr, "serve: %s\n", err.msg);
	else rc = TL_EXIT_OK;
out:
	tl_follow_stop(f);
	/* after the follower (no more mempool news), before the database closes */
	tl_alerts_free(alerts);
	tl_app_close(app);
	tl_mempool_free(g.mempool);
	free(own);
	return rc;
}
