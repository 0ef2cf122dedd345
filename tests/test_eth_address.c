/* Keccak-256 and Ethereum addresses. Keccak: published vectors (the
 * empty string, "abc", the ERC-20 Transfer and WETH event topics as
 * every explorer shows them), and the same permutation with FIPS 202
 * padding against OpenSSL's SHA3-256 for every length 0..600 (several
 * sponge blocks). Addresses: EIP-55's own examples, and the FBI's 51
 * Bybit addresses (mixed case, checked by an independent keccak when the
 * list was compiled), and the shipped data/tags/fbi-bybit.csv against
 * that list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "ethereum/address.h"
#include "ethereum/keccak.h"
#include "tests/testutil.h"

static void hex_of(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", p[i]);
}

static void check_keccak(const char *msg, const char *want)
{
	uint8_t h[32];
	char hx[65];
	tl_keccak256(msg, strlen(msg), h);
	hex_of(h, 32, hx);
	assert_string_equal(hx, want);
}

static void test_keccak_vectors(void **state)
{
	(void)state;
	check_keccak("", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
	check_keccak("abc", "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
	check_keccak("Transfer(address,address,uint256)",
		     "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
	check_keccak("Deposit(address,uint256)", "e1fffcc4923d04b559f4d29a8bfc6cda04eb5b0d3c460751c2402c5c5cc9109c");
	check_keccak("Withdrawal(address,uint256)",
		     "7fcf532c15f0a6db0bd6d0e038bea71d30d808c7d98cb3bf7268a95bf5081b65");
}

static void test_sha3_against_openssl(void **state)
{
	(void)state;
	uint8_t msg[600];
	for (size_t i = 0; i < sizeof msg; i++) msg[i] = (uint8_t)(i * 131 + 7);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	for (size_t n = 0; n <= sizeof msg; n++) {
		uint8_t a[32], b[32];
		unsigned bl = 0;
		tl_keccak256_pad(msg, n, 0x06, a);
		assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha3_256(), NULL), 1);
		assert_int_equal(EVP_DigestUpdate(ctx, msg, n), 1);
		assert_int_equal(EVP_DigestFinal_ex(ctx, b, &bl), 1);
		if (memcmp(a, b, 32)) fail_msg("SHA3-256 differs from OpenSSL at length %zu", n);
	}
	EVP_MD_CTX_free(ctx);
}

static void test_eip55(void **state)
{
	(void)state;
	static const char *valid[] = {
		"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
		"0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
	};
	struct tl_err err;
	for (size_t i = 0; i < 4; i++) {
		uint8_t a[20];
		char back[43];
		assert_int_equal(tl_eth_addr_parse(valid[i], 42, a, &err), 0);
		assert_string_equal(tl_eth_addr_checksum(a, back), valid[i]);
		/* one letter's case flipped: refused */
		char bad[43];
		strcpy(bad, valid[i]);
		for (int k = 2; k < 42; k++)
			if ((bad[k] >= 'a' && bad[k] <= 'f') || (bad[k] >= 'A' && bad[k] <= 'F')) {
				bad[k] ^= 0x20;
				break;
			}
		assert_int_equal(tl_eth_addr_parse(bad, 42, a, &err), -1);
		assert_non_null(strstr(err.msg, "EIP-55"));
	}
	/* all upper and all lower carry no checksum */
	uint8_t a[20], b[20];
	char lo[43];
	assert_int_equal(tl_eth_addr_parse("0x52908400098527886E0F7030069857D2E4169EE7", 42, a, &err), 0);
	assert_string_equal(tl_eth_addr_hex(a, lo), "0x52908400098527886e0f7030069857d2e4169ee7");
	assert_int_equal(tl_eth_addr_parse("0xde709f2102306220921060314715629080e2fb77", 42, b, &err), 0);
	/* wrong lengths, missing 0x, non-hex */
	assert_int_equal(tl_eth_addr_parse("de709f2102306220921060314715629080e2fb7711", 42, a, &err), -1);
	assert_int_equal(tl_eth_addr_parse("0xde709f2102306220921060314715629080e2fb7", 41, a, &err), -1);
	assert_int_equal(tl_eth_addr_parse("0xde709f2102306220921060314715629080e2fbzz", 42, a, &err), -1);
	assert_true(tl_eth_addr_like("0xde709f2102306220921060314715629080e2fb77"));
	assert_false(tl_eth_addr_like("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"));
}

static void test_bybit_list(void **state)
{
	(void)state;
	const char *p = tu_shared_path("heists/fbi-psa-2025-02-26-bybit.csv");
	size_t len;
	char *text = (char *)tu_read_file(p, &len);
	int n = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "ETH,", 4)) continue;
		char *addr = line + 4;
		char *comma = strchr(addr, ',');
		assert_non_null(comma);
		uint8_t a[20];
		char back[43];
		struct tl_err err;
		if (tl_eth_addr_parse(addr, (size_t)(comma - addr), a, &err) < 0) fail_msg("%.*s: %s", (int)(comma - addr), addr, err.msg);
		/* mixed-case entries are exactly their checksum form */
		tl_eth_addr_checksum(a, back);
		int mixed = 0;
		for (char *c = addr; c < comma; c++) mixed |= (*c >= 'a' && *c <= 'f') ? 1 : (*c >= 'A' && *c <= 'F') ? 2 : 0;
		if (mixed == 3) assert_memory_equal(back, addr, 42);
		n++;
	}
	assert_int_equal(n, 51);
	free(text);
}

/* The shipped tag file holds exactly the FBI's 51 addresses, in order. */
static void test_shipped_bybit_tags(void **state)
{
	(void)state;
	size_t l1, l2;
	char *ref = (char *)tu_read_file(tu_shared_path("heists/fbi-psa-2025-02-26-bybit.csv"), &l1);
	char *ship = (char *)tu_read_file(TL_SOURCE_DIR "/data/tags/fbi-bybit.csv", &l2);
	char *s1 = NULL, *s2 = NULL;
	char *a = strtok_r(ref, "\n", &s1), *b = strtok_r(ship, "\n", &s2);
	assert_non_null(a);
	assert_non_null(b);
	int n = 0;
	for (a = strtok_r(NULL, "\n", &s1), b = strtok_r(NULL, "\n", &s2); a && b;
	     a = strtok_r(NULL, "\n", &s1), b = strtok_r(NULL, "\n", &s2)) {
		assert_memory_equal(a + 4, b + 9, 42); /* "ETH," and "ethereum," */
		assert_memory_equal(b, "ethereum,", 9);
		uint8_t addr[20];
		struct tl_err err;
		assert_int_equal(tl_eth_addr_parse(b + 9, 42, addr, &err), 0);
		n++;
	}
	assert_null(a);
	assert_null(b);
	assert_int_equal(n, 51);
	free(ref);
	free(ship);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keccak_vectors),
		cmocka_unit_test(test_sha3_against_openssl),
		cmocka_unit_test(test_eip55),
		cmocka_unit_test(test_bybit_list),
		cmocka_unit_test(test_shipped_bybit_tags),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
