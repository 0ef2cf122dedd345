/* Keys derived from the seed, output scripts, and transaction
 * serialization with real signatures: legacy sighash for P2PKH, BIP143 for
 * P2WPKH, P2SH-P2WPKH and P2WSH 2-of-3 multisig, BIP341 key-path Schnorr
 * for P2TR (SIGHASH_DEFAULT, output key tweaked with an empty script
 * tree). In fast mode keys are hashes and signatures random bytes of the
 * right sizes. */
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <stdlib.h>
#include <string.h>

#include "bitcoin/hash.h"
#include "sim/internal.h"

#define SEQ 0xfffffffdu

int sim_keys_init(struct sim_keys *k, uint64_t seed, bool fast, struct tl_err *err)
{
	memset(k, 0, sizeof *k);
	k->seed = seed;
	k->fast = fast;
	sim_rng_seed(&k->rng, seed, 0x5167);
	secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	if (!ctx) return tl_err_set(err, "cannot create a libsecp256k1 context");
	uint8_t r[32];
	sim_rng_bytes(&k->rng, r, 32);
	if (!secp256k1_context_randomize(ctx, r)) {
		secp256k1_context_destroy(ctx);
		return tl_err_set(err, "cannot randomize the libsecp256k1 context");
	}
	k->ctx = ctx;
	return 0;
}

void sim_keys_free(struct sim_keys *k)
{
	if (k->ctx) secp256k1_context_destroy(k->ctx);
	k->ctx = NULL;
}

void sim_tagged_hash(const char *tag, const uint8_t *msg, size_t len, uint8_t out[32])
{
	uint8_t th[32];
	tl_sha256(tag, strlen(tag), th);
	uint8_t stackbuf[256];
	uint8_t *buf = len + 64 <= sizeof stackbuf ? stackbuf : malloc(len + 64);
	if (!buf) abort();
	memcpy(buf, th, 32);
	memcpy(buf + 32, th, 32);
	memcpy(buf + 64, msg, len);
	tl_sha256(buf, len + 64, out);
	if (buf != stackbuf) free(buf);
}

static void derive_priv(const struct sim_keys *k, uint64_t key, uint8_t priv[32])
{
	uint8_t m[5 + 8 + 8 + 4] = { 't', 'l', 's', 'i', 'm' };
	for (int i = 0; i < 8; i++) m[5 + i] = (uint8_t)(k->seed >> (8 * i));
	for (int i = 0; i < 8; i++) m[13 + i] = (uint8_t)(key >> (8 * i));
	for (uint32_t ctr = 0;; ctr++) {
		tl_put_le32(m + 21, ctr);
		tl_sha256(m, sizeof m, priv);
		if (k->fast || secp256k1_ec_seckey_verify(k->ctx, priv)) return;
	}
}

static void derive_pub(const struct sim_keys *k, const uint8_t priv[32], uint8_t pub[33])
{
	if (k->fast) {
		pub[0] = 0x02;
		tl_sha256(priv, 32, pub + 1);
		return;
	}
	secp256k1_pubkey pk;
	if (!secp256k1_ec_pubkey_create(k->ctx, &pk, priv)) abort(); /* priv was verified */
	size_t len = 33;
	secp256k1_ec_pubkey_serialize(k->ctx, pub, &len, &pk, SECP256K1_EC_COMPRESSED);
}

