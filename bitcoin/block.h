/* Blocks: the 80-byte header, the transactions, and the checks a reader
 * of untrusted block files needs: merkle root (with Core's mutation
 * check), witness commitment, BIP34 height, proof of work, chain work. */
#ifndef TL_BITCOIN_BLOCK_H
#define TL_BITCOIN_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "bitcoin/network.h"
#include "bitcoin/tx.h"

#define TL_HEADER_SIZE 80
/* Largest serialized block accepted (Core's MAX_BLOCK_SERIALIZED_SIZE). */
#define TL_MAX_BLOCK_SIZE 4000000u

struct tl_header {
	int32_t version;
	uint8_t prev[32];     /* hash order */
	uint8_t merkle[32];   /* hash order */
	uint32_t time;
	uint32_t bits;
	uint32_t nonce;
	uint8_t hash[32];     /* SHA256d of the 80 bytes, hash order */
};

struct tl_block {
	struct tl_header hdr;
	const uint8_t *raw;   /* the serialized block (not owned) */
	uint32_t size;
	uint32_t stripped_size;
	uint32_t weight;
	uint32_t n_tx;
	struct tl_tx *tx;     /* n_tx entries, in arena */
	uint32_t *tx_offset;  /* byte offset of each tx within raw */
	struct tl_arena arena;
};

/** Parses an 80-byte header and computes its hash.
 *
 *  Returns: 0 on success, -1 on failure with err set.
 *  Args:    err: receives the message; may be NULL.
 *  In:      p, len: the serialized header.
 *  Out:     h: the fields and the hash.
 */
int tl_header_parse(const uint8_t *p, size_t len, struct tl_header *h, struct tl_err *err);
/** Serializes a header's fields (not its hash) to 80 bytes.
 *
 *  In:      h: the header.
 *  Out:     out: 80 bytes.
 */
void tl_header_serialize(const struct tl_header *h, uint8_t out[80]);

/** Makes b an empty block with an empty arena.
 *
 *  Out:     b: release with tl_block_free.
 */
void tl_block_init(struct tl_block *b);
/** Parses a whole block, reusing b's arena. Rejects trailing bytes,
 *  truncation and a block without transactions.
 *
 *  Returns: 0 on success, -1 on failure with err set.
 *  Args:    b: an initialised block; err: receives the message; may be NULL.
 *  In:      raw, len: the serialized block; raw must outlive b's views.
 *  Out:     b: header, transactions (in b's arena) and offsets.
 */
int tl_block_parse(struct tl_block *b, const uint8_t *raw, size_t len, struct tl_err *err);
/** Frees b's arena; b is left zeroed. Does not free raw. */
void tl_block_free(struct tl_block *b);

/** Merkle root of a list of 32-byte hashes (hash order). Aborts on
 *  out-of-memory.
 *
 *  In:      hashes, n: the leaves; n > 0.
 *  Out:     root: the root; mutated: whether two identical hashes were
 *           paired at some level (CVE-2012-2459).
 */
void tl_merkle_root(const uint8_t (*hashes)[32], size_t n, uint8_t root[32], bool *mutated);
/** Checks that the header's merkle root matches the transactions and the
 *  tree is not mutated.
 *
 *  Returns: 0 if so, -1 otherwise with err set.
 *  Args:    err: receives the message; may be NULL.
 *  In:      b: a parsed block.
 */
int tl_block_check_merkle(const struct tl_block *b, struct tl_err *err) __attribute__((warn_unused_result));
/** Checks the witness commitment (BIP141): if the block has witness
 *  transactions the coinbase must commit to their wtxids.
 *
 *  Returns: 0 if valid or not needed, -1 otherwise with err set.
 *  Args:    err: receives the message; may be NULL.
 *  In:      b: a parsed block.
 *  Out:     present: whether a commitment output was found.
 */
int tl_block_check_witness(const struct tl_block *b, bool *present, struct tl_err *err)
	__attribute__((warn_unused_result));
/** Core's value-range rule (CheckTransaction): every output and every
 *  transaction's output total at most 21,000,000 BTC (TL_MAX_MONEY). A
 *  block breaking it is invalid; checking it here keeps value sums from
 *  wrapping later.
 *
 *  Returns: 0 if within range, -1 otherwise with err naming the transaction.
 *  Args:    err: receives the message; may be NULL.
 *  In:      b: a parsed block.
 */
#define TL_MAX_MONEY 2100000000000000ull
int tl_block_check_values(const struct tl_block *b, struct tl_err *err) __attribute__((warn_unused_result));
/** The BIP34 height pushed first in the coinbase scriptSig.
 *
 *  Returns: 0 on success; -1 if the block's version is below 2 or the
 *           push is not a valid number.
 *  In:      b: a parsed block.
 *  Out:     height: the height (written only on success).
 */
int tl_block_bip34_height(const struct tl_block *b, int64_t *height);

/* 256-bit unsigned integer, little-endian 64-bit limbs. */
struct tl_u256 { uint64_t w[4]; };
/** Expands compact bits to a target.
 *
 *  Returns: 0 on success; -1 for a negative, zero or overflowing target.
 *  In:      bits: the compact encoding.
 *  Out:     target: the expanded target.
 */
int tl_bits_to_target(uint32_t bits, struct tl_u256 *target);
/** Checks that the header hash is at or below its own target and that
 *  target is within the network's limit.
 *
 *  Returns: 0 if so, -1 otherwise with err set.
 *  Args:    err: receives the message; may be NULL.
 *  In:      h: a parsed header; np: the network.
 */
int tl_header_check_pow(const struct tl_header *h, const struct tl_netparams *np, struct tl_err *err)
	__attribute__((warn_unused_result));
/** Difficulty as Core's GetDifficulty computes it: the mainnet limit
 *  target (bits 0x1d00ffff) divided by this target.
 *
 *  Returns: the difficulty; 0 when bits has no mantissa.
 */
double tl_bits_difficulty(uint32_t bits);
/** Expected work of a header: 2^256 / (target + 1).
 *
 *  Out:     work: the work; zero for bits that give no valid target.
 */
void tl_bits_work(uint32_t bits, struct tl_u256 *work);
/** Adds b to a, modulo 2^256.
 *
 *  In/Out:  a: the sum.
 *  In:      b: the addend.
 */
void tl_u256_add(struct tl_u256 *a, const struct tl_u256 *b);
/** Returns: -1, 0 or 1 as a is less than, equal to or greater than b. */
int tl_u256_cmp(const struct tl_u256 *a, const struct tl_u256 *b);
/** Formats a as 64 hex digits, most significant first (as Core prints
 *  chainwork).
 *
 *  Out:     out: 64 digits and a NUL.
 */
void tl_u256_hex(const struct tl_u256 *a, char out[65]);

#endif
