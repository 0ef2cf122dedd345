/* The watches API (/v1/watches) on a real server: roles (screen keys may
 * not create or list), ownership (a key sees, deletes and reads the
 * deliveries of its own watches only; another key's watch is a 404), the
 * secret answered once (Standard Webhooks form, never in a later answer),
 * body validation, deliveries listed from the database, and a seeded
 * random sequence of creates and deletes by three keys whose lists must
 * match a plain in-memory model, also after the server is restarted on
 * the same database (the seed is printed on failure; TL_SEED replays). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "api/auth.h"
#include "api/serve.h"
#include "store/watches.h"
#include "tests/chainfix.h"
#include "tests/httpc.h"
#include "tests/testutil.h"

#define NKEYS 4 /* screen, alice (investigate), bob (investigate), carol (admin) */

static struct {
	char *dir;
	char keys[4096], db[4096];
	char key[NKEYS][TL_API_KEY_LEN + 1];
	struct tl_app *app;
	uint16_t port;
	char address[128]; /* an address of the database's network */
} F;

enum { K_SCREEN, K_ALICE, K_BOB, K_CAROL };

static void add_key(FILE *f, char *key, enum tl_api_role role, const char *name)
{
	struct tl_err err;
	char line[256];
	assert_int_equal(tl_key_generate(key, &err), 0);
	assert_int_equal(tl_keyline_format(key, role, 0, name, line, sizeof line, &err), 0);
	fputs(line, f);
}

static void app_start(void)
{
	struct tl_err err;
	struct tl_serve_opts o;
	tl_serve_opts_default(&o);
	o.db_path = F.db;
	o.listen = "127.0.0.1:0";
	o.keys_file = F.keys;
	o.log = NULL;
	if (tl_app_open(&o, &F.app, &err) < 0) fail_msg("open: %s", err.msg);
	if (tl_app_start(F.app, &err) < 0) fail_msg("start: %s", err.msg);
	F.port = tl_app_port(F.app);
}

static int req(const char *method, const char *path, int k, const char *body, struct resp *r)
{
	if (http_do(F.port, method, path, k >= 0 ? F.key[k] : NULL, body, body ? strlen(body) : 0, r) < 0)
		fail_msg("%s %s: no answer", method, path);
	return r->status;
}

static int setup(void **state)
{
	(void)state;
	F.dir = tu_tmpdir("watches_api");
	char sim[4096], blocks[4096];
	snprintf(sim, sizeof sim, "%s/sim", F.dir);
	snprintf(blocks, sizeof blocks, "%s/sim/blocks", F.dir);
	snprintf(F.db, sizeof F.db, "%s/db", F.dir);
	snprintf(F.keys, sizeof F.keys, "%s/keys.txt", F.dir);
	cf_sim(sim, 11, 120, 4, 0, true);
	struct tl_index_opts io = cf_index_opts(blocks, F.db);
	cf_index_run(&io, NULL);
	FILE *kf = fopen(F.keys, "w");
	assert_non_null(kf);
	add_key(kf, F.key[K_SCREEN], TL_ROLE_SCREEN, "desk");
	add_key(kf, F.key[K_ALICE], TL_ROLE_INVESTIGATE, "alice");
	add_key(kf, F.key[K_BOB], TL_ROLE_INVESTIGATE, "bob");
	add_key(kf, F.key[K_CAROL], TL_ROLE_ADMIN, "carol");
	fclose(kf);
	app_start();
	/* an address from the chain itself: the tip block's coinbase output */
	struct resp r;
	assert_int_equal(req("GET", "/api/blocks/tip/hash", K_ALICE, NULL, &r), 200);
	char path[256];
	snprintf(path, sizeof path, "/api/block/%.*s/txs/0", (int)r.blen, r.body);
	resp_free(&r);
	assert_int_equal(req("GET", path, K_ALICE, NULL, &r), 200);
	json_t *txs = resp_json(&r);
	resp_free(&r);
	const char *a = json_string_value(
		json_object_get(json_array_get(json_object_get(json_array_get(txs, 0), "vout"), 0), "scriptpubkey_address"));
	assert_non_null(a);
	snprintf(F.address, sizeof F.address, "%s", a);
	json_decref(txs);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tl_app_close(F.app);
	tu_rmrf(F.dir);
	free(F.dir);
	return 0;
}

