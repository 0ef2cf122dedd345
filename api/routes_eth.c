/* Ethereum routes: accounts, transactions, blocks and an account's
 * transfers under /eth/api/v2 (the resource names of Blockscout's REST
 * API v2, whose answers are taintline's own: the JSON of `taintline get`
 * on the same database), screening of Ethereum accounts and heist traces
 * over the Ethereum database or over both (docs/api.md, "Ethereum").
 *
 * Every handler reads the Ethereum database under the read side of
 * app->eth_lock, from its first read to its last, so one answer is one
 * state of the index. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/clearance.h"
#include "api/http_json.h"
#include "api/openapi.h"
#include "api/serve.h"
#include "ethereum/address.h"
#include "store/eth_intel.h"
#include "store/eth_json.h"
#include "store/eth_screen.h"
#include "store/eth_store.h"
#include "taint/report.h"
#include "tracer/entities.h"
#include "tracer/eth_trace.h"
#include "taint/walk.h"

/* Parses an address (EIP-55 checked when mixed case); 400 bad_address. */
static int parse_addr(struct tl_api_req *req, const char *s, uint8_t out[20])
{
	struct tl_err err;
	if (!s) {
		tl_api_reply_error(req, 400, "bad_address", "an address is required");
		return -1;
	}
	if (tl_eth_addr_parse(s, strlen(s), out, &err) == 0) return 0;
	tl_api_reply_error(req, 400, "bad_address", "%s", err.msg);
	return -1;
}

/* A decimal query parameter in [lo, hi], absent = dflt; 400 otherwise. */
static int query_u64(struct tl_api_req *req, const char *name, uint64_t lo, uint64_t hi, uint64_t dflt, uint64_t *out)
{
	const char *v = tl_api_req_query(req, name);
	*out = dflt;
	if (!v) return 0;
	char *end = NULL;
	errno = 0;
	unsigned long long x = *v >= '0' && *v <= '9' ? strtoull(v, &end, 10) : 0;
	if (!(*v >= '0' && *v <= '9') || *end || errno == ERANGE || x < lo || x > hi) {
		tl_api_reply_error(req, 400, "bad_request", "%s must be an integer between %llu and %llu", name,
				   (unsigned long long)lo, (unsigned long long)hi);
		return -1;
	}
	*out = x;
	return 0;
}

/* A server without an Ethereum database still has these routes, so that
 * a client gets a typed answer instead of a router miss. */
static int no_eth(struct tl_api_req *req, const struct tl_app *app)
{
	if (app->eth) return 0;
	tl_api_reply_error(req, 404, "chain_not_served",
			   "this server has no Ethereum database (taintline serve --db BTCDB --db ETHDB)");
	return -1;
}

/* Replies with j (or the store error of err when NULL). */
static void reply(struct tl_api_req *req, json_t *j, const struct tl_err *err)
{
	if (!j) {
		tl_app_reply_store_error(req, err);
		return;
	}
	tl_api_reply_json(req, 200, j);
}

static void get_account(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	if (no_eth(req, app)) return;
	uint8_t a[20];
	if (parse_addr(req, tl_api_req_param(req, "address"), a)) return;
	struct tl_err err;
	uint64_t id;
	tl_app_eth_rdlock(app);
	int r = tl_eth_store_account_id(app->eth, a, &id, &err);
	json_t *j = r == 1 ? tl_eth_json_account(app->eth, a, &err) : NULL;
	tl_app_eth_unlock(app);
	if (r == 0) {
		tl_api_reply_error(req, 404, "not_found", "the index has no transfer of this account");
		return;
	}
	reply(req, j, &err);
}

/* GET .../addresses/:address/transfers?asset=TOKEN&before=CURSOR&limit=N:
 * one asset's transfers (ether without asset), newest first; "next" is
 * the cursor of the following page (null on the last). */
