/* Taint policies (taint/policy.h) and interval sets (taint/interval.h):
 * hand-worked examples with the arithmetic written out, edge cases, and
 * a comparison against deliberately naive implementations (per-satoshi
 * bitmaps for FIFO, repeated subtraction for haircut, repeated max
 * selection for TIHO) on many random transactions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/testutil.h"
#include "taint/interval.h"
#include "taint/policy.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t sum(const uint64_t *a, size_t n)
{
	uint64_t s = 0;
	for (size_t i = 0; i < n; i++) s += a[i];
	return s;
}

static void test_names(void **state)
{
	(void)state;
	struct tl_err err = { 0 };
	enum tl_policy p;
	assert_int_equal(tl_policy_parse("FIFO", &p, &err), 0);
	assert_int_equal(p, TL_POLICY_FIFO);
	assert_int_equal(tl_policy_parse("tiho", &p, &err), 0);
	assert_int_equal(p, TL_POLICY_TIHO);
	assert_int_equal(tl_policy_parse("lifo", &p, &err), -1);
	assert_non_null(strstr(err.msg, "lifo"));
	assert_int_equal(tl_policy_parse(NULL, &p, &err), -1);
	for (int i = 0; i < TL_POLICY_COUNT; i++) {
		assert_int_equal(tl_policy_parse(tl_policy_name((enum tl_policy)i), &p, &err), 0);
		assert_int_equal(p, i);
	}
	assert_string_equal(tl_policy_name((enum tl_policy)99), "?");
}

static void test_haircut_worked(void **state)
{
	(void)state;
	struct tl_err err = { 0 };
	/* Inputs 3000 (1000 tainted) + 7000 (2000 tainted): V = 10000,
	 * T = 3000. Outputs 4000, 5000, 900: O = 9900, fee 100.
	 *   4000 * 3000 / 10000 = 1200
	 *   5000 * 3000 / 10000 = 1500
	 *    900 * 3000 / 10000 =  270
	 * outputs got 2970; the fee gets 3000 - 2970 = 30. */
	uint64_t iv[] = {3000, 7000}, it[] = {1000, 2000}, ov[] = {4000, 5000, 900}, ot[3], ft;
	assert_int_equal(tl_policy_apply(TL_POLICY_HAIRCUT, iv, it, 2, ov, 3, ot, &ft, &err), 0);
	assert_int_equal(ot[0], 1200);
	assert_int_equal(ot[1], 1500);
	assert_int_equal(ot[2], 270);
	assert_int_equal(ft, 30);

	/* Rounding: one input of 7 with 5 tainted (V = 7, T = 5); outputs 3, 3, fee 1.
	 *   3 * 5 / 7 = 15/7 = 2.14 -> 2, twice; fee gets 5 - 4 = 1. */
	uint64_t iv2[] = {7}, it2[] = {5}, ov2[] = {3, 3}, ot2[2];
	assert_int_equal(tl_policy_apply(TL_POLICY_HAIRCUT, iv2, it2, 1, ov2, 2, ot2, &ft, &err), 0);
	assert_int_equal(ot2[0], 2);
	assert_int_equal(ot2[1], 2);
	assert_int_equal(ft, 1);

	/* The remainder goes to the fee even when the fee is 0: V = 3, T = 1,
	 * outputs 1, 1, 1: each 1 * 1 / 3 -> 0; fee taint 1 (spec: the fee
	 * gets T minus what the outputs got). */
	uint64_t iv3[] = {2, 1}, it3[] = {0, 1}, ov3[] = {1, 1, 1}, ot3[3];
	assert_int_equal(tl_policy_apply(TL_POLICY_HAIRCUT, iv3, it3, 2, ov3, 3, ot3, &ft, &err), 0);
	assert_int_equal(sum(ot3, 3), 0);
	assert_int_equal(ft, 1);

	/* 128-bit product: 21e6 BTC in, all but 1 sat tainted, one output
	 * of the whole value: v * T = 2.1e15 * (2.1e15 - 1) ~ 4.4e30, far
	 * past 2^64; the result must be exactly T. */
	uint64_t big = 2100000000000000ULL;
	uint64_t iv4[] = {big}, it4[] = {big - 1}, ov4[] = {big}, ot4[1];
	assert_int_equal(tl_policy_apply(TL_POLICY_HAIRCUT, iv4, it4, 1, ov4, 1, ot4, &ft, &err), 0);
	assert_int_equal(ot4[0], big - 1);
	assert_int_equal(ft, 0);
}

