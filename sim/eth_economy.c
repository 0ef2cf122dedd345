/* The Ethereum simulator's economy and main loop: users paying each
 * other ETH and an ERC-20 token, WETH, a DEX pool, exchanges with
 * per-customer deposit accounts swept to hot wallets, a fixed-denomination
 * mixer, a cross-chain router, failed transactions and EIP-1559 fees.
 * Block 1 pre-funds the initial accounts through EIP-4895 withdrawals,
 * block 2 mints the tokens; the economy runs from block 3. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bitcoin/address.h"
#include "sim/eth_internal.h"

#define T0 1740096000ull /* 2025-02-21 00:00:00 UTC; 12-second slots */
#define MIX_DENOM (100 * ETHER)

void tl_eth_sim_params_default(struct tl_eth_sim_params *p)
{
	memset(p, 0, sizeof *p);
	p->seed = 1;
	p->blocks = 300;
	p->txs_per_block = 50;
	p->heists = 1;
	p->mainnet = true;
	p->rpc = true;
}

void esim_date(uint64_t t, char out[11])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static int32_t pick_user(struct esim *s) { return s->users[sim_rng_below(&s->rng, s->n_users)]; }

static size_t user_index(struct esim *s, int32_t acct)
{
	/* users are created in account order: binary search */
	size_t lo = 0, hi = s->n_users;
	while (lo < hi) {
		size_t m = (lo + hi) / 2;
		if (s->users[m] < acct) lo = m + 1;
		else hi = m;
	}
	return lo;
}

static int32_t new_user(struct esim *s)
{
	int32_t a = esim_account(s, K_USER, -1, 0);
	if (s->n_users + 1 > s->cap_users) {
		s->cap_users = s->cap_users ? s->cap_users * 2 : 256;
		s->users = realloc(s->users, s->cap_users * sizeof *s->users);
		s->udep = realloc(s->udep, s->cap_users * ESIM_EXCHANGES * sizeof *s->udep);
		if (!s->users || !s->udep) abort();
	}
	for (int e = 0; e < ESIM_EXCHANGES; e++) s->udep[s->n_users * ESIM_EXCHANGES + (size_t)e] = -1;
	s->users[s->n_users++] = a;
	return a;
}

int32_t esim_deposit_account(struct esim *s, int ex, int32_t owner_user, uint8_t attacker_heist)
{
	if (owner_user >= 0) {
		size_t ui = user_index(s, owner_user);
		int32_t *d = &s->udep[ui * ESIM_EXCHANGES + (size_t)ex];
		if (*d < 0) *d = esim_account(s, K_DEPOSIT, ex, 0);
		return *d;
	}
	int32_t d = esim_account(s, K_DEPOSIT, ex, 0);
	s->a[d].attacker_dep = attacker_heist;
	return d;
}

static void queue_sweep(struct esim *s, int32_t dep)
{
	struct eacct *a = &s->a[dep];
	if (a->kind != K_DEPOSIT || a->pending) return;
	int ex = a->ex;
	if (s->n_pending[ex] + 1 > s->cap_pending[ex]) {
		s->cap_pending[ex] = s->cap_pending[ex] ? s->cap_pending[ex] * 2 : 64;
		s->pending[ex] = realloc(s->pending[ex], s->cap_pending[ex] * sizeof(int32_t));
		if (!s->pending[ex]) abort();
	}
	s->pending[ex][s->n_pending[ex]++] = dep;
	a->pending = 1;
}

/* ---- transaction kinds ------------------------------------------------ */

int esim_pay_eth(struct esim *s, int32_t from, int32_t to, u128 v)
{
	bool legacy = sim_rng_pct(&s->rng, 10);
	if (!esim_affords(s, from, v, 21000, legacy)) return -1;
	if (esim_tx(s, from, to, v, 21000, legacy, true, NULL, 0) < 0) return -1;
	queue_sweep(s, to);
	return 0;
}

/* Empties from's ETH into to with an exact legacy transaction. */
int esim_send_all_eth(struct esim *s, int32_t from, int32_t to, u128 *sent)
{
	u128 fee = esim_legacy_fee(s, 21000), bal = s->a[from].bal[A_ETH];
	if (bal <= fee) return -1;
	if (esim_tx(s, from, to, bal - fee, 21000, true, true, NULL, 0) < 0) return -1;
	queue_sweep(s, to);
	if (sent) *sent = bal - fee;
	return 0;
}

static void abi_transfer(struct esim *s, const uint8_t sel[4], int32_t to, u128 v, uint8_t in[68])
{
	memcpy(in, sel, 4);
	esim_word_addr(in + 4, s->a[to].addr);
	esim_word_u128(in + 36, v);
}

static uint64_t token_gas(struct esim *s) { return 34000 + 1000 * sim_rng_below(&s->rng, 18); }

