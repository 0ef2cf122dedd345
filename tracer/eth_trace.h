/* The Ethereum trace and the cross-chain trace as library calls: what
 * `taintline trace --db ETHDB` and `trace --db BTCDB --db ETHDB` print
 * and what the API serves, built by one function each so that both
 * front ends give the same report for the same parameters.
 *
 * The Ethereum trace replays the index's transfers in chain order through
 * the account-model engine (taint/account.h), from the first indexed
 * transfer: under haircut and fifo what an account held before the taint
 * arrived decides the shares, so every balance must be known. */
#ifndef TL_TRACER_ETH_TRACE_H
#define TL_TRACER_ETH_TRACE_H

#include <stdint.h>

#include <jansson.h>

#include "base/err.h"
#include "ethereum/u256.h"
#include "store/eth_store.h"
#include "store/tlp.h"
#include "store/store.h"
#include "taint/account.h"

/* What to trace: exactly one of heist, seeds (nseeds > 0), address. */
struct tl_eth_trace_req {
	const char *heist;          /* a heist id */
	const char *heists_file;    /* its registry file; NULL = the database's (heist import) */
	const char *const *seeds;   /* "TXHASH" or "TXHASH:TO" */
	int nseeds;
	const char *address, *from, *to, *asset; /* everything address received in [from, to] */
	const char *const *tag_files; /* besides the database's tags; this chain's entries only */
	int ntags;
	/* policy, max_hops, min_amount, stop_cats (TL_CAT_* bits, mixers
	 * included when stop_at_mixers); account_cats is the library's. */
	struct tl_taint_params p;
	int stop_at_mixers;         /* reported; its bit must be in p.stop_cats */
	int deposit_heuristic;
	int64_t until;              /* last block replayed; -1 = the tip */
	/* The caller's TLP clearance (NULL: everything): stored tags and a
	 * stored heist above it are left out as if never imported, and the
	 * report's params name it. Tag and registry files given here are
	 * the caller's own and always count. */
	const struct tl_clearance *clearance;
	/* Asked every few thousand transfers: nonzero stops the trace with
	 * TL_WALK_TIMEOUT (a deadline passed, the client left). NULL = never. */
	int (*cancel)(void *ctx);
	void *cancel_ctx;
};

/* Fills r with the command line's defaults (haircut, default hop limit,
 * stops exchange,bridge,service, until the tip). */
void tl_eth_trace_req_default(struct tl_eth_trace_req *r);

/* Stop categories from a comma list ("exchange,bridge"): TL_CAT_* bits,
 * or UINT32_MAX for an unknown name. */
uint32_t tl_eth_trace_parse_cats(const char *list);

/* Runs the trace on st (any open mode) and builds the report. Returns 0
 * and *out (caller json_decrefs), TL_WALK_TIMEOUT when cancel stopped it,
 * or -1 with err (unknown heist or seeds, bad tag file, store error). */
int tl_eth_trace_report(struct tl_eth_store *st, const struct tl_eth_trace_req *rq, json_t **out, struct tl_err *err)
	__attribute__((warn_unused_result));

/* Writes the screening index of heist (st open for writing) from a replay
 * of the whole chain under haircut with the default stops and hop limit
 * (store/eth_screen.h). Returns 0 or -1 with err. */
int tl_eth_screen_materialize(struct tl_eth_store *st, const char *heist, struct tl_err *err)
	__attribute__((warn_unused_result));

/* The screening replay of tl_eth_screen_materialize from the transfers
 * of seeds[0..n), each "TXHASH:TO" (every value transfer of TXHASH to
 * TO, tainted in full): *by_acct (caller json_decrefs) = {"<account id>":
 * {asset: tainted received, decimal}}. What crosses in from another
 * chain continues with it (tracer/screen_xchain.h). Returns 0 or -1. */
int tl_eth_screen_flows(struct tl_eth_store *st, const char *const *seeds, size_t n, json_t **by_acct,
                        struct tl_err *err) __attribute__((warn_unused_result));

/* The deposit-address heuristic (eth_deposit.c): *hot_of (n_acct
 * entries, malloc'd, caller frees) gets for each account id the hot
 * wallet it forwards to when it is an untagged account whose every
 * outgoing value transfer goes to that one account tagged exchange (per
 * cats(ctx, id)), 0 otherwise; *found the count. Scans every transfer
 * once. Returns 0 or -1. */
int tl_eth_deposit_accounts(struct tl_eth_store *st, uint64_t n_acct, uint32_t (*cats)(void *, uint64_t), void *ctx,
                            uint64_t **hot_of, size_t *found, struct tl_err *err) __attribute__((warn_unused_result));

/* ---- across both chains (xchain_trace.c) ---- */

struct tl_xchain_req {
	const char *heist, *heists_file; /* heists_file NULL: the databases' registries */
	const char *policy;              /* a Bitcoin name or its account analog; NULL = haircut */
	const char *const *tag_files;
	int ntags;
	int has_max_hops, has_min_sat, has_min_amount;
	uint32_t max_hops;
	uint64_t min_sat;
	tl_uint256 min_amount;           /* base units; also Bitcoin's min_sat without has_min_sat (fits 64 bits) */
	/* The budget: transactions and memory of each Bitcoin walk (0 =
	 * the walk's defaults), a deadline (tl_walk_now_ms clock, 0 none) and
	 * a cancel callback asked by both chains' walks. */
	uint64_t max_tx, max_mem, deadline_ms;
	int (*cancel)(void *ctx);
	void *cancel_ctx;
};

/* Follows heist over both databases (bs: Bitcoin, es: Ethereum, any open
 * mode) and builds the one report of docs/bridges.md. Returns 0 and *out
 * (caller json_decrefs), a TL_WALK_* code (TOO_BIG, TIMEOUT, MEMORY) when
 * the budget stopped it, or -1 with err. */
int tl_xchain_trace_report(struct tl_store *bs, struct tl_eth_store *es, const struct tl_xchain_req *rq, json_t **out,
			   struct tl_err *err) __attribute__((warn_unused_result));

/* The report as one self-contained HTML page (*text malloc'd). Returns 0
 * or -1. */
int tl_xchain_render_html(const json_t *report, char **text, struct tl_err *err) __attribute__((warn_unused_result));

#endif
