/* Watch alerts: events and delivery threads (live/alerts.h). */
#include "live/alerts.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "bitcoin/address.h"
#include "base/arena.h"
#include "base/bytes.h"
#include "bitcoin/hash.h"
#include "bitcoin/tx.h"
#include "live/watch.h"
#include "store/watches.h"
#include "tracer/entities.h"
#include "tracer/screen.h"

#define CURSOR_META "alerts_cursor"
#define CURSOR_KEEP 100   /* block hashes kept to find a fork */
#define MAX_BLOCKS 200    /* blocks scanned per round */
#define MAX_TXQ 100000    /* mempool txids waiting; past it, the whole mempool is looked at again */
#define MAX_EXP 64

struct event {
	char type[12];
	char key[220];
	json_t *data;        /* the body's "data" */
	uint64_t only_watch; /* reorg: the one watch it is for; 0 = any that matches */
	int32_t height;      /* deposit/confirmed in a block: its height and hash, for the reorg record */
	char hash[65];
};

struct evlist {
	struct event *v;
	size_t n, cap;
};

struct tl_alerts {
	struct tl_alerts_opts o;
	struct tl_app *app;
	pthread_t events_thread, deliver_thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cond_ev, cond_dl;
	int stop, kick_dl;
	uint8_t (*txq)[32];
	size_t ntx, captx;
	int rescan_all;
	size_t inflight; /* txids taken by the running round (or kept for a retry) */
	struct tl_alerts_stats st;
	/* the scheduling clock */
	int64_t wall0_ms, mono0_ms;
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t sched_ms(const struct tl_alerts *a)
{
	double s = a->o.time_scale > 0 ? a->o.time_scale : 1;
	return a->wall0_ms + (int64_t)((double)(mono_ms() - a->mono0_ms) * s);
}

static void logf_(struct tl_alerts *a, const char *what, const char *msg)
{
	pthread_mutex_lock(&a->mu);
	a->st.errors++;
	pthread_mutex_unlock(&a->mu);
	if (a->o.log) fprintf(a->o.log, "taintline serve: alerts: %s: %s\n", what, msg);
}

struct tl_alerts *tl_alerts_new(const struct tl_alerts_opts *o)
{
	struct tl_alerts *a = calloc(1, sizeof *a);
	if (!a) return NULL;
	a->o = *o;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cond_ev, NULL);
	pthread_cond_init(&a->cond_dl, NULL);
	a->st.height = -1;
	a->wall0_ms = wall_ms();
	a->mono0_ms = mono_ms();
	return a;
}

void tl_alerts_tx(void *arg, const uint8_t txid[32])
{
	struct tl_alerts *a = arg;
	pthread_mutex_lock(&a->mu);
	if (a->ntx == a->captx && a->captx < MAX_TXQ) {
		size_t nc = a->captx ? a->captx * 2 : 256;
		uint8_t (*nq)[32] = realloc(a->txq, 32 * nc);
		if (nq) {
			a->txq = nq;
			a->captx = nc;
		}
	}
	if (a->ntx < a->captx) memcpy(a->txq[a->ntx++], txid, 32);
	else a->rescan_all = 1;
	pthread_cond_signal(&a->cond_ev);
	pthread_mutex_unlock(&a->mu);
}

/* ---------------- events ---------------- */

static struct event *ev_add(struct evlist *l, const char *type, json_t *data)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 64;
		struct event *nv = realloc(l->v, nc * sizeof *nv);
		if (!nv) abort();
		l->v = nv;
		l->cap = nc;
	}
	struct event *e = &l->v[l->n++];
	memset(e, 0, sizeof *e);
	snprintf(e->type, sizeof e->type, "%s", type);
	e->data = data;
	e->height = -1;
	return e;
}

