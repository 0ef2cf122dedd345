/* A heist stolen on Bitcoin, swapped to ether through THORChain: the
 * Ethereum trace continues from the payout, hand-worked.
 *
 * Bitcoin (regtest): the theft's coinbase output (50 BTC) pays the thief;
 * the thief deposits 10 BTC into the THORChain vault (tagged bridge) with
 * the memo "=:ETH.ETH:<payee>" (fee 10,000 sat, change to the thief).
 * Ethereum (an ethereum-etl export written here): the vault pays the
 * payee 2 ETH, with the router's TransferOut event whose memo is
 * OUT:<the deposit's txid>; the payee then sends 1.5 ETH to an exchange
 * (tagged), paying 21,000 gas at 1 gwei.
 *
 * The deposit is fully tainted (the thief held nothing else), so the
 * crossing carries all 2 ETH (floor(o * t / a) with t = a) under every
 * policy, and the Ethereum trace goes on from the payout: the exchange
 * deposit is an endpoint of 1.5 ETH, the fee 21,000 gwei, the payee
 * holds the rest, 0.499979 ETH; Ethereum's totals have 2 ETH bridged in,
 * nothing seeded, and conserve it. Screening agrees (the registry and
 * tags imported, `screen --db BTCDB --db ETHDB --update`): the payee is
 * exposed to the heist with the 2 ETH it received, the exchange with
 * 1.5 ETH, an account the money never reached not at all. */
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
#include "ethereum/keccak.h"
#include "tests/chainfix.h"
#include "tests/testutil.h"

#define P "0x2222222222222222222222222222222222222222" /* the payee */
#define R "0x7777777777777777777777777777777777777777" /* THORChain's vault on Ethereum */
#define X "0x3333333333333333333333333333333333333333" /* an exchange */
#define M "0x9999999999999999999999999999999999999999" /* block producer */
#define H(n) "0x" n n n n n n n n "000000000000000000000000000000000000000000000000"

static char *dir, *btcdb, *ethdb;
static char theft[65], deposit[65];

