/* The Bybit-shaped laundering script (public accounts of the 21 Feb 2025
 * theft: a drain of a cold wallet to one exploiter account, a split to
 * about fifty accounts, staking tokens swapped to ETH on a DEX,
 * consolidation with clean funds, most of it bridged to Bitcoin through a
 * THORChain-style router, some through a mixer, some cashed out at
 * exchanges). Each heist is a small state machine advanced once per
 * block; every transaction it sends is recorded for truth.json. */
#include <stdlib.h>
#include <string.h>

#include "sim/eth_internal.h"

enum { ST_CLEAN, ST_GAS, ST_DRAIN, ST_SPLIT, ST_ROUTES };

#define MIX_DENOM (100 * ETHER)
#define HEIST_TXS_PER_BLOCK 60

struct hstate {            /* progress not needed in truth.json */
	int stage;
	uint64_t next;
	uint32_t split_paid;
	u128 split_share[64];
	bool stk_moved, inter_done, oper_done, consol_started;
	u128 consol_cash_left;
	uint32_t *cons_done;
	int32_t dep_cur; uint32_t dep_uses;
	uint8_t *pm_done;
};


static void list_add(struct eh_list *l, const struct eh_event *e)
{
	if (l->n + 1 > l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = realloc(l->v, l->cap * sizeof *l->v);
		if (!l->v) abort();
	}
	l->v[l->n++] = *e;
}

static void event_of_last(struct esim *s, struct eh_event *e, int32_t from, int32_t to, int asset, u128 amount)
{
	memset(e, 0, sizeof *e);
	memcpy(e->tx, s->b.tx[s->b.n_tx - 1].hash, 32);
	e->block = (uint32_t)s->b.number;
	e->from = from;
	e->to = to;
	e->asset = (uint8_t)asset;
	e->amount = amount;
}

void esim_heists_init(struct esim *s)
{
	s->n_h = s->p.heists;
	s->h = calloc(s->n_h ? s->n_h : 1, sizeof *s->h);
	if (!s->h) abort();
	for (uint32_t i = 0; i < s->n_h; i++) {
		struct eheist *h = &s->h[i];
		uint8_t hid = (uint8_t)(i + 1);
		snprintf(h->id, sizeof h->id, "sim-eth-heist-%u", i + 1);
		h->victim_ex = (int)(i % ESIM_EXCHANGES);
		snprintf(h->name, sizeof h->name, "Simulated cold-wallet drain %u (exchange-%d), Bybit-shaped", i + 1,
			 h->victim_ex + 1);
		h->victim = s->cold[h->victim_ex];
		h->exploiter = esim_account(s, K_ATTACKER, -1, hid);
		h->oper = esim_account(s, K_ATTACKER, -1, hid);
		h->inter = esim_account(s, K_ATTACKER, -1, hid);
		h->consol = esim_account(s, K_ATTACKER, -1, hid);
		h->n_split = 40 + (uint32_t)sim_rng_below(&s->rng, 16);
		h->split = calloc(h->n_split, sizeof *h->split);
		h->route = calloc(h->n_split, 1);
		h->split_left = calloc(h->n_split, sizeof *h->split_left);
		static const uint8_t fixed[] = { ROUTE_CONSOLIDATE, ROUTE_CONSOLIDATE, ROUTE_CONSOLIDATE, ROUTE_CONSOLIDATE,
						 ROUTE_BRIDGE, ROUTE_CASHOUT, ROUTE_MIX, ROUTE_DORMANT, ROUTE_BRIDGE,
						 ROUTE_CASHOUT, ROUTE_MIX };
		for (uint32_t j = 0; j < h->n_split; j++) {
			h->split[j] = esim_account(s, K_ATTACKER, -1, hid);
			unsigned r = (unsigned)sim_rng_below(&s->rng, 100);
			h->route[j] = j < sizeof fixed ? fixed[j]
				    : r < 55 ? ROUTE_BRIDGE : r < 75 ? ROUTE_CASHOUT : r < 85 ? ROUTE_MIX : ROUTE_DORMANT;
			h->split_left[j] = 30;
		}
		h->h_theft = (uint32_t)s->mint_block + 28 + 12 * i;
		struct hstate *st = h->run = calloc(1, sizeof *st);
		if (!st) abort();
		h->pm_cur = -1;
		st->stage = ST_CLEAN;
		st->next = h->h_theft - 8;
		st->cons_done = calloc(h->n_split, sizeof *st->cons_done);
		st->dep_cur = -1;
		if (!h->split || !h->route || !h->split_left || !st->cons_done) abort();
	}
}

