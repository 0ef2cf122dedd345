/* The taintline database: RocksDB with one column family per kind of
 * record. This header is the whole public face of store/: opening and
 * closing, the tip, batches of writes, typed records and the queries the
 * tracer and the API use. Key layouts are private to store/ and written
 * down in docs/schema.md.
 *
 * Identities: tx_num (u64) is the position of a transaction in the best
 * chain (genesis coinbase = 0); an outref is (tx_num, vout); addr_id (u64,
 * from 1) is assigned to an output owner (bitcoin/script.h tl_script_key) at
 * first sight. addr_id 0 means "no owner" (OP_RETURN outputs).
 *
 * Threads: a struct tl_store may be used for reads from several threads;
 * writes (tl_store_write) come from one writer. Not fork-safe. */
#ifndef TL_STORE_STORE_H
#define TL_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bitcoin/address.h"
#include "base/arena.h"
#include "base/err.h"
#include "bitcoin/network.h"
#include "bitcoin/script.h"
#include "bitcoin/tx.h"

/* Bumped whenever a key or value layout changes. */
#define TL_STORE_SCHEMA_VERSION 11

enum tl_cf {
	TL_CF_META = 0,
	TL_CF_BLOCK,
	TL_CF_BLOCKHASH,
	TL_CF_TXID,
	TL_CF_TX,
	TL_CF_SPEND,
	TL_CF_ADDR,
	TL_CF_ADDR_INFO,
	TL_CF_HIST,
	TL_CF_UTXO,
	TL_CF_UNDO,
	TL_CF_CLUSTER,
	TL_CF_TAG,
	TL_CF_HEIST,
	TL_CF_TAINT,
	TL_CF_SCRIPTHASH,
	TL_CF_XLINK,      /* THORChain memos, outbounds by inbound hash, learned vaults (store/links_btc.h) */
	TL_CF_COUNT
};

/* The column family's name ("meta", "block", ...). Static string. */
const char *tl_cf_name(enum tl_cf cf);

struct tl_store;
struct tl_batch;

struct tl_store_opts {
	bool create;               /* create the database if absent */
	bool read_only;            /* open without the writer lock (queries only) */
	const struct tl_netparams *net; /* required when creating; checked otherwise (NULL: accept stored) */
	uint32_t cache_mb;         /* RocksDB block cache size; 0 = 64 */
	bool bulk;                 /* tune for a long initial load (bigger memtables) */
	/* Memory for every family's memtables together, in MiB (0: 128 in
	 * bulk mode, 64 otherwise; at least 8). The indexer scales it with
	 * its --cache-mb. */
	uint32_t memtable_mb;
	/* Open as a RocksDB secondary (implies read_only): reads while
	 * another handle or process writes, and sees its writes after
	 * tl_store_catch_up, only once they are consistent (below: "views").
	 * secondary_path is a private directory for the secondary's own log
	 * files (created if missing). */
	bool secondary;
	const char *secondary_path;
};

/* Opens (or creates) the database at path. Errors with a clear message:
 * "database is in use by another process" when another writer holds it,
 * "database is for network X, not Y" on a network mismatch, a schema
 * version mismatch, or RocksDB's own message. Returns 0 and *out (free
 * with tl_store_close), or -1. */
int tl_store_open(const char *path, const struct tl_store_opts *opts, struct tl_store **out, struct tl_err *err);
/* For a store opened with opts.secondary: replays what the primary has
 * written since into the standby instance (views, below) and makes it
 * the one new views read when it carries no update marker. Waits (up to
 * a few seconds) for the views still open on the standby to close; if
 * they do not, or the writer is mid-update, the served state stays as it
 * was and the next call tries again (while the writer is mid-update, the
 * database is opened afresh to look at most once a second). Safe while
 * other threads read. Returns 0, or -1 with err (also when not a
 * secondary). */
int tl_store_catch_up(struct tl_store *s, struct tl_err *err);
/* 1 when s was opened as a secondary (tl_store_catch_up applies), else 0. */
int tl_store_is_secondary(const struct tl_store *s);
/* The same without the once-a-second limit: for a writer in this process
 * whose write must be served when it returns. */
int tl_store_catch_up_now(struct tl_store *s, struct tl_err *err);

