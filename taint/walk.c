#include "taint/walk.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "taint/interval.h"
#include "taint/txheap.h"

uint64_t tl_walk_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Deadline and cancel check, every `every` transactions read: returns 1
 * when the walk must stop. *count is the transactions read so far. */
static int time_up(uint64_t *count, uint32_t every, uint64_t deadline_ms, int (*cancel)(void *), void *cctx)
{
	if (!deadline_ms && !cancel) return 0;
	if ((*count)++ % (every ? every : TL_WALK_CHECK_EVERY)) return 0;
	if (deadline_ms && tl_walk_now_ms() >= deadline_ms) return 1;
	return cancel && cancel(cctx);
}

/* ---- small containers (private) ---------------------------------------- */

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) abort();
	return q;
}

/* Grows array *pp of *cap elements of size sz to hold at least need. */
static void grow(void **pp, size_t *cap, size_t need, size_t sz)
{
	if (need <= *cap) return;
	size_t c = *cap ? *cap : 16;
	while (c < need) c *= 2;
	*pp = xrealloc(*pp, c * sz);
	*cap = c;
}
#define PUSH(arr, n, cap, val)                                                   \
	do {                                                                     \
		grow((void **)&(arr), &(cap), (n) + 1, sizeof *(arr));           \
		(arr)[(n)++] = (val);                                            \
	} while (0)

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* Open-addressing map (tx_num, vout) -> u32, linear probing, no delete. */
struct omap_slot {
	uint64_t tx; /* UINT64_MAX = empty */
	uint32_t vout;
	uint32_t val;
};
struct omap {
	struct omap_slot *s;
	size_t cap, n; /* cap is a power of two */
};

static void omap_init(struct omap *m, size_t cap)
{
	m->cap = 16;
	while (m->cap < cap * 2) m->cap *= 2;
	m->s = xrealloc(NULL, m->cap * sizeof *m->s);
	for (size_t i = 0; i < m->cap; i++) m->s[i].tx = UINT64_MAX;
	m->n = 0;
}
static void omap_free(struct omap *m)
{
	free(m->s);
	memset(m, 0, sizeof *m);
}
static size_t omap_pos(const struct omap *m, uint64_t tx, uint32_t vout)
{
	size_t i = (size_t)mix64(tx * 0x9e3779b97f4a7c15ULL + vout) & (m->cap - 1);
	while (m->s[i].tx != UINT64_MAX && !(m->s[i].tx == tx && m->s[i].vout == vout))
		i = (i + 1) & (m->cap - 1);
	return i;
}
/* Returns a pointer to the value, or NULL. */
static uint32_t *omap_get(const struct omap *m, uint64_t tx, uint32_t vout)
{
	size_t i = omap_pos(m, tx, vout);
	return m->s[i].tx == UINT64_MAX ? NULL : &m->s[i].val;
}
static void omap_put(struct omap *m, uint64_t tx, uint32_t vout, uint32_t val)
{
	if ((m->n + 1) * 2 > m->cap) {
		struct omap old = *m;
		omap_init(m, old.cap);
		for (size_t i = 0; i < old.cap; i++)
			if (old.s[i].tx != UINT64_MAX) {
				size_t j = omap_pos(m, old.s[i].tx, old.s[i].vout);
				m->s[j] = old.s[i];
				m->n++;
			}
		free(old.s);
	}
	size_t i = omap_pos(m, tx, vout);
	if (m->s[i].tx == UINT64_MAX) {
		m->s[i].tx = tx;
		m->s[i].vout = vout;
		m->n++;
	}
	m->s[i].val = val;
}


/* ---- forward walk ------------------------------------------------------- */

void tl_walk_params_default(struct tl_walk_params *p)
{
	memset(p, 0, sizeof *p);
	p->policy = TL_POLICY_HAIRCUT;
	p->stop_cats = TL_CAT_EXCHANGE | TL_CAT_BRIDGE | TL_CAT_SERVICE;
	p->peel_min_len = 3;
}

/* A tainted output waiting for its spender. */
struct rec {
	uint64_t value, taint;
	uint64_t addr_id;
	int64_t time;
	uint64_t tx, spender;
	uint32_t vout, hop, height;
	int consumed;
	int peel_chain; /* chain index + 1 if this is a peel-chain remainder */
	struct tl_ivset set; /* fifo only */
};

struct fw {
	const struct tl_graph *g;
	struct tl_walk_params p;
	struct tl_walk_result *r;
	struct tl_err *err;
	size_t cap_end, cap_hold, cap_mix, cap_flow, cap_chain, cap_peel, cap_cons;
	struct rec *recs;
	size_t n_recs, cap_recs;
	struct omap map;
	struct tl_txheap heap;
	/* per-transaction scratch */
	uint64_t *in_val, *in_taint, *out_val, *out_taint;
	uint32_t *in_rec; /* record index + 1 of each input, 0 if clean */
	struct tl_ivset *in_sets, *out_sets;
	uint8_t *seeded;
	size_t cap_in, cap_out, cap_insets, cap_outsets;
};

