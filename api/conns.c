/* Connections, from accept to close: the cap on open connections, the
 * pause on EMFILE, deadlines for requests that arrive too slowly, and the
 * scanner (api/reqscan.h) that judges each request when its headers
 * arrive -- route, key, body size, framing -- so that a body nobody may
 * send is never buffered.
 *
 * libevent 2.1 hands a server connection to no user hook before its first
 * request is read, so the server supplies its bufferevents (bevcb): each
 * gets a callback on its input buffer (which runs on every read, before
 * libevent parses the bytes) and, once libevent has wired it up, a close
 * callback, from which the connection is counted out. A request refused
 * early is answered straight on the socket, its input is discarded from
 * then on, and the connection is closed a moment later (closing at once,
 * with unread bytes, would reset it and could lose the answer). */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/auth.h"
#include "api/metrics.h"
#include "api/http_server_int.h"

#define SWEEP_MS 250
#define LINGER_S 1.0          /* a refused connection is closed after this */
#define BODY_MIN_RATE 16384.0 /* bytes per second a body must keep up */
#define ACCEPT_PAUSE_MS 100
#define OUT_STALL_S 1.0       /* a reply not drained this long is a slow reader's */

void tl_api_log(struct tl_api_server *srv, const char *fmt, ...)
{
	if (!srv->cfg.log) return;
	double now = tl_mono_now();
	pthread_mutex_lock(&srv->log_lock);
	if (now - srv->log_last < 1.0 && srv->log_last > 0) {
		srv->log_suppressed++;
		pthread_mutex_unlock(&srv->log_lock);
		return;
	}
	long sup = srv->log_suppressed;
	srv->log_suppressed = 0;
	srv->log_last = now;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (sup) fprintf(srv->cfg.log, "taintline: %s (%ld similar lines suppressed)\n", msg, sup);
	else fprintf(srv->cfg.log, "taintline: %s\n", msg);
	pthread_mutex_unlock(&srv->log_lock);
}

static void send_canned_hdr(int fd, int status, const char *code, const char *msg, int retry_after,
			    const char *extra)
{
	if (fd < 0) return;
	char body[512], head[768];
	/* msg is ours (no quotes or backslashes), never the client's bytes. */
	int bl = snprintf(body, sizeof body, "{\"error\":\"%s\",\"message\":\"%s\"}", code, msg);
	if (bl < 0 || (size_t)bl >= sizeof body) return;
	char ra[48] = "";
	if (retry_after > 0) snprintf(ra, sizeof ra, "Retry-After: %d\r\n", retry_after);
	int hl = snprintf(head, sizeof head,
			  "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
			  "Connection: close\r\n%s%s\r\n",
			  status, tl_http_reason(status), bl, ra, extra ? extra : "");
	if (hl < 0 || (size_t)hl >= sizeof head) return;
	struct iovec v[2] = { { head, (size_t)hl }, { body, (size_t)bl } };
	struct msghdr mh = { 0 };
	mh.msg_iov = v;
	mh.msg_iovlen = 2;
	/* Best effort: the socket's send buffer is empty between requests. */
	if (sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) return;
}

void tl_conn_send_canned(int fd, int status, const char *code, const char *msg, int retry_after)
{
	send_canned_hdr(fd, status, code, msg, retry_after, NULL);
}

/* ---- the connection table (per worker, loop thread only) ---- */

static size_t hslot(const struct evhttp_connection *e)
{
	uintptr_t x = (uintptr_t)e;
	return (size_t)((x >> 4) ^ (x >> 14)) & (CONN_BUCKETS - 1);
}

struct conn *tl_conn_of(struct worker *w, struct evhttp_connection *evcon)
{
	for (struct conn *c = w->bucket[hslot(evcon)]; c; c = c->hnext)
		if (c->evcon == evcon) return c;
	return NULL;
}

static void release_body(struct conn *c)
{
	if (c->body_held) atomic_fetch_sub(&c->w->srv->body_bytes, c->body_held);
	c->body_held = 0;
}

void tl_conn_request_done(struct conn *c)
{
	release_body(c);
}

/* Answers early and stops reading: everything the client still sends is
 * discarded until the sweep closes the connection. */
