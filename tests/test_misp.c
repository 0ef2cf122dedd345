/* MISP export of the demo heist's trace (report/export.h), checked
 * against the MISP object templates in the shared data
 * (misp-objects/objects/NAME/definition.json): every object's name,
 * template uuid and version; every attribute's relation known to the
 * template with the template's type; required and requiredOneOf present;
 * the TLP tag of each level; the actor as a threat-actor galaxy cluster
 * with the sources; amounts (exact decimal text) adding up to the trace's
 * totals; the same trace gives the same event; imported back as a
 * partner's event: tags with the TLP tag's level, the theft as a heist
 * seeded from the marked transaction, nothing new the second time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <jansson.h>

#include "report/case_export.h"
#include "report/export.h"
#include "report/import.h"
#include "tests/sharefix.h"

static struct sharefix fx;

static int setup(void **state)
{
	(void)state;
	sf_setup(&fx, "misp");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sf_teardown(&fx);
	return 0;
}

static json_t *export(enum tl_tlp t)
{
	struct tl_export_opts o = { .tlp = t, .producer = "Test FIU" };
	json_t *e = NULL;
	struct tl_err err;
	if (tl_misp_export(fx.trace, &o, &e, &err)) fail_msg("export: %s", err.msg);
	return e;
}

static json_t *template(const char *name)
{
	char rel[256];
	snprintf(rel, sizeof rel, "sharing/misp-objects/objects/%s/definition.json", name);
	const char *path = tu_shared_path(rel);
	json_error_t je;
	json_t *t = json_load_file(path, 0, &je);
	if (!t) fail_msg("%s: %s", path, je.text);
	return t;
}

static void check_object(const json_t *ob, const json_t *tpl)
{
	const char *name = json_string_value(json_object_get(ob, "name"));
	assert_string_equal(name, json_string_value(json_object_get(tpl, "name")));
	assert_string_equal(json_string_value(json_object_get(ob, "meta-category")),
	                    json_string_value(json_object_get(tpl, "meta-category")));
	if (strcasecmp(json_string_value(json_object_get(ob, "template_uuid")), json_string_value(json_object_get(tpl, "uuid"))))
		fail_msg("%s: template_uuid differs", name);
	char ver[16];
	snprintf(ver, sizeof ver, "%lld", (long long)json_integer_value(json_object_get(tpl, "version")));
	assert_string_equal(json_string_value(json_object_get(ob, "template_version")), ver);
	const json_t *tattrs = json_object_get(tpl, "attributes");
	json_t *seen = json_object();
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(ob, "Attribute"), i, a) {
		const char *rel = json_string_value(json_object_get(a, "object_relation"));
		const json_t *ta = json_object_get(tattrs, rel);
		if (!ta) fail_msg("%s: attribute '%s' is not in the template", name, rel);
		if (strcmp(json_string_value(json_object_get(a, "type")), json_string_value(json_object_get(ta, "misp-attribute"))))
			fail_msg("%s.%s: type %s, template says %s", name, rel, json_string_value(json_object_get(a, "type")),
			         json_string_value(json_object_get(ta, "misp-attribute")));
		const json_t *vl = json_object_get(ta, "values_list");
		if (vl) {
			int ok = 0;
			size_t k;
			json_t *v;
			json_array_foreach(vl, k, v) ok |= !strcmp(json_string_value(v), json_string_value(json_object_get(a, "value")));
			if (!ok) fail_msg("%s.%s: value not in the template's list", name, rel);
		}
		if (json_object_get(seen, rel) && !json_is_true(json_object_get(ta, "multiple")))
			fail_msg("%s.%s twice but not 'multiple'", name, rel);
		assert_true(json_is_string(json_object_get(a, "value")));
		json_object_set_new(seen, rel, json_true());
	}
	json_t *r;
	json_array_foreach(json_object_get(tpl, "required"), i, r)
		if (!json_object_get(seen, json_string_value(r))) fail_msg("%s: required '%s' missing", name, json_string_value(r));
	const json_t *one = json_object_get(tpl, "requiredOneOf");
	if (json_array_size(one)) {
		int any = 0;
		json_array_foreach(one, i, r) any |= json_object_get(seen, json_string_value(r)) != NULL;
		if (!any) fail_msg("%s: none of requiredOneOf present", name);
	}
	json_decref(seen);
}

static const char *attr_value(const json_t *ob, const char *rel)
{
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(ob, "Attribute"), i, a)
		if (!strcmp(json_string_value(json_object_get(a, "object_relation")), rel))
			return json_string_value(json_object_get(a, "value"));
	return NULL;
}

static void test_templates_and_amounts(void **state)
{
	(void)state;
	json_t *tw = template("btc-wallet"), *tt = template("btc-transaction"), *tc = template("coin-address");
	json_t *e = export(TL_TLP_AMBER);
	const json_t *ev = json_object_get(e, "Event");
	assert_non_null(ev);
	long long wallet_sat = 0, coin_sat = 0;
	size_t ntx = 0, nw = 0, nc = 0, i;
	json_t *ob;
	json_array_foreach(json_object_get(ev, "Object"), i, ob) {
		const char *n = json_string_value(json_object_get(ob, "name"));
		if (!strcmp(n, "btc-wallet")) {
			check_object(ob, tw);
			wallet_sat += sf_btc_to_sat(attr_value(ob, "BTC_received"));
			nw++;
		} else if (!strcmp(n, "btc-transaction")) {
			check_object(ob, tt);
			assert_int_equal(strlen(attr_value(ob, "transaction-number")), 64);
			ntx++;
		} else if (!strcmp(n, "coin-address")) {
			check_object(ob, tc);
			coin_sat += sf_btc_to_sat(attr_value(ob, "total-received"));
			nc++;
		} else {
			fail_msg("unexpected object %s", n);
		}
	}
	const json_t *tot = json_object_get(fx.trace, "totals");
	assert_int_equal(wallet_sat, json_integer_value(json_object_get(tot, "holdings_sat")));
	assert_int_equal(coin_sat, json_integer_value(json_object_get(tot, "endpoints_sat")));
	assert_int_equal(nw, json_array_size(json_object_get(fx.trace, "holdings")));
	assert_int_equal(nc, json_array_size(json_object_get(fx.trace, "endpoints")));
	size_t txnodes = 0;
	json_array_foreach(json_object_get(json_object_get(fx.trace, "graph"), "nodes"), i, ob)
		txnodes += !strcmp(json_string_value(json_object_get(ob, "kind")), "tx");
	assert_int_equal(ntx, txnodes);
	/* the actor */
	const json_t *g = json_array_get(json_object_get(ev, "Galaxy"), 0);
	assert_string_equal(json_string_value(json_object_get(g, "type")), "threat-actor");
	const json_t *cl = json_array_get(json_object_get(g, "GalaxyCluster"), 0);
	assert_string_equal(json_string_value(json_object_get(cl, "value")), SF_ACTOR);
	char *refs = json_dumps(json_object_get(json_object_get(cl, "meta"), "refs"), 0);
	assert_non_null(strstr(refs, SF_SOURCE1));
	assert_non_null(strstr(refs, SF_SOURCE2));
	free(refs);
	json_t *e2 = export(TL_TLP_AMBER);
	assert_true(json_equal(e, e2));
	json_decref(e2);
	json_decref(e);
	json_decref(tw);
	json_decref(tt);
	json_decref(tc);
}

