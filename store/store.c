/* The database: RocksDB setup, column families, meta, batches, raw
 * access, digest. With store/records.c and store/checkpoint.c, the files
 * of this store that include rocksdb/c.h. */
#include "store/store.h"
#include "store/checkpoint.h"
#include "store/store_int.h"
#include "store/digest_cf.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "base/bytes.h"

static const char *cf_names[TL_CF_COUNT] = {
	"meta", "block", "blockhash", "txid", "tx", "spend", "addr", "addr_info",
	"hist", "utxo", "undo", "cluster", "tag", "heist", "taint", "scripthash",
	"xlink",
};

const char *tl_cf_name(enum tl_cf cf)
{
	return (unsigned)cf < TL_CF_COUNT ? cf_names[cf] : "?";
}

/* RocksDB reports a held LOCK file as an IO error mentioning the lock. */
static int rocks_err(struct tl_err *err, const char *what, char *rerr)
{
	int r;
	if (rerr && strcasestr(rerr, "lock") && (strcasestr(rerr, "IO error") || strcasestr(rerr, "unavailable")))
		r = tl_err_setc(err, TL_E_CONFLICT, "database is in use by another process (%s)", rerr);
	else
		r = tl_err_setc(err, TL_E_STORE, "%s: %s", what, rerr ? rerr : "unknown RocksDB error");
	free(rerr);
	return r;
}

/* Bytes for all memtables together (store.h memtable_mb). The
 * environment variable TL_TEST_SMALL_MEMTABLE (tests only) makes them
 * tiny, so that flushes happen every few blocks. */
static size_t memtable_bytes(const struct tl_store_opts *o)
{
	if (getenv("TL_TEST_SMALL_MEMTABLE")) return 512u << 10;
	uint32_t mb = o->memtable_mb ? o->memtable_mb : o->bulk ? 128 : 64;
	if (mb < 8) mb = 8;
	return (size_t)mb << 20;
}

