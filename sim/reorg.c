/* A reorg as a node sees one: the replacing branch carries most of the
 * replaced blocks' transactions again, each one block later, drops a
 * few, and double-spends a tainted coin to an exchange deposit address
 * the chain had never paid. The blocks above the lowest pending fork are
 * captured while they are built (bytes, fee, inputs) so that they can be
 * re-mined exactly; the wallets and the heists' truth are then corrected
 * for what the new branch no longer holds. Deterministic by seed: every
 * choice draws from the economy's generator at a fixed point. */
#include <stdlib.h>
#include <string.h>

#include "bitcoin/hash.h"
#include "sim/internal.h"

#define DUST 1000u
#define REORG_DROPS 2   /* ordinary transactions dropped besides the double-spent one */

uint32_t sim_reorg_cap_from(const struct sim_state *st)
{
	uint32_t m = UINT32_MAX;
	for (uint32_t j = st->next_op; j < st->n_ops; j++)
		if (st->op_fork[j] < m) m = st->op_fork[j];
	return m;
}

static struct sim_caprec *cap_push(struct sim_state *st)
{
	if (st->n_cap == st->cap_cap) {
		st->cap_cap = st->cap_cap ? 2 * st->cap_cap : 256;
		st->cap = realloc(st->cap, st->cap_cap * sizeof *st->cap);
		if (!st->cap) abort();
	}
	struct sim_caprec *r = &st->cap[st->n_cap++];
	memset(r, 0, sizeof *r);
	return r;
}

static void cap_record(struct sim_state *st, const uint8_t txid[32], const uint8_t wtxid[32], const uint8_t *raw,
		       size_t len, uint64_t fee, const struct sim_txin *in, size_t n_in)
{
	struct sim_caprec *r = cap_push(st);
	memcpy(r->txid, txid, 32);
	memcpy(r->wtxid, wtxid, 32);
	r->off = st->cap_raw.len;
	r->len = len;
	tl_buf_put(&st->cap_raw, raw, len);
	r->fee = fee;
	r->height = st->height;
	r->n_in = n_in;
	r->in = malloc((n_in ? n_in : 1) * sizeof *r->in);
	if (!r->in) abort();
	memcpy(r->in, in, n_in * sizeof *in);
}

void sim_reorg_capture_tx(struct sim_state *st, const uint8_t txid[32], const uint8_t wtxid[32], size_t off, uint64_t fee)
{
	cap_record(st, txid, wtxid, st->body.data + off, st->body.len - off, fee, st->tx.in, st->tx.n_in);
}

void sim_reorg_free(struct sim_state *st)
{
	for (size_t i = 0; i < st->n_cap; i++) free(st->cap[i].in);
	free(st->cap);
	free(st->capb);
	tl_buf_free(&st->cap_raw);
	st->cap = NULL;
	st->capb = NULL;
	st->n_cap = st->cap_cap = st->n_capb = st->cap_capb = 0;
}

static bool strlist_has(const struct sim_strlist *l, const char *s)
{
	for (const char *p = l->s; p && p < l->s + l->len; p += strlen(p) + 1)
		if (!strcmp(p, s)) return true;
	return false;
}

static void strlist_remove(struct sim_strlist *l, const char *s)
{
	if (!strlist_has(l, s)) return;
	struct sim_strlist n = { 0 };
	for (const char *p = l->s; p < l->s + l->len; p += strlen(p) + 1)
		if (strcmp(p, s)) sim_strlist_add(&n, p);
	sim_strlist_free(l);
	*l = n;
}

/* Whether any truth list names the transaction (those are not dropped as
 * "ordinary": the heist's script and the mixers' rounds stay whole). */
static bool in_truth(const struct sim_state *st, const char *hex)
{
	if (strlist_has(&st->coinjoin_txids, hex)) return true;
	for (uint32_t i = 0; i < st->n_heists; i++) {
		const struct sim_heist *h = &st->heists[i];
		if (!strcmp(h->theft_txid, hex) || strlist_has(&h->attacker_txs, hex) || strlist_has(&h->coinjoins, hex))
			return true;
		for (size_t c = 0; c < h->n_cash; c++)
			if (!strcmp(h->cash[c].txid, hex)) return true;
	}
	return false;
}

