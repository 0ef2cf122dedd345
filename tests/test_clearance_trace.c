/* Traces, screening and tag lists under a TLP clearance: a tag above the
 * caller's clearance is left out as if it had never been imported.
 *
 * The demo chain's heist is traced on two databases of the same chain:
 * "full", where the tags of one exchange that the stolen funds reach come
 * from a partner's source marked AMBER (and every other tag is CLEAR),
 * and "truth", where that exchange's tags were never imported. The
 * independent truth for a GREEN caller is the truth database: its trace
 * (CLI and HTTP), its screening verdicts and its tag lists must equal the
 * GREEN caller's on the full database byte for byte (apart from
 * provenance.generated_at, the time the trace was made). An AMBER caller
 * sees the full database as the operator does. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "api/auth.h"
#include "api/serve.h"
#include "store/tlp.h"
#include "tests/chainfix.h"
#include "tests/httpc.h"
#include "tests/testutil.h"

#define K_GREEN "tlk_clr_green"
#define K_AMBER "tlk_clr_amber"
#define AMBER_SOURCE "partner-amber-feed"

static char *root;
static char sim[4200], full[4200], truth[4200], keys[4200];
static char heist[128], amber_label[256], amber_addr[128];

static void run_ok(const char *cmd)
{
	char *out = NULL;
	if (tu_run(cmd, &out)) fail_msg("%s: %s", cmd, out ? out : "");
	free(out);
}

/* Runs a command and parses its standard output as JSON. */
static json_t *run_json(const char *cmd)
{
	char *out = NULL;
	if (tu_run(cmd, &out)) fail_msg("%s: %s", cmd, out ? out : "");
	json_error_t je;
	json_t *j = json_loads(out, 0, &je);
	if (!j) fail_msg("%s: not JSON (%s): %.300s", cmd, je.text, out);
	free(out);
	return j;
}

/* The trace without the time it was made, as text in its own order. */
static char *trace_text(json_t *t)
{
	json_object_del(json_object_get(t, "provenance"), "generated_at");
	char *s = json_dumps(t, JSON_PRESERVE_ORDER | JSON_COMPACT);
	assert_non_null(s);
	return s;
}

static void expect_same(const char *what, char *a, char *b)
{
	if (strcmp(a, b)) {
		size_t i = 0;
		while (a[i] && a[i] == b[i]) i++;
		fail_msg("%s differ at byte %zu: ...%.120s... vs ...%.120s...", what, i, a + (i > 40 ? i - 40 : 0),
		         b + (i > 40 ? i - 40 : 0));
	}
	free(a);
	free(b);
}

