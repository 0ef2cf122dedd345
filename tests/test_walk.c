/* Forward and backward walks (taint/walk.h) over the in-memory graph
 * (taint/memgraph.h).
 *
 * The forward walk (min-heap of tx_num, hash map of pending outputs,
 * interval sets) is compared against a deliberately naive second
 * implementation written here: it scans every transaction of the graph in
 * order, keeps a per-satoshi bitmap of every output for FIFO, and applies
 * the limits in the documented order. Hundreds of random DAGs (fixed
 * seeds), every policy, several parameter sets; conservation is asserted
 * for haircut, fifo and tiho, and for poison that every output reached
 * past the seeds is tainted in full. The backward walk is compared with
 * a naive enumeration of paths and with forward haircut. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "tests/testutil.h"
#include "taint/memgraph.h"
#include "taint/walk.h"

/* ---- random graphs ---------------------------------------------------- */

#define MAXIO 4
#define NADDR 70
struct ttx {
	uint32_t height;
	int coinjoin;
	uint32_t n_in, n_out;
	struct tl_gin in[MAXIO];
	struct tl_gout out[MAXIO];
	uint64_t spender[MAXIO];
};
struct G {
	struct ttx *tx;
	size_t n;
	uint32_t cats[NADDR];
	struct tl_memgraph *mg;
	struct tl_graph g;
};

static uint64_t rng;
static uint32_t rnd(void)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng >> 33);
}

static void gen(struct G *G, uint64_t seed, size_t n)
{
	struct tl_err err = { 0 };
	rng = seed;
	memset(G, 0, sizeof *G);
	G->tx = calloc(n, sizeof *G->tx);
	G->mg = tl_memgraph_new();
	for (uint64_t a = 1; a < NADDR; a++) {
		uint32_t c = a <= 3 ? TL_CAT_EXCHANGE : a == 4 ? TL_CAT_BRIDGE : a == 5 ? TL_CAT_SERVICE
		           : a <= 7 ? TL_CAT_MIXER : a == 8 ? TL_CAT_SANCTIONED : 0;
		G->cats[a] = c;
		if (c) assert_int_equal(tl_memgraph_set_entity(G->mg, a, c, a + 1000, "tagged", &err), 0);
	}
	struct {
		uint64_t tx;
		uint32_t vout;
	} *pool = malloc(n * MAXIO * sizeof *pool);
	size_t np = 0;
	for (size_t k = 0; k < n; k++) {
		struct ttx *t = &G->tx[k];
		t->height = (uint32_t)(k / 4);
		uint64_t V = 0;
		if (np < 4 || rnd() % 12 == 0) {
			t->n_in = 0;
			t->n_out = 1 + rnd() % 3;
			for (uint32_t j = 0; j < t->n_out; j++) t->out[j].value = rnd() % 6 ? rnd() % 2000 : 0;
		} else {
			uint32_t lim = np < MAXIO ? (uint32_t)np : MAXIO;
			t->n_in = 1 + rnd() % lim;
			for (uint32_t i = 0; i < t->n_in; i++) {
				size_t p = rnd() % np;
				t->in[i].prev_tx = pool[p].tx;
				t->in[i].vout = pool[p].vout;
				t->in[i].value = G->tx[pool[p].tx].out[pool[p].vout].value;
				G->tx[pool[p].tx].spender[pool[p].vout] = k;
				pool[p] = pool[--np];
				V += t->in[i].value;
			}
			uint64_t fee = rnd() % 3 == 0 ? 0 : rnd() % (V / 10 + 1);
			uint64_t left = V - fee;
			t->n_out = 1 + rnd() % MAXIO;
			for (uint32_t j = 0; j < t->n_out; j++) {
				uint64_t v = j + 1 == t->n_out ? left : rnd() % (left + 1);
				if (rnd() % 9 == 0) v = 0;
				t->out[j].value = v;
				left -= v;
			}
			t->coinjoin = t->n_in >= 2 && rnd() % 15 == 0;
		}
		for (uint32_t j = 0; j < t->n_out; j++) {
			t->out[j].addr_id = rnd() % NADDR;
			t->spender[j] = TL_GRAPH_UNSPENT;
			pool[np].tx = k;
			pool[np].vout = j;
			np++;
		}
		uint64_t num;
		assert_int_equal(tl_memgraph_add_tx(G->mg, t->height, 1000000000 + (int64_t)k * 600, t->coinjoin,
		                                    t->in, t->n_in, t->out, t->n_out, &num, &err),
		                 0);
		assert_int_equal(num, k);
	}
	G->n = n;
	free(pool);
	tl_memgraph_graph(G->mg, &G->g);
}

static void gfree(struct G *G)
{
	free(G->tx);
	tl_memgraph_free(G->mg);
}

/* ---- the naive forward walk ------------------------------------------- */

struct nout {
	uint64_t taint;
	uint8_t *bits; /* fifo */
	uint32_t hop;
	int followed;
};
struct nitem {
	uint64_t tx;
	uint32_t vout;
	uint64_t amount;
	uint32_t hops;
	int kind; /* endpoint kind or at_cutoff */
};
struct nres {
	struct tl_walk_totals tot;
	uint64_t visited, flows, n_mixers;
	struct nitem *ends, *holds;
	size_t n_ends, n_holds;
};

static void nadd(struct nitem **a, size_t *n, uint64_t tx, uint32_t vout, uint64_t amt, uint32_t hop, int kind)
{
	*a = realloc(*a, (*n + 1) * sizeof **a);
	(*a)[(*n)++] = (struct nitem){tx, vout, amt, hop, kind};
}

