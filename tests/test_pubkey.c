/* Public keys: both serializations of known points (the generator G,
 * the genesis coinbase key), rejection of malformed keys, and keys
 * revealed by P2PKH scriptSigs and P2WPKH witnesses. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bitcoin/hash.h"
#include "bitcoin/pubkey.h"

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2;
	assert_true(n <= cap);
	assert_int_equal(tl_hex_decode(hex, strlen(hex), out, n), 0);
	return n;
}

/* SEC 2 generator point. */
#define GX "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
#define GY "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8"
/* Genesis block output key. */
#define GENX "678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb6"
#define GENY "49f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f"
/* The field prime p: not a valid x coordinate. */
#define FIELD_P "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f"

static void check_point(const char *x, const char *y)
{
	uint8_t unc[65], cmp[33], c2[33], u2[65];
	unc[0] = 4;
	unhex(x, unc + 1, 32);
	unhex(y, unc + 33, 32);
	/* compressed form: 02 for even y, 03 for odd, then x */
	cmp[0] = (unc[64] & 1) ? 3 : 2;
	memcpy(cmp + 1, unc + 1, 32);

	assert_int_equal(tl_pubkey_valid(unc, 65), 1);
	assert_int_equal(tl_pubkey_valid(cmp, 33), 1);
	assert_int_equal(tl_pubkey_forms(unc, 65, c2, u2), 0);
	assert_memory_equal(c2, cmp, 33);
	assert_memory_equal(u2, unc, 65);
	memset(c2, 0, sizeof c2);
	memset(u2, 0, sizeof u2);
	assert_int_equal(tl_pubkey_forms(cmp, 33, c2, u2), 0);
	assert_memory_equal(c2, cmp, 33);
	assert_memory_equal(u2, unc, 65);
	assert_int_equal(tl_pubkey_forms(cmp, 33, NULL, u2), 0);
	assert_int_equal(tl_pubkey_forms(cmp, 33, c2, NULL), 0);

	/* the other parity prefix is the negated point: valid, different y */
	cmp[0] ^= 1;
	assert_int_equal(tl_pubkey_forms(cmp, 33, NULL, u2), 0);
	assert_memory_equal(u2 + 1, unc + 1, 32);
	assert_memory_not_equal(u2 + 33, unc + 33, 32);

	/* hybrid 06/07: accepted only with the matching parity */
	uint8_t hyb[65];
	memcpy(hyb, unc, 65);
	hyb[0] = (unc[64] & 1) ? 7 : 6;
	assert_int_equal(tl_pubkey_valid(hyb, 65), 1);
	assert_int_equal(tl_pubkey_forms(hyb, 65, c2, u2), 0);
	assert_memory_equal(u2, unc, 65);
	hyb[0] ^= 1;
	assert_int_equal(tl_pubkey_valid(hyb, 65), 0);

	/* y off the curve */
	uint8_t bad[65];
	memcpy(bad, unc, 65);
	bad[64] ^= 1;
	assert_int_equal(tl_pubkey_valid(bad, 65), 0);
	assert_int_equal(tl_pubkey_forms(bad, 65, c2, u2), -1);
}

static void test_known_points(void **state)
{
	(void)state;
	check_point(GX, GY);
	check_point(GENX, GENY);
	/* G compressed is the familiar 0279be66... */
	uint8_t g[33], want[33];
	unhex("02" GX, want, sizeof want);
	uint8_t unc[65];
	unhex("04" GX GY, unc, sizeof unc);
	assert_int_equal(tl_pubkey_forms(unc, 65, g, NULL), 0);
	assert_memory_equal(g, want, 33);
	/* the genesis key's P2PKH address, via the compressed-form round trip */
	uint8_t gen[65], c[33], u[65], payload[21] = { 0 };
	unhex("04" GENX GENY, gen, sizeof gen);
	assert_int_equal(tl_pubkey_forms(gen, 65, c, NULL), 0);
	assert_int_equal(tl_pubkey_forms(c, 33, NULL, u), 0);
	tl_hash160(u, 65, payload + 1);
	uint8_t h[20];
	unhex("62e907b15cbf27d5425399ebf6f0fb50ebb88f18", h, sizeof h); /* 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa */
	assert_memory_equal(payload + 1, h, 20);
}