static int setup(void **state)
{
	(void)state;
	root = tu_tmpdir("clr_trace");
	snprintf(sim, sizeof sim, "%s/sim", root);
	char cmd[16384];
	snprintf(cmd, sizeof cmd, "mkdir -p '%s'", sim);
	assert_int_equal(system(cmd), 0);
	cf_sim(sim, 7, 200, 20, 1, true); /* the sharing tests' chain */
	char blocks[4300];
	snprintf(blocks, sizeof blocks, "%s/blocks", sim);
	snprintf(full, sizeof full, "%s/full", root);
	snprintf(truth, sizeof truth, "%s/truth", root);
	struct tl_index_opts io = cf_index_opts(blocks, full);
	cf_index_run(&io, NULL);
	io = cf_index_opts(blocks, truth);
	cf_index_run(&io, NULL);

	/* the heist, and an exchange its trace reaches, from a trace with
	 * every tag of the simulator on a scratch copy */
	json_error_t je;
	snprintf(cmd, sizeof cmd, "%s/heists.json", sim);
	json_t *reg = json_load_file(cmd, 0, &je);
	assert_non_null(reg);
	snprintf(heist, sizeof heist, "%s",
	         json_string_value(json_object_get(json_array_get(json_object_get(reg, "heists"), 0), "id")));
	json_decref(reg);
	snprintf(cmd, sizeof cmd, "'%s' trace --db '%s' --heists '%s/heists.json' --heist '%s' --tags '%s/tags.csv'",
	         TL_BINARY, full, sim, heist, sim);
	json_t *t = run_json(cmd);
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(t, "endpoints"), i, e) {
		const json_t *tag = json_object_get(e, "tag");
		if (!strcmp(json_string_value(json_object_get(tag, "category")), "exchange") &&
		    json_is_string(json_object_get(e, "address"))) {
			snprintf(amber_label, sizeof amber_label, "%s", json_string_value(json_object_get(tag, "label")));
			snprintf(amber_addr, sizeof amber_addr, "%s", json_string_value(json_object_get(e, "address")));
			break;
		}
	}
	json_decref(t);
	if (!amber_label[0]) fail_msg("the demo heist reaches no exchange");

	/* its tags go to a partner's AMBER source; the rest stay CLEAR */
	char src[4300], clear_csv[4300], amber_csv[4300], line[4096];
	snprintf(src, sizeof src, "%s/tags.csv", sim);
	snprintf(clear_csv, sizeof clear_csv, "%s/clear.csv", root);
	snprintf(amber_csv, sizeof amber_csv, "%s/amber.csv", root);
	FILE *in = fopen(src, "r"), *fc = fopen(clear_csv, "w"), *fa = fopen(amber_csv, "w");
	assert_true(in && fc && fa);
	int n_amber = 0;
	for (int ln = 0; fgets(line, sizeof line, in); ln++) {
		if (ln == 0) {
			fputs(line, fc);
			fputs(line, fa);
			continue;
		}
		char lab[300];
		snprintf(lab, sizeof lab, ",%s,exchange,", amber_label);
		if (strstr(line, lab)) {
			char *s = strstr(line, ",taintline-simulator,");
			assert_non_null(s);
			fprintf(fa, "%.*s," AMBER_SOURCE ",%s", (int)(s - line), line, s + strlen(",taintline-simulator,"));
			n_amber++;
		} else {
			fputs(line, fc);
		}
	}
	fclose(in);
	fclose(fc);
	fclose(fa);
	assert_true(n_amber > 0);
	const char *dbs[2] = { full, truth };
	for (int k = 0; k < 2; k++) {
		snprintf(cmd, sizeof cmd, "'%s' tags import --db '%s' '%s' >/dev/null 2>&1", TL_BINARY, dbs[k], clear_csv);
		run_ok(cmd);
		snprintf(cmd, sizeof cmd, "'%s' heist import --db '%s' '%s/heists.json' >/dev/null 2>&1", TL_BINARY, dbs[k],
		         sim);
		run_ok(cmd);
	}
	snprintf(cmd, sizeof cmd, "'%s' tags import --db '%s' '%s' --tlp amber >/dev/null 2>&1", TL_BINARY, full,
	         amber_csv);
	run_ok(cmd);

	/* keys: a GREEN and an AMBER investigator */
	snprintf(keys, sizeof keys, "%s/keys", root);
	struct tl_err err;
	char kl[512], all[2048] = "";
	struct tl_clearance g = { .level = TL_TLP_GREEN }, a = { .level = TL_TLP_AMBER };
	assert_int_equal(tl_keyline_format_tlp(K_GREEN, TL_ROLE_INVESTIGATE, 0, &g, "green", kl, sizeof kl, &err), 0);
	strcat(all, kl);
	assert_int_equal(tl_keyline_format_tlp(K_AMBER, TL_ROLE_INVESTIGATE, 0, &a, "amber", kl, sizeof kl, &err), 0);
	strcat(all, kl);
	FILE *f = fopen(keys, "w");
	assert_non_null(f);
	fputs(all, f);
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmrf(root);
	free(root);
	return 0;
}

static json_t *cli_trace_args(const char *db, const char *clearance, const char *more)
{
	char cmd[16384];
	snprintf(cmd, sizeof cmd, "'%s' trace --db '%s' --heist '%s'%s%s %s", TL_BINARY, db, heist,
	         clearance ? " --clearance " : "", clearance ? clearance : "", more);
	return run_json(cmd);
}

static json_t *cli_trace(const char *db, const char *clearance) { return cli_trace_args(db, clearance, ""); }