static void write_file(const char *name, const char *text)
{
	char p[1200];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static struct cf_out p2wpkh(uint64_t value, uint8_t tag)
{
	struct cf_out o = { .value = value, .len = 22 };
	o.script[0] = 0x00;
	o.script[1] = 0x14;
	memset(o.script + 2, tag, 20);
	return o;
}

static void addr_of(uint8_t tag, char *out)
{
	struct cf_out x = p2wpkh(0, tag);
	assert_int_equal(tl_address_from_script(x.script, x.len, tl_net_params(TL_NET_REGTEST), out), 0);
}

static void build_bitcoin(void)
{
	struct tl_buf file = { 0 };
	uint8_t tip[32], cb1[32], dep[32];
	cf_genesis(&file, tip);
	struct cf_block b = { 0 };
	uint8_t sig1[3] = { 0x01, 1, 0x5a }, sig2[3] = { 0x01, 2, 0x5a };
	struct cf_in c1 = { NULL, 0, sig1, sizeof sig1 }, c2 = { NULL, 0, sig2, sizeof sig2 };
	struct cf_out o1 = p2wpkh(5000000000ULL, 0x41); /* the thief */
	cf_block_add_tx(&b, &c1, 1, &o1, 1, cb1);
	cf_mine(&file, &b, tip, 1740300001);
	struct cf_out o2 = p2wpkh(5000000000ULL, 0x50);
	cf_block_add_tx(&b, &c2, 1, &o2, 1, NULL);
	char memo[80];
	int ml = snprintf(memo, sizeof memo, "=:ETH.ETH:%s", P);
	struct cf_out d[3] = { p2wpkh(1000000000ULL, 0x11), { .value = 0 }, p2wpkh(3999990000ULL, 0x41) };
	d[1].script[0] = 0x6a;
	d[1].script[1] = (uint8_t)ml;
	memcpy(d[1].script + 2, memo, (size_t)ml);
	d[1].len = 2 + (size_t)ml;
	struct cf_in in = { cb1, 0, NULL, 0 };
	cf_block_add_tx(&b, &in, 1, d, 3, dep);
	cf_mine(&file, &b, tip, 1740300002);
	char blocks[1200];
	snprintf(blocks, sizeof blocks, "%s/blocks", dir);
	cf_write_blocks(blocks, &file);
	free(file.data);
	struct tl_index_opts io = cf_index_opts(blocks, btcdb);
	cf_index_run(&io, NULL);
	tl_hash_to_hex(cb1, theft);
	tl_hash_to_hex(dep, deposit);
	char va[TL_ADDRESS_MAX], t[512];
	addr_of(0x11, va);
	snprintf(t, sizeof t, "chain,address,label,category,source,confidence\nbitcoin-regtest,%s,THORChain,bridge,test,100\n", va);
	write_file("btc-tags.csv", t);
	snprintf(t, sizeof t,
		 "{\"heists\": [{\"id\": \"coins\", \"name\": \"A theft\", \"date\": \"2025-02-21\", \"chain\": \"bitcoin-regtest\","
		 " \"attribution\": {\"authority\": \"t\", \"document\": \"t\"}, \"seeds\": [{\"txid\": \"%s\", \"vout\": 0}]}]}",
		 theft);
	write_file("heists.json", t);
}

static void build_ethereum(void)
{
	char cmd[2400];
	snprintf(cmd, sizeof cmd, "mkdir -p %s/export", dir);
	assert_int_equal(tu_run(cmd, NULL), 0);
	write_file("export/blocks.csv", "number,hash,parent_hash,miner,timestamp,transaction_count,base_fee_per_gas\n"
					"1," H("b1") "," H("b0") "," M ",1740400000,1,500000000\n"
					"2," H("b2") "," H("b1") "," M ",1740400012,1,500000000\n");
	write_file("export/transactions.csv",
		   "hash,block_number,transaction_index,from_address,to_address,value,gas_price\n"
		   H("0a") ",1,0," R "," P ",2000000000000000000,1000000000\n"
		   H("0b") ",2,0," P "," X ",1500000000000000000,1000000000\n");
	write_file("export/receipts.csv", "transaction_hash,block_number,transaction_index,gas_used,effective_gas_price,status\n"
					  H("0a") ",1,0,21000,1000000000,1\n" H("0b") ",2,0,21000,1000000000,1\n");
	/* TransferOut(vault, to, asset, amount, memo): topics t0, vault, to;
	 * data asset, amount, the string's offset, length and bytes */
	static const char sig[] = "TransferOut(address,address,address,uint256,string)";
	uint8_t t0[32];
	tl_keccak256(sig, sizeof sig - 1, t0);
	char memo[80], t0h[65], log[4096];
	int ml = snprintf(memo, sizeof memo, "OUT:%s", deposit);
	for (char *q = memo + 4; *q; q++)
		if (*q >= 'a' && *q <= 'f') *q = (char)(*q - 32);
	for (int i = 0; i < 32; i++) snprintf(t0h + 2 * i, 3, "%02x", t0[i]);
	int n = snprintf(log, sizeof log,
			 "log_index,transaction_hash,transaction_index,block_hash,block_number,address,data,topics\n"
			 "0," H("0a") ",0," H("b1") ",1,0x8888888888888888888888888888888888888888,0x%064x%064llx%064x%064x",
			 0, 2000000000000000000ULL, 0x60, ml);
	for (int i = 0; i < (ml + 31) / 32 * 32; i++) n += snprintf(log + n, sizeof log - (size_t)n, "%02x", i < ml ? (unsigned char)memo[i] : 0);
	snprintf(log + n, sizeof log - (size_t)n, ",\"0x%s,0x000000000000000000000000%s,0x000000000000000000000000%s\"\n", t0h,
		 R + 2, P + 2);
	write_file("export/logs.csv", log);
	write_file("eth-tags.csv", "chain,address,label,category,source,confidence\n"
				   "ethereum-dev," R ",THORChain,bridge,test,100\n"
				   "ethereum-dev," X ",Exchange E,exchange,test,100\n");
	char *out = NULL;
	snprintf(cmd, sizeof cmd, "%s index --chain ethereum --etl %s/export --db %s --network dev 2>&1", TL_BINARY, dir, ethdb);
	int rc = tu_run(cmd, &out);
	if (rc) fprintf(stderr, "%s\n", out);
	free(out);
	assert_int_equal(rc, 0);
}

static int setup(void **s)
{
	(void)s;
	dir = tu_tmpdir("bridge_continue");
	btcdb = malloc(1200);
	ethdb = malloc(1200);
	snprintf(btcdb, 1200, "%s/btc", dir);
	snprintf(ethdb, 1200, "%s/eth", dir);
	build_bitcoin();
	build_ethereum();
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	if (!getenv("TL_KEEP")) tu_rmrf(dir);
	free(dir);
	free(btcdb);
	free(ethdb);
	return 0;
}

static const char *str(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	if (!v) fail_msg("no string '%s'", k);
	return v;
}

static void check(const char *pol)
{
	char cmd[8192], path[1300];
	snprintf(path, sizeof path, "%s/out-%s.json", dir, pol);
	snprintf(cmd, sizeof cmd, "%s trace --db %s --db %s --heist coins --heists %s/heists.json --tags %s/btc-tags.csv "
		 "--tags %s/eth-tags.csv --policy %s -o %s 2>&1", TL_BINARY, btcdb, ethdb, dir, dir, dir, pol, path);
	char *out = NULL;
	int rc = tu_run(cmd, &out);
	if (rc) fail_msg("%s: %s", cmd, out);
	free(out);
	json_error_t je;
	json_t *x = json_load_file(path, 0, &je);
	assert_non_null(x);
	json_t *cr = json_object_get(x, "crossings"), *e;
	assert_int_equal(json_array_size(cr), 1);
	json_t *c = json_array_get(cr, 0);
	assert_string_equal(str(c, "from_tx"), deposit);
	assert_string_equal(str(c, "to_tx"), H("0a"));
	assert_string_equal(str(c, "amount_in"), "1000000000");
	assert_string_equal(str(c, "tainted_in"), "1000000000");
	assert_string_equal(str(c, "tainted_out"), "2000000000000000000");
	size_t i;
	int ends = 0, holds = 0;
	json_array_foreach(json_object_get(x, "endpoints"), i, e)
	{
		if (strcmp(str(e, "chain"), "ethereum")) continue;
		ends++;
		assert_string_equal(str(e, "address"), X);
		assert_string_equal(str(e, "amount"), "1500000000000000000");
	}
	json_array_foreach(json_object_get(x, "holdings"), i, e)
	{
		if (strcmp(str(e, "chain"), "ethereum")) continue;
		holds++;
		assert_string_equal(str(e, "address"), P);
		assert_string_equal(str(e, "amount"), "499979000000000000");
	}
	assert_int_equal(ends, 1);
	assert_int_equal(holds, 1);
	json_t *te = json_object_get(json_object_get(json_object_get(x, "totals"), "ethereum"), "ETH");
	assert_string_equal(str(te, "bridged_in"), "2000000000000000000");
	assert_string_equal(str(te, "seeded"), "0");
	assert_string_equal(str(te, "endpoints"), "1500000000000000000");
	assert_string_equal(str(te, "holdings"), "499979000000000000");
	assert_string_equal(str(te, "fees"), "21000000000000");
	json_t *tb = json_object_get(json_object_get(json_object_get(x, "totals"), "bitcoin"), "BTC");
	assert_string_equal(str(tb, "bridged_out"), "1000000000");
	json_decref(x);
}

static void test_policies(void **st)
{
	(void)st;
	check("haircut");
	check("poison");
	check("fifo");
	check("tiho");
}

/* The tainted ETH address received from heist "coins", "" when none. */
static char *exposure(const char *addr)
{
	char cmd[4096], *out = NULL;
	snprintf(cmd, sizeof cmd, "%s screen --db %s --db %s --address %s", TL_BINARY, btcdb, ethdb, addr);
	if (tu_run(cmd, &out)) fail_msg("%s: %s", cmd, out);
	json_error_t je;
	json_t *v = json_loads(out, 0, &je), *e, *a;
	if (!v) fail_msg("not JSON: %s", out);
	free(out);
	char *r = strdup("");
	size_t i, k;
	json_array_foreach(json_object_get(v, "exposures"), i, e)
	{
		if (strcmp(str(e, "heist"), "coins")) continue;
		assert_string_equal(str(e, "from_chain"), "bitcoin");
		json_array_foreach(json_object_get(e, "assets"), k, a)
			if (!strcmp(str(a, "asset"), "ETH")) {
				free(r);
				r = strdup(str(a, "tainted"));
			}
	}
	json_decref(v);
	return r;
}

static void test_screening(void **st)
{
	(void)st;
	free(tu_run_ok("%s tags import --db %s %s/btc-tags.csv", TL_BINARY, btcdb, dir));
	free(tu_run_ok("%s tags import --db %s %s/eth-tags.csv", TL_BINARY, ethdb, dir));
	free(tu_run_ok("%s heist import --db %s %s/heists.json", TL_BINARY, btcdb, dir));
	free(tu_run_ok("%s screen --db %s --db %s --update", TL_BINARY, btcdb, ethdb));
	char *p = exposure(P), *x = exposure(X), *m = exposure(M);
	assert_string_equal(p, "2000000000000000000");
	assert_string_equal(x, "1500000000000000000");
	assert_string_equal(m, "");
	free(p);
	free(x);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policies),
		cmocka_unit_test(test_screening),
	};
	return tu_finish(cmocka_run_group_tests(tests, setup, teardown));
}