static void ev_free(struct evlist *l)
{
	for (size_t i = 0; i < l->n; i++) json_decref(l->v[i].data);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* The body's data for one output from a verdict's exposures and risk. */
static json_t *data_of(const char *txid, uint32_t vout, const char *address, uint64_t value, int64_t confirmations,
		       json_t *verdict)
{
	json_t *d = json_pack("{s:s,s:i,s:I,s:I,s:s,s:O}", "txid", txid, "vout", (int)vout, "amount_sat",
			      (json_int_t)value, "confirmations", (json_int_t)confirmations, "risk",
			      json_string_value(json_object_get(verdict, "risk")) ?: "none", "exposures",
			      json_object_get(verdict, "exposures"));
	if (!d) abort();
	json_object_set_new(d, "address", address && *address ? json_string(address) : json_null());
	return d;
}

static int has_exposure(json_t *verdict)
{
	return json_array_size(json_object_get(verdict, "exposures")) > 0;
}

/* The candidate (live/watch.h) described by data; exposures point into
 * data. */
static void candidate_of(json_t *data, struct tl_watch_candidate *c, struct tl_watch_exposure *ex)
{
	memset(c, 0, sizeof *c);
	snprintf(c->txid, sizeof c->txid, "%s", json_string_value(json_object_get(data, "txid")) ?: "");
	c->vout = (uint32_t)json_integer_value(json_object_get(data, "vout"));
	c->address = json_string_value(json_object_get(data, "address"));
	c->value_sat = (uint64_t)json_integer_value(json_object_get(data, "amount_sat"));
	c->confirmations = (uint32_t)json_integer_value(json_object_get(data, "confirmations"));
	c->risk = json_string_value(json_object_get(data, "risk"));
	json_t *xs = json_object_get(data, "exposures"), *x;
	size_t i;
	json_array_foreach(xs, i, x)
	{
		if (c->nexp == MAX_EXP) break;
		ex[c->nexp].heist = json_string_value(json_object_get(x, "heist")) ?: "";
		ex[c->nexp].amount_sat = (uint64_t)json_integer_value(json_object_get(x, "amount_sat"));
		ex[c->nexp].hops = (uint32_t)json_integer_value(json_object_get(x, "hops"));
		c->nexp++;
	}
	c->exp = ex;
}

/* A confirmed output's verdict, address and confirmations (NULL when the
 * index does not hold it). */
static json_t *confirmed_output(struct tl_app *app, struct tl_screen *sc, const uint8_t txid[32], uint32_t vout,
				int32_t tip, int64_t *confs)
{
	struct tl_err err;
	json_t *v = tl_screen_outpoint(sc, txid, vout, &err);
	if (!v) return NULL;
	struct tl_tx_rec r;
	*confs = 0;
	if (tl_store_tx_by_txid(app->store, txid, &r, &err) == 1) {
		*confs = tip - r.height + 1;
		tl_tx_rec_free(&r);
	}
	return v;
}

/* The address of output vout of a raw transaction ("" when none). */
static void raw_address(const struct tl_netparams *np, const uint8_t *raw, size_t len, uint32_t vout,
			char out[TL_ADDRESS_MAX])
{
	out[0] = 0;
	struct tl_arena ar;
	tl_arena_init(&ar);
	struct tl_reader r;
	tl_reader_init(&r, raw, len);
	struct tl_tx tx;
	struct tl_err err;
	if (tl_tx_parse(&r, &ar, &tx, &err) == 0 && vout < tx.n_out &&
	    tl_address_from_script(tx.out[vout].script, tx.out[vout].script_len, np, out) < 0)
		out[0] = 0;
	tl_arena_free(&ar);
}

/* The events of one mempool transaction: its outputs' deposits and the
 * movements of the tainted outputs it spends. */
static void mempool_tx(struct tl_alerts *a, struct tl_screen *sc, int32_t tip, const uint8_t txid[32],
		       struct evlist *out)
{
	struct tl_mempool *mp = a->o.mempool;
	uint8_t *raw;
	size_t len;
	/* A screening that missed some input (its block not indexed yet) is
	 * partial: the transaction is examined when the mempool resolves it
	 * (tl_mempool_rescreen tells the listener). */
	if (tl_mempool_resolved(mp, txid) != 1) return;
	if (!tl_mempool_raw(mp, txid, &raw, &len)) return; /* gone meanwhile */
	struct tl_arena ar;
	tl_arena_init(&ar);
	struct tl_reader r;
	tl_reader_init(&r, raw, len);
	struct tl_tx tx;
	struct tl_err err;
	if (tl_tx_parse(&r, &ar, &tx, &err) < 0) goto out;
	char hex[65];
	tl_hash_to_hex(txid, hex);
	for (uint32_t o = 0; o < tx.n_out; o++) {
		json_t *v = tl_mempool_screen(mp, sc, txid, o);
		if (!v) break;
		if (has_exposure(v)) {
			char addr[TL_ADDRESS_MAX];
			if (tl_address_from_script(tx.out[o].script, tx.out[o].script_len, a->app->net, addr) < 0) addr[0] = 0;
			struct event *e = ev_add(out, "deposit", data_of(hex, o, addr, tx.out[o].value, 0, v));
			snprintf(e->key, sizeof e->key, "deposit/%s:%u", hex, o);
		}
		json_decref(v);
	}
	if (tl_tx_is_coinbase(&tx)) goto out;
	for (uint32_t i = 0; i < tx.n_in; i++) {
		const uint8_t *prev = tx.in[i].prev_txid;
		uint32_t pv = tx.in[i].prev_vout;
		char phex[65], addr[TL_ADDRESS_MAX] = "";
		tl_hash_to_hex(prev, phex);
		int64_t confs = 0;
		uint64_t value = 0;
		json_t *v = tl_mempool_screen(mp, sc, prev, pv);
		if (v) {
			uint8_t *praw;
			size_t plen;
			if (tl_mempool_raw(mp, prev, &praw, &plen)) {
				raw_address(a->app->net, praw, plen, pv, addr);
				free(praw);
			}
			value = (uint64_t)json_integer_value(json_object_get(v, "value_sat"));
		} else {
			v = confirmed_output(a->app, sc, prev, pv, tip, &confs);
			if (!v) continue;
			json_t *subj = json_object_get(v, "subject");
			snprintf(addr, sizeof addr, "%s", json_string_value(json_object_get(subj, "address")) ?: "");
			value = (uint64_t)json_integer_value(json_object_get(subj, "value_sat"));
		}
		if (has_exposure(v)) {
			json_t *d = data_of(phex, pv, addr, value, confs, v);
			json_object_set_new(d, "spent_by", json_string(hex));
			struct event *e = ev_add(out, "movement", d);
			snprintf(e->key, sizeof e->key, "movement/%s:%u", phex, pv);
		}
		json_decref(v);
	}
out:
	tl_arena_free(&ar);
	free(raw);
}

/* The events of one indexed block: deposits and confirmations of its
 * tainted outputs, movements of the tainted outputs it spends. Returns 0
 * or -1 with err. */
static int block_events(struct tl_alerts *a, struct tl_screen *sc, const struct tl_block_rec *b, int32_t tip,
			struct evlist *out, struct tl_err *err)
{
	struct tl_store *s = a->app->store;
	char bhex[65];
	tl_hash_to_hex(b->hash, bhex);
	int64_t confs = tip - b->height + 1;
	struct tl_screen_exp exp[MAX_EXP];
	for (uint64_t t = b->first_tx_num; t < b->first_tx_num + b->n_tx; t++) {
		struct tl_tx_rec r;
		if (tl_store_tx(s, t, &r, err) != 1) return tl_err_set(err, "block %s: transaction %" PRIu64 " not found", bhex, t);
		char hex[65];
		tl_hash_to_hex(r.txid, hex);
		for (uint32_t o = 0; o < r.n_out; o++) {
			int n = tl_screen_lookup_outref(sc, t, o, exp, MAX_EXP, err);
			if (n < 0) goto fail;
			if (n == 0) continue;
			json_t *v = tl_screen_outpoint(sc, r.txid, o, err);
			if (!v) goto fail;
			if (has_exposure(v)) {
				const char *addr = json_string_value(json_object_get(json_object_get(v, "subject"), "address"));
				static const char *types[2] = { "deposit", "confirmed" };
				for (int k = 0; k < 2; k++) {
					json_t *d = data_of(hex, o, addr, r.out[o].value, confs, v);
					json_object_set_new(d, "block_hash", json_string(bhex));
					json_object_set_new(d, "block_height", json_integer(b->height));
					struct event *e = ev_add(out, types[k], d);
					snprintf(e->key, sizeof e->key, "%s/%s:%u", types[k], hex, o);
					e->height = b->height;
					memcpy(e->hash, bhex, 65);
				}
			}
			json_decref(v);
		}
		for (uint32_t i = 0; i < r.n_in; i++) {
			if (r.in[i].kind != TL_IN_KNOWN) continue;
			int n = tl_screen_lookup_outref(sc, r.in[i].prev_tx_num, r.in[i].prev_vout, exp, MAX_EXP, err);
			if (n < 0) goto fail;
			if (n == 0) continue;
			struct tl_tx_rec p;
			if (tl_store_tx(s, r.in[i].prev_tx_num, &p, err) != 1) goto fail;
			char phex[65];
			tl_hash_to_hex(p.txid, phex);
			int64_t pconfs = tip - p.height + 1;
			json_t *v = tl_screen_outpoint(sc, p.txid, r.in[i].prev_vout, err);
			tl_tx_rec_free(&p);
			if (!v) goto fail;
			if (has_exposure(v)) {
				json_t *subj = json_object_get(v, "subject");
				json_t *d = data_of(phex, r.in[i].prev_vout, json_string_value(json_object_get(subj, "address")),
						    (uint64_t)json_integer_value(json_object_get(subj, "value_sat")), pconfs, v);
				json_object_set_new(d, "spent_by", json_string(hex));
				struct event *e = ev_add(out, "movement", d);
				snprintf(e->key, sizeof e->key, "movement/%s:%u", phex, r.in[i].prev_vout);
			}
			json_decref(v);
		}
		tl_tx_rec_free(&r);
		continue;
fail:
		tl_tx_rec_free(&r);
		return -1;
	}
	return 0;
}

/* The cursor: the last scanned height and the hashes up to it. */
struct cursor {
	int32_t height; /* -1 = none yet */
	int32_t first;  /* height of hashes[0] */
	size_t n;
	char hashes[CURSOR_KEEP][65];
};

static void cursor_load(struct tl_store *s, struct cursor *c)
{
	c->height = -1;
	c->n = 0;
	char *v = NULL;
	struct tl_err err;
	if (tl_store_get_meta(s, CURSOR_META, &v, &err) != 1) return;
	json_t *j = json_loads(v, 0, NULL);
	free(v);
	json_t *hs = json_object_get(j, "hashes");
	c->height = (int32_t)json_integer_value(json_object_get(j, "height"));
	size_t n = json_array_size(hs);
	if (n > CURSOR_KEEP) n = CURSOR_KEEP;
	c->first = c->height - (int32_t)n + 1;
	for (size_t i = 0; i < n; i++)
		snprintf(c->hashes[i], 65, "%s", json_string_value(json_array_get(hs, i)) ?: "");
	c->n = n;
	if (!json_is_object(j)) c->height = -1;
	json_decref(j);
}

static char *cursor_text(const struct cursor *c)
{
	json_t *hs = json_array();
	for (size_t i = 0; i < c->n; i++) json_array_append_new(hs, json_string(c->hashes[i]));
	json_t *j = json_pack("{s:i,s:o}", "height", (int)c->height, "hashes", hs);
	char *t = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!t) abort();
	return t;
}

