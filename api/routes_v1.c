/* /v1/... routes: heists, tags, clusters (tracer/entities.h), and traces
 * and screening when the tracer provides them. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "api/clearance.h"
#include "api/http_json.h"
#include "api/serve.h"
#include "bitcoin/address.h"
#include "bitcoin/hash.h"
#include "tracer/entities.h"
#include "tracer/storegraph.h"
#include "tracer/tag_clearance.h"
#include "tracer/screen.h"
#include "tracer/trace.h"
#include "tracer/trace_request.h"
#include "report/trace_format.h"

/* ---- heists ---- */

/* A heist as the API lists it; traced_on names the chains this server
 * can trace it on (GET /v1/heists adds the Ethereum database's). */
static json_t *heist_json(const struct tl_heist_info *h)
{
	json_t *def = h->json ? json_loads(h->json, 0, NULL) : NULL;
	return json_pack("{s:s,s:i,s:b,s:o,s:o}", "id", h->id, "num", (json_int_t)h->num, "traceable", h->traceable,
			 "definition", def ? def : json_null(), "traced_on",
			 h->traceable ? json_pack("[s]", "bitcoin") : json_array());
}

struct list_ctx {
	json_t *a;
	struct tl_store *st;
	struct tl_clearance clr;
	struct tl_err *err;
	int failed;
};

static int list_cb(void *ctx, const struct tl_heist_info *h)
{
	struct list_ctx *x = ctx;
	int v = tl_clear_heist(x->st, &x->clr, h->id, h->json, x->err);
	if (v < 0) {
		x->failed = 1;
		return 1;
	}
	if (v) json_array_append_new(x->a, heist_json(h));
	return 0;
}

static void get_heists(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	json_t *a = json_array();
	struct tl_err err;
	struct list_ctx x = { a, app->store, { 0 }, &err, 0 };
	tl_api_req_clearance(req, &x.clr);
	if (tl_heists_list(app->store, list_cb, &x, &err) < 0 || x.failed || (app->eth && tl_eth_heists_add(req, app, a, &err))) {
		json_decref(a);
		tl_app_reply_store_error(req, &err);
		return;
	}
	tl_api_reply_json(req, 200, json_pack("{s:o}", "heists", a));
}

static void get_heist(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	const char *id = tl_api_req_param(req, "id");
	struct tl_heist_info h;
	struct tl_err err;
	int rc = tl_heist_get(app->store, id, &h, &err);
	struct tl_clearance clr;
	tl_api_req_clearance(req, &clr);
	if (rc == 1) {
		rc = tl_clear_heist(app->store, &clr, id, h.json, &err);
		if (rc != 1) free(h.json);
	}
	if (rc < 0) {
		tl_app_reply_store_error(req, &err);
		return;
	}
	if (rc == 0) {
		tl_api_reply_error(req, 404, "not_found", "no heist '%s' (GET /v1/heists lists them)", id);
		return;
	}
	json_t *j = heist_json(&h);
	free(h.json);
	tl_api_reply_json(req, 200, j);
}

/* ---- tags and clusters ---- */

/* Tags as a caller sees them: the visible ones listed (a summary of them
 * comes from tl_cluster_summary_seen). */
struct tags_ctx {
	json_t *a;
	struct tl_store *st;
	struct tl_clearance clr;
	struct tl_err err;
	int failed;
};

static void tags_ctx_init(struct tags_ctx *x, struct tl_api_req *req, struct tl_app *app)
{
	memset(x, 0, sizeof *x);
	x->a = json_array();
	x->st = app->store;
	tl_api_req_clearance(req, &x->clr);
}

static void tags_ctx_free(struct tags_ctx *x) { json_decref(x->a); }

static int tag_cb(void *ctx, const struct tl_tag_rec *t)
{
	struct tags_ctx *x = ctx;
	int v = tl_clear_tag(x->st, &x->clr, t, &x->err);
	if (v < 0) {
		x->failed = 1;
		return 1;
	}
	if (!v) return 0;
	json_t *o = json_object();
	json_object_set_new(o, "label", json_string(t->label ? t->label : ""));
	json_object_set_new(o, "category", json_string(t->category ? t->category : ""));
	json_object_set_new(o, "source", json_string(t->source ? t->source : ""));
	json_object_set_new(o, "confidence", t->confidence >= 0 ? json_integer(t->confidence) : json_null());
	if (t->entity && *t->entity) json_object_set_new(o, "entity", json_string(t->entity));
	if (t->notes && *t->notes) json_object_set_new(o, "notes", json_string(t->notes));
	if (t->chain && *t->chain) json_object_set_new(o, "chain", json_string(t->chain));
	json_array_append_new(x->a, o);
	return json_array_size(x->a) >= 1000; /* enough for one answer */
}