/* The BIP341 output key for a key-path-only output, and the tweaked keypair. */
static void taproot_key(const struct sim_keys *k, const uint8_t priv[32], uint8_t xonly_out[32],
			secp256k1_keypair *kp_out)
{
	if (k->fast) {
		uint8_t m[33];
		memcpy(m, priv, 32);
		m[32] = 'T';
		tl_sha256(m, 33, xonly_out);
		return;
	}
	secp256k1_keypair kp;
	secp256k1_xonly_pubkey xp;
	uint8_t internal[32], tweak[32];
	if (!secp256k1_keypair_create(k->ctx, &kp, priv)) abort();
	if (!secp256k1_keypair_xonly_pub(k->ctx, &xp, NULL, &kp)) abort();
	secp256k1_xonly_pubkey_serialize(k->ctx, internal, &xp);
	sim_tagged_hash("TapTweak", internal, 32, tweak);
	if (!secp256k1_keypair_xonly_tweak_add(k->ctx, &kp, tweak)) abort();
	if (!secp256k1_keypair_xonly_pub(k->ctx, &xp, NULL, &kp)) abort();
	secp256k1_xonly_pubkey_serialize(k->ctx, xonly_out, &xp);
	if (kp_out) *kp_out = kp;
}

void sim_key_derive(struct sim_keys *k, uint64_t key, uint8_t type, struct sim_keyinfo *ki)
{
	uint8_t h[32];
	ki->type = type;
	ki->ws_len = 0;
	int nkeys = type == OT_P2WSH_MS ? 3 : 1;
	for (int i = 0; i < nkeys; i++) derive_priv(k, key + (uint64_t)i, ki->priv[i]);
	if (type != OT_P2TR)
		for (int i = 0; i < nkeys; i++) derive_pub(k, ki->priv[i], ki->pub[i]);
	uint8_t *s = ki->spk;
	switch (type) {
	case OT_P2WPKH:
		s[0] = 0x00; s[1] = 0x14;
		tl_hash160(ki->pub[0], 33, s + 2);
		ki->spk_len = 22;
		break;
	case OT_P2TR:
		s[0] = 0x51; s[1] = 0x20;
		taproot_key(k, ki->priv[0], s + 2, NULL);
		ki->spk_len = 34;
		break;
	case OT_P2PKH:
		s[0] = 0x76; s[1] = 0xa9; s[2] = 0x14;
		tl_hash160(ki->pub[0], 33, s + 3);
		s[23] = 0x88; s[24] = 0xac;
		ki->spk_len = 25;
		break;
	case OT_P2SH_P2WPKH: {
		uint8_t redeem[22] = { 0x00, 0x14 };
		tl_hash160(ki->pub[0], 33, redeem + 2);
		s[0] = 0xa9; s[1] = 0x14;
		tl_hash160(redeem, 22, s + 2);
		s[22] = 0x87;
		ki->spk_len = 23;
		break;
	}
	case OT_P2WSH_MS: {
		uint8_t *w = ki->ws;
		w[0] = 0x52;
		for (int i = 0; i < 3; i++) {
			w[1 + 34 * i] = 0x21;
			memcpy(w + 2 + 34 * i, ki->pub[i], 33);
		}
		w[103] = 0x53; w[104] = 0xae;
		ki->ws_len = 105;
		s[0] = 0x00; s[1] = 0x20;
		tl_sha256(w, 105, h);
		memcpy(s + 2, h, 32);
		ki->spk_len = 34;
		break;
	}
	default:
		abort();
	}
}

void sim_key_spk(struct sim_keys *k, uint64_t key, uint8_t type, uint8_t spk[SIM_SPK_MAX], uint8_t *len)
{
	struct sim_keyinfo ki;
	sim_key_derive(k, key, type, &ki);
	memcpy(spk, ki.spk, ki.spk_len);
	*len = ki.spk_len;
}

void sim_tx_reset(struct sim_tx *tx)
{
	tx->n_in = tx->n_out = 0;
	tx->locktime = 0;
}

void sim_tx_free(struct sim_tx *tx)
{
	free(tx->in);
	free(tx->out);
	memset(tx, 0, sizeof *tx);
}

struct sim_txin *sim_tx_add_in(struct sim_tx *tx)
{
	if (tx->n_in == tx->cap_in) {
		tx->cap_in = tx->cap_in ? 2 * tx->cap_in : 16;
		tx->in = realloc(tx->in, tx->cap_in * sizeof *tx->in);
		if (!tx->in) abort();
	}
	struct sim_txin *in = &tx->in[tx->n_in++];
	memset(in, 0, sizeof *in);
	return in;
}

