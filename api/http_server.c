#include "api/http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/http_json.h"
#include "api/metrics.h"
#include "api/router.h"
#include "api/http_server_int.h"
#include "store/store.h"

#ifndef TL_VERSION
#define TL_VERSION "unknown"
#endif
/* The database schema this build reads, for taintline_build_info. */
#define TL_SCHEMA_STR2(x) #x
#define TL_SCHEMA_STR(x) TL_SCHEMA_STR2(x)
#define TL_SCHEMA_LABEL TL_SCHEMA_STR(TL_STORE_SCHEMA_VERSION)

/* ---------------- configuration ---------------- */

int tl_api_default_pool_threads(void)
{
	/* One core stays with the event loops: with as many expensive
	 * threads as cores, a cheap request waits for a core on a busy
	 * machine (measured in bench/bench_service.sh). */
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 2) return 1;
	return n - 1 > 16 ? 16 : (int)(n - 1);
}

void tl_api_config_default(struct tl_api_config *c)
{
	memset(c, 0, sizeof *c);
	c->listen = "127.0.0.1:8080";
	c->threads = 2;
	c->keys_file = NULL;
	c->max_body = 1u << 20;
	c->max_headers = 16u << 10;
	c->io_timeout_ms = 10000;
	c->header_timeout_ms = 10000;
	c->max_conns = 0;
	c->max_buffered = (size_t)256 << 20;
	c->max_out_buffered = (size_t)128 << 20;
	c->pool_threads = tl_api_default_pool_threads();
	c->pool_queue = 16;
	c->pool_per_key = 1;
	c->pool_per_key_pending = 4;
	c->drain_timeout_ms = 10000;
	c->handler_time_ms = 8000;
	c->log = stderr;
}

/* Parses "host:port", "[v6]:port" or ":port". */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len, struct tl_err *err)
{
	char host[256];
	const char *port;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':' || (size_t)(rb - s - 1) >= sizeof host)
			return tl_err_set(err, "listen address '%s': expected [ipv6]:port", s);
		memcpy(host, s + 1, (size_t)(rb - s - 1));
		host[rb - s - 1] = '\0';
		port = rb + 2;
	} else {
		const char *colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof host)
			return tl_err_set(err, "listen address '%s': expected host:port", s);
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
		if (!host[0]) strcpy(host, "127.0.0.1");
		port = colon + 1;
	}
	char *end;
	long p = strtol(port, &end, 10);
	if (!*port || *end || p < 0 || p > 65535)
		return tl_err_set(err, "listen address '%s': bad port '%s'", s, port);
	struct addrinfo hints = { 0 }, *ai = NULL;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	int rc = getaddrinfo(host, port, &hints, &ai);
	if (rc || !ai)
		return tl_err_set(err, "listen address '%s': '%s' is not a numeric IP address", s, host);
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static pthread_once_t evthread_once = PTHREAD_ONCE_INIT;
/* libevent's own warnings (a failing socket, a bad state) go to stderr
 * at most once a second, with a count of those left out: a flood of bad
 * connections must not fill the disk. */
static pthread_mutex_t evlog_lock = PTHREAD_MUTEX_INITIALIZER;
static double evlog_last;
static long evlog_suppressed;

static void evlog(int severity, const char *msg)
{
	if (severity < EVENT_LOG_WARN) return;
	double now = tl_mono_now();
	pthread_mutex_lock(&evlog_lock);
	if (evlog_last > 0 && now - evlog_last < 1.0) {
		evlog_suppressed++;
	} else {
		if (evlog_suppressed)
			fprintf(stderr, "taintline: libevent: %s (%ld similar lines suppressed)\n", msg, evlog_suppressed);
		else
			fprintf(stderr, "taintline: libevent: %s\n", msg);
		evlog_suppressed = 0;
		evlog_last = now;
	}
	pthread_mutex_unlock(&evlog_lock);
}

static void init_evthread(void)
{
	evthread_use_pthreads();
	event_set_log_callback(evlog);
}

static void builtin_healthz(struct tl_api_req *req, void *ctx);
static void builtin_metrics(struct tl_api_req *req, void *ctx);

