/* The web app's server side, without a browser: the page and deep links,
 * the embedded assets (byte for byte the files of web/, with ETag and
 * 304), /ui/config and /v1/whoami, and the cases API against a model: a
 * seeded random sequence of creates, opens, updates, renames and deletes
 * whose answers, list and audit log must match what a plain in-memory
 * model of the cases says (the seed is printed on failure; TL_SEED
 * replays one). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "api/auth.h"
#include "api/serve.h"
#include "api/web_assets.h"
#include "tests/chainfix.h"
#include "tests/httpc.h"
#include "tests/testutil.h"

static struct {
	char *dir;
	char keys[4096], db[4096]; /* the app keeps pointers to them */
	char key_screen[TL_API_KEY_LEN + 1], key_inv[TL_API_KEY_LEN + 1];
	struct tl_app *app;
	uint16_t port;
} F;

static void add_key(FILE *f, char *key, enum tl_api_role role, const char *name)
{
	struct tl_err err;
	char line[256];
	assert_int_equal(tl_key_generate(key, &err), 0);
	/* cleared for RED: the model makes cases at every level, and a key
	 * does not see cases above its clearance */
	struct tl_clearance red = { .level = TL_TLP_RED, .audience = "analysts" };
	assert_int_equal(tl_keyline_format_tlp(key, role, 0, &red, name, line, sizeof line, &err), 0);
	fputs(line, f);
}

static int setup(void **state)
{
	(void)state;
	F.dir = tu_tmpdir("web_routes");
	char sim[4096], blocks[4096];
	char *db = F.db;
	snprintf(sim, sizeof sim, "%s/sim", F.dir);
	snprintf(blocks, sizeof blocks, "%s/sim/blocks", F.dir);
	snprintf(F.db, sizeof F.db, "%s/db", F.dir);
	snprintf(F.keys, sizeof F.keys, "%s/keys.txt", F.dir);
	cf_sim(sim, 7, 130, 6, 0, true);
	struct tl_index_opts io = cf_index_opts(blocks, db);
	cf_index_run(&io, NULL);
	FILE *kf = fopen(F.keys, "w");
	assert_non_null(kf);
	add_key(kf, F.key_screen, TL_ROLE_SCREEN, "desk");
	add_key(kf, F.key_inv, TL_ROLE_INVESTIGATE, "analyst B");
	fclose(kf);
	struct tl_err err;
	struct tl_serve_opts o;
	tl_serve_opts_default(&o);
	o.db_path = db;
	o.listen = "127.0.0.1:0";
	o.keys_file = F.keys;
	o.log = NULL;
	if (tl_app_open(&o, &F.app, &err) < 0) fail_msg("open: %s", err.msg);
	if (tl_app_start(F.app, &err) < 0) fail_msg("start: %s", err.msg);
	F.port = tl_app_port(F.app);
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

static int req(const char *method, const char *path, const char *key, const char *body, struct resp *r)
{
	if (http_do(F.port, method, path, key, body, body ? strlen(body) : 0, r) < 0)
		fail_msg("%s %s: no answer", method, path);
	return r->status;
}

/* Reads the web/ file an asset was built from. */
static uint8_t *source_of(const char *name, size_t *len)
{
	char p[4096];
	if (!strcmp(name, "cytoscape.mjs"))
		snprintf(p, sizeof p, "%s/web/node_modules/cytoscape/dist/cytoscape.esm.min.mjs", TL_SOURCE_DIR);
	else if (!strcmp(name, "d3-hierarchy.js"))
		snprintf(p, sizeof p, "%s/web/node_modules/d3-hierarchy/dist/d3-hierarchy.min.js", TL_SOURCE_DIR);
	else
		snprintf(p, sizeof p, "%s/web/src/%s", TL_SOURCE_DIR, name);
	return tu_read_file(p, len);
}

static void test_pages_and_assets(void **state)
{
	(void)state;
	struct resp r;
	/* every file of web/src/ is built in */
	char d[4096];
	snprintf(d, sizeof d, "%s/web/src", TL_SOURCE_DIR);
	DIR *dir = opendir(d);
	assert_non_null(dir);
	struct dirent *e;
	size_t nsrc = 0;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.') continue;
		nsrc++;
		int found = 0;
		for (size_t i = 0; i < tl_web_assets_count; i++) found |= !strcmp(tl_web_assets[i].name, e->d_name);
		if (!found) fail_msg("web/src/%s is not built into the binary", e->d_name);
	}
	closedir(dir);
	assert_true(tl_web_assets_count >= nsrc);

	/* each asset is served byte for byte, with its type and ETag */
	for (size_t i = 0; i < tl_web_assets_count; i++) {
		const struct tl_web_asset *a = &tl_web_assets[i];
		char path[512];
		snprintf(path, sizeof path, "/ui/assets/%s", a->name);
		assert_int_equal(req("GET", path, NULL, NULL, &r), 200);
		size_t len;
		uint8_t *want = source_of(a->name, &len);
		if (r.blen != len || memcmp(r.body, want, len)) fail_msg("%s differs from its source file", path);
		free(want);
		const char *ct = hdr(&r, "Content-Type");
		assert_non_null(ct);
		if (strstr(a->name, ".js") || strstr(a->name, ".mjs")) assert_non_null(strstr(ct, "javascript"));
		if (strstr(a->name, ".css")) assert_non_null(strstr(ct, "text/css"));
		char etag[64];
		snprintf(etag, sizeof etag, "%s", hdr(&r, "ETag") ? hdr(&r, "ETag") : "");
		assert_string_equal(etag, a->etag);
		resp_free(&r);
		/* revalidation: 304, no body */
		int fd = connect_port(F.port);
		assert_true(fd >= 0);
		char rq[1024];
		int n = snprintf(rq, sizeof rq, "GET %s HTTP/1.1\r\nHost: x\r\nIf-None-Match: %s\r\nConnection: close\r\n\r\n",
				 path, etag);
		assert_int_equal(send_all(fd, rq, (size_t)n), 0);
		assert_int_equal(read_response(fd, &r), 0);
		close(fd);
		assert_int_equal(r.status, 304);
		assert_int_equal(r.blen, 0);
		resp_free(&r);
	}
	assert_int_equal(req("GET", "/ui/assets/nope.js", NULL, NULL, &r), 404);
	expect_error(&r, 404, "not_found");
	resp_free(&r);

	/* the page at / and at every deep link, without a key, with its CSP */
	const char *pages[] = { "/", "/ui", "/ui/address/bcrt1qxyz", "/ui/tx/00ff", "/ui/block/1", "/ui/heist/sim-heist-1",
				"/ui/case", "/ui/case/7", "/ui/cluster/3", "/ui/search/abc",
				"/ui/eth/address/0x00000000219ab540356cbb839cbe05303d7705fa", "/ui/eth/tx/0x00ff" };
	size_t ilen;
	uint8_t *index = source_of("index.html", &ilen);
	for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
		assert_int_equal(req("GET", pages[i], NULL, NULL, &r), 200);
		if (r.blen != ilen || memcmp(r.body, index, ilen)) fail_msg("%s does not answer the app's page", pages[i]);
		const char *csp = hdr(&r, "Content-Security-Policy");
		if (!csp || !strstr(csp, "default-src 'self'") || !strstr(csp, "connect-src 'self'"))
			fail_msg("%s: Content-Security-Policy %s", pages[i], csp ? csp : "(none)");
		resp_free(&r);
	}
	free(index);
	assert_int_equal(req("GET", "/ui/nope/x", NULL, NULL, &r), 404);
	resp_free(&r);
}

