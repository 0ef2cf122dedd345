/* Account-model taint: the engine that follows tainted amounts through
 * per-(account, asset) pools, for chains where funds pool in balances
 * (Ethereum and its tokens). It knows no chain and no database: accounts
 * and assets are dense integers chosen by the caller, transactions come
 * in chain order with their transfers, and the caller says which
 * accounts are stops (endpoint categories). docs/policies.md,
 * "Account-model policies", defines every rule below with examples.
 *
 * Per pool (account, asset) the engine keeps the balance B the transfers
 * show and, by policy, its taint:
 *   poison    : once the pool received any taint, every later outgoing
 *               amount is tainted in full; its holding is its balance;
 *   haircut   : T <= B; an outgoing amount a carries floor(a * T / B)
 *               (exact 512-bit product);
 *   fifo      : a queue of tainted and clean pieces in arrival order; an
 *               outgoing amount takes pieces from the front (splitting
 *               the last) and the recipient appends them in that order;
 *   seniority : an outgoing amount carries min(a, T) (taint leaves first).
 * Unknown prior funds: when an outgoing amount exceeds B, the shortfall is
 * first added as clean funds held before (at the front of a fifo queue)
 * and counted in the asset's unknown_prior.
 *
 * One transaction (tl_taint_apply):
 *   - failed (ok = 0): only its fee transfers move;
 *   - a conversion when it succeeded, has a sender X, carries no seed,
 *     and X's nonzero non-fee transfers send exactly one asset A and
 *     receive exactly one other asset B. Then: the fees; X's outgoing A
 *     transfers in order, their policy taint (total t over amounts
 *     totalling a) leaving X's pool and counted in converted_out[A],
 *     the recipients receiving the amounts clean; then the other
 *     transfers in order, where X's incoming B amounts (total b) carry
 *     t_B = floor(b * t / a) between them: b_i carries floor(b_i * t_B /
 *     b), the last the remainder, on top of whatever the policy takes
 *     from the B sender's pool, the conversion's part capped so that the
 *     total does not exceed b_i; what is given counts in converted_in[B].
 *     Under fifo such an amount joins X's queue as a tainted piece then
 *     a clean piece. The conversion keeps the hop of X's A pool;
 *   - otherwise the transfers in order.
 * A fee's policy taint is a sink (totals.fees); its recipient (the block's
 * fee recipient, or none for the burnt part) receives the amount clean.
 * A seed transfer is tainted in full at its recipient: its sender's pool
 * is debited as by any transfer (the seed adds no taint there), and only
 * what the seed adds over what the policy carried counts as seeded.
 *
 * What happens to an amount carrying taint c > 0 at hop h (seeds hop 0,
 * otherwise the sender pool's hop + 1), checked in this order:
 *   1. min_amount > 0 and c < min_amount: cut (cut_dust); the recipient
 *      receives the amount clean;
 *   2. max_hops > 0 and h > max_hops: cut (cut_hops), the same;
 *   3. the recipient's categories meet stop_cats, or it is nowhere (a
 *      burn): an endpoint; the recipient receives the amount clean;
 *   4. otherwise the recipient's pool receives it (its hop becomes the
 *      largest hop of the taint it holds).
 * Holdings: tainted amounts in pools at the end (poison: the balances of
 * poisoned pools).
 *
 * Conservation, per asset, exact, for every policy but poison:
 *   seeded + converted_in == endpoints + holdings + fees + cut + converted_out
 *
 * Memory: the engine owns everything it allocates; arrays handed out in
 * struct tl_taint_result stay valid until tl_taint_free. Not thread-safe;
 * one engine per trace. */
#ifndef TL_TAINT_ACCOUNT_H
#define TL_TAINT_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "ethereum/u256.h"

/* The account of nowhere: the source of a mint or reward, the sink of a
 * burn or of a fee's burnt part. */
#define TL_TAINT_NOWHERE UINT64_MAX

enum tl_taint_policy { TL_TP_POISON = 0, TL_TP_HAIRCUT, TL_TP_FIFO, TL_TP_SENIORITY };

/** Returns: the policy's static name: "poison", "haircut", "fifo" or
 *  "seniority".
 */
const char *tl_taint_policy_name(enum tl_taint_policy p);
/** Parses a policy name.
 *
 *  Returns: 0 on success; -1 on an unknown name (or NULL).
 *  In:      s: NUL-terminated, exact lower case.
 *  Out:     p: the policy (written only on success).
 */
int tl_taint_policy_parse(const char *s, enum tl_taint_policy *p) __attribute__((warn_unused_result));

enum tl_taint_kind {
	TL_TK_VALUE = 0, /* a native or token transfer between accounts */
	TL_TK_FEE,       /* a transaction fee (or part of it) from the sender */
	TL_TK_MINT,      /* from nowhere (mint, reward, withdrawal) */
	TL_TK_BURN,      /* to nowhere */
};

