/* Delivery of watch alerts as Standard Webhooks (live/webhook.h), at
 * least once. An event is first written into the database as a pending
 * delivery of its watch (store/watches.h) with its webhook-id, timestamp
 * and body fixed, so every retry sends the same id and a restart loses
 * no pending delivery. A pass sends every pending delivery that is due:
 * a 2xx answer marks it delivered; anything else (no connection, a
 * timeout, another status) schedules the next try base_ms * 2^(tries-1)
 * later (capped at an hour) until max_age_s after the event, when it is
 * marked failed. Time is passed in by the caller (tests drive a clock).
 * The due deliveries of a pass are sent concurrently (live/httpsend.h),
 * to http:// or https:// URLs (the certificate verified). */
#ifndef TL_LIVE_DELIVER_H
#define TL_LIVE_DELIVER_H

#include <stdint.h>

#include <jansson.h>

#include "base/err.h"
#include "store/store.h"

struct tl_deliver_opts {
	int64_t base_ms;   /* first retry after this; 0 = 2000 (within 10 s) */
	int64_t max_age_s; /* give up this long after the event; 0 = 86400 */
	int timeout_ms;    /* per attempt (connect, send, answer); 0 = 5000 */
	size_t max_batch;  /* most deliveries sent in one pass; 0 = 256 */
	const char *ca_file; /* PEM certificates trusted besides the system's (https); NULL = none */
	int64_t sig_time_ms; /* webhook-timestamp's clock when the scheduling clock is scaled; 0 = now_ms */
};

/* Queues an event of watch (the primary database): type among deposit,
 * confirmed, movement, reorg; data is the body's "data" object
 * (borrowed). now_ms is the event's time (ms since the epoch). Returns
 * 0 with *seq the delivery's number, or -1 with err. */
int tl_deliver_enqueue(struct tl_store *w, uint64_t watch, const char *type, json_t *data, int64_t now_ms,
		       uint64_t *seq, struct tl_err *err) __attribute__((warn_unused_result));

/* Queues into b delivery seq of watch (the caller picks seq: one more
 * than the watch's last, tl_watch_delivery_next, counting what b already
 * holds), so that an event and its bookkeeping are written at once. */
void tl_deliver_put(struct tl_batch *b, uint64_t watch, uint64_t seq, const char *type, json_t *data, int64_t now_ms);

/* Sends every pending delivery due at now_ms once (at most max_batch,
 * concurrently). Returns the number delivered in this pass (>= 0), or
 * -1 with err when the database could not be read or written. */
int tl_deliver_pass(struct tl_store *w, const struct tl_deliver_opts *o, int64_t now_ms, struct tl_err *err)
	__attribute__((warn_unused_result));

/* Runs fn with the primary database (api/serve.h tl_app_write's form). */
typedef int (*tl_deliver_write_fn)(void *ctx, int (*fn)(struct tl_store *w, void *fctx, struct tl_err *err),
				   void *fctx, struct tl_err *err);

/* As tl_deliver_pass, for a server: due deliveries are read from r (a
 * caught-up reader), sent without any lock held, and their new states
 * written through write (so the database is held for writing only for
 * that moment). A watch deleted meanwhile stays deleted. Returns the
 * number delivered, or -1 with err. */
int tl_deliver_pass_split(struct tl_store *r, tl_deliver_write_fn write, void *wctx, const struct tl_deliver_opts *o,
			  int64_t now_ms, struct tl_err *err) __attribute__((warn_unused_result));

#endif
