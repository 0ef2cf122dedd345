/* chain/ on embedded facts and hostile input: the genesis block, CompactSize
 * rules, segwit txid against a second computation, merkle mutation, compact
 * targets and chain work, and blocks directories with garbage, truncation,
 * zero padding and xor obfuscation. Needs no reference data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitcoin/blkfile.h"
#include "bitcoin/block.h"
#include "base/bytes.h"
#include "bitcoin/hash.h"
#include "bitcoin/script.h"
#include "tests/testutil.h"

/* Mainnet genesis block, 285 bytes (public chain data). */
static const char *genesis_hex =
	"0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e6776"
	"8f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c0101000000010000000000000000000000000000"
	"000000000000000000000000000000000000ffffffff4d04ffff001d0104455468652054696d65732030332f4a616e2f3230"
	"3039204368616e63656c6c6f72206f6e206272696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73"
	"ffffffff0100f2052a01000000434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6"
	"bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000"	;

static uint8_t genesis[285];

static void load_genesis(void)
{
	assert_int_equal(tl_hex_decode(genesis_hex, strlen(genesis_hex), genesis, sizeof genesis), 0);
}

static void test_genesis(void **state)
{
	(void)state;
	load_genesis();
	struct tl_block b;
	struct tl_err err;
	tl_block_init(&b);
	assert_int_equal(tl_block_parse(&b, genesis, sizeof genesis, &err), 0);
	char hex[65];
	tl_hash_to_hex(b.hdr.hash, hex);
	assert_string_equal(hex, "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
	assert_memory_equal(b.hdr.hash, tl_net_params(TL_NET_MAIN)->genesis, 32);
	tl_hash_to_hex(b.tx[0].txid, hex);
	assert_string_equal(hex, "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b");
	assert_int_equal(b.n_tx, 1);
	assert_int_equal(b.hdr.time, 1231006505);
	assert_int_equal(b.hdr.nonce, 2083236893);
	assert_true(tl_tx_is_coinbase(&b.tx[0]));
	assert_int_equal(b.tx[0].out[0].value, 5000000000ull);
	struct tl_script_info si;
	tl_script_classify(b.tx[0].out[0].script, b.tx[0].out[0].script_len, &si);
	assert_int_equal(si.type, TL_SCRIPT_PUBKEY);
	assert_int_equal(tl_block_check_merkle(&b, &err), 0);
	assert_int_equal(tl_header_check_pow(&b.hdr, tl_net_params(TL_NET_MAIN), &err), 0);
	/* The regtest limit is easier, so the genesis passes it too, but a
	 * regtest-difficulty header fails mainnet's limit. */
	struct tl_header h = b.hdr;
	h.bits = 0x207fffff;
	assert_int_equal(tl_header_check_pow(&h, tl_net_params(TL_NET_MAIN), &err), -1);
	/* Version 1: no BIP34 height. */
	int64_t height;
	assert_int_equal(tl_block_bip34_height(&b, &height), -1);
	/* Serializing the header gives back the same 80 bytes. */
	uint8_t ser[80];
	tl_header_serialize(&b.hdr, ser);
	assert_memory_equal(ser, genesis, 80);
	tl_block_free(&b);
}

static void test_truncated_and_garbage(void **state)
{
	(void)state;
	load_genesis();
	struct tl_block b;
	struct tl_err err;
	tl_block_init(&b);
	/* Every strict prefix fails cleanly. */
	for (size_t n = 0; n < sizeof genesis; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, genesis, n);
		assert_int_equal(tl_block_parse(&b, copy, n, &err), -1);
		assert_true(strlen(err.msg) > 0);
		free(copy);
	}
	/* Trailing bytes are rejected. */
	uint8_t longer[300];
	memcpy(longer, genesis, sizeof genesis);
	memset(longer + sizeof genesis, 0, sizeof longer - sizeof genesis);
	assert_int_equal(tl_block_parse(&b, longer, sizeof longer, &err), -1);
	assert_non_null(strstr(err.msg, "unexpected bytes"));
	/* Zero-filled input. */
	uint8_t *zeros = calloc(1, 100000);
	assert_int_equal(tl_block_parse(&b, zeros, 100000, &err), -1);
	/* Oversized input. */
	uint8_t *big = calloc(1, TL_MAX_BLOCK_SIZE + 1);
	memcpy(big, genesis, sizeof genesis);
	assert_int_equal(tl_block_parse(&b, big, TL_MAX_BLOCK_SIZE + 1, &err), -1);
	assert_non_null(strstr(err.msg, "exceeds"));
	/* A huge declared transaction count does not allocate or crash. */
	uint8_t hdr_huge[90];
	memcpy(hdr_huge, genesis, 80);
	hdr_huge[80] = 0xfe;
	tl_put_le32(hdr_huge + 81, 0x01000000);
	memset(hdr_huge + 85, 0, 5);
	assert_int_equal(tl_block_parse(&b, hdr_huge, sizeof hdr_huge, &err), -1);
	/* Random garbage, many seeds. */
	uint64_t s = 0x9e3779b97f4a7c15ull;
	uint8_t rnd[2048];
	for (int round = 0; round < 2000; round++) {
		for (size_t i = 0; i < sizeof rnd; i++) {
			s ^= s << 13; s ^= s >> 7; s ^= s << 17;
			rnd[i] = (uint8_t)s;
		}
		size_t n = (size_t)(s % sizeof rnd);
		/* Keep a plausible header and tx count so the tx parser runs. */
		if (n > 81) rnd[80] = 1;
		(void)tl_block_parse(&b, rnd, n, &err);
	}
	free(zeros);
	free(big);
	tl_block_free(&b);
}

