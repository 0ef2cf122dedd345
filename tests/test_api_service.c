/* The service stays up for everyone: a real server on an ephemeral
 * loopback port, real TCP clients. Expensive handlers run on the pool and
 * leave the event loops free; a full pool answers 503/429 with
 * Retry-After; clients that leave cancel their work; answers at the end
 * of the time budget still reach the client; connections are capped and
 * trickling requests closed; bodies nobody may send are refused when
 * their headers arrive; HTTP framing is strict. No assertion is on wall
 * time: waits are bounded polls for a state the server must reach. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api/http_json.h"
#include "api/http_server.h"
#include "tests/httpc.h"
#include "tests/testutil.h"

static const char *K_A = "tlk_service_key_a";
static const char *K_B = "tlk_service_key_b";
static const char *K_LOW = "tlk_service_key_screen";

static _Atomic int running, started_total, saw_cancel, upload_calls;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Polls cond every 20 ms for up to 15 s. */
#define WAIT_FOR(cond)                                                     \
	do {                                                               \
		for (int w_ = 0; w_ < 750 && !(cond); w_++) sleep_ms(20); \
		assert_true(cond);                                         \
	} while (0)

static void h_cheap(struct tl_api_req *req, void *ctx)
{
	(void)ctx;
	tl_api_reply_raw(req, 200, "text/plain", "ok", 2);
}

/* Runs until its client leaves (or a 20 s safety stop). */
static void h_expensive(struct tl_api_req *req, void *ctx)
{
	(void)ctx;
	atomic_fetch_add(&running, 1);
	atomic_fetch_add(&started_total, 1);
	for (int i = 0; i < 2000 && !tl_api_req_cancelled(req); i++) sleep_ms(10);
	if (tl_api_req_cancelled(req)) atomic_fetch_add(&saw_cancel, 1);
	atomic_fetch_sub(&running, 1);
	tl_api_reply_raw(req, 200, "text/plain", "done", 4);
}

/* Uses its whole time budget, then answers 422 as the trace routes do. */
static void h_budget(struct tl_api_req *req, void *ctx)
{
	(void)ctx;
	while (tl_api_req_time_left_ms(req) > 0) sleep_ms(5);
	tl_api_reply_limit(req, 422, "trace_time", tl_api_server_handler_ms(tl_api_req_server(req)) / 1000.0,
			   "pass a smaller max_hops", "the trace did not finish within its time limit");
}

static void h_upload(struct tl_api_req *req, void *ctx)
{
	(void)ctx;
	atomic_fetch_add(&upload_calls, 1);
	size_t n;
	tl_api_req_body(req, &n);
	char b[32];
	snprintf(b, sizeof b, "%zu", n);
	tl_api_reply_raw(req, 200, "text/plain", b, strlen(b));
}

static void h_echo_q(struct tl_api_req *req, void *ctx)
{
	(void)ctx;
	const char *v = tl_api_req_query(req, "v");
	tl_api_reply_raw(req, 200, "text/plain", v ? v : "", v ? strlen(v) : 0);
}

static void sha256_hex_of(const char *s, char out[65])
{
	char cmd[512], *o = NULL;
	snprintf(cmd, sizeof cmd, "printf %%s '%s' | sha256sum", s);
	assert_int_equal(tu_run(cmd, &o), 0);
	memcpy(out, o, 64);
	out[64] = '\0';
	free(o);
}

static char *keys_path;

static const char *keys_file(void)
{
	if (keys_path) return keys_path;
	char *dir = tu_tmpdir("apisvc_keys");
	keys_path = malloc(4096);
	snprintf(keys_path, 4096, "%s/keys", dir);
	free(dir);
	FILE *f = fopen(keys_path, "w");
	assert_non_null(f);
	const char *ks[][2] = { { K_A, "investigate" }, { K_B, "investigate" }, { K_LOW, "screen" } };
	for (int i = 0; i < 3; i++) {
		char h[65];
		sha256_hex_of(ks[i][0], h);
		fprintf(f, "%s %s 0 key%d\n", h, ks[i][1], i);
	}
	fclose(f);
	return keys_path;
}