static void cursor_push(struct cursor *c, int32_t height, const char hash[65])
{
	/* keep hashes contiguous up to height */
	while (c->n && c->first + (int32_t)c->n - 1 >= height) c->n--;
	if (c->n && c->first + (int32_t)c->n != height) c->n = 0;
	if (c->n == CURSOR_KEEP) {
		memmove(c->hashes[0], c->hashes[1], (CURSOR_KEEP - 1) * 65);
		c->n--;
		c->first++;
	}
	if (!c->n) c->first = height;
	memcpy(c->hashes[c->n++], hash, 65);
	c->height = height;
}

/* What a round writes besides the events. */
struct round {
	struct tl_alerts *a;
	struct evlist ev;
	struct cursor cur;
	int cursor_changed;
	/* alert records of removed blocks to delete, and markers to delete */
	struct {
		int32_t height;
		char hash[65];
	} * gone;
	size_t ngone;
	struct {
		uint64_t watch;
		char key[220];
	} * unmark;
	size_t nunmark;
	int64_t now_ms;
	uint64_t queued;
};

struct wentry {
	uint64_t id;
	char *text;
	uint64_t next_seq; /* 0 = not read yet */
};

struct wlist {
	struct wentry *v;
	size_t n, cap;
};

static int wcollect(uint64_t id, const char *text, void *ctx)
{
	struct wlist *l = ctx;
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 16;
		struct wentry *nv = realloc(l->v, nc * sizeof *nv);
		if (!nv) abort();
		l->v = nv;
		l->cap = nc;
	}
	l->v[l->n++] = (struct wentry){ .id = id, .text = strdup(text) };
	return 0;
}

