/* JSON-RPC response objects -> model rows. */
#include "ethereum/rpc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ethereum/address.h"
#include "ethereum/jsonnum.h"

static int bad(struct tl_err *err, const char *what, const char *field, const char *why)
{
	return tl_err_set(err, "%s: field '%s': %s", what, field, why);
}

static int opt_qty(const json_t *o, const char *f, tl_uint256 *out, const char *what, struct tl_err *err)
{
	json_t *v = json_object_get(o, f);
	if (!v || json_is_null(v)) return 0;
	if (tl_json_u256(v, out) < 0) return bad(err, what, f, "not a quantity");
	return 1;
}
static int req_qty(const json_t *o, const char *f, tl_uint256 *out, const char *what, struct tl_err *err)
{
	int k = opt_qty(o, f, out, what, err);
	if (k == 0) return bad(err, what, f, "missing");
	return k < 0 ? -1 : 0;
}
static int req_u64(const json_t *o, const char *f, uint64_t *out, const char *what, struct tl_err *err)
{
	tl_uint256 v;
	if (req_qty(o, f, &v, what, err) < 0) return -1;
	if (!tl_uint256_fits_u64(&v)) return bad(err, what, f, "above 2^64");
	*out = v.w[0];
	return 0;
}
static int req_u32(const json_t *o, const char *f, uint32_t *out, const char *what, struct tl_err *err)
{
	uint64_t v;
	if (req_u64(o, f, &v, what, err) < 0) return -1;
	if (v >= TL_ETH_NO_TX) return bad(err, what, f, "too large");
	*out = (uint32_t)v;
	return 0;
}
static int req_hash(const json_t *o, const char *f, uint8_t out[32], const char *what, struct tl_err *err)
{
	const char *s = json_string_value(json_object_get(o, f));
	if (!s) return bad(err, what, f, "missing");
	if (tl_eth_hex_bytes(s, strlen(s), out, 32) < 0) return bad(err, what, f, "not a 32-byte hash");
	return 0;
}
static int opt_addr(const json_t *o, const char *f, uint8_t out[20], const char *what, struct tl_err *err)
{
	json_t *v = json_object_get(o, f);
	if (!v || json_is_null(v)) return 0;
	const char *s = json_string_value(v);
	if (!s || strlen(s) != 42 || tl_eth_hex_bytes(s, 42, out, 20) < 0) return bad(err, what, f, "not an address");
	return 1;
}
static int req_addr(const json_t *o, const char *f, uint8_t out[20], const char *what, struct tl_err *err)
{
	int k = opt_addr(o, f, out, what, err);
	if (k == 0) return bad(err, what, f, "missing");
	return k < 0 ? -1 : 0;
}

json_t *tl_eth_rpc_result(const char *text, size_t n, long id, struct tl_err *err)
{
	json_error_t je;
	json_t *doc = tl_json_loads_exact(text, n, &je);
	if (!doc) {
		tl_err_set(err, "the node's answer is not JSON (line %d: %s)", je.line, je.text);
		return NULL;
	}
	json_t *o = doc;
	if (json_is_array(doc)) {
		o = NULL;
		size_t i;
		json_t *e;
		json_array_foreach(doc, i, e)
		{
			tl_uint256 eid;
			if (tl_json_u256(json_object_get(e, "id"), &eid) == 0 && tl_uint256_fits_u64(&eid) && (long)eid.w[0] == id) {
				o = e;
				break;
			}
		}
		if (!o) {
			json_decref(doc);
			tl_err_set(err, "the node's batch answer has no response with id %ld", id);
			return NULL;
		}
	}
	if (!json_is_object(o)) {
		json_decref(doc);
		tl_err_set(err, "the node's answer is not a JSON-RPC response");
		return NULL;
	}
	json_t *e = json_object_get(o, "error");
	if (e && !json_is_null(e)) {
		const char *msg = json_string_value(json_object_get(e, "message"));
		const char *code = json_string_value(json_object_get(e, "code"));
		tl_err_set(err, "the node answered an error%s%s: %.300s", code ? " " : "", code ? code : "", msg ? msg : "(no message)");
		if (err) tl_utf8_sanitize(err->msg);
		json_decref(doc);
		return NULL;
	}
	json_t *r = json_object_get(o, "result");
	if (!r) {
		json_decref(doc);
		tl_err_set(err, "the node's answer has neither result nor error");
		return NULL;
	}
	json_incref(r);
	json_decref(doc);
	return r;
}

