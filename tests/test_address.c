/* Address codecs against published vectors: BIP173 and BIP350 (bech32,
 * bech32m, segwit addresses with their scriptPubKeys, invalid strings and
 * addresses), base58check vectors, and every output address of the
 * mainnet reference blocks (expected values made by an independent
 * implementation, bitcoinjs-lib). */
#include <ctype.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "bitcoin/address.h"
#include "bitcoin/block.h"
#include "bitcoin/hash.h"
#include "tests/testutil.h"

static const struct tl_netparams *MAIN, *TEST, *SIGNET, *REGTEST;

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2;
	assert_true(n <= cap);
	assert_int_equal(tl_hex_decode(hex, strlen(hex), out, n), 0);
	return n;
}

static void lower(const char *in, char *out)
{
	while (*in) *out++ = (char)tolower((unsigned char)*in++);
	*out = 0;
}

/* ---- base58check ---- */

/* Payloads (version byte first) and their base58check strings: Bitcoin
 * Core's key_io_valid.json and the genesis coinbase key's address. */
static const struct {
	const char *payload, *b58;
} b58_valid[] = {
	{ "0065a16059864a2fdbc7c99a4723a8395bc6f188eb", "1AGNa15ZQXAZUgFiqJ2i7Z2DPU2J6hW62i" },
	{ "0574f209f6ea907e2ea48f74fae05782ae8a665257", "3CMNFxN1oHBc4R1EpboAL5yzHGgE611Xou" },
	{ "6f53c0307d6851aa0ce7825ba883c6bd9ad242b486", "mo9ncXisMeAoXwqcV5EWuyncbmCcQN4rVs" },
	{ "c46349a418fc4578d10a372b54b45c280cc8c4382f", "2N2JD6wb56AfK4tfmM6PwdVmoYk2dCKf4Br" },
	{ "0062e907b15cbf27d5425399ebf6f0fb50ebb88f18", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa" },
};

static const char *b58_invalid[] = {
	"1AGNa15ZQXAZUgFiqJ2i7Z2DPU2J6hW62j",   /* checksum */
	"1ANNa15ZQXAZUgFiqJ2i7Z2DPU2J6hW62i",   /* checksum */
	"1Q1pE5vPGEEMqRcVRMbtBK842Y6Pzo6nJ9",   /* checksum */
	"1A Na15ZQXAZUgFiqJ2i7Z2DPU2J6hW62i",   /* space */
	"1AGNa15ZQXAZUgFiqJ2i7Z2DPU2J6hW62I",   /* 'I' is not base58 */
	"1AGNa15ZQXAZUgFiqJ2i7Z2DPU2J6hW62!",   /* '!' */
	"1AGNa15ZQXAZUgFiqJ2i7Z2DPU2J6hW62iz",  /* extra character */
	"1AGNa15ZQXAZUgFiqJ2i7Z2DPU2J6hW62izz", /* two extra */
	"1BNGaR29FmfAqidXmD9HLws",              /* truncated */
	/* valid base58 (Core's base58_encode_decode.json) whose last 4 bytes
	 * are not the checksum */
	"1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L",
	"",
	"1",
	"0OIl",
	" 1AGNa15ZQXAZUgFiqJ2i7Z2DPU2J6hW62i",
	"1AGNa15ZQXAZUgFiqJ2i7Z2DPU2J6hW62i\n",
};

static void test_base58check_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof b58_valid / sizeof b58_valid[0]; i++) {
		uint8_t p[64], got[64];
		size_t n = unhex(b58_valid[i].payload, p, sizeof p), gl = 0;
		char s[2 * 64 + 6];
		tl_base58check_encode(p, n, s);
		assert_string_equal(s, b58_valid[i].b58);
		struct tl_err err;
		if (tl_base58check_decode(b58_valid[i].b58, got, sizeof got, &gl, &err) != 0)
			fail_msg("%s: %s", b58_valid[i].b58, err.msg);
		assert_int_equal(gl, n);
		assert_memory_equal(got, p, n);
		/* a buffer one byte short is refused */
		assert_int_equal(tl_base58check_decode(b58_valid[i].b58, got, n - 1, &gl, &err), -1);
	}
	for (size_t i = 0; i < sizeof b58_invalid / sizeof b58_invalid[0]; i++) {
		uint8_t got[64];
		size_t gl;
		struct tl_err err = { 0 };
		if (tl_base58check_decode(b58_invalid[i], got, sizeof got, &gl, &err) == 0)
			fail_msg("accepted invalid base58check '%s'", b58_invalid[i]);
		assert_true(err.msg[0] != 0);
	}
}

