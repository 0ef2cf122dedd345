/* Esplora-shaped JSON views over the store and the blk files. */
#include "store/esplora_json.h"

#include <stdlib.h>
#include <string.h>

#include "bitcoin/address.h"
#include "base/arena.h"
#include "base/bytes.h"
#include "bitcoin/block.h"
#include "bitcoin/hash.h"
#include "bitcoin/merkle_proof.h"
#include "bitcoin/script.h"
#include "bitcoin/script_asm.h"
#include "bitcoin/tx.h"

const char *tl_esplora_script_type(const uint8_t *script, size_t len)
{
	if (len == 0) return "empty";
	if (script[0] == 0x6a) return "op_return";
	struct tl_script_info si;
	tl_script_classify(script, len, &si);
	switch (si.type) {
	case TL_SCRIPT_PUBKEY: return "p2pk";
	case TL_SCRIPT_PUBKEYHASH: return "p2pkh";
	case TL_SCRIPT_SCRIPTHASH: return "p2sh";
	case TL_SCRIPT_WITNESS_V0_KEYHASH: return "v0_p2wpkh";
	case TL_SCRIPT_WITNESS_V0_SCRIPTHASH: return "v0_p2wsh";
	case TL_SCRIPT_WITNESS_V1_TAPROOT: return "v1_p2tr";
	default: return "unknown";
	}
}

static json_t *hex_json(const uint8_t *p, size_t n)
{
	char *h = malloc(2 * n + 1);
	if (!h) abort();
	tl_hex_encode(p, n, h);
	json_t *j = json_string(h);
	free(h);
	return j;
}

static json_t *hash_json(const uint8_t h[32])
{
	char hex[65];
	tl_hash_to_hex(h, hex);
	return json_string(hex);
}

/* A script's assembly text as a JSON string. */
static json_t *asm_json(const uint8_t *p, size_t n)
{
	char *a = tl_script_asm(p, n);
	json_t *j = json_string(a);
	free(a);
	return j;
}

static int is_p2sh(const uint8_t *s, size_t n)
{
	return n == 23 && s[0] == 0xa9 && s[1] == 0x14 && s[22] == 0x87;
}

static int is_p2wsh(const uint8_t *s, size_t n)
{
	return n == 34 && s[0] == 0x00 && s[1] == 0x20;
}

static int is_p2tr(const uint8_t *s, size_t n)
{
	return n == 34 && s[0] == 0x51 && s[1] == 0x20;
}

/* The scripts an input reveals, as electrs finds them from the spent
 * output's script (spk):
 *   inner_redeemscript_asm: a P2SH spend's redeemScript, the last
 *     operation of the scriptSig when it is a push;
 *   inner_witnessscript_asm: the last witness item of a P2WSH spend or of
 *     a P2SH spend whose redeemScript is P2WSH; for a P2TR spend the
 *     tapscript of a script-path spend (second item from the end, third
 *     when the last item is a BIP341 annex starting 0x50); none for a
 *     key-path spend.
 * Each is omitted when there is none. */
static void inner_scripts(json_t *v, const struct tl_txin *in, const uint8_t *spk, size_t spk_len)
{
	const uint8_t *rs = NULL;
	size_t rs_len = 0;
	int have_rs = is_p2sh(spk, spk_len) && tl_script_last_push(in->script_sig, in->script_sig_len, &rs, &rs_len);
	if (have_rs) json_object_set_new(v, "inner_redeemscript_asm", asm_json(rs, rs_len));
	int tr = is_p2tr(spk, spk_len);
	if (!(is_p2wsh(spk, spk_len) || tr || (have_rs && is_p2wsh(rs, rs_len)))) return;
	/* The last three witness items. */
	const uint8_t *item[3] = { 0 };
	size_t ilen[3] = { 0 }, count = 0, pos = 0;
	const uint8_t *it;
	size_t il;
	while (tl_witness_next(in, &pos, &it, &il) == 1) {
		item[count % 3] = it;
		ilen[count % 3] = il;
		count++;
	}
	if (!count) return;
	size_t from_end = 1; /* 1 = last item */
	if (tr) {
		const size_t last = (count - 1) % 3;
		from_end = count >= 2 && ilen[last] > 0 && item[last][0] == 0x50 ? 3 : 2;
		if (count < from_end) return;
	}
	size_t k = (count - from_end) % 3;
	json_object_set_new(v, "inner_witnessscript_asm", asm_json(item[k], ilen[k]));
}