static rocksdb_options_t *cf_options(struct tl_store *s, enum tl_cf cf, const struct tl_store_opts *o)
{
	rocksdb_options_t *opt = rocksdb_options_create();
	rocksdb_block_based_table_options_t *bb = rocksdb_block_based_options_create();
	rocksdb_block_based_options_set_block_cache(bb, s->cache);
	rocksdb_block_based_options_set_block_size(bb, 16 * 1024);
	/* Index and filter blocks live in the block cache, partitioned
	 * (only the partitions in use are loaded) with their top level and
	 * the L0 files' blocks pinned there: beside the cache they grew with
	 * the database (4 to 5 bytes per transaction), and a partitioned
	 * filter is built a partition at a time, where a whole file's Ribbon
	 * filter took 80+ MiB to build in a compaction. */
	rocksdb_block_based_options_set_cache_index_and_filter_blocks(bb, 1);
	rocksdb_block_based_options_set_cache_index_and_filter_blocks_with_high_priority(bb, 1);
	rocksdb_block_based_options_set_pin_top_level_index_and_filter(bb, 1);
	rocksdb_block_based_options_set_pin_l0_filter_and_index_blocks_in_cache(bb, 1);
	rocksdb_block_based_options_set_index_type(bb, rocksdb_block_based_table_index_type_two_level_index_search);
	rocksdb_block_based_options_set_metadata_block_size(bb, 4096);
	if (cf == TL_CF_TXID || cf == TL_CF_ADDR || cf == TL_CF_UTXO || cf == TL_CF_SPEND || cf == TL_CF_BLOCKHASH ||
	    cf == TL_CF_CLUSTER || cf == TL_CF_SCRIPTHASH) {
		rocksdb_block_based_options_set_filter_policy(bb, rocksdb_filterpolicy_create_ribbon(10));
		rocksdb_block_based_options_set_partition_filters(bb, 1);
	}
	/* txid lookups are prefix seeks: the filter holds prefixes only */
	if (cf == TL_CF_TXID) rocksdb_block_based_options_set_whole_key_filtering(bb, 0);
	rocksdb_options_set_block_based_table_factory(opt, bb);
	rocksdb_block_based_options_destroy(bb);
	if (cf == TL_CF_TXID) {
		/* txid keys are a txid prefix then tx_num: lookups are prefix seeks. */
		rocksdb_options_set_prefix_extractor(opt, rocksdb_slicetransform_create_fixed_prefix(TL_TXID_PREFIX));
		rocksdb_options_set_memtable_prefix_bloom_size_ratio(opt, 0.05);
	}
	if (cf == TL_CF_ADDR || cf == TL_CF_UTXO || cf == TL_CF_CLUSTER || cf == TL_CF_SCRIPTHASH) {
		/* New owners and spent outputs are mostly misses: a memtable
		 * bloom filter answers them without a skiplist search. */
		rocksdb_options_set_memtable_prefix_bloom_size_ratio(opt, 0.05);
		rocksdb_options_set_memtable_whole_key_filtering(opt, 1);
	}
	/* zstd on every level, L0 included: files of sequential keys (tx,
	 * block) move down to the last level without being rewritten, so
	 * flush-time (lz4) blocks would stay there for good. */
	rocksdb_options_set_compression(opt, rocksdb_zstd_compression);
	/* zstd level 1 where files are rewritten by later compactions, 6 on
	 * the last level (about 2% smaller than 3, at no measurable cost in
	 * indexing time); 3 everywhere for tx, whose sequential keys move its
	 * files down without a rewrite. */
	rocksdb_options_set_compression_options(opt, -14, cf == TL_CF_TX ? 3 : 1, 0, 0);
	rocksdb_options_set_bottommost_compression(opt, rocksdb_zstd_compression);
	rocksdb_options_set_bottommost_compression_options(opt, -14, 6, 0, 0, 1);
	/* Memtables: the families written while indexing get half the
	 * budget each. With atomic flush, one family's full memtable flushes
	 * every family, so a small one there (cluster, addr) would make many
	 * small files everywhere; the total is capped by the budget anyway. */
	size_t total = memtable_bytes(o);
	size_t wb = total / 8;
	if (cf == TL_CF_TX || cf == TL_CF_HIST || cf == TL_CF_TXID || cf == TL_CF_UTXO || cf == TL_CF_SPEND ||
	    cf == TL_CF_ADDR_INFO || cf == TL_CF_ADDR || cf == TL_CF_CLUSTER || cf == TL_CF_SCRIPTHASH)
		wb = total / 2;
	if (wb < (64u << 10)) wb = 64u << 10;
	rocksdb_options_set_write_buffer_size(opt, wb);
	/* Memtables grow by arena blocks, by default an eighth of the write
	 * buffer (6 MiB here): a dozen families each holding one, mostly
	 * empty, took a large part of the memtable budget. */
	rocksdb_options_set_arena_block_size(opt, wb / 64 > (64u << 10) ? wb / 64 : 64u << 10);
	rocksdb_options_set_level_compaction_dynamic_level_bytes(opt, 1);
	/* 16 MiB table files (RocksDB's default is 64): a compaction builds
	 * each output file's filter in memory, and with 64 MiB files that
	 * peaked 200+ MiB above the indexer's budget on a 10M-tx chain. */
	rocksdb_options_set_target_file_size_base(opt, 16u << 20);
	return opt;
}

static int meta_get(struct tl_store *s, const char *name, uint8_t **v, size_t *vl, struct tl_err *err)
{
	return tl_store_get(s, TL_CF_META, name, strlen(name), v, vl, err);
}

int tl_store_open(const char *path, const struct tl_store_opts *opts, struct tl_store **out, struct tl_err *err)
{
	*out = NULL;
	if (!opts->secondary) return tl_store_open_one(path, opts, NULL, out, err);
	/* A secondary: two instances sharing one block cache (store/views.c). */
	struct tl_store *s = calloc(1, sizeof *s);
	if (!s) return tl_err_set(err, "out of memory");
	pthread_mutex_init(&s->blk_lock, NULL);
	s->cache = rocksdb_cache_create_lru((size_t)(opts->cache_mb ? opts->cache_mb : 64) << 20);
	s->read_only = s->secondary = true;
	s->path = strdup(path);
	if (!s->path) abort();
	if (!opts->secondary_path) {
		tl_store_close(s);
		return tl_err_set(err, "%s: a secondary open needs a secondary path", path);
	}
	if (tl_views_open(path, opts, s, err) < 0) {
		tl_store_close(s);
		return -1;
	}
	*out = s;
	return 0;
}

