/* Screening across THORChain (tracer/screen_xchain.h), end to end through
 * the binary.
 *
 * Hand-worked, Ethereum to Bitcoin, the outbound indexed before its
 * inbound: a regtest chain holds THORChain's outbound (memo OUT:<H03>,
 * split over two OP_RETURN outputs) paying 12,000,000 sat, and a hop from
 * its payee into an exchange (9,990,000) and back into the vault
 * (2,000,000). The Ethereum database first holds only the theft (block
 * 1): nothing is exposed. Then blocks 2 and 3 arrive (the tainted
 * inbound H03 to the THORChain vault, and a second one never paid out):
 * after the sync the payout is exposed to the heist with floor(o * t / a),
 * t the single-chain Ethereum trace's figure at the vault and a = 60 ETH,
 * computed here in 128 bits, and the exchange deposit with floor(9990000
 * * c / 12000000), the haircut of the hop worked by hand. The second
 * inbound (pending) seeds nothing. A second sync changes nothing; a
 * database pair indexed whole and synced once gives the same answers.
 *
 * On the simulator's multichain output: every Bitcoin endpoint and
 * holding of the cross-chain haircut trace of the Ethereum heist has
 * exactly the trace's amount as its screening exposure, every cash-out of
 * truth.json is exposed, and, the other way, the Ethereum payee of the
 * Bitcoin heist's swap is exposed to it with what the cross-chain trace's
 * crossing carries (the simulator's 490 ETH, the inbound being fully
 * tainted). Before the Ethereum heist is imported, a sync exposes nothing
 * on Bitcoin. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "bitcoin/address.h"
#include "bitcoin/hash.h"
#include "bitcoin/network.h"
#include "tests/chainfix.h"
#include "tests/testutil.h"

#define V "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" /* victim */
#define T "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" /* thief */
#define C "0xcccccccccccccccccccccccccccccccccccccccc" /* clean funds */
#define R "0x7777777777777777777777777777777777777777" /* THORChain inbound vault */
#define M "0x9999999999999999999999999999999999999999" /* block producer */
#define H(n) "0x" n n n n n n n n "000000000000000000000000000000000000000000000000"
#define H03 "0303030303030303000000000000000000000000000000000000000000000000"

static char *dir;
static char outtxid[65], hoptxid[65];

static void write_file(const char *name, const char *text)
{
	char p[1200];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static json_t *load(const char *path)
{
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	if (!j) fail_msg("%s: %s", path, je.text);
	return j;
}

static unsigned __int128 u128(json_t *j)
{
	const char *s = json_string_value(j);
	if (!s) fail_msg("expected a decimal string");
	unsigned __int128 v = 0;
	for (; *s; s++) v = v * 10 + (unsigned)(*s - '0');
	return v;
}

/* The screening exposure of outpoint op (TXID:VOUT) to heist on the
 * Bitcoin database db (-1 when none). */
static long long btc_exposure(const char *db, const char *op, const char *heist)
{
	char *out = NULL;
	out = tu_run_ok("%s screen --db %s --outpoint %s --json", TL_BINARY, db, op);
	json_error_t je;
	json_t *v = json_loads(out, 0, &je);
	if (!v) fail_msg("screen output not JSON: %s", out);
	free(out);
	long long a = -1;
	json_t *e;
	size_t i;
	json_array_foreach(json_object_get(v, "exposures"), i, e)
		if (!strcmp(json_string_value(json_object_get(e, "heist")), heist))
			a = (long long)json_integer_value(json_object_get(e, "amount_sat"));
	json_decref(v);
	return a;
}

/* The Ethereum screening exposure of address to heist in asset ETH (a
 * decimal string, "" when none), through `screen --db BTC --db ETH`. */
static char *eth_exposure(const char *btc, const char *eth, const char *addr, const char *heist)
{
	char *out = NULL;
	out = tu_run_ok("%s screen --db %s --db %s --address %s", TL_BINARY, btc, eth, addr);
	json_error_t je;
	json_t *v = json_loads(out, 0, &je);
	if (!v) fail_msg("screen output not JSON: %s", out);
	free(out);
	char *r = strdup("");
	json_t *e, *a;
	size_t i, k;
	json_array_foreach(json_object_get(v, "exposures"), i, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "heist")), heist)) continue;
		assert_string_equal(json_string_value(json_object_get(e, "from_chain")), "bitcoin");
		json_array_foreach(json_object_get(e, "assets"), k, a)
			if (!strcmp(json_string_value(json_object_get(a, "asset")), "ETH")) {
				free(r);
				r = strdup(json_string_value(json_object_get(a, "tainted")));
			}
	}
	json_decref(v);
	return r;
}

