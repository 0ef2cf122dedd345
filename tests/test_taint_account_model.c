/* The account-model taint engine (taint/account.h) against a second,
 * deliberately naive implementation of the same rules written here:
 * numbers are arrays of 32-bit limbs with schoolbook products and
 * bit-by-bit division, pools sit in a flat array searched linearly, fifo
 * queues are arrays of unmerged pieces shifted down on every removal.
 * 5,000 random account graphs (plain transfers, internal
 * transfers, swaps through a router and a pool, wrapping, mints and
 * burns, failed transactions, fees to a miner and burnt, unknown prior
 * funds, seeds, stops, hop and amount cuts; amounts from a few units to
 * 2^240) under every policy: totals per asset, endpoints and holdings
 * must be identical, and every asset's taint conserved (but poison's).
 * A failure prints its seed; TL_SEED=N replays one graph,
 * TL_RUNS=N sets how many graphs are tried. */
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
#include "tests/testutil.h"

#define NW TL_TAINT_NOWHERE

/* ---- naive numbers: 18 limbs of 32 bits (576 bits) ---- */
#define NL 18
typedef struct {
	uint32_t d[NL];
} nb;
static const nb ZERO;
static nb nb_u(const tl_uint256 *a)
{
	nb r = ZERO;
	for (int i = 0; i < 8; i++) r.d[i] = (uint32_t)(a->w[i / 2] >> (32 * (i % 2)));
	return r;
}
static int nb_cmp(const nb *a, const nb *b)
{
	for (int i = NL - 1; i >= 0; i--)
		if (a->d[i] != b->d[i]) return a->d[i] < b->d[i] ? -1 : 1;
	return 0;
}
static int nb_zero(const nb *a) { return !nb_cmp(a, &ZERO); }
static nb nb_add(nb a, const nb *b)
{
	uint64_t c = 0;
	for (int i = 0; i < NL; i++) {
		c += (uint64_t)a.d[i] + b->d[i];
		a.d[i] = (uint32_t)c;
		c >>= 32;
	}
	return a;
}
static nb nb_sub(nb a, const nb *b)
{
	int64_t br = 0;
	for (int i = 0; i < NL; i++) {
		int64_t v = (int64_t)a.d[i] - b->d[i] - br;
		br = v < 0;
		a.d[i] = (uint32_t)(v + (br ? (1ll << 32) : 0));
	}
	return a;
}
static nb nb_min(const nb *a, const nb *b) { return nb_cmp(a, b) <= 0 ? *a : *b; }
static nb nb_mul(const nb *a, const nb *b)
{
	nb r = ZERO;
	for (int i = 0; i < 9; i++)
		for (int j = 0; j < 9 && i + j < NL; j++) {
			uint64_t carry = (uint64_t)a->d[i] * b->d[j];
			for (int k = i + j; carry && k < NL; k++) {
				uint64_t s = (uint64_t)r.d[k] + (uint32_t)carry;
				r.d[k] = (uint32_t)s;
				carry = (carry >> 32) + (s >> 32);
			}
		}
	return r;
}
static nb nb_div(const nb *a, const nb *c)
{
	nb q = ZERO, r = ZERO;
	int top = 32 * NL - 1; /* leading zero bits of a add nothing */
	while (top >= 0 && !((a->d[top / 32] >> (top % 32)) & 1)) top--;
	for (int bit = top; bit >= 0; bit--) {
		for (int i = NL - 1; i > 0; i--) r.d[i] = (r.d[i] << 1) | (r.d[i - 1] >> 31);
		r.d[0] = (r.d[0] << 1) | ((a->d[bit / 32] >> (bit % 32)) & 1);
		if (nb_cmp(&r, c) >= 0) {
			r = nb_sub(r, c);
			q.d[bit / 32] |= 1u << (bit % 32);
		}
	}
	return q;
}
/* floor(a * b / c) */
static nb nb_muldiv(const nb *a, const nb *b, const nb *c)
{
	nb p = nb_mul(a, b);
	return nb_div(&p, c);
}

