/* The node's unconfirmed transactions, screened: each transaction added
 * gets, per heist, the taint of its inputs (confirmed outputs from the
 * screening index, unconfirmed parents from the mempool itself) spread
 * over its outputs as the screening walk does (tracer/screen.h): output
 * o gets floor(T * value_o / inputs' value) of the T tainted satoshis
 * entering (none under min_sat), one hop further than the farthest
 * tainted input; endpoints (stop categories) pass no taint on. Transactions leave when
 * the node drops them (replaced, evicted, conflicted by a block, or
 * confirmed), with every descendant. Thread-safe (one lock). */
#ifndef TL_LIVE_MEMPOOL_H
#define TL_LIVE_MEMPOOL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"
#include "tracer/screen.h"

#define TL_MEMPOOL_MAX_EXP 64

/* Resolves a confirmed prevout: its value, and its exposures (up to cap,
 * value fields ignored). Returns the number of exposures, -2 when the
 * output is not in the index (yet), -1 on error. */
typedef int (*tl_prevout_fn)(void *ctx, const uint8_t txid[32], uint32_t vout, uint64_t *value,
			     struct tl_screen_exp *exp, size_t cap, struct tl_err *err);

struct tl_mempool;

/* An empty mempool (NULL when out of memory); free with tl_mempool_free
 * (NULL is ignored). */
struct tl_mempool *tl_mempool_new(void);
void tl_mempool_free(struct tl_mempool *mp);

/* Parses and adds a transaction, computing its outputs' taint through
 * fn. Returns 1 added, 0 already there, -1 with err (does not parse, a
 * resolver error). A transaction with inputs not found anywhere is kept
 * and marked: tl_mempool_rescreen computes it again later. */
int tl_mempool_add(struct tl_mempool *mp, const uint8_t *raw, size_t len, tl_prevout_fn fn, void *ctx,
		   struct tl_err *err) __attribute__((warn_unused_result));
/* Removes txid and its descendants. Returns how many left. */
size_t tl_mempool_remove(struct tl_mempool *mp, const uint8_t txid[32]);
/* Removes every transaction not among keep[0..n-1] (the node's
 * getrawmempool), descendants included. Returns how many left. */
size_t tl_mempool_retain(struct tl_mempool *mp, const uint8_t (*keep)[32], size_t n);
/* Whether txid is held (1 or 0), and how many transactions are. */
int tl_mempool_has(struct tl_mempool *mp, const uint8_t txid[32]);
size_t tl_mempool_count(struct tl_mempool *mp);
/* Computes again the transactions added while some input was unknown
 * (their parent block was not indexed yet), or whose unconfirmed parent
 * was, parents first; the listener hears of each one now resolved.
 * Returns how many were resolved. */
size_t tl_mempool_rescreen(struct tl_mempool *mp, tl_prevout_fn fn, void *ctx);

/* 1 when txid's screening saw every input (its own and its unconfirmed
 * ancestors'), 0 while some input is still unknown (its taint is
 * partial), -1 when txid is not held. */
int tl_mempool_resolved(struct tl_mempool *mp, const uint8_t txid[32]);
/* How many held transactions are not resolved (a linear count). */
size_t tl_mempool_unresolved(struct tl_mempool *mp);

/* An unconfirmed output's value and exposures (value set to the
 * output's). Returns the number of exposures, or -1 when txid is not held
 * or vout is past its outputs. */
int tl_mempool_output(struct tl_mempool *mp, const uint8_t txid[32], uint32_t vout, uint64_t *value,
		      struct tl_screen_exp *exp, size_t cap);

/* Verdicts (tracer/screen.h's form) for an unconfirmed outpoint
 * (vout < UINT32_MAX) or transaction (vout == UINT32_MAX: the worst of
 * its outputs, with "outputs"), with "confirmations": 0. NULL when txid
 * is not held (or vout is past its outputs). */
json_t *tl_mempool_screen(struct tl_mempool *mp, struct tl_screen *sc, const uint8_t txid[32], uint32_t vout);

/* Told the txid of each transaction added or resolved by
 * tl_mempool_rescreen (its exposures may have changed), from the thread
 * that did it, with the mempool's lock held (so that a transaction seen
 * held and resolved has been told): it must not call the mempool. The
 * watch alerts (live/alerts.h) listen. */
typedef void (*tl_mempool_listener)(void *ctx, const uint8_t txid[32]);
/* Sets the listener (NULL = none). */
void tl_mempool_set_listener(struct tl_mempool *mp, tl_mempool_listener fn, void *ctx);

/* A copy of txid's raw bytes into *raw (malloc'd, the caller frees) and
 * *len. Returns 1, or 0 when txid is not held. */
int tl_mempool_raw(struct tl_mempool *mp, const uint8_t txid[32], uint8_t **raw, size_t *len);
/* The txids held now, into *out (malloc'd, the caller frees). Returns
 * how many. */
size_t tl_mempool_txids(struct tl_mempool *mp, uint8_t (**out)[32]);

/* The resolver over a store and a screening context (ctx = struct
 * tl_mempool_index). */
struct tl_mempool_index {
	struct tl_store *store;
	struct tl_screen *sc;
};
int tl_mempool_index_prevout(void *ctx, const uint8_t txid[32], uint32_t vout, uint64_t *value,
			     struct tl_screen_exp *exp, size_t cap, struct tl_err *err);

#endif
