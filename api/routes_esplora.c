/* /api/... routes in the Esplora REST conventions (field names and shapes
 * from store/esplora_json.h; plain-text answers where Esplora gives text,
 * binary ones for /raw). Errors are the server's JSON errors with stable
 * codes (Esplora itself answers text bodies; clients switch on the
 * status, which matches).
 *
 * Every route goes through dispatch(), which adds the CORS headers of
 * `serve --cors` and answers preflight requests. Successful answers carry
 * Cache-Control as electrs sets it: long for what a reorg can no longer
 * change (blocks CONF_FINAL deep, and the transactions in them), short
 * for the rest. There is no mempool: the mempool routes answer empty and
 * POST /tx answers 501. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/http_json.h"
#include "api/openapi.h"
#include "api/serve.h"
#include "bitcoin/address.h"
#include "bitcoin/hash.h"
#include "store/esplora_json.h"

/* Esplora's page size for address histories and its UTXO cap. */
#define ESPLORA_TXS_PER_PAGE 25
#define ESPLORA_UTXO_LIMIT 500
#define ESPLORA_BLOCKS_PER_PAGE 10
#define ESPLORA_BLOCK_TXS_PER_PAGE 25

/* electrs' cache lifetimes: a block this many confirmations deep is
 * final; final data may be cached for five years, the rest 10 s. */
#define CONF_FINAL 10
#define TTL_LONG 157784630
#define TTL_SHORT 10

static void cache_for(struct tl_api_req *req, int seconds)
{
	char v[48];
	snprintf(v, sizeof v, "public, max-age=%d", seconds);
	tl_api_req_set_header(req, "Cache-Control", v);
}

/* Cache-Control for data confirmed at height: long once it is CONF_FINAL
 * blocks deep (the tip counts as one), short before, and short when the
 * tip cannot be read (the answer is sent anyway). */
static void cache_for_height(struct tl_api_req *req, struct tl_app *app, int32_t height)
{
	struct tl_tip tip;
	struct tl_err err;
	int deep = tl_store_tip(app->store, &tip, &err) == 0 && tip.height >= height &&
		   tip.height - height + 1 >= CONF_FINAL;
	cache_for(req, deep ? TTL_LONG : TTL_SHORT);
}

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
	cache_for(req, TTL_SHORT);
	reply_text(req, buf);
}

static void get_tip_hash(struct tl_api_req *req, void *ctx)
{
	struct tl_tip tip;
	if (load_tip(req, ctx, &tip) < 0) return;
	char hex[65];
	tl_hash_to_hex(tip.hash, hex);
	cache_for(req, TTL_SHORT);
	reply_text(req, hex);
}

/* Looks the hash parameter up; replies 400/404/500 and returns -1. */
static int load_block(struct tl_api_req *req, struct tl_app *app, struct tl_block_rec *b)
{
	uint8_t h[32];
	if (parse_hash(req, "hash", "bad_hash", h) < 0) return -1;
	struct tl_err err;
	int r = tl_store_block_by_hash(app->store, h, b, &err);
	if (r < 0) return tl_app_reply_store_error(req, &err);
	if (r == 0) {
		tl_api_reply_error(req, 404, "not_found", "Block not found");
		return -1;
	}
	return 0;
}

static void get_block(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	struct tl_block_rec b;
	if (load_block(req, app, &b) < 0) return;
	cache_for_height(req, app, b.height);
	tl_api_reply_json(req, 200, tl_esplora_block(&b));
}

/* Esplora answers {"in_best_chain": false} for a hash it does not hold. */
static void get_block_status(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	uint8_t h[32];
	if (parse_hash(req, "hash", "bad_hash", h) < 0) return;
	struct tl_err err;
	json_t *j = tl_esplora_block_status(app->store, h, &err);
	if (j) cache_for(req, TTL_SHORT); /* next_best and in_best_chain change with the chain */
	reply_view(req, j, &err);
}