/* The alert record of a block being written: per output, the data and
 * the watches alerted (deposit or confirmed) for it. */
static void record_add(json_t *recs, const struct event *e, uint64_t watch)
{
	char k[80];
	snprintf(k, sizeof k, "%s", e->hash);
	json_t *rec = json_object_get(recs, k);
	if (!rec) {
		rec = json_pack("{s:i,s:o}", "height", (int)e->height, "outputs", json_object());
		json_object_set_new(recs, k, rec);
	}
	char ok[80];
	snprintf(ok, sizeof ok, "%s:%d", json_string_value(json_object_get(e->data, "txid")),
		 (int)json_integer_value(json_object_get(e->data, "vout")));
	json_t *outs = json_object_get(rec, "outputs"), *o = json_object_get(outs, ok);
	if (!o) {
		o = json_pack("{s:O,s:[]}", "data", e->data, "watches");
		json_object_set_new(outs, ok, o);
	}
	json_t *ws = json_object_get(o, "watches"), *x;
	size_t i;
	json_array_foreach(ws, i, x) if ((uint64_t)json_integer_value(x) == watch) return;
	json_array_append_new(ws, json_integer((json_int_t)watch));
}

/* Writes a round into the primary: every (event, matching watch) not
 * queued before gets its delivery and marker, in one batch with the
 * cursor and the reorg records. */
