/* Forward and backward taint walks over an abstract graph (taint/graph.h).
 *
 * Forward walk (tl_walk_forward): starts from seeds and visits
 * transactions in chain order (a min-heap of tx_num; each transaction is
 * processed once, when every tainted input it has is known), applying a
 * policy (taint/policy.h) to pass taint on. What happens to a tainted
 * output, checked in this order:
 *   1. dust: min_sat > 0 and its tainted amount < min_sat -> cut (dust);
 *   2. its address is tagged with a category in stop_cats -> endpoint;
 *      tagged mixer -> a mixer entry, and an endpoint if stop_at_mixers
 *      (otherwise walked through);
 *   3. unspent -> holding;
 *   4. max_hops > 0 and its hop >= max_hops -> cut (hops): not followed;
 *   5. otherwise followed into the spending transaction. If that
 *      transaction's height is above until_height (when set), the output
 *      is not followed and counts as a holding "at cutoff" (it was
 *      unspent at the cutoff height; at_cutoff = 1 in the list).
 * A CoinJoin transaction (tl_gtx.coinjoin) reached by taint is recorded
 * as a mixer entry and walked through; with stop_at_mixers its tainted
 * inputs become endpoints (kind TL_END_COINJOIN) instead.
 *
 * Hops: seed outputs have hop 0; an output of a transaction whose tainted
 * inputs have maximum hop h has hop h + 1 (an output that is itself a seed
 * keeps hop 0).
 *
 * Conservation (haircut, fifo, tiho; exact in satoshis):
 *   seeded == endpoints + holdings + fees + cut,   cut = cut_dust + cut_hops.
 * Poison taints every output in full and conserves nothing.
 *
 * Seeds: (tx_num, vout, amount). amount TL_SEED_FULL taints the whole
 * output; vout TL_SEED_WHOLE_TX seeds every output of the transaction in
 * full (amount ignored). Under fifo a partial seed taints the output's
 * first `amount` satoshis. A seed on an output that the walk also reaches
 * (a thief address receiving from an earlier seed) is merged, not added:
 * the output's taint becomes max(walked, seed) (fifo: the union of the
 * ranges), and `seeded` counts only what the seed added; duplicate seeds
 * are harmless for the same reason.
 *
 * Patterns: peel chains (links are non-CoinJoin transactions with exactly
 * one tainted input and two outputs of different value: the smaller is the
 * peel, the larger the remainder; a link whose tainted input is the
 * previous link's remainder continues its chain) and consolidations
 * (non-CoinJoin transactions with at least one tainted and one untainted
 * input). */
#ifndef TL_TAINT_WALK_H
#define TL_TAINT_WALK_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "taint/graph.h"
#include "taint/policy.h"

#define TL_SEED_FULL UINT64_MAX
#define TL_SEED_WHOLE_TX UINT32_MAX

/* Return code of tl_walk_forward / tl_walk_backward when max_tx was hit
 * (the API answers 413: the trace is too large; narrow it). */
#define TL_WALK_TOO_BIG (-2)

/* Return code of tl_walk_forward / tl_walk_backward when the deadline
 * passed or the cancel callback asked to stop (the API answers 422
 * trace_timeout: narrow the trace). res->visited tells how far it got. */
#define TL_WALK_TIMEOUT (-3)

/** Returns: milliseconds of a monotonic clock (CLOCK_MONOTONIC), the
 *  time base of the deadline fields below: deadline = tl_walk_now_ms() +
 *  budget.
 */
uint64_t tl_walk_now_ms(void);

/* How often (in transactions read) the deadline and the cancel callback
 * are checked when check_every is 0. */
#define TL_WALK_CHECK_EVERY 16u

struct tl_seed {
	uint64_t tx_num;
	uint32_t vout;   /* TL_SEED_WHOLE_TX: every output in full */
	uint64_t amount; /* TL_SEED_FULL: the whole value */
};

struct tl_walk_params {
	enum tl_policy policy;  /* default haircut */
	uint32_t stop_cats;     /* default EXCHANGE | BRIDGE | SERVICE */
	int stop_at_mixers;     /* default 0: walk through mixers */
	uint32_t max_hops;      /* 0 = no limit */
	uint64_t min_sat;       /* 0 = no dust threshold */
	uint32_t until_height;  /* 0 = no cutoff */
	uint64_t max_tx;        /* 0 = no cap on transactions visited */
	uint32_t peel_min_len;  /* shortest peel chain reported; default 3 */
	/* Time limit: tl_walk_now_ms() value after which the walk stops with
	 * TL_WALK_TIMEOUT; 0 = none. */
	uint64_t deadline_ms;
	/* Cancellation: when set, called with cancel_ctx every check_every
	 * transactions; a non-zero answer stops the walk with
	 * TL_WALK_TIMEOUT. Must be cheap and thread-safe with respect to
	 * cancel_ctx. NULL = none. */
	int (*cancel)(void *cancel_ctx);
	void *cancel_ctx;
	uint32_t check_every;   /* 0 = TL_WALK_CHECK_EVERY */
	/* Memory budget in bytes of the forward walk (0 = none): its records,
	 * maps and queue, and its result arrays counted TL_WALK_RESULT_FACTOR
	 * times over (the JSON answer built from them is about that much
	 * larger). Over it the walk stops with TL_WALK_MEMORY. */
	uint64_t max_mem;
};

