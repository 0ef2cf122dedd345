/* The Esplora routes against a hand-built regtest chain whose every byte
 * the test wrote: one address with a 1,003-transaction history (paging
 * checked against the store's own list), blocks of 1, 3 and 51
 * transactions (raw bytes, headers, txids and merkle proofs checked
 * against the blocks as built and a merkle root recomputed here), and the
 * answers Esplora gives where there is nothing to find. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "api/serve.h"
#include "bitcoin/address.h"
#include "base/bytes.h"
#include "bitcoin/hash.h"
#include "bitcoin/network.h"
#include "bitcoin/tx.h"
#include "store/store.h"
#include "tests/chainfix.h"
#include "tests/httpc.h"
#include "tests/testutil.h"

#include "tests/esplora_chain.h"

/* ---- HTTP helpers ---- */

static void get(const char *path, struct resp *r)
{
	if (http_do(F.port, "GET", path, NULL, NULL, 0, r) < 0) fail_msg("GET %s: no response", path);
}

static json_t *get_json(const char *path)
{
	struct resp r;
	get(path, &r);
	if (r.status != 200) fail_msg("GET %s: %d %s", path, r.status, r.body);
	assert_string_equal(hdr(&r, "Content-Type"), "application/json");
	json_t *v = resp_json(&r);
	resp_free(&r);
	return v;
}

/* ---- paging ---- */

/* Pages through addr's history with the cursor in the query (after_txid)
 * or in the path (/txs/chain/:last_seen_txid), checking each entry
 * against want[] in order: no repeat, no gap. A server that ignored the
 * cursor would answer the first page again: the page count is bounded so
 * that the test fails instead of looping. */
static void page_through(const char *addr, int in_query, uint8_t (*want)[32], size_t nwant)
{
	size_t seen = 0;
	char last[65] = "", path[512];
	size_t max_pages = nwant / 25 + 2;
	for (size_t page = 0;; page++) {
		if (page >= max_pages) fail_msg("still paging after %zu pages: the cursor is not honoured", page);
		if (!last[0]) snprintf(path, sizeof path, "/api/address/%s/txs", addr);
		else if (in_query) snprintf(path, sizeof path, "/api/address/%s/txs?after_txid=%s", addr, last);
		else snprintf(path, sizeof path, "/api/address/%s/txs/chain/%s", addr, last);
		json_t *j = get_json(path);
		size_t n = json_array_size(j);
		assert_true(n <= 25);
		for (size_t i = 0; i < n; i++) {
			const char *got = json_string_value(json_object_get(json_array_get(j, i), "txid"));
			assert_non_null(got);
			if (seen >= nwant) fail_msg("%s: more entries than the store lists (%zu)", path, nwant);
			char hex[65];
			tl_hash_to_hex(want[seen], hex);
			if (strcmp(got, hex)) fail_msg("%s: entry %zu is %s, the store lists %s", path, seen, got, hex);
			snprintf(last, sizeof last, "%s", got);
			seen++;
		}
		json_decref(j);
		if (n < 25) break;
	}
	assert_int_equal(seen, nwant);
}

static void test_paging_after_txid(void **state)
{
	(void)state;
	uint8_t(*want)[32];
	size_t n = store_history(F.addr_a, &want);
	/* The coinbase of height 1 and every chain transaction. */
	assert_int_equal(n, 1 + CHAIN_TXS_BLOCKS * CHAIN_TXS_PER_BLOCK + 2);
	page_through(F.addr_a, 1, want, n);
	page_through(F.addr_a, 0, want, n);
	free(want);

	char path[512];
	/* An unknown cursor, and a txid outside this history (B's coinbase),
	 * end the listing: []. */
	static const char *const unknown = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";
	char other[65];
	tl_hash_to_hex(F.blk[22].ids[0], other);
	const char *cursors[] = { unknown, other };
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "/api/address/%s/txs/chain/%s", F.addr_a, cursors[i]);
		json_t *j = get_json(path);
		assert_int_equal(json_array_size(j), 0);
		json_decref(j);
		snprintf(path, sizeof path, "/api/address/%s/txs?after_txid=%s", F.addr_a, cursors[i]);
		j = get_json(path);
		assert_int_equal(json_array_size(j), 0);
		json_decref(j);
	}
	/* A malformed cursor is a 400, not the first page. */
	struct resp r;
	snprintf(path, sizeof path, "/api/address/%s/txs?after_txid=nothex", F.addr_a);
	get(path, &r);
	expect_error(&r, 400, "bad_txid");
	resp_free(&r);
}

