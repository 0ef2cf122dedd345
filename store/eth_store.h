/* The Ethereum database: its own RocksDB, apart from the Bitcoin one,
 * with its own column families (key layouts in docs/schema.md,
 * "Ethereum database") and its own network, recorded at creation and
 * checked at every open like the Bitcoin database's.
 *
 * Identities: an account (20-byte address) gets a dense id from 1 at
 * first sight; an asset id is 0 for ether and from 1 for each token
 * contract in order of first sight; a transfer's seq is its position in
 * chain order (tl_eth_derive's order), from 0.
 *
 * Threads: reads from several threads; writes from one writer. */
#ifndef TL_STORE_ETH_STORE_H
#define TL_STORE_ETH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "ethereum/derive.h"
#include "ethereum/model.h"
#include "ethereum/u256.h"

/* Bumped whenever a key or value layout changes. */
#define TL_ETH_SCHEMA_VERSION 1

enum tl_eth_cf {
	TL_ECF_META = 0,
	TL_ECF_BLOCK,     /* number -> block record */
	TL_ECF_BLOCKHASH, /* hash -> number */
	TL_ECF_TX,        /* hash -> transaction record */
	TL_ECF_ACCT,      /* address -> id */
	TL_ECF_ACCTID,    /* id -> address */
	TL_ECF_ASSET,     /* 'a' address -> id; 'i' id -> asset record */
	TL_ECF_XFER,      /* seq -> transfer record */
	TL_ECF_STAT,      /* (account, asset) -> totals */
	TL_ECF_HIST,      /* (account, asset, seq) -> nothing */
	TL_ECF_TAG,       /* address, source, category, label -> tag (store/eth_intel.h) */
	TL_ECF_HEIST,     /* heist id -> definition (store/eth_intel.h) */
	TL_ECF_SCREEN,    /* heist id, account -> exposure (store/eth_screen.h) */
	TL_ECF_UNDO,      /* be64 block -> how to roll it back (store/eth_undo.h); not in the digest */
	TL_ECF_XLINK,     /* THORChain router events (store/eth_links.h) */
	TL_ECF_COUNT
};
/* The family's name ("eth_meta", ...). Static string. */
const char *tl_eth_cf_name(enum tl_eth_cf cf);

struct tl_eth_store;
struct tl_eth_batch;

struct tl_eth_store_opts {
	bool create;                 /* create the database if absent (needs net) */
	bool read_only;
	/* Open as a RocksDB secondary in secondary_path (read-only, beside a
	 * writer in another process; tl_eth_store_catch_up replays its
	 * progress). Implies read_only. */
	bool secondary;
	const char *secondary_path;
	const struct tl_eth_net *net; /* required when creating; checked otherwise (NULL: accept stored) */
	uint32_t cache_mb;           /* block cache (0: 64) */
};

/* Opens or creates the Ethereum database at path. Refuses, with a clear
 * message, a Bitcoin database ("is a Bitcoin database"), a database of
 * another network, another schema version, or one in use by another
 * writer. Returns 0 and *out (tl_eth_store_close), or -1. */
int tl_eth_store_open(const char *path, const struct tl_eth_store_opts *opts, struct tl_eth_store **out,
		      struct tl_err *err) __attribute__((warn_unused_result));
void tl_eth_store_close(struct tl_eth_store *s);
/* A secondary (opts.secondary) replays what the writer has written since
 * the last call. Not safe while other threads read s (callers exclude
 * readers, e.g. api/serve.c's lock). Returns 0 or -1. */
int tl_eth_store_catch_up(struct tl_eth_store *s, struct tl_err *err) __attribute__((warn_unused_result));
/* 1 when path holds an Ethereum database, 0 otherwise (another database
 * or none). For the commands that take either kind. */
int tl_eth_store_probe(const char *path);
const struct tl_eth_net *tl_eth_store_net(const struct tl_eth_store *s);

struct tl_eth_tip {
	int64_t height;       /* last indexed block, -1 when none */
	int64_t first;        /* first indexed block (exports start anywhere), -1 when none */
	uint8_t hash[32];
	uint64_t next_seq;    /* transfers stored */
	uint64_t next_acct;   /* next account id (from 1) */
	uint32_t next_asset;  /* next token asset id (from 1) */
	uint64_t txs;         /* transactions stored */
	uint32_t have;        /* TL_ETH_HAVE_* of every batch so far (ANDed): what the index can say */
};
int tl_eth_store_tip(struct tl_eth_store *s, struct tl_eth_tip *t, struct tl_err *err) __attribute__((warn_unused_result));

/* ---- records ---- */

struct tl_eth_block_rec {
	uint64_t number, timestamp;
	uint8_t hash[32], parent[32], miner[20];
	uint32_t tx_count;
	uint64_t first_seq;  /* its transfers: [first_seq, first_seq + n_xfer) */
	uint32_t n_xfer;
	bool has_base_fee;
	tl_uint256 base_fee;
};

struct tl_eth_tx_rec {
	uint8_t hash[32];
	uint64_t block;
	uint32_t index;
	uint8_t from[20], to[20];
	bool has_to;
	int8_t status;       /* 1, 0, -1 unknown */
	tl_uint256 value, gas_price;
	uint64_t gas_used;
	uint64_t first_seq;
	uint32_t n_xfer;
};

