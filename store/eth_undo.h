/* Undo data of the Ethereum database (family eth_undo), so that a reorg
 * found by the node follower rolls the index back exactly: after rolling
 * back blocks down to F, every family holds what an index of the chain
 * up to F holds (db digest equal).
 *
 *   eth_undo  be64 block -> 1 ‖ the tip before the block (80 bytes)
 *                           ‖ be32 n ‖ n transaction hashes
 *                           ‖ be32 m ‖ m × (u8 family ‖ be16 length ‖ key)
 *
 * The rest of what a block wrote is found from the stored rows: its
 * transfers (the block record's [first_seq, first_seq + n_xfer)) give the
 * history rows and the totals to take back; accounts and assets it
 * created are the ids between the previous tip's counters and the
 * current ones. The m extra keys are rows written with the block that
 * nothing else finds (cross-chain links), deleted with it.
 *
 * The indexer keeps undo rows for the last `depth` blocks only (older
 * ones are deleted as blocks arrive); an index written without undo (from
 * an export) cannot be rolled back there. The rows are bookkeeping, not
 * content: the digest leaves them out, since how many exist depends on
 * the reorgs a database went through. */
#ifndef TL_STORE_ETH_UNDO_H
#define TL_STORE_ETH_UNDO_H

#include <stdint.h>

#include "base/bytes.h"
#include "base/err.h"
#include "store/eth_store.h"

/* One block's undo row being built (tl_eth_undo_init .. _free). */
struct tl_eth_undo {
	struct tl_eth_tip prior;
	struct tl_buf txs, extra;
	uint32_t ntx, nextra;
};
void tl_eth_undo_init(struct tl_eth_undo *u, const struct tl_eth_tip *prior);
void tl_eth_undo_free(struct tl_eth_undo *u);
/* Records a transaction hash the block stores. */
void tl_eth_undo_tx(struct tl_eth_undo *u, const uint8_t hash[32]);
/* Records a row (family cf, key of at most 65535 bytes) to delete with the block. */
void tl_eth_undo_key(struct tl_eth_undo *u, enum tl_eth_cf cf, const void *key, size_t kl);
/* Adds u as block height's undo row to b. */
void tl_eth_batch_put_undo(struct tl_eth_batch *b, uint64_t height, const struct tl_eth_undo *u);
/* Adds the deletion of block height's undo row to b. */
void tl_eth_batch_del_undo(struct tl_eth_batch *b, uint64_t height);

/* 1 when block height has an undo row, 0 not, -1 error. */
int tl_eth_store_has_undo(struct tl_eth_store *s, uint64_t height, struct tl_err *err);

/* Rolls back the database's tip block in one atomic write: its block,
 * transactions, transfers, history rows, the totals it changed (a total
 * back to nothing is deleted), the accounts and assets it created, its
 * extra rows and its undo row; the tip becomes the one before it.
 * Refuses (nothing written) when the block has no undo row or the rows
 * disagree with each other. *height gets the block rolled back.
 * Returns 0, or -1 with err. */
int tl_eth_store_rollback_tip(struct tl_eth_store *s, uint64_t *height, struct tl_err *err)
	__attribute__((warn_unused_result));

#endif
