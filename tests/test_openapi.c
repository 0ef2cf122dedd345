/* The OpenAPI contract against the server itself: GET /openapi.json serves
 * api/openapi.json byte for byte; every route the sources register
 * (each .c file of api/: each 'TL_GET, "/..."' and the like) is described with its
 * method; and every described route and method exists on a live server
 * (no router miss, no 405). The schema-level checks (a maintained OpenAPI
 * validator, live answers against the documented schemas) are in
 * test_openapi_validate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/openapi.h"
#include "api/serve.h"
#include "tests/chainfix.h"
#include "tests/httpc.h"
#include "tests/testutil.h"

static struct {
	char *dir;
	struct tl_app *app;
	uint16_t port;
	json_t *doc;
} F;

static int setup(void **state)
{
	(void)state;
	F.dir = tu_tmpdir("openapi");
	char sim[4200], blocks[4200], db[4200];
	snprintf(sim, sizeof sim, "%s/sim", F.dir);
	snprintf(blocks, sizeof blocks, "%s/sim/blocks", F.dir);
	snprintf(db, sizeof db, "%s/db", F.dir);
	cf_sim(sim, 3, 120, 4, 0, true);
	struct tl_index_opts io = cf_index_opts(blocks, db);
	cf_index_run(&io, NULL);
	struct tl_serve_opts o;
	tl_serve_opts_default(&o);
	o.db_path = db;
	o.listen = "127.0.0.1:0";
	o.log = NULL;
	struct tl_err err;
	if (tl_app_open(&o, &F.app, &err) < 0) fail_msg("open: %s", err.msg);
	if (tl_app_start(F.app, &err) < 0) fail_msg("start: %s", err.msg);
	F.port = tl_app_port(F.app);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tl_app_close(F.app);
	json_decref(F.doc);
	tu_rmrf(F.dir);
	free(F.dir);
	return 0;
}

static void test_served_document(void **state)
{
	(void)state;
	struct resp r;
	if (http_do(F.port, "GET", "/openapi.json", NULL, NULL, 0, &r) < 0) fail_msg("no response");
	assert_int_equal(r.status, 200);
	assert_string_equal(hdr(&r, "Content-Type"), "application/json");
	char path[4200];
	snprintf(path, sizeof path, "%s/api/openapi.json", TL_SOURCE_DIR);
	size_t n;
	uint8_t *file = tu_read_file(path, &n);
	assert_int_equal(r.blen, n);
	assert_memory_equal(r.body, file, n);
	free(file);
	size_t len;
	const char *doc = tl_openapi_json(&len);
	assert_int_equal(len, n);
	assert_int_equal(strlen(doc), n);
	json_error_t je;
	F.doc = json_loadb(r.body, r.blen, 0, &je);
	if (!F.doc) fail_msg("openapi.json: %s (line %d)", je.text, je.line);
	assert_string_equal(json_string_value(json_object_get(F.doc, "openapi")), "3.1.0");
	resp_free(&r);
}

/* "/api/tx/:txid" -> "/api/tx/{txid}" */
static void to_template(const char *pattern, char *out, size_t cap)
{
	size_t o = 0;
	for (const char *p = pattern; *p && o + 2 < cap;) {
		if (*p == ':' && (p == pattern || p[-1] == '/')) {
			out[o++] = '{';
			p++;
			while (*p && *p != '/' && o + 2 < cap) out[o++] = *p++;
			out[o++] = '}';
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
}

static int described(const char *method, const char *pattern)
{
	char tmpl[512];
	to_template(pattern, tmpl, sizeof tmpl);
	json_t *item = json_object_get(json_object_get(F.doc, "paths"), tmpl);
	return item && json_object_get(item, method);
}

/* Every 'TL_METHOD, "/path"' literal of the api/ sources. */
static void test_every_registered_route_described(void **state)
{
	(void)state;
	assert_non_null(F.doc);
	static const struct {
		const char *token, *method;
	} methods[] = { { "TL_GET, \"", "get" },       { "TL_POST, \"", "post" },   { "TL_PUT, \"", "put" },
			{ "TL_DELETE, \"", "delete" }, { "TL_PATCH, \"", "patch" } };
	char dir[4200];
	snprintf(dir, sizeof dir, "%s/api", TL_SOURCE_DIR);
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	int routes = 0, missing = 0;
	while ((e = readdir(d))) {
		size_t nl = strlen(e->d_name);
		if (nl < 3 || strcmp(e->d_name + nl - 2, ".c")) continue;
		char path[4500];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		size_t n;
		char *src = (char *)tu_read_file(path, &n);
		src = realloc(src, n + 1);
		src[n] = '\0';
		for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
			for (const char *p = src; (p = strstr(p, methods[m].token)); p++) {
				const char *a = p + strlen(methods[m].token), *b = strchr(a, '"');
				if (!b || *a != '/') continue;
				char pattern[512];
				snprintf(pattern, sizeof pattern, "%.*s", (int)(b - a), a);
				routes++;
				if (!described(methods[m].method, pattern)) {
					printf("not in api/openapi.json: %s %s (%s)\n", methods[m].method, pattern, e->d_name);
					missing++;
				}
			}
		}
		free(src);
	}
	closedir(d);
	/* The built-in routes are registered by the server itself. */
	assert_true(described("get", "/healthz") && described("get", "/metrics") && described("get", "/openapi.json"));
	/* The Esplora table as compiled, too. */
	for (size_t i = 0; tl_esplora_route_pattern(i); i++) {
		const char *pat = tl_esplora_route_pattern(i);
		if (!described("get", pat) && !described("post", pat)) {
			printf("not in api/openapi.json: %s\n", pat);
			missing++;
		}
	}
	printf("%d route registrations in the sources\n", routes);
	assert_true(routes >= 40);
	assert_int_equal(missing, 0);
}

/* A value for a path parameter that reaches the route's handler. */
static const char *sample_param(const char *name)
{
	if (!strcmp(name, "address")) return "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";
	if (!strcmp(name, "hash") || !strcmp(name, "txid") || !strcmp(name, "last_seen_txid"))
		return "0000000000000000000000000000000000000000000000000000000000000000";
	if (!strcmp(name, "id")) return "1";
	return "0";
}

/* Every described path and method answers from a route of its own. */
static void test_every_described_route_exists(void **state)
{
	(void)state;
	assert_non_null(F.doc);
	const char *tmpl;
	json_t *item;
	int checked = 0;
	json_object_foreach(json_object_get(F.doc, "paths"), tmpl, item) {
		char path[1024];
		size_t o = 0;
		for (const char *p = tmpl; *p && o < sizeof path - 80;) {
			if (*p == '{') {
				const char *c = strchr(p, '}');
				assert_non_null(c);
				char name[64];
				snprintf(name, sizeof name, "%.*s", (int)(c - p - 1), p + 1);
				o += (size_t)snprintf(path + o, sizeof path - o, "%s", sample_param(name));
				p = c + 1;
			} else {
				path[o++] = *p++;
			}
		}
		path[o] = '\0';
		const char *method;
		json_t *opv;
		json_object_foreach(item, method, opv) {
			char m[8];
			size_t k = 0;
			for (; method[k] && k < 7; k++) m[k] = (char)(method[k] - 32);
			m[k] = '\0';
			struct resp r;
			const char *body = !strcmp(m, "POST") ? "{}" : NULL;
			if (http_do(F.port, m, path, NULL, body, body ? 2 : 0, &r) < 0) fail_msg("%s %s: no response", m, path);
			if (r.status == 405 || (r.status == 404 && r.body && strstr(r.body, "no route for")))
				fail_msg("%s %s (documented as %s): %d %s", m, path, tmpl, r.status, r.body);
			/* The documented statuses include this answer's. */
			char st[8];
			snprintf(st, sizeof st, "%d", r.status);
			if (!json_object_get(json_object_get(opv, "responses"), st))
				fail_msg("%s %s answered %d, which %s does not document", m, path, r.status, tmpl);
			resp_free(&r);
			checked++;
		}
	}
	printf("%d documented operations answered\n", checked);
	assert_true(checked >= 40);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_served_document),
		cmocka_unit_test(test_every_registered_route_described),
		cmocka_unit_test(test_every_described_route_exists),
	};
	return tu_finish(cmocka_run_group_tests(tests, setup, teardown));
}
