/* The Ethereum database and indexer on real mainnet fixtures: an export
 * and the node answers it came from give the same database (equal
 * digests); totals agree with a recomputation from the transfers and
 * conserve ether; resuming equals indexing at once; an input that does
 * not continue the tip stores nothing; networks and database kinds are
 * refused; history pages cover every transfer once; the command line
 * prints amounts as decimal strings and names a bad row's file and line. */
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
#include "indexer/eth_index.h"
#include "store/eth_json.h"
#include "store/eth_store.h"
#include "store/store.h"
#include "tests/eth_fix.h"
#include "tests/testutil.h"

#define BL ETL_FIX "test_export_blocks_job/block_with_logs/"
#define RWL ETL_FIX "test_export_receipts_job/receipts_with_logs/"
#define ST ETL_FIX "test_stream/blocks_1755634_1755635/"

static const char *RH[] = { "0x04cbcb236043d8fb7839e07bbc7f5eed692fb2ca55d897f1101eac3e3ad4fab8",
			    "0x05287a561f218418892ab053adfb3d919860988b19458c570c5c30f51c146f02",
			    "0x463d53f0ad57677a3b430a007c1c31d15d62c37fab5eee598551697c297c235c",
			    "0xcea6f89720cc1d2f46cc7a935463ae0b99dd5fad9c91bb7357de5421511cee49" };

static void etl_483920(struct tl_eth_data *d)
{
	ef_etl(d, BL "expected_blocks.csv");
	ef_etl(d, BL "expected_transactions.csv");
	ef_etl(d, RWL "expected_receipts.csv");
	ef_etl(d, RWL "expected_logs.csv");
	ef_finish(d);
}

static void rpc_483920(struct tl_eth_data *d)
{
	ef_rpc(d, BL "web3_response.eth_getBlockByNumber_0x76250_true.json", "block", 0);
	for (int i = 0; i < 4; i++) {
		char p[512];
		snprintf(p, sizeof p, RWL "web3_response.eth_getTransactionReceipt_%s.json", RH[i]);
		ef_rpc(d, p, "receipts", 0);
	}
	ef_finish(d);
}

static void etl_stream(struct tl_eth_data *d)
{
	ef_etl(d, ST "expected_blocks.json");
	ef_etl(d, ST "expected_transactions.json");
	ef_etl(d, ST "expected_logs.json");
	ef_finish(d);
}

static void rpc_stream(struct tl_eth_data *d)
{
	ef_rpc(d, ST "web3_response.eth_getBlockByNumber_0x1ac9f2_true.json", "block", 0);
	ef_rpc(d, ST "web3_response.eth_getBlockByNumber_0x1ac9f3_true.json", "block", 0);
	ef_rpc(d, ST "web3_response.eth_getTransactionReceipt_0x2e3dcd051a91d3a694f6b8de2ac4b5fe7acdba55f58bcf8471ff00d4a430074d.json", "receipts", 0);
	ef_rpc(d, ST "web3_response.eth_getTransactionReceipt_0x9a5437ec71b74ecf5930b406908ac6999966d38a86d1534b7190ece7599095eb.json", "receipts", 0);
	ef_finish(d);
}

static struct tl_eth_store *open_new(const char *dir, const char *net)
{
	struct tl_eth_store *s;
	struct tl_err err;
	struct tl_eth_store_opts o = { .create = true, .net = tl_eth_net_by_name(net) };
	if (tl_eth_store_open(dir, &o, &s, &err) < 0) fail_msg("%s", err.msg);
	return s;
}

static void index_into(struct tl_eth_store *s, const struct tl_eth_data *d, struct tl_eth_index_result *res)
{
	struct tl_err err;
	struct tl_eth_index_opts o = { .batch_bytes = 1 }; /* a commit per block */
	if (tl_eth_index_data(s, d, &o, res, &err) < 0) fail_msg("%s", err.msg);
}

static void digest_of(struct tl_eth_store *s, uint8_t dg[32])
{
	struct tl_err err;
	if (tl_eth_store_digest(s, dg, NULL, &err) < 0) fail_msg("%s", err.msg);
}

