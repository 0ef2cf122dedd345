/* Store tests: value encodings round-trip (checked field by field against
 * the structs written), history paging against a plain list, txid prefix
 * collisions resolved by the full txid, the digest independent of write
 * order and batching, network and schema checks, the writer lock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "store/store.h"
#include "tests/testutil.h"

static struct tl_store *open_db(const char *path, enum tl_net net)
{
	struct tl_store *s;
	struct tl_err err;
	struct tl_store_opts o = { .create = true, .net = tl_net_params(net) };
	if (tl_store_open(path, &o, &s, &err) < 0) fail_msg("%s", err.msg);
	return s;
}

static void test_varint(void **state)
{
	(void)state;
	uint64_t vals[] = { 0, 1, 127, 128, 16383, 16384, 1ull << 32, UINT64_MAX };
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		struct tl_buf b;
		tl_buf_init(&b);
		tl_buf_varint(&b, vals[i]);
		size_t pos = 0;
		uint64_t v;
		assert_int_equal(tl_get_varint(b.data, b.len, &pos, &v), 0);
		assert_int_equal(v, vals[i]);
		assert_int_equal(pos, b.len);
		/* truncation is an error */
		pos = 0;
		assert_int_equal(tl_get_varint(b.data, b.len - 1, &pos, &v), -1);
		tl_buf_free(&b);
	}
	uint8_t overlong[11];
	memset(overlong, 0xff, sizeof overlong);
	size_t pos = 0;
	uint64_t v;
	assert_int_equal(tl_get_varint(overlong, sizeof overlong, &pos, &v), -1);
}

