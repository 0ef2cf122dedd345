/* The HTTP server: libevent evhttp on N worker threads sharing one
 * listening socket, with routing, API-key auth and roles, per-key rate
 * limits, body/header/time limits, JSON errors, Prometheus metrics and a
 * graceful shutdown that finishes in-flight requests.
 *
 * Life cycle (one thread drives it):
 *
 *   struct tl_api_config cfg;  tl_api_config_default(&cfg);
 *   srv = tl_api_server_new(&cfg, &err);
 *   tl_api_route(srv, TL_GET, "/api/tx/:txid", TL_ROLE_SCREEN, h, ctx, &err);
 *   tl_api_server_start(srv, &err);      // binds, spawns workers
 *   ... tl_api_server_stop(srv);         // from any thread
 *   tl_api_server_wait(srv);             // joins after the drain
 *   tl_api_server_free(srv);
 *
 * or tl_api_server_run_until_signal(srv, &err), which does start, waits
 * for SIGINT or SIGTERM, then stop and wait.
 *
 * Handlers run on a worker thread, one request at a time per worker (or,
 * for TL_ROUTE_POOL routes, on a thread of the expensive-work pool), and
 * must be thread-safe with respect to their ctx (several workers call the
 * same handler concurrently). A handler must send exactly one reply
 * (tl_api_reply_* here or in api/http_json.h) before it returns; if it
 * returns without replying the client gets 500 "internal". Everything a
 * handler gets from req is valid until the handler returns. */
#ifndef TL_API_HTTP_SERVER_H
#define TL_API_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "api/auth.h"
#include "base/err.h"

/* HTTP methods as bits (routes accept a mask; HEAD is served by GET
 * routes without a body). */
enum tl_api_method {
	TL_GET = 1,
	TL_POST = 2,
	TL_PUT = 4,
	TL_DELETE = 8,
	TL_PATCH = 16,
	TL_OPTIONS = 32,
};

struct tl_api_config {
	/* "host:port", "[v6]:port" or ":port" (= 127.0.0.1); numeric host
	 * only. Port 0 picks a free port (see tl_api_server_port). Default
	 * "127.0.0.1:8080". */
	const char *listen;
	/* Worker threads, each with its own event loop. Default 2. */
	int threads;
	/* Keys file (see api/auth.h). NULL: no auth; only loopback clients
	 * are served (others get 403) and a warning is logged at start;
	 * loopback clients act as admin. */
	const char *keys_file;
	/* Largest request body of routes that take one (tl_api_route_opts
	 * sets it per route). A body over its route's limit is refused with
	 * JSON 413 "body_too_large" when the request's headers arrive, before
	 * any of it is read. Default 1 MiB. */
	size_t max_body;
	/* Largest request line plus headers; over it the answer is 431 and
	 * the connection is closed. Default 16 KiB. */
	size_t max_headers;
	/* Idle timeout for reading a request (headers or body) and writing a
	 * reply, and for idle keep-alive connections: a client that stalls
	 * that long is disconnected. Default 10000 ms. */
	int io_timeout_ms;
	/* A request's line and headers must arrive within this time of its
	 * first byte, and its body at 16 KiB/s or faster after that; a client
	 * that trickles is answered 408 and disconnected. Default 10000 ms. */
	int header_timeout_ms;
	/* Most connections open at once; beyond it a new connection gets 503
	 * with Retry-After and is closed. 0 = the file-descriptor limit less
	 * 64 (at least 16, at most 4096). */
	int max_conns;
	/* Most request-body bytes held by the server at once, all connections
	 * together; a body that would pass it is refused with 503. Default
	 * 256 MiB. */
	size_t max_buffered;
	/* Most reply bytes waiting to be written, all connections together.
	 * Near it, a client that has not taken any of its reply for a second
	 * is cut off (with a log line); a reply that would pass it once those
	 * are gone is answered 503 "reply_buffers_full" instead. Default
	 * 128 MiB. */
	size_t max_out_buffered;
	/* The expensive-work pool (routes registered with TL_ROUTE_POOL):
	 * threads (default tl_api_default_pool_threads()), most jobs waiting (default 16; 503 with
	 * Retry-After beyond), and per API key the most jobs running (default
	 * 1) and running plus waiting (default 4; 429 beyond). */
	int pool_threads;
	int pool_queue;
	int pool_per_key;
	int pool_per_key_pending;
	/* How long stop waits for in-flight replies before closing anyway.
	 * Default 10000 ms. */
	int drain_timeout_ms;
	/* Time budget handed to handlers (tl_api_req_time_left_ms), counted
	 * from the request's arrival (time waiting in the pool included); the
	 * framework does not interrupt a handler, handlers check it and
	 * answer 422/413 with how to narrow the query. It is kept at most 80%
	 * of io_timeout_ms, so that the answer is always written before the
	 * connection's own timeout. Default 8000 ms. */
	int handler_time_ms;
	/* Where warnings go (default stderr; NULL = silent). */
	FILE *log;
};

