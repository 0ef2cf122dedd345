#include "bitcoin/block.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "bitcoin/hash.h"

int tl_header_parse(const uint8_t *p, size_t len, struct tl_header *h, struct tl_err *err)
{
	if (len < TL_HEADER_SIZE) return tl_err_set(err, "block header needs 80 bytes, got %zu", len);
	h->version = (int32_t)tl_get_le32(p);
	memcpy(h->prev, p + 4, 32);
	memcpy(h->merkle, p + 36, 32);
	h->time = tl_get_le32(p + 68);
	h->bits = tl_get_le32(p + 72);
	h->nonce = tl_get_le32(p + 76);
	tl_sha256d(p, TL_HEADER_SIZE, h->hash);
	return 0;
}

void tl_header_serialize(const struct tl_header *h, uint8_t out[80])
{
	tl_put_le32(out, (uint32_t)h->version);
	memcpy(out + 4, h->prev, 32);
	memcpy(out + 36, h->merkle, 32);
	tl_put_le32(out + 68, h->time);
	tl_put_le32(out + 72, h->bits);
	tl_put_le32(out + 76, h->nonce);
}

void tl_block_init(struct tl_block *b)
{
	memset(b, 0, sizeof *b);
	tl_arena_init(&b->arena);
}

void tl_block_free(struct tl_block *b)
{
	tl_arena_free(&b->arena);
	memset(b, 0, sizeof *b);
}

int tl_block_parse(struct tl_block *b, const uint8_t *raw, size_t len, struct tl_err *err)
{
	tl_arena_reset(&b->arena);
	b->raw = raw;
	b->size = (uint32_t)len;
	b->n_tx = 0;
	if (len > TL_MAX_BLOCK_SIZE)
		return tl_err_set(err, "block of %zu bytes exceeds the %u-byte limit", len, TL_MAX_BLOCK_SIZE);
	if (tl_header_parse(raw, len, &b->hdr, err)) return -1;
	struct tl_reader r;
	tl_reader_init(&r, raw, len);
	r.pos = TL_HEADER_SIZE;
	uint64_t n;
	/* A transaction is at least 60 bytes (version, one input, no output,
	 * locktime); bound the count by that before allocating. */
	if (tl_read_compact(&r, &n) || n == 0 || n > tl_reader_left(&r) / 60 + 1)
		return tl_err_set(err, "bad transaction count in block");
	b->tx = tl_arena_alloc(&b->arena, n * sizeof *b->tx);
	b->tx_offset = tl_arena_alloc(&b->arena, n * sizeof *b->tx_offset);
	uint64_t stripped = r.pos;
	for (uint64_t i = 0; i < n; i++) {
		b->tx_offset[i] = (uint32_t)r.pos;
		if (tl_tx_parse(&r, &b->arena, &b->tx[i], err)) {
			b->n_tx = 0;
			return tl_err_prefix(err, "transaction %llu at byte %u: ", (unsigned long long)i,
					     b->tx_offset[i]);
		}
		stripped += b->tx[i].stripped_size;
	}
	if (r.pos != len) return tl_err_set(err, "%zu unexpected bytes after the last transaction", len - r.pos);
	b->n_tx = (uint32_t)n;
	b->stripped_size = (uint32_t)stripped;
	b->weight = b->stripped_size * 3 + b->size;
	return 0;
}

void tl_merkle_root(const uint8_t (*hashes)[32], size_t n, uint8_t root[32], bool *mutated)
{
	*mutated = false;
	if (n == 1) {
		memcpy(root, hashes[0], 32);
		return;
	}
	uint8_t(*level)[32] = malloc(((n + 1) / 2) * 32);
	if (!level) abort();
	const uint8_t(*cur)[32] = hashes;
	size_t m = n;
	while (m > 1) {
		size_t k = 0;
		for (size_t i = 0; i < m; i += 2) {
			const uint8_t *a = cur[i];
			const uint8_t *b = (i + 1 < m) ? cur[i + 1] : cur[i];
			/* Core's mutation check: an identical pair anywhere but in
			 * the odd last slot allows a duplicate-tx forgery. */
			if (i + 1 < m && !memcmp(a, b, 32)) *mutated = true;
			tl_sha256d_pair(a, b, level[k++]);
		}
		cur = (const uint8_t(*)[32])level;
		m = k;
	}
	memcpy(root, level[0], 32);
	free(level);
}

