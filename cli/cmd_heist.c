/* taintline heist import|list|show: the heist registry in the database. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/write_mark.h"
#include "store/eth_store.h"
#include "store/store.h"
#include "store/tlp.h"
#include "tracer/tag_clearance.h"
#include "tracer/entities.h"
#include "intel/registry.h"
#include "tracer/screen.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: taintline heist import --db DB FILE [--tlp LEVEL]\n"
		   "       taintline heist list --db DB [--json]\n"
		   "       taintline heist show --db DB ID\n"
		   "  import: validates a heist registry (JSON, see docs/heists-and-tags.md) and\n"
		   "          stores every heist; re-importing updates definitions, keeps numbers.\n"
		   "          --tlp marks every heist of FILE with that TLP level (clear, green,\n"
		   "          amber, amber+strict, red, or red/AUDIENCE for named recipients: only\n"
		   "          keys cleared red/AUDIENCE see it); a \"tlp\" member of a definition counts\n"
		   "          too (the higher wins). API keys cleared below it do not see it.\n"
		   "  list:   id, number, date, chain, traceable, name and sources of each heist.\n"
		   "  show:   one heist's stored definition (JSON).\n");
}

struct list_ctx {
	int json;
	json_t *arr;
};

static int list_one(void *ctx, const struct tl_heist_info *h)
{
	struct list_ctx *c = ctx;
	json_error_t je;
	json_t *def = json_loads(h->json, 0, &je);
	if (!def) def = json_object();
	if (c->json) {
		json_t *o = json_object();
		json_object_set_new(o, "id", json_string(h->id));
		json_object_set_new(o, "num", json_integer(h->num));
		json_object_set_new(o, "traceable", json_boolean(h->traceable));
		json_object_set_new(o, "definition", def);
		json_array_append_new(c->arr, o);
		return 0;
	}
	const char *name = json_string_value(json_object_get(def, "name"));
	const char *date = json_string_value(json_object_get(def, "date"));
	const char *chain = json_string_value(json_object_get(def, "chain"));
	printf("%-4u %-36s %-10s %-9s %-13s %s\n", h->num, h->id, date ? date : "", chain ? chain : "",
	       h->traceable ? "traceable" : "not traceable", name ? name : "");
	json_t *src = json_object_get(def, "sources");
	size_t i;
	json_t *e;
	json_array_foreach(src, i, e) {
		const char *u = json_is_string(e) ? json_string_value(e) : json_string_value(json_object_get(e, "url"));
		if (u) printf("       source: %s\n", u);
	}
	json_decref(def);
	return 0;
}

/* Marks every heist of a registry file (heist import --tlp). */
static int mark_heists(struct tl_store *s, const char *file, const struct tl_tlp_mark *m, struct tl_err *err)
{
	struct tl_registry *reg;
	if (tl_registry_load(file, &reg, err)) return -1;
	struct tl_batch *b = tl_batch_new(s);
	for (size_t i = 0; i < reg->n; i++) tl_tlp_mark_put(b, TL_TLP_HEIST, reg->heists[i].id, m);
	int rc = tl_store_write(s, b, err);
	tl_batch_free(b);
	if (!rc) printf("%zu heists marked TLP:%s\n", reg->n, tl_tlp_level_name(m->level));
	tl_registry_free(reg);
	return rc;
}

