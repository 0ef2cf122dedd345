/* Watches (/v1/watches): an address or a heist to watch, thresholds, the
 * URL to push alerts to and the events wanted. Creating one answers its
 * webhook secret once; no later answer shows it. Each watch belongs to
 * the key that created it (the SHA-256 of the key, as in the keys file):
 * a key lists, deletes and reads the deliveries of its own watches only,
 * and another key's watch answers 404 as if it did not exist, so ids of
 * other keys' watches cannot be probed.
 *
 * The secret is stored as given in the meta family: signing a delivery
 * (HMAC-SHA256) needs the secret itself, so it cannot be stored hashed
 * (docs/live.md says why and how to protect it). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "api/http_json.h"
#include "api/serve.h"
#include "store/watches.h"

#define URL_MAX 2048
#define SECRET_MAX 64
#define HEIST_MAX 128

static const char *const event_names[] = { "deposit", "confirmed", "movement", "reorg" };
#define N_EVENTS (sizeof event_names / sizeof event_names[0])

/* The caller as owner: hex of its key's SHA-256, or "loopback" on a
 * server without keys (every loopback client is the same owner). */
static void owner_of(struct tl_api_req *req, char out[65])
{
	const uint8_t *h = tl_api_req_key_hash(req);
	if (!h) {
		strcpy(out, "loopback");
		return;
	}
	for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* A new secret in live/webhook.h's form ("whsec_" + base64 of 24 random
 * bytes). Made here because the API library is below the live one (which
 * signs with it). Returns 0, or -1 when the kernel gives no randomness. */
static int secret_new(char out[SECRET_MAX])
{
	uint8_t raw[24];
	if (RAND_bytes(raw, sizeof raw) != 1) return -1;
	memcpy(out, "whsec_", 6);
	EVP_EncodeBlock((unsigned char *)out + 6, raw, sizeof raw);
	return 0;
}

static int known_event(const char *s)
{
	for (size_t i = 0; i < N_EVENTS; i++)
		if (!strcmp(s, event_names[i])) return 1;
	return 0;
}

static int valid_heist(const char *s, size_t n)
{
	if (n == 0 || n > HEIST_MAX) return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

/* Checks a create body; fills msg. Returns 0, or -1 (msg set), or -2
 * (a bad address: already answered). */
static int check_body(struct tl_api_req *req, const struct tl_app *app, json_t *in, char *msg, size_t cap)
{
	if (!json_is_object(in)) return snprintf(msg, cap, "the body must be a JSON object"), -1;
	const char *known[] = { "address", "heist", "min_share", "min_amount_sat", "url", "events" };
	const char *k;
	json_t *v;
	json_object_foreach(in, k, v) {
		int ok = 0;
		for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) ok |= !strcmp(k, known[i]);
		if (!ok) return snprintf(msg, cap, "unknown field '%.64s'", k), -1;
	}
	json_t *addr = json_object_get(in, "address"), *heist = json_object_get(in, "heist");
	if (!addr == !heist) return snprintf(msg, cap, "a watch needs exactly one of address and heist"), -1;
	if (addr) {
		if (!json_is_string(addr)) return snprintf(msg, cap, "address must be a string"), -1;
		if (tl_app_check_address(req, app, json_string_value(addr)) < 0) return -2;
	}
	if (heist && (!json_is_string(heist) || !valid_heist(json_string_value(heist), json_string_length(heist))))
		return snprintf(msg, cap, "heist must be a heist id (letters, digits, '-', '_', '.'; at most %d)",
				HEIST_MAX),
		       -1;
	json_t *share = json_object_get(in, "min_share"), *amount = json_object_get(in, "min_amount_sat");
	if (!share && !amount) return snprintf(msg, cap, "a watch needs min_share or min_amount_sat (or both)"), -1;
	if (share && (!json_is_number(share) || !(json_number_value(share) >= 0 && json_number_value(share) <= 1)))
		return snprintf(msg, cap, "min_share must be a number from 0 to 1"), -1;
	if (amount && (!json_is_integer(amount) || json_integer_value(amount) < 0))
		return snprintf(msg, cap, "min_amount_sat must be a non-negative integer (satoshis)"), -1;
	json_t *url = json_object_get(in, "url");
	if (!json_is_string(url)) return snprintf(msg, cap, "a watch needs a url (http:// or https://)"), -1;
	const char *u = json_string_value(url);
	size_t ul = json_string_length(url);
	if (ul > URL_MAX || strlen(u) != ul ||
	    !((!strncmp(u, "http://", 7) && ul > 7) || (!strncmp(u, "https://", 8) && ul > 8)))
		return snprintf(msg, cap, "url must be an http:// or https:// URL of at most %d bytes", URL_MAX), -1;
	for (size_t i = 0; i < ul; i++)
		if ((unsigned char)u[i] <= ' ' || u[i] == 0x7f)
			return snprintf(msg, cap, "url must not hold spaces or control characters"), -1;
	json_t *ev = json_object_get(in, "events");
	if (!json_is_array(ev) || json_array_size(ev) == 0)
		return snprintf(msg, cap, "events must be a non-empty array of deposit, confirmed, movement, reorg"),
		       -1;
	size_t i;
	json_array_foreach(ev, i, v) {
		if (!json_is_string(v) || !known_event(json_string_value(v)))
			return snprintf(msg, cap, "events must be among deposit, confirmed, movement, reorg"), -1;
		for (size_t j = 0; j < i; j++)
			if (json_equal(v, json_array_get(ev, j)))
				return snprintf(msg, cap, "event '%s' is listed twice", json_string_value(v)), -1;
	}
	return 0;
}