static void test_compact_size(void **state)
{
	(void)state;
	struct {
		const char *hex;
		int ok;
		uint64_t v;
	} v[] = {
		{ "00", 1, 0 }, { "fc", 1, 252 }, { "fdfd00", 1, 253 }, { "fdffff", 1, 0xffff },
		{ "fe00000100", 1, 0x10000 }, { "fe00000002", 1, 0x02000000 },
		{ "fdfc00", 0, 0 },             /* non-canonical */
		{ "feffff0000", 0, 0 },         /* non-canonical */
		{ "fe01000002", 0, 0 },         /* above MAX_SIZE */
		{ "ff0000000001000000", 0, 0 }, /* above MAX_SIZE */
		{ "fd00", 0, 0 },               /* truncated */
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		uint8_t buf[16];
		size_t n = strlen(v[i].hex) / 2;
		assert_int_equal(tl_hex_decode(v[i].hex, n * 2, buf, n), 0);
		struct tl_reader r;
		tl_reader_init(&r, buf, n);
		uint64_t out;
		int rc = tl_read_compact(&r, &out);
		assert_int_equal(rc == 0, v[i].ok);
		if (v[i].ok) {
			assert_int_equal(out, v[i].v);
			assert_int_equal(r.pos, n);
			struct tl_buf b;
			tl_buf_init(&b);
			tl_buf_compact(&b, out);
			assert_int_equal(b.len, n);
			assert_memory_equal(b.data, buf, n);
			tl_buf_free(&b);
		} else {
			assert_int_equal(r.pos, 0);
		}
	}
}

/* Builds a two-input segwit transaction by hand and checks txid against
 * the hash of a separately assembled stripped serialization. */
