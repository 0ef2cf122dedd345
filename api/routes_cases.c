/* Cases of the web app (/v1/cases): a named, saved graph with its
 * positions, notes and annotations, its author (the API key's name), times
 * and a TLP level; and the audit log of who created, opened, changed or
 * deleted which case (/v1/audit).
 *
 * Every call that opens or changes a case writes an audit entry in the
 * same batch as the change, through tl_app_write (the primary database);
 * an open that cannot be logged is refused (409 database_busy while a
 * separate writer holds the database), so the log misses no access. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "api/http_json.h"
#include "api/serve.h"
#include "store/cases.h"
#include "store/tlp.h"

#define NAME_MAX_CHARS 200
#define NOTES_MAX_BYTES (256 * 1024)

enum case_op { OP_CREATE, OP_OPEN, OP_UPDATE, OP_DELETE };

static const char *const tlp_levels[] = { "clear", "green", "amber", "amber+strict", "red" };

struct case_job {
	enum case_op op;
	uint64_t id;
	json_t *in;          /* request body (borrowed): name, tlp, notes, graph */
	const char *by;      /* author / actor */
	const char *role;
	struct tl_clearance clr; /* cases above it are not there */
	/* results */
	int status;          /* HTTP status when the job decided one (404, 400) */
	char message[256];
	json_t *out;         /* the case as answered (owned) */
};

static void now_iso(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Whether a case's metadata is visible to clearance c (an unreadable
 * level counts as RED). */
static int case_visible(const json_t *meta, const struct tl_clearance *c)
{
	if (c->all) return 1;
	struct tl_tlp_mark m = { .level = TL_TLP_RED };
	const char *t = json_string_value(json_object_get(meta, "tlp"));
	if (t && tl_tlp_parse_name(t, &m.level)) m.level = TL_TLP_RED;
	return tl_tlp_visible(&m, c);
}

static int valid_tlp(const char *s)
{
	for (size_t i = 0; i < sizeof tlp_levels / sizeof tlp_levels[0]; i++)
		if (!strcmp(s, tlp_levels[i])) return 1;
	return 0;
}

/* Checks the fields of a create or update body; fills msg. Returns 0 or -1. */
static int check_body(json_t *in, int creating, char *msg, size_t cap)
{
	if (!json_is_object(in)) return snprintf(msg, cap, "the body must be a JSON object"), -1;
	json_t *name = json_object_get(in, "name");
	if (creating && !name) return snprintf(msg, cap, "a case needs a name"), -1;
	if (name && (!json_is_string(name) || json_string_length(name) == 0 ||
		     json_string_length(name) > NAME_MAX_CHARS))
		return snprintf(msg, cap, "name must be a string of 1 to %d bytes", NAME_MAX_CHARS), -1;
	json_t *tlp = json_object_get(in, "tlp");
	if (tlp && (!json_is_string(tlp) || !valid_tlp(json_string_value(tlp))))
		return snprintf(msg, cap, "tlp must be one of clear, green, amber, amber+strict, red"), -1;
	json_t *notes = json_object_get(in, "notes");
	if (notes && (!json_is_string(notes) || json_string_length(notes) > NOTES_MAX_BYTES))
		return snprintf(msg, cap, "notes must be a string of at most %d bytes", NOTES_MAX_BYTES), -1;
	json_t *graph = json_object_get(in, "graph");
	if (graph && !json_is_object(graph) && !json_is_null(graph))
		return snprintf(msg, cap, "graph must be an object"), -1;
	return 0;
}

/* Appends an audit entry to batch b. */
static int audit(struct tl_store *w, struct tl_batch *b, const struct case_job *j, const char *action,
		 const char *name, json_t *changes, struct tl_err *err)
{
	uint64_t seq;
	if (tl_cases_audit_next(w, &seq, err) < 0) return -1;
	char ts[32];
	now_iso(ts);
	json_t *e = json_pack("{s:I,s:s,s:I,s:s,s:s,s:s,s:s}", "seq", (json_int_t)seq, "time", ts, "case",
			      (json_int_t)j->id, "action", action, "by", j->by, "role", j->role, "name",
			      name ? name : "");
	if (changes) json_object_set(e, "changes", changes);
	char *text = json_dumps(e, JSON_COMPACT);
	json_decref(e);
	if (!text) abort();
	tl_batch_put_case_audit(b, seq, text);
	free(text);
	return 0;
}

