/* The Ethereum trace (tracer/eth_trace.h): tags, seeds, the replay of
 * the index's transfers through the account-model engine, names, and the
 * report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "ethereum/address.h"
#include "store/eth_intel.h"
#include "tracer/tag_clearance.h"
#include "store/eth_links.h"
#include "store/eth_screen.h"
#include "tracer/screen_xchain.h"
#include "store/eth_scan.h"
#include "store/eth_store.h"
#include "taint/account.h"
#include "taint/report.h"
#include "tracer/eth_trace.h"
#include "taint/graph.h"
#include "intel/tags.h"
#include "tracer/trace.h"
#include "taint/walk.h"

/* ---- tags: account id -> {cats, label, category, source} ---- */
struct tagctx {
	struct tl_eth_store *s;
	const struct tl_clearance *clr; /* stored tags above it are not there */
	struct tl_err *err;             /* a mark that could not be read */
	const char *chain;
	json_t *by_id; /* "id" -> tag object (cats in "_cats") */
	unsigned long unknown, other;
};

static uint32_t cat_bit(const char *c)
{
	static const struct {
		const char *n;
		uint32_t f;
	} m[] = { { "exchange", TL_CAT_EXCHANGE }, { "bridge", TL_CAT_BRIDGE },         { "service", TL_CAT_SERVICE },
		  { "mixer", TL_CAT_MIXER },       { "sanctioned", TL_CAT_SANCTIONED } };
	for (size_t i = 0; c && i < sizeof m / sizeof m[0]; i++)
		if (!strcmp(c, m[i].n)) return m[i].f;
	return 0;
}

static int tag_cb(void *vctx, const struct tl_tag *t)
{
	struct tagctx *c = vctx;
	if (strcmp(t->chain, c->chain)) {
		c->other++;
		return 0;
	}
	uint8_t a[20];
	uint64_t id;
	struct tl_err err;
	if (tl_eth_addr_parse(t->address, strlen(t->address), a, &err) ||
	    tl_eth_store_account_id(c->s, a, &id, &err) != 1) {
		c->unknown++; /* not an address, or one the index never saw */
		return 0;
	}
	char key[24];
	snprintf(key, sizeof key, "%llu", (unsigned long long)id);
	json_t *o = json_object_get(c->by_id, key);
	uint32_t bit = cat_bit(t->category);
	if (o) { /* several tags: categories add up, the first label stays */
		json_int_t cats = json_integer_value(json_object_get(o, "_cats"));
		json_object_set_new(o, "_cats", json_integer(cats | bit));
		return 0;
	}
	char hx[43];
	o = json_pack("{s:s,s:s,s:s?,s:s,s:I}", "label", t->label ? t->label : "", "category", t->category,
	              "source", t->source, "address", tl_eth_addr_hex(a, hx), "_cats", (json_int_t)bit);
	json_object_set_new(c->by_id, key, o);
	return 0;
}

/* A tag stored in the database (tags import): the same as a file's. */
static int dbtag_cb(void *vctx, const struct tl_eth_tag_rec *r)
{
	struct tagctx *c = vctx;
	int v = tl_eth_tag_visible(c->s, c->clr, r, c->err);
	if (v <= 0) return v < 0 ? -1 : 0;
	char hx[43];
	struct tl_tag t;
	memset(&t, 0, sizeof t);
	t.chain = c->chain;
	t.address = tl_eth_addr_hex(r->addr, hx);
	t.label = r->label;
	t.category = r->category;
	t.source = r->source;
	t.confidence = r->confidence;
	return tag_cb(c, &t);
}

/* A vault a THORChain router event named (store/eth_links.h): a bridge,
 * as if tagged, so that a trace recognises a vault it was never told of. */
static int vault_cb(void *vctx, const uint8_t addr[20])
{
	struct tagctx *c = vctx;
	char hx[43];
	struct tl_tag t;
	memset(&t, 0, sizeof t);
	t.chain = c->chain;
	t.address = tl_eth_addr_hex(addr, hx);
	t.label = "THORChain";
	t.category = "bridge";
	t.source = "router event";
	t.confidence = 100;
	return tag_cb(c, &t);
}

static uint32_t acct_cats(void *vctx, uint64_t acct)
{
	struct tagctx *c = vctx;
	char key[24];
	snprintf(key, sizeof key, "%llu", (unsigned long long)acct);
	json_t *o = json_object_get(c->by_id, key);
	return o ? (uint32_t)json_integer_value(json_object_get(o, "_cats")) : 0;
}

