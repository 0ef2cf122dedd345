/* taintline tags import|show: tag files into the database, and what the
 * tags say about an address. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitcoin/network.h"
#include "cli/cli.h"
#include "cli/jsonw.h"
#include "cli/write_mark.h"
#include "store/eth_store.h"
#include "store/store.h"
#include "store/tlp.h"
#include "tracer/entities.h"
#include "intel/tags.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: taintline tags import --db DB FILE [--format csv|ofac|tagpack] [--network NET]\n"
		   "                             [--tlp LEVEL]\n"
		   "       taintline tags show --db DB ADDRESS [--chain CHAIN] [--json]\n"
		   "  import: stores the tags of FILE (format detected when not given); bad rows\n"
		   "          are skipped and listed with their line numbers (exit status 1: the\n"
		   "          other rows are stored); importing the same\n"
		   "          file again adds nothing. --network creates the database if absent.\n"
		   "          --tlp marks every tag source of FILE with that TLP level (clear,\n"
		   "          green, amber, amber+strict): API keys cleared below it do not see\n"
		   "          its tags. Unmarked sources are CLEAR.\n"
		   "  show:   the tags of ADDRESS and of the cluster it belongs to.\n");
}

struct show_ctx {
	struct jw *w;
	int n;
};

static int print_tag(void *ctx, const struct tl_tag_rec *t)
{
	struct show_ctx *c = ctx;
	c->n++;
	if (c->w) {
		struct jw *w = c->w;
		jw_obj(w);
		jw_key(w, "chain"); jw_str(w, t->chain);
		jw_key(w, "address"); jw_str(w, t->address);
		jw_key(w, "label"); jw_str(w, t->label);
		jw_key(w, "category"); jw_str(w, t->category);
		jw_key(w, "source"); jw_str(w, t->source);
		jw_key(w, "confidence"); jw_int(w, t->confidence);
		if (t->entity && *t->entity) { jw_key(w, "entity"); jw_str(w, t->entity); }
		if (t->notes && *t->notes) { jw_key(w, "notes"); jw_str(w, t->notes); }
		jw_end_obj(w);
		return 0;
	}
	printf("  %-10s %s (%s)", t->category, t->label, t->address);
	if (t->confidence >= 0) printf(", confidence %d", t->confidence);
	printf("\n             source: %s\n", t->source);
	return 0;
}

/* Distinct tag sources of a file, to mark them (tags import --tlp). */
struct sources {
	char **v;
	size_t n;
};

static int source_cb(void *ctx, const struct tl_tag *t)
{
	struct sources *ss = ctx;
	for (size_t i = 0; i < ss->n; i++)
		if (!strcmp(ss->v[i], t->source)) return 0;
	char **nv = realloc(ss->v, (ss->n + 1) * sizeof *nv);
	if (!nv || !(nv[ss->n] = strdup(t->source))) {
		if (nv) ss->v = nv;
		return 1;
	}
	ss->v = nv;
	ss->n++;
	return 0;
}

/* Marks every source of file with level (after its tags are stored).
 * Returns the sources marked, or -1 with err. */
static long mark_sources(struct tl_store *s, const char *file, enum tl_tag_format fmt, enum tl_tlp level,
			 struct tl_err *err)
{
	struct sources ss = { NULL, 0 };
	struct tl_tag_report rep;
	memset(&rep, 0, sizeof rep);
	long rc = tl_tags_parse_file(file, fmt, source_cb, &ss, &rep, err);
	if (!rc) {
		struct tl_batch *b = tl_batch_new(s);
		struct tl_tlp_mark m = { .level = level };
		for (size_t i = 0; i < ss.n; i++) tl_tlp_mark_put(b, TL_TLP_SOURCE, ss.v[i], &m);
		rc = tl_store_write(s, b, err) ? -1 : (long)ss.n;
		tl_batch_free(b);
	}
	for (size_t i = 0; i < ss.n; i++) free(ss.v[i]);
	free(ss.v);
	return rc;
}

