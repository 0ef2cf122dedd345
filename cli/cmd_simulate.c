/* taintline simulate: write a simulated blocks dir with ground truth, or
 * extend one with a reorg. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "sim/eth.h"
#include "sim/sim.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: taintline simulate [--chain bitcoin] --out DIR [--seed N] [--blocks B] [--txs-per-block T]\n"
		"                          [--network regtest] [--fast] [--no-xor] [--forks F] [--shape demo|mainnet]\n"
		"       taintline simulate --extend DIR --reorg D [--blocks B]\n"
		"  Writes DIR/blocks/blk*.dat (+ xor.dat), DIR/truth.json, DIR/tags.csv and\n"
		"  DIR/heists.json: a regtest chain with a simulated economy and DPRK-style heists.\n"
		"  The same arguments always give byte-identical files.\n"
		"  --out DIR            output directory (its blocks/ must be empty)\n"
		"  --seed N             PRNG seed (default 1)\n"
		"  --blocks B           best-chain blocks above genesis, >= 120 (default 300);\n"
		"                       with --extend: blocks added after the replacing branch (default 0)\n"
		"  --txs-per-block T    transactions per block once the economy runs, 1..3000 (default 50)\n"
		"  --network regtest    the only network: mainnet difficulty cannot be mined\n"
		"  --fast               random bytes instead of real keys and signatures (benchmarks)\n"
		"  --no-xor             all-zero xor.dat (plain blk files)\n"
		"  --forks F            stale branches of 1-6 blocks (default 3)\n"
		"  --shape mainnet      transactions shaped like mainnet's (input/output counts, script\n"
		"                       types, old coins, hot addresses; docs/simulator.md); default demo\n"
		"  --extend DIR --reorg D  append a branch forking D blocks below the tip, D+1 blocks\n"
		"                       long, plus --blocks more; rewrites the truth files. The branch\n"
		"                       re-mines the replaced transactions a block later, drops three\n"
		"                       and double-spends a tainted coin (docs/simulator.md)\n"
		"       taintline simulate --chain multichain --out DIR [--seed N]\n"
		"  Both, linked through THORChain: DIR/ethereum, DIR/bitcoin, truth.json (docs/bridges.md).\n"
		"       taintline simulate --chain ethereum --out DIR [--seed N] [--blocks B]\n"
		"                          [--txs-per-block T] [--heists H] [--network mainnet|dev] [--no-rpc]\n"
		"  Ethereum: writes an ethereum-etl export (blocks, transactions, receipts, logs,\n"
		"  token_transfers, traces .csv), DIR/rpc/*.jsonl (the same blocks as JSON-RPC\n"
		"  responses), truth.json, tags.csv and heists.json; --blocks >= 150 (default 300),\n"
		"  --txs-per-block 1..5000 (default 50), --heists 0..8 Bybit-shaped heists (default 1),\n"
		"  --network names the chain in tags and heists: ethereum (mainnet, default) or\n"
		"  ethereum-dev; --no-rpc skips the JSON-RPC files.\n"
		"  -q, --quiet          no progress\n"
		"  -h, --help           this text\n");
}

struct progress {
	int tty, quiet;
	struct timespec start;
	uint32_t last_h;
};

static double elapsed(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void on_progress(void *ctx, uint32_t h, uint32_t tip, uint64_t txs)
{
	struct progress *p = ctx;
	if (p->quiet) return;
	int step = p->tty ? 10 : 1000;
	if (h != tip && h - p->last_h < (uint32_t)step) return;
	p->last_h = h;
	double s = elapsed(&p->start);
	double rate = s > 0 ? (double)txs / s : 0;
	double eta = h ? s * (double)(tip - h) / (double)h : 0;
	if (p->tty)
		fprintf(stderr, "\r  block %u/%u  %" PRIu64 " tx  %.0f tx/s  ETA %.0f s   ", h, tip, txs, rate, eta);
	else
		fprintf(stderr, "block %u/%u, %" PRIu64 " tx, %.0f tx/s\n", h, tip, txs, rate);
	if (p->tty && h == tip) fputc('\n', stderr);
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	if (!*s || *s == '-') return -1;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end) return -1;
	*out = v;
	return 0;
}

/* taintline simulate --chain ethereum ... */
static int eth_simulate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "chain", required_argument, NULL, 'c' },
		{ "out", required_argument, NULL, 'o' },
		{ "seed", required_argument, NULL, 's' },
		{ "blocks", required_argument, NULL, 'b' },
		{ "txs-per-block", required_argument, NULL, 't' },
		{ "heists", required_argument, NULL, 'H' },
		{ "network", required_argument, NULL, 'n' },
		{ "no-rpc", no_argument, NULL, 'R' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tl_eth_sim_params p;
	tl_eth_sim_params_default(&p);
	const char *out = NULL;
	uint64_t v;
	int quiet = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:o:s:b:t:H:n:Rqh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': break; /* ethereum, checked by the caller */
		case 'o': out = optarg; break;
		case 's':
			if (parse_u64(optarg, &p.seed)) goto bad_number;
			break;
		case 'b':
			if (parse_u64(optarg, &v) || v > UINT32_MAX) goto bad_number;
			p.blocks = (uint32_t)v;
			break;
		case 't':
			if (parse_u64(optarg, &v) || v > UINT32_MAX) goto bad_number;
			p.txs_per_block = (uint32_t)v;
			break;
		case 'H':
			if (parse_u64(optarg, &v) || v > UINT32_MAX) goto bad_number;
			p.heists = (uint32_t)v;
			break;
		case 'n':
			if (strcmp(optarg, "mainnet") == 0) p.mainnet = true;
			else if (strcmp(optarg, "dev") == 0) p.mainnet = false;
			else {
				fprintf(stderr, "simulate: --network for ethereum is mainnet or dev, not '%s'\n", optarg);
				return TL_EXIT_USAGE;
			}
			break;
		case 'R': p.rpc = false; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return TL_EXIT_OK;
		default: usage(stderr); return TL_EXIT_USAGE;
		}
	}
	if (optind != argc || !out) {
		usage(stderr);
		return TL_EXIT_USAGE;
	}
	struct progress pr = { .tty = isatty(2), .quiet = quiet };
	clock_gettime(CLOCK_MONOTONIC, &pr.start);
	p.progress = on_progress;
	p.progress_ctx = &pr;
	struct tl_eth_sim_stats st;
	struct tl_err err = { 0 };
	if (tl_eth_sim_run(out, &p, &st, &err)) {
		fprintf(stderr, "simulate: %s\n", err.msg);
		return TL_EXIT_FAIL;
	}
	double s = elapsed(&pr.start);
	if (!quiet)
		printf("wrote %s: blocks 0..%u, %" PRIu64 " transactions (%" PRIu64 " failed), %" PRIu64 " traces, %" PRIu64
		       " logs, %" PRIu64 " token transfers, %" PRIu64 " accounts; CSV %.1f MiB, JSON-RPC %.1f MiB; %.2f s (%.0f tx/s)\n",
		       out, st.tip, st.txs, st.failed, st.traces, st.logs, st.token_transfers, st.accounts,
		       (double)st.csv_bytes / 1048576.0, (double)st.rpc_bytes / 1048576.0, s, s > 0 ? (double)st.txs / s : 0.0);
	return TL_EXIT_OK;

