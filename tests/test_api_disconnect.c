/* Clients that hang up while their reply is being written: a real server
 * on an ephemeral loopback port, real TCP clients that reset their
 * connections (SO_LINGER 0) mid-reply. Every request must be counted out
 * of the in-flight gauge exactly once, whether its reply completed or its
 * connection died, so the gauge returns to 0 (never below) and a graceful
 * stop does not sit out the drain timeout for replies nobody will read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "api/http_server.h"
#include "tests/httpc.h"

/* Larger than the server's socket send buffer (Linux caps it at 4 MiB by
 * default) plus the client's small receive buffer, so such a reply cannot
 * be fully written while the client does not read. */
#define BIG (8u << 20)
#define DRAIN_MS 10000

static char *big_body;

static void h_big(struct tl_api_req *req, void *ctx)
{
	(void)ctx;
	tl_api_reply_raw(req, 200, "application/octet-stream", big_body, BIG);
}

static void h_small(struct tl_api_req *req, void *ctx)
{
	(void)ctx;
	tl_api_reply_raw(req, 200, "text/plain", "ok", 2);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static struct tl_api_server *start(int threads, int drain_ms)
{
	struct tl_api_config c;
	tl_api_config_default(&c);
	c.listen = "127.0.0.1:0";
	c.threads = threads;
	c.io_timeout_ms = 5000;
	c.drain_timeout_ms = drain_ms;
	c.log = NULL;
	struct tl_err err;
	struct tl_api_server *srv = tl_api_server_new(&c, &err);
	if (!srv) fail_msg("server_new: %s", err.msg);
	assert_int_equal(tl_api_route(srv, TL_GET, "/big", TL_ROLE_PUBLIC, h_big, NULL, &err), 0);
	assert_int_equal(tl_api_route(srv, TL_GET, "/small", TL_ROLE_PUBLIC, h_small, NULL, &err), 0);
	if (tl_api_server_start(srv, &err)) fail_msg("start: %s", err.msg);
	return srv;
}

/* A client socket whose receive buffer is set small before the handshake,
 * so the server's writes stall once its own send buffer is full. */
static int connect_small(uint16_t port)
{
	int fd = connect_port_rcvbuf(port, 16 << 10);
	assert_true(fd >= 0);
	return fd;
}

/* Closes with a reset instead of a FIN: the server's next write fails. */
static void reset_close(int fd)
{
	struct linger lg = { 1, 0 };
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	close(fd);
}

/* Reads until n bytes of the reply arrived: the server is writing it. */
static void read_some(int fd, size_t n)
{
	char buf[4096];
	size_t got = 0;
	while (got < n) {
		ssize_t g = recv(fd, buf, sizeof buf, 0);
		if (g <= 0) fail_msg("reply ended after %zu bytes", got);
		if (got == 0) assert_memory_equal(buf, "HTTP/1.1 200", g < 12 ? (size_t)g : 12);
		got += (size_t)g;
	}
}

/* The tl_http_inflight_requests gauge as /metrics renders it. */
static long inflight_gauge(uint16_t port)
{
	struct resp r;
	assert_int_equal(http_do(port, "GET", "/metrics", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	const char *p = strstr(r.body, "\ntl_http_inflight_requests ");
	assert_non_null(p);
	long v = strtol(p + strlen("\ntl_http_inflight_requests "), NULL, 10);
	resp_free(&r);
	return v;
}

/* Polls the gauge until it reads 0 (it lags the resets by a loop turn);
 * it must never read below 0, which would mean a request counted out
 * twice. Returns the last value. */
static long wait_gauge_zero(uint16_t port, double max_s)
{
	double t0 = now_s();
	long v;
	for (;;) {
		v = inflight_gauge(port);
		assert_true(v >= 0);
		if (v == 0 || now_s() - t0 > max_s) return v;
		sleep_ms(20);
	}
}

static void test_reset_mid_reply(void **state)
{
	(void)state;
	struct tl_api_server *srv = start(2, DRAIN_MS);
	uint16_t port = tl_api_server_port(srv);
	assert_int_equal(inflight_gauge(port), 0);

	/* Reset after the reply started: the write is surely unfinished. */
	for (int i = 0; i < 20; i++) {
		int fd = connect_small(port);
		send_request(fd, "GET", "/big", NULL, NULL, 0, 1);
		read_some(fd, 4096);
		reset_close(fd);
	}
	/* Reset right after the request: races the handler and the first
	 * write, whichever way it goes. */
	for (int i = 0; i < 20; i++) {
		int fd = connect_small(port);
		send_request(fd, "GET", "/big", NULL, NULL, 0, 1);
		reset_close(fd);
	}
	/* Keep-alive replies read in full, then a reset while idle: these were
	 * counted out on completion and the later close must not count them
	 * again. */
	for (int i = 0; i < 3; i++) {
		int fd = connect_small(port);
		struct resp r;
		send_request(fd, "GET", "/small", NULL, NULL, 0, 1);
		assert_int_equal(read_response(fd, &r), 0);
		assert_int_equal(r.status, 200);
		resp_free(&r);
		send_request(fd, "GET", "/big", NULL, NULL, 0, 1);
		assert_int_equal(read_response(fd, &r), 0);
		assert_int_equal(r.status, 200);
		assert_int_equal(r.blen, BIG);
		assert_memory_equal(r.body, big_body, BIG);
		resp_free(&r);
		reset_close(fd);
	}
	/* A request closed by the server ("Connection: close") after its
	 * reply completed: also counted once. */
	struct resp r;
	assert_int_equal(http_do(port, "GET", "/small", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	resp_free(&r);

	assert_int_equal(wait_gauge_zero(port, 3.0), 0);
	/* Nothing is in flight, so stopping does not wait for the drain. */
	double t0 = now_s();
	tl_api_server_stop(srv);
	tl_api_server_wait(srv);
	double dt = now_s() - t0;
	print_message("stop with nothing in flight: %.3f s\n", dt);
	if (dt > 2.0) fail_msg("stop took %.1f s with nothing in flight (drain timeout %d ms)", dt, DRAIN_MS);
	tl_api_server_free(srv);
}

/* Stop while a reply is stuck on a client that does not read, then the
 * client resets: the drain ends with that connection, not at the drain
 * timeout. */
static void test_reset_while_draining(void **state)
{
	(void)state;
	struct tl_api_server *srv = start(1, DRAIN_MS);
	uint16_t port = tl_api_server_port(srv);
	int fd = connect_small(port);
	send_request(fd, "GET", "/big", NULL, NULL, 0, 1);
	read_some(fd, 4096);
	assert_int_equal(inflight_gauge(port), 1); /* the stuck reply */
	tl_api_server_stop(srv);
	sleep_ms(100);
	double t0 = now_s();
	reset_close(fd);
	tl_api_server_wait(srv);
	double dt = now_s() - t0;
	print_message("drain after the last client reset: %.3f s\n", dt);
	if (dt > 2.0) fail_msg("drain took %.1f s after the last client left (drain timeout %d ms)", dt, DRAIN_MS);
	tl_api_server_free(srv);
}

/* A client that stays connected but does not read keeps its reply in
 * flight: stop waits the drain timeout, then closes it (the close is
 * counted after the worker's loop ended, which must be harmless). */
static void test_drain_timeout(void **state)
{
	(void)state;
	struct tl_api_server *srv = start(1, 400);
	uint16_t port = tl_api_server_port(srv);
	int fd = connect_small(port);
	send_request(fd, "GET", "/big", NULL, NULL, 0, 1);
	read_some(fd, 4096);
	double t0 = now_s();
	tl_api_server_stop(srv);
	tl_api_server_wait(srv);
	double dt = now_s() - t0;
	print_message("stop with a stalled reader: %.3f s\n", dt);
	if (dt < 0.35 || dt > 2.4) fail_msg("stop took %.2f s with a 0.4 s drain timeout", dt);
	/* The server hung up: the rest of the reply never comes. */
	char buf[65536];
	ssize_t g;
	size_t total = 4096;
	while ((g = recv(fd, buf, sizeof buf, 0)) > 0) total += (size_t)g;
	assert_true(total < BIG);
	close(fd);
	tl_api_server_free(srv);
}

int main(void)
{
	big_body = malloc(BIG);
	assert_non_null(big_body);
	for (size_t i = 0; i < BIG; i++) big_body[i] = (char)('a' + i % 26);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reset_mid_reply),
		cmocka_unit_test(test_reset_while_draining),
		cmocka_unit_test(test_drain_timeout),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(big_body);
	return rc;
}
