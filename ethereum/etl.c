/* ethereum-etl export files -> model tables. Both formats become rows of
 * (column, text) first, so that one decoder per table serves CSV and JSON
 * lines alike: JSON numbers are turned into strings before jansson sees
 * them (it would refuse or round values above 2^63), arrays of scalars
 * become the comma-joined text the CSV form has. */
#include "ethereum/etl.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "ethereum/address.h"
#include "ethereum/csv.h"
#include "ethereum/jsonnum.h"

#define MAX_COLS 64

struct row {
	const char *file;
	size_t line;
	size_t n;
	const char *keys[MAX_COLS];
	const char *vals[MAX_COLS]; /* NULL: null or absent */
};

static const char *get(const struct row *r, const char *key)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->keys[i][0] == key[0] && !strcmp(r->keys[i], key)) return r->vals[i] && r->vals[i][0] ? r->vals[i] : NULL;
	return NULL;
}

static int bad(struct tl_err *err, const struct row *r, const char *col, const char *what)
{
	return tl_err_set(err, "%s:%zu: column '%s': %s", r->file, r->line, col, what);
}

static int req_u64(const struct row *r, const char *col, uint64_t *out, struct tl_err *err)
{
	const char *s = get(r, col);
	if (!s) return bad(err, r, col, "missing");
	tl_uint256 v;
	if (tl_uint256_from_dec(s, strlen(s), &v) < 0 || !tl_uint256_fits_u64(&v))
		return bad(err, r, col, "not a decimal number below 2^64");
	*out = v.w[0];
	return 0;
}

static int req_u32(const struct row *r, const char *col, uint32_t *out, struct tl_err *err)
{
	uint64_t v;
	if (req_u64(r, col, &v, err) < 0) return -1;
	if (v >= TL_ETH_NO_TX) return bad(err, r, col, "too large");
	*out = (uint32_t)v;
	return 0;
}

/* Returns 1 when present, 0 when empty or absent, -1 when malformed. */
static int opt_u256(const struct row *r, const char *col, tl_uint256 *out, struct tl_err *err)
{
	const char *s = get(r, col);
	if (!s) return 0;
	if (tl_uint256_from_dec(s, strlen(s), out) < 0) return bad(err, r, col, "not a decimal number below 2^256");
	return 1;
}

static int req_u256(const struct row *r, const char *col, tl_uint256 *out, struct tl_err *err)
{
	int k = opt_u256(r, col, out, err);
	if (k == 0) return bad(err, r, col, "missing");
	return k < 0 ? -1 : 0;
}

static int req_hash(const struct row *r, const char *col, uint8_t out[32], struct tl_err *err)
{
	const char *s = get(r, col);
	if (!s) return bad(err, r, col, "missing");
	if (tl_eth_hex_bytes(s, strlen(s), out, 32) < 0) return bad(err, r, col, "not a 32-byte hex hash");
	return 0;
}

/* Returns 1 present, 0 absent, -1 malformed. */
static int opt_addr(const struct row *r, const char *col, uint8_t out[20], struct tl_err *err)
{
	const char *s = get(r, col);
	if (!s) return 0;
	if (strlen(s) != 42 || tl_eth_hex_bytes(s, 42, out, 20) < 0)
		return bad(err, r, col, "not an address (0x and 40 hex digits)");
	return 1;
}

static int req_addr(const struct row *r, const char *col, uint8_t out[20], struct tl_err *err)
{
	int k = opt_addr(r, col, out, err);
	if (k == 0) return bad(err, r, col, "missing");
	return k < 0 ? -1 : 0;
}

/* Strings made for one JSON row (joined arrays, dumped objects). */
struct scratch {
	char *s[MAX_COLS];
	size_t n;
};
static void scratch_free(struct scratch *sc)
{
	for (size_t i = 0; i < sc->n; i++) free(sc->s[i]);
	sc->n = 0;
}