static int do_import(struct tl_store *s, const char *file, enum tl_tag_format fmt, const char *tlp)
{
	struct tl_tag_import_report rep;
	struct tl_err err;
	if (tl_tags_import(s, file, fmt, &rep, &err) < 0) {
		fprintf(stderr, "tags import: %s\n", err.msg);
		for (int i = 0; i < rep.parse.nmsgs; i++) fprintf(stderr, "  %s\n", rep.parse.msgs[i]);
		fprintf(stderr, "nothing was imported\n");
		return TL_EXIT_FAIL;
	}
	if (tlp) {
		enum tl_tlp level;
		(void)tl_tlp_parse_name(tlp, &level); /* checked by cmd_tags */
		long n = mark_sources(s, file, fmt, level, &err);
		if (n < 0) {
			fprintf(stderr, "tags import: the tags were stored but their TLP level was not: %s\n", err.msg);
			return TL_EXIT_FAIL;
		}
		printf("%ld tag sources marked TLP:%s\n", n, tl_tlp_level_name(level));
	}
	printf("%s (%s): %lu tags stored (%lu already present), %lu on indexed addresses, %lu on addresses not "
	       "seen yet, %lu on other chains\n",
	       file, tl_tag_format_name(rep.parse.format), rep.stored, rep.existing, rep.seen, rep.unseen,
	       rep.other_chain);
	if (rep.parse.duplicates)
		printf("%lu rows repeated an earlier row and were counted once\n", rep.parse.duplicates);
	unsigned long bad = rep.parse.skipped + rep.bad_address;
	if (bad) {
		printf("%lu rows skipped:\n", bad);
		for (int i = 0; i < rep.parse.nmsgs; i++) printf("  %s\n", rep.parse.msgs[i]);
		if ((unsigned long)rep.parse.nmsgs < bad) printf("  ... (%lu more)\n", bad - (unsigned long)rep.parse.nmsgs);
		/* The rest is stored; a script must still see that rows were
		 * dropped. */
		fprintf(stderr, "tags import: %lu rows could not be read (listed above); the others were stored\n", bad);
		return TL_EXIT_FAIL;
	}
	return TL_EXIT_OK;
}

static int do_show(struct tl_store *s, const char *addr, const char *chain, int json)
{
	struct tl_err err;
	struct jw w;
	struct show_ctx c = { json ? &w : NULL, 0 };
	uint64_t id = 0;
	int seen = 0;
	const struct tl_netparams *np = NULL;
	int own = !chain || (tl_registry_chain_net(chain, &np) && np == tl_store_net(s));
	if (own) {
		seen = tl_store_addr_id_of_string(s, addr, &id, &err);
		if (seen < 0) {
			fprintf(stderr, "tags show: %s\n", err.msg);
			return TL_EXIT_FAIL;
		}
	}
	if (json) {
		jw_init(&w, stdout);
		jw_obj(&w);
		jw_key(&w, "address"); jw_str(&w, addr);
		jw_key(&w, "tags"); jw_arr(&w);
	} else {
		printf("%s%s\n", addr, own && !seen ? " (not seen by the index)" : "");
	}
	if (tl_tags_of_address(s, own ? NULL : chain, addr, print_tag, &c, &err) < 0) {
		fprintf(stderr, "tags show: %s\n", err.msg);
		return TL_EXIT_FAIL;
	}
	if (json) jw_end_arr(&w);
	else if (!c.n) printf("  no tags on the address\n");
	if (seen == 1) {
		uint64_t cid;
		struct tl_cluster_summary sum;
		char cats[128];
		if (tl_cluster_of(s, id, &cid, &err) < 0 || tl_cluster_summary(s, cid, &sum, &err) < 0) {
			fprintf(stderr, "tags show: %s\n", err.msg);
			return TL_EXIT_FAIL;
		}
		tl_tagcat_names(sum.cats, cats, sizeof cats);
		if (json) {
			jw_key(&w, "cluster"); jw_obj(&w);
			jw_key(&w, "id"); jw_uint(&w, cid);
			jw_key(&w, "size"); jw_uint(&w, sum.size);
			jw_key(&w, "categories"); jw_str(&w, cats);
			jw_key(&w, "label"); jw_str(&w, sum.label);
			jw_key(&w, "tagged_members"); jw_uint(&w, sum.tagged);
			jw_end_obj(&w);
		} else {
			printf("cluster %" PRIu64 ": %" PRIu64 " address%s, %" PRIu64 " tagged%s%s%s%s\n", cid, sum.size,
			       sum.size == 1 ? "" : "es", sum.tagged, cats[0] ? ", categories " : "", cats,
			       sum.label[0] ? ", label " : "", sum.label);
		}
	}
	if (json) {
		jw_end_obj(&w);
		jw_finish(&w);
	}
	return TL_EXIT_OK;
}

