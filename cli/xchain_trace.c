/* `taintline trace --db BTCDB --db ETHDB --heist ID`: argv and output
 * around the library's cross-chain trace (tracer/eth_trace.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "ethereum/u256.h"
#include "store/eth_store.h"
#include "store/store.h"
#include "tracer/eth_trace.h"
#include "tracer/trace.h"

static void usage(FILE *f)
{
	fputs("usage: taintline trace --db BTCDB --db ETHDB --heist ID [--heists FILE] [--policy P]\n"
	      "                       [--tags FILE]... [--max-hops N] [--min-sat N] [--min-amount N]\n"
	      "                       [--max-tx N] [--format json|html] [-o FILE]\n"
	      "  Follows a heist stolen on Ethereum through THORChain into Bitcoin and writes one\n"
	      "  JSON report over both chains. The policy is a Bitcoin name (poison, haircut, fifo,\n"
	      "  tiho) or its account analog (seniority for tiho). --max-tx N refuses Bitcoin walks\n"
	      "  visiting more than N transactions (0 = no cap; the server's cap is --max-trace-txs).\n",
	      f);
}

static int write_out(json_t *out, const char *outpath, bool html, struct tl_err *err)
{
	char *text = NULL;
	if (html) {
		if (tl_xchain_render_html(out, &text, err)) return -1;
	} else {
		text = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	}
	FILE *f = outpath ? fopen(outpath, "w") : stdout;
	if (!text || !f) {
		free(text);
		if (f && outpath) fclose(f);
		return tl_err_set(err, "cannot write %s", outpath ? outpath : "the output");
	}
	int bad = fputs(text, f) < 0 || fputc('\n', f) == EOF;
	if (outpath) bad |= fclose(f) != 0;
	free(text);
	return bad ? tl_err_set(err, "write error") : 0;
}

int cmd_trace_xchain(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },       { "heist", required_argument, NULL, 'H' },
		{ "heists", required_argument, NULL, 'R' },   { "policy", required_argument, NULL, 'p' },
		{ "tags", required_argument, NULL, 'T' },     { "max-hops", required_argument, NULL, 'm' },
		{ "min-sat", required_argument, NULL, 'n' },  { "min-amount", required_argument, NULL, 'a' },
		{ "format", required_argument, NULL, 'F' },   { "output", required_argument, NULL, 'o' },
		{ "max-tx", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },           { NULL, 0, NULL, 0 },
	};
	const char *dbs[2] = { NULL, NULL }, *heist = NULL, *heists = NULL, *policy = "haircut", *maxhops = NULL,
		   *minsat = NULL, *minamount = NULL, *outpath = NULL, *tags[16];
	int ndb = 0, ntags = 0, c;
	unsigned long long maxtx = 0;
	bool html = false;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (ndb == 2) { fprintf(stderr, "trace: at most two --db\n"); return TL_EXIT_USAGE; }
			dbs[ndb++] = optarg;
			break;
		case 'H': heist = optarg; break;
		case 'R': heists = optarg; break;
		case 'p': policy = optarg; break;
		case 'T':
			if (ntags == 16) { fprintf(stderr, "trace: at most 16 --tags\n"); return TL_EXIT_USAGE; }
			tags[ntags++] = optarg;
			break;
		case 'm': maxhops = optarg; break;
		case 'n': minsat = optarg; break;
		case 'a': minamount = optarg; break;
		case 'x': {
			char *end;
			maxtx = strtoull(optarg, &end, 10);
			if (!*optarg || *end || optarg[0] == '-') {
				fprintf(stderr, "trace: --max-tx wants a number\n");
				return TL_EXIT_USAGE;
			}
			break;
		}
		case 'F':
			if (strcmp(optarg, "json") && strcmp(optarg, "html")) {
				fprintf(stderr, "trace: over two databases --format is json or html\n");
				return TL_EXIT_USAGE;
			}
			html = !strcmp(optarg, "html");
			break;
		case 'o': outpath = optarg; break;
		case 'h': usage(stdout); return TL_EXIT_OK;
		default: usage(stderr); return TL_EXIT_USAGE;
		}
	}
	if (ndb != 2 || !heist || optind != argc) {
		if (!heist) fprintf(stderr, "trace: over two databases give --heist\n");
		usage(stderr);
		return TL_EXIT_USAGE;
	}
	int e0 = tl_eth_store_probe(dbs[0]), e1 = tl_eth_store_probe(dbs[1]);
	if (e0 == e1) {
		fprintf(stderr, "trace: give one Bitcoin and one Ethereum database\n");
		return TL_EXIT_USAGE;
	}
	const char *ethdb = e0 ? dbs[0] : dbs[1], *btcdb = e0 ? dbs[1] : dbs[0];
	struct tl_xchain_req rq;
	memset(&rq, 0, sizeof rq);
	rq.heist = heist;
	rq.heists_file = heists;
	rq.policy = policy;
	rq.tag_files = tags;
	rq.ntags = ntags;
	rq.max_tx = maxtx;
	struct tl_err err = { 0 };
	struct tl_walk_params wp; /* the policy is checked before any database opens */
	const char *btc_policy = !strcmp(policy, "seniority") ? "tiho" : policy;
	if (tl_policy_parse(btc_policy, &wp.policy, &err)) {
		fprintf(stderr, "trace: %s\n", err.msg);
		return TL_EXIT_USAGE;
	}
	if (maxhops) {
		char *end;
		unsigned long v = strtoul(maxhops, &end, 10);
		if (!*maxhops || *end || v > UINT32_MAX) { fprintf(stderr, "trace: bad --max-hops\n"); return TL_EXIT_USAGE; }
		rq.has_max_hops = 1;
		rq.max_hops = (uint32_t)v;
	}
	if (minsat) {
		char *end;
		unsigned long long v = strtoull(minsat, &end, 10);
		if (!*minsat || *end) { fprintf(stderr, "trace: bad --min-sat\n"); return TL_EXIT_USAGE; }
		rq.has_min_sat = 1;
		rq.min_sat = v;
	}
	if (minamount) {
		if (tl_uint256_from_dec(minamount, strlen(minamount), &rq.min_amount) ||
		    (!minsat && !tl_uint256_fits_u64(&rq.min_amount))) {
			fprintf(stderr, "trace: bad --min-amount\n");
			return TL_EXIT_USAGE;
		}
		rq.has_min_amount = 1;
	}
	int rc = TL_EXIT_FAIL;
	struct tl_eth_store *es = NULL;
	struct tl_store *bs = NULL;
	json_t *out = NULL;
	struct tl_eth_store_opts eso = { .read_only = true };
	struct tl_store_opts bso = { .read_only = true, .cache_mb = 256 };
	if (tl_store_open(btcdb, &bso, &bs, &err) || tl_eth_store_open(ethdb, &eso, &es, &err) ||
	    tl_xchain_trace_report(bs, es, &rq, &out, &err) || write_out(out, outpath, html, &err))
		fprintf(stderr, "trace: %s\n", err.msg);
	else
		rc = TL_EXIT_OK;
	json_decref(out);
	tl_eth_store_close(es);
	tl_store_close(bs);
	return rc;
}