static void naive(const struct G *G, const struct tl_seed *seeds, size_t ns, const struct tl_walk_params *p,
                  struct nres *r)
{
	memset(r, 0, sizeof *r);
	int fifo = p->policy == TL_POLICY_FIFO;
	struct nout (*st)[MAXIO] = calloc(G->n, sizeof *st);
	for (size_t k = 0; k < G->n; k++) {
		const struct ttx *t = &G->tx[k];
		int cutoff = p->until_height && t->height > p->until_height;
		uint64_t V = 0, T = 0, O = 0;
		uint32_t nt = 0, maxhop = 0;
		uint64_t it[MAXIO] = {0};
		for (uint32_t i = 0; i < t->n_in; i++) V += t->in[i].value;
		for (uint32_t j = 0; j < t->n_out; j++) O += t->out[j].value;
		uint8_t *all = calloc(V + 1, 1), *pos = all;
		for (uint32_t i = 0; i < t->n_in; i++) {
			struct nout *s = &st[t->in[i].prev_tx][t->in[i].vout];
			if (s->followed) {
				if (cutoff) {
					nadd(&r->holds, &r->n_holds, t->in[i].prev_tx, t->in[i].vout, s->taint, s->hop, 1);
					r->tot.holdings += s->taint;
					r->tot.holdings_at_cutoff += s->taint;
				} else {
					it[i] = s->taint;
					T += s->taint;
					nt++;
					if (s->hop > maxhop) maxhop = s->hop;
					if (fifo) memcpy(pos, s->bits, t->in[i].value);
					r->flows += s->taint;
				}
			}
			pos += t->in[i].value;
		}
		int has_seed = 0;
		for (size_t s = 0; s < ns; s++) has_seed |= seeds[s].tx_num == k;
		if (nt || has_seed) r->visited++;
		uint64_t ot[MAXIO] = {0}, ft = 0;
		uint8_t *obits[MAXIO] = {0};
		for (uint32_t j = 0; j < t->n_out; j++) obits[j] = calloc(t->out[j].value + 1, 1);
		if (nt && t->coinjoin) {
			r->n_mixers++;
			if (p->stop_at_mixers) {
				for (uint32_t i = 0; i < t->n_in; i++)
					if (it[i] || st[t->in[i].prev_tx][t->in[i].vout].followed) {
						const struct nout *s = &st[t->in[i].prev_tx][t->in[i].vout];
						nadd(&r->ends, &r->n_ends, t->in[i].prev_tx, t->in[i].vout, s->taint, s->hop,
						     TL_END_COINJOIN);
						r->tot.endpoints += s->taint;
					}
				T = 0;
			}
		}
		if (T) {
			switch (p->policy) {
			case TL_POLICY_POISON:
				for (uint32_t j = 0; j < t->n_out; j++) ot[j] = t->out[j].value;
				ft = V - O;
				break;
			case TL_POLICY_HAIRCUT:
				ft = T;
				for (uint32_t j = 0; j < t->n_out; j++) {
					ot[j] = (uint64_t)((unsigned __int128)t->out[j].value * T / V);
					ft -= ot[j];
				}
				break;
			case TL_POLICY_TIHO: {
				uint64_t rem = T;
				int used[MAXIO] = {0};
				for (uint32_t k2 = 0; k2 < t->n_out; k2++) {
					int b = -1;
					for (uint32_t j = 0; j < t->n_out; j++)
						if (!used[j] && (b < 0 || t->out[j].value > t->out[b].value)) b = (int)j;
					used[b] = 1;
					ot[b] = t->out[b].value < rem ? t->out[b].value : rem;
					rem -= ot[b];
				}
				ft = rem;
				break;
			}
			case TL_POLICY_FIFO: {
				uint8_t *q = all;
				for (uint32_t j = 0; j < t->n_out; j++) {
					memcpy(obits[j], q, t->out[j].value);
					for (uint64_t x = 0; x < t->out[j].value; x++) ot[j] += q[x];
					q += t->out[j].value;
				}
				for (; q < all + V; q++) ft += *q;
				break;
			}
			default:
				fail();
			}
		}
		r->tot.fees += ft;
		free(all);
		int seeded[MAXIO] = {0};
		for (size_t s = 0; s < ns; s++) {
			if (seeds[s].tx_num != k) continue;
			for (uint32_t j = 0; j < t->n_out; j++) {
				if (seeds[s].vout != TL_SEED_WHOLE_TX && seeds[s].vout != j) continue;
				uint64_t a = seeds[s].amount;
				if (a == TL_SEED_FULL || seeds[s].vout == TL_SEED_WHOLE_TX) a = t->out[j].value;
				uint64_t before = ot[j];
				if (fifo) {
					memset(obits[j], 1, a);
					ot[j] = 0;
					for (uint64_t x = 0; x < t->out[j].value; x++) ot[j] += obits[j][x];
				} else if (a > ot[j]) {
					ot[j] = a;
				}
				r->tot.seeded += ot[j] - before;
				if (a) seeded[j] = 1;
			}
		}
		for (uint32_t j = 0; j < t->n_out; j++) {
			uint64_t a = ot[j];
			uint32_t hop = seeded[j] ? 0 : maxhop + 1;
			uint32_t c = G->cats[t->out[j].addr_id];
			struct nout *s = &st[k][j];
			if (!a) goto next;
			if (p->min_sat && a < p->min_sat) {
				r->tot.cut += a;
				r->tot.cut_dust += a;
				goto next;
			}
			if (c & p->stop_cats) {
				nadd(&r->ends, &r->n_ends, k, j, a, hop, TL_END_TAGGED);
				r->tot.endpoints += a;
				goto next;
			}
			if (c & TL_CAT_MIXER) {
				r->n_mixers++;
				if (p->stop_at_mixers) {
					nadd(&r->ends, &r->n_ends, k, j, a, hop, TL_END_MIXER);
					r->tot.endpoints += a;
					goto next;
				}
			}
			if (t->spender[j] == TL_GRAPH_UNSPENT) {
				nadd(&r->holds, &r->n_holds, k, j, a, hop, 0);
				r->tot.holdings += a;
				goto next;
			}
			if (p->max_hops && hop >= p->max_hops) {
				r->tot.cut += a;
				r->tot.cut_hops += a;
				goto next;
			}
			s->followed = 1;
			s->taint = a;
			s->hop = hop;
			s->bits = obits[j];
			obits[j] = NULL;
		next:
			free(obits[j]);
		}
	}
	for (size_t k = 0; k < G->n; k++)
		for (int j = 0; j < MAXIO; j++) free(st[k][j].bits);
	free(st);
}

