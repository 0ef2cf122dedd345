/* The Ethereum screening index (family eth_screen): for each imported
 * heist, the taint every account received (haircut, the default stops
 * and hop limit, as `trace --heist ID --policy haircut`), per asset, at
 * the tip it was materialized to, so that screening an account is a few
 * point reads.
 *
 *   heist id ‖ 0 ‖ account id BE8 -> JSON {asset: tainted received (decimal)}
 *   0xff ‖ heist id               -> JSON {"tip": height, "policy": "haircut", "accounts": n}
 *   0xfe ‖ heist id               -> JSON [{"tx", "vault", "asset", "amount_in", "tainted_in"}]:
 *                                    the heist's deposits into bridge accounts (THORChain
 *                                    inbounds), what screening on the other chain starts from
 *                                    (tracer/screen_xchain.h)
 *
 * Exposure that crossed from another chain (a THORChain outbound paying
 * an account here, funded by a tainted inbound there) is kept under the
 * id "<heist>@<chain>" (heist ids hold no '@'), written whole by
 * tl_eth_screen_store_bridged, and reported as the heist's exposure with
 * "from_chain" and "via": "thorchain".
 *
 * The index is written whole per heist (tl_eth_screen_store replaces
 * what was there) by heist import and by index --chain ethereum after new
 * blocks (cli/eth_trace.c replays the chain). */
#ifndef TL_STORE_ETH_SCREEN_H
#define TL_STORE_ETH_SCREEN_H

#include <stdint.h>

#include <jansson.h>

#include "store/eth_store.h"

/* Replaces heist's screening entries by by_acct ("<account id>" ->
 * {asset: decimal}) and its bridge deposits by inbounds (an array as
 * above; NULL or empty: none), materialized at block tip, in one write.
 * Returns 0 or -1. */
int tl_eth_screen_store(struct tl_eth_store *s, const char *heist, int64_t tip, json_t *by_acct, json_t *inbounds,
			struct tl_err *err) __attribute__((warn_unused_result));

/* The bridge deposits of heist's materialization: 1 and *out (an array,
 * caller json_decrefs), 0 none recorded, -1 error. */
int tl_eth_screen_inbounds(struct tl_eth_store *s, const char *heist, json_t **out, struct tl_err *err)
	__attribute__((warn_unused_result));

/* Replaces the exposure heist (stored in the database of chain
 * from_chain) reached here across a bridge: by_acct as for
 * tl_eth_screen_store; an empty by_acct removes it. Returns 0 or -1. */
int tl_eth_screen_store_bridged(struct tl_eth_store *s, const char *heist, const char *from_chain, int64_t tip,
				json_t *by_acct, struct tl_err *err) __attribute__((warn_unused_result));

/* The heists whose exposure came from chain from_chain (as
 * tl_eth_screen_store_bridged wrote them): *out an array of heist ids
 * (caller json_decrefs). Returns 0 or -1. */
int tl_eth_screen_bridged_list(struct tl_eth_store *s, const char *from_chain, json_t **out, struct tl_err *err)
	__attribute__((warn_unused_result));

/* Removes heist's screening entries and state (its seeds left the
 * index). Returns 0 or -1. */
int tl_eth_screen_drop(struct tl_eth_store *s, const char *heist, struct tl_err *err) __attribute__((warn_unused_result));

/* 1 when heist has a screening index (*tip gets its block), 0 none, -1. */
int tl_eth_screen_state(struct tl_eth_store *s, const char *heist, int64_t *tip, struct tl_err *err);

/* The exposure of account addr to every materialized heist: *out (caller
 * json_decrefs) = {"address", "exposures": [{"heist", "tip", "assets":
 * [{"asset", "tainted", "received", "share"}]}]}, amounts in base units
 * as decimal strings, share = tainted / received to 6 decimals, exact
 * (floor), as a string ("0.250000"); an account the index never saw, or
 * with no exposure, has an empty list. Returns 0 or -1. */
int tl_eth_screen_account(struct tl_eth_store *s, const uint8_t addr[20], json_t **out, struct tl_err *err)
	__attribute__((warn_unused_result));

/* For many lookups: a handle caching the materialized heists (open it
 * again after an import or an update). One per thread. */
struct tl_eth_screen;
int tl_eth_screen_open(struct tl_eth_store *s, struct tl_eth_screen **out, struct tl_err *err)
	__attribute__((warn_unused_result));
/* tl_eth_screen_account through the handle. Returns 0 or -1. */
int tl_eth_screen_lookup(struct tl_eth_screen *h, const uint8_t addr[20], json_t **out, struct tl_err *err)
	__attribute__((warn_unused_result));
void tl_eth_screen_close(struct tl_eth_screen *h);

#endif