/* Naive base58 of a byte string by long division of a big-endian number
 * (a second, independent computation). */
static void naive_base58(const uint8_t *in, size_t n, char *out)
{
	static const char a[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
	uint8_t num[256];
	char rev[512];
	size_t r = 0, z = 0;
	memcpy(num, in, n);
	while (z < n && in[z] == 0) z++;
	for (;;) {
		int nonzero = 0;
		unsigned rem = 0;
		for (size_t i = 0; i < n; i++) {
			unsigned cur = (rem << 8) | num[i];
			num[i] = (uint8_t)(cur / 58);
			rem = cur % 58;
			if (num[i]) nonzero = 1;
		}
		int allzero_before = 1;
		for (size_t i = 0; i < n; i++)
			if (in[i]) allzero_before = 0;
		if (allzero_before) break;
		rev[r++] = a[rem];
		if (!nonzero) break;
	}
	size_t o = 0;
	for (size_t i = 0; i < z; i++) out[o++] = '1';
	while (r) out[o++] = rev[--r];
	out[o] = 0;
}

static void test_base58check_random(void **state)
{
	(void)state;
	uint32_t x = 7;
	for (int it = 0; it < 3000; it++) {
		uint8_t p[80], full[84], sum[32], got[80];
		x = x * 1103515245u + 12345u;
		size_t n = 1 + (x >> 16) % 70;
		size_t zeros = (x >> 8) % 4;
		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			p[i] = i < zeros ? 0 : (uint8_t)(x >> 16);
		}
		char s[2 * 80 + 6], want[2 * 84 + 6];
		tl_base58check_encode(p, n, s);
		memcpy(full, p, n);
		tl_sha256d(p, n, sum);
		memcpy(full + n, sum, 4);
		naive_base58(full, n + 4, want);
		assert_string_equal(s, want);
		assert_true(strlen(s) + 1 <= 2 * n + 6);
		size_t gl;
		assert_int_equal(tl_base58check_decode(s, got, sizeof got, &gl, NULL), 0);
		assert_int_equal(gl, n);
		assert_memory_equal(got, p, n);
		/* any single-character substitution is caught */
		size_t pos = (x >> 4) % strlen(s);
		s[pos] = s[pos] == 'z' ? '2' : 'z';
		assert_int_equal(tl_base58check_decode(s, got, sizeof got, &gl, NULL), -1);
	}
}

/* ---- bech32 / bech32m strings (BIP173, BIP350) ---- */

static const char *bech32_valid[] = {
	"A12UEL5L",
	"a12uel5l",
	"an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
	"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
	"11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
	"split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
	"?1ezyfcl",
};

static const char *bech32m_valid[] = {
	"A1LQFN3A",
	"a1lqfn3a",
	"an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
	"abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
	"11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllludsr8",
	"split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
	"?1v759aa",
};

