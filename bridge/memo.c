/* THORChain memo grammar (see memo.h). Field splitting follows THORNode:
 * ':' separates parameters, '/' sub-parameters; function names are
 * case-insensitive; an asset is CHAIN.SYMBOL (synths CHAIN/SYMBOL and
 * trade assets CHAIN~SYMBOL are accepted the same way). */
#include "bridge/memo.h"

#include <string.h>

#define MAX_PARTS 8

struct span {
	const char *p;
	size_t n;
};

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }
static int upper(int c) { return c >= 'a' && c <= 'z' ? c - 32 : c; }

static bool span_ieq(struct span s, const char *w)
{
	size_t n = strlen(w);
	if (s.n != n) return false;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)s.p[i]) != w[i]) return false;
	return true;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	return -1;
}

/* 64 hex digits, optionally after 0x. */
static bool parse_hash(struct span s, uint8_t out[32])
{
	if (s.n == 66 && s.p[0] == '0' && (s.p[1] == 'x' || s.p[1] == 'X')) {
		s.p += 2;
		s.n -= 2;
	}
	if (s.n != 64) return false;
	for (size_t i = 0; i < 32; i++) {
		int h = hexval((unsigned char)s.p[2 * i]), l = hexval((unsigned char)s.p[2 * i + 1]);
		if (h < 0 || l < 0) return false;
		out[i] = (uint8_t)(h << 4 | l);
	}
	return true;
}

static void copy(char *dst, struct span s)
{
	memcpy(dst, s.p, s.n);
	dst[s.n] = 0;
}

static bool all_digits(struct span s)
{
	if (!s.n) return false;
	for (size_t i = 0; i < s.n; i++)
		if (s.p[i] < '0' || s.p[i] > '9') return false;
	return true;
}

static bool parse_u64(struct span s, uint64_t *v)
{
	if (!all_digits(s) || s.n > 19) return false;
	uint64_t x = 0;
	for (size_t i = 0; i < s.n; i++) x = x * 10 + (uint64_t)(s.p[i] - '0');
	*v = x;
	return true;
}

/* Splits s at sep into at most max spans; returns the count, or -1 when
 * there are more. */
static int split(struct span s, char sep, struct span *out, int max)
{
	int k = 0;
	size_t start = 0;
	for (size_t i = 0; i <= s.n; i++) {
		if (i == s.n || s.p[i] == sep) {
			if (k == max) return -1;
			out[k++] = (struct span){ s.p + start, i - start };
			start = i + 1;
		}
	}
	return k;
}

/* THORNode's one-letter asset short codes. */
static const char *short_asset(struct span s)
{
	static const struct {
		char c;
		const char *asset;
	} codes[] = {
		{ 'a', "AVAX.AVAX" }, { 'b', "BTC.BTC" }, { 'c', "BCH.BCH" }, { 'd', "DOGE.DOGE" }, { 'e', "ETH.ETH" },
		{ 'g', "GAIA.ATOM" }, { 'l', "LTC.LTC" }, { 'r', "THOR.RUNE" }, { 's', "BSC.BNB" },
	};
	if (s.n != 1) return NULL;
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (lower((unsigned char)s.p[0]) == codes[i].c) return codes[i].asset;
	return NULL;
}

