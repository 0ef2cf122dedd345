/* The API routes end to end: a simulated chain indexed in a temp dir,
 * the real server (api/serve.h) on an ephemeral loopback port, and a small
 * blocking HTTP/1.1 client written here. Answers are checked against the
 * Esplora field names (listed below from the Esplora API documentation)
 * and against a second computation: a naive scan of every transaction in
 * the store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "api/auth.h"
#include "api/http_json.h"
#include "api/serve.h"
#include "api/http_server.h"
#include "bitcoin/hash.h"
#include "indexer/indexer.h"
#include "sim/sim.h"
#include "store/store.h"
#include "tests/httpc.h"
#include "tests/chainfix.h"
#include "tests/testutil.h"
#include "tracer/entities.h"
#include "tracer/storegraph.h"
#include "tracer/screen.h"
#include "tracer/trace.h"

/* ---------------- Esplora field names (Esplora API.md / electrs) ---------------- */

static const char *const ESPLORA_TX[] = { "txid", "version", "locktime", "vin", "vout", "size", "weight", "fee",
					  "status", NULL };
/* Vin: witness omitted when empty; inner_*_asm omitted when none. */
static const char *const ESPLORA_VIN[] = { "txid",	   "vout",     "prevout",     "scriptsig",
					   "scriptsig_asm", "witness", "is_coinbase", "sequence",
					   "inner_redeemscript_asm", "inner_witnessscript_asm", NULL };
static const char *const ESPLORA_VIN_REQUIRED[] = { "txid",	   "vout",	  "prevout", "scriptsig",
						    "scriptsig_asm", "is_coinbase", "sequence", NULL };
static const char *const ESPLORA_VOUT[] = { "scriptpubkey", "scriptpubkey_asm", "scriptpubkey_type",
					    "scriptpubkey_address", "value", NULL };
static const char *const ESPLORA_VOUT_REQUIRED[] = { "scriptpubkey", "scriptpubkey_asm", "scriptpubkey_type", "value",
						     NULL };
static const char *const ESPLORA_STATUS_CONFIRMED[] = { "confirmed", "block_height", "block_hash", "block_time",
							NULL };
static const char *const ESPLORA_BLOCK[] = { "id",	   "height",	 "version",  "timestamp", "tx_count",
					     "size",	   "weight",	 "merkle_root", "previousblockhash",
					     "mediantime", "nonce",	 "bits",     "difficulty", NULL };
static const char *const ESPLORA_STATS[] = { "tx_count", "funded_txo_count", "funded_txo_sum", "spent_txo_count",
					     "spent_txo_sum", NULL };
static const char *const ESPLORA_ADDRESS[] = { "address", "chain_stats", "mempool_stats", NULL };
static const char *const ESPLORA_UTXO[] = { "txid", "vout", "status", "value", NULL };
static const char *const ESPLORA_OUTSPEND_SPENT[] = { "spent", "txid", "vin", "status", NULL };

static int in_list(const char *const *l, const char *k)
{
	for (; *l; l++)
		if (!strcmp(*l, k)) return 1;
	return 0;
}

/* Every key of o is an Esplora name (allowed) and every name of required is
 * present. */
static void check_fields(json_t *o, const char *const *allowed, const char *const *required, const char *what)
{
	if (!json_is_object(o)) fail_msg("%s: not an object", what);
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v)
	{
		if (!in_list(allowed, k)) fail_msg("%s: field '%s' is not an Esplora field", what, k);
	}
	for (; *required; required++)
		if (!json_object_get(o, *required)) fail_msg("%s: Esplora field '%s' missing", what, *required);
}

static void check_exact(json_t *o, const char *const *names, const char *what)
{
	check_fields(o, names, names, what);
}

/* ---------------- a tiny blocking HTTP/1.1 client ---------------- */

static uint16_t g_port;

static void http(const char *method, const char *path, const char *key, const char *body, struct resp *r)
{
	if (http_do(g_port, method, path, key, body, body ? strlen(body) : 0, r) < 0)
		fail_msg("%s %s: no response", method, path);
}

static json_t *get_json(const char *path, const char *key)
{
	struct resp r;
	http("GET", path, key, NULL, &r);
	if (r.status != 200) fail_msg("GET %s: %d %s", path, r.status, r.body);
	assert_string_equal(hdr(&r, "Content-Type"), "application/json");
	json_t *v = resp_json(&r);
	resp_free(&r);
	return v;
}

/* GET path with key; expects 200 text/plain; returns the body (malloc'd). */
static char *get_text(const char *path, const char *key)
{
	struct resp r;
	http("GET", path, key, NULL, &r);
	if (r.status != 200) fail_msg("GET %s: %d %s", path, r.status, r.body);
	assert_string_equal(hdr(&r, "Content-Type"), "text/plain");
	return r.body;
}

/* ---------------- fixture: simulated chain, index, server with keys ---------------- */

struct fixture {
	char *dir;
	char blocks[4096], db[4096], keys[4096];
	char key_screen[TL_API_KEY_LEN + 1], key_inv[TL_API_KEY_LEN + 1], key_admin[TL_API_KEY_LEN + 1];
	struct tl_app *app;
};

static struct fixture F;

static void add_key(FILE *f, char *key, enum tl_api_role role)
{
	struct tl_err err;
	char line[256];
	assert_int_equal(tl_key_generate(key, &err), 0);
	assert_int_equal(tl_keyline_format(key, role, 0, tl_role_name(role), line, sizeof line, &err), 0);
	fputs(line, f);
}

