/* See checkpoint.h. */
#include "store/checkpoint.h"

#include <stdlib.h>

int tl_rocks_checkpoint(rocksdb_t *db, const char *dir, struct tl_err *err)
{
	char *rerr = NULL;
	rocksdb_checkpoint_t *cp = rocksdb_checkpoint_object_create(db, &rerr);
	if (cp) {
		rocksdb_checkpoint_create(cp, dir, 0, &rerr); /* 0: flush first, so no log to replay */
		rocksdb_checkpoint_object_destroy(cp);
	}
	if (!rerr) return 0;
	int r = tl_err_setc(err, TL_E_STORE, "writing the checkpoint: %s", rerr);
	free(rerr);
	return r;
}