static json_t *cluster_json(struct tl_app *app, uint64_t cid, const struct tl_cluster_summary *sum)
{
	char cats[256];
	json_t *names = json_array();
	tl_tagcat_names(sum->cats, cats, sizeof cats);
	for (char *p = cats, *tok; (tok = strtok_r(p, ",", &p));) json_array_append_new(names, json_string(tok));
	(void)app;
	return json_pack("{s:I,s:I,s:o,s:s?,s:I}", "id", (json_int_t)cid, "size", (json_int_t)sum->size, "categories",
			 names, "label", sum->label[0] ? sum->label : NULL, "tagged_members", (json_int_t)sum->tagged);
}

static void get_address_tags(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	const char *addr = tl_api_req_param(req, "address");
	const char *chain = tl_api_req_query(req, "chain");
	if (!chain && tl_app_check_address(req, app, addr) < 0) return;
	struct tl_err err;
	struct tags_ctx x;
	tags_ctx_init(&x, req, app);
	if (tl_tags_of_address(app->store, chain, addr, tag_cb, &x, &err) < 0 || x.failed) {
		tl_app_reply_store_error(req, x.failed ? &x.err : &err);
		tags_ctx_free(&x);
		return;
	}
	json_t *o = json_pack("{s:s,s:O}", "address", addr, "tags", x.a);
	tags_ctx_free(&x);
	uint64_t id;
	int rc = chain ? 0 : tl_store_addr_id_of_string(app->store, addr, &id, &err);
	json_object_set_new(o, "seen", json_boolean(rc == 1));
	if (rc == 1) {
		uint64_t cid;
		struct tl_cluster_summary sum;
		struct tl_clearance clr;
		tl_api_req_clearance(req, &clr);
		/* the summary as if the tags the caller may not see were never imported */
		if (tl_cluster_of(app->store, id, &cid, &err) < 0 ||
		    tl_cluster_summary_seen(app->store, &clr, cid, &sum, &err) < 0) {
			json_decref(o);
			tl_app_reply_store_error(req, &err);
			return;
		}
		json_object_set_new(o, "cluster", cluster_json(app, cid, &sum));
	}
	tl_api_reply_json(req, 200, o);
}

static void get_cluster(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	const char *s = tl_api_req_param(req, "id");
	char *end = NULL;
	unsigned long long cid = s && *s >= '0' && *s <= '9' ? strtoull(s, &end, 10) : 0;
	if (!end || *end || cid == 0) {
		tl_api_reply_error(req, 400, "bad_cluster", "'%s' is not a cluster id (a positive integer)", s ? s : "");
		return;
	}
	struct tl_err err;
	struct tl_cluster_summary sum;
	int rc = tl_cluster_summary(app->store, cid, &sum, &err);
	if (rc < 0) {
		tl_app_reply_store_error(req, &err);
		return;
	}
	if (rc == 0) {
		/* No summary: a singleton, if the address exists. */
		struct tl_addr_info ai;
		rc = tl_store_addr_info(app->store, cid, &ai, &err);
		if (rc < 0) {
			tl_app_reply_store_error(req, &err);
			return;
		}
		if (rc == 0) {
			tl_api_reply_error(req, 404, "not_found", "no cluster %llu", cid);
			return;
		}
	}
	struct tags_ctx x;
	tags_ctx_init(&x, req, app);
	if (tl_tags_of_cluster(app->store, cid, tag_cb, &x, &err) < 0 || x.failed ||
	    tl_cluster_summary_seen(app->store, &x.clr, cid, &sum, &err) < 0) {
		tl_app_reply_store_error(req, x.failed ? &x.err : &err);
		tags_ctx_free(&x);
		return;
	}
	json_t *o = cluster_json(app, cid, &sum);
	json_object_set_new(o, "tags", json_incref(x.a));
	tags_ctx_free(&x);
	tl_api_reply_json(req, 200, o);
}

/* POST /v1/tags: the body is a tag file (CSV, OFAC SDN XML or TagPack
 * YAML; ?format= or detected). Imported through the primary. */
struct import_ctx {
	const char *path;
	enum tl_tag_format fmt;
	struct tl_tag_import_report rep;
	int ran, imported; /* which stage a failure came from */
};

static int import_fn(struct tl_store *w, void *ctx, struct tl_err *err)
{
	struct import_ctx *x = ctx;
	x->ran = 1;
	int rc = tl_tags_import(w, x->path, x->fmt, &x->rep, err);
	x->imported = rc == 0;
	return rc;
}

/* An import error without the temporary file's name (a path of this
 * machine): "PATH: PATH: message" -> "message". */
static const char *without_path(const char *msg, const char *path)
{
	size_t n = strlen(path);
	while (!strncmp(msg, path, n) && msg[n] == ':') {
		msg += n + 1;
		while (*msg == ' ') msg++;
	}
	return msg;
}