static int write_round(struct tl_store *w, void *ctx, struct tl_err *err)
{
	struct round *R = ctx;
	struct wlist wl = { 0 };
	int rc = tl_watches_list(w, wcollect, &wl, err);
	struct tl_batch *b = tl_batch_new(w);
	json_t *recs = json_object();
	/* keys queued in this batch (two events of one key in one round) */
	json_t *fresh = json_object();
	R->queued = 0;
	for (size_t i = 0; rc == 0 && i < R->ev.n; i++) {
		struct event *e = &R->ev.v[i];
		struct tl_watch_candidate c;
		struct tl_watch_exposure ex[MAX_EXP];
		candidate_of(e->data, &c, ex);
		for (size_t k = 0; rc == 0 && k < wl.n; k++) {
			struct wentry *we = &wl.v[k];
			if (e->only_watch && e->only_watch != we->id) continue;
			if (tl_watch_matches(we->text, e->type, &c) != 1) continue;
			if (e->height >= 0) record_add(recs, e, we->id);
			char fk[260];
			snprintf(fk, sizeof fk, "%" PRIu64 "/%s", we->id, e->key);
			if (json_object_get(fresh, fk)) continue;
			int r = tl_watch_event_get(w, we->id, e->key, NULL, err);
			if (r < 0) rc = -1;
			if (r != 0) continue;
			if (!we->next_seq && tl_watch_delivery_next(w, we->id, &we->next_seq, err) < 0) {
				rc = -1;
				break;
			}
			uint64_t seq = we->next_seq++;
			tl_deliver_put(b, we->id, seq, e->type, e->data, R->now_ms);
			char sv[24];
			snprintf(sv, sizeof sv, "%" PRIu64, seq);
			tl_batch_put_watch_event(b, we->id, e->key, sv);
			json_object_set_new(fresh, fk, json_true());
			R->queued++;
		}
	}
	for (size_t i = 0; i < R->nunmark; i++) tl_batch_del_watch_event(b, R->unmark[i].watch, R->unmark[i].key);
	for (size_t i = 0; i < R->ngone; i++) tl_batch_del_alert_block(b, R->gone[i].height, R->gone[i].hash);
	const char *hk;
	json_t *rec;
	json_object_foreach(recs, hk, rec)
	{
		char *t = json_dumps(rec, JSON_COMPACT);
		if (!t) abort();
		tl_batch_put_alert_block(b, (int32_t)json_integer_value(json_object_get(rec, "height")), hk, t);
		free(t);
	}
	if (R->cursor_changed) {
		char *t = cursor_text(&R->cur);
		tl_batch_put_meta(b, CURSOR_META, t);
		free(t);
	}
	if (rc == 0) rc = tl_store_write(w, b, err);
	tl_batch_free(b);
	json_decref(recs);
	json_decref(fresh);
	for (size_t k = 0; k < wl.n; k++) free(wl.v[k].text);
	free(wl.v);
	return rc;
}

static int write_fn(void *ctx, int (*fn)(struct tl_store *w, void *fctx, struct tl_err *err), void *fctx,
		    struct tl_err *err)
{
	return tl_app_write(ctx, fn, fctx, err);
}

/* Reorg: the alert records above fork whose block is no longer at its
 * height. Their outputs whose transaction left the chain get a reorg
 * event for each watch alerted. */
struct reorg_ctx {
	struct round *R;
	struct tl_store *s;
	int failed;
};

static int on_record(int32_t height, const char *hash, const char *text, void *ctx)
{
	struct reorg_ctx *x = ctx;
	struct round *R = x->R;
	struct tl_block_rec br;
	struct tl_err err;
	int r = tl_store_block_by_height(x->s, height, &br, &err);
	if (r < 0) {
		x->failed = 1;
		return 1;
	}
	char cur[65] = "";
	if (r == 1) tl_hash_to_hex(br.hash, cur);
	if (!strcmp(cur, hash)) return 0; /* still on the chain */
	R->gone = realloc(R->gone, (R->ngone + 1) * sizeof *R->gone);
	if (!R->gone) abort();
	R->gone[R->ngone].height = height;
	memcpy(R->gone[R->ngone].hash, hash, 65);
	R->ngone++;
	json_t *rec = json_loads(text, 0, NULL);
	const char *ok;
	json_t *o;
	json_object_foreach(json_object_get(rec, "outputs"), ok, o)
	{
		json_t *data = json_object_get(o, "data");
		uint8_t txid[32];
		const char *th = json_string_value(json_object_get(data, "txid"));
		if (!th || tl_hash_from_hex(th, txid) < 0) continue;
		struct tl_tx_rec tr;
		int f = tl_store_tx_by_txid(x->s, txid, &tr, &err);
		if (f < 0) {
			x->failed = 1;
			break;
		}
		if (f == 1) {
			tl_tx_rec_free(&tr);
			continue; /* in another block of the new chain: not gone */
		}
		json_t *w;
		size_t i;
		json_array_foreach(json_object_get(o, "watches"), i, w)
		{
			json_t *d = json_deep_copy(data);
			json_object_set_new(d, "confirmations", json_integer(0));
			json_object_del(d, "block_height");
			json_object_set_new(d, "removed_from_block", json_string(hash));
			json_object_del(d, "block_hash");
			struct event *e = ev_add(&R->ev, "reorg", d);
			snprintf(e->key, sizeof e->key, "reorg/%s/%s", ok, hash);
			e->only_watch = (uint64_t)json_integer_value(w);
			R->unmark = realloc(R->unmark, (R->nunmark + 1) * sizeof *R->unmark);
			if (!R->unmark) abort();
			R->unmark[R->nunmark].watch = e->only_watch;
			snprintf(R->unmark[R->nunmark].key, sizeof R->unmark[0].key, "confirmed/%s", ok);
			R->nunmark++;
		}
	}
	json_decref(rec);
	return 0;
}

