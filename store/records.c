/* Typed records: key builders, value encodings (LEB128 varints) and the
 * queries over them. Layouts are documented in docs/schema.md. */
#include <stdlib.h>
#include <string.h>

#include "bitcoin/address.h"
#include "base/bytes.h"
#include "bitcoin/hash.h"
#include "store/store.h"

/* ---- varints ---- */

void tl_buf_varint(struct tl_buf *b, uint64_t v)
{
	uint8_t t[10];
	int n = 0;
	do {
		uint8_t c = v & 0x7f;
		v >>= 7;
		t[n++] = c | (v ? 0x80 : 0);
	} while (v);
	tl_buf_put(b, t, (size_t)n);
}

int tl_get_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *v)
{
	uint64_t r = 0;
	size_t i = *pos;
	for (int shift = 0; shift < 64; shift += 7) {
		if (i >= len) return -1;
		uint8_t c = p[i++];
		if (shift == 63 && (c & 0x7e)) return -1;
		r |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*pos = i;
			*v = r;
			return 0;
		}
	}
	return -1;
}

/* A small decoding cursor: any failure sets bad and yields zeros. */
struct dec {
	const uint8_t *p;
	size_t len, pos;
	int bad;
};
static uint64_t dv(struct dec *d)
{
	uint64_t v = 0;
	if (d->bad || tl_get_varint(d->p, d->len, &d->pos, &v) < 0) {
		d->bad = 1;
		return 0;
	}
	return v;
}
static uint32_t dv32(struct dec *d)
{
	uint64_t v = dv(d);
	if (v > UINT32_MAX) d->bad = 1;
	return (uint32_t)v;
}
static uint8_t db8(struct dec *d)
{
	if (d->bad || d->pos >= d->len) {
		d->bad = 1;
		return 0;
	}
	return d->p[d->pos++];
}
static void dbytes(struct dec *d, void *out, size_t n)
{
	if (d->bad || d->len - d->pos < n) {
		d->bad = 1;
		memset(out, 0, n);
		return;
	}
	memcpy(out, d->p + d->pos, n);
	d->pos += n;
}

/* ---- keys ---- */

static void outref_key(uint64_t tx_num, uint32_t vout, uint8_t k[12])
{
	tl_put_be64(k, tx_num);
	tl_put_be32(k + 8, vout);
}

/* ---- blocks ---- */

void tl_batch_put_block(struct tl_batch *b, const struct tl_block_rec *r)
{
	uint8_t k[4];
	tl_put_be32(k, (uint32_t)r->height);
	struct tl_buf v;
	tl_buf_init(&v);
	tl_buf_put(&v, r->hash, 32);
	tl_buf_put(&v, r->prev, 32);
	tl_buf_put(&v, r->merkle, 32);
	tl_buf_u32le(&v, (uint32_t)r->version);
	tl_buf_u32le(&v, r->time);
	tl_buf_u32le(&v, r->bits);
	tl_buf_u32le(&v, r->nonce);
	tl_buf_u32le(&v, r->median_time);
	tl_buf_varint(&v, r->file);
	tl_buf_varint(&v, r->offset);
	tl_buf_varint(&v, r->size);
	tl_buf_varint(&v, r->weight);
	tl_buf_varint(&v, r->n_tx);
	tl_buf_varint(&v, r->first_tx_num);
	tl_batch_put(b, TL_CF_BLOCK, k, 4, v.data, v.len);
	tl_batch_put(b, TL_CF_BLOCKHASH, r->hash, 32, k, 4);
	tl_buf_free(&v);
}

void tl_batch_del_block(struct tl_batch *b, int32_t height, const uint8_t hash[32])
{
	uint8_t k[4];
	tl_put_be32(k, (uint32_t)height);
	tl_batch_del(b, TL_CF_BLOCK, k, 4);
	tl_batch_del(b, TL_CF_BLOCKHASH, hash, 32);
}

