/* Private to api/: the server's structures, shared by server.c (routes,
 * requests, replies, life cycle), conns.c (connections: cap, deadlines,
 * early refusals) and pool.c (the expensive-work pool), and the glue to
 * http_json.c. */
#ifndef TL_API_HTTP_SERVER_INT_H
#define TL_API_HTTP_SERVER_INT_H

#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "api/reqscan.h"
#include "api/router.h"
#include "api/http_server.h"

struct route_entry {
	char *pattern;
	unsigned methods;
	enum tl_api_role role;
	tl_api_handler handler;
	void *ctx;
	unsigned flags;  /* TL_ROUTE_* */
	size_t max_body; /* the route's body limit (0 = takes none) */
	int metric;      /* metrics slot: one per distinct pattern */
};

struct conn;
struct tl_api_req;

#define CONN_BUCKETS 1024

struct worker {
	struct tl_api_server *srv;
	int idx;
	pthread_t thread;
	int thread_ok;
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	struct evconnlistener *lev;
	struct event *stop_ev;
	struct event *drain_ev;
	struct event *adopt_ev;   /* connections created, closecb not yet set */
	struct event *sweep_ev;   /* periodic: deadlines, lingering refusals */
	struct event *retry_ev;   /* re-enables accepting after EMFILE */
	struct event *done_ev;    /* pool jobs finished */
	int reserve_fd;           /* spare descriptor freed to refuse under EMFILE */
	int draining;
	int loop_done; /* event loop returned: no loopexit from evhttp_free */
	long inflight; /* replies started and not yet fully written, jobs pending */
	struct conn *adopt;       /* singly linked via next_adopt */
	struct conn *conns;       /* all adopted connections (doubly linked) */
	struct conn *bucket[CONN_BUCKETS];
	pthread_mutex_t done_lock;
	struct tl_api_req *done;  /* finished jobs to deliver (done_lock) */
};

struct pool;

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
	_Atomic long nconns;          /* connections open (counted at accept) */
	_Atomic long conns_refused;   /* refused at the cap */
	_Atomic long early_refusals;  /* requests refused at their headers */
	_Atomic long deadline_closes; /* connections closed for a slow request */
	_Atomic long accept_pauses;   /* times accepting paused on EMFILE/ENFILE */
	_Atomic int64_t body_bytes;   /* request body bytes held, all connections */
	_Atomic int64_t out_bytes;    /* reply bytes waiting to be written, all connections */
	_Atomic long slow_cutoffs;    /* connections cut off for not reading their reply */
	_Atomic long out_refusals;    /* replies answered 503 for want of reply buffer */
	_Atomic int64_t out_squeeze_ms; /* when a loop last lacked reply buffer (monotonic ms) */
	pthread_mutex_t log_lock;
	double log_last;
	long log_suppressed;
	struct pool *pool;
	tl_api_metrics_hook metrics_hook;
	void *metrics_ctx;
	tl_api_health_hook health_hook;
	void *health_ctx;
	tl_api_request_hook req_begin, req_end; /* around every handler */
	void *req_ctx;
};

struct tl_api_req {
	struct evhttp_request *ev; /* NULL once the connection is gone (jobs) */
	struct worker *w;
	struct tl_api_server *srv;
	const struct route_entry *route;
	struct conn *conn;         /* NULL once the connection is gone */
	enum tl_api_method method;
	int head;                  /* a HEAD request: no body is sent */
	const char *path;
	const char *query_str;
	struct evkeyvalq *in_headers;
	struct evkeyvalq query;
	int query_parsed;
	const char *body;
	size_t body_len;
	int body_done;
	json_t *json;
	enum tl_api_role role;
	const char *key_name;
	struct tl_api_key *key;
	double t0;
	int replied;
	int status;
	/* A job of the pool: inputs copied, the reply kept until the loop
	 * thread sends it. */
	int pooled;
	_Atomic int cancelled;
	struct evkeyvalq own_in, own_out;
	char *own_path, *own_query, *own_body;
	char *out_ctype;
	char *out_body;
	size_t out_len;
	struct tl_api_req *next;
	struct tl_route_match match; /* last: its buffer is not zeroed per request */
};