struct opts {
	int keys, pool_threads, pool_queue, per_key, per_key_pending, max_conns, io_ms, header_ms, handler_ms;
	size_t max_body, max_buffered;
};

static struct tl_api_server *start(const struct opts *o)
{
	struct tl_api_config c;
	tl_api_config_default(&c);
	c.listen = "127.0.0.1:0";
	c.threads = 2;
	c.log = NULL;
	if (o->keys) c.keys_file = keys_file();
	if (o->pool_threads) c.pool_threads = o->pool_threads;
	if (o->pool_queue >= 0) c.pool_queue = o->pool_queue;
	if (o->per_key) c.pool_per_key = o->per_key;
	if (o->per_key_pending) c.pool_per_key_pending = o->per_key_pending;
	if (o->max_conns) c.max_conns = o->max_conns;
	if (o->io_ms) c.io_timeout_ms = o->io_ms;
	if (o->header_ms) c.header_timeout_ms = o->header_ms;
	if (o->handler_ms) c.handler_time_ms = o->handler_ms;
	if (o->max_body) c.max_body = o->max_body;
	if (o->max_buffered) c.max_buffered = o->max_buffered;
	struct tl_err err;
	struct tl_api_server *srv = tl_api_server_new(&c, &err);
	if (!srv) fail_msg("server_new: %s", err.msg);
	struct tl_api_route_opts pool = { TL_ROUTE_POOL, 0 };
	struct tl_api_route_opts up = { 0, 8u << 20 };
	enum tl_api_role role = o->keys ? TL_ROLE_INVESTIGATE : TL_ROLE_PUBLIC;
	assert_int_equal(tl_api_route(srv, TL_GET, "/cheap", TL_ROLE_PUBLIC, h_cheap, NULL, &err), 0);
	assert_int_equal(tl_api_route(srv, TL_GET, "/q", TL_ROLE_PUBLIC, h_echo_q, NULL, &err), 0);
	assert_int_equal(tl_api_route_opts(srv, TL_GET, "/expensive", role, &pool, h_expensive, NULL, &err), 0);
	assert_int_equal(tl_api_route(srv, TL_GET, "/budget", TL_ROLE_PUBLIC, h_budget, NULL, &err), 0);
	assert_int_equal(tl_api_route_opts(srv, TL_GET, "/budget-pool", TL_ROLE_PUBLIC, &pool, h_budget, NULL, &err),
			 0);
	assert_int_equal(tl_api_route_opts(srv, TL_POST, "/upload", role, &up, h_upload, NULL, &err), 0);
	if (tl_api_server_start(srv, &err)) fail_msg("start: %s", err.msg);
	atomic_store(&running, 0);
	atomic_store(&started_total, 0);
	atomic_store(&saw_cancel, 0);
	atomic_store(&upload_calls, 0);
	return srv;
}

static struct opts defaults(void)
{
	struct opts o;
	memset(&o, 0, sizeof o);
	o.pool_queue = -1;
	return o;
}

static long metric(uint16_t port, const char *name)
{
	struct resp r;
	assert_int_equal(http_do(port, "GET", "/metrics", NULL, NULL, 0, &r), 0);
	char needle[256];
	snprintf(needle, sizeof needle, "\n%s ", name); /* the sample, not its HELP line */
	const char *p = r.body ? strstr(r.body, needle) : NULL;
	long v = p ? strtol(p + strlen(needle), NULL, 10) : -1;
	resp_free(&r);
	return v;
}

/* Sends raw bytes on a new connection and reads one response. */
static int raw_do(uint16_t port, const char *bytes, size_t n, struct resp *r)
{
	int fd = connect_port(port);
	if (fd < 0) return -1;
	int rc = send_all(fd, bytes, n) == 0 ? read_response(fd, r) : -1;
	close(fd);
	return rc;
}

/* ---- deadlines ---- */

