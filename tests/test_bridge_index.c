/* THORChain memos in the Bitcoin index, on a hand-built regtest chain: an
 * outbound whose OUT: memo is split over two OP_RETURN outputs is found
 * from the inbound hash it names, a REFUND: likewise, the outbounds'
 * input owners are learned as vaults, an inbound swap memo is kept with
 * its target, a malformed memo is counted and other OP_RETURN text is
 * ignored. A reorg that drops the block takes every link with it: the
 * database digest then equals a fresh index of the winning chain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bridge/memo.h"
#include "store/links_btc.h"
#include "tests/chainfix.h"
#include "tests/testutil.h"

static struct cf_out p2wpkh(uint64_t value, uint8_t tag)
{
	struct cf_out o = { .value = value, .len = 22 };
	o.script[0] = 0x00;
	o.script[1] = 0x14;
	memset(o.script + 2, tag, 20);
	return o;
}

static struct cf_out opret(const char *text)
{
	struct cf_out o = { .value = 0 };
	size_t n = strlen(text);
	assert_true(n <= sizeof o.script - 2);
	o.script[0] = 0x6a;
	o.script[1] = (uint8_t)n;
	memcpy(o.script + 2, text, n);
	o.len = 2 + n;
	return o;
}

/* A coinbase paying 50 BTC to the owner tagged tag; unique per (height, branch). */
static void coinbase(struct cf_block *b, int height, uint8_t branch, uint8_t tag, uint8_t txid[32])
{
	uint8_t sig[4] = { 0x01, (uint8_t)height, 0x01, branch };
	struct cf_in in = { NULL, 0, sig, sizeof sig };
	struct cf_out out = p2wpkh(5000000000ULL, tag);
	cf_block_add_tx(b, &in, 1, &out, 1, txid);
}

static const char *ETH_IN = "9F1A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E7F8";
static const char *ETH_IN2 = "0000000000000000000000000000000000000000000000000000000000C0FFEE";