static int setup(void **state)
{
	(void)state;
	memset(&F, 0, sizeof F);
	F.dir = tu_tmpdir("api_routes");
	snprintf(F.blocks, sizeof F.blocks, "%s/sim/blocks", F.dir);
	snprintf(F.db, sizeof F.db, "%s/db", F.dir);
	snprintf(F.keys, sizeof F.keys, "%s/keys.txt", F.dir);
	char simdir[4096];
	snprintf(simdir, sizeof simdir, "%s/sim", F.dir);
	cf_sim(simdir, 7, 140, 12, 1, false);
	struct tl_index_opts io = cf_index_opts(F.blocks, F.db);
	io.cache_mb = 0; /* the indexer's default */
	cf_index_run(&io, NULL);
	FILE *kf = fopen(F.keys, "w");
	assert_non_null(kf);
	add_key(kf, F.key_screen, TL_ROLE_SCREEN);
	add_key(kf, F.key_inv, TL_ROLE_INVESTIGATE);
	add_key(kf, F.key_admin, TL_ROLE_ADMIN);
	fclose(kf);

	struct tl_err err;
	struct tl_serve_opts o;
	tl_serve_opts_default(&o);
	o.db_path = F.db;
	o.listen = "127.0.0.1:0";
	o.keys_file = F.keys;
	o.threads = 2;
	o.log = NULL;
	if (tl_app_open(&o, &F.app, &err) < 0) fail_msg("open: %s", err.msg);
	if (tl_app_start(F.app, &err) < 0) fail_msg("start: %s", err.msg);
	g_port = tl_app_port(F.app);
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

/* ---------------- naive second computation over the whole store ---------------- */

struct naive_addr {
	uint64_t funded_count, funded_sum, spent_count, spent_sum, tx_count;
	uint64_t *txs; /* tx_nums touching the address, ascending */
	size_t ntx;
};

static void naive_scan(struct tl_store *s, uint64_t addr_id, struct naive_addr *na)
{
	memset(na, 0, sizeof *na);
	struct tl_tip tip;
	struct tl_err err;
	assert_int_equal(tl_store_tip(s, &tip, &err), 0);
	na->txs = malloc(sizeof(uint64_t) * (size_t)(tip.next_tx_num + 1));
	for (uint64_t t = 0; t < tip.next_tx_num; t++) {
		struct tl_tx_rec r;
		if (tl_store_tx(s, t, &r, &err) != 1) continue;
		int touch = 0;
		for (uint32_t i = 0; i < r.n_out; i++)
			if (r.out[i].addr_id == addr_id) {
				na->funded_count++;
				na->funded_sum += r.out[i].value;
				touch = 1;
			}
		for (uint32_t i = 0; i < r.n_in; i++)
			if (r.in[i].kind == TL_IN_KNOWN && r.in[i].addr_id == addr_id) {
				na->spent_count++;
				na->spent_sum += r.in[i].value;
				touch = 1;
			}
		if (touch) na->txs[na->ntx++] = t;
		tl_tx_rec_free(&r);
	}
	na->tx_count = na->ntx;
}

static void txid_hex_of(struct tl_store *s, uint64_t tx_num, char hex[65])
{
	struct tl_tx_rec r;
	struct tl_err err;
	assert_int_equal(tl_store_tx(s, tx_num, &r, &err), 1);
	tl_hash_to_hex(r.txid, hex);
	tl_tx_rec_free(&r);
}

/* The address with the most transactions among the outputs of the chain
 * (the busiest, so that its history spans several pages). */
static void busiest_address(char *out, size_t cap)
{
	struct tl_store *s = F.app->store;
	struct tl_tip tip;
	struct tl_err err;
	assert_int_equal(tl_store_tip(s, &tip, &err), 0);
	uint64_t best = 0, best_n = 0;
	for (uint64_t a = 1; a < tip.next_addr_id; a++) {
		struct tl_addr_info ai;
		if (tl_store_addr_info(s, a, &ai, &err) == 1 && ai.tx_count > best_n && ai.spent_count > 0) {
			best = a;
			best_n = ai.tx_count;
		}
	}
	assert_true(best_n > 60); /* three pages at least */
	/* Its string: find an output paying it and read it over the API. */
	struct naive_addr na;
	naive_scan(s, best, &na);
	char hex[65], path[256];
	txid_hex_of(s, na.txs[0], hex);
	snprintf(path, sizeof path, "/api/tx/%s", hex);
	json_t *tx = get_json(path, F.key_screen);
	struct tl_tx_rec r;
	assert_int_equal(tl_store_tx(s, na.txs[0], &r, &err), 1);
	const char *addr = NULL;
	for (uint32_t i = 0; i < r.n_out && !addr; i++)
		if (r.out[i].addr_id == best)
			addr = json_string_value(
				json_object_get(json_array_get(json_object_get(tx, "vout"), i), "scriptpubkey_address"));
	assert_non_null(addr);
	snprintf(out, cap, "%s", addr);
	tl_tx_rec_free(&r);
	json_decref(tx);
	free(na.txs);
}

/* ---------------- tests ---------------- */

static void test_blocks(void **state)
{
	(void)state;
	struct tl_store *s = F.app->store;
	struct tl_tip tip;
	struct tl_err err;
	assert_int_equal(tl_store_tip(s, &tip, &err), 0);
	char *h = get_text("/api/blocks/tip/height", F.key_screen);
	assert_int_equal(atoi(h), tip.height);
	free(h);
	char hex[65];
	tl_hash_to_hex(tip.hash, hex);
	h = get_text("/api/blocks/tip/hash", F.key_screen);
	assert_string_equal(h, hex);
	free(h);
	/* Every height: block-height/:h names the block, /block/:hash describes it. */
	for (int32_t ht = 0; ht <= tip.height; ht++) {
		char path[128];
		snprintf(path, sizeof path, "/api/block-height/%d", ht);
		char *bh = get_text(path, F.key_screen);
		struct tl_block_rec b;
		assert_int_equal(tl_store_block_by_height(s, ht, &b, &err), 1);
		tl_hash_to_hex(b.hash, hex);
		assert_string_equal(bh, hex);
		if (ht % 20 == 0 || ht == tip.height) {
			snprintf(path, sizeof path, "/api/block/%s", bh);
			json_t *j = get_json(path, F.key_screen);
			check_exact(j, ESPLORA_BLOCK, "block");
			assert_string_equal(json_string_value(json_object_get(j, "id")), hex);
			assert_int_equal(json_integer_value(json_object_get(j, "height")), ht);
			assert_int_equal(json_integer_value(json_object_get(j, "tx_count")), b.n_tx);
			if (ht == 0) assert_true(json_is_null(json_object_get(j, "previousblockhash")));
			else {
				struct tl_block_rec pb;
				assert_int_equal(tl_store_block_by_height(s, ht - 1, &pb, &err), 1);
				tl_hash_to_hex(pb.hash, hex);
				assert_string_equal(json_string_value(json_object_get(j, "previousblockhash")), hex);
			}
			json_decref(j);
		}
		free(bh);
	}
	/* /api/blocks: 10 blocks descending from the tip. */
	json_t *a = get_json("/api/blocks", F.key_screen);
	assert_int_equal(json_array_size(a), 10);
	for (size_t i = 0; i < 10; i++)
		assert_int_equal(json_integer_value(json_object_get(json_array_get(a, i), "height")),
				 tip.height - (int)i);
	json_decref(a);
	a = get_json("/api/blocks/5", F.key_screen);
	assert_int_equal(json_array_size(a), 6);
	json_decref(a);
}

static void test_transactions(void **state)
{
	(void)state;
	struct tl_store *s = F.app->store;
	struct tl_tip tip;
	struct tl_err err;
	assert_int_equal(tl_store_tip(s, &tip, &err), 0);
	int checked_spent = 0, checked_unspent = 0;
	for (uint64_t t = 0; t < tip.next_tx_num; t += 37) {
		struct tl_tx_rec r;
		assert_int_equal(tl_store_tx(s, t, &r, &err), 1);
		char hex[65], path[256];
		tl_hash_to_hex(r.txid, hex);
		snprintf(path, sizeof path, "/api/tx/%s", hex);
		json_t *j = get_json(path, F.key_screen);
		check_exact(j, ESPLORA_TX, "tx");
		assert_string_equal(json_string_value(json_object_get(j, "txid")), hex);
		assert_int_equal(json_array_size(json_object_get(j, "vin")), r.n_in);
		assert_int_equal(json_array_size(json_object_get(j, "vout")), r.n_out);
		assert_int_equal(json_integer_value(json_object_get(j, "fee")), r.fee);
		size_t i;
		json_t *v;
		json_array_foreach(json_object_get(j, "vin"), i, v)
		{
			check_fields(v, ESPLORA_VIN, ESPLORA_VIN_REQUIRED, "vin");
			json_t *po = json_object_get(v, "prevout");
			if (!json_is_null(po)) check_fields(po, ESPLORA_VOUT, ESPLORA_VOUT_REQUIRED, "prevout");
			assert_int_equal(json_is_true(json_object_get(v, "is_coinbase")), r.in[i].kind == TL_IN_COINBASE);
		}
		json_array_foreach(json_object_get(j, "vout"), i, v)
		{
			check_fields(v, ESPLORA_VOUT, ESPLORA_VOUT_REQUIRED, "vout");
			assert_int_equal(json_integer_value(json_object_get(v, "value")), r.out[i].value);
		}
		check_exact(json_object_get(j, "status"), ESPLORA_STATUS_CONFIRMED, "status");
		json_decref(j);

		snprintf(path, sizeof path, "/api/tx/%s/status", hex);
		j = get_json(path, F.key_screen);
		check_exact(j, ESPLORA_STATUS_CONFIRMED, "status");
		assert_int_equal(json_integer_value(json_object_get(j, "block_height")), r.height);
		json_decref(j);

		snprintf(path, sizeof path, "/api/tx/%s/outspends", hex);
		j = get_json(path, F.key_screen);
		assert_int_equal(json_array_size(j), r.n_out);
		json_array_foreach(j, i, v)
		{
			uint64_t sp;
			uint32_t vin;
			int rc = tl_store_spender(s, t, (uint32_t)i, &sp, &vin, &err);
			assert_true(rc >= 0);
			assert_int_equal(json_is_true(json_object_get(v, "spent")), rc == 1);
			if (rc == 1) {
				check_exact(v, ESPLORA_OUTSPEND_SPENT, "outspend");
				char sh[65];
				txid_hex_of(s, sp, sh);
				assert_string_equal(json_string_value(json_object_get(v, "txid")), sh);
				assert_int_equal(json_integer_value(json_object_get(v, "vin")), vin);
				checked_spent++;
			} else {
				assert_int_equal(json_object_size(v), 1);
				checked_unspent++;
			}
			/* The single-output route agrees. */
			char p2[300];
			snprintf(p2, sizeof p2, "/api/tx/%s/outspend/%zu", hex, i);
			json_t *one = get_json(p2, F.key_screen);
			assert_true(json_equal(one, v));
			json_decref(one);
		}
		json_decref(j);
		tl_tx_rec_free(&r);
	}
	assert_true(checked_spent > 0 && checked_unspent > 0);
	/* Unknown txid: 404 on /tx, Esplora's {"confirmed": false} on /status. */
	const char *unk = "/api/tx/00000000000000000000000000000000000000000000000000000000000000aa";
	struct resp rr;
	http("GET", unk, F.key_screen, NULL, &rr);
	expect_error(&rr, 404, "not_found");
	resp_free(&rr);
	char p[256];
	snprintf(p, sizeof p, "%s/status", unk);
	json_t *j = get_json(p, F.key_screen);
	assert_true(json_is_false(json_object_get(j, "confirmed")));
	assert_int_equal(json_object_size(j), 1);
	json_decref(j);
}

/* The assembly text expected for a standard output script, written from
 * the templates (hex of the script as Esplora gives it). NULL for types
 * without a fixed template. */
static int expected_spk_asm(const char *type, const char *hex, char *out, size_t cap)
{
	size_t n = strlen(hex);
	if (!strcmp(type, "p2pkh") && n == 50)
		snprintf(out, cap, "OP_DUP OP_HASH160 OP_PUSHBYTES_20 %.40s OP_EQUALVERIFY OP_CHECKSIG", hex + 6);
	else if (!strcmp(type, "p2sh") && n == 46)
		snprintf(out, cap, "OP_HASH160 OP_PUSHBYTES_20 %.40s OP_EQUAL", hex + 4);
	else if (!strcmp(type, "v0_p2wpkh") && n == 44)
		snprintf(out, cap, "OP_0 OP_PUSHBYTES_20 %s", hex + 4);
	else if (!strcmp(type, "v0_p2wsh") && n == 68)
		snprintf(out, cap, "OP_0 OP_PUSHBYTES_32 %s", hex + 4);
	else if (!strcmp(type, "v1_p2tr") && n == 68)
		snprintf(out, cap, "OP_PUSHNUM_1 OP_PUSHBYTES_32 %s", hex + 4);
	else if (!strcmp(type, "empty"))
		snprintf(out, cap, "%s", "");
	else
		return 0;
	return 1;
}

static void check_vout_asm(json_t *v, int *checked)
{
	const char *type = json_string_value(json_object_get(v, "scriptpubkey_type"));
	const char *hex = json_string_value(json_object_get(v, "scriptpubkey"));
	const char *a = json_string_value(json_object_get(v, "scriptpubkey_asm"));
	assert_non_null(type);
	assert_non_null(hex);
	assert_non_null(a);
	char want[512];
	if (expected_spk_asm(type, hex, want, sizeof want)) {
		assert_string_equal(a, want);
		(*checked)++;
	} else if (!strcmp(type, "op_return")) {
		assert_true(!strncmp(a, "OP_RETURN", 9));
	}
	/* An address exactly for the types that have one. */
	int has = !strcmp(type, "p2pkh") || !strcmp(type, "p2sh") || !strncmp(type, "v0_", 3) || !strcmp(type, "v1_p2tr");
	assert_int_equal(json_object_get(v, "scriptpubkey_address") != NULL, has);
}

/* scriptpubkey_asm, scriptsig_asm, witness, inner_redeemscript_asm and
 * inner_witnessscript_asm of the simulated spends (P2WPKH, P2SH-P2WPKH,
 * P2WSH 2-of-3 multisig, P2TR key path, coinbases), checked against the
 * templates and against the hashes the spent outputs commit to. */
static void test_tx_scripts(void **state)
{
	(void)state;
	struct tl_store *s = F.app->store;
	struct tl_tip tip;
	struct tl_err err;
	assert_int_equal(tl_store_tip(s, &tip, &err), 0);
	int n_coinbase = 0, n_p2sh = 0, n_p2wsh = 0, n_p2tr = 0, n_p2wpkh = 0, n_spk = 0;
	for (uint64_t t = 0; t < tip.next_tx_num; t += 5) {
		if (n_coinbase >= 3 && n_p2sh >= 5 && n_p2wsh >= 5 && n_p2tr >= 5 && n_p2wpkh >= 5 && t > 2000) break;
		char hex[65], path[256];
		txid_hex_of(s, t, hex);
		snprintf(path, sizeof path, "/api/tx/%s", hex);
		json_t *j = get_json(path, F.key_screen);
		size_t i;
		json_t *v;
		json_array_foreach(json_object_get(j, "vout"), i, v) check_vout_asm(v, &n_spk);
		json_array_foreach(json_object_get(j, "vin"), i, v)
		{
			const char *ss = json_string_value(json_object_get(v, "scriptsig"));
			const char *ssa = json_string_value(json_object_get(v, "scriptsig_asm"));
			assert_non_null(ss);
			assert_non_null(ssa);
			json_t *w = json_object_get(v, "witness");
			json_t *rs = json_object_get(v, "inner_redeemscript_asm");
			json_t *ws = json_object_get(v, "inner_witnessscript_asm");
			if (w) assert_true(json_is_array(w) && json_array_size(w) > 0); /* omitted when empty */
			json_t *po = json_object_get(v, "prevout");
			if (json_is_true(json_object_get(v, "is_coinbase"))) {
				assert_true(json_is_null(po));
				assert_null(rs);
				assert_null(ws);
				assert_true(strlen(ss) == 0 || strncmp(ssa, "OP_", 3) == 0 || ssa[0] == '<');
				n_coinbase++;
				continue;
			}
			assert_true(json_is_object(po));
			check_vout_asm(po, &n_spk);
			const char *type = json_string_value(json_object_get(po, "scriptpubkey_type"));
			const char *spk = json_string_value(json_object_get(po, "scriptpubkey"));
			if (!strcmp(type, "v0_p2wpkh")) {
				/* Native segwit: empty scriptSig, signature and key. */
				assert_string_equal(ss, "");
				assert_string_equal(ssa, "");
				assert_int_equal(json_array_size(w), 2);
				assert_null(rs);
				assert_null(ws);
				n_p2wpkh++;
			} else if (!strcmp(type, "p2sh")) {
				/* P2SH-P2WPKH: the scriptSig pushes the 22-byte
				 * redeemScript, whose hash160 the output holds. */
				assert_int_equal(strlen(ss), 46);
				char want[128];
				snprintf(want, sizeof want, "OP_PUSHBYTES_22 %s", ss + 2);
				assert_string_equal(ssa, want);
				assert_non_null(rs);
				snprintf(want, sizeof want, "OP_0 OP_PUSHBYTES_20 %s", ss + 6);
				assert_string_equal(json_string_value(rs), want);
				uint8_t redeem[22], h[20];
				char hh[41];
				assert_int_equal(tl_hex_decode(ss + 2, 44, redeem, 22), 0);
				tl_hash160(redeem, 22, h);
				tl_hex_encode(h, 20, hh);
				assert_true(!strncmp(spk + 4, hh, 40));
				assert_null(ws); /* the redeemScript is P2WPKH, not P2WSH */
				n_p2sh++;
			} else if (!strcmp(type, "v0_p2wsh")) {
				/* 2-of-3 multisig: OP_0 sig sig witnessScript; the
				 * witnessScript's SHA-256 is the output's program. */
				assert_int_equal(json_array_size(w), 4);
				assert_string_equal(json_string_value(json_array_get(w, 0)), "");
				const char *wsh = json_string_value(json_array_get(w, 3));
				assert_int_equal(strlen(wsh), 2 * 105);
				uint8_t script[105], h[32];
				char hh[65];
				assert_int_equal(tl_hex_decode(wsh, 210, script, 105), 0);
				tl_sha256(script, 105, h);
				tl_hex_encode(h, 32, hh);
				assert_string_equal(spk + 4, hh);
				char want[512];
				snprintf(want, sizeof want,
					 "OP_PUSHNUM_2 OP_PUSHBYTES_33 %.66s OP_PUSHBYTES_33 %.66s OP_PUSHBYTES_33 %.66s "
					 "OP_PUSHNUM_3 OP_CHECKMULTISIG",
					 wsh + 4, wsh + 4 + 68, wsh + 4 + 136);
				assert_non_null(ws);
				assert_string_equal(json_string_value(ws), want);
				assert_null(rs);
				n_p2wsh++;
			} else if (!strcmp(type, "v1_p2tr")) {
				/* Key path: one 64-byte signature, no script. */
				assert_int_equal(json_array_size(w), 1);
				assert_int_equal(strlen(json_string_value(json_array_get(w, 0))), 128);
				assert_null(ws);
				assert_null(rs);
				n_p2tr++;
			}
		}
		json_decref(j);
	}
	print_message("asm checked: %d output scripts, %d coinbase, %d p2wpkh, %d p2sh-p2wpkh, %d p2wsh, %d p2tr inputs\n",
		      n_spk, n_coinbase, n_p2wpkh, n_p2sh, n_p2wsh, n_p2tr);
	assert_true(n_coinbase >= 3 && n_p2wpkh >= 5 && n_p2sh >= 5 && n_p2wsh >= 5 && n_p2tr >= 5 && n_spk > 100);
}

static void test_address_and_paging(void **state)
{
	(void)state;
	struct tl_store *s = F.app->store;
	struct tl_err err;
	char addr[128], path[512];
	busiest_address(addr, sizeof addr);
	uint64_t id;
	assert_int_equal(tl_store_addr_id_of_string(s, addr, &id, &err), 1);
	struct naive_addr na;
	naive_scan(s, id, &na);

	snprintf(path, sizeof path, "/api/address/%s", addr);
	json_t *j = get_json(path, F.key_screen);
	check_exact(j, ESPLORA_ADDRESS, "address");
	json_t *cs = json_object_get(j, "chain_stats");
	check_exact(cs, ESPLORA_STATS, "chain_stats");
	check_exact(json_object_get(j, "mempool_stats"), ESPLORA_STATS, "mempool_stats");
	assert_int_equal(json_integer_value(json_object_get(cs, "tx_count")), na.tx_count);
	assert_int_equal(json_integer_value(json_object_get(cs, "funded_txo_count")), na.funded_count);
	assert_int_equal(json_integer_value(json_object_get(cs, "funded_txo_sum")), na.funded_sum);
	assert_int_equal(json_integer_value(json_object_get(cs, "spent_txo_count")), na.spent_count);
	assert_int_equal(json_integer_value(json_object_get(cs, "spent_txo_sum")), na.spent_sum);
	json_decref(j);

	/* Pages of 25, newest first, equal to the naive list reversed. */
	size_t seen = 0;
	char last[65] = "";
	int pages = 0;
	for (;;) {
		if (!last[0]) snprintf(path, sizeof path, "/api/address/%s/txs", addr);
		else snprintf(path, sizeof path, "/api/address/%s/txs/chain/%s", addr, last);
		j = get_json(path, F.key_screen);
		pages++;
		size_t n = json_array_size(j);
		assert_true(n <= 25);
		for (size_t i = 0; i < n; i++) {
			assert_true(seen < na.ntx);
			char want[65];
			txid_hex_of(s, na.txs[na.ntx - 1 - seen], want);
			const char *got = json_string_value(json_object_get(json_array_get(j, i), "txid"));
			assert_string_equal(got, want);
			check_exact(json_array_get(j, i), ESPLORA_TX, "history tx");
			snprintf(last, sizeof last, "%s", got);
			seen++;
		}
		json_decref(j);
		if (n < 25) break;
	}
	assert_int_equal(seen, na.ntx);
	assert_int_equal(pages, (int)(na.ntx / 25 + 1));
	/* /txs/chain without a txid is the first page. */
	snprintf(path, sizeof path, "/api/address/%s/txs/chain", addr);
	j = get_json(path, F.key_screen);
	char want[65];
	txid_hex_of(s, na.txs[na.ntx - 1], want);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "txid")), want);
	json_decref(j);

	/* UTXOs: the naive set is every output paying the address with no spender. */
	snprintf(path, sizeof path, "/api/address/%s/utxo", addr);
	j = get_json(path, F.key_screen);
	size_t nutxo = 0;
	for (size_t k = 0; k < na.ntx; k++) {
		struct tl_tx_rec r;
		assert_int_equal(tl_store_tx(s, na.txs[k], &r, &err), 1);
		for (uint32_t o = 0; o < r.n_out; o++) {
			if (r.out[o].addr_id != id) continue;
			uint64_t sp;
			uint32_t vin;
			if (tl_store_spender(s, r.tx_num, o, &sp, &vin, &err) != 0) continue;
			char hex[65];
			tl_hash_to_hex(r.txid, hex);
			int found = 0;
			size_t i;
			json_t *u;
			json_array_foreach(j, i, u)
			{
				check_exact(u, ESPLORA_UTXO, "utxo");
				if (!strcmp(json_string_value(json_object_get(u, "txid")), hex) &&
				    json_integer_value(json_object_get(u, "vout")) == o) {
					found = 1;
					assert_int_equal(json_integer_value(json_object_get(u, "value")), r.out[o].value);
				}
			}
			assert_true(found);
			nutxo++;
		}
		tl_tx_rec_free(&r);
	}
	assert_int_equal(json_array_size(j), nutxo);
	json_decref(j);
	free(na.txs);

	/* A valid address never seen: Esplora's zero stats and empty lists. */
	const char *fresh = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";
	snprintf(path, sizeof path, "/api/address/%s", fresh);
	j = get_json(path, F.key_screen);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "chain_stats"), "tx_count")), 0);
	json_decref(j);
	snprintf(path, sizeof path, "/api/address/%s/txs", fresh);
	j = get_json(path, F.key_screen);
	assert_int_equal(json_array_size(j), 0);
	json_decref(j);
}

