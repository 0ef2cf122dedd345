/* Keccak-256 as Ethereum uses it: the original Keccak submission's
 * padding (0x01), not FIPS 202 SHA3-256's (0x06). The OpenSSL on the
 * supported Debian release (3.0) has no KECCAK-256, so this is a direct
 * implementation of the Keccak-f[1600] permutation from FIPS 202. */
#ifndef TL_ETHEREUM_KECCAK_H
#define TL_ETHEREUM_KECCAK_H

#include <stddef.h>
#include <stdint.h>

/* out = keccak256(p[0..n)). */
void tl_keccak256(const void *p, size_t n, uint8_t out[32]);
/* The same sponge with another domain byte: 0x06 gives FIPS 202
 * SHA3-256, which lets tests check the permutation against OpenSSL's. */
void tl_keccak256_pad(const void *p, size_t n, uint8_t pad, uint8_t out[32]);

#endif