static void get_transfers(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	if (no_eth(req, app)) return;
	uint8_t a[20], tok[20];
	if (parse_addr(req, tl_api_req_param(req, "address"), a)) return;
	const char *asset = tl_api_req_query(req, "asset");
	bool ether = !asset || !strcmp(asset, "ETH");
	if (!ether && parse_addr(req, asset, tok)) return;
	uint64_t before, limit;
	if (query_u64(req, "before", 0, UINT64_MAX - 1, UINT64_MAX, &before) ||
	    query_u64(req, "limit", 1, 1000, 25, &limit))
		return;
	struct tl_err err;
	uint64_t id;
	uint32_t asset_id = 0;
	tl_app_eth_rdlock(app);
	int r = tl_eth_store_account_id(app->eth, a, &id, &err);
	int ra = r == 1 && !ether ? tl_eth_store_asset_id(app->eth, tok, &asset_id, &err) : 1;
	json_t *j = r == 1 && ra == 1 ? tl_eth_json_history(app->eth, a, ether ? NULL : tok, before, (int)limit, &err)
				      : NULL;
	tl_app_eth_unlock(app);
	if (r == 0) {
		tl_api_reply_error(req, 404, "not_found", "the index has no transfer of this account");
		return;
	}
	if (r == 1 && ra == 0) {
		tl_api_reply_error(req, 404, "not_found", "the index has no transfer of token %s", asset);
		return;
	}
	reply(req, j, &err);
}

static void get_tx(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	if (no_eth(req, app)) return;
	const char *h = tl_api_req_param(req, "hash");
	uint8_t hash[32];
	if (strlen(h) != 66 || tl_eth_hex_bytes(h, strlen(h), hash, 32)) {
		tl_api_reply_error(req, 400, "bad_txid", "a transaction hash is 0x and 64 hex digits");
		return;
	}
	struct tl_err err;
	struct tl_eth_tx_rec tr;
	tl_app_eth_rdlock(app);
	int r = tl_eth_store_tx(app->eth, hash, &tr, &err);
	json_t *j = r == 1 ? tl_eth_json_tx(app->eth, hash, &err) : NULL;
	tl_app_eth_unlock(app);
	if (r == 0) {
		tl_api_reply_error(req, 404, "not_found", "Transaction not found");
		return;
	}
	reply(req, j, &err);
}

/* GET .../blocks/:block: a block number (decimal) or hash (0x + 64). */
static void get_block(struct tl_api_req *req, void *ctx)
{
	struct tl_app *app = ctx;
	if (no_eth(req, app)) return;
	const char *b = tl_api_req_param(req, "block");
	uint8_t hash[32];
	bool by_hash = strlen(b) == 66 && tl_eth_hex_bytes(b, 66, hash, 32) == 0;
	uint64_t number = 0;
	if (!by_hash) {
		char *end;
		errno = 0;
		number = *b >= '0' && *b <= '9' ? strtoull(b, &end, 10) : 0;
		if (!(*b >= '0' && *b <= '9') || *end || errno == ERANGE) {
			tl_api_reply_error(req, 400, "bad_request", "a block is a number or a hash (0x and 64 hex digits)");
			return;
		}
	}
	struct tl_err err;
	struct tl_eth_block_rec br;
	tl_app_eth_rdlock(app);
	int r = by_hash ? tl_eth_store_block_by_hash(app->eth, hash, &br, &err) : tl_eth_store_block(app->eth, number, &br, &err);
	json_t *j = r == 1 ? tl_eth_json_block(app->eth, number, by_hash ? hash : NULL, &err) : NULL;
	tl_app_eth_unlock(app);
	if (r == 0) {
		tl_api_reply_error(req, 404, "not_found", "Block not found");
		return;
	}
	reply(req, j, &err);
}

/* ---- screening ---- */

/* Whether clr may see heist id as the Bitcoin database (bitcoin) or the
 * Ethereum one holds it: 1 visible, 0 hidden, 2 not held there, -1 with
 * err. */
static int heist_seen(struct tl_app *app, const struct tl_clearance *clr, const char *id, int bitcoin, struct tl_err *err)
{
	int k, r = 1;
	if (bitcoin) {
		struct tl_heist_info hi;
		memset(&hi, 0, sizeof hi);
		k = app->store ? tl_heist_get(app->store, id, &hi, err) : 0;
		if (k == 1) r = tl_clear_heist(app->store, clr, id, hi.json, err);
		free(hi.json);
	} else {
		json_t *def = NULL;
		k = tl_eth_heist_get(app->eth, id, &def, err);
		if (k == 1) r = tl_eth_heist_visible(app->eth, clr, id, def, err);
		json_decref(def);
	}
	return k < 0 ? -1 : k == 0 ? 2 : r;
}

