/* Tags and heists in the database; see entities.h. */
#include "tracer/entities.h"

#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "bitcoin/address.h"
#include "base/bytes.h"
#include "bitcoin/script.h"
#include "store/cluster_rows.h"
#include "tracer/category.h"
#include "tracer/screen.h"

uint32_t tl_tagcat_bit(const char *category)
{
	return tl_category_tagbit(category);
}

const char *tl_tagcat_names(uint32_t bits, char *buf, size_t cap)
{
	return tl_category_names(bits, buf, cap);
}

/* ---- import ---- */

/* One tag on a seen address, to fold into its cluster's summary. */
struct pend {
	uint64_t cluster_id, addr_id;
	uint32_t cats;
	int confidence;
	int had_tags; /* the address had tags before this import */
	int replaced; /* the tag was stored before with another value */
	char label[TL_SUMMARY_LABEL_MAX];
};

/* A tag of the file, by key: its final value (later rows win), the
 * value stored before the import and the line that first gave it. */
struct ikv {
	uint8_t *k, *v, *old;
	size_t kl, vl, oldl;
	int in_db;          /* stored before the import */
	unsigned long line; /* first row with this key */
	uint64_t h;
};

struct imp {
	struct tl_store *s;
	struct tl_batch *b;
	const struct tl_netparams *net;
	struct tl_tag_import_report *rep;
	struct pend *p;
	size_t np, pcap;
	struct ikv *kv;
	size_t nkv, kvcap;
	size_t *slot; /* open addressing over kv: index + 1, 0 = empty */
	size_t nslot;
	struct tl_err *err;
	int failed;
};

static uint64_t key_hash(const uint8_t *k, size_t kl)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < kl; i++) h = (h ^ k[i]) * 1099511628211ull;
	return h;
}

/* The kv entry of key, or NULL. */
static struct ikv *kv_find(struct imp *im, const uint8_t *k, size_t kl, uint64_t h)
{
	if (!im->nslot) return NULL;
	for (size_t j = (size_t)h & (im->nslot - 1); im->slot[j]; j = (j + 1) & (im->nslot - 1)) {
		struct ikv *e = &im->kv[im->slot[j] - 1];
		if (e->h == h && e->kl == kl && !memcmp(e->k, k, kl)) return e;
	}
	return NULL;
}

/* Appends a kv entry for key (not present). Aborts when out of memory,
 * as the rest of the import's bookkeeping does. */
static struct ikv *kv_add(struct imp *im, const uint8_t *k, size_t kl, uint64_t h)
{
	if ((im->nkv + 1) * 2 > im->nslot) {
		size_t ns = im->nslot ? im->nslot * 2 : 256;
		size_t *nt = calloc(ns, sizeof *nt);
		if (!nt) abort();
		for (size_t i = 0; i < im->nkv; i++) {
			size_t j = (size_t)im->kv[i].h & (ns - 1);
			while (nt[j]) j = (j + 1) & (ns - 1);
			nt[j] = i + 1;
		}
		free(im->slot);
		im->slot = nt;
		im->nslot = ns;
	}
	if (im->nkv == im->kvcap) {
		im->kvcap = im->kvcap ? im->kvcap * 2 : 64;
		im->kv = realloc(im->kv, im->kvcap * sizeof *im->kv);
		if (!im->kv) abort();
	}
	struct ikv *e = &im->kv[im->nkv];
	memset(e, 0, sizeof *e);
	e->k = malloc(kl);
	if (!e->k) abort();
	memcpy(e->k, k, kl);
	e->kl = kl;
	e->h = h;
	size_t j = (size_t)h & (im->nslot - 1);
	while (im->slot[j]) j = (j + 1) & (im->nslot - 1);
	im->slot[j] = ++im->nkv;
	return e;
}

static void kv_set_value(struct ikv *e, const uint8_t *v, size_t vl)
{
	free(e->v);
	e->v = malloc(vl ? vl : 1);
	if (!e->v) abort();
	memcpy(e->v, v, vl);
	e->vl = vl;
}