struct sim_txout *sim_tx_add_out(struct sim_tx *tx)
{
	if (tx->n_out == tx->cap_out) {
		tx->cap_out = tx->cap_out ? 2 * tx->cap_out : 16;
		tx->out = realloc(tx->out, tx->cap_out * sizeof *tx->out);
		if (!tx->out) abort();
	}
	struct sim_txout *o = &tx->out[tx->n_out++];
	memset(o, 0, sizeof *o);
	o->owner = -1;
	return o;
}

/* Weight units of one input: non-witness bytes * 4 + witness bytes. */
static uint32_t in_weight(uint8_t type)
{
	switch (type) {
	case OT_P2WPKH: return 41 * 4 + 108;
	case OT_P2TR: return 41 * 4 + 66;
	case OT_P2PKH: return 148 * 4;
	case OT_P2SH_P2WPKH: return 64 * 4 + 108;
	case OT_P2WSH_MS: return 41 * 4 + 254;
	default: return 41 * 4;
	}
}

uint32_t sim_tx_vsize_est(const struct sim_tx *tx)
{
	uint32_t w = 10 * 4 + 2;
	for (size_t i = 0; i < tx->n_in; i++) w += in_weight(tx->in[i].type);
	for (size_t i = 0; i < tx->n_out; i++) w += (9u + tx->out[i].spk_len) * 4;
	return (w + 3) / 4;
}

/* ---- signing ------------------------------------------------------- */

struct sigscratch {
	struct sim_keyinfo *ki;
	size_t cap;
	struct tl_buf outs, tmp, ss, wit;   /* outputs, preimages, scriptSigs, witnesses */
	size_t *ss_off, *wit_off;
	size_t cap_off;
};
static struct sigscratch S;  /* reused across calls (the simulator is single-threaded) */

static void ecdsa_sig(struct sim_keys *k, const uint8_t priv[32], const uint8_t msg[32], struct tl_buf *dst)
{
	uint8_t der[73];
	size_t len = 72;
	if (k->fast) {
		uint8_t r[32], s[32];
		sim_rng_bytes(&k->rng, r, 32);
		sim_rng_bytes(&k->rng, s, 32);
		r[0] |= 0x80;
		s[0] = (uint8_t)((s[0] & 0x3f) | 0x10);
		der[0] = 0x30; der[1] = 0x45; der[2] = 0x02; der[3] = 0x21; der[4] = 0x00;
		memcpy(der + 5, r, 32);
		der[37] = 0x02; der[38] = 0x20;
		memcpy(der + 39, s, 32);
		len = 71;
	} else {
		secp256k1_ecdsa_signature sig;
		if (!secp256k1_ecdsa_sign(k->ctx, &sig, msg, priv, NULL, NULL)) abort();
		if (!secp256k1_ecdsa_signature_serialize_der(k->ctx, der, &len, &sig)) abort();
	}
	der[len++] = 0x01; /* SIGHASH_ALL */
	tl_buf_u8(dst, (uint8_t)len);
	tl_buf_put(dst, der, len);
}

static void put_outpoint(struct tl_buf *b, const struct sim_txin *in)
{
	tl_buf_put(b, in->txid, 32);
	tl_buf_u32le(b, in->vout);
}

static void legacy_sighash(const struct sim_tx *tx, size_t idx, const uint8_t *code, size_t code_len,
			   struct tl_buf *b, uint8_t out[32])
{
	b->len = 0;
	tl_buf_u32le(b, 2);
	tl_buf_compact(b, tx->n_in);
	for (size_t i = 0; i < tx->n_in; i++) {
		put_outpoint(b, &tx->in[i]);
		if (i == idx) {
			tl_buf_compact(b, code_len);
			tl_buf_put(b, code, code_len);
		} else {
			tl_buf_u8(b, 0);
		}
		tl_buf_u32le(b, SEQ);
	}
	tl_buf_compact(b, tx->n_out);
	tl_buf_put(b, S.outs.data, S.outs.len);
	tl_buf_u32le(b, tx->locktime);
	tl_buf_u32le(b, 1);
	tl_sha256d(b->data, b->len, out);
}

