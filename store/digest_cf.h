/* Private to store/: one column family's part of a database digest,
 * shared by the Bitcoin (store.c) and Ethereum (eth_store.c) databases so
 * that both hash their rows the same way. */
#ifndef TL_STORE_DIGEST_CF_H
#define TL_STORE_DIGEST_CF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <rocksdb/c.h>

/* Feeds ctx the family's name (with its NUL), then every row in key order
 * as BE32 key length, key, BE32 value length, value, skipping the rows
 * for which skip(key, klen) is true (skip may be NULL). *rows gets the
 * rows hashed. Returns NULL, or RocksDB's error (free with rocksdb_free). */
char *tl_digest_cf(EVP_MD_CTX *ctx, rocksdb_t *db, const rocksdb_readoptions_t *ro,
		   rocksdb_column_family_handle_t *cf, const char *name,
		   bool (*skip)(const char *key, size_t klen), uint64_t *rows);

#endif
