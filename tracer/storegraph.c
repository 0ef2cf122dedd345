/* tl_graph adapter over the store; see storegraph.h. */
#include "tracer/storegraph.h"
#include "tracer/category.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bitcoin/address.h"
#include "bitcoin/script.h"
#include "store/coinjoin.h"
#include "tracer/entities.h"
#include "tracer/tag_clearance.h"
#include "intel/tags.h"

struct ent_slot {
	uint64_t addr_id; /* 0 = empty */
	struct tl_entity ent;
};

struct emap {
	struct ent_slot *ents;
	size_t ent_cap, ent_n;
};

/* cached answers kept at most; the cache is dropped when full */
#define ENT_CACHE_MAX (1u << 20)

struct tl_storegraph {
	struct tl_store *s;
	const struct tl_netparams *net;
	/* get_tx buffers */
	struct tl_gin *gin;
	struct tl_gout *gout;
	uint32_t cap_in, cap_out;
	/* block times by height (0 = not loaded) */
	int64_t *btime;
	size_t n_btime;
	/* entity overlay, and a cache of merged answers: open addressing */
	struct emap overlay, cache;
	/* whose view of the stored tags (tracer/tag_clearance.h) */
	struct tl_clearance clr;
	int restricted;
	/* under a restricted view: entities by cluster id, since a cluster's
	 * summary is recomputed from every member's tags (an exchange's
	 * thousands of deposit addresses would each repeat it) */
	struct emap clusters;
};

int tl_storegraph_new(struct tl_store *s, struct tl_storegraph **out, struct tl_err *err)
{
	if (!s || !out) return tl_err_set(err, "storegraph: no store");
	struct tl_storegraph *sg = calloc(1, sizeof *sg);
	if (!sg) return tl_err_set(err, "out of memory");
	sg->s = s;
	sg->net = tl_store_net(s);
	*out = sg;
	return 0;
}

void tl_storegraph_free(struct tl_storegraph *sg)
{
	if (!sg) return;
	free(sg->gin);
	free(sg->gout);
	free(sg->btime);
	free(sg->clusters.ents);
	free(sg->overlay.ents);
	free(sg->cache.ents);
	free(sg);
}

struct tl_store *tl_storegraph_store(struct tl_storegraph *sg) { return sg->s; }

int tl_storegraph_block_time(struct tl_storegraph *sg, int32_t height, int64_t *time, struct tl_err *err)
{
	if (height < 0) return 0;
	if ((size_t)height >= sg->n_btime) {
		size_t n = sg->n_btime ? sg->n_btime : 1024;
		while (n <= (size_t)height) n *= 2;
		int64_t *p = realloc(sg->btime, n * sizeof *p);
		if (!p) return tl_err_set(err, "out of memory");
		memset(p + sg->n_btime, 0, (n - sg->n_btime) * sizeof *p);
		sg->btime = p;
		sg->n_btime = n;
	}
	if (!sg->btime[height]) {
		struct tl_block_rec b;
		int r = tl_store_block_by_height(sg->s, height, &b, err);
		if (r <= 0) return r;
		/* time 0 never occurs on a real chain; store time+1 to keep 0 = unknown */
		sg->btime[height] = (int64_t)b.time + 1;
	}
	*time = sg->btime[height] - 1;
	return 1;
}


static int sg_get_tx(void *ctx, uint64_t tx_num, struct tl_gtx *out, struct tl_err *err)
{
	struct tl_storegraph *sg = ctx;
	struct tl_tx_rec r;
	int rc = tl_store_tx(sg->s, tx_num, &r, err);
	if (rc <= 0) return rc < 0 ? -1 : 1;
	int ret = 0;
	if (r.n_in > sg->cap_in) {
		struct tl_gin *p = realloc(sg->gin, (size_t)r.n_in * sizeof *p);
		if (!p) { ret = tl_err_set(err, "out of memory"); goto done; }
		sg->gin = p;
		sg->cap_in = r.n_in;
	}
	if (r.n_out > sg->cap_out) {
		struct tl_gout *p = realloc(sg->gout, (size_t)r.n_out * sizeof *p);
		if (!p) { ret = tl_err_set(err, "out of memory"); goto done; }
		sg->gout = p;
		sg->cap_out = r.n_out;
	}
	uint64_t vin = 0, vout = 0;
	int unknown = -1;
	for (uint32_t i = 0; i < r.n_in; i++) {
		struct tl_gin *g = &sg->gin[i];
		if (r.in[i].kind == TL_IN_KNOWN) {
			g->prev_tx = r.in[i].prev_tx_num;
			g->vout = r.in[i].prev_vout;
			g->value = r.in[i].value;
			vin += g->value;
		} else {
			g->prev_tx = TL_GRAPH_NO_PREV;
			g->vout = 0;
			g->value = 0;
			if (r.in[i].kind == TL_IN_UNKNOWN && unknown < 0) unknown = (int)i;
		}
	}
	for (uint32_t j = 0; j < r.n_out; j++) {
		sg->gout[j].value = r.out[j].value;
		sg->gout[j].addr_id = r.out[j].addr_id;
		sg->gout[j].script_type = r.out[j].script_type;
		vout += r.out[j].value;
	}
	if (unknown >= 0 && vout > vin) sg->gin[unknown].value = vout - vin;
	out->tx_num = tx_num;
	out->height = r.height < 0 ? 0 : (uint32_t)r.height;
	out->time = 0;
	int64_t t;
	int tr = tl_storegraph_block_time(sg, r.height, &t, err);
	if (tr < 0) { ret = -1; goto done; }
	if (tr == 1) out->time = t;
	out->coinbase = (r.flags & TL_TX_COINBASE) ? 1 : 0;
	out->coinjoin = out->coinbase ? 0 : tl_coinjoin_detect(&r) != TL_CJ_NONE;
	out->n_in = r.n_in;
	out->n_out = r.n_out;
	out->in = sg->gin;
	out->out = sg->gout;
done:
	tl_tx_rec_free(&r);
	return ret;
}

