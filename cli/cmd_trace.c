/* taintline trace: forward taint trace from a heist, outputs or an
 * address window, printed as JSON, CSV, DOT or HTML. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "report/trace_format.h"
#include "store/eth_store.h"
#include "store/store.h"
#include "tracer/tag_clearance.h"
#include "tracer/trace.h"
#include "tracer/trace_request.h"

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: taintline trace --db DB (--heist ID | --seed TXID[:VOUT] ... |\n"
	        "                       --address ADDR --from DATE [--to DATE]) [OPTIONS]\n"
	        "  Follows stolen funds forward from their seeds and reports where they went.\n"
	        "  --db DB               the index (taintline index)\n"
	        "  --blocks-dir DIR      where the blk files are now, if not where the index was\n"
	        "                        built (addresses are read from them)\n"
	        "  --heist ID            a heist imported into the database (taintline heist import)\n"
	        "  --heists FILE         read heists from this registry file instead of the database\n"
	        "  --seed TXID[:VOUT]    a seed: every output of TXID, or one output (repeatable)\n"
	        "  --address ADDR        seed every output paid to ADDR between --from and --to\n"
	        "  --from DATE, --to DATE  window (YYYY-MM-DD, UTC, inclusive; --to default: open)\n"
	        "  --tags FILE           tag file (CSV, OFAC XML, TagPack) for exchanges/mixers (repeatable)\n"
	        "  --policy P            poison, haircut (default), fifo, tiho\n"
	        "  --max-hops N          stop following after N hops (default %u; 0 = no limit)\n"
	        "  --min-sat S           drop tainted amounts under S sat (default %u; 0 = no limit)\n"
	        "  --until HEIGHT|DATE   ignore spends in blocks after this height or date\n"
	        "  --stop-categories L   comma list of exchange,bridge,service,mixer,sanctioned\n"
	        "                        (default exchange,bridge,service)\n"
	        "  --stop-at-mixers      treat mixers and CoinJoins as endpoints\n"
	        "  --max-tx N            refuse traces visiting more than N transactions (0 = no cap)\n"
	        "  --clearance LEVEL     trace as a caller cleared to LEVEL (clear, green, amber,\n"
	        "                        amber+strict, red/AUDIENCE) sees it: stored tags and heists\n"
	        "                        marked above it are left out as if never imported\n"
	        "  --format F            json (default), csv (edges), dot (Graphviz), html (one page),\n"
	        "                        text (a summary: totals, where it went, peel chains, mixers)\n"
	        "  -o, --output FILE     write to FILE instead of standard output\n"
	        "  An Ethereum database (index --chain ethereum) is traced through account\n"
	        "  pools instead: taintline trace --db ETHDB --help (docs/policies.md).\n"
	        "  Given both, --db BTCDB --db ETHDB --heist ID follows an Ethereum heist through\n"
	        "  THORChain into Bitcoin, in one report (docs/bridges.md).\n",
	        TL_TRACE_DEFAULT_MAX_HOPS, TL_TRACE_DEFAULT_MIN_SAT);
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	if (!s || !*s || *s == '-') return -1;
	unsigned long long x = strtoull(s, &end, 10);
	if (*end) return -1;
	*v = x;
	return 0;
}

/* Words a failed trace for the command line: the message, and the exit
 * code (usage for an until that is neither a height nor a date). */
static int say_failure(const struct tl_trace_req *rq, enum tl_trace_stage at, int r, const struct tl_err *err)
{
	if (at == TL_TRACE_AT_HEIST && err->code == TL_E_NOT_FOUND) {
		if (rq->heists_file)
			fprintf(stderr, "trace: unknown heist '%s' (not in %s)\n", rq->heist, rq->heists_file);
		else
			fprintf(stderr,
			        "trace: unknown heist '%s' (not imported: taintline heist import, or --heists FILE)\n",
			        rq->heist);
	} else if (at == TL_TRACE_AT_UNTIL && err->code == TL_E_BAD_INPUT) {
		fprintf(stderr, "trace: --until: not a height, and %s\n", err->msg);
		return TL_EXIT_USAGE;
	} else if (at == TL_TRACE_AT_UNTIL && err->code == TL_E_NOT_FOUND) {
		fprintf(stderr, "trace: --until %s is before the first block\n", rq->until);
	} else if (r == TL_WALK_TOO_BIG) {
		fprintf(stderr, "trace: more than %llu transactions: narrow the trace (--max-hops, --min-sat, --until)\n",
		        (unsigned long long)rq->p.max_tx);
	} else {
		fprintf(stderr, "trace: %s\n", err->msg);
	}
	return TL_EXIT_FAIL;
}

