/* Screening across THORChain; see screen_xchain.h. */
#include "tracer/screen_xchain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bitcoin/hash.h"
#include "bridge/link.h"
#include "bridge/memo.h"
#include "ethereum/address.h"
#include "store/eth_intel.h"
#include "store/eth_links.h"
#include "store/eth_screen.h"
#include "store/links_btc.h"
#include "taint/graph.h"
#include "tracer/entities.h"
#include "tracer/eth_trace.h"
#include "tracer/screen.h"

#define XSCREEN_META "xscreen."

static json_t *dec_json(const tl_uint256 *v)
{
	char b[TL_U256_DEC_MAX];
	return json_string(tl_uint256_to_dec(v, b));
}

static int dec_of(json_t *j, tl_uint256 *v)
{
	const char *s = json_string_value(j);
	return !s || tl_uint256_from_dec(s, strlen(s), v) ? -1 : 0;
}

/* 0x-prefixed or bare 64 hex digits into 32 bytes as written. */
static int parse_h32(const char *s, uint8_t out[32])
{
	if (!s) return -1;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s += 2;
	if (strlen(s) != 64) return -1;
	for (int i = 0; i < 32; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1) return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

/* ---- Ethereum: the bridge deposits of a screening replay ---- */

/* What transaction hash moved of asset asset_id to account acct. */
static int inbound_amount(struct tl_eth_store *st, const uint8_t hash[32], uint64_t acct, uint32_t asset_id,
			  tl_uint256 *a, struct tl_err *err)
{
	struct tl_eth_tx_rec tx;
	int k = tl_eth_store_tx(st, hash, &tx, err);
	if (k <= 0) return k < 0 ? -1 : tl_err_set(err, "inbound transaction not indexed");
	*a = tl_uint256_from_u64(0);
	for (uint32_t i = 0; i < tx.n_xfer; i++) {
		struct tl_eth_xfer_rec x;
		if (tl_eth_store_xfer(st, tx.first_seq + i, &x, err) != 1) return tl_err_set(err, "transfer unreadable");
		if (x.kind != TL_ETH_FEE && x.to == acct && x.asset == asset_id && tl_uint256_add(a, a, &x.amount))
			return tl_err_set(err, "inbound amount overflows 256 bits");
	}
	return 0;
}

int tl_xscreen_eth_inbounds(struct tl_eth_store *st, const struct tl_taint_result *res, json_t **out,
			    struct tl_err *err)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < res->n_endpoints; i++) {
		const struct tl_taint_endpoint *e = &res->endpoints[i];
		if (!(e->cats & TL_CAT_BRIDGE) || e->account == TL_TAINT_NOWHERE || tl_uint256_is_zero(&e->amount))
			continue;
		struct tl_eth_xfer_rec x;
		uint8_t vault[20];
		if (tl_eth_store_xfer(st, e->tx, &x, err) != 1 || tl_eth_store_account_addr(st, e->account, vault, err) != 1) {
			if (!err->msg[0]) tl_err_set(err, "endpoint transfer %llu unreadable", (unsigned long long)e->tx);
			goto fail;
		}
		if (!x.has_tx) continue;
		char th[67], vh[43], as[43] = "ETH";
		tl_eth_hex(x.tx_hash, 32, th);
		tl_eth_addr_hex(vault, vh);
		if (e->asset) {
			struct tl_eth_asset_rec ar;
			if (tl_eth_store_asset(st, e->asset, &ar, err) != 1) {
				if (!err->msg[0]) tl_err_set(err, "asset %u unreadable", e->asset);
				goto fail;
			}
			tl_eth_addr_hex(ar.contract, as);
		}
		/* one row per (transaction, vault, asset): several transfers of
		 * one deposit are one inbound */
		json_t *row = NULL;
		size_t n = json_array_size(arr);
		for (size_t j = n; j-- > 0 && !row;) {
			json_t *r = json_array_get(arr, j);
			if (strcmp(json_string_value(json_object_get(r, "tx")), th)) break; /* chain order: same tx adjacent */
			if (!strcmp(json_string_value(json_object_get(r, "vault")), vh) &&
			    !strcmp(json_string_value(json_object_get(r, "asset")), as))
				row = r;
		}
		if (!row) {
			tl_uint256 a;
			if (inbound_amount(st, x.tx_hash, e->account, e->asset, &a, err)) goto fail;
			row = json_pack("{s:s,s:s,s:s,s:o,s:s}", "tx", th, "vault", vh, "asset", as, "amount_in", dec_json(&a),
					"tainted_in", "0");
			json_array_append_new(arr, row);
		}
		tl_uint256 t;
		if (dec_of(json_object_get(row, "tainted_in"), &t) || tl_uint256_add(&t, &t, &e->amount)) {
			tl_err_set(err, "inbound taint overflows 256 bits");
			goto fail;
		}
		json_object_set_new(row, "tainted_in", dec_json(&t));
	}
	*out = arr;
	return 0;
