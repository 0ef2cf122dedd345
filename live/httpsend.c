/* Concurrent HTTP(S) POSTs (live/httpsend.h). */
#include "live/httpsend.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

struct one {
	struct tl_post *p;
	struct evhttp_connection *conn;
	struct bufferevent *bev;
	size_t *left;
	struct event_base *base;
	int done;
};

static void finish(struct one *o)
{
	if (o->done) return;
	o->done = 1;
	if (--*o->left == 0) event_base_loopbreak(o->base);
}

/* Why a request without an answer failed: TLS errors are the useful part
 * (an untrusted certificate, a name mismatch). */
static void failure(struct one *o, const char *what)
{
	SSL *ssl = o->bev ? bufferevent_openssl_get_ssl(o->bev) : NULL;
	long vr = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
	unsigned long e = o->bev ? bufferevent_get_openssl_error(o->bev) : 0;
	if (vr != X509_V_OK) {
		snprintf(o->p->msg, sizeof o->p->msg, "TLS: certificate refused: %s", X509_verify_cert_error_string(vr));
	} else if (e && ERR_GET_LIB(e)) {
		char buf[200];
		ERR_error_string_n(e, buf, sizeof buf);
		snprintf(o->p->msg, sizeof o->p->msg, "TLS: %s", buf);
	} else if (!o->p->msg[0]) {
		snprintf(o->p->msg, sizeof o->p->msg, "%s%s", o->bev ? "TLS handshake or " : "", what);
	}
	o->p->status = -1;
}

static void on_error(enum evhttp_request_error e, void *arg)
{
	struct one *o = arg;
	const char *what = e == EVREQ_HTTP_TIMEOUT ? "timed out"
			   : e == EVREQ_HTTP_EOF   ? "connection closed before an answer"
			   : e == EVREQ_HTTP_INVALID_HEADER ? "an invalid answer"
			   : "connection refused or failed";
	failure(o, what);
}

static void on_done(struct evhttp_request *req, void *arg)
{
	struct one *o = arg;
	int code = req ? evhttp_request_get_response_code(req) : 0;
	if (code > 0) o->p->status = code;
	else failure(o, "no answer");
	finish(o);
}

/* Starts one request. Returns 0, or -1 with p->msg set. */
static int start(struct one *o, SSL_CTX *ctx, int timeout_ms)
{
	struct tl_post *p = o->p;
	struct evhttp_uri *u = evhttp_uri_parse(p->url);
	const char *scheme = u ? evhttp_uri_get_scheme(u) : NULL;
	const char *host = u ? evhttp_uri_get_host(u) : NULL;
	int rc = -1;
	if (!scheme || !host || !*host) {
		snprintf(p->msg, sizeof p->msg, "not a URL");
		goto out;
	}
	int tls = !strcmp(scheme, "https");
	if (!tls && strcmp(scheme, "http")) {
		snprintf(p->msg, sizeof p->msg, "not an http:// or https:// URL");
		goto out;
	}
	int port = evhttp_uri_get_port(u);
	if (port <= 0) port = tls ? 443 : 80;
	if (tls) {
		if (!ctx) {
			snprintf(p->msg, sizeof p->msg, "no TLS context");
			goto out;
		}
		SSL *ssl = SSL_new(ctx);
		if (!ssl) {
			snprintf(p->msg, sizeof p->msg, "TLS: out of memory");
			goto out;
		}
		X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
		unsigned char ip[16];
		int is_ip = inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1;
		/* the certificate must name what the URL names */
		int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, host)
			       : (SSL_set_tlsext_host_name(ssl, host) && X509_VERIFY_PARAM_set1_host(vp, host, 0));
		if (!ok) {
			SSL_free(ssl);
			snprintf(p->msg, sizeof p->msg, "TLS: cannot check the host %.100s", host);
			goto out;
		}
		SSL_set_verify(ssl, SSL_VERIFY_PEER, NULL);
		o->bev = bufferevent_openssl_socket_new(o->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
							BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
		if (!o->bev) {
			SSL_free(ssl);
			snprintf(p->msg, sizeof p->msg, "TLS: cannot make a connection");
			goto out;
		}
		bufferevent_openssl_set_allow_dirty_shutdown(o->bev, 1);
	}
	o->conn = evhttp_connection_base_bufferevent_new(o->base, NULL, o->bev, host, (unsigned short)port);
	if (!o->conn) {
		snprintf(p->msg, sizeof p->msg, "cannot make a connection");
		goto out;
	}
	evhttp_connection_set_timeout(o->conn, (timeout_ms + 999) / 1000);
	evhttp_connection_set_retries(o->conn, 0);
	struct evhttp_request *req = evhttp_request_new(on_done, o);
	if (!req) {
		snprintf(p->msg, sizeof p->msg, "out of memory");
		goto out;
	}
	evhttp_request_set_error_cb(req, on_error);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	char hostport[300];
	snprintf(hostport, sizeof hostport, "%s:%d", host, port);
	evhttp_add_header(h, "Host", hostport);
	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_add_header(h, "Connection", "close");
	for (size_t i = 0; i < p->nheaders && i < TL_POST_MAX_HEADERS; i++) evhttp_add_header(h, p->hname[i], p->hvalue[i]);
	evbuffer_add(evhttp_request_get_output_buffer(req), p->body, strlen(p->body));
	const char *path = evhttp_uri_get_path(u), *query = evhttp_uri_get_query(u);
	char target[2048];
	snprintf(target, sizeof target, "%s%s%s", path && *path ? path : "/", query ? "?" : "", query ? query : "");
	if (evhttp_make_request(o->conn, req, EVHTTP_REQ_POST, target) < 0) {
		snprintf(p->msg, sizeof p->msg, "cannot send the request");
		goto out; /* libevent freed req */
	}
	rc = 0;
out:
	if (u) evhttp_uri_free(u);
	return rc;
}