/* Invalid for both variants (BIP173 and BIP350 lists), with the reason. */
static const struct {
	const char *s, *why;
} bech32_invalid[] = {
	{ "\x20" "1nwldj5", "HRP character out of range" },
	{ "\x7f" "1axkwrx", "HRP character out of range" },
	{ "\x80" "1eym55h", "HRP character out of range" },
	{ "an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx",
	  "overall max length exceeded" },
	{ "pzry9x0s0muk", "No separator character" },
	{ "1pzry9x0s0muk", "Empty HRP" },
	{ "x1b4n0q5v", "Invalid data character" },
	{ "li1dgmt3", "Too short checksum" },
	{ "de1lg7wt" "\xff", "Invalid character in checksum" },
	{ "A1G7SGD8", "checksum calculated with uppercase form of HRP" },
	{ "10a06t8", "empty HRP" },
	{ "1qzzfhee", "empty HRP" },
	{ "\x20" "1xj0phk", "HRP character out of range" },
	{ "\x7f" "1g6xzxy", "HRP character out of range" },
	{ "\x80" "1vctc34", "HRP character out of range" },
	{ "an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11d6pts4",
	  "overall max length exceeded" },
	{ "qyrz8wqd2c9m", "No separator character" },
	{ "1qyrz8wqd2c9m", "Empty HRP" },
	{ "y1b0jsk6g", "Invalid data character" },
	{ "lt1igcx5c0", "Invalid data character" },
	{ "in1muywd", "Too short checksum" },
	{ "mm1crxm3i", "Invalid character in checksum" },
	{ "au1s5cgom", "Invalid character in checksum" },
	{ "M1VUXWEZ", "checksum calculated with uppercase form of HRP" },
	{ "16plkw9", "empty HRP" },
	{ "1p2gdwpf", "empty HRP" },
};

static void check_bech32_list(const char *const *list, size_t n, int variant)
{
	for (size_t i = 0; i < n; i++) {
		char hrp[TL_BECH32_MAX_LEN], want_hrp[TL_BECH32_MAX_LEN];
		uint8_t data[TL_BECH32_MAX_LEN];
		size_t dl;
		int var;
		struct tl_err err;
		if (tl_bech32_decode(list[i], hrp, data, &dl, &var, &err) != 0) fail_msg("%s: %s", list[i], err.msg);
		assert_int_equal(var, variant);
		size_t hl = (size_t)(strrchr(list[i], '1') - list[i]);
		for (size_t j = 0; j < hl; j++) want_hrp[j] = (char)tolower((unsigned char)list[i][j]);
		want_hrp[hl] = 0;
		assert_string_equal(hrp, want_hrp);
		assert_int_equal(dl, strlen(list[i]) - hl - 1 - 6);
		/* flipping one data/checksum character breaks it */
		char copy[128];
		strcpy(copy, list[i]);
		char *c = copy + strlen(copy) - 1;
		*c = *c == 'q' || *c == 'Q' ? (isupper((unsigned char)*c) ? 'P' : 'p') : (isupper((unsigned char)*c) ? 'Q' : 'q');
		assert_int_equal(tl_bech32_decode(copy, hrp, data, &dl, &var, NULL), -1);
	}
}

static void test_bech32_strings(void **state)
{
	(void)state;
	check_bech32_list(bech32_valid, sizeof bech32_valid / sizeof bech32_valid[0], TL_BECH32);
	check_bech32_list(bech32m_valid, sizeof bech32m_valid / sizeof bech32m_valid[0], TL_BECH32M);
	for (size_t i = 0; i < sizeof bech32_invalid / sizeof bech32_invalid[0]; i++) {
		char hrp[TL_BECH32_MAX_LEN];
		uint8_t data[TL_BECH32_MAX_LEN];
		size_t dl;
		int var;
		struct tl_err err = { 0 };
		if (tl_bech32_decode(bech32_invalid[i].s, hrp, data, &dl, &var, &err) == 0)
			fail_msg("accepted '%s' (%s)", bech32_invalid[i].s, bech32_invalid[i].why);
		assert_true(err.msg[0] != 0);
	}
}

/* ---- segwit addresses ---- */