/* Leaves out of a screening answer the exposures to heists above the
 * caller's clearance, as if those heists were never imported. Returns 0
 * or -1 with err. */
static int hide_exposures(struct tl_api_req *req, struct tl_app *app, json_t *answer, struct tl_err *err)
{
	struct tl_clearance clr;
	tl_api_req_clearance(req, &clr);
	if (clr.all) return 0;
	json_t *exp = json_object_get(answer, "exposures");
	for (size_t i = json_array_size(exp); i-- > 0;) {
		json_t *x = json_array_get(exp, i);
		const char *id = json_string_value(json_object_get(x, "heist"));
		const char *from = json_string_value(json_object_get(x, "from_chain"));
		if (!id) continue;
		/* a heist neither database holds cannot be above anyone's
		 * clearance: kept; one that crossed over THORChain is the Bitcoin
		 * database's */
		int r = heist_seen(app, &clr, id, from && !strcmp(from, "bitcoin"), err);
		if (r < 0) return -1;
		if (r == 0) json_array_remove(exp, i);
	}
	return 0;
}

void tl_eth_get_screen(struct tl_api_req *req, struct tl_app *app)
{
	const char *addr = tl_api_req_query(req, "address");
	if (!addr) {
		tl_api_reply_error(req, 400, "bad_request", "give address=0x... (an Ethereum account)");
		return;
	}
	uint8_t a[20];
	if (parse_addr(req, addr, a)) return;
	struct tl_err err;
	json_t *j = NULL;
	tl_app_eth_rdlock(app);
	struct tl_eth_screen *h = tl_app_eth_screen_get(app, &err);
	int r = h ? tl_eth_screen_lookup(h, a, &j, &err) : -1;
	tl_app_eth_screen_put(app, h);
	if (r >= 0 && hide_exposures(req, app, j, &err)) r = -1;
	tl_app_eth_unlock(app);
	if (r < 0) {
		json_decref(j);
		tl_app_reply_store_error(req, &err);
		return;
	}
	tl_api_reply_json(req, 200, j);
}

static void get_screen(struct tl_api_req *req, void *ctx) { tl_eth_get_screen(req, ctx); }

/* ---- the heist list ---- */

int tl_eth_heists_add(struct tl_api_req *req, struct tl_app *app, json_t *heists, struct tl_err *err)
{
	struct tl_clearance clr;
	tl_api_req_clearance(req, &clr);
	json_t *list;
	tl_app_eth_rdlock(app);
	int rc = tl_eth_heists_list(app->eth, &list, err);
	size_t i;
	json_t *def;
	if (!rc) json_array_foreach(list, i, def) {
		const char *id = json_string_value(json_object_get(def, "id"));
		int v = id ? tl_eth_heist_visible(app->eth, &clr, id, def, err) : 0;
		if (v < 0) {
			rc = -1;
			break;
		}
		if (!v) continue;
		int here = tl_eth_chain_is(app->eth, json_string_value(json_object_get(def, "chain"))) &&
			   json_array_size(json_object_get(def, "seeds")) > 0;
		json_t *e = NULL, *x;
		size_t k;
		json_array_foreach(heists, k, x) if (!strcmp(json_string_value(json_object_get(x, "id")) ?: "", id)) e = x;
		if (!e) {
			e = json_pack("{s:s,s:b,s:O,s:[]}", "id", id, "traceable", 0, "definition", def, "traced_on");
			json_array_append_new(heists, e);
		}
		if (here) json_array_append_new(json_object_get(e, "traced_on"), json_string("ethereum"));
	}
	tl_app_eth_unlock(app);
	json_decref(list);
	return rc;
}

