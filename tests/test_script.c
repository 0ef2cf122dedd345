/* Script classification against Bitcoin Core's Solver() rules: each case
 * is a scriptPubKey written out by hand from the templates (or taken from
 * the chain / BIP vectors) with the type Core gives it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bitcoin/hash.h"
#include "bitcoin/script.h"

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2;
	assert_true(n <= cap);
	assert_int_equal(tl_hex_decode(hex, strlen(hex), out, n), 0);
	return n;
}

struct vec {
	const char *hex;
	enum tl_script_type type;
	const char *why;
};

/* 33-byte and 65-byte keys used to build scripts. */
#define K33 "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
#define K65                                                                        \
	"04678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f"
#define H20 "751e76e8199196d454941c45d1b3a323f1433bd6"
#define H32 "1863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262"

static const struct vec vectors[] = {
	{ "", TL_SCRIPT_NONSTANDARD, "empty" },
	/* P2PK: genesis output, a compressed key, hybrid keys (Core only checks the size the prefix announces) */
	{ "41" K65 "ac", TL_SCRIPT_PUBKEY, "genesis P2PK" },
	{ "21" K33 "ac", TL_SCRIPT_PUBKEY, "compressed P2PK" },
	{ "4106" K65 "ac", TL_SCRIPT_NONSTANDARD, "65-byte push followed by extra bytes" },
	{ "41" "06678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f" "ac",
	  TL_SCRIPT_PUBKEY, "hybrid 06 key" },
	{ "41" "05678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f" "ac",
	  TL_SCRIPT_NONSTANDARD, "65-byte key with prefix 05" },
	{ "21" "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798" "ac", TL_SCRIPT_NONSTANDARD,
	  "33-byte key with prefix 04" },
	{ "21" "0200000000000000000000000000000000000000000000000000000000000000ff" "ac", TL_SCRIPT_PUBKEY,
	  "compressed key not on the curve (Solver does not check)" },
	{ "21" K33 "ad", TL_SCRIPT_NONSTANDARD, "OP_CHECKSIGVERIFY" },
	{ "4c21" K33 "ac", TL_SCRIPT_NONSTANDARD, "key pushed with PUSHDATA1" },
	/* P2PKH */
	{ "76a914" H20 "88ac", TL_SCRIPT_PUBKEYHASH, "P2PKH" },
	{ "76a914" H20 "88ac00", TL_SCRIPT_NONSTANDARD, "P2PKH + trailing byte" },
	{ "76a913" "751e76e8199196d454941c45d1b3a323f1433b" "88ac", TL_SCRIPT_NONSTANDARD, "19-byte hash" },
	{ "76a94c14" H20 "88ac", TL_SCRIPT_NONSTANDARD, "P2PKH hash via PUSHDATA1" },
	/* P2SH */
	{ "a914" H20 "87", TL_SCRIPT_SCRIPTHASH, "P2SH" },
	{ "a914" H20 "88", TL_SCRIPT_NONSTANDARD, "P2SH with EQUALVERIFY" },
	/* witness programs */
	{ "0014" H20, TL_SCRIPT_WITNESS_V0_KEYHASH, "P2WPKH" },
	{ "0020" H32, TL_SCRIPT_WITNESS_V0_SCRIPTHASH, "P2WSH" },
	{ "5120" "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", TL_SCRIPT_WITNESS_V1_TAPROOT, "P2TR" },
	{ "51024e73", TL_SCRIPT_ANCHOR, "pay-to-anchor" },
	{ "51024e74", TL_SCRIPT_WITNESS_UNKNOWN, "v1 2-byte program that is not the anchor" },
	{ "52024e73", TL_SCRIPT_WITNESS_UNKNOWN, "v2 program 4e73" },
	{ "6002751e", TL_SCRIPT_WITNESS_UNKNOWN, "BIP350 v16 vector" },
	{ "5210751e76e8199196d454941c45d1b3a323", TL_SCRIPT_WITNESS_UNKNOWN, "BIP350 v2 vector" },
	{ "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6",
	  TL_SCRIPT_WITNESS_UNKNOWN, "BIP350 v1 40-byte vector" },
	{ "0010751e76e8199196d454941c45d1b3a323", TL_SCRIPT_NONSTANDARD, "v0 16-byte program" },
	{ "0015" H20 "00", TL_SCRIPT_NONSTANDARD, "v0 21-byte program" },
	{ "0001ff", TL_SCRIPT_NONSTANDARD, "3 bytes: too short to be a witness program" },
	{ "5101ff", TL_SCRIPT_NONSTANDARD, "v1 1-byte program" },
	{ "5129" H20 H20 "00", TL_SCRIPT_NONSTANDARD, "v1 41-byte program (43-byte script)" },
	{ "4f02abcd", TL_SCRIPT_NONSTANDARD, "OP_1NEGATE is not a witness version" },
	{ "5002abcd", TL_SCRIPT_NONSTANDARD, "OP_RESERVED is not a witness version" },
	{ "6102abcd", TL_SCRIPT_NONSTANDARD, "OP_NOP is not a witness version" },
	{ "0014" "751e76e8199196d454941c45d1b3a323f1433b", TL_SCRIPT_NONSTANDARD, "push longer than the script" },
	/* nulldata */
	{ "6a", TL_SCRIPT_NULLDATA, "bare OP_RETURN" },
	{ "6a04deadbeef", TL_SCRIPT_NULLDATA, "OP_RETURN push" },
	{ "6a0051604f50", TL_SCRIPT_NULLDATA, "OP_RETURN small-int opcodes and OP_RESERVED are pushes" },
	{ "6a4c0401020304", TL_SCRIPT_NULLDATA, "OP_RETURN PUSHDATA1" },
	{ "6a4d0200abcd", TL_SCRIPT_NULLDATA, "OP_RETURN PUSHDATA2" },
	{ "6a4e01000000ab", TL_SCRIPT_NULLDATA, "OP_RETURN PUSHDATA4" },
	{ "6a04deadbe", TL_SCRIPT_NONSTANDARD, "OP_RETURN truncated push" },
	{ "6a4d01", TL_SCRIPT_NONSTANDARD, "OP_RETURN truncated PUSHDATA2 length" },
	{ "6a61", TL_SCRIPT_NONSTANDARD, "OP_RETURN OP_NOP" },
	{ "6a6a", TL_SCRIPT_NONSTANDARD, "OP_RETURN OP_RETURN" },
	{ "006a", TL_SCRIPT_NONSTANDARD, "OP_RETURN not first" },
	/* bare multisig */
	{ "5121" K33 "41" K65 "52ae", TL_SCRIPT_MULTISIG, "1-of-2" },
	{ "5221" K33 "21" K33 "52ae", TL_SCRIPT_MULTISIG, "2-of-2 same key" },
	{ "5121" K33 "51ae", TL_SCRIPT_MULTISIG, "1-of-1" },
	{ "5221" K33 "51ae", TL_SCRIPT_NONSTANDARD, "2-of-1" },
	{ "0021" K33 "51ae", TL_SCRIPT_NONSTANDARD, "0-of-1" },
	{ "5121" K33 "52ae", TL_SCRIPT_NONSTANDARD, "n does not match the key count" },
	{ "5121" K33 "51ae00", TL_SCRIPT_NONSTANDARD, "trailing byte" },
	{ "5121" K33 "51af", TL_SCRIPT_NONSTANDARD, "OP_CHECKMULTISIGVERIFY" },
	{ "51ae", TL_SCRIPT_NONSTANDARD, "no keys, no n" },
	{ "5151ae", TL_SCRIPT_NONSTANDARD, "1-of-0 keys" },
	{ "514c21" K33 "51ae", TL_SCRIPT_MULTISIG, "key pushed with PUSHDATA1" },
	{ "510101" "21" K33 "51ae", TL_SCRIPT_NONSTANDARD, "m as a non-minimal push" },
	{ "5114" H20 "51ae", TL_SCRIPT_NONSTANDARD, "20-byte item is not a key" },
	{ "5121" "05" "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798" "51ae", TL_SCRIPT_NONSTANDARD,
	  "key with prefix 05" },
	{ "ae", TL_SCRIPT_NONSTANDARD, "lone OP_CHECKMULTISIG" },
	/* other */
	{ "51", TL_SCRIPT_NONSTANDARD, "OP_TRUE" },
	{ "4c", TL_SCRIPT_NONSTANDARD, "truncated PUSHDATA1" },
};