/* BIP350's valid list (BIP173's v0 ones are included in it). */
static const struct {
	const char *addr, *script;
} segwit_valid[] = {
	{ "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "0014751e76e8199196d454941c45d1b3a323f1433bd6" },
	{ "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
	  "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262" },
	{ "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
	  "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6" },
	{ "BC1SW50QGDZ25J", "6002751e" },
	{ "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "5210751e76e8199196d454941c45d1b3a323" },
	{ "tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
	  "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433" },
	{ "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
	  "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433" },
	{ "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
	  "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798" },
	/* pay-to-anchor (Bitcoin Core 28 release notes) */
	{ "bc1pfeessrawgf", "51024e73" },
	{ "tb1pfees9rn5nz", "51024e73" },
};

/* BIP350's invalid list, with a word the error message must contain. */
static const struct {
	const char *addr, *why, *msg;
} segwit_invalid350[] = {
	{ "tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut", "Invalid human-readable part",
	  "human-readable part" },
	{ "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd", "Bech32 instead of Bech32m",
	  "must use bech32m" },
	{ "tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf", "Bech32 instead of Bech32m",
	  "must use bech32m" },
	{ "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL", "Bech32 instead of Bech32m",
	  "must use bech32m" },
	{ "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", "Bech32m instead of Bech32", "must use bech32," },
	{ "tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47", "Bech32m instead of Bech32",
	  "must use bech32," },
	{ "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4", "Invalid character in checksum",
	  "checksum" },
	{ "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R", "Invalid witness version",
	  "witness version" },
	{ "bc1pw5dgrnzv", "Invalid program length (1 byte)", "1-byte program" },
	{ "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",
	  "Invalid program length (41 bytes)", "41-byte program" },
	{ "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P", "Invalid program length for witness version 0", "16-byte" },
	{ "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq", "Mixed case", "mixed" },
	{ "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf", "zero padding of more than 4 bits",
	  "padding" },
	{ "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j", "Non-zero padding in 8-to-5 conversion",
	  "padding" },
	{ "bc1gmk9yu", "Empty data section", "empty data" },
};

/* BIP173's invalid list plus its v1+ valid addresses, which BIP350 made
 * invalid (bech32 checksum on v1+). */
static const char *segwit_invalid173[] = {
	"tc1qw508d6qejxtdg4y5r3zarvary0c5xw7kg3g4ty",
	"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",
	"BC13W508D6QEJXTDG4Y5R3ZARVARY0C5XW7KN40WF2",
	"bc1rw5uspcuh",
	"bc10w508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kw5rljs90",
	"BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",
	"tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sL5k7",
	"bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du",
	"tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3pjxtptv",
	"bc1gmk9yu",
	"bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx",
	"BC1SW50QA3JX3S",
	"bc1zw508d6qejxtdg4y5r3zarvaryvg6kdaj",
};

static const struct tl_netparams *net_of(const char *addr)
{
	return (addr[0] == 'b' || addr[0] == 'B') ? MAIN : TEST;
}

static void test_segwit_valid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof segwit_valid / sizeof segwit_valid[0]; i++) {
		const char *a = segwit_valid[i].addr;
		const struct tl_netparams *np = net_of(a);
		uint8_t want[42], got[42];
		size_t wl = unhex(segwit_valid[i].script, want, sizeof want), gl = 0;
		struct tl_err err;
		if (tl_address_to_script(a, np, got, &gl, &err) != 0) fail_msg("%s: %s", a, err.msg);
		assert_int_equal(gl, wl);
		assert_memory_equal(got, want, wl);
		/* script -> address gives the lower-case form */
		char s[TL_ADDRESS_MAX], lo[TL_ADDRESS_MAX];
		assert_int_equal(tl_address_from_script(want, wl, np, s), 0);
		lower(a, lo);
		assert_string_equal(s, lo);
		/* the segwit-level API agrees */
		int ver;
		uint8_t prog[40];
		size_t pl;
		assert_int_equal(tl_segwit_decode(a, np->hrp, &ver, prog, &pl, &err), 0);
		assert_int_equal(ver, want[0] ? want[0] - 0x50 : 0);
		assert_int_equal(pl, wl - 2);
		assert_memory_equal(prog, want + 2, pl);
		/* the same program on the other main/test network is a wrong network */
		const struct tl_netparams *other = np == MAIN ? TEST : MAIN;
		err.msg[0] = 0;
		assert_int_equal(tl_address_to_script(a, other, got, &gl, &err), -1);
		if (err.code != TL_E_WRONG_NETWORK || !strstr(err.msg, "wrong network")) fail_msg("%s on %s: '%s'", a, other->name, err.msg);
		/* signet shares testnet's hrp */
		if (np == TEST) assert_int_equal(tl_address_to_script(a, SIGNET, got, &gl, NULL), 0);
	}
}