static int block_decode(int32_t height, const uint8_t *p, size_t len, struct tl_block_rec *r, struct tl_err *err)
{
	struct dec d = { p, len, 0, 0 };
	memset(r, 0, sizeof *r);
	r->height = height;
	dbytes(&d, r->hash, 32);
	dbytes(&d, r->prev, 32);
	dbytes(&d, r->merkle, 32);
	uint8_t f[20];
	dbytes(&d, f, 20);
	r->version = (int32_t)tl_get_le32(f);
	r->time = tl_get_le32(f + 4);
	r->bits = tl_get_le32(f + 8);
	r->nonce = tl_get_le32(f + 12);
	r->median_time = tl_get_le32(f + 16);
	r->file = dv32(&d);
	r->offset = dv32(&d);
	r->size = dv32(&d);
	r->weight = dv32(&d);
	r->n_tx = dv32(&d);
	r->first_tx_num = dv(&d);
	if (d.bad || d.pos != len) return tl_err_set(err, "corrupt block record at height %d", height);
	return 0;
}

int tl_store_block_by_height(struct tl_store *s, int32_t height, struct tl_block_rec *r, struct tl_err *err)
{
	if (height < 0) return 0;
	uint8_t k[4], *v;
	size_t vl;
	tl_put_be32(k, (uint32_t)height);
	int rc = tl_store_get(s, TL_CF_BLOCK, k, 4, &v, &vl, err);
	if (rc <= 0) return rc;
	rc = block_decode(height, v, vl, r, err);
	free(v);
	return rc < 0 ? -1 : 1;
}

int tl_store_block_by_hash(struct tl_store *s, const uint8_t hash[32], struct tl_block_rec *r, struct tl_err *err)
{
	uint8_t *v;
	size_t vl;
	int rc = tl_store_get(s, TL_CF_BLOCKHASH, hash, 32, &v, &vl, err);
	if (rc <= 0) return rc;
	if (vl != 4) {
		free(v);
		return tl_err_set(err, "corrupt blockhash record");
	}
	int32_t h = (int32_t)tl_get_be32(v);
	free(v);
	return tl_store_block_by_height(s, h, r, err);
}

int tl_store_block_of_tx(struct tl_store *s, uint64_t tx_num, struct tl_block_rec *r, struct tl_err *err)
{
	struct tl_tip tip;
	if (tl_store_tip(s, &tip, err) < 0) return -1;
	if (tip.height < 0 || tx_num >= tip.next_tx_num) return 0;
	int32_t lo = 0, hi = tip.height;
	while (lo < hi) { /* last block with first_tx_num <= tx_num */
		int32_t mid = lo + (hi - lo + 1) / 2;
		int rc = tl_store_block_by_height(s, mid, r, err);
		if (rc < 0) return -1;
		if (rc == 0) return tl_err_set(err, "block %d missing from the index", mid);
		if (r->first_tx_num <= tx_num) lo = mid;
		else hi = mid - 1;
	}
	return tl_store_block_by_height(s, lo, r, err);
}

/* ---- undo ---- */

void tl_batch_put_undo(struct tl_batch *b, int32_t height, const struct tl_undo_rec *u)
{
	uint8_t k[4];
	tl_put_be32(k, (uint32_t)height);
	struct tl_buf v;
	tl_buf_init(&v);
	tl_buf_varint(&v, u->first_tx_num);
	tl_buf_varint(&v, u->n_tx);
	tl_buf_varint(&v, u->first_addr_id);
	tl_buf_varint(&v, u->unknown_inputs);
	tl_batch_put(b, TL_CF_UNDO, k, 4, v.data, v.len);
	tl_buf_free(&v);
}

void tl_batch_del_undo(struct tl_batch *b, int32_t height)
{
	uint8_t k[4];
	tl_put_be32(k, (uint32_t)height);
	tl_batch_del(b, TL_CF_UNDO, k, 4);
}

int tl_store_undo(struct tl_store *s, int32_t height, struct tl_undo_rec *u, struct tl_err *err)
{
	if (height < 0) return 0;
	uint8_t k[4], *v;
	size_t vl;
	tl_put_be32(k, (uint32_t)height);
	int rc = tl_store_get(s, TL_CF_UNDO, k, 4, &v, &vl, err);
	if (rc <= 0) return rc;
	struct dec d = { v, vl, 0, 0 };
	u->first_tx_num = dv(&d);
	u->n_tx = dv32(&d);
	u->first_addr_id = dv(&d);
	u->unknown_inputs = dv(&d);
	int bad = d.bad || d.pos != vl;
	free(v);
	if (bad) return tl_err_set(err, "corrupt undo record at height %d", height);
	return 1;
}