int cmd_trace(int argc, char **argv)
{
	int ndb = 0; /* two databases: cli/xchain_trace.c */
	for (int i = 1; i < argc; i++) ndb += !strcmp(argv[i], "--db") || !strncmp(argv[i], "--db=", 5);
	if (ndb == 2) return cmd_trace_xchain(argc, argv);
	for (int i = 1; i < argc; i++) { /* an Ethereum database: cli/eth_trace.c */
		const char *d = !strcmp(argv[i], "--db") && i + 1 < argc ? argv[i + 1]
		                : !strncmp(argv[i], "--db=", 5) ? argv[i] + 5 : NULL;
		if (d && tl_eth_store_probe(d)) return cmd_trace_eth(argc, argv);
	}
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },          { "heist", required_argument, NULL, 'H' },
		{ "heists", required_argument, NULL, 'R' },      { "seed", required_argument, NULL, 's' },
		{ "address", required_argument, NULL, 'a' },     { "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },          { "tags", required_argument, NULL, 'T' },
		{ "policy", required_argument, NULL, 'p' },      { "max-hops", required_argument, NULL, 'm' },
		{ "min-sat", required_argument, NULL, 'n' },     { "until", required_argument, NULL, 'u' },
		{ "stop-categories", required_argument, NULL, 'c' }, { "stop-at-mixers", no_argument, NULL, 'M' },
		{ "max-tx", required_argument, NULL, 'x' },      { "format", required_argument, NULL, 'F' },
		{ "output", required_argument, NULL, 'o' },      { "help", no_argument, NULL, 'h' },
		{ "blocks-dir", required_argument, NULL, 'B' }, { "clearance", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *from = NULL, *to = NULL, *format = "json", *outpath = NULL, *bdir = NULL;
	const char *seeds[256], *tags[16];
	int c;
	struct tl_trace_req rq;
	tl_trace_req_default(&rq);
	rq.seeds = seeds;
	rq.tag_files = tags;
	struct tl_walk_params *p = &rq.p;
	struct tl_err err;
	uint64_t v;
	struct tl_clearance clr;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'B': bdir = optarg; break;
		case 'H': rq.heist = optarg; break;
		case 'R': rq.heists_file = optarg; break;
		case 's':
			if (rq.nseeds == 256) { fprintf(stderr, "trace: at most 256 --seed\n"); return TL_EXIT_USAGE; }
			seeds[rq.nseeds++] = optarg;
			break;
		case 'a': rq.address = optarg; break;
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'T':
			if (rq.ntags == 16) { fprintf(stderr, "trace: at most 16 --tags\n"); return TL_EXIT_USAGE; }
			tags[rq.ntags++] = optarg;
			break;
		case 'p':
			if (tl_policy_parse(optarg, &p->policy, &err)) {
				fprintf(stderr, "trace: %s\n", err.msg);
				return TL_EXIT_USAGE;
			}
			break;
		case 'm':
			if (parse_u64(optarg, &v) || v > UINT32_MAX) {
				fprintf(stderr, "trace: --max-hops wants a number\n");
				return TL_EXIT_USAGE;
			}
			p->max_hops = (uint32_t)v;
			break;
		case 'n':
			if (parse_u64(optarg, &p->min_sat)) {
				fprintf(stderr, "trace: --min-sat wants a number of satoshis\n");
				return TL_EXIT_USAGE;
			}
			break;
		case 'u': rq.until = optarg; break;
		case 'c':
			if (tl_trace_parse_cats(optarg, &p->stop_cats, &err)) {
				fprintf(stderr, "trace: %s\n", err.msg);
				return TL_EXIT_USAGE;
			}
			break;
		case 'M': p->stop_at_mixers = 1; break;
		case 'x':
			if (parse_u64(optarg, &p->max_tx)) {
				fprintf(stderr, "trace: --max-tx wants a number\n");
				return TL_EXIT_USAGE;
			}
			break;
		case 'C':
			if (tl_clearance_from_name(optarg, &clr, &err)) {
				fprintf(stderr, "trace: --clearance: %s\n", err.msg);
				return TL_EXIT_USAGE;
			}
			rq.clearance = &clr;
			break;
		case 'F': format = optarg; break;
		case 'o': outpath = optarg; break;
		case 'h': usage(stdout); return TL_EXIT_OK;
		default: usage(stderr); return TL_EXIT_USAGE;
		}
	}
	if (!db || optind != argc) {
		usage(stderr);
		return TL_EXIT_USAGE;
	}
	int modes = (rq.heist != NULL) + (rq.nseeds > 0) + (rq.address != NULL);
	if (modes != 1) {
		fprintf(stderr, "trace: give exactly one of --heist, --seed, --address\n");
		return TL_EXIT_USAGE;
	}
	if (rq.address && !from) {
		fprintf(stderr, "trace: --address needs --from DATE\n");
		return TL_EXIT_USAGE;
	}
	if (!tl_trace_format_ctype(format)) {
		fprintf(stderr, "trace: unknown format '%s' (" TL_TRACE_FORMATS ")\n", format);
		return TL_EXIT_USAGE;
	}
	if (from && tl_trace_parse_date(from, 0, &rq.from, &err)) {
		fprintf(stderr, "trace: --from: %s\n", err.msg);
		return TL_EXIT_USAGE;
	}
	if (to && tl_trace_parse_date(to, 1, &rq.to, &err)) {
		fprintf(stderr, "trace: --to: %s\n", err.msg);
		return TL_EXIT_USAGE;
	}
	for (size_t i = 0; i < rq.nseeds; i++) {
		uint8_t txid[32];
		uint32_t vout;
		if (tl_trace_parse_outpoint(seeds[i], txid, &vout, &err)) {
			fprintf(stderr, "trace: %s\n", err.msg);
			return TL_EXIT_USAGE;
		}
	}

	int rc = TL_EXIT_FAIL;
	struct tl_store *s = NULL;
	json_t *res = NULL;
	char *buf = NULL;
	size_t len = 0;
	struct tl_store_opts so = { .read_only = true, .cache_mb = 256 };
	if (tl_store_open(db, &so, &s, &err)) {
		fprintf(stderr, "trace: %s\n", err.msg);
		goto out;
	}
	if (bdir && tl_store_set_blocks_dir(s, bdir, &err)) {
		fprintf(stderr, "trace: --blocks-dir: %s\n", err.msg);
		goto out;
	}
	enum tl_trace_stage at;
	int r = tl_trace_request_run(s, &rq, &res, &at, &err);
	if (r) {
		rc = say_failure(&rq, at, r, &err);
		goto out;
	}
	if (tl_trace_render(res, format, &buf, &len, &err)) {
		fprintf(stderr, "trace: %s\n", err.msg);
		goto out;
	}
	FILE *f = outpath ? fopen(outpath, "w") : stdout;
	if (!f) {
		perror(outpath);
		goto out;
	}
	int bad = fwrite(buf, 1, len, f) != len;
	if (len && buf[len - 1] != '\n') bad |= fputc('\n', f) == EOF;
	if (outpath) bad |= fclose(f) != 0;
	else bad |= fflush(f) != 0;
	if (bad) {
		fprintf(stderr, "trace: write error\n");
		goto out;
	}
	rc = TL_EXIT_OK;
out:
	free(buf);
	json_decref(res);
	tl_store_close(s);
	return rc;
}