int tl_store_open_one(const char *path, const struct tl_store_opts *opts, rocksdb_cache_t *cache,
		      struct tl_store **out, struct tl_err *err)
{
	*out = NULL;
	struct tl_store *s = calloc(1, sizeof *s);
	if (!s) return tl_err_set(err, "out of memory");
	pthread_mutex_init(&s->blk_lock, NULL);
	uint32_t cache_mb = opts->cache_mb ? opts->cache_mb : 64;
	s->cache = cache ? cache : rocksdb_cache_create_lru((size_t)cache_mb << 20);
	s->cache_shared = cache != NULL;
	s->dbopt = rocksdb_options_create();
	bool ro = opts->read_only || opts->secondary;
	rocksdb_options_set_create_if_missing(s->dbopt, opts->create && !ro);
	rocksdb_options_set_create_missing_column_families(s->dbopt, opts->create && !ro);
	rocksdb_options_set_max_background_jobs(s->dbopt, 2);
	rocksdb_options_set_max_open_files(s->dbopt, 512);
	/* At open RocksDB loads table files with 16 threads per column family
	 * by default: about 240 threads started and joined at every open,
	 * most of the time of opening a small database (an index run every
	 * block, imports, tests). Four per family are as fast on the few
	 * hundred files an open loads. */
	rocksdb_options_set_max_file_opening_threads(s->dbopt, 4);
	rocksdb_options_set_atomic_flush(s->dbopt, 1);
	rocksdb_options_set_keep_log_file_num(s->dbopt, 2);
	rocksdb_options_set_info_log_level(s->dbopt, 2);
	/* Memtables of all families together stay under this. */
	rocksdb_options_set_db_write_buffer_size(s->dbopt, memtable_bytes(opts));

	if (!opts->create || ro) {
		struct stat st;
		char cur[4096];
		snprintf(cur, sizeof cur, "%s/CURRENT", path);
		if (stat(cur, &st) != 0) {
			tl_store_close(s);
			return tl_err_set(err, "%s: no database here (run 'taintline index' first)", path);
		}
	}

	const char *names[TL_CF_COUNT + 1];
	const rocksdb_options_t *cfo[TL_CF_COUNT + 1];
	names[0] = "default";
	s->cfopt[0] = rocksdb_options_create();
	cfo[0] = s->cfopt[0];
	for (int i = 0; i < TL_CF_COUNT; i++) {
		names[i + 1] = cf_names[i];
		s->cfopt[i + 1] = cf_options(s, (enum tl_cf)i, opts);
		cfo[i + 1] = s->cfopt[i + 1];
	}
	s->cf = s->handles + 1;
	char *rerr = NULL;
	if (opts->secondary) {
		if (!opts->secondary_path) {
			tl_store_close(s);
			return tl_err_set(err, "%s: a secondary open needs a secondary path", path);
		}
		/* RocksDB requires every file open for a secondary to follow the primary. */
		rocksdb_options_set_max_open_files(s->dbopt, -1);
		s->db = rocksdb_open_as_secondary_column_families(s->dbopt, path, opts->secondary_path, TL_CF_COUNT + 1,
								  names, cfo, s->handles, &rerr);
	} else if (opts->read_only)
		s->db = rocksdb_open_for_read_only_column_families(s->dbopt, path, TL_CF_COUNT + 1, names, cfo, s->handles, 0,
								   &rerr);
	else
		s->db = rocksdb_open_column_families(s->dbopt, path, TL_CF_COUNT + 1, names, cfo, s->handles, &rerr);
	if (!s->db) {
		rocks_err(err, "opening the database", rerr);
		tl_err_prefix(err, "%s: ", path);
		tl_store_close(s);
		return -1;
	}
	s->path = strdup(path);
	if (!s->path) abort();
	s->ro = rocksdb_readoptions_create();
	/* Iterators serve queries (history pages, txid prefixes): their
	 * blocks are cached like those of gets. Whole-family scans (digest)
	 * do not fill the cache. */
	s->ro_iter = rocksdb_readoptions_create();
	rocksdb_readoptions_set_total_order_seek(s->ro_iter, 1);
	s->ro_total = rocksdb_readoptions_create();
	rocksdb_readoptions_set_total_order_seek(s->ro_total, 1);
	rocksdb_readoptions_set_fill_cache(s->ro_total, 0);
	s->wo = rocksdb_writeoptions_create();
	rocksdb_writeoptions_set_sync(s->wo, 0);
	s->wo_nolog = rocksdb_writeoptions_create();
	rocksdb_writeoptions_disable_WAL(s->wo_nolog, 1);
	s->read_only = opts->read_only || opts->secondary;
	s->secondary = opts->secondary;