/* ---- the naive engine ---- */
struct mpiece {
	nb amt;
	int tainted;
};
struct mpool {
	uint64_t acct;
	uint32_t asset;
	nb bal, taint;
	uint32_t hops;
	int poisoned;
	struct mpiece q[4096];
	int qn;
};
enum { F_SEEDED, F_END, F_HOLD, F_FEES, F_CUT, F_CIN, F_COUT, F_UNK, F_DUST, F_HOPS, NF };
struct mend {
	uint64_t acct, from, tx;
	uint32_t asset, hops;
	nb amt;
};
#define MAXPOOLS 256
#define MAXASSETS 4
struct model {
	enum tl_taint_policy pol;
	uint32_t max_hops;
	nb min;
	uint32_t stops[64];
	struct mpool *pools;
	int np;
	nb tot[MAXASSETS][NF];
	struct mend ends[4096];
	int ne;
	struct mpiece moved[4096]; /* fifo: the pieces of the amount being moved */
	int nmoved;
};

static struct mpool *mpool(struct model *m, uint64_t acct, uint32_t asset)
{
	for (int i = 0; i < m->np; i++)
		if (m->pools[i].acct == acct && m->pools[i].asset == asset) return &m->pools[i];
	assert_true(m->np < MAXPOOLS);
	struct mpool *p = &m->pools[m->np++];
	/* not the whole struct: its queue array is large, and qn says what is live */
	p->acct = acct;
	p->asset = asset;
	p->bal = p->taint = ZERO;
	p->hops = 0;
	p->poisoned = 0;
	p->qn = 0;
	return p;
}

static int mtainted(const struct model *m, const struct mpool *p)
{
	return m->pol == TL_TP_POISON ? p->poisoned : !nb_zero(&p->taint);
}

static nb mdebit(struct model *m, struct mpool *p, const nb *a, uint32_t *hop)
{
	if (nb_cmp(a, &p->bal) > 0) {
		nb s = nb_sub(*a, &p->bal);
		m->tot[p->asset][F_UNK] = nb_add(m->tot[p->asset][F_UNK], &s);
		p->bal = *a;
		if (m->pol == TL_TP_FIFO) {
			assert_true(p->qn < 4096);
			memmove(p->q + 1, p->q, (size_t)p->qn * sizeof p->q[0]);
			p->q[0].amt = s;
			p->q[0].tainted = 0;
			p->qn++;
		}
	}
	*hop = p->hops + 1;
	nb t = ZERO;
	if (m->pol == TL_TP_POISON) {
		if (p->poisoned) t = *a;
	} else if (m->pol == TL_TP_HAIRCUT) {
		t = nb_muldiv(a, &p->taint, &p->bal);
	} else if (m->pol == TL_TP_SENIORITY) {
		t = nb_min(a, &p->taint);
	} else {
		m->nmoved = 0;
		nb need = *a;
		while (!nb_zero(&need)) {
			assert_true(p->qn > 0);
			nb take = nb_min(&p->q[0].amt, &need);
			m->moved[m->nmoved].amt = take;
			m->moved[m->nmoved++].tainted = p->q[0].tainted;
			if (p->q[0].tainted) t = nb_add(t, &take);
			p->q[0].amt = nb_sub(p->q[0].amt, &take);
			need = nb_sub(need, &take);
			if (nb_zero(&p->q[0].amt)) memmove(p->q, p->q + 1, (size_t)--p->qn * sizeof p->q[0]);
		}
	}
	if (m->pol != TL_TP_POISON) p->taint = nb_sub(p->taint, &t);
	p->bal = nb_sub(p->bal, a);
	return t;
}

static void mappend(struct mpool *p, const nb *amt, int tainted)
{
	if (nb_zero(amt)) return;
	assert_true(p->qn < 4096);
	p->q[p->qn].amt = *amt;
	p->q[p->qn++].tainted = tainted;
}