static void both_ways_db(void (*etl)(struct tl_eth_data *), void (*rpc)(struct tl_eth_data *))
{
	struct tl_eth_data a = { 0 }, b = { 0 };
	etl(&a);
	rpc(&b);
	char *d1 = tu_tmpdir("eth-db1"), *d2 = tu_tmpdir("eth-db2");
	struct tl_eth_store *s1 = open_new(d1, "mainnet"), *s2 = open_new(d2, "mainnet");
	struct tl_eth_index_result r1, r2;
	index_into(s1, &a, &r1);
	index_into(s2, &b, &r2);
	assert_true(r1.transfers > 0);
	uint8_t g1[32], g2[32];
	digest_of(s1, g1);
	digest_of(s2, g2);
	assert_memory_equal(g1, g2, 32);
	tl_eth_store_close(s1);
	tl_eth_store_close(s2);
	tu_rmrf(d1);
	tu_rmrf(d2);
	free(d1);
	free(d2);
	tl_eth_data_free(&a);
	tl_eth_data_free(&b);
}

static void test_same_database_both_ways(void **state)
{
	(void)state;
	both_ways_db(etl_483920, rpc_483920);
	both_ways_db(etl_stream, rpc_stream);
}

/* Every stored total equals a recomputation from the derived transfers,
 * and ether is conserved: the balances sum to minus what was burnt. */
static void test_totals(void **state)
{
	(void)state;
	struct tl_eth_data d = { 0 };
	etl_stream(&d);
	struct tl_eth_transfers xf = { 0 };
	ef_derive(&d, &xf);
	char *dir = tu_tmpdir("eth-tot");
	struct tl_eth_store *s = open_new(dir, "mainnet");
	struct tl_eth_index_result r;
	index_into(s, &d, &r);
	assert_int_equal(r.transfers, xf.n);
	struct tl_err err;
	tl_uint256 in_all = tl_uint256_from_u64(0), out_all = tl_uint256_from_u64(0), burnt = tl_uint256_from_u64(0);
	for (size_t i = 0; i < xf.n; i++) {
		const struct tl_eth_transfer *x = &xf.v[i];
		if (!x->is_token) assert_false(tl_uint256_add(&burnt, &burnt, &x->burnt));
		const uint8_t *who[2] = { x->has_from ? x->from : NULL, x->has_to ? x->to : NULL };
		for (int side = 0; side < 2; side++) {
			if (!who[side]) continue;
			/* recompute this account's totals from all transfers */
			tl_uint256 rec = tl_uint256_from_u64(0), sent = tl_uint256_from_u64(0), fees = tl_uint256_from_u64(0);
			uint64_t count = 0;
			for (size_t j = 0; j < xf.n; j++) {
				const struct tl_eth_transfer *y = &xf.v[j];
				if (y->is_token != x->is_token || (x->is_token && memcmp(y->token, x->token, 20))) continue;
				tl_uint256 to_amt;
				assert_false(tl_uint256_sub(&to_amt, &y->amount, &y->burnt));
				bool f = y->has_from && !memcmp(y->from, who[side], 20);
				bool t = y->has_to && !memcmp(y->to, who[side], 20) && !tl_uint256_is_zero(&to_amt);
				if (f) assert_false(tl_uint256_add(y->kind == TL_ETH_FEE ? &fees : &sent, y->kind == TL_ETH_FEE ? &fees : &sent, &y->amount));
				if (t) assert_false(tl_uint256_add(&rec, &rec, &to_amt));
				count += f || t;
			}
			uint64_t id;
			uint32_t asset = 0;
			assert_int_equal(tl_eth_store_account_id(s, who[side], &id, &err), 1);
			if (x->is_token) assert_int_equal(tl_eth_store_asset_id(s, x->token, &asset, &err), 1);
			struct tl_eth_stat st;
			assert_int_equal(tl_eth_store_stat(s, id, asset, &st, &err), 1);
			assert_int_equal(tl_uint256_cmp(&st.received, &rec), 0);
			assert_int_equal(tl_uint256_cmp(&st.sent, &sent), 0);
			assert_int_equal(tl_uint256_cmp(&st.fees, &fees), 0);
			assert_int_equal(st.count, count);
		}
	}
	/* conservation over every ether account */
	struct tl_eth_tip t;
	assert_int_equal(tl_eth_store_tip(s, &t, &err), 0);
	for (uint64_t id = 1; id < t.next_acct; id++) {
		struct tl_eth_stat st;
		if (tl_eth_store_stat(s, id, 0, &st, &err) != 1) continue;
		assert_false(tl_uint256_add(&in_all, &in_all, &st.received));
		assert_false(tl_uint256_add(&out_all, &out_all, &st.sent));
		assert_false(tl_uint256_add(&out_all, &out_all, &st.fees));
	}
	assert_false(tl_uint256_add(&in_all, &in_all, &burnt));
	assert_int_equal(tl_uint256_cmp(&in_all, &out_all), 0);
	tl_eth_store_close(s);
	tu_rmrf(dir);
	free(dir);
	tl_eth_transfers_free(&xf);
	tl_eth_data_free(&d);
}

