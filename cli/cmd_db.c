/* taintline db digest|stats: inspect a database. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bitcoin/hash.h"
#include "cli/cli.h"
#include "cli/jsonw.h"
#include "store/eth_store.h"
#include "store/store.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: taintline db digest --db DB [--counts] [--json]\n"
		   "       taintline db stats --db DB [--json]\n"
		   "       taintline db dump --db DB FAMILY\n"
		   "       taintline db checkpoint --db DB --out DIR\n"
		   "  digest: one SHA-256 over the logical content of every column family\n"
		   "          (compare two databases); --counts adds entries per family.\n"
		   "  stats:  tip, counters and entries per column family.\n"
		   "  --json: the same as one JSON object.\n"
		   "  dump:   every key and value of one family, in hex, one pair a line\n"
		   "          (to see where two databases differ).\n"
		   "  checkpoint: a consistent copy of the database (Bitcoin or Ethereum) in DIR,\n"
		   "          which must not exist: a replica for another serve (docs/guide.md,\n"
		   "          \"Replicas\"). Its files are hard links on the same file system.\n"
		   "          Made by the writer: not while an index runs on DB.\n");
}

static void put_hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
}

static int dump(const char *db, const char *family)
{
	int cf = -1;
	for (int i = 0; i < TL_CF_COUNT; i++)
		if (!strcmp(family, tl_cf_name((enum tl_cf)i))) cf = i;
	if (cf < 0) {
		fprintf(stderr, "db: unknown family '%s'\n", family);
		return TL_EXIT_USAGE;
	}
	struct tl_err err;
	struct tl_store *s;
	struct tl_store_opts so = { .read_only = true, .cache_mb = 16 };
	if (tl_store_open(db, &so, &s, &err) < 0) {
		fprintf(stderr, "db: %s\n", err.msg);
		return TL_EXIT_FAIL;
	}
	struct tl_iter *it = tl_iter_new(s, (enum tl_cf)cf);
	for (tl_iter_first(it); tl_iter_valid(it); tl_iter_next(it)) {
		size_t kl, vl;
		const uint8_t *k = tl_iter_key(it, &kl), *v = tl_iter_value(it, &vl);
		put_hex(k, kl);
		putchar(' ');
		put_hex(v, vl);
		putchar('\n');
	}
	tl_iter_free(it);
	tl_store_close(s);
	return TL_EXIT_OK;
}

/* db digest|stats --json. Returns an exit status. */
static int print_json(struct tl_store *s, const char *digest, const uint64_t *n, int counts, int stats)
{
	struct tl_tip t;
	struct tl_err err;
	if (stats && tl_store_tip(s, &t, &err) < 0) {
		fprintf(stderr, "db: %s\n", err.msg);
		return TL_EXIT_FAIL;
	}
	struct jw w;
	jw_init(&w, stdout);
	jw_obj(&w);
	jw_key(&w, "digest"); jw_str(&w, digest);
	if (stats) {
		char hex[65];
		tl_hash_to_hex(t.hash, hex);
		jw_key(&w, "network"); jw_str(&w, tl_store_net(s)->name);
		jw_key(&w, "tip"); jw_obj(&w);
		jw_key(&w, "height"); jw_int(&w, t.height);
		jw_key(&w, "hash"); jw_str(&w, hex);
		jw_end_obj(&w);
		jw_key(&w, "transactions"); jw_uint(&w, t.next_tx_num);
		jw_key(&w, "addresses"); jw_uint(&w, t.next_addr_id - 1);
		jw_key(&w, "unknown_prevouts"); jw_uint(&w, t.unknown_inputs);
		jw_key(&w, "undo_kept_blocks"); jw_uint(&w, t.undo_keep);
	}
	if (counts) {
		jw_key(&w, "counts"); jw_obj(&w);
		for (int i = 0; i < TL_CF_COUNT; i++) {
			jw_key(&w, tl_cf_name((enum tl_cf)i));
			jw_uint(&w, n[i]);
		}
		jw_end_obj(&w);
	}
	jw_end_obj(&w);
	jw_finish(&w);
	return TL_EXIT_OK;
}

/* db checkpoint: opened for writing (a checkpoint flushes the memtables),
 * which fails cleanly while an index holds the database. */