int esim_token_transfer_tx(struct esim *s, int32_t from, int asset, int32_t to, u128 v)
{
	uint8_t in[68];
	uint64_t gas = token_gas(s);
	if (s->a[from].bal[asset] < v || !esim_affords(s, from, 0, gas, 0)) return -1;
	abi_transfer(s, s->s_transfer, to, v, in);
	int t = esim_tx(s, from, esim_asset_contract(s, asset), 0, gas, false, true, in, sizeof in);
	if (t < 0) return -1;
	esim_token_move(s, asset, from, to, v);
	queue_sweep(s, to);
	return 0;
}

/* Prices in wei per base unit, as fractions: ETH and WETH 1, the staking
 * token 0.9985 ETH, the token (6 decimals) 1/2700 ETH per unit. */
static const uint64_t px_num[A_N] = { 1, 1, 1000000000000ull, 9985 };
static const uint64_t px_den[A_N] = { 1, 1, 2700, 10000 };

int esim_swap(struct esim *s, int32_t from, int ain, u128 amount_in, int aout, u128 *out)
{
	if (!amount_in || amount_in >> 90) return -1;
	u128 o = amount_in * px_num[ain] * px_den[aout] * 997 / ((u128)px_den[ain] * px_num[aout] * 1000);
	if (!o || s->a[s->pool].bal[aout] < o || s->a[from].bal[ain] < amount_in) return -1;
	uint64_t gas = 110000 + 1000 * sim_rng_below(&s->rng, 60);
	u128 value = ain == A_ETH ? amount_in : 0;
	if (!esim_affords(s, from, value, gas, 0)) return -1;
	uint8_t in[4 + 32 * 4], w[5][32];
	memcpy(in, s->s_swap, 4);
	esim_word_addr(in + 4, ain == A_ETH ? s->a[s->zero].addr : s->a[esim_asset_contract(s, ain)].addr);
	esim_word_u128(in + 36, amount_in);
	esim_word_addr(in + 68, aout == A_ETH ? s->a[s->zero].addr : s->a[esim_asset_contract(s, aout)].addr);
	esim_word_u128(in + 100, o - o / 200); /* minimum out */
	int top = esim_tx(s, from, s->pool, value, gas, false, true, in, sizeof in);
	if (top < 0) return -1;
	uint8_t call[68];
	if (ain != A_ETH) {
		abi_transfer(s, s->s_transfer, s->pool, amount_in, call);
		esim_call(s, top, s->pool, esim_asset_contract(s, ain), 0, true, call, sizeof call);
		esim_token_move(s, ain, from, s->pool, amount_in);
	}
	if (aout == A_ETH) {
		esim_call(s, top, s->pool, from, o, true, NULL, 0);
	} else {
		abi_transfer(s, s->s_transfer, from, o, call);
		esim_call(s, top, s->pool, esim_asset_contract(s, aout), 0, true, call, sizeof call);
		esim_token_move(s, aout, s->pool, from, o);
	}
	memcpy(w[0], s->t_swap, 32);
	esim_word_addr(w[1], s->a[from].addr);
	uint8_t data[4 * 32];
	memcpy(data, in + 4, 32);
	memcpy(data + 32, in + 68, 32);
	esim_word_u128(data + 64, amount_in);
	esim_word_u128(data + 96, o);
	esim_log(s, s->pool, 2, (const uint8_t(*)[32])w, data, sizeof data);
	*out = o;
	return 0;
}

void esim_btc_address(struct esim *s, char out[96])
{
	uint8_t prog[20];
	sim_rng_bytes(&s->rng, prog, sizeof prog);
	if (tl_segwit_encode("bc", 0, prog, sizeof prog, out)) strcpy(out, "bc1qinvalid");
}

int esim_router_deposit(struct esim *s, int32_t from, u128 v, const char *memo)
{
	uint64_t gas = 52000 + 1000 * sim_rng_below(&s->rng, 10);
	if (!esim_affords(s, from, v, gas, 0)) return -1;
	size_t ml = strlen(memo), pad = (ml + 31) / 32 * 32;
	uint8_t in[4 + 32 * 5 + 128] = { 0 };
	memcpy(in, s->s_rdeposit, 4);
	esim_word_addr(in + 4, s->a[s->vault].addr);
	esim_word_addr(in + 36, s->a[s->zero].addr);
	esim_word_u128(in + 68, v);
	esim_word_u128(in + 100, 0x80);
	esim_word_u128(in + 132, ml);
	memcpy(in + 164, memo, ml);
	int top = esim_tx(s, from, s->router, v, gas, false, true, in, 164 + pad);
	if (top < 0) return -1;
	esim_call(s, top, s->router, s->vault, v, true, NULL, 0);
	uint8_t topics[3][32], data[32 * 3 + 128] = { 0 };
	memcpy(topics[0], s->t_rdeposit, 32);
	esim_word_addr(topics[1], s->a[s->vault].addr);
	esim_word_addr(topics[2], s->a[s->zero].addr);
	esim_word_u128(data, v);
	esim_word_u128(data + 32, 0x40);
	esim_word_u128(data + 64, ml);
	memcpy(data + 96, memo, ml);
	esim_log(s, s->router, 3, (const uint8_t(*)[32])topics, data, 96 + pad);
	return 0;
}

