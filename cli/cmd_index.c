/* taintline index: blocks directory (or a node, cli/index_rpc.c) ->
 * database, then the screening index brought up to date. One option
 * parser, one report and one screening update serve both sources. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitcoin/network.h"
#include "cli/cli.h"
#include "cli/jsonw.h"
#include "cli/index_rpc.h"
#include "cli/progress.h"
#include "indexer/cluster.h"
#include "indexer/indexer.h"
#include "tracer/screen.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: taintline index --blocks-dir DIR --db DB [OPTIONS]\n"
		   "       taintline index --rpc URL ... (from a node over RPC: index --rpc URL --help)\n"
		   "  Indexes the best chain of a Bitcoin Core blocks directory into DB. Run it\n"
		   "  again to index new blocks; a reorg is rolled back with the kept undo data.\n"
		   "  --blocks-dir DIR  Bitcoin Core blocks directory (blk*.dat, optional xor.dat)\n"
		   "  --db DB           database directory (created if absent)\n"
		   "  --network N       main (default), test, signet, regtest\n"
		   "  --cache-mb M      MiB for the index of block headers and the caches\n"
		   "                    (default 512); the process stays within this plus 256 MiB\n"
		   "  --until HEIGHT    stop after this height\n"
		   "  --undo-depth N    blocks of undo data kept for reorgs (default %u)\n"
		   "  --batch-tx N      transactions per atomic commit (default 50000)\n"
		   "  --no-cluster      do not cluster addresses (docs/entities.md)\n"
		   "  --cluster-change  also apply the fresh-change heuristic (off by default)\n"
		   "  --chain ethereum  index an Ethereum export instead (see --chain ethereum --help)\n"
		   "  --rpc URL, --rpc-cookie FILE, --rpc-user U, --rpc-password P, --rpc-attempts N\n"
		   "                    fetch from a Bitcoin Core node instead (index --rpc URL --help)\n"
		   "  -q, --quiet       no progress or warnings\n"
		   "      --json        the run's summary as one JSON object on stdout\n"
		   "  -h, --help        this text\n",
		TL_INDEX_DEFAULT_UNDO_KEEP);
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
	if (!strcmp(p->phase, "scan")) {
		if (!x->quiet) tl_progress_msg(&x->pr, "scanning the blocks directory...");
		return;
	}
	if (!strcmp(p->phase, "done")) return;
	if (!strcmp(p->phase, "rollback")) {
		/* counts down from the old tip (start - 1) to the fork (target) */
		tl_progress_update(&x->pr, p->phase, p->start - 1 - p->height, p->start - 1 - p->target, p->txs,
				   p->bytes, p->elapsed);
		return;
	}
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

/* index --json: the run's summary as one JSON object on stdout (us NULL
 * when the run stopped before the screening update). */
static void print_json(const struct tl_index_stats *st, const struct tl_screen_update_stats *us)
{
	struct jw w;
	jw_init(&w, stdout);
	jw_obj(&w);
	jw_key(&w, "blocks_indexed"); jw_uint(&w, st->blocks_indexed);
	jw_key(&w, "height_before"); jw_int(&w, st->tip_before);
	jw_key(&w, "height_after"); jw_int(&w, st->tip_after);
	jw_key(&w, "txs"); jw_uint(&w, st->txs);
	jw_key(&w, "inputs"); jw_uint(&w, st->inputs);
	jw_key(&w, "outputs"); jw_uint(&w, st->outputs);
	char secs[32];
	snprintf(secs, sizeof secs, "%.3f", st->seconds);
	jw_key(&w, "seconds"); jw_raw(&w, secs);
	jw_key(&w, "unknown_prevouts"); jw_uint(&w, st->unknown_inputs);
	jw_key(&w, "unknown_prevouts_total"); jw_uint(&w, st->unknown_inputs_total);
	jw_key(&w, "blk_files"); jw_uint(&w, st->blk_files);
	jw_key(&w, "stale_blocks"); jw_uint(&w, st->stale_blocks);
	jw_key(&w, "db_bytes"); jw_uint(&w, st->db_bytes);
	jw_key(&w, "stopped"); jw_bool(&w, st->stopped);
	jw_key(&w, "reorg"); jw_obj(&w);
	jw_key(&w, "blocks_rolled_back"); jw_uint(&w, st->blocks_rolled_back);
	jw_key(&w, "fork_height"); jw_int(&w, st->blocks_rolled_back ? st->fork_height : -1);
	jw_key(&w, "txs_rolled_back"); jw_uint(&w, st->reorg_txs);
	jw_key(&w, "txs_dropped"); jw_uint(&w, st->reorg_dropped);
	jw_end_obj(&w);
	if (us) {
		jw_key(&w, "screening"); jw_obj(&w);
		jw_key(&w, "heists"); jw_uint(&w, us->heists);
		jw_key(&w, "rebuilt"); jw_uint(&w, us->rebuilt);
		jw_key(&w, "txs_walked"); jw_uint(&w, us->visited);
		jw_key(&w, "outputs_written"); jw_uint(&w, us->written);
		jw_key(&w, "unresolved"); jw_uint(&w, us->unresolved);
		jw_end_obj(&w);
	}
	jw_end_obj(&w);
	jw_finish(&w);
}

