/* The account-model taint engine; the rules are in account.h and
 * docs/policies.md. Pools live in one array found through an
 * open-addressing table keyed by (account, asset); fifo queues are
 * per-pool arrays of pieces where neighbouring pieces of the same kind
 * are merged (pieces carry no identity beyond tainted or clean, so a
 * merge loses nothing and keeps queues short on busy accounts). */
#include "taint/account.h"

#include <stdlib.h>
#include <string.h>

#include "taint/muldiv.h"

#define MAX_ASSETS (1u << 24)

struct piece {
	tl_uint256 amt;
	uint8_t tainted;
};

struct pool {
	uint64_t acct;
	uint32_t asset;
	uint32_t cats;
	tl_uint256 bal;
	tl_uint256 taint; /* haircut, seniority: T; fifo: sum of tainted pieces */
	uint32_t hops;
	uint8_t poisoned;
	struct piece *q; /* fifo: live pieces q[qh .. qh + qn) */
	uint32_t qh, qn, qcap;
};

struct edge_key {
	uint64_t from, to;
	uint32_t asset;
};

struct tl_taint {
	struct tl_taint_params p;
	struct pool *pools;
	size_t n_pools, cap_pools;
	uint32_t *ptab; /* pool index + 1, 0 = empty */
	size_t ptab_cap;
	struct tl_taint_edge *edges;
	size_t n_edges, cap_edges;
	uint32_t *etab;
	size_t etab_cap;
	struct tl_taint_totals *totals;
	uint32_t n_assets;
	struct tl_taint_endpoint *ends;
	size_t n_ends, cap_ends;
	struct tl_taint_holding *holds;
	size_t n_holds;
	struct piece *scr; /* fifo: the pieces of the amount being moved */
	size_t n_scr, cap_scr;
	bool started;
	uint64_t last_tx;
	uint64_t txs, transfers, conversions;
};

const char *tl_taint_policy_name(enum tl_taint_policy p)
{
	switch (p) {
	case TL_TP_POISON: return "poison";
	case TL_TP_HAIRCUT: return "haircut";
	case TL_TP_FIFO: return "fifo";
	case TL_TP_SENIORITY: return "seniority";
	}
	return "?";
}

int tl_taint_policy_parse(const char *s, enum tl_taint_policy *p)
{
	static const enum tl_taint_policy all[] = { TL_TP_POISON, TL_TP_HAIRCUT, TL_TP_FIFO, TL_TP_SENIORITY };
	for (size_t i = 0; s && i < sizeof all / sizeof all[0]; i++)
		if (!strcmp(s, tl_taint_policy_name(all[i]))) {
			*p = all[i];
			return 0;
		}
	return -1;
}

void tl_taint_params_default(struct tl_taint_params *p)
{
	memset(p, 0, sizeof *p);
	p->policy = TL_TP_HAIRCUT;
}

struct tl_taint *tl_taint_new(const struct tl_taint_params *p)
{
	struct tl_taint *e = calloc(1, sizeof *e);
	if (!e) return NULL;
	if (p)
		e->p = *p;
	else
		tl_taint_params_default(&e->p);
	return e;
}

void tl_taint_free(struct tl_taint *e)
{
	if (!e) return;
	for (size_t i = 0; i < e->n_pools; i++) free(e->pools[i].q);
	free(e->pools);
	free(e->ptab);
	free(e->edges);
	free(e->etab);
	free(e->totals);
	free(e->ends);
	free(e->holds);
	free(e->scr);
	free(e);
}

static inline uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static inline uint64_t pool_hash(uint64_t acct, uint32_t asset) { return mix(acct * 0x9e3779b97f4a7c15ull + asset); }

static int grow(void **v, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap) return 0;
	size_t nc = *cap ? *cap * 2 : 64;
	while (nc < need) nc *= 2;
	void *p = realloc(*v, nc * elem);
	if (!p) return -1;
	*v = p;
	*cap = nc;
	return 0;
}