/* ---- hand-worked ---- */

static struct cf_out p2wpkh(uint64_t value, uint8_t tag)
{
	struct cf_out o = { .value = value, .len = 22 };
	o.script[0] = 0x00;
	o.script[1] = 0x14;
	memset(o.script + 2, tag, 20);
	return o;
}

static struct cf_out opret(const char *text, size_t n)
{
	struct cf_out o = { .value = 0 };
	o.script[0] = 0x6a;
	o.script[1] = (uint8_t)n;
	memcpy(o.script + 2, text, n);
	o.len = 2 + n;
	return o;
}

static void coinbase(struct cf_block *b, int height, uint8_t tag, uint8_t txid[32])
{
	uint8_t sig[3] = { 0x01, (uint8_t)height, 0x5a };
	struct cf_in in = { NULL, 0, sig, sizeof sig };
	struct cf_out out = p2wpkh(5000000000ULL, tag);
	cf_block_add_tx(b, &in, 1, &out, 1, txid);
}

static void build_bitcoin(const char *db)
{
	struct tl_buf file = { 0 };
	uint8_t tip[32], cb1[32], out[32], hop[32];
	cf_genesis(&file, tip);
	struct cf_block b = { 0 };
	coinbase(&b, 1, 0x11, cb1); /* the THORChain vault on Bitcoin */
	cf_mine(&file, &b, tip, 1740300001);
	char first[1200];
	snprintf(first, sizeof first, "%s/blocks1", dir);
	cf_write_blocks(first, &file); /* the chain before the outbound */
	coinbase(&b, 2, 0x50, NULL);
	char up[80];
	snprintf(up, sizeof up, "OUT:%s", H03);
	struct cf_in in = { cb1, 0, NULL, 0 };
	struct cf_out o[4] = { opret(up, 30), p2wpkh(12000000, 0x21), opret(up + 30, strlen(up) - 30),
			       p2wpkh(4987990000ULL, 0x11) };
	cf_block_add_tx(&b, &in, 1, o, 4, out);
	cf_mine(&file, &b, tip, 1740300002);
	coinbase(&b, 3, 0x50, NULL);
	struct cf_in in2 = { out, 1, NULL, 0 };
	struct cf_out o2[2] = { p2wpkh(9990000, 0x31), p2wpkh(2000000, 0x11) };
	cf_block_add_tx(&b, &in2, 1, o2, 2, hop);
	cf_mine(&file, &b, tip, 1740300003);
	char blocks[1200];
	snprintf(blocks, sizeof blocks, "%s/blocks", dir);
	cf_write_blocks(blocks, &file);
	free(file.data);
	struct tl_index_opts io = cf_index_opts(blocks, db);
	cf_index_run(&io, NULL);
	tl_hash_to_hex(out, outtxid);
	tl_hash_to_hex(hop, hoptxid);
	char addr[TL_ADDRESS_MAX], tags[512];
	struct cf_out x = p2wpkh(0, 0x31);
	assert_int_equal(tl_address_from_script(x.script, x.len, tl_net_params(TL_NET_REGTEST), addr), 0);
	snprintf(tags, sizeof tags,
		 "chain,address,label,category,source,confidence\nbitcoin-regtest,%s,Exchange B,exchange,test,100\n", addr);
	write_file("btc-tags.csv", tags);
}

