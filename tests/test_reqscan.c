/* The request-framing scanner (api/reqscan.h) against a model: random
 * requests are built from known parts (method, target, headers, a body
 * sent with Content-Length or in random chunks), concatenated as a
 * keep-alive stream, and fed split at random points. The scanner must
 * report each header block with the fields the generator chose and each
 * request's end at exactly the byte where the generator put it, however
 * the stream is split. Malformed framing must fail with the status the
 * generator expects. Prints the seed of a failing run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/reqscan.h"

struct expect {
	size_t end;    /* offset just past the request */
	char method[8];
	char target[64];
	uint64_t body;
	int chunked, n_auth;
};

static uint64_t rng;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static size_t gen(char *buf, size_t cap, struct expect *ex, int *nex)
{
	static const char *methods[] = { "GET", "POST", "PUT", "HEAD", "DELETE" };
	size_t n = 0;
	int count = 1 + (int)(rnd() % 6);
	*nex = 0;
	for (int r = 0; r < count && n + 4096 < cap; r++) {
		struct expect *e = &ex[(*nex)++];
		memset(e, 0, sizeof *e);
		snprintf(e->method, sizeof e->method, "%s", methods[rnd() % 5]);
		snprintf(e->target, sizeof e->target, "/p%u?q=%u", rnd() % 1000, rnd() % 10);
		int body_ok = !strcmp(e->method, "POST") || !strcmp(e->method, "PUT");
		n += (size_t)snprintf(buf + n, cap - n, "%s %s HTTP/1.1\r\nHost: h\r\n", e->method, e->target);
		if (rnd() % 2) {
			e->n_auth = 1;
			n += (size_t)snprintf(buf + n, cap - n, "authorization: Bearer k%u\r\n", rnd() % 9);
		}
		for (int h = (int)(rnd() % 4); h > 0; h--)
			n += (size_t)snprintf(buf + n, cap - n, "X-H%d:  v%u \r\n", h, rnd());
		if (body_ok && rnd() % 3) {
			e->body = rnd() % 700;
			if (rnd() % 2) {
				e->chunked = 1;
				n += (size_t)snprintf(buf + n, cap - n, "Transfer-Encoding: chunked\r\n\r\n");
				uint64_t left = e->body;
				while (left) {
					uint64_t k = 1 + rnd() % left;
					n += (size_t)snprintf(buf + n, cap - n, "%llx\r\n", (unsigned long long)k);
					for (uint64_t i = 0; i < k; i++) buf[n++] = (char)('a' + rnd() % 26);
					buf[n++] = '\r';
					buf[n++] = '\n';
					left -= k;
				}
				n += (size_t)snprintf(buf + n, cap - n, "0\r\n%s\r\n", rnd() % 2 ? "Trailer: t\r\n" : "");
			} else {
				n += (size_t)snprintf(buf + n, cap - n, "Content-Length: %llu\r\n\r\n", (unsigned long long)e->body);
				for (uint64_t i = 0; i < e->body; i++) buf[n++] = (char)(rnd() % 256);
			}
		} else {
			n += (size_t)snprintf(buf + n, cap - n, "\r\n");
		}
		e->end = n;
	}
	return n;
}