static json_t *vout_json(const struct tl_netparams *np, const uint8_t *script, size_t len, uint64_t value)
{
	json_t *o = json_object();
	json_object_set_new(o, "scriptpubkey", hex_json(script, len));
	json_object_set_new(o, "scriptpubkey_asm", asm_json(script, len));
	json_object_set_new(o, "scriptpubkey_type", json_string(tl_esplora_script_type(script, len)));
	char addr[TL_ADDRESS_MAX];
	if (tl_address_from_script(script, len, np, addr) == 0)
		json_object_set_new(o, "scriptpubkey_address", json_string(addr));
	json_object_set_new(o, "value", json_integer((json_int_t)value));
	return o;
}

json_t *tl_esplora_status(struct tl_store *s, int32_t height, struct tl_err *err)
{
	struct tl_block_rec b;
	int rc = tl_store_block_by_height(s, height, &b, err);
	if (rc < 0) return NULL;
	json_t *o = json_object();
	json_object_set_new(o, "confirmed", json_boolean(rc == 1));
	if (rc == 1) {
		json_object_set_new(o, "block_height", json_integer(height));
		json_object_set_new(o, "block_hash", hash_json(b.hash));
		json_object_set_new(o, "block_time", json_integer(b.time));
	}
	return o;
}

json_t *tl_esplora_tx(struct tl_store *s, struct tl_blkdir *d, const struct tl_tx_rec *r, struct tl_err *err)
{
	const struct tl_netparams *np = tl_store_net(s);
	struct tl_rawtx t;
	if (tl_store_rawtx(s, d, r, &t, err) < 0) return NULL;
	json_t *o = json_object();
	json_object_set_new(o, "txid", hash_json(r->txid));
	json_object_set_new(o, "version", json_integer(t.tx.version));
	json_object_set_new(o, "locktime", json_integer(t.tx.locktime));
	json_t *vin = json_array();
	for (uint32_t i = 0; i < t.tx.n_in; i++) {
		const struct tl_txin *in = &t.tx.in[i];
		const struct tl_in_rec *ir = i < r->n_in ? &r->in[i] : NULL;
		json_t *v = json_object();
		json_object_set_new(v, "txid", hash_json(in->prev_txid));
		json_object_set_new(v, "vout", json_integer(in->prev_vout));
		json_t *prevout = json_null();
		json_t *inner = json_object(); /* inner_*_asm, added after sequence */
		if (ir && ir->kind == TL_IN_KNOWN) {
			/* The spent output's script comes from its own transaction.
			 * A failed read is an error, not a null prevout: a client
			 * must not take an unreadable input for an unknown one. */
			struct tl_tx_rec pr;
			int rc = tl_store_tx(s, ir->prev_tx_num, &pr, err);
			struct tl_rawtx pt;
			if (rc == 0) tl_err_set(err, "input %u: spent transaction %llu missing from the index", i,
						(unsigned long long)ir->prev_tx_num);
			if (rc == 1) {
				if (tl_store_rawtx(s, d, &pr, &pt, err) < 0) {
					rc = -1;
				} else if (ir->prev_vout >= pt.tx.n_out) {
					tl_err_set(err, "input %u: spent output %u beyond its transaction's %u", i,
						   ir->prev_vout, pt.tx.n_out);
					tl_rawtx_free(&pt);
					rc = -1;
				}
				tl_tx_rec_free(&pr);
			}
			if (rc != 1) {
				json_decref(prevout);
				json_decref(inner);
				json_decref(v);
				json_decref(vin);
				json_decref(o);
				tl_rawtx_free(&t);
				return NULL;
			}
			const struct tl_txout *po = &pt.tx.out[ir->prev_vout];
			json_decref(prevout);
			prevout = vout_json(np, po->script, po->script_len, po->value);
			inner_scripts(inner, in, po->script, po->script_len);
			tl_rawtx_free(&pt);
		}
		json_object_set_new(v, "prevout", prevout);
		json_object_set_new(v, "scriptsig", hex_json(in->script_sig, in->script_sig_len));
		json_object_set_new(v, "scriptsig_asm", asm_json(in->script_sig, in->script_sig_len));
		if (in->witness_items) {
			json_t *w = json_array();
			size_t pos = 0;
			const uint8_t *item;
			size_t ilen;
			while (tl_witness_next(in, &pos, &item, &ilen) == 1) json_array_append_new(w, hex_json(item, ilen));
			json_object_set_new(v, "witness", w);
		}
		json_object_set_new(v, "is_coinbase",
				    json_boolean((ir && ir->kind == TL_IN_COINBASE) || (i == 0 && tl_tx_is_coinbase(&t.tx))));
		json_object_set_new(v, "sequence", json_integer(in->sequence));
		json_object_update(v, inner);
		json_decref(inner);
		json_array_append_new(vin, v);
	}
	json_object_set_new(o, "vin", vin);
	json_t *vout = json_array();
	for (uint32_t i = 0; i < t.tx.n_out; i++)
		json_array_append_new(vout, vout_json(np, t.tx.out[i].script, t.tx.out[i].script_len, t.tx.out[i].value));
	json_object_set_new(o, "vout", vout);
	json_object_set_new(o, "size", json_integer(r->size));
	json_object_set_new(o, "weight", json_integer(tl_tx_weight(&t.tx)));
	json_object_set_new(o, "fee", json_integer((json_int_t)r->fee));
	json_t *st = tl_esplora_status(s, r->height, err);
	json_object_set_new(o, "status", st ? st : json_null());
	tl_rawtx_free(&t);
	return o;
}

