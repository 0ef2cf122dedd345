/* Screening index and lookups; see screen.h. */
#include "tracer/screen.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bitcoin/hash.h"
#include "store/tags.h"
#include "tracer/category.h"
#include "tracer/entities.h"
#include "taint/graph.h"
#include "tracer/storegraph.h"
#include "tracer/tag_clearance.h"
#include "tracer/trace.h"
#include "taint/txheap.h"
#include "taint/walk.h"

#include "tracer/screen_int.h"
#include "tracer/screen_xchain.h"

/* ---- varint values ---- */

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static int get_varints(const uint8_t *p, size_t len, uint64_t *out, int n)
{
	size_t pos = 0;
	for (int i = 0; i < n; i++)
		if (tl_get_varint(p, len, &pos, &out[i])) return -1;
	return 0;
}

/* ---- params and state ---- */

void tl_screen_params_default(struct tl_screen_params *p)
{
	p->min_sat = 1000;
	p->stop_cats = TL_CAT_EXCHANGE | TL_CAT_BRIDGE | TL_CAT_SERVICE;
	p->max_hops = TL_SCREEN_CAT_HOPS;
}

struct hstate {
	uint32_t num;
	int32_t height;
	uint8_t hash[32];
	uint64_t next_tx_num;
	struct tl_screen_params p;
	/* "" = materialized; else why the seeds did not resolve at this tip
	 * (then the heist has no taint records) */
	char unresolved[512];
	/* hash of the heist's definition it was materialized from: a
	 * re-import that changes the seeds makes the next update rebuild */
	char def[17];
	/* category sources: signature of the tagged clusters walked from
	 * (their ids and sizes), stored >> 1; 0 for heists */
	uint64_t tagsig;
	/* heists that crossed in from another chain (tracer/screen_xchain.h):
	 * signature of the bridge seeds it was materialized with; 0 none */
	uint64_t xsig;
};

static void def_hash(const char *json, char out[17])
{
	uint64_t x = 1469598103934665603ull;
	for (const char *p = json ? json : ""; *p; p++) x = (x ^ (uint8_t)*p) * 1099511628211ull;
	snprintf(out, 17, "%016llx", (unsigned long long)x);
}

/* Category sources have ids "cat:NAME" (heist ids cannot hold ':'). */
static int is_cat_id(const char *id) { return !strncmp(id, "cat:", 4); }

static void state_name(const char *id, char *buf, size_t cap)
{
	if (is_cat_id(id)) snprintf(buf, cap, "screen.cat.%s", id + 4);
	else snprintf(buf, cap, "screen.heist.%s", id);
}

/* 1 found, 0 none, -1 error */
static int state_get(struct tl_store *s, const char *id, struct hstate *st, struct tl_err *err)
{
	char name[128], *val = NULL;
	state_name(id, name, sizeof name);
	int r = tl_store_get_meta(s, name, &val, err);
	if (r <= 0) return r;
	json_error_t je;
	json_t *j = json_loads(val, 0, &je);
	free(val);
	const char *hh = json_string_value(json_object_get(j, "hash"));
	if (!j || !hh || tl_hash_from_hex(hh, st->hash)) {
		json_decref(j);
		return tl_err_set(err, "corrupt screening state for heist '%s'", id);
	}
	st->num = (uint32_t)json_integer_value(json_object_get(j, "num"));
	st->height = (int32_t)json_integer_value(json_object_get(j, "height"));
	st->next_tx_num = (uint64_t)json_integer_value(json_object_get(j, "next_tx_num"));
	st->p.min_sat = (uint64_t)json_integer_value(json_object_get(j, "min_sat"));
	st->p.stop_cats = (uint32_t)json_integer_value(json_object_get(j, "stop_cats"));
	st->p.max_hops = (uint32_t)json_integer_value(json_object_get(j, "max_hops"));
	st->tagsig = (uint64_t)json_integer_value(json_object_get(j, "tagsig"));
	const char *xs = json_string_value(json_object_get(j, "xsig"));
	st->xsig = xs ? strtoull(xs, NULL, 16) : 0;
	const char *df = json_string_value(json_object_get(j, "def"));
	snprintf(st->def, sizeof st->def, "%s", df ? df : "");
	const char *un = json_string_value(json_object_get(j, "unresolved"));
	snprintf(st->unresolved, sizeof st->unresolved, "%s", un ? un : "");
	json_decref(j);
	return 1;
}

static void state_put(struct tl_batch *b, const char *id, const struct hstate *st)
{
	char name[128], hh[65];
	state_name(id, name, sizeof name);
	tl_hash_to_hex(st->hash, hh);
	json_t *j = json_pack("{s:I,s:i,s:s,s:I,s:I,s:I}", "num", (json_int_t)st->num, "height", (int)st->height,
	                      "hash", hh, "next_tx_num", (json_int_t)st->next_tx_num, "min_sat",
	                      (json_int_t)st->p.min_sat, "stop_cats", (json_int_t)st->p.stop_cats);
	if (st->def[0]) json_object_set_new(j, "def", json_string(st->def));
	if (st->p.max_hops) json_object_set_new(j, "max_hops", json_integer((json_int_t)st->p.max_hops));
	/* json integers are signed: keep the signature below 2^63 */
	if (st->tagsig) json_object_set_new(j, "tagsig", json_integer((json_int_t)(st->tagsig >> 1)));
	if (st->unresolved[0]) json_object_set_new(j, "unresolved", json_string(st->unresolved));
	if (st->xsig) {
		char xs[17];
		snprintf(xs, sizeof xs, "%016llx", (unsigned long long)st->xsig);
		json_object_set_new(j, "xsig", json_string(xs));
	}
	char *txt = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	tl_batch_put_meta(b, name, txt);
	free(txt);
	json_decref(j);
}

/* ---- the screening walk ---- */

struct agg {
	uint64_t addr_id; /* 0 = empty */
	uint64_t amount, n;
	uint32_t hops;
	uint64_t origin, best; /* the origin of its largest tainted output, and that amount */
};

struct run {
	struct tl_store *s;
	struct tl_storegraph *sg;
	struct tl_graph g;
	struct hstate st;
	uint64_t limit; /* tx_nums >= limit are past the tip of this run */
	struct omap m;
	struct tl_txheap h;
	struct agg *ag;
	size_t ag_cap, ag_n;
	uint64_t visited, written;
	int cat; /* a category source: records carry the origin entity */
	struct tl_err *err;
};

static int agg_add(struct run *r, uint64_t addr_id, uint64_t amount, uint32_t hops, uint64_t origin)
{
	if (!addr_id) return 0;
	if ((r->ag_n + 1) * 2 > r->ag_cap) {
		size_t nc = r->ag_cap ? r->ag_cap * 2 : 256;
		struct agg *nv = calloc(nc, sizeof *nv);
		if (!nv) return tl_err_set(r->err, "out of memory");
		for (size_t i = 0; i < r->ag_cap; i++)
			if (r->ag[i].addr_id) {
				size_t j = (size_t)(r->ag[i].addr_id * 0x9E3779B97F4A7C15ull >> 13) & (nc - 1);
				while (nv[j].addr_id) j = (j + 1) & (nc - 1);
				nv[j] = r->ag[i];
			}
		free(r->ag);
		r->ag = nv;
		r->ag_cap = nc;
	}
	size_t j = (size_t)(addr_id * 0x9E3779B97F4A7C15ull >> 13) & (r->ag_cap - 1);
	while (r->ag[j].addr_id && r->ag[j].addr_id != addr_id) j = (j + 1) & (r->ag_cap - 1);
	struct agg *a = &r->ag[j];
	if (!a->addr_id) {
		a->addr_id = addr_id;
		a->hops = UINT32_MAX;
		r->ag_n++;
	}
	a->amount += amount;
	a->n++;
	if (hops < a->hops) a->hops = hops;
	if (amount > a->best || (amount == a->best && origin < a->origin)) {
		a->best = amount;
		a->origin = origin;
	}
	return 0;
}

/* A tainted output has been recorded in the map: decide its fate. */
static int classify(struct run *r, struct oent *e)
{
	e->mark |= M_WRITE;
	if (e->addr_id) {
		struct tl_entity ent;
		if (r->g.get_entity(r->g.ctx, e->addr_id, &ent, r->err)) return -1;
		if (ent.cats & r->st.p.stop_cats) {
			e->flags |= F_ENDPOINT;
			return 0;
		}
	}
	/* the hop limit: recorded, not followed (and not a frontier: an
	 * update would not follow it either) */
	if (r->st.p.max_hops && e->hops >= r->st.p.max_hops && !(e->flags & F_SEED)) return 0;
	uint64_t sp;
	if (r->g.get_spender(r->g.ctx, e->tx, e->vout, &sp, r->err)) return -1;
	if (sp == TL_GRAPH_UNSPENT || sp >= r->limit) {
		e->mark |= M_FRONTIER_NOW;
		return 0;
	}
	if (tl_txheap_push(&r->h, sp)) return tl_err_set(r->err, "out of memory");
	return 0;
}

