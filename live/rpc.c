/* JSON-RPC client for Bitcoin Core (live/rpc.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/evp.h>

#include "live/rpc.h"

struct tl_rpc {
	struct tl_rpc_opts o;
	char host[256];
	char path[512];
	uint16_t port;
	char *auth;                 /* "Basic <base64>" or NULL before the first read */
	struct event_base *base;
	struct evhttp_connection *conn;
	uint64_t next_id;
	struct tl_rpc_stats st;
};

int tl_rpc_parse_url(const char *url, char *host, size_t hcap, uint16_t *port, char *path, size_t pcap,
		     struct tl_err *err)
{
	const char *p = url;
	if (strncmp(p, "http://", 7) != 0)
		return tl_err_set(err, "RPC URL '%s': expected http://HOST:PORT (Core's RPC speaks plain HTTP)", url);
	p += 7;
	size_t hl = strcspn(p, ":/");
	if (hl == 0 || hl >= hcap) return tl_err_set(err, "RPC URL '%s': missing or too long host", url);
	for (size_t i = 0; i < hl; i++) {
		char c = p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '-'))
			return tl_err_set(err, "RPC URL '%s': bad character in the host", url);
	}
	memcpy(host, p, hl);
	host[hl] = 0;
	p += hl;
	*port = 8332;
	if (*p == ':') {
		p++;
		unsigned long v = 0;
		size_t n = 0;
		while (p[n] >= '0' && p[n] <= '9' && n < 6) v = v * 10 + (unsigned long)(p[n++] - '0');
		if (n == 0 || n > 5 || v == 0 || v > 65535 || (p[n] && p[n] != '/'))
			return tl_err_set(err, "RPC URL '%s': bad port", url);
		*port = (uint16_t)v;
		p += n;
	}
	if (!*p) p = "/";
	size_t pl = strlen(p);
	if (pl >= pcap) return tl_err_set(err, "RPC URL '%s': path too long", url);
	for (size_t i = 0; i < pl; i++)
		if ((unsigned char)p[i] <= ' ' || p[i] == 0x7f)
			return tl_err_set(err, "RPC URL '%s': bad character in the path", url);
	memcpy(path, p, pl + 1);
	return 0;
}

static char *basic_auth(const char *userpass, size_t n)
{
	size_t cap = 6 + 4 * ((n + 2) / 3) + 1;
	char *s = malloc(cap);
	if (!s) return NULL;
	memcpy(s, "Basic ", 6);
	EVP_EncodeBlock((unsigned char *)s + 6, (const unsigned char *)userpass, (int)n);
	return s;
}

/* (Re)reads the credentials: the cookie file's first line, or user:password. */
static int load_auth(struct tl_rpc *r, struct tl_err *err)
{
	char buf[1024];
	size_t n;
	if (r->o.cookie_file) {
		FILE *f = fopen(r->o.cookie_file, "rb");
		if (!f) return tl_err_set(err, "cannot read the RPC cookie %s: %s", r->o.cookie_file, strerror(errno));
		n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = 0;
		n = strcspn(buf, "\r\n");
		buf[n] = 0;
		if (n == 0 || !strchr(buf, ':'))
			return tl_err_set(err, "%s: not a cookie file (expected user:password on one line)",
					  r->o.cookie_file);
	} else {
		int k = snprintf(buf, sizeof buf, "%s:%s", r->o.user, r->o.password);
		if (k < 0 || (size_t)k >= sizeof buf) return tl_err_set(err, "RPC user and password too long");
		n = (size_t)k;
	}
	char *a = basic_auth(buf, n);
	if (!a) return tl_err_set(err, "out of memory");
	free(r->auth);
	r->auth = a;
	return 0;
}

int tl_rpc_open(const struct tl_rpc_opts *o, struct tl_rpc **out, struct tl_err *err)
{
	*out = NULL;
	if (!o->url) return tl_err_set(err, "no RPC URL given");
	if (!o->cookie_file && !(o->user && o->password))
		return tl_err_set(err, "RPC credentials needed: a cookie file, or a user and a password");
	if (o->cookie_file && (o->user || o->password))
		return tl_err_set(err, "give either an RPC cookie file or a user and password, not both");
	struct tl_rpc *r = calloc(1, sizeof *r);
	if (!r) return tl_err_set(err, "out of memory");
	r->o = *o;
	if (!r->o.timeout_ms) r->o.timeout_ms = 60000;
	if (!r->o.backoff_ms) r->o.backoff_ms = 250;
	if (!r->o.max_backoff_ms) r->o.max_backoff_ms = 30000;
	if (tl_rpc_parse_url(o->url, r->host, sizeof r->host, &r->port, r->path, sizeof r->path, err) < 0 ||
	    (!o->cookie_file && load_auth(r, err) < 0)) {
		free(r);
		return -1;
	}
	r->base = event_base_new();
	if (!r->base) {
		free(r->auth);
		free(r);
		return tl_err_set(err, "cannot create an event base");
	}
	*out = r;
	return 0;
}