/* Bytes the walk holds (capacities, not counts: what is allocated), the
 * result arrays weighted by TL_WALK_RESULT_FACTOR. FIFO interval sets
 * are counted by their records only. */
static uint64_t mem_used(const struct fw *w)
{
	uint64_t own = (uint64_t)w->cap_recs * sizeof(struct rec) + (uint64_t)w->map.cap * sizeof(struct omap_slot) +
		       (uint64_t)w->heap.cap * sizeof(uint64_t) +
		       ((uint64_t)w->cap_in + w->cap_out) * 4 * sizeof(uint64_t);
	uint64_t res = (uint64_t)w->cap_end * sizeof(struct tl_endpoint) +
		       (uint64_t)w->cap_hold * sizeof(struct tl_holding) + (uint64_t)w->cap_flow * sizeof(struct tl_flow) +
		       (uint64_t)w->cap_mix * sizeof(struct tl_mixer_entry);
	return own + res * TL_WALK_RESULT_FACTOR;
}

static void scratch(struct fw *w, uint32_t n_in, uint32_t n_out)
{
	size_t ci = w->cap_in, co = w->cap_out;
	grow((void **)&w->in_val, &ci, n_in, sizeof *w->in_val);
	ci = w->cap_in;
	grow((void **)&w->in_taint, &ci, n_in, sizeof *w->in_taint);
	ci = w->cap_in;
	grow((void **)&w->in_rec, &ci, n_in, sizeof *w->in_rec);
	w->cap_in = ci;
	grow((void **)&w->out_val, &co, n_out, sizeof *w->out_val);
	co = w->cap_out;
	grow((void **)&w->out_taint, &co, n_out, sizeof *w->out_taint);
	co = w->cap_out;
	grow((void **)&w->seeded, &co, n_out, sizeof *w->seeded);
	w->cap_out = co;
	if (w->p.policy == TL_POLICY_FIFO) {
		size_t old = w->cap_insets;
		grow((void **)&w->in_sets, &w->cap_insets, n_in, sizeof *w->in_sets);
		for (size_t i = old; i < w->cap_insets; i++) tl_ivset_init(&w->in_sets[i]);
		old = w->cap_outsets;
		grow((void **)&w->out_sets, &w->cap_outsets, n_out, sizeof *w->out_sets);
		for (size_t i = old; i < w->cap_outsets; i++) tl_ivset_init(&w->out_sets[i]);
	}
}

static void add_endpoint(struct fw *w, uint64_t tx, uint32_t vout, uint64_t addr, uint64_t amount,
                         uint32_t hop, uint32_t height, int64_t time, enum tl_end_kind kind,
                         const struct tl_entity *ent, uint64_t cj)
{
	struct tl_endpoint e;
	memset(&e, 0, sizeof e);
	e.tx_num = tx;
	e.vout = vout;
	e.addr_id = addr;
	e.amount = amount;
	e.hops = hop;
	e.height = height;
	e.time = time;
	e.kind = kind;
	if (ent) {
		e.cats = ent->cats;
		e.cluster_id = ent->cluster_id;
		memcpy(e.label, ent->label, sizeof e.label);
		e.label[sizeof e.label - 1] = 0;
	}
	e.coinjoin_tx = cj;
	PUSH(w->r->endpoints, w->r->n_endpoints, w->cap_end, e);
	w->r->totals.endpoints += amount;
}

static void add_holding(struct fw *w, uint64_t tx, uint32_t vout, uint64_t addr, uint64_t amount,
                        uint32_t hop, uint32_t height, int64_t time, int at_cutoff)
{
	struct tl_holding h = {tx, vout, addr, amount, hop, height, time, at_cutoff};
	PUSH(w->r->holdings, w->r->n_holdings, w->cap_hold, h);
	w->r->totals.holdings += amount;
	if (at_cutoff) w->r->totals.holdings_at_cutoff += amount;
}

static void add_mixer(struct fw *w, uint64_t tx, uint32_t vout, uint64_t addr, uint64_t amount,
                      uint32_t hop, uint32_t height, int64_t time)
{
	struct tl_mixer_entry m = {tx, vout, addr, amount, hop, height, time};
	PUSH(w->r->mixers, w->r->n_mixers, w->cap_mix, m);
}

static int cmp_seed(const void *a, const void *b)
{
	const struct tl_seed *x = a, *y = b;
	return x->tx_num < y->tx_num ? -1 : x->tx_num > y->tx_num;
}

/* What a transaction's inputs bring: the sums and counts process_tx's
 * later phases need. */