static void copy_label(char *dst, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	if (n >= TL_SUMMARY_LABEL_MAX) n = TL_SUMMARY_LABEL_MAX - 1;
	if (n) memcpy(dst, src, n);
	dst[n] = 0;
}

/* 1 if the owner has any tag stored, 0 if not, -1 on error. */
static int owner_has_tags(struct tl_store *s, const uint8_t *skey, size_t sklen)
{
	uint8_t pre[TL_TAG_ADDR_KEY_MAX];
	size_t pl = tl_tag_addr_key(skey, sklen, NULL, pre);
	struct tl_iter *it = tl_iter_new(s, TL_CF_TAG);
	tl_iter_seek(it, pre, pl);
	int found = 0;
	if (tl_iter_valid(it)) {
		size_t kl;
		const uint8_t *k = tl_iter_key(it, &kl);
		found = kl >= pl && !memcmp(k, pre, pl);
	}
	tl_iter_free(it);
	return found;
}

static int import_cb(void *ctx, const struct tl_tag *t)
{
	struct imp *im = ctx;
	uint8_t h[8];
	tl_tag_hash(t->label, t->category, t->source, h);
	uint32_t bit = tl_tagcat_bit(t->category);
	struct tl_tag_rec r = {
		.cats = bit, .confidence = t->confidence, .chain = (char *)t->chain, .address = (char *)t->address,
		.label = (char *)t->label, .category = (char *)t->category, .source = (char *)t->source,
		.entity = (char *)t->entity, .notes = (char *)t->notes,
	};
	struct tl_buf v;
	tl_buf_init(&v);
	tl_tag_rec_encode(&r, &v);
	uint8_t key[600];
	size_t kl;
	const struct tl_netparams *np = NULL;
	uint8_t *old = NULL;
	size_t oldl = 0;
	int rc;
	long pi = -1; /* the pend entry of this tag, if any */
	if (tl_registry_chain_net(t->chain, &np) && np == im->net) {
		uint8_t script[42], skey[TL_SCRIPT_KEY_MAX];
		size_t slen;
		struct tl_err e2;
		if (tl_address_to_script(t->address, im->net, script, &slen, &e2) < 0) {
			im->rep->bad_address++;
			tl__tag_report_msg(&im->rep->parse, "line %lu: %s: %s", t->line, t->address, e2.msg);
			tl_buf_free(&v);
			return 0;
		}
		size_t sklen = tl_script_key(script, slen, skey);
		kl = tl_tag_addr_key(skey, sklen, h, key);
		uint64_t addr_id = 0;
		rc = tl_store_addr_id(im->s, skey, sklen, &addr_id, im->err);
		if (rc < 0) goto fail;
		if (rc == 1) {
			int had = owner_has_tags(im->s, skey, sklen);
			uint64_t cid;
			if (tl_cluster_of(im->s, addr_id, &cid, im->err) < 0) goto fail;
			if (im->np == im->pcap) {
				im->pcap = im->pcap ? im->pcap * 2 : 64;
				im->p = realloc(im->p, im->pcap * sizeof *im->p);
				if (!im->p) abort();
			}
			struct pend *p = &im->p[im->np++];
			p->cluster_id = cid;
			p->addr_id = addr_id;
			p->cats = bit;
			p->confidence = t->confidence;
			p->had_tags = had;
			p->replaced = 0;
			copy_label(p->label, t->label);
			pi = (long)im->np - 1;
		}
	} else {
		kl = tl_tag_other_key(t->chain, t->address, h, key, sizeof key);
		if (!kl) {
			im->rep->bad_address++;
			tl__tag_report_msg(&im->rep->parse, "line %lu: address too long", t->line);
			tl_buf_free(&v);
			return 0;
		}
	}
	uint64_t kh = key_hash(key, kl);
	struct ikv *e = kv_find(im, key, kl, kh);
	int replaced;
	if (e) {
		/* The same tag (address, label, category, source) again: the
		 * later row's values win, and the row is a duplicate. */
		im->rep->duplicates++;
		replaced = e->vl != v.len || memcmp(e->v, v.data, v.len);
		tl__tag_report_msg(&im->rep->parse, "line %lu: the same tag (address, label, category, source) as line %lu%s",
				   t->line, e->line, replaced ? "; this row's values replace it" : " (counted once)");
	} else {
		rc = tl_store_get_kv(im->s, TL_CF_TAG, key, kl, &old, &oldl, im->err);
		if (rc < 0) goto fail;
		e = kv_add(im, key, kl, kh);
		e->line = t->line;
		e->in_db = rc == 1;
		e->old = old; /* owned by e */
		e->oldl = oldl;
		old = NULL;
		/* A tag stored before with another value (e.g. another
		 * confidence): folding cannot take the old value out of the
		 * summary, so its cluster's is recomputed. */
		replaced = rc == 1 && (oldl != v.len || memcmp(e->old, v.data, oldl));
		if (key[0] == TL_TAG_PREFIX_ADDR) {
			if (pi >= 0) im->rep->seen++;
			else im->rep->unseen++;
		} else {
			im->rep->other_chain++;
		}
	}
	kv_set_value(e, v.data, v.len);
	if (pi >= 0 && replaced) im->p[pi].replaced = 1;
	tl_buf_free(&v);
	return 0;
fail:
	tl_buf_free(&v);
	im->failed = 1;
	return 1;
}