/* BIP143 (segwit v0) and BIP341 (taproot) hashes of the whole transaction,
 * shared by every input's signature hash. */
struct midstates {
	uint8_t prevouts_d[32], seq_d[32], outs_d[32];                               /* BIP143: double SHA-256 */
	uint8_t sha_prevouts[32], sha_amounts[32], sha_spks[32], sha_seq[32], sha_outs[32]; /* BIP341: single */
};

/* Grows the scratch arrays for n inputs. */
static void scratch_reserve(size_t n)
{
	if (n > S.cap) {
		S.cap = n * 2;
		S.ki = realloc(S.ki, S.cap * sizeof *S.ki);
		if (!S.ki) abort();
	}
	if (n + 1 > S.cap_off) {
		S.cap_off = (n + 1) * 2;
		S.ss_off = realloc(S.ss_off, S.cap_off * sizeof *S.ss_off);
		S.wit_off = realloc(S.wit_off, S.cap_off * sizeof *S.wit_off);
		if (!S.ss_off || !S.wit_off) abort();
	}
}

static void compute_midstates(const struct sim_tx *tx, struct midstates *m)
{
	size_t n = tx->n_in;
	bool any_tr = false, any_v0 = false;
	for (size_t i = 0; i < n; i++) {
		if (tx->in[i].type == OT_P2TR) any_tr = true;
		else if (tx->in[i].type != OT_P2PKH) any_v0 = true;
	}
	if (!any_tr && !any_v0) return;
	struct tl_buf *b = &S.tmp;
	b->len = 0;
	for (size_t i = 0; i < n; i++) put_outpoint(b, &tx->in[i]);
	tl_sha256(b->data, b->len, m->sha_prevouts);
	tl_sha256(m->sha_prevouts, 32, m->prevouts_d);
	b->len = 0;
	for (size_t i = 0; i < n; i++) tl_buf_u32le(b, SEQ);
	tl_sha256(b->data, b->len, m->sha_seq);
	tl_sha256(m->sha_seq, 32, m->seq_d);
	tl_sha256(S.outs.data, S.outs.len, m->sha_outs);
	tl_sha256(m->sha_outs, 32, m->outs_d);
	if (!any_tr) return;
	b->len = 0;
	for (size_t i = 0; i < n; i++) tl_buf_u64le(b, tx->in[i].value);
	tl_sha256(b->data, b->len, m->sha_amounts);
	b->len = 0;
	for (size_t i = 0; i < n; i++) {
		tl_buf_compact(b, S.ki[i].spk_len);
		tl_buf_put(b, S.ki[i].spk, S.ki[i].spk_len);
	}
	tl_sha256(b->data, b->len, m->sha_spks);
}

/* Input i, a taproot key-path spend: one 64-byte Schnorr signature
 * (random bytes in fast mode). */
static void sign_taproot(struct sim_keys *k, const struct sim_tx *tx, size_t i, const struct midstates *m)
{
	uint8_t sig[64], msg[32];
	if (k->fast) {
		sim_rng_bytes(&k->rng, sig, 64);
	} else {
		struct tl_buf *b = &S.tmp;
		b->len = 0;
		tl_buf_u8(b, 0x00);           /* epoch */
		tl_buf_u8(b, 0x00);           /* SIGHASH_DEFAULT */
		tl_buf_u32le(b, 2);
		tl_buf_u32le(b, tx->locktime);
		tl_buf_put(b, m->sha_prevouts, 32);
		tl_buf_put(b, m->sha_amounts, 32);
		tl_buf_put(b, m->sha_spks, 32);
		tl_buf_put(b, m->sha_seq, 32);
		tl_buf_put(b, m->sha_outs, 32);
		tl_buf_u8(b, 0x00);           /* spend type: key path, no annex */
		tl_buf_u32le(b, (uint32_t)i);
		sim_tagged_hash("TapSighash", b->data, b->len, msg);
		secp256k1_keypair kp;
		uint8_t xo[32];
		taproot_key(k, S.ki[i].priv[0], xo, &kp);
		if (!secp256k1_schnorrsig_sign32(k->ctx, sig, msg, &kp, NULL)) abort();
	}
	tl_buf_u8(&S.wit, 1);
	tl_buf_u8(&S.wit, 64);
	tl_buf_put(&S.wit, sig, 64);
}