static void test_poison_worked(void **state)
{
	(void)state;
	struct tl_err err = { 0 };
	/* 1 tainted sat among 100: outputs 60 and 30 and the fee 10 all
	 * tainted in full. */
	uint64_t iv[] = {5, 95}, it[] = {1, 0}, ov[] = {60, 30}, ot[2], ft;
	assert_int_equal(tl_policy_apply(TL_POLICY_POISON, iv, it, 2, ov, 2, ot, &ft, &err), 0);
	assert_int_equal(ot[0], 60);
	assert_int_equal(ot[1], 30);
	assert_int_equal(ft, 10);
	/* No taint in, none out. */
	it[0] = 0;
	assert_int_equal(tl_policy_apply(TL_POLICY_POISON, iv, it, 2, ov, 2, ot, &ft, &err), 0);
	assert_int_equal(ot[0] + ot[1] + ft, 0);
}

static void test_tiho_worked(void **state)
{
	(void)state;
	struct tl_err err = { 0 };
	/* V = 150, T = 100; outputs 30, 70, 40 (fee 10). By value: 70 (#1)
	 * takes 70, remaining 30; 40 (#2) takes 30, remaining 0; 30 (#0)
	 * takes 0; the fee 0. */
	uint64_t iv[] = {100, 50}, it[] = {100, 0}, ov[] = {30, 70, 40}, ot[3], ft;
	assert_int_equal(tl_policy_apply(TL_POLICY_TIHO, iv, it, 2, ov, 3, ot, &ft, &err), 0);
	assert_int_equal(ot[0], 0);
	assert_int_equal(ot[1], 70);
	assert_int_equal(ot[2], 30);
	assert_int_equal(ft, 0);
	/* Tie: outputs 50, 50 (fee 10), T = 60: #0 first takes 50, #1 10. */
	uint64_t iv2[] = {110}, it2[] = {60}, ov2[] = {50, 50}, ot2[2];
	assert_int_equal(tl_policy_apply(TL_POLICY_TIHO, iv2, it2, 1, ov2, 2, ot2, &ft, &err), 0);
	assert_int_equal(ot2[0], 50);
	assert_int_equal(ot2[1], 10);
	assert_int_equal(ft, 0);
	/* T above the outputs: all of 100 tainted, outputs 40, 50 (fee 10):
	 * 50 -> 50, 40 -> 40, fee 10. */
	uint64_t iv3[] = {100}, it3[] = {100}, ov3[] = {40, 50}, ot3[2];
	assert_int_equal(tl_policy_apply(TL_POLICY_TIHO, iv3, it3, 1, ov3, 2, ot3, &ft, &err), 0);
	assert_int_equal(ot3[0], 40);
	assert_int_equal(ot3[1], 50);
	assert_int_equal(ft, 10);
}