/* Index block 1755634, then both blocks: the same database as both at
 * once; the re-read block is skipped. A block whose parent is not the
 * tip stores nothing. */
static void test_resume_and_continuity(void **state)
{
	(void)state;
	struct tl_eth_data all = { 0 };
	etl_stream(&all);
	assert_int_equal(all.n_blocks, 2);
	struct tl_eth_data first = { 0 };
	ef_etl(&first, ST "expected_blocks.json");
	ef_etl(&first, ST "expected_transactions.json");
	ef_etl(&first, ST "expected_logs.json");
	ef_finish(&first);
	first.n_blocks = 1; /* only 1755634 (it has no transactions) */
	char *d1 = tu_tmpdir("eth-r1"), *d2 = tu_tmpdir("eth-r2");
	struct tl_eth_store *s1 = open_new(d1, "mainnet"), *s2 = open_new(d2, "mainnet");
	struct tl_eth_index_result r;
	/* rows of a block not in the input are refused */
	struct tl_err err;
	struct tl_eth_index_opts o = { 0 };
	uint8_t g0[32], g1[32], g2[32];
	digest_of(s1, g0);
	if (first.n_txs) {
		assert_int_equal(tl_eth_index_data(s1, &first, &o, &r, &err), -1);
		assert_non_null(strstr(err.msg, "not in the input"));
		digest_of(s1, g1);
		assert_memory_equal(g0, g1, 32);
		first.n_txs = first.n_rcpts = first.n_logs = 0;
	}
	index_into(s1, &first, &r);
	assert_int_equal(r.blocks, 1);
	index_into(s1, &all, &r);
	assert_int_equal(r.skipped, 1);
	assert_int_equal(r.blocks, 1);
	index_into(s2, &all, &r);
	digest_of(s1, g1);
	digest_of(s2, g2);
	assert_memory_equal(g1, g2, 32);
	/* again: nothing changes */
	index_into(s2, &all, &r);
	assert_int_equal(r.blocks, 0);
	digest_of(s2, g1);
	assert_memory_equal(g1, g2, 32);
	/* a block that does not continue the tip */
	struct tl_eth_data other = { 0 };
	etl_483920(&other);
	assert_int_equal(tl_eth_index_data(s2, &other, &o, &r, &err), -1);
	assert_non_null(strstr(err.msg, "before the first indexed block"));
	all.blocks[1].parent[0] ^= 1;
	char *d3 = tu_tmpdir("eth-r3");
	struct tl_eth_store *s3 = open_new(d3, "mainnet");
	digest_of(s3, g0);
	assert_int_equal(tl_eth_index_data(s3, &all, &o, &r, &err), -1);
	assert_non_null(strstr(err.msg, "parent hash"));
	digest_of(s3, g1);
	assert_memory_equal(g0, g1, 32); /* nothing stored */
	all.blocks[1].parent[0] ^= 1;
	/* traces of a block the blocks table lacks */
	struct tl_eth_data orphan = { 0 };
	ef_etl(&orphan, BL "expected_blocks.csv");
	ef_etl(&orphan, ETL_FIX "test_export_traces_job/block_with_error/expected_traces.csv");
	ef_finish(&orphan);
	assert_int_equal(tl_eth_index_data(s3, &orphan, &o, &r, &err), -1);
	assert_non_null(strstr(err.msg, "not in the blocks table"));
	digest_of(s3, g1);
	assert_memory_equal(g0, g1, 32);
	tl_eth_data_free(&orphan);
	/* a different block at an indexed height */
	all.blocks[1].hash[5] ^= 1;
	assert_int_equal(tl_eth_index_data(s2, &all, &o, &r, &err), -1);
	assert_non_null(strstr(err.msg, "differs from the indexed one"));
	tl_eth_store_close(s1);
	tl_eth_store_close(s2);
	tl_eth_store_close(s3);
	tu_rmrf(d1);
	tu_rmrf(d2);
	tu_rmrf(d3);
	free(d1);
	free(d2);
	free(d3);
	tl_eth_data_free(&all);
	tl_eth_data_free(&first);
	tl_eth_data_free(&other);
}