static int process_tx(struct run *r, uint64_t x)
{
	struct tl_gtx tx;
	int rc = r->g.get_tx(r->g.ctx, x, &tx, r->err);
	if (rc) return rc < 0 ? -1 : tl_err_set(r->err, "spender tx_num %llu missing", (unsigned long long)x);
	r->visited++;
	unsigned __int128 T = 0, V = 0;
	uint32_t maxhop = 0;
	uint64_t origin = 0, obest = 0;
	int any = 0;
	for (uint32_t i = 0; i < tx.n_in; i++) {
		V += tx.in[i].value;
		if (tx.in[i].prev_tx == TL_GRAPH_NO_PREV) continue;
		struct oent *e = omap_find(&r->m, tx.in[i].prev_tx, tx.in[i].vout);
		if (!e || (e->flags & F_ENDPOINT)) continue;
		/* at the hop limit: recorded, not followed, even when the
		 * transaction is walked for another input */
		if (r->st.p.max_hops && e->hops >= r->st.p.max_hops && !(e->flags & F_SEED)) continue;
		T += e->amount;
		/* heists count the longest path (as traces do); category
		 * sources the shortest, what "within N hops" means */
		if (!any || (r->cat ? e->hops < maxhop : e->hops > maxhop)) maxhop = e->hops;
		if (e->amount > obest || (e->amount == obest && e->origin < origin)) {
			obest = e->amount;
			origin = e->origin;
		}
		e->mark &= ~M_FRONTIER_NOW;
		any = 1;
	}
	if (!any || !T || !V) return 0;
	/* copy outputs: get_entity/get_spender do not touch get_tx's buffers,
	 * but keep it simple and safe */
	uint32_t n = tx.n_out;
	struct tl_gout *outs = malloc((n ? n : 1) * sizeof *outs);
	if (!outs) return tl_err_set(r->err, "out of memory");
	memcpy(outs, tx.out, n * sizeof *outs);
	int ret = 0;
	for (uint32_t j = 0; j < n && !ret; j++) {
		uint64_t t = (uint64_t)((unsigned __int128)outs[j].value * T / V);
		struct oent *e = omap_find(&r->m, x, j);
		if (e && (e->flags & F_SEED)) {
			/* a seed reached again: keep the larger amount, hop 0 */
			if (t > e->amount) e->amount = t;
			continue;
		}
		if (!t || t < r->st.p.min_sat) continue;
		e = omap_put(&r->m, x, j);
		if (!e) { ret = tl_err_set(r->err, "out of memory"); break; }
		e->amount = t;
		e->hops = maxhop + 1;
		e->addr_id = outs[j].addr_id;
		e->origin = origin;
		ret = classify(r, e);
	}
	free(outs);
	return ret;
}

static int run_walk(struct run *r)
{
	uint64_t last = UINT64_MAX;
	while (r->h.n) {
		uint64_t x = tl_txheap_pop(&r->h);
		if (x == last) continue;
		last = x;
		if (process_tx(r, x)) return -1;
	}
	return 0;
}

static void run_free(struct run *r)
{
	free(r->m.v);
	tl_txheap_free(&r->h);
	free(r->ag);
	tl_storegraph_free(r->sg);
}

/* Writes the run's results. full: old aggregate values are not merged. */
static int run_write(struct run *r, const char *id, int full, struct tl_batch *b)
{
	uint8_t key[16], val[80];
	for (size_t i = 0; i < r->m.cap; i++) {
		struct oent *e = &r->m.v[i];
		if (e->tx == UINT64_MAX) continue;
		if (e->mark & M_WRITE) {
			size_t n = put_varint(val, e->amount);
			n += put_varint(val + n, e->hops);
			n += put_varint(val + n, e->flags);
			n += put_varint(val + n, e->addr_id);
			if (r->cat) n += put_varint(val + n, e->origin);
			tl_taint_key(r->st.num, e->tx, e->vout, key);
			tl_batch_put_kv(b, TL_CF_TAINT, key, 16, val, n);
			if (agg_add(r, e->addr_id, e->amount, e->hops, e->origin)) return -1;
			r->written++;
		}
		tl_taint_key(r->st.num | TL_SCREEN_FRONTIER_BIT, e->tx, e->vout, key);
		int now = !!(e->mark & M_FRONTIER_NOW), was = !!(e->mark & M_FRONTIER_DB);
		if (now && !was) tl_batch_put_kv(b, TL_CF_TAINT, key, 16, "", 0);
		if (!now && was) tl_batch_del(b, TL_CF_TAINT, key, 16);
	}
	for (size_t i = 0; i < r->ag_cap; i++) {
		struct agg *a = &r->ag[i];
		if (!a->addr_id) continue;
		uint64_t amount = a->amount, hops = a->hops, cnt = a->n, origin = a->origin, best = a->best;
		tl_taint_key(TL_SCREEN_AGG_ID, a->addr_id, r->st.num, key);
		if (!full) {
			uint8_t *v = NULL;
			size_t vl = 0;
			int g = tl_store_get_kv(r->s, TL_CF_TAINT, key, 16, &v, &vl, r->err);
			if (g < 0) return -1;
			if (g == 1) {
				uint64_t old[5];
				if (get_varints(v, vl, old, r->cat ? 5 : 3)) {
					free(v);
					return tl_err_set(r->err, "corrupt taint aggregate");
				}
				amount += old[0];
				if (old[1] < hops) hops = old[1];
				cnt += old[2];
				if (r->cat && (old[4] > best || (old[4] == best && old[3] < origin))) {
					best = old[4];
					origin = old[3];
				}
			}
			free(v);
		}
		size_t n = put_varint(val, amount);
		n += put_varint(val + n, hops);
		n += put_varint(val + n, cnt);
		if (r->cat) {
			n += put_varint(val + n, origin);
			n += put_varint(val + n, best);
		}
		tl_batch_put_kv(b, TL_CF_TAINT, key, 16, val, n);
	}
	state_put(b, id, &r->st);
	return 0;
}

static int prefix_delete(struct tl_store *s, struct tl_batch *b, uint32_t num, int collect_addr, uint32_t heist_num,
                         struct tl_err *err)
{
	uint8_t k0[16];
	tl_taint_key(num, 0, 0, k0);
	struct tl_iter *it = tl_iter_new(s, TL_CF_TAINT);
	if (!it) return tl_err_set(err, "cannot iterate the taint family");
	for (tl_iter_seek(it, k0, 4); tl_iter_valid(it); tl_iter_next(it)) {
		size_t kl, vl;
		const uint8_t *k = tl_iter_key(it, &kl);
		if (kl != 16 || memcmp(k, k0, 4)) break;
		tl_batch_del(b, TL_CF_TAINT, k, kl);
		if (collect_addr) {
			const uint8_t *v = tl_iter_value(it, &vl);
			uint64_t f[4];
			if (!get_varints(v, vl, f, 4) && f[3]) {
				uint8_t ak[16];
				tl_taint_key(TL_SCREEN_AGG_ID, f[3], heist_num, ak);
				tl_batch_del(b, TL_CF_TAINT, ak, 16);
			}
		}
	}
	tl_iter_free(it);
	return 0;
}

static int run_begin(struct run *r, struct tl_store *s, struct tl_err *err)
{
	memset(r, 0, sizeof *r);
	r->s = s;
	r->err = err;
	if (tl_storegraph_new(s, &r->sg, err)) return -1;
	tl_storegraph_graph(r->sg, &r->g);
	struct tl_tip tip;
	if (tl_store_tip(s, &tip, err)) return -1;
	r->limit = tip.next_tx_num;
	r->st.height = tip.height;
	memcpy(r->st.hash, tip.hash, 32);
	r->st.next_tx_num = tip.next_tx_num;
	return 0;
}

static int materialize_heist(struct tl_store *s, const struct tl_heist_info *hi, const struct tl_screen_params *p,
                             uint64_t *visited, struct tl_err *err)
{
	if (hi->num >= TL_SCREEN_CAT_BASE) return tl_err_set(err, "heist number %u too large", hi->num);
	struct tl_registry *reg = NULL;
	if (tl_heist_parse(hi, &reg, err)) return -1;
	struct run r;
	struct tl_trace_seeds seeds;
	tl_trace_seeds_init(&seeds);
	struct tl_batch *b = NULL;
	struct tl_xscreen_seed *xs = NULL;
	size_t nxs = 0;
	int ret = -1;
	if (run_begin(&r, s, err)) goto out;
	r.st.num = hi->num;
	def_hash(hi->json, r.st.def);
	if (p) r.st.p = *p;
	else tl_screen_params_default(&r.st.p);
	r.st.p.max_hops = 0; /* heists are followed to the tip */
	if (!reg->n) goto out;
	/* what crossed in from another chain: partial seeds of outbound payouts */
	int xr = tl_xscreen_btc_seeds(s, hi->id, &xs, &nxs, &r.st.xsig, err);
	if (xr < 0) goto out;
	if (!hi->traceable && xr == 0) {
		tl_err_set(err, "not traceable on this database's network");
		goto out;
	}
	if (hi->traceable && tl_trace_seeds_add_heist(r.sg, &reg->heists[0], &seeds, err)) {
		/* Seeds not in the index (not mined yet, or rolled back by a
		 * reorg): the heist has no taint at this tip and its state says
		 * why, as a fresh import at this tip would leave it. */
		snprintf(r.st.unresolved, sizeof r.st.unresolved, "%s", err->msg);
		b = tl_batch_new(s);
		if (prefix_delete(s, b, hi->num, 1, hi->num, err) ||
		    prefix_delete(s, b, hi->num | TL_SCREEN_FRONTIER_BIT, 0, 0, err))
			goto out;
		state_put(b, hi->id, &r.st);
		if (tl_store_write(s, b, err)) goto out;
		tl_err_set(err, "%s", r.st.unresolved);
		ret = 1;
		goto out;
	}
	/* seed outputs */
	for (size_t i = 0; i < seeds.n; i++) {
		struct tl_gtx tx;
		int rc = r.g.get_tx(r.g.ctx, seeds.v[i].tx_num, &tx, err);
		if (rc) { if (rc > 0) tl_err_set(err, "seed transaction missing"); goto out; }
		uint32_t lo = seeds.v[i].vout == TL_SEED_WHOLE_TX ? 0 : seeds.v[i].vout;
		uint32_t hi2 = seeds.v[i].vout == TL_SEED_WHOLE_TX ? tx.n_out : seeds.v[i].vout + 1;
		for (uint32_t j = lo; j < hi2 && j < tx.n_out; j++) {
			if (omap_find(&r.m, tx.tx_num, j)) continue;
			struct oent *e = omap_put(&r.m, tx.tx_num, j);
			if (!e) { tl_err_set(err, "out of memory"); goto out; }
			e->amount = tx.out[j].value;
			e->addr_id = tx.out[j].addr_id;
			e->hops = 0;
			e->flags = F_SEED;
		}
	}
	for (size_t i = 0; i < nxs; i++) {
		struct tl_gtx tx;
		int rc = r.g.get_tx(r.g.ctx, xs[i].tx_num, &tx, err);
		if (rc) { if (rc > 0) tl_err_set(err, "outbound transaction missing"); goto out; }
		if (xs[i].vout >= tx.n_out) continue;
		struct oent *e = omap_find(&r.m, tx.tx_num, xs[i].vout);
		uint64_t have = e ? e->amount : 0;
		if (!e && !(e = omap_put(&r.m, tx.tx_num, xs[i].vout))) { tl_err_set(err, "out of memory"); goto out; }
		uint64_t v = tx.out[xs[i].vout].value;
		e->amount = have + xs[i].amount > v || have + xs[i].amount < have ? v : have + xs[i].amount;
		e->addr_id = tx.out[xs[i].vout].addr_id;
		e->hops = 0;
		e->flags = F_SEED;
	}
	for (size_t i = 0; i < r.m.cap; i++)
		if (r.m.v[i].tx != UINT64_MAX && classify(&r, &r.m.v[i])) goto out;
	if (run_walk(&r)) goto out;
	b = tl_batch_new(s);
	if (prefix_delete(s, b, hi->num, 1, hi->num, err) ||
	    prefix_delete(s, b, hi->num | TL_SCREEN_FRONTIER_BIT, 0, 0, err))
		goto out;
	if (run_write(&r, hi->id, 1, b) || tl_store_write(s, b, err)) goto out;
	if (visited) *visited += r.visited;
	ret = 0;
out:
	free(xs);
	tl_batch_free(b);
	tl_trace_seeds_free(&seeds);
	run_free(&r);
	tl_registry_free(reg);
	if (ret) tl_err_prefix(err, "screening heist '%s': ", hi->id);
	return ret;
}