int cmd_index(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) { /* --chain ethereum: cli/eth_index.c */
		const char *chain = !strcmp(argv[i], "--chain") && i + 1 < argc ? argv[i + 1]
				    : !strncmp(argv[i], "--chain=", 8) ? argv[i] + 8 : NULL;
		if (chain && !strcmp(chain, "ethereum")) return cmd_index_eth(argc, argv);
		if (chain && !strcmp(chain, "bitcoin")) { /* the default: drop it before getopt */
			int k = argv[i][7] == '=' ? 1 : 2;
			memmove(&argv[i], &argv[i + k], (size_t)(argc - i - k + 1) * sizeof *argv);
			argc -= k;
			i--;
			continue;
		}
		if (chain) {
			fprintf(stderr, "index: unknown chain '%s' (bitcoin, ethereum)\n", chain);
			return TL_EXIT_USAGE;
		}
	}
	/* One table for both sources: the node's options are long only. */
	enum { O_RPC = 1000, O_COOKIE, O_USER, O_PASSWORD, O_ATTEMPTS };
	static const struct option opts[] = {
		{ "blocks-dir", required_argument, NULL, 'b' }, { "db", required_argument, NULL, 'd' },
		{ "network", required_argument, NULL, 'n' },    { "cache-mb", required_argument, NULL, 'c' },
		{ "until", required_argument, NULL, 'u' },      { "undo-depth", required_argument, NULL, 'U' },
		{ "batch-tx", required_argument, NULL, 'B' },   { "quiet", no_argument, NULL, 'q' },
		{ "no-cluster", no_argument, NULL, 'X' },      { "cluster-change", no_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'j' },
		{ "rpc", required_argument, NULL, O_RPC },      { "rpc-cookie", required_argument, NULL, O_COOKIE },
		{ "rpc-user", required_argument, NULL, O_USER }, { "rpc-password", required_argument, NULL, O_PASSWORD },
		{ "rpc-attempts", required_argument, NULL, O_ATTEMPTS },
		{ "help", no_argument, NULL, 'h' },             { NULL, 0, NULL, 0 },
	};
	int rpc = 0; /* the source decides the usage text and which options apply */
	for (int i = 1; i < argc; i++) rpc |= !strcmp(argv[i], "--rpc") || !strncmp(argv[i], "--rpc=", 6);
	void (*usage_of)(FILE *) = rpc ? index_rpc_usage : usage;
	struct index_rpc_args ra = { .max_attempts = 8 };
	struct tl_index_opts o;
	memset(&o, 0, sizeof o);
	o.net = tl_net_params(TL_NET_MAIN);
	o.until = -1;
	struct ctx x;
	memset(&x, 0, sizeof x);
	int c, json = 0;
	uint32_t v;
	optind = 1;
	while ((c = getopt_long(argc, argv, "b:d:n:c:u:U:B:qhXCj", opts, NULL)) != -1) {
		/* an option of the other source (the node path does not count
		 * what --json reports of the blocks directory) */
		if (((c == 'u' || c == 'j') && rpc) || (c >= O_COOKIE && !rpc)) {
			usage_of(stderr);
			return TL_EXIT_USAGE;
		}
		switch (c) {
		case 'j': json = 1; break;
		case 'b': o.blocks_dir = optarg; break;
		case 'd': o.db_path = optarg; break;
		case 'n':
			o.net = tl_net_by_name(optarg);
			if (!o.net) {
				fprintf(stderr, "index: unknown network '%s'\n", optarg);
				return TL_EXIT_USAGE;
			}
			break;
		case 'c':
		case 'u':
		case 'U':
		case 'B':
		case O_ATTEMPTS:
			/* attempts may be 0 (forever), an until any height */
			if (parse_u32(optarg, &v) < 0 || (c != 'u' && c != O_ATTEMPTS && v == 0) ||
			    ((c == 'u' || c == O_ATTEMPTS) && v > INT32_MAX)) {
				fprintf(stderr, "index: bad number '%s'\n", optarg);
				return TL_EXIT_USAGE;
			}
			if (c == 'c') o.cache_mb = v;
			else if (c == 'u') o.until = (int32_t)v;
			else if (c == 'U') o.undo_keep = v;
			else if (c == 'B') o.batch_tx = v;
			else ra.max_attempts = (int)v;
			break;
		case 'X': o.no_cluster = 1; break;
		case 'C': o.cluster_heuristics |= TL_CLUSTER_H_FRESH_CHANGE; break;
		case 'q': x.quiet = 1; break;
		case O_RPC: ra.url = optarg; break;
		case O_COOKIE: ra.cookie_file = optarg; break;
		case O_USER: ra.user = optarg; break;
		case O_PASSWORD: ra.password = optarg; break;
		case 'h': usage_of(stdout); return TL_EXIT_OK;
		default: usage_of(stderr); return TL_EXIT_USAGE;
		}
	}
	if ((rpc ? !ra.url : !o.blocks_dir) || !o.db_path || optind != argc) {
		usage_of(stderr);
		return TL_EXIT_USAGE;
	}
	tl_progress_init(&x.pr, stderr, x.quiet);
	o.progress = on_progress;
	o.warn = on_warn;
	o.ctx = &x;
	o.stop = &g_stop;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	struct tl_index_stats st;
	struct tl_err err;
	char fetched[INDEX_RPC_REPORT] = "";
	int rc = rpc ? index_rpc_run(&ra, &o, &st, fetched, &err) : tl_index_run(&o, &st, &err);
	tl_progress_done(&x.pr);
	if (rc < 0) {
		fprintf(stderr, "index: %s\n", err.msg);
		return TL_EXIT_FAIL;
	}
	/* A signal may also end the fetch before the index ran. */
	if (rpc && g_stop) st.stopped = 1;
	if (!x.quiet) {
		if (*fetched) fprintf(stderr, "%s\n", fetched);
		double s = st.seconds > 0.001 ? st.seconds : 0.001;
		if (st.blocks_rolled_back && rpc) /* the node path sums no reorg details */
			fprintf(stderr, "reorg: rolled back %u blocks to height %d\n", st.blocks_rolled_back,
				st.fork_height);
		else if (st.blocks_rolled_back)
			fprintf(stderr,
				"reorg: %u blocks deep, fork at height %d: %llu transactions rolled back, %llu of "
				"them not in the new branch (dropped); %u tagged addresses rolled back (their tags "
				"pending again), %u tagged addresses applied\n",
				st.blocks_rolled_back, st.fork_height, (unsigned long long)st.reorg_txs,
				(unsigned long long)st.reorg_dropped, st.tagged_rolled_back, st.tagged_applied);
		fprintf(stderr,
			"indexed %u blocks (height %d -> %d), %llu txs, %llu inputs, %llu outputs in %.1f s: "
			"%.0f tx/s, %.1f MB/s\n",
			st.blocks_indexed, st.tip_before, st.tip_after, (unsigned long long)st.txs,
			(unsigned long long)st.inputs, (unsigned long long)st.outputs, st.seconds, st.txs / s,
			st.bytes / s / 1e6);
		if (!rpc) {
			fprintf(stderr,
				"prevout cache: %llu hits, %llu misses; unknown prevouts: %llu this run, %llu in total\n",
				(unsigned long long)st.cache_hits, (unsigned long long)st.cache_misses,
				(unsigned long long)st.unknown_inputs, (unsigned long long)st.unknown_inputs_total);
			fprintf(stderr, "blocks dir: %u blk files, %u stale blocks skipped; database: %.1f MiB on disk\n",
				st.blk_files, st.stale_blocks, st.db_bytes / 1048576.0);
		}
		if (st.stopped) fprintf(stderr, "stopped by signal; run again to continue\n");
	}
	if (st.stopped) {
		if (json) print_json(&st, NULL);
		return TL_EXIT_OK;
	}
	/* Keep the screening index of every imported heist current: only the
	 * new blocks are walked (or a heist is rebuilt after a reorg). Also
	 * when this run wrote nothing: a run killed before this point left
	 * the blocks written and the taint behind (a current heist costs one
	 * read). */
	struct tl_store *s;
	struct tl_store_opts so = { .cache_mb = 64 };
	if (tl_store_open(o.db_path, &so, &s, &err) < 0) {
		fprintf(stderr, "index: screening update: %s\n", err.msg);
		return TL_EXIT_FAIL;
	}
	struct tl_screen_update_stats us;
	rc = tl_screen_update(s, &us, &err);
	tl_store_close(s);
	if (rc < 0) {
		fprintf(stderr, "index: screening update: %s\n", err.msg);
		return TL_EXIT_FAIL;
	}
	if (!x.quiet && us.heists)
		fprintf(stderr, "screening index: %u heists brought to the tip (%u rebuilt), %llu txs walked, "
			"%llu tainted outputs written\n", us.heists, us.rebuilt, (unsigned long long)us.visited,
			(unsigned long long)us.written);
	if (!x.quiet && (st.blocks_rolled_back || us.moved || us.vanished || us.resolved))
		fprintf(stderr, "reorg: heists whose seeds moved: %u, vanished (unresolved now): %u, found again: %u\n",
			us.moved, us.vanished, us.resolved);
	if (!x.quiet && us.unresolved)
		fprintf(stderr, "warning: %u heists have seeds that are not in the index (see 'taintline screen')\n",
			us.unresolved);
	if (json) print_json(&st, &us);
	return TL_EXIT_OK;
}
