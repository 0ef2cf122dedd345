/* The simulated economy and the main loop: miners, users, exchanges,
 * merchants and a CoinJoin coordinator, their wallets (unspent coins
 * only), the assembly of each block (coinbase with BIP34 height and
 * witness commitment, merkle root, proof of work), stale forks, and the
 * public entry points tl_sim_run / tl_sim_extend. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bitcoin/address.h"
#include "bitcoin/hash.h"
#include "sim/internal.h"

#define REGTEST_BITS 0x207fffffu
#define MATURITY 100
#define BASE_TIME 1704067200u   /* 2024-01-01T00:00:00Z: time of height 1 */
#define DUST 1000u
#define MAX_BLOCK_WEIGHT 3600000u

void tl_sim_params_default(struct tl_sim_params *p)
{
	memset(p, 0, sizeof *p);
	p->seed = 1;
	p->blocks = 300;
	p->txs_per_block = 50;
	p->net = TL_NET_REGTEST;
	p->fast = false;
	p->xor_key = true;
	p->forks = 3;
}

uint32_t sim_block_time(uint32_t height)
{
	return height == 0 ? 1296688602u : BASE_TIME + 600u * (height - 1);
}

void sim_date(uint32_t t, char out[11])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

void sim_strlist_add(struct sim_strlist *l, const char *s)
{
	size_t n = strlen(s) + 1;
	if (l->len + n > l->cap) {
		l->cap = (l->len + n) * 2 + 256;
		l->s = realloc(l->s, l->cap);
		if (!l->s) abort();
	}
	memcpy(l->s + l->len, s, n);
	l->len += n;
	l->n++;
}

void sim_strlist_free(struct sim_strlist *l)
{
	free(l->s);
	memset(l, 0, sizeof *l);
}

void sim_wallet_push(struct sim_wallet *w, const struct sim_coin *c)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 8;
		w->c = realloc(w->c, w->cap * sizeof *w->c);
		if (!w->c) abort();
	}
	w->c[w->n++] = *c;
}

int sim_entity_add(struct sim_state *st, uint8_t kind, const char *id, const char *name, uint8_t pref)
{
	st->ent = realloc(st->ent, (st->n_ent + 1) * sizeof *st->ent);
	if (!st->ent) abort();
	struct sim_entity *e = &st->ent[st->n_ent];
	memset(e, 0, sizeof *e);
	e->kind = kind;
	e->pref = pref;
	snprintf(e->id, sizeof e->id, "%s", id);
	snprintf(e->name, sizeof e->name, "%s", name);
	return (int)st->n_ent++;
}

static void entity_add_address(struct sim_entity *e, const char *a)
{
	size_t n = strlen(a) + 1;
	if (e->addrs_len + n > e->addrs_cap) {
		e->addrs_cap = (e->addrs_len + n) * 2 + 128;
		e->addrs = realloc(e->addrs, e->addrs_cap);
		if (!e->addrs) abort();
	}
	memcpy(e->addrs + e->addrs_len, a, n);
	e->addrs_len += n;
	e->n_addrs++;
}

static void spk_of(struct sim_state *st, uint64_t key, uint8_t type, uint8_t *spk, uint8_t *len)
{
	unsigned slot = (unsigned)(key * 31 + type) & 255u;
	if (st->spk_cache[slot].key == key + 1 && st->spk_cache[slot].type == type) {
		*len = st->spk_cache[slot].len;
		memcpy(spk, st->spk_cache[slot].spk, *len);
		return;
	}
	sim_key_spk(&st->keys, key, type, spk, len);
	st->spk_cache[slot].key = key + 1;
	st->spk_cache[slot].type = type;
	st->spk_cache[slot].len = *len;
	memcpy(st->spk_cache[slot].spk, spk, *len);
}

void sim_address_of(struct sim_state *st, uint64_t key, uint8_t type, char out[96])
{
	uint8_t spk[SIM_SPK_MAX], len;
	spk_of(st, key, type, spk, &len);
	if (tl_address_from_script(spk, len, st->np, out)) strcpy(out, "?");
}

/* A fresh key owned by entity owner (its address joins the truth). */
static uint64_t new_key_for(struct sim_state *st, int owner, uint8_t type)
{
	if (st->stale_mode) {
		uint64_t k = st->next_stale_key;
		st->next_stale_key += 3;
		return k;
	}
	uint64_t k = st->next_key;
	st->next_key += type == OT_P2WSH_MS ? 3 : 1;
	char a[96];
	sim_address_of(st, k, type, a);
	entity_add_address(&st->ent[owner], a);
	return k;
}

uint64_t sim_new_key(struct sim_state *st, int owner, uint8_t type)
{
	return new_key_for(st, owner, type);
}

struct sim_txout *sim_pay(struct sim_state *st, int owner, uint64_t key, uint8_t type, uint64_t value)
{
	struct sim_txout *o = sim_tx_add_out(&st->tx);
	o->value = value;
	o->owner = owner;
	o->key = key;
	o->type = type;
	spk_of(st, key, type, o->spk, &o->spk_len);
	return o;
}

static struct sim_txout *pay_fresh(struct sim_state *st, int owner, uint8_t type, uint64_t value)
{
	return sim_pay(st, owner, new_key_for(st, owner, type), type, value);
}

static void pay_opreturn(struct sim_state *st)
{
	struct sim_txout *o = sim_tx_add_out(&st->tx);
	size_t n = (size_t)sim_rng_range(&st->rng, 8, 40);
	o->spk[0] = 0x6a;
	o->spk[1] = (uint8_t)n;
	sim_rng_bytes(&st->rng, o->spk + 2, n);
	o->spk_len = (uint8_t)(n + 2);
	o->value = 0;
	o->owner = -1;
}

void sim_add_input(struct sim_state *st, const struct sim_coin *c)
{
	struct sim_txin *in = sim_tx_add_in(&st->tx);
	memcpy(in->txid, c->txid, 32);
	in->vout = c->vout;
	in->value = c->value;
	in->key = c->key;
	in->type = c->type;
	in->heist = c->heist;
	in->role = c->role;
	in->taint = c->taint;
}

void sim_spend_coin(struct sim_state *st, struct sim_wallet *w, size_t i)
{
	sim_add_input(st, &w->c[i]);
	w->c[i] = w->c[--w->n];
}

uint64_t sim_fee(struct sim_state *st)
{
	uint64_t rate = sim_rng_range(&st->rng, 1, 25);
	return rate * sim_tx_vsize_est(&st->tx);
}

uint64_t sim_deposit_key(struct sim_state *st, int exch, int customer, uint8_t *type)
{
	struct sim_entity *x = &st->ent[exch];
	bool mainnet = st->p.shape == TL_SIM_SHAPE_MAINNET;
	/* mainnet's deposit addresses are of every type: the type follows
	 * from the key number, so that a reused deposit key keeps it */
	if (st->stale_mode) {
		*type = mainnet ? sim_mainnet_key_type(st->next_stale_key) : OT_P2WPKH;
		return new_key_for(st, exch, *type);
	}
	if (!x->deposit_key[customer]) {
		*type = mainnet ? sim_mainnet_key_type(st->next_key) : OT_P2WPKH;
		x->deposit_key[customer] = new_key_for(st, exch, *type) + 1;
	}
	uint64_t k = x->deposit_key[customer] - 1;
	*type = mainnet ? sim_mainnet_key_type(k) : OT_P2WPKH;
	return k;
}