static void refuse(struct conn *c, int status, const char *code, const char *msg, int retry_after,
		   const char *extra)
{
	if (c->refused) return;
	if (c->metric != -2) {
		/* A request answered here is counted like any other. */
		double t0 = c->rx_start > 0 ? c->rx_start : tl_mono_now();
		tl_metrics_observe(c->w->srv->metrics, c->w->idx, c->metric, status,
				   (uint64_t)((tl_mono_now() - t0) * 1e6));
	}
	c->refused = 1;
	c->refused_at = tl_mono_now();
	int fd = (int)bufferevent_getfd(c->bev);
	if (!c->replying && !c->job) send_canned_hdr(fd, status, code, msg, retry_after, extra);
	if (fd >= 0) shutdown(fd, SHUT_WR);
	release_body(c);
	struct evbuffer *in = bufferevent_get_input(c->bev);
	c->in_drain = 1;
	evbuffer_drain(in, evbuffer_get_length(in));
	c->in_drain = 0;
}

static int method_bit(const char *m)
{
	if (!strcmp(m, "GET") || !strcmp(m, "HEAD")) return TL_GET;
	if (!strcmp(m, "POST")) return TL_POST;
	if (!strcmp(m, "PUT")) return TL_PUT;
	if (!strcmp(m, "DELETE")) return TL_DELETE;
	if (!strcmp(m, "PATCH")) return TL_PATCH;
	if (!strcmp(m, "OPTIONS")) return TL_OPTIONS;
	return 0;
}

/* Judges a request whose headers are complete. Requests without a body
 * go on to the normal dispatch (which answers the same errors without
 * closing the connection); a body is refused here, before it is read,
 * when nobody may send it. */
static void judge(struct conn *c)
{
	struct tl_api_server *srv = c->w->srv;
	struct tl_reqscan *s = &c->scan;
	int has_body = s->chunked || s->length > 0;
	if (!has_body) return;
	c->metric = -1;
	const char *t = s->target;
	if (!strncasecmp(t, "http://", 7) || !strncasecmp(t, "https://", 8)) {
		t = strchr(t + 8, '/');
		if (!t) t = "/";
	}
	char path[TL_ROUTER_MAX_PATH + 1];
	size_t pl = strcspn(t, "?#");
	atomic_fetch_add(&srv->early_refusals, 1); /* undone below when it passes */
	if (pl > TL_ROUTER_MAX_PATH) {
		refuse(c, 414, "uri_too_long", "the request target is too long", 0, NULL);
		return;
	}
	memcpy(path, t, pl);
	path[pl] = '\0';
	if (!srv->keys && !tl_api_is_loopback(evhttp_connection_get_addr(c->evcon))) {
		refuse(c, 403, "loopback_only", "this server serves only local clients", 0, NULL);
		return;
	}
	static _Thread_local struct tl_route_match m;
	int mb = method_bit(s->method);
	switch (mb ? tl_router_match(srv->router, (unsigned)mb, path, &m) : TL_ROUTE_BAD_METHOD) {
	case TL_ROUTE_FOUND: break;
	case TL_ROUTE_BAD_METHOD:
		refuse(c, 405, "method_not_allowed", "this path does not accept this method", 0, NULL);
		return;
	case TL_ROUTE_BAD_PATH:
		refuse(c, 400, "bad_path", "the path has a malformed percent-escape or a NUL byte", 0, NULL);
		return;
	default:
		refuse(c, 404, "not_found", "no route for this path", 0, NULL);
		return;
	}
	const struct route_entry *rt = &srv->routes[m.route_id];
	c->metric = rt->metric;
	if (srv->keys && rt->role > TL_ROLE_PUBLIC) {
		const char *a = s->auth;
		struct tl_api_key *key = NULL;
		if (!strncasecmp(a, "Bearer ", 7)) {
			const char *tok = a + 7;
			while (*tok == ' ') tok++;
			size_t tl = strlen(tok);
			while (tl && tok[tl - 1] == ' ') tl--;
			if (tl) key = tl_keyring_find(srv->keys, tok, tl);
		}
		if (!key) {
			refuse(c, 401, "unauthorized", "this route needs a valid API key: send 'Authorization: Bearer KEY'",
			       0, "WWW-Authenticate: Bearer realm=\"taintline\"\r\n");
			return;
		}
		if (key->role < rt->role) {
			refuse(c, 403, "forbidden", "the key's role may not use this route", 0, NULL);
			return;
		}
	}
	if (s->length > rt->max_body) {
		char msg[128];
		snprintf(msg, sizeof msg, "the request body is over this route's limit of %zu bytes", rt->max_body);
		refuse(c, 413, "body_too_large", msg, 0, NULL);
		return;
	}
	s->body_limit = rt->max_body;
	if ((uint64_t)atomic_load(&srv->body_bytes) + s->length > srv->cfg.max_buffered) {
		refuse(c, 503, "server_busy", "the server holds as many request bodies as it may; retry shortly", 1,
		       NULL);
		return;
	}
	atomic_fetch_sub(&srv->early_refusals, 1);
}

