/* Private to store/: the numbers in meta-family record keys (cases,
 * watches), written as 16 lower-case hex digits so that key order is
 * numeric order. */
#ifndef TL_STORE_META_KEYS_H
#define TL_STORE_META_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "store/store.h"

/* Parses the 16 lower-case hex digits at p into *v. Returns 0, or -1 for
 * any other byte (the key is not one of ours). */
static inline int tl_meta_hex16(const uint8_t *p, uint64_t *v)
{
	uint64_t x = 0;
	for (int i = 0; i < 16; i++) {
		int c = p[i], d;
		if (c >= '0' && c <= '9') d = c - '0';
		else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
		else return -1;
		x = x << 4 | (uint64_t)d;
	}
	*v = x;
	return 0;
}

/** The largest number in a meta key under prefix: keys of exactly keylen
 *  bytes whose 16 hex digits follow the prefix; other keys under it are
 *  passed over.
 *
 *  Returns: that number, or 0 when there is none.
 *  Args:    s: the store.
 *  In:      prefix: the keys' common start (NUL-terminated, under 48
 *           bytes); keylen: their length, at least strlen(prefix) + 16.
 */
uint64_t tl_meta_last_number(struct tl_store *s, const char *prefix, size_t keylen);

/** The next free number of a numbered record kind: one more than both
 *  the largest number under prefix (tl_meta_last_number) and the
 *  sequence record seq_key, which keeps the highest number ever given
 *  out, so that a deleted last record's number is not given again.
 *
 *  Returns: 0, or -1 with err (reading failed, or seq_key is damaged).
 *  Args:    s: the store; err: the failure.
 *  In:      prefix, keylen: as tl_meta_last_number; seq_key: the
 *           sequence record's key (NUL-terminated).
 *  Out:     *id: the number to use.
 */
int tl_meta_next_number(struct tl_store *s, const char *prefix, size_t keylen, const char *seq_key, uint64_t *id,
                        struct tl_err *err) __attribute__((warn_unused_result));

/** Adds to b the sequence record seq_key = id (16 hex digits): the
 *  highest number given out (tl_meta_next_number).
 */
void tl_meta_put_seq(struct tl_batch *b, const char *seq_key, uint64_t id);

#endif