int esim_mixer_deposit(struct esim *s, int32_t from)
{
	uint64_t gas = 900000 + 1000 * sim_rng_below(&s->rng, 200);
	if (!esim_affords(s, from, MIX_DENOM, gas, 0)) return -1;
	uint8_t in[36], commit[32];
	sim_rng_bytes(&s->rng, commit, 32);
	memcpy(in, s->s_mdeposit, 4);
	memcpy(in + 4, commit, 32);
	if (esim_tx(s, from, s->mixer, MIX_DENOM, gas, false, true, in, sizeof in) < 0) return -1;
	uint8_t topics[2][32], data[64];
	memcpy(topics[0], s->t_mdeposit, 32);
	memcpy(topics[1], commit, 32);
	esim_word_u128(data, s->n_notes);
	esim_word_u128(data + 32, s->b.time);
	esim_log(s, s->mixer, 2, (const uint8_t(*)[32])topics, data, sizeof data);
	if (s->n_notes + 1 > s->cap_notes) {
		s->cap_notes = s->cap_notes ? s->cap_notes * 2 : 256;
		s->notes = realloc(s->notes, s->cap_notes * sizeof *s->notes);
		if (!s->notes) abort();
	}
	struct enote *n = &s->notes[s->n_notes++];
	memset(n, 0, sizeof *n);
	n->owner = from;
	n->heist = s->a[from].heist;
	n->block = (uint32_t)s->b.number;
	memcpy(n->commit, commit, 32);
	return 0;
}

/* A relayer withdraws note to `to`: denomination minus the relayer's fee. */
int esim_mixer_withdraw(struct esim *s, size_t note, int32_t to)
{
	uint64_t gas = 330000 + 1000 * sim_rng_below(&s->rng, 40);
	if (!esim_affords(s, s->relayer, 0, gas, 0)) return -1;
	u128 fee = ETHER / 10 + (u128)sim_rng_below(&s->rng, 400) * (ETHER / 1000);
	uint8_t in[4 + 32 * 4], null[32];
	sim_rng_bytes(&s->rng, null, 32);
	memcpy(in, s->s_mwithdraw, 4);
	memcpy(in + 4, null, 32);
	esim_word_addr(in + 36, s->a[to].addr);
	esim_word_addr(in + 68, s->a[s->relayer].addr);
	esim_word_u128(in + 100, fee);
	int top = esim_tx(s, s->relayer, s->mixer, 0, gas, false, true, in, sizeof in);
	if (top < 0) return -1;
	esim_call(s, top, s->mixer, to, MIX_DENOM - fee, true, NULL, 0);
	esim_call(s, top, s->mixer, s->relayer, fee, true, NULL, 0);
	uint8_t topics[2][32], data[96];
	memcpy(topics[0], s->t_mwithdrawal, 32);
	esim_word_addr(topics[1], s->a[s->relayer].addr);
	esim_word_addr(data, s->a[to].addr);
	memcpy(data + 32, null, 32);
	esim_word_u128(data + 64, fee);
	esim_log(s, s->mixer, 2, (const uint8_t(*)[32])topics, data, sizeof data);
	s->notes[note].spent = 1;
	queue_sweep(s, to);
	return 0;
}

static void wrap(struct esim *s, int32_t u)
{
	u128 v = s->a[u].bal[A_ETH] / 100 * sim_rng_range(&s->rng, 5, 40);
	if (!v || !esim_affords(s, u, v, 45000, 0)) return;
	int top = esim_tx(s, u, s->weth, v, 27938 + 1000 * sim_rng_below(&s->rng, 17), false, true, s->s_deposit, 4);
	if (top < 0) return;
	uint8_t topics[2][32], data[32];
	memcpy(topics[0], s->t_wdeposit, 32);
	esim_word_addr(topics[1], s->a[u].addr);
	esim_word_u128(data, v);
	esim_log(s, s->weth, 2, (const uint8_t(*)[32])topics, data, 32);
	esim_credit(s, u, A_WETH, v); /* minted: WETH's ETH balance backs it */
}

static void unwrap(struct esim *s, int32_t u)
{
	u128 v = s->a[u].bal[A_WETH];
	if (!v || !esim_affords(s, u, 0, 36000, 0)) return;
	if (sim_rng_pct(&s->rng, 50)) v = v / 2 + 1;
	uint8_t in[36];
	memcpy(in, s->s_withdraw, 4);
	esim_word_u128(in + 4, v);
	int top = esim_tx(s, u, s->weth, 0, 30000 + 1000 * sim_rng_below(&s->rng, 6), false, true, in, sizeof in);
	if (top < 0) return;
	uint8_t topics[2][32], data[32];
	memcpy(topics[0], s->t_wwithdrawal, 32);
	esim_word_addr(topics[1], s->a[u].addr);
	esim_word_u128(data, v);
	esim_log(s, s->weth, 2, (const uint8_t(*)[32])topics, data, 32);
	esim_debit(s, u, A_WETH, v);
	esim_call(s, top, s->weth, u, v, true, NULL, 0);
}