/* Return code of tl_walk_forward when max_mem was reached (the API
 * answers 413 naming the budget). */
#define TL_WALK_MEMORY (-4)
/* How many times the result arrays count against max_mem. */
#define TL_WALK_RESULT_FACTOR 5

/** Fills *p with the defaults given in struct tl_walk_params.
 *
 *  Out:     p: the parameters.
 */
void tl_walk_params_default(struct tl_walk_params *p);

struct tl_walk_totals {
	uint64_t seeded, endpoints, holdings, fees, cut;
	uint64_t cut_dust, cut_hops; /* cut = cut_dust + cut_hops */
	uint64_t holdings_at_cutoff; /* part of holdings */
};

enum tl_end_kind {
	TL_END_TAGGED = 0, /* address tagged with a stop category */
	TL_END_MIXER,      /* address tagged mixer, stop_at_mixers set */
	TL_END_COINJOIN,   /* input of a CoinJoin, stop_at_mixers set */
};

struct tl_endpoint {
	uint64_t tx_num; /* the output (for TL_END_COINJOIN: the spent output) */
	uint32_t vout;
	uint64_t addr_id;
	uint64_t amount;  /* tainted satoshis */
	uint32_t hops;
	uint32_t height;  /* of the transaction that created the output */
	int64_t time;
	enum tl_end_kind kind;
	uint32_t cats;
	uint64_t cluster_id;
	char label[TL_ENTITY_LABEL_MAX];
	uint64_t coinjoin_tx; /* TL_END_COINJOIN: the CoinJoin; else 0 */
};

struct tl_holding {
	uint64_t tx_num;
	uint32_t vout;
	uint64_t addr_id;
	uint64_t amount;
	uint32_t hops;
	uint32_t height;
	int64_t time;
	int at_cutoff; /* spent, but above until_height */
};

#define TL_MIXER_WHOLE_TX UINT32_MAX
struct tl_mixer_entry {
	uint64_t tx_num;
	uint32_t vout;     /* TL_MIXER_WHOLE_TX: the CoinJoin tx_num itself */
	uint64_t addr_id;  /* 0 for a CoinJoin */
	uint64_t amount;   /* tainted satoshis going in */
	uint32_t hops;     /* output's hop; for a CoinJoin the max input hop */
	uint32_t height;
	int64_t time;
};

/* Tainted value moving from transaction from_tx to to_tx (one edge per
 * pair and spending transaction). */
struct tl_flow {
	uint64_t from_tx, to_tx;
	uint64_t amount;
};

enum tl_fate { TL_FATE_FOLLOWED = 0, TL_FATE_ENDPOINT, TL_FATE_HOLDING, TL_FATE_CUT };

struct tl_peel {
	uint32_t chain; /* index into peel_chains */
	uint64_t tx_num;
	uint32_t vout;
	uint64_t addr_id;
	uint64_t amount; /* tainted satoshis peeled off */
	enum tl_fate fate;
	uint32_t cats;   /* tags of the peel's address (0 if none) */
};

struct tl_peel_chain {
	uint64_t first_tx, last_tx;
	uint32_t length;   /* links */
	uint64_t peeled;   /* tainted satoshis on the peels */
	size_t first_peel; /* peels[first_peel .. first_peel + length - 1] */
};

struct tl_consolidation {
	uint64_t tx_num;
	uint32_t height;
	uint32_t n_tainted_in, n_clean_in;
	uint64_t tainted, clean; /* T and V - T */
};

/* Everything a forward walk found. Arrays are malloc'd and owned by the
 * result: release with tl_walk_result_free. Order: endpoints, holdings,
 * mixers, flows and consolidations in the order the walk met them (chain
 * order); peel chains by first_tx. */
