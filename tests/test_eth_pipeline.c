/* The Ethereum pipeline on the simulator's output (tests/eth_recall.h):
 * simulate --chain ethereum, index, tags import, heist import, trace.
 * Checked against the simulator's truth.json and independent reads:
 *   - every heist under every policy, stopping at the mixer and walking
 *     through it, with and without the deposit-address heuristic: taint
 *     conserved per asset (not poison); the cash-out deposit accounts
 *     found with recall and precision within stated bounds (weaker than
 *     the figures bench_eth_recall prints, so that other seeds pass);
 *   - the heuristic's endpoints: untagged deposit accounts named after
 *     the exchange whose hot wallet they forward to (truth's exchanges);
 *   - trace --heist ID from the imported registry equals the trace with
 *     the registry and tag files given on the command line;
 *   - imports: counts against the files, a second import adds nothing, a
 *     bad EIP-55 checksum or a bad seed refuses the whole file;
 *   - the transfer iterator (store/eth_scan.h) yields exactly what point
 *     reads of every seq yield;
 *   - screening (store/eth_screen.h, materialized by heist import) against
 *     a recomputation from a haircut trace's flows: every account's
 *     tainted amount per asset equals the sum of the trace's edges into
 *     it, never exceeds what it received, and accounts the trace does not
 *     reach show no exposure to the heist. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "ethereum/address.h"
#include "store/eth_scan.h"
#include "store/eth_screen.h"
#include "store/eth_store.h"
#include "tests/eth_recall.h"
#include "tests/testutil.h"

static char *dir;
static struct er_run run;

static int setup(void **st)
{
	(void)st;
	dir = tu_tmpdir("eth_pipeline");
	run.bin = TL_BINARY;
	run.dir = dir;
	char msg[512];
	if (er_prepare(&run, 300, 30, 2, 1, msg, sizeof msg)) {
		fprintf(stderr, "%s\n", msg);
		return -1;
	}
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	json_decref(run.truth);
	tu_rmrf(dir);
	free(dir);
	return 0;
}

/* Bounds: not mixed, every policy finds at least 90% of the deposits
 * with precision at least 0.9 (the bench shows 0.996..1 and 1); through
 * the mixer, poison and haircut find at least 90% of the mixed deposits
 * (they taint every withdrawal), fifo and seniority at least one. */
static void test_recall_and_conservation(void **st)
{
	(void)st;
	static const char *pol[] = { "poison", "haircut", "fifo", "seniority" };
	size_t hi, heists = 0, mixed_wanted = 0;
	json_t *h;
	json_array_foreach(json_object_get(run.truth, "heists"), hi, h) {
		if (!json_is_true(json_object_get(h, "happened"))) continue;
		heists++;
		const char *id = json_string_value(json_object_get(h, "id"));
		for (int p = 0; p < 4; p++)
			for (int mixed = 0; mixed < 2; mixed++)
				for (int heur = 0; heur < 2; heur++) {
					struct er_score s;
					char msg[512];
					if (er_score(&run, id, pol[p], mixed, heur, &s, msg, sizeof msg)) fail_msg("%s", msg);
					double recall = s.want ? (double)s.hit_want / s.want : 1.0;
					double prec = s.found ? (double)s.hit / s.found : 1.0;
					printf("%s %-9s %-9s heuristic %d: recall %.3f (%zu/%zu) precision %.3f (%zu/%zu)\n", id,
					       pol[p], mixed ? "mixed" : "not mixed", heur, recall, s.hit_want, s.want, prec, s.hit,
					       s.found);
					if (!s.conserved) fail_msg("%s %s: %s does not balance", id, pol[p], s.unbalanced);
					if (!mixed) {
						assert_true(s.want > 0);
						assert_true(recall >= 0.9);
						assert_true(prec >= 0.9);
					} else if (p < 2) {
						mixed_wanted += s.want;
						assert_true(recall >= 0.9);
					} else if (s.want) {
						assert_true(s.hit_want >= 1);
					}
				}
	}
	assert_true(heists >= 2);
	assert_true(mixed_wanted > 0); /* the chain is long enough for notes to come out of the mixer */
}

/* Every endpoint the heuristic names is a deposit account of the exchange
 * whose hot wallet it names (truth.json's exchanges). */
