/* Script disassembly against the text Esplora/electrs prints: published
 * vectors from rust-bitcoin's assembly tests (the printer electrs uses),
 * well-known mainnet scripts as shown by block explorers, every opcode
 * name against a list written from Bitcoin Core's opcode table, and a
 * round trip through an independent assembler written here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bitcoin/hash.h"
#include "bitcoin/script_asm.h"

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2;
	assert_true(n <= cap);
	assert_int_equal(tl_hex_decode(hex, strlen(hex), out, n), 0);
	return n;
}

static void check_asm(const char *hex, const char *want)
{
	static uint8_t s[4096];
	size_t n = unhex(hex, s, sizeof s);
	char *got = tl_script_asm(n ? s : NULL, n);
	if (strcmp(got, want) != 0) fail_msg("script %s\n got: %s\nwant: %s", hex, got, want);
	free(got);
}

#define K65                                                                        \
	"04678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f"
#define H20 "751e76e8199196d454941c45d1b3a323f1433bd6"
#define H32 "1863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262"

static void test_known(void **state)
{
	(void)state;
	check_asm("", "");
	/* Genesis block: coinbase output and coinbase scriptSig as block
	 * explorers running electrs show them. */
	check_asm("41" K65 "ac", "OP_PUSHBYTES_65 " K65 " OP_CHECKSIG");
	check_asm("04ffff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73",
		  "OP_PUSHBYTES_4 ffff001d OP_PUSHBYTES_1 04 OP_PUSHBYTES_69 "
		  "5468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73");
	/* Standard templates. */
	check_asm("76a914" H20 "88ac", "OP_DUP OP_HASH160 OP_PUSHBYTES_20 " H20 " OP_EQUALVERIFY OP_CHECKSIG");
	check_asm("a914" H20 "87", "OP_HASH160 OP_PUSHBYTES_20 " H20 " OP_EQUAL");
	check_asm("0014" H20, "OP_0 OP_PUSHBYTES_20 " H20);
	check_asm("0020" H32, "OP_0 OP_PUSHBYTES_32 " H32);
	check_asm("5120" H32, "OP_PUSHNUM_1 OP_PUSHBYTES_32 " H32);
	check_asm("6a0b68656c6c6f20776f726c64", "OP_RETURN OP_PUSHBYTES_11 68656c6c6f20776f726c64");
	check_asm("6a", "OP_RETURN");
	/* rust-bitcoin's own assembly tests. */
	check_asm("6363636363686868686800",
		  "OP_IF OP_IF OP_IF OP_IF OP_IF OP_ENDIF OP_ENDIF OP_ENDIF OP_ENDIF OP_ENDIF OP_0");
	check_asm("2102715e91d37d239dea832f1460e91e368115d8ca6cc23a7da966795abad9e3b699ac",
		  "OP_PUSHBYTES_33 02715e91d37d239dea832f1460e91e368115d8ca6cc23a7da966795abad9e3b699 OP_CHECKSIG");
	/* Pushes through OP_PUSHDATA1/2/4 print the pushed bytes only. */
	check_asm("4c03aabbcc", "OP_PUSHDATA1 aabbcc");
	check_asm("4d0300aabbcc51", "OP_PUSHDATA2 aabbcc OP_PUSHNUM_1");
	check_asm("4e03000000aabbcc", "OP_PUSHDATA4 aabbcc");
	check_asm("4c00", "OP_PUSHDATA1");
	check_asm("4f52b1b2ba", "OP_PUSHNUM_NEG1 OP_PUSHNUM_2 OP_CLTV OP_CSV OP_CHECKSIGADD");
	check_asm("bbfeff50", "OP_RETURN_187 OP_RETURN_254 OP_INVALIDOPCODE OP_RESERVED");
}

