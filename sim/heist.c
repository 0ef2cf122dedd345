/* The laundering script of each simulated heist, modelled on the public
 * record of DPRK thefts (see docs/simulator.md):
 *   before  the attacker buys some clean coins (exchange withdrawals)
 *   theft   the victim exchange's hot wallet is drained to 2 attacker addresses
 *   +1      split: each stolen coin is spread over 6..12 fresh addresses
 *   +2      plan: each split coin gets a role: peel chain, consolidation,
 *           CoinJoin (Whirlpool tx0 or Wasabi registration), direct
 *           cash-out later, or dormant
 *   then    peel chains hop once a block (a small payment to an exchange
 *           deposit or a fresh address, the large remainder onwards);
 *           consolidation mixes stolen and clean coins; CoinJoin outputs
 *           and other cash-out coins are deposited at several exchanges,
 *           spread over time; dormant coins are never moved.
 * Every step is recorded for the ground truth. */
#include <stdlib.h>
#include <string.h>

#include "sim/internal.h"

#define HDUST 1000u

void sim_heists_init(struct sim_state *st)
{
	uint32_t active = st->p.blocks - st->econ_start;
	st->n_heists = st->p.blocks >= 2000 ? 2 : 1;
	st->heists = calloc(st->n_heists, sizeof *st->heists);
	if (!st->heists) abort();
	for (uint32_t i = 0; i < st->n_heists; i++) {
		struct sim_heist *h = &st->heists[i];
		char id[48], name[64];
		snprintf(id, sizeof id, "attacker-%u", i + 1);
		snprintf(name, sizeof name, "Simulated DPRK laundering operator (heist %u)", i + 1);
		h->attacker = sim_entity_add(st, EK_ATTACKER, id, name, OT_P2WPKH);
		h->victim = st->first_exch + (int)(i % (uint32_t)st->n_exch);
		h->h_theft = st->econ_start + 8 + (active - 8) * (i + 1) / (st->n_heists + 3);
		snprintf(h->id, sizeof h->id, "sim-heist-%u", i + 1);
		snprintf(h->name, sizeof h->name, "Simulated exchange hot-wallet theft %u (%.40s)", i + 1,
			 st->ent[h->victim].name);
	}
}

void sim_heists_free(struct sim_state *st)
{
	for (uint32_t i = 0; i < st->n_heists; i++) {
		struct sim_heist *h = &st->heists[i];
		sim_strlist_free(&h->attacker_txs);
		sim_strlist_free(&h->coinjoins);
		for (uint32_t j = 0; j < h->n_peel; j++) sim_strlist_free(&h->peel[j]);
		free(h->peel);
		free(h->cash);
	}
	free(st->heists);
	st->heists = NULL;
}

static uint8_t attacker_type(struct sim_state *st)
{
	return sim_rng_pct(&st->rng, 75) ? OT_P2WPKH : OT_P2TR;
}

static struct sim_txout *pay_attacker(struct sim_state *st, struct sim_heist *h, uint16_t hid, uint64_t v, uint8_t role)
{
	uint8_t t = attacker_type(st);
	struct sim_txout *o = sim_pay(st, h->attacker, sim_new_key(st, h->attacker, t), t, v);
	o->role = role;
	o->heist = hid;
	return o;
}

/* A cash-out deposit output at a random exchange other than the victim. */
static struct sim_txout *pay_exchange(struct sim_state *st, struct sim_heist *h, uint64_t v, int *exch)
{
	int x;
	do x = st->first_exch + (int)sim_rng_below(&st->rng, (uint64_t)st->n_exch);
	while (x == h->victim && st->n_exch > 1);
	uint8_t t;
	uint64_t k = sim_deposit_key(st, x, h->attacker, &t);
	struct sim_txout *o = sim_pay(st, x, k, t, v);
	o->role = R_DEPOSIT;
	*exch = x;
	return o;
}

static void record_cashouts(struct sim_state *st, struct sim_heist *h, const char *txid)
{
	for (size_t i = 0; i < st->tx.n_out; i++) {
		const struct sim_txout *o = &st->tx.out[i];
		if (o->owner < 0 || st->ent[o->owner].kind != EK_EXCHANGE || o->role != R_DEPOSIT) continue;
		if (h->n_cash == h->cap_cash) {
			h->cap_cash = h->cap_cash ? 2 * h->cap_cash : 32;
			h->cash = realloc(h->cash, h->cap_cash * sizeof *h->cash);
			if (!h->cash) abort();
		}
		struct sim_cashout *c = &h->cash[h->n_cash++];
		memset(c, 0, sizeof *c);
		c->heist = (uint16_t)(h - st->heists);
		c->exchange = o->owner;
		memcpy(c->txid, txid, 65);
		c->vout = (uint32_t)i;
		c->value = o->value;
		c->height = st->height;
		sim_address_of(st, o->key, o->type, c->address);
	}
}