static int cmp_item(const void *a, const void *b)
{
	const struct nitem *x = a, *y = b;
	if (x->tx != y->tx) return x->tx < y->tx ? -1 : 1;
	if (x->vout != y->vout) return x->vout < y->vout ? -1 : 1;
	return x->kind - y->kind;
}

static void same_item(const struct nitem *a, const struct nitem *b)
{
	assert_int_equal(a->tx, b->tx);
	assert_int_equal(a->vout, b->vout);
	assert_int_equal(a->kind, b->kind);
	assert_int_equal(a->amount, b->amount);
	assert_int_equal(a->hops, b->hops);
}

static void compare(const struct G *G, const struct tl_walk_result *w, struct nres *n, enum tl_policy pol)
{
	assert_memory_equal(&w->totals, &n->tot, sizeof n->tot);
	assert_int_equal(w->visited, n->visited);
	assert_int_equal(w->n_mixers, n->n_mixers);
	uint64_t fl = 0;
	for (size_t i = 0; i < w->n_flows; i++) fl += w->flows[i].amount;
	assert_int_equal(fl, n->flows);
	assert_int_equal(w->n_endpoints, n->n_ends);
	assert_int_equal(w->n_holdings, n->n_holds);
	struct nitem *we = calloc(w->n_endpoints + 1, sizeof *we), *wh = calloc(w->n_holdings + 1, sizeof *wh);
	for (size_t i = 0; i < w->n_endpoints; i++) {
		const struct tl_endpoint *e = &w->endpoints[i];
		we[i] = (struct nitem){e->tx_num, e->vout, e->amount, e->hops, (int)e->kind};
		assert_int_equal(e->height, G->tx[e->tx_num].height);
		assert_int_equal(e->addr_id, G->tx[e->tx_num].out[e->vout].addr_id);
		if (e->kind == TL_END_TAGGED) assert_string_equal(e->label, "tagged");
	}
	for (size_t i = 0; i < w->n_holdings; i++) {
		const struct tl_holding *h = &w->holdings[i];
		wh[i] = (struct nitem){h->tx_num, h->vout, h->amount, h->hops, h->at_cutoff};
	}
	qsort(we, w->n_endpoints, sizeof *we, cmp_item);
	if (n->n_ends) qsort(n->ends, n->n_ends, sizeof *we, cmp_item);
	qsort(wh, w->n_holdings, sizeof *wh, cmp_item);
	if (n->n_holds) qsort(n->holds, n->n_holds, sizeof *wh, cmp_item);
	for (size_t i = 0; i < n->n_ends; i++) same_item(&we[i], &n->ends[i]);
	for (size_t i = 0; i < n->n_holds; i++) same_item(&wh[i], &n->holds[i]);
	const struct tl_walk_totals *t = &w->totals;
	assert_int_equal(t->cut, t->cut_dust + t->cut_hops);
	if (pol != TL_POLICY_POISON) {
		/* conservation, exact */
		assert_int_equal(t->seeded, t->endpoints + t->holdings + t->fees + t->cut);
	} else {
		/* poison: every output reached past the seeds is tainted in full */
		for (size_t i = 0; i < w->n_holdings; i++)
			if (w->holdings[i].hops > 0)
				assert_int_equal(w->holdings[i].amount,
				                 G->tx[w->holdings[i].tx_num].out[w->holdings[i].vout].value);
		for (size_t i = 0; i < w->n_endpoints; i++)
			if (w->endpoints[i].hops > 0)
				assert_int_equal(w->endpoints[i].amount,
				                 G->tx[w->endpoints[i].tx_num].out[w->endpoints[i].vout].value);
	}
	/* no coinbase output is ever tainted except by a seed */
	for (size_t i = 0; i < w->n_holdings; i++)
		if (G->tx[w->holdings[i].tx_num].n_in == 0) assert_int_equal(w->holdings[i].hops, 0);
	free(we);
	free(wh);
	free(n->ends);
	free(n->holds);
}