static void test_records(void **state)
{
	(void)state;
	char *dir = tu_tmpdir("store-rec");
	struct tl_store *s = open_db(dir, TL_NET_REGTEST);
	struct tl_batch *b = tl_batch_new(s);
	struct tl_in_rec ins[3] = {
		{ .kind = TL_IN_KNOWN, .script_type = 2, .prev_tx_num = 5, .prev_vout = 7, .value = 1234567, .addr_id = 9 },
		{ .kind = TL_IN_UNKNOWN },
		{ .kind = TL_IN_KNOWN, .script_type = 6, .prev_tx_num = 0, .prev_vout = 70000, .value = 0, .addr_id = 1 },
	};
	struct tl_out_rec outs[2] = { { 5000000000ull, 3, 2 }, { 0, 0, 5 } };
	struct tl_tx_rec r = { .tx_num = 42, .height = 17, .offset = 81, .size = 250, .flags = 2,
			       .fee = 0, .n_in = 3, .n_out = 2, .in = ins, .out = outs };
	for (int i = 0; i < 32; i++) r.txid[i] = (uint8_t)i;
	tl_batch_put_tx(b, &r);
	/* A second tx whose txid shares the 8-byte prefix but differs after. */
	struct tl_tx_rec r2 = r;
	r2.tx_num = 43;
	r2.txid[31] ^= 1;
	r2.in[0].prev_tx_num = 42; /* the previous transaction */
	tl_batch_put_tx(b, &r2);
	r2.in[0].prev_tx_num = 5; /* the array is shared with r */
	struct tl_block_rec br = { .height = 3, .version = 0x20000000, .time = 1700000000, .bits = 0x207fffff,
				   .nonce = 99, .median_time = 1699999000, .file = 2, .offset = 12345, .size = 999,
				   .weight = 3996, .n_tx = 4, .first_tx_num = 40 };
	memset(br.hash, 0xab, 32);
	memset(br.prev, 0xcd, 32);
	memset(br.merkle, 0xef, 32);
	tl_batch_put_block(b, &br);
	struct tl_tip tip = { .height = 3, .next_tx_num = 44, .next_addr_id = 10, .unknown_inputs = 1, .undo_keep = 5 };
	tl_batch_put_tip(b, &tip);
	assert_int_equal(tl_store_write(s, b, NULL), 0);

	struct tl_tx_rec g;
	assert_int_equal(tl_store_tx(s, 42, &g, NULL), 1);
	assert_memory_equal(g.txid, r.txid, 32);
	assert_int_equal(g.height, 17);
	assert_int_equal(g.offset, 81);
	assert_int_equal(g.size, 250);
	assert_int_equal(g.flags, 2);
	assert_int_equal(g.fee, 0); /* an input is not indexed */
	assert_int_equal(g.n_in, 3);
	assert_int_equal(g.n_out, 2);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(g.in[i].kind, ins[i].kind);
		assert_int_equal(g.in[i].prev_tx_num, ins[i].prev_tx_num);
		assert_int_equal(g.in[i].prev_vout, ins[i].prev_vout);
		assert_int_equal(g.in[i].value, ins[i].value);
		assert_int_equal(g.in[i].addr_id, ins[i].addr_id);
		assert_int_equal(g.in[i].script_type, 0); /* not stored */
	}
	assert_int_equal(g.out[0].value, 5000000000ull);
	assert_int_equal(g.out[1].script_type, 5);
	tl_tx_rec_free(&g);
	assert_int_equal(tl_store_tx(s, 43, &g, NULL), 1);
	assert_int_equal(g.size, 250);
	assert_int_equal(g.in[0].prev_tx_num, 42);
	assert_int_equal(g.in[2].prev_tx_num, 0);
	assert_int_equal(g.in[2].prev_vout, 70000);
	tl_tx_rec_free(&g);
	uint64_t nums[4];
	assert_int_equal(tl_store_txid_nums(s, r.txid, nums, 4, NULL), 1);
	assert_int_equal(nums[0], 42);
	assert_int_equal(tl_store_txid_nums(s, r2.txid, nums, 4, NULL), 1);
	assert_int_equal(nums[0], 43);
	/* More copies of one txid than a lookup reads at first: the newest
	 * still wins (only BIP30's pairs exist on mainnet). */
	tl_batch_clear(b);
	struct tl_tx_rec dup = r;
	for (uint64_t t = 60; t < 72; t++) {
		dup.tx_num = t;
		tl_batch_put_tx(b, &dup);
	}
	assert_int_equal(tl_store_write(s, b, NULL), 0);
	uint64_t many[16];
	assert_int_equal(tl_store_txid_nums(s, r.txid, many, 16, NULL), 13);
	assert_int_equal(many[0], 42);
	assert_int_equal(many[12], 71);
	assert_int_equal(tl_store_txid_nums(s, r.txid, many, 4, NULL), 13); /* capped: the newest 4 */
	assert_int_equal(many[0], 68);
	assert_int_equal(many[3], 71);
	assert_int_equal(tl_store_tx_by_txid(s, r.txid, &g, NULL), 1);
	assert_int_equal(g.tx_num, 71);
	tl_tx_rec_free(&g);

	struct tl_block_rec gb;
	assert_int_equal(tl_store_block_by_hash(s, br.hash, &gb, NULL), 1);
	assert_int_equal(gb.height, 3);
	assert_int_equal(gb.version, 0x20000000);
	assert_int_equal(gb.median_time, 1699999000);
	assert_int_equal(gb.file, 2);
	assert_int_equal(gb.offset, 12345);
	assert_int_equal(gb.first_tx_num, 40);
	assert_memory_equal(gb.prev, br.prev, 32);
	struct tl_tip gt;
	assert_int_equal(tl_store_tip(s, &gt, NULL), 0);
	assert_int_equal(gt.height, 3);
	assert_int_equal(gt.next_tx_num, 44);
	assert_int_equal(gt.unknown_inputs, 1);
	assert_int_equal(gt.undo_keep, 5);

	/* A corrupt value is an error, not a crash. */
	uint8_t k[8];
	tl_put_be64(k, 50);
	tl_batch_clear(b);
	tl_batch_put(b, TL_CF_TX, k, 8, "\x01\x02", 2);
	assert_int_equal(tl_store_write(s, b, NULL), 0);
	struct tl_err err;
	assert_int_equal(tl_store_tx(s, 50, &g, &err), -1);
	tl_batch_free(b);
	tl_store_close(s);
	tu_rmrf(dir);
	free(dir);
}