void tl_rpc_close(struct tl_rpc *r)
{
	if (!r) return;
	if (r->conn) evhttp_connection_free(r->conn);
	if (r->base) event_base_free(r->base);
	free(r->auth);
	free(r);
}

void tl_rpc_stats(const struct tl_rpc *r, struct tl_rpc_stats *out)
{
	*out = r->st;
}

/* One HTTP exchange. */
struct xfer {
	struct event_base *base;
	int done;
	int status;                 /* 0: transport failure */
	enum evhttp_request_error error;
	int have_error;
	char *body;
	size_t blen;
};

static void on_reply(struct evhttp_request *req, void *arg)
{
	struct xfer *x = arg;
	x->done = 1;
	if (req) {
		x->status = evhttp_request_get_response_code(req);
		struct evbuffer *in = evhttp_request_get_input_buffer(req);
		size_t n = evbuffer_get_length(in);
		x->body = malloc(n + 1);
		if (x->body) {
			evbuffer_remove(in, x->body, n);
			x->body[n] = 0;
			x->blen = n;
		}
	}
	event_base_loopbreak(x->base);
}

static void on_error(enum evhttp_request_error e, void *arg)
{
	struct xfer *x = arg;
	x->error = e;
	x->have_error = 1;
}

static const char *error_text(const struct xfer *x)
{
	if (!x->have_error) return "connection failed";
	switch (x->error) {
	case EVREQ_HTTP_TIMEOUT: return "timed out";
	case EVREQ_HTTP_EOF: return "connection closed before the reply";
	case EVREQ_HTTP_INVALID_HEADER: return "bad reply header";
	case EVREQ_HTTP_BUFFER_ERROR: return "connection refused or reset";
	case EVREQ_HTTP_REQUEST_CANCEL: return "request cancelled";
	case EVREQ_HTTP_DATA_TOO_LONG: return "reply too long";
	}
	return "connection failed";
}

/* Sends body; fills x. Returns 0 when an HTTP reply came, -1 otherwise
 * (message in err; the connection is dropped so the next try reconnects). */
static int exchange(struct tl_rpc *r, const char *body, size_t blen, struct xfer *x, struct tl_err *err)
{
	memset(x, 0, sizeof *x);
	x->base = r->base;
	if (!r->conn) {
		r->conn = evhttp_connection_base_new(r->base, NULL, r->host, r->port);
		if (!r->conn) return tl_err_set(err, "cannot create a connection to %s:%u", r->host, r->port);
		struct timeval tv = { r->o.timeout_ms / 1000, (r->o.timeout_ms % 1000) * 1000 };
		evhttp_connection_set_timeout_tv(r->conn, &tv);
		evhttp_connection_set_retries(r->conn, 0);
	}
	struct evhttp_request *req = evhttp_request_new(on_reply, x);
	if (!req) return tl_err_set(err, "out of memory");
	evhttp_request_set_error_cb(req, on_error);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	char hostport[300];
	snprintf(hostport, sizeof hostport, "%s:%u", r->host, r->port);
	evhttp_add_header(h, "Host", hostport);
	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_add_header(h, "Authorization", r->auth);
	evbuffer_add(evhttp_request_get_output_buffer(req), body, blen);
	if (evhttp_make_request(r->conn, req, EVHTTP_REQ_POST, r->path) != 0) {
		evhttp_connection_free(r->conn);
		r->conn = NULL;
		return tl_err_set(err, "cannot send a request to %s:%u", r->host, r->port);
	}
	while (!x->done)
		if (event_base_dispatch(r->base) < 0) break;
	if (!x->done || x->status == 0) {
		free(x->body);
		x->body = NULL;
		evhttp_connection_free(r->conn);
		r->conn = NULL;
		return tl_err_set(err, "node at %s:%u: %s", r->host, r->port, error_text(x));
	}
	return 0;
}