static void test_tlp_tags(void **state)
{
	(void)state;
	static const char *const want[] = { "tlp:clear", "tlp:green", "tlp:amber", "tlp:amber+strict", "tlp:red" };
	for (int l = 0; l < 5; l++) {
		json_t *e = export((enum tl_tlp)l);
		const json_t *tags = json_object_get(json_object_get(e, "Event"), "Tag");
		assert_int_equal(json_array_size(tags), 1);
		assert_string_equal(json_string_value(json_object_get(json_array_get(tags, 0), "name")), want[l]);
		json_decref(e);
	}
}

static void test_import(void **state)
{
	(void)state;
	json_t *e = export(TL_TLP_GREEN);
	struct tl_share_import_opts o = { .source = "Partner CERT", .tlp = TL_TLP_RED, .confidence = -1 };
	struct tl_share_import_report r1, r2;
	struct tl_err err;
	if (tl_share_import(fx.st, e, &o, &r1, &err)) fail_msg("import: %s", err.msg);
	assert_string_equal(r1.format, "misp");
	/* one tag per wallet and per reached address (same address twice is one tag) */
	assert_true(r1.tags_stored > 0);
	assert_int_equal(r1.heists_added, 1);
	assert_true(r1.seeds >= 1);
	if (tl_share_import(fx.st, e, &o, &r2, &err)) fail_msg("import: %s", err.msg);
	assert_int_equal(r2.tags_existing, r1.tags_stored);
	assert_int_equal(r2.heists_added, 0);
	/* the seeds are the trace's seed transactions */
	struct tl_heist_info hi;
	memset(&hi, 0, sizeof hi);
	assert_int_equal(tl_heist_get(fx.st, r1.heist_id, &hi, &err), 1);
	json_t *def = json_loads(hi.json, 0, NULL);
	free(hi.json);
	assert_string_equal(json_string_value(json_object_get(def, "tlp")), "green");
	assert_string_equal(json_string_value(json_object_get(def, "actor")), SF_ACTOR);
	size_t i;
	json_t *sd;
	json_array_foreach(json_object_get(def, "seeds"), i, sd) {
		const char *tx = json_string_value(json_object_get(sd, "txid"));
		int found = 0;
		size_t k;
		json_t *so;
		json_array_foreach(json_object_get(fx.trace, "seed_outputs"), k, so) {
			const char *a = json_string_value(json_object_get(so, "txid"));
			const char *b = json_string_value(json_object_get(so, "outpoint"));
			found |= (a && !strcmp(a, tx)) || (b && !strncmp(b, tx, 64));
		}
		if (!found) fail_msg("seed %s is not one of the trace's", tx);
	}
	json_decref(def);
	json_decref(e);
}

