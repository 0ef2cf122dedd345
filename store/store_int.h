/* Private to store/: the store struct shared by store.c and records.c. */
#ifndef TL_STORE_STORE_INT_H
#define TL_STORE_STORE_INT_H

#include <pthread.h>
#include <rocksdb/c.h>

#include "store/store.h"

struct tl_store {
	rocksdb_t *db;
	rocksdb_options_t *dbopt;
	/* index 0 of the arrays given to RocksDB is its mandatory "default"
	 * family (unused); cf[i] is the handle of enum tl_cf i. */
	rocksdb_options_t *cfopt[TL_CF_COUNT + 1];
	rocksdb_column_family_handle_t *handles[TL_CF_COUNT + 1];
	rocksdb_column_family_handle_t **cf;
	rocksdb_cache_t *cache;
	rocksdb_readoptions_t *ro, *ro_iter, *ro_total; /* gets; iterators; whole-family scans */
	rocksdb_writeoptions_t *wo;
	rocksdb_writeoptions_t *wo_nolog; /* bulk writes: no write-ahead log */
	bool log_off;              /* a bulk batch was written: no more logged writes */
	char *path;                /* for tl_store_flush's reopen (bulk) */
	const struct tl_netparams *net;
	bool read_only;
	bool secondary;
	/* A secondary: two instances taking turns (store/views.c); this
	 * handle's db is NULL and reads go to tl_views_reader. */
	struct tl_views *views;
	bool cache_shared;         /* cache belongs to the views' handle */
	/* blocks directory readers (store/blocks.c) */
	pthread_mutex_t blk_lock;
	char *blk_dir;             /* NULL until known */
	bool blk_looked_up;        /* meta "blocks_dir" was read */
	struct tl_blkdir **blk_free;
	int blk_nfree, blk_cap;
};

/* store/store.c: opens one RocksDB instance; cache NULL = its own. */
int tl_store_open_one(const char *path, const struct tl_store_opts *opts, rocksdb_cache_t *cache,
		      struct tl_store **out, struct tl_err *err);

/* store/views.c: the two instances of a secondary. */
int tl_views_open(const char *path, const struct tl_store_opts *opts, struct tl_store *outer, struct tl_err *err);
void tl_views_close(struct tl_store *outer);
int tl_views_catch_up(struct tl_store *outer, bool now_please, struct tl_err *err);
/* The instance a read of outer goes to: the calling thread's view, else
 * the active one. */
struct tl_store *tl_views_reader(struct tl_store *outer);

/* store/blocks.c: releases the readers (tl_store_close). */
void tl_store_blocks_close(struct tl_store *s);

#endif