static void test_random_vs_naive(void **state)
{
	(void)state;
	struct tl_err err = { 0 };
	struct tl_walk_totals seen = {0};
	uint64_t cj_ends = 0;
	for (uint64_t gi = 0; gi < 60; gi++) {
		struct G G;
		gen(&G, 1000 + gi, 300);
		struct tl_seed seeds[6];
		size_t ns = 1 + rnd() % 5;
		for (size_t s = 0; s < ns; s++) {
			uint64_t k = rnd() % (G.n / 3);
			seeds[s].tx_num = k;
			seeds[s].vout = rnd() % G.tx[k].n_out;
			uint64_t v = G.tx[k].out[seeds[s].vout].value;
			seeds[s].amount = rnd() % 2 ? TL_SEED_FULL : rnd() % (v + 1);
			if (rnd() % 6 == 0) seeds[s].vout = TL_SEED_WHOLE_TX;
		}
		for (int pol = 0; pol < TL_POLICY_COUNT; pol++)
			for (int cfg = 0; cfg < 4; cfg++) {
				struct tl_walk_params p;
				tl_walk_params_default(&p);
				p.policy = (enum tl_policy)pol;
				if (cfg == 1) {
					p.max_hops = 3;
					p.min_sat = 40;
				} else if (cfg == 2) {
					p.until_height = (uint32_t)(G.n / 8);
					p.stop_at_mixers = 1;
				} else if (cfg == 3) {
					p.stop_cats = TL_CAT_ALL & ~(uint32_t)TL_CAT_MIXER;
					p.max_hops = 1;
				}
				struct tl_walk_result w;
				struct nres n;
				assert_int_equal(tl_walk_forward(&G.g, seeds, ns, &p, &w, &err), 0);
				naive(&G, seeds, ns, &p, &n);
				compare(&G, &w, &n, p.policy);
				seen.endpoints += w.totals.endpoints;
				seen.holdings += w.totals.holdings;
				seen.cut_dust += w.totals.cut_dust;
				seen.cut_hops += w.totals.cut_hops;
				seen.holdings_at_cutoff += w.totals.holdings_at_cutoff;
				seen.fees += w.visited > 3;
				for (size_t e = 0; e < w.n_endpoints; e++) cj_ends += w.endpoints[e].kind == TL_END_COINJOIN;
				tl_walk_result_free(&w);
			}
		gfree(&G);
	}
	/* Every limit and outcome was exercised (the comparison is not vacuous). */
	assert_true(seen.endpoints && seen.holdings && seen.cut_dust && seen.cut_hops);
	assert_true(seen.holdings_at_cutoff && cj_ends && seen.fees > 100);
}

/* ---- hand-built graphs ------------------------------------------------- */

static uint64_t add(struct tl_memgraph *mg, uint32_t h, int cj, const struct tl_gin *in, uint32_t ni,
                    const struct tl_gout *out, uint32_t no)
{
	struct tl_err err = { 0 };
	uint64_t n;
	if (tl_memgraph_add_tx(mg, h, 1600000000 + h * 600, cj, in, ni, out, no, &n, &err))
		fail_msg("%s", err.msg);
	return n;
}

/* A peel chain: 1,000,000 sat; each link peels 10,000 + 1,000 k to a fresh
 * address (links 3 and 6 to an exchange) and pays 100 sat fee. */
static void test_peel_chain(void **state)
{
	(void)state;
	struct tl_err err = { 0 };
	struct tl_memgraph *mg = tl_memgraph_new();
	assert_int_equal(tl_memgraph_set_entity(mg, 900, TL_CAT_EXCHANGE, 9, "Exchange X", &err), 0);
	struct tl_gout cb = {1000000, 1, 0};
	uint64_t prev = add(mg, 1, 0, NULL, 0, &cb, 1);
	uint64_t val = 1000000, peeled = 0, fees = 0, ex = 0;
	for (int k = 0; k < 10; k++) {
		uint64_t pv = 10000 + 1000 * (uint64_t)k;
		struct tl_gin in = {prev, k == 0 ? 0 : 1, 0};
		struct tl_gout out[2] = {{pv, (k == 3 || k == 6) ? 900 : 100 + (uint64_t)k, 0},
		                         {val - pv - 100, 50, 0}};
		prev = add(mg, 2 + (uint32_t)k, 0, &in, 1, out, 2);
		val -= pv + 100;
		peeled += pv;
		fees += 100;
		if (k == 3 || k == 6) ex += pv;
	}
	struct tl_graph g;
	tl_memgraph_graph(mg, &g);
	struct tl_seed seed = {0, 0, TL_SEED_FULL};
	for (int pol = 0; pol < TL_POLICY_COUNT; pol++) {
		struct tl_walk_params p;
		tl_walk_params_default(&p);
		p.policy = (enum tl_policy)pol;
		struct tl_walk_result r;
		assert_int_equal(tl_walk_forward(&g, &seed, 1, &p, &r, &err), 0);
		assert_int_equal(r.n_peel_chains, 1);
		assert_int_equal(r.peel_chains[0].length, 10);
		assert_int_equal(r.peel_chains[0].first_tx, 1);
		assert_int_equal(r.peel_chains[0].last_tx, 10);
		assert_int_equal(r.peel_chains[0].peeled, peeled);
		assert_int_equal(r.n_peels, 10);
		for (int k = 0; k < 10; k++) {
			assert_int_equal(r.peels[k].tx_num, 1 + (uint64_t)k);
			assert_int_equal(r.peels[k].vout, 0);
			assert_int_equal(r.peels[k].fate, (k == 3 || k == 6) ? TL_FATE_ENDPOINT : TL_FATE_HOLDING);
		}
		assert_int_equal(r.totals.endpoints, ex);
		assert_int_equal(r.totals.fees, fees);
		assert_int_equal(r.totals.holdings, 1000000 - ex - fees);
		assert_int_equal(r.visited, 11);
		assert_int_equal(r.n_flows, 10);
		assert_int_equal(r.endpoints[0].hops, 4); /* seed hop 0, link k's outputs hop k+1 */
		assert_string_equal(r.endpoints[0].label, "Exchange X");
		assert_int_equal(r.n_consolidations, 0);
		tl_walk_result_free(&r);
		/* Too big: the cap stops the walk with a distinct status. */
		p.max_tx = 5;
		assert_int_equal(tl_walk_forward(&g, &seed, 1, &p, &r, &err), TL_WALK_TOO_BIG);
		assert_non_null(strstr(err.msg, "too large"));
		assert_null(r.endpoints);
		tl_walk_result_free(&r);
		/* Short chains are not reported. */
		p.max_tx = 0;
		p.max_hops = 2;
		assert_int_equal(tl_walk_forward(&g, &seed, 1, &p, &r, &err), 0);
		assert_int_equal(r.n_peel_chains, 0);
		assert_int_equal(r.n_peels, 0);
		assert_int_equal(r.totals.seeded, r.totals.endpoints + r.totals.holdings + r.totals.fees + r.totals.cut);
		tl_walk_result_free(&r);
	}
	tl_memgraph_free(mg);
}