/* Creates a watch; returns its id and copies its secret. */
static uint64_t create(int k, const char *body, char secret[128])
{
	struct resp r;
	if (req("POST", "/v1/watches", k, body, &r) != 201) fail_msg("create %s: %d %.*s", body, r.status, (int)r.blen, r.body);
	json_t *j = resp_json(&r);
	resp_free(&r);
	json_int_t id = json_integer_value(json_object_get(j, "id"));
	const char *s = json_string_value(json_object_get(j, "secret"));
	assert_true(id > 0);
	assert_non_null(s);
	assert_int_equal(json_object_size(j), 2); /* exactly id and secret */
	snprintf(secret, 128, "%s", s);
	json_decref(j);
	return (uint64_t)id;
}

/* The secret is "whsec_" + base64 of 24 bytes. */
static void check_secret_form(const char *s)
{
	assert_int_equal(strncmp(s, "whsec_", 6), 0);
	assert_int_equal(strlen(s + 6), 32);
	unsigned char raw[32];
	assert_int_equal(EVP_DecodeBlock(raw, (const unsigned char *)s + 6, 32), 24);
}

/* The ids of k's watches, as GET /v1/watches lists them. */
static size_t list_ids(int k, uint64_t *ids, size_t cap, const char *must_not_hold)
{
	struct resp r;
	assert_int_equal(req("GET", "/v1/watches", k, NULL, &r), 200);
	if (must_not_hold) assert_null(memmem(r.body, r.blen, must_not_hold, strlen(must_not_hold)));
	assert_null(memmem(r.body, r.blen, "whsec_", 6));
	json_t *j = resp_json(&r);
	resp_free(&r);
	json_t *arr = json_object_get(j, "watches");
	assert_true(json_is_array(arr));
	size_t n = json_array_size(arr);
	assert_true(n <= cap);
	for (size_t i = 0; i < n; i++) {
		json_t *w = json_array_get(arr, i);
		ids[i] = (uint64_t)json_integer_value(json_object_get(w, "id"));
		assert_null(json_object_get(w, "secret"));
		assert_null(json_object_get(w, "owner"));
	}
	json_decref(j);
	return n;
}

