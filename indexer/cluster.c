/* Incremental address clustering; see cluster.h and docs/entities.md. */
#include "indexer/cluster.h"

#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "bitcoin/hash.h"
#include "bitcoin/pubkey.h"
#include "bitcoin/script.h"
#include "base/hmap.h"
#include "store/tags.h"

const char *tl_link_kind_name(int kind)
{
	switch (kind) {
	case TL_LINK_COMMON_INPUT: return "common-input";
	case TL_LINK_PUBKEY_FORMS: return "pubkey-forms";
	case TL_LINK_CHANGE_FRESH: return "fresh-change";
	default: return "unknown";
	}
}

/* ---- state ---- */

/* An overlay entry: the current value of a cluster-family key (a batch
 * write not yet committed, or a cached committed value). */
struct ovv {
	uint8_t present;
	uint8_t dirty;   /* written since the last flush */
	uint32_t jgen;   /* block generation that journaled it */
	uint32_t len;
	uint32_t dslot;  /* index in the dirty list while dirty */
	uint8_t v[];
};

struct tl_cluster {
	struct tl_store *s;
	struct tl_cluster_opts o;
	size_t budget;
	struct tl_hmap ov;      /* cluster-family key -> struct ovv (batch writes + cache) */
	struct tl_hmap newkeys; /* owner script key -> addr_id, P2PK/P2PKH owners new since the commit */
	struct tl_hmap tagged;  /* owner script keys that carry tags */
	/* addr_id (BE8) -> script key of the indexed owners among them, for
	 * summaries recomputed on a rollback: looked up at the first rollback
	 * that needs them, forgotten when a block is applied. */
	struct tl_hmap tagged_ids;
	int tagged_ids_ok;
	struct tl_buf journal;  /* this block's previous values */
	struct tl_hent **dirty; /* entries written since the last flush */
	size_t ndirty, dirty_cap;
	uint32_t gen;           /* block generation (journal once per key and block) */
	uint64_t max_addr;      /* highest addr_id seen */
	uint64_t *ids;          /* scratch: members of a losing cluster */
	/* Presence filters, so that most lookups of keys that do not exist
	 * (singletons, untagged clusters, unrevealed keys) touch neither the
	 * overlay nor RocksDB: a bit per addr_id for "has an 'a' record" and
	 * for "has an 's' record" (exact, kept by kv_set, loaded at open), and
	 * a blocked bloom filter of the 'k' keys (false positives cost a
	 * read). */
	uint64_t *abits, *sbits;
	size_t anw, snw;
	/* The bitmaps grow with the chain (a quarter byte per owner); they
	 * are dropped for good, and such lookups go to RocksDB, once they
	 * would take more than a quarter of the budget. */
	int no_bits;
	uint64_t *kbloom; /* KBLOOM_WORDS words */
	/* Twin filter: a blocked bloom of the 20-byte hashes of every P2PKH
	 * and P2WPKH owner (filled at open by a scan of addr_info when the
	 * index is small enough, then as owners appear), so that the twin of a
	 * new hash owner is only looked up when it may exist. hbloom NULL =
	 * no filter (always look up). */
	uint64_t *hbloom;
	size_t hmask; /* words - 1 */
	size_t ids_cap;
	struct tl_cluster_stats st;
	struct tl_err *err;
	int failed;
};

#define KBLOOM_WORDS ((size_t)1 << 17) /* 1 MiB */

static int bit_get(const uint64_t *w, size_t nw, uint64_t i)
{
	return i / 64 < nw && ((w[i / 64] >> (i % 64)) & 1);
}

static void bit_put(uint64_t **w, size_t *nw, uint64_t i, int v)
{
	if (i / 64 >= *nw) {
		if (!v) return;
		size_t n = *nw ? *nw : 1024;
		while (n <= i / 64) n *= 2;
		uint64_t *nwp = realloc(*w, n * sizeof *nwp);
		if (!nwp) abort();
		memset(nwp + *nw, 0, (n - *nw) * sizeof *nwp);
		*w = nwp;
		*nw = n;
	}
	if (v) (*w)[i / 64] |= 1ull << (i % 64);
	else (*w)[i / 64] &= ~(1ull << (i % 64));
}

/* Word and two bits of a 'k' key's hash160 in the bloom filter. */
static uint64_t *kbloom_at(struct tl_cluster *c, const uint8_t *h, uint64_t *mask)
{
	uint64_t x, y;
	memcpy(&x, h, 8);
	memcpy(&y, h + 8, 8);
	*mask = (1ull << (y & 63)) | (1ull << ((y >> 6) & 63));
	return &c->kbloom[x & (KBLOOM_WORDS - 1)];
}

/* Word and two bits of a key hash in the twin filter, from the hash's
 * first 11 bytes (the addr family's keys, tl_owner_digest, hold its
 * first 12). */
static uint64_t *hbloom_at(struct tl_cluster *c, const uint8_t *h, uint64_t *mask)
{
	uint64_t x, y = 0;
	memcpy(&x, h, 8);
	memcpy(&y, h + 8, 3);
	*mask = (1ull << (y & 63)) | (1ull << ((y >> 6) & 63));
	return &c->hbloom[x & c->hmask];
}

/* 1 if a P2PKH or P2WPKH owner with hash h may exist (0: it does not). */
static int hash_maybe(struct tl_cluster *c, const uint8_t *h)
{
	if (!c->hbloom) return 1;
	uint64_t m, *w = hbloom_at(c, h, &m);
	return (*w & m) == m;
}

static void hash_note(struct tl_cluster *c, const uint8_t *h)
{
	if (!c->hbloom) return;
	uint64_t m, *w = hbloom_at(c, h, &m);
	*w |= m;
}

