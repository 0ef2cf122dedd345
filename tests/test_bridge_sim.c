/* The multichain simulator against its own truth, end to end through
 * the binary: the same seed gives the same files; the Bitcoin index
 * finds every memo the simulation wrote (21 OUT, one REFUND, two inbound
 * swaps, nothing malformed); the trace over both databases makes
 * exactly the truth's crossings and leaves its one pending inbound
 * pending; per policy, the Bitcoin cash-outs it reports meet these
 * bounds on recall and precision (by count of exchange endpoints):
 *   poison, haircut: recall 1 (every cash-out reached), precision >= 0.6
 *     (the CoinJoin's clean participants are tainted too);
 *   fifo: recall >= 0.9, precision >= 0.85; tiho: recall >= 0.8,
 *     precision >= 0.9 (the CoinJoin change or peel ends lose taint).
 * And on Bitcoin what crossed in is what the totals account for.
 * The DMM-shaped theft, traced from Bitcoin: its swap to ether is a
 * crossing to Ethereum found through the router's TransferOut event
 * (memo OUT:<Bitcoin txid>); the payout, tainted on every unit, is where
 * the Ethereum trace continues (the payee still holds it), and its
 * refunded deposit a crossing back whose payout the trace holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "store/links_btc.h"
#include "tests/chainfix.h"
#include "tests/testutil.h"

static char *dir;

static void sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	char *out = NULL;
	int rc = tu_run(cmd, &out);
	if (rc) fail_msg("'%s' exited %d: %s", cmd, rc, out ? out : "");
	free(out);
}

static json_t *load(const char *fmt, const char *a)
{
	char p[2048];
	snprintf(p, sizeof p, fmt, dir, a);
	json_error_t je;
	json_t *j = json_load_file(p, 0, &je);
	if (!j) fail_msg("%s: %s", p, je.text);
	return j;
}

static unsigned long long num(json_t *j)
{
	const char *s = json_string_value(j);
	return s ? strtoull(s, NULL, 10) : 0;
}

static void test_sim_truth(void **st)
{
	(void)st;
	dir = tu_tmpdir("bridge_sim");
	sh("%s simulate --chain multichain --out %s/a --seed 9", TL_BINARY, dir);
	sh("%s simulate --chain multichain --out %s/b --seed 9", TL_BINARY, dir);
	sh("cmp %s/a/bitcoin/blocks/blk00000.dat %s/b/bitcoin/blocks/blk00000.dat && cmp %s/a/truth.json %s/b/truth.json && "
	   "cmp %s/a/ethereum/transactions.csv %s/b/ethereum/transactions.csv",
	   dir, dir, dir, dir, dir, dir);
	sh("%s index --chain ethereum --etl %s/a/ethereum --db %s/eth --network dev", TL_BINARY, dir, dir);
	sh("%s index --blocks-dir %s/a/bitcoin/blocks --db %s/btc --network regtest", TL_BINARY, dir, dir);

	char db[1100];
	snprintf(db, sizeof db, "%s/btc", dir);
	struct tl_store_opts so = { .read_only = true };
	struct tl_store *s = cf_store_open(db, &so);
	uint64_t memos, outs, vrows, bad;
	struct tl_err err;
	assert_int_equal(tl_links_btc_counts(s, &memos, &outs, &vrows, &bad, &err), 0);
	assert_int_equal(memos, 24); /* 21 OUT (15 thieves', 6 other users'), 1 REFUND, 2 swaps */
	assert_int_equal(outs, 22);
	assert_int_equal(bad, 0);
	assert_true(vrows >= 1);
	tl_store_close(s);

	json_t *truth = load("%s/a/truth.json%s", "");
	json_t *by = json_object_get(truth, "bybit"), *cash = json_object_get(by, "btc_cashouts");
	static const char *pols[] = { "poison", "haircut", "fifo", "tiho" };
	static const double min_recall[] = { 1.0, 1.0, 0.9, 0.8 }, min_prec[] = { 0.6, 0.6, 0.85, 0.9 };
	for (int p = 0; p < 4; p++) {
		sh("%s trace --db %s/btc --db %s/eth --heist sim-bybit --heists %s/a/ethereum/heists.json "
		   "--tags %s/a/ethereum/tags.csv --tags %s/a/bitcoin/tags.csv --policy %s -o %s/x-%s.json",
		   TL_BINARY, dir, dir, dir, dir, dir, pols[p], dir, pols[p]);
		json_t *x = load("%s/x-%s.json", pols[p]);
		/* crossings: exactly the truth's */
		json_t *tc = json_object_get(by, "crossings"), *xc = json_object_get(x, "crossings"), *a, *b;
		size_t i, k;
		assert_int_equal(json_array_size(xc), json_array_size(tc));
		unsigned long long crossed = 0;
		json_array_foreach(tc, i, a)
		{
			int hit = 0;
			json_array_foreach(xc, k, b)
			{
				if (!strcmp(json_string_value(json_object_get(a, "from_tx")), json_string_value(json_object_get(b, "from_tx"))) &&
				    !strcmp(json_string_value(json_object_get(a, "to_tx")), json_string_value(json_object_get(b, "to_tx"))) &&
				    (json_int_t)num(json_object_get(b, "amount_out")) == json_integer_value(json_object_get(a, "amount_sat")))
					hit++;
			}
			assert_int_equal(hit, 1);
		}
		json_array_foreach(xc, k, b) crossed += num(json_object_get(b, "tainted_out"));
		/* the pending inbound */
		int pending = 0;
		size_t found = 0, hits = 0;
		json_t *e, *c;
		json_array_foreach(json_object_get(x, "endpoints"), i, e)
		{
			const char *kind = json_string_value(json_object_get(e, "kind"));
			if (kind && !strcmp(kind, "bridge_pending")) {
				pending++;
				assert_string_equal(json_string_value(json_object_get(e, "tx")),
						    json_string_value(json_array_get(json_object_get(by, "pending_inbounds"), 0)));
			}
			const char *chain = json_string_value(json_object_get(e, "chain"));
			const char *cat = json_string_value(json_object_get(json_object_get(e, "tag"), "category"));
			const char *op = json_string_value(json_object_get(e, "outpoint"));
			if (strcmp(chain, "bitcoin") || !cat || strcmp(cat, "exchange") || !op) continue;
			found++;
			json_array_foreach(cash, k, c)
			{
				char want[80];
				snprintf(want, sizeof want, "%s:%lld", json_string_value(json_object_get(c, "txid")),
					 (long long)json_integer_value(json_object_get(c, "vout")));
				if (!strcmp(want, op)) hits++;
			}
		}
		assert_int_equal(pending, 1);
		double recall = (double)hits / (double)json_array_size(cash), prec = found ? (double)hits / (double)found : 0;
		printf("%s: recall %.3f precision %.3f\n", pols[p], recall, prec);
		assert_true(recall >= min_recall[p]);
		assert_true(prec >= min_prec[p]);
		/* Bitcoin accounts for what crossed in */
		json_t *tb = json_object_get(json_object_get(json_object_get(x, "totals"), "bitcoin"), "BTC");
		assert_int_equal(num(json_object_get(tb, "bridged_in")), crossed);
		if (p)
			assert_int_equal(num(json_object_get(tb, "endpoints")) + num(json_object_get(tb, "holdings")) +
						 num(json_object_get(tb, "fees")) + num(json_object_get(tb, "cut")),
					 crossed);
		json_decref(x);
	}
	/* the DMM-shaped theft, stolen on Bitcoin: one inbound swapped to
	 * ether, paid out on Ethereum by the router's TransferOut (memo
	 * OUT:<inbound txid>), a crossing to Ethereum; one refunded on
	 * Bitcoin, a crossing back */
	json_t *dmm = json_object_get(truth, "dmm");
	for (int p = 0; p < 4; p++) {
		sh("%s trace --db %s/btc --db %s/eth --heist sim-dmm --heists %s/a/bitcoin/heists.json "
		   "--tags %s/a/bitcoin/tags.csv --policy %s -o %s/d-%s.json",
		   TL_BINARY, dir, dir, dir, dir, pols[p], dir, pols[p]);
		json_t *x = load("%s/d-%s.json", pols[p]), *e;
		json_t *xc = json_object_get(x, "crossings");
		assert_int_equal(json_array_size(xc), 2);
		unsigned long long in = (unsigned long long)json_integer_value(json_object_get(dmm, "inbound_sat"));
		unsigned long long ref = (unsigned long long)json_integer_value(json_object_get(dmm, "refund_sat"));
		size_t i;
		int refunds = 0, outs = 0;
		json_array_foreach(xc, i, e)
		{
			const char *memo = json_string_value(json_object_get(e, "memo"));
			assert_int_equal(num(json_object_get(e, "tainted_in")), in);
			if (!strcmp(memo, "REFUND")) {
				refunds++;
				assert_string_equal(json_string_value(json_object_get(e, "from_tx")),
						    json_string_value(json_object_get(dmm, "refunded_txid")));
				assert_int_equal(num(json_object_get(e, "tainted_out")), ref); /* fully tainted: o * a / a */
				continue;
			}
			outs++;
			assert_string_equal(memo, "OUT");
			assert_string_equal(json_string_value(json_object_get(e, "from_tx")),
					    json_string_value(json_object_get(dmm, "btc_inbound_txid")));
			assert_string_equal(json_string_value(json_object_get(e, "to_chain")), "ethereum");
			assert_string_equal(json_string_value(json_object_get(e, "to_tx")),
					    json_string_value(json_object_get(dmm, "eth_payout_tx")));
			assert_string_equal(json_string_value(json_object_get(e, "to_address")),
					    json_string_value(json_object_get(dmm, "eth_payee")));
			assert_string_equal(json_string_value(json_object_get(e, "asset_out")), "ETH");
			/* the simulator pays 490 ETH; the inbound is fully tainted, so
			 * all of it carries taint */
			assert_string_equal(json_string_value(json_object_get(e, "amount_out")), "490000000000000000000");
			assert_string_equal(json_string_value(json_object_get(e, "tainted_out")), "490000000000000000000");
		}
		assert_int_equal(refunds, 1);
		assert_int_equal(outs, 1);
		int pending = 0, payouts = 0, held = 0;
		json_array_foreach(json_object_get(x, "endpoints"), i, e)
		{
			const char *kind = json_string_value(json_object_get(e, "kind"));
			pending += kind && !strcmp(kind, "bridge_pending");
			payouts += kind && !strcmp(kind, "bridge_payout");
		}
		/* the Ethereum trace from the payout: the payee holds it */
		json_array_foreach(json_object_get(x, "holdings"), i, e)
		{
			if (strcmp(json_string_value(json_object_get(e, "chain")), "ethereum")) continue;
			held++;
			assert_string_equal(json_string_value(json_object_get(e, "address")),
					    json_string_value(json_object_get(dmm, "eth_payee")));
			assert_string_equal(json_string_value(json_object_get(e, "amount")), "490000000000000000000");
		}
		assert_int_equal(pending, 0);
		assert_int_equal(payouts, 0);
		assert_int_equal(held, 1);
		assert_true(json_is_object(json_object_get(x, "ethereum")));
		json_t *tb = json_object_get(json_object_get(json_object_get(x, "totals"), "bitcoin"), "BTC");
		assert_int_equal(num(json_object_get(tb, "bridged_out")), 2 * in);
		assert_int_equal(num(json_object_get(tb, "bridged_in")), ref);
		json_t *te = json_object_get(json_object_get(json_object_get(x, "totals"), "ethereum"), "ETH");
		assert_string_equal(json_string_value(json_object_get(te, "bridged_in")), "490000000000000000000");
		assert_string_equal(json_string_value(json_object_get(te, "seeded")), "0");
		assert_string_equal(json_string_value(json_object_get(te, "endpoints")), "0");
		assert_string_equal(json_string_value(json_object_get(te, "holdings")), "490000000000000000000");
		/* the refund's payout is still held by the thief */
		assert_int_equal(num(json_object_get(tb, "holdings")), ref);
		if (p)
			assert_int_equal(num(json_object_get(tb, "seeded")) + ref,
					 num(json_object_get(tb, "endpoints")) + num(json_object_get(tb, "holdings")) +
						 num(json_object_get(tb, "fees")) + num(json_object_get(tb, "cut")) + 2 * in);
		json_decref(x);
	}
	json_decref(truth);
	if (!getenv("TL_KEEP")) tu_rmrf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim_truth),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
