/* The taint engine's graph (taint/graph.h) over the RocksDB store
 * (store/store.h): transactions, spends and entity tags read from the
 * index, so that taint/walk.h runs against a real database.
 *
 * Entities: the tags stored in the database (tracer/entities.h
 * tl_entity_get: the address's cluster summary), plus an in-memory
 * overlay filled by tl_storegraph_load_tags / tl_storegraph_set_entity (a
 * tag file given to one trace without importing it). Categories are the
 * union of both; the stored label wins. Answers are cached for the life
 * of the storegraph (up to 2^20 addresses): make a new one after tags are
 * imported.
 *
 * CoinJoin: a transaction is flagged coinjoin when it has at least 5
 * inputs and at least 5 outputs of one equal value that make up at least
 * half of its outputs, and no OP_RETURN output (Whirlpool and Wasabi
 * rounds have this shape; a Whirlpool tx0, one owner splitting coins into
 * premix outputs, carries an OP_RETURN and is not a mix).
 *
 * Inputs whose prevout is not in the index (a chain indexed from the
 * middle) are given as coinbase-like inputs (no previous output) whose
 * value covers what the outputs spend beyond the known inputs.
 *
 * Not thread-safe: one storegraph per thread (the store itself may be
 * shared). Pointers handed out by the callbacks follow taint/graph.h:
 * valid until the next call of the same callback. */
#ifndef TL_TRACER_STOREGRAPH_H
#define TL_TRACER_STOREGRAPH_H

#include <stdint.h>

#include "bitcoin/address.h"
#include "base/err.h"
#include "store/store.h"
#include "store/tlp.h"
#include "taint/graph.h"

struct tl_storegraph;

/* Creates an adapter over an open store s (which must outlive it).
 * Returns 0 and *out (free with tl_storegraph_free), or -1 with err. */
int tl_storegraph_new(struct tl_store *s, struct tl_storegraph **out, struct tl_err *err);

/* Frees sg (NULL is a no-op). The store is not closed. */
void tl_storegraph_free(struct tl_storegraph *sg);

/* Fills *g with callbacks over sg (get_tx, get_spender, get_entity). */
void tl_storegraph_graph(struct tl_storegraph *sg, struct tl_graph *g);

/* The store sg reads. */
struct tl_store *tl_storegraph_store(struct tl_storegraph *sg);

/* Reads a tag file (any format of intel/tags.h) and adds the tags of
 * addresses on the store's network that the index has seen to the
 * overlay. Categories map: exchange, bridge, service, mixer, sanctioned
 * to the TL_CAT_* flags; thief/other carry only a label.
 * Out: *n_added (may be NULL) = tags applied.
 * Returns 0, or -1 with err (unreadable or malformed file). */
int tl_storegraph_load_tags(struct tl_storegraph *sg, const char *path, uint64_t *n_added,
                            struct tl_err *err);

/* Adds categories (ORed into what is there), a cluster (if non-zero) and
 * a label (if none yet; NULL ok) to addr_id (non-zero) in the overlay.
 * Returns 0 or -1 with err. */
int tl_storegraph_set_entity(struct tl_storegraph *sg, uint64_t addr_id, uint32_t cats,
                             uint64_t cluster_id, const char *label, struct tl_err *err);

/* Whose view of the stored tags the entities give (store/tlp.h): tags
 * above c are left out as if never imported (tracer/tag_clearance.h).
 * NULL or c->all: every tag (the default). c is copied; the cache is
 * dropped only when the view changes. */
void tl_storegraph_set_clearance(struct tl_storegraph *sg, const struct tl_clearance *c);
/* The view set, or NULL when every tag is seen. */
const struct tl_clearance *tl_storegraph_clearance(const struct tl_storegraph *sg);

/* Entity of addr_id (cats 0 when untagged). Returns 0 or -1 with err. */
int tl_storegraph_entity(struct tl_storegraph *sg, uint64_t addr_id, struct tl_entity *out,
                         struct tl_err *err);

/* The address string of output (tx_num, vout) on the store's network,
 * read from the blk files (the database does not store scripts).
 * Returns 1 with out filled, 0 if the output has no address (multisig,
 * bare pubkey, OP_RETURN, nonstandard; or no blocks directory is known;
 * out = ""), -1 with err. */
int tl_storegraph_output_address(struct tl_storegraph *sg, uint64_t tx_num, uint32_t vout,
                                 char out[TL_ADDRESS_MAX], struct tl_err *err);

/* txid (hash order) of tx_num. Returns 1, 0 (no such tx) or -1. */
int tl_storegraph_txid(struct tl_storegraph *sg, uint64_t tx_num, uint8_t txid[32], struct tl_err *err);

/* Time of the block at height (cached). Returns 1, 0 (no block) or -1. */
int tl_storegraph_block_time(struct tl_storegraph *sg, int32_t height, int64_t *time, struct tl_err *err);

/* Maps a tag category name to TL_CAT_* flags (0 for thief/other/unknown). */
uint32_t tl_storegraph_cat_flags(const char *category);

#endif
