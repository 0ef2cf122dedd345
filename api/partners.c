/* Pushes to and accepts from partner servers, and the export route; see
 * partners.h. */
#include "api/partners.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "api/clearance.h"
#include "report/case_export.h"
#include "api/http_json.h"
#include "api/serve.h"
#include "bitcoin/hash.h"
#include "report/import.h"
#include "report/share.h"
#include "report/sign.h"
#include "tracer/entities.h"
#include "tracer/screen.h"
#include "tracer/storegraph.h"

#define NAME_MAX_LEN 64
#define SHARE_MAX_BODY (64u << 20)
#define PUSH_TIMEOUT_MS 120000

struct sent {
	char heist[72];
	uint8_t quick[32];  /* definition, level and chain tip when sent */
	uint8_t digest[32]; /* definition, level and the bundle's object ids */
};

struct partner {
	char name[NAME_MAX_LEN];
	char *url;            /* NULL: accept only */
	uint8_t pub[32];
	struct tl_clearance clr; /* the widest it gets */
	int accept;
	struct sent *sent;    /* what the last rounds sent (guarded by push_lock) */
	size_t nsent;
};

struct tl_partners {
	char org[NAME_MAX_LEN];
	enum tl_tlp default_tlp;
	struct partner *p;
	size_t n;
	int have_key;
	uint8_t sec[32];
	pthread_mutex_t push_lock; /* one round at a time */
	/* the periodic pusher */
	pthread_t thread;
	int started;
	int interval_s;
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	int stop;
};

static int name_ok(const char *s)
{
	if (!s || !*s || strlen(s) >= NAME_MAX_LEN) return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == ' ' ||
		      *s == '.' || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

void tl_partners_free(struct tl_partners *p)
{
	if (!p) return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->p[i].url);
		free(p->p[i].sent);
	}
	free(p->p);
	memset(p->sec, 0, sizeof p->sec);
	pthread_mutex_destroy(&p->push_lock);
	pthread_mutex_destroy(&p->stop_lock);
	pthread_cond_destroy(&p->stop_cond);
	free(p);
}

static int load_partner(json_t *e, struct partner *q, struct tl_err *err)
{
	const char *name = json_string_value(json_object_get(e, "name"));
	const char *url = json_string_value(json_object_get(e, "url"));
	const char *pub = json_string_value(json_object_get(e, "pubkey"));
	const char *tlp = json_string_value(json_object_get(e, "tlp"));
	const char *aud = json_string_value(json_object_get(e, "audience"));
	json_t *acc = json_object_get(e, "accept");
	if (!name_ok(name)) return tl_err_set(err, "\"name\" must be 1-63 characters of A-Z a-z 0-9 space . _ -");
	snprintf(q->name, sizeof q->name, "%s", name);
	if (!pub || strlen(pub) != 64 || tl_hex_decode(pub, 64, q->pub, 32))
		return tl_err_set(err, "partner '%s': \"pubkey\" must be 64 hex digits (taintline keys signing-key)", name);
	if (url) {
		if (strncmp(url, "http://", 7)) return tl_err_set(err, "partner '%s': \"url\" must start with http://", name);
		if (!(q->url = strdup(url))) return tl_err_set(err, "out of memory");
		if (!tlp) return tl_err_set(err, "partner '%s': a partner with a url needs \"tlp\"", name);
	}
	char spec[160];
	snprintf(spec, sizeof spec, "%s%s%s", tlp ? tlp : "clear", aud ? "/" : "", aud ? aud : "");
	if (tl_clearance_parse(spec, &q->clr, err)) {
		tl_err_prefix(err, "partner '%s': ", name);
		return -1;
	}
	if (acc && !json_is_boolean(acc)) return tl_err_set(err, "partner '%s': \"accept\" must be true or false", name);
	q->accept = !acc || json_is_true(acc);
	return 0;
}

