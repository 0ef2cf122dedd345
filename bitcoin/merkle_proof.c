/* Merkle branches and BIP37 partial merkle trees. */
#include "bitcoin/merkle_proof.h"

#include <stdlib.h>
#include <string.h>

#include "bitcoin/hash.h"

static void hash_pair(const uint8_t l[32], const uint8_t r[32], uint8_t out[32])
{
	uint8_t buf[64];
	memcpy(buf, l, 32);
	memcpy(buf + 32, r, 32);
	tl_sha256d(buf, 64, out);
}

int tl_merkle_branch(const uint8_t (*txids)[32], size_t n, size_t pos, uint8_t (*branch)[32], int *depth)
{
	if (n == 0 || pos >= n) return -1;
	uint8_t(*level)[32] = malloc(n * 32);
	if (!level) abort();
	memcpy(level, txids, n * 32);
	int d = 0;
	/* Each round pairs the level's nodes in place; n halves, so 64
	 * rounds cover any size_t count. */
	while (n > 1) {
		size_t sib = pos ^ 1;
		memcpy(branch[d++], level[sib < n ? sib : pos], 32);
		size_t m = 0;
		for (size_t i = 0; i < n; i += 2) hash_pair(level[i], level[i + 1 < n ? i + 1 : i], level[m++]);
		n = m;
		pos >>= 1;
	}
	free(level);
	*depth = d;
	return 0;
}

/* Nodes at height h of a tree over n leaves. */
static size_t width(size_t n, int h)
{
	return (n + ((size_t)1 << h) - 1) >> h;
}

/* The hash of node pos at height h. */
static void node_hash(const uint8_t (*txids)[32], size_t n, int h, size_t pos, uint8_t out[32])
{
	if (h == 0) {
		memcpy(out, txids[pos], 32);
		return;
	}
	uint8_t l[32], r[32];
	node_hash(txids, n, h - 1, pos * 2, l);
	if (pos * 2 + 1 < width(n, h - 1)) node_hash(txids, n, h - 1, pos * 2 + 1, r);
	else memcpy(r, l, 32);
	hash_pair(l, r, out);
}

struct pmt {
	struct tl_buf hashes;
	size_t nhashes;
	uint8_t *bits;
	size_t nbits, capbits;
};

static void push_bit(struct pmt *t, int bit)
{
	if (t->nbits == t->capbits) {
		t->capbits = t->capbits ? t->capbits * 2 : 64;
		t->bits = realloc(t->bits, t->capbits);
		if (!t->bits) abort();
	}
	t->bits[t->nbits++] = (uint8_t)bit;
}

/* BIP37's depth-first walk: a node is descended into only when the
 * matched leaf is below it; otherwise its hash is emitted. */
static void build(struct pmt *t, const uint8_t (*txids)[32], size_t n, size_t match, int h, size_t pos)
{
	int parent_of_match = (match >> h) == pos;
	push_bit(t, parent_of_match);
	if (h == 0 || !parent_of_match) {
		uint8_t hash[32];
		node_hash(txids, n, h, pos, hash);
		tl_buf_put(&t->hashes, hash, 32);
		t->nhashes++;
		return;
	}
	build(t, txids, n, match, h - 1, pos * 2);
	if (pos * 2 + 1 < width(n, h - 1)) build(t, txids, n, match, h - 1, pos * 2 + 1);
}

int tl_merkleblock_proof(const uint8_t header[80], const uint8_t (*txids)[32], size_t n, size_t pos,
			 struct tl_buf *out)
{
	if (n == 0 || pos >= n || n > UINT32_MAX) return -1;
	int height = 0;
	while (width(n, height) > 1) height++;
	struct pmt t = { 0 };
	tl_buf_init(&t.hashes);
	build(&t, txids, n, pos, height, 0);
	tl_buf_put(out, header, 80);
	tl_buf_u32le(out, (uint32_t)n);
	tl_buf_compact(out, t.nhashes);
	tl_buf_put(out, t.hashes.data, t.hashes.len);
	size_t nbytes = (t.nbits + 7) / 8;
	tl_buf_compact(out, nbytes);
	for (size_t i = 0; i < nbytes; i++) {
		uint8_t byte = 0;
		for (size_t k = 0; k < 8 && i * 8 + k < t.nbits; k++) byte |= (uint8_t)(t.bits[i * 8 + k] << k);
		tl_buf_u8(out, byte);
	}
	tl_buf_free(&t.hashes);
	free(t.bits);
	return 0;
}