/* ---- the deposit-address heuristic (eth_deposit.c) ---- */
#define DEPOSIT_RULE                                                                                           \
	"an untagged account whose every outgoing value transfer (over the whole index, fees aside) goes to one " \
	"account tagged exchange is taken for that exchange's deposit account; a transfer into it is an "       \
	"endpoint tagged with the exchange's label and source \"deposit-address heuristic\""

/* Tags every account the heuristic finds as its exchange's deposit
 * account (category exchange, the hot wallet's label). */
static int add_deposit_accounts(struct tl_eth_store *st, struct tagctx *tc, uint64_t n_acct, size_t *found,
                                struct tl_err *err)
{
	uint64_t *hot;
	if (tl_eth_deposit_accounts(st, n_acct, acct_cats, tc, &hot, found, err)) return -1;
	int rc = 0;
	for (uint64_t a = 1; rc == 0 && a < n_acct; a++) {
		if (!hot[a]) continue;
		char key[24], hx[43], hhx[43];
		uint8_t addr[20], haddr[20];
		if (tl_eth_store_account_addr(st, a, addr, err) != 1 || tl_eth_store_account_addr(st, hot[a], haddr, err) != 1) {
			rc = tl_err_set(err, "account %llu unreadable", (unsigned long long)a);
			break;
		}
		snprintf(key, sizeof key, "%llu", (unsigned long long)hot[a]);
		const char *label = json_string_value(json_object_get(json_object_get(tc->by_id, key), "label"));
		snprintf(key, sizeof key, "%llu", (unsigned long long)a);
		json_object_set_new(tc->by_id, key,
		                    json_pack("{s:s,s:s,s:s,s:s,s:s,s:I}", "label", label ? label : "", "category", "exchange",
		                              "source", "deposit-address heuristic", "address", tl_eth_addr_hex(addr, hx),
		                              "hot_wallet", tl_eth_addr_hex(haddr, hhx), "_cats", (json_int_t)TL_CAT_EXCHANGE));
	}
	free(hot);
	return rc;
}

/* ---- naming ---- */
struct namectx {
	struct tl_eth_store *s;
	struct tagctx *tags;
};

static int name_account(void *vctx, uint64_t acct, char *buf, size_t cap, struct tl_err *err)
{
	struct namectx *c = vctx;
	uint8_t a[20];
	char hx[43];
	int r = tl_eth_store_account_addr(c->s, acct, a, err);
	if (r < 0) return -1;
	if (r == 0) return tl_err_set(err, "account id %llu not in the database", (unsigned long long)acct);
	snprintf(buf, cap, "%s", tl_eth_addr_hex(a, hx));
	return 0;
}

static int name_asset(void *vctx, uint32_t asset, char *buf, size_t cap, struct tl_err *err)
{
	struct namectx *c = vctx;
	if (asset == 0) {
		snprintf(buf, cap, "ETH");
		return 0;
	}
	struct tl_eth_asset_rec r;
	int k = tl_eth_store_asset(c->s, asset, &r, err);
	if (k < 0) return -1;
	if (k == 0) return tl_err_set(err, "asset id %u not in the database", asset);
	char hx[43];
	snprintf(buf, cap, "%s", tl_eth_addr_hex(r.contract, hx));
	return 0;
}

static void hex32(const uint8_t h[32], char out[67])
{
	static const char d[] = "0123456789abcdef";
	out[0] = '0';
	out[1] = 'x';
	for (int i = 0; i < 32; i++) {
		out[2 + 2 * i] = d[h[i] >> 4];
		out[3 + 2 * i] = d[h[i] & 15];
	}
	out[66] = 0;
}

/* Transactions are numbered by the seq of their first transfer. */
static int name_tx(void *vctx, uint64_t tx, char *buf, size_t cap, struct tl_err *err)
{
	struct namectx *c = vctx;
	struct tl_eth_xfer_rec r;
	int k = tl_eth_store_xfer(c->s, tx, &r, err);
	if (k < 0) return -1;
	if (k == 0) return tl_err_set(err, "transfer %llu not in the database", (unsigned long long)tx);
	if (!r.has_tx) {
		snprintf(buf, cap, "block %llu", (unsigned long long)r.block); /* rewards, withdrawals */
		return 0;
	}
	char hx[67];
	hex32(r.tx_hash, hx);
	snprintf(buf, cap, "%s", hx);
	return 0;
}

static int asset_info(void *vctx, uint32_t asset, char *sym, size_t cap, int *decimals, struct tl_err *err)
{
	struct namectx *c = vctx;
	struct tl_eth_asset_rec r;
	int k = tl_eth_store_asset(c->s, asset, &r, err); /* asset 0: ETH, 18 */
	if (k < 0) return -1;
	if (k == 0) return tl_err_set(err, "asset id %u not in the database", asset);
	snprintf(sym, cap, "%s", r.symbol);
	*decimals = r.decimals;
	return 0;
}