static int dec_tx(struct tl_eth_data *d, const json_t *o, struct tl_err *err)
{
	const char *W = "transaction";
	struct tl_eth_tx t;
	memset(&t, 0, sizeof t); /* padding too: rows are compared whole */
	if (req_hash(o, "hash", t.hash, W, err) < 0 || req_u64(o, "blockNumber", &t.block, W, err) < 0 ||
	    req_u32(o, "transactionIndex", &t.index, W, err) < 0 || req_addr(o, "from", t.from, W, err) < 0 ||
	    req_qty(o, "value", &t.value, W, err) < 0 || req_qty(o, "gasPrice", &t.gas_price, W, err) < 0)
		return -1;
	int k = opt_addr(o, "to", t.to, W, err);
	if (k < 0) return -1;
	t.has_to = k == 1;
	memcpy(TL_ETH_PUSH(d, txs), &t, sizeof t);
	d->have |= TL_ETH_HAVE_TXS;
	return 0;
}

int tl_eth_rpc_block(struct tl_eth_data *d, const json_t *o, struct tl_err *err)
{
	const char *W = "block";
	if (!json_is_object(o)) return tl_err_set(err, "block: not an object (a block beyond the node's head?)");
	struct tl_eth_block b;
	memset(&b, 0, sizeof b); /* padding too: rows are compared whole */
	if (req_u64(o, "number", &b.number, W, err) < 0 || req_hash(o, "hash", b.hash, W, err) < 0 ||
	    req_hash(o, "parentHash", b.parent, W, err) < 0 || req_addr(o, "miner", b.miner, W, err) < 0 ||
	    req_u64(o, "timestamp", &b.timestamp, W, err) < 0)
		return -1;
	int k = opt_qty(o, "baseFeePerGas", &b.base_fee, W, err);
	if (k < 0) return -1;
	b.has_base_fee = k == 1;
	json_t *txs = json_object_get(o, "transactions");
	if (!json_is_array(txs)) return bad(err, W, "transactions", "missing");
	b.tx_count = (uint32_t)json_array_size(txs);
	size_t i;
	json_t *e;
	json_array_foreach(txs, i, e)
	{
		if (json_is_string(e)) continue; /* hashes only */
		if (!json_is_object(e) || dec_tx(d, e, err) < 0) return tl_err_prefix(err, "block %llu: ", (unsigned long long)b.number);
	}
	json_t *wds = json_object_get(o, "withdrawals");
	if (wds && !json_is_null(wds)) {
		if (!json_is_array(wds)) return bad(err, W, "withdrawals", "not an array");
		b.has_withdrawals = true;
		json_array_foreach(wds, i, e)
		{
			struct tl_eth_withdrawal w;
			memset(&w, 0, sizeof w); /* padding too: rows are compared whole */
			w.block = b.number;
			if (req_u64(e, "index", &w.index, "withdrawal", err) < 0 || req_addr(e, "address", w.addr, "withdrawal", err) < 0 ||
			    req_qty(e, "amount", &w.amount_wei, "withdrawal", err) < 0)
				return -1;
			if (tl_uint256_mul_u64(&w.amount_wei, &w.amount_wei, 1000000000ull))
				return bad(err, "withdrawal", "amount", "overflows 256 bits in wei");
			memcpy(TL_ETH_PUSH(d, wds), &w, sizeof w);
		}
	}
	memcpy(TL_ETH_PUSH(d, blocks), &b, sizeof b);
	d->have |= TL_ETH_HAVE_BLOCKS;
	return 0;
}