static void test_fifo_worked(void **state)
{
	(void)state;
	struct tl_err err = { 0 };
	/* in0 = 10 sat, tainted [2,5); in1 = 20 sat, tainted [0,4) and
	 * [15,20). End to end: in0 = [0,10), in1 = [10,30); absolute taint
	 * [2,5), [10,14), [25,30) = 3 + 4 + 5 = 12 sat.
	 * Outputs 4, 12, 11 -> [0,4), [4,16), [16,27); fee [27,30).
	 *   out0 [0,4):   [2,4)            -> relative [2,4)          2 sat
	 *   out1 [4,16):  [4,5), [10,14)   -> relative [0,1), [6,10)  5 sat
	 *   out2 [16,27): [25,27)          -> relative [9,11)         2 sat
	 *   fee  [27,30): [27,30)                                     3 sat
	 * 2 + 5 + 2 + 3 = 12. */
	struct tl_ivset in[2], out[3];
	for (int i = 0; i < 2; i++) tl_ivset_init(&in[i]);
	for (int i = 0; i < 3; i++) tl_ivset_init(&out[i]);
	tl_ivset_add(&in[0], 2, 5);
	tl_ivset_add(&in[1], 15, 20);
	tl_ivset_add(&in[1], 0, 4); /* out of order on purpose */
	uint64_t iv[] = {10, 20}, ov[] = {4, 12, 11}, ot[3], ft;
	assert_int_equal(tl_policy_fifo(iv, in, 2, ov, 3, out, ot, &ft, &err), 0);
	assert_int_equal(ot[0], 2);
	assert_int_equal(ot[1], 5);
	assert_int_equal(ot[2], 2);
	assert_int_equal(ft, 3);
	assert_int_equal(out[0].n, 1);
	assert_int_equal(out[0].v[0].lo, 2);
	assert_int_equal(out[0].v[0].hi, 4);
	assert_int_equal(out[1].n, 2);
	assert_int_equal(out[1].v[0].lo, 0);
	assert_int_equal(out[1].v[0].hi, 1);
	assert_int_equal(out[1].v[1].lo, 6);
	assert_int_equal(out[1].v[1].hi, 10);
	assert_int_equal(out[2].n, 1);
	assert_int_equal(out[2].v[0].lo, 9);
	assert_int_equal(out[2].v[0].hi, 11);

	/* Zero-value outputs take nothing; taint that straddles an output
	 * boundary joins back up when it is re-laid: in = 6 sat all tainted;
	 * outputs 0, 3, 0, 3 -> 0, [0,3), 0, [0,3); fee 0. */
	struct tl_ivset one;
	tl_ivset_init(&one);
	tl_ivset_add(&one, 0, 6);
	uint64_t iv2[] = {6}, ov2[] = {0, 3, 0, 3}, ot2[4];
	struct tl_ivset out2[4];
	for (int i = 0; i < 4; i++) tl_ivset_init(&out2[i]);
	assert_int_equal(tl_policy_fifo(iv2, &one, 1, ov2, 4, out2, ot2, &ft, &err), 0);
	assert_int_equal(ot2[0], 0);
	assert_int_equal(ot2[1], 3);
	assert_int_equal(ot2[2], 0);
	assert_int_equal(ot2[3], 3);
	assert_int_equal(out2[0].n + out2[2].n, 0);
	assert_int_equal(ft, 0);

	/* A set reaching past its input is refused. */
	tl_ivset_add(&one, 6, 7);
	assert_int_equal(tl_policy_fifo(iv2, &one, 1, ov2, 4, out2, ot2, &ft, &err), -1);
	assert_non_null(strstr(err.msg, "input 0"));

	tl_ivset_free(&one);
	for (int i = 0; i < 4; i++) tl_ivset_free(&out2[i]);
	for (int i = 0; i < 2; i++) tl_ivset_free(&in[i]);
	for (int i = 0; i < 3; i++) tl_ivset_free(&out[i]);
}

static void test_edges(void **state)
{
	(void)state;
	struct tl_err err = { 0 };
	uint64_t ot[2] = {9, 9}, ft = 9;
	/* V = 0: zero inputs, zero outputs: nothing to pass on. */
	uint64_t z[] = {0}, zo[] = {0, 0};
	for (int p = 0; p < TL_POLICY_COUNT; p++) {
		if (p == TL_POLICY_FIFO) continue;
		assert_int_equal(tl_policy_apply((enum tl_policy)p, z, z, 1, zo, 2, ot, &ft, &err), 0);
		assert_int_equal(ot[0] + ot[1] + ft, 0);
	}
	/* No inputs at all (coinbase-like): nothing tainted. */
	assert_int_equal(tl_policy_apply(TL_POLICY_HAIRCUT, NULL, NULL, 0, zo, 2, ot, &ft, &err), 0);
	/* Taint above the input. */
	uint64_t iv[] = {10}, it[] = {11}, ov[] = {5};
	assert_int_equal(tl_policy_apply(TL_POLICY_HAIRCUT, iv, it, 1, ov, 1, ot, &ft, &err), -1);
	assert_non_null(strstr(err.msg, "exceeds"));
	/* Outputs above inputs. */
	uint64_t it2[] = {5}, ov2[] = {11};
	assert_int_equal(tl_policy_apply(TL_POLICY_TIHO, iv, it2, 1, ov2, 1, ot, &ft, &err), -1);
	assert_non_null(strstr(err.msg, "exceed"));
	/* Overflow. */
	uint64_t ivo[] = {UINT64_MAX, 2}, ito[] = {0, 0};
	assert_int_equal(tl_policy_apply(TL_POLICY_HAIRCUT, ivo, ito, 2, ov, 1, ot, &ft, &err), -1);
	assert_non_null(strstr(err.msg, "overflow"));
	/* FIFO through the amounts-only entry point is refused. */
	assert_int_equal(tl_policy_apply(TL_POLICY_FIFO, iv, it2, 1, ov, 1, ot, &ft, &err), -1);
	/* All inputs tainted, fee 0: every output fully tainted under
	 * haircut and tiho, fee taint 0. */
	uint64_t iva[] = {40, 60}, ita[] = {40, 60}, ova[] = {30, 70};
	for (int p = 0; p < TL_POLICY_COUNT; p++) {
		if (p == TL_POLICY_FIFO) continue;
		assert_int_equal(tl_policy_apply((enum tl_policy)p, iva, ita, 2, ova, 2, ot, &ft, &err), 0);
		assert_int_equal(ot[0], 30);
		assert_int_equal(ot[1], 70);
		assert_int_equal(ft, 0);
	}
}