static void mcredit(struct model *m, struct mpool *p, const nb *a, const nb *t, uint32_t hop, int moved)
{
	if (!nb_zero(t)) {
		if (!mtainted(m, p) || hop > p->hops) p->hops = hop;
		if (m->pol == TL_TP_POISON) p->poisoned = 1;
	}
	p->bal = nb_add(p->bal, a);
	if (m->pol != TL_TP_POISON) p->taint = nb_add(p->taint, t);
	if (m->pol == TL_TP_FIFO) {
		if (moved) {
			for (int i = 0; i < m->nmoved; i++) mappend(p, &m->moved[i].amt, m->moved[i].tainted);
		} else {
			nb clean = nb_sub(*a, t);
			mappend(p, t, 1);
			mappend(p, &clean, 0);
		}
	}
}

static int mstop(const struct model *m, uint64_t acct) { return acct < 64 && m->stops[acct]; }

static void mdeliver(struct model *m, uint64_t txn, uint64_t from, uint64_t to, uint32_t asset, const nb *a,
                     const nb *c, uint32_t hop, int moved)
{
	struct mpool *r = to == NW ? NULL : mpool(m, to, asset);
	nb *tot = m->tot[asset];
	if (!nb_zero(c)) {
		int dust = !nb_zero(&m->min) && nb_cmp(c, &m->min) < 0;
		int far = m->max_hops && hop > m->max_hops;
		if (dust || far) {
			tot[F_CUT] = nb_add(tot[F_CUT], c);
			tot[dust ? F_DUST : F_HOPS] = nb_add(tot[dust ? F_DUST : F_HOPS], c);
		} else if (!r || mstop(m, to)) {
			tot[F_END] = nb_add(tot[F_END], c);
			assert_true(m->ne < 4096);
			m->ends[m->ne++] = (struct mend){ .acct = to, .from = from, .tx = txn, .asset = asset, .hops = hop, .amt = *c };
		} else {
			mcredit(m, r, a, c, hop, moved);
			return;
		}
	}
	if (r) mcredit(m, r, a, &ZERO, 0, 0);
}

static void mplain(struct model *m, uint64_t txn, const struct tl_taint_xfer *x)
{
	nb a = nb_u(&x->amount), t = ZERO;
	uint32_t hop = 0;
	if (x->from != NW) t = mdebit(m, mpool(m, x->from, x->asset), &a, &hop);
	if (x->kind == TL_TK_FEE) {
		m->tot[x->asset][F_FEES] = nb_add(m->tot[x->asset][F_FEES], &t);
		if (x->to != NW) mcredit(m, mpool(m, x->to, x->asset), &a, &ZERO, 0, 0);
	} else if (x->seed) {
		nb add = nb_sub(a, &t);
		m->tot[x->asset][F_SEEDED] = nb_add(m->tot[x->asset][F_SEEDED], &add);
		mdeliver(m, txn, x->from, x->to, x->asset, &a, &a, 0, 0);
	} else {
		mdeliver(m, txn, x->from, x->to, x->asset, &a, &t, hop, m->pol == TL_TP_FIFO);
	}
}

