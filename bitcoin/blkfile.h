/* A Bitcoin Core blocks directory: blk00000.dat, blk00001.dat, ... each a
 * run of records (4-byte network magic, 4-byte little-endian size, the
 * block), optionally obfuscated with the 8-byte key in xor.dat (Core 28+:
 * byte p of a file is XORed with key[p mod 8]).
 *
 * tl_blkdir_scan reads only each record's header (the first 88 bytes plus
 * the transaction count), builds the tree of every block found, picks the
 * chain with the most cumulative work and orders it by height. Garbage
 * and truncated records are skipped with a warning (the reader
 * resynchronises on the next magic); Core's zero preallocation is
 * recognised and skipped silently. Blocks are then read one at a time. */
#ifndef TL_BITCOIN_BLKFILE_H
#define TL_BITCOIN_BLKFILE_H

#include <stddef.h>
#include <stdint.h>

#include "bitcoin/block.h"
#include "base/err.h"
#include "bitcoin/network.h"

/* Where a block's bytes are: file number and the offset of the block
 * itself (after the 8-byte record header), as Core's nDataPos. */
struct tl_blkloc {
	uint32_t file;
	uint32_t offset;
	uint32_t size;
};

/* What the index of blocks keeps of each block: the header fields the
 * chain needs (hash order), 92 bytes, since every block of the
 * directory has one and the indexer's memory bound counts them. */
struct tl_chain_entry {
	uint8_t hash[32];
	uint8_t prev[32];
	struct tl_blkloc loc;
	int32_t height;
	uint32_t n_tx;
	uint32_t time, bits;
};

struct tl_scan_report {
	uint32_t files;          /* blk files read */
	uint64_t bytes;          /* bytes in them */
	uint32_t records;        /* well-formed records found */
	uint32_t duplicates;     /* the same block stored twice */
	uint32_t stale;          /* blocks on branches that lost */
	uint32_t orphans;        /* blocks whose parent was never found */
	uint32_t bad_pow;        /* headers failing their own proof of work */
	uint32_t garbage_skips;  /* times the reader resynchronised */
	uint32_t truncated;      /* records cut off by the end of a file */
	uint32_t wrong_magic;    /* records of another network */
};

/* Called for each warning (file, offset, message); may be NULL. */
typedef void (*tl_blk_warn_fn)(void *ctx, const char *msg);

struct tl_blkdir;

/** Opens a blocks directory for network np and reads xor.dat (absent or
 *  zero means plain).
 *
 *  Returns: 0 on success; -1 with err set if the directory has no
 *           blk00000.dat or xor.dat has a wrong size.
 *  Args:    err: receives the message; may be NULL.
 *  In:      dir: the directory path; np: the network (must outlive *out).
 *  Out:     out: the handle, freed with tl_blkdir_close.
 */
int tl_blkdir_open(const char *dir, const struct tl_netparams *np, struct tl_blkdir **out, struct tl_err *err)
	__attribute__((warn_unused_result));
/** Frees the handle and everything it holds. d may be NULL. */
void tl_blkdir_close(struct tl_blkdir *d);
/** Sets the callback that receives scan warnings (file, offset, message).
 *
 *  Args:    d: the handle; fn: the callback, or NULL for none; ctx: passed to fn.
 */
void tl_blkdir_set_warn(struct tl_blkdir *d, tl_blk_warn_fn fn, void *ctx);

/** Scans every blk file (in number order, stopping at the first missing
 *  number) and selects the best chain from the genesis block of np. Can
 *  be called again to pick up new blocks and files.
 *
 *  Returns: 0 on success; -1 on an I/O error with err set (bad data only warns).
 *  Args:    d: the handle; err: receives the message; may be NULL.
 *  Out:     rep: counts of what was found; may be NULL.
 */
int tl_blkdir_scan(struct tl_blkdir *d, struct tl_scan_report *rep, struct tl_err *err)
	__attribute__((warn_unused_result));

/** Returns: the length of the best chain after a scan (heights 0 .. count-1). */
uint32_t tl_blkdir_chain_len(const struct tl_blkdir *d);
/** Returns: bytes held by the index of blocks (every header seen, the
 *  tree, the best chain): about 120 per block, so it grows with the chain.
 */
size_t tl_blkdir_mem_bytes(const struct tl_blkdir *d);
/** Total work of the best chain's tip.
 *
 *  Out:     out: the work; zero without a chain.
 */
void tl_blkdir_tip_work(const struct tl_blkdir *d, struct tl_u256 *out);
/** Returns: the best chain's block at height (owned by d, valid until the
 *  next scan or close), or NULL if height is beyond the chain.
 */
const struct tl_chain_entry *tl_blkdir_chain_at(const struct tl_blkdir *d, uint32_t height);
/** Looks up any block seen, stale or not.
 *
 *  Returns: the entry (owned by d, valid until the next scan or close),
 *           or NULL if unknown.
 *  In:      hash: the block hash, hash order.
 */
const struct tl_chain_entry *tl_blkdir_find(const struct tl_blkdir *d, const uint8_t hash[32]);

/** Reads a block's bytes, de-obfuscated.
 *
 *  Returns: 0 on success, -1 on failure with err set.
 *  Args:    d: the handle; err: receives the message; may be NULL.
 *  In:      loc: where the block is.
 *  In/Out:  buf, cap: a buffer grown as needed (*buf may be NULL, *cap its
 *           size); the caller frees *buf.
 */
int tl_blkdir_read(struct tl_blkdir *d, const struct tl_blkloc *loc, uint8_t **buf, size_t *cap,
		   struct tl_err *err) __attribute__((warn_unused_result));
/** Reads len bytes at offset within a block's file, de-obfuscated (e.g.
 *  one transaction).
 *
 *  Returns: 0 on success, -1 on failure with err set.
 *  Args:    d: the handle; err: receives the message; may be NULL.
 *  In:      file: blk file number; offset, len: the range.
 *  Out:     out: len bytes (caller's buffer).
 */
int tl_blkdir_read_at(struct tl_blkdir *d, uint32_t file, uint64_t offset, uint8_t *out, size_t len,
		      struct tl_err *err) __attribute__((warn_unused_result));

/** Returns: the network the directory was opened for (not owned). */
const struct tl_netparams *tl_blkdir_net(const struct tl_blkdir *d);

/** The de-obfuscation rule, exposed for writers (the simulator) and
 *  tests: byte i of buf is XORed with key[(pos + i) mod 8].
 *
 *  In/Out:  buf, len: bytes that sit at offset pos of their file.
 *  In:      pos: file offset of buf[0]; key: the 8-byte xor.dat key.
 */
void tl_xor_apply(uint8_t *buf, size_t len, uint64_t pos, const uint8_t key[8]);

#endif
