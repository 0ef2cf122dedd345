/* The Esplora routes against a hand-built regtest chain whose every byte
 * the test wrote: one address with a 1,003-transaction history (paging
 * checked against the store's own list), blocks of 1, 3 and 51
 * transactions (raw bytes, headers, txids and merkle proofs checked
 * against the blocks as built and a merkle root recomputed here), and the
 * answers Esplora gives where there is nothing to find. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/serve.h"
#include "chain/address.h"
#include "chain/bytes.h"
#include "chain/hash.h"
#include "chain/network.h"
#include "store/store.h"
#include "tests/chainfix.h"
#include "tests/httpc.h"
#include "tests/testutil.h"

#define CHAIN_TXS_BLOCKS 20 /* heights 2..21 */
#define CHAIN_TXS_PER_BLOCK 50
#define TIP_HEIGHT 40

/* What the test built, to compare the answers with. */
struct built_block {
	size_t data_off;     /* offset of the block bytes in the blk file */
	uint32_t size;
	uint8_t hash[32];
	uint8_t (*ids)[32];  /* txids, block order */
	size_t n;
};

static struct {
	char *dir;
	char blocks[4096], db[4096];
	struct tl_buf file;
	struct built_block blk[TIP_HEIGHT + 1];
	char addr_a[TL_ADDRESS_MAX], addr_b[TL_ADDRESS_MAX];
	uint8_t spk_a[25];
	struct tl_app *app;
	uint16_t port;
} F;

static void p2pkh(uint8_t out[25], uint8_t fill)
{
	out[0] = 0x76;
	out[1] = 0xa9;
	out[2] = 0x14;
	memset(out + 3, fill, 20);
	out[23] = 0x88;
	out[24] = 0xac;
}

/* Mines the block being built at height h, remembering its bytes. */
static void mine(struct cf_block *b, uint8_t tip[32], int h)
{
	struct built_block *bb = &F.blk[h];
	bb->n = b->n;
	bb->ids = malloc(b->n * 32);
	assert_non_null(bb->ids);
	memcpy(bb->ids, b->ids, b->n * 32);
	size_t at = F.file.len;
	cf_mine(&F.file, b, tip, 1600000000u + (uint32_t)h * 600);
	bb->data_off = at + 8;
	bb->size = (uint32_t)(F.file.len - at - 8);
	memcpy(bb->hash, tip, 32);
}

static void coinbase(struct cf_block *b, int h, const uint8_t *spk, size_t spk_len)
{
	uint8_t sig[3] = { 0x02, (uint8_t)h, 0x00 }; /* unique per height: no BIP30 duplicates */
	struct cf_in in = { .prev = NULL, .sig = sig, .sig_len = sizeof sig };
	struct cf_out out = { .value = 5000000000ull, .len = spk_len };
	memcpy(out.script, spk, spk_len);
	cf_block_add_tx(b, &in, 1, &out, 1, NULL);
}

/* Appends a transaction spending (*prev, 0) worth *value to A, paying A
 * the rest less a fee and 500 sat to a P2SH script. */
static void chain_tx(struct cf_block *b, uint8_t prev[32], uint64_t *value)
{
	static const uint8_t sig[1] = { 0x51 };
	struct cf_in in = { .prev = prev, .vout = 0, .sig = sig, .sig_len = 1 };
	struct cf_out out[2] = { { .value = *value - 1500, .len = 25 }, { .value = 500, .len = 23 } };
	memcpy(out[0].script, F.spk_a, 25);
	out[1].script[0] = 0xa9;
	out[1].script[1] = 0x14;
	memset(out[1].script + 2, 0x33, 20);
	out[1].script[22] = 0x87;
	cf_block_add_tx(b, &in, 1, out, 2, prev);
	*value -= 1500;
}