/* Consolidation, CoinJoin, seeds overlapping the walk, edge cases. */
static void test_consolidation_and_mixers(void **state)
{
	(void)state;
	struct tl_err err = { 0 };
	struct tl_memgraph *mg = tl_memgraph_new();
	assert_int_equal(tl_memgraph_set_entity(mg, 77, TL_CAT_MIXER, 0, "Mixer", &err), 0);
	struct tl_gout c0[2] = {{500, 1, 0}, {300, 2, 0}};
	uint64_t t0 = add(mg, 1, 0, NULL, 0, c0, 2); /* coinbase */
	/* tx1 spends tainted 0:0 (500) and clean 0:1 (300), pays 700 + 0
	 * (zero-value output) + fee 100 */
	struct tl_gin i1[2] = {{t0, 0, 0}, {t0, 1, 0}};
	struct tl_gout o1[2] = {{700, 3, 0}, {0, 4, 0}};
	uint64_t t1 = add(mg, 2, 0, i1, 2, o1, 2);
	/* tx2: CoinJoin spending 1:0 (700) and another clean coinbase */
	struct tl_gout c2 = {700, 5, 0};
	uint64_t t2c = add(mg, 2, 0, NULL, 0, &c2, 1);
	struct tl_gin i3[2] = {{t1, 0, 0}, {t2c, 0, 0}};
	struct tl_gout o3[2] = {{650, 77, 0}, {650, 6, 0}};
	uint64_t t3 = add(mg, 3, 1, i3, 2, o3, 2);
	struct tl_graph g;
	tl_memgraph_graph(mg, &g);
	struct tl_seed seed = {t0, 0, TL_SEED_FULL};
	struct tl_walk_params p;
	tl_walk_params_default(&p);
	struct tl_walk_result r;
	assert_int_equal(tl_walk_forward(&g, &seed, 1, &p, &r, &err), 0);
	/* haircut at tx1: V = 800, T = 500: 700 * 500 / 800 = 437 (437.5),
	 * zero output 0, fee 500 - 437 = 63. At the CoinJoin: V = 1400,
	 * T = 437: each 650 * 437 / 1400 = 202 (202.89), fee 437 - 404 = 33. */
	assert_int_equal(r.n_consolidations, 1);
	assert_int_equal(r.consolidations[0].tx_num, t1);
	assert_int_equal(r.consolidations[0].tainted, 500);
	assert_int_equal(r.consolidations[0].clean, 300);
	assert_int_equal(r.n_mixers, 2); /* the CoinJoin and the mixer address */
	assert_int_equal(r.mixers[0].tx_num, t3);
	assert_int_equal(r.mixers[0].vout, TL_MIXER_WHOLE_TX);
	assert_int_equal(r.mixers[0].amount, 437);
	assert_int_equal(r.mixers[1].vout, 0);
	assert_int_equal(r.totals.fees, 63 + 33);
	assert_int_equal(r.totals.holdings, 404);
	assert_int_equal(r.n_holdings, 2);
	assert_int_equal(r.holdings[0].hops, 2);
	tl_walk_result_free(&r);
	/* stop_at_mixers: the CoinJoin's tainted input is the endpoint. */
	p.stop_at_mixers = 1;
	assert_int_equal(tl_walk_forward(&g, &seed, 1, &p, &r, &err), 0);
	assert_int_equal(r.n_endpoints, 1);
	assert_int_equal(r.endpoints[0].kind, TL_END_COINJOIN);
	assert_int_equal(r.endpoints[0].tx_num, t1);
	assert_int_equal(r.endpoints[0].amount, 437);
	assert_int_equal(r.endpoints[0].coinjoin_tx, t3);
	assert_int_equal(r.totals.seeded, 500);
	assert_int_equal(r.totals.endpoints + r.totals.fees, 500);
	tl_walk_result_free(&r);
	/* A second seed on an output the walk reaches is merged: seeding
	 * t1:0 (700) on top of its 437 walked adds 263, not 700. */
	struct tl_seed two[2] = {{t0, 0, TL_SEED_FULL}, {t1, 0, TL_SEED_FULL}};
	p.stop_at_mixers = 0;
	assert_int_equal(tl_walk_forward(&g, two, 2, &p, &r, &err), 0);
	assert_int_equal(r.totals.seeded, 500 + 263);
	assert_int_equal(r.totals.seeded, r.totals.endpoints + r.totals.holdings + r.totals.fees + r.totals.cut);
	tl_walk_result_free(&r);
	/* Bad seeds. */
	struct tl_seed bad = {t0, 5, TL_SEED_FULL};
	assert_int_equal(tl_walk_forward(&g, &bad, 1, &p, &r, &err), -1);
	assert_non_null(strstr(err.msg, "outputs"));
	bad = (struct tl_seed){t0, 0, 501};
	assert_int_equal(tl_walk_forward(&g, &bad, 1, &p, &r, &err), -1);
	assert_non_null(strstr(err.msg, "exceeds"));
	bad = (struct tl_seed){999, 0, TL_SEED_FULL};
	assert_int_equal(tl_walk_forward(&g, &bad, 1, &p, &r, &err), -1);
	assert_non_null(strstr(err.msg, "not found"));
	assert_int_equal(tl_walk_forward(&g, NULL, 0, &p, &r, &err), -1);
	p.policy = (enum tl_policy)42;
	assert_int_equal(tl_walk_forward(&g, &seed, 1, &p, &r, &err), -1);
	tl_walk_result_free(&r);
	tl_memgraph_free(mg);
}

