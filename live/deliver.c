/* Webhook delivery with retries (live/deliver.h). */
#include "live/deliver.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "live/httpsend.h"
#include "live/webhook.h"
#include "store/watches.h"

#define MAX_BACKOFF_MS (3600LL * 1000)

void tl_deliver_put(struct tl_batch *b, uint64_t watch, uint64_t seq, const char *type, json_t *data, int64_t now_ms)
{
	char iso[32];
	time_t t = (time_t)(now_ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_t *body = json_pack("{s:s,s:s,s:O}", "type", type, "timestamp", iso, "data", data);
	char *btext = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!btext) abort();
	char id[64];
	snprintf(id, sizeof id, "msg_%" PRIu64 "_%" PRIu64, watch, seq);
	json_t *d = json_pack("{s:s,s:s,s:I,s:s,s:s,s:i,s:I,s:s}", "webhook_id", id, "type", type, "created_ms",
			      (json_int_t)now_ms, "body", btext, "state", "pending", "attempts", 0, "next_ms",
			      (json_int_t)now_ms, "last_error", "");
	free(btext);
	char *text = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	if (!text) abort();
	tl_batch_put_watch_delivery(b, watch, seq, text);
	free(text);
}

int tl_deliver_enqueue(struct tl_store *w, uint64_t watch, const char *type, json_t *data, int64_t now_ms,
		       uint64_t *seq, struct tl_err *err)
{
	if (tl_watch_delivery_next(w, watch, seq, err) < 0) return -1;
	struct tl_batch *b = tl_batch_new(w);
	tl_deliver_put(b, watch, *seq, type, data, now_ms);
	int rc = tl_store_write(w, b, err);
	tl_batch_free(b);
	return rc;
}

/* One due delivery, read before sending. */
struct due {
	uint64_t watch, seq;
	json_t *d;      /* the stored delivery */
	char *url, *id, *body, *secret;
	char ts[24], sig[TL_WEBHOOK_SIG_LEN];
};

struct collect {
	struct tl_store *s;
	int64_t now_ms;
	struct due *v;
	size_t n, cap, max;
	struct tl_err *err;
	int failed;
	uint64_t cached_watch; /* the last watch read, reused for its next deliveries */
	json_t *cached;
};

static char *dup_str(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? strdup(v) : NULL;
}

static int collect_one(uint64_t watch, uint64_t seq, const char *text, void *ctx)
{
	struct collect *c = ctx;
	json_t *d = json_loads(text, 0, NULL);
	const char *state = json_string_value(json_object_get(d, "state"));
	if (!json_is_object(d) || !state || strcmp(state, "pending") ||
	    json_integer_value(json_object_get(d, "next_ms")) > c->now_ms) {
		json_decref(d);
		return 0;
	}
	if (c->n == c->max) {
		json_decref(d);
		return 1; /* the rest in the next pass */
	}
	if (!c->cached || c->cached_watch != watch) {
		json_decref(c->cached);
		c->cached = NULL;
		char *wtext = NULL;
		int r = tl_watch_get(c->s, watch, &wtext, c->err);
		if (r < 0) {
			c->failed = 1;
			json_decref(d);
			return 1;
		}
		c->cached = r ? json_loads(wtext, 0, NULL) : json_null();
		c->cached_watch = watch;
		free(wtext);
	}
	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 64;
		struct due *nv = realloc(c->v, nc * sizeof *nv);
		if (!nv) abort();
		c->v = nv;
		c->cap = nc;
	}
	struct due *u = &c->v[c->n++];
	memset(u, 0, sizeof *u);
	u->watch = watch;
	u->seq = seq;
	u->d = d;
	u->url = dup_str(c->cached, "url");
	u->secret = dup_str(c->cached, "secret");
	u->id = dup_str(d, "webhook_id");
	u->body = dup_str(d, "body");
	return 0;
}