/* An exchange pays several customers in one call to a batch-payment
 * contract; with fail_one, one payment reverts (its recipient rejects
 * ETH) and the contract refunds it to the hot wallet in the same call. */
static void batch_withdrawal(struct esim *s, int ex, bool fail_one)
{
	int32_t hot = s->hot[ex];
	uint32_t k = (uint32_t)sim_rng_range(&s->rng, 3, 8), bad = fail_one ? (uint32_t)sim_rng_below(&s->rng, k) : k;
	int32_t to[8];
	u128 v[8], total = 0;
	for (uint32_t i = 0; i < k; i++) {
		to[i] = pick_user(s);
		v[i] = ETHER / 100 * sim_rng_range(&s->rng, 10, 2000);
		total += v[i];
	}
	uint64_t gas = 30000 + 9500 * k;
	if (!esim_affords(s, hot, total, gas, 0)) return;
	uint8_t in[4 + 32] = { 0 };
	memcpy(in, s->s_multisend, 4);
	esim_word_u128(in + 4, k);
	int top = esim_tx(s, hot, s->multisend, total, gas, false, true, in, sizeof in);
	if (top < 0) return;
	for (uint32_t i = 0; i < k; i++) esim_call(s, top, s->multisend, to[i], v[i], i != bad, NULL, 0);
	if (bad < k) esim_call(s, top, s->multisend, hot, v[bad], true, NULL, 0);
}

static void failed_tx(struct esim *s, int32_t u)
{
	unsigned r = (unsigned)sim_rng_below(&s->rng, 10);
	if (r < 4) { /* a token transfer of more than the sender holds: reverts */
		uint8_t in[68];
		abi_transfer(s, s->s_transfer, pick_user(s), s->a[u].bal[A_TKN] + 1 + sim_rng_below(&s->rng, 1000000000), in);
		if (esim_affords(s, u, 0, 30000, 0)) esim_tx(s, u, s->tkn, 0, 23000 + 1000 * sim_rng_below(&s->rng, 8), false, false, in, sizeof in);
	} else { /* a swap with ETH attached that fails its slippage check: the value stays */
		u128 v = s->a[u].bal[A_ETH] / 100 * sim_rng_range(&s->rng, 1, 20);
		uint8_t in[4 + 32 * 4] = { 0 };
		memcpy(in, s->s_swap, 4);
		esim_word_u128(in + 36, v);
		if (r >= 8) { /* or a payment into the batch contract, which rejects plain ETH */
			if (v && esim_affords(s, u, v, 23000, 0)) esim_tx(s, u, s->multisend, v, 22100, false, false, NULL, 0);
			return;
		}
		if (v && esim_affords(s, u, v, 60000, 0)) esim_tx(s, u, s->pool, v, 40000 + 1000 * sim_rng_below(&s->rng, 20), false, false, in, sizeof in);
	}
}

static void mixer_user(struct esim *s)
{
	/* a withdrawal of the oldest unspent user note at least 5 blocks old, or a deposit */
	if (sim_rng_pct(&s->rng, 50)) {
		for (size_t i = 0; i < s->n_notes; i++) {
			struct enote *n = &s->notes[i];
			if (n->spent || n->heist || n->block + 5 > s->b.number) continue;
			int32_t to = sim_rng_pct(&s->rng, 70) ? new_user(s) : pick_user(s);
			esim_mixer_withdraw(s, i, to);
			return;
		}
	}
	for (int tries = 0; tries < 8; tries++) {
		int32_t u = pick_user(s);
		if (s->a[u].bal[A_ETH] > MIX_DENOM + ETHER) {
			esim_mixer_deposit(s, u);
			return;
		}
	}
}

