/* The account-model taint engine (taint/account.h) on hand-worked
 * examples, one small story per rule, with the arithmetic written out;
 * and its exact mul-div (taint/muldiv.h) against a deliberately naive
 * bit-by-bit long division on 32-bit limbs, at 256-bit edges and on
 * random operands (TL_SEED=N replays; the seed is printed on failure). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "taint/account.h"
#include "taint/muldiv.h"
#include "taint/report.h"
#include "tests/testutil.h"

#define NW TL_TAINT_NOWHERE
#define ETH 0u
#define TOK 1u
#define EXCHANGE 1u

/* Accounts of the stories. */
enum { THIEF = 1, CLEAN = 2, A1 = 3, B1 = 4, ROUTER = 5, DEXPOOL = 6, MINER = 7, EXCH = 9, VICTIM = 10 };

static uint32_t cats_of(void *ctx, uint64_t acct)
{
	(void)ctx;
	return acct == EXCH ? EXCHANGE : 0;
}

static struct tl_taint *mk(enum tl_taint_policy pol, uint32_t max_hops, uint64_t min_amount)
{
	struct tl_taint_params p;
	tl_taint_params_default(&p);
	p.policy = pol;
	p.stop_cats = EXCHANGE;
	p.max_hops = max_hops;
	p.min_amount = tl_uint256_from_u64(min_amount);
	p.account_cats = cats_of;
	struct tl_taint *e = tl_taint_new(&p);
	assert_non_null(e);
	return e;
}

static struct tl_taint_xfer X(uint8_t kind, uint64_t from, uint64_t to, uint32_t asset, uint64_t amount, int seed)
{
	return (struct tl_taint_xfer){ .from = from, .to = to, .asset = asset, .kind = kind, .seed = (uint8_t)seed,
		                       .amount = tl_uint256_from_u64(amount) };
}

static uint64_t next_tx;
static void tx(struct tl_taint *e, uint64_t sender, bool ok, const struct tl_taint_xfer *x, size_t n)
{
	struct tl_err err = { 0 };
	struct tl_taint_tx t = { .num = ++next_tx, .sender = sender, .height = (uint32_t)next_tx, .time = 1000, .ok = ok };
	int rc = tl_taint_apply(e, &t, x, n, &err);
	if (rc) fail_msg("apply: %s", err.msg);
}
#define TX(e, sender, ok, ...)                                                       \
	do {                                                                         \
		const struct tl_taint_xfer xs_[] = { __VA_ARGS__ };                  \
		tx(e, sender, ok, xs_, sizeof xs_ / sizeof xs_[0]);                  \
	} while (0)

static uint64_t u(const tl_uint256 *v)
{
	assert_true(tl_uint256_fits_u64(v));
	return v->w[0];
}

static uint64_t held(const struct tl_taint_result *r, uint64_t acct, uint32_t asset)
{
	for (size_t i = 0; i < r->n_holdings; i++)
		if (r->holdings[i].account == acct && r->holdings[i].asset == asset) return u(&r->holdings[i].amount);
	return 0;
}

static void finish(struct tl_taint *e, struct tl_taint_result *r)
{
	struct tl_err err = { 0 };
	if (tl_taint_finish(e, r, &err)) fail_msg("finish: %s", err.msg);
}

/* Story 1, every policy. ETH throughout.
 *   tx1  VICTIM -> THIEF 100, a seed (VICTIM had nothing: unknown prior 100)
 *   tx2  CLEAN  -> THIEF 50 (unknown prior 50)        THIEF: B 150, T 100
 *   tx3  THIEF pays a fee of 30 (burnt), sends 60 to A1
 *   tx4  A1 sends 25 to EXCH (an endpoint) and 35 to B1
 * haircut:   fee floor(30*100/150) = 20; THIEF B 120 T 80;
 *            60 carries floor(60*80/120) = 40; THIEF B 60 T 40;
 *            A1 B 60 T 40: 25 carries floor(25*40/60) = floor(16.67) = 16,
 *            A1 B 35 T 24: 35 carries floor(35*24/35) = 24.
 *            seeded 100 = endpoints 16 + holdings (40 + 24) + fees 20.
 * fifo:      THIEF [T100 C50]; the fee takes T30 -> [T70 C50];
 *            60 takes T60 -> A1 [T60], THIEF [T10 C50];
 *            25 -> endpoint 25, 35 -> B1 [T35].
 *            100 = 25 + (10 + 35) + 30.
 * seniority: fee min(30,100) = 30, THIEF T 70; 60 carries min(60,70) = 60,
 *            THIEF T 10; A1 T 60: 25 carries 25, 35 carries min(35,35).
 *            100 = 25 + (10 + 35) + 30.
 * poison:    the fee 30, the 60, the 25 and the 35 are tainted in full;
 *            holdings are the balances of poisoned pools: THIEF 60, A1 0,
 *            B1 35. */
