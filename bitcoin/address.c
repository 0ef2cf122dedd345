/* Address codecs: base58check (P2PKH, P2SH) and bech32 / bech32m (BIP173,
 * BIP350), and the mapping between addresses and scriptPubKeys. */
#include "bitcoin/address.h"

#include <stdio.h>
#include <string.h>

#include "bitcoin/hash.h"

/* ---- base58check ---- */

static const char b58_alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/* Longest payload (version byte included) and string handled; addresses
 * need 21 bytes and 34 characters, this leaves room for keys (WIF, 38). */
#define B58_MAX_BYTES 128
#define B58_MAX_CHARS 180

static int b58_value(char c)
{
	const char *p = c ? strchr(b58_alphabet, c) : NULL;
	return p ? (int)(p - b58_alphabet) : -1;
}

void tl_base58check_encode(const uint8_t *payload, size_t len, char *out)
{
	uint8_t buf[B58_MAX_BYTES + 4];
	uint8_t digits[(B58_MAX_BYTES + 4) * 138 / 100 + 1];
	uint8_t sum[32];
	if (len > B58_MAX_BYTES) {
		out[0] = 0;
		return;
	}
	if (len) memcpy(buf, payload, len);
	tl_sha256d(len ? payload : (const uint8_t *)"", len, sum);
	memcpy(buf + len, sum, 4);
	size_t n = len + 4;

	size_t zeros = 0;
	while (zeros < n && buf[zeros] == 0) zeros++;
	/* Big-endian base-58 digits of the number, built by repeated
	 * multiply-and-add (quadratic, fine for these sizes). */
	size_t nd = 0;
	for (size_t i = zeros; i < n; i++) {
		unsigned carry = buf[i];
		for (size_t j = 0; j < nd; j++) {
			carry += (unsigned)digits[j] << 8;
			digits[j] = (uint8_t)(carry % 58);
			carry /= 58;
		}
		while (carry) {
			digits[nd++] = (uint8_t)(carry % 58);
			carry /= 58;
		}
	}
	size_t o = 0;
	for (size_t i = 0; i < zeros; i++) out[o++] = '1';
	for (size_t i = 0; i < nd; i++) out[o++] = b58_alphabet[digits[nd - 1 - i]];
	out[o] = 0;
}

int tl_base58check_decode(const char *s, uint8_t *payload, size_t cap, size_t *len, struct tl_err *err)
{
	if (!s) return tl_err_set(err, "base58: no string");
	size_t slen = strnlen(s, B58_MAX_CHARS + 1);
	if (slen == 0) return tl_err_set(err, "base58: empty string");
	if (slen > B58_MAX_CHARS) return tl_err_set(err, "base58: string longer than %d characters", B58_MAX_CHARS);

	uint8_t bytes[B58_MAX_CHARS]; /* little-endian base-256 digits */
	size_t nb = 0, zeros = 0;
	while (zeros < slen && s[zeros] == '1') zeros++;
	for (size_t i = zeros; i < slen; i++) {
		int v = b58_value(s[i]);
		if (v < 0) {
			unsigned char c = (unsigned char)s[i];
			if (c >= 0x21 && c < 0x7f)
				return tl_err_set(err, "base58: invalid character '%c' at position %zu", c, i);
			return tl_err_set(err, "base58: invalid byte 0x%02x at position %zu", c, i);
		}
		unsigned carry = (unsigned)v;
		for (size_t j = 0; j < nb; j++) {
			carry += (unsigned)bytes[j] * 58;
			bytes[j] = (uint8_t)carry;
			carry >>= 8;
		}
		while (carry) {
			bytes[nb++] = (uint8_t)carry;
			carry >>= 8;
		}
	}
	size_t total = zeros + nb;
	if (total < 4) return tl_err_set(err, "base58check: %zu bytes is too short for a checksum", total);
	if (total > B58_MAX_BYTES + 4) return tl_err_set(err, "base58check: %zu bytes is too long", total);
	uint8_t full[B58_MAX_BYTES + 4];
	memset(full, 0, zeros);
	for (size_t i = 0; i < nb; i++) full[zeros + i] = bytes[nb - 1 - i];
	size_t plen = total - 4;
	uint8_t sum[32];
	tl_sha256d(full, plen, sum);
	if (memcmp(sum, full + plen, 4) != 0) return tl_err_set(err, "base58check: bad checksum");
	if (plen > cap) return tl_err_set(err, "base58check: payload of %zu bytes exceeds %zu", plen, cap);
	if (plen) memcpy(payload, full, plen);
	*len = plen;
	return 0;
}

/* ---- bech32 / bech32m ---- */

static const char b32_charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
#define BECH32_CONST 1u
#define BECH32M_CONST 0x2bc830a3u

