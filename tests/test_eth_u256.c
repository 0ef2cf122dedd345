/* 256-bit arithmetic against a deliberately naive decimal-string model:
 * schoolbook addition, subtraction and multiplication on digit strings,
 * which shares nothing with the limb code. Edges: values above 2^64,
 * near 2^256, sums that carry through every limb. Randomized cases print
 * their seed on failure (TL_SEED=N replays). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "ethereum/u256.h"
#include "tests/testutil.h"

#define MAXD 200
static const char *TWO256 = "115792089237316195423570985008687907853269984665640564039457584007913129639936";
static const char *MAX256 = "115792089237316195423570985008687907853269984665640564039457584007913129639935";

/* ---- the naive model: non-negative decimal strings ---- */
static void strip(char *s)
{
	size_t i = 0, n = strlen(s);
	while (i + 1 < n && s[i] == '0') i++;
	memmove(s, s + i, n - i + 1);
}
static int dcmp(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb) return la < lb ? -1 : 1;
	int c = strcmp(a, b);
	return c < 0 ? -1 : c > 0;
}
static void dadd(const char *a, const char *b, char *r)
{
	char t[MAXD];
	int i = (int)strlen(a) - 1, j = (int)strlen(b) - 1, k = 0, c = 0;
	while (i >= 0 || j >= 0 || c) {
		int s = c + (i >= 0 ? a[i--] - '0' : 0) + (j >= 0 ? b[j--] - '0' : 0);
		t[k++] = (char)('0' + s % 10);
		c = s / 10;
	}
	for (int x = 0; x < k; x++) r[x] = t[k - 1 - x];
	r[k] = 0;
	if (!k) strcpy(r, "0");
}
/* a - b for a >= b */
static void dsub(const char *a, const char *b, char *r)
{
	char t[MAXD];
	int i = (int)strlen(a) - 1, j = (int)strlen(b) - 1, k = 0, br = 0;
	while (i >= 0) {
		int s = a[i--] - '0' - br - (j >= 0 ? b[j--] - '0' : 0);
		br = s < 0;
		if (s < 0) s += 10;
		t[k++] = (char)('0' + s);
	}
	for (int x = 0; x < k; x++) r[x] = t[k - 1 - x];
	r[k] = 0;
	strip(r);
}
static void dmul_small(const char *a, unsigned m, char *r) /* m < 10 */
{
	char t[MAXD];
	int i = (int)strlen(a) - 1, k = 0, c = 0;
	while (i >= 0 || c) {
		int s = c + (i >= 0 ? (a[i--] - '0') * (int)m : 0);
		t[k++] = (char)('0' + s % 10);
		c = s / 10;
	}
	for (int x = 0; x < k; x++) r[x] = t[k - 1 - x];
	r[k] = 0;
	strip(r);
}
/* a * m by digits of m, shift-and-add */
static void dmul_u64(const char *a, uint64_t m, char *r)
{
	char ms[32], acc[MAXD] = "0", part[MAXD], sh[MAXD];
	snprintf(ms, sizeof ms, "%llu", (unsigned long long)m);
	size_t lm = strlen(ms);
	for (size_t d = 0; d < lm; d++) {
		dmul_small(a, (unsigned)(ms[d] - '0'), part);
		size_t pl = strlen(part), z = lm - 1 - d;
		memcpy(sh, part, pl);
		memset(sh + pl, '0', z);
		sh[pl + z] = 0;
		strip(sh);
		char n[MAXD];
		dadd(acc, sh, n);
		strcpy(acc, n);
	}
	strcpy(r, acc);
}
static void dmod256(char *s) /* s mod 2^256 (s < 2^320 suffices here) */
{
	while (dcmp(s, TWO256) >= 0) {
		char t[MAXD];
		dsub(s, TWO256, t);
		strcpy(s, t);
	}
}

static void rand_dec(uint64_t *st, char *out)
{
	/* lengths chosen to hit small, around 2^64, and near 2^256 */
	*st = *st * 6364136223846793005ull + 1442695040888963407ull;
	int kind = (int)(*st >> 60) % 4;
	int len;
	if (kind == 0) len = 1 + (int)((*st >> 33) % 19);
	else if (kind == 1) len = 19 + (int)((*st >> 33) % 4);
	else len = 20 + (int)((*st >> 33) % 58);
	for (int i = 0; i < len; i++) {
		*st = *st * 6364136223846793005ull + 1442695040888963407ull;
		out[i] = (char)('0' + (*st >> 40) % 10);
	}
	out[len] = 0;
	strip(out);
	if (kind == 3) { /* within a few units of 2^256 - 1 */
		*st = *st * 6364136223846793005ull + 1442695040888963407ull;
		char d[8];
		snprintf(d, sizeof d, "%u", (unsigned)((*st >> 40) % 1000));
		dsub(MAX256, d, out);
	}
}

