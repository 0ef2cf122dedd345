/* The decode and scan commands, run as a user runs them: the real binary,
 * its JSON parsed back and compared with the independent vectors of the
 * reference data (and, for hex input and errors, with embedded facts). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/testutil.h"

static json_t *run_json(const char *cmd)
{
	char *out = NULL;
	int rc = tu_run(cmd, &out);
	if (rc != 0) fail_msg("%s: exit %d", cmd, rc);
	json_error_t je;
	json_t *j = json_loads(out, 0, &je);
	if (!j) fail_msg("%s: bad JSON: %s", cmd, je.text);
	free(out);
	return j;
}

static void test_decode_matches_vectors(void **state)
{
	(void)state;
	static const char *blocks[] = {
		"170-00000000d1145790a8694403d4063f323d499e655c83426834d4ce2f8dd4a2ee.bin",
		"540107-00000000000000000021868c2cefc52a480d173c849412fe81c4e5ab806f94ab.bin",
		"832918-0000000000000000000360a100a86a02864d7104738e0afdf5428e2a7571c70e.bin",
	};
	for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
		char rel[512], cmd[8192], epath[4096];
		snprintf(rel, sizeof rel, "mainnet/%s", blocks[b]);
		snprintf(cmd, sizeof cmd, "'%s' decode '%s'", TL_BINARY, tu_shared_path(rel));
		json_t *got = run_json(cmd);
		snprintf(rel, sizeof rel, "mainnet/expected/%s.json", blocks[b]);
		snprintf(epath, sizeof epath, "%s", tu_shared_path(rel));
		json_error_t je;
		json_t *exp = json_load_file(epath, 0, &je);
		assert_non_null(exp);
		json_t *eb = json_object_get(exp, "block");
		assert_string_equal(json_string_value(json_object_get(got, "hash")),
				    json_string_value(json_object_get(eb, "hash")));
		assert_int_equal(json_integer_value(json_object_get(got, "nTx")),
				 json_integer_value(json_object_get(eb, "tx_count")));
		assert_int_equal(json_integer_value(json_object_get(got, "weight")),
				 json_integer_value(json_object_get(eb, "weight")));
		json_t *txs = json_object_get(got, "tx"), *etxs = json_object_get(exp, "txs");
		size_t i;
		json_t *et;
		json_array_foreach(etxs, i, et) {
			json_t *t = json_array_get(txs, (size_t)json_integer_value(json_object_get(et, "index")));
			assert_string_equal(json_string_value(json_object_get(t, "txid")),
					    json_string_value(json_object_get(et, "txid")));
			assert_string_equal(json_string_value(json_object_get(t, "hash")),
					    json_string_value(json_object_get(et, "wtxid")));
			json_t *vout = json_object_get(t, "vout"), *evout = json_object_get(et, "vout");
			size_t k;
			json_t *eo;
			json_array_foreach(evout, k, eo) {
				json_t *o = json_array_get(vout, k);
				/* "value" is BTC with 8 decimals: parse back to satoshis. */
				double btc = json_number_value(json_object_get(o, "value"));
				json_int_t sat = json_integer_value(json_object_get(eo, "value"));
				assert_true(btc * 1e8 > (double)sat - 0.5 && btc * 1e8 < (double)sat + 0.5);
				json_t *spk = json_object_get(o, "scriptPubKey");
				assert_string_equal(json_string_value(json_object_get(spk, "type")),
						    json_string_value(json_object_get(eo, "type")));
				json_t *ea = json_object_get(eo, "address");
				if (ea)
					assert_string_equal(json_string_value(json_object_get(spk, "address")),
							    json_string_value(ea));
				else
					assert_null(json_object_get(spk, "address"));
			}
		}
		json_decref(got);
		json_decref(exp);
	}
}

