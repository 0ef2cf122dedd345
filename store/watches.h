/* Watches (alerts pushed as webhooks) and their deliveries.
 *
 * Like cases (store/cases.h) they live in the meta family, so a database
 * made before watches existed needs no new column family:
 *   "watch/" + 16 hex digits of the watch id             -> the watch
 *   "watchseq"                                            -> the last watch id handed out
 *   "wdeliv/" + 16 hex of the watch id + "/" + 16 hex seq -> one delivery
 *   "wevent/" + 16 hex of the watch id + "/" + event key  -> an event already
 *       queued for the watch (live/alerts.h: no event is queued twice)
 *   "walertblk/" + 8 hex height + "/" + block hash hex    -> the alerted
 *       outputs of that block (a reorg that removes the block alerts them)
 * Values are opaque text (the API stores JSON); store/ fixes only the
 * keys. Ids start at 1 and are never reused. Writers go through a batch
 * on the primary database; readers may use a secondary. */
#ifndef TL_STORE_WATCHES_H
#define TL_STORE_WATCHES_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* A new watch id into *id: one more than any handed out before. Returns
 * 0, or -1 with err. Race-free only under one writer, which must queue
 * tl_batch_put_watch_seq(b, *id) with the new watch. */
int tl_watches_next_id(struct tl_store *s, uint64_t *id, struct tl_err *err) __attribute__((warn_unused_result));

/* Queues id as the last watch id handed out. */
void tl_batch_put_watch_seq(struct tl_batch *b, uint64_t id);

/* Queues a watch (NUL-terminated text, copied). */
void tl_batch_put_watch(struct tl_batch *b, uint64_t id, const char *text);

/* Queues the removal of a watch and of every delivery of it that s holds
 * now. Returns 0 or -1 with err. */
int tl_batch_del_watch(struct tl_store *s, struct tl_batch *b, uint64_t id, struct tl_err *err)
	__attribute__((warn_unused_result));

/* Reads a watch: *text receives malloc'd NUL-terminated text the caller
 * frees. Returns 1 when it exists, 0 when not (nothing allocated), -1
 * with err. */
int tl_watch_get(struct tl_store *s, uint64_t id, char **text, struct tl_err *err) __attribute__((warn_unused_result));

/* Called with an id (watch id, or delivery sequence number) and its text
 * (NUL-terminated, valid during the call). Nonzero stops the walk. */
typedef int (*tl_watch_fn)(uint64_t id, const char *text, void *ctx);

/* Walks every watch in id order. Returns 0 (also when fn stopped it) or
 * -1 with err. */
int tl_watches_list(struct tl_store *s, tl_watch_fn fn, void *ctx, struct tl_err *err)
	__attribute__((warn_unused_result));

/* The sequence number after the last delivery of watch (1 when none). */
int tl_watch_delivery_next(struct tl_store *s, uint64_t watch, uint64_t *seq, struct tl_err *err)
	__attribute__((warn_unused_result));

/* Queues delivery seq of watch (text, copied; replaces one of the same
 * seq: a retry updates its delivery in place). */
void tl_batch_put_watch_delivery(struct tl_batch *b, uint64_t watch, uint64_t seq, const char *text);

/* Walks the deliveries of watch in sequence order (fn gets seq as id).
 * Returns 0 or -1 with err. */
int tl_watch_deliveries_list(struct tl_store *s, uint64_t watch, tl_watch_fn fn, void *ctx, struct tl_err *err)
	__attribute__((warn_unused_result));

/* Called for each delivery of every watch, in (watch, seq) order, with
 * its text (valid during the call). Nonzero stops the walk. */
typedef int (*tl_delivery_fn)(uint64_t watch, uint64_t seq, const char *text, void *ctx);

/* Walks every delivery of every watch. Returns 0 or -1 with err. */
int tl_deliveries_all(struct tl_store *s, tl_delivery_fn fn, void *ctx, struct tl_err *err)
	__attribute__((warn_unused_result));

/* Whether event key (NUL-terminated, under 250 bytes) was recorded for
 * watch; with text non-NULL *text receives its malloc'd value. Returns 1,
 * 0, or -1 with err. */
int tl_watch_event_get(struct tl_store *s, uint64_t watch, const char *key, char **text, struct tl_err *err)
	__attribute__((warn_unused_result));
/* Queues the recording (text copied) or removal of an event key. */
void tl_batch_put_watch_event(struct tl_batch *b, uint64_t watch, const char *key, const char *text);
void tl_batch_del_watch_event(struct tl_batch *b, uint64_t watch, const char *key);

/* Queues (text copied) or removes the alert record of block hash_hex (64
 * hex digits) at height. */
void tl_batch_put_alert_block(struct tl_batch *b, int32_t height, const char hash_hex[65], const char *text);
void tl_batch_del_alert_block(struct tl_batch *b, int32_t height, const char hash_hex[65]);

/* Called with each alert record above a height (height order); text is
 * valid during the call. Nonzero stops the walk. */
typedef int (*tl_alert_block_fn)(int32_t height, const char *hash_hex, const char *text, void *ctx);
/* Walks the alert records of heights above height. Returns 0 or -1. */
int tl_alert_blocks_above(struct tl_store *s, int32_t height, tl_alert_block_fn fn, void *ctx, struct tl_err *err)
	__attribute__((warn_unused_result));

#endif
