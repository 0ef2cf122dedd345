/* CoinJoin detection by transaction shape, on stored transaction records.
 *
 * Shared by the clustering (indexer/cluster.c never merges through a
 * CoinJoin and stores the kind it found) and the tracer (which records a
 * mixer entry when taint passes through one), so that both always agree.
 * Pure: reads only the record. The rules and their sources are in
 * docs/entities.md. */
#ifndef TL_STORE_COINJOIN_H
#define TL_STORE_COINJOIN_H

#include "store/store.h"

/* CoinJoin shapes (the "j" record's value). */
enum tl_coinjoin_kind {
	TL_CJ_NONE = 0,
	TL_CJ_WHIRLPOOL = 1,  /* n inputs -> n outputs of one value, 5 <= n <= 8 */
	TL_CJ_WASABI = 2,     /* >= 10 inputs, >= 3 equal outputs, others (change, fee) <= inputs + 1 */
	TL_CJ_JOINMARKET = 3, /* >= 3 equal outputs, <= as many others, inputs >= equal outputs, >= 2 input owners */
};
const char *tl_coinjoin_kind_name(int kind);

/* Classifies a transaction record (store/store.h) by its shape. Pure:
 * looks only at r's input owners, output values and types. A transaction
 * with an OP_RETURN output is never a CoinJoin (a Whirlpool tx0 is); outputs
 * of 2,730 sat or less are left out of the count. Returns an enum
 * tl_coinjoin_kind. */
int tl_coinjoin_detect(const struct tl_tx_rec *r);

#endif
