/* The demo's heist for the sharing tests (test_sign, test_stix,
 * test_misp): a simulated regtest chain with a DPRK-style theft, indexed,
 * its tags imported, and its heist imported with an attributed actor and
 * sources added (the simulator's registry has none), then traced.
 * Header-only (static functions) so each test program includes it. */
#ifndef TL_TESTS_SHAREFIX_H
#define TL_TESTS_SHAREFIX_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "tests/chainfix.h"
#include "tests/testutil.h"
#include "tracer/entities.h"
#include "tracer/storegraph.h"
#include "tracer/trace.h"

#define SF_ACTOR "Lazarus Group"
#define SF_SOURCE1 "https://example.invalid/advisory-1"
#define SF_SOURCE2 "https://example.invalid/advisory-2"

struct sharefix {
	char *dir, *db;
	struct tl_store *st;
	struct tl_storegraph *sg;
	char heist_id[80];
	json_t *trace; /* the heist's trace with the trace command's defaults */
};

/* Builds everything; fails the running test on error. */
static void sf_setup(struct sharefix *f, const char *tag)
{
	struct tl_err err;
	memset(f, 0, sizeof *f);
	f->dir = tu_tmpdir(tag);
	cf_sim(f->dir, 7, 200, 20, 1, true);
	char blocks[4096], path[4200];
	snprintf(blocks, sizeof blocks, "%s/blocks", f->dir);
	f->db = malloc(4096);
	snprintf(f->db, 4096, "%s/db", f->dir);
	struct tl_index_opts io = cf_index_opts(blocks, f->db);
	cf_index_run(&io, NULL);
	struct tl_store_opts so = { .cache_mb = 16 };
	f->st = cf_store_open(f->db, &so);
	struct tl_tag_import_report trep;
	struct tl_heist_import_report hrep;
	snprintf(path, sizeof path, "%s/tags.csv", f->dir);
	if (tl_tags_import(f->st, path, TL_TAGFMT_AUTO, &trep, &err)) fail_msg("tags: %s", err.msg);
	/* the simulator's registry, with an actor and sources */
	snprintf(path, sizeof path, "%s/heists.json", f->dir);
	json_error_t je;
	json_t *reg = json_load_file(path, 0, &je);
	if (!reg) fail_msg("heists.json: %s", je.text);
	json_t *h = json_array_get(json_object_get(reg, "heists"), 0);
	assert_non_null(h);
	snprintf(f->heist_id, sizeof f->heist_id, "%s", json_string_value(json_object_get(h, "id")));
	json_object_set_new(h, "actor", json_string(SF_ACTOR));
	json_object_set_new(h, "sources", json_pack("[s,{s:s,s:s}]", SF_SOURCE1, "url", SF_SOURCE2, "title", "second"));
	snprintf(path, sizeof path, "%s/heists-attributed.json", f->dir);
	if (json_dump_file(reg, path, JSON_INDENT(2))) fail_msg("cannot write %s", path);
	json_decref(reg);
	if (tl_heists_import(f->st, path, &hrep, &err)) fail_msg("heists: %s", err.msg);
	if (tl_storegraph_new(f->st, &f->sg, &err)) fail_msg("%s", err.msg);
	/* its trace, as taintline trace --heist would make it */
	struct tl_heist_info hi;
	memset(&hi, 0, sizeof hi);
	struct tl_registry *r = NULL;
	assert_int_equal(tl_heist_get(f->st, f->heist_id, &hi, &err), 1);
	if (tl_heist_parse(&hi, &r, &err)) fail_msg("%s", err.msg);
	free(hi.json);
	struct tl_trace_seeds s;
	tl_trace_seeds_init(&s);
	if (tl_trace_seeds_add_heist(f->sg, &r->heists[0], &s, &err)) fail_msg("seeds: %s", err.msg);
	struct tl_walk_params p;
	tl_walk_params_default(&p);
	p.max_hops = TL_TRACE_DEFAULT_MAX_HOPS;
	p.min_sat = TL_TRACE_DEFAULT_MIN_SAT;
	if (tl_trace_run(f->sg, &s, &p, &f->trace, &err)) fail_msg("trace: %s", err.msg);
	tl_trace_seeds_free(&s);
	tl_registry_free(r);
	assert_true(json_array_size(json_object_get(f->trace, "endpoints")) >= 2);
	assert_true(json_array_size(json_object_get(f->trace, "holdings")) >= 1);
}

static void sf_teardown(struct sharefix *f)
{
	json_decref(f->trace);
	tl_storegraph_free(f->sg);
	tl_store_close(f->st);
	tu_rmrf(f->dir);
	free(f->dir);
	free(f->db);
}

