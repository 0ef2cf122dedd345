/* Sending many HTTP(S) POSTs at once and waiting for their answers (the
 * webhook deliveries, live/deliver.h). Every request runs concurrently on
 * a private libevent loop, so one slow receiver costs a pass at most its
 * timeout, not one timeout per delivery. https:// URLs go through
 * OpenSSL with the peer's certificate verified against the system's
 * trust store (plus ca_file when given) and its name (or IP address)
 * checked against the URL's host. */
#ifndef TL_LIVE_HTTPSEND_H
#define TL_LIVE_HTTPSEND_H

#include <stddef.h>

#include "base/err.h"

#define TL_POST_MAX_HEADERS 8

struct tl_post {
	/* in (borrowed during the call) */
	const char *url;
	const char *body;
	size_t nheaders;
	const char *hname[TL_POST_MAX_HEADERS], *hvalue[TL_POST_MAX_HEADERS];
	/* out */
	int status;     /* the HTTP status, or -1 with msg */
	char msg[256];
};

struct tl_post_opts {
	int timeout_ms;      /* per request (connect, TLS, answer); 0 = 5000 */
	const char *ca_file; /* PEM certificates trusted besides the system's; NULL = none */
};

/* Sends every post of p[0..n-1] concurrently and waits until each is
 * answered or failed; each gets its status or message. Returns 0, or -1
 * with err when nothing could be attempted (no event loop, a TLS context
 * or ca_file that cannot be loaded). */
int tl_post_all(struct tl_post *p, size_t n, const struct tl_post_opts *o, struct tl_err *err)
	__attribute__((warn_unused_result));

#endif