static void post_tags(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	size_t len;
	const char *body = tl_api_req_body(req, &len);
	if (len == 0) {
		tl_api_reply_error(req, 400, "bad_request", "the body must be a tag file (CSV, OFAC SDN XML or TagPack)");
		return;
	}
	struct import_ctx x;
	memset(&x, 0, sizeof x);
	x.fmt = TL_TAGFMT_AUTO;
	const char *f = tl_api_req_query(req, "format");
	if (f) {
		if (!strcmp(f, "csv")) x.fmt = TL_TAGFMT_CSV;
		else if (!strcmp(f, "ofac") || !strcmp(f, "ofac-xml")) x.fmt = TL_TAGFMT_OFAC_XML;
		else if (!strcmp(f, "tagpack")) x.fmt = TL_TAGFMT_TAGPACK;
		else if (!strcmp(f, "sdn") || !strcmp(f, "sdn-csv")) x.fmt = TL_TAGFMT_SDN_CSV;
		else if (strcmp(f, "auto")) {
			tl_api_reply_error(req, 400, "bad_request", "format must be csv, ofac-xml, tagpack, sdn-csv or auto");
			return;
		}
	}
	const char *tmp = getenv("TMPDIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/taintline-tags-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0) {
		tl_api_reply_error(req, 500, "internal", "cannot create a temporary file: %s", strerror(errno));
		return;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, body + off, len - off);
		if (w <= 0) break;
		off += (size_t)w;
	}
	close(fd);
	x.path = path;
	struct tl_err err;
	int rc = off == len ? tl_app_write(app, import_fn, &x, &err) : tl_err_set(&err, "cannot write the body");
	unlink(path);
	/* A failure before the import ran is the server's (or a busy
	 * database); during it, the file's; after it (catching the served
	 * view up), the tags are stored: say so rather than invite a retry. */
	const char *warning = NULL;
	if (rc < 0 && !x.imported) {
		if (!x.ran && err.code == TL_E_CONFLICT)
			tl_api_reply_error(req, 409, "database_busy", "%s; import with 'taintline tags import' instead",
					   err.msg);
		else if (!x.ran)
			tl_app_reply_store_error(req, &err);
		else
			tl_api_reply_error(req, 400, "bad_tags", "%s", without_path(err.msg, path));
		return;
	}
	if (rc < 0) warning = err.msg;
	json_t *msgs = json_array();
	for (int i = 0; i < x.rep.parse.nmsgs; i++) json_array_append_new(msgs, json_string(x.rep.parse.msgs[i]));
	json_t *res = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "format",
				    tl_tag_format_name(x.rep.parse.format), "records", (json_int_t)x.rep.parse.records,
				    "skipped", (json_int_t)(x.rep.parse.skipped + x.rep.bad_address), "duplicates",
				    (json_int_t)(x.rep.parse.duplicates + x.rep.duplicates), "stored", (json_int_t)x.rep.stored,
				    "existing", (json_int_t)x.rep.existing, "seen", (json_int_t)x.rep.seen, "unseen",
				    (json_int_t)x.rep.unseen, "other_chain", (json_int_t)x.rep.other_chain, "messages",
				    msgs);
	if (res) {
		json_object_set_new(res, "updated", json_integer((json_int_t)x.rep.updated));
		json_object_set_new(res, "ignored", json_integer((json_int_t)x.rep.parse.ignored));
	}
	if (res && warning)
		json_object_set_new(res, "warning", json_sprintf("stored, but the served view is not caught up yet: %s",
								 warning));
	tl_api_reply_json(req, 200, res);
}

/* ---- traces ---- */

/* Trace parameters as given in a query string or a JSON body. */
struct trace_req {
	const char *heist;
	json_t *seeds;          /* array of "TXID[:VOUT]" (borrowed) */
	const char *address, *from, *to;
	const char *policy, *format, *until;
	json_t *stop_cats;      /* array of names (borrowed) or NULL */
	const char *stop_cats_csv;
	int stop_at_mixers;     /* -1 unset */
	long long max_hops, min_sat, max_tx; /* -1 unset */
};

/* The walk's cancel callback: the server is stopping, or the client has
 * gone (its connection closed while the trace ran). */
struct trace_cancel_ctx {
	const struct tl_app *app;
	const struct tl_api_req *req;
};
static int trace_cancel(void *ctx)
{
	const struct trace_cancel_ctx *c = ctx;
	return c->app->stop != 0 || tl_api_req_cancelled(c->req);
}

/* The transaction count in a TL_WALK_TIMEOUT message ("... after N
 * transactions"), or 0. */
static unsigned long long visited_of(const struct tl_err *err)
{
	const char *p = strstr(err->msg, "after ");
	return p ? strtoull(p + 6, NULL, 10) : 0;
}