/* ---- category sources ----
 * One source per screened category of tracer/category.h (sanctioned,
 * mixer, thief, ransomware, darknet, scam): its seeds are every output
 * paid to a member of a cluster tagged with the category, each carrying
 * that cluster's id as its origin; the walk is the heists' one, bounded
 * by the source's hop limit, and every record names the origin its
 * largest share came from. */

/* The members of every cluster tagged with tagbit, into set (key addr_id,
 * origin = the cluster id), and *sig, a signature of those clusters' ids
 * and sizes: when it is unchanged, so is the member set. Returns 0 or -1. */
static int tagged_members(struct tl_store *s, uint32_t tagbit, struct omap *set, uint64_t *sig, struct tl_err *err)
{
	uint8_t k0[9];
	tl_cluster_summary_key(0, k0);
	struct tl_iter *it = tl_iter_new(s, TL_CF_CLUSTER);
	if (!it) return tl_err_set(err, "cannot iterate the cluster family");
	uint64_t x = 1469598103934665603ull ^ tagbit;
	int ret = 0;
	for (tl_iter_seek(it, k0, 1); tl_iter_valid(it) && !ret; tl_iter_next(it)) {
		size_t kl, vl;
		const uint8_t *k = tl_iter_key(it, &kl), *v = tl_iter_value(it, &vl);
		if (kl != 9 || k[0] != k0[0]) break;
		struct tl_cluster_summary sum;
		if (tl_cluster_summary_decode(v, vl, &sum)) {
			ret = tl_err_set(err, "corrupt cluster summary");
			break;
		}
		if (!(sum.cats & tagbit)) continue;
		uint64_t cid = 0;
		for (int i = 1; i < 9; i++) cid = cid << 8 | k[i];
		x = (x ^ cid) * 1099511628211ull;
		x = (x ^ sum.size) * 1099511628211ull;
		uint64_t *ids = NULL;
		int n = tl_cluster_members_all(s, cid, &ids, err);
		if (n < 0) { ret = -1; break; }
		for (int i = 0; i < n; i++) {
			struct oent *e = omap_put(set, ids[i], 0);
			if (!e) { ret = tl_err_set(err, "out of memory"); break; }
			e->origin = cid;
		}
		free(ids);
	}
	tl_iter_free(it);
	if (!ret) *sig = x >> 1 ? x >> 1 : 1;
	return ret;
}

/* Adds out (tx_num x, vout j) as a seed of the run. */
static int add_seed(struct run *r, uint64_t x, uint32_t j, const struct tl_out_rec *o, uint64_t origin)
{
	struct oent *e = omap_put(&r->m, x, j);
	if (!e) return tl_err_set(r->err, "out of memory");
	e->amount = o->value;
	e->addr_id = o->addr_id;
	e->hops = 0;
	e->flags = F_SEED;
	e->origin = origin;
	return 0;
}

/* Seeds of the whole chain: every output paid to a member, through the
 * members' histories. */
static int seeds_all(struct run *r, struct omap *set)
{
	struct tl_hist_row rows[256];
	for (size_t i = 0; i < set->cap; i++) {
		struct oent *m = &set->v[i];
		if (m->tx == UINT64_MAX) continue;
		uint64_t before = UINT64_MAX;
		for (;;) {
			int n = tl_store_hist_page(r->s, m->tx, before, rows, 256, r->err);
			if (n < 0) return -1;
			for (int k = 0; k < n; k++) {
				if (!rows[k].n_received || rows[k].tx_num >= r->limit) continue;
				struct tl_tx_rec tx;
				int g = tl_store_tx(r->s, rows[k].tx_num, &tx, r->err);
				if (g <= 0) return g < 0 ? -1 : tl_err_set(r->err, "history names a missing transaction");
				int bad = 0;
				for (uint32_t j = 0; j < tx.n_out && !bad; j++)
					if (tx.out[j].addr_id == m->tx) bad = add_seed(r, tx.tx_num, j, &tx.out[j], m->origin);
				tl_tx_rec_free(&tx);
				if (bad) return -1;
			}
			if (n < 256) break;
			before = rows[n - 1].tx_num;
		}
	}
	return 0;
}

/* Seeds among the transactions [lo, r->limit): an update's new blocks,
 * through the members' histories (newest first, so each member costs one
 * seek when it received nothing new), each classified at once. */
static int seeds_new(struct run *r, struct omap *set, uint64_t lo)
{
	struct tl_hist_row rows[64];
	for (size_t i = 0; i < set->cap; i++) {
		struct oent *m = &set->v[i];
		if (m->tx == UINT64_MAX) continue;
		uint64_t before = UINT64_MAX;
		for (int more = 1; more;) {
			int n = tl_store_hist_page(r->s, m->tx, before, rows, 64, r->err);
			if (n < 0) return -1;
			more = n == 64;
			for (int k = 0; k < n; k++) {
				if (rows[k].tx_num < lo) {
					more = 0;
					break;
				}
				if (!rows[k].n_received || rows[k].tx_num >= r->limit) continue;
				struct tl_tx_rec tx;
				int g = tl_store_tx(r->s, rows[k].tx_num, &tx, r->err);
				if (g <= 0) return g < 0 ? -1 : tl_err_set(r->err, "history names a missing transaction");
				int bad = 0;
				for (uint32_t j = 0; j < tx.n_out && !bad; j++)
					if (tx.out[j].addr_id == m->tx)
						bad = add_seed(r, tx.tx_num, j, &tx.out[j], m->origin) ||
						      classify(r, omap_find(&r->m, tx.tx_num, j));
				tl_tx_rec_free(&tx);
				if (bad) return -1;
			}
			if (n) before = rows[n - 1].tx_num;
		}
	}
	return 0;
}

static uint32_t cat_num(size_t idx) { return TL_SCREEN_CAT_BASE + (uint32_t)idx; }

static int update_cats(struct tl_store *s, const struct tl_screen_params *p, int force,
                       struct tl_screen_update_stats *st, struct tl_err *err);

/* Writes the taint of category source idx from scratch. */
static int materialize_cat(struct tl_store *s, size_t idx, const struct tl_screen_params *p, uint64_t *visited,
                           struct tl_err *err)
{
	const struct tl_category *c = &tl_categories[idx];
	char id[72];
	snprintf(id, sizeof id, "cat:%s", c->name);
	struct run r;
	struct omap set = { 0 };
	struct tl_batch *b = NULL;
	int ret = -1;
	if (run_begin(&r, s, err)) goto out;
	r.cat = 1;
	r.st.num = cat_num(idx);
	if (p) r.st.p = *p;
	else tl_screen_params_default(&r.st.p);
	if (tagged_members(s, c->tagbit, &set, &r.st.tagsig, err) || seeds_all(&r, &set)) goto out;
	for (size_t i = 0; i < r.m.cap; i++)
		if (r.m.v[i].tx != UINT64_MAX && classify(&r, &r.m.v[i])) goto out;
	if (run_walk(&r)) goto out;
	b = tl_batch_new(s);
	if (prefix_delete(s, b, r.st.num, 1, r.st.num, err) ||
	    prefix_delete(s, b, r.st.num | TL_SCREEN_FRONTIER_BIT, 0, 0, err))
		goto out;
	if (run_write(&r, id, 1, b) || tl_store_write(s, b, err)) goto out;
	if (visited) *visited += r.visited;
	ret = 0;
out:
	tl_batch_free(b);
	free(set.v);
	run_free(&r);
	if (ret) tl_err_prefix(err, "screening category '%s': ", c->name);
	return ret;
}