/* The height every materialized heist's screening has reached in the
 * state read (meta "screen.heist.<id>", tracer/screen.h); heists whose
 * seeds are not indexed ("unresolved") have no exposure to wait for. */
struct screened {
	struct tl_store *s;
	int32_t height; /* INT32_MAX: no heist */
	struct tl_err *err;
	int failed;
};

static int screened_cb(void *ctx, const struct tl_heist_info *h)
{
	struct screened *x = ctx;
	char name[128], *val = NULL;
	snprintf(name, sizeof name, "screen.heist.%s", h->id);
	int r = tl_store_get_meta(x->s, name, &val, x->err);
	if (r < 0) {
		x->failed = 1;
		return 1;
	}
	if (r == 0) return 0; /* never materialized: no exposure */
	json_t *j = json_loads(val, 0, NULL);
	free(val);
	if (!j) return 0;
	const char *un = json_string_value(json_object_get(j, "unresolved"));
	int32_t hh = (int32_t)json_integer_value(json_object_get(j, "height"));
	if (!(un && *un) && hh < x->height) x->height = hh;
	json_decref(j);
	return 0;
}

/* One round of the events thread. Returns 1 when more blocks wait, 0, or
 * -1 with err. */
static int round_once(struct tl_alerts *a, uint8_t (*txs)[32], size_t ntx, struct tl_err *err)
{
	struct tl_app *app = a->app;
	struct round R = { .a = a };
	int rc = 0, more = 0;
	/* The tip as indexed and screened: the follower indexes and updates
	 * the screening under the write lock. */
	struct tl_tip tip;
	pthread_mutex_lock(&app->write_lock);
	rc = tl_store_catch_up(app->store, err);
	if (rc == 0) rc = tl_store_tip(app->store, &tip, err);
	pthread_mutex_unlock(&app->write_lock);
	if (rc < 0) return -1;
	/* One state for the whole scan: the tip, the screening's height and
	 * every lookup (a catch-up by another thread may switch the served
	 * state meanwhile). Also for the screening context: the pool files it
	 * under the state served when it is given back, so one taken before
	 * a block was indexed and given back after would later be handed out
	 * as if it knew that block, and the block's outputs would show no
	 * exposure (whole blocks' events were lost so). */
	tl_store_view_begin(app->store);
	struct tl_screen *sc = tl_app_screen_get(app, err);
	if (!sc) {
		tl_store_view_end(app->store);
		return -1;
	}
	cursor_load(app->store, &R.cur);
	if (R.cur.height < 0) {
		/* a new database: start at its tip */
		for (int32_t h = tip.height - CURSOR_KEEP + 1 > 0 ? tip.height - CURSOR_KEEP + 1 : 0; h <= tip.height;
		     h++) {
			struct tl_block_rec br;
			if (tl_store_block_by_height(app->store, h, &br, err) != 1) continue;
			char hx[65];
			tl_hash_to_hex(br.hash, hx);
			cursor_push(&R.cur, h, hx);
		}
		R.cur.height = tip.height;
		R.cursor_changed = 1;
	} else {
		/* the fork: the highest kept height whose block is still there */
		int32_t fork = R.cur.first - 1;
		for (int32_t h = R.cur.height; h >= R.cur.first && R.cur.n; h--) {
			struct tl_block_rec br;
			int r = tl_store_block_by_height(app->store, h, &br, err);
			if (r < 0) {
				rc = -1;
				break;
			}
			char hx[65];
			if (r == 1) tl_hash_to_hex(br.hash, hx);
			if (r == 1 && !strcmp(hx, R.cur.hashes[h - R.cur.first])) {
				fork = h;
				break;
			}
		}
		if (rc == 0 && fork < R.cur.height) {
			if (a->o.log)
				fprintf(a->o.log, "taintline serve: alerts: reorg below height %d (was %d)\n", fork + 1,
					R.cur.height);
			pthread_mutex_lock(&a->mu);
			a->st.reorgs++;
			pthread_mutex_unlock(&a->mu);
			struct reorg_ctx x = { .R = &R, .s = app->store };
			if (tl_alert_blocks_above(app->store, fork, on_record, &x, err) < 0 || x.failed)
				rc = tl_err_set(err, "reading the alerted blocks failed");
			while (R.cur.n && R.cur.first + (int32_t)R.cur.n - 1 > fork) R.cur.n--;
			R.cur.height = fork;
			R.cursor_changed = 1;
		}
		int32_t last = tip.height;
		/* A block is examined once, so only when the screening covers it:
		 * examined before, its outputs would have no exposure yet and
		 * their events would be lost. */
		struct screened sx = { .s = app->store, .height = INT32_MAX, .err = err };
		if (rc == 0 && (tl_heists_list(app->store, screened_cb, &sx, err) < 0 || sx.failed)) rc = -1;
		if (rc == 0 && sx.height < last) {
			if (a->o.log && sx.height > R.cur.height)
				fprintf(a->o.log, "taintline serve: alerts: blocks up to %d indexed, screened up to %d\n",
					last, sx.height);
			last = sx.height;
		}
		if (last > R.cur.height + MAX_BLOCKS) {
			last = R.cur.height + MAX_BLOCKS;
			more = 1;
		}
		uint64_t scanned = 0;
		for (int32_t h = R.cur.height + 1; rc == 0 && h <= last; h++) {
			struct tl_block_rec br;
			if (tl_store_block_by_height(app->store, h, &br, err) != 1) {
				rc = tl_err_set(err, "block %d of the index is missing", h);
				break;
			}
			if (block_events(a, sc, &br, tip.height, &R.ev, err) < 0) {
				rc = -1;
				break;
			}
			char hx[65];
			tl_hash_to_hex(br.hash, hx);
			cursor_push(&R.cur, h, hx);
			R.cursor_changed = 1;
			scanned++;
		}
		pthread_mutex_lock(&a->mu);
		a->st.blocks += scanned;
		pthread_mutex_unlock(&a->mu);
	}
	if (rc == 0 && a->o.mempool)
		for (size_t i = 0; i < ntx; i++) mempool_tx(a, sc, tip.height, txs[i], &R.ev);
	tl_app_screen_put(app, sc);
	tl_store_view_end(app->store);
	if (rc == 0 && (R.ev.n || R.cursor_changed || R.ngone)) {
		R.now_ms = sched_ms(a);
		rc = tl_app_write(app, write_round, &R, err);
		if (rc == 0) {
			pthread_mutex_lock(&a->mu);
			a->st.events += R.queued;
			a->st.height = R.cur.height;
			if (R.queued) {
				a->kick_dl = 1;
				pthread_cond_signal(&a->cond_dl);
			}
			pthread_mutex_unlock(&a->mu);
		}
	} else if (rc == 0) {
		pthread_mutex_lock(&a->mu);
		a->st.height = R.cur.height;
		pthread_mutex_unlock(&a->mu);
	}
	ev_free(&R.ev);
	free(R.gone);
	free(R.unmark);
	return rc < 0 ? -1 : more;
}