static void story1(enum tl_taint_policy pol, uint64_t end, uint64_t fees, uint64_t h_thief, uint64_t h_b1)
{
	next_tx = 0;
	struct tl_taint *e = mk(pol, 0, 0);
	TX(e, VICTIM, true, X(TL_TK_VALUE, VICTIM, THIEF, ETH, 100, 1));
	TX(e, CLEAN, true, X(TL_TK_VALUE, CLEAN, THIEF, ETH, 50, 0));
	TX(e, THIEF, true, X(TL_TK_FEE, THIEF, NW, ETH, 30, 0), X(TL_TK_VALUE, THIEF, A1, ETH, 60, 0));
	TX(e, A1, true, X(TL_TK_VALUE, A1, EXCH, ETH, 25, 0), X(TL_TK_VALUE, A1, B1, ETH, 35, 0));
	struct tl_taint_result r;
	finish(e, &r);
	const struct tl_taint_totals *t = &r.totals[ETH];
	assert_int_equal(u(&t->seeded), 100);
	assert_int_equal(u(&t->unknown_prior), 150);
	assert_int_equal(u(&t->endpoints), end);
	assert_int_equal(u(&t->fees), fees);
	assert_int_equal(held(&r, THIEF, ETH), h_thief);
	assert_int_equal(held(&r, B1, ETH), h_b1);
	assert_int_equal(held(&r, A1, ETH), 0);
	assert_int_equal(u(&t->holdings), h_thief + h_b1);
	assert_int_equal(r.n_endpoints, 1);
	assert_int_equal(r.endpoints[0].account, EXCH);
	assert_int_equal(r.endpoints[0].from, A1);
	assert_int_equal(u(&r.endpoints[0].amount), end);
	assert_int_equal(r.endpoints[0].hops, 2); /* seed 0, THIEF -> A1 1, A1 -> EXCH 2 */
	assert_int_equal(r.endpoints[0].tx, 4);
	assert_int_equal(r.endpoints[0].cats, EXCHANGE);
	if (pol != TL_TP_POISON) assert_true(tl_taint_conserved(t));
	tl_taint_free(e);
}

static void test_story1_haircut(void **s) { (void)s; story1(TL_TP_HAIRCUT, 16, 20, 40, 24); }
static void test_story1_fifo(void **s) { (void)s; story1(TL_TP_FIFO, 25, 30, 10, 35); }
static void test_story1_seniority(void **s) { (void)s; story1(TL_TP_SENIORITY, 25, 30, 10, 35); }
static void test_story1_poison(void **s) { (void)s; story1(TL_TP_POISON, 25, 30, 60, 35); }

/* Story 2: a swap through a router and a DEX pool.
 *   tx1  VICTIM -> THIEF 40 ETH, a seed;  tx2  CLEAN -> THIEF 60 ETH
 *   tx3  (THIEF) fee 10 ETH to MINER; THIEF -> ROUTER 50 ETH;
 *        ROUTER -> DEXPOOL 50 ETH; DEXPOOL -> THIEF 120 TOK and 80 TOK.
 * THIEF sends only ETH and receives only TOK: a conversion, a = 50, b = 200.
 * haircut: fee floor(10*40/100) = 4, THIEF B 90 T 36; the 50 carries
 *   t = floor(50*36/90) = 20 (converted_out ETH 20), THIEF keeps T 16;
 *   t_B = floor(200*20/50) = 80: 120 gets floor(120*80/200) = 48, the
 *   last 80 gets 80 - 48 = 32. DEXPOOL had no TOK: unknown prior 200.
 *   ETH: seeded 40 = fees 4 + holdings 16 + converted_out 20.
 *   TOK: converted_in 80 = holdings 80.
 * fifo: THIEF [T40 C60]; fee T10 -> [T30 C60]; the 50 takes T30 C20:
 *   t = 30, THIEF [C40]; t_B = floor(200*30/50) = 120: 120 gets
 *   floor(120*120/200) = 72, 80 gets 48; THIEF's TOK queue is
 *   [T72 C48 T48 C32].  ETH: 40 = 10 + 0 + 30.  TOK: 120 = 120.
 * poison: the fee and the 50 are tainted in full (t = 50), t_B = 200;
 *   holdings: THIEF's ETH 40 and TOK 200. */