struct tx_inputs {
	uint64_t taint, value;           /* T and V: tainted and total input value */
	uint32_t n_tainted, n_clean, maxhop;
};

/* Inputs: looks up each spent output's record, consumes it (or turns it
 * into a holding at the cutoff height) and fills the scratch arrays. */
static int gather_inputs(struct fw *w, const struct tl_gtx *tx, int cutoff, struct tx_inputs *in_sum)
{
	const int fifo = w->p.policy == TL_POLICY_FIFO;
	memset(in_sum, 0, sizeof *in_sum);
	for (uint32_t i = 0; i < tx->n_in; i++) {
		const struct tl_gin *in = &tx->in[i];
		w->in_val[i] = in->value;
		w->in_taint[i] = 0;
		w->in_rec[i] = 0;
		if (fifo) tl_ivset_clear(&w->in_sets[i]);
		if (__builtin_add_overflow(in_sum->value, in->value, &in_sum->value))
			return tl_err_set(w->err, "tx %" PRIu64 ": input values overflow", tx->tx_num);
		uint32_t *ix = tx->coinbase ? NULL : omap_get(&w->map, in->prev_tx, in->vout);
		struct rec *rc = ix ? &w->recs[*ix] : NULL;
		if (!rc || rc->consumed) {
			in_sum->n_clean++;
			continue;
		}
		if (rc->value != in->value)
			return tl_err_set(w->err,
			                  "graph inconsistent: tx %" PRIu64 " input %u spends %" PRIu64
			                  ":%u with value %" PRIu64 ", but that output is worth %" PRIu64,
			                  tx->tx_num, i, in->prev_tx, in->vout, in->value, rc->value);
		rc->consumed = 1;
		if (cutoff) {
			add_holding(w, in->prev_tx, in->vout, rc->addr_id, rc->taint, rc->hop, rc->height,
			            rc->time, 1);
			tl_ivset_free(&rc->set);
			in_sum->n_clean++;
			continue;
		}
		w->in_rec[i] = *ix + 1;
		w->in_taint[i] = rc->taint;
		if (fifo) tl_ivset_move(&w->in_sets[i], &rc->set);
		in_sum->taint += rc->taint;
		in_sum->n_tainted++;
		if (rc->hop > in_sum->maxhop) in_sum->maxhop = rc->hop;
	}
	return 0;
}

/* Counts a visited transaction against the size and memory budgets. */
static int check_budgets(struct fw *w)
{
	w->r->visited++;
	if (w->p.max_tx && w->r->visited > w->p.max_tx)
		return tl_err_set(w->err, "trace too large: more than %" PRIu64 " transactions", w->p.max_tx),
		       TL_WALK_TOO_BIG;
	if (w->p.max_mem && mem_used(w) > w->p.max_mem)
		return tl_err_set(w->err, "trace memory budget of %" PRIu64 " MiB reached after %" PRIu64
		                  " transactions", w->p.max_mem >> 20, w->r->visited),
		       TL_WALK_MEMORY;
	return 0;
}

/* Flow edges, one per (source tx, this tx). */
static void add_flows(struct fw *w, const struct tl_gtx *tx)
{
	size_t e0 = w->r->n_flows;
	for (uint32_t i = 0; i < tx->n_in; i++) {
		if (!w->in_rec[i]) continue;
		size_t k = e0;
		if (w->r->n_flows - e0 <= 256)
			for (; k < w->r->n_flows; k++)
				if (w->r->flows[k].from_tx == tx->in[i].prev_tx) break;
		if (k < w->r->n_flows) {
			w->r->flows[k].amount += w->in_taint[i];
		} else {
			struct tl_flow f = {tx->in[i].prev_tx, tx->tx_num, w->in_taint[i]};
			PUSH(w->r->flows, w->r->n_flows, w->cap_flow, f);
		}
	}
}

static void clear_outputs(struct fw *w, const struct tl_gtx *tx, int fifo)
{
	for (uint32_t j = 0; j < tx->n_out; j++) w->out_taint[j] = 0;
	if (fifo)
		for (uint32_t j = 0; j < tx->n_out; j++) tl_ivset_clear(&w->out_sets[j]);
}

/* Moves the inputs' taint to the outputs and the fee by the policy; a
 * CoinJoin is recorded as a mixer and, with stop_at_mixers, ends the taint
 * entering it (*stop_cj set). */