static int dec_log(struct tl_eth_data *d, const json_t *o, struct tl_err *err)
{
	const char *W = "log";
	if (json_is_true(json_object_get(o, "removed"))) return 0;
	struct tl_eth_log l;
	memset(&l, 0, sizeof l); /* padding too: rows are compared whole */
	if (req_u32(o, "logIndex", &l.log_index, W, err) < 0 || req_hash(o, "transactionHash", l.tx_hash, W, err) < 0 ||
	    req_u32(o, "transactionIndex", &l.tx_index, W, err) < 0 || req_u64(o, "blockNumber", &l.block, W, err) < 0 ||
	    req_addr(o, "address", l.address, W, err) < 0)
		return -1;
	json_t *topics = json_object_get(o, "topics");
	if (!json_is_array(topics)) return bad(err, W, "topics", "missing");
	size_t i;
	json_t *t;
	json_array_foreach(topics, i, t)
	{
		const char *s = json_string_value(t);
		uint8_t b[32];
		if (!s || tl_eth_hex_bytes(s, strlen(s), b, 32) < 0) return bad(err, W, "topics", "a topic is not a 32-byte word");
		if (l.ntopics < 4) memcpy(l.topics[l.ntopics], b, 32);
		if (l.ntopics < UINT8_MAX) l.ntopics++;
	}
	const char *data = json_string_value(json_object_get(o, "data"));
	if (!data) return bad(err, W, "data", "missing");
	size_t n = strlen(data);
	if (n < 2 || data[0] != '0' || data[1] != 'x' || n % 2) return bad(err, W, "data", "not 0x-prefixed hex");
	l.data_len = (n - 2) / 2;
	if (l.data_len >= 32) {
		uint8_t w[32];
		if (tl_eth_hex_bytes(data + 2, 64, w, 32) < 0) return bad(err, W, "data", "not hex");
		tl_uint256_from_be32(w, &l.word0);
	}
	if (tl_eth_log_set_data(&l, data + 2) < 0) return bad(err, W, "data", "not hex");
	memcpy(TL_ETH_PUSH(d, logs), &l, sizeof l);
	return 0;
}

int tl_eth_rpc_logs(struct tl_eth_data *d, const json_t *logs, struct tl_err *err)
{
	if (!json_is_array(logs)) return tl_err_set(err, "logs: not an array");
	size_t i;
	json_t *e;
	json_array_foreach(logs, i, e) if (!json_is_object(e) || dec_log(d, e, err) < 0) return tl_err_prefix(err, "log %zu: ", i);
	d->have |= TL_ETH_HAVE_LOGS;
	return 0;
}

static int dec_receipt(struct tl_eth_data *d, const json_t *o, struct tl_err *err)
{
	const char *W = "receipt";
	if (!json_is_object(o)) return tl_err_set(err, "receipt: not an object");
	struct tl_eth_receipt x;
	memset(&x, 0, sizeof x); /* padding too: rows are compared whole */
	if (req_hash(o, "transactionHash", x.tx_hash, W, err) < 0 || req_u64(o, "blockNumber", &x.block, W, err) < 0 ||
	    req_u32(o, "transactionIndex", &x.index, W, err) < 0 || req_u64(o, "gasUsed", &x.gas_used, W, err) < 0)
		return -1;
	int k = opt_qty(o, "effectiveGasPrice", &x.eff_price, W, err);
	if (k < 0) return -1;
	x.has_eff_price = k == 1;
	tl_uint256 st;
	k = opt_qty(o, "status", &st, W, err);
	if (k < 0) return -1;
	if (k == 0) x.status = -1;
	else if (tl_uint256_fits_u64(&st) && st.w[0] <= 1) x.status = (int)st.w[0];
	else return bad(err, W, "status", "not 0 or 1");
	k = opt_addr(o, "contractAddress", x.contract, W, err);
	if (k < 0) return -1;
	x.has_contract = k == 1;
	memcpy(TL_ETH_PUSH(d, rcpts), &x, sizeof x);
	d->have |= TL_ETH_HAVE_RECEIPTS;
	json_t *logs = json_object_get(o, "logs");
	if (logs && tl_eth_rpc_logs(d, logs, err) < 0) return -1;
	return 0;
}

