/* The simulator against independent checks: its blocks dir is read back
 * with chain/ (blk files, xor, best chain, parser, merkle, witness
 * commitment, BIP34, proof of work); signatures are verified with
 * libsecp256k1 over sighashes recomputed here from the parsed bytes
 * (BIP143 for P2WPKH, BIP341 for P2TR, legacy for P2PKH); no transaction
 * creates value; the truth files agree with the chain; runs are
 * deterministic; --extend makes a reorg the reader follows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitcoin/address.h"
#include "bitcoin/blkfile.h"
#include "bitcoin/block.h"
#include "bitcoin/hash.h"
#include "bitcoin/script.h"
#include "sim/sim.h"
#include "tests/testutil.h"

/* ---- a small hash set / map keyed by 36 bytes (txid + vout) ---------- */

struct ent { uint8_t k[36]; uint64_t value; uint8_t *spk; uint32_t spk_len; int used; };
struct map { struct ent *e; size_t cap, n; };

static uint64_t hkey(const uint8_t *k) { uint64_t h; memcpy(&h, k, 8); return h ^ (uint64_t)k[32] * 0x9e3779b97f4a7c15ull; }

static void map_init(struct map *m) { m->cap = 1 << 16; m->n = 0; m->e = calloc(m->cap, sizeof *m->e); }
static void map_free(struct map *m)
{
	for (size_t i = 0; i < m->cap; i++) free(m->e[i].spk);
	free(m->e);
}
static struct ent *map_find(struct map *m, const uint8_t k[36], int insert)
{
	if (insert && m->n * 2 >= m->cap) {
		struct map n = { calloc(m->cap * 2, sizeof *m->e), m->cap * 2, 0 };
		for (size_t i = 0; i < m->cap; i++)
			if (m->e[i].used == 1) { *map_find(&n, m->e[i].k, 1) = m->e[i]; }
		free(m->e);
		*m = n;
	}
	for (size_t i = hkey(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct ent *e = &m->e[i];
		if (!e->used) {
			if (!insert) return NULL;
			memset(e, 0, sizeof *e);
			memcpy(e->k, k, 36);
			e->used = 1;
			m->n++;
			return e;
		}
		if (!memcmp(e->k, k, 36)) return e;
	}
}
static void key_of(const uint8_t txid[32], uint32_t vout, uint8_t k[36]) { memcpy(k, txid, 32); tl_put_le32(k + 32, vout); }

/* ---- independent sighashes ------------------------------------------ */

static void buf_outputs(struct tl_buf *b, const struct tl_tx *tx)
{
	for (uint32_t i = 0; i < tx->n_out; i++) {
		tl_buf_u64le(b, tx->out[i].value);
		tl_buf_compact(b, tx->out[i].script_len);
		tl_buf_put(b, tx->out[i].script, tx->out[i].script_len);
	}
}

static void bip143(const struct tl_tx *tx, uint32_t idx, const uint8_t *code, size_t code_len, uint64_t amount,
		   uint32_t hashtype, uint8_t out[32])
{
	struct tl_buf b, t;
	tl_buf_init(&b);
	tl_buf_init(&t);
	uint8_t hp[32], hs[32], ho[32];
	for (uint32_t i = 0; i < tx->n_in; i++) { tl_buf_put(&t, tx->in[i].prev_txid, 32); tl_buf_u32le(&t, tx->in[i].prev_vout); }
	tl_sha256d(t.data, t.len, hp);
	t.len = 0;
	for (uint32_t i = 0; i < tx->n_in; i++) tl_buf_u32le(&t, tx->in[i].sequence);
	tl_sha256d(t.data, t.len, hs);
	t.len = 0;
	buf_outputs(&t, tx);
	tl_sha256d(t.data, t.len, ho);
	tl_buf_u32le(&b, (uint32_t)tx->version);
	tl_buf_put(&b, hp, 32);
	tl_buf_put(&b, hs, 32);
	tl_buf_put(&b, tx->in[idx].prev_txid, 32);
	tl_buf_u32le(&b, tx->in[idx].prev_vout);
	tl_buf_compact(&b, code_len);
	tl_buf_put(&b, code, code_len);
	tl_buf_u64le(&b, amount);
	tl_buf_u32le(&b, tx->in[idx].sequence);
	tl_buf_put(&b, ho, 32);
	tl_buf_u32le(&b, tx->locktime);
	tl_buf_u32le(&b, hashtype);
	tl_sha256d(b.data, b.len, out);
	tl_buf_free(&b);
	tl_buf_free(&t);
}

static void tagged(const char *tag, const uint8_t *m, size_t n, uint8_t out[32])
{
	uint8_t th[32];
	tl_sha256(tag, strlen(tag), th);
	struct tl_buf b;
	tl_buf_init(&b);
	tl_buf_put(&b, th, 32);
	tl_buf_put(&b, th, 32);
	tl_buf_put(&b, m, n);
	tl_sha256(b.data, b.len, out);
	tl_buf_free(&b);
}

static void bip341(const struct tl_tx *tx, uint32_t idx, struct ent **prev, uint8_t out[32])
{
	struct tl_buf b, t;
	tl_buf_init(&b);
	tl_buf_init(&t);
	uint8_t sp[32], sa[32], ss[32], sq[32], so[32];
	for (uint32_t i = 0; i < tx->n_in; i++) { tl_buf_put(&t, tx->in[i].prev_txid, 32); tl_buf_u32le(&t, tx->in[i].prev_vout); }
	tl_sha256(t.data, t.len, sp);
	t.len = 0;
	for (uint32_t i = 0; i < tx->n_in; i++) tl_buf_u64le(&t, prev[i]->value);
	tl_sha256(t.data, t.len, sa);
	t.len = 0;
	for (uint32_t i = 0; i < tx->n_in; i++) { tl_buf_compact(&t, prev[i]->spk_len); tl_buf_put(&t, prev[i]->spk, prev[i]->spk_len); }
	tl_sha256(t.data, t.len, ss);
	t.len = 0;
	for (uint32_t i = 0; i < tx->n_in; i++) tl_buf_u32le(&t, tx->in[i].sequence);
	tl_sha256(t.data, t.len, sq);
	t.len = 0;
	buf_outputs(&t, tx);
	tl_sha256(t.data, t.len, so);
	tl_buf_u8(&b, 0);
	tl_buf_u8(&b, 0);
	tl_buf_u32le(&b, (uint32_t)tx->version);
	tl_buf_u32le(&b, tx->locktime);
	tl_buf_put(&b, sp, 32);
	tl_buf_put(&b, sa, 32);
	tl_buf_put(&b, ss, 32);
	tl_buf_put(&b, sq, 32);
	tl_buf_put(&b, so, 32);
	tl_buf_u8(&b, 0);
	tl_buf_u32le(&b, idx);
	tagged("TapSighash", b.data, b.len, out);
	tl_buf_free(&b);
	tl_buf_free(&t);
}

static void legacy(const struct tl_tx *tx, uint32_t idx, const uint8_t *code, size_t code_len, uint8_t out[32])
{
	struct tl_buf b;
	tl_buf_init(&b);
	tl_buf_u32le(&b, (uint32_t)tx->version);
	tl_buf_compact(&b, tx->n_in);
	for (uint32_t i = 0; i < tx->n_in; i++) {
		tl_buf_put(&b, tx->in[i].prev_txid, 32);
		tl_buf_u32le(&b, tx->in[i].prev_vout);
		if (i == idx) { tl_buf_compact(&b, code_len); tl_buf_put(&b, code, code_len); }
		else tl_buf_u8(&b, 0);
		tl_buf_u32le(&b, tx->in[i].sequence);
	}
	tl_buf_compact(&b, tx->n_out);
	buf_outputs(&b, tx);
	tl_buf_u32le(&b, tx->locktime);
	tl_buf_u32le(&b, 1);
	tl_sha256d(b.data, b.len, out);
	tl_buf_free(&b);
}

static secp256k1_context *ctx;

static int verify_ecdsa(const uint8_t *sig, size_t siglen, const uint8_t *pub, size_t publen, const uint8_t msg[32])
{
	secp256k1_ecdsa_signature s;
	secp256k1_pubkey pk;
	if (siglen < 2 || sig[siglen - 1] != 1) return 0; /* SIGHASH_ALL */
	if (!secp256k1_ecdsa_signature_parse_der(ctx, &s, sig, siglen - 1)) return 0;
	if (!secp256k1_ec_pubkey_parse(ctx, &pk, pub, publen)) return 0;
	return secp256k1_ecdsa_verify(ctx, &s, msg, &pk);
}

/* ---- reading a simulated dir ---------------------------------------- */

struct chaininfo {
	uint32_t len;
	uint32_t stale;
	struct map txids;     /* best-chain txids (vout 0xffffffff) */
	struct map utxo;      /* outputs, spent or not, of the best chain */
	uint32_t p2wpkh_ok, p2tr_ok, p2pkh_ok, p2sh_ok, p2wsh_ok, bad_sig;
	uint64_t ntx;
};

static uint64_t subsidy(int64_t h) { return h / 150 >= 64 ? 0 : 5000000000ull >> (h / 150); }

static void read_chain(const char *dir, bool check_sigs, struct chaininfo *ci)
{
	const struct tl_netparams *np = tl_net_params(TL_NET_REGTEST);
	char bdir[4200];
	snprintf(bdir, sizeof bdir, "%s/blocks", dir);
	struct tl_blkdir *d;
	struct tl_err err = { 0 };
	struct tl_scan_report rep;
	memset(ci, 0, sizeof *ci);
	if (tl_blkdir_open(bdir, np, &d, &err)) fail_msg("open: %s", err.msg);
	if (tl_blkdir_scan(d, &rep, &err)) fail_msg("scan: %s", err.msg);
	assert_int_equal(rep.bad_pow, 0);
	assert_int_equal(rep.orphans, 0);
	assert_int_equal(rep.garbage_skips, 0);
	ci->len = tl_blkdir_chain_len(d);
	ci->stale = rep.stale;
	map_init(&ci->txids);
	map_init(&ci->utxo);
	uint8_t *buf = NULL;
	size_t cap = 0;
	struct tl_block b;
	tl_block_init(&b);
	for (uint32_t h = 0; h < ci->len; h++) {
		const struct tl_chain_entry *ce = tl_blkdir_chain_at(d, h);
		if (tl_blkdir_read(d, &ce->loc, &buf, &cap, &err)) fail_msg("read %u: %s", h, err.msg);
		if (tl_block_parse(&b, buf, ce->loc.size, &err)) fail_msg("parse %u: %s", h, err.msg);
		if (tl_block_check_merkle(&b, &err)) fail_msg("merkle %u: %s", h, err.msg);
		if (tl_header_check_pow(&b.hdr, np, &err)) fail_msg("pow %u: %s", h, err.msg);
		bool present;
		if (tl_block_check_witness(&b, &present, &err)) fail_msg("witness %u: %s", h, err.msg);
		if (h > 0) {
			int64_t bh;
			assert_int_equal(tl_block_bip34_height(&b, &bh), 0);
			assert_int_equal(bh, h);
			/* ten minutes apart */
			const struct tl_chain_entry *pe = tl_blkdir_chain_at(d, h - 1);
			if (h > 1) assert_int_equal(b.hdr.time, pe->time + 600);
		}
		uint64_t fees = 0;
		for (uint32_t t = 0; t < b.n_tx; t++) {
			const struct tl_tx *tx = &b.tx[t];
			uint8_t k[36];
			key_of(tx->txid, 0xffffffffu, k);
			assert_null(map_find(&ci->txids, k, 0)); /* no duplicate txids */
			map_find(&ci->txids, k, 1);
			ci->ntx++;
			uint64_t in = 0, out = 0;
			/* Each value within MAX_MONEY, so the sums below cannot wrap
			 * (a wrapped sum once hid a negative change output). */
			for (uint32_t o = 0; o < tx->n_out; o++) {
				assert_true(tx->out[o].value <= 2100000000000000ull);
				out += tx->out[o].value;
			}
			if (t > 0) {
				struct ent *prev[512];
				assert_true(tx->n_in <= 512);
				for (uint32_t i = 0; i < tx->n_in; i++) {
					key_of(tx->in[i].prev_txid, tx->in[i].prev_vout, k);
					struct ent *e = map_find(&ci->utxo, k, 0);
					assert_non_null(e);       /* spends an output of an earlier best-chain tx */
					assert_int_equal(e->used, 1); /* not spent twice */
					prev[i] = e;
					in += e->value;
				}
				assert_true(in >= out);
				fees += in - out;
				for (uint32_t i = 0; check_sigs && i < tx->n_in; i++) {
					struct tl_script_info si;
					tl_script_classify(prev[i]->spk, prev[i]->spk_len, &si);
					size_t pos = 0;
					const uint8_t *it[4];
					size_t il[4];
					int n = 0;
					while (n < 4 && tl_witness_next(&tx->in[i], &pos, &it[n], &il[n]) == 1) n++;
					uint8_t msg[32];
					if (si.type == TL_SCRIPT_WITNESS_V0_KEYHASH) {
						assert_int_equal(n, 2);
						uint8_t h160[20], code[25] = { 0x76, 0xa9, 0x14 };
						tl_hash160(it[1], il[1], h160);
						assert_memory_equal(h160, si.data, 20);
						memcpy(code + 3, h160, 20);
						code[23] = 0x88; code[24] = 0xac;
						bip143(tx, i, code, 25, prev[i]->value, 1, msg);
						if (verify_ecdsa(it[0], il[0], it[1], il[1], msg)) ci->p2wpkh_ok++;
						else ci->bad_sig++;
					} else if (si.type == TL_SCRIPT_WITNESS_V1_TAPROOT) {
						assert_int_equal(n, 1);
						assert_int_equal(il[0], 64);
						secp256k1_xonly_pubkey xp;
						bip341(tx, i, prev, msg);
						if (secp256k1_xonly_pubkey_parse(ctx, &xp, si.data) &&
						    secp256k1_schnorrsig_verify(ctx, it[0], msg, 32, &xp))
							ci->p2tr_ok++;
						else ci->bad_sig++;
					} else if (si.type == TL_SCRIPT_PUBKEYHASH) {
						size_t p = 0;
						uint8_t op;
						const uint8_t *sig, *pub;
						size_t sl, pl;
						assert_int_equal(tl_script_get_op(tx->in[i].script_sig, tx->in[i].script_sig_len, &p, &op, &sig, &sl), 0);
						assert_int_equal(tl_script_get_op(tx->in[i].script_sig, tx->in[i].script_sig_len, &p, &op, &pub, &pl), 0);
						legacy(tx, i, prev[i]->spk, prev[i]->spk_len, msg);
						if (verify_ecdsa(sig, sl, pub, pl, msg)) ci->p2pkh_ok++;
						else ci->bad_sig++;
					} else if (si.type == TL_SCRIPT_WITNESS_V0_SCRIPTHASH) {
						/* 2-of-3 multisig: OP_0 <sig> <sig> <witnessScript>;
						 * the script hashes to the program, and each
						 * signature verifies, under the BIP143 sighash
						 * with the witness script as scriptCode, against
						 * a key, in key order as CHECKMULTISIG demands. */
						assert_int_equal(n, 4);
						assert_int_equal(il[0], 0);
						const uint8_t *ws = it[3];
						assert_int_equal(il[3], 105);
						uint8_t wh[32];
						tl_sha256(ws, il[3], wh);
						assert_memory_equal(wh, si.data, 32);
						assert_int_equal(ws[0], 0x52);
						assert_int_equal(ws[103], 0x53);
						assert_int_equal(ws[104], 0xae);
						const uint8_t *keys[3];
						for (int kk = 0; kk < 3; kk++) {
							assert_int_equal(ws[1 + 34 * kk], 0x21);
							keys[kk] = ws + 2 + 34 * kk;
						}
						bip143(tx, i, ws, il[3], prev[i]->value, 1, msg);
						int key = 0, matched = 0;
						for (int sg = 1; sg <= 2; sg++)
							for (; key < 3; key++)
								if (verify_ecdsa(it[sg], il[sg], keys[key], 33, msg)) {
									matched++;
									key++;
									break;
								}
						if (matched == 2) ci->p2wsh_ok++;
						else ci->bad_sig++;
					} else if (si.type == TL_SCRIPT_SCRIPTHASH) {
						/* P2SH-P2WPKH: BIP143 over the keyhash script */
						assert_int_equal(n, 2);
						uint8_t h160[20], code[25] = { 0x76, 0xa9, 0x14 };
						tl_hash160(it[1], il[1], h160);
						memcpy(code + 3, h160, 20);
						code[23] = 0x88; code[24] = 0xac;
						bip143(tx, i, code, 25, prev[i]->value, 1, msg);
						if (verify_ecdsa(it[0], il[0], it[1], il[1], msg)) ci->p2sh_ok++;
						else ci->bad_sig++;
					}
				}
				for (uint32_t i = 0; i < tx->n_in; i++) prev[i]->used = 2; /* spent */
			}
			for (uint32_t o = 0; o < tx->n_out; o++) {
				key_of(tx->txid, o, k);
				struct ent *e = map_find(&ci->utxo, k, 1);
				e->value = tx->out[o].value;
				e->spk_len = tx->out[o].script_len;
				e->spk = malloc(e->spk_len + 1);
				memcpy(e->spk, tx->out[o].script, e->spk_len);
			}
		}
		if (h > 0) {
			uint64_t cb = 0;
			for (uint32_t o = 0; o < b.tx[0].n_out; o++) cb += b.tx[0].out[o].value;
			assert_true(cb <= subsidy(h) + fees);
		}
	}
	tl_block_free(&b);
	free(buf);
	tl_blkdir_close(d);
}

static void free_chain(struct chaininfo *ci)
{
	map_free(&ci->txids);
	map_free(&ci->utxo);
}

static bool in_chain(struct chaininfo *ci, const char *hex)
{
	uint8_t h[32], k[36];
	if (tl_hash_from_hex(hex, h)) fail_msg("bad txid %s", hex);
	key_of(h, 0xffffffffu, k);
	return map_find(&ci->txids, k, 0) != NULL;
}

static void all_in_chain(struct chaininfo *ci, json_t *arr, const char *what)
{
	size_t i;
	json_t *v;
	assert_true(json_is_array(arr));
	json_array_foreach(arr, i, v)
		if (!in_chain(ci, json_string_value(v))) fail_msg("%s %s not in the best chain", what, json_string_value(v));
}

static json_t *load(const char *dir, const char *name)
{
	char p[4200];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	json_error_t je;
	json_t *j = json_load_file(p, 0, &je);
	if (!j) fail_msg("%s: %s", p, je.text);
	return j;
}

static void check_truth(const char *dir, struct chaininfo *ci, bool expect_heist_parts)
{
	json_t *t = load(dir, "truth.json");
	const struct tl_netparams *np = tl_net_params(TL_NET_REGTEST);
	json_t *hs = json_object_get(t, "heists");
	assert_true(json_array_size(hs) >= 1);
	size_t i, j;
	json_t *h, *v;
	json_array_foreach(hs, i, h) {
		assert_true(json_is_true(json_object_get(h, "happened")));
		assert_true(in_chain(ci, json_string_value(json_object_get(h, "theft_txid"))));
		all_in_chain(ci, json_object_get(h, "attacker_txids"), "attacker tx");
		all_in_chain(ci, json_object_get(h, "coinjoin_txids"), "coinjoin");
		json_array_foreach(json_object_get(h, "peel_chains"), j, v) all_in_chain(ci, v, "peel hop");
		json_array_foreach(json_object_get(h, "cashouts"), j, v) {
			const char *txid = json_string_value(json_object_get(v, "txid"));
			uint8_t th[32], k[36];
			assert_int_equal(tl_hash_from_hex(txid, th), 0);
			key_of(th, (uint32_t)json_integer_value(json_object_get(v, "vout")), k);
			struct ent *e = map_find(&ci->utxo, k, 0);
			assert_non_null(e);
			assert_int_equal(e->value, json_integer_value(json_object_get(v, "amount_sat")));
			char addr[TL_ADDRESS_MAX];
			assert_int_equal(tl_address_from_script(e->spk, e->spk_len, np, addr), 0);
			assert_string_equal(addr, json_string_value(json_object_get(v, "address")));
		}
		json_array_foreach(json_object_get(h, "dormant"), j, v) {
			uint8_t th[32], k[36];
			assert_int_equal(tl_hash_from_hex(json_string_value(json_object_get(v, "txid")), th), 0);
			key_of(th, (uint32_t)json_integer_value(json_object_get(v, "vout")), k);
			struct ent *e = map_find(&ci->utxo, k, 0);
			assert_non_null(e);
			assert_int_equal(e->used, 1); /* dormant = still unspent */
		}
		if (expect_heist_parts) {
			assert_true(json_array_size(json_object_get(h, "peel_chains")) > 0);
			assert_true(json_array_size(json_object_get(h, "cashouts")) > 0);
			assert_true(json_array_size(json_object_get(h, "coinjoin_txids")) > 0);
			assert_true(json_array_size(json_object_get(h, "dormant")) > 0);
		}
	}
	all_in_chain(ci, json_object_get(t, "coinjoin_txids"), "coinjoin");
	json_t *stale = json_object_get(t, "stale_txids");
	assert_true(json_array_size(stale) > 0);
	json_array_foreach(stale, i, v)
		if (in_chain(ci, json_string_value(v))) fail_msg("stale txid %s is in the best chain", json_string_value(v));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(t, "chain"), "tip_height")), ci->len - 1);
	json_decref(t);

	/* heists.json seeds name best-chain transactions */
	json_t *hj = load(dir, "heists.json");
	json_array_foreach(json_object_get(hj, "heists"), i, h) {
		assert_string_equal(json_string_value(json_object_get(h, "chain")), "bitcoin-regtest");
		assert_non_null(strstr(json_string_value(json_object_get(json_object_get(h, "attribution"), "authority")), "simulat"));
		json_array_foreach(json_object_get(h, "seeds"), j, v) {
			const char *txid = json_string_value(json_object_get(v, "txid"));
			if (txid) assert_true(in_chain(ci, txid));
		}
	}
	json_decref(hj);
}