/* The partners document (already parsed) into p. Returns 0 or -1. */
static int parse_doc(struct tl_partners *p, json_t *doc, const char *name, struct tl_err *err)
{
	const char *org = json_string_value(json_object_get(doc, "organisation"));
	const char *dt = json_string_value(json_object_get(doc, "default_tlp"));
	json_t *arr = json_object_get(doc, "partners");
	int bad = 0;
	if (!json_is_object(doc)) bad = tl_err_set(err, "the document must be an object");
	else if (org && !name_ok(org))
		bad = tl_err_set(err, "\"organisation\" must be 1-63 characters of A-Z a-z 0-9 space . _ -");
	else if (org)
		snprintf(p->org, sizeof p->org, "%s", org);
	if (!bad && dt && (tl_tlp_parse(dt, &p->default_tlp, err) || p->default_tlp == TL_TLP_RED))
		bad = tl_err_set(err, "\"default_tlp\" must be clear, green, amber or amber+strict");
	if (!bad && !json_is_array(arr)) bad = tl_err_set(err, "\"partners\" must be an array");
	if (!bad && !(p->p = calloc(json_array_size(arr) + 1, sizeof *p->p))) bad = tl_err_set(err, "out of memory");
	if (bad) {
		tl_err_prefix(err, "partners file %s: ", name);
		return -1;
	}
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e)
	{
		p->n = i + 1;
		if (!json_is_object(e)) bad = tl_err_set(err, "a partner must be an object");
		else bad = load_partner(e, &p->p[i], err);
		for (size_t j = 0; !bad && j < i; j++)
			if (!strcmp(p->p[j].name, p->p[i].name) || !memcmp(p->p[j].pub, p->p[i].pub, 32))
				bad = tl_err_set(err, "partner '%s': same name or key as '%s'", p->p[i].name, p->p[j].name);
		if (bad) {
			tl_err_prefix(err, "partners file %s: entry %zu: ", name, i + 1);
			return -1;
		}
	}
	return 0;
}

static struct tl_partners *partners_new(void)
{
	struct tl_partners *p = calloc(1, sizeof *p);
	if (!p) return NULL;
	pthread_mutex_init(&p->push_lock, NULL);
	pthread_mutex_init(&p->stop_lock, NULL);
	pthread_cond_init(&p->stop_cond, NULL);
	snprintf(p->org, sizeof p->org, "taintline");
	p->default_tlp = TL_TLP_AMBER;
	return p;
}

int tl_partners_parse(const char *text, size_t len, const char *name, struct tl_partners **out, struct tl_err *err)
{
	*out = NULL;
	json_error_t je;
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!doc) return tl_err_set(err, "partners file %s: line %d: %s", name, je.line, je.text);
	struct tl_partners *p = partners_new();
	int rc = p ? parse_doc(p, doc, name, err) : tl_err_set(err, "out of memory");
	json_decref(doc);
	if (rc) {
		tl_partners_free(p);
		return -1;
	}
	*out = p;
	return 0;
}

int tl_partners_load(const char *path, const char *keyf, struct tl_partners **out, struct tl_err *err)
{
	*out = NULL;
	struct tl_partners *p = NULL;
	if (path) {
		json_error_t je;
		json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
		if (!doc) return tl_err_set(err, "partners file %s: line %d: %s", path, je.line, je.text);
		p = partners_new();
		int rc = p ? parse_doc(p, doc, path, err) : tl_err_set(err, "out of memory");
		json_decref(doc);
		if (rc) {
			tl_partners_free(p);
			return -1;
		}
	} else if (!(p = partners_new())) {
		return tl_err_set(err, "out of memory");
	}
	if (keyf) {
		if (tl_sign_key_read(keyf, p->sec, err)) {
			tl_partners_free(p);
			return -1;
		}
		p->have_key = 1;
	}
	*out = p;
	return 0;
}

/* 1 when the partners hold a partner named name with that public key
 * (for tests and the fuzz target). */
int tl_partners_has(const struct tl_partners *p, const char *name, const uint8_t pub[32])
{
	for (size_t i = 0; p && i < p->n; i++)
		if (!strcmp(p->p[i].name, name) && !memcmp(p->p[i].pub, pub, 32)) return 1;
	return 0;
}

/* ---------------- HTTP client ---------------- */

struct post_ctx {
	struct event_base *base;
	int done, status;
	char *resp;
	char msg[200];
};

