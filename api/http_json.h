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

/* Replies for a failed operation by the kind of its failure (err->code):
 * the one table from error codes to HTTP statuses and error slugs.
 *   TL_E_BAD_INPUT      400, bad_input (the route's name for what it could
 *                       not parse: "bad_address", "bad_txid"; NULL:
 *                       "bad_request")
 *   TL_E_WRONG_NETWORK  400 wrong_network
 *   TL_E_NOT_FOUND      404 not_found
 *   TL_E_CONFLICT       409 database_busy
 *   TL_E_UNAVAILABLE    503 unavailable
 *   TL_E_TIMEOUT        422 timeout
 *   TL_E_TOO_LARGE      413 too_large
 *   TL_E_STORE          500 store_error, the detail logged and not sent
 *                       (it names files of this machine)
 *   TL_E_FAILED         failed_status (400 bad_request or 500 internal)
 * The message is err->msg. Returns 0 or -1 (already replied). */
int tl_api_reply_err(struct tl_api_req *req, const struct tl_err *err, const char *bad_input, int failed_status);

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
