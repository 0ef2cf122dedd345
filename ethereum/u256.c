/* 256-bit unsigned arithmetic on four 64-bit limbs (unsigned __int128 for
 * the products, which both compilers the project builds with provide). */
#include "ethereum/u256.h"

#include <stdio.h>
#include <string.h>

int tl_uint256_cmp(const tl_uint256 *a, const tl_uint256 *b)
{
	for (int i = 3; i >= 0; i--)
		if (a->w[i] != b->w[i]) return a->w[i] < b->w[i] ? -1 : 1;
	return 0;
}

bool tl_uint256_add(tl_uint256 *r, const tl_uint256 *a, const tl_uint256 *b)
{
	uint64_t carry = 0;
	for (int i = 0; i < 4; i++) {
		uint64_t x = a->w[i], s = x + b->w[i];
		uint64_t c1 = s < x;
		uint64_t t = s + carry;
		uint64_t c2 = t < s;
		r->w[i] = t;
		carry = c1 | c2;
	}
	return carry != 0;
}

bool tl_uint256_sub(tl_uint256 *r, const tl_uint256 *a, const tl_uint256 *b)
{
	uint64_t borrow = 0;
	for (int i = 0; i < 4; i++) {
		uint64_t x = a->w[i], y = b->w[i];
		uint64_t d = x - y;
		uint64_t b1 = x < y;
		uint64_t t = d - borrow;
		uint64_t b2 = d < borrow;
		r->w[i] = t;
		borrow = b1 | b2;
	}
	return borrow != 0;
}

bool tl_uint256_mul_u64(tl_uint256 *r, const tl_uint256 *a, uint64_t m)
{
	unsigned __int128 carry = 0;
	for (int i = 0; i < 4; i++) {
		unsigned __int128 p = (unsigned __int128)a->w[i] * m + carry;
		r->w[i] = (uint64_t)p;
		carry = p >> 64;
	}
	return carry != 0;
}

int tl_uint256_from_dec(const char *s, size_t len, tl_uint256 *out)
{
	static const uint64_t POW10[20] = { 1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
					    100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
					    10000000000000ull, 100000000000000ull, 1000000000000000ull,
					    10000000000000000ull, 100000000000000000ull, 1000000000000000000ull,
					    10000000000000000000ull };
	tl_uint256 v = tl_uint256_from_u64(0);
	if (len == 0) return -1;
	/* up to 19 digits at a time: one 256 x 64 multiply per chunk */
	for (size_t i = 0; i < len;) {
		size_t k = len - i < 19 ? len - i : 19;
		uint64_t chunk = 0;
		for (size_t j = 0; j < k; j++) {
			char c = s[i + j];
			if (c < '0' || c > '9') return -1;
			chunk = chunk * 10 + (uint64_t)(c - '0');
		}
		tl_uint256 d = tl_uint256_from_u64(chunk);
		if (tl_uint256_mul_u64(&v, &v, POW10[k])) return -1;
		if (tl_uint256_add(&v, &v, &d)) return -1;
		i += k;
	}
	*out = v;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

int tl_uint256_from_hex(const char *s, size_t len, tl_uint256 *out)
{
	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		len -= 2;
	}
	while (len > 0 && *s == '0') { /* leading zeros carry no value */
		s++;
		len--;
	}
	if (len > 64) {
		for (size_t i = 0; i < len; i++)
			if (hexval(s[i]) < 0) return -1;
		return -1;
	}
	tl_uint256 v = tl_uint256_from_u64(0);
	for (size_t i = 0; i < len; i++) {
		int h = hexval(s[i]);
		if (h < 0) return -1;
		size_t bit = (len - 1 - i) * 4;
		v.w[bit / 64] |= (uint64_t)h << (bit % 64);
	}
	*out = v;
	return 0;
}

/* Divides a by 10^19 in place, returning the remainder. */
static uint64_t divmod_1e19(tl_uint256 *a)
{
	const uint64_t d = 10000000000000000000ull;
	unsigned __int128 rem = 0;
	for (int i = 3; i >= 0; i--) {
		unsigned __int128 cur = (rem << 64) | a->w[i];
		a->w[i] = (uint64_t)(cur / d);
		rem = cur % d;
	}
	return (uint64_t)rem;
}

char *tl_uint256_to_dec(const tl_uint256 *a, char buf[TL_U256_DEC_MAX])
{
	/* Groups of 19 digits, least significant first. */
	uint64_t g[5];
	int n = 0;
	tl_uint256 v = *a;
	do {
		g[n++] = divmod_1e19(&v);
	} while (!tl_uint256_is_zero(&v));
	char *p = buf;
	p += sprintf(p, "%llu", (unsigned long long)g[n - 1]);
	for (int i = n - 2; i >= 0; i--) p += sprintf(p, "%019llu", (unsigned long long)g[i]);
	return buf;
}

char *tl_uint256_diff_dec(const tl_uint256 *a, const tl_uint256 *b, char buf[TL_U256_DEC_MAX])
{
	tl_uint256 d;
	bool neg = tl_uint256_cmp(a, b) < 0;
	bool borrow = neg ? tl_uint256_sub(&d, b, a) : tl_uint256_sub(&d, a, b);
	(void)borrow; /* impossible: the smaller is subtracted */
	char digits[TL_U256_DEC_MAX];
	tl_uint256_to_dec(&d, digits);
	/* 78 digits at most: the sign always fits */
	size_t n = strlen(digits);
	buf[0] = '-';
	memcpy(buf + neg, digits, n + 1);
	return buf;
}

char *tl_uint256_to_hex(const tl_uint256 *a, char buf[67])
{
	static const char hx[] = "0123456789abcdef";
	char *p = buf;
	*p++ = '0';
	*p++ = 'x';
	bool started = false;
	for (int bit = 252; bit >= 0; bit -= 4) {
		unsigned nib = (unsigned)(a->w[bit / 64] >> (bit % 64)) & 15u;
		if (nib || started || bit == 0) {
			*p++ = hx[nib];
			started = true;
		}
	}
	*p = 0;
	return buf;
}

void tl_uint256_from_be32(const uint8_t b[32], tl_uint256 *out)
{
	for (int i = 0; i < 4; i++) {
		uint64_t v = 0;
		for (int j = 0; j < 8; j++) v = (v << 8) | b[(3 - i) * 8 + j];
		out->w[i] = v;
	}
}

void tl_uint256_to_be32(const tl_uint256 *a, uint8_t b[32])
{
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 8; j++) b[(3 - i) * 8 + j] = (uint8_t)(a->w[i] >> (56 - 8 * j));
}

size_t tl_uint256_put_compact(const tl_uint256 *a, uint8_t *out)
{
	uint8_t be[32];
	tl_uint256_to_be32(a, be);
	size_t skip = 0;
	while (skip < 32 && be[skip] == 0) skip++;
	out[0] = (uint8_t)(32 - skip);
	memcpy(out + 1, be + skip, 32 - skip);
	return 1 + 32 - skip;
}

size_t tl_uint256_get_compact(const uint8_t *p, size_t len, tl_uint256 *out)
{
	if (len < 1 || p[0] > 32 || len < 1u + p[0]) return 0;
	size_t n = p[0];
	if (n > 0 && p[1] == 0) return 0;
	uint8_t be[32] = { 0 };
	memcpy(be + 32 - n, p + 1, n);
	tl_uint256_from_be32(be, out);
	return 1 + n;
}