int tl_post_all(struct tl_post *p, size_t n, const struct tl_post_opts *opts, struct tl_err *err)
{
	int timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : 5000;
	for (size_t i = 0; i < n; i++) {
		p[i].status = -1;
		p[i].msg[0] = 0;
	}
	if (n == 0) return 0;
	SSL_CTX *ctx = NULL;
	int any_tls = 0;
	for (size_t i = 0; i < n; i++) any_tls |= p[i].url && !strncmp(p[i].url, "https:", 6);
	if (any_tls) {
		ctx = SSL_CTX_new(TLS_client_method());
		if (!ctx) return tl_err_set(err, "TLS: cannot make a context");
		SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
		if (SSL_CTX_set_default_verify_paths(ctx) != 1 ||
		    (opts && opts->ca_file && SSL_CTX_load_verify_locations(ctx, opts->ca_file, NULL) != 1)) {
			SSL_CTX_free(ctx);
			return tl_err_set(err, "TLS: cannot load the trusted certificates%s%s",
					  opts && opts->ca_file ? " of " : "", opts && opts->ca_file ? opts->ca_file : "");
		}
	}
	struct event_base *base = event_base_new();
	struct one *ones = calloc(n, sizeof *ones);
	if (!base || !ones) {
		if (base) event_base_free(base);
		free(ones);
		SSL_CTX_free(ctx);
		return tl_err_set(err, "out of memory");
	}
	size_t left = n;
	for (size_t i = 0; i < n; i++) {
		ones[i] = (struct one){ .p = &p[i], .left = &left, .base = base };
		if (start(&ones[i], ctx, timeout_ms) < 0) {
			p[i].status = -1;
			ones[i].done = 1;
			left--;
		}
	}
	/* The connections' own timeouts end every request; the loop ends
	 * when the last one has. */
	if (left) event_base_dispatch(base);
	for (size_t i = 0; i < n; i++) {
		if (!ones[i].done && !p[i].msg[0]) snprintf(p[i].msg, sizeof p[i].msg, "no answer");
		if (ones[i].conn) evhttp_connection_free(ones[i].conn); /* frees its bufferevent */
		else if (ones[i].bev) bufferevent_free(ones[i].bev);
	}
	free(ones);
	event_base_free(base);
	SSL_CTX_free(ctx);
	return 0;
}
