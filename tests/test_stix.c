/* STIX 2.1 export of the demo heist's trace (report/export.h):
 *   - UUIDv5 against values computed independently (Python's uuid5 of the
 *     same names) and every cyber-observable id re-derived here;
 *   - the TLP 2.0 markings equal the OASIS objects in the shared data, and
 *     every object but the markings and the published extension objects
 *     carries the export's level;
 *   - every *_ref / *_refs resolves inside the bundle (and a dangling one
 *     is caught);
 *   - the actor with its attribution and sources, the amounts of the flows
 *     against the trace's totals, one indicator per held address;
 *   - the same trace gives the same bundle;
 *   - import of the bundle as a partner's: held addresses become thief
 *     tags with the partner as source and the TLP level in the notes, the
 *     theft a heist whose trace on this database has the original's
 *     totals; a second import adds nothing; malformed input is refused.
 * The JSON schema validation is test_stix_schema. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "report/export.h"
#include "report/import.h"
#include "report/sign.h"
#include "report/tlp.h"
#include "report/uuid.h"
#include "tests/sharefix.h"

static struct sharefix fx;

static int setup(void **state)
{
	(void)state;
	sf_setup(&fx, "stix");
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
	json_t *b = NULL;
	struct tl_err err;
	if (tl_stix_export(fx.trace, &o, &b, &err)) fail_msg("export: %s", err.msg);
	return b;
}

static void test_uuid5(void **state)
{
	(void)state;
	char u[37];
	/* python3: uuid.uuid5(UUID('00abedb4-aa42-466c-9c01-fed23315a9b7'), '{"value":"1KFHE7w8BhaENAswwryaoccDb6qcT6DbYY"}') */
	const char *n1 = "{\"value\":\"1KFHE7w8BhaENAswwryaoccDb6qcT6DbYY\"}";
	assert_int_equal(tl_uuid5(TL_UUID_NS_STIX_SCO, n1, strlen(n1), u), 0);
	assert_string_equal(u, "27fadc91-1e1c-5474-988f-07a16840be45");
	const char *n2 = "{\"symbol\":\"BTC\",\"value\":\"3FZbgi29cpjq2GjdwV8eyHuJJnkLtktZc5\"}";
	assert_int_equal(tl_uuid5(TL_UUID_NS_STIX_SCO, n2, strlen(n2), u), 0);
	assert_string_equal(u, "4175ade4-96dc-5ef3-9cc1-3597db264589");
	assert_int_equal(tl_uuid5("not-a-uuid", "x", 1, u), -1);
}

static void test_tlp_levels(void **state)
{
	(void)state;
	const char *path = tu_shared_path("sharing/tlp-2.0-markings.json");
	json_error_t je;
	json_t *ref = json_load_file(path, 0, &je);
	if (!ref) fail_msg("%s: %s", path, je.text);
	assert_int_equal(json_array_size(ref), 5);
	static const char *const names[] = { "clear", "GREEN", "tlp:amber", "Amber+Strict", "TLP:RED" };
	for (int i = 0; i < 5; i++) {
		enum tl_tlp t;
		struct tl_err err;
		assert_int_equal(tl_tlp_parse(names[i], &t, &err), 0);
		assert_int_equal((int)t, i);
		json_t *m = tl_tlp_marking(t);
		if (!json_equal(m, json_array_get(ref, i)))
			fail_msg("marking %d differs from the OASIS object", i);
		json_decref(m);
	}
	enum tl_tlp t;
	struct tl_err err;
	assert_int_equal(tl_tlp_parse("white", &t, &err), 0);
	assert_int_equal(t, TL_TLP_CLEAR);
	assert_int_equal(tl_tlp_parse("purple", &t, &err), -1);
	json_decref(ref);
}

static int is_published_ext_object(const json_t *o)
{
	const char *id = json_string_value(json_object_get(o, "id"));
	const char *type = json_string_value(json_object_get(o, "type"));
	return !strcmp(type, "extension-definition") || !strcmp(id, "identity--9779a2db-f98c-5f4b-8d08-8ee04e02dbb5") ||
	       (!strcmp(type, "marking-definition") && json_object_get(o, "definition_type"));
}