struct tl_api_server *tl_api_server_new(const struct tl_api_config *c, struct tl_err *err)
{
	pthread_once(&evthread_once, init_evthread);
	struct tl_api_server *srv = calloc(1, sizeof *srv);
	if (!srv) {
		tl_err_set(err, "out of memory");
		return NULL;
	}
	srv->fd = -1;
	pthread_mutex_init(&srv->lock, NULL);
	pthread_mutex_init(&srv->log_lock, NULL);
	srv->cfg = *c;
	if (!srv->cfg.listen) srv->cfg.listen = "127.0.0.1:8080";
	srv->listen = strdup(srv->cfg.listen);
	srv->router = tl_router_new();
	if (!srv->listen || !srv->router) {
		tl_err_set(err, "out of memory");
		goto fail;
	}
	srv->cfg.listen = srv->listen;
	srv->cfg.keys_file = NULL; /* not kept */
	if (c->threads < 1 || c->threads > 256) {
		tl_err_set(err, "threads must be between 1 and 256 (got %d)", c->threads);
		goto fail;
	}
	if (c->max_body < 1 || c->max_body > (1u << 30)) {
		tl_err_set(err, "max_body must be between 1 byte and 1 GiB");
		goto fail;
	}
	if (c->max_headers < 256) {
		tl_err_set(err, "max_headers must be at least 256 bytes");
		goto fail;
	}
	if (c->io_timeout_ms <= 0 || c->drain_timeout_ms < 0 || c->handler_time_ms <= 0 ||
	    c->header_timeout_ms <= 0) {
		tl_err_set(err, "timeouts must be positive");
		goto fail;
	}
	if (c->pool_threads < 1 || c->pool_threads > 256 || c->pool_queue < 0 || c->pool_per_key < 1 ||
	    c->pool_per_key_pending < c->pool_per_key || c->max_conns < 0 || c->max_buffered < c->max_body ||
	    c->max_out_buffered < ((size_t)64 << 10)) {
		tl_err_set(err, "bad pool or connection limits");
		goto fail;
	}
	/* The answer of a handler that used its whole budget must still be
	 * written before the connection's own timeout closes it. */
	if (srv->cfg.handler_time_ms > srv->cfg.io_timeout_ms / 5 * 4)
		srv->cfg.handler_time_ms = srv->cfg.io_timeout_ms / 5 * 4 > 0 ? srv->cfg.io_timeout_ms / 5 * 4 : 1;
	if (!srv->cfg.max_conns) {
		struct rlimit rl;
		long lim = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? (long)rl.rlim_cur - 64 : 4096;
		srv->cfg.max_conns = (int)(lim < 16 ? 16 : lim > 4096 ? 4096 : lim);
	}
	if (parse_listen(srv->listen, &srv->addr, &srv->addrlen, err)) goto fail;
	if (c->keys_file && tl_keyring_load(c->keys_file, &srv->keys, err)) goto fail;
	if (c->keys_file && c->log) {
		/* Anyone who can write it can add a key: say so at start. */
		struct stat st;
		if (stat(c->keys_file, &st) == 0 && (st.st_mode & 022))
			fprintf(c->log,
				"taintline: warning: keys file %s is writable by other users (mode %04o); chmod 600 it\n",
				c->keys_file, (unsigned)(st.st_mode & 07777));
		else if (stat(c->keys_file, &st) == 0 && (st.st_mode & 044))
			fprintf(c->log, "taintline: warning: keys file %s is readable by other users (mode %04o); chmod 600 it\n",
				c->keys_file, (unsigned)(st.st_mode & 07777));
	}
	if (tl_api_route(srv, TL_GET, "/healthz", TL_ROLE_PUBLIC, builtin_healthz, srv, err) ||
	    tl_api_route(srv, TL_GET, "/metrics", TL_ROLE_PUBLIC, builtin_metrics, srv, err))
		goto fail;
	return srv;
fail:
	tl_api_server_free(srv);
	return NULL;
}

int tl_api_route(struct tl_api_server *srv, unsigned methods, const char *pattern,
		 enum tl_api_role role, tl_api_handler handler, void *ctx, struct tl_err *err)
{
	return tl_api_route_opts(srv, methods, pattern, role, NULL, handler, ctx, err);
}

int tl_api_route_opts(struct tl_api_server *srv, unsigned methods, const char *pattern, enum tl_api_role role,
		      const struct tl_api_route_opts *o, tl_api_handler handler, void *ctx, struct tl_err *err)
{
	if (srv->started) return tl_err_set(err, "route '%s' added after the server started", pattern);
	if (!handler) return tl_err_set(err, "route '%s' has no handler", pattern);
	if (role < TL_ROLE_PUBLIC || role > TL_ROLE_ADMIN) return tl_err_set(err, "route '%s': bad role", pattern);
	if (!methods || (methods & ~63u)) return tl_err_set(err, "route '%s': bad method mask", pattern);
	if (srv->nroutes == srv->routes_cap) {
		int nc = srv->routes_cap ? srv->routes_cap * 2 : 16;
		struct route_entry *nr = realloc(srv->routes, (size_t)nc * sizeof *nr);
		if (!nr) return tl_err_set(err, "out of memory");
		srv->routes = nr;
		srv->routes_cap = nc;
	}
	if (tl_router_add(srv->router, methods, pattern, srv->nroutes, err)) return -1;
	struct route_entry *e = &srv->routes[srv->nroutes];
	e->pattern = strdup(pattern);
	if (!e->pattern) return tl_err_set(err, "out of memory"); /* router keeps a dead id: harmless */
	e->methods = methods;
	e->role = role;
	e->handler = handler;
	e->ctx = ctx;
	e->flags = o ? o->flags : 0;
	e->max_body = o && o->max_body ? o->max_body
		      : (methods & (TL_POST | TL_PUT | TL_PATCH)) ? srv->cfg.max_body : 0;
	e->metric = -1;
	srv->nroutes++;
	return 0;
}

void tl_api_set_metrics_hook(struct tl_api_server *srv, tl_api_metrics_hook fn, void *ctx)
{
	srv->metrics_hook = fn;
	srv->metrics_ctx = ctx;
}

void tl_api_set_request_hooks(struct tl_api_server *srv, tl_api_request_hook begin, tl_api_request_hook end,
			      void *ctx)
{
	srv->req_begin = begin;
	srv->req_end = end;
	srv->req_ctx = ctx;
}

void tl_api_run_handler(struct tl_api_server *srv, struct tl_api_req *req)
{
	if (srv->req_begin) srv->req_begin(srv->req_ctx);
	req->route->handler(req, req->route->ctx);
	if (srv->req_end) srv->req_end(srv->req_ctx);
}

void tl_api_set_health_hook(struct tl_api_server *srv, tl_api_health_hook fn, void *ctx)
{
	srv->health_hook = fn;
	srv->health_ctx = ctx;
}

struct tl_metrics *tl_api_server_metrics(struct tl_api_server *srv)
{
	return srv->metrics;
}

int tl_api_server_handler_ms(const struct tl_api_server *srv)
{
	return srv->cfg.handler_time_ms;
}

uint16_t tl_api_server_port(const struct tl_api_server *srv)
{
	return srv->port;
}

/* ---------------- requests ---------------- */