json_t *tl_esplora_tx_by_txid(struct tl_store *s, struct tl_blkdir *d, const uint8_t txid[32], struct tl_err *err)
{
	struct tl_tx_rec r;
	int rc = tl_store_tx_by_txid(s, txid, &r, err);
	if (rc <= 0) {
		if (rc == 0) tl_err_set(err, "Transaction not found");
		return NULL;
	}
	json_t *j = tl_esplora_tx(s, d, &r, err);
	tl_tx_rec_free(&r);
	return j;
}

json_t *tl_esplora_outspends(struct tl_store *s, const struct tl_tx_rec *r, struct tl_err *err)
{
	json_t *a = json_array();
	for (uint32_t o = 0; o < r->n_out; o++) {
		uint64_t sp;
		uint32_t vin;
		int rc = tl_store_spender(s, r->tx_num, o, &sp, &vin, err);
		if (rc < 0) {
			json_decref(a);
			return NULL;
		}
		json_t *j = json_object();
		json_object_set_new(j, "spent", json_boolean(rc == 1));
		if (rc == 1) {
			struct tl_tx_rec st;
			if (tl_store_tx(s, sp, &st, err) != 1) {
				json_decref(j);
				json_decref(a);
				return NULL;
			}
			json_object_set_new(j, "txid", hash_json(st.txid));
			json_object_set_new(j, "vin", json_integer(vin));
			json_t *status = tl_esplora_status(s, st.height, err);
			json_object_set_new(j, "status", status ? status : json_null());
			tl_tx_rec_free(&st);
		}
		json_array_append_new(a, j);
	}
	return a;
}

static json_t *stats_json(const struct tl_addr_info *a)
{
	json_t *o = json_object();
	json_object_set_new(o, "funded_txo_count", json_integer(a ? (json_int_t)a->funded_count : 0));
	json_object_set_new(o, "funded_txo_sum", json_integer(a ? (json_int_t)a->funded_sum : 0));
	json_object_set_new(o, "spent_txo_count", json_integer(a ? (json_int_t)a->spent_count : 0));
	json_object_set_new(o, "spent_txo_sum", json_integer(a ? (json_int_t)a->spent_sum : 0));
	json_object_set_new(o, "tx_count", json_integer(a ? (json_int_t)a->tx_count : 0));
	return o;
}

/* {name: value, chain_stats, mempool_stats} of owner id (rc: whether
 * it was found). */
static json_t *owner_json(struct tl_store *s, const char *name, const char *value, int rc, uint64_t id,
			  struct tl_err *err)
{
	if (rc < 0) return NULL;
	struct tl_addr_info a;
	if (rc == 1) {
		rc = tl_store_addr_info(s, id, &a, err);
		if (rc < 0) return NULL;
	}
	json_t *o = json_object();
	json_object_set_new(o, name, json_string(value));
	json_object_set_new(o, "chain_stats", stats_json(rc == 1 ? &a : NULL));
	json_object_set_new(o, "mempool_stats", stats_json(NULL));
	return o;
}