static void test_roles_and_secret(void **state)
{
	(void)state;
	struct resp r;
	const char *body = "{\"heist\":\"sim-heist-1\",\"min_share\":0.1,\"url\":\"http://127.0.0.1:9/h\","
			   "\"events\":[\"deposit\",\"movement\"]}";
	/* no key, or a screening key: refused */
	assert_int_equal(req("POST", "/v1/watches", -1, body, &r), 401);
	resp_free(&r);
	assert_int_equal(req("POST", "/v1/watches", K_SCREEN, body, &r), 403);
	resp_free(&r);
	assert_int_equal(req("GET", "/v1/watches", K_SCREEN, NULL, &r), 403);
	resp_free(&r);

	char s1[128], s2[128];
	uint64_t a = create(K_ALICE, body, s1);
	char abody[512];
	snprintf(abody, sizeof abody,
		 "{\"address\":\"%s\",\"min_amount_sat\":1000,\"min_share\":0,\"url\":\"https://127.0.0.1/x\","
		 "\"events\":[\"deposit\",\"confirmed\",\"reorg\"]}",
		 F.address);
	uint64_t c = create(K_CAROL, abody, s2);
	check_secret_form(s1);
	check_secret_form(s2);
	assert_string_not_equal(s1, s2);
	assert_true(c > a);

	/* each key sees its own, and no answer holds a secret again */
	uint64_t ids[16];
	assert_int_equal(list_ids(K_ALICE, ids, 16, s1), 1);
	assert_true(ids[0] == a);
	assert_int_equal(list_ids(K_CAROL, ids, 16, s2), 1);
	assert_true(ids[0] == c);
	assert_int_equal(list_ids(K_BOB, ids, 16, NULL), 0);

	/* the listed watch is what was asked */
	assert_int_equal(req("GET", "/v1/watches", K_CAROL, NULL, &r), 200);
	json_t *j = resp_json(&r);
	resp_free(&r);
	json_t *w = json_array_get(json_object_get(j, "watches"), 0);
	assert_string_equal(json_string_value(json_object_get(w, "address")), F.address);
	assert_int_equal(json_integer_value(json_object_get(w, "min_amount_sat")), 1000);
	assert_int_equal(json_array_size(json_object_get(w, "events")), 3);
	assert_string_equal(json_string_value(json_object_get(w, "by")), "carol");
	json_decref(j);

	/* another key's watch is not found, even by an admin */
	char p[128];
	snprintf(p, sizeof p, "/v1/watches/%llu", (unsigned long long)a);
	assert_int_equal(req("DELETE", p, K_BOB, NULL, &r), 404);
	resp_free(&r);
	assert_int_equal(req("DELETE", p, K_CAROL, NULL, &r), 404);
	resp_free(&r);
	snprintf(p, sizeof p, "/v1/watches/%llu/deliveries", (unsigned long long)a);
	assert_int_equal(req("GET", p, K_BOB, NULL, &r), 404);
	resp_free(&r);
	assert_int_equal(req("GET", p, K_ALICE, NULL, &r), 200);
	j = resp_json(&r);
	resp_free(&r);
	assert_int_equal(json_array_size(json_object_get(j, "deliveries")), 0);
	json_decref(j);
	assert_int_equal(list_ids(K_ALICE, ids, 16, NULL), 1);
}

static void test_bad_bodies(void **state)
{
	(void)state;
	char addr_both[512];
	snprintf(addr_both, sizeof addr_both,
		 "{\"address\":\"%s\",\"heist\":\"h\",\"min_share\":0.5,\"url\":\"http://a/\",\"events\":[\"deposit\"]}",
		 F.address);
	const char *bad[] = {
		"[]",
		"{\"min_share\":0.5,\"url\":\"http://a/\",\"events\":[\"deposit\"]}",
		addr_both,
		"{\"heist\":\"h\",\"url\":\"http://a/\",\"events\":[\"deposit\"]}",
		"{\"heist\":\"h\",\"min_share\":1.5,\"url\":\"http://a/\",\"events\":[\"deposit\"]}",
		"{\"heist\":\"h\",\"min_share\":\"0.5\",\"url\":\"http://a/\",\"events\":[\"deposit\"]}",
		"{\"heist\":\"h\",\"min_amount_sat\":-1,\"url\":\"http://a/\",\"events\":[\"deposit\"]}",
		"{\"heist\":\"h\",\"min_amount_sat\":1.5,\"url\":\"http://a/\",\"events\":[\"deposit\"]}",
		"{\"heist\":\"h\",\"min_share\":0.5,\"url\":\"ftp://a/\",\"events\":[\"deposit\"]}",
		"{\"heist\":\"h\",\"min_share\":0.5,\"url\":\"http://a b/\",\"events\":[\"deposit\"]}",
		"{\"heist\":\"h\",\"min_share\":0.5,\"events\":[\"deposit\"]}",
		"{\"heist\":\"h\",\"min_share\":0.5,\"url\":\"http://a/\",\"events\":[]}",
		"{\"heist\":\"h\",\"min_share\":0.5,\"url\":\"http://a/\",\"events\":[\"payout\"]}",
		"{\"heist\":\"h\",\"min_share\":0.5,\"url\":\"http://a/\",\"events\":[\"reorg\",\"reorg\"]}",
		"{\"heist\":\"h/../x\",\"min_share\":0.5,\"url\":\"http://a/\",\"events\":[\"deposit\"]}",
		"{\"heist\":\"h\",\"min_share\":0.5,\"url\":\"http://a/\",\"events\":[\"deposit\"],\"secret\":\"x\"}",
	};
	uint64_t before[64], after[64];
	size_t nb = list_ids(K_BOB, before, 64, NULL);
	struct resp r;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		req("POST", "/v1/watches", K_BOB, bad[i], &r);
		if (r.status != 400) fail_msg("body %zu (%s): %d", i, bad[i], r.status);
		resp_free(&r);
	}
	req("POST", "/v1/watches", K_BOB,
	    "{\"address\":\"not-an-address\",\"min_share\":0.5,\"url\":\"http://a/\",\"events\":[\"deposit\"]}", &r);
	assert_int_equal(r.status, 400);
	resp_free(&r);
	assert_int_equal(req("DELETE", "/v1/watches/0", K_BOB, NULL, &r), 400);
	resp_free(&r);
	assert_int_equal(req("DELETE", "/v1/watches/abc", K_BOB, NULL, &r), 400);
	resp_free(&r);
	assert_int_equal(req("DELETE", "/v1/watches/999999", K_BOB, NULL, &r), 404);
	resp_free(&r);
	assert_int_equal(list_ids(K_BOB, after, 64, NULL), nb); /* nothing stored */
}

