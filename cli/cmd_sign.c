/* taintline sign: a BIP-340 signature over a report or an export
 * (report/sign.h) with the manifest of the trace behind it
 * (report/manifest.h); taintline verify checks it (cli/cmd_verify.c). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "report/manifest.h"
#include "report/sign.h"
#include "store/store.h"

static void sign_usage(FILE *f)
{
	fprintf(f, "usage: taintline sign --key FILE [--db DB] IN -o|--output OUT\n"
	           "  Signs a trace report (trace --format json) or an export with the key in FILE\n"
	           "  (taintline keys signing-key): OUT is IN plus a \"signature\" object holding the\n"
	           "  public key, the BIP-340 signature and the manifest (tip, software, policy,\n"
	           "  parameters, seeds, heist definitions and tag sources with their SHA-256).\n"
	           "  --db DB   the database the trace came from: the manifest then carries the\n"
	           "            SHA-256 of every tag source the trace used\n");
}

static json_t *load_json(const char *path, struct tl_err *err)
{
	json_error_t je;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!j) tl_err_set(err, "%s: line %d: %s", path, je.line, je.text);
	return j;
}

static int write_json(const char *path, const json_t *doc)
{
	FILE *f = path && strcmp(path, "-") ? fopen(path, "w") : stdout;
	if (!f) {
		perror(path);
		return -1;
	}
	int bad = json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0;
	bad |= fputc('\n', f) == EOF;
	bad |= f == stdout ? fflush(f) != 0 : fclose(f) != 0;
	if (bad) fprintf(stderr, "%s: write error\n", path ? path : "stdout");
	return bad ? -1 : 0;
}

/* The manifest of a document: the trace's own when it is a trace result,
 * else a document manifest (the signature alone can then be checked). */
static int doc_manifest(const json_t *doc, const char *db, json_t **m, struct tl_err *err)
{
	if (json_object_get(doc, "provenance") && json_object_get(doc, "params")) {
		struct tl_store *st = NULL;
		if (db) {
			struct tl_store_opts so = { .read_only = true, .cache_mb = 64 };
			if (tl_store_open(db, &so, &st, err)) return -1;
		}
		int r = tl_manifest_from_trace(st, doc, "trace", m, err);
		tl_store_close(st);
		return r;
	}
	*m = json_pack("{s:s,s:s}", "kind", "document", "software", "taintline " TL_VERSION);
	return 0;
}

int cmd_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' }, { "db", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *key = NULL, *db = NULL, *outp = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': key = optarg; break;
		case 'd': db = optarg; break;
		case 'o': outp = optarg; break;
		case 'h': sign_usage(stdout); return TL_EXIT_OK;
		default: sign_usage(stderr); return TL_EXIT_USAGE;
		}
	}
	if (!key || !outp || optind != argc - 1) {
		sign_usage(stderr);
		return TL_EXIT_USAGE;
	}
	struct tl_err err;
	uint8_t sec[32];
	if (tl_sign_key_read(key, sec, &err)) {
		fprintf(stderr, "sign: %s\n", err.msg);
		return TL_EXIT_FAIL;
	}
	json_t *doc = load_json(argv[optind], &err), *m = NULL;
	int rc = TL_EXIT_FAIL;
	if (!doc) {
		fprintf(stderr, "sign: %s\n", err.msg);
		goto out;
	}
	if (!json_is_object(doc)) {
		fprintf(stderr, "sign: %s: only a JSON object can be signed\n", argv[optind]);
		goto out;
	}
	json_object_del(doc, "signature");
	if (doc_manifest(doc, db, &m, &err) || tl_sign_document(doc, sec, m, &err)) {
		fprintf(stderr, "sign: %s\n", err.msg);
		goto out;
	}
	if (write_json(outp, doc)) goto out;
	rc = TL_EXIT_OK;
out:
	memset(sec, 0, sizeof sec);
	json_decref(doc);
	return rc;
}