/* ---- transactions ---- */

void tl_tx_rec_free(struct tl_tx_rec *r)
{
	if (!r) return;
	free(r->in);
	free(r->out);
	r->in = NULL;
	r->out = NULL;
}

void tl_tx_rec_encode(const struct tl_tx_rec *r, struct tl_buf *v)
{
	tl_buf_put(v, r->txid, 32);
	tl_buf_varint(v, (uint64_t)(uint32_t)r->height);
	tl_buf_varint(v, r->offset);
	tl_buf_varint(v, r->size);
	/* No weight and no fee: the weight is computed from the raw bytes
	 * when they are read, the fee from the values below. The two flags
	 * share a varint with the input count. */
	tl_buf_varint(v, (uint64_t)r->n_in << 2 | (r->flags & (TL_TX_COINBASE | TL_TX_FEE_UNKNOWN)));
	for (uint32_t i = 0; i < r->n_in; i++) {
		/* One varint says the kind and the spent vout (0 coinbase,
		 * 1 not indexed, vout + 2 known); the spent tx is the distance
		 * back from this one (1 for the previous tx: most spends are
		 * recent). The spent output's script type is not stored. */
		const struct tl_in_rec *in = &r->in[i];
		if (in->kind != TL_IN_KNOWN) {
			tl_buf_varint(v, in->kind == TL_IN_COINBASE ? 0 : 1);
			continue;
		}
		tl_buf_varint(v, (uint64_t)in->prev_vout + 2);
		tl_buf_varint(v, r->tx_num - in->prev_tx_num);
		tl_buf_varint(v, in->value);
		tl_buf_varint(v, in->addr_id);
	}
	tl_buf_varint(v, r->n_out);
	for (uint32_t i = 0; i < r->n_out; i++) {
		tl_buf_varint(v, r->out[i].value);
		tl_buf_varint(v, r->out[i].addr_id);
		tl_buf_u8(v, r->out[i].script_type);
	}
}

int tl_tx_rec_decode(uint64_t tx_num, const uint8_t *p, size_t len, struct tl_tx_rec *r, struct tl_err *err)
{
	struct dec d = { p, len, 0, 0 };
	memset(r, 0, sizeof *r);
	r->tx_num = tx_num;
	dbytes(&d, r->txid, 32);
	r->height = (int32_t)dv32(&d);
	r->offset = dv32(&d);
	r->size = dv32(&d);
	uint64_t nf = dv(&d);
	if (nf >> 2 > UINT32_MAX) d.bad = 1;
	r->flags = (uint32_t)(nf & 3);
	r->n_in = (uint32_t)(nf >> 2);
	/* Every input takes at least one byte: bounds the allocation. */
	if (d.bad || r->n_in > len) goto bad;
	r->in = calloc(r->n_in ? r->n_in : 1, sizeof *r->in);
	if (!r->in) abort();
	for (uint32_t i = 0; i < r->n_in && !d.bad; i++) {
		struct tl_in_rec *in = &r->in[i];
		uint64_t x = dv(&d);
		if (x < 2) {
			in->kind = x == 0 ? TL_IN_COINBASE : TL_IN_UNKNOWN;
			continue;
		}
		in->kind = TL_IN_KNOWN;
		if (x - 2 > UINT32_MAX) d.bad = 1;
		in->prev_vout = (uint32_t)(x - 2);
		uint64_t back = dv(&d);
		if (back == 0 || back > tx_num) d.bad = 1;
		in->prev_tx_num = tx_num - back;
		in->value = dv(&d);
		in->addr_id = dv(&d);
	}
	r->n_out = dv32(&d);
	if (d.bad || r->n_out > len) goto bad;
	r->out = calloc(r->n_out ? r->n_out : 1, sizeof *r->out);
	if (!r->out) abort();
	for (uint32_t i = 0; i < r->n_out && !d.bad; i++) {
		r->out[i].value = dv(&d);
		r->out[i].addr_id = dv(&d);
		r->out[i].script_type = db8(&d);
	}
	if (d.bad || d.pos != len) goto bad;
	if (!(r->flags & (TL_TX_COINBASE | TL_TX_FEE_UNKNOWN))) {
		uint64_t in = 0, out = 0;
		for (uint32_t i = 0; i < r->n_in; i++) in += r->in[i].value;
		for (uint32_t i = 0; i < r->n_out; i++) out += r->out[i].value;
		r->fee = in >= out ? in - out : 0;
	}
	return 0;
bad:
	tl_tx_rec_free(r);
	return tl_err_set(err, "corrupt transaction record %llu", (unsigned long long)tx_num);
}