static void test_segwit_txid(void **state)
{
	(void)state;
	struct tl_buf full, stripped;
	tl_buf_init(&full);
	tl_buf_init(&stripped);
	uint8_t prev[32];
	memset(prev, 0xab, 32);
	uint8_t spk[22] = { 0x00, 0x14 };
	memset(spk + 2, 0x11, 20);
	for (int pass = 0; pass < 2; pass++) {
		struct tl_buf *b = pass ? &stripped : &full;
		tl_buf_u32le(b, 2);
		if (!pass) {
			tl_buf_u8(b, 0);
			tl_buf_u8(b, 1);
		}
		tl_buf_compact(b, 2);
		for (int i = 0; i < 2; i++) {
			tl_buf_put(b, prev, 32);
			tl_buf_u32le(b, (uint32_t)i);
			tl_buf_compact(b, 0);
			tl_buf_u32le(b, 0xfffffffd);
		}
		tl_buf_compact(b, 1);
		tl_buf_u64le(b, 12345);
		tl_buf_compact(b, sizeof spk);
		tl_buf_put(b, spk, sizeof spk);
		if (!pass) {
			/* input 0: two items; input 1: empty stack */
			tl_buf_compact(b, 2);
			tl_buf_compact(b, 3);
			tl_buf_put(b, "sig", 3);
			tl_buf_compact(b, 2);
			tl_buf_put(b, "pk", 2);
			tl_buf_compact(b, 0);
		}
		tl_buf_u32le(b, 777);
	}
	struct tl_arena a;
	tl_arena_init(&a);
	struct tl_reader r;
	tl_reader_init(&r, full.data, full.len);
	struct tl_tx tx;
	struct tl_err err;
	assert_int_equal(tl_tx_parse(&r, &a, &tx, &err), 0);
	uint8_t want[32], wwant[32];
	tl_sha256d(stripped.data, stripped.len, want);
	tl_sha256d(full.data, full.len, wwant);
	assert_memory_equal(tx.txid, want, 32);
	uint8_t wtxid[32];
	tl_tx_wtxid(&tx, wtxid);
	assert_memory_equal(wtxid, wwant, 32);
	assert_true(tx.has_witness);
	assert_int_equal(tx.size, full.len);
	assert_int_equal(tx.stripped_size, stripped.len);
	assert_int_equal(tl_tx_weight(&tx), stripped.len * 3 + full.len);
	assert_int_equal(tx.in[0].witness_items, 2);
	assert_int_equal(tx.in[1].witness_items, 0);
	size_t pos = 0, len;
	const uint8_t *item;
	assert_int_equal(tl_witness_next(&tx.in[0], &pos, &item, &len), 1);
	assert_int_equal(len, 3);
	assert_memory_equal(item, "sig", 3);
	assert_int_equal(tl_witness_next(&tx.in[0], &pos, &item, &len), 1);
	assert_memory_equal(item, "pk", 2);
	assert_int_equal(tl_witness_next(&tx.in[0], &pos, &item, &len), 0);
	/* A witness flag other than 1 is rejected. */
	full.data[5] = 2;
	tl_reader_init(&r, full.data, full.len);
	assert_int_equal(tl_tx_parse(&r, &a, &tx, &err), -1);
	tl_arena_free(&a);
	tl_buf_free(&full);
	tl_buf_free(&stripped);
}

static void test_merkle(void **state)
{
	(void)state;
	uint8_t h[3][32];
	for (int i = 0; i < 3; i++) memset(h[i], i + 1, 32);
	uint8_t root[32], l01[32], l22[32], want[32];
	bool mutated;
	tl_merkle_root((const uint8_t(*)[32])h, 3, root, &mutated);
	tl_sha256d_pair(h[0], h[1], l01);
	tl_sha256d_pair(h[2], h[2], l22);
	tl_sha256d_pair(l01, l22, want);
	assert_memory_equal(root, want, 32);
	assert_false(mutated);
	/* [a, b, c, c] has the same root as [a, b, c] but is mutated. */
	uint8_t h4[4][32];
	memcpy(h4, h, sizeof h);
	memcpy(h4[3], h[2], 32);
	tl_merkle_root((const uint8_t(*)[32])h4, 4, root, &mutated);
	assert_memory_equal(root, want, 32);
	assert_true(mutated);
}

