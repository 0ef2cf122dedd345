/* A JSON-RPC client for Bitcoin Core over HTTP (libevent's evhttp
 * client), synchronous: each call runs a private event loop until the
 * reply, an error or the timeout.
 *
 * Authentication is HTTP Basic, from a cookie file (Core writes
 * `__cookie__:<hex>` into <datadir>/.cookie at each start; the file is
 * read again after a 401, so a restarted node is followed) or from a user
 * and password.
 *
 * Transient failures are retried with exponential backoff: the node
 * unreachable, the connection dropped, a timeout, an HTTP error without a
 * JSON-RPC body (503 "work queue depth exceeded"), 401 (a new cookie), and
 * JSON-RPC error -28 (the node is warming up). Errors the node means
 * (unknown method, bad parameter, block not found) are returned at once
 * with Core's error code. */
#ifndef TL_LIVE_RPC_H
#define TL_LIVE_RPC_H

#include <signal.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"

/* Core's error codes the callers act on. */
#define TL_RPC_INVALID_ADDRESS_OR_KEY (-5) /* block or transaction not found */
#define TL_RPC_INVALID_PARAMETER (-8)      /* e.g. a height above the tip */
#define TL_RPC_IN_WARMUP (-28)

typedef void (*tl_rpc_warn_fn)(void *ctx, const char *msg);

struct tl_rpc_opts {
	const char *url;          /* http://HOST:PORT[/PATH]; required */
	const char *cookie_file;  /* either this ... */
	const char *user;         /* ... or user and password */
	const char *password;
	int timeout_ms;           /* one request; 0 = 60000 */
	int backoff_ms;           /* first retry delay; 0 = 250, doubling */
	int max_backoff_ms;       /* 0 = 30000 */
	/* Attempts per call before giving up on transient failures; 0 =
	 * until *stop is set (a follower keeps waiting for its node). */
	int max_attempts;
	volatile sig_atomic_t *stop; /* may be NULL */
	tl_rpc_warn_fn warn;      /* each retried failure, once per call; may be NULL */
	void *ctx;
};

struct tl_rpc;

/* Parses the URL and reads the credentials (the cookie file may be
 * absent yet: it is read at the first call). Errors: bad URL, no
 * credentials. Returns 0 and *out (free with tl_rpc_close), or -1. */
int tl_rpc_open(const struct tl_rpc_opts *o, struct tl_rpc **out, struct tl_err *err)
	__attribute__((warn_unused_result));
void tl_rpc_close(struct tl_rpc *r);

/* Calls method with params (a JSON array, stolen; NULL = []). On
 * success *result is the "result" member (new reference, caller decrefs)
 * and 0 is returned. On failure returns -1 with err; *rpc_code (may be
 * NULL) is Core's error code when the node answered an error, else 0. */
int tl_rpc_call(struct tl_rpc *r, const char *method, json_t *params, json_t **result, int *rpc_code,
		struct tl_err *err) __attribute__((warn_unused_result));

/* Counters for tests and /metrics. */
struct tl_rpc_stats {
	uint64_t calls, retries, failures;
};
void tl_rpc_stats(const struct tl_rpc *r, struct tl_rpc_stats *out);

/* Parses "http://HOST:PORT[/PATH]" (HOST a name or an IPv4 address; PORT
 * defaults to 8332). host gets at most hcap-1 bytes, path "/" when none.
 * Returns 0 or -1 with err. Exposed for the fuzz target. */
int tl_rpc_parse_url(const char *url, char *host, size_t hcap, uint16_t *port, char *path, size_t pcap,
		     struct tl_err *err);

#endif