void esim_heists_free(struct esim *s)
{
	for (uint32_t i = 0; i < s->n_h; i++) {
		struct eheist *h = &s->h[i];
		free(h->split);
		free(h->route);
		free(h->split_left);
		free(h->postmix);
		free(h->cashouts.v);
		free(h->bridged.v);
		free(h->mixed.v);
		free(h->unmixed.v);
		free(h->swaps.v);
		free(h->clean.v);
		free(h->txs.s);
		if (h->run) {
			free(h->run->cons_done);
			free(h->run->pm_done);
			free(h->run);
		}
	}
	free(s->h);
	s->h = NULL;
}

static int cash_exchange(struct esim *s, struct eheist *h)
{
	int e = (int)sim_rng_below(&s->rng, ESIM_EXCHANGES - 1);
	return e >= h->victim_ex ? e + 1 : e;
}

/* The attacker's deposit account to pay next: a fresh one every 1..3 uses. */
static int32_t next_deposit(struct esim *s, struct eheist *h, struct hstate *st)
{
	if (st->dep_cur < 0 || st->dep_uses == 0) {
		st->dep_cur = esim_deposit_account(s, cash_exchange(s, h), -1, (uint8_t)(h - s->h + 1));
		st->dep_uses = (uint32_t)sim_rng_range(&s->rng, 1, 3);
	}
	st->dep_uses--;
	return st->dep_cur;
}

static void cashout(struct esim *s, struct eheist *h, struct hstate *st, int32_t from, u128 v, uint8_t flag)
{
	int32_t d = next_deposit(s, h, st);
	u128 sent = v;
	int rc = v ? esim_pay_eth(s, from, d, v) : esim_send_all_eth(s, from, d, &sent);
	if (rc) { st->dep_uses++; return; }
	struct eh_event e;
	event_of_last(s, &e, from, d, A_ETH, sent);
	e.flag = flag;
	list_add(&h->cashouts, &e);
}

static void bridge(struct esim *s, struct eheist *h, int32_t from, u128 v)
{
	char memo[128], btc[96];
	esim_btc_address(s, btc);
	snprintf(memo, sizeof memo, "=:BTC.BTC:%s", btc);
	if (esim_router_deposit(s, from, v, memo)) return;
	struct eh_event e;
	event_of_last(s, &e, from, s->router, A_ETH, v);
	snprintf(e.memo, sizeof e.memo, "%s", memo);
	list_add(&h->bridged, &e);
}

static void mix(struct esim *s, struct eheist *h, int32_t from)
{
	if (esim_mixer_deposit(s, from)) return;
	struct eh_event e;
	event_of_last(s, &e, from, s->mixer, A_ETH, MIX_DENOM);
	list_add(&h->mixed, &e);
}

static u128 chunk(struct esim *s, uint64_t lo, uint64_t hi)
{
	return (u128)sim_rng_range(&s->rng, lo, hi) * ETHER + (u128)sim_rng_below(&s->rng, 1000000000) * 1000000000u;
}

static void route_split(struct esim *s, struct eheist *h, struct hstate *st, uint32_t j)
{
	int32_t a = h->split[j];
	u128 bal = s->a[a].bal[A_ETH];
	switch (h->route[j]) {
	case ROUTE_CONSOLIDATE:
		if (!st->cons_done[j] && esim_send_all_eth(s, a, h->consol, NULL) == 0) st->cons_done[j] = 1;
		break;
	case ROUTE_BRIDGE: {
		u128 c = chunk(s, 500, 3000);
		if (bal > c + ETHER) bridge(s, h, a, c);
		else if (bal > 2 * ETHER) bridge(s, h, a, bal - ETHER);
		break;
	}
	case ROUTE_CASHOUT: {
		u128 c = chunk(s, 20, 400);
		if (bal > c + ETHER) cashout(s, h, st, a, c, 0);
		else if (bal > ETHER / 10) cashout(s, h, st, a, 0, 0);
		break;
	}
	case ROUTE_MIX:
		if (h->split_left[j] && bal > MIX_DENOM + ETHER) {
			size_t before = h->mixed.n;
			mix(s, h, a);
			if (h->mixed.n > before) { h->split_left[j]--; h->notes_pending++; }
		}
		break;
	default:
		break;
	}
}