static void shuffle_outputs(struct sim_state *st)
{
	struct sim_tx *tx = &st->tx;
	for (size_t i = tx->n_out; i > 1; i--) {
		size_t j = (size_t)sim_rng_below(&st->rng, i);
		struct sim_txout t = tx->out[i - 1];
		tx->out[i - 1] = tx->out[j];
		tx->out[j] = t;
	}
}

void sim_push_txid(struct sim_state *st, const uint8_t txid[32], const uint8_t wtxid[32])
{
	if (st->n_btx == st->cap_btx) {
		st->cap_btx = st->cap_btx ? 2 * st->cap_btx : 256;
		st->txids = realloc(st->txids, st->cap_btx * 32);
		st->wtxids = realloc(st->wtxids, st->cap_btx * 32);
		if (!st->txids || !st->wtxids) abort();
	}
	memcpy(st->txids[st->n_btx], txid, 32);
	memcpy(st->wtxids[st->n_btx], wtxid, 32);
	st->n_btx++;
}

void sim_note_txid(struct sim_state *st, const char *hex)
{
	if (st->stale_mode) {
		if (st->emitting && st->height >= st->write_from) sim_strlist_add(&st->stale_txids, hex);
	} else {
		st->n_txs++;
	}
}

void sim_commit_tx(struct sim_state *st, char txid_hex[65])
{
	struct sim_tx *tx = &st->tx;
	uint64_t in = 0, out = 0;
	for (size_t i = 0; i < tx->n_in; i++) in += tx->in[i].value;
	for (size_t i = 0; i < tx->n_out; i++) out += tx->out[i].value;
	if (out > in || tx->n_in == 0 || tx->n_out == 0) abort(); /* a simulator bug, never data */
	tx->locktime = st->height - 1; /* anti fee sniping, as Core's wallet */
	uint8_t txid[32], wtxid[32];
	bool wit;
	uint32_t weight;
	size_t off = st->body.len;
	sim_tx_finish(&st->keys, tx, &st->body, txid, wtxid, &wit, &weight);
	if (st->cap_on && !st->stale_mode) sim_reorg_capture_tx(st, txid, wtxid, off, in - out);
	sim_push_txid(st, txid, wtxid);
	st->fees += in - out;
	st->weight += weight;
	if (wit) st->any_witness = true;
	char hex[65];
	tl_hash_to_hex(txid, hex);
	if (txid_hex) memcpy(txid_hex, hex, 65);
	sim_note_txid(st, hex);
	if (st->stale_mode) return;
	uint16_t taint = 0;
	for (size_t i = 0; i < tx->n_in; i++)
		if (tx->in[i].taint > taint) taint = tx->in[i].taint;
	for (size_t i = 0; i < tx->n_out; i++) {
		const struct sim_txout *o = &tx->out[i];
		if (o->owner < 0) continue;
		if (st->n_pend == st->cap_pend) {
			st->cap_pend = st->cap_pend ? 2 * st->cap_pend : 1024;
			st->pend = realloc(st->pend, st->cap_pend * sizeof *st->pend);
			if (!st->pend) abort();
		}
		struct sim_coin *c = &st->pend[st->n_pend].c;
		memcpy(c->txid, txid, 32);
		c->vout = (uint32_t)i;
		c->height = st->height;
		c->value = o->value;
		c->key = o->key;
		c->type = o->type;
		c->role = o->role;
		c->heist = o->heist;
		c->aux = o->aux;
		c->chain = o->chain;
		c->hops = o->hops;
		c->taint = o->heist ? o->heist : taint;
		st->pend[st->n_pend].owner = o->owner;
		st->pend[st->n_pend].deposit = o->role == R_DEPOSIT;
		st->n_pend++;
	}
}

static bool block_full(struct sim_state *st)
{
	return st->weight > MAX_BLOCK_WEIGHT;
}

/* Puts the scratch tx's inputs back into owner's wallet (abandoned tx). */
static void return_inputs(struct sim_state *st, struct sim_wallet *w, uint8_t role)
{
	for (size_t i = 0; i < st->tx.n_in; i++) {
		struct sim_coin c;
		memset(&c, 0, sizeof c);
		memcpy(c.txid, st->tx.in[i].txid, 32);
		c.vout = st->tx.in[i].vout;
		c.value = st->tx.in[i].value;
		c.key = st->tx.in[i].key;
		c.type = st->tx.in[i].type;
		c.role = role;
		c.height = st->height - 1;
		sim_wallet_push(w, &c);
	}
	sim_tx_reset(&st->tx);
}

void sim_return_inputs(struct sim_state *st, struct sim_wallet *w, uint8_t role)
{
	return_inputs(st, w, role);
}

/* ---- mixers -------------------------------------------------------- */

static void mixq_push(struct sim_mixq *q, int owner, const struct sim_coin *c)
{
	if (q->n == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 64;
		q->v = realloc(q->v, q->cap * sizeof *q->v);
		if (!q->v) abort();
	}
	q->v[q->n].owner = owner;
	q->v[q->n].c = *c;
	q->n++;
}

void sim_whirlpool_register(struct sim_state *st, int owner, const struct sim_coin *premix)
{
	mixq_push(&st->wq, owner, premix);
}

void sim_wasabi_register(struct sim_state *st, int owner, const struct sim_coin *c)
{
	mixq_push(&st->xq, owner, c);
}

int sim_tx0(struct sim_state *st, int owner, uint64_t in, int n, uint64_t change_key, uint8_t change_type,
	    uint8_t premix_role, uint16_t heist, char txid_hex[65])
{
	uint64_t each = SIM_WHIRLPOOL_DENOM + SIM_PREMIX_EXTRA;
	while (n > 0 && (uint64_t)n * each + SIM_WHIRLPOOL_FEE + 20000 > in) n--;
	if (n <= 0) return 0;
	struct sim_entity *o = &st->ent[owner];
	for (int i = 0; i < n; i++) {
		struct sim_txout *t = pay_fresh(st, owner, o->pref == OT_P2WSH_MS ? OT_P2WPKH : o->pref, each);
		t->role = premix_role;
		t->heist = heist;
	}
	sim_pay(st, st->mixer, st->whirlpool_fee_key, OT_P2WPKH, SIM_WHIRLPOOL_FEE);
	{ /* tx0 carries one OP_RETURN (46 bytes of opaque data in Whirlpool) */
		struct sim_txout *r = sim_tx_add_out(&st->tx);
		r->spk[0] = 0x6a;
		r->spk[1] = 46;
		sim_rng_bytes(&st->rng, r->spk + 2, 46);
		r->spk_len = 48;
	}
	struct sim_txout *ch = sim_pay(st, owner, change_key, change_type, 0);
	ch->heist = heist;
	ch->role = heist ? R_CASHOUT : R_NONE;
	uint64_t fee = sim_fee(st);
	uint64_t used = (uint64_t)n * each + SIM_WHIRLPOOL_FEE + fee;
	if (in - used < DUST) st->tx.n_out--; /* change too small: to the fee */
	else ch->value = in - used;
	sim_commit_tx(st, txid_hex);
	return n;
}