/* Parses an unsigned decimal parameter (0 .. max); replies 400 code. */
static int parse_uint(struct tl_api_req *req, const char *name, const char *code, const char *what, long long max,
		      long long *out)
{
	const char *s = tl_api_req_param(req, name);
	char *end = NULL;
	long long v = s && *s >= '0' && *s <= '9' && strlen(s) <= 12 ? strtoll(s, &end, 10) : -1;
	if (!s || !end || *end || v < 0 || v > max) {
		tl_api_reply_error(req, 400, code, "'%s' is not %s", s ? s : "", what);
		return -1;
	}
	*out = v;
	return 0;
}

static void reply_no_blocks(struct tl_api_req *req)
{
	tl_api_reply_error(req, 503, "no_blocks_dir",
			   "full transactions are read from the blocks directory, which this server "
			   "does not know (start it with --blocks-dir)");
}

/* /block/:hash/txs[/:start_index]: 25 transactions from start_index,
 * which must be a multiple of 25 (as electrs). */
static void get_block_txs(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	long long start = 0;
	if (tl_api_req_param(req, "start_index") &&
	    parse_uint(req, "start_index", "bad_start_index", "a transaction index", UINT32_MAX, &start) < 0)
		return;
	if (start % ESPLORA_BLOCK_TXS_PER_PAGE) {
		tl_api_reply_error(req, 400, "bad_start_index", "start index %lld is not a multiple of %d", start,
				   ESPLORA_BLOCK_TXS_PER_PAGE);
		return;
	}
	struct tl_block_rec b;
	if (load_block(req, app, &b) < 0) return;
	if (start >= b.n_tx) {
		tl_api_reply_error(req, 404, "not_found", "start index %lld is past the block's %u transactions", start,
				   b.n_tx);
		return;
	}
	struct tl_blkdir *d = tl_app_blkdir_get(app);
	if (!d) {
		reply_no_blocks(req);
		return;
	}
	struct tl_err err;
	json_t *j = tl_esplora_block_txs(app->store, d, &b, (uint32_t)start, ESPLORA_BLOCK_TXS_PER_PAGE, &err);
	tl_app_blkdir_put(app, d);
	if (j) cache_for_height(req, app, b.height);
	reply_view(req, j, &err);
}

static void get_block_txids(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	struct tl_block_rec b;
	if (load_block(req, app, &b) < 0) return;
	uint8_t(*ids)[32];
	struct tl_err err;
	if (tl_esplora_block_txids(app->store, &b, &ids, &err) < 0) {
		tl_app_reply_store_error(req, &err);
		return;
	}
	json_t *a = json_array();
	for (uint32_t i = 0; i < b.n_tx; i++) {
		char hex[65];
		tl_hash_to_hex(ids[i], hex);
		json_array_append_new(a, json_string(hex));
	}
	free(ids);
	cache_for_height(req, app, b.height);
	tl_api_reply_json(req, 200, a);
}

static void get_block_txid(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	long long index;
	if (parse_uint(req, "index", "bad_index", "a transaction index", UINT32_MAX, &index) < 0) return;
	struct tl_block_rec b;
	if (load_block(req, app, &b) < 0) return;
	if (index >= b.n_tx) {
		tl_api_reply_error(req, 404, "not_found", "the block has %u transactions", b.n_tx);
		return;
	}
	struct tl_tx_rec r;
	struct tl_err err;
	int rc = tl_store_tx(app->store, b.first_tx_num + (uint64_t)index, &r, &err);
	if (rc != 1) {
		if (rc == 0) tl_err_set(&err, "transaction %lld of block %d missing from the index", index, b.height);
		tl_app_reply_store_error(req, &err);
		return;
	}
	char hex[65];
	tl_hash_to_hex(r.txid, hex);
	tl_tx_rec_free(&r);
	cache_for_height(req, app, b.height);
	reply_text(req, hex);
}

/* /block/:hash/raw, or with header_only its 80 header bytes as hex
 * (/block/:hash/header). */
static void block_bytes(struct tl_api_req *req, struct tl_app *app, int header_only)
{
	struct tl_block_rec b;
	if (load_block(req, app, &b) < 0) return;
	struct tl_blkdir *d = tl_app_blkdir_get(app);
	if (!d) {
		reply_no_blocks(req);
		return;
	}
	uint8_t *raw;
	struct tl_err err;
	int rc = tl_esplora_block_raw(d, &b, &raw, &err);
	tl_app_blkdir_put(app, d);
	if (rc < 0) {
		tl_app_reply_store_error(req, &err);
		return;
	}
	cache_for_height(req, app, b.height);
	if (header_only) {
		char hex[161];
		tl_hex_encode(raw, 80, hex);
		reply_text(req, hex);
	} else {
		tl_api_reply_raw(req, 200, "application/octet-stream", raw, b.size);
	}
	free(raw);
}

