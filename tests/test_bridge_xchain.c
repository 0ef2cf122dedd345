/* `taintline trace --db BTCDB --db ETHDB --heist ID`, end to end: an
 * Ethereum heist (an ethereum-etl export written here, indexed with
 * `index --chain ethereum`) sends stolen ether to a THORChain vault twice;
 * a hand-built regtest chain holds the outbound of the first (memo
 * OUT:<inbound hash>, split over two OP_RETURN outputs) and a hop from
 * its payee into an exchange. The second inbound has no outbound yet.
 * Checked under every policy against independent figures: the crossing's
 * tainted_in equals the single-chain Ethereum trace's endpoint at the
 * vault, tainted_out equals floor(o * t / a) computed here in 128 bits
 * (poison: o), the pending inbound is a bridge_pending endpoint with the
 * single-chain figure, Bitcoin's totals conserve what crossed in, and the
 * Ethereum totals move the crossed amount from endpoints to bridged_out.
 * A deposit to another bridge (no memo link) stays an endpoint as tagged.
 * The payee's hop back into the Bitcoin vault, never tagged, ends there
 * as a bridge endpoint: the vault was learned from its outbound memo. */
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
#define AV "0x5555555555555555555555555555555555555555" /* another bridge, no memo link */
#define H(n) "0x" n n n n n n n n "000000000000000000000000000000000000000000000000"
#define H03 "0303030303030303000000000000000000000000000000000000000000000000"

static char *dir, *ethdb, *btcdb, outtxid[65];

static void write_file(const char *name, const char *text)
{
	char p[1024];
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

static void build_bitcoin(void)
{
	struct tl_buf file = { 0 };
	uint8_t tip[32], cb1[32], out[32], hop[32];
	cf_genesis(&file, tip);
	struct cf_block b = { 0 };
	coinbase(&b, 1, 0x11, cb1); /* the THORChain vault on Bitcoin */
	cf_mine(&file, &b, tip, 1740300001);
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
	/* into the exchange and back into the vault (learned from its
	 * outbound, never tagged), 10,000 sat fee */
	struct cf_out o2[2] = { p2wpkh(9990000, 0x31), p2wpkh(2000000, 0x11) };
	cf_block_add_tx(&b, &in2, 1, o2, 2, hop);
	cf_mine(&file, &b, tip, 1740300003);
	char blocks[1100];
	snprintf(blocks, sizeof blocks, "%s/blocks", dir);
	cf_write_blocks(blocks, &file);
	free(file.data);
	struct tl_index_opts io = cf_index_opts(blocks, btcdb);
	cf_index_run(&io, NULL);
	tl_hash_to_hex(out, outtxid);
	/* the exchange's tag */
	char addr[TL_ADDRESS_MAX], tags[512];
	struct cf_out x = p2wpkh(0, 0x31);
	assert_int_equal(tl_address_from_script(x.script, x.len, tl_net_params(TL_NET_REGTEST), addr), 0);
	snprintf(tags, sizeof tags, "chain,address,label,category,source,confidence\nbitcoin-regtest,%s,Exchange B,exchange,test,100\n", addr);
	write_file("btc-tags.csv", tags);
}

static int setup(void **s)
{
	(void)s;
	dir = tu_tmpdir("bridge_xchain");
	ethdb = malloc(1100);
	btcdb = malloc(1100);
	snprintf(ethdb, 1100, "%s/eth", dir);
	snprintf(btcdb, 1100, "%s/btc", dir);
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "mkdir -p %s/export", dir);
	assert_int_equal(tu_run(cmd, NULL), 0);
	write_file("export/blocks.csv",
	           "number,hash,parent_hash,miner,timestamp,transaction_count,base_fee_per_gas\n"
	           "1," H("b1") "," H("b0") "," M ",1740096000,1,500000000\n"
	           "2," H("b2") "," H("b1") "," M ",1740182400,2,500000000\n"
	           "3," H("b3") "," H("b2") "," M ",1740268800,2,500000000\n");
	write_file("export/transactions.csv",
	           "hash,block_number,transaction_index,from_address,to_address,value,gas_price\n"
	           H("01") ",1,0," V "," T ",100000000000000000000,1000000000\n"
	           H("02") ",2,0," C "," T ",50000000000000000000,1000000000\n"
	           H("03") ",2,1," T "," R ",60000000000000000000,1000000000\n"
	           H("04") ",3,0," T "," R ",10000000000000000000,1000000000\n"
	           H("05") ",3,1," T "," AV ",5000000000000000000,1000000000\n");
	write_file("export/receipts.csv",
	           "transaction_hash,block_number,transaction_index,gas_used,effective_gas_price,status\n"
	           H("01") ",1,0,21000,1000000000,1\n" H("02") ",2,0,21000,1000000000,1\n"
	           H("03") ",2,1,21000,1000000000,1\n" H("04") ",3,0,21000,1000000000,1\n"
	           H("05") ",3,1,21000,1000000000,1\n");
	write_file("eth-tags.csv", "chain,address,label,category,source,confidence\n"
	                           "ethereum-dev," R ",THORChain,bridge,test,100\n"
	                           "ethereum-dev," AV ",Avalanche Bridge,bridge,test,100\n");
	write_file("heists.json",
	           "{\"heists\": [{\"id\": \"drain\", \"name\": \"A drain\", \"date\": \"2025-02-21\", \"chain\": \"ethereum-dev\","
	           " \"attribution\": {\"authority\": \"t\", \"document\": \"t\"}, \"seeds\": [{\"txid\": \"" H("01") "\"}]}]}");
	char *out = NULL;
	snprintf(cmd, sizeof cmd, "%s index --chain ethereum --etl %s/export --db %s --network dev 2>&1", TL_BINARY, dir, ethdb);
	int rc = tu_run(cmd, &out);
	if (rc) fprintf(stderr, "%s\n", out);
	free(out);
	assert_int_equal(rc, 0);
	build_bitcoin();
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	if (!getenv("TL_KEEP")) tu_rmrf(dir);
	free(dir);
	free(ethdb);
	free(btcdb);
	return 0;
}

