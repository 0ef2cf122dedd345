/* taintline screen: exposure of an address, output or transaction to the
 * registered heists (a lookup in the materialized taint index), and the
 * maintenance of that index (--rebuild, --update). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bitcoin/hash.h"
#include "cli/cli.h"
#include "store/eth_store.h"
#include "store/store.h"
#include "tracer/screen.h"
#include "tracer/screen_xchain.h"
#include "tracer/trace.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: taintline screen --db DB (--address A | --outpoint TXID:VOUT | --txid TXID) [OPTIONS]\n"
	           "       taintline screen --db DB --rebuild [--min-sat S] [--max-hops N] [--rules FILE]\n"
	           "       taintline screen --db DB --update [--rules FILE]\n"
	           "       taintline screen --db BTCDB --db ETHDB --update | --address A [OPTIONS]\n"
	           "  Says whether funds are exposed to a registered heist or to a tagged category\n"
	           "  (sanctioned, mixer, thief, ransomware, darknet, scam): risk (severe, high,\n"
	           "  medium, low, none) and score, the exposures with the entities they name, the\n"
	           "  reasons, and the tip and rule set the verdict was made at.\n"
	           "  --json          JSON instead of text\n"
	           "  --fail-on LEVEL exit 3 when the risk is LEVEL or above (severe, high, medium,\n"
	           "                  low), for pipelines; the verdict is printed either way\n"
	           "  --blocks-dir DIR  where the blk files are now, if not where the index was built\n"
	           "  --rules FILE    risk rules (docs/tracing.md); with --rebuild or --update: also\n"
	           "                  recorded as the rules re-screens of stored transfers use\n"
	           "  --withdrawal    with --address: the destination of funds (where its coins went)\n"
	           "  --backward N    also walk back N hops from the output (--outpoint) to the heists' seeds\n"
	           "  --rebuild       recompute the taint index of every imported heist from scratch\n"
	           "  --update        bring the taint index to the database tip (only new blocks walked);\n"
	           "                  with both databases: carry exposure across THORChain both ways\n"
	           "  --min-sat S     with --rebuild: drop tainted amounts under S sat (default 1000)\n"
	           "  --max-hops N    with --rebuild: hop limit of the category sources (default 6);\n"
	           "                  with --withdrawal: of the destination walk\n");
}

static void print_text(const json_t *v)
{
	const json_t *s = json_object_get(v, "subject");
	const char *what = json_string_value(json_object_get(s, "address"));
	if (!what) what = json_string_value(json_object_get(s, "outpoint"));
	if (!what) what = json_string_value(json_object_get(s, "txid"));
	printf("%s\n  risk: %s%s\n", what ? what : "?", json_string_value(json_object_get(v, "risk")),
	       json_is_true(json_object_get(v, "sanctioned")) ? " (sanctioned)" : "");
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(v, "exposures"), i, e) {
		long long a = (long long)json_integer_value(json_object_get(e, "amount_sat"));
		printf("  exposure: heist %s, %lld.%08lld BTC (%lld sat), %.2f%%, %lld hops\n",
		       json_string_value(json_object_get(e, "heist")), a / 100000000, a % 100000000, a,
		       json_real_value(json_object_get(e, "share")) * 100,
		       (long long)json_integer_value(json_object_get(e, "hops")));
	}
	json_array_foreach(json_object_get(v, "categories"), i, e) {
		const json_t *ent = json_object_get(e, "entity");
		if (!ent) continue; /* heists are listed above */
		printf("  %s %s: %lld sat, %.2f%%, %lld hops, %s: %s (cluster %lld, source %s)\n",
		       json_string_value(json_object_get(e, "direction")), json_string_value(json_object_get(e, "category")),
		       (long long)json_integer_value(json_object_get(e, "amount_sat")),
		       json_real_value(json_object_get(e, "share")) * 100,
		       (long long)json_integer_value(json_object_get(e, "hops")),
		       json_string_value(json_object_get(e, "level")), json_string_value(json_object_get(ent, "label")),
		       (long long)json_integer_value(json_object_get(ent, "cluster_id")),
		       json_is_string(json_object_get(ent, "source")) ? json_string_value(json_object_get(ent, "source"))
		                                                       : "unknown");
	}
	json_array_foreach(json_object_get(v, "destination_of_funds"), i, e) {
		const json_t *ent = json_object_get(e, "entity");
		printf("  destination %s: %lld sat, %.2f%%, %lld hops, %s: %s (cluster %lld)\n",
		       json_string_value(json_object_get(e, "category")),
		       (long long)json_integer_value(json_object_get(e, "amount_sat")),
		       json_real_value(json_object_get(e, "share")) * 100,
		       (long long)json_integer_value(json_object_get(e, "hops")),
		       json_string_value(json_object_get(e, "level")), json_string_value(json_object_get(ent, "label")),
		       (long long)json_integer_value(json_object_get(ent, "cluster_id")));
	}
	json_array_foreach(json_object_get(v, "reasons"), i, e) printf("  reason: %s\n", json_string_value(e));
	const json_t *tip = json_object_get(v, "tip");
	if (tip)
		printf("  score %.0f; tip %lld %s; rules %s; screened at %s\n", json_real_value(json_object_get(v, "score")),
		       (long long)json_integer_value(json_object_get(tip, "height")),
		       json_string_value(json_object_get(tip, "hash")),
		       json_string_value(json_object_get(v, "rules_version")),
		       json_string_value(json_object_get(v, "screened_at")));
	json_t *b = json_object_get(v, "backward");
	if (b) {
		printf("  backward walk (%lld hops):\n", (long long)json_integer_value(json_object_get(b, "max_hops")));
		json_array_foreach(json_object_get(b, "sources"), i, e)
			printf("    heist %s: %.0f sat, %.2f%%, %lld hops\n", json_string_value(json_object_get(e, "heist")),
			       json_real_value(json_object_get(e, "amount_sat")),
			       json_real_value(json_object_get(e, "share")) * 100,
			       (long long)json_integer_value(json_object_get(e, "hops")));
	}
}