static char *run_sim_shape(const char *tag, uint64_t seed, bool fast, uint8_t shape)
{
	char *dir = tu_tmpdir(tag);
	struct tl_sim_params p;
	tl_sim_params_default(&p);
	p.shape = shape;
	p.seed = seed;
	p.blocks = 150;
	p.txs_per_block = 12;
	p.forks = 3;
	p.fast = fast;
	struct tl_err err = { 0 };
	struct tl_sim_stats st;
	if (tl_sim_run(dir, &p, &st, &err)) fail_msg("tl_sim_run: %s", err.msg);
	assert_int_equal(st.tip, 150);
	assert_true(st.stale_blocks > 0);
	return dir;
}

static char *run_sim(const char *tag, uint64_t seed, bool fast)
{
	return run_sim_shape(tag, seed, fast, TL_SIM_SHAPE_DEMO);
}

static void test_signed_chain(void **state)
{
	(void)state;
	char *dir = run_sim("sim-signed", 7, false);
	struct chaininfo ci;
	read_chain(dir, true, &ci);
	assert_int_equal(ci.len, 151);
	assert_true(ci.stale > 0);
	assert_int_equal(ci.bad_sig, 0);
	assert_true(ci.p2wpkh_ok > 20);
	assert_true(ci.p2tr_ok > 10);
	assert_true(ci.p2pkh_ok > 0);
	assert_true(ci.p2sh_ok > 0);
	assert_true(ci.p2wsh_ok > 0);
	print_message("signatures verified: p2wpkh %u, p2tr %u, p2pkh %u, p2sh-p2wpkh %u, p2wsh 2-of-3 %u\n", ci.p2wpkh_ok,
		      ci.p2tr_ok, ci.p2pkh_ok, ci.p2sh_ok, ci.p2wsh_ok);
	check_truth(dir, &ci, true);
	/* the chain genesis is the real regtest genesis block */
	free_chain(&ci);
	json_t *t = load(dir, "truth.json");
	assert_false(json_is_true(json_object_get(t, "fast")));
	json_decref(t);
	/* tags: every exchange and mixer address, header first */
	char p[4200];
	snprintf(p, sizeof p, "%s/tags.csv", dir);
	size_t len;
	char *tags = (char *)tu_read_file(p, &len);
	assert_true(len > 100);
	assert_memory_equal(tags, "chain,address,label,category,source,confidence\n", 47);
	assert_non_null(strstr(tags, ",exchange,"));
	assert_non_null(strstr(tags, ",mixer,"));
	free(tags);
	tu_rmrf(dir);
	free(dir);
}

