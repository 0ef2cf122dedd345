/* Both ways in: every ethereum-etl fixture that has the node responses
 * it was exported from is read as an export and as JSON-RPC answers; the
 * two readings must give the same tables and the same transfers. Then
 * the transfers and balances are checked against deliberately naive
 * computations straight from the files (jansson, 128-bit integers,
 * ethereum-etl's own status column) that share no code with the model.
 * Also: node errors and malformed answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "ethereum/address.h"
#include "ethereum/rpc.h"
#include "tests/eth_fix.h"
#include "tests/testutil.h"

/* ---- balances from transfers, and from a naive computation ---- */

struct bal {
	uint8_t asset[20]; /* zero: ether */
	uint8_t acct[20];
	tl_uint256 in, out;
	__int128 naive;
	int n, naive_n;
};
struct bals {
	struct bal v[512];
	int n;
};

static struct bal *bal_get(struct bals *b, const uint8_t *asset, const uint8_t *acct)
{
	static const uint8_t zero[20];
	if (!asset) asset = zero;
	for (int i = 0; i < b->n; i++)
		if (!memcmp(b->v[i].asset, asset, 20) && !memcmp(b->v[i].acct, acct, 20)) return &b->v[i];
	assert_true(b->n < 512);
	struct bal *x = &b->v[b->n++];
	memset(x, 0, sizeof *x);
	memcpy(x->asset, asset, 20);
	memcpy(x->acct, acct, 20);
	return x;
}

static void bal_from_transfers(struct bals *b, const struct tl_eth_transfers *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct tl_eth_transfer *x = &t->v[i];
		const uint8_t *asset = x->is_token ? x->token : NULL;
		tl_uint256 to_amt = x->amount;
		if (x->kind == TL_ETH_FEE) assert_false(tl_uint256_sub(&to_amt, &x->amount, &x->burnt));
		if (x->has_from) {
			struct bal *f = bal_get(b, asset, x->from);
			assert_false(tl_uint256_add(&f->out, &f->out, &x->amount));
			f->n++;
		}
		if (x->has_to && !tl_uint256_is_zero(&to_amt)) {
			struct bal *r = bal_get(b, asset, x->to);
			assert_false(tl_uint256_add(&r->in, &r->in, &to_amt));
			r->n++;
		}
	}
}

static __int128 i128_of(const char *s)
{
	__int128 v = 0;
	if (s[0] == '0' && s[1] == 'x') {
		for (s += 2; *s; s++) v = v * 16 + (*s <= '9' ? *s - '0' : (*s | 0x20) - 'a' + 10);
	} else
		for (; *s; s++) v = v * 10 + (*s - '0');
	return v;
}

static void i128_dec(__int128 v, char *out)
{
	char t[64];
	int n = 0, neg = v < 0;
	unsigned __int128 u = neg ? (unsigned __int128)(-v) : (unsigned __int128)v;
	do {
		t[n++] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u);
	int w = 0;
	if (neg) out[w++] = '-';
	while (n) out[w++] = t[--n];
	out[w] = 0;
}

static void naive_move(struct bals *b, const uint8_t *asset, const char *from, const char *to, __int128 v)
{
	uint8_t a[20];
	if (v == 0) return;
	if (from && *from) {
		assert_int_equal(tl_eth_hex_bytes(from, strlen(from), a, 20), 0);
		struct bal *x = bal_get(b, asset, a);
		x->naive -= v;
		x->naive_n++;
	}
	if (to && *to) {
		assert_int_equal(tl_eth_hex_bytes(to, strlen(to), a, 20), 0);
		struct bal *x = bal_get(b, asset, a);
		x->naive += v;
		x->naive_n++;
	}
}

static void bal_check(const struct bals *b)
{
	assert_true(b->n > 0);
	for (int i = 0; i < b->n; i++) {
		char got[TL_U256_DEC_MAX], want[64], hx[43];
		tl_uint256_diff_dec(&b->v[i].in, &b->v[i].out, got);
		i128_dec(b->v[i].naive, want);
		if (strcmp(got, want) || b->v[i].n != b->v[i].naive_n)
			fail_msg("%s: balance %s (%d transfers), naive %s (%d)", tl_eth_addr_hex(b->v[i].acct, hx), got,
				 b->v[i].n, want, b->v[i].naive_n);
	}
}