static void test_bundle(void **state)
{
	(void)state;
	for (int lvl = 0; lvl < 5; lvl++) {
		json_t *b = export((enum tl_tlp)lvl);
		const char *mark = tl_tlp_marking_id((enum tl_tlp)lvl);
		char reason[512];
		if (!tl_stix_refs_resolve(b, reason, sizeof reason)) fail_msg("level %d: %s", lvl, reason);
		assert_string_equal(json_string_value(json_object_get(b, "type")), "bundle");
		size_t i;
		json_t *o;
		int have_mark = 0, have_ext[2] = { 0, 0 };
		json_array_foreach(json_object_get(b, "objects"), i, o) {
			const char *type = json_string_value(json_object_get(o, "type"));
			const char *id = json_string_value(json_object_get(o, "id"));
			/* ids: type--uuid */
			assert_true(!strncmp(id, type, strlen(type)) && !strncmp(id + strlen(type), "--", 2));
			assert_int_equal(strlen(id + strlen(type) + 2), 36);
			if (!strcmp(id, mark)) have_mark = 1;
			if (!strcmp(id, "extension-definition--be78509e-6958-51b1-8b26-d17ee0eba2d7")) have_ext[0] = 1;
			if (!strcmp(id, "extension-definition--151d042d-4dcf-5e44-843f-1024440318e5")) have_ext[1] = 1;
			if (!strcmp(type, "marking-definition") || is_published_ext_object(o)) continue;
			const json_t *mr = json_object_get(o, "object_marking_refs");
			if (json_array_size(mr) != 1 || strcmp(json_string_value(json_array_get(mr, 0)), mark))
				fail_msg("level %d: %s is not marked %s", lvl, id, mark);
		}
		assert_true(have_mark && have_ext[0] && have_ext[1]);
		json_decref(b);
	}
	/* a dangling reference is caught */
	json_t *b = export(TL_TLP_AMBER);
	json_t *objs = json_object_get(b, "objects"), *o;
	size_t i;
	json_array_foreach(objs, i, o)
		if (!strcmp(json_string_value(json_object_get(o, "type")), "relationship")) {
			json_object_set_new(o, "target_ref",
			                    json_string("cryptocurrency-wallet--00000000-0000-5000-8000-000000000000"));
			break;
		}
	char reason[512];
	assert_int_equal(tl_stix_refs_resolve(b, reason, sizeof reason), 0);
	assert_non_null(strstr(reason, "target_ref"));
	json_decref(b);
}

static const json_t *by_id(const json_t *b, const char *id)
{
	size_t i;
	json_t *o;
	json_array_foreach(json_object_get(b, "objects"), i, o)
		if (!strcmp(json_string_value(json_object_get(o, "id")), id)) return o;
	return NULL;
}