static const char *json_text(json_t *v, struct scratch *sc)
{
	if (json_is_string(v)) return json_string_value(v);
	if (json_is_null(v)) return NULL;
	if (json_is_true(v)) return "1";
	if (json_is_false(v)) return "0";
	char *t = NULL;
	bool scalars = json_is_array(v);
	size_t i;
	json_t *e;
	json_array_foreach(v, i, e) if (!json_is_string(e)) scalars = false;
	if (scalars) { /* ["a","b"] -> "a,b", as the CSV form has it */
		size_t len = 1;
		json_array_foreach(v, i, e) len += strlen(json_string_value(e)) + 1;
		t = malloc(len);
		if (!t) abort();
		t[0] = 0;
		json_array_foreach(v, i, e)
		{
			if (i) strcat(t, ",");
			strcat(t, json_string_value(e));
		}
	} else {
		t = json_dumps(v, JSON_COMPACT);
		if (!t) abort();
	}
	sc->s[sc->n++] = t;
	return t;
}

/* ---- tables ---- */

static int dec_withdrawals(struct tl_eth_data *d, const struct row *r, uint64_t block, struct tl_err *err)
{
	const char *s = get(r, "withdrawals");
	if (!s) return 0;
	/* CSV: objects joined by commas; JSON: an array (dumped above) */
	size_t n = strlen(s);
	char *wrapped = malloc(n + 3);
	if (!wrapped) abort();
	if (s[0] == '[') memcpy(wrapped, s, n + 1);
	else snprintf(wrapped, n + 3, "[%s]", s);
	char *q = tl_json_quote_numbers(wrapped, strlen(wrapped));
	free(wrapped);
	json_error_t je;
	json_t *a = json_loads(q, 0, &je);
	free(q);
	if (!a || !json_is_array(a)) {
		json_decref(a);
		return bad(err, r, "withdrawals", "not a list of withdrawals");
	}
	size_t i;
	json_t *w;
	json_array_foreach(a, i, w)
	{
		const char *idx = json_string_value(json_object_get(w, "index"));
		const char *addr = json_string_value(json_object_get(w, "address"));
		const char *amt = json_string_value(json_object_get(w, "amount"));
		struct tl_eth_withdrawal x;
		memset(&x, 0, sizeof x); /* padding too: rows are compared whole */
		x.block = block;
		tl_uint256 iv;
		if (!idx || !addr || !amt || tl_uint256_from_dec(idx, strlen(idx), &iv) < 0 || !tl_uint256_fits_u64(&iv) ||
		    strlen(addr) != 42 || tl_eth_hex_bytes(addr, 42, x.addr, 20) < 0 ||
		    tl_uint256_from_dec(amt, strlen(amt), &x.amount_wei) < 0 ||
		    tl_uint256_mul_u64(&x.amount_wei, &x.amount_wei, 1000000000ull)) {
			json_decref(a);
			return bad(err, r, "withdrawals", "a withdrawal lacks index, address or amount (Gwei)");
		}
		x.index = iv.w[0];
		memcpy(TL_ETH_PUSH(d, wds), &x, sizeof x);
	}
	json_decref(a);
	return 0;
}

static int dec_block(struct tl_eth_data *d, const struct row *r, struct tl_err *err)
{
	struct tl_eth_block b;
	memset(&b, 0, sizeof b); /* padding too: rows are compared whole */
	uint64_t tc = 0;
	if (req_u64(r, "number", &b.number, err) < 0 || req_hash(r, "hash", b.hash, err) < 0 ||
	    req_hash(r, "parent_hash", b.parent, err) < 0 || req_addr(r, "miner", b.miner, err) < 0 ||
	    req_u64(r, "timestamp", &b.timestamp, err) < 0 || req_u64(r, "transaction_count", &tc, err) < 0)
		return -1;
	if (tc > UINT32_MAX) return bad(err, r, "transaction_count", "too large");
	b.tx_count = (uint32_t)tc;
	int k = opt_u256(r, "base_fee_per_gas", &b.base_fee, err);
	if (k < 0) return -1;
	b.has_base_fee = k == 1;
	b.has_withdrawals = get(r, "withdrawals") != NULL || get(r, "withdrawals_root") != NULL;
	if (dec_withdrawals(d, r, b.number, err) < 0) return -1;
	memcpy(TL_ETH_PUSH(d, blocks), &b, sizeof b);
	d->have |= TL_ETH_HAVE_BLOCKS;
	return 0;
}