static void ordinary_tx(struct esim *s)
{
	int32_t u = pick_user(s);
	/* no pointer into s->a: creating an account (a new user, a deposit
	 * account) may move the array */
#define BAL(asset) (s->a[u].bal[asset])
	unsigned r = (unsigned)sim_rng_below(&s->rng, 100);
	if (r < 37 || r >= 95) {
		int32_t to = sim_rng_pct(&s->rng, 4) ? new_user(s) : pick_user(s);
		u128 v = BAL(A_ETH) / 1000 * sim_rng_range(&s->rng, 10, 300);
		if (v && to != u) esim_pay_eth(s, u, to, v);
	} else if (r < 52) {
		int32_t to = pick_user(s);
		u128 v = BAL(A_TKN) / 100 * sim_rng_range(&s->rng, 1, 40);
		if (v && to != u) esim_token_transfer_tx(s, u, A_TKN, to, v);
	} else if (r < 60) {
		int ex = (int)sim_rng_below(&s->rng, ESIM_EXCHANGES);
		int32_t d = esim_deposit_account(s, ex, u, 0);
		if (sim_rng_pct(&s->rng, 70)) {
			u128 v = BAL(A_ETH) / 100 * sim_rng_range(&s->rng, 10, 60);
			if (v) esim_pay_eth(s, u, d, v);
		} else {
			u128 v = BAL(A_TKN) / 100 * sim_rng_range(&s->rng, 10, 80);
			if (v) esim_token_transfer_tx(s, u, A_TKN, d, v);
		}
	} else if (r < 65) {
		int ex = (int)sim_rng_below(&s->rng, ESIM_EXCHANGES);
		if (sim_rng_pct(&s->rng, 75))
			esim_pay_eth(s, s->hot[ex], u, ETHER / 100 * sim_rng_range(&s->rng, 10, 2000));
		else
			esim_token_transfer_tx(s, s->hot[ex], A_TKN, u, (u128)sim_rng_range(&s->rng, 50, 20000) * 1000000u);
	} else if (r < 66) {
		batch_withdrawal(s, (int)sim_rng_below(&s->rng, ESIM_EXCHANGES), sim_rng_pct(&s->rng, 40));
	} else if (r < 71) {
		wrap(s, u);
	} else if (r < 74) {
		unwrap(s, u);
	} else if (r < 76) {
		u128 v = BAL(A_WETH) / 2;
		if (v) esim_token_transfer_tx(s, u, A_WETH, pick_user(s), v);
	} else if (r < 85) {
		unsigned k = (unsigned)sim_rng_below(&s->rng, 100);
		u128 out;
		if (k < 35) esim_swap(s, u, A_ETH, BAL(A_ETH) / 100 * sim_rng_range(&s->rng, 2, 30), A_TKN, &out);
		else if (k < 70) esim_swap(s, u, A_TKN, BAL(A_TKN) / 100 * sim_rng_range(&s->rng, 5, 60), A_ETH, &out);
		else if (k < 80) esim_swap(s, u, A_ETH, BAL(A_ETH) / 100 * sim_rng_range(&s->rng, 2, 30), A_STK, &out);
		else esim_swap(s, u, A_STK, BAL(A_STK) / 100 * sim_rng_range(&s->rng, 10, 100), A_ETH, &out);
	} else if (r < 88) {
		failed_tx(s, u);
	} else if (r < 89) {
		mixer_user(s);
	} else if (r < 90) {
		char memo[128], btc[96];
		esim_btc_address(s, btc);
		snprintf(memo, sizeof memo, "=:BTC.BTC:%s", btc);
		u128 v = BAL(A_ETH) / 100 * sim_rng_range(&s->rng, 5, 50);
		if (v) esim_router_deposit(s, u, v, memo);
	} else {
		/* a validator sells what its fees and withdrawals brought */
		int32_t val = s->validators[sim_rng_below(&s->rng, 8)];
		u128 v = s->a[val].bal[A_ETH] / 2;
		if (v > ETHER / 10) esim_pay_eth(s, val, pick_user(s), v);
	}
}
#undef BAL

/* Sweeps of up to 20 queued deposit accounts into the hot wallet: tokens
 * first (topping up gas from the hot wallet when the account has none),
 * then all the ETH with an exact legacy transaction. */
static void sweeps(struct esim *s, int ex)
{
	size_t keep = 0, done = 0;
	for (size_t i = 0; i < s->n_pending[ex]; i++) {
		int32_t d = s->pending[ex][i];
		struct eacct *a = &s->a[d]; /* no account is created below */
		if (done >= 20) { s->pending[ex][keep++] = d; continue; }
		done++;
		if (a->bal[A_TKN]) {
			if (!esim_affords(s, d, 0, 52000, 0)) {
				u128 top = (u128)78000 * (2 * s->b.base_fee + 2000000000ull) * 2;
				esim_pay_eth(s, s->hot[ex], d, top);
				s->pending[ex][keep++] = d;
				continue;
			}
			esim_token_transfer_tx(s, d, A_TKN, s->hot[ex], a->bal[A_TKN]);
		}
		if (a->bal[A_ETH] > esim_legacy_fee(s, 21000) * 3) esim_send_all_eth(s, d, s->hot[ex], NULL);
		if (a->bal[A_TKN]) s->pending[ex][keep++] = d;
		else a->pending = 0;
	}
	s->n_pending[ex] = keep;
}

/* ---- blocks --------------------------------------------------------- */