static json_t *name_tag(void *vctx, uint64_t acct, uint32_t cats)
{
	struct namectx *c = vctx;
	(void)cats;
	char key[24];
	snprintf(key, sizeof key, "%llu", (unsigned long long)acct);
	json_t *o = json_object_get(c->tags->by_id, key);
	if (!o) return NULL;
	json_t *t = json_deep_copy(o);
	json_object_del(t, "_cats");
	return t;
}

/* ---- seeds: a sorted set of transfer seqs ---- */
struct seeds {
	uint64_t *v;
	size_t n, cap;
	json_t *desc;
};

static int seed_add(struct seeds *s, uint64_t seq)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 64;
		uint64_t *p = realloc(s->v, nc * sizeof *p);
		if (!p) return -1;
		s->v = p;
		s->cap = nc;
	}
	s->v[s->n++] = seq;
	return 0;
}

static int u64cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int parse_hash(const char *s, size_t len, uint8_t out[32])
{
	return tl_eth_hex_bytes(s, len, out, 32);
}

/* Every value transfer of tx (to `to` only when to_id != 0). */
static int seeds_tx(struct tl_eth_store *st, const char *hash, size_t hlen, uint64_t to_id, struct seeds *sd,
                    struct tl_err *err)
{
	uint8_t h[32];
	if (parse_hash(hash, hlen, h)) return tl_err_set(err, "bad transaction hash '%.*s'", (int)hlen, hash);
	struct tl_eth_tx_rec tr;
	int k = tl_eth_store_tx(st, h, &tr, err);
	if (k < 0) return -1;
	if (k == 0) return tl_err_set(err, "transaction %.*s is not in the index", (int)hlen, hash);
	size_t before = sd->n;
	for (uint32_t i = 0; i < tr.n_xfer; i++) {
		struct tl_eth_xfer_rec r;
		if (tl_eth_store_xfer(st, tr.first_seq + i, &r, err) != 1)
			return tl_err_set(err, "transfer %llu of %.*s unreadable", (unsigned long long)(tr.first_seq + i),
			                  (int)hlen, hash);
		if (r.kind == TL_ETH_FEE || (to_id && r.to != to_id)) continue;
		if (seed_add(sd, tr.first_seq + i)) return tl_err_set(err, "out of memory");
	}
	if (sd->n == before)
		return tl_err_set(err, "transaction %.*s moves no value%s", (int)hlen, hash,
		                  to_id ? " to that address" : " (failed, or only a fee)");
	return 0;
}

/* A window end: a JSON integer (block) or "YYYY-MM-DD" (UTC day). */
struct wend {
	int kind; /* 0 open, 1 block, 2 time */
	uint64_t block;
	int64_t time;
};

static int parse_wend(const char *s, int end, struct wend *w, struct tl_err *err)
{
	w->kind = 0;
	if (!s || !*s) return 0;
	char *e;
	unsigned long long v = strtoull(s, &e, 10);
	if (!*e && strlen(s) < 12) {
		w->kind = 1;
		w->block = v;
		return 0;
	}
	if (tl_trace_parse_date(s, end, &w->time, err)) return -1;
	w->kind = 2;
	return 0;
}

static int in_window(const struct wend *w, int is_end, uint64_t block, int64_t time)
{
	if (w->kind == 1) return is_end ? block <= w->block : block >= w->block;
	if (w->kind == 2) return is_end ? time <= w->time : time >= w->time;
	return 1;
}

/* Everything addr received (not fees) in [from, until], of asset (NULL:
 * every asset). */