enum tl_api_method tl_api_req_method(const struct tl_api_req *req)
{
	return req->method;
}
const char *tl_api_req_path(const struct tl_api_req *req)
{
	return req->path;
}
const char *tl_api_req_param(const struct tl_api_req *req, const char *name)
{
	return tl_route_param(&req->match, name);
}
const char *tl_api_req_query(struct tl_api_req *req, const char *name)
{
	if (!req->query_str) return NULL;
	if (!req->query_parsed) {
		TAILQ_INIT(&req->query);
		req->query_parsed = 1;
		if (evhttp_parse_query_str(req->query_str, &req->query) < 0) {
			evhttp_clear_headers(&req->query);
			TAILQ_INIT(&req->query);
		}
	}
	return evhttp_find_header(&req->query, name);
}
const char *tl_api_req_header(const struct tl_api_req *req, const char *name)
{
	return evhttp_find_header(req->in_headers, name);
}
const char *tl_api_req_body(struct tl_api_req *req, size_t *len)
{
	if (!req->body_done && req->pooled) {
		req->body = req->own_body ? req->own_body : "";
		req->body_done = 1;
	}
	if (!req->body_done) {
		struct evbuffer *in = evhttp_request_get_input_buffer(req->ev);
		req->body_len = evbuffer_get_length(in);
		req->body = "";
		if (req->body_len) {
			evbuffer_add(in, "", 1); /* NUL terminator for callers */
			const char *p = (const char *)evbuffer_pullup(in, -1);
			if (p) req->body = p;
			else req->body_len = 0;
		}
		req->body_done = 1;
	}
	if (len) *len = req->body_len;
	return req->body;
}
enum tl_api_role tl_api_req_role(const struct tl_api_req *req)
{
	return req->role;
}
void tl_api_req_clearance(const struct tl_api_req *req, struct tl_clearance *out)
{
	memset(out, 0, sizeof *out);
	if (!req->srv->keys) out->all = 1; /* loopback operator of a server without keys */
	else if (req->key) *out = req->key->clearance;
	else out->level = TL_TLP_CLEAR;
}
const char *tl_api_req_key_name(const struct tl_api_req *req)
{
	return req->key_name ? req->key_name : "";
}
const uint8_t *tl_api_req_key_hash(const struct tl_api_req *req)
{
	return req->key ? req->key->hash : NULL;
}
struct tl_api_server *tl_api_req_server(const struct tl_api_req *req)
{
	return req->srv;
}
int tl_api_req_cancelled(const struct tl_api_req *req)
{
	return atomic_load_explicit(&req->cancelled, memory_order_relaxed) != 0 ||
	       __atomic_load_n(&req->srv->stopping, __ATOMIC_RELAXED) != 0;
}
long tl_api_req_time_left_ms(const struct tl_api_req *req)
{
	return (long)req->srv->cfg.handler_time_ms - (long)((tl_mono_now() - req->t0) * 1000.0);
}
const char *tl_api_req_route(const struct tl_api_req *req)
{
	return req->route ? req->route->pattern : "";
}
void tl_api_count_verdict(struct tl_api_req *req, const char *risk)
{
	if (req && req->srv) tl_metrics_inc_label(req->srv->metrics, TL_MF_VERDICT, risk);
}

void tl_api_count_limit(struct tl_api_req *req, const char *limit)
{
	if (req && req->srv) tl_metrics_inc_label(req->srv->metrics, TL_MF_LIMIT, limit);
}

void tl_api_req_set_header(struct tl_api_req *req, const char *name, const char *value)
{
	if (req->pooled) evhttp_add_header(&req->own_out, name, value);
	else evhttp_add_header(evhttp_request_get_output_headers(req->ev), name, value);
}
json_t **tl_api_req_json_slot(struct tl_api_req *req)
{
	return &req->json;
}

const char *tl_http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Status";
	}
}

/* Replies this small are never refused for want of reply buffer: their
 * number is bounded by the connection cap. */
#define OUT_SMALL (64u << 10)

static void free_body(const void *data, size_t len, void *arg)
{
	(void)len;
	(void)arg;
	free((void *)data);
}

/* Writes the reply on the loop thread (req->ev alive). With owned, bytes
 * (malloc'd) is handed to libevent instead of copied: a trace's answer
 * can be megabytes, and copying it would stall the loop. */
static void send_now(struct tl_api_req *req, const char *content_type, const void *bytes, size_t len, int owned)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req->ev);
	if (content_type) evhttp_add_header(h, "Content-Type", content_type);
	if (req->w->draining) evhttp_add_header(h, "Connection", "close");
	struct evbuffer *out = evhttp_request_get_output_buffer(req->ev);
	struct evhttp_connection *con = evhttp_request_get_connection(req->ev);
	struct conn *c = con ? tl_conn_of(req->w, con) : NULL;
	size_t reserved = 0;
	if (!req->head && len > OUT_SMALL && c) {
		if (tl_conns_make_room(req->w, len, c)) reserved = len;
	}
	if (!req->head && len > OUT_SMALL && c && !reserved) {
		/* Every byte of the reply buffers is taken by clients that
		 * are reading: this reply waits for none of them. */
		atomic_fetch_add(&req->srv->out_refusals, 1);
		tl_metrics_inc_label(req->srv->metrics, TL_MF_LIMIT, "reply_buffers");
		tl_api_log(req->srv, "a reply of %zu bytes answered 503: reply buffers full (%lld bytes waiting, the limit is %zu)",
			   len, (long long)atomic_load(&req->srv->out_bytes), req->srv->cfg.max_out_buffered);
		static const char busy[] = "{\"error\":\"reply_buffers_full\",\"message\":\"the server holds as many reply bytes "
					   "as it may for clients still reading; retry shortly\"}";
		evhttp_remove_header(h, "Content-Type");
		evhttp_add_header(h, "Content-Type", "application/json");
		evhttp_add_header(h, "Retry-After", "1");
		req->status = 503;
		bytes = busy;
		len = sizeof busy - 1;
		owned = 0;
	}
	if (req->head) {
		/* A HEAD reply announces the length and sends no body. */
		char cl[32];
		snprintf(cl, sizeof cl, "%zu", len);
		evhttp_remove_header(h, "Content-Length");
		evhttp_add_header(h, "Content-Length", cl);
	} else if (len && owned) {
		if (evbuffer_add_reference(out, bytes, len, free_body, NULL) == 0) req->out_body = NULL;
		else evbuffer_add(out, bytes, len);
	} else if (len) {
		evbuffer_add(out, bytes, len);
	}
	/* Without a connection libevent frees the request at once and calls
	 * no callback, so there is nothing to count. */
	if (c) {
		req->w->inflight++;
		atomic_fetch_add_explicit(&req->srv->inflight_total, 1, memory_order_relaxed);
		/* Counted out by on_complete when written, or by the
		 * connection's close callback when the client is gone first
		 * (libevent 2.1 then frees the request without completing it). */
		c->replying = 1;
		c->reply_status = req->status;
		c->reply_metric = req->route ? req->route->metric : -1;
		c->reply_t0 = req->t0;
	}
	evhttp_send_reply(req->ev, req->status, tl_http_reason(req->status), NULL);
	/* the connection's buffer counts the reply now */
	if (reserved) atomic_fetch_sub(&req->srv->out_bytes, (int64_t)reserved);
}

