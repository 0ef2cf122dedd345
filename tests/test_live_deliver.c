/* Webhook delivery (live/deliver.h) to a real receiver on 127.0.0.1 (a
 * libevent HTTP server in a thread) that checks every signature with
 * the watch's secret: a seeded random set of events over two watches is
 * delivered completely while the receiver first fails a long run of
 * requests and the database is closed and opened again mid-way (no
 * pending delivery lost); every retry of one event carries the same
 * webhook-id and body, distinct events distinct ids; the first retry is
 * due within 10 s with the default base; a delivery that keeps failing
 * is marked failed after max_age_s and not tried again. Time is a
 * virtual clock passed to each pass: nothing sleeps through a backoff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <jansson.h>

#include "bitcoin/network.h"
#include "live/deliver.h"
#include "live/webhook.h"
#include "store/watches.h"
#include "tests/testutil.h"

#define MAXEV 64

struct seen {
	char id[64];
	char *body;
	int ok;    /* answered 2xx */
	int tries; /* requests with this id */
};

static struct {
	struct event_base *base;
	struct evhttp *http;
	pthread_t thread;
	uint16_t port;
	pthread_mutex_t lock;
	char secret[2][TL_WEBHOOK_SECRET_MAX]; /* of /hook0 and /hook1 */
	int fail_left;                         /* answer 503 to this many more requests */
	int bad_sig, bad_body, requests;
	struct seen seen[MAXEV];
	size_t nseen;
} R;

static void handle(struct evhttp_request *req, void *arg)
{
	(void)arg;
	const char *uri = evhttp_request_get_uri(req);
	int which = !strcmp(uri, "/hook1");
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char *id = evhttp_find_header(h, "webhook-id");
	const char *ts = evhttp_find_header(h, "webhook-timestamp");
	const char *sig = evhttp_find_header(h, "webhook-signature");
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	char *body = malloc(len + 1);
	evbuffer_remove(in, body, len);
	body[len] = 0;
	pthread_mutex_lock(&R.lock);
	R.requests++;
	char want[TL_WEBHOOK_SIG_LEN];
	struct tl_err err;
	if (!id || !ts || !sig ||
	    tl_webhook_sign(R.secret[which], id, strtoll(ts, NULL, 10), (const uint8_t *)body, len, want, &err) < 0 ||
	    strcmp(want, sig))
		R.bad_sig++;
	int fail = R.fail_left > 0;
	if (fail) R.fail_left--;
	struct seen *s = NULL;
	for (size_t i = 0; id && i < R.nseen; i++)
		if (!strcmp(R.seen[i].id, id)) s = &R.seen[i];
	if (id && !s && R.nseen < MAXEV) {
		s = &R.seen[R.nseen++];
		snprintf(s->id, sizeof s->id, "%s", id);
		s->body = strdup(body);
	}
	if (s) {
		if (strcmp(s->body, body)) R.bad_body++; /* one id, one body */
		s->tries++;
		if (!fail) s->ok++;
	}
	pthread_mutex_unlock(&R.lock);
	free(body);
	evhttp_send_reply(req, fail ? 503 : 204, fail ? "Unavailable" : "No Content", NULL);
}

static void *loop_main(void *arg)
{
	(void)arg;
	event_base_dispatch(R.base);
	return NULL;
}

static char *dir;
static char db[4096];

static struct tl_store *open_db(int create)
{
	struct tl_store_opts o = { .create = create, .net = tl_net_by_name("regtest") };
	struct tl_store *s;
	struct tl_err err;
	if (tl_store_open(db, &o, &s, &err) < 0) fail_msg("open: %s", err.msg);
	return s;
}

static void put_watch(struct tl_store *s, uint64_t id, const char *url, const char *secret)
{
	json_t *w = json_pack("{s:s,s:s,s:s,s:[s]}", "owner", "loopback", "url", url, "secret", secret, "events",
			      "deposit");
	char *t = json_dumps(w, JSON_COMPACT);
	json_decref(w);
	struct tl_batch *b = tl_batch_new(s);
	tl_batch_put_watch(b, id, t);
	tl_batch_put_watch_seq(b, id);
	free(t);
	struct tl_err err;
	if (tl_store_write(s, b, &err) < 0) fail_msg("write: %s", err.msg);
	tl_batch_free(b);
}