static void test_budget_answer_reaches_client(void **state)
{
	(void)state;
	struct opts o = defaults();
	o.io_ms = 1500;
	o.handler_ms = 60000; /* asked for more than the connection allows */
	struct tl_api_server *srv = start(&o);
	uint16_t port = tl_api_server_port(srv);
	assert_true(tl_api_server_handler_ms(srv) < 1500);
	struct resp r;
	/* On the loop and on the pool: the 422 written after the whole
	 * budget arrives (the connection's timeout has not closed it). */
	assert_int_equal(http_do(port, "GET", "/budget", NULL, NULL, 0, &r), 0);
	expect_error(&r, 422, "limit_exceeded");
	resp_free(&r);
	assert_int_equal(http_do(port, "GET", "/budget-pool", NULL, NULL, 0, &r), 0);
	expect_error(&r, 422, "limit_exceeded");
	resp_free(&r);
	/* /metrics counts answers sent: both 422s. A reply is counted when
	 * its last byte is handed to the kernel, which may come after the
	 * client has read it: wait for the count rather than race it. */
	WAIT_FOR(metric(port, "tl_http_requests_total{route=\"/budget\",status=\"422\"}") == 1);
	WAIT_FOR(metric(port, "tl_http_requests_total{route=\"/budget-pool\",status=\"422\"}") == 1);
	tl_api_server_free(srv);
}

/* ---- the pool ---- */

static int send_expensive(uint16_t port, const char *key)
{
	int fd = connect_port(port);
	assert_true(fd >= 0);
	send_request(fd, "GET", "/expensive", key, NULL, 0, 0);
	return fd;
}

static void test_pool_saturated_cheap_still_answered(void **state)
{
	(void)state;
	struct opts o = defaults();
	o.pool_threads = 2;
	o.pool_queue = 3;
	struct tl_api_server *srv = start(&o);
	uint16_t port = tl_api_server_port(srv);
	int fds[8], n = 0;
	for (; n < 2; n++) fds[n] = send_expensive(port, NULL);
	WAIT_FOR(atomic_load(&running) == 2);
	/* The pool is full: cheap requests are answered all the same, while
	 * both expensive handlers are still running. */
	for (int i = 0; i < 50; i++) {
		struct resp r;
		assert_int_equal(http_do(port, "GET", "/cheap", NULL, NULL, 0, &r), 0);
		assert_int_equal(r.status, 200);
		resp_free(&r);
		assert_int_equal(atomic_load(&running), 2);
	}
	/* Three more wait in the queue; the next is refused with 503. */
	for (; n < 5; n++) fds[n] = send_expensive(port, NULL);
	WAIT_FOR(metric(port, "tl_pool_queued") == 3);
	struct resp r;
	assert_int_equal(http_do(port, "GET", "/expensive", NULL, NULL, 0, &r), 0);
	expect_error(&r, 503, "server_busy");
	assert_non_null(hdr(&r, "Retry-After"));
	assert_true(atoi(hdr(&r, "Retry-After")) >= 1);
	resp_free(&r);
	/* Clients leave: the running handlers see it and stop; the waiting
	 * ones never start. */
	for (int i = 0; i < n; i++) close(fds[i]);
	WAIT_FOR(atomic_load(&running) == 0 && metric(port, "tl_pool_queued") == 0);
	WAIT_FOR(atomic_load(&saw_cancel) == 2);
	assert_int_equal(atomic_load(&started_total), 2);
	/* Nothing was sent to them: counted as dropped, none as 200. */
	WAIT_FOR(metric(port, "tl_http_requests_total{route=\"/expensive\",status=\"499\"}") == 5);
	assert_int_equal(metric(port, "tl_http_requests_total{route=\"/expensive\",status=\"200\"}"), -1);
	tl_api_server_free(srv);
}

static void test_pool_per_key(void **state)
{
	(void)state;
	struct opts o = defaults();
	o.keys = 1;
	o.pool_threads = 2;
	o.per_key = 1;
	o.per_key_pending = 2;
	struct tl_api_server *srv = start(&o);
	uint16_t port = tl_api_server_port(srv);
	int a1 = send_expensive(port, K_A);
	WAIT_FOR(atomic_load(&running) == 1);
	int a2 = send_expensive(port, K_A); /* waits: key A runs one at a time */
	WAIT_FOR(metric(port, "tl_pool_queued") == 1);
	struct resp r;
	assert_int_equal(http_do(port, "GET", "/expensive", K_A, NULL, 0, &r), 0);
	expect_error(&r, 429, "too_many_expensive");
	assert_non_null(hdr(&r, "Retry-After"));
	resp_free(&r);
	/* Another key still gets the free thread. */
	int b1 = send_expensive(port, K_B);
	WAIT_FOR(atomic_load(&running) == 2);
	assert_int_equal(metric(port, "tl_pool_queued"), 1);
	close(a1);
	/* A's waiting job takes the thread A's first one leaves. */
	WAIT_FOR(atomic_load(&started_total) == 3);
	close(a2);
	close(b1);
	WAIT_FOR(atomic_load(&running) == 0);
	tl_api_server_free(srv);
}

