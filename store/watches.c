#include "store/watches.h"
#include "store/meta_keys.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WATCH_PREFIX "watch/"
#define DELIV_PREFIX "wdeliv/"
#define SEQ_KEY "watchseq"
#define EVENT_PREFIX "wevent/"
#define ALERTBLK_PREFIX "walertblk/"

#define WATCH_KEY_LEN (sizeof WATCH_PREFIX - 1 + 16)
#define DELIV_WATCH_LEN (sizeof DELIV_PREFIX - 1 + 16 + 1) /* "wdeliv/" + hex + "/" */
#define DELIV_KEY_LEN (DELIV_WATCH_LEN + 16)

static void watch_key(uint64_t id, char out[WATCH_KEY_LEN + 1])
{
	snprintf(out, WATCH_KEY_LEN + 1, WATCH_PREFIX "%016" PRIx64, id);
}

static void deliv_key(uint64_t watch, uint64_t seq, char out[DELIV_KEY_LEN + 1])
{
	snprintf(out, DELIV_KEY_LEN + 1, DELIV_PREFIX "%016" PRIx64 "/%016" PRIx64, watch, seq);
}

int tl_watches_next_id(struct tl_store *s, uint64_t *id, struct tl_err *err)
{
	return tl_meta_next_number(s, WATCH_PREFIX, WATCH_KEY_LEN, SEQ_KEY, id, err);
}

void tl_batch_put_watch_seq(struct tl_batch *b, uint64_t id) { tl_meta_put_seq(b, SEQ_KEY, id); }

void tl_batch_put_watch(struct tl_batch *b, uint64_t id, const char *text)
{
	char k[WATCH_KEY_LEN + 1];
	watch_key(id, k);
	tl_batch_put(b, TL_CF_META, k, WATCH_KEY_LEN, text, strlen(text));
}

int tl_batch_del_watch(struct tl_store *s, struct tl_batch *b, uint64_t id, struct tl_err *err)
{
	(void)err;
	char k[DELIV_KEY_LEN + 1];
	watch_key(id, k);
	tl_batch_del(b, TL_CF_META, k, WATCH_KEY_LEN);
	deliv_key(id, 0, k);
	struct tl_iter *it = tl_iter_new(s, TL_CF_META);
	for (tl_iter_seek(it, k, DELIV_WATCH_LEN); tl_iter_valid(it); tl_iter_next(it)) {
		size_t kl;
		const uint8_t *ik = tl_iter_key(it, &kl);
		if (kl < DELIV_WATCH_LEN || memcmp(ik, k, DELIV_WATCH_LEN)) break;
		tl_batch_del(b, TL_CF_META, ik, kl);
	}
	tl_iter_free(it);
	char ek[64];
	int el = snprintf(ek, sizeof ek, EVENT_PREFIX "%016" PRIx64 "/", id);
	it = tl_iter_new(s, TL_CF_META);
	for (tl_iter_seek(it, ek, (size_t)el); tl_iter_valid(it); tl_iter_next(it)) {
		size_t kl;
		const uint8_t *ik = tl_iter_key(it, &kl);
		if (kl < (size_t)el || memcmp(ik, ek, (size_t)el)) break;
		tl_batch_del(b, TL_CF_META, ik, kl);
	}
	tl_iter_free(it);
	return 0;
}

int tl_watch_get(struct tl_store *s, uint64_t id, char **text, struct tl_err *err)
{
	char k[WATCH_KEY_LEN + 1];
	watch_key(id, k);
	uint8_t *v = NULL;
	size_t vl = 0;
	int r = tl_store_get(s, TL_CF_META, k, WATCH_KEY_LEN, &v, &vl, err);
	if (r <= 0) return r;
	char *t = malloc(vl + 1);
	if (!t) abort();
	memcpy(t, v, vl);
	t[vl] = 0;
	free(v);
	*text = t;
	return 1;
}