static void whirlpool_round(struct sim_state *st)
{
	if (st->wq.n < 5) return;
	sim_tx_reset(&st->tx);
	int owners[5];
	uint16_t heists[5];
	for (int i = 0; i < 5; i++) {
		sim_add_input(st, &st->wq.v[i].c);
		owners[i] = st->wq.v[i].owner;
		heists[i] = st->wq.v[i].c.heist;
	}
	memmove(st->wq.v, st->wq.v + 5, (st->wq.n - 5) * sizeof *st->wq.v);
	st->wq.n -= 5;
	for (int i = 0; i < 5; i++) {
		struct sim_entity *e = &st->ent[owners[i]];
		uint8_t t = e->kind == EK_ATTACKER ? OT_P2WPKH : (e->pref == OT_P2WSH_MS ? OT_P2WPKH : e->pref);
		struct sim_txout *o = pay_fresh(st, owners[i], t, SIM_WHIRLPOOL_DENOM);
		o->heist = heists[i];
		o->role = heists[i] ? R_POSTMIX : R_NONE;
		o->aux = st->height;
	}
	shuffle_outputs(st);
	char hex[65];
	sim_commit_tx(st, hex);
	sim_strlist_add(&st->coinjoin_txids, hex);
	for (int i = 0; i < 5; i++)
		if (heists[i]) {
			struct sim_heist *h = &st->heists[heists[i] - 1];
			/* one entry per round even with several of the heist's coins */
			if (!h->coinjoins.n || strcmp(h->coinjoins.s + h->coinjoins.len - 65, hex))
				sim_strlist_add(&h->coinjoins, hex);
		}
}

static void wasabi_round(struct sim_state *st)
{
	sim_tx_reset(&st->tx);
	int owners[64];
	uint64_t vals[64];
	uint16_t heists[64];
	int np = 0;
	/* registered coins (the heist's) first */
	size_t take = st->xq.n < 20 ? st->xq.n : 20;
	for (size_t i = 0; i < take; i++) {
		sim_add_input(st, &st->xq.v[i].c);
		owners[np] = st->xq.v[i].owner;
		vals[np] = st->xq.v[i].c.value;
		heists[np] = st->xq.v[i].c.heist;
		np++;
	}
	if (take) memmove(st->xq.v, st->xq.v + take, (st->xq.n - take) * sizeof *st->xq.v);
	st->xq.n -= take;
	int want = np + (int)sim_rng_range(&st->rng, 10, 15);
	for (int tries = 0; np < want && tries < 60; tries++) {
		int u = st->first_user + (int)sim_rng_below(&st->rng, (uint64_t)st->n_users);
		struct sim_entity *e = &st->ent[u];
		bool dup = false;
		for (int j = 0; j < np; j++) dup |= owners[j] == u;
		if (dup || !e->w.n) continue;
		size_t i = (size_t)sim_rng_below(&st->rng, e->w.n);
		if (e->w.c[i].value < SIM_WASABI_DENOM + 100000) continue;
		owners[np] = u;
		vals[np] = e->w.c[i].value;
		heists[np] = 0;
		np++;
		sim_spend_coin(st, &e->w, i);
	}
	if (np < 10) { /* not enough liquidity: give the coins back */
		for (size_t i = 0; i < st->tx.n_in; i++) {
			struct sim_coin c;
			memset(&c, 0, sizeof c);
			memcpy(c.txid, st->tx.in[i].txid, 32);
			c.vout = st->tx.in[i].vout;
			c.value = st->tx.in[i].value;
			c.key = st->tx.in[i].key;
			c.type = st->tx.in[i].type;
			c.heist = heists[i];
			c.role = heists[i] ? R_MIX : R_NONE;
			if (heists[i]) sim_wasabi_register(st, owners[i], &c);
			else sim_wallet_push(&st->ent[owners[i]].w, &c);
		}
		sim_tx_reset(&st->tx);
		return;
	}
	uint64_t coord = 0;
	for (int i = 0; i < np; i++) {
		uint64_t v = vals[i];
		/* As many denominations (at most 4) as the coin pays for together
		 * with the coordinator's 0.3% and the mining fee, so the change
		 * is never negative (it once wrapped to 2^64 - 18104 sat). */
		uint64_t mfee = 6000, k = 0;
		while (k < 4 && (k + 1) * SIM_WASABI_DENOM + (k + 1) * SIM_WASABI_DENOM * 3 / 1000 + mfee <= v) k++;
		uint64_t cfee = k * SIM_WASABI_DENOM * 3 / 1000;
		coord += cfee;
		struct sim_entity *e = &st->ent[owners[i]];
		uint8_t t = e->kind == EK_ATTACKER ? OT_P2WPKH : (e->pref == OT_P2WSH_MS ? OT_P2WPKH : e->pref);
		for (uint64_t j = 0; j < k; j++) {
			struct sim_txout *o = pay_fresh(st, owners[i], t, SIM_WASABI_DENOM);
			o->heist = heists[i];
			o->role = heists[i] ? R_POSTMIX : R_NONE;
			o->aux = st->height;
		}
		uint64_t change = v - k * SIM_WASABI_DENOM - cfee - mfee;
		if (k > 0 && change >= DUST) {
			struct sim_txout *o = pay_fresh(st, owners[i], t, change);
			o->heist = heists[i];
			o->role = heists[i] ? R_POSTMIX : R_NONE;
			o->aux = st->height;
		}
		if (k == 0 && v >= mfee + DUST) { /* too small to mix: the whole coin comes back as change */
			struct sim_txout *o = pay_fresh(st, owners[i], t, v - mfee);
			o->heist = heists[i];
			o->role = heists[i] ? R_POSTMIX : R_NONE;
			o->aux = st->height;
		}
	}
	if (coord >= DUST) sim_pay(st, st->mixer, st->mixer_key, OT_P2WPKH, coord);
	shuffle_outputs(st);
	char hex[65];
	sim_commit_tx(st, hex);
	sim_strlist_add(&st->coinjoin_txids, hex);
	for (int i = 0; i < np; i++)
		if (heists[i]) {
			struct sim_heist *h = &st->heists[heists[i] - 1];
			if (!h->coinjoins.n || strcmp(h->coinjoins.s + h->coinjoins.len - 65, hex))
				sim_strlist_add(&h->coinjoins, hex);
		}
}

/* ---- ordinary activity --------------------------------------------- */

static uint8_t user_pref(struct sim_rng *r)
{
	unsigned x = (unsigned)sim_rng_below(r, 100);
	if (x < 45) return OT_P2WPKH;
	if (x < 75) return OT_P2TR;
	if (x < 85) return OT_P2PKH;
	if (x < 95) return OT_P2SH_P2WPKH;
	return OT_P2WSH_MS;
}

/* A key to pay entity e: mostly fresh, sometimes an address it used before. */
static void recipient_key(struct sim_state *st, int e, uint64_t *key, uint8_t *type)
{
	struct sim_entity *x = &st->ent[e];
	if (x->kind == EK_USER && x->w.n && sim_rng_pct(&st->rng, 15)) {
		const struct sim_coin *c = &x->w.c[sim_rng_below(&st->rng, x->w.n)];
		*key = c->key;
		*type = c->type;
		return;
	}
	*type = x->pref;
	*key = new_key_for(st, e, *type);
}

static bool miner_payout(struct sim_state *st, int m)
{
	struct sim_entity *e = &st->ent[m];
	if (e->head >= e->w.n) return false;
	struct sim_coin *c = &e->w.c[e->head];
	if (c->height + MATURITY > st->height) return false;
	sim_tx_reset(&st->tx);
	sim_add_input(st, c);
	uint64_t in = c->value;
	e->head++;
	if (e->head > 1024) { /* compact the FIFO */
		memmove(e->w.c, e->w.c + e->head, (e->w.n - e->head) * sizeof *e->w.c);
		e->w.n -= e->head;
		e->head = 0;
	}
	int k = (int)sim_rng_range(&st->rng, 6, 24);
	uint64_t fee_room = 30000;
	if (in < (uint64_t)k * 20000 + fee_room) {
		k = 1;
		if (in < 20000 + fee_room) return false; /* too small (late halvings): leave as fee */
	}
	uint64_t w[32], tot = 0;
	for (int i = 0; i < k; i++) tot += w[i] = sim_rng_range(&st->rng, 1, 100);
	uint64_t avail = in - fee_room, paid = 0;
	for (int i = 0; i < k; i++) {
		uint64_t v = i == k - 1 ? avail - paid : avail * w[i] / tot;
		if (v < DUST) continue;
		paid += v;
		if (sim_rng_pct(&st->rng, 20)) {
			int x = st->first_exch + (int)sim_rng_below(&st->rng, (uint64_t)st->n_exch);
			uint8_t t;
			uint64_t key = sim_deposit_key(st, x, m, &t);
			sim_pay(st, x, key, t, v)->role = R_DEPOSIT;
		} else {
			int u = st->first_user + (int)sim_rng_below(&st->rng, (uint64_t)st->n_users);
			uint64_t key;
			uint8_t t;
			recipient_key(st, u, &key, &t);
			sim_pay(st, u, key, t, v);
		}
	}
	if (st->tx.n_out == 0) return false;
	sim_commit_tx(st, NULL);
	return true;
}