/* Fills c with the defaults above. */
void tl_api_config_default(struct tl_api_config *c);

struct tl_api_server;
struct tl_api_req;

typedef void (*tl_api_handler)(struct tl_api_req *req, void *ctx);

/* Extra metrics: called while /metrics is rendered, on a worker thread;
 * writes more Prometheus text to out (tl_metrics_gauge helps). */
typedef void (*tl_api_metrics_hook)(FILE *out, void *ctx);

/* Health: called by GET /healthz; may add fields to obj (borrowed) and
 * returns 0 when healthy (200) or -1 (503, "status": "unavailable"). */
struct json_t;
typedef int (*tl_api_health_hook)(struct json_t *obj, void *ctx);

/* Creates a server (not yet listening). Loads the keys file if set.
 * Built-in routes: GET /healthz and GET /metrics, both public. Returns the
 * server (free with tl_api_server_free) or NULL with err filled (bad
 * listen address, bad keys file, bad limits). */
struct tl_api_server *tl_api_server_new(const struct tl_api_config *c, struct tl_err *err);

/* Registers handler for the methods (a mask of enum tl_api_method) on a
 * path pattern (api/router.h syntax, e.g. "/api/tx/:txid"), callable by
 * keys whose role is at least `role` (TL_ROLE_PUBLIC: no key needed). Only
 * before tl_api_server_start. Returns 0, or -1 with err (bad or duplicate
 * pattern, server already started). */
int tl_api_route(struct tl_api_server *srv, unsigned methods, const char *pattern,
		 enum tl_api_role role, tl_api_handler handler, void *ctx, struct tl_err *err);

/* Route options for tl_api_route_opts. */
enum {
	/* The handler is expensive (traces, imports, exports): it runs on the
	 * pool's threads, not on the event loops that answer cheap requests,
	 * within the pool's limits, and is cancelled when its client leaves
	 * (tl_api_req_cancelled). */
	TL_ROUTE_POOL = 1,
};
struct tl_api_route_opts {
	unsigned flags;   /* TL_ROUTE_* */
	/* Largest request body (413 above it, refused when the headers
	 * arrive). 0 = the server's max_body for routes that accept POST, PUT
	 * or PATCH; routes with only other methods take no body. */
	size_t max_body;
};

/* tl_api_route with options (o may be NULL). */
int tl_api_route_opts(struct tl_api_server *srv, unsigned methods, const char *pattern, enum tl_api_role role,
		      const struct tl_api_route_opts *o, tl_api_handler handler, void *ctx, struct tl_err *err);

/* Sets the optional hooks (before start). */
void tl_api_set_metrics_hook(struct tl_api_server *srv, tl_api_metrics_hook fn, void *ctx);
void tl_api_set_health_hook(struct tl_api_server *srv, tl_api_health_hook fn, void *ctx);
/* Calls begin before every handler and end after it, on the thread that
 * runs the handler (a worker, or the pool's for TL_ROUTE_POOL routes):
 * what a request must hold for its whole run, e.g. one view of the
 * database (store/store.h tl_store_view_begin). Set before start. */
typedef void (*tl_api_request_hook)(void *ctx);
void tl_api_set_request_hooks(struct tl_api_server *srv, tl_api_request_hook begin, tl_api_request_hook end,
			      void *ctx);

/* Counts one screening verdict of this risk level
 * (tl_screen_verdicts_total{risk}) / one request a limit stopped
 * (tl_limits_hit_total{limit}, e.g. "trace_time"). Any thread. */
void tl_api_count_verdict(struct tl_api_req *req, const char *risk);
void tl_api_count_limit(struct tl_api_req *req, const char *limit);

/* Threads of the expensive-work pool by default: the online cores less
 * one (at least 1, at most 16), so that a core is left to the event
 * loops that answer cheap requests. */
int tl_api_default_pool_threads(void);

/* Binds the listening socket and starts the worker threads. Returns 0,
 * or -1 with err (address in use, thread creation failed). */
