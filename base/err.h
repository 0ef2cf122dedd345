/* Error messages for functions that can fail.
 *
 * Convention across taintline: a function that can fail returns 0 on
 * success and -1 (or another negative code it documents) on failure, and
 * when given a non-NULL struct tl_err * fills it with a one-line message
 * (always valid UTF-8) a person can act on ("blk00003.dat offset 1234: record size 99999999 over
 * the 32 MiB limit"). */
#ifndef TL_BASE_ERR_H
#define TL_BASE_ERR_H

/* What kind of failure, set where the failure arises, so that front ends
 * choose an HTTP status or an exit code from the code, never from the
 * message's words (api/http_json.c has the one code-to-status table). */
enum tl_errc {
	TL_E_FAILED = 0,     /* anything not classified below (HTTP 400 or 500 by route) */
	TL_E_BAD_INPUT,      /* malformed input: an address, a txid, a parameter */
	TL_E_WRONG_NETWORK,  /* a well-formed address of another network */
	TL_E_NOT_FOUND,      /* a well-formed key the index does not hold */
	TL_E_CONFLICT,       /* the resource is held: a database locked by another process */
	TL_E_UNAVAILABLE,    /* try again later: a node or a queue */
	TL_E_TIMEOUT,        /* a time budget ran out */
	TL_E_TOO_LARGE,      /* a size or memory budget ran out */
	TL_E_STORE,          /* the database could not be read or written */
};

struct tl_err {
	char msg[512];
	enum tl_errc code;
};

/** Formats a message into err with the code TL_E_FAILED.
 *
 *  Returns: always -1, so that callers can write `return tl_err_set(err, "...")`.
 *  Args:    err: receives the message and code; may be NULL.
 *  In:      fmt, ...: printf-style.
 */
int tl_err_set(struct tl_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** As tl_err_set, with the kind of failure.
 *
 *  Returns: always -1.
 *  Args:    err: receives the message and code; may be NULL.
 *  In:      code: the kind of failure; fmt, ...: printf-style.
 */
int tl_err_setc(struct tl_err *err, enum tl_errc code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/** The code's stable name ("not_found", "wrong_network", ...).
 *
 *  Returns: a static string; "failed" for an unknown code.
 *  In:      code: any value.
 */
const char *tl_errc_name(enum tl_errc code);
/** Replaces, in place, every byte of s that is not part of a valid UTF-8
 *  sequence with '?'. Messages often quote hostile input cut at a byte
 *  limit; sanitized, they can always go into JSON.
 *
 *  In/Out:  s: a NUL-terminated string, rewritten in place.
 */
void tl_utf8_sanitize(char *s);

/** Prefixes an existing message with context ("reading blk00001.dat: "),
 *  truncating to fit; the code is kept.
 *
 *  Returns: always -1.
 *  Args:    err: the message to prefix; may be NULL (nothing happens).
 *  In:      fmt, ...: printf-style.
 */
int tl_err_prefix(struct tl_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