/* ---- blocks ---- */

static char *get_text(const char *path)
{
	struct resp r;
	get(path, &r);
	if (r.status != 200) fail_msg("GET %s: %d %s", path, r.status, r.body);
	assert_string_equal(hdr(&r, "Content-Type"), "text/plain");
	return r.body;
}

static void hex_of(const uint8_t *p, size_t n, char *out)
{
	tl_hex_encode(p, n, out);
}

/* A merkle root recomputed here the naive way: a fresh array per level,
 * the last node paired with itself. */
static void naive_root(uint8_t (*ids)[32], size_t n, uint8_t root[32])
{
	uint8_t(*lv)[32] = malloc(n * 32);
	memcpy(lv, ids, n * 32);
	while (n > 1) {
		size_t m = (n + 1) / 2;
		uint8_t(*up)[32] = malloc(m * 32);
		for (size_t i = 0; i < m; i++) {
			uint8_t pair[64];
			memcpy(pair, lv[2 * i], 32);
			memcpy(pair + 32, lv[2 * i + 1 < n ? 2 * i + 1 : 2 * i], 32);
			tl_sha256d(pair, 64, up[i]);
		}
		free(lv);
		lv = up;
		n = m;
	}
	memcpy(root, lv[0], 32);
	free(lv);
}

static const char *cache_control(const char *path)
{
	struct resp r;
	get(path, &r);
	if (r.status != 200) fail_msg("GET %s: %d", path, r.status);
	static char v[128];
	const char *h = hdr(&r, "Cache-Control");
	snprintf(v, sizeof v, "%s", h ? h : "(none)");
	resp_free(&r);
	return v;
}

