/* JSON replies and errors (jansson), on top of tl_api_reply_raw.
 *
 * Every error the server sends has the body
 *   {"error": CODE, "message": TEXT}
 * where CODE is a stable snake_case string clients can switch on and TEXT
 * a sentence for a person; some errors add fields (e.g. "limit" and
 * "narrow" for 413/422 limit errors). */
#ifndef TL_API_HTTP_JSON_H
#define TL_API_HTTP_JSON_H

#include <jansson.h>
#include <stdarg.h>

#include "api/http_server.h"

/* Sends body as compact JSON with status. Takes ownership of body (the
 * reference is stolen, even on failure). A NULL body (e.g. a failed
 * json_pack) sends 500 "internal". Returns 0 or -1 (already replied). */
int tl_api_reply_json(struct tl_api_req *req, int status, json_t *body);

/* Sends {"error": code, "message": printf(fmt, ...)} with status.
 * Returns 0 or -1 (already replied). */
int tl_api_reply_error(struct tl_api_req *req, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* As tl_api_reply_error, and merges the fields of extra (an object, stolen;
 * may be NULL) into the error object, e.g. {"limit": 10000, "narrow":
 * "pass max_hops or a smaller time window"}. */
int tl_api_reply_error_extra(struct tl_api_req *req, int status, const char *code, json_t *extra,
			     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* For handlers that hit a size or time cap: replies status (413 or 422)
 * with code "limit_exceeded", the message, and fields "limit" (what was
 * capped, e.g. "trace_nodes"), "max" (the cap) and "narrow" (how to ask a
 * smaller question). Returns 0 or -1. */
int tl_api_reply_limit(struct tl_api_req *req, int status, const char *limit, double max,
		       const char *narrow, const char *message);

/* Parses the request body as JSON. On success returns a borrowed
 * reference owned by the request (freed after the handler returns; parsed
 * once, later calls return the same value). On an empty or malformed body
 * it replies 400 "bad_json" naming the line and column, and returns NULL:
 * the handler then just returns. */
json_t *tl_api_req_json(struct tl_api_req *req);

#endif