static int ptab_rehash(struct tl_taint *e, size_t cap)
{
	uint32_t *t = calloc(cap, sizeof *t);
	if (!t) return -1;
	for (size_t i = 0; i < e->n_pools; i++) {
		size_t h = pool_hash(e->pools[i].acct, e->pools[i].asset) & (cap - 1);
		while (t[h]) h = (h + 1) & (cap - 1);
		t[h] = (uint32_t)(i + 1);
	}
	free(e->ptab);
	e->ptab = t;
	e->ptab_cap = cap;
	return 0;
}

/* The pool of (acct, asset), created empty when absent. Returns its index
 * or -1 on out of memory. */
static long pool_get(struct tl_taint *e, uint64_t acct, uint32_t asset, struct tl_err *err)
{
	if (e->ptab_cap) {
		size_t h = pool_hash(acct, asset) & (e->ptab_cap - 1);
		for (uint32_t v; (v = e->ptab[h]); h = (h + 1) & (e->ptab_cap - 1)) {
			struct pool *p = &e->pools[v - 1];
			if (p->acct == acct && p->asset == asset) return (long)(v - 1);
		}
	}
	if (e->n_pools >= UINT32_MAX - 1) return tl_err_set(err, "too many pools");
	if ((e->n_pools + 1) * 2 > e->ptab_cap && ptab_rehash(e, e->ptab_cap ? e->ptab_cap * 2 : 1024))
		return tl_err_set(err, "out of memory");
	if (grow((void **)&e->pools, &e->cap_pools, e->n_pools + 1, sizeof *e->pools))
		return tl_err_set(err, "out of memory");
	struct pool *p = &e->pools[e->n_pools];
	memset(p, 0, sizeof *p);
	p->acct = acct;
	p->asset = asset;
	p->cats = e->p.account_cats ? e->p.account_cats(e->p.cats_ctx, acct) : 0;
	size_t h = pool_hash(acct, asset) & (e->ptab_cap - 1);
	while (e->ptab[h]) h = (h + 1) & (e->ptab_cap - 1);
	e->ptab[h] = (uint32_t)(e->n_pools + 1);
	return (long)e->n_pools++;
}

static int add_to(tl_uint256 *r, const tl_uint256 *x, struct tl_err *err)
{
	if (tl_uint256_add(r, r, x)) return tl_err_set(err, "an amount passed 2^256 - 1");
	return 0;
}

/* r -= x where x <= r is an invariant of the caller. */
static void sub_from(tl_uint256 *r, const tl_uint256 *x)
{
	bool borrow = tl_uint256_sub(r, r, x);
	(void)borrow;
}

static struct tl_taint_totals *totals_of(struct tl_taint *e, uint32_t asset, struct tl_err *err)
{
	if (asset >= MAX_ASSETS) {
		tl_err_set(err, "asset id %u above the limit of %u", asset, MAX_ASSETS);
		return NULL;
	}
	if (asset >= e->n_assets) {
		uint32_t n = asset + 1;
		struct tl_taint_totals *t = realloc(e->totals, (size_t)n * sizeof *t);
		if (!t) {
			tl_err_set(err, "out of memory");
			return NULL;
		}
		memset(t + e->n_assets, 0, (size_t)(n - e->n_assets) * sizeof *t);
		e->totals = t;
		e->n_assets = n;
	}
	return &e->totals[asset];
}

/* ---- fifo queues ---- */

