/* Merkle inclusion proofs of one transaction in a block, in the two
 * formats Esplora serves: Electrum's branch (blockchain.transaction.
 * get_merkle) and Bitcoin Core's merkleblock (a header and a BIP37
 * partial merkle tree matching one transaction). Both are computed from
 * the block's txids; neither needs the transactions themselves. */
#ifndef TL_BITCOIN_MERKLE_PROOF_H
#define TL_BITCOIN_MERKLE_PROOF_H

#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"

/** The merkle branch of txids[pos]: the sibling hash at each level from
 *  the leaves up, where a lone last node is its own sibling (Bitcoin's
 *  duplication rule).
 *
 *  Returns: 0 on success; -1 when pos >= n or n == 0.
 *  In:      txids, n: the block's txids, hash order; pos: the leaf.
 *  Out:     branch: the hashes, hash order (must hold 64 entries);
 *           depth: the number of levels.
 */
int tl_merkle_branch(const uint8_t (*txids)[32], size_t n, size_t pos, uint8_t (*branch)[32], int *depth)
	__attribute__((warn_unused_result));

/** Appends Core's merkleblock serialization proving txids[pos]: the 80
 *  header bytes, the transaction count (u32 LE), the partial tree's hashes
 *  (compact size count, then hash order) and its flag bits (compact size
 *  byte count, then the bits least significant first), as BIP37 builds
 *  the tree.
 *
 *  Returns: 0 on success; -1 when pos >= n or n == 0.
 *  In:      header: the block header; txids, n: the block's txids, hash
 *           order; pos: the transaction to prove.
 *  Out:     out: an initialised buffer the proof is appended to.
 */
int tl_merkleblock_proof(const uint8_t header[80], const uint8_t (*txids)[32], size_t n, size_t pos,
			 struct tl_buf *out) __attribute__((warn_unused_result));

#endif