static void mtx(struct model *m, const struct tl_taint_tx *tx, const struct tl_taint_xfer *x, size_t n)
{
	/* A conversion? */
	uint64_t X = tx->sender;
	int conv = tx->ok && X != NW;
	int64_t A = -1, B = -1;
	for (size_t i = 0; conv && i < n; i++) {
		if (x[i].kind == TL_TK_FEE || tl_uint256_is_zero(&x[i].amount)) continue;
		if (x[i].seed) conv = 0;
		if (x[i].from == X) {
			if (A >= 0 && A != x[i].asset) conv = 0;
			A = x[i].asset;
		}
		if (x[i].to == X) {
			if (B >= 0 && B != x[i].asset) conv = 0;
			B = x[i].asset;
		}
	}
	conv = conv && A >= 0 && B >= 0 && A != B;
	if (!conv) {
		for (size_t i = 0; i < n; i++)
			if (!tl_uint256_is_zero(&x[i].amount) && (tx->ok || x[i].kind == TL_TK_FEE)) mplain(m, tx->num, &x[i]);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (x[i].kind == TL_TK_FEE && !tl_uint256_is_zero(&x[i].amount)) mplain(m, tx->num, &x[i]);
	struct mpool *xa = mpool(m, X, (uint32_t)A);
	uint32_t hop_a = xa->hops;
	nb a = ZERO, t = ZERO, b = ZERO;
	for (size_t i = 0; i < n; i++) {
		if (x[i].kind == TL_TK_FEE || x[i].from != X || tl_uint256_is_zero(&x[i].amount)) continue;
		nb ai = nb_u(&x[i].amount);
		uint32_t hop;
		xa = mpool(m, X, (uint32_t)A);
		nb ti = mdebit(m, xa, &ai, &hop);
		a = nb_add(a, &ai);
		t = nb_add(t, &ti);
		if (x[i].to != NW) mcredit(m, mpool(m, x[i].to, (uint32_t)A), &ai, &ZERO, 0, 0);
	}
	m->tot[A][F_COUT] = nb_add(m->tot[A][F_COUT], &t);
	size_t last = n;
	for (size_t i = 0; i < n; i++)
		if (x[i].kind != TL_TK_FEE && x[i].to == X && !tl_uint256_is_zero(&x[i].amount)) {
			nb bi = nb_u(&x[i].amount);
			b = nb_add(b, &bi);
			last = i;
		}
	nb tb = nb_muldiv(&b, &t, &a), given = ZERO;
	for (size_t i = 0; i < n; i++) {
		const struct tl_taint_xfer *y = &x[i];
		if (y->kind == TL_TK_FEE || y->from == X || tl_uint256_is_zero(&y->amount)) continue;
		if (y->to != X) {
			mplain(m, tx->num, y);
			continue;
		}
		nb bi = nb_u(&y->amount), w = ZERO;
		uint32_t hop = 0;
		if (y->from != NW) {
			w = mdebit(m, mpool(m, y->from, (uint32_t)B), &bi, &hop);
			if (nb_zero(&w)) hop = 0;
		}
		nb share = i == last ? nb_sub(tb, &given) : nb_muldiv(&bi, &tb, &b);
		given = nb_add(given, &share);
		nb room = nb_sub(bi, &w);
		share = nb_min(&share, &room);
		if (!nb_zero(&share) && hop_a > hop) hop = hop_a;
		m->tot[B][F_CIN] = nb_add(m->tot[B][F_CIN], &share);
		nb c = nb_add(w, &share);
		mdeliver(m, tx->num, y->from, X, (uint32_t)B, &bi, &c, hop, 0);
	}
}

/* ---- random graphs ---- */
static uint64_t rs;
static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}
static int scale;
static tl_uint256 ramount(void)
{
	tl_uint256 v = tl_uint256_from_u64(0);
	if (rnd() % 15 == 0) return v;
	switch (scale) {
	case 0: v.w[0] = 1 + rnd() % 60; break;
	case 1: v.w[0] = 1 + rnd() % (1ull << 40); break;
	default: {
		int bits = 1 + (int)(rnd() % 240);
		for (int i = 0; i < 4; i++) {
			int lo = 64 * i;
			v.w[i] = bits <= lo ? 0 : bits >= lo + 64 ? rnd() : rnd() & ((1ull << (bits - lo)) - 1);
		}
		if (tl_uint256_is_zero(&v)) v.w[0] = 1;
	}
	}
	return v;
}

struct gtx {
	struct tl_taint_tx tx;
	struct tl_taint_xfer x[12];
	size_t n;
};

static uint32_t eng_cats(void *ctx, uint64_t acct)
{
	const uint32_t *stops = ctx;
	return acct < 64 ? stops[acct] : 0;
}

static void add(struct gtx *g, uint8_t kind, uint64_t from, uint64_t to, uint32_t asset, int seed)
{
	if (g->n >= 12) return;
	g->x[g->n++] = (struct tl_taint_xfer){ .from = from, .to = to, .asset = asset, .kind = kind,
		                               .seed = (uint8_t)seed, .amount = ramount() };
}