static void test_targets_and_work(void **state)
{
	(void)state;
	struct tl_u256 t, w;
	assert_int_equal(tl_bits_to_target(0x1d00ffff, &t), 0);
	assert_int_equal(t.w[3], 0x00000000ffff0000ull);
	assert_int_equal(t.w[2] | t.w[1] | t.w[0], 0);
	tl_bits_work(0x1d00ffff, &w);
	assert_int_equal(w.w[0], 0x100010001ull);
	/* regtest: target 0x7fffff << 232, work 2 */
	tl_bits_work(0x207fffff, &w);
	assert_int_equal(w.w[0], 2);
	assert_int_equal(tl_bits_to_target(0x04800000, &t), -1); /* negative */
	assert_int_equal(tl_bits_to_target(0x23000001, &t), -1); /* overflow */
	assert_int_equal(tl_bits_to_target(0x01003456, &t), -1); /* zero */
	/* Difficulty: 1 at the limit; the Bitcoin wiki's worked example. */
	assert_true(tl_bits_difficulty(0x1d00ffff) == 1.0);
	double d = tl_bits_difficulty(0x1b0404cb);
	assert_true(d > 16307.4209385 && d < 16307.4209386);
	char hex[65];
	tl_bits_work(0x1d00ffff, &w);
	tl_u256_hex(&w, hex);
	assert_string_equal(hex, "0000000000000000000000000000000000000000000000000000000100010001");
}

/* --- blocks directories --- */

static void write_file(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}

static void put_record(struct tl_buf *b, const uint8_t *blk, size_t n)
{
	static const uint8_t magic[4] = { 0xf9, 0xbe, 0xb4, 0xd9 };
	tl_buf_put(b, magic, 4);
	tl_buf_u32le(b, (uint32_t)n);
	tl_buf_put(b, blk, n);
}

static int warnings;
static void count_warn(void *ctx, const char *msg)
{
	(void)ctx;
	(void)msg;
	warnings++;
}

static void scan_dir(const char *dir, struct tl_scan_report *rep, uint32_t *chain_len)
{
	struct tl_blkdir *d;
	struct tl_err err;
	assert_int_equal(tl_blkdir_open(dir, tl_net_params(TL_NET_MAIN), &d, &err), 0);
	tl_blkdir_set_warn(d, count_warn, NULL);
	assert_int_equal(tl_blkdir_scan(d, rep, &err), 0);
	*chain_len = tl_blkdir_chain_len(d);
	if (*chain_len) {
		uint8_t *buf = NULL;
		size_t cap = 0;
		const struct tl_chain_entry *e = tl_blkdir_chain_at(d, 0);
		assert_int_equal(tl_blkdir_read(d, &e->loc, &buf, &cap, &err), 0);
		assert_memory_equal(buf, genesis, sizeof genesis);
		free(buf);
	}
	tl_blkdir_close(d);
}