/* The compact value forms (hist counts packed into one byte, the
 * addr_info balance, the spender as a distance, the tx flags beside the
 * input count, the fee not stored) give back every field, edge cases
 * included. */
static void test_compact_forms(void **state)
{
	(void)state;
	char *dir = tu_tmpdir("store-compact");
	struct tl_store *s = open_db(dir, TL_NET_REGTEST);
	struct tl_batch *b = tl_batch_new(s);
	struct tl_hist_row h[] = {
		{ .tx_num = 1, .n_received = 1 },
		{ .tx_num = 2, .n_sent = 7 },
		{ .tx_num = 3, .n_received = 7, .n_sent = 7 },            /* the largest packed */
		{ .tx_num = 4, .n_received = 8, .n_sent = 1 },            /* count too big to pack */
		{ .tx_num = 5, .n_received = 1, .n_sent = 8 },
		{ .tx_num = 6, .n_received = UINT32_MAX, .n_sent = 1 },
		{ .tx_num = 7 },
	};
	int nh = (int)(sizeof h / sizeof h[0]);
	for (int i = 0; i < nh; i++) tl_batch_put_hist(b, 5, &h[i]);
	struct tl_addr_info a = { .addr_id = 9, .funded_count = 4, .funded_sum = 1000, .spent_count = 4,
				  .spent_sum = 1000, .tx_count = 6 };
	tl_batch_put_addr_info(b, &a);
	struct tl_addr_info a2 = a;
	a2.addr_id = 10;
	a2.spent_sum = 1;
	a2.funded_sum = UINT64_MAX;
	tl_batch_put_addr_info(b, &a2);
	tl_batch_put_spend(b, 100, 2, 101, 0);
	tl_batch_put_spend(b, 0, 0, UINT64_MAX, 70000);
	/* flags beside the input count; the fee computed back from values */
	struct tl_in_rec fin[2] = { { .kind = TL_IN_KNOWN, .prev_tx_num = 1, .value = 1000, .addr_id = 3 },
				    { .kind = TL_IN_KNOWN, .prev_tx_num = 2, .value = UINT64_MAX / 4, .addr_id = 4 } };
	struct tl_out_rec fout[2] = { { 700, 5, 2 }, { UINT64_MAX / 4 - 100, 6, 2 } };
	uint32_t sizes[] = { 200, UINT32_MAX, 100, 100 }, flags[] = { 0, TL_TX_COINBASE, TL_TX_FEE_UNKNOWN, 0 };
	uint32_t nins[] = { 2, 1, 2, 0 };
	uint64_t fees[] = { 400, 0, 0, 0 };
	for (int i = 0; i < 4; i++) {
		struct tl_tx_rec r = { .tx_num = 200 + (uint64_t)i, .size = sizes[i], .flags = flags[i],
				       .n_in = nins[i], .n_out = 2, .in = fin, .out = fout };
		r.txid[0] = (uint8_t)i;
		tl_batch_put_tx(b, &r);
	}
	assert_int_equal(tl_store_write(s, b, NULL), 0);

	struct tl_hist_row rows[16];
	assert_int_equal(tl_store_hist_page(s, 5, UINT64_MAX, rows, 16, NULL), nh);
	for (int i = 0; i < nh; i++) {
		const struct tl_hist_row *w = &h[nh - 1 - i];
		assert_int_equal(rows[i].tx_num, w->tx_num);
		assert_int_equal(rows[i].n_received, w->n_received);
		assert_int_equal(rows[i].n_sent, w->n_sent);
	}
	struct tl_addr_info g;
	const struct tl_addr_info *want[2] = { &a, &a2 };
	for (int i = 0; i < 2; i++) {
		assert_int_equal(tl_store_addr_info(s, want[i]->addr_id, &g, NULL), 1);
		assert_int_equal(g.funded_sum, want[i]->funded_sum);
		assert_int_equal(g.spent_sum, want[i]->spent_sum);
		assert_int_equal(g.spent_count, want[i]->spent_count);
		assert_int_equal(g.tx_count, want[i]->tx_count);
	}
	uint64_t sp;
	uint32_t vin;
	/* first transaction: the oldest history row */
	assert_int_equal(tl_store_addr_first_tx(s, 5, &sp, NULL), 1);
	assert_int_equal(sp, 1);
	assert_int_equal(tl_store_addr_first_tx(s, 4, &sp, NULL), 0);
	assert_int_equal(tl_store_addr_first_tx(s, 6, &sp, NULL), 0);
	assert_int_equal(tl_store_spender(s, 100, 2, &sp, &vin, NULL), 1);
	assert_int_equal(sp, 101);
	assert_int_equal(vin, 0);
	assert_int_equal(tl_store_spender(s, 0, 0, &sp, &vin, NULL), 1);
	assert_int_equal(sp, UINT64_MAX);
	assert_int_equal(vin, 70000);
	assert_int_equal(tl_store_spender(s, 100, 3, &sp, &vin, NULL), 0);
	for (int i = 0; i < 4; i++) {
		struct tl_tx_rec r;
		assert_int_equal(tl_store_tx(s, 200 + (uint64_t)i, &r, NULL), 1);
		assert_int_equal(r.size, sizes[i]);
		assert_int_equal(r.flags, flags[i]);
		assert_int_equal(r.n_in, nins[i]);
		assert_int_equal(r.fee, fees[i]);
		tl_tx_rec_free(&r);
	}
	/* an input pointing at or after its own transaction is corrupt */
	struct tl_buf v;
	tl_buf_init(&v);
	uint8_t txid[32] = { 0 };
	tl_buf_put(&v, txid, 32);
	/* height, offset, size, n_in << 2 | flags, input (vout + 2, back, value, addr_id), n_out */
	const uint64_t fields[] = { 0, 0, 10, 1 << 2, 2, 0 /* back 0 */, 5, 1, 0 };
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) tl_buf_varint(&v, fields[i]);
	struct tl_tx_rec r;
	struct tl_err err;
	assert_int_equal(tl_tx_rec_decode(9, v.data, v.len, &r, &err), -1);
	v.len = 32;
	const uint64_t fields2[] = { 0, 0, 10, 1 << 2, 2, 9 /* tx 0 */, 5, 1, 0 };
	for (size_t i = 0; i < sizeof fields2 / sizeof fields2[0]; i++) tl_buf_varint(&v, fields2[i]);
	assert_int_equal(tl_tx_rec_decode(9, v.data, v.len, &r, &err), 0);
	assert_int_equal(r.in[0].prev_tx_num, 0);
	assert_int_equal(r.fee, 5);
	tl_tx_rec_free(&r);
	assert_int_equal(tl_tx_rec_decode(8, v.data, v.len, &r, &err), -1);
	tl_buf_free(&v);
	tl_batch_free(b);
	tl_store_close(s);
	tu_rmrf(dir);
	free(dir);
}