/* ---- both ways ---- */

#define BJ ETL_FIX "test_export_blocks_job/"

static void both_ways_blocks(const char *dir, const char *const *responses)
{
	char p1[512], p2[512];
	struct tl_eth_data a = { 0 }, b = { 0 };
	snprintf(p1, sizeof p1, BJ "%s/expected_blocks.csv", dir);
	snprintf(p2, sizeof p2, BJ "%s/expected_transactions.csv", dir);
	ef_etl(&a, p1);
	ef_etl(&a, p2);
	for (; *responses; responses++) {
		snprintf(p1, sizeof p1, BJ "%s/%s", dir, *responses);
		ef_rpc(&b, p1, "block", 0);
	}
	ef_finish(&a);
	ef_finish(&b);
	assert_true(a.n_blocks > 0);
	ef_same_tables(&a, &b);
	tl_eth_data_free(&a);
	tl_eth_data_free(&b);
}

static void test_blocks_both_ways(void **state)
{
	(void)state;
	const char *r1[] = { "web3_response.eth_getBlockByNumber_0x76250_true.json", NULL };
	both_ways_blocks("block_with_logs", r1);
	const char *r2[] = { "web3_response.eth_getBlockByNumber_0xb872_true.json",
			     "web3_response.eth_getBlockByNumber_0xb873_true.json", NULL };
	both_ways_blocks("blocks_with_transactions", r2);
	const char *r3[] = { "web3_response.eth_getBlockByNumber_0x0_true.json", NULL };
	both_ways_blocks("block_without_transactions", r3);
}

#define RJ ETL_FIX "test_export_receipts_job/receipts_with_logs/"

static void test_receipts_both_ways(void **state)
{
	(void)state;
	struct tl_eth_data a = { 0 }, b = { 0 };
	ef_etl(&a, RJ "expected_receipts.csv");
	ef_etl(&a, RJ "expected_logs.csv");
	static const char *h[] = { "0x04cbcb236043d8fb7839e07bbc7f5eed692fb2ca55d897f1101eac3e3ad4fab8",
				   "0x05287a561f218418892ab053adfb3d919860988b19458c570c5c30f51c146f02",
				   "0x463d53f0ad57677a3b430a007c1c31d15d62c37fab5eee598551697c297c235c",
				   "0xcea6f89720cc1d2f46cc7a935463ae0b99dd5fad9c91bb7357de5421511cee49" };
	for (int i = 0; i < 4; i++) {
		char p[512];
		snprintf(p, sizeof p, RJ "web3_response.eth_getTransactionReceipt_%s.json", h[i]);
		ef_rpc(&b, p, "receipts", 0);
	}
	ef_finish(&a);
	ef_finish(&b);
	assert_int_equal(a.n_rcpts, 4);
	assert_int_equal(a.n_logs, 2);
	ef_same_tables(&a, &b);
	/* pre-Byzantium receipts: status unknown, not failed */
	for (size_t i = 0; i < a.n_rcpts; i++) assert_int_equal(a.rcpts[i].status, -1);
	/* the two ERC-20 transfers, against the token_transfers export of
	 * the same logs (ethereum-etl's own extraction) */
	struct tl_eth_transfers ta = { 0 }, tt = { 0 };
	ef_derive(&a, &ta);
	struct tl_eth_data c = { 0 };
	ef_etl(&c, ETL_FIX "test_export_token_transfers_job/block_with_transfers/expected_token_transfers.csv");
	ef_finish(&c);
	ef_derive(&c, &tt);
	assert_int_equal(ta.n, 2);
	assert_int_equal(tt.n, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(ta.v[i].kind, TL_ETH_TOKEN);
		assert_memory_equal(ta.v[i].token, tt.v[i].token, 20);
		assert_memory_equal(ta.v[i].from, tt.v[i].from, 20);
		assert_memory_equal(ta.v[i].to, tt.v[i].to, 20);
		assert_memory_equal(ta.v[i].tx_hash, tt.v[i].tx_hash, 32);
		assert_int_equal(tl_uint256_cmp(&ta.v[i].amount, &tt.v[i].amount), 0);
		assert_int_equal(ta.v[i].seq, tt.v[i].seq);
	}
	tl_eth_transfers_free(&ta);
	tl_eth_transfers_free(&tt);
	tl_eth_data_free(&a);
	tl_eth_data_free(&b);
	tl_eth_data_free(&c);
}