static void test_segwit_invalid(void **state)
{
	(void)state;
	const struct tl_netparams *nets[] = { MAIN, TEST, REGTEST };
	for (size_t i = 0; i < sizeof segwit_invalid350 / sizeof segwit_invalid350[0]; i++) {
		const char *a = segwit_invalid350[i].addr;
		for (size_t k = 0; k < 3; k++) {
			uint8_t s[42];
			size_t sl;
			struct tl_err err = { 0 };
			if (tl_address_to_script(a, nets[k], s, &sl, &err) == 0)
				fail_msg("accepted %s on %s (%s)", a, nets[k]->name, segwit_invalid350[i].why);
			assert_null(strstr(err.msg, "wrong network"));
			assert_int_equal(err.code, TL_E_BAD_INPUT);
			/* on the network of its own hrp, the message names the defect */
			if (net_of(a) == nets[k] && !strstr(err.msg, segwit_invalid350[i].msg))
				fail_msg("%s (%s): message '%s' lacks '%s'", a, segwit_invalid350[i].why, err.msg,
					 segwit_invalid350[i].msg);
		}
	}
	for (size_t i = 0; i < sizeof segwit_invalid173 / sizeof segwit_invalid173[0]; i++) {
		for (size_t k = 0; k < 3; k++) {
			uint8_t s[42];
			size_t sl;
			struct tl_err err = { 0 };
			if (tl_address_to_script(segwit_invalid173[i], nets[k], s, &sl, &err) == 0)
				fail_msg("accepted %s on %s", segwit_invalid173[i], nets[k]->name);
			assert_true(err.msg[0] != 0);
		}
	}
}

static void test_segwit_roundtrip(void **state)
{
	(void)state;
	uint32_t x = 99;
	const char *hrps[] = { "bc", "tb", "bcrt" };
	for (int it = 0; it < 5000; it++) {
		x = x * 1103515245u + 12345u;
		int ver = (int)((x >> 16) % 17);
		size_t pl = ver == 0 ? ((x & 1) ? 20 : 32) : 2 + (x >> 8) % 39;
		uint8_t prog[40], got[40];
		for (size_t i = 0; i < pl; i++) {
			x = x * 1103515245u + 12345u;
			prog[i] = (uint8_t)(x >> 16);
		}
		const char *hrp = hrps[it % 3];
		char a[TL_ADDRESS_MAX];
		assert_int_equal(tl_segwit_encode(hrp, ver, prog, pl, a), 0);
		assert_true(strlen(a) <= 90);
		int gv;
		size_t gl;
		struct tl_err err;
		if (tl_segwit_decode(a, hrp, &gv, got, &gl, &err) != 0) fail_msg("%s: %s", a, err.msg);
		assert_int_equal(gv, ver);
		assert_int_equal(gl, pl);
		assert_memory_equal(got, prog, pl);
		/* wrong hrp */
		assert_int_equal(tl_segwit_decode(a, hrps[(it + 1) % 3], &gv, got, &gl, NULL), -1);
	}
	uint8_t p[41] = { 0 };
	char a[TL_ADDRESS_MAX];
	assert_int_equal(tl_segwit_encode("bc", 17, p, 20, a), -1);
	assert_int_equal(tl_segwit_encode("bc", 0, p, 21, a), -1);
	assert_int_equal(tl_segwit_encode("bc", 1, p, 1, a), -1);
	assert_int_equal(tl_segwit_encode("bc", 1, p, 41, a), -1);
	assert_int_equal(tl_segwit_encode("BC", 1, p, 32, a), -1);
}

