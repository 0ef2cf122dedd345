#include "taint/memgraph.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct mtx {
	uint32_t height;
	int64_t time;
	int coinjoin;
	uint32_t n_in, n_out;
	size_t in0, out0; /* offsets into ins / outs (and spenders) */
};

struct ent {
	uint64_t addr_id; /* 0 = empty slot */
	struct tl_entity e;
};

struct tl_memgraph {
	struct mtx *txs;
	size_t n_tx, cap_tx;
	struct tl_gin *ins;
	size_t n_ins, cap_ins;
	struct tl_gout *outs;
	uint64_t *spender; /* parallel to outs */
	size_t n_outs, cap_outs;
	struct ent *ents; /* open addressing on addr_id */
	size_t n_ents, cap_ents;
};

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) abort();
	return q;
}

struct tl_memgraph *tl_memgraph_new(void)
{
	struct tl_memgraph *g = calloc(1, sizeof *g);
	if (!g) abort();
	return g;
}

void tl_memgraph_free(struct tl_memgraph *g)
{
	if (!g) return;
	free(g->txs);
	free(g->ins);
	free(g->outs);
	free(g->spender);
	free(g->ents);
	free(g);
}

uint64_t tl_memgraph_count(const struct tl_memgraph *g)
{
	return g->n_tx;
}

int tl_memgraph_add_tx(struct tl_memgraph *g, uint32_t height, int64_t time, int coinjoin,
                       const struct tl_gin *in, uint32_t n_in, const struct tl_gout *out,
                       uint32_t n_out, uint64_t *tx_num, struct tl_err *err)
{
	uint64_t V = 0, O = 0;
	for (uint32_t i = 0; i < n_in; i++) {
		if (in[i].prev_tx >= g->n_tx)
			return tl_err_set(err, "input %u spends unknown tx %" PRIu64, i, in[i].prev_tx);
		const struct mtx *p = &g->txs[in[i].prev_tx];
		if (in[i].vout >= p->n_out)
			return tl_err_set(err, "input %u spends %" PRIu64 ":%u, which does not exist", i,
			                  in[i].prev_tx, in[i].vout);
		if (g->spender[p->out0 + in[i].vout] != TL_GRAPH_UNSPENT)
			return tl_err_set(err, "input %u spends %" PRIu64 ":%u, already spent", i,
			                  in[i].prev_tx, in[i].vout);
		for (uint32_t k = 0; k < i; k++)
			if (in[k].prev_tx == in[i].prev_tx && in[k].vout == in[i].vout)
				return tl_err_set(err, "inputs %u and %u spend the same output", k, i);
		if (__builtin_add_overflow(V, g->outs[p->out0 + in[i].vout].value, &V))
			return tl_err_set(err, "input values overflow");
	}
	for (uint32_t j = 0; j < n_out; j++)
		if (__builtin_add_overflow(O, out[j].value, &O)) return tl_err_set(err, "output values overflow");
	if (n_in && O > V)
		return tl_err_set(err, "outputs %" PRIu64 " exceed inputs %" PRIu64, O, V);

	if (g->n_tx == g->cap_tx) {
		g->cap_tx = g->cap_tx ? g->cap_tx * 2 : 1024;
		g->txs = xrealloc(g->txs, g->cap_tx * sizeof *g->txs);
	}
	if (g->n_ins + n_in > g->cap_ins) {
		while (g->n_ins + n_in > g->cap_ins) g->cap_ins = g->cap_ins ? g->cap_ins * 2 : 4096;
		g->ins = xrealloc(g->ins, g->cap_ins * sizeof *g->ins);
	}
	if (g->n_outs + n_out > g->cap_outs) {
		while (g->n_outs + n_out > g->cap_outs) g->cap_outs = g->cap_outs ? g->cap_outs * 2 : 4096;
		g->outs = xrealloc(g->outs, g->cap_outs * sizeof *g->outs);
		g->spender = xrealloc(g->spender, g->cap_outs * sizeof *g->spender);
	}
	uint64_t num = g->n_tx;
	struct mtx *t = &g->txs[g->n_tx++];
	t->height = height;
	t->time = time;
	t->coinjoin = coinjoin ? 1 : 0;
	t->n_in = n_in;
	t->n_out = n_out;
	t->in0 = g->n_ins;
	t->out0 = g->n_outs;
	for (uint32_t i = 0; i < n_in; i++) {
		const struct mtx *p = &g->txs[in[i].prev_tx];
		struct tl_gin *gi = &g->ins[g->n_ins++];
		gi->prev_tx = in[i].prev_tx;
		gi->vout = in[i].vout;
		gi->value = g->outs[p->out0 + in[i].vout].value;
		g->spender[p->out0 + in[i].vout] = num;
	}
	for (uint32_t j = 0; j < n_out; j++) {
		g->outs[g->n_outs] = out[j];
		g->spender[g->n_outs++] = TL_GRAPH_UNSPENT;
	}
	if (tx_num) *tx_num = num;
	return 0;
}