static bool exchange_sweep(struct sim_state *st, int x)
{
	struct sim_entity *e = &st->ent[x];
	if (e->dep.n < 3) return false;
	sim_tx_reset(&st->tx);
	size_t k = (size_t)sim_rng_range(&st->rng, 10, 50);
	uint64_t in = 0;
	while (k-- && e->dep.n) {
		in += e->dep.c[e->dep.n - 1].value;
		sim_spend_coin(st, &e->dep, e->dep.n - 1);
	}
	struct sim_txout *o = sim_pay(st, x, e->hot_key, e->hot_type, 0);
	uint64_t fee = sim_fee(st);
	if (in < fee + DUST) {
		st->tx.n_out = 0;
		return_inputs(st, &e->dep, R_DEPOSIT);
		return false;
	}
	o->value = in - fee;
	sim_commit_tx(st, NULL);
	return true;
}

/* A batched withdrawal from exchange x's hot wallet to k customers;
 * extra_owner (>= 0) also receives extra_value with role extra_role. */
static bool exchange_withdraw(struct sim_state *st, int x, int extra_owner, uint64_t extra_value, uint8_t extra_role,
			      uint16_t extra_heist)
{
	struct sim_entity *e = &st->ent[x];
	if (!e->w.n) return false;
	sim_tx_reset(&st->tx);
	uint64_t in = 0;
	/* largest coins first would need sorting; take a few random ones */
	int nin = (int)sim_rng_range(&st->rng, 1, 3);
	for (int i = 0; i < nin && e->w.n; i++) {
		size_t j = (size_t)sim_rng_below(&st->rng, e->w.n);
		in += e->w.c[j].value;
		sim_spend_coin(st, &e->w, j);
	}
	if (in < 400000) {
		return_inputs(st, &e->w, R_NONE);
		return false;
	}
	uint64_t budget = in / 2;
	int k = (int)sim_rng_range(&st->rng, 3, 25);
	uint64_t paid = 0;
	if (extra_owner >= 0) {
		if (extra_value > budget) extra_value = budget;
		if (extra_value >= DUST) {
			struct sim_txout *o = pay_fresh(st, extra_owner, st->ent[extra_owner].pref, extra_value);
			o->role = extra_role;
			o->heist = extra_heist;
			paid += extra_value;
		}
	}
	for (int i = 0; i < k; i++) {
		uint64_t v = sim_rng_range(&st->rng, 100000, 50000000);
		if (paid + v > budget) break;
		int u = st->first_user + (int)sim_rng_below(&st->rng, (uint64_t)st->n_users);
		pay_fresh(st, u, st->ent[u].pref, v);
		paid += v;
	}
	if (st->tx.n_out == 0) {
		return_inputs(st, &e->w, R_NONE);
		return false;
	}
	struct sim_txout *ch = sim_pay(st, x, e->hot_key, e->hot_type, 0);
	uint64_t fee = sim_fee(st);
	ch->value = in - paid - fee; /* paid <= in/2, fee is small */
	shuffle_outputs(st);
	sim_commit_tx(st, NULL);
	return true;
}

bool sim_exchange_withdraw_to(struct sim_state *st, int x, int owner, uint64_t value, uint8_t role, uint16_t heist)
{
	return exchange_withdraw(st, x, owner, value, role, heist);
}

static bool merchant_cashout(struct sim_state *st, int m)
{
	struct sim_entity *e = &st->ent[m];
	if (e->w.n < 8) return false;
	sim_tx_reset(&st->tx);
	size_t k = (size_t)sim_rng_range(&st->rng, 8, 20);
	uint64_t in = 0;
	while (k-- && e->w.n) {
		in += e->w.c[e->w.n - 1].value;
		sim_spend_coin(st, &e->w, e->w.n - 1);
	}
	int x = st->first_exch + (int)sim_rng_below(&st->rng, (uint64_t)st->n_exch);
	uint8_t t;
	uint64_t dk = sim_deposit_key(st, x, m, &t);
	struct sim_txout *d = sim_pay(st, x, dk, t, 0);
	d->role = R_DEPOSIT;
	struct sim_txout *keep = pay_fresh(st, m, e->pref, 0);
	uint64_t fee = sim_fee(st);
	if (in < fee + 2 * DUST * 10) {
		st->tx.n_out = 0;
		return_inputs(st, &e->w, R_NONE);
		return false;
	}
	uint64_t net = in - fee;
	keep->value = net / 10;
	d->value = net - keep->value;
	sim_commit_tx(st, NULL);
	return true;
}

static bool user_payment(struct sim_state *st)
{
	int u = -1;
	for (int tries = 0; tries < 8; tries++) {
		int c = st->first_user + (int)sim_rng_below(&st->rng, (uint64_t)st->n_users);
		if (st->ent[c].w.n) { u = c; break; }
	}
	if (u < 0) return false;
	struct sim_entity *e = &st->ent[u];
	sim_tx_reset(&st->tx);
	size_t nin = e->w.n > 10 ? (size_t)sim_rng_range(&st->rng, 3, 6) : (size_t)sim_rng_range(&st->rng, 1, 2);
	if (nin > e->w.n) nin = e->w.n;
	uint64_t in = 0;
	uint64_t reuse_key = 0;
	uint8_t reuse_type = 0;
	for (size_t i = 0; i < nin; i++) {
		size_t j = (size_t)sim_rng_below(&st->rng, e->w.n);
		in += e->w.c[j].value;
		reuse_key = e->w.c[j].key;
		reuse_type = e->w.c[j].type;
		sim_spend_coin(st, &e->w, j);
	}
	if (in < 60000) { /* dust-sized: consolidate into one fresh coin */
		uint64_t fee = 0;
		struct sim_txout *o = pay_fresh(st, u, e->pref, 0);
		fee = sim_fee(st);
		if (in < fee + DUST) {
			st->tx.n_out = 0;
			return_inputs(st, &e->w, R_NONE);
			return false;
		}
		o->value = in - fee;
		sim_commit_tx(st, NULL);
		return true;
	}
	unsigned what = (unsigned)sim_rng_below(&st->rng, 100);
	if (what < 4 && in > 2 * (SIM_WHIRLPOOL_DENOM + SIM_PREMIX_EXTRA) + SIM_WHIRLPOOL_FEE + 100000) {
		int n = (int)sim_rng_range(&st->rng, 1, 5);
		uint8_t ct = e->pref;
		uint64_t ck = new_key_for(st, u, ct);
		if (sim_tx0(st, u, in, n, ck, ct, R_PREMIX, 0, NULL)) return true;
		st->tx.n_out = 0;
	}
	uint64_t amount = in * sim_rng_range(&st->rng, 5, 90) / 100;
	int dest;
	uint64_t dk;
	uint8_t dt;
	bool deposit = false;
	if (what < 50) {
		dest = st->first_user + (int)sim_rng_below(&st->rng, (uint64_t)st->n_users);
		recipient_key(st, dest, &dk, &dt);
	} else if (what < 78) {
		dest = st->first_merch + (int)sim_rng_below(&st->rng, (uint64_t)st->n_merch);
		dt = st->ent[dest].pref;
		dk = new_key_for(st, dest, dt);
	} else {
		dest = st->first_exch + (int)sim_rng_below(&st->rng, (uint64_t)st->n_exch);
		dk = sim_deposit_key(st, dest, u, &dt);
		deposit = true;
	}
	struct sim_txout *pay = sim_pay(st, dest, dk, dt, amount);
	if (deposit) pay->role = R_DEPOSIT;
	struct sim_txout *ch;
	if (sim_rng_pct(&st->rng, 20)) ch = sim_pay(st, u, reuse_key, reuse_type, 0);
	else ch = pay_fresh(st, u, e->pref, 0);
	if (sim_rng_pct(&st->rng, 3)) pay_opreturn(st);
	uint64_t fee = sim_fee(st);
	/* pay and ch may have moved (realloc): find them again by index */
	struct sim_txout *po = &st->tx.out[0], *co = &st->tx.out[1];
	(void)pay; (void)ch;
	if (amount + fee + DUST > in) {
		po->value = in - fee;
		memmove(&st->tx.out[1], &st->tx.out[2], (st->tx.n_out - 2) * sizeof *co);
		st->tx.n_out--;
	} else {
		co->value = in - amount - fee;
	}
	shuffle_outputs(st);
	sim_commit_tx(st, NULL);
	return true;
}

