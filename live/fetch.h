/* Copies a Bitcoin Core node's best chain into taintline's own blocks
 * directory (live/blkout.h) over JSON-RPC (live/rpc.h), so that the
 * indexer reads it as it reads a node's blk files.
 *
 * One round: scan the directory's best chain; walk down from its tip
 * asking the node `getblockheader` until a block is on the node's best
 * chain (confirmations >= 0), which is the fork point after a reorg; then
 * `getblockhash` / `getblock HASH 0` for each height above it up to the
 * node's tip. Each block is checked before it is written: its header
 * hashes to the hash asked for and links to the block below. The blocks
 * of a lost branch stay in the directory as stale blocks, as in Core's:
 * the new branch has more work, so the indexer's most-work chain is the
 * node's, and it rolls the database back as after any reorg. */
#ifndef TL_LIVE_FETCH_H
#define TL_LIVE_FETCH_H

#include <signal.h>
#include <stdint.h>

#include "base/err.h"
#include "bitcoin/network.h"
#include "live/rpc.h"

struct tl_fetch_opts {
	const char *blocks_dir;           /* required; created when absent */
	const struct tl_netparams *net;   /* required */
	uint32_t max_blocks;              /* most blocks fetched in one round; 0 = no limit */
	volatile sig_atomic_t *stop;      /* if non-NULL and set, stop after the current block */
};

struct tl_fetch_stats {
	int32_t node_tip;       /* the node's height when asked */
	int32_t fork_height;    /* last common height when the directory's tip left the node's chain, else -2 */
	uint32_t fetched;       /* blocks written */
	uint32_t reused;        /* blocks already in the directory (a branch that came back) */
	int32_t tip;            /* height of the directory's chain after the round (-1 = empty) */
	uint64_t bytes;
	int caught_up;          /* 1 if tip == node_tip and it links */
};

/* Checks that the node is on net (getblockchaininfo "chain"). Returns 0,
 * or -1 with err (another network, the node unreachable after the
 * client's attempts). */
int tl_fetch_check_network(struct tl_rpc *r, const struct tl_netparams *net, struct tl_err *err)
	__attribute__((warn_unused_result));

/* Runs one round as described above. Errors: the node unreachable after
 * the client's attempts, a block that does not hash to its hash or does
 * not link, a pruned node, a node whose best chain has less work than
 * blocks already kept (after invalidateblock), I/O. A reorg on the node
 * during the round ends the round early (caught_up 0): call again.
 * Returns 0 (st filled) or -1 with err. */
int tl_fetch_round(struct tl_rpc *r, const struct tl_fetch_opts *o, struct tl_fetch_stats *st, struct tl_err *err)
	__attribute__((warn_unused_result));

#endif
