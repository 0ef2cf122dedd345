/* Screened unconfirmed transactions (live/mempool.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/bytes.h"
#include "bitcoin/hash.h"
#include "bitcoin/tx.h"
#include "live/mempool.h"
#include "store/store.h"

struct mp_out {
	uint64_t value;
	uint32_t nexp;
	struct tl_screen_exp *exp;
};

struct mp_entry {
	uint8_t txid[32];
	uint8_t *raw;
	size_t len;
	uint32_t n_in, n_out;
	uint8_t (*prev)[32];
	uint32_t *prev_vout;
	struct mp_out *out;
	int unresolved;
	struct mp_entry *next;      /* bucket chain */
};

struct tl_mempool {
	pthread_mutex_t mu;
	struct mp_entry **b;
	size_t nb, n;
	tl_mempool_listener listener;
	void *listener_ctx;
};

void tl_mempool_set_listener(struct tl_mempool *mp, tl_mempool_listener fn, void *ctx)
{
	pthread_mutex_lock(&mp->mu);
	mp->listener = fn;
	mp->listener_ctx = ctx;
	pthread_mutex_unlock(&mp->mu);
}

static size_t bucket(const struct tl_mempool *mp, const uint8_t txid[32])
{
	uint64_t k;
	memcpy(&k, txid, 8);
	return (size_t)(k & (mp->nb - 1));
}

struct tl_mempool *tl_mempool_new(void)
{
	struct tl_mempool *mp = calloc(1, sizeof *mp);
	if (!mp) return NULL;
	mp->nb = 1024;
	mp->b = calloc(mp->nb, sizeof *mp->b);
	if (!mp->b) {
		free(mp);
		return NULL;
	}
	pthread_mutex_init(&mp->mu, NULL);
	return mp;
}

static void free_outs(struct mp_entry *e)
{
	if (!e->out) return;
	for (uint32_t i = 0; i < e->n_out; i++) free(e->out[i].exp);
	free(e->out);
	e->out = NULL;
}

static void free_entry(struct mp_entry *e)
{
	free_outs(e);
	free(e->raw);
	free(e->prev);
	free(e->prev_vout);
	free(e);
}

void tl_mempool_free(struct tl_mempool *mp)
{
	if (!mp) return;
	for (size_t i = 0; i < mp->nb; i++)
		for (struct mp_entry *e = mp->b[i], *nx; e; e = nx) {
			nx = e->next;
			free_entry(e);
		}
	free(mp->b);
	pthread_mutex_destroy(&mp->mu);
	free(mp);
}

static struct mp_entry *find(struct tl_mempool *mp, const uint8_t txid[32])
{
	for (struct mp_entry *e = mp->b[bucket(mp, txid)]; e; e = e->next)
		if (!memcmp(e->txid, txid, 32)) return e;
	return NULL;
}

static void grow(struct tl_mempool *mp)
{
	size_t nb = mp->nb * 2;
	struct mp_entry **b = calloc(nb, sizeof *b);
	if (!b) return; /* stay at the current size: longer chains only */
	struct mp_entry **old = mp->b;
	size_t onb = mp->nb;
	mp->b = b;
	mp->nb = nb;
	for (size_t i = 0; i < onb; i++)
		for (struct mp_entry *e = old[i], *nx; e; e = nx) {
			nx = e->next;
			size_t k = bucket(mp, e->txid);
			e->next = b[k];
			b[k] = e;
		}
	free(old);
}

struct acc {
	uint32_t heist;
	unsigned __int128 amount;
	uint32_t hops;
};