static void test_hist_paging(void **state)
{
	(void)state;
	char *dir = tu_tmpdir("store-hist");
	struct tl_store *s = open_db(dir, TL_NET_REGTEST);
	struct tl_batch *b = tl_batch_new(s);
	/* addr 7 appears in tx 3, 6, 9, ... 297; neighbours 6 and 8 too. */
	for (uint64_t t = 3; t < 300; t += 3) {
		struct tl_hist_row h = { .tx_num = t, .n_received = (uint32_t)(t % 7), .n_sent = 1 };
		tl_batch_put_hist(b, 7, &h);
		tl_batch_put_hist(b, 6, &h);
		tl_batch_put_hist(b, 8, &h);
	}
	assert_int_equal(tl_store_write(s, b, NULL), 0);
	struct tl_hist_row rows[10];
	uint64_t cursor = UINT64_MAX, expect = 297;
	int pages = 0, n;
	do {
		n = tl_store_hist_page(s, 7, cursor, rows, 10, NULL);
		assert_true(n >= 0);
		for (int i = 0; i < n; i++) {
			assert_int_equal(rows[i].tx_num, expect);
			assert_int_equal(rows[i].n_received, expect % 7);
			expect -= 3;
		}
		if (n) cursor = rows[n - 1].tx_num;
		pages++;
	} while (n == 10);
	assert_int_equal(expect, 0);
	assert_int_equal(pages, 10);
	assert_int_equal(tl_store_hist_page(s, 9, UINT64_MAX, rows, 10, NULL), 0);
	tl_batch_free(b);
	tl_store_close(s);
	tu_rmrf(dir);
	free(dir);
}

