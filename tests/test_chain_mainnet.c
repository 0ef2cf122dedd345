/* chain/ against real mainnet data: every block file in the reference
 * folder decodes to its independently produced expected vectors, and the
 * plain and obfuscated blk samples give the chain their index describes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitcoin/address.h"
#include "bitcoin/blkfile.h"
#include "bitcoin/block.h"
#include "bitcoin/hash.h"
#include "bitcoin/script.h"
#include "tests/testutil.h"

static const char *mainnet_dir;

static json_t *load_json(const char *path)
{
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	if (!j) fail_msg("%s: %s", path, je.text);
	return j;
}

static void check_tx(const struct tl_tx *tx, json_t *e, const struct tl_netparams *np)
{
	char hex[65];
	tl_hash_to_hex(tx->txid, hex);
	assert_string_equal(hex, json_string_value(json_object_get(e, "txid")));
	uint8_t wtxid[32];
	tl_tx_wtxid(tx, wtxid);
	tl_hash_to_hex(wtxid, hex);
	assert_string_equal(hex, json_string_value(json_object_get(e, "wtxid")));
	assert_int_equal(tx->version, json_integer_value(json_object_get(e, "version")));
	assert_int_equal(tx->locktime, json_integer_value(json_object_get(e, "locktime")));
	assert_int_equal(tx->size, json_integer_value(json_object_get(e, "size")));
	assert_int_equal(tx->stripped_size, json_integer_value(json_object_get(e, "stripped_size")));
	assert_int_equal(tl_tx_weight(tx), json_integer_value(json_object_get(e, "weight")));
	assert_int_equal(tl_tx_vsize(tx), json_integer_value(json_object_get(e, "vsize")));
	assert_int_equal(tx->has_witness, json_is_true(json_object_get(e, "has_witness")));
	assert_int_equal(tl_tx_is_coinbase(tx), json_is_true(json_object_get(e, "coinbase")));
	json_t *vin = json_object_get(e, "vin"), *vout = json_object_get(e, "vout");
	assert_int_equal(tx->n_in, json_array_size(vin));
	assert_int_equal(tx->n_out, json_array_size(vout));
	for (uint32_t i = 0; i < tx->n_in; i++) {
		json_t *ji = json_array_get(vin, i);
		char pv[80];
		tl_hash_to_hex(tx->in[i].prev_txid, hex);
		snprintf(pv, sizeof pv, "%s:%u", hex, tx->in[i].prev_vout);
		assert_string_equal(pv, json_string_value(json_object_get(ji, "prevout")));
		assert_int_equal(tx->in[i].sequence, json_integer_value(json_object_get(ji, "sequence")));
		assert_int_equal(tx->in[i].script_sig_len, json_integer_value(json_object_get(ji, "script_sig_size")));
		assert_int_equal(tx->in[i].witness_items, json_integer_value(json_object_get(ji, "witness_items")));
	}
	for (uint32_t i = 0; i < tx->n_out; i++) {
		json_t *jo = json_array_get(vout, i);
		const struct tl_txout *o = &tx->out[i];
		assert_int_equal(o->value, json_integer_value(json_object_get(jo, "value")));
		assert_int_equal(o->script_len, json_integer_value(json_object_get(jo, "script_pubkey_size")));
		struct tl_script_info si;
		tl_script_classify(o->script, o->script_len, &si);
		assert_string_equal(tl_script_type_name(si.type), json_string_value(json_object_get(jo, "type")));
		char addr[TL_ADDRESS_MAX];
		json_t *ja = json_object_get(jo, "address");
		if (ja) {
			assert_int_equal(tl_address_from_script(o->script, o->script_len, np, addr), 0);
			assert_string_equal(addr, json_string_value(ja));
		} else {
			assert_int_not_equal(tl_address_from_script(o->script, o->script_len, np, addr), 0);
		}
	}
}

static void test_blocks_match_vectors(void **state)
{
	(void)state;
	const struct tl_netparams *np = tl_net_params(TL_NET_MAIN);
	DIR *dir = opendir(mainnet_dir);
	assert_non_null(dir);
	struct dirent *de;
	int files = 0;
	while ((de = readdir(dir))) {
		size_t n = strlen(de->d_name);
		if (n < 5 || strcmp(de->d_name + n - 4, ".bin")) continue;
		char path[4096], epath[4096];
		snprintf(path, sizeof path, "%s/%s", mainnet_dir, de->d_name);
		snprintf(epath, sizeof epath, "%s/expected/%s.json", mainnet_dir, de->d_name);
		size_t len;
		uint8_t *raw = tu_read_file(path, &len);
		json_t *exp = load_json(epath);
		json_t *jb = json_object_get(exp, "block");
		struct tl_block b;
		struct tl_err err;
		tl_block_init(&b);
		if (tl_block_parse(&b, raw, len, &err)) fail_msg("%s: %s", de->d_name, err.msg);
		char hex[65];
		tl_hash_to_hex(b.hdr.hash, hex);
		assert_string_equal(hex, json_string_value(json_object_get(jb, "hash")));
		tl_hash_to_hex(b.hdr.prev, hex);
		assert_string_equal(hex, json_string_value(json_object_get(jb, "prev_hash")));
		tl_hash_to_hex(b.hdr.merkle, hex);
		assert_string_equal(hex, json_string_value(json_object_get(jb, "merkle_root")));
		assert_int_equal(b.hdr.version, json_integer_value(json_object_get(jb, "version")));
		assert_int_equal(b.hdr.time, json_integer_value(json_object_get(jb, "time")));
		assert_int_equal(b.hdr.nonce, json_integer_value(json_object_get(jb, "nonce")));
		char bits[9];
		snprintf(bits, sizeof bits, "%08x", b.hdr.bits);
		assert_string_equal(bits, json_string_value(json_object_get(jb, "bits")));
		assert_int_equal(b.size, json_integer_value(json_object_get(jb, "size")));
		assert_int_equal(b.stripped_size, json_integer_value(json_object_get(jb, "stripped_size")));
		assert_int_equal(b.weight, json_integer_value(json_object_get(jb, "weight")));
		assert_int_equal(b.n_tx, json_integer_value(json_object_get(jb, "tx_count")));
		/* Merkle, witness commitment and PoW are all valid in these. */
		assert_int_equal(tl_block_check_merkle(&b, &err), 0);
		bool present;
		assert_int_equal(tl_block_check_witness(&b, &present, &err), 0);
		assert_int_equal(present, json_is_true(json_object_get(jb, "has_witness_commitment")));
		assert_int_equal(tl_header_check_pow(&b.hdr, np, &err), 0);
		json_t *bh = json_object_get(jb, "bip34_height");
		int64_t height;
		if (json_is_integer(bh)) {
			assert_int_equal(tl_block_bip34_height(&b, &height), 0);
			assert_int_equal(height, json_integer_value(bh));
		}
		/* Block-level totals cover every transaction, not only the
		 * first three that carry full vectors. */
		uint64_t inputs = 0, outputs = 0, value = 0;
		json_t *counts = json_object_get(jb, "output_type_counts");
		int type_count[TL_SCRIPT_TYPE_COUNT] = { 0 };
		for (uint32_t i = 0; i < b.n_tx; i++) {
			inputs += b.tx[i].n_in;
			outputs += b.tx[i].n_out;
			for (uint32_t k = 0; k < b.tx[i].n_out; k++) {
				struct tl_script_info si;
				value += b.tx[i].out[k].value;
				tl_script_classify(b.tx[i].out[k].script, b.tx[i].out[k].script_len, &si);
				type_count[si.type]++;
			}
		}
		assert_int_equal(inputs, json_integer_value(json_object_get(jb, "input_count")));
		assert_int_equal(outputs, json_integer_value(json_object_get(jb, "output_count")));
		assert_int_equal(value, json_integer_value(json_object_get(jb, "output_value_total")));
		for (int t = 0; t < TL_SCRIPT_TYPE_COUNT; t++) {
			json_t *c = json_object_get(counts, tl_script_type_name((enum tl_script_type)t));
			assert_int_equal(type_count[t], c ? json_integer_value(c) : 0);
		}
		json_t *txs = json_object_get(exp, "txs");
		for (size_t i = 0; i < json_array_size(txs); i++) {
			json_t *et = json_array_get(txs, i);
			size_t idx = (size_t)json_integer_value(json_object_get(et, "index"));
			assert_true(idx < b.n_tx);
			check_tx(&b.tx[idx], et, np);
		}
		tl_block_free(&b);
		json_decref(exp);
		free(raw);
		files++;
	}
	closedir(dir);
	assert_int_equal(files, 29);
}

