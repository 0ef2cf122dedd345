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
#include "tracer/tag_clearance.h"
#include "tracer/entities.h"
#include "intel/tags.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: taintline tags import --db DB FILE [--format csv|ofac|tagpack|sdn|list] [--network NET]\n"
		   "                             [--tlp LEVEL] [--comments SDN_COMMENTS.CSV] [--json]\n"
		   "                             [--label L --category C --source S [--chain CHAIN]\n"
		   "                              [--confidence N]]\n"
		   "       taintline tags show --db DB ADDRESS [--chain CHAIN] [--json]\n"
		   "  import: stores the tags of FILE (format detected when not given); bad rows\n"
		   "          are skipped and listed with their line numbers (exit status 1: the\n"
		   "          other rows are stored); importing the same\n"
		   "          file again adds nothing. --network creates the database if absent.\n"
		   "          Exit status 1 too when the file holds no tag at all.\n"
		   "          sdn: OFAC's legacy sdn.csv; --comments gives its sdn_comments.csv,\n"
		   "          where Remarks past 1000 characters continue.\n"
		   "          list: one address per line (or a JSON array); every address gets\n"
		   "          --label, --category and --source, on --chain (default: the\n"
		   "          database's network) with --confidence (0..100, default none).\n"
		   "          --json prints the report as one JSON object.\n"
		   "          --tlp marks every tag source of FILE with that TLP level (clear,\n"
		   "          green, amber, amber+strict, red/AUDIENCE): API keys cleared below it\n"
		   "          (for RED: keys not cleared red/AUDIENCE) do not see\n"
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
static long mark_sources(struct tl_store *s, const char *file, enum tl_tag_format fmt,
			 const struct tl_tag_opts *opts, const struct tl_tlp_mark *m, struct tl_err *err)
{
	struct sources ss = { NULL, 0 };
	struct tl_tag_report rep;
	memset(&rep, 0, sizeof rep);
	long rc = tl_tags_parse_file_opts(file, fmt, opts, source_cb, &ss, &rep, err);
	if (!rc) {
		struct tl_batch *b = tl_batch_new(s);
		for (size_t i = 0; i < ss.n; i++) tl_tlp_mark_put(b, TL_TLP_SOURCE, ss.v[i], m);
		rc = tl_store_write(s, b, err) ? -1 : (long)ss.n;
		tl_batch_free(b);
	}
	for (size_t i = 0; i < ss.n; i++) free(ss.v[i]);
	free(ss.v);
	return rc;
}

static void json_report(const char *file, const struct tl_tag_import_report *rep, long marked, const char *tlp,
			const char *error)
{
	struct jw w;
	jw_init(&w, stdout);
	jw_obj(&w);
	jw_key(&w, "file"); jw_str(&w, file);
	jw_key(&w, "format"); jw_str(&w, tl_tag_format_name(rep->parse.format));
	jw_key(&w, "ok"); jw_bool(&w, error == NULL);
	if (error) { jw_key(&w, "error"); jw_str(&w, error); }
	jw_key(&w, "stored"); jw_uint(&w, rep->stored);
	jw_key(&w, "updated"); jw_uint(&w, rep->updated);
	jw_key(&w, "existing"); jw_uint(&w, rep->existing);
	jw_key(&w, "duplicates"); jw_uint(&w, rep->parse.duplicates + rep->duplicates);
	jw_key(&w, "skipped"); jw_uint(&w, rep->parse.skipped + rep->bad_address);
	jw_key(&w, "ignored"); jw_uint(&w, rep->parse.ignored);
	jw_key(&w, "seen"); jw_uint(&w, rep->seen);
	jw_key(&w, "unseen"); jw_uint(&w, rep->unseen);
	jw_key(&w, "other_chain"); jw_uint(&w, rep->other_chain);
	if (tlp && marked >= 0) {
		jw_key(&w, "tlp"); jw_str(&w, tlp);
		jw_key(&w, "sources_marked"); jw_int(&w, marked);
	}
	jw_key(&w, "messages"); jw_arr(&w);
	for (int i = 0; i < rep->parse.nmsgs; i++) jw_str(&w, rep->parse.msgs[i]);
	jw_end_arr(&w);
	jw_end_obj(&w);
	jw_finish(&w);
}