static void add_withdrawal(struct esim *s, int32_t acct, uint64_t gwei)
{
	if (s->prefunding) { /* queued: emitted PREFUND_PER_BLOCK a block */
		if (s->n_pf + 1 > s->cap_pf) {
			s->cap_pf = s->cap_pf ? s->cap_pf * 2 : 256;
			s->pf = realloc(s->pf, s->cap_pf * sizeof *s->pf);
			if (!s->pf) abort();
		}
		s->pf[s->n_pf++] = (struct ewd){ 0, 0, acct, gwei };
		return;
	}
	struct eblock *b = &s->b;
	if (b->n_wd + 1 > b->cap_wd) {
		b->cap_wd = b->cap_wd ? b->cap_wd * 2 : 64;
		b->wd = realloc(b->wd, b->cap_wd * sizeof *b->wd);
		if (!b->wd) abort();
	}
	struct ewd *w = &b->wd[b->n_wd++];
	w->index = s->wd_index++;
	w->validator = 500000 + w->index % 4096;
	w->acct = acct;
	w->gwei = gwei;
}

static void begin_block(struct esim *s, uint64_t number)
{
	struct eblock *b = &s->b;
	if (number) {
		memcpy(b->parent, b->hash, 32);
		/* EIP-1559: the base fee moves by up to 1/8 towards the gas target */
		uint64_t target = b->gas_limit / 2, base = b->base_fee;
		if (b->gas_used > target) {
			u128 d = (u128)base * (b->gas_used - target) / target / 8;
			b->base_fee = base + (d ? (uint64_t)d : 1);
		} else if (b->gas_used < target) {
			b->base_fee = base - (uint64_t)((u128)base * (target - b->gas_used) / target / 8);
		}
	} else {
		memset(b->parent, 0, 32);
		b->base_fee = 10 * GWEI;
	}
	b->number = number;
	b->time = T0 + 12 * number;
	b->miner = s->validators[sim_rng_below(&s->rng, 8)];
	/* sized so that the economy's demand sits near the gas target; block 2
	 * (one batch mint per token) gets twice what its mints burn */
	b->gas_limit = number == s->mint_block ? 2 * (80000 + 30000 * (uint64_t)(s->n_users + 2 * ESIM_EXCHANGES + 1))
				   : (uint64_t)s->p.txs_per_block * 90000 + 2000000;
	b->gas_used = 0;
	b->legacy_prio = sim_rng_range(&s->rng, 100000000ull, 1500000000ull);
	b->n_tx = b->n_tr = b->n_lg = b->n_wd = b->n_bytes = 0;
}

/* The pre-funding withdrawals, at most PREFUND_PER_BLOCK per block from
 * block 1 on (a real block carries 16; one huge field would be unlike
 * any export). */
#define PREFUND_PER_BLOCK 512

static void prefund(struct esim *s)
{
	struct sim_rng *r = &s->rng;
	s->prefunding = true;
	for (size_t i = 0; i < s->n_users; i++) {
		uint64_t eth = sim_rng_pct(r, 5) ? sim_rng_range(r, 500, 5000) : sim_rng_range(r, 1, 60);
		add_withdrawal(s, s->users[i], eth * GWEI + sim_rng_below(r, GWEI));
	}
	for (int e = 0; e < ESIM_EXCHANGES; e++) {
		add_withdrawal(s, s->hot[e], 60000 * GWEI);
		add_withdrawal(s, s->cold[e], sim_rng_range(r, 440000, 460000) * GWEI + sim_rng_below(r, GWEI));
	}
	add_withdrawal(s, s->pool, 400000 * GWEI);
	add_withdrawal(s, s->relayer, 50 * GWEI);
	add_withdrawal(s, s->issuer, 10 * GWEI);
	for (int v = 0; v < 8; v++) add_withdrawal(s, s->validators[v], 32 * GWEI);
	s->prefunding = false;
}

/* Blocks 1..prefund_blocks carry the pre-funding, the next one the mints. */
static uint64_t prefund_blocks(struct esim *s)
{
	size_t n = s->n_users + 2 * ESIM_EXCHANGES + 3 + 8;
	return (n + PREFUND_PER_BLOCK - 1) / PREFUND_PER_BLOCK;
}

/* Mints in transactions of at most 200 holders each. */
static void mint(struct esim *s, int asset, const int32_t *to, const u128 *v, size_t n)
{
	for (size_t i = 0; i < n; i += 200) {
		size_t k = n - i < 200 ? n - i : 200;
		uint8_t in[4 + 32] = { 0 };
		memcpy(in, s->s_mint, 4);
		esim_word_u128(in + 4, k);
		if (esim_tx(s, s->issuer, esim_asset_contract(s, asset), 0, 40000 + 30000 * k, false, true, in, sizeof in) < 0) {
			s->fault = "a minting transaction does not fit its block";
			return;
		}
		for (size_t j = i; j < i + k; j++) esim_token_move(s, asset, s->zero, to[j], v[j]);
	}
}