static void story2(enum tl_taint_policy pol, uint64_t fees, uint64_t conv_out, uint64_t conv_in, uint64_t h_eth,
                   uint64_t h_tok)
{
	next_tx = 0;
	struct tl_taint *e = mk(pol, 0, 0);
	TX(e, VICTIM, true, X(TL_TK_VALUE, VICTIM, THIEF, ETH, 40, 1));
	TX(e, CLEAN, true, X(TL_TK_VALUE, CLEAN, THIEF, ETH, 60, 0));
	TX(e, THIEF, true, X(TL_TK_FEE, THIEF, MINER, ETH, 10, 0), X(TL_TK_VALUE, THIEF, ROUTER, ETH, 50, 0),
	   X(TL_TK_VALUE, ROUTER, DEXPOOL, ETH, 50, 0), X(TL_TK_VALUE, DEXPOOL, THIEF, TOK, 120, 0),
	   X(TL_TK_VALUE, DEXPOOL, THIEF, TOK, 80, 0));
	struct tl_taint_result r;
	finish(e, &r);
	assert_int_equal(r.conversions, 1);
	const struct tl_taint_totals *te = &r.totals[ETH], *tt = &r.totals[TOK];
	assert_int_equal(u(&te->seeded), 40);
	assert_int_equal(u(&te->fees), fees);
	assert_int_equal(u(&te->converted_out), conv_out);
	assert_int_equal(u(&tt->converted_in), conv_in);
	assert_int_equal(u(&tt->unknown_prior), 200);
	assert_int_equal(held(&r, THIEF, ETH), h_eth);
	assert_int_equal(held(&r, THIEF, TOK), h_tok);
	assert_int_equal(held(&r, ROUTER, ETH) + held(&r, DEXPOOL, ETH) + held(&r, MINER, ETH), 0);
	if (pol != TL_TP_POISON) {
		assert_true(tl_taint_conserved(te));
		assert_true(tl_taint_conserved(tt));
	}
	if (pol == TL_TP_FIFO) {
		/* The TOK queue [T72 C48 T48 C32]: sending 100 takes T72 and C28,
		 * so B1 receives 72 of taint; the next 50 takes C20 T30. */
		TX(e, THIEF, true, X(TL_TK_VALUE, THIEF, B1, TOK, 100, 0));
		TX(e, THIEF, true, X(TL_TK_VALUE, THIEF, A1, TOK, 50, 0));
		finish(e, &r);
		assert_int_equal(held(&r, B1, TOK), 72);
		assert_int_equal(held(&r, A1, TOK), 30);
		assert_int_equal(held(&r, THIEF, TOK), 18);
	}
	tl_taint_free(e);
}

static void test_story2_haircut(void **s) { (void)s; story2(TL_TP_HAIRCUT, 4, 20, 80, 16, 80); }
static void test_story2_fifo(void **s) { (void)s; story2(TL_TP_FIFO, 10, 30, 120, 0, 120); }
static void test_story2_seniority(void **s)
{
	(void)s;
	/* seniority: fee min(10,40) = 10, THIEF T 30; the 50 carries
	 * min(50,30) = 30, t_B = 120 split 72 / 48 as under fifo. */
	story2(TL_TP_SENIORITY, 10, 30, 120, 0, 120);
}
static void test_story2_poison(void **s) { (void)s; story2(TL_TP_POISON, 10, 50, 200, 40, 200); }

/* Story 3: WETH wrapping is a conversion (ETH out to the contract, a mint
 * of WETH in); a failed transaction moves only its fee; a second swap
 * asset in the same transaction makes it no conversion.
 *   tx1  mint 1000 ETH from nowhere to THIEF, a seed
 *   tx2  THIEF -> WETH(5) 400 ETH; mint 400 WETH(asset 2) to THIEF
 *   tx3  failed: fee 7 ETH, THIEF -> EXCH 500 ETH (does not move)
 *   tx4  THIEF -> B1 100 ETH and 10 WETH; B1 -> THIEF 50 TOK: two assets
 *        out, so plain transfers.
 * haircut (all pools fully tainted: every share is the whole amount):
 *   ETH: seeded 1000 = converted_out 400 + fees 7 + holdings 593
 *        (THIEF 493, B1 100); WETH: converted_in 400 = holdings 400
 *        (THIEF 390, B1 10); TOK: B1 had none, unknown prior 50, clean. */
static void test_story3_wrap_failed(void **s)
{
	(void)s;
	next_tx = 0;
	struct tl_taint *e = mk(TL_TP_HAIRCUT, 0, 0);
	TX(e, NW, true, X(TL_TK_MINT, NW, THIEF, ETH, 1000, 1));
	TX(e, THIEF, true, X(TL_TK_VALUE, THIEF, ROUTER, ETH, 400, 0), X(TL_TK_MINT, NW, THIEF, 2, 400, 0));
	TX(e, THIEF, false, X(TL_TK_FEE, THIEF, NW, ETH, 7, 0), X(TL_TK_VALUE, THIEF, EXCH, ETH, 500, 0));
	TX(e, THIEF, true, X(TL_TK_VALUE, THIEF, B1, ETH, 100, 0), X(TL_TK_VALUE, THIEF, B1, 2, 10, 0),
	   X(TL_TK_VALUE, B1, THIEF, TOK, 50, 0));
	struct tl_taint_result r;
	finish(e, &r);
	assert_int_equal(r.conversions, 1);
	assert_int_equal(r.n_endpoints, 0);
	assert_int_equal(u(&r.totals[ETH].converted_out), 400);
	assert_int_equal(u(&r.totals[ETH].fees), 7);
	assert_int_equal(held(&r, THIEF, ETH), 493);
	assert_int_equal(held(&r, B1, ETH), 100);
	assert_int_equal(u(&r.totals[2].converted_in), 400);
	assert_int_equal(held(&r, THIEF, 2), 390);
	assert_int_equal(held(&r, B1, 2), 10);
	assert_int_equal(held(&r, THIEF, TOK), 0);
	assert_int_equal(u(&r.totals[TOK].unknown_prior), 50);
	for (uint32_t a = 0; a < r.n_assets; a++) assert_true(tl_taint_conserved(&r.totals[a]));
	tl_taint_free(e);
}