static size_t gen(struct gtx *g, size_t max, int K, int NA)
{
	size_t n = 10 + rnd() % (max - 10);
	uint64_t miner = (uint64_t)K + 1, router = (uint64_t)K + 2, dex = (uint64_t)K + 3;
	for (size_t k = 0; k < n; k++) {
		struct gtx *t = &g[k];
		memset(t, 0, sizeof *t);
		uint64_t s = 1 + rnd() % (uint64_t)K;
		t->tx = (struct tl_taint_tx){ .num = k * 3 + 1, .sender = rnd() % 20 ? s : NW, .height = (uint32_t)k,
			                      .time = (int64_t)k * 12, .ok = rnd() % 8 != 0 };
		if (t->tx.sender != NW && rnd() % 3) {
			add(t, TL_TK_FEE, s, rnd() % 2 ? miner : NW, 0, 0);
			if (rnd() % 3 == 0) add(t, TL_TK_FEE, s, NW, 0, 0);
		}
		uint32_t A = (uint32_t)(rnd() % NA), B = (uint32_t)(rnd() % NA);
		switch (k < 4 ? 9 : rnd() % 6) {
		case 9: /* the early seeds */
			add(t, rnd() % 2 ? TL_TK_MINT : TL_TK_VALUE, 0, s, A, 1);
			if (t->x[t->n - 1].kind == TL_TK_MINT) t->x[t->n - 1].from = NW;
			else t->x[t->n - 1].from = 1 + rnd() % (uint64_t)K;
			break;
		case 0:
		case 1: /* plain and internal transfers */
			for (int j = 0, nt = 1 + (int)(rnd() % 4); j < nt; j++) {
				uint64_t f = rnd() % 3 ? s : 1 + rnd() % (uint64_t)K;
				add(t, TL_TK_VALUE, f, 1 + rnd() % (uint64_t)(K + 3), (uint32_t)(rnd() % NA), rnd() % 14 == 0);
			}
			break;
		case 2:
		case 3: /* a swap: A to the router, on to the pool, B back */
			if (t->tx.sender == NW) break;
			add(t, TL_TK_VALUE, s, router, A, 0);
			if (rnd() % 3 == 0) add(t, TL_TK_VALUE, s, router, A, 0);
			add(t, TL_TK_VALUE, router, dex, A, 0);
			add(t, TL_TK_VALUE, dex, s, B, 0);
			if (rnd() % 2) add(t, TL_TK_VALUE, dex, s, B, 0);
			if (rnd() % 5 == 0) add(t, TL_TK_VALUE, dex, 1 + rnd() % (uint64_t)K, B, 0);
			if (rnd() % 12 == 0) add(t, TL_TK_VALUE, s, 1 + rnd() % (uint64_t)K, B, 0); /* spoils it */
			break;
		case 4: /* wrapping: ETH to the contract, a mint back; or a burn and ETH back */
			if (t->tx.sender == NW) break;
			if (rnd() % 2) {
				add(t, TL_TK_VALUE, s, router, 0, 0);
				add(t, TL_TK_MINT, NW, s, (uint32_t)(NA - 1), 0);
			} else {
				add(t, TL_TK_BURN, s, NW, (uint32_t)(NA - 1), 0);
				add(t, TL_TK_VALUE, router, s, 0, 0);
			}
			break;
		default: /* mints (sometimes seeds) and burns */
			add(t, TL_TK_MINT, NW, 1 + rnd() % (uint64_t)K, A, rnd() % 4 == 0);
			add(t, TL_TK_BURN, 1 + rnd() % (uint64_t)K, NW, B, 0);
		}
	}
	return n;
}

/* What the graphs exercised, so that a run that silently stopped
 * producing swaps or cuts shows (and fails). */
static struct {
	uint64_t conversions, endpoints, holdings, cut_dust, cut_hops, unknown, fees, seeds;
} seen;

static int same(const tl_uint256 *a, const nb *b)
{
	nb x = nb_u(a);
	return !nb_cmp(&x, b);
}