int tl_api_reply_raw(struct tl_api_req *req, int status, const char *content_type, const void *bytes,
		     size_t len)
{
	if (req->replied) return -1;
	req->replied = 1;
	if (status < 100 || status > 599) status = 500;
	req->status = status;
	if (req->pooled) {
		/* On a pool thread: kept until the loop thread delivers it. */
		req->out_ctype = content_type ? strdup(content_type) : NULL;
		req->out_body = malloc(len ? len : 1);
		if (!req->out_body) abort();
		if (len) memcpy(req->out_body, bytes, len);
		req->out_len = len;
		return 0;
	}
	send_now(req, content_type, bytes, len, 0);
	return 0;
}

/* ---------------- dispatch ---------------- */

int tl_api_is_loopback(const struct sockaddr *sa)
{
	if (!sa) return 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr)) return 1;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) return s6->sin6_addr.s6_addr[12] == 127;
	}
	return 0;
}

/* A reply is no longer in flight (written in full, or its connection is
 * gone). */
void tl_api_reply_done(struct worker *w)
{
	w->inflight--;
	atomic_fetch_sub_explicit(&w->srv->inflight_total, 1, memory_order_relaxed);
	if (w->draining && w->inflight <= 0 && !w->loop_done) event_base_loopexit(w->base, NULL);
}

/* The reply was written: count it as sent (metrics count what reached
 * the socket, not what a handler produced). */
static void on_complete(struct evhttp_request *ev, void *arg)
{
	struct worker *w = arg;
	struct evhttp_connection *con = evhttp_request_get_connection(ev);
	struct conn *c = con ? tl_conn_of(w, con) : NULL;
	if (c && c->replying) {
		c->replying = 0;
		tl_metrics_observe(w->srv->metrics, w->idx, c->reply_metric, c->reply_status,
				   (uint64_t)((tl_mono_now() - c->reply_t0) * 1e6));
		tl_api_reply_done(w);
	}
	if (c) tl_conn_request_done(c);
}

static enum tl_api_method map_method(enum evhttp_cmd_type t)
{
	switch (t) {
	case EVHTTP_REQ_GET:
	case EVHTTP_REQ_HEAD: return TL_GET;
	case EVHTTP_REQ_POST: return TL_POST;
	case EVHTTP_REQ_PUT: return TL_PUT;
	case EVHTTP_REQ_DELETE: return TL_DELETE;
	case EVHTTP_REQ_PATCH: return TL_PATCH;
	case EVHTTP_REQ_OPTIONS: return TL_OPTIONS;
	default: return 0;
	}
}

static void allow_header(struct tl_api_req *req, unsigned methods)
{
	static const char *const names[] = { "GET, HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS" };
	char buf[128] = "";
	for (int i = 0; i < 6; i++)
		if (methods & (1u << i)) {
			if (buf[0]) strcat(buf, ", ");
			strcat(buf, names[i]);
		}
	tl_api_req_set_header(req, "Allow", buf);
}

/* Returns 0 when the caller may proceed; otherwise has replied. */
static int authorize(struct tl_api_req *req)
{
	struct tl_api_server *srv = req->srv;
	const struct route_entry *rt = req->route;
	if (!srv->keys) {
		req->role = TL_ROLE_ADMIN; /* loopback was checked before */
		return 0;
	}
	req->role = TL_ROLE_PUBLIC;
	if (rt->role == TL_ROLE_PUBLIC) return 0;
	const char *auth = tl_api_req_header(req, "Authorization");
	if (!auth || strncasecmp(auth, "Bearer ", 7)) {
		tl_api_req_set_header(req, "WWW-Authenticate", "Bearer realm=\"taintline\"");
		tl_api_reply_error(req, 401, "unauthorized",
				   "this route needs an API key: send 'Authorization: Bearer KEY'");
		return -1;
	}
	const char *tok = auth + 7;
	while (*tok == ' ') tok++;
	size_t tl = strlen(tok);
	while (tl && tok[tl - 1] == ' ') tl--;
	struct tl_api_key *key = tl ? tl_keyring_find(srv->keys, tok, tl) : NULL;
	if (!key) {
		tl_api_req_set_header(req, "WWW-Authenticate", "Bearer realm=\"taintline\", error=\"invalid_token\"");
		tl_api_reply_error(req, 401, "unauthorized", "the API key is not known to this server");
		return -1;
	}
	req->key_name = key->name;
	req->key = key;
	if (key->role < rt->role) {
		tl_api_reply_error(req, 403, "forbidden", "this route needs the '%s' role; the key has '%s'",
				   tl_role_name(rt->role), tl_role_name(key->role));
		return -1;
	}
	int wait = tl_ratelimit_take(key, tl_mono_now());
	if (wait) {
		char ra[16];
		snprintf(ra, sizeof ra, "%d", wait);
		tl_api_req_set_header(req, "Retry-After", ra);
		tl_api_reply_error_extra(req, 429, "rate_limited", json_pack("{s:i}", "retry_after", wait),
					 "the key's limit of %g requests per second is used up; retry after %d s",
					 key->rate, wait);
		return -1;
	}
	req->role = key->role;
	return 0;
}