/* The level of a risk name (4 severe .. 0 none), -1 for another string. */
static int risk_level(const char *name)
{
	for (int i = 0; name && i <= 4; i++)
		if (!strcmp(name, tl_screen_risk_name(i))) return i;
	return -1;
}

/* `screen --db BTCDB --db ETHDB`: --update brings the exposure that
 * crossed THORChain up to date in both screening indexes
 * (tracer/screen_xchain.h); a lookup goes to the database of the
 * subject's chain (0x addresses: Ethereum), where crossed exposure is
 * materialized like any other. */
static int screen_two(int argc, char **argv, const char *btc, const char *eth)
{
	int update = 0, json = 0;
	const char *addr = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--update")) update = 1;
		if (!strcmp(argv[i], "--json")) json = 1;
		if (!strcmp(argv[i], "--address") && i + 1 < argc) addr = argv[i + 1];
		else if (!strncmp(argv[i], "--address=", 10)) addr = argv[i] + 10;
	}
	if (!update) {
		/* the other database's --db left out */
		int eth_subject = addr && (!strncmp(addr, "0x", 2) || !strncmp(addr, "0X", 2));
		const char *drop = eth_subject ? btc : eth;
		char **av = calloc((size_t)argc + 1, sizeof *av);
		int n = 0;
		if (!av) return TL_EXIT_FAIL;
		for (int i = 0; i < argc; i++) {
			if (!strcmp(argv[i], "--db") && i + 1 < argc && argv[i + 1] == drop) {
				i++;
				continue;
			}
			if (!strncmp(argv[i], "--db=", 5) && argv[i] + 5 == drop) continue;
			av[n++] = argv[i];
		}
		int rc = eth_subject ? cmd_screen_eth(n, av) : cmd_screen(n, av);
		free(av);
		return rc;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--db")) {
			i++;
			continue;
		}
		if (strncmp(argv[i], "--db=", 5) && strcmp(argv[i], "--update") && strcmp(argv[i], "--json")) {
			fprintf(stderr, "screen: with two databases --update takes no other option ('%s')\n", argv[i]);
			return TL_EXIT_USAGE;
		}
	}
	struct tl_err err;
	struct tl_store *bs = NULL;
	struct tl_eth_store *es = NULL;
	struct tl_store_opts so = { .cache_mb = 128 };
	struct tl_eth_store_opts eo = { 0 };
	if (tl_store_open(btc, &so, &bs, &err) || tl_eth_store_open(eth, &eo, &es, &err)) {
		fprintf(stderr, "screen: %s\n", err.msg);
		tl_store_close(bs);
		return TL_EXIT_FAIL;
	}
	struct tl_xscreen_stats st;
	int rc = tl_screen_xchain_sync(bs, es, &st, &err);
	if (rc) fprintf(stderr, "screen: %s\n", err.msg);
	else if (json)
		printf("{\"eth_heists\": %u, \"inbounds\": %u, \"btc_heists\": %u, \"eth_payouts\": %u, "
		       "\"btc_pending\": %u}\n", st.eth_heists, st.inbounds, st.btc_heists, st.eth_payouts, st.btc_pending);
	else
		printf("cross-chain screening: %u Ethereum heists reach %u THORChain deposits (seeded on Bitcoin when their "
		       "outbound is indexed); %u Bitcoin heists reach swaps to ETH: %u paid out on Ethereum, %u pending\n",
		       st.eth_heists, st.inbounds, st.btc_heists, st.eth_payouts, st.btc_pending);
	tl_eth_store_close(es);
	tl_store_close(bs);
	return rc ? TL_EXIT_FAIL : TL_EXIT_OK;
}

