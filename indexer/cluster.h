/* Address clustering, incremental as the indexer writes blocks.
 *
 * Rules (docs/entities.md has the reasoning and sources):
 *   - common-input ownership: the owners of the known inputs of a
 *     transaction are one entity, except in a transaction detected as a
 *     CoinJoin (tl_coinjoin_detect), which never merges anything;
 *   - public key forms: when a key is revealed (a P2PK output, a P2PKH
 *     spend), the P2PK owner and the P2PKH owners of the compressed and the
 *     uncompressed serialization of the same key are one entity;
 *   - optional change heuristics, off by default (TL_CLUSTER_H_*).
 *
 * Union-find with union by size, kept in the cluster family of the store
 * (keys in store/tags.h): every member of a multi-member cluster points
 * straight at its cluster id and the smaller cluster's members are
 * relabelled on a union (so a find is one read; path compression is
 * implicit: paths have length one). Cluster id = the addr_id that
 * founded it; on a union the larger cluster's id survives, ties -> the
 * lower id. Each union records why (heuristic + tx_num + the two
 * addresses) in the survivor's link list.
 *
 * Every write of a block goes into the indexer's batch, with an undo
 * journal of the previous values (key "u" + height), so a block's
 * clustering commits atomically with the block and is rolled back with it
 * (a rolled-back and re-applied chain has the same digest as a fresh one).
 * Reads go through an in-memory overlay of the batch's writes and a cache
 * of committed values bounded by cache_mb.
 *
 * Not thread-safe; one per indexer run. */
#ifndef TL_INDEXER_CLUSTER_H
#define TL_INDEXER_CLUSTER_H

#include <stdint.h>

#include "base/err.h"
#include "bitcoin/tx.h"
#include "store/coinjoin.h"
#include "store/store.h"

/* Why two addresses were merged (the link's heuristic byte). */
enum tl_link_kind {
	TL_LINK_COMMON_INPUT = 1, /* spent together in one transaction */
	TL_LINK_PUBKEY_FORMS = 2, /* same public key, other serialization/type */
	TL_LINK_CHANGE_FRESH = 3, /* change heuristic "fresh-change" */
};
/* Name of a link kind ("common-input", "pubkey-forms", "fresh-change"). */
const char *tl_link_kind_name(int kind);

/* Change heuristics (bit flags), all off by default. */
#define TL_CLUSTER_H_FRESH_CHANGE 1u /* 2 outputs, exactly one to an address first seen in this
					tx and of the same script type as every input: it is change */

struct tl_cluster_opts {
	uint32_t cache_mb;    /* committed-value cache; 0 = 64 */
	uint32_t heuristics;  /* TL_CLUSTER_H_* */
};

struct tl_cluster;

/* Starts clustering on an open store at its current tip. Loads the set
 * of tagged owners (tags applied as their addresses appear). Returns 0
 * and *out (free with tl_cluster_free), or -1. */
int tl_cluster_open(struct tl_store *s, const struct tl_cluster_opts *o, struct tl_cluster **out,
		    struct tl_err *err);
void tl_cluster_free(struct tl_cluster *c);

/* Clusters one transaction just written into batch b (r is its record,
 * tx the parsed transaction, for keys in scriptSigs, witnesses and output
 * scripts). Records the CoinJoin flag and unions (they reach b at
 * tl_cluster_flush). Returns 0 or -1. */
int tl_cluster_tx(struct tl_cluster *c, struct tl_batch *b, const struct tl_tx_rec *r, const struct tl_tx *tx,
		  struct tl_err *err);
/* Ends block `height`: writes its undo journal (if it changed anything)
 * and drops the journal of height - undo_keep, like the indexer's undo. */
void tl_cluster_block_end(struct tl_cluster *c, struct tl_batch *b, int32_t height, uint32_t undo_keep);
/* Puts every cluster key changed since the last flush into b, once each
 * (the overlay keeps them until then). Call right before writing b. */
void tl_cluster_flush(struct tl_cluster *c, struct tl_batch *b);
/* Tells that b was written: the overlay becomes cache (trimmed). */
void tl_cluster_committed(struct tl_cluster *c);
/* Undoes block `height` (the tip) into b from its journal. Returns 0 or -1. */
int tl_cluster_rollback(struct tl_cluster *c, struct tl_batch *b, int32_t height, struct tl_err *err);

/* 1 if the owner with this script key carries tags (as loaded at open). */
int tl_cluster_owner_tagged(const struct tl_cluster *c, const uint8_t *skey, size_t sklen);

/* Counters for the run. */
struct tl_cluster_stats {
	uint64_t unions, relabelled, coinjoins, pubkey_links, change_links, tagged_new;
};
void tl_cluster_get_stats(const struct tl_cluster *c, struct tl_cluster_stats *st);

#endif