static void get_block_raw(struct tl_api_req *req, void *ctx)
{
	block_bytes(req, ctx, 0);
}

static void get_block_header(struct tl_api_req *req, void *ctx)
{
	block_bytes(req, ctx, 1);
}

/* Parses a decimal height parameter (0 .. INT32_MAX); replies 400. */
static int parse_height(struct tl_api_req *req, const char *name, int32_t *out)
{
	long long v;
	if (parse_uint(req, name, "bad_height", "a block height", INT32_MAX, &v) < 0) return -1;
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
	cache_for_height(req, app, b.height);
	reply_text(req, hex);
}

/* /api/blocks[/:start_height]: 10 blocks, descending; a start above the
 * tip is 404 (electrs). */
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
		if (start > tip.height) {
			tl_api_reply_error(req, 404, "not_found", "height %d is above the tip (%d)", start, tip.height);
			return;
		}
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
	cache_for(req, TTL_SHORT);
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
	if (j) cache_for_height(req, app, r.height);
	tl_tx_rec_free(&r);
	reply_view(req, j, &err);
}

/* /tx/:txid/hex (text) or /tx/:txid/raw (binary): the bytes as the
 * block holds them (with witnesses). */
static void tx_bytes(struct tl_api_req *req, struct tl_app *app, int hex)
{
	struct tl_tx_rec r;
	if (load_tx(req, app, &r) < 0) return;
	struct tl_blkdir *d = tl_app_blkdir_get(app);
	if (!d) {
		tl_tx_rec_free(&r);
		reply_no_blocks(req);
		return;
	}
	struct tl_rawtx t;
	struct tl_err err;
	int rc = tl_store_rawtx(app->store, d, &r, &t, &err);
	tl_app_blkdir_put(app, d);
	if (rc < 0) {
		tl_tx_rec_free(&r);
		tl_app_reply_store_error(req, &err);
		return;
	}
	cache_for_height(req, app, r.height);
	if (hex) {
		char *h = malloc(2 * (size_t)r.size + 1);
		if (!h) abort();
		tl_hex_encode(t.bytes, r.size, h);
		reply_text(req, h);
		free(h);
	} else {
		tl_api_reply_raw(req, 200, "application/octet-stream", t.bytes, r.size);
	}
	tl_rawtx_free(&t);
	tl_tx_rec_free(&r);
}

static void get_tx_hex(struct tl_api_req *req, void *ctx)
{
	tx_bytes(req, ctx, 1);
}

static void get_tx_raw(struct tl_api_req *req, void *ctx)
{
	tx_bytes(req, ctx, 0);
}

static void get_tx_merkle_proof(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	struct tl_tx_rec r;
	if (load_tx(req, app, &r) < 0) return;
	struct tl_err err;
	json_t *j = tl_esplora_merkle_proof(app->store, &r, &err);
	if (j) cache_for_height(req, app, r.height);
	tl_tx_rec_free(&r);
	reply_view(req, j, &err);
}

static void get_tx_merkleblock_proof(struct tl_api_req *req, void *ctx)
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
	char *hex = tl_esplora_merkleblock_hex(app->store, d, &r, &err);
	tl_app_blkdir_put(app, d);
	if (!hex) {
		tl_app_reply_store_error(req, &err);
	} else {
		cache_for_height(req, app, r.height);
		reply_text(req, hex);
		free(hex);
	}
	tl_tx_rec_free(&r);
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
		cache_for(req, TTL_SHORT);
		tl_api_reply_json(req, 200, json_pack("{s:b}", "confirmed", 0));
		return;
	}
	json_t *j = tl_esplora_status(app->store, r.height, &err);
	if (j) cache_for_height(req, app, r.height);
	tl_tx_rec_free(&r);
	reply_view(req, j, &err);
}