struct tl_taint_xfer {
	uint64_t from, to; /* TL_TAINT_NOWHERE for a mint's source, a burn's sink */
	uint32_t asset;    /* dense asset id of the caller's choosing */
	uint8_t kind;      /* enum tl_taint_kind */
	uint8_t seed;      /* 1: tainted in full at its recipient (not on fees) */
	tl_uint256 amount;    /* zero amounts are ignored */
};

struct tl_taint_tx {
	uint64_t num;    /* position in chain order; strictly increasing */
	uint64_t sender; /* the account that sent it; TL_TAINT_NOWHERE for none */
	uint32_t height;
	int64_t time;
	bool ok;         /* the transaction succeeded */
};

struct tl_taint_params {
	enum tl_taint_policy policy; /* default haircut */
	uint32_t stop_cats;  /* categories that make an endpoint (caller's bits) */
	uint32_t max_hops;   /* 0 = no limit */
	tl_uint256 min_amount;  /* 0 = none */
	/* Categories of an account (0 = nothing known), asked once per pool
	 * the engine creates; NULL = no account is tagged. Must not fail. */
	uint32_t (*account_cats)(void *ctx, uint64_t account);
	void *cats_ctx;
};

/** Fills *p with the defaults (haircut, no stops, no limits, no tags).
 *
 *  Out:     p: the parameters.
 */
void tl_taint_params_default(struct tl_taint_params *p);

struct tl_taint_totals {
	tl_uint256 seeded, endpoints, holdings, fees, cut, converted_in, converted_out, unknown_prior;
	tl_uint256 cut_dust, cut_hops; /* cut = cut_dust + cut_hops */
};

struct tl_taint_endpoint {
	uint64_t account; /* TL_TAINT_NOWHERE: a burn */
	uint64_t from;    /* the sender of the transfer */
	uint32_t asset;
	tl_uint256 amount;   /* taint */
	uint64_t tx;
	uint32_t hops, height;
	int64_t time;
	uint32_t cats;
};

struct tl_taint_holding {
	uint64_t account;
	uint32_t asset;
	tl_uint256 amount;  /* taint held at the end */
	tl_uint256 balance; /* the pool's balance at the end */
	uint32_t hops;
};

/* Tainted flow between two accounts in one asset, summed over transfers
 * that delivered taint or ended at an endpoint (not cut ones). A
 * conversion's incoming amounts are edges from their senders (the pool
 * that paid them out) carrying what they delivered. */
struct tl_taint_edge {
	uint64_t from, to;
	uint32_t asset;
	tl_uint256 amount;
	uint32_t transfers;
};

struct tl_taint_result {
	struct tl_taint_totals *totals; /* indexed by asset id, n_assets entries */
	uint32_t n_assets;
	struct tl_taint_endpoint *endpoints; /* in chain order */
	size_t n_endpoints;
	struct tl_taint_holding *holdings;   /* by account, then asset */
	size_t n_holdings;
	struct tl_taint_edge *edges;         /* in order of first flow */
	size_t n_edges;
	uint64_t txs, transfers, conversions;
};

struct tl_taint;

/** Creates an engine for one trace.
 *
 *  Returns: the engine, freed with tl_taint_free; NULL on out of memory.
 *  In:      p: the parameters (copied; NULL = defaults).
 */
struct tl_taint *tl_taint_new(const struct tl_taint_params *p);
/** Frees the engine and everything its result points to. NULL is a no-op. */
void tl_taint_free(struct tl_taint *e);

/** Applies one transaction.
 *
 *  Returns: 0 on success; -1 with err set on bad input: transactions out
 *           of order, a seed on a fee, a fee without a payer, a value
 *           transfer without both ends, a mint with a source or a burn
 *           with a sink, an asset id of 2^24 or more, or a balance or
 *           total that would pass 2^256 - 1. After an error the engine's
 *           state is unspecified: free it.
 *  Args:    e: the engine; err: receives the message.
 *  In:      tx: the transaction; x[0..n): its transfers in the index's
 *           order (fee, native in call-tree order, tokens in log order).
 */
int tl_taint_apply(struct tl_taint *e, const struct tl_taint_tx *tx, const struct tl_taint_xfer *x, size_t n,
                   struct tl_err *err) __attribute__((warn_unused_result));

/** Finishes the trace: computes holdings. Call once, after the last
 *  tl_taint_apply.
 *
 *  Returns: 0 on success; -1 with err set (out of memory, a holdings total
 *           past 2^256 - 1).
 *  Args:    e: the engine; err: receives the message.
 *  Out:     out: the result; its arrays are owned by the engine and valid
 *           until tl_taint_free.
 */
int tl_taint_finish(struct tl_taint *e, struct tl_taint_result *out, struct tl_err *err)
	__attribute__((warn_unused_result));

/** The conservation check of one asset's totals.
 *
 *  Returns: 1 when seeded + converted_in == endpoints + holdings + fees +
 *           cut + converted_out (and cut == cut_dust + cut_hops), else 0.
 *  In:      t: one asset's totals.
 */
int tl_taint_conserved(const struct tl_taint_totals *t);

#endif
