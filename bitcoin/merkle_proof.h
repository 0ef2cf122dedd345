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

/* The merkle branch of txids[pos] among n txids (hash order): the
 * sibling hash at each level from the leaves up, where a lone last node
 * is its own sibling (Bitcoin's duplication rule). Writes the number of
 * levels to *depth and the hashes (hash order) to branch, which must hold
 * 64 entries. Returns 0, or -1 when pos >= n or n == 0. */
int tl_merkle_branch(const uint8_t (*txids)[32], size_t n, size_t pos, uint8_t (*branch)[32], int *depth)
	__attribute__((warn_unused_result));

/* Appends Core's merkleblock serialization proving txids[pos]: the 80
 * header bytes, the transaction count (u32 LE), the partial tree's hashes
 * (compact size count, then hash order) and its flag bits (compact size
 * byte count, then the bits least significant first), as BIP37 builds
 * the tree. Returns 0, or -1 when pos >= n or n == 0. */
int tl_merkleblock_proof(const uint8_t header[80], const uint8_t (*txids)[32], size_t n, size_t pos,
			 struct tl_buf *out) __attribute__((warn_unused_result));

#endif
