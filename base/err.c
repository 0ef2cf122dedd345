#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void tl_utf8_sanitize(char *s)
{
	unsigned char *p = (unsigned char *)s;
	while (*p) {
		int n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : -1;
		int ok = n >= 0;
		for (int i = 1; ok && i <= n; i++)
			if ((p[i] & 0xc0) != 0x80) ok = 0;
		if (ok && n == 1 && *p < 0xc2) ok = 0;                              /* overlong */
		if (ok && n == 2) {
			unsigned cp = (unsigned)(*p & 0x0f) << 12 | (unsigned)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
			if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) ok = 0; /* overlong, surrogate */
		}
		if (ok && n == 3) {
			unsigned cp = (unsigned)(*p & 0x07) << 18 | (unsigned)(p[1] & 0x3f) << 12 |
				      (unsigned)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
			if (cp < 0x10000 || cp > 0x10ffff) ok = 0;
		}
		if (!ok) {
			*p++ = '?';
			continue;
		}
		p += n + 1;
	}
}

static int err_vset(struct tl_err *err, enum tl_errc code, const char *fmt, va_list ap)
{
	err->code = code;
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	tl_utf8_sanitize(err->msg);
	return -1;
}

int tl_err_set(struct tl_err *err, const char *fmt, ...)
{
	if (!err) return -1;
	va_list ap;
	va_start(ap, fmt);
	err_vset(err, TL_E_FAILED, fmt, ap);
	va_end(ap);
	return -1;
}

int tl_err_setc(struct tl_err *err, enum tl_errc code, const char *fmt, ...)
{
	if (!err) return -1;
	va_list ap;
	va_start(ap, fmt);
	err_vset(err, code, fmt, ap);
	va_end(ap);
	return -1;
}

const char *tl_errc_name(enum tl_errc code)
{
	switch (code) {
	case TL_E_FAILED: return "failed";
	case TL_E_BAD_INPUT: return "bad_input";
	case TL_E_WRONG_NETWORK: return "wrong_network";
	case TL_E_NOT_FOUND: return "not_found";
	case TL_E_CONFLICT: return "conflict";
	case TL_E_UNAVAILABLE: return "unavailable";
	case TL_E_TIMEOUT: return "timeout";
	case TL_E_TOO_LARGE: return "too_large";
	case TL_E_STORE: return "store_error";
	}
	return "failed";
}

int tl_err_prefix(struct tl_err *err, const char *fmt, ...)
{
	if (!err) return -1;
	char pre[256], old[sizeof err->msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof pre, fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof old);
	size_t n = strlen(pre);
	if (n >= sizeof err->msg) n = sizeof err->msg - 1;
	memcpy(err->msg, pre, n);
	size_t rest = strnlen(old, sizeof old - 1);
	if (rest > sizeof err->msg - 1 - n) rest = sizeof err->msg - 1 - n;
	memcpy(err->msg + n, old, rest);
	err->msg[n + rest] = 0;
	tl_utf8_sanitize(err->msg);
	return -1;
}