bad_number:
	fprintf(stderr, "simulate: '%s' is not a valid number\n", optarg);
	return TL_EXIT_USAGE;
}

int cmd_simulate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "seed", required_argument, NULL, 's' },
		{ "blocks", required_argument, NULL, 'b' },
		{ "txs-per-block", required_argument, NULL, 't' },
		{ "network", required_argument, NULL, 'n' },
		{ "fast", no_argument, NULL, 'f' },
		{ "no-xor", no_argument, NULL, 'x' },
		{ "forks", required_argument, NULL, 'k' },
		{ "extend", required_argument, NULL, 'e' },
		{ "reorg", required_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "chain", required_argument, NULL, 'c' },
		{ "heists", required_argument, NULL, 'H' },
		{ "no-rpc", no_argument, NULL, 'R' },
		{ "shape", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tl_sim_params p;
	tl_sim_params_default(&p);
	const char *out = NULL, *ext = NULL;
	uint64_t v, reorg = 0, blocks = 0;
	int have_blocks = 0, have_reorg = 0, quiet = 0, c;
	/* Ethereum: a separate simulator with its own options (see eth_simulate). */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if ((strcmp(a, "--chain") == 0 && i + 1 < argc && strcmp(argv[i + 1], "multichain") == 0) ||
		    strcmp(a, "--chain=multichain") == 0)
			return cmd_simulate_xchain(argc, argv);
		if ((strcmp(a, "--chain") == 0 && i + 1 < argc && strcmp(argv[i + 1], "ethereum") == 0) ||
		    strcmp(a, "--chain=ethereum") == 0)
			return eth_simulate(argc, argv);
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:s:b:t:n:fxk:e:r:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (strcmp(optarg, "bitcoin") != 0) {
				fprintf(stderr, "simulate: unknown chain '%s' (bitcoin, ethereum or multichain)\n", optarg);
				return TL_EXIT_USAGE;
			}
			break;
		case 'H':
		case 'R':
			fprintf(stderr, "simulate: --heists and --no-rpc are Ethereum options (--chain ethereum)\n");
			return TL_EXIT_USAGE;
		case 'S':
			if (strcmp(optarg, "mainnet") == 0) p.shape = TL_SIM_SHAPE_MAINNET;
			else if (strcmp(optarg, "demo") == 0) p.shape = TL_SIM_SHAPE_DEMO;
			else {
				fprintf(stderr, "simulate: unknown shape '%s' (demo or mainnet)\n", optarg);
				return TL_EXIT_USAGE;
			}
			break;
		case 'o': out = optarg; break;
		case 'e': ext = optarg; break;
		case 's':
			if (parse_u64(optarg, &p.seed)) goto bad_number;
			break;
		case 'b':
			if (parse_u64(optarg, &blocks) || blocks > UINT32_MAX) goto bad_number;
			have_blocks = 1;
			break;
		case 't':
			if (parse_u64(optarg, &v) || v > UINT32_MAX) goto bad_number;
			p.txs_per_block = (uint32_t)v;
			break;
		case 'k':
			if (parse_u64(optarg, &v) || v > UINT32_MAX) goto bad_number;
			p.forks = (uint32_t)v;
			break;
		case 'r':
			if (parse_u64(optarg, &reorg) || reorg > UINT32_MAX) goto bad_number;
			have_reorg = 1;
			break;
		case 'n': {
			const struct tl_netparams *np = tl_net_by_name(optarg);
			if (!np) {
				fprintf(stderr, "simulate: unknown network '%s'\n", optarg);
				return TL_EXIT_USAGE;
			}
			if (np->net != TL_NET_REGTEST) {
				fprintf(stderr, "simulate: --network %s is not supported: the simulator mines real proof of work and "
						"can only reach regtest's difficulty (0x207fffff); blocks claiming another network "
						"would fail its proof-of-work check. Use --network regtest.\n", optarg);
				return TL_EXIT_USAGE;
			}
			p.net = np->net;
			break;
		}
		case 'f': p.fast = true; break;
		case 'x': p.xor_key = false; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return TL_EXIT_OK;
		default: usage(stderr); return TL_EXIT_USAGE;
		}
	}
	if (optind != argc || (!out) == (!ext) || (ext && !have_reorg) || (!ext && have_reorg)) {
		usage(stderr);
		return TL_EXIT_USAGE;
	}
	struct progress pr = { .tty = isatty(2), .quiet = quiet };
	clock_gettime(CLOCK_MONOTONIC, &pr.start);
	p.progress = on_progress;
	p.progress_ctx = &pr;
	struct tl_sim_stats st;
	struct tl_err err = { 0 };
	int rc;
	if (ext) {
		rc = tl_sim_extend(ext, (uint32_t)reorg, have_blocks ? (uint32_t)blocks : 0, on_progress, &pr, &st, &err);
	} else {
		if (have_blocks) p.blocks = (uint32_t)blocks;
		rc = tl_sim_run(out, &p, &st, &err);
	}
	if (rc) {
		fprintf(stderr, "simulate: %s\n", err.msg);
		return TL_EXIT_FAIL;
	}
	double s = elapsed(&pr.start);
	if (!quiet)
		printf("%s %s: tip height %u, %" PRIu64 " transactions, %" PRIu64 " blocks written (%" PRIu64
		       " stale), %.1f MiB in %u blk file(s), %" PRIu64 " addresses; %.2f s (%.0f tx/s)\n",
		       ext ? "extended" : "wrote", ext ? ext : out, st.tip, st.txs, st.blocks_written, st.stale_blocks,
		       (double)st.bytes / 1048576.0, st.files, st.addresses, s, s > 0 ? (double)st.txs / s : 0.0);
	return TL_EXIT_OK;

bad_number:
	fprintf(stderr, "simulate: '%s' is not a valid number\n", optarg);
	return TL_EXIT_USAGE;
}