static void test_decode_hex_and_errors(void **state)
{
	(void)state;
	char *dir = tu_tmpdir("cli-decode");
	char cmd[8192], path[4200];
	/* Garbage: a clear error on stderr, exit 1, nothing on stdout. */
	snprintf(path, sizeof path, "%s/garbage.bin", dir);
	FILE *f = fopen(path, "wb");
	fputs("this is not a block", f);
	fclose(f);
	char *out = NULL;
	snprintf(cmd, sizeof cmd, "'%s' decode '%s' 2>&1", TL_BINARY, path);
	assert_int_equal(tu_run(cmd, &out), 1);
	assert_non_null(strstr(out, "decode:"));
	free(out);
	/* Odd hex. */
	snprintf(cmd, sizeof cmd, "printf 'abc' | '%s' decode - 2>&1", TL_BINARY);
	assert_int_equal(tu_run(cmd, &out), 1);
	assert_non_null(strstr(out, "hex"));
	free(out);
	/* Usage errors exit 2. */
	snprintf(cmd, sizeof cmd, "'%s' decode 2>/dev/null", TL_BINARY);
	assert_int_equal(tu_run(cmd, NULL), 2);
	snprintf(cmd, sizeof cmd, "'%s' decode --network nowhere x 2>/dev/null", TL_BINARY);
	assert_int_equal(tu_run(cmd, NULL), 2);
	snprintf(cmd, sizeof cmd, "'%s' scan 2>/dev/null", TL_BINARY);
	assert_int_equal(tu_run(cmd, NULL), 2);
	snprintf(cmd, sizeof cmd, "'%s' scan --blocks-dir '%s' 2>&1", TL_BINARY, dir);
	assert_int_equal(tu_run(cmd, &out), 1);
	assert_non_null(strstr(out, "blk00000.dat"));
	free(out);
	tu_rmrf(dir);
	free(dir);
}

static void test_decode_hex_genesis(void **state)
{
	(void)state;
	/* The genesis block as hex wrapped at 60 digits a line, on stdin (public
	 * chain data; its hash and coinbase txid are the well-known values). */
	size_t n;
	uint8_t *raw = tu_read_file(
		tu_shared_path("mainnet/0-000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f.bin"), &n);
	char *dir = tu_tmpdir("cli-hex");
	char path[4200], cmd[8192];
	snprintf(path, sizeof path, "%s/genesis.hex", dir);
	FILE *f = fopen(path, "w");
	for (size_t i = 0; i < n; i++) fprintf(f, "%02x%s", raw[i], i % 30 == 29 ? "\n" : "");
	fclose(f);
	free(raw);
	snprintf(cmd, sizeof cmd, "'%s' decode - < '%s'", TL_BINARY, path);
	json_t *g = run_json(cmd);
	assert_string_equal(json_string_value(json_object_get(g, "hash")),
			    "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
	json_t *tx = json_array_get(json_object_get(g, "tx"), 0);
	assert_string_equal(json_string_value(json_object_get(tx, "txid")),
			    "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b");
	assert_non_null(json_object_get(json_array_get(json_object_get(tx, "vin"), 0), "coinbase"));
	assert_null(json_object_get(g, "previousblockhash"));
	json_decref(g);
	tu_rmrf(dir);
	free(dir);
}

static void test_scan_plain_equals_obfuscated(void **state)
{
	(void)state;
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "'%s' scan -q --json --blocks-dir '%s'", TL_BINARY,
		 tu_shared_path("mainnet/blk-sample/plain"));
	json_t *a = run_json(cmd);
	snprintf(cmd, sizeof cmd, "'%s' scan -q --json --blocks-dir '%s'", TL_BINARY,
		 tu_shared_path("mainnet/blk-sample/obfuscated"));
	json_t *b = run_json(cmd);
	assert_true(json_equal(a, b));
	json_t *chain = json_object_get(a, "chain");
	assert_int_equal(json_array_size(chain), 439);
	assert_string_equal(json_string_value(json_object_get(json_array_get(chain, 0), "hash")),
			    "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(a, "skipped"), "orphans")), 12);
	json_decref(a);
	json_decref(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_matches_vectors),
		cmocka_unit_test(test_decode_hex_and_errors),
		cmocka_unit_test(test_decode_hex_genesis),
		cmocka_unit_test(test_scan_plain_equals_obfuscated),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