/* The txid key: the first TL_TXID_PREFIX bytes of the txid, then tx_num
 * as 5 bytes big-endian (2^40 transactions: a thousand times Bitcoin's
 * history). */
static void txid_key(const uint8_t txid[32], uint64_t tx_num, uint8_t k[TL_TXID_KEY_LEN])
{
	memcpy(k, txid, TL_TXID_PREFIX);
	for (int i = TL_TXID_KEY_LEN; i-- > TL_TXID_PREFIX; tx_num >>= 8) k[i] = (uint8_t)tx_num;
}

void tl_batch_put_tx(struct tl_batch *b, const struct tl_tx_rec *r)
{
	uint8_t k[16];
	tl_put_be64(k, r->tx_num);
	struct tl_buf v;
	tl_buf_init(&v);
	tl_tx_rec_encode(r, &v);
	tl_batch_put(b, TL_CF_TX, k, 8, v.data, v.len);
	tl_buf_free(&v);
	txid_key(r->txid, r->tx_num, k);
	tl_batch_put(b, TL_CF_TXID, k, TL_TXID_KEY_LEN, "", 0);
}

void tl_batch_del_tx(struct tl_batch *b, uint64_t tx_num, const uint8_t txid[32])
{
	uint8_t k[16];
	tl_put_be64(k, tx_num);
	tl_batch_del(b, TL_CF_TX, k, 8);
	txid_key(txid, tx_num, k);
	tl_batch_del(b, TL_CF_TXID, k, TL_TXID_KEY_LEN);
}

int tl_store_tx(struct tl_store *s, uint64_t tx_num, struct tl_tx_rec *r, struct tl_err *err)
{
	uint8_t k[8], *v;
	size_t vl;
	tl_put_be64(k, tx_num);
	int rc = tl_store_get(s, TL_CF_TX, k, 8, &v, &vl, err);
	if (rc <= 0) return rc;
	rc = tl_tx_rec_decode(tx_num, v, vl, r, err);
	free(v);
	return rc < 0 ? -1 : 1;
}

int tl_store_txid_nums(struct tl_store *s, const uint8_t txid[32], uint64_t *nums, int cap, struct tl_err *err)
{
	/* Candidates share the prefix; each is checked against its
	 * record's full txid. All of them: transactions mined to share a
	 * prefix with another must not hide it. */
	int n = 0;
	struct tl_iter *it = tl_iter_new(s, TL_CF_TXID);
	for (tl_iter_seek(it, txid, TL_TXID_PREFIX); tl_iter_valid(it); tl_iter_next(it)) {
		size_t kl;
		const uint8_t *k = tl_iter_key(it, &kl);
		if (kl != TL_TXID_KEY_LEN || memcmp(k, txid, TL_TXID_PREFIX) != 0) break;
		uint64_t t = 0;
		for (size_t j = TL_TXID_PREFIX; j < kl; j++) t = t << 8 | k[j];
		uint8_t tk[8], *v;
		size_t vl;
		tl_put_be64(tk, t);
		int rc = tl_store_get(s, TL_CF_TX, tk, 8, &v, &vl, err);
		if (rc < 0) {
			n = -1;
			break;
		}
		if (rc == 0) continue;
		int same = vl >= 32 && memcmp(v, txid, 32) == 0;
		free(v);
		if (!same) continue;
		/* keep the newest cap (candidates come oldest first) */
		if (cap > 0) {
			if (n >= cap) memmove(nums, nums + 1, (size_t)(cap - 1) * sizeof *nums);
			nums[n < cap ? n : cap - 1] = t;
		}
		n++;
	}
	tl_iter_free(it);
	return n;
}