static int cmp_pend(const void *a, const void *b)
{
	const struct pend *x = a, *y = b;
	if (x->cluster_id != y->cluster_id) return x->cluster_id < y->cluster_id ? -1 : 1;
	return x->addr_id < y->addr_id ? -1 : x->addr_id > y->addr_id;
}

static void fold_rec(struct tl_cluster_summary *sum, const uint8_t *v, size_t vl, int *any)
{
	struct tl_tag_rec r;
	if (tl_tag_rec_decode(v, vl, &r) < 0) return;
	sum->cats |= r.cats;
	tl_cluster_summary_fold_label(sum, r.confidence, r.label);
	*any = 1;
	tl_tag_rec_free(&r);
}

/* The summary of cluster cid from its members' tags: those stored, with
 * this import's in their place. Returns 0 or -1. */
static int recompute_summary(struct imp *im, uint64_t cid, struct tl_cluster_summary *sum)
{
	struct tl_cluster_summary base;
	if (tl_cluster_summary(im->s, cid, &base, im->err) < 0) return -1;
	memset(sum, 0, sizeof *sum);
	sum->size = base.size;
	sum->confidence = -1;
	uint64_t *ids = NULL;
	int n = tl_cluster_members_all(im->s, cid, &ids, im->err);
	if (n < 0) return -1;
	for (int i = 0; i < n; i++) {
		uint8_t skey[TL_SCRIPT_KEY_MAX], pre[TL_TAG_ADDR_KEY_MAX];
		size_t sklen;
		int rc = tl_store_owner_key(im->s, ids[i], skey, &sklen, im->err);
		if (rc < 0) {
			free(ids);
			return -1;
		}
		if (rc == 0) continue;
		size_t pl = tl_tag_addr_key(skey, sklen, NULL, pre);
		int any = 0;
		struct tl_iter *it = tl_iter_new(im->s, TL_CF_TAG);
		for (tl_iter_seek(it, pre, pl); tl_iter_valid(it); tl_iter_next(it)) {
			size_t kl, vl;
			const uint8_t *k = tl_iter_key(it, &kl), *v = tl_iter_value(it, &vl);
			if (kl < pl || memcmp(k, pre, pl)) break;
			int mine = 0;
			for (size_t j = 0; j < im->nkv && !mine; j++)
				mine = im->kv[j].kl == kl && !memcmp(im->kv[j].k, k, kl);
			if (!mine) fold_rec(sum, v, vl, &any);
		}
		tl_iter_free(it);
		for (size_t j = 0; j < im->nkv; j++)
			if (im->kv[j].kl >= pl && !memcmp(im->kv[j].k, pre, pl))
				fold_rec(sum, im->kv[j].v, im->kv[j].vl, &any);
		sum->tagged += (uint64_t)any;
	}
	free(ids);
	return 0;
}

