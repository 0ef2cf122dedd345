/* One column family's part of a database digest (digest_cf.h). */
#include "store/digest_cf.h"

#include <string.h>

#include "base/bytes.h"

char *tl_digest_cf(EVP_MD_CTX *ctx, rocksdb_t *db, const rocksdb_readoptions_t *ro,
		   rocksdb_column_family_handle_t *cf, const char *name,
		   bool (*skip)(const char *key, size_t klen), uint64_t *rows)
{
	EVP_DigestUpdate(ctx, name, strlen(name) + 1);
	uint64_t n = 0;
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(db, ro, cf);
	for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
		size_t kl, vl;
		const char *k = rocksdb_iter_key(it, &kl);
		const char *v = rocksdb_iter_value(it, &vl);
		if (skip && skip(k, kl)) continue;
		uint8_t len[4];
		tl_put_be32(len, (uint32_t)kl);
		EVP_DigestUpdate(ctx, len, 4);
		EVP_DigestUpdate(ctx, k, kl);
		tl_put_be32(len, (uint32_t)vl);
		EVP_DigestUpdate(ctx, len, 4);
		EVP_DigestUpdate(ctx, v, vl);
		n++;
	}
	char *rerr = NULL;
	rocksdb_iter_get_error(it, &rerr);
	rocksdb_iter_destroy(it);
	*rows = n;
	return rerr;
}