/* ethereum-etl's extract_token_transfers on its logs.csv: the same
 * transfers as the model's reading of those logs. */
static void test_extract_token_transfers(void **state)
{
	(void)state;
	struct tl_eth_data a = { 0 }, c = { 0 };
	ef_etl(&a, ETL_FIX "test_extract_token_transfers_job/logs/logs.csv");
	ef_etl(&c, ETL_FIX "test_extract_token_transfers_job/logs/expected_token_transfers.csv");
	ef_finish(&a);
	ef_finish(&c);
	struct tl_eth_transfers ta = { 0 }, tc = { 0 };
	ef_derive(&a, &ta);
	ef_derive(&c, &tc);
	assert_int_equal(ta.n, tc.n);
	assert_true(ta.n > 0);
	for (size_t i = 0; i < ta.n; i++) {
		assert_int_equal(ta.v[i].kind, TL_ETH_TOKEN);
		assert_memory_equal(ta.v[i].token, tc.v[i].token, 20);
		assert_memory_equal(ta.v[i].from, tc.v[i].from, 20);
		assert_memory_equal(ta.v[i].to, tc.v[i].to, 20);
		assert_int_equal(ta.v[i].seq, tc.v[i].seq);
		assert_int_equal(tl_uint256_cmp(&ta.v[i].amount, &tc.v[i].amount), 0);
	}
	tl_eth_transfers_free(&ta);
	tl_eth_transfers_free(&tc);
	tl_eth_data_free(&a);
	tl_eth_data_free(&c);
}

static void test_token_transfers_both_ways(void **state)
{
	(void)state;
	const char *dir = ETL_FIX "test_export_token_transfers_job/block_with_transfers/";
	char p[512];
	struct tl_eth_data a = { 0 }, b = { 0 };
	snprintf(p, sizeof p, "%sexpected_token_transfers.csv", dir);
	ef_etl(&a, p);
	snprintf(p, sizeof p, "%sweb3_response.eth_getFilterLogs_0x0.json", dir);
	ef_rpc(&b, p, "logs", 0);
	ef_finish(&a);
	ef_finish(&b);
	struct tl_eth_transfers ta = { 0 }, tb = { 0 };
	ef_derive(&a, &ta);
	ef_derive(&b, &tb);
	assert_int_equal(ta.n, tb.n);
	assert_true(ta.n > 0);
	for (size_t i = 0; i < ta.n; i++) {
		assert_memory_equal(ta.v[i].from, tb.v[i].from, 20);
		assert_memory_equal(ta.v[i].to, tb.v[i].to, 20);
		assert_memory_equal(ta.v[i].token, tb.v[i].token, 20);
		assert_memory_equal(ta.v[i].tx_hash, tb.v[i].tx_hash, 32);
		assert_int_equal(tl_uint256_cmp(&ta.v[i].amount, &tb.v[i].amount), 0);
	}
	tl_eth_transfers_free(&ta);
	tl_eth_transfers_free(&tb);
	tl_eth_data_free(&a);
	tl_eth_data_free(&b);
}

/* Naive native transfers from a parity-style traces CSV: ethereum-etl's
 * status column already says whether a trace or any ancestor failed. */