static const char *blocks_csv[] = {
	"1," H("b1") "," H("b0") "," M ",1740096000,1,500000000\n",
	"2," H("b2") "," H("b1") "," M ",1740182400,2,500000000\n",
	"3," H("b3") "," H("b2") "," M ",1740268800,1,500000000\n",
};
static const char *txs_csv[] = {
	H("01") ",1,0," V "," T ",100000000000000000000,1000000000\n",
	H("02") ",2,0," C "," T ",50000000000000000000,1000000000\n" H("03") ",2,1," T "," R ",60000000000000000000,1000000000\n",
	H("04") ",3,0," T "," R ",10000000000000000000,1000000000\n",
};
static const char *rcpts_csv[] = {
	H("01") ",1,0,21000,1000000000,1\n",
	H("02") ",2,0,21000,1000000000,1\n" H("03") ",2,1,21000,1000000000,1\n",
	H("04") ",3,0,21000,1000000000,1\n",
};

/* An ethereum-etl export of blocks 1..n in folder sub. */
static void write_export(const char *sub, int n)
{
	char p[1200], b[2048] = "number,hash,parent_hash,miner,timestamp,transaction_count,base_fee_per_gas\n",
			 t[2048] = "hash,block_number,transaction_index,from_address,to_address,value,gas_price\n",
			 r[2048] = "transaction_hash,block_number,transaction_index,gas_used,effective_gas_price,status\n";
	for (int i = 0; i < n; i++) {
		strcat(b, blocks_csv[i]);
		strcat(t, txs_csv[i]);
		strcat(r, rcpts_csv[i]);
	}
	snprintf(p, sizeof p, "mkdir -p %s/%s", dir, sub);
	assert_int_equal(tu_run(p, NULL), 0);
	snprintf(p, sizeof p, "%s/blocks.csv", sub);
	write_file(p, b);
	snprintf(p, sizeof p, "%s/transactions.csv", sub);
	write_file(p, t);
	snprintf(p, sizeof p, "%s/receipts.csv", sub);
	write_file(p, r);
}

static void import_all(const char *btc, const char *eth)
{
	free(tu_run_ok("%s tags import --db %s %s/eth-tags.csv", TL_BINARY, eth, dir));
	free(tu_run_ok("%s heist import --db %s %s/heists.json", TL_BINARY, eth, dir));
	free(tu_run_ok("%s tags import --db %s %s/btc-tags.csv", TL_BINARY, btc, dir));
}

