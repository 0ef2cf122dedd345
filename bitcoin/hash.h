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

void tl_sha256(const void *data, size_t len, uint8_t out[32]);
/* SHA256(SHA256(data)). */
void tl_sha256d(const void *data, size_t len, uint8_t out[32]);
/* Double SHA-256 of the concatenation a || b (merkle nodes). */
void tl_sha256d_pair(const uint8_t a[32], const uint8_t b[32], uint8_t out[32]);
/* RIPEMD160(SHA256(data)). */
void tl_hash160(const void *data, size_t len, uint8_t out[20]);

/* Lower-case hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void tl_hex_encode(const uint8_t *in, size_t n, char *out);
/* Parses exactly 2n hex digits (either case) into out. Returns 0, or -1
 * on a wrong length or a non-hex digit. */
int tl_hex_decode(const char *hex, size_t hexlen, uint8_t *out, size_t n);
/* Decodes any even-length hex string; *out is malloc'd (caller frees).
 * Returns 0 or -1. */
int tl_hex_decode_alloc(const char *hex, size_t hexlen, uint8_t **out, size_t *n);

/* Display order: 64 hex digits, byte-reversed. out must hold 65 bytes. */
void tl_hash_to_hex(const uint8_t h[32], char out[65]);
/* Parses 64 hex digits in display order into hash order. Returns 0 or -1. */
int tl_hash_from_hex(const char *hex, uint8_t h[32]);

static inline int tl_hash_is_zero(const uint8_t h[32])
{
	for (int i = 0; i < 32; i++)
		if (h[i]) return 0;
	return 1;
}

#endif