/* Applies one attempt's outcome to its stored delivery. */
static void record(struct due *u, const struct tl_deliver_opts *o, int64_t now_ms, int status, const char *why,
		   int *delivered)
{
	json_t *d = u->d;
	json_int_t attempts = json_integer_value(json_object_get(d, "attempts")) + 1;
	json_object_set_new(d, "attempts", json_integer(attempts));
	json_object_set_new(d, "last_ms", json_integer((json_int_t)now_ms));
	if (status >= 200 && status < 300) {
		json_object_set_new(d, "state", json_string("delivered"));
		json_object_set_new(d, "last_error", json_string(""));
		(*delivered)++;
		return;
	}
	char msg[300];
	if (status >= 0) snprintf(msg, sizeof msg, "answered HTTP %d", status);
	else snprintf(msg, sizeof msg, "%s", why);
	json_object_set_new(d, "last_error", json_string(msg));
	int64_t back = o->base_ms;
	for (json_int_t i = 1; i < attempts && back < MAX_BACKOFF_MS; i++) back *= 2;
	if (back > MAX_BACKOFF_MS) back = MAX_BACKOFF_MS;
	int64_t next = now_ms + back;
	if (next > json_integer_value(json_object_get(d, "created_ms")) + o->max_age_s * 1000)
		json_object_set_new(d, "state", json_string("failed"));
	json_object_set_new(d, "next_ms", json_integer((json_int_t)next));
}

static void free_due(struct due *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_decref(v[i].d);
		free(v[i].url);
		free(v[i].id);
		free(v[i].body);
		free(v[i].secret);
	}
	free(v);
}

static void norm(struct tl_deliver_opts *d, const struct tl_deliver_opts *o)
{
	*d = *o;
	if (d->base_ms <= 0) d->base_ms = 2000;
	if (d->max_age_s <= 0) d->max_age_s = 86400;
	if (d->timeout_ms <= 0) d->timeout_ms = 5000;
	if (d->max_batch == 0) d->max_batch = 256;
}

/* Reads what is due from r, sends it, and hands the updated deliveries
 * to put (a batch for the writer). Returns delivered or -1. */
static int run_pass(struct tl_store *r, const struct tl_deliver_opts *o0, int64_t now_ms,
		    int (*put)(void *ctx, struct due *v, size_t n, struct tl_err *err), void *pctx, struct tl_err *err)
{
	struct tl_deliver_opts o;
	norm(&o, o0);
	struct collect c = { .s = r, .now_ms = now_ms, .max = o.max_batch, .err = err };
	int rc = tl_deliveries_all(r, collect_one, &c, err);
	json_decref(c.cached);
	if (rc == 0 && c.failed) rc = -1;
	if (rc < 0 || c.n == 0) {
		free_due(c.v, c.n);
		return rc < 0 ? -1 : 0;
	}
	struct tl_post *p = calloc(c.n, sizeof *p);
	if (!p) abort();
	int64_t ts = (o.sig_time_ms ? o.sig_time_ms : now_ms) / 1000;
	for (size_t i = 0; i < c.n; i++) {
		struct due *u = &c.v[i];
		p[i].url = u->url;
		p[i].body = u->body;
		snprintf(u->ts, sizeof u->ts, "%" PRId64, ts);
		struct tl_err e;
		if (!u->url || !u->secret || !u->id || !u->body) {
			snprintf(p[i].msg, sizeof p[i].msg, "the watch or the delivery is stored damaged");
			p[i].url = NULL;
		} else if (tl_webhook_sign(u->secret, u->id, ts, (const uint8_t *)u->body, strlen(u->body), u->sig, &e) <
			   0) {
			snprintf(p[i].msg, sizeof p[i].msg, "%.200s", e.msg);
			p[i].url = NULL;
		} else {
			p[i].nheaders = 3;
			p[i].hname[0] = "webhook-id";
			p[i].hvalue[0] = u->id;
			p[i].hname[1] = "webhook-timestamp";
			p[i].hvalue[1] = u->ts;
			p[i].hname[2] = "webhook-signature";
			p[i].hvalue[2] = u->sig;
		}
	}
	/* Only the well-formed ones go out; the others fail as recorded. */
	struct tl_post *send = calloc(c.n, sizeof *send);
	size_t *map = calloc(c.n, sizeof *map), ns = 0;
	if (!send || !map) abort();
	for (size_t i = 0; i < c.n; i++)
		if (p[i].url) {
			send[ns] = p[i];
			map[ns++] = i;
		}
	struct tl_post_opts po = { .timeout_ms = o.timeout_ms, .ca_file = o.ca_file };
	if (tl_post_all(send, ns, &po, err) < 0) rc = -1;
	for (size_t k = 0; k < ns; k++) {
		p[map[k]].status = send[k].status;
		memcpy(p[map[k]].msg, send[k].msg, sizeof p[map[k]].msg);
	}
	int delivered = 0;
	if (rc == 0) {
		for (size_t i = 0; i < c.n; i++) {
			record(&c.v[i], &o, now_ms, p[i].url ? p[i].status : -1, p[i].msg, &delivered);
		}
		rc = put(pctx, c.v, c.n, err);
	}
	free(send);
	free(map);
	free(p);
	free_due(c.v, c.n);
	return rc < 0 ? -1 : delivered;
}

