/* taintline serve: the HTTP API over an index (api/serve.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/serve.h"
#include "cli/cli.h"
#include "store/eth_store.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: taintline serve --db DB [--db DB] [--listen 127.0.0.1:8080] [--keys FILE] [--threads N]\n"
		   "                       [--follow BLOCKS_DIR] [--blocks-dir DIR] [--network N]\n"
		   "       taintline serve --rpc URL ... (following a node over RPC: serve --rpc URL --help)\n"
		   "                       [--partners FILE] [--signing-key FILE] [--push-interval S]\n"
		   "                       [--rules FILE]\n"
		   "  Serves the index over HTTP: Esplora routes under /api, heists, traces and\n"
		   "  screening under /v1, /healthz and /metrics (see docs/api.md).\n"
		   "  --db DB             a database, once per chain (Bitcoin and Ethereum; the chain\n"
		   "                      is read from the database). Ethereum routes are under\n"
		   "                      /eth/api/v2, and /v1/screen and heist traces cover both\n"
		   "  --listen HOST:PORT  numeric address to listen on (default 127.0.0.1:8080)\n"
		   "  --keys FILE         API keys file (taintline keys add); without it only\n"
		   "                      loopback clients are served, with full access\n"
		   "  --threads N         worker threads (default 2)\n"
		   "  --follow DIR        index new blocks of this blocks directory in process\n"
		   "                      (reorgs included); without it the database is read as a\n"
		   "                      secondary beside a separate 'taintline index'\n"
		   "  --blocks-dir DIR    where full transactions are read (default: the followed\n"
		   "                      directory, else the one the database records)\n"
		   "  --network N         network of a database --follow creates (default main)\n"
		   "  --poll-ms MS        how often to look for new blocks (default 1000)\n"
		   "  --trace-time-ms MS  stop a trace after MS and answer 422 trace_timeout\n"
		   "                      (default: the request's 8 s budget)\n"
		   "  --max-trace-txs N   answer 413 for traces visiting more transactions\n"
		   "                      (default 200000)\n"
		   "  --cors ORIGINS      allow browsers on these origins ('*' or a comma-separated\n"
		   "                      list) to call the /api routes (CORS headers, preflights)\n"
		   "  --trace-memory-mb M answer 413 for traces needing more memory than M MiB\n"
		   "                      (default 256; each pool thread may hold this much)\n"
		   "  --max-conns N       connections open at once; more get 503 (default: the\n"
		   "                      descriptor limit less 64, at most 4096)\n"
		   "  --max-reply-buffer-mb M  reply bytes waiting for slow clients, all together;\n"
		   "                      past it clients that read nothing are cut off (default 128)\n"
		   "  --pool-threads N    traces and imports run at once (default: the cores less\n"
		   "                      one, at least 1)\n"
		   "  --partners FILE     partner servers to push to and accept from, each with its\n"
		   "                      signing public key and TLP level (docs/sharing.md)\n"
		   "  --signing-key FILE  signs exports (GET /v1/export) and pushes\n"
		   "                      (taintline keys signing-key)\n"
		   "  --push-interval S   push new or changed heists to the partners every S\n"
		   "                      seconds (default: only on POST /v1/partners/push)\n"
		   "  --rules FILE        screening risk rules (docs/tracing.md); SIGHUP reloads\n"
		   "                      them (a bad file keeps the rules in force)\n"
		   "  SIGINT or SIGTERM answers the requests in flight, then exits.\n");
}

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },      { "listen", required_argument, NULL, 'l' },
		{ "keys", required_argument, NULL, 'k' },    { "threads", required_argument, NULL, 't' },
		{ "follow", required_argument, NULL, 'f' },  { "blocks-dir", required_argument, NULL, 'b' },
		{ "network", required_argument, NULL, 'n' }, { "poll-ms", required_argument, NULL, 'p' },
		{ "trace-time-ms", required_argument, NULL, 'T' }, { "max-trace-txs", required_argument, NULL, 'X' },
		{ "trace-memory-mb", required_argument, NULL, 'M' }, { "max-conns", required_argument, NULL, 'C' },
		{ "max-reply-buffer-mb", required_argument, NULL, 'B' },
		{ "pool-threads", required_argument, NULL, 'P' },     { "cors", required_argument, NULL, 'O' },
		{ "partners", required_argument, NULL, 'R' },   { "signing-key", required_argument, NULL, 'S' },
		{ "push-interval", required_argument, NULL, 'I' }, { "rules", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
	};
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--rpc") || !strncmp(argv[i], "--rpc=", 6)) return cmd_serve_rpc(argc, argv);
	struct tl_serve_opts o;
	tl_serve_opts_default(&o);
	int c, ndb = 0;
	const char *dbs[2] = { NULL, NULL };
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:l:k:t:f:b:n:p:T:X:M:C:P:O:R:S:I:h", opts, NULL)) != -1) {
		char *end;
		long v;
		switch (c) {
		case 'd':
			if (ndb == 2) {
				fprintf(stderr, "serve: at most two --db (one per chain)\n");
				return TL_EXIT_USAGE;
			}
			dbs[ndb++] = optarg;
			break;
		case 'l': o.listen = optarg; break;
		case 'k': o.keys_file = optarg; break;
		case 'f': o.follow_dir = optarg; break;
		case 'b': o.blocks_dir = optarg; break;
		case 'O': o.cors = optarg; break;
		case 'r': o.rules_file = optarg; break;
		case 'R': o.partners_file = optarg; break;
		case 'S': o.signing_key_file = optarg; break;
		case 'I':
			v = strtol(optarg, &end, 10);
			if (!*optarg || *end || v < 1 || v > 86400 * 7) {
				fprintf(stderr, "serve: bad number '%s' for --push-interval (1..604800 seconds)\n", optarg);
				return TL_EXIT_USAGE;
			}
			o.push_interval_s = (int)v;
			break;
		case 'n':
			o.net = tl_net_by_name(optarg);
			if (!o.net) {
				fprintf(stderr, "serve: unknown network '%s'\n", optarg);
				return TL_EXIT_USAGE;
			}
			break;
		case 't':
		case 'p':
			v = strtol(optarg, &end, 10);
			if (!*optarg || *end || v < 1 || v > (c == 't' ? 256 : 3600000)) {
				fprintf(stderr, "serve: bad number '%s' for --%s\n", optarg, c == 't' ? "threads" : "poll-ms");
				return TL_EXIT_USAGE;
			}
			if (c == 't') o.threads = (int)v;
			else o.poll_ms = (int)v;
			break;
		case 'T':
		case 'X':
			v = strtol(optarg, &end, 10);
			if (!*optarg || *end || v < 1 || v > (c == 'T' ? 3600000L : 1000000000L)) {
				fprintf(stderr, "serve: bad number '%s' for --%s\n", optarg,
					c == 'T' ? "trace-time-ms" : "max-trace-txs");
				return TL_EXIT_USAGE;
			}
			if (c == 'T') o.trace_time_ms = (int)v;
			else o.max_trace_txs = (uint64_t)v;
			break;
		case 'M':
		case 'C':
		case 'B':
		case 'P': {
			long max = c == 'M' || c == 'B' ? 1048576L : c == 'C' ? 1000000L : 256L;
			v = strtol(optarg, &end, 10);
			if (!*optarg || *end || v < 1 || v > max) {
				fprintf(stderr, "serve: bad number '%s' for --%s (1..%ld)\n", optarg,
					c == 'M' ? "trace-memory-mb" : c == 'C' ? "max-conns" : c == 'B' ? "max-reply-buffer-mb"
					: "pool-threads", max);
				return TL_EXIT_USAGE;
			}
			if (c == 'M') o.trace_memory_mb = (uint32_t)v;
			else if (c == 'C') o.max_conns = (int)v;
			else if (c == 'B') o.max_reply_buffer_mb = (uint32_t)v;
			else o.pool_threads = (int)v;
			break;
		}
		case 'h': usage(stdout); return TL_EXIT_OK;
		default: usage(stderr); return TL_EXIT_USAGE;
		}
	}
	if (!ndb || optind != argc) {
		usage(stderr);
		return TL_EXIT_USAGE;
	}
	/* The chain of each database is what it records; one of each. */
	for (int i = 0; i < ndb; i++) {
		const char **slot = tl_eth_store_probe(dbs[i]) ? &o.eth_db_path : &o.db_path;
		if (*slot) {
			fprintf(stderr, "serve: %s and %s are both %s databases: give one database per chain\n", *slot,
				dbs[i], slot == &o.eth_db_path ? "Ethereum" : "Bitcoin");
			return TL_EXIT_USAGE;
		}
		*slot = dbs[i];
	}
	struct tl_app *app;
	struct tl_err err;
	if (tl_app_open(&o, &app, &err) < 0) {
		fprintf(stderr, "serve: %s\n", err.msg);
		return TL_EXIT_FAIL;
	}
	int rc = tl_app_run_until_signal(app, &err);
	if (rc < 0) fprintf(stderr, "serve: %s\n", err.msg);
	tl_app_close(app);
	return rc < 0 ? TL_EXIT_FAIL : TL_EXIT_OK;
}
