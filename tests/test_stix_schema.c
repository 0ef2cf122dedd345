/* The STIX 2.1 export of the demo heist's trace against the OASIS STIX 2.1
 * JSON schemas and the cryptocurrency extension's schemas (the shared
 * reference data), validated by ajv (tests/tools/validate-stix.js, npm ci
 * in tests/tools). Skipped (exit 77) without node, ajv or the shared data.
 * Also: a bundle broken on purpose is refused by the same validator, so a
 * pass means something. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "report/case_export.h"
#include "report/export.h"
#include "report/sign.h"
#include "tests/sharefix.h"

static struct sharefix fx;
static char sharing[4096];

static int setup(void **state)
{
	(void)state;
	sf_setup(&fx, "stixschema");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sf_teardown(&fx);
	return 0;
}

static int validate(const json_t *b, const char *name, char **out)
{
	char path[4200], cmd[12000];
	snprintf(path, sizeof path, "%s/%s", fx.dir, name);
	if (json_dump_file(b, path, JSON_INDENT(1))) fail_msg("cannot write %s", path);
	snprintf(cmd, sizeof cmd, "node %s/tests/tools/validate-stix.js %s %s 2>&1", TL_SOURCE_DIR, sharing, path);
	return tu_run(cmd, out);
}

static void test_schemas(void **state)
{
	(void)state;
	struct tl_err err;
	for (int lvl = 0; lvl < 5; lvl += 2) {
		struct tl_export_opts o = { .tlp = (enum tl_tlp)lvl, .producer = "Test FIU" };
		json_t *b = NULL;
		if (tl_stix_export(fx.trace, &o, &b, &err)) fail_msg("%s", err.msg);
		char *out = NULL, name[32];
		snprintf(name, sizeof name, "bundle-%d.json", lvl);
		int st = validate(b, name, &out);
		print_message("%s", out);
		if (st != 0) fail_msg("level %s: validator exit %d", tl_tlp_name((enum tl_tlp)lvl), st);
		assert_non_null(strstr(out, "objects checked"));
		assert_non_null(strstr(out, "\"cryptocurrency-wallet\""));
		assert_non_null(strstr(out, "\"indicator\""));
		free(out);
		json_decref(b);
	}
	/* broken on purpose: an indicator without its pattern, a wallet with
	 * an id of the wrong form */
	struct tl_export_opts o = { .tlp = TL_TLP_AMBER, .producer = "Test FIU" };
	json_t *b = NULL;
	if (tl_stix_export(fx.trace, &o, &b, &err)) fail_msg("%s", err.msg);
	size_t i;
	json_t *x;
	int cut = 0, bad_id = 0;
	json_array_foreach(json_object_get(b, "objects"), i, x) {
		const char *t = json_string_value(json_object_get(x, "type"));
		if (!cut && !strcmp(t, "indicator")) cut = !json_object_del(x, "pattern");
		if (!bad_id && !strcmp(t, "cryptocurrency-wallet"))
			bad_id = !json_object_set_new(x, "id", json_string("cryptocurrency-wallet--NOT-A-UUID"));
	}
	assert_true(cut && bad_id);
	char *out = NULL;
	assert_int_equal(validate(b, "broken.json", &out), 1);
	assert_non_null(strstr(out, "pattern"));
	assert_non_null(strstr(out, "NOT-A-UUID") ? strstr(out, "NOT-A-UUID") : strstr(out, "/id"));
	free(out);
	json_decref(b);
}

/* A case's bundle (report/case_export.h) against the same schemas: its
 * wallets, transactions and flows, its report and its note. */
static void test_case_schemas(void **state)
{
	(void)state;
	struct tl_err err;
	const char *notes = "Funds went through a bridge; ask the exchange to freeze.";
	json_t *meta, *graph, *c = NULL;
	sf_case_from_trace(fx.trace, notes, &meta, &graph);
	if (tl_case_normalize(7, meta, graph, &c, &err)) fail_msg("%s", err.msg);
	assert_int_equal(json_integer_value(json_object_get(c, "skipped")), 2); /* the group node and its edge */
	for (int lvl = TL_TLP_AMBER; lvl <= TL_TLP_RED; lvl += 2) {
		struct tl_export_opts o = { .tlp = (enum tl_tlp)lvl, .producer = "Test FIU" };
		json_t *b = NULL;
		if (tl_stix_export_case(c, &o, &b, &err)) fail_msg("%s", err.msg);
		char reason[300];
		if (!tl_stix_refs_resolve(b, reason, sizeof reason)) fail_msg("%s", reason);
		char *out = NULL, name[32];
		snprintf(name, sizeof name, "case-%d.json", lvl);
		int st = validate(b, name, &out);
		print_message("%s", out);
		if (st != 0) fail_msg("case at %s: validator exit %d", tl_tlp_name((enum tl_tlp)lvl), st);
		assert_non_null(strstr(out, "\"note\""));
		assert_non_null(strstr(out, "\"report\""));
		free(out);
		/* the notes are the note's content and the report's description;
		 * every object but markings is marked with the level */
		size_t i;
		json_t *x;
		int have_note = 0;
		long long flows = 0, want = 0;
		json_array_foreach(json_object_get(b, "objects"), i, x) {
			const char *t = json_string_value(json_object_get(x, "type"));
			if (!strcmp(t, "note")) have_note = !strcmp(json_string_value(json_object_get(x, "content")), notes);
			if (!strcmp(t, "report"))
				assert_string_equal(json_string_value(json_object_get(x, "description")), notes);
			if (!strcmp(t, "relationship")) flows += json_integer_value(json_object_get(x, "x_taintline_amount_sat"));
			if (strcmp(t, "marking-definition") && strcmp(t, "extension-definition") &&
			    strcmp(json_string_value(json_object_get(x, "id")), "identity--9779a2db-f98c-5f4b-8d08-8ee04e02dbb5"))
				assert_string_equal(json_string_value(json_array_get(json_object_get(x, "object_marking_refs"), 0)),
				                    tl_tlp_marking_id((enum tl_tlp)lvl));
		}
		assert_true(have_note);
		/* the amounts: the trace's edges, summed independently */
		json_array_foreach(json_object_get(json_object_get(graph, "snapshot"), "edges"), i, x) {
			const json_t *a = json_object_get(json_object_get(x, "data"), "amount");
			if (json_is_integer(a)) want += json_integer_value(a);
		}
		assert_true(want > 0);
		assert_int_equal(flows, want);
		json_decref(b);
	}
	json_decref(c);
	json_decref(meta);
	json_decref(graph);
}

int main(void)
{
	char probe[4200];
	snprintf(probe, sizeof probe, "%s/tests/tools/node_modules/ajv/package.json", TL_SOURCE_DIR);
	if (access(probe, R_OK)) {
		printf("skipped: ajv is not installed (npm ci in tests/tools, or scripts/install-deps.sh)\n");
		return TL_TEST_SKIP;
	}
	if (tu_run("node --version >/dev/null 2>&1", NULL) != 0) {
		printf("skipped: node is not installed\n");
		return TL_TEST_SKIP;
	}
	snprintf(sharing, sizeof sharing, "%s", tu_shared_path_or_exit("sharing"));
	if (access(sharing, R_OK)) {
		printf("skipped: %s is absent\n", sharing);
		return TL_TEST_SKIP;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schemas),
		cmocka_unit_test(test_case_schemas),
	};
	return tu_finish(cmocka_run_group_tests(tests, setup, teardown));
}