static void drop_bits(struct tl_cluster *c)
{
	free(c->abits);
	free(c->sbits);
	c->abits = c->sbits = NULL;
	c->anw = c->snw = 0;
	c->no_bits = 1;
}

/* The overlay's share of the budget: what the bitmaps leave. */
static size_t overlay_budget(const struct tl_cluster *c)
{
	return c->budget - (c->anw + c->snw) * sizeof(uint64_t);
}

/* 1 if the filters prove that key has no record (now), else 0. */
static int known_absent(struct tl_cluster *c, const uint8_t *key, size_t klen)
{
	if (klen == 9 && key[0] == 'a') return !c->no_bits && !bit_get(c->abits, c->anw, tl_get_be64(key + 1));
	if (klen == 9 && key[0] == 's') return !c->no_bits && !bit_get(c->sbits, c->snw, tl_get_be64(key + 1));
	if (klen == 21 && key[0] == 'k') {
		uint64_t m, *w = kbloom_at(c, key + 1, &m);
		return (*w & m) != m;
	}
	return 0;
}

/* Keeps the filters in step with a key's presence. */
static void note_presence(struct tl_cluster *c, const uint8_t *key, size_t klen, int present)
{
	if (klen == 9 && (key[0] == 'a' || key[0] == 's')) {
		if (c->no_bits) return;
		uint64_t id = tl_get_be64(key + 1);
		if (key[0] == 'a') bit_put(&c->abits, &c->anw, id, present);
		else bit_put(&c->sbits, &c->snw, id, present);
		if ((c->anw + c->snw) * sizeof(uint64_t) > c->budget / 4) drop_bits(c);
	} else if (klen == 21 && key[0] == 'k' && present) {
		uint64_t m, *w = kbloom_at(c, key + 1, &m);
		*w |= m;
	}
}

/* Current value of a key: 1 present (copied to val, *vlen), 0 absent, -1. */
static int kv_get(struct tl_cluster *c, const uint8_t *key, size_t klen, uint8_t *val, size_t cap, size_t *vlen)
{
	if (known_absent(c, key, klen)) return 0;
	struct tl_hent *e = tl_hmap_get(&c->ov, key, klen);
	if (!e) {
		uint8_t *v = NULL;
		size_t vl = 0;
		int rc = tl_store_get_kv(c->s, TL_CF_CLUSTER, key, klen, &v, &vl, c->err);
		if (rc < 0) {
			c->failed = 1;
			return -1;
		}
		e = tl_hmap_insert(&c->ov, key, klen, sizeof(struct ovv) + (rc ? vl : 0));
		struct ovv *o = tl_hent_val(e);
		o->present = (uint8_t)rc;
		o->len = rc ? (uint32_t)vl : 0;
		if (rc) memcpy(o->v, v, vl);
		free(v);
	} else {
		tl_hmap_touch(&c->ov, e);
	}
	struct ovv *o = tl_hent_val(e);
	if (!o->present) return 0;
	if (o->len > cap) {
		c->failed = 1;
		tl_err_set(c->err, "cluster record too long");
		return -1;
	}
	memcpy(val, o->v, o->len);
	*vlen = o->len;
	return 1;
}

/* Sets (present) or deletes a key in the overlay; it reaches the batch at
 * the next flush (tl_cluster_flush), once however often it changed. With
 * journal set, the first change of the key in a block records its
 * previous value: JR_READ looks it up, JR_ABSENT and JR_EMPTY state it (a
 * key known to be new, e.g. a link or a singleton's first record; or one
 * known to exist with an empty value), which saves a read per key. */
enum { JR_NONE = 0, JR_READ = 1, JR_ABSENT = 2, JR_EMPTY = 3 };
static void kv_set(struct tl_cluster *c, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
		   int present, int journal)
{
	struct tl_hent *e = tl_hmap_get(&c->ov, key, klen);
	struct ovv *o = e ? tl_hent_val(e) : NULL;
	int was_dirty = o && o->dirty;
	uint32_t jgen = o ? o->jgen : 0;
	if (journal == JR_READ && known_absent(c, key, klen)) journal = JR_ABSENT;
	if (journal && jgen != c->gen) {
		uint8_t prev[256];
		size_t pl = 0;
		int rc = journal == JR_ABSENT ? 0 : journal == JR_EMPTY ? 1 : kv_get(c, key, klen, prev, sizeof prev, &pl);
		if (rc < 0) return;
		tl_buf_u8(&c->journal, (uint8_t)klen);
		tl_buf_put(&c->journal, key, klen);
		tl_buf_u8(&c->journal, (uint8_t)rc);
		tl_buf_varint(&c->journal, rc ? pl : 0);
		if (rc) tl_buf_put(&c->journal, prev, pl);
		jgen = c->gen;
		e = tl_hmap_get(&c->ov, key, klen);
		o = e ? tl_hent_val(e) : NULL;
	}
	uint32_t slot = was_dirty ? o->dslot : 0;
	size_t nl = present ? vlen : 0;
	if (!e || o->len != nl) {
		if (e) tl_hmap_del(&c->ov, e);
		e = tl_hmap_insert(&c->ov, key, klen, sizeof(struct ovv) + nl);
		o = tl_hent_val(e);
	} else {
		tl_hmap_touch(&c->ov, e);
	}
	o->present = (uint8_t)present;
	o->len = (uint32_t)nl;
	if (nl) memcpy(o->v, val, nl);
	o->jgen = jgen;
	o->dirty = 1;
	note_presence(c, key, klen, present);
	if (!was_dirty) {
		if (c->ndirty == c->dirty_cap) {
			c->dirty_cap = c->dirty_cap ? c->dirty_cap * 2 : 4096;
			c->dirty = realloc(c->dirty, c->dirty_cap * sizeof *c->dirty);
			if (!c->dirty) abort();
		}
		slot = (uint32_t)c->ndirty++;
	}
	o->dslot = slot;
	c->dirty[slot] = e; /* the entry may have been replaced */
}