static void get_heists(struct tl_api_req *req, void *ctx)
{
	struct tl_err err;
	json_t *a = json_array();
	if (tl_eth_heists_add(req, ctx, a, &err)) {
		json_decref(a);
		tl_app_reply_store_error(req, &err);
		return;
	}
	tl_api_reply_json(req, 200, json_pack("{s:o}", "heists", a));
}

/* ---- heist traces ---- */

struct cancel_ctx {
	const struct tl_app *app;
	const struct tl_api_req *req;
	uint64_t deadline_ms;
};

static int trace_cancel(void *vctx)
{
	const struct cancel_ctx *c = vctx;
	if (c->deadline_ms && tl_walk_now_ms() >= c->deadline_ms) return 1;
	return c->app->stop != 0 || tl_api_req_cancelled(c->req);
}

/* A numeric query parameter: 1 and *v when present, 0 absent, -1 after a
 * 400 reply. */
static int query_num(struct tl_api_req *req, const char *name, uint64_t max, uint64_t *v)
{
	if (!tl_api_req_query(req, name)) return 0;
	return query_u64(req, name, 0, max, 0, v) ? -1 : 1;
}

/* Whether the caller may see heist id, by its marking in the database
 * that holds it (as GET /v1/heists/:id). 1 visible, 0 unknown or hidden,
 * -1 after a store error reply. */
static int heist_visible(struct tl_api_req *req, struct tl_app *app, const char *id)
{
	struct tl_err err;
	struct tl_clearance clr;
	tl_api_req_clearance(req, &clr);
	int r = heist_seen(app, &clr, id, 0, &err);
	if (r == 2) r = heist_seen(app, &clr, id, 1, &err);
	if (r < 0) tl_app_reply_store_error(req, &err);
	return r == 2 ? 0 : r;
}

/* GET /v1/heists/:id/trace on a server with an Ethereum database: the
 * report `taintline trace` writes for the same parameters (over both
 * databases when the server has both), byte for byte: JSON indented by
 * two spaces and a newline, or the HTML page. */