static json_t *run(const char *args)
{
	char cmd[8192], path[1200];
	snprintf(path, sizeof path, "%s/out.json", dir);
	remove(path);
	snprintf(cmd, sizeof cmd, "%s trace %s --heists %s/heists.json --tags %s/eth-tags.csv --tags %s/btc-tags.csv -o %s 2>&1",
		 TL_BINARY, args, dir, dir, dir, path);
	char *out = NULL;
	int rc = tu_run(cmd, &out);
	if (rc) fail_msg("'%s' exited %d: %s", cmd, rc, out);
	free(out);
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	if (!j) fail_msg("output not JSON: %s", je.text);
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

/* The single-chain Ethereum endpoint at the vault for transaction tx. */
static json_t *vault_endpoint(json_t *rep, const char *tx)
{
	json_t *e;
	size_t i;
	json_array_foreach(json_object_get(rep, "endpoints"), i, e)
	{
		if (!strcmp(json_string_value(json_object_get(e, "tx")), tx)) return e;
	}
	fail_msg("no endpoint for %s", tx);
	return NULL;
}

static void check_policy(const char *pol, bool poison)
{
	char args[4096];
	snprintf(args, sizeof args, "--db %s --heist drain --policy %s", ethdb, !strcmp(pol, "tiho") ? "seniority" : pol);
	json_t *single = run(args);
	snprintf(args, sizeof args, "--db %s --db %s --heist drain --policy %s", btcdb, ethdb, pol);
	json_t *x = run(args);
	unsigned __int128 t3 = u128(json_object_get(vault_endpoint(single, H("03")), "amount"));
	unsigned __int128 t4 = u128(json_object_get(vault_endpoint(single, H("04")), "amount"));
	assert_true(t3 > 0 && t4 > 0);
	/* one crossing */
	json_t *cr = json_object_get(x, "crossings");
	assert_int_equal(json_array_size(cr), 1);
	json_t *c0 = json_array_get(cr, 0);
	assert_string_equal(json_string_value(json_object_get(c0, "from_tx")), H("03"));
	assert_string_equal(json_string_value(json_object_get(c0, "to_tx")), outtxid);
	assert_string_equal(json_string_value(json_object_get(c0, "to_chain")), "bitcoin");
	assert_true(u128(json_object_get(c0, "amount_in")) == (unsigned __int128)60000000000000000000.0L);
	assert_true(u128(json_object_get(c0, "tainted_in")) == t3);
	assert_true(u128(json_object_get(c0, "amount_out")) == 12000000);
	unsigned __int128 want = poison ? 12000000 : (unsigned __int128)12000000 * t3 / (unsigned __int128)60000000000000000000.0L;
	assert_true(u128(json_object_get(c0, "tainted_out")) == want);
	/* endpoints: the pending inbound and the Bitcoin exchange deposit */
	json_t *e;
	size_t i;
	int pending = 0, btc = 0, vault = 0, other = 0;
	unsigned __int128 btc_end = 0;
	json_array_foreach(json_object_get(x, "endpoints"), i, e)
	{
		const char *chain = json_string_value(json_object_get(e, "chain"));
		const char *kind = json_string_value(json_object_get(e, "kind"));
		if (kind && !strcmp(kind, "bridge_pending")) {
			pending++;
			assert_string_equal(chain, "ethereum");
			assert_string_equal(json_string_value(json_object_get(e, "tx")), H("04"));
			assert_true(u128(json_object_get(e, "amount")) == t4);
		}
		if (!strcmp(json_string_value(json_object_get(e, "tx")) ? json_string_value(json_object_get(e, "tx")) : "", H("05"))) {
			/* the other bridge: an endpoint as tagged, not pending */
			other++;
			assert_string_equal(chain, "ethereum");
			assert_true(!kind || strcmp(kind, "bridge_pending"));
			assert_true(u128(json_object_get(e, "amount")) ==
				    u128(json_object_get(vault_endpoint(single, H("05")), "amount")));
		}
		if (!strcmp(chain, "bitcoin")) {
			const char *cat = json_string_value(json_object_get(json_object_get(e, "tag"), "category"));
			const char *label = json_string_value(json_object_get(json_object_get(e, "tag"), "label"));
			if (!strcmp(cat, "bridge")) {
				vault++;
				assert_non_null(strstr(label, "THORChain"));
			} else {
				btc++;
				assert_string_equal(label, "Exchange B");
			}
			btc_end += u128(json_object_get(e, "amount"));
			assert_true(u128(json_object_get(e, "amount")) == (unsigned __int128)json_integer_value(json_object_get(e, "amount_sat")));
		}
	}
	assert_int_equal(pending, 1);
	assert_int_equal(btc, 1);
	assert_int_equal(vault, 1);
	assert_int_equal(other, 1);
	assert_true(btc_end <= want);
	if (poison) assert_true(btc_end == 11990000); /* both outputs, whole */
	/* totals: Bitcoin conserves what crossed in; Ethereum moved it to bridged_out */
	json_t *tb = json_object_get(json_object_get(json_object_get(x, "totals"), "bitcoin"), "BTC");
	assert_true(u128(json_object_get(tb, "bridged_in")) == want);
	assert_true(u128(json_object_get(tb, "seeded")) == 0);
	if (!poison)
		assert_true(u128(json_object_get(tb, "endpoints")) + u128(json_object_get(tb, "holdings")) +
				    u128(json_object_get(tb, "fees")) + u128(json_object_get(tb, "cut")) ==
			    want);
	json_t *te = json_object_get(json_object_get(json_object_get(x, "totals"), "ethereum"), "ETH");
	json_t *se = json_object_get(json_object_get(single, "totals"), "ETH");
	assert_true(u128(json_object_get(te, "bridged_out")) == t3);
	assert_true(u128(json_object_get(te, "endpoints")) + t3 == u128(json_object_get(se, "endpoints")));
	assert_true(u128(json_object_get(te, "seeded")) == u128(json_object_get(se, "seeded")));
	json_decref(single);
	json_decref(x);
}

/* The HTML page over both chains: the crossing, both chains' totals and
 * both single-chain pages embedded (escaped, so the outer page holds no
 * raw tag of theirs). */
static void test_html(void **st)
{
	(void)st;
	char cmd[8192], path[1200];
	snprintf(path, sizeof path, "%s/x.html", dir);
	snprintf(cmd, sizeof cmd, "%s trace --db %s --db %s --heist drain --heists %s/heists.json --tags %s/eth-tags.csv "
		 "--tags %s/btc-tags.csv --format html -o %s 2>&1", TL_BINARY, btcdb, ethdb, dir, dir, dir, path);
	char *out = NULL;
	int rc = tu_run(cmd, &out);
	if (rc) fail_msg("%s", out);
	free(out);
	size_t n;
	char *h = (char *)tu_read_file(path, &n);
	h = realloc(h, n + 1);
	h[n] = 0;
	assert_non_null(strstr(h, "<h2>Crossings</h2>"));
	assert_non_null(strstr(h, outtxid));
	assert_non_null(strstr(h, "<h2>ethereum</h2><iframe srcdoc=\"&lt;!DOCTYPE html&gt;"));
	assert_non_null(strstr(h, "<h2>bitcoin</h2><iframe srcdoc=\"&lt;!DOCTYPE html&gt;"));
	assert_null(strstr(h, "<script"));
	assert_int_equal(h[n - 1], '\n');
	free(h);
}

static void test_policies(void **st)
{
	(void)st;
	check_policy("poison", true);
	check_policy("haircut", false);
	check_policy("fifo", false);
	check_policy("tiho", false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policies),
		cmocka_unit_test(test_html),
	};
	return tu_finish(cmocka_run_group_tests(tests, setup, teardown));
}