static const char *code_of(int status)
{
	switch (status) {
	case 413: return "body_too_large";
	case 414: return "uri_too_long";
	case 431: return "headers_too_large";
	default: return "bad_request";
	}
}

/* Runs on every change of the connection's input buffer, before libevent
 * parses what was added. */
static void guard_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct conn *c = arg;
	if (c->in_drain || !info->n_added) return;
	if (c->refused) {
		c->in_drain = 1;
		evbuffer_drain(buf, evbuffer_get_length(buf));
		c->in_drain = 0;
		return;
	}
	struct tl_api_server *srv = c->w->srv;
	size_t len = evbuffer_get_length(buf);
	if (info->n_added > len) return;
	struct evbuffer_ptr pos;
	if (evbuffer_ptr_set(buf, &pos, len - info->n_added, EVBUFFER_PTR_SET) < 0) return;
	struct evbuffer_iovec vs[16];
	int nv = evbuffer_peek(buf, (ev_ssize_t)info->n_added, &pos, vs, 16);
	struct evbuffer_iovec *v = vs;
	if (nv > 16) {
		v = malloc((size_t)nv * sizeof *v);
		if (!v) return;
		nv = evbuffer_peek(buf, (ev_ssize_t)info->n_added, &pos, v, nv);
	}
	size_t remaining = info->n_added;
	for (int i = 0; i < nv && remaining && !c->refused; i++) {
		const char *p = v[i].iov_base;
		size_t n = v[i].iov_len < remaining ? v[i].iov_len : remaining;
		remaining -= n;
		for (;;) {
			uint64_t before = c->scan.body_seen;
			size_t used;
			enum tl_scan_event ev = tl_reqscan_feed(&c->scan, p, n, &used);
			p += used;
			n -= used;
			if (tl_reqscan_busy(&c->scan) && c->rx_start == 0) {
				c->rx_start = tl_mono_now();
				c->head_done = 0;
				c->metric = -1;
			}
			uint64_t after = c->scan.body_seen;
			int64_t delta = (int64_t)(after >= before ? after - before : after);
			if (delta) {
				c->body_held += delta;
				if ((uint64_t)atomic_fetch_add(&srv->body_bytes, delta) + (uint64_t)delta >
				    srv->cfg.max_buffered) {
					atomic_fetch_add(&srv->early_refusals, 1);
					refuse(c, 503, "server_busy",
					       "the server holds as many request bodies as it may; retry shortly", 1, NULL);
					break;
				}
			}
			if (ev == TL_SCAN_HEADERS) {
				c->head_done = tl_mono_now();
				judge(c);
				if (c->refused) break;
			} else if (ev == TL_SCAN_DONE) {
				c->req_t0 = c->rx_start;
				c->rx_start = 0;
			} else if (ev == TL_SCAN_ERROR) {
				atomic_fetch_add(&srv->early_refusals, 1);
				refuse(c, c->scan.status, code_of(c->scan.status), c->scan.msg, 0, NULL);
				break;
			} else {
				break;
			}
		}
	}
	if (v != vs) free(v);
}

/* ---- reply buffers ---- */

/* Counts c's output buffer into the server-wide total (libevent calls it
 * on the loop thread for every add and every write). */
static void out_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct conn *c = arg;
	int64_t d = (int64_t)info->n_added - (int64_t)info->n_deleted;
	if (d) {
		c->out_held += d;
		atomic_fetch_add(&c->w->srv->out_bytes, d);
	}
	if (info->n_deleted || evbuffer_get_length(buf) == 0) c->out_moved = tl_mono_now();
}

