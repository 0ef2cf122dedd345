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

#include "chain/block.h"
#include "chain/bytes.h"
#include "chain/hash.h"
#include "indexer/indexer.h"
#include "sim/internal.h"
#include "store/store.h"
#include "tests/testutil.h"

static const char *DUP_TXID = "d5d27987d2a3dfc724e359870c6644b40e497bdc0589a033220fe15429d88599";

struct blk {
	struct tl_buf txs; /* serialized transactions */
	uint8_t (*ids)[32];
	size_t n;
};

static void blk_add(struct blk *b, const uint8_t *raw, size_t len)
{
	struct tl_arena a;
	tl_arena_init(&a);
	struct tl_reader r;
	tl_reader_init(&r, raw, len);
	struct tl_tx tx;
	struct tl_err err;
	assert_int_equal(tl_tx_parse(&r, &a, &tx, &err), 0);
	assert_int_equal(r.pos, len);
	b->ids = realloc(b->ids, (b->n + 1) * 32);
	memcpy(b->ids[b->n++], tx.txid, 32);
	tl_buf_put(&b->txs, raw, len);
	tl_arena_free(&a);
}

/* Mines a block on prev at regtest difficulty and appends its record. */
static void mine(struct tl_buf *file, struct blk *b, const uint8_t prev[32], uint32_t time, uint8_t hash[32])
{
	struct tl_header h = { .version = 1, .time = time, .bits = 0x207fffff };
	memcpy(h.prev, prev, 32);
	bool mutated;
	tl_merkle_root((const uint8_t(*)[32])b->ids, b->n, h.merkle, &mutated);
	uint8_t ser[80];
	struct tl_err err;
	for (h.nonce = 0;; h.nonce++) {
		tl_header_serialize(&h, ser);
		tl_header_parse(ser, 80, &h, NULL);
		if (tl_header_check_pow(&h, tl_net_params(TL_NET_REGTEST), &err) == 0) break;
	}
	struct tl_buf blk;
	tl_buf_init(&blk);
	tl_buf_put(&blk, ser, 80);
	tl_buf_compact(&blk, b->n);
	tl_buf_put(&blk, b->txs.data, b->txs.len);
	tl_buf_put(file, tl_net_params(TL_NET_REGTEST)->magic, 4);
	tl_buf_u32le(file, (uint32_t)blk.len);
	tl_buf_put(file, blk.data, blk.len);
	memcpy(hash, h.hash, 32);
	tl_buf_free(&blk);
	tl_buf_free(&b->txs);
	free(b->ids);
	memset(b, 0, sizeof *b);
}

/* A minimal transaction: one input, one OP_TRUE output. */
static void simple_tx(struct tl_buf *out, const uint8_t prev[32], uint32_t vout, const char *tag, uint64_t value)
{
	tl_buf_u32le(out, 1);
	tl_buf_compact(out, 1);
	tl_buf_put(out, prev, 32);
	tl_buf_u32le(out, vout);
	tl_buf_compact(out, strlen(tag) + 1);
	tl_buf_u8(out, (uint8_t)strlen(tag));
	tl_buf_put(out, tag, strlen(tag));
	tl_buf_u32le(out, 0xffffffff);
	tl_buf_compact(out, 1);
	tl_buf_u64le(out, value);
	tl_buf_compact(out, 1);
	tl_buf_u8(out, 0x51);
	tl_buf_u32le(out, 0);
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
	struct tl_buf genesis;
	tl_buf_init(&genesis);
	sim_genesis_block(&genesis);
	tl_buf_put(&file, tl_net_params(TL_NET_REGTEST)->magic, 4);
	tl_buf_u32le(&file, (uint32_t)genesis.len);
	tl_buf_put(&file, genesis.data, genesis.len);
	tl_buf_free(&genesis);

	uint8_t tip[32];
	memcpy(tip, tl_net_params(TL_NET_REGTEST)->genesis, 32);
	struct blk blk = { 0 };
	tl_buf_init(&blk.txs);
	/* height 1: 91812's coinbase and its second transaction */
	blk_add(&blk, b1.tx[0].raw, b1.tx[0].size);
	blk_add(&blk, b1.tx[1].raw, b1.tx[1].size);
	mine(&file, &blk, tip, 1296688700, tip);
	/* height 2: 91842's coinbase, the same txid again */
	tl_buf_init(&blk.txs);
	blk_add(&blk, b2.tx[0].raw, b2.tx[0].size);
	mine(&file, &blk, tip, 1296689300, tip);
	/* height 3: a fresh coinbase and a spend of d5d27987...:0 */
	struct tl_buf t;
	tl_buf_init(&t);
	uint8_t zero[32] = { 0 };
	simple_tx(&t, zero, 0xffffffff, "height3", 5000000000ull);
	tl_buf_init(&blk.txs);
	blk_add(&blk, t.data, t.len);
	t.len = 0;
	simple_tx(&t, dup, 0, "spend", 4999990000ull);
	blk_add(&blk, t.data, t.len);
	uint8_t spend_txid[32];
	memcpy(spend_txid, blk.ids[1], 32);
	mine(&file, &blk, tip, 1296689900, tip);
	tl_buf_free(&t);

	char *dir = tu_tmpdir("bip30");
	char blocks[4200], db[4200], path[4300];
	snprintf(blocks, sizeof blocks, "%s/blocks", dir);
	snprintf(db, sizeof db, "%s/db", dir);
	snprintf(path, sizeof path, "%s/blk00000.dat", blocks);
	char cmd[8800];
	snprintf(cmd, sizeof cmd, "mkdir -p '%s'", blocks);
	assert_int_equal(system(cmd), 0);
	FILE *f = fopen(path, "wb");
	assert_int_equal(fwrite(file.data, 1, file.len, f), file.len);
	fclose(f);
	tl_buf_free(&file);

	struct tl_index_opts o = { .blocks_dir = blocks, .db_path = db, .net = tl_net_params(TL_NET_REGTEST),
				   .cache_mb = 64, .until = -1 };
	struct tl_index_stats st;
	struct tl_err err;
	if (tl_index_run(&o, &st, &err)) fail_msg("%s", err.msg);
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

static void write_blocks(const char *blocks, const struct tl_buf *file)
{
	char cmd[4400], path[4300];
	snprintf(cmd, sizeof cmd, "mkdir -p '%s'", blocks);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof path, "%s/blk00000.dat", blocks);
	FILE *f = fopen(path, "wb");
	assert_int_equal(fwrite(file->data, 1, file->len, f), file->len);
	fclose(f);
}

