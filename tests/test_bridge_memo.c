/* The THORChain memo grammar: hand-worked memos (the real outbound quoted
 * in THORNode issue #2232, swaps with trailing parts left out, short
 * codes, limit swaps, streaming parameters), malformed ones, and a
 * randomized round trip: memos assembled from random parts by a separate
 * writer must parse back to those parts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bridge/memo.h"
#include "tests/testutil.h"

static int parse(const char *s, struct tl_memo *m, const char **why)
{
	return tl_memo_parse(s, strlen(s), m, why);
}

static void test_out_real(void **st)
{
	(void)st;
	struct tl_memo m;
	const char *why;
	const char *real = "OUT:A709EC70E2254ECE1E32CCF857047663E395C7CA259CB9C3099652C552A409D4";
	assert_int_equal(parse(real, &m, &why), 1);
	assert_int_equal(m.kind, TL_MEMO_OUT);
	static const uint8_t want[32] = { 0xA7, 0x09, 0xEC, 0x70, 0xE2, 0x25, 0x4E, 0xCE, 0x1E, 0x32, 0xCC,
					  0xF8, 0x57, 0x04, 0x76, 0x63, 0xE3, 0x95, 0xC7, 0xCA, 0x25, 0x9C,
					  0xB9, 0xC3, 0x09, 0x96, 0x52, 0xC5, 0x52, 0xA4, 0x09, 0xD4 };
	assert_memory_equal(m.in_hash, want, 32);
	char buf[80];
	assert_int_equal(tl_memo_format_out(false, m.in_hash, buf), strlen(real));
	assert_string_equal(buf, real);
	/* 0x prefix, lower case and a lower-case function name read the same */
	assert_int_equal(parse("out:0xa709ec70e2254ece1e32ccf857047663e395c7ca259cb9c3099652c552a409d4", &m, &why), 1);
	assert_memory_equal(m.in_hash, want, 32);
	assert_int_equal(parse("REFUND:A709EC70E2254ECE1E32CCF857047663E395C7CA259CB9C3099652C552A409D4", &m, &why), 1);
	assert_int_equal(m.kind, TL_MEMO_REFUND);
	assert_memory_equal(m.in_hash, want, 32);
	tl_memo_format_out(true, m.in_hash, buf);
	assert_string_equal(buf, "REFUND:A709EC70E2254ECE1E32CCF857047663E395C7CA259CB9C3099652C552A409D4");
}

static void test_out_malformed(void **st)
{
	(void)st;
	struct tl_memo m;
	const char *why = NULL;
	const char *badm[] = {
		"OUT:",
		"OUT",
		"OUT:A709EC70E2254ECE1E32CCF857047663E395C7CA259CB9C3099652C552A409D",   /* 63 digits */
		"OUT:A709EC70E2254ECE1E32CCF857047663E395C7CA259CB9C3099652C552A409D4F", /* 65 */
		"OUT:G709EC70E2254ECE1E32CCF857047663E395C7CA259CB9C3099652C552A409D4",  /* not hex */
		"REFUND:0x",
		"OUT:1x709EC70E2254ECE1E32CCF857047663E395C7CA259CB9C3099652C552A409D4",
	};
	for (size_t i = 0; i < sizeof badm / sizeof badm[0]; i++) {
		why = NULL;
		assert_int_equal(parse(badm[i], &m, &why), -1);
		assert_non_null(why);
		assert_int_equal(m.kind, TL_MEMO_NONE);
	}
	/* a NUL inside a memo is malformed, not a shorter memo */
	char nul[] = "OUT:A709EC70E2254ECE1E32CCF857047663E395C7CA259CB9C3099652C552A409D4";
	nul[10] = 0;
	assert_int_equal(tl_memo_parse(nul, sizeof nul - 1, &m, &why), -1);
}

static void test_not_memo(void **st)
{
	(void)st;
	struct tl_memo m;
	const char *why;
	const char *other[] = { "", "hello world", "ADD:BTC.BTC", "CONSOLIDATE", "MIGRATE:123", "omni\x01\x02",
				"OUTX:AB", "SWAPS:BTC.BTC", "=<<:BTC.BTC" };
	for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
		assert_int_equal(parse(other[i], &m, &why), 0);
		assert_int_equal(m.kind, TL_MEMO_NONE);
	}
	assert_int_equal(tl_memo_parse(NULL, 0, &m, &why), 0);
}