static void test_block_routes(void **state)
{
	(void)state;
	static const int heights[] = { 0, 1, 2, 21, 22, 23, TIP_HEIGHT };
	char path[512], hash[65], want[256];
	for (size_t k = 0; k < sizeof heights / sizeof heights[0]; k++) {
		int h = heights[k];
		struct built_block *bb = &F.blk[h];
		const uint8_t *bytes = F.file.data + bb->data_off;
		tl_hash_to_hex(bb->hash, hash);
		/* raw: the bytes written to the blk file. */
		struct resp r;
		snprintf(path, sizeof path, "/api/block/%s/raw", hash);
		get(path, &r);
		assert_int_equal(r.status, 200);
		assert_string_equal(hdr(&r, "Content-Type"), "application/octet-stream");
		assert_int_equal(r.blen, bb->size);
		assert_memory_equal(r.body, bytes, bb->size);
		resp_free(&r);
		/* header: its first 80 bytes in hex. */
		snprintf(path, sizeof path, "/api/block/%s/header", hash);
		char *t = get_text(path);
		hex_of(bytes, 80, want);
		assert_string_equal(t, want);
		free(t);
		if (h == 0) continue; /* the genesis block was not built by mine() */
		/* txids in block order, and each by index. */
		snprintf(path, sizeof path, "/api/block/%s/txids", hash);
		json_t *ids = get_json(path);
		assert_int_equal(json_array_size(ids), bb->n);
		for (size_t i = 0; i < bb->n; i++) {
			tl_hash_to_hex(bb->ids[i], want);
			assert_string_equal(json_string_value(json_array_get(ids, i)), want);
			if (i % 10 == 0 || i + 1 == bb->n) {
				snprintf(path, sizeof path, "/api/block/%s/txid/%zu", hash, i);
				t = get_text(path);
				assert_string_equal(t, want);
				free(t);
			}
		}
		json_decref(ids);
		snprintf(path, sizeof path, "/api/block/%s/txid/%zu", hash, bb->n);
		get(path, &r);
		expect_error(&r, 404, "not_found");
		resp_free(&r);
		/* txs in pages of 25 from start_index. */
		size_t seen = 0;
		for (size_t start = 0; start < bb->n; start += 25) {
			if (start) snprintf(path, sizeof path, "/api/block/%s/txs/%zu", hash, start);
			else snprintf(path, sizeof path, "/api/block/%s/txs", hash);
			json_t *txs = get_json(path);
			size_t n = json_array_size(txs);
			assert_int_equal(n, bb->n - start < 25 ? bb->n - start : 25);
			for (size_t i = 0; i < n; i++, seen++) {
				tl_hash_to_hex(bb->ids[seen], want);
				assert_string_equal(json_string_value(json_object_get(json_array_get(txs, i), "txid")), want);
			}
			json_decref(txs);
		}
		assert_int_equal(seen, bb->n);
		/* status: in the best chain, with the next block's hash. */
		snprintf(path, sizeof path, "/api/block/%s/status", hash);
		json_t *st = get_json(path);
		assert_true(json_is_true(json_object_get(st, "in_best_chain")));
		assert_int_equal(json_integer_value(json_object_get(st, "height")), h);
		if (h < TIP_HEIGHT) {
			tl_hash_to_hex(F.blk[h + 1].hash, want);
			assert_string_equal(json_string_value(json_object_get(st, "next_best")), want);
		} else {
			assert_null(json_object_get(st, "next_best"));
		}
		json_decref(st);
	}
	/* Paging errors: start past the end, start not a multiple of 25. */
	struct resp r;
	tl_hash_to_hex(F.blk[2].hash, hash);
	snprintf(path, sizeof path, "/api/block/%s/txs/75", hash);
	get(path, &r);
	expect_error(&r, 404, "not_found");
	resp_free(&r);
	snprintf(path, sizeof path, "/api/block/%s/txs/3", hash);
	get(path, &r);
	expect_error(&r, 400, "bad_start_index");
	resp_free(&r);
	/* An unknown hash: not in the best chain (status), 404 elsewhere. */
	static const char *const nohash = "00000000000000000000000000000000000000000000000000000000000000aa";
	snprintf(path, sizeof path, "/api/block/%s/status", nohash);
	json_t *st = get_json(path);
	assert_true(json_is_false(json_object_get(st, "in_best_chain")));
	assert_int_equal(json_object_size(st), 1);
	json_decref(st);
	static const char *const subs[] = { "raw", "header", "txids", "txs", "txid/0" };
	for (size_t i = 0; i < 5; i++) {
		snprintf(path, sizeof path, "/api/block/%s/%s", nohash, subs[i]);
		get(path, &r);
		expect_error(&r, 404, "not_found");
		resp_free(&r);
	}
	/* /blocks/:start_height: 10 blocks down from it; above the tip 404. */
	snprintf(path, sizeof path, "/api/blocks/%d", TIP_HEIGHT);
	json_t *a = get_json(path);
	assert_int_equal(json_array_size(a), 10);
	json_decref(a);
	snprintf(path, sizeof path, "/api/blocks/%d", TIP_HEIGHT + 1);
	get(path, &r);
	expect_error(&r, 404, "not_found");
	resp_free(&r);
}

/* Cache-Control as electrs: long once CONF_FINAL (10) blocks deep. */
static void test_cache_control(void **state)
{
	(void)state;
	static const char *const lng = "public, max-age=157784630", *const shrt = "public, max-age=10";
	char path[512], hash[65], txid[65];
	for (int h = TIP_HEIGHT - 12; h <= TIP_HEIGHT; h++) {
		/* The tip is one confirmation: height h has TIP - h + 1. */
		const char *want = TIP_HEIGHT - h + 1 >= 10 ? lng : shrt;
		tl_hash_to_hex(F.blk[h].hash, hash);
		tl_hash_to_hex(F.blk[h].ids[0], txid);
		snprintf(path, sizeof path, "/api/block/%s", hash);
		assert_string_equal(cache_control(path), want);
		snprintf(path, sizeof path, "/api/block/%s/txids", hash);
		assert_string_equal(cache_control(path), want);
		snprintf(path, sizeof path, "/api/tx/%s", txid);
		assert_string_equal(cache_control(path), want);
		snprintf(path, sizeof path, "/api/tx/%s/hex", txid);
		assert_string_equal(cache_control(path), want);
	}
	assert_string_equal(cache_control("/api/blocks/tip/height"), shrt);
	assert_string_equal(cache_control("/api/blocks/tip/hash"), shrt);
	snprintf(path, sizeof path, "/api/address/%s", F.addr_a);
	assert_string_equal(cache_control(path), shrt);
	/* Spends can still come for a deep transaction's outputs. */
	tl_hash_to_hex(F.blk[2].ids[1], txid);
	snprintf(path, sizeof path, "/api/tx/%s/outspends", txid);
	assert_string_equal(cache_control(path), shrt);
	/* Errors carry none. */
	struct resp r;
	get("/api/block/00000000000000000000000000000000000000000000000000000000000000aa", &r);
	assert_int_equal(r.status, 404);
	assert_null(hdr(&r, "Cache-Control"));
	resp_free(&r);
}