/* ---- blocks -------------------------------------------------------- */

static void merkle(uint8_t (*h)[32], size_t n, uint8_t root[32])
{
	/* in place over a copy */
	uint8_t (*v)[32] = malloc((n + 1) * 32);
	if (!v) abort();
	memcpy(v, h, n * 32);
	while (n > 1) {
		if (n & 1) { memcpy(v[n], v[n - 1], 32); n++; }
		for (size_t i = 0; i < n / 2; i++) tl_sha256d_pair(v[2 * i], v[2 * i + 1], v[i]);
		n /= 2;
	}
	memcpy(root, v[0], 32);
	free(v);
}

void sim_block_begin(struct sim_state *st)
{
	st->body.len = 0;
	st->n_btx = 0;
	st->fees = 0;
	st->weight = 4000; /* header, coinbase and slack */
	st->any_witness = false;
	sim_push_txid(st, (uint8_t[32]){ 0 }, (uint8_t[32]){ 0 }); /* coinbase placeholder */
}

static uint64_t subsidy(uint32_t h)
{
	uint32_t halvings = h / 150; /* regtest */
	return halvings >= 64 ? 0 : 5000000000ull >> halvings;
}

/* BIP34 height as CScript() << height pushes it. */
static void push_height(struct tl_buf *b, uint32_t h)
{
	if (h >= 1 && h <= 16) {
		tl_buf_u8(b, (uint8_t)(0x50 + h));
		return;
	}
	uint8_t num[5];
	int n = 0;
	uint32_t v = h;
	while (v) { num[n++] = (uint8_t)v; v >>= 8; }
	if (num[n - 1] & 0x80) num[n++] = 0;
	tl_buf_u8(b, (uint8_t)n);
	tl_buf_put(b, num, (size_t)n);
}

/* Finishes the block at st->height on prev: coinbase paying miner m,
 * header, proof of work. The bytes are left in st->blk, hash in hash. */
void sim_block_end(struct sim_state *st, const uint8_t prev[32], uint32_t time, int m, uint8_t hash[32])
{
	struct sim_entity *me = &st->ent[m];
	struct tl_buf cb;
	tl_buf_init(&cb);
	uint64_t value = subsidy(st->height) + st->fees;
	/* coinbase stripped serialization */
	struct tl_buf ss;
	tl_buf_init(&ss);
	push_height(&ss, st->height);
	uint8_t extra[8];
	sim_rng_bytes(&st->rng, extra, 8);
	tl_buf_u8(&ss, 8);
	tl_buf_put(&ss, extra, 8);
	uint8_t commit_spk[38] = { 0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed };
	if (st->any_witness) {
		uint8_t root[32], buf[64] = { 0 };
		memset(st->wtxids[0], 0, 32);
		merkle(st->wtxids, st->n_btx, root);
		memcpy(buf, root, 32);
		tl_sha256d(buf, 64, commit_spk + 6);
	}
	uint64_t key = me->hot_key; /* pools pay themselves at one reused address */
	uint8_t spk[SIM_SPK_MAX], spk_len;
	spk_of(st, key, OT_P2WPKH, spk, &spk_len);
	for (int pass = 0; pass < 2; pass++) {
		bool wit = pass == 1;
		if (wit && !st->any_witness) break;
		cb.len = 0;
		tl_buf_u32le(&cb, 2);
		if (wit) { tl_buf_u8(&cb, 0); tl_buf_u8(&cb, 1); }
		tl_buf_compact(&cb, 1);
		uint8_t zero[32] = { 0 };
		tl_buf_put(&cb, zero, 32);
		tl_buf_u32le(&cb, 0xffffffffu);
		tl_buf_compact(&cb, ss.len);
		tl_buf_put(&cb, ss.data, ss.len);
		tl_buf_u32le(&cb, 0xffffffffu);
		tl_buf_compact(&cb, st->any_witness ? 2 : 1);
		tl_buf_u64le(&cb, value);
		tl_buf_compact(&cb, spk_len);
		tl_buf_put(&cb, spk, spk_len);
		if (st->any_witness) {
			tl_buf_u64le(&cb, 0);
			tl_buf_compact(&cb, 38);
			tl_buf_put(&cb, commit_spk, 38);
		}
		if (wit) { tl_buf_u8(&cb, 1); tl_buf_u8(&cb, 32); tl_buf_put(&cb, zero, 32); }
		tl_buf_u32le(&cb, 0);
		if (!wit) tl_sha256d(cb.data, cb.len, st->txids[0]);
	}
	char hex[65];
	tl_hash_to_hex(st->txids[0], hex);
	sim_note_txid(st, hex);
	if (!st->stale_mode) {
		struct sim_coin c;
		memset(&c, 0, sizeof c);
		memcpy(c.txid, st->txids[0], 32);
		c.vout = 0;
		c.height = st->height;
		c.value = value;
		c.key = key;
		c.type = OT_P2WPKH;
		if (value > 0) sim_wallet_push(&me->w, &c);
	}
	uint8_t hdr[80];
	tl_put_le32(hdr, 0x20000000u);
	memcpy(hdr + 4, prev, 32);
	merkle(st->txids, st->n_btx, hdr + 36);
	tl_put_le32(hdr + 68, time);
	tl_put_le32(hdr + 72, REGTEST_BITS);
	sim_mine(hdr, hash);
	st->blk.len = 0;
	tl_buf_put(&st->blk, hdr, 80);
	tl_buf_compact(&st->blk, st->n_btx);
	tl_buf_put(&st->blk, cb.data, cb.len);
	tl_buf_put(&st->blk, st->body.data, st->body.len);
	tl_buf_free(&cb);
	tl_buf_free(&ss);
}