static void test_vectors(void **state)
{
	(void)state;
	uint8_t s[1024];
	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		size_t n = unhex(vectors[i].hex, s, sizeof s);
		struct tl_script_info si;
		tl_script_classify(s, n, &si);
		if (si.type != vectors[i].type)
			fail_msg("%s (%s): got %s, want %s", vectors[i].why, vectors[i].hex, tl_script_type_name(si.type),
				 tl_script_type_name(vectors[i].type));
		/* data always lies inside the script */
		if (si.data) {
			assert_true(si.data >= s && si.data + si.data_len <= s + n);
		} else {
			assert_int_equal(si.data_len, 0);
		}
	}
}

/* Payload pointers and fields for each owner-bearing type. */
static void test_payloads(void **state)
{
	(void)state;
	uint8_t s[256], want[128];
	struct tl_script_info si;
	size_t n;

	n = unhex("76a914" H20 "88ac", s, sizeof s);
	tl_script_classify(s, n, &si);
	unhex(H20, want, sizeof want);
	assert_int_equal(si.data_len, 20);
	assert_memory_equal(si.data, want, 20);
	assert_int_equal(si.witness_version, -1);

	n = unhex("a914" H20 "87", s, sizeof s);
	tl_script_classify(s, n, &si);
	assert_int_equal(si.data_len, 20);
	assert_memory_equal(si.data, want, 20);

	n = unhex("0014" H20, s, sizeof s);
	tl_script_classify(s, n, &si);
	assert_int_equal(si.witness_version, 0);
	assert_memory_equal(si.data, want, 20);

	n = unhex("0020" H32, s, sizeof s);
	tl_script_classify(s, n, &si);
	unhex(H32, want, sizeof want);
	assert_int_equal(si.data_len, 32);
	assert_memory_equal(si.data, want, 32);

	n = unhex("6002751e", s, sizeof s);
	tl_script_classify(s, n, &si);
	assert_int_equal(si.witness_version, 16);
	assert_int_equal(si.data_len, 2);
	assert_int_equal(si.data[0], 0x75);

	n = unhex("51024e73", s, sizeof s);
	tl_script_classify(s, n, &si);
	assert_int_equal(si.witness_version, 1);
	assert_int_equal(si.data_len, 2);

	n = unhex("41" K65 "ac", s, sizeof s);
	tl_script_classify(s, n, &si);
	unhex(K65, want, sizeof want);
	assert_int_equal(si.data_len, 65);
	assert_memory_equal(si.data, want, 65);
	assert_int_equal(si.witness_version, -1);

	n = unhex("5221" K33 "41" K65 "21" K33 "53ae", s, sizeof s);
	tl_script_classify(s, n, &si);
	assert_int_equal(si.type, TL_SCRIPT_MULTISIG);
	assert_int_equal(si.m, 2);
	assert_int_equal(si.n, 3);
	assert_null(si.data);
}