/* Story 4: the cuts. A seed of 100 to THIEF (hop 0), THIEF -> A1 (hop 1),
 * A1 -> B1 (hop 2), B1 -> EXCH (hop 3).
 *   max_hops 1: A1 -> B1 is at hop 2 > 1: cut_hops 100, B1 clean, no
 *   endpoint.  min_amount 101: the seed itself (100 < 101) is cut as
 *   dust.  max_hops 3: the endpoint at hop 3 counts. */
static void story4(uint32_t max_hops, uint64_t min_amount, uint64_t cut_hops, uint64_t cut_dust, uint64_t end)
{
	next_tx = 0;
	struct tl_taint *e = mk(TL_TP_FIFO, max_hops, min_amount);
	TX(e, VICTIM, true, X(TL_TK_VALUE, VICTIM, THIEF, ETH, 100, 1));
	TX(e, THIEF, true, X(TL_TK_VALUE, THIEF, A1, ETH, 100, 0));
	TX(e, A1, true, X(TL_TK_VALUE, A1, B1, ETH, 100, 0));
	TX(e, B1, true, X(TL_TK_VALUE, B1, EXCH, ETH, 100, 0));
	struct tl_taint_result r;
	finish(e, &r);
	const struct tl_taint_totals *t = &r.totals[ETH];
	assert_int_equal(u(&t->cut_hops), cut_hops);
	assert_int_equal(u(&t->cut_dust), cut_dust);
	assert_int_equal(u(&t->endpoints), end);
	assert_int_equal(r.n_endpoints, end ? 1 : 0);
	if (end) assert_int_equal(r.endpoints[0].hops, 3);
	assert_true(tl_taint_conserved(t));
	tl_taint_free(e);
}
static void test_story4_cuts(void **s)
{
	(void)s;
	story4(1, 0, 100, 0, 0);
	story4(0, 101, 0, 100, 0);
	story4(3, 0, 0, 0, 100);
	story4(2, 0, 100, 0, 0);
}

/* Story 5: a seed whose sender is already tainted is merged, not added.
 *   tx1 seed VICTIM -> THIEF 50; tx2 CLEAN -> THIEF 50 (THIEF B 100 T 50)
 *   tx3 THIEF -> A1 30, also a seed: haircut carries floor(30*50/100) = 15
 *       from THIEF; the seed makes all 30 tainted, adding 15.
 *   seeded 50 + 15 = 65 = holdings THIEF 35 + A1 30. */
static void test_story5_seed_merge(void **s)
{
	(void)s;
	next_tx = 0;
	struct tl_taint *e = mk(TL_TP_HAIRCUT, 0, 0);
	TX(e, VICTIM, true, X(TL_TK_VALUE, VICTIM, THIEF, ETH, 50, 1));
	TX(e, CLEAN, true, X(TL_TK_VALUE, CLEAN, THIEF, ETH, 50, 0));
	TX(e, THIEF, true, X(TL_TK_VALUE, THIEF, A1, ETH, 30, 1));
	struct tl_taint_result r;
	finish(e, &r);
	assert_int_equal(u(&r.totals[ETH].seeded), 65);
	assert_int_equal(held(&r, THIEF, ETH), 35);
	assert_int_equal(held(&r, A1, ETH), 30);
	assert_true(tl_taint_conserved(&r.totals[ETH]));
	tl_taint_free(e);
}

/* Story 6: unknown prior funds go to the front of a fifo queue.
 *   tx1 seed VICTIM -> THIEF 10 (THIEF [T10])
 *   tx2 THIEF -> A1 25: the pool shows 10, so 15 of clean prior funds go
 *       first: [C15 T10]; the 25 takes C15 T10: A1 gets 10 of taint.
 *   tx3 A1 -> B1 15: A1 [C15 T10] gives C15: B1 clean.
 *   haircut instead: tx2 tops up to B 25 T 10, the 25 carries 10; tx3
 *   carries floor(15*10/25) = 6. */
static void test_story6_unknown_prior(void **s)
{
	(void)s;
	for (int pol = 0; pol < 2; pol++) {
		next_tx = 0;
		struct tl_taint *e = mk(pol ? TL_TP_HAIRCUT : TL_TP_FIFO, 0, 0);
		TX(e, VICTIM, true, X(TL_TK_VALUE, VICTIM, THIEF, ETH, 10, 1));
		TX(e, THIEF, true, X(TL_TK_VALUE, THIEF, A1, ETH, 25, 0));
		TX(e, A1, true, X(TL_TK_VALUE, A1, B1, ETH, 15, 0));
		struct tl_taint_result r;
		finish(e, &r);
		assert_int_equal(u(&r.totals[ETH].unknown_prior), 10 + 15);
		assert_int_equal(held(&r, B1, ETH), pol ? 6 : 0);
		assert_int_equal(held(&r, A1, ETH), pol ? 4 : 10);
		assert_true(tl_taint_conserved(&r.totals[ETH]));
		tl_taint_free(e);
	}
}

