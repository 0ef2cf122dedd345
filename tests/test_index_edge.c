/* The indexer on hand-built chains: real duplicate transactions, a block
 * breaking the value-range rule, blocks of another network, and a blocks
 * directory whose blocks do not reach the genesis block (a pruned node).
 *
 * Real duplicate transactions (BIP30): mainnet blocks 91812 and 91842 hold
 * the same coinbase transaction (txid d5d27987...). Their real coinbases
 * are mined into a small regtest chain, with 91812's second transaction
 * (whose prevouts are not in the index: a chain indexed "from the middle")
 * and a transaction spending the duplicated txid. The index must keep both
 * copies, resolve a lookup to the newest, resolve the spend to the newest
 * unspent copy (as Core does, the older one having been overwritten), and
 * count the unknown prevouts instead of failing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitcoin/block.h"
#include "base/bytes.h"
#include "bitcoin/hash.h"
#include "indexer/indexer.h"
#include "store/store.h"
#include "tests/chainfix.h"
#include "tests/testutil.h"

static const char *DUP_TXID = "d5d27987d2a3dfc724e359870c6644b40e497bdc0589a033220fe15429d88599";

/* A minimal transaction: one input (a NULL prev: a coinbase), its
 * scriptSig a push of tag, one OP_TRUE output. Appended to b. */
static void simple_tx(struct cf_block *b, const uint8_t *prev, uint32_t vout, const char *tag, uint64_t value,
		      uint8_t txid[32])
{
	uint8_t sig[76];
	size_t tl = strlen(tag);
	assert_true(tl < sizeof sig);
	sig[0] = (uint8_t)tl;
	memcpy(sig + 1, tag, tl);
	struct cf_in in = { prev, vout, sig, tl + 1 };
	struct cf_out out = { .value = value, .script = { 0x51 }, .len = 1 };
	cf_block_add_tx(b, &in, 1, &out, 1, txid);
}

/* A fresh directory holding file as dir/blocks/blk00000.dat; blocks and
 * db (4200 bytes each) get dir/blocks and dir/db. Returns dir (malloc'd). */
static char *chain_dir(const char *tag, const struct tl_buf *file, char *blocks, char *db)
{
	char *dir = tu_tmpdir(tag);
	snprintf(blocks, 4200, "%s/blocks", dir);
	snprintf(db, 4200, "%s/db", dir);
	cf_write_blocks(blocks, file);
	return dir;
}

static void load_block(const char *rel, struct tl_block *b, uint8_t **raw)
{
	size_t n;
	*raw = tu_read_file(tu_shared_path(rel), &n);
	struct tl_err err;
	tl_block_init(b);
	assert_int_equal(tl_block_parse(b, *raw, n, &err), 0);
}