static int q_push_back(struct pool *p, const tl_uint256 *amt, uint8_t tainted)
{
	if (tl_uint256_is_zero(amt)) return 0;
	if (p->qn) {
		struct piece *last = &p->q[p->qh + p->qn - 1];
		if (last->tainted == tainted) {
			/* cannot overflow: the pool's balance, which bounds the
			 * sum of its pieces, was checked first */
			bool c = tl_uint256_add(&last->amt, &last->amt, amt);
			(void)c;
			return 0;
		}
	}
	if (p->qh + p->qn == p->qcap) {
		if (p->qh > p->qcap / 2) {
			memmove(p->q, p->q + p->qh, p->qn * sizeof *p->q);
			p->qh = 0;
		} else {
			uint32_t nc = p->qcap ? p->qcap * 2 : 4;
			struct piece *n = realloc(p->q, nc * sizeof *n);
			if (!n) return -1;
			p->q = n;
			p->qcap = nc;
		}
	}
	p->q[p->qh + p->qn].amt = *amt;
	p->q[p->qh + p->qn].tainted = tainted;
	p->qn++;
	return 0;
}

/* Clean funds held before the first indexed block go to the front. */
static int q_push_front_clean(struct pool *p, const tl_uint256 *amt)
{
	if (p->qn && !p->q[p->qh].tainted) {
		bool c = tl_uint256_add(&p->q[p->qh].amt, &p->q[p->qh].amt, amt);
		(void)c;
		return 0;
	}
	if (p->qh == 0) {
		if (p->qn == p->qcap) {
			uint32_t nc = p->qcap ? p->qcap * 2 : 4;
			struct piece *n = realloc(p->q, nc * sizeof *n);
			if (!n) return -1;
			p->q = n;
			p->qcap = nc;
		}
		memmove(p->q + 1, p->q, p->qn * sizeof *p->q);
		p->qh = 1;
	}
	p->qh--;
	p->qn++;
	p->q[p->qh].amt = *amt;
	p->q[p->qh].tainted = 0;
	return 0;
}

static int scr_push(struct tl_taint *e, const tl_uint256 *amt, uint8_t tainted)
{
	if (e->n_scr && e->scr[e->n_scr - 1].tainted == tainted) {
		bool c = tl_uint256_add(&e->scr[e->n_scr - 1].amt, &e->scr[e->n_scr - 1].amt, amt);
		(void)c;
		return 0;
	}
	if (grow((void **)&e->scr, &e->cap_scr, e->n_scr + 1, sizeof *e->scr)) return -1;
	e->scr[e->n_scr].amt = *amt;
	e->scr[e->n_scr].tainted = tainted;
	e->n_scr++;
	return 0;
}

/* ---- moving amounts ---- */

/* Takes a (nonzero) out of pool pi: tops the pool up with unknown prior
 * funds when a exceeds its balance, then removes a and its taint by the
 * policy. Out: *t the taint carried, *hop the hop it carries (the pool's
 * + 1); under fifo e->scr holds the pieces taken, in order. */
static int debit(struct tl_taint *e, size_t pi, const tl_uint256 *a, tl_uint256 *t, uint32_t *hop, struct tl_err *err)
{
	struct pool *p = &e->pools[pi];
	if (tl_uint256_cmp(a, &p->bal) > 0) {
		tl_uint256 s;
		bool b = tl_uint256_sub(&s, a, &p->bal);
		(void)b;
		struct tl_taint_totals *tt = totals_of(e, p->asset, err);
		if (!tt || add_to(&tt->unknown_prior, &s, err)) return -1;
		if (e->p.policy == TL_TP_FIFO && q_push_front_clean(p, &s)) return tl_err_set(err, "out of memory");
		p->bal = *a;
	}
	*hop = p->hops + 1;
	*t = tl_uint256_from_u64(0);
	switch (e->p.policy) {
	case TL_TP_POISON:
		if (p->poisoned) *t = *a;
		break;
	case TL_TP_HAIRCUT:
		if (!tl_uint256_is_zero(&p->taint)) {
			if (!tl_uint256_cmp(a, &p->bal))
				*t = p->taint;
			else if (tl_taint_muldiv(a, &p->taint, &p->bal, t))
				return tl_err_set(err, "haircut share out of range"); /* T <= B makes this impossible */
			sub_from(&p->taint, t);
		}
		break;
	case TL_TP_SENIORITY:
		*t = tl_uint256_cmp(a, &p->taint) < 0 ? *a : p->taint;
		sub_from(&p->taint, t);
		break;
	case TL_TP_FIFO: {
		e->n_scr = 0;
		tl_uint256 need = *a;
		while (!tl_uint256_is_zero(&need)) {
			struct piece *f = &p->q[p->qh];
			tl_uint256 take = tl_uint256_cmp(&f->amt, &need) <= 0 ? f->amt : need;
			if (scr_push(e, &take, f->tainted)) return tl_err_set(err, "out of memory");
			if (f->tainted) {
				bool c = tl_uint256_add(t, t, &take);
				(void)c;
			}
			sub_from(&f->amt, &take);
			sub_from(&need, &take);
			if (tl_uint256_is_zero(&f->amt)) {
				p->qh++;
				p->qn--;
			}
		}
		if (!p->qn) p->qh = 0;
		sub_from(&p->taint, t);
		break;
	}
	}
	sub_from(&p->bal, a);
	return 0;
}