static void naive_traces_csv(struct bals *b, const char *rel)
{
	size_t len;
	char *text = (char *)tu_read_file(tu_shared_path(rel), &len);
	char *save = NULL;
	int line = 0;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (line++ == 0) continue;
		char *f[20];
		int n = 0;
		for (char *p = l;; p++) { /* the fixtures' traces have no quoted fields */
			f[n++] = p;
			p = strchr(p, ',');
			if (!p || n == 18) break;
			*p = 0;
		}
		assert_int_equal(n, 18);
		const char *from = f[3], *to = f[4], *value = f[5], *type = f[8], *ctype = f[9], *status = f[16];
		if (strcmp(status, "1") || !*value) continue;
		if (!strcmp(type, "call") && strcmp(ctype, "call")) continue;
		naive_move(b, NULL, from, to, i128_of(value));
	}
	free(text);
}

static void traces_both_ways(const char *job, const char *dir, const char *response, const char *method, uint64_t block,
			     bool naive)
{
	char p[512];
	struct tl_eth_data a = { 0 }, b = { 0 };
	snprintf(p, sizeof p, ETL_FIX "%s/%s/expected_traces.csv", job, dir);
	ef_etl(&a, p);
	char rp[512];
	snprintf(rp, sizeof rp, ETL_FIX "%s/%s/%s", job, dir, response);
	ef_rpc(&b, rp, method, block);
	ef_finish(&a);
	ef_finish(&b);
	ef_same_tables(&a, &b);
	struct tl_eth_transfers ta = { 0 }, tb = { 0 };
	ef_derive(&a, &ta);
	ef_derive(&b, &tb);
	ef_same_transfers(&ta, &tb);
	if (naive && a.n_traces) {
		struct bals *bl = calloc(1, sizeof *bl);
		bal_from_transfers(bl, &ta);
		naive_traces_csv(bl, p);
		bal_check(bl);
		free(bl);
	}
	tl_eth_transfers_free(&ta);
	tl_eth_transfers_free(&tb);
	tl_eth_data_free(&a);
	tl_eth_data_free(&b);
}

static void test_parity_traces_both_ways(void **state)
{
	(void)state;
	traces_both_ways("test_export_traces_job", "block_with_create", "web3_response.trace_block_0xf44f2.json", "trace_block", 0, true);
	traces_both_ways("test_export_traces_job", "block_with_error", "web3_response.trace_block_0xf45bf.json", "trace_block", 0, true);
	traces_both_ways("test_export_traces_job", "block_with_subtraces", "web3_response.trace_block_0xf4240.json", "trace_block", 0, true);
	traces_both_ways("test_export_traces_job", "block_with_suicide", "web3_response.trace_block_0xf7105.json", "trace_block", 0, true);
	traces_both_ways("test_export_traces_job", "block_without_transactions", "web3_response.trace_block_0x0.json", "trace_block", 0, true);
}

static void test_geth_traces_both_ways(void **state)
{
	(void)state;
	const char *J = "test_extract_geth_traces_job";
	traces_both_ways(J, "block_with_create", "web3_response.debug_traceBlockByNumber_0xf44f2_tracer_calltracer.json", "call_tracer", 0xf44f2, false);
	traces_both_ways(J, "block_with_error", "web3_response.debug_traceBlockByNumber_0xf45bf_tracer_calltracer.json", "call_tracer", 0xf45bf, false);
	traces_both_ways(J, "block_with_subtraces", "web3_response.debug_traceBlockByNumber_0xf4240_tracer_calltracer.json", "call_tracer", 0xf4240, false);
	traces_both_ways(J, "block_with_suicide", "web3_response.debug_traceBlockByNumber_0xf7105_tracer_calltracer.json", "call_tracer", 0xf7105, false);
	traces_both_ways(J, "block_without_transactions", "web3_response.debug_traceBlockByNumber_0x1_tracer_calltracer.json", "call_tracer", 1, false);
}

/* The same blocks traced parity-style and geth-style move the same
 * ether between accounts (geth has no reward traces, and its
 * selfdestruct frames carry no value in these responses). */