/* ---- address <-> script, networks ---- */

static void test_base58_addresses(void **state)
{
	(void)state;
	static const struct {
		const char *addr, *script;
		int testnet;
	} v[] = {
		{ "1AGNa15ZQXAZUgFiqJ2i7Z2DPU2J6hW62i", "76a91465a16059864a2fdbc7c99a4723a8395bc6f188eb88ac", 0 },
		{ "3CMNFxN1oHBc4R1EpboAL5yzHGgE611Xou", "a91474f209f6ea907e2ea48f74fae05782ae8a66525787", 0 },
		{ "mo9ncXisMeAoXwqcV5EWuyncbmCcQN4rVs", "76a91453c0307d6851aa0ce7825ba883c6bd9ad242b48688ac", 1 },
		{ "2N2JD6wb56AfK4tfmM6PwdVmoYk2dCKf4Br", "a9146349a418fc4578d10a372b54b45c280cc8c4382f87", 1 },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		const struct tl_netparams *np = v[i].testnet ? TEST : MAIN;
		uint8_t want[42], got[42];
		size_t wl = unhex(v[i].script, want, sizeof want), gl;
		struct tl_err err;
		if (tl_address_to_script(v[i].addr, np, got, &gl, &err) != 0) fail_msg("%s: %s", v[i].addr, err.msg);
		assert_int_equal(gl, wl);
		assert_memory_equal(got, want, wl);
		char s[TL_ADDRESS_MAX];
		assert_int_equal(tl_address_from_script(want, wl, np, s), 0);
		assert_string_equal(s, v[i].addr);
		/* other networks */
		const struct tl_netparams *other = v[i].testnet ? MAIN : TEST;
		err.msg[0] = 0;
		assert_int_equal(tl_address_to_script(v[i].addr, other, got, &gl, &err), -1);
		if (err.code != TL_E_WRONG_NETWORK || !strstr(err.msg, "wrong network")) fail_msg("%s: '%s'", v[i].addr, err.msg);
		if (v[i].testnet) {
			/* signet and regtest share testnet's base58 prefixes (as in Core) */
			assert_int_equal(tl_address_to_script(v[i].addr, SIGNET, got, &gl, NULL), 0);
			assert_int_equal(tl_address_to_script(v[i].addr, REGTEST, got, &gl, NULL), 0);
		} else {
			assert_int_equal(tl_address_to_script(v[i].addr, REGTEST, got, &gl, &err), -1);
			assert_non_null(strstr(err.msg, "wrong network"));
	assert_int_equal(err.code, TL_E_WRONG_NETWORK);
			assert_int_equal(err.code, TL_E_WRONG_NETWORK);
		}
	}
}