fail:
	json_decref(arr);
	return -1;
}

/* ---- Bitcoin: seeds of the heists that crossed in ---- */

static int seed_cmp(const void *x, const void *y)
{
	const struct tl_xscreen_seed *a = x, *b = y;
	if (a->tx_num != b->tx_num) return a->tx_num < b->tx_num ? -1 : 1;
	return a->vout < b->vout ? -1 : a->vout > b->vout;
}

static void meta_name(const char *heist, char *buf, size_t cap) { snprintf(buf, cap, XSCREEN_META "%s", heist); }

int tl_xscreen_btc_seeds(struct tl_store *bs, const char *heist, struct tl_xscreen_seed **seeds, size_t *np,
			 uint64_t *sig, struct tl_err *err)
{
	if (seeds) *seeds = NULL;
	*np = 0;
	*sig = 0;
	char name[128], *val = NULL;
	meta_name(heist, name, sizeof name);
	int r = tl_store_get_meta(bs, name, &val, err);
	if (r <= 0) return r;
	json_error_t je;
	json_t *j = json_loads(val, 0, &je);
	free(val);
	json_t *inb = json_object_get(j, "inbounds");
	if (!json_is_array(inb)) {
		json_decref(j);
		return tl_err_set(err, "cross-chain screening record of '%s' damaged", heist);
	}
	struct tl_xscreen_seed *v = NULL;
	size_t n = 0, cap = 0;
	int rc = 1;
	for (size_t i = 0; i < json_array_size(inb) && rc == 1; i++) {
		json_t *x = json_array_get(inb, i);
		uint8_t h[32];
		tl_uint256 a, t, c;
		if (parse_h32(json_string_value(json_object_get(x, "tx")), h) || dec_of(json_object_get(x, "amount_in"), &a) ||
		    dec_of(json_object_get(x, "tainted_in"), &t)) {
			rc = tl_err_set(err, "cross-chain screening record of '%s' damaged", heist);
			break;
		}
		struct tl_links_btc_payout po;
		int k = tl_links_btc_resolve(bs, h, 0, &po, err);
		if (k < 0) rc = -1;
		if (k != 1 || po.kind != TL_MEMO_OUT) continue; /* pending: no outbound indexed yet */
		tl_uint256 o = tl_uint256_from_u64(po.value);
		if (tl_xlink_carry(&a, &t, &o, false, &c, err)) {
			rc = -1;
			break;
		}
		if (tl_uint256_is_zero(&c)) continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			struct tl_xscreen_seed *nv = realloc(v, cap * sizeof *v);
			if (!nv) {
				rc = tl_err_set(err, "out of memory");
				break;
			}
			v = nv;
		}
		v[n++] = (struct tl_xscreen_seed){ po.tx_num, po.vout, c.w[0] }; /* c <= o < 2^64 */
	}
	json_decref(j);
	if (rc < 0) {
		free(v);
		return -1;
	}
	/* one seed per output: inbounds paid by one outbound add up */
	if (n) qsort(v, n, sizeof *v, seed_cmp);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (m && v[m - 1].tx_num == v[i].tx_num && v[m - 1].vout == v[i].vout) v[m - 1].amount += v[i].amount;
		else v[m++] = v[i];
	}
	uint64_t x = 1469598103934665603ull;
	for (size_t i = 0; i < m; i++) {
		uint64_t f[3] = { v[i].tx_num, v[i].vout, v[i].amount };
		for (int k = 0; k < 3; k++)
			for (int b = 0; b < 8; b++) x = (x ^ (uint8_t)(f[k] >> (8 * b))) * 1099511628211ull;
	}
	*sig = x | 1;
	*np = m;
	if (seeds) *seeds = v;
	else free(v);
	return 1;
}

