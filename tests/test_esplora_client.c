/* A maintained Esplora client against the server: every Bitcoin block,
 * transaction, address and mempool function of the mempool.space client
 * library (@mempool/mempool.js, pinned in tests/tools-mempooljs and
 * installed by scripts/install-deps.sh with npm ci) called on the
 * hand-built chain of tests/esplora_chain.h, its answers compared with
 * what the test built: block bytes and txids, the 1,003-transaction
 * history paged with after_txid (no repeat, no gap), spenders, the one
 * unspent output. Skipped (exit 77) without node or the library. */
#include "tests/esplora_chain.h"

#include <sys/stat.h>

#include <jansson.h>

#include "bitcoin/hash.h"

static char g_tools[4200];

static json_t *hex_id(const uint8_t id[32])
{
	char hex[65];
	tl_hash_to_hex(id, hex);
	return json_string(hex);
}

static void test_mempool_js(void **state)
{
	(void)state;
	json_t *t = json_object();
	json_object_set_new(t, "tip_height", json_integer(TIP_HEIGHT));
	json_object_set_new(t, "tip_hash", hex_id(F.blk[TIP_HEIGHT].hash));
	/* Blocks of 1, 2, 51 and 3 transactions, and the tip. */
	static const int heights[] = { 1, 2, 21, 22, 23, TIP_HEIGHT };
	json_t *blocks = json_array();
	for (size_t k = 0; k < sizeof heights / sizeof heights[0]; k++) {
		const struct built_block *bb = &F.blk[heights[k]];
		json_t *ids = json_array();
		for (size_t i = 0; i < bb->n; i++) json_array_append_new(ids, hex_id(bb->ids[i]));
		char *raw = malloc(2 * (size_t)bb->size + 1);
		tl_hex_encode(F.file.data + bb->data_off, bb->size, raw);
		json_array_append_new(blocks, json_pack("{s:i,s:o,s:o,s:s,s:o}", "height", heights[k], "hash", hex_id(bb->hash),
							"txids", ids, "raw", raw, "next_best",
							heights[k] < TIP_HEIGHT ? hex_id(F.blk[heights[k] + 1].hash) : json_null()));
		free(raw);
	}
	json_object_set_new(t, "blocks", blocks);
	/* Transactions: chain transactions (output 0 spent by the next one
	 * in the chain, output 1 unspent), the first of block 2 (spent by
	 * the second), the last of the chain (nothing spent), a coinbase. */
	json_t *txs = json_array();
	const uint8_t *next_of_2_0 = F.blk[2].ids[2];
	json_array_append_new(txs, json_pack("{s:o,s:o,s:[o,n]}", "txid", hex_id(F.blk[2].ids[1]), "block_hash",
					     hex_id(F.blk[2].hash), "spenders", hex_id(next_of_2_0)));
	json_array_append_new(txs, json_pack("{s:o,s:o,s:[o,n]}", "txid", hex_id(F.blk[21].ids[50]), "block_hash",
					     hex_id(F.blk[21].hash), "spenders", hex_id(F.blk[23].ids[1])));
	json_array_append_new(txs, json_pack("{s:o,s:o,s:[n,n]}", "txid", hex_id(F.blk[23].ids[2]), "block_hash",
					     hex_id(F.blk[23].hash), "spenders"));
	json_array_append_new(txs, json_pack("{s:o,s:o,s:[n]}", "txid", hex_id(F.blk[22].ids[0]), "block_hash",
					     hex_id(F.blk[22].hash), "spenders"));
	json_object_set_new(t, "txs", txs);
	/* A: its history as the store lists it, and the one output left. */
	json_object_set_new(t, "address", json_string(F.addr_a));
	uint8_t(*hist)[32];
	size_t n = store_history(F.addr_a, &hist);
	json_t *h = json_array();
	for (size_t i = 0; i < n; i++) json_array_append_new(h, hex_id(hist[i]));
	free(hist);
	json_object_set_new(t, "history", h);
	uint64_t left = 5000000000ull - (uint64_t)(CHAIN_TXS_BLOCKS * CHAIN_TXS_PER_BLOCK + 2) * 1500;
	json_object_set_new(t, "utxo", json_pack("[[o,i,I]]", hex_id(F.blk[23].ids[2]), 0, (json_int_t)left));

	char truth[4300], cmd[13000], *out = NULL;
	snprintf(truth, sizeof truth, "%s/truth.json", F.dir);
	assert_int_equal(json_dump_file(t, truth, 0), 0);
	json_decref(t);
	snprintf(cmd, sizeof cmd, "cd '%s' && node drive.mjs 127.0.0.1:%u '%s' 2>&1", g_tools, F.port, truth);
	int st = tu_run(cmd, &out);
	printf("%s", out ? out : "");
	if (st != 0) fail_msg("the client's answers differ (exit %d)", st);
	assert_non_null(strstr(out, " passed, 0 failed"));
	free(out);
}

int main(void)
{
	snprintf(g_tools, sizeof g_tools, "%s/tests/tools-mempooljs", TL_SOURCE_DIR);
	char nm[4300];
	snprintf(nm, sizeof nm, "%s/node_modules/@mempool/mempool.js", g_tools);
	struct stat sb;
	if (tu_run("node --version >/dev/null 2>&1", NULL) != 0 || stat(nm, &sb) != 0) {
		printf("skipped: node or %s/node_modules is absent (scripts/install-deps.sh installs them with npm ci)\n",
		       g_tools);
		return TL_TEST_SKIP;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mempool_js),
	};
	return tu_finish(cmocka_run_group_tests(tests, setup, teardown));
}
