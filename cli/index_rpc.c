/* taintline index --rpc: a Bitcoin Core node over JSON-RPC -> taintline's
 * blocks directory -> database (live/index_rpc.h). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitcoin/network.h"
#include "cli/cli.h"
#include "cli/progress.h"
#include "indexer/cluster.h"
#include "live/fetch.h"
#include "live/index_rpc.h"
#include "live/rpc.h"
#include "tracer/screen.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: taintline index --rpc URL (--rpc-cookie FILE | --rpc-user U --rpc-password P)\n"
		   "                       --db DB [--blocks-dir DIR] [OPTIONS]\n"
		   "  Fetches the best chain of a Bitcoin Core node (getblockhash, getblock HASH 0)\n"
		   "  into taintline's own blocks directory, in Core's blk format, and indexes it\n"
		   "  into DB. Run it again to fetch and index new blocks; a reorg on the node is\n"
		   "  found with getblockheader and rolled back with the kept undo data.\n"
		   "  --rpc URL          the node's RPC address, e.g. http://127.0.0.1:8332\n"
		   "  --rpc-cookie FILE  the node's cookie file (<datadir>/.cookie)\n"
		   "  --rpc-user U, --rpc-password P   rpcauth credentials instead of the cookie\n"
		   "  --rpc-attempts N   tries per call while the node is unreachable or busy,\n"
		   "                     with doubling delays from 250 ms (default 8; 0 = forever)\n"
		   "  --blocks-dir DIR   where fetched blocks are kept (default DB.blocks)\n"
		   "  --db DB            database directory (created if absent)\n"
		   "  --network N        main (default), test, signet, regtest; checked with the node\n"
		   "  --cache-mb M, --undo-depth N, --batch-tx N, --no-cluster, --cluster-change\n"
		   "                     as for index --blocks-dir\n"
		   "  -q, --quiet        no progress or warnings\n"
		   "  -h, --help         this text\n");
}

static volatile sig_atomic_t g_stop;
static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

struct ctx {
	struct tl_progress pr;
	int quiet;
};

static void on_progress(void *c, const struct tl_index_progress *p)
{
	struct ctx *x = c;
	if (!strcmp(p->phase, "scan") || !strcmp(p->phase, "done")) return;
	tl_progress_update(&x->pr, p->phase, p->height - p->start + 1, p->target - p->start + 1, p->txs, p->bytes,
			   p->elapsed);
}

static void on_warn(void *c, const char *msg)
{
	struct ctx *x = c;
	if (x->quiet) return;
	char line[1024];
	snprintf(line, sizeof line, "warning: %s", msg);
	tl_progress_msg(&x->pr, line);
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || v > UINT32_MAX) return -1;
	*out = (uint32_t)v;
	return 0;
}

/* The screening index follows the new blocks, as after index --blocks-dir. */
static int update_screening(const char *db_path, int quiet)
{
	struct tl_store *s;
	struct tl_err err;
	struct tl_store_opts so = { .cache_mb = 64 };
	if (tl_store_open(db_path, &so, &s, &err) < 0) {
		fprintf(stderr, "index: screening update: %s\n", err.msg);
		return TL_EXIT_FAIL;
	}
	struct tl_screen_update_stats us;
	int rc = tl_screen_update(s, &us, &err);
	tl_store_close(s);
	if (rc < 0) {
		fprintf(stderr, "index: screening update: %s\n", err.msg);
		return TL_EXIT_FAIL;
	}
	if (!quiet && us.heists)
		fprintf(stderr, "screening index: %u heists brought to the tip (%u rebuilt)\n", us.heists, us.rebuilt);
	return TL_EXIT_OK;
}