static void test_refusals(void **state)
{
	(void)state;
	char *dir = tu_tmpdir("eth-net");
	struct tl_eth_store *s = open_new(dir, "mainnet");
	tl_eth_store_close(s);
	struct tl_err err;
	struct tl_eth_store_opts o = { .create = true, .net = tl_eth_net_by_name("sepolia") };
	assert_int_equal(tl_eth_store_open(dir, &o, &s, &err), -1);
	assert_non_null(strstr(err.msg, "is for network mainnet, not sepolia"));
	o.net = NULL;
	assert_int_equal(tl_eth_store_open(dir, &o, &s, &err), 0);
	assert_string_equal(tl_eth_store_net(s)->name, "mainnet");
	assert_string_equal(tl_eth_store_net(s)->chain, "ethereum");
	/* two writers */
	struct tl_eth_store *s2;
	assert_int_equal(tl_eth_store_open(dir, &o, &s2, &err), -1);
	assert_non_null(strstr(err.msg, "in use"));
	tl_eth_store_close(s);
	/* the Bitcoin store does not open it */
	struct tl_store *bs;
	struct tl_store_opts bo = { .read_only = true };
	assert_int_equal(tl_store_open(dir, &bo, &bs, &err), -1);
	/* and the Ethereum store does not open a Bitcoin database */
	char *bdir = tu_tmpdir("eth-btc");
	struct tl_store_opts bc = { .create = true, .net = tl_net_params(TL_NET_REGTEST) };
	assert_int_equal(tl_store_open(bdir, &bc, &bs, &err), 0);
	tl_store_close(bs);
	assert_int_equal(tl_eth_store_probe(bdir), 0);
	assert_int_equal(tl_eth_store_probe(dir), 1);
	o.net = tl_eth_net_by_name("mainnet");
	assert_int_equal(tl_eth_store_open(bdir, &o, &s, &err), -1);
	assert_non_null(strstr(err.msg, "not an Ethereum database"));
	/* no database and no create */
	struct tl_eth_store_opts ro = { .read_only = true };
	char missing[1200];
	snprintf(missing, sizeof missing, "%s/none", dir);
	assert_int_equal(tl_eth_store_open(missing, &ro, &s, &err), -1);
	assert_non_null(strstr(err.msg, "no database here"));
	assert_null(tl_eth_net_by_name("ropsten"));
	tu_rmrf(dir);
	tu_rmrf(bdir);
	free(dir);
	free(bdir);
}

/* The miner of 483920 has four fee transfers: pages of one, two and
 * three cover them all once, newest first. */
static void test_history_pages(void **state)
{
	(void)state;
	struct tl_eth_data d = { 0 };
	etl_483920(&d);
	char *dir = tu_tmpdir("eth-hist");
	struct tl_eth_store *s = open_new(dir, "mainnet");
	struct tl_eth_index_result r;
	index_into(s, &d, &r);
	struct tl_err err;
	uint64_t id;
	assert_int_equal(tl_eth_store_account_id(s, d.blocks[0].miner, &id, &err), 1);
	struct tl_eth_stat st;
	assert_int_equal(tl_eth_store_stat(s, id, 0, &st, &err), 1);
	assert_int_equal(st.count, 4);
	for (int page = 1; page <= 3; page++) {
		uint64_t before = UINT64_MAX, seen[8];
		int total = 0;
		for (;;) {
			json_t *j = tl_eth_json_history(s, d.blocks[0].miner, NULL, before, page, &err);
			assert_non_null(j);
			json_t *a = json_object_get(j, "transfers");
			size_t i;
			json_t *x;
			json_array_foreach(a, i, x)
			{
				uint64_t seq = (uint64_t)json_integer_value(json_object_get(x, "seq"));
				if (total) assert_true(seq < seen[total - 1]);
				assert_true(total < 8);
				seen[total++] = seq;
				assert_string_equal(json_string_value(json_object_get(x, "kind")), "fee");
			}
			json_t *next = json_object_get(j, "next");
			if (json_is_null(next)) {
				json_decref(j);
				break;
			}
			before = (uint64_t)json_integer_value(next);
			json_decref(j);
		}
		assert_int_equal(total, 4);
	}
	tl_eth_store_close(s);
	tu_rmrf(dir);
	free(dir);
	tl_eth_data_free(&d);
}

