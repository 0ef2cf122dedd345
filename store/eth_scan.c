/* Transfers in seq order with one RocksDB iterator (eth_scan.h). */
#include "store/eth_scan.h"

#include <stdlib.h>

#include "base/bytes.h"
#include "store/eth_store_int.h"

struct tl_eth_xfer_iter {
	rocksdb_iterator_t *it;
	uint64_t next; /* the seq expected next */
	int started;
};

int tl_eth_xfer_iter_new(struct tl_eth_store *s, uint64_t from, struct tl_eth_xfer_iter **out, struct tl_err *err)
{
	struct tl_eth_xfer_iter *x = calloc(1, sizeof *x);
	if (!x) return tl_err_set(err, "out of memory");
	x->it = tl_eth_store_iter(s, TL_ECF_XFER, false);
	uint8_t k[8];
	tl_put_be64(k, from);
	rocksdb_iter_seek(x->it, (const char *)k, 8);
	x->next = from;
	*out = x;
	return 0;
}

int tl_eth_xfer_iter_next(struct tl_eth_xfer_iter *x, uint64_t *seq, struct tl_eth_xfer_rec *r, struct tl_err *err)
{
	if (x->started) rocksdb_iter_next(x->it);
	x->started = 1;
	if (!rocksdb_iter_valid(x->it)) {
		char *rerr = NULL;
		rocksdb_iter_get_error(x->it, &rerr);
		return rerr ? tl_eth_store_rocks_err(err, "reading transfers", rerr) : 0;
	}
	size_t kl, vl;
	const char *k = rocksdb_iter_key(x->it, &kl);
	const char *v = rocksdb_iter_value(x->it, &vl);
	if (kl != 8) return tl_err_set(err, "a transfer key is damaged");
	uint64_t s = tl_get_be64((const uint8_t *)k);
	if (s != x->next) return tl_err_set(err, "transfer %llu missing from the index", (unsigned long long)x->next);
	if (tl_eth_xfer_decode(v, vl, r) < 0) return tl_err_set(err, "transfer %llu: record damaged", (unsigned long long)s);
	*seq = s;
	x->next = s + 1;
	return 1;
}

void tl_eth_xfer_iter_free(struct tl_eth_xfer_iter *x)
{
	if (!x) return;
	rocksdb_iter_destroy(x->it);
	free(x);
}