/* A connection, from accept to close (conns.c). */
struct conn {
	struct worker *w;
	struct evhttp_connection *evcon;
	struct bufferevent *bev;
	struct evbuffer_cb_entry *cbent;
	struct tl_reqscan scan;
	struct tl_api_req *job;     /* a pool job waiting on this connection */
	struct event *closed_ev;    /* watches for the client leaving while a job runs */
	double rx_start;            /* monotonic time the current request began */
	double head_done;           /* ... and its headers completed (0: not yet) */
	int replying;               /* a reply is being written */
	int reply_metric, reply_status;
	double reply_t0;
	int refused;                /* answered early; input discarded until closed */
	int in_drain;               /* we are draining the input ourselves */
	int metric;                 /* metrics slot of an early refusal (-2: none) */
	double req_t0;              /* when the last complete request began */
	double refused_at;
	int64_t body_held;          /* bytes counted in srv->body_bytes */
	struct evbuffer_cb_entry *outcbent;
	int64_t out_held;           /* bytes of its output buffer, counted in srv->out_bytes */
	double out_moved;           /* last time its output drained (or was empty) */
	struct conn *next, *prev, *hnext, *next_adopt;
};

/* The request's parsed-body slot (NULL until http_json.c parses it);
 * server.c releases the value after the handler returns. */
json_t **tl_api_req_json_slot(struct tl_api_req *req);

/* ---- conns.c ---- */
/* Sets up the worker's listener, connection hooks and timers. */
int tl_conns_worker_setup(struct worker *w, int fd, struct tl_err *err);
/* Marks the calling thread as w's loop thread. */
void tl_conns_enter(struct worker *w);
/* Frees what tl_conns_worker_setup made (after evhttp_free). */
void tl_conns_worker_destroy(struct worker *w);
/* The connection of an evhttp connection, or NULL. */
struct conn *tl_conn_of(struct worker *w, struct evhttp_connection *evcon);
/* A request's reply is done (written or lost): back to idle. */
void tl_conn_request_done(struct conn *c);
/* Watches c's socket for the client leaving while job runs. */
void tl_conn_watch_job(struct conn *c, struct tl_api_req *job);
/* Makes room for need more reply bytes: cuts off w's connections (never
 * self, the one the reply is for) whose output has not drained for a
 * second, largest first, until the server-wide total plus need fits
 * max_out_buffered, and reserves need in the total (the caller gives it
 * back once the reply is in the connection's buffer, which counts it).
 * Returns 1 if reserved, 0 if it does not fit. */
int tl_conns_make_room(struct worker *w, size_t need, const struct conn *self);
/* Writes a complete JSON error reply straight to fd (best effort). */
void tl_conn_send_canned(int fd, int status, const char *code, const char *msg, int retry_after);

/* ---- pool.c ---- */
int tl_pool_start(struct tl_api_server *srv, struct tl_err *err);
/* Queues job (owned by the pool until delivered). Returns 0, or the
 * Retry-After seconds when the queue or the key's share is full. */
int tl_pool_submit(struct tl_api_server *srv, struct tl_api_req *job);
/* Takes a job that has not started out of the queue (its client left)
 * and hands it back at once; a running job only sees its cancel flag. */
void tl_pool_cancel(struct tl_api_server *srv, struct tl_api_req *job);
/* Stops the threads after the running jobs (cancelled) return. */
void tl_pool_stop(struct tl_api_server *srv);
void tl_pool_free(struct tl_api_server *srv);
/* Gauges for /metrics. */
void tl_pool_stats(struct tl_api_server *srv, long *queued, long *running, long *rejected);

/* ---- server.c ---- */
/* Sends a finished job's reply on the loop thread, or drops it when its
 * connection is gone; frees the job. */
void tl_api_deliver(struct worker *w, struct tl_api_req *job);
void tl_api_req_release(struct tl_api_req *req);
/* Runs req's route handler between the request hooks (worker or pool). */
void tl_api_run_handler(struct tl_api_server *srv, struct tl_api_req *req);
/* 1 for a loopback address. */
int tl_api_is_loopback(const struct sockaddr *sa);
/* Counts a reply out of flight. */
void tl_api_reply_done(struct worker *w);

#endif