static void test_hand_worked(void **st)
{
	(void)st;
	dir = tu_tmpdir("screen_xchain");
	char btc[1200], eth[1200], btc2[1200], eth2[1200], op[80], ex[80], back[80];
	snprintf(btc, sizeof btc, "%s/btc", dir);
	snprintf(eth, sizeof eth, "%s/eth", dir);
	snprintf(btc2, sizeof btc2, "%s/btc2", dir);
	snprintf(eth2, sizeof eth2, "%s/eth2", dir);
	write_file("eth-tags.csv", "chain,address,label,category,source,confidence\n"
				   "ethereum-dev," R ",THORChain,bridge,test,100\n");
	write_file("heists.json",
		   "{\"heists\": [{\"id\": \"drain\", \"name\": \"A drain\", \"date\": \"2025-02-21\", \"chain\": \"ethereum-dev\","
		   " \"attribution\": {\"authority\": \"t\", \"document\": \"t\"}, \"seeds\": [{\"txid\": \"" H("01") "\"}]}]}");
	write_export("e1", 1);
	write_export("e3", 3);
	build_bitcoin(btc);
	snprintf(op, sizeof op, "%s:1", outtxid);
	snprintf(ex, sizeof ex, "%s:0", hoptxid);
	snprintf(back, sizeof back, "%s:1", hoptxid);

	/* the outbound is indexed, its inbound not yet */
	free(tu_run_ok("%s index --chain ethereum --etl %s/e1 --db %s --network dev", TL_BINARY, dir, eth));
	import_all(btc, eth);
	free(tu_run_ok("%s screen --db %s --db %s --update", TL_BINARY, btc, eth));
	assert_int_equal(btc_exposure(btc, op, "drain"), -1);
	assert_int_equal(btc_exposure(btc, ex, "drain"), -1);

	/* the inbound arrives */
	free(tu_run_ok("%s index --chain ethereum --etl %s/e3 --db %s --network dev", TL_BINARY, dir, eth));
	free(tu_run_ok("%s screen --db %s --db %s --update", TL_BINARY, btc, eth));

	/* t: the single-chain haircut trace at the vault, an independent walk */
	char path[1300];
	snprintf(path, sizeof path, "%s/single.json", dir);
	free(tu_run_ok("%s trace --db %s --heist drain --policy haircut -o %s", TL_BINARY, eth, path));
	json_t *single = load(path), *e;
	size_t i;
	unsigned __int128 t3 = 0;
	int n4 = 0;
	json_array_foreach(json_object_get(single, "endpoints"), i, e)
	{
		const char *tx = json_string_value(json_object_get(e, "tx"));
		if (!strcmp(tx, H("03"))) t3 += u128(json_object_get(e, "amount"));
		if (!strcmp(tx, H("04"))) n4++;
	}
	json_decref(single);
	assert_true(t3 > 0);
	assert_int_equal(n4, 1); /* the pending inbound is tainted too */
	unsigned __int128 a = (unsigned __int128)60000000000ULL * 1000000000ULL; /* 60 ETH in wei */
	long long c = (long long)((unsigned __int128)12000000 * t3 / a);
	assert_true(c > 0 && c < 12000000);
	long long cx = (long long)((unsigned __int128)9990000 * (unsigned __int128)c / 12000000);
	long long cb = (long long)((unsigned __int128)2000000 * (unsigned __int128)c / 12000000);
	assert_int_equal(btc_exposure(btc, op, "drain"), c);
	assert_int_equal(btc_exposure(btc, ex, "drain"), cx);
	assert_int_equal(btc_exposure(btc, back, "drain"), cb);
	/* the vault's own change and the coinbase are clean */
	char vc[80];
	snprintf(vc, sizeof vc, "%s:3", outtxid);
	assert_int_equal(btc_exposure(btc, vc, "drain"), -1);

	/* again: nothing changes */
	free(tu_run_ok("%s screen --db %s --db %s --update", TL_BINARY, btc, eth));
	assert_int_equal(btc_exposure(btc, op, "drain"), c);
	assert_int_equal(btc_exposure(btc, ex, "drain"), cx);

	/* indexed whole, synced once: the same answers */
	char bdir[1300];
	snprintf(bdir, sizeof bdir, "%s/blocks", dir);
	struct tl_index_opts io = cf_index_opts(bdir, btc2);
	cf_index_run(&io, NULL);
	free(tu_run_ok("%s index --chain ethereum --etl %s/e3 --db %s --network dev", TL_BINARY, dir, eth2));
	import_all(btc2, eth2);
	free(tu_run_ok("%s screen --db %s --db %s --update", TL_BINARY, btc2, eth2));
	assert_int_equal(btc_exposure(btc2, op, "drain"), c);
	assert_int_equal(btc_exposure(btc2, ex, "drain"), cx);
	assert_int_equal(btc_exposure(btc2, back, "drain"), cb);

	/* the Bitcoin index's own update keeps it: a rebuild of the Bitcoin
	 * screening index gives the same answers */
	free(tu_run_ok("%s screen --db %s --rebuild", TL_BINARY, btc));
	assert_int_equal(btc_exposure(btc, ex, "drain"), cx);
	if (!getenv("TL_KEEP")) tu_rmrf(dir);
	free(dir);
}