int tl_store_tx_by_txid(struct tl_store *s, const uint8_t txid[32], struct tl_tx_rec *r, struct tl_err *err)
{
	uint64_t newest;
	int n = tl_store_txid_nums(s, txid, &newest, 1, err);
	if (n <= 0) return n;
	return tl_store_tx(s, newest, r, err);
}

/* ---- spends and utxos ---- */

void tl_batch_put_spend(struct tl_batch *b, uint64_t tx_num, uint32_t vout, uint64_t spender, uint32_t vin)
{
	uint8_t k[12];
	outref_key(tx_num, vout, k);
	struct tl_buf v;
	tl_buf_init(&v);
	tl_buf_varint(&v, spender - tx_num); /* a spender comes after what it spends */
	tl_buf_varint(&v, vin);
	tl_batch_put(b, TL_CF_SPEND, k, 12, v.data, v.len);
	tl_buf_free(&v);
}

void tl_batch_del_spend(struct tl_batch *b, uint64_t tx_num, uint32_t vout)
{
	uint8_t k[12];
	outref_key(tx_num, vout, k);
	tl_batch_del(b, TL_CF_SPEND, k, 12);
}

int tl_store_spender(struct tl_store *s, uint64_t tx_num, uint32_t vout, uint64_t *spender, uint32_t *vin,
		     struct tl_err *err)
{
	uint8_t k[12], *v;
	size_t vl;
	outref_key(tx_num, vout, k);
	int rc = tl_store_get(s, TL_CF_SPEND, k, 12, &v, &vl, err);
	if (rc <= 0) return rc;
	struct dec d = { v, vl, 0, 0 };
	uint64_t after = dv(&d);
	*vin = dv32(&d);
	int bad = d.bad || d.pos != vl || after == 0 || after > UINT64_MAX - tx_num;
	*spender = tx_num + after;
	free(v);
	if (bad) return tl_err_set(err, "corrupt spend record");
	return 1;
}

/* utxo keys: addr_id BE5 ‖ tx_num BE5 ‖ vout BE4, so that an
 * address's unspent outputs are one range, newest last. */
#define UTXO_KEY_LEN 14
static void put_be5(uint8_t *p, uint64_t v)
{
	for (int i = 5; i-- > 0; v >>= 8) p[i] = (uint8_t)v;
}
static uint64_t get_be5(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 5; i++) v = v << 8 | p[i];
	return v;
}
static void utxo_key(uint64_t addr_id, uint64_t tx_num, uint32_t vout, uint8_t k[UTXO_KEY_LEN])
{
	put_be5(k, addr_id);
	put_be5(k + 5, tx_num);
	tl_put_be32(k + 10, vout);
}

void tl_batch_put_utxo(struct tl_batch *b, const struct tl_utxo *u)
{
	uint8_t k[UTXO_KEY_LEN];
	utxo_key(u->addr_id, u->tx_num, u->vout, k);
	struct tl_buf v;
	tl_buf_init(&v);
	tl_buf_varint(&v, u->value);
	tl_buf_u8(&v, u->script_type);
	tl_batch_put(b, TL_CF_UTXO, k, UTXO_KEY_LEN, v.data, v.len);
	tl_buf_free(&v);
}

void tl_batch_del_utxo(struct tl_batch *b, uint64_t addr_id, uint64_t tx_num, uint32_t vout)
{
	uint8_t k[UTXO_KEY_LEN];
	utxo_key(addr_id, tx_num, vout, k);
	tl_batch_del(b, TL_CF_UTXO, k, UTXO_KEY_LEN);
}

int tl_utxo_decode(uint64_t addr_id, uint64_t tx_num, uint32_t vout, const uint8_t *p, size_t len, struct tl_utxo *u)
{
	struct dec d = { p, len, 0, 0 };
	u->addr_id = addr_id;
	u->tx_num = tx_num;
	u->vout = vout;
	u->value = dv(&d);
	u->script_type = db8(&d);
	return d.bad || d.pos != len ? -1 : 0;
}