/* Spends can still come: outspends are short-lived in caches. */
static void get_tx_outspends(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	struct tl_tx_rec r;
	if (load_tx(req, app, &r) < 0) return;
	struct tl_err err;
	json_t *j = tl_esplora_outspends(app->store, &r, &err);
	tl_tx_rec_free(&r);
	if (j) cache_for(req, TTL_SHORT);
	reply_view(req, j, &err);
}

/* An output the index does not hold (unknown txid, index past the
 * outputs) is unspent as far as it knows: {"spent": false}, as electrs. */
static void get_tx_outspend(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	uint8_t txid[32];
	if (parse_hash(req, "txid", "bad_txid", txid) < 0) return;
	long long v;
	if (parse_uint(req, "vout", "bad_vout", "an output index", UINT32_MAX, &v) < 0) return;
	struct tl_tx_rec r;
	struct tl_err err;
	int rc = tl_store_tx_by_txid(app->store, txid, &r, &err);
	if (rc < 0) {
		tl_app_reply_store_error(req, &err);
		return;
	}
	if (rc == 0 || (uint64_t)v >= r.n_out) {
		if (rc == 1) tl_tx_rec_free(&r);
		cache_for(req, TTL_SHORT);
		tl_api_reply_json(req, 200, json_pack("{s:b}", "spent", 0));
		return;
	}
	json_t *all = tl_esplora_outspends(app->store, &r, &err);
	tl_tx_rec_free(&r);
	if (!all) {
		tl_app_reply_store_error(req, &err);
		return;
	}
	json_t *one = json_incref(json_array_get(all, (size_t)v));
	json_decref(all);
	cache_for(req, TTL_SHORT);
	tl_api_reply_json(req, 200, one);
}

static void post_tx(struct tl_api_req *req, void *ctx)
{
	(void)ctx;
	tl_api_reply_error(req, 501, "not_implemented",
			   "this server indexes confirmed blocks and has no connection to the network: it does not "
			   "broadcast transactions (send them through a Bitcoin node)");
}

/* ---- addresses and scripthashes ---- */

/* The subject of an /address/:address or /scripthash/:hash route. */
struct owner {
	const char *address; /* NULL for a scripthash */
	uint8_t sh[32];      /* SHA-256 order */
};

/* Reads and checks the subject; replies 400 and returns -1 when bad. */
static int load_owner(struct tl_api_req *req, struct tl_app *app, struct owner *o)
{
	o->address = tl_api_req_param(req, "address");
	if (o->address) return tl_app_check_address(req, app, o->address);
	const char *h = tl_api_req_param(req, "hash");
	if (!h || strlen(h) != 64 || tl_hash_from_hex(h, o->sh) < 0) {
		tl_api_reply_error(req, 400, "bad_scripthash",
				   "'%s' is not a scripthash (SHA-256 of a scriptPubKey, 64 hex digits, reversed)",
				   h ? h : "");
		return -1;
	}
	return 0;
}

static void get_address(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	struct owner o;
	if (load_owner(req, app, &o) < 0) return;
	struct tl_err err;
	json_t *j = o.address ? tl_esplora_address(app->store, o.address, &err) : tl_esplora_scripthash(app->store, o.sh, &err);
	if (j) cache_for(req, TTL_SHORT);
	reply_view(req, j, &err);
}

/* /txs, /txs/chain and /txs/chain/:last_seen_txid: 25 confirmed
 * transactions a page, newest first (there is no mempool). The cursor is
 * the path's last_seen_txid or the query's after_txid; one that is not in
 * the history answers []. */
static void get_address_txs(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	struct owner o;
	if (load_owner(req, app, &o) < 0) return;
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
	const uint8_t *cursor = have_last ? last : NULL;
	json_t *j = o.address ? tl_esplora_address_txs(app->store, d, o.address, cursor, ESPLORA_TXS_PER_PAGE, &err)
			      : tl_esplora_scripthash_txs(app->store, d, o.sh, cursor, ESPLORA_TXS_PER_PAGE, &err);
	tl_app_blkdir_put(app, d);
	if (j) cache_for(req, TTL_SHORT);
	reply_view(req, j, &err);
}

/* No mempool: unconfirmed transactions are none. */
static void get_address_txs_mempool(struct tl_api_req *req, void *ctx)
{
	struct owner o;
	if (load_owner(req, ctx, &o) < 0) return;
	cache_for(req, TTL_SHORT);
	tl_api_reply_json(req, 200, json_array());
}