/* Folds the new tags into their clusters' summaries (recomputed where a
 * tag was replaced). */
static int fold_summaries(struct imp *im)
{
	if (!im->np) return 0;
	qsort(im->p, im->np, sizeof *im->p, cmp_pend);
	for (size_t i = 0; i < im->np;) {
		uint64_t cid = im->p[i].cluster_id;
		struct tl_cluster_summary sum;
		int full = 0;
		for (size_t j = i; j < im->np && im->p[j].cluster_id == cid; j++) full |= im->p[j].replaced;
		if (full) {
			if (recompute_summary(im, cid, &sum) < 0) return -1;
			while (i < im->np && im->p[i].cluster_id == cid) i++;
			goto put;
		}
		if (tl_cluster_summary(im->s, cid, &sum, im->err) < 0) return -1;
		for (; i < im->np && im->p[i].cluster_id == cid; i++) {
			struct pend *p = &im->p[i];
			sum.cats |= p->cats;
			tl_cluster_summary_fold_label(&sum, p->confidence, p->label);
			/* count an address once: first of its rows, and only if untagged before */
			int first = i == 0 || im->p[i - 1].addr_id != p->addr_id || im->p[i - 1].cluster_id != cid;
			if (first && !p->had_tags) sum.tagged++;
		}
put:;
		uint8_t k[9];
		tl_cluster_summary_key(cid, k);
		struct tl_buf v;
		tl_buf_init(&v);
		tl_cluster_summary_encode(&sum, &v);
		tl_batch_put_kv(im->b, TL_CF_CLUSTER, k, 9, v.data, v.len);
		tl_buf_free(&v);
	}
	return 0;
}

int tl_tags_import(struct tl_store *s, const char *path, enum tl_tag_format fmt, struct tl_tag_import_report *rep,
		   struct tl_err *err)
{
	return tl_tags_import_opts(s, path, fmt, NULL, rep, err);
}

/* Writes each tag of the file whose value is new, and counts what was
 * stored, updated and already there. */
static void put_changed(struct imp *im)
{
	for (size_t i = 0; i < im->nkv; i++) {
		struct ikv *e = &im->kv[i];
		if (e->in_db && e->oldl == e->vl && !memcmp(e->old, e->v, e->vl)) {
			im->rep->existing++;
			continue;
		}
		im->rep->stored++;
		if (e->in_db) im->rep->updated++;
		tl_batch_put_kv(im->b, TL_CF_TAG, e->k, e->kl, e->v, e->vl);
	}
}

int tl_tags_import_opts(struct tl_store *s, const char *path, enum tl_tag_format fmt, const struct tl_tag_opts *opts,
			struct tl_tag_import_report *rep, struct tl_err *err)
{
	struct tl_tag_import_report local;
	if (!rep) rep = &local;
	memset(rep, 0, sizeof *rep);
	struct imp im = { .s = s, .b = tl_batch_new(s), .net = tl_store_net(s), .rep = rep, .err = err };
	/* the parser clears rep->parse; our counters live beside it */
	int rc = tl_tags_parse_file_opts(path, fmt, opts, import_cb, &im, &rep->parse, err);
	if (rc == 0 && !im.failed) {
		put_changed(&im);
		rc = fold_summaries(&im);
	}
	if (im.failed) rc = -1;
	if (rc == 0) rc = tl_store_write(s, im.b, err);
	/* the screening walk stops at tagged services: new tags change the
	 * taint of heists already materialized */
	if (rc == 0 && rep->stored > 0 && rep->seen + rep->unseen > 0) rc = tl_screen_refresh(s, NULL, err);
	if (rc < 0) {
		if (strncmp(err->msg, path, strlen(path))) tl_err_prefix(err, "%s: ", path);
		/* nothing was written: say so in the counts too */
		rep->stored = rep->updated = rep->existing = 0;
	}
	tl_batch_free(im.b);
	free(im.p);
	for (size_t j = 0; j < im.nkv; j++) {
		free(im.kv[j].k);
		free(im.kv[j].v);
		free(im.kv[j].old);
	}
	free(im.kv);
	free(im.slot);
	return rc;
}

