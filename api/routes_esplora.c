/* /api/... routes in the Esplora REST conventions (field names and shapes
 * from store/esplora_json.h; plain-text answers where Esplora gives text).
 * Errors are the server's JSON errors with stable codes (Esplora itself
 * answers text bodies; clients switch on the status, which matches). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/http_json.h"
#include "api/serve.h"
#include "chain/address.h"
#include "chain/hash.h"
#include "store/esplora_json.h"

/* Esplora's page size for address histories and its UTXO cap. */
#define ESPLORA_TXS_PER_PAGE 25
#define ESPLORA_UTXO_LIMIT 500
#define ESPLORA_BLOCKS_PER_PAGE 10

static int reply_text(struct tl_api_req *req, const char *text)
{
	return tl_api_reply_raw(req, 200, "text/plain", text, strlen(text));
}

/* Sends a view built by store/esplora_json.c, or 500 when it failed. */
static void reply_view(struct tl_api_req *req, json_t *j, const struct tl_err *err)
{
	if (!j) tl_app_reply_store_error(req, err);
	else tl_api_reply_json(req, 200, j);
}

/* Parses a 64-hex-digit hash parameter; on failure replies 400 code. */
static int parse_hash(struct tl_api_req *req, const char *name, const char *code, uint8_t h[32])
{
	const char *s = tl_api_req_param(req, name);
	if (!s || strlen(s) != 64 || tl_hash_from_hex(s, h) < 0) {
		tl_api_reply_error(req, 400, code, "'%s' is not a %s (64 hex digits)", s ? s : "",
				   !strcmp(name, "txid") || !strcmp(name, "last_seen_txid") ? "txid" : "block hash");
		return -1;
	}
	return 0;
}

/* ---- blocks ---- */

/* The index tip; replies 500 or 404 (empty index) and returns -1. */
static int load_tip(struct tl_api_req *req, struct tl_app *app, struct tl_tip *tip)
{
	struct tl_err err;
	if (tl_store_tip(app->store, tip, &err) < 0) return tl_app_reply_store_error(req, &err);
	if (tip->height < 0) {
		tl_api_reply_error(req, 404, "not_found", "the index is empty");
		return -1;
	}
	return 0;
}

static void get_tip_height(struct tl_api_req *req, void *ctx)
{
	struct tl_tip tip;
	if (load_tip(req, ctx, &tip) < 0) return;
	char buf[16];
	snprintf(buf, sizeof buf, "%d", tip.height);
	reply_text(req, buf);
}

static void get_tip_hash(struct tl_api_req *req, void *ctx)
{
	struct tl_tip tip;
	if (load_tip(req, ctx, &tip) < 0) return;
	char hex[65];
	tl_hash_to_hex(tip.hash, hex);
	reply_text(req, hex);
}

static void get_block(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	uint8_t h[32];
	if (parse_hash(req, "hash", "bad_hash", h) < 0) return;
	struct tl_block_rec b;
	struct tl_err err;
	int r = tl_store_block_by_hash(app->store, h, &b, &err);
	if (r < 0) {
		tl_app_reply_store_error(req, &err);
		return;
	}
	if (r == 0) {
		tl_api_reply_error(req, 404, "not_found", "Block not found");
		return;
	}
	tl_api_reply_json(req, 200, tl_esplora_block(&b));
}

/* Parses a decimal height parameter (0 .. INT32_MAX); replies 400. */
static int parse_height(struct tl_api_req *req, const char *name, int32_t *out)
{
	const char *s = tl_api_req_param(req, name);
	char *end = NULL;
	long long v = s && *s >= '0' && *s <= '9' ? strtoll(s, &end, 10) : -1;
	if (!s || !end || *end || v < 0 || v > INT32_MAX) {
		tl_api_reply_error(req, 400, "bad_height", "'%s' is not a block height", s ? s : "");
		return -1;
	}
	*out = (int32_t)v;
	return 0;
}

static void get_block_height(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	int32_t height;
	if (parse_height(req, "height", &height) < 0) return;
	struct tl_block_rec b;
	struct tl_err err;
	int r = tl_store_block_by_height(app->store, height, &b, &err);
	if (r < 0) {
		tl_app_reply_store_error(req, &err);
		return;
	}
	if (r == 0) {
		tl_api_reply_error(req, 404, "not_found", "Block not found");
		return;
	}
	char hex[65];
	tl_hash_to_hex(b.hash, hex);
	reply_text(req, hex);
}

