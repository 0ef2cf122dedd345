/* An incremental scanner of HTTP/1.1 request framing: request line,
 * header block and body (Content-Length or chunked), fed the bytes of one
 * connection as they arrive. The server runs it ahead of libevent's own
 * parser so that a request can be judged (route, key, body size) as soon
 * as its headers are in, before any body is buffered, and so that framing
 * libevent would read loosely (two Content-Length values, a Content-Length
 * beside chunked encoding, a malformed chunk size) is refused outright.
 *
 * It keeps only the header block of the request being read (bounded by
 * max_head) and a few counters; body bytes are counted, never stored. No
 * I/O, no allocation beyond the header block: fuzzed in
 * tests/fuzz/fuzz_reqscan.c. */
#ifndef TL_API_REQSCAN_H
#define TL_API_REQSCAN_H

#include <stddef.h>
#include <stdint.h>

/* What tl_reqscan_feed stopped at. */
enum tl_scan_event {
	TL_SCAN_MORE = 0,     /* consumed everything; needs more bytes */
	TL_SCAN_HEADERS = 1,  /* a header block is complete: fields below are set */
	TL_SCAN_DONE = 2,     /* a whole request (headers and body) is complete */
	TL_SCAN_ERROR = -1,   /* malformed or over a limit: status and msg set */
};

#define TL_SCAN_AUTH_MAX 256

struct tl_reqscan {
	/* Limits (set before feeding; 0 = the defaults 16 KiB and 2048). */
	size_t max_head;     /* request line plus headers */
	size_t max_target;   /* longest request-target (414 above it) */
	/* Set by the caller after TL_SCAN_HEADERS: the most body bytes the
	 * request may have (0 = no limit); over it the scan fails with 413. */
	uint64_t body_limit;

	/* The last header block (valid from TL_SCAN_HEADERS until the next
	 * request starts). */
	char method[16];
	char *target;        /* NUL-terminated, inside the header buffer */
	int n_auth;          /* Authorization headers seen */
	char auth[TL_SCAN_AUTH_MAX + 1]; /* the first one, truncated */
	int has_length;      /* a Content-Length header was given */
	uint64_t length;     /* its value */
	int chunked;         /* Transfer-Encoding: chunked */
	uint64_t body_seen;  /* body bytes of the current request so far */

	/* Set with TL_SCAN_ERROR. */
	int status;          /* 400, 413, 414 or 431 */
	char msg[160];

	/* Private state. */
	int state, in_request;
	char *head;
	size_t head_len, head_cap;
	uint64_t left;       /* bytes left of a Content-Length body or chunk */
	int hexdigits;
	size_t line_len;     /* current trailer line length */
};

/* Starts a scanner with the given limits (0 = defaults). */
void tl_reqscan_init(struct tl_reqscan *s, size_t max_head, size_t max_target);
/* Frees its header buffer. */
void tl_reqscan_free(struct tl_reqscan *s);

/* Feeds n bytes at p. Returns the first event reached and sets *used to
 * the bytes consumed up to it (the caller feeds the rest again). After
 * TL_SCAN_ERROR the scanner stays failed (returns the error again). */
enum tl_scan_event tl_reqscan_feed(struct tl_reqscan *s, const char *p, size_t n, size_t *used);

/* 1 while a request has started (a byte of it was seen) and is not yet
 * complete. */
int tl_reqscan_busy(const struct tl_reqscan *s);
/* 1 once the current request's header block is complete. */
int tl_reqscan_in_body(const struct tl_reqscan *s);

#endif
