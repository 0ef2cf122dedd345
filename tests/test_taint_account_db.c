/* `taintline trace` on an Ethereum database, end to end: a small
 * ethereum-etl export written here (a drain, clean funds mixed in, a
 * deposit to an exchange, a swap of ether for a token, a token deposit;
 * fees with a burnt base fee and a tip), indexed with `taintline index
 * --chain ethereum`, traced from a registry heist, a --seed and an
 * --address window under every policy.
 * Checked: the fifo figures worked out by hand below; under every policy
 * the command's totals, endpoints and holdings equal the engine's
 * (taint/account.h) fed directly with the transfers the export
 * describes, in the order the index keeps (so the database replay, the
 * fee split, the seed resolution and the naming are what is tested);
 * conservation per asset read back from the JSON's decimal strings; and
 * bad seeds refused with a clear message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "taint/account.h"
#include "tests/testutil.h"

/* Accounts (addresses 0x<byte repeated 20 times>) */
#define V "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" /* victim */
#define T "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" /* thief */
#define C "0xcccccccccccccccccccccccccccccccccccccccc" /* clean funds */
#define D "0xdddddddddddddddddddddddddddddddddddddddd" /* a DEX pool */
#define X "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee" /* an exchange */
#define M "0x9999999999999999999999999999999999999999" /* block producer */
#define TOKEN "0x7070707070707070707070707070707070707070"
#define H(n) "0x" n n n n n n n n "000000000000000000000000000000000000000000000000"

static char *dir, *db;