/* ---- the sync ---- */

/* Stores the definition of an Ethereum heist in the Bitcoin database
 * (not traceable there: its seeds are on the other chain), so that the
 * Bitcoin screening index can number it. Its seeds are left out: the
 * Bitcoin registry reader does not read Ethereum seed forms. */
static int import_def(struct tl_store *bs, json_t *def, struct tl_err *err)
{
	json_t *copy = json_deep_copy(def);
	json_object_set_new(copy, "seeds", json_array());
	json_t *root = json_pack("{s:[o]}", "heists", copy);
	char path[] = "/tmp/taintline-xscreen-XXXXXX";
	const char *tmp = getenv("TMPDIR");
	char buf[1024];
	char *p = path;
	if (tmp && *tmp && (size_t)snprintf(buf, sizeof buf, "%s/taintline-xscreen-XXXXXX", tmp) < sizeof buf) p = buf;
	int fd = mkstemp(p);
	if (fd < 0) {
		json_decref(root);
		return tl_err_set(err, "cannot create a temporary file for the heist's definition");
	}
	int rc = json_dumpfd(root, fd, JSON_COMPACT) ? tl_err_set(err, "cannot write the heist's definition") : 0;
	close(fd);
	json_decref(root);
	struct tl_heist_import_report rep;
	if (!rc) rc = tl_heists_import(bs, p, &rep, err);
	unlink(p);
	return rc;
}

static int id_cb(void *ctx, const struct tl_heist_info *h)
{
	json_array_append_new(ctx, json_string(h->id));
	return 0;
}