static void postmix(struct esim *s, struct eheist *h, struct hstate *st)
{
	/* withdraw up to two of the heist's notes at least 10 blocks old */
	int done = 0;
	for (size_t i = 0; i < s->n_notes && done < 2 && h->notes_pending; i++) {
		struct enote *n = &s->notes[i];
		if (n->spent || n->heist != (uint8_t)(h - s->h + 1) || n->block + 10 > s->b.number) continue;
		if (h->pm_cur < 0 || h->pm_uses == 0) {
			if (h->n_postmix + 1 > h->cap_postmix) {
				h->cap_postmix = h->cap_postmix ? h->cap_postmix * 2 : 16;
				h->postmix = realloc(h->postmix, h->cap_postmix * sizeof *h->postmix);
				st->pm_done = realloc(st->pm_done, h->cap_postmix);
				if (!h->postmix || !st->pm_done) abort();
			}
			h->pm_cur = esim_account(s, K_ATTACKER, -1, (uint8_t)(h - s->h + 1));
			st->pm_done[h->n_postmix] = 0;
			h->postmix[h->n_postmix++] = h->pm_cur;
			h->pm_uses = (uint32_t)sim_rng_range(&s->rng, 1, 3);
		}
		u128 before = s->a[h->pm_cur].bal[A_ETH];
		if (esim_mixer_withdraw(s, i, h->pm_cur)) break;
		struct eh_event e;
		event_of_last(s, &e, s->mixer, h->pm_cur, A_ETH, s->a[h->pm_cur].bal[A_ETH] - before);
		list_add(&h->unmixed, &e);
		h->notes_pending--;
		h->pm_uses--;
		done++;
	}
	/* a post-mix account that will get no more withdrawals cashes out */
	for (uint32_t k = 0; k < h->n_postmix; k++) {
		int32_t p = h->postmix[k];
		if (st->pm_done[k] || (p == h->pm_cur && h->pm_uses && h->notes_pending)) continue;
		if (s->a[p].bal[A_ETH] <= ETHER) continue;
		size_t before = h->cashouts.n;
		cashout(s, h, st, p, 0, 1);
		if (h->cashouts.n > before) st->pm_done[k] = 1;
	}
}

static void consolidation(struct esim *s, struct eheist *h, struct hstate *st)
{
	for (uint32_t j = 0; j < h->n_split; j++)
		if (h->route[j] == ROUTE_CONSOLIDATE && !st->cons_done[j]) return;
	if (!st->inter_done || !st->oper_done) return;
	int32_t c = h->consol;
	u128 bal = s->a[c].bal[A_ETH];
	if (!st->consol_started) {
		st->consol_started = true;
		st->consol_cash_left = bal / 100 * 15;
	}
	if (st->consol_cash_left > ETHER) {
		u128 v = chunk(s, 100, 500);
		if (v > st->consol_cash_left) v = st->consol_cash_left;
		size_t before = h->cashouts.n;
		cashout(s, h, st, c, v, 2);
		if (h->cashouts.n > before) st->consol_cash_left -= v;
		return;
	}
	u128 v = chunk(s, 2000, 6000);
	if (bal > v + ETHER) bridge(s, h, c, v);
	else if (bal > 2 * ETHER) bridge(s, h, c, bal - ETHER);
}

static void drain(struct esim *s, struct eheist *h)
{
	if (s->b.gas_used + 64000 + 81000 > s->b.gas_limit / 100 * 40) return; /* both drains in one block */
	uint8_t in[4 + 32 * 3] = { 0 };
	memcpy(in, s->s_exec, 4);
	esim_word_addr(in + 4, s->a[h->exploiter].addr);
	u128 eth = s->a[h->victim].bal[A_ETH] / 1000 * sim_rng_range(&s->rng, 880, 900);
	esim_word_u128(in + 36, eth);
	int top = esim_tx(s, h->exploiter, h->victim, 0, 64000, false, true, in, sizeof in);
	if (top < 0) return;
	memcpy(h->drain_tx[0], s->b.tx[s->b.n_tx - 1].hash, 32);
	esim_call(s, top, h->victim, h->exploiter, eth, true, NULL, 0);
	h->stolen[A_ETH] = eth;
	/* the staking tokens, if the cold wallet still holds any (a second
	 * heist on the same exchange finds none) */
	u128 stk = s->a[h->victim].bal[A_STK];
	if (stk) {
		esim_word_u128(in + 36, stk);
		top = esim_tx(s, h->exploiter, h->victim, 0, 81000, false, true, in, sizeof in);
		if (top < 0) { s->fault = "the second drain transaction does not fit its block"; return; }
		memcpy(h->drain_tx[1], s->b.tx[s->b.n_tx - 1].hash, 32);
		uint8_t call[68];
		memcpy(call, s->s_transfer, 4);
		esim_word_addr(call + 4, s->a[h->exploiter].addr);
		esim_word_u128(call + 36, stk);
		esim_call(s, top, h->victim, s->stk, 0, true, call, sizeof call);
		esim_token_move(s, A_STK, h->victim, h->exploiter, stk);
		h->stolen[A_STK] = stk;
	}
	h->happened = true;
	esim_date(s->b.time, h->date);
}

