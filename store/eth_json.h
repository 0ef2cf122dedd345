/* JSON views of the Ethereum database for `taintline get` and the API:
 * amounts as decimal strings in base units (wei, token units), addresses
 * lower case, hashes 0x-hex. */
#ifndef TL_STORE_ETH_JSON_H
#define TL_STORE_ETH_JSON_H

#include <stdint.h>

#include <jansson.h>

#include "base/err.h"
#include "store/eth_store.h"

/* {address, first_block, last_block, assets: [{asset, symbol, decimals,
 * received, sent, fees, balance, transfers}], notes: [...]}. An account
 * the index never saw has no assets. Returns a new object or NULL (err). */
json_t *tl_eth_json_account(struct tl_eth_store *s, const uint8_t addr[20], struct tl_err *err);
/* The account's transfers of one asset (NULL contract: ether), newest
 * first, up to limit, before transfer `before` (UINT64_MAX: newest):
 * {transfers: [...], next: cursor or null}. */
json_t *tl_eth_json_history(struct tl_eth_store *s, const uint8_t addr[20], const uint8_t *contract, uint64_t before,
			    int limit, struct tl_err *err);
/* The transaction with its transfers, or NULL with "Transaction not found". */
json_t *tl_eth_json_tx(struct tl_eth_store *s, const uint8_t hash[32], struct tl_err *err);
/* The block (by number, or by hash when hash is non-NULL). */
json_t *tl_eth_json_block(struct tl_eth_store *s, uint64_t number, const uint8_t *hash, struct tl_err *err);
/* One transfer record as JSON (seq is its position). */
json_t *tl_eth_json_xfer(struct tl_eth_store *s, uint64_t seq, const struct tl_eth_xfer_rec *r, struct tl_err *err);

#endif