/* ---- views: one state of a secondary per request ----
 * A secondary store is two RocksDB secondary instances taking turns
 * (store/views.c): views read the active one while catch-ups replay the
 * writer into the other, which becomes active only in a consistent state
 * (no update marker). So a reader beside a writer never sees a reorg half
 * applied, nor the new chain with the old screening index. */

/* Pins the calling thread to the state s serves now: every read of s on
 * this thread sees that state until tl_store_view_end (nested calls
 * count). One store per thread; no-op on a store that is not a
 * secondary (its single writer is this process, or none). Reads of s by
 * threads without a view see the active state of each moment. */
void tl_store_view_begin(struct tl_store *s);
void tl_store_view_end(struct tl_store *s);
/* A number that changes whenever the state this thread's view (or, with
 * none open, the active state) is a different one: caches of what was
 * read from s are valid while it is unchanged. 0 for a non-secondary. */
uint64_t tl_store_view_epoch(struct tl_store *s);
struct tl_view_state {
	bool consistent;   /* the served state carries no update marker (false only
	                    * when the server started on a database mid-update) */
	bool held_back;    /* the last catch-up found the writer mid-update: a
	                    * newer state exists and is not served yet */
	uint64_t switches; /* consistent states switched to since open */
	uint64_t epoch;    /* tl_store_view_epoch of the active state */
};
/* What s serves (all true/zero for a store that is not a secondary). */
void tl_store_view_state(struct tl_store *s, struct tl_view_state *out);

/* ---- the update marker (meta "updating", docs/schema.md) ----
 * A writer whose change takes several batches names its stage in the
 * first of them and removes it after the last: "index" (an index run,
 * put with its first batch and turned into "screen" when the run reaches
 * its target), "screen" (the screening index is behind the chain;
 * tl_screen_update ends it), "write" (a write through the API). Readers
 * switch only to states without a marker. */
void tl_batch_put_updating(struct tl_batch *b, const char *stage);
/* 1 with the stage in stage (cap bytes) when a marker is set, 0 when
 * none, -1 on a read error. */
int tl_store_updating(struct tl_store *s, char *stage, size_t cap, struct tl_err *err)
	__attribute__((warn_unused_result));
/* Sets the marker to stage unless one is set (another writer's
 * unfinished stage keeps its name); *began says whether it was set.
 * Returns 0 or -1. */
int tl_store_update_begin(struct tl_store *s, const char *stage, bool *began, struct tl_err *err)
	__attribute__((warn_unused_result));
/* Removes the marker if it names stage (any other stays). Returns 0 or -1. */
int tl_store_update_end(struct tl_store *s, const char *stage, struct tl_err *err)
	__attribute__((warn_unused_result));
/* Closes the database (NULL is ignored). Pending writes already passed
 * to tl_store_write are durable against a process crash. */
void tl_store_close(struct tl_store *s);
/* The network the database indexes (never NULL after open). */
const struct tl_netparams *tl_store_net(const struct tl_store *s);

/* ---- the tip: where the index stops, written with every block batch ---- */

struct tl_tip {
	int32_t height;            /* -1 for an empty database */
	uint8_t hash[32];          /* hash order; zero when empty */
	uint64_t next_tx_num;      /* tx_num the next transaction gets */
	uint64_t next_addr_id;     /* addr_id the next new owner gets (>= 1) */
	uint64_t unknown_inputs;   /* inputs whose prevout is not indexed */
	uint32_t undo_keep;        /* blocks of undo data kept below the tip */
};

/* Small named settings in the meta family (e.g. "blocks_dir", the blocks
 * directory the index was built from). tl_store_get_meta returns 1 with a
 * malloc'd NUL-terminated string in *val, 0 if unset, -1 on error. */
void tl_batch_put_meta(struct tl_batch *b, const char *name, const char *val);
/* Queues the removal of a named setting. */
void tl_batch_del_meta(struct tl_batch *b, const char *name);
int tl_store_get_meta(struct tl_store *s, const char *name, char **val, struct tl_err *err);

/* Reads the committed tip. Returns 0 or -1. */
int tl_store_tip(struct tl_store *s, struct tl_tip *tip, struct tl_err *err);

/* ---- raw access ---- */

/* Point read. Returns 1 with *val malloc'd (caller frees) and *vlen, 0 if
 * the key is absent, -1 on error. */