static void commit(struct sim_state *st, struct sim_heist *h, char txid[65])
{
	sim_commit_tx(st, txid);
	sim_strlist_add(&h->attacker_txs, txid);
	record_cashouts(st, h, txid);
}

static uint64_t fee(struct sim_state *st)
{
	return sim_fee(st);
}

static bool theft(struct sim_state *st, struct sim_heist *h, uint16_t hid)
{
	struct sim_entity *v = &st->ent[h->victim];
	if (v->w.n == 0) return false;
	uint64_t total = 0;
	for (size_t i = 0; i < v->w.n; i++) total += v->w.c[i].value;
	if (total < 20000000) return false; /* wait for a hot wallet worth robbing */
	sim_tx_reset(&st->tx);
	uint64_t in = 0;
	size_t k = v->w.n < 30 ? v->w.n : 30;
	/* drain the largest share: every coin while under 85% of the balance */
	while (k-- && v->w.n && in < total * 85 / 100) {
		in += v->w.c[v->w.n - 1].value;
		sim_spend_coin(st, &v->w, v->w.n - 1);
	}
	uint64_t a = (in - 50000) * 6 / 10;
	pay_attacker(st, h, hid, a, R_STOLEN);
	pay_attacker(st, h, hid, 0, R_STOLEN);
	uint64_t f = fee(st);
	st->tx.out[1].value = in - a - f;
	char txid[65];
	commit(st, h, txid);
	memcpy(h->theft_txid, txid, 65);
	h->stolen = in - f;
	sim_address_of(st, st->tx.out[0].key, st->tx.out[0].type, h->seed_address);
	sim_date(sim_block_time(st->height), h->date);
	return true;
}

static uint32_t split(struct sim_state *st, struct sim_heist *h, uint16_t hid)
{
	struct sim_entity *a = &st->ent[h->attacker];
	uint32_t made = 0;
	for (size_t i = 0; i < a->w.n;) {
		if (a->w.c[i].role != R_STOLEN || a->w.c[i].heist != hid) { i++; continue; }
		sim_tx_reset(&st->tx);
		uint64_t in = a->w.c[i].value;
		sim_spend_coin(st, &a->w, i);
		int n = (int)sim_rng_range(&st->rng, 6, 12);
		uint64_t wsum = 0, w[12];
		for (int j = 0; j < n; j++) wsum += w[j] = sim_rng_range(&st->rng, 50, 150);
		uint64_t avail = in - 60000, paid = 0;
		for (int j = 0; j < n; j++) {
			uint64_t v = j == n - 1 ? avail - paid : avail * w[j] / wsum;
			paid += v;
			pay_attacker(st, h, hid, v, R_SPLIT);
		}
		uint64_t f = fee(st);
		st->tx.out[st->tx.n_out - 1].value += 60000 - f;
		char txid[65];
		commit(st, h, txid);
		made++;
	}
	return made;
}

/* Gives every split coin a role; the schedule is scaled to the blocks left. */
static void plan(struct sim_state *st, struct sim_heist *h, uint16_t hid)
{
	struct sim_entity *a = &st->ent[h->attacker];
	uint32_t left = st->p.blocks > st->height ? st->p.blocks - st->height : 1;
	uint32_t n = 0;
	for (size_t i = 0; i < a->w.n; i++) {
		struct sim_coin *c = &a->w.c[i];
		if (c->role != R_SPLIT || c->heist != hid) continue;
		/* fixed first roles so every pattern appears even in a short chain */
		static const uint8_t first[] = { R_PEEL, R_MIX, R_CONSOL, R_PEEL, R_CASHOUT, R_DORMANT, R_MIX, R_PEEL };
		uint8_t role;
		if (n < sizeof first) role = first[n];
		else {
			unsigned x = (unsigned)sim_rng_below(&st->rng, 100);
			role = x < 30 ? R_PEEL : x < 50 ? R_MIX : x < 60 ? R_CONSOL : x < 85 ? R_CASHOUT : R_DORMANT;
		}
		n++;
		c->role = role;
		c->aux = st->height + 1;
		if (role == R_PEEL) {
			c->chain = h->n_peel++;
			h->peel = realloc(h->peel, h->n_peel * sizeof *h->peel);
			if (!h->peel) abort();
			memset(&h->peel[c->chain], 0, sizeof h->peel[c->chain]);
			c->hops = 0;
		} else if (role == R_CASHOUT) {
			c->aux = st->height + 2 + (uint32_t)sim_rng_below(&st->rng, left / 2 + 1);
		}
	}
	h->planned = true;
}