json_t *tl_esplora_address(struct tl_store *s, const char *address, struct tl_err *err)
{
	uint64_t id = 0;
	int rc = tl_store_addr_id_of_string(s, address, &id, err);
	return owner_json(s, "address", address, rc, id, err);
}

json_t *tl_esplora_scripthash(struct tl_store *s, const uint8_t sh[32], struct tl_err *err)
{
	uint64_t id = 0;
	int rc = tl_store_addr_id_of_scripthash(s, sh, &id, err);
	char hex[65];
	tl_hash_to_hex(sh, hex);
	return owner_json(s, "scripthash", hex, rc, id, err);
}

/* The tx_num at which a history page resumes after txid: the newest
 * transaction with that txid (txids repeat: BIP30) that is in addr_id's
 * history. Returns 1 with *tx_num, 0 when no such transaction is in the
 * history, -1 on a read error. */
static int history_position(struct tl_store *s, uint64_t addr_id, const uint8_t txid[32], uint64_t *tx_num,
			    struct tl_err *err)
{
	uint64_t nums[8];
	int n = tl_store_txid_nums(s, txid, nums, 8, err);
	if (n < 0) return -1;
	for (int i = (n < 8 ? n : 8) - 1; i >= 0; i--) {
		struct tl_hist_row row;
		int k = tl_store_hist_page(s, addr_id, nums[i] + 1, &row, 1, err);
		if (k < 0) return -1;
		if (k == 1 && row.tx_num == nums[i]) {
			*tx_num = nums[i];
			return 1;
		}
	}
	return 0;
}

static json_t *owner_txs(struct tl_store *s, struct tl_blkdir *d, int rc, uint64_t id, const uint8_t *last_seen,
			 int limit, struct tl_err *err)
{
	if (rc < 0) return NULL;
	json_t *a = json_array();
	if (rc == 0 || limit <= 0) return a;
	uint64_t before = UINT64_MAX;
	if (last_seen) {
		int rc2 = history_position(s, id, last_seen, &before, err);
		if (rc2 <= 0) {
			/* An unknown txid, or one outside this history, ends the
			 * listing (as electrs): never the first page again, which
			 * would make a paging client loop. */
			if (rc2 < 0) {
				json_decref(a);
				return NULL;
			}
			return a;
		}
	}
	struct tl_hist_row *rows = malloc((size_t)limit * sizeof *rows);
	if (!rows) abort();
	int n = tl_store_hist_page(s, id, before, rows, limit, err);
	for (int i = 0; i < n; i++) {
		struct tl_tx_rec r;
		rc = tl_store_tx(s, rows[i].tx_num, &r, err);
		json_t *j = rc == 1 ? tl_esplora_tx(s, d, &r, err) : NULL;
		if (rc == 1) tl_tx_rec_free(&r);
		if (!j) {
			if (rc == 0) tl_err_set(err, "history row for missing transaction");
			n = -1;
			break;
		}
		json_array_append_new(a, j);
	}
	free(rows);
	if (n < 0) {
		json_decref(a);
		return NULL;
	}
	return a;
}

json_t *tl_esplora_address_txs(struct tl_store *s, struct tl_blkdir *d, const char *address,
			       const uint8_t *last_seen, int limit, struct tl_err *err)
{
	uint64_t id = 0;
	int rc = tl_store_addr_id_of_string(s, address, &id, err);
	return owner_txs(s, d, rc, id, last_seen, limit, err);
}

json_t *tl_esplora_scripthash_txs(struct tl_store *s, struct tl_blkdir *d, const uint8_t sh[32],
				  const uint8_t *last_seen, int limit, struct tl_err *err)
{
	uint64_t id = 0;
	int rc = tl_store_addr_id_of_scripthash(s, sh, &id, err);
	return owner_txs(s, d, rc, id, last_seen, limit, err);
}

