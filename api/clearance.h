/* What a caller's TLP clearance lets it see (store/tlp.h): the checks the
 * routes apply to heists and tags, so that anything above the clearance
 * is left out as if it did not exist (404 like an unknown id, absent from
 * lists and counts). */
#ifndef TL_API_CLEARANCE_H
#define TL_API_CLEARANCE_H

#include <stddef.h>

#include "base/err.h"
#include "store/store.h"
#include "store/tags.h"
#include "store/tlp.h"

/* Whether the heist id (definition json as stored, may be NULL) is
 * visible to c. Returns 1, 0, or -1 with err (a read error). */
int tl_clear_heist(struct tl_store *st, const struct tl_clearance *c, const char *id, const char *json,
                   struct tl_err *err) __attribute__((warn_unused_result));
/* Whether the tag t is visible to c. Returns 1, 0, or -1 with err. */
int tl_clear_tag(struct tl_store *st, const struct tl_clearance *c, const struct tl_tag_rec *t, struct tl_err *err)
        __attribute__((warn_unused_result));

/* The ids of the stored heists c may not see (for filters that meet many
 * heists: screening). Free with tl_hidden_free. */
struct tl_hidden {
	char (*ids)[72];
	size_t n;
};
int tl_hidden_load(struct tl_store *st, const struct tl_clearance *c, struct tl_hidden *h, struct tl_err *err)
        __attribute__((warn_unused_result));
/* 1 when id is among them. */
int tl_hidden_has(const struct tl_hidden *h, const char *id);
/* tl_hidden_has's negation with a void context (tl_screen_set_filter). */
int tl_hidden_visible_cb(void *hidden, const char *id);
void tl_hidden_free(struct tl_hidden *h);

#endif