/* A graph that lies about spenders, to check the walk refuses rather than
 * loop or lose taint. */
struct liar {
	struct tl_graph inner;
	int mode; /* 1: spender is the same tx; 2: spender is a tx that does not spend it */
};
static int liar_tx(void *ctx, uint64_t n, struct tl_gtx *o, struct tl_err *e)
{
	struct liar *l = ctx;
	return l->inner.get_tx(l->inner.ctx, n, o, e);
}
static int liar_sp(void *ctx, uint64_t n, uint32_t v, uint64_t *s, struct tl_err *e)
{
	struct liar *l = ctx;
	int rc = l->inner.get_spender(l->inner.ctx, n, v, s, e);
	if (rc == 0 && n == 0) *s = l->mode == 1 ? 0 : 2;
	return rc;
}

static void test_inconsistent_graph(void **state)
{
	(void)state;
	struct tl_err err = { 0 };
	struct tl_memgraph *mg = tl_memgraph_new();
	struct tl_gout c = {1000, 1, 0};
	add(mg, 1, 0, NULL, 0, &c, 1);
	add(mg, 1, 0, NULL, 0, &c, 1);
	add(mg, 1, 0, NULL, 0, &c, 1); /* tx 2: a coinbase, cannot spend anything */
	struct liar l;
	tl_memgraph_graph(mg, &l.inner);
	struct tl_graph g = {&l, liar_tx, liar_sp, NULL};
	struct tl_seed seed = {0, 0, TL_SEED_FULL};
	struct tl_walk_result r;
	for (l.mode = 1; l.mode <= 2; l.mode++) {
		assert_int_equal(tl_walk_forward(&g, &seed, 1, NULL, &r, &err), -1);
		assert_non_null(strstr(err.msg, "graph inconsistent"));
		tl_walk_result_free(&r);
	}
	/* memgraph refuses double spends and overspends */
	struct tl_gin in = {0, 0, 0};
	struct tl_gout big = {1001, 1, 0};
	uint64_t n;
	assert_int_equal(tl_memgraph_add_tx(mg, 2, 0, 0, &in, 1, &big, 1, &n, &err), -1);
	assert_non_null(strstr(err.msg, "exceed"));
	assert_int_equal(tl_memgraph_add_tx(mg, 2, 0, 0, &in, 1, &c, 1, &n, &err), 0);
	assert_int_equal(tl_memgraph_add_tx(mg, 2, 0, 0, &in, 1, &c, 1, &n, &err), -1);
	assert_non_null(strstr(err.msg, "already spent"));
	tl_memgraph_free(mg);
}

/* ---- backward walk ----------------------------------------------------- */

static void naive_back(const struct G *G, uint64_t x, double w, uint32_t d, uint32_t N,
                       const struct tl_seed *seeds, size_t ns, double *amt)
{
	const struct ttx *t = &G->tx[x];
	uint64_t V = 0;
	for (uint32_t i = 0; i < t->n_in; i++) V += t->in[i].value;
	if (!V) return;
	for (uint32_t i = 0; i < t->n_in; i++) {
		double sh = w * ((double)t->in[i].value / (double)V);
		if (sh == 0) continue;
		int hit = 0;
		for (size_t s = 0; s < ns && !hit; s++)
			if (seeds[s].tx_num == t->in[i].prev_tx && seeds[s].vout == t->in[i].vout) {
				amt[s] += sh;
				hit = 1;
			}
		if (!hit && d + 1 < N) naive_back(G, t->in[i].prev_tx, sh, d + 1, N, seeds, ns, amt);
	}
}

static void test_backward(void **state)
{
	(void)state;
	struct tl_err err = { 0 };
	int compared = 0;
	for (uint64_t gi = 0; gi < 40; gi++) {
		struct G G;
		gen(&G, 5000 + gi, 200);
		/* target: an unspent, non-zero output late in the graph */
		uint64_t tx = 0;
		uint32_t vo = 0;
		for (int tries = 0; tries < 100; tries++) {
			tx = G.n - 1 - rnd() % (G.n / 3);
			vo = rnd() % G.tx[tx].n_out;
			if (G.tx[tx].spender[vo] == TL_GRAPH_UNSPENT && G.tx[tx].out[vo].value && G.tx[tx].n_in) break;
		}
		struct tl_seed seeds[3];
		for (int s = 0; s < 3; s++) {
			seeds[s].tx_num = rnd() % (G.n / 2);
			seeds[s].vout = rnd() % G.tx[seeds[s].tx_num].n_out;
			seeds[s].amount = TL_SEED_FULL;
		}
		/* vs naive path enumeration, 5 hops */
		struct tl_back_params bp = {.max_hops = 5};
		struct tl_back_result br;
		assert_int_equal(tl_walk_backward(&G.g, tx, vo, seeds, 3, &bp, &br, &err), 0);
		double amt[3] = {0, 0, 0};
		naive_back(&G, tx, (double)G.tx[tx].out[vo].value, 0, 5, seeds, 3, amt);
		double got[3] = {0, 0, 0};
		for (size_t e = 0; e < br.n_exp; e++) {
			got[br.exp[e].seed] = br.exp[e].amount;
			assert_true(br.exp[e].min_hops >= 1 && br.exp[e].min_hops <= 5);
		}
		for (int s = 0; s < 3; s++) assert_true(fabs(got[s] - amt[s]) <= 1e-6 * (1 + amt[s]));
		assert_true(br.share <= 1.0 + 1e-9);
		tl_back_result_free(&br);
		/* vs forward haircut from one seed, no hop limit: the forward
		 * walk floors at every transaction, so it may fall short of
		 * the exact share by less than 1 sat per transaction visited. */
		bp.max_hops = 1000;
		struct tl_walk_params p;
		tl_walk_params_default(&p);
		p.stop_cats = 0;
		for (int s = 0; s < 3; s++) {
			assert_int_equal(tl_walk_backward(&G.g, tx, vo, &seeds[s], 1, &bp, &br, &err), 0);
			double back = br.n_exp ? br.exp[0].amount : 0;
			tl_back_result_free(&br);
			struct tl_walk_result fr;
			assert_int_equal(tl_walk_forward(&G.g, &seeds[s], 1, &p, &fr, &err), 0);
			double fwd = 0;
			for (size_t h = 0; h < fr.n_holdings; h++)
				if (fr.holdings[h].tx_num == tx && fr.holdings[h].vout == vo) fwd = (double)fr.holdings[h].amount;
			assert_true(fwd <= back + 1e-6);
			assert_true(back - fwd <= (double)fr.visited + 1e-6);
			compared += back > 0;
			tl_walk_result_free(&fr);
		}
		gfree(&G);
	}
	assert_true(compared > 5); /* the comparison was not vacuous */
	/* bad input */
	struct G G;
	gen(&G, 1, 20);
	struct tl_back_result br;
	struct tl_back_params bp = {.max_hops = 0};
	struct tl_seed s = {0, 0, TL_SEED_FULL};
	assert_int_equal(tl_walk_backward(&G.g, 10, 0, &s, 1, &bp, &br, &err), -1);
	bp.max_hops = 3;
	assert_int_equal(tl_walk_backward(&G.g, 10, 9, &s, 1, &bp, &br, &err), -1);
	assert_int_equal(tl_walk_backward(&G.g, 99, 0, &s, 1, &bp, &br, &err), -1);
	/* the target itself is a seed: 100 % at hop 0 */
	s.tx_num = 10;
	assert_int_equal(tl_walk_backward(&G.g, 10, 0, &s, 1, &bp, &br, &err), 0);
	assert_int_equal(br.n_exp, 1);
	assert_int_equal(br.exp[0].min_hops, 0);
	tl_back_result_free(&br);
	gfree(&G);
}

