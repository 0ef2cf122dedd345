/* The HTTP framework end to end: a real server on an ephemeral loopback
 * port, called over real TCP by a small blocking HTTP/1.1 client written
 * here (independent of libevent's HTTP code). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "api/auth.h"
#include "api/http_json.h"
#include "api/metrics.h"
#include "api/router.h"
#include "api/serve.h"
#include "bitcoin/hash.h"
#include "api/http_server.h"
#include "indexer/indexer.h"
#include "sim/sim.h"
#include "tests/httpc.h"
#include "tests/chainfix.h"
#include "tests/testutil.h"
#include "tracer/entities.h"
#include "tracer/storegraph.h"

/* ---------------- a tiny blocking HTTP/1.1 client ---------------- */

/* ---------------- router ---------------- */

static void test_router(void **state)
{
	(void)state;
	struct tl_err err;
	struct tl_router *r = tl_router_new();
	assert_int_equal(tl_router_add(r, 1, "/api/tx/:txid", 0, &err), 0);
	assert_int_equal(tl_router_add(r, 1, "/api/tx/:txid/outspend/:vout", 1, &err), 0);
	assert_int_equal(tl_router_add(r, 1, "/api/blocks/:start", 2, &err), 0);
	assert_int_equal(tl_router_add(r, 1, "/api/blocks/tip/height", 3, &err), 0);
	assert_int_equal(tl_router_add(r, 2, "/v1/screen", 4, &err), 0);
	assert_int_equal(tl_router_add(r, 1, "/", 5, &err), 0);
	assert_int_equal(tl_router_add(r, 1, "/:a/x", 6, &err), 0);
	assert_int_equal(tl_router_add(r, 1, "/y/:b", 7, &err), 0);
	/* Errors: duplicate, bad patterns. */
	assert_int_equal(tl_router_add(r, 1, "/api/tx/:other", 8, &err), -1);
	assert_non_null(strstr(err.msg, "duplicates"));
	assert_int_equal(tl_router_add(r, 2, "/api/tx/:other", 8, &err), 0); /* other method is fine */
	assert_int_equal(tl_router_add(r, 1, "no/slash", 9, &err), -1);
	assert_int_equal(tl_router_add(r, 1, "/a//b", 9, &err), -1);
	assert_int_equal(tl_router_add(r, 1, "/a/:", 9, &err), -1);
	assert_int_equal(tl_router_add(r, 1, "/a/:x/:x", 9, &err), -1);
	assert_int_equal(tl_router_add(r, 1, "/a%20", 9, &err), -1);
	assert_int_equal(tl_router_add(r, 0, "/z", 9, &err), -1);

	struct tl_route_match *m = malloc(sizeof *m);
	assert_int_equal(tl_router_match(r, 1, "/api/tx/abc", m), TL_ROUTE_FOUND);
	assert_int_equal(m->route_id, 0);
	assert_string_equal(tl_route_param(m, "txid"), "abc");
	assert_null(tl_route_param(m, "vout"));
	assert_int_equal(tl_router_match(r, 1, "/api/tx/abc/outspend/3", m), TL_ROUTE_FOUND);
	assert_int_equal(m->route_id, 1);
	assert_string_equal(tl_route_param(m, "txid"), "abc");
	assert_string_equal(tl_route_param(m, "vout"), "3");
	/* Literal beats parameter whatever the registration order. */
	assert_int_equal(tl_router_match(r, 1, "/api/blocks/tip", m), TL_ROUTE_FOUND);
	assert_int_equal(m->route_id, 2);
	assert_int_equal(tl_router_match(r, 1, "/api/blocks/tip/height", m), TL_ROUTE_FOUND);
	assert_int_equal(m->route_id, 3);
	assert_int_equal(tl_router_match(r, 1, "/y/x", m), TL_ROUTE_FOUND); /* /y/:b beats /:a/x */
	assert_int_equal(m->route_id, 7);
	assert_int_equal(tl_router_match(r, 1, "/", m), TL_ROUTE_FOUND);
	assert_int_equal(m->route_id, 5);
	/* Trailing slash ignored; percent-decoding of parameters. */
	assert_int_equal(tl_router_match(r, 1, "/api/tx/a%20b%2Fc/", m), TL_ROUTE_FOUND);
	assert_string_equal(tl_route_param(m, "txid"), "a b/c");
	/* Methods: 405 information. */
	assert_int_equal(tl_router_match(r, 1, "/v1/screen", m), TL_ROUTE_BAD_METHOD);
	assert_int_equal(m->allowed_methods, 2u);
	assert_int_equal(tl_router_match(r, 2, "/api/tx/q", m), TL_ROUTE_FOUND);
	assert_int_equal(m->route_id, 8);
	assert_string_equal(tl_route_param(m, "other"), "q");
	/* Not found, empty segment, bad escapes. */
	assert_int_equal(tl_router_match(r, 1, "/api/tx", m), TL_ROUTE_NOT_FOUND);
	assert_int_equal(tl_router_match(r, 1, "/api/tx//outspend/1", m), TL_ROUTE_NOT_FOUND);
	assert_int_equal(tl_router_match(r, 1, "/nope", m), TL_ROUTE_NOT_FOUND);
	assert_int_equal(tl_router_match(r, 1, "/api/tx/%zz", m), TL_ROUTE_BAD_PATH);
	assert_int_equal(tl_router_match(r, 1, "/api/tx/%4", m), TL_ROUTE_BAD_PATH);
	assert_int_equal(tl_router_match(r, 1, "/api/tx/a%00", m), TL_ROUTE_BAD_PATH);
	char longp[TL_ROUTER_MAX_PATH + 16];
	memset(longp, 'a', sizeof longp - 1);
	longp[0] = '/';
	longp[sizeof longp - 1] = '\0';
	assert_int_equal(tl_router_match(r, 1, longp, m), TL_ROUTE_NOT_FOUND);
	free(m);
	tl_router_free(r);

	char out[32];
	assert_int_equal(tl_url_decode("a+b%41", 6, out, 1), 4);
	assert_string_equal(out, "a bA");
	assert_int_equal(tl_url_decode("a+b", 3, out, 0), 3);
	assert_string_equal(out, "a+b");
}

