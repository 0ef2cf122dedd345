/* --json summaries of `index` and `db digest|stats`: each is one JSON
 * object, and its figures agree with the plain-text output and with each
 * other (the index run's counts against the database's own). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tests/testutil.h"

static json_t *run_json(const char *cmd)
{
	char *out = NULL;
	int rc = tu_run(cmd, &out);
	if (rc != 0) fail_msg("%s: exit %d: %s", cmd, rc, out ? out : "");
	json_error_t je;
	json_t *j = json_loads(out, 0, &je);
	if (!j || !json_is_object(j)) fail_msg("%s: not one JSON object (%s): %s", cmd, je.text, out);
	free(out);
	return j;
}

static uint64_t num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_integer(v)) fail_msg("%s is not an integer", k);
	return (uint64_t)json_integer_value(v);
}

static void test_index_and_db_json(void **state)
{
	(void)state;
	char *dir = tu_tmpdir("cli_json");
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "'%s' simulate --out '%s/sim' --seed 3 --blocks 130 --txs-per-block 5 --fast -q",
		 TL_BINARY, dir);
	assert_int_equal(tu_run(cmd, NULL), 0);
	snprintf(cmd, sizeof cmd, "'%s' index --blocks-dir '%s/sim/blocks' --db '%s/db' --network regtest -q --json",
		 TL_BINARY, dir, dir);
	json_t *ix = run_json(cmd);
	assert_int_equal(json_integer_value(json_object_get(ix, "height_before")), -1);
	int64_t h = json_integer_value(json_object_get(ix, "height_after"));
	assert_int_equal(num(ix, "blocks_indexed"), (uint64_t)h + 1);
	assert_true(json_is_object(json_object_get(ix, "screening")));

	snprintf(cmd, sizeof cmd, "'%s' db stats --db '%s/db' --json", TL_BINARY, dir);
	json_t *st = run_json(cmd);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(st, "tip"), "height")), h);
	assert_int_equal(num(st, "transactions"), num(ix, "txs"));
	assert_true(json_is_object(json_object_get(st, "counts")));

	/* the digest equals the plain output's */
	snprintf(cmd, sizeof cmd, "'%s' db digest --db '%s/db' --json", TL_BINARY, dir);
	json_t *dg = run_json(cmd);
	snprintf(cmd, sizeof cmd, "'%s' db digest --db '%s/db'", TL_BINARY, dir);
	char *plain = NULL;
	assert_int_equal(tu_run(cmd, &plain), 0);
	const char *d = json_string_value(json_object_get(dg, "digest"));
	assert_non_null(d);
	assert_int_equal(strlen(d), 64);
	assert_int_equal(strncmp(plain, d, 64), 0);
	assert_string_equal(json_string_value(json_object_get(st, "digest")), d);
	free(plain);

	/* a second run indexes nothing, and says so */
	snprintf(cmd, sizeof cmd, "'%s' index --blocks-dir '%s/sim/blocks' --db '%s/db' --network regtest -q --json",
		 TL_BINARY, dir, dir);
	json_t *ix2 = run_json(cmd);
	assert_int_equal(num(ix2, "blocks_indexed"), 0);
	assert_int_equal(json_integer_value(json_object_get(ix2, "height_before")), h);
	json_decref(ix);
	json_decref(ix2);
	json_decref(st);
	json_decref(dg);
	tu_rmrf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_and_db_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