static void write_file(const char *name, const char *text)
{
	char p[1024];
	snprintf(p, sizeof p, "%s/export/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Fees: gas 21000 at an effective price of 10^9 wei = 21 * 10^12 wei,
 * of which the base fee (5 * 10^8 per gas) burns 10.5 * 10^12 and the
 * tip, 10.5 * 10^12, goes to M. */
#define FEE 21000000000000ull
#define BURNT 10500000000000ull

static int setup(void **s)
{
	(void)s;
	dir = tu_tmpdir("taint_db");
	char p[1024];
	snprintf(p, sizeof p, "%s/export", dir);
	assert_int_equal(tu_run((snprintf(p, sizeof p, "mkdir -p %s/export", dir), p), NULL), 0);
	write_file("blocks.csv",
	           "number,hash,parent_hash,miner,timestamp,transaction_count,base_fee_per_gas\n"
	           "1," H("b1") "," H("b0") "," M ",1740096000,1,500000000\n" /* 2025-02-21 */
	           "2," H("b2") "," H("b1") "," M ",1740182400,2,500000000\n" /* 2025-02-22 */
	           "3," H("b3") "," H("b2") "," M ",1740268800,2,500000000\n" /* 2025-02-23 */);
	write_file("transactions.csv",
	           "hash,block_number,transaction_index,from_address,to_address,value,gas_price\n"
	           H("01") ",1,0," V "," T ",100000000000000000000,1000000000\n"
	           H("02") ",2,0," C "," T ",50000000000000000000,1000000000\n"
	           H("03") ",2,1," T "," X ",30000000000000000000,1000000000\n"
	           H("04") ",3,0," T "," D ",20000000000000000000,1000000000\n"
	           H("05") ",3,1," T "," TOKEN ",0,1000000000\n");
	write_file("receipts.csv",
	           "transaction_hash,block_number,transaction_index,gas_used,effective_gas_price,status\n"
	           H("01") ",1,0,21000,1000000000,1\n" H("02") ",2,0,21000,1000000000,1\n"
	           H("03") ",2,1,21000,1000000000,1\n" H("04") ",3,0,21000,1000000000,1\n"
	           H("05") ",3,1,21000,1000000000,1\n");
	write_file("token_transfers.csv",
	           "token_address,from_address,to_address,value,transaction_hash,log_index,block_number\n"
	           TOKEN "," D "," T ",1000000000," H("04") ",0,3\n"
	           TOKEN "," T "," X ",400000000," H("05") ",1,3\n");
	write_file("tags.csv", "chain,address,label,category,source,confidence\n"
	                       "ethereum-dev," X ",Some Exchange,exchange,test,100\n"
	                       "ethereum-dev," V ",Victim,service,test,100\n");
	write_file("heists.json",
	           "{\"heists\": [{\"id\": \"drain\", \"name\": \"A drain\", \"date\": \"2025-02-21\", \"chain\": \"ethereum-dev\","
	           " \"attribution\": {\"authority\": \"t\", \"document\": \"t\"}, \"seeds\": [{\"txid\": \"" H("01") "\"}]},"
	           " {\"id\": \"elsewhere\", \"chain\": \"ethereum\", \"seeds\": [{\"txid\": \"" H("01") "\"}]}]}");
	char *out = NULL;
	char cmd[2048];
	db = malloc(1024);
	snprintf(db, 1024, "%s/db", dir);
	snprintf(cmd, sizeof cmd, "%s index --chain ethereum --etl %s/export --db %s --network dev 2>&1", TL_BINARY, dir, db);
	int rc = tu_run(cmd, &out);
	if (rc) fprintf(stderr, "%s\n", out);
	free(out);
	assert_int_equal(rc, 0);
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	if (!getenv("TL_KEEP")) tu_rmrf(dir);
	free(dir);
	free(db);
	return 0;
}

static json_t *trace(const char *args, int want_rc, char **errout)
{
	char cmd[4096], path[1100];
	snprintf(path, sizeof path, "%s/out.json", dir);
	remove(path);
	snprintf(cmd, sizeof cmd, "%s trace --db %s --tags %s/export/tags.csv %s -o %s 2>&1", TL_BINARY, db, dir, args, path);
	char *out = NULL;
	int rc = tu_run(cmd, &out);
	if (rc != want_rc) fail_msg("'%s' exited %d: %s", args, rc, out);
	if (errout) *errout = out;
	else free(out);
	if (rc) return NULL;
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	if (!j) fail_msg("output not JSON: %s", je.text);
	return j;
}

static const char *tot(json_t *j, const char *asset, const char *field)
{
	const char *v = json_string_value(json_object_get(json_object_get(json_object_get(j, "totals"), asset), field));
	return v ? v : "0";
}

/* The fifo trace, by hand (ETH in wei, TOKEN in units):
 *   tx1 V -> T 100e18, seeded: T [T100e18]
 *   tx2 C -> T 50e18: T [T100e18 C50e18]
 *   tx3 T pays FEE (taken from the tainted front: fees 21e12), sends
 *       30e18 to X (an exchange): endpoint 30e18, hop 1
 *   tx4 T pays FEE, sends 20e18 ETH to D, D sends 1000e6 TOKEN to T: a
 *       conversion; the 20e18 are all tainted, so t_B = 1000e6
 *   tx5 T pays FEE, sends 400e6 TOKEN to X: endpoint 400e6
 * ETH: seeded 100e18 = endpoints 30e18 + fees 3 * 21e12 + converted_out
 *   20e18 + holdings 49.999937e18.  TOKEN: converted_in 1e9 = endpoints
 *   4e8 + holdings 6e8; D's TOKEN came from before the export: unknown
 *   prior 1e9.  V had nothing: unknown prior 100e18 + its fee; C: 50e18
 *   + fee. */
static void test_fifo_by_hand(void **s)
{
	(void)s;
	char args[512];
	snprintf(args, sizeof args, "--heists %s/export/heists.json --heist drain --policy fifo", dir);
	json_t *j = trace(args, 0, NULL);
	assert_non_null(j);
	assert_string_equal(tot(j, "ETH", "seeded"), "100000000000000000000");
	assert_string_equal(tot(j, "ETH", "endpoints"), "30000000000000000000");
	assert_string_equal(tot(j, "ETH", "fees"), "63000000000000");
	assert_string_equal(tot(j, "ETH", "converted_out"), "20000000000000000000");
	assert_string_equal(tot(j, "ETH", "holdings"), "49999937000000000000");
	assert_string_equal(tot(j, "ETH", "unknown_prior"), "150000042000000000000");
	assert_string_equal(tot(j, TOKEN, "converted_in"), "1000000000");
	assert_string_equal(tot(j, TOKEN, "endpoints"), "400000000");
	assert_string_equal(tot(j, TOKEN, "holdings"), "600000000");
	assert_string_equal(tot(j, TOKEN, "unknown_prior"), "1000000000");
	json_t *ep = json_object_get(j, "endpoints");
	assert_int_equal(json_array_size(ep), 2);
	json_t *e0 = json_array_get(ep, 0), *e1 = json_array_get(ep, 1);
	assert_string_equal(json_string_value(json_object_get(e0, "chain")), "ethereum");
	assert_string_equal(json_string_value(json_object_get(e0, "address")), X);
	assert_string_equal(json_string_value(json_object_get(e0, "asset")), "ETH");
	assert_string_equal(json_string_value(json_object_get(e0, "tx")), H("03"));
	assert_int_equal(json_integer_value(json_object_get(e0, "hops")), 1);
	assert_int_equal(json_integer_value(json_object_get(e0, "height")), 2);
	assert_string_equal(json_string_value(json_object_get(e0, "time")), "2025-02-22T00:00:00Z");
	assert_string_equal(json_string_value(json_object_get(json_object_get(e0, "tag"), "label")), "Some Exchange");
	assert_string_equal(json_string_value(json_object_get(e1, "asset")), TOKEN);
	assert_string_equal(json_string_value(json_object_get(e1, "amount")), "400000000");
	assert_string_equal(json_string_value(json_object_get(e1, "tx")), H("05"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "tip"), "hash")), H("b3"));
	assert_string_equal(json_string_value(json_object_get(j, "policy")), "fifo");
	json_decref(j);
}