/* Queues delivery seq of watch (ctx = the watch id) as the delivery
 * engine would. */
struct deliv_put {
	uint64_t watch, seq;
	const char *text;
};
static int put_delivery(struct tl_store *w, void *ctx, struct tl_err *err)
{
	struct deliv_put *d = ctx;
	if (tl_watch_delivery_next(w, d->watch, &d->seq, err) < 0) return -1;
	struct tl_batch *b = tl_batch_new(w);
	tl_batch_put_watch_delivery(b, d->watch, d->seq, d->text);
	int rc = tl_store_write(w, b, err);
	tl_batch_free(b);
	return rc;
}

static int count_deliveries(uint64_t id, const char *text, void *ctx)
{
	(void)id;
	(void)text;
	(*(size_t *)ctx)++;
	return 0;
}

static void test_deliveries_listed_and_deleted(void **state)
{
	(void)state;
	char s[128];
	uint64_t id = create(K_BOB,
			     "{\"heist\":\"sim-heist-2\",\"min_amount_sat\":1,\"url\":\"http://127.0.0.1:9/\","
			     "\"events\":[\"movement\"]}",
			     s);
	struct tl_err err;
	const char *texts[] = { "{\"webhook_id\":\"msg_a\",\"type\":\"movement\",\"state\":\"delivered\"}",
				"{\"webhook_id\":\"msg_b\",\"type\":\"movement\",\"state\":\"pending\"}" };
	for (int i = 0; i < 2; i++) {
		struct deliv_put d = { .watch = id, .text = texts[i] };
		if (tl_app_write(F.app, put_delivery, &d, &err) < 0) fail_msg("write: %s", err.msg);
		assert_true(d.seq == (uint64_t)i + 1);
	}
	char p[128];
	snprintf(p, sizeof p, "/v1/watches/%llu/deliveries", (unsigned long long)id);
	struct resp r;
	assert_int_equal(req("GET", p, K_BOB, NULL, &r), 200);
	json_t *j = resp_json(&r);
	resp_free(&r);
	json_t *arr = json_object_get(j, "deliveries");
	assert_int_equal(json_array_size(arr), 2);
	for (int i = 0; i < 2; i++) {
		json_t *d = json_array_get(arr, (size_t)i);
		assert_int_equal(json_integer_value(json_object_get(d, "seq")), i + 1);
		assert_string_equal(json_string_value(json_object_get(d, "webhook_id")), i ? "msg_b" : "msg_a");
	}
	json_decref(j);
	/* deleting the watch deletes its deliveries */
	snprintf(p, sizeof p, "/v1/watches/%llu", (unsigned long long)id);
	assert_int_equal(req("DELETE", p, K_BOB, NULL, &r), 200);
	resp_free(&r);
	assert_int_equal(req("DELETE", p, K_BOB, NULL, &r), 404);
	resp_free(&r);
	size_t n = 0;
	assert_int_equal(tl_watch_deliveries_list(F.app->store, id, count_deliveries, &n, &err), 0);
	assert_int_equal(n, 0);
	snprintf(p, sizeof p, "/v1/watches/%llu/deliveries", (unsigned long long)id);
	assert_int_equal(req("GET", p, K_BOB, NULL, &r), 404);
	resp_free(&r);
}