/* Computes e's outputs' taint (see the header). Returns 0 or -1. */
static int screen_entry(struct tl_mempool *mp, struct mp_entry *e, const uint64_t *out_values, tl_prevout_fn fn,
			void *ctx, struct tl_err *err)
{
	struct acc acc[TL_MEMPOOL_MAX_EXP];
	size_t na = 0;
	unsigned __int128 vin = 0, vout = 0;
	struct tl_screen_exp tmp[TL_MEMPOOL_MAX_EXP];
	e->unresolved = 0;
	for (uint32_t i = 0; i < e->n_in; i++) {
		const struct tl_screen_exp *x;
		int n;
		uint64_t value;
		struct mp_entry *p = find(mp, e->prev[i]);
		if (p) {
			if (e->prev_vout[i] >= p->n_out) continue; /* invalid; the node would not relay it */
			/* A parent screened without some input passes on a partial
			 * taint: computed again with it. */
			if (p->unresolved) e->unresolved = 1;
			value = p->out[e->prev_vout[i]].value;
			x = p->out[e->prev_vout[i]].exp;
			n = (int)p->out[e->prev_vout[i]].nexp;
		} else {
			n = fn(ctx, e->prev[i], e->prev_vout[i], &value, tmp, TL_MEMPOOL_MAX_EXP, err);
			if (n == -2) {
				e->unresolved = 1;
				continue;
			}
			if (n < 0) return -1;
			x = tmp;
		}
		vin += value;
		for (int k = 0; k < n; k++) {
			if (x[k].flags & 1) continue; /* an endpoint (exchange...): taint not followed */
			/* category sources (tracer/screen.h) have seeds, a hop limit and
			 * a hop count the mempool does not predict: heists only */
			if (x[k].heist_num >= TL_SCREEN_CAT_BASE) continue;
			size_t j;
			for (j = 0; j < na; j++)
				if (acc[j].heist == x[k].heist_num) break;
			if (j == na) {
				if (na == TL_MEMPOOL_MAX_EXP) continue;
				acc[na].heist = x[k].heist_num;
				acc[na].amount = 0;
				acc[na].hops = 0;
				na++;
			}
			acc[j].amount += x[k].amount;
			if (x[k].hops > acc[j].hops) acc[j].hops = x[k].hops;
		}
	}
	for (uint32_t o = 0; o < e->n_out; o++) vout += out_values[o];
	/* As the screening walk: over the inputs' value; with inputs not
	 * found, never more than enters. */
	unsigned __int128 den = vin > vout ? vin : vout;
	struct tl_screen_params sp;
	tl_screen_params_default(&sp);
	free_outs(e);
	e->out = calloc(e->n_out ? e->n_out : 1, sizeof *e->out);
	if (!e->out) return tl_err_set(err, "out of memory");
	for (uint32_t o = 0; o < e->n_out; o++) {
		struct mp_out *mo = &e->out[o];
		mo->value = out_values[o];
		if (!na || !den) continue;
		mo->exp = calloc(na, sizeof *mo->exp);
		if (!mo->exp) return tl_err_set(err, "out of memory");
		for (size_t j = 0; j < na; j++) {
			uint64_t amt = (uint64_t)(acc[j].amount * out_values[o] / den);
			if (!amt || amt < sp.min_sat) continue;
			struct tl_screen_exp *x = &mo->exp[mo->nexp++];
			x->heist_num = acc[j].heist;
			x->amount = amt;
			x->hops = acc[j].hops + 1; /* the farthest tainted input, as the walk */
			x->value = out_values[o];
			x->flags = 0;
		}
	}
	return 0;
}

