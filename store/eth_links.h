/* THORChain's router events in the Ethereum database (family eth_xlink),
 * written with their block by the indexer, rolled back with it (each key
 * is recorded in the block's undo row):
 *
 *   'o' inbound hash32 ‖ be64 block ‖ be32 log index -> outbound: kind u8
 *        (1 OUT, 2 REFUND) ‖ tx hash32 ‖ vault20 ‖ to20 ‖ asset20 ‖ amount
 *        (u256 compact) ‖ memo text
 *   'd' tx hash32 ‖ be32 log index -> deposit (an inbound): vault20 ‖
 *        asset20 ‖ amount ‖ memo text
 *   'v' vault20 ‖ be64 block ‖ be32 log index -> empty: the vault named by
 *        a router event, learned as a THORChain vault
 *   'x' be64 block ‖ be32 log index -> why the event is malformed (an
 *        ABI that does not fit, or a TransferOut whose memo is not
 *        OUT:/REFUND:<hash>)
 *
 * The inbound hash is the one the memo names, as it writes it: a Bitcoin
 * txid in display order, an Ethereum hash as is, so that a Bitcoin
 * inbound's txid finds its Ethereum outbound at once. Any contract that
 * emits the router's events is taken as a router (THORChain has deployed
 * several); the link needs the memo naming the inbound anyway. */
#ifndef TL_STORE_ETH_LINKS_H
#define TL_STORE_ETH_LINKS_H

#include <stddef.h>
#include <stdint.h>

#include "ethereum/model.h"
#include "store/eth_store.h"
#include "store/eth_undo.h"

struct tl_eth_links_counts {
	uint64_t deposits, outbounds, malformed;
};

/* Decodes the router events among one block's logs logs[0..n) and adds
 * their rows to b, each key recorded in u (may be NULL: no undo). *c (may
 * be NULL) gets what was found added to it. */
void tl_eth_links_add(struct tl_eth_batch *b, struct tl_eth_undo *u, const struct tl_eth_log *logs, size_t n,
		      struct tl_eth_links_counts *c);

struct tl_eth_outbound {
	uint8_t kind;        /* TL_MEMO_OUT or TL_MEMO_REFUND */
	uint64_t block;
	uint32_t log_index;
	uint8_t tx_hash[32];
	uint8_t vault[20], to[20], asset[20]; /* asset all zero: ether */
	tl_uint256 amount;
};

/* The first outbound (chain order) whose memo names in_hash (display
 * order, as the memo writes it). Returns 1 with *out, 0 none, -1 error. */
int tl_eth_links_resolve(struct tl_eth_store *s, const uint8_t in_hash[32], struct tl_eth_outbound *out,
			 struct tl_err *err) __attribute__((warn_unused_result));

/* 1 when a router event named addr as its vault, 0 not, -1 error. */
int tl_eth_links_is_vault(struct tl_eth_store *s, const uint8_t addr[20], struct tl_err *err)
	__attribute__((warn_unused_result));

/* Calls cb(ctx, address) once for every vault a router event named, in
 * address order; a nonzero return stops the walk and is returned.
 * Returns 0, cb's value, or -1. */
int tl_eth_links_each_vault(struct tl_eth_store *s, int (*cb)(void *ctx, const uint8_t addr[20]), void *ctx,
			    struct tl_err *err);

/* The rows of every kind, counted. Returns 0 or -1. */
int tl_eth_links_count(struct tl_eth_store *s, struct tl_eth_links_counts *c, uint64_t *vaults, struct tl_err *err)
	__attribute__((warn_unused_result));

#endif