/* Replies for a failed trace, by the stage it failed at (tracer/trace_request.h). */
static void reply_trace_failure(struct tl_api_req *req, struct tl_app *app, const struct trace_req *t,
				const struct tl_walk_params *p, enum tl_trace_stage at, int r, const struct tl_err *err)
{
	if (r == TL_WALK_TIMEOUT) {
		char narrow[256];
		snprintf(narrow, sizeof narrow,
			 "pass a smaller max_hops (now %u), a min_sat dust threshold, an until height or date, "
			 "or stop_at_mixers=true",
			 p->max_hops);
		long limit = app->opts.trace_time_ms > 0 && app->opts.trace_time_ms < app->opts.handler_time_ms
				     ? app->opts.trace_time_ms
				     : app->opts.handler_time_ms;
		json_t *extra = json_pack("{s:s,s:f,s:s,s:I}", "limit", "trace_time", "max", (double)limit / 1000.0,
					  "narrow", narrow, "visited", (json_int_t)visited_of(err));
		tl_api_count_limit(req, "trace_time");
		tl_api_reply_error_extra(req, 422, "trace_timeout", extra,
					 "the trace did not finish within its time limit (%.3g s): %s",
					 (double)limit / 1000.0, err->msg);
		return;
	}
	if (r == TL_WALK_TOO_BIG || r == TL_WALK_MEMORY) {
		char narrow[256];
		snprintf(narrow, sizeof narrow,
			 "pass a smaller max_hops (now %u), a min_sat dust threshold, an until height, or "
			 "stop_at_mixers=true",
			 p->max_hops);
		if (r == TL_WALK_TOO_BIG) {
			tl_api_reply_limit(req, 413, "trace_txs", (double)p->max_tx, narrow,
					   "the trace visits more transactions than this server allows");
			return;
		}
		char msg[200];
		snprintf(msg, sizeof msg, "the trace needs more than this server's trace memory budget of %u MiB (%.100s)",
			 app->opts.trace_memory_mb, err->msg);
		tl_api_reply_limit(req, 413, "trace_memory_mb", (double)app->opts.trace_memory_mb, narrow, msg);
		return;
	}
	switch (at) {
	case TL_TRACE_AT_UNTIL:
		if (err->code == TL_E_BAD_INPUT)
			tl_api_reply_error(req, 400, "bad_request", "until: not a height, and %s", err->msg);
		else if (err->code == TL_E_NOT_FOUND)
			tl_api_reply_error(req, 400, "bad_request", "until %s is before the first block", t->until);
		else
			tl_app_reply_store_error(req, err);
		return;
	case TL_TRACE_AT_HEIST:
		if (err->code == TL_E_NOT_FOUND)
			tl_api_reply_error(req, 404, "not_found", "no heist '%s' (GET /v1/heists lists them)", t->heist);
		else if (err->code == TL_E_STORE)
			tl_app_reply_store_error(req, err);
		else
			tl_api_reply_error(req, 422, "not_traceable", "%s", err->msg);
		return;
	case TL_TRACE_AT_HEIST_SEEDS: tl_api_reply_error(req, 422, "not_traceable", "%s", err->msg); return;
	case TL_TRACE_AT_SEED: tl_api_reply_err(req, err, "bad_txid", 400); return;
	case TL_TRACE_AT_ADDRESS: tl_api_reply_err(req, err, "bad_address", 400); return;
	case TL_TRACE_AT_NO_SEEDS: tl_api_reply_error(req, 400, "bad_request", "%s", err->msg); return;
	default: tl_app_reply_store_error(req, err); return;
	}
}