static void test_fast_chain(void **state)
{
	(void)state;
	char *dir = run_sim("sim-fast", 7, true);
	struct chaininfo ci;
	read_chain(dir, false, &ci);
	assert_int_equal(ci.len, 151);
	check_truth(dir, &ci, false);
	free_chain(&ci);
	json_t *t = load(dir, "truth.json");
	assert_true(json_is_true(json_object_get(t, "fast")));
	json_decref(t);
	tu_rmrf(dir);
	free(dir);
}

/* The mainnet shape changes who pays whom and how, not the heist: its
 * signed chain verifies and its truth holds as the demo's does. */
static void test_mainnet_shape_truth(void **state)
{
	(void)state;
	char *dir = run_sim_shape("sim-mainnet", 7, false, TL_SIM_SHAPE_MAINNET);
	struct chaininfo ci;
	read_chain(dir, true, &ci);
	assert_int_equal(ci.len, 151);
	assert_int_equal(ci.bad_sig, 0);
	assert_true(ci.p2pkh_ok > 0 && ci.p2sh_ok > 0 && ci.p2wpkh_ok > 0 && ci.p2tr_ok > 0 && ci.p2wsh_ok > 0);
	check_truth(dir, &ci, true);
	free_chain(&ci);
	json_t *t = load(dir, "sim-state.json");
	assert_string_equal(json_string_value(json_object_get(t, "shape")), "mainnet");
	json_decref(t);
	/* extending replays the recorded shape: the replayed part is unchanged */
	struct tl_err err = { 0 };
	if (tl_sim_extend(dir, 3, 2, NULL, NULL, NULL, &err)) fail_msg("extend: %s", err.msg);
	read_chain(dir, false, &ci);
	assert_int_equal(ci.len, 151 + 3);
	check_truth(dir, &ci, true);
	free_chain(&ci);
	tu_rmrf(dir);
	free(dir);
}