/* Story 7: 256-bit edges. N = 2^256 - 1.
 *   mint 2^255 to THIEF as a seed and 2^255 - 1 clean: B = N, T = 2^255.
 *   THIEF -> A1 N - 1 under haircut carries
 *   floor((N - 1) * 2^255 / N) = 2^255 - floor(2^255 / N) - 1 = 2^255 - 1
 *   (since 0 < 2^255 / N < 1 and the fraction is not whole), leaving
 *   THIEF B 1 T 1.  A further mint of N to A1 overflows its balance:
 *   an error, not a wrap. */
static void test_story7_edges(void **s)
{
	(void)s;
	next_tx = 0;
	struct tl_taint *e = mk(TL_TP_HAIRCUT, 0, 0);
	tl_uint256 half = { { 0, 0, 0, 1ull << 63 } }, halfm1 = { { ~0ull, ~0ull, ~0ull, (1ull << 63) - 1 } };
	tl_uint256 nm1 = { { ~0ull - 1, ~0ull, ~0ull, ~0ull } }, n = { { ~0ull, ~0ull, ~0ull, ~0ull } };
	struct tl_taint_xfer m1 = { .from = NW, .to = THIEF, .kind = TL_TK_MINT, .seed = 1, .amount = half };
	struct tl_taint_xfer m2 = { .from = NW, .to = THIEF, .kind = TL_TK_MINT, .amount = halfm1 };
	struct tl_taint_xfer v = { .from = THIEF, .to = A1, .kind = TL_TK_VALUE, .amount = nm1 };
	tx(e, NW, true, &m1, 1);
	tx(e, NW, true, &m2, 1);
	tx(e, THIEF, true, &v, 1);
	struct tl_taint_result r;
	finish(e, &r);
	assert_int_equal(r.n_holdings, 2);
	assert_int_equal(r.holdings[0].account, THIEF);
	assert_int_equal(u(&r.holdings[0].amount), 1);
	assert_int_equal(u(&r.holdings[0].balance), 1);
	assert_int_equal(r.holdings[1].account, A1);
	assert_memory_equal(&r.holdings[1].amount, &halfm1, sizeof halfm1);
	assert_true(tl_taint_conserved(&r.totals[ETH]));
	struct tl_taint_xfer big = { .from = NW, .to = A1, .kind = TL_TK_MINT, .amount = n };
	struct tl_err err = { 0 };
	struct tl_taint_tx t = { .num = 99, .sender = NW, .ok = true };
	assert_int_equal(tl_taint_apply(e, &t, &big, 1, &err), -1);
	assert_non_null(strstr(err.msg, "2^256"));
	tl_taint_free(e);
}

/* ---- the JSON result ---- */
static int n_acct(void *ctx, uint64_t a, char *buf, size_t cap, struct tl_err *err)
{
	(void)ctx;
	if (a == 666) return tl_err_set(err, "no account 666");
	snprintf(buf, cap, "0x%040llx", (unsigned long long)a);
	return 0;
}
static int n_asset(void *ctx, uint32_t a, char *buf, size_t cap, struct tl_err *err)
{
	(void)ctx;
	(void)err;
	if (a == 0) snprintf(buf, cap, "ETH");
	else snprintf(buf, cap, "0x%040x", a);
	return 0;
}
static int n_tx(void *ctx, uint64_t t, char *buf, size_t cap, struct tl_err *err)
{
	(void)ctx;
	(void)err;
	snprintf(buf, cap, "0x%064llx", (unsigned long long)t);
	return 0;
}
static json_t *n_tag(void *ctx, uint64_t a, uint32_t cats)
{
	(void)ctx;
	return json_pack("{s:s,s:s,s:I}", "label", "Exchange", "category", cats & EXCHANGE ? "exchange" : "?", "id",
	                 (json_int_t)a);
}

/* Story 2 under haircut plus an endpoint, as JSON: every figure a decimal
 * string equal to the engine's, the endpoint named, the graph's edges the
 * tainted flows. And story 7's 2^255 - 1 holding printed exactly. */