/* Whether a trace names the AMBER exchange anywhere. */
static int names_amber(const json_t *t)
{
	char *s = json_dumps(t, JSON_COMPACT);
	int r = strstr(s, amber_label) != NULL;
	free(s);
	return r;
}

static void cli_green_equals_never_imported(void **state)
{
	(void)state;
	json_t *g = cli_trace(full, "green"), *tg = cli_trace(truth, "green");
	json_t *a = cli_trace(full, "amber"), *op = cli_trace(full, NULL);
	/* the tag matters: the operator's trace stops at the exchange */
	assert_true(names_amber(op));
	assert_true(names_amber(a));
	assert_false(names_amber(g));
	assert_string_equal(json_string_value(json_object_get(json_object_get(g, "params"), "clearance")), "green");
	expect_same("GREEN trace and never-imported trace", trace_text(g), trace_text(tg));
	/* AMBER sees what the operator sees (its params name its clearance) */
	json_object_del(json_object_get(a, "params"), "clearance");
	expect_same("AMBER trace and operator's trace", trace_text(a), trace_text(op));
	json_decref(g);
	json_decref(tg);
	json_decref(a);
	json_decref(op);
	/* the HTML report tells its reader whose view it is */
	char cmd[8192], *out = NULL;
	snprintf(cmd, sizeof cmd, "'%s' trace --db '%s' --heist '%s' --clearance green --format html", TL_BINARY, full,
	         heist);
	if (tu_run(cmd, &out)) fail_msg("%s: %s", cmd, out);
	assert_non_null(strstr(out, "computed for TLP clearance green"));
	assert_null(strstr(out, amber_label));
	free(out);
	/* a clearance the command does not know is a usage error */
	snprintf(cmd, sizeof cmd, "'%s' trace --db '%s' --heist '%s' --clearance purple 2>&1", TL_BINARY, full, heist);
	assert_int_equal(tu_run(cmd, &out), 2);
	free(out);
}

/* ---- over HTTP ---- */

static uint16_t free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof sa;
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static struct tl_app *start(const char *db, uint16_t port)
{
	struct tl_serve_opts o;
	tl_serve_opts_default(&o);
	char listen[64];
	snprintf(listen, sizeof listen, "127.0.0.1:%u", port);
	o.db_path = db;
	o.listen = listen;
	o.keys_file = keys;
	o.log = getenv("TL_TEST_LOG") ? stderr : NULL;
	/* the sanitizer build on a busy machine: the answers, not the speed */
	o.handler_time_ms = 300000;
	o.trace_time_ms = 300000;
	struct tl_app *app = NULL;
	struct tl_err err;
	if (tl_app_open(&o, &app, &err)) fail_msg("open %s: %s", db, err.msg);
	if (tl_app_start(app, &err)) fail_msg("start %s: %s", db, err.msg);
	return app;
}

static json_t *get(uint16_t port, const char *key, const char *path)
{
	struct resp r;
	assert_int_equal(http_do(port, "GET", path, key, NULL, 0, &r), 0);
	if (r.status != 200) fail_msg("GET %s: %d: %.300s", path, r.status, r.body ? r.body : "");
	json_t *j = resp_json(&r);
	resp_free(&r);
	assert_non_null(j);
	return j;
}

static char *text_of(json_t *j)
{
	char *s = json_dumps(j, JSON_PRESERVE_ORDER | JSON_COMPACT);
	json_decref(j);
	return s;
}

