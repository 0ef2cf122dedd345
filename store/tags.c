/* Keys and records of the tag, heist and cluster families; see tags.h. */
#include "store/tags.h"

#include <stdlib.h>
#include <string.h>

#include "bitcoin/hash.h"
#include "store/store.h"

/* ---- small string codec: varint length + bytes ---- */

static void put_str(struct tl_buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	tl_buf_varint(b, n);
	if (n) tl_buf_put(b, s, n);
}

static int get_str(const uint8_t *v, size_t len, size_t *pos, char **out)
{
	uint64_t n;
	if (tl_get_varint(v, len, pos, &n) < 0 || n > len - *pos) return -1;
	*out = malloc((size_t)n + 1);
	if (!*out) abort();
	memcpy(*out, v + *pos, (size_t)n);
	(*out)[n] = 0;
	*pos += (size_t)n;
	return 0;
}

void tl_tag_rec_encode(const struct tl_tag_rec *r, struct tl_buf *out)
{
	tl_buf_u8(out, 1); /* version */
	tl_buf_varint(out, r->cats);
	tl_buf_varint(out, (uint64_t)(r->confidence + 1));
	put_str(out, r->chain);
	put_str(out, r->address);
	put_str(out, r->label);
	put_str(out, r->category);
	put_str(out, r->source);
	put_str(out, r->entity);
	put_str(out, r->notes);
}

void tl_tag_rec_free(struct tl_tag_rec *r)
{
	free(r->chain);
	free(r->address);
	free(r->label);
	free(r->category);
	free(r->source);
	free(r->entity);
	free(r->notes);
	memset(r, 0, sizeof *r);
}

int tl_tag_rec_decode(const uint8_t *v, size_t len, struct tl_tag_rec *r)
{
	memset(r, 0, sizeof *r);
	size_t pos = 1;
	uint64_t cats, conf;
	if (len < 1 || v[0] != 1) return -1;
	if (tl_get_varint(v, len, &pos, &cats) < 0 || tl_get_varint(v, len, &pos, &conf) < 0 || conf > 101)
		return -1;
	r->cats = (uint32_t)cats;
	r->confidence = (int)conf - 1;
	char **f[] = { &r->chain, &r->address, &r->label, &r->category, &r->source, &r->entity, &r->notes };
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		if (get_str(v, len, &pos, f[i]) < 0) {
			tl_tag_rec_free(r);
			return -1;
		}
	if (pos != len) {
		tl_tag_rec_free(r);
		return -1;
	}
	return 0;
}

void tl_tag_hash(const char *label, const char *category, const char *source, uint8_t h[8])
{
	struct tl_buf b;
	tl_buf_init(&b);
	const char *p[3] = { label ? label : "", category ? category : "", source ? source : "" };
	for (int i = 0; i < 3; i++) tl_buf_put(&b, p[i], strlen(p[i]) + 1);
	uint8_t d[32];
	tl_sha256(b.data, b.len, d);
	memcpy(h, d, 8);
	tl_buf_free(&b);
}

size_t tl_tag_addr_key(const uint8_t *skey, size_t sklen, const uint8_t h[8], uint8_t *key)
{
	if (sklen > TL_SCRIPT_KEY_MAX) sklen = TL_SCRIPT_KEY_MAX;
	key[0] = TL_TAG_PREFIX_ADDR;
	key[1] = (uint8_t)sklen;
	memcpy(key + 2, skey, sklen);
	if (!h) return 2 + sklen;
	memcpy(key + 2 + sklen, h, 8);
	return 2 + sklen + 8;
}

int tl_tag_addr_key_parse(const uint8_t *key, size_t klen, const uint8_t **skey, size_t *sklen)
{
	if (klen < 2 || key[0] != TL_TAG_PREFIX_ADDR || (size_t)key[1] + 10 != klen) return -1;
	*skey = key + 2;
	*sklen = key[1];
	return 0;
}