static tl_uint256 P(const char *s)
{
	tl_uint256 v;
	assert_int_equal(tl_uint256_from_dec(s, strlen(s), &v), 0);
	return v;
}

static void test_randomized(void **state)
{
	(void)state;
	uint64_t seed = getenv("TL_SEED") ? strtoull(getenv("TL_SEED"), NULL, 10) : (uint64_t)time(NULL);
	uint64_t st = seed;
	for (int it = 0; it < 20000; it++) {
		char a[MAXD], b[MAXD], want[MAXD], got[TL_U256_DEC_MAX];
		rand_dec(&st, a);
		rand_dec(&st, b);
		tl_uint256 x = P(a), y = P(b), r;
		/* round trips */
		if (strcmp(tl_uint256_to_dec(&x, got), a)) fail_msg("seed %llu: dec round trip %s -> %s", (unsigned long long)seed, a, got);
		char hx[67];
		tl_uint256 back;
		tl_uint256_to_hex(&x, hx);
		assert_int_equal(tl_uint256_from_hex(hx, strlen(hx), &back), 0);
		if (tl_uint256_cmp(&back, &x)) fail_msg("seed %llu: hex round trip of %s", (unsigned long long)seed, a);
		uint8_t cb[33];
		size_t cn = tl_uint256_put_compact(&x, cb);
		if (tl_uint256_get_compact(cb, cn, &back) != cn || tl_uint256_cmp(&back, &x))
			fail_msg("seed %llu: compact round trip of %s", (unsigned long long)seed, a);
		/* add */
		char sum[MAXD];
		dadd(a, b, sum);
		bool ov = tl_uint256_add(&r, &x, &y);
		bool want_ov = dcmp(sum, TWO256) >= 0;
		strcpy(want, sum);
		dmod256(want);
		if (ov != want_ov || strcmp(tl_uint256_to_dec(&r, got), want))
			fail_msg("seed %llu: %s + %s = %s (ov %d), got %s (ov %d)", (unsigned long long)seed, a, b, want,
				 want_ov, got, ov);
		/* sub */
		bool br = tl_uint256_sub(&r, &x, &y);
		int c = dcmp(a, b);
		if (c >= 0) dsub(a, b, want);
		else {
			char d[MAXD];
			dsub(b, a, d);
			dsub(TWO256, d, want);
		}
		if (br != (c < 0) || strcmp(tl_uint256_to_dec(&r, got), want))
			fail_msg("seed %llu: %s - %s = %s, got %s (borrow %d)", (unsigned long long)seed, a, b, want, got, br);
		if (tl_uint256_cmp(&x, &y) != c) fail_msg("seed %llu: cmp %s %s", (unsigned long long)seed, a, b);
		/* signed difference */
		char sd[TL_U256_DEC_MAX], ws[MAXD + 1];
		if (c >= 0) dsub(a, b, ws);
		else {
			ws[0] = '-';
			dsub(b, a, ws + 1);
		}
		if (strcmp(tl_uint256_diff_dec(&x, &y, sd), ws)) fail_msg("seed %llu: diff %s %s", (unsigned long long)seed, a, b);
		/* mul by a 64-bit value */
		st = st * 6364136223846793005ull + 1442695040888963407ull;
		uint64_t m = (it % 3 == 0) ? st : (st >> (st % 64));
		char prod[MAXD];
		dmul_u64(a, m, prod);
		want_ov = dcmp(prod, TWO256) >= 0;
		ov = tl_uint256_mul_u64(&r, &x, m);
		if (ov != want_ov) fail_msg("seed %llu: %s * %llu overflow flag %d", (unsigned long long)seed, a, (unsigned long long)m, ov);
		if (!ov && strcmp(tl_uint256_to_dec(&r, got), prod))
			fail_msg("seed %llu: %s * %llu = %s, got %s", (unsigned long long)seed, a, (unsigned long long)m, prod, got);
	}
}

