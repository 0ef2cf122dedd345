/* taintline's own blocks directory for blocks fetched over RPC: records
 * of magic, size and block in blk%05u.dat as Bitcoin Core writes them
 * (unobfuscated: no xor.dat), a new file before one would reach 128 MiB,
 * so the indexer and the API read it like a node's directory.
 *
 * The directory carries a marker file (TL_BLKOUT_MARKER): a directory
 * that holds blk files without it (a node's own) is never written to. */
#ifndef TL_LIVE_BLKOUT_H
#define TL_LIVE_BLKOUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/err.h"
#include "bitcoin/network.h"

#define TL_BLKOUT_MARKER "taintline-rpc-blocks"
#define TL_BLKOUT_FILE_MAX 0x8000000u

struct tl_blkout {
	char dir[4096];
	uint8_t magic[4];
	uint32_t file;       /* number of the file appended to */
	uint64_t size;       /* its size */
	FILE *f;
};

/* Opens dir for appending (created with its marker when absent or
 * empty). Errors: a directory of blk files without the marker, I/O.
 * Returns 0 or -1; close with tl_blkout_close. */
int tl_blkout_open(struct tl_blkout *w, const char *dir, const struct tl_netparams *np, struct tl_err *err)
	__attribute__((warn_unused_result));
/* Appends one block's record. Returns 0 or -1. */
int tl_blkout_append(struct tl_blkout *w, const uint8_t *block, size_t len, struct tl_err *err)
	__attribute__((warn_unused_result));
/* Flushes and fsyncs what was appended. Returns 0 or -1. */
int tl_blkout_sync(struct tl_blkout *w, struct tl_err *err) __attribute__((warn_unused_result));
/* Syncs and closes (errors ignored: call tl_blkout_sync first to see them). */
void tl_blkout_close(struct tl_blkout *w);

#endif