static void mints(struct esim *s)
{
	size_t n = s->n_users + 2 * ESIM_EXCHANGES + 1;
	int32_t *to = malloc(n * sizeof *to);
	u128 *v = malloc(n * sizeof *v);
	if (!to || !v) abort();
	size_t k = 0;
	for (size_t i = 0; i < s->n_users; i++) {
		to[k] = s->users[i];
		v[k++] = (u128)sim_rng_range(&s->rng, 100, 50000) * 1000000u;
	}
	for (int e = 0; e < ESIM_EXCHANGES; e++) { to[k] = s->hot[e]; v[k++] = (u128)20000000 * 1000000u; }
	to[k] = s->pool; v[k++] = (u128)500000000 * 1000000u;
	mint(s, A_TKN, to, v, k);
	k = 0;
	for (int e = 0; e < ESIM_EXCHANGES; e++) { to[k] = s->cold[e]; v[k++] = (u128)sim_rng_range(&s->rng, 85000, 95000) * ETHER; }
	to[k] = s->pool; v[k++] = (u128)300000 * ETHER;
	for (size_t i = 0; i < s->n_users && k < n; i += 4) { to[k] = s->users[i]; v[k++] = (u128)sim_rng_range(&s->rng, 1, 200) * ETHER; }
	mint(s, A_STK, to, v, k);
	free(to);
	free(v);
}

static int end_block(struct esim *s)
{
	struct eblock *b = &s->b;
	/* withdrawals are credited after the transactions (EIP-4895) */
	for (size_t i = 0; i < b->n_wd; i++) {
		esim_credit(s, b->wd[i].acct, A_ETH, (u128)b->wd[i].gwei * GWEI);
		esim_flow(s, A_ETH, -1, b->wd[i].acct, (u128)b->wd[i].gwei * GWEI);
		s->minted_eth += (u128)b->wd[i].gwei * GWEI;
	}
	if (s->fault) return tl_err_set(s->err, "block %llu: %s", (unsigned long long)b->number, s->fault);
	return esim_out_block(s);
}

static void init_names(struct esim *s)
{
#define TOPIC(f, sig) tl_keccak256(sig, strlen(sig), s->f)
	TOPIC(t_transfer, "Transfer(address,address,uint256)");
	TOPIC(t_wdeposit, "Deposit(address,uint256)");
	TOPIC(t_wwithdrawal, "Withdrawal(address,uint256)");
	TOPIC(t_mdeposit, "Deposit(bytes32,uint32,uint256)");
	TOPIC(t_mwithdrawal, "Withdrawal(address,bytes32,address,uint256)");
	TOPIC(t_rdeposit, "Deposit(address,address,uint256,string)");
	TOPIC(t_swap, "Swap(address,address,address,uint256,uint256)");
#undef TOPIC
	esim_selector("transfer(address,uint256)", s->s_transfer);
	esim_selector("deposit()", s->s_deposit);
	esim_selector("withdraw(uint256)", s->s_withdraw);
	esim_selector("swap(address,uint256,address,uint256)", s->s_swap);
	esim_selector("deposit(bytes32)", s->s_mdeposit);
	esim_selector("withdraw(bytes32,address,address,uint256)", s->s_mwithdraw);
	esim_selector("deposit(address,address,uint256,string)", s->s_rdeposit);
	esim_selector("multisend(uint256)", s->s_multisend);
	esim_selector("execTransaction(address,uint256,bytes)", s->s_exec);
	esim_selector("mint(uint256)", s->s_mint);
}

static void init_accounts(struct esim *s)
{
	static const uint8_t weth[20] = { 0xc0, 0x2a, 0xaa, 0x39, 0xb2, 0x23, 0xfe, 0x8d, 0x0a, 0x0e,
					  0x5c, 0x4f, 0x27, 0xea, 0xd9, 0x08, 0x3c, 0x75, 0x6c, 0xc2 };
	static const uint8_t zero[20] = { 0 };
	s->zero = esim_account_at(s, zero, K_ZERO);
	s->weth = esim_account_at(s, weth, K_CONTRACT);
	s->tkn = esim_account(s, K_CONTRACT, -1, 0);
	s->stk = esim_account(s, K_CONTRACT, -1, 0);
	s->pool = esim_account(s, K_CONTRACT, -1, 0);
	s->mixer = esim_account(s, K_CONTRACT, -1, 0);
	s->router = esim_account(s, K_CONTRACT, -1, 0);
	s->multisend = esim_account(s, K_CONTRACT, -1, 0);
	s->vault = esim_account(s, K_VAULT, -1, 0);
	s->relayer = esim_account(s, K_RELAYER, -1, 0);
	s->issuer = esim_account(s, K_ISSUER, -1, 0);
	for (int e = 0; e < ESIM_EXCHANGES; e++) {
		s->hot[e] = esim_account(s, K_HOT, e, 0);
		s->cold[e] = esim_account(s, K_COLD, e, 0);
	}
	for (int v = 0; v < 8; v++) s->validators[v] = esim_account(s, K_VALIDATOR, -1, 0);
	size_t nu = 40 + 4 * (size_t)s->p.txs_per_block;
	for (size_t i = 0; i < nu; i++) new_user(s);
}