static int job_fn(struct tl_store *w, void *ctx, struct tl_err *err)
{
	struct case_job *j = ctx;
	char *mtext = NULL, *gtext = NULL;
	json_t *meta = NULL, *graph = NULL;
	struct tl_batch *b = tl_batch_new(w);
	int rc = -1;
	char ts[32];
	now_iso(ts);

	if (j->op == OP_CREATE) {
		if (tl_cases_next_id(w, &j->id, err) < 0) goto out;
		tl_batch_put_case_seq(b, j->id);
		json_t *tlp = json_object_get(j->in, "tlp");
		json_t *notes = json_object_get(j->in, "notes");
		meta = json_pack("{s:O,s:s,s:s,s:s,s:s,s:s}", "name", json_object_get(j->in, "name"), "tlp",
				 tlp ? json_string_value(tlp) : "amber", "notes", notes ? json_string_value(notes) : "",
				 "author", j->by, "created", ts, "updated", ts);
		graph = json_object_get(j->in, "graph");
		graph = graph ? json_incref(graph) : json_null();
		if (audit(w, b, j, "create", json_string_value(json_object_get(meta, "name")), NULL, err) < 0) goto out;
	} else {
		int r = tl_case_get(w, j->id, &mtext, j->op == OP_DELETE ? NULL : &gtext, err);
		if (r < 0) goto out;
		if (r == 0) {
			j->status = 404;
			snprintf(j->message, sizeof j->message, "no case %" PRIu64, j->id);
			rc = 0;
			goto out;
		}
		meta = json_loads(mtext, 0, NULL);
		if (!json_is_object(meta)) {
			tl_err_set(err, "case %" PRIu64 " is stored damaged", j->id);
			goto out;
		}
		if (gtext) graph = json_loads(gtext, JSON_DECODE_ANY, NULL);
		if (!case_visible(meta, &j->clr)) { /* the same answer as an unknown id, and no audit entry */
			j->status = 404;
			snprintf(j->message, sizeof j->message, "no case %" PRIu64, j->id);
			rc = 0;
			goto out;
		}
		const char *name = json_string_value(json_object_get(meta, "name"));
		if (j->op == OP_OPEN) {
			if (audit(w, b, j, "open", name, NULL, err) < 0) goto out;
		} else if (j->op == OP_DELETE) {
			tl_batch_del_case(b, j->id);
			if (audit(w, b, j, "delete", name, NULL, err) < 0) goto out;
		} else {
			json_t *changes = json_array();
			static const char *const fields[] = { "name", "tlp", "notes" };
			for (size_t i = 0; i < 3; i++) {
				json_t *v = json_object_get(j->in, fields[i]);
				if (!v || json_equal(v, json_object_get(meta, fields[i]))) continue;
				json_array_append_new(changes, json_string(fields[i]));
				json_object_set(meta, fields[i], v);
			}
			json_t *g = json_object_get(j->in, "graph");
			if (g && !json_equal(g, graph)) {
				json_array_append_new(changes, json_string("graph"));
				json_decref(graph);
				graph = json_incref(g);
			}
			json_object_set_new(meta, "updated", json_string(ts));
			const char *action = json_array_size(changes) == 1 &&
						     !strcmp(json_string_value(json_array_get(changes, 0)), "name")
					     ? "rename"
					     : "update";
			int ar = audit(w, b, j, action, json_string_value(json_object_get(meta, "name")), changes, err);
			json_decref(changes);
			if (ar < 0) goto out;
		}
	}
	if (j->op == OP_CREATE || j->op == OP_UPDATE) {
		char *m = json_dumps(meta, JSON_COMPACT);
		char *g = json_dumps(graph ? graph : json_null(), JSON_COMPACT | JSON_ENCODE_ANY);
		if (!m || !g) abort();
		tl_batch_put_case(b, j->id, m, g);
		free(m);
		free(g);
	}
	if (tl_store_write(w, b, err) < 0) goto out;
	j->out = json_incref(meta);
	json_object_set_new(j->out, "id", json_integer((json_int_t)j->id));
	if (j->op != OP_DELETE) json_object_set(j->out, "graph", graph ? graph : json_null());
	rc = 0;
out:
	tl_batch_free(b);
	json_decref(meta);
	json_decref(graph);
	free(mtext);
	free(gtext);
	return rc;
}

static const char *actor(struct tl_api_req *req, const struct tl_app *app)
{
	const char *n = tl_api_req_key_name(req);
	if (n && *n) return n;
	return app->opts.keys_file ? "unnamed key" : "loopback";
}