static int seeds_address(struct tl_eth_store *st, const char *addr, const struct wend *from, const struct wend *until,
                         const char *asset, struct seeds *sd, struct tl_err *err)
{
	uint8_t a[20];
	uint64_t id;
	if (tl_eth_addr_parse(addr, strlen(addr), a, err)) return -1;
	int k = tl_eth_store_account_id(st, a, &id, err);
	if (k < 0) return -1;
	if (k == 0) return tl_err_set(err, "address %s never appears in the index", addr);
	uint32_t *assets = NULL;
	struct tl_eth_stat *stats = NULL;
	size_t na = 0;
	uint32_t one;
	if (asset && strcmp(asset, "ETH")) {
		uint8_t c[20];
		if (tl_eth_addr_parse(asset, strlen(asset), c, err)) return -1;
		k = tl_eth_store_asset_id(st, c, &one, err);
		if (k < 0) return -1;
		if (k == 0) return tl_err_set(err, "token %s is not in the index", asset);
	} else if (asset) {
		one = 0;
	} else if (tl_eth_store_account_stats(st, id, &assets, &stats, &na, err)) {
		return -1;
	}
	free(stats);
	size_t before = sd->n;
	uint64_t blk_num = UINT64_MAX;
	int64_t blk_time = 0;
	for (size_t ai = 0; ai < (asset ? 1 : na); ai++) {
		uint32_t as = asset ? one : assets[ai];
		uint64_t cursor = UINT64_MAX, page[256];
		for (;;) {
			int n = tl_eth_store_history(st, id, as, cursor, page, 256, err);
			if (n < 0) {
				free(assets);
				return -1;
			}
			for (int i = 0; i < n; i++) {
				struct tl_eth_xfer_rec r;
				if (tl_eth_store_xfer(st, page[i], &r, err) != 1) {
					free(assets);
					return tl_err_set(err, "transfer %llu unreadable", (unsigned long long)page[i]);
				}
				if (r.to != id || r.kind == TL_ETH_FEE) continue;
				if (r.block != blk_num) {
					struct tl_eth_block_rec b;
					if (tl_eth_store_block(st, r.block, &b, err) != 1) {
						free(assets);
						return tl_err_set(err, "block %llu unreadable", (unsigned long long)r.block);
					}
					blk_num = r.block;
					blk_time = (int64_t)b.timestamp;
				}
				if (in_window(from, 0, r.block, blk_time) && in_window(until, 1, r.block, blk_time) &&
				    seed_add(sd, page[i])) {
					free(assets);
					return tl_err_set(err, "out of memory");
				}
			}
			if (n < 256) break;
			cursor = page[n - 1];
		}
	}
	free(assets);
	if (sd->n == before) return tl_err_set(err, "address %s received nothing in the window", addr);
	return 0;
}

/* A seed of the registry: {"txid"}, {"txid","to"} or {"address","from",
 * "until","asset"}; from/until a block number (JSON integer) or a date. */
static int seed_from_json(struct tl_eth_store *st, const char *heist, size_t i, json_t *j, struct seeds *sd,
                          struct tl_err *err)
{
	const char *txid = json_string_value(json_object_get(j, "txid"));
	const char *addr = json_string_value(json_object_get(j, "address"));
	int r;
	if (txid) {
		const char *to = json_string_value(json_object_get(j, "to"));
		uint64_t to_id = 0;
		if (to) {
			uint8_t a[20];
			if (tl_eth_addr_parse(to, strlen(to), a, err)) r = -1;
			else if ((r = tl_eth_store_account_id(st, a, &to_id, err)) == 0)
				r = tl_err_set(err, "address %s never appears in the index", to);
			if (r < 0) goto bad;
		}
		r = seeds_tx(st, txid, strlen(txid), to_id, sd, err);
	} else if (addr) {
		struct wend w[2];
		const char *keys[2] = { "from", "until" };
		for (int k = 0; k < 2; k++) {
			json_t *v = json_object_get(j, keys[k]);
			char buf[32];
			if (json_is_integer(v) && json_integer_value(v) >= 0)
				snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
			else if (json_is_string(v))
				snprintf(buf, sizeof buf, "%s", json_string_value(v));
			else if (!v || json_is_null(v))
				buf[0] = 0;
			else {
				r = tl_err_set(err, "%s: a block number or YYYY-MM-DD", keys[k]);
				goto bad;
			}
			if (parse_wend(buf, k, &w[k], err)) {
				r = -1;
				goto bad;
			}
		}
		r = seeds_address(st, addr, &w[0], &w[1], json_string_value(json_object_get(j, "asset")), sd, err);
	} else {
		r = tl_err_set(err, "neither txid nor address");
	}
	if (r == 0) return 0;
bad:
	return tl_err_prefix(err, "heist '%s': seeds[%zu]: ", heist, i);
}

/* The heist's seeds: from the registry file when given, else from the
 * database (heist import). */
