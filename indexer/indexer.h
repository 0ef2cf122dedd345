/* The indexer: reads a Bitcoin Core blocks directory, follows its best
 * chain and writes the transaction graph into the store (store/store.h).
 *
 * Each run indexes what is new since the database tip. If the best chain
 * of the blocks directory no longer contains the tip (a reorg), blocks are
 * rolled back to the fork point with the undo data kept for the last
 * undo_keep blocks, then the new branch is applied. Writes are grouped
 * into batches of whole blocks; each batch carries the new tip, so a crash
 * at any instant leaves a database that resumes where it stopped.
 *
 * Prevouts are resolved through an in-memory cache (outputs by txid)
 * bounded by cache_mb, backed by the utxo family. An input whose prevout
 * is not in the index is recorded as unknown and counted. */
#ifndef TL_INDEXER_INDEXER_H
#define TL_INDEXER_INDEXER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "bitcoin/network.h"

#define TL_INDEX_DEFAULT_UNDO_KEEP 288u

struct tl_index_progress {
	const char *phase;          /* "scan", "rollback", "index", "done" */
	int32_t height;             /* last block written */
	int32_t target;             /* last height this run will write */
	int32_t start;              /* first height of this run */
	uint64_t txs, inputs, outputs; /* this run */
	uint64_t bytes;             /* block bytes read this run */
	double elapsed;             /* seconds since the run started */
};

typedef void (*tl_index_progress_fn)(void *ctx, const struct tl_index_progress *p);
/* Warnings (skipped garbage in blk files, ...), one line each. */
typedef void (*tl_index_warn_fn)(void *ctx, const char *msg);

struct tl_index_opts {
	const char *blocks_dir;
	const char *db_path;
	const struct tl_netparams *net;   /* required */
	/* The index of blocks (about 120 bytes a block), then the prevout,
	 * owner and clustering caches and RocksDB's cache; 0 = 512. */
	uint32_t cache_mb;
	/* cache_mb is for the caches alone, the index of blocks comes on
	 * top (the server's follow mode, which has no memory bound to keep). */
	bool blocks_index_beside_cache;
	int32_t until;                    /* last height to index; -1 = the whole chain */
	uint32_t undo_keep;               /* 0 = TL_INDEX_DEFAULT_UNDO_KEEP */
	uint32_t batch_tx;                /* transactions per commit; 0 = 50000 */
	tl_index_progress_fn progress;    /* may be NULL; called at most a few times a second */
	tl_index_warn_fn warn;            /* may be NULL */
	void *ctx;                        /* passed to progress and warn */
	volatile sig_atomic_t *stop;      /* if non-NULL and set, stop at the next commit */
	int no_cluster;                   /* 1: no address clustering (indexer/cluster.h) */
	uint32_t cluster_heuristics;      /* TL_CLUSTER_H_* change heuristics; 0 = none */
};

struct tl_index_stats {
	int32_t tip_before, tip_after;    /* heights (-1 = empty) */
	int32_t fork_height;              /* height kept on a reorg, else -2 */
	uint32_t blocks_rolled_back;
	/* The reorg of this run (blocks_rolled_back > 0): transactions rolled
	 * back, and of those the ones not in the new branch as far as this
	 * run indexed it (dropped or not mined yet); tagged owners rolled
	 * back (their tags pending again) and tagged owners that appeared in
	 * this run (their tags applied again or for the first time; 0 with
	 * clustering off). Each reorg is also counted in meta "reorgs". */
	uint64_t reorg_txs, reorg_dropped;
	uint32_t tagged_rolled_back, tagged_applied;
	uint32_t blocks_indexed;
	uint64_t txs, inputs, outputs;
	uint64_t unknown_inputs;          /* in this run */
	uint64_t unknown_inputs_total;    /* in the whole database */
	uint64_t bytes;                   /* block bytes read */
	uint64_t cache_hits, cache_misses;
	uint64_t db_bytes;                /* SST bytes after the run */
	double seconds;
	int stopped;                      /* 1 if *stop ended the run early */
	uint32_t blk_files;               /* scan report */
	uint32_t stale_blocks, garbage_skips;
};

/* Runs the indexer as described above. Errors (clear messages; the
 * database is left at its last committed tip): the blocks directory is
 * missing, a blk file is missing from the sequence, a block of the chain
 * does not parse or fails its merkle check, the database is locked by
 * another process or is for another network, a reorg is deeper than the
 * kept undo data. Returns 0 (stats filled) or -1. */
int tl_index_run(const struct tl_index_opts *o, struct tl_index_stats *st, struct tl_err *err);

#endif