struct tl_walk_result {
	struct tl_walk_totals totals;
	uint64_t visited; /* transactions processed */
	struct tl_endpoint *endpoints;
	size_t n_endpoints;
	struct tl_holding *holdings;
	size_t n_holdings;
	struct tl_mixer_entry *mixers;
	size_t n_mixers;
	struct tl_flow *flows;
	size_t n_flows;
	struct tl_peel_chain *peel_chains;
	size_t n_peel_chains;
	struct tl_peel *peels;
	size_t n_peels;
	struct tl_consolidation *consolidations;
	size_t n_consolidations;
};

/** Runs a forward walk.
 *
 *  Returns: 0 on success; TL_WALK_TOO_BIG when more than p->max_tx
 *           transactions would be visited; TL_WALK_MEMORY when p->max_mem
 *           was reached; TL_WALK_TIMEOUT when p->deadline_ms passed or
 *           p->cancel said stop (err says after how many transactions);
 *           -1 on bad input (seed output missing, seed amount above the
 *           output's value, bad parameters) or an error or inconsistency
 *           reported by the graph. err is set on every non-zero return.
 *  Args:    g: the graph (callbacks get_tx and get_spender required);
 *           err: receives the message.
 *  In:      seeds[n_seeds]: n_seeds >= 1; p: NULL = defaults.
 *  Out:     res: any previous content is overwritten, not freed; arrays
 *           owned by res, release with tl_walk_result_free. On any non-zero
 *           return it holds no arrays (visited tells how far the walk
 *           got) and is still safe to pass to tl_walk_result_free.
 */
int tl_walk_forward(const struct tl_graph *g, const struct tl_seed *seeds, size_t n_seeds,
                    const struct tl_walk_params *p, struct tl_walk_result *res, struct tl_err *err)
	__attribute__((warn_unused_result));

/** Frees the arrays of *res and zeroes it. NULL is a no-op. */
void tl_walk_result_free(struct tl_walk_result *res);

/* Backward walk (screening): the share of one output's value that comes
 * from each of a set of seed outputs within max_hops hops, under haircut
 * without rounding: every output of a transaction is the same mix of its
 * inputs (fees included), so an output's content is split over the
 * transaction's inputs by value. The target output is hop 0, the outputs
 * its transaction spends hop 1, and so on; a path reaching a seed within
 * max_hops credits it and stops there (a seed's own sources are not
 * looked through); contributions over all paths add up. Amounts are real
 * numbers of satoshis (double): screening reports shares, and the forward
 * walk is the exact instrument. */
struct tl_back_params {
	uint32_t max_hops; /* >= 1; default 6 */
	uint64_t max_tx;   /* 0 = no cap */
	/* As in tl_walk_params: checked every TL_WALK_CHECK_EVERY expanded
	 * transactions; 0 / NULL = none. */
	uint64_t deadline_ms;
	int (*cancel)(void *cancel_ctx);
	void *cancel_ctx;
};
/** Fills *p with the defaults (max_hops 6, no cap, no deadline, no cancel).
 *
 *  Out:     p: the parameters.
 */
void tl_back_params_default(struct tl_back_params *p);

struct tl_exposure {
	size_t seed;       /* index into the seeds array given */
	double amount;     /* satoshis of the target from that seed */
	double share;      /* amount / target value (0 if the value is 0) */
	uint32_t min_hops; /* shortest path found */
};

struct tl_back_result {
	uint64_t value;    /* the target output's value */
	double total;      /* sum of amounts */
	double share;      /* total / value */
	uint64_t visited;  /* transactions expanded */
	struct tl_exposure *exp; /* one per seed reached, by seed index */
	size_t n_exp;
};

/** Runs a backward walk from output (tx_num, vout).
 *
 *  Returns: 0 on success; TL_WALK_TOO_BIG past p->max_tx expanded
 *           transactions; TL_WALK_TIMEOUT past p->deadline_ms or when
 *           p->cancel said stop; -1 with err set on bad input or a graph
 *           error.
 *  Args:    g: the graph (get_tx required); err: receives the message.
 *  In:      tx_num, vout: the target output; seeds[n_seeds]: outrefs (the
 *           amount field is ignored; vout TL_SEED_WHOLE_TX not allowed);
 *           p: NULL = defaults.
 *  Out:     res: exp array malloc'd, owned by res, release with
 *           tl_back_result_free. On non-zero return it holds no array.
 */
int tl_walk_backward(const struct tl_graph *g, uint64_t tx_num, uint32_t vout,
                     const struct tl_seed *seeds, size_t n_seeds, const struct tl_back_params *p,
                     struct tl_back_result *res, struct tl_err *err) __attribute__((warn_unused_result));

/** Frees res->exp and zeroes *res. NULL is a no-op. */
void tl_back_result_free(struct tl_back_result *res);

#endif