/* No transaction of the window spends an output of r. */
static bool is_leaf(const struct sim_caprec *w, size_t n, const struct sim_caprec *r)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < w[i].n_in; j++)
			if (!memcmp(w[i].in[j].txid, r->txid, 32)) return false;
	return true;
}

static bool all_tainted(const struct sim_caprec *r)
{
	if (r->n_in == 0) return false;
	for (size_t j = 0; j < r->n_in; j++)
		if (!r->in[j].heist || r->in[j].heist != r->in[0].heist || r->in[j].role == R_CLEAN) return false;
	return true;
}

/* The heist (1+index) whose taint reached one of r's inputs (poison:
 * coins descending from the seed, whoever holds them now), 0 none. */
static uint32_t truth_tainted(const struct sim_state *st, const struct sim_caprec *r)
{
	(void)st;
	for (size_t j = 0; j < r->n_in; j++)
		if (r->in[j].taint) return r->in[j].taint;
	return 0;
}

static bool any_tainted(const struct sim_caprec *r)
{
	for (size_t j = 0; j < r->n_in; j++)
		if (r->in[j].heist) return true;
	return false;
}

/* Removes from wallet w the coins created by any of the n txids. */
static void wallet_drop(struct sim_wallet *w, size_t keep_before, const uint8_t (*gone)[32], size_t n)
{
	for (size_t i = keep_before; i < w->n;) {
		bool hit = false;
		for (size_t k = 0; k < n && !hit; k++) hit = !memcmp(w->c[i].txid, gone[k], 32);
		if (!hit) { i++; continue; }
		/* order matters for the miners' FIFO: shift, not swap */
		memmove(&w->c[i], &w->c[i + 1], (w->n - i - 1) * sizeof *w->c);
		w->n--;
	}
}

static void mixq_drop(struct sim_mixq *q, const uint8_t (*gone)[32], size_t n)
{
	for (size_t i = 0; i < q->n;) {
		bool hit = false;
		for (size_t k = 0; k < n && !hit; k++) hit = !memcmp(q->v[i].c.txid, gone[k], 32);
		if (!hit) { i++; continue; }
		memmove(&q->v[i], &q->v[i + 1], (q->n - i - 1) * sizeof *q->v);
		q->n--;
	}
}

/* The tainted coins X spent go to a deposit address made now at an
 * exchange other than the victim: one the chain has never paid. When they
 * were the attacker's, the heist's truth gains the cash-out. */
static void double_spend(struct sim_state *st, const struct sim_caprec *x)
{
	bool attacker = all_tainted(x);
	uint32_t hi = attacker ? (uint32_t)x->in[0].heist - 1 : truth_tainted(st, x) - 1;
	struct sim_heist *h = &st->heists[hi];
	sim_tx_reset(&st->tx);
	uint64_t in = 0;
	for (size_t j = 0; j < x->n_in; j++) {
		struct sim_coin c;
		memset(&c, 0, sizeof c);
		memcpy(c.txid, x->in[j].txid, 32);
		c.vout = x->in[j].vout;
		c.value = x->in[j].value;
		c.key = x->in[j].key;
		c.type = x->in[j].type;
		c.heist = x->in[j].heist;
		sim_add_input(st, &c);
		in += c.value;
	}
	int ex;
	do ex = st->first_exch + (int)sim_rng_below(&st->rng, (uint64_t)st->n_exch);
	while (ex == h->victim && st->n_exch > 1);
	uint64_t key = sim_new_key(st, ex, OT_P2WPKH);
	struct sim_txout *o = sim_pay(st, ex, key, OT_P2WPKH, 0);
	o->role = R_DEPOSIT;
	uint64_t fee = sim_fee(st);
	if (in < fee + DUST) { sim_tx_reset(&st->tx); return; }
	st->tx.out[0].value = in - fee;
	char hex[65];
	sim_commit_tx(st, hex);
	if (!attacker) return;
	sim_strlist_add(&h->attacker_txs, hex);
	if (h->n_cash == h->cap_cash) {
		h->cap_cash = h->cap_cash ? 2 * h->cap_cash : 32;
		h->cash = realloc(h->cash, h->cap_cash * sizeof *h->cash);
		if (!h->cash) abort();
	}
	struct sim_cashout *c = &h->cash[h->n_cash++];
	memset(c, 0, sizeof *c);
	c->heist = (uint16_t)hi;
	c->exchange = ex;
	memcpy(c->txid, hex, 65);
	c->vout = 0;
	c->value = in - fee;
	c->height = st->height;
	sim_address_of(st, key, OT_P2WPKH, c->address);
}