/* The ids of the Bitcoin database's heists (*out an array). */
static int btc_heist_ids(struct tl_store *bs, json_t **out, struct tl_err *err)
{
	*out = json_array();
	if (tl_heists_list(bs, id_cb, *out, err) < 0) {
		json_decref(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* Ethereum -> Bitcoin: the meta rows "xscreen.<heist>" equal to the
 * Ethereum heists' bridge deposits. */
static int sync_to_btc(struct tl_store *bs, struct tl_eth_store *es, struct tl_xscreen_stats *st, struct tl_err *err)
{
	json_t *eh = NULL, *want = json_object();
	if (tl_eth_heists_list(es, &eh, err)) {
		json_decref(want);
		return -1;
	}
	int rc = 0;
	size_t i;
	json_t *h;
	json_array_foreach(eh, i, h)
	{
		const char *id = json_string_value(json_object_get(h, "id"));
		json_t *inb = NULL;
		int k = id ? tl_eth_screen_inbounds(es, id, &inb, err) : 0;
		if (k < 0) {
			rc = -1;
			break;
		}
		if (k == 0 || !json_array_size(inb)) {
			json_decref(inb);
			continue;
		}
		st->eth_heists++;
		st->inbounds += (uint32_t)json_array_size(inb);
		json_object_set_new(want, id, json_pack("{s:s,s:o}", "from_chain", "ethereum", "inbounds", inb));
		struct tl_heist_info hi;
		int g = tl_heist_get(bs, id, &hi, err);
		if (g < 0 || (g == 0 && import_def(bs, h, err))) {
			rc = -1;
			break;
		}
		if (g > 0) free(hi.json);
	}
	json_decref(eh);
	if (rc) {
		json_decref(want);
		return -1;
	}
	/* every Bitcoin heist: its row as wanted, or none */
	struct tl_batch *b = tl_batch_new(bs);
	int changed = 0;
	json_t *list = NULL;
	rc = btc_heist_ids(bs, &list, err);
	for (size_t j = 0; !rc && j < json_array_size(list); j++) {
		const char *id = json_string_value(json_array_get(list, j));
		char name[128], *cur = NULL;
		meta_name(id, name, sizeof name);
		int g = tl_store_get_meta(bs, name, &cur, err);
		if (g < 0) {
			rc = -1;
			break;
		}
		json_t *w = json_object_get(want, id);
		char *text = w ? json_dumps(w, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		if (text && (!cur || strcmp(cur, text))) {
			tl_batch_put_meta(b, name, text);
			changed = 1;
		} else if (!text && cur) {
			tl_batch_del_meta(b, name);
			changed = 1;
		}
		free(text);
		free(cur);
	}
	json_decref(list);
	if (!rc && changed) rc = tl_store_write(bs, b, err);
	tl_batch_free(b);
	json_decref(want);
	return rc;
}

/* Adds the flows of add ("<account id>" -> {asset: decimal}) into by. */
static int merge_flows(json_t *by, json_t *add, struct tl_err *err)
{
	const char *k, *as;
	json_t *o, *v;
	json_object_foreach(add, k, o)
	{
		json_t *dst = json_object_get(by, k);
		if (!dst) json_object_set_new(by, k, dst = json_object());
		json_object_foreach(o, as, v)
		{
			tl_uint256 sum = tl_uint256_from_u64(0), x;
			if ((json_object_get(dst, as) && dec_of(json_object_get(dst, as), &sum)) || dec_of(v, &x))
				return tl_err_set(err, "damaged flow amount");
			if (tl_uint256_add(&sum, &sum, &x)) return tl_err_set(err, "taint overflows 256 bits");
			json_object_set_new(dst, as, dec_json(&sum));
		}
	}
	return 0;
}

struct payctx {
	struct tl_store *bs;
	struct tl_eth_store *es;
	json_t *by_acct; /* "<account id>" -> {asset: decimal} */
	json_t *specs;   /* "TXHASH:PAYEE" of the payouts tainted on every unit */
	struct tl_xscreen_stats *st;
	int reached;
	struct tl_err *err;
};

/* One endpoint of a Bitcoin heist's screening walk: a swap to ETH paid
 * out by the router's TransferOut adds floor(o * t / a) to the payee. */
static int endpoint_cb(void *vctx, uint64_t tx_num, uint32_t vout, uint64_t amount, uint64_t addr_id)
{
	struct payctx *c = vctx;
	(void)addr_id;
	struct tl_memo m;
	int k = tl_links_btc_memo(c->bs, tx_num, &m, c->err);
	if (k < 0) return -1;
	if (k == 0 || m.kind != TL_MEMO_SWAP || strcmp(m.chain, "ETH")) return 0;
	struct tl_tx_rec tr;
	k = tl_store_tx(c->bs, tx_num, &tr, c->err);
	if (k < 0) return -1;
	if (k == 0) return tl_err_set(c->err, "transaction %llu missing", (unsigned long long)tx_num);
	uint64_t a = vout < tr.n_out ? tr.out[vout].value : 0;
	uint8_t disp[32];
	char hx[65];
	tl_hash_to_hex(tr.txid, hx);
	tl_tx_rec_free(&tr);
	if (!a || parse_h32(hx, disp)) return 0;
	c->reached = 1;
	struct tl_eth_outbound ob;
	k = tl_eth_links_resolve(c->es, disp, &ob, c->err);
	if (k < 0) return -1;
	uint64_t acct = 0;
	if (k == 1 && ob.kind == TL_MEMO_OUT && (k = tl_eth_store_account_id(c->es, ob.to, &acct, c->err)) < 0) return -1;
	if (k != 1 || ob.kind != TL_MEMO_OUT) {
		/* refunded on Bitcoin: not pending */
		struct tl_links_btc_payout po;
		int rr = tl_links_btc_resolve(c->bs, disp, 0, &po, c->err);
		if (rr < 0) return -1;
		if (rr == 0 || po.kind != TL_MEMO_REFUND) c->st->btc_pending++;
		return 0;
	}
	tl_uint256 A = tl_uint256_from_u64(a), T = tl_uint256_from_u64(amount), carried;
	if (tl_xlink_carry(&A, &T, &ob.amount, false, &carried, c->err)) return -1;
	c->st->eth_payouts++;
	if (tl_uint256_is_zero(&carried)) return 0;
	if (!tl_uint256_cmp(&carried, &ob.amount)) {
		/* tainted on every unit: screening follows it on, as the trace
		 * does (a whole transfer is what the account engine seeds) */
		char th[67], to[43], spec[120];
		tl_eth_hex(ob.tx_hash, 32, th);
		tl_eth_addr_hex(ob.to, to);
		snprintf(spec, sizeof spec, "%s:%s", th, to);
		json_array_append_new(c->specs, json_string(spec));
		return 0;
	}
	static const uint8_t zero[20];
	char key[24], as[43] = "ETH";
	if (memcmp(ob.asset, zero, 20)) tl_eth_addr_hex(ob.asset, as);
	snprintf(key, sizeof key, "%llu", (unsigned long long)acct);
	json_t *add = json_pack("{s:{s:o}}", key, as, dec_json(&carried));
	int r = merge_flows(c->by_acct, add, c->err);
	json_decref(add);
	return r;
}

/* Bitcoin -> Ethereum: each Bitcoin heist's payouts on Ethereum as its
 * bridged exposure there; bridged exposures of heists that no longer
 * reach one are removed. */
static int sync_to_eth(struct tl_store *bs, struct tl_eth_store *es, struct tl_xscreen_stats *st, struct tl_err *err)
{
	struct tl_eth_tip tip;
	json_t *ids = NULL, *old = NULL;
	int rc = 0;
	if (tl_eth_store_tip(es, &tip, err) || btc_heist_ids(bs, &ids, err) ||
	    tl_eth_screen_bridged_list(es, "bitcoin", &old, err)) {
		json_decref(ids);
		return -1;
	}
	for (size_t i = 0; !rc && i < json_array_size(ids); i++) {
		const char *id = json_string_value(json_array_get(ids, i));
		struct payctx c = { bs, es, json_object(), json_array(), st, 0, err };
		int r = tl_screen_each_endpoint(bs, id, endpoint_cb, &c, err);
		if (r) rc = -1;
		if (!rc && json_array_size(c.specs)) {
			/* the Ethereum screening replay from the whole payouts */
			size_t ns = json_array_size(c.specs);
			const char **sv = calloc(ns, sizeof *sv);
			json_t *flows = NULL;
			if (!sv) rc = tl_err_set(err, "out of memory");
			for (size_t j = 0; !rc && j < ns; j++) sv[j] = json_string_value(json_array_get(c.specs, j));
			if (!rc && (tl_eth_screen_flows(es, sv, ns, &flows, err) || merge_flows(c.by_acct, flows, err))) rc = -1;
			json_decref(flows);
			free(sv);
		}
		json_decref(c.specs);
		if (!rc && c.reached) st->btc_heists++;
		int was = 0;
		for (size_t j = 0; j < json_array_size(old); j++)
			if (!strcmp(json_string_value(json_array_get(old, j)), id)) {
				json_array_remove(old, j--);
				was = 1;
			}
		/* written when empty too if it was there: that removes it */
		if (!rc && (json_object_size(c.by_acct) || was))
			rc = tl_eth_screen_store_bridged(es, id, "bitcoin", tip.height, c.by_acct, err);
		json_decref(c.by_acct);
	}
	json_t *empty = json_object();
	for (size_t j = 0; !rc && j < json_array_size(old); j++)
		rc = tl_eth_screen_store_bridged(es, json_string_value(json_array_get(old, j)), "bitcoin", tip.height, empty, err);
	json_decref(empty);
	json_decref(ids);
	json_decref(old);
	return rc;
}

int tl_screen_xchain_sync(struct tl_store *bs, struct tl_eth_store *es, struct tl_xscreen_stats *stp, struct tl_err *err)
{
	struct tl_xscreen_stats st = { 0 };
	int rc = sync_to_btc(bs, es, &st, err);
	if (!rc) rc = tl_screen_update(bs, NULL, err);
	if (!rc) rc = sync_to_eth(bs, es, &st, err);
	if (stp) *stp = st;
	if (rc) tl_err_prefix(err, "cross-chain screening: ");
	return rc;
}