int tl_screen_materialize(struct tl_store *s, const char *heist_id, const struct tl_screen_params *p,
                          struct tl_err *err)
{
	struct tl_heist_info hi;
	memset(&hi, 0, sizeof hi);
	int r = tl_heist_get(s, heist_id, &hi, err);
	if (r < 0) return -1;
	if (r == 0) return tl_err_set(err, "unknown heist '%s' (not imported)", heist_id);
	size_t nx;
	uint64_t xsig;
	int xr = hi.traceable ? 1 : tl_xscreen_btc_seeds(s, heist_id, NULL, &nx, &xsig, err);
	if (xr <= 0) {
		free(hi.json);
		return xr < 0 ? -1 : tl_err_set(err, "heist '%s' is not traceable on this database's network", heist_id);
	}
	r = materialize_heist(s, &hi, p, NULL, err);
	free(hi.json);
	return r ? -1 : 0;
}

/* Continues a source from its frontier; set: a category source's
 * members (their outputs in the new blocks are new seeds), else NULL. */
static int update_heist(struct tl_store *s, const char *id, const struct hstate *old, struct omap *set,
                        uint64_t *visited, uint64_t *written, struct tl_err *err)
{
	struct run r;
	int ret = -1;
	struct tl_batch *b = NULL;
	if (run_begin(&r, s, err)) goto out;
	r.st.num = old->num;
	r.st.p = old->p;
	r.st.tagsig = old->tagsig;
	r.st.xsig = old->xsig;
	r.cat = set != NULL;
	memcpy(r.st.def, old->def, sizeof r.st.def);
	if (r.limit <= old->next_tx_num) {
		ret = 0; /* nothing new */
		goto out;
	}
	uint8_t k0[16];
	tl_taint_key(old->num | TL_SCREEN_FRONTIER_BIT, 0, 0, k0);
	struct tl_iter *it = tl_iter_new(s, TL_CF_TAINT);
	for (tl_iter_seek(it, k0, 4); tl_iter_valid(it); tl_iter_next(it)) {
		size_t kl;
		const uint8_t *k = tl_iter_key(it, &kl);
		if (kl != 16 || memcmp(k, k0, 4)) break;
		uint64_t tx = 0;
		uint32_t vout = 0;
		for (int i = 4; i < 12; i++) tx = tx << 8 | k[i];
		for (int i = 12; i < 16; i++) vout = vout << 8 | k[i];
		struct oent *e = omap_put(&r.m, tx, vout);
		if (!e) { tl_iter_free(it); tl_err_set(err, "out of memory"); goto out; }
		e->mark = M_FRONTIER_DB | M_FRONTIER_NOW;
	}
	tl_iter_free(it);
	for (size_t i = 0; i < r.m.cap; i++) {
		struct oent *e = &r.m.v[i];
		if (e->tx == UINT64_MAX) continue;
		uint8_t key[16], *v = NULL;
		size_t vl;
		tl_taint_key(old->num, e->tx, e->vout, key);
		int g = tl_store_get_kv(s, TL_CF_TAINT, key, 16, &v, &vl, err);
		if (g < 0) goto out;
		uint64_t f[5] = { 0 };
		if (g == 0 || get_varints(v, vl, f, r.cat ? 5 : 4)) {
			free(v);
			tl_err_set(err, "frontier output without taint record");
			goto out;
		}
		free(v);
		e->amount = f[0];
		e->hops = (uint32_t)f[1];
		e->flags = (uint32_t)f[2];
		e->addr_id = f[3];
		e->origin = f[4];
		uint64_t sp;
		if (r.g.get_spender(r.g.ctx, e->tx, e->vout, &sp, err)) goto out;
		if (sp != TL_GRAPH_UNSPENT && sp < r.limit && tl_txheap_push(&r.h, sp)) {
			tl_err_set(err, "out of memory");
			goto out;
		}
	}
	if (set && seeds_new(&r, set, old->next_tx_num)) goto out;
	if (run_walk(&r)) goto out;
	b = tl_batch_new(s);
	if (run_write(&r, id, 0, b) || tl_store_write(s, b, err)) goto out;
	*visited += r.visited;
	*written += r.written;
	ret = 0;
out:
	tl_batch_free(b);
	run_free(&r);
	if (ret) tl_err_prefix(err, "updating screening of heist '%s': ", id);
	return ret;
}

/* 1 if an output the heist's taint went through (or that waits on the
 * frontier) now belongs to a cluster tagged with a stop category: blocks
 * indexed since the heist was materialized united its owner with a
 * tagged cluster (tag imports re-materialize by themselves). A rebuild
 * would stop there, so the heist must be rebuilt: continuing from the
 * frontier would not equal a rebuild. 0 if none, -1 on error. One entity
 * lookup per tainted address. */
static int categories_changed(struct tl_store *s, const struct hstate *old, struct tl_err *err)
{
	uint8_t k0[16];
	tl_taint_key(old->num, 0, 0, k0);
	struct tl_iter *it = tl_iter_new(s, TL_CF_TAINT);
	struct omap seen = { 0 };
	int ret = 0;
	for (tl_iter_seek(it, k0, 4); tl_iter_valid(it) && !ret; tl_iter_next(it)) {
		size_t kl, vl;
		const uint8_t *k = tl_iter_key(it, &kl), *v = tl_iter_value(it, &vl);
		if (kl != 16 || memcmp(k, k0, 4)) break;
		uint64_t f[4];
		if (get_varints(v, vl, f, 4)) {
			ret = tl_err_set(err, "corrupt taint record");
			break;
		}
		if ((f[2] & F_ENDPOINT) || !f[3] || omap_find(&seen, f[3], 0)) continue;
		if (!omap_put(&seen, f[3], 0)) {
			ret = tl_err_set(err, "out of memory");
			break;
		}
		struct tl_entity ent;
		if (tl_entity_get(s, f[3], &ent, err)) ret = -1;
		else if (ent.cats & old->p.stop_cats) ret = 1;
	}
	tl_iter_free(it);
	free(seen.v);
	return ret;
}

/* A hash of the heist's seed outputs as recorded (tx_num, vout; in key
 * order), to tell whether a rebuild after a reorg moved them. 0 when
 * none; -1 on error (*h unchanged). */
static int seed_sig(struct tl_store *s, uint32_t num, uint64_t *h, struct tl_err *err)
{
	uint8_t k0[16];
	tl_taint_key(num, 0, 0, k0);
	struct tl_iter *it = tl_iter_new(s, TL_CF_TAINT);
	uint64_t x = 1469598103934665603ull;
	int ret = 0;
	for (tl_iter_seek(it, k0, 4); tl_iter_valid(it); tl_iter_next(it)) {
		size_t kl, vl;
		const uint8_t *k = tl_iter_key(it, &kl), *v = tl_iter_value(it, &vl);
		if (kl != 16 || memcmp(k, k0, 4)) break;
		uint64_t f[4];
		if (get_varints(v, vl, f, 4)) {
			ret = tl_err_set(err, "corrupt taint record");
			break;
		}
		if (!(f[2] & F_SEED)) continue;
		for (size_t i = 4; i < 16; i++) x = (x ^ k[i]) * 1099511628211ull;
	}
	tl_iter_free(it);
	if (!ret) *h = x;
	return ret;
}

struct list_ctx {
	struct tl_heist_info *v;
	size_t n, cap;
};

static int list_cb(void *vctx, const struct tl_heist_info *h)
{
	struct list_ctx *c = vctx;
	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 8;
		struct tl_heist_info *p = realloc(c->v, nc * sizeof *p);
		if (!p) return 1;
		c->v = p;
		c->cap = nc;
	}
	c->v[c->n] = *h;
	c->v[c->n].json = strdup(h->json ? h->json : "");
	c->n++;
	return 0;
}

static void list_free(struct list_ctx *c)
{
	for (size_t i = 0; i < c->n; i++) free(c->v[i].json);
	free(c->v);
}

int tl_screen_rebuild(struct tl_store *s, const struct tl_screen_params *p, uint32_t *done, uint32_t *skipped,
                      struct tl_err *err)
{
	struct list_ctx c = { 0 };
	if (tl_heists_list(s, list_cb, &c, err) < 0) {
		list_free(&c);
		return -1;
	}
	uint32_t d = 0, sk = 0;
	for (size_t i = 0; i < c.n; i++) {
		size_t nx;
		uint64_t xsig;
		int xr = c.v[i].traceable ? 1 : tl_xscreen_btc_seeds(s, c.v[i].id, NULL, &nx, &xsig, err);
		if (xr < 0) {
			list_free(&c);
			return -1;
		}
		if (!xr) continue;
		struct tl_err e2;
		if (materialize_heist(s, &c.v[i], p, NULL, &e2)) sk++;
		else d++;
	}
	list_free(&c);
	if (done) *done = d;
	if (skipped) *skipped = sk;
	struct tl_screen_update_stats st = { 0 };
	if (update_cats(s, p, 1, &st, err)) return -1;
	return tl_screen_transfers_rescreen(s, NULL, err);
}

/* Removes a source's records and state. */
static int drop_source(struct tl_store *s, const char *id, uint32_t num, struct tl_err *err)
{
	struct tl_batch *b = tl_batch_new(s);
	char name[128];
	state_name(id, name, sizeof name);
	int rc = prefix_delete(s, b, num, 1, num, err) || prefix_delete(s, b, num | TL_SCREEN_FRONTIER_BIT, 0, 0, err);
	tl_batch_del(b, TL_CF_META, name, strlen(name));
	if (!rc) rc = tl_store_write(s, b, err);
	tl_batch_free(b);
	return rc ? -1 : 0;
}

