/* Script disassembly (see script_asm.h for the exact text format). */
#include "bitcoin/script_asm.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Names of the opcodes 0x4c..0xba that are not numbered families. */
static const char *const named[] = {
	[0x4c] = "OP_PUSHDATA1", [0x4d] = "OP_PUSHDATA2", [0x4e] = "OP_PUSHDATA4", [0x4f] = "OP_PUSHNUM_NEG1",
	[0x50] = "OP_RESERVED", [0x61] = "OP_NOP", [0x62] = "OP_VER", [0x63] = "OP_IF", [0x64] = "OP_NOTIF",
	[0x65] = "OP_VERIF", [0x66] = "OP_VERNOTIF", [0x67] = "OP_ELSE", [0x68] = "OP_ENDIF",
	[0x69] = "OP_VERIFY", [0x6a] = "OP_RETURN", [0x6b] = "OP_TOALTSTACK", [0x6c] = "OP_FROMALTSTACK",
	[0x6d] = "OP_2DROP", [0x6e] = "OP_2DUP", [0x6f] = "OP_3DUP", [0x70] = "OP_2OVER", [0x71] = "OP_2ROT",
	[0x72] = "OP_2SWAP", [0x73] = "OP_IFDUP", [0x74] = "OP_DEPTH", [0x75] = "OP_DROP", [0x76] = "OP_DUP",
	[0x77] = "OP_NIP", [0x78] = "OP_OVER", [0x79] = "OP_PICK", [0x7a] = "OP_ROLL", [0x7b] = "OP_ROT",
	[0x7c] = "OP_SWAP", [0x7d] = "OP_TUCK", [0x7e] = "OP_CAT", [0x7f] = "OP_SUBSTR", [0x80] = "OP_LEFT",
	[0x81] = "OP_RIGHT", [0x82] = "OP_SIZE", [0x83] = "OP_INVERT", [0x84] = "OP_AND", [0x85] = "OP_OR",
	[0x86] = "OP_XOR", [0x87] = "OP_EQUAL", [0x88] = "OP_EQUALVERIFY", [0x89] = "OP_RESERVED1",
	[0x8a] = "OP_RESERVED2", [0x8b] = "OP_1ADD", [0x8c] = "OP_1SUB", [0x8d] = "OP_2MUL", [0x8e] = "OP_2DIV",
	[0x8f] = "OP_NEGATE", [0x90] = "OP_ABS", [0x91] = "OP_NOT", [0x92] = "OP_0NOTEQUAL", [0x93] = "OP_ADD",
	[0x94] = "OP_SUB", [0x95] = "OP_MUL", [0x96] = "OP_DIV", [0x97] = "OP_MOD", [0x98] = "OP_LSHIFT",
	[0x99] = "OP_RSHIFT", [0x9a] = "OP_BOOLAND", [0x9b] = "OP_BOOLOR", [0x9c] = "OP_NUMEQUAL",
	[0x9d] = "OP_NUMEQUALVERIFY", [0x9e] = "OP_NUMNOTEQUAL", [0x9f] = "OP_LESSTHAN",
	[0xa0] = "OP_GREATERTHAN", [0xa1] = "OP_LESSTHANOREQUAL", [0xa2] = "OP_GREATERTHANOREQUAL",
	[0xa3] = "OP_MIN", [0xa4] = "OP_MAX", [0xa5] = "OP_WITHIN", [0xa6] = "OP_RIPEMD160", [0xa7] = "OP_SHA1",
	[0xa8] = "OP_SHA256", [0xa9] = "OP_HASH160", [0xaa] = "OP_HASH256", [0xab] = "OP_CODESEPARATOR",
	[0xac] = "OP_CHECKSIG", [0xad] = "OP_CHECKSIGVERIFY", [0xae] = "OP_CHECKMULTISIG",
	[0xaf] = "OP_CHECKMULTISIGVERIFY", [0xb0] = "OP_NOP1", [0xb1] = "OP_CLTV", [0xb2] = "OP_CSV",
	[0xb3] = "OP_NOP4", [0xb4] = "OP_NOP5", [0xb5] = "OP_NOP6", [0xb6] = "OP_NOP7", [0xb7] = "OP_NOP8",
	[0xb8] = "OP_NOP9", [0xb9] = "OP_NOP10", [0xba] = "OP_CHECKSIGADD",
};