/* Forgets a dropped attacker transaction in the heist's truth. */
static void heist_forget(struct sim_state *st, const char *hex)
{
	for (uint32_t i = 0; i < st->n_heists; i++) {
		struct sim_heist *h = &st->heists[i];
		strlist_remove(&h->attacker_txs, hex);
		for (uint32_t p = 0; p < h->n_peel; p++) strlist_remove(&h->peel[p], hex);
		for (size_t c = 0; c < h->n_cash;) {
			if (strcmp(h->cash[c].txid, hex)) { c++; continue; }
			memmove(&h->cash[c], &h->cash[c + 1], (h->n_cash - c - 1) * sizeof *h->cash);
			h->n_cash--;
		}
	}
}

/* Chooses the dropped transactions: the double-spent one (all inputs of
 * one heist, a leaf of the window) and REORG_DROPS ordinary leaves.
 * Returns X's index or -1. */
static long choose_drops(struct sim_state *st, struct sim_caprec *w, size_t n)
{
	long x = -1;
	if (!n) return -1;
	size_t s0 = (size_t)sim_rng_below(&st->rng, n);
	for (size_t k = 0; k < n && x < 0; k++) {
		struct sim_caprec *r = &w[(s0 + k) % n];
		char hex[65];
		tl_hash_to_hex(r->txid, hex);
		if (all_tainted(r) && !strlist_has(&st->coinjoin_txids, hex) && is_leaf(w, n, r)) {
			r->drop = true;
			x = (long)((s0 + k) % n);
		}
	}
	for (size_t k = 0; k < n && x < 0; k++) {
		struct sim_caprec *r = &w[(s0 + k) % n];
		char hex[65];
		tl_hash_to_hex(r->txid, hex);
		if (truth_tainted(st, r) && !strlist_has(&st->coinjoin_txids, hex) && is_leaf(w, n, r)) {
			r->drop = true;
			x = (long)((s0 + k) % n);
		}
	}
	size_t s1 = (size_t)sim_rng_below(&st->rng, n);
	int dropped = 0;
	for (size_t k = 0; k < n && dropped < REORG_DROPS; k++) {
		struct sim_caprec *r = &w[(s1 + k) % n];
		char hex[65];
		tl_hash_to_hex(r->txid, hex);
		if (r->drop || any_tainted(r) || truth_tainted(st, r) || in_truth(st, hex) || !is_leaf(w, n, r)) continue;
		r->drop = true;
		dropped++;
	}
	return x;
}