/* ---- the same story fed to the engine directly ---- */
enum { aV = 1, aT, aC, aD, aX, aM };
static struct tl_taint_xfer xf(uint8_t kind, uint64_t from, uint64_t to, uint32_t asset, unsigned __int128 amt,
                               int seed)
{
	return (struct tl_taint_xfer){ .from = from, .to = to, .asset = asset, .kind = kind, .seed = (uint8_t)seed,
		                       .amount = { { (uint64_t)amt, (uint64_t)(amt >> 64), 0, 0 } } };
}
static const unsigned __int128 E18 = 1000000000000000000ull;

static uint32_t dcats(void *ctx, uint64_t a)
{
	(void)ctx;
	return a == aX ? 1 : a == aV ? 4 : 0;
}

static void run_direct(enum tl_taint_policy pol, struct tl_taint **out, struct tl_taint_result *r)
{
	const uint64_t NW = TL_TAINT_NOWHERE;
	struct tl_taint_params p;
	tl_taint_params_default(&p);
	p.policy = pol;
	p.max_hops = 50;
	p.stop_cats = 1 | 2 | 4;
	p.account_cats = dcats;
	struct tl_taint *e = tl_taint_new(&p);
	struct tl_err err;
	struct tl_taint_xfer fees[2];
#define FEES(who) (fees[0] = xf(TL_TK_FEE, who, NW, 0, BURNT, 0), fees[1] = xf(TL_TK_FEE, who, aM, 0, FEE - BURNT, 0))
	/* ids in order of first sight by the index: V, T, M (tx1), C, X, D, the token asset 1 */
	struct tl_taint_tx tx = { .num = 0, .ok = true, .height = 1, .time = 1740096000 };
	FEES(aV);
	struct tl_taint_xfer t1[] = { fees[0], fees[1], xf(TL_TK_VALUE, aV, aT, 0, 100 * E18, 1) };
	tx.sender = aV;
	assert_int_equal(tl_taint_apply(e, &tx, t1, 3, &err), 0);
	FEES(aC);
	struct tl_taint_xfer t2[] = { fees[0], fees[1], xf(TL_TK_VALUE, aC, aT, 0, 50 * E18, 0) };
	tx = (struct tl_taint_tx){ .num = 3, .sender = aC, .ok = true, .height = 2, .time = 1740182400 };
	assert_int_equal(tl_taint_apply(e, &tx, t2, 3, &err), 0);
	FEES(aT);
	struct tl_taint_xfer t3[] = { fees[0], fees[1], xf(TL_TK_VALUE, aT, aX, 0, 30 * E18, 0) };
	tx.num = 6;
	tx.sender = aT;
	assert_int_equal(tl_taint_apply(e, &tx, t3, 3, &err), 0);
	struct tl_taint_xfer t4[] = { fees[0], fees[1], xf(TL_TK_VALUE, aT, aD, 0, 20 * E18, 0),
		                      xf(TL_TK_VALUE, aD, aT, 1, 1000000000, 0) };
	tx = (struct tl_taint_tx){ .num = 9, .sender = aT, .ok = true, .height = 3, .time = 1740268800 };
	assert_int_equal(tl_taint_apply(e, &tx, t4, 4, &err), 0);
	struct tl_taint_xfer t5[] = { fees[0], fees[1], xf(TL_TK_VALUE, aT, aX, 1, 400000000, 0) };
	tx.num = 13;
	assert_int_equal(tl_taint_apply(e, &tx, t5, 3, &err), 0);
#undef FEES
	assert_int_equal(tl_taint_finish(e, r, &err), 0);
	*out = e;
}

static void same_total(json_t *j, const char *asset, const char *field, const tl_uint256 *v)
{
	char buf[TL_U256_DEC_MAX];
	tl_uint256_to_dec(v, buf);
	if (strcmp(tot(j, asset, field), buf))
		fail_msg("%s %s %s: the command says %s, the engine %s", json_string_value(json_object_get(j, "policy")),
		         asset, field, tot(j, asset, field), buf);
}