struct states {
	size_t pending, delivered, failed;
	json_t *byid; /* webhook_id -> stored delivery */
};

static int count_state(uint64_t w, uint64_t q, const char *text, void *ctx)
{
	(void)w;
	(void)q;
	struct states *st = ctx;
	json_t *d = json_loads(text, 0, NULL);
	assert_non_null(d);
	const char *s = json_string_value(json_object_get(d, "state"));
	if (!strcmp(s, "pending")) st->pending++;
	else if (!strcmp(s, "delivered")) st->delivered++;
	else if (!strcmp(s, "failed")) st->failed++;
	if (st->byid) json_object_set(st->byid, json_string_value(json_object_get(d, "webhook_id")), d);
	json_decref(d);
	return 0;
}

static struct states states_of(struct tl_store *s, int keep)
{
	struct states st = { .byid = keep ? json_object() : NULL };
	struct tl_err err;
	assert_int_equal(tl_deliveries_all(s, count_state, &st, &err), 0);
	return st;
}

static int setup(void **state)
{
	(void)state;
	assert_int_equal(evthread_use_pthreads(), 0);
	pthread_mutex_init(&R.lock, NULL);
	R.base = event_base_new();
	R.http = evhttp_new(R.base);
	evhttp_set_gencb(R.http, handle, NULL);
	struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(R.http, "127.0.0.1", 0);
	assert_non_null(bs);
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sa, &sl);
	R.port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&R.thread, NULL, loop_main, NULL), 0);
	dir = tu_tmpdir("live_deliver");
	snprintf(db, sizeof db, "%s/db", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	event_base_loopbreak(R.base);
	pthread_join(R.thread, NULL);
	evhttp_free(R.http);
	event_base_free(R.base);
	for (size_t i = 0; i < R.nseen; i++) free(R.seen[i].body);
	tu_rmrf(dir);
	free(dir);
	return 0;
}

static void test_at_least_once_across_failures_and_restart(void **state)
{
	(void)state;
	unsigned seed = (unsigned)time(NULL);
	const char *env = getenv("TL_SEED");
	if (env) seed = (unsigned)strtoul(env, NULL, 10);
	srand(seed);
	struct tl_err err;
	struct tl_store *s = open_db(1);
	char url[2][128];
	for (int i = 0; i < 2; i++) {
		assert_int_equal(tl_webhook_secret_new(R.secret[i], &err), 0);
		snprintf(url[i], sizeof url[i], "http://127.0.0.1:%u/hook%d", R.port, i);
		put_watch(s, (uint64_t)i + 1, url[i], R.secret[i]);
	}
	int nev = 20 + rand() % 20;
	int64_t now = 1700000000000LL;
	char ids[MAXEV][64];
	for (int e = 0; e < nev; e++) {
		uint64_t w = 1 + (uint64_t)(rand() % 2), seq;
		json_t *data = json_pack("{s:s,s:i,s:I,s:i}", "txid", "00ff", "vout", e, "amount_sat",
					 (json_int_t)(rand() % 100000000), "confirmations", 0);
		assert_int_equal(tl_deliver_enqueue(s, w, "deposit", data, now, &seq, &err), 0);
		json_decref(data);
		snprintf(ids[e], sizeof ids[e], "msg_%" PRIu64 "_%" PRIu64, w, seq);
	}
	pthread_mutex_lock(&R.lock);
	R.fail_left = nev * 3 + rand() % 20; /* every event fails at least 3 times */
	pthread_mutex_unlock(&R.lock);
	struct tl_deliver_opts o = { .base_ms = 100, .max_age_s = 86400, .timeout_ms = 5000 };
	int delivered = 0, passes = 0;
	for (; passes < 400 && delivered < nev; passes++) {
		if (passes == 3 || passes == 9) { /* restart: only the database carries state */
			tl_store_close(s);
			s = open_db(0);
		}
		int r = tl_deliver_pass(s, &o, now, &err);
		if (r < 0) fail_msg("seed %u: pass: %s", seed, err.msg);
		delivered += r;
		now += 250;
	}
	if (delivered != nev) fail_msg("seed %u: %d of %d delivered after %d passes", seed, delivered, nev, passes);
	struct states st = states_of(s, 1);
	assert_int_equal(st.delivered, (size_t)nev);
	assert_int_equal(st.pending + st.failed, 0);
	pthread_mutex_lock(&R.lock);
	assert_int_equal(R.bad_sig, 0);
	assert_int_equal(R.bad_body, 0);
	assert_int_equal(R.nseen, (size_t)nev); /* no event under two ids, no stray id */
	for (int e = 0; e < nev; e++) {
		struct seen *x = NULL;
		for (size_t i = 0; i < R.nseen; i++)
			if (!strcmp(R.seen[i].id, ids[e])) x = &R.seen[i];
		if (!x) fail_msg("seed %u: event %s never arrived", seed, ids[e]);
		assert_int_equal(x->ok, 1); /* a delivered event is not sent again */
		assert_true(x->tries >= 4);
		json_t *d = json_object_get(st.byid, ids[e]);
		assert_string_equal(json_string_value(json_object_get(d, "body")), x->body);
		json_t *b = json_loads(x->body, 0, NULL);
		assert_string_equal(json_string_value(json_object_get(b, "type")), "deposit");
		assert_true(json_is_object(json_object_get(b, "data")));
		json_decref(b);
	}
	pthread_mutex_unlock(&R.lock);
	json_decref(st.byid);
	tl_store_close(s);
}