static void http_green_equals_never_imported(void **state)
{
	(void)state;
	uint16_t pf = free_port(), pt = free_port();
	struct tl_app *af = start(full, pf), *at = start(truth, pt);
	char path[1024];

	/* traces */
	snprintf(path, sizeof path, "/v1/heists/%s/trace", heist);
	json_t *g = get(pf, K_GREEN, path), *tg = get(pt, K_GREEN, path), *a = get(pf, K_AMBER, path);
	assert_false(names_amber(g));
	assert_true(names_amber(a));
	/* the server's default cap on trace size, named in params */
	char cap[64];
	snprintf(cap, sizeof cap, "--max-tx %lld",
	         (long long)json_integer_value(json_object_get(json_object_get(a, "params"), "max_tx")));
	json_t *cli = cli_trace_args(full, "amber", cap);
	expect_same("AMBER key's trace and the CLI's AMBER trace", trace_text(a), trace_text(cli));
	expect_same("GREEN key's trace and never-imported trace", trace_text(g), trace_text(tg));
	json_decref(g);
	json_decref(tg);
	json_decref(a);
	json_decref(cli);
	snprintf(path, sizeof path, "/v1/trace");
	char body[512];
	snprintf(body, sizeof body, "{\"heist\":\"%s\",\"policy\":\"fifo\"}", heist);
	struct resp r1, r2;
	assert_int_equal(http_do(pf, "POST", path, K_GREEN, body, strlen(body), &r1), 0);
	assert_int_equal(http_do(pt, "POST", path, K_GREEN, body, strlen(body), &r2), 0);
	assert_int_equal(r1.status, 200);
	assert_int_equal(r2.status, 200);
	json_t *p1 = resp_json(&r1), *p2 = resp_json(&r2);
	expect_same("GREEN key's POST /v1/trace and never-imported", trace_text(p1), trace_text(p2));
	json_decref(p1);
	json_decref(p2);
	resp_free(&r1);
	resp_free(&r2);

	/* screening of the exchange's address, and its tag list */
	const char *routes[] = { "/v1/screen?address=%s", "/v1/addresses/%s/tags" };
	for (int k = 0; k < 2; k++) {
		snprintf(path, sizeof path, routes[k], amber_addr);
		json_t *ga = get(pf, K_GREEN, path), *ta = get(pt, K_GREEN, path), *aa = get(pf, K_AMBER, path);
		if (names_amber(ga)) fail_msg("%s names an AMBER tag for a GREEN key: %s", path, text_of(ga));
		assert_true(names_amber(aa));
		expect_same(path, text_of(ga), text_of(ta));
		json_decref(aa);
	}
	/* the address's cluster as GREEN sees it */
	snprintf(path, sizeof path, "/v1/addresses/%s/tags", amber_addr);
	json_t *tj = get(pf, K_AMBER, path);
	json_int_t cid = json_integer_value(json_object_get(json_object_get(tj, "cluster"), "id"));
	json_decref(tj);
	assert_true(cid > 0);
	snprintf(path, sizeof path, "/v1/clusters/%lld", (long long)cid);
	expect_same(path, text_of(get(pf, K_GREEN, path)), text_of(get(pt, K_GREEN, path)));
	json_t *ca = get(pf, K_AMBER, path);
	assert_true(names_amber(ca));
	json_decref(ca);

	/* exports: a GREEN caller's, and any export marked GREEN, carry no AMBER tag */
	snprintf(path, sizeof path, "/v1/export?heist=%s&format=stix&tlp=green", heist);
	json_t *xg = get(pf, K_GREEN, path), *xa = get(pf, K_AMBER, path);
	assert_false(names_amber(xg));
	assert_false(names_amber(xa));
	json_decref(xg);
	json_decref(xa);
	snprintf(path, sizeof path, "/v1/export?heist=%s&format=misp&tlp=amber", heist);
	json_t *ma = get(pf, K_AMBER, path), *mg = get(pf, K_GREEN, path);
	assert_true(names_amber(ma));
	assert_false(names_amber(mg));
	json_decref(ma);
	json_decref(mg);

	tl_app_close(af);
	tl_app_close(at);
}

static int status_of(uint16_t port, const char *method, const char *key, const char *path, const char *body,
                     char *code, size_t cap)
{
	struct resp r;
	assert_int_equal(http_do(port, method, path, key, body, body ? strlen(body) : 0, &r), 0);
	int st = r.status;
	json_t *j = resp_json(&r);
	snprintf(code, cap, "%s", json_string_value(json_object_get(j, "error")) ?: "");
	json_decref(j);
	resp_free(&r);
	return st;
}

/* Cases under clearance, and their export (HTTP and CLI, signed and
 * verified against the database). */
