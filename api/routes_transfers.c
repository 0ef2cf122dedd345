/* /v1/transfers: transfers an exchange registers for screening, with its
 * own reference, and their stored verdicts (tracer/screen_transfers.h).
 *   POST /v1/transfers  {transfer_reference, user_id, direction: deposit |
 *                        withdrawal, address | outpoint}  -> 201 the transfer
 *                        (409 transfer_exists with its id for a known reference)
 *   GET  /v1/transfers?user=U[&after=ID][&limit=N] -> {transfers, next_after}
 *   GET  /v1/transfers/:id -> the transfer */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "api/http_json.h"
#include "api/serve.h"
#include "store/transfers.h"
#include "tracer/screen_transfers.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX 500

struct save_job {
	json_t *rec;
	uint64_t id;
	int dup;
	int written;
};

static int save_fn(struct tl_store *w, void *ctx, struct tl_err *err)
{
	struct save_job *j = ctx;
	int r = tl_screen_transfer_save(w, j->rec, &j->id, err);
	if (r < 0) return -1;
	j->dup = r == 1;
	j->written = r == 0;
	return 0;
}

static const char *str_member(json_t *in, const char *name)
{
	json_t *v = json_object_get(in, name);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void post_transfer(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	json_t *in = tl_api_req_json(req);
	if (!in) return;
	const char *ref = str_member(in, "transfer_reference"), *user = str_member(in, "user_id"),
		   *dir = str_member(in, "direction"), *addr = str_member(in, "address"),
		   *op = str_member(in, "outpoint");
	if (!json_is_object(in) || !ref || !user || !dir) {
		tl_api_reply_error(req, 400, "bad_request",
				   "a transfer is {transfer_reference, user_id, direction, address | outpoint}");
		return;
	}
	if (!*ref || !*user || strlen(ref) > TL_TRANSFER_KEY_MAX || strlen(user) > TL_TRANSFER_KEY_MAX) {
		tl_api_reply_error(req, 400, "bad_request", "transfer_reference and user_id want 1..%d bytes",
				   TL_TRANSFER_KEY_MAX);
		return;
	}
	int wd = !strcmp(dir, "withdrawal");
	if (!wd && strcmp(dir, "deposit")) {
		tl_api_reply_error(req, 400, "bad_request", "direction is deposit or withdrawal, not '%.40s'", dir);
		return;
	}
	if (!!addr == !!op || (wd && !addr)) {
		tl_api_reply_error(req, 400, "bad_request",
				   wd ? "a withdrawal names its destination address"
				      : "a deposit names one address or one outpoint (TXID:VOUT)");
		return;
	}
	if (addr && tl_app_check_address(req, app, addr) < 0) return;
	struct tl_err err;
	struct tl_screen *sc = tl_app_screen_get(app, &err);
	if (!sc) {
		tl_app_reply_store_error(req, &err);
		return;
	}
	json_t *v = tl_screen_transfer_verdict(sc, wd, addr, op, &err);
	tl_app_screen_put(app, sc);
	if (!v) {
		tl_api_reply_err(req, &err, NULL, 400);
		return;
	}
	char ts[32];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_t *subj = addr ? json_pack("{s:s}", "address", addr) : json_pack("{s:s}", "outpoint", op);
	json_t *rec = json_pack("{s:s,s:s,s:s,s:o,s:s,s:O,s:O,s:o}", "transfer_reference", ref, "user_id", user,
				"direction", wd ? "withdrawal" : "deposit", "subject", subj, "registered_at", ts,
				"risk", json_object_get(v, "risk"), "score", json_object_get(v, "score"), "verdict", v);
	struct save_job j = { .rec = rec };
	if (tl_app_write(app, save_fn, &j, &err) < 0 && !j.written) {
		json_decref(rec);
		if (err.code == TL_E_CONFLICT)
			tl_api_reply_error(req, 409, "database_busy",
					   "%s; transfers are written when no other writer runs", err.msg);
		else
			tl_app_reply_store_error(req, &err);
		return;
	}
	if (j.dup) {
		json_decref(rec);
		json_t *e = json_pack("{s:s,s:s,s:I}", "error", "transfer_exists", "message",
				      "this transfer_reference is registered already", "id", (json_int_t)j.id);
		tl_api_reply_json(req, 409, e);
		return;
	}
	tl_api_req_set_header(req, "Cache-Control", "no-store");
	tl_api_reply_json(req, 201, rec);
}

struct page {
	json_t *arr;
	uint64_t last;
	size_t limit;
};

static int page_one(uint64_t id, const char *text, void *ctx)
{
	struct page *p = ctx;
	json_t *t = json_loads(text, 0, NULL);
	if (!t) t = json_pack("{s:I,s:s}", "id", (json_int_t)id, "error", "damaged record");
	json_array_append_new(p->arr, t);
	p->last = id;
	return json_array_size(p->arr) >= p->limit;
}

/* A positive decimal query parameter, or def when absent; -1 if bad. */
static int64_t query_num(struct tl_api_req *req, const char *name, int64_t def, int64_t max)
{
	const char *s = tl_api_req_query(req, name);
	if (!s) return def;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v < 0 || v > max) return -1;
	return v;
}