static uint32_t peel_max_hops(const struct sim_state *st, const struct sim_heist *h)
{
	uint32_t left = st->p.blocks > h->h_theft ? st->p.blocks - h->h_theft : 0;
	uint32_t m = left / 3;
	if (m > 10) m = 10;
	if (m < 3) m = 3;
	return m;
}

static uint32_t peel_hop(struct sim_state *st, struct sim_heist *h, uint16_t hid, size_t i)
{
	struct sim_entity *a = &st->ent[h->attacker];
	struct sim_coin c = a->w.c[i];
	sim_tx_reset(&st->tx);
	sim_spend_coin(st, &a->w, i);
	uint64_t in = c.value;
	bool last = (uint32_t)c.hops + 1 >= peel_max_hops(st, h) || st->height + 2 >= st->p.blocks || in < 400000;
	char txid[65];
	int x;
	if (last) { /* the end of the chain: everything to an exchange */
		struct sim_txout *o = pay_exchange(st, h, 0, &x);
		(void)o;
		uint64_t f = fee(st);
		st->tx.out[0].value = in - f;
	} else {
		uint64_t small = in * sim_rng_range(&st->rng, 2, 8) / 100;
		if (sim_rng_pct(&st->rng, 60)) pay_exchange(st, h, small, &x);
		else pay_attacker(st, h, hid, small, R_DORMANT);
		struct sim_txout *next = pay_attacker(st, h, hid, 0, R_PEEL);
		next->chain = c.chain;
		next->hops = (uint16_t)(c.hops + 1);
		next->aux = st->height + 1;
		uint64_t f = fee(st);
		st->tx.out[1].value = in - small - f;
		if (sim_rng_pct(&st->rng, 50)) { /* the large output is not always last */
			struct sim_txout t = st->tx.out[0];
			st->tx.out[0] = st->tx.out[1];
			st->tx.out[1] = t;
		}
	}
	commit(st, h, txid);
	sim_strlist_add(&h->peel[c.chain], txid);
	return 1;
}

static uint32_t consolidate(struct sim_state *st, struct sim_heist *h, uint16_t hid)
{
	struct sim_entity *a = &st->ent[h->attacker];
	sim_tx_reset(&st->tx);
	uint64_t in = 0;
	int tainted = 0, clean = 0;
	for (size_t i = 0; i < a->w.n;) {
		struct sim_coin *c = &a->w.c[i];
		bool take = (c->role == R_CONSOL && c->heist == hid) || (c->role == R_CLEAN && clean < 3);
		if (!take) { i++; continue; }
		if (c->role == R_CLEAN) clean++;
		else tainted++;
		in += c->value;
		sim_spend_coin(st, &a->w, i);
	}
	h->consolidated = true;
	if (!tainted) {
		/* nothing stolen to consolidate: put clean coins back untouched */
		for (size_t i = 0; i < st->tx.n_in; i++) {
			struct sim_coin c;
			memset(&c, 0, sizeof c);
			memcpy(c.txid, st->tx.in[i].txid, 32);
			c.vout = st->tx.in[i].vout;
			c.value = st->tx.in[i].value;
			c.key = st->tx.in[i].key;
			c.type = st->tx.in[i].type;
			c.role = R_CLEAN;
			sim_wallet_push(&a->w, &c);
		}
		sim_tx_reset(&st->tx);
		return 0;
	}
	uint32_t left = st->p.blocks > st->height ? st->p.blocks - st->height : 1;
	struct sim_txout *o = pay_attacker(st, h, hid, 0, R_CASHOUT);
	o->aux = st->height + 2 + (uint32_t)sim_rng_below(&st->rng, left / 2 + 1);
	uint64_t f = fee(st);
	st->tx.out[0].value = in - f;
	char txid[65];
	commit(st, h, txid);
	return 1;
}