static int dec_receipt_fields(struct tl_eth_receipt *x, const struct row *r, const char *pre, struct tl_err *err)
{
	char col[64];
	snprintf(col, sizeof col, "%sgas_used", pre);
	if (req_u64(r, col, &x->gas_used, err) < 0) return -1;
	snprintf(col, sizeof col, "%seffective_gas_price", pre);
	int k = opt_u256(r, col, &x->eff_price, err);
	if (k < 0) return -1;
	x->has_eff_price = k == 1;
	snprintf(col, sizeof col, "%sstatus", pre);
	const char *st = get(r, col);
	if (!st) x->status = -1;
	else if (!strcmp(st, "1")) x->status = 1;
	else if (!strcmp(st, "0")) x->status = 0;
	else return bad(err, r, col, "not 0 or 1");
	snprintf(col, sizeof col, "%scontract_address", pre);
	k = opt_addr(r, col, x->contract, err);
	if (k < 0) return -1;
	x->has_contract = k == 1;
	return 0;
}

static int dec_tx(struct tl_eth_data *d, const struct row *r, struct tl_err *err)
{
	struct tl_eth_tx t;
	memset(&t, 0, sizeof t); /* padding too: rows are compared whole */
	if (req_hash(r, "hash", t.hash, err) < 0 || req_u64(r, "block_number", &t.block, err) < 0 ||
	    req_u32(r, "transaction_index", &t.index, err) < 0 || req_addr(r, "from_address", t.from, err) < 0 ||
	    req_u256(r, "value", &t.value, err) < 0 || req_u256(r, "gas_price", &t.gas_price, err) < 0)
		return -1;
	int k = opt_addr(r, "to_address", t.to, err);
	if (k < 0) return -1;
	t.has_to = k == 1;
	memcpy(TL_ETH_PUSH(d, txs), &t, sizeof t);
	d->have |= TL_ETH_HAVE_TXS;
	/* the stream exporter merges the receipt in */
	if (get(r, "receipt_gas_used")) {
		struct tl_eth_receipt x;
		memset(&x, 0, sizeof x); /* padding too: rows are compared whole */
		x.block = t.block;
		x.index = t.index;
		memcpy(x.tx_hash, t.hash, 32);
		if (dec_receipt_fields(&x, r, "receipt_", err) < 0) return -1;
		memcpy(TL_ETH_PUSH(d, rcpts), &x, sizeof x);
		d->have |= TL_ETH_HAVE_RECEIPTS;
	}
	return 0;
}

static int dec_receipt(struct tl_eth_data *d, const struct row *r, struct tl_err *err)
{
	struct tl_eth_receipt x;
	memset(&x, 0, sizeof x); /* padding too: rows are compared whole */
	if (req_hash(r, "transaction_hash", x.tx_hash, err) < 0 || req_u64(r, "block_number", &x.block, err) < 0 ||
	    req_u32(r, "transaction_index", &x.index, err) < 0 || dec_receipt_fields(&x, r, "", err) < 0)
		return -1;
	memcpy(TL_ETH_PUSH(d, rcpts), &x, sizeof x);
	d->have |= TL_ETH_HAVE_RECEIPTS;
	return 0;
}