void tl_eth_heist_trace(struct tl_api_req *req, struct tl_app *app)
{
	const char *id = tl_api_req_param(req, "id");
	const char *format = tl_api_req_query(req, "format");
	const char *policy = tl_api_req_query(req, "policy");
	bool both = app->store != NULL;
	if (!format) format = "json";
	if (both ? strcmp(format, "json") && strcmp(format, "html")
		 : strcmp(format, "json") && strcmp(format, "csv") && strcmp(format, "dot") && strcmp(format, "html") &&
			   strcmp(format, "text")) {
		tl_api_reply_error(req, 400, "bad_request", "format must be %s",
				   both ? "json or html (over both chains)" : "json, csv, dot, html or text");
		return;
	}
	uint64_t max_hops = 0, min_sat = 0, until = 0;
	int has_hops, has_sat = 0, has_until = 0;
	if ((has_hops = query_num(req, "max_hops", UINT32_MAX, &max_hops)) < 0) return;
	if (both && (has_sat = query_num(req, "min_sat", 2100000000000000ULL, &min_sat)) < 0) return;
	uint64_t max_tx = app->max_trace_txs, lower = 0; /* the caller lowers the server's cap, never raises it */
	if (both && query_num(req, "max_tx", UINT64_MAX - 1, &lower) < 0) return;
	if (lower && lower < max_tx) max_tx = lower;
	if (!both && (has_until = query_num(req, "until", INT64_MAX, &until)) < 0) return;
	tl_uint256 min_amount = tl_uint256_from_u64(0);
	const char *ma = tl_api_req_query(req, "min_amount");
	if (ma && (tl_uint256_from_dec(ma, strlen(ma), &min_amount) || (both && !has_sat && !tl_uint256_fits_u64(&min_amount)))) {
		tl_api_reply_error(req, 400, "bad_request", "min_amount: base units, a decimal integer%s",
				   both ? " (below 2^64 when it also limits Bitcoin amounts)" : "");
		return;
	}
	/* Ethereum-only: the account policies; both: a Bitcoin name or its
	 * account analog (seniority = tiho). */
	enum tl_taint_policy tp = TL_TP_HAIRCUT;
	if (policy) {
		const char *ep = !strcmp(policy, "tiho") && both ? "seniority" : policy;
		if (tl_taint_policy_parse(ep, &tp)) {
			tl_api_reply_error(req, 400, "bad_policy", "unknown policy '%s' (poison, haircut, fifo, %s)", policy,
					   both ? "tiho or seniority" : "seniority");
			return;
		}
	}
	uint32_t stops = tl_eth_trace_parse_cats("exchange,bridge,service");
	const char *sc = tl_api_req_query(req, "stop_categories");
	const char *sm = tl_api_req_query(req, "stop_at_mixers");
	int mixers = sm && (!strcmp(sm, "true") || !strcmp(sm, "1"));
	if (!both) {
		if (sc && (stops = tl_eth_trace_parse_cats(sc)) == UINT32_MAX) {
			tl_api_reply_error(req, 400, "bad_request",
					   "stop_categories: names among exchange, bridge, service, mixer, sanctioned");
			return;
		}
		if (mixers) stops |= tl_eth_trace_parse_cats("mixer");
	} else if (sc || sm || tl_api_req_query(req, "until")) {
		tl_api_reply_error(req, 400, "bad_request",
				   "over both chains a trace takes policy, max_hops, min_sat, min_amount, max_tx and format");
		return;
	}

	/* The walk stops on time: at the end of the request's budget, or of
	 * the server's trace time limit if shorter, or when the server stops
	 * or the client leaves. */
	long budget = tl_api_req_time_left_ms(req);
	if (app->opts.trace_time_ms > 0 && app->opts.trace_time_ms < budget) budget = app->opts.trace_time_ms;
	struct cancel_ctx cc = { app, req, budget > 0 ? tl_walk_now_ms() + (uint64_t)budget : 1 };

	struct tl_err err = { 0 };
	json_t *out = NULL;
	int r;
	tl_app_eth_rdlock(app);
	int vis = heist_visible(req, app, id);
	if (vis <= 0) {
		tl_app_eth_unlock(app);
		if (vis == 0) tl_api_reply_error(req, 404, "not_found", "no heist '%s' (GET /v1/heists lists them)", id);
		return;
	}
	if (both) {
		struct tl_xchain_req xr;
		memset(&xr, 0, sizeof xr);
		xr.heist = id;
		xr.policy = policy;
		xr.has_max_hops = has_hops;
		xr.max_hops = (uint32_t)max_hops;
		xr.has_min_sat = has_sat;
		xr.min_sat = min_sat;
		xr.has_min_amount = ma != NULL;
		xr.min_amount = min_amount;
		xr.max_tx = max_tx;
		xr.max_mem = (uint64_t)app->opts.trace_memory_mb << 20;
		xr.deadline_ms = cc.deadline_ms;
		xr.cancel = trace_cancel;
		xr.cancel_ctx = &cc;
		r = tl_xchain_trace_report(app->store, app->eth, &xr, &out, &err);
	} else {
		struct tl_eth_trace_req er;
		tl_eth_trace_req_default(&er);
		er.heist = id;
		er.p.policy = tp;
		if (has_hops) er.p.max_hops = (uint32_t)max_hops;
		er.p.min_amount = min_amount;
		er.p.stop_cats = stops;
		er.stop_at_mixers = mixers;
		if (has_until) er.until = (int64_t)until;
		er.cancel = trace_cancel;
		er.cancel_ctx = &cc;
		struct tl_clearance clr;
		tl_api_req_clearance(req, &clr);
		er.clearance = &clr;
		r = tl_eth_trace_report(app->eth, &er, &out, &err);
	}
	tl_app_eth_unlock(app);
	if (r == TL_WALK_TIMEOUT) {
		long limit = app->opts.trace_time_ms > 0 && app->opts.trace_time_ms < app->opts.handler_time_ms
				     ? app->opts.trace_time_ms
				     : app->opts.handler_time_ms;
		json_t *extra = json_pack("{s:s,s:f,s:s}", "limit", "trace_time", "max", (double)limit / 1000.0, "narrow",
					  "pass a smaller max_hops or a min_amount dust threshold");
		tl_api_reply_error_extra(req, 422, "trace_timeout", extra,
					 "the trace did not finish within its time limit (%.3g s): %s", (double)limit / 1000.0,
					 err.msg);
		return;
	}
	if (r == TL_WALK_TOO_BIG) {
		tl_api_reply_limit(req, 413, "trace_txs", (double)app->max_trace_txs, "pass a smaller max_hops or a min_sat",
				   "the trace visits more transactions than this server allows");
		return;
	}
	if (r == TL_WALK_MEMORY) {
		tl_api_reply_limit(req, 413, "trace_memory_mb", (double)app->opts.trace_memory_mb,
				   "pass a smaller max_hops or a min_sat",
				   "the trace needs more than this server's trace memory budget");
		return;
	}
	if (r < 0) {
		/* Unknown or bad seeds of a stored heist: the definition does not
		 * fit this index (422, as the Bitcoin route's not_traceable). */
		tl_api_reply_error(req, 422, "not_traceable", "%s", err.msg);
		return;
	}
	char *text = NULL;
	size_t len = 0;
	const char *ctype = "application/json";
	if (!strcmp(format, "json")) {
		text = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (text) {
			len = strlen(text);
			char *t2 = realloc(text, len + 2);
			if (t2) {
				text = t2;
				text[len++] = '\n'; /* as the command line writes it */
				text[len] = 0;
			}
		}
		r = text ? 0 : tl_err_set(&err, "out of memory");
	} else if (both) {
		r = tl_xchain_render_html(out, &text, &err);
		ctype = "text/html; charset=utf-8";
	} else if (!strcmp(format, "csv")) {
		r = tl_taint_report_csv(out, &text, &len, &err);
		ctype = "text/csv";
	} else if (!strcmp(format, "dot")) {
		r = tl_taint_report_dot(out, &text, &len, &err);
		ctype = "text/vnd.graphviz";
	} else if (!strcmp(format, "text")) {
		r = tl_taint_report_text(out, &text, &len, &err);
		ctype = "text/plain; charset=utf-8";
	} else {
		r = tl_taint_report_html(out, &text, &len, &err);
		ctype = "text/html; charset=utf-8";
	}
	json_decref(out);
	if (r == 0 && both && text && strcmp(format, "json")) len = strlen(text);
	if (r < 0 || !text) tl_api_reply_error(req, 500, "internal", "rendering the report failed: %s", err.msg);
	else tl_api_reply_raw(req, 200, ctype, text, len);
	free(text);
}