/* Queues each updated delivery into batch b of the primary w; a watch
 * deleted meanwhile keeps its deliveries deleted. */
static int put_into(struct tl_store *w, struct tl_batch *b, struct due *v, size_t n, struct tl_err *err)
{
	for (size_t i = 0; i < n; i++) {
		char *wt = NULL;
		int r = tl_watch_get(w, v[i].watch, &wt, err);
		free(wt);
		if (r < 0) return -1;
		if (r == 0) continue;
		char *out = json_dumps(v[i].d, JSON_COMPACT);
		if (!out) abort();
		tl_batch_put_watch_delivery(b, v[i].watch, v[i].seq, out);
		free(out);
	}
	return 0;
}

struct direct {
	struct tl_store *w;
};

static int put_direct(void *ctx, struct due *v, size_t n, struct tl_err *err)
{
	struct direct *d = ctx;
	struct tl_batch *b = tl_batch_new(d->w);
	int rc = put_into(d->w, b, v, n, err);
	/* Written after the sends: a crash before this resends what was
	 * sent (at least once), never drops it. */
	if (rc == 0) rc = tl_store_write(d->w, b, err);
	tl_batch_free(b);
	return rc;
}

int tl_deliver_pass(struct tl_store *w, const struct tl_deliver_opts *o, int64_t now_ms, struct tl_err *err)
{
	struct direct d = { .w = w };
	return run_pass(w, o, now_ms, put_direct, &d, err);
}

struct split {
	tl_deliver_write_fn write;
	void *ctx;
	struct due *v;
	size_t n;
};

static int put_split_fn(struct tl_store *w, void *ctx, struct tl_err *err)
{
	struct split *s = ctx;
	struct tl_batch *b = tl_batch_new(w);
	int rc = put_into(w, b, s->v, s->n, err);
	if (rc == 0) rc = tl_store_write(w, b, err);
	tl_batch_free(b);
	return rc;
}

static int put_split(void *ctx, struct due *v, size_t n, struct tl_err *err)
{
	struct split *s = ctx;
	s->v = v;
	s->n = n;
	return s->write(s->ctx, put_split_fn, s, err);
}

int tl_deliver_pass_split(struct tl_store *r, tl_deliver_write_fn write, void *wctx, const struct tl_deliver_opts *o,
			  int64_t now_ms, struct tl_err *err)
{
	struct split s = { .write = write, .ctx = wctx };
	return run_pass(r, o, now_ms, put_split, &s, err);
}