int cmd_heist(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) { /* an Ethereum database: cli/eth_intel.c */
		const char *d = !strcmp(argv[i], "--db") && i + 1 < argc ? argv[i + 1]
		                : !strncmp(argv[i], "--db=", 5) ? argv[i] + 5 : NULL;
		if (d && tl_eth_store_probe(d)) return cmd_heist_eth(argc, argv);
	}
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
	while ((c = getopt_long(argc, argv, "d:jht:", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'j': json = 1; break;
		case 't': tlp = optarg; break;
		case 'h': usage(stdout); return TL_EXIT_OK;
		default: usage(stderr); return TL_EXIT_USAGE;
		}
	}
	const char *sub = optind < argc ? argv[optind] : "";
	int nargs = argc - optind - 1;
	if (!db || !((!strcmp(sub, "import") && nargs == 1) || (!strcmp(sub, "list") && nargs == 0) ||
		     (!strcmp(sub, "show") && nargs == 1))) {
		usage(stderr);
		return TL_EXIT_USAGE;
	}
	int import = !strcmp(sub, "import");
	struct tl_err err;
	struct tl_tlp_mark mark = { .level = TL_TLP_CLEAR };
	struct tl_clearance lv; /* the same form as a key's: red/AUDIENCE names the recipients */
	if (tlp && (!import || tl_clearance_from_name(tlp, &lv, &err))) {
		fprintf(stderr, "heist: --tlp goes with import and is one of clear, green, amber, amber+strict, red, "
		                "red/AUDIENCE\n");
		return TL_EXIT_USAGE;
	}
	if (tlp) {
		mark.level = lv.level;
		memcpy(mark.audience, lv.audience, sizeof mark.audience);
	}
	struct tl_store *s;
	struct tl_store_opts so = { .read_only = !import, .cache_mb = 16 };
	if (tl_store_open(db, &so, &s, &err) < 0) {
		fprintf(stderr, "heist: %s\n", err.msg);
		return TL_EXIT_FAIL;
	}
	int rc = TL_EXIT_OK;
	bool owned = false;
	if (import && cli_write_begin(s, &owned, &err) < 0) {
		fprintf(stderr, "heist: %s\n", err.msg);
		tl_store_close(s);
		return TL_EXIT_FAIL;
	}
	if (import) {
		struct tl_heist_import_report rep;
		if (tl_heists_import(s, argv[optind + 1], &rep, &err) < 0) {
			fprintf(stderr, "heist import: %s\nnothing was imported\n", err.msg);
			rc = TL_EXIT_FAIL;
		} else {
			printf("%s: %lu heists added, %lu updated (%lu traceable on this network, %lu not)\n",
			       argv[optind + 1], rep.added, rep.updated, rep.traceable, rep.not_traceable);
			if (tlp && mark_heists(s, argv[optind + 1], &mark, &err)) {
				fprintf(stderr, "heist import: the heists were stored but their TLP level was not: %s\n",
					err.msg);
				rc = TL_EXIT_FAIL;
			}
			/* Materialize the screening index of the new heists over the
			 * blocks already indexed, so screening is a lookup. */
			struct tl_screen_update_stats us;
			if (rep.traceable && tl_screen_update(s, &us, &err) < 0) {
				fprintf(stderr, "heist import: screening index: %s\n", err.msg);
				rc = TL_EXIT_FAIL;
			} else if (rep.traceable) {
				printf("screening index: %u heists materialized, %u brought to the tip; %llu "
				       "transactions walked\n", us.rebuilt, us.heists - us.rebuilt,
				       (unsigned long long)us.visited);
			}
		}
	} else if (!strcmp(sub, "list")) {
		struct list_ctx lc = { json, json ? json_array() : NULL };
		int n = tl_heists_list(s, list_one, &lc, &err);
		if (n < 0) {
			fprintf(stderr, "heist list: %s\n", err.msg);
			rc = TL_EXIT_FAIL;
		} else if (json) {
			json_t *o = json_object();
			json_object_set_new(o, "heists", lc.arr);
			lc.arr = NULL;
			json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			printf("\n");
			json_decref(o);
		} else if (n == 0) {
			printf("no heists stored; import a registry with 'taintline heist import'\n");
		}
		json_decref(lc.arr);
	} else {
		struct tl_heist_info h;
		int r = tl_heist_get(s, argv[optind + 1], &h, &err);
		if (r <= 0) {
			fprintf(stderr, "heist show: %s\n", r < 0 ? err.msg : "no such heist");
			rc = TL_EXIT_FAIL;
		} else {
			printf("%s\n", h.json);
			free(h.json);
		}
	}
	if (cli_write_end(s, owned, &err) < 0) {
		fprintf(stderr, "heist: update marker: %s\n", err.msg);
		rc = TL_EXIT_FAIL;
	}
	tl_store_close(s);
	return rc;
}
