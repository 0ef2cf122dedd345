/* 256-bit unsigned integers: Ethereum amounts (wei, token base units) are
 * up to 2^256 - 1 and must never pass through a double or a 64-bit
 * integer. Four 64-bit limbs, least significant first. Every operation
 * reports overflow instead of wrapping silently. */
#ifndef TL_ETHEREUM_U256_H
#define TL_ETHEREUM_U256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint64_t w[4]; /* w[0] least significant */
} tl_uint256;

/* Longest decimal form: 78 digits, a sign and the terminator. */
#define TL_U256_DEC_MAX 80

static inline tl_uint256 tl_uint256_from_u64(uint64_t v) { return (tl_uint256){ { v, 0, 0, 0 } }; }
static inline bool tl_uint256_is_zero(const tl_uint256 *a) { return !(a->w[0] | a->w[1] | a->w[2] | a->w[3]); }
/* True when the value fits in 64 bits. */
static inline bool tl_uint256_fits_u64(const tl_uint256 *a) { return !(a->w[1] | a->w[2] | a->w[3]); }

/* -1, 0 or 1 as a <, ==, > b. */
int tl_uint256_cmp(const tl_uint256 *a, const tl_uint256 *b);
/* *r = a + b. Returns true on overflow (r then holds the sum mod 2^256).
 * r may alias a or b. */
bool tl_uint256_add(tl_uint256 *r, const tl_uint256 *a, const tl_uint256 *b) __attribute__((warn_unused_result));
/* *r = a - b. Returns true on borrow (b > a; r then holds the difference
 * mod 2^256). r may alias a or b. */
bool tl_uint256_sub(tl_uint256 *r, const tl_uint256 *a, const tl_uint256 *b) __attribute__((warn_unused_result));
/* *r = a * m. Returns true on overflow. r may alias a. */
bool tl_uint256_mul_u64(tl_uint256 *r, const tl_uint256 *a, uint64_t m) __attribute__((warn_unused_result));

/* Parses decimal digits s[0..len) (no sign, no spaces, at least one
 * digit; leading zeros allowed). Returns 0, or -1 on a bad character or a
 * value above 2^256 - 1. */
int tl_uint256_from_dec(const char *s, size_t len, tl_uint256 *out) __attribute__((warn_unused_result));
/* Parses hex digits s[0..len), with or without "0x"/"0X" ("0x" alone is
 * zero, as JSON-RPC quantities never are but data fields can be). Returns
 * 0, or -1 on a bad character or more than 256 bits of value. */
int tl_uint256_from_hex(const char *s, size_t len, tl_uint256 *out) __attribute__((warn_unused_result));
/* Decimal text of a into buf (TL_U256_DEC_MAX bytes). Returns buf. */
char *tl_uint256_to_dec(const tl_uint256 *a, char buf[TL_U256_DEC_MAX]);
/* a - b as signed decimal text ("-123" when b > a) into buf. Returns buf.
 * For balances, which go negative when an account held funds before the
 * first indexed block. */
char *tl_uint256_diff_dec(const tl_uint256 *a, const tl_uint256 *b, char buf[TL_U256_DEC_MAX]);
/* "0x" and lower-case hex without leading zeros ("0x0" for zero), the
 * JSON-RPC quantity form, into buf (67 bytes). Returns buf. */
char *tl_uint256_to_hex(const tl_uint256 *a, char buf[67]);

/* 32 bytes big-endian, as in ABI words (log data, topics). */
void tl_uint256_from_be32(const uint8_t b[32], tl_uint256 *out);
void tl_uint256_to_be32(const tl_uint256 *a, uint8_t b[32]);
/* Compact storage form: one length byte n (0..32), then n big-endian
 * bytes without leading zeros. Writes at most 33 bytes; returns the count. */
size_t tl_uint256_put_compact(const tl_uint256 *a, uint8_t *out);
/* Reads the compact form from p[0..len). Returns the bytes consumed, or
 * 0 when the input is short or malformed (n > 32 or a leading zero). */
size_t tl_uint256_get_compact(const uint8_t *p, size_t len, tl_uint256 *out);

#endif
