/* JSON views of the Ethereum database (eth_json.h). */
#include "store/eth_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ethereum/address.h"
#include "ethereum/derive.h"
#include "ethereum/etl.h"

static json_t *u256_json(const tl_uint256 *v)
{
	char b[TL_U256_DEC_MAX];
	return json_string(tl_uint256_to_dec(v, b));
}

static json_t *addr_json(const uint8_t a[20])
{
	char b[43];
	return json_string(tl_eth_addr_hex(a, b));
}

static json_t *hash_json(const uint8_t h[32])
{
	char b[67];
	return json_string(tl_eth_hex(h, 32, b));
}

static json_t *acct_json(struct tl_eth_store *s, uint64_t id, struct tl_err *err, bool *fail)
{
	if (!id) return json_null();
	uint8_t a[20];
	int r = tl_eth_store_account_addr(s, id, a, err);
	if (r <= 0) {
		if (r == 0) tl_err_set(err, "account %llu has no address record", (unsigned long long)id);
		*fail = true;
		return json_null();
	}
	return addr_json(a);
}

static int asset_fields(struct tl_eth_store *s, uint32_t asset, json_t *o, struct tl_err *err)
{
	struct tl_eth_asset_rec a;
	int r = tl_eth_store_asset(s, asset, &a, err);
	if (r <= 0) return r == 0 ? tl_err_set(err, "asset %u has no record", asset) : -1;
	json_object_set_new(o, "asset", asset ? addr_json(a.contract) : json_string("ETH"));
	json_object_set_new(o, "symbol", a.symbol[0] ? json_string(a.symbol) : json_null());
	json_object_set_new(o, "decimals", a.decimals >= 0 ? json_integer(a.decimals) : json_null());
	return 0;
}

