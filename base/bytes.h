/* Bounds-checked little-endian reader and growable byte buffer.
 *
 * The reader never reads past its end: every call returns 0 on success and
 * -1 when the input is too short (the cursor is then left unchanged), so a
 * parser can fail cleanly on any truncated or hostile input. */
#ifndef TL_BASE_BYTES_H
#define TL_BASE_BYTES_H

#include <stddef.h>
#include <stdint.h>

/* Largest CompactSize Bitcoin Core accepts for a length (MAX_SIZE). */
#define TL_MAX_COMPACT 0x02000000u

struct tl_reader {
	const uint8_t *p;  /* start of the input (not owned) */
	size_t len;        /* bytes in the input */
	size_t pos;        /* cursor */
};

static inline void tl_reader_init(struct tl_reader *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->pos = 0;
}

static inline size_t tl_reader_left(const struct tl_reader *r) { return r->len - r->pos; }

/** Read a fixed-width unsigned integer (little-endian for 16/32/64 bits)
 *  and advance past it.
 *
 *  Returns: 0 on success; -1 if too few bytes are left (cursor unchanged).
 *  Args:    r: the reader.
 *  Out:     out: the value (written only on success).
 */
int tl_read_u8(struct tl_reader *r, uint8_t *out) __attribute__((warn_unused_result));
int tl_read_u16le(struct tl_reader *r, uint16_t *out) __attribute__((warn_unused_result));
int tl_read_u32le(struct tl_reader *r, uint32_t *out) __attribute__((warn_unused_result));
int tl_read_u64le(struct tl_reader *r, uint64_t *out) __attribute__((warn_unused_result));
/** Points *out at the next n bytes of the input and advances past them.
 *
 *  Returns: 0 on success; -1 if fewer than n bytes are left (cursor unchanged).
 *  Args:    r: the reader.
 *  In:      n: bytes to take.
 *  Out:     out: points into the reader's input (not a copy; not owned).
 */
int tl_read_bytes(struct tl_reader *r, size_t n, const uint8_t **out) __attribute__((warn_unused_result));
/** Advances the cursor by n bytes.
 *
 *  Returns: 0 on success; -1 if fewer than n bytes are left (cursor unchanged).
 *  Args:    r: the reader.
 *  In:      n: bytes to skip.
 */
int tl_skip(struct tl_reader *r, size_t n) __attribute__((warn_unused_result));
/** Reads a CompactSize, rejecting, as Bitcoin Core does for lengths,
 *  non-canonical encodings and values above TL_MAX_COMPACT.
 *
 *  Returns: 0 on success; -1 if truncated, non-canonical or too large
 *           (cursor unchanged).
 *  Args:    r: the reader.
 *  Out:     out: the value (written only on success).
 */
int tl_read_compact(struct tl_reader *r, uint64_t *out) __attribute__((warn_unused_result));

/* A growable byte buffer. Owns data; free with tl_buf_free. On allocation
 * failure the process aborts (the buffers are small and bounded by input). */
struct tl_buf {
	uint8_t *data;
	size_t len, cap;
};

/** Makes b an empty buffer that owns no memory yet.
 *
 *  Out:     b: empty; release with tl_buf_free.
 */
void tl_buf_init(struct tl_buf *b);
/** Frees b's data and leaves it empty.
 *
 *  Args:    b: an initialised buffer.
 */
void tl_buf_free(struct tl_buf *b);
/** Ensures room for extra more bytes without reallocation. Aborts on
 *  out-of-memory.
 *
 *  Args:    b: an initialised buffer; b->data may move.
 *  In:      extra: bytes beyond b->len.
 */
void tl_buf_reserve(struct tl_buf *b, size_t extra);
/** Appends bytes (tl_buf_put) or one encoded value (the others: u8,
 *  little- or big-endian integers, a CompactSize). Aborts on out-of-memory.
 *
 *  Args:    b: an initialised buffer; b->data may move.
 *  In:      p, n: n bytes to copy (p may be NULL when n is 0); v: the value.
 */
void tl_buf_put(struct tl_buf *b, const void *p, size_t n);
void tl_buf_u8(struct tl_buf *b, uint8_t v);
void tl_buf_u32le(struct tl_buf *b, uint32_t v);
void tl_buf_u64le(struct tl_buf *b, uint64_t v);
void tl_buf_u32be(struct tl_buf *b, uint32_t v);
void tl_buf_u64be(struct tl_buf *b, uint64_t v);
void tl_buf_compact(struct tl_buf *b, uint64_t v);

/* Big-endian helpers for keys (so that byte order is numeric order). */
static inline void tl_put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) { p[i] = (uint8_t)v; v >>= 8; }
}
static inline uint64_t tl_get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
	return v;
}
static inline void tl_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline uint32_t tl_get_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint32_t tl_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline void tl_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

#endif
