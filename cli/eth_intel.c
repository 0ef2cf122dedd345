/* taintline heist import|list|show and tags import|show on an Ethereum
 * database (store/eth_intel.h), reached from cmd_heist and cmd_tags. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "ethereum/address.h"
#include "store/eth_intel.h"
#include "store/eth_screen.h"
#include "store/eth_store.h"
#include "intel/tags.h"
#include "tracer/tag_clearance.h"

static int open_db(const char *cmd, const char *db, int writable, struct tl_eth_store **st)
{
	struct tl_err err = { 0 };
	struct tl_eth_store_opts so = { .read_only = !writable, .cache_mb = 16 };
	if (tl_eth_store_open(db, &so, st, &err)) {
		fprintf(stderr, "%s: %s\n", cmd, err.msg);
		return -1;
	}
	return 0;
}

/* --tlp LEVEL as the Bitcoin commands take it (RED names its audience).
 * Returns 0 with *m, or -1 after saying why. */
static int parse_tlp(const char *cmd, const char *tlp, struct tl_tlp_mark *m)
{
	struct tl_clearance lv;
	struct tl_err err;
	if (tl_clearance_from_name(tlp, &lv, &err) || (lv.level == TL_TLP_RED && !lv.audience[0])) {
		fprintf(stderr, "%s: --tlp '%s' must be clear, green, amber, amber+strict or red/AUDIENCE (RED names its "
				"recipients)\n", cmd, tlp);
		return -1;
	}
	memset(m, 0, sizeof *m);
	m->level = lv.level;
	snprintf(m->audience, sizeof m->audience, "%s", lv.audience);
	return 0;
}

int cmd_heist_eth(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "tlp", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *tlp = NULL;
	int json = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:jt:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'j': json = 1; break;
		case 't': tlp = optarg; break;
		case 'h':
			printf("usage: taintline heist import|list [--json]|show --db ETHDB [FILE|ID] [--tlp LEVEL]\n");
			return TL_EXIT_OK;
		default: return TL_EXIT_USAGE;
		}
	}
	const char *sub = optind < argc ? argv[optind] : "";
	int nargs = argc - optind - 1, import = !strcmp(sub, "import");
	if (!db || !((import && nargs == 1) || (!strcmp(sub, "list") && nargs == 0) ||
		     (!strcmp(sub, "show") && nargs == 1))) {
		fprintf(stderr, "usage: taintline heist import|list|show --db ETHDB ...\n");
		return TL_EXIT_USAGE;
	}
	struct tl_tlp_mark mark;
	if (tlp && parse_tlp("heist", tlp, &mark)) return TL_EXIT_USAGE;
	struct tl_eth_store *st;
	if (open_db("heist", db, import, &st)) return TL_EXIT_FAIL;
	struct tl_err err = { 0 };
	int rc = TL_EXIT_OK;
	if (import) {
		struct tl_eth_heist_import_report rep;
		if (tl_eth_heists_import(st, argv[optind + 1], tlp ? &mark : NULL, &rep, &err)) {
			fprintf(stderr, "heist import: %s\nnothing was imported\n", err.msg);
			rc = TL_EXIT_FAIL;
		} else {
			printf("%s: %lu heists added, %lu updated (%lu traceable on %s, %lu not)\n", argv[optind + 1],
			       rep.added, rep.updated, rep.traceable, tl_eth_store_net(st)->chain, rep.other);
			if (tlp) printf("%lu heists marked TLP:%s\n", rep.added + rep.updated, tl_tlp_level_name(mark.level));
			/* screening is a lookup: materialize over the blocks indexed so far */
			if (rep.traceable && eth_screen_refresh(st, 1, 0, &err)) {
				fprintf(stderr, "heist import: screening index: %s\n", err.msg);
				rc = TL_EXIT_FAIL;
			}
		}
	} else if (!strcmp(sub, "list")) {
		json_t *a;
		if (tl_eth_heists_list(st, &a, &err)) {
			fprintf(stderr, "heist list: %s\n", err.msg);
			rc = TL_EXIT_FAIL;
		} else if (json) {
			json_t *o = json_pack("{s:o}", "heists", a);
			json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			printf("\n");
			json_decref(o);
		} else {
			size_t i;
			json_t *h;
			json_array_foreach(a, i, h) {
				const char *chain = json_string_value(json_object_get(h, "chain"));
				const char *date = json_string_value(json_object_get(h, "date"));
				const char *name = json_string_value(json_object_get(h, "name"));
				int tr = tl_eth_chain_is(st, chain) && json_array_size(json_object_get(h, "seeds"));
				printf("%-36s %-10s %-16s %-13s %s\n", json_string_value(json_object_get(h, "id")),
				       date ? date : "", chain ? chain : "", tr ? "traceable" : "not traceable", name ? name : "");
			}
			if (!json_array_size(a)) printf("no heists stored; import a registry with 'taintline heist import'\n");
			json_decref(a);
		}
	} else {
		json_t *h = NULL;
		int k = tl_eth_heist_get(st, argv[optind + 1], &h, &err);
		if (k <= 0) {
			fprintf(stderr, "heist show: %s\n", k < 0 ? err.msg : "no such heist");
			rc = TL_EXIT_FAIL;
		} else {
			char *t = json_dumps(h, JSON_PRESERVE_ORDER | JSON_COMPACT);
			printf("%s\n", t ? t : "");
			free(t);
			json_decref(h);
		}
	}
	tl_eth_store_close(st);
	return rc;
}

