/* Test chains: hand-built regtest blocks written as a blk file, and
 * simulated chains (sim/sim.h) indexed into a store. Every function fails
 * the running cmocka test with a message on error, so callers need no
 * error handling. Linked into the tests that link every module. */
#ifndef TL_TESTS_CHAINFIX_H
#define TL_TESTS_CHAINFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/bytes.h"
#include "indexer/indexer.h"
#include "store/store.h"

/* ---- hand-built blocks ---- */

/* The transactions of the block being built. Zero-initialised = empty;
 * cf_mine empties it again. */
struct cf_block {
	struct tl_buf txs; /* serialized transactions */
	uint8_t (*ids)[32];
	size_t n;
};

/* A transaction input: a NULL prev makes a coinbase input (null prevout,
 * index 0xffffffff). sig is the scriptSig. */
struct cf_in {
	const uint8_t *prev;
	uint32_t vout;
	const uint8_t *sig;
	size_t sig_len;
};

/* A transaction output: value and script. */
struct cf_out {
	uint64_t value;
	uint8_t script[70];
	size_t len;
};

/* Appends a serialized transaction; it must parse to its full length.
 * Its txid goes to txid when non-NULL. */
void cf_block_add_raw(struct cf_block *b, const uint8_t *raw, size_t len, uint8_t txid[32]);
/* Builds a version-1 transaction (sequences 0xffffffff, lock time 0) and
 * appends it. Its txid goes to txid when non-NULL. */
void cf_block_add_tx(struct cf_block *b, const struct cf_in *in, size_t nin, const struct cf_out *out, size_t nout,
		     uint8_t txid[32]);
/* Mines b on tip at regtest difficulty, appends the blk record (magic,
 * size, block) to file, sets tip to the new block's hash, empties b. */
void cf_mine(struct tl_buf *file, struct cf_block *b, uint8_t tip[32], uint32_t time);
/* Appends the regtest genesis block's record to file; tip gets its hash
 * (checked against the network's genesis hash). */
void cf_genesis(struct tl_buf *file, uint8_t tip[32]);
/* Writes file as blocks_dir/blk00000.dat, creating blocks_dir. */
void cf_write_blocks(const char *blocks_dir, const struct tl_buf *file);

/* ---- simulated chains, the indexer and the store ---- */

/* tl_sim_run into dir with the default parameters but these. */
void cf_sim(const char *dir, uint64_t seed, uint32_t blocks, uint32_t txs_per_block, uint32_t forks, bool fast);
/* Options indexing blocks_dir into db_path on regtest, to the tip, with a
 * 16 MiB cache; callers change fields before cf_index_run. */
struct tl_index_opts cf_index_opts(const char *blocks_dir, const char *db_path);
/* tl_index_run; st may be NULL. */
void cf_index_run(const struct tl_index_opts *o, struct tl_index_stats *st);
/* tl_store_open. */
struct tl_store *cf_store_open(const char *db_path, const struct tl_store_opts *so);
/* Imports a simulated chain's tags.csv and heists.json (in sim_dir). */
void cf_import_sim_labels(struct tl_store *s, const char *sim_dir);
/* A simulated chain's truth.json (in sim_dir). Caller decrefs. */
json_t *cf_sim_truth(const char *sim_dir);

#endif