static void copy_file(const char *from, const char *to)
{
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
	assert_int_equal(tu_run(cmd, NULL), 0);
}

static void test_cli(void **state)
{
	(void)state;
	char *dir = tu_tmpdir("eth-cli");
	char etl[1200], db[1200], cmd[4096], p[1400];
	snprintf(etl, sizeof etl, "%s/export", dir);
	snprintf(db, sizeof db, "%s/db", dir);
	snprintf(cmd, sizeof cmd, "mkdir -p '%s'", etl);
	assert_int_equal(tu_run(cmd, NULL), 0);
	snprintf(p, sizeof p, "%s/blocks.csv", etl);
	copy_file(tu_shared_path(BL "expected_blocks.csv"), p);
	snprintf(p, sizeof p, "%s/transactions.csv", etl);
	copy_file(tu_shared_path(BL "expected_transactions.csv"), p);
	snprintf(p, sizeof p, "%s/receipts.csv", etl);
	copy_file(tu_shared_path(RWL "expected_receipts.csv"), p);
	/* a malformed logs file: nothing stored, file and line named */
	snprintf(p, sizeof p, "%s/logs.csv", etl);
	FILE *f = fopen(p, "w");
	fprintf(f, "log_index,transaction_hash,transaction_index,block_hash,block_number,address,data,topics\n"
		   "0,0x04cbcb236043d8fb7839e07bbc7f5eed692fb2ca55d897f1101eac3e3ad4fab8,0,0x00,483920,0xnot,0x,\n");
	fclose(f);
	char *out = NULL;
	snprintf(cmd, sizeof cmd, "%s index --chain ethereum --etl '%s' --db '%s' -q 2>&1", TL_BINARY, etl, db);
	assert_int_equal(tu_run(cmd, &out), 1);
	assert_non_null(strstr(out, "logs.csv:2: column 'address'"));
	assert_non_null(strstr(out, "nothing stored"));
	free(out);
	assert_int_equal(tl_eth_store_probe(db), 0);
	copy_file(tu_shared_path(RWL "expected_logs.csv"), p);
	assert_int_equal(tu_run(cmd, NULL), 0);
	/* the sender of tx 0 paid 50853 gas at 50 gwei and sent 100000 token units */
	snprintf(cmd, sizeof cmd, "%s get account 0x1B63142628311395CEAFEEA5667E7C9026C862CA --db '%s'", TL_BINARY, db);
	assert_int_equal(tu_run(cmd, &out), 0);
	json_error_t je;
	json_t *j = json_loads(out, 0, &je);
	free(out);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "address")), "0x1b63142628311395ceafeea5667e7c9026c862ca");
	json_t *eth = json_array_get(json_object_get(j, "assets"), 0);
	assert_string_equal(json_string_value(json_object_get(eth, "asset")), "ETH");
	assert_string_equal(json_string_value(json_object_get(eth, "fees")), "2542650000000000"); /* 50853 x 5e10 */
	assert_string_equal(json_string_value(json_object_get(eth, "balance")), "-2542650000000000");
	json_t *tok = json_array_get(json_object_get(j, "assets"), 1);
	assert_string_equal(json_string_value(json_object_get(tok, "asset")), "0xf4eced2f682ce333f96f2d8966c613ded8fc95dd");
	assert_string_equal(json_string_value(json_object_get(tok, "sent")), "100000");
	json_decref(j);
	/* a bad checksum is refused */
	snprintf(cmd, sizeof cmd, "%s get account 0x1B63142628311395ceafeea5667e7c9026c862ca --db '%s' 2>&1", TL_BINARY, db);
	assert_int_equal(tu_run(cmd, &out), 2);
	assert_non_null(strstr(out, "EIP-55"));
	free(out);
	/* tx, block, digest */
	snprintf(cmd, sizeof cmd, "%s get tx %s --db '%s'", TL_BINARY, RH[0], db);
	assert_int_equal(tu_run(cmd, &out), 0);
	j = json_loads(out, 0, &je);
	free(out);
	assert_int_equal(json_array_size(json_object_get(j, "transfers")), 2);
	json_decref(j);
	snprintf(cmd, sizeof cmd, "%s get block 483920 --db '%s'", TL_BINARY, db);
	assert_int_equal(tu_run(cmd, &out), 0);
	assert_non_null(strstr(out, "0x246edb4b351d93c27926f4649bcf6c24366e2a7c7c718dc9158eea20c03bc6ae"));
	free(out);
	snprintf(cmd, sizeof cmd, "%s db digest --db '%s'", TL_BINARY, db);
	assert_int_equal(tu_run(cmd, &out), 0);
	assert_int_equal(strlen(out), 65);
	free(out);
	/* another network on this database */
	snprintf(cmd, sizeof cmd, "%s index --chain ethereum --etl '%s' --db '%s' --network sepolia -q 2>&1", TL_BINARY, etl, db);
	assert_int_equal(tu_run(cmd, &out), 1);
	assert_non_null(strstr(out, "not sepolia"));
	free(out);
	tu_rmrf(dir);
	free(dir);
}

