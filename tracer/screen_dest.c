/* Destination of funds: where the coins an address received went next;
 * see screen.h (tl_screen_destination). */
#include "tracer/screen.h"

#include <stdlib.h>
#include <string.h>

#include "store/tags.h"
#include "tracer/category.h"
#include "tracer/entities.h"
#include "taint/graph.h"
#include "tracer/screen_int.h"
#include "tracer/storegraph.h"
#include "taint/txheap.h"

#define DEST_MAX_TX 100000
#define DEST_MIN_SAT 1000

/* One destination: a screened category reached at a cluster. */
struct dest {
	size_t cat;
	uint64_t cluster, amount;
	uint32_t hops;
};

struct dwalk {
	struct tl_store *s;
	struct tl_graph g;
	struct omap outs;  /* tainted outputs: amount, hops */
	struct omap owner; /* addr_id -> screened tag bits (amount) and cluster (origin), cached */
	struct tl_txheap h;
	uint32_t max_hops;
	uint64_t own_cluster; /* the subject's: its own change is followed, not a destination */
	uint64_t visited;
	struct dest *d;
	size_t nd, capd;
	struct tl_err *err;
};

/* The screened tag bits of addr_id's cluster (0 none) and the cluster. */
static int owner_of(struct dwalk *w, uint64_t addr_id, uint32_t *bits, uint64_t *cluster)
{
	struct oent *e = omap_find(&w->owner, addr_id, 0);
	if (!e) {
		uint64_t cid = 0;
		struct tl_cluster_summary sum;
		int r = 0;
		if (tl_cluster_of(w->s, addr_id, &cid, w->err) || (r = tl_cluster_summary(w->s, cid, &sum, w->err)) < 0)
			return -1;
		uint32_t b = 0;
		for (size_t i = 0; r == 1 && i < tl_categories_n; i++)
			if (tl_categories[i].screened) b |= sum.cats & tl_categories[i].tagbit;
		if (!(e = omap_put(&w->owner, addr_id, 0))) return tl_err_set(w->err, "out of memory");
		e->amount = b;
		e->origin = cid;
	}
	*bits = (uint32_t)e->amount;
	*cluster = e->origin;
	return 0;
}

static int add_dest(struct dwalk *w, size_t cat, uint64_t cluster, uint64_t amount, uint32_t hops)
{
	for (size_t i = 0; i < w->nd; i++)
		if (w->d[i].cat == cat && w->d[i].cluster == cluster) {
			w->d[i].amount += amount;
			if (hops < w->d[i].hops) w->d[i].hops = hops;
			return 0;
		}
	if (w->nd == w->capd) {
		size_t nc = w->capd ? 2 * w->capd : 16;
		struct dest *nv = realloc(w->d, nc * sizeof *nv);
		if (!nv) return tl_err_set(w->err, "out of memory");
		w->d = nv;
		w->capd = nc;
	}
	w->d[w->nd++] = (struct dest){ cat, cluster, amount, hops };
	return 0;
}

/* A tainted output (already in outs at hops): a destination, an endpoint
 * or followed to its spender. */
static int place(struct dwalk *w, uint64_t tx, uint32_t vout, uint64_t addr_id, uint64_t amount, uint32_t hops)
{
	if (addr_id && hops > 0) {
		uint32_t bits = 0;
		uint64_t cluster = 0;
		if (owner_of(w, addr_id, &bits, &cluster)) return -1;
		if (bits && cluster != w->own_cluster) {
			for (size_t i = 0; i < tl_categories_n; i++)
				if (bits & tl_categories[i].tagbit && add_dest(w, i, cluster, amount, hops)) return -1;
			return 0; /* reached: not followed through the entity */
		}
		struct tl_entity ent;
		if (w->g.get_entity(w->g.ctx, addr_id, &ent, w->err)) return -1;
		if (ent.cats & (TL_CAT_EXCHANGE | TL_CAT_BRIDGE | TL_CAT_SERVICE)) return 0;
	}
	if (hops >= w->max_hops) return 0;
	uint64_t sp;
	if (w->g.get_spender(w->g.ctx, tx, vout, &sp, w->err)) return -1;
	if (sp != TL_GRAPH_UNSPENT && tl_txheap_push(&w->h, sp)) return tl_err_set(w->err, "out of memory");
	return 0;
}