	/* Network and schema. */
	uint8_t *v = NULL;
	size_t vl = 0;
	int r = meta_get(s, "network", &v, &vl, err);
	if (r < 0) goto fail;
	if (r == 0) {
		if (!opts->create || ro) {
			tl_err_set(err, "%s: not a taintline database (no network recorded)", path);
			goto fail;
		}
		if (!opts->net) {
			tl_err_set(err, "%s: a new database needs a network", path);
			goto fail;
		}
		struct tl_batch *b = tl_batch_new(s);
		uint8_t ver[4];
		tl_put_be32(ver, TL_STORE_SCHEMA_VERSION);
		tl_batch_put(b, TL_CF_META, "network", 7, opts->net->name, strlen(opts->net->name));
		tl_batch_put(b, TL_CF_META, "schema", 6, ver, 4);
		struct tl_tip t = { .height = -1, .next_addr_id = 1, .undo_keep = 0 };
		tl_batch_put_tip(b, &t);
		r = tl_store_write(s, b, err);
		tl_batch_free(b);
		if (r < 0) goto fail;
		s->net = opts->net;
	} else {
		char name[32];
		size_t n = vl < sizeof name - 1 ? vl : sizeof name - 1;
		memcpy(name, v, n);
		name[n] = 0;
		free(v);
		v = NULL;
		s->net = tl_net_by_name(name);
		if (!s->net) {
			tl_err_set(err, "%s: database records unknown network '%s'", path, name);
			goto fail;
		}
		if (opts->net && opts->net->net != s->net->net) {
			tl_err_set(err, "%s: database is for network %s, not %s", path, s->net->name, opts->net->name);
			goto fail;
		}
		r = meta_get(s, "schema", &v, &vl, err);
		if (r < 0) goto fail;
		uint32_t ver = (r == 1 && vl == 4) ? tl_get_be32(v) : 0;
		free(v);
		v = NULL;
		if (ver != TL_STORE_SCHEMA_VERSION) {
			tl_err_set(err, "%s: database schema version %u, this program needs %u (re-index)", path, ver,
				   TL_STORE_SCHEMA_VERSION);
			goto fail;
		}
	}
	*out = s;
	return 0;
fail:
	free(v);
	tl_store_close(s);
	return -1;
}

void tl_store_close(struct tl_store *s)
{
	if (!s) return;
	tl_store_blocks_close(s);
	tl_views_close(s);
	if (s->db) {
		for (int i = 0; i < TL_CF_COUNT + 1; i++)
			if (s->handles[i]) rocksdb_column_family_handle_destroy(s->handles[i]);
		rocksdb_close(s->db);
	}
	for (int i = 0; i < TL_CF_COUNT + 1; i++)
		if (s->cfopt[i]) rocksdb_options_destroy(s->cfopt[i]);
	if (s->dbopt) rocksdb_options_destroy(s->dbopt);
	if (s->ro) rocksdb_readoptions_destroy(s->ro);
	if (s->ro_iter) rocksdb_readoptions_destroy(s->ro_iter);
	if (s->ro_total) rocksdb_readoptions_destroy(s->ro_total);
	if (s->wo) rocksdb_writeoptions_destroy(s->wo);
	if (s->wo_nolog) rocksdb_writeoptions_destroy(s->wo_nolog);
	if (s->cache && !s->cache_shared) rocksdb_cache_destroy(s->cache);
	free(s->path);
	free(s);
}

const struct tl_netparams *tl_store_net(const struct tl_store *s) { return s->net; }

static int catch_up(struct tl_store *s, bool now_please, struct tl_err *err)
{
	if (!s->secondary) return tl_err_set(err, "database not opened as a secondary");
	if (s->views) return tl_views_catch_up(s, now_please, err);
	char *rerr = NULL;
	rocksdb_try_catch_up_with_primary(s->db, &rerr);
	if (rerr) return rocks_err(err, "catching up with the primary", rerr);
	return 0;
}