static void timed_wait(pthread_cond_t *c, pthread_mutex_t *m, int ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(c, m, &ts);
}

static void *events_main(void *arg)
{
	struct tl_alerts *a = arg;
	int poll = a->o.poll_ms > 0 ? a->o.poll_ms : 500;
	int more = 0;
	uint8_t (*retry)[32] = NULL; /* txids of a failed round, tried again */
	size_t nretry = 0;
	for (;;) {
		pthread_mutex_lock(&a->mu);
		if (!a->stop && !a->ntx && !a->rescan_all && !more && !nretry) timed_wait(&a->cond_ev, &a->mu, poll);
		if (a->stop) {
			pthread_mutex_unlock(&a->mu);
			break;
		}
		uint8_t (*txs)[32] = a->txq;
		size_t ntx = a->ntx;
		int all = a->rescan_all;
		a->txq = NULL;
		a->ntx = a->captx = 0;
		a->rescan_all = 0;
		a->inflight = ntx + nretry + (all ? 1 : 0);
		pthread_mutex_unlock(&a->mu);
		if (all && a->o.mempool) {
			free(txs);
			ntx = tl_mempool_txids(a->o.mempool, &txs);
		}
		if (nretry) {
			uint8_t (*m)[32] = realloc(txs, 32 * (ntx + nretry));
			if (!m) abort();
			memcpy(m[ntx], retry, 32 * nretry);
			txs = m;
			ntx += nretry;
			free(retry);
			retry = NULL;
			nretry = 0;
		}
		struct tl_err err;
		int r = round_once(a, txs, ntx, &err);
		if (r < 0) {
			logf_(a, "events", err.msg);
			retry = txs;
			nretry = ntx;
			txs = NULL;
			more = 0;
			/* back off a little: the database may be busy */
			pthread_mutex_lock(&a->mu);
			if (!a->stop) timed_wait(&a->cond_ev, &a->mu, poll);
			pthread_mutex_unlock(&a->mu);
		} else {
			more = r;
			pthread_mutex_lock(&a->mu);
			a->st.mempool_examined += ntx;
			pthread_mutex_unlock(&a->mu);
		}
		pthread_mutex_lock(&a->mu);
		a->inflight = nretry;
		pthread_mutex_unlock(&a->mu);
		free(txs);
	}
	free(retry);
	return NULL;
}

/* ---------------- delivery ---------------- */

