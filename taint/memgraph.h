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

/* Returns a new empty graph (aborts on out-of-memory). Free with
 * tl_memgraph_free. */
struct tl_memgraph *tl_memgraph_new(void);
/* Frees g and everything in it. NULL is a no-op. */
void tl_memgraph_free(struct tl_memgraph *g);

/* Appends a transaction. n_in == 0 makes a coinbase. Each input names a
 * previous output (prev_tx, vout); its value field is ignored and filled
 * from that output. The previous output must exist and be unspent (it is
 * marked spent by the new transaction), and the outputs must not exceed
 * the inputs (unless coinbase). Arrays are copied.
 * Out: *tx_num (may be NULL) = the new transaction's number.
 * Returns 0, or -1 with err filled (the graph is unchanged). */
int tl_memgraph_add_tx(struct tl_memgraph *g, uint32_t height, int64_t time, int coinjoin,
                       const struct tl_gin *in, uint32_t n_in, const struct tl_gout *out,
                       uint32_t n_out, uint64_t *tx_num, struct tl_err *err);

/* Tags addr_id (non-zero) with category flags, a cluster and a label
 * (copied, truncated to TL_ENTITY_LABEL_MAX - 1; NULL = ""). Replaces an
 * earlier tag. Returns 0, or -1 with err filled for addr_id 0. */
int tl_memgraph_set_entity(struct tl_memgraph *g, uint64_t addr_id, uint32_t cats,
                           uint64_t cluster_id, const char *label, struct tl_err *err);

/* Number of transactions. */
uint64_t tl_memgraph_count(const struct tl_memgraph *g);

/* Fills *out with callbacks over g (g must outlive its use). */
void tl_memgraph_graph(struct tl_memgraph *g, struct tl_graph *out);

#endif
