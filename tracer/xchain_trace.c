/* One trace over a Bitcoin and an Ethereum database (tracer/eth_trace.h;
 * `taintline trace --db BTCDB --db ETHDB --heist ID` and the API), following a heist stolen on Ethereum
 * through THORChain into Bitcoin (docs/bridges.md).
 *
 * The Ethereum part is the account-model trace (tracer/eth_trace.c), as
 * `trace --db ETHDB` reports it. Each of its endpoints at an address
 * tagged `bridge` is a THORChain inbound H: the Bitcoin database's memo
 * index gives the outbound whose memo is OUT:H and its payout o, which
 * seeds the Bitcoin walk with floor(o * t / a) (poison: o). An inbound
 * with no outbound indexed yet is a `bridge_pending` endpoint. The
 * report keeps both chains' own reports and adds the crossings, merged
 * endpoints and holdings, and totals keyed by chain then asset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "bridge/link.h"
#include "base/bytes.h"
#include "bitcoin/hash.h"
#include "ethereum/address.h"
#include "store/eth_links.h"
#include "store/eth_store.h"
#include "tracer/eth_trace.h"
#include "store/links_btc.h"
#include "store/store.h"
#include "tracer/entities.h"
#include "intel/registry.h"
#include "taint/report.h"
#include "tracer/trace.h"
#include "taint/walk.h"

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static int parse_h32(const char *s, uint8_t out[32])
{
	if (!s) return -1;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s += 2;
	if (strlen(s) != 64) return -1;
	for (int i = 0; i < 32; i++) {
		int h = hexval(s[2 * i]), l = hexval(s[2 * i + 1]);
		if (h < 0 || l < 0) return -1;
		out[i] = (uint8_t)(h << 4 | l);
	}
	return 0;
}

static json_t *dec_json(const tl_uint256 *v)
{
	char b[TL_U256_DEC_MAX];
	return json_string(tl_uint256_to_dec(v, b));
}

static int json_dec(json_t *j, tl_uint256 *v)
{
	const char *s = json_string_value(j);
	if (!s) {
		*v = tl_uint256_from_u64(0);
		return j && !json_is_null(j) ? -1 : 0;
	}
	return tl_uint256_from_dec(s, strlen(s), v) ? -1 : 0;
}

/* The inbound amount a: what transaction hash moved of asset to address. */
static int inbound_amount(struct tl_eth_store *es, const uint8_t hash[32], const char *address, const char *asset,
			  tl_uint256 *a, struct tl_err *err)
{
	uint8_t addr[20];
	uint64_t acct;
	uint32_t asset_id = 0;
	struct tl_eth_tx_rec tx;
	if (tl_eth_addr_parse(address, strlen(address), addr, err)) return -1;
	if (tl_eth_store_account_id(es, addr, &acct, err) != 1) return tl_err_set(err, "vault %s not indexed", address);
	if (strcmp(asset, "ETH")) {
		uint8_t c[20];
		if (tl_eth_addr_parse(asset, strlen(asset), c, err) || tl_eth_store_asset_id(es, c, &asset_id, err) != 1)
			return tl_err_set(err, "asset %s not indexed", asset);
	}
	if (tl_eth_store_tx(es, hash, &tx, err) != 1) return tl_err_set(err, "inbound transaction not indexed");
	*a = tl_uint256_from_u64(0);
	for (uint32_t i = 0; i < tx.n_xfer; i++) {
		struct tl_eth_xfer_rec x;
		if (tl_eth_store_xfer(es, tx.first_seq + i, &x, err) != 1) return -1;
		if (x.to == acct && x.asset == asset_id && tl_uint256_add(a, a, &x.amount))
			return tl_err_set(err, "inbound amount overflow");
	}
	return 0;
}

/* A copy of a per-asset totals object with the cross-chain keys. */
static json_t *chain_totals(json_t *src, const tl_uint256 *bridged_in, const tl_uint256 *bridged_out,
			    const tl_uint256 *endpoints_less)
{
	static const char *keys[] = { "seeded", "endpoints", "holdings", "fees", "cut", "converted_in", "converted_out",
				      "unknown_prior" };
	json_t *o = json_object();
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
		tl_uint256 v;
		if (json_dec(json_object_get(src, keys[k]), &v)) v = tl_uint256_from_u64(0);
		if (!strcmp(keys[k], "endpoints") && endpoints_less && tl_uint256_sub(&v, &v, endpoints_less))
			v = tl_uint256_from_u64(0);
		json_object_set_new(o, keys[k], dec_json(&v));
	}
	json_object_set_new(o, "bridged_in", dec_json(bridged_in));
	json_object_set_new(o, "bridged_out", dec_json(bridged_out));
	return o;
}

struct vault_ctx {
	struct tl_storegraph *sg;
	struct tl_err *err;
};

/* A learned vault is a bridge endpoint for the Bitcoin walk, as if
 * tagged: the walk stops there instead of walking THORChain's wallet. */
static int vault_cb(void *vctx, uint64_t addr_id)
{
	struct vault_ctx *v = vctx;
	return tl_storegraph_set_entity(v->sg, addr_id, TL_CAT_BRIDGE, 0, "THORChain (vault, from its outbound memos)",
					v->err);
}

