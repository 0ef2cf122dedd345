#include "api/server.h"

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
#include <sys/socket.h>
#include <unistd.h>

#include "api/http_json.h"
#include "api/metrics.h"
#include "api/router.h"
#include "api/server_int.h"

struct route_entry {
	char *pattern;
	unsigned methods;
	enum tl_api_role role;
	tl_api_handler handler;
	void *ctx;
	int metric; /* metrics slot: one per distinct pattern */
};

struct worker {
	struct tl_api_server *srv;
	int idx;
	pthread_t thread;
	int thread_ok;
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	struct event *stop_ev;
	struct event *drain_ev;
	int draining;
	int loop_done; /* event loop returned: no loopexit from evhttp_free */
	long inflight; /* replies started and not yet fully written */
};

struct tl_api_server {
	struct tl_api_config cfg;
	char *listen;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct tl_keyring *keys;
	struct tl_router *router;
	struct route_entry *routes;
	int nroutes, routes_cap;
	char **metric_names;
	int nmetric;
	struct tl_metrics *metrics;
	int fd;
	uint16_t port;
	struct worker *workers;
	int nworkers;
	pthread_mutex_t lock;
	int started, stopping, joined;
	double t_start;
	_Atomic long inflight_total;
	tl_api_metrics_hook metrics_hook;
	void *metrics_ctx;
	tl_api_health_hook health_hook;
	void *health_ctx;
};

struct tl_api_req {
	struct evhttp_request *ev;
	struct worker *w;
	struct tl_api_server *srv;
	const struct route_entry *route;
	enum tl_api_method method;
	const char *path;
	const char *query_str;
	struct evkeyvalq query;
	int query_parsed;
	const char *body;
	size_t body_len;
	int body_done;
	json_t *json;
	enum tl_api_role role;
	const char *key_name;
	double t0;
	int replied;
	int status;
	struct tl_route_match match; /* last: its buffer is not zeroed per request */
};

/* ---------------- configuration ---------------- */

void tl_api_config_default(struct tl_api_config *c)
{
	memset(c, 0, sizeof *c);
	c->listen = "127.0.0.1:8080";
	c->threads = 2;
	c->keys_file = NULL;
	c->max_body = 1u << 20;
	c->max_headers = 16u << 10;
	c->io_timeout_ms = 10000;
	c->drain_timeout_ms = 10000;
	c->handler_time_ms = 10000;
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
static void init_evthread(void)
{
	evthread_use_pthreads();
}

static void builtin_healthz(struct tl_api_req *req, void *ctx);
static void on_conn_close(struct evhttp_connection *con, void *arg);
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
	if (c->io_timeout_ms <= 0 || c->drain_timeout_ms < 0 || c->handler_time_ms <= 0) {
		tl_err_set(err, "timeouts must be positive");
		goto fail;
	}
	if (parse_listen(srv->listen, &srv->addr, &srv->addrlen, err)) goto fail;
	if (c->keys_file && tl_keyring_load(c->keys_file, &srv->keys, err)) goto fail;
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
	e->metric = -1;
	srv->nroutes++;
	return 0;
}