static int move_taint(struct fw *w, const struct tl_gtx *tx, const struct tx_inputs *in_sum, int *stop_cj)
{
	const int fifo = w->p.policy == TL_POLICY_FIFO;
	uint64_t O = 0;
	for (uint32_t j = 0; j < tx->n_out; j++) {
		w->out_val[j] = tx->out[j].value;
		w->seeded[j] = 0;
		if (__builtin_add_overflow(O, tx->out[j].value, &O))
			return tl_err_set(w->err, "tx %" PRIu64 ": output values overflow", tx->tx_num);
	}
	if (!tx->coinbase && O > in_sum->value)
		return tl_err_set(w->err, "graph inconsistent: tx %" PRIu64 " pays %" PRIu64
		                  " sat out of %" PRIu64 " sat of inputs", tx->tx_num, O, in_sum->value);
	uint64_t fee_taint = 0;
	*stop_cj = 0;
	if (in_sum->n_tainted && tx->coinjoin) {
		add_mixer(w, tx->tx_num, TL_MIXER_WHOLE_TX, 0, in_sum->taint, in_sum->maxhop, tx->height, tx->time);
		*stop_cj = w->p.stop_at_mixers;
	}
	if (*stop_cj) {
		/* The taint entering the CoinJoin ends here. */
		for (uint32_t i = 0; i < tx->n_in; i++) {
			if (!w->in_rec[i]) continue;
			struct rec *rc = &w->recs[w->in_rec[i] - 1];
			add_endpoint(w, tx->in[i].prev_tx, tx->in[i].vout, rc->addr_id, rc->taint, rc->hop,
			             rc->height, rc->time, TL_END_COINJOIN, NULL, tx->tx_num);
			if (fifo) tl_ivset_clear(&w->in_sets[i]);
		}
		clear_outputs(w, tx, fifo);
	} else if (in_sum->n_tainted == 0) {
		clear_outputs(w, tx, fifo);
	} else if (fifo) {
		if (tl_policy_fifo(w->in_val, w->in_sets, tx->n_in, w->out_val, tx->n_out, w->out_sets,
		                   w->out_taint, &fee_taint, w->err))
			return tl_err_prefix(w->err, "tx %" PRIu64 ": ", tx->tx_num);
	} else {
		if (tl_policy_apply(w->p.policy, w->in_val, w->in_taint, tx->n_in, w->out_val, tx->n_out,
		                    w->out_taint, &fee_taint, w->err))
			return tl_err_prefix(w->err, "tx %" PRIu64 ": ", tx->tx_num);
	}
	w->r->totals.fees += fee_taint;
	return 0;
}

/* Seeds taint their outputs in full (or by their amount); taint already
 * there is not counted twice. */
static int apply_seeds(struct fw *w, const struct tl_gtx *tx, const struct tl_seed *seeds, size_t ns)
{
	const int fifo = w->p.policy == TL_POLICY_FIFO;
	for (size_t s = 0; s < ns; s++) {
		uint32_t lo = seeds[s].vout, hi = lo + 1;
		if (seeds[s].vout == TL_SEED_WHOLE_TX) {
			lo = 0;
			hi = tx->n_out;
		} else if (seeds[s].vout >= tx->n_out) {
			return tl_err_set(w->err, "seed %" PRIu64 ":%u: transaction has %u outputs",
			                  seeds[s].tx_num, seeds[s].vout, tx->n_out);
		}
		for (uint32_t j = lo; j < hi; j++) {
			uint64_t amt = seeds[s].amount;
			if (amt == TL_SEED_FULL || seeds[s].vout == TL_SEED_WHOLE_TX) amt = w->out_val[j];
			if (amt > w->out_val[j])
				return tl_err_set(w->err,
				                  "seed %" PRIu64 ":%u: amount %" PRIu64 " sat exceeds the "
				                  "output's value %" PRIu64 " sat",
				                  seeds[s].tx_num, j, amt, w->out_val[j]);
			uint64_t before = w->out_taint[j], after;
			if (fifo) {
				tl_ivset_add(&w->out_sets[j], 0, amt);
				after = tl_ivset_total(&w->out_sets[j]);
			} else {
				after = amt > before ? amt : before;
			}
			w->out_taint[j] = after;
			w->r->totals.seeded += after - before;
			if (amt) w->seeded[j] = 1;
		}
	}
	return 0;
}

/* A peel-chain link: one tainted input, two outputs of different values;
 * the smaller is the peel, the larger the remainder that continues the
 * chain of its input (or starts one). */
struct peel_link {
	int link;
	uint32_t peel, rem;
	size_t chain;
};

static void find_peel_link(struct fw *w, const struct tl_gtx *tx, uint32_t n_tainted, int stop_cj,
                           struct peel_link *pl)
{
	pl->link = 0;
	pl->peel = 0;
	pl->rem = 1;
	pl->chain = 0;
	if (!(n_tainted == 1 && tx->n_out == 2 && !tx->coinjoin && !stop_cj && w->out_val[0] != w->out_val[1]))
		return;
	pl->link = 1;
	if (w->out_val[0] > w->out_val[1]) {
		pl->peel = 1;
		pl->rem = 0;
	}
	struct rec *src = NULL;
	for (uint32_t i = 0; i < tx->n_in; i++)
		if (w->in_rec[i]) src = &w->recs[w->in_rec[i] - 1];
	if (src->peel_chain) {
		pl->chain = (size_t)src->peel_chain - 1;
		w->r->peel_chains[pl->chain].last_tx = tx->tx_num;
		w->r->peel_chains[pl->chain].length++;
	} else {
		struct tl_peel_chain c = {tx->tx_num, tx->tx_num, 1, 0, 0};
		pl->chain = w->r->n_peel_chains;
		PUSH(w->r->peel_chains, w->r->n_peel_chains, w->cap_chain, c);
	}
}