static json_t *u64_dec(uint64_t v)
{
	char b[24];
	snprintf(b, sizeof b, "%llu", (unsigned long long)v);
	return json_string(b);
}

/* Appends s to b, HTML-escaped (text and attribute values). */
static void esc(struct tl_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '&': tl_buf_put(b, "&amp;", 5); break;
		case '<': tl_buf_put(b, "&lt;", 4); break;
		case '>': tl_buf_put(b, "&gt;", 4); break;
		case '"': tl_buf_put(b, "&quot;", 6); break;
		default: tl_buf_put(b, s + i, 1);
		}
	}
}

static void put(struct tl_buf *b, const char *s) { tl_buf_put(b, s, strlen(s)); }

/* One self-contained page over both chains: the totals by chain and
 * asset, the crossings, then each chain's own report (as its single-chain
 * trace renders it) embedded whole in an iframe's srcdoc, so nothing is
 * fetched. Returns 0 with *text (malloc'd, NUL-terminated), or -1. */
int tl_xchain_render_html(const json_t *out, char **text, struct tl_err *err)
{
	struct tl_buf b;
	tl_buf_init(&b);
	put(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>taintline: ");
	const char *heist = json_string_value(json_object_get(json_object_get(out, "heist"), "id"));
	if (!heist) heist = json_string_value(json_object_get(out, "heist"));
	esc(&b, heist ? heist : "trace", strlen(heist ? heist : "trace"));
	put(&b, " across chains</title><style>body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}"
		"td,th{border:1px solid #ccc;padding:2px 6px;font-size:90%}iframe{width:100%;height:70em;border:1px solid #999}"
		"</style></head><body><h1>Trace across chains</h1><h2>Totals (base units)</h2><table><tr><th>chain</th><th>asset</th>");
	static const char *cols[] = { "seeded", "endpoints", "holdings", "fees", "cut", "bridged_in", "bridged_out" };
	for (size_t k = 0; k < 7; k++) {
		put(&b, "<th>");
		put(&b, cols[k]);
		put(&b, "</th>");
	}
	put(&b, "</tr>");
	const char *chain, *asset;
	json_t *per, *t;
	json_object_foreach((json_t *)json_object_get(out, "totals"), chain, per)
	{
		json_object_foreach(per, asset, t)
		{
			put(&b, "<tr><td>");
			esc(&b, chain, strlen(chain));
			put(&b, "</td><td>");
			esc(&b, asset, strlen(asset));
			put(&b, "</td>");
			for (size_t k = 0; k < 7; k++) {
				const char *v = json_string_value(json_object_get(t, cols[k]));
				put(&b, "<td>");
				esc(&b, v ? v : "", strlen(v ? v : ""));
				put(&b, "</td>");
			}
			put(&b, "</tr>");
		}
	}
	put(&b, "</table><h2>Crossings</h2><table><tr><th>from</th><th>tx</th><th>to</th><th>tx</th><th>memo</th>"
		"<th>in (tainted)</th><th>out (tainted)</th></tr>");
	json_t *c;
	size_t i;
	json_array_foreach(json_object_get(out, "crossings"), i, c)
	{
		static const char *f[][2] = { { "from_chain", NULL }, { "from_tx", NULL }, { "to_chain", NULL }, { "to_tx", NULL },
					      { "memo", NULL }, { "amount_in", "tainted_in" }, { "amount_out", "tainted_out" } };
		put(&b, "<tr>");
		for (size_t k = 0; k < 7; k++) {
			const char *v = json_string_value(json_object_get(c, f[k][0]));
			put(&b, "<td>");
			esc(&b, v ? v : "", strlen(v ? v : ""));
			if (f[k][1]) {
				const char *w = json_string_value(json_object_get(c, f[k][1]));
				put(&b, " (");
				esc(&b, w ? w : "", strlen(w ? w : ""));
				put(&b, ")");
			}
			put(&b, "</td>");
		}
		put(&b, "</tr>");
	}
	put(&b, "</table>");
	static const char *parts[] = { "ethereum", "bitcoin", "bitcoin_after_refunds" };
	for (size_t k = 0; k < 3; k++) {
		const json_t *p = json_object_get(out, parts[k]);
		if (!p || json_is_null(p)) continue;
		char *h = NULL;
		size_t hl = 0;
		int r = k ? tl_report_html(p, &h, &hl, err) : tl_taint_report_html(p, &h, &hl, err);
		if (r) {
			tl_buf_free(&b);
			return -1;
		}
		put(&b, "<h2>");
		put(&b, parts[k]);
		put(&b, "</h2><iframe srcdoc=\"");
		esc(&b, h, hl);
		put(&b, "\"></iframe>");
		free(h);
	}
	put(&b, "</body></html>\n");
	tl_buf_u8(&b, 0);
	*text = (char *)b.data;
	return 0;
}

static void seed_push(struct tl_trace_seeds *ts, uint64_t tx_num, uint32_t vout, uint64_t amount, json_t *desc)
{
	if (ts->n == ts->cap) {
		ts->cap = ts->cap ? ts->cap * 2 : 16;
		ts->v = realloc(ts->v, ts->cap * sizeof *ts->v);
		if (!ts->v) abort();
	}
	ts->v[ts->n++] = (struct tl_seed){ tx_num, vout, amount };
	if (!ts->desc) ts->desc = json_array();
	json_array_append_new(ts->desc, desc);
}

static const char *totals_keys[][2] = { { "endpoints", "endpoints_sat" }, { "holdings", "holdings_sat" },
					 { "fees", "fees_sat" }, { "cut", "cut_sat" }, { "seeded", "seeded_sat" } };

/* A heist stolen on Bitcoin: its walk stops at THORChain inbounds (tagged
 * or learned vaults). An inbound refunded on Bitcoin (REFUND:H) is a
 * crossing back: a second walk continues from the refund's payout with
 * floor(o * t / a). An inbound swapping to another chain is a
 * crossing when the Ethereum database holds the router's TransferOut
 * whose memo is OUT:<its txid> (carrying floor(o * t / a), ending at the
 * payee as a bridge_payout endpoint), otherwise a bridge_pending endpoint
 * naming the memo's chain, asset and address. */
static int trace_from_bitcoin(struct tl_storegraph *sg, struct tl_store *bs, struct tl_eth_store *es,
			      const struct tl_heist *h, const struct tl_walk_params *wp, const char *btc_policy,
			      const struct tl_eth_trace_req *erq0, json_t **res, struct tl_err *err)
{
	struct tl_trace_seeds ts, rs;
	tl_trace_seeds_init(&ts);
	tl_trace_seeds_init(&rs);
	json_t *w1 = NULL, *w2 = NULL, *out = NULL;
	json_t *crossings = json_array(), *endpoints = json_array(), *holdings = json_array();
	uint64_t refunded = 0, refund_in = 0, to_eth = 0; /* sat: refunded inbounds, inbounds paid out on Ethereum */
	json_t *eth_endpoints = json_array();
	tl_uint256 eth_in = tl_uint256_from_u64(0);
	/* payouts that carry taint on every unit: the Ethereum trace
	 * continues from them ("TXHASH:PAYEE" seeds); cont: asset -> taint */
	json_t *eseeds = json_array(), *cont = json_object(), *eth = NULL, *te = json_object();
	const char **sv = NULL;
	int rc = -1;
	if (tl_trace_seeds_add_heist(sg, h, &ts, err)) goto done;
	int r = tl_trace_run(sg, &ts, wp, &w1, err);
	if (r) {
		if (r == TL_WALK_TOO_BIG) tl_err_set(err, "the Bitcoin walk is too big: narrow it (--max-hops, --min-sat)");
		rc = r;
		goto done;
	}
	bool poison = wp->policy == TL_POLICY_POISON;
	for (int pass = 0; pass < 2; pass++) {
		json_t *w = pass ? w2 : w1, *e;
		size_t i;
		if (!w) break;
		json_array_foreach(json_object_get(w, "endpoints"), i, e)
		{
			json_t *x = json_deep_copy(e);
			json_object_set_new(x, "chain", json_string("bitcoin"));
			json_object_set_new(x, "asset", json_string("BTC"));
			json_int_t sat = json_integer_value(json_object_get(e, "amount_sat"));
			json_object_set_new(x, "amount", u64_dec((uint64_t)sat));
			const char *cat = json_string_value(json_object_get(json_object_get(e, "tag"), "category"));
			const char *op = json_string_value(json_object_get(e, "outpoint"));
			uint8_t disp[32], txid[32];
			struct tl_tx_rec tr;
			int is_bridge = cat && !strcmp(cat, "bridge") && op && strlen(op) > 65 && op[64] == ':';
			char hx[65];
			if (is_bridge) {
				memcpy(hx, op, 64);
				hx[64] = 0;
				is_bridge = !parse_h32(hx, disp) && !tl_hash_from_hex(hx, txid);
			}
			if (!is_bridge || tl_store_tx_by_txid(bs, txid, &tr, err) != 1) {
				json_array_append_new(endpoints, x);
				continue;
			}
			uint32_t vout = (uint32_t)strtoul(op + 65, NULL, 10);
			uint64_t a = vout < tr.n_out ? tr.out[vout].value : 0;
			uint64_t tx_num = tr.tx_num;
			tl_tx_rec_free(&tr);
			struct tl_links_btc_payout po;
			int k = pass ? 0 : tl_links_btc_resolve(bs, disp, 0, &po, err);
			if (k < 0) goto fail_x;
			if (k == 1 && po.kind == TL_MEMO_REFUND && a) {
				tl_uint256 A = tl_uint256_from_u64(a), T = tl_uint256_from_u64((uint64_t)sat),
					   O = tl_uint256_from_u64(po.value), c;
				if (tl_xlink_carry(&A, &T, &O, poison, &c, err)) goto fail_x;
				uint8_t rid[32];
				char rh[65];
				if (tl_storegraph_txid(sg, po.tx_num, rid, err) != 1) {
					if (!err->msg[0]) tl_err_set(err, "refund transaction missing");
					goto fail_x;
				}
				tl_hash_to_hex(rid, rh);
				json_array_append_new(crossings,
						      json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:o,s:o,s:s,s:i}", "bridge",
								"thorchain", "from_chain", "bitcoin", "from_tx", hx, "to_chain",
								"bitcoin", "to_tx", rh, "asset_in", "BTC", "amount_in", u64_dec(a),
								"tainted_in", u64_dec((uint64_t)sat), "asset_out", "BTC", "amount_out",
								u64_dec(po.value), "tainted_out", dec_json(&c), "memo", "REFUND",
								"to_vout", (int)po.vout));
				refunded += (uint64_t)sat;
				refund_in += c.w[0];
				if (c.w[0])
					seed_push(&rs, po.tx_num, po.vout, c.w[0],
						  json_pack("{s:s,s:i,s:s}", "txid", rh, "vout", (int)po.vout, "refund_of", hx));
				json_decref(x);
				continue;
			}
			struct tl_memo m;
			int mr = tl_links_btc_memo(bs, tx_num, &m, err);
			if (mr < 0) goto fail_x;
			/* a swap to Ethereum: the router's TransferOut whose memo is
			 * OUT:<this txid> pays it out there */
			struct tl_eth_outbound ob;
			int er = 0;
			if (k == 0 && mr == 1 && m.kind == TL_MEMO_SWAP && !strcmp(m.chain, "ETH") && es && a &&
			    (er = tl_eth_links_resolve(es, disp, &ob, err)) == 1) {
				tl_uint256 A = tl_uint256_from_u64(a), T = tl_uint256_from_u64((uint64_t)sat), c;
				if (tl_xlink_carry(&A, &T, &ob.amount, poison, &c, err)) goto fail_x;
				char th[67], to[43], as[43];
				tl_eth_hex(ob.tx_hash, 32, th);
				tl_eth_hex(ob.to, 20, to);
				static const uint8_t zero[20];
				bool ether = !memcmp(ob.asset, zero, 20);
				if (!ether) tl_eth_hex(ob.asset, 20, as);
				json_array_append_new(crossings,
						      json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:o,s:o,s:s,s:s}", "bridge",
								"thorchain", "from_chain", "bitcoin", "from_tx", hx, "to_chain",
								"ethereum", "to_tx", th, "asset_in", "BTC", "amount_in", u64_dec(a),
								"tainted_in", u64_dec((uint64_t)sat), "asset_out", ether ? "ETH" : as,
								"amount_out", dec_json(&ob.amount), "tainted_out", dec_json(&c), "memo",
								"OUT", "to_address", to));
				/* The account-model trace seeds whole transfers only: a
				 * payout tainted on every unit (poison, or a fully tainted
				 * inbound) is where the Ethereum trace continues; a partly
				 * tainted one is where this report stops on Ethereum, an
				 * endpoint carrying the crossing's taint. */
				const char *ak = ether ? "ETH" : as;
				if (!tl_uint256_is_zero(&c) && !tl_uint256_cmp(&c, &ob.amount) && erq0) {
					char sd[120];
					snprintf(sd, sizeof sd, "%s:%s", th, to);
					json_array_append_new(eseeds, json_string(sd));
					tl_uint256 prev;
					if (json_object_get(cont, ak) ? json_dec(json_object_get(cont, ak), &prev)
								      : (prev = tl_uint256_from_u64(0), 0)) {
						tl_err_set(err, "damaged crossing sum");
						goto fail_x;
					}
					if (tl_uint256_add(&prev, &prev, &c)) {
						tl_err_set(err, "taint overflows 256 bits");
						goto fail_x;
					}
					json_object_set_new(cont, ak, dec_json(&prev));
				} else if (!tl_uint256_is_zero(&c))
					json_array_append_new(eth_endpoints,
							      json_pack("{s:s,s:s,s:s,s:o,s:s,s:s}", "chain", "ethereum", "asset",
									ether ? "ETH" : as, "address", to, "amount", dec_json(&c), "kind",
									"bridge_payout", "txid", th));
				if (tl_uint256_add(&eth_in, &eth_in, &c)) {
					tl_err_set(err, "taint overflows 256 bits");
					goto fail_x;
				}
				to_eth += (uint64_t)sat;
				json_decref(x);
				continue;
			}
			if (er < 0) goto fail_x;
			if (k == 0 && mr == 1 && m.kind == TL_MEMO_SWAP && strcmp(m.chain, "BTC")) {
				json_object_set_new(x, "kind", json_string("bridge_pending"));
				json_object_set_new(x, "to_chain", json_string(m.chain));
				json_object_set_new(x, "to_asset", json_string(m.asset));
				json_object_set_new(x, "to_address", json_string(m.dest));
			}
			json_array_append_new(endpoints, x);
		}
		json_array_foreach(json_object_get(w, "holdings"), i, e)
		{
			json_t *x = json_deep_copy(e);
			json_object_set_new(x, "chain", json_string("bitcoin"));
			json_object_set_new(x, "asset", json_string("BTC"));
			json_object_set_new(x, "amount",
					    u64_dec((uint64_t)json_integer_value(json_object_get(e, "amount_sat"))));
			json_array_append_new(holdings, x);
		}
		if (!pass && rs.n) {
			r = tl_trace_run(sg, &rs, wp, &w2, err);
			if (r) {
				if (r == TL_WALK_TOO_BIG) tl_err_set(err, "the walk after a refund is too big");
				rc = r;
				goto fail_x;
			}
		}
	}
	/* totals: both walks; the refunded inbounds leave endpoints for
	 * bridged_out and come back as bridged_in */
	json_t *tb = json_object();
	for (size_t k = 0; k < sizeof totals_keys / sizeof totals_keys[0]; k++) {
		uint64_t v = (uint64_t)json_integer_value(json_object_get(json_object_get(w1, "totals"), totals_keys[k][1]));
		if (w2 && strcmp(totals_keys[k][0], "seeded"))
			v += (uint64_t)json_integer_value(json_object_get(json_object_get(w2, "totals"), totals_keys[k][1]));
		if (!strcmp(totals_keys[k][0], "endpoints")) v -= refunded + to_eth;
		json_object_set_new(tb, totals_keys[k][0], u64_dec(v));
	}
	json_object_set_new(tb, "converted_in", json_string("0"));
	json_object_set_new(tb, "converted_out", json_string("0"));
	json_object_set_new(tb, "unknown_prior", json_string("0"));
	json_object_set_new(tb, "bridged_in", u64_dec(refund_in));
	json_object_set_new(tb, "bridged_out", u64_dec(refunded + to_eth));
	out = json_object();
	json_object_set_new(out, "chains", json_pack("[s,s]", "bitcoin", "ethereum"));
	json_object_set_new(out, "heist", json_string(h->id));
	json_object_set_new(out, "policy", json_pack("{s:s}", "bitcoin", btc_policy));
	json_t *totals = json_pack("{s:{s:o}}", "bitcoin", "BTC", tb);
	if (json_array_size(eseeds)) {
		/* the Ethereum trace from the fully tainted payouts */
		struct tl_eth_trace_req erq = *erq0;
		size_t ns = json_array_size(eseeds);
		sv = calloc(ns, sizeof *sv);
		if (!sv) {
			tl_err_set(err, "out of memory");
			goto fail_x;
		}
		for (size_t j = 0; j < ns; j++) sv[j] = json_string_value(json_array_get(eseeds, j));
		erq.heist = NULL;
		erq.heists_file = NULL;
		erq.seeds = sv;
		erq.nseeds = (int)ns;
		int er = tl_eth_trace_report(es, &erq, &eth, err);
		if (er) {
			rc = er;
			goto fail_x;
		}
		static const char *lists[] = { "endpoints", "holdings" };
		for (int l = 0; l < 2; l++) {
			size_t j;
			json_t *e;
			json_array_foreach(json_object_get(eth, lists[l]), j, e)
			{
				json_t *x = json_deep_copy(e);
				json_object_set_new(x, "chain", json_string("ethereum"));
				json_array_append_new(l ? holdings : endpoints, x);
			}
		}
		/* what it was seeded with crossed in: bridged_in, not seeded */
		const char *ak;
		json_t *tv;
		json_object_foreach(json_object_get(eth, "totals"), ak, tv)
		{
			tl_uint256 bi = tl_uint256_from_u64(0), sd;
			if (json_object_get(cont, ak) && json_dec(json_object_get(cont, ak), &bi)) bi = tl_uint256_from_u64(0);
			tl_uint256 eth_zero = tl_uint256_from_u64(0);
			json_t *row = chain_totals(tv, &bi, &eth_zero, NULL);
			if (!json_dec(json_object_get(row, "seeded"), &sd) && !tl_uint256_sub(&sd, &sd, &bi))
				json_object_set_new(row, "seeded", dec_json(&sd));
			json_object_set_new(te, ak, row);
		}
	}
	if (json_array_size(eth_endpoints)) {
		/* per asset paid out on Ethereum: bridged in, and an endpoint */
		size_t j;
		json_t *e;
		json_array_foreach(eth_endpoints, j, e)
		{
			const char *as = json_string_value(json_object_get(e, "asset"));
			json_t *row = json_object_get(te, as);
			if (!row) {
				row = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "seeded", "0", "endpoints", "0", "holdings",
						"0", "fees", "0", "cut", "0", "converted_in", "0", "converted_out", "0", "bridged_in",
						"0", "bridged_out", "0", "unknown_prior", "0");
				json_object_set_new(te, as, row);
			}
			tl_uint256 v, sum;
			if (json_dec(json_object_get(e, "amount"), &v)) continue;
			for (int f = 0; f < 2; f++) {
				const char *key = f ? "bridged_in" : "endpoints";
				if (json_dec(json_object_get(row, key), &sum) || tl_uint256_add(&sum, &sum, &v)) continue;
				json_object_set_new(row, key, dec_json(&sum));
			}
			json_array_append(endpoints, e);
		}
	}
	if (json_object_size(te)) json_object_set_new(totals, "ethereum", json_incref(te));
	if (eth && json_is_string(json_object_get(eth, "policy")))
		json_object_set(json_object_get(out, "policy"), "ethereum", json_object_get(eth, "policy"));
	json_object_set_new(out, "totals", totals);
	json_object_set_new(out, "crossings", crossings);
	json_object_set_new(out, "endpoints", endpoints);
	json_object_set_new(out, "holdings", holdings);
	crossings = endpoints = holdings = NULL;
	json_object_set_new(out, "bitcoin", w1);
	json_object_set_new(out, "bitcoin_after_refunds", w2 ? w2 : json_null());
	json_object_set_new(out, "ethereum", eth ? eth : json_null());
	eth = NULL;
	w1 = w2 = NULL;
	*res = out;
	out = NULL;
	rc = 0;
	goto done;