int tl_store_get(struct tl_store *s, enum tl_cf cf, const void *key, size_t klen, uint8_t **val, size_t *vlen,
		 struct tl_err *err);
/* n point reads in one call (RocksDB MultiGet). vals[i] is malloc'd or
 * NULL when absent. Returns 0 or -1. */
int tl_store_multi_get(struct tl_store *s, enum tl_cf cf, size_t n, const uint8_t *const *keys,
		       const size_t *klens, uint8_t **vals, size_t *vlens, struct tl_err *err);

/* An iterator over one column family. Positions: seek (first key >= k),
 * seek_prev (last key <= k), first, last. key/value point into the
 * iterator and stay valid until it moves. */
struct tl_iter;
struct tl_iter *tl_iter_new(struct tl_store *s, enum tl_cf cf);
void tl_iter_free(struct tl_iter *it);
void tl_iter_seek(struct tl_iter *it, const void *key, size_t klen);
void tl_iter_seek_prev(struct tl_iter *it, const void *key, size_t klen);
void tl_iter_first(struct tl_iter *it);
void tl_iter_last(struct tl_iter *it);
bool tl_iter_valid(struct tl_iter *it);
void tl_iter_next(struct tl_iter *it);
void tl_iter_prev(struct tl_iter *it);
const uint8_t *tl_iter_key(struct tl_iter *it, size_t *len);
const uint8_t *tl_iter_value(struct tl_iter *it, size_t *len);

/* ---- batches: every write goes through one, applied atomically ---- */

/* A batch belongs to one open store. tl_batch_new never fails (aborts on
 * out-of-memory); free with tl_batch_free. */
struct tl_batch;
struct tl_batch *tl_batch_new(struct tl_store *s);
void tl_batch_free(struct tl_batch *b);
void tl_batch_clear(struct tl_batch *b);
void tl_batch_put(struct tl_batch *b, enum tl_cf cf, const void *key, size_t klen, const void *val, size_t vlen);
void tl_batch_del(struct tl_batch *b, enum tl_cf cf, const void *key, size_t klen);
/* Bytes of the serialized batch (to bound its size). */
size_t tl_batch_bytes(const struct tl_batch *b);
/* Queues the new tip in the batch (meta "tip"). */
void tl_batch_put_tip(struct tl_batch *b, const struct tl_tip *tip);
/* Applies the batch atomically (write-ahead log on, no fsync: durable
 * against a process crash, and all or nothing). Returns 0 or -1. */
int tl_store_write(struct tl_store *s, struct tl_batch *b, struct tl_err *err);

/* A bulk batch, for long loads (the indexer). Same calls as any batch, but
 * its entries are buffered in memory and handed to RocksDB sorted by
 * family and key (the last write of a key wins, as in any batch), which
 * makes memtable inserts of random-order keys cheap; and tl_store_write
 * applies it without the write-ahead log. Crash safety then rests on
 * RocksDB's atomic flush of all families: after a crash the database is
 * exactly as of some earlier bulk write (never a mix), so a writer that
 * puts its progress marker (the tip) in each batch resumes correctly.
 * Once a bulk batch has been written, every later write through the same
 * handle also skips the log (so a logged write can never be replayed
 * without the unlogged ones before it); tl_store_close flushes
 * everything, atomically. Free with tl_batch_free. */
struct tl_batch *tl_batch_new_bulk(struct tl_store *s);

/* ---- typed records ---- */

struct tl_block_rec {
	int32_t height;
	uint8_t hash[32], prev[32], merkle[32]; /* hash order */
	int32_t version;
	uint32_t time, bits, nonce;
	uint32_t median_time;   /* median of this and the 10 previous block times */
	uint32_t file, offset;  /* blk file number and offset of the block bytes */
	uint32_t size, weight, n_tx;
	uint64_t first_tx_num;
};

/* An input as indexed. Coinbase inputs and inputs whose prevout is not
 * in the index (a chain indexed from the middle) have no outref. */
