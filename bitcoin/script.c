/* Script classification following Bitcoin Core's Solver() template by
 * template and in the same order (P2SH, witness programs, OP_RETURN data,
 * P2PK, P2PKH, bare multisig), so that the types agree with Core's RPC
 * output for every script, standard or not. */
#include "bitcoin/script.h"

#include <string.h>

#include "bitcoin/hash.h"

enum {
	OP_0 = 0x00,
	OP_PUSHDATA1 = 0x4c,
	OP_PUSHDATA2 = 0x4d,
	OP_PUSHDATA4 = 0x4e,
	OP_1 = 0x51,
	OP_16 = 0x60,
	OP_RETURN = 0x6a,
	OP_DUP = 0x76,
	OP_EQUAL = 0x87,
	OP_EQUALVERIFY = 0x88,
	OP_HASH160 = 0xa9,
	OP_CHECKSIG = 0xac,
	OP_CHECKMULTISIG = 0xae,
};

/* Largest m and n in a bare multisig (Core's MAX_PUBKEYS_PER_MULTISIG). */
#define MAX_MULTISIG_KEYS 20

int tl_script_get_op(const uint8_t *s, size_t len, size_t *pos, uint8_t *op, const uint8_t **data, size_t *dlen)
{
	if (*pos >= len) return -1;
	size_t p = *pos;
	uint8_t o = s[p++];
	size_t n = 0;
	if (o <= OP_PUSHDATA4) {
		if (o < OP_PUSHDATA1) {
			n = o;
		} else if (o == OP_PUSHDATA1) {
			if (len - p < 1) return -1;
			n = s[p];
			p += 1;
		} else if (o == OP_PUSHDATA2) {
			if (len - p < 2) return -1;
			n = (size_t)s[p] | ((size_t)s[p + 1] << 8);
			p += 2;
		} else {
			if (len - p < 4) return -1;
			n = (size_t)s[p] | ((size_t)s[p + 1] << 8) | ((size_t)s[p + 2] << 16) | ((size_t)s[p + 3] << 24);
			p += 4;
		}
		if (len - p < n) return -1;
	}
	*op = o;
	*data = s + p;
	*dlen = n;
	*pos = p + n;
	return 0;
}

/* Core's CPubKey::ValidSize(): the length the prefix byte announces (33
 * for 02/03, 65 for 04 and the hybrid 06/07) equals the length. */
static int key_valid_size(const uint8_t *k, size_t n)
{
	if (n == 0) return 0;
	switch (k[0]) {
	case 2: case 3: return n == 33;
	case 4: case 6: case 7: return n == 65;
	default: return 0;
	}
}

/* Core's GetScriptNumber(): OP_1..OP_16, or a minimal push of a minimally
 * encoded number, within [min, max]. Returns the number or -1. Since max
 * is at most 20, a minimal push of a number above 16 is exactly
 * 0x01 <17..127>. */
static int script_number(uint8_t op, const uint8_t *data, size_t dlen, int min, int max)
{
	int v;
	if (op >= OP_1 && op <= OP_16)
		v = op - OP_1 + 1;
	else if (op == 1 && dlen == 1 && data[0] > 16 && data[0] < 0x80)
		v = data[0];
	else
		return -1;
	return (v < min || v > max) ? -1 : v;
}

static int match_multisig(const uint8_t *s, size_t len, int *m_out, int *n_out)
{
	size_t pos = 0, dlen;
	uint8_t op;
	const uint8_t *data;
	if (len < 1 || s[len - 1] != OP_CHECKMULTISIG) return 0;
	if (tl_script_get_op(s, len, &pos, &op, &data, &dlen) < 0) return 0;
	int m = script_number(op, data, dlen, 1, MAX_MULTISIG_KEYS);
	if (m < 0) return 0;
	int keys = 0;
	int ok;
	while ((ok = tl_script_get_op(s, len, &pos, &op, &data, &dlen) == 0) && op <= OP_PUSHDATA4 &&
	       key_valid_size(data, dlen))
		keys++;
	if (!ok) return 0;
	int n = script_number(op, data, dlen, m, MAX_MULTISIG_KEYS);
	if (n < 0 || n != keys) return 0;
	if (pos + 1 != len) return 0;
	*m_out = m;
	*n_out = n;
	return 1;
}

static int push_only_from(const uint8_t *s, size_t len, size_t pos)
{
	uint8_t op;
	const uint8_t *data;
	size_t dlen;
	while (pos < len) {
		if (tl_script_get_op(s, len, &pos, &op, &data, &dlen) < 0) return 0;
		if (op > OP_16) return 0; /* OP_RESERVED (0x50) counts as a push, as in Core */
	}
	return 1;
}