static void test_config_and_whoami(void **state)
{
	(void)state;
	struct resp r;
	assert_int_equal(req("GET", "/ui/config", NULL, NULL, &r), 200);
	json_t *j = resp_json(&r);
	assert_true(json_is_true(json_object_get(j, "keys")));
	assert_string_equal(json_string_value(json_object_get(j, "network")), "regtest");
	json_decref(j);
	resp_free(&r);
	assert_int_equal(req("GET", "/v1/whoami", NULL, NULL, &r), 401);
	resp_free(&r);
	assert_int_equal(req("GET", "/v1/whoami", F.key_screen, NULL, &r), 200);
	j = resp_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "role")), "screen");
	assert_string_equal(json_string_value(json_object_get(j, "name")), "desk");
	json_decref(j);
	resp_free(&r);
	/* a screen key may not see cases */
	assert_int_equal(req("GET", "/v1/cases", F.key_screen, NULL, &r), 403);
	resp_free(&r);
	assert_int_equal(req("POST", "/v1/cases", F.key_screen, "{\"name\":\"x\"}", &r), 403);
	resp_free(&r);
}

static void test_case_errors(void **state)
{
	(void)state;
	struct resp r;
	static const struct {
		const char *method, *path, *body, *code;
		int status;
	} bad[] = {
		{ "POST", "/v1/cases", "{}", "bad_request", 400 },
		{ "POST", "/v1/cases", "{\"name\":\"\"}", "bad_request", 400 },
		{ "POST", "/v1/cases", "{\"name\":\"a\",\"tlp\":\"white\"}", "bad_request", 400 },
		{ "POST", "/v1/cases", "{\"name\":\"a\",\"graph\":[1]}", "bad_request", 400 },
		{ "POST", "/v1/cases", "{\"name\":\"a\",\"notes\":5}", "bad_request", 400 },
		{ "POST", "/v1/cases", "[\"name\"]", "bad_request", 400 },
		{ "POST", "/v1/cases", "{\"name\":", "bad_json", 400 },
		{ "GET", "/v1/cases/0", NULL, "bad_case", 400 },
		{ "GET", "/v1/cases/abc", NULL, "bad_case", 400 },
		{ "GET", "/v1/cases/99999999999999999999999", NULL, "bad_case", 400 },
		{ "GET", "/v1/cases/4242", NULL, "not_found", 404 },
		{ "PUT", "/v1/cases/4242", "{\"name\":\"x\"}", "not_found", 404 },
		{ "DELETE", "/v1/cases/4242", NULL, "not_found", 404 },
		{ "GET", "/v1/audit?case=x", NULL, "bad_case", 400 },
		{ "GET", "/v1/audit?limit=0", NULL, "bad_request", 400 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		req(bad[i].method, bad[i].path, F.key_inv, bad[i].body, &r);
		if (r.status != bad[i].status)
			fail_msg("%s %s %s: %d, want %d: %s", bad[i].method, bad[i].path, bad[i].body ? bad[i].body : "",
				 r.status, bad[i].status, r.body ? r.body : "");
		expect_error(&r, bad[i].status, bad[i].code);
		resp_free(&r);
	}
}

/* ---- the cases API against a model ---- */

#define MAXC 64
struct mcase {
	int live;
	long id;
	char name[64], tlp[16], notes[64];
	int gen; /* the graph is {"gen": gen} */
};

static uint64_t rng;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static const char *const TLPS[] = { "clear", "green", "amber", "amber+strict", "red" };

static void check_case(const json_t *j, const struct mcase *m)
{
	assert_int_equal(json_integer_value(json_object_get(j, "id")), m->id);
	assert_string_equal(json_string_value(json_object_get(j, "name")), m->name);
	assert_string_equal(json_string_value(json_object_get(j, "tlp")), m->tlp);
	assert_string_equal(json_string_value(json_object_get(j, "author")), "analyst B");
	json_t *g = json_object_get(j, "graph");
	if (g) assert_int_equal(json_integer_value(json_object_get(g, "gen")), m->gen);
	json_t *n = json_object_get(j, "notes");
	if (n) assert_string_equal(json_string_value(n), m->notes);
}

static void test_cases_model(void **state)
{
	(void)state;
	const char *env = getenv("TL_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL);
	rng = seed * 2654435761u + 1;
	printf("cases model: seed %llu (TL_SEED=%llu replays it)\n", (unsigned long long)seed, (unsigned long long)seed);
	struct mcase m[MAXC];
	memset(m, 0, sizeof m);
	int n = 0;
	/* the actions the audit log must hold, oldest first */
	char (*actions)[48] = calloc(512, sizeof *actions);
	int nact = 0;
	/* the cases API keeps its own ids: read the first from a create */
	struct resp r;
	char body[512], path[64];
	for (int step = 0; step < 60; step++) {
		int live = 0;
		for (int i = 0; i < n; i++) live += m[i].live;
		int op = live == 0 ? 0 : (int)(rnd() % 5);
		int k = -1;
		if (op) {
			int pick = (int)(rnd() % (uint32_t)live);
			for (int i = 0; i < n; i++)
				if (m[i].live && pick-- == 0) k = i;
		}
		if (op == 0 && n < MAXC) { /* create */
			struct mcase *c = &m[n];
			c->live = 1;
			snprintf(c->name, sizeof c->name, "case %d \"q\"", step);
			snprintf(c->tlp, sizeof c->tlp, "%s", TLPS[rnd() % 5]);
			snprintf(c->notes, sizeof c->notes, "note %u", rnd() % 1000);
			c->gen = step;
			snprintf(body, sizeof body, "{\"name\":\"case %d \\\"q\\\"\",\"tlp\":\"%s\",\"notes\":\"%s\",\"graph\":{\"gen\":%d}}",
				 step, c->tlp, c->notes, c->gen);
			if (req("POST", "/v1/cases", F.key_inv, body, &r) != 201) fail_msg("seed %llu step %d: create %d %s", (unsigned long long)seed, step, r.status, r.body);
			json_t *j = resp_json(&r);
			c->id = (long)json_integer_value(json_object_get(j, "id"));
			for (int i = 0; i < n; i++) if (m[i].id >= c->id) fail_msg("seed %llu: case id %ld reused or not increasing", (unsigned long long)seed, c->id);
			check_case(j, c);
			json_decref(j);
			n++;
			snprintf(actions[nact++], 48, "%ld create", c->id);
		} else if (op == 1) { /* open */
			snprintf(path, sizeof path, "/v1/cases/%ld", m[k].id);
			if (req("GET", path, F.key_inv, NULL, &r) != 200) fail_msg("seed %llu step %d: open %d", (unsigned long long)seed, step, r.status);
			json_t *j = resp_json(&r);
			check_case(j, &m[k]);
			json_decref(j);
			snprintf(actions[nact++], 48, "%ld open", m[k].id);
		} else if (op == 2) { /* rename */
			snprintf(m[k].name, sizeof m[k].name, "renamed %d", step);
			snprintf(body, sizeof body, "{\"name\":\"%s\"}", m[k].name);
			snprintf(path, sizeof path, "/v1/cases/%ld", m[k].id);
			if (req("PUT", path, F.key_inv, body, &r) != 200) fail_msg("seed %llu step %d: rename %d", (unsigned long long)seed, step, r.status);
			json_t *j = resp_json(&r);
			check_case(j, &m[k]);
			json_decref(j);
			snprintf(actions[nact++], 48, "%ld rename", m[k].id);
		} else if (op == 3) { /* update tlp and graph */
			snprintf(m[k].tlp, sizeof m[k].tlp, "%s", TLPS[rnd() % 5]);
			m[k].gen = 1000 + step;
			snprintf(body, sizeof body, "{\"tlp\":\"%s\",\"graph\":{\"gen\":%d}}", m[k].tlp, m[k].gen);
			snprintf(path, sizeof path, "/v1/cases/%ld", m[k].id);
			if (req("PUT", path, F.key_inv, body, &r) != 200) fail_msg("seed %llu step %d: update %d", (unsigned long long)seed, step, r.status);
			json_t *j = resp_json(&r);
			check_case(j, &m[k]);
			json_decref(j);
			snprintf(actions[nact++], 48, "%ld update", m[k].id);
		} else if (op == 4) { /* delete */
			snprintf(path, sizeof path, "/v1/cases/%ld", m[k].id);
			if (req("DELETE", path, F.key_inv, NULL, &r) != 200) fail_msg("seed %llu step %d: delete %d", (unsigned long long)seed, step, r.status);
			m[k].live = 0;
			snprintf(actions[nact++], 48, "%ld delete", m[k].id);
			resp_free(&r);
			if (req("GET", path, F.key_inv, NULL, &r) != 404) fail_msg("seed %llu: deleted case answers %d", (unsigned long long)seed, r.status);
		} else {
			continue;
		}
		resp_free(&r);
	}
	/* the list: exactly the live cases, in id order, without notes */
	assert_int_equal(req("GET", "/v1/cases", F.key_inv, NULL, &r), 200);
	json_t *lroot = resp_json(&r);
	json_t *list = json_object_get(lroot, "cases");
	size_t li = 0;
	for (int i = 0; i < n; i++) {
		if (!m[i].live) continue;
		json_t *c = json_array_get(list, li++);
		if (!c) fail_msg("seed %llu: case %ld missing from the list", (unsigned long long)seed, m[i].id);
		assert_null(json_object_get(c, "notes"));
		check_case(c, &m[i]);
	}
	assert_int_equal(json_array_size(list), li);
	json_decref(lroot);
	resp_free(&r);
	/* the audit log: every action, newest first, by the key's name */
	assert_int_equal(req("GET", "/v1/audit?limit=10000", F.key_inv, NULL, &r), 200);
	json_t *a = resp_json(&r);
	json_t *ents = json_object_get(a, "entries");
	assert_int_equal(json_array_size(ents), (size_t)nact);
	for (int i = 0; i < nact; i++) {
		json_t *e = json_array_get(ents, (size_t)(nact - 1 - i));
		char got[48];
		snprintf(got, sizeof got, "%lld %s", (long long)json_integer_value(json_object_get(e, "case")),
			 json_string_value(json_object_get(e, "action")));
		if (strcmp(got, actions[i])) fail_msg("seed %llu: audit entry %d is '%s', want '%s'", (unsigned long long)seed, i, got, actions[i]);
		assert_string_equal(json_string_value(json_object_get(e, "by")), "analyst B");
	}
	json_decref(a);
	resp_free(&r);
	free(actions);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pages_and_assets),
		cmocka_unit_test(test_config_and_whoami),
		cmocka_unit_test(test_case_errors),
		cmocka_unit_test(test_cases_model),
	};
	return tu_finish(cmocka_run_group_tests(tests, setup, teardown));
}