int tl_api_server_start(struct tl_api_server *srv, struct tl_err *err);

/* The bound port (after start), e.g. when the config asked for port 0. */
uint16_t tl_api_server_port(const struct tl_api_server *srv);

/* Asks the server to stop: no new connections are accepted, requests
 * already received are answered (with "Connection: close"), then the
 * workers exit; after drain_timeout_ms they exit regardless. Returns at
 * once. Thread-safe, idempotent; not async-signal-safe (use
 * tl_api_server_run_until_signal for signals). */
void tl_api_server_stop(struct tl_api_server *srv);

/* Waits until every worker has exited (after stop). */
void tl_api_server_wait(struct tl_api_server *srv);

/* Blocks SIGINT and SIGTERM, starts the server, waits for one of them,
 * then stops, drains and waits. Returns 0, or -1 with err if start
 * failed. */
int tl_api_server_run_until_signal(struct tl_api_server *srv, struct tl_err *err);

/* Frees the server; stops and waits first if it is running. */
void tl_api_server_free(struct tl_api_server *srv);

/* The handler budget in effect (handler_time_ms after the cap below
 * io_timeout_ms). */
int tl_api_server_handler_ms(const struct tl_api_server *srv);

/* Writes a line to the server's log, at most one a second (lines in
 * between are counted and the count is reported with the next line), so
 * that a flood of bad requests cannot fill the disk. Thread-safe. */
void tl_api_log(struct tl_api_server *srv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The server's metrics (for tests and hooks); owned by the server. */
struct tl_metrics *tl_api_server_metrics(struct tl_api_server *srv);

/* ---- Request accessors (valid inside a handler) ---- */

/* The method bit (TL_GET for HEAD too). */
enum tl_api_method tl_api_req_method(const struct tl_api_req *req);
/* The request path, percent-encoded as received, without the query. */
const char *tl_api_req_path(const struct tl_api_req *req);
/* A path parameter (decoded) by name without the ':', or NULL. */
const char *tl_api_req_param(const struct tl_api_req *req, const char *name);
/* A query parameter (decoded; the first if repeated), or NULL. */
const char *tl_api_req_query(struct tl_api_req *req, const char *name);
/* A request header (case-insensitive name), or NULL. */
const char *tl_api_req_header(const struct tl_api_req *req, const char *name);
/* The request body (NUL-terminated for convenience; *len excludes the
 * NUL). Returns "" with *len 0 when there is none. Owned by the request. */
const char *tl_api_req_body(struct tl_api_req *req, size_t *len);
/* The caller's role (TL_ROLE_PUBLIC on public routes without a key;
 * TL_ROLE_ADMIN for loopback clients of a server without keys). */
enum tl_api_role tl_api_req_role(const struct tl_api_req *req);
/* The caller's TLP clearance: its key's (api/auth.h); everything for the
 * loopback clients of a server without keys; CLEAR without a key. */
void tl_api_req_clearance(const struct tl_api_req *req, struct tl_clearance *out);
/* The key's name from the keys file ("" if none or no key). */
const char *tl_api_req_key_name(const struct tl_api_req *req);
/* The SHA-256 of the caller's key (32 bytes, owned by the keyring), or
 * NULL when the request came without a key. */
const uint8_t *tl_api_req_key_hash(const struct tl_api_req *req);
/* Milliseconds left of the handler_time_ms budget (may be negative). */
long tl_api_req_time_left_ms(const struct tl_api_req *req);
/* 1 when the client has gone (its connection closed) or the server is
 * stopping: a long handler stops and replies anything (it is dropped).
 * Thread-safe. */
int tl_api_req_cancelled(const struct tl_api_req *req);
/* The route pattern that matched. */
const char *tl_api_req_route(const struct tl_api_req *req);
/* The server the request came to. */
struct tl_api_server *tl_api_req_server(const struct tl_api_req *req);

/* Adds a response header for the coming reply (copied). */
void tl_api_req_set_header(struct tl_api_req *req, const char *name, const char *value);

/* ---- Replies (exactly one per request) ---- */

/* Sends status with the given content type and body (copied; bytes may
 * be NULL when len is 0). Returns 0, or -1 if a reply was already sent. */
int tl_api_reply_raw(struct tl_api_req *req, int status, const char *content_type,
		     const void *bytes, size_t len);

/* The standard reason phrase of an HTTP status ("Not Found"). */
const char *tl_http_reason(int status);

#endif