void tl_script_classify(const uint8_t *s, size_t len, struct tl_script_info *out)
{
	memset(out, 0, sizeof *out);
	out->type = TL_SCRIPT_NONSTANDARD;
	out->witness_version = -1;
	if (!s) len = 0;

	/* P2SH first: it is the most constrained template. */
	if (len == 23 && s[0] == OP_HASH160 && s[1] == 20 && s[22] == OP_EQUAL) {
		out->type = TL_SCRIPT_SCRIPTHASH;
		out->data = s + 2;
		out->data_len = 20;
		return;
	}

	/* Witness program: a version opcode then one direct push of 2..40
	 * bytes filling the rest of the script. */
	if (len >= 4 && len <= 42 && (s[0] == OP_0 || (s[0] >= OP_1 && s[0] <= OP_16)) && (size_t)s[1] + 2 == len) {
		int ver = s[0] == OP_0 ? 0 : s[0] - OP_1 + 1;
		const uint8_t *prog = s + 2;
		size_t plen = len - 2;
		if (ver == 0 && plen == 20)
			out->type = TL_SCRIPT_WITNESS_V0_KEYHASH;
		else if (ver == 0 && plen == 32)
			out->type = TL_SCRIPT_WITNESS_V0_SCRIPTHASH;
		else if (ver == 1 && plen == 32)
			out->type = TL_SCRIPT_WITNESS_V1_TAPROOT;
		else if (ver == 1 && plen == 2 && prog[0] == 0x4e && prog[1] == 0x73)
			out->type = TL_SCRIPT_ANCHOR;
		else if (ver != 0)
			out->type = TL_SCRIPT_WITNESS_UNKNOWN;
		else
			return; /* v0 with another length: nonstandard in Core */
		out->data = prog;
		out->data_len = plen;
		out->witness_version = ver;
		return;
	}

	if (len >= 1 && s[0] == OP_RETURN && push_only_from(s, len, 1)) {
		out->type = TL_SCRIPT_NULLDATA;
		return;
	}

	if ((len == 67 && s[0] == 65 && s[66] == OP_CHECKSIG && key_valid_size(s + 1, 65)) ||
	    (len == 35 && s[0] == 33 && s[34] == OP_CHECKSIG && (s[1] == 2 || s[1] == 3))) {
		out->type = TL_SCRIPT_PUBKEY;
		out->data = s + 1;
		out->data_len = len - 2;
		return;
	}

	if (len == 25 && s[0] == OP_DUP && s[1] == OP_HASH160 && s[2] == 20 && s[23] == OP_EQUALVERIFY &&
	    s[24] == OP_CHECKSIG) {
		out->type = TL_SCRIPT_PUBKEYHASH;
		out->data = s + 3;
		out->data_len = 20;
		return;
	}

	int m, n;
	if (match_multisig(s, len, &m, &n)) {
		out->type = TL_SCRIPT_MULTISIG;
		out->m = m;
		out->n = n;
	}
}

static const char *const type_names[TL_SCRIPT_TYPE_COUNT] = {
	[TL_SCRIPT_NONSTANDARD] = "nonstandard",
	[TL_SCRIPT_PUBKEY] = "pubkey",
	[TL_SCRIPT_PUBKEYHASH] = "pubkeyhash",
	[TL_SCRIPT_SCRIPTHASH] = "scripthash",
	[TL_SCRIPT_MULTISIG] = "multisig",
	[TL_SCRIPT_NULLDATA] = "nulldata",
	[TL_SCRIPT_WITNESS_V0_KEYHASH] = "witness_v0_keyhash",
	[TL_SCRIPT_WITNESS_V0_SCRIPTHASH] = "witness_v0_scripthash",
	[TL_SCRIPT_WITNESS_V1_TAPROOT] = "witness_v1_taproot",
	[TL_SCRIPT_ANCHOR] = "anchor",
	[TL_SCRIPT_WITNESS_UNKNOWN] = "witness_unknown",
};

const char *tl_script_type_name(enum tl_script_type t)
{
	if ((unsigned)t >= TL_SCRIPT_TYPE_COUNT) return "nonstandard";
	return type_names[t];
}

int tl_script_type_from_name(const char *name, enum tl_script_type *t)
{
	if (!name) return -1;
	for (int i = 0; i < TL_SCRIPT_TYPE_COUNT; i++) {
		if (!strcmp(name, type_names[i])) {
			*t = (enum tl_script_type)i;
			return 0;
		}
	}
	return -1;
}

int tl_script_type_has_address(enum tl_script_type t)
{
	switch (t) {
	case TL_SCRIPT_PUBKEYHASH:
	case TL_SCRIPT_SCRIPTHASH:
	case TL_SCRIPT_WITNESS_V0_KEYHASH:
	case TL_SCRIPT_WITNESS_V0_SCRIPTHASH:
	case TL_SCRIPT_WITNESS_V1_TAPROOT:
	case TL_SCRIPT_ANCHOR:
	case TL_SCRIPT_WITNESS_UNKNOWN:
		return 1;
	default:
		return 0;
	}
}

size_t tl_script_key(const uint8_t *script, size_t len, uint8_t out[TL_SCRIPT_KEY_MAX])
{
	struct tl_script_info si;
	tl_script_classify(script, len, &si);
	out[0] = (uint8_t)si.type;
	switch (si.type) {
	case TL_SCRIPT_NONSTANDARD:
	case TL_SCRIPT_MULTISIG:
	case TL_SCRIPT_NULLDATA:
		tl_sha256(len ? script : (const uint8_t *)"", len, out + 1);
		return 33;
	case TL_SCRIPT_WITNESS_UNKNOWN:
		/* The version is part of the identity: v2 and v3 programs with
		 * the same bytes are different outputs. */
		out[1] = (uint8_t)si.witness_version;
		memcpy(out + 2, si.data, si.data_len);
		return 2 + si.data_len;
	default:
		memcpy(out + 1, si.data, si.data_len);
		return 1 + si.data_len;
	}
}