static size_t ent_pos(const struct tl_memgraph *g, uint64_t addr)
{
	size_t i = (size_t)(addr * 0x9e3779b97f4a7c15ULL >> 20) & (g->cap_ents - 1);
	while (g->ents[i].addr_id && g->ents[i].addr_id != addr) i = (i + 1) & (g->cap_ents - 1);
	return i;
}

int tl_memgraph_set_entity(struct tl_memgraph *g, uint64_t addr_id, uint32_t cats,
                           uint64_t cluster_id, const char *label, struct tl_err *err)
{
	if (!addr_id) return tl_err_set(err, "address id 0 means no address and cannot be tagged");
	if ((g->n_ents + 1) * 2 > g->cap_ents) {
		struct ent *old = g->ents;
		size_t oc = g->cap_ents;
		g->cap_ents = oc ? oc * 2 : 64;
		g->ents = calloc(g->cap_ents, sizeof *g->ents);
		if (!g->ents) abort();
		for (size_t i = 0; i < oc; i++)
			if (old[i].addr_id) g->ents[ent_pos(g, old[i].addr_id)] = old[i];
		free(old);
	}
	size_t i = ent_pos(g, addr_id);
	if (!g->ents[i].addr_id) g->n_ents++;
	struct ent *e = &g->ents[i];
	memset(e, 0, sizeof *e);
	e->addr_id = addr_id;
	e->e.cats = cats;
	e->e.cluster_id = cluster_id;
	if (label) {
		strncpy(e->e.label, label, sizeof e->e.label - 1);
		e->e.label[sizeof e->e.label - 1] = 0;
	}
	return 0;
}

static int cb_get_tx(void *ctx, uint64_t tx_num, struct tl_gtx *out, struct tl_err *err)
{
	(void)err;
	struct tl_memgraph *g = ctx;
	if (tx_num >= g->n_tx) return 1;
	const struct mtx *t = &g->txs[tx_num];
	out->tx_num = tx_num;
	out->height = t->height;
	out->time = t->time;
	out->coinbase = t->n_in == 0;
	out->coinjoin = t->coinjoin;
	out->n_in = t->n_in;
	out->n_out = t->n_out;
	out->in = g->ins + t->in0;
	out->out = g->outs + t->out0;
	return 0;
}

static int cb_get_spender(void *ctx, uint64_t tx_num, uint32_t vout, uint64_t *spender,
                          struct tl_err *err)
{
	(void)err;
	struct tl_memgraph *g = ctx;
	if (tx_num >= g->n_tx || vout >= g->txs[tx_num].n_out) return 1;
	*spender = g->spender[g->txs[tx_num].out0 + vout];
	return 0;
}

static int cb_get_entity(void *ctx, uint64_t addr_id, struct tl_entity *out, struct tl_err *err)
{
	(void)err;
	struct tl_memgraph *g = ctx;
	memset(out, 0, sizeof *out);
	if (!g->cap_ents) return 0;
	size_t i = ent_pos(g, addr_id);
	if (g->ents[i].addr_id) *out = g->ents[i].e;
	return 0;
}

void tl_memgraph_graph(struct tl_memgraph *g, struct tl_graph *out)
{
	out->ctx = g;
	out->get_tx = cb_get_tx;
	out->get_spender = cb_get_spender;
	out->get_entity = cb_get_entity;
}