static int dec_log(struct tl_eth_data *d, const struct row *r, struct tl_err *err)
{
	struct tl_eth_log l;
	memset(&l, 0, sizeof l); /* padding too: rows are compared whole */
	if (req_u32(r, "log_index", &l.log_index, err) < 0 || req_hash(r, "transaction_hash", l.tx_hash, err) < 0 ||
	    req_u32(r, "transaction_index", &l.tx_index, err) < 0 || req_u64(r, "block_number", &l.block, err) < 0 ||
	    req_addr(r, "address", l.address, err) < 0)
		return -1;
	const char *data = get(r, "data");
	if (data) {
		size_t n = strlen(data);
		if (n < 2 || data[0] != '0' || data[1] != 'x' || n % 2) return bad(err, r, "data", "not 0x-prefixed hex");
		l.data_len = (n - 2) / 2;
		uint8_t w[32];
		if (l.data_len >= 32) {
			if (tl_eth_hex_bytes(data + 2, 64, w, 32) < 0) return bad(err, r, "data", "not hex");
			tl_uint256_from_be32(w, &l.word0);
		}
	}
	const char *topics = get(r, "topics");
	for (const char *p = topics; p && *p;) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		uint8_t t[32];
		if (tl_eth_hex_bytes(p, n, t, 32) < 0) return bad(err, r, "topics", "a topic is not a 32-byte hex word");
		if (l.ntopics < 4) memcpy(l.topics[l.ntopics], t, 32);
		if (l.ntopics < UINT8_MAX) l.ntopics++;
		p = e ? e + 1 : p + n;
	}
	if (data && tl_eth_log_set_data(&l, data + 2) < 0) return bad(err, r, "data", "not hex");
	memcpy(TL_ETH_PUSH(d, logs), &l, sizeof l);
	d->have |= TL_ETH_HAVE_LOGS;
	return 0;
}

static int dec_toktx(struct tl_eth_data *d, const struct row *r, struct tl_err *err)
{
	struct tl_eth_toktx t;
	memset(&t, 0, sizeof t); /* padding too: rows are compared whole */
	t.tx_index = TL_ETH_NO_TX;
	if (req_addr(r, "token_address", t.token, err) < 0 || req_addr(r, "from_address", t.from, err) < 0 ||
	    req_addr(r, "to_address", t.to, err) < 0 || req_u256(r, "value", &t.value, err) < 0 ||
	    req_u32(r, "log_index", &t.log_index, err) < 0 || req_u64(r, "block_number", &t.block, err) < 0)
		return -1;
	if (get(r, "transaction_hash")) {
		if (req_hash(r, "transaction_hash", t.tx_hash, err) < 0) return -1;
		t.has_tx_hash = true;
	}
	if (get(r, "transaction_index") && req_u32(r, "transaction_index", &t.tx_index, err) < 0) return -1;
	memcpy(TL_ETH_PUSH(d, toktx), &t, sizeof t);
	d->have |= TL_ETH_HAVE_TOKTX;
	return 0;
}

static int dec_trace(struct tl_eth_data *d, const struct row *r, struct tl_err *err)
{
	struct tl_eth_trace t;
	memset(&t, 0, sizeof t); /* padding too: rows are compared whole */
	t.tx_index = TL_ETH_NO_TX;
	if (req_u64(r, "block_number", &t.block, err) < 0) return -1;
	const char *ty = get(r, "trace_type");
	if (!ty) return bad(err, r, "trace_type", "missing");
	if (!strcmp(ty, "call")) t.type = TL_ETH_TR_CALL;
	else if (!strcmp(ty, "create")) t.type = TL_ETH_TR_CREATE;
	else if (!strcmp(ty, "suicide")) t.type = TL_ETH_TR_SUICIDE;
	else if (!strcmp(ty, "reward")) t.type = TL_ETH_TR_REWARD;
	else return bad(err, r, "trace_type", "not call, create, suicide or reward");
	const char *ct = get(r, "call_type");
	if (!ct) t.call_type = TL_ETH_CT_NONE;
	else if (!strcmp(ct, "call")) t.call_type = TL_ETH_CT_CALL;
	else if (!strcmp(ct, "delegatecall")) t.call_type = TL_ETH_CT_DELEGATECALL;
	else if (!strcmp(ct, "staticcall")) t.call_type = TL_ETH_CT_STATICCALL;
	else if (!strcmp(ct, "callcode")) t.call_type = TL_ETH_CT_CALLCODE;
	else return bad(err, r, "call_type", "unknown call type");
	if (t.type != TL_ETH_TR_REWARD && req_u32(r, "transaction_index", &t.tx_index, err) < 0) return -1;
	int k = opt_addr(r, "from_address", t.from, err);
	if (k < 0) return -1;
	t.has_from = k == 1;
	k = opt_addr(r, "to_address", t.to, err);
	if (k < 0) return -1;
	t.has_to = k == 1;
	if (opt_u256(r, "value", &t.value, err) < 0) return -1;
	const char *st = get(r, "status");
	t.error = get(r, "error") != NULL || (st && !strcmp(st, "0"));
	const char *ta = get(r, "trace_address");
	if (ta) {
		size_t cap = 1;
		for (const char *p = ta; *p; p++) cap += *p == ',';
		t.addr = malloc(cap * sizeof *t.addr);
		if (!t.addr) abort();
		for (const char *p = ta; *p;) {
			char *e;
			errno = 0;
			unsigned long v = strtoul(p, &e, 10);
			if (e == p || errno || v > UINT32_MAX || (*e && *e != ',') || *p == '-' || *p == '+' || *p == ' ') {
				free(t.addr);
				return bad(err, r, "trace_address", "not a comma-separated list of positions");
			}
			t.addr[t.depth++] = (uint32_t)v;
			p = *e ? e + 1 : e;
		}
	}
	t.seq = d->trace_seq++;
	memcpy(TL_ETH_PUSH(d, traces), &t, sizeof t);
	d->have |= TL_ETH_HAVE_TRACES;
	return 0;
}