static void test_address_edge_cases(void **state)
{
	(void)state;
	uint8_t s[42];
	size_t sl;
	struct tl_err err;
	/* regtest bech32 */
	uint8_t p2wpkh[22] = { 0x00, 0x14 };
	char a[TL_ADDRESS_MAX];
	assert_int_equal(tl_address_from_script(p2wpkh, 22, REGTEST, a), 0);
	assert_true(strncmp(a, "bcrt1q", 6) == 0);
	assert_int_equal(tl_address_to_script(a, REGTEST, s, &sl, NULL), 0);
	assert_int_equal(tl_address_to_script(a, TEST, s, &sl, &err), -1);
	assert_non_null(strstr(err.msg, "wrong network"));
	assert_int_equal(err.code, TL_E_WRONG_NETWORK);
	assert_int_equal(tl_address_to_script(a, MAIN, s, &sl, &err), -1);
	assert_non_null(strstr(err.msg, "wrong network"));
	assert_int_equal(err.code, TL_E_WRONG_NETWORK);

	/* no address: pubkey, multisig, nulldata, nonstandard, v0 of odd length */
	const char *none[] = {
		"210279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798ac",
		"51210279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f8179851ae",
		"6a04deadbeef",
		"51",
		"",
		"0010751e76e8199196d454941c45d1b3a323",
	};
	for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
		uint8_t sc[64];
		size_t n = unhex(none[i], sc, sizeof sc);
		a[0] = 0;
		assert_int_equal(tl_address_from_script(sc, n, MAIN, a), -1);
	}

	/* overlong strings, a long run of one character, garbage */
	char big[2000];
	memset(big, 'q', sizeof big - 1);
	big[sizeof big - 1] = 0;
	memcpy(big, "bc1", 3);
	assert_int_equal(tl_address_to_script(big, MAIN, s, &sl, &err), -1);
	memset(big, '1', sizeof big - 1);
	assert_int_equal(tl_address_to_script(big, MAIN, s, &sl, &err), -1);
	memset(big, 'z', sizeof big - 1);
	assert_int_equal(tl_address_to_script(big, MAIN, s, &sl, &err), -1);
	/* 91 characters of an otherwise plausible address */
	char b91[92];
	memset(b91, 'q', 91);
	b91[91] = 0;
	memcpy(b91, "bc1", 3);
	assert_int_equal(tl_address_to_script(b91, MAIN, s, &sl, &err), -1);
	assert_int_equal(tl_address_to_script("", MAIN, s, &sl, &err), -1);
	assert_int_equal(tl_address_to_script(NULL, MAIN, s, &sl, &err), -1);
	assert_int_equal(tl_address_to_script("bc1", MAIN, s, &sl, &err), -1);
	assert_int_equal(tl_address_to_script("tb1", MAIN, s, &sl, &err), -1);
	/* base58check of a valid checksum but 22 bytes */
	uint8_t p22[22] = { 0 };
	char b[64];
	tl_base58check_encode(p22, 22, b);
	assert_int_equal(tl_address_to_script(b, MAIN, s, &sl, &err), -1);
	assert_non_null(strstr(err.msg, "21"));
	/* unknown version byte */
	uint8_t p21[21] = { 0x30 };
	tl_base58check_encode(p21, 21, b);
	assert_int_equal(tl_address_to_script(b, MAIN, s, &sl, &err), -1);
	assert_non_null(strstr(err.msg, "version byte"));
	assert_null(strstr(err.msg, "wrong network"));
	assert_int_equal(err.code, TL_E_BAD_INPUT);
}

/* ---- every output of the mainnet reference blocks ---- */