void tl_api_set_metrics_hook(struct tl_api_server *srv, tl_api_metrics_hook fn, void *ctx)
{
	srv->metrics_hook = fn;
	srv->metrics_ctx = ctx;
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
	return evhttp_find_header(evhttp_request_get_input_headers(req->ev), name);
}
const char *tl_api_req_body(struct tl_api_req *req, size_t *len)
{
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
const char *tl_api_req_key_name(const struct tl_api_req *req)
{
	return req->key_name ? req->key_name : "";
}
long tl_api_req_time_left_ms(const struct tl_api_req *req)
{
	return (long)req->srv->cfg.handler_time_ms - (long)((tl_mono_now() - req->t0) * 1000.0);
}
const char *tl_api_req_route(const struct tl_api_req *req)
{
	return req->route ? req->route->pattern : "";
}
void tl_api_req_set_header(struct tl_api_req *req, const char *name, const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(req->ev), name, value);
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

int tl_api_reply_raw(struct tl_api_req *req, int status, const char *content_type, const void *bytes,
		     size_t len)
{
	if (req->replied) return -1;
	req->replied = 1;
	if (status < 100 || status > 599) status = 500;
	req->status = status;
	struct evkeyvalq *h = evhttp_request_get_output_headers(req->ev);
	if (content_type) evhttp_add_header(h, "Content-Type", content_type);
	if (req->w->draining) evhttp_add_header(h, "Connection", "close");
	struct evbuffer *out = evhttp_request_get_output_buffer(req->ev);
	if (len) evbuffer_add(out, bytes, len);
	/* Without a connection libevent frees the request at once and calls
	 * no callback, so there is nothing to count. */
	struct evhttp_connection *con = evhttp_request_get_connection(req->ev);
	if (con) {
		req->w->inflight++;
		atomic_fetch_add_explicit(&req->srv->inflight_total, 1, memory_order_relaxed);
		/* libevent 2.1 frees a request whose connection fails mid-write
		 * without calling its completion callback; the connection's close
		 * callback is then the only notice. A server connection writes one
		 * reply at a time, and on_complete removes this callback, so each
		 * reply is counted out exactly once by one of the two. */
		evhttp_connection_set_closecb(con, on_conn_close, req->w);
	}
	evhttp_send_reply(req->ev, status, tl_http_reason(status), NULL);
	return 0;
}

/* ---------------- dispatch ---------------- */

static int is_loopback(const struct sockaddr *sa)
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
static void reply_done(struct worker *w)
{
	w->inflight--;
	atomic_fetch_sub_explicit(&w->srv->inflight_total, 1, memory_order_relaxed);
	if (w->draining && w->inflight <= 0 && !w->loop_done) event_base_loopexit(w->base, NULL);
}

static void on_complete(struct evhttp_request *ev, void *arg)
{
	/* Called before libevent frees the request and, for "Connection:
	 * close", the connection: the close callback must not count it again. */
	struct evhttp_connection *con = evhttp_request_get_connection(ev);
	if (con) evhttp_connection_set_closecb(con, NULL, NULL);
	reply_done(arg);
}

/* Set only while a reply is being written (see tl_api_reply_raw). Also
 * runs from evhttp_free for replies cut off by the drain timeout. */
static void on_conn_close(struct evhttp_connection *con, void *arg)
{
	(void)con;
	reply_done(arg);
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
	evhttp_request_set_on_complete_cb(ev, on_complete, w);

	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ev);
	rq.path = uri ? evhttp_uri_get_path(uri) : NULL;
	if (!rq.path || !rq.path[0]) rq.path = "/";
	rq.query_str = uri ? evhttp_uri_get_query(uri) : NULL;
	rq.method = map_method(evhttp_request_get_command(ev));

	if (!srv->keys) {
		struct evhttp_connection *con = evhttp_request_get_connection(ev);
		if (!con || !is_loopback(evhttp_connection_get_addr(con))) {
			tl_api_reply_error(&rq, 403, "loopback_only",
					   "this server runs without an API keys file and serves only local clients");
			goto done;
		}
	}
	if (!rq.method) {
		tl_api_reply_error(&rq, 405, "method_not_allowed", "method not supported");
		goto done;
	}
	switch (tl_router_match(srv->router, rq.method, rq.path, &rq.match)) {
	case TL_ROUTE_FOUND:
		break;
	case TL_ROUTE_BAD_METHOD:
		allow_header(&rq, rq.match.allowed_methods);
		tl_api_reply_error(&rq, 405, "method_not_allowed", "%s does not accept this method", rq.path);
		goto done;
	case TL_ROUTE_BAD_PATH:
		tl_api_reply_error(&rq, 400, "bad_path", "the path has a malformed percent-escape");
		goto done;
	default:
		tl_api_reply_error(&rq, 404, "not_found", "no route for %.200s", rq.path);
		goto done;
	}
	rq.route = &srv->routes[rq.match.route_id];
	if (authorize(&rq)) goto done;
	size_t blen = evbuffer_get_length(evhttp_request_get_input_buffer(ev));
	if (blen > srv->cfg.max_body) {
		tl_api_reply_error_extra(&rq, 413, "body_too_large", json_pack("{s:I}", "max_bytes", (json_int_t)srv->cfg.max_body),
					 "request body of %zu bytes is over the %zu byte limit", blen,
					 srv->cfg.max_body);
		goto done;
	}
	rq.route->handler(&rq, rq.route->ctx);
	if (!rq.replied) tl_api_reply_error(&rq, 500, "internal", "the handler sent no reply");
done:
	if (!rq.replied) tl_api_reply_error(&rq, 500, "internal", "no reply");
	{
		double dt = tl_mono_now() - rq.t0;
		int metric = rq.route ? rq.route->metric : -1;
		tl_metrics_observe(srv->metrics, w->idx, metric, rq.status, (uint64_t)(dt * 1e6));
	}
	if (rq.json) json_decref(rq.json);
	if (rq.query_parsed) evhttp_clear_headers(&rq.query);
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
	tl_metrics_render(srv->metrics, f);
	tl_metrics_gauge(f, "tl_http_inflight_requests", "Replies being written.",
			 (double)atomic_load_explicit(&srv->inflight_total, memory_order_relaxed));
	tl_metrics_gauge(f, "tl_http_worker_threads", "Worker threads.", srv->nworkers);
	tl_metrics_gauge(f, "tl_uptime_seconds", "Seconds since the server started.", tl_mono_now() - srv->t_start);
	tl_metrics_gauge(f, "tl_api_keys", "API keys loaded.", (double)tl_keyring_count(srv->keys));
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
	event_base_dispatch(w->base);
	w->loop_done = 1; /* read by the joining thread */
	return NULL;
}