static void test_truncated(void **state)
{
	(void)state;
	/* rust-bitcoin's vectors from transaction 6d7ed991...c09a. */
	check_asm("01", "OP_PUSHBYTES_1 <push past end>");
	check_asm("0201", "OP_PUSHBYTES_2 <push past end>");
	check_asm("4c", "<unexpected end>");
	check_asm("4c0201", "OP_PUSHDATA1 <push past end>");
	check_asm("4d", "<unexpected end>");
	check_asm("4dffff01", "OP_PUSHDATA2 <push past end>");
	check_asm("4effffffff01", "OP_PUSHDATA4 <push past end>");
	/* The cut-off length field follows the previous text directly; the
	 * rest of the script is not printed. */
	check_asm("764c", "OP_DUP<unexpected end>");
	check_asm("76a9144e01", "OP_DUP OP_HASH160 OP_PUSHBYTES_20 <push past end>");
	check_asm("76014e00", "OP_DUP OP_PUSHBYTES_1 4e OP_0");
}

/* Names of 0x4c..0xba and 0xff by byte, written from Bitcoin Core's
 * opcode table with rust-bitcoin's spellings for the few it renames
 * (OP_1NEGATE -> OP_PUSHNUM_NEG1, CHECKLOCKTIMEVERIFY -> CLTV,
 * CHECKSEQUENCEVERIFY -> CSV). */
static const struct {
	unsigned op;
	const char *name;
} core_names[] = {
	{ 0x4c, "OP_PUSHDATA1" }, { 0x4d, "OP_PUSHDATA2" }, { 0x4e, "OP_PUSHDATA4" }, { 0x4f, "OP_PUSHNUM_NEG1" },
	{ 0x50, "OP_RESERVED" }, { 0x61, "OP_NOP" }, { 0x62, "OP_VER" }, { 0x63, "OP_IF" }, { 0x64, "OP_NOTIF" },
	{ 0x65, "OP_VERIF" }, { 0x66, "OP_VERNOTIF" }, { 0x67, "OP_ELSE" }, { 0x68, "OP_ENDIF" }, { 0x69, "OP_VERIFY" },
	{ 0x6a, "OP_RETURN" }, { 0x6b, "OP_TOALTSTACK" }, { 0x6c, "OP_FROMALTSTACK" }, { 0x6d, "OP_2DROP" },
	{ 0x6e, "OP_2DUP" }, { 0x6f, "OP_3DUP" }, { 0x70, "OP_2OVER" }, { 0x71, "OP_2ROT" }, { 0x72, "OP_2SWAP" },
	{ 0x73, "OP_IFDUP" }, { 0x74, "OP_DEPTH" }, { 0x75, "OP_DROP" }, { 0x76, "OP_DUP" }, { 0x77, "OP_NIP" },
	{ 0x78, "OP_OVER" }, { 0x79, "OP_PICK" }, { 0x7a, "OP_ROLL" }, { 0x7b, "OP_ROT" }, { 0x7c, "OP_SWAP" },
	{ 0x7d, "OP_TUCK" }, { 0x7e, "OP_CAT" }, { 0x7f, "OP_SUBSTR" }, { 0x80, "OP_LEFT" }, { 0x81, "OP_RIGHT" },
	{ 0x82, "OP_SIZE" }, { 0x83, "OP_INVERT" }, { 0x84, "OP_AND" }, { 0x85, "OP_OR" }, { 0x86, "OP_XOR" },
	{ 0x87, "OP_EQUAL" }, { 0x88, "OP_EQUALVERIFY" }, { 0x89, "OP_RESERVED1" }, { 0x8a, "OP_RESERVED2" },
	{ 0x8b, "OP_1ADD" }, { 0x8c, "OP_1SUB" }, { 0x8d, "OP_2MUL" }, { 0x8e, "OP_2DIV" }, { 0x8f, "OP_NEGATE" },
	{ 0x90, "OP_ABS" }, { 0x91, "OP_NOT" }, { 0x92, "OP_0NOTEQUAL" }, { 0x93, "OP_ADD" }, { 0x94, "OP_SUB" },
	{ 0x95, "OP_MUL" }, { 0x96, "OP_DIV" }, { 0x97, "OP_MOD" }, { 0x98, "OP_LSHIFT" }, { 0x99, "OP_RSHIFT" },
	{ 0x9a, "OP_BOOLAND" }, { 0x9b, "OP_BOOLOR" }, { 0x9c, "OP_NUMEQUAL" }, { 0x9d, "OP_NUMEQUALVERIFY" },
	{ 0x9e, "OP_NUMNOTEQUAL" }, { 0x9f, "OP_LESSTHAN" }, { 0xa0, "OP_GREATERTHAN" },
	{ 0xa1, "OP_LESSTHANOREQUAL" }, { 0xa2, "OP_GREATERTHANOREQUAL" }, { 0xa3, "OP_MIN" }, { 0xa4, "OP_MAX" },
	{ 0xa5, "OP_WITHIN" }, { 0xa6, "OP_RIPEMD160" }, { 0xa7, "OP_SHA1" }, { 0xa8, "OP_SHA256" },
	{ 0xa9, "OP_HASH160" }, { 0xaa, "OP_HASH256" }, { 0xab, "OP_CODESEPARATOR" }, { 0xac, "OP_CHECKSIG" },
	{ 0xad, "OP_CHECKSIGVERIFY" }, { 0xae, "OP_CHECKMULTISIG" }, { 0xaf, "OP_CHECKMULTISIGVERIFY" },
	{ 0xb0, "OP_NOP1" }, { 0xb1, "OP_CLTV" }, { 0xb2, "OP_CSV" }, { 0xb3, "OP_NOP4" }, { 0xb4, "OP_NOP5" },
	{ 0xb5, "OP_NOP6" }, { 0xb6, "OP_NOP7" }, { 0xb7, "OP_NOP8" }, { 0xb8, "OP_NOP9" }, { 0xb9, "OP_NOP10" },
	{ 0xba, "OP_CHECKSIGADD" }, { 0xff, "OP_INVALIDOPCODE" }, { 0x00, "OP_0" },
};

