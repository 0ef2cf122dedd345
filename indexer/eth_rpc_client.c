/* JSON-RPC over evhttp (eth_rpc_client.h). Each exchange runs the
 * client's own event base until the answer or the timeout: the indexer
 * is sequential, so a blocking call keeps it simple. */
#include "indexer/eth_rpc_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "ethereum/jsonnum.h"

/* Largest answer accepted: a batch of full blocks with receipts and
 * traces stays far below; a body beyond it is refused, not buffered. */
#define MAX_BODY ((size_t)512 << 20)

struct tl_eth_rpc_client {
	struct event_base *base;
	struct evhttp_connection *conn;
	char host[256], path[1024], hosthdr[300];
	int port;
	double timeout;
};

struct tl_eth_rpc_client *tl_eth_rpc_client_new(const char *url, double timeout, struct tl_err *err)
{
	struct evhttp_uri *u = evhttp_uri_parse(url);
	if (!u) {
		tl_err_set(err, "'%s' is not a URL (http://host:port)", url);
		return NULL;
	}
	const char *scheme = evhttp_uri_get_scheme(u), *host = evhttp_uri_get_host(u), *path = evhttp_uri_get_path(u),
		   *query = evhttp_uri_get_query(u);
	struct tl_eth_rpc_client *c = NULL;
	if (!scheme || strcasecmp(scheme, "http")) {
		tl_err_set(err, "%s: only http:// is supported (for https, put a local proxy in front of the node)", url);
		goto out;
	}
	if (!host || !*host || strlen(host) >= sizeof c->host) {
		tl_err_set(err, "%s: no host", url);
		goto out;
	}
	c = calloc(1, sizeof *c);
	if (!c) abort();
	snprintf(c->host, sizeof c->host, "%s", host);
	c->port = evhttp_uri_get_port(u) > 0 ? evhttp_uri_get_port(u) : 80;
	if (snprintf(c->path, sizeof c->path, "%s%s%s", path && *path ? path : "/", query ? "?" : "", query ? query : "") >=
	    (int)sizeof c->path) {
		tl_err_set(err, "%s: path too long", url);
		free(c);
		c = NULL;
		goto out;
	}
	snprintf(c->hosthdr, sizeof c->hosthdr, "%s:%d", c->host, c->port);
	c->timeout = timeout > 0 ? timeout : 30;
	c->base = event_base_new();
	if (!c->base) abort();
out:
	evhttp_uri_free(u);
	return c;
}

void tl_eth_rpc_client_free(struct tl_eth_rpc_client *c)
{
	if (!c) return;
	if (c->conn) evhttp_connection_free(c->conn);
	event_base_free(c->base);
	free(c);
}

struct exchange {
	struct tl_eth_rpc_client *c;
	int done, status;
	enum evhttp_request_error why;
	int failed;
	char *body;
	size_t len;
};

static void on_error(enum evhttp_request_error e, void *arg)
{
	struct exchange *x = arg;
	x->failed = 1;
	x->why = e;
}

static void on_done(struct evhttp_request *req, void *arg)
{
	struct exchange *x = arg;
	x->done = 1;
	if (req && !x->failed) {
		x->status = evhttp_request_get_response_code(req);
		struct evbuffer *in = evhttp_request_get_input_buffer(req);
		x->len = evbuffer_get_length(in);
		x->body = malloc(x->len + 1);
		if (!x->body) abort();
		evbuffer_remove(in, x->body, x->len);
		x->body[x->len] = 0;
	} else
		x->failed = 1;
	event_base_loopbreak(x->c->base);
}

static const char *why_text(enum evhttp_request_error e)
{
	switch (e) {
	case EVREQ_HTTP_TIMEOUT: return "timed out";
	case EVREQ_HTTP_EOF: return "connection closed before the answer";
	case EVREQ_HTTP_INVALID_HEADER: return "malformed HTTP answer";
	case EVREQ_HTTP_BUFFER_ERROR: return "connection error";
	case EVREQ_HTTP_DATA_TOO_LONG: return "answer too large";
	default: return "request failed";
	}
}