static int setup(void **state)
{
	(void)state;
	memset(&F, 0, sizeof F);
	F.dir = tu_tmpdir("esplora_routes");
	snprintf(F.blocks, sizeof F.blocks, "%s/blocks", F.dir);
	snprintf(F.db, sizeof F.db, "%s/db", F.dir);
	const struct tl_netparams *np = tl_net_params(TL_NET_REGTEST);
	p2pkh(F.spk_a, 0x11);
	uint8_t spk_b[22] = { 0x00, 0x14 };
	memset(spk_b + 2, 0x22, 20);
	assert_int_equal(tl_address_from_script(F.spk_a, 25, np, F.addr_a), 0);
	assert_int_equal(tl_address_from_script(spk_b, 22, np, F.addr_b), 0);

	tl_buf_init(&F.file);
	uint8_t tip[32];
	size_t at = F.file.len;
	cf_genesis(&F.file, tip);
	F.blk[0].data_off = at + 8;
	F.blk[0].size = (uint32_t)(F.file.len - at - 8);
	memcpy(F.blk[0].hash, tip, 32);
	struct cf_block b = { 0 };
	/* Height 1: the coinbase pays A; heights 2..21 each chain 50
	 * transactions A -> A; 22 holds a coinbase alone; 23 two more chain
	 * transactions (3 in all: an odd merkle level); then empty blocks
	 * up to the tip, so that the early blocks are deep. */
	coinbase(&b, 1, F.spk_a, 25);
	uint8_t prev[32];
	memcpy(prev, b.ids[0], 32);
	uint64_t value = 5000000000ull;
	mine(&b, tip, 1);
	for (int h = 2; h <= TIP_HEIGHT; h++) {
		coinbase(&b, h, spk_b, 22);
		int n = h <= 1 + CHAIN_TXS_BLOCKS ? CHAIN_TXS_PER_BLOCK : h == 23 ? 2 : 0;
		for (int i = 0; i < n; i++) chain_tx(&b, prev, &value);
		mine(&b, tip, h);
	}
	cf_write_blocks(F.blocks, &F.file);
	struct tl_index_opts io = cf_index_opts(F.blocks, F.db);
	cf_index_run(&io, NULL);

	struct tl_err err;
	struct tl_serve_opts o;
	tl_serve_opts_default(&o);
	o.db_path = F.db;
	o.listen = "127.0.0.1:0";
	o.threads = 2;
	o.log = NULL;
	if (tl_app_open(&o, &F.app, &err) < 0) fail_msg("open: %s", err.msg);
	if (tl_app_start(F.app, &err) < 0) fail_msg("start: %s", err.msg);
	F.port = tl_app_port(F.app);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tl_app_close(F.app);
	for (int h = 0; h <= TIP_HEIGHT; h++) free(F.blk[h].ids);
	tl_buf_free(&F.file);
	tu_rmrf(F.dir);
	free(F.dir);
	return 0;
}

/* ---- HTTP helpers ---- */

static void get(const char *path, struct resp *r)
{
	if (http_do(F.port, "GET", path, NULL, NULL, 0, r) < 0) fail_msg("GET %s: no response", path);
}

static json_t *get_json(const char *path)
{
	struct resp r;
	get(path, &r);
	if (r.status != 200) fail_msg("GET %s: %d %s", path, r.status, r.body);
	assert_string_equal(hdr(&r, "Content-Type"), "application/json");
	json_t *v = resp_json(&r);
	resp_free(&r);
	return v;
}

/* ---- paging ---- */

