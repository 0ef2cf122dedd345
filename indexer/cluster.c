/* Incremental address clustering; see cluster.h and docs/entities.md. */
#include "indexer/cluster.h"

#include <stdlib.h>
#include <string.h>

#include "chain/bytes.h"
#include "chain/hash.h"
#include "chain/pubkey.h"
#include "chain/script.h"
#include "indexer/hmap.h"
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

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* ---- state ---- */

struct ovv {
	uint8_t present;
	uint32_t len;
	uint8_t v[];
};

struct plist {
	uint64_t *ids;
	size_t n, cap;
};

struct tl_cluster {
	struct tl_store *s;
	struct tl_cluster_opts o;
	size_t budget;
	struct tl_hmap ov;      /* cluster-family key -> struct ovv (batch writes + cache) */
	struct tl_hmap pend;    /* cluster id -> struct plist of members added since the commit */
	struct tl_hmap newkeys; /* owner script key -> addr_id, P2PK/P2PKH owners new since the commit */
	struct tl_hmap tagged;  /* owner script keys that carry tags */
	struct tl_buf journal;
	uint64_t max_addr;      /* highest addr_id seen */
	struct tl_cluster_stats st;
	struct tl_err *err;
	int failed;
};

static void pend_free_all(struct tl_cluster *c)
{
	for (struct tl_hent *e = c->pend.lru_head; e; e = e->lru_next) free(((struct plist *)tl_hent_val(e))->ids);
	tl_hmap_clear(&c->pend);
}

