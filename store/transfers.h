/* Transfers registered for screening (a deposit or withdrawal an
 * exchange screened, with its own reference) and their stored verdicts.
 *
 * They live in the meta family, like cases and watches (no new column
 * family for databases made before them):
 *   "xfer/" + 16 hex digits of the id                   -> the transfer
 *   "xferseq"                                           -> the last id handed out
 *   "xferu/" + hex of the user id + "/" + 16 hex of id  -> "" (by user)
 *   "xferr/" + hex of the transfer reference            -> 16 hex of the id
 * Values are opaque text (the tracer stores JSON); store/ fixes only the
 * keys. Ids start at 1, are never reused, and list in registration order.
 * User ids and references are 1..TL_TRANSFER_KEY_MAX bytes. Writers go
 * through a batch on the primary database; readers may use a secondary. */
#ifndef TL_STORE_TRANSFERS_H
#define TL_STORE_TRANSFERS_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define TL_TRANSFER_KEY_MAX 128

/* A new transfer id into *id (one more than any handed out). Race-free
 * only under one writer. Returns 0 or -1 with err. */
int tl_transfers_next_id(struct tl_store *s, uint64_t *id, struct tl_err *err) __attribute__((warn_unused_result));

/* Queues a new transfer id's registration: its text, its user index and
 * reference entries, and the sequence. user and ref: NUL-terminated,
 * 1..TL_TRANSFER_KEY_MAX bytes (the caller checks). */
void tl_batch_put_transfer_new(struct tl_batch *b, uint64_t id, const char *user, const char *ref, const char *text);

/* Queues new text for an existing transfer (a re-screen marking it). */
void tl_batch_put_transfer(struct tl_batch *b, uint64_t id, const char *text);

/* The id registered under reference ref: 1 with *id, 0 none, -1 with err. */
int tl_transfer_by_ref(struct tl_store *s, const char *ref, uint64_t *id, struct tl_err *err)
	__attribute__((warn_unused_result));

/* Reads a transfer: 1 with *text malloc'd (NUL-terminated; the caller
 * frees), 0 absent, -1 with err. */
int tl_transfer_get(struct tl_store *s, uint64_t id, char **text, struct tl_err *err)
	__attribute__((warn_unused_result));

/* Called with an id and its text (valid during the call). Nonzero stops. */
typedef int (*tl_transfer_fn)(uint64_t id, const char *text, void *ctx);

/* Walks every transfer with an id above after, in id order. Returns 0
 * (also when fn stopped it) or -1 with err. */
int tl_transfers_list(struct tl_store *s, uint64_t after, tl_transfer_fn fn, void *ctx, struct tl_err *err)
	__attribute__((warn_unused_result));

/* Walks the transfers of user with an id above after, in id order (a
 * page: fn stops it). Returns 0 or -1 with err. */
int tl_transfers_of_user(struct tl_store *s, const char *user, uint64_t after, tl_transfer_fn fn, void *ctx,
			 struct tl_err *err) __attribute__((warn_unused_result));

#endif