int tl_store_utxo(struct tl_store *s, uint64_t addr_id, uint64_t tx_num, uint32_t vout, struct tl_utxo *u,
		  struct tl_err *err)
{
	uint8_t k[UTXO_KEY_LEN], *v;
	size_t vl;
	utxo_key(addr_id, tx_num, vout, k);
	int rc = tl_store_get(s, TL_CF_UTXO, k, UTXO_KEY_LEN, &v, &vl, err);
	if (rc <= 0) return rc;
	rc = tl_utxo_decode(addr_id, tx_num, vout, v, vl, u);
	free(v);
	if (rc < 0) return tl_err_set(err, "corrupt utxo record");
	return 1;
}

/* ---- addresses ---- */

void tl_owner_digest(const uint8_t *skey, size_t sklen, uint8_t out[TL_ADDR_KEY_LEN])
{
	/* Script keys of 21 or 33 bytes are a type byte then a hash or
	 * witness program, uniform already (store.h), except a witness
	 * program of an unknown version (its first byte is the version). */
	out[0] = sklen ? skey[0] : 0;
	if ((sklen == 21 || sklen == 33) && skey[0] != TL_SCRIPT_WITNESS_UNKNOWN) {
		memcpy(out + 1, skey + 1, TL_ADDR_KEY_LEN - 1);
		return;
	}
	uint8_t h[32];
	tl_sha256(sklen ? skey : (const uint8_t *)"", sklen, h);
	memcpy(out + 1, h, TL_ADDR_KEY_LEN - 1);
}

void tl_batch_put_addr(struct tl_batch *b, const uint8_t *skey, size_t sklen, uint64_t addr_id)
{
	uint8_t k[TL_ADDR_KEY_LEN];
	tl_owner_digest(skey, sklen, k);
	struct tl_buf v;
	tl_buf_init(&v);
	tl_buf_varint(&v, addr_id);
	tl_batch_put(b, TL_CF_ADDR, k, TL_ADDR_KEY_LEN, v.data, v.len);
	tl_buf_free(&v);
}

void tl_batch_del_addr(struct tl_batch *b, const uint8_t *skey, size_t sklen)
{
	uint8_t k[TL_ADDR_KEY_LEN];
	tl_owner_digest(skey, sklen, k);
	tl_batch_del(b, TL_CF_ADDR, k, TL_ADDR_KEY_LEN);
}

int tl_store_addr_id(struct tl_store *s, const uint8_t *skey, size_t sklen, uint64_t *addr_id, struct tl_err *err)
{
	uint8_t k[TL_ADDR_KEY_LEN], *v;
	size_t vl;
	tl_owner_digest(skey, sklen, k);
	int rc = tl_store_get(s, TL_CF_ADDR, k, TL_ADDR_KEY_LEN, &v, &vl, err);
	if (rc <= 0) return rc;
	struct dec d = { v, vl, 0, 0 };
	uint64_t id = dv(&d);
	int bad = d.bad || d.pos != vl || id == 0;
	free(v);
	if (bad) return tl_err_set(err, "corrupt addr record");
	*addr_id = id;
	return 1;
}

void tl_batch_put_addr_info(struct tl_batch *b, const struct tl_addr_info *a)
{
	uint8_t k[8];
	tl_put_be64(k, a->addr_id);
	struct tl_buf v;
	tl_buf_init(&v);
	tl_buf_varint(&v, a->funded_count);
	tl_buf_varint(&v, a->funded_sum);
	tl_buf_varint(&v, a->spent_count);
	/* the balance (0 for most owners: one byte) rather than spent_sum */
	tl_buf_varint(&v, a->funded_sum - a->spent_sum);
	tl_buf_varint(&v, a->tx_count);
	tl_batch_put(b, TL_CF_ADDR_INFO, k, 8, v.data, v.len);
	tl_buf_free(&v);
}

void tl_batch_del_addr_info(struct tl_batch *b, uint64_t addr_id)
{
	uint8_t k[8];
	tl_put_be64(k, addr_id);
	tl_batch_del(b, TL_CF_ADDR_INFO, k, 8);
}