/* Where tainted output j goes: cut as dust, an endpoint at a stop
 * category (or a mixer with stop_at_mixers), a holding if unspent, cut at
 * the hop limit, or followed (a record waiting for its spender). Sets
 * *fate and *cats (the output's entity categories). */
static int route_output(struct fw *w, const struct tl_gtx *tx, uint32_t j, uint32_t hop, const struct peel_link *pl,
                        enum tl_fate *fate, uint32_t *cats)
{
	struct tl_walk_totals *tot = &w->r->totals;
	const struct tl_gout *o = &tx->out[j];
	uint64_t t = w->out_taint[j];
	*fate = TL_FATE_FOLLOWED;
	*cats = 0;
	if (t == 0) return 0;
	if (w->p.min_sat && t < w->p.min_sat) {
		tot->cut += t;
		tot->cut_dust += t;
		*fate = TL_FATE_CUT;
		return 0;
	}
	if (o->addr_id && w->g->get_entity) {
		struct tl_entity ent;
		memset(&ent, 0, sizeof ent);
		if (w->g->get_entity(w->g->ctx, o->addr_id, &ent, w->err))
			return tl_err_prefix(w->err, "entity of address %" PRIu64 ": ", o->addr_id);
		*cats = ent.cats;
		if (*cats & w->p.stop_cats) {
			add_endpoint(w, tx->tx_num, j, o->addr_id, t, hop, tx->height, tx->time, TL_END_TAGGED, &ent, 0);
			*fate = TL_FATE_ENDPOINT;
			return 0;
		}
		if (*cats & TL_CAT_MIXER) {
			add_mixer(w, tx->tx_num, j, o->addr_id, t, hop, tx->height, tx->time);
			if (w->p.stop_at_mixers) {
				add_endpoint(w, tx->tx_num, j, o->addr_id, t, hop, tx->height, tx->time, TL_END_MIXER,
				             &ent, 0);
				*fate = TL_FATE_ENDPOINT;
				return 0;
			}
		}
	}
	uint64_t sp;
	int rc = w->g->get_spender(w->g->ctx, tx->tx_num, j, &sp, w->err);
	if (rc < 0) return tl_err_prefix(w->err, "spender of %" PRIu64 ":%u: ", tx->tx_num, j);
	if (rc > 0)
		return tl_err_set(w->err, "graph inconsistent: output %" PRIu64 ":%u of a %u-output "
		                  "transaction not found", tx->tx_num, j, tx->n_out);
	if (sp == TL_GRAPH_UNSPENT) {
		add_holding(w, tx->tx_num, j, o->addr_id, t, hop, tx->height, tx->time, 0);
		*fate = TL_FATE_HOLDING;
		return 0;
	}
	if (sp <= tx->tx_num)
		return tl_err_set(w->err, "graph inconsistent: output %" PRIu64 ":%u spent by "
		                  "earlier tx %" PRIu64, tx->tx_num, j, sp);
	if (w->p.max_hops && hop >= w->p.max_hops) {
		tot->cut += t;
		tot->cut_hops += t;
		*fate = TL_FATE_CUT;
		return 0;
	}
	struct rec r;
	memset(&r, 0, sizeof r);
	r.value = o->value;
	r.taint = t;
	r.addr_id = o->addr_id;
	r.time = tx->time;
	r.hop = hop;
	r.height = tx->height;
	r.tx = tx->tx_num;
	r.vout = j;
	r.spender = sp;
	if (w->p.policy == TL_POLICY_FIFO) tl_ivset_move(&r.set, &w->out_sets[j]);
	if (pl->link && j == pl->rem) r.peel_chain = (int)pl->chain + 1;
	if (w->n_recs >= UINT32_MAX) return tl_err_set(w->err, "trace too large for memory");
	PUSH(w->recs, w->n_recs, w->cap_recs, r);
	omap_put(&w->map, tx->tx_num, j, (uint32_t)(w->n_recs - 1));
	if (tl_txheap_push(&w->heap, sp)) abort();
	return 0;
}

/* Processes transaction tx (already fetched); seeds[0..ns-1] are the seeds
 * on it. The phases: inputs, budgets, flow edges, the policy's move of
 * taint to outputs and fee, consolidations, seeds, the peel-chain link,
 * then each tainted output's fate. */