static void worker_destroy(struct worker *w)
{
	if (w->http) evhttp_free(w->http); /* closes its connections and listener */
	if (w->stop_ev) event_free(w->stop_ev);
	if (w->drain_ev) event_free(w->drain_ev);
	if (w->base) event_base_free(w->base);
	w->http = NULL;
	w->stop_ev = w->drain_ev = NULL;
	w->base = NULL;
}

static int worker_setup(struct tl_api_server *srv, struct worker *w, struct tl_err *err)
{
	w->srv = srv;
	w->base = event_base_new();
	if (!w->base) return tl_err_set(err, "event_base_new failed");
	w->http = evhttp_new(w->base);
	w->stop_ev = event_new(w->base, -1, 0, on_stop, w);
	w->drain_ev = evtimer_new(w->base, on_drain_timeout, w);
	if (!w->http || !w->stop_ev || !w->drain_ev) return tl_err_set(err, "out of memory");
	/* Bodies up to 4x the limit are read so that the handler path can
	 * answer them with a JSON 413; past that libevent stops reading. */
	size_t hard = srv->cfg.max_body > ((size_t)1 << 28) ? ((size_t)1 << 30) : srv->cfg.max_body * 4;
	evhttp_set_max_body_size(w->http, (ev_ssize_t)hard);
	evhttp_set_max_headers_size(w->http, (ev_ssize_t)srv->cfg.max_headers);
	struct timeval tv = { srv->cfg.io_timeout_ms / 1000, (srv->cfg.io_timeout_ms % 1000) * 1000 };
	evhttp_set_timeout_tv(w->http, &tv);
	evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
						     EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS);
	evhttp_set_flags(w->http, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_gencb(w->http, on_request, w);
	int fd = dup(srv->fd);
	if (fd < 0) return tl_err_set(err, "dup: %s", strerror(errno));
	w->bound = evhttp_accept_socket_with_handle(w->http, fd);
	if (!w->bound) {
		close(fd);
		return tl_err_set(err, "evhttp_accept_socket failed");
	}
	return 0;
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
	free(srv->workers);
	tl_metrics_free(srv->metrics);
	tl_router_free(srv->router);
	tl_keyring_free(srv->keys);
	free(srv->listen);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}