void sim_credit_pending(struct sim_state *st)
{
	for (size_t i = 0; i < st->n_pend; i++) {
		int owner = st->pend[i].owner;
		struct sim_coin *c = &st->pend[i].c;
		if (c->role == R_PREMIX) sim_whirlpool_register(st, owner, c);
		else if (st->pend[i].deposit) sim_wallet_push(&st->ent[owner].dep, c);
		else sim_wallet_push(&st->ent[owner].w, c);
	}
	st->n_pend = 0;
}

int sim_block_done(struct sim_state *st, const uint8_t hash[32], int delay, struct tl_err *err)
{
	if (st->height >= sim_reorg_cap_from(st)) {
		if (st->n_capb == st->cap_capb) {
			st->cap_capb = st->cap_capb ? 2 * st->cap_capb : 16;
			st->capb = realloc(st->capb, st->cap_capb * sizeof *st->capb);
			if (!st->capb) abort();
		}
		struct sim_capblk *b = &st->capb[st->n_capb++];
		b->height = st->height;
		memcpy(b->cb, st->txids[0], 32);
		memcpy(b->hash, hash, 32);
	}
	if (!st->blkw || !st->emitting || st->height < st->write_from) return 0;
	return sim_blkw_write(st->blkw, st->blk.data, st->blk.len, delay, err);
}

/* A stale branch of len blocks on prev, spending coins the best chain
 * will spend differently. Wallets are not touched. */
static int stale_branch(struct sim_state *st, const uint8_t prev_in[32], uint32_t len, struct tl_err *err)
{
	uint8_t prev[32];
	memcpy(prev, prev_in, 32);
	uint32_t h0 = st->height;
	st->stale_mode = true;
	uint32_t off = (uint32_t)sim_rng_below(&st->rng, (uint64_t)st->n_users);
	uint32_t ntx = st->p.txs_per_block / 4 + 1;
	for (uint32_t j = 0; j < len; j++) {
		st->height = h0 + j;
		sim_block_begin(st);
		for (uint32_t t = 0; t < ntx && t < (uint32_t)st->n_users; t++) {
			struct sim_entity *e = &st->ent[st->first_user + (off + t) % (uint32_t)st->n_users];
			if (e->w.n <= j) continue;
			sim_tx_reset(&st->tx);
			sim_add_input(st, &e->w.c[j]);
			uint64_t in = e->w.c[j].value;
			struct sim_txout *o = sim_pay(st, -1, new_key_for(st, 0, OT_P2WPKH), OT_P2WPKH, 0);
			(void)o;
			uint64_t fee = sim_fee(st);
			if (in < fee + DUST) { sim_tx_reset(&st->tx); continue; }
			st->tx.out[0].value = in - fee;
			sim_commit_tx(st, NULL);
		}
		uint8_t hash[32];
		sim_block_end(st, prev, sim_block_time(st->height) + 17 + j, st->first_miner, hash);
		if (st->blkw && st->emitting && h0 >= st->write_from) {
			if (sim_blkw_write(st->blkw, st->blk.data, st->blk.len, 0, err)) {
				st->stale_mode = false;
				st->height = h0;
				return -1;
			}
			st->stale_written++;
		}
		memcpy(prev, hash, 32);
	}
	st->stale_mode = false;
	st->height = h0;
	return 0;
}

static void economy_block(struct sim_state *st)
{
	uint32_t target = st->p.txs_per_block;
	uint32_t made = 0;
	for (int m = 0; m < st->n_miner; m++)
		if (miner_payout(st, st->first_miner + m)) made++;
	made += sim_heists_step(st);
	if (st->height % 3 == 0) { whirlpool_round(st); made++; }
	if (st->height % 10 == 5) { wasabi_round(st); made++; }
	for (int x = 0; x < st->n_exch; x++) {
		/* the mainnet shape sweeps deposits in its own consolidations */
		if (st->p.shape != TL_SIM_SHAPE_MAINNET && sim_rng_pct(&st->rng, 30) && exchange_sweep(st, st->first_exch + x))
			made++;
		if (sim_rng_pct(&st->rng, 35) && exchange_withdraw(st, st->first_exch + x, -1, 0, 0, 0)) made++;
	}
	for (int m = 0; m < st->n_merch; m++)
		if (sim_rng_pct(&st->rng, 8) && merchant_cashout(st, st->first_merch + m)) made++;
	bool mainnet = st->p.shape == TL_SIM_SHAPE_MAINNET;
	for (uint32_t tries = 0; made < target && tries < 4 * target && !block_full(st); tries++)
		if (mainnet ? sim_mainnet_tx(st) : user_payment(st)) made++;
}

static int state_init(struct sim_state *st, const struct tl_sim_params *p, struct tl_err *err)
{
	memset(st, 0, sizeof *st);
	st->p = *p;
	st->np = tl_net_params(TL_NET_REGTEST);
	if (sim_keys_init(&st->keys, p->seed, p->fast, err)) return -1;
	sim_rng_seed(&st->rng, p->seed, 1);
	st->next_key = 1;
	st->next_stale_key = 1ull << 62;
	st->econ_start = MATURITY + 1;
	st->tip = p->blocks;
	st->emitting = true;
	char id[48], name[64];
	st->first_miner = (int)st->n_ent;
	st->n_miner = 3;
	static const char *pools[] = { "SimPool", "RegHash", "TestMiners" };
	for (int i = 0; i < st->n_miner; i++) {
		snprintf(id, sizeof id, "miner-%d", i + 1);
		int e = sim_entity_add(st, EK_MINER, id, pools[i], OT_P2WPKH);
		st->ent[e].hot_key = new_key_for(st, e, OT_P2WPKH);
	}
	st->first_user = (int)st->n_ent;
	/* The mainnet shape needs many more spenders, so that a coin waits
	 * long before its owner is drawn again. */
	st->n_users = 40 + (int)(p->txs_per_block * (p->shape == TL_SIM_SHAPE_MAINNET ? 40 : 4));
	for (int i = 0; i < st->n_users; i++) {
		snprintf(id, sizeof id, "user-%d", i + 1);
		snprintf(name, sizeof name, "User %d", i + 1);
		sim_entity_add(st, EK_USER, id, name, user_pref(&st->rng));
	}
	static const char *exch[] = { "Bitsim", "Krakensim", "Coinsim", "Hashbase" };
	st->first_exch = (int)st->n_ent;
	st->n_exch = 4;
	for (int i = 0; i < st->n_exch; i++) {
		snprintf(id, sizeof id, "exchange-%s", exch[i]);
		for (char *q = id; *q; q++) if (*q >= 'A' && *q <= 'Z') *q = (char)(*q + 32);
		sim_entity_add(st, EK_EXCHANGE, id, exch[i], OT_P2WPKH);
	}
	st->first_merch = (int)st->n_ent;
	st->n_merch = 8;
	for (int i = 0; i < st->n_merch; i++) {
		snprintf(id, sizeof id, "merchant-%d", i + 1);
		snprintf(name, sizeof name, "Merchant %d", i + 1);
		sim_entity_add(st, EK_MERCHANT, id, name, i % 2 ? OT_P2TR : OT_P2WPKH);
	}
	st->mixer = sim_entity_add(st, EK_MIXER, "mixer-coordinator", "CoinJoin coordinator (Whirlpool-like and Wasabi-like)",
				   OT_P2WPKH);
	sim_heists_init(st); /* adds the attackers */
	for (int i = 0; i < st->n_exch; i++) {
		struct sim_entity *x = &st->ent[st->first_exch + i];
		x->deposit_key = calloc(st->n_ent, sizeof *x->deposit_key);
		if (!x->deposit_key) abort();
		x->hot_type = i % 2 ? OT_P2WSH_MS : OT_P2WPKH;
		x->hot_key = new_key_for(st, st->first_exch + i, x->hot_type);
	}
	st->mixer_key = new_key_for(st, st->mixer, OT_P2WPKH);
	st->whirlpool_fee_key = new_key_for(st, st->mixer, OT_P2WPKH);
	if (p->shape == TL_SIM_SHAPE_MAINNET) sim_mainnet_init(st);
	/* stale forks: spread over the active part of the chain */
	struct sim_rng fr;
	sim_rng_seed(&fr, p->seed, 77);
	st->fork_h = calloc(p->forks + 1, sizeof *st->fork_h);
	st->fork_len = calloc(p->forks + 1, sizeof *st->fork_len);
	if (!st->fork_h || !st->fork_len) abort();
	uint32_t lo = st->econ_start + 2, hi = p->blocks > 10 ? p->blocks - 8 : 0;
	for (uint32_t i = 0; i < p->forks && hi > lo; i++) {
		uint32_t span = (hi - lo) / p->forks;
		uint32_t h = lo + i * span + (span ? (uint32_t)sim_rng_below(&fr, span) : 0);
		uint32_t len = (uint32_t)sim_rng_range(&fr, 1, 6);
		if (h + len >= p->blocks) len = p->blocks - h - 1;
		if (len == 0 || (st->n_forks && st->fork_h[st->n_forks - 1] == h)) continue;
		st->fork_h[st->n_forks] = h;
		st->fork_len[st->n_forks] = len;
		st->n_forks++;
	}
	return 0;
}