enum tl_in_kind { TL_IN_KNOWN = 0, TL_IN_COINBASE = 1, TL_IN_UNKNOWN = 2 };
struct tl_in_rec {
	uint8_t kind;           /* enum tl_in_kind */
	uint8_t script_type;    /* of the spent output (known only); not stored: 0 when read back */
	uint32_t prev_vout;     /* known only */
	uint64_t prev_tx_num;   /* known only */
	uint64_t value;         /* known only */
	uint64_t addr_id;       /* known only; 0 = no owner */
};
struct tl_out_rec {
	uint64_t value;
	uint64_t addr_id;       /* 0 for OP_RETURN */
	uint8_t script_type;    /* enum tl_script_type */
};

#define TL_TX_COINBASE 1u        /* flags: the block's coinbase */
#define TL_TX_FEE_UNKNOWN 2u     /* some input's prevout is not indexed */

struct tl_tx_rec {
	uint64_t tx_num;
	uint8_t txid[32];        /* hash order */
	int32_t height;
	uint32_t offset;         /* byte offset of the tx inside its block */
	uint32_t size;           /* bytes (the weight is computed from them when read back) */
	uint32_t flags;
	/* Not stored: the inputs' values minus the outputs' when decoded;
	 * 0 for a coinbase or when an input is not indexed. */
	uint64_t fee;
	uint32_t n_in, n_out;
	struct tl_in_rec *in;    /* n_in entries */
	struct tl_out_rec *out;  /* n_out entries */
};

/* Frees a record's arrays (not the struct). */
void tl_tx_rec_free(struct tl_tx_rec *r);

/* Encoders used by the indexer: append the value encoding to a buffer.
 * Keys are built by the tl_batch_* helpers below. */
struct tl_buf;
void tl_tx_rec_encode(const struct tl_tx_rec *r, struct tl_buf *out);
int tl_tx_rec_decode(uint64_t tx_num, const uint8_t *v, size_t len, struct tl_tx_rec *r, struct tl_err *err);

/* Per-address totals (Esplora's chain_stats). The first transaction of
 * an address is its oldest history row (tl_store_addr_first_tx); its
 * script key comes from the chain (tl_store_owner_key). */
struct tl_addr_info {
	uint64_t addr_id;
	uint64_t funded_count, funded_sum, spent_count, spent_sum, tx_count;
};

/* One history row: a transaction touching an address. The amounts are
 * not stored: they are in the transaction's own record. */
struct tl_hist_row {
	uint64_t tx_num;
	uint32_t n_received;    /* outputs of this tx paying the address */
	uint32_t n_sent;        /* inputs of this tx spending from it */
};

struct tl_utxo {
	uint64_t tx_num;
	uint32_t vout;
	uint64_t value;
	uint64_t addr_id;
	uint8_t script_type;
};

struct tl_undo_rec {
	uint64_t first_tx_num;
	uint32_t n_tx;
	uint64_t first_addr_id;   /* addr_ids >= this were created by the block */
	uint64_t unknown_inputs;  /* tip counter before the block */
};

/* Scripthashes (Electrum's and electrs': SHA-256 of an output's
 * scriptPubKey): the scripthash family maps the first
 * TL_SCRIPTHASH_KEY_LEN bytes of it (in the order SHA-256 gives them) to
 * the addr_id of the script's owner, written with the owner's addr entry
 * from the script that first paid it, and deleted with it. */
#define TL_SCRIPTHASH_KEY_LEN 12
void tl_batch_put_scripthash(struct tl_batch *b, const uint8_t *script, size_t len, uint64_t addr_id);
void tl_batch_del_scripthash(struct tl_batch *b, const uint8_t *script, size_t len);
/* The owner of scripthash sh (32 bytes, SHA-256 order): 1 with *addr_id,
 * 0 never seen, -1 on a read error. */
int tl_store_addr_id_of_scripthash(struct tl_store *s, const uint8_t sh[32], uint64_t *addr_id, struct tl_err *err)
	__attribute__((warn_unused_result));