/* Adds a carrying taint t (t <= a) at hop to pool pi. Under fifo the
 * pieces are e->scr when from_scr, else a tainted piece t then a clean
 * piece a - t. */
static int credit(struct tl_taint *e, size_t pi, const tl_uint256 *a, const tl_uint256 *t, uint32_t hop, bool from_scr,
                  struct tl_err *err)
{
	struct pool *p = &e->pools[pi];
	if (tl_uint256_add(&p->bal, &p->bal, a)) return tl_err_set(err, "a balance passed 2^256 - 1");
	bool tainted = !tl_uint256_is_zero(t);
	if (tainted) {
		bool had = e->p.policy == TL_TP_POISON ? p->poisoned : !tl_uint256_is_zero(&p->taint);
		p->hops = had && p->hops > hop ? p->hops : hop;
	}
	switch (e->p.policy) {
	case TL_TP_POISON:
		if (tainted) p->poisoned = 1;
		break;
	case TL_TP_HAIRCUT:
	case TL_TP_SENIORITY: {
		bool c = tl_uint256_add(&p->taint, &p->taint, t);
		(void)c; /* taint <= balance, checked above */
		break;
	}
	case TL_TP_FIFO: {
		bool c = tl_uint256_add(&p->taint, &p->taint, t);
		(void)c;
		if (from_scr) {
			for (size_t i = 0; i < e->n_scr; i++)
				if (q_push_back(p, &e->scr[i].amt, e->scr[i].tainted)) return tl_err_set(err, "out of memory");
		} else {
			tl_uint256 clean;
			bool b = tl_uint256_sub(&clean, a, t);
			(void)b;
			if (q_push_back(p, t, 1) || q_push_back(p, &clean, 0)) return tl_err_set(err, "out of memory");
		}
		break;
	}
	}
	return 0;
}

static int edge_rehash(struct tl_taint *e, size_t cap)
{
	uint32_t *t = calloc(cap, sizeof *t);
	if (!t) return -1;
	for (size_t i = 0; i < e->n_edges; i++) {
		const struct tl_taint_edge *g = &e->edges[i];
		size_t h = mix(pool_hash(g->from, g->asset) ^ g->to) & (cap - 1);
		while (t[h]) h = (h + 1) & (cap - 1);
		t[h] = (uint32_t)(i + 1);
	}
	free(e->etab);
	e->etab = t;
	e->etab_cap = cap;
	return 0;
}