static void test_json(void **s)
{
	(void)s;
	next_tx = 0;
	struct tl_taint *e = mk(TL_TP_HAIRCUT, 0, 0);
	TX(e, VICTIM, true, X(TL_TK_VALUE, VICTIM, THIEF, ETH, 40, 1));
	TX(e, CLEAN, true, X(TL_TK_VALUE, CLEAN, THIEF, ETH, 60, 0));
	TX(e, THIEF, true, X(TL_TK_FEE, THIEF, MINER, ETH, 10, 0), X(TL_TK_VALUE, THIEF, ROUTER, ETH, 50, 0),
	   X(TL_TK_VALUE, ROUTER, DEXPOOL, ETH, 50, 0), X(TL_TK_VALUE, DEXPOOL, THIEF, TOK, 120, 0),
	   X(TL_TK_VALUE, DEXPOOL, THIEF, TOK, 80, 0));
	/* THIEF B 200 T 80 of TOK: 50 to EXCH carries floor(50*80/200) = 20 */
	TX(e, THIEF, true, X(TL_TK_VALUE, THIEF, EXCH, TOK, 50, 0));
	struct tl_taint_result r;
	finish(e, &r);
	struct tl_taint_params p;
	tl_taint_params_default(&p);
	struct tl_taint_names nm = { .account = n_acct, .asset = n_asset, .tx = n_tx, .tag = n_tag };
	struct tl_err err = { 0 };
	json_t *o = tl_taint_json(&r, &p, "ethereum", json_pack("{s:i}", "height", 4), json_pack("{s:b}", "stop_at_mixers", 0),
	                          json_array(), &nm, &err);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "policy")), "haircut");
	json_t *te = json_object_get(json_object_get(o, "totals"), "ETH");
	json_t *tt = json_object_get(json_object_get(o, "totals"), "0x0000000000000000000000000000000000000001");
	assert_string_equal(json_string_value(json_object_get(te, "seeded")), "40");
	assert_string_equal(json_string_value(json_object_get(te, "fees")), "4");
	assert_string_equal(json_string_value(json_object_get(te, "converted_out")), "20");
	assert_string_equal(json_string_value(json_object_get(te, "holdings")), "16");
	assert_string_equal(json_string_value(json_object_get(te, "unknown_prior")), "100");
	assert_string_equal(json_string_value(json_object_get(tt, "converted_in")), "80");
	assert_string_equal(json_string_value(json_object_get(tt, "endpoints")), "20");
	assert_string_equal(json_string_value(json_object_get(tt, "holdings")), "60");
	assert_true(json_is_false(json_object_get(json_object_get(o, "params"), "stop_at_mixers")));
	json_t *ep = json_array_get(json_object_get(o, "endpoints"), 0);
	assert_int_equal(json_array_size(json_object_get(o, "endpoints")), 1);
	assert_string_equal(json_string_value(json_object_get(ep, "chain")), "ethereum");
	assert_string_equal(json_string_value(json_object_get(ep, "address")), "0x0000000000000000000000000000000000000009");
	assert_string_equal(json_string_value(json_object_get(ep, "amount")), "20");
	assert_string_equal(json_string_value(json_object_get(ep, "tx")),
	                    "0x0000000000000000000000000000000000000000000000000000000000000004");
	assert_int_equal(json_integer_value(json_object_get(ep, "hops")), 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(ep, "tag"), "category")), "exchange");
	/* edges: VICTIM->THIEF ETH (the seed), DEXPOOL->THIEF TOK (the
	 * conversion's 80 arriving), THIEF->EXCH TOK 20 */
	json_t *edges = json_object_get(json_object_get(o, "graph"), "edges");
	assert_int_equal(json_array_size(edges), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(edges, 1), "from")),
	                    "0x0000000000000000000000000000000000000006");
	assert_string_equal(json_string_value(json_object_get(json_array_get(edges, 1), "amount")), "80");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(edges, 1), "transfers")), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(edges, 2), "amount")), "20");
	json_t *holds = json_object_get(o, "holdings");
	assert_int_equal(json_array_size(holds), 2);
	/* CSV: the three edges under a header; DOT: the exchange boxed */
	char *buf;
	size_t len;
	assert_int_equal(tl_taint_report_csv(o, &buf, &len, &err), 0);
	assert_int_equal(strlen(buf), len);
	assert_string_equal(buf, "from,to,asset,amount,transfers\n"
	                         "0x000000000000000000000000000000000000000a,0x0000000000000000000000000000000000000001,ETH,40,1\n"
	                         "0x0000000000000000000000000000000000000006,0x0000000000000000000000000000000000000001,"
	                         "0x0000000000000000000000000000000000000001,80,2\n"
	                         "0x0000000000000000000000000000000000000001,0x0000000000000000000000000000000000000009,"
	                         "0x0000000000000000000000000000000000000001,20,1\n");
	free(buf);
	assert_int_equal(tl_taint_report_dot(o, &buf, &len, &err), 0);
	assert_non_null(strstr(buf, "\"0x0000000000000000000000000000000000000009\" [label=\"0x0000...0009\\nexchange\", shape=box"));
	assert_non_null(strstr(buf, "-> \"0x0000000000000000000000000000000000000009\" [label=\"20 0x0000...0001\"]"));
	free(buf);
	json_t *empty = json_object();
	assert_int_equal(tl_taint_report_csv(empty, &buf, &len, &err), -1);
	assert_int_equal(tl_taint_report_html(empty, &buf, &len, &err), -1);
	json_decref(empty);
	/* HTML: ETH shown in ether from the "assets" entry (40 wei =
	 * 0.00000000000000004 ETH), the token without decimals in base units */
	json_object_set_new(o, "assets", json_pack("{s:{s:s,s:i}}", "ETH", "symbol", "ETH", "decimals", 18));
	assert_int_equal(tl_taint_report_html(o, &buf, &len, &err), 0);
	assert_non_null(strstr(buf, "<span class=\"amt\" title=\"40 base units\">0.00000000000000004 ETH</span>"));
	assert_non_null(strstr(buf, ">20 units of 0x0000000000000000000000000000000000000001</span>"));
	assert_null(strstr(buf, "<script"));
	free(buf);
	json_decref(o);
	tl_taint_free(e);

	/* A naming error fails the whole object. */
	next_tx = 0;
	e = mk(TL_TP_FIFO, 0, 0);
	TX(e, VICTIM, true, X(TL_TK_VALUE, VICTIM, 666, ETH, 40, 1));
	finish(e, &r);
	assert_null(tl_taint_json(&r, &p, "ethereum", NULL, NULL, NULL, &nm, &err));
	assert_non_null(strstr(err.msg, "666"));
	tl_taint_free(e);

	/* 2^255 - 1 as a decimal string */
	tl_uint256 halfm1 = { { ~0ull, ~0ull, ~0ull, (1ull << 63) - 1 } };
	json_t *a = tl_taint_json_amount(&halfm1);
	assert_string_equal(json_string_value(a),
	                    "57896044618658097711785492504343953926634992332820282019728792003956564819967");
	json_decref(a);
}