int cmd_screen(int argc, char **argv)
{
	const char *btc = NULL, *eth = NULL;
	int ndb = 0;
	for (int i = 1; i < argc; i++) { /* an Ethereum database: cli/eth_intel.c */
		const char *d = !strcmp(argv[i], "--db") && i + 1 < argc ? argv[i + 1]
		                : !strncmp(argv[i], "--db=", 5) ? argv[i] + 5 : NULL;
		if (!d) continue;
		ndb++;
		if (tl_eth_store_probe(d)) eth = d;
		else btc = d;
	}
	if (ndb == 2 && btc && eth) return screen_two(argc, argv, btc, eth);
	if (ndb > 1) {
		fprintf(stderr, "screen: two databases are a Bitcoin and an Ethereum one\n");
		return TL_EXIT_USAGE;
	}
	if (eth) return cmd_screen_eth(argc, argv);
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },       { "address", required_argument, NULL, 'a' },
		{ "outpoint", required_argument, NULL, 'o' }, { "txid", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },           { "rules", required_argument, NULL, 'r' },
		{ "backward", required_argument, NULL, 'b' }, { "rebuild", no_argument, NULL, 'R' },
		{ "update", no_argument, NULL, 'U' },         { "min-sat", required_argument, NULL, 'm' },
		{ "blocks-dir", required_argument, NULL, 'B' }, { "fail-on", required_argument, NULL, 'F' },
		{ "withdrawal", no_argument, NULL, 'W' },     { "max-hops", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },           { NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *address = NULL, *outpoint = NULL, *txid = NULL, *rules_path = NULL, *bdir = NULL;
	int json = 0, rebuild = 0, update = 0, withdrawal = 0, c;
	long max_hops = 0;
	long backward = -1;
	int fail_on = -1; /* risk level (tl_screen_risk_name's numbering) that fails */
	struct tl_screen_params sp;
	tl_screen_params_default(&sp);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'd': db = optarg; break;
		case 'B': bdir = optarg; break;
		case 'a': address = optarg; break;
		case 'o': outpoint = optarg; break;
		case 't': txid = optarg; break;
		case 'j': json = 1; break;
		case 'r': rules_path = optarg; break;
		case 'b':
			backward = strtol(optarg, &end, 10);
			if (*end || backward < 1 || backward > 100) {
				fprintf(stderr, "screen: --backward wants 1..100 hops\n");
				return TL_EXIT_USAGE;
			}
			break;
		case 'F':
			fail_on = risk_level(optarg);
			if (fail_on < 1) {
				fprintf(stderr, "screen: --fail-on wants severe, high, medium or low, not '%s'\n", optarg);
				return TL_EXIT_USAGE;
			}
			break;
		case 'R': rebuild = 1; break;
		case 'W': withdrawal = 1; break;
		case 'H':
			max_hops = strtol(optarg, &end, 10);
			if (*end || max_hops < 1 || max_hops > 100) {
				fprintf(stderr, "screen: --max-hops wants 1..100\n");
				return TL_EXIT_USAGE;
			}
			sp.max_hops = (uint32_t)max_hops;
			break;
		case 'U': update = 1; break;
		case 'm':
			sp.min_sat = strtoull(optarg, &end, 10);
			if (*end || *optarg == '-') {
				fprintf(stderr, "screen: --min-sat wants a number of satoshis\n");
				return TL_EXIT_USAGE;
			}
			break;
		case 'h': usage(stdout); return TL_EXIT_OK;
		default: usage(stderr); return TL_EXIT_USAGE;
		}
	}
	int modes = (address != NULL) + (outpoint != NULL) + (txid != NULL) + rebuild + update;
	if (!db || optind != argc || modes != 1) {
		usage(stderr);
		return TL_EXIT_USAGE;
	}
	if (fail_on > 0 && (rebuild || update)) {
		fprintf(stderr, "screen: --fail-on applies to a verdict, not to --rebuild or --update\n");
		return TL_EXIT_USAGE;
	}
	if (withdrawal && !address) {
		fprintf(stderr, "screen: --withdrawal needs --address (the destination of a withdrawal)\n");
		return TL_EXIT_USAGE;
	}
	if (backward > 0 && !outpoint) {
		fprintf(stderr, "screen: --backward needs --outpoint\n");
		return TL_EXIT_USAGE;
	}
	struct tl_err err;
	uint8_t h[32];
	uint32_t vout = 0;
	if (outpoint) {
		if (tl_trace_parse_outpoint(outpoint, h, &vout, &err)) {
			fprintf(stderr, "screen: %s\n", err.msg);
			return TL_EXIT_USAGE;
		}
		if (vout == TL_SEED_WHOLE_TX) {
			fprintf(stderr, "screen: --outpoint wants TXID:VOUT (use --txid for a whole transaction)\n");
			return TL_EXIT_USAGE;
		}
	}
	if (txid && (strlen(txid) != 64 || tl_hash_from_hex(txid, h))) {
		fprintf(stderr, "screen: bad txid '%s': 64 hex digits expected\n", txid);
		return TL_EXIT_USAGE;
	}
	struct tl_screen_rules rules;
	tl_screen_rules_default(&rules);
	if (rules_path && tl_screen_rules_load(rules_path, &rules, &err)) {
		fprintf(stderr, "screen: %s\n", err.msg);
		return TL_EXIT_USAGE;
	}
	struct tl_store *s = NULL;
	struct tl_store_opts so = { .read_only = !(rebuild || update), .cache_mb = 128 };
	if (tl_store_open(db, &so, &s, &err)) {
		fprintf(stderr, "screen: %s\n", err.msg);
		return TL_EXIT_FAIL;
	}
	if (bdir && tl_store_set_blocks_dir(s, bdir, &err)) {
		fprintf(stderr, "screen: --blocks-dir: %s\n", err.msg);
		tl_store_close(s);
		return TL_EXIT_FAIL;
	}
	int rc = TL_EXIT_FAIL;
	struct tl_screen *sc = NULL;
	json_t *v = NULL;
	if ((rebuild || update) && rules_path) {
		/* re-screens of stored transfers (tag and heist imports) use these */
		size_t len;
		char *txt = NULL;
		FILE *rf = fopen(rules_path, "rb");
		if (rf) {
			txt = malloc(1 << 20 | 1);
			len = txt ? fread(txt, 1, 1 << 20, rf) : 0;
			if (txt) txt[len] = 0;
			fclose(rf);
		}
		if (!txt) {
			fprintf(stderr, "screen: cannot read %s\n", rules_path);
			goto out;
		}
		struct tl_batch *b = tl_batch_new(s);
		tl_batch_put_meta(b, "screen.rules", txt);
		free(txt);
		int wr = tl_store_write(s, b, &err);
		tl_batch_free(b);
		if (wr) {
			fprintf(stderr, "screen: %s\n", err.msg);
			goto out;
		}
	}
	if (rebuild) {
		uint32_t done = 0, skipped = 0;
		if (tl_screen_rebuild(s, &sp, &done, &skipped, &err)) {
			fprintf(stderr, "screen: %s\n", err.msg);
			goto out;
		}
		printf("taint index rebuilt for %u heist%s (%u skipped: seeds not indexed) and every tagged category\n",
		       done, done == 1 ? "" : "s", skipped);
		rc = TL_EXIT_OK;
		goto out;
	}
	if (update) {
		struct tl_screen_update_stats st;
		if (tl_screen_update(s, &st, &err)) {
			fprintf(stderr, "screen: %s\n", err.msg);
			goto out;
		}
		printf("taint index current for %u heist%s (%u rebuilt), %llu transactions walked, %llu outputs written;\n"
		       "%u tagged categor%s (%u rebuilt), %llu transactions walked\n",
		       st.heists, st.heists == 1 ? "" : "s", st.rebuilt, (unsigned long long)st.visited,
		       (unsigned long long)st.written, st.categories, st.categories == 1 ? "y" : "ies",
		       st.categories_rebuilt, (unsigned long long)st.cat_visited);
		rc = TL_EXIT_OK;
		goto out;
	}
	if (tl_screen_open(s, &rules, &sc, &err)) {
		fprintf(stderr, "screen: %s\n", err.msg);
		goto out;
	}
	if (address && withdrawal) v = tl_screen_destination(sc, address, (uint32_t)max_hops, &err);
	else if (address) v = tl_screen_address(sc, address, &err);
	else if (outpoint) v = tl_screen_outpoint(sc, h, vout, &err);
	else v = tl_screen_txid(sc, h, &err);
	if (v && backward > 0) {
		json_t *b = tl_screen_backward(sc, h, vout, (uint32_t)backward, &err);
		if (!b) {
			json_decref(v);
			v = NULL;
		} else {
			json_object_set_new(v, "backward", b);
		}
	}
	if (!v) {
		fprintf(stderr, "screen: %s\n", err.msg);
		goto out;
	}
	if (json) {
		char *txt = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
		if (txt) printf("%s\n", txt);
		free(txt);
	} else {
		print_text(v);
	}
	rc = TL_EXIT_OK;
	if (fail_on > 0 && risk_level(json_string_value(json_object_get(v, "risk"))) >= fail_on) {
		fprintf(stderr, "screen: risk %s is at or above --fail-on %s\n",
			json_string_value(json_object_get(v, "risk")), tl_screen_risk_name(fail_on));
		rc = TL_EXIT_FLAGGED;
	}
out:
	json_decref(v);
	tl_screen_close(sc);
	tl_store_close(s);
	return rc;
}