/* Closes a connection whose client does not take its reply. */
static void cut_off(struct conn *c, double now)
{
	struct tl_api_server *srv = c->w->srv;
	atomic_fetch_add(&srv->slow_cutoffs, 1);
	tl_api_log(srv,
		   "cutting off a client that does not read its reply: %lld bytes waiting for %.1f s (replies waiting: "
		   "%lld bytes, the limit is %zu)",
		   (long long)c->out_held, now - c->out_moved, (long long)atomic_load(&srv->out_bytes),
		   srv->cfg.max_out_buffered);
	evhttp_connection_free(c->evcon); /* on_conn_closed counts its bytes out */
}

/* Reserves need bytes of the total if they fit (both loops may ask at
 * once: check and add are one step). 1 reserved, 0 not. */
static int reserve(struct tl_api_server *srv, size_t need)
{
	int64_t cur = atomic_load(&srv->out_bytes);
	while ((uint64_t)cur + need <= srv->cfg.max_out_buffered)
		if (atomic_compare_exchange_weak(&srv->out_bytes, &cur, cur + (int64_t)need)) return 1;
	return 0;
}

int tl_conns_make_room(struct worker *w, size_t need, const struct conn *self)
{
	struct tl_api_server *srv = w->srv;
	double now = tl_mono_now();
	while (!reserve(srv, need)) {
		struct conn *worst = NULL;
		for (struct conn *c = w->conns; c; c = c->next)
			if (c != self && c->out_held > 0 && now - c->out_moved >= OUT_STALL_S &&
			    (!worst || c->out_held > worst->out_held))
				worst = c;
		if (!worst) {
			/* The rest drains, or sits on other loops: their sweeps
			 * cut off their slow readers within SWEEP_MS. */
			atomic_store(&srv->out_squeeze_ms, (int64_t)(now * 1000));
			return 0;
		}
		cut_off(worst, now);
	}
	return 1;
}

/* Under pressure (three quarters of the limit taken, or a loop lacked
 * room for a reply within the last second), the sweep cuts off this
 * loop's stalled readers, so that a loop with no reply to send still
 * gives back what its stalled clients hold. */
static void shed_stalled(struct worker *w, double now)
{
	struct tl_api_server *srv = w->srv;
	int squeezed = (int64_t)(now * 1000) - atomic_load(&srv->out_squeeze_ms) < 1000;
	if (!squeezed && (uint64_t)atomic_load(&srv->out_bytes) < srv->cfg.max_out_buffered / 4 * 3) return;
	struct conn *next;
	for (struct conn *c = w->conns; c; c = next) {
		next = c->next;
		if (c->out_held > 0 && now - c->out_moved >= OUT_STALL_S) cut_off(c, now);
	}
}

/* ---- life of a connection ---- */

static void on_conn_closed(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	struct conn *c = arg;
	struct worker *w = c->w;
	struct tl_api_server *srv = w->srv;
	if (c->replying) {
		/* Produced but not delivered: counted as the client's loss. */
		c->replying = 0;
		tl_metrics_observe(srv->metrics, w->idx, c->reply_metric, 499,
				   (uint64_t)((tl_mono_now() - c->reply_t0) * 1e6));
		tl_api_reply_done(w);
	}
	if (c->job) {
		struct tl_api_req *job = c->job;
		c->job = NULL;
		job->ev = NULL;
		job->conn = NULL;
		tl_pool_cancel(srv, job);
	}
	if (c->closed_ev) event_free(c->closed_ev);
	evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->cbent);
	if (c->outcbent) evbuffer_remove_cb_entry(bufferevent_get_output(c->bev), c->outcbent);
	if (c->out_held) atomic_fetch_sub(&srv->out_bytes, c->out_held);
	c->out_held = 0;
	release_body(c);
	struct conn **pp = &w->bucket[hslot(c->evcon)];
	while (*pp && *pp != c) pp = &(*pp)->hnext;
	if (*pp) *pp = c->hnext;
	if (c->prev) c->prev->next = c->next;
	else w->conns = c->next;
	if (c->next) c->next->prev = c->prev;
	tl_reqscan_free(&c->scan);
	free(c);
	atomic_fetch_sub(&srv->nconns, 1);
}

