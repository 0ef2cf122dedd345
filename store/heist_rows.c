/* The heist family's rows (heist_rows.h). */
#include "store/heist_rows.h"

#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "store/tags.h"

static int heist_decode(const uint8_t *v, size_t vl, const char *id, size_t idlen, struct tl_heist_info *info,
			struct tl_err *err)
{
	const char *json;
	memset(info, 0, sizeof *info);
	if (idlen >= sizeof info->id || tl_heist_rec_decode(v, vl, &info->num, &info->traceable, &json) < 0)
		return tl_err_set(err, "corrupt heist record");
	memcpy(info->id, id, idlen);
	info->id[idlen] = 0;
	info->json = strdup(json);
	if (!info->json) abort();
	return 0;
}

int tl_heists_list(struct tl_store *s, tl_heist_cb cb, void *ctx, struct tl_err *err)
{
	struct tl_iter *it = tl_iter_new(s, TL_CF_HEIST);
	int n = 0;
	for (tl_iter_first(it); tl_iter_valid(it); tl_iter_next(it)) {
		size_t kl, vl;
		const uint8_t *k = tl_iter_key(it, &kl);
		if (kl && k[0] == '#') continue;
		const uint8_t *v = tl_iter_value(it, &vl);
		struct tl_heist_info info;
		if (heist_decode(v, vl, (const char *)k, kl, &info, err) < 0) {
			tl_iter_free(it);
			return -1;
		}
		n++;
		int stop = cb ? cb(ctx, &info) : 0;
		free(info.json);
		if (stop) break;
	}
	tl_iter_free(it);
	return n;
}

int tl_heist_get(struct tl_store *s, const char *id, struct tl_heist_info *info, struct tl_err *err)
{
	uint8_t *v = NULL;
	size_t vl, il = strlen(id);
	if (!il || id[0] == '#') return 0;
	int rc = tl_store_get_kv(s, TL_CF_HEIST, id, il, &v, &vl, err);
	if (rc == 1 && heist_decode(v, vl, id, il, info, err) < 0) rc = -1;
	free(v);
	return rc;
}

int tl_heist_get_num(struct tl_store *s, uint32_t num, struct tl_heist_info *info, struct tl_err *err)
{
	uint8_t k[5], *v = NULL;
	size_t vl;
	tl_heist_num_key(num, k);
	int rc = tl_store_get_kv(s, TL_CF_HEIST, k, 5, &v, &vl, err);
	if (rc == 1) {
		char id[72];
		if (vl >= sizeof id) rc = tl_err_set(err, "corrupt heist number record");
		else {
			memcpy(id, v, vl);
			id[vl] = 0;
			rc = tl_heist_get(s, id, info, err);
		}
	}
	free(v);
	return rc;
}

int tl_heists_any(struct tl_store *s)
{
	struct tl_iter *it = tl_iter_new(s, TL_CF_HEIST);
	tl_iter_first(it);
	int any = tl_iter_valid(it);
	tl_iter_free(it);
	return any;
}

int tl_heist_next_num(struct tl_store *s, uint32_t *next, struct tl_err *err)
{
	uint8_t *v = NULL;
	size_t vl;
	*next = 1;
	int rc = tl_store_get_kv(s, TL_CF_HEIST, TL_HEIST_NEXT_KEY, TL_HEIST_NEXT_KEY_LEN, &v, &vl, err);
	if (rc == 1 && vl == 4) *next = tl_get_be32(v);
	free(v);
	return rc < 0 ? -1 : 0;
}

void tl_batch_put_heist(struct tl_batch *b, const char *id, uint32_t num, int traceable, const char *json)
{
	struct tl_buf buf;
	tl_buf_init(&buf);
	tl_heist_rec_encode(num, traceable, json, &buf);
	tl_batch_put_kv(b, TL_CF_HEIST, id, strlen(id), buf.data, buf.len);
	tl_buf_free(&buf);
	uint8_t nk[5];
	tl_heist_num_key(num, nk);
	tl_batch_put_kv(b, TL_CF_HEIST, nk, 5, id, strlen(id));
}

void tl_batch_put_heist_next(struct tl_batch *b, uint32_t next)
{
	uint8_t nv[4];
	tl_put_be32(nv, next);
	tl_batch_put_kv(b, TL_CF_HEIST, TL_HEIST_NEXT_KEY, TL_HEIST_NEXT_KEY_LEN, nv, 4);
}
