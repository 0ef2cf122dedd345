/* Error messages for functions that can fail.
 *
 * Convention across taintline: a function that can fail returns 0 on
 * success and -1 (or another negative code it documents) on failure, and
 * when given a non-NULL struct tl_err * fills it with a one-line message
 * (always valid UTF-8) a person can act on ("blk00003.dat offset 1234: record size 99999999 over
 * the 32 MiB limit"). */
#ifndef TL_BASE_ERR_H
#define TL_BASE_ERR_H

struct tl_err {
	char msg[512];
};

/* printf-style; err may be NULL. Always returns -1 so that callers can
 * write `return tl_err_set(err, "...")`. */
int tl_err_set(struct tl_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Replaces, in place, every byte of s that is not part of a valid UTF-8
 * sequence with '?'. Messages often quote hostile input cut at a byte
 * limit; sanitized, they can always go into JSON. */
void tl_utf8_sanitize(char *s);

/* Prefixes an existing message with context ("reading blk00001.dat: "). */
int tl_err_prefix(struct tl_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