fail_x:
done:
	free(sv);
	json_decref(eseeds);
	json_decref(cont);
	json_decref(eth);
	json_decref(te);
	json_decref(crossings);
	json_decref(endpoints);
	json_decref(eth_endpoints);
	json_decref(holdings);
	json_decref(w1);
	json_decref(w2);
	json_decref(out);
	tl_trace_seeds_free(&ts);
	tl_trace_seeds_free(&rs);
	return rc;
}

/* The Ethereum replay's stop: the deadline of the whole trace, or the
 * caller's cancel. */
struct deadline_ctx {
	uint64_t deadline_ms;
	int (*cancel)(void *ctx);
	void *ctx;
};

static int deadline_cancel(void *vctx)
{
	const struct deadline_ctx *d = vctx;
	if (d->deadline_ms && tl_walk_now_ms() >= d->deadline_ms) return 1;
	return d->cancel && d->cancel(d->ctx);
}

int tl_xchain_trace_report(struct tl_store *bs, struct tl_eth_store *es, const struct tl_xchain_req *rq, json_t **res,
			   struct tl_err *err)
{
	*res = NULL;
	if (!rq->heist) return tl_err_set(err, "over two databases give a heist");
	const char *policy = rq->policy ? rq->policy : "haircut";
	/* one policy name for both chains */
	struct tl_walk_params wp;
	tl_walk_params_default(&wp);
	wp.max_hops = TL_TRACE_DEFAULT_MAX_HOPS;
	wp.min_sat = TL_TRACE_DEFAULT_MIN_SAT;
	const char *btc_policy = !strcmp(policy, "seniority") ? "tiho" : policy;
	const char *eth_policy = !strcmp(policy, "tiho") ? "seniority" : policy;
	if (tl_policy_parse(btc_policy, &wp.policy, err)) return -1;
	if (rq->has_max_hops) wp.max_hops = rq->max_hops;
	if (rq->has_min_sat) wp.min_sat = rq->min_sat;
	else if (rq->has_min_amount) {
		if (!tl_uint256_fits_u64(&rq->min_amount)) return tl_err_set(err, "bad min_amount (at most 2^64-1 on Bitcoin)");
		wp.min_sat = rq->min_amount.w[0];
	}
	if (rq->max_tx) wp.max_tx = rq->max_tx;
	if (rq->max_mem) wp.max_mem = rq->max_mem;
	wp.deadline_ms = rq->deadline_ms;
	wp.cancel = rq->cancel;
	wp.cancel_ctx = rq->cancel_ctx;

