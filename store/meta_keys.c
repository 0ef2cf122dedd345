/* Numbered meta records (meta_keys.h): the one way cases, their audit
 * log, watches and deliveries find their next number. */
#include "store/meta_keys.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t tl_meta_last_number(struct tl_store *s, const char *prefix, size_t keylen)
{
	size_t pl = strlen(prefix);
	char hi[64];
	snprintf(hi, sizeof hi, "%s\xff", prefix); /* sorts after every key under prefix */
	struct tl_iter *it = tl_iter_new(s, TL_CF_META);
	uint64_t out = 0;
	/* Backwards from the end of the prefix: the first well-formed key is
	 * the largest number (hex of fixed width sorts numerically). */
	for (tl_iter_seek_prev(it, hi, pl + 1); tl_iter_valid(it); tl_iter_prev(it)) {
		size_t kl;
		const uint8_t *k = tl_iter_key(it, &kl);
		if (kl < pl || memcmp(k, prefix, pl)) break;
		uint64_t v;
		if (kl == keylen && tl_meta_hex16(k + pl, &v) == 0) {
			out = v;
			break;
		}
	}
	tl_iter_free(it);
	return out;
}

int tl_meta_next_number(struct tl_store *s, const char *prefix, size_t keylen, const char *seq_key, uint64_t *id,
                        struct tl_err *err)
{
	uint64_t last = tl_meta_last_number(s, prefix, keylen);
	uint8_t *v = NULL;
	size_t vl = 0;
	int r = tl_store_get(s, TL_CF_META, seq_key, strlen(seq_key), &v, &vl, err);
	if (r < 0) return -1;
	if (r == 1) {
		uint64_t seq;
		int bad = vl != 16 || tl_meta_hex16(v, &seq) < 0;
		free(v);
		if (bad) return tl_err_set(err, "meta %s is damaged", seq_key);
		if (seq > last) last = seq;
	}
	*id = last + 1;
	return 0;
}

void tl_meta_put_seq(struct tl_batch *b, const char *seq_key, uint64_t id)
{
	char v[17];
	snprintf(v, sizeof v, "%016" PRIx64, id);
	tl_batch_put(b, TL_CF_META, seq_key, strlen(seq_key), v, 16);
}
