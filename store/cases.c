#include "store/cases.h"
#include "store/meta_keys.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CASE_PREFIX "case/"
#define LOG_PREFIX "caselog/"

/* "case/" + 16 hex + "/m" */
#define CASE_KEY_LEN (sizeof CASE_PREFIX - 1 + 16 + 2)
#define LOG_KEY_LEN (sizeof LOG_PREFIX - 1 + 16)

static void case_key(uint64_t id, char part, char out[CASE_KEY_LEN + 1])
{
	snprintf(out, CASE_KEY_LEN + 1, CASE_PREFIX "%016" PRIx64 "/%c", id, part);
}

static void log_key(uint64_t seq, char out[LOG_KEY_LEN + 1])
{
	snprintf(out, LOG_KEY_LEN + 1, LOG_PREFIX "%016" PRIx64, seq);
}

#define SEQ_KEY "caseseq"

int tl_cases_next_id(struct tl_store *s, uint64_t *id, struct tl_err *err)
{
	return tl_meta_next_number(s, CASE_PREFIX, CASE_KEY_LEN, SEQ_KEY, id, err);
}

void tl_batch_put_case_seq(struct tl_batch *b, uint64_t id) { tl_meta_put_seq(b, SEQ_KEY, id); }

int tl_cases_audit_next(struct tl_store *s, uint64_t *seq, struct tl_err *err)
{
	(void)err;
	*seq = tl_meta_last_number(s, LOG_PREFIX, LOG_KEY_LEN) + 1;
	return 0;
}

void tl_batch_put_case(struct tl_batch *b, uint64_t id, const char *meta, const char *graph)
{
	char k[CASE_KEY_LEN + 1];
	case_key(id, 'm', k);
	tl_batch_put(b, TL_CF_META, k, CASE_KEY_LEN, meta, strlen(meta));
	if (graph) {
		case_key(id, 'g', k);
		tl_batch_put(b, TL_CF_META, k, CASE_KEY_LEN, graph, strlen(graph));
	}
}

void tl_batch_del_case(struct tl_batch *b, uint64_t id)
{
	char k[CASE_KEY_LEN + 1];
	case_key(id, 'm', k);
	tl_batch_del(b, TL_CF_META, k, CASE_KEY_LEN);
	case_key(id, 'g', k);
	tl_batch_del(b, TL_CF_META, k, CASE_KEY_LEN);
}

/* Reads one text value NUL-terminated. Returns 1, 0 or -1. */
static int get_text(struct tl_store *s, const char *key, size_t kl, char **out, struct tl_err *err)
{
	uint8_t *v = NULL;
	size_t vl = 0;
	int r = tl_store_get(s, TL_CF_META, key, kl, &v, &vl, err);
	if (r <= 0) return r;
	char *t = malloc(vl + 1);
	if (!t) abort();
	memcpy(t, v, vl);
	t[vl] = 0;
	free(v);
	*out = t;
	return 1;
}

int tl_case_get(struct tl_store *s, uint64_t id, char **meta, char **graph, struct tl_err *err)
{
	char k[CASE_KEY_LEN + 1];
	char *m = NULL, *g = NULL;
	case_key(id, 'm', k);
	int r = get_text(s, k, CASE_KEY_LEN, &m, err);
	if (r <= 0) return r;
	if (graph) {
		case_key(id, 'g', k);
		r = get_text(s, k, CASE_KEY_LEN, &g, err);
		if (r < 0) {
			free(m);
			return -1;
		}
		if (r == 0) g = strdup("null"); /* a case saved without a graph */
		if (!g) abort();
		*graph = g;
	}
	if (meta) *meta = m;
	else free(m);
	return 1;
}

/* Calls fn with the value of the current entry as NUL-terminated text. */
static int call_text(struct tl_iter *it, uint64_t n, tl_case_fn fn, void *ctx)
{
	size_t vl;
	const uint8_t *v = tl_iter_value(it, &vl);
	char *t = malloc(vl + 1);
	if (!t) abort();
	memcpy(t, v, vl);
	t[vl] = 0;
	int stop = fn(n, t, ctx);
	free(t);
	return stop;
}

int tl_cases_list(struct tl_store *s, tl_case_fn fn, void *ctx, struct tl_err *err)
{
	(void)err;
	const size_t pl = sizeof CASE_PREFIX - 1;
	struct tl_iter *it = tl_iter_new(s, TL_CF_META);
	for (tl_iter_seek(it, CASE_PREFIX, pl); tl_iter_valid(it); tl_iter_next(it)) {
		size_t kl;
		const uint8_t *k = tl_iter_key(it, &kl);
		if (kl < pl || memcmp(k, CASE_PREFIX, pl)) break;
		uint64_t id;
		if (kl != CASE_KEY_LEN || k[kl - 1] != 'm' || tl_meta_hex16(k + pl, &id) < 0) continue;
		if (call_text(it, id, fn, ctx)) break;
	}
	tl_iter_free(it);
	return 0;
}

int tl_cases_audit_list(struct tl_store *s, size_t max, tl_case_fn fn, void *ctx, struct tl_err *err)
{
	(void)err;
	const size_t pl = sizeof LOG_PREFIX - 1;
	char hi[32];
	snprintf(hi, sizeof hi, "%s\xff", LOG_PREFIX);
	struct tl_iter *it = tl_iter_new(s, TL_CF_META);
	size_t n = 0;
	for (tl_iter_seek_prev(it, hi, pl + 1); tl_iter_valid(it); tl_iter_prev(it)) {
		size_t kl;
		const uint8_t *k = tl_iter_key(it, &kl);
		if (kl < pl || memcmp(k, LOG_PREFIX, pl)) break;
		uint64_t seq;
		if (kl != LOG_KEY_LEN || tl_meta_hex16(k + pl, &seq) < 0) continue;
		if (call_text(it, seq, fn, ctx)) break;
		if (max && ++n >= max) break;
	}
	tl_iter_free(it);
	return 0;
}

void tl_batch_put_case_audit(struct tl_batch *b, uint64_t seq, const char *entry)
{
	char k[LOG_KEY_LEN + 1];
	log_key(seq, k);
	tl_batch_put(b, TL_CF_META, k, LOG_KEY_LEN, entry, strlen(entry));
}