/* Every name and value of the query string must decode (no malformed
 * escape, no NUL): a value cut short at a %00 would be read as another
 * value. Returns 0, or -1 having replied 400 naming the parameter. */
static int check_query(struct tl_api_req *req)
{
	const char *q = req->query_str;
	if (!q) return 0;
	char buf[512];
	while (*q) {
		size_t n = strcspn(q, "&");
		const char *eq = memchr(q, '=', n);
		size_t kn = eq ? (size_t)(eq - q) : n;
		char name[128];
		long kl = kn < sizeof name ? tl_url_decode(q, kn, name, 1) : -1;
		int bad = kl < 0;
		if (!bad && eq) {
			size_t vn = n - kn - 1;
			char *v = vn < sizeof buf ? buf : malloc(vn + 1);
			if (!v) abort();
			bad = tl_url_decode(eq + 1, vn, v, 1) < 0;
			if (v != buf) free(v);
		}
		if (bad) {
			if (kl < 0) snprintf(name, sizeof name, "%.*s", (int)(kn < 60 ? kn : 60), q);
			tl_api_reply_error(req, 400, "bad_query",
					   "query parameter '%s' has a malformed escape or a NUL byte", name);
			return -1;
		}
		q += n;
		if (*q == '&') q++;
	}
	return 0;
}

/* Copies what a pool thread needs of a request: it must not touch the
 * libevent request, which the loop thread frees when the client leaves. */
static struct tl_api_req *make_job(struct tl_api_req *rq)
{
	struct tl_api_req *j = malloc(sizeof *j);
	if (!j) return NULL;
	memcpy(j, rq, sizeof *j);
	j->pooled = 1;
	j->next = NULL;
	atomic_init(&j->cancelled, 0);
	TAILQ_INIT(&j->own_in);
	TAILQ_INIT(&j->own_out);
	j->query_parsed = 0;
	j->json = NULL;
	j->own_path = strdup(rq->path);
	j->own_query = rq->query_str ? strdup(rq->query_str) : NULL;
	j->path = j->own_path;
	j->query_str = j->own_query;
	struct evkeyval *kv;
	TAILQ_FOREACH(kv, rq->in_headers, next) evhttp_add_header(&j->own_in, kv->key, kv->value);
	j->in_headers = &j->own_in;
	/* Outgoing headers set before the hand-off (none today) stay on the
	 * libevent request and go out with the reply. */
	size_t blen;
	const char *b = tl_api_req_body(rq, &blen);
	j->own_body = malloc(blen + 1);
	if (j->own_body) {
		memcpy(j->own_body, b, blen);
		j->own_body[blen] = '\0';
	}
	j->body = j->own_body;
	j->body_len = blen;
	j->body_done = 1;
	/* Route parameters point into the match buffer, which moved. */
	for (int i = 0; i < j->match.nparams; i++)
		j->match.values[i] = j->match.buf + (rq->match.values[i] - rq->match.buf);
	if (!j->own_path || (rq->query_str && !j->own_query) || !j->own_body) {
		tl_api_req_release(j);
		return NULL;
	}
	return j;
}

void tl_api_req_release(struct tl_api_req *req)
{
	if (req->json) json_decref(req->json);
	if (req->query_parsed) evhttp_clear_headers(&req->query);
	if (req->pooled) {
		evhttp_clear_headers(&req->own_in);
		evhttp_clear_headers(&req->own_out);
		free(req->own_path);
		free(req->own_query);
		free(req->own_body);
		free(req->out_ctype);
		free(req->out_body);
		free(req);
	}
}

void tl_api_deliver(struct worker *w, struct tl_api_req *job)
{
	w->inflight--; /* the job itself; a reply being written counts again */
	atomic_fetch_sub_explicit(&w->srv->inflight_total, 1, memory_order_relaxed);
	if (job->conn) job->conn->job = NULL;
	if (job->ev && job->conn) {
		if (job->conn->closed_ev) {
			event_free(job->conn->closed_ev);
			job->conn->closed_ev = NULL;
		}
		if (!job->replied) {
			job->replied = 1;
			job->status = 500;
			static const char msg[] = "{\"error\":\"internal\",\"message\":\"the handler sent no reply\"}";
			job->out_ctype = strdup("application/json");
			job->out_body = strdup(msg);
			job->out_len = sizeof msg - 1;
		}
		struct evkeyvalq *h = evhttp_request_get_output_headers(job->ev);
		struct evkeyval *kv;
		TAILQ_FOREACH(kv, &job->own_out, next) evhttp_add_header(h, kv->key, kv->value);
		job->pooled = 0;
		send_now(job, job->out_ctype, job->out_body, job->out_len, 1);
		job->pooled = 1;
	} else {
		/* The client left: nothing is sent; counted as dropped. */
		tl_metrics_observe(w->srv->metrics, w->idx, job->route ? job->route->metric : -1, 499,
				   (uint64_t)((tl_mono_now() - job->t0) * 1e6));
	}
	tl_api_req_release(job);
	if (w->draining && w->inflight <= 0 && !w->loop_done) event_base_loopexit(w->base, NULL);
}