int tl_block_check_merkle(const struct tl_block *b, struct tl_err *err)
{
	uint8_t(*h)[32] = malloc((size_t)b->n_tx * 32);
	if (!h) abort();
	for (uint32_t i = 0; i < b->n_tx; i++) memcpy(h[i], b->tx[i].txid, 32);
	uint8_t root[32];
	bool mutated;
	tl_merkle_root((const uint8_t(*)[32])h, b->n_tx, root, &mutated);
	free(h);
	if (memcmp(root, b->hdr.merkle, 32)) {
		char want[65], got[65];
		tl_hash_to_hex(b->hdr.merkle, want);
		tl_hash_to_hex(root, got);
		return tl_err_set(err, "merkle root mismatch: header has %s, transactions give %s", want, got);
	}
	if (mutated) return tl_err_set(err, "merkle tree is mutated (duplicate transaction pair)");
	return 0;
}

int tl_block_check_witness(const struct tl_block *b, bool *present, struct tl_err *err)
{
	*present = false;
	if (b->n_tx == 0) return tl_err_set(err, "block without transactions");
	const struct tl_tx *cb = &b->tx[0];
	/* BIP141: the commitment is the last output whose script starts
	 * 6a 24 aa 21 a9 ed and is at least 38 bytes. */
	int found = -1;
	for (uint32_t i = 0; i < cb->n_out; i++) {
		const struct tl_txout *o = &cb->out[i];
		static const uint8_t pre[6] = { 0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed };
		if (o->script_len >= 38 && !memcmp(o->script, pre, 6)) found = (int)i;
	}
	bool any_witness = false;
	for (uint32_t i = 0; i < b->n_tx; i++)
		if (b->tx[i].has_witness) any_witness = true;
	if (found < 0) {
		if (any_witness) return tl_err_set(err, "block has witness data but no witness commitment");
		return 0;
	}
	*present = true;
	/* The reserved value is the coinbase's single 32-byte witness item. */
	const struct tl_txin *in = &cb->in[0];
	size_t pos = 0, ilen;
	const uint8_t *item;
	if (in->witness_items != 1 || !tl_witness_next(in, &pos, &item, &ilen) || ilen != 32) {
		if (!any_witness) return 0; /* a commitment with nothing to commit is harmless */
		return tl_err_set(err, "coinbase witness reserved value missing");
	}
	uint8_t(*w)[32] = malloc((size_t)b->n_tx * 32);
	if (!w) abort();
	memset(w[0], 0, 32);
	for (uint32_t i = 1; i < b->n_tx; i++) tl_tx_wtxid(&b->tx[i], w[i]);
	uint8_t root[32], commit[32];
	bool mutated;
	tl_merkle_root((const uint8_t(*)[32])w, b->n_tx, root, &mutated);
	free(w);
	tl_sha256d_pair(root, item, commit);
	if (memcmp(commit, cb->out[found].script + 6, 32)) return tl_err_set(err, "witness commitment mismatch");
	return 0;
}

int tl_block_check_values(const struct tl_block *b, struct tl_err *err)
{
	for (uint32_t i = 0; i < b->n_tx; i++) {
		uint64_t total = 0;
		for (uint32_t k = 0; k < b->tx[i].n_out; k++) {
			uint64_t v = b->tx[i].out[k].value;
			total += v; /* both below 2^51: cannot wrap */
			if (v > TL_MAX_MONEY || total > TL_MAX_MONEY) {
				char hex[65];
				tl_hash_to_hex(b->tx[i].txid, hex);
				return tl_err_set(err, "transaction %s output %u: value out of range (over 21,000,000 BTC)",
						  hex, k);
			}
		}
	}
	return 0;
}

int tl_block_bip34_height(const struct tl_block *b, int64_t *height)
{
	if (b->hdr.version < 2 || b->n_tx == 0 || b->tx[0].n_in == 0) return -1;
	const uint8_t *s = b->tx[0].in[0].script_sig;
	uint32_t len = b->tx[0].in[0].script_sig_len;
	if (len < 1) return -1;
	uint8_t op = s[0];
	/* Small heights are pushed with OP_1..OP_16 (Core's CScript << n). */
	if (op >= 0x51 && op <= 0x60) {
		*height = op - 0x50;
		return 0;
	}
	if (op == 0x00) {
		*height = 0;
		return 0;
	}
	if (op > 8 || (uint32_t)op + 1 > len) return -1;
	int64_t v = 0;
	for (int i = 0; i < op; i++) v |= (int64_t)s[1 + i] << (8 * i);
	if (s[op] & 0x80) return -1; /* negative */
	*height = v;
	return 0;
}

/* --- 256-bit arithmetic for targets and chain work --- */

static void u256_zero(struct tl_u256 *a) { memset(a, 0, sizeof *a); }

static void u256_shl(struct tl_u256 *a, unsigned n)
{
	while (n >= 64) {
		a->w[3] = a->w[2]; a->w[2] = a->w[1]; a->w[1] = a->w[0]; a->w[0] = 0;
		n -= 64;
	}
	if (!n) return;
	for (int i = 3; i > 0; i--) a->w[i] = (a->w[i] << n) | (a->w[i - 1] >> (64 - n));
	a->w[0] <<= n;
}

