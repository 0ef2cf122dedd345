/* Path routing: patterns such as "/api/tx/:txid/outspend/:vout" matched
 * against request paths, segment by segment.
 *
 * A pattern is a '/'-separated list of segments; a segment that starts
 * with ':' is a parameter and matches any one non-empty path segment,
 * every other segment matches itself exactly (case-sensitive). When
 * several patterns match a path, the most specific wins: segments are
 * compared left to right and a literal beats a parameter at the first
 * position where they differ ("/api/blocks/tip/height" beats
 * "/api/blocks/:start/height"). A trailing '/' on the path is ignored.
 *
 * The router knows nothing of HTTP: methods are bits chosen by the
 * caller, routes are small integers. Not thread-safe for writing; once
 * built, any number of threads may match concurrently. */
#ifndef TL_API_ROUTER_H
#define TL_API_ROUTER_H

#include <stddef.h>

#include "base/err.h"

#define TL_ROUTER_MAX_SEGMENTS 16
#define TL_ROUTER_MAX_PARAMS 8
/* Longest path the router decodes (longer paths do not match). */
#define TL_ROUTER_MAX_PATH 2048

struct tl_router;

/* Outcome of tl_router_match. */
enum tl_route_result {
	TL_ROUTE_FOUND = 0,
	TL_ROUTE_NOT_FOUND = -1,  /* no pattern matches the path */
	TL_ROUTE_BAD_METHOD = -2, /* a pattern matches, not with this method */
	TL_ROUTE_BAD_PATH = -3,   /* malformed percent-encoding or NUL byte */
};

/* Parameters of a match. Names point into the router (valid while it
 * lives); values are percent-decoded, NUL-terminated, inside buf. */
struct tl_route_match {
	int route_id;
	unsigned allowed_methods; /* with TL_ROUTE_BAD_METHOD: methods the path accepts */
	int nparams;
	const char *names[TL_ROUTER_MAX_PARAMS];
	const char *values[TL_ROUTER_MAX_PARAMS];
	char buf[TL_ROUTER_MAX_PATH + TL_ROUTER_MAX_SEGMENTS];
};

/* Returns a new, empty router (caller frees with tl_router_free), or
 * NULL when out of memory. */
struct tl_router *tl_router_new(void);
void tl_router_free(struct tl_router *r);

/* Adds a route. methods: a nonzero bit mask of the caller's method bits;
 * route_id: returned by tl_router_match. The pattern must start with '/',
 * have at most TL_ROUTER_MAX_SEGMENTS segments and TL_ROUTER_MAX_PARAMS
 * parameters, no empty segment (except a lone "/"), no '%' and no duplicate
 * parameter name. The same pattern may be added again with other methods.
 * Returns 0, or -1 with err filled (bad pattern, same pattern and method
 * twice, out of memory). The pattern is copied. */
int tl_router_add(struct tl_router *r, unsigned methods, const char *pattern, int route_id,
		  struct tl_err *err);

/* Matches path (without the query string; percent-encoded as received)
 * for one method bit. Fills *m and returns TL_ROUTE_FOUND, or another
 * tl_route_result. Never allocates. */
enum tl_route_result tl_router_match(const struct tl_router *r, unsigned method, const char *path,
				     struct tl_route_match *m);

/* Value of parameter name in a match, or NULL. */
const char *tl_route_param(const struct tl_route_match *m, const char *name);

/* Decodes percent-escapes of in[0..n) into out (at least n+1 bytes,
 * NUL-terminated). plus_is_space turns '+' into ' ' (query strings).
 * Returns the decoded length, or -1 on a bad escape or a decoded NUL. */
long tl_url_decode(const char *in, size_t n, char *out, int plus_is_space);

#endif