static void test_invalid(void **state)
{
	(void)state;
	uint8_t k[66];
	size_t n;
	/* x = p is outside the field */
	n = unhex("02" FIELD_P, k, sizeof k);
	assert_int_equal(tl_pubkey_valid(k, n), 0);
	n = unhex("03ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", k, sizeof k);
	assert_int_equal(tl_pubkey_valid(k, n), 0);
	/* bad prefixes */
	const uint8_t prefixes[] = { 0x00, 0x01, 0x04, 0x05, 0x06, 0x07, 0xff };
	for (size_t i = 0; i < sizeof prefixes; i++) {
		n = unhex("02" GX, k, sizeof k);
		k[0] = prefixes[i];
		assert_int_equal(tl_pubkey_valid(k, n), 0);
	}
	for (int p = 0; p < 256; p++) {
		if (p == 4 || p == 6 || p == 7) continue;
		n = unhex("04" GX GY, k, sizeof k);
		k[0] = (uint8_t)p;
		assert_int_equal(tl_pubkey_valid(k, n), 0);
	}
	/* wrong lengths */
	n = unhex("04" GX GY "00", k, sizeof k);
	assert_int_equal(tl_pubkey_valid(k, 66), 0);
	assert_int_equal(tl_pubkey_valid(k, 64), 0);
	assert_int_equal(tl_pubkey_valid(k, 33), 0);
	n = unhex("02" GX, k, sizeof k);
	assert_int_equal(tl_pubkey_valid(k, 32), 0);
	assert_int_equal(tl_pubkey_valid(k, 34), 0);
	assert_int_equal(tl_pubkey_valid(k, 0), 0);
	assert_int_equal(tl_pubkey_valid(NULL, 33), 0);
	assert_int_equal(tl_pubkey_forms(k, 32, NULL, NULL), -1);
	/* all zero */
	memset(k, 0, sizeof k);
	k[0] = 2;
	assert_int_equal(tl_pubkey_valid(k, 33), 0);
}

/* A dummy 71-byte DER-like signature push followed by a key push. */
static size_t make_p2pkh_sig(uint8_t *s, const uint8_t *key, size_t kl)
{
	size_t n = 0;
	s[n++] = 71;
	memset(s + n, 0x30, 71);
	n += 71;
	s[n++] = (uint8_t)kl;
	memcpy(s + n, key, kl);
	return n + kl;
}

static void test_from_scriptsig(void **state)
{
	(void)state;
	uint8_t g33[33], g65[65], s[200];
	const uint8_t *key = NULL;
	unhex("02" GX, g33, sizeof g33);
	unhex("04" GX GY, g65, sizeof g65);

	size_t n = make_p2pkh_sig(s, g33, 33);
	assert_int_equal(tl_pubkey_from_scriptsig(s, n, &key), 33);
	assert_ptr_equal(key, s + 73);
	n = make_p2pkh_sig(s, g65, 65);
	assert_int_equal(tl_pubkey_from_scriptsig(s, n, &key), 65);
	assert_memory_equal(key, g65, 65);
	assert_int_equal(tl_pubkey_from_scriptsig(s, n, NULL), 65);

	/* key pushed with PUSHDATA1 still counts (a push is a push) */
	s[0] = 0x4c;
	s[1] = 33;
	memcpy(s + 2, g33, 33);
	assert_int_equal(tl_pubkey_from_scriptsig(s, 35, &key), 33);

	/* a P2PK spend (signature only), a truncated key, a non-push opcode,
	 * an invalid key, empty */
	n = make_p2pkh_sig(s, g33, 33);
	assert_int_equal(tl_pubkey_from_scriptsig(s, 72, &key), 0);
	assert_int_equal(tl_pubkey_from_scriptsig(s, n - 1, &key), 0);
	s[n] = 0xac; /* OP_CHECKSIG after the key */
	assert_int_equal(tl_pubkey_from_scriptsig(s, n + 1, &key), 0);
	n = make_p2pkh_sig(s, g33, 33);
	s[n - 33 + 0] = 5; /* prefix 05 */
	assert_int_equal(tl_pubkey_from_scriptsig(s, n, &key), 0);
	assert_int_equal(tl_pubkey_from_scriptsig(s, 0, &key), 0);
	assert_int_equal(tl_pubkey_from_scriptsig(NULL, 0, &key), 0);
}

static void test_from_witness(void **state)
{
	(void)state;
	uint8_t g33[33], w[200];
	const uint8_t *key;
	unhex("02" GX, g33, sizeof g33);
	size_t n = 0;
	w[n++] = 2;
	w[n++] = 71;
	memset(w + n, 0x30, 71);
	n += 71;
	w[n++] = 33;
	memcpy(w + n, g33, 33);
	n += 33;
	assert_int_equal(tl_pubkey_from_witness(w, n, &key), 33);
	assert_ptr_equal(key, w + n - 33);
	assert_int_equal(tl_pubkey_from_witness(w, n - 1, &key), 0);
	w[0] = 3;
	assert_int_equal(tl_pubkey_from_witness(w, n, &key), 0);
	w[0] = 2;
	w[73] = 0xfd; /* CompactSize claiming more than is there */
	assert_int_equal(tl_pubkey_from_witness(w, n, &key), 0);
	assert_int_equal(tl_pubkey_from_witness(NULL, 0, &key), 0);
}

static void *ctx_thread(void *arg)
{
	(void)arg;
	return (void *)tl_secp_ctx();
}

static void test_context_shared(void **state)
{
	(void)state;
	pthread_t t[4];
	void *r[4];
	for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&t[i], NULL, ctx_thread, NULL), 0);
	for (int i = 0; i < 4; i++) assert_int_equal(pthread_join(t[i], &r[i]), 0);
	assert_non_null(r[0]);
	for (int i = 1; i < 4; i++) assert_ptr_equal(r[i], r[0]);
	assert_ptr_equal(tl_secp_ctx(), r[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_context_shared), cmocka_unit_test(test_known_points),
		cmocka_unit_test(test_invalid),        cmocka_unit_test(test_from_scriptsig),
		cmocka_unit_test(test_from_witness),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