static void on_request(struct evhttp_request *ev, void *arg)
{
	struct worker *w = arg;
	struct tl_api_server *srv = w->srv;
	struct tl_api_req rq;
	memset(&rq, 0, offsetof(struct tl_api_req, match));
	rq.match.route_id = -1;
	rq.match.nparams = 0;
	rq.ev = ev;
	rq.w = w;
	rq.srv = srv;
	rq.t0 = tl_mono_now();
	rq.in_headers = evhttp_request_get_input_headers(ev);
	evhttp_request_set_on_complete_cb(ev, on_complete, w);
	struct evhttp_connection *evcon = evhttp_request_get_connection(ev);
	rq.conn = evcon ? tl_conn_of(w, evcon) : NULL;
	if (rq.conn && rq.conn->req_t0 > 0) rq.t0 = rq.conn->req_t0;
	if (rq.conn && rq.conn->refused) {
		/* Already answered on the socket; the connection is closing
		 * (freeing it frees this request). */
		return;
	}

	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ev);
	rq.path = uri ? evhttp_uri_get_path(uri) : NULL;
	if (!rq.path || !rq.path[0]) rq.path = "/";
	rq.query_str = uri ? evhttp_uri_get_query(uri) : NULL;
	rq.method = map_method(evhttp_request_get_command(ev));
	rq.head = evhttp_request_get_command(ev) == EVHTTP_REQ_HEAD;

	if (!srv->keys) {
		if (!evcon || !tl_api_is_loopback(evhttp_connection_get_addr(evcon))) {
			tl_api_reply_error(&rq, 403, "loopback_only",
					   "this server runs without an API keys file and serves only local clients");
			goto done;
		}
	}
	if (!rq.method) {
		tl_api_reply_error(&rq, 405, "method_not_allowed", "method not supported");
		goto done;
	}
	if (strlen(rq.path) > TL_ROUTER_MAX_PATH) {
		tl_api_reply_error(&rq, 414, "uri_too_long", "the path is longer than %d bytes", TL_ROUTER_MAX_PATH);
		goto done;
	}
	switch (tl_router_match(srv->router, rq.method, rq.path, &rq.match)) {
	case TL_ROUTE_FOUND:
		break;
	case TL_ROUTE_BAD_METHOD:
		allow_header(&rq, rq.match.allowed_methods);
		tl_api_reply_error(&rq, 405, "method_not_allowed", "%.200s does not accept this method", rq.path);
		goto done;
	case TL_ROUTE_BAD_PATH:
		tl_api_reply_error(&rq, 400, "bad_path", "the path has a malformed percent-escape or a NUL byte");
		goto done;
	default:
		tl_api_reply_error(&rq, 404, "not_found", "no route for %.200s", rq.path);
		goto done;
	}
	rq.route = &srv->routes[rq.match.route_id];
	if (authorize(&rq)) goto done;
	if (check_query(&rq)) goto done;
	size_t blen = evbuffer_get_length(evhttp_request_get_input_buffer(ev));
	size_t limit = rq.route->max_body;
	if (blen > limit) {
		tl_api_reply_error_extra(&rq, 413, "body_too_large", json_pack("{s:I}", "max_bytes", (json_int_t)limit),
					 "request body of %zu bytes is over this route's %zu byte limit", blen, limit);
		goto done;
	}
	if (rq.route->flags & TL_ROUTE_POOL) {
		/* A job's reply goes back through its connection's record; a
		 * connection without one (its allocation failed) is refused. */
		struct tl_api_req *job = rq.conn ? make_job(&rq) : NULL;
		if (!job) {
			tl_api_reply_error(&rq, 503, "server_busy", "out of memory");
			goto done;
		}
		w->inflight++; /* the job holds the drain open until delivered */
		atomic_fetch_add_explicit(&srv->inflight_total, 1, memory_order_relaxed);
		if (rq.conn) {
			rq.conn->job = job;
			tl_conn_watch_job(rq.conn, job);
		}
		int wait = tl_pool_submit(srv, job);
		if (wait == 0) goto out; /* answered when the pool is done */
		if (rq.conn) {
			rq.conn->job = NULL;
			if (rq.conn->closed_ev) {
				event_free(rq.conn->closed_ev);
				rq.conn->closed_ev = NULL;
			}
		}
		w->inflight--;
		atomic_fetch_sub_explicit(&srv->inflight_total, 1, memory_order_relaxed);
		int per_key = wait < 0;
		if (wait < 0) wait = -wait;
		tl_api_req_release(job);
		char ra[16];
		snprintf(ra, sizeof ra, "%d", wait);
		tl_api_req_set_header(&rq, "Retry-After", ra);
		if (per_key)
			tl_api_reply_error_extra(&rq, 429, "too_many_expensive", json_pack("{s:i}", "retry_after", wait),
						 "this key already has %d expensive requests running or waiting; retry after %d s",
						 srv->cfg.pool_per_key_pending, wait);
		else
			tl_api_reply_error_extra(&rq, 503, "server_busy", json_pack("{s:i}", "retry_after", wait),
						 "the server's queue of expensive requests is full; retry after %d s", wait);
		goto done;
	}
	tl_api_run_handler(srv, &rq);
	if (!rq.replied) tl_api_reply_error(&rq, 500, "internal", "the handler sent no reply");
done:
	if (!rq.replied) tl_api_reply_error(&rq, 500, "internal", "no reply");
	if (!rq.conn) {
		/* No connection to complete on: counted now. */
		double dt = tl_mono_now() - rq.t0;
		int metric = rq.route ? rq.route->metric : -1;
		tl_metrics_observe(srv->metrics, w->idx, metric, rq.status, (uint64_t)(dt * 1e6));
	}
out:
	tl_api_req_release(&rq);
}

/* ---------------- built-in routes ---------------- */

static void builtin_healthz(struct tl_api_req *req, void *ctx)
{
	struct tl_api_server *srv = ctx;
	json_t *o = json_object();
	int ok = 0;
	if (srv->health_hook) ok = srv->health_hook((struct json_t *)o, srv->health_ctx);
	json_object_set_new(o, "status", json_string(ok == 0 ? "ok" : "unavailable"));
	tl_api_reply_json(req, ok == 0 ? 200 : 503, o);
}