/* Cluster of addr (itself when a singleton), the next member after it
 * in its cluster's list (0 = none) and, when addr is a cluster id, the
 * cluster's size (1 for a singleton; 0 when addr is not the id). */
static int find3(struct tl_cluster *c, uint64_t addr, uint64_t *cid, uint64_t *next, uint64_t *size)
{
	uint8_t k[9], v[TL_CLUSTER_ADDR_MAX];
	size_t vl;
	tl_cluster_addr_key(addr, k);
	int rc = kv_get(c, k, 9, v, sizeof v, &vl);
	if (rc < 0) return -1;
	*cid = addr;
	*next = 0;
	*size = 1;
	if (rc && (tl_cluster_addr_decode_size(addr, v, vl, cid, next, size) < 0 || (*size != 0) != (*cid == addr))) {
		c->failed = 1;
		return tl_err_set(c->err, "corrupt cluster record of address %llu", (unsigned long long)addr);
	}
	return 0;
}

static int find(struct tl_cluster *c, uint64_t addr, uint64_t *cid)
{
	uint64_t next, size;
	return find3(c, addr, cid, &next, &size);
}

static int summary(struct tl_cluster *c, uint64_t cid, struct tl_cluster_summary *s, int *stored)
{
	uint8_t k[9], v[256];
	size_t vl;
	tl_cluster_summary_key(cid, k);
	int rc = kv_get(c, k, 9, v, sizeof v, &vl);
	if (rc < 0) return -1;
	*stored = rc;
	if (rc == 0) {
		memset(s, 0, sizeof *s);
		s->size = 1;
		s->confidence = -1;
		return 0;
	}
	if (tl_cluster_summary_decode(v, vl, s) < 0) {
		c->failed = 1;
		return tl_err_set(c->err, "corrupt summary of cluster %llu", (unsigned long long)cid);
	}
	return 0;
}

static void put_summary(struct tl_cluster *c, uint64_t cid, const struct tl_cluster_summary *s)
{
	uint8_t k[9];
	struct tl_buf v;
	tl_buf_init(&v);
	tl_cluster_summary_encode(s, &v);
	tl_cluster_summary_key(cid, k);
	/* not journaled: a rollback recomputes the summaries of the clusters
	 * it touches (fix_summaries), so that the journal depends on the
	 * chain alone and not on when tags were imported */
	kv_set(c, k, 9, v.data, v.len, 1, JR_NONE);
	tl_buf_free(&v);
}

/* Unites the clusters of x and y. The loser's members (a list from its
 * id, store/tags.h) are relabelled and spliced into the survivor's list
 * right after its id: their records are rewritten anyway, so the only
 * other write is the survivor's own record. */
static int unite(struct tl_cluster *c, uint64_t x, uint64_t y, int kind, uint64_t tx_num)
{
	uint64_t cx, cy;
	if (find(c, x, &cx) < 0 || find(c, y, &cy) < 0) return -1;
	if (cx == cy) return 0;
	/* sizes from the ids' own records; tag summaries only exist for
	 * tagged clusters */
	uint64_t nx, ny, zx, zy, t;
	if (find3(c, cx, &t, &nx, &zx) < 0 || find3(c, cy, &t, &ny, &zy) < 0) return -1;
	int x_wins = zx > zy || (zx == zy && cx < cy);
	uint64_t w = x_wins ? cx : cy, l = x_wins ? cy : cx;
	uint64_t zw = x_wins ? zx : zy, zl = x_wins ? zy : zx, wnext = x_wins ? nx : ny;
	struct tl_cluster_summary sw, sl;
	int w_stored, l_stored;
	if (summary(c, w, &sw, &w_stored) < 0 || summary(c, l, &sl, &l_stored) < 0) return -1;
	/* the loser's members, in list order */
	if (zl > c->ids_cap) {
		c->ids_cap = (size_t)zl * 2;
		c->ids = realloc(c->ids, c->ids_cap * sizeof *c->ids);
		if (!c->ids) abort();
	}
	size_t n = 0;
	for (uint64_t cur = l; cur;) {
		uint64_t cc, next, z;
		if (find3(c, cur, &cc, &next, &z) < 0) return -1;
		if (cc != l || n >= zl) {
			c->failed = 1;
			return tl_err_set(c->err, "corrupt member list of cluster %llu", (unsigned long long)l);
		}
		c->ids[n++] = cur;
		cur = next;
	}
	if (n != zl) {
		c->failed = 1;
		return tl_err_set(c->err, "cluster %llu: %zu members listed, its record says %llu",
				  (unsigned long long)l, n, (unsigned long long)zl);
	}
	uint8_t k[9], v[TL_CLUSTER_ADDR_MAX];
	for (size_t i = 0; i < n; i++) {
		tl_cluster_addr_key(c->ids[i], k);
		size_t vl = tl_cluster_addr_encode(c->ids[i], w, i + 1 < n ? c->ids[i + 1] : wnext, v);
		kv_set(c, k, 9, v, vl, 1, zl == 1 ? JR_ABSENT : JR_READ);
	}
	tl_cluster_addr_key(w, k);
	size_t hl = tl_cluster_head_encode(w, c->ids[0], zw + zl, v);
	kv_set(c, k, 9, v, hl, 1, zw == 1 ? JR_ABSENT : JR_READ);
	c->st.relabelled += n;
	if (!w_stored && !l_stored) goto link;
	sw.size = zw + zl;
	tl_cluster_summary_merge(&sw, &sl);
	put_summary(c, w, &sw);
	if (l_stored) {
		tl_cluster_summary_key(l, k);
		kv_set(c, k, 9, NULL, 0, 0, JR_NONE);
	}
link:;
	struct tl_buf lv;
	tl_buf_init(&lv);
	tl_cluster_link_encode(l, kind, tx_num, x, y, &lv);
	tl_cluster_link_key(l, k);
	kv_set(c, k, 9, lv.data, lv.len, 1, JR_ABSENT);
	tl_buf_free(&lv);
	c->st.unions++;
	return c->failed ? -1 : 0;
}