static struct bufferevent *make_bev(struct event_base *base, void *arg)
{
	struct worker *w = arg;
	struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!bev) return NULL;
	struct conn *c = calloc(1, sizeof *c);
	if (!c) return bev; /* served, not tracked */
	c->w = w;
	c->bev = bev;
	c->metric = -2;
	tl_reqscan_init(&c->scan, w->srv->cfg.max_headers, TL_ROUTER_MAX_PATH);
	c->cbent = evbuffer_add_cb(bufferevent_get_input(bev), guard_cb, c);
	c->outcbent = evbuffer_add_cb(bufferevent_get_output(bev), out_cb, c);
	c->out_moved = tl_mono_now();
	c->next_adopt = w->adopt;
	w->adopt = c;
	atomic_fetch_add(&w->srv->nconns, 1);
	event_active(w->adopt_ev, 0, 0);
	return bev;
}

/* Runs right after libevent has set a new connection up (same loop
 * iteration, before any of its bytes are read). */
static void on_adopt(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct worker *w = arg;
	struct tl_api_server *srv = w->srv;
	while (w->adopt) {
		struct conn *c = w->adopt;
		w->adopt = c->next_adopt;
		void *cbarg = NULL;
		bufferevent_getcb(c->bev, NULL, NULL, NULL, &cbarg);
		c->evcon = cbarg;
		evhttp_connection_set_closecb(c->evcon, on_conn_closed, c);
		size_t h = hslot(c->evcon);
		c->hnext = w->bucket[h];
		w->bucket[h] = c;
		c->next = w->conns;
		if (w->conns) w->conns->prev = c;
		w->conns = c;
		if (atomic_load(&srv->nconns) > srv->cfg.max_conns) {
			atomic_fetch_add(&srv->conns_refused, 1);
			c->metric = -2; /* not a request */
			tl_api_log(srv, "connection refused: %ld open, the limit is %d", (long)atomic_load(&srv->nconns),
				   srv->cfg.max_conns);
			refuse(c, 503, "server_busy", "the server has as many connections open as it may; retry shortly",
			       1, NULL);
		}
	}
}

/* The client closed its end while its job runs: cancel the job and
 * free the connection now. */
static void on_client_gone(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	if (what & EV_READ) {
		/* Without early-close support: a read of 0 bytes is the close;
		 * pipelined bytes mean the client is still there. */
		char b;
		ssize_t r = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
		if (r > 0 || (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))) {
			if (r > 0) event_del(c->closed_ev);
			return;
		}
	}
	if (c->job) atomic_store(&c->job->cancelled, 1);
	evhttp_connection_free(c->evcon); /* on_conn_closed frees c */
}

void tl_conn_watch_job(struct conn *c, struct tl_api_req *job)
{
	(void)job;
	int fd = (int)bufferevent_getfd(c->bev);
	if (fd < 0 || c->closed_ev) return;
	short what = (event_base_get_features(c->w->base) & EV_FEATURE_EARLY_CLOSE) ? EV_CLOSED : (EV_READ | EV_PERSIST);
	c->closed_ev = event_new(c->w->base, fd, what, on_client_gone, c);
	if (c->closed_ev) event_add(c->closed_ev, NULL);
}

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct worker *w = arg;
	struct tl_api_server *srv = w->srv;
	double now = tl_mono_now();
	double head_s = srv->cfg.header_timeout_ms / 1000.0;
	shed_stalled(w, now);
	struct conn *next;
	for (struct conn *c = w->conns; c; c = next) {
		next = c->next;
		if (c->refused) {
			if (now - c->refused_at > LINGER_S && !c->job && !c->replying) evhttp_connection_free(c->evcon);
			continue;
		}
		if (!tl_reqscan_busy(&c->scan) || c->job || c->replying || c->rx_start == 0) continue;
		int late = c->head_done == 0 ? now - c->rx_start > head_s
					     : now - c->head_done > head_s + (double)c->scan.body_seen / BODY_MIN_RATE;
		if (late) {
			atomic_fetch_add(&srv->deadline_closes, 1);
			c->metric = -2;
			tl_api_log(srv, "closing a connection whose request did not arrive in time");
			refuse(c, 408, "request_timeout",
			       c->head_done == 0 ? "the request line and headers did not arrive in time"
						 : "the request body did not arrive in time",
			       0, NULL);
		}
	}
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct worker *w = arg;
	if (w->lev && !w->draining) evconnlistener_enable(w->lev);
}