static int process_tx(struct fw *w, const struct tl_gtx *tx, const struct tl_seed *seeds, size_t ns)
{
	const int cutoff = w->p.until_height && tx->height > w->p.until_height;
	scratch(w, tx->n_in, tx->n_out);
	struct tx_inputs in_sum;
	int rc = gather_inputs(w, tx, cutoff, &in_sum);
	if (rc) return rc;
	if ((in_sum.n_tainted || ns) && (rc = check_budgets(w))) return rc;
	add_flows(w, tx);
	int stop_cj = 0;
	if ((rc = move_taint(w, tx, &in_sum, &stop_cj))) return rc;
	/* Consolidation: tainted and clean inputs mixed. */
	if (in_sum.n_tainted && in_sum.n_clean && !tx->coinjoin) {
		struct tl_consolidation c = {tx->tx_num, tx->height, in_sum.n_tainted, in_sum.n_clean, in_sum.taint,
		                             in_sum.value - in_sum.taint};
		PUSH(w->r->consolidations, w->r->n_consolidations, w->cap_cons, c);
	}
	if ((rc = apply_seeds(w, tx, seeds, ns))) return rc;
	struct peel_link pl;
	find_peel_link(w, tx, in_sum.n_tainted, stop_cj, &pl);
	for (uint32_t j = 0; j < tx->n_out; j++) {
		uint32_t hop = w->seeded[j] ? 0 : in_sum.maxhop + 1;
		enum tl_fate fate;
		uint32_t cats;
		if ((rc = route_output(w, tx, j, hop, &pl, &fate, &cats))) return rc;
		if (pl.link && j == pl.peel) {
			struct tl_peel pe = {(uint32_t)pl.chain, tx->tx_num, j, tx->out[j].addr_id, w->out_taint[j], fate,
			                     cats};
			PUSH(w->r->peels, w->r->n_peels, w->cap_peel, pe);
			w->r->peel_chains[pl.chain].peeled += w->out_taint[j];
		}
	}
	return 0;
}

static void finish_peels(struct tl_walk_result *r, uint32_t min_len)
{
	size_t nc = 0;
	uint32_t *newix = xrealloc(NULL, r->n_peel_chains * sizeof *newix);
	size_t total = 0;
	for (size_t c = 0; c < r->n_peel_chains; c++) {
		if (r->peel_chains[c].length >= min_len) {
			newix[c] = (uint32_t)nc;
			r->peel_chains[nc] = r->peel_chains[c];
			r->peel_chains[nc].first_peel = total;
			total += r->peel_chains[nc].length;
			nc++;
		} else {
			newix[c] = UINT32_MAX;
		}
	}
	struct tl_peel *out = xrealloc(NULL, total * sizeof *out);
	size_t *fill = xrealloc(NULL, (nc ? nc : 1) * sizeof *fill);
	for (size_t c = 0; c < nc; c++) fill[c] = r->peel_chains[c].first_peel;
	for (size_t k = 0; k < r->n_peels; k++) {
		uint32_t c = newix[r->peels[k].chain];
		if (c == UINT32_MAX) continue;
		out[fill[c]] = r->peels[k];
		out[fill[c]].chain = c;
		fill[c]++;
	}
	free(r->peels);
	free(fill);
	free(newix);
	r->peels = out;
	r->n_peels = total;
	r->n_peel_chains = nc;
}

void tl_walk_result_free(struct tl_walk_result *res)
{
	if (!res) return;
	free(res->endpoints);
	free(res->holdings);
	free(res->mixers);
	free(res->flows);
	free(res->peel_chains);
	free(res->peels);
	free(res->consolidations);
	memset(res, 0, sizeof *res);
}