int tl_addr_info_decode(uint64_t addr_id, const uint8_t *p, size_t len, struct tl_addr_info *a)
{
	struct dec d = { p, len, 0, 0 };
	memset(a, 0, sizeof *a);
	a->addr_id = addr_id;
	a->funded_count = dv(&d);
	a->funded_sum = dv(&d);
	a->spent_count = dv(&d);
	uint64_t balance = dv(&d);
	if (balance > a->funded_sum) d.bad = 1;
	a->spent_sum = a->funded_sum - balance;
	a->tx_count = dv(&d);
	return d.bad || d.pos != len ? -1 : 0;
}

int tl_store_addr_info(struct tl_store *s, uint64_t addr_id, struct tl_addr_info *a, struct tl_err *err)
{
	uint8_t k[8], *v;
	size_t vl;
	tl_put_be64(k, addr_id);
	int rc = tl_store_get(s, TL_CF_ADDR_INFO, k, 8, &v, &vl, err);
	if (rc <= 0) return rc;
	rc = tl_addr_info_decode(addr_id, v, vl, a);
	free(v);
	if (rc < 0) return tl_err_set(err, "corrupt addr_info record %llu", (unsigned long long)addr_id);
	return 1;
}

int tl_store_addr_id_of_string(struct tl_store *s, const char *address, uint64_t *addr_id, struct tl_err *err)
{
	uint8_t script[42];
	size_t sl = 0;
	if (tl_address_to_script(address, tl_store_net(s), script, &sl, err) < 0) return -1;
	uint8_t key[TL_SCRIPT_KEY_MAX];
	size_t kl = tl_script_key(script, sl, key);
	return tl_store_addr_id(s, key, kl, addr_id, err);
}

/* ---- history ---- */

/* A history value: the counts, in one byte when both are below 8
 * (n_received | n_sent << 3), else 64 then each count. */
static void hist_encode(const struct tl_hist_row *h, struct tl_buf *v)
{
	if (h->n_received < 8 && h->n_sent < 8) {
		tl_buf_varint(v, h->n_received | h->n_sent << 3);
		return;
	}
	tl_buf_varint(v, 64);
	tl_buf_varint(v, h->n_received);
	tl_buf_varint(v, h->n_sent);
}

static int hist_decode(const uint8_t *p, size_t len, struct tl_hist_row *h)
{
	struct dec d = { p, len, 0, 0 };
	uint64_t c = dv(&d);
	if (c < 64) {
		h->n_received = (uint32_t)(c & 7);
		h->n_sent = (uint32_t)(c >> 3);
	} else if (c == 64) {
		h->n_received = dv32(&d);
		h->n_sent = dv32(&d);
	} else {
		d.bad = 1;
	}
	return d.bad || d.pos != len ? -1 : 0;
}

/* hist keys: addr_id BE5 then tx_num BE5 (2^40 of each: a thousand
 * times Bitcoin's history), 10 bytes. */
#define HIST_KEY_LEN 10
#define ID40_MAX ((1ull << 40) - 1)

void tl_batch_put_hist(struct tl_batch *b, uint64_t addr_id, const struct tl_hist_row *h)
{
	uint8_t k[HIST_KEY_LEN];
	put_be5(k, addr_id);
	put_be5(k + 5, h->tx_num);
	struct tl_buf v;
	tl_buf_init(&v);
	hist_encode(h, &v);
	tl_batch_put(b, TL_CF_HIST, k, HIST_KEY_LEN, v.data, v.len);
	tl_buf_free(&v);
}

void tl_batch_del_hist(struct tl_batch *b, uint64_t addr_id, uint64_t tx_num)
{
	uint8_t k[HIST_KEY_LEN];
	put_be5(k, addr_id);
	put_be5(k + 5, tx_num);
	tl_batch_del(b, TL_CF_HIST, k, HIST_KEY_LEN);
}