/* Core accepts up to 20 keys, with 17..20 written as a one-byte push. */
static void test_multisig_limits(void **state)
{
	(void)state;
	uint8_t s[2048], key[33];
	unhex(K33, key, sizeof key);
	for (int keys = 1; keys <= 21; keys++) {
		for (int enc = 0; enc < 2; enc++) {
			size_t n = 0;
			/* m = 1, then the keys, then n */
			s[n++] = 0x51;
			for (int k = 0; k < keys; k++) {
				s[n++] = 33;
				memcpy(s + n, key, 33);
				n += 33;
			}
			if (keys <= 16 && enc == 0) {
				s[n++] = (uint8_t)(0x50 + keys);
			} else {
				s[n++] = 0x01;
				s[n++] = (uint8_t)keys;
			}
			s[n++] = 0xae;
			struct tl_script_info si;
			tl_script_classify(s, n, &si);
			/* a one-byte push of 1..16 is not minimal; over 20 is out of range */
			int want = (keys <= 16) ? enc == 0 : keys <= 20;
			if ((si.type == TL_SCRIPT_MULTISIG) != want)
				fail_msg("%d keys, encoding %d: got %s", keys, enc, tl_script_type_name(si.type));
			if (want) assert_int_equal(si.n, keys);
		}
	}
}