static void test_backoff_and_expiry(void **state)
{
	(void)state;
	struct tl_err err;
	struct tl_store *s = open_db(1);
	/* a port nobody listens on: bind one, note it, close it */
	struct evhttp *tmp = evhttp_new(R.base);
	struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(tmp, "127.0.0.1", 0);
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sa, &sl);
	evhttp_free(tmp);
	char url[128];
	snprintf(url, sizeof url, "http://127.0.0.1:%u/gone", ntohs(sa.sin_port));
	char secret[TL_WEBHOOK_SECRET_MAX];
	assert_int_equal(tl_webhook_secret_new(secret, &err), 0);
	put_watch(s, 9, url, secret);
	int64_t now = 1700000000000LL;
	uint64_t seq;
	json_t *data = json_object();
	assert_int_equal(tl_deliver_enqueue(s, 9, "reorg", data, now, &seq, &err), 0);
	json_decref(data);
	struct tl_deliver_opts def = { 0 };
	assert_int_equal(tl_deliver_pass(s, &def, now, &err), 0);
	struct states st = states_of(s, 1);
	json_t *d = json_object_get(st.byid, "msg_9_1");
	int64_t next = json_integer_value(json_object_get(d, "next_ms"));
	assert_true(next > now && next - now <= 10000); /* first retry within 10 s */
	assert_int_equal(json_integer_value(json_object_get(d, "attempts")), 1);
	json_decref(st.byid);
	/* later retries double until it expires: 2 s, 4 s, 8 s ... */
	int64_t prev_gap = next - now;
	struct tl_deliver_opts o = { .max_age_s = 60 };
	int attempts = 1;
	while (attempts < 50) {
		now = next;
		assert_int_equal(tl_deliver_pass(s, &o, now, &err), 0);
		st = states_of(s, 1);
		d = json_object_get(st.byid, "msg_9_1");
		attempts++;
		assert_int_equal(json_integer_value(json_object_get(d, "attempts")), attempts);
		int64_t n2 = json_integer_value(json_object_get(d, "next_ms"));
		int failed = !strcmp(json_string_value(json_object_get(d, "state")), "failed");
		json_decref(st.byid);
		if (failed) break;
		assert_true(n2 - now == 2 * prev_gap);
		prev_gap = n2 - now;
		next = n2;
	}
	/* 2+4+8+16 = 30 s, then a next try at 62 s passes the 60 s: failed after 5 */
	assert_int_equal(attempts, 5);
	/* a failed delivery is not tried again */
	assert_int_equal(tl_deliver_pass(s, &o, now + 3600 * 1000LL, &err), 0);
	st = states_of(s, 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(st.byid, "msg_9_1"), "attempts")), 5);
	json_decref(st.byid);
	tl_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_at_least_once_across_failures_and_restart),
		cmocka_unit_test(test_backoff_and_expiry),
	};
	return tu_finish(cmocka_run_group_tests(tests, setup, teardown));
}