static int dec_token(struct tl_eth_data *d, const struct row *r, struct tl_err *err)
{
	struct tl_eth_token t;
	memset(&t, 0, sizeof t); /* padding too: rows are compared whole */
	t.decimals = -1;
	if (req_addr(r, "address", t.address, err) < 0) return -1;
	const char *sym = get(r, "symbol");
	if (sym) snprintf(t.symbol, sizeof t.symbol, "%s", sym);
	/* tokens report junk decimals: unknown then, not an error */
	const char *ds = get(r, "decimals");
	tl_uint256 dec;
	if (ds && tl_uint256_from_dec(ds, strlen(ds), &dec) == 0 && tl_uint256_fits_u64(&dec) && dec.w[0] <= 255)
		t.decimals = (int)dec.w[0];
	memcpy(TL_ETH_PUSH(d, tokens), &t, sizeof t);
	d->have |= TL_ETH_HAVE_TOKENS;
	return 0;
}

static int dec_row(struct tl_eth_data *d, const struct row *r, unsigned table, struct tl_err *err)
{
	const char *type = get(r, "type");
	if (type) { /* stream exporter items */
		if (!strcmp(type, "block")) table = TL_ETH_HAVE_BLOCKS;
		else if (!strcmp(type, "transaction")) table = TL_ETH_HAVE_TXS;
		else if (!strcmp(type, "receipt")) table = TL_ETH_HAVE_RECEIPTS;
		else if (!strcmp(type, "log")) table = TL_ETH_HAVE_LOGS;
		else if (!strcmp(type, "token_transfer")) table = TL_ETH_HAVE_TOKTX;
		else if (!strcmp(type, "trace")) table = TL_ETH_HAVE_TRACES;
		else if (!strcmp(type, "token")) table = TL_ETH_HAVE_TOKENS;
		else return 0; /* contracts and other items carry no value */
	}
	switch (table) {
	case TL_ETH_HAVE_BLOCKS: return dec_block(d, r, err);
	case TL_ETH_HAVE_TXS: return dec_tx(d, r, err);
	case TL_ETH_HAVE_RECEIPTS: return dec_receipt(d, r, err);
	case TL_ETH_HAVE_LOGS: return dec_log(d, r, err);
	case TL_ETH_HAVE_TOKTX: return dec_toktx(d, r, err);
	case TL_ETH_HAVE_TRACES: return dec_trace(d, r, err);
	case TL_ETH_HAVE_TOKENS: return dec_token(d, r, err);
	default: return tl_err_set(err, "%s:%zu: an item of no known type", r->file, r->line);
	}
}

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && !strcmp(s + a - b, suf);
}

