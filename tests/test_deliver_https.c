/* https webhook deliveries (live/deliver.h, live/httpsend.h) against
 * receivers on 127.0.0.1 serving certificates of a CA made at test time
 * with the openssl command: with that CA trusted (ca_file) the delivery
 * arrives with a valid signature; without it the certificate is refused;
 * a certificate for another name is refused even from the trusted CA;
 * and a plain http delivery in the same pass still goes through (the
 * pass sends both kinds concurrently). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <jansson.h>
#include <openssl/ssl.h>

#include "bitcoin/network.h"
#include "live/deliver.h"
#include "live/webhook.h"
#include "store/watches.h"
#include "tests/testutil.h"

static struct {
	struct event_base *base;
	pthread_t thread;
	pthread_mutex_t lock;
	struct evhttp *http[3]; /* 0: https, right name; 1: https, another name; 2: plain http */
	SSL_CTX *ctx[2];
	uint16_t port[3];
	char secret[TL_WEBHOOK_SECRET_MAX];
	int good[3], bad_sig;
} R;

static char *dir;

static void handle(struct evhttp_request *req, void *arg)
{
	int which = (int)(intptr_t)arg;
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char *id = evhttp_find_header(h, "webhook-id");
	const char *ts = evhttp_find_header(h, "webhook-timestamp");
	const char *sig = evhttp_find_header(h, "webhook-signature");
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	char *body = malloc(len + 1);
	evbuffer_remove(in, body, len);
	body[len] = 0;
	char want[TL_WEBHOOK_SIG_LEN];
	struct tl_err err;
	pthread_mutex_lock(&R.lock);
	if (id && ts && sig &&
	    tl_webhook_sign(R.secret, id, strtoll(ts, NULL, 10), (const uint8_t *)body, len, want, &err) == 0 &&
	    !strcmp(want, sig))
		R.good[which]++;
	else
		R.bad_sig++;
	pthread_mutex_unlock(&R.lock);
	free(body);
	evhttp_send_reply(req, 200, "OK", NULL);
}

static struct bufferevent *tls_bev(struct event_base *base, void *arg)
{
	return bufferevent_openssl_socket_new(base, -1, SSL_new(arg), BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
}

static void *loop_main(void *arg)
{
	(void)arg;
	event_base_dispatch(R.base);
	return NULL;
}

static void sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	char *out = NULL;
	if (tu_run(cmd, &out) != 0) fail_msg("%s: %s", cmd, out ? out : "");
	free(out);
}

/* A CA, and two server certificates it signs: one for IP 127.0.0.1, one
 * for DNS other.invalid. */
static void make_certs(void)
{
	sh("cd '%s' && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 "
	   "-subj /CN=test-ca >/dev/null 2>&1",
	   dir);
	const char *names[2] = { "IP:127.0.0.1", "DNS:other.invalid" };
	for (int i = 0; i < 2; i++) {
		sh("cd '%s' && printf 'subjectAltName=%s\\n' > ext%d.cnf && "
		   "openssl req -newkey rsa:2048 -nodes -keyout s%d.key -out s%d.csr -subj /CN=receiver%d >/dev/null 2>&1 && "
		   "openssl x509 -req -in s%d.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out s%d.pem -days 2 "
		   "-extfile ext%d.cnf >/dev/null 2>&1",
		   dir, names[i], i, i, i, i, i, i, i);
	}
}

static int setup(void **state)
{
	(void)state;
	dir = tu_tmpdir("deliver-https");
	char *out = NULL;
	if (tu_run("openssl version", &out) != 0) {
		free(out);
		print_message("no openssl command: skipped\n");
		exit(77);
	}
	free(out);
	make_certs();
	assert_int_equal(evthread_use_pthreads(), 0);
	pthread_mutex_init(&R.lock, NULL);
	R.base = event_base_new();
	for (int i = 0; i < 3; i++) {
		R.http[i] = evhttp_new(R.base);
		evhttp_set_gencb(R.http[i], handle, (void *)(intptr_t)i);
		if (i < 2) {
			char crt[4200], key[4200];
			snprintf(crt, sizeof crt, "%s/s%d.pem", dir, i);
			snprintf(key, sizeof key, "%s/s%d.key", dir, i);
			R.ctx[i] = SSL_CTX_new(TLS_server_method());
			assert_int_equal(SSL_CTX_use_certificate_file(R.ctx[i], crt, SSL_FILETYPE_PEM), 1);
			assert_int_equal(SSL_CTX_use_PrivateKey_file(R.ctx[i], key, SSL_FILETYPE_PEM), 1);
			evhttp_set_bevcb(R.http[i], tls_bev, R.ctx[i]);
		}
		struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(R.http[i], "127.0.0.1", 0);
		assert_non_null(bs);
		struct sockaddr_in sa;
		socklen_t sl = sizeof sa;
		getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sa, &sl);
		R.port[i] = ntohs(sa.sin_port);
	}
	assert_int_equal(pthread_create(&R.thread, NULL, loop_main, NULL), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	event_base_loopbreak(R.base);
	pthread_join(R.thread, NULL);
	for (int i = 0; i < 3; i++) evhttp_free(R.http[i]);
	for (int i = 0; i < 2; i++) SSL_CTX_free(R.ctx[i]);
	event_base_free(R.base);
	tu_rmrf(dir);
	free(dir);
	return 0;
}

