/* The hand-built regtest chain the Esplora tests serve (included by
 * tests/test_esplora_routes.c and tests/test_esplora_client.c; static
 * functions, one copy per test program): address A with a 1,003-
 * transaction history, blocks of 1, 3 and 51 transactions, every block's
 * bytes and txids kept in F to compare answers with. setup() builds,
 * indexes and serves it on an ephemeral loopback port (no keys, CORS for
 * two origins); teardown() stops and removes everything. */
#ifndef TL_TESTS_ESPLORA_CHAIN_H
#define TL_TESTS_ESPLORA_CHAIN_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/serve.h"
#include "bitcoin/address.h"
#include "base/bytes.h"
#include "bitcoin/network.h"
#include "store/store.h"
#include "tests/chainfix.h"
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
	o.cors = "https://wallet.example, https://b.example";
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

#endif