/* ---- transactions ---- */

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = strlen(h) / 2;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

/* Walks a BIP37 partial merkle tree the way a light client does (written
 * here from the BIP, apart from the server's builder): returns the root
 * and the matched leaves. */
struct pmt_walk {
	const uint8_t *hashes;
	size_t nhashes, hi;
	const uint8_t *flags;
	size_t nbits, bi;
	uint32_t total;
	uint8_t matched[4][32];
	size_t matched_pos[4], nmatched;
};

static size_t tree_width(uint32_t total, int h)
{
	return ((size_t)total + ((size_t)1 << h) - 1) >> h;
}

static void walk(struct pmt_walk *w, int h, size_t pos, uint8_t out[32])
{
	assert_true(w->bi < w->nbits);
	int flag = (w->flags[w->bi / 8] >> (w->bi % 8)) & 1;
	w->bi++;
	if (h == 0 || !flag) {
		assert_true(w->hi < w->nhashes);
		memcpy(out, w->hashes + 32 * w->hi++, 32);
		if (h == 0 && flag) {
			assert_true(w->nmatched < 4);
			memcpy(w->matched[w->nmatched], out, 32);
			w->matched_pos[w->nmatched++] = pos;
		}
		return;
	}
	uint8_t pair[64];
	walk(w, h - 1, pos * 2, pair);
	if (pos * 2 + 1 < tree_width(w->total, h - 1)) {
		walk(w, h - 1, pos * 2 + 1, pair + 32);
		assert_memory_not_equal(pair, pair + 32, 32); /* CVE-2012-2459: no duplicate pair */
	} else {
		memcpy(pair + 32, pair, 32);
	}
	tl_sha256d(pair, 64, out);
}

static size_t read_compact(const uint8_t *p, size_t *pos)
{
	uint8_t b = p[(*pos)++];
	assert_true(b < 0xfd); /* the proofs here are small */
	return b;
}