static void test_heuristic_names_the_exchange(void **st)
{
	(void)st;
	struct er_score s;
	char msg[512], p[1024];
	const char *id = json_string_value(json_object_get(json_array_get(json_object_get(run.truth, "heists"), 0), "id"));
	if (er_score(&run, id, "haircut", 0, 1, &s, msg, sizeof msg)) fail_msg("%s", msg);
	snprintf(p, sizeof p, "%s/trace-%s-haircut-0-1.json", dir, id);
	json_error_t je;
	json_t *o = json_load_file(p, 0, &je);
	assert_non_null(o);
	json_t *dh = json_object_get(json_object_get(o, "params"), "deposit_heuristic");
	assert_non_null(json_object_get(dh, "rule"));
	assert_true(json_integer_value(json_object_get(dh, "accounts")) > 0);
	size_t i, named = 0;
	json_t *e;
	json_array_foreach(json_object_get(o, "endpoints"), i, e) {
		json_t *tag = json_object_get(e, "tag");
		const char *src = json_string_value(json_object_get(tag, "source"));
		if (!src || strcmp(src, "deposit-address heuristic")) continue;
		const char *addr = json_string_value(json_object_get(e, "address"));
		const char *hot = json_string_value(json_object_get(tag, "hot_wallet"));
		int ok = 0;
		size_t xi, k;
		json_t *x, *d;
		json_array_foreach(json_object_get(run.truth, "exchanges"), xi, x) {
			if (strcmp(json_string_value(json_object_get(x, "hot_wallet")), hot)) continue;
			json_array_foreach(json_object_get(x, "customer_deposit_accounts"), k, d) ok |= !strcmp(json_string_value(d), addr);
			json_array_foreach(json_object_get(x, "attacker_deposit_accounts"), k, d) ok |= !strcmp(json_string_value(d), addr);
		}
		if (!ok) fail_msg("%s named a deposit account of %s, which truth.json does not say", addr, hot);
		named++;
	}
	assert_true(named > 0);
	json_decref(o);
}

static char *slurp(const char *path)
{
	size_t n;
	uint8_t *b = tu_read_file(path, &n);
	char *s = realloc(b, n + 1);
	s[n] = 0;
	return s;
}

