/* taintline export: a heist's trace (or a saved trace result) as a STIX
 * 2.1 bundle or a MISP event under a TLP level, optionally signed. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "report/case_export.h"
#include "report/export.h"
#include "report/manifest.h"
#include "report/share.h"
#include "report/sign.h"
#include "report/tlp.h"
#include "store/store.h"
#include "tracer/entities.h"
#include "tracer/storegraph.h"
#include "tracer/trace.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: taintline export --format stix|misp (--db DB --heist ID [--policy P] | --db DB --case ID |\n"
	           "                        --trace FILE [--db DB])\n"
	           "                        --tlp LEVEL [--producer NAME] [--sign KEYFILE] -o|--output FILE\n"
	           "  Writes the trace of a heist as a STIX 2.1 bundle or a MISP event, every object\n"
	           "  marked with the TLP 2.0 level (clear, green, amber, amber+strict, red).\n"
	           "  --heist ID       trace this stored heist (taintline heist import) with the trace\n"
	           "                   command's defaults (max-hops %u) and --policy (default haircut);\n"
	           "                   a heist marked with a TLP level (heist import --tlp, or \"tlp\" in\n"
	           "                   its definition, e.g. one a partner shared) is refused at a wider level\n"
	           "  --case ID        export a case of the web app: its wallets, transactions, flows\n"
	           "                   and notes; at the case's own TLP level or a stricter one\n"
	           "  --trace FILE     export a saved trace result (trace --format json) instead\n"
	           "  --producer NAME  the organisation named as the producer (default taintline)\n"
	           "  --sign KEYFILE   sign the export (taintline keys signing-key); with --db the\n"
	           "                   manifest lets taintline verify --db recompute it\n",
	           TL_TRACE_DEFAULT_MAX_HOPS);
}

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },       { "format", required_argument, NULL, 'F' },
		{ "heist", required_argument, NULL, 'H' },    { "trace", required_argument, NULL, 'T' },
		{ "policy", required_argument, NULL, 'p' },   { "tlp", required_argument, NULL, 't' },
		{ "producer", required_argument, NULL, 'P' }, { "sign", required_argument, NULL, 's' },
		{ "output", required_argument, NULL, 'o' },   { "help", no_argument, NULL, 'h' },
		{ "case", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *format = NULL, *heist = NULL, *tracef = NULL, *tlp_s = NULL, *outp = NULL,
	           *keyf = NULL, *case_s = NULL;
	struct tl_export_opts eo = { .tlp = TL_TLP_RED, .producer = NULL };
	enum tl_policy pol = TL_POLICY_HAIRCUT;
	struct tl_err err;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'F': format = optarg; break;
		case 'H': heist = optarg; break;
		case 'T': tracef = optarg; break;
		case 'p':
			if (tl_policy_parse(optarg, &pol, &err)) {
				fprintf(stderr, "export: %s\n", err.msg);
				return TL_EXIT_USAGE;
			}
			break;
		case 'C': case_s = optarg; break;
		case 't': tlp_s = optarg; break;
		case 'P': eo.producer = optarg; break;
		case 's': keyf = optarg; break;
		case 'o': outp = optarg; break;
		case 'h': usage(stdout); return TL_EXIT_OK;
		default: usage(stderr); return TL_EXIT_USAGE;
		}
	}
	if (optind != argc || !format || !outp || !tlp_s || (heist != NULL) + (tracef != NULL) + (case_s != NULL) != 1 ||
	    ((heist || case_s) && !db)) {
		usage(stderr);
		return TL_EXIT_USAGE;
	}
	if (strcmp(format, "stix") && strcmp(format, "misp")) {
		fprintf(stderr, "export: unknown format '%s' (stix, misp)\n", format);
		return TL_EXIT_USAGE;
	}
	/* no default level: what may be shared is the sender's decision */
	if (tl_tlp_parse(tlp_s, &eo.tlp, &err)) {
		fprintf(stderr, "export: --tlp: %s\n", err.msg);
		return TL_EXIT_USAGE;
	}
	uint64_t case_id = 0;
	if (case_s) {
		char *end;
		case_id = strtoull(case_s, &end, 10);
		if (*case_s < '1' || *case_s > '9' || *end) {
			fprintf(stderr, "export: --case wants a case id (a positive integer)\n");
			return TL_EXIT_USAGE;
		}
	}
	uint8_t sec[32];
	if (keyf && tl_sign_key_read(keyf, sec, &err)) {
		fprintf(stderr, "export: --sign: %s\n", err.msg);
		return TL_EXIT_FAIL;
	}
	int rc = TL_EXIT_FAIL;
	struct tl_store *st = NULL;
	struct tl_storegraph *sg = NULL;
	json_t *tr = NULL, *doc = NULL, *m = NULL;
	if (db) {
		struct tl_store_opts so = { .read_only = true, .cache_mb = 256 };
		if (tl_store_open(db, &so, &st, &err) || tl_storegraph_new(st, &sg, &err)) {
			fprintf(stderr, "export: %s\n", err.msg);
			goto out;
		}
	}
	if (case_s) {
		struct tl_share_case_opts co = { format, eo.tlp, eo.producer, keyf ? sec : NULL, NULL };
		if (tl_share_case(st, case_id, &co, &doc, &err)) {
			fprintf(stderr, "export: %s\n", err.msg);
			goto out;
		}
		if (!doc) {
			fprintf(stderr, "export: no case %s in %s\n", case_s, db);
			goto out;
		}
	} else if (heist) {
		struct tl_share_heist_opts so = { format, pol, eo.tlp, eo.producer, keyf ? sec : NULL };
		if (tl_share_heist(sg, heist, &so, &doc, &err)) {
			fprintf(stderr, "export: %s\n", err.msg);
			goto out;
		}
	} else {
		json_error_t je;
		tr = json_load_file(tracef, 0, &je);
		if (!tr) {
			fprintf(stderr, "export: %s: line %d: %s\n", tracef, je.line, je.text);
			goto out;
		}
		json_object_del(tr, "signature");
		if ((!strcmp(format, "stix") ? tl_stix_export(tr, &eo, &doc, &err)
		                             : tl_misp_export(tr, &eo, &doc, &err))) {
			fprintf(stderr, "export: %s\n", err.msg);
			goto out;
		}
	}
	if (keyf && tracef) {
		if (tl_manifest_from_trace(st, tr, format, &m, &err)) {
			fprintf(stderr, "export: %s\n", err.msg);
			goto out;
		}
		json_object_set_new(m, "tlp", json_string(tl_tlp_name(eo.tlp)));
		json_object_set_new(m, "producer", json_string(eo.producer ? eo.producer : "taintline"));
		int r = tl_sign_document(doc, sec, m, &err);
		m = NULL; /* stolen */
		if (r) {
			fprintf(stderr, "export: %s\n", err.msg);
			goto out;
		}
	}
	FILE *f = strcmp(outp, "-") ? fopen(outp, "w") : stdout;
	if (!f) {
		perror(outp);
		goto out;
	}
	int bad = json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0;
	bad |= fputc('\n', f) == EOF;
	bad |= f == stdout ? fflush(f) != 0 : fclose(f) != 0;
	if (bad) {
		fprintf(stderr, "export: %s: write error\n", outp);
		goto out;
	}
	rc = TL_EXIT_OK;
out:
	memset(sec, 0, sizeof sec);
	json_decref(m);
	json_decref(doc);
	json_decref(tr);
	tl_storegraph_free(sg);
	tl_store_close(st);
	return rc;
}