static void test_swaps(void **st)
{
	(void)st;
	struct tl_memo m;
	const char *why;
	/* the two shapes quoted in multichain.md */
	assert_int_equal(parse("=:BTC.BTC:bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh/0x7a0916ae3b9a7e4a3b8b4bd0fa8b1c2d3e4f5a6b", &m, &why), 1);
	assert_int_equal(m.kind, TL_MEMO_SWAP);
	assert_false(m.limit_swap);
	assert_string_equal(m.asset, "BTC.BTC");
	assert_string_equal(m.chain, "BTC");
	assert_string_equal(m.dest, "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh");
	assert_string_equal(m.refund, "0x7a0916ae3b9a7e4a3b8b4bd0fa8b1c2d3e4f5a6b");
	assert_string_equal(m.limit, "");
	assert_int_equal(parse("=:BTC.BTC:bc1qrrqlabc::thor1a427xyz:100", &m, &why), 1);
	assert_string_equal(m.dest, "bc1qrrqlabc");
	assert_string_equal(m.limit, "");
	assert_string_equal(m.affiliate, "thor1a427xyz");
	assert_string_equal(m.fee, "100");
	/* every part */
	assert_int_equal(parse("SWAP:ETH.USDT-0xdac17f958d2ee523a2206206994597c13d831ec7:0xabc:12345/3/10:aff:50", &m, &why), 1);
	assert_string_equal(m.asset, "ETH.USDT-0XDAC17F958D2EE523A2206206994597C13D831EC7");
	assert_string_equal(m.chain, "ETH");
	assert_string_equal(m.dest, "0xabc");
	assert_string_equal(m.limit, "12345");
	assert_int_equal(m.interval, 3);
	assert_int_equal(m.quantity, 10);
	assert_string_equal(m.affiliate, "aff");
	assert_string_equal(m.fee, "50");
	/* short forms, short codes, limit swap, exponent limits */
	assert_int_equal(parse("s:e:0x1234", &m, &why), 1);
	assert_string_equal(m.asset, "ETH.ETH");
	assert_string_equal(m.chain, "ETH");
	assert_int_equal(parse("=<:b:bc1qdest:1e8", &m, &why), 1);
	assert_true(m.limit_swap);
	assert_string_equal(m.asset, "BTC.BTC");
	assert_string_equal(m.limit, "1e8");
	assert_int_equal(parse("=:btc.btc", &m, &why), 1); /* destination omitted */
	assert_string_equal(m.asset, "BTC.BTC");
	assert_string_equal(m.dest, "");
	assert_int_equal(parse("=:BTC/BTC:thor1x", &m, &why), 1); /* synth */
	assert_string_equal(m.chain, "BTC");
	assert_int_equal(parse("=:ETH.ETH:0xd::a1/a2:10/20", &m, &why), 1); /* two affiliates */
	assert_string_equal(m.fee, "10/20");
	/* malformed swaps */
	const char *badm[] = { "=:", "SWAP", "=:BTC", "=:.BTC:x", "=:BTC.:x", "=:B@C.BTC:x", "=:BTC.BTC:a/b/c",
			       "=:BTC.BTC:x:12/3", "=:BTC.BTC:x:abc", "=:BTC.BTC:x:1/a/2", "=:BTC.BTC:x:1::fee",
			       "=:BTC.BTC:x y", "=:BTC.BTC:x:1:aff:123456" };
	for (size_t i = 0; i < sizeof badm / sizeof badm[0]; i++) {
		why = NULL;
		if (parse(badm[i], &m, &why) != -1) fail_msg("accepted %s", badm[i]);
		assert_non_null(why);
	}
	/* over 250 bytes */
	char big[300];
	memset(big, 'a', sizeof big);
	memcpy(big, "=:BTC.BTC:", 10);
	assert_int_equal(tl_memo_parse(big, sizeof big, &m, &why), -1);
}