static void test_model(void **state)
{
	(void)state;
	uint64_t seed = (uint64_t)time(NULL) * 2654435761u + (uint64_t)clock();
	const char *env = getenv("TL_SEED");
	if (env) seed = strtoull(env, NULL, 10);
	static char buf[1 << 16];
	struct expect ex[8];
	for (int iter = 0; iter < 3000; iter++) {
		rng = seed + (uint64_t)iter * 0x9E3779B97F4A7C15ull;
		if (!rng) rng = 1;
		int nex;
		size_t n = gen(buf, sizeof buf, ex, &nex);
		struct tl_reqscan s;
		tl_reqscan_init(&s, 0, 0);
		size_t off = 0;
		int k = 0, saw_head = 0;
		while (off < n || k < nex) {
			size_t piece = 1 + rnd() % 64;
			if (piece > n - off) piece = n - off;
			size_t used;
			enum tl_scan_event ev = tl_reqscan_feed(&s, buf + off, piece, &used);
			off += used;
			if (ev == TL_SCAN_ERROR) {
				fprintf(stderr, "seed %llu iter %d: error %d %s at %zu\n", (unsigned long long)seed, iter,
					s.status, s.msg, off);
				fail();
			}
			if (ev == TL_SCAN_HEADERS) {
				assert_true(k < nex);
				assert_string_equal(s.method, ex[k].method);
				assert_string_equal(s.target, ex[k].target);
				assert_int_equal(s.n_auth, ex[k].n_auth);
				assert_int_equal(s.chunked, ex[k].chunked);
				if (!ex[k].chunked) assert_int_equal(s.has_length ? s.length : 0, ex[k].body);
				saw_head = 1;
			} else if (ev == TL_SCAN_DONE) {
				if (!saw_head || off != ex[k].end || s.body_seen != ex[k].body) {
					fprintf(stderr, "seed %llu iter %d: request %d ended at %zu (want %zu), body %llu (want %llu)\n",
						(unsigned long long)seed, iter, k, off, ex[k].end,
						(unsigned long long)s.body_seen, (unsigned long long)ex[k].body);
					fail();
				}
				k++;
				saw_head = 0;
			} else if (off == n && k < nex) {
				fprintf(stderr, "seed %llu iter %d: stream ended inside request %d\n", (unsigned long long)seed,
					iter, k);
				fail();
			}
		}
		assert_int_equal(k, nex);
		assert_false(tl_reqscan_busy(&s));
		tl_reqscan_free(&s);
	}
}

static int scan_all(const char *req, struct tl_reqscan *s, uint64_t limit)
{
	tl_reqscan_init(s, 1024, 100);
	size_t off = 0, n = strlen(req);
	for (;;) {
		size_t used;
		enum tl_scan_event ev = tl_reqscan_feed(s, req + off, n - off, &used);
		off += used;
		if (ev == TL_SCAN_HEADERS) s->body_limit = limit;
		if (ev == TL_SCAN_ERROR) return s->status;
		if (ev == TL_SCAN_DONE) return 200;
		if (ev == TL_SCAN_MORE) return 0;
	}
}

static void test_malformed(void **state)
{
	(void)state;
	static const struct {
		const char *req;
		int status;
	} cases[] = {
		{ "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc", 400 },
		{ "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 200 },
		{ "POST / HTTP/1.1\r\nContent-Length: 9e18\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nContent-Length: 1234567890123456789\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400 },
		{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", 400 },
		{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n", 400 },
		{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 200 },
		{ "GET / HTTP/1.1\r\nAuthorization: a\r\nAuthorization: b\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 400 },
		{ "GET / HTTP/1.1\r\n folded\r\n\r\n", 400 },
		{ "GET / HTTP/2.0\r\n\r\n", 400 },
		{ "GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n\r\n", 414 },
		{ "G\x01T / HTTP/1.1\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nContent-Length: 50\r\n\r\n", 413 }, /* over the limit of 10 */
		{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n", 413 },
		{ "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 200 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct tl_reqscan s;
		int st = scan_all(cases[i].req, &s, 10);
		if (st != cases[i].status) fail_msg("case %zu: got %d, want %d (%s)", i, st, cases[i].status, s.msg);
		tl_reqscan_free(&s);
	}
	/* A header block over max_head: 431. */
	char big[2048];
	int n = snprintf(big, sizeof big, "GET / HTTP/1.1\r\n");
	while (n < 1500) n += snprintf(big + n, sizeof big - (size_t)n, "X-Pad: 0123456789\r\n");
	struct tl_reqscan s;
	assert_int_equal(scan_all(big, &s, 0), 431);
	tl_reqscan_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