static void state_free(struct sim_state *st)
{
	sim_keys_free(&st->keys);
	for (size_t i = 0; i < st->n_ent; i++) {
		free(st->ent[i].w.c);
		free(st->ent[i].dep.c);
		free(st->ent[i].addrs);
		free(st->ent[i].deposit_key);
	}
	free(st->ent);
	free(st->wq.v);
	free(st->xq.v);
	sim_heists_free(st);
	tl_buf_free(&st->body);
	tl_buf_free(&st->blk);
	tl_buf_free(&st->txbuf);
	free(st->txids);
	free(st->wtxids);
	free(st->pend);
	sim_tx_free(&st->tx);
	sim_strlist_free(&st->coinjoin_txids);
	sim_strlist_free(&st->stale_txids);
	sim_reorg_free(st);
	free(st->fork_h);
	free(st->fork_len);
	free(st->op_fork);
	free(st->op_tip);
	free(st->op_blocks);
	free(st->recent);
}

/* Runs the chain from genesis to st->tip, applying the recorded reorgs
 * on the way, writing the blocks at or above st->write_from once
 * st->emitting (when st->blkw is set). */
static int simulate(struct sim_state *st, struct tl_err *err)
{
	struct tl_buf g;
	tl_buf_init(&g);
	sim_genesis_block(&g);
	uint8_t prev[32];
	tl_sha256d(g.data, 80, prev);
	if (memcmp(prev, st->np->genesis, 32)) {
		tl_buf_free(&g);
		return tl_err_set(err, "internal error: the regtest genesis block does not hash to the known genesis");
	}
	if (st->blkw && st->emitting && st->write_from == 0) {
		if (sim_blkw_write(st->blkw, g.data, g.len, 0, err)) { tl_buf_free(&g); return -1; }
	}
	tl_buf_free(&g);
	st->n_txs = 1;
	uint32_t fork_i = 0, last = 0;
	for (;;) {
		if (st->next_op < st->n_ops && last == st->op_tip[st->next_op]) {
			uint32_t i = st->next_op;
			if (sim_reorg_apply(st, i, prev, err)) return -1; /* advances next_op */
			last = st->op_tip[i] + 1;
			/* the blocks after the replacing branch draw from their own stream */
			sim_rng_seed(&st->rng, st->p.seed, 1000 + i + 1);
			continue;
		}
		if (last >= st->tip) break;
		uint32_t h = ++last;
		st->height = h;
		st->cap_on = h > sim_reorg_cap_from(st);
		while (fork_i < st->n_forks && st->fork_h[fork_i] < h) fork_i++;
		if (fork_i < st->n_forks && st->fork_h[fork_i] == h && h + st->fork_len[fork_i] <= st->p.blocks) {
			if (stale_branch(st, prev, st->fork_len[fork_i], err)) return -1;
		}
		sim_block_begin(st);
		if (h >= st->econ_start) economy_block(st);
		int m = st->first_miner + (int)sim_rng_below(&st->rng, (uint64_t)st->n_miner);
		uint8_t hash[32];
		sim_block_end(st, prev, sim_block_time(h), m, hash);
		/* Core stores blocks in arrival order: now and then one arrives late */
		int delay = sim_rng_pct(&st->rng, 4) ? (int)sim_rng_range(&st->rng, 1, 3) : 0;
		if (h == st->tip) delay = 0;
		if (sim_block_done(st, hash, delay, err)) return -1;
		sim_credit_pending(st);
		st->cap_on = false;
		memcpy(prev, hash, 32);
		if (st->p.progress && st->emitting && st->height >= st->write_from)
			st->p.progress(st->p.progress_ctx, h, st->tip, st->n_txs);
	}
	memcpy(st->tip_hash, prev, 32);
	st->tip_time = sim_block_time(st->tip);
	return 0;
}

static int check_params(const struct tl_sim_params *p, struct tl_err *err)
{
	if (p->net != TL_NET_REGTEST)
		return tl_err_set(err, "only --network regtest is supported: blocks at mainnet difficulty cannot be mined "
				       "here, and mainnet-looking blocks at regtest difficulty would fail every proof-of-work check");
	if (p->blocks < 120 || p->blocks > 10000000)
		return tl_err_set(err, "--blocks %u: need 120 .. 10000000 (coinbases mature after 100 blocks, the economy starts at 101)",
				  p->blocks);
	if (p->shape > TL_SIM_SHAPE_MAINNET) return tl_err_set(err, "unknown shape %u", p->shape);
	if (p->txs_per_block < 1 || p->txs_per_block > 3000)
		return tl_err_set(err, "--txs-per-block %u: need 1 .. 3000", p->txs_per_block);
	if (p->forks > 1000) return tl_err_set(err, "--forks %u: at most 1000", p->forks);
	if (p->blockfile_max && (p->blockfile_max < 65536 || p->blockfile_max > TL_SIM_BLOCKFILE_MAX))
		return tl_err_set(err, "block file size %u: need 65536 .. %u bytes", p->blockfile_max, TL_SIM_BLOCKFILE_MAX);
	return 0;
}

static void derive_xor_key(const struct tl_sim_params *p, uint8_t key[8])
{
	memset(key, 0, 8);
	if (!p->xor_key) return;
	struct sim_rng r;
	sim_rng_seed(&r, p->seed, 0x0b5);
	do sim_rng_bytes(&r, key, 8);
	while (!key[0] && !key[1] && !key[2] && !key[3] && !key[4] && !key[5] && !key[6] && !key[7]);
}

static void fill_stats(struct sim_state *st, struct sim_blkw *w, struct tl_sim_stats *s)
{
	if (!s) return;
	memset(s, 0, sizeof *s);
	s->tip = st->tip;
	s->txs = st->n_txs;
	s->stale_blocks = st->stale_written;
	if (w) {
		s->bytes = w->bytes_written;
		s->files = w->files_touched;
	}
	uint64_t a = 0;
	for (size_t i = 0; i < st->n_ent; i++) a += st->ent[i].n_addrs;
	s->addresses = a;
	s->blocks_written = (st->tip + 1 - st->write_from) + st->stale_written;
}