unsigned tl_eth_etl_table_of(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (!ends_with(base, ".csv") && !ends_with(base, ".json")) return 0;
	if (!strncmp(base, "expected_", 9)) base += 9;
	static const struct {
		const char *name;
		unsigned bit;
	} T[] = {
		{ "blocks", TL_ETH_HAVE_BLOCKS },   { "transactions", TL_ETH_HAVE_TXS }, { "receipts", TL_ETH_HAVE_RECEIPTS },
		{ "logs", TL_ETH_HAVE_LOGS },       { "token_transfers", TL_ETH_HAVE_TOKTX },
		{ "traces", TL_ETH_HAVE_TRACES },   { "tokens", TL_ETH_HAVE_TOKENS },
	};
	for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
		size_t n = strlen(T[i].name);
		if (!strncmp(base, T[i].name, n) && (base[n] == '.' || base[n] == '_')) return T[i].bit;
	}
	return 0;
}

static int read_csv(struct tl_eth_data *d, const char *name, char *buf, size_t len, unsigned table, struct tl_err *err)
{
	struct tl_csv c;
	tl_csv_init(&c, buf, len);
	size_t line;
	int k = tl_csv_next(&c, &line, err);
	if (k <= 0) {
		tl_csv_free(&c);
		if (k < 0) return tl_err_prefix(err, "%s: ", name);
		return 0; /* an empty file: a table with no rows */
	}
	struct row r = { .file = name };
	if (c.nf > MAX_COLS) {
		tl_csv_free(&c);
		return tl_err_set(err, "%s:1: more than %d columns", name, MAX_COLS);
	}
	const char *hdr[MAX_COLS];
	size_t nh = c.nf;
	for (size_t i = 0; i < nh; i++) hdr[i] = c.fields[i];
	if (table == 0) {
		tl_csv_free(&c);
		return tl_err_set(err, "%s: a CSV file's name must say its table", name);
	}
	int rc = 0;
	while ((k = tl_csv_next(&c, &line, err)) == 1) {
		if (c.nf == 1 && c.lens[0] == 0) continue; /* blank line */
		if (c.nf != nh) {
			rc = tl_err_set(err, "%s:%zu: %zu fields, the header has %zu", name, line, c.nf, nh);
			break;
		}
		r.line = line;
		r.n = nh;
		for (size_t i = 0; i < nh; i++) {
			r.keys[i] = hdr[i];
			r.vals[i] = c.fields[i];
		}
		if (dec_row(d, &r, table, err) < 0) {
			rc = -1;
			break;
		}
	}
	if (k < 0) rc = tl_err_prefix(err, "%s: ", name);
	tl_csv_free(&c);
	return rc;
}

static int read_jsonl(struct tl_eth_data *d, const char *name, char *buf, size_t len, unsigned table, struct tl_err *err)
{
	size_t line = 0;
	for (size_t pos = 0; pos < len;) {
		char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		char *s = buf + pos;
		pos += n + 1;
		line++;
		while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
		if (n == 0) continue;
		char *q = tl_json_quote_numbers(s, n);
		json_error_t je;
		json_t *o = json_loads(q, JSON_REJECT_DUPLICATES, &je);
		free(q);
		if (!o || !json_is_object(o)) {
			json_decref(o);
			return tl_err_set(err, "%s:%zu: not a JSON object (%s)", name, line, o ? "another value" : je.text);
		}
		struct row r = { .file = name, .line = line };
		struct scratch sc = { .n = 0 };
		const char *key;
		json_t *v;
		json_object_foreach(o, key, v)
		{
			if (r.n == MAX_COLS) break;
			r.keys[r.n] = key;
			r.vals[r.n] = json_text(v, &sc);
			r.n++;
		}
		int rc = dec_row(d, &r, table, err);
		scratch_free(&sc);
		json_decref(o);
		if (rc < 0) return -1;
	}
	return 0;
}

int tl_eth_etl_read_buf(struct tl_eth_data *d, const char *name, char *buf, size_t len, unsigned table,
			struct tl_err *err)
{
	if (memchr(buf, 0, len)) return tl_err_set(err, "%s: a NUL byte: not a text export", name);
	if (ends_with(name, ".csv")) return read_csv(d, name, buf, len, table, err);
	return read_jsonl(d, name, buf, len, table, err);
}