static void u256_sub(struct tl_u256 *a, const struct tl_u256 *b)
{
	uint64_t borrow = 0;
	for (int i = 0; i < 4; i++) {
		uint64_t x = a->w[i], y = b->w[i];
		uint64_t d = x - y - borrow;
		borrow = (x < y) || (x - y < borrow);
		a->w[i] = d;
	}
}

void tl_u256_add(struct tl_u256 *a, const struct tl_u256 *b)
{
	uint64_t carry = 0;
	for (int i = 0; i < 4; i++) {
		uint64_t s = a->w[i] + b->w[i];
		uint64_t c1 = s < a->w[i];
		uint64_t s2 = s + carry;
		uint64_t c2 = s2 < s;
		a->w[i] = s2;
		carry = c1 | c2;
	}
}

int tl_u256_cmp(const struct tl_u256 *a, const struct tl_u256 *b)
{
	for (int i = 3; i >= 0; i--) {
		if (a->w[i] < b->w[i]) return -1;
		if (a->w[i] > b->w[i]) return 1;
	}
	return 0;
}

void tl_u256_hex(const struct tl_u256 *a, char out[65])
{
	for (int i = 3; i >= 0; i--) snprintf(out + (3 - i) * 16, 17, "%016llx", (unsigned long long)a->w[i]);
}

int tl_bits_to_target(uint32_t bits, struct tl_u256 *t)
{
	u256_zero(t);
	uint32_t exp = bits >> 24, mant = bits & 0x007fffff;
	if (mant == 0) return -1;
	if (bits & 0x00800000) return -1; /* negative */
	if (exp <= 3) {
		t->w[0] = mant >> (8 * (3 - exp));
		return t->w[0] ? 0 : -1;
	}
	/* Overflow as Core's SetCompact defines it. */
	if (exp > 34 || (mant > 0xff && exp > 33) || (mant > 0xffff && exp > 32)) return -1;
	t->w[0] = mant;
	u256_shl(t, 8 * (exp - 3));
	return 0;
}

static void hash_to_u256(const uint8_t h[32], struct tl_u256 *a)
{
	for (int i = 0; i < 4; i++) {
		uint64_t v = 0;
		for (int k = 7; k >= 0; k--) v = (v << 8) | h[i * 8 + k];
		a->w[i] = v;
	}
}

int tl_header_check_pow(const struct tl_header *h, const struct tl_netparams *np, struct tl_err *err)
{
	struct tl_u256 target, limit, hv;
	if (tl_bits_to_target(h->bits, &target)) return tl_err_set(err, "invalid compact target bits %08x", h->bits);
	tl_bits_to_target(np->pow_limit_bits, &limit);
	if (tl_u256_cmp(&target, &limit) > 0)
		return tl_err_set(err, "target bits %08x above the %s proof-of-work limit", h->bits, np->name);
	hash_to_u256(h->hash, &hv);
	if (tl_u256_cmp(&hv, &target) > 0) return tl_err_set(err, "block hash above its target (bits %08x)", h->bits);
	return 0;
}

double tl_bits_difficulty(uint32_t bits)
{
	int shift = (bits >> 24) & 0xff;
	if (!(bits & 0x00ffffff)) return 0; /* no target: no difficulty */
	double d = (double)0x0000ffff / (double)(bits & 0x00ffffff);
	while (shift < 29) {
		d *= 256.0;
		shift++;
	}
	while (shift > 29) {
		d /= 256.0;
		shift--;
	}
	return d;
}

void tl_bits_work(uint32_t bits, struct tl_u256 *work)
{
	/* work = 2^256 / (target + 1) = ~target / (target + 1) + 1, by
	 * shift-and-subtract long division. */
	struct tl_u256 t, num, den, q, rem;
	u256_zero(work);
	if (tl_bits_to_target(bits, &t)) return;
	den = t;
	struct tl_u256 one = { { 1, 0, 0, 0 } };
	tl_u256_add(&den, &one);
	if (den.w[0] == 0 && den.w[1] == 0 && den.w[2] == 0 && den.w[3] == 0) return;
	for (int i = 0; i < 4; i++) num.w[i] = ~t.w[i];
	u256_zero(&q);
	u256_zero(&rem);
	for (int bit = 255; bit >= 0; bit--) {
		u256_shl(&rem, 1);
		rem.w[0] |= (num.w[bit / 64] >> (bit % 64)) & 1;
		if (tl_u256_cmp(&rem, &den) >= 0) {
			u256_sub(&rem, &den);
			q.w[bit / 64] |= 1ull << (bit % 64);
		}
	}
	tl_u256_add(&q, &one);
	*work = q;
}
