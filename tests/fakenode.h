/* A fake Bitcoin Core node for the live tests: a libevent HTTP server on
 * 127.0.0.1 (an ephemeral port) answering Core's JSON-RPC with cookie
 * authentication, serving a chain read from a blocks directory (the
 * simulator's output) up to a visible height the test moves, and a ZMQ
 * PUB socket on 127.0.0.1 publishing hashblock / rawtx / sequence in
 * Core's multipart form [topic, body, 4-byte little-endian sequence].
 *
 * It can misbehave on purpose: random faults per request (HTTP 500
 * without a body, 503 "work queue depth exceeded", error -28 warming up,
 * no reply before the client's timeout) drawn from a seed, and a
 * restart (every connection dropped, the port closed for a while, a new
 * cookie written) like a node restarting. Every function fails the
 * running test on error. */
#ifndef TL_TESTS_FAKENODE_H
#define TL_TESTS_FAKENODE_H

#include <stddef.h>
#include <stdint.h>

#include "bitcoin/network.h"

struct fakenode;

/* Starts the node; its cookie file is dir/.cookie. */
struct fakenode *fn_start(const char *dir, const struct tl_netparams *np);
/* Stops the server thread and frees everything. */
void fn_stop(struct fakenode *n);
/* "http://127.0.0.1:PORT" (owned by n) and the cookie file's path. */
const char *fn_url(const struct fakenode *n);
const char *fn_cookie(const struct fakenode *n);
/* "tcp://127.0.0.1:PORT" of the ZMQ publisher. */
const char *fn_zmq(const struct fakenode *n);

/* Makes the best chain of blocks_dir the node's chain (a reorg when it
 * differs from the current one: blocks no longer on it stay known as
 * stale). The visible height is capped to the new chain. Returns the
 * chain's length. */
int32_t fn_load_chain(struct fakenode *n, const char *blocks_dir);
/* The node's tip: heights above h are not known to the node. Publishes
 * hashblock and sequence 'C' for each block that becomes visible. */
void fn_set_height(struct fakenode *n, int32_t h);
/* The visible tip's height (-1 before fn_set_height). */
int32_t fn_height(const struct fakenode *n);
/* Publishes the tip's hashblock again (ZMQ drops what a subscriber that
 * is still connecting misses; tests repeat it while they wait). */
void fn_republish(struct fakenode *n);
/* The hash at height h of the loaded chain (hash order). */
void fn_hash_at(const struct fakenode *n, int32_t h, uint8_t out[32]);

/* Faults: each request fails with probability per_mille/1000, the kind
 * drawn from a PRNG seeded with seed. 0 turns them off. */
void fn_faults(struct fakenode *n, uint64_t seed, unsigned per_mille);
/* Restarts: drops every connection and stops listening; after down_ms
 * listens again on the same port with a new cookie. Returns at once. */
void fn_restart(struct fakenode *n, int down_ms);

/* The node's mempool: a transaction accepted (ZMQ rawtx and sequence A
 * published; getrawmempool / getrawtransaction answer for it), or
 * removed as replaced or evicted (sequence R). A transaction held
 * already is ignored. Blocks becoming visible take their transactions out
 * of the mempool silently, as Core. */
void fn_mempool_add(struct fakenode *n, const uint8_t *raw, size_t len, const uint8_t txid[32]);
void fn_mempool_remove(struct fakenode *n, const uint8_t txid[32]);

/* Requests seen, faults injected, 401s, restarts done. */
struct fn_stats {
	uint64_t requests, faults, unauthorized, restarts;
};
void fn_stats(const struct fakenode *n, struct fn_stats *out);

#endif