static void step(struct esim *s, uint32_t i)
{
	struct eheist *h = &s->h[i];
	struct hstate *st = h->run;
	uint64_t n = s->b.number;
	if (n < st->next) return;
	switch (st->stage) {
	case ST_CLEAN: {
		/* clean funds: a withdrawal from another exchange to the operator */
		int ex = (h->victim_ex + 1) % ESIM_EXCHANGES;
		u128 v = chunk(s, 300, 800);
		if (esim_pay_eth(s, s->hot[ex], h->oper, v)) return;
		struct eh_event e;
		event_of_last(s, &e, s->hot[ex], h->oper, A_ETH, v);
		list_add(&h->clean, &e);
		st->stage = ST_GAS;
		st->next = n + 3;
		return;
	}
	case ST_GAS:
		if (esim_pay_eth(s, h->oper, h->exploiter, 3 * ETHER)) return;
		if (esim_pay_eth(s, h->oper, h->inter, ETHER)) return; /* retried: more gas is harmless */
		st->stage = ST_DRAIN;
		st->next = h->h_theft > n ? h->h_theft : n + 1;
		return;
	case ST_DRAIN:
		drain(s, h);
		if (!h->happened) return;
		st->stage = ST_SPLIT;
		st->next = n + 1;
		return;
	case ST_SPLIT: {
		int32_t x = h->exploiter;
		if (!st->stk_moved) {
			if (s->a[x].bal[A_STK] && esim_token_transfer_tx(s, x, A_STK, h->inter, s->a[x].bal[A_STK])) return;
			st->stk_moved = true;
			u128 pot = s->a[x].bal[A_ETH] - 2 * ETHER, wsum = 0, w[64], paid = 0;
			for (uint32_t j = 0; j < h->n_split; j++) wsum += (w[j] = sim_rng_range(&s->rng, 80, 120));
			for (uint32_t j = 0; j < h->n_split; j++) {
				st->split_share[j] = j + 1 == h->n_split ? pot - paid : pot / wsum * w[j];
				paid += st->split_share[j];
			}
		}
		for (int k = 0; k < 25 && st->split_paid < h->n_split; k++) {
			if (esim_pay_eth(s, x, h->split[st->split_paid], st->split_share[st->split_paid])) return;
			st->split_paid++;
		}
		if (st->split_paid == h->n_split) {
			st->stage = ST_ROUTES;
			st->next = n + 1;
		}
		return;
	}
	default:
		break;
	}
	/* ST_ROUTES: everything below runs every block until nothing is left */
	uint64_t start = s->n_txs;
	int32_t in = h->inter;
	if (s->a[in].bal[A_STK]) {
		u128 c = s->a[in].bal[A_STK], out, lim = 15000 * ETHER + (u128)sim_rng_below(&s->rng, 5000) * ETHER;
		if (c > lim) c = lim;
		if (esim_swap(s, in, A_STK, c, A_ETH, &out) == 0) {
			struct eh_event e;
			event_of_last(s, &e, in, s->pool, A_STK, c);
			e.amount2 = out;
			list_add(&h->swaps, &e);
		}
	} else if (!st->inter_done && esim_send_all_eth(s, in, h->consol, NULL) == 0) {
		st->inter_done = true;
	}
	if (!st->oper_done && esim_send_all_eth(s, h->oper, h->consol, NULL) == 0) st->oper_done = true;
	for (uint32_t j = 0; j < h->n_split && s->n_txs - start < HEIST_TXS_PER_BLOCK; j++)
		route_split(s, h, st, j);
	consolidation(s, h, st);
	postmix(s, h, st);
}

void esim_heists_block(struct esim *s)
{
	size_t first = s->b.n_tx;
	/* the heists share the block's room: a different one goes first each block */
	for (uint32_t k = 0; k < s->n_h; k++) step(s, (uint32_t)((s->b.number + k) % s->n_h));
	for (size_t t = first; t < s->b.n_tx; t++) {
		uint8_t hf = s->a[s->b.tx[t].from].heist;
		if (!hf) continue;
		char hex[67];
		esim_hex(s->b.tx[t].hash, 32, hex);
		sim_strlist_add(&s->h[hf - 1].txs, hex);
	}
}