size_t tl_tag_other_key(const char *chain, const char *address, const uint8_t h[8], uint8_t *key, size_t cap)
{
	size_t cl = strlen(chain), al = strlen(address), n = 1 + cl + 1 + al + 1 + (h ? 8 : 0);
	if (n > cap) return 0;
	key[0] = TL_TAG_PREFIX_OTHER;
	memcpy(key + 1, chain, cl + 1);
	memcpy(key + 2 + cl, address, al + 1);
	if (h) memcpy(key + 3 + cl + al, h, 8);
	return n;
}

/* ---- heists ---- */

void tl_heist_rec_encode(uint32_t num, int traceable, const char *json, struct tl_buf *out)
{
	tl_buf_u32be(out, num);
	tl_buf_u8(out, traceable ? 1 : 0);
	tl_buf_put(out, json, strlen(json) + 1);
}

int tl_heist_rec_decode(const uint8_t *v, size_t len, uint32_t *num, int *traceable, const char **json)
{
	if (len < 6 || v[len - 1] != 0 || v[4] > 1) return -1;
	*num = tl_get_be32(v);
	*traceable = v[4];
	*json = (const char *)v + 5;
	return 0;
}

void tl_heist_num_key(uint32_t num, uint8_t key[5])
{
	key[0] = '#';
	tl_put_be32(key + 1, num);
}

/* ---- clusters ---- */

void tl_cluster_summary_encode(const struct tl_cluster_summary *s, struct tl_buf *out)
{
	tl_buf_varint(out, s->size);
	tl_buf_varint(out, s->cats);
	tl_buf_varint(out, (uint64_t)(s->confidence + 1));
	tl_buf_varint(out, s->tagged);
	put_str(out, s->label);
}

void tl_cluster_summary_fold_label(struct tl_cluster_summary *s, int confidence, const char *label)
{
	char l[TL_SUMMARY_LABEL_MAX];
	size_t n = label ? strlen(label) : 0;
	if (!n) return;
	if (n >= sizeof l) n = sizeof l - 1;
	memcpy(l, label, n);
	l[n] = 0;
	if (s->label[0] && (confidence < s->confidence || (confidence == s->confidence && strcmp(l, s->label) >= 0)))
		return;
	memcpy(s->label, l, n + 1);
	s->confidence = confidence;
}

void tl_cluster_summary_merge(struct tl_cluster_summary *s, const struct tl_cluster_summary *o)
{
	s->cats |= o->cats;
	s->tagged += o->tagged;
	tl_cluster_summary_fold_label(s, o->confidence, o->label);
}

int tl_cluster_summary_decode(const uint8_t *v, size_t len, struct tl_cluster_summary *s)
{
	memset(s, 0, sizeof *s);
	size_t pos = 0;
	uint64_t cats, conf;
	char *label;
	if (tl_get_varint(v, len, &pos, &s->size) < 0 || tl_get_varint(v, len, &pos, &cats) < 0 ||
	    tl_get_varint(v, len, &pos, &conf) < 0 || conf > 101 || tl_get_varint(v, len, &pos, &s->tagged) < 0)
		return -1;
	if (get_str(v, len, &pos, &label) < 0) return -1;
	s->cats = (uint32_t)cats;
	s->confidence = (int)conf - 1;
	size_t n = strlen(label);
	if (n >= TL_SUMMARY_LABEL_MAX) n = TL_SUMMARY_LABEL_MAX - 1;
	memcpy(s->label, label, n);
	s->label[n] = 0;
	free(label);
	return pos == len ? 0 : -1;
}

void tl_cluster_summary_key(uint64_t cluster_id, uint8_t key[9])
{
	key[0] = 's';
	tl_put_be64(key + 1, cluster_id);
}

/* zigzag form of x - base (mod 2^64), and back */
static uint64_t zz_diff(uint64_t x, uint64_t base)
{
	uint64_t d = x - base;
	return (d << 1) ^ (uint64_t)-(int64_t)(d >> 63);
}

static uint64_t zz_add(uint64_t base, uint64_t z)
{
	return base + ((z >> 1) ^ (uint64_t)-(int64_t)(z & 1));
}