static void run_trace(struct tl_api_req *req, struct tl_app *app, const struct trace_req *t)
{
	struct tl_err err;
	struct tl_trace_req rq;
	tl_trace_req_default(&rq);
	struct tl_walk_params *p = &rq.p;
	const char *format = t->format ? t->format : "json";
	const char *ctype = tl_trace_format_ctype(format);
	if (!ctype) {
		tl_api_reply_error(req, 400, "bad_request", "format must be one of " TL_TRACE_FORMATS);
		return;
	}
	if (t->policy && tl_policy_parse(t->policy, &p->policy, &err) < 0) {
		tl_api_reply_error(req, 400, "bad_policy", "%s (poison, haircut, fifo, tiho)", err.msg);
		return;
	}
	if (t->max_hops >= 0) p->max_hops = (uint32_t)(t->max_hops > UINT32_MAX ? UINT32_MAX : t->max_hops);
	if (t->min_sat >= 0) p->min_sat = (uint64_t)t->min_sat;
	if (t->stop_at_mixers >= 0) p->stop_at_mixers = t->stop_at_mixers;
	uint32_t cats = 0;
	if (t->stop_cats_csv) {
		if (tl_trace_parse_cats(t->stop_cats_csv, &cats, &err) < 0) {
			tl_api_reply_error(req, 400, "bad_request",
					   "stop_categories: names among exchange, bridge, service, mixer, sanctioned");
			return;
		}
		p->stop_cats = cats;
	}
	if (t->stop_cats) {
		size_t i;
		json_t *v;
		json_array_foreach(t->stop_cats, i, v)
		{
			uint32_t f = json_is_string(v) ? tl_storegraph_cat_flags(json_string_value(v)) : 0;
			if (!f) {
				tl_api_reply_error(req, 400, "bad_request",
						   "stop_categories: names among exchange, bridge, service, mixer, sanctioned");
				return;
			}
			cats |= f;
		}
		p->stop_cats = cats;
	}
	/* The server's cap on trace size, lowered (never raised) by the caller. */
	p->max_tx = app->max_trace_txs;
	if (t->max_tx > 0 && (uint64_t)t->max_tx < p->max_tx) p->max_tx = (uint64_t)t->max_tx;
	p->max_mem = (uint64_t)app->opts.trace_memory_mb << 20;

	rq.heist = t->heist;
	rq.until = t->until;
	size_t nseeds = t->seeds ? json_array_size(t->seeds) : 0;
	const char **seeds = nseeds ? malloc(nseeds * sizeof *seeds) : NULL;
	if (nseeds && !seeds) {
		tl_api_reply_error(req, 500, "internal", "out of memory");
		return;
	}
	for (size_t i = 0; i < nseeds; i++) {
		seeds[i] = json_string_value(json_array_get(t->seeds, i));
		if (!seeds[i]) {
			tl_api_reply_error(req, 400, "bad_request", "seeds must be strings \"TXID[:VOUT]\"");
			free(seeds);
			return;
		}
	}
	rq.seeds = seeds;
	rq.nseeds = nseeds;
	if (t->address) {
		if ((t->from && tl_trace_parse_date(t->from, 0, &rq.from, &err) < 0) ||
		    (t->to && tl_trace_parse_date(t->to, 1, &rq.to, &err) < 0)) {
			tl_api_reply_error(req, 400, "bad_request", "%s", err.msg);
			free(seeds);
			return;
		}
		rq.address = t->address;
	}
	struct tl_clearance view;
	tl_api_req_clearance(req, &view);
	rq.clearance = &view; /* tags and heists above it are not there */
	/* The walk stops on time: at the end of the request's budget, or of
	 * the server's trace time limit if shorter, or when the server stops. */
	long budget = tl_api_req_time_left_ms(req);
	if (app->opts.trace_time_ms > 0 && app->opts.trace_time_ms < budget) budget = app->opts.trace_time_ms;
	p->deadline_ms = budget > 0 ? tl_walk_now_ms() + (uint64_t)budget : 1;
	struct trace_cancel_ctx cc = { app, req };
	p->cancel = trace_cancel;
	p->cancel_ctx = &cc;

	json_t *res = NULL;
	enum tl_trace_stage at;
	int r = tl_trace_request_run(app->store, &rq, &res, &at, &err);
	free(seeds);
	if (r) {
		reply_trace_failure(req, app, t, p, at, r, &err);
		return;
	}
	if (!strcmp(format, "json")) {
		tl_api_reply_json(req, 200, res);
		return;
	}
	char *buf = NULL;
	size_t len = 0;
	if (tl_trace_render(res, format, &buf, &len, &err) < 0)
		tl_api_reply_error(req, 500, "internal", "rendering the report failed: %s", err.msg);
	else
		tl_api_reply_raw(req, 200, ctype, buf, len);
	free(buf);
	json_decref(res);
}

/* Largest value a numeric trace parameter may take: out of range is
 * refused (400 naming it), never clamped. */
static long long param_max(const char *name)
{
	if (!strcmp(name, "max_hops")) return UINT32_MAX;
	if (!strcmp(name, "min_sat")) return 2100000000000000LL; /* 21 million BTC */
	return LLONG_MAX;
}

static int query_ll(struct tl_api_req *req, const char *name, long long *out)
{
	const char *v = tl_api_req_query(req, name);
	*out = -1;
	if (!v) return 0;
	char *end = NULL;
	errno = 0;
	long long x = *v >= '0' && *v <= '9' ? strtoll(v, &end, 10) : -1;
	if (x < 0 || *end || errno == ERANGE || x > param_max(name)) {
		tl_api_reply_error(req, 400, "bad_request", "%s must be an integer between 0 and %lld", name,
				   param_max(name));
		return -1;
	}
	*out = x;
	return 0;
}