/* Brings every category source to the tip: from its frontier with the
 * new blocks' seeds, or from scratch when it was never materialized, its
 * tip was reorganised away, the tagged clusters changed (a union or a
 * tag: their outputs before the frontier are seeds too) or a walked
 * address joined a cluster with a stop category. p: parameters of a
 * source never materialized (NULL = defaults). */
static int update_cats(struct tl_store *s, const struct tl_screen_params *p, int force,
                       struct tl_screen_update_stats *st, struct tl_err *err)
{
	for (size_t i = 0; i < tl_categories_n; i++) {
		if (!tl_categories[i].screened) continue;
		char id[72];
		snprintf(id, sizeof id, "cat:%s", tl_categories[i].name);
		struct hstate old;
		int g = state_get(s, id, &old, err);
		if (g < 0) return -1;
		struct omap set = { 0 };
		uint64_t sig = 0;
		if (tagged_members(s, tl_categories[i].tagbit, &set, &sig, err)) {
			free(set.v);
			return -1;
		}
		if (set.n == 0) {
			/* nothing tagged with it: no source (a database with no tags
			 * holds no category state, as a fresh index of it would) */
			free(set.v);
			if (g == 1 && drop_source(s, id, cat_num(i), err)) return -1;
			continue;
		}
		int rebuild = force || g == 0 || old.num != cat_num(i) || old.tagsig != sig;
		if (!rebuild) {
			struct tl_block_rec br;
			int r = tl_store_block_by_height(s, old.height, &br, err);
			if (r < 0) { free(set.v); return -1; }
			rebuild = r == 0 || memcmp(br.hash, old.hash, 32) != 0;
		}
		if (!rebuild) {
			int r = categories_changed(s, &old, err);
			if (r < 0) { free(set.v); return -1; }
			rebuild = r;
		}
		int rc;
		if (rebuild) {
			rc = materialize_cat(s, i, g == 1 && !force ? &old.p : p, &st->cat_visited, err);
			st->categories_rebuilt++;
		} else {
			rc = update_heist(s, id, &old, &set, &st->cat_visited, &st->cat_written, err);
		}
		free(set.v);
		if (rc) return -1;
		st->categories++;
	}
	return 0;
}

int tl_screen_update(struct tl_store *s, struct tl_screen_update_stats *stp, struct tl_err *err)
{
	struct tl_screen_update_stats st = { 0 };
	struct list_ctx c = { 0 };
	if (tl_heists_list(s, list_cb, &c, err) < 0) {
		list_free(&c);
		return -1;
	}
	int ret = 0;
	for (size_t i = 0; i < c.n && !ret; i++) {
		/* a heist of another chain is screened here when some of it
		 * crossed in (tracer/screen_xchain.h) */
		size_t nx;
		uint64_t xsig;
		int xr = tl_xscreen_btc_seeds(s, c.v[i].id, NULL, &nx, &xsig, err);
		if (xr < 0) { ret = -1; break; }
		struct hstate old;
		int g = state_get(s, c.v[i].id, &old, err);
		if (g < 0) { ret = -1; break; }
		if (!c.v[i].traceable && !xr) {
			/* nothing crosses in any more: no source, as a fresh index */
			if (g == 1 && drop_source(s, c.v[i].id, c.v[i].num, err)) ret = -1;
			continue;
		}
		char def[17];
		def_hash(c.v[i].json, def);
		int rebuild = g == 0 || old.num != c.v[i].num || old.unresolved[0] || strcmp(old.def, def) ||
		              old.xsig != xsig;
		if (!rebuild) {
			struct tl_block_rec br;
			int r = tl_store_block_by_height(s, old.height, &br, err);
			if (r < 0) { ret = -1; break; }
			rebuild = r == 0 || memcmp(br.hash, old.hash, 32) != 0;
		}
		if (!rebuild) {
			int r = categories_changed(s, &old, err);
			if (r < 0) { ret = -1; break; }
			rebuild = r;
		}
		if (rebuild) {
			struct tl_err e2;
			int was = g == 1 && old.num == c.v[i].num && !old.unresolved[0];
			uint64_t sig0 = 0, sig1 = 0;
			if (was && seed_sig(s, old.num, &sig0, err)) { ret = -1; break; }
			/* seeds not indexed yet: try again after the next blocks */
			int m = materialize_heist(s, &c.v[i], g == 1 ? &old.p : NULL, &st.visited, &e2);
			if (m == 1) {
				st.unresolved++;
				if (was) st.vanished++;
			}
			if (m != 0) continue;
			st.rebuilt++;
			if (g == 1 && old.unresolved[0]) st.resolved++;
			if (was && seed_sig(s, old.num, &sig1, err)) { ret = -1; break; }
			if (was && sig0 != sig1) st.moved++;
		} else if (update_heist(s, c.v[i].id, &old, NULL, &st.visited, &st.written, err)) {
			ret = -1;
			break;
		}
		st.heists++;
	}
	list_free(&c);
	uint32_t heist_rebuilt = st.rebuilt;
	if (!ret) ret = update_cats(s, NULL, 0, &st, err);
	/* a heist or a category source rebuilt (an import, a union with a
	 * tagged cluster, a reorg): stored verdicts may have changed */
	if (!ret && (heist_rebuilt || st.categories_rebuilt > 0)) ret = tl_screen_transfers_rescreen(s, NULL, err);
	if (stp) *stp = st;
	/* The screening index is at the chain's tip now: an index run that
	 * reached its target may be served (store.h, the update marker). */
	if (ret == 0 && tl_store_update_end(s, "screen", err) < 0) ret = -1;
	return ret;
}

int tl_screen_refresh(struct tl_store *s, uint32_t *done, struct tl_err *err)
{
	struct list_ctx c = { 0 };
	if (tl_heists_list(s, list_cb, &c, err) < 0) {
		list_free(&c);
		return -1;
	}
	int ret = 0;
	uint32_t d = 0;
	for (size_t i = 0; i < c.n && !ret; i++) {
		size_t nx;
		uint64_t xsig;
		int xr = c.v[i].traceable ? 1 : tl_xscreen_btc_seeds(s, c.v[i].id, NULL, &nx, &xsig, err);
		if (xr < 0) ret = -1;
		if (xr <= 0) continue;
		struct hstate old;
		int g = state_get(s, c.v[i].id, &old, err);
		if (g < 0) ret = -1;
		if (g <= 0) continue;
		struct tl_err e2;
		if (materialize_heist(s, &c.v[i], &old.p, NULL, &e2) == 0) d++;
	}
	list_free(&c);
	if (done) *done = d;
	struct tl_screen_update_stats st = { 0 };
	if (!ret) ret = update_cats(s, NULL, 0, &st, err);
	if (!ret) ret = tl_screen_transfers_rescreen(s, NULL, err);
	return ret;
}

int tl_screen_each_endpoint(struct tl_store *s, const char *heist_id,
                            int (*cb)(void *ctx, uint64_t tx_num, uint32_t vout, uint64_t amount, uint64_t addr_id),
                            void *ctx, struct tl_err *err)
{
	struct hstate st;
	int g = state_get(s, heist_id, &st, err);
	if (g <= 0) return g;
	if (st.unresolved[0] || is_cat_id(heist_id)) return 0;
	uint8_t k0[16];
	tl_taint_key(st.num, 0, 0, k0);
	struct tl_iter *it = tl_iter_new(s, TL_CF_TAINT);
	if (!it) return tl_err_set(err, "cannot iterate the taint family");
	int ret = 0;
	for (tl_iter_seek(it, k0, 4); tl_iter_valid(it) && !ret; tl_iter_next(it)) {
		size_t kl, vl;
		const uint8_t *k = tl_iter_key(it, &kl), *v = tl_iter_value(it, &vl);
		if (kl != 16 || memcmp(k, k0, 4)) break;
		uint64_t f[4];
		if (get_varints(v, vl, f, 4)) {
			ret = tl_err_set(err, "corrupt taint record");
			break;
		}
		if (!(f[2] & F_ENDPOINT)) continue;
		uint64_t tx = 0;
		uint32_t vout = 0;
		for (int i = 4; i < 12; i++) tx = tx << 8 | k[i];
		for (int i = 12; i < 16; i++) vout = vout << 8 | k[i];
		ret = cb(ctx, tx, vout, f[0], f[3]);
	}
	tl_iter_free(it);
	return ret;
}

const char *tl_screen_risk_name(int risk)
{
	static const char *n[] = { "none", "low", "medium", "high", "severe" };
	return risk >= 0 && risk <= 4 ? n[risk] : "none";
}

/* ---- lookups ---- */

struct sheist {
	char id[72];
	uint32_t num;
	int32_t height;
	int unresolved; /* its seeds are not in the index: no exposure can be known */
	int cat;        /* -1 a heist, else the category's position in tracer/category.h */
	uint32_t max_hops;
	uint64_t min_sat;
};

struct tl_screen {
	struct tl_store *s;
	struct tl_storegraph *sg;
	struct tl_screen_rules rules;
	struct sheist *h;
	size_t n;
	uint8_t (*keys)[16]; /* scratch for multi_get */
	const uint8_t **kp;
	size_t *kl;
	uint8_t **vals;
	size_t *vl;
	int (*visible)(void *ctx, const char *heist_id); /* NULL: all */
	void *visible_ctx;
	/* the caller's clearance (NULL: everything): entities named in
	 * answers are those its visible tags show */
	const struct tl_clearance *clr; /* &clr_copy or NULL */
	struct tl_clearance clr_copy;
	/* the tip when the context was opened: what the heist list and the
	 * sources' states were read at (one read per context, not per answer) */
	struct tl_tip tip;
};