/* xorshift64*, seeded from the environment or the clock; printed. */
static uint64_t rng;
static uint64_t next(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static void rand_token(char *out, size_t maxlen, const char *alphabet)
{
	size_t n = 1 + next() % maxlen, a = strlen(alphabet);
	for (size_t i = 0; i < n; i++) out[i] = alphabet[next() % a];
	out[n] = 0;
}

static void test_roundtrip_random(void **st)
{
	(void)st;
	const char *env = getenv("TL_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 10) : 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)&seed;
	rng = seed | 1;
	static const char *fns[] = { "SWAP", "s", "=", "=<", "swap" };
	for (int it = 0; it < 20000; it++) {
		char asset[40], chain[12], sym[24], dest[64], refund[64], limit[24], aff[24], fee[8], memo[400];
		rand_token(chain, 5, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
		rand_token(sym, 20, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
		snprintf(asset, sizeof asset, "%s.%s", chain, sym);
		rand_token(dest, 60, "abcdefghijklmnopqrstuvwxyz0123456789");
		rand_token(refund, 60, "abcdefghijklmnopqrstuvwxyz0123456789");
		rand_token(limit, 18, "0123456789");
		rand_token(aff, 20, "abcdefghijklmnopqrstuvwxyz");
		rand_token(fee, 4, "0123456789");
		uint64_t interval = next() % 1000, quantity = next() % 1000;
		int parts = 1 + (int)(next() % 5); /* how many after the asset */
		bool with_refund = next() & 1, streaming = next() & 1;
		int fi = (int)(next() % 5);
		int n = snprintf(memo, sizeof memo, "%s:%s", fns[fi], asset);
		if (parts >= 2) n += snprintf(memo + n, sizeof memo - n, ":%s%s%s", dest, with_refund ? "/" : "", with_refund ? refund : "");
		if (parts >= 3) {
			if (streaming) n += snprintf(memo + n, sizeof memo - n, ":%s/%llu/%llu", limit, (unsigned long long)interval, (unsigned long long)quantity);
			else n += snprintf(memo + n, sizeof memo - n, ":%s", limit);
		}
		if (parts >= 4) n += snprintf(memo + n, sizeof memo - n, ":%s", aff);
		if (parts >= 5) n += snprintf(memo + n, sizeof memo - n, ":%s", fee);
		struct tl_memo m;
		const char *why;
		int r = tl_memo_parse(memo, (size_t)n, &m, &why);
		if (n > TL_MEMO_MAX) {
			if (r != -1) fail_msg("seed %llu: accepted %d-byte memo", (unsigned long long)seed, n);
			continue;
		}
		if (r != 1) fail_msg("seed %llu: rejected %s (%s)", (unsigned long long)seed, memo, why ? why : "-");
		assert_string_equal(m.asset, asset);
		assert_string_equal(m.chain, chain);
		assert_int_equal(m.limit_swap, fi == 3);
		assert_string_equal(m.dest, parts >= 2 ? dest : "");
		assert_string_equal(m.refund, parts >= 2 && with_refund ? refund : "");
		assert_string_equal(m.limit, parts >= 3 ? limit : "");
		assert_int_equal(m.interval, parts >= 3 && streaming ? interval : 0);
		assert_int_equal(m.quantity, parts >= 3 && streaming ? quantity : 0);
		assert_string_equal(m.affiliate, parts >= 4 ? aff : "");
		assert_string_equal(m.fee, parts >= 5 ? fee : "");
		/* any single-byte change still gives a clean answer, and a parse
		 * never reports a kind when it fails */
		memo[next() % (size_t)n] = (char)(next() & 0xff);
		r = tl_memo_parse(memo, (size_t)n, &m, &why);
		assert_true(r >= -1 && r <= 1);
		if (r != 1) assert_int_equal(m.kind, TL_MEMO_NONE);
	}
	/* random OUT hashes round-trip through the formatter */
	for (int it = 0; it < 2000; it++) {
		uint8_t h[32];
		for (int i = 0; i < 32; i++) h[i] = (uint8_t)next();
		char buf[80];
		bool refund = next() & 1;
		size_t n = tl_memo_format_out(refund, h, buf);
		struct tl_memo m;
		if (tl_memo_parse(buf, n, &m, NULL) != 1) fail_msg("seed %llu: %s", (unsigned long long)seed, buf);
		assert_int_equal(m.kind, refund ? TL_MEMO_REFUND : TL_MEMO_OUT);
		assert_memory_equal(m.in_hash, h, 32);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_out_real),
		cmocka_unit_test(test_out_malformed),
		cmocka_unit_test(test_not_memo),
		cmocka_unit_test(test_swaps),
		cmocka_unit_test(test_roundtrip_random),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