/* ---- lookups ---- */

static int visit_prefix(struct tl_store *s, const uint8_t *pre, size_t pl, tl_tag_rec_cb cb, void *ctx, int *stop,
			struct tl_err *err)
{
	struct tl_iter *it = tl_iter_new(s, TL_CF_TAG);
	int n = 0;
	for (tl_iter_seek(it, pre, pl); tl_iter_valid(it) && !*stop; tl_iter_next(it)) {
		size_t kl, vl;
		const uint8_t *k = tl_iter_key(it, &kl);
		if (kl < pl || memcmp(k, pre, pl)) break;
		const uint8_t *v = tl_iter_value(it, &vl);
		struct tl_tag_rec r;
		if (tl_tag_rec_decode(v, vl, &r) < 0) {
			tl_iter_free(it);
			return tl_err_set(err, "corrupt tag record");
		}
		n++;
		if (cb && cb(ctx, &r)) *stop = 1;
		tl_tag_rec_free(&r);
	}
	tl_iter_free(it);
	return n;
}

int tl_tags_of_address(struct tl_store *s, const char *chain, const char *address, tl_tag_rec_cb cb, void *ctx,
		       struct tl_err *err)
{
	const struct tl_netparams *net = tl_store_net(s), *np = NULL;
	int stop = 0;
	if (!chain || (tl_registry_chain_net(chain, &np) && np == net)) {
		uint8_t script[42], skey[TL_SCRIPT_KEY_MAX], pre[TL_TAG_ADDR_KEY_MAX];
		size_t slen;
		if (tl_address_to_script(address, net, script, &slen, err) < 0) return -1;
		size_t sklen = tl_script_key(script, slen, skey);
		size_t pl = tl_tag_addr_key(skey, sklen, NULL, pre);
		return visit_prefix(s, pre, pl, cb, ctx, &stop, err);
	}
	uint8_t key[600];
	size_t kl = tl_tag_other_key(chain, address, NULL, key, sizeof key);
	if (!kl) return tl_err_set(err, "address too long");
	return visit_prefix(s, key, kl, cb, ctx, &stop, err);
}

static int tags_of_id(struct tl_store *s, uint64_t addr_id, tl_tag_rec_cb cb, void *ctx, int *stop,
		      struct tl_err *err)
{
	uint8_t skey[TL_SCRIPT_KEY_MAX];
	size_t sklen;
	int rc = tl_store_owner_key(s, addr_id, skey, &sklen, err);
	if (rc <= 0) return rc < 0 ? -1 : 0;
	uint8_t pre[TL_TAG_ADDR_KEY_MAX];
	size_t pl = tl_tag_addr_key(skey, sklen, NULL, pre);
	return visit_prefix(s, pre, pl, cb, ctx, stop, err);
}

int tl_tags_of_addr_id(struct tl_store *s, uint64_t addr_id, tl_tag_rec_cb cb, void *ctx, struct tl_err *err)
{
	int stop = 0;
	return tags_of_id(s, addr_id, cb, ctx, &stop, err);
}

int tl_cluster_of(struct tl_store *s, uint64_t addr_id, uint64_t *cluster_id, struct tl_err *err)
{
	uint64_t cid, next, size;
	int rc = tl_cluster_addr_get(s, addr_id, &cid, &next, &size, err);
	if (rc < 0) return -1;
	*cluster_id = rc == 1 ? cid : addr_id; /* no record: a singleton */
	return 0;
}