int tl_store_hist_page(struct tl_store *s, uint64_t addr_id, uint64_t before, struct tl_hist_row *rows, int cap,
		       struct tl_err *err)
{
	if (cap <= 0 || before == 0 || addr_id > ID40_MAX) return 0;
	uint8_t k[HIST_KEY_LEN];
	put_be5(k, addr_id);
	put_be5(k + 5, before - 1 > ID40_MAX ? ID40_MAX : before - 1);
	struct tl_iter *it = tl_iter_new(s, TL_CF_HIST);
	int n = 0;
	for (tl_iter_seek_prev(it, k, HIST_KEY_LEN); tl_iter_valid(it) && n < cap; tl_iter_prev(it)) {
		size_t kl, vl;
		const uint8_t *key = tl_iter_key(it, &kl);
		if (kl != HIST_KEY_LEN || get_be5(key) != addr_id) break;
		const uint8_t *v = tl_iter_value(it, &vl);
		rows[n].tx_num = get_be5(key + 5);
		if (hist_decode(v, vl, &rows[n]) < 0) {
			tl_iter_free(it);
			return tl_err_set(err, "corrupt hist record");
		}
		n++;
	}
	tl_iter_free(it);
	return n;
}

int tl_store_addr_first_tx(struct tl_store *s, uint64_t addr_id, uint64_t *tx_num, struct tl_err *err)
{
	if (addr_id > ID40_MAX) return 0;
	uint8_t k[5];
	put_be5(k, addr_id);
	struct tl_iter *it = tl_iter_new(s, TL_CF_HIST);
	tl_iter_seek(it, k, 5);
	int rc = 0;
	if (tl_iter_valid(it)) {
		size_t kl;
		const uint8_t *key = tl_iter_key(it, &kl);
		if (kl == HIST_KEY_LEN && get_be5(key) == addr_id) {
			*tx_num = get_be5(key + 5);
			rc = 1;
		}
	}
	tl_iter_free(it);
	(void)err;
	return rc;
}

int tl_store_addr_utxos(struct tl_store *s, uint64_t addr_id, struct tl_utxo *out, int cap, struct tl_err *err)
{
	/* The totals say how many there are; the utxo family holds them as
	 * one key range, read newest first up to cap. */
	struct tl_addr_info ai;
	int ri = tl_store_addr_info(s, addr_id, &ai, err);
	if (ri <= 0) return ri;
	uint64_t expected = ai.funded_count - ai.spent_count;
	if (expected > INT32_MAX) expected = INT32_MAX;
	int n = 0;
	if (cap > 0 && expected > 0 && addr_id <= ID40_MAX) {
		uint8_t k[UTXO_KEY_LEN];
		utxo_key(addr_id, ID40_MAX, UINT32_MAX, k);
		struct tl_iter *it = tl_iter_new(s, TL_CF_UTXO);
		for (tl_iter_seek_prev(it, k, UTXO_KEY_LEN); tl_iter_valid(it) && n < cap; tl_iter_prev(it)) {
			size_t kl, vl;
			const uint8_t *key = tl_iter_key(it, &kl);
			if (kl != UTXO_KEY_LEN || get_be5(key) != addr_id) break;
			const uint8_t *v = tl_iter_value(it, &vl);
			if (tl_utxo_decode(addr_id, get_be5(key + 5), tl_get_be32(key + 10), v, vl, &out[n]) < 0) {
				tl_iter_free(it);
				return tl_err_set(err, "corrupt utxo record");
			}
			n++;
		}
		tl_iter_free(it);
	}
	/* more than cap: the count from the totals */
	return n < cap ? n : (int)expected;
}

/* ---- families owned by other modules ---- */

void tl_batch_put_kv(struct tl_batch *b, enum tl_cf cf, const void *key, size_t klen, const void *val, size_t vlen)
{
	tl_batch_put(b, cf, key, klen, val, vlen);
}

int tl_store_get_kv(struct tl_store *s, enum tl_cf cf, const void *key, size_t klen, uint8_t **val, size_t *vlen,
		    struct tl_err *err)
{
	return tl_store_get(s, cf, key, klen, val, vlen, err);
}

void tl_taint_key(uint32_t heist_id, uint64_t tx_num, uint32_t vout, uint8_t key[16])
{
	tl_put_be32(key, heist_id);
	tl_put_be64(key + 4, tx_num);
	tl_put_be32(key + 12, vout);
}

void tl_cluster_addr_key(uint64_t addr_id, uint8_t key[9])
{
	key[0] = 'a';
	tl_put_be64(key + 1, addr_id);
}

void tl_addr_id_key(uint64_t addr_id, uint8_t key[8]) { tl_put_be64(key, addr_id); }
