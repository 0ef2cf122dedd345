/* Ethereum addresses and EIP-55 mixed-case checksums. */
#include "ethereum/address.h"

#include <string.h>

#include "ethereum/keccak.h"

/* Hex digit values, -1 for other bytes (a table: exports hold many
 * millions of hex digits). */
static const signed char HEX[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};
static inline int hexval(char c) { return HEX[(unsigned char)c] - 1; }

int tl_eth_hex_bytes(const char *s, size_t len, uint8_t *out, size_t n)
{
	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		len -= 2;
	}
	if (len != 2 * n) return -1;
	for (size_t i = 0; i < n; i++) {
		int h = hexval(s[2 * i]), l = hexval(s[2 * i + 1]);
		if (h < 0 || l < 0) return -1;
		out[i] = (uint8_t)(h << 4 | l);
	}
	return 0;
}

char *tl_eth_hex(const uint8_t *p, size_t n, char *buf)
{
	static const char hx[] = "0123456789abcdef";
	buf[0] = '0';
	buf[1] = 'x';
	for (size_t i = 0; i < n; i++) {
		buf[2 + 2 * i] = hx[p[i] >> 4];
		buf[3 + 2 * i] = hx[p[i] & 15];
	}
	buf[2 + 2 * n] = 0;
	return buf;
}

char *tl_eth_addr_hex(const uint8_t a[TL_ETH_ADDR_LEN], char buf[43]) { return tl_eth_hex(a, TL_ETH_ADDR_LEN, buf); }

char *tl_eth_addr_checksum(const uint8_t a[TL_ETH_ADDR_LEN], char buf[43])
{
	tl_eth_addr_hex(a, buf);
	/* EIP-55: hash the lower-case hex (without 0x); a letter is upper
	 * case when the hash's nibble at its position is 8 or more. */
	uint8_t h[32];
	tl_keccak256(buf + 2, 40, h);
	for (int i = 0; i < 40; i++) {
		unsigned nib = (h[i / 2] >> (i % 2 ? 0 : 4)) & 15u;
		char *c = &buf[2 + i];
		if (*c >= 'a' && *c <= 'f' && nib >= 8) *c = (char)(*c - 'a' + 'A');
	}
	return buf;
}

bool tl_eth_addr_like(const char *s)
{
	if (strlen(s) != 42 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return false;
	for (int i = 2; i < 42; i++)
		if (hexval(s[i]) < 0) return false;
	return true;
}

int tl_eth_addr_parse(const char *s, size_t len, uint8_t out[TL_ETH_ADDR_LEN], struct tl_err *err)
{
	if (len != 42 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return tl_err_set(err, "not an Ethereum address (want 0x and 40 hex digits)");
	if (tl_eth_hex_bytes(s, len, out, TL_ETH_ADDR_LEN) < 0)
		return tl_err_set(err, "not an Ethereum address (a character is not hex)");
	bool lower = false, upper = false;
	for (size_t i = 2; i < len; i++) {
		if (s[i] >= 'a' && s[i] <= 'f') lower = true;
		if (s[i] >= 'A' && s[i] <= 'F') upper = true;
	}
	if (lower && upper) {
		char want[43];
		tl_eth_addr_checksum(out, want);
		if (memcmp(want + 2, s + 2, 40) != 0)
			return tl_err_set(err, "Ethereum address fails its EIP-55 checksum (mixed case; expected %s)", want);
	}
	return 0;
}