static void case_export_under_clearance(void **state)
{
	(void)state;
	json_t *t = cli_trace(full, NULL);
	const char *txid = NULL;
	size_t i;
	json_t *n;
	json_array_foreach(json_object_get(json_object_get(t, "graph"), "nodes"), i, n)
		if (!strcmp(json_string_value(json_object_get(n, "kind")), "tx")) {
			txid = json_string_value(json_object_get(n, "id"));
			break;
		}
	assert_non_null(txid);
	const char *notes = "Deposits at the exchange; freeze requested.";
	char body[4096], path[512], code[64];
	snprintf(body, sizeof body,
	         "{\"name\":\"Exchange deposits\",\"tlp\":\"amber\",\"notes\":\"%s\",\"graph\":{\"snapshot\":{"
	         "\"nodes\":[{\"data\":{\"id\":\"t:%s\",\"kind\":\"tx\",\"ref\":\"%s\"}},"
	         "{\"data\":{\"id\":\"a:%s\",\"kind\":\"address\",\"ref\":\"%s\"}}],"
	         "\"edges\":[{\"data\":{\"source\":\"t:%s\",\"target\":\"a:%s\",\"amount\":1234567}}]}}}",
	         notes, txid, txid, amber_addr, amber_addr, txid, amber_addr);
	uint16_t port = free_port();
	struct tl_app *app = start(full, port);
	struct resp r;
	assert_int_equal(http_do(port, "POST", "/v1/cases", K_AMBER, body, strlen(body), &r), 0);
	assert_int_equal(r.status, 201);
	json_t *cj = resp_json(&r);
	resp_free(&r);
	json_int_t id = json_integer_value(json_object_get(cj, "id"));
	json_decref(cj);
	assert_true(id > 0);
	/* GREEN: the case is not there, as an id never used is not */
	json_t *l = get(port, K_GREEN, "/v1/cases");
	assert_int_equal(json_array_size(json_object_get(l, "cases")), 0);
	json_decref(l);
	l = get(port, K_AMBER, "/v1/cases");
	assert_int_equal(json_array_size(json_object_get(l, "cases")), 1);
	json_decref(l);
	const char *paths[] = { "/v1/cases/%lld", "/v1/export?case=%lld&format=stix&tlp=amber" };
	for (int k = 0; k < 2; k++) {
		snprintf(path, sizeof path, paths[k], (long long)id);
		assert_int_equal(status_of(port, "GET", K_GREEN, path, NULL, code, sizeof code), 404);
		assert_string_equal(code, "not_found");
		snprintf(path, sizeof path, paths[k], (long long)id + 1000);
		assert_int_equal(status_of(port, "GET", K_AMBER, path, NULL, code, sizeof code), 404);
		assert_string_equal(code, "not_found");
	}
	assert_int_equal(status_of(port, "POST", K_GREEN, "/v1/cases", body, code, sizeof code), 400);
	json_t *au = get(port, K_GREEN, "/v1/audit");
	assert_int_equal(json_array_size(json_object_get(au, "entries")), 0);
	json_decref(au);
	/* AMBER: at the case's level or stricter, not wider */
	snprintf(path, sizeof path, "/v1/export?case=%lld&format=stix&tlp=green", (long long)id);
	assert_int_equal(status_of(port, "GET", K_AMBER, path, NULL, code, sizeof code), 422);
	snprintf(path, sizeof path, "/v1/export?case=%lld&format=stix&tlp=amber", (long long)id);
	json_t *b = get(port, K_AMBER, path);
	int note = 0, wallet = 0, amount = 0;
	json_array_foreach(json_object_get(b, "objects"), i, n) {
		const char *ty = json_string_value(json_object_get(n, "type"));
		note |= !strcmp(ty, "note") && !strcmp(json_string_value(json_object_get(n, "content")), notes);
		wallet |= !strcmp(ty, "cryptocurrency-wallet") &&
		          !strcmp(json_string_value(json_object_get(n, "value")), amber_addr);
		amount |= !strcmp(ty, "relationship") && json_integer_value(json_object_get(n, "x_taintline_amount_sat")) == 1234567;
	}
	assert_true(note && wallet && amount);
	json_decref(b);
	snprintf(path, sizeof path, "/v1/export?case=%lld&format=misp&tlp=red", (long long)id);
	json_t *m = get(port, K_AMBER, path);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	                        json_object_get(json_object_get(m, "Event"), "Attribute"), 0), "value")), notes);
	json_decref(m);
	tl_app_close(app);

	/* the CLI: signed, verified by recomputing it from the database */
	char cmd[16384], key[4300], outp[4300], *out = NULL;
	snprintf(key, sizeof key, "%s/case-signing.key", root);
	snprintf(outp, sizeof outp, "%s/case.json", root);
	snprintf(cmd, sizeof cmd, "'%s' keys signing-key --out '%s' >/dev/null 2>&1", TL_BINARY, key);
	run_ok(cmd);
	snprintf(cmd, sizeof cmd, "'%s' export --db '%s' --case %lld --format stix --tlp amber+strict --sign '%s' -o '%s' 2>&1",
	         TL_BINARY, full, (long long)id, key, outp);
	run_ok(cmd);
	snprintf(cmd, sizeof cmd, "'%s' verify '%s' --db '%s' 2>&1", TL_BINARY, outp, full);
	if (tu_run(cmd, &out)) fail_msg("%s: %s", cmd, out);
	assert_non_null(strstr(out, "recomputed: identical"));
	free(out);
	snprintf(cmd, sizeof cmd, "'%s' export --db '%s' --case %lld --format misp --tlp green -o '%s' 2>&1", TL_BINARY,
	         full, (long long)id, outp);
	assert_int_equal(tu_run(cmd, &out), 1);
	assert_non_null(strstr(out, "cannot go out as TLP:green"));
	free(out);
	json_decref(t);
}