static const char *expected_name(unsigned op, char *buf, size_t cap)
{
	for (size_t i = 0; i < sizeof core_names / sizeof core_names[0]; i++)
		if (core_names[i].op == op) return core_names[i].name;
	if (op >= 1 && op <= 75) snprintf(buf, cap, "OP_PUSHBYTES_%u", op);
	else if (op >= 0x51 && op <= 0x60) snprintf(buf, cap, "OP_PUSHNUM_%u", op - 0x50);
	else if (op >= 0xbb && op <= 0xfe) snprintf(buf, cap, "OP_RETURN_%u", op);
	else fail_msg("opcode 0x%02x has no expected name", op);
	return buf;
}

static void test_every_opcode(void **state)
{
	(void)state;
	for (unsigned op = 0; op < 256; op++) {
		char buf[32];
		const char *want = expected_name(op, buf, sizeof buf);
		assert_string_equal(tl_opcode_name((uint8_t)op), want);
		/* The one-byte script: a non-push prints its name; a direct push
		 * has no data; OP_PUSHDATAn has no length field. */
		uint8_t s[1] = { (uint8_t)op };
		char *got = tl_script_asm(s, 1);
		char exp[64];
		if (op >= 1 && op <= 75) snprintf(exp, sizeof exp, "%s <push past end>", want);
		else if (op >= 0x4c && op <= 0x4e) snprintf(exp, sizeof exp, "<unexpected end>");
		else snprintf(exp, sizeof exp, "%s", want);
		assert_string_equal(got, exp);
		free(got);
	}
}

/* An independent assembler for the printed form: returns the script
 * length, or -1 if the text is not well-formed assembly. */