int tl_walk_forward(const struct tl_graph *g, const struct tl_seed *seeds, size_t n_seeds,
                    const struct tl_walk_params *p, struct tl_walk_result *res, struct tl_err *err)
{
	memset(res, 0, sizeof *res);
	if (!g || !g->get_tx || !g->get_spender) return tl_err_set(err, "graph lacks get_tx or get_spender");
	if (!seeds || n_seeds == 0) return tl_err_set(err, "no seeds given");
	struct fw w;
	memset(&w, 0, sizeof w);
	w.g = g;
	w.r = res;
	w.err = err;
	if (p) w.p = *p;
	else tl_walk_params_default(&w.p);
	if ((unsigned)w.p.policy >= TL_POLICY_COUNT)
		return tl_err_set(err, "unknown policy %d", (int)w.p.policy);

	struct tl_seed *ss = xrealloc(NULL, n_seeds * sizeof *ss);
	memcpy(ss, seeds, n_seeds * sizeof *ss);
	qsort(ss, n_seeds, sizeof *ss, cmp_seed);
	omap_init(&w.map, 1024);
	for (size_t i = 0; i < n_seeds; i++)
		if (tl_txheap_push(&w.heap, ss[i].tx_num)) abort();

	int rc = 0;
	size_t si = 0;
	uint64_t last = UINT64_MAX, reads = 0;
	while (w.heap.n) {
		uint64_t x = tl_txheap_pop(&w.heap);
		if (x == last) continue;
		last = x;
		if (time_up(&reads, w.p.check_every, w.p.deadline_ms, w.p.cancel, w.p.cancel_ctx)) {
			tl_err_set(err, "trace stopped by its time limit after %" PRIu64 " transactions",
			           res->visited);
			rc = TL_WALK_TIMEOUT;
			break;
		}
		struct tl_gtx tx;
		int r = g->get_tx(g->ctx, x, &tx, err);
		if (r < 0) {
			tl_err_prefix(err, "reading tx %" PRIu64 ": ", x);
			rc = -1;
			break;
		}
		if (r > 0) {
			tl_err_set(err, "tx %" PRIu64 " not found (a seed, or a spender the graph named)", x);
			rc = -1;
			break;
		}
		size_t s0 = si;
		while (si < n_seeds && ss[si].tx_num == x) si++;
		rc = process_tx(&w, &tx, ss + s0, si - s0);
		if (rc) break;
	}
	if (!rc)
		for (size_t i = 0; i < w.n_recs; i++)
			if (!w.recs[i].consumed) {
				rc = tl_err_set(err, "graph inconsistent: output %" PRIu64 ":%u is named as "
				                "spent by tx %" PRIu64 ", which does not spend it",
				                w.recs[i].tx, w.recs[i].vout, w.recs[i].spender);
				break;
			}
	for (size_t i = 0; i < w.n_recs; i++) tl_ivset_free(&w.recs[i].set);
	for (size_t i = 0; i < w.cap_insets; i++) tl_ivset_free(&w.in_sets[i]);
	for (size_t i = 0; i < w.cap_outsets; i++) tl_ivset_free(&w.out_sets[i]);
	free(w.recs);
	free(w.in_sets);
	free(w.out_sets);
	free(w.in_val);
	free(w.in_taint);
	free(w.in_rec);
	free(w.out_val);
	free(w.out_taint);
	free(w.seeded);
	tl_txheap_free(&w.heap);
	omap_free(&w.map);
	free(ss);
	if (rc) {
		uint64_t v = res->visited;
		tl_walk_result_free(res);
		res->visited = v;
		return rc;
	}
	finish_peels(res, w.p.peel_min_len);
	return 0;
}

/* ---- backward walk ------------------------------------------------------ */

void tl_back_params_default(struct tl_back_params *p)
{
	memset(p, 0, sizeof *p);
	p->max_hops = 6;
	p->max_tx = 0;
}

void tl_back_result_free(struct tl_back_result *res)
{
	if (!res) return;
	free(res->exp);
	memset(res, 0, sizeof *res);
}

int tl_walk_backward(const struct tl_graph *g, uint64_t tx_num, uint32_t vout,
                     const struct tl_seed *seeds, size_t n_seeds, const struct tl_back_params *p,
                     struct tl_back_result *res, struct tl_err *err)
{
	memset(res, 0, sizeof *res);
	struct tl_back_params bp;
	if (p) bp = *p;
	else tl_back_params_default(&bp);
	if (!g || !g->get_tx) return tl_err_set(err, "graph lacks get_tx");
	if (bp.max_hops == 0) return tl_err_set(err, "max_hops must be at least 1");
	if (bp.max_hops > 1000) return tl_err_set(err, "max_hops %u over the limit of 1000", bp.max_hops);
	if (!seeds && n_seeds) return tl_err_set(err, "seeds missing");
	for (size_t i = 0; i < n_seeds; i++)
		if (seeds[i].vout == TL_SEED_WHOLE_TX)
			return tl_err_set(err, "seed %zu: a backward walk needs outputs, not whole transactions", i);

	struct tl_gtx tx;
	int r = g->get_tx(g->ctx, tx_num, &tx, err);
	if (r < 0) return tl_err_prefix(err, "reading tx %" PRIu64 ": ", tx_num);
	if (r > 0) return tl_err_set(err, "tx %" PRIu64 " not found", tx_num);
	if (vout >= tx.n_out)
		return tl_err_set(err, "output %" PRIu64 ":%u does not exist (%u outputs)", tx_num, vout, tx.n_out);
	res->value = tx.out[vout].value;