static void test_blkdir_hostile(void **state)
{
	(void)state;
	load_genesis();
	char *dir = tu_tmpdir("blkdir");
	char path[4200];
	struct tl_err err;
	struct tl_blkdir *d;
	/* Not a blocks directory. */
	assert_int_equal(tl_blkdir_open(dir, tl_net_params(TL_NET_MAIN), &d, &err), -1);
	assert_non_null(strstr(err.msg, "blk00000.dat"));

	for (int xor = 0; xor < 2; xor++) {
		static const uint8_t key[8] = { 0x47, 0xa9, 0x3e, 0x2c, 0xfa, 0x84, 0xb7, 0xf8 };
		struct tl_buf b;
		tl_buf_init(&b);
		tl_buf_put(&b, "garbage!garbage!", 16);       /* leading garbage */
		put_record(&b, genesis, sizeof genesis);       /* the block */
		tl_buf_put(&b, "\x01\x02\x03", 3);             /* garbage between */
		put_record(&b, genesis, sizeof genesis);       /* a duplicate */
		uint8_t hdr[8] = { 0xf9, 0xbe, 0xb4, 0xd9, 0xff, 0xff, 0xff, 0x7f };
		tl_buf_put(&b, hdr, 8);                        /* absurd size */
		uint8_t tb[8] = { 0xf9, 0xbe, 0xb4, 0xd9 };
		tl_put_le32(tb + 4, 100000);
		tl_buf_put(&b, tb, 8);                         /* truncated record */
		tl_buf_put(&b, genesis, 100);
		if (xor) tl_xor_apply(b.data, b.len, 0, key);
		size_t used = b.len;
		/* Core's preallocated tail: raw zeros, never obfuscated. */
		tl_buf_reserve(&b, 4096);
		memset(b.data + used, 0, 4096);
		b.len += 4096;
		snprintf(path, sizeof path, "%s/blk00000.dat", dir);
		write_file(path, b.data, b.len);
		snprintf(path, sizeof path, "%s/xor.dat", dir);
		if (xor) write_file(path, key, 8);
		else remove(path);
		struct tl_scan_report rep;
		uint32_t len;
		warnings = 0;
		scan_dir(dir, &rep, &len);
		assert_int_equal(len, 1);
		assert_int_equal(rep.records, 2);
		assert_int_equal(rep.duplicates, 1);
		assert_true(rep.garbage_skips >= 3);
		/* The truncated record is cut by garbage resync or end of file;
		 * either way it is reported. */
		assert_true(warnings >= 4);
		tl_buf_free(&b);
	}
	/* An xor.dat of the wrong size is refused. */
	snprintf(path, sizeof path, "%s/xor.dat", dir);
	write_file(path, (const uint8_t *)"abc", 3);
	assert_int_equal(tl_blkdir_open(dir, tl_net_params(TL_NET_MAIN), &d, &err), -1);
	assert_non_null(strstr(err.msg, "8 bytes"));
	/* An all-zero key means plain. */
	write_file(path, (const uint8_t *)"\0\0\0\0\0\0\0\0", 8);
	/* A file that is only zeros (fresh preallocation) holds no blocks. */
	uint8_t *z = calloc(1, 1 << 16);
	snprintf(path, sizeof path, "%s/blk00000.dat", dir);
	write_file(path, z, 1 << 16);
	struct tl_scan_report rep;
	uint32_t len;
	warnings = 0;
	scan_dir(dir, &rep, &len);
	assert_int_equal(len, 0);
	assert_int_equal(rep.records, 0);
	assert_int_equal(warnings, 0);
	free(z);

	/* Regression (found by fuzzing): a key that contains the network
	 * magic made de-obfuscated zero padding look like a record start at
	 * the same offset forever. The scan must end. */
	static const uint8_t magic_key[8] = { 0x00, 0xf9, 0xbe, 0xb4, 0xd9, 0x1d, 0x01, 0x00 };
	snprintf(path, sizeof path, "%s/xor.dat", dir);
	write_file(path, magic_key, 8);
	uint8_t padded[300] = { 0 };
	snprintf(path, sizeof path, "%s/blk00000.dat", dir);
	write_file(path, padded, sizeof padded);
	scan_dir(dir, &rep, &len);
	assert_int_equal(len, 0);
	tu_rmrf(dir);
	free(dir);
}

/* Error messages quote hostile input cut at a byte limit; they must stay
 * valid UTF-8 so that JSON answers can carry them (a cut "é" once made
 * the API drop an item from a screening batch). */
static void test_err_utf8(void **state)
{
	(void)state;
	struct tl_err err;
	tl_err_set(&err, "bad '%.2s'", "a\xc3\xa9");
	assert_string_equal(err.msg, "bad 'a?'");
	tl_err_set(&err, "%s", "ok \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	assert_string_equal(err.msg, "ok \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	/* overlong, surrogate, above U+10FFFF, stray continuation, bad lead */
	tl_err_set(&err, "%s", "\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\x80|\xff");
	assert_string_equal(err.msg, "??|???|????|?|?");
	tl_err_set(&err, "x");
	tl_err_prefix(&err, "%.1s", "\xc3\xa9");
	assert_string_equal(err.msg, "?x");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_utf8),
		cmocka_unit_test(test_genesis),
		cmocka_unit_test(test_truncated_and_garbage),
		cmocka_unit_test(test_compact_size),
		cmocka_unit_test(test_segwit_txid),
		cmocka_unit_test(test_merkle),
		cmocka_unit_test(test_targets_and_work),
		cmocka_unit_test(test_blkdir_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