static int edge_add(struct tl_taint *e, uint64_t from, uint64_t to, uint32_t asset, const tl_uint256 *c,
                    struct tl_err *err)
{
	if (e->etab_cap) {
		size_t h = mix(pool_hash(from, asset) ^ to) & (e->etab_cap - 1);
		for (uint32_t v; (v = e->etab[h]); h = (h + 1) & (e->etab_cap - 1)) {
			struct tl_taint_edge *g = &e->edges[v - 1];
			if (g->from == from && g->to == to && g->asset == asset) {
				g->transfers++;
				return add_to(&g->amount, c, err);
			}
		}
	}
	if (e->n_edges >= UINT32_MAX - 1) return tl_err_set(err, "too many edges");
	if ((e->n_edges + 1) * 2 > e->etab_cap && edge_rehash(e, e->etab_cap ? e->etab_cap * 2 : 256))
		return tl_err_set(err, "out of memory");
	if (grow((void **)&e->edges, &e->cap_edges, e->n_edges + 1, sizeof *e->edges))
		return tl_err_set(err, "out of memory");
	struct tl_taint_edge *g = &e->edges[e->n_edges];
	g->from = from;
	g->to = to;
	g->asset = asset;
	g->amount = *c;
	g->transfers = 1;
	size_t h = mix(pool_hash(from, asset) ^ to) & (e->etab_cap - 1);
	while (e->etab[h]) h = (h + 1) & (e->etab_cap - 1);
	e->etab[h] = (uint32_t)(e->n_edges + 1);
	e->n_edges++;
	return 0;
}

/* Hands amount a carrying taint c at hop to x->to: cut, endpoint or the
 * recipient's pool (rules 1-4 of account.h). from_scr as for credit. */
static int deliver(struct tl_taint *e, const struct tl_taint_tx *tx, uint64_t from, uint64_t to, uint32_t asset,
                   const tl_uint256 *a, const tl_uint256 *c, uint32_t hop, bool from_scr, struct tl_err *err)
{
	const tl_uint256 zero = tl_uint256_from_u64(0);
	long ri = -1;
	if (to != TL_TAINT_NOWHERE && (ri = pool_get(e, to, asset, err)) < 0) return -1;
	if (tl_uint256_is_zero(c)) return ri < 0 ? 0 : credit(e, (size_t)ri, a, &zero, 0, false, err);

	struct tl_taint_totals *tt = totals_of(e, asset, err);
	if (!tt) return -1;
	bool dust = !tl_uint256_is_zero(&e->p.min_amount) && tl_uint256_cmp(c, &e->p.min_amount) < 0;
	bool far = !dust && e->p.max_hops && hop > e->p.max_hops;
	if (dust || far) {
		if (add_to(&tt->cut, c, err) || add_to(dust ? &tt->cut_dust : &tt->cut_hops, c, err)) return -1;
		return ri < 0 ? 0 : credit(e, (size_t)ri, a, &zero, 0, false, err);
	}
	uint32_t cats = ri < 0 ? 0 : e->pools[ri].cats;
	if (ri < 0 || (cats & e->p.stop_cats)) {
		if (add_to(&tt->endpoints, c, err)) return -1;
		if (grow((void **)&e->ends, &e->cap_ends, e->n_ends + 1, sizeof *e->ends))
			return tl_err_set(err, "out of memory");
		e->ends[e->n_ends++] = (struct tl_taint_endpoint){ .account = to,
			                                           .from = from,
			                                           .asset = asset,
			                                           .amount = *c,
			                                           .tx = tx->num,
			                                           .hops = hop,
			                                           .height = tx->height,
			                                           .time = tx->time,
			                                           .cats = cats };
		if (edge_add(e, from, to, asset, c, err)) return -1;
		return ri < 0 ? 0 : credit(e, (size_t)ri, a, &zero, 0, false, err);
	}
	if (edge_add(e, from, to, asset, c, err)) return -1;
	return credit(e, (size_t)ri, a, c, hop, from_scr, err);
}

