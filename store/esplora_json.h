/* JSON views of the index in the shapes of the Esplora REST API, shared
 * by the `taintline get` commands and the HTTP API. Field names follow
 * Blockstream's electrs: see docs (Esplora section of the formats notes).
 *
 * Full transaction detail (scripts, witnesses, version, locktime) is not
 * in the database: it is read back from the blk files through the blocks
 * directory d (tl_blkdir_open; no scan needed), at the file and offset
 * the block and transaction records keep.
 *
 * Every function returns a new jansson reference (caller json_decref's)
 * or NULL with a message in err. */
#ifndef TL_STORE_ESPLORA_JSON_H
#define TL_STORE_ESPLORA_JSON_H

#include <jansson.h>

#include "bitcoin/blkfile.h"
#include "store/store.h"

/* Esplora's scriptpubkey_type for a script: "p2pkh", "v0_p2wpkh",
 * "op_return", "empty", "unknown", ... Static string. */
const char *tl_esplora_script_type(const uint8_t *script, size_t len);

/* Transaction object (/tx/:txid): txid, version, locktime, vin[] (with
 * prevout, scriptsig, witness omitted when empty, is_coinbase, sequence),
 * vout[], size, weight, fee, status. An input whose prevout is not
 * indexed has "prevout": null. */
json_t *tl_esplora_tx(struct tl_store *s, struct tl_blkdir *d, const struct tl_tx_rec *r, struct tl_err *err);
/* Looks the txid up (newest with that txid). Returns NULL with err
 * "Transaction not found" when unknown. */
json_t *tl_esplora_tx_by_txid(struct tl_store *s, struct tl_blkdir *d, const uint8_t txid[32], struct tl_err *err);
/* TxStatus object of a confirmed transaction at height. */
json_t *tl_esplora_status(struct tl_store *s, int32_t height, struct tl_err *err);
/* Array of Outspend objects, one per output of r. */
json_t *tl_esplora_outspends(struct tl_store *s, const struct tl_tx_rec *r, struct tl_err *err);

/* Address object (/address/:address): address, chain_stats,
 * mempool_stats (zeros: there is no mempool). An address never seen gives
 * zero stats; a malformed one NULL with err. */
json_t *tl_esplora_address(struct tl_store *s, const char *address, struct tl_err *err);
/* Confirmed transactions of an address, newest first, at most limit,
 * starting after the transaction last_seen (NULL = from the newest), as
 * /address/:address/txs/chain[/:last_seen_txid]. A last_seen that is not
 * in the address's history (unknown, or another address's) gives an
 * empty array, as electrs. */
json_t *tl_esplora_address_txs(struct tl_store *s, struct tl_blkdir *d, const char *address,
			       const uint8_t *last_seen, int limit, struct tl_err *err);
/* Utxo objects of an address (/address/:address/utxo): txid, vout,
 * status, value. At most limit; more gives NULL with err
 * "Too many history entries". */
json_t *tl_esplora_address_utxo(struct tl_store *s, const char *address, int limit, struct tl_err *err);

/* The same three for a scripthash (/scripthash/:hash...: SHA-256 of a
 * scriptPubKey, sh in SHA-256's byte order; the URL's hex is reversed
 * like a txid, as electrs): the object names it "scripthash" instead of
 * "address". A scripthash never seen gives zero stats and empty lists. */
json_t *tl_esplora_scripthash(struct tl_store *s, const uint8_t sh[32], struct tl_err *err);
json_t *tl_esplora_scripthash_txs(struct tl_store *s, struct tl_blkdir *d, const uint8_t sh[32],
				  const uint8_t *last_seen, int limit, struct tl_err *err);
json_t *tl_esplora_scripthash_utxo(struct tl_store *s, const uint8_t sh[32], int limit, struct tl_err *err);

/* Block object (/block/:hash): id, height, version, timestamp, tx_count,
 * size, weight, merkle_root, previousblockhash (null for genesis),
 * mediantime, nonce, bits, difficulty. */
json_t *tl_esplora_block(const struct tl_block_rec *b);

/* ---- blocks: status, transactions, raw bytes ---- */

/* BlockStatus object (/block/:hash/status): {"in_best_chain": true,
 * "height", "next_best"} for an indexed block (next_best omitted at the
 * tip), {"in_best_chain": false} for any other hash (as electrs). */
json_t *tl_esplora_block_status(struct tl_store *s, const uint8_t hash[32], struct tl_err *err);

/* The txids of block b in block order: *ids malloc'd (caller frees), b->n_tx
 * of them. Returns 0 or -1 with err. */
int tl_esplora_block_txids(struct tl_store *s, const struct tl_block_rec *b, uint8_t (**ids)[32], struct tl_err *err)
	__attribute__((warn_unused_result));

/* Transaction objects of block b from index start, at most limit (as
 * /block/:hash/txs/:start_index). */
json_t *tl_esplora_block_txs(struct tl_store *s, struct tl_blkdir *d, const struct tl_block_rec *b, uint32_t start,
			     int limit, struct tl_err *err);

/* The bytes of block b read back from its blk file with reader d: *out
 * malloc'd (caller frees), b->size bytes, checked against b's hash (a blk
 * file rewritten since the index was built is an error, not wrong
 * bytes). Returns 0 or -1 with err. */
int tl_esplora_block_raw(struct tl_blkdir *d, const struct tl_block_rec *b, uint8_t **out, struct tl_err *err)
	__attribute__((warn_unused_result));

/* Merkle proof of transaction r in Electrum's get_merkle format
 * (/tx/:txid/merkle-proof): {"block_height", "merkle": [sibling hashes
 * from the leaves up, hex in display order like txids], "pos"}. */
json_t *tl_esplora_merkle_proof(struct tl_store *s, const struct tl_tx_rec *r, struct tl_err *err);

/* Core's merkleblock proving r (/tx/:txid/merkleblock-proof), as a hex
 * string (malloc'd, caller frees); the header is read from the blk file
 * with reader d. Returns NULL with err on failure. */
char *tl_esplora_merkleblock_hex(struct tl_store *s, struct tl_blkdir *d, const struct tl_tx_rec *r,
				 struct tl_err *err);

#endif