static long assemble(const char *asm_text, uint8_t *out, size_t cap)
{
	char *copy = strdup(asm_text);
	char *tok[2000];
	size_t nt = 0;
	char *save = NULL;
	for (char *t = strtok_r(copy, " ", &save); t && nt < 2000; t = strtok_r(NULL, " ", &save)) tok[nt++] = t;
	size_t n = 0;
	long rc = 0;
	for (size_t i = 0; i < nt && rc == 0; i++) {
		int op = -1;
		for (unsigned b = 0; b < 256 && op < 0; b++) {
			char buf[32];
			if (strcmp(expected_name(b, buf, sizeof buf), tok[i]) == 0) op = (int)b;
		}
		if (op < 0 || n + 5 > cap) {
			rc = -1;
			break;
		}
		out[n++] = (uint8_t)op;
		if (!((op >= 1 && op <= 75) || (op >= 0x4c && op <= 0x4e))) continue;
		/* The data token; an OP_PUSHDATAn of zero bytes prints none. */
		const char *hex = i + 1 < nt && strncmp(tok[i + 1], "OP_", 3) != 0 ? tok[++i] : "";
		size_t k = strlen(hex) / 2;
		if (op >= 0x4c) {
			size_t w = op == 0x4c ? 1 : op == 0x4d ? 2 : 4;
			for (size_t j = 0; j < w; j++) out[n++] = (uint8_t)(k >> (8 * j));
		} else if ((size_t)op != k) {
			rc = -1;
		}
		if (rc == 0 && (n + k > cap || tl_hex_decode(hex, strlen(hex), out + n, k) != 0)) rc = -1;
		n += k;
	}
	free(copy);
	return rc < 0 ? -1 : (long)n;
}

static void test_round_trip(void **state)
{
	(void)state;
	uint32_t x = 12345;
	uint8_t s[300], back[400];
	int complete = 0;
	for (int it = 0; it < 20000; it++) {
		x = x * 1103515245u + 12345u;
		size_t n = (x >> 16) % 120;
		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			/* Mostly small pushes and common opcodes, so that many
			 * scripts are complete. */
			uint8_t b = (uint8_t)(x >> 16);
			s[i] = (x & 0x300) == 0 ? (uint8_t)(b % 8) : b;
		}
		char *a = tl_script_asm(s, n);
		int trunc = strstr(a, "<") != NULL;
		if (!trunc) {
			/* Well-formed: assembling the text gives the script back. */
			long m = assemble(a, back, sizeof back);
			assert_int_equal(m, (long)n);
			assert_memory_equal(back, s, n);
			complete++;
		} else {
			/* A truncation marker ends the text and appears once. */
			const char *p = strchr(a, '<');
			assert_true(strcmp(p, "<push past end>") == 0 || strcmp(p, "<unexpected end>") == 0);
		}
		free(a);
	}
	assert_true(complete > 1000);
}

static void test_last_push(void **state)
{
	(void)state;
	uint8_t s[600];
	const uint8_t *d;
	size_t k;
	/* A P2SH multisig scriptSig: OP_0 <sig> <redeemScript>. */
	size_t n = unhex("000102" "4c03aabbcc", s, sizeof s);
	assert_int_equal(tl_script_last_push(s, n, &d, &k), 1);
	assert_int_equal(k, 3);
	assert_ptr_equal(d, s + 5);
	n = unhex("0301020300", s, sizeof s); /* last push is OP_0 (empty) */
	assert_int_equal(tl_script_last_push(s, n, &d, &k), 1);
	assert_int_equal(k, 0);
	n = unhex("030102035d", s, sizeof s); /* ends in OP_PUSHNUM_13: not a push of data */
	assert_int_equal(tl_script_last_push(s, n, &d, &k), 0);
	n = unhex("0301020304", s, sizeof s); /* truncated last push */
	assert_int_equal(tl_script_last_push(s, n, &d, &k), 0);
	n = unhex("4d", s, sizeof s);
	assert_int_equal(tl_script_last_push(s, n, &d, &k), 0);
	assert_int_equal(tl_script_last_push(NULL, 0, &d, &k), 0);
	n = unhex("76a9", s, sizeof s);
	assert_int_equal(tl_script_last_push(s, n, &d, &k), 0);
	/* A 520-byte redeem script through OP_PUSHDATA2. */
	s[0] = 0x00;
	s[1] = 0x4d;
	s[2] = 0x08;
	s[3] = 0x02;
	for (int i = 0; i < 520 && 4 + i < (int)sizeof s; i++) s[4 + i] = (uint8_t)i;
	assert_int_equal(tl_script_last_push(s, 524, &d, &k), 1);
	assert_int_equal(k, 520);
	assert_ptr_equal(d, s + 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known),       cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_every_opcode), cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_last_push),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
