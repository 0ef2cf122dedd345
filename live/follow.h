/* Following a Bitcoin Core node: a thread that keeps taintline's blocks
 * directory (live/fetch.h) at the node's tip. It fetches when Core's ZMQ
 * publisher announces a block (hashblock, or sequence C/D) and, as the
 * fallback for lost notifications or no ZMQ at all, every poll_ms. After
 * a round that wrote blocks it calls on_blocks (the server then indexes
 * the directory, api/serve.h). While the node is unreachable or answers
 * errors it retries with doubling delays up to 30 s and reports it in its
 * status, never giving up. With a mempool it also keeps the node's
 * unconfirmed transactions screened (live/mempool.h). */
#ifndef TL_LIVE_FOLLOW_H
#define TL_LIVE_FOLLOW_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "base/err.h"
#include "bitcoin/network.h"
#include "live/mempool.h"
#include "live/rpc.h"

struct tl_follow_opts {
	struct tl_rpc_opts rpc;          /* url and credentials; the rest is set here */
	const char *zmq;                 /* tcp://HOST:PORT of zmqpubhashblock / sequence; NULL = poll only */
	const char *blocks_dir;          /* required */
	const struct tl_netparams *net;  /* required */
	int poll_ms;                     /* 0 = 5000 with ZMQ, 1000 without */
	void (*on_blocks)(void *ctx);    /* may be NULL; called from the follower thread */
	void *ctx;
	FILE *log;                       /* NULL = silent */
	/* The mempool to keep (NULL = none): fed by ZMQ rawtx and sequence
	 * A/R, and reconciled with getrawmempool + getrawtransaction after
	 * each round (what the node dropped, replaced or confirmed leaves). */
	struct tl_mempool *mempool;
	tl_prevout_fn prevout;           /* resolves confirmed prevouts (mempool.h) */
	void *prevout_ctx;
};

struct tl_follow_status {
	int reachable;                   /* the last round reached the node */
	int32_t node_tip, fetched_tip;   /* -1 = unknown */
	uint64_t rounds, errors, blocks_fetched, zmq_messages, zmq_bad;
	uint64_t mempool_txs;            /* held after the last reconcile */
	int64_t last_ok;                 /* unix time of the last good round, 0 = never */
	char last_error[512];
};

struct tl_follow;

/* Starts the thread (ZMQ subscribed before the first round, so no block
 * announced after start is missed). Errors: bad URL or credentials, ZMQ
 * endpoint refused. Returns 0 and *out, or -1 with err. */
int tl_follow_start(const struct tl_follow_opts *o, struct tl_follow **out, struct tl_err *err)
	__attribute__((warn_unused_result));
/* Stops and joins the thread, frees f (NULL is ignored). */
void tl_follow_stop(struct tl_follow *f);
/* A consistent copy of the follower's status (thread-safe). */
void tl_follow_status(struct tl_follow *f, struct tl_follow_status *out);
/* Adds {"node": {...}} (reachable, tips, errors, last error) to obj: a
 * health hook (api/serve.h extra_health). */
void tl_follow_health(struct json_t *obj, void *f);

#endif