static void test_errors(void **state)
{
	(void)state;
	static const struct {
		const char *path;
		int status;
		const char *code;
	} cases[] = {
		{ "/api/tx/xyz", 400, "bad_txid" },
		{ "/api/tx/00000000000000000000000000000000000000000000000000000000000000zz", 400, "bad_txid" },
		{ "/api/tx/123/outspends", 400, "bad_txid" },
		{ "/api/block/nothex", 400, "bad_hash" },
		{ "/api/block/0000000000000000000000000000000000000000000000000000000000000001", 404, "not_found" },
		{ "/api/block-height/99999", 404, "not_found" },
		{ "/api/block-height/-1", 400, "bad_height" },
		{ "/api/block-height/12x", 400, "bad_height" },
		/* BIP173 test vector with a broken checksum, and mainnet addresses on regtest. */
		{ "/api/address/bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt081", 400, "bad_address" },
		{ "/api/address/notanaddress", 400, "bad_address" },
		{ "/api/address/bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", 400, "wrong_network" },
		{ "/api/address/1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2/utxo", 400, "wrong_network" },
		{ "/api/address/bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4/txs", 400, "wrong_network" },
		{ "/api/address/bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080/txs/chain/xx", 400, "bad_txid" },
		{ "/api/nope", 404, "not_found" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct resp r;
		http("GET", cases[i].path, F.key_screen, NULL, &r);
		expect_error(&r, cases[i].status, cases[i].code);
		resp_free(&r);
	}
	struct resp r;
	http("POST", "/api/blocks/tip/height", F.key_screen, "{}", &r);
	expect_error(&r, 405, "method_not_allowed");
	resp_free(&r);
}

static void test_auth(void **state)
{
	(void)state;
	struct resp r;
	http("GET", "/api/blocks/tip/height", NULL, NULL, &r);
	expect_error(&r, 401, "unauthorized");
	resp_free(&r);
	http("GET", "/api/blocks/tip/height", "tlk_not_a_key", NULL, &r);
	expect_error(&r, 401, "unauthorized");
	resp_free(&r);
	/* Every role may call the lookup routes. */
	const char *keys[] = { F.key_screen, F.key_inv, F.key_admin };
	for (int i = 0; i < 3; i++) {
		char *t = get_text("/api/blocks/tip/height", keys[i]);
		free(t);
	}
	/* Health and metrics are public; metrics carry the index gauges. */
	json_t *h = get_json("/healthz", NULL);
	assert_string_equal(json_string_value(json_object_get(h, "status")), "ok");
	struct tl_tip tip;
	struct tl_err err;
	assert_int_equal(tl_store_tip(F.app->store, &tip, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(h, "height")), tip.height);
	json_decref(h);
	http("GET", "/metrics", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	char want[64];
	snprintf(want, sizeof want, "\ntl_index_height %d\n", tip.height);
	if (!strstr(r.body, want)) fail_msg("metrics lack '%s'", want + 1);
	assert_non_null(strstr(r.body, "tl_http_requests_total{route=\"/api/tx/:txid\",status=\"200\"}"));
	resp_free(&r);
}


/* ---------------- /v1: tags, heists, clusters ---------------- */

static char *read_text(const char *path)
{
	size_t n;
	uint8_t *b = tu_read_file(path, &n);
	char *s = realloc(b, n + 1);
	s[n] = '\0';
	return s;
}

static int heists_fn(struct tl_store *w, void *ctx, struct tl_err *err)
{
	struct tl_heist_import_report rep;
	return tl_heists_import(w, ctx, &rep, err);
}

static void test_v1_tags_heists_clusters(void **state)
{
	(void)state;
	char path[4200], url[512];
	snprintf(path, sizeof path, "%s/sim/tags.csv", F.dir);
	char *csv = read_text(path);
	/* Only admin keys may import. */
	struct resp r;
	http("POST", "/v1/tags", F.key_screen, csv, &r);
	expect_error(&r, 403, "forbidden");
	resp_free(&r);
	http("POST", "/v1/tags", F.key_inv, csv, &r);
	expect_error(&r, 403, "forbidden");
	resp_free(&r);
	http("POST", "/v1/tags?format=csv", F.key_admin, csv, &r);
	if (r.status != 200) fail_msg("import: %d %s", r.status, r.body);
	json_t *j = resp_json(&r);
	resp_free(&r);
	/* Independent count: the CSV's data lines. */
	size_t lines = 0;
	for (const char *c = csv; *c; c++) lines += *c == '\n';
	assert_int_equal(json_integer_value(json_object_get(j, "records")), lines - 1);
	assert_int_equal(json_integer_value(json_object_get(j, "stored")), lines - 1);
	json_decref(j);

	/* Every tagged address answers its rows of the CSV (checked for a few). */
	char *save = NULL, *copy = strdup(csv);
	int checked = 0;
	strtok_r(copy, "\n", &save); /* header */
	for (char *line; (line = strtok_r(NULL, "\n", &save)) && checked < 5; checked++) {
		char chain[64], addr[128], label[128], cat[64];
		if (sscanf(line, "%63[^,],%127[^,],%127[^,],%63[^,]", chain, addr, label, cat) != 4) continue;
		snprintf(url, sizeof url, "/v1/addresses/%s/tags", addr);
		j = get_json(url, F.key_screen);
		json_t *tags = json_object_get(j, "tags");
		int found = 0;
		size_t i;
		json_t *t;
		json_array_foreach(tags, i, t)
		{
			if (!strcmp(json_string_value(json_object_get(t, "label")), label) &&
			    !strcmp(json_string_value(json_object_get(t, "category")), cat))
				found = 1;
		}
		if (!found) fail_msg("%s: tag %s/%s missing: %s", addr, label, cat, json_dumps(j, 0));
		/* A seen address names its cluster; the cluster route agrees. */
		if (json_is_true(json_object_get(j, "seen"))) {
			json_t *c = json_object_get(j, "cluster");
			assert_non_null(c);
			snprintf(url, sizeof url, "/v1/clusters/%lld", (long long)json_integer_value(json_object_get(c, "id")));
			http("GET", url, F.key_screen, NULL, &r);
			expect_error(&r, 403, "forbidden");
			resp_free(&r);
			json_t *cl = get_json(url, F.key_inv);
			assert_true(json_array_size(json_object_get(cl, "tags")) >= 1);
			assert_true(json_integer_value(json_object_get(cl, "size")) >= 1);
			json_decref(cl);
		}
		json_decref(j);
	}
	assert_true(checked == 5);
	free(copy);
	free(csv);
	/* A fresh valid address has no tags; bad ones are 400. */
	j = get_json("/v1/addresses/bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080/tags", F.key_screen);
	assert_int_equal(json_array_size(json_object_get(j, "tags")), 0);
	json_decref(j);
	http("GET", "/v1/addresses/bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4/tags", F.key_screen, NULL, &r);
	expect_error(&r, 400, "wrong_network");
	resp_free(&r);
	http("GET", "/v1/clusters/abc", F.key_inv, NULL, &r);
	expect_error(&r, 400, "bad_cluster");
	resp_free(&r);
	http("GET", "/v1/clusters/999999999", F.key_inv, NULL, &r);
	expect_error(&r, 404, "not_found");
	resp_free(&r);
	/* An import that is not a tag file. */
	http("POST", "/v1/tags?format=nope", F.key_admin, "x", &r);
	expect_error(&r, 400, "bad_request");
	resp_free(&r);
	/* Its error names no file of the server (the body goes through a
	 * temporary file). */
	http("POST", "/v1/tags", F.key_admin, "not a tag file", &r);
	expect_error(&r, 400, "bad_tags");
	{
		json_t *e = resp_json(&r);
		const char *m = json_string_value(json_object_get(e, "message"));
		assert_non_null(m);
		assert_null(strchr(m, '/'));
		assert_null(strstr(m, "taintline-tags-"));
		json_decref(e);
	}
	resp_free(&r);
	/* Oversized body (over the 1 MiB default limit). */
	size_t big = (1u << 20) + 4096;
	char *huge = malloc(big + 1);
	memset(huge, 'a', big);
	huge[big] = '\0';
	http("POST", "/v1/tags", F.key_admin, huge, &r);
	expect_error(&r, 413, "body_too_large");
	resp_free(&r);
	free(huge);

	/* Heists: imported through the writer, listed as in heists.json. */
	snprintf(path, sizeof path, "%s/sim/heists.json", F.dir);
	struct tl_err err;
	if (tl_app_write(F.app, heists_fn, path, &err) < 0) fail_msg("heists: %s", err.msg);
	json_error_t je;
	json_t *truth = json_load_file(path, 0, &je);
	assert_non_null(truth);
	json_t *want = json_object_get(truth, "heists");
	j = get_json("/v1/heists", F.key_screen);
	json_t *got = json_object_get(j, "heists");
	assert_int_equal(json_array_size(got), json_array_size(want));
	size_t i;
	json_t *h;
	json_array_foreach(want, i, h)
	{
		const char *id = json_string_value(json_object_get(h, "id"));
		snprintf(url, sizeof url, "/v1/heists/%s", id);
		json_t *one = get_json(url, F.key_screen);
		assert_string_equal(json_string_value(json_object_get(one, "id")), id);
		assert_true(json_is_true(json_object_get(one, "traceable")));
		json_t *def = json_object_get(one, "definition");
		assert_string_equal(json_string_value(json_object_get(def, "name")),
				    json_string_value(json_object_get(h, "name")));
		json_decref(one);
	}
	json_decref(j);
	json_decref(truth);
	http("GET", "/v1/heists/no-such-heist", F.key_screen, NULL, &r);
	expect_error(&r, 404, "not_found");
	resp_free(&r);
}


/* Traces over HTTP: the same object as the library computes directly
 * with the same parameters, conserved totals, report formats, errors. */
static void check_conserved(json_t *res)
{
	json_t *t = json_object_get(res, "totals");
	json_int_t seeded = json_integer_value(json_object_get(t, "seeded_sat"));
	json_int_t sum = json_integer_value(json_object_get(t, "endpoints_sat")) +
			 json_integer_value(json_object_get(t, "holdings_sat")) +
			 json_integer_value(json_object_get(t, "fees_sat")) + json_integer_value(json_object_get(t, "cut_sat"));
	assert_true(seeded > 0);
	assert_int_equal(seeded, sum);
}

static void test_v1_trace(void **state)
{
	(void)state;
	struct resp r;
	const char *url = "/v1/heists/sim-heist-1/trace?policy=fifo&max_hops=20";
	http("GET", url, F.key_screen, NULL, &r);
	expect_error(&r, 403, "forbidden");
	resp_free(&r);
	json_t *got = get_json(url, F.key_inv);
	check_conserved(got);
	assert_string_equal(json_string_value(json_object_get(got, "policy")), "fifo");

	/* Second computation: the library directly, same heist and parameters. */
	struct tl_err err;
	struct tl_storegraph *sg;
	assert_int_equal(tl_storegraph_new(F.app->store, &sg, &err), 0);
	struct tl_heist_info hi;
	assert_int_equal(tl_heist_get(F.app->store, "sim-heist-1", &hi, &err), 1);
	struct tl_registry *reg;
	assert_int_equal(tl_heist_parse(&hi, &reg, &err), 0);
	free(hi.json);
	struct tl_trace_seeds ts;
	tl_trace_seeds_init(&ts);
	assert_int_equal(tl_trace_seeds_add_heist(sg, &reg->heists[0], &ts, &err), 0);
	struct tl_walk_params p;
	tl_walk_params_default(&p);
	p.policy = TL_POLICY_FIFO;
	p.max_hops = 20;
	p.min_sat = TL_TRACE_DEFAULT_MIN_SAT;
	p.max_tx = 200000;
	json_t *want = NULL;
	assert_int_equal(tl_trace_run(sg, &ts, &p, &want, &err), 0);
	if (!json_equal(json_object_get(want, "totals"), json_object_get(got, "totals")) ||
	    !json_equal(json_object_get(want, "graph"), json_object_get(got, "graph")))
		fail_msg("trace over HTTP differs from the library's");
	size_t nedges = json_array_size(json_object_get(json_object_get(got, "graph"), "edges"));
	assert_true(nedges > 0);

	/* The same seeds by outpoint in a POST body give the same flow. */
	json_t *body = json_pack("{s:[],s:s,s:i}", "seeds", "policy", "fifo", "max_hops", 20);
	json_t *so = json_object_get(want, "seed_outputs");
	size_t i;
	json_t *v;
	int partial = 0; /* seeds of part of an output cannot be given by outpoint */
	json_array_foreach(so, i, v)
	{
		json_t *op = json_object_get(v, "outpoint");
		if (!op) op = json_object_get(v, "txid");
		assert_true(json_is_string(op));
		json_array_append(json_object_get(body, "seeds"), op);
		partial |= json_object_get(v, "amount_sat") != NULL;
	}
	char *btext = json_dumps(body, JSON_COMPACT);
	http("POST", "/v1/trace", F.key_inv, btext, &r);
	if (r.status != 200) fail_msg("POST /v1/trace: %d %s", r.status, r.body);
	json_t *got2 = resp_json(&r);
	resp_free(&r);
	check_conserved(got2);
	if (!partial) assert_true(json_equal(json_object_get(want, "totals"), json_object_get(got2, "totals")));
	json_decref(got2);
	free(btext);
	json_decref(body);

	/* Reports: CSV has a header and one line per edge; DOT and HTML types. */
	http("GET", "/v1/heists/sim-heist-1/trace?policy=fifo&max_hops=20&format=csv", F.key_inv, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(hdr(&r, "Content-Type"), "text/csv");
	size_t lines = 0;
	for (size_t k = 0; k < r.blen; k++) lines += r.body[k] == '\n';
	if (r.blen && r.body[r.blen - 1] != '\n') lines++;
	assert_int_equal(lines, nedges + 1);
	resp_free(&r);
	http("GET", "/v1/heists/sim-heist-1/trace?format=dot", F.key_inv, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "digraph"));
	resp_free(&r);
	http("GET", "/v1/heists/sim-heist-1/trace?format=html", F.key_inv, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(hdr(&r, "Content-Type"), "text/html"));
	resp_free(&r);

	/* Too big: the cap answers 413 with how to narrow. */
	http("GET", "/v1/heists/sim-heist-1/trace?max_tx=1", F.key_inv, NULL, &r);
	expect_error(&r, 413, "limit_exceeded");
	json_t *e = resp_json(&r);
	assert_string_equal(json_string_value(json_object_get(e, "limit")), "trace_txs");
	assert_true(json_is_string(json_object_get(e, "narrow")));
	json_decref(e);
	resp_free(&r);

	/* Errors. */
	static const struct {
		const char *method, *path, *body;
		int status;
		const char *code;
	} cases[] = {
		{ "GET", "/v1/heists/nope/trace", NULL, 404, "not_found" },
		{ "GET", "/v1/heists/sim-heist-1/trace?policy=magic", NULL, 400, "bad_policy" },
		{ "GET", "/v1/heists/sim-heist-1/trace?max_hops=-3", NULL, 400, "bad_request" },
		{ "GET", "/v1/heists/sim-heist-1/trace?format=pdf", NULL, 400, "bad_request" },
		{ "POST", "/v1/trace", "{\"seeds\": [\"abc\"]}", 400, "bad_txid" },
		{ "POST", "/v1/trace", "{\"seeds\": [\"00000000000000000000000000000000000000000000000000000000000000aa\"]}",
		  404, "not_found" },
		{ "POST", "/v1/trace", "{\"seeds\": [", 400, "bad_json" },
		{ "POST", "/v1/trace", "[1,2]", 400, "bad_request" },
		{ "POST", "/v1/trace", "{}", 400, "bad_request" },
		{ "POST", "/v1/trace", "{\"address\": \"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4\"}", 400,
		  "wrong_network" },
		{ "POST", "/v1/trace", "{\"max_hops\": \"ten\", \"heist\": \"sim-heist-1\"}", 400, "bad_request" },
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		http(cases[k].method, cases[k].path, F.key_inv, cases[k].body, &r);
		expect_error(&r, cases[k].status, cases[k].code);
		resp_free(&r);
	}
	json_decref(want);
	json_decref(got);
	tl_trace_seeds_free(&ts);
	tl_registry_free(reg);
	tl_storegraph_free(sg);
}


static int rebuild_fn(struct tl_store *w, void *ctx, struct tl_err *err)
{
	(void)ctx;
	uint32_t done = 0, skipped = 0;
	if (tl_screen_rebuild(w, NULL, &done, &skipped, err) < 0) return -1;
	return done > 0 ? 0 : tl_err_set(err, "no heist materialized");
}

/* Screening: single and batch answers equal the library's verdicts; a
 * heist seed output is exposed; errors and the batch cap. */
static void test_v1_screen(void **state)
{
	(void)state;
	struct tl_err err;
	if (tl_app_write(F.app, rebuild_fn, NULL, &err) < 0) fail_msg("rebuild: %s", err.msg);
	struct tl_screen *sc;
	assert_int_equal(tl_screen_open(F.app->store, NULL, &sc, &err), 0);
	/* The first seed output of the heist, as the trace reports it. */
	json_t *tr = get_json("/v1/heists/sim-heist-1/trace?max_hops=1", F.key_inv);
	json_t *seed = json_array_get(json_object_get(tr, "seed_outputs"), 0);
	const char *op = json_string_value(json_object_get(seed, "outpoint"));
	char txid[65], outpoint[80], url[512];
	if (op) snprintf(outpoint, sizeof outpoint, "%s", op);
	else snprintf(outpoint, sizeof outpoint, "%s:0", json_string_value(json_object_get(seed, "txid")));
	memcpy(txid, outpoint, 64);
	txid[64] = '\0';
	json_decref(tr);

	snprintf(url, sizeof url, "/v1/screen?outpoint=%s", outpoint);
	json_t *got = get_json(url, F.key_screen);
	uint8_t h[32];
	assert_int_equal(tl_hash_from_hex(txid, h), 0);
	json_t *want = tl_screen_outpoint(sc, h, (uint32_t)atoi(outpoint + 65), &err);
	assert_non_null(want);
	assert_true(json_equal(got, want));
	assert_string_not_equal(json_string_value(json_object_get(got, "risk")), "none");
	assert_true(json_array_size(json_object_get(got, "exposures")) >= 1);
	json_decref(want);
	json_decref(got);

	snprintf(url, sizeof url, "/v1/screen?txid=%s", txid);
	got = get_json(url, F.key_screen);
	want = tl_screen_txid(sc, h, &err);
	assert_true(json_equal(got, want));
	json_decref(want);
	json_decref(got);

	/* Batch: same verdicts, in order, errors per item. */
	char body[1024];
	snprintf(body, sizeof body,
		 "{\"items\": [{\"outpoint\": \"%s\"}, {\"address\": \"bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080\"},"
		 " {\"txid\": \"%s\"}, {\"txid\": \"nothex\"}]}",
		 outpoint, txid);
	struct resp r;
	http("POST", "/v1/screen", F.key_screen, body, &r);
	if (r.status != 200) fail_msg("batch: %d %s", r.status, r.body);
	json_t *b = resp_json(&r);
	resp_free(&r);
	json_t *res = json_object_get(b, "results");
	assert_int_equal(json_array_size(res), 4);
	assert_int_equal(json_integer_value(json_object_get(b, "errors")), 1);
	want = tl_screen_address(sc, "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", &err);
	assert_true(json_equal(json_array_get(res, 1), want));
	assert_string_equal(json_string_value(json_object_get(want, "risk")), "none");
	json_decref(want);
	assert_string_equal(json_string_value(json_object_get(json_array_get(res, 3), "error")), "bad_txid");
	json_decref(b);

	/* Over 1000 items: 413 with how to narrow. */
	size_t cap = 1001 * 16 + 64;
	char *big = malloc(cap), *p = big;
	p += sprintf(p, "{\"items\": [");
	for (int i = 0; i < 1001; i++) p += sprintf(p, "%s{\"txid\":\"x\"}", i ? "," : "");
	sprintf(p, "]}");
	http("POST", "/v1/screen", F.key_screen, big, &r);
	expect_error(&r, 413, "limit_exceeded");
	resp_free(&r);
	free(big);

	static const struct {
		const char *method, *path, *body;
		int status;
		const char *code;
	} cases[] = {
		{ "GET", "/v1/screen", NULL, 400, "bad_request" },
		{ "GET", "/v1/screen?txid=12", NULL, 400, "bad_txid" },
		{ "GET", "/v1/screen?outpoint=zz:1", NULL, 400, "bad_txid" },
		{ "GET", "/v1/screen?address=bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", NULL, 400, "wrong_network" },
		{ "GET", "/v1/screen?address=bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt081", NULL, 400, "bad_address" },
		{ "GET", "/v1/screen?txid=00000000000000000000000000000000000000000000000000000000000000aa", NULL, 404,
		  "not_found" },
		{ "POST", "/v1/screen", "{\"items\": 3}", 400, "bad_request" },
		{ "POST", "/v1/screen", "{\"items\": [", 400, "bad_json" },
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		http(cases[k].method, cases[k].path, F.key_screen, cases[k].body, &r);
		expect_error(&r, cases[k].status, cases[k].code);
		resp_free(&r);
	}
	http("GET", "/v1/screen?txid=00", NULL, NULL, &r);
	expect_error(&r, 401, "unauthorized");
	resp_free(&r);
	tl_screen_close(sc);
}

/* ---------------- graceful shutdown and follow mode (own servers) ---------------- */

static void slow_handler(struct tl_api_req *req, void *ctx)
{
	(void)ctx;
	struct timespec ts = { 0, 400 * 1000000L };
	nanosleep(&ts, NULL);
	tl_api_reply_raw(req, 200, "text/plain", "done", 4);
}

struct inflight {
	uint16_t port;
	struct resp r;
	int rc;
};

static void *inflight_main(void *arg)
{
	struct inflight *x = arg;
	int fd = connect_port(x->port);
	x->rc = -1;
	if (fd < 0) return NULL;
	const char *req = "GET /test/slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	if (send_all(fd, req, strlen(req)) == 0) x->rc = read_response(fd, &x->r);
	close(fd);
	return NULL;
}

static void test_graceful_shutdown(void **state)
{
	(void)state;
	char *dir = tu_tmpdir("api_routes_stop");
	struct tl_serve_opts o;
	tl_serve_opts_default(&o);
	o.db_path = F.db;
	o.listen = "127.0.0.1:0";
	o.log = NULL;
	struct tl_app *app;
	struct tl_err err;
	if (tl_app_open(&o, &app, &err) < 0) fail_msg("open: %s", err.msg);
	/* A route that takes a while, registered before start (test only). */
	assert_int_equal(tl_api_route(app->srv, TL_GET, "/test/slow", TL_ROLE_PUBLIC, slow_handler, NULL, &err), 0);
	assert_int_equal(tl_app_start(app, &err), 0);
	struct inflight x = { .port = tl_app_port(app) };
	pthread_t th;
	pthread_create(&th, NULL, inflight_main, &x);
	struct timespec ts = { 0, 150 * 1000000L };
	nanosleep(&ts, NULL); /* the request is now in the handler */
	tl_app_stop(app);
	/* New connections are refused once stopping. */
	nanosleep(&ts, NULL);
	pthread_join(th, NULL);
	assert_int_equal(x.rc, 0);
	assert_int_equal(x.r.status, 200);
	assert_string_equal(x.r.body, "done");
	free(x.r.body);
	tl_app_close(app);
	/* The database is closed cleanly: a writer can open it. */
	struct tl_store *s;
	struct tl_store_opts so = { 0 };
	assert_int_equal(tl_store_open(F.db, &so, &s, &err), 0);
	tl_store_close(s);
	tu_rmrf(dir);
	free(dir);
}

/* Reads the tip hash of truth.json (the simulator's ground truth). */
static void truth_tip(const char *simdir, int *height, char hash[65])
{
	char p[4096];
	snprintf(p, sizeof p, "%s/truth.json", simdir);
	json_error_t e;
	json_t *t = json_load_file(p, 0, &e);
	if (!t) fail_msg("truth.json: %s", e.text);
	json_t *c = json_object_get(t, "chain");
	*height = (int)json_integer_value(json_object_get(c, "tip_height"));
	snprintf(hash, 65, "%s", json_string_value(json_object_get(c, "tip_hash")));
	json_decref(t);
}

static void test_follow(void **state)
{
	(void)state;
	char *dir = tu_tmpdir("api_routes_follow");
	char simdir[2048], blocks[4200], db[4200];
	snprintf(simdir, sizeof simdir, "%s/sim", dir);
	snprintf(blocks, sizeof blocks, "%s/blocks", simdir);
	snprintf(db, sizeof db, "%s/db", dir);
	cf_sim(simdir, 7, 125, 12, 1, false);
	struct tl_serve_opts o;
	tl_serve_opts_default(&o);
	o.db_path = db; /* does not exist yet: follow mode creates it */
	o.follow_dir = blocks;
	o.net = tl_net_params(TL_NET_REGTEST);
	o.listen = "127.0.0.1:0";
	o.poll_ms = 3600000; /* the test drives the follower itself */
	o.log = NULL;
	struct tl_app *app;
	struct tl_err err;
	if (tl_app_open(&o, &app, &err) < 0) fail_msg("open: %s", err.msg);
	assert_int_equal(tl_app_start(app, &err), 0);
	uint16_t saved = g_port;
	g_port = tl_app_port(app);
	int th;
	char hash[65];
	truth_tip(simdir, &th, hash);
	/* No keys file: loopback clients are served without a key. */
	char *t = get_text("/api/blocks/tip/height", NULL);
	assert_int_equal(atoi(t), th);
	free(t);
	/* A reorg 3 deep plus 2 more blocks appears in the blocks dir. */
	if (tl_sim_extend(simdir, 3, 2, NULL, NULL, NULL, &err) < 0) fail_msg("extend: %s", err.msg);
	int th2;
	char hash2[65];
	truth_tip(simdir, &th2, hash2);
	assert_int_equal(th2, th + 3);
	assert_string_not_equal(hash, hash2);
	assert_int_equal(tl_app_follow_once(app, &err), 0);
	t = get_text("/api/blocks/tip/height", NULL);
	assert_int_equal(atoi(t), th2);
	free(t);
	t = get_text("/api/blocks/tip/hash", NULL);
	assert_string_equal(t, hash2);
	free(t);
	/* The block replaced by the reorg is gone; its height names the new one. */
	char path[128];
	snprintf(path, sizeof path, "/api/block/%s", hash);
	struct resp r;
	http("GET", path, NULL, NULL, &r);
	expect_error(&r, 404, "not_found");
	resp_free(&r);
	json_t *h = get_json("/healthz", NULL);
	assert_int_equal(json_integer_value(json_object_get(h, "height")), th2);
	assert_int_equal(json_integer_value(json_object_get(h, "lag_blocks")), 0);
	json_decref(h);
	http("GET", "/metrics", NULL, NULL, &r);
	assert_non_null(strstr(r.body, "\ntl_index_lag_blocks 0\n"));
	resp_free(&r);
	g_port = saved;
	tl_app_close(app);
	tu_rmrf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocks),		 cmocka_unit_test(test_transactions), cmocka_unit_test(test_tx_scripts),
		cmocka_unit_test(test_address_and_paging), cmocka_unit_test(test_errors),
		cmocka_unit_test(test_auth),		 cmocka_unit_test(test_graceful_shutdown),
		cmocka_unit_test(test_follow),		 cmocka_unit_test(test_v1_tags_heists_clusters),
		cmocka_unit_test(test_v1_trace),		 cmocka_unit_test(test_v1_screen),
	};
	return tu_finish(cmocka_run_group_tests(tests, setup, teardown));
}