static int sg_get_spender(void *ctx, uint64_t tx_num, uint32_t vout, uint64_t *spender, struct tl_err *err)
{
	struct tl_storegraph *sg = ctx;
	uint32_t vin;
	int rc = tl_store_spender(sg->s, tx_num, vout, spender, &vin, err);
	if (rc < 0) return -1;
	if (rc == 0) *spender = TL_GRAPH_UNSPENT;
	return 0;
}

static struct ent_slot *ent_find(struct emap *sg, uint64_t addr_id)
{
	if (!sg->ent_cap) return NULL;
	size_t mask = sg->ent_cap - 1;
	size_t i = (size_t)(addr_id * 0x9E3779B97F4A7C15ull >> 17) & mask;
	for (;;) {
		if (sg->ents[i].addr_id == addr_id) return &sg->ents[i];
		if (!sg->ents[i].addr_id) return NULL;
		i = (i + 1) & mask;
	}
}

static struct ent_slot *ent_insert(struct emap *sg, uint64_t addr_id)
{
	if ((sg->ent_n + 1) * 2 > sg->ent_cap) {
		size_t ncap = sg->ent_cap ? sg->ent_cap * 2 : 256;
		struct ent_slot *old = sg->ents;
		size_t ocap = sg->ent_cap;
		sg->ents = calloc(ncap, sizeof *sg->ents);
		if (!sg->ents) { sg->ents = old; return NULL; }
		sg->ent_cap = ncap;
		sg->ent_n = 0;
		for (size_t i = 0; i < ocap; i++)
			if (old[i].addr_id) {
				struct ent_slot *n = ent_insert(sg, old[i].addr_id);
				n->ent = old[i].ent;
			}
		free(old);
	}
	size_t mask = sg->ent_cap - 1;
	size_t i = (size_t)(addr_id * 0x9E3779B97F4A7C15ull >> 17) & mask;
	while (sg->ents[i].addr_id && sg->ents[i].addr_id != addr_id) i = (i + 1) & mask;
	if (!sg->ents[i].addr_id) {
		sg->ents[i].addr_id = addr_id;
		memset(&sg->ents[i].ent, 0, sizeof sg->ents[i].ent);
		sg->ent_n++;
	}
	return &sg->ents[i];
}

int tl_storegraph_set_entity(struct tl_storegraph *sg, uint64_t addr_id, uint32_t cats, uint64_t cluster_id,
                             const char *label, struct tl_err *err)
{
	if (!addr_id) return tl_err_set(err, "entity for addr_id 0");
	/* the cache may hold the old answer */
	free(sg->cache.ents);
	memset(&sg->cache, 0, sizeof sg->cache);
	struct ent_slot *e = ent_insert(&sg->overlay, addr_id);
	if (!e) return tl_err_set(err, "out of memory");
	e->ent.cats |= cats;
	if (cluster_id) e->ent.cluster_id = cluster_id;
	if (label && !e->ent.label[0]) {
		strncpy(e->ent.label, label, TL_ENTITY_LABEL_MAX - 1);
		e->ent.label[TL_ENTITY_LABEL_MAX - 1] = 0;
	}
	return 0;
}