/* ---- connections ---- */

static void test_connection_cap(void **state)
{
	(void)state;
	struct opts o = defaults();
	o.max_conns = 8;
	struct tl_api_server *srv = start(&o);
	uint16_t port = tl_api_server_port(srv);
	/* Eight kept-alive connections, each answered once (so the server
	 * has surely taken it), then left idle. */
	int idle[8];
	for (int i = 0; i < 8; i++) {
		idle[i] = connect_port(port);
		assert_true(idle[i] >= 0);
		struct resp r0;
		send_request(idle[i], "GET", "/cheap", NULL, NULL, 0, 1);
		assert_int_equal(read_response(idle[i], &r0), 0);
		assert_int_equal(r0.status, 200);
		resp_free(&r0);
	}
	/* Over the cap: a clean 503, not a hang. */
	struct resp r;
	assert_int_equal(http_do(port, "GET", "/cheap", NULL, NULL, 0, &r), 0);
	expect_error(&r, 503, "server_busy");
	assert_non_null(hdr(&r, "Retry-After"));
	resp_free(&r);
	for (int i = 0; i < 8; i++) close(idle[i]);
	/* Once they are gone, clients are served again. */
	int ok = 0;
	for (int i = 0; i < 500 && !ok; i++) {
		if (http_do(port, "GET", "/cheap", NULL, NULL, 0, &r) == 0 && r.status == 200) ok = 1;
		resp_free(&r);
		if (!ok) sleep_ms(20);
	}
	assert_true(ok);
	assert_true(metric(port, "tl_http_connections_refused_total") >= 1);
	tl_api_server_free(srv);
}

/* A flood of refusals writes a line a second to the log, not a line
 * each: 60 connections over the cap within a moment leave at most a few
 * lines, the later ones counting what was left out. */
static void test_log_rate_limited(void **state)
{
	(void)state;
	char *text = NULL;
	size_t len = 0;
	FILE *log = open_memstream(&text, &len);
	struct tl_api_config c;
	tl_api_config_default(&c);
	c.listen = "127.0.0.1:0";
	c.log = log;
	c.max_conns = 2;
	struct tl_err err;
	struct tl_api_server *srv = tl_api_server_new(&c, &err);
	assert_non_null(srv);
	assert_int_equal(tl_api_route(srv, TL_GET, "/cheap", TL_ROLE_PUBLIC, h_cheap, NULL, &err), 0);
	assert_int_equal(tl_api_server_start(srv, &err), 0);
	uint16_t port = tl_api_server_port(srv);
	int hold[2];
	for (int i = 0; i < 2; i++) { /* answered once: surely counted */
		hold[i] = connect_port(port);
		struct resp r0;
		send_request(hold[i], "GET", "/cheap", NULL, NULL, 0, 1);
		assert_int_equal(read_response(hold[i], &r0), 0);
		resp_free(&r0);
	}
	int refused = 0;
	for (int i = 0; i < 60; i++) {
		struct resp r;
		if (http_do(port, "GET", "/cheap", NULL, NULL, 0, &r) == 0 && r.status == 503) refused++;
		resp_free(&r);
	}
	close(hold[0]);
	close(hold[1]);
	tl_api_server_free(srv);
	fclose(log);
	assert_true(refused >= 50);
	int lines = 0;
	for (const char *p = text; (p = strstr(p, "connection refused")); p++) lines++;
	/* One line, then at most one a second: most refusals are counted,
	 * not written. */
	assert_true(lines >= 1);
	assert_true(lines < refused);
	free(text);
}