static int step(struct dwalk *w, uint64_t x)
{
	struct tl_gtx tx;
	int rc = w->g.get_tx(w->g.ctx, x, &tx, w->err);
	if (rc) return rc < 0 ? -1 : tl_err_set(w->err, "spender tx_num %llu missing", (unsigned long long)x);
	if (++w->visited > DEST_MAX_TX)
		return tl_err_setc(w->err, TL_E_TOO_LARGE, "destination walk over %d transactions: lower max_hops", DEST_MAX_TX);
	unsigned __int128 T = 0, V = 0;
	uint32_t maxhop = 0;
	for (uint32_t i = 0; i < tx.n_in; i++) {
		V += tx.in[i].value;
		if (tx.in[i].prev_tx == TL_GRAPH_NO_PREV) continue;
		struct oent *e = omap_find(&w->outs, tx.in[i].prev_tx, tx.in[i].vout);
		if (!e) continue;
		T += e->amount;
		if (e->hops > maxhop) maxhop = e->hops;
	}
	if (!T || !V) return 0;
	uint32_t n = tx.n_out;
	struct tl_gout *outs = malloc((n ? n : 1) * sizeof *outs);
	if (!outs) return tl_err_set(w->err, "out of memory");
	memcpy(outs, tx.out, n * sizeof *outs);
	int ret = 0;
	for (uint32_t j = 0; j < n && !ret; j++) {
		uint64_t t = (uint64_t)((unsigned __int128)outs[j].value * T / V);
		if (t < DEST_MIN_SAT || omap_find(&w->outs, x, j)) continue; /* dust, or a seed paid again */
		struct oent *e = omap_put(&w->outs, x, j);
		if (!e) { ret = tl_err_set(w->err, "out of memory"); break; }
		e->amount = t;
		e->hops = maxhop + 1;
		ret = place(w, x, j, outs[j].addr_id, t, maxhop + 1);
	}
	free(outs);
	return ret;
}

/* Seeds: every output paid to addr_id. */
static int seeds(struct dwalk *w, uint64_t addr_id)
{
	struct tl_hist_row rows[256];
	uint64_t before = UINT64_MAX;
	for (;;) {
		int n = tl_store_hist_page(w->s, addr_id, before, rows, 256, w->err);
		if (n < 0) return -1;
		for (int k = 0; k < n; k++) {
			if (!rows[k].n_received) continue;
			struct tl_tx_rec tx;
			int g = tl_store_tx(w->s, rows[k].tx_num, &tx, w->err);
			if (g <= 0) return g < 0 ? -1 : tl_err_set(w->err, "history names a missing transaction");
			int bad = 0;
			for (uint32_t j = 0; j < tx.n_out && !bad; j++) {
				if (tx.out[j].addr_id != addr_id) continue;
				struct oent *e = omap_put(&w->outs, tx.tx_num, j);
				if (!e) bad = tl_err_set(w->err, "out of memory");
				else {
					e->amount = tx.out[j].value;
					e->hops = 0;
					bad = place(w, tx.tx_num, j, addr_id, e->amount, 0);
				}
			}
			tl_tx_rec_free(&tx);
			if (bad) return -1;
		}
		if (n < 256) return 0;
		before = rows[n - 1].tx_num;
	}
}

