/* Interval sets for FIFO taint: which satoshis of an output are tainted.
 *
 * A set is a sorted list of disjoint, non-adjacent, non-empty half-open
 * ranges [lo, hi) of satoshi positions within one output (position 0 is
 * the output's first satoshi). Adjacent or overlapping ranges are merged
 * on insertion, so two sets holding the same satoshis are identical.
 *
 * Memory: a set owns its array (malloc). Zero-initialise or call
 * tl_ivset_init, release with tl_ivset_free. Allocation failure aborts
 * (as tl_arena does): these sets are small and short-lived. */
#ifndef TL_TAINT_INTERVAL_H
#define TL_TAINT_INTERVAL_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct tl_iv {
	uint64_t lo, hi; /* [lo, hi), lo < hi */
};

struct tl_ivset {
	struct tl_iv *v;
	uint32_t n, cap;
};

/** Makes *s an empty set owning nothing.
 *
 *  Out:     s: release with tl_ivset_free.
 */
void tl_ivset_init(struct tl_ivset *s);
/** Frees the array; *s becomes empty and may be reused. */
void tl_ivset_free(struct tl_ivset *s);
/** Empties *s, keeping its array. */
void tl_ivset_clear(struct tl_ivset *s);

/** Adds [lo, hi), merged with what overlaps or touches it. Appending in
 *  increasing order costs O(1); any order works.
 *
 *  In/Out:  s: the set.
 *  In:      lo, hi: the range; lo >= hi adds nothing.
 */
void tl_ivset_add(struct tl_ivset *s, uint64_t lo, uint64_t hi);

/** Returns: the total length of the set (number of satoshis covered). */
uint64_t tl_ivset_total(const struct tl_ivset *s);

/** *dst = *dst ∪ *src.
 *
 *  In/Out:  dst: the union.
 *  In:      src: the set to add.
 */
void tl_ivset_union(struct tl_ivset *dst, const struct tl_ivset *src);

/** Makes *dst a copy of *src (dst's old content is replaced; dst may be src).
 *
 *  In:      src: the set to copy.
 *  Out:     dst: an initialised set, owning its own array.
 */
void tl_ivset_copy(struct tl_ivset *dst, const struct tl_ivset *src);

/** Moves src's array into dst (dst's old array freed), leaving src empty.
 *
 *  In/Out:  src: emptied; dst: an initialised set that takes the array.
 */
void tl_ivset_move(struct tl_ivset *dst, struct tl_ivset *src);

/** Checks the invariants: sorted, disjoint, non-adjacent, non-empty, all
 *  ranges within [0, limit).
 *
 *  Returns: 0 if they hold, -1 otherwise with err set.
 *  Args:    err: receives the message; may be NULL.
 *  In:      s: the set; limit: the output's value.
 */
int tl_ivset_check(const struct tl_ivset *s, uint64_t limit, struct tl_err *err)
	__attribute__((warn_unused_result));

#endif