static void post_done(struct evhttp_request *req, void *arg)
{
	struct post_ctx *x = arg;
	x->done = 1;
	if (!req || !evhttp_request_get_response_code(req)) {
		snprintf(x->msg, sizeof x->msg, "no answer (connection refused, reset or timed out)");
	} else {
		x->status = evhttp_request_get_response_code(req);
		struct evbuffer *in = evhttp_request_get_input_buffer(req);
		size_t n = evbuffer_get_length(in);
		x->resp = malloc(n + 1);
		if (x->resp) {
			evbuffer_remove(in, x->resp, n);
			x->resp[n] = '\0';
		}
	}
	event_base_loopexit(x->base, NULL);
}

int tl_http_post(const char *url, const char *path, const char *ctype, const char *body, size_t len, int timeout_ms,
                 int *status, char **resp, struct tl_err *err)
{
	*resp = NULL;
	struct evhttp_uri *u = evhttp_uri_parse(url);
	const char *host = u ? evhttp_uri_get_host(u) : NULL;
	int port = u ? evhttp_uri_get_port(u) : -1;
	if (!u || !host || strcmp(evhttp_uri_get_scheme(u) ? evhttp_uri_get_scheme(u) : "", "http")) {
		if (u) evhttp_uri_free(u);
		return tl_err_set(err, "'%.100s' is not an http:// URL", url);
	}
	const char *base_path = evhttp_uri_get_path(u);
	char full[1024];
	size_t bl = base_path ? strlen(base_path) : 0;
	while (bl && base_path[bl - 1] == '/') bl--;
	snprintf(full, sizeof full, "%.*s%s", (int)bl, base_path ? base_path : "", path);
	struct post_ctx x;
	memset(&x, 0, sizeof x);
	x.base = event_base_new();
	struct evhttp_connection *c =
	        x.base ? evhttp_connection_base_new(x.base, NULL, host, (unsigned short)(port > 0 ? port : 80)) : NULL;
	struct evhttp_request *req = c ? evhttp_request_new(post_done, &x) : NULL;
	int rc = -1;
	if (!req) {
		tl_err_set(err, "cannot set up a connection to %.100s", url);
		goto out;
	}
	evhttp_connection_set_timeout(c, (timeout_ms + 999) / 1000);
	evhttp_connection_set_retries(c, 0);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Host", host);
	evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "Connection", "close");
	evbuffer_add(evhttp_request_get_output_buffer(req), body, len);
	if (evhttp_make_request(c, req, EVHTTP_REQ_POST, full[0] ? full : "/")) {
		tl_err_set(err, "cannot send the request to %.100s", url);
		goto out; /* req is freed by libevent on failure */
	}
	event_base_dispatch(x.base);
	if (!x.done || !x.resp) {
		tl_err_set(err, "%.100s: %s", url, x.msg[0] ? x.msg : "no answer");
		free(x.resp);
		goto out;
	}
	*status = x.status;
	*resp = x.resp;
	rc = 0;
out:
	if (c) evhttp_connection_free(c);
	if (x.base) event_base_free(x.base);
	evhttp_uri_free(u);
	return rc;
}

/* ---------------- push ---------------- */

struct heist_ids {
	char (*id)[72];
	char **json;
	size_t n;
};

static int collect_cb(void *ctx, const struct tl_heist_info *h)
{
	struct heist_ids *x = ctx;
	char(*ni)[72] = realloc(x->id, (x->n + 1) * sizeof *ni);
	if (ni) x->id = ni;
	char **nj = realloc(x->json, (x->n + 1) * sizeof *nj);
	if (nj) x->json = nj;
	if (!ni || !nj) return 1;
	memcpy(x->id[x->n], h->id, sizeof x->id[0]);
	if (!(x->json[x->n] = strdup(h->json ? h->json : "{}"))) return 1;
	x->n++;
	return 0;
}

static void heist_ids_free(struct heist_ids *x)
{
	for (size_t i = 0; i < x->n; i++) free(x->json[i]);
	free(x->json);
	free(x->id);
}

/* The level a heist goes out at: its mark, or the default when it has
 * none. Returns 0, or -1 with err. */
static int out_level(struct tl_store *st, const struct tl_partners *P, const char *id, const char *json,
                     struct tl_tlp_mark *m, struct tl_err *err)
{
	struct tl_tlp_mark own;
	int r = tl_tlp_mark_get(st, TL_TLP_HEIST, id, &own, err);
	if (r < 0 || tl_tlp_heist_mark(st, id, json, m, err)) return -1;
	json_t *d = json_loads(json, 0, NULL);
	int marked = r == 1 || json_object_get(d, "tlp");
	json_decref(d);
	if (!marked) m->level = P->default_tlp;
	return 0;
}

