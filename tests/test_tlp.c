/* TLP marks and clearances: the visibility rule against a naive
 * restatement of TLP 2.0 over every level and audience pair, mark values
 * and keys-file clearances (round trips and refusals), and the import
 * commands' --tlp options end to end (the binary on a simulated chain,
 * the marks read back from the database). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/auth.h"
#include "store/store.h"
#include "store/tlp.h"
#include "tests/chainfix.h"
#include "tests/testutil.h"

/* TLP 2.0 in words: CLEAR anyone; GREEN the community; AMBER the
 * organisation and its clients; AMBER+STRICT the organisation only; RED
 * the named recipients only. A recipient cleared for an audience may see
 * every audience wider than its own, and a RED item only when it is one
 * of the item's named recipients (or the item names none). */
static int naive_visible(int item, const char *item_aud, int clr, const char *clr_aud)
{
	static const int widest_reader[5][5] = {
		/* reader: CLEAR GREEN AMBER STRICT RED ; rows: item level */
		{ 1, 1, 1, 1, 1 }, { 0, 1, 1, 1, 1 }, { 0, 0, 1, 1, 1 }, { 0, 0, 0, 1, 1 }, { 0, 0, 0, 0, 1 },
	};
	if (!widest_reader[item][clr]) return 0;
	if (item == 4 && item_aud[0]) return !strcmp(item_aud, clr_aud);
	return 1;
}

static void visibility_all_pairs(void **state)
{
	(void)state;
	const char *auds[] = { "", "fiu-a", "cert-b" };
	for (int il = 0; il < 5; il++)
		for (int ia = 0; ia < 3; ia++)
			for (int cl = 0; cl < 5; cl++)
				for (int ca = 0; ca < 3; ca++) {
					if ((ia && il != 4) || (ca && cl != 4)) continue;
					struct tl_tlp_mark m = { .level = (enum tl_tlp)il };
					struct tl_clearance c = { .level = (enum tl_tlp)cl };
					snprintf(m.audience, sizeof m.audience, "%s", auds[ia]);
					snprintf(c.audience, sizeof c.audience, "%s", auds[ca]);
					int want = naive_visible(il, auds[ia], cl, auds[ca]);
					if (tl_tlp_visible(&m, &c) != want)
						fail_msg("item %d/%s clearance %d/%s: %d", il, auds[ia], cl, auds[ca], !want);
					c.all = 1;
					assert_int_equal(tl_tlp_visible(&m, &c), 1);
				}
}

static void mark_values(void **state)
{
	(void)state;
	struct tl_tlp_mark m;
	assert_int_equal(tl_tlp_mark_decode("2", 1, &m), 0);
	assert_int_equal(m.level, TL_TLP_AMBER);
	assert_int_equal(tl_tlp_mark_decode("4 fiu-a", 7, &m), 0);
	assert_string_equal(m.audience, "fiu-a");
	assert_int_equal(tl_tlp_mark_decode("5", 1, &m), -1);
	assert_int_equal(tl_tlp_mark_decode("", 0, &m), -1);
	assert_int_equal(tl_tlp_mark_decode("2 x", 3, &m), -1);  /* audience only for RED */
	assert_int_equal(tl_tlp_mark_decode("4 a\0b", 5, &m), -1); /* NUL inside */
	assert_int_equal(tl_tlp_notes_level("TLP:AMBER; shared by org-a"), TL_TLP_AMBER);
	assert_int_equal(tl_tlp_notes_level("tlp:amber+strict"), TL_TLP_AMBER_STRICT);
	assert_int_equal(tl_tlp_notes_level("seen on a forum"), -1);
	assert_int_equal(tl_tlp_notes_level("TLP:PURPLE; x"), -1);
	assert_int_equal(tl_tlp_notes_level(NULL), -1);
}