static void test_edges(void **state)
{
	(void)state;
	char buf[TL_U256_DEC_MAX];
	tl_uint256 v, r, one = tl_uint256_from_u64(1);
	/* 2^256 - 1 parses; 2^256 does not */
	v = P(MAX256);
	assert_string_equal(tl_uint256_to_dec(&v, buf), MAX256);
	for (int i = 0; i < 4; i++) assert_true(v.w[i] == UINT64_MAX);
	assert_int_equal(tl_uint256_from_dec(TWO256, strlen(TWO256), &r), -1);
	/* max + 1 wraps to zero with overflow; a carry through every limb */
	assert_true(tl_uint256_add(&r, &v, &one));
	assert_true(tl_uint256_is_zero(&r));
	/* 2^64 - 1 + 1 = 2^64 */
	tl_uint256 m64 = tl_uint256_from_u64(UINT64_MAX);
	assert_false(tl_uint256_add(&r, &m64, &one));
	assert_string_equal(tl_uint256_to_dec(&r, buf), "18446744073709551616");
	/* 0 - 1 borrows */
	tl_uint256 z = tl_uint256_from_u64(0);
	assert_true(tl_uint256_sub(&r, &z, &one));
	assert_string_equal(tl_uint256_to_dec(&r, buf), MAX256);
	assert_string_equal(tl_uint256_diff_dec(&z, &one, buf), "-1");
	/* hex forms */
	assert_int_equal(tl_uint256_from_hex("0x", 2, &r), 0);
	assert_true(tl_uint256_is_zero(&r));
	const char *hmax = "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
	assert_int_equal(tl_uint256_from_hex(hmax, strlen(hmax), &r), 0);
	assert_int_equal(tl_uint256_cmp(&r, &v), 0);
	const char *h257 = "0x1ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
	assert_int_equal(tl_uint256_from_hex(h257, strlen(h257), &r), -1);
	const char *hz = "0x000000000000000000000000000000000000000000000000000000000000000000000000000000001";
	assert_int_equal(tl_uint256_from_hex(hz, strlen(hz), &r), 0);
	assert_string_equal(tl_uint256_to_dec(&r, buf), "1");
	assert_int_equal(tl_uint256_from_hex("0x1g", 4, &r), -1);
	char hb[67];
	assert_string_equal(tl_uint256_to_hex(&z, hb), "0x0");
	tl_uint256 wei = P("1000000000000000000");
	assert_string_equal(tl_uint256_to_hex(&wei, hb), "0xde0b6b3a7640000");
	/* bad decimal */
	assert_int_equal(tl_uint256_from_dec("", 0, &r), -1);
	assert_int_equal(tl_uint256_from_dec("12a", 3, &r), -1);
	assert_int_equal(tl_uint256_from_dec("-1", 2, &r), -1);
	assert_int_equal(tl_uint256_from_dec("1.5", 3, &r), -1);
	/* compact form rejects non-minimal and short input */
	uint8_t bad1[] = { 2, 0, 1 }, bad2[] = { 33 }, bad3[] = { 3, 1, 2 };
	assert_int_equal(tl_uint256_get_compact(bad1, 3, &r), 0);
	assert_int_equal(tl_uint256_get_compact(bad2, 1, &r), 0);
	assert_int_equal(tl_uint256_get_compact(bad3, 3, &r), 0);
	/* ABI word round trip of max */
	uint8_t be[32];
	tl_uint256_to_be32(&v, be);
	tl_uint256_from_be32(be, &r);
	assert_int_equal(tl_uint256_cmp(&r, &v), 0);
	/* mul overflow at the top */
	tl_uint256 half = P("57896044618658097711785492504343953926634992332820282019728792003956564819968"); /* 2^255 */
	assert_true(tl_uint256_mul_u64(&r, &half, 2));
	assert_false(tl_uint256_mul_u64(&r, &half, 1));
	assert_false(tl_uint256_mul_u64(&r, &z, UINT64_MAX));
	/* gas_used x effective_gas_price, well above 2^64 */
	tl_uint256 gp = P("80869370967");
	assert_false(tl_uint256_mul_u64(&r, &gp, 30000000));
	assert_string_equal(tl_uint256_to_dec(&r, buf), "2426081129010000000");
	tl_uint256 big = P("1000000000000000000000000"); /* 10^24 */
	assert_false(tl_uint256_mul_u64(&r, &big, 1000000000));
	assert_string_equal(tl_uint256_to_dec(&r, buf), "1000000000000000000000000000000000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_randomized),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