static void test_trickling_request_closed(void **state)
{
	(void)state;
	struct opts o = defaults();
	o.header_ms = 300;
	struct tl_api_server *srv = start(&o);
	uint16_t port = tl_api_server_port(srv);
	int fd = connect_port(port);
	assert_true(fd >= 0);
	const char *start_line = "GET /cheap HTTP/1.1\r\nX-Slow: ";
	assert_int_equal(send_all(fd, start_line, strlen(start_line)), 0);
	/* One byte every 50 ms keeps libevent's idle timer happy forever;
	 * the header deadline must end it. */
	int answered = 0;
	struct resp r;
	memset(&r, 0, sizeof r);
	for (int i = 0; i < 300 && !answered; i++) {
		if (send(fd, "x", 1, MSG_NOSIGNAL) != 1) break;
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 50) > 0) answered = 1;
	}
	assert_true(answered);
	assert_int_equal(read_response(fd, &r), 0);
	expect_error(&r, 408, "request_timeout");
	resp_free(&r);
	close(fd);
	assert_true(metric(port, "tl_http_slow_closes_total") >= 1);
	tl_api_server_free(srv);

	/* A connection that never sends a byte, and one idle after a
	 * request, are closed after the idle timeout. */
	o = defaults();
	o.io_ms = 400;
	srv = start(&o);
	port = tl_api_server_port(srv);
	int silent = connect_port(port), after = connect_port(port);
	send_request(after, "GET", "/cheap", NULL, NULL, 0, 1);
	assert_int_equal(read_response(after, &r), 0);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	int fds[2] = { silent, after };
	for (int k = 0; k < 2; k++) {
		char b[64];
		int closed = 0;
		for (int i = 0; i < 750 && !closed; i++) {
			struct pollfd p = { fds[k], POLLIN, 0 };
			if (poll(&p, 1, 20) > 0) closed = recv(fds[k], b, sizeof b, 0) <= 0;
		}
		assert_true(closed);
		close(fds[k]);
	}
	WAIT_FOR(metric(port, "tl_http_connections") == 1); /* the /metrics request's own */
	tl_api_server_free(srv);
}

/* Out of descriptors: the server pauses accepting instead of retrying
 * accept() in a loop, refuses waiting clients with 503 through its spare
 * descriptor, and serves again once descriptors are free. The server's
 * process (this one) gets a low descriptor limit; the clients run in a
 * child with its own. */
static void test_emfile_backoff(void **state)
{
	(void)state;
	struct opts o = defaults();
	o.max_conns = 1000; /* above the descriptor limit: EMFILE comes first */
	struct tl_api_server *srv = start(&o);
	uint16_t port = tl_api_server_port(srv);
	int nfd = 0;
	DIR *d = opendir("/proc/self/fd");
	assert_non_null(d);
	while (readdir(d)) nfd++;
	closedir(d);
	struct rlimit old, low;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)nfd + 16;
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	pid_t pid = fork();
	if (pid == 0) {
		setrlimit(RLIMIT_NOFILE, &old);
		int fds[60], got503 = 0;
		for (int i = 0; i < 60; i++) fds[i] = connect_port(port);
		sleep_ms(1500);
		for (int i = 0; i < 60; i++) {
			char b[16] = "";
			if (fds[i] < 0) continue;
			struct pollfd p = { fds[i], POLLIN, 0 };
			if (poll(&p, 1, 10) > 0 && recv(fds[i], b, 12, 0) == 12 && !memcmp(b, "HTTP/1.1 503", 12)) got503++;
		}
		for (int i = 0; i < 60; i++)
			if (fds[i] >= 0) close(fds[i]);
		ssize_t wr = write(pfd[1], &got503, sizeof got503);
		_exit(wr == sizeof got503 ? 0 : 1);
	}
	assert_true(pid > 0);
	int got503 = -1;
	assert_int_equal(read(pfd[0], &got503, sizeof got503), (ssize_t)sizeof got503);
	int st;
	waitpid(pid, &st, 0);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	close(pfd[0]);
	close(pfd[1]);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_true(got503 >= 1); /* refused, not left hanging */
	/* Serving again once the clients are gone. */
	int ok = 0;
	struct resp r;
	for (int i = 0; i < 500 && !ok; i++) {
		if (http_do(port, "GET", "/cheap", NULL, NULL, 0, &r) == 0 && r.status == 200) ok = 1;
		resp_free(&r);
		if (!ok) sleep_ms(20);
	}
	assert_true(ok);
	/* Paused, and not in a loop: at most one pause per worker per 100 ms
	 * of the child's ~1.5 s (a spinning accept() fails millions of times). */
	long pauses = metric(port, "tl_http_accept_pauses_total");
	assert_true(pauses >= 1);
	assert_true(pauses < 400);
	tl_api_server_free(srv);
}