static json_t *owner_utxo(struct tl_store *s, int rc, uint64_t id, int limit, struct tl_err *err)
{
	if (rc < 0) return NULL;
	json_t *a = json_array();
	if (rc == 0) return a;
	struct tl_utxo *u = malloc((size_t)(limit > 0 ? limit : 1) * sizeof *u);
	if (!u) abort();
	int n = tl_store_addr_utxos(s, id, u, limit, err);
	if (n > limit) {
		tl_err_set(err, "Too many history entries");
		n = -1;
	}
	for (int i = 0; i < n; i++) {
		struct tl_tx_rec r;
		if (tl_store_tx(s, u[i].tx_num, &r, err) != 1) {
			n = -1;
			break;
		}
		json_t *j = json_object();
		json_object_set_new(j, "txid", hash_json(r.txid));
		json_object_set_new(j, "vout", json_integer(u[i].vout));
		json_t *st = tl_esplora_status(s, r.height, err);
		json_object_set_new(j, "status", st ? st : json_null());
		json_object_set_new(j, "value", json_integer((json_int_t)u[i].value));
		json_array_append_new(a, j);
		tl_tx_rec_free(&r);
	}
	free(u);
	if (n < 0) {
		json_decref(a);
		return NULL;
	}
	return a;
}

json_t *tl_esplora_address_utxo(struct tl_store *s, const char *address, int limit, struct tl_err *err)
{
	uint64_t id = 0;
	int rc = tl_store_addr_id_of_string(s, address, &id, err);
	return owner_utxo(s, rc, id, limit, err);
}

json_t *tl_esplora_scripthash_utxo(struct tl_store *s, const uint8_t sh[32], int limit, struct tl_err *err)
{
	uint64_t id = 0;
	int rc = tl_store_addr_id_of_scripthash(s, sh, &id, err);
	return owner_utxo(s, rc, id, limit, err);
}

json_t *tl_esplora_block(const struct tl_block_rec *b)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", hash_json(b->hash));
	json_object_set_new(o, "height", json_integer(b->height));
	json_object_set_new(o, "version", json_integer(b->version));
	json_object_set_new(o, "timestamp", json_integer(b->time));
	json_object_set_new(o, "tx_count", json_integer(b->n_tx));
	json_object_set_new(o, "size", json_integer(b->size));
	json_object_set_new(o, "weight", json_integer(b->weight));
	json_object_set_new(o, "merkle_root", hash_json(b->merkle));
	json_object_set_new(o, "previousblockhash", b->height > 0 ? hash_json(b->prev) : json_null());
	json_object_set_new(o, "mediantime", json_integer(b->median_time));
	json_object_set_new(o, "nonce", json_integer(b->nonce));
	json_object_set_new(o, "bits", json_integer(b->bits));
	json_object_set_new(o, "difficulty", json_real(tl_bits_difficulty(b->bits)));
	return o;
}

json_t *tl_esplora_block_status(struct tl_store *s, const uint8_t hash[32], struct tl_err *err)
{
	struct tl_block_rec b;
	int rc = tl_store_block_by_hash(s, hash, &b, err);
	if (rc < 0) return NULL;
	json_t *o = json_object();
	json_object_set_new(o, "in_best_chain", json_boolean(rc == 1));
	if (rc == 0) return o;
	json_object_set_new(o, "height", json_integer(b.height));
	struct tl_block_rec next;
	rc = tl_store_block_by_height(s, b.height + 1, &next, err);
	if (rc < 0) {
		json_decref(o);
		return NULL;
	}
	if (rc == 1) json_object_set_new(o, "next_best", hash_json(next.hash));
	return o;
}

int tl_esplora_block_txids(struct tl_store *s, const struct tl_block_rec *b, uint8_t (**ids)[32], struct tl_err *err)
{
	uint8_t(*v)[32] = malloc((b->n_tx ? b->n_tx : 1) * (size_t)32);
	if (!v) abort();
	for (uint32_t i = 0; i < b->n_tx; i++) {
		struct tl_tx_rec r;
		int rc = tl_store_tx(s, b->first_tx_num + i, &r, err);
		if (rc != 1) {
			if (rc == 0) tl_err_set(err, "transaction %u of block %d missing from the index", i, b->height);
			free(v);
			return -1;
		}
		memcpy(v[i], r.txid, 32);
		tl_tx_rec_free(&r);
	}
	*ids = v;
	return 0;
}