/* One transfer outside a conversion. */
static int apply_plain(struct tl_taint *e, const struct tl_taint_tx *tx, const struct tl_taint_xfer *x,
                       struct tl_err *err)
{
	tl_uint256 t = tl_uint256_from_u64(0);
	uint32_t hop = 0;
	if (x->from != TL_TAINT_NOWHERE) {
		long si = pool_get(e, x->from, x->asset, err);
		if (si < 0 || debit(e, (size_t)si, &x->amount, &t, &hop, err)) return -1;
	}
	if (x->kind == TL_TK_FEE) {
		struct tl_taint_totals *tt = totals_of(e, x->asset, err);
		if (!tt || add_to(&tt->fees, &t, err)) return -1;
		const tl_uint256 zero = tl_uint256_from_u64(0);
		if (x->to == TL_TAINT_NOWHERE) return 0;
		long ri = pool_get(e, x->to, x->asset, err);
		return ri < 0 ? -1 : credit(e, (size_t)ri, &x->amount, &zero, 0, false, err);
	}
	if (x->seed) {
		/* What the policy carried counts as walked; the seed adds the
		 * rest, and the whole amount arrives as one tainted piece. */
		struct tl_taint_totals *tt = totals_of(e, x->asset, err);
		if (!tt) return -1;
		tl_uint256 add;
		bool b = tl_uint256_sub(&add, &x->amount, &t);
		(void)b;
		if (add_to(&tt->seeded, &add, err)) return -1;
		return deliver(e, tx, x->from, x->to, x->asset, &x->amount, &x->amount, 0, false, err);
	}
	return deliver(e, tx, x->from, x->to, x->asset, &x->amount, &t, hop, e->p.policy == TL_TP_FIFO, err);
}

static int check_xfer(const struct tl_taint_tx *tx, const struct tl_taint_xfer *x, size_t i, struct tl_err *err)
{
	const char *bad = NULL;
	switch (x->kind) {
	case TL_TK_VALUE:
		if (x->from == TL_TAINT_NOWHERE || x->to == TL_TAINT_NOWHERE) bad = "a value transfer needs both ends";
		break;
	case TL_TK_FEE:
		if (x->from == TL_TAINT_NOWHERE) bad = "a fee needs a payer";
		else if (x->seed) bad = "a fee cannot be a seed";
		break;
	case TL_TK_MINT:
		if (x->from != TL_TAINT_NOWHERE || x->to == TL_TAINT_NOWHERE) bad = "a mint comes from nowhere to an account";
		break;
	case TL_TK_BURN:
		if (x->to != TL_TAINT_NOWHERE || x->from == TL_TAINT_NOWHERE) bad = "a burn goes from an account to nowhere";
		break;
	default: bad = "unknown kind";
	}
	if (x->asset >= MAX_ASSETS) bad = "asset id above 2^24";
	if (bad) return tl_err_set(err, "transaction %llu, transfer %zu: %s", (unsigned long long)tx->num, i, bad);
	return 0;
}

/* Whether tx is a conversion (account.h); *A, *B the assets. */
static bool is_conversion(const struct tl_taint_tx *tx, const struct tl_taint_xfer *x, size_t n, uint32_t *A,
                          uint32_t *B)
{
	if (!tx->ok || tx->sender == TL_TAINT_NOWHERE) return false;
	int na = 0, nb = 0;
	for (size_t i = 0; i < n; i++) {
		if (x[i].kind == TL_TK_FEE || tl_uint256_is_zero(&x[i].amount)) continue;
		if (x[i].seed) return false;
		if (x[i].from == tx->sender) {
			if (!na) *A = x[i].asset, na = 1;
			else if (*A != x[i].asset) return false;
		}
		if (x[i].to == tx->sender) {
			if (!nb) *B = x[i].asset, nb = 1;
			else if (*B != x[i].asset) return false;
		}
	}
	return na && nb && *A != *B;
}