static uint32_t polymod_step(uint32_t chk, uint8_t v)
{
	static const uint32_t gen[5] = { 0x3b6a57b2u, 0x26508e6du, 0x1ea119fau, 0x3d4233ddu, 0x2a1462b3u };
	uint32_t top = chk >> 25;
	chk = ((chk & 0x1ffffffu) << 5) ^ v;
	for (int i = 0; i < 5; i++)
		if ((top >> i) & 1) chk ^= gen[i];
	return chk;
}

/* Checksum state after the expanded hrp (high bits, 0, low bits). */
static uint32_t polymod_hrp(const char *hrp, size_t hlen)
{
	uint32_t chk = 1;
	for (size_t i = 0; i < hlen; i++) chk = polymod_step(chk, (uint8_t)((unsigned char)hrp[i] >> 5));
	chk = polymod_step(chk, 0);
	for (size_t i = 0; i < hlen; i++) chk = polymod_step(chk, (uint8_t)(hrp[i] & 31));
	return chk;
}

static int b32_value(char c)
{
	if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
	const char *p = c ? strchr(b32_charset, c) : NULL;
	return p ? (int)(p - b32_charset) : -1;
}

int tl_bech32_decode(const char *s, char hrp[TL_BECH32_MAX_LEN], uint8_t data[TL_BECH32_MAX_LEN], size_t *data_len,
		     int *variant, struct tl_err *err)
{
	if (!s) return tl_err_set(err, "bech32: no string");
	size_t len = strnlen(s, TL_BECH32_MAX_LEN + 1);
	if (len > TL_BECH32_MAX_LEN) return tl_err_set(err, "bech32: longer than %d characters", TL_BECH32_MAX_LEN);
	int lower = 0, upper = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 33 || c > 126) return tl_err_set(err, "bech32: invalid byte 0x%02x at position %zu", c, i);
		if (c >= 'a' && c <= 'z') lower = 1;
		if (c >= 'A' && c <= 'Z') upper = 1;
	}
	if (lower && upper) return tl_err_set(err, "bech32: mixed upper and lower case");
	const char *sep = NULL;
	for (size_t i = len; i-- > 0;)
		if (s[i] == '1') {
			sep = s + i;
			break;
		}
	if (!sep) return tl_err_set(err, "bech32: no separator '1'");
	size_t hlen = (size_t)(sep - s);
	if (hlen == 0) return tl_err_set(err, "bech32: empty human-readable part");
	size_t dlen = len - hlen - 1;
	if (dlen < 6) return tl_err_set(err, "bech32: checksum shorter than 6 characters");
	for (size_t i = 0; i < hlen; i++) {
		char c = s[i];
		hrp[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	hrp[hlen] = 0;
	uint32_t chk = polymod_hrp(hrp, hlen);
	for (size_t i = 0; i < dlen; i++) {
		int v = b32_value(sep[1 + i]);
		if (v < 0)
			return tl_err_set(err, "bech32: invalid character '%c' in the %s", sep[1 + i],
					  i + 6 >= dlen ? "checksum" : "data part");
		chk = polymod_step(chk, (uint8_t)v);
		if (i + 6 < dlen) data[i] = (uint8_t)v;
	}
	if (chk == BECH32_CONST)
		*variant = TL_BECH32;
	else if (chk == BECH32M_CONST)
		*variant = TL_BECH32M;
	else
		return tl_err_set(err, "bech32: bad checksum");
	*data_len = dlen - 6;
	return 0;
}

/* Builds hrp '1' data checksum into out (lower case). Returns 0 or -1 if
 * the result would be longer than TL_BECH32_MAX_LEN. */
static int bech32_encode(const char *hrp, const uint8_t *data, size_t dlen, int variant, char *out)
{
	size_t hlen = strlen(hrp);
	if (hlen == 0 || hlen + 1 + dlen + 6 > TL_BECH32_MAX_LEN) return -1;
	uint32_t chk = polymod_hrp(hrp, hlen);
	size_t o = 0;
	for (size_t i = 0; i < hlen; i++) out[o++] = hrp[i];
	out[o++] = '1';
	for (size_t i = 0; i < dlen; i++) {
		chk = polymod_step(chk, data[i]);
		out[o++] = b32_charset[data[i] & 31];
	}
	for (int i = 0; i < 6; i++) chk = polymod_step(chk, 0);
	chk ^= variant == TL_BECH32M ? BECH32M_CONST : BECH32_CONST;
	for (int i = 0; i < 6; i++) out[o++] = b32_charset[(chk >> (5 * (5 - i))) & 31];
	out[o] = 0;
	return 0;
}

int tl_segwit_encode(const char *hrp, int ver, const uint8_t *prog, size_t prog_len, char out[TL_ADDRESS_MAX])
{
	if (!hrp || ver < 0 || ver > 16 || prog_len < 2 || prog_len > 40) return -1;
	if (ver == 0 && prog_len != 20 && prog_len != 32) return -1;
	for (const char *p = hrp; *p; p++)
		if (*p < 33 || *p > 126 || (*p >= 'A' && *p <= 'Z')) return -1;
	uint8_t data[1 + 64];
	size_t n = 0;
	data[n++] = (uint8_t)ver;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < prog_len; i++) {
		acc = (acc << 8) | prog[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			data[n++] = (uint8_t)((acc >> bits) & 31);
		}
	}
	if (bits) data[n++] = (uint8_t)((acc << (5 - bits)) & 31);
	return bech32_encode(hrp, data, n, ver == 0 ? TL_BECH32 : TL_BECH32M, out);
}