static void get_address_utxo(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	struct owner o;
	if (load_owner(req, app, &o) < 0) return;
	uint64_t id;
	struct tl_err err;
	int rc = o.address ? tl_store_addr_id_of_string(app->store, o.address, &id, &err)
			   : tl_store_addr_id_of_scripthash(app->store, o.sh, &id, &err);
	if (rc < 0) {
		tl_app_reply_store_error(req, &err);
		return;
	}
	if (rc == 1) {
		/* Count first (from the owner's totals, no scan), to answer
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
					  "narrow", "page through /txs/chain instead"),
				"Too many history entries: the address has %d unspent outputs, over the limit of %d", n,
				ESPLORA_UTXO_LIMIT);
			return;
		}
	}
	json_t *j = o.address ? tl_esplora_address_utxo(app->store, o.address, ESPLORA_UTXO_LIMIT, &err)
			      : tl_esplora_scripthash_utxo(app->store, o.sh, ESPLORA_UTXO_LIMIT, &err);
	if (j) cache_for(req, TTL_SHORT);
	reply_view(req, j, &err);
}

/* ---- mempool: none yet, so empty answers of Esplora's shapes ---- */

static void get_mempool(struct tl_api_req *req, void *ctx)
{
	(void)ctx;
	cache_for(req, TTL_SHORT);
	tl_api_reply_json(req, 200,
			  json_pack("{s:i,s:i,s:i,s:[]}", "count", 0, "vsize", 0, "total_fee", 0, "fee_histogram"));
}

static void get_mempool_list(struct tl_api_req *req, void *ctx)
{
	(void)ctx;
	cache_for(req, TTL_SHORT);
	tl_api_reply_json(req, 200, json_array());
}

/* ---- the route table, CORS and preflight ---- */

static const struct esplora_route {
	unsigned methods;
	const char *pattern;
	tl_api_handler fn;
} ROUTES[] = {
	{ TL_GET, "/api/blocks/tip/height", get_tip_height },
	{ TL_GET, "/api/blocks/tip/hash", get_tip_hash },
	{ TL_GET, "/api/blocks", get_blocks },
	{ TL_GET, "/api/blocks/:start_height", get_blocks },
	{ TL_GET, "/api/block/:hash", get_block },
	{ TL_GET, "/api/block/:hash/status", get_block_status },
	{ TL_GET, "/api/block/:hash/txs", get_block_txs },
	{ TL_GET, "/api/block/:hash/txs/:start_index", get_block_txs },
	{ TL_GET, "/api/block/:hash/txids", get_block_txids },
	{ TL_GET, "/api/block/:hash/txid/:index", get_block_txid },
	{ TL_GET, "/api/block/:hash/header", get_block_header },
	{ TL_GET, "/api/block/:hash/raw", get_block_raw },
	{ TL_GET, "/api/block-height/:height", get_block_height },
	/* mempool.space's backend paths for the same answers, which its
	 * client library (mempool.js) calls for blocks. */
	{ TL_GET, "/api/v1/block/:hash", get_block },
	{ TL_GET, "/api/v1/blocks", get_blocks },
	{ TL_GET, "/api/v1/blocks/:start_height", get_blocks },
	{ TL_POST, "/api/tx", post_tx },
	{ TL_GET, "/api/tx/:txid", get_tx },
	{ TL_GET, "/api/tx/:txid/status", get_tx_status },
	{ TL_GET, "/api/tx/:txid/hex", get_tx_hex },
	{ TL_GET, "/api/tx/:txid/raw", get_tx_raw },
	{ TL_GET, "/api/tx/:txid/merkle-proof", get_tx_merkle_proof },
	{ TL_GET, "/api/tx/:txid/merkleblock-proof", get_tx_merkleblock_proof },
	{ TL_GET, "/api/tx/:txid/outspends", get_tx_outspends },
	{ TL_GET, "/api/tx/:txid/outspend/:vout", get_tx_outspend },
	{ TL_GET, "/api/address/:address", get_address },
	{ TL_GET, "/api/address/:address/txs", get_address_txs },
	{ TL_GET, "/api/address/:address/txs/chain", get_address_txs },
	{ TL_GET, "/api/address/:address/txs/chain/:last_seen_txid", get_address_txs },
	{ TL_GET, "/api/address/:address/txs/mempool", get_address_txs_mempool },
	{ TL_GET, "/api/address/:address/utxo", get_address_utxo },
	{ TL_GET, "/api/scripthash/:hash", get_address },
	{ TL_GET, "/api/scripthash/:hash/txs", get_address_txs },
	{ TL_GET, "/api/scripthash/:hash/txs/chain", get_address_txs },
	{ TL_GET, "/api/scripthash/:hash/txs/chain/:last_seen_txid", get_address_txs },
	{ TL_GET, "/api/scripthash/:hash/txs/mempool", get_address_txs_mempool },
	{ TL_GET, "/api/scripthash/:hash/utxo", get_address_utxo },
	{ TL_GET, "/api/mempool", get_mempool },
	{ TL_GET, "/api/mempool/txids", get_mempool_list },
	{ TL_GET, "/api/mempool/recent", get_mempool_list },
};

/* Whether origin is one of the comma-separated list. */
static int origin_listed(const char *list, const char *origin)
{
	size_t n = strlen(origin);
	for (const char *p = list; *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		while (len && *p == ' ') p++, len--;
		while (len && p[len - 1] == ' ') len--;
		if (len == n && !memcmp(p, origin, n)) return 1;
		if (!e) break;
		p = e + 1;
	}
	return 0;
}

/* CORS (serve --cors ORIGINS: "*" or a comma-separated list of
 * origins): allows the request's Origin when listed, on every answer
 * (errors included, so that a browser client can read them). */
static void add_cors(struct tl_api_req *req, const char *cors)
{
	if (!strcmp(cors, "*")) {
		tl_api_req_set_header(req, "Access-Control-Allow-Origin", "*");
		return;
	}
	tl_api_req_set_header(req, "Vary", "Origin");
	const char *origin = tl_api_req_header(req, "Origin");
	if (origin && origin_listed(cors, origin)) tl_api_req_set_header(req, "Access-Control-Allow-Origin", origin);
}

static void dispatch(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	const char *cors = app->opts.cors;
	if (cors) add_cors(req, cors);
	const char *pattern = tl_api_req_route(req);
	const struct esplora_route *rt = NULL;
	for (size_t i = 0; i < sizeof ROUTES / sizeof ROUTES[0] && !rt; i++)
		if (!strcmp(ROUTES[i].pattern, pattern)) rt = &ROUTES[i];
	if (!rt) {
		tl_api_reply_error(req, 404, "not_found", "no such route");
		return;
	}
	if (tl_api_req_method(req) == TL_OPTIONS) {
		/* A preflight: registered only with --cors. */
		tl_api_req_set_header(req, "Access-Control-Allow-Methods",
				      rt->methods & TL_POST ? "POST, OPTIONS" : "GET, HEAD, OPTIONS");
		tl_api_req_set_header(req, "Access-Control-Allow-Headers", "Authorization, Content-Type");
		tl_api_req_set_header(req, "Access-Control-Max-Age", "600");
		tl_api_reply_raw(req, 204, NULL, NULL, 0);
		return;
	}
	rt->fn(req, app);
}

int tl_routes_esplora(struct tl_app *app, struct tl_err *err)
{
	/* The contract describing these routes (and the others) comes with
	 * them. */
	if (tl_routes_openapi(app, err) < 0) return -1;
	for (size_t i = 0; i < sizeof ROUTES / sizeof ROUTES[0]; i++) {
		if (tl_api_route(app->srv, ROUTES[i].methods, ROUTES[i].pattern, TL_ROLE_SCREEN, dispatch, app, err) < 0)
			return -1;
		/* Browsers send preflights without credentials. */
		if (app->opts.cors &&
		    tl_api_route(app->srv, TL_OPTIONS, ROUTES[i].pattern, TL_ROLE_PUBLIC, dispatch, app, err) < 0)
			return -1;
	}
	return 0;
}

const char *tl_esplora_route_pattern(size_t i)
{
	return i < sizeof ROUTES / sizeof ROUTES[0] ? ROUTES[i].pattern : NULL;
}