struct tl_eth_asset_rec {
	uint32_t id;
	uint8_t contract[20];
	int16_t decimals;    /* -1 unknown */
	char symbol[32];
};

struct tl_eth_xfer_rec {
	uint8_t kind;        /* enum tl_eth_kind */
	uint64_t block;
	uint32_t tx_index;   /* TL_ETH_NO_TX: block level */
	bool has_tx;
	uint8_t tx_hash[32];
	uint64_t from, to;   /* account ids; 0: nobody (mint, reward, burn, burnt fee) */
	uint32_t asset;
	tl_uint256 amount, burnt;
};

struct tl_eth_stat {
	tl_uint256 received, sent, fees;
	uint64_t count;
};

/* ---- writing: batches applied atomically (tl_eth_store_write) ---- */

/* A batch of writes for s. */
struct tl_eth_batch *tl_eth_batch_new(struct tl_eth_store *s);
void tl_eth_batch_free(struct tl_eth_batch *b);
void tl_eth_batch_put_block(struct tl_eth_batch *b, const struct tl_eth_block_rec *r);
void tl_eth_batch_put_tx(struct tl_eth_batch *b, const struct tl_eth_tx_rec *r);
void tl_eth_batch_put_account(struct tl_eth_batch *b, const uint8_t addr[20], uint64_t id);
void tl_eth_batch_put_asset(struct tl_eth_batch *b, const struct tl_eth_asset_rec *r);
void tl_eth_batch_put_xfer(struct tl_eth_batch *b, uint64_t seq, const struct tl_eth_xfer_rec *r);
void tl_eth_batch_put_stat(struct tl_eth_batch *b, uint64_t acct, uint32_t asset, const struct tl_eth_stat *st);
void tl_eth_batch_put_hist(struct tl_eth_batch *b, uint64_t acct, uint32_t asset, uint64_t seq);
void tl_eth_batch_put_tip(struct tl_eth_batch *b, const struct tl_eth_tip *t);
/* Bytes the batch holds (to size batches). */
size_t tl_eth_batch_bytes(const struct tl_eth_batch *b);
/* Applies b atomically. Returns 0 or -1. */
int tl_eth_store_write(struct tl_eth_store *s, struct tl_eth_batch *b, struct tl_err *err) __attribute__((warn_unused_result));

/* ---- reading: 1 found, 0 absent, -1 error ---- */

int tl_eth_store_account_id(struct tl_eth_store *s, const uint8_t addr[20], uint64_t *id, struct tl_err *err);
int tl_eth_store_account_addr(struct tl_eth_store *s, uint64_t id, uint8_t addr[20], struct tl_err *err);
int tl_eth_store_asset_id(struct tl_eth_store *s, const uint8_t contract[20], uint32_t *id, struct tl_err *err);
/* Asset 0 is ether (no contract, symbol ETH, 18 decimals). */
int tl_eth_store_asset(struct tl_eth_store *s, uint32_t id, struct tl_eth_asset_rec *r, struct tl_err *err);
int tl_eth_store_stat(struct tl_eth_store *s, uint64_t acct, uint32_t asset, struct tl_eth_stat *st, struct tl_err *err);
/* Every asset the account has totals for, in asset id order: assets[]
 * and stats[] (malloc'd, caller frees both) with *n entries. Returns 0/-1. */
int tl_eth_store_account_stats(struct tl_eth_store *s, uint64_t acct, uint32_t **assets, struct tl_eth_stat **stats,
			       size_t *n, struct tl_err *err) __attribute__((warn_unused_result));
/* Up to limit transfer seqs of (acct, asset), newest first, strictly
 * before `before` (UINT64_MAX: from the newest). Returns the count, or -1. */
int tl_eth_store_history(struct tl_eth_store *s, uint64_t acct, uint32_t asset, uint64_t before, uint64_t *seqs,
			 int limit, struct tl_err *err);
int tl_eth_store_xfer(struct tl_eth_store *s, uint64_t seq, struct tl_eth_xfer_rec *r, struct tl_err *err);
int tl_eth_store_tx(struct tl_eth_store *s, const uint8_t hash[32], struct tl_eth_tx_rec *r, struct tl_err *err);
int tl_eth_store_block(struct tl_eth_store *s, uint64_t number, struct tl_eth_block_rec *r, struct tl_err *err);
int tl_eth_store_block_by_hash(struct tl_eth_store *s, const uint8_t hash[32], struct tl_eth_block_rec *r,
			       struct tl_err *err);

/* One SHA-256 over the logical content of every family (two databases
 * with the same content have the same digest, whatever their files).
 * counts (TL_ECF_COUNT entries) gets the entries per family if non-NULL. */
int tl_eth_store_digest(struct tl_eth_store *s, uint8_t out[32], uint64_t *counts, struct tl_err *err)
	__attribute__((warn_unused_result));

/* tl_store_checkpoint (store/store.h) for an Ethereum database. */
int tl_eth_store_checkpoint(struct tl_eth_store *s, const char *dir, struct tl_err *err)
	__attribute__((warn_unused_result));

#endif