json_t *tl_eth_json_xfer(struct tl_eth_store *s, uint64_t seq, const struct tl_eth_xfer_rec *r, struct tl_err *err)
{
	json_t *o = json_object();
	bool fail = false;
	json_object_set_new(o, "seq", json_integer((json_int_t)seq));
	json_object_set_new(o, "kind", json_string(tl_eth_kind_name((enum tl_eth_kind)r->kind)));
	json_object_set_new(o, "block", json_integer((json_int_t)r->block));
	json_object_set_new(o, "transaction", r->has_tx ? hash_json(r->tx_hash) : json_null());
	json_object_set_new(o, "transaction_index", r->tx_index == TL_ETH_NO_TX ? json_null() : json_integer(r->tx_index));
	if (asset_fields(s, r->asset, o, err) < 0) fail = true;
	json_object_set_new(o, "from", acct_json(s, r->from, err, &fail));
	json_object_set_new(o, "to", acct_json(s, r->to, err, &fail));
	json_object_set_new(o, "amount", u256_json(&r->amount));
	if (r->kind == TL_ETH_FEE) {
		tl_uint256 tip;
		if (tl_uint256_sub(&tip, &r->amount, &r->burnt)) tip = tl_uint256_from_u64(0);
		json_object_set_new(o, "burnt", u256_json(&r->burnt));
		json_object_set_new(o, "to_fee_recipient", u256_json(&tip));
	}
	if (fail) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *notes_json(const struct tl_eth_tip *t)
{
	char buf[1024];
	json_t *a = json_array();
	tl_eth_missing_note(t->have, buf, sizeof buf);
	for (char *p = buf; *p;) {
		char *e = strstr(p, "; ");
		if (e) *e = 0;
		json_array_append_new(a, json_string(p));
		if (!e) break;
		p = e + 2;
	}
	return a;
}

json_t *tl_eth_json_account(struct tl_eth_store *s, const uint8_t addr[20], struct tl_err *err)
{
	struct tl_eth_tip t;
	if (tl_eth_store_tip(s, &t, err) < 0) return NULL;
	json_t *o = json_object();
	json_object_set_new(o, "address", addr_json(addr));
	json_object_set_new(o, "first_block", t.first >= 0 ? json_integer(t.first) : json_null());
	json_object_set_new(o, "last_block", t.height >= 0 ? json_integer(t.height) : json_null());
	json_t *assets = json_array();
	json_object_set_new(o, "assets", assets);
	json_t *notes = notes_json(&t);
	uint64_t id;
	int r = tl_eth_store_account_id(s, addr, &id, err);
	if (r < 0) goto fail;
	if (r == 1) {
		uint32_t *ids;
		struct tl_eth_stat *st;
		size_t n;
		if (tl_eth_store_account_stats(s, id, &ids, &st, &n, err) < 0) goto fail;
		bool negative = false;
		for (size_t i = 0; i < n; i++) {
			json_t *a = json_object();
			json_array_append_new(assets, a);
			if (asset_fields(s, ids[i], a, err) < 0) {
				free(ids);
				free(st);
				goto fail;
			}
			tl_uint256 out;
			char bal[TL_U256_DEC_MAX];
			bool ov = tl_uint256_add(&out, &st[i].sent, &st[i].fees);
			json_object_set_new(a, "received", u256_json(&st[i].received));
			json_object_set_new(a, "sent", u256_json(&st[i].sent));
			json_object_set_new(a, "fees", u256_json(&st[i].fees));
			/* received - (sent + fees); the sum cannot overflow in practice, but say so if it does */
			json_object_set_new(a, "balance", ov ? json_null() : json_string(tl_uint256_diff_dec(&st[i].received, &out, bal)));
			json_object_set_new(a, "transfers", json_integer((json_int_t)st[i].count));
			if (!ov && bal[0] == '-') negative = true;
		}
		free(ids);
		free(st);
		if (negative) {
			char msg[200];
			snprintf(msg, sizeof msg,
				 "a negative balance: the account held funds before block %lld, the first indexed one",
				 (long long)t.first);
			json_array_append_new(notes, json_string(msg));
		}
	}
	json_object_set_new(o, "notes", notes);
	return o;
fail:
	json_decref(notes);
	json_decref(o);
	return NULL;
}

json_t *tl_eth_json_history(struct tl_eth_store *s, const uint8_t addr[20], const uint8_t *contract, uint64_t before,
			    int limit, struct tl_err *err)
{
	uint64_t id;
	uint32_t asset = 0;
	int r = tl_eth_store_account_id(s, addr, &id, err);
	if (r <= 0) return r == 0 ? json_pack("{s:[],s:n}", "transfers", "next") : NULL;
	if (contract) {
		r = tl_eth_store_asset_id(s, contract, &asset, err);
		if (r <= 0) return r == 0 ? json_pack("{s:[],s:n}", "transfers", "next") : NULL;
	}
	if (limit < 1 || limit > 1000) limit = 25;
	uint64_t *seqs = malloc((size_t)(limit + 1) * sizeof *seqs);
	if (!seqs) abort();
	int n = tl_eth_store_history(s, id, asset, before, seqs, limit + 1, err);
	if (n < 0) {
		free(seqs);
		return NULL;
	}
	json_t *a = json_array();
	for (int i = 0; i < n && i < limit; i++) {
		struct tl_eth_xfer_rec x;
		json_t *j = NULL;
		if (tl_eth_store_xfer(s, seqs[i], &x, err) == 1) j = tl_eth_json_xfer(s, seqs[i], &x, err);
		if (!j) {
			free(seqs);
			json_decref(a);
			return NULL;
		}
		json_array_append_new(a, j);
	}
	json_t *o = json_object();
	json_object_set_new(o, "transfers", a);
	json_object_set_new(o, "next", n > limit ? json_integer((json_int_t)seqs[limit - 1]) : json_null());
	free(seqs);
	return o;
}

json_t *tl_eth_json_tx(struct tl_eth_store *s, const uint8_t hash[32], struct tl_err *err)
{
	struct tl_eth_tx_rec t;
	int r = tl_eth_store_tx(s, hash, &t, err);
	if (r <= 0) {
		if (r == 0) tl_err_set(err, "Transaction not found");
		return NULL;
	}
	json_t *o = json_object();
	json_object_set_new(o, "hash", hash_json(t.hash));
	json_object_set_new(o, "block", json_integer((json_int_t)t.block));
	json_object_set_new(o, "transaction_index", json_integer(t.index));
	json_object_set_new(o, "from", addr_json(t.from));
	json_object_set_new(o, "to", t.has_to ? addr_json(t.to) : json_null());
	json_object_set_new(o, "value", u256_json(&t.value));
	json_object_set_new(o, "status", json_string(t.status == 1 ? "success" : t.status == 0 ? "failed" : "unknown"));
	json_object_set_new(o, "gas_used", json_integer((json_int_t)t.gas_used));
	json_object_set_new(o, "effective_gas_price", u256_json(&t.gas_price));
	json_t *xs = json_array();
	for (uint32_t i = 0; i < t.n_xfer; i++) {
		struct tl_eth_xfer_rec x;
		json_t *j = NULL;
		if (tl_eth_store_xfer(s, t.first_seq + i, &x, err) == 1) j = tl_eth_json_xfer(s, t.first_seq + i, &x, err);
		if (!j) {
			json_decref(xs);
			json_decref(o);
			return NULL;
		}
		json_array_append_new(xs, j);
	}
	json_object_set_new(o, "transfers", xs);
	return o;
}

json_t *tl_eth_json_block(struct tl_eth_store *s, uint64_t number, const uint8_t *hash, struct tl_err *err)
{
	struct tl_eth_block_rec b;
	int r = hash ? tl_eth_store_block_by_hash(s, hash, &b, err) : tl_eth_store_block(s, number, &b, err);
	if (r <= 0) {
		if (r == 0) tl_err_set(err, "Block not found");
		return NULL;
	}
	json_t *o = json_object();
	json_object_set_new(o, "number", json_integer((json_int_t)b.number));
	json_object_set_new(o, "hash", hash_json(b.hash));
	json_object_set_new(o, "parent_hash", hash_json(b.parent));
	json_object_set_new(o, "timestamp", json_integer((json_int_t)b.timestamp));
	json_object_set_new(o, "miner", addr_json(b.miner));
	json_object_set_new(o, "transaction_count", json_integer(b.tx_count));
	json_object_set_new(o, "base_fee_per_gas", b.has_base_fee ? u256_json(&b.base_fee) : json_null());
	json_object_set_new(o, "transfers", json_integer(b.n_xfer));
	return o;
}