static void test_parity_and_geth_agree(void **state)
{
	(void)state;
	static const struct {
		const char *dir, *parity, *geth;
		uint64_t n;
	} C[] = {
		{ "block_with_create", "trace_block_0xf44f2", "debug_traceBlockByNumber_0xf44f2_tracer_calltracer", 0xf44f2 },
		{ "block_with_error", "trace_block_0xf45bf", "debug_traceBlockByNumber_0xf45bf_tracer_calltracer", 0xf45bf },
		{ "block_with_subtraces", "trace_block_0xf4240", "debug_traceBlockByNumber_0xf4240_tracer_calltracer", 0xf4240 },
	};
	for (size_t i = 0; i < 3; i++) {
		char p[512];
		struct tl_eth_data a = { 0 }, b = { 0 };
		snprintf(p, sizeof p, ETL_FIX "test_export_traces_job/%s/web3_response.%s.json", C[i].dir, C[i].parity);
		ef_rpc(&a, p, "trace_block", 0);
		snprintf(p, sizeof p, ETL_FIX "test_extract_geth_traces_job/%s/web3_response.%s.json", C[i].dir, C[i].geth);
		ef_rpc(&b, p, "call_tracer", C[i].n);
		ef_finish(&a);
		ef_finish(&b);
		struct tl_eth_transfers ta = { 0 }, tb = { 0 };
		ef_derive(&a, &ta);
		ef_derive(&b, &tb);
		size_t na = 0;
		for (size_t k = 0; k < ta.n; k++)
			if (ta.v[k].kind != TL_ETH_REWARD) {
				assert_true(na < tb.n);
				const struct tl_eth_transfer *x = &ta.v[k], *y = &tb.v[na++];
				assert_int_equal(x->kind, y->kind);
				assert_int_equal(x->tx_index, y->tx_index);
				assert_memory_equal(x->from, y->from, 20);
				assert_memory_equal(x->to, y->to, 20);
				assert_int_equal(tl_uint256_cmp(&x->amount, &y->amount), 0);
			}
		assert_int_equal(na, tb.n);
		tl_eth_transfers_free(&ta);
		tl_eth_transfers_free(&tb);
		tl_eth_data_free(&a);
		tl_eth_data_free(&b);
	}
}

#define SJ ETL_FIX "test_stream/"

/* Naive fees, values and token transfers straight from the node's
 * answers of the stream fixture. */
static void naive_stream(struct bals *b)
{
	static const char *blocks[] = { SJ "blocks_1755634_1755635/web3_response.eth_getBlockByNumber_0x1ac9f2_true.json",
					SJ "blocks_1755634_1755635/web3_response.eth_getBlockByNumber_0x1ac9f3_true.json" };
	static const char *rcpts[] = {
		SJ "blocks_1755634_1755635/web3_response.eth_getTransactionReceipt_0x2e3dcd051a91d3a694f6b8de2ac4b5fe7acdba55f58bcf8471ff00d4a430074d.json",
		SJ "blocks_1755634_1755635/web3_response.eth_getTransactionReceipt_0x9a5437ec71b74ecf5930b406908ac6999966d38a86d1534b7190ece7599095eb.json"
	};
	json_t *r[2];
	for (int i = 0; i < 2; i++) {
		json_error_t je;
		r[i] = json_load_file(tu_shared_path(rcpts[i]), 0, &je);
		assert_non_null(r[i]);
	}
	for (int i = 0; i < 2; i++) {
		json_error_t je;
		json_t *blk = json_load_file(tu_shared_path(blocks[i]), 0, &je);
		assert_non_null(blk);
		json_t *res = json_object_get(blk, "result");
		const char *miner = json_string_value(json_object_get(res, "miner"));
		size_t k;
		json_t *tx;
		json_array_foreach(json_object_get(res, "transactions"), k, tx)
		{
			const char *hash = json_string_value(json_object_get(tx, "hash"));
			json_t *rc = NULL;
			for (int j = 0; j < 2; j++) {
				json_t *rr = json_object_get(r[j], "result");
				if (!strcmp(json_string_value(json_object_get(rr, "transactionHash")), hash)) rc = rr;
			}
			assert_non_null(rc);
			const char *from = json_string_value(json_object_get(tx, "from"));
			__int128 fee = i128_of(json_string_value(json_object_get(rc, "gasUsed"))) *
				       i128_of(json_string_value(json_object_get(tx, "gasPrice")));
			naive_move(b, NULL, from, miner, fee);
			const char *st = json_string_value(json_object_get(rc, "status"));
			if (st && !strcmp(st, "0x0")) continue;
			naive_move(b, NULL, from, json_string_value(json_object_get(tx, "to")),
				   i128_of(json_string_value(json_object_get(tx, "value"))));
			size_t m;
			json_t *lg;
			json_array_foreach(json_object_get(rc, "logs"), m, lg)
			{
				json_t *tp = json_object_get(lg, "topics");
				if (json_array_size(tp) != 3 ||
				    strcmp(json_string_value(json_array_get(tp, 0)),
					   "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"))
					continue;
				uint8_t tok[20];
				const char *ta = json_string_value(json_object_get(lg, "address"));
				assert_int_equal(tl_eth_hex_bytes(ta, strlen(ta), tok, 20), 0);
				char f[43] = "0x", t[43] = "0x";
				strcpy(f + 2, json_string_value(json_array_get(tp, 1)) + 26);
				strcpy(t + 2, json_string_value(json_array_get(tp, 2)) + 26);
				naive_move(b, tok, f, t, i128_of(json_string_value(json_object_get(lg, "data"))));
			}
		}
		json_decref(blk);
	}
	json_decref(r[0]);
	json_decref(r[1]);
}