static void free_state(struct esim *s)
{
	esim_heists_free(s);
	free(s->a);
	free(s->users);
	free(s->udep);
	for (int e = 0; e < ESIM_EXCHANGES; e++) free(s->pending[e]);
	free(s->notes);
	free(s->pf);
	free(s->bloom_cache);
	free(s->b.tx);
	free(s->b.tr);
	free(s->b.lg);
	free(s->b.wd);
	free(s->b.bytes);
}

int tl_eth_sim_run(const char *dir, const struct tl_eth_sim_params *p, struct tl_eth_sim_stats *stats,
		   struct tl_err *err)
{
	if (p->blocks < TL_ETH_SIM_MIN_BLOCKS)
		return tl_err_set(err, "--blocks must be at least %u (the heists need room)", TL_ETH_SIM_MIN_BLOCKS);
	if (p->txs_per_block < 1 || p->txs_per_block > 5000) return tl_err_set(err, "--txs-per-block must be 1..5000");
	if (p->heists > TL_ETH_SIM_MAX_HEISTS) return tl_err_set(err, "--heists must be 0..%u", TL_ETH_SIM_MAX_HEISTS);
	if (mkdir(dir, 0777) && errno != EEXIST) return tl_err_set(err, "cannot create %s: %s", dir, strerror(errno));
	char path[4200];
	struct stat sb;
	snprintf(path, sizeof path, "%s/blocks.csv", dir);
	if (stat(path, &sb) == 0) return tl_err_set(err, "%s already exists: refusing to overwrite a simulation", path);
	struct esim *s = calloc(1, sizeof *s);
	if (!s) return tl_err_set(err, "out of memory");
	s->p = *p;
	s->err = err;
	s->bloom_cache = calloc(ESIM_BLOOM_CACHE, sizeof *s->bloom_cache);
	if (!s->bloom_cache) {
		free(s);
		return tl_err_set(err, "out of memory");
	}
	sim_rng_seed(&s->rng, p->seed, 0x657468);
	init_names(s);
	init_accounts(s);
	prefund(s);
	s->mint_block = 1 + prefund_blocks(s);
	esim_heists_init(s);
	int rc = esim_out_open(s, dir);
	for (uint64_t n = 0; !rc && n <= p->blocks; n++) {
		begin_block(s, n);
		if (n >= 1 && n < s->mint_block) {
			for (int k = 0; k < PREFUND_PER_BLOCK && s->pf_next < s->n_pf; k++, s->pf_next++)
				add_withdrawal(s, s->pf[s->pf_next].acct, s->pf[s->pf_next].gwei);
		} else if (n == s->mint_block) {
			mints(s);
		} else if (n > s->mint_block) {
			/* Demand is gas: ordinary transactions until the block holds
			 * 70..130% of the gas target, less when the base fee is high,
			 * more when it is low, which keeps it near 3..30 gwei. */
			uint64_t target = s->b.gas_limit / 2, bf = s->b.base_fee;
			uint64_t want = target / 100 * (70 + sim_rng_below(&s->rng, 61));
			if (bf > 40 * GWEI) want = want / 10 * 7;
			else if (bf > 20 * GWEI) want = want / 10 * 9;
			else if (bf < 3 * GWEI) want = want / 100 * 125;
			else if (bf < 6 * GWEI) want = want / 100 * 110;
			uint64_t cap = 4 * (uint64_t)p->txs_per_block;
			for (uint64_t i = 0; i < cap && s->b.gas_used < want / 2; i++) ordinary_tx(s);
			esim_heists_block(s);
			for (int e = 0; e < ESIM_EXCHANGES; e++)
				if (sim_rng_pct(&s->rng, 30)) sweeps(s, e);
			for (uint64_t i = 0; i < cap && s->b.gas_used < want; i++) ordinary_tx(s);
			for (int k = 0; k < 4; k++)
				add_withdrawal(s, s->validators[sim_rng_below(&s->rng, 8)],
					       sim_rng_pct(&s->rng, 2) ? 32 * GWEI : sim_rng_range(&s->rng, 12000000, 20000000));
		}
		rc = end_block(s);
		if (!rc && p->progress) p->progress(p->progress_ctx, (uint32_t)n, p->blocks, s->n_txs);
	}
	uint64_t csv = 0, rpc = 0;
	if (esim_out_close(s, &csv, &rpc) && !rc) rc = tl_err_set(err, "cannot write the export in %s: %s", dir, strerror(errno));
	if (!rc) rc = esim_write_truth(s, dir);
	if (!rc && stats) {
		memset(stats, 0, sizeof *stats);
		stats->tip = p->blocks;
		stats->txs = s->n_txs;
		stats->failed = s->n_failed;
		stats->traces = s->n_traces;
		stats->logs = s->n_logs;
		stats->token_transfers = s->n_tt;
		stats->accounts = s->n_a;
		stats->csv_bytes = csv;
		stats->rpc_bytes = rpc;
	}
	free_state(s);
	free(s);
	return rc;
}