	const size_t N = bp.max_hops;
	struct omap seedmap, txmap;
	omap_init(&seedmap, n_seeds + 1);
	omap_init(&txmap, 1024);
	for (size_t i = n_seeds; i-- > 0;) omap_put(&seedmap, seeds[i].tx_num, seeds[i].vout, (uint32_t)i);
	double *amount = xrealloc(NULL, (n_seeds ? n_seeds : 1) * sizeof *amount);
	uint32_t *minhop = xrealloc(NULL, (n_seeds ? n_seeds : 1) * sizeof *minhop);
	for (size_t i = 0; i < n_seeds; i++) {
		amount[i] = 0;
		minhop[i] = UINT32_MAX;
	}
	double *wt = NULL; /* (N + 1) weights per transaction met */
	size_t n_wt = 0, cap_wt = 0;
	struct tl_txheap heap = {0};
	int rc = 0;

	uint32_t *self = omap_get(&seedmap, tx_num, vout);
	if (self) {
		amount[*self] = (double)res->value;
		minhop[*self] = 0;
		goto done;
	}
	grow((void **)&wt, &cap_wt, N + 1, sizeof *wt);
	memset(wt, 0, (N + 1) * sizeof *wt);
	wt[0] = (double)res->value;
	n_wt = 1;
	omap_put(&txmap, tx_num, 0, 0);
	if (tl_txheap_push(&heap, UINT64_MAX - tx_num)) abort();
	uint64_t last = UINT64_MAX, reads = 0;
	while (heap.n) {
		uint64_t x = UINT64_MAX - tl_txheap_pop(&heap);
		if (x == last) continue;
		last = x;
		if (time_up(&reads, 0, bp.deadline_ms, bp.cancel, bp.cancel_ctx)) {
			tl_err_set(err, "screening stopped by its time limit after %" PRIu64 " transactions",
			           res->visited);
			rc = TL_WALK_TIMEOUT;
			break;
		}
		r = g->get_tx(g->ctx, x, &tx, err);
		if (r) {
			rc = r < 0 ? tl_err_prefix(err, "reading tx %" PRIu64 ": ", x)
			           : tl_err_set(err, "tx %" PRIu64 " not found (an input's source)", x);
			break;
		}
		res->visited++;
		if (bp.max_tx && res->visited > bp.max_tx) {
			tl_err_set(err, "screening too large: more than %" PRIu64 " transactions", bp.max_tx);
			rc = TL_WALK_TOO_BIG;
			break;
		}
		if (tx.coinbase) continue; /* newly minted: no seed inside */
		uint64_t V = 0;
		for (uint32_t i = 0; i < tx.n_in; i++) V += tx.in[i].value;
		if (V == 0) continue;
		size_t xi = *omap_get(&txmap, x, 0);
		for (size_t d = 0; d < N; d++) {
			double wd = wt[xi * (N + 1) + d];
			if (wd <= 0) continue;
			for (uint32_t i = 0; i < tx.n_in; i++) {
				const struct tl_gin *in = &tx.in[i];
				if (!in->value) continue;
				if (in->prev_tx >= x) {
					rc = tl_err_set(err, "graph inconsistent: tx %" PRIu64 " spends later tx %" PRIu64,
					                x, in->prev_tx);
					goto done;
				}
				double share = wd * ((double)in->value / (double)V);
				uint32_t *si = omap_get(&seedmap, in->prev_tx, in->vout);
				if (si) {
					amount[*si] += share;
					if (d + 1 < minhop[*si]) minhop[*si] = (uint32_t)(d + 1);
					continue;
				}
				if (d + 1 >= N) continue;
				uint32_t *pi = omap_get(&txmap, in->prev_tx, 0);
				size_t k;
				if (pi) {
					k = *pi;
				} else {
					k = n_wt++;
					grow((void **)&wt, &cap_wt, n_wt * (N + 1), sizeof *wt);
					memset(&wt[k * (N + 1)], 0, (N + 1) * sizeof *wt);
					omap_put(&txmap, in->prev_tx, 0, (uint32_t)k);
					if (tl_txheap_push(&heap, UINT64_MAX - in->prev_tx)) abort();
				}
				wt[k * (N + 1) + d + 1] += share;
			}
		}
	}
done:
	if (!rc) {
		size_t n = 0;
		for (size_t i = 0; i < n_seeds; i++) n += amount[i] > 0 || minhop[i] == 0;
		res->exp = xrealloc(NULL, (n ? n : 1) * sizeof *res->exp);
		for (size_t i = 0; i < n_seeds; i++) {
			if (!(amount[i] > 0 || minhop[i] == 0)) continue;
			struct tl_exposure *e = &res->exp[res->n_exp++];
			e->seed = i;
			e->amount = amount[i];
			e->share = res->value ? amount[i] / (double)res->value : 0;
			e->min_hops = minhop[i];
			res->total += amount[i];
		}
		res->share = res->value ? res->total / (double)res->value : 0;
	} else {
		uint64_t v = res->visited;
		memset(res, 0, sizeof *res);
		res->visited = v;
	}
	free(amount);
	free(minhop);
	free(wt);
	tl_txheap_free(&heap);
	omap_free(&seedmap);
	omap_free(&txmap);
	return rc;
}