/* tot(j) as a u256, to check conservation from the JSON alone */
static tl_uint256 num(json_t *j, const char *asset, const char *field)
{
	tl_uint256 v;
	const char *s = tot(j, asset, field);
	assert_int_equal(tl_uint256_from_dec(s, strlen(s), &v), 0);
	return v;
}

static void test_every_policy_vs_engine(void **s)
{
	(void)s;
	static const char *names[] = { "poison", "haircut", "fifo", "seniority" };
	for (int pol = 0; pol < 4; pol++) {
		char args[512];
		snprintf(args, sizeof args, "--seed %s --policy %s", H("01"), names[pol]);
		json_t *j = trace(args, 0, NULL);
		struct tl_taint *e;
		struct tl_taint_result r;
		run_direct((enum tl_taint_policy)pol, &e, &r);
		const char *assets[2] = { "ETH", TOKEN };
		for (int a = 0; a < 2; a++) {
			const struct tl_taint_totals *t = &r.totals[a];
			same_total(j, assets[a], "seeded", &t->seeded);
			same_total(j, assets[a], "endpoints", &t->endpoints);
			same_total(j, assets[a], "holdings", &t->holdings);
			same_total(j, assets[a], "fees", &t->fees);
			same_total(j, assets[a], "cut", &t->cut);
			same_total(j, assets[a], "converted_in", &t->converted_in);
			same_total(j, assets[a], "converted_out", &t->converted_out);
			same_total(j, assets[a], "unknown_prior", &t->unknown_prior);
			if (pol == TL_TP_POISON) continue;
			tl_uint256 l = num(j, assets[a], "seeded"), rr = num(j, assets[a], "endpoints"), x;
			bool ov = tl_uint256_add(&l, &l, (x = num(j, assets[a], "converted_in"), &x));
			const char *right[] = { "holdings", "fees", "cut", "converted_out" };
			for (int k = 0; k < 4; k++) ov |= tl_uint256_add(&rr, &rr, (x = num(j, assets[a], right[k]), &x));
			assert_false(ov);
			if (tl_uint256_cmp(&l, &rr)) fail_msg("%s %s not conserved in the JSON", names[pol], assets[a]);
		}
		json_t *ep = json_object_get(j, "endpoints"), *ho = json_object_get(j, "holdings");
		assert_int_equal(json_array_size(ep), r.n_endpoints);
		assert_int_equal(json_array_size(ho), r.n_holdings);
		for (size_t i = 0; i < r.n_endpoints; i++) {
			char buf[TL_U256_DEC_MAX];
			json_t *x = json_array_get(ep, i);
			assert_string_equal(json_string_value(json_object_get(x, "amount")), tl_uint256_to_dec(&r.endpoints[i].amount, buf));
			assert_int_equal(json_integer_value(json_object_get(x, "hops")), r.endpoints[i].hops);
		}
		for (size_t i = 0; i < r.n_holdings; i++) {
			char buf[TL_U256_DEC_MAX];
			assert_string_equal(json_string_value(json_object_get(json_array_get(ho, i), "amount")),
			                    tl_uint256_to_dec(&r.holdings[i].amount, buf));
		}
		tl_taint_free(e);
		json_decref(j);
	}
}

/* --address: what T received on 2025-02-22 (C's 50e18, clean in the
 * story) is the seed; by block number the same window is 2..2. And a
 * window reaching block 3 adds the TOKEN it received (a seed taints in
 * full, so no conversion happens in a transaction that carries one). */
static void test_address_window(void **s)
{
	(void)s;
	json_t *j = trace("--address " T " --from 2025-02-22 --to 2025-02-22 --policy haircut", 0, NULL);
	assert_string_equal(tot(j, "ETH", "seeded"), "50000000000000000000");
	json_decref(j);
	j = trace("--address " T " --from 2 --to 2 --policy haircut", 0, NULL);
	assert_string_equal(tot(j, "ETH", "seeded"), "50000000000000000000");
	json_decref(j);
	j = trace("--address " T " --from 2 --policy fifo", 0, NULL);
	assert_string_equal(tot(j, "ETH", "seeded"), "50000000000000000000");
	assert_string_equal(tot(j, TOKEN, "seeded"), "1000000000");
	assert_string_equal(tot(j, TOKEN, "endpoints"), "400000000");
	json_decref(j);
	j = trace("--address " T " --asset " TOKEN " --policy fifo", 0, NULL);
	assert_string_equal(tot(j, "ETH", "seeded"), "0");
	assert_string_equal(tot(j, TOKEN, "seeded"), "1000000000");
	json_decref(j);
}