void tl_screen_set_filter(struct tl_screen *sc, int (*visible)(void *ctx, const char *heist_id), void *ctx)
{
	sc->visible = visible;
	sc->visible_ctx = ctx;
}

void tl_screen_set_clearance(struct tl_screen *sc, const struct tl_clearance *c)
{
	if (c) sc->clr_copy = *c; /* the caller's may live on its stack */
	sc->clr = c ? &sc->clr_copy : NULL;
	tl_storegraph_set_clearance(sc->sg, c);
}

static int heist_shown(const struct tl_screen *sc, const char *id)
{
	return is_cat_id(id) || !sc->visible || sc->visible(sc->visible_ctx, id);
}

int tl_screen_open(struct tl_store *s, const struct tl_screen_rules *rules, struct tl_screen **out, struct tl_err *err)
{
	struct tl_screen *sc = calloc(1, sizeof *sc);
	if (!sc) return tl_err_set(err, "out of memory");
	sc->s = s;
	if (rules) sc->rules = *rules;
	else tl_screen_rules_default(&sc->rules);
	struct list_ctx c = { 0 };
	if (tl_store_tip(s, &sc->tip, err) || tl_storegraph_new(s, &sc->sg, err) ||
	    tl_heists_list(s, list_cb, &c, err) < 0) {
		list_free(&c);
		tl_screen_close(sc);
		return -1;
	}
	sc->h = calloc(c.n + tl_categories_n + 1, sizeof *sc->h);
	for (size_t i = 0; sc->h && i < c.n; i++) {
		struct hstate st;
		struct tl_err e2;
		/* heists of another chain have a state when some crossed in */
		if (state_get(s, c.v[i].id, &st, &e2) != 1) continue;
		struct sheist *h = &sc->h[sc->n++];
		snprintf(h->id, sizeof h->id, "%s", c.v[i].id);
		h->num = c.v[i].num;
		h->height = st.height;
		h->unresolved = st.unresolved[0] != 0;
		h->cat = -1;
	}
	for (size_t i = 0; sc->h && i < tl_categories_n; i++) {
		char id[72];
		snprintf(id, sizeof id, "cat:%s", tl_categories[i].name);
		struct hstate st;
		struct tl_err e2;
		if (!tl_categories[i].screened || state_get(s, id, &st, &e2) != 1) continue;
		struct sheist *h = &sc->h[sc->n++];
		snprintf(h->id, sizeof h->id, "%s", id);
		h->num = cat_num(i);
		h->height = st.height;
		h->cat = (int)i;
		h->max_hops = st.p.max_hops;
		h->min_sat = st.p.min_sat;
	}
	list_free(&c);
	size_t m = sc->n ? sc->n : 1;
	sc->keys = malloc(m * 16);
	sc->kp = malloc(m * sizeof *sc->kp);
	sc->kl = malloc(m * sizeof *sc->kl);
	sc->vals = malloc(m * sizeof *sc->vals);
	sc->vl = malloc(m * sizeof *sc->vl);
	if (!sc->h || !sc->keys || !sc->kp || !sc->kl || !sc->vals || !sc->vl) {
		tl_screen_close(sc);
		return tl_err_set(err, "out of memory");
	}
	for (size_t i = 0; i < sc->n; i++) {
		sc->kp[i] = sc->keys[i];
		sc->kl[i] = 16;
	}
	*out = sc;
	return 0;
}

void tl_screen_close(struct tl_screen *sc)
{
	if (!sc) return;
	tl_storegraph_free(sc->sg);
	free(sc->h);
	free(sc->keys);
	free(sc->kp);
	free(sc->kl);
	free(sc->vals);
	free(sc->vl);
	free(sc);
}

struct tl_store *tl_screen_store(struct tl_screen *sc)
{
	return sc->s;
}

const struct tl_screen_rules *tl_screen_rules_of(const struct tl_screen *sc)
{
	return &sc->rules;
}

static int lookup(struct tl_screen *sc, int addr, uint64_t a, uint32_t b, struct tl_screen_exp *exp, size_t cap,
                  struct tl_err *err)
{
	if (!sc->n) return 0;
	for (size_t i = 0; i < sc->n; i++) {
		if (addr) tl_taint_key(TL_SCREEN_AGG_ID, a, sc->h[i].num, sc->keys[i]);
		else tl_taint_key(sc->h[i].num, a, b, sc->keys[i]);
	}
	int r;
	if (sc->n == 1) {
		r = tl_store_get_kv(sc->s, TL_CF_TAINT, sc->keys[0], 16, &sc->vals[0], &sc->vl[0], err);
		if (r < 0) return -1;
		if (r == 0) sc->vals[0] = NULL;
	} else if (tl_store_multi_get(sc->s, TL_CF_TAINT, sc->n, sc->kp, sc->kl, sc->vals, sc->vl, err)) {
		return -1;
	}
	int n = 0, bad = 0;
	for (size_t i = 0; i < sc->n; i++) {
		if (!sc->vals[i]) continue;
		/* address aggregate: amount, hops, count[, origin, best];
		 * output: amount, hops, flags, addr_id[, origin] */
		uint64_t f[5] = { 0 };
		int cat = sc->h[i].cat >= 0;
		if (get_varints(sc->vals[i], sc->vl[i], f, cat ? (addr ? 4 : 5) : 3)) bad = 1;
		else if ((size_t)n < cap) {
			exp[n].heist_num = sc->h[i].num;
			exp[n].amount = f[0];
			exp[n].hops = (uint32_t)f[1];
			exp[n].value = 0;
			exp[n].flags = addr ? 0 : (uint32_t)f[2];
			exp[n].origin = cat ? (addr ? f[3] : f[4]) : 0;
			n++;
		}
		free(sc->vals[i]);
	}
	if (bad) return tl_err_set(err, "corrupt taint record");
	return n;
}

int tl_screen_lookup_outref(struct tl_screen *sc, uint64_t tx_num, uint32_t vout, struct tl_screen_exp *exp,
                            size_t cap, struct tl_err *err)
{
	return lookup(sc, 0, tx_num, vout, exp, cap, err);
}

int tl_screen_lookup_addr(struct tl_screen *sc, uint64_t addr_id, struct tl_screen_exp *exp, size_t cap,
                          struct tl_err *err)
{
	return lookup(sc, 1, addr_id, 0, exp, cap, err);
}

static const struct sheist *source_of(struct tl_screen *sc, uint32_t num)
{
	for (size_t i = 0; i < sc->n; i++)
		if (sc->h[i].num == num) return &sc->h[i];
	return NULL;
}

/* ---- entities and verdicts ---- */

struct first_tag {
	uint32_t bit;
	int found, confidence;
	char label[TL_SUMMARY_LABEL_MAX], source[128];
	struct tl_store *s;
	const struct tl_clearance *clr; /* tags above it are skipped */
	struct tl_err *err;
};

static int first_tag_cb(void *ctx, const struct tl_tag_rec *t)
{
	struct first_tag *f = ctx;
	if (!(t->cats & f->bit)) return 0;
	int v = tl_tag_visible(f->s, f->clr, t, f->err);
	if (v <= 0) return v;
	/* the most confident tag of the category; ties: the first seen */
	if (f->found && t->confidence <= f->confidence) return 0;
	f->found = 1;
	f->confidence = t->confidence;
	snprintf(f->label, sizeof f->label, "%s", t->label ? t->label : "");
	snprintf(f->source, sizeof f->source, "%s", t->source ? t->source : "");
	return 0;
}

json_t *tl_screen_entity(struct tl_screen *sc, uint64_t cluster_id, uint32_t tagbit, struct tl_err *err)
{
	struct tl_cluster_summary sum;
	if (tl_cluster_summary_seen(sc->s, sc->clr, cluster_id, &sum, err) < 0) return NULL;
	/* no tag of the category the caller may see: the entity is not named,
	 * and the exposure is left out as if the tag did not exist */
	if (tl_clearance_restricted(sc->clr) && !(sum.cats & tagbit)) return json_null();
	struct first_tag f = { .bit = tagbit, .confidence = -1, .s = sc->s, .clr = sc->clr, .err = err };
	/* a big cluster is read member by member: stop reading after a
	 * few hundred tags, the label of the summary stands for the rest */
	if (sum.size <= 100000 && tl_tags_of_cluster(sc->s, cluster_id, first_tag_cb, &f, err) < 0) return NULL;
	json_t *e = json_pack("{s:s,s:I,s:I}", "label", f.found && f.label[0] ? f.label : sum.label, "cluster_id",
	                      (json_int_t)cluster_id, "cluster_size", (json_int_t)sum.size);
	json_object_set_new(e, "source", f.found ? json_string(f.source) : json_null());
	int conf = f.found ? f.confidence : sum.confidence;
	json_object_set_new(e, "confidence", conf >= 0 ? json_integer(conf) : json_null());
	return e;
}

