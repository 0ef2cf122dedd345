/* floor(a * b / c): a 4x4-limb schoolbook product, then Knuth's
 * algorithm D (TAOCP vol. 2, 4.3.1) dividing the 8-limb product by the
 * normalized divisor, one 64-bit quotient digit per step estimated from
 * the top two limbs with a 128-by-64 division. */
#include "taint/muldiv.h"

#include <string.h>

typedef unsigned __int128 u128;

static int limbs(const uint64_t *x, int n)
{
	while (n > 0 && x[n - 1] == 0) n--;
	return n;
}

int tl_taint_muldiv(const tl_uint256 *a, const tl_uint256 *b, const tl_uint256 *c, tl_uint256 *q)
{
	int n = limbs(c->w, 4);
	if (n == 0) return -1;

	/* Fast path: everything fits one 128-bit product over 64 bits. */
	if (tl_uint256_fits_u64(a) && tl_uint256_fits_u64(b) && n == 1) {
		u128 p = (u128)a->w[0] * b->w[0];
		u128 r = p / c->w[0];
		*q = (tl_uint256){ { (uint64_t)r, (uint64_t)(r >> 64), 0, 0 } };
		return 0;
	}

	uint64_t p[9] = { 0 };
	for (int i = 0; i < 4; i++) {
		u128 carry = 0;
		if (!a->w[i]) continue;
		for (int j = 0; j < 4; j++) {
			u128 t = (u128)a->w[i] * b->w[j] + p[i + j] + carry;
			p[i + j] = (uint64_t)t;
			carry = t >> 64;
		}
		p[i + 4] = (uint64_t)carry;
	}
	uint64_t quo[8] = { 0 };
	int m = limbs(p, 8);
	if (m < n) {
		*q = tl_uint256_from_u64(0);
		return 0;
	}

	if (n == 1) {
		uint64_t d = c->w[0];
		u128 rem = 0;
		for (int i = m - 1; i >= 0; i--) {
			u128 cur = (rem << 64) | p[i];
			quo[i] = (uint64_t)(cur / d);
			rem = cur % d;
		}
	} else {
		/* Normalize: shift so that the divisor's top limb has its high
		 * bit set; the dividend gains a limb. */
		int s = __builtin_clzll(c->w[n - 1]);
		uint64_t v[4], u[9];
		for (int i = n - 1; i > 0; i--) v[i] = s ? (c->w[i] << s) | (c->w[i - 1] >> (64 - s)) : c->w[i];
		v[0] = c->w[0] << s;
		u[m] = s ? p[m - 1] >> (64 - s) : 0;
		for (int i = m - 1; i > 0; i--) u[i] = s ? (p[i] << s) | (p[i - 1] >> (64 - s)) : p[i];
		u[0] = p[0] << s;
		const u128 B = (u128)1 << 64;
		for (int j = m - n; j >= 0; j--) {
			u128 num = ((u128)u[j + n] << 64) | u[j + n - 1];
			u128 qhat = num / v[n - 1];
			u128 rhat = num % v[n - 1];
			while (qhat >= B || qhat * v[n - 2] > ((rhat << 64) | u[j + n - 2])) {
				qhat--;
				rhat += v[n - 1];
				if (rhat >= B) break;
			}
			/* u[j .. j+n] -= qhat * v */
			u128 carry = 0;
			uint64_t borrow = 0;
			for (int i = 0; i < n; i++) {
				u128 prod = qhat * v[i] + carry;
				carry = prod >> 64;
				uint64_t lo = (uint64_t)prod;
				uint64_t t = u[i + j] - lo;
				uint64_t b1 = u[i + j] < lo;
				uint64_t t2 = t - borrow;
				uint64_t b2 = t < borrow;
				u[i + j] = t2;
				borrow = b1 | b2;
			}
			uint64_t top = u[j + n];
			uint64_t cl = (uint64_t)carry;
			uint64_t t = top - cl;
			uint64_t b1 = top < cl;
			uint64_t t2 = t - borrow;
			uint64_t b2 = t < borrow;
			u[j + n] = t2;
			if (b1 | b2) {
				/* qhat was one too large (rare): add v back. */
				qhat--;
				uint64_t c2 = 0;
				for (int i = 0; i < n; i++) {
					u128 sum = (u128)u[i + j] + v[i] + c2;
					u[i + j] = (uint64_t)sum;
					c2 = (uint64_t)(sum >> 64);
				}
				u[j + n] += c2;
			}
			quo[j] = (uint64_t)qhat;
		}
	}
	for (int i = 4; i < 8; i++)
		if (quo[i]) return -1;
	memcpy(q->w, quo, sizeof q->w);
	return 0;
}