int tl_mempool_add(struct tl_mempool *mp, const uint8_t *raw, size_t len, tl_prevout_fn fn, void *ctx,
		   struct tl_err *err)
{
	struct tl_arena ar;
	tl_arena_init(&ar);
	struct tl_reader r;
	tl_reader_init(&r, raw, len);
	struct tl_tx tx;
	if (tl_tx_parse(&r, &ar, &tx, err) < 0 || r.pos != len) {
		tl_arena_free(&ar);
		if (r.pos != len) tl_err_set(err, "mempool: transaction with %zu trailing bytes", len - r.pos);
		return -1;
	}
	pthread_mutex_lock(&mp->mu);
	int rc = 0;
	uint64_t *vals = NULL;
	struct mp_entry *e = NULL;
	if (find(mp, tx.txid)) goto out;
	e = calloc(1, sizeof *e);
	vals = malloc(sizeof *vals * (tx.n_out ? tx.n_out : 1));
	if (!e || !vals || !(e->raw = malloc(len)) || !(e->prev = malloc(32 * (size_t)(tx.n_in ? tx.n_in : 1))) ||
	    !(e->prev_vout = malloc(sizeof *e->prev_vout * (tx.n_in ? tx.n_in : 1)))) {
		rc = tl_err_set(err, "out of memory");
		goto out;
	}
	memcpy(e->txid, tx.txid, 32);
	memcpy(e->raw, raw, len);
	e->len = len;
	e->n_in = tx.n_in;
	e->n_out = tx.n_out;
	for (uint32_t i = 0; i < tx.n_in; i++) {
		memcpy(e->prev[i], tx.in[i].prev_txid, 32);
		e->prev_vout[i] = tx.in[i].prev_vout;
	}
	for (uint32_t o = 0; o < tx.n_out; o++) vals[o] = tx.out[o].value;
	if (screen_entry(mp, e, vals, fn, ctx, err) < 0) {
		rc = -1;
		goto out;
	}
	if (mp->n >= mp->nb) grow(mp);
	size_t k = bucket(mp, e->txid);
	e->next = mp->b[k];
	mp->b[k] = e;
	mp->n++;
	e = NULL;
	rc = 1;
out:
	/* Told under the lock: whoever sees the transaction held and resolved
	 * (tl_mempool_unresolved) knows the listener has heard of it. */
	if (rc == 1 && mp->listener) mp->listener(mp->listener_ctx, tx.txid);
	pthread_mutex_unlock(&mp->mu);
	if (e) free_entry(e);
	free(vals);
	tl_arena_free(&ar);
	return rc;
}

static int unlink_entry(struct tl_mempool *mp, const uint8_t txid[32])
{
	struct mp_entry **pp = &mp->b[bucket(mp, txid)];
	for (; *pp; pp = &(*pp)->next)
		if (!memcmp((*pp)->txid, txid, 32)) {
			struct mp_entry *e = *pp;
			*pp = e->next;
			free_entry(e);
			mp->n--;
			return 1;
		}
	return 0;
}

/* Removes txid, then whatever spends an output of it, recursively. */
static size_t remove_tree(struct tl_mempool *mp, const uint8_t txid[32])
{
	uint8_t id[32];
	memcpy(id, txid, 32);
	if (!unlink_entry(mp, id)) return 0;
	size_t n = 1;
	for (int again = 1; again;) {
		again = 0;
		for (size_t i = 0; i < mp->nb && !again; i++)
			for (struct mp_entry *e = mp->b[i]; e && !again; e = e->next)
				for (uint32_t k = 0; k < e->n_in; k++)
					if (!memcmp(e->prev[k], id, 32)) {
						uint8_t child[32];
						memcpy(child, e->txid, 32);
						n += remove_tree(mp, child);
						again = 1;
						break;
					}
	}
	return n;
}

size_t tl_mempool_remove(struct tl_mempool *mp, const uint8_t txid[32])
{
	pthread_mutex_lock(&mp->mu);
	size_t n = remove_tree(mp, txid);
	pthread_mutex_unlock(&mp->mu);
	return n;
}