int tl_cluster_summary(struct tl_store *s, uint64_t cluster_id, struct tl_cluster_summary *sum, struct tl_err *err)
{
	int rc = tl_cluster_summary_get(s, cluster_id, sum, err);
	if (rc != 0) return rc < 0 ? -1 : 1;
	/* no tags: the size is on the id's own "a" record (absent = a
	 * singleton, or an address that is not a cluster id) */
	memset(sum, 0, sizeof *sum);
	sum->size = 1;
	sum->confidence = -1;
	uint64_t cid, next, size;
	rc = tl_cluster_addr_get(s, cluster_id, &cid, &next, &size, err);
	if (rc <= 0) return rc < 0 ? -1 : 0;
	if (cid != cluster_id || size < 2) return 0;
	sum->size = size;
	return 1;
}

int tl_tags_of_cluster(struct tl_store *s, uint64_t cluster_id, tl_tag_rec_cb cb, void *ctx, struct tl_err *err)
{
	struct tl_cluster_summary sum;
	int rc = tl_cluster_summary(s, cluster_id, &sum, err);
	if (rc < 0) return -1;
	int stop = 0;
	if (sum.size <= 1) return tags_of_id(s, cluster_id, cb, ctx, &stop, err);
	if (rc == 1 && sum.tagged == 0 && sum.cats == 0) return 0; /* nothing to find */
	uint64_t *ids;
	int nm = tl_cluster_members_all(s, cluster_id, &ids, err);
	if (nm < 0) return -1;
	int total = 0;
	for (int i = 0; i < nm && !stop; i++) {
		int n = tags_of_id(s, ids[i], cb, ctx, &stop, err);
		if (n < 0) {
			free(ids);
			return -1;
		}
		total += n;
	}
	free(ids);
	return total;
}