/* ---- time limits ------------------------------------------------------- */

/* A graph whose get_tx sleeps a little, so that a full walk would take
 * far longer than the deadline given (the assertions are on how far the
 * walk got, not on wall-clock time). */
struct slow {
	struct tl_graph inner;
	long sleep_ns;
	uint64_t reads;
};
static int slow_get_tx(void *ctx, uint64_t tx_num, struct tl_gtx *out, struct tl_err *err)
{
	struct slow *s = ctx;
	s->reads++;
	if (s->sleep_ns) {
		struct timespec ts = {0, s->sleep_ns};
		nanosleep(&ts, NULL);
	}
	return s->inner.get_tx(s->inner.ctx, tx_num, out, err);
}
static int slow_get_spender(void *ctx, uint64_t tx_num, uint32_t vout, uint64_t *spender, struct tl_err *err)
{
	struct slow *s = ctx;
	return s->inner.get_spender(s->inner.ctx, tx_num, vout, spender, err);
}

struct cancel_after {
	int calls, stop_at;
};
static int cancel_cb(void *ctx)
{
	struct cancel_after *c = ctx;
	return ++c->calls >= c->stop_at;
}

static void test_time_limit(void **state)
{
	(void)state;
	struct tl_err err = { 0 };
	/* A peel chain of N links: every link is visited by a full walk. */
	enum { N = 100000 };
	struct tl_memgraph *mg = tl_memgraph_new();
	struct tl_gout o0 = {5000000000ull, 1, 0};
	uint64_t prev = add(mg, 1, 0, NULL, 0, &o0, 1), val = o0.value;
	for (uint32_t k = 0; k < N; k++) {
		struct tl_gin in = {prev, 0, val};
		struct tl_gout out[2] = {{val - 10000, 10 + k % 50, 0}, {9000, 2 + k % 7, 0}};
		prev = add(mg, 2 + k / 10, 0, &in, 1, out, 2);
		val -= 10000;
	}
	struct slow sl = {{0}, 0, 0};
	tl_memgraph_graph(mg, &sl.inner);
	struct tl_graph g = sl.inner;
	g.ctx = &sl;
	g.get_tx = slow_get_tx;
	g.get_spender = slow_get_spender;
	g.get_entity = NULL;
	struct tl_seed seed = {0, 0, TL_SEED_FULL};
	struct tl_walk_params p;
	tl_walk_params_default(&p);
	p.max_hops = 0;
	struct tl_walk_result r;

	/* Without a limit: every transaction. */
	assert_int_equal(tl_walk_forward(&g, &seed, 1, &p, &r, &err), 0);
	assert_int_equal(r.visited, N + 1);
	uint64_t seeded = r.totals.seeded;
	assert_int_equal(seeded, r.totals.endpoints + r.totals.holdings + r.totals.fees + r.totals.cut);
	tl_walk_result_free(&r);

	/* A deadline far away changes nothing. */
	p.deadline_ms = tl_walk_now_ms() + 3600 * 1000;
	assert_int_equal(tl_walk_forward(&g, &seed, 1, &p, &r, &err), 0);
	assert_int_equal(r.visited, N + 1);
	assert_int_equal(r.totals.seeded, seeded);
	tl_walk_result_free(&r);

	/* A deadline already past: stops before reading anything. */
	p.deadline_ms = 1;
	sl.reads = 0;
	assert_int_equal(tl_walk_forward(&g, &seed, 1, &p, &r, &err), TL_WALK_TIMEOUT);
	assert_int_equal(sl.reads, 0);
	assert_int_equal(r.visited, 0);
	assert_null(r.endpoints);
	assert_null(r.holdings);
	assert_non_null(strstr(err.msg, "time limit"));
	tl_walk_result_free(&r);

	/* A tiny deadline on a walk that would take N * 20 us = 2 s: it stops
	 * with a partial count, far short of the whole chain. */
	sl.sleep_ns = 20000;
	sl.reads = 0;
	p.deadline_ms = tl_walk_now_ms() + 20;
	assert_int_equal(tl_walk_forward(&g, &seed, 1, &p, &r, &err), TL_WALK_TIMEOUT);
	assert_true(r.visited > 0);
	assert_true(r.visited < N / 4);
	assert_true(sl.reads < N / 4);
	assert_non_null(strstr(err.msg, "after"));
	tl_walk_result_free(&r);
	sl.sleep_ns = 0;

	/* A cancel callback: asked every check_every reads (first before the
	 * first read); stopping on its 3rd call leaves exactly 2 * 16 reads. */
	p.deadline_ms = 0;
	struct cancel_after ca = {0, 3};
	p.cancel = cancel_cb;
	p.cancel_ctx = &ca;
	p.check_every = 16;
	sl.reads = 0;
	assert_int_equal(tl_walk_forward(&g, &seed, 1, &p, &r, &err), TL_WALK_TIMEOUT);
	assert_int_equal(ca.calls, 3);
	assert_int_equal(sl.reads, 32);
	assert_int_equal(r.visited, 32);
	tl_walk_result_free(&r);
	/* A callback that never says stop: the full walk; called once per
	 * check_every reads. */
	ca.calls = 0;
	ca.stop_at = 1 << 30;
	p.check_every = 1000;
	assert_int_equal(tl_walk_forward(&g, &seed, 1, &p, &r, &err), 0);
	assert_int_equal(r.visited, N + 1);
	assert_int_equal(ca.calls, (N + 1 + 999) / 1000);
	tl_walk_result_free(&r);

	/* Backward walk from link 900 of the chain to the seed output. */
	struct tl_back_params bp;
	tl_back_params_default(&bp);
	bp.max_hops = 1000;
	prev = 900;
	struct tl_back_result br;
	assert_int_equal(tl_walk_backward(&g, prev, 0, &seed, 1, &bp, &br, &err), 0);
	assert_int_equal(br.n_exp, 1);
	tl_back_result_free(&br);
	bp.deadline_ms = 1;
	assert_int_equal(tl_walk_backward(&g, prev, 0, &seed, 1, &bp, &br, &err), TL_WALK_TIMEOUT);
	assert_null(br.exp);
	tl_back_result_free(&br);
	bp.deadline_ms = 0;
	ca.calls = 0;
	ca.stop_at = 2;
	bp.cancel = cancel_cb;
	bp.cancel_ctx = &ca;
	assert_int_equal(tl_walk_backward(&g, prev, 0, &seed, 1, &bp, &br, &err), TL_WALK_TIMEOUT);
	assert_int_equal(br.visited, TL_WALK_CHECK_EVERY);
	tl_back_result_free(&br);
	tl_memgraph_free(mg);
}