/* The index of the blk sample is the independent truth for the reader. */
static void check_blkdir(const char *sub)
{
	char dir[4096], idx[4096];
	snprintf(dir, sizeof dir, "%s/blk-sample/%s", mainnet_dir, sub);
	snprintf(idx, sizeof idx, "%s/blk-sample/INDEX.json", mainnet_dir);
	json_t *index = load_json(idx);
	struct tl_blkdir *d;
	struct tl_err err;
	assert_int_equal(tl_blkdir_open(dir, tl_net_params(TL_NET_MAIN), &d, &err), 0);
	struct tl_scan_report rep;
	assert_int_equal(tl_blkdir_scan(d, &rep, &err), 0);
	const char *fname;
	json_t *f;
	uint32_t in_chain = 0, not_in_chain = 0, max_height = 0;
	json_object_foreach(json_object_get(index, "files"), fname, f) {
		uint32_t fno = (uint32_t)atoi(fname + 3);
		size_t i;
		json_t *r;
		json_array_foreach(json_object_get(f, "records"), i, r) {
			uint8_t h[32];
			assert_int_equal(tl_hash_from_hex(json_string_value(json_object_get(r, "hash")), h), 0);
			const struct tl_chain_entry *e = tl_blkdir_find(d, h);
			assert_non_null(e);
			assert_int_equal(e->loc.file, fno);
			assert_int_equal(e->loc.offset, json_integer_value(json_object_get(r, "data_offset")));
			assert_int_equal(e->loc.size, json_integer_value(json_object_get(r, "size")));
			assert_int_equal(e->n_tx, json_integer_value(json_object_get(r, "tx_count")));
			if (json_is_true(json_object_get(r, "in_chain_from_genesis"))) {
				uint32_t height = (uint32_t)json_integer_value(json_object_get(r, "height"));
				assert_int_equal(e->height, height);
				assert_memory_equal(tl_blkdir_chain_at(d, height)->hash, h, 32);
				if (height > max_height) max_height = height;
				in_chain++;
			} else {
				not_in_chain++;
			}
		}
	}
	assert_int_equal(tl_blkdir_chain_len(d), max_height + 1);
	assert_int_equal(in_chain, tl_blkdir_chain_len(d));
	assert_int_equal(rep.orphans, not_in_chain);
	assert_int_equal(rep.garbage_skips, 0);
	assert_int_equal(rep.truncated, 0);
	/* Every block of the chain reads back, parses and checks. */
	uint8_t *buf = NULL;
	size_t cap = 0;
	struct tl_block b;
	tl_block_init(&b);
	for (uint32_t h = 0; h < tl_blkdir_chain_len(d); h++) {
		const struct tl_chain_entry *e = tl_blkdir_chain_at(d, h);
		assert_int_equal(tl_blkdir_read(d, &e->loc, &buf, &cap, &err), 0);
		assert_int_equal(tl_block_parse(&b, buf, e->loc.size, &err), 0);
		assert_memory_equal(b.hdr.hash, e->hash, 32);
		assert_int_equal(tl_block_check_merkle(&b, &err), 0);
	}
	/* Each block's work is 0x100010001 (bits 1d00ffff): the tip at
	 * height 438 has 439 times that. */
	assert_int_equal(tl_blkdir_chain_len(d), 439);
	struct tl_u256 w;
	tl_blkdir_tip_work(d, &w);
	assert_int_equal(w.w[0], 0x100010001ull * 439);
	assert_true(!w.w[1] && !w.w[2] && !w.w[3]);
	tl_block_free(&b);
	free(buf);
	tl_blkdir_close(d);
	json_decref(index);
}

static void test_blk_plain(void **state)
{
	(void)state;
	check_blkdir("plain");
}

static void test_blk_obfuscated(void **state)
{
	(void)state;
	check_blkdir("obfuscated");
}

int main(void)
{
	static char dir[4096];
	snprintf(dir, sizeof dir, "%s", tu_shared_path_or_exit("mainnet"));
	mainnet_dir = dir;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocks_match_vectors),
		cmocka_unit_test(test_blk_plain),
		cmocka_unit_test(test_blk_obfuscated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
