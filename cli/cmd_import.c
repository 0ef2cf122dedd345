/* taintline import: a partner's STIX 2.1 bundle or MISP event into the
 * database (report/import.h): its wallets as tags, its theft as a heist. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "report/import.h"
#include "store/store.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: taintline import --db DB --from PARTNER [--tlp LEVEL] [--confidence N] FILE\n"
	           "  Imports a partner's STIX 2.1 bundle or MISP event: its wallets become tags\n"
	           "  (source PARTNER, the TLP level of their markings kept in the notes), its theft a\n"
	           "  heist with seeds (id PARTNER-XXXXXXXX). Importing the same file again adds nothing.\n"
	           "  --from PARTNER   who shared it (letters, digits, spaces, . _ -)\n"
	           "  --tlp LEVEL      the level of everything in the file, whatever its markings say\n"
	           "  --confidence N   confidence 0..100 of tags whose object gives none (default unknown)\n");
}

int cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },         { "from", required_argument, NULL, 'f' },
		{ "tlp", required_argument, NULL, 't' },        { "confidence", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },             { NULL, 0, NULL, 0 },
	};
	const char *db = NULL;
	struct tl_share_import_opts o = { .tlp = TL_TLP_AMBER, .confidence = -1 };
	struct tl_err err;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'f': o.source = optarg; break;
		case 't':
			if (tl_tlp_parse(optarg, &o.tlp, &err)) {
				fprintf(stderr, "import: --tlp: %s\n", err.msg);
				return TL_EXIT_USAGE;
			}
			o.tlp_override = 1;
			break;
		case 'c': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (!*optarg || *end || v < 0 || v > 100) {
				fprintf(stderr, "import: --confidence wants 0..100\n");
				return TL_EXIT_USAGE;
			}
			o.confidence = (int)v;
			break;
		}
		case 'h': usage(stdout); return TL_EXIT_OK;
		default: usage(stderr); return TL_EXIT_USAGE;
		}
	}
	if (!db || !o.source || optind != argc - 1) {
		usage(stderr);
		return TL_EXIT_USAGE;
	}
	json_error_t je;
	json_t *doc = json_load_file(argv[optind], JSON_REJECT_DUPLICATES, &je);
	if (!doc) {
		fprintf(stderr, "import: %s: line %d: %s\n", argv[optind], je.line, je.text);
		return TL_EXIT_FAIL;
	}
	struct tl_store_opts so = { .cache_mb = 64 };
	struct tl_store *st = NULL;
	struct tl_share_import_report rep;
	int rc = TL_EXIT_FAIL;
	if (tl_store_open(db, &so, &st, &err) || tl_share_import(st, doc, &o, &rep, &err)) {
		fprintf(stderr, "import: %s\n", err.msg);
		goto out;
	}
	printf("%s from %s: %lu tags stored (%lu already there)", rep.format, o.source, rep.tags_stored,
	       rep.tags_existing);
	if (rep.heist_id[0])
		printf("; heist %s with %lu seeds (%s)\n", rep.heist_id, rep.seeds, rep.heists_added ? "added" : "updated");
	else
		printf("; no theft with seeds in it\n");
	rc = TL_EXIT_OK;
out:
	tl_store_close(st);
	json_decref(doc);
	return rc;
}