static void test_bip30_duplicates(void **state)
{
	(void)state;
	struct tl_block b1, b2;
	uint8_t *raw1, *raw2;
	load_block("mainnet/91812-00000000000af0aed4792b1acee3d966af36cf5def14935db8de83d6f9306f2f.bin", &b1, &raw1);
	load_block("mainnet/91842-00000000000a4d0a398161ffc163c503763b1f4360639393e0e4c8e300e0caec.bin", &b2, &raw2);
	uint8_t dup[32];
	assert_int_equal(tl_hash_from_hex(DUP_TXID, dup), 0);
	assert_memory_equal(b1.tx[0].txid, dup, 32);
	assert_memory_equal(b2.tx[0].txid, dup, 32);
	assert_int_equal(b1.n_tx, 2);
	uint32_t unknown_expected = b1.tx[1].n_in;

	struct tl_buf file;
	tl_buf_init(&file);
	uint8_t tip[32];
	cf_genesis(&file, tip);
	struct cf_block blk = { 0 };
	/* height 1: 91812's coinbase and its second transaction */
	cf_block_add_raw(&blk, b1.tx[0].raw, b1.tx[0].size, NULL);
	cf_block_add_raw(&blk, b1.tx[1].raw, b1.tx[1].size, NULL);
	cf_mine(&file, &blk, tip, 1296688700);
	/* height 2: 91842's coinbase, the same txid again */
	cf_block_add_raw(&blk, b2.tx[0].raw, b2.tx[0].size, NULL);
	cf_mine(&file, &blk, tip, 1296689300);
	/* height 3: a fresh coinbase and a spend of d5d27987...:0 */
	uint8_t spend_txid[32];
	simple_tx(&blk, NULL, 0, "height3", 5000000000ull, NULL);
	simple_tx(&blk, dup, 0, "spend", 4999990000ull, spend_txid);
	cf_mine(&file, &blk, tip, 1296689900);

	char blocks[4200], db[4200];
	char *dir = chain_dir("bip30", &file, blocks, db);
	tl_buf_free(&file);

	struct tl_index_opts o = cf_index_opts(blocks, db);
	o.cache_mb = 64;
	struct tl_index_stats st;
	struct tl_err err;
	cf_index_run(&o, &st);
	assert_int_equal(st.tip_after, 3);
	/* Every input of 91812's second transaction spends an output that is
	 * not in the index: counted, not fatal. */
	assert_int_equal(st.unknown_inputs, unknown_expected);

	struct tl_store *s;
	struct tl_store_opts so = { .read_only = true };
	if (tl_store_open(db, &so, &s, &err)) fail_msg("%s", err.msg);
	uint64_t nums[4];
	int n = tl_store_txid_nums(s, dup, nums, 4, &err);
	assert_int_equal(n, 2);
	uint64_t older = nums[0] < nums[1] ? nums[0] : nums[1], newer = nums[0] ^ nums[1] ^ older;
	struct tl_tx_rec r;
	assert_int_equal(tl_store_tx_by_txid(s, dup, &r, &err), 1);
	assert_int_equal(r.tx_num, newer);
	assert_int_equal(r.height, 2);
	tl_tx_rec_free(&r);
	assert_int_equal(tl_store_tx(s, older, &r, &err), 1);
	assert_int_equal(r.height, 1);
	assert_memory_equal(r.txid, dup, 32);
	tl_tx_rec_free(&r);
	/* The spend resolves to the newest copy. */
	uint64_t spender;
	uint32_t vin;
	assert_int_equal(tl_store_spender(s, newer, 0, &spender, &vin, &err), 1);
	assert_int_equal(tl_store_tx_by_txid(s, spend_txid, &r, &err), 1);
	assert_int_equal(spender, r.tx_num);
	assert_int_equal(r.in[0].kind, TL_IN_KNOWN);
	assert_int_equal(r.in[0].value, b2.tx[0].out[0].value);
	tl_tx_rec_free(&r);
	assert_int_equal(tl_store_spender(s, older, 0, &spender, &vin, &err), 0);
	tl_store_close(s);

	tl_block_free(&b1);
	tl_block_free(&b2);
	free(raw1);
	free(raw2);
	tu_rmrf(dir);
	free(dir);
}

static int index_dir(const char *blocks, const char *db, const struct tl_netparams *np, struct tl_err *err)
{
	struct tl_index_opts o = cf_index_opts(blocks, db);
	o.net = np;
	struct tl_index_stats st;
	return tl_index_run(&o, &st, err);
}

static int exists(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f) fclose(f);
	return f != NULL;
}

/* A coinbase paying more than 21,000,000 BTC: Core rejects the block
 * (bad-txns-vout-toolarge); the indexer must refuse it clearly, leave the
 * database at its last commit, and never let the value wrap a sum. */
static void test_value_out_of_range(void **state)
{
	(void)state;
	struct tl_buf file;
	tl_buf_init(&file);
	uint8_t tip[32];
	cf_genesis(&file, tip);
	struct cf_block blk = { 0 };
	simple_tx(&blk, NULL, 0, "ok", 5000000000ull, NULL);
	cf_mine(&file, &blk, tip, 1296688700);
	simple_tx(&blk, NULL, 0, "too much", 2100000000000001ull, NULL);
	cf_mine(&file, &blk, tip, 1296689300);
	char blocks[4200], db[4200];
	char *dir = chain_dir("ix-range", &file, blocks, db);
	tl_buf_free(&file);
	struct tl_err err;
	assert_int_equal(index_dir(blocks, db, tl_net_params(TL_NET_REGTEST), &err), -1);
	print_message("expected error: %s\n", err.msg);
	assert_non_null(strstr(err.msg, "out of range"));
	assert_non_null(strstr(err.msg, "block 2"));
	struct tl_store *s;
	struct tl_store_opts so = { .read_only = true };
	if (tl_store_open(db, &so, &s, &err)) fail_msg("%s", err.msg);
	struct tl_tip tp;
	assert_int_equal(tl_store_tip(s, &tp, &err), 0);
	/* Left at its last commit, never past the bad block. */
	assert_true(tp.height < 2);
	tl_store_close(s);
	tu_rmrf(dir);
	free(dir);
}