static void sleep_ms(struct tl_rpc *r, int ms)
{
	while (ms > 0 && !(r->o.stop && *r->o.stop)) {
		int step = ms < 50 ? ms : 50;
		struct timespec ts = { 0, (long)step * 1000000L };
		nanosleep(&ts, NULL);
		ms -= step;
	}
}

enum outcome { DONE, FATAL, RETRY };

/* Interprets one reply. */
static enum outcome interpret(struct tl_rpc *r, const char *method, struct xfer *x, json_t **result, int *code,
			      struct tl_err *err)
{
	if (x->status == 401 || x->status == 403) {
		/* A restarted node writes a new cookie: read it again. */
		if (r->o.cookie_file) {
			tl_err_set(err, "node at %s:%u refused the credentials of %s (HTTP %d)", r->host, r->port,
				   r->o.cookie_file, x->status);
			free(r->auth);
			r->auth = NULL;
			return RETRY;
		}
		tl_err_set(err, "node at %s:%u refused the RPC user and password (HTTP %d)", r->host, r->port,
			   x->status);
		return FATAL;
	}
	json_error_t je;
	json_t *doc = x->body && x->blen ? json_loadb(x->body, x->blen, 0, &je) : NULL;
	if (!json_is_object(doc)) {
		json_decref(doc);
		tl_err_set(err, "node at %s:%u: HTTP %d without a JSON-RPC reply to %s", r->host, r->port, x->status,
			   method);
		/* 5xx: the node is busy (work queue full) or shutting down. */
		return x->status >= 500 || x->status == 200 ? RETRY : FATAL;
	}
	json_t *e = json_object_get(doc, "error");
	if (e && !json_is_null(e)) {
		json_int_t c = json_integer_value(json_object_get(e, "code"));
		const char *m = json_string_value(json_object_get(e, "message"));
		tl_err_set(err, "node: %s failed: %s (code %lld)", method, m ? m : "no message", (long long)c);
		json_decref(doc);
		if (c == TL_RPC_IN_WARMUP) return RETRY;
		if (code) *code = (int)c;
		return FATAL;
	}
	json_t *res = json_object_get(doc, "result");
	if (!res) {
		json_decref(doc);
		tl_err_set(err, "node: %s: reply without a result", method);
		return RETRY;
	}
	*result = json_incref(res);
	json_decref(doc);
	return DONE;
}

int tl_rpc_call(struct tl_rpc *r, const char *method, json_t *params, json_t **result, int *rpc_code,
		struct tl_err *err)
{
	*result = NULL;
	if (rpc_code) *rpc_code = 0;
	json_t *req = json_object();
	json_object_set_new(req, "jsonrpc", json_string("1.0"));
	json_object_set_new(req, "id", json_integer((json_int_t)++r->next_id));
	json_object_set_new(req, "method", json_string(method));
	json_object_set_new(req, "params", params ? params : json_array());
	char *body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!body) return tl_err_set(err, "out of memory");
	r->st.calls++;
	int delay = r->o.backoff_ms, warned = 0, rc = -1;
	for (int attempt = 1;; attempt++) {
		struct xfer x;
		enum outcome oc = RETRY;
		if (!r->auth && load_auth(r, err) < 0)
			oc = RETRY; /* the node may not have written its cookie yet */
		else if (exchange(r, body, strlen(body), &x, err) == 0) {
			oc = interpret(r, method, &x, result, rpc_code, err);
			free(x.body);
		}
		if (oc == DONE) {
			rc = 0;
			break;
		}
		if (oc == FATAL) break;
		if ((r->o.max_attempts && attempt >= r->o.max_attempts) || (r->o.stop && *r->o.stop)) {
			if (err) {
				size_t l = strlen(err->msg);
				snprintf(err->msg + l, sizeof err->msg - l, " (after %d attempts)", attempt);
			}
			break;
		}
		r->st.retries++;
		if (r->o.warn && !warned) {
			char msg[600];
			snprintf(msg, sizeof msg, "%s; retrying with backoff", err->msg);
			r->o.warn(r->o.ctx, msg);
			warned = 1;
		}
		sleep_ms(r, delay);
		delay = delay > r->o.max_backoff_ms / 2 ? r->o.max_backoff_ms : delay * 2;
	}
	if (rc < 0) r->st.failures++;
	free(body);
	return rc;
}
