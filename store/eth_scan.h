/* Reading the Ethereum database's transfers in seq (chain) order with
 * one iterator, for replays over the whole chain: a point lookup per
 * transfer costs a seek through every level each time, a scan reads
 * each block of the family once. */
#ifndef TL_STORE_ETH_SCAN_H
#define TL_STORE_ETH_SCAN_H

#include <stdint.h>

#include "store/eth_store.h"

struct tl_eth_xfer_iter;

/* An iterator over the transfers from seq `from` on (free with
 * tl_eth_xfer_iter_free). Returns 0 and *out, or -1. */
int tl_eth_xfer_iter_new(struct tl_eth_store *s, uint64_t from, struct tl_eth_xfer_iter **out, struct tl_err *err)
	__attribute__((warn_unused_result));
/* The next transfer: 1 with *seq and *r, 0 at the end, -1 on a read error
 * or a damaged record. Seqs come in increasing order; a gap (a seq
 * missing) is an error, since the index writes them densely. */
int tl_eth_xfer_iter_next(struct tl_eth_xfer_iter *it, uint64_t *seq, struct tl_eth_xfer_rec *r, struct tl_err *err)
	__attribute__((warn_unused_result));
void tl_eth_xfer_iter_free(struct tl_eth_xfer_iter *it);

#endif
