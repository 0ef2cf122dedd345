/* Indexing from a node's JSON-RPC: the blocks after the database's tip,
 * fetched in batches (eth_getBlockByNumber with full transactions,
 * eth_getBlockReceipts or per-transaction receipts, trace_block or
 * debug_traceBlockByNumber with the callTracer), decoded by
 * ethereum/rpc.h and indexed by eth_index.h, following the head.
 *
 * A node that fails (no connection, timeout, HTTP or JSON-RPC error, a
 * block it does not have yet, answers from two different chains) is
 * retried with doubling waits, then given up with the last error.
 *
 * Reorgs: a new block whose parent is not the indexed tip, or a node
 * whose block at the tip's height is another one, means the node's chain
 * forked below the tip. The follower finds the fork (the highest indexed
 * block the node still has), rolls the index back to it one block per
 * atomic write (store/eth_undo.h), then indexes the node's chain from
 * there: the database ends equal to a fresh index of the node's chain. A
 * crash between those writes leaves an index of a shorter chain, which
 * the next run continues from. A fork deeper than the undo data (the
 * undo depth, or blocks indexed from an export) stops the run with an
 * error and nothing rolled back. A node whose head is below the tip with
 * the same block at its head is taken as lagging, not forked. */
#ifndef TL_INDEXER_ETH_NODE_H
#define TL_INDEXER_ETH_NODE_H

#include <signal.h>
#include <stdint.h>

#include "base/err.h"
#include "store/eth_store.h"

enum tl_eth_trace_mode {
	TL_ETH_TRACES_AUTO = 0, /* trace_block, else the callTracer, else none (said) */
	TL_ETH_TRACES_PARITY,   /* trace_block */
	TL_ETH_TRACES_GETH,     /* debug_traceBlockByNumber, callTracer */
	TL_ETH_TRACES_NONE,     /* no internal transfers */
};

struct tl_eth_node_progress {
	uint64_t tip;          /* last indexed block */
	uint64_t head;         /* the node's head (or --until, if lower) */
	uint64_t blocks, txs;  /* indexed in this run */
	uint64_t first;        /* first block of this run */
	double elapsed;
};

struct tl_eth_node_opts {
	const char *url;
	int64_t until;         /* stop after this block (-1: follow the head until *stop) */
	uint64_t from;         /* first block when the database is empty */
	uint32_t confirmations; /* index only blocks this far below the head (reorgs
	                         * shallower than it never reach the database) */
	uint32_t batch_blocks; /* blocks per batch (0: 16) */
	double timeout;        /* seconds per request (0: 30) */
	uint32_t retries;      /* attempts after the first (0: none) */
	double backoff;        /* first wait in seconds, doubled each time (0: 1) */
	double poll;           /* seconds between head checks when caught up (0: 4) */
	enum tl_eth_trace_mode traces;
	size_t cache_bytes;    /* indexer caches (0: its default) */
	uint32_t undo_depth;   /* blocks below the tip that can be rolled back (0: 64) */
	volatile sig_atomic_t *stop; /* set (from a signal) to stop after the current batch; may be NULL */
	void (*progress)(void *ctx, const struct tl_eth_node_progress *p);
	void (*note)(void *ctx, const char *msg); /* retries, fallbacks, reorgs (may be NULL) */
	/* after each block rolled back (may be NULL) */
	void (*rolled_back)(void *ctx, uint64_t height);
	/* when caught up with the head (or --until) after writing blocks or
	 * rolling back: derived indexes are brought up to date here. A
	 * nonzero return stops the run with that error (may be NULL). */
	int (*synced)(void *ctx, struct tl_err *err);
	void *ctx;
};

struct tl_eth_node_result {
	uint64_t blocks, txs, transfers;
	uint64_t rolled_back, reorgs;  /* blocks rolled back, in how many reorgs */
	enum tl_eth_trace_mode traces; /* what was used */
	int receipts_per_tx;           /* eth_getBlockReceipts was missing */
};

/* Indexes the node's blocks after s's tip (from o->from on an empty
 * database) up to o->until or, without it, for ever until *o->stop.
 * Returns 0, or -1 with err (what the node did, or a reorg too deep);
 * every batch and rollback before the failure stays written. */
int tl_eth_node_index(struct tl_eth_store *s, const struct tl_eth_node_opts *o, struct tl_eth_node_result *res,
		      struct tl_err *err) __attribute__((warn_unused_result));

#endif