int tl_store_catch_up(struct tl_store *s, struct tl_err *err) { return catch_up(s, false, err); }
int tl_store_is_secondary(const struct tl_store *s) { return s->secondary; }
int tl_store_catch_up_now(struct tl_store *s, struct tl_err *err) { return catch_up(s, true, err); }

/* ---- raw access ---- */

/* The handle a read goes to: for a secondary, the instance of the
 * calling thread's view (store/views.c). */
static inline struct tl_store *rd(struct tl_store *s)
{
	return s->views ? tl_views_reader(s) : s;
}

int tl_store_get(struct tl_store *s, enum tl_cf cf, const void *key, size_t klen, uint8_t **val, size_t *vlen,
		 struct tl_err *err)
{
	char *rerr = NULL;
	size_t n = 0;
	s = rd(s);
	char *v = rocksdb_get_cf(s->db, s->ro, s->cf[cf], key, klen, &n, &rerr);
	if (rerr) return rocks_err(err, "reading", rerr);
	*val = (uint8_t *)v;
	if (vlen) *vlen = n;
	return v != NULL;
}

int tl_store_multi_get(struct tl_store *s, enum tl_cf cf, size_t n, const uint8_t *const *keys,
		       const size_t *klens, uint8_t **vals, size_t *vlens, struct tl_err *err)
{
	if (n == 0) return 0;
	s = rd(s);
	const rocksdb_column_family_handle_t **cfs = malloc(n * sizeof *cfs);
	char **errs = calloc(n, sizeof *errs);
	if (!cfs || !errs) abort();
	for (size_t i = 0; i < n; i++) cfs[i] = s->cf[cf];
	rocksdb_multi_get_cf(s->db, s->ro, cfs, n, (const char *const *)keys, klens, (char **)vals, vlens, errs);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (errs[i]) {
			if (rc == 0) rocks_err(err, "reading", errs[i]);
			else free(errs[i]);
			rc = -1;
		}
	}
	if (rc < 0)
		for (size_t i = 0; i < n; i++) {
			free(vals[i]);
			vals[i] = NULL;
		}
	free(cfs);
	free(errs);
	return rc;
}

struct tl_iter {
	rocksdb_iterator_t *it;
};

struct tl_iter *tl_iter_new(struct tl_store *s, enum tl_cf cf)
{
	struct tl_iter *it = malloc(sizeof *it);
	if (!it) abort();
	s = rd(s);
	it->it = rocksdb_create_iterator_cf(s->db, s->ro_iter, s->cf[cf]);
	return it;
}
void tl_iter_free(struct tl_iter *it)
{
	if (!it) return;
	rocksdb_iter_destroy(it->it);
	free(it);
}
void tl_iter_seek(struct tl_iter *it, const void *key, size_t klen) { rocksdb_iter_seek(it->it, key, klen); }
void tl_iter_seek_prev(struct tl_iter *it, const void *key, size_t klen)
{
	rocksdb_iter_seek_for_prev(it->it, key, klen);
}
void tl_iter_first(struct tl_iter *it) { rocksdb_iter_seek_to_first(it->it); }
void tl_iter_last(struct tl_iter *it) { rocksdb_iter_seek_to_last(it->it); }
bool tl_iter_valid(struct tl_iter *it) { return rocksdb_iter_valid(it->it) != 0; }
void tl_iter_next(struct tl_iter *it) { rocksdb_iter_next(it->it); }
void tl_iter_prev(struct tl_iter *it) { rocksdb_iter_prev(it->it); }
const uint8_t *tl_iter_key(struct tl_iter *it, size_t *len)
{
	return (const uint8_t *)rocksdb_iter_key(it->it, len);
}
const uint8_t *tl_iter_value(struct tl_iter *it, size_t *len)
{
	return (const uint8_t *)rocksdb_iter_value(it->it, len);
}

/* ---- batches ---- */

/* A bulk batch buffers its entries (key and value bytes in an arena, a
 * 16-byte record per entry: a batch holds hundreds of thousands, and
 * sorting copies them once more) and sorts them at write time. Offsets
 * grow with insertion, so they also order the writes of one key (the
 * last one wins). */
