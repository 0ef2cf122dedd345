/* Investigators' cases: saved graphs of the web app, and the audit log of
 * who opened or changed them.
 *
 * They live in the meta family (docs/schema.md), so that a database made
 * before cases existed needs no new column family:
 *   "case/" + 16 hex digits of the case id + "/m"  -> the case's metadata
 *   "case/" + 16 hex digits of the case id + "/g"  -> its graph
 *   "caselog/" + 16 hex digits of a sequence number -> one audit entry
 *   "caseseq"                                       -> the last case id handed out
 * Values are opaque text (the API stores JSON); store/ fixes only the
 * keys. Ids and sequence numbers start at 1 and are never reused, not
 * even after the case that had one was deleted. Writers go through a batch on the primary database;
 * readers may use a secondary. */
#ifndef TL_STORE_CASES_H
#define TL_STORE_CASES_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* A new case id into *id: one more than any handed out before (1 for
 * the first). Returns 0, or -1 with err. Race-free only under one writer,
 * which must queue tl_batch_put_case_seq(b, *id) with the new case. */
int tl_cases_next_id(struct tl_store *s, uint64_t *id, struct tl_err *err) __attribute__((warn_unused_result));

/* Queues id as the last case id handed out. */
void tl_batch_put_case_seq(struct tl_batch *b, uint64_t id);

/* Queues a case's metadata and, when graph is not NULL, its graph (both
 * NUL-terminated text, copied). */
void tl_batch_put_case(struct tl_batch *b, uint64_t id, const char *meta, const char *graph);

/* Queues the removal of a case (metadata and graph). */
void tl_batch_del_case(struct tl_batch *b, uint64_t id);

/* Reads a case. meta and graph (either may be NULL when not wanted)
 * receive malloc'd NUL-terminated text the caller frees. Returns 1 when
 * the case exists, 0 when it does not (nothing allocated), -1 with err. */
int tl_case_get(struct tl_store *s, uint64_t id, char **meta, char **graph, struct tl_err *err)
	__attribute__((warn_unused_result));

/* Called for each case in id order with its metadata text (NUL-terminated,
 * valid during the call). A nonzero return stops the walk. */
typedef int (*tl_case_fn)(uint64_t id, const char *meta, void *ctx);

/* Walks every case's metadata. Returns 0 (also when fn stopped it), or
 * -1 with err when the database could not be read. */
int tl_cases_list(struct tl_store *s, tl_case_fn fn, void *ctx, struct tl_err *err)
	__attribute__((warn_unused_result));

/* The sequence number after the last audit entry (1 when none). */
int tl_cases_audit_next(struct tl_store *s, uint64_t *seq, struct tl_err *err) __attribute__((warn_unused_result));

/* Queues audit entry seq (text, copied). */
void tl_batch_put_case_audit(struct tl_batch *b, uint64_t seq, const char *entry);

/* Walks the audit log from the newest entry back, at most max entries
 * (0 = all), calling fn with the sequence number as id. Returns 0 or -1. */
int tl_cases_audit_list(struct tl_store *s, size_t max, tl_case_fn fn, void *ctx, struct tl_err *err)
	__attribute__((warn_unused_result));

#endif
