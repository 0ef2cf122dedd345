/* THORChain router events in the Ethereum index, hand-worked: an
 * ethereum-etl export written here has a theft, a deposit of 60 ETH to
 * the vault with the router's Deposit event (memo =:BTC.BTC:...), the
 * vault's payout of 30 ETH with TransferOut (memo OUT:<a Bitcoin txid>,
 * upper case as THORNode writes it), and a TransferOut whose memo is not
 * OUT:/REFUND: (malformed, counted). After `index --chain ethereum`:
 * the Bitcoin txid finds its outbound (transaction, payee, amount, kind)
 * and nothing else does; the vault is learned from the events, not a
 * payee; and a trace of the theft, given no tags at all, ends at the
 * vault as a THORChain bridge endpoint (learned from the router). The
 * ABI words in logs.csv are written out by hand below. */
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
#include "ethereum/keccak.h"
#include "store/eth_links.h"
#include "store/eth_store.h"
#include "tests/testutil.h"

#define V "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"  /* victim */
#define T "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"  /* thief */
#define R "0x7777777777777777777777777777777777777777"  /* THORChain vault, never tagged */
#define RT "0x4444444444444444444444444444444444444444" /* the router contract */
#define P "0x6666666666666666666666666666666666666666"  /* the payee of the outbound */
#define M "0x9999999999999999999999999999999999999999"  /* block producer */
#define H(n) "0x" n n n n n n n n "000000000000000000000000000000000000000000000000"
#define W0 "0000000000000000000000000000000000000000000000000000000000000000"
#define BTCTX "F6ACEECB855F5D15F0C87FB681EE8EAE1710A6741A2FC771AC9B2F4936A42E5D"
/* TransferOut's topic0 as GraphSense matches it (the research notes);
 * Deposit's is computed from its signature with the project's Keccak */
#define TOPIC_OUT "0xa9cd03aa3c1b4515114539cd53d22085129d495cb9e9f9af77864526240f1bf7"
#define PAD(a) "0x000000000000000000000000" a

static char *dir, *db;