static void test_contents(void **state)
{
	(void)state;
	json_t *b = export(TL_TLP_GREEN);
	const json_t *objs = json_object_get(b, "objects");
	size_t i;
	json_t *o;
	/* the actor, with the attribution and the sources */
	const json_t *is = NULL;
	json_array_foreach(objs, i, o)
		if (!strcmp(json_string_value(json_object_get(o, "type")), "intrusion-set")) is = o;
	assert_non_null(is);
	assert_string_equal(json_string_value(json_object_get(is, "name")), SF_ACTOR);
	/* and as a threat-actor the intrusion set is attributed to */
	const json_t *ta = NULL, *att = NULL;
	json_array_foreach(objs, i, o) {
		const char *ty = json_string_value(json_object_get(o, "type"));
		if (!strcmp(ty, "threat-actor")) ta = o;
		if (!strcmp(ty, "relationship") && !strcmp(json_string_value(json_object_get(o, "relationship_type")), "attributed-to"))
			att = o;
	}
	assert_non_null(ta);
	assert_non_null(att);
	assert_string_equal(json_string_value(json_object_get(ta, "name")), SF_ACTOR);
	assert_string_equal(json_string_value(json_object_get(att, "source_ref")), json_string_value(json_object_get(is, "id")));
	assert_string_equal(json_string_value(json_object_get(att, "target_ref")), json_string_value(json_object_get(ta, "id")));
	const json_t *heist = json_array_get(json_object_get(json_object_get(fx.trace, "provenance"), "heists"), 0);
	const char *auth = json_string_value(json_object_get(json_object_get(heist, "attribution"), "authority"));
	char *refs = json_dumps(json_object_get(is, "external_references"), 0);
	assert_non_null(strstr(refs, auth));
	assert_non_null(strstr(refs, SF_SOURCE1));
	assert_non_null(strstr(refs, SF_SOURCE2));
	free(refs);
	/* every wallet's id is UUIDv5 of {"value": address}, derived here */
	int wallets = 0;
	json_array_foreach(objs, i, o) {
		if (strcmp(json_string_value(json_object_get(o, "type")), "cryptocurrency-wallet")) continue;
		char name[256], u[37], want[96];
		snprintf(name, sizeof name, "{\"value\":\"%s\"}", json_string_value(json_object_get(o, "value")));
		assert_int_equal(tl_uuid5(TL_UUID_NS_STIX_SCO, name, strlen(name), u), 0);
		snprintf(want, sizeof want, "cryptocurrency-wallet--%s", u);
		assert_string_equal(json_string_value(json_object_get(o, "id")), want);
		wallets++;
	}
	assert_true(wallets > 0);
	/* amounts: relationships into wallets add up to endpoints + holdings;
	 * one indicator per held address, whose pattern names it */
	long long into_wallets = 0;
	json_t *held = json_object();
	json_array_foreach(json_object_get(fx.trace, "holdings"), i, o)
		json_object_set_new(held, json_string_value(json_object_get(o, "address")), json_true());
	size_t indicators = 0;
	json_array_foreach(objs, i, o) {
		const char *type = json_string_value(json_object_get(o, "type"));
		if (!strcmp(type, "relationship") &&
		    !strcmp(json_string_value(json_object_get(o, "relationship_type")), "transfers-to")) {
			const json_t *t = by_id(b, json_string_value(json_object_get(o, "target_ref")));
			assert_non_null(t);
			if (!strcmp(json_string_value(json_object_get(t, "type")), "cryptocurrency-wallet"))
				into_wallets += json_integer_value(json_object_get(o, "x_taintline_amount_sat"));
		}
		if (!strcmp(type, "indicator")) {
			const char *pat = json_string_value(json_object_get(o, "pattern"));
			char addr[128];
			assert_int_equal(sscanf(pat, "[cryptocurrency-wallet:value = '%127[^']']", addr), 1);
			assert_non_null(json_object_get(held, addr));
			indicators++;
		}
	}
	const json_t *tot = json_object_get(fx.trace, "totals");
	long long want = json_integer_value(json_object_get(tot, "endpoints_sat")) +
	                 json_integer_value(json_object_get(tot, "holdings_sat"));
	/* endpoints or holdings without an address (none in the demo) would
	 * have no wallet */
	assert_int_equal(into_wallets, want);
	assert_int_equal(indicators, json_object_size(held));
	json_decref(held);
	/* the report names everything but markings, extension objects and the producer */
	const json_t *rep = NULL;
	json_array_foreach(objs, i, o)
		if (!strcmp(json_string_value(json_object_get(o, "type")), "report")) rep = o;
	assert_non_null(rep);
	assert_true(json_array_size(json_object_get(rep, "object_refs")) > (size_t)wallets);
	/* deterministic */
	json_t *b2 = export(TL_TLP_GREEN);
	assert_true(json_equal(b, b2));
	json_decref(b2);
	json_decref(b);
}

struct tagseen {
	const char *source;
	int found, thief;
	char notes[200];
};
static int tag_cb(void *ctx, const struct tl_tag_rec *t)
{
	struct tagseen *ts = ctx;
	if (!t->source || strcmp(t->source, ts->source)) return 0;
	ts->found++;
	ts->thief |= t->category && !strcmp(t->category, "thief");
	snprintf(ts->notes, sizeof ts->notes, "%s", t->notes ? t->notes : "");
	return 0;
}

