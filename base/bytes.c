#include "base/bytes.h"

#include <stdlib.h>
#include <string.h>

int tl_read_u8(struct tl_reader *r, uint8_t *out)
{
	if (tl_reader_left(r) < 1) return -1;
	*out = r->p[r->pos++];
	return 0;
}

int tl_read_u16le(struct tl_reader *r, uint16_t *out)
{
	if (tl_reader_left(r) < 2) return -1;
	const uint8_t *p = r->p + r->pos;
	*out = (uint16_t)(p[0] | (p[1] << 8));
	r->pos += 2;
	return 0;
}

int tl_read_u32le(struct tl_reader *r, uint32_t *out)
{
	if (tl_reader_left(r) < 4) return -1;
	*out = tl_get_le32(r->p + r->pos);
	r->pos += 4;
	return 0;
}

int tl_read_u64le(struct tl_reader *r, uint64_t *out)
{
	if (tl_reader_left(r) < 8) return -1;
	const uint8_t *p = r->p + r->pos;
	*out = (uint64_t)tl_get_le32(p) | ((uint64_t)tl_get_le32(p + 4) << 32);
	r->pos += 8;
	return 0;
}

int tl_read_bytes(struct tl_reader *r, size_t n, const uint8_t **out)
{
	if (tl_reader_left(r) < n) return -1;
	*out = r->p + r->pos;
	r->pos += n;
	return 0;
}

int tl_skip(struct tl_reader *r, size_t n)
{
	if (tl_reader_left(r) < n) return -1;
	r->pos += n;
	return 0;
}

int tl_read_compact(struct tl_reader *r, uint64_t *out)
{
	size_t start = r->pos;
	uint8_t b;
	uint64_t v;
	if (tl_read_u8(r, &b)) return -1;
	if (b < 0xfd) {
		v = b;
	} else if (b == 0xfd) {
		uint16_t x;
		if (tl_read_u16le(r, &x) || x < 0xfd) goto bad;
		v = x;
	} else if (b == 0xfe) {
		uint32_t x;
		if (tl_read_u32le(r, &x) || x <= 0xffff) goto bad;
		v = x;
	} else {
		uint64_t x;
		if (tl_read_u64le(r, &x) || x <= 0xffffffffu) goto bad;
		v = x;
	}
	if (v > TL_MAX_COMPACT) goto bad;
	*out = v;
	return 0;
bad:
	r->pos = start;
	return -1;
}

void tl_buf_init(struct tl_buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
}

void tl_buf_free(struct tl_buf *b)
{
	free(b->data);
	tl_buf_init(b);
}

void tl_buf_reserve(struct tl_buf *b, size_t extra)
{
	if (b->len + extra <= b->cap) return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra) cap *= 2;
	uint8_t *d = realloc(b->data, cap);
	if (!d) abort();
	b->data = d;
	b->cap = cap;
}

void tl_buf_put(struct tl_buf *b, const void *p, size_t n)
{
	if (!n) return;
	tl_buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void tl_buf_u8(struct tl_buf *b, uint8_t v) { tl_buf_put(b, &v, 1); }

void tl_buf_u32le(struct tl_buf *b, uint32_t v)
{
	uint8_t p[4];
	tl_put_le32(p, v);
	tl_buf_put(b, p, 4);
}

void tl_buf_u64le(struct tl_buf *b, uint64_t v)
{
	tl_buf_u32le(b, (uint32_t)v);
	tl_buf_u32le(b, (uint32_t)(v >> 32));
}

void tl_buf_u32be(struct tl_buf *b, uint32_t v)
{
	uint8_t p[4];
	tl_put_be32(p, v);
	tl_buf_put(b, p, 4);
}

void tl_buf_u64be(struct tl_buf *b, uint64_t v)
{
	uint8_t p[8];
	tl_put_be64(p, v);
	tl_buf_put(b, p, 8);
}

void tl_buf_compact(struct tl_buf *b, uint64_t v)
{
	if (v < 0xfd) {
		tl_buf_u8(b, (uint8_t)v);
	} else if (v <= 0xffff) {
		tl_buf_u8(b, 0xfd);
		tl_buf_u8(b, (uint8_t)v);
		tl_buf_u8(b, (uint8_t)(v >> 8));
	} else if (v <= 0xffffffffu) {
		tl_buf_u8(b, 0xfe);
		tl_buf_u32le(b, (uint32_t)v);
	} else {
		tl_buf_u8(b, 0xff);
		tl_buf_u64le(b, v);
	}
}