/* ---- tags ---- */
struct import_ctx {
	struct tl_eth_store *s;
	struct tl_eth_batch *b;
	const struct tl_tlp_mark *mark; /* --tlp: every source of the file gets it */
	json_t *sources;                /* the sources marked so far */
	unsigned long stored, existing, seen, unseen, other, bad;
	char msgs[8][200];
	int nmsgs, failed;
	struct tl_err err;
};

static int import_one(void *vctx, const struct tl_tag *t)
{
	struct import_ctx *c = vctx;
	int seen;
	struct tl_err e = { 0 };
	int r = tl_eth_tag_add(c->s, c->b, t, &seen, &e);
	const char *src = t->source ? t->source : "";
	if (c->mark && r >= 0 && r != 2 && !json_object_get(c->sources, src)) {
		tl_eth_tlp_mark_put(c->b, TL_TLP_SOURCE, src, c->mark);
		json_object_set_new(c->sources, src, json_true());
	}
	if (r == 2) c->other++;
	else if (r == 0) c->existing++;
	else if (r == 1) {
		c->stored++;
		if (seen) c->seen++;
		else c->unseen++;
	} else if (r < 0) {
		c->err = e; /* the database failed: stop */
		c->failed = 1;
		return -1;
	} else {
		if (c->nmsgs < 8) snprintf(c->msgs[c->nmsgs++], sizeof c->msgs[0], "%.60s: %.130s", t->address, e.msg);
		c->bad++;
	}
	return 0;
}

struct show_ctx {
	json_t *arr;
};

static int show_one(void *vctx, const struct tl_eth_tag_rec *t)
{
	struct show_ctx *c = vctx;
	char hx[43];
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i}", "chain", "", "address", tl_eth_addr_hex(t->addr, hx), "label",
	                      t->label, "category", t->category, "source", t->source, "confidence", t->confidence);
	if (t->entity) json_object_set_new(o, "entity", json_string(t->entity));
	if (t->notes) json_object_set_new(o, "notes", json_string(t->notes));
	json_array_append_new(c->arr, o);
	return 0;
}

int cmd_tags_eth(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },   { "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },       { "help", no_argument, NULL, 'h' },
		{ "tlp", required_argument, NULL, 't' },  { NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *format = NULL, *tlp = NULL;
	int json = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:f:jt:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'f': format = optarg; break;
		case 'j': json = 1; break;
		case 't': tlp = optarg; break;
		case 'h':
			printf("usage: taintline tags import|show --db ETHDB FILE|ADDRESS [--format F] [--tlp LEVEL] [--json]\n");
			return TL_EXIT_OK;
		default: return TL_EXIT_USAGE;
		}
	}
	if (!db || argc - optind != 2 || (strcmp(argv[optind], "import") && strcmp(argv[optind], "show"))) {
		fprintf(stderr, "usage: taintline tags import --db ETHDB FILE [--format csv|ofac|tagpack]\n"
		                "       taintline tags show --db ETHDB ADDRESS [--json]\n");
		return TL_EXIT_USAGE;
	}
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
	int import = !strcmp(argv[optind], "import");
	const char *arg = argv[optind + 1];
	struct tl_tlp_mark mark;
	if (tlp && parse_tlp("tags", tlp, &mark)) return TL_EXIT_USAGE;
	struct tl_eth_store *st;
	if (open_db("tags", db, import, &st)) return TL_EXIT_FAIL;
	int rc = TL_EXIT_OK;
	if (import) {
		struct import_ctx ic = { .s = st, .b = tl_eth_batch_new(st), .mark = tlp ? &mark : NULL, .sources = json_object() };
		struct tl_tag_report rep;
		memset(&rep, 0, sizeof rep);
		struct tl_err err = { 0 };
		if (tl_tags_parse_file(arg, fmt, import_one, &ic, &rep, &err) || ic.failed ||
		    tl_eth_store_write(st, ic.b, &err)) {
			fprintf(stderr, "tags import: %s\n", ic.failed ? ic.err.msg : err.msg);
			for (int i = 0; i < rep.nmsgs; i++) fprintf(stderr, "  %s\n", rep.msgs[i]);
			fprintf(stderr, "nothing was imported\n");
			rc = TL_EXIT_FAIL;
		} else {
			printf("%s (%s): %lu tags stored (%lu already present), %lu on indexed addresses, %lu on "
			       "addresses not seen yet, %lu on other chains\n",
			       arg, tl_tag_format_name(rep.format), ic.stored, ic.existing, ic.seen, ic.unseen, ic.other);
			if (tlp) printf("%zu tag sources marked TLP:%s\n", json_object_size(ic.sources), tl_tlp_level_name(mark.level));
			unsigned long bad = rep.skipped + ic.bad;
			if (bad) {
				printf("%lu rows skipped:\n", bad);
				for (int i = 0; i < rep.nmsgs; i++) printf("  %s\n", rep.msgs[i]);
				for (int i = 0; i < ic.nmsgs; i++) printf("  %s\n", ic.msgs[i]);
			}
		}
		tl_eth_batch_free(ic.b);
		json_decref(ic.sources);
	} else {
		uint8_t a[20];
		struct tl_err err = { 0 };
		struct show_ctx sc = { json_array() };
		if (tl_eth_addr_parse(arg, strlen(arg), a, &err) || tl_eth_tags_each(st, a, show_one, &sc, &err)) {
			fprintf(stderr, "tags show: %s\n", err.msg);
			rc = TL_EXIT_FAIL;
		} else {
			char hx[43];
			uint64_t id;
			int seen = tl_eth_store_account_id(st, a, &id, &err) == 1;
			size_t i;
			json_t *t;
			json_array_foreach(sc.arr, i, t)
				json_object_set_new(t, "chain", json_string(tl_eth_store_net(st)->chain));
			if (json) {
				json_t *o = json_pack("{s:s,s:O}", "address", tl_eth_addr_hex(a, hx), "tags", sc.arr);
				json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
				printf("\n");
				json_decref(o);
			} else {
				printf("%s%s\n", tl_eth_addr_hex(a, hx), seen ? "" : " (not seen by the index)");
				json_array_foreach(sc.arr, i, t) {
					printf("  %-10s %s", json_string_value(json_object_get(t, "category")),
					       json_string_value(json_object_get(t, "label")));
					json_int_t cf = json_integer_value(json_object_get(t, "confidence"));
					if (cf >= 0) printf(", confidence %d", (int)cf);
					printf("\n             source: %s\n", json_string_value(json_object_get(t, "source")));
				}
				if (!json_array_size(sc.arr)) printf("  no tags on the address\n");
			}
		}
		json_decref(sc.arr);
	}
	tl_eth_store_close(st);
	return rc;
}