/* The address's history as the store lists it, newest first (txids). */
static size_t store_history(const char *addr, uint8_t (**out)[32])
{
	struct tl_store *s = F.app->store;
	struct tl_err err;
	uint64_t id;
	assert_int_equal(tl_store_addr_id_of_string(s, addr, &id, &err), 1);
	size_t n = 0, cap = 0;
	uint8_t(*ids)[32] = NULL;
	uint64_t before = UINT64_MAX;
	for (;;) {
		struct tl_hist_row rows[64];
		int k = tl_store_hist_page(s, id, before, rows, 64, &err);
		assert_true(k >= 0);
		for (int i = 0; i < k; i++) {
			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				ids = realloc(ids, cap * 32);
				assert_non_null(ids);
			}
			struct tl_tx_rec r;
			assert_int_equal(tl_store_tx(s, rows[i].tx_num, &r, &err), 1);
			memcpy(ids[n++], r.txid, 32);
			tl_tx_rec_free(&r);
			before = rows[i].tx_num;
		}
		if (k < 64) break;
	}
	*out = ids;
	return n;
}

/* Pages through addr's history with the cursor in the query (after_txid)
 * or in the path (/txs/chain/:last_seen_txid), checking each entry
 * against want[] in order: no repeat, no gap. A server that ignored the
 * cursor would answer the first page again: the page count is bounded so
 * that the test fails instead of looping. */
static void page_through(const char *addr, int in_query, uint8_t (*want)[32], size_t nwant)
{
	size_t seen = 0;
	char last[65] = "", path[512];
	size_t max_pages = nwant / 25 + 2;
	for (size_t page = 0;; page++) {
		if (page >= max_pages) fail_msg("still paging after %zu pages: the cursor is not honoured", page);
		if (!last[0]) snprintf(path, sizeof path, "/api/address/%s/txs", addr);
		else if (in_query) snprintf(path, sizeof path, "/api/address/%s/txs?after_txid=%s", addr, last);
		else snprintf(path, sizeof path, "/api/address/%s/txs/chain/%s", addr, last);
		json_t *j = get_json(path);
		size_t n = json_array_size(j);
		assert_true(n <= 25);
		for (size_t i = 0; i < n; i++) {
			const char *got = json_string_value(json_object_get(json_array_get(j, i), "txid"));
			assert_non_null(got);
			if (seen >= nwant) fail_msg("%s: more entries than the store lists (%zu)", path, nwant);
			char hex[65];
			tl_hash_to_hex(want[seen], hex);
			if (strcmp(got, hex)) fail_msg("%s: entry %zu is %s, the store lists %s", path, seen, got, hex);
			snprintf(last, sizeof last, "%s", got);
			seen++;
		}
		json_decref(j);
		if (n < 25) break;
	}
	assert_int_equal(seen, nwant);
}

static void test_paging_after_txid(void **state)
{
	(void)state;
	uint8_t(*want)[32];
	size_t n = store_history(F.addr_a, &want);
	/* The coinbase of height 1 and every chain transaction. */
	assert_int_equal(n, 1 + CHAIN_TXS_BLOCKS * CHAIN_TXS_PER_BLOCK + 2);
	page_through(F.addr_a, 1, want, n);
	page_through(F.addr_a, 0, want, n);
	free(want);

	char path[512];
	/* An unknown cursor, and a txid outside this history (B's coinbase),
	 * end the listing: []. */
	static const char *const unknown = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";
	char other[65];
	tl_hash_to_hex(F.blk[22].ids[0], other);
	const char *cursors[] = { unknown, other };
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "/api/address/%s/txs/chain/%s", F.addr_a, cursors[i]);
		json_t *j = get_json(path);
		assert_int_equal(json_array_size(j), 0);
		json_decref(j);
		snprintf(path, sizeof path, "/api/address/%s/txs?after_txid=%s", F.addr_a, cursors[i]);
		j = get_json(path);
		assert_int_equal(json_array_size(j), 0);
		json_decref(j);
	}
	/* A malformed cursor is a 400, not the first page. */
	struct resp r;
	snprintf(path, sizeof path, "/api/address/%s/txs?after_txid=nothex", F.addr_a);
	get(path, &r);
	expect_error(&r, 400, "bad_txid");
	resp_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paging_after_txid),
	};
	return tu_finish(cmocka_run_group_tests(tests, setup, teardown));
}
