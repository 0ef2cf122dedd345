/* The mainnet shape (--shape mainnet): ordinary transactions whose input
 * and output counts, joint, and output script types are drawn from the
 * distributions measured on the real 2021-24 blocks of the reference
 * sample (bench_shape; docs/simulator.md), spent by a large population
 * so that coins wait long before they are spent, with a few hot
 * addresses (exchange hot wallets, deposit addresses, services) that
 * receive a large share of the outputs. */
#include <stdlib.h>
#include <string.h>

#include "sim/internal.h"

#define DUST 1000u

/* Basis points of transactions by (inputs, outputs) bucket: rows inputs,
 * columns outputs, buckets 1..9, 10-19, 20-49, 50+. Measured by
 * `bench_shape <mainnet folder> 700000` over 11,028 transactions of
 * blocks 702861, 713126, 818677 and 832918. */
static const uint16_t joint_bp[12][12] = {
	{ 2739, 4357, 219, 111, 43, 58, 24, 15, 20, 94, 80, 41 },
	{ 277, 739, 65, 15, 1, 3, 1, 1, 2, 4, 6, 5 },
	{ 106, 180, 6, 6, 3, 0, 0, 0, 1, 4, 2, 4 },
	{ 54, 75, 4, 3, 5, 40, 57, 0, 0, 4, 1, 2 },
	{ 35, 54, 3, 2, 9, 15, 18, 0, 0, 0, 0, 1 },
	{ 24, 24, 2, 1, 0, 12, 4, 0, 2, 12, 0, 1 },
	{ 24, 15, 0, 0, 2, 3, 1, 1, 0, 2, 3, 2 },
	{ 13, 14, 0, 1, 0, 0, 1, 5, 0, 9, 0, 0 },
	{ 8, 4, 1, 1, 0, 1, 1, 0, 0, 4, 0, 1 },
	{ 31, 31, 7, 0, 0, 4, 1, 1, 0, 13, 7, 2 },
	{ 14, 22, 2, 1, 0, 1, 4, 0, 0, 0, 6, 3 },
	{ 32, 5, 0, 0, 1, 0, 3, 0, 0, 1, 2, 3 },
};

/* Output script types in basis points of outputs, same sample: P2PKH
 * 17.66%, P2SH 25.91% (written as P2SH-P2WPKH), P2WPKH 33.03% (+0.07%
 * bare multisig folded in), P2WSH 2.31% (2-of-3 multisig), P2TR 20.40%;
 * OP_RETURN (0.62% of outputs) is added per transaction. */
static const struct { uint8_t type; uint16_t bp; } type_bp[] = {
	{ OT_P2PKH, 1766 }, { OT_P2SH_P2WPKH, 2591 }, { OT_P2WPKH, 3310 }, { OT_P2WSH_MS, 231 }, { OT_P2TR, 2040 },
};

/* A count in bucket b (1..12 as in the table, index + 1). The tails are
 * skewed toward their low end so that their means come out near the
 * sample's (12.8 in 10-19, 27-31 in 20-49, 125-139 in 50+). */
static uint32_t draw_count(struct sim_rng *r, int b)
{
	if (b <= 9) return (uint32_t)b;
	if (b == 10) return 10 + (uint32_t)sim_rng_below(r, sim_rng_below(r, 10) + 1);
	if (b == 11) return 20 + (uint32_t)sim_rng_below(r, sim_rng_below(r, 30) + 1);
	return 50 + (uint32_t)sim_rng_below(r, sim_rng_below(r, 300) + 1);
}

static uint8_t draw_type(struct sim_rng *r)
{
	unsigned total = 0;
	for (size_t i = 0; i < sizeof type_bp / sizeof *type_bp; i++) total += type_bp[i].bp;
	unsigned x = (unsigned)sim_rng_below(r, total);
	for (size_t i = 0; i < sizeof type_bp / sizeof *type_bp; i++) {
		if (x < type_bp[i].bp) return type_bp[i].type;
		x -= type_bp[i].bp;
	}
	return OT_P2WPKH;
}

uint8_t sim_mainnet_key_type(uint64_t key)
{
	struct sim_rng r;
	sim_rng_seed(&r, key, 0x7e9);
	return draw_type(&r);
}

static void draw_shape(struct sim_rng *r, uint32_t *n_in, uint32_t *n_out)
{
	unsigned total = 0;
	for (int i = 0; i < 12; i++)
		for (int o = 0; o < 12; o++) total += joint_bp[i][o];
	unsigned x = (unsigned)sim_rng_below(r, total);
	for (int i = 0; i < 12; i++)
		for (int o = 0; o < 12; o++) {
			if (x < joint_bp[i][o]) {
				*n_in = draw_count(r, i + 1);
				*n_out = draw_count(r, o + 1);
				return;
			}
			x -= joint_bp[i][o];
		}
	*n_in = *n_out = 1;
}

