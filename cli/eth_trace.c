/* taintline trace on an Ethereum database: argv and output around the
 * library's trace (tracer/eth_trace.h), which the API serves too. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "ethereum/u256.h"
#include "store/eth_store.h"
#include "taint/account.h"
#include "taint/report.h"
#include "tracer/eth_trace.h"
#include "taint/graph.h"
#include "tracer/trace.h"

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: taintline trace --db ETHDB (--heist ID [--heists FILE] | --seed TXHASH[:TO] ... |\n"
	        "                       --address ADDR [--from DATE|BLOCK] [--to DATE|BLOCK] [--asset TOKEN])\n"
	        "                       [--policy poison|haircut|fifo|seniority] [--max-hops N] [--min-amount UNITS]\n"
	        "                       [--until BLOCK] [--stop-categories LIST] [--stop-at-mixers] [--tags FILE ...]\n"
	        "                       [--format json|csv|dot|html|text] [-o FILE]\n"
	        "  On an Ethereum database: follows tainted amounts through per-(account, asset)\n"
	        "  pools (docs/policies.md, \"Account-model policies\"). Amounts are decimal strings\n"
	        "  in base units (wei, token units).\n"
	        "  --heist ID          a heist imported with 'heist import --db', or of the registry\n"
	        "                      FILE given with --heists (its chain must be this database's:\n"
	        "                      ethereum, or ethereum-<network>)\n"
	        "  --seed TXHASH[:TO]  every value transfer of a transaction (not its fee), or only\n"
	        "                      those to address TO, tainted in full at the recipient\n"
	        "  --address ADDR      everything ADDR received from --from to --to (dates\n"
	        "                      YYYY-MM-DD in UTC or block numbers, both ends inclusive),\n"
	        "                      of one asset with --asset (ETH or a token contract)\n"
	        "  --policy P          default haircut\n"
	        "  --max-hops N        default %u; 0 = no limit\n"
	        "  --min-amount UNITS  taint below this on a transfer is cut (base units; 0 = none)\n"
	        "  --until BLOCK       stop after this block: holdings are at that block\n"
	        "  --stop-categories   default exchange,bridge,service\n"
	        "  --stop-at-mixers    accounts tagged mixer are endpoints instead of walked through\n"
	        "  --deposit-heuristic an untagged account whose every outgoing transfer goes to one\n"
	        "                      account tagged exchange is taken for that exchange's deposit\n"
	        "                      account: a transfer into it is the endpoint (docs/policies.md)\n"
	        "  --tags FILE         tag files (CSV, TagPack, OFAC XML) besides the tags imported\n"
	        "                      with 'tags import --db'; entries of this chain only\n",
	        TL_TRACE_DEFAULT_MAX_HOPS);
}


int cmd_trace_eth(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },          { "heist", required_argument, NULL, 'H' },
		{ "heists", required_argument, NULL, 'R' },      { "seed", required_argument, NULL, 's' },
		{ "address", required_argument, NULL, 'a' },     { "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },          { "asset", required_argument, NULL, 'A' },
		{ "tags", required_argument, NULL, 'T' },        { "policy", required_argument, NULL, 'p' },
		{ "max-hops", required_argument, NULL, 'm' },    { "min-amount", required_argument, NULL, 'n' },
		{ "until", required_argument, NULL, 'u' },       { "stop-categories", required_argument, NULL, 'c' },
		{ "stop-at-mixers", no_argument, NULL, 'M' },    { "format", required_argument, NULL, 'F' },
		{ "output", required_argument, NULL, 'o' },      { "help", no_argument, NULL, 'h' },
		{ "deposit-heuristic", no_argument, NULL, 'D' }, { NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *heist = NULL, *heists = NULL, *address = NULL, *from = NULL, *to = NULL, *asset = NULL,
	           *format = "json", *outpath = NULL, *stops = "exchange,bridge,service";
	const char *seedv[256], *tags[16];
	int nseeds = 0, ntags = 0, c, stop_mixers = 0, deposit = 0;
	struct tl_taint_params p;
	tl_taint_params_default(&p);
	p.max_hops = TL_TRACE_DEFAULT_MAX_HOPS;
	int64_t until = -1;
	char *end;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'H': heist = optarg; break;
		case 'R': heists = optarg; break;
		case 's':
			if (nseeds == 256) { fprintf(stderr, "trace: at most 256 --seed\n"); return TL_EXIT_USAGE; }
			seedv[nseeds++] = optarg;
			break;
		case 'a': address = optarg; break;
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'A': asset = optarg; break;
		case 'T':
			if (ntags == 16) { fprintf(stderr, "trace: at most 16 --tags\n"); return TL_EXIT_USAGE; }
			tags[ntags++] = optarg;
			break;
		case 'p':
			if (tl_taint_policy_parse(optarg, &p.policy)) {
				fprintf(stderr, "trace: unknown policy '%s' (poison, haircut, fifo, seniority)\n", optarg);
				return TL_EXIT_USAGE;
			}
			break;
		case 'm': {
			unsigned long v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || v > UINT32_MAX) { fprintf(stderr, "trace: bad --max-hops\n"); return TL_EXIT_USAGE; }
			p.max_hops = (uint32_t)v;
			break;
		}
		case 'n':
			if (tl_uint256_from_dec(optarg, strlen(optarg), &p.min_amount)) {
				fprintf(stderr, "trace: bad --min-amount (base units, a decimal integer)\n");
				return TL_EXIT_USAGE;
			}
			break;
		case 'u': {
			long long v = strtoll(optarg, &end, 10);
			if (!*optarg || *end || v < 0) { fprintf(stderr, "trace: bad --until (a block number)\n"); return TL_EXIT_USAGE; }
			until = v;
			break;
		}
		case 'c': stops = optarg; break;
		case 'M': stop_mixers = 1; break;
		case 'D': deposit = 1; break;
		case 'F': format = optarg; break;
		case 'o': outpath = optarg; break;
		case 'h': usage(stdout); return TL_EXIT_OK;
		default: usage(stderr); return TL_EXIT_USAGE;
		}
	}
	int modes = (heist != NULL) + (nseeds > 0) + (address != NULL);
	if (!db || modes != 1 || optind != argc) {
		if (modes != 1) fprintf(stderr, "trace: give exactly one of --heist, --seed, --address\n");
		usage(stderr);
		return TL_EXIT_USAGE;
	}
	if (strcmp(format, "json") && strcmp(format, "csv") && strcmp(format, "dot") && strcmp(format, "html") &&
	    strcmp(format, "text")) {
		fprintf(stderr, "trace: on an Ethereum database --format is json, csv, dot, html or text\n");
		return TL_EXIT_USAGE;
	}
	p.stop_cats = tl_eth_trace_parse_cats(stops);
	if (p.stop_cats == UINT32_MAX) {
		fprintf(stderr, "trace: bad --stop-categories '%s' (exchange, bridge, service, mixer, sanctioned)\n", stops);
		return TL_EXIT_USAGE;
	}
	if (stop_mixers) p.stop_cats |= TL_CAT_MIXER;

	struct tl_err err = { 0 };
	struct tl_eth_store *st = NULL;
	struct tl_eth_store_opts so = { .read_only = true };
	if (tl_eth_store_open(db, &so, &st, &err)) {
		fprintf(stderr, "trace: %s\n", err.msg);
		return TL_EXIT_FAIL;
	}
	int rc = TL_EXIT_FAIL;
	struct tl_eth_trace_req rq;
	tl_eth_trace_req_default(&rq);
	rq.heist = heist;
	rq.heists_file = heists;
	rq.seeds = seedv;
	rq.nseeds = nseeds;
	rq.address = address;
	rq.from = from;
	rq.to = to;
	rq.asset = asset;
	rq.tag_files = tags;
	rq.ntags = ntags;
	rq.p = p;
	rq.stop_at_mixers = stop_mixers;
	rq.deposit_heuristic = deposit;
	rq.until = until;
	json_t *o = NULL;
	if (tl_eth_trace_report(st, &rq, &o, &err)) goto fail;
	char *text = NULL;
	size_t tlen;
	if (!strcmp(format, "csv")) {
		if (tl_taint_report_csv(o, &text, &tlen, &err)) goto fail;
	} else if (!strcmp(format, "dot")) {
		if (tl_taint_report_dot(o, &text, &tlen, &err)) goto fail;
	} else if (!strcmp(format, "html")) {
		if (tl_taint_report_html(o, &text, &tlen, &err)) goto fail;
	} else if (!strcmp(format, "text")) {
		if (tl_taint_report_text(o, &text, &tlen, &err)) goto fail;
	} else if (!(text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER))) {
		tl_err_set(&err, "out of memory");
		goto fail;
	}
	FILE *f = outpath ? fopen(outpath, "w") : stdout;
	if (!f) {
		free(text);
		tl_err_set(&err, "cannot write %s", outpath);
		goto fail;
	}
	int werr = fputs(text, f) < 0 || (!strcmp(format, "json") && fputc('\n', f) == EOF);
	if (outpath) werr |= fclose(f) != 0;
	free(text);
	if (werr) {
		tl_err_set(&err, "writing %s failed", outpath ? outpath : "the output");
		goto fail;
	}
	rc = TL_EXIT_OK;
	goto out;
fail:
	fprintf(stderr, "trace: %s\n", err.msg);
out:
	json_decref(o);
	tl_eth_store_close(st);
	return rc;
}

int eth_screen_materialize(struct tl_eth_store *st, const char *heist, struct tl_err *err)
{
	return tl_eth_screen_materialize(st, heist, err);
}
