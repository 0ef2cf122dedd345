/* Tags as a TLP clearance sees them (store/tlp.h): a tag above the
 * clearance is left out as if it had never been imported. Traces,
 * screening and the tag routes ask here at tag lookup time, so that an
 * endpoint's category, a cluster's label and a verdict's sanctioned flag
 * come only from the tags the caller may see.
 *
 * The stored cluster summary (store/tags.h) is the union over every tag;
 * for a restricted clearance it is recomputed from the visible tags of
 * the cluster's members by the same folding rules, so that it equals the
 * summary a database without the hidden tags would hold. */
#ifndef TL_TRACER_TAG_CLEARANCE_H
#define TL_TRACER_TAG_CLEARANCE_H

#include <stdint.h>

#include "base/err.h"
#include "store/store.h"
#include "store/tags.h"
#include "store/tlp.h"
#include "taint/graph.h"

/* Whether tag t is visible to clearance c (NULL or c->all: everything).
 * Returns 1, 0, or -1 with err (reading the source's mark failed). */
int tl_tag_visible(struct tl_store *st, const struct tl_clearance *c, const struct tl_tag_rec *t, struct tl_err *err)
        __attribute__((warn_unused_result));

/* The summary of cluster cluster_id as c sees it: tl_cluster_summary's
 * answer, recomputed from the visible tags when c is restricted and the
 * cluster has tags. Returns what tl_cluster_summary returns (1 stored,
 * 0 none stored, -1 with err). Out: *sum. */
int tl_cluster_summary_seen(struct tl_store *st, const struct tl_clearance *c, uint64_t cluster_id,
                            struct tl_cluster_summary *sum, struct tl_err *err) __attribute__((warn_unused_result));

/* tl_entity_get (tracer/entities.h) through tl_cluster_summary_seen.
 * Returns 0 with *out, or -1 with err. */
int tl_entity_get_seen(struct tl_store *st, const struct tl_clearance *c, uint64_t addr_id, struct tl_entity *out,
                       struct tl_err *err) __attribute__((warn_unused_result));

/* 1 when c restricts anything (not NULL and not c->all), else 0. */
int tl_clearance_restricted(const struct tl_clearance *c);

/* The view of a caller with clearance c (NULL: everything) making a
 * document marked level: only tags both may see (a document marked GREEN
 * carries no AMBER tag, whoever makes it; RED: the caller's view). Out:
 * *out. */
void tl_clearance_narrow(const struct tl_clearance *c, enum tl_tlp level, struct tl_clearance *out);

/* "green", or "red/AUDIENCE" for a RED clearance with an audience:
 * what a trace result records. buf: TL_TLP_AUDIENCE_MAX + 16 bytes.
 * Returns buf. */
const char *tl_clearance_name(const struct tl_clearance *c, char *buf);
/* Parses that form back (any case; "red" alone: no audience; an
 * audience of A-Z a-z 0-9 . _ -, as a key's). Returns 0
 * with *c (c->all = 0), or -1 with err. */
int tl_clearance_from_name(const char *s, struct tl_clearance *c, struct tl_err *err)
        __attribute__((warn_unused_result));

#endif