static char *history_json(const struct sim_state *st, const uint32_t (*ops)[2], size_t n_ops, const char *extra_stale_json)
{
	(void)st; (void)extra_stale_json;
	json_t *a = json_array();
	for (size_t i = 0; i < n_ops; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "reorg", json_integer(ops[i][0]));
		json_object_set_new(o, "blocks", json_integer(ops[i][1]));
		json_array_append_new(a, o);
	}
	char *s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

int tl_sim_run(const char *dir, const struct tl_sim_params *p, struct tl_sim_stats *stats, struct tl_err *err)
{
	if (check_params(p, err)) return -1;
	char bdir[4096];
	if (snprintf(bdir, sizeof bdir, "%s/blocks", dir) >= (int)sizeof bdir) return tl_err_set(err, "path too long");
	struct sim_state *st = calloc(1, sizeof *st);
	if (!st) return tl_err_set(err, "out of memory");
	if (state_init(st, p, err)) { free(st); return -1; }
	uint8_t key[8];
	derive_xor_key(p, key);
	struct sim_blkw w;
	int rc = -1;
	if (sim_blkw_open(&w, bdir, st->np, key, false, err)) goto out;
	if (p->blockfile_max) w.file_max = p->blockfile_max;
	st->blkw = &w;
	if (simulate(st, err)) { sim_blkw_close(&w, NULL); goto out; }
	if (sim_blkw_close(&w, err)) goto out;
	char *hist = history_json(st, NULL, 0, NULL);
	rc = sim_write_truth(st, dir, hist, err);
	free(hist);
	fill_stats(st, &w, stats);
out:
	state_free(st);
	free(st);
	return rc;
}

/* ---- extend (reorg) ------------------------------------------------ */

static int load_state(const char *dir, struct tl_sim_params *p, uint32_t (**ops)[2], size_t *n_ops, json_t **stale,
		      struct tl_err *err)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/sim-state.json", dir);
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	if (!j) return tl_err_set(err, "%s: %s (line %d) - is this a directory made by 'taintline simulate'?", path, je.text, je.line);
	tl_sim_params_default(p);
	json_t *seed = json_object_get(j, "seed");
	json_t *blocks = json_object_get(j, "blocks"), *tpb = json_object_get(j, "txs_per_block");
	json_t *forks = json_object_get(j, "forks"), *ext = json_object_get(j, "extensions");
	const char *seed_s = json_string_value(seed);
	if (!seed_s || !json_is_integer(blocks) || !json_is_integer(tpb) || !json_is_integer(forks) || !json_is_array(ext) ||
	    !json_is_array(json_object_get(j, "stale_txids"))) {
		json_decref(j);
		return tl_err_set(err, "%s: missing or malformed fields", path);
	}
	p->seed = strtoull(seed_s, NULL, 10);
	p->blocks = (uint32_t)json_integer_value(blocks);
	p->txs_per_block = (uint32_t)json_integer_value(tpb);
	p->forks = (uint32_t)json_integer_value(forks);
	p->fast = json_is_true(json_object_get(j, "fast"));
	const char *shape = json_string_value(json_object_get(j, "shape"));
	p->shape = shape && !strcmp(shape, "mainnet") ? TL_SIM_SHAPE_MAINNET : TL_SIM_SHAPE_DEMO;
	p->xor_key = json_is_true(json_object_get(j, "xor"));
	p->net = TL_NET_REGTEST;
	*n_ops = json_array_size(ext);
	*ops = calloc(*n_ops + 1, sizeof **ops);
	if (!*ops) abort();
	for (size_t i = 0; i < *n_ops; i++) {
		json_t *o = json_array_get(ext, i);
		(*ops)[i][0] = (uint32_t)json_integer_value(json_object_get(o, "reorg"));
		(*ops)[i][1] = (uint32_t)json_integer_value(json_object_get(o, "blocks"));
	}
	*stale = json_incref(json_object_get(j, "stale_txids"));
	json_decref(j);
	return check_params(p, err);
}

/* Records the extension history in st: each op's fork and the tip it
 * starts from; st->tip becomes the final height. */
static int apply_ops(struct sim_state *st, const uint32_t (*ops)[2], size_t n, struct tl_err *err)
{
	st->op_fork = calloc(n + 1, sizeof *st->op_fork);
	st->op_tip = calloc(n + 1, sizeof *st->op_tip);
	st->op_blocks = calloc(n + 1, sizeof *st->op_blocks);
	if (!st->op_fork || !st->op_tip || !st->op_blocks) abort();
	for (size_t i = 0; i < n; i++) {
		uint32_t d = ops[i][0], b = ops[i][1];
		if (d == 0 || d >= st->tip || st->tip - d < st->econ_start)
			return tl_err_set(err, "--reorg %u: the fork point would fall below height %u (tip %u)", d, st->econ_start,
					  st->tip);
		st->op_tip[i] = st->tip;
		st->op_fork[i] = st->tip - d;
		st->op_blocks[i] = b;
		st->tip = st->tip + 1 + b;
	}
	st->n_ops = (uint32_t)n;
	return 0;
}

int tl_sim_extend(const char *dir, uint32_t reorg_depth, uint32_t blocks, tl_sim_progress_fn progress, void *progress_ctx,
		  struct tl_sim_stats *stats, struct tl_err *err)
{
	struct tl_sim_params p;
	uint32_t (*ops)[2] = NULL;
	size_t n_ops = 0;
	json_t *old_stale = NULL;
	if (load_state(dir, &p, &ops, &n_ops, &old_stale, err)) { free(ops); json_decref(old_stale); return -1; }
	int rc = -1;
	struct sim_state *st = calloc(1, sizeof *st);
	if (!st) abort();
	/* the current tip, to check the depth */
	if (state_init(st, &p, err) || apply_ops(st, ops, n_ops, err)) goto out1;
	if (reorg_depth == 0 || reorg_depth >= st->tip - st->econ_start) {
		tl_err_set(err, "--reorg %u: need 1 .. %u for a chain of height %u", reorg_depth,
			   st->tip > st->econ_start + 1 ? st->tip - st->econ_start - 1 : 0, st->tip);
		goto out1;
	}
	uint32_t fork = st->tip - reorg_depth;
	state_free(st);
	memset(st, 0, sizeof *st);
	/* the whole history again, the new op last; only its branch is written */
	ops[n_ops][0] = reorg_depth;
	ops[n_ops][1] = blocks;
	n_ops++;
	p.progress = progress;
	p.progress_ctx = progress_ctx;
	if (state_init(st, &p, err) || apply_ops(st, ops, n_ops, err)) goto out1;
	for (size_t i = 0; i < json_array_size(old_stale); i++) {
		const char *s = json_string_value(json_array_get(old_stale, i));
		if (s) sim_strlist_add(&st->stale_txids, s);
	}
	st->stale_from_op = (uint32_t)n_ops - 1;
	st->emitting = false; /* set when the new op starts */
	st->write_from = fork + 1;
	char bdir[4096];
	snprintf(bdir, sizeof bdir, "%s/blocks", dir);
	struct sim_blkw w;
	uint8_t key[8] = { 0 };
	if (sim_blkw_open(&w, bdir, st->np, key, true, err)) goto out1;
	st->blkw = &w;
	if (simulate(st, err)) { sim_blkw_close(&w, NULL); goto out1; }
	if (sim_blkw_close(&w, err)) goto out1;
	char *hist = history_json(st, (const uint32_t (*)[2])ops, n_ops, NULL);
	rc = sim_write_truth(st, dir, hist, err);
	free(hist);
	fill_stats(st, &w, stats);
out1:
	state_free(st);
	free(st);
	free(ops);
	json_decref(old_stale);
	return rc;
}