/* Walks keys of exactly keylen bytes under prefix[0..pl), calling fn with
 * the number in their last 16 hex digits. */
static int walk(struct tl_store *s, const char *prefix, size_t pl, size_t keylen, tl_watch_fn fn, void *ctx)
{
	struct tl_iter *it = tl_iter_new(s, TL_CF_META);
	for (tl_iter_seek(it, prefix, pl); tl_iter_valid(it); tl_iter_next(it)) {
		size_t kl, vl;
		const uint8_t *k = tl_iter_key(it, &kl);
		if (kl < pl || memcmp(k, prefix, pl)) break;
		uint64_t n;
		if (kl != keylen || tl_meta_hex16(k + keylen - 16, &n) < 0) continue;
		const uint8_t *v = tl_iter_value(it, &vl);
		char *t = malloc(vl + 1);
		if (!t) abort();
		memcpy(t, v, vl);
		t[vl] = 0;
		int stop = fn(n, t, ctx);
		free(t);
		if (stop) break;
	}
	tl_iter_free(it);
	return 0;
}

int tl_watches_list(struct tl_store *s, tl_watch_fn fn, void *ctx, struct tl_err *err)
{
	(void)err;
	return walk(s, WATCH_PREFIX, sizeof WATCH_PREFIX - 1, WATCH_KEY_LEN, fn, ctx);
}

int tl_watch_delivery_next(struct tl_store *s, uint64_t watch, uint64_t *seq, struct tl_err *err)
{
	(void)err;
	char k[DELIV_KEY_LEN + 1];
	deliv_key(watch, 0, k);
	k[DELIV_WATCH_LEN] = 0;
	*seq = tl_meta_last_number(s, k, DELIV_KEY_LEN) + 1;
	return 0;
}

void tl_batch_put_watch_delivery(struct tl_batch *b, uint64_t watch, uint64_t seq, const char *text)
{
	char k[DELIV_KEY_LEN + 1];
	deliv_key(watch, seq, k);
	tl_batch_put(b, TL_CF_META, k, DELIV_KEY_LEN, text, strlen(text));
}

int tl_watch_deliveries_list(struct tl_store *s, uint64_t watch, tl_watch_fn fn, void *ctx, struct tl_err *err)
{
	(void)err;
	char k[DELIV_KEY_LEN + 1];
	deliv_key(watch, 0, k);
	return walk(s, k, DELIV_WATCH_LEN, DELIV_KEY_LEN, fn, ctx);
}

int tl_deliveries_all(struct tl_store *s, tl_delivery_fn fn, void *ctx, struct tl_err *err)
{
	(void)err;
	const size_t pl = sizeof DELIV_PREFIX - 1;
	struct tl_iter *it = tl_iter_new(s, TL_CF_META);
	for (tl_iter_seek(it, DELIV_PREFIX, pl); tl_iter_valid(it); tl_iter_next(it)) {
		size_t kl, vl;
		const uint8_t *k = tl_iter_key(it, &kl);
		if (kl < pl || memcmp(k, DELIV_PREFIX, pl)) break;
		uint64_t w, q;
		if (kl != DELIV_KEY_LEN || tl_meta_hex16(k + pl, &w) < 0 || tl_meta_hex16(k + DELIV_WATCH_LEN, &q) < 0)
			continue;
		const uint8_t *v = tl_iter_value(it, &vl);
		char *t = malloc(vl + 1);
		if (!t) abort();
		memcpy(t, v, vl);
		t[vl] = 0;
		int stop = fn(w, q, t, ctx);
		free(t);
		if (stop) break;
	}
	tl_iter_free(it);
	return 0;
}

/* "wevent/<watch hex>/<key>" into out; returns its length or -1 when key
 * is too long. */
static int event_key(uint64_t watch, const char *key, char out[300])
{
	int n = snprintf(out, 300, EVENT_PREFIX "%016" PRIx64 "/%s", watch, key);
	return n < 0 || n >= 300 ? -1 : n;
}