void sim_mainnet_init(struct sim_state *st)
{
	/* merchants take payments on one reused address each: hot addresses */
	for (int m = 0; m < st->n_merch; m++) {
		struct sim_entity *e = &st->ent[st->first_merch + m];
		e->hot_type = draw_type(&st->rng);
		e->hot_key = sim_new_key(st, st->first_merch + m, e->hot_type);
	}
	st->recent_cap = 2 * st->p.txs_per_block + 16;
	st->recent = calloc(st->recent_cap, sizeof *st->recent);
	if (!st->recent) abort();
	for (uint32_t i = 0; i < st->recent_cap; i++) st->recent[i] = -1;
}

static int any_user(struct sim_state *st)
{
	return st->first_user + (int)sim_rng_below(&st->rng, (uint64_t)st->n_users);
}

/* A third of the spenders were paid recently (young coins), the rest are
 * anyone of a population of 40 per transaction of a block, whose coins
 * waited for as long as the chain is old. */
static int pick_user(struct sim_state *st)
{
	if (sim_rng_pct(&st->rng, 35)) {
		int u = st->recent[sim_rng_below(&st->rng, st->recent_cap)];
		if (u >= 0) return u;
	}
	return any_user(st);
}

static void note_recent(struct sim_state *st, int u)
{
	st->recent[st->recent_pos] = u;
	st->recent_pos = (st->recent_pos + 1) % st->recent_cap;
}

/* Adds an output to a recipient chosen the way mainnet's outputs are
 * spread: some to exchange deposit addresses (reused per customer), some
 * to a service's one hot address, most to users' fresh addresses. */
static void pay_someone(struct sim_state *st, int payer)
{
	unsigned r = (unsigned)sim_rng_below(&st->rng, 100);
	if (r < 15) {
		int x = st->first_exch + (int)sim_rng_below(&st->rng, (uint64_t)st->n_exch);
		uint8_t t;
		uint64_t k = sim_deposit_key(st, x, payer, &t);
		sim_pay(st, x, k, t, 0)->role = R_DEPOSIT;
		return;
	}
	if (r < 30) {
		int m = st->first_merch + (int)sim_rng_below(&st->rng, (uint64_t)st->n_merch);
		sim_pay(st, m, st->ent[m].hot_key, st->ent[m].hot_type, 0);
		return;
	}
	int u = any_user(st);
	struct sim_entity *e = &st->ent[u];
	note_recent(st, u);
	if (e->w.n && sim_rng_pct(&st->rng, 15)) { /* an address it used before */
		const struct sim_coin *c = &e->w.c[sim_rng_below(&st->rng, e->w.n)];
		sim_pay(st, u, c->key, c->type, 0);
		return;
	}
	uint8_t t = draw_type(&st->rng);
	sim_pay(st, u, sim_new_key(st, u, t), t, 0);
}

static void shuffle(struct sim_state *st)
{
	struct sim_tx *tx = &st->tx;
	for (size_t i = tx->n_out; i > 1; i--) {
		size_t j = (size_t)sim_rng_below(&st->rng, i);
		struct sim_txout t = tx->out[i - 1];
		tx->out[i - 1] = tx->out[j];
		tx->out[j] = t;
	}
}

/* Splits what the inputs hold, less the fee, over the outputs by random
 * weights, dropping outputs (never the first) while they would be dust.
 * Returns false if not even one output can be paid. */
static bool fill_values(struct sim_state *st, uint64_t in)
{
	struct sim_tx *tx = &st->tx;
	for (;;) {
		uint64_t fee = sim_fee(st);
		if (in > fee && in - fee >= (uint64_t)tx->n_out * 11 * DUST) {
			uint64_t avail = in - fee, w[4096], tot = 0, paid = 0;
			size_t n = tx->n_out < 4096 ? tx->n_out : 4096;
			tx->n_out = n;
			for (size_t i = 0; i < n; i++) tot += w[i] = sim_rng_range(&st->rng, 1, 10);
			for (size_t i = 0; i < n; i++) {
				uint64_t v = i + 1 == n ? avail - paid : avail * w[i] / tot;
				tx->out[i].value = v;
				paid += v;
			}
			return true;
		}
		if (tx->n_out <= 1) return false;
		tx->n_out--;
	}
}

/* Spends n_in coins of wallet w (random ones) into the scratch tx;
 * returns their total. */
static uint64_t take(struct sim_state *st, struct sim_wallet *w, uint32_t n_in)
{
	uint64_t in = 0;
	for (uint32_t i = 0; i < n_in && w->n; i++) {
		size_t j = (size_t)sim_rng_below(&st->rng, w->n);
		in += w->c[j].value;
		sim_spend_coin(st, w, j);
	}
	return in;
}

