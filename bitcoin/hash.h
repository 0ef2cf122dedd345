/* Hashes (SHA-256, double SHA-256, HASH160 through libcrypto) and hex.
 *
 * A 32-byte hash is kept in "hash order", the raw digest bytes as Bitcoin
 * serializes them. People read hashes in "display order" (byte-reversed
 * hex, as RPC and explorers print them); the hex helpers say which. */
#ifndef TL_BITCOIN_HASH_H
#define TL_BITCOIN_HASH_H

#include <stddef.h>
#include <stdint.h>

struct tl_hash { uint8_t b[32]; };

/** Digests: SHA256(data), SHA256(SHA256(data)), the double SHA-256 of
 *  the concatenation a || b (merkle nodes), and RIPEMD160(SHA256(data)).
 *
 *  In:      data, len (or a, b: 32 bytes each): the message.
 *  Out:     out: the digest, hash order.
 */
void tl_sha256(const void *data, size_t len, uint8_t out[32]);
void tl_sha256d(const void *data, size_t len, uint8_t out[32]);
void tl_sha256d_pair(const uint8_t a[32], const uint8_t b[32], uint8_t out[32]);
void tl_hash160(const void *data, size_t len, uint8_t out[20]);

/** Lower-case hex of n bytes, in their order.
 *
 *  In:      in, n: the bytes.
 *  Out:     out: 2n digits and a NUL (2n+1 bytes).
 */
void tl_hex_encode(const uint8_t *in, size_t n, char *out);
/** Parses exactly 2n hex digits (either case).
 *
 *  Returns: 0 on success; -1 on a wrong length or a non-hex digit.
 *  In:      hex, hexlen: the digits (hexlen must be 2n).
 *  Out:     out: n bytes.
 */
int tl_hex_decode(const char *hex, size_t hexlen, uint8_t *out, size_t n);
/** Decodes any even-length hex string into a new buffer.
 *
 *  Returns: 0 on success; -1 for an odd length, a non-hex digit or
 *           out-of-memory (nothing is then allocated).
 *  In:      hex, hexlen: the digits.
 *  Out:     out: malloc'd bytes the caller frees; n: their count.
 */
int tl_hex_decode_alloc(const char *hex, size_t hexlen, uint8_t **out, size_t *n)
	__attribute__((warn_unused_result));

/** Formats a hash in display order: 64 hex digits, byte-reversed.
 *
 *  In:      h: hash order.
 *  Out:     out: 64 digits and a NUL (65 bytes).
 */
void tl_hash_to_hex(const uint8_t h[32], char out[65]);
/** Parses 64 hex digits in display order into hash order.
 *
 *  Returns: 0 on success; -1 unless hex is exactly 64 hex digits.
 *  In:      hex: NUL-terminated.
 *  Out:     h: hash order (written only on success).
 */
int tl_hash_from_hex(const char *hex, uint8_t h[32]) __attribute__((warn_unused_result));

static inline int tl_hash_is_zero(const uint8_t h[32])
{
	for (int i = 0; i < 32; i++)
		if (h[i]) return 0;
	return 1;
}

#endif