/* Runs a job and answers it. */
static void run_job(struct tl_api_req *req, struct tl_app *app, struct case_job *j, int ok_status)
{
	j->by = actor(req, app);
	tl_api_req_clearance(req, &j->clr);
	/* a caller cannot mark a case above what it may see */
	json_t *want = j->in ? json_object_get(j->in, "tlp") : NULL;
	if (j->op == OP_CREATE || want) {
		json_t *m = json_pack("{s:s}", "tlp", want ? json_string_value(want) : "amber");
		int ok = case_visible(m, &j->clr);
		json_decref(m);
		if (!ok) {
			tl_api_reply_error(req, 400, "bad_request", "tlp %s is above this key's clearance",
			                   want ? json_string_value(want) : "amber (the default)");
			return;
		}
	}
	j->role = tl_role_name(tl_api_req_role(req));
	struct tl_err err;
	int rc = tl_app_write(app, job_fn, j, &err);
	if (rc < 0 && j->out) { /* stored; the served view did not catch up */
		json_object_set_new(j->out, "warning", json_string(err.msg));
		rc = 0;
	}
	if (rc < 0) {
		if (err.code == TL_E_CONFLICT)
			tl_api_reply_error(req, 409, "database_busy", "%s; cases are written when no other writer runs",
					   err.msg);
		else
			tl_app_reply_store_error(req, &err);
		return;
	}
	if (j->status) {
		tl_api_reply_error(req, j->status, "not_found", "%s", j->message);
		return;
	}
	tl_api_reply_json(req, ok_status, j->out);
}

/* The :id parameter, or replies 400 and returns -1. */
static int case_id(struct tl_api_req *req, uint64_t *id)
{
	const char *s = tl_api_req_param(req, "id");
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*s < '1' || *s > '9' || *end || errno || v == 0) {
		tl_api_reply_error(req, 400, "bad_case", "'%s' is not a case id (a positive integer)", s);
		return -1;
	}
	*id = v;
	return 0;
}

/* POST /v1/cases */
static void post_case(struct tl_api_req *req, void *ctx)
{
	json_t *in = tl_api_req_json(req);
	if (!in) return;
	struct case_job j = { .op = OP_CREATE, .in = in };
	if (check_body(in, 1, j.message, sizeof j.message) < 0) {
		tl_api_reply_error(req, 400, "bad_request", "%s", j.message);
		return;
	}
	run_job(req, ctx, &j, 201);
}

/* GET /v1/cases/:id */
static void get_case(struct tl_api_req *req, void *ctx)
{
	struct case_job j = { .op = OP_OPEN };
	if (case_id(req, &j.id) < 0) return;
	run_job(req, ctx, &j, 200);
}

/* PUT /v1/cases/:id */
static void put_case(struct tl_api_req *req, void *ctx)
{
	struct case_job j = { .op = OP_UPDATE };
	if (case_id(req, &j.id) < 0) return;
	json_t *in = tl_api_req_json(req);
	if (!in) return;
	j.in = in;
	if (check_body(in, 0, j.message, sizeof j.message) < 0) {
		tl_api_reply_error(req, 400, "bad_request", "%s", j.message);
		return;
	}
	run_job(req, ctx, &j, 200);
}

/* DELETE /v1/cases/:id */
static void delete_case(struct tl_api_req *req, void *ctx)
{
	struct case_job j = { .op = OP_DELETE };
	if (case_id(req, &j.id) < 0) return;
	run_job(req, ctx, &j, 200);
}

struct list_ctx {
	json_t *arr;
	struct tl_clearance clr;
};

static int list_one(uint64_t id, const char *text, void *ctx)
{
	struct list_ctx *x = ctx;
	json_t *arr = x->arr;
	json_t *m = json_loads(text, 0, NULL);
	if (!json_is_object(m)) {
		json_decref(m);
		m = json_pack("{s:s}", "error", "stored damaged");
	}
	if (!case_visible(m, &x->clr)) {
		json_decref(m);
		return 0;
	}
	json_object_del(m, "notes"); /* the list stays small; open a case for them */
	json_object_set_new(m, "id", json_integer((json_int_t)id));
	json_array_append_new(arr, m);
	return 0;
}