static void test_mainnet_blocks(void **state)
{
	(void)state;
	const char *dir = tu_shared_path("mainnet");
	char dirbuf[4096];
	snprintf(dirbuf, sizeof dirbuf, "%s", dir);
	DIR *d = opendir(dirbuf);
	assert_non_null(d);
	struct dirent *de;
	int files = 0, outputs = 0, with_addr = 0, pubkeys = 0;
	while ((de = readdir(d))) {
		size_t nl = strlen(de->d_name);
		if (nl < 5 || strcmp(de->d_name + nl - 4, ".bin") != 0) continue;
		char path[4600], jpath[4700];
		snprintf(path, sizeof path, "%s/%s", dirbuf, de->d_name);
		snprintf(jpath, sizeof jpath, "%s/expected/%s.json", dirbuf, de->d_name);
		json_error_t jerr;
		json_t *root = json_load_file(jpath, 0, &jerr);
		if (!root) fail_msg("%s: %s", jpath, jerr.text);
		size_t len;
		uint8_t *raw = tu_read_file(path, &len);
		struct tl_block b;
		struct tl_err err;
		tl_block_init(&b);
		if (tl_block_parse(&b, raw, len, &err) != 0) fail_msg("%s: %s", de->d_name, err.msg);
		json_t *range = json_object_get(root, "tx_range");
		size_t first = (size_t)json_integer_value(json_array_get(range, 0));
		json_t *txs = json_object_get(root, "txs");
		size_t ti;
		json_t *jtx;
		json_array_foreach(txs, ti, jtx) {
			size_t idx = (size_t)json_integer_value(json_object_get(jtx, "index"));
			(void)first;
			assert_true(idx < b.n_tx);
			const struct tl_tx *tx = &b.tx[idx];
			json_t *vouts = json_object_get(jtx, "vout");
			assert_int_equal(json_array_size(vouts), tx->n_out);
			size_t vi;
			json_t *jv;
			json_array_foreach(vouts, vi, jv) {
				const struct tl_txout *o = &tx->out[vi];
				const char *type = json_string_value(json_object_get(jv, "type"));
				const char *addr = json_string_value(json_object_get(jv, "address"));
				struct tl_script_info si;
				tl_script_classify(o->script, o->script_len, &si);
				if (strcmp(type, tl_script_type_name(si.type)) != 0)
					fail_msg("%s tx %zu vout %zu: type %s, want %s", de->d_name, idx, vi,
						 tl_script_type_name(si.type), type);
				char a[TL_ADDRESS_MAX];
				int r = tl_address_from_script(o->script, o->script_len, MAIN, a);
				if (addr) {
					if (r != 0) fail_msg("%s tx %zu vout %zu: no address, want %s", de->d_name, idx, vi, addr);
					assert_string_equal(a, addr);
					uint8_t back[42];
					size_t bl;
					if (tl_address_to_script(addr, MAIN, back, &bl, &err) != 0) fail_msg("%s: %s", addr, err.msg);
					assert_int_equal(bl, o->script_len);
					assert_memory_equal(back, o->script, bl);
					with_addr++;
				} else {
					assert_int_equal(r, -1);
				}
				if (si.type == TL_SCRIPT_PUBKEY) {
					const char *eq = json_string_value(json_object_get(jv, "p2pkh_equiv_address"));
					const char *pk = json_string_value(json_object_get(jv, "pubkey"));
					assert_non_null(eq);
					char hex[2 * 65 + 1];
					tl_hex_encode(si.data, si.data_len, hex);
					assert_string_equal(hex, pk);
					uint8_t payload[21] = { 0x00 };
					tl_hash160(si.data, si.data_len, payload + 1);
					tl_base58check_encode(payload, 21, a);
					assert_string_equal(a, eq);
					pubkeys++;
				}
				outputs++;
			}
		}
		tl_block_free(&b);
		free(raw);
		json_decref(root);
		files++;
	}
	closedir(d);
	printf("mainnet: %d blocks, %d outputs, %d with an address, %d pubkey outputs\n", files, outputs, with_addr,
	       pubkeys);
	assert_true(files > 0 && outputs > 0);
}

int main(void)
{
	MAIN = tl_net_params(TL_NET_MAIN);
	TEST = tl_net_params(TL_NET_TESTNET);
	SIGNET = tl_net_params(TL_NET_SIGNET);
	REGTEST = tl_net_params(TL_NET_REGTEST);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base58check_vectors), cmocka_unit_test(test_base58check_random),
		cmocka_unit_test(test_bech32_strings),      cmocka_unit_test(test_segwit_valid),
		cmocka_unit_test(test_segwit_invalid),      cmocka_unit_test(test_segwit_roundtrip),
		cmocka_unit_test(test_base58_addresses),    cmocka_unit_test(test_address_edge_cases),
		cmocka_unit_test(test_mainnet_blocks),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