static int seeds_heist(struct tl_eth_store *st, const struct tl_clearance *clr, const char *file, const char *id,
                       struct seeds *sd, json_t **heist_out, struct tl_err *err)
{
	json_t *root = NULL, *h = NULL;
	int r = 0;
	if (file) {
		json_error_t je;
		root = json_load_file(file, 0, &je);
		if (!root) return tl_err_set(err, "%s: line %d: %s", file, je.line, je.text);
		json_t *list = json_object_get(root, "heists");
		for (size_t i = 0; i < json_array_size(list); i++) {
			const char *hid = json_string_value(json_object_get(json_array_get(list, i), "id"));
			if (hid && !strcmp(hid, id)) h = json_array_get(list, i);
		}
		if (!h) r = tl_err_set(err, "unknown heist '%s' (not in %s)", id, file);
	} else {
		int k = tl_eth_heist_get(st, id, &root, err);
		if (k < 0) return -1;
		/* a heist above the caller's clearance is not there */
		if (k == 1 && (k = tl_eth_heist_visible(st, clr, id, root, err)) <= 0) {
			json_decref(root);
			root = NULL;
			if (k < 0) return -1;
		}
		if (k == 0)
			return tl_err_set(err, "unknown heist '%s' (import a registry with 'taintline heist import --db', "
			                       "or give it with --heists FILE)", id);
		h = root;
	}
	const char *chain = h ? json_string_value(json_object_get(h, "chain")) : NULL;
	if (!r && (!chain || strcmp(chain, tl_eth_store_net(st)->chain)))
		r = tl_err_set(err, "heist '%s' is on chain '%s', the database on '%s'", id, chain ? chain : "?",
		               tl_eth_store_net(st)->chain);
	json_t *seeds = h ? json_object_get(h, "seeds") : NULL;
	if (!r && !json_array_size(seeds)) r = tl_err_set(err, "heist '%s' has no seeds", id);
	for (size_t i = 0; !r && i < json_array_size(seeds); i++) {
		r = seed_from_json(st, id, i, json_array_get(seeds, i), sd, err);
		if (!r) json_array_append(sd->desc, json_array_get(seeds, i));
	}
	if (!r) {
		*heist_out = json_pack("{s:s,s:O?,s:O?,s:O?}", "id", id, "name", json_object_get(h, "name"), "date",
		                       json_object_get(h, "date"), "attribution", json_object_get(h, "attribution"));
	}
	json_decref(root);
	return r;
}

/* ---- the replay ---- */
struct group {
	struct tl_taint_xfer *x;
	size_t n, cap;
};

static int gpush(struct group *g, const struct tl_taint_xfer *x)
{
	if (g->n == g->cap) {
		size_t nc = g->cap ? g->cap * 2 : 64;
		struct tl_taint_xfer *p = realloc(g->x, nc * sizeof *p);
		if (!p) return -1;
		g->x = p;
		g->cap = nc;
	}
	g->x[g->n++] = *x;
	return 0;
}

static int replay(struct tl_eth_store *st, struct tl_taint *e, const struct seeds *sd, uint64_t next_seq, int64_t until,
                  int (*cancel)(void *), void *cancel_ctx, struct tl_err *err)
{
	const uint64_t NW = TL_TAINT_NOWHERE;
	struct group g = { 0 };
	struct tl_taint_tx tx = { 0 };
	uint64_t cur_block = UINT64_MAX, blk_time = 0;
	uint32_t cur_idx = 0;
	bool in_tx = false, have_sender = false;
	size_t si = 0;
	uint8_t cur_hash[32];
	bool cur_has_tx = false;
	int rc = 0;
	struct tl_eth_xfer_iter *it = NULL;
	if (tl_eth_xfer_iter_new(st, 0, &it, err)) return -1;
	for (uint64_t seq = 0; rc == 0 && seq <= next_seq; seq++) {
		struct tl_eth_xfer_rec r;
		bool end = seq == next_seq;
		if (cancel && (seq & 4095) == 4095 && cancel(cancel_ctx)) {
			rc = TL_WALK_TIMEOUT;
			tl_err_set(err, "the trace was stopped after %llu transfers", (unsigned long long)seq);
			break;
		}
		if (!end) {
			uint64_t got;
			int k = tl_eth_xfer_iter_next(it, &got, &r, err);
			if (k < 0) {
				rc = -1;
				break;
			}
			if (k == 0 || got != seq) {
				rc = tl_err_set(err, "transfer %llu missing from the index", (unsigned long long)seq);
				break;
			}
			if (until >= 0 && r.block > (uint64_t)until) end = true;
		}
		if (in_tx && (end || r.block != cur_block || r.tx_index != cur_idx)) {
			if (!have_sender && cur_has_tx) { /* no fee transfer: ask the transaction */
				struct tl_eth_tx_rec tr;
				uint64_t id = 0;
				if (tl_eth_store_tx(st, cur_hash, &tr, err) == 1 &&
				    tl_eth_store_account_id(st, tr.from, &id, err) == 1)
					tx.sender = id;
			}
			if (tl_taint_apply(e, &tx, g.x, g.n, err)) {
				rc = -1;
				break;
			}
			in_tx = false;
		}
		if (end) break;
		if (!in_tx) {
			if (r.block != cur_block) {
				struct tl_eth_block_rec b;
				if (tl_eth_store_block(st, r.block, &b, err) != 1) {
					rc = tl_err_set(err, "block %llu unreadable", (unsigned long long)r.block);
					break;
				}
				cur_block = r.block;
				blk_time = b.timestamp;
			}
			cur_idx = r.tx_index;
			cur_has_tx = r.has_tx;
			memcpy(cur_hash, r.tx_hash, 32);
			/* The index stores nothing but the fee of a failed
			 * transaction, so every stored transaction is applied as
			 * succeeded. */
			tx = (struct tl_taint_tx){ .num = seq, .sender = NW, .height = (uint32_t)r.block,
				                   .time = (int64_t)blk_time, .ok = true };
			have_sender = false;
			g.n = 0;
			in_tx = true;
		}
		while (si < sd->n && sd->v[si] < seq) si++;
		bool seed = si < sd->n && sd->v[si] == seq;
		uint64_t from = r.from ? r.from : NW, to = r.to ? r.to : NW;
		struct tl_taint_xfer x = { .from = from, .to = to, .asset = r.asset, .amount = r.amount };
		if (r.kind == TL_ETH_FEE) {
			if (from == NW) continue;
			if (!have_sender) tx.sender = from, have_sender = true;
			tl_uint256 tip;
			if (tl_uint256_sub(&tip, &r.amount, &r.burnt)) tip = tl_uint256_from_u64(0);
			x.kind = TL_TK_FEE;
			x.to = NW;
			x.amount = r.burnt;
			if (!tl_uint256_is_zero(&r.burnt) && gpush(&g, &x)) rc = tl_err_set(err, "out of memory");
			x.to = to;
			x.amount = tip;
			if (!tl_uint256_is_zero(&tip) && gpush(&g, &x)) rc = tl_err_set(err, "out of memory");
			continue;
		}
		if (from == NW && to == NW) continue;
		x.kind = from == NW ? TL_TK_MINT : to == NW ? TL_TK_BURN : TL_TK_VALUE;
		x.seed = seed;
		if (gpush(&g, &x)) rc = tl_err_set(err, "out of memory");
	}
	tl_eth_xfer_iter_free(it);
	free(g.x);
	return rc;
}