/* A case as the web app saves it (routes_cases.c: metadata; graph with a
 * snapshot of nodes and edges) drawn from a trace: every transaction and
 * every endpoint's and holding's address as nodes, every edge of the
 * trace with its amount, plus what a drawing may hold that is neither (a
 * group node and its edge, an amount that is not whole satoshis), to be
 * skipped. Out: *meta, *graph (new references). */
__attribute__((unused)) static void sf_case_from_trace(const json_t *trace, const char *notes, json_t **meta,
                                                       json_t **graph)
{
	json_t *nodes = json_array(), *edges = json_array(), *opaddr = json_object();
	static const char *const lists[] = { "endpoints", "holdings" };
	for (int l = 0; l < 2; l++) {
		size_t i;
		json_t *e;
		json_array_foreach(json_object_get(trace, lists[l]), i, e) {
			const char *a = json_string_value(json_object_get(e, "address"));
			const char *op = json_string_value(json_object_get(e, "outpoint"));
			if (!a || !op) continue;
			json_object_set_new(opaddr, op, json_string(a));
			char id[200];
			snprintf(id, sizeof id, "a:%s", a);
			json_array_append_new(nodes, json_pack("{s:{s:s,s:s,s:s,s:s}}", "data", "id", id, "kind", "address",
			                                       "ref", a, "label", "whatever the drawing said"));
		}
	}
	size_t i;
	json_t *n;
	json_array_foreach(json_object_get(json_object_get(trace, "graph"), "nodes"), i, n) {
		const char *kind = json_string_value(json_object_get(n, "kind"));
		const char *tid = json_string_value(json_object_get(n, "id"));
		if (!kind || strcmp(kind, "tx")) continue;
		char id[100];
		snprintf(id, sizeof id, "t:%s", tid);
		json_array_append_new(nodes, json_pack("{s:{s:s,s:s,s:s}}", "data", "id", id, "kind", "tx", "ref", tid));
	}
	json_array_foreach(json_object_get(json_object_get(trace, "graph"), "edges"), i, n) {
		const char *from = json_string_value(json_object_get(n, "from"));
		const char *to = json_string_value(json_object_get(n, "to"));
		const char *kind = json_string_value(json_object_get(n, "kind"));
		char s[100], t[200];
		snprintf(s, sizeof s, "t:%s", from);
		if (!strcmp(kind, "flow")) snprintf(t, sizeof t, "t:%s", to);
		else if (json_object_get(opaddr, to)) snprintf(t, sizeof t, "a:%s", json_string_value(json_object_get(opaddr, to)));
		else continue;
		json_array_append_new(edges, json_pack("{s:{s:s,s:s,s:O}}", "data", "source", s, "target", t, "amount",
		                                       json_object_get(n, "amount_sat")));
	}
	json_decref(opaddr);
	json_array_append_new(nodes, json_pack("{s:{s:s,s:s,s:s}}", "data", "id", "g:group-1", "kind", "group", "ref", "x"));
	json_t *first = json_array_get(nodes, 0);
	json_array_append_new(edges, json_pack("{s:{s:s,s:O,s:f}}", "data", "source", "g:group-1", "target",
	                                       json_object_get(json_object_get(first, "data"), "id"), "amount", 1.5));
	*graph = json_pack("{s:s,s:s,s:{s:o,s:o}}", "mode", "explore", "policy", "haircut", "snapshot", "nodes", nodes,
	                   "edges", edges);
	*meta = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "name", "Bridge cash-out", "tlp", "amber", "notes", notes,
	                  "author", "analyst B", "created", "2026-01-02T03:04:05Z", "updated", "2026-01-02T04:05:06Z");
}

/* "123.45678901" -> satoshis, exactly (a naive digit walk, independent of
 * the exporter's formatting). -1 on anything else. */
__attribute__((unused)) static long long sf_btc_to_sat(const char *s)
{
	long long whole = 0, frac = 0;
	int nf = -1;
	for (const char *p = s; *p; p++) {
		if (*p == '.') {
			if (nf >= 0) return -1;
			nf = 0;
		} else if (*p >= '0' && *p <= '9') {
			if (nf < 0) whole = whole * 10 + (*p - '0');
			else if (nf < 8) frac = frac * 10 + (*p - '0'), nf++;
			else return -1;
		} else {
			return -1;
		}
	}
	if (nf < 0) nf = 0;
	while (nf++ < 8) frac *= 10;
	return whole * 100000000LL + frac;
}

#endif