static void test_names(void **state)
{
	(void)state;
	static const char *core[TL_SCRIPT_TYPE_COUNT] = {
		"nonstandard", "pubkey", "pubkeyhash", "scripthash", "multisig", "nulldata",
		"witness_v0_keyhash", "witness_v0_scripthash", "witness_v1_taproot", "anchor", "witness_unknown",
	};
	for (int i = 0; i < TL_SCRIPT_TYPE_COUNT; i++) {
		assert_string_equal(tl_script_type_name((enum tl_script_type)i), core[i]);
		enum tl_script_type t;
		assert_int_equal(tl_script_type_from_name(core[i], &t), 0);
		assert_int_equal(t, i);
	}
	enum tl_script_type t;
	assert_int_equal(tl_script_type_from_name("p2pkh", &t), -1);
	assert_string_equal(tl_script_type_name(TL_SCRIPT_TYPE_COUNT), "nonstandard");
	int has[TL_SCRIPT_TYPE_COUNT] = { 0, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1 };
	for (int i = 0; i < TL_SCRIPT_TYPE_COUNT; i++)
		assert_int_equal(tl_script_type_has_address((enum tl_script_type)i), has[i]);
}

static void test_script_key(void **state)
{
	(void)state;
	uint8_t s[256], k[TL_SCRIPT_KEY_MAX], k2[TL_SCRIPT_KEY_MAX], h[32], want[65];
	size_t n, kl;

	n = unhex("76a914" H20 "88ac", s, sizeof s);
	kl = tl_script_key(s, n, k);
	unhex(H20, want, sizeof want);
	assert_int_equal(kl, 21);
	assert_int_equal(k[0], TL_SCRIPT_PUBKEYHASH);
	assert_memory_equal(k + 1, want, 20);

	/* same hash as P2WPKH: a different owner key */
	n = unhex("0014" H20, s, sizeof s);
	size_t kl2 = tl_script_key(s, n, k2);
	assert_int_equal(kl2, 21);
	assert_int_equal(k2[0], TL_SCRIPT_WITNESS_V0_KEYHASH);
	assert_memory_not_equal(k, k2, 21);

	n = unhex("41" K65 "ac", s, sizeof s);
	kl = tl_script_key(s, n, k);
	unhex(K65, want, sizeof want);
	assert_int_equal(kl, 66);
	assert_int_equal(k[0], TL_SCRIPT_PUBKEY);
	assert_memory_equal(k + 1, want, 65);

	/* witness_unknown keys carry the version */
	n = unhex("5210751e76e8199196d454941c45d1b3a323", s, sizeof s);
	kl = tl_script_key(s, n, k);
	assert_int_equal(kl, 18);
	assert_int_equal(k[0], TL_SCRIPT_WITNESS_UNKNOWN);
	assert_int_equal(k[1], 2);
	assert_memory_equal(k + 2, s + 2, 16);
	s[0] = 0x53; /* v3, same program */
	kl2 = tl_script_key(s, n, k2);
	assert_int_equal(kl2, 18);
	assert_memory_not_equal(k, k2, 18);

	/* hashed types: type byte + SHA-256 of the whole script */
	const char *hashed[] = { "6a04deadbeef", "5121" K33 "51ae", "51", "" };
	enum tl_script_type ht[] = { TL_SCRIPT_NULLDATA, TL_SCRIPT_MULTISIG, TL_SCRIPT_NONSTANDARD,
				     TL_SCRIPT_NONSTANDARD };
	for (size_t i = 0; i < 4; i++) {
		n = unhex(hashed[i], s, sizeof s);
		kl = tl_script_key(n ? s : NULL, n, k);
		assert_int_equal(kl, 33);
		assert_int_equal(k[0], ht[i]);
		tl_sha256(s, n, h);
		assert_memory_equal(k + 1, h, 32);
	}
	/* empty script SHA-256 is the well-known e3b0c442... */
	tl_hex_decode("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 64, want, 32);
	assert_memory_equal(k + 1, want, 32);
}

static void test_get_op(void **state)
{
	(void)state;
	uint8_t s[16];
	size_t n = unhex("4d0300aabbcc4e010000000061", s, sizeof s);
	size_t pos = 0, dlen;
	const uint8_t *d;
	uint8_t op;
	assert_int_equal(tl_script_get_op(s, n, &pos, &op, &d, &dlen), 0);
	assert_int_equal(op, 0x4d);
	assert_int_equal(dlen, 3);
	assert_int_equal(d[0], 0xaa);
	assert_int_equal(tl_script_get_op(s, n, &pos, &op, &d, &dlen), 0);
	assert_int_equal(op, 0x4e);
	assert_int_equal(dlen, 1);
	assert_int_equal(d[0], 0x00);
	assert_int_equal(tl_script_get_op(s, n, &pos, &op, &d, &dlen), 0);
	assert_int_equal(op, 0x61);
	assert_int_equal(dlen, 0);
	assert_int_equal(pos, n);
	assert_int_equal(tl_script_get_op(s, n, &pos, &op, &d, &dlen), -1);
	/* PUSHDATA4 claiming 4 GiB must fail, not wrap */
	n = unhex("4effffffff00", s, sizeof s);
	pos = 0;
	assert_int_equal(tl_script_get_op(s, n, &pos, &op, &d, &dlen), -1);
	assert_int_equal(pos, 0);
}

/* Random scripts (biased toward template prefixes) never crash and the
 * payload always lies inside the script. */
static void test_random(void **state)
{
	(void)state;
	uint8_t s[80];
	uint32_t x = 12345;
	static const uint8_t starts[] = { 0x00, 0x51, 0x60, 0x6a, 0x76, 0xa9, 0x21, 0x41, 0x52 };
	for (int it = 0; it < 200000; it++) {
		x = x * 1103515245u + 12345u;
		size_t n = (x >> 16) % sizeof s;
		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			s[i] = (uint8_t)(x >> 16);
		}
		if (n) s[0] = starts[(x >> 8) % sizeof starts];
		if (n > 1 && (x & 1)) s[1] = (uint8_t)(n - 2);
		struct tl_script_info si;
		tl_script_classify(s, n, &si);
		assert_true((unsigned)si.type < TL_SCRIPT_TYPE_COUNT);
		if (si.data) assert_true(si.data >= s && si.data + si.data_len <= s + n);
		uint8_t k[TL_SCRIPT_KEY_MAX];
		size_t kl = tl_script_key(s, n, k);
		assert_true(kl >= 3 && kl <= TL_SCRIPT_KEY_MAX);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),        cmocka_unit_test(test_payloads),
		cmocka_unit_test(test_multisig_limits), cmocka_unit_test(test_names),
		cmocka_unit_test(test_script_key),     cmocka_unit_test(test_get_op),
		cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