static bool finish(struct sim_state *st, uint64_t in, struct sim_wallet *back, uint8_t role, bool opret)
{
	if (!fill_values(st, in)) {
		st->tx.n_out = 0;
		sim_return_inputs(st, back, role);
		return false;
	}
	if (opret) { /* value 0: the fee estimate misses its few bytes, no more */
		struct sim_txout *o = sim_tx_add_out(&st->tx);
		size_t n = (size_t)sim_rng_range(&st->rng, 8, 40);
		o->value = 0;
		o->spk[0] = 0x6a;
		o->spk[1] = (uint8_t)n;
		sim_rng_bytes(&st->rng, o->spk + 2, n);
		o->spk_len = (uint8_t)(n + 2);
		o->owner = -1;
	}
	shuffle(st);
	sim_commit_tx(st, NULL);
	return true;
}

/* An exchange's batched payout from its hot wallet, change back to the
 * hot address. */
static bool batch_payout(struct sim_state *st, uint32_t n_in, uint32_t n_out)
{
	int x = st->first_exch + (int)sim_rng_below(&st->rng, (uint64_t)st->n_exch);
	struct sim_entity *e = &st->ent[x];
	if (!e->w.n) return false;
	sim_tx_reset(&st->tx);
	uint64_t in = take(st, &e->w, n_in);
	sim_pay(st, x, e->hot_key, e->hot_type, 0);
	for (uint32_t i = 1; i < n_out; i++) pay_someone(st, x);
	return finish(st, in, &e->w, R_NONE, false);
}

/* A consolidation by whoever holds the most coins among the hot wallets
 * (an exchange's unswept deposits, a service's takings): only they hold
 * the tens or hundreds of coins the 10+ input tail spends. */
static bool consolidate(struct sim_state *st, uint32_t n_in, uint32_t n_out)
{
	int who = -1;
	struct sim_wallet *w = NULL;
	for (int x = 0; x < st->n_exch; x++) {
		struct sim_entity *e = &st->ent[st->first_exch + x];
		if (!w || e->dep.n > w->n) { who = st->first_exch + x; w = &e->dep; }
	}
	for (int m = 0; m < st->n_merch; m++) {
		struct sim_entity *e = &st->ent[st->first_merch + m];
		if (e->w.n > w->n) { who = st->first_merch + m; w = &e->w; }
	}
	/* the 50+ tail takes what the fullest hot wallet holds past 50 */
	if (n_in >= 50 && w->n >= 50 && w->n < n_in) n_in = (uint32_t)w->n;
	if (w->n < n_in) return false;
	struct sim_entity *e = &st->ent[who];
	bool dep = w == &e->dep;
	sim_tx_reset(&st->tx);
	uint64_t in = take(st, w, n_in);
	sim_pay(st, who, e->hot_key, e->hot_type, 0);
	for (uint32_t i = 1; i < n_out; i++) {
		if (dep || i > 1) pay_someone(st, who);
		else sim_pay(st, who, sim_new_key(st, who, e->hot_type), e->hot_type, 0);
	}
	return finish(st, in, w, dep ? R_DEPOSIT : R_NONE, false);
}

bool sim_mainnet_tx(struct sim_state *st)
{
	uint32_t n_in, n_out;
	draw_shape(&st->rng, &n_in, &n_out);
	if (n_out >= 5 && n_in <= 3 && sim_rng_pct(&st->rng, 50) && batch_payout(st, n_in, n_out)) return true;
	if ((n_in >= 10 || (n_in >= 5 && n_out <= 2 && sim_rng_pct(&st->rng, 50))) && consolidate(st, n_in, n_out))
		return true;
	/* a user: prefer one holding enough coins for the drawn input count */
	int u = -1;
	size_t best = 0;
	for (int tries = 0; tries < 8; tries++) {
		int c = pick_user(st);
		size_t n = st->ent[c].w.n;
		if (n > best) { best = n; u = c; }
		if (n >= n_in) break;
	}
	if (u < 0) return false;
	struct sim_entity *e = &st->ent[u];
	sim_tx_reset(&st->tx);
	uint64_t reuse_key = 0;
	uint8_t reuse_type = 0;
	if (e->w.n) {
		const struct sim_coin *c = &e->w.c[sim_rng_below(&st->rng, e->w.n)];
		reuse_key = c->key;
		reuse_type = c->type;
	}
	uint64_t in = take(st, &e->w, n_in);
	if (n_out == 1 && sim_rng_pct(&st->rng, 40)) {
		/* consolidating to itself */
		uint8_t t = draw_type(&st->rng);
		sim_pay(st, u, sim_new_key(st, u, t), t, 0);
	} else {
		if (n_out >= 2) { /* change first: fill_values drops from the end */
			if (sim_rng_pct(&st->rng, 20)) sim_pay(st, u, reuse_key, reuse_type, 0);
			else {
				uint8_t t = draw_type(&st->rng);
				sim_pay(st, u, sim_new_key(st, u, t), t, 0);
			}
		}
		for (uint32_t i = n_out >= 2 ? 1 : 0; i < n_out; i++) pay_someone(st, u);
	}
	return finish(st, in, &e->w, R_NONE, sim_rng_below(&st->rng, 10000) < 197);
}