static void get_transfers(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	const char *user = tl_api_req_query(req, "user");
	if (!user || !*user || strlen(user) > TL_TRANSFER_KEY_MAX) {
		tl_api_reply_error(req, 400, "bad_request", "give user=USER_ID (1..%d bytes)", TL_TRANSFER_KEY_MAX);
		return;
	}
	int64_t after = query_num(req, "after", 0, INT64_MAX), limit = query_num(req, "limit", PAGE_DEFAULT, PAGE_MAX);
	if (after < 0 || limit < 1) {
		tl_api_reply_error(req, 400, "bad_request", "after is a transfer id, limit 1..%d", PAGE_MAX);
		return;
	}
	struct page p = { json_array(), 0, (size_t)limit };
	struct tl_err err;
	if (tl_transfers_of_user(app->store, user, (uint64_t)after, page_one, &p, &err) < 0) {
		json_decref(p.arr);
		tl_app_reply_store_error(req, &err);
		return;
	}
	/* a full page may have more after it: page on from its last id */
	json_t *next = json_array_size(p.arr) == p.limit ? json_integer((json_int_t)p.last) : json_null();
	tl_api_reply_json(req, 200, json_pack("{s:s,s:o,s:o}", "user", user, "transfers", p.arr, "next_after", next));
}

static void get_transfer(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	const char *s = tl_api_req_param(req, "id");
	char *end;
	errno = 0;
	unsigned long long id = strtoull(s, &end, 10);
	if (*s < '1' || *s > '9' || *end || errno) {
		tl_api_reply_error(req, 400, "bad_request", "'%.40s' is not a transfer id", s);
		return;
	}
	char *text = NULL;
	struct tl_err err;
	int r = tl_transfer_get(app->store, id, &text, &err);
	if (r < 0) {
		tl_app_reply_store_error(req, &err);
		return;
	}
	if (r == 0) {
		tl_api_reply_error(req, 404, "not_found", "no transfer %llu", id);
		return;
	}
	json_t *t = json_loads(text, 0, NULL);
	free(text);
	if (!t) {
		tl_api_reply_error(req, 500, "damaged", "transfer %llu is damaged", id);
		return;
	}
	tl_api_reply_json(req, 200, t);
}

int tl_routes_transfers(struct tl_app *app, struct tl_err *err)
{
	struct tl_api_server *s = app->srv;
	if (tl_api_route(s, TL_POST, "/v1/transfers", TL_ROLE_SCREEN, post_transfer, app, err) ||
	    tl_api_route(s, TL_GET, "/v1/transfers", TL_ROLE_SCREEN, get_transfers, app, err) ||
	    tl_api_route(s, TL_GET, "/v1/transfers/:id", TL_ROLE_SCREEN, get_transfer, app, err))
		return -1;
	return 0;
}