static size_t put_varint(uint8_t *v, uint64_t x)
{
	size_t n = 0;
	do {
		uint8_t b = (uint8_t)(x & 0x7f);
		x >>= 7;
		v[n++] = (uint8_t)(b | (x ? 0x80 : 0));
	} while (x);
	return n;
}

size_t tl_cluster_addr_encode(uint64_t addr_id, uint64_t cluster_id, uint64_t next, uint8_t *v)
{
	size_t n = put_varint(v, zz_diff(cluster_id, addr_id));
	if (next) n += put_varint(v + n, zz_diff(next, addr_id));
	return n;
}

size_t tl_cluster_head_encode(uint64_t cluster_id, uint64_t next, uint64_t size, uint8_t *v)
{
	v[0] = 0;
	size_t n = 1 + put_varint(v + 1, zz_diff(next, cluster_id));
	return n + put_varint(v + n, size);
}

int tl_cluster_addr_decode_size(uint64_t addr_id, const uint8_t *v, size_t len, uint64_t *cluster_id,
				uint64_t *next, uint64_t *size)
{
	size_t pos = 0;
	uint64_t c, x = 0;
	if (tl_get_varint(v, len, &pos, &c) < 0) return -1;
	*size = 0;
	if (c == 0) { /* the id's own record: next and size both present */
		if (tl_get_varint(v, len, &pos, &x) < 0 || x == 0 || tl_get_varint(v, len, &pos, size) < 0 ||
		    *size < 2)
			return -1;
	} else if (pos < len && (tl_get_varint(v, len, &pos, &x) < 0 || x == 0)) {
		return -1; /* 0 would name the address itself */
	}
	if (pos != len) return -1;
	*cluster_id = zz_add(addr_id, c);
	*next = x ? zz_add(addr_id, x) : 0;
	return 0;
}

int tl_cluster_addr_decode(uint64_t addr_id, const uint8_t *v, size_t len, uint64_t *cluster_id, uint64_t *next)
{
	uint64_t size;
	return tl_cluster_addr_decode_size(addr_id, v, len, cluster_id, next, &size);
}

void tl_cluster_link_key(uint64_t absorbed_id, uint8_t key[9])
{
	key[0] = 'l';
	tl_put_be64(key + 1, absorbed_id);
}

void tl_cluster_link_encode(uint64_t id, int kind, uint64_t tx_num, uint64_t a, uint64_t b, struct tl_buf *out)
{
	/* the heuristic rides in the low bits of tx_num; others (none yet)
	 * follow as a byte */
	int small = kind >= 1 && kind <= 3;
	tl_buf_varint(out, (tx_num << 2) | (uint64_t)(small ? kind : 0));
	if (!small) tl_buf_u8(out, (uint8_t)kind);
	tl_buf_varint(out, zz_diff(a, id));
	tl_buf_varint(out, zz_diff(b, id));
}

int tl_cluster_link_decode(uint64_t id, const uint8_t *v, size_t len, int *kind, uint64_t *tx_num, uint64_t *a,
			   uint64_t *b)
{
	size_t pos = 0;
	uint64_t t, za, zb;
	if (tl_get_varint(v, len, &pos, &t) < 0) return -1;
	*kind = (int)(t & 3);
	*tx_num = t >> 2;
	if (!*kind) {
		if (pos >= len) return -1;
		*kind = v[pos++];
	}
	if (tl_get_varint(v, len, &pos, &za) < 0 || tl_get_varint(v, len, &pos, &zb) < 0 || pos != len) return -1;
	*a = zz_add(id, za);
	*b = zz_add(id, zb);
	return 0;
}

void tl_cluster_keyref_key(const uint8_t h160[20], uint8_t key[21])
{
	key[0] = 'k';
	memcpy(key + 1, h160, 20);
}

void tl_cluster_coinjoin_key(uint64_t tx_num, uint8_t key[9])
{
	key[0] = 'j';
	tl_put_be64(key + 1, tx_num);
}

void tl_cluster_undo_key(int32_t height, uint8_t key[5])
{
	key[0] = 'u';
	tl_put_be32(key + 1, (uint32_t)height);
}