/* Typed writes into a batch (key layouts in docs/schema.md). */
void tl_batch_put_block(struct tl_batch *b, const struct tl_block_rec *r);
void tl_batch_del_block(struct tl_batch *b, int32_t height, const uint8_t hash[32]);
/* txid keys: the first TL_TXID_PREFIX bytes of the txid, then tx_num BE5 */
#define TL_TXID_PREFIX 5
#define TL_TXID_KEY_LEN 10
void tl_batch_put_tx(struct tl_batch *b, const struct tl_tx_rec *r); /* tx + txid entries */
void tl_batch_del_tx(struct tl_batch *b, uint64_t tx_num, const uint8_t txid[32]);
void tl_batch_put_spend(struct tl_batch *b, uint64_t tx_num, uint32_t vout, uint64_t spender, uint32_t vin);
void tl_batch_del_spend(struct tl_batch *b, uint64_t tx_num, uint32_t vout);
void tl_batch_put_utxo(struct tl_batch *b, const struct tl_utxo *u);
void tl_batch_del_utxo(struct tl_batch *b, uint64_t addr_id, uint64_t tx_num, uint32_t vout);
/* Owners: the addr family maps an owner's digest (tl_owner_digest,
 * TL_ADDR_KEY_LEN bytes) to its addr_id. The digest is the script type
 * byte then 12 bytes of the owner's hash: the hash or witness program
 * itself for pubkeyhash, scripthash, witness_v0_* and taproot owners
 * (and for nonstandard and multisig ones, whose script key is already a
 * SHA-256), SHA-256 of the script key for the others (pubkey, anchor,
 * witness_unknown). The digest is taken as the owner's identity and not
 * checked: docs/schema.md says why a collision is out of reach (96 bits
 * per type). The script key itself is not stored: tl_store_owner_key
 * reads it back from the chain. */
#define TL_ADDR_KEY_LEN 13
void tl_owner_digest(const uint8_t *skey, size_t sklen, uint8_t out[TL_ADDR_KEY_LEN]);
void tl_batch_put_addr(struct tl_batch *b, const uint8_t *skey, size_t sklen, uint64_t addr_id);
void tl_batch_del_addr(struct tl_batch *b, const uint8_t *skey, size_t sklen);
void tl_batch_put_addr_info(struct tl_batch *b, const struct tl_addr_info *a);
void tl_batch_del_addr_info(struct tl_batch *b, uint64_t addr_id);
void tl_batch_put_hist(struct tl_batch *b, uint64_t addr_id, const struct tl_hist_row *h);
void tl_batch_del_hist(struct tl_batch *b, uint64_t addr_id, uint64_t tx_num);
void tl_batch_put_undo(struct tl_batch *b, int32_t height, const struct tl_undo_rec *u);
void tl_batch_del_undo(struct tl_batch *b, int32_t height);

/* Value decoders for callers that batch their own reads (multi_get):
 * return 0, or -1 on a corrupt value. */
int tl_utxo_decode(uint64_t addr_id, uint64_t tx_num, uint32_t vout, const uint8_t *v, size_t len, struct tl_utxo *u);
int tl_addr_info_decode(uint64_t addr_id, const uint8_t *v, size_t len, struct tl_addr_info *a);
/* Key builder: addr_id (8 bytes, the addr_info key). */
void tl_addr_id_key(uint64_t addr_id, uint8_t key[8]);

/* ---- typed reads (queries). Each returns 1 found, 0 absent, -1 error ---- */

int tl_store_block_by_height(struct tl_store *s, int32_t height, struct tl_block_rec *r, struct tl_err *err);
int tl_store_block_by_hash(struct tl_store *s, const uint8_t hash[32], struct tl_block_rec *r, struct tl_err *err);
/* The block holding tx_num (binary search over block records). */
int tl_store_block_of_tx(struct tl_store *s, uint64_t tx_num, struct tl_block_rec *r, struct tl_err *err);
int tl_store_undo(struct tl_store *s, int32_t height, struct tl_undo_rec *u, struct tl_err *err);

/* Transaction by tx_num. On 1, *r owns arrays: free with tl_tx_rec_free. */
int tl_store_tx(struct tl_store *s, uint64_t tx_num, struct tl_tx_rec *r, struct tl_err *err);
/* The tx_nums carrying this txid (txids repeat: BIP30 duplicate
 * coinbases): writes the newest min(count, cap) of them into nums,
 * oldest first, and returns the count (0 when unknown), or -1. */
int tl_store_txid_nums(struct tl_store *s, const uint8_t txid[32], uint64_t *nums, int cap, struct tl_err *err);
/* The newest transaction with this txid (what a lookup by txid means). */
int tl_store_tx_by_txid(struct tl_store *s, const uint8_t txid[32], struct tl_tx_rec *r, struct tl_err *err);

