/* The physical floor of parsing: the txid hashing every indexer must do,
 * i.e. double SHA-256 of each transaction's serialization without its
 * witness. Shared by the benchmarks that report a ratio against it. */
#ifndef TL_BENCH_TXID_FLOOR_H
#define TL_BENCH_TXID_FLOOR_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bitcoin/block.h"
#include "bitcoin/hash.h"

/* Copies tx's witness-free serialization (version | inputs and outputs |
 * locktime) to out, which holds at least tx->stripped_size bytes. */
static inline void txid_floor_strip(const struct tl_tx *tx, uint8_t *out)
{
	if (!tx->has_witness) {
		memcpy(out, tx->raw, tx->size);
		return;
	}
	size_t body = tx->stripped_size - 8;
	memcpy(out, tx->raw, 4);
	memcpy(out + 4, tx->raw + 6, body); /* after version, marker and flag */
	memcpy(out + 4 + body, tx->raw + tx->size - 4, 4);
}

/* Strips every transaction of b into *buf (grown as needed; caller frees)
 * and returns the bytes written; off gets n_tx + 1 offsets (grown too). */
static inline size_t txid_floor_strip_block(const struct tl_block *b, uint8_t **buf, size_t *cap, uint32_t **off,
					    size_t *off_cap)
{
	size_t total = 0;
	for (uint32_t i = 0; i < b->n_tx; i++) total += b->tx[i].stripped_size;
	if (total > *cap) {
		*cap = total * 2;
		*buf = realloc(*buf, *cap);
	}
	if (b->n_tx + 1 > *off_cap) {
		*off_cap = (b->n_tx + 1) * 2;
		*off = realloc(*off, *off_cap * sizeof **off);
	}
	if (!*buf || !*off) abort();
	size_t pos = 0;
	for (uint32_t i = 0; i < b->n_tx; i++) {
		(*off)[i] = (uint32_t)pos;
		txid_floor_strip(&b->tx[i], *buf + pos);
		pos += b->tx[i].stripped_size;
	}
	(*off)[b->n_tx] = (uint32_t)pos;
	return pos;
}

#endif