/* accept() failed for want of descriptors (or memory): libevent would
 * retry at once, forever. Pause this worker's accepting briefly, and
 * answer one waiting client with 503 through the spare descriptor so
 * that clients are refused rather than left hanging. */
static _Thread_local struct worker *cur_worker;

void tl_conns_enter(struct worker *w)
{
	cur_worker = w;
}

static void on_accept_error(struct evconnlistener *lev, void *arg)
{
	(void)arg; /* libevent's (the evhttp) */
	int e = errno;
	struct worker *w = cur_worker;
	if (!w || w->lev != lev) return;
	struct tl_api_server *srv = w->srv;
	if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
		atomic_fetch_add(&srv->accept_pauses, 1);
		evconnlistener_disable(lev);
		if (w->reserve_fd >= 0) {
			close(w->reserve_fd);
			int cfd = accept4(evconnlistener_get_fd(lev), NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (cfd >= 0) {
				tl_conn_send_canned(cfd, 503, "server_busy",
						    "the server is out of file descriptors; retry shortly", 1);
				close(cfd);
			}
			w->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		}
		struct timeval tv = { 0, ACCEPT_PAUSE_MS * 1000 };
		evtimer_add(w->retry_ev, &tv);
		tl_api_log(srv, "accept: %s; pausing new connections for %d ms", strerror(e), ACCEPT_PAUSE_MS);
	} else {
		tl_api_log(srv, "accept: %s", strerror(e));
	}
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct worker *w = arg;
	pthread_mutex_lock(&w->done_lock);
	struct tl_api_req *j = w->done;
	w->done = NULL;
	pthread_mutex_unlock(&w->done_lock);
	while (j) {
		struct tl_api_req *n = j->next;
		tl_api_deliver(w, j);
		j = n;
	}
}

int tl_conns_worker_setup(struct worker *w, int fd, struct tl_err *err)
{
	w->adopt_ev = event_new(w->base, -1, 0, on_adopt, w);
	w->sweep_ev = event_new(w->base, -1, EV_PERSIST, on_sweep, w);
	w->retry_ev = evtimer_new(w->base, on_retry, w);
	w->done_ev = event_new(w->base, -1, 0, on_done, w);
	if (!w->adopt_ev || !w->sweep_ev || !w->retry_ev || !w->done_ev) {
		close(fd);
		return tl_err_set(err, "out of memory");
	}
	struct timeval tv = { 0, SWEEP_MS * 1000 };
	event_add(w->sweep_ev, &tv);
	w->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	evhttp_set_bevcb(w->http, make_bev, w);
	w->lev = evconnlistener_new(w->base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (!w->lev) {
		close(fd);
		return tl_err_set(err, "evconnlistener_new failed");
	}
	w->bound = evhttp_bind_listener(w->http, w->lev);
	if (!w->bound) {
		evconnlistener_free(w->lev);
		w->lev = NULL;
		return tl_err_set(err, "evhttp_bind_listener failed");
	}
	evconnlistener_set_error_cb(w->lev, on_accept_error);
	return 0;
}

void tl_conns_worker_destroy(struct worker *w)
{
	while (w->adopt) { /* never adopted: their bufferevents are gone */
		struct conn *c = w->adopt;
		w->adopt = c->next_adopt;
		tl_reqscan_free(&c->scan);
		free(c);
		atomic_fetch_sub(&w->srv->nconns, 1);
	}
	if (w->adopt_ev) event_free(w->adopt_ev);
	if (w->sweep_ev) event_free(w->sweep_ev);
	if (w->retry_ev) event_free(w->retry_ev);
	if (w->done_ev) event_free(w->done_ev);
	w->adopt_ev = w->sweep_ev = w->retry_ev = w->done_ev = NULL;
	if (w->reserve_fd >= 0) close(w->reserve_fd);
	w->reserve_fd = -1;
}