struct bent {
	uint32_t off; /* key, then value, in the arena */
	uint32_t klen, vlen;
	uint8_t cf, del;
};

struct tl_batch {
	rocksdb_writebatch_t *wb;
	struct tl_store *s;
	bool bulk;
	uint8_t *arena;
	size_t alen, acap;
	struct bent *ents;
	size_t n, cap;
};

struct tl_batch *tl_batch_new(struct tl_store *s)
{
	struct tl_batch *b = calloc(1, sizeof *b);
	if (!b) abort();
	b->wb = rocksdb_writebatch_create();
	b->s = s;
	return b;
}
struct tl_batch *tl_batch_new_bulk(struct tl_store *s)
{
	struct tl_batch *b = tl_batch_new(s);
	b->bulk = true;
	return b;
}
void tl_batch_free(struct tl_batch *b)
{
	if (!b) return;
	rocksdb_writebatch_destroy(b->wb);
	free(b->arena);
	free(b->ents);
	free(b);
}
void tl_batch_clear(struct tl_batch *b)
{
	rocksdb_writebatch_clear(b->wb);
	b->alen = b->n = 0;
	/* A big batch's buffers are not kept between batches. */
	if (b->acap > (8u << 20)) {
		free(b->arena);
		b->arena = NULL;
		b->acap = 0;
	}
	if (b->cap > (1u << 18)) {
		free(b->ents);
		b->ents = NULL;
		b->cap = 0;
	}
}

static void bulk_add(struct tl_batch *b, enum tl_cf cf, int del, const void *key, size_t klen, const void *val,
		     size_t vlen)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 4096;
		b->ents = realloc(b->ents, b->cap * sizeof *b->ents);
		if (!b->ents) abort();
	}
	/* Offsets are 32-bit; the indexer commits at 16 MiB, so this
	 * never happens. */
	if (b->alen + klen + vlen > UINT32_MAX) abort();
	if (b->alen + klen + vlen > b->acap) {
		size_t nc = b->acap ? b->acap * 2 : (1u << 20);
		while (nc < b->alen + klen + vlen) nc *= 2;
		b->arena = realloc(b->arena, nc);
		if (!b->arena) abort();
		b->acap = nc;
	}
	struct bent *e = &b->ents[b->n];
	e->off = (uint32_t)b->alen;
	e->klen = (uint32_t)klen;
	e->vlen = (uint32_t)vlen;
	e->cf = (uint8_t)cf;
	e->del = (uint8_t)del;
	if (klen) memcpy(b->arena + b->alen, key, klen);
	if (vlen) memcpy(b->arena + b->alen + klen, val, vlen);
	b->alen += klen + vlen;
	b->n++;
}

void tl_batch_put(struct tl_batch *b, enum tl_cf cf, const void *key, size_t klen, const void *val, size_t vlen)
{
	if (b->bulk) bulk_add(b, cf, 0, key, klen, val, vlen);
	else rocksdb_writebatch_put_cf(b->wb, b->s->cf[cf], key, klen, val, vlen);
}
void tl_batch_del(struct tl_batch *b, enum tl_cf cf, const void *key, size_t klen)
{
	if (b->bulk) bulk_add(b, cf, 1, key, klen, NULL, 0);
	else rocksdb_writebatch_delete_cf(b->wb, b->s->cf[cf], key, klen);
}
size_t tl_batch_bytes(const struct tl_batch *b)
{
	if (b->bulk) return b->alen + b->n * 16;
	size_t n = 0;
	rocksdb_writebatch_data(b->wb, &n);
	return n;
}

/* Order of a bulk batch: family, then key bytes (RocksDB's bytewise
 * order), then insertion. */
static const uint8_t *sort_arena;
static int cmp_bent(const void *pa, const void *pb)
{
	const struct bent *a = pa, *b = pb;
	if (a->cf != b->cf) return a->cf < b->cf ? -1 : 1;
	size_t m = a->klen < b->klen ? a->klen : b->klen;
	int c = memcmp(sort_arena + a->off, sort_arena + b->off, m);
	if (c) return c;
	if (a->klen != b->klen) return a->klen < b->klen ? -1 : 1;
	return a->off < b->off ? -1 : a->off > b->off;
}

