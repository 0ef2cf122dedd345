/* The scripthash family (store.h) against a chain built here: every
 * output script's SHA-256 names its owner (the addr_id its address
 * lookup gives); a script never paid is unknown; after a reorg that drops
 * the block that first paid a script, that script is unknown again, and
 * the database equals a fresh index of the new best chain (digest). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitcoin/address.h"
#include "bitcoin/hash.h"
#include "bitcoin/network.h"
#include "store/store.h"
#include "tests/chainfix.h"
#include "tests/testutil.h"

static void spk_of(uint8_t out[22], uint8_t fill)
{
	out[0] = 0x00;
	out[1] = 0x14;
	memset(out + 2, fill, 20);
}

static void coinbase(struct cf_block *b, int h, uint8_t fill, uint8_t tag)
{
	uint8_t sig[3] = { 0x02, (uint8_t)h, tag };
	struct cf_in in = { .sig = sig, .sig_len = sizeof sig };
	struct cf_out out = { .value = 5000000000ull, .len = 22 };
	spk_of(out.script, fill);
	cf_block_add_tx(b, &in, 1, &out, 1, NULL);
}

/* 1 and the addr_id when the scripthash of spk is known, else 0. */
static int lookup(struct tl_store *s, const uint8_t *spk, size_t len, uint64_t *id)
{
	uint8_t sh[32];
	tl_sha256(spk, len, sh);
	struct tl_err err;
	int rc = tl_store_addr_id_of_scripthash(s, sh, id, &err);
	if (rc < 0) fail_msg("lookup: %s", err.msg);
	return rc;
}

static void digest(const char *db, uint8_t out[32])
{
	struct tl_store_opts so = { .read_only = true };
	struct tl_store *s = cf_store_open(db, &so);
	assert_int_equal(tl_store_digest(s, out, NULL, NULL), 0);
	tl_store_close(s);
}

static void test_scripthash_index_and_reorg(void **state)
{
	(void)state;
	char *dir = tu_tmpdir("scripthash");
	char blocks[4200], db[4200], fresh[4200], blk1[4300];
	snprintf(blocks, sizeof blocks, "%s/blocks", dir);
	snprintf(db, sizeof db, "%s/db", dir);
	snprintf(fresh, sizeof fresh, "%s/fresh", dir);
	const struct tl_netparams *np = tl_net_params(TL_NET_REGTEST);

	/* Branch A: heights 1..3 paying scripts 0xa1, 0xa2, 0xa3; the first
	 * two are paid again at height 3 (not new owners there). */
	struct tl_buf a;
	tl_buf_init(&a);
	uint8_t tip[32], fork[32];
	cf_genesis(&a, tip);
	struct cf_block b = { 0 };
	coinbase(&b, 1, 0xa1, 'a');
	cf_mine(&a, &b, tip, 1600000600);
	memcpy(fork, tip, 32);
	coinbase(&b, 2, 0xa2, 'a');
	cf_mine(&a, &b, tip, 1600001200);
	coinbase(&b, 3, 0xa3, 'a');
	cf_mine(&a, &b, tip, 1600001800);
	cf_write_blocks(blocks, &a);
	struct tl_index_opts io = cf_index_opts(blocks, db);
	cf_index_run(&io, NULL);

	struct tl_store_opts ro = { .read_only = true };
	struct tl_store *s = cf_store_open(db, &ro);
	struct tl_err err;
	for (uint8_t f = 0xa1; f <= 0xa3; f++) {
		uint8_t spk[22];
		spk_of(spk, f);
		char addr[TL_ADDRESS_MAX];
		assert_int_equal(tl_address_from_script(spk, 22, np, addr), 0);
		uint64_t want, got;
		assert_int_equal(tl_store_addr_id_of_string(s, addr, &want, &err), 1);
		assert_int_equal(lookup(s, spk, 22, &got), 1);
		assert_int_equal(got, want);
		/* The address's own scriptPubKey bytes are what is hashed: a
		 * script differing in one byte is another scripthash. */
		spk[21] ^= 1;
		assert_int_equal(lookup(s, spk, 22, &got), 0);
	}
	tl_store_close(s);

	/* Branch B forks after height 1 with three blocks paying 0xb2..0xb4:
	 * 0xa2 and 0xa3 were first paid in blocks the reorg drops. */
	struct tl_buf bb;
	tl_buf_init(&bb);
	memcpy(tip, fork, 32);
	for (int h = 2; h <= 4; h++) {
		coinbase(&b, h, (uint8_t)(0xb0 + h), 'b');
		cf_mine(&bb, &b, tip, 1600000600u + (uint32_t)h * 600 + 7);
	}
	snprintf(blk1, sizeof blk1, "%s/blk00001.dat", blocks);
	FILE *f = fopen(blk1, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(bb.data, 1, bb.len, f), bb.len);
	fclose(f);
	cf_index_run(&io, NULL);
	s = cf_store_open(db, &ro);
	uint64_t id;
	uint8_t spk[22];
	spk_of(spk, 0xa1);
	assert_int_equal(lookup(s, spk, 22, &id), 1);
	for (uint8_t g = 0xa2; g <= 0xa3; g++) {
		spk_of(spk, g);
		assert_int_equal(lookup(s, spk, 22, &id), 0);
	}
	for (uint8_t g = 0xb2; g <= 0xb4; g++) {
		spk_of(spk, g);
		assert_int_equal(lookup(s, spk, 22, &id), 1);
	}
	tl_store_close(s);
	struct tl_index_opts fo = cf_index_opts(blocks, fresh);
	cf_index_run(&fo, NULL);
	uint8_t d1[32], d2[32];
	digest(db, d1);
	digest(fresh, d2);
	assert_memory_equal(d1, d2, 32);
	tl_buf_free(&a);
	tl_buf_free(&bb);
	tu_rmrf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scripthash_index_and_reorg),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