static int apply_conversion(struct tl_taint *e, const struct tl_taint_tx *tx, const struct tl_taint_xfer *x,
                            size_t n, uint32_t A, uint32_t B, struct tl_err *err)
{
	const uint64_t X = tx->sender;
	const tl_uint256 zero = tl_uint256_from_u64(0);
	for (size_t i = 0; i < n; i++)
		if (x[i].kind == TL_TK_FEE && !tl_uint256_is_zero(&x[i].amount) && apply_plain(e, tx, &x[i], err)) return -1;

	/* X's outgoing A: taint out of X's pool, recipients get it clean. */
	long xa = pool_get(e, X, A, err);
	if (xa < 0) return -1;
	uint32_t hop_a = e->pools[xa].hops;
	tl_uint256 a = zero, t = zero, b = zero;
	if (!totals_of(e, A, err) || !totals_of(e, B, err)) return -1;
	for (size_t i = 0; i < n; i++) {
		if (x[i].kind == TL_TK_FEE || x[i].from != X || tl_uint256_is_zero(&x[i].amount)) continue;
		tl_uint256 ti;
		uint32_t hop;
		if (debit(e, (size_t)xa, &x[i].amount, &ti, &hop, err)) return -1;
		if (add_to(&a, &x[i].amount, err) || add_to(&t, &ti, err)) return -1;
		if (x[i].to != TL_TAINT_NOWHERE) {
			long ri = pool_get(e, x[i].to, A, err);
			if (ri < 0 || credit(e, (size_t)ri, &x[i].amount, &zero, 0, false, err)) return -1;
		}
	}
	if (add_to(&e->totals[A].converted_out, &t, err)) return -1;
	for (size_t i = 0; i < n; i++)
		if (x[i].kind != TL_TK_FEE && x[i].to == X && add_to(&b, &x[i].amount, err)) return -1;
	tl_uint256 tb = zero, given = zero;
	if (!tl_uint256_is_zero(&t) && tl_taint_muldiv(&b, &t, &a, &tb)) return tl_err_set(err, "conversion out of range");

	size_t last_in = n;
	for (size_t i = 0; i < n; i++)
		if (x[i].kind != TL_TK_FEE && x[i].to == X && !tl_uint256_is_zero(&x[i].amount)) last_in = i;
	for (size_t i = 0; i < n; i++) {
		const struct tl_taint_xfer *y = &x[i];
		if (y->kind == TL_TK_FEE || y->from == X || tl_uint256_is_zero(&y->amount)) continue;
		if (y->to != X) {
			if (apply_plain(e, tx, y, err)) return -1;
			continue;
		}
		/* X's incoming B: the sender's policy taint plus the
		 * conversion's share. */
		tl_uint256 w = zero, share = zero, room;
		uint32_t hop = 0;
		if (y->from != TL_TAINT_NOWHERE) {
			long si = pool_get(e, y->from, B, err);
			if (si < 0 || debit(e, (size_t)si, &y->amount, &w, &hop, err)) return -1;
			if (tl_uint256_is_zero(&w)) hop = 0;
		}
		if (!tl_uint256_is_zero(&tb)) {
			if (i == last_in) {
				bool br = tl_uint256_sub(&share, &tb, &given);
				(void)br;
			} else if (tl_taint_muldiv(&y->amount, &tb, &b, &share)) {
				return tl_err_set(err, "conversion out of range");
			}
			bool c = tl_uint256_add(&given, &given, &share);
			(void)c;
			bool br = tl_uint256_sub(&room, &y->amount, &w);
			(void)br;
			if (tl_uint256_cmp(&share, &room) > 0) share = room;
			if (!tl_uint256_is_zero(&share) && hop_a > hop) hop = hop_a;
		}
		if (add_to(&e->totals[B].converted_in, &share, err)) return -1;
		tl_uint256 c = w;
		bool ov = tl_uint256_add(&c, &c, &share);
		(void)ov; /* c <= amount */
		if (deliver(e, tx, y->from, X, B, &y->amount, &c, hop, false, err)) return -1;
	}
	e->conversions++;
	return 0;
}