int sim_reorg_apply(struct sim_state *st, uint32_t i, uint8_t prev[32], struct tl_err *err)
{
	uint32_t f = st->op_fork[i], T = st->op_tip[i];
	st->next_op = i + 1;
	/* the fork block and the replaced blocks, from the capture */
	size_t b0 = 0;
	while (b0 < st->n_capb && st->capb[b0].height < f) b0++;
	if (b0 == st->n_capb || st->capb[b0].height != f || st->n_capb - b0 - 1 != T - f ||
	    memcmp(st->capb[st->n_capb - 1].hash, prev, 32))
		return tl_err_set(err, "internal error: the blocks above fork %u were not captured", f);
	memcpy(prev, st->capb[b0].hash, 32);
	size_t n_old = T - f;
	uint8_t (*old_cb)[32] = malloc((n_old + 1) * 32);
	if (!old_cb) abort();
	for (size_t k = 0; k < n_old; k++) memcpy(old_cb[k], st->capb[b0 + 1 + k].cb, 32);
	st->n_capb = b0 + 1;
	size_t t0 = 0;
	while (t0 < st->n_cap && st->cap[t0].height <= f) t0++;
	size_t n = st->n_cap - t0;
	struct sim_caprec *w = malloc((n ? n : 1) * sizeof *w);
	if (!w) abort();
	memcpy(w, st->cap + t0, n * sizeof *w);
	st->n_cap = t0;

	long x = choose_drops(st, w, n);
	bool record_stale = i >= st->stale_from_op;
	/* the replaced blocks leave the best chain; what is re-mined is counted again below */
	st->n_txs -= n + n_old;
	size_t n_gone = n_old;
	uint8_t (*gone)[32] = malloc((n_old + n + 1) * 32);
	if (!gone) abort();
	memcpy(gone, old_cb, n_old * 32);
	for (size_t k = 0; k < n; k++)
		if (w[k].drop) memcpy(gone[n_gone++], w[k].txid, 32);
	for (size_t k = 0; k < n_gone; k++) {
		char hex[65];
		tl_hash_to_hex(gone[k], hex);
		if (record_stale) sim_strlist_add(&st->stale_txids, hex);
		if (k >= n_old) heist_forget(st, hex);
	}
	for (size_t e = 0; e < st->n_ent; e++) {
		struct sim_entity *en = &st->ent[e];
		wallet_drop(&en->w, en->kind == EK_MINER ? en->head : 0, (const uint8_t (*)[32])gone, n_gone);
		wallet_drop(&en->dep, 0, (const uint8_t (*)[32])gone, n_gone);
	}
	mixq_drop(&st->wq, (const uint8_t (*)[32])gone, n_gone);
	mixq_drop(&st->xq, (const uint8_t (*)[32])gone, n_gone);
	/* the truth's heights of what moves one block up */
	for (uint32_t hi = 0; hi < st->n_heists; hi++) {
		struct sim_heist *h = &st->heists[hi];
		if (h->h_theft > f && h->h_theft <= T) h->h_theft++;
		for (size_t c = 0; c < h->n_cash; c++)
			if (h->cash[c].height > f && h->cash[c].height <= T) h->cash[c].height++;
	}
	if (st->blkw && i + 1 == st->n_ops) st->emitting = true;

	int rc = -1;
	for (uint32_t k = 0; k <= n_old; k++) {
		uint32_t h = f + 1 + k;
		st->height = h;
		st->cap_on = h > sim_reorg_cap_from(st);
		sim_block_begin(st);
		if (k == 0) {
			if (x >= 0) double_spend(st, &w[x]);
		} else {
			for (size_t j = 0; j < n; j++) {
				const struct sim_caprec *r = &w[j];
				if (r->height != h - 1 || r->drop) continue;
				const uint8_t *raw = st->cap_raw.data + r->off;
				tl_buf_put(&st->body, raw, r->len);
				sim_push_txid(st, r->txid, r->wtxid);
				st->fees += r->fee;
				if (memcmp(r->txid, r->wtxid, 32)) st->any_witness = true;
				char hex[65];
				tl_hash_to_hex(r->txid, hex);
				sim_note_txid(st, hex);
				if (st->cap_on) {
					/* raw may move when cap_raw grows: copy through the offset */
					size_t off = r->off, len = r->len;
					struct tl_buf tmp;
					tl_buf_init(&tmp);
					tl_buf_put(&tmp, st->cap_raw.data + off, len);
					cap_record(st, r->txid, r->wtxid, tmp.data, len, r->fee, r->in, r->n_in);
					tl_buf_free(&tmp);
				}
			}
		}
		int m = st->first_miner + (int)sim_rng_below(&st->rng, (uint64_t)st->n_miner);
		uint8_t hash[32];
		sim_block_end(st, prev, sim_block_time(h), m, hash);
		if (sim_block_done(st, hash, 0, err)) goto out;
		sim_credit_pending(st);
		st->cap_on = false;
		memcpy(prev, hash, 32);
		if (st->p.progress && st->emitting && h >= st->write_from) st->p.progress(st->p.progress_ctx, h, st->tip, st->n_txs);
	}
	rc = 0;
out:
	for (size_t k = 0; k < n; k++) free(w[k].in);
	free(w);
	free(gone);
	free(old_cb);
	return rc;
}