int tl_segwit_decode(const char *addr, const char *hrp, int *ver, uint8_t prog[40], size_t *prog_len,
		     struct tl_err *err)
{
	char got[TL_BECH32_MAX_LEN];
	uint8_t data[TL_BECH32_MAX_LEN];
	size_t dlen;
	int variant;
	if (tl_bech32_decode(addr, got, data, &dlen, &variant, err) < 0) return -1;
	if (!hrp || strcmp(got, hrp) != 0)
		return tl_err_set(err, "segwit address: human-readable part '%s' is not '%s'", got, hrp ? hrp : "");
	if (dlen == 0) return tl_err_set(err, "segwit address: empty data part");
	int v = data[0];
	if (v > 16) return tl_err_set(err, "segwit address: witness version %d is over 16", v);
	if (v == 0 && variant != TL_BECH32)
		return tl_err_set(err, "segwit address: witness version 0 must use bech32, not bech32m");
	if (v != 0 && variant != TL_BECH32M)
		return tl_err_set(err, "segwit address: witness version %d must use bech32m, not bech32", v);
	/* 5-bit groups to bytes; at most 4 bits of zero padding. */
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;
	if ((dlen - 1) * 5 / 8 > 40)
		return tl_err_set(err, "segwit address: %zu-byte program (must be 2 to 40 bytes)", (dlen - 1) * 5 / 8);
	for (size_t i = 1; i < dlen; i++) {
		acc = (acc << 5) | data[i];
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			prog[n++] = (uint8_t)((acc >> bits) & 0xff);
		}
	}
	if (bits > 4) return tl_err_set(err, "segwit address: more than 4 bits of padding");
	if (acc & ((1u << bits) - 1)) return tl_err_set(err, "segwit address: non-zero padding bits");
	if (n < 2 || n > 40) return tl_err_set(err, "segwit address: %zu-byte program (must be 2 to 40 bytes)", n);
	if (v == 0 && n != 20 && n != 32)
		return tl_err_set(err, "segwit address: %zu-byte version 0 program (must be 20 or 32 bytes)", n);
	*ver = v;
	*prog_len = n;
	return 0;
}

/* ---- addresses <-> scripts ---- */

int tl_address_from_script(const uint8_t *script, size_t len, const struct tl_netparams *np, char out[TL_ADDRESS_MAX])
{
	struct tl_script_info si;
	uint8_t payload[21];
	if (!np) return -1;
	tl_script_classify(script, len, &si);
	switch (si.type) {
	case TL_SCRIPT_PUBKEYHASH:
	case TL_SCRIPT_SCRIPTHASH:
		payload[0] = si.type == TL_SCRIPT_PUBKEYHASH ? np->p2pkh_prefix : np->p2sh_prefix;
		memcpy(payload + 1, si.data, 20);
		tl_base58check_encode(payload, 21, out);
		return 0;
	case TL_SCRIPT_WITNESS_V0_KEYHASH:
	case TL_SCRIPT_WITNESS_V0_SCRIPTHASH:
	case TL_SCRIPT_WITNESS_V1_TAPROOT:
	case TL_SCRIPT_ANCHOR:
	case TL_SCRIPT_WITNESS_UNKNOWN:
		return tl_segwit_encode(np->hrp, si.witness_version, si.data, si.data_len, out);
	default:
		return -1;
	}
}

static void witness_script(int ver, const uint8_t *prog, size_t n, uint8_t script[42], size_t *script_len)
{
	script[0] = ver == 0 ? 0x00 : (uint8_t)(0x50 + ver);
	script[1] = (uint8_t)n;
	memcpy(script + 2, prog, n);
	*script_len = n + 2;
}

/* Names of the networks (other than np and any with the same parameters)
 * for which pred(net) holds, comma-separated, into buf; 0 if none. */