static void test_digest_and_open(void **state)
{
	(void)state;
	char *d1 = tu_tmpdir("store-d1"), *d2 = tu_tmpdir("store-d2");
	struct tl_store *a = open_db(d1, TL_NET_REGTEST), *c = open_db(d2, TL_NET_REGTEST);
	/* Same content, different order and batching: same digest. */
	struct tl_batch *ba = tl_batch_new(a);
	for (uint32_t i = 0; i < 500; i++) {
		struct tl_utxo u = { i, i % 3, i * 7, i % 11, 2 };
		tl_batch_put_utxo(ba, &u);
	}
	assert_int_equal(tl_store_write(a, ba, NULL), 0);
	struct tl_batch *bc = tl_batch_new(c);
	for (uint32_t i = 500; i-- > 0;) {
		struct tl_utxo u = { i, i % 3, i * 7, i % 11, 2 };
		tl_batch_put_utxo(bc, &u);
		if (i % 50 == 0) {
			assert_int_equal(tl_store_write(c, bc, NULL), 0);
			tl_batch_clear(bc);
		}
	}
	uint8_t h1[32], h2[32];
	assert_int_equal(tl_store_digest(a, h1, NULL, NULL), 0);
	assert_int_equal(tl_store_digest(c, h2, NULL, NULL), 0);
	assert_memory_equal(h1, h2, 32);
	/* One change shows. */
	tl_batch_clear(bc);
	tl_batch_del_utxo(bc, 10 % 11, 10, 1);
	assert_int_equal(tl_store_write(c, bc, NULL), 0);
	assert_int_equal(tl_store_digest(c, h2, NULL, NULL), 0);
	assert_memory_not_equal(h1, h2, 32);
	/* Families for other modules take puts and gets. */
	uint8_t tk[16];
	tl_taint_key(1, 2, 3, tk);
	tl_batch_clear(bc);
	tl_batch_put_kv(bc, TL_CF_TAINT, tk, 16, "x", 1);
	assert_int_equal(tl_store_write(c, bc, NULL), 0);
	uint8_t *v;
	size_t vl;
	assert_int_equal(tl_store_get_kv(c, TL_CF_TAINT, tk, 16, &v, &vl, NULL), 1);
	assert_int_equal(vl, 1);
	free(v);
	tl_batch_free(ba);
	tl_batch_free(bc);
	/* A second writer is refused clearly. */
	struct tl_store *x;
	struct tl_err err;
	struct tl_store_opts o = { .create = true, .net = tl_net_params(TL_NET_REGTEST) };
	assert_int_equal(tl_store_open(d1, &o, &x, &err), -1);
	assert_non_null(strstr(err.msg, "in use by another process"));
	tl_store_close(a);
	tl_store_close(c);
	/* Wrong network. */
	o.net = tl_net_params(TL_NET_MAIN);
	assert_int_equal(tl_store_open(d1, &o, &x, &err), -1);
	assert_non_null(strstr(err.msg, "network regtest, not main"));
	/* Not a database. */
	char *d3 = tu_tmpdir("store-d3");
	struct tl_store_opts ro = { .read_only = true };
	assert_int_equal(tl_store_open(d3, &ro, &x, &err), -1);
	tu_rmrf(d1);
	tu_rmrf(d2);
	tu_rmrf(d3);
	free(d1);
	free(d2);
	free(d3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_varint),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_compact_forms),
		cmocka_unit_test(test_hist_paging),
		cmocka_unit_test(test_digest_and_open),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