static void *deliver_main(void *arg)
{
	struct tl_alerts *a = arg;
	for (;;) {
		pthread_mutex_lock(&a->mu);
		/* Due deliveries are looked for every 200 ms (of real time) and at
		 * once after new events. */
		if (!a->stop && !a->kick_dl) timed_wait(&a->cond_dl, &a->mu, 200);
		int stop = a->stop;
		a->kick_dl = 0;
		pthread_mutex_unlock(&a->mu);
		if (stop) break;
		struct tl_deliver_opts d = a->o.deliver;
		d.sig_time_ms = wall_ms();
		struct tl_err err;
		/* The events written since the served view last moved are read
		 * from it: a catch-up refused while an index run held its update
		 * marker would otherwise hide them until the next write. */
		if (tl_store_is_secondary(a->app->store) && tl_store_catch_up(a->app->store, &err) < 0)
			logf_(a, "delivery", err.msg);
		int r = tl_deliver_pass_split(a->app->store, write_fn, a->app, &d, sched_ms(a), &err);
		if (r < 0) {
			logf_(a, "delivery", err.msg);
			continue;
		}
		pthread_mutex_lock(&a->mu);
		a->st.delivered += (uint64_t)r;
		/* a full batch: more may be due at once */
		if ((size_t)r >= (d.max_batch ? d.max_batch : 256)) a->kick_dl = 1;
		pthread_mutex_unlock(&a->mu);
	}
	return NULL;
}

static int latest_ms(uint64_t watch, uint64_t seq, const char *text, void *ctx)
{
	(void)watch;
	(void)seq;
	int64_t *m = ctx;
	json_t *d = json_loads(text, 0, NULL);
	int64_t c = json_integer_value(json_object_get(d, "created_ms"));
	int64_t l = json_integer_value(json_object_get(d, "last_ms"));
	if (c > *m) *m = c;
	if (l > *m) *m = l;
	json_decref(d);
	return 0;
}

int tl_alerts_start(struct tl_alerts *a, struct tl_app *app, struct tl_err *err)
{
	a->app = app;
	if (a->o.time_scale > 1) {
		/* A scaled clock runs ahead of real time: after a restart it goes
		 * on from the latest time the deliveries record, or the retries
		 * scheduled by the previous run would wait for real time to catch
		 * up (as long as that run lasted, times the scale). */
		int64_t m = 0;
		if (tl_deliveries_all(app->store, latest_ms, &m, err) < 0) return -1;
		if (m > sched_ms(a)) {
			a->wall0_ms = m;
			a->mono0_ms = mono_ms();
		}
	}
	int rc = pthread_create(&a->events_thread, NULL, events_main, a);
	if (rc) return tl_err_set(err, "cannot start the alerts: %s", strerror(rc));
	rc = pthread_create(&a->deliver_thread, NULL, deliver_main, a);
	if (rc) {
		pthread_mutex_lock(&a->mu);
		a->stop = 1;
		pthread_cond_broadcast(&a->cond_ev);
		pthread_mutex_unlock(&a->mu);
		pthread_join(a->events_thread, NULL);
		return tl_err_set(err, "cannot start the deliveries: %s", strerror(rc));
	}
	a->started = 1;
	return 0;
}

void tl_alerts_free(struct tl_alerts *a)
{
	if (!a) return;
	if (a->started) {
		pthread_mutex_lock(&a->mu);
		a->stop = 1;
		pthread_cond_broadcast(&a->cond_ev);
		pthread_cond_broadcast(&a->cond_dl);
		pthread_mutex_unlock(&a->mu);
		pthread_join(a->events_thread, NULL);
		pthread_join(a->deliver_thread, NULL);
	}
	free(a->txq);
	pthread_cond_destroy(&a->cond_ev);
	pthread_cond_destroy(&a->cond_dl);
	pthread_mutex_destroy(&a->mu);
	free(a);
}

void tl_alerts_stats(struct tl_alerts *a, struct tl_alerts_stats *out)
{
	pthread_mutex_lock(&a->mu);
	*out = a->st;
	out->mempool_pending = a->ntx + a->inflight + (a->rescan_all ? 1 : 0);
	pthread_mutex_unlock(&a->mu);
}

void tl_alerts_health(struct json_t *obj, void *arg)
{
	struct tl_alerts *a = arg;
	/* Read before the queue (the mempool's lock, then the alerts'): a
	 * transaction resolved since is in the queue read next. */
	size_t unresolved = a->o.mempool ? tl_mempool_unresolved(a->o.mempool) : 0;
	struct tl_alerts_stats s;
	tl_alerts_stats(arg, &s);
	json_object_set_new(obj, "alerts",
			    json_pack("{s:I,s:I,s:I,s:I,s:I,s:i,s:I,s:I,s:I}", "events", (json_int_t)s.events, "delivered",
				      (json_int_t)s.delivered, "blocks_scanned", (json_int_t)s.blocks, "reorgs",
				      (json_int_t)s.reorgs, "errors", (json_int_t)s.errors, "height", (int)s.height,
				      "mempool_examined", (json_int_t)s.mempool_examined, "mempool_pending",
				      (json_int_t)s.mempool_pending, "mempool_unresolved", (json_int_t)unresolved));
}
