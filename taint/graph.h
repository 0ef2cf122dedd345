/* The transaction graph as the tracer sees it: an abstract, read-only
 * interface (a struct of function pointers plus a context), so that the
 * walks in taint/walk.h run the same against the RocksDB store (through a
 * thin adapter) and against the in-memory graph of taint/memgraph.h used
 * by tests and benchmarks.
 *
 * Identities are the store's dense integers: tx_num (u64, position of the
 * transaction in the best chain, so "chain order" is numeric order),
 * outref = (tx_num, vout), addr_id (u64, 0 = the output has no address).
 *
 * Memory ownership: every pointer a callback hands out (the input and
 * output arrays of struct tl_gtx, the label of struct tl_entity) belongs
 * to the graph implementation and stays valid only until the next call of
 * the same callback on the same graph (an adapter may reuse one buffer).
 * Callers copy what they keep. Callbacks never take ownership of anything
 * the caller passes. A graph is used from one thread at a time unless its
 * implementation says otherwise. */
#ifndef TL_TAINT_GRAPH_H
#define TL_TAINT_GRAPH_H

#include <stdint.h>

#include "base/err.h"

/* get_spender's answer for an output nobody has spent yet. */
#define TL_GRAPH_UNSPENT UINT64_MAX
/* prev_tx of the input of a coinbase transaction (no previous output). */
#define TL_GRAPH_NO_PREV UINT64_MAX

/* Entity categories (bit flags; an entity may have several). */
enum tl_entity_cat {
	TL_CAT_EXCHANGE = 1u << 0,
	TL_CAT_BRIDGE = 1u << 1,
	TL_CAT_SERVICE = 1u << 2,
	TL_CAT_MIXER = 1u << 3,
	TL_CAT_SANCTIONED = 1u << 4,
};
#define TL_CAT_ALL 0x1fu

/* One input: the output it spends and that output's value. */
struct tl_gin {
	uint64_t prev_tx; /* TL_GRAPH_NO_PREV for a coinbase input */
	uint32_t vout;
	uint64_t value;   /* satoshis of the spent output (0 for coinbase) */
};

/* One output. */
struct tl_gout {
	uint64_t value;      /* satoshis */
	uint64_t addr_id;    /* 0 = no address (OP_RETURN, nonstandard, ...) */
	uint8_t script_type; /* enum tl_script_type of bitcoin/script.h */
};

/* One transaction. in/out are owned by the graph (see above). */
struct tl_gtx {
	uint64_t tx_num;
	uint32_t height;
	int64_t time;     /* block time, Unix seconds */
	int coinbase;     /* 1 for a coinbase: its inputs spend nothing */
	int coinjoin;     /* 1 if the indexer classified it as a CoinJoin */
	uint32_t n_in, n_out;
	const struct tl_gin *in;
	const struct tl_gout *out;
};

/* What the tags say about an address (possibly through its cluster). */
#define TL_ENTITY_LABEL_MAX 64
struct tl_entity {
	uint32_t cats;       /* enum tl_entity_cat flags; 0 = nothing known */
	uint64_t cluster_id; /* 0 = not clustered */
	char label[TL_ENTITY_LABEL_MAX]; /* NUL-terminated, "" if none */
};

struct tl_graph {
	void *ctx; /* passed to every callback; owned by whoever built it */

	/** Reads one transaction.
	 *
	 *  Returns: 0 found; 1 no such transaction (*out untouched); -1 on an
	 *           error (I/O, corrupt record) with err set.
	 *  Args:    ctx: the graph's context; err: receives the message.
	 *  In:      tx_num: the transaction.
	 *  Out:     out: the transaction; its arrays belong to the graph.
	 */
	int (*get_tx)(void *ctx, uint64_t tx_num, struct tl_gtx *out, struct tl_err *err);

	/** The transaction spending output (tx_num, vout).
	 *
	 *  Returns: 0 with *spender set; 1 if the output does not exist; -1 on
	 *           error with err set.
	 *  Args:    ctx: the graph's context; err: receives the message.
	 *  In:      tx_num, vout: the output.
	 *  Out:     spender: the spending tx_num, or TL_GRAPH_UNSPENT if the
	 *           output is unspent.
	 */
	int (*get_spender)(void *ctx, uint64_t tx_num, uint32_t vout, uint64_t *spender,
	                   struct tl_err *err);

	/** Entity information for an address. May be NULL in the struct: no
	 *  address is tagged.
	 *
	 *  Returns: 0 with *out filled; -1 on error with err set.
	 *  Args:    ctx: the graph's context; err: receives the message.
	 *  In:      addr_id: never 0.
	 *  Out:     out: the entity (cats may be 0 = untagged).
	 */
	int (*get_entity)(void *ctx, uint64_t addr_id, struct tl_entity *out, struct tl_err *err);
};

#endif