static bool parse_asset(struct span s, struct tl_memo *m)
{
	const char *sc = short_asset(s);
	if (sc) s = (struct span){ sc, strlen(sc) };
	size_t dot = s.n;
	for (size_t i = 0; i < s.n; i++)
		if (s.p[i] == '.' || s.p[i] == '/' || s.p[i] == '~') {
			dot = i;
			break;
		}
	if (dot == 0 || dot == s.n || dot + 1 == s.n || dot > 10) return false;
	for (size_t i = 0; i < s.n; i++) {
		unsigned char c = (unsigned char)s.p[i];
		bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
			  c == '_' || i == dot;
		if (!ok) return false;
		if (i < dot && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			return false;
		m->asset[i] = (char)upper(c);
		if (i < dot) m->chain[i] = (char)upper(c);
	}
	m->asset[s.n] = 0;
	m->chain[dot] = 0;
	return true;
}

/* Printable ASCII without spaces: addresses, affiliate names. */
static bool token_ok(struct span s)
{
	for (size_t i = 0; i < s.n; i++)
		if (s.p[i] <= ' ' || s.p[i] > '~') return false;
	return true;
}

/* LIMIT: digits, or THORNode's exponent form "12e7". */
static bool limit_ok(struct span s)
{
	size_t e = s.n;
	for (size_t i = 0; i < s.n; i++)
		if (s.p[i] == 'e' || s.p[i] == 'E') {
			e = i;
			break;
		}
	if (e == s.n) return all_digits(s);
	return all_digits((struct span){ s.p, e }) && all_digits((struct span){ s.p + e + 1, s.n - e - 1 });
}

static bool fee_ok(struct span s)
{
	struct span f[MAX_PARTS];
	int k = split(s, '/', f, MAX_PARTS);
	if (k < 0) return false;
	for (int i = 0; i < k; i++)
		if (!all_digits(f[i]) || f[i].n > 5) return false;
	return true;
}

static int bad(const char **why, const char *reason)
{
	if (why) *why = reason;
	return -1;
}

static int parse_swap(const struct span *part, int np, struct tl_memo *m, const char **why)
{
	if (np < 2 || !part[1].n) return bad(why, "swap memo without an asset");
	if (!parse_asset(part[1], m)) return bad(why, "swap memo with a malformed asset");
	if (np > 2) {
		struct span d[2];
		int k = split(part[2], '/', d, 2);
		if (k < 0) return bad(why, "destination with more than one '/'");
		if (!token_ok(d[0]) || (k == 2 && !token_ok(d[1]))) return bad(why, "destination with a blank or control byte");
		copy(m->dest, d[0]);
		if (k == 2) copy(m->refund, d[1]);
	}
	if (np > 3 && part[3].n) {
		struct span l[3];
		int k = split(part[3], '/', l, 3);
		if (k < 0 || k == 2) return bad(why, "limit must be LIMIT or LIMIT/INTERVAL/QUANTITY");
		if (l[0].n && !limit_ok(l[0])) return bad(why, "limit is not a number");
		copy(m->limit, l[0]);
		if (k == 3 && (!parse_u64(l[1], &m->interval) || !parse_u64(l[2], &m->quantity)))
			return bad(why, "streaming interval or quantity is not a number");
	}
	if (np > 4) {
		if (!token_ok(part[4])) return bad(why, "affiliate with a blank or control byte");
		copy(m->affiliate, part[4]);
	}
	if (np > 5 && part[5].n) {
		if (!fee_ok(part[5])) return bad(why, "affiliate fee is not basis points");
		copy(m->fee, part[5]);
	}
	/* THORNode reads further parameters (DEX aggregation) we do not need;
	 * they do not change where the swap pays. */
	m->kind = TL_MEMO_SWAP;
	return 1;
}

int tl_memo_parse(const char *s, size_t len, struct tl_memo *m, const char **why)
{
	memset(m, 0, sizeof *m);
	if (why) *why = NULL;
	if (!len) return 0;
	struct span whole = { s, len };
	size_t fn_end = 0;
	while (fn_end < len && s[fn_end] != ':') fn_end++;
	struct span fn = { s, fn_end };
	bool is_out = span_ieq(fn, "out"), is_refund = span_ieq(fn, "refund");
	bool is_swap = span_ieq(fn, "swap") || span_ieq(fn, "s") || span_ieq(fn, "=");
	bool is_limit = span_ieq(fn, "=<");
	if (!is_out && !is_refund && !is_swap && !is_limit) return 0;
	if (len > TL_MEMO_MAX) return bad(why, "memo longer than 250 bytes");
	if (memchr(s, 0, len)) return bad(why, "memo with a NUL byte");
	struct span part[MAX_PARTS];
	int np = split(whole, ':', part, MAX_PARTS);
	if (np < 0) np = MAX_PARTS; /* extra trailing parameters are not ours */
	if (is_out || is_refund) {
		if (np < 2 || !parse_hash(part[1], m->in_hash))
			return bad(why, "OUT/REFUND memo without a 64-hex-digit hash");
		m->kind = is_out ? TL_MEMO_OUT : TL_MEMO_REFUND;
		return 1;
	}
	m->limit_swap = is_limit;
	return parse_swap(part, np, m, why);
}

size_t tl_memo_format_out(bool refund, const uint8_t in_hash[32], char *buf)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *pre = refund ? "REFUND:" : "OUT:";
	size_t n = strlen(pre);
	memcpy(buf, pre, n);
	for (int i = 0; i < 32; i++) {
		buf[n++] = hex[in_hash[i] >> 4];
		buf[n++] = hex[in_hash[i] & 15];
	}
	buf[n] = 0;
	return n;
}