/* Current value of a key: 1 present (copied to val, *vlen), 0 absent, -1. */
static int kv_get(struct tl_cluster *c, const uint8_t *key, size_t klen, uint8_t *val, size_t cap, size_t *vlen)
{
	struct tl_hent *e = tl_hmap_get(&c->ov, key, klen);
	if (!e) {
		uint8_t *v = NULL;
		size_t vl = 0;
		int rc = tl_store_get_kv(c->s, TL_CF_CLUSTER, key, klen, &v, &vl, c->err);
		if (rc < 0) {
			c->failed = 1;
			return -1;
		}
		e = tl_hmap_put(&c->ov, key, klen, sizeof(struct ovv) + (rc ? vl : 0));
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

/* Writes (present) or deletes a key in the batch and the overlay; with
 * journal set, records the previous value first: JR_READ looks it up,
 * JR_ABSENT and JR_EMPTY state it (a key known to be new, e.g. a link of
 * this transaction or a member added to a cluster it was not in; or one
 * known to exist with an empty value, a member record being removed),
 * which saves a read of the cluster family per key. */
enum { JR_NONE = 0, JR_READ = 1, JR_ABSENT = 2, JR_EMPTY = 3 };
static void kv_set(struct tl_cluster *c, struct tl_batch *b, const uint8_t *key, size_t klen, const uint8_t *val,
		   size_t vlen, int present, int journal)
{
	if (journal) {
		uint8_t prev[256];
		size_t pl = 0;
		int rc = journal == JR_ABSENT ? 0 : journal == JR_EMPTY ? 1 : kv_get(c, key, klen, prev, sizeof prev, &pl);
		if (rc < 0) return;
		tl_buf_u8(&c->journal, (uint8_t)klen);
		tl_buf_put(&c->journal, key, klen);
		tl_buf_u8(&c->journal, (uint8_t)rc);
		tl_buf_varint(&c->journal, rc ? pl : 0);
		if (rc) tl_buf_put(&c->journal, prev, pl);
	}
	if (present) tl_batch_put_kv(b, TL_CF_CLUSTER, key, klen, val, vlen);
	else tl_batch_del(b, TL_CF_CLUSTER, key, klen);
	struct tl_hent *e = tl_hmap_put(&c->ov, key, klen, sizeof(struct ovv) + (present ? vlen : 0));
	struct ovv *o = tl_hent_val(e);
	o->present = (uint8_t)present;
	o->len = present ? (uint32_t)vlen : 0;
	if (present && vlen) memcpy(o->v, val, vlen);
	if (present && klen == 17 && key[0] == 'm') {
		struct tl_hent *pe = tl_hmap_get(&c->pend, key + 1, 8);
		if (!pe) pe = tl_hmap_put(&c->pend, key + 1, 8, sizeof(struct plist));
		struct plist *p = tl_hent_val(pe);
		if (p->n == p->cap) {
			p->cap = p->cap ? p->cap * 2 : 8;
			p->ids = realloc(p->ids, p->cap * sizeof *p->ids);
			if (!p->ids) abort();
		}
		p->ids[p->n++] = tl_get_be64(key + 9);
	}
}

static int find(struct tl_cluster *c, uint64_t addr, uint64_t *cid)
{
	uint8_t k[9], v[16];
	size_t vl;
	tl_cluster_addr_key(addr, k);
	int rc = kv_get(c, k, 9, v, sizeof v, &vl);
	if (rc < 0) return -1;
	*cid = rc && vl == 8 ? tl_get_be64(v) : addr;
	return 0;
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

static void put_summary(struct tl_cluster *c, struct tl_batch *b, uint64_t cid, const struct tl_cluster_summary *s)
{
	uint8_t k[9];
	struct tl_buf v;
	tl_buf_init(&v);
	tl_cluster_summary_encode(s, &v);
	tl_cluster_summary_key(cid, k);
	kv_set(c, b, k, 9, v.data, v.len, 1, 1);
	tl_buf_free(&v);
}

/* Members of a multi-member cluster: committed ones (minus those deleted
 * in the batch) and those added in the batch. Sorted, unique. */
static int members(struct tl_cluster *c, uint64_t cid, uint64_t **out, size_t *n)
{
	size_t cap = 16, m = 0;
	uint64_t *ids = malloc(cap * sizeof *ids);
	if (!ids) abort();
	uint8_t pre[9];
	tl_cluster_member_prefix(cid, pre);
	struct tl_iter *it = tl_iter_new(c->s, TL_CF_CLUSTER);
	for (tl_iter_seek(it, pre, 9); tl_iter_valid(it); tl_iter_next(it)) {
		size_t kl;
		const uint8_t *k = tl_iter_key(it, &kl);
		uint64_t kc, a;
		if (tl_cluster_member_key_parse(k, kl, &kc, &a) < 0 || kc != cid) break;
		struct tl_hent *e = tl_hmap_get(&c->ov, k, kl);
		if (e && !((struct ovv *)tl_hent_val(e))->present) continue;
		if (m == cap) {
			ids = realloc(ids, (cap *= 2) * sizeof *ids);
			if (!ids) abort();
		}
		ids[m++] = a;
	}
	tl_iter_free(it);
	struct tl_hent *pe = tl_hmap_get(&c->pend, pre + 1, 8);
	if (pe) {
		struct plist *p = tl_hent_val(pe);
		for (size_t i = 0; i < p->n; i++) {
			uint8_t k[17];
			tl_cluster_member_key(cid, p->ids[i], k);
			struct tl_hent *e = tl_hmap_get(&c->ov, k, 17);
			if (!e || !((struct ovv *)tl_hent_val(e))->present) continue;
			if (m == cap) {
				ids = realloc(ids, (cap *= 2) * sizeof *ids);
				if (!ids) abort();
			}
			ids[m++] = p->ids[i];
		}
	}
	qsort(ids, m, sizeof *ids, cmp_u64);
	size_t u = 0;
	for (size_t i = 0; i < m; i++)
		if (!u || ids[i] != ids[u - 1]) ids[u++] = ids[i];
	*out = ids;
	*n = u;
	return 0;
}

static int unite(struct tl_cluster *c, struct tl_batch *b, uint64_t x, uint64_t y, int kind, uint64_t tx_num)
{
	uint64_t cx, cy;
	if (find(c, x, &cx) < 0 || find(c, y, &cy) < 0) return -1;
	if (cx == cy) return 0;
	struct tl_cluster_summary sx, sy;
	int stx, sty;
	if (summary(c, cx, &sx, &stx) < 0 || summary(c, cy, &sy, &sty) < 0) return -1;
	int x_wins = sx.size > sy.size || (sx.size == sy.size && cx < cy);
	uint64_t w = x_wins ? cx : cy, l = x_wins ? cy : cx;
	struct tl_cluster_summary sw = x_wins ? sx : sy, sl = x_wins ? sy : sx;
	int l_stored = x_wins ? sty : stx;
	uint8_t k[33], v[8];
	tl_put_be64(v, w);
	if (sw.size == 1) { /* the survivor was a singleton: it gets its own records */
		tl_cluster_addr_key(w, k);
		kv_set(c, b, k, 9, v, 8, 1, 1);
		tl_cluster_member_key(w, w, k);
		kv_set(c, b, k, 17, NULL, 0, 1, JR_ABSENT);
	}
	uint64_t one = l, *ids = &one;
	size_t n = 1;
	if (sl.size > 1 && members(c, l, &ids, &n) < 0) return -1;
	for (size_t i = 0; i < n; i++) {
		tl_cluster_addr_key(ids[i], k);
		kv_set(c, b, k, 9, v, 8, 1, 1);
		if (sl.size > 1) {
			tl_cluster_member_key(l, ids[i], k);
			kv_set(c, b, k, 17, NULL, 0, 0, JR_EMPTY);
		}
		tl_cluster_member_key(w, ids[i], k);
		kv_set(c, b, k, 17, NULL, 0, 1, JR_ABSENT);
	}
	c->st.relabelled += n;
	if (ids != &one) free(ids);
	sw.size += sl.size;
	sw.cats |= sl.cats;
	sw.tagged += sl.tagged;
	if (sl.label[0] && (!sw.label[0] || sl.confidence > sw.confidence)) {
		memcpy(sw.label, sl.label, sizeof sw.label);
		sw.confidence = sl.confidence;
	}
	put_summary(c, b, w, &sw);
	if (l_stored) {
		tl_cluster_summary_key(l, k);
		kv_set(c, b, k, 9, NULL, 0, 0, 1);
	}
	uint8_t kb = (uint8_t)kind;
	tl_cluster_link_key(l, tx_num, x, y, k);
	kv_set(c, b, k, 33, &kb, 1, 1, JR_ABSENT);
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

/* A new address whose owner carries tags: its singleton summary. */
static int fold_tags(struct tl_cluster *c, struct tl_batch *b, uint64_t addr, const uint8_t *skey, size_t sklen)
{
	uint8_t pre[TL_TAG_ADDR_KEY_MAX];
	size_t pl = tl_tag_addr_key(skey, sklen, NULL, pre);
	struct tl_cluster_summary s;
	memset(&s, 0, sizeof s);
	s.size = 1;
	s.confidence = -1;
	struct tl_iter *it = tl_iter_new(c->s, TL_CF_TAG);
	for (tl_iter_seek(it, pre, pl); tl_iter_valid(it); tl_iter_next(it)) {
		size_t kl, vl;
		const uint8_t *k = tl_iter_key(it, &kl), *v = tl_iter_value(it, &vl);
		if (kl < pl || memcmp(k, pre, pl)) break;
		struct tl_tag_rec r;
		if (tl_tag_rec_decode(v, vl, &r) < 0) continue;
		s.cats |= r.cats;
		s.tagged = 1;
		if (r.label && (!s.label[0] || r.confidence > s.confidence)) {
			size_t n = strlen(r.label);
			if (n >= sizeof s.label) n = sizeof s.label - 1;
			memcpy(s.label, r.label, n);
			s.label[n] = 0;
			s.confidence = r.confidence;
		}
		tl_tag_rec_free(&r);
	}
	tl_iter_free(it);
	if (!s.tagged) return 0;
	put_summary(c, b, addr, &s);
	c->st.tagged_new++;
	return 0;
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

/* Links the owner `addr` that revealed key K with the other owners of K:
 * P2PKH of both serializations and P2PK of both. */
static int link_key(struct tl_cluster *c, struct tl_batch *b, uint64_t addr, const uint8_t *key, size_t klen,
		    uint64_t tx_num)
{
	uint8_t comp[33], unc[65];
	if (tl_pubkey_forms(key, klen, comp, unc) < 0) return 0;
	uint8_t sk[4][TL_SCRIPT_KEY_MAX];
	size_t sl[4];
	sk[0][0] = sk[1][0] = TL_SCRIPT_PUBKEYHASH;
	tl_hash160(comp, 33, sk[0] + 1);
	tl_hash160(unc, 65, sk[1] + 1);
	sl[0] = sl[1] = 21;
	sk[2][0] = sk[3][0] = TL_SCRIPT_PUBKEY;
	memcpy(sk[2] + 1, comp, 33);
	memcpy(sk[3] + 1, unc, 65);
	sl[2] = 34;
	sl[3] = 66;
	for (int i = 0; i < 4; i++) {
		uint64_t other;
		int rc = owner_of(c, sk[i], sl[i], &other);
		if (rc < 0) return -1;
		if (rc == 0 || other == addr) continue;
		uint64_t ca, co;
		if (find(c, addr, &ca) < 0 || find(c, other, &co) < 0) return -1;
		if (ca == co) continue;
		if (unite(c, b, addr, other, TL_LINK_PUBKEY_FORMS, tx_num) < 0) return -1;
		c->st.pubkey_links++;
	}
	return 0;
}

/* ---- public ---- */

int tl_cluster_open(struct tl_store *s, const struct tl_cluster_opts *o, struct tl_cluster **out, struct tl_err *err)
{
	struct tl_cluster *c = calloc(1, sizeof *c);
	if (!c) abort();
	c->s = s;
	if (o) c->o = *o;
	c->budget = (size_t)(c->o.cache_mb ? c->o.cache_mb : 64) << 20;
	c->err = err;
	tl_hmap_init(&c->ov);
	tl_hmap_init(&c->pend);
	tl_hmap_init(&c->newkeys);
	tl_hmap_init(&c->tagged);
	tl_buf_init(&c->journal);
	struct tl_tip tip;
	if (tl_store_tip(s, &tip, err) < 0 || load_tagged(c) < 0) {
		tl_cluster_free(c);
		return -1;
	}
	c->max_addr = tip.next_addr_id ? tip.next_addr_id - 1 : 0;
	*out = c;
	return 0;
}

void tl_cluster_free(struct tl_cluster *c)
{
	if (!c) return;
	pend_free_all(c);
	tl_hmap_free(&c->ov);
	tl_hmap_free(&c->pend);
	tl_hmap_free(&c->newkeys);
	tl_hmap_free(&c->tagged);
	tl_buf_free(&c->journal);
	free(c);
}

int tl_cluster_tx(struct tl_cluster *c, struct tl_batch *b, const struct tl_tx_rec *r, const struct tl_tx *tx,
		  struct tl_err *err)
{
	c->err = err;
	c->failed = 0;
	uint64_t before = c->max_addr;
	int check_tags = c->tagged.count > 0;
	/* new owners: remember P2PK/P2PKH keys for this batch, apply pending tags */
	for (uint32_t o = 0; o < r->n_out; o++) {
		uint64_t a = r->out[o].addr_id;
		if (a <= c->max_addr) continue;
		c->max_addr = a;
		uint8_t t = r->out[o].script_type;
		if (!check_tags && t != TL_SCRIPT_PUBKEY && t != TL_SCRIPT_PUBKEYHASH) continue;
		uint8_t sk[TL_SCRIPT_KEY_MAX];
		size_t sl = tl_script_key(tx->out[o].script, tx->out[o].script_len, sk);
		if (t == TL_SCRIPT_PUBKEY || t == TL_SCRIPT_PUBKEYHASH) {
			struct tl_hent *e = tl_hmap_put(&c->newkeys, sk, sl, 8);
			memcpy(tl_hent_val(e), &a, 8);
		}
		if (check_tags && tl_hmap_get(&c->tagged, sk, sl) && fold_tags(c, b, a, sk, sl) < 0) return -1;
	}
	if (r->flags & TL_TX_COINBASE) goto keys;
	int cj = tl_coinjoin_detect(r);
	if (cj) {
		uint8_t k[9], v = (uint8_t)cj;
		tl_cluster_coinjoin_key(r->tx_num, k);
		kv_set(c, b, k, 9, &v, 1, 1, 1);
		c->st.coinjoins++;
	} else {
		uint64_t first = 0;
		for (uint32_t i = 0; i < r->n_in; i++) {
			const struct tl_in_rec *in = &r->in[i];
			if (in->kind != TL_IN_KNOWN || !in->addr_id) continue;
			if (!first) first = in->addr_id;
			else if (in->addr_id != first &&
				 unite(c, b, first, in->addr_id, TL_LINK_COMMON_INPUT, r->tx_num) < 0)
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
				if (unite(c, b, first, r->out[fresh].addr_id, TL_LINK_CHANGE_FRESH, r->tx_num) < 0)
					return -1;
				c->st.change_links++;
			}
		}
	}
keys:
	/* keys revealed by P2PKH spends and P2PK outputs */
	for (uint32_t i = 0; i < r->n_in && !(r->flags & TL_TX_COINBASE); i++) {
		const struct tl_in_rec *in = &r->in[i];
		if (in->kind != TL_IN_KNOWN || !in->addr_id || in->script_type != TL_SCRIPT_PUBKEYHASH) continue;
		const uint8_t *key;
		size_t kl = tl_pubkey_from_scriptsig(tx->in[i].script_sig, tx->in[i].script_sig_len, &key);
		if (kl && link_key(c, b, in->addr_id, key, kl, r->tx_num) < 0) return -1;
	}
	for (uint32_t o = 0; o < r->n_out; o++) {
		if (r->out[o].script_type != TL_SCRIPT_PUBKEY) continue;
		struct tl_script_info si;
		tl_script_classify(tx->out[o].script, tx->out[o].script_len, &si);
		if (si.type == TL_SCRIPT_PUBKEY &&
		    link_key(c, b, r->out[o].addr_id, si.data, si.data_len, r->tx_num) < 0)
			return -1;
	}
	return c->failed ? -1 : 0;
}

void tl_cluster_block_end(struct tl_cluster *c, struct tl_batch *b, int32_t height, uint32_t undo_keep)
{
	uint8_t k[5];
	if (c->journal.len) {
		tl_cluster_undo_key(height, k);
		kv_set(c, b, k, 5, c->journal.data, c->journal.len, 1, 0);
		c->journal.len = 0;
	}
	if (height >= (int32_t)undo_keep) {
		tl_cluster_undo_key(height - (int32_t)undo_keep, k);
		kv_set(c, b, k, 5, NULL, 0, 0, 0);
	}
}

void tl_cluster_committed(struct tl_cluster *c)
{
	pend_free_all(c);
	tl_hmap_clear(&c->newkeys);
	tl_hmap_trim(&c->ov, c->budget);
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
	rc = tl_store_get_kv(c->s, TL_CF_CLUSTER, k, 5, &j, &jl, err);
	if (rc <= 0) return rc;
	/* index the entries, then restore them newest first */
	size_t n = 0, cap = 64, pos = 0;
	size_t *at = malloc(cap * sizeof *at);
	if (!at) abort();
	while (pos < jl) {
		if (n == cap) {
			at = realloc(at, (cap *= 2) * sizeof *at);
			if (!at) abort();
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
		kv_set(c, b, key, kl, j + q, (size_t)vl, present, 0);
	}
	free(at);
	free(j);
	kv_set(c, b, k, 5, NULL, 0, 0, 0);
	return c->failed ? -1 : 0;
corrupt:
	free(at);
	free(j);
	return tl_err_set(err, "corrupt cluster undo journal of block %d", height);
}

void tl_cluster_get_stats(const struct tl_cluster *c, struct tl_cluster_stats *st) { *st = c->st; }