static void get_heist_trace(struct tl_api_req *req, void *ctx) { tl_eth_heist_trace(req, ctx); }

int tl_routes_eth(struct tl_app *app, struct tl_err *err)
{
	struct tl_api_server *s = app->srv;
	if (tl_api_route(s, TL_GET, "/eth/api/v2/addresses/:address", TL_ROLE_SCREEN, get_account, app, err) ||
	    tl_api_route(s, TL_GET, "/eth/api/v2/addresses/:address/transfers", TL_ROLE_SCREEN, get_transfers, app, err) ||
	    tl_api_route(s, TL_GET, "/eth/api/v2/transactions/:hash", TL_ROLE_SCREEN, get_tx, app, err) ||
	    tl_api_route(s, TL_GET, "/eth/api/v2/blocks/:block", TL_ROLE_SCREEN, get_block, app, err))
		return -1;
	/* /v1 is routes_v1.c's on a server with a Bitcoin database; it hands
	 * Ethereum requests here. */
	if (app->store) return 0;
	const struct tl_api_route_opts pool_opts = { TL_ROUTE_POOL, 0 };
	if (tl_api_route(s, TL_GET, "/v1/screen", TL_ROLE_SCREEN, get_screen, app, err) ||
	    tl_api_route(s, TL_GET, "/v1/heists", TL_ROLE_SCREEN, get_heists, app, err) ||
	    tl_api_route_opts(s, TL_GET, "/v1/heists/:id/trace", TL_ROLE_INVESTIGATE, &pool_opts, get_heist_trace, app,
			      err) ||
	    tl_routes_openapi(app, err))
		return -1;
	return 0;
}