/* Names built once for the numbered families (pushbytes, pushnum,
 * return_n); "OP_RETURN_254" is the longest at 13 characters. */
static char numbered[256][20];
static pthread_once_t numbered_once = PTHREAD_ONCE_INIT;

static void build_numbered(void)
{
	for (int op = 1; op <= 0x4b; op++) snprintf(numbered[op], sizeof numbered[op], "OP_PUSHBYTES_%d", op);
	for (int op = 0x51; op <= 0x60; op++) snprintf(numbered[op], sizeof numbered[op], "OP_PUSHNUM_%d", op - 0x50);
	for (int op = 0xbb; op <= 0xfe; op++) snprintf(numbered[op], sizeof numbered[op], "OP_RETURN_%d", op);
}

const char *tl_opcode_name(uint8_t op)
{
	if (op == 0x00) return "OP_0";
	if (op == 0xff) return "OP_INVALIDOPCODE";
	if (op < sizeof named / sizeof named[0] && named[op]) return named[op];
	pthread_once(&numbered_once, build_numbered);
	return numbered[op];
}

/* A growable string. */
struct sbuf {
	char *p;
	size_t n, cap;
};

static void sb_reserve(struct sbuf *b, size_t more)
{
	if (b->n + more + 1 <= b->cap) return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->n + more + 1) cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) abort();
	b->p = p;
	b->cap = cap;
}

static void sb_puts(struct sbuf *b, const char *s)
{
	size_t k = strlen(s);
	sb_reserve(b, k);
	memcpy(b->p + b->n, s, k);
	b->n += k;
	b->p[b->n] = 0;
}

static void sb_hex(struct sbuf *b, const uint8_t *d, size_t k)
{
	static const char digits[] = "0123456789abcdef";
	sb_reserve(b, 2 * k);
	for (size_t i = 0; i < k; i++) {
		b->p[b->n++] = digits[d[i] >> 4];
		b->p[b->n++] = digits[d[i] & 15];
	}
	b->p[b->n] = 0;
}

/* Length field of OP_PUSHDATA1/2/4 (1, 2 or 4 bytes little-endian) at
 * *pos. Returns 0 and advances, or -1 when the field is cut off. For
 * other opcodes sets *dlen to the direct push size (0 for non-pushes). */
static int push_len(uint8_t op, const uint8_t *s, size_t len, size_t *pos, size_t *dlen)
{
	size_t width = op == 0x4c ? 1 : op == 0x4d ? 2 : op == 0x4e ? 4 : 0;
	if (!width) {
		*dlen = op <= 0x4b ? op : 0;
		return 0;
	}
	if (len - *pos < width) return -1;
	size_t v = 0;
	for (size_t i = 0; i < width; i++) v |= (size_t)s[*pos + i] << (8 * i);
	*pos += width;
	*dlen = v;
	return 0;
}

char *tl_script_asm(const uint8_t *script, size_t len)
{
	struct sbuf b = { 0 };
	sb_reserve(&b, 0);
	b.p[0] = 0;
	size_t pos = 0;
	while (pos < len) {
		uint8_t op = script[pos++];
		size_t dlen;
		if (push_len(op, script, len, &pos, &dlen) < 0) {
			sb_puts(&b, "<unexpected end>");
			break;
		}
		if (b.n) sb_puts(&b, " ");
		sb_puts(&b, tl_opcode_name(op));
		if (dlen) {
			sb_puts(&b, " ");
			if (dlen > len - pos) {
				sb_puts(&b, "<push past end>");
				break;
			}
			sb_hex(&b, script + pos, dlen);
			pos += dlen;
		}
	}
	return b.p;
}

int tl_script_last_push(const uint8_t *script, size_t len, const uint8_t **data, size_t *dlen)
{
	size_t pos = 0;
	int last_is_push = 0;
	const uint8_t *d = NULL;
	size_t k = 0;
	while (pos < len) {
		uint8_t op = script[pos++];
		size_t n;
		if (push_len(op, script, len, &pos, &n) < 0) return 0;
		if (n > len - pos) return 0;
		last_is_push = op <= 0x4e;
		d = script + pos;
		k = n;
		pos += n;
	}
	if (!last_is_push) return 0;
	*data = d;
	*dlen = k;
	return 1;
}