uint32_t tl_eth_trace_parse_cats(const char *list)
{
	uint32_t c = 0;
	char buf[256];
	snprintf(buf, sizeof buf, "%s", list);
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		uint32_t b = cat_bit(t);
		if (!b) return UINT32_MAX;
		c |= b;
	}
	return c;
}

static json_t *cats_json(uint32_t c)
{
	static const char *n[] = { "exchange", "bridge", "service", "mixer", "sanctioned" };
	json_t *a = json_array();
	for (int i = 0; i < 5; i++)
		if (c & (1u << i)) json_array_append_new(a, json_string(n[i]));
	return a;
}


void tl_eth_trace_req_default(struct tl_eth_trace_req *r)
{
	memset(r, 0, sizeof *r);
	tl_taint_params_default(&r->p);
	r->p.max_hops = TL_TRACE_DEFAULT_MAX_HOPS;
	r->p.stop_cats = tl_eth_trace_parse_cats("exchange,bridge,service");
	r->until = -1;
}

int tl_eth_trace_report(struct tl_eth_store *st, const struct tl_eth_trace_req *rq, json_t **out, struct tl_err *err)
{
	*out = NULL;
	int modes = (rq->heist != NULL) + (rq->nseeds > 0) + (rq->address != NULL);
	if (modes != 1) return tl_err_set(err, "give exactly one of a heist, seeds or an address");
	struct tl_taint_params p = rq->p;
	int rc = -1;
	struct tagctx tc = { .s = st, .clr = rq->clearance, .err = err, .chain = tl_eth_store_net(st)->chain,
			     .by_id = json_object() };
	struct seeds sd = { .desc = json_array() };
	struct tl_taint *e = NULL;
	json_t *heist_j = NULL, *o = NULL;
	if (tl_eth_tags_each(st, NULL, dbtag_cb, &tc, err)) goto out; /* tags import */
	if (tl_eth_links_each_vault(st, vault_cb, &tc, err)) goto out;  /* learned vaults */
	for (int i = 0; i < rq->ntags; i++) {
		struct tl_tag_report rep;
		memset(&rep, 0, sizeof rep);
		if (tl_tags_parse_file(rq->tag_files[i], TL_TAGFMT_AUTO, tag_cb, &tc, &rep, err)) {
			tl_err_prefix(err, "%s: ", rq->tag_files[i]);
			goto out;
		}
	}
	if (rq->heist) {
		if (seeds_heist(st, rq->clearance, rq->heists_file, rq->heist, &sd, &heist_j, err)) goto out;
	} else if (rq->address) {
		struct wend w[2];
		if (parse_wend(rq->from, 0, &w[0], err) || parse_wend(rq->to, 1, &w[1], err) ||
		    seeds_address(st, rq->address, &w[0], &w[1], rq->asset, &sd, err))
			goto out;
		json_array_append_new(sd.desc, json_pack("{s:s,s:s?,s:s?,s:s?}", "address", rq->address, "from", rq->from,
		                                         "until", rq->to, "asset", rq->asset));
	} else {
		for (int i = 0; i < rq->nseeds; i++) {
			const char *sv = rq->seeds[i];
			const char *colon = strchr(sv, ':');
			size_t hl = colon ? (size_t)(colon - sv) : strlen(sv);
			uint64_t to_id = 0;
			if (colon) {
				uint8_t a[20];
				int k;
				if (tl_eth_addr_parse(colon + 1, strlen(colon + 1), a, err)) goto out;
				if ((k = tl_eth_store_account_id(st, a, &to_id, err)) <= 0) {
					if (k == 0) tl_err_set(err, "address %s never appears in the index", colon + 1);
					goto out;
				}
			}
			if (seeds_tx(st, sv, hl, to_id, &sd, err)) goto out;
			json_t *d = json_pack("{s:s%}", "txid", sv, hl);
			if (colon) json_object_set_new(d, "to", json_string(colon + 1));
			json_array_append_new(sd.desc, d);
		}
	}
	qsort(sd.v, sd.n, sizeof *sd.v, u64cmp);

	struct tl_eth_tip tip;
	if (tl_eth_store_tip(st, &tip, err)) goto out;
	size_t n_deposit = 0;
	if (rq->deposit_heuristic && add_deposit_accounts(st, &tc, tip.next_acct, &n_deposit, err)) goto out;
	p.account_cats = acct_cats;
	p.cats_ctx = &tc;
	e = tl_taint_new(&p);
	if (!e) {
		tl_err_set(err, "out of memory");
		goto out;
	}
	int r = replay(st, e, &sd, tip.next_seq, rq->until, rq->cancel, rq->cancel_ctx, err);
	if (r) {
		rc = r;
		goto out;
	}
	struct tl_taint_result res;
	if (tl_taint_finish(e, &res, err)) goto out;
	char th[67];
	hex32(tip.hash, th);
	struct namectx nc = { .s = st, .tags = &tc };
	struct tl_taint_names nm = { .ctx = &nc, .account = name_account, .asset = name_asset, .tx = name_tx, .tag = name_tag,
	                             .asset_info = asset_info };
	json_t *extra = json_pack("{s:o,s:b,s:o,s:I}", "stop_categories", cats_json(p.stop_cats), "stop_at_mixers",
	                          rq->stop_at_mixers, "until", rq->until >= 0 ? json_integer(rq->until) : json_null(),
	                          "seed_transfers", (json_int_t)sd.n);
	json_object_set_new(extra, "deposit_heuristic",
	                    rq->deposit_heuristic
	                            ? json_pack("{s:s,s:I}", "rule", DEPOSIT_RULE, "accounts", (json_int_t)n_deposit)
	                            : json_false());
	if (tl_clearance_restricted(rq->clearance)) { /* as a Bitcoin trace says it (tracer/trace.c) */
		char cn[TL_TLP_AUDIENCE_MAX + 16];
		json_object_set_new(extra, "clearance", json_string(tl_clearance_name(rq->clearance, cn)));
	}
	json_t *seeds_j = sd.desc;
	sd.desc = NULL;
	o = tl_taint_json(&res, &p, "ethereum", json_pack("{s:I,s:s}", "height", (json_int_t)tip.height, "hash", th),
	                  extra, seeds_j, &nm, err);
	if (!o) goto out;
	json_object_set_new(o, "network", json_string(tl_eth_store_net(st)->name));
	if (heist_j) {
		json_object_set_new(o, "heist", heist_j);
		heist_j = NULL;
	}
	json_object_set_new(o, "provenance", json_pack("{s:s}", "software", tl_trace_software()));
	*out = o;
	o = NULL;
	rc = 0;
out:
	json_decref(o);
	json_decref(heist_j);
	json_decref(sd.desc);
	free(sd.v);
	json_decref(tc.by_id);
	tl_taint_free(e);
	return rc;
}