/* RED for named recipients: tags import and heist import --tlp
 * red/AUDIENCE, seen only by a clearance of that audience. */
static void red_for_named_recipients(void **state)
{
	(void)state;
	char red[4300], cmd[16384], csv[4400], *out = NULL;
	snprintf(red, sizeof red, "%s/red", root);
	snprintf(cmd, sizeof cmd, "cp -a '%s' '%s'", truth, red);
	assert_int_equal(system(cmd), 0);
	snprintf(csv, sizeof csv, "%s/red.csv", root);
	FILE *f = fopen(csv, "w");
	assert_non_null(f);
	fprintf(f, "chain,address,label,category,source,confidence\nbitcoin-regtest,%s,Red Desk,exchange,fiu-a-feed,90\n",
	        amber_addr);
	fclose(f);
	snprintf(cmd, sizeof cmd, "'%s' tags import --db '%s' '%s' --tlp red/fiu-a 2>&1", TL_BINARY, red, csv);
	if (tu_run(cmd, &out)) fail_msg("%s: %s", cmd, out);
	assert_non_null(strstr(out, "TLP:red for fiu-a"));
	free(out);
	snprintf(cmd, sizeof cmd, "'%s' heist import --db '%s' '%s/heists.json' --tlp red/fiu-a >/dev/null 2>&1", TL_BINARY,
	         red, sim);
	run_ok(cmd);
	/* the recipients see the heist and the tag; another audience and
	 * AMBER see no heist at all */
	json_t *a = cli_trace(red, "red/fiu-a");
	char *sa = json_dumps(a, JSON_COMPACT);
	assert_non_null(strstr(sa, "Red Desk"));
	free(sa);
	json_decref(a);
	const char *others[] = { "red/fiu-b", "amber+strict" };
	for (int k = 0; k < 2; k++) {
		snprintf(cmd, sizeof cmd, "'%s' trace --db '%s' --heist '%s' --clearance %s 2>&1", TL_BINARY, red, heist,
		         others[k]);
		assert_int_equal(tu_run(cmd, &out), 1);
		assert_non_null(strstr(out, "unknown heist"));
		free(out);
	}
	/* plain RED has no recipients: refused for tag sources */
	snprintf(cmd, sizeof cmd, "'%s' tags import --db '%s' '%s' --tlp red 2>&1", TL_BINARY, red, csv);
	assert_int_equal(tu_run(cmd, &out), 2);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cli_green_equals_never_imported),
		cmocka_unit_test(http_green_equals_never_imported),
		cmocka_unit_test(case_export_under_clearance),
		cmocka_unit_test(red_for_named_recipients),
	};
	return tu_finish(cmocka_run_group_tests(tests, setup, teardown));
}