/* The inbound first: the sync records it on Bitcoin while its outbound
 * is not mined; the Bitcoin index run that adds the outbound seeds it by
 * itself (its screening update), with no second sync. */
static void test_outbound_later(void **st)
{
	(void)st;
	dir = tu_tmpdir("screen_xchain_later");
	char btc[1200], eth[1200], scratch[1200], op[80], ex[80];
	snprintf(btc, sizeof btc, "%s/btc", dir);
	snprintf(eth, sizeof eth, "%s/eth", dir);
	snprintf(scratch, sizeof scratch, "%s/scratch", dir);
	write_file("eth-tags.csv", "chain,address,label,category,source,confidence\n"
				   "ethereum-dev," R ",THORChain,bridge,test,100\n");
	write_file("heists.json",
		   "{\"heists\": [{\"id\": \"drain\", \"name\": \"A drain\", \"date\": \"2025-02-21\", \"chain\": \"ethereum-dev\","
		   " \"attribution\": {\"authority\": \"t\", \"document\": \"t\"}, \"seeds\": [{\"txid\": \"" H("01") "\"}]}]}");
	write_export("e3", 3);
	build_bitcoin(scratch); /* writes blocks1 and blocks; scratch is a throwaway index */
	snprintf(op, sizeof op, "%s:1", outtxid);
	snprintf(ex, sizeof ex, "%s:0", hoptxid);
	free(tu_run_ok("%s index --blocks-dir %s/blocks1 --db %s --network regtest", TL_BINARY, dir, btc));
	free(tu_run_ok("%s index --chain ethereum --etl %s/e3 --db %s --network dev", TL_BINARY, dir, eth));
	import_all(btc, eth);
	free(tu_run_ok("%s screen --db %s --db %s --update", TL_BINARY, btc, eth));
	/* the whole chain, indexed by the Bitcoin index alone */
	free(tu_run_ok("%s index --blocks-dir %s/blocks --db %s --network regtest", TL_BINARY, dir, btc));
	long long got = btc_exposure(btc, op, "drain"), gx = btc_exposure(btc, ex, "drain");
	/* the same as the pair synced after both were whole */
	free(tu_run_ok("%s screen --db %s --db %s --update", TL_BINARY, scratch, eth));
	free(tu_run_ok("%s tags import --db %s %s/btc-tags.csv", TL_BINARY, scratch, dir));
	free(tu_run_ok("%s screen --db %s --db %s --update", TL_BINARY, scratch, eth));
	assert_true(got > 0);
	assert_int_equal(got, btc_exposure(scratch, op, "drain"));
	assert_int_equal(gx, btc_exposure(scratch, ex, "drain"));
	assert_true(gx > 0);
	if (!getenv("TL_KEEP")) tu_rmrf(dir);
	free(dir);
}

/* ---- the simulator ---- */