int tl_store_write(struct tl_store *s, struct tl_batch *b, struct tl_err *err)
{
	if (s->read_only) return tl_err_set(err, "database opened read-only");
	char *rerr = NULL;
	if (b->bulk) {
		/* One writer (store.h), so the comparator's arena pointer is
		 * not shared between threads. */
		sort_arena = b->arena;
		qsort(b->ents, b->n, sizeof *b->ents, cmp_bent);
		sort_arena = NULL;
		rocksdb_writebatch_clear(b->wb);
		for (size_t i = 0; i < b->n; i++) {
			const struct bent *e = &b->ents[i];
			const struct bent *nx = i + 1 < b->n ? &b->ents[i + 1] : NULL;
			if (nx && nx->cf == e->cf && nx->klen == e->klen &&
			    !memcmp(b->arena + nx->off, b->arena + e->off, e->klen))
				continue; /* a later write of the same key wins */
			const char *k = (const char *)b->arena + e->off;
			if (e->del) rocksdb_writebatch_delete_cf(b->wb, s->cf[e->cf], k, e->klen);
			else rocksdb_writebatch_put_cf(b->wb, s->cf[e->cf], k, e->klen, k + e->klen, e->vlen);
		}
		s->log_off = true;
	}
	rocksdb_write(s->db, s->log_off ? s->wo_nolog : s->wo, b->wb, &rerr);
	if (b->bulk) rocksdb_writebatch_clear(b->wb);
	if (rerr) return rocks_err(err, "writing", rerr);
	return 0;
}

void tl_batch_put_tip(struct tl_batch *b, const struct tl_tip *t)
{
	uint8_t v[4 + 32 + 8 * 3 + 4];
	tl_put_be32(v, (uint32_t)t->height);
	memcpy(v + 4, t->hash, 32);
	tl_put_be64(v + 36, t->next_tx_num);
	tl_put_be64(v + 44, t->next_addr_id);
	tl_put_be64(v + 52, t->unknown_inputs);
	tl_put_be32(v + 60, t->undo_keep);
	tl_batch_put(b, TL_CF_META, "tip", 3, v, sizeof v);
}

void tl_batch_put_meta(struct tl_batch *b, const char *name, const char *val)
{
	tl_batch_put(b, TL_CF_META, name, strlen(name), val, strlen(val));
}

void tl_batch_del_meta(struct tl_batch *b, const char *name) { tl_batch_del(b, TL_CF_META, name, strlen(name)); }

int tl_store_get_meta(struct tl_store *s, const char *name, char **val, struct tl_err *err)
{
	uint8_t *v;
	size_t vl;
	int r = meta_get(s, name, &v, &vl, err);
	if (r <= 0) return r;
	char *str = malloc(vl + 1);
	if (!str) abort();
	memcpy(str, v, vl);
	str[vl] = 0;
	free(v);
	*val = str;
	return 1;
}

int tl_store_tip(struct tl_store *s, struct tl_tip *t, struct tl_err *err)
{
	uint8_t *v;
	size_t vl;
	int r = meta_get(s, "tip", &v, &vl, err);
	if (r < 0) return -1;
	memset(t, 0, sizeof *t);
	t->height = -1;
	t->next_addr_id = 1;
	if (r == 0) return 0;
	if (vl != 64) {
		free(v);
		return tl_err_set(err, "corrupt tip record (%zu bytes)", vl);
	}
	t->height = (int32_t)tl_get_be32(v);
	memcpy(t->hash, v + 4, 32);
	t->next_tx_num = tl_get_be64(v + 36);
	t->next_addr_id = tl_get_be64(v + 44);
	t->unknown_inputs = tl_get_be64(v + 52);
	t->undo_keep = tl_get_be32(v + 60);
	free(v);
	return 0;
}

/* ---- digest ---- */

/* Meta rows that record history or place, not content (docs/schema.md). */
static bool meta_not_content(const char *k, size_t kl)
{
	return (kl == 10 && !memcmp(k, "blocks_dir", 10)) || (kl == 6 && !memcmp(k, "reorgs", 6)) ||
	       (kl == 8 && !memcmp(k, "updating", 8));
}

