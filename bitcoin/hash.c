/* libcrypto's low-level SHA256_Init/Update/Final and RIPEMD160 go straight
 * to the (SHA-NI) block functions. OpenSSL 3's one-shot SHA256() instead
 * fetches an EVP method under a lock on every call, which made hashing
 * small transactions several times slower (measured in bench_parse). The
 * low-level calls are deprecated but kept; the warning is silenced here. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "bitcoin/hash.h"

#include <openssl/ripemd.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

void tl_sha256(const void *data, size_t len, uint8_t out[32])
{
	SHA256_CTX c;
	SHA256_Init(&c);
	SHA256_Update(&c, data, len);
	SHA256_Final(out, &c);
}

void tl_sha256d(const void *data, size_t len, uint8_t out[32])
{
	uint8_t t[32];
	tl_sha256(data, len, t);
	tl_sha256(t, 32, out);
}

void tl_sha256d_pair(const uint8_t a[32], const uint8_t b[32], uint8_t out[32])
{
	uint8_t buf[64];
	memcpy(buf, a, 32);
	memcpy(buf + 32, b, 32);
	tl_sha256d(buf, 64, out);
}

void tl_hash160(const void *data, size_t len, uint8_t out[20])
{
	uint8_t t[32];
	RIPEMD160_CTX c;
	tl_sha256(data, len, t);
	RIPEMD160_Init(&c);
	RIPEMD160_Update(&c, t, 32);
	RIPEMD160_Final(out, &c);
}

static const char HEX[] = "0123456789abcdef";

void tl_hex_encode(const uint8_t *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = HEX[in[i] >> 4];
		out[2 * i + 1] = HEX[in[i] & 15];
	}
	out[2 * n] = 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

int tl_hex_decode(const char *hex, size_t hexlen, uint8_t *out, size_t n)
{
	if (hexlen != 2 * n) return -1;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0) return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int tl_hex_decode_alloc(const char *hex, size_t hexlen, uint8_t **out, size_t *n)
{
	if (hexlen % 2) return -1;
	uint8_t *b = malloc(hexlen / 2 + 1);
	if (!b) return -1;
	if (tl_hex_decode(hex, hexlen, b, hexlen / 2)) {
		free(b);
		return -1;
	}
	*out = b;
	*n = hexlen / 2;
	return 0;
}

void tl_hash_to_hex(const uint8_t h[32], char out[65])
{
	uint8_t r[32];
	for (int i = 0; i < 32; i++) r[i] = h[31 - i];
	tl_hex_encode(r, 32, out);
}

int tl_hash_from_hex(const char *hex, uint8_t h[32])
{
	uint8_t r[32];
	if (strlen(hex) != 64 || tl_hex_decode(hex, 64, r, 32)) return -1;
	for (int i = 0; i < 32; i++) h[i] = r[31 - i];
	return 0;
}