enum watch_op { OP_CREATE, OP_DELETE };

struct watch_job {
	enum watch_op op;
	uint64_t id;
	const char *owner;
	const char *text; /* the watch to store (create) */
	int found;        /* delete: 0 when there is no such watch of this owner */
	int written;      /* the batch was written (a later catch-up may still fail) */
};

/* The watch's owner field matches owner. */
static int owned_by(const char *text, const char *owner)
{
	json_t *w = json_loads(text, 0, NULL);
	int ok = json_is_object(w) && json_is_string(json_object_get(w, "owner")) &&
		 !strcmp(json_string_value(json_object_get(w, "owner")), owner);
	json_decref(w);
	return ok;
}

static int job_fn(struct tl_store *w, void *ctx, struct tl_err *err)
{
	struct watch_job *j = ctx;
	struct tl_batch *b = tl_batch_new(w);
	int rc = -1;
	if (j->op == OP_CREATE) {
		if (tl_watches_next_id(w, &j->id, err) < 0) goto out;
		tl_batch_put_watch_seq(b, j->id);
		tl_batch_put_watch(b, j->id, j->text);
	} else {
		char *text = NULL;
		int r = tl_watch_get(w, j->id, &text, err);
		if (r < 0) goto out;
		j->found = r == 1 && owned_by(text, j->owner);
		free(text);
		if (!j->found) {
			rc = 0;
			goto out;
		}
		if (tl_batch_del_watch(w, b, j->id, err) < 0) goto out;
	}
	rc = tl_store_write(w, b, err);
	j->written = rc == 0;
out:
	tl_batch_free(b);
	return rc;
}

/* Runs a job; replies on failure. Returns 0 (done, maybe with a warning
 * in *warn) or -1 (answered). */
static int run_job(struct tl_api_req *req, struct tl_app *app, struct watch_job *j, char *warn, size_t cap)
{
	struct tl_err err;
	warn[0] = 0;
	if (tl_app_write(app, job_fn, j, &err) == 0) return 0;
	/* stored, but the served view did not catch up: the write stands */
	if (j->written) {
		snprintf(warn, cap, "%s", err.msg);
		return 0;
	}
	if (err.code == TL_E_CONFLICT)
		tl_api_reply_error(req, 409, "database_busy", "%s; watches are written when no other writer runs",
				   err.msg);
	else
		tl_app_reply_store_error(req, &err);
	return -1;
}

/* The :id parameter, or replies 400 and returns -1. */
static int watch_id(struct tl_api_req *req, uint64_t *id)
{
	const char *s = tl_api_req_param(req, "id");
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*s < '1' || *s > '9' || *end || errno || v == 0) {
		tl_api_reply_error(req, 400, "bad_watch", "'%s' is not a watch id (a positive integer)", s);
		return -1;
	}
	*id = v;
	return 0;
}

/* A stored watch as answered: without owner and secret. NULL if damaged. */
static json_t *public_view(uint64_t id, const char *text)
{
	json_t *w = json_loads(text, 0, NULL);
	if (!json_is_object(w)) {
		json_decref(w);
		return NULL;
	}
	json_object_del(w, "owner");
	json_object_del(w, "secret");
	json_object_set_new(w, "id", json_integer((json_int_t)id));
	return w;
}

