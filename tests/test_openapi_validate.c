/* The OpenAPI document checked by maintained tools (tests/tools-openapi,
 * pinned in its package-lock.json and installed by scripts/install-deps.sh
 * with npm ci): a validator of OpenAPI 3.1 documents, then the live
 * answers of a demo server (a simulated chain with its heists and tags,
 * screening index built) to a sample of every kind of route compared with
 * the documented statuses, content types and schemas. Skipped (exit 77)
 * when node or the tools' node_modules are absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "api/serve.h"
#include "tests/chainfix.h"
#include "tests/httpc.h"
#include "tests/testutil.h"
#include "tracer/screen.h"

static char g_tools[4200];

static json_t *get_json(uint16_t port, const char *path)
{
	struct resp r;
	if (http_do(port, "GET", path, NULL, NULL, 0, &r) < 0 || r.status != 200)
		fail_msg("GET %s: %d %s", path, r.status, r.body ? r.body : "");
	json_t *j = resp_json(&r);
	resp_free(&r);
	return j;
}

static char *get_text(uint16_t port, const char *path)
{
	struct resp r;
	if (http_do(port, "GET", path, NULL, NULL, 0, &r) < 0 || r.status != 200)
		fail_msg("GET %s: %d %s", path, r.status, r.body ? r.body : "");
	return r.body;
}

static int rebuild_fn(struct tl_store *w, void *ctx, struct tl_err *err)
{
	(void)ctx;
	uint32_t done = 0, skipped = 0;
	return tl_screen_rebuild(w, NULL, &done, &skipped, err);
}

static void add(json_t *a, const char *method, int status, const char *body, const char *fmt, ...)
{
	char path[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof path, fmt, ap);
	va_end(ap);
	json_t *s = json_pack("{s:s,s:s,s:i}", "method", method, "path", path, "status", status);
	if (body) json_object_set_new(s, "body", json_string(body));
	json_array_append_new(a, s);
}

static void test_live_answers_match_the_contract(void **state)
{
	(void)state;
	char *dir = tu_tmpdir("openapi_validate");
	char sim[4200], blocks[4200], db[4200];
	snprintf(sim, sizeof sim, "%s/sim", dir);
	snprintf(blocks, sizeof blocks, "%s/sim/blocks", dir);
	snprintf(db, sizeof db, "%s/db", dir);
	cf_sim(sim, 5, 130, 6, 0, true);
	struct tl_index_opts io = cf_index_opts(blocks, db);
	cf_index_run(&io, NULL);
	struct tl_store *w = cf_store_open(db, &(struct tl_store_opts){ 0 });
	cf_import_sim_labels(w, sim);
	tl_store_close(w);
	struct tl_serve_opts o;
	tl_serve_opts_default(&o);
	o.db_path = db;
	o.listen = "127.0.0.1:0";
	o.log = NULL;
	struct tl_app *app;
	struct tl_err err;
	if (tl_app_open(&o, &app, &err) < 0) fail_msg("open: %s", err.msg);
	if (tl_app_write(app, rebuild_fn, NULL, &err) < 0) fail_msg("screen rebuild: %s", err.msg);
	if (tl_app_start(app, &err) < 0) fail_msg("start: %s", err.msg);
	uint16_t port = tl_app_port(app);

	/* Subjects from the chain itself: the block at 110, its second
	 * transaction, the address its first output pays, a heist. */
	char *bh = get_text(port, "/api/block-height/110");
	char path[512];
	snprintf(path, sizeof path, "/api/block/%s/txids", bh);
	json_t *ids = get_json(port, path);
	assert_true(json_array_size(ids) >= 2);
	const char *txid = json_string_value(json_array_get(ids, 1));
	snprintf(path, sizeof path, "/api/tx/%s", txid);
	json_t *tx = get_json(port, path);
	const char *addr =
		json_string_value(json_object_get(json_array_get(json_object_get(tx, "vout"), 0), "scriptpubkey_address"));
	assert_non_null(addr);
	json_t *heists = get_json(port, "/v1/heists");
	const char *heist = json_string_value(json_object_get(json_array_get(json_object_get(heists, "heists"), 0), "id"));
	assert_non_null(heist);

	json_t *a = json_array();
	static const char *const zero = "0000000000000000000000000000000000000000000000000000000000000001";
	add(a, "GET", 200, NULL, "/api/blocks/tip/height");
	add(a, "GET", 200, NULL, "/api/blocks/tip/hash");
	add(a, "GET", 200, NULL, "/api/blocks");
	add(a, "GET", 200, NULL, "/api/blocks/5");
	add(a, "GET", 404, NULL, "/api/blocks/999999");
	add(a, "GET", 200, NULL, "/api/block/%s", bh);
	add(a, "GET", 200, NULL, "/api/block/%s/status", bh);
	add(a, "GET", 200, NULL, "/api/block/%s/status", zero);
	add(a, "GET", 200, NULL, "/api/block/%s/txs", bh);
	add(a, "GET", 200, NULL, "/api/block/%s/txs/0", bh);
	add(a, "GET", 400, NULL, "/api/block/%s/txs/1", bh);
	add(a, "GET", 200, NULL, "/api/block/%s/txids", bh);
	add(a, "GET", 200, NULL, "/api/block/%s/txid/1", bh);
	add(a, "GET", 200, NULL, "/api/block/%s/header", bh);
	add(a, "GET", 200, NULL, "/api/block/%s/raw", bh);
	add(a, "GET", 404, NULL, "/api/block/%s", zero);
	add(a, "GET", 400, NULL, "/api/block/nothex");
	add(a, "GET", 200, NULL, "/api/block-height/1");
	add(a, "GET", 200, NULL, "/api/tx/%s", txid);
	add(a, "GET", 200, NULL, "/api/tx/%s/status", txid);
	add(a, "GET", 200, NULL, "/api/tx/%s/status", zero);
	add(a, "GET", 200, NULL, "/api/tx/%s/hex", txid);
	add(a, "GET", 200, NULL, "/api/tx/%s/raw", txid);
	add(a, "GET", 200, NULL, "/api/tx/%s/merkle-proof", txid);
	add(a, "GET", 200, NULL, "/api/tx/%s/merkleblock-proof", txid);
	add(a, "GET", 200, NULL, "/api/tx/%s/outspends", txid);
	add(a, "GET", 200, NULL, "/api/tx/%s/outspend/0", txid);
	add(a, "GET", 200, NULL, "/api/tx/%s/outspend/0", zero);
	add(a, "GET", 404, NULL, "/api/tx/%s", zero);
	add(a, "POST", 501, "0100", "/api/tx");
	add(a, "GET", 200, NULL, "/api/address/%s", addr);
	add(a, "GET", 200, NULL, "/api/address/%s/txs", addr);
	add(a, "GET", 200, NULL, "/api/address/%s/txs?after_txid=%s", addr, txid);
	add(a, "GET", 200, NULL, "/api/address/%s/txs/chain", addr);
	add(a, "GET", 200, NULL, "/api/address/%s/txs/chain/%s", addr, txid);
	add(a, "GET", 200, NULL, "/api/address/%s/txs/mempool", addr);
	add(a, "GET", 200, NULL, "/api/address/%s/utxo", addr);
	add(a, "GET", 400, NULL, "/api/address/notanaddress");
	add(a, "GET", 200, NULL, "/api/mempool");
	add(a, "GET", 200, NULL, "/api/mempool/txids");
	add(a, "GET", 200, NULL, "/api/mempool/recent");
	add(a, "GET", 200, NULL, "/v1/heists");
	add(a, "GET", 200, NULL, "/v1/heists/%s", heist);
	add(a, "GET", 404, NULL, "/v1/heists/no-such-heist");
	add(a, "GET", 200, NULL, "/v1/heists/%s/trace?max_hops=2", heist);
	add(a, "GET", 200, NULL, "/v1/screen?address=%s", addr);
	add(a, "GET", 200, NULL, "/v1/screen?txid=%s", txid);
	char batch[512];
	snprintf(batch, sizeof batch, "{\"items\":[{\"address\":\"%s\"},{\"txid\":\"zz\"}]}", addr);
	add(a, "POST", 200, batch, "/v1/screen");
	add(a, "GET", 200, NULL, "/v1/addresses/%s/tags", addr);
	add(a, "GET", 200, NULL, "/healthz");
	add(a, "GET", 200, NULL, "/metrics");
	add(a, "GET", 200, NULL, "/openapi.json");
	char samples[4300];
	snprintf(samples, sizeof samples, "%s/samples.json", dir);
	assert_int_equal(json_dump_file(a, samples, JSON_INDENT(1)), 0);

	char cmd[13000], *out = NULL;
	snprintf(cmd, sizeof cmd, "cd '%s' && node check.mjs http://127.0.0.1:%u '%s' 2>&1", g_tools, port, samples);
	int st = tu_run(cmd, &out);
	printf("%s", out ? out : "");
	if (st != 0) fail_msg("the contract check failed (exit %d)", st);
	assert_non_null(strstr(out, " passed, 0 failed"));
	free(out);
	json_decref(a);
	json_decref(heists);
	json_decref(tx);
	json_decref(ids);
	free(bh);
	tl_app_close(app);
	tu_rmrf(dir);
	free(dir);
}

int main(void)
{
	snprintf(g_tools, sizeof g_tools, "%s/tests/tools-openapi", TL_SOURCE_DIR);
	char nm[4300];
	snprintf(nm, sizeof nm, "%s/node_modules/@seriousme/openapi-schema-validator", g_tools);
	struct stat sb;
	if (tu_run("node --version >/dev/null 2>&1", NULL) != 0 || stat(nm, &sb) != 0) {
		printf("skipped: node or %s/node_modules is absent (scripts/install-deps.sh installs them with npm ci)\n",
		       g_tools);
		return TL_TEST_SKIP;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_answers_match_the_contract),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