/* A seed to a specific recipient; the seed of a transaction to an
 * address it does not pay; an unknown transaction; a heist on another
 * chain; the hop limit. */
static void test_seeds_and_errors(void **s)
{
	(void)s;
	json_t *j = trace("--seed " H("03") ":" X " --policy poison", 0, NULL);
	assert_string_equal(tot(j, "ETH", "seeded"), "30000000000000000000");
	assert_string_equal(tot(j, "ETH", "endpoints"), "30000000000000000000"); /* straight into the exchange */
	json_decref(j);
	char *msg;
	trace("--seed " H("03") ":" C, 1, &msg);
	assert_non_null(strstr(msg, "moves no value to that address"));
	free(msg);
	trace("--seed " H("77"), 1, &msg);
	assert_non_null(strstr(msg, "not in the index"));
	free(msg);
	char args[512];
	snprintf(args, sizeof args, "--heists %s/export/heists.json --heist elsewhere", dir);
	trace(args, 1, &msg);
	assert_non_null(strstr(msg, "chain 'ethereum'"));
	free(msg);
	j = trace("--seed " H("01") " --policy fifo --max-hops 1 --stop-categories bridge", 0, NULL);
	/* X is no stop now: T -> X is hop 1 and delivered; nothing moves further */
	assert_string_equal(tot(j, "ETH", "endpoints"), "0");
	assert_string_equal(tot(j, "ETH", "cut"), "0");
	json_decref(j);
}

/* --until 2: the replay stops after block 2, so the holdings are those at
 * that block: fifo leaves THIEF 100e18 - 21e12 (the fee of tx3) - 30e18. */
static void test_until(void **s)
{
	(void)s;
	json_t *j = trace("--seed " H("01") " --policy fifo --until 2", 0, NULL);
	assert_string_equal(tot(j, "ETH", "holdings"), "69999979000000000000");
	assert_string_equal(tot(j, "ETH", "endpoints"), "30000000000000000000");
	assert_null(json_object_get(json_object_get(j, "totals"), TOKEN));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "params"), "until")), 2);
	json_decref(j);
}

/* --format csv and dot write the flows of the same trace. */
static void test_formats(void **s)
{
	(void)s;
	char cmd[4096], *out = NULL;
	snprintf(cmd, sizeof cmd, "%s trace --db %s --tags %s/export/tags.csv --seed %s --policy fifo --format csv", TL_BINARY,
	         db, dir, H("01"));
	assert_int_equal(tu_run(cmd, &out), 0);
	assert_non_null(strstr(out, "from,to,asset,amount,transfers\n"));
	assert_non_null(strstr(out, T "," X ",ETH,30000000000000000000,1\n"));
	assert_non_null(strstr(out, T "," X "," TOKEN ",400000000,1\n"));
	free(out);
	snprintf(cmd, sizeof cmd, "%s trace --db %s --tags %s/export/tags.csv --seed %s --policy fifo --format dot", TL_BINARY,
	         db, dir, H("01"));
	assert_int_equal(tu_run(cmd, &out), 0);
	assert_non_null(strstr(out, "digraph taint {"));
	assert_non_null(strstr(out, "\"" X "\" [label=\"0xeeee...eeee\\nexchange\", shape=box"));
	free(out);
	/* html: the fifo holdings of ETH in ether (49.999937), the token, whose
	 * decimals the export does not give, in base units */
	snprintf(cmd, sizeof cmd, "%s trace --db %s --seed %s --policy fifo --format html", TL_BINARY, db, H("01"));
	assert_int_equal(tu_run(cmd, &out), 0);
	assert_non_null(strstr(out, "title=\"49999937000000000000 base units\">49.999937 ETH</span>"));
	assert_non_null(strstr(out, ">600000000 units of " TOKEN "</span>"));
	free(out);
	snprintf(cmd, sizeof cmd, "%s trace --db %s --seed %s --format pdf 2>&1", TL_BINARY, db, H("01"));
	assert_int_equal(tu_run(cmd, &out), 2);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fifo_by_hand),
		cmocka_unit_test(test_every_policy_vs_engine),
		cmocka_unit_test(test_address_window),
		cmocka_unit_test(test_seeds_and_errors),
		cmocka_unit_test(test_until),
		cmocka_unit_test(test_formats),
	};
	return tu_finish(cmocka_run_group_tests(tests, setup, teardown));
}