int cmd_index_rpc(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rpc", required_argument, NULL, 'r' },          { "rpc-cookie", required_argument, NULL, 'k' },
		{ "rpc-user", required_argument, NULL, 'U' },     { "rpc-password", required_argument, NULL, 'P' },
		{ "rpc-attempts", required_argument, NULL, 'A' }, { "blocks-dir", required_argument, NULL, 'b' },
		{ "db", required_argument, NULL, 'd' },           { "network", required_argument, NULL, 'n' },
		{ "cache-mb", required_argument, NULL, 'c' },     { "undo-depth", required_argument, NULL, 'D' },
		{ "batch-tx", required_argument, NULL, 'B' },     { "quiet", no_argument, NULL, 'q' },
		{ "no-cluster", no_argument, NULL, 'X' },        { "cluster-change", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },               { NULL, 0, NULL, 0 },
	};
	struct tl_index_opts o;
	memset(&o, 0, sizeof o);
	o.net = tl_net_params(TL_NET_MAIN);
	o.until = -1;
	struct tl_rpc_opts ro;
	memset(&ro, 0, sizeof ro);
	ro.max_attempts = 8;
	struct ctx x;
	memset(&x, 0, sizeof x);
	int c;
	uint32_t v;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'r': ro.url = optarg; break;
		case 'k': ro.cookie_file = optarg; break;
		case 'U': ro.user = optarg; break;
		case 'P': ro.password = optarg; break;
		case 'b': o.blocks_dir = optarg; break;
		case 'd': o.db_path = optarg; break;
		case 'n':
			o.net = tl_net_by_name(optarg);
			if (!o.net) {
				fprintf(stderr, "index: unknown network '%s'\n", optarg);
				return TL_EXIT_USAGE;
			}
			break;
		case 'A':
		case 'c':
		case 'D':
		case 'B':
			if (parse_u32(optarg, &v) < 0 || (c != 'A' && v == 0) || v > INT32_MAX) {
				fprintf(stderr, "index: bad number '%s'\n", optarg);
				return TL_EXIT_USAGE;
			}
			if (c == 'A') ro.max_attempts = (int)v;
			else if (c == 'c') o.cache_mb = v;
			else if (c == 'D') o.undo_keep = v;
			else o.batch_tx = v;
			break;
		case 'X': o.no_cluster = 1; break;
		case 'C': o.cluster_heuristics |= TL_CLUSTER_H_FRESH_CHANGE; break;
		case 'q': x.quiet = 1; break;
		case 'h': usage(stdout); return TL_EXIT_OK;
		default: usage(stderr); return TL_EXIT_USAGE;
		}
	}
	if (!ro.url || !o.db_path || optind != argc) {
		usage(stderr);
		return TL_EXIT_USAGE;
	}
	char *own_dir = NULL;
	if (!o.blocks_dir) {
		own_dir = tl_live_default_blocks_dir(o.db_path);
		if (!own_dir) return TL_EXIT_FAIL;
		o.blocks_dir = own_dir;
	}
	tl_progress_init(&x.pr, stderr, x.quiet);
	o.progress = on_progress;
	o.warn = on_warn;
	o.ctx = &x;
	o.stop = &g_stop;
	ro.stop = &g_stop;
	ro.warn = on_warn;
	ro.ctx = &x;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	struct tl_err err;
	struct tl_rpc *r = NULL;
	struct tl_live_index_stats st;
	int rc = tl_rpc_open(&ro, &r, &err);
	if (rc == 0) rc = tl_fetch_check_network(r, o.net, &err);
	if (rc == 0) rc = tl_live_index(r, &o, 0, &st, &err);
	tl_progress_done(&x.pr);
	tl_rpc_close(r);
	if (rc < 0) {
		fprintf(stderr, "index: %s\n", err.msg);
		free(own_dir);
		return TL_EXIT_FAIL;
	}
	if (!x.quiet) {
		fprintf(stderr, "fetched %u blocks from the node (%u already kept) into %s in %u rounds; node tip %d\n",
			st.fetched, st.reused, o.blocks_dir, st.rounds, st.node_tip);
		if (st.index.blocks_rolled_back)
			fprintf(stderr, "reorg: rolled back %u blocks to height %d\n", st.index.blocks_rolled_back,
				st.index.fork_height);
		fprintf(stderr, "indexed %u blocks (height %d -> %d), %llu txs in %.1f s\n", st.index.blocks_indexed,
			st.index.tip_before, st.index.tip_after, (unsigned long long)st.index.txs, st.index.seconds);
		if (st.index.stopped || g_stop) fprintf(stderr, "stopped by signal; run again to continue\n");
	}
	free(own_dir);
	if (st.index.stopped || (!st.index.blocks_indexed && !st.index.blocks_rolled_back)) return TL_EXIT_OK;
	return update_screening(o.db_path, x.quiet);
}