/* Input i, segwit v0 (P2WPKH, P2SH-P2WPKH, 2-of-2 P2WSH): BIP143. */
static void sign_v0(struct sim_keys *k, const struct sim_tx *tx, size_t i, const struct midstates *m)
{
	const struct sim_txin *in = &tx->in[i];
	const struct sim_keyinfo *ki = &S.ki[i];
	uint8_t code[110], msg[32];
	size_t code_len;
	if (in->type == OT_P2WSH_MS) {
		code[0] = (uint8_t)ki->ws_len;
		memcpy(code + 1, ki->ws, ki->ws_len);
		code_len = 1u + ki->ws_len;
	} else {
		uint8_t h[20];
		tl_hash160(ki->pub[0], 33, h);
		code[0] = 0x19; code[1] = 0x76; code[2] = 0xa9; code[3] = 0x14;
		memcpy(code + 4, h, 20);
		code[24] = 0x88; code[25] = 0xac;
		code_len = 26;
	}
	if (!k->fast) {
		struct tl_buf *b = &S.tmp;
		b->len = 0;
		tl_buf_u32le(b, 2);
		tl_buf_put(b, m->prevouts_d, 32);
		tl_buf_put(b, m->seq_d, 32);
		put_outpoint(b, in);
		tl_buf_put(b, code, code_len);
		tl_buf_u64le(b, in->value);
		tl_buf_u32le(b, SEQ);
		tl_buf_put(b, m->outs_d, 32);
		tl_buf_u32le(b, tx->locktime);
		tl_buf_u32le(b, 1);
		tl_sha256d(b->data, b->len, msg);
	}
	if (in->type == OT_P2WSH_MS) {
		tl_buf_u8(&S.wit, 4);
		tl_buf_u8(&S.wit, 0);   /* CHECKMULTISIG's extra pop */
		ecdsa_sig(k, ki->priv[0], msg, &S.wit);
		ecdsa_sig(k, ki->priv[1], msg, &S.wit);
		tl_buf_u8(&S.wit, (uint8_t)ki->ws_len);
		tl_buf_put(&S.wit, ki->ws, ki->ws_len);
		return;
	}
	tl_buf_u8(&S.wit, 2);
	ecdsa_sig(k, ki->priv[0], msg, &S.wit);
	tl_buf_u8(&S.wit, 33);
	tl_buf_put(&S.wit, ki->pub[0], 33);
	if (in->type == OT_P2SH_P2WPKH) {
		tl_buf_u8(&S.ss, 22);
		tl_buf_u8(&S.ss, 0x00);
		tl_buf_u8(&S.ss, 0x14);
		uint8_t h[20];
		tl_hash160(ki->pub[0], 33, h);
		tl_buf_put(&S.ss, h, 20);
	}
}