/* Who spent outref (tx_num, vout): 1 with *spender and *vin, 0 unspent. */
int tl_store_spender(struct tl_store *s, uint64_t tx_num, uint32_t vout, uint64_t *spender, uint32_t *vin,
		     struct tl_err *err);
/* The live UTXO entry of output (tx_num, vout) paying addr_id, if
 * unspent. */
int tl_store_utxo(struct tl_store *s, uint64_t addr_id, uint64_t tx_num, uint32_t vout, struct tl_utxo *u,
		  struct tl_err *err);

/* Owner lookups: script key (tl_script_key) -> addr_id, and back
 * (tl_store_owner_key, below, with the blocks directory). */
int tl_store_addr_id(struct tl_store *s, const uint8_t *skey, size_t sklen, uint64_t *addr_id, struct tl_err *err);
int tl_store_addr_info(struct tl_store *s, uint64_t addr_id, struct tl_addr_info *a, struct tl_err *err);
/* The tx_num of the first transaction touching addr_id (its oldest
 * history row): 1 with *tx_num, 0 no history, -1 on a read error. */
int tl_store_addr_first_tx(struct tl_store *s, uint64_t addr_id, uint64_t *tx_num, struct tl_err *err);
/* The addr_id of an address string or scriptPubKey of the store's
 * network: 1 found, 0 never seen, -1 (bad address, message in err). */
int tl_store_addr_id_of_string(struct tl_store *s, const char *address, uint64_t *addr_id, struct tl_err *err);

/* History of an address, newest first: rows with tx_num < before (pass
 * UINT64_MAX to start at the newest). Writes up to cap rows; returns the
 * number written (fewer than cap = the end) or -1. Page on with before =
 * the last row's tx_num. */
int tl_store_hist_page(struct tl_store *s, uint64_t addr_id, uint64_t before, struct tl_hist_row *rows, int cap,
		       struct tl_err *err);
/* Unspent outputs of an address, newest first (one key range of the
 * utxo family, whatever the length of its history). Writes up to cap,
 * returns how many the address has (may exceed cap; from its totals) or
 * -1. cap 0 with out NULL counts without reading them. */
int tl_store_addr_utxos(struct tl_store *s, uint64_t addr_id, struct tl_utxo *out, int cap, struct tl_err *err);

/* ---- the blocks directory: what the database does not copy ----
 * Raw transactions, scripts and witnesses stay in the blk files; so do
 * owners' script keys. A store reads them through a pool of blocks
 * directory readers (tl_blkdir is not thread-safe), opened on first use
 * at the directory the database records (meta "blocks_dir") unless
 * tl_store_set_blocks_dir names another. */

/* Uses dir for the blk files (opens one reader now, so that a bad
 * directory is reported at once). Call before any read that needs them,
 * not concurrently with one. Returns 0 or -1. */
struct tl_blkdir;
int tl_store_set_blocks_dir(struct tl_store *s, const char *dir, struct tl_err *err);
/* Borrows a reader: NULL with err when no blocks directory is known or
 * it cannot be opened. Give it back with tl_store_blkdir_put. */
struct tl_blkdir *tl_store_blkdir_get(struct tl_store *s, struct tl_err *err);
void tl_store_blkdir_put(struct tl_store *s, struct tl_blkdir *d);

/* A transaction read back from its blk file and parsed (tx points into
 * bytes and arena). */
struct tl_rawtx {
	uint8_t *bytes;
	struct tl_arena arena;
	struct tl_tx tx;
};
/* Reads and parses the transaction of r with reader d (NULL: one of the
 * store's), checking its txid against r's. Returns 0 (free with
 * tl_rawtx_free) or -1 with err. */
int tl_store_rawtx(struct tl_store *s, struct tl_blkdir *d, const struct tl_tx_rec *r, struct tl_rawtx *out,
		   struct tl_err *err);
void tl_rawtx_free(struct tl_rawtx *t);

/* The script key (bitcoin/script.h tl_script_key) of owner addr_id, read
 * from the first output that paid it. Returns 1 with skey and sklen, 0
 * when addr_id is not an owner, -1 with err on a read error or when no
 * blocks directory is known (the database records none and none was
 * set). */
int tl_store_owner_key(struct tl_store *s, uint64_t addr_id, uint8_t skey[TL_SCRIPT_KEY_MAX], size_t *sklen,
		       struct tl_err *err);