int tl_storegraph_entity(struct tl_storegraph *sg, uint64_t addr_id, struct tl_entity *out, struct tl_err *err)
{
	struct ent_slot *c = ent_find(&sg->cache, addr_id);
	if (c) {
		*out = c->ent;
		return 0;
	}
	if (!sg->restricted) {
		if (tl_entity_get(sg->s, addr_id, out, err)) return -1;
	} else {
		uint64_t cid;
		if (tl_cluster_of(sg->s, addr_id, &cid, err)) return -1;
		struct ent_slot *k = ent_find(&sg->clusters, cid);
		if (k) {
			*out = k->ent;
		} else {
			if (tl_entity_get_seen(sg->s, &sg->clr, addr_id, out, err)) return -1;
			if (sg->clusters.ent_n >= ENT_CACHE_MAX) {
				free(sg->clusters.ents);
				memset(&sg->clusters, 0, sizeof sg->clusters);
			}
			k = ent_insert(&sg->clusters, cid);
			if (k) k->ent = *out;
		}
	}
	struct ent_slot *e = ent_find(&sg->overlay, addr_id);
	if (e) {
		out->cats |= e->ent.cats;
		if (e->ent.cluster_id && !out->cluster_id) out->cluster_id = e->ent.cluster_id;
		if (!out->label[0]) memcpy(out->label, e->ent.label, sizeof out->label);
	}
	if (sg->cache.ent_n >= ENT_CACHE_MAX) {
		free(sg->cache.ents);
		memset(&sg->cache, 0, sizeof sg->cache);
	}
	c = ent_insert(&sg->cache, addr_id);
	if (c) c->ent = *out;
	return 0;
}

void tl_storegraph_set_clearance(struct tl_storegraph *sg, const struct tl_clearance *c)
{
	int restricted = tl_clearance_restricted(c);
	if (restricted == sg->restricted && (!restricted || !memcmp(&sg->clr, c, sizeof *c))) return;
	/* cached answers were computed for another view */
	free(sg->cache.ents);
	memset(&sg->cache, 0, sizeof sg->cache);
	free(sg->clusters.ents);
	memset(&sg->clusters, 0, sizeof sg->clusters);
	sg->restricted = restricted;
	if (restricted) sg->clr = *c;
	else memset(&sg->clr, 0, sizeof sg->clr);
}

const struct tl_clearance *tl_storegraph_clearance(const struct tl_storegraph *sg)
{
	return sg->restricted ? &sg->clr : NULL;
}

static int sg_get_entity(void *ctx, uint64_t addr_id, struct tl_entity *out, struct tl_err *err)
{
	return tl_storegraph_entity(ctx, addr_id, out, err);
}

void tl_storegraph_graph(struct tl_storegraph *sg, struct tl_graph *g)
{
	g->ctx = sg;
	g->get_tx = sg_get_tx;
	g->get_spender = sg_get_spender;
	g->get_entity = sg_get_entity;
}

uint32_t tl_storegraph_cat_flags(const char *c)
{
	return tl_category_walkbit(c);
}

struct load_ctx {
	struct tl_storegraph *sg;
	uint64_t added;
	struct tl_err *err;
	int failed;
};

static int load_cb(void *vctx, const struct tl_tag *t)
{
	struct load_ctx *c = vctx;
	if (strcmp(t->chain, c->sg->net->tag_chain)) return 0;
	uint64_t id;
	struct tl_err e;
	int r = tl_store_addr_id_of_string(c->sg->s, t->address, &id, &e);
	if (r != 1) return 0; /* never seen, or not an address of this network */
	if (tl_storegraph_set_entity(c->sg, id, tl_storegraph_cat_flags(t->category), 0, t->label, c->err)) {
		c->failed = 1;
		return 1;
	}
	c->added++;
	return 0;
}

int tl_storegraph_load_tags(struct tl_storegraph *sg, const char *path, uint64_t *n_added, struct tl_err *err)
{
	struct load_ctx c = { sg, 0, err, 0 };
	struct tl_tag_report rep;
	if (tl_tags_parse_file(path, TL_TAGFMT_AUTO, load_cb, &c, &rep, err)) {
		if (!c.failed) tl_err_prefix(err, "%s: ", path);
		return -1;
	}
	if (n_added) *n_added = c.added;
	return 0;
}

int tl_storegraph_output_address(struct tl_storegraph *sg, uint64_t tx_num, uint32_t vout,
                                 char out[TL_ADDRESS_MAX], struct tl_err *err)
{
	out[0] = 0;
	struct tl_tx_rec r;
	int rc = tl_store_tx(sg->s, tx_num, &r, err);
	if (rc <= 0) return rc;
	rc = tl_store_output_address(sg->s, &r, vout, out, err);
	tl_tx_rec_free(&r);
	return rc;
}

int tl_storegraph_txid(struct tl_storegraph *sg, uint64_t tx_num, uint8_t txid[32], struct tl_err *err)
{
	struct tl_tx_rec r;
	int rc = tl_store_tx(sg->s, tx_num, &r, err);
	if (rc <= 0) return rc;
	memcpy(txid, r.txid, 32);
	tl_tx_rec_free(&r);
	return 1;
}
