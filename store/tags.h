/* Keys and records of the tag, heist and cluster families (an extension
 * of store/store.h, which owns every other layout). The writers are
 * tracer/entities.c (tags, heists, cluster tag summaries) and
 * indexer/cluster.c (clusters); both build keys and values only through
 * the helpers below, so that no other module knows a layout. The layouts
 * are written down in docs/schema.md and docs/entities.md.
 *
 * tag family
 *   "s" len(u8) script_key tag_hash(8)       -> tag record (bitcoin chain of
 *                                               the database: keyed by owner
 *                                               script key, so a tag applies
 *                                               whenever the address appears)
 *   "x" chain NUL address NUL tag_hash(8)     -> tag record (other chains and
 *                                               other bitcoin networks: kept,
 *                                               listed, never traced)
 *   tag_hash = first 8 bytes of sha256(label NUL category NUL source): the
 *   same tag imported twice overwrites itself.
 * heist family
 *   heist id string ([a-z0-9._-])             -> heist record (num, traceable, JSON)
 *   "#" num(BE32)                             -> heist id string
 *   "#next"                                   -> next num (BE32)
 * cluster family
 *   "a" addr_id                               -> member: varint zz(cluster id -
 *                                               addr_id) (never 0), then, but
 *                                               for the last member, varint
 *                                               zz(next member - addr_id);
 *                                               the id's own record: 0x00,
 *                                               varint zz(next - addr_id),
 *                                               varint size (>= 2). Absent =
 *                                               a singleton (cluster id =
 *                                               addr_id). The members of a
 *                                               cluster are a list from the
 *                                               id's own record.
 *   "s" cluster_id                            -> cluster summary (size, tag
 *                                               categories, label), only for
 *                                               clusters with tags (others:
 *                                               size from the id's "a")
 *   "l" absorbed cluster id                   -> link: varint tx_num << 2 |
 *                                               heuristic (1-3; 0: tx_num <<
 *                                               2, then the heuristic as a
 *                                               u8), varint zz(addr_a - id),
 *                                               varint zz(addr_b - id): why
 *                                               the cluster was absorbed (an
 *                                               id is absorbed at most once)
 *   "k" hash160(compressed key)               -> varint addr_id that revealed
 *                                               the key (public key forms seen
 *                                               later are linked to it)
 *   "j" tx_num                                -> CoinJoin kind (u8)
 *   "u" height(BE32)                          -> undo journal of the block's
 *                                               cluster writes
 * Integers are big-endian unless said otherwise; varints are unsigned
 * LEB128, zz(d) is the zigzag form of a signed 64-bit difference (0, -1,
 * 1, -2 ... -> 0, 1, 2, 3 ...): addresses united or listed together are
 * often close in addr_id, and one of a link's addresses is usually the
 * absorbed id itself, so differences take fewer bytes than the ids. */
#ifndef TL_STORE_TAGS_H
#define TL_STORE_TAGS_H

#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"
#include "bitcoin/script.h"

/* ---- tag family ---- */

/* Category bits kept in tag records and summaries. The first five are
 * taint/graph.h's enum tl_entity_cat; the others are extra. Names:
 * tracer/category.h. */
#define TL_TAGCAT_EXCHANGE (1u << 0)
#define TL_TAGCAT_BRIDGE (1u << 1)
#define TL_TAGCAT_SERVICE (1u << 2)
#define TL_TAGCAT_MIXER (1u << 3)
#define TL_TAGCAT_SANCTIONED (1u << 4)
#define TL_TAGCAT_THIEF (1u << 5)
#define TL_TAGCAT_OTHER (1u << 6)
#define TL_TAGCAT_RANSOMWARE (1u << 7)
#define TL_TAGCAT_DARKNET (1u << 8)
#define TL_TAGCAT_SCAM (1u << 9)

/* Longest tag key: "s" + len + script key + hash. "x" keys are bounded by
 * the caller's buffer (tl_tag_other_key). */
#define TL_TAG_ADDR_KEY_MAX (2 + TL_SCRIPT_KEY_MAX + 8)

/* A stored tag. Strings are malloc'd by tl_tag_rec_decode (free with
 * tl_tag_rec_free); when encoding they are only read (NULL = ""). */
struct tl_tag_rec {
	uint32_t cats;       /* one TL_TAGCAT_* bit */
	int confidence;      /* 0..100, -1 unknown */
	char *chain, *address, *label, *category, *source, *entity, *notes;
};

/* Appends the value encoding of r to out. */
void tl_tag_rec_encode(const struct tl_tag_rec *r, struct tl_buf *out);
/* Decodes a value. Returns 0, or -1 on a corrupt value (r zeroed). */
int tl_tag_rec_decode(const uint8_t *v, size_t len, struct tl_tag_rec *r);
/* Frees the strings of a decoded record (not the struct). */
void tl_tag_rec_free(struct tl_tag_rec *r);
/* The 8-byte tag hash of (label, category, source). */
void tl_tag_hash(const char *label, const char *category, const char *source, uint8_t h[8]);

/* "s" key of a tag on an owner script key; returns its length. key must
 * hold TL_TAG_ADDR_KEY_MAX bytes. With h NULL, writes the prefix of all
 * tags of that owner (2 + sklen bytes). */