int cmd_tags(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) { /* an Ethereum database: cli/eth_intel.c */
		const char *d = !strcmp(argv[i], "--db") && i + 1 < argc ? argv[i + 1]
		                : !strncmp(argv[i], "--db=", 5) ? argv[i] + 5 : NULL;
		if (d && tl_eth_store_probe(d)) return cmd_tags_eth(argc, argv);
	}
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'f' },
		{ "network", required_argument, NULL, 'n' },
		{ "chain", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "tlp", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *format = NULL, *network = NULL, *chain = NULL, *tlp = NULL;
	int json = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:f:n:c:jht:", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'f': format = optarg; break;
		case 'n': network = optarg; break;
		case 'c': chain = optarg; break;
		case 'j': json = 1; break;
		case 't': tlp = optarg; break;
		case 'h': usage(stdout); return TL_EXIT_OK;
		default: usage(stderr); return TL_EXIT_USAGE;
		}
	}
	if (!db || argc - optind != 2 || (strcmp(argv[optind], "import") && strcmp(argv[optind], "show"))) {
		usage(stderr);
		return TL_EXIT_USAGE;
	}
	int import = !strcmp(argv[optind], "import");
	enum tl_tag_format fmt = TL_TAGFMT_AUTO;
	if (format) {
		if (!strcmp(format, "csv")) fmt = TL_TAGFMT_CSV;
		else if (!strcmp(format, "ofac") || !strcmp(format, "ofac-xml")) fmt = TL_TAGFMT_OFAC_XML;
		else if (!strcmp(format, "tagpack")) fmt = TL_TAGFMT_TAGPACK;
		else {
			fprintf(stderr, "tags: unknown format '%s' (csv, ofac, tagpack)\n", format);
			return TL_EXIT_USAGE;
		}
	}
	enum tl_tlp level;
	if (tlp && (tl_tlp_parse_name(tlp, &level) || level == TL_TLP_RED)) {
		fprintf(stderr, "tags: --tlp '%s' must be clear, green, amber or amber+strict (RED is for named "
				"recipients, not stored tag sources)\n", tlp);
		return TL_EXIT_USAGE;
	}
	const struct tl_netparams *np = NULL;
	if (network && !(np = tl_net_by_name(network))) {
		fprintf(stderr, "tags: unknown network '%s'\n", network);
		return TL_EXIT_USAGE;
	}
	struct tl_err err;
	struct tl_store *s;
	struct tl_store_opts so = { .read_only = !import, .create = import && np, .net = np, .cache_mb = 16 };
	if (tl_store_open(db, &so, &s, &err) < 0) {
		fprintf(stderr, "tags: %s\n", err.msg);
		return TL_EXIT_FAIL;
	}
	int rc;
	if (import) {
		bool owned;
		if (cli_write_begin(s, &owned, &err) < 0) {
			fprintf(stderr, "tags: %s\n", err.msg);
			tl_store_close(s);
			return TL_EXIT_FAIL;
		}
		rc = do_import(s, argv[optind + 1], fmt, tlp);
		if (cli_write_end(s, owned, &err) < 0) {
			fprintf(stderr, "tags: update marker: %s\n", err.msg);
			rc = TL_EXIT_FAIL;
		}
	} else {
		rc = do_show(s, argv[optind + 1], chain, json);
	}
	tl_store_close(s);
	return rc;
}