/* ---- screening ---- */

int eth_screen_refresh(struct tl_eth_store *st, int all, int quiet, struct tl_err *err)
{
	json_t *a;
	if (tl_eth_heists_list(st, &a, err)) return -1;
	size_t i, done = 0, skipped = 0;
	json_t *h;
	int rc = 0;
	json_array_foreach(a, i, h) {
		const char *id = json_string_value(json_object_get(h, "id"));
		if (!id || !tl_eth_chain_is(st, json_string_value(json_object_get(h, "chain"))) ||
		    !json_array_size(json_object_get(h, "seeds")))
			continue;
		int64_t tip;
		int k = tl_eth_screen_state(st, id, &tip, err);
		if (k < 0) {
			rc = -1;
			break;
		}
		if (!k && !all) continue;
		struct tl_err e2 = { 0 };
		if (eth_screen_materialize(st, id, &e2)) {
			/* seeds not in the index (yet, or no longer after a reorg):
			 * screened once they are, nothing meanwhile */
			if (k && tl_eth_screen_drop(st, id, err)) {
				rc = -1;
				break;
			}
			skipped++;
			if (!quiet) printf("screening index: %s not materialized: %s\n", id, e2.msg);
			continue;
		}
		done++;
	}
	json_decref(a);
	if (!rc && !quiet) printf("screening index: %zu heists materialized to the tip, %zu skipped\n", done, skipped);
	return rc;
}

int cmd_screen_eth(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },   { "address", required_argument, NULL, 'a' },
		{ "update", no_argument, NULL, 'u' },     { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *addr = NULL;
	int c, update = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:a:uh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'a': addr = optarg; break;
		case 'u': update = 1; break;
		case 'h':
			printf("usage: taintline screen --db ETHDB --address 0x... | --update\n"
			       "  The account's exposure to every imported heist (haircut, default stops): per\n"
			       "  asset, the tainted amount it received and its share of all it received.\n"
			       "  --update brings the screening index to the tip (index does it too).\n");
			return TL_EXIT_OK;
		default: return TL_EXIT_USAGE;
		}
	}
	if (!db || optind != argc || !!addr == update) {
		fprintf(stderr, "usage: taintline screen --db ETHDB --address 0x... | --update\n");
		return TL_EXIT_USAGE;
	}
	uint8_t a[20];
	struct tl_err err = { 0 };
	if (addr && tl_eth_addr_parse(addr, strlen(addr), a, &err)) {
		fprintf(stderr, "screen: %s\n", err.msg);
		return TL_EXIT_USAGE;
	}
	struct tl_eth_store *st;
	if (open_db("screen", db, update, &st)) return TL_EXIT_FAIL;
	int rc = TL_EXIT_OK;
	json_t *o = NULL;
	if (update ? eth_screen_refresh(st, 0, 0, &err) : tl_eth_screen_account(st, a, &o, &err)) {
		fprintf(stderr, "screen: %s\n", err.msg);
		rc = TL_EXIT_FAIL;
	} else if (o) {
		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("\n");
	}
	json_decref(o);
	tl_eth_store_close(st);
	return rc;
}