	/* The Ethereum trace's parameters: of the heist's trace, or of the
	 * continuation after a crossing from Bitcoin. */
	struct tl_eth_trace_req erq;
	tl_eth_trace_req_default(&erq);
	erq.heist = rq->heist;
	erq.heists_file = rq->heists_file;
	if (tl_taint_policy_parse(eth_policy, &erq.p.policy))
		return tl_err_set(err, "unknown policy '%s' (poison, haircut, fifo, seniority)", eth_policy);
	erq.tag_files = rq->tag_files;
	erq.ntags = rq->ntags;
	if (rq->has_max_hops) erq.p.max_hops = rq->max_hops;
	if (rq->has_min_amount) erq.p.min_amount = rq->min_amount;
	struct deadline_ctx dc = { rq->deadline_ms, rq->cancel, rq->cancel_ctx };
	erq.cancel = deadline_cancel;
	erq.cancel_ctx = &dc;

	/* A heist stolen on Bitcoin (its registry entry says so, or it is
	 * imported into the Bitcoin database) starts there. */
	{
		struct tl_registry *reg = NULL;
		const struct tl_heist *h = NULL;
		struct tl_storegraph *g0 = NULL;
		int r = 0;
		if (rq->heists_file) {
			if (tl_registry_load(rq->heists_file, &reg, err)) r = -1;
			else if ((h = tl_registry_find(reg, rq->heist)) && (!h->chain || strncmp(h->chain, "bitcoin", 7)))
				h = NULL;
		} else {
			struct tl_heist_info hi;
			memset(&hi, 0, sizeof hi);
			int hr = tl_heist_get(bs, rq->heist, &hi, err);
			if (hr < 0) r = -1;
			if (hr > 0) {
				/* a heist of another chain is stored here too when the
				 * registry was imported whole, or when screening carried
				 * it across (tracer/screen_xchain.h) */
				if (tl_heist_parse(&hi, &reg, err)) r = -1;
				else h = reg->n && reg->heists[0].chain && !strncmp(reg->heists[0].chain, "bitcoin", 7)
				                 ? &reg->heists[0] : NULL;
			}
			free(hi.json);
		}
		if (!r && h) {
			r = tl_storegraph_new(bs, &g0, err);
			for (int i = 0; !r && i < rq->ntags; i++) r = tl_storegraph_load_tags(g0, rq->tag_files[i], NULL, err);
			struct vault_ctx vc0 = { g0, err };
			if (!r) r = tl_links_btc_each_vault(bs, vault_cb, &vc0, err);
			if (!r) r = trace_from_bitcoin(g0, bs, es, h, &wp, btc_policy, es ? &erq : NULL, res, err);
		}
		tl_storegraph_free(g0);
		tl_registry_free(reg);
		if (r || h) return r;
	}