static void put_watch(struct tl_store *s, uint64_t id, const char *url)
{
	json_t *w = json_pack("{s:s,s:s,s:s,s:[s]}", "owner", "loopback", "url", url, "secret", R.secret, "events",
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

/* The stored delivery of watch (its first). */
static int first_of(uint64_t id, const char *text, void *ctx)
{
	(void)id;
	*(json_t **)ctx = json_loads(text, 0, NULL);
	return 1;
}

static json_t *delivery(struct tl_store *s, uint64_t watch)
{
	json_t *d = NULL;
	struct tl_err err;
	assert_int_equal(tl_watch_deliveries_list(s, watch, first_of, &d, &err), 0);
	assert_non_null(d);
	return d;
}

static void test_https_verified(void **state)
{
	(void)state;
	struct tl_err err;
	char db[4200], ca[4200], url[128];
	snprintf(db, sizeof db, "%s/db", dir);
	snprintf(ca, sizeof ca, "%s/ca.pem", dir);
	struct tl_store_opts so = { .create = 1, .net = tl_net_by_name("regtest") };
	struct tl_store *s;
	if (tl_store_open(db, &so, &s, &err) < 0) fail_msg("%s", err.msg);
	assert_int_equal(tl_webhook_secret_new(R.secret, &err), 0);
	/* 1: the right name; 2: another name; 3: plain http */
	snprintf(url, sizeof url, "https://127.0.0.1:%u/hook", R.port[0]);
	put_watch(s, 1, url);
	snprintf(url, sizeof url, "https://127.0.0.1:%u/hook", R.port[1]);
	put_watch(s, 2, url);
	snprintf(url, sizeof url, "http://127.0.0.1:%u/hook", R.port[2]);
	put_watch(s, 3, url);
	int64_t now = 1700000000000LL;
	for (uint64_t w = 1; w <= 3; w++) {
		uint64_t seq;
		json_t *data = json_pack("{s:s,s:i}", "txid", "00ff", "vout", (int)w);
		assert_int_equal(tl_deliver_enqueue(s, w, "deposit", data, now, &seq, &err), 0);
		json_decref(data);
	}

	/* The CA not trusted: both https receivers refused, http delivered. */
	struct tl_deliver_opts o = { .base_ms = 1000 };
	assert_int_equal(tl_deliver_pass(s, &o, now, &err), 1);
	for (uint64_t w = 1; w <= 2; w++) {
		json_t *d = delivery(s, w);
		const char *le = json_string_value(json_object_get(d, "last_error"));
		print_message("untrusted CA, watch %d: %s\n", (int)w, le);
		assert_string_equal(json_string_value(json_object_get(d, "state")), "pending");
		assert_non_null(strstr(le, "TLS: certificate refused"));
		json_decref(d);
	}
	json_t *d3 = delivery(s, 3);
	assert_string_equal(json_string_value(json_object_get(d3, "state")), "delivered");
	json_decref(d3);

	/* Trusted: the right name is delivered, another name still refused. */
	o.ca_file = ca;
	now += 1000;
	assert_int_equal(tl_deliver_pass(s, &o, now, &err), 1);
	json_t *d1 = delivery(s, 1), *d2 = delivery(s, 2);
	assert_string_equal(json_string_value(json_object_get(d1, "state")), "delivered");
	assert_string_equal(json_string_value(json_object_get(d2, "state")), "pending");
	print_message("trusted CA, another name: %s\n", json_string_value(json_object_get(d2, "last_error")));
	assert_non_null(strstr(json_string_value(json_object_get(d2, "last_error")), "TLS: certificate refused"));
	json_decref(d1);
	json_decref(d2);
	pthread_mutex_lock(&R.lock);
	assert_int_equal(R.good[0], 1);
	assert_int_equal(R.good[1], 0); /* refused before any request was sent */
	assert_int_equal(R.good[2], 1);
	assert_int_equal(R.bad_sig, 0);
	pthread_mutex_unlock(&R.lock);

	/* A CA file that does not exist: the pass says so. */
	o.ca_file = "/nonexistent/ca.pem";
	now += 4000;
	assert_int_equal(tl_deliver_pass(s, &o, now, &err), -1);
	print_message("missing CA file: %s\n", err.msg);
	tl_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_https_verified),
	};
	return tu_finish(cmocka_run_group_tests(tests, setup, teardown));
}