/* GET /v1/cases: every case's metadata (without notes and graph). */
static void get_cases(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	json_t *arr = json_array();
	struct tl_err err;
	struct list_ctx x = { arr, { 0 } };
	tl_api_req_clearance(req, &x.clr);
	if (tl_cases_list(app->store, list_one, &x, &err) < 0) {
		json_decref(arr);
		tl_app_reply_store_error(req, &err);
		return;
	}
	tl_api_reply_json(req, 200, json_pack("{s:o}", "cases", arr));
}

struct audit_filter {
	json_t *arr;
	uint64_t case_id; /* 0 = all */
	size_t max;
	struct tl_store *st;
	struct tl_clearance clr;
	json_t *hidden; /* "id" -> true/false, cases looked up */
};

/* Whether the entries of case id may be shown: not when the case exists
 * and lies above the clearance. */
static int audit_case_shown(struct audit_filter *f, uint64_t id)
{
	if (f->clr.all) return 1;
	char k[24];
	snprintf(k, sizeof k, "%" PRIu64, id);
	json_t *h = json_object_get(f->hidden, k);
	if (h) return json_is_false(h);
	char *mtext = NULL;
	struct tl_err err;
	int hide = 0;
	if (tl_case_get(f->st, id, &mtext, NULL, &err) != 0) { /* a read error hides too */
		json_t *m = mtext ? json_loads(mtext, 0, NULL) : NULL;
		hide = !m || !case_visible(m, &f->clr);
		json_decref(m);
	}
	free(mtext);
	json_object_set_new(f->hidden, k, json_boolean(hide));
	return !hide;
}

static int audit_one(uint64_t seq, const char *text, void *ctx)
{
	struct audit_filter *f = ctx;
	(void)seq;
	json_t *e = json_loads(text, 0, NULL);
	if (!json_is_object(e)) {
		json_decref(e);
		return 0;
	}
	uint64_t cid = (uint64_t)json_integer_value(json_object_get(e, "case"));
	if ((f->case_id && cid != f->case_id) || !audit_case_shown(f, cid)) {
		json_decref(e);
		return 0;
	}
	json_array_append_new(f->arr, e);
	return json_array_size(f->arr) >= f->max;
}

/* GET /v1/audit[?case=ID][&limit=N]: audit entries, newest first. */
static void get_audit(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	struct audit_filter f = { .arr = json_array(), .max = 1000, .st = app->store, .hidden = json_object() };
	tl_api_req_clearance(req, &f.clr);
	const char *c = tl_api_req_query(req, "case");
	const char *l = tl_api_req_query(req, "limit");
	char *end;
	if (c) {
		f.case_id = strtoull(c, &end, 10);
		if (!*c || *end || f.case_id == 0) {
			json_decref(f.arr);
			json_decref(f.hidden);
			tl_api_reply_error(req, 400, "bad_case", "case must be a case id (a positive integer)");
			return;
		}
	}
	if (l) {
		unsigned long long v = strtoull(l, &end, 10);
		if (!*l || *end || v == 0 || v > 10000) {
			json_decref(f.arr);
			json_decref(f.hidden);
			tl_api_reply_error(req, 400, "bad_request", "limit must be an integer from 1 to 10000");
			return;
		}
		f.max = v;
	}
	struct tl_err err;
	int lr = tl_cases_audit_list(app->store, 0, audit_one, &f, &err);
	json_decref(f.hidden);
	if (lr < 0) {
		json_decref(f.arr);
		tl_app_reply_store_error(req, &err);
		return;
	}
	tl_api_reply_json(req, 200, json_pack("{s:o}", "entries", f.arr));
}

int tl_routes_cases(struct tl_app *app, struct tl_err *err)
{
	struct tl_api_server *s = app->srv;
	if (tl_api_route(s, TL_GET, "/v1/cases", TL_ROLE_INVESTIGATE, get_cases, app, err) ||
	    tl_api_route(s, TL_POST, "/v1/cases", TL_ROLE_INVESTIGATE, post_case, app, err) ||
	    tl_api_route(s, TL_GET, "/v1/cases/:id", TL_ROLE_INVESTIGATE, get_case, app, err) ||
	    tl_api_route(s, TL_PUT, "/v1/cases/:id", TL_ROLE_INVESTIGATE, put_case, app, err) ||
	    tl_api_route(s, TL_DELETE, "/v1/cases/:id", TL_ROLE_INVESTIGATE, delete_case, app, err) ||
	    tl_api_route(s, TL_GET, "/v1/audit", TL_ROLE_INVESTIGATE, get_audit, app, err))
		return -1;
	return 0;
}
