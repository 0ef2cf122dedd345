/* Indexing from a node over RPC: rounds of fetching (live/fetch.h) into
 * taintline's blocks directory, each followed by the indexer
 * (indexer/indexer.h) on that directory, until the database holds the
 * node's best chain. */
#ifndef TL_LIVE_INDEX_RPC_H
#define TL_LIVE_INDEX_RPC_H

#include <stdint.h>

#include "indexer/indexer.h"
#include "live/rpc.h"

#define TL_LIVE_DEFAULT_CHUNK 10000u

struct tl_live_index_stats {
	uint32_t rounds;
	uint32_t fetched, reused;      /* blocks written / found already kept */
	uint32_t reorgs;               /* rounds that found the directory's tip off the node's chain */
	int32_t node_tip;              /* the node's height at the last round */
	struct tl_index_stats index;   /* summed over the runs (tip_before of the first, tip_after of the last) */
};

/* Default blocks directory for a database: "<db_path>.blocks" beside it.
 * Returns a malloc'd path (NULL when out of memory). */
char *tl_live_default_blocks_dir(const char *db_path);

/* Brings the database io->db_path up to the node's tip: fetch at most
 * chunk blocks (0 = TL_LIVE_DEFAULT_CHUNK) into io->blocks_dir, index,
 * again until a round finds nothing new. io->stop also stops fetching.
 * Errors: those of tl_fetch_round and tl_index_run. Returns 0 (st
 * filled) or -1 with err; the database and the directory are left
 * consistent either way (the next call resumes). */
int tl_live_index(struct tl_rpc *r, const struct tl_index_opts *io, uint32_t chunk, struct tl_live_index_stats *st,
		  struct tl_err *err) __attribute__((warn_unused_result));

#endif