/* Every input's scriptSig (S.ss) and witness (S.wit), with their offsets. */
static void sign_inputs(struct sim_keys *k, const struct sim_tx *tx, const struct midstates *m, bool witness)
{
	size_t n = tx->n_in;
	S.ss.len = S.wit.len = 0;
	for (size_t i = 0; i < n; i++) {
		const struct sim_txin *in = &tx->in[i];
		struct sim_keyinfo *ki = &S.ki[i];
		S.ss_off[i] = S.ss.len;
		S.wit_off[i] = S.wit.len;
		if (in->type == OT_P2PKH) {
			uint8_t msg[32];
			if (!k->fast) legacy_sighash(tx, i, ki->spk, ki->spk_len, &S.tmp, msg);
			ecdsa_sig(k, ki->priv[0], msg, &S.ss);
			tl_buf_u8(&S.ss, 33);
			tl_buf_put(&S.ss, ki->pub[0], 33);
			if (witness) tl_buf_u8(&S.wit, 0);
		} else if (in->type == OT_P2TR) {
			sign_taproot(k, tx, i, m);
		} else {
			sign_v0(k, tx, i, m);
		}
	}
	S.ss_off[n] = S.ss.len;
	S.wit_off[n] = S.wit.len;
}

/* Appends the serialized transaction to out: the stripped form gives the
 * txid; with witnesses, the body moves up by the marker and flag and the
 * witnesses go before the locktime (wtxid). */
static void serialize(const struct sim_tx *tx, bool witness, struct tl_buf *out, uint8_t txid[32],
		      uint8_t wtxid[32], bool *has_witness, uint32_t *weight)
{
	size_t n = tx->n_in;
	size_t start = out->len;
	tl_buf_u32le(out, 2);
	size_t after_version = out->len;
	tl_buf_compact(out, n);
	for (size_t i = 0; i < n; i++) {
		put_outpoint(out, &tx->in[i]);
		size_t l = S.ss_off[i + 1] - S.ss_off[i];
		tl_buf_compact(out, l);
		tl_buf_put(out, S.ss.data + S.ss_off[i], l);
		tl_buf_u32le(out, SEQ);
	}
	tl_buf_compact(out, tx->n_out);
	tl_buf_put(out, S.outs.data, S.outs.len);
	size_t before_lock = out->len;
	tl_buf_u32le(out, tx->locktime);
	size_t stripped = out->len - start;
	tl_sha256d(out->data + start, stripped, txid);
	if (!witness) {
		memcpy(wtxid, txid, 32);
		*has_witness = false;
		*weight = (uint32_t)stripped * 4;
		return;
	}
	size_t body_len = before_lock - after_version;
	out->len = before_lock;          /* drop locktime */
	tl_buf_reserve(out, 2 + S.wit.len + 4);
	memmove(out->data + after_version + 2, out->data + after_version, body_len);
	out->data[after_version] = 0x00;
	out->data[after_version + 1] = 0x01;
	out->len += 2;
	tl_buf_put(out, S.wit.data, S.wit.len);
	tl_buf_u32le(out, tx->locktime);
	size_t full = out->len - start;
	tl_sha256d(out->data + start, full, wtxid);
	*has_witness = true;
	*weight = (uint32_t)(stripped * 3 + full);
}

void sim_tx_finish(struct sim_keys *k, const struct sim_tx *tx, struct tl_buf *out, uint8_t txid[32],
		   uint8_t wtxid[32], bool *has_witness, uint32_t *weight)
{
	scratch_reserve(tx->n_in);
	bool witness = false;
	for (size_t i = 0; i < tx->n_in; i++) {
		sim_key_derive(k, tx->in[i].key, tx->in[i].type, &S.ki[i]);
		if (tx->in[i].type != OT_P2PKH) witness = true;
	}
	S.outs.len = 0;
	for (size_t i = 0; i < tx->n_out; i++) {
		tl_buf_u64le(&S.outs, tx->out[i].value);
		tl_buf_compact(&S.outs, tx->out[i].spk_len);
		tl_buf_put(&S.outs, tx->out[i].spk, tx->out[i].spk_len);
	}
	struct midstates m;
	compute_midstates(tx, &m);
	sign_inputs(k, tx, &m, witness);
	serialize(tx, witness, out, txid, wtxid, has_witness, weight);
}