/* What decides that a heist changed for a partner: its definition, the
 * level and the bundle's object ids (name-based). */
static void share_digest(const char *json, enum tl_tlp level, const json_t *doc, uint8_t out[32])
{
	json_t *ids = json_array();
	size_t i;
	json_t *o;
	/* the report is stamped with the trace's time; what it names is not */
	json_array_foreach(json_object_get(doc, "objects"), i, o)
	{
		const char *t = json_string_value(json_object_get(o, "type"));
		if (t && strcmp(t, "report")) json_array_append(ids, json_object_get(o, "id"));
	}
	json_t *evt = json_object_get(doc, "Event");
	if (evt) json_array_append(ids, json_object_get(evt, "uuid"));
	json_t *all = json_pack("{s:s,s:i,s:o}", "definition", json, "tlp", (int)level, "ids", ids);
	char *s = json_dumps(all, JSON_COMPACT | JSON_SORT_KEYS);
	tl_sha256(s ? s : "", s ? strlen(s) : 0, out);
	free(s);
	json_decref(all);
}

/* Without a new block, a new definition or level the trace cannot have
 * changed: no need to trace and export again to find out. */
static void quick_digest(const char *json, enum tl_tlp level, const uint8_t tip[32], uint8_t out[32])
{
	size_t n = strlen(json);
	uint8_t *buf = malloc(n + 33);
	if (!buf) {
		memset(out, 0, 32); /* matches nothing sent: the full check runs */
		return;
	}
	memcpy(buf, json, n);
	buf[n] = (uint8_t)level;
	memcpy(buf + n + 1, tip, 32);
	tl_sha256(buf, n + 33, out);
	free(buf);
}

static struct sent *sent_find(struct partner *q, const char *id)
{
	for (size_t i = 0; i < q->nsent; i++)
		if (!strcmp(q->sent[i].heist, id)) return &q->sent[i];
	return NULL;
}

static void sent_record(struct partner *q, const char *id, const uint8_t quick[32], const uint8_t d[32])
{
	struct sent *e = sent_find(q, id);
	if (!e) {
		struct sent *n = realloc(q->sent, (q->nsent + 1) * sizeof *n);
		if (!n) return; /* sent again next round: harmless */
		q->sent = n;
		e = &n[q->nsent++];
		snprintf(e->heist, sizeof e->heist, "%s", id);
	}
	memcpy(e->quick, quick, 32);
	memcpy(e->digest, d, 32);
}

