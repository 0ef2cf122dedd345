/* Screening across THORChain: exposure that crossed from one chain's
 * database into the other's, materialized in the target's own screening
 * index so that a lookup stays a few point reads (docs/bridges.md).
 *
 * Each chain's screening materialization records the THORChain inbounds
 * its heists reach (deposits into bridge accounts, with the inbound
 * amount a and its tainted part t):
 *   Ethereum: store/eth_screen.h's bridge deposits row, written with the
 *             heist's screening index (tl_xscreen_eth_inbounds);
 *   Bitcoin:  the screening walk's endpoints at bridge addresses whose
 *             transaction carries a swap memo to ETH (read at sync time).
 * tl_screen_xchain_sync copies them across:
 *   Ethereum -> Bitcoin: the inbounds are written into the Bitcoin
 *             database (meta "xscreen.<heist>", the heist's definition
 *             imported there when missing) and the Bitcoin screening
 *             update seeds, for every inbound whose outbound (memo
 *             OUT:<inbound hash>) is indexed, the outbound's payout with
 *             floor(o * t / a) and walks on from it like any heist seed;
 *   Bitcoin -> Ethereum: the router's TransferOut naming the inbound's
 *             txid pays floor(o * t / a) to its payee. A payout tainted
 *             on every unit (the deposit fully tainted) is followed on by
 *             the Ethereum screening replay from that transfer, as the
 *             cross-chain trace follows it; a partly tainted one exposes
 *             the payee only (the account engine seeds whole transfers).
 *             The result is written as the accounts' exposure
 *             ("<heist>@bitcoin" in the Ethereum screening index).
 *
 * Keeping it current: a new outbound on Bitcoin after its inbound is
 * picked up by the Bitcoin screening update alone (index runs it): the
 * resolved seeds' signature changes and the heist is rebuilt. A new
 * tainted inbound (Ethereum grew, or a heist import) and the
 * Bitcoin -> Ethereum direction need the sync, which sees both
 * databases: `taintline screen --db BTCDB --db ETHDB --update`. */
#ifndef TL_TRACER_SCREEN_XCHAIN_H
#define TL_TRACER_SCREEN_XCHAIN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"
#include "store/eth_store.h"
#include "store/store.h"
#include "taint/account.h"

/* The bridge deposits among an Ethereum screening replay's endpoints:
 * every endpoint at an account with the bridge category, summed per
 * (transaction, vault, asset): *out (caller json_decrefs) = [{tx (0x
 * hash), vault (0x address), asset ("ETH" or the token's 0x contract),
 * amount_in (what the transaction moved of the asset to the vault),
 * tainted_in}] with decimal strings, in chain order. Returns 0 or -1. */
int tl_xscreen_eth_inbounds(struct tl_eth_store *st, const struct tl_taint_result *res, json_t **out,
			    struct tl_err *err) __attribute__((warn_unused_result));

/* A seed of the Bitcoin screening walk: amount satoshis of output
 * (tx_num, vout), at most the output's value. */
struct tl_xscreen_seed {
	uint64_t tx_num;
	uint32_t vout;
	uint64_t amount;
};

/* The Bitcoin seeds of heist that crossed in from another chain: for each
 * inbound recorded for it (meta "xscreen.<heist>") whose outbound is
 * indexed (memo OUT:<hash>), the payout output with floor(o * t / a)
 * (zero amounts left out). *seeds (malloc'd, caller frees; may be NULL
 * to count only) and *n get them in chain order; *sig a signature of
 * them, nonzero, so that an update can tell they changed. Returns 1,
 * 0 when nothing is recorded for heist (*n 0, *sig 0), or -1. */
int tl_xscreen_btc_seeds(struct tl_store *bs, const char *heist, struct tl_xscreen_seed **seeds, size_t *n,
			 uint64_t *sig, struct tl_err *err) __attribute__((warn_unused_result));

struct tl_xscreen_stats {
	uint32_t eth_heists;     /* Ethereum heists with bridge deposits */
	uint32_t inbounds;       /* their deposits copied to Bitcoin */
	uint32_t outbounds;      /* of those, paid out on Bitcoin (seeds) */
	uint32_t btc_heists;     /* Bitcoin heists reaching a swap to ETH */
	uint32_t eth_payouts;    /* of their swaps, paid out on Ethereum */
	uint32_t btc_pending;    /* of their swaps, no TransferOut indexed yet */
};

/* Brings both screening indexes' cross-chain exposure up to date (both
 * stores open for writing; each chain's own screening index current, as
 * index and heist import leave it): Ethereum -> Bitcoin, then the Bitcoin
 * screening update (tracer/screen.h), then Bitcoin -> Ethereum. The
 * result depends only on the two databases, not on the order of earlier
 * syncs and index runs. st may be NULL. Returns 0 or -1. */
int tl_screen_xchain_sync(struct tl_store *bs, struct tl_eth_store *es, struct tl_xscreen_stats *st,
			  struct tl_err *err) __attribute__((warn_unused_result));

#endif