static void one(uint64_t seed, struct model *m, struct gtx *g)
{
	rs = seed * 0x9e3779b97f4a7c15ull + 7;
	for (int i = 0; i < 3; i++) rnd();
	int K = 3 + (int)(rnd() % 14), NA = 1 + (int)(rnd() % 3);
	scale = (int)(rnd() % 3);
	uint32_t stops[64] = { 0 };
	for (int a = 1; a <= K + 3; a++) stops[a] = rnd() % 7 == 0;
	uint32_t max_hops = rnd() % 4 == 0 ? 1 + (uint32_t)(rnd() % 4) : 0;
	tl_uint256 min = rnd() % 4 == 0 ? ramount() : tl_uint256_from_u64(0);
	size_t n = gen(g, 80, K, NA);
	for (int pol = 0; pol < 4; pol++) {
		memset(m, 0, offsetof(struct model, pools));
		m->pools = m->pools;
		m->np = 0;
		m->ne = 0;
		memset(m->tot, 0, sizeof m->tot);
		m->pol = (enum tl_taint_policy)pol;
		m->max_hops = max_hops;
		m->min = nb_u(&min);
		memcpy(m->stops, stops, sizeof stops);
		struct tl_taint_params p;
		tl_taint_params_default(&p);
		p.policy = (enum tl_taint_policy)pol;
		p.stop_cats = 1;
		p.max_hops = max_hops;
		p.min_amount = min;
		p.account_cats = eng_cats;
		p.cats_ctx = stops;
		struct tl_taint *e = tl_taint_new(&p);
		struct tl_err err = { 0 };
		for (size_t k = 0; k < n; k++) {
			if (tl_taint_apply(e, &g[k].tx, g[k].x, g[k].n, &err))
				fail_msg("seed %llu %s tx %zu: %s", (unsigned long long)seed, tl_taint_policy_name(p.policy), k,
				         err.msg);
			mtx(m, &g[k].tx, g[k].x, g[k].n);
		}
		struct tl_taint_result r;
		if (tl_taint_finish(e, &r, &err)) fail_msg("seed %llu: %s", (unsigned long long)seed, err.msg);
		/* the model's holdings */
		for (int i = 0; i < m->np; i++) {
			const struct mpool *q = &m->pools[i];
			const nb *h = pol == TL_TP_POISON ? (q->poisoned ? &q->bal : &ZERO) : &q->taint;
			m->tot[q->asset][F_HOLD] = nb_add(m->tot[q->asset][F_HOLD], h);
			if (nb_zero(h)) continue;
			int found = 0;
			for (size_t j = 0; j < r.n_holdings; j++)
				if (r.holdings[j].account == q->acct && r.holdings[j].asset == q->asset) {
					found = 1;
					if (!same(&r.holdings[j].amount, h) || !same(&r.holdings[j].balance, &q->bal) ||
					    r.holdings[j].hops != q->hops)
						fail_msg("seed %llu %s: holding of %llu/%u differs", (unsigned long long)seed,
						         tl_taint_policy_name(p.policy), (unsigned long long)q->acct, q->asset);
				}
			if (!found)
				fail_msg("seed %llu %s: holding of %llu/%u missing", (unsigned long long)seed,
				         tl_taint_policy_name(p.policy), (unsigned long long)q->acct, q->asset);
		}
		size_t nh = 0;
		for (int i = 0; i < m->np; i++) {
			const struct mpool *q = &m->pools[i];
			nh += pol == TL_TP_POISON ? (q->poisoned && !nb_zero(&q->bal)) : !nb_zero(&q->taint);
		}
		if (nh != r.n_holdings)
			fail_msg("seed %llu %s: %zu holdings, the model %zu", (unsigned long long)seed,
			         tl_taint_policy_name(p.policy), r.n_holdings, nh);
		if ((int)r.n_endpoints != m->ne)
			fail_msg("seed %llu %s: %zu endpoints, the model %d", (unsigned long long)seed,
			         tl_taint_policy_name(p.policy), r.n_endpoints, m->ne);
		for (int i = 0; i < m->ne; i++) {
			const struct tl_taint_endpoint *x = &r.endpoints[i];
			const struct mend *y = &m->ends[i];
			if (x->account != y->acct || x->from != y->from || x->tx != y->tx || x->asset != y->asset ||
			    x->hops != y->hops || !same(&x->amount, &y->amt))
				fail_msg("seed %llu %s: endpoint %d differs", (unsigned long long)seed,
				         tl_taint_policy_name(p.policy), i);
		}
		for (uint32_t a = 0; a < MAXASSETS; a++) {
			static const tl_uint256 z;
			const struct tl_taint_totals *t = a < r.n_assets ? &r.totals[a] : NULL;
			const tl_uint256 *f[NF] = { t ? &t->seeded : &z,        t ? &t->endpoints : &z, t ? &t->holdings : &z,
				                 t ? &t->fees : &z,          t ? &t->cut : &z,       t ? &t->converted_in : &z,
				                 t ? &t->converted_out : &z, t ? &t->unknown_prior : &z,
				                 t ? &t->cut_dust : &z,      t ? &t->cut_hops : &z };
			for (int k = 0; k < NF; k++)
				if (!same(f[k], &m->tot[a][k]))
					fail_msg("seed %llu %s: asset %u total %d differs from the model", (unsigned long long)seed,
					         tl_taint_policy_name(p.policy), a, k);
			if (t && pol != TL_TP_POISON && !tl_taint_conserved(t))
				fail_msg("seed %llu %s: asset %u not conserved", (unsigned long long)seed,
				         tl_taint_policy_name(p.policy), a);
			/* and the model conserves too, independently */
			nb l = nb_add(m->tot[a][F_SEEDED], &m->tot[a][F_CIN]), rr = m->tot[a][F_END];
			rr = nb_add(rr, &m->tot[a][F_HOLD]);
			rr = nb_add(rr, &m->tot[a][F_FEES]);
			rr = nb_add(rr, &m->tot[a][F_CUT]);
			rr = nb_add(rr, &m->tot[a][F_COUT]);
			if (pol != TL_TP_POISON && nb_cmp(&l, &rr))
				fail_msg("seed %llu %s: the model does not conserve asset %u", (unsigned long long)seed,
				         tl_taint_policy_name(p.policy), a);
		}
		seen.conversions += r.conversions;
		seen.endpoints += r.n_endpoints;
		seen.holdings += r.n_holdings;
		for (uint32_t a = 0; a < MAXASSETS; a++) {
			seen.cut_dust += !nb_zero(&m->tot[a][F_DUST]);
			seen.cut_hops += !nb_zero(&m->tot[a][F_HOPS]);
			seen.unknown += !nb_zero(&m->tot[a][F_UNK]);
			seen.fees += !nb_zero(&m->tot[a][F_FEES]);
			seen.seeds += !nb_zero(&m->tot[a][F_SEEDED]);
		}
		tl_taint_free(e);
	}
}