/* ---- model ---- */

#define MAXW 256
struct model {
	uint64_t id[MAXW];
	int owner[MAXW];
	size_t n;
	uint64_t max_id;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void check_model(const struct model *m, unsigned seed)
{
	static const int owners[] = { K_ALICE, K_BOB, K_CAROL };
	for (int o = 0; o < 3; o++) {
		uint64_t got[MAXW], want[MAXW];
		size_t ng = list_ids(owners[o], got, MAXW, NULL), nw = 0;
		for (size_t i = 0; i < m->n; i++)
			if (m->owner[i] == owners[o]) want[nw++] = m->id[i];
		qsort(want, nw, sizeof want[0], cmp_u64);
		if (ng != nw) fail_msg("seed %u: key %d lists %zu watches, model %zu", seed, owners[o], ng, nw);
		for (size_t i = 0; i < nw; i++)
			if (got[i] != want[i])
				fail_msg("seed %u: key %d watch %zu: %llu, model %llu", seed, owners[o], i,
					 (unsigned long long)got[i], (unsigned long long)want[i]);
	}
}

static void test_model_and_restart(void **state)
{
	(void)state;
	unsigned seed = (unsigned)time(NULL);
	const char *env = getenv("TL_SEED");
	if (env) seed = (unsigned)strtoul(env, NULL, 10);
	srand(seed);
	struct model m = { .n = 0 };
	/* what earlier tests left */
	static const int owners[] = { K_ALICE, K_BOB, K_CAROL };
	for (int o = 0; o < 3; o++) {
		uint64_t ids[MAXW];
		size_t n = list_ids(owners[o], ids, MAXW, NULL);
		for (size_t i = 0; i < n; i++) {
			m.id[m.n] = ids[i];
			m.owner[m.n++] = owners[o];
			if (ids[i] > m.max_id) m.max_id = ids[i];
		}
	}
	for (int step = 0; step < 120; step++) {
		int k = owners[rand() % 3];
		int op = rand() % 10;
		if (step == 60) { /* a restart on the same database keeps everything */
			tl_app_close(F.app);
			app_start();
			check_model(&m, seed);
		}
		if (op < 6 && m.n < MAXW) {
			char s[128];
			uint64_t id = create(k,
					     "{\"heist\":\"sim-heist-1\",\"min_share\":0.25,\"url\":\"http://127.0.0.1:9/\","
					     "\"events\":[\"deposit\"]}",
					     s);
			if (id <= m.max_id) fail_msg("seed %u: id %llu reused or not increasing", seed, (unsigned long long)id);
			m.max_id = id;
			m.id[m.n] = id;
			m.owner[m.n++] = k;
		} else if (m.n) {
			size_t i = (size_t)rand() % m.n;
			char p[64];
			snprintf(p, sizeof p, "/v1/watches/%llu", (unsigned long long)m.id[i]);
			struct resp r;
			int want = m.owner[i] == k ? 200 : 404;
			int got = req("DELETE", p, k, NULL, &r);
			resp_free(&r);
			if (got != want) fail_msg("seed %u: delete %s by %d: %d, model %d", seed, p, k, got, want);
			if (want == 200) {
				m.id[i] = m.id[m.n - 1];
				m.owner[i] = m.owner[--m.n];
			}
		}
		if (step % 20 == 19) check_model(&m, seed);
	}
	check_model(&m, seed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles_and_secret),
		cmocka_unit_test(test_bad_bodies),
		cmocka_unit_test(test_deliveries_listed_and_deleted),
		cmocka_unit_test(test_model_and_restart),
	};
	return tu_finish(cmocka_run_group_tests(tests, setup, teardown));
}