static void builtin_metrics(struct tl_api_req *req, void *ctx)
{
	struct tl_api_server *srv = ctx;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f) {
		tl_api_reply_error(req, 500, "internal", "out of memory");
		return;
	}
	tl_metrics_build_info(f, TL_VERSION, TL_SCHEMA_LABEL);
	tl_metrics_process(f);
	tl_metrics_render(srv->metrics, f);
	tl_metrics_gauge(f, "tl_http_inflight_requests", "Replies being written.",
			 (double)atomic_load_explicit(&srv->inflight_total, memory_order_relaxed));
	tl_metrics_gauge(f, "tl_http_worker_threads", "Worker threads.", srv->nworkers);
	tl_metrics_gauge(f, "tl_uptime_seconds", "Seconds since the server started.", tl_mono_now() - srv->t_start);
	tl_metrics_gauge(f, "tl_api_keys", "API keys loaded.", (double)tl_keyring_count(srv->keys));
	long q = 0, run = 0, rej = 0;
	tl_pool_stats(srv, &q, &run, &rej);
	tl_metrics_gauge(f, "tl_pool_queued", "Expensive requests waiting for the pool.", (double)q);
	tl_metrics_gauge(f, "tl_pool_running", "Expensive requests running on the pool.", (double)run);
	tl_metrics_gauge(f, "tl_pool_threads", "Threads of the expensive-work pool.", (double)srv->cfg.pool_threads);
	tl_metrics_counter(f, "tl_pool_rejected_total", "Expensive requests refused (queue or key share full).",
			   (double)rej);
	tl_metrics_gauge(f, "tl_http_connections", "Connections open.", (double)atomic_load(&srv->nconns));
	tl_metrics_gauge(f, "tl_http_connections_max", "Connection cap.", (double)srv->cfg.max_conns);
	tl_metrics_counter(f, "tl_http_connections_refused_total", "Connections refused at the cap.",
			   (double)atomic_load(&srv->conns_refused));
	tl_metrics_counter(f, "tl_http_early_refusals_total", "Requests refused when their headers arrived.",
			   (double)atomic_load(&srv->early_refusals));
	tl_metrics_counter(f, "tl_http_slow_closes_total", "Connections closed for a request that arrived too slowly.",
			   (double)atomic_load(&srv->deadline_closes));
	tl_metrics_counter(f, "tl_http_accept_pauses_total", "Times accepting paused for lack of descriptors.",
			   (double)atomic_load(&srv->accept_pauses));
	tl_metrics_gauge(f, "tl_http_body_bytes", "Request body bytes held.", (double)atomic_load(&srv->body_bytes));
	tl_metrics_gauge(f, "tl_http_reply_buffer_bytes", "Reply bytes waiting to be written, all connections.",
			 (double)atomic_load(&srv->out_bytes));
	tl_metrics_gauge(f, "tl_http_reply_buffer_max_bytes", "Limit of reply bytes waiting to be written.",
			 (double)srv->cfg.max_out_buffered);
	tl_metrics_counter(f, "tl_http_slow_reader_cutoffs_total",
			   "Connections cut off for not reading their reply while reply buffers were full.",
			   (double)atomic_load(&srv->slow_cutoffs));
	tl_metrics_counter(f, "tl_http_reply_buffer_refusals_total",
			   "Replies answered 503 because the reply buffers were full.", (double)atomic_load(&srv->out_refusals));
	if (srv->metrics_hook) srv->metrics_hook(f, srv->metrics_ctx);
	if (fclose(f)) {
		free(text);
		tl_api_reply_error(req, 500, "internal", "rendering metrics failed");
		return;
	}
	tl_api_reply_raw(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
	free(text);
}

/* ---------------- workers and life cycle ---------------- */

static void on_drain_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct worker *w = arg;
	event_base_loopexit(w->base, NULL);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct worker *w = arg;
	if (w->draining) return;
	w->draining = 1;
	if (w->bound) {
		evhttp_del_accept_socket(w->http, w->bound); /* closes this worker's dup */
		w->bound = NULL;
		w->lev = NULL;
	}
	if (w->inflight <= 0) {
		event_base_loopexit(w->base, NULL);
		return;
	}
	struct timeval tv = { w->srv->cfg.drain_timeout_ms / 1000, (w->srv->cfg.drain_timeout_ms % 1000) * 1000 };
	event_add(w->drain_ev, &tv);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	tl_conns_enter(w);
	event_base_dispatch(w->base);
	w->loop_done = 1; /* read by the joining thread */
	return NULL;
}

static void worker_destroy(struct worker *w)
{
	if (w->http) evhttp_free(w->http); /* closes its connections and listener */
	w->http = NULL;
	tl_conns_worker_destroy(w);
	if (w->stop_ev) event_free(w->stop_ev);
	if (w->drain_ev) event_free(w->drain_ev);
	if (w->base) event_base_free(w->base);
	w->stop_ev = w->drain_ev = NULL;
	w->base = NULL;
}

static int worker_setup(struct tl_api_server *srv, struct worker *w, struct tl_err *err)
{
	w->srv = srv;
	w->reserve_fd = -1;
	pthread_mutex_init(&w->done_lock, NULL);
	w->base = event_base_new();
	if (!w->base) return tl_err_set(err, "event_base_new failed");
	w->http = evhttp_new(w->base);
	w->stop_ev = event_new(w->base, -1, 0, on_stop, w);
	w->drain_ev = evtimer_new(w->base, on_drain_timeout, w);
	if (!w->http || !w->stop_ev || !w->drain_ev) return tl_err_set(err, "out of memory");
	/* The scanner (api/reqscan.h) refuses bodies over their route's limit
	 * when the headers arrive; libevent's own cap is a backstop. */
	size_t hard = 0;
	for (int i = 0; i < srv->nroutes; i++)
		if (srv->routes[i].max_body > hard) hard = srv->routes[i].max_body;
	evhttp_set_max_body_size(w->http, (ev_ssize_t)(hard + 1));
	evhttp_set_max_headers_size(w->http, (ev_ssize_t)srv->cfg.max_headers);
	struct timeval tv = { srv->cfg.io_timeout_ms / 1000, (srv->cfg.io_timeout_ms % 1000) * 1000 };
	evhttp_set_timeout_tv(w->http, &tv);
	evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
						     EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS);
	evhttp_set_flags(w->http, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_gencb(w->http, on_request, w);
	int fd = dup(srv->fd);
	if (fd < 0) return tl_err_set(err, "dup: %s", strerror(errno));
	return tl_conns_worker_setup(w, fd, err);
}