/* /api/blocks[/:start_height]: 10 blocks, descending. */
static void get_blocks(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	struct tl_tip tip;
	struct tl_err err;
	if (tl_store_tip(app->store, &tip, &err) < 0) {
		tl_app_reply_store_error(req, &err);
		return;
	}
	int32_t start = tip.height;
	if (tl_api_req_param(req, "start_height")) {
		if (parse_height(req, "start_height", &start) < 0) return;
		if (start > tip.height) start = tip.height;
	}
	json_t *a = json_array();
	for (int32_t h = start; h >= 0 && h > start - ESPLORA_BLOCKS_PER_PAGE; h--) {
		struct tl_block_rec b;
		int r = tl_store_block_by_height(app->store, h, &b, &err);
		if (r < 0) {
			json_decref(a);
			tl_app_reply_store_error(req, &err);
			return;
		}
		if (r == 0) break;
		json_array_append_new(a, tl_esplora_block(&b));
	}
	tl_api_reply_json(req, 200, a);
}

/* ---- transactions ---- */

/* Looks the txid parameter up; replies on failure and returns 0/-1. */
static int load_tx(struct tl_api_req *req, struct tl_app *app, struct tl_tx_rec *r)
{
	uint8_t txid[32];
	if (parse_hash(req, "txid", "bad_txid", txid) < 0) return -1;
	struct tl_err err;
	int rc = tl_store_tx_by_txid(app->store, txid, r, &err);
	if (rc < 0) {
		tl_app_reply_store_error(req, &err);
		return -1;
	}
	if (rc == 0) {
		tl_api_reply_error(req, 404, "not_found", "Transaction not found");
		return -1;
	}
	return 0;
}

static int reply_no_blocks(struct tl_api_req *req)
{
	return tl_api_reply_error(req, 503, "no_blocks_dir",
				  "full transactions are read from the blocks directory, which this server "
				  "does not know (start it with --blocks-dir)");
}

static void get_tx(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	struct tl_tx_rec r;
	if (load_tx(req, app, &r) < 0) return;
	struct tl_blkdir *d = tl_app_blkdir_get(app);
	if (!d) {
		tl_tx_rec_free(&r);
		reply_no_blocks(req);
		return;
	}
	struct tl_err err;
	json_t *j = tl_esplora_tx(app->store, d, &r, &err);
	tl_app_blkdir_put(app, d);
	tl_tx_rec_free(&r);
	reply_view(req, j, &err);
}

/* Esplora answers 200 {"confirmed": false} for an unknown txid here. */
static void get_tx_status(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	uint8_t txid[32];
	if (parse_hash(req, "txid", "bad_txid", txid) < 0) return;
	struct tl_err err;
	struct tl_tx_rec r;
	int rc = tl_store_tx_by_txid(app->store, txid, &r, &err);
	if (rc < 0) {
		tl_app_reply_store_error(req, &err);
		return;
	}
	if (rc == 0) {
		tl_api_reply_json(req, 200, json_pack("{s:b}", "confirmed", 0));
		return;
	}
	json_t *j = tl_esplora_status(app->store, r.height, &err);
	tl_tx_rec_free(&r);
	reply_view(req, j, &err);
}

static void get_tx_outspends(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	struct tl_tx_rec r;
	if (load_tx(req, app, &r) < 0) return;
	struct tl_err err;
	json_t *j = tl_esplora_outspends(app->store, &r, &err);
	tl_tx_rec_free(&r);
	reply_view(req, j, &err);
}

static void get_tx_outspend(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	const char *vs = tl_api_req_param(req, "vout");
	char *end = NULL;
	long long v = vs && *vs >= '0' && *vs <= '9' ? strtoll(vs, &end, 10) : -1;
	if (!end || *end || v < 0 || v > UINT32_MAX) {
		tl_api_reply_error(req, 400, "bad_vout", "'%s' is not an output index", vs ? vs : "");
		return;
	}
	struct tl_tx_rec r;
	if (load_tx(req, app, &r) < 0) return;
	if ((uint64_t)v >= r.n_out) {
		tl_api_reply_error(req, 404, "not_found", "the transaction has %u outputs", r.n_out);
		tl_tx_rec_free(&r);
		return;
	}
	struct tl_err err;
	json_t *all = tl_esplora_outspends(app->store, &r, &err);
	tl_tx_rec_free(&r);
	if (!all) {
		tl_app_reply_store_error(req, &err);
		return;
	}
	json_t *one = json_incref(json_array_get(all, (size_t)v));
	json_decref(all);
	tl_api_reply_json(req, 200, one);
}

