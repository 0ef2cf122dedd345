/* The scripthash family: scripthash prefix -> owner (store.h). */
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "bitcoin/hash.h"
#include "store/store.h"

static void key_of(const uint8_t *script, size_t len, uint8_t k[TL_SCRIPTHASH_KEY_LEN])
{
	uint8_t h[32];
	tl_sha256(len ? script : (const uint8_t *)"", len, h);
	memcpy(k, h, TL_SCRIPTHASH_KEY_LEN);
}

void tl_batch_put_scripthash(struct tl_batch *b, const uint8_t *script, size_t len, uint64_t addr_id)
{
	uint8_t k[TL_SCRIPTHASH_KEY_LEN];
	key_of(script, len, k);
	struct tl_buf v;
	tl_buf_init(&v);
	tl_buf_varint(&v, addr_id);
	tl_batch_put(b, TL_CF_SCRIPTHASH, k, sizeof k, v.data, v.len);
	tl_buf_free(&v);
}

void tl_batch_del_scripthash(struct tl_batch *b, const uint8_t *script, size_t len)
{
	uint8_t k[TL_SCRIPTHASH_KEY_LEN];
	key_of(script, len, k);
	tl_batch_del(b, TL_CF_SCRIPTHASH, k, sizeof k);
}

int tl_store_addr_id_of_scripthash(struct tl_store *s, const uint8_t sh[32], uint64_t *addr_id, struct tl_err *err)
{
	uint8_t *v;
	size_t vl, pos = 0;
	int rc = tl_store_get(s, TL_CF_SCRIPTHASH, sh, TL_SCRIPTHASH_KEY_LEN, &v, &vl, err);
	if (rc <= 0) return rc;
	rc = tl_get_varint(v, vl, &pos, addr_id) == 0 && pos == vl && *addr_id ? 1 : -1;
	free(v);
	if (rc < 0) tl_err_set(err, "corrupt scripthash record");
	return rc;
}