static void genesis_record(struct tl_buf *file)
{
	struct tl_buf genesis;
	tl_buf_init(&genesis);
	sim_genesis_block(&genesis);
	tl_buf_put(file, tl_net_params(TL_NET_REGTEST)->magic, 4);
	tl_buf_u32le(file, (uint32_t)genesis.len);
	tl_buf_put(file, genesis.data, genesis.len);
	tl_buf_free(&genesis);
}

static int index_dir(const char *blocks, const char *db, const struct tl_netparams *np, struct tl_err *err)
{
	struct tl_index_opts o = { .blocks_dir = blocks, .db_path = db, .net = np, .cache_mb = 16, .until = -1 };
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
	genesis_record(&file);
	uint8_t tip[32];
	memcpy(tip, tl_net_params(TL_NET_REGTEST)->genesis, 32);
	uint8_t zero[32] = { 0 };
	struct tl_buf t;
	tl_buf_init(&t);
	struct blk blk = { 0 };
	simple_tx(&t, zero, 0xffffffff, "ok", 5000000000ull);
	blk_add(&blk, t.data, t.len);
	mine(&file, &blk, tip, 1296688700, tip);
	t.len = 0;
	simple_tx(&t, zero, 0xffffffff, "too much", 2100000000000001ull);
	blk_add(&blk, t.data, t.len);
	mine(&file, &blk, tip, 1296689300, tip);
	tl_buf_free(&t);
	char *dir = tu_tmpdir("ix-range");
	char blocks[4200], db[4200];
	snprintf(blocks, sizeof blocks, "%s/blocks", dir);
	snprintf(db, sizeof db, "%s/db", dir);
	write_blocks(blocks, &file);
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
	genesis_record(&file);
	uint8_t tip[32];
	memcpy(tip, tl_net_params(TL_NET_REGTEST)->genesis, 32);
	uint8_t zero[32] = { 0 };
	struct tl_buf t;
	tl_buf_init(&t);
	struct blk blk = { 0 };
	simple_tx(&t, zero, 0xffffffff, "one", 5000000000ull);
	blk_add(&blk, t.data, t.len);
	mine(&file, &blk, tip, 1296688700, tip);
	tl_buf_free(&t);
	char *dir = tu_tmpdir("ix-nochain");
	char blocks[4200], db[4200];
	snprintf(blocks, sizeof blocks, "%s/blocks", dir);
	snprintf(db, sizeof db, "%s/db", dir);
	write_blocks(blocks, &file);
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
	write_blocks(blocks, &pruned);
	assert_int_equal(index_dir(blocks, db, tl_net_params(TL_NET_REGTEST), &err), -1);
	print_message("expected error: %s\n", err.msg);
	assert_non_null(strstr(err.msg, "genesis"));
	assert_non_null(strstr(err.msg, "pruned"));
	assert_false(exists(db));
	/* With its genesis back, the same database path indexes fine. */
	write_blocks(blocks, &file);
	if (index_dir(blocks, db, tl_net_params(TL_NET_REGTEST), &err)) fail_msg("%s", err.msg);
	tl_buf_free(&pruned);
	tl_buf_free(&file);
	tu_rmrf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bip30_duplicates),
		cmocka_unit_test(test_value_out_of_range),
		cmocka_unit_test(test_no_chain),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