int tl_eth_rpc_receipts(struct tl_eth_data *d, const json_t *r, struct tl_err *err)
{
	if (json_is_object(r)) return dec_receipt(d, r, err);
	if (!json_is_array(r)) return tl_err_set(err, "receipts: neither an object nor an array");
	size_t i;
	json_t *e;
	json_array_foreach(r, i, e) if (dec_receipt(d, e, err) < 0) return -1;
	d->have |= TL_ETH_HAVE_RECEIPTS;
	return 0;
}

static uint8_t call_type_of(const char *s)
{
	if (!s) return TL_ETH_CT_NONE;
	char lc[16];
	size_t n = strlen(s);
	if (n >= sizeof lc) return 0xff;
	for (size_t i = 0; i <= n; i++) lc[i] = (char)tolower((unsigned char)s[i]);
	if (!strcmp(lc, "call")) return TL_ETH_CT_CALL;
	if (!strcmp(lc, "delegatecall")) return TL_ETH_CT_DELEGATECALL;
	if (!strcmp(lc, "staticcall")) return TL_ETH_CT_STATICCALL;
	if (!strcmp(lc, "callcode")) return TL_ETH_CT_CALLCODE;
	return 0xff;
}

int tl_eth_rpc_trace_block(struct tl_eth_data *d, const json_t *traces, struct tl_err *err)
{
	const char *W = "trace";
	if (!json_is_array(traces)) return tl_err_set(err, "trace_block: not an array");
	size_t i;
	json_t *o;
	json_array_foreach(traces, i, o)
	{
		struct tl_eth_trace t;
		memset(&t, 0, sizeof t); /* padding too: rows are compared whole */
		t.tx_index = TL_ETH_NO_TX;
		json_t *a = json_object_get(o, "action"), *res = json_object_get(o, "result");
		const char *ty = json_string_value(json_object_get(o, "type"));
		if (!json_is_object(a) || !ty) return tl_err_set(err, "trace %zu: no action or type", i);
		if (req_u64(o, "blockNumber", &t.block, W, err) < 0) return -1;
		int kf = 0, kt = 0, kv = 0;
		if (!strcmp(ty, "call")) {
			t.type = TL_ETH_TR_CALL;
			t.call_type = call_type_of(json_string_value(json_object_get(a, "callType")));
			if (t.call_type == 0xff) return bad(err, W, "callType", "unknown");
			kf = opt_addr(a, "from", t.from, W, err);
			kt = opt_addr(a, "to", t.to, W, err);
			kv = opt_qty(a, "value", &t.value, W, err);
		} else if (!strcmp(ty, "create")) {
			t.type = TL_ETH_TR_CREATE;
			kf = opt_addr(a, "from", t.from, W, err);
			kt = json_is_object(res) ? opt_addr(res, "address", t.to, W, err) : 0;
			kv = opt_qty(a, "value", &t.value, W, err);
		} else if (!strcmp(ty, "suicide")) {
			t.type = TL_ETH_TR_SUICIDE;
			kf = opt_addr(a, "address", t.from, W, err);
			kt = opt_addr(a, "refundAddress", t.to, W, err);
			kv = opt_qty(a, "balance", &t.value, W, err);
		} else if (!strcmp(ty, "reward")) {
			t.type = TL_ETH_TR_REWARD;
			kt = opt_addr(a, "author", t.to, W, err);
			kv = opt_qty(a, "value", &t.value, W, err);
		} else
			return bad(err, W, "type", "not call, create, suicide or reward");
		if (kf < 0 || kt < 0 || kv < 0) return -1;
		t.has_from = kf == 1;
		t.has_to = kt == 1;
		if (t.type != TL_ETH_TR_REWARD && req_u32(o, "transactionPosition", &t.tx_index, W, err) < 0) return -1;
		json_t *e = json_object_get(o, "error");
		t.error = e && !json_is_null(e);
		json_t *ta = json_object_get(o, "traceAddress");
		if (!json_is_array(ta)) return bad(err, W, "traceAddress", "missing");
		size_t n = json_array_size(ta);
		if (n) {
			t.addr = malloc(n * sizeof *t.addr);
			if (!t.addr) abort();
		}
		for (size_t k = 0; k < n; k++) {
			tl_uint256 v;
			if (tl_json_u256(json_array_get(ta, k), &v) < 0 || !tl_uint256_fits_u64(&v) || v.w[0] > UINT32_MAX) {
				free(t.addr);
				return bad(err, W, "traceAddress", "not a list of positions");
			}
			t.addr[t.depth++] = (uint32_t)v.w[0];
		}
		t.seq = d->trace_seq++;
		memcpy(TL_ETH_PUSH(d, traces), &t, sizeof t);
	}
	d->have |= TL_ETH_HAVE_TRACES;
	return 0;
}