json_t *tl_screen_destination(struct tl_screen *sc, const char *address, uint32_t max_hops, struct tl_err *err)
{
	json_t *v = tl_screen_address(sc, address, err);
	if (!v) return NULL;
	struct tl_store *s = NULL;
	uint64_t addr_id = 0;
	/* the context's store, through the address lookup it just did */
	s = tl_screen_store(sc);
	int r = tl_store_addr_id_of_string(s, address, &addr_id, err);
	if (r < 0) {
		json_decref(v);
		return NULL;
	}
	struct dwalk w = { .s = s, .max_hops = max_hops ? max_hops : TL_SCREEN_CAT_HOPS, .err = err };
	struct tl_storegraph *sg = NULL;
	json_t *out = NULL;
	if (tl_storegraph_new(s, &sg, err)) goto done;
	tl_storegraph_graph(sg, &w.g);
	if (r == 1) {
		if (tl_cluster_of(s, addr_id, &w.own_cluster, err) || seeds(&w, addr_id)) goto done;
		uint64_t last = UINT64_MAX;
		while (w.h.n) {
			uint64_t x = tl_txheap_pop(&w.h);
			if (x == last) continue;
			last = x;
			if (step(&w, x)) goto done;
		}
	}
	{
		const struct tl_screen_rules *R = tl_screen_rules_of(sc);
		uint64_t received = (uint64_t)json_integer_value(json_object_get(json_object_get(v, "subject"), "received_sat"));
		json_t *da = json_array(), *reasons = json_object_get(v, "reasons");
		static const char *const order[] = { "none", "low", "medium", "high", "severe" };
		int risk = 0;
		for (int k = 0; k < 5; k++)
			if (!strcmp(json_string_value(json_object_get(v, "risk")), order[k])) risk = k;
		double score = json_real_value(json_object_get(v, "score"));
		char buf[320];
		for (size_t i = 0; i < w.nd; i++) {
			const struct dest *d = &w.d[i];
			double share = received ? (double)d->amount / (double)received : 0;
			if (share > 1) share = 1;
			double sc_;
			int lv = tl_screen_rules_apply(R, d->cat, 0, share, d->hops, d->amount, &sc_);
			json_t *ent = tl_screen_entity(sc, d->cluster, tl_categories[d->cat].tagbit, err);
			if (!ent) {
				json_decref(da);
				goto done;
			}
			if (json_is_null(ent)) continue; /* its tag lies above the caller's clearance */
			snprintf(buf, sizeof buf, "%s: %llu sat went to %s entity '%s' (%.1f%%) %u hop%s away",
			         tl_screen_risk_name(lv), (unsigned long long)d->amount, tl_categories[d->cat].name,
			         json_string_value(json_object_get(ent, "label")), share * 100, d->hops,
			         d->hops == 1 ? "" : "s");
			if (lv) json_array_append_new(reasons, json_string(buf));
			json_array_append_new(da, json_pack("{s:s,s:s,s:I,s:f,s:i,s:s,s:f,s:o}", "category",
			                                    tl_categories[d->cat].name, "direction", "destination",
			                                    "amount_sat", (json_int_t)d->amount, "share", share, "hops",
			                                    (int)d->hops, "level", tl_screen_risk_name(lv), "score", sc_,
			                                    "entity", ent));
			if (lv > risk) risk = lv;
			if (sc_ > score) score = sc_;
		}
		json_object_set_new(v, "risk", json_string(order[risk]));
		json_object_set_new(v, "score", json_real(score));
		json_object_set_new(v, "destination_of_funds", da);
		json_object_set_new(v, "destination_walk", json_pack("{s:i,s:I,s:I}", "max_hops", (int)w.max_hops,
		                                                     "min_sat", (json_int_t)DEST_MIN_SAT, "transactions",
		                                                     (json_int_t)w.visited));
		out = v;
		v = NULL;
	}
done:
	json_decref(v);
	tl_storegraph_free(sg);
	free(w.outs.v);
	free(w.owner.v);
	free(w.d);
	tl_txheap_free(&w.h);
	return out;
}