json_t *tl_esplora_block_txs(struct tl_store *s, struct tl_blkdir *d, const struct tl_block_rec *b, uint32_t start,
			     int limit, struct tl_err *err)
{
	json_t *a = json_array();
	for (uint32_t i = start; i < b->n_tx && limit > 0; i++, limit--) {
		struct tl_tx_rec r;
		int rc = tl_store_tx(s, b->first_tx_num + i, &r, err);
		json_t *j = rc == 1 ? tl_esplora_tx(s, d, &r, err) : NULL;
		if (rc == 1) tl_tx_rec_free(&r);
		if (!j) {
			if (rc == 0) tl_err_set(err, "transaction %u of block %d missing from the index", i, b->height);
			json_decref(a);
			return NULL;
		}
		json_array_append_new(a, j);
	}
	return a;
}

int tl_esplora_block_raw(struct tl_blkdir *d, const struct tl_block_rec *b, uint8_t **out, struct tl_err *err)
{
	if (b->size < 80) return tl_err_set(err, "block %d: indexed size %u is under a header", b->height, b->size);
	uint8_t *buf = malloc(b->size);
	if (!buf) abort();
	if (tl_blkdir_read_at(d, b->file, b->offset, buf, b->size, err) < 0) {
		free(buf);
		return -1;
	}
	uint8_t h[32];
	tl_sha256d(buf, 80, h);
	if (memcmp(h, b->hash, 32) != 0) {
		free(buf);
		return tl_err_set(err, "blk%05u.dat no longer holds block %d at the indexed offset", b->file, b->height);
	}
	*out = buf;
	return 0;
}

/* The block of r, its txids and r's position among them. 0 or -1. */
static int tx_block(struct tl_store *s, const struct tl_tx_rec *r, struct tl_block_rec *b, uint8_t (**ids)[32],
		    size_t *pos, struct tl_err *err)
{
	int rc = tl_store_block_by_height(s, r->height, b, err);
	if (rc <= 0) return rc < 0 ? -1 : tl_err_set(err, "block %d of the transaction missing", r->height);
	if (r->tx_num < b->first_tx_num || r->tx_num - b->first_tx_num >= b->n_tx)
		return tl_err_set(err, "transaction %llu is not in block %d", (unsigned long long)r->tx_num, b->height);
	*pos = (size_t)(r->tx_num - b->first_tx_num);
	return tl_esplora_block_txids(s, b, ids, err);
}

json_t *tl_esplora_merkle_proof(struct tl_store *s, const struct tl_tx_rec *r, struct tl_err *err)
{
	struct tl_block_rec b;
	uint8_t(*ids)[32];
	size_t pos;
	if (tx_block(s, r, &b, &ids, &pos, err) < 0) return NULL;
	uint8_t branch[64][32];
	int depth;
	int rc = tl_merkle_branch((const uint8_t(*)[32])ids, b.n_tx, pos, branch, &depth);
	free(ids);
	if (rc < 0) {
		tl_err_set(err, "no merkle branch for position %zu of %u", pos, b.n_tx);
		return NULL;
	}
	json_t *m = json_array();
	for (int i = 0; i < depth; i++) json_array_append_new(m, hash_json(branch[i]));
	return json_pack("{s:i,s:o,s:I}", "block_height", b.height, "merkle", m, "pos", (json_int_t)pos);
}

char *tl_esplora_merkleblock_hex(struct tl_store *s, struct tl_blkdir *d, const struct tl_tx_rec *r,
				 struct tl_err *err)
{
	struct tl_block_rec b;
	uint8_t(*ids)[32];
	size_t pos;
	if (tx_block(s, r, &b, &ids, &pos, err) < 0) return NULL;
	uint8_t header[80], h[32];
	if (tl_blkdir_read_at(d, b.file, b.offset, header, 80, err) < 0) {
		free(ids);
		return NULL;
	}
	tl_sha256d(header, 80, h);
	if (memcmp(h, b.hash, 32) != 0) {
		free(ids);
		tl_err_set(err, "blk%05u.dat no longer holds block %d at the indexed offset", b.file, b.height);
		return NULL;
	}
	struct tl_buf out;
	tl_buf_init(&out);
	int rc = tl_merkleblock_proof(header, (const uint8_t(*)[32])ids, b.n_tx, pos, &out);
	free(ids);
	char *hex = NULL;
	if (rc < 0) {
		tl_err_set(err, "no merkleblock for position %zu of %u", pos, b.n_tx);
	} else {
		hex = malloc(2 * out.len + 1);
		if (!hex) abort();
		tl_hex_encode(out.data, out.len, hex);
	}
	tl_buf_free(&out);
	return hex;
}