static void test_import(void **state)
{
	(void)state;
	json_t *b = export(TL_TLP_AMBER);
	struct tl_share_import_opts o = { .source = "Partner FIU", .tlp = TL_TLP_RED, .confidence = 80 };
	struct tl_share_import_report r1, r2;
	struct tl_err err;
	if (tl_share_import(fx.st, b, &o, &r1, &err)) fail_msg("import: %s", err.msg);
	assert_string_equal(r1.format, "stix");
	assert_true(r1.tags_stored > 0);
	assert_int_equal(r1.tags_existing, 0);
	assert_int_equal(r1.heists_added, 1);
	assert_true(r1.seeds > 0);
	/* twice: nothing new */
	if (tl_share_import(fx.st, b, &o, &r2, &err)) fail_msg("import: %s", err.msg);
	assert_int_equal(r2.tags_stored, 0);
	assert_int_equal(r2.tags_existing, r1.tags_stored);
	assert_int_equal(r2.heists_added, 0);
	assert_string_equal(r2.heist_id, r1.heist_id);
	/* a held address: a thief tag from the partner, TLP kept, confidence default */
	const char *held = json_string_value(json_object_get(json_array_get(json_object_get(fx.trace, "holdings"), 0), "address"));
	struct tagseen ts = { .source = "Partner FIU" };
	assert_true(tl_tags_of_address(fx.st, NULL, held, tag_cb, &ts, &err) >= 1);
	assert_int_equal(ts.found, 1);
	assert_true(ts.thief);
	assert_non_null(strstr(ts.notes, "TLP:AMBER"));
	/* the imported theft traces like the original */
	struct tl_heist_info hi;
	memset(&hi, 0, sizeof hi);
	assert_int_equal(tl_heist_get(fx.st, r1.heist_id, &hi, &err), 1);
	assert_non_null(strstr(hi.json, "\"tlp\""));
	assert_non_null(strstr(hi.json, SF_ACTOR));
	/* a partner's AMBER theft does not go out wider than AMBER; our own does */
	char why[400];
	assert_int_equal(tl_tlp_allows(hi.json, TL_TLP_GREEN, why, sizeof why), 0);
	assert_non_null(strstr(why, "TLP:amber (shared by Partner FIU)"));
	assert_int_equal(tl_tlp_allows(hi.json, TL_TLP_AMBER, why, sizeof why), 1);
	assert_int_equal(tl_tlp_allows(hi.json, TL_TLP_RED, why, sizeof why), 1);
	struct tl_heist_info own;
	memset(&own, 0, sizeof own);
	assert_int_equal(tl_heist_get(fx.st, fx.heist_id, &own, &err), 1);
	assert_int_equal(tl_tlp_allows(own.json, TL_TLP_CLEAR, why, sizeof why), 1);
	free(own.json);
	struct tl_registry *reg = NULL;
	if (tl_heist_parse(&hi, &reg, &err)) fail_msg("%s", err.msg);
	free(hi.json);
	struct tl_trace_seeds s;
	tl_trace_seeds_init(&s);
	if (tl_trace_seeds_add_heist(fx.sg, &reg->heists[0], &s, &err)) fail_msg("%s", err.msg);
	struct tl_walk_params p;
	tl_walk_params_default(&p);
	p.max_hops = TL_TRACE_DEFAULT_MAX_HOPS;
	json_t *t2 = NULL;
	if (tl_trace_run(fx.sg, &s, &p, &t2, &err)) fail_msg("%s", err.msg);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(t2, "totals"), "seeded_sat")),
	                 json_integer_value(json_object_get(json_object_get(fx.trace, "totals"), "seeded_sat")));
	json_decref(t2);
	tl_trace_seeds_free(&s);
	tl_registry_free(reg);
	/* --tlp overrides the markings */
	o.tlp_override = 1;
	o.source = "Partner Two";
	if (tl_share_import(fx.st, b, &o, &r2, &err)) fail_msg("import: %s", err.msg);
	struct tagseen t3 = { .source = "Partner Two" };
	assert_true(tl_tags_of_address(fx.st, NULL, held, tag_cb, &t3, &err) >= 1);
	assert_non_null(strstr(t3.notes, "TLP:RED"));
	/* malformed: refused, nothing written */
	json_t *bad = json_pack("{s:s,s:i}", "type", "bundle", "objects", 3);
	assert_int_equal(tl_share_import(fx.st, bad, &o, &r2, &err), -1);
	json_decref(bad);
	o.source = "bad/name";
	assert_int_equal(tl_share_import(fx.st, b, &o, &r2, &err), -1);
	json_decref(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uuid5),
		cmocka_unit_test(test_tlp_levels),
		cmocka_unit_test(test_bundle),
		cmocka_unit_test(test_contents),
		cmocka_unit_test(test_import),
	};
	return tu_finish(cmocka_run_group_tests(tests, setup, teardown));
}