static void keys_file_clearances(void **state)
{
	(void)state;
	struct tl_err err;
	char line[512], text[2048] = "";
	struct tl_clearance g = { .level = TL_TLP_GREEN }, r = { .level = TL_TLP_RED };
	snprintf(r.audience, sizeof r.audience, "fiu-a");
	assert_int_equal(tl_keyline_format_tlp("k1", TL_ROLE_SCREEN, 1, &g, "green holder", line, sizeof line, &err), 0);
	strcat(text, line);
	assert_int_equal(tl_keyline_format_tlp("k2", TL_ROLE_ADMIN, 0, &r, NULL, line, sizeof line, &err), 0);
	strcat(text, line);
	assert_int_equal(tl_keyline_format("k3", TL_ROLE_INVESTIGATE, 0, "old key", line, sizeof line, &err), 0);
	strcat(text, line);
	struct tl_keyring *kr;
	if (tl_keyring_parse(text, strlen(text), "keys", &kr, &err)) fail_msg("%s", err.msg);
	struct tl_api_key *k1 = tl_keyring_find(kr, "k1", 2), *k2 = tl_keyring_find(kr, "k2", 2),
	                  *k3 = tl_keyring_find(kr, "k3", 2);
	assert_int_equal(k1->clearance.level, TL_TLP_GREEN);
	assert_string_equal(k1->name, "green holder");
	assert_int_equal(k2->clearance.level, TL_TLP_RED);
	assert_string_equal(k2->clearance.audience, "fiu-a");
	assert_int_equal(k3->clearance.level, TL_TLP_AMBER_STRICT); /* keys from before clearances */
	assert_string_equal(k3->name, "old key");
	tl_keyring_free(kr);
	/* refused: RED without an audience, an audience below RED, unknown levels */
	struct tl_clearance c;
	assert_int_equal(tl_clearance_parse("red", &c, &err), -1);
	assert_int_equal(tl_clearance_parse("amber/fiu-a", &c, &err), -1);
	assert_int_equal(tl_clearance_parse("red/bad audience", &c, &err), -1);
	assert_int_equal(tl_clearance_parse("purple", &c, &err), -1);
	const char *bad = "0000000000000000000000000000000000000000000000000000000000000000 screen 1 tlp=red\n";
	assert_int_equal(tl_keyring_parse(bad, strlen(bad), "keys", &kr, &err), -1);
	assert_non_null(strstr(err.msg, "line 1"));
	struct tl_clearance r0 = { .level = TL_TLP_RED };
	assert_int_equal(tl_keyline_format_tlp("k", TL_ROLE_SCREEN, 1, &r0, NULL, line, sizeof line, &err), -1);
	assert_int_equal(tl_keyline_format("k", TL_ROLE_SCREEN, 1, "tlp=clear", line, sizeof line, &err), -1);
}

/* tags import --tlp and heist import --tlp, through the binary. */
static void import_commands_mark(void **state)
{
	(void)state;
	char *dir = tu_tmpdir("tlp_cli");
	cf_sim(dir, 7, 200, 20, 1, true); /* the sharing tests' chain: one heist */
	char blocks[4200], db[4200], cmd[16384], *out = NULL;
	snprintf(blocks, sizeof blocks, "%s/blocks", dir);
	snprintf(db, sizeof db, "%s/db", dir);
	struct tl_index_opts io = cf_index_opts(blocks, db);
	cf_index_run(&io, NULL);
	snprintf(cmd, sizeof cmd, "'%s' tags import --db '%s' '%s/tags.csv' --tlp amber 2>&1", TL_BINARY, db, dir);
	if (tu_run(cmd, &out)) fail_msg("%s: %s", cmd, out);
	free(out);
	snprintf(cmd, sizeof cmd, "'%s' heist import --db '%s' '%s/heists.json' --tlp green 2>&1", TL_BINARY, db, dir);
	if (tu_run(cmd, &out)) fail_msg("%s: %s", cmd, out);
	free(out);
	snprintf(cmd, sizeof cmd, "'%s' tags import --db '%s' '%s/tags.csv' --tlp red 2>&1", TL_BINARY, db, dir);
	assert_int_equal(tu_run(cmd, &out), 2); /* usage: stored sources are never RED */
	free(out);
	/* the truth: the sources the tag file names (its CSV source column)
	 * and the ids of the registry, read with a naive scan */
	struct tl_store_opts so = { .read_only = true, .cache_mb = 16 };
	struct tl_store *st = cf_store_open(db, &so);
	struct tl_err err;
	struct tl_tlp_mark m;
	char path[4300];
	snprintf(path, sizeof path, "%s/tags.csv", dir);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char line[4096];
	int src_col = -1, nsrc = 0;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		char *save = NULL, *tok = strtok_r(line, ",", &save);
		for (int col = 0; tok; col++, tok = strtok_r(NULL, ",", &save)) {
			if (src_col < 0 && !strcmp(tok, "source")) src_col = col;
			else if (col == src_col) {
				assert_int_equal(tl_tlp_mark_get(st, TL_TLP_SOURCE, tok, &m, &err), 1);
				assert_int_equal(m.level, TL_TLP_AMBER);
				nsrc++;
			}
		}
	}
	fclose(f);
	assert_true(src_col >= 0 && nsrc > 0);
	json_error_t je;
	snprintf(path, sizeof path, "%s/heists.json", dir);
	json_t *reg = json_load_file(path, 0, &je);
	size_t i;
	json_t *h;
	json_array_foreach(json_object_get(reg, "heists"), i, h)
	{
		const char *id = json_string_value(json_object_get(h, "id"));
		assert_int_equal(tl_tlp_mark_get(st, TL_TLP_HEIST, id, &m, &err), 1);
		assert_int_equal(m.level, TL_TLP_GREEN);
	}
	assert_true(i >= 1);
	json_decref(reg);
	assert_int_equal(tl_tlp_mark_get(st, TL_TLP_HEIST, "never-imported", &m, &err), 0);
	tl_store_close(st);
	tu_rmrf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(visibility_all_pairs),
		cmocka_unit_test(mark_values),
		cmocka_unit_test(keys_file_clearances),
		cmocka_unit_test(import_commands_mark),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
