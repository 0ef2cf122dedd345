/* A blocking JSON-RPC client of an Ethereum node over plain HTTP
 * (libevent's evhttp): one connection kept alive, a timeout per request,
 * batches of calls in one POST. It retries nothing itself: the caller
 * (eth_node.c) decides what is worth retrying. */
#ifndef TL_INDEXER_ETH_RPC_CLIENT_H
#define TL_INDEXER_ETH_RPC_CLIENT_H

#include <stddef.h>

#include <jansson.h>

#include "base/err.h"

struct tl_eth_rpc_client;

/* A client of the node at url ("http://host[:port][/path]"; https is
 * refused: put a local proxy in front). timeout is seconds per request.
 * Returns the client (tl_eth_rpc_client_free), or NULL with err. */
struct tl_eth_rpc_client *tl_eth_rpc_client_new(const char *url, double timeout, struct tl_err *err);
void tl_eth_rpc_client_free(struct tl_eth_rpc_client *c);

/* One call of a batch: method and params in; result or error out. */
struct tl_eth_rpc_call {
	const char *method;
	json_t *params;   /* borrowed */
	json_t *result;   /* owned by the call after tl_eth_rpc_batch (json_decref), NULL on error */
	long code;        /* the node's error code when result is NULL */
	char msg[200];    /* the node's error message */
};

/* Sends the n calls as one JSON-RPC batch (ids 0..n-1) and matches the
 * answers by id. Returns 0 when the node answered every call (each with
 * a result or its own error), or -1 with err when the exchange failed as
 * a whole: no connection, a timeout, an HTTP status other than 200, a
 * body that is not a batch answer, or an answer missing. On -1 no call
 * holds a result. */
int tl_eth_rpc_batch(struct tl_eth_rpc_client *c, struct tl_eth_rpc_call *calls, size_t n, struct tl_err *err)
	__attribute__((warn_unused_result));

/* The matching of a batch answer's text (body[0..len), need not end in
 * NUL) to the n calls, as tl_eth_rpc_batch does it: who names the node
 * in messages. Returns 0 or -1 with err (then no call holds a result). */
int tl_eth_rpc_batch_answer(const char *body, size_t len, const char *who, struct tl_eth_rpc_call *calls, size_t n,
			    struct tl_err *err) __attribute__((warn_unused_result));

/* Frees the results the calls hold. */
void tl_eth_rpc_calls_clear(struct tl_eth_rpc_call *calls, size_t n);

#endif
