/* An in-memory transaction graph implementing taint/graph.h, for tests
 * and benchmarks. Transactions are appended in chain order and numbered
 * 0, 1, 2, ... (tx_num = order of addition). Not thread-safe.
 *
 * Memory: the memgraph owns everything it stores; pointers handed out by
 * its callbacks stay valid until the next tl_memgraph_add_tx (which may
 * move its arrays) or tl_memgraph_free. */
#ifndef TL_TAINT_MEMGRAPH_H
#define TL_TAINT_MEMGRAPH_H

#include <stdint.h>

#include "base/err.h"
#include "taint/graph.h"

struct tl_memgraph;

/** Creates an empty graph.
 *
 *  Returns: the graph, freed with tl_memgraph_free; aborts on out-of-memory.
 */
struct tl_memgraph *tl_memgraph_new(void);
/** Frees g and everything in it. NULL is a no-op. */
void tl_memgraph_free(struct tl_memgraph *g);

/** Appends a transaction. The previous output of each input must exist
 *  and be unspent (it is marked spent by the new transaction), and the
 *  outputs must not exceed the inputs (unless coinbase).
 *
 *  Returns: 0 on success, -1 on failure with err set (the graph is unchanged).
 *  Args:    g: the graph; err: receives the message; may be NULL.
 *  In:      height, time, coinjoin: the transaction's facts; in, n_in: the
 *           inputs, each naming a previous output (prev_tx, vout), their
 *           value field ignored and filled from that output (n_in == 0
 *           makes a coinbase); out, n_out: the outputs. Arrays are copied.
 *  Out:     tx_num: the new transaction's number; may be NULL.
 */
int tl_memgraph_add_tx(struct tl_memgraph *g, uint32_t height, int64_t time, int coinjoin,
                       const struct tl_gin *in, uint32_t n_in, const struct tl_gout *out,
                       uint32_t n_out, uint64_t *tx_num, struct tl_err *err)
	__attribute__((warn_unused_result));

/** Tags an address with category flags, a cluster and a label, replacing
 *  an earlier tag.
 *
 *  Returns: 0 on success; -1 with err set for addr_id 0.
 *  Args:    g: the graph; err: receives the message; may be NULL.
 *  In:      addr_id: non-zero; cats, cluster_id: the tag; label: copied,
 *           truncated to TL_ENTITY_LABEL_MAX - 1 (NULL = "").
 */
int tl_memgraph_set_entity(struct tl_memgraph *g, uint64_t addr_id, uint32_t cats,
                           uint64_t cluster_id, const char *label, struct tl_err *err)
	__attribute__((warn_unused_result));

/** Returns: the number of transactions. */
uint64_t tl_memgraph_count(const struct tl_memgraph *g);

/** Exposes g through the graph interface.
 *
 *  In:      g: the graph, which must outlive *out's use.
 *  Out:     out: callbacks over g.
 */
void tl_memgraph_graph(struct tl_memgraph *g, struct tl_graph *out);

#endif