/* The address string of owner addr_id, the same way. Returns 1 with out;
 * 0 (out empty) when addr_id is not an owner, its script has no address
 * (pubkey, multisig, nonstandard) or no blocks directory is known (a
 * display without addresses); -1 with err on a read error. */
int tl_store_owner_address(struct tl_store *s, uint64_t addr_id, char out[TL_ADDRESS_MAX], struct tl_err *err);
/* The address string of output vout of the transaction r, read from its
 * blk file (cheaper than tl_store_owner_address when the output is
 * known). Returns 1 with out, 0 (out empty) for an output without an
 * address or when no blocks directory is known, -1 with err. */
int tl_store_output_address(struct tl_store *s, const struct tl_tx_rec *r, uint32_t vout, char out[TL_ADDRESS_MAX],
			    struct tl_err *err);

/* ---- key-value families filled by other modules ----
 * tag, heist, cluster and taint hold values whose encoding belongs to
 * their writers (tracer/): store/ only fixes the keys.
 *   tag:     subject bytes (e.g. "a" + addr_id BE, "c" + cluster id BE) -> value
 *   heist:   heist id string -> value
 *   cluster: "a" + addr_id BE -> cluster id and next member (store/tags.h)
 *   taint:   heist id BE32 + tx_num BE + vout BE32 -> value
 * The functions below are thin typed wrappers; put/del go into a batch. */
void tl_batch_put_kv(struct tl_batch *b, enum tl_cf cf, const void *key, size_t klen, const void *val, size_t vlen);
int tl_store_get_kv(struct tl_store *s, enum tl_cf cf, const void *key, size_t klen, uint8_t **val, size_t *vlen,
		    struct tl_err *err);
/* Taint key helper: 16 bytes (heist id, tx_num, vout). */
void tl_taint_key(uint32_t heist_id, uint64_t tx_num, uint32_t vout, uint8_t key[16]);
/* Cluster key helpers. */
void tl_cluster_addr_key(uint64_t addr_id, uint8_t key[9]);

/* ---- digest ---- */

/* SHA-256 over the logical content of every column family: for each in
 * enum order, its name, then each key/value pair in key order as
 * (u32 key length, key, u32 value length, value). The meta entries
 * "blocks_dir", "reorgs" and "updating" (place, history and a writer's
 * progress, not content) are left out. Two databases with the
 * same content have the same digest whatever their file layout. Per-CF
 * entry counts go to counts (may be NULL; TL_CF_COUNT entries). */
int tl_store_digest(struct tl_store *s, uint8_t out[32], uint64_t *counts, struct tl_err *err);

/* A consistent copy of the database at this moment in dir (which must
 * not exist), openable by any reader: RocksDB's checkpoint, its files
 * hard-linked when dir is on the same file system, else copied. The
 * memtables are flushed first, so the copy needs no log replay and holds
 * the writes made without the log too. s must be open for writing (a
 * primary); a read-only or secondary store cannot make one. Returns 0 or
 * -1 with err. */
int tl_store_checkpoint(struct tl_store *s, const char *dir, struct tl_err *err) __attribute__((warn_unused_result));

/* Bytes on disk: every file in the database directory (SST files,
 * write-ahead log, MANIFEST, LOG and OPTIONS files). */
uint64_t tl_store_disk_bytes(struct tl_store *s);
/* Flushes memtables to SST files (all families atomically). After bulk
 * batches this closes and reopens the database (iterators must be freed
 * first); if the reopen fails, -1 and the handle may only be closed.
 * Returns 0 or -1. */
int tl_store_flush(struct tl_store *s, struct tl_err *err);
/* Bytes of one family's SST files (RocksDB "rocksdb.total-sst-files-size"). */
uint64_t tl_store_cf_bytes(struct tl_store *s, enum tl_cf cf);
/* Flushes, then compacts every family down to its last level (slow: for
 * benchmarks and maintenance, not for the write path). Returns 0 or -1. */
int tl_store_compact(struct tl_store *s, struct tl_err *err);

/* ---- varints (LEB128, unsigned) used in value encodings ---- */
void tl_buf_varint(struct tl_buf *b, uint64_t v);
/* Reads a varint at *pos; returns 0 or -1 if truncated/overlong. */
int tl_get_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *v);

#endif
