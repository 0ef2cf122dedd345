/* What the Ethereum store files beyond eth_store.c (eth_intel.c,
 * eth_scan.c) need of the database: raw reads, iterators, raw puts into
 * a batch, and the transfer record's decoder. Not for use outside store/. */
#ifndef TL_STORE_ETH_STORE_INT_H
#define TL_STORE_ETH_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rocksdb/c.h>

#include "store/eth_store.h"

/* The value of key k in family cf: 1 and *v (free with rocksdb_free),
 * 0 absent, -1 error. */
int tl_eth_store_get_raw(struct tl_eth_store *s, int cf, const void *k, size_t kl, char **v, size_t *vl,
			 struct tl_err *err);
/* An iterator over family cf (caller destroys it). fill_cache false for
 * long scans, which would only evict what point lookups keep warm. */
rocksdb_iterator_t *tl_eth_store_iter(struct tl_eth_store *s, int cf, bool fill_cache);
/* Adds a put of (k, v) in family cf to b (copied). */
void tl_eth_batch_put_raw(struct tl_eth_batch *b, int cf, const void *k, size_t kl, const void *v, size_t vl);
/* Adds a delete of key k in family cf to b (copied); of a put and a
 * delete of one key in a batch, the later counts. */
void tl_eth_batch_del_raw(struct tl_eth_batch *b, int cf, const void *k, size_t kl);
/* Deletes the keys in [a, b) of family cf at once. Returns 0 or -1. */
int tl_eth_store_delete_range(struct tl_eth_store *s, int cf, const void *a, size_t al, const void *b, size_t bl,
			      struct tl_err *err);
/* Sets err from a RocksDB error string (which it frees). Returns -1. */
int tl_eth_store_rocks_err(struct tl_err *err, const char *what, char *rerr);
/* The tip record's layout (80 bytes), also kept in undo rows. */
#define TL_ETH_TIP_BYTES 80
void tl_eth_tip_encode(const struct tl_eth_tip *t, uint8_t v[TL_ETH_TIP_BYTES]);
void tl_eth_tip_decode(const uint8_t v[TL_ETH_TIP_BYTES], struct tl_eth_tip *t);
/* Decodes a stored transfer record. Returns 0, or -1 when damaged. */
int tl_eth_xfer_decode(const char *p, size_t n, struct tl_eth_xfer_rec *r);

#endif