static uint32_t mix(struct sim_state *st, struct sim_heist *h, uint16_t hid)
{
	struct sim_entity *a = &st->ent[h->attacker];
	uint32_t made = 0;
	bool whirl = true;
	for (size_t i = 0; i < a->w.n;) {
		struct sim_coin *c = &a->w.c[i];
		if (c->role != R_MIX || c->heist != hid || c->aux > st->height) { i++; continue; }
		struct sim_coin coin = *c;
		a->w.c[i] = a->w.c[--a->w.n];
		uint64_t each = SIM_WHIRLPOOL_DENOM + SIM_PREMIX_EXTRA;
		if (whirl && coin.value > each + SIM_WHIRLPOOL_FEE + 100000) {
			sim_tx_reset(&st->tx);
			sim_add_input(st, &coin);
			uint8_t t = attacker_type(st);
			uint64_t ck = sim_new_key(st, h->attacker, t);
			char txid[65];
			int n = sim_tx0(st, h->attacker, coin.value, 5, ck, t, R_PREMIX, hid, txid);
			if (n > 0) {
				sim_strlist_add(&h->attacker_txs, txid);
				made++;
			}
		} else if (coin.value > SIM_WASABI_DENOM + 50000) {
			coin.role = R_MIX;
			sim_wasabi_register(st, h->attacker, &coin);
		} else {
			coin.role = R_CASHOUT;
			coin.aux = st->height + 1;
			sim_wallet_push(&a->w, &coin);
		}
		whirl = !whirl;
	}
	return made;
}

static uint32_t cashouts(struct sim_state *st, struct sim_heist *h, uint16_t hid, uint32_t budget)
{
	struct sim_entity *a = &st->ent[h->attacker];
	uint32_t made = 0;
	uint32_t left = st->p.blocks > st->height ? st->p.blocks - st->height : 1;
	for (size_t i = 0; i < a->w.n && made < budget;) {
		struct sim_coin *c = &a->w.c[i];
		if (c->heist != hid || c->aux > st->height) { i++; continue; }
		if (c->role == R_POSTMIX && c->aux + 2 > st->height) { i++; continue; }
		if (c->role == R_POSTMIX && c->aux <= st->height) {
			/* wait a while after the mix, then cash out */
			c->role = R_CASHOUT;
			c->aux = st->height + 1 + (uint32_t)sim_rng_below(&st->rng, left / 3 + 1);
			i++;
			continue;
		}
		if (c->role != R_CASHOUT) { i++; continue; }
		uint64_t in = c->value;
		sim_tx_reset(&st->tx);
		sim_spend_coin(st, &a->w, i);
		int x;
		pay_exchange(st, h, 0, &x);
		uint64_t f = fee(st);
		if (in < f + HDUST) { sim_tx_reset(&st->tx); continue; }
		st->tx.out[0].value = in - f;
		char txid[65];
		commit(st, h, txid);
		made++;
	}
	return made;
}

uint32_t sim_heists_step(struct sim_state *st)
{
	uint32_t made = 0;
	for (uint32_t i = 0; i < st->n_heists; i++) {
		struct sim_heist *h = &st->heists[i];
		uint16_t hid = (uint16_t)(i + 1);
		uint32_t now = st->height;
		if (now + 6 == h->h_theft || now + 3 == h->h_theft) {
			/* the operator buys clean coins at an exchange other than the victim */
			int x = st->first_exch + (int)((i + 1 + (now + 3 == h->h_theft)) % (uint32_t)st->n_exch);
			if (x == h->victim) x = st->first_exch + (int)((i + 3) % (uint32_t)st->n_exch);
			if (sim_exchange_withdraw_to(st, x, h->attacker, sim_rng_range(&st->rng, 2000000, 30000000), R_CLEAN, 0))
				made++;
		}
		if (!h->theft_txid[0]) {
			if (now >= h->h_theft && now + 12 < st->p.blocks) {
				if (theft(st, h, hid)) {
					h->h_theft = now;
					made++;
				}
			}
			continue;
		}
		if (!h->split_done) {
			made += split(st, h, hid);
			h->split_done = true;
			continue;
		}
		if (!h->planned) {
			plan(st, h, hid);
			continue;
		}
		struct sim_entity *a = &st->ent[h->attacker];
		/* peel hops: one per chain per block */
		for (size_t j = 0; j < a->w.n;) {
			struct sim_coin *c = &a->w.c[j];
			if (c->role == R_PEEL && c->heist == hid && c->aux <= now && c->height < now) {
				made += peel_hop(st, h, hid, j);
				continue; /* slot j now holds another coin */
			}
			j++;
		}
		if (!h->consolidated && now >= h->h_theft + 4) made += consolidate(st, h, hid);
		made += mix(st, h, hid);
		made += cashouts(st, h, hid, 3);
	}
	return made;
}
