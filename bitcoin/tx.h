/* Transactions: legacy and segwit (BIP144) serialization, parsed as
 * views into the caller's bytes (nothing is copied), with txid, wtxid,
 * size, stripped size, weight and vsize. */
#ifndef TL_BITCOIN_TX_H
#define TL_BITCOIN_TX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/bytes.h"
#include "base/err.h"

#define TL_COINBASE_VOUT 0xffffffffu

struct tl_txin {
	const uint8_t *prev_txid;   /* 32 bytes, hash order; points into the tx */
	uint32_t prev_vout;
	uint32_t sequence;
	const uint8_t *script_sig;
	uint32_t script_sig_len;
	/* This input's witness stack as serialized (a CompactSize item count,
	 * then items); NULL with witness_len 0 if the tx has no witness. */
	const uint8_t *witness;
	uint32_t witness_len;
	uint32_t witness_items;
};

struct tl_txout {
	uint64_t value;             /* satoshis */
	const uint8_t *script;      /* scriptPubKey; points into the tx */
	uint32_t script_len;
};

struct tl_tx {
	const uint8_t *raw;         /* full serialization (not owned) */
	uint32_t size;              /* bytes with witness */
	uint32_t stripped_size;     /* bytes without witness */
	int32_t version;
	uint32_t locktime;
	bool has_witness;           /* BIP144 marker and flag present */
	uint32_t n_in, n_out;
	struct tl_txin *in;         /* n_in entries, in the parse arena */
	struct tl_txout *out;       /* n_out entries, in the parse arena */
	uint8_t txid[32];           /* hash order */
};

/** Parses one transaction and computes its txid. Rejects truncated data,
 *  absurd counts, a witness flag other than 1 and a witness flag with no
 *  witness data.
 *
 *  Returns: 0 on success, -1 on failure with err set.
 *  Args:    arena: holds the input and output arrays; err: receives the
 *           message; may be NULL.
 *  In/Out:  r: the reader, advanced past the transaction.
 *  Out:     tx: views into r's bytes (nothing copied), which must outlive tx.
 */
int tl_tx_parse(struct tl_reader *r, struct tl_arena *arena, struct tl_tx *tx, struct tl_err *err)
	__attribute__((warn_unused_result));

/** The wtxid (hash of the full serialization). Computed on demand: the
 *  indexer never needs it, and hashing witness bytes a second time would
 *  double the cost of parsing segwit blocks.
 *
 *  In:      tx: a parsed transaction.
 *  Out:     out: the wtxid, hash order.
 */
void tl_tx_wtxid(const struct tl_tx *tx, uint8_t out[32]);

/* Weight = stripped_size * 3 + size (BIP141); vsize rounds up. */
static inline uint32_t tl_tx_weight(const struct tl_tx *tx) { return tx->stripped_size * 3 + tx->size; }
static inline uint32_t tl_tx_vsize(const struct tl_tx *tx) { return (tl_tx_weight(tx) + 3) / 4; }

static inline bool tl_tx_is_coinbase(const struct tl_tx *tx)
{
	if (tx->n_in != 1 || tx->in[0].prev_vout != TL_COINBASE_VOUT) return false;
	for (int i = 0; i < 32; i++)
		if (tx->in[0].prev_txid[i]) return false;
	return true;
}

/** Iterates over the items of an input's witness.
 *
 *  Returns: 1 with the next item, 0 at the end.
 *  In:      in: the input.
 *  In/Out:  pos: start at 0; advanced past each item.
 *  Out:     item, len: the item, pointing into the transaction.
 */
int tl_witness_next(const struct tl_txin *in, size_t *pos, const uint8_t **item, size_t *len);

#endif