/* A case's event (report/case_export.h): objects by the templates, the
 * amounts each address received by the case's own edges (summed here
 * independently), the notes as the event's comment, the TLP tag. */
static void test_case_event(void **state)
{
	(void)state;
	struct tl_err err;
	const char *notes = "Freeze request sent to the exchange on 2 January.";
	json_t *meta, *graph, *c = NULL, *e = NULL;
	sf_case_from_trace(fx.trace, notes, &meta, &graph);
	if (tl_case_normalize(3, meta, graph, &c, &err)) fail_msg("%s", err.msg);
	struct tl_export_opts o = { .tlp = TL_TLP_AMBER_STRICT, .producer = "Test FIU" };
	if (tl_misp_export_case(c, &o, &e, &err)) fail_msg("%s", err.msg);
	json_t *tw = template("btc-wallet"), *tt = template("btc-transaction");
	const json_t *ev = json_object_get(e, "Event");
	/* the truth: satoshis into each address node, by the drawing's edges */
	json_t *want = json_object();
	size_t i, nw = 0, ntx = 0, naddr = 0, ntxn = 0;
	json_t *x;
	json_array_foreach(json_object_get(json_object_get(graph, "snapshot"), "edges"), i, x) {
		const json_t *d = json_object_get(x, "data");
		const char *t = json_string_value(json_object_get(d, "target"));
		const json_t *a = json_object_get(d, "amount");
		if (strncmp(t, "a:", 2) || !json_is_integer(a)) continue;
		json_object_set_new(want, t + 2, json_integer(json_integer_value(json_object_get(want, t + 2)) + json_integer_value(a)));
	}
	json_array_foreach(json_object_get(json_object_get(graph, "snapshot"), "nodes"), i, x) {
		const char *k = json_string_value(json_object_get(json_object_get(x, "data"), "kind"));
		naddr += !strcmp(k, "address");
		ntxn += !strcmp(k, "tx");
	}
	json_array_foreach(json_object_get(ev, "Object"), i, x) {
		const char *n = json_string_value(json_object_get(x, "name"));
		if (!strcmp(n, "btc-wallet")) {
			check_object(x, tw);
			const char *a = attr_value(x, "wallet-address");
			const json_t *w = json_object_get(want, a);
			if (w) assert_int_equal(sf_btc_to_sat(attr_value(x, "BTC_received")), json_integer_value(w));
			else assert_null(attr_value(x, "BTC_received"));
			nw++;
		} else if (!strcmp(n, "btc-transaction")) {
			check_object(x, tt);
			ntx++;
		} else {
			fail_msg("unexpected object %s", n);
		}
	}
	assert_true(nw > 0 && ntx > 0);
	assert_true(nw <= naddr); /* an address drawn twice is one wallet */
	assert_int_equal(ntx, ntxn);
	const json_t *at = json_array_get(json_object_get(ev, "Attribute"), 0);
	assert_string_equal(json_string_value(json_object_get(at, "type")), "comment");
	assert_string_equal(json_string_value(json_object_get(at, "value")), notes);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(ev, "Tag"), 0), "name")),
	                    "tlp:amber+strict");
	json_decref(want);
	json_decref(tw);
	json_decref(tt);
	json_decref(e);
	json_decref(c);
	json_decref(meta);
	json_decref(graph);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_templates_and_amounts),
		cmocka_unit_test(test_tlp_tags),
		cmocka_unit_test(test_import),
		cmocka_unit_test(test_case_event),
	};
	return tu_finish(cmocka_run_group_tests(tests, setup, teardown));
}