static void hex32(const char *h, uint8_t out[32])
{
	for (int i = 0; i < 32; i++) {
		unsigned v;
		sscanf(h + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

/* Heights 1..3 of branch A: vault coinbases at 1 and 2, the memos at 3. */
static void branch_a(struct tl_buf *file, uint8_t tip[32], uint8_t cb1[32], uint8_t cb2[32])
{
	struct cf_block b = { 0 };
	coinbase(&b, 1, 'a', 0x11, cb1); /* vault V1 */
	cf_mine(file, &b, tip, 1700000001);
	coinbase(&b, 2, 'a', 0x12, cb2); /* vault V2 */
	cf_mine(file, &b, tip, 1700000002);
	coinbase(&b, 3, 'a', 0x50, NULL);
	/* OUT:<ETH_IN> from V1, memo over two outputs (40 + 28 bytes) */
	char memo[80], first[41];
	snprintf(memo, sizeof memo, "OUT:%s", ETH_IN);
	memcpy(first, memo, 40);
	first[40] = 0;
	struct cf_in in1 = { cb1, 0, NULL, 0 };
	struct cf_out o1[4] = { p2wpkh(1200000000, 0x21), opret(first), p2wpkh(3700000000, 0x11), opret(memo + 40) };
	cf_block_add_tx(&b, &in1, 1, o1, 4, NULL);
	/* REFUND:0x<ETH_IN2> (lower case, 0x) from V2, also split */
	char refund[80];
	snprintf(refund, sizeof refund, "refund:0x%s", ETH_IN2);
	for (char *p = refund; *p; p++)
		if (*p >= 'A' && *p <= 'F') *p = (char)(*p + 32);
	struct cf_in in2 = { cb2, 0, NULL, 0 };
	char rfirst[51];
	memcpy(rfirst, refund, 50);
	rfirst[50] = 0;
	struct cf_out o2[4] = { p2wpkh(100000000, 0x22), opret(rfirst), opret(refund + 50), p2wpkh(4800000000, 0x12) };
	cf_block_add_tx(&b, &in2, 1, o2, 4, NULL);
	/* an inbound swap to Ethereum, a malformed OUT and foreign text,
	 * all spending V2's change (chained in the block) */
	struct cf_out o3[2] = { p2wpkh(1000, 0x13), opret("=:ETH.ETH:0x00000000000000000000000000000000000000aa:0/1/0") };
	struct cf_in in3 = { cb2, 1, NULL, 0 }; /* a prevout not in the index: still indexed */
	cf_block_add_tx(&b, &in3, 1, o3, 2, NULL);
	struct cf_out o4[2] = { p2wpkh(1000, 0x14), opret("OUT:NOT-A-HASH") };
	struct cf_in in4 = { cb2, 2, NULL, 0 };
	cf_block_add_tx(&b, &in4, 1, o4, 2, NULL);
	struct cf_out o5[2] = { p2wpkh(1000, 0x15), opret("omni hello") };
	struct cf_in in5 = { cb2, 3, NULL, 0 };
	cf_block_add_tx(&b, &in5, 1, o5, 2, NULL);
	cf_mine(file, &b, tip, 1700000003);
}

static uint64_t addr_of(struct tl_store *s, uint8_t tag)
{
	struct cf_out o = p2wpkh(0, tag);
	uint8_t key[TL_SCRIPT_KEY_MAX];
	size_t kl = tl_script_key(o.script, o.len, key);
	uint64_t id = 0;
	struct tl_err err;
	if (tl_store_addr_id(s, key, kl, &id, &err) != 1) fail_msg("owner %02x not indexed", tag);
	return id;
}

static void digest_of(const char *db, uint8_t out[32])
{
	struct tl_store_opts so = { .read_only = true };
	struct tl_store *s = cf_store_open(db, &so);
	assert_int_equal(tl_store_digest(s, out, NULL, NULL), 0);
	tl_store_close(s);
}

static void test_links_and_reorg(void **st)
{
	(void)st;
	char *tmp = tu_tmpdir("bridge-ix");
	char blocks[1024], db[1024], fresh[1024];
	snprintf(blocks, sizeof blocks, "%s/blocks", tmp);
	snprintf(db, sizeof db, "%s/db", tmp);
	snprintf(fresh, sizeof fresh, "%s/fresh", tmp);
	struct tl_buf file = { 0 };
	uint8_t tip[32], genesis[32], cb1[32], cb2[32];
	cf_genesis(&file, tip);
	memcpy(genesis, tip, 32);
	branch_a(&file, tip, cb1, cb2);
	cf_write_blocks(blocks, &file);
	struct tl_index_opts o = cf_index_opts(blocks, db);
	cf_index_run(&o, NULL);

	struct tl_store_opts so = { .read_only = true };
	struct tl_store *s = cf_store_open(db, &so);
	struct tl_err err;
	uint8_t h[32], kinds[4];
	uint64_t nums[4];
	hex32(ETH_IN, h);
	assert_int_equal(tl_links_btc_outbounds(s, h, nums, kinds, 4, &err), 1);
	assert_int_equal(kinds[0], TL_MEMO_OUT);
	/* tx_nums: genesis 0, coinbases 1 and 2, block 3 = coinbase 3 then the OUT at 4 */
	assert_int_equal(nums[0], 4);
	struct tl_tx_rec r;
	assert_int_equal(tl_store_tx(s, nums[0], &r, &err), 1);
	assert_int_equal(r.out[0].value, 1200000000);
	tl_tx_rec_free(&r);
	/* the payout: the output to the payee, not the change to the vault */
	struct tl_links_btc_payout po;
	assert_int_equal(tl_links_btc_resolve(s, h, 0, &po, &err), 1);
	assert_int_equal(po.tx_num, 4);
	assert_int_equal(po.kind, TL_MEMO_OUT);
	assert_int_equal(po.vout, 0);
	assert_int_equal(po.value, 1200000000);
	assert_int_equal(tl_links_btc_resolve(s, h, addr_of(s, 0x21), &po, &err), 1);
	assert_int_equal(po.vout, 0);
	assert_int_equal(tl_links_btc_resolve(s, h, addr_of(s, 0x11), &po, &err), 1); /* named: the vault's own output */
	assert_int_equal(po.vout, 2);
	assert_int_equal(tl_links_btc_resolve(s, h, addr_of(s, 0x50), &po, &err), -1); /* not paid */
	hex32(ETH_IN2, h);
	assert_int_equal(tl_links_btc_resolve(s, h, 0, &po, &err), 1);
	assert_int_equal(po.kind, TL_MEMO_REFUND);
	assert_int_equal(po.tx_num, 5);
	assert_int_equal(po.value, 100000000);
	assert_int_equal(tl_links_btc_outbounds(s, h, nums, kinds, 4, &err), 1);
	assert_int_equal(kinds[0], TL_MEMO_REFUND);
	assert_int_equal(nums[0], 5);
	h[0] ^= 1;
	assert_int_equal(tl_links_btc_outbounds(s, h, nums, kinds, 4, &err), 0);
	assert_int_equal(tl_links_btc_resolve(s, h, 0, &po, &err), 0); /* an inbound with no outbound yet */
	/* the inputs of both outbounds are vaults; their payees are not */
	assert_int_equal(tl_links_btc_is_vault(s, addr_of(s, 0x11), &err), 1);
	assert_int_equal(tl_links_btc_is_vault(s, addr_of(s, 0x12), &err), 1);
	assert_int_equal(tl_links_btc_is_vault(s, addr_of(s, 0x21), &err), 0);
	assert_int_equal(tl_links_btc_is_vault(s, addr_of(s, 0x50), &err), 0);
	/* the inbound swap's memo */
	struct tl_memo m;
	assert_int_equal(tl_links_btc_memo(s, 6, &m, &err), 1);
	assert_int_equal(m.kind, TL_MEMO_SWAP);
	assert_string_equal(m.asset, "ETH.ETH");
	assert_string_equal(m.dest, "0x00000000000000000000000000000000000000aa");
	assert_int_equal(tl_links_btc_memo(s, 7, &m, &err), 0); /* malformed */
	assert_int_equal(tl_links_btc_memo(s, 8, &m, &err), 0); /* foreign */
	uint64_t memos, outs, vrows, bad;
	assert_int_equal(tl_links_btc_counts(s, &memos, &outs, &vrows, &bad, &err), 0);
	assert_int_equal(memos, 3);
	assert_int_equal(outs, 2);
	assert_int_equal(vrows, 2);
	assert_int_equal(bad, 1);
	tl_store_close(s);

	/* Branch B from height 1: four blocks without memos win. */
	uint8_t tipb[32];
	memcpy(tipb, genesis, 32);
	struct cf_block b = { 0 };
	for (int hgt = 1; hgt <= 4; hgt++) {
		coinbase(&b, hgt, 'b', 0x60, NULL);
		cf_mine(&file, &b, tipb, 1700000100 + (uint32_t)hgt);
	}
	cf_write_blocks(blocks, &file);
	cf_index_run(&o, NULL);
	struct tl_index_opts o2 = cf_index_opts(blocks, fresh);
	cf_index_run(&o2, NULL);
	s = cf_store_open(db, &so);
	assert_int_equal(tl_links_btc_counts(s, &memos, &outs, &vrows, &bad, &err), 0);
	assert_int_equal(memos + outs + vrows + bad, 0);
	tl_store_close(s);
	uint8_t d1[32], d2[32];
	digest_of(db, d1);
	digest_of(fresh, d2);
	assert_memory_equal(d1, d2, 32);
	free(file.data);
	tu_rmrf(tmp);
	free(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_links_and_reorg),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