/* POSTs body; returns the answer's body (malloc'd) or NULL with err. */
static char *post(struct tl_eth_rpc_client *c, const char *body, size_t blen, size_t *len, struct tl_err *err)
{
	if (!c->conn) {
		c->conn = evhttp_connection_base_new(c->base, NULL, c->host, (unsigned short)c->port);
		if (!c->conn) {
			tl_err_set(err, "cannot connect to %s", c->hosthdr);
			return NULL;
		}
		struct timeval tv = { (time_t)c->timeout, (suseconds_t)((c->timeout - (double)(time_t)c->timeout) * 1e6) };
		evhttp_connection_set_timeout_tv(c->conn, &tv);
		evhttp_connection_set_retries(c->conn, 0);
		evhttp_connection_set_max_body_size(c->conn, (ev_ssize_t)MAX_BODY);
	}
	struct exchange x = { .c = c };
	struct evhttp_request *req = evhttp_request_new(on_done, &x);
	if (!req) abort();
	evhttp_request_set_error_cb(req, on_error);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Host", c->hosthdr);
	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_add_header(h, "Accept", "application/json");
	evbuffer_add(evhttp_request_get_output_buffer(req), body, blen);
	if (evhttp_make_request(c->conn, req, EVHTTP_REQ_POST, c->path)) {
		/* the request is freed by libevent on failure */
		evhttp_connection_free(c->conn);
		c->conn = NULL;
		tl_err_set(err, "cannot send a request to %s", c->hosthdr);
		return NULL;
	}
	while (!x.done) event_base_loop(c->base, EVLOOP_ONCE);
	if (x.failed || !x.body) {
		/* a fresh connection for the next exchange: this one's state is unknown */
		evhttp_connection_free(c->conn);
		c->conn = NULL;
		free(x.body);
		tl_err_set(err, "node %s: %s", c->hosthdr, why_text(x.why));
		return NULL;
	}
	if (x.status != 200) {
		char snip[120];
		size_t k = 0;
		for (; k < x.len && k + 1 < sizeof snip && x.body[k] != '\n'; k++) snip[k] = x.body[k] >= 32 ? x.body[k] : '?';
		snip[k] = 0;
		tl_err_set(err, "node %s: HTTP status %d%s%s", c->hosthdr, x.status, k ? ": " : "", snip);
		free(x.body);
		return NULL;
	}
	*len = x.len;
	return x.body;
}

int tl_eth_rpc_batch_answer(const char *body, size_t len, const char *who, struct tl_eth_rpc_call *calls, size_t n,
			    struct tl_err *err)
{
	for (size_t i = 0; i < n; i++) {
		calls[i].result = NULL;
		calls[i].code = 0;
		calls[i].msg[0] = 0;
	}
	json_error_t je;
	/* numbers kept as their digits: quantities may exceed 64 bits (the
	 * decoders of ethereum/rpc.h read them so) */
	json_t *ans = tl_json_loads_exact(body, len, &je);
	if (!ans) return tl_err_set(err, "node %s: the answer is not JSON (%s)", who, je.text);
	if (!json_is_array(ans)) {
		/* a node that refuses the batch as a whole answers one error */
		json_t *e = json_object_get(ans, "error");
		int rc = tl_err_set(err, "node %s: the batch was refused: %s", who,
				    json_is_object(e) && json_string_value(json_object_get(e, "message"))
					    ? json_string_value(json_object_get(e, "message"))
					    : "not a batch answer");
		json_decref(ans);
		return rc;
	}
	size_t got = 0, k;
	json_t *a;
	int rc = 0;
	json_array_foreach(ans, k, a) {
		const char *id = json_string_value(json_object_get(a, "id"));
		char *end = NULL;
		unsigned long long idv = id && *id >= '0' && *id <= '9' ? strtoull(id, &end, 10) : 0;
		if (!end || *end || idv >= n) {
			rc = tl_err_set(err, "node %s: an answer with an unknown id", who);
			break;
		}
		struct tl_eth_rpc_call *cl = &calls[idv];
		if (cl->result || cl->code) {
			rc = tl_err_set(err, "node %s: two answers for one call", who);
			break;
		}
		json_t *e = json_object_get(a, "error"), *r = json_object_get(a, "result");
		if (e) {
			const char *code = json_string_value(json_object_get(e, "code"));
			cl->code = code ? strtol(code, NULL, 10) : -1;
			if (cl->code == 0) cl->code = -1;
			const char *m = json_string_value(json_object_get(e, "message"));
			snprintf(cl->msg, sizeof cl->msg, "%s", m ? m : "(no message)");
		} else if (r) {
			cl->result = json_incref(r);
		} else {
			rc = tl_err_set(err, "node %s: an answer with neither result nor error", who);
			break;
		}
		got++;
	}
	json_decref(ans);
	if (rc == 0 && got != n) rc = tl_err_set(err, "node %s: %zu answers to %zu calls", who, got, n);
	if (rc < 0) tl_eth_rpc_calls_clear(calls, n);
	return rc;
}

void tl_eth_rpc_calls_clear(struct tl_eth_rpc_call *calls, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_decref(calls[i].result);
		calls[i].result = NULL;
	}
}

int tl_eth_rpc_batch(struct tl_eth_rpc_client *c, struct tl_eth_rpc_call *calls, size_t n, struct tl_err *err)
{
	json_t *req = json_array();
	for (size_t i = 0; i < n; i++) {
		calls[i].result = NULL;
		calls[i].code = 0;
		calls[i].msg[0] = 0;
		json_t *o = json_pack("{s:s,s:I,s:s,s:o}", "jsonrpc", "2.0", "id", (json_int_t)i, "method", calls[i].method, "params",
				      calls[i].params ? json_incref(calls[i].params) : json_array());
		if (!o) abort();
		json_array_append_new(req, o);
	}
	char *text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!text) abort();
	size_t len = 0;
	char *body = post(c, text, strlen(text), &len, err);
	free(text);
	if (!body) return -1;
	int rc = tl_eth_rpc_batch_answer(body, len, c->hosthdr, calls, n, err);
	free(body);
	return rc;
}

