/* Reply buffers are bounded server-wide: clients that ask for big replies
 * and never read them cannot make the server hold more than
 * max_out_buffered of replies. A real server on an ephemeral loopback
 * port, real TCP clients with tiny receive buffers; the server's own
 * gauge, its cut-off counters, the log and the process's resident memory
 * are checked, and a client that reads still gets its whole reply, byte
 * for byte. No assertion is on wall time: waits are bounded polls. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api/metrics.h"
#include "api/http_server.h"
#include "tests/httpc.h"
#include "tests/testutil.h"

#define BIG (4u << 20)
#define CAP (16u << 20)
#define STALLED 40
#define WAVE2 10

static char *g_big;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void h_big(struct tl_api_req *req, void *ctx)
{
	(void)ctx;
	tl_api_reply_raw(req, 200, "application/octet-stream", g_big, BIG);
}

static double metric(uint16_t port, const char *name)
{
	struct resp r;
	assert_int_equal(http_do(port, "GET", "/metrics", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	char needle[256];
	snprintf(needle, sizeof needle, "\n%s ", name);
	const char *p = r.body ? strstr(r.body, needle) : NULL;
	double v = p ? strtod(p + strlen(needle), NULL) : -1;
	resp_free(&r);
	return v;
}

/* Resident memory of this process (the server runs in it), in bytes. */
static double rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	assert_non_null(f);
	long vm = 0, res = 0;
	assert_int_equal(fscanf(f, "%ld %ld", &vm, &res), 2);
	fclose(f);
	return (double)res * (double)sysconf(_SC_PAGESIZE);
}

static void test_stalled_readers_bounded(void **state)
{
	(void)state;
	g_big = malloc(BIG);
	assert_non_null(g_big);
	for (size_t i = 0; i < BIG; i++) g_big[i] = (char)('a' + (i * 7 + i / 4096) % 26);
	char *dir = tu_tmpdir("replybuf");
	char logp[4096];
	snprintf(logp, sizeof logp, "%s/log", dir);
	FILE *log = fopen(logp, "w+");
	assert_non_null(log);
	setvbuf(log, NULL, _IOLBF, 0);

	struct tl_api_config c;
	tl_api_config_default(&c);
	c.listen = "127.0.0.1:0";
	c.threads = 2;
	c.max_out_buffered = CAP;
	c.io_timeout_ms = 30000; /* the idle timeout must not be what frees them */
	c.log = log;
	struct tl_err err;
	struct tl_api_server *srv = tl_api_server_new(&c, &err);
	if (!srv) fail_msg("server_new: %s", err.msg);
	assert_int_equal(tl_api_route(srv, TL_GET, "/big", TL_ROLE_SCREEN, h_big, NULL, &err), 0);
	if (tl_api_server_start(srv, &err)) fail_msg("start: %s", err.msg);
	uint16_t port = tl_api_server_port(srv);

	double rss0 = rss_bytes();
	int fds[STALLED];
	for (int i = 0; i < STALLED; i++) {
		fds[i] = connect_port_rcvbuf(port, 4096);
		assert_true(fds[i] >= 0);
		send_request(fds[i], "GET", "/big", NULL, NULL, 0, 1);
	}
	/* every request answered one way or the other: written in part, cut
	 * off, or refused */
	double answered = 0;
	for (int k = 0; k < 750; k++) {
		sleep_ms(20);
		answered = metric(port, "tl_http_slow_reader_cutoffs_total") +
			   metric(port, "tl_http_reply_buffer_refusals_total");
		if (answered > 0 && metric(port, "tl_http_reply_buffer_bytes") <= CAP) break;
	}
	/* A second wave once the first has sat for more than a second: the
	 * first wave's clients are now slow readers, cut off to make room. */
	sleep_ms(1500);
	int fds2[WAVE2];
	for (int i = 0; i < WAVE2; i++) {
		fds2[i] = connect_port_rcvbuf(port, 4096);
		assert_true(fds2[i] >= 0);
		send_request(fds2[i], "GET", "/big", NULL, NULL, 0, 1);
	}
	for (int k = 0; k < 750 && metric(port, "tl_http_slow_reader_cutoffs_total") < 1; k++) sleep_ms(20);
	double held = metric(port, "tl_http_reply_buffer_bytes");
	double cut = metric(port, "tl_http_slow_reader_cutoffs_total");
	double refused = metric(port, "tl_http_reply_buffer_refusals_total");
	double rss1 = rss_bytes();
	print_message("%d + %d clients asking %u MiB each, never reading: %.1f MiB held (cap %u MiB), %.0f cut off, %.0f "
		      "answered 503; RSS %.1f -> %.1f MiB\n",
		      STALLED, WAVE2, BIG >> 20, held / 1048576.0, CAP >> 20, cut, refused, rss0 / 1048576.0, rss1 / 1048576.0);
	assert_true(held >= 0 && held <= CAP);
	assert_true(cut >= 1);
	assert_true(refused >= 1);
	/* each refusal is counted as a limit hit too (read before the
	 * reading client below may add one) */
	assert_true((double)tl_metrics_label_count(tl_api_server_metrics(srv), TL_MF_LIMIT, "reply_buffers") >= refused);
	/* Unbounded, the server would hold about STALLED x BIG (160 MiB)
	 * less what the kernel's socket buffers take. */
	assert_true(rss1 - rss0 < 64.0 * 1048576.0);

	/* a client that reads gets its whole reply */
	struct resp r;
	int ok = 0;
	for (int k = 0; k < 50 && !ok; k++) {
		assert_int_equal(http_do(port, "GET", "/big", NULL, NULL, 0, &r), 0);
		ok = r.status == 200;
		if (!ok) {
			assert_int_equal(r.status, 503);
			assert_non_null(strstr(r.body, "reply_buffers_full"));
			assert_non_null(hdr(&r, "Retry-After"));
			resp_free(&r);
			sleep_ms(200);
		}
	}
	assert_true(ok);
	assert_int_equal(r.blen, BIG);
	assert_memory_equal(r.body, g_big, BIG);
	resp_free(&r);

	/* the log says why */
	fflush(log);
	size_t ll;
	char *text = (char *)tu_read_file(logp, &ll);
	assert_true(strstr(text, "does not read its reply") || strstr(text, "reply buffers full"));
	free(text);

	/* the clients leave: every byte counted in is counted out */
	for (int i = 0; i < STALLED; i++) close(fds[i]);
	for (int i = 0; i < WAVE2; i++) close(fds2[i]);
	/* (a reply just written may still be counted for a moment when the
	 * next request reads the gauge on the other loop: poll for 0) */
	double left = -1;
	for (int k = 0; k < 750 && (left = metric(port, "tl_http_reply_buffer_bytes")) != 0; k++) sleep_ms(20);
	if (left != 0) fail_msg("still held: %.0f bytes", left);
	tl_api_server_stop(srv);
	tl_api_server_wait(srv);
	tl_api_server_free(srv);
	fclose(log);
	tu_rmrf(dir);
	free(dir);
	free(g_big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stalled_readers_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