	/* 1. the Ethereum trace, as `trace --db ETHDB` reports it */
	json_t *eth = NULL, *btc = NULL, *out = NULL;
	int rc = tl_eth_trace_report(es, &erq, &eth, err);
	if (rc) return rc;

	rc = -1;
	struct tl_storegraph *sg = NULL;
	struct tl_trace_seeds ts;
	tl_trace_seeds_init(&ts);
	if (tl_storegraph_new(bs, &sg, err)) goto fail;
	for (int i = 0; i < rq->ntags; i++)
		if (tl_storegraph_load_tags(sg, rq->tag_files[i], NULL, err)) goto fail;
	struct vault_ctx vc = { sg, err };
	if (tl_links_btc_each_vault(bs, vault_cb, &vc, err)) goto fail;

	/* 2. crossings: Ethereum endpoints at THORChain inbound addresses */
	json_t *crossings = json_array(), *endpoints = json_array(), *pend = json_array();
	json_t *eth_out = json_object(); /* asset -> bridged_out (tainted_in) */
	tl_uint256 btc_in = tl_uint256_from_u64(0);
	bool poison = wp.policy == TL_POLICY_POISON;
	json_t *eends = json_object_get(eth, "endpoints");
	for (size_t i = 0; i < json_array_size(eends); i++) {
		json_t *e = json_array_get(eends, i);
		const char *cat = json_string_value(json_object_get(json_object_get(e, "tag"), "category"));
		const char *txh = json_string_value(json_object_get(e, "tx"));
		const char *addr = json_string_value(json_object_get(e, "address"));
		const char *asset = json_string_value(json_object_get(e, "asset"));
		json_t *copy = json_deep_copy(e);
		json_object_set_new(copy, "chain", json_string("ethereum"));
		uint8_t h[32];
		tl_uint256 t, a, o, carried;
		if (!cat || strcmp(cat, "bridge") || !addr || !asset || parse_h32(txh, h) ||
		    json_dec(json_object_get(e, "amount"), &t)) {
			json_array_append_new(endpoints, copy);
			continue;
		}
		struct tl_links_btc_payout po;
		int r = tl_links_btc_resolve(bs, h, 0, &po, err);
		if (r < 0) goto fail_x;
		const char *label = json_string_value(json_object_get(json_object_get(e, "tag"), "label"));
		if ((r == 0 || po.kind != TL_MEMO_OUT) && !(label && strcasestr(label, "thorchain"))) {
			/* another bridge (no memo link): an endpoint as its tag says */
			json_array_append_new(endpoints, copy);
			continue;
		}
		if (r == 0 || po.kind != TL_MEMO_OUT) {
			/* No outbound yet. The inbound's memo (to_chain, to_address)
			 * is not in the Ethereum index: see docs/bridges.md. */
			json_object_set_new(copy, "kind", json_string("bridge_pending"));
			json_object_set_new(copy, "to_chain", json_null());
			json_object_set_new(copy, "to_asset", json_null());
			json_object_set_new(copy, "to_address", json_null());
			json_array_append_new(endpoints, copy);
			continue;
		}
		json_decref(copy);
		if (inbound_amount(es, h, addr, asset, &a, err)) goto fail_x;
		o = tl_uint256_from_u64(po.value);
		if (tl_xlink_carry(&a, &t, &o, poison, &carried, err)) goto fail_x;
		uint8_t txid[32];
		char hx[65];
		if (tl_storegraph_txid(sg, po.tx_num, txid, err) != 1) {
			if (!err->msg[0]) tl_err_set(err, "outbound transaction %llu missing", (unsigned long long)po.tx_num);
			goto fail_x;
		}
		tl_hash_to_hex(txid, hx);
		json_array_append_new(crossings,
				      json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:o,s:o,s:s,s:i}", "bridge",
						"thorchain", "from_chain", "ethereum", "from_tx", txh, "to_chain", "bitcoin",
						"to_tx", hx, "asset_in", asset, "amount_in", dec_json(&a), "tainted_in",
						dec_json(&t), "asset_out", "BTC", "amount_out", dec_json(&o), "tainted_out",
						dec_json(&carried), "memo", "OUT", "to_vout", (int)po.vout));
		tl_uint256 prev;
		if (json_dec(json_object_get(eth_out, asset), &prev) || tl_uint256_add(&prev, &prev, &t) ||
		    tl_uint256_add(&btc_in, &btc_in, &carried)) {
			tl_err_set(err, "crossing totals overflow");
			goto fail_x;
		}
		json_object_set_new(eth_out, asset, dec_json(&prev));
		if (!tl_uint256_is_zero(&carried)) {
			if (ts.n == ts.cap) {
				ts.cap = ts.cap ? ts.cap * 2 : 16;
				ts.v = realloc(ts.v, ts.cap * sizeof *ts.v);
				if (!ts.v) abort();
			}
			ts.v[ts.n++] = (struct tl_seed){ po.tx_num, po.vout, carried.w[0] };
			if (!ts.desc) ts.desc = json_array();
			json_array_append_new(ts.desc, json_pack("{s:s,s:i,s:s}", "txid", hx, "vout", (int)po.vout, "crossing", txh));
		}
	}
	(void)pend;

	/* 3. the Bitcoin walk from the crossings' payouts */
	if (ts.n) {
		int r = tl_trace_run(sg, &ts, &wp, &btc, err);
		if (r) {
			if (r == TL_WALK_TOO_BIG) tl_err_set(err, "the Bitcoin part is too big: narrow it (--max-hops, --min-sat)");
			rc = r;
			goto fail_x;
		}
		json_t *bends = json_object_get(btc, "endpoints");
		for (size_t i = 0; i < json_array_size(bends); i++) {
			json_t *x = json_deep_copy(json_array_get(bends, i));
			json_object_set_new(x, "chain", json_string("bitcoin"));
			json_object_set_new(x, "asset", json_string("BTC"));
			json_object_set_new(x, "amount", u64_dec((uint64_t)json_integer_value(json_object_get(x, "amount_sat"))));
			json_array_append_new(endpoints, x);
		}
	}
	json_t *holdings = json_array();
	json_t *eh = json_object_get(eth, "holdings");
	for (size_t i = 0; i < json_array_size(eh); i++) {
		json_t *x = json_deep_copy(json_array_get(eh, i));
		json_object_set_new(x, "chain", json_string("ethereum"));
		json_array_append_new(holdings, x);
	}
	json_t *bh = btc ? json_object_get(btc, "holdings") : NULL;
	for (size_t i = 0; i < json_array_size(bh); i++) {
		json_t *x = json_deep_copy(json_array_get(bh, i));
		json_object_set_new(x, "chain", json_string("bitcoin"));
		json_object_set_new(x, "asset", json_string("BTC"));
		json_object_set_new(x, "amount", u64_dec((uint64_t)json_integer_value(json_object_get(x, "amount_sat"))));
		json_array_append_new(holdings, x);
	}

	/* 4. totals by chain then asset */
	json_t *totals = json_object(), *te = json_object();
	const char *asset;
	json_t *tv;
	tl_uint256 zero = tl_uint256_from_u64(0);
	json_object_foreach(json_object_get(eth, "totals"), asset, tv)
	{
		tl_uint256 bo = zero;
		(void)json_dec(json_object_get(eth_out, asset), &bo);
		json_object_set_new(te, asset, chain_totals(tv, &zero, &bo, &bo));
	}
	json_object_set_new(totals, "ethereum", te);
	if (btc) {
		json_t *bt = json_object_get(btc, "totals"), *conv = json_object();
		static const char *map[][2] = { { "endpoints", "endpoints_sat" }, { "holdings", "holdings_sat" },
						{ "fees", "fees_sat" }, { "cut", "cut_sat" } };
		for (size_t k = 0; k < 4; k++)
			json_object_set_new(conv, map[k][0], u64_dec((uint64_t)json_integer_value(json_object_get(bt, map[k][1]))));
		json_t *tb = json_object();
		/* the walk's seeds are what crossed in, not seeded on Bitcoin */
		json_object_set_new(tb, "BTC", chain_totals(conv, &btc_in, &zero, NULL));
		json_object_set_new(totals, "bitcoin", tb);
		json_decref(conv);
	}
	out = json_object();
	json_object_set_new(out, "chains", json_pack("[s,s]", "ethereum", "bitcoin"));
	json_t *hj = json_object_get(eth, "heist");
	json_object_set_new(out, "heist", hj ? json_incref(hj) : json_string(rq->heist));
	json_object_set_new(out, "policy", json_pack("{s:s,s:s}", "ethereum", eth_policy, "bitcoin", btc_policy));
	json_object_set_new(out, "totals", totals);
	json_object_set_new(out, "crossings", crossings);
	json_object_set_new(out, "endpoints", endpoints);
	json_object_set_new(out, "holdings", holdings);
	json_object_set_new(out, "ethereum", eth);
	eth = NULL;
	json_object_set_new(out, "bitcoin", btc ? btc : json_null());
	btc = NULL;
	json_decref(eth_out);
	json_decref(pend);
	*res = out;
	out = NULL;
	rc = 0;
	goto done;
fail_x:
	json_decref(crossings);
	json_decref(endpoints);
	json_decref(eth_out);
	json_decref(pend);
fail:
done:
	json_decref(out);
	json_decref(eth);
	json_decref(btc);
	tl_trace_seeds_free(&ts);
	tl_storegraph_free(sg);
	return rc;
}