static int files_equal(const char *a, const char *b, const char *name)
{
	char pa[4200], pb[4200];
	snprintf(pa, sizeof pa, "%s/%s", a, name);
	snprintf(pb, sizeof pb, "%s/%s", b, name);
	size_t la, lb;
	uint8_t *x = tu_read_file(pa, &la), *y = tu_read_file(pb, &lb);
	int eq = la == lb && !memcmp(x, y, la);
	free(x);
	free(y);
	return eq;
}

static void test_deterministic(void **state)
{
	(void)state;
	char *a = run_sim("sim-det-a", 11, true);
	char *b = run_sim("sim-det-b", 11, true);
	char *c = run_sim("sim-det-c", 12, true);
	static const char *files[] = { "blocks/blk00000.dat", "blocks/xor.dat", "truth.json", "tags.csv", "heists.json" };
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		if (!files_equal(a, b, files[i])) fail_msg("%s differs between two runs with one seed", files[i]);
		if (files_equal(a, c, files[i])) fail_msg("%s is the same for different seeds", files[i]);
	}
	tu_rmrf(a); tu_rmrf(b); tu_rmrf(c);
	free(a); free(b); free(c);
}

static void test_extend_reorg(void **state)
{
	(void)state;
	char *dir = run_sim("sim-ext", 5, true);
	struct chaininfo before;
	read_chain(dir, false, &before);
	struct tl_err err = { 0 };
	struct tl_sim_stats st;
	if (tl_sim_extend(dir, 4, 2, NULL, NULL, &st, &err)) fail_msg("extend: %s", err.msg);
	assert_int_equal(st.tip, 150 - 4 + 5 + 2);
	struct chaininfo after;
	read_chain(dir, false, &after);
	assert_int_equal(after.len, st.tip + 1);
	check_truth(dir, &after, false);
	/* every best-chain txid of the replaced blocks is now stale and gone */
	json_t *t = load(dir, "truth.json");
	json_t *stale = json_object_get(t, "stale_txids");
	size_t i;
	json_t *v;
	size_t was_best = 0;
	json_array_foreach(stale, i, v)
		if (in_chain(&before, json_string_value(v))) was_best++;
	assert_true(was_best >= 4); /* at least the 4 replaced coinbases */
	assert_int_equal(json_array_size(json_object_get(json_object_get(t, "parameters"), "extensions")), 1);
	json_decref(t);
	free_chain(&before);
	free_chain(&after);
	/* bad depth: a clear error */
	assert_int_equal(tl_sim_extend(dir, 100000, 0, NULL, NULL, NULL, &err), -1);
	assert_true(strlen(err.msg) > 0);
	tu_rmrf(dir);
	free(dir);
}