static void test_ivset(void **state)
{
	(void)state;
	struct tl_err err = { 0 };
	struct tl_ivset s, t;
	tl_ivset_init(&s);
	tl_ivset_init(&t);
	/* Naive model: a bitmap of 200 positions. */
	uint8_t bm[200];
	srand(7);
	for (int round = 0; round < 300; round++) {
		tl_ivset_clear(&s);
		memset(bm, 0, sizeof bm);
		int k = rand() % 12;
		for (int i = 0; i < k; i++) {
			uint64_t lo = (uint64_t)(rand() % 200), hi = lo + (uint64_t)(rand() % 30);
			if (hi > 200) hi = 200;
			tl_ivset_add(&s, lo, hi);
			for (uint64_t x = lo; x < hi; x++) bm[x] = 1;
		}
		assert_int_equal(tl_ivset_check(&s, 200, &err), 0);
		uint64_t cnt = 0;
		for (int x = 0; x < 200; x++) cnt += bm[x];
		assert_int_equal(tl_ivset_total(&s), cnt);
		/* membership */
		for (int x = 0; x < 200; x++) {
			int in = 0;
			for (uint32_t i = 0; i < s.n; i++) in |= (uint64_t)x >= s.v[i].lo && (uint64_t)x < s.v[i].hi;
			assert_int_equal(in, bm[x]);
		}
		/* union with a copy of itself is itself */
		tl_ivset_copy(&t, &s);
		tl_ivset_union(&t, &s);
		assert_int_equal(t.n, s.n);
		assert_int_equal(tl_ivset_total(&t), cnt);
	}
	/* check catches a bad set */
	struct tl_iv bad[2] = {{5, 9}, {9, 12}};
	struct tl_ivset b = {bad, 2, 2};
	assert_int_equal(tl_ivset_check(&b, 100, &err), -1);
	tl_ivset_free(&s);
	tl_ivset_free(&t);
}

/* ---- naive second implementations ---- */

static void naive_haircut(const uint64_t *iv, const uint64_t *it, size_t ni, const uint64_t *ov, size_t no,
                          uint64_t *ot, uint64_t *ft)
{
	uint64_t V = sum(iv, ni), T = sum(it, ni), given = 0;
	for (size_t j = 0; j < no; j++) {
		/* largest q with q * V <= v * T, by counting up */
		uint64_t q = 0;
		if (V)
			while ((q + 1) * V <= ov[j] * T) q++;
		ot[j] = q;
		given += q;
	}
	*ft = T - given;
}

static void naive_tiho(const uint64_t *it, size_t ni, const uint64_t *ov, size_t no, uint64_t *ot,
                       uint64_t *ft)
{
	uint64_t rem = sum(it, ni);
	int used[16] = {0};
	for (size_t k = 0; k < no; k++) {
		size_t best = SIZE_MAX;
		for (size_t j = 0; j < no; j++)
			if (!used[j] && (best == SIZE_MAX || ov[j] > ov[best])) best = j;
		used[best] = 1;
		ot[best] = ov[best] < rem ? ov[best] : rem;
		rem -= ot[best];
	}
	*ft = rem;
}