static void write_file(const char *name, const char *text)
{
	char p[1200];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The ABI string tail of memo: its length word, then the bytes padded. */
static void abi_string(const char *memo, char *out)
{
	size_t n = strlen(memo), k = 0;
	k += (size_t)sprintf(out + k, "%064zx", n);
	for (size_t i = 0; i < (n + 31) / 32 * 32; i++) k += (size_t)sprintf(out + k, "%02x", i < n ? (unsigned char)memo[i] : 0);
}

static void test_router_events(void **st)
{
	(void)st;
	dir = tu_tmpdir("bridge_router");
	db = malloc(1200);
	snprintf(db, 1200, "%s/eth", dir);
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "mkdir -p %s/export", dir);
	assert_int_equal(tu_run(cmd, NULL), 0);
	write_file("export/blocks.csv",
		   "number,hash,parent_hash,miner,timestamp,transaction_count,base_fee_per_gas\n"
		   "1," H("b1") "," H("b0") "," M ",1740096000,1,500000000\n"
		   "2," H("b2") "," H("b1") "," M ",1740182400,3,500000000\n");
	write_file("export/transactions.csv",
		   "hash,block_number,transaction_index,from_address,to_address,value,gas_price\n"
		   H("01") ",1,0," V "," T ",100000000000000000000,1000000000\n"
		   H("02") ",2,0," T "," R ",60000000000000000000,1000000000\n"
		   H("03") ",2,1," R "," P ",30000000000000000000,1000000000\n"
		   H("04") ",2,2," R "," P ",1000000000000000000,1000000000\n");
	write_file("export/receipts.csv",
		   "transaction_hash,block_number,transaction_index,gas_used,effective_gas_price,status\n"
		   H("01") ",1,0,21000,1000000000,1\n" H("02") ",2,0,21000,1000000000,1\n"
		   H("03") ",2,1,21000,1000000000,1\n" H("04") ",2,2,21000,1000000000,1\n");
	/* Deposit(to indexed, asset indexed, amount, memo): data = amount,
	 * offset 0x40, string. TransferOut(vault indexed, to indexed, asset,
	 * amount, memo): data = asset, amount, offset 0x60, string.
	 * 60 ETH = 0x340aad21b3b700000, 30 ETH = 0x1a055690d9db80000,
	 * 1 ETH = 0xde0b6b3a7640000. */
	char s1[400], s2[400], s3[400], logs[4096], dep[67];
	static const char sig[] = "Deposit(address,address,uint256,string)";
	uint8_t t0[32];
	tl_keccak256(sig, sizeof sig - 1, t0);
	tl_eth_hex(t0, 32, dep);
	abi_string("=:BTC.BTC:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", s1);
	abi_string("OUT:" BTCTX, s2);
	abi_string("OUT:NOTAHASH", s3);
	snprintf(logs, sizeof logs,
		 "log_index,transaction_hash,transaction_index,block_hash,block_number,address,data,topics\n"
		 "0," H("02") ",0," H("b2") ",2," RT ",0x%64s%064x%s,\"%s," PAD("7777777777777777777777777777777777777777") "," PAD("0000000000000000000000000000000000000000") "\"\n"
		 "1," H("03") ",1," H("b2") ",2," RT ",0x" W0 "%64s%064x%s,\"" TOPIC_OUT "," PAD("7777777777777777777777777777777777777777") "," PAD("6666666666666666666666666666666666666666") "\"\n"
		 "2," H("04") ",2," H("b2") ",2," RT ",0x" W0 "%64s%064x%s,\"" TOPIC_OUT "," PAD("7777777777777777777777777777777777777777") "," PAD("6666666666666666666666666666666666666666") "\"\n",
		 "340aad21b3b700000", 0x40, s1, dep, "1a055690d9db80000", 0x60, s2, "de0b6b3a7640000", 0x60, s3);
	/* %64s pads with spaces: make them zeros */
	for (char *p = logs; *p; p++)
		if (*p == ' ') *p = '0';
	write_file("export/logs.csv", logs);
	write_file("heists.json", "{\"heists\": [{\"id\": \"drain\", \"name\": \"A drain\", \"chain\": \"ethereum-dev\","
				  " \"seeds\": [{\"txid\": \"" H("01") "\"}]}]}");
	char *out = NULL;
	snprintf(cmd, sizeof cmd, "%s index --chain ethereum --etl %s/export --db %s --network dev 2>&1", TL_BINARY, dir, db);
	int rc = tu_run(cmd, &out);
	if (rc) fail_msg("%s", out);
	free(out);

	struct tl_eth_store *s;
	struct tl_err err;
	struct tl_eth_store_opts so = { .read_only = true };
	if (tl_eth_store_open(db, &so, &s, &err) < 0) fail_msg("%s", err.msg);
	struct tl_eth_links_counts c;
	uint64_t vaults;
	assert_int_equal(tl_eth_links_count(s, &c, &vaults, &err), 0);
	assert_int_equal(c.deposits, 1);
	assert_int_equal(c.outbounds, 1);
	assert_int_equal(c.malformed, 1);
	assert_int_equal(vaults, 2); /* the deposit's and the outbound's rows, one vault */
	/* the Bitcoin txid (display order, as the memo writes it) finds the outbound */
	uint8_t in[32], want_tx[32], payee[20], vault[20], thief[20];
	assert_int_equal(tl_eth_hex_bytes(BTCTX, 64, in, 32), 0);
	assert_int_equal(tl_eth_hex_bytes(H("03"), 66, want_tx, 32), 0);
	assert_int_equal(tl_eth_hex_bytes(P, 42, payee, 20), 0);
	assert_int_equal(tl_eth_hex_bytes(R, 42, vault, 20), 0);
	assert_int_equal(tl_eth_hex_bytes(T, 42, thief, 20), 0);
	struct tl_eth_outbound ob;
	assert_int_equal(tl_eth_links_resolve(s, in, &ob, &err), 1);
	assert_int_equal(ob.kind, 1); /* OUT */
	assert_memory_equal(ob.tx_hash, want_tx, 32);
	assert_memory_equal(ob.to, payee, 20);
	assert_memory_equal(ob.vault, vault, 20);
	assert_int_equal(ob.block, 2);
	assert_int_equal(ob.log_index, 1);
	tl_uint256 thirty = tl_uint256_from_u64(30);
	assert_false(tl_uint256_mul_u64(&thirty, &thirty, 1000000000000000000ull));
	assert_int_equal(tl_uint256_cmp(&ob.amount, &thirty), 0);
	in[31] ^= 1;
	assert_int_equal(tl_eth_links_resolve(s, in, &ob, &err), 0);
	assert_int_equal(tl_eth_links_is_vault(s, vault, &err), 1);
	assert_int_equal(tl_eth_links_is_vault(s, payee, &err), 0);
	assert_int_equal(tl_eth_links_is_vault(s, thief, &err), 0);
	tl_eth_store_close(s);

	/* a trace with no tags: the thief's deposit ends at the learned vault */
	char path[1300];
	snprintf(path, sizeof path, "%s/out.json", dir);
	snprintf(cmd, sizeof cmd, "%s trace --db %s --heist drain --heists %s/heists.json --policy poison -o %s 2>&1", TL_BINARY,
		 db, dir, path);
	rc = tu_run(cmd, &out);
	if (rc) fail_msg("%s", out);
	free(out);
	json_error_t je;
	json_t *rep = json_load_file(path, 0, &je);
	if (!rep) fail_msg("%s", je.text);
	json_t *e;
	size_t i;
	int at_vault = 0;
	json_array_foreach(json_object_get(rep, "endpoints"), i, e)
	{
		const char *a = json_string_value(json_object_get(e, "address"));
		json_t *tag = json_object_get(e, "tag");
		if (!a || strcmp(a, R)) continue;
		at_vault++;
		assert_string_equal(json_string_value(json_object_get(tag, "category")), "bridge");
		assert_string_equal(json_string_value(json_object_get(tag, "label")), "THORChain");
		assert_string_equal(json_string_value(json_object_get(e, "amount")), "60000000000000000000");
	}
	if (at_vault != 1) fail_msg("no single endpoint at the vault: %s", json_dumps(rep, JSON_COMPACT));
	json_decref(rep);
	tu_rmrf(dir);
	free(dir);
	free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_router_events) };
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