static int cmp32(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

size_t tl_mempool_retain(struct tl_mempool *mp, const uint8_t (*keep)[32], size_t n)
{
	uint8_t (*sorted)[32] = malloc(32 * (n ? n : 1));
	if (!sorted) return 0;
	memcpy(sorted, keep, 32 * n);
	qsort(sorted, n, 32, cmp32);
	pthread_mutex_lock(&mp->mu);
	size_t removed = 0;
	for (int again = 1; again;) {
		again = 0;
		for (size_t i = 0; i < mp->nb && !again; i++)
			for (struct mp_entry *e = mp->b[i]; e; e = e->next)
				if (!bsearch(e->txid, sorted, n, 32, cmp32)) {
					uint8_t id[32];
					memcpy(id, e->txid, 32);
					removed += remove_tree(mp, id);
					again = 1;
					break;
				}
	}
	pthread_mutex_unlock(&mp->mu);
	free(sorted);
	return removed;
}

int tl_mempool_has(struct tl_mempool *mp, const uint8_t txid[32])
{
	pthread_mutex_lock(&mp->mu);
	int r = find(mp, txid) != NULL;
	pthread_mutex_unlock(&mp->mu);
	return r;
}

size_t tl_mempool_count(struct tl_mempool *mp)
{
	pthread_mutex_lock(&mp->mu);
	size_t n = mp->n;
	pthread_mutex_unlock(&mp->mu);
	return n;
}

/* Whether an unconfirmed parent of e is itself unresolved. */
static int parent_unresolved(struct tl_mempool *mp, const struct mp_entry *e)
{
	for (uint32_t i = 0; i < e->n_in; i++) {
		const struct mp_entry *p = find(mp, e->prev[i]);
		if (p && p->unresolved) return 1;
	}
	return 0;
}

size_t tl_mempool_unresolved(struct tl_mempool *mp)
{
	pthread_mutex_lock(&mp->mu);
	size_t n = 0;
	for (size_t i = 0; i < mp->nb; i++)
		for (const struct mp_entry *e = mp->b[i]; e; e = e->next) n += e->unresolved != 0;
	pthread_mutex_unlock(&mp->mu);
	return n;
}

int tl_mempool_resolved(struct tl_mempool *mp, const uint8_t txid[32])
{
	pthread_mutex_lock(&mp->mu);
	const struct mp_entry *e = find(mp, txid);
	int r = e ? !e->unresolved : -1;
	pthread_mutex_unlock(&mp->mu);
	return r;
}

size_t tl_mempool_rescreen(struct tl_mempool *mp, tl_prevout_fn fn, void *ctx)
{
	pthread_mutex_lock(&mp->mu);
	size_t n = 0;
	/* Parents before children: a transaction whose unconfirmed parent is
	 * still unresolved waits for the next pass, which sees the parent's
	 * new outputs. Passes end when one resolves nothing more. */
	for (int progress = 1; progress;) {
	progress = 0;
	for (size_t i = 0; i < mp->nb; i++)
		for (struct mp_entry *e = mp->b[i]; e; e = e->next) {
			if (!e->unresolved || parent_unresolved(mp, e)) continue;
			uint64_t *vals = malloc(sizeof *vals * (e->n_out ? e->n_out : 1));
			if (!vals) continue;
			for (uint32_t o = 0; o < e->n_out; o++) vals[o] = e->out[o].value;
			struct tl_err err;
			if (screen_entry(mp, e, vals, fn, ctx, &err) == 0 && !e->unresolved) {
				progress = 1;
				if (mp->listener) mp->listener(mp->listener_ctx, e->txid);
				n++;
			}
			free(vals);
		}
	}
	pthread_mutex_unlock(&mp->mu);
	return n;
}

int tl_mempool_output(struct tl_mempool *mp, const uint8_t txid[32], uint32_t vout, uint64_t *value,
		      struct tl_screen_exp *exp, size_t cap)
{
	pthread_mutex_lock(&mp->mu);
	struct mp_entry *e = find(mp, txid);
	int n = -1;
	if (e && vout < e->n_out) {
		*value = e->out[vout].value;
		n = 0;
		for (uint32_t k = 0; k < e->out[vout].nexp && (size_t)n < cap; k++) exp[n++] = e->out[vout].exp[k];
	}
	pthread_mutex_unlock(&mp->mu);
	return n;
}

static int risk_rank(const char *r)
{
	static const char *order[] = { "none", "low", "medium", "high", "severe" };
	for (int i = 0; i < 5; i++)
		if (r && !strcmp(r, order[i])) return i;
	return 0;
}

json_t *tl_mempool_screen(struct tl_mempool *mp, struct tl_screen *sc, const uint8_t txid[32], uint32_t vout)
{
	char hex[65];
	tl_hash_to_hex(txid, hex);
	struct tl_screen_exp exp[TL_MEMPOOL_MAX_EXP];
	uint64_t value;
	if (vout != UINT32_MAX) {
		int n = tl_mempool_output(mp, txid, vout, &value, exp, TL_MEMPOOL_MAX_EXP);
		if (n < 0) return NULL;
		char op[80];
		snprintf(op, sizeof op, "%s:%u", hex, vout);
		json_t *v = tl_screen_verdict(sc, json_pack("{s:s,s:s}", "kind", "outpoint", "outpoint", op), exp, n);
		json_object_set_new(v, "value_sat", json_integer((json_int_t)value));
		json_object_set_new(v, "confirmations", json_integer(0));
		return v;
	}
	pthread_mutex_lock(&mp->mu);
	struct mp_entry *e = find(mp, txid);
	uint32_t n_out = e ? e->n_out : 0;
	pthread_mutex_unlock(&mp->mu);
	if (!e) return NULL;
	json_t *outs = json_array(), *worst = NULL;
	int wr = -1;
	for (uint32_t o = 0; o < n_out; o++) {
		json_t *v = tl_mempool_screen(mp, sc, txid, o);
		if (!v) break; /* removed meanwhile */
		int r = risk_rank(json_string_value(json_object_get(v, "risk")));
		json_object_set_new(v, "vout", json_integer(o));
		if (r > wr) {
			wr = r;
			worst = v;
		}
		json_array_append_new(outs, v);
	}
	json_t *ex = worst ? json_incref(json_object_get(worst, "exposures")) : json_array();
	json_t *rs = worst ? json_incref(json_object_get(worst, "reasons")) : json_array();
	json_t *res = json_pack("{s:{s:s,s:s},s:s,s:b,s:o,s:o,s:o,s:i}", "subject", "kind", "tx", "txid", hex, "risk",
				worst ? json_string_value(json_object_get(worst, "risk")) : "none", "sanctioned", 0,
				"exposures", ex, "reasons", rs, "outputs", outs, "confirmations", 0);
	return res;
}

int tl_mempool_index_prevout(void *ctx, const uint8_t txid[32], uint32_t vout, uint64_t *value,
			     struct tl_screen_exp *exp, size_t cap, struct tl_err *err)
{
	struct tl_mempool_index *ix = ctx;
	struct tl_tx_rec r;
	int f = tl_store_tx_by_txid(ix->store, txid, &r, err);
	if (f < 0) return -1;
	if (f == 0) return -2;
	if (vout >= r.n_out) {
		tl_tx_rec_free(&r);
		return -2;
	}
	*value = r.out[vout].value;
	uint64_t num = r.tx_num;
	tl_tx_rec_free(&r);
	return tl_screen_lookup_outref(ix->sc, num, vout, exp, cap, err);
}

int tl_mempool_raw(struct tl_mempool *mp, const uint8_t txid[32], uint8_t **raw, size_t *len)
{
	pthread_mutex_lock(&mp->mu);
	struct mp_entry *e = find(mp, txid);
	int r = 0;
	if (e) {
		*raw = malloc(e->len ? e->len : 1);
		if (!*raw) abort();
		memcpy(*raw, e->raw, e->len);
		*len = e->len;
		r = 1;
	}
	pthread_mutex_unlock(&mp->mu);
	return r;
}

size_t tl_mempool_txids(struct tl_mempool *mp, uint8_t (**out)[32])
{
	pthread_mutex_lock(&mp->mu);
	uint8_t (*v)[32] = malloc(32 * (mp->n ? mp->n : 1));
	if (!v) abort();
	size_t n = 0;
	for (size_t i = 0; i < mp->nb; i++)
		for (struct mp_entry *e = mp->b[i]; e; e = e->next) memcpy(v[n++], e->txid, 32);
	pthread_mutex_unlock(&mp->mu);
	*out = v;
	return n;
}