/* One callTracer frame and its subcalls, depth first. path[0..depth) is
 * the frame's trace address. */
static int walk_frame(struct tl_eth_data *d, uint64_t block, uint32_t tx, const json_t *f, uint32_t *path, uint32_t depth,
		      struct tl_err *err)
{
	const char *W = "call frame";
	if (depth >= 1024) return tl_err_set(err, "call frame: nested deeper than the EVM allows");
	if (!json_is_object(f)) return tl_err_set(err, "call frame: not an object");
	const char *ty = json_string_value(json_object_get(f, "type"));
	if (!ty) return bad(err, W, "type", "missing");
	struct tl_eth_trace t;
	memset(&t, 0, sizeof t); /* padding too: rows are compared whole */
	t.block = block;
	t.tx_index = tx;
	if (!strcmp(ty, "CREATE") || !strcmp(ty, "CREATE2")) t.type = TL_ETH_TR_CREATE;
	else if (!strcmp(ty, "SELFDESTRUCT")) t.type = TL_ETH_TR_SUICIDE;
	else {
		t.type = TL_ETH_TR_CALL;
		t.call_type = call_type_of(ty);
		if (t.call_type == 0xff) return bad(err, W, "type", "unknown call type");
	}
	int kf = opt_addr(f, "from", t.from, W, err), kt = opt_addr(f, "to", t.to, W, err);
	int kv = opt_qty(f, "value", &t.value, W, err);
	if (kf < 0 || kt < 0 || kv < 0) return -1;
	t.has_from = kf == 1;
	t.has_to = kt == 1;
	json_t *e = json_object_get(f, "error");
	t.error = e && !json_is_null(e);
	t.depth = depth;
	if (depth) {
		t.addr = malloc(depth * sizeof *t.addr);
		if (!t.addr) abort();
		memcpy(t.addr, path, depth * sizeof *path);
	}
	t.seq = d->trace_seq++;
	memcpy(TL_ETH_PUSH(d, traces), &t, sizeof t);
	json_t *calls = json_object_get(f, "calls");
	if (calls && !json_is_null(calls)) {
		if (!json_is_array(calls)) return bad(err, W, "calls", "not an array");
		size_t i;
		json_t *c;
		json_array_foreach(calls, i, c)
		{
			path[depth] = (uint32_t)i;
			if (walk_frame(d, block, tx, c, path, depth + 1, err) < 0) return -1;
		}
	}
	return 0;
}

int tl_eth_rpc_call_tracer(struct tl_eth_data *d, uint64_t block, const json_t *results, struct tl_err *err)
{
	if (!json_is_array(results)) return tl_err_set(err, "debug_traceBlockByNumber: not an array");
	uint32_t *path = malloc(1024 * sizeof *path);
	if (!path) abort();
	size_t i;
	json_t *e;
	int rc = 0;
	json_array_foreach(results, i, e)
	{
		json_t *r = json_object_get(e, "result");
		if (!r) {
			json_t *er = json_object_get(e, "error");
			rc = tl_err_set(err, "transaction %zu of block %llu: the tracer failed%s%.200s", i, (unsigned long long)block,
					er ? ": " : "", json_string_value(er) ? json_string_value(er) : "");
			break;
		}
		if ((rc = walk_frame(d, block, (uint32_t)i, r, path, 0, err)) < 0) break;
	}
	free(path);
	if (rc == 0) d->have |= TL_ETH_HAVE_TRACES;
	return rc;
}