int tl_partners_push(struct tl_app *app, json_t **report, struct tl_err *err)
{
	*report = NULL;
	struct tl_partners *P = app->partners;
	if (!P || !P->n) return tl_err_set(err, "no partners configured (serve --partners FILE)");
	if (!P->have_key) return tl_err_set(err, "no signing key (serve --signing-key FILE): pushes are signed");
	pthread_mutex_lock(&P->push_lock);
	struct heist_ids hs = { 0 };
	struct tl_storegraph *sg = NULL;
	int rc = -1;
	struct tl_tip tip;
	if (tl_heists_list(app->store, collect_cb, &hs, err) < 0 || tl_store_tip(app->store, &tip, err) ||
	    tl_storegraph_new(app->store, &sg, err))
		goto out;
	json_t *rep = json_array();
	for (size_t k = 0; k < P->n; k++) {
		struct partner *q = &P->p[k];
		if (!q->url) continue;
		json_t *sent = json_array(), *errs = json_array();
		unsigned long unchanged = 0, withheld = 0;
		for (size_t i = 0; i < hs.n; i++) {
			json_t *d = json_loads(hs.json[i], 0, NULL);
			int theirs = json_object_get(d, "shared_by") != NULL;
			json_decref(d);
			if (theirs) continue; /* a partner's, not ours to pass on */
			struct tl_tlp_mark m;
			struct tl_err e;
			if (out_level(app->store, P, hs.id[i], hs.json[i], &m, &e)) {
				json_array_append_new(errs, json_pack("{s:s,s:s}", "heist", hs.id[i], "error", e.msg));
				continue;
			}
			if (!tl_tlp_visible(&m, &q->clr)) {
				withheld++;
				continue;
			}
			uint8_t quick[32];
			quick_digest(hs.json[i], m.level, tip.hash, quick);
			struct sent *prev = sent_find(q, hs.id[i]);
			if (prev && !memcmp(prev->quick, quick, 32)) {
				unchanged++;
				continue;
			}
			struct tl_share_heist_opts so = { "stix", TL_POLICY_HAIRCUT, m.level, P->org, P->sec };
			json_t *doc = NULL;
			tl_storegraph_set_clearance(sg, &q->clr); /* no tag the partner may not see */
			if (tl_share_heist(sg, hs.id[i], &so, &doc, &e)) {
				/* e.g. a heist of another chain: nothing to trace here */
				json_array_append_new(errs, json_pack("{s:s,s:s}", "heist", hs.id[i], "error", e.msg));
				continue;
			}
			uint8_t dg[32];
			share_digest(hs.json[i], m.level, doc, dg);
			if (prev && !memcmp(prev->digest, dg, 32)) {
				memcpy(prev->quick, quick, 32); /* a new block that changed nothing */
				unchanged++;
				json_decref(doc);
				continue;
			}
			char *body = json_dumps(doc, JSON_COMPACT);
			json_decref(doc);
			int status = 0;
			char *resp = NULL;
			int r = body ? tl_http_post(q->url, "/v1/share", "application/json", body, strlen(body),
			                            PUSH_TIMEOUT_MS, &status, &resp, &e)
			             : tl_err_set(&e, "out of memory");
			free(body);
			if (r == 0 && status == 200) {
				sent_record(q, hs.id[i], quick, dg);
				json_array_append_new(sent, json_pack("{s:s,s:s}", "heist", hs.id[i], "tlp", tl_tlp_name(m.level)));
			} else {
				if (r == 0) {
					json_t *rj = json_loads(resp ? resp : "", 0, NULL);
					const char *msg = json_string_value(json_object_get(rj, "message"));
					tl_err_set(&e, "partner answered %d: %.300s", status, msg ? msg : "");
					json_decref(rj);
				}
				json_array_append_new(errs, json_pack("{s:s,s:s}", "heist", hs.id[i], "error", e.msg));
			}
			free(resp);
		}
		json_array_append_new(rep, json_pack("{s:s,s:o,s:I,s:I,s:o}", "partner", q->name, "sent", sent,
		                                     "unchanged", (json_int_t)unchanged, "withheld",
		                                     (json_int_t)withheld, "errors", errs));
	}
	*report = json_pack("{s:o}", "partners", rep);
	rc = 0;
out:
	tl_storegraph_free(sg);
	heist_ids_free(&hs);
	pthread_mutex_unlock(&P->push_lock);
	return rc;
}

static void *pusher_main(void *arg)
{
	struct tl_app *app = arg;
	struct tl_partners *P = app->partners;
	pthread_mutex_lock(&P->stop_lock);
	while (!P->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += P->interval_s;
		while (!P->stop && pthread_cond_timedwait(&P->stop_cond, &P->stop_lock, &ts) != ETIMEDOUT) {
		}
		if (P->stop) break;
		pthread_mutex_unlock(&P->stop_lock);
		json_t *rep = NULL;
		struct tl_err err;
		if (tl_partners_push(app, &rep, &err)) tl_api_log(app->srv, "push: %s", err.msg);
		size_t i;
		json_t *e;
		json_array_foreach(json_object_get(rep, "partners"), i, e)
		{
			size_t ne = json_array_size(json_object_get(e, "errors"));
			if (ne)
				tl_api_log(app->srv, "push to %s: %zu heists not sent (POST /v1/partners/push lists why)",
				           json_string_value(json_object_get(e, "partner")), ne);
		}
		json_decref(rep);
		pthread_mutex_lock(&P->stop_lock);
	}
	pthread_mutex_unlock(&P->stop_lock);
	return NULL;
}

int tl_partners_start(struct tl_app *app, int interval_s, struct tl_err *err)
{
	struct tl_partners *P = app->partners;
	if (!P || interval_s <= 0) return 0;
	P->interval_s = interval_s;
	int r = pthread_create(&P->thread, NULL, pusher_main, app);
	if (r) return tl_err_set(err, "cannot start the push thread: %s", strerror(r));
	P->started = 1;
	return 0;
}

