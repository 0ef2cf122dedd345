/* taintline verify: checks the BIP-340 signature of a signed report or
 * export (report/sign.h) and, given a database at the report's tip,
 * computes it again (report/manifest.h) and compares it byte for byte. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bitcoin/hash.h"
#include "cli/cli.h"
#include "report/case_export.h"
#include "report/export.h"
#include "report/manifest.h"
#include "report/sign.h"
#include "report/tlp.h"
#include "store/store.h"
#include "tracer/storegraph.h"

static void verify_usage(FILE *f)
{
	fprintf(f, "usage: taintline verify FILE [--pubkey HEX] [--db DB]\n"
	           "  Checks the signature of a signed report or export and says why it fails.\n"
	           "  --pubkey HEX  the signer's public key (64 hex digits); another key is refused\n"
	           "  --db DB       a database at the report's tip: the trace is computed again and\n"
	           "                must match the signed document byte for byte\n"
	           "  exit: 0 valid (and matching), 1 refused or not reproduced, 2 usage\n");
}

static json_t *load_json(const char *path, struct tl_err *err)
{
	json_error_t je;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!j) tl_err_set(err, "%s: line %d: %s", path, je.line, je.text);
	return j;
}

/* A case's export made again from the case as db holds it now. 1 with
 * *regen, 0 with reason (no such case), -1 with err. */
static int regenerate_case(const char *db, const json_t *m, json_t **regen, char *reason, size_t cap,
                           struct tl_err *err)
{
	const json_t *id = json_object_get(m, "case");
	struct tl_share_case_opts co = { !strcmp(json_string_value(json_object_get(m, "kind")), "case-stix") ? "stix"
	                                                                                                     : "misp",
	                                 TL_TLP_RED, json_string_value(json_object_get(m, "producer")), NULL, NULL };
	if (!json_is_integer(id) || json_integer_value(id) < 1 ||
	    tl_tlp_parse(json_string_value(json_object_get(m, "tlp")), &co.tlp, err))
		return tl_err_set(err, "the manifest names no case or TLP level");
	struct tl_store_opts so = { .read_only = true, .cache_mb = 16 };
	struct tl_store *st = NULL;
	if (tl_store_open(db, &so, &st, err)) return -1;
	int r = tl_share_case(st, (uint64_t)json_integer_value(id), &co, regen, err);
	tl_store_close(st);
	if (r) return -1;
	if (!*regen) {
		snprintf(reason, cap, "the database holds no case %lld", (long long)json_integer_value(id));
		return 0;
	}
	return 1;
}

/* Computes the document a manifest describes again on db; 1 with *regen,
 * 0 with reason, -1 with err. */
static int regenerate(const char *db, const json_t *m, json_t **regen, char *reason, size_t cap, struct tl_err *err)
{
	*regen = NULL;
	const char *kind = json_string_value(json_object_get(m, "kind"));
	if (kind && (!strcmp(kind, "case-stix") || !strcmp(kind, "case-misp"))) return regenerate_case(db, m, regen, reason, cap, err);
	if (!kind || (strcmp(kind, "trace") && strcmp(kind, "stix") && strcmp(kind, "misp"))) {
		snprintf(reason, cap, "the manifest describes no trace (kind '%s'): nothing to recompute",
		         kind ? kind : "");
		return 0;
	}
	struct tl_store_opts so = { .read_only = true, .cache_mb = 256 };
	struct tl_store *st = NULL;
	struct tl_storegraph *sg = NULL;
	json_t *tr = NULL;
	int r = -1;
	if (tl_store_open(db, &so, &st, err) || tl_storegraph_new(st, &sg, err)) goto out;
	r = tl_manifest_retrace(sg, m, &tr, reason, cap, err);
	if (r != 1) goto out;
	if (!strcmp(kind, "trace")) {
		*regen = tr;
		tr = NULL;
	} else {
		struct tl_export_opts eo = { .producer = json_string_value(json_object_get(m, "producer")) };
		if (tl_tlp_parse(json_string_value(json_object_get(m, "tlp")), &eo.tlp, err)) {
			r = -1;
			goto out;
		}
		r = !strcmp(kind, "stix") ? tl_stix_export(tr, &eo, regen, err) : tl_misp_export(tr, &eo, regen, err);
		r = r ? -1 : 1;
	}
out:
	json_decref(tr);
	tl_storegraph_free(sg);
	tl_store_close(st);
	return r;
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pubkey", required_argument, NULL, 'p' }, { "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *pubhex = NULL, *db = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': pubhex = optarg; break;
		case 'd': db = optarg; break;
		case 'h': verify_usage(stdout); return TL_EXIT_OK;
		default: verify_usage(stderr); return TL_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		verify_usage(stderr);
		return TL_EXIT_USAGE;
	}
	uint8_t want[32];
	if (pubhex && (strlen(pubhex) != 64 || tl_hex_decode(pubhex, 64, want, 32))) {
		fprintf(stderr, "verify: --pubkey wants 64 hex digits (an x-only public key)\n");
		return TL_EXIT_USAGE;
	}
	struct tl_err err;
	json_t *doc = load_json(argv[optind], &err);
	if (!doc) {
		fprintf(stderr, "verify: %s\n", err.msg);
		return TL_EXIT_FAIL;
	}
	char reason[1024];
	int rc = TL_EXIT_FAIL;
	int v = tl_verify_document(doc, pubhex ? want : NULL, reason, sizeof reason, &err);
	if (v < 0) {
		fprintf(stderr, "verify: %s\n", err.msg);
		goto out;
	}
	if (v == 0) {
		printf("REFUSED: %s\n", reason);
		goto out;
	}
	const json_t *so = json_object_get(doc, "signature");
	printf("signature: valid, by %s\n", json_string_value(json_object_get(so, "pubkey")));
	if (db) {
		json_t *regen = NULL;
		int r = regenerate(db, json_object_get(so, "manifest"), &regen, reason, sizeof reason, &err);
		if (r < 0) {
			fprintf(stderr, "verify: recomputing: %s\n", err.msg);
			goto out;
		}
		if (r == 0) {
			printf("NOT REPRODUCED: %s\n", reason);
			goto out;
		}
		json_t *mine = json_copy(doc);
		json_object_del(mine, "signature");
		char *a = NULL, *b = NULL;
		size_t al = 0, bl = 0;
		if (tl_canonical_json(mine, &a, &al, &err) || tl_canonical_json(regen, &b, &bl, &err)) {
			fprintf(stderr, "verify: %s\n", err.msg);
			free(a);
			json_decref(mine);
			json_decref(regen);
			goto out;
		}
		int same = al == bl && !memcmp(a, b, al);
		if (same) {
			printf("recomputed: identical (%zu bytes of canonical JSON)\n", al);
		} else {
			char d[600];
			tl_json_first_diff(mine, regen, d, sizeof d);
			printf("NOT REPRODUCED: the recomputed document differs: %s\n", d);
		}
		free(a);
		free(b);
		json_decref(mine);
		json_decref(regen);
		if (!same) goto out;
	}
	rc = TL_EXIT_OK;
out:
	json_decref(doc);
	return rc;
}