/* ---- the screening index (store/eth_screen.h) ---- */

/* The screening replay: haircut, the default stops and hop limit, from
 * heist's seeds (heist not NULL) or from the transfers to TO of each
 * "TXHASH:TO" of specs[0..n). *by gets what each account received
 * ("<account id>" -> {asset: decimal}), *inb (may be NULL) the bridge
 * deposits reached, *tip the block replayed to. Returns 0 or -1. */
static int screen_replay(struct tl_eth_store *st, const char *heist, const char *const *specs, size_t n, json_t **byp,
                         json_t **inbp, int64_t *tipp, struct tl_err *err)
{
	struct tl_taint_params p;
	tl_taint_params_default(&p);
	p.policy = TL_TP_HAIRCUT;
	p.max_hops = TL_TRACE_DEFAULT_MAX_HOPS;
	p.stop_cats = tl_eth_trace_parse_cats("exchange,bridge,service");
	/* materialized with every tag: screening answers filter by heist */
	struct tagctx tc = { .s = st, .err = err, .chain = tl_eth_store_net(st)->chain, .by_id = json_object() };
	struct seeds sd = { .desc = json_array() };
	struct tl_taint *e = NULL;
	json_t *heist_j = NULL, *by = json_object(), *inb = NULL;
	struct namectx nc = { .s = st, .tags = &tc };
	int rc = -1;
	struct tl_eth_tip tip;
	if (tl_eth_tags_each(st, NULL, dbtag_cb, &tc, err) || tl_eth_links_each_vault(st, vault_cb, &tc, err) ||
	    (heist && seeds_heist(st, NULL, NULL, heist, &sd, &heist_j, err)) || tl_eth_store_tip(st, &tip, err))
		goto out;
	for (size_t i = 0; i < n; i++) {
		const char *colon = strchr(specs[i], ':');
		uint8_t a[20];
		uint64_t to_id = 0;
		int k = 0;
		if (!colon || tl_eth_addr_parse(colon + 1, strlen(colon + 1), a, err) ||
		    (k = tl_eth_store_account_id(st, a, &to_id, err)) <= 0) {
			if (k == 0) tl_err_set(err, "bad seed '%s'", specs[i]);
			goto out;
		}
		if (seeds_tx(st, specs[i], (size_t)(colon - specs[i]), to_id, &sd, err)) goto out;
	}
	qsort(sd.v, sd.n, sizeof *sd.v, u64cmp);
	p.account_cats = acct_cats;
	p.cats_ctx = &tc;
	if (!(e = tl_taint_new(&p))) {
		tl_err_set(err, "out of memory");
		goto out;
	}
	struct tl_taint_result res;
	if (replay(st, e, &sd, tip.next_seq, -1, NULL, NULL, err) || tl_taint_finish(e, &res, err)) goto out;
	/* what each account received: the flows into it */
	for (size_t i = 0; i < res.n_edges; i++) {
		const struct tl_taint_edge *g = &res.edges[i];
		if (g->to == TL_TAINT_NOWHERE || tl_uint256_is_zero(&g->amount)) continue;
		char k[24], an[64], d[TL_U256_DEC_MAX];
		snprintf(k, sizeof k, "%llu", (unsigned long long)g->to);
		if (name_asset(&nc, g->asset, an, sizeof an, err)) goto out;
		json_t *o = json_object_get(by, k);
		if (!o) json_object_set_new(by, k, o = json_object());
		const char *prev = json_string_value(json_object_get(o, an));
		tl_uint256 sum = tl_uint256_from_u64(0);
		if (prev && tl_uint256_from_dec(prev, strlen(prev), &sum)) goto out;
		if (tl_uint256_add(&sum, &sum, &g->amount)) {
			tl_err_set(err, "taint overflows 256 bits");
			goto out;
		}
		json_object_set_new(o, an, json_string(tl_uint256_to_dec(&sum, d)));
	}
	/* the THORChain deposits it reached: where screening on the other
	 * chain starts (tracer/screen_xchain.h) */
	if (inbp && tl_xscreen_eth_inbounds(st, &res, &inb, err)) goto out;
	*byp = by;
	by = NULL;
	if (inbp) *inbp = inb;
	inb = NULL;
	*tipp = tip.height;
	rc = 0;
out:
	json_decref(inb);
	json_decref(by);
	json_decref(heist_j);
	json_decref(sd.desc);
	free(sd.v);
	json_decref(tc.by_id);
	tl_taint_free(e);
	return rc;
}

int tl_eth_screen_materialize(struct tl_eth_store *st, const char *heist, struct tl_err *err)
{
	json_t *by = NULL, *inb = NULL;
	int64_t tip;
	int rc = screen_replay(st, heist, NULL, 0, &by, &inb, &tip, err);
	if (!rc) rc = tl_eth_screen_store(st, heist, tip, by, inb, err);
	json_decref(by);
	json_decref(inb);
	return rc;
}

int tl_eth_screen_flows(struct tl_eth_store *st, const char *const *seeds, size_t n, json_t **by_acct,
                        struct tl_err *err)
{
	int64_t tip;
	return screen_replay(st, NULL, seeds, n, by_acct, NULL, &tip, err);
}