/* Base units to units, exactly, against the decimal point moved by hand. */
static void test_units(void **s)
{
	(void)s;
	char out[200];
	assert_string_equal(tl_taint_units("1500000000000000000", 18, out), "1.5");
	assert_string_equal(tl_taint_units("1000000000000000000", 18, out), "1");
	assert_string_equal(tl_taint_units("1", 18, out), "0.000000000000000001");
	assert_string_equal(tl_taint_units("0", 18, out), "0");
	assert_string_equal(tl_taint_units("123456", 6, out), "0.123456");
	assert_string_equal(tl_taint_units("1234567", 6, out), "1.234567");
	assert_string_equal(tl_taint_units("120", 0, out), "120");
	assert_string_equal(tl_taint_units("120", -1, out), "120");
	assert_string_equal(tl_taint_units("115792089237316195423570985008687907853269984665640564039457584007913129639935",
	                                   18, out),
	                    "115792089237316195423570985008687907853269984665640564039457.584007913129639935");
}

static void test_bad_input(void **s)
{
	(void)s;
	struct tl_taint *e = mk(TL_TP_HAIRCUT, 0, 0);
	struct tl_err err = { 0 };
	struct tl_taint_tx t = { .num = 5, .sender = 1, .ok = true };
	struct tl_taint_xfer fee_seed = X(TL_TK_FEE, 1, NW, ETH, 5, 1);
	assert_int_equal(tl_taint_apply(e, &t, &fee_seed, 1, &err), -1);
	assert_non_null(strstr(err.msg, "seed"));
	struct tl_taint_xfer mint_from = X(TL_TK_MINT, 1, 2, ETH, 5, 0);
	t.num = 6;
	assert_int_equal(tl_taint_apply(e, &t, &mint_from, 1, &err), -1);
	struct tl_taint_xfer ok = X(TL_TK_VALUE, 1, 2, ETH, 5, 0);
	t.num = 7;
	assert_int_equal(tl_taint_apply(e, &t, &ok, 1, &err), 0);
	t.num = 7; /* not after the last */
	assert_int_equal(tl_taint_apply(e, &t, &ok, 1, &err), -1);
	assert_non_null(strstr(err.msg, "chain order"));
	struct tl_taint_xfer big_asset = X(TL_TK_VALUE, 1, 2, 1u << 24, 5, 0);
	t.num = 8;
	assert_int_equal(tl_taint_apply(e, &t, &big_asset, 1, &err), -1);
	tl_taint_free(e);
	enum tl_taint_policy p;
	assert_int_equal(tl_taint_policy_parse("fifo", &p), 0);
	assert_int_equal(p, TL_TP_FIFO);
	assert_int_equal(tl_taint_policy_parse("tiho", &p), -1);
}