/* POST /v1/watches */
static void post_watch(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	json_t *in = tl_api_req_json(req);
	if (!in) return;
	char msg[256];
	int c = check_body(req, app, in, msg, sizeof msg);
	if (c == -2) return;
	if (c < 0) {
		tl_api_reply_error(req, 400, "bad_request", "%s", msg);
		return;
	}
	char secret[SECRET_MAX], owner[65], ts[32];
	if (secret_new(secret) < 0) {
		tl_api_reply_error(req, 500, "no_randomness", "no randomness for a webhook secret");
		return;
	}
	owner_of(req, owner);
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_t *w = json_pack("{s:s,s:s,s:O,s:O,s:s,s:s}", "owner", owner, "by", tl_api_req_key_name(req), "url",
			      json_object_get(in, "url"), "events", json_object_get(in, "events"), "secret", secret,
			      "created", ts);
	json_t *addr = json_object_get(in, "address");
	if (addr) json_object_set(w, "address", addr);
	else json_object_set(w, "heist", json_object_get(in, "heist"));
	json_t *share = json_object_get(in, "min_share"), *amount = json_object_get(in, "min_amount_sat");
	if (share) json_object_set_new(w, "min_share", json_real(json_number_value(share)));
	if (amount) json_object_set(w, "min_amount_sat", amount);
	char *text = json_dumps(w, JSON_COMPACT);
	json_decref(w);
	if (!text) abort();
	struct watch_job j = { .op = OP_CREATE, .owner = owner, .text = text };
	char warn[512];
	int rc = run_job(req, app, &j, warn, sizeof warn);
	free(text);
	if (rc < 0) return;
	json_t *out = json_pack("{s:I,s:s}", "id", (json_int_t)j.id, "secret", secret);
	if (warn[0]) json_object_set_new(out, "warning", json_string(warn));
	tl_api_req_set_header(req, "Cache-Control", "no-store");
	tl_api_reply_json(req, 201, out);
}

struct list_ctx {
	const char *owner;
	json_t *arr;
};

static int list_one(uint64_t id, const char *text, void *ctx)
{
	struct list_ctx *l = ctx;
	if (!owned_by(text, l->owner)) return 0;
	json_t *w = public_view(id, text);
	if (w) json_array_append_new(l->arr, w);
	return 0;
}

/* GET /v1/watches: the caller's watches. */
static void get_watches(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	char owner[65];
	owner_of(req, owner);
	struct list_ctx l = { owner, json_array() };
	struct tl_err err;
	if (tl_watches_list(app->store, list_one, &l, &err) < 0) {
		json_decref(l.arr);
		tl_app_reply_store_error(req, &err);
		return;
	}
	tl_api_reply_json(req, 200, json_pack("{s:o}", "watches", l.arr));
}

/* DELETE /v1/watches/:id */
static void delete_watch(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	char owner[65], warn[512];
	owner_of(req, owner);
	struct watch_job j = { .op = OP_DELETE, .owner = owner };
	if (watch_id(req, &j.id) < 0) return;
	if (run_job(req, app, &j, warn, sizeof warn) < 0) return;
	if (!j.found) {
		tl_api_reply_error(req, 404, "not_found", "no watch %" PRIu64 " of this key", j.id);
		return;
	}
	json_t *out = json_pack("{s:I,s:b}", "id", (json_int_t)j.id, "deleted", 1);
	if (warn[0]) json_object_set_new(out, "warning", json_string(warn));
	tl_api_reply_json(req, 200, out);
}

static int deliv_one(uint64_t seq, const char *text, void *ctx)
{
	json_t *d = json_loads(text, 0, NULL);
	if (!json_is_object(d)) {
		json_decref(d);
		d = json_pack("{s:s}", "error", "stored damaged");
	}
	json_object_set_new(d, "seq", json_integer((json_int_t)seq));
	json_array_append_new(ctx, d);
	return 0;
}

/* GET /v1/watches/:id/deliveries */
static void get_deliveries(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	uint64_t id;
	if (watch_id(req, &id) < 0) return;
	char owner[65];
	owner_of(req, owner);
	struct tl_err err;
	char *text = NULL;
	int r = tl_watch_get(app->store, id, &text, &err);
	if (r < 0) {
		tl_app_reply_store_error(req, &err);
		return;
	}
	int mine = r == 1 && owned_by(text, owner);
	free(text);
	if (!mine) {
		tl_api_reply_error(req, 404, "not_found", "no watch %" PRIu64 " of this key", id);
		return;
	}
	json_t *arr = json_array();
	if (tl_watch_deliveries_list(app->store, id, deliv_one, arr, &err) < 0) {
		json_decref(arr);
		tl_app_reply_store_error(req, &err);
		return;
	}
	tl_api_reply_json(req, 200, json_pack("{s:I,s:o}", "watch", (json_int_t)id, "deliveries", arr));
}

int tl_routes_watches(struct tl_app *app, struct tl_err *err)
{
	struct tl_api_server *s = app->srv;
	if (tl_api_route(s, TL_GET, "/v1/watches", TL_ROLE_INVESTIGATE, get_watches, app, err) ||
	    tl_api_route(s, TL_POST, "/v1/watches", TL_ROLE_INVESTIGATE, post_watch, app, err) ||
	    tl_api_route(s, TL_DELETE, "/v1/watches/:id", TL_ROLE_INVESTIGATE, delete_watch, app, err) ||
	    tl_api_route(s, TL_GET, "/v1/watches/:id/deliveries", TL_ROLE_INVESTIGATE, get_deliveries, app, err))
		return -1;
	return 0;
}
