/* 'taintline screen --fail-on LEVEL' for pipelines, run as a pipeline
 * would: on a simulated chain with its heists and tags and the screening
 * index built, every tagged address is screened with --json, and for each
 * level the exit status is 3 exactly when the printed risk is that level
 * or above (0 otherwise), with the same verdict printed either way. Bad
 * levels and --fail-on with an index command are usage errors (2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tests/chainfix.h"
#include "tests/testutil.h"

static const char *const LEVELS[] = { "none", "low", "medium", "high", "severe" };

static int level_of(const char *risk)
{
	for (int i = 0; i < 5; i++)
		if (risk && !strcmp(risk, LEVELS[i])) return i;
	fail_msg("unknown risk '%s'", risk ? risk : "(null)");
	return -1;
}

static void test_fail_on(void **state)
{
	(void)state;
	char *dir = tu_tmpdir("cli_fail_on");
	char sim[1024], db[1024], cmd[16384], *out = NULL;
	snprintf(sim, sizeof sim, "%s/sim", dir);
	snprintf(db, sizeof db, "%s/db", dir);
	cf_sim(sim, 7, 140, 8, 0, true);
	snprintf(cmd, sizeof cmd,
		 "'%s' index --blocks-dir '%s/blocks' --db '%s' --network regtest >/dev/null && "
		 "'%s' tags import --db '%s' '%s/tags.csv' >/dev/null && "
		 "'%s' heist import --db '%s' '%s/heists.json' >/dev/null && '%s' screen --db '%s' --rebuild >/dev/null",
		 TL_BINARY, sim, db, TL_BINARY, db, sim, TL_BINARY, db, sim, TL_BINARY, db);
	assert_int_equal(tu_run(cmd, NULL), 0);

	/* The tagged addresses of the simulation (exchanges, mixers, ...). */
	char path[4300];
	snprintf(path, sizeof path, "%s/tags.csv", sim);
	size_t len;
	char *csv = (char *)tu_read_file(path, &len);
	csv = realloc(csv, len + 1);
	csv[len] = 0;
	int seen[5] = { 0 }, screened = 0;
	for (char *line = strtok(csv, "\n"); line && screened < 60; line = strtok(NULL, "\n")) {
		char addr[128];
		if (sscanf(line, "%*[^,],%127[^,],", addr) != 1 || strncmp(addr, "bcrt1", 5)) continue;
		snprintf(cmd, sizeof cmd, "'%s' screen --db '%s' --json --address %s", TL_BINARY, db, addr);
		assert_int_equal(tu_run(cmd, &out), 0);
		json_error_t je;
		json_t *v = json_loads(out, 0, &je);
		if (!v) fail_msg("screen --json: %s", je.text);
		int lv = level_of(json_string_value(json_object_get(v, "risk")));
		seen[lv]++;
		for (int l = 1; l <= 4; l++) {
			char *out2 = NULL;
			snprintf(cmd, sizeof cmd, "'%s' screen --db '%s' --json --address %s --fail-on %s 2>/dev/null",
				 TL_BINARY, db, addr, LEVELS[l]);
			int st = tu_run(cmd, &out2);
			if (st != (lv >= l ? 3 : 0))
				fail_msg("%s (risk %s) --fail-on %s exited %d", addr, LEVELS[lv], LEVELS[l], st);
			/* the verdict is printed either way (screened_at may tick) */
			json_t *v2 = json_loads(out2, 0, &je);
			if (!v2) fail_msg("screen --json --fail-on: %s", je.text);
			json_object_del(v2, "screened_at");
			json_t *v1 = json_deep_copy(v);
			json_object_del(v1, "screened_at");
			assert_true(json_equal(v1, v2));
			json_decref(v1);
			json_decref(v2);
			free(out2);
		}
		json_decref(v);
		free(out);
		out = NULL;
		screened++;
	}
	free(csv);
	printf("screened %d addresses: none %d, low %d, medium %d, high %d, severe %d\n", screened, seen[0], seen[1],
	       seen[2], seen[3], seen[4]);
	/* Both outcomes were exercised. */
	assert_true(seen[0] > 0);
	assert_true(seen[1] + seen[2] + seen[3] + seen[4] > 0);

	snprintf(cmd, sizeof cmd, "'%s' screen --db '%s' --address x --fail-on extreme 2>/dev/null", TL_BINARY, db);
	assert_int_equal(tu_run(cmd, NULL), 2);
	snprintf(cmd, sizeof cmd, "'%s' screen --db '%s' --address x --fail-on none 2>/dev/null", TL_BINARY, db);
	assert_int_equal(tu_run(cmd, NULL), 2);
	snprintf(cmd, sizeof cmd, "'%s' screen --db '%s' --update --fail-on high 2>/dev/null", TL_BINARY, db);
	assert_int_equal(tu_run(cmd, NULL), 2);
	tu_rmrf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fail_on),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