static int build_metrics(struct tl_api_server *srv, struct tl_err *err)
{
	srv->metric_names = calloc((size_t)srv->nroutes + 1, sizeof(char *));
	if (!srv->metric_names) return tl_err_set(err, "out of memory");
	for (int i = 0; i < srv->nroutes; i++) {
		int found = -1;
		for (int k = 0; k < srv->nmetric; k++)
			if (!strcmp(srv->metric_names[k], srv->routes[i].pattern)) found = k;
		if (found < 0) {
			found = srv->nmetric++;
			srv->metric_names[found] = srv->routes[i].pattern;
		}
		srv->routes[i].metric = found;
	}
	srv->metrics = tl_metrics_new(srv->cfg.threads, srv->nmetric, (const char *const *)srv->metric_names);
	if (!srv->metrics) return tl_err_set(err, "out of memory");
	return 0;
}

int tl_api_server_start(struct tl_api_server *srv, struct tl_err *err)
{
	if (srv->started) return tl_err_set(err, "server already started");
	/* A client that disconnects while we write must not kill the process. */
	signal(SIGPIPE, SIG_IGN);
	if (build_metrics(srv, err)) return -1;
	int fd = socket(srv->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) return tl_err_set(err, "socket: %s", strerror(errno));
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&srv->addr, srv->addrlen) || listen(fd, 1024)) {
		int e = errno;
		close(fd);
		return tl_err_set(err, "cannot listen on %s: %s", srv->listen, strerror(e));
	}
	struct sockaddr_storage bound;
	socklen_t bl = sizeof bound;
	getsockname(fd, (struct sockaddr *)&bound, &bl);
	srv->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
						      : ((struct sockaddr_in *)&bound)->sin_port);
	srv->fd = fd;
	srv->nworkers = srv->cfg.threads;
	srv->workers = calloc((size_t)srv->nworkers, sizeof *srv->workers);
	if (!srv->workers) return tl_err_set(err, "out of memory");
	for (int i = 0; i < srv->nworkers; i++) {
		srv->workers[i].idx = i;
		if (worker_setup(srv, &srv->workers[i], err)) goto fail;
	}
	if (tl_pool_start(srv, err)) goto fail;
	srv->t_start = tl_mono_now();
	for (int i = 0; i < srv->nworkers; i++) {
		if (pthread_create(&srv->workers[i].thread, NULL, worker_main, &srv->workers[i])) {
			tl_err_set(err, "cannot start worker thread");
			srv->started = 1;
			tl_api_server_stop(srv);
			tl_api_server_wait(srv);
			return -1;
		}
		srv->workers[i].thread_ok = 1;
	}
	srv->started = 1;
	if (!srv->keys && srv->cfg.log)
		fprintf(srv->cfg.log,
			"taintline: warning: no API keys file given; serving only loopback clients, with full access\n");
	return 0;
fail:
	for (int i = 0; i < srv->nworkers; i++) worker_destroy(&srv->workers[i]);
	return -1;
}

void tl_api_server_stop(struct tl_api_server *srv)
{
	pthread_mutex_lock(&srv->lock);
	if (srv->started && !srv->stopping) {
		srv->stopping = 1;
		for (int i = 0; i < srv->nworkers; i++)
			if (srv->workers[i].stop_ev) event_active(srv->workers[i].stop_ev, 0, 0);
	}
	pthread_mutex_unlock(&srv->lock);
}

void tl_api_server_wait(struct tl_api_server *srv)
{
	if (!srv->started || srv->joined) return;
	for (int i = 0; i < srv->nworkers; i++)
		if (srv->workers[i].thread_ok) pthread_join(srv->workers[i].thread, NULL);
	/* Jobs still running are cancelled; their replies are dropped. */
	tl_pool_stop(srv);
	for (int i = 0; i < srv->nworkers; i++) {
		struct worker *w = &srv->workers[i];
		pthread_mutex_lock(&w->done_lock);
		struct tl_api_req *j = w->done;
		w->done = NULL;
		pthread_mutex_unlock(&w->done_lock);
		while (j) {
			struct tl_api_req *n = j->next;
			if (j->conn) j->conn->job = NULL;
			tl_api_req_release(j);
			j = n;
		}
	}
	for (int i = 0; i < srv->nworkers; i++) worker_destroy(&srv->workers[i]);
	if (srv->fd >= 0) close(srv->fd);
	srv->fd = -1;
	srv->joined = 1;
}

int tl_api_server_run_until_signal(struct tl_api_server *srv, struct tl_err *err)
{
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old); /* workers inherit the mask */
	if (tl_api_server_start(srv, err)) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return -1;
	}
	int sig = 0;
	sigwait(&set, &sig);
	if (srv->cfg.log)
		fprintf(srv->cfg.log, "taintline: %s received, finishing requests in flight\n",
			sig == SIGINT ? "SIGINT" : "SIGTERM");
	tl_api_server_stop(srv);
	tl_api_server_wait(srv);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;
}

void tl_api_server_free(struct tl_api_server *srv)
{
	if (!srv) return;
	if (srv->started) {
		tl_api_server_stop(srv);
		tl_api_server_wait(srv);
	}
	if (srv->fd >= 0) close(srv->fd);
	for (int i = 0; i < srv->nroutes; i++) free(srv->routes[i].pattern);
	free(srv->routes);
	free(srv->metric_names);
	tl_metrics_free(srv->metrics);
	tl_router_free(srv->router);
	tl_keyring_free(srv->keys);
	tl_pool_free(srv);
	free(srv->listen);
	if (srv->workers)
		for (int i = 0; i < srv->nworkers; i++) pthread_mutex_destroy(&srv->workers[i].done_lock);
	free(srv->workers);
	srv->workers = NULL;
	pthread_mutex_destroy(&srv->log_lock);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}