/* A chain written with a small block file size (like Core's -fastprune)
 * spans several blk files; the blocks directory reader finds the same
 * best chain in them as in the single-file layout of the same seed, and
 * every file stays under the limit. */
static void test_small_blk_files(void **state)
{
	(void)state;
	struct tl_sim_params p;
	tl_sim_params_default(&p);
	p.seed = 11;
	p.blocks = 150;
	p.txs_per_block = 12;
	p.forks = 2;
	p.fast = true;
	struct tl_err err = { 0 };
	struct tl_sim_stats st1, st2;
	char *one = tu_tmpdir("sim-onefile");
	if (tl_sim_run(one, &p, &st1, &err)) fail_msg("tl_sim_run: %s", err.msg);
	p.blockfile_max = 65536;
	char *many = tu_tmpdir("sim-manyfiles");
	if (tl_sim_run(many, &p, &st2, &err)) fail_msg("tl_sim_run: %s", err.msg);
	assert_int_equal(st1.files, 1);
	assert_true(st2.bytes > 4 * 65536); /* enough data for several files */
	assert_true(st2.files >= st2.bytes / 65536);
	assert_int_equal(st1.bytes, st2.bytes);
	uint32_t nfiles = 0;
	for (;; nfiles++) {
		char path[4300];
		snprintf(path, sizeof path, "%s/blocks/blk%05u.dat", many, nfiles);
		FILE *f = fopen(path, "rb");
		if (!f) break;
		fseek(f, 0, SEEK_END);
		long sz = ftell(f);
		fclose(f);
		assert_true(sz > 0 && sz < 65536);
	}
	assert_int_equal(nfiles, st2.files);
	print_message("%llu bytes of blocks in %u blk files of at most 64 KiB\n", (unsigned long long)st2.bytes, nfiles);
	struct chaininfo a, b;
	read_chain(one, false, &a);
	read_chain(many, false, &b);
	assert_int_equal(a.len, 151);
	assert_int_equal(b.len, a.len);
	assert_int_equal(b.ntx, a.ntx);
	assert_int_equal(b.stale, a.stale);
	/* the same transactions */
	assert_int_equal(b.txids.n, a.txids.n);
	for (size_t i = 0; i < a.txids.cap; i++)
		if (a.txids.e[i].used) assert_non_null(map_find(&b.txids, a.txids.e[i].k, 0));
	free_chain(&a);
	free_chain(&b);
	/* bad sizes are refused */
	char *bad = tu_tmpdir("sim-badfile");
	p.blockfile_max = 1000;
	assert_int_equal(tl_sim_run(bad, &p, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "block file size"));
	tu_rmrf(bad);
	tu_rmrf(one);
	tu_rmrf(many);
	free(bad);
	free(one);
	free(many);
}

static void test_bad_params(void **state)
{
	(void)state;
	struct tl_sim_params p;
	tl_sim_params_default(&p);
	struct tl_err err = { 0 };
	char *dir = tu_tmpdir("sim-bad");
	p.blocks = 50;
	assert_int_equal(tl_sim_run(dir, &p, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "--blocks"));
	tl_sim_params_default(&p);
	p.net = TL_NET_MAIN;
	assert_int_equal(tl_sim_run(dir, &p, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "regtest"));
	tl_sim_params_default(&p);
	p.txs_per_block = 0;
	assert_int_equal(tl_sim_run(dir, &p, NULL, &err), -1);
	assert_int_equal(tl_sim_extend(dir, 3, 0, NULL, NULL, NULL, &err), -1); /* not a simulated dir */
	tu_rmrf(dir);
	free(dir);
}

int main(void)
{
	ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signed_chain),
		cmocka_unit_test(test_fast_chain),
		cmocka_unit_test(test_mainnet_shape_truth),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_extend_reorg),
		cmocka_unit_test(test_small_blk_files),
		cmocka_unit_test(test_bad_params),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	secp256k1_context_destroy(ctx);
	return rc;
}
