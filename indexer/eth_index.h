/* The Ethereum indexer: decoded blocks (ethereum/model.h, from an export
 * or a node) -> transfers (ethereum/derive.h) -> the Ethereum database
 * (store/eth_store.h), in chain order, in atomic batches that carry the
 * tip. Accounts get dense ids at first sight; per (account, asset) it
 * keeps received, sent, fees, a transfer count and the history. */
#ifndef TL_INDEXER_ETH_INDEX_H
#define TL_INDEXER_ETH_INDEX_H

#include <stdint.h>

#include "base/err.h"
#include "ethereum/model.h"
#include "store/eth_store.h"

struct tl_eth_index_progress {
	uint64_t blocks_done, blocks_total;
	uint64_t txs;          /* transactions indexed so far in this run */
	double elapsed;        /* seconds since the run began */
};

struct tl_eth_index_opts {
	/* called after each committed batch (may be NULL) */
	void (*progress)(void *ctx, const struct tl_eth_index_progress *p);
	void *ctx;
	size_t batch_bytes;    /* commit when the batch holds this much (0: 32 MiB) */
	size_t cache_bytes;    /* budget of the account and totals caches (0: 128 MiB) */
	uint32_t undo_depth;   /* keep undo rows (store/eth_undo.h) for this many blocks below
	                        * the tip, so that a reorg that deep rolls back (0: none, as
	                        * for exports) */
};

struct tl_eth_index_result {
	uint64_t blocks, txs, transfers; /* added by this run */
	uint64_t skipped;                /* blocks already in the database (same hash) */
};

/* An indexer on s: its caches (accounts, totals) live from one input to
 * the next, so that an export read in parts is indexed as fast as one
 * read whole. o may be NULL (defaults). Returns a new indexer (free
 * with tl_eth_indexer_free; it does not close s). */
struct tl_eth_indexer;
struct tl_eth_indexer *tl_eth_indexer_new(struct tl_eth_store *s, const struct tl_eth_index_opts *o);
void tl_eth_indexer_free(struct tl_eth_indexer *ix);

/* Indexes the blocks of d (after tl_eth_data_finish) into the indexer's
 * store. Blocks already indexed must match by hash and are skipped; the
 * others must continue the tip (number tip + 1, parent hash = tip hash)
 * and each other, with no gap. Everything is checked before the first
 * write, so an input that does not fit the database stores nothing.
 * Returns 0, or -1 with err. */
int tl_eth_indexer_add(struct tl_eth_indexer *ix, const struct tl_eth_data *d, struct tl_eth_index_result *res,
		       struct tl_err *err) __attribute__((warn_unused_result));

/* tl_eth_indexer_new, _add and _free for one input. */
int tl_eth_index_data(struct tl_eth_store *s, const struct tl_eth_data *d, const struct tl_eth_index_opts *o,
		      struct tl_eth_index_result *res, struct tl_err *err) __attribute__((warn_unused_result));

#endif