static void test_random_vs_naive(void **state)
{
	(void)state;
	struct tl_err err = { 0 };
	srand(12345);
	for (int round = 0; round < 3000; round++) {
		size_t ni = (size_t)(rand() % 5), no = (size_t)(rand() % 6);
		uint64_t iv[8], it[8], ov[8], ot[8], ft, nt[8], nft;
		struct tl_ivset isets[8], osets[8];
		uint8_t *bits[8];
		for (size_t i = 0; i < ni; i++) {
			iv[i] = rand() % 7 == 0 ? 0 : (uint64_t)(rand() % 300);
			tl_ivset_init(&isets[i]);
			bits[i] = calloc(iv[i] + 1, 1);
			int k = rand() % 4;
			for (int r = 0; r < k && iv[i]; r++) {
				uint64_t lo = (uint64_t)rand() % iv[i], hi = lo + (uint64_t)rand() % (iv[i] - lo + 1);
				tl_ivset_add(&isets[i], lo, hi);
				for (uint64_t x = lo; x < hi; x++) bits[i][x] = 1;
			}
			if (rand() % 5 == 0) { /* fully tainted input */
				tl_ivset_clear(&isets[i]);
				tl_ivset_add(&isets[i], 0, iv[i]);
				memset(bits[i], 1, iv[i]);
			}
			it[i] = tl_ivset_total(&isets[i]);
		}
		uint64_t V = sum(iv, ni), T = sum(it, ni);
		uint64_t fee = rand() % 3 == 0 || V == 0 ? 0 : (uint64_t)rand() % (V / 4 + 1);
		uint64_t left = V - fee;
		for (size_t j = 0; j < no; j++) {
			ov[j] = j + 1 == no ? left : (left ? (uint64_t)rand() % (left + 1) : 0);
			left -= ov[j];
			tl_ivset_init(&osets[j]);
		}
		if (no == 0) fee = V;
		uint64_t O = sum(ov, no);
		assert_int_equal(O + fee, V);

		/* haircut */
		assert_int_equal(tl_policy_apply(TL_POLICY_HAIRCUT, iv, it, ni, ov, no, ot, &ft, &err), 0);
		naive_haircut(iv, it, ni, ov, no, nt, &nft);
		for (size_t j = 0; j < no; j++) assert_int_equal(ot[j], nt[j]);
		assert_int_equal(ft, nft);
		assert_int_equal(sum(ot, no) + ft, T);
		/* tiho */
		assert_int_equal(tl_policy_apply(TL_POLICY_TIHO, iv, it, ni, ov, no, ot, &ft, &err), 0);
		naive_tiho(it, ni, ov, no, nt, &nft);
		for (size_t j = 0; j < no; j++) assert_int_equal(ot[j], nt[j]);
		assert_int_equal(ft, nft);
		assert_int_equal(sum(ot, no) + ft, T);
		/* poison: full or nothing */
		assert_int_equal(tl_policy_apply(TL_POLICY_POISON, iv, it, ni, ov, no, ot, &ft, &err), 0);
		for (size_t j = 0; j < no; j++) assert_int_equal(ot[j], T ? ov[j] : 0);
		assert_int_equal(ft, T ? V - O : 0);
		/* fifo vs concatenated bitmaps */
		assert_int_equal(tl_policy_fifo(iv, isets, ni, ov, no, osets, ot, &ft, &err), 0);
		uint8_t *all = calloc(V + 1, 1);
		uint64_t pos = 0;
		for (size_t i = 0; i < ni; i++) {
			memcpy(all + pos, bits[i], iv[i]);
			pos += iv[i];
		}
		pos = 0;
		for (size_t j = 0; j < no; j++) {
			uint64_t cnt = 0;
			assert_int_equal(tl_ivset_check(&osets[j], ov[j], &err), 0);
			for (uint64_t x = 0; x < ov[j]; x++) {
				int in = 0;
				for (uint32_t k = 0; k < osets[j].n; k++)
					in |= x >= osets[j].v[k].lo && x < osets[j].v[k].hi;
				assert_int_equal(in, all[pos + x]);
				cnt += all[pos + x];
			}
			assert_int_equal(ot[j], cnt);
			pos += ov[j];
		}
		uint64_t fcnt = 0;
		for (uint64_t x = pos; x < V; x++) fcnt += all[x];
		assert_int_equal(ft, fcnt);
		assert_int_equal(sum(ot, no) + ft, T);
		free(all);
		for (size_t i = 0; i < ni; i++) {
			tl_ivset_free(&isets[i]);
			free(bits[i]);
		}
		for (size_t j = 0; j < no; j++) tl_ivset_free(&osets[j]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),          cmocka_unit_test(test_haircut_worked),
		cmocka_unit_test(test_poison_worked),  cmocka_unit_test(test_tiho_worked),
		cmocka_unit_test(test_fifo_worked),    cmocka_unit_test(test_edges),
		cmocka_unit_test(test_ivset),          cmocka_unit_test(test_random_vs_naive),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