static int checkpoint(const char *db, const char *out)
{
	struct tl_err err;
	int rc;
	struct stat sb;
	if (stat(out, &sb) == 0) {
		fprintf(stderr, "db checkpoint: %s exists: a checkpoint goes into a new directory\n", out);
		return TL_EXIT_FAIL;
	}
	if (tl_eth_store_probe(db)) {
		struct tl_eth_store *s;
		struct tl_eth_store_opts so = { .cache_mb = 16 };
		if (tl_eth_store_open(db, &so, &s, &err) < 0) goto fail;
		rc = tl_eth_store_checkpoint(s, out, &err);
		tl_eth_store_close(s);
	} else {
		struct tl_store *s;
		struct tl_store_opts so = { .cache_mb = 16 };
		if (tl_store_open(db, &so, &s, &err) < 0) goto fail;
		rc = tl_store_checkpoint(s, out, &err);
		tl_store_close(s);
	}
	if (rc) goto fail;
	printf("checkpoint of %s written to %s\n", db, out);
	return TL_EXIT_OK;
fail:
	fprintf(stderr, "db checkpoint: %s\n", err.msg);
	return TL_EXIT_FAIL;
}

int cmd_db(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "counts", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *out = NULL;
	int counts = 0, json = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:chjo:", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'o': out = optarg; break;
		case 'd': db = optarg; break;
		case 'c': counts = 1; break;
		case 'h': usage(stdout); return TL_EXIT_OK;
		default: usage(stderr); return TL_EXIT_USAGE;
		}
	}
	if (db && argc - optind == 2 && !strcmp(argv[optind], "dump")) return dump(db, argv[optind + 1]);
	if (argc - optind == 1 && !strcmp(argv[optind], "checkpoint")) {
		if (!db || !out) {
			fprintf(stderr, "db checkpoint: give --db DB and --out DIR\n");
			return TL_EXIT_USAGE;
		}
		return checkpoint(db, out);
	}
	if (!db || argc - optind != 1 || (strcmp(argv[optind], "digest") && strcmp(argv[optind], "stats"))) {
		usage(stderr);
		return TL_EXIT_USAGE;
	}
	if (tl_eth_store_probe(db)) return cmd_db_eth(argc, argv); /* cli/eth_db.c */
	int stats = !strcmp(argv[optind], "stats");
	struct tl_err err;
	struct tl_store *s;
	struct tl_store_opts so = { .read_only = true, .cache_mb = 16 };
	if (tl_store_open(db, &so, &s, &err) < 0) {
		fprintf(stderr, "db: %s\n", err.msg);
		return TL_EXIT_FAIL;
	}
	uint8_t dg[32];
	uint64_t n[TL_CF_COUNT];
	if (tl_store_digest(s, dg, n, &err) < 0) {
		fprintf(stderr, "db: %s\n", err.msg);
		tl_store_close(s);
		return TL_EXIT_FAIL;
	}
	char hex[65];
	tl_hex_encode(dg, 32, hex);
	if (json) {
		int rc = print_json(s, hex, n, stats || counts, stats);
		tl_store_close(s);
		return rc;
	}
	if (stats) {
		struct tl_tip t;
		if (tl_store_tip(s, &t, &err) < 0) {
			fprintf(stderr, "db: %s\n", err.msg);
			tl_store_close(s);
			return TL_EXIT_FAIL;
		}
		tl_hash_to_hex(t.hash, hex);
		printf("network: %s\ntip: height %d, %s\ntransactions: %llu\naddresses: %llu\n"
		       "unknown prevouts: %llu\nundo kept: %u blocks\n",
		       tl_store_net(s)->name, t.height, hex, (unsigned long long)t.next_tx_num,
		       (unsigned long long)(t.next_addr_id - 1), (unsigned long long)t.unknown_inputs, t.undo_keep);
		counts = 1;
		tl_hex_encode(dg, 32, hex);
	}
	printf("%s%s\n", stats ? "digest: " : "", hex);
	if (counts)
		for (int i = 0; i < TL_CF_COUNT; i++)
			printf("  %-10s %llu\n", tl_cf_name((enum tl_cf)i), (unsigned long long)n[i]);
	tl_store_close(s);
	return TL_EXIT_OK;
}