static void test_simulated(void **st)
{
	(void)st;
	dir = tu_tmpdir("screen_xchain_sim");
	char btc[1200], eth[1200], path[1300];
	snprintf(btc, sizeof btc, "%s/btc", dir);
	snprintf(eth, sizeof eth, "%s/eth", dir);
	free(tu_run_ok("%s simulate --chain multichain --out %s/s --seed 9", TL_BINARY, dir));
	free(tu_run_ok("%s index --chain ethereum --etl %s/s/ethereum --db %s --network dev", TL_BINARY, dir, eth));
	free(tu_run_ok("%s index --blocks-dir %s/s/bitcoin/blocks --db %s --network regtest", TL_BINARY, dir, btc));
	free(tu_run_ok("%s tags import --db %s %s/s/ethereum/tags.csv", TL_BINARY, eth, dir));
	free(tu_run_ok("%s tags import --db %s %s/s/bitcoin/tags.csv", TL_BINARY, btc, dir));
	free(tu_run_ok("%s heist import --db %s %s/s/bitcoin/heists.json", TL_BINARY, btc, dir));
	snprintf(path, sizeof path, "%s/s/truth.json", dir);
	json_t *truth = load(path);
	json_t *cash = json_object_get(json_object_get(truth, "bybit"), "btc_cashouts"), *c;
	size_t i;
	char op[80];

	/* the Ethereum heist not imported yet: nothing crosses */
	free(tu_run_ok("%s screen --db %s --db %s --update", TL_BINARY, btc, eth));
	c = json_array_get(cash, 0);
	snprintf(op, sizeof op, "%s:%lld", json_string_value(json_object_get(c, "txid")),
		 (long long)json_integer_value(json_object_get(c, "vout")));
	assert_int_equal(btc_exposure(btc, op, "sim-bybit"), -1);

	free(tu_run_ok("%s heist import --db %s %s/s/ethereum/heists.json", TL_BINARY, eth, dir));
	free(tu_run_ok("%s screen --db %s --db %s --update", TL_BINARY, btc, eth));

	/* Ethereum -> Bitcoin: the trace's Bitcoin endpoints and holdings */
	snprintf(path, sizeof path, "%s/x.json", dir);
	free(tu_run_ok("%s trace --db %s --db %s --heist sim-bybit --policy haircut -o %s", TL_BINARY, btc, eth, path));
	json_t *x = load(path), *e;
	size_t checked = 0;
	static const char *lists[] = { "endpoints", "holdings" };
	for (int l = 0; l < 2; l++)
		json_array_foreach(json_object_get(x, lists[l]), i, e)
		{
			const char *opx = json_string_value(json_object_get(e, "outpoint"));
			if (strcmp(json_string_value(json_object_get(e, "chain")), "bitcoin") || !opx) continue;
			long long want = (long long)json_integer_value(json_object_get(e, "amount_sat"));
			long long got = btc_exposure(btc, opx, "sim-bybit");
			if (got != want) fail_msg("%s %s: screening %lld, trace %lld", lists[l], opx, got, want);
			checked++;
		}
	printf("%zu Bitcoin endpoints and holdings equal the trace\n", checked);
	assert_true(checked >= 10);
	json_decref(x);
	/* every cash-out of the truth is exposed */
	json_array_foreach(cash, i, c)
	{
		snprintf(op, sizeof op, "%s:%lld", json_string_value(json_object_get(c, "txid")),
			 (long long)json_integer_value(json_object_get(c, "vout")));
		assert_true(btc_exposure(btc, op, "sim-bybit") > 0);
	}

	/* Bitcoin -> Ethereum: the payee of the DMM-shaped swap */
	snprintf(path, sizeof path, "%s/d.json", dir);
	free(tu_run_ok("%s trace --db %s --db %s --heist sim-dmm --policy haircut -o %s", TL_BINARY, btc, eth, path));
	json_t *d = load(path);
	const char *payee = json_string_value(json_object_get(json_object_get(truth, "dmm"), "eth_payee"));
	int payouts = 0;
	json_array_foreach(json_object_get(d, "crossings"), i, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "to_chain")), "ethereum")) continue;
		payouts++;
		assert_string_equal(json_string_value(json_object_get(e, "to_address")), payee);
		char *got = eth_exposure(btc, eth, payee, "sim-dmm");
		assert_string_equal(got, json_string_value(json_object_get(e, "tainted_out")));
		assert_string_equal(got, "490000000000000000000");
		free(got);
	}
	assert_int_equal(payouts, 1);
	json_decref(d);
	/* an account the swap did not pay is not exposed to it */
	char *none = eth_exposure(btc, eth, "0x00000000000000000000000000000000000000aa", "sim-dmm");
	assert_string_equal(none, "");
	free(none);
	json_decref(truth);
	if (!getenv("TL_KEEP")) tu_rmrf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hand_worked),
		cmocka_unit_test(test_outbound_later),
		cmocka_unit_test(test_simulated),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
