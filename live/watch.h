/* Matching screened outputs against the watches (api /v1/watches) and
 * queueing the alerts they ask for (live/deliver.h).
 *
 * A candidate is one output with its exposures (per heist, already
 * resolved to heist ids). A watch matches when
 *   - it lists the event type;
 *   - an address watch: the output pays its address, and the output's
 *     exposure summed over every heist passes the thresholds;
 *   - a heist watch: the output carries taint of that heist, and that
 *     heist's exposure passes the thresholds;
 * where passing is: tainted amount > 0, amount >= min_amount_sat (when
 * set) and amount / value >= min_share (when set).
 *
 * The callers: live/alerts.h (mempool transactions and indexed blocks). */
#ifndef TL_LIVE_WATCH_H
#define TL_LIVE_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "store/store.h"

struct tl_watch_exposure {
	const char *heist;   /* heist id */
	uint64_t amount_sat; /* tainted satoshis of this output */
	uint32_t hops;
};

struct tl_watch_candidate {
	char txid[65];       /* hex, display order */
	uint32_t vout;
	const char *address; /* the output's address; NULL when it has none */
	uint64_t value_sat;  /* the output's value */
	uint32_t confirmations;
	const char *risk;    /* the screening verdict's risk level */
	const struct tl_watch_exposure *exp;
	size_t nexp;
};

/* Whether the watch (stored JSON text) matches candidate c for event
 * type. Returns 1, 0, or -1 when the watch text is damaged. */
int tl_watch_matches(const char *watch_text, const char *type, const struct tl_watch_candidate *c);

/* Queues an alert of type for c to every matching watch of the primary
 * database w, at now_ms; *queued receives how many. Returns 0 or -1
 * with err. */
int tl_watch_alert(struct tl_store *w, const char *type, const struct tl_watch_candidate *c, int64_t now_ms,
		   size_t *queued, struct tl_err *err) __attribute__((warn_unused_result));

#endif
