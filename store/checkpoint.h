/* RocksDB's checkpoint, for both stores' tl_*_checkpoint (store/store.h,
 * store/eth_store.h). Not for use outside store/. */
#ifndef TL_STORE_CHECKPOINT_H
#define TL_STORE_CHECKPOINT_H

#include <rocksdb/c.h>

#include "base/err.h"

/* Writes a checkpoint of db (open for writing) into dir, flushing the
 * memtables first so that the copy needs no log replay. Returns 0 or -1
 * with err (TL_E_STORE). */
int tl_rocks_checkpoint(rocksdb_t *db, const char *dir, struct tl_err *err) __attribute__((warn_unused_result));

#endif