/* Blocks of another network, and blocks that never reach the genesis
 * block: a clear error, and no database is created. */
static void test_no_chain(void **state)
{
	(void)state;
	struct tl_buf file;
	tl_buf_init(&file);
	uint8_t tip[32];
	cf_genesis(&file, tip);
	struct cf_block blk = { 0 };
	simple_tx(&blk, NULL, 0, "one", 5000000000ull, NULL);
	cf_mine(&file, &blk, tip, 1296688700);
	char blocks[4200], db[4200];
	char *dir = chain_dir("ix-nochain", &file, blocks, db);
	struct tl_err err;
	assert_int_equal(index_dir(blocks, db, tl_net_params(TL_NET_MAIN), &err), -1);
	print_message("expected error: %s\n", err.msg);
	assert_non_null(strstr(err.msg, "another network"));
	assert_false(exists(db));
	/* The same directory without its genesis record: what a pruned node
	 * leaves. */
	size_t skip = 8 + 285;
	struct tl_buf pruned;
	tl_buf_init(&pruned);
	tl_buf_put(&pruned, file.data + skip, file.len - skip);
	cf_write_blocks(blocks, &pruned);
	assert_int_equal(index_dir(blocks, db, tl_net_params(TL_NET_REGTEST), &err), -1);
	print_message("expected error: %s\n", err.msg);
	assert_non_null(strstr(err.msg, "genesis"));
	assert_non_null(strstr(err.msg, "pruned"));
	assert_false(exists(db));
	/* With its genesis back, the same database path indexes fine. */
	cf_write_blocks(blocks, &file);
	if (index_dir(blocks, db, tl_net_params(TL_NET_REGTEST), &err)) fail_msg("%s", err.msg);
	tl_buf_free(&pruned);
	tl_buf_free(&file);
	tu_rmrf(dir);
	free(dir);
}

/* The index of blocks grows with the chain and comes out of --cache-mb:
 * a value too small for it is refused before anything is written, with
 * the value to pass, and that value works. */
static void test_cache_too_small_for_blocks(void **state)
{
	(void)state;
	struct tl_buf file;
	tl_buf_init(&file);
	uint8_t tip[32];
	cf_genesis(&file, tip);
	for (int h = 1; h <= 5000; h++) {
		struct cf_block blk = { 0 };
		char tag[32];
		snprintf(tag, sizeof tag, "cb %d", h);
		simple_tx(&blk, NULL, 0, tag, 5000000000ull, NULL);
		cf_mine(&file, &blk, tip, 1296688700 + 600 * (uint32_t)h);
	}
	char blocks[4200], db[4200];
	char *dir = chain_dir("ix-blockindex", &file, blocks, db);
	tl_buf_free(&file);
	struct tl_index_opts o = cf_index_opts(blocks, db);
	o.cache_mb = 1;
	struct tl_index_stats st;
	struct tl_err err;
	assert_int_equal(tl_index_run(&o, &st, &err), -1);
	print_message("expected error: %s\n", err.msg);
	const char *hint = strstr(err.msg, "pass --cache-mb ");
	assert_non_null(hint);
	assert_false(exists(db));
	o.cache_mb = (uint32_t)atoi(hint + strlen("pass --cache-mb "));
	assert_true(o.cache_mb > 1);
	if (tl_index_run(&o, &st, &err)) fail_msg("%s", err.msg);
	assert_int_equal(st.tip_after, 5000);
	tu_rmrf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bip30_duplicates),
		cmocka_unit_test(test_value_out_of_range),
		cmocka_unit_test(test_no_chain),
		cmocka_unit_test(test_cache_too_small_for_blocks),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
