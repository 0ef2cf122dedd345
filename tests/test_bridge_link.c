/* Crossing arithmetic: hand-worked crossings both ways (ether to
 * satoshis, satoshis to wei), poison, zero and full taint, refusals, and
 * a randomized comparison with a naive 128-bit computation of
 * floor(o * t / a) (the seed is printed on failure). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bridge/link.h"
#include "tests/testutil.h"

static tl_uint256 dec(const char *s)
{
	tl_uint256 v;
	assert_int_equal(tl_uint256_from_dec(s, strlen(s), &v), 0);
	return v;
}

static void expect(const char *a, const char *t, const char *o, bool poison, const char *want)
{
	tl_uint256 A = dec(a), T = dec(t), O = dec(o), c;
	struct tl_err err;
	if (tl_xlink_carry(&A, &T, &O, poison, &c, &err)) fail_msg("%s", err.msg);
	char buf[TL_U256_DEC_MAX];
	assert_string_equal(tl_uint256_to_dec(&c, buf), want);
}

static void test_hand_worked(void **st)
{
	(void)st;
	/* 5 ETH in, 3 tainted; 0.12 BTC out: 0.12 * 3/5 = 0.072 BTC */
	expect("5000000000000000000", "3000000000000000000", "12000000", false, "7200000");
	/* 7 wei in of which 2 tainted, 10 sat out: floor(20/7) = 2 (rounds down) */
	expect("7", "2", "10", false, "2");
	/* Bitcoin to Ethereum: 1 BTC in, 1/3 tainted (33333333 sat), 15 ETH out:
	 * floor(15e18 * 33333333 / 1e8) = 4999999950000000000 */
	expect("100000000", "33333333", "15000000000000000000", false, "4999999950000000000");
	/* fully tainted: the whole output; untainted: nothing */
	expect("100000000", "100000000", "15000000000000000000", false, "15000000000000000000");
	expect("100000000", "0", "15000000000000000000", false, "0");
	/* poison: the whole output as soon as any of the inbound is tainted */
	expect("100000000", "1", "15000000000000000000", true, "15000000000000000000");
	expect("100000000", "0", "15000000000000000000", true, "0");
	/* amounts near 2^256 (token supplies): exact */
	expect("115792089237316195423570985008687907853269984665640564039457584007913129639935",
	       "57896044618658097711785492504343953926634992332820282019728792003956564819967",
	       "115792089237316195423570985008687907853269984665640564039457584007913129639935", false,
	       "57896044618658097711785492504343953926634992332820282019728792003956564819967");
	/* refusals */
	tl_uint256 z = dec("0"), one = dec("1"), two = dec("2"), c;
	struct tl_err err;
	assert_int_equal(tl_xlink_carry(&z, &z, &one, false, &c, &err), -1);
	assert_int_equal(tl_xlink_carry(&one, &two, &one, false, &c, &err), -1);
	assert_non_null(strstr(err.msg, "exceeds"));
}

static uint64_t rng;
static uint64_t next(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static void test_random_vs_naive(void **st)
{
	(void)st;
	const char *env = getenv("TL_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 10) : 0x51ed2701ULL ^ (uint64_t)(uintptr_t)&seed;
	rng = seed | 1;
	for (int i = 0; i < 100000; i++) {
		uint64_t a = 1 + next() % (next() & 1 ? 1000 : UINT64_MAX - 1);
		uint64_t t = next() % (a + (a < UINT64_MAX));
		if (t > a) t = a;
		uint64_t o = next();
		unsigned __int128 want = (unsigned __int128)o * t / a;
		tl_uint256 A = tl_uint256_from_u64(a), T = tl_uint256_from_u64(t), O = tl_uint256_from_u64(o), c;
		struct tl_err err;
		if (tl_xlink_carry(&A, &T, &O, false, &c, &err)) fail_msg("seed %llu: %s", (unsigned long long)seed, err.msg);
		if (!tl_uint256_fits_u64(&c) || c.w[0] != (uint64_t)want || want > o)
			fail_msg("seed %llu: a=%llu t=%llu o=%llu", (unsigned long long)seed, (unsigned long long)a,
				 (unsigned long long)t, (unsigned long long)o);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hand_worked),
		cmocka_unit_test(test_random_vs_naive),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