int tl_eth_etl_read_file(struct tl_eth_data *d, const char *path, unsigned table, struct tl_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) return tl_err_set(err, "%s: %s", path, strerror(errno));
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	if (!buf) abort();
	size_t k;
	while ((k = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += k;
		if (cap - len - 1 == 0) {
			cap *= 2;
			char *nb = realloc(buf, cap);
			if (!nb) abort();
			buf = nb;
		}
	}
	int ferr = ferror(f);
	fclose(f);
	if (ferr) {
		free(buf);
		return tl_err_set(err, "%s: read error", path);
	}
	buf[len] = 0;
	int rc = tl_eth_etl_read_buf(d, path, buf, len, table, err);
	free(buf);
	return rc;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Appends every export file under dir to *paths. */
static int collect(const char *dir, char ***paths, size_t *n, size_t *cap, int depth, struct tl_err *err)
{
	if (depth > 16) return tl_err_set(err, "%s: folders nested too deep", dir);
	DIR *dh = opendir(dir);
	if (!dh) return tl_err_set(err, "%s: %s", dir, strerror(errno));
	struct dirent *e;
	int rc = 0;
	while (rc == 0 && (e = readdir(dh))) {
		if (e->d_name[0] == '.') continue;
		size_t pl = strlen(dir) + strlen(e->d_name) + 2;
		char *p = malloc(pl);
		if (!p) abort();
		snprintf(p, pl, "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(p, &st) != 0) {
			free(p);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			rc = collect(p, paths, n, cap, depth + 1, err);
			free(p);
		} else if (S_ISREG(st.st_mode) && tl_eth_etl_table_of(p)) {
			if (*n == *cap) {
				*cap = *cap ? *cap * 2 : 32;
				char **np = realloc(*paths, *cap * sizeof *np);
				if (!np) abort();
				*paths = np;
			}
			(*paths)[(*n)++] = p;
		} else
			free(p);
	}
	closedir(dh);
	return rc;
}

int tl_eth_etl_read_dir(struct tl_eth_data *d, const char *dir, struct tl_err *err)
{
	char **paths = NULL;
	size_t n = 0, cap = 0;
	int rc = collect(dir, &paths, &n, &cap, 0, err);
	if (rc == 0 && n == 0) rc = tl_err_set(err, "%s: no ethereum-etl export files (blocks, transactions, receipts, logs, token_transfers, traces)", dir);
	if (n > 1) qsort(paths, n, sizeof *paths, cmp_str);
	for (size_t i = 0; rc == 0 && i < n; i++) rc = tl_eth_etl_read_file(d, paths[i], tl_eth_etl_table_of(paths[i]), err);
	for (size_t i = 0; i < n; i++) free(paths[i]);
	free(paths);
	if (rc == 0) rc = tl_eth_data_finish(d, err);
	return rc;
}

char *tl_eth_missing_note(unsigned have, char *buf, size_t cap)
{
	buf[0] = 0;
	size_t w = 0;
#define NOTE(cond, text) \
	if ((cond) && w < cap) w += (size_t)snprintf(buf + w, cap - w, "%s%s", w ? "; " : "", text)
	NOTE(!(have & TL_ETH_HAVE_BLOCKS), "no blocks: block hashes, fee recipients, burnt fees and withdrawals are unknown");
	NOTE(!(have & TL_ETH_HAVE_TXS), "no transactions: top-level transfers and fees are unknown");
	NOTE(!(have & TL_ETH_HAVE_RECEIPTS), "no receipts: fees and failed transactions are unknown (values counted as if every transaction succeeded)");
	NOTE(!(have & TL_ETH_HAVE_TRACES), "no traces: internal transfers and block rewards are unknown");
	NOTE(!(have & (TL_ETH_HAVE_LOGS | TL_ETH_HAVE_TOKTX)), "no logs or token_transfers: token transfers are unknown");
	NOTE(!(have & TL_ETH_HAVE_LOGS) && (have & TL_ETH_HAVE_TOKTX),
	     "token_transfers without logs: ERC-721 transfers cannot be told from ERC-20 ones, WETH deposits and withdrawals are unknown");
#undef NOTE
	return buf;
}

/* The block range of a path: "_START_END." at the end of the base name,
 * or "start_block=START" and "end_block=END" folders. Returns 1 if found. */
static int range_of(const char *path, uint64_t *start, uint64_t *end)
{
	const char *sb = strstr(path, "start_block="), *eb = strstr(path, "end_block=");
	if (sb && eb) {
		char *e1, *e2;
		*start = strtoull(sb + 12, &e1, 10);
		*end = strtoull(eb + 10, &e2, 10);
		if (e1 != sb + 12 && e2 != eb + 10) return 1;
	}
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *dot = strrchr(base, '.');
	if (!dot) return 0;
	/* walk back over "_digits_digits" */
	const char *p = dot;
	uint64_t v[2];
	for (int k = 1; k >= 0; k--) {
		const char *q = p;
		while (q > base && q[-1] >= '0' && q[-1] <= '9') q--;
		if (q == p || q == base || q[-1] != '_') return 0;
		v[k] = strtoull(q, NULL, 10);
		p = q - 1;
	}
	*start = v[0];
	*end = v[1];
	return 1;
}

static int cmp_part(const void *a, const void *b)
{
	const struct tl_eth_part *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

int tl_eth_etl_parts(const char *dir, struct tl_eth_parts *out, struct tl_err *err)
{
	memset(out, 0, sizeof *out);
	char **paths = NULL;
	size_t n = 0, cap = 0;
	if (collect(dir, &paths, &n, &cap, 0, err) < 0) goto fail;
	if (n == 0) {
		tl_err_set(err, "%s: no ethereum-etl export files (blocks, transactions, receipts, logs, token_transfers, traces)", dir);
		goto fail;
	}
	qsort(paths, n, sizeof *paths, cmp_str);
	bool ranged = true;
	for (size_t i = 0; i < n && ranged; i++) {
		uint64_t a, b;
		ranged = range_of(paths[i], &a, &b) == 1;
	}
	out->v = calloc(n, sizeof *out->v);
	if (!out->v) abort();
	for (size_t i = 0; i < n; i++) {
		uint64_t a = 0, b = UINT64_MAX;
		if (ranged) (void)range_of(paths[i], &a, &b);
		struct tl_eth_part *p = NULL;
		for (size_t k = 0; k < out->n; k++)
			if (out->v[k].start == a && out->v[k].end == b) p = &out->v[k];
		if (!p) {
			p = &out->v[out->n++];
			p->start = a;
			p->end = b;
			p->paths = calloc(n, sizeof *p->paths);
			if (!p->paths) abort();
		}
		p->paths[p->n++] = paths[i];
	}
	free(paths);
	qsort(out->v, out->n, sizeof *out->v, cmp_part);
	for (size_t k = 1; k < out->n; k++)
		if (out->v[k].start <= out->v[k - 1].end) {
			tl_err_set(err, "%s: block ranges %llu-%llu and %llu-%llu overlap", dir,
				   (unsigned long long)out->v[k - 1].start, (unsigned long long)out->v[k - 1].end,
				   (unsigned long long)out->v[k].start, (unsigned long long)out->v[k].end);
			tl_eth_parts_free(out);
			return -1;
		}
	return 0;
fail:
	for (size_t i = 0; i < n; i++) free(paths[i]);
	free(paths);
	return -1;
}

void tl_eth_parts_free(struct tl_eth_parts *p)
{
	for (size_t k = 0; k < p->n; k++) {
		for (size_t i = 0; i < p->v[k].n; i++) free(p->v[k].paths[i]);
		free(p->v[k].paths);
	}
	free(p->v);
	memset(p, 0, sizeof *p);
}

int tl_eth_etl_read_part(struct tl_eth_data *d, const struct tl_eth_part *part, struct tl_err *err)
{
	for (size_t i = 0; i < part->n; i++)
		if (tl_eth_etl_read_file(d, part->paths[i], tl_eth_etl_table_of(part->paths[i]), err) < 0) return -1;
	return tl_eth_data_finish(d, err);
}