static void test_stream_both_ways(void **state)
{
	(void)state;
	struct tl_eth_data a = { 0 }, b = { 0 };
	ef_etl(&a, SJ "blocks_1755634_1755635/expected_blocks.json");
	ef_etl(&a, SJ "blocks_1755634_1755635/expected_transactions.json");
	ef_etl(&a, SJ "blocks_1755634_1755635/expected_logs.json");
	ef_rpc(&b, SJ "blocks_1755634_1755635/web3_response.eth_getBlockByNumber_0x1ac9f2_true.json", "block", 0);
	ef_rpc(&b, SJ "blocks_1755634_1755635/web3_response.eth_getBlockByNumber_0x1ac9f3_true.json", "block", 0);
	ef_rpc(&b, SJ "blocks_1755634_1755635/web3_response.eth_getTransactionReceipt_0x2e3dcd051a91d3a694f6b8de2ac4b5fe7acdba55f58bcf8471ff00d4a430074d.json", "receipts", 0);
	ef_rpc(&b, SJ "blocks_1755634_1755635/web3_response.eth_getTransactionReceipt_0x9a5437ec71b74ecf5930b406908ac6999966d38a86d1534b7190ece7599095eb.json", "receipts", 0);
	ef_finish(&a);
	ef_finish(&b);
	ef_same_tables(&a, &b);
	struct tl_eth_transfers ta = { 0 }, tb = { 0 };
	ef_derive(&a, &ta);
	ef_derive(&b, &tb);
	ef_same_transfers(&ta, &tb);
	/* fee, value, token: three transfers in tx 0 order, then tx 1's fee and value */
	assert_true(ta.n >= 4);
	assert_int_equal(ta.v[0].kind, TL_ETH_FEE);
	struct bals *bl = calloc(1, sizeof *bl);
	bal_from_transfers(bl, &ta);
	naive_stream(bl);
	bal_check(bl);
	free(bl);
	tl_eth_transfers_free(&ta);
	tl_eth_transfers_free(&tb);
	tl_eth_data_free(&a);
	tl_eth_data_free(&b);
}

static void test_stream_traces_both_ways(void **state)
{
	(void)state;
	static const char *C[][2] = {
		{ SJ "blocks_2112234_2112234/expected_traces.json", SJ "blocks_2112234_2112234/web3_response.trace_block_0x203aea.json" },
		{ SJ "blocks_508110_508110/expected_traces.json", SJ "blocks_508110_508110/web3_response.trace_block_0x7c0ce.json" },
	};
	for (int i = 0; i < 2; i++) {
		struct tl_eth_data a = { 0 }, b = { 0 };
		ef_etl(&a, C[i][0]);
		ef_rpc(&b, C[i][1], "trace_block", 0);
		ef_finish(&a);
		ef_finish(&b);
		assert_true(a.n_traces > 0);
		ef_same_tables(&a, &b);
		struct tl_eth_transfers ta = { 0 }, tb = { 0 };
		ef_derive(&a, &ta);
		ef_derive(&b, &tb);
		ef_same_transfers(&ta, &tb);
		tl_eth_transfers_free(&ta);
		tl_eth_transfers_free(&tb);
		tl_eth_data_free(&a);
		tl_eth_data_free(&b);
	}
}