int tl_entity_get(struct tl_store *s, uint64_t addr_id, struct tl_entity *out, struct tl_err *err)
{
	memset(out, 0, sizeof *out);
	uint64_t cid;
	if (tl_cluster_of(s, addr_id, &cid, err) < 0) return -1;
	struct tl_cluster_summary sum;
	if (tl_cluster_summary(s, cid, &sum, err) < 0) return -1;
	out->cats = sum.cats & TL_CAT_ALL;
	out->cluster_id = sum.size > 1 ? cid : 0;
	size_t n = strlen(sum.label);
	if (n >= TL_ENTITY_LABEL_MAX) n = TL_ENTITY_LABEL_MAX - 1;
	memcpy(out->label, sum.label, n);
	out->label[n] = 0;
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int tl_cluster_members_all(struct tl_store *s, uint64_t cluster_id, uint64_t **ids, struct tl_err *err)
{
	*ids = NULL;
	struct tl_cluster_summary sum;
	int rc = tl_cluster_summary(s, cluster_id, &sum, err);
	if (rc < 0) return -1;
	if (sum.size <= 1) {
		*ids = malloc(sizeof **ids);
		if (!*ids) abort();
		(*ids)[0] = cluster_id;
		return 1;
	}
	/* a size beyond the addresses indexed is corrupt (and would make a
	 * damaged, cyclic list a hang) */
	struct tl_tip tip;
	if (tl_store_tip(s, &tip, err) < 0) return -1;
	if (sum.size >= tip.next_addr_id || sum.size > INT_MAX)
		return tl_err_set(err, "corrupt size of cluster %llu", (unsigned long long)cluster_id);
	/* the list starts at the id's own record (store/tags.h); it is in
	 * merge order, so it is collected and sorted */
	uint64_t *all = malloc((size_t)sum.size * sizeof *all);
	if (!all) abort();
	uint64_t n = 0;
	for (uint64_t cur = cluster_id; cur;) {
		uint64_t cid, next, size;
		int rc2 = tl_cluster_addr_get(s, cur, &cid, &next, &size, err);
		if (rc2 == -1) {
			free(all);
			return -1;
		}
		if (rc2 != 1 || cid != cluster_id || n >= sum.size) {
			free(all);
			return tl_err_set(err, "corrupt member list of cluster %llu", (unsigned long long)cluster_id);
		}
		all[n++] = cur;
		cur = next;
	}
	qsort(all, (size_t)n, sizeof *all, cmp_id);
	*ids = all;
	return (int)n;
}

int tl_cluster_links(struct tl_store *s, uint64_t cluster_id, struct tl_cluster_link *out, int cap,
		     struct tl_err *err)
{
	uint64_t *ids;
	int nm = tl_cluster_members_all(s, cluster_id, &ids, err);
	if (nm < 0) return -1;
	int n = 0;
	for (int i = 0; i < nm && n < cap; i++) {
		struct tl_cluster_link *l = &out[n];
		int rc = tl_cluster_link_get(s, ids[i], &l->kind, &l->tx_num, &l->a, &l->b, err);
		if (rc < 0) {
			free(ids);
			return -1;
		}
		n += rc;
	}
	free(ids);
	return n;
}

int tl_tx_coinjoin(struct tl_store *s, uint64_t tx_num, struct tl_err *err)
{
	return tl_cluster_coinjoin_get(s, tx_num, err);
}

/* ---- heists ---- */

int tl_heists_import(struct tl_store *s, const char *path, struct tl_heist_import_report *rep, struct tl_err *err)
{
	struct tl_heist_import_report local;
	if (!rep) rep = &local;
	memset(rep, 0, sizeof *rep);
	struct tl_registry *reg = NULL;
	if (tl_registry_load(path, &reg, err) < 0) return -1;
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	json_t *arr = root ? json_object_get(root, "heists") : NULL;
	if (!arr || !json_is_array(arr) || json_array_size(arr) != reg->n) {
		json_decref(root);
		tl_registry_free(reg);
		return tl_err_set(err, "%s: cannot re-read the heists array", path);
	}
	struct tl_batch *b = tl_batch_new(s);
	uint32_t next;
	int rc = tl_heist_next_num(s, &next, err);
	const struct tl_netparams *net = tl_store_net(s);
	for (size_t i = 0; i < reg->n && rc == 0; i++) {
		const struct tl_heist *h = &reg->heists[i];
		const char *jid = json_string_value(json_object_get(json_array_get(arr, i), "id"));
		if (!jid || strcmp(jid, h->id)) {
			rc = tl_err_set(err, "%s: heist %zu: id mismatch on re-read", path, i);
			break;
		}
		uint32_t num = next;
		struct tl_heist_info old;
		int r2 = tl_heist_get(s, h->id, &old, err);
		if (r2 < 0) {
			tl_err_prefix(err, "heist '%s': ", h->id);
			rc = -1;
			break;
		}
		if (r2 == 1) free(old.json);
		/* an id twice in one file keeps the first number */
		for (size_t j = 0; j < i && r2 == 0; j++)
			if (!strcmp(reg->heists[j].id, h->id)) r2 = 2;
		if (r2 == 1) {
			num = old.num;
			rep->updated++;
		} else if (r2 == 0) {
			next++;
			rep->added++;
		}
		if (r2 == 2) continue;
		int traceable = h->traceable && h->net == net;
		if (traceable) rep->traceable++;
		else rep->not_traceable++;
		char *js = json_dumps(json_array_get(arr, i), JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (!js) abort();
		tl_batch_put_heist(b, h->id, num, traceable, js);
		free(js);
	}
	if (rc == 0) {
		tl_batch_put_heist_next(b, next);
		rc = tl_store_write(s, b, err);
	}
	tl_batch_free(b);
	json_decref(root);
	tl_registry_free(reg);
	return rc;
}

int tl_heist_parse(const struct tl_heist_info *info, struct tl_registry **out, struct tl_err *err)
{
	size_t n = strlen(info->json);
	char *doc = malloc(n + 16);
	if (!doc) abort();
	memcpy(doc, "{\"heists\":[", 11);
	memcpy(doc + 11, info->json, n);
	memcpy(doc + 11 + n, "]}", 3);
	int rc = tl_registry_parse(doc, n + 13, info->id, out, err);
	free(doc);
	return rc;
}