/* The memory budget: the same peel chain (every link leaves a holding,
 * so the result grows with each transaction). A budget the walk fits in
 * changes nothing; a small one stops it with TL_WALK_MEMORY part way,
 * naming the budget; a larger budget never visits less. */
static void test_memory_budget(void **state)
{
	(void)state;
	struct tl_err err = { 0 };
	enum { N = 100000 };
	struct tl_memgraph *mg = tl_memgraph_new();
	struct tl_gout o0 = {5000000000ull, 1, 0};
	uint64_t prev = add(mg, 1, 0, NULL, 0, &o0, 1), val = o0.value;
	for (uint32_t k = 0; k < N; k++) {
		struct tl_gin in = {prev, 0, val};
		struct tl_gout out[2] = {{val - 10000, 10 + k % 50, 0}, {9000, 2 + k % 7, 0}};
		prev = add(mg, 2 + k / 10, 0, &in, 1, out, 2);
		val -= 10000;
	}
	struct tl_graph g;
	tl_memgraph_graph(mg, &g);
	struct tl_seed seed = {0, 0, TL_SEED_FULL};
	struct tl_walk_params p;
	tl_walk_params_default(&p);
	p.max_hops = 0;
	struct tl_walk_result r;
	assert_int_equal(tl_walk_forward(&g, &seed, 1, &p, &r, &err), 0);
	uint64_t visited = r.visited, holdings = r.totals.holdings, endpoints = r.totals.endpoints;
	assert_int_equal(visited, N + 1);
	tl_walk_result_free(&r);

	p.max_mem = (uint64_t)1 << 30;
	assert_int_equal(tl_walk_forward(&g, &seed, 1, &p, &r, &err), 0);
	assert_int_equal(r.visited, visited);
	assert_int_equal(r.totals.holdings, holdings);
	assert_int_equal(r.totals.endpoints, endpoints);
	tl_walk_result_free(&r);

	uint64_t last = 0;
	for (uint64_t mb = 1; mb <= 16; mb *= 2) {
		p.max_mem = mb << 20;
		int rc = tl_walk_forward(&g, &seed, 1, &p, &r, &err);
		assert_int_equal(rc, TL_WALK_MEMORY);
		assert_true(r.visited > 0 && r.visited < visited);
		assert_true(r.visited >= last);
		char want[64];
		snprintf(want, sizeof want, "budget of %llu MiB", (unsigned long long)mb);
		assert_non_null(strstr(err.msg, want));
		last = r.visited;
		tl_walk_result_free(&r);
	}
	tl_memgraph_free(mg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_vs_naive),       cmocka_unit_test(test_peel_chain),
		cmocka_unit_test(test_consolidation_and_mixers), cmocka_unit_test(test_inconsistent_graph),
		cmocka_unit_test(test_backward),             cmocka_unit_test(test_time_limit),
		cmocka_unit_test(test_memory_budget),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
