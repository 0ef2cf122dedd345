/* Typed reads of the cluster family's rows (store/tags.h describes the
 * keys and values): what the tracer reads of clusters, without naming
 * the family or its key layout. The indexer's clustering writes these
 * rows through its own overlay (indexer/cluster.c).
 *
 * Each returns 1 with the decoded row, 0 when the row is absent, -1 with
 * err when the read failed, and -2 with err ("corrupt ...") when the row
 * does not decode. */
#ifndef TL_STORE_CLUSTER_ROWS_H
#define TL_STORE_CLUSTER_ROWS_H

#include <stdint.h>

#include "base/err.h"
#include "store/store.h"
#include "store/tags.h"

/** The "a" row of an address: its cluster, the next member of the list.
 *
 *  Returns: 1, 0, -1, -2 as above.
 *  In:      addr_id: the address.
 *  Out:     *cluster_id, *next (0 at the end of the list), *size (the
 *           cluster's size on the cluster id's own row, else 0).
 */
int tl_cluster_addr_get(struct tl_store *s, uint64_t addr_id, uint64_t *cluster_id, uint64_t *next, uint64_t *size,
                        struct tl_err *err) __attribute__((warn_unused_result));

/** The stored summary of a cluster (tags folded; absent without tags).
 *
 *  Returns: 1, 0, -1, -2 as above.
 *  Out:     *sum.
 */
int tl_cluster_summary_get(struct tl_store *s, uint64_t cluster_id, struct tl_cluster_summary *sum,
                           struct tl_err *err) __attribute__((warn_unused_result));

/** The link row of an absorbed cluster id: the heuristic, transaction
 *  and the two addresses that united it with its cluster.
 *
 *  Returns: 1, 0, -1, -2 as above.
 *  Out:     *kind, *tx_num, *a, *b.
 */
int tl_cluster_link_get(struct tl_store *s, uint64_t absorbed_id, int *kind, uint64_t *tx_num, uint64_t *a,
                        uint64_t *b, struct tl_err *err) __attribute__((warn_unused_result));

/** The CoinJoin mark of a transaction.
 *
 *  Returns: its kind (nonzero) when marked, 0 when not, -1 with err.
 */
int tl_cluster_coinjoin_get(struct tl_store *s, uint64_t tx_num, struct tl_err *err)
	__attribute__((warn_unused_result));

#endif
