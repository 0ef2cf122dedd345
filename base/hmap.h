/* A byte-keyed hash map with least-recently-used order and a byte budget,
 * used by the indexer's caches (prevouts by txid, owners by script key,
 * per-batch address deltas). Entries hold a fixed-size key and a value
 * of any size chosen at insertion; the map owns them. Not thread-safe. */
#ifndef TL_BASE_HMAP_H
#define TL_BASE_HMAP_H

#include <stddef.h>
#include <stdint.h>

struct tl_hent {
	struct tl_hent *next;            /* bucket chain */
	struct tl_hent *lru_prev, *lru_next;
	uint64_t hash;
	uint32_t klen, vlen;
	/* key bytes, then (8-aligned) value bytes */
	uint64_t data[];
};

struct tl_hmap {
	struct tl_hent **b;
	/* bytes: what the map holds from the allocator, bucket array
	 * included (malloc_usable_size of each entry), so that a budget is
	 * one of real memory. */
	size_t nb, count, bytes;
	struct tl_hent *lru_head, *lru_tail; /* head = least recently used */
};

void tl_hmap_init(struct tl_hmap *m);
/* Frees every entry. */
void tl_hmap_free(struct tl_hmap *m);
void tl_hmap_clear(struct tl_hmap *m);
/* The entry for key, or NULL. Does not change the LRU order. */
struct tl_hent *tl_hmap_get(struct tl_hmap *m, const void *key, size_t klen);
/* Moves an entry to the most-recently-used end. */
void tl_hmap_touch(struct tl_hmap *m, struct tl_hent *e);
/* Inserts key with a zeroed value of vlen bytes, replacing (freeing) any
 * entry with the same key. Returns the new entry (aborts on OOM). */
struct tl_hent *tl_hmap_put(struct tl_hmap *m, const void *key, size_t klen, size_t vlen);
/* Like tl_hmap_put for a key the caller knows is absent (no lookup). */
struct tl_hent *tl_hmap_insert(struct tl_hmap *m, const void *key, size_t klen, size_t vlen);
void tl_hmap_del(struct tl_hmap *m, struct tl_hent *e);
/* Evicts least recently used entries until bytes <= budget. */
void tl_hmap_trim(struct tl_hmap *m, size_t budget);

static inline const uint8_t *tl_hent_key(const struct tl_hent *e) { return (const uint8_t *)e->data; }
static inline void *tl_hent_val(struct tl_hent *e)
{
	return (uint8_t *)e->data + ((e->klen + 7u) & ~7u);
}

#endif
