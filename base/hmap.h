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

/** Makes m an empty map that allocates nothing yet.
 *
 *  Out:     m: empty; release with tl_hmap_free.
 */
void tl_hmap_init(struct tl_hmap *m);
/** Frees every entry and the bucket array; m is left as after init.
 *
 *  Args:    m: an initialised map; its entries become invalid.
 */
void tl_hmap_free(struct tl_hmap *m);
/** Frees every entry but keeps the bucket array.
 *
 *  Args:    m: an initialised map; its entries become invalid.
 */
void tl_hmap_clear(struct tl_hmap *m);
/** Looks a key up without changing the LRU order.
 *
 *  Returns: the entry for key (owned by the map), or NULL if absent.
 *  Args:    m: the map.
 *  In:      key, klen: the key bytes.
 */
struct tl_hent *tl_hmap_get(struct tl_hmap *m, const void *key, size_t klen);
/** Moves an entry to the most-recently-used end.
 *
 *  Args:    m: the map; e: one of its entries.
 */
void tl_hmap_touch(struct tl_hmap *m, struct tl_hent *e);
/** Inserts key with a zeroed value of vlen bytes, replacing (freeing) any
 *  entry with the same key. Aborts on out-of-memory.
 *
 *  Returns: the new entry, owned by the map, at the most-recently-used end.
 *  Args:    m: the map.
 *  In:      key, klen: the key bytes (copied); vlen: value size.
 */
struct tl_hent *tl_hmap_put(struct tl_hmap *m, const void *key, size_t klen, size_t vlen);
/** As tl_hmap_put for a key the caller knows is absent (no lookup).
 *
 *  Returns: the new entry, owned by the map.
 *  Args:    m: the map.
 *  In:      key, klen: an absent key (copied); vlen: value size.
 */
struct tl_hent *tl_hmap_insert(struct tl_hmap *m, const void *key, size_t klen, size_t vlen);
/** Removes and frees an entry.
 *
 *  Args:    m: the map; e: one of its entries (invalid afterwards).
 */
void tl_hmap_del(struct tl_hmap *m, struct tl_hent *e);
/** Evicts least recently used entries until bytes <= budget.
 *
 *  Args:    m: the map; evicted entries become invalid.
 *  In:      budget: bytes the map may keep.
 */
void tl_hmap_trim(struct tl_hmap *m, size_t budget);

static inline const uint8_t *tl_hent_key(const struct tl_hent *e) { return (const uint8_t *)e->data; }
static inline void *tl_hent_val(struct tl_hent *e)
{
	return (uint8_t *)e->data + ((e->klen + 7u) & ~7u);
}

#endif