size_t tl_tag_addr_key(const uint8_t *skey, size_t sklen, const uint8_t h[8], uint8_t *key);
/* Parses an "s" key: sets *skey (pointing into key) and *sklen. Returns
 * 0, or -1 if key is not an "s" key. */
int tl_tag_addr_key_parse(const uint8_t *key, size_t klen, const uint8_t **skey, size_t *sklen);
/* "x" key of a tag on another chain's address. Returns its length, or 0
 * if it does not fit in cap. */
size_t tl_tag_other_key(const char *chain, const char *address, const uint8_t h[8], uint8_t *key, size_t cap);
/* The one-byte prefixes of the two tag kinds, to iterate them. */
#define TL_TAG_PREFIX_ADDR 's'
#define TL_TAG_PREFIX_OTHER 'x'

/* ---- heist family ---- */

/* Heist record: dense number (taint keys use it), traceable flag, the
 * definition as JSON text (NUL-terminated in value). */
void tl_heist_rec_encode(uint32_t num, int traceable, const char *json, struct tl_buf *out);
/* Decodes; *json points into v (NUL-terminated inside it). 0 or -1. */
int tl_heist_rec_decode(const uint8_t *v, size_t len, uint32_t *num, int *traceable, const char **json);
/* "#" + num key (5 bytes). */
void tl_heist_num_key(uint32_t num, uint8_t key[5]);
/* The counter key and its length. */
#define TL_HEIST_NEXT_KEY "#next"
#define TL_HEIST_NEXT_KEY_LEN 5

/* ---- cluster family ---- */

/* Cluster summary: size and the union of its members' tag categories,
 * with the label of the most confident tag. */
#define TL_SUMMARY_LABEL_MAX 64
struct tl_cluster_summary {
	uint64_t size;      /* addresses in the cluster (>= 1) */
	uint32_t cats;      /* TL_TAGCAT_* union over members' tags */
	int confidence;     /* of the label's tag, -1 if none */
	uint64_t tagged;    /* members with at least one tag */
	char label[TL_SUMMARY_LABEL_MAX];
};
void tl_cluster_summary_encode(const struct tl_cluster_summary *s, struct tl_buf *out);
int tl_cluster_summary_decode(const uint8_t *v, size_t len, struct tl_cluster_summary *s);
/* Folds one tag's label into s: the label is the most confident tag's,
 * ties going to the label that sorts first (compared truncated, as
 * stored), so that a summary is the same whatever order its tags and
 * unions came in (a reorged or re-imported database equals a fresh
 * one). An empty or NULL label changes nothing. Categories and the
 * tagged count are the caller's. */
void tl_cluster_summary_fold_label(struct tl_cluster_summary *s, int confidence, const char *label);
/* Merges another cluster's summary o into s: categories, tagged members
 * and label (tl_cluster_summary_fold_label); the size is the caller's. */
void tl_cluster_summary_merge(struct tl_cluster_summary *s, const struct tl_cluster_summary *o);

/* Key builders (the "a" key is store.h's tl_cluster_addr_key). */
void tl_cluster_summary_key(uint64_t cluster_id, uint8_t key[9]);
/* "a" values of address addr_id. TL_CLUSTER_ADDR_MAX bytes hold either
 * form; the encoders return the length. A member that is not the id:
 * the cluster id and the next member of its list (0 = none). */
#define TL_CLUSTER_ADDR_MAX 21
size_t tl_cluster_addr_encode(uint64_t addr_id, uint64_t cluster_id, uint64_t next, uint8_t *v);
/* The cluster id's own record: the next member (never 0: a listed
 * cluster has at least two members) and the cluster's size (>= 2). */
size_t tl_cluster_head_encode(uint64_t cluster_id, uint64_t next, uint64_t size, uint8_t *v);
/* Decodes the "a" value of addr_id (either form); 0, or -1 if corrupt. */
int tl_cluster_addr_decode(uint64_t addr_id, const uint8_t *v, size_t len, uint64_t *cluster_id, uint64_t *next);
/* Like tl_cluster_addr_decode, also giving the size stored on the id's
 * own record (*size = 0 on a member's record). */
int tl_cluster_addr_decode_size(uint64_t addr_id, const uint8_t *v, size_t len, uint64_t *cluster_id,
				uint64_t *next, uint64_t *size);
/* Link key (9 bytes) of an absorbed cluster id. */
void tl_cluster_link_key(uint64_t absorbed_id, uint8_t key[9]);
/* Link value of absorbed cluster id `id`: heuristic (1-255),
 * transaction and the two addresses it united. Appends to out. */
void tl_cluster_link_encode(uint64_t id, int kind, uint64_t tx_num, uint64_t a, uint64_t b, struct tl_buf *out);
/* Decodes the link value of absorbed id `id`; 0, or -1 if corrupt. */
int tl_cluster_link_decode(uint64_t id, const uint8_t *v, size_t len, int *kind, uint64_t *tx_num, uint64_t *a,
			   uint64_t *b);
/* Revealed-key key (21 bytes): "k" + hash160 of the compressed key. */
void tl_cluster_keyref_key(const uint8_t h160[20], uint8_t key[21]);
void tl_cluster_coinjoin_key(uint64_t tx_num, uint8_t key[9]);
void tl_cluster_undo_key(int32_t height, uint8_t key[5]);

#endif