int tl_store_digest(struct tl_store *s, uint8_t out[32], uint64_t *counts, struct tl_err *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return tl_err_set(err, "sha256 init failed");
	}
	s = rd(s);
	for (int c = 0; c < TL_CF_COUNT; c++) {
		uint64_t n;
		char *rerr = tl_digest_cf(ctx, s->db, s->ro_total, s->cf[c], cf_names[c],
					  c == TL_CF_META ? meta_not_content : NULL, &n);
		if (rerr) {
			EVP_MD_CTX_free(ctx);
			return rocks_err(err, "reading for digest", rerr);
		}
		if (counts) counts[c] = n;
	}
	unsigned int ol = 32;
	EVP_DigestFinal_ex(ctx, out, &ol);
	EVP_MD_CTX_free(ctx);
	return 0;
}

uint64_t tl_store_cf_bytes(struct tl_store *s, enum tl_cf cf)
{
	uint64_t n = 0;
	s = rd(s);
	char *p = rocksdb_property_value_cf(s->db, s->cf[cf], "rocksdb.total-sst-files-size");
	if (p) {
		n = strtoull(p, NULL, 10);
		free(p);
	}
	return n;
}

uint64_t tl_store_disk_bytes(struct tl_store *s)
{
	uint64_t total = 0;
	DIR *d = opendir(s->path);
	if (!d) return 0;
	struct dirent *de;
	char p[4096];
	while ((de = readdir(d))) {
		struct stat st;
		snprintf(p, sizeof p, "%s/%s", s->path, de->d_name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) total += (uint64_t)st.st_size;
	}
	closedir(d);
	return total;
}

int tl_store_compact(struct tl_store *s, struct tl_err *err)
{
	if (s->read_only) return tl_err_set(err, "database opened read-only");
	if (tl_store_flush(s, err) < 0) return -1;
	for (int c = 0; c < TL_CF_COUNT; c++) rocksdb_compact_range_cf(s->db, s->cf[c], NULL, 0, NULL, 0);
	return 0;
}

int tl_store_flush(struct tl_store *s, struct tl_err *err)
{
	if (s->views) return tl_err_set(err, "database opened as a secondary");
	if (s->log_off) {
		/* Unlogged bulk writes must reach the disk in one atomic flush
		 * of every family. This RocksDB's C API flushes families one at
		 * a time, but closing the database flushes them all together:
		 * close and reopen. */
		const char *names[TL_CF_COUNT + 1];
		const rocksdb_options_t *cfo[TL_CF_COUNT + 1];
		names[0] = "default";
		cfo[0] = s->cfopt[0];
		for (int i = 0; i < TL_CF_COUNT; i++) {
			names[i + 1] = cf_names[i];
			cfo[i + 1] = s->cfopt[i + 1];
		}
		for (int i = 0; i < TL_CF_COUNT + 1; i++) {
			rocksdb_column_family_handle_destroy(s->handles[i]);
			s->handles[i] = NULL;
		}
		rocksdb_close(s->db);
		char *rerr = NULL;
		s->db = rocksdb_open_column_families(s->dbopt, s->path, TL_CF_COUNT + 1, names, cfo, s->handles, &rerr);
		if (!s->db) {
			/* Nothing is lost (the close flushed), but the handle can
			 * only be closed now (store.h). */
			return rocks_err(err, "reopening the database after a flush", rerr);
		}
		s->log_off = false;
		return 0;
	}
	rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();
	rocksdb_flushoptions_set_wait(fo, 1);
	char *rerr = NULL;
	/* meta (the tip) last: whatever is flushed before it is at least as
	 * new as the tip it records. */
	for (int c = 1; c <= TL_CF_COUNT && !rerr; c++) rocksdb_flush_cf(s->db, fo, s->cf[c % TL_CF_COUNT], &rerr);
	rocksdb_flushoptions_destroy(fo);
	if (rerr) return rocks_err(err, "flushing", rerr);
	return 0;
}

int tl_store_checkpoint(struct tl_store *s, const char *dir, struct tl_err *err)
{
	if (s->read_only || s->secondary)
		return tl_err_set(err, "a checkpoint is made by the database's writer: open it for writing (no index may be "
				       "running on it)");
	return tl_rocks_checkpoint(s->db, dir, err);
}