/* ---- mul-div against a naive model: 32-bit limbs, bit-by-bit ---- */
#define NL 18
typedef struct {
	uint32_t d[NL];
} nb;
static nb nb_from(const tl_uint256 *a)
{
	nb r = { { 0 } };
	for (int i = 0; i < 8; i++) r.d[i] = (uint32_t)(a->w[i / 2] >> (32 * (i % 2)));
	return r;
}
static nb nb_mul(const nb *a, const nb *b)
{
	nb r = { { 0 } };
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 8; j++) {
			uint64_t carry = (uint64_t)a->d[i] * b->d[j];
			for (int k = i + j; carry && k < NL; k++) {
				uint64_t s2 = (uint64_t)r.d[k] + (uint32_t)carry;
				r.d[k] = (uint32_t)s2;
				carry = (carry >> 32) + (s2 >> 32);
			}
		}
	return r;
}
static int nb_cmp(const nb *a, const nb *b)
{
	for (int i = NL - 1; i >= 0; i--)
		if (a->d[i] != b->d[i]) return a->d[i] < b->d[i] ? -1 : 1;
	return 0;
}
static void nb_sub(nb *a, const nb *b)
{
	int64_t br = 0;
	for (int i = 0; i < NL; i++) {
		int64_t v = (int64_t)a->d[i] - b->d[i] - br;
		br = v < 0;
		a->d[i] = (uint32_t)(v + (br ? (1ll << 32) : 0));
	}
}
static void nb_shl1(nb *a)
{
	for (int i = NL - 1; i > 0; i--) a->d[i] = (a->d[i] << 1) | (a->d[i - 1] >> 31);
	a->d[0] <<= 1;
}
/* floor(a / c), one bit at a time. */
static nb nb_div(const nb *a, const nb *c)
{
	nb q = { { 0 } }, r = { { 0 } };
	for (int bit = 32 * NL - 1; bit >= 0; bit--) {
		nb_shl1(&r);
		r.d[0] |= (a->d[bit / 32] >> (bit % 32)) & 1;
		if (nb_cmp(&r, c) >= 0) {
			nb_sub(&r, c);
			q.d[bit / 32] |= 1u << (bit % 32);
		}
	}
	return q;
}

static uint64_t rs;
static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}
/* A random value of a random width, often at an edge. */
static tl_uint256 rnd256(void)
{
	tl_uint256 v = { { rnd(), rnd(), rnd(), rnd() } };
	int bits = (int)(rnd() % 257);
	for (int i = 0; i < 4; i++) {
		int lo = 64 * i;
		if (bits <= lo) v.w[i] = 0;
		else if (bits < lo + 64) v.w[i] &= (1ull << (bits - lo)) - 1;
	}
	switch (rnd() % 8) {
	case 0: for (int i = 0; i < 4; i++) v.w[i] = bits > 64 * i ? ~0ull : 0; break; /* 2^k - 1 */
	case 1: memset(&v, 0, sizeof v); v.w[bits % 256 / 64] = 1ull << (bits % 64); break; /* 2^k */
	default: break;
	}
	return v;
}

static void test_muldiv(void **s)
{
	(void)s;
	const char *env = getenv("TL_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL);
	rs = seed * 2654435761u + 1;
	for (int it = 0; it < 20000; it++) {
		tl_uint256 a = rnd256(), b = rnd256(), c = rnd256(), q;
		if (rnd() % 3 == 0 && tl_uint256_cmp(&a, &c) > 0) { tl_uint256 t = a; a = c; c = t; } /* a <= c: haircut's shape */
		nb na = nb_from(&a), nbb = nb_from(&b), nc = nb_from(&c);
		nb p = nb_mul(&na, &nbb);
		int rc = tl_taint_muldiv(&a, &b, &c, &q);
		if (tl_uint256_is_zero(&c)) {
			if (rc != -1) fail_msg("seed %llu: division by zero accepted", (unsigned long long)seed);
			continue;
		}
		nb want = nb_div(&p, &nc);
		int fits = 1;
		for (int i = 8; i < NL; i++) fits &= want.d[i] == 0;
		if (!fits) {
			if (rc != -1) fail_msg("seed %llu it %d: overflow not reported", (unsigned long long)seed, it);
			continue;
		}
		nb got = nb_from(&q);
		if (rc != 0 || nb_cmp(&got, &want))
			fail_msg("seed %llu it %d: muldiv differs from the naive division", (unsigned long long)seed, it);
	}
	/* Fixed edges: (N * N) / N = N; (N * (N-1)) / N = N - 1; N*N/1 overflows. */
	tl_uint256 n = { { ~0ull, ~0ull, ~0ull, ~0ull } }, nm1 = n, one = tl_uint256_from_u64(1), q;
	nm1.w[0]--;
	assert_int_equal(tl_taint_muldiv(&n, &n, &n, &q), 0);
	assert_memory_equal(&q, &n, sizeof q);
	assert_int_equal(tl_taint_muldiv(&n, &nm1, &n, &q), 0);
	assert_memory_equal(&q, &nm1, sizeof q);
	assert_int_equal(tl_taint_muldiv(&n, &n, &one, &q), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_story1_haircut),   cmocka_unit_test(test_story1_fifo),
		cmocka_unit_test(test_story1_seniority), cmocka_unit_test(test_story1_poison),
		cmocka_unit_test(test_story2_haircut),   cmocka_unit_test(test_story2_fifo),
		cmocka_unit_test(test_story2_seniority), cmocka_unit_test(test_story2_poison),
		cmocka_unit_test(test_story3_wrap_failed), cmocka_unit_test(test_story4_cuts),
		cmocka_unit_test(test_story5_seed_merge), cmocka_unit_test(test_story6_unknown_prior),
		cmocka_unit_test(test_story7_edges),     cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_muldiv),          cmocka_unit_test(test_json), cmocka_unit_test(test_units),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