static int do_import(struct tl_store *s, const char *file, enum tl_tag_format fmt, const struct tl_tag_opts *opts,
		     const char *tlp, int json)
{
	struct tl_tag_import_report rep;
	struct tl_err err;
	if (tl_tags_import_opts(s, file, fmt, opts, &rep, &err) < 0) {
		if (json) json_report(file, &rep, -1, NULL, err.msg);
		fprintf(stderr, "tags import: %s\n", err.msg);
		if (!json)
			for (int i = 0; i < rep.parse.nmsgs; i++) fprintf(stderr, "  %s\n", rep.parse.msgs[i]);
		fprintf(stderr, "nothing was imported\n");
		return TL_EXIT_FAIL;
	}
	long marked = -1;
	if (tlp) {
		struct tl_clearance lv;
		if (tl_clearance_from_name(tlp, &lv, &err)) lv.level = TL_TLP_RED; /* checked by cmd_tags */
		struct tl_tlp_mark m = { .level = lv.level };
		memcpy(m.audience, lv.audience, sizeof m.audience);
		marked = mark_sources(s, file, fmt, opts, &m, &err);
		if (marked < 0) {
			fprintf(stderr, "tags import: the tags were stored but their TLP level was not: %s\n", err.msg);
			return TL_EXIT_FAIL;
		}
		if (!json)
			printf("%ld tag sources marked TLP:%s%s%s\n", marked, tl_tlp_level_name(m.level),
			       m.audience[0] ? " for " : "", m.audience);
	}
	unsigned long bad = rep.parse.skipped + rep.bad_address;
	unsigned long dups = rep.parse.duplicates + rep.duplicates;
	if (json) {
		json_report(file, &rep, marked, tlp, NULL);
	} else {
		printf("%s (%s): %lu tags stored (%lu of them updated), %lu already present unchanged; %lu on indexed "
		       "addresses, %lu on addresses not seen yet, %lu on other chains\n",
		       file, tl_tag_format_name(rep.parse.format), rep.stored, rep.updated, rep.existing, rep.seen,
		       rep.unseen, rep.other_chain);
		if (dups) printf("%lu rows repeated a tag of an earlier row and were counted once\n", dups);
		if (rep.parse.ignored) printf("%lu records ignored (not address tags)\n", rep.parse.ignored);
		if (bad) printf("%lu rows skipped\n", bad);
		if (bad || dups) {
			for (int i = 0; i < rep.parse.nmsgs; i++) printf("  %s\n", rep.parse.msgs[i]);
			if ((unsigned long)rep.parse.nmsgs < bad + dups)
				printf("  ... (%lu more)\n", bad + dups - (unsigned long)rep.parse.nmsgs);
		}
	}
	if (bad) {
		/* The rest is stored; a script must still see that rows were
		 * dropped. */
		fprintf(stderr, "tags import: %lu rows could not be read (listed above); the others were stored\n", bad);
		return TL_EXIT_FAIL;
	}
	if (rep.stored + rep.existing == 0) {
		fprintf(stderr, "tags import: %s holds no tag: nothing was stored\n", file);
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
		{ "label", required_argument, NULL, 'L' },
		{ "category", required_argument, NULL, 'C' },
		{ "source", required_argument, NULL, 'S' },
		{ "confidence", required_argument, NULL, 'F' },
		{ "comments", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *format = NULL, *network = NULL, *chain = NULL, *tlp = NULL;
	struct tl_tag_opts to = { .confidence = -1 };
	int json = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:f:n:c:jht:", opts, NULL)) != -1) {
		switch (c) {
		case 'L': to.label = optarg; break;
		case 'C': to.category = optarg; break;
		case 'S': to.source = optarg; break;
		case 'M': to.comments_path = optarg; break;
		case 'F': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (!*optarg || *end || v < 0 || v > 100) {
				fprintf(stderr, "tags: --confidence '%s' must be an integer 0..100\n", optarg);
				return TL_EXIT_USAGE;
			}
			to.confidence = (int)v;
			break;
		}
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
		else if (!strcmp(format, "sdn") || !strcmp(format, "sdn-csv")) fmt = TL_TAGFMT_SDN_CSV;
		else if (!strcmp(format, "list")) fmt = TL_TAGFMT_LIST;
		else {
			fprintf(stderr, "tags: unknown format '%s' (csv, ofac, tagpack, sdn, list)\n", format);
			return TL_EXIT_USAGE;
		}
	}
	/* The options of a plain list imply its format. */
	if (import && fmt == TL_TAGFMT_AUTO && (to.label || to.category || to.source)) fmt = TL_TAGFMT_LIST;
	if (import && fmt == TL_TAGFMT_LIST) {
		if (!to.label || !to.category || !to.source) {
			fprintf(stderr, "tags: a plain address list needs --label, --category and --source\n");
			return TL_EXIT_USAGE;
		}
		if (!tl_tag_category_valid(to.category)) {
			fprintf(stderr, "tags: --category '%s' unknown (exchange, mixer, bridge, sanctioned, thief, "
					"service, other)\n", to.category);
			return TL_EXIT_USAGE;
		}
		if (!tl_utf8_valid(to.label, strlen(to.label)) || !tl_utf8_valid(to.source, strlen(to.source))) {
			fprintf(stderr, "tags: --label and --source must be valid UTF-8\n");
			return TL_EXIT_USAGE;
		}
		to.chain = chain;
	} else if (import && (to.label || to.category || to.source || to.confidence >= 0)) {
		fprintf(stderr, "tags: --label, --category, --source and --confidence are for --format list\n");
		return TL_EXIT_USAGE;
	}
	if (to.comments_path && fmt != TL_TAGFMT_SDN_CSV && fmt != TL_TAGFMT_AUTO) {
		fprintf(stderr, "tags: --comments is for OFAC's sdn.csv (--format sdn)\n");
		return TL_EXIT_USAGE;
	}
	struct tl_clearance lv;
	struct tl_err perr;
	if (tlp && (tl_clearance_from_name(tlp, &lv, &perr) || (lv.level == TL_TLP_RED && !lv.audience[0]))) {
		fprintf(stderr, "tags: --tlp '%s' must be clear, green, amber, amber+strict or red/AUDIENCE (RED names "
				"its recipients)\n", tlp);
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
	if (import && fmt == TL_TAGFMT_LIST && !to.chain) to.chain = tl_store_net(s)->tag_chain;
	int rc;
	if (import) {
		bool owned;
		if (cli_write_begin(s, &owned, &err) < 0) {
			fprintf(stderr, "tags: %s\n", err.msg);
			tl_store_close(s);
			return TL_EXIT_FAIL;
		}
		rc = do_import(s, argv[optind + 1], fmt, &to, tlp, json);
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