static int other_networks(const struct tl_netparams *np, int hrp_kind, const char *hrp, uint8_t version, char *buf,
			  size_t cap)
{
	size_t o = 0;
	int found = 0;
	buf[0] = 0;
	for (int i = 0; i < TL_NET_COUNT; i++) {
		const struct tl_netparams *q = tl_net_params((enum tl_net)i);
		int match = hrp_kind ? !strcmp(q->hrp, hrp) : (q->p2pkh_prefix == version || q->p2sh_prefix == version);
		if (!match) continue;
		if (o + strlen(q->name) + 3 >= cap) break;
		o += (size_t)snprintf(buf + o, cap - o, "%s%s", found ? ", " : "", q->name);
		found = 1;
	}
	(void)np;
	return found;
}

static int address_to_script(const char *addr, const struct tl_netparams *np, uint8_t script[42], size_t *script_len,
			     struct tl_err *err)
{
	if (!addr || !*addr) return tl_err_set(err, "empty address");
	if (!np) return tl_err_set(err, "no network given");
	size_t alen = strnlen(addr, TL_BECH32_MAX_LEN + 1);
	if (alen > TL_BECH32_MAX_LEN) return tl_err_set(err, "address longer than %d characters", TL_BECH32_MAX_LEN);

	/* A string whose part before the last '1' is a known segwit hrp is
	 * decoded as bech32; anything else as base58check. */
	char hrp[TL_BECH32_MAX_LEN];
	const char *sep = strrchr(addr, '1');
	int segwit_hrp = 0;
	if (sep && (size_t)(sep - addr) < sizeof hrp) {
		size_t h = (size_t)(sep - addr);
		for (size_t i = 0; i < h; i++) {
			char c = addr[i];
			hrp[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
		}
		hrp[h] = 0;
		for (int i = 0; i < TL_NET_COUNT; i++)
			if (!strcmp(tl_net_params((enum tl_net)i)->hrp, hrp)) segwit_hrp = 1;
	}

	if (segwit_hrp) {
		int ver;
		uint8_t prog[40];
		size_t n;
		struct tl_err e2;
		if (strcmp(hrp, np->hrp) != 0) {
			if (tl_segwit_decode(addr, hrp, &ver, prog, &n, &e2) == 0) {
				char nets[128];
				other_networks(np, 1, hrp, 0, nets, sizeof nets);
				return tl_err_setc(err, TL_E_WRONG_NETWORK, "wrong network: %s is a %s address (hrp '%s'), not %s ('%s')", addr,
						  nets, hrp, np->name, np->hrp);
			}
			tl_err_set(err, "%s", e2.msg);
			return tl_err_prefix(err, "invalid address: ");
		}
		if (tl_segwit_decode(addr, np->hrp, &ver, prog, &n, err) < 0) return tl_err_prefix(err, "invalid address: ");
		witness_script(ver, prog, n, script, script_len);
		return 0;
	}

	uint8_t payload[B58_MAX_BYTES];
	size_t plen;
	if (tl_base58check_decode(addr, payload, sizeof payload, &plen, err) < 0) {
		/* A bech32 string with an hrp nobody uses gets a better message. */
		char h2[TL_BECH32_MAX_LEN];
		uint8_t d[TL_BECH32_MAX_LEN];
		size_t dl;
		int var;
		if (tl_bech32_decode(addr, h2, d, &dl, &var, NULL) == 0)
			return tl_err_set(err, "invalid address: unknown human-readable part '%s' (%s uses '%s')", h2,
					  np->name, np->hrp);
		return tl_err_prefix(err, "invalid address: ");
	}
	if (plen != 21)
		return tl_err_set(err, "invalid address: base58check payload of %zu bytes (an address has 21)", plen);
	if (payload[0] == np->p2pkh_prefix) {
		script[0] = 0x76;
		script[1] = 0xa9;
		script[2] = 20;
		memcpy(script + 3, payload + 1, 20);
		script[23] = 0x88;
		script[24] = 0xac;
		*script_len = 25;
		return 0;
	}
	if (payload[0] == np->p2sh_prefix) {
		script[0] = 0xa9;
		script[1] = 20;
		memcpy(script + 2, payload + 1, 20);
		script[22] = 0x87;
		*script_len = 23;
		return 0;
	}
	char nets[128];
	if (other_networks(np, 0, NULL, payload[0], nets, sizeof nets))
		return tl_err_setc(err, TL_E_WRONG_NETWORK, "wrong network: %s is a %s address (version byte 0x%02x), not %s", addr, nets,
				  payload[0], np->name);
	return tl_err_set(err, "invalid address: unknown base58check version byte 0x%02x", payload[0]);
}

int tl_address_to_script(const char *addr, const struct tl_netparams *np, uint8_t script[42], size_t *script_len,
			 struct tl_err *err)
{
	int r = address_to_script(addr, np, script, script_len, err);
	/* Every failure but another network's address is bad input. */
	if (r < 0 && err && err->code != TL_E_WRONG_NETWORK) err->code = TL_E_BAD_INPUT;
	return r;
}