void tl_partners_stop(struct tl_app *app)
{
	struct tl_partners *P = app->partners;
	if (!P || !P->started) return;
	pthread_mutex_lock(&P->stop_lock);
	P->stop = 1;
	pthread_cond_broadcast(&P->stop_cond);
	pthread_mutex_unlock(&P->stop_lock);
	pthread_join(P->thread, NULL);
	P->started = 0;
}

/* ---------------- routes ---------------- */

static void post_push(struct tl_api_req *req, void *ctx)
{
	json_t *rep = NULL;
	struct tl_err err;
	if (tl_partners_push(ctx, &rep, &err)) {
		tl_api_reply_error(req, 409, "no_partners", "%s", err.msg);
		return;
	}
	tl_api_reply_json(req, 200, rep);
}

struct accept_ctx {
	const json_t *doc;
	struct tl_share_import_opts o;
	struct tl_share_import_report rep;
	int imported;
};

static int accept_fn(struct tl_store *w, void *ctx, struct tl_err *err)
{
	struct accept_ctx *x = ctx;
	if (tl_share_import(w, x->doc, &x->o, &x->rep, err)) return -1;
	x->imported = 1;
	/* the new heist's screening index, as heist import builds it */
	return x->rep.heists_added || x->rep.heists_updated ? tl_screen_update(w, NULL, err) : 0;
}

static void post_share(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	struct tl_partners *P = app->partners;
	json_t *doc = tl_api_req_json(req);
	if (!doc) return;
	const char *pk = json_string_value(json_object_get(json_object_get(doc, "signature"), "pubkey"));
	uint8_t pub[32];
	struct partner *q = NULL;
	if (pk && strlen(pk) == 64 && !tl_hex_decode(pk, 64, pub, 32))
		for (size_t i = 0; P && i < P->n; i++)
			if (P->p[i].accept && !memcmp(P->p[i].pub, pub, 32)) q = &P->p[i];
	if (!q) {
		tl_api_reply_error(req, 403, "unknown_signer",
		                   "only documents signed by a partner's key are accepted (the partners file lists them)");
		return;
	}
	char why[512];
	struct tl_err err;
	int v = tl_verify_document(doc, q->pub, why, sizeof why, &err);
	if (v < 0) {
		tl_api_reply_error(req, 500, "internal", "%s", err.msg);
		return;
	}
	if (v == 0) {
		tl_api_reply_error(req, 400, "bad_signature", "%s", why);
		return;
	}
	json_t *plain = json_deep_copy(doc);
	json_object_del(plain, "signature");
	struct accept_ctx x;
	memset(&x, 0, sizeof x);
	x.doc = plain;
	x.o.source = q->name;
	x.o.tlp = TL_TLP_AMBER; /* unmarked objects of a partner: not for a wider audience */
	x.o.confidence = -1;
	int rc = tl_app_write(app, accept_fn, &x, &err);
	json_decref(plain);
	if (rc < 0 && !x.imported) {
		if (err.code == TL_E_CONFLICT)
			tl_api_reply_error(req, 409, "database_busy", "%s", err.msg);
		else
			tl_api_reply_error(req, 400, "bad_share", "%s", err.msg);
		return;
	}
	json_t *res = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:s?,s:I}", "partner", q->name, "format", x.rep.format,
	                        "tags_stored", (json_int_t)x.rep.tags_stored, "tags_existing",
	                        (json_int_t)x.rep.tags_existing, "heists_added", (json_int_t)x.rep.heists_added,
	                        "heists_updated", (json_int_t)x.rep.heists_updated, "heist",
	                        x.rep.heist_id[0] ? x.rep.heist_id : NULL, "seeds", (json_int_t)x.rep.seeds);
	if (rc < 0) json_object_set_new(res, "warning", json_sprintf("stored, but not served yet: %s", err.msg));
	tl_api_reply_json(req, 200, res);
}

/* GET /v1/export?case=ID: a case above the caller's clearance is
 * answered like an unknown one. */