/* Withdrawals: Gwei in the export, wei in the transfers, per address. */
static void test_withdrawals(void **state)
{
	(void)state;
	struct tl_eth_data a = { 0 };
	ef_etl(&a, BJ "blocks_with_transactions_and_withdrawals/expected_blocks.json");
	ef_finish(&a);
	struct tl_eth_transfers ta = { 0 };
	ef_derive(&a, &ta);
	struct bals *bl = calloc(1, sizeof *bl);
	bal_from_transfers(bl, &ta);
	/* naive: the JSON file's withdrawals, amount x 10^9 */
	size_t len;
	char *text = (char *)tu_read_file(tu_shared_path(BJ "blocks_with_transactions_and_withdrawals/expected_blocks.json"), &len);
	char *save = NULL;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		json_error_t je;
		json_t *o = json_loads(l, JSON_DECODE_INT_AS_REAL, &je);
		assert_non_null(o);
		size_t i;
		json_t *w;
		json_array_foreach(json_object_get(o, "withdrawals"), i, w)
		{
			/* Gwei amounts are far below 2^53: exact as doubles */
			json_int_t amt = (json_int_t)json_number_value(json_object_get(w, "amount"));
			assert_true(amt > 0);
			naive_move(bl, NULL, NULL, json_string_value(json_object_get(w, "address")), (__int128)amt * 1000000000);
		}
		json_decref(o);
	}
	free(text);
	bal_check(bl);
	free(bl);
	tl_eth_transfers_free(&ta);
	tl_eth_data_free(&a);
}

static void test_node_errors(void **state)
{
	(void)state;
	struct tl_err err;
	const char *e1 = "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32601,\"message\":\"the method trace_block does not exist\"}}";
	assert_null(tl_eth_rpc_result(e1, strlen(e1), -1, &err));
	assert_non_null(strstr(err.msg, "-32601"));
	assert_non_null(strstr(err.msg, "trace_block does not exist"));
	const char *e2 = "<html>502 Bad Gateway</html>";
	assert_null(tl_eth_rpc_result(e2, strlen(e2), -1, &err));
	assert_non_null(strstr(err.msg, "not JSON"));
	const char *e3 = "[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":null}]";
	assert_null(tl_eth_rpc_result(e3, strlen(e3), 2, &err));
	json_t *r = tl_eth_rpc_result(e3, strlen(e3), 1, &err);
	assert_non_null(r);
	/* a block the node does not have yet is null */
	struct tl_eth_data d = { 0 };
	assert_int_equal(tl_eth_rpc_block(&d, r, &err), -1);
	json_decref(r);
	const char *e4 = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"number\":\"0x1\",\"hash\":\"0x12\"}}";
	r = tl_eth_rpc_result(e4, strlen(e4), -1, &err);
	assert_int_equal(tl_eth_rpc_block(&d, r, &err), -1);
	assert_non_null(strstr(err.msg, "hash"));
	json_decref(r);
	tl_eth_data_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocks_both_ways),         cmocka_unit_test(test_receipts_both_ways),
		cmocka_unit_test(test_token_transfers_both_ways), cmocka_unit_test(test_parity_traces_both_ways),
		cmocka_unit_test(test_geth_traces_both_ways),    cmocka_unit_test(test_parity_and_geth_agree),
		cmocka_unit_test(test_stream_both_ways),         cmocka_unit_test(test_stream_traces_both_ways),
		cmocka_unit_test(test_withdrawals),              cmocka_unit_test(test_node_errors),
		cmocka_unit_test(test_extract_token_transfers),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