int tl_taint_apply(struct tl_taint *e, const struct tl_taint_tx *tx, const struct tl_taint_xfer *x, size_t n,
                   struct tl_err *err)
{
	if (e->started && tx->num <= e->last_tx)
		return tl_err_set(err, "transaction %llu after %llu: not in chain order", (unsigned long long)tx->num,
		                  (unsigned long long)e->last_tx);
	e->started = true;
	e->last_tx = tx->num;
	e->txs++;
	for (size_t i = 0; i < n; i++)
		if (check_xfer(tx, &x[i], i, err)) return -1;
	e->transfers += n;
	uint32_t A = 0, B = 0;
	if (is_conversion(tx, x, n, &A, &B)) return apply_conversion(e, tx, x, n, A, B, err);
	for (size_t i = 0; i < n; i++) {
		if (tl_uint256_is_zero(&x[i].amount)) continue;
		if (!tx->ok && x[i].kind != TL_TK_FEE) continue; /* a failed transaction moves only its fee */
		if (apply_plain(e, tx, &x[i], err)) return -1;
	}
	return 0;
}

static int hold_cmp(const void *a, const void *b)
{
	const struct tl_taint_holding *x = a, *y = b;
	if (x->account != y->account) return x->account < y->account ? -1 : 1;
	return x->asset < y->asset ? -1 : x->asset > y->asset;
}

int tl_taint_finish(struct tl_taint *e, struct tl_taint_result *out, struct tl_err *err)
{
	free(e->holds);
	e->holds = NULL;
	e->n_holds = 0;
	size_t cap = 0;
	for (size_t i = 0; i < e->n_assets; i++) e->totals[i].holdings = tl_uint256_from_u64(0);
	for (size_t i = 0; i < e->n_pools; i++) {
		const struct pool *p = &e->pools[i];
		const tl_uint256 *h = e->p.policy == TL_TP_POISON ? (p->poisoned ? &p->bal : NULL) : &p->taint;
		if (!h || tl_uint256_is_zero(h)) continue;
		if (grow((void **)&e->holds, &cap, e->n_holds + 1, sizeof *e->holds)) return tl_err_set(err, "out of memory");
		e->holds[e->n_holds++] = (struct tl_taint_holding){
			.account = p->acct, .asset = p->asset, .amount = *h, .balance = p->bal, .hops = p->hops
		};
		struct tl_taint_totals *tt = totals_of(e, p->asset, err);
		if (!tt || add_to(&tt->holdings, h, err)) return -1;
	}
	if (e->n_holds) qsort(e->holds, e->n_holds, sizeof *e->holds, hold_cmp);
	*out = (struct tl_taint_result){ .totals = e->totals,
		                         .n_assets = e->n_assets,
		                         .endpoints = e->ends,
		                         .n_endpoints = e->n_ends,
		                         .holdings = e->holds,
		                         .n_holdings = e->n_holds,
		                         .edges = e->edges,
		                         .n_edges = e->n_edges,
		                         .txs = e->txs,
		                         .transfers = e->transfers,
		                         .conversions = e->conversions };
	return 0;
}

int tl_taint_conserved(const struct tl_taint_totals *t)
{
	tl_uint256 l = t->seeded, r = t->endpoints, c;
	if (tl_uint256_add(&l, &l, &t->converted_in)) return 0;
	if (tl_uint256_add(&r, &r, &t->holdings) || tl_uint256_add(&r, &r, &t->fees) || tl_uint256_add(&r, &r, &t->cut) ||
	    tl_uint256_add(&r, &r, &t->converted_out))
		return 0;
	if (tl_uint256_add(&c, &t->cut_dust, &t->cut_hops)) return 0;
	return !tl_uint256_cmp(&l, &r) && !tl_uint256_cmp(&c, &t->cut);
}