/* The imported heist and tags trace like the files given directly. */
static void test_imported_equals_files(void **st)
{
	(void)st;
	const char *id = json_string_value(json_object_get(json_array_get(json_object_get(run.truth, "heists"), 0), "id"));
	char cmd[4096], a[1024], b[1024];
	snprintf(a, sizeof a, "%s/imported.json", dir);
	snprintf(b, sizeof b, "%s/files.json", dir);
	snprintf(cmd, sizeof cmd, "%s trace --db %s/db --heist %s --policy fifo -o %s", TL_BINARY, dir, id, a);
	assert_int_equal(tu_run(cmd, NULL), 0);
	/* a database with the chain alone: copy it without the imports by re-indexing */
	snprintf(cmd, sizeof cmd, "%s index --chain ethereum --etl %s/sim --db %s/bare -q", TL_BINARY, dir, dir);
	assert_int_equal(tu_run(cmd, NULL), 0);
	snprintf(cmd, sizeof cmd,
	         "%s trace --db %s/bare --heist %s --heists %s/sim/heists.json --tags %s/sim/tags.csv --policy fifo -o %s",
	         TL_BINARY, dir, id, dir, dir, b);
	assert_int_equal(tu_run(cmd, NULL), 0);
	char *x = slurp(a), *y = slurp(b);
	json_t *jx = json_loads(x, 0, NULL), *jy = json_loads(y, 0, NULL);
	assert_non_null(jx);
	assert_non_null(jy);
	assert_true(json_array_size(json_object_get(jx, "endpoints")) > 0);
	static const char *keys[] = { "totals", "endpoints", "holdings", "graph", "seeds" };
	for (int i = 0; i < 5; i++)
		if (!json_equal(json_object_get(jx, keys[i]), json_object_get(jy, keys[i]))) fail_msg("%s differ", keys[i]);
	/* no heist stored in the bare database: a clear refusal */
	char *out = NULL;
	snprintf(cmd, sizeof cmd, "%s trace --db %s/bare --heist %s 2>&1", TL_BINARY, dir, id);
	assert_int_not_equal(tu_run(cmd, &out), 0);
	assert_non_null(strstr(out, "heist import"));
	free(out);
	json_decref(jx);
	json_decref(jy);
	free(x);
	free(y);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_imports(void **st)
{
	(void)st;
	char cmd[4096], p[1024], *out = NULL;
	/* again: nothing new */
	snprintf(cmd, sizeof cmd, "%s tags import --db %s/db %s/sim/tags.csv", TL_BINARY, dir, dir);
	assert_int_equal(tu_run(cmd, &out), 0);
	assert_non_null(strstr(out, ": 0 tags stored"));
	free(out);
	/* the count against the file: one tag per data row */
	snprintf(p, sizeof p, "%s/sim/tags.csv", dir);
	char *csv = slurp(p);
	unsigned long rows = 0;
	for (char *c = csv; *c; c++) rows += *c == '\n';
	free(csv);
	char want[64];
	snprintf(want, sizeof want, "(%lu already present)", rows - 1);
	assert_non_null(strstr((tu_run(cmd, &out), out), want));
	free(out);
	snprintf(cmd, sizeof cmd, "%s heist import --db %s/db %s/sim/heists.json", TL_BINARY, dir, dir);
	assert_int_equal(tu_run(cmd, &out), 0);
	assert_non_null(strstr(out, "0 heists added, 2 updated"));
	free(out);
	/* a mixed-case address with a wrong EIP-55 checksum: the row is skipped, named */
	snprintf(p, sizeof p, "%s/badtags.csv", dir);
	write_text(p, "chain,address,label,category,source,confidence\n"
	              "ethereum,0x52908400098527886E0F7030069857D2E4169EE7,good,exchange,test,100\n"
	              "ethereum,0x52908400098527886E0F7030069857D2E4169Ee7,bad,exchange,test,100\n");
	snprintf(cmd, sizeof cmd, "%s tags import --db %s/db %s", TL_BINARY, dir, p);
	assert_int_equal(tu_run(cmd, &out), 0);
	assert_non_null(strstr(out, "1 tags stored"));
	assert_non_null(strstr(out, "1 rows skipped"));
	free(out);
	snprintf(cmd, sizeof cmd, "%s tags show --db %s/db 0x52908400098527886e0f7030069857d2e4169ee7 --json", TL_BINARY, dir);
	assert_int_equal(tu_run(cmd, &out), 0);
	assert_non_null(strstr(out, "\"label\": \"good\""));
	free(out);
	/* a registry with one bad seed: nothing imported */
	snprintf(p, sizeof p, "%s/bad.json", dir);
	write_text(p, "{\"heists\": [{\"id\": \"new-one\", \"chain\": \"ethereum\", \"seeds\": [{\"txid\": \"0x12\"}]}]}");
	snprintf(cmd, sizeof cmd, "%s heist import --db %s/db %s 2>&1", TL_BINARY, dir, p);
	assert_int_not_equal(tu_run(cmd, &out), 0);
	assert_non_null(strstr(out, "seeds[0].txid"));
	free(out);
	snprintf(cmd, sizeof cmd, "%s heist show --db %s/db new-one 2>&1", TL_BINARY, dir);
	assert_int_not_equal(tu_run(cmd, &out), 0);
	free(out);
}

static void test_iterator_equals_point_reads(void **st)
{
	(void)st;
	char p[1024];
	snprintf(p, sizeof p, "%s/db", dir);
	struct tl_err err = { 0 };
	struct tl_eth_store *s;
	struct tl_eth_store_opts so = { .read_only = true };
	assert_int_equal(tl_eth_store_open(p, &so, &s, &err), 0);
	struct tl_eth_tip tip;
	assert_int_equal(tl_eth_store_tip(s, &tip, &err), 0);
	assert_true(tip.next_seq > 1000);
	uint64_t from = tip.next_seq / 3, seq, n = 0;
	struct tl_eth_xfer_iter *it;
	assert_int_equal(tl_eth_xfer_iter_new(s, from, &it, &err), 0);
	struct tl_eth_xfer_rec a, b;
	int k;
	while ((k = tl_eth_xfer_iter_next(it, &seq, &a, &err)) == 1) {
		assert_int_equal(seq, from + n);
		assert_int_equal(tl_eth_store_xfer(s, seq, &b, &err), 1);
		assert_int_equal(a.kind, b.kind);
		assert_int_equal(a.block, b.block);
		assert_int_equal(a.tx_index, b.tx_index);
		assert_int_equal(a.from, b.from);
		assert_int_equal(a.to, b.to);
		assert_int_equal(a.asset, b.asset);
		assert_int_equal(tl_uint256_cmp(&a.amount, &b.amount), 0);
		assert_int_equal(tl_uint256_cmp(&a.burnt, &b.burnt), 0);
		assert_memory_equal(a.tx_hash, b.tx_hash, 32);
		n++;
	}
	assert_int_equal(k, 0);
	assert_int_equal(from + n, tip.next_seq);
	tl_eth_xfer_iter_free(it);
	tl_eth_store_close(s);
}

/* The exposure of every account the trace reaches, and of every user of
 * truth.json, from the screening index vs the haircut trace's edges. */
static void test_screening_vs_trace(void **st)
{
	(void)st;
	const char *id = json_string_value(json_object_get(json_array_get(json_object_get(run.truth, "heists"), 0), "id"));
	char cmd[4096], p[1024];
	snprintf(p, sizeof p, "%s/screen-naive.json", dir);
	snprintf(cmd, sizeof cmd, "%s trace --db %s/db --heist %s --policy haircut -o %s", TL_BINARY, dir, id, p);
	assert_int_equal(tu_run(cmd, NULL), 0);
	json_error_t je;
	json_t *tr = json_load_file(p, 0, &je);
	assert_non_null(tr);
	/* naive: address -> asset -> sum of the edges into it */
	json_t *want = json_object();
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(json_object_get(tr, "graph"), "edges"), i, e) {
		const char *to = json_string_value(json_object_get(e, "to"));
		const char *as = json_string_value(json_object_get(e, "asset"));
		const char *am = json_string_value(json_object_get(e, "amount"));
		if (!to || !tl_eth_addr_like(to)) continue; /* burns */
		json_t *o = json_object_get(want, to);
		if (!o) json_object_set_new(want, to, o = json_object());
		tl_uint256 a = tl_uint256_from_u64(0), b;
		const char *prev = json_string_value(json_object_get(o, as));
		if (prev) assert_int_equal(tl_uint256_from_dec(prev, strlen(prev), &a), 0);
		assert_int_equal(tl_uint256_from_dec(am, strlen(am), &b), 0);
		assert_false(tl_uint256_add(&a, &a, &b));
		char d[TL_U256_DEC_MAX];
		json_object_set_new(o, as, json_string(tl_uint256_to_dec(&a, d)));
	}
	assert_true(json_object_size(want) > 100);
	json_t *others = json_object(); /* users the trace does not reach */
	json_array_foreach(json_object_get(run.truth, "users"), i, e) {
		const char *u = json_is_string(e) ? json_string_value(e) : json_string_value(json_object_get(e, "address"));
		if (u && !json_object_get(want, u)) json_object_set_new(others, u, json_true());
	}
	snprintf(p, sizeof p, "%s/db", dir);
	struct tl_err err = { 0 };
	struct tl_eth_store *s;
	struct tl_eth_store_opts so = { .read_only = true };
	assert_int_equal(tl_eth_store_open(p, &so, &s, &err), 0);
	size_t checked = 0, clean = 0;
	for (int pass = 0; pass < 2; pass++) {
		const char *addr;
		json_t *w;
		json_object_foreach(pass ? others : want, addr, w) {
			uint8_t a[20];
			assert_int_equal(tl_eth_addr_parse(addr, strlen(addr), a, &err), 0);
			json_t *o;
			assert_int_equal(tl_eth_screen_account(s, a, &o, &err), 0);
			json_t *mine = NULL, *x;
			size_t k;
			json_array_foreach(json_object_get(o, "exposures"), k, x)
				if (!strcmp(json_string_value(json_object_get(x, "heist")), id)) mine = json_object_get(x, "assets");
			if (pass) {
				if (mine) fail_msg("%s is not reached by the trace but screens exposed", addr);
				clean++;
				json_decref(o);
				continue;
			}
			if (!mine) fail_msg("%s is reached by the trace but screens clean", addr);
			assert_int_equal(json_array_size(mine), json_object_size(w));
			json_array_foreach(mine, k, x) {
				const char *as = json_string_value(json_object_get(x, "asset"));
				const char *t = json_string_value(json_object_get(x, "tainted"));
				const char *r = json_string_value(json_object_get(x, "received"));
				const char *naive = json_string_value(json_object_get(w, as));
				if (!naive || strcmp(naive, t)) fail_msg("%s %s: screening %s, trace %s", addr, as, t, naive ? naive : "none");
				tl_uint256 tv, rv;
				assert_int_equal(tl_uint256_from_dec(t, strlen(t), &tv), 0);
				assert_int_equal(tl_uint256_from_dec(r, strlen(r), &rv), 0);
				assert_true(tl_uint256_cmp(&tv, &rv) <= 0);
			}
			checked++;
			json_decref(o);
		}
	}
	printf("screening: %zu exposed accounts equal to the trace's flows, %zu unreached users clean\n", checked, clean);
	assert_true(clean > 0);
	tl_eth_store_close(s);
	json_decref(others);
	json_decref(want);
	json_decref(tr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recall_and_conservation),
		cmocka_unit_test(test_heuristic_names_the_exchange),
		cmocka_unit_test(test_imported_equals_files),
		cmocka_unit_test(test_imports),
		cmocka_unit_test(test_iterator_equals_point_reads),
		cmocka_unit_test(test_screening_vs_trace),
	};
	return tu_finish(cmocka_run_group_tests(tests, setup, teardown));
}