static void iso_now(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int tl_screen_stamp(struct tl_screen *sc, json_t *v, struct tl_err *err)
{
	(void)err;
	char hh[65], now[32];
	tl_hash_to_hex(sc->tip.hash, hh);
	iso_now(now);
	json_object_set_new(v, "tip", json_pack("{s:i,s:s}", "height", (int)sc->tip.height, "hash", hh));
	json_object_set_new(v, "rules_version", json_string(sc->rules.version));
	json_object_set_new(v, "screened_at", json_string(now));
	return 0;
}

/* The subject's entity (as tl_entity_get: walk flags and label) and
 * what its cluster is tagged with (TL_TAGCAT_* bits, for direct
 * exposure; 0 with *cluster 0 when nothing), from one read of its
 * cluster and summary. */
static int subject_tags(struct tl_screen *sc, uint64_t addr_id, struct tl_entity *ent, uint32_t *bits,
                        uint64_t *cluster, struct tl_err *err)
{
	memset(ent, 0, sizeof *ent);
	*bits = 0;
	*cluster = 0;
	if (!addr_id) return 0;
	uint64_t cid = 0;
	struct tl_cluster_summary sum;
	int r = 0;
	if (tl_cluster_of(sc->s, addr_id, &cid, err) || (r = tl_cluster_summary_seen(sc->s, sc->clr, cid, &sum, err)) < 0) return -1;
	if (r == 1) {
		*bits = sum.cats;
		*cluster = cid;
		ent->cats = sum.cats & TL_CAT_ALL;
		ent->cluster_id = sum.size > 1 ? cid : 0;
		snprintf(ent->label, sizeof ent->label, "%s", sum.label);
	}
	return 0;
}

/* Builds the verdict from exposures (value filled), the walk's sanction
 * flag and the subject's own tags (subject_tags). */
static json_t *verdict(struct tl_screen *sc, json_t *subject, const struct tl_screen_exp *exp, int n, int sanctioned,
                       const char *sanction_label, uint32_t own_bits, uint64_t own_cluster, uint64_t own_value,
                       struct tl_err *err)
{
	const struct tl_screen_rules *R = &sc->rules;
	int risk = 0;
	double score = 0;
	json_t *ea = json_array(), *reasons = json_array(), *cats = json_array();
	char buf[320];
	if (sanctioned && R->sanctioned_severe) {
		risk = 4;
		score = 100;
		snprintf(buf, sizeof buf, "tagged sanctioned%s%s", sanction_label && *sanction_label ? ": " : "",
		         sanction_label ? sanction_label : "");
		json_array_append_new(reasons, json_string(buf));
	}
	/* direct: the subject's cluster is tagged with a screened category */
	for (size_t c = 0; own_bits && c < tl_categories_n; c++) {
		if (!tl_categories[c].screened || !(own_bits & tl_categories[c].tagbit)) continue;
		json_t *ent = tl_screen_entity(sc, own_cluster, tl_categories[c].tagbit, err);
		if (!ent) goto fail;
		if (json_is_null(ent)) continue;
		double sc_ = 0;
		int lv = tl_screen_rules_apply(R, c, 1, 1.0, 0, own_value, &sc_);
		json_array_append_new(cats, json_pack("{s:s,s:s,s:I,s:f,s:i,s:s,s:f,s:o}", "category",
		                                      tl_categories[c].name, "direction", "direct", "amount_sat",
		                                      (json_int_t)own_value, "share", 1.0, "hops", 0, "level",
		                                      tl_screen_risk_name(lv), "score", sc_, "entity", ent));
		snprintf(buf, sizeof buf, "%s: owned by an entity tagged %s (%s)", tl_screen_risk_name(lv),
		         tl_categories[c].name, json_string_value(json_object_get(ent, "label")));
		if (lv) json_array_append_new(reasons, json_string(buf));
		if (lv > risk) risk = lv;
		if (sc_ > score) score = sc_;
	}
	for (int i = 0; i < n; i++) {
		double share = exp[i].value ? (double)exp[i].amount / (double)exp[i].value : 0;
		if (share > 1) share = 1;
		const struct sheist *src = source_of(sc, exp[i].heist_num);
		if (!src || !heist_shown(sc, src->id)) continue;
		int r = 0;
		double sc_ = 0;
		if (src->cat < 0) {
			json_array_append_new(ea, json_pack("{s:s,s:I,s:f,s:i}", "heist", src->id, "amount_sat",
			                                    (json_int_t)exp[i].amount, "share", share, "hops",
			                                    (int)exp[i].hops));
			if (share >= R->high_share || exp[i].hops <= R->high_hops) r = 3;
			else if (share >= R->medium_share || exp[i].hops <= R->medium_hops) r = 2;
			else if (exp[i].amount >= R->low_min_sat) r = 1;
			sc_ = tl_screen_level_score(r);
			json_array_append_new(cats, json_pack("{s:s,s:s,s:s,s:I,s:f,s:i,s:s,s:f}", "category", "stolen",
			                                      "heist", src->id, "direction", "indirect", "amount_sat",
			                                      (json_int_t)exp[i].amount, "share", share, "hops",
			                                      (int)exp[i].hops, "level", tl_screen_risk_name(r), "score",
			                                      sc_));
			if (r) {
				snprintf(buf, sizeof buf, "%s: %llu sat from heist %s (%.1f%%) %u hop%s away",
				         tl_screen_risk_name(r), (unsigned long long)exp[i].amount, src->id, share * 100,
				         exp[i].hops, exp[i].hops == 1 ? "" : "s");
				json_array_append_new(reasons, json_string(buf));
			}
		} else {
			const struct tl_category *c = &tl_categories[src->cat];
			/* a seed of the source: the subject is the tagged entity's own output */
			if (exp[i].hops == 0) continue;
			r = tl_screen_rules_apply(R, (size_t)src->cat, 0, share, exp[i].hops, exp[i].amount, &sc_);
			json_t *ent = tl_screen_entity(sc, exp[i].origin, c->tagbit, err);
			if (!ent) goto fail;
			if (json_is_null(ent)) continue; /* its tag lies above the caller's clearance */
			snprintf(buf, sizeof buf, "%s: %llu sat from %s entity '%s' (%.1f%%) %u hop%s away",
			         tl_screen_risk_name(r), (unsigned long long)exp[i].amount, c->name,
			         json_string_value(json_object_get(ent, "label")), share * 100, exp[i].hops,
			         exp[i].hops == 1 ? "" : "s");
			json_array_append_new(cats, json_pack("{s:s,s:s,s:I,s:f,s:i,s:s,s:f,s:o}", "category", c->name,
			                                      "direction", "indirect", "amount_sat",
			                                      (json_int_t)exp[i].amount, "share", share, "hops",
			                                      (int)exp[i].hops, "level", tl_screen_risk_name(r), "score",
			                                      sc_, "entity", ent));
			if (r) json_array_append_new(reasons, json_string(buf));
		}
		if (r > risk) risk = r;
		if (sc_ > score) score = sc_;
	}
	if (!json_array_size(reasons))
		json_array_append_new(reasons, json_string("no exposure to a registered heist or a screened category"));
	json_t *mat = json_array(), *matc = json_array();
	for (size_t i = 0; i < sc->n; i++) {
		if (!heist_shown(sc, sc->h[i].id)) continue;
		if (sc->h[i].cat >= 0) {
			json_array_append_new(matc, json_pack("{s:s,s:i,s:i,s:I}", "category",
			                                      tl_categories[sc->h[i].cat].name, "height",
			                                      (int)sc->h[i].height, "max_hops", (int)sc->h[i].max_hops,
			                                      "min_sat", (json_int_t)sc->h[i].min_sat));
			continue;
		}
		json_t *m = json_pack("{s:s,s:i}", "heist", sc->h[i].id, "height", (int)sc->h[i].height);
		/* say so rather than let "no exposure" pass for an answer */
		if (sc->h[i].unresolved) json_object_set_new(m, "seeds_unresolved", json_true());
		json_array_append_new(mat, m);
	}
	json_t *v = json_pack("{s:o,s:s,s:f,s:b,s:o,s:o,s:o,s:o,s:o}", "subject", subject, "risk",
	                      tl_screen_risk_name(risk), "score", score, "sanctioned", sanctioned, "exposures", ea,
	                      "categories", cats, "reasons", reasons, "materialized", mat, "materialized_categories",
	                      matc);
	if (tl_screen_stamp(sc, v, err)) {
		json_decref(v);
		return NULL;
	}
	return v;
fail:
	json_decref(subject);
	json_decref(ea);
	json_decref(reasons);
	json_decref(cats);
	return NULL;
}

json_t *tl_screen_verdict(struct tl_screen *sc, json_t *subject, const struct tl_screen_exp *exp, int n)
{
	struct tl_err err;
	json_t *v = verdict(sc, subject, exp, n, 0, NULL, 0, 0, 0, &err);
	/* only a failed tip read can fail here: answer without the stamp
	 * rather than not at all (unconfirmed outputs, live/mempool.h) */
	if (!v) v = json_pack("{s:s,s:s}", "risk", "none", "error", err.msg);
	return v;
}

#define MAXEXP 256

json_t *tl_screen_address(struct tl_screen *sc, const char *address, struct tl_err *err)
{
	uint64_t addr_id;
	int r = tl_store_addr_id_of_string(sc->s, address, &addr_id, err);
	if (r < 0) return NULL;
	json_t *subj = json_pack("{s:s,s:s}", "kind", "address", "address", address);
	if (r == 0) {
		json_t *v = verdict(sc, subj, NULL, 0, 0, NULL, 0, 0, 0, err);
		if (v) json_array_append_new(json_object_get(v, "reasons"), json_string("address not seen in the index"));
		return v;
	}
	struct tl_screen_exp exp[MAXEXP];
	int n = tl_screen_lookup_addr(sc, addr_id, exp, MAXEXP, err);
	struct tl_addr_info ai;
	struct tl_entity ent;
	uint32_t own = 0;
	uint64_t own_c = 0;
	if (n < 0 || tl_store_addr_info(sc->s, addr_id, &ai, err) < 0 ||
	    subject_tags(sc, addr_id, &ent, &own, &own_c, err)) {
		json_decref(subj);
		return NULL;
	}
	for (int i = 0; i < n; i++) exp[i].value = ai.funded_sum;
	json_object_set_new(subj, "received_sat", json_integer((json_int_t)ai.funded_sum));
	if (ent.cats || ent.label[0])
		json_object_set_new(subj, "tag", json_pack("{s:s,s:s}", "label", ent.label, "category",
		                                           tl_trace_cat_name(ent.cats)));
	return verdict(sc, subj, exp, n, !!(ent.cats & TL_CAT_SANCTIONED), ent.label, own, own_c, ai.funded_sum, err);
}

/* Screens one output of a decoded tx record. */
static json_t *screen_out(struct tl_screen *sc, const struct tl_tx_rec *tx, uint32_t vout, struct tl_err *err)
{
	char hex[65], op[80];
	tl_hash_to_hex(tx->txid, hex);
	snprintf(op, sizeof op, "%s:%u", hex, vout);
	struct tl_screen_exp exp[MAXEXP];
	int n = tl_screen_lookup_outref(sc, tx->tx_num, vout, exp, MAXEXP, err);
	if (n < 0) return NULL;
	for (int i = 0; i < n; i++) exp[i].value = tx->out[vout].value;
	struct tl_entity ent;
	memset(&ent, 0, sizeof ent);
	json_t *subj = json_pack("{s:s,s:s,s:I}", "kind", "outpoint", "outpoint", op, "value_sat",
	                         (json_int_t)tx->out[vout].value);
	uint64_t a = tx->out[vout].addr_id;
	uint32_t own = 0;
	uint64_t own_c = 0;
	if (a) {
		char addr[TL_ADDRESS_MAX];
		if (subject_tags(sc, a, &ent, &own, &own_c, err) || tl_store_output_address(sc->s, tx, vout, addr, err) < 0) {
			json_decref(subj);
			return NULL;
		}
		if (addr[0]) json_object_set_new(subj, "address", json_string(addr));
	}
	return verdict(sc, subj, exp, n, !!(ent.cats & TL_CAT_SANCTIONED), ent.label, own, own_c,
	               tx->out[vout].value, err);
}

/* The newest transaction with this txid, its display hex in hex.
 * Returns 0, or -1 with err (unknown transaction or a store error). */
static int load_tx(struct tl_screen *sc, const uint8_t txid[32], struct tl_tx_rec *tx, char hex[65],
		   struct tl_err *err)
{
	tl_hash_to_hex(txid, hex);
	int r = tl_store_tx_by_txid(sc->s, txid, tx, err);
	if (r < 0) return -1;
	if (r == 0) return tl_err_setc(err, TL_E_NOT_FOUND, "unknown transaction %s (not in the index)", hex);
	return 0;
}

json_t *tl_screen_outpoint(struct tl_screen *sc, const uint8_t txid[32], uint32_t vout, struct tl_err *err)
{
	struct tl_tx_rec tx;
	char hex[65];
	if (load_tx(sc, txid, &tx, hex, err) < 0) return NULL;
	json_t *out = NULL;
	if (vout >= tx.n_out) tl_err_setc(err, TL_E_NOT_FOUND, "transaction %s has %u outputs: no output %u", hex, tx.n_out, vout);
	else out = screen_out(sc, &tx, vout, err);
	tl_tx_rec_free(&tx);
	return out;
}

json_t *tl_screen_txid(struct tl_screen *sc, const uint8_t txid[32], struct tl_err *err)
{
	struct tl_tx_rec tx;
	char hex[65];
	if (load_tx(sc, txid, &tx, hex, err) < 0) return NULL;
	static const char *order[] = { "none", "low", "medium", "high", "severe" };
	json_t *outs = json_array(), *worst = NULL;
	int wr = -1, sanctioned = 0;
	double score = 0;
	for (uint32_t j = 0; j < tx.n_out; j++) {
		json_t *v = screen_out(sc, &tx, j, err);
		if (!v) {
			json_decref(outs);
			tl_tx_rec_free(&tx);
			return NULL;
		}
		const char *rk = json_string_value(json_object_get(v, "risk"));
		int ri = 0;
		for (int k = 0; k < 5; k++)
			if (!strcmp(rk, order[k])) ri = k;
		if (ri > wr) {
			wr = ri;
			worst = v;
		}
		double s1 = json_real_value(json_object_get(v, "score"));
		if (s1 > score) score = s1;
		sanctioned |= json_is_true(json_object_get(v, "sanctioned"));
		json_array_append_new(outs, v);
	}
	json_t *res = json_pack("{s:{s:s,s:s},s:s,s:f,s:b,s:O,s:O,s:O,s:o}", "subject", "kind", "tx", "txid", hex,
	                        "risk", order[wr < 0 ? 0 : wr], "score", score, "sanctioned", sanctioned, "exposures",
	                        worst ? json_object_get(worst, "exposures") : json_array(), "categories",
	                        worst ? json_object_get(worst, "categories") : json_array(), "reasons",
	                        worst ? json_object_get(worst, "reasons") : json_array(), "outputs", outs);
	tl_tx_rec_free(&tx);
	if (res && tl_screen_stamp(sc, res, err)) {
		json_decref(res);
		return NULL;
	}
	return res;
}

json_t *tl_screen_backward(struct tl_screen *sc, const uint8_t txid[32], uint32_t vout, uint32_t max_hops,
                           struct tl_err *err)
{
	struct tl_tx_rec tx;
	char hex[65], op[80];
	if (load_tx(sc, txid, &tx, hex, err) < 0) return NULL;
	uint64_t tx_num = tx.tx_num;
	uint32_t n_out = tx.n_out;
	tl_tx_rec_free(&tx);
	if (vout >= n_out) {
		tl_err_setc(err, TL_E_NOT_FOUND, "transaction %s has %u outputs: no output %u", hex, n_out, vout);
		return NULL;
	}
	snprintf(op, sizeof op, "%s:%u", hex, vout);
	/* seeds of every heist, expanded to outputs; owner index per seed */
	struct tl_seed *seeds = NULL;
	size_t *owner = NULL, ns = 0, cap = 0;
	json_t *res = NULL;
	struct tl_graph g;
	tl_storegraph_graph(sc->sg, &g);
	for (size_t i = 0; i < sc->n; i++) {
		if (sc->h[i].cat >= 0) continue; /* heists only: a category has no fixed seeds */
		struct tl_heist_info hi;
		memset(&hi, 0, sizeof hi);
		struct tl_registry *reg = NULL;
		struct tl_trace_seeds ts;
		tl_trace_seeds_init(&ts);
		int ok = tl_heist_get(sc->s, sc->h[i].id, &hi, err) == 1 && !tl_heist_parse(&hi, &reg, err) && reg->n &&
		         !tl_trace_seeds_add_heist(sc->sg, &reg->heists[0], &ts, err);
		free(hi.json);
		tl_registry_free(reg);
		for (size_t k = 0; ok && k < ts.n; k++) {
			struct tl_gtx gt;
			if (g.get_tx(g.ctx, ts.v[k].tx_num, &gt, err)) { ok = 0; break; }
			uint32_t lo = ts.v[k].vout == TL_SEED_WHOLE_TX ? 0 : ts.v[k].vout;
			uint32_t hi2 = ts.v[k].vout == TL_SEED_WHOLE_TX ? gt.n_out : ts.v[k].vout + 1;
			for (uint32_t j = lo; j < hi2; j++) {
				if (ns == cap) {
					cap = cap ? cap * 2 : 64;
					seeds = realloc(seeds, cap * sizeof *seeds);
					owner = realloc(owner, cap * sizeof *owner);
					if (!seeds || !owner) { ok = 0; break; }
				}
				seeds[ns].tx_num = ts.v[k].tx_num;
				seeds[ns].vout = j;
				seeds[ns].amount = TL_SEED_FULL;
				owner[ns++] = i;
			}
		}
		tl_trace_seeds_free(&ts);
		if (!ok) {
			tl_err_prefix(err, "heist '%s': ", sc->h[i].id);
			goto out;
		}
	}
	json_t *src = json_array();
	uint64_t value = 0;
	if (ns) {
		struct tl_back_params bp;
		tl_back_params_default(&bp);
		if (max_hops) bp.max_hops = max_hops;
		bp.max_tx = 200000;
		struct tl_back_result br;
		memset(&br, 0, sizeof br);
		int r = tl_walk_backward(&g, tx_num, vout, seeds, ns, &bp, &br, err);
		if (r == TL_WALK_TOO_BIG) tl_err_set(err, "backward walk over 200000 transactions: lower max_hops");
		if (r) {
			json_decref(src);
			goto out;
		}
		value = br.value;
		/* sum per heist */
		for (size_t i = 0; i < sc->n; i++) {
			double amt = 0;
			uint32_t mh = UINT32_MAX;
			for (size_t k = 0; k < br.n_exp; k++)
				if (owner[br.exp[k].seed] == i) {
					amt += br.exp[k].amount;
					if (br.exp[k].min_hops < mh) mh = br.exp[k].min_hops;
				}
			if (mh != UINT32_MAX && heist_shown(sc, sc->h[i].id))
				json_array_append_new(src, json_pack("{s:s,s:f,s:f,s:i}", "heist", sc->h[i].id, "amount_sat",
				                                     amt, "share", br.value ? amt / (double)br.value : 0.0,
				                                     "hops", (int)mh));
		}
		max_hops = bp.max_hops;
		tl_back_result_free(&br);
	}
	res = json_pack("{s:s,s:I,s:i,s:o}", "outpoint", op, "value_sat", (json_int_t)value, "max_hops",
	                (int)(max_hops ? max_hops : 6), "sources", src);
out:
	free(seeds);
	free(owner);
	return res;
}