/* Caches too small to hold anything (every account and total leaves
 * them at each commit, a commit per block) give the same database as the
 * default caches: evicted totals are read back, not restarted. Two
 * consecutive post-Shanghai blocks with ~300 transactions and the same
 * withdrawal address in both. */
static void test_eviction(void **state)
{
	(void)state;
	struct tl_eth_data d = { 0 };
	ef_etl(&d, ETL_FIX "test_export_blocks_job/blocks_with_transactions_and_withdrawals/expected_blocks.csv");
	ef_etl(&d, ETL_FIX "test_export_blocks_job/blocks_with_transactions_and_withdrawals/expected_transactions.csv");
	ef_finish(&d);
	assert_int_equal(d.n_blocks, 2);
	assert_int_equal(d.blocks[1].number, d.blocks[0].number + 1);
	char *d1 = tu_tmpdir("eth-ev1"), *d2 = tu_tmpdir("eth-ev2");
	struct tl_eth_store *s1 = open_new(d1, "mainnet"), *s2 = open_new(d2, "mainnet");
	struct tl_err err;
	struct tl_eth_index_result r;
	struct tl_eth_index_opts tiny = { .batch_bytes = 1, .cache_bytes = 1 };
	if (tl_eth_index_data(s1, &d, &tiny, &r, &err) < 0) fail_msg("%s", err.msg);
	assert_int_equal(r.blocks, 2);
	struct tl_eth_index_opts dflt = { 0 };
	if (tl_eth_index_data(s2, &d, &dflt, &r, &err) < 0) fail_msg("%s", err.msg);
	uint8_t g1[32], g2[32];
	digest_of(s1, g1);
	digest_of(s2, g2);
	assert_memory_equal(g1, g2, 32);
	/* the withdrawal address: 32 withdrawals over the two blocks */
	uint64_t id;
	assert_int_equal(tl_eth_store_account_id(s1, d.wds[0].addr, &id, &err), 1);
	struct tl_eth_stat st;
	assert_int_equal(tl_eth_store_stat(s1, id, 0, &st, &err), 1);
	assert_true(st.count >= 32);
	tl_eth_store_close(s1);
	tl_eth_store_close(s2);
	tu_rmrf(d1);
	tu_rmrf(d2);
	free(d1);
	free(d2);
	tl_eth_data_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_database_both_ways), cmocka_unit_test(test_totals),
		cmocka_unit_test(test_resume_and_continuity),   cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_history_pages),           cmocka_unit_test(test_cli),
		cmocka_unit_test(test_eviction),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