/* ---- tagged owners ---- */

static int load_tagged(struct tl_cluster *c)
{
	uint8_t pre = TL_TAG_PREFIX_ADDR;
	struct tl_iter *it = tl_iter_new(c->s, TL_CF_TAG);
	for (tl_iter_seek(it, &pre, 1); tl_iter_valid(it); tl_iter_next(it)) {
		size_t kl, sklen;
		const uint8_t *k = tl_iter_key(it, &kl), *skey;
		if (!kl || k[0] != TL_TAG_PREFIX_ADDR) break;
		if (tl_tag_addr_key_parse(k, kl, &skey, &sklen) < 0) continue;
		if (!tl_hmap_get(&c->tagged, skey, sklen)) tl_hmap_put(&c->tagged, skey, sklen, 1);
	}
	tl_iter_free(it);
	return 0;
}

/* Folds the tags of an owner into s (categories, label) and counts it
 * as tagged if it has any. */
static void owner_tags(struct tl_cluster *c, const uint8_t *skey, size_t sklen, struct tl_cluster_summary *sum)
{
	uint8_t pre[TL_TAG_ADDR_KEY_MAX];
	size_t pl = tl_tag_addr_key(skey, sklen, NULL, pre);
	int any = 0;
	struct tl_iter *it = tl_iter_new(c->s, TL_CF_TAG);
	for (tl_iter_seek(it, pre, pl); tl_iter_valid(it); tl_iter_next(it)) {
		size_t kl, vl;
		const uint8_t *k = tl_iter_key(it, &kl), *v = tl_iter_value(it, &vl);
		if (kl < pl || memcmp(k, pre, pl)) break;
		struct tl_tag_rec r;
		if (tl_tag_rec_decode(v, vl, &r) < 0) continue;
		sum->cats |= r.cats;
		any = 1;
		tl_cluster_summary_fold_label(sum, r.confidence, r.label);
		tl_tag_rec_free(&r);
	}
	tl_iter_free(it);
	if (any) sum->tagged++;
}

/* A new address whose owner carries tags: its singleton summary. */
static int fold_tags(struct tl_cluster *c, uint64_t addr, const uint8_t *skey, size_t sklen)
{
	struct tl_cluster_summary s;
	memset(&s, 0, sizeof s);
	s.size = 1;
	s.confidence = -1;
	owner_tags(c, skey, sklen, &s);
	if (!s.tagged) return 0;
	put_summary(c, addr, &s);
	c->st.tagged_new++;
	return 0;
}

/* ---- summaries after a rollback ----
 * A summary depends on the cluster's members and on the tags imported
 * so far, in whatever order. The journal restores a block's cluster
 * records exactly, but the summaries it restores are those of before
 * the block without the tags imported since; and a tagged owner that
 * came with the block, or a summary written for it by an import, must
 * go with it (its addr_id will be given to another owner). So after a
 * block's journal is restored, the summaries of every cluster the block
 * touched are recomputed from their members' tags, and those of the
 * owners it created are deleted. */

static int load_tagged_ids(struct tl_cluster *c)
{
	if (c->tagged_ids_ok) return 0;
	tl_hmap_clear(&c->tagged_ids);
	for (struct tl_hent *e = c->tagged.lru_head; e; e = e->lru_next) {
		uint64_t id;
		int rc = tl_store_addr_id(c->s, tl_hent_key(e), e->klen, &id, c->err);
		if (rc < 0) {
			c->failed = 1;
			return -1;
		}
		if (!rc) continue;
		uint8_t k[8];
		tl_put_be64(k, id);
		struct tl_hent *t = tl_hmap_put(&c->tagged_ids, k, 8, e->klen);
		memcpy(tl_hent_val(t), tl_hent_key(e), e->klen);
	}
	c->tagged_ids_ok = 1;
	return 0;
}

/* Sets the summary of cluster id cid from its members' tags (deleted
 * when none is tagged). */