int tl_watch_event_get(struct tl_store *s, uint64_t watch, const char *key, char **text, struct tl_err *err)
{
	char k[300];
	int kl = event_key(watch, key, k);
	if (kl < 0) return tl_err_set(err, "event key too long");
	uint8_t *v = NULL;
	size_t vl = 0;
	int r = tl_store_get(s, TL_CF_META, k, (size_t)kl, &v, &vl, err);
	if (r <= 0) return r;
	if (text) {
		char *t = malloc(vl + 1);
		if (!t) abort();
		memcpy(t, v, vl);
		t[vl] = 0;
		*text = t;
	}
	free(v);
	return 1;
}

void tl_batch_put_watch_event(struct tl_batch *b, uint64_t watch, const char *key, const char *text)
{
	char k[300];
	int kl = event_key(watch, key, k);
	if (kl >= 0) tl_batch_put(b, TL_CF_META, k, (size_t)kl, text, strlen(text));
}

void tl_batch_del_watch_event(struct tl_batch *b, uint64_t watch, const char *key)
{
	char k[300];
	int kl = event_key(watch, key, k);
	if (kl >= 0) tl_batch_del(b, TL_CF_META, k, (size_t)kl);
}

#define ALERTBLK_KEY_LEN (sizeof ALERTBLK_PREFIX - 1 + 8 + 1 + 64)

static void alertblk_key(int32_t height, const char hash_hex[65], char out[ALERTBLK_KEY_LEN + 1])
{
	snprintf(out, ALERTBLK_KEY_LEN + 1, ALERTBLK_PREFIX "%08" PRIx32 "/%.64s", (uint32_t)height, hash_hex);
}

void tl_batch_put_alert_block(struct tl_batch *b, int32_t height, const char hash_hex[65], const char *text)
{
	char k[ALERTBLK_KEY_LEN + 1];
	alertblk_key(height, hash_hex, k);
	tl_batch_put(b, TL_CF_META, k, ALERTBLK_KEY_LEN, text, strlen(text));
}

void tl_batch_del_alert_block(struct tl_batch *b, int32_t height, const char hash_hex[65])
{
	char k[ALERTBLK_KEY_LEN + 1];
	alertblk_key(height, hash_hex, k);
	tl_batch_del(b, TL_CF_META, k, ALERTBLK_KEY_LEN);
}

int tl_alert_blocks_above(struct tl_store *s, int32_t height, tl_alert_block_fn fn, void *ctx, struct tl_err *err)
{
	(void)err;
	char k[ALERTBLK_KEY_LEN + 1];
	snprintf(k, sizeof k, ALERTBLK_PREFIX "%08" PRIx32, (uint32_t)(height + 1));
	const size_t pl = sizeof ALERTBLK_PREFIX - 1;
	struct tl_iter *it = tl_iter_new(s, TL_CF_META);
	for (tl_iter_seek(it, k, pl + 8); tl_iter_valid(it); tl_iter_next(it)) {
		size_t kl, vl;
		const uint8_t *ik = tl_iter_key(it, &kl);
		if (kl < pl || memcmp(ik, ALERTBLK_PREFIX, pl)) break;
		if (kl != ALERTBLK_KEY_LEN) continue;
		char hx[9], hash[65];
		memcpy(hx, ik + pl, 8);
		hx[8] = 0;
		memcpy(hash, ik + pl + 9, 64);
		hash[64] = 0;
		const uint8_t *v = tl_iter_value(it, &vl);
		char *t = malloc(vl + 1);
		if (!t) abort();
		memcpy(t, v, vl);
		t[vl] = 0;
		int stop = fn((int32_t)strtoul(hx, NULL, 16), hash, t, ctx);
		free(t);
		if (stop) break;
	}
	tl_iter_free(it);
	return 0;
}
