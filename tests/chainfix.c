#include "tests/chainfix.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bitcoin/block.h"
#include "bitcoin/hash.h"
#include "bitcoin/network.h"
#include "sim/internal.h"
#include "sim/sim.h"
#include "tracer/entities.h"

void cf_block_add_raw(struct cf_block *b, const uint8_t *raw, size_t len, uint8_t txid[32])
{
	struct tl_arena a;
	tl_arena_init(&a);
	struct tl_reader r;
	tl_reader_init(&r, raw, len);
	struct tl_tx tx;
	struct tl_err err;
	if (tl_tx_parse(&r, &a, &tx, &err)) fail_msg("tx: %s", err.msg);
	assert_int_equal(r.pos, len);
	b->ids = realloc(b->ids, (b->n + 1) * 32);
	assert_non_null(b->ids);
	memcpy(b->ids[b->n++], tx.txid, 32);
	if (txid) memcpy(txid, tx.txid, 32);
	tl_buf_put(&b->txs, raw, len);
	tl_arena_free(&a);
}

void cf_block_add_tx(struct cf_block *b, const struct cf_in *in, size_t nin, const struct cf_out *out, size_t nout,
		     uint8_t txid[32])
{
	static const uint8_t zero[32];
	struct tl_buf t;
	tl_buf_init(&t);
	tl_buf_u32le(&t, 1);
	tl_buf_compact(&t, nin);
	for (size_t i = 0; i < nin; i++) {
		tl_buf_put(&t, in[i].prev ? in[i].prev : zero, 32);
		tl_buf_u32le(&t, in[i].prev ? in[i].vout : 0xffffffff);
		tl_buf_compact(&t, in[i].sig_len);
		tl_buf_put(&t, in[i].sig, in[i].sig_len);
		tl_buf_u32le(&t, 0xffffffff);
	}
	tl_buf_compact(&t, nout);
	for (size_t o = 0; o < nout; o++) {
		tl_buf_u64le(&t, out[o].value);
		tl_buf_compact(&t, out[o].len);
		tl_buf_put(&t, out[o].script, out[o].len);
	}
	tl_buf_u32le(&t, 0);
	cf_block_add_raw(b, t.data, t.len, txid);
	tl_buf_free(&t);
}

void cf_mine(struct tl_buf *file, struct cf_block *b, uint8_t tip[32], uint32_t time)
{
	const struct tl_netparams *np = tl_net_params(TL_NET_REGTEST);
	struct tl_header h = { .version = 1, .time = time, .bits = 0x207fffff };
	memcpy(h.prev, tip, 32);
	bool mutated;
	tl_merkle_root((const uint8_t(*)[32])b->ids, b->n, h.merkle, &mutated);
	uint8_t ser[80];
	struct tl_err err;
	for (h.nonce = 0;; h.nonce++) {
		tl_header_serialize(&h, ser);
		tl_header_parse(ser, 80, &h, NULL); /* sets h.hash */
		if (tl_header_check_pow(&h, np, &err) == 0) break;
	}
	struct tl_buf blk;
	tl_buf_init(&blk);
	tl_buf_put(&blk, ser, 80);
	tl_buf_compact(&blk, b->n);
	tl_buf_put(&blk, b->txs.data, b->txs.len);
	tl_buf_put(file, np->magic, 4);
	tl_buf_u32le(file, (uint32_t)blk.len);
	tl_buf_put(file, blk.data, blk.len);
	memcpy(tip, h.hash, 32);
	tl_buf_free(&blk);
	tl_buf_free(&b->txs);
	free(b->ids);
	memset(b, 0, sizeof *b);
}

void cf_genesis(struct tl_buf *file, uint8_t tip[32])
{
	const struct tl_netparams *np = tl_net_params(TL_NET_REGTEST);
	struct tl_buf gen;
	tl_buf_init(&gen);
	sim_genesis_block(&gen);
	tl_buf_put(file, np->magic, 4);
	tl_buf_u32le(file, (uint32_t)gen.len);
	tl_buf_put(file, gen.data, gen.len);
	tl_sha256d(gen.data, 80, tip); /* the genesis header's hash */
	assert_memory_equal(tip, np->genesis, 32);
	tl_buf_free(&gen);
}

void cf_write_blocks(const char *blocks_dir, const struct tl_buf *file)
{
	char cmd[4400], path[4300];
	snprintf(cmd, sizeof cmd, "mkdir -p '%s'", blocks_dir);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof path, "%s/blk00000.dat", blocks_dir);
	FILE *f = fopen(path, "wb");
	if (!f) fail_msg("cannot write %s", path);
	assert_int_equal(fwrite(file->data, 1, file->len, f), file->len);
	assert_int_equal(fclose(f), 0);
}

void cf_sim(const char *dir, uint64_t seed, uint32_t blocks, uint32_t txs_per_block, uint32_t forks, bool fast)
{
	struct tl_sim_params p;
	tl_sim_params_default(&p);
	p.seed = seed;
	p.blocks = blocks;
	p.txs_per_block = txs_per_block;
	p.forks = forks;
	p.fast = fast;
	struct tl_err err;
	if (tl_sim_run(dir, &p, NULL, &err)) fail_msg("sim: %s", err.msg);
}

struct tl_index_opts cf_index_opts(const char *blocks_dir, const char *db_path)
{
	struct tl_index_opts o = { .blocks_dir = blocks_dir, .db_path = db_path, .net = tl_net_params(TL_NET_REGTEST),
				   .cache_mb = 16, .until = -1 };
	return o;
}

void cf_index_run(const struct tl_index_opts *o, struct tl_index_stats *st)
{
	struct tl_index_stats own;
	struct tl_err err;
	if (tl_index_run(o, st ? st : &own, &err)) fail_msg("index: %s", err.msg);
}

struct tl_store *cf_store_open(const char *db_path, const struct tl_store_opts *so)
{
	struct tl_store *s;
	struct tl_err err;
	if (tl_store_open(db_path, so, &s, &err)) fail_msg("open %s: %s", db_path, err.msg);
	return s;
}

void cf_import_sim_labels(struct tl_store *s, const char *sim_dir)
{
	char path[4300];
	struct tl_err err;
	struct tl_tag_import_report trep;
	struct tl_heist_import_report hrep;
	snprintf(path, sizeof path, "%s/tags.csv", sim_dir);
	if (tl_tags_import(s, path, TL_TAGFMT_AUTO, &trep, &err)) fail_msg("tags: %s", err.msg);
	snprintf(path, sizeof path, "%s/heists.json", sim_dir);
	if (tl_heists_import(s, path, &hrep, &err)) fail_msg("heists: %s", err.msg);
}

json_t *cf_sim_truth(const char *sim_dir)
{
	char path[4300];
	snprintf(path, sizeof path, "%s/truth.json", sim_dir);
	json_error_t je;
	json_t *t = json_load_file(path, 0, &je);
	if (!t) fail_msg("truth: %s", je.text);
	return t;
}
