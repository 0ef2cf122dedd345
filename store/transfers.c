/* Transfers in the meta family; see transfers.h. */
#include "store/transfers.h"
#include "store/meta_keys.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XFER_PREFIX "xfer/"
#define USER_PREFIX "xferu/"
#define REF_PREFIX "xferr/"
#define SEQ_KEY "xferseq"
#define XFER_KEY_LEN (sizeof XFER_PREFIX - 1 + 16)
/* the longest key: the user prefix, hex of the user id, "/", 16 hex */
#define KEY_MAX (sizeof USER_PREFIX - 1 + 2 * TL_TRANSFER_KEY_MAX + 1 + 16 + 1)

static void xfer_key(uint64_t id, char out[XFER_KEY_LEN + 1])
{
	snprintf(out, XFER_KEY_LEN + 1, XFER_PREFIX "%016" PRIx64, id);
}

/* prefix + hex of s (at most TL_TRANSFER_KEY_MAX bytes of it); returns
 * the length. Hex keeps any byte of a user id or reference out of the
 * key syntax ('/' included). */
static size_t hex_key(const char *prefix, const char *s, char *out)
{
	size_t n = strlen(prefix), l = strlen(s);
	if (l > TL_TRANSFER_KEY_MAX) l = TL_TRANSFER_KEY_MAX;
	memcpy(out, prefix, n);
	for (size_t i = 0; i < l; i++) n += (size_t)sprintf(out + n, "%02x", (unsigned char)s[i]);
	out[n] = 0;
	return n;
}

static size_t user_key(const char *user, uint64_t id, char *out)
{
	size_t n = hex_key(USER_PREFIX, user, out);
	n += (size_t)sprintf(out + n, "/%016" PRIx64, id);
	return n;
}

int tl_transfers_next_id(struct tl_store *s, uint64_t *id, struct tl_err *err)
{
	uint8_t *v = NULL;
	size_t vl = 0;
	int r = tl_store_get(s, TL_CF_META, SEQ_KEY, sizeof SEQ_KEY - 1, &v, &vl, err);
	if (r < 0) return -1;
	uint64_t seq = 0;
	if (r == 1) {
		int bad = vl != 16 || tl_meta_hex16(v, &seq) < 0;
		free(v);
		if (bad) return tl_err_set(err, "meta %s is damaged", SEQ_KEY);
	}
	*id = seq + 1;
	return 0;
}

void tl_batch_put_transfer_new(struct tl_batch *b, uint64_t id, const char *user, const char *ref, const char *text)
{
	char k[KEY_MAX], v[17];
	tl_batch_put_transfer(b, id, text);
	size_t kl = user_key(user, id, k);
	tl_batch_put(b, TL_CF_META, k, kl, "", 0);
	kl = hex_key(REF_PREFIX, ref, k);
	snprintf(v, sizeof v, "%016" PRIx64, id);
	tl_batch_put(b, TL_CF_META, k, kl, v, 16);
	tl_batch_put(b, TL_CF_META, SEQ_KEY, sizeof SEQ_KEY - 1, v, 16);
}

void tl_batch_put_transfer(struct tl_batch *b, uint64_t id, const char *text)
{
	char k[XFER_KEY_LEN + 1];
	xfer_key(id, k);
	tl_batch_put(b, TL_CF_META, k, XFER_KEY_LEN, text, strlen(text));
}

int tl_transfer_by_ref(struct tl_store *s, const char *ref, uint64_t *id, struct tl_err *err)
{
	char k[KEY_MAX];
	size_t kl = hex_key(REF_PREFIX, ref, k);
	uint8_t *v = NULL;
	size_t vl = 0;
	int r = tl_store_get(s, TL_CF_META, k, kl, &v, &vl, err);
	if (r <= 0) return r;
	int bad = vl != 16 || tl_meta_hex16(v, id) < 0;
	free(v);
	return bad ? tl_err_set(err, "transfer reference entry is damaged") : 1;
}

int tl_transfer_get(struct tl_store *s, uint64_t id, char **text, struct tl_err *err)
{
	char k[XFER_KEY_LEN + 1];
	xfer_key(id, k);
	uint8_t *v = NULL;
	size_t vl = 0;
	int r = tl_store_get(s, TL_CF_META, k, XFER_KEY_LEN, &v, &vl, err);
	if (r <= 0) return r;
	char *t = malloc(vl + 1);
	if (!t) {
		free(v);
		return tl_err_set(err, "out of memory");
	}
	memcpy(t, v, vl);
	t[vl] = 0;
	free(v);
	*text = t;
	return 1;
}

int tl_transfers_list(struct tl_store *s, uint64_t after, tl_transfer_fn fn, void *ctx, struct tl_err *err)
{
	char k[XFER_KEY_LEN + 1];
	xfer_key(after == UINT64_MAX ? after : after + 1, k);
	const size_t pl = sizeof XFER_PREFIX - 1;
	struct tl_iter *it = tl_iter_new(s, TL_CF_META);
	if (!it) return tl_err_set(err, "cannot iterate the meta family");
	for (tl_iter_seek(it, k, XFER_KEY_LEN); tl_iter_valid(it); tl_iter_next(it)) {
		size_t kl, vl;
		const uint8_t *ik = tl_iter_key(it, &kl);
		if (kl < pl || memcmp(ik, XFER_PREFIX, pl)) break;
		uint64_t id;
		if (kl != XFER_KEY_LEN || tl_meta_hex16(ik + pl, &id) < 0 || id <= after) continue;
		const uint8_t *v = tl_iter_value(it, &vl);
		char *t = malloc(vl + 1);
		if (!t) {
			tl_iter_free(it);
			return tl_err_set(err, "out of memory");
		}
		memcpy(t, v, vl);
		t[vl] = 0;
		int stop = fn(id, t, ctx);
		free(t);
		if (stop) break;
	}
	tl_iter_free(it);
	return 0;
}

int tl_transfers_of_user(struct tl_store *s, const char *user, uint64_t after, tl_transfer_fn fn, void *ctx,
			 struct tl_err *err)
{
	char k[KEY_MAX];
	size_t pl = user_key(user, after == UINT64_MAX ? after : after + 1, k) - 16;
	struct tl_iter *it = tl_iter_new(s, TL_CF_META);
	if (!it) return tl_err_set(err, "cannot iterate the meta family");
	int ret = 0;
	for (tl_iter_seek(it, k, pl + 16); tl_iter_valid(it); tl_iter_next(it)) {
		size_t kl;
		const uint8_t *ik = tl_iter_key(it, &kl);
		if (kl != pl + 16 || memcmp(ik, k, pl)) break;
		uint64_t id;
		if (tl_meta_hex16(ik + pl, &id) < 0 || id <= after) continue;
		char *t = NULL;
		int r = tl_transfer_get(s, id, &t, err);
		if (r < 0) { ret = -1; break; }
		if (r == 0) continue;
		int stop = fn(id, t, ctx);
		free(t);
		if (stop) break;
	}
	tl_iter_free(it);
	return ret;
}