static void export_case(struct tl_api_req *req, struct tl_app *app, const char *id_s,
                        const struct tl_share_heist_opts *ho, const struct tl_clearance *clr)
{
	char *end;
	unsigned long long id = strtoull(id_s, &end, 10);
	if (*id_s < '1' || *id_s > '9' || *end) {
		tl_api_reply_error(req, 400, "bad_case", "'%s' is not a case id (a positive integer)", id_s);
		return;
	}
	struct tl_share_case_opts co = { ho->format, ho->tlp, ho->producer, ho->sign_key, clr };
	json_t *doc = NULL;
	struct tl_err err;
	if (tl_share_case(app->store, id, &co, &doc, &err)) {
		if (strstr(err.msg, "cannot go out"))
			tl_api_reply_error(req, 422, "not_exportable", "%s", err.msg);
		else
			tl_app_reply_store_error(req, &err);
		return;
	}
	if (!doc) {
		tl_api_reply_error(req, 404, "not_found", "no case %llu", id);
		return;
	}
	tl_api_reply_json(req, 200, doc);
}

static void get_export(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	struct tl_partners *P = app->partners;
	const char *format = tl_api_req_query(req, "format");
	const char *heist = tl_api_req_query(req, "heist");
	const char *tlp = tl_api_req_query(req, "tlp");
	const char *policy = tl_api_req_query(req, "policy");
	struct tl_share_heist_opts so = { format, TL_POLICY_HAIRCUT, TL_TLP_RED, P ? P->org : NULL,
		                          P && P->have_key ? P->sec : NULL };
	struct tl_err err;
	if (!format || (strcmp(format, "stix") && strcmp(format, "misp"))) {
		tl_api_reply_error(req, 400, "bad_request", "format must be stix or misp");
		return;
	}
	const char *case_s = tl_api_req_query(req, "case");
	if (!heist == !case_s) {
		tl_api_reply_error(req, 400, "bad_request", "give one of heist=ID or case=ID");
		return;
	}
	/* no default level: what may be shared is the sender's decision */
	if (!tlp || tl_tlp_parse(tlp, &so.tlp, &err)) {
		tl_api_reply_error(req, 400, "bad_request", "tlp must be clear, green, amber, amber+strict or red");
		return;
	}
	if (policy && tl_policy_parse(policy, &so.policy, &err)) {
		tl_api_reply_error(req, 400, "bad_policy", "%s (poison, haircut, fifo, tiho)", err.msg);
		return;
	}
	struct tl_clearance clr;
	tl_api_req_clearance(req, &clr);
	if (case_s) {
		export_case(req, app, case_s, &so, &clr);
		return;
	}
	struct tl_heist_info hi;
	memset(&hi, 0, sizeof hi);
	int r = tl_heist_get(app->store, heist, &hi, &err);
	if (r == 1) r = tl_clear_heist(app->store, &clr, heist, hi.json, &err);
	free(hi.json);
	if (r < 0) {
		tl_app_reply_store_error(req, &err);
		return;
	}
	if (r == 0) { /* unknown, or above the caller's clearance: the same answer */
		tl_api_reply_error(req, 404, "not_found", "no heist '%s' (GET /v1/heists lists them)", heist);
		return;
	}
	struct tl_storegraph *sg = NULL;
	json_t *doc = NULL;
	if (tl_storegraph_new(app->store, &sg, &err)) {
		tl_app_reply_store_error(req, &err);
		return;
	}
	tl_storegraph_set_clearance(sg, &clr); /* the caller sees its own tags only */
	r = tl_share_heist(sg, heist, &so, &doc, &err);
	tl_storegraph_free(sg);
	if (r) {
		tl_api_reply_error(req, 422, "not_exportable", "%s", err.msg);
		return;
	}
	tl_api_reply_json(req, 200, doc);
}

int tl_routes_share(struct tl_app *app, struct tl_err *err)
{
	struct tl_api_server *s = app->srv;
	struct tl_api_route_opts pool = { TL_ROUTE_POOL, 0 };
	struct tl_api_route_opts share = { TL_ROUTE_POOL, SHARE_MAX_BODY };
	if (tl_api_route_opts(s, TL_GET, "/v1/export", TL_ROLE_INVESTIGATE, &pool, get_export, app, err) ||
	    tl_api_route_opts(s, TL_POST, "/v1/share", TL_ROLE_PUBLIC, &share, post_share, app, err) ||
	    tl_api_route_opts(s, TL_POST, "/v1/partners/push", TL_ROLE_ADMIN, &pool, post_push, app, err))
		return -1;
	return 0;
}
