/* A chain spread over many blk files (the simulator's test-only small
 * file size, like Core's -fastprune) is indexed in full: the indexer sees
 * every file, indexes every best-chain block and transaction the
 * simulator reports, each block record names a file and offset where the
 * block's header really is, the block records use every file, and
 * transactions in the last file read back through the Esplora view. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bitcoin/blkfile.h"
#include "bitcoin/hash.h"
#include "indexer/indexer.h"
#include "sim/sim.h"
#include "store/esplora_json.h"
#include "store/store.h"
#include "tests/chainfix.h"
#include "tests/testutil.h"

static void test_index_many_files(void **state)
{
	(void)state;
	char *dir = tu_tmpdir("blkfiles");
	char sim[4200], blocks[4300], db[4200];
	snprintf(sim, sizeof sim, "%s/sim", dir);
	snprintf(blocks, sizeof blocks, "%s/blocks", sim);
	snprintf(db, sizeof db, "%s/db", dir);
	struct tl_sim_params p;
	tl_sim_params_default(&p);
	p.seed = 5;
	p.blocks = 140;
	p.txs_per_block = 12;
	p.forks = 2;
	p.fast = true;
	p.blockfile_max = 65536;
	struct tl_sim_stats ss;
	struct tl_err err = { 0 };
	if (tl_sim_run(sim, &p, &ss, &err)) fail_msg("sim: %s", err.msg);
	assert_true(ss.files >= 4);

	struct tl_index_opts io = cf_index_opts(blocks, db);
	struct tl_index_stats st;
	cf_index_run(&io, &st);
	assert_int_equal(st.blk_files, ss.files);
	assert_int_equal(st.tip_after, (int32_t)ss.tip);
	assert_int_equal(st.txs, ss.txs);
	print_message("indexed %u blocks, %llu txs from %u blk files\n", st.blocks_indexed, (unsigned long long)st.txs,
		      st.blk_files);

	struct tl_store *s;
	struct tl_store_opts so = { 0 };
	so.read_only = true;
	if (tl_store_open(db, &so, &s, &err) < 0) fail_msg("open: %s", err.msg);
	struct tl_blkdir *d;
	if (tl_blkdir_open(blocks, io.net, &d, &err) < 0) fail_msg("blkdir: %s", err.msg);
	uint8_t *used = calloc(ss.files, 1);
	uint64_t last_file_tx = UINT64_MAX;
	for (int32_t h = 0; h <= (int32_t)ss.tip; h++) {
		struct tl_block_rec b;
		assert_int_equal(tl_store_block_by_height(s, h, &b, &err), 1);
		assert_true(b.file < ss.files);
		used[b.file] = 1;
		/* The header at the recorded place hashes to the block's hash. */
		uint8_t hdr[80], hh[32];
		assert_int_equal(tl_blkdir_read_at(d, b.file, b.offset, hdr, 80, &err), 0);
		tl_sha256d(hdr, 80, hh);
		assert_memory_equal(hh, b.hash, 32);
		if (b.file == ss.files - 1 && b.n_tx > 1) last_file_tx = b.first_tx_num + 1;
	}
	for (uint32_t f = 0; f < ss.files; f++)
		if (!used[f]) fail_msg("no best-chain block recorded in blk%05u.dat", f);
	/* A transaction from the last file, with its prevouts (which may sit
	 * in earlier files), through the Esplora view. */
	assert_true(last_file_tx != UINT64_MAX);
	struct tl_tx_rec r;
	assert_int_equal(tl_store_tx(s, last_file_tx, &r, &err), 1);
	json_t *j = tl_esplora_tx(s, d, &r, &err);
	if (!j) fail_msg("esplora tx: %s", err.msg);
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(j, "vin"), i, v) assert_true(json_is_object(json_object_get(v, "prevout")));
	json_decref(j);
	tl_tx_rec_free(&r);
	free(used);
	tl_blkdir_close(d);
	tl_store_close(s);
	tu_rmrf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_many_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