/* ---- bodies judged at the headers ---- */

static int head_only(uint16_t port, const char *key, size_t clen, struct resp *r)
{
	char req[512];
	int n = snprintf(req, sizeof req, "POST /upload HTTP/1.1\r\nHost: x\r\n%s%s%sContent-Length: %zu\r\n\r\n",
			 key ? "Authorization: Bearer " : "", key ? key : "", key ? "\r\n" : "", clen);
	/* Only the headers: an answer proves the body was not waited for. */
	return raw_do(port, req, (size_t)n, r);
}

static void test_body_refused_at_headers(void **state)
{
	(void)state;
	struct opts o = defaults();
	o.keys = 1;
	struct tl_api_server *srv = start(&o);
	uint16_t port = tl_api_server_port(srv);
	struct resp r;
	assert_int_equal(head_only(port, NULL, 4u << 20, &r), 0);
	expect_error(&r, 401, "unauthorized");
	assert_non_null(hdr(&r, "WWW-Authenticate"));
	resp_free(&r);
	assert_int_equal(head_only(port, "tlk_not_a_key", 4u << 20, &r), 0);
	expect_error(&r, 401, "unauthorized");
	resp_free(&r);
	assert_int_equal(head_only(port, K_LOW, 4u << 20, &r), 0);
	expect_error(&r, 403, "forbidden");
	resp_free(&r);
	assert_int_equal(head_only(port, K_A, 9u << 20, &r), 0); /* over the route's 8 MiB */
	expect_error(&r, 413, "body_too_large");
	resp_free(&r);
	assert_int_equal(atomic_load(&upload_calls), 0);
	/* A key and a body within the limit: served. */
	size_t n = 3u << 20;
	char *body = malloc(n);
	memset(body, 'b', n);
	assert_int_equal(http_do(port, "POST", "/upload", K_A, body, n, &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(strtoul(r.body, NULL, 10), n);
	resp_free(&r);
	free(body);
	/* Every held body byte was released. */
	WAIT_FOR(metric(port, "tl_http_body_bytes") == 0);
	tl_api_server_free(srv);
}

static void test_buffered_bytes_bounded(void **state)
{
	(void)state;
	struct opts o = defaults();
	o.max_body = 48u << 10;
	o.max_buffered = 64u << 10;
	struct tl_api_server *srv = start(&o);
	uint16_t port = tl_api_server_port(srv);
	/* One client holds 30 KiB of a 40 KiB body... */
	int fd = connect_port(port);
	const char *h1 = "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 40960\r\n\r\n";
	assert_int_equal(send_all(fd, h1, strlen(h1)), 0);
	char part[30720];
	memset(part, 'a', sizeof part);
	assert_int_equal(send_all(fd, part, sizeof part), 0);
	WAIT_FOR(metric(port, "tl_http_body_bytes") == (long)sizeof part);
	/* ...so another 40 KiB body would pass the 64 KiB bound: 503. */
	struct resp r;
	char h2[256];
	int n = snprintf(h2, sizeof h2, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 40960\r\n\r\n");
	assert_int_equal(raw_do(port, h2, (size_t)n, &r), 0);
	expect_error(&r, 503, "server_busy");
	resp_free(&r);
	/* The first finishes normally. */
	assert_int_equal(send_all(fd, part, 40960 - sizeof part), 0);
	assert_int_equal(read_response(fd, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "40960");
	resp_free(&r);
	close(fd);
	tl_api_server_free(srv);
}

/* ---- strictness ---- */

static void expect_raw(uint16_t port, const char *req, int status, const char *code)
{
	struct resp r;
	assert_int_equal(raw_do(port, req, strlen(req), &r), 0);
	if (code) expect_error(&r, status, code);
	else assert_int_equal(r.status, status);
	resp_free(&r);
}

static void test_strict_http(void **state)
{
	(void)state;
	struct opts o = defaults();
	o.keys = 1;
	struct tl_api_server *srv = start(&o);
	uint16_t port = tl_api_server_port(srv);
	char buf[4096];
	expect_raw(port, "POST /upload HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400,
		   "bad_request");
	snprintf(buf, sizeof buf,
		 "GET /cheap HTTP/1.1\r\nAuthorization: Bearer %s\r\nAuthorization: Bearer %s\r\n\r\n", K_A, K_LOW);
	expect_raw(port, buf, 400, "bad_request");
	expect_raw(port, "POST /upload HTTP/1.1\r\nContent-Length: 9e18\r\n\r\n", 400, "bad_request");
	expect_raw(port, "POST /upload HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", 400, "bad_request");
	snprintf(buf, sizeof buf,
		 "POST /upload HTTP/1.1\r\nAuthorization: Bearer %s\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n",
		 K_A);
	expect_raw(port, buf, 400, "bad_request");
	snprintf(buf, sizeof buf,
		 "POST /upload HTTP/1.1\r\nAuthorization: Bearer %s\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
		 K_A);
	expect_raw(port, buf, 400, "bad_request");
	/* A well-formed chunked body is served. */
	snprintf(buf, sizeof buf,
		 "POST /upload HTTP/1.1\r\nAuthorization: Bearer %s\r\nTransfer-Encoding: chunked\r\n"
		 "Connection: close\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n",
		 K_A);
	struct resp r;
	assert_int_equal(raw_do(port, buf, strlen(buf), &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "7");
	resp_free(&r);
	/* An over-long target: 414. */
	char *lng = malloc(6000);
	int n = snprintf(lng, 6000, "GET /");
	for (int i = 0; i < 3000; i++) lng[n++] = 'a';
	snprintf(lng + n, 6000 - (size_t)n, " HTTP/1.1\r\n\r\n");
	expect_raw(port, lng, 414, "uri_too_long");
	free(lng);
	/* NUL in a query value: 400 naming the parameter, never a cut value. */
	assert_int_equal(http_do(port, "GET", "/q?v=5%00junk", NULL, NULL, 0, &r), 0);
	expect_error(&r, 400, "bad_query");
	assert_non_null(strstr(r.body, "'v'"));
	resp_free(&r);
	assert_int_equal(http_do(port, "GET", "/q?v=5%20x", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "5 x");
	resp_free(&r);
	/* HEAD: the length, no body; the connection stays usable. */
	int fd = connect_port(port);
	const char *h = "HEAD /cheap HTTP/1.1\r\nHost: x\r\n\r\nGET /cheap HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	assert_int_equal(send_all(fd, h, strlen(h)), 0);
	char all[2048];
	size_t got = 0;
	for (;;) {
		ssize_t k = recv(fd, all + got, sizeof all - 1 - got, 0);
		if (k <= 0) break;
		got += (size_t)k;
	}
	all[got] = '\0';
	close(fd);
	/* Two responses; the first has Content-Length 2 and no body, so the
	 * second status line follows its blank line directly. */
	char *second = strstr(all, "\r\n\r\nHTTP/1.1 200");
	assert_non_null(second);
	assert_non_null(strstr(all, "Content-Length: 2\r\n"));
	assert_true(got >= 2 && !strcmp(all + got - 2, "ok"));
	tl_api_server_free(srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_answer_reaches_client),
		cmocka_unit_test(test_pool_saturated_cheap_still_answered),
		cmocka_unit_test(test_pool_per_key),
		cmocka_unit_test(test_connection_cap),
		cmocka_unit_test(test_trickling_request_closed),
		cmocka_unit_test(test_emfile_backoff),
		cmocka_unit_test(test_log_rate_limited),
		cmocka_unit_test(test_body_refused_at_headers),
		cmocka_unit_test(test_buffered_bytes_bounded),
		cmocka_unit_test(test_strict_http),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (keys_path) {
		char *slash = strrchr(keys_path, '/');
		*slash = '\0';
		tu_rmrf(keys_path);
		free(keys_path);
	}
	return rc;
}