/* ---- addresses ---- */

static void get_address(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	const char *addr = tl_api_req_param(req, "address");
	if (tl_app_check_address(req, app, addr) < 0) return;
	struct tl_err err;
	json_t *j = tl_esplora_address(app->store, addr, &err);
	reply_view(req, j, &err);
}

/* /txs, /txs/chain and /txs/chain/:last_seen_txid: 25 confirmed
 * transactions a page, newest first (there is no mempool). The cursor is
 * the path's last_seen_txid or the query's after_txid; one that is not in
 * the history answers []. */
static void get_address_txs(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	const char *addr = tl_api_req_param(req, "address");
	if (tl_app_check_address(req, app, addr) < 0) return;
	uint8_t last[32];
	int have_last = 0;
	if (tl_api_req_param(req, "last_seen_txid")) {
		if (parse_hash(req, "last_seen_txid", "bad_txid", last) < 0) return;
		have_last = 1;
	} else if (tl_api_req_query(req, "after_txid")) {
		/* The query form of the same cursor (mempool.space's clients
		 * page /txs with it). */
		const char *q = tl_api_req_query(req, "after_txid");
		if (strlen(q) != 64 || tl_hash_from_hex(q, last) < 0) {
			tl_api_reply_error(req, 400, "bad_txid", "after_txid '%s' is not a txid (64 hex digits)", q);
			return;
		}
		have_last = 1;
	}
	struct tl_blkdir *d = tl_app_blkdir_get(app);
	if (!d) {
		reply_no_blocks(req);
		return;
	}
	struct tl_err err;
	json_t *j = tl_esplora_address_txs(app->store, d, addr, have_last ? last : NULL, ESPLORA_TXS_PER_PAGE,
					   &err);
	tl_app_blkdir_put(app, d);
	reply_view(req, j, &err);
}

static void get_address_utxo(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	const char *addr = tl_api_req_param(req, "address");
	if (tl_app_check_address(req, app, addr) < 0) return;
	uint64_t id;
	struct tl_err err;
	int rc = tl_store_addr_id_of_string(app->store, addr, &id, &err);
	if (rc < 0) {
		tl_app_reply_store_error(req, &err);
		return;
	}
	if (rc == 1) {
		/* Count first (from the address's totals, no scan), to answer
		 * the cap with a clear error. */
		int n = tl_store_addr_utxos(app->store, id, NULL, 0, &err);
		if (n < 0) {
			tl_app_reply_store_error(req, &err);
			return;
		}
		if (n > ESPLORA_UTXO_LIMIT) {
			tl_api_reply_error_extra(
				req, 400, "too_many_utxos",
				json_pack("{s:s,s:i,s:i,s:s}", "limit", "utxos", "max", ESPLORA_UTXO_LIMIT, "count", n,
					  "narrow", "page through /api/address/:address/txs/chain instead"),
				"Too many history entries: the address has %d unspent outputs, over the limit of %d", n,
				ESPLORA_UTXO_LIMIT);
			return;
		}
	}
	json_t *j = tl_esplora_address_utxo(app->store, addr, ESPLORA_UTXO_LIMIT, &err);
	reply_view(req, j, &err);
}

int tl_routes_esplora(struct tl_app *app, struct tl_err *err)
{
	static const struct {
		const char *pattern;
		tl_api_handler fn;
	} routes[] = {
		{ "/api/blocks/tip/height", get_tip_height },
		{ "/api/blocks/tip/hash", get_tip_hash },
		{ "/api/blocks", get_blocks },
		{ "/api/blocks/:start_height", get_blocks },
		{ "/api/block/:hash", get_block },
		{ "/api/block-height/:height", get_block_height },
		{ "/api/tx/:txid", get_tx },
		{ "/api/tx/:txid/status", get_tx_status },
		{ "/api/tx/:txid/outspends", get_tx_outspends },
		{ "/api/tx/:txid/outspend/:vout", get_tx_outspend },
		{ "/api/address/:address", get_address },
		{ "/api/address/:address/txs", get_address_txs },
		{ "/api/address/:address/txs/chain", get_address_txs },
		{ "/api/address/:address/txs/chain/:last_seen_txid", get_address_txs },
		{ "/api/address/:address/utxo", get_address_utxo },
	};
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
		if (tl_api_route(app->srv, TL_GET, routes[i].pattern, TL_ROLE_SCREEN, routes[i].fn, app, err) < 0)
			return -1;
	return 0;
}