static void get_heist_trace(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	if (app->eth) { /* both databases: the cross-chain report (api/routes_eth.c) */
		tl_eth_heist_trace(req, app);
		return;
	}
	struct trace_req t;
	memset(&t, 0, sizeof t);
	t.heist = tl_api_req_param(req, "id");
	t.policy = tl_api_req_query(req, "policy");
	t.format = tl_api_req_query(req, "format");
	t.until = tl_api_req_query(req, "until");
	t.stop_cats_csv = tl_api_req_query(req, "stop_categories");
	const char *m = tl_api_req_query(req, "stop_at_mixers");
	t.stop_at_mixers = m ? (!strcmp(m, "true") || !strcmp(m, "1")) : -1;
	if (query_ll(req, "max_hops", &t.max_hops) || query_ll(req, "min_sat", &t.min_sat) ||
	    query_ll(req, "max_tx", &t.max_tx))
		return;
	run_trace(req, ctx, &t);
}

/* Reads an optional string member; replies 400 when it has another type. */
static int body_str(struct tl_api_req *req, json_t *b, const char *k, const char **out)
{
	json_t *v = json_object_get(b, k);
	*out = NULL;
	if (!v || json_is_null(v)) return 0;
	if (!json_is_string(v)) {
		tl_api_reply_error(req, 400, "bad_request", "'%s' must be a string", k);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

static int body_int(struct tl_api_req *req, json_t *b, const char *k, long long *out)
{
	json_t *v = json_object_get(b, k);
	*out = -1;
	if (!v || json_is_null(v)) return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > param_max(k)) {
		tl_api_reply_error(req, 400, "bad_request", "'%s' must be an integer between 0 and %lld", k, param_max(k));
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

static void post_trace(struct tl_api_req *req, void *ctx)
{
	json_t *b = tl_api_req_json(req);
	if (!b) return;
	if (!json_is_object(b)) {
		tl_api_reply_error(req, 400, "bad_request", "the body must be a JSON object");
		return;
	}
	struct trace_req t;
	memset(&t, 0, sizeof t);
	if (body_str(req, b, "heist", &t.heist) || body_str(req, b, "address", &t.address) ||
	    body_str(req, b, "from", &t.from) || body_str(req, b, "to", &t.to) ||
	    body_str(req, b, "policy", &t.policy) || body_str(req, b, "format", &t.format) ||
	    body_int(req, b, "max_hops", &t.max_hops) || body_int(req, b, "min_sat", &t.min_sat) ||
	    body_int(req, b, "max_tx", &t.max_tx))
		return;
	json_t *u = json_object_get(b, "until");
	char ubuf[32];
	if (json_is_integer(u)) {
		snprintf(ubuf, sizeof ubuf, "%lld", (long long)json_integer_value(u));
		t.until = ubuf;
	} else if (json_is_string(u)) {
		t.until = json_string_value(u);
	}
	t.seeds = json_object_get(b, "seeds");
	if (t.seeds && !json_is_array(t.seeds)) {
		tl_api_reply_error(req, 400, "bad_request", "'seeds' must be an array of \"TXID[:VOUT]\"");
		return;
	}
	if (t.seeds && json_array_size(t.seeds) > 10000) {
		tl_api_reply_limit(req, 413, "seeds", 10000, "split the seeds over several traces", "too many seeds");
		return;
	}
	t.stop_cats = json_object_get(b, "stop_categories");
	if (t.stop_cats && !json_is_array(t.stop_cats)) {
		tl_api_reply_error(req, 400, "bad_request", "'stop_categories' must be an array of names");
		return;
	}
	json_t *m = json_object_get(b, "stop_at_mixers");
	t.stop_at_mixers = json_is_boolean(m) ? json_is_true(m) : -1;
	run_trace(req, ctx, &t);
}

/* ---- screening ---- */

#define SCREEN_BATCH_MAX 1000

/* One subject: exactly one of address, outpoint, txid. Returns the verdict
 * or NULL with *status, *code and err set. */
static json_t *screen_one(struct tl_app *app, struct tl_screen *sc, const char *address, const char *outpoint, const char *txid,
			  int *status, const char **code, struct tl_err *err)
{
	int n = (address != NULL) + (outpoint != NULL) + (txid != NULL);
	*status = 400;
	*code = "bad_request";
	if (n != 1) {
		tl_err_set(err, "give exactly one of address, outpoint (TXID:VOUT) or txid");
		return NULL;
	}
	json_t *j = NULL;
	uint8_t h[32];
	if (address) {
		j = tl_screen_address(sc, address, err);
		if (!j) *code = err->code == TL_E_WRONG_NETWORK ? "wrong_network" : "bad_address";
	} else if (outpoint) {
		uint32_t vout = 0;
		if (tl_trace_parse_outpoint(outpoint, h, &vout, err) < 0 || vout == TL_SEED_WHOLE_TX) {
			if (vout == TL_SEED_WHOLE_TX && !strchr(outpoint, ':'))
				tl_err_set(err, "bad outpoint '%.80s': expected TXID:VOUT", outpoint);
			*code = "bad_txid";
			return NULL;
		}
		j = tl_screen_outpoint(sc, h, vout, err);
		if (!j && app->opts.extra_screen) j = app->opts.extra_screen(app->opts.extra_screen_ctx, sc, h, vout);
		if (!j) {
			*status = 404;
			*code = "not_found";
		}
	} else {
		if (strlen(txid) != 64 || tl_hash_from_hex(txid, h) < 0) {
			tl_err_set(err, "'%.80s' is not a txid (64 hex digits)", txid);
			*code = "bad_txid";
			return NULL;
		}
		j = tl_screen_txid(sc, h, err);
		if (!j && app->opts.extra_screen)
			j = app->opts.extra_screen(app->opts.extra_screen_ctx, sc, h, UINT32_MAX);
		if (!j) {
			*status = 404;
			*code = "not_found";
		}
	}
	if (!j && err->code == TL_E_STORE) {
		*status = 500;
		*code = "store_error";
	}
	return j;
}

/* The heists the caller may not see, left out of its verdicts. */
static int screen_hidden(struct tl_api_req *req, struct tl_app *app, struct tl_hidden *hid, struct tl_err *err)
{
	struct tl_clearance clr;
	tl_api_req_clearance(req, &clr);
	return tl_hidden_load(app->store, &clr, hid, err);
}

/* The caller's view of the stored tags for the subject's label and the
 * sanctioned rule (the context keeps it until the next request sets
 * another; its entity cache is dropped only when the view changes). */
static void screen_view(struct tl_api_req *req, struct tl_screen *sc)
{
	struct tl_clearance clr;
	tl_api_req_clearance(req, &clr);
	tl_screen_set_clearance(sc, &clr);
}

static void get_screen(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	const char *addr = tl_api_req_query(req, "address");
	if (app->eth && addr && !strncmp(addr, "0x", 2)) { /* an Ethereum account (api/routes_eth.c) */
		tl_eth_get_screen(req, app);
		return;
	}
	struct tl_err err;
	struct tl_hidden hid;
	if (screen_hidden(req, app, &hid, &err)) {
		tl_app_reply_store_error(req, &err);
		return;
	}
	struct tl_screen *sc = tl_app_screen_get(app, &err);
	if (!sc) {
		tl_hidden_free(&hid);
		tl_app_reply_store_error(req, &err);
		return;
	}
	tl_screen_set_filter(sc, hid.n ? tl_hidden_visible_cb : NULL, &hid);
	screen_view(req, sc);
	int status;
	const char *code;
	/* direction=withdrawal: the destination of funds of an address */
	const char *dir = tl_api_req_query(req, "direction");
	json_t *j = NULL;
	if (dir && strcmp(dir, "deposit") && strcmp(dir, "withdrawal")) {
		status = 400;
		code = "bad_request";
		tl_err_set(&err, "direction is deposit or withdrawal");
	} else if (dir && !strcmp(dir, "withdrawal")) {
		const char *a = tl_api_req_query(req, "address");
		status = 400;
		code = "bad_request";
		if (!a) tl_err_set(&err, "direction=withdrawal screens an address (its destination of funds)");
		else if (!(j = tl_screen_destination(sc, a, 0, &err)))
			code = err.code == TL_E_TOO_LARGE ? "walk_too_big"
			       : err.code == TL_E_WRONG_NETWORK ? "wrong_network" : "bad_address";
		if (!j && err.code == TL_E_TOO_LARGE) status = 413;
	} else {
		j = screen_one(app, sc, tl_api_req_query(req, "address"), tl_api_req_query(req, "outpoint"),
			       tl_api_req_query(req, "txid"), &status, &code, &err);
	}
	tl_screen_set_filter(sc, NULL, NULL);
	tl_screen_set_clearance(sc, NULL);
	tl_app_screen_put(app, sc);
	tl_hidden_free(&hid);
	if (!j) {
		tl_api_reply_error(req, status, code, "%s", err.msg);
		return;
	}
	tl_api_count_verdict(req, json_string_value(json_object_get(j, "risk")));
	tl_api_reply_json(req, 200, j);
}

/* POST /v1/screen: {"items": [{"address": A} | {"outpoint": "TXID:VOUT"} |
 * {"txid": T}, ...]} (or the bare array), up to 1000. Each result is the
 * verdict or {"error", "message"} for that item, in order. */
static void post_screen(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	json_t *b = tl_api_req_json(req);
	if (!b) return;
	json_t *items = json_is_array(b) ? b : json_object_get(b, "items");
	if (!json_is_array(items)) {
		tl_api_reply_error(req, 400, "bad_request", "the body must be {\"items\": [...]} or an array of items");
		return;
	}
	if (json_array_size(items) > SCREEN_BATCH_MAX) {
		tl_api_reply_limit(req, 413, "screen_batch", SCREEN_BATCH_MAX, "split the batch into requests of 1000 items",
				   "too many items in one screening batch");
		return;
	}
	struct tl_err err;
	struct tl_hidden hid;
	if (screen_hidden(req, app, &hid, &err)) {
		tl_app_reply_store_error(req, &err);
		return;
	}
	struct tl_screen *sc = tl_app_screen_get(app, &err);
	if (!sc) {
		tl_hidden_free(&hid);
		tl_app_reply_store_error(req, &err);
		return;
	}
	tl_screen_set_filter(sc, hid.n ? tl_hidden_visible_cb : NULL, &hid);
	screen_view(req, sc);
	json_t *out = json_array();
	size_t i;
	json_t *it;
	int counts[3] = { 0, 0, 0 };
	json_array_foreach(items, i, it)
	{
		json_t *r;
		int status;
		const char *code;
		if (!json_is_object(it)) {
			r = json_pack("{s:s,s:s}", "error", "bad_request", "message", "an item must be an object");
		} else {
			const char *a = json_string_value(json_object_get(it, "address"));
			const char *o = json_string_value(json_object_get(it, "outpoint"));
			const char *t = json_string_value(json_object_get(it, "txid"));
			r = screen_one(app, sc, a, o, t, &status, &code, &err);
			if (r) tl_api_count_verdict(req, json_string_value(json_object_get(r, "risk")));
			if (!r) r = json_pack("{s:s,s:s,s:i}", "error", code, "message", err.msg, "status", status);
		}
		/* Results must line up with the items: never drop one. */
		if (!r) r = json_pack("{s:s,s:s,s:i}", "error", "internal", "message", "result not representable",
				      "status", 500);
		counts[json_object_get(r, "error") ? 1 : 0]++;
		if (json_array_append_new(out, r) < 0) {
			tl_screen_set_filter(sc, NULL, NULL);
			tl_screen_set_clearance(sc, NULL);
			tl_app_screen_put(app, sc);
			tl_hidden_free(&hid);
			json_decref(out);
			tl_api_reply_error(req, 500, "internal", "out of memory building the batch result");
			return;
		}
		if (tl_api_req_time_left_ms(req) < 0) {
			tl_screen_set_filter(sc, NULL, NULL);
			tl_screen_set_clearance(sc, NULL);
			tl_app_screen_put(app, sc);
			tl_hidden_free(&hid);
			json_decref(out);
			tl_api_reply_limit(req, 422, "screen_time", (double)app->opts.handler_time_ms / 1000.0,
					   "send smaller batches", "the batch did not finish within its time budget");
			return;
		}
	}
	tl_screen_set_filter(sc, NULL, NULL);
	tl_screen_set_clearance(sc, NULL);
	tl_app_screen_put(app, sc);
	tl_hidden_free(&hid);
	tl_api_reply_json(req, 200,
			  json_pack("{s:i,s:i,s:o}", "screened", counts[0], "errors", counts[1], "results", out));
}

int tl_routes_v1(struct tl_app *app, struct tl_err *err)
{
	struct tl_api_server *s = app->srv;
	/* Traces and imports run on the expensive-work pool; a tag file may
	 * be larger than other bodies. */
	const struct tl_api_route_opts pool_opts = { TL_ROUTE_POOL, 0 };
	const struct tl_api_route_opts import_opts = { TL_ROUTE_POOL, 0 };
	if (tl_api_route(s, TL_GET, "/v1/heists", TL_ROLE_SCREEN, get_heists, app, err) ||
	    tl_api_route(s, TL_GET, "/v1/heists/:id", TL_ROLE_SCREEN, get_heist, app, err) ||
	    tl_api_route(s, TL_GET, "/v1/addresses/:address/tags", TL_ROLE_SCREEN, get_address_tags, app, err) ||
	    tl_api_route(s, TL_GET, "/v1/clusters/:id", TL_ROLE_INVESTIGATE, get_cluster, app, err) ||
	    tl_api_route_opts(s, TL_POST, "/v1/tags", TL_ROLE_ADMIN, &import_opts, post_tags, app, err) ||
	    tl_api_route_opts(s, TL_GET, "/v1/heists/:id/trace", TL_ROLE_INVESTIGATE, &pool_opts, get_heist_trace, app,
			      err) ||
	    tl_api_route_opts(s, TL_POST, "/v1/trace", TL_ROLE_INVESTIGATE, &pool_opts, post_trace, app, err) ||
	    tl_api_route(s, TL_GET, "/v1/screen", TL_ROLE_SCREEN, get_screen, app, err) ||
	    tl_api_route(s, TL_POST, "/v1/screen", TL_ROLE_SCREEN, post_screen, app, err))
		return -1;
	return tl_routes_transfers(app, err);
}