static void test_random_graphs(void **s)
{
	(void)s;
	struct model *m = calloc(1, sizeof *m);
	m->pools = calloc(MAXPOOLS, sizeof *m->pools);
	struct gtx *g = calloc(80, sizeof *g);
	const char *one_seed = getenv("TL_SEED"), *runs_s = getenv("TL_RUNS");
	if (one_seed) {
		one(strtoull(one_seed, NULL, 10), m, g);
	} else {
		uint64_t base = (uint64_t)time(NULL) * 1000;
		int runs = runs_s ? atoi(runs_s) : 5000;
		for (int i = 0; i < runs; i++) one(base + (uint64_t)i, m, g);
		printf("%d random graphs under 4 policies (seeds %llu..%llu): %llu conversions, %llu endpoints, "
		       "%llu holdings; assets with tainted fees %llu, dust cuts %llu, hop cuts %llu, unknown prior %llu, "
		       "seeds %llu\n",
		       runs, (unsigned long long)base, (unsigned long long)(base + (uint64_t)runs - 1),
		       (unsigned long long)seen.conversions, (unsigned long long)seen.endpoints,
		       (unsigned long long)seen.holdings, (unsigned long long)seen.fees, (unsigned long long)seen.cut_dust,
		       (unsigned long long)seen.cut_hops, (unsigned long long)seen.unknown, (unsigned long long)seen.seeds);
		if (runs >= 500)
			assert_true(seen.conversions && seen.endpoints && seen.holdings && seen.fees && seen.cut_dust &&
			            seen.cut_hops && seen.unknown && seen.seeds);
	}
	free(g);
	free(m->pools);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_random_graphs) };
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