static int recompute_summary(struct tl_cluster *c, uint64_t cid)
{
	uint64_t t, next, size;
	if (find3(c, cid, &t, &next, &size) < 0) return -1;
	if (t != cid) return 0; /* not a cluster id (any more) */
	struct tl_cluster_summary s;
	memset(&s, 0, sizeof s);
	s.size = size;
	s.confidence = -1;
	uint64_t n = 0;
	for (uint64_t m = cid; m; n++) {
		if (n >= size) {
			c->failed = 1;
			return tl_err_set(c->err, "corrupt member list of cluster %llu", (unsigned long long)cid);
		}
		uint8_t k[8];
		tl_put_be64(k, m);
		struct tl_hent *e = tl_hmap_get(&c->tagged_ids, k, 8);
		if (e) owner_tags(c, tl_hent_val(e), e->vlen, &s);
		if (m != cid) {
			uint64_t z;
			if (find3(c, m, &t, &next, &z) < 0) return -1;
		}
		m = next;
	}
	uint8_t k[9], cur[256];
	size_t cl = 0;
	tl_cluster_summary_key(cid, k);
	int rc = kv_get(c, k, 9, cur, sizeof cur, &cl);
	if (rc < 0) return -1;
	if (!s.tagged) {
		if (rc) kv_set(c, k, 9, NULL, 0, 0, JR_NONE);
		return 0;
	}
	struct tl_buf v;
	tl_buf_init(&v);
	tl_cluster_summary_encode(&s, &v);
	if (!rc || cl != v.len || memcmp(cur, v.data, cl)) kv_set(c, k, 9, v.data, v.len, 1, JR_NONE);
	tl_buf_free(&v);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* After block journal restore: summaries of the owners the block created
 * (ids >= first) deleted, those of the clusters of ids (n of them,
 * touched by the block) recomputed. */
static int fix_summaries(struct tl_cluster *c, uint64_t first, uint64_t *ids, size_t n)
{
	uint8_t k[9];
	tl_cluster_summary_key(first, k);
	struct tl_iter *it = tl_iter_new(c->s, TL_CF_CLUSTER);
	for (tl_iter_seek(it, k, 9); tl_iter_valid(it); tl_iter_next(it)) {
		size_t kl;
		const uint8_t *key = tl_iter_key(it, &kl);
		if (kl != 9 || key[0] != 's') break;
		kv_set(c, key, 9, NULL, 0, 0, JR_NONE);
	}
	tl_iter_free(it);
	if (!c->tagged.count || !n) return c->failed ? -1 : 0;
	if (load_tagged_ids(c) < 0) return -1;
	for (size_t i = 0; i < n; i++)
		if (find(c, ids[i], &ids[i]) < 0) return -1;
	qsort(ids, n, sizeof *ids, cmp_u64);
	for (size_t i = 0; i < n; i++)
		if ((i == 0 || ids[i] != ids[i - 1]) && recompute_summary(c, ids[i]) < 0) return -1;
	return c->failed ? -1 : 0;
}

/* ---- public key forms ---- */

static int owner_of(struct tl_cluster *c, const uint8_t *skey, size_t sklen, uint64_t *id)
{
	struct tl_hent *e = tl_hmap_get(&c->newkeys, skey, sklen);
	if (e) {
		memcpy(id, tl_hent_val(e), 8);
		return 1;
	}
	int rc = tl_store_addr_id(c->s, skey, sklen, id, c->err);
	if (rc < 0) c->failed = 1;
	return rc;
}

/* The last push of a push-only scriptSig (a P2PKH spend's key), not yet
 * validated; 0 if none. */
static size_t last_push(const uint8_t *script, size_t len, const uint8_t **key)
{
	size_t pos = 0, dlen = 0, last_len = 0;
	const uint8_t *data, *last = NULL;
	uint8_t op;
	if (!script) return 0;
	while (pos < len) {
		if (tl_script_get_op(script, len, &pos, &op, &data, &dlen) < 0 || op > 0x4e) return 0;
		last = data;
		last_len = dlen;
	}
	if (!last || (last_len != 33 && last_len != 65)) return 0;
	*key = last;
	return last_len;
}

/* Key id: hash160 of the compressed serialization of a 33- or 65-byte
 * key (the compressed form of an uncompressed key is its x coordinate
 * with the parity of y; the point is validated later). */
static int key_id(const uint8_t *key, size_t klen, uint8_t h[20])
{
	uint8_t comp[33];
	if (klen == 33 && (key[0] == 2 || key[0] == 3)) {
		tl_hash160(key, 33, h);
		return 0;
	}
	if (klen == 65 && key[0] == 4) {
		comp[0] = (uint8_t)(2 | (key[64] & 1));
		memcpy(comp + 1, key + 1, 32);
		tl_hash160(comp, 33, h);
		return 0;
	}
	return -1;
}

/* Whether key "k"+h was revealed: 1 (*addr = its revealer), 0, -1. Does
 * not cache a miss (most new owners have never been revealed). */
static int keyref_get(struct tl_cluster *c, const uint8_t h[20], uint64_t *addr)
{
	uint8_t k[21], *v = NULL, buf[16];
	size_t vl = 0, pos = 0;
	tl_cluster_keyref_key(h, k);
	if (known_absent(c, k, 21)) return 0;
	struct tl_hent *e = tl_hmap_get(&c->ov, k, 21);
	int rc;
	if (e) {
		rc = kv_get(c, k, 21, buf, sizeof buf, &vl);
		v = buf;
	} else {
		rc = tl_store_get_kv(c->s, TL_CF_CLUSTER, k, 21, &v, &vl, c->err);
	}
	if (rc < 0) {
		c->failed = 1;
		return -1;
	}
	if (rc == 1 && tl_get_varint(v, vl, &pos, addr) < 0) rc = -1;
	if (v != buf) free(v);
	if (rc < 0) {
		c->failed = 1;
		return tl_err_set(c->err, "corrupt revealed-key record");
	}
	return rc;
}

/* The owner `addr` revealed key K (a P2PKH spend, a P2PK output):
 * unites it with the other owners of K seen so far (P2PKH and P2PK of
 * both serializations, P2WPKH of the compressed one). A key that a hash
 * form appearing later cannot find by its own hash (an uncompressed key,
 * whose compressed hash forms differ from its P2PKH hash; any P2PK key,
 * remember set) is remembered by its key id for link_late_form. A key
 * remembered before is skipped (its forms were linked then or when they
 * appeared). */
static int link_key(struct tl_cluster *c, uint64_t addr, const uint8_t *key, size_t klen, uint64_t tx_num,
		    int remember)
{
	uint8_t h[20], comp[33], unc[65];
	uint64_t prev;
	if (key_id(key, klen, h) < 0) return 0;
	int rc = keyref_get(c, h, &prev);
	if (rc != 0) return rc < 0 ? -1 : 0;
	if (tl_pubkey_forms(key, klen, comp, unc) < 0) return 0;
	uint8_t sk[5][TL_SCRIPT_KEY_MAX];
	size_t sl[5];
	sk[0][0] = sk[1][0] = TL_SCRIPT_PUBKEYHASH;
	memcpy(sk[0] + 1, h, 20);
	tl_hash160(unc, 65, sk[1] + 1);
	sl[0] = sl[1] = 21;
	sk[2][0] = sk[3][0] = TL_SCRIPT_PUBKEY;
	memcpy(sk[2] + 1, comp, 33);
	memcpy(sk[3] + 1, unc, 65);
	sl[2] = 34;
	sl[3] = 66;
	sk[4][0] = TL_SCRIPT_WITNESS_V0_KEYHASH;
	memcpy(sk[4] + 1, h, 20);
	sl[4] = 21;
	for (int i = 0; i < 5; i++) {
		uint64_t other;
		rc = owner_of(c, sk[i], sl[i], &other);
		if (rc < 0) return -1;
		if (rc == 0 || other == addr) continue;
		uint64_t ca, co;
		if (find(c, addr, &ca) < 0 || find(c, other, &co) < 0) return -1;
		if (ca == co) continue;
		if (unite(c, addr, other, TL_LINK_PUBKEY_FORMS, tx_num) < 0) return -1;
		c->st.pubkey_links++;
	}
	if (!remember && klen == 33) return c->failed ? -1 : 0;
	uint8_t k[21];
	struct tl_buf v;
	tl_buf_init(&v);
	tl_buf_varint(&v, addr);
	tl_cluster_keyref_key(h, k);
	kv_set(c, k, 21, v.data, v.len, 1, JR_ABSENT);
	tl_buf_free(&v);
	return c->failed ? -1 : 0;
}

/* A new P2PKH or P2WPKH owner `addr` with hash h (script key sk): the
 * same 20-byte hash is the same key, so it is united with its twin of the
 * other type if seen, and with the revealer of a remembered key whose id
 * is h (a P2PK owner or an uncompressed key's owners, see link_key). Not
 * found: the P2PKH hash of the uncompressed serialization of a key
 * revealed only compressed (it would take a field square root on every
 * P2WPKH spend to compute), until that address spends. */
static int link_late_form(struct tl_cluster *c, uint64_t addr, const uint8_t *sk, size_t sklen, uint64_t tx_num)
{
	if ((sk[0] != TL_SCRIPT_PUBKEYHASH && sk[0] != TL_SCRIPT_WITNESS_V0_KEYHASH) || sklen != 21) return 0;
	uint8_t twin[21];
	twin[0] = sk[0] == TL_SCRIPT_PUBKEYHASH ? TL_SCRIPT_WITNESS_V0_KEYHASH : TL_SCRIPT_PUBKEYHASH;
	memcpy(twin + 1, sk + 1, 20);
	uint64_t other[2];
	int n = 0, rc = 0;
	if (hash_maybe(c, sk + 1)) rc = owner_of(c, twin, 21, &other[n]);
	hash_note(c, sk + 1);
	if (rc < 0) return -1;
	n += rc;
	rc = keyref_get(c, sk + 1, &other[n]);
	if (rc < 0) return -1;
	n += rc;
	for (int i = 0; i < n; i++) {
		uint64_t ca, co;
		if (other[i] == addr) continue;
		if (find(c, addr, &ca) < 0 || find(c, other[i], &co) < 0) return -1;
		if (ca == co) continue;
		if (unite(c, other[i], addr, TL_LINK_PUBKEY_FORMS, tx_num) < 0) return -1;
		c->st.pubkey_links++;
	}
	return 0;
}

/* ---- public ---- */

/* Fills the presence filters from the committed 'a', 's' and 'k' keys. */
static void load_filters(struct tl_cluster *c)
{
	static const uint8_t pre[3] = { 'a', 's', 'k' };
	c->kbloom = calloc(KBLOOM_WORDS, sizeof *c->kbloom);
	if (!c->kbloom) abort();
	struct tl_iter *it = tl_iter_new(c->s, TL_CF_CLUSTER);
	for (int i = c->no_bits ? 2 : 0; i < 3; i++) {
		for (tl_iter_seek(it, &pre[i], 1); tl_iter_valid(it); tl_iter_next(it)) {
			size_t kl;
			const uint8_t *k = tl_iter_key(it, &kl);
			if (!kl || k[0] != pre[i]) break;
			note_presence(c, k, kl, 1);
		}
	}
	tl_iter_free(it);
}

/* Largest index whose hash owners are scanned into the twin filter at
 * open (a scan of the addr family; beyond it twins are always looked up). */
#define HBLOOM_SCAN_MAX ((uint64_t)8 << 20)

/* Sizes the twin filter (4 MiB: a fixed cost beside the budget, like
 * the 1 MiB 'k' filter) and fills it from the addr family. */
static void load_hash_filter(struct tl_cluster *c, uint64_t next_addr)
{
	if (next_addr > HBLOOM_SCAN_MAX) return;
	size_t words = (size_t)1 << 19;
	c->hbloom = calloc(words, sizeof *c->hbloom);
	if (!c->hbloom) abort();
	c->hmask = words - 1;
	if (!next_addr) return;
	/* The addr family's keys are owner digests: the type byte, then
	 * the first 12 bytes of the hash for these types (store.h). Keys
	 * sort by that byte: only these two ranges are read. */
	static const uint8_t types[2] = { TL_SCRIPT_PUBKEYHASH, TL_SCRIPT_WITNESS_V0_KEYHASH };
	struct tl_iter *it = tl_iter_new(c->s, TL_CF_ADDR);
	for (int t = 0; t < 2; t++)
		for (tl_iter_seek(it, &types[t], 1); tl_iter_valid(it); tl_iter_next(it)) {
			size_t kl;
			const uint8_t *k = tl_iter_key(it, &kl);
			if (!kl || k[0] != types[t]) break;
			if (kl == TL_ADDR_KEY_LEN) hash_note(c, k + 1);
		}
	tl_iter_free(it);
}

int tl_cluster_open(struct tl_store *s, const struct tl_cluster_opts *o, struct tl_cluster **out, struct tl_err *err)
{
	struct tl_cluster *c = calloc(1, sizeof *c);
	if (!c) abort();
	c->s = s;
	if (o) c->o = *o;
	c->budget = (size_t)(c->o.cache_mb ? c->o.cache_mb : 64) << 20;
	/* Tests make the budget tiny: the bitmaps are dropped, the overlay
	 * evicts at every commit. */
	const char *tb = getenv("TL_TEST_CLUSTER_BUDGET");
	if (tb && atol(tb) > 0) c->budget = (size_t)atol(tb);
	c->err = err;
	tl_hmap_init(&c->ov);
	tl_hmap_init(&c->newkeys);
	tl_hmap_init(&c->tagged);
	tl_hmap_init(&c->tagged_ids);
	tl_buf_init(&c->journal);
	c->gen = 1;
	struct tl_tip tip;
	if (tl_store_tip(s, &tip, err) < 0 || load_tagged(c) < 0) {
		tl_cluster_free(c);
		return -1;
	}
	/* bitmaps that would not fit are not loaded (note_presence) */
	if ((tip.next_addr_id / 64 + 1) * 2 * sizeof(uint64_t) > c->budget / 4) c->no_bits = 1;
	load_filters(c);
	load_hash_filter(c, tip.next_addr_id);
	c->max_addr = tip.next_addr_id ? tip.next_addr_id - 1 : 0;
	*out = c;
	return 0;
}

void tl_cluster_free(struct tl_cluster *c)
{
	if (!c) return;
	tl_hmap_free(&c->ov);
	free(c->ids);
	free(c->abits);
	free(c->sbits);
	free(c->kbloom);
	free(c->hbloom);
	free(c->dirty);
	tl_hmap_free(&c->newkeys);
	tl_hmap_free(&c->tagged);
	tl_hmap_free(&c->tagged_ids);
	tl_buf_free(&c->journal);
	free(c);
}

int tl_cluster_tx(struct tl_cluster *c, struct tl_batch *b, const struct tl_tx_rec *r, const struct tl_tx *tx,
		  struct tl_err *err)
{
	(void)b; /* writes reach the batch at tl_cluster_flush */
	c->err = err;
	c->failed = 0;
	uint64_t before = c->max_addr;
	int check_tags = c->tagged.count > 0;
	/* new owners: remember key-form owners for this batch, link forms of
	 * keys revealed earlier, apply pending tags */
	for (uint32_t o = 0; o < r->n_out; o++) {
		uint64_t a = r->out[o].addr_id;
		if (a <= c->max_addr) continue;
		c->max_addr = a;
		uint8_t t = r->out[o].script_type;
		int form = t == TL_SCRIPT_PUBKEY || t == TL_SCRIPT_PUBKEYHASH || t == TL_SCRIPT_WITNESS_V0_KEYHASH;
		if (!check_tags && !form) continue;
		uint8_t sk[TL_SCRIPT_KEY_MAX];
		size_t sl = tl_script_key(tx->out[o].script, tx->out[o].script_len, sk);
		/* tags first: fold_tags writes the summary of a singleton, which
		 * a union with the owner's twin then merges */
		if (check_tags && tl_hmap_get(&c->tagged, sk, sl) && fold_tags(c, a, sk, sl) < 0) return -1;
		if (form) {
			struct tl_hent *e = tl_hmap_put(&c->newkeys, sk, sl, 8);
			memcpy(tl_hent_val(e), &a, 8);
			if (link_late_form(c, a, sk, sl, r->tx_num) < 0) return -1;
		}
	}
	if (r->flags & TL_TX_COINBASE) goto keys;
	int cj = tl_coinjoin_detect(r);
	if (cj) {
		uint8_t k[9], v = (uint8_t)cj;
		tl_cluster_coinjoin_key(r->tx_num, k);
		kv_set(c, k, 9, &v, 1, 1, JR_ABSENT);
		c->st.coinjoins++;
	} else {
		uint64_t first = 0;
		for (uint32_t i = 0; i < r->n_in; i++) {
			const struct tl_in_rec *in = &r->in[i];
			if (in->kind != TL_IN_KNOWN || !in->addr_id) continue;
			if (!first) first = in->addr_id;
			else if (in->addr_id != first &&
				 unite(c, first, in->addr_id, TL_LINK_COMMON_INPUT, r->tx_num) < 0)
				return -1;
		}
		if ((c->o.heuristics & TL_CLUSTER_H_FRESH_CHANGE) && first && r->n_out == 2 && r->out[0].addr_id &&
		    r->out[1].addr_id && (r->out[0].addr_id > before) != (r->out[1].addr_id > before)) {
			int fresh = r->out[0].addr_id > before ? 0 : 1;
			int same = r->out[fresh].script_type != r->out[1 - fresh].script_type;
			for (uint32_t i = 0; i < r->n_in && same; i++)
				if (r->in[i].kind != TL_IN_KNOWN || r->in[i].script_type != r->out[fresh].script_type)
					same = 0;
			if (same) {
				if (unite(c, first, r->out[fresh].addr_id, TL_LINK_CHANGE_FRESH, r->tx_num) < 0)
					return -1;
				c->st.change_links++;
			}
		}
	}
keys:
	/* keys revealed by P2PKH spends and P2PK outputs */
	for (uint32_t i = 0; i < r->n_in && !(r->flags & TL_TX_COINBASE); i++) {
		const struct tl_in_rec *in = &r->in[i];
		if (in->kind != TL_IN_KNOWN || !in->addr_id) continue;
		const uint8_t *key;
		size_t kl = 0;
		if (in->script_type == TL_SCRIPT_PUBKEYHASH)
			kl = last_push(tx->in[i].script_sig, tx->in[i].script_sig_len, &key);
		if (kl && link_key(c, in->addr_id, key, kl, r->tx_num, 0) < 0) return -1;
	}
	for (uint32_t o = 0; o < r->n_out; o++) {
		if (r->out[o].script_type != TL_SCRIPT_PUBKEY) continue;
		struct tl_script_info si;
		tl_script_classify(tx->out[o].script, tx->out[o].script_len, &si);
		if (si.type == TL_SCRIPT_PUBKEY &&
		    link_key(c, r->out[o].addr_id, si.data, si.data_len, r->tx_num, 1) < 0)
			return -1;
	}
	return c->failed ? -1 : 0;
}

void tl_cluster_block_end(struct tl_cluster *c, struct tl_batch *b, int32_t height, uint32_t undo_keep)
{
	uint8_t k[5];
	if (c->journal.len) {
		tl_cluster_undo_key(height, k);
		tl_batch_put_kv(b, TL_CF_CLUSTER, k, 5, c->journal.data, c->journal.len);
		c->journal.len = 0;
	}
	if (height >= (int32_t)undo_keep) {
		tl_cluster_undo_key(height - (int32_t)undo_keep, k);
		tl_batch_del(b, TL_CF_CLUSTER, k, 5);
	}
	c->gen++;
	c->tagged_ids_ok = 0; /* owners were added */
}

void tl_cluster_flush(struct tl_cluster *c, struct tl_batch *b)
{
	for (size_t i = 0; i < c->ndirty; i++) {
		struct tl_hent *e = c->dirty[i];
		struct ovv *o = tl_hent_val(e);
		o->dirty = 0;
		if (o->present) tl_batch_put_kv(b, TL_CF_CLUSTER, tl_hent_key(e), e->klen, o->v, o->len);
		else tl_batch_del(b, TL_CF_CLUSTER, tl_hent_key(e), e->klen);
	}
	c->ndirty = 0;
}

void tl_cluster_committed(struct tl_cluster *c)
{
	tl_hmap_clear(&c->newkeys);
	if (!c->ndirty) tl_hmap_trim(&c->ov, overlay_budget(c));
}

int tl_cluster_rollback(struct tl_cluster *c, struct tl_batch *b, int32_t height, struct tl_err *err)
{
	c->err = err;
	c->failed = 0;
	c->journal.len = 0;
	struct tl_undo_rec u;
	int rc = tl_store_undo(c->s, height, &u, err);
	if (rc < 0) return -1;
	if (rc == 1) c->max_addr = u.first_addr_id ? u.first_addr_id - 1 : 0;
	tl_hmap_clear(&c->newkeys);
	uint8_t k[5];
	tl_cluster_undo_key(height, k);
	uint8_t *j = NULL;
	size_t jl = 0;
	uint64_t first = c->max_addr + 1;
	rc = tl_store_get_kv(c->s, TL_CF_CLUSTER, k, 5, &j, &jl, err);
	if (rc < 0) return -1;
	if (rc == 0) {
		/* nothing clustered, but an import may have tagged its owners */
		c->gen++;
		return fix_summaries(c, first, NULL, 0);
	}
	/* index the entries, then restore them newest first */
	size_t n = 0, cap = 64, pos = 0, nid = 0;
	size_t *at = malloc(cap * sizeof *at);
	uint64_t *ids = malloc(cap * sizeof *ids);
	if (!at || !ids) abort();
	while (pos < jl) {
		if (n == cap) {
			cap *= 2;
			at = realloc(at, cap * sizeof *at);
			ids = realloc(ids, cap * sizeof *ids);
			if (!at || !ids) abort();
		}
		at[n++] = pos;
		size_t kl = j[pos];
		uint64_t vl;
		pos += 1 + kl;
		if (pos + 1 > jl) goto corrupt;
		pos++;
		if (tl_get_varint(j, jl, &pos, &vl) < 0 || vl > jl - pos) goto corrupt;
		pos += (size_t)vl;
	}
	while (n--) {
		size_t p = at[n], kl = j[p];
		const uint8_t *key = j + p + 1;
		int present = j[p + 1 + kl];
		size_t q = p + 2 + kl;
		uint64_t vl;
		tl_get_varint(j, jl, &q, &vl);
		kv_set(c, key, kl, j + q, (size_t)vl, present, JR_NONE);
		if (kl == 9 && key[0] == 'a' && tl_get_be64(key + 1) < first)
			ids[nid++] = tl_get_be64(key + 1);
	}
	free(at);
	free(j);
	tl_batch_del(b, TL_CF_CLUSTER, k, 5);
	c->gen++;
	rc = c->failed ? -1 : fix_summaries(c, first, ids, nid);
	free(ids);
	return rc;
corrupt:
	free(ids);
	free(at);
	free(j);
	return tl_err_set(err, "corrupt cluster undo journal of block %d", height);
}

void tl_cluster_get_stats(const struct tl_cluster *c, struct tl_cluster_stats *st) { *st = c->st; }

int tl_cluster_owner_tagged(const struct tl_cluster *c, const uint8_t *skey, size_t sklen)
{
	return tl_hmap_get((struct tl_hmap *)&c->tagged, skey, sklen) != NULL;
}