/* Every route of one transaction, checked against block h as built. */
static void check_tx(int h, size_t pos)
{
	struct built_block *bb = &F.blk[h];
	const uint8_t *block = F.file.data + bb->data_off;
	char txid[65], path[512];
	tl_hash_to_hex(bb->ids[pos], txid);

	/* hex and raw: bytes that hash to the txid and that the block holds. */
	snprintf(path, sizeof path, "/api/tx/%s/hex", txid);
	char *hex = get_text(path);
	uint8_t *raw = malloc(strlen(hex) / 2 + 1);
	size_t n = unhex(hex, raw);
	uint8_t id[32];
	tl_sha256d(raw, n, id);
	assert_memory_equal(id, bb->ids[pos], 32); /* no witnesses here: txid = hash of all bytes */
	assert_non_null(memmem(block, bb->size, raw, n));
	struct resp r;
	snprintf(path, sizeof path, "/api/tx/%s/raw", txid);
	get(path, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(hdr(&r, "Content-Type"), "application/octet-stream");
	assert_int_equal(r.blen, n);
	assert_memory_equal(r.body, raw, n);
	resp_free(&r);
	free(hex);
	free(raw);

	/* merkle-proof: the branch leads from the txid to the header's root. */
	snprintf(path, sizeof path, "/api/tx/%s/merkle-proof", txid);
	json_t *mp = get_json(path);
	assert_int_equal(json_integer_value(json_object_get(mp, "block_height")), h);
	assert_int_equal(json_integer_value(json_object_get(mp, "pos")), pos);
	uint8_t acc[32];
	memcpy(acc, bb->ids[pos], 32);
	size_t p = pos, k;
	json_t *e;
	json_array_foreach(json_object_get(mp, "merkle"), k, e) {
		uint8_t sib[32], pair[64];
		assert_int_equal(tl_hash_from_hex(json_string_value(e), sib), 0);
		memcpy(pair + (p & 1 ? 32 : 0), acc, 32);
		memcpy(pair + (p & 1 ? 0 : 32), sib, 32);
		tl_sha256d(pair, 64, acc);
		p >>= 1;
	}
	assert_memory_equal(acc, block + 36, 32); /* the header's merkle root */
	uint8_t root[32];
	naive_root(bb->ids, bb->n, root);
	assert_memory_equal(root, block + 36, 32);
	json_decref(mp);

	/* merkleblock-proof: header, count, and a tree matching this txid
	 * alone whose root is the header's. */
	snprintf(path, sizeof path, "/api/tx/%s/merkleblock-proof", txid);
	hex = get_text(path);
	raw = malloc(strlen(hex) / 2 + 1);
	n = unhex(hex, raw);
	assert_true(n > 85);
	assert_memory_equal(raw, block, 80);
	struct pmt_walk w = { .total = (uint32_t)raw[80] | (uint32_t)raw[81] << 8 | (uint32_t)raw[82] << 16 |
				       (uint32_t)raw[83] << 24 };
	assert_int_equal(w.total, bb->n);
	size_t at = 84;
	w.nhashes = read_compact(raw, &at);
	w.hashes = raw + at;
	at += 32 * w.nhashes;
	size_t nflag = read_compact(raw, &at);
	w.flags = raw + at;
	w.nbits = nflag * 8;
	assert_int_equal(at + nflag, n);
	int height = 0;
	while (tree_width(w.total, height) > 1) height++;
	walk(&w, height, 0, root);
	assert_memory_equal(root, block + 36, 32);
	assert_int_equal(w.hi, w.nhashes); /* every hash used */
	assert_int_equal(w.nmatched, 1);
	assert_memory_equal(w.matched[0], bb->ids[pos], 32);
	assert_int_equal(w.matched_pos[0], pos);
	free(hex);
	free(raw);
}

static void test_tx_routes(void **state)
{
	(void)state;
	for (size_t pos = 0; pos < F.blk[2].n; pos++) check_tx(2, pos);
	for (size_t pos = 0; pos < F.blk[23].n; pos++) check_tx(23, pos);
	check_tx(22, 0); /* a lone coinbase: an empty branch */
	check_tx(1, 0);
}

/* ---- nothing to find ---- */

static void test_empty_answers(void **state)
{
	(void)state;
	json_t *m = get_json("/api/mempool");
	assert_int_equal(json_integer_value(json_object_get(m, "count")), 0);
	assert_int_equal(json_integer_value(json_object_get(m, "vsize")), 0);
	assert_int_equal(json_integer_value(json_object_get(m, "total_fee")), 0);
	assert_int_equal(json_array_size(json_object_get(m, "fee_histogram")), 0);
	json_decref(m);
	static const char *const lists[] = { "/api/mempool/txids", "/api/mempool/recent" };
	for (int i = 0; i < 2; i++) {
		m = get_json(lists[i]);
		assert_true(json_is_array(m) && json_array_size(m) == 0);
		json_decref(m);
	}
	char path[512];
	snprintf(path, sizeof path, "/api/address/%s/txs/mempool", F.addr_a);
	m = get_json(path);
	assert_true(json_is_array(m) && json_array_size(m) == 0);
	json_decref(m);

	/* outspend: an unknown txid and an index past the outputs are
	 * unspent; a spent output names its spender (the next chain tx). */
	char txid[65], next[65];
	tl_hash_to_hex(F.blk[2].ids[1], txid);
	tl_hash_to_hex(F.blk[2].ids[2], next);
	const char *unspent[] = { "/api/tx/5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a/outspend/0", NULL };
	snprintf(path, sizeof path, "/api/tx/%s/outspend/7", txid);
	unspent[1] = path;
	for (int i = 0; i < 2; i++) {
		m = get_json(unspent[i]);
		assert_int_equal(json_object_size(m), 1);
		assert_true(json_is_false(json_object_get(m, "spent")));
		json_decref(m);
	}
	snprintf(path, sizeof path, "/api/tx/%s/outspend/0", txid);
	m = get_json(path);
	assert_true(json_is_true(json_object_get(m, "spent")));
	assert_string_equal(json_string_value(json_object_get(m, "txid")), next);
	assert_int_equal(json_integer_value(json_object_get(m, "vin")), 0);
	json_decref(m);

	/* Broadcasting is not this server's job: a clear 501. */
	struct resp r;
	if (http_do(F.port, "POST", "/api/tx", NULL, "0100", 4, &r) < 0) fail_msg("POST /api/tx: no response");
	expect_error(&r, 501, "not_implemented");
	resp_free(&r);
}

/* ---- CORS ---- */

/* One request with an Origin header (httpc sends none). */
static void request_with_origin(const char *method, const char *path, const char *origin, struct resp *r)
{
	int fd = connect_port(F.port);
	assert_true(fd >= 0);
	char req[1024];
	int n = snprintf(req, sizeof req,
			 "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: %s\r\n"
			 "Access-Control-Request-Method: GET\r\nConnection: close\r\n\r\n",
			 method, path, origin);
	assert_int_equal(send_all(fd, req, (size_t)n), 0);
	assert_int_equal(read_response(fd, r), 0);
	close(fd);
}

static void test_cors(void **state)
{
	(void)state;
	struct resp r;
	request_with_origin("GET", "/api/blocks/tip/height", "https://b.example", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(hdr(&r, "Access-Control-Allow-Origin"), "https://b.example");
	resp_free(&r);
	/* An origin not listed gets no grant; errors carry the grant too. */
	request_with_origin("GET", "/api/blocks/tip/height", "https://evil.example", &r);
	assert_int_equal(r.status, 200);
	assert_null(hdr(&r, "Access-Control-Allow-Origin"));
	resp_free(&r);
	request_with_origin("GET", "/api/tx/nothex", "https://wallet.example", &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(hdr(&r, "Access-Control-Allow-Origin"), "https://wallet.example");
	resp_free(&r);
	/* A preflight: 204 with the methods allowed. */
	request_with_origin("OPTIONS", "/api/address/x/utxo", "https://wallet.example", &r);
	assert_int_equal(r.status, 204);
	assert_string_equal(hdr(&r, "Access-Control-Allow-Origin"), "https://wallet.example");
	assert_non_null(strstr(hdr(&r, "Access-Control-Allow-Methods"), "GET"));
	resp_free(&r);
}

/* ---- real mainnet blocks ---- */

/* The reference blk files (mainnet blocks 0 to 438) indexed and served;
 * every reference block of that range answers its own bytes, header,
 * txids and fields as an independent library decoded them (expected/),
 * and each transaction's merkle branch leads to that library's root. */
static void test_mainnet_blocks(void **state)
{
	(void)state;
	char plain[4096], mdir[4096];
	snprintf(plain, sizeof plain, "%s", tu_shared_path("mainnet/blk-sample/plain"));
	snprintf(mdir, sizeof mdir, "%s", tu_shared_path("mainnet"));
	char *tmp = tu_tmpdir("esplora_main");
	char db[4200];
	snprintf(db, sizeof db, "%s/db", tmp);
	struct tl_index_opts io = cf_index_opts(plain, db);
	io.net = tl_net_params(TL_NET_MAIN);
	cf_index_run(&io, NULL);
	struct tl_serve_opts o;
	tl_serve_opts_default(&o);
	o.db_path = db;
	o.listen = "127.0.0.1:0";
	o.log = NULL;
	struct tl_app *app;
	struct tl_err err;
	if (tl_app_open(&o, &app, &err) < 0) fail_msg("open: %s", err.msg);
	if (tl_app_start(app, &err) < 0) fail_msg("start: %s", err.msg);
	uint16_t saved = F.port;
	F.port = tl_app_port(app);

	static const char *const files[] = {
		"0-000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f.bin",
		"1-00000000839a8e6886ab5951d76f411475428afc90947ee320161bbf18eb6048.bin",
		"170-00000000d1145790a8694403d4063f323d499e655c83426834d4ce2f8dd4a2ee.bin",
		"181-00000000dc55860c8a29c58d45209318fa9e9dc2c1833a7226d86bc465afc6e5.bin",
		"182-0000000054487811fc4ff7a95be738aa5ad9320c394c482b27c0da28b227ad5d.bin",
		"183-00000000f46e513f038baf6f2d9a95b2a28d8a6c985bcf24b9e07f0f63a29888.bin",
		"187-00000000b2cde2159116889837ecf300bd77d229d49b138c55366b54626e495d.bin",
		"221-0000000066356691a4353dd8bdc2c60da20d68ad34fff93d8839a133b2a6d42a.bin",
		"248-00000000fb5b44edc7a1aa105075564a179d65506e2bd25f55f1629251d0f6b0.bin",
	};
	int checked_txs = 0;
	for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
		char path[4400];
		snprintf(path, sizeof path, "%s/%s", mdir, files[f]);
		size_t blen;
		uint8_t *bin = tu_read_file(path, &blen);
		snprintf(path, sizeof path, "%s/expected/%s.json", mdir, files[f]);
		json_error_t je;
		json_t *exp = json_load_file(path, 0, &je);
		if (!exp) fail_msg("%s: %s", path, je.text);
		json_t *eb = json_object_get(exp, "block");
		const char *hash = json_string_value(json_object_get(eb, "hash"));

		struct resp r;
		snprintf(path, sizeof path, "/api/block/%s/raw", hash);
		get(path, &r);
		assert_int_equal(r.status, 200);
		assert_int_equal(r.blen, blen);
		assert_memory_equal(r.body, bin, blen);
		resp_free(&r);
		snprintf(path, sizeof path, "/api/block/%s/header", hash);
		char *t = get_text(path), want[161];
		hex_of(bin, 80, want);
		assert_string_equal(t, want);
		free(t);
		snprintf(path, sizeof path, "/api/block/%s", hash);
		json_t *jb = get_json(path);
		assert_string_equal(json_string_value(json_object_get(jb, "merkle_root")),
				    json_string_value(json_object_get(eb, "merkle_root")));
		assert_int_equal(json_integer_value(json_object_get(jb, "size")), json_integer_value(json_object_get(eb, "size")));
		assert_int_equal(json_integer_value(json_object_get(jb, "weight")),
				 json_integer_value(json_object_get(eb, "weight")));
		assert_int_equal(json_integer_value(json_object_get(jb, "tx_count")),
				 json_integer_value(json_object_get(eb, "tx_count")));
		json_decref(jb);

		snprintf(path, sizeof path, "/api/block/%s/txids", hash);
		json_t *ids = get_json(path);
		json_t *etxs = json_object_get(exp, "txs");
		assert_int_equal(json_array_size(ids), json_array_size(etxs)); /* these blocks are listed whole */
		uint8_t root[32];
		assert_int_equal(tl_hash_from_hex(json_string_value(json_object_get(eb, "merkle_root")), root), 0);
		size_t i;
		json_t *et;
		json_array_foreach(etxs, i, et) {
			const char *txid = json_string_value(json_object_get(et, "txid"));
			assert_string_equal(json_string_value(json_array_get(ids, i)), txid);
			snprintf(path, sizeof path, "/api/tx/%s/merkle-proof", txid);
			json_t *mp = get_json(path);
			assert_int_equal(json_integer_value(json_object_get(mp, "pos")), i);
			uint8_t acc[32];
			assert_int_equal(tl_hash_from_hex(txid, acc), 0);
			size_t p = i, k;
			json_t *e;
			json_array_foreach(json_object_get(mp, "merkle"), k, e) {
				uint8_t sib[32], pair[64];
				assert_int_equal(tl_hash_from_hex(json_string_value(e), sib), 0);
				memcpy(pair + (p & 1 ? 32 : 0), acc, 32);
				memcpy(pair + (p & 1 ? 0 : 32), sib, 32);
				tl_sha256d(pair, 64, acc);
				p >>= 1;
			}
			assert_memory_equal(acc, root, 32);
			json_decref(mp);
			/* The hex is in the block's bytes, its size the library's. */
			snprintf(path, sizeof path, "/api/tx/%s/hex", txid);
			t = get_text(path);
			assert_int_equal(strlen(t) / 2, json_integer_value(json_object_get(et, "size")));
			uint8_t *raw = malloc(strlen(t) / 2 + 1);
			size_t n = unhex(t, raw);
			assert_non_null(memmem(bin, blen, raw, n));
			free(raw);
			free(t);
			checked_txs++;
		}
		json_decref(ids);
		json_decref(exp);
		free(bin);
	}
	printf("mainnet: %zu blocks, %d transactions checked\n", sizeof files / sizeof files[0], checked_txs);
	F.port = saved;
	tl_app_close(app);
	tu_rmrf(tmp);
	free(tmp);
}

/* ---- scripthash ---- */

/* Electrum's scripthash: SHA-256 of the scriptPubKey, hex byte-reversed. */
static void scripthash_hex(const uint8_t *spk, size_t len, char hex[65])
{
	uint8_t h[32];
	tl_sha256(spk, len, h);
	for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", h[31 - i]);
}

/* /scripthash/... answers what /address/... answers for the same script,
 * paged the same way against the store's own list; an unknown scripthash
 * is zero stats and empty lists, a malformed one 400. */
static void test_scripthash(void **state)
{
	(void)state;
	char sh[65], path[512];
	scripthash_hex(F.spk_a, 25, sh);
	snprintf(path, sizeof path, "/api/scripthash/%s", sh);
	json_t *j = get_json(path);
	assert_string_equal(json_string_value(json_object_get(j, "scripthash")), sh);
	snprintf(path, sizeof path, "/api/address/%s", F.addr_a);
	json_t *a = get_json(path);
	assert_true(json_equal(json_object_get(j, "chain_stats"), json_object_get(a, "chain_stats")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "chain_stats"), "tx_count")),
			 1 + CHAIN_TXS_BLOCKS * CHAIN_TXS_PER_BLOCK + 2);
	json_decref(a);
	json_decref(j);

	/* The whole history, paged with the path cursor. */
	uint8_t(*want)[32];
	size_t n = store_history(F.addr_a, &want);
	size_t seen = 0;
	char last[65] = "";
	for (size_t page = 0; page < n / 25 + 2; page++) {
		if (!last[0]) snprintf(path, sizeof path, "/api/scripthash/%s/txs", sh);
		else snprintf(path, sizeof path, "/api/scripthash/%s/txs/chain/%s", sh, last);
		j = get_json(path);
		size_t k = json_array_size(j);
		for (size_t i = 0; i < k; i++, seen++) {
			char hex[65];
			assert_true(seen < n);
			tl_hash_to_hex(want[seen], hex);
			const char *got = json_string_value(json_object_get(json_array_get(j, i), "txid"));
			assert_string_equal(got, hex);
			snprintf(last, sizeof last, "%s", got);
		}
		json_decref(j);
		if (k < 25) break;
	}
	assert_int_equal(seen, n);
	free(want);
	snprintf(path, sizeof path, "/api/scripthash/%s/utxo", sh);
	j = get_json(path);
	snprintf(path, sizeof path, "/api/address/%s/utxo", F.addr_a);
	a = get_json(path);
	assert_int_equal(json_array_size(j), 1);
	assert_true(json_equal(j, a));
	json_decref(a);
	json_decref(j);
	snprintf(path, sizeof path, "/api/scripthash/%s/txs/mempool", sh);
	j = get_json(path);
	assert_int_equal(json_array_size(j), 0);
	json_decref(j);

	/* B (P2WPKH, paid by every coinbase from height 2). */
	uint8_t spk_b[22] = { 0x00, 0x14 };
	memset(spk_b + 2, 0x22, 20);
	scripthash_hex(spk_b, 22, sh);
	snprintf(path, sizeof path, "/api/scripthash/%s", sh);
	j = get_json(path);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "chain_stats"), "tx_count")), TIP_HEIGHT - 1);
	json_decref(j);

	/* Never seen: zeros and []; the txid byte order is not the scripthash's. */
	uint8_t spk_c[25];
	p2pkh(spk_c, 0x77);
	scripthash_hex(spk_c, 25, sh);
	snprintf(path, sizeof path, "/api/scripthash/%s", sh);
	j = get_json(path);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "chain_stats"), "tx_count")), 0);
	json_decref(j);
	snprintf(path, sizeof path, "/api/scripthash/%s/txs", sh);
	j = get_json(path);
	assert_int_equal(json_array_size(j), 0);
	json_decref(j);
	struct resp r;
	get("/api/scripthash/12345", &r);
	expect_error(&r, 400, "bad_scripthash");
	resp_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paging_after_txid), cmocka_unit_test(test_block_routes),
		cmocka_unit_test(test_cache_control),	  cmocka_unit_test(test_tx_routes),
		cmocka_unit_test(test_empty_answers),	  cmocka_unit_test(test_cors),
		cmocka_unit_test(test_scripthash),	  cmocka_unit_test(test_mainnet_blocks),
	};
	return tu_finish(cmocka_run_group_tests(tests, setup, teardown));
}