/* ---------------- keys and rate limits ---------------- */

static void sha256_hex_of(const char *s, char out[65])
{
	/* Independent of the code under test: the coreutils tool. */
	char cmd[512], *o = NULL;
	snprintf(cmd, sizeof cmd, "printf %%s '%s' | sha256sum", s);
	assert_int_equal(tu_run(cmd, &o), 0);
	memcpy(out, o, 64);
	out[64] = '\0';
	free(o);
}

static void test_keyring(void **state)
{
	(void)state;
	struct tl_err err;
	struct tl_keyring *kr;
	char h1[65], h2[65];
	sha256_hex_of("alpha", h1);
	sha256_hex_of("beta", h2);
	char text[1024];
	/* Upper-case hex, comments, blank lines, a name with spaces. */
	for (char *p = h2; *p; p++)
		if (*p >= 'a' && *p <= 'f') *p = (char)(*p - 32);
	snprintf(text, sizeof text, "# keys\n\n%s screen 5 exchange one\n  %s admin 0.5\n", h1, h2);
	assert_int_equal(tl_keyring_parse(text, strlen(text), "k", &kr, &err), 0);
	assert_int_equal(tl_keyring_count(kr), 2);
	struct tl_api_key *a = tl_keyring_find(kr, "alpha", 5), *b = tl_keyring_find(kr, "beta", 4);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(a->role, TL_ROLE_SCREEN);
	assert_string_equal(a->name, "exchange one");
	assert_int_equal(b->role, TL_ROLE_ADMIN);
	assert_true(b->rate == 0.5);
	assert_null(tl_keyring_find(kr, "alph", 4));
	assert_null(tl_keyring_find(kr, "gamma", 5));

	/* Token bucket, a second computation by hand: rate 5 -> 5 tokens. */
	for (int i = 0; i < 5; i++) assert_int_equal(tl_ratelimit_take(a, 100.0), 0);
	assert_int_equal(tl_ratelimit_take(a, 100.0), 1);  /* needs 0.2 s -> 1 s */
	assert_int_equal(tl_ratelimit_take(a, 100.21), 0); /* one token back */
	assert_int_equal(tl_ratelimit_take(a, 100.21), 1);
	assert_int_equal(tl_ratelimit_take(a, 110.0), 0);  /* refilled, capped at 5 */
	for (int i = 0; i < 4; i++) assert_int_equal(tl_ratelimit_take(a, 110.0), 0);
	assert_int_equal(tl_ratelimit_take(a, 110.0), 1);
	/* rate 0.5: capacity 1, next token after 2 s. */
	assert_int_equal(tl_ratelimit_take(b, 50.0), 0);
	assert_int_equal(tl_ratelimit_take(b, 50.0), 2);
	assert_int_equal(tl_ratelimit_take(b, 51.0), 1);
	assert_int_equal(tl_ratelimit_take(b, 52.0), 0);
	tl_keyring_free(kr);

	/* Errors name the line. */
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "# c\nabc screen 1\n", "line 2" },
		{ "%s reader 1\n", "unknown role" },
		{ "%s screen -1\n", "rate" },
		{ "%s screen ten\n", "rate" },
		{ "%s screen\n", "expected" },
		{ "%s screen 1\n%s admin 2\n", "same key hash" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(text, sizeof text, bad[i].text, h1, h1);
		assert_int_equal(tl_keyring_parse(text, strlen(text), "keys.txt", &kr, &err), -1);
		if (!strstr(err.msg, bad[i].want) || !strstr(err.msg, "keys.txt"))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, bad[i].want);
	}
	assert_int_equal(tl_keyring_load("/nonexistent/keys", &kr, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/keys"));

	enum tl_api_role role;
	assert_int_equal(tl_role_parse("investigate", &role), 0);
	assert_int_equal(role, TL_ROLE_INVESTIGATE);
	assert_int_equal(tl_role_parse("public", &role), -1);
}

/* ---------------- the server ---------------- */

static const char *K_SCREEN = "tlk_screen_key_for_tests";
static const char *K_INVEST = "tlk_investigate_key_for_tests";
static const char *K_ADMIN = "tlk_admin_key_for_tests";
static const char *K_LIMITED = "tlk_limited_key_for_tests";

static void h_tx(struct tl_api_req *req, void *ctx)
{
	(void)ctx;
	const char *v = tl_api_req_query(req, "verbose");
	tl_api_reply_json(req, 200,
			  json_pack("{s:s, s:s, s:s?, s:s, s:s}", "txid", tl_api_req_param(req, "txid"), "role",
				    tl_role_name(tl_api_req_role(req)), "verbose", v, "route", tl_api_req_route(req),
				    "key", tl_api_req_key_name(req)));
}

static void h_text(struct tl_api_req *req, void *ctx)
{
	const char *t = ctx;
	tl_api_reply_raw(req, 200, "text/plain", t, strlen(t));
}

static void h_screen(struct tl_api_req *req, void *ctx)
{
	(void)ctx;
	json_t *body = tl_api_req_json(req);
	if (!body) return;
	json_t *items = json_object_get(body, "items");
	if (!json_is_array(items)) {
		tl_api_reply_error(req, 400, "bad_request", "'items' must be an array");
		return;
	}
	if (json_array_size(items) > 1000) {
		tl_api_reply_limit(req, 413, "batch_items", 1000, "send at most 1000 items per request",
				   "too many items in one batch");
		return;
	}
	tl_api_reply_json(req, 200, json_pack("{s:i}", "count", (int)json_array_size(items)));
}

static void h_slow(struct tl_api_req *req, void *ctx)
{
	(void)ctx;
	struct timespec ts = { 0, 400 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	tl_api_reply_json(req, 200, json_pack("{s:s}", "slow", "done"));
}

static void h_limit(struct tl_api_req *req, void *ctx)
{
	(void)ctx;
	assert_true(tl_api_req_time_left_ms(req) > 0);
	tl_api_reply_limit(req, 422, "trace_time", 10, "pass max_hops=5 or a shorter time window",
			   "the trace did not finish within its time budget");
}

static void h_noreply(struct tl_api_req *req, void *ctx)
{
	(void)req;
	(void)ctx;
}

static int extra_metrics_called;
static void metrics_hook(FILE *out, void *ctx)
{
	(void)ctx;
	extra_metrics_called = 1;
	tl_metrics_gauge(out, "tl_index_height", "Height of the indexed tip.", 840000);
}

static int health_hook(struct json_t *obj, void *ctx)
{
	(void)ctx;
	json_object_set_new((json_t *)obj, "tip_height", json_integer(840000));
	return 0;
}

static char *write_keys_file(void)
{
	char *dir = tu_tmpdir("apikeys");
	char *path = malloc(4096);
	snprintf(path, 4096, "%s/keys", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	struct {
		const char *k;
		const char *role;
		double rate;
	} ks[] = { { K_SCREEN, "screen", 0 }, { K_INVEST, "investigate", 1000 }, { K_ADMIN, "admin", 0 },
		   { K_LIMITED, "screen", 1 } };
	fprintf(f, "# test keys\n");
	for (size_t i = 0; i < 4; i++) {
		char h[65];
		sha256_hex_of(ks[i].k, h);
		fprintf(f, "%s %s %g name-%s\n", h, ks[i].role, ks[i].rate, ks[i].role);
	}
	fclose(f);
	free(dir);
	return path;
}

static struct tl_api_server *start_server(const char *keys, int threads, int io_ms, FILE *log)
{
	struct tl_api_config c;
	tl_api_config_default(&c);
	c.listen = "127.0.0.1:0";
	c.threads = threads;
	c.keys_file = keys;
	c.max_body = 4096;
	c.io_timeout_ms = io_ms;
	c.drain_timeout_ms = 5000;
	c.log = log;
	struct tl_err err;
	struct tl_api_server *srv = tl_api_server_new(&c, &err);
	if (!srv) fail_msg("server_new: %s", err.msg);
	assert_int_equal(tl_api_route(srv, TL_GET, "/api/tx/:txid", TL_ROLE_SCREEN, h_tx, NULL, &err), 0);
	assert_int_equal(tl_api_route(srv, TL_GET, "/api/blocks/tip/height", TL_ROLE_SCREEN, h_text, "840000", &err), 0);
	assert_int_equal(tl_api_route(srv, TL_GET, "/api/blocks/:start", TL_ROLE_SCREEN, h_text, "blocks", &err), 0);
	assert_int_equal(tl_api_route(srv, TL_POST, "/v1/screen", TL_ROLE_SCREEN, h_screen, NULL, &err), 0);
	assert_int_equal(tl_api_route(srv, TL_GET, "/v1/heists", TL_ROLE_INVESTIGATE, h_text, "heists", &err), 0);
	assert_int_equal(tl_api_route(srv, TL_POST, "/v1/import", TL_ROLE_ADMIN, h_text, "imported", &err), 0);
	assert_int_equal(tl_api_route(srv, TL_GET, "/v1/slow", TL_ROLE_SCREEN, h_slow, NULL, &err), 0);
	assert_int_equal(tl_api_route(srv, TL_GET, "/v1/limit", TL_ROLE_SCREEN, h_limit, NULL, &err), 0);
	assert_int_equal(tl_api_route(srv, TL_GET, "/v1/noreply", TL_ROLE_SCREEN, h_noreply, NULL, &err), 0);
	assert_int_equal(tl_api_route(srv, TL_GET, "/api/tx/:x", TL_ROLE_SCREEN, h_tx, NULL, &err), -1);
	tl_api_set_metrics_hook(srv, metrics_hook, NULL);
	tl_api_set_health_hook(srv, health_hook, NULL);
	if (tl_api_server_start(srv, &err)) fail_msg("start: %s", err.msg);
	assert_true(tl_api_server_port(srv) > 0);
	assert_int_equal(tl_api_route(srv, TL_GET, "/late", TL_ROLE_SCREEN, h_tx, NULL, &err), -1);
	return srv;
}

/* Sums tl_http_requests_total for route and status in a /metrics body. */
static long metric_count(const char *text, const char *route, int status)
{
	char needle[256];
	snprintf(needle, sizeof needle, "tl_http_requests_total{route=\"%s\",status=\"%d\"} ", route, status);
	const char *p = strstr(text, needle);
	return p ? strtol(p + strlen(needle), NULL, 10) : 0;
}

static void test_server_routes_and_errors(void **state)
{
	(void)state;
	char *keys = write_keys_file();
	struct tl_api_server *srv = start_server(keys, 2, 5000, NULL);
	uint16_t port = tl_api_server_port(srv);
	struct resp r;
	long n_tx200 = 0, n_404 = 0;

	/* Route with a path parameter (decoded) and a query parameter. */
	assert_int_equal(http_do(port, "GET", "/api/tx/ab%20cd?verbose=yes%21", K_SCREEN, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	n_tx200++;
	json_t *v = resp_json(&r);
	assert_string_equal(json_string_value(json_object_get(v, "txid")), "ab cd");
	assert_string_equal(json_string_value(json_object_get(v, "verbose")), "yes!");
	assert_string_equal(json_string_value(json_object_get(v, "role")), "screen");
	assert_string_equal(json_string_value(json_object_get(v, "route")), "/api/tx/:txid");
	assert_string_equal(json_string_value(json_object_get(v, "key")), "name-screen");
	json_decref(v);
	resp_free(&r);
	/* Literal route beats the parameter route. */
	assert_int_equal(http_do(port, "GET", "/api/blocks/tip/height", K_SCREEN, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "840000");
	assert_string_equal(hdr(&r, "Content-Type"), "text/plain");
	resp_free(&r);
	assert_int_equal(http_do(port, "GET", "/api/blocks/100", K_SCREEN, NULL, 0, &r), 0);
	assert_string_equal(r.body, "blocks");
	resp_free(&r);

	/* Unknown route: 404 not_found (even without a key). */
	assert_int_equal(http_do(port, "GET", "/api/nothing/here", NULL, NULL, 0, &r), 0);
	expect_error(&r, 404, "not_found");
	n_404++;
	resp_free(&r);
	/* Wrong method: 405 with Allow. */
	assert_int_equal(http_do(port, "GET", "/v1/screen", K_SCREEN, NULL, 0, &r), 0);
	expect_error(&r, 405, "method_not_allowed");
	assert_string_equal(hdr(&r, "Allow"), "POST");
	resp_free(&r);
	/* Bad percent-escape. */
	assert_int_equal(http_do(port, "GET", "/api/tx/%zz", K_SCREEN, NULL, 0, &r), 0);
	expect_error(&r, 400, "bad_path");
	resp_free(&r);

	/* Auth: missing key 401 with WWW-Authenticate; wrong key 401; wrong
	 * role 403; higher roles pass. */
	assert_int_equal(http_do(port, "GET", "/api/tx/aa", NULL, NULL, 0, &r), 0);
	expect_error(&r, 401, "unauthorized");
	assert_non_null(hdr(&r, "WWW-Authenticate"));
	resp_free(&r);
	assert_int_equal(http_do(port, "GET", "/api/tx/aa", "tlk_wrong", NULL, 0, &r), 0);
	expect_error(&r, 401, "unauthorized");
	resp_free(&r);
	assert_int_equal(http_do(port, "GET", "/v1/heists", K_SCREEN, NULL, 0, &r), 0);
	expect_error(&r, 403, "forbidden");
	assert_non_null(strstr(r.body, "investigate"));
	resp_free(&r);
	assert_int_equal(http_do(port, "GET", "/v1/heists", K_INVEST, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	assert_int_equal(http_do(port, "POST", "/v1/import", K_INVEST, "{}", 2, &r), 0);
	expect_error(&r, 403, "forbidden");
	resp_free(&r);
	assert_int_equal(http_do(port, "POST", "/v1/import", K_ADMIN, "{}", 2, &r), 0);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	assert_int_equal(http_do(port, "GET", "/v1/heists", K_ADMIN, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	assert_int_equal(http_do(port, "GET", "/api/tx/bb", K_ADMIN, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	n_tx200++;
	resp_free(&r);

	/* Rate limit: the limited key (1/s, burst 1) gets one request, then
	 * 429 with Retry-After. */
	assert_int_equal(http_do(port, "GET", "/api/tx/cc", K_LIMITED, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	n_tx200++;
	resp_free(&r);
	assert_int_equal(http_do(port, "GET", "/api/tx/cc", K_LIMITED, NULL, 0, &r), 0);
	expect_error(&r, 429, "rate_limited");
	const char *ra = hdr(&r, "Retry-After");
	assert_non_null(ra);
	assert_int_equal(atoi(ra), 1);
	v = resp_json(&r);
	assert_int_equal(json_integer_value(json_object_get(v, "retry_after")), 1);
	json_decref(v);
	resp_free(&r);
	/* Other keys are not affected. */
	assert_int_equal(http_do(port, "GET", "/api/tx/cc", K_SCREEN, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	n_tx200++;
	resp_free(&r);

	/* JSON bodies: good, malformed (400 bad_json), empty, too large. */
	const char *good = "{\"items\": [1, 2, 3]}";
	assert_int_equal(http_do(port, "POST", "/v1/screen", K_SCREEN, good, strlen(good), &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"count\":3"));
	resp_free(&r);
	const char *badj = "{\"items\": [1, 2,";
	assert_int_equal(http_do(port, "POST", "/v1/screen", K_SCREEN, badj, strlen(badj), &r), 0);
	expect_error(&r, 400, "bad_json");
	assert_non_null(strstr(r.body, "line 1"));
	resp_free(&r);
	assert_int_equal(http_do(port, "POST", "/v1/screen", K_SCREEN, "", 0, &r), 0);
	expect_error(&r, 400, "bad_json");
	resp_free(&r);
	/* A handler-side limit (413) with how to narrow. */
	{
		char big[4000];
		int n = snprintf(big, sizeof big, "{\"items\":[");
		for (int i = 0; i < 1001; i++) n += snprintf(big + n, sizeof big - (size_t)n, "%s1", i ? "," : "");
		n += snprintf(big + n, sizeof big - (size_t)n, "]}");
		assert_int_equal(http_do(port, "POST", "/v1/screen", K_SCREEN, big, (size_t)n, &r), 0);
		expect_error(&r, 413, "limit_exceeded");
		v = resp_json(&r);
		assert_string_equal(json_string_value(json_object_get(v, "limit")), "batch_items");
		assert_true(json_number_value(json_object_get(v, "max")) == 1000);
		assert_non_null(json_string_value(json_object_get(v, "narrow")));
		json_decref(v);
		resp_free(&r);
	}
	/* Body over max_body (4096): JSON 413 body_too_large. */
	{
		size_t n = 5000;
		char *big = malloc(n);
		memset(big, ' ', n);
		big[0] = '[';
		big[n - 1] = ']';
		assert_int_equal(http_do(port, "POST", "/v1/screen", K_SCREEN, big, n, &r), 0);
		expect_error(&r, 413, "body_too_large");
		resp_free(&r);
		free(big);
		/* Far over it (libevent stops reading): still 413. */
		n = 64 * 1024;
		big = calloc(1, n);
		memset(big, ' ', n);
		assert_int_equal(http_do(port, "POST", "/v1/screen", K_SCREEN, big, n, &r), 0);
		assert_int_equal(r.status, 413);
		resp_free(&r);
		free(big);
	}
	/* 422 with the narrowing hint; handler without reply -> 500. */
	assert_int_equal(http_do(port, "GET", "/v1/limit", K_SCREEN, NULL, 0, &r), 0);
	expect_error(&r, 422, "limit_exceeded");
	assert_non_null(strstr(r.body, "max_hops"));
	resp_free(&r);
	assert_int_equal(http_do(port, "GET", "/v1/noreply", K_SCREEN, NULL, 0, &r), 0);
	expect_error(&r, 500, "internal");
	resp_free(&r);

	/* Keep-alive: three requests on one connection. */
	{
		int fd = connect_port(port);
		assert_true(fd >= 0);
		for (int i = 0; i < 3; i++) {
			send_request(fd, "GET", "/api/tx/ka", K_SCREEN, NULL, 0, 1);
			assert_int_equal(read_response(fd, &r), 0);
			assert_int_equal(r.status, 200);
			n_tx200++;
			resp_free(&r);
		}
		close(fd);
	}

	/* Health and metrics are public. */
	assert_int_equal(http_do(port, "GET", "/healthz", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	v = resp_json(&r);
	assert_string_equal(json_string_value(json_object_get(v, "status")), "ok");
	assert_int_equal(json_integer_value(json_object_get(v, "tip_height")), 840000);
	json_decref(v);
	resp_free(&r);
	assert_int_equal(http_do(port, "GET", "/metrics", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(hdr(&r, "Content-Type"), "text/plain"));
	/* Counts agree with the requests this test made. */
	assert_int_equal(metric_count(r.body, "/api/tx/:txid", 200), n_tx200);
	assert_int_equal(metric_count(r.body, "/api/tx/:txid", 401), 2);
	assert_int_equal(metric_count(r.body, "/api/tx/:txid", 429), 1);
	assert_int_equal(metric_count(r.body, "unmatched", 404), n_404);
	/* Three 413s: the batch limit and both bodies over max_body (refused
	 * when their headers arrived, counted like any other answer). */
	assert_int_equal(metric_count(r.body, "/v1/screen", 413), 3);
	assert_non_null(strstr(r.body, "# TYPE tl_http_request_duration_seconds histogram"));
	{
		char needle[128];
		snprintf(needle, sizeof needle,
			 "tl_http_request_duration_seconds_bucket{route=\"/api/tx/:txid\",le=\"+Inf\"} %ld",
			 n_tx200 + 3);
		assert_non_null(strstr(r.body, needle));
	}
	assert_non_null(strstr(r.body, "tl_index_height 840000"));
	assert_true(extra_metrics_called);
	resp_free(&r);

	tl_api_server_free(srv);
	free(keys);
}

/* A client that sends half its headers and stalls holds no worker: with
 * one worker thread, other clients are served meanwhile, and the stalled
 * connection is closed after the I/O timeout. */
static void test_slow_client(void **state)
{
	(void)state;
	struct tl_api_server *srv = start_server(NULL, 1, 300, NULL);
	uint16_t port = tl_api_server_port(srv);
	int slow = connect_port(port);
	assert_true(slow >= 0);
	const char *half = "GET /api/tx/x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Partial: ";
	assert_int_equal(send_all(slow, half, strlen(half)), 0);
	struct resp r;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(http_do(port, "GET", "/api/tx/fast", NULL, NULL, 0, &r), 0);
		assert_int_equal(r.status, 200);
		resp_free(&r);
	}
	/* The server hangs up on the stalled client (our recv timeout is 5 s,
	 * the server's 0.3 s): recv sees EOF or a reset, not a timeout. */
	char buf[256];
	errno = 0;
	ssize_t got = recv(slow, buf, sizeof buf, 0);
	assert_true(got == 0 || (got < 0 && errno == ECONNRESET));
	close(slow);
	tl_api_server_free(srv);
}

struct slow_call {
	uint16_t port;
	struct resp r;
	int rc;
};

static void *slow_call_main(void *arg)
{
	struct slow_call *c = arg;
	c->rc = http_do(c->port, "GET", "/v1/slow", NULL, NULL, 0, &c->r);
	return NULL;
}

/* Stop while a slow handler runs: its reply still arrives in full, then
 * the server stops accepting. Also: without keys, loopback clients act as
 * admin and a warning is logged. */
static void test_graceful_shutdown(void **state)
{
	(void)state;
	char *logbuf = NULL;
	size_t loglen = 0;
	FILE *log = open_memstream(&logbuf, &loglen);
	struct tl_api_server *srv = start_server(NULL, 2, 5000, log);
	uint16_t port = tl_api_server_port(srv);
	struct resp r;
	assert_int_equal(http_do(port, "POST", "/v1/import", NULL, "{}", 2, &r), 0);
	assert_int_equal(r.status, 200); /* loopback, no keys: admin */
	resp_free(&r);

	struct slow_call calls[2] = { { .port = port }, { .port = port } };
	pthread_t th[2];
	for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&th[i], NULL, slow_call_main, &calls[i]), 0);
	struct timespec ts = { 0, 150 * 1000 * 1000 }; /* both requests are in their handlers */
	nanosleep(&ts, NULL);
	tl_api_server_stop(srv);
	tl_api_server_wait(srv);
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(calls[i].rc, 0);
		assert_int_equal(calls[i].r.status, 200);
		assert_non_null(strstr(calls[i].r.body, "\"slow\":\"done\""));
		assert_string_equal(hdr(&calls[i].r, "Connection"), "close");
		resp_free(&calls[i].r);
	}
	/* Listening socket closed. */
	assert_int_equal(connect_port(port), -1);
	tl_api_server_free(srv);
	fclose(log);
	assert_non_null(strstr(logbuf, "loopback"));
	free(logbuf);
}

struct sig_run {
	struct tl_api_server *srv;
	int rc;
};

static void *sig_run_main(void *arg)
{
	struct sig_run *s = arg;
	struct tl_err err;
	s->rc = tl_api_server_run_until_signal(s->srv, &err);
	return NULL;
}

/* SIGTERM (sent to the serving thread) drains and returns. */
static void test_signal_stop(void **state)
{
	(void)state;
	struct tl_api_config c;
	tl_api_config_default(&c);
	c.listen = "127.0.0.1:0";
	c.log = NULL;
	struct tl_err err;
	struct sig_run s = { tl_api_server_new(&c, &err), -1 };
	assert_non_null(s.srv);
	assert_int_equal(tl_api_route(s.srv, TL_GET, "/v1/slow", TL_ROLE_SCREEN, h_slow, NULL, &err), 0);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, sig_run_main, &s), 0);
	uint16_t port = 0;
	for (int i = 0; i < 200 && !(port = tl_api_server_port(s.srv)); i++) {
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	assert_true(port > 0);
	struct slow_call call = { .port = port };
	pthread_t cth;
	assert_int_equal(pthread_create(&cth, NULL, slow_call_main, &call), 0);
	struct timespec ts = { 0, 150 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	pthread_kill(th, SIGTERM);
	pthread_join(th, NULL);
	pthread_join(cth, NULL);
	assert_int_equal(s.rc, 0);
	assert_int_equal(call.rc, 0);
	assert_int_equal(call.r.status, 200);
	resp_free(&call.r);
	tl_api_server_free(s.srv);
}

/* Bad configurations fail with a message. */
static void test_bad_config(void **state)
{
	(void)state;
	struct tl_api_config c;
	struct tl_err err;
	const char *bad_listen[] = { "127.0.0.1", "localhost:80", "127.0.0.1:99999", "[::1]80", "1.2.3:x" };
	for (size_t i = 0; i < sizeof bad_listen / sizeof bad_listen[0]; i++) {
		tl_api_config_default(&c);
		c.listen = bad_listen[i];
		assert_null(tl_api_server_new(&c, &err));
		assert_non_null(strstr(err.msg, "listen address"));
	}
	tl_api_config_default(&c);
	c.threads = 0;
	assert_null(tl_api_server_new(&c, &err));
	tl_api_config_default(&c);
	c.keys_file = "/nonexistent/keys";
	assert_null(tl_api_server_new(&c, &err));
	assert_non_null(strstr(err.msg, "keys file"));
	/* A port in use. */
	tl_api_config_default(&c);
	c.listen = "127.0.0.1:0";
	c.log = NULL;
	struct tl_api_server *a = tl_api_server_new(&c, &err);
	assert_int_equal(tl_api_server_start(a, &err), 0);
	char addr[64];
	snprintf(addr, sizeof addr, "127.0.0.1:%u", tl_api_server_port(a));
	c.listen = addr;
	struct tl_api_server *b = tl_api_server_new(&c, &err);
	assert_int_equal(tl_api_server_start(b, &err), -1);
	assert_non_null(strstr(err.msg, "cannot listen"));
	tl_api_server_free(b);
	tl_api_server_free(a);
}

/* taintline keys add: prints a key once and stores only its SHA-256. */
static void test_keys_command(void **state)
{
	(void)state;
	char *dir = tu_tmpdir("keyscmd");
	char path[4200], cmd[8600], *out = NULL;
	snprintf(path, sizeof path, "%s/keys", dir);
	snprintf(cmd, sizeof cmd, "%s keys add --file %s --role investigate --rate 3 --name 'fiu desk' 2>/dev/null",
		 TL_BINARY, path);
	assert_int_equal(tu_run(cmd, &out), 0);
	char key[128];
	assert_int_equal(sscanf(out, "%127s", key), 1);
	free(out);
	assert_int_equal(strlen(key), TL_API_KEY_LEN);
	assert_memory_equal(key, "tlk_", 4);
	size_t len;
	char *file = (char *)tu_read_file(path, &len);
	assert_null(strstr(file, key + 4)); /* the key itself is not stored */
	char h[65], want[256];
	sha256_hex_of(key, h);
	snprintf(want, sizeof want, "%s investigate 3 fiu desk\n", h);
	assert_string_equal(file, want);
	free(file);
	/* A second key is appended; the two differ. */
	snprintf(cmd, sizeof cmd, "%s keys add --file %s --role screen 2>/dev/null", TL_BINARY, path);
	assert_int_equal(tu_run(cmd, &out), 0);
	assert_null(strstr(out, key));
	free(out);
	/* Usage errors. */
	snprintf(cmd, sizeof cmd, "%s keys add --file %s --role boss 2>/dev/null", TL_BINARY, path);
	assert_int_equal(tu_run(cmd, NULL), 2);
	snprintf(cmd, sizeof cmd, "%s keys add --role screen 2>/dev/null", TL_BINARY);
	assert_int_equal(tu_run(cmd, NULL), 2);

	/* The server accepts the printed key with its role. */
	struct tl_api_server *srv = start_server(path, 1, 5000, NULL);
	struct resp r;
	assert_int_equal(http_do(tl_api_server_port(srv), "GET", "/v1/heists", key, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	assert_int_equal(http_do(tl_api_server_port(srv), "POST", "/v1/import", key, "{}", 2, &r), 0);
	expect_error(&r, 403, "forbidden");
	resp_free(&r);
	tl_api_server_free(srv);

	/* A keys file others can read: the server warns at start, and
	 * `keys add` tightens it to the owner. */
	assert_int_equal(chmod(path, 0644), 0);
	char *logtext = NULL;
	size_t loglen = 0;
	FILE *log = open_memstream(&logtext, &loglen);
	srv = start_server(path, 1, 5000, log);
	tl_api_server_free(srv);
	fclose(log);
	assert_non_null(strstr(logtext, "readable by other users"));
	free(logtext);
	snprintf(cmd, sizeof cmd, "%s keys add --file %s --role screen 2>&1 >/dev/null", TL_BINARY, path);
	assert_int_equal(tu_run(cmd, &out), 0);
	assert_non_null(strstr(out, "now 0600"));
	free(out);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	tu_rmrf(dir);
	free(dir);
}

/* ---------------- the application over a database ---------------- */

/* A simulated regtest chain in dir/sim, indexed into dir/db up to until
 * (-1 = all). */
static void sim_and_index(const char *dir, int32_t until)
{
	char simdir[4096], blocks[4200], db[4200];
	snprintf(simdir, sizeof simdir, "%s/sim", dir);
	snprintf(blocks, sizeof blocks, "%s/blocks", simdir);
	snprintf(db, sizeof db, "%s/db", dir);
	cf_sim(simdir, 7, 140, 40, 1, false);
	struct tl_index_opts io = cf_index_opts(blocks, db);
	io.cache_mb = 0; /* the indexer's default */
	io.until = until;
	cf_index_run(&io, NULL);
}

static uint32_t open_app_trace_mb; /* 0: the default */

static struct tl_app *open_app(const char *db, int poll_ms, int trace_time_ms)
{
	struct tl_serve_opts o;
	tl_serve_opts_default(&o);
	if (open_app_trace_mb) o.trace_memory_mb = open_app_trace_mb;
	o.db_path = db;
	o.listen = "127.0.0.1:0";
	o.threads = 2;
	o.poll_ms = poll_ms;
	o.trace_time_ms = trace_time_ms;
	o.log = NULL;
	struct tl_app *app;
	struct tl_err err;
	if (tl_app_open(&o, &app, &err) < 0) fail_msg("open: %s", err.msg);
	if (tl_app_start(app, &err) < 0) fail_msg("start: %s", err.msg);
	return app;
}

/* A trace over HTTP stops at the server's trace time limit: 422
 * trace_timeout with how to narrow it and how far it got, and the server
 * answers the next request at once. */
static void test_trace_time_limit(void **state)
{
	(void)state;
	char *dir = tu_tmpdir("api_trace_time");
	sim_and_index(dir, -1);
	char db[4200];
	snprintf(db, sizeof db, "%s/db", dir);
	/* Seeds: the coinbases of blocks 1..60 (tx_num = height before the
	 * economy starts), poisoning everything they fund, nothing stops. */
	struct tl_app *app = open_app(db, 3600000, 0);
	struct tl_storegraph *sg;
	struct tl_err err;
	assert_int_equal(tl_storegraph_new(app->store, &sg, &err), 0);
	json_t *body = json_pack("{s:[],s:s,s:i,s:[]}", "seeds", "policy", "poison", "max_hops", 0,
				 "stop_categories");
	for (uint64_t n = 1; n <= 60; n++) {
		uint8_t txid[32];
		char hex[65];
		assert_int_equal(tl_storegraph_txid(sg, n, txid, &err), 1);
		tl_hash_to_hex(txid, hex);
		json_array_append_new(json_object_get(body, "seeds"), json_string(hex));
	}
	tl_storegraph_free(sg);
	char *b = json_dumps(body, 0);
	json_decref(body);
	struct resp r;
	assert_int_equal(http_do(tl_app_port(app), "POST", "/v1/trace", NULL, b, strlen(b), &r), 0);
	if (r.status != 200) fail_msg("untimed trace: %d %s", r.status, r.body);
	json_t *full = resp_json(&r);
	json_int_t visited = json_integer_value(json_object_get(full, "visited"));
	json_decref(full);
	resp_free(&r);
	if (visited < 1000) fail_msg("the untimed trace visited only %lld transactions", (long long)visited);
	tl_app_close(app);

	/* The same trace on a server whose traces get 1 ms. */
	app = open_app(db, 3600000, 1);
	assert_int_equal(http_do(tl_app_port(app), "POST", "/v1/trace", NULL, b, strlen(b), &r), 0);
	expect_error(&r, 422, "trace_timeout");
	json_t *e = resp_json(&r);
	assert_string_equal(json_string_value(json_object_get(e, "limit")), "trace_time");
	assert_true(json_real_value(json_object_get(e, "max")) == 0.001);
	const char *narrow = json_string_value(json_object_get(e, "narrow"));
	assert_non_null(narrow);
	assert_non_null(strstr(narrow, "max_hops"));
	assert_non_null(strstr(narrow, "min_sat"));
	assert_non_null(strstr(narrow, "until"));
	json_int_t partial = json_integer_value(json_object_get(e, "visited"));
	assert_true(partial < visited); /* stopped on time, not after finishing */
	json_decref(e);
	resp_free(&r);
	/* Still serving. */
	assert_int_equal(http_do(tl_app_port(app), "GET", "/healthz", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	tl_app_close(app);

	/* The same trace on a server whose traces get 1 MiB: 413 naming the
	 * memory budget, stopped part way. */
	open_app_trace_mb = 1;
	app = open_app(db, 3600000, 0);
	open_app_trace_mb = 0;
	assert_int_equal(http_do(tl_app_port(app), "POST", "/v1/trace", NULL, b, strlen(b), &r), 0);
	expect_error(&r, 413, "limit_exceeded");
	e = resp_json(&r);
	assert_string_equal(json_string_value(json_object_get(e, "limit")), "trace_memory_mb");
	assert_true(json_number_value(json_object_get(e, "max")) == 1);
	assert_non_null(strstr(json_string_value(json_object_get(e, "message")), "1 MiB"));
	json_decref(e);
	resp_free(&r);
	/* Numbers out of range and NUL bytes are refused naming the
	 * parameter, never clamped or cut. */
	assert_int_equal(http_do(tl_app_port(app), "GET", "/v1/heists/x/trace?max_hops=99999999999", NULL, NULL, 0, &r), 0);
	expect_error(&r, 400, "bad_request");
	assert_non_null(strstr(r.body, "max_hops"));
	resp_free(&r);
	assert_int_equal(http_do(tl_app_port(app), "GET", "/v1/heists/x/trace?min_sat=99999999999999999999", NULL, NULL, 0,
				 &r),
			 0);
	expect_error(&r, 400, "bad_request");
	assert_non_null(strstr(r.body, "min_sat"));
	resp_free(&r);
	assert_int_equal(http_do(tl_app_port(app), "GET", "/v1/heists/x/trace?max_hops=5%00junk", NULL, NULL, 0, &r), 0);
	expect_error(&r, 400, "bad_query");
	assert_non_null(strstr(r.body, "max_hops"));
	resp_free(&r);
	const char *bigj = "{\"seeds\":[],\"max_hops\":4294967296}";
	assert_int_equal(http_do(tl_app_port(app), "POST", "/v1/trace", NULL, bigj, strlen(bigj), &r), 0);
	expect_error(&r, 400, "bad_request");
	assert_non_null(strstr(r.body, "max_hops"));
	resp_free(&r);
	tl_app_close(app);
	free(b);
	tu_rmrf(dir);
	free(dir);
}

/* GET path on port; returns the body (malloc'd) of a 200, or NULL. */
static char *get_body(uint16_t port, const char *path, int *status)
{
	struct resp r;
	if (http_do(port, "GET", path, NULL, NULL, 0, &r) < 0) {
		*status = -1;
		return NULL;
	}
	*status = r.status;
	if (r.status == 200) return r.body;
	resp_free(&r);
	return NULL;
}

/* The server's secondary follows a writer that opens and closes the
 * database several times between two of its catch-ups: two separate
 * `taintline index` runs with new blocks in between, then `taintline
 * heist import`. The new tip and heist must show within a few poll
 * intervals. */
static void test_catch_up_after_reopens(void **state)
{
	(void)state;
	char *dir = tu_tmpdir("api_catch_up");
	sim_and_index(dir, 110);
	char db[4200], blocks[4200], heists[4200], cmd[16384];
	snprintf(db, sizeof db, "%s/db", dir);
	snprintf(blocks, sizeof blocks, "%s/sim/blocks", dir);
	snprintf(heists, sizeof heists, "%s/sim/heists.json", dir);
	/* The test drives the catch-ups (tl_app_follow_once is the
	 * follower's step), so the writes surely fall between two. */
	struct tl_app *app = open_app(db, 3600000, 0);
	struct tl_err err;
	uint16_t port = tl_app_port(app);
	int st;
	char *t = get_body(port, "/api/blocks/tip/height", &st);
	assert_non_null(t);
	assert_int_equal(atoi(t), 110);
	free(t);
	t = get_body(port, "/v1/heists/sim-heist-1", &st);
	assert_null(t);
	assert_int_equal(st, 404);

	/* Three index runs, each adding blocks, then an import: each a
	 * separate process opening and closing the database for writing. */
	static const char *untils[] = { "118", "126", NULL };
	for (int i = 0; i < 3; i++) {
		snprintf(cmd, sizeof cmd, "'%s' index --blocks-dir '%s' --db '%s' --network regtest -q%s%s", TL_BINARY,
			 blocks, db, untils[i] ? " --until " : "", untils[i] ? untils[i] : "");
		assert_int_equal(tu_run(cmd, NULL), 0);
	}
	snprintf(cmd, sizeof cmd, "'%s' heist import --db '%s' '%s'", TL_BINARY, db, heists);
	assert_int_equal(tu_run(cmd, NULL), 0);
	/* Within two poll intervals (two follower steps). */
	int seen = -1, heist = 0;
	for (int i = 0; i < 2 && (seen < 140 || !heist); i++) {
		if (tl_app_follow_once(app, &err) < 0) fail_msg("catch-up: %s", err.msg);
		t = get_body(port, "/api/blocks/tip/height", &st);
		if (t) seen = atoi(t);
		free(t);
		t = get_body(port, "/v1/heists/sim-heist-1", &st);
		heist = t != NULL;
		free(t);
	}
	if (seen < 140) fail_msg("after two catch-ups the server still shows tip %d; the database has 140", seen);
	if (!heist) fail_msg("after two catch-ups the imported heist does not show");
	tl_app_close(app);
	tu_rmrf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_router),
		cmocka_unit_test(test_keyring),
		cmocka_unit_test(test_server_routes_and_errors),
		cmocka_unit_test(test_slow_client),
		cmocka_unit_test(test_graceful_shutdown),
		cmocka_unit_test(test_signal_stop),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_keys_command),
		cmocka_unit_test(test_trace_time_limit),
		cmocka_unit_test(test_catch_up_after_reopens),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
