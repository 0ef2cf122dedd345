/* Typed rows of the heist family (store/tags.h describes the keys and
 * values): each stored heist under its id with its dense number (taint
 * keys use it), traceable flag and definition; the number's own key back
 * to the id; the next free number. tracer/entities.c imports heists
 * through these; the tracer, the API and the indexer read them. */
#ifndef TL_STORE_HEIST_ROWS_H
#define TL_STORE_HEIST_ROWS_H

#include <stdint.h>

#include "base/err.h"
#include "store/store.h"

/* A stored heist: json is malloc'd (caller frees with free). */
struct tl_heist_info {
	char id[72];
	uint32_t num;
	int traceable;
	char *json;
};

/* Calls cb for each stored heist in id order (info->json freed after
 * the call). cb returns nonzero to stop. Returns the count or -1. */
typedef int (*tl_heist_cb)(void *ctx, const struct tl_heist_info *h);
int tl_heists_list(struct tl_store *s, tl_heist_cb cb, void *ctx, struct tl_err *err);
/* The heist with this id: 1 found (info->json malloc'd), 0 unknown, -1. */
int tl_heist_get(struct tl_store *s, const char *id, struct tl_heist_info *info, struct tl_err *err);
/* The heist with this dense number (taint keys): 1, 0, -1 as above. */
int tl_heist_get_num(struct tl_store *s, uint32_t num, struct tl_heist_info *info, struct tl_err *err);

/** Whether any heist is stored.
 *
 *  Returns: 1 or 0 (a failed read reads as 0: nothing to bring up to date).
 */
int tl_heists_any(struct tl_store *s);

/** The number the next new heist gets (1 on a database without heists).
 *
 *  Returns: 0 with *next, or -1 with err.
 */
int tl_heist_next_num(struct tl_store *s, uint32_t *next, struct tl_err *err) __attribute__((warn_unused_result));

/** Adds to b the heist id's record (number, traceable flag, definition
 *  JSON) and its number's key. */
void tl_batch_put_heist(struct tl_batch *b, const char *id, uint32_t num, int traceable, const char *json);

/** Adds to b the next free heist number. */
void tl_batch_put_heist_next(struct tl_batch *b, uint32_t next);

#endif
