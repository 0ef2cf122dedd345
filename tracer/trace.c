/* Seeds, trace runs and the result object; see trace.h. */
#include "tracer/trace.h"
#include "tracer/category.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bitcoin/address.h"
#include "bitcoin/hash.h"
#include "bitcoin/script.h"
#include "tracer/entities.h"
#include "tracer/tag_clearance.h"

#ifndef TL_VERSION
#define TL_VERSION "unknown"
#endif

const char *tl_trace_software(void) { return "taintline " TL_VERSION; }

static json_t *str_or_null(const char *v) { return v ? json_string(v) : json_null(); }

/* What a heist's parsed definition says, for the provenance block (used
 * when the database holds no stored definition, e.g. a registry file). */
static json_t *heist_prov_from_struct(const struct tl_heist *h)
{
	json_t *src = json_array();
	for (size_t i = 0; i < h->nsources; i++) json_array_append_new(src, json_string(h->sources[i]));
	json_t *am = json_array();
	for (size_t i = 0; i < h->namounts; i++)
		json_array_append_new(am, json_pack("{s:o,s:o,s:o}", "asset", str_or_null(h->amounts[i].asset),
		                                    "amount", str_or_null(h->amounts[i].amount), "source",
		                                    str_or_null(h->amounts[i].source)));
	return json_pack("{s:s,s:o,s:o,s:o,s:o,s:{s:o,s:o,s:o},s:o,s:o,s:s,s:n}", "id", h->id, "name",
	                 str_or_null(h->name), "date", str_or_null(h->date), "chain", str_or_null(h->chain),
	                 "actor", str_or_null(h->actor), "attribution", "authority",
	                 str_or_null(h->attribution.authority), "document", str_or_null(h->attribution.document),
	                 "url", str_or_null(h->attribution.url), "sources", src, "amounts", am, "definition",
	                 "registry file", "definition_sha256");
}

void tl_trace_seeds_init(struct tl_trace_seeds *s)
{
	memset(s, 0, sizeof *s);
	s->desc = json_array();
}

void tl_trace_seeds_free(struct tl_trace_seeds *s)
{
	if (!s) return;
	free(s->v);
	json_decref(s->desc);
	json_decref(s->heists);
	memset(s, 0, sizeof *s);
}

static int seeds_push(struct tl_trace_seeds *s, uint64_t tx_num, uint32_t vout, uint64_t amount, struct tl_err *err)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 16;
		struct tl_seed *p = realloc(s->v, nc * sizeof *p);
		if (!p) return tl_err_set(err, "out of memory");
		s->v = p;
		s->cap = nc;
	}
	s->v[s->n].tx_num = tx_num;
	s->v[s->n].vout = vout;
	s->v[s->n].amount = amount;
	s->n++;
	return 0;
}

static void desc_add(struct tl_trace_seeds *s, json_t *d)
{
	if (!s->desc) s->desc = json_array();
	json_array_append_new(s->desc, d);
}

int tl_trace_parse_outpoint(const char *spec, uint8_t txid[32], uint32_t *vout, struct tl_err *err)
{
	if (!spec) return tl_err_setc(err, TL_E_BAD_INPUT, "bad outpoint: empty");
	const char *colon = strchr(spec, ':');
	size_t hl = colon ? (size_t)(colon - spec) : strlen(spec);
	if (hl != 64) return tl_err_setc(err, TL_E_BAD_INPUT, "bad outpoint '%.80s': the txid must be 64 hex digits", spec);
	char hex[65];
	memcpy(hex, spec, 64);
	hex[64] = 0;
	for (int i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)hex[i]))
			return tl_err_setc(err, TL_E_BAD_INPUT, "bad outpoint '%.80s': the txid must be 64 hex digits", spec);
	if (tl_hash_from_hex(hex, txid)) return tl_err_setc(err, TL_E_BAD_INPUT, "bad outpoint '%.80s': bad txid", spec);
	*vout = TL_SEED_WHOLE_TX;
	if (colon) {
		const char *v = colon + 1;
		if (!*v || strlen(v) > 10) return tl_err_setc(err, TL_E_BAD_INPUT, "bad outpoint '%.80s': vout must be a number", spec);
		uint64_t x = 0;
		for (const char *p = v; *p; p++) {
			if (!isdigit((unsigned char)*p))
				return tl_err_setc(err, TL_E_BAD_INPUT, "bad outpoint '%.80s': vout must be a number", spec);
			x = x * 10 + (uint64_t)(*p - '0');
		}
		if (x >= UINT32_MAX) return tl_err_setc(err, TL_E_BAD_INPUT, "bad outpoint '%.80s': vout out of range", spec);
		*vout = (uint32_t)x;
	}
	return 0;
}

int tl_trace_parse_date(const char *s, int end_of_day, int64_t *t, struct tl_err *err)
{
	int y, m, d;
	char tail;
	/* Digits exactly where the format has them: sscanf's %d alone would
	 * take "+3" or " 3" as a day. */
	int digits = s && strlen(s) == 10;
	for (int i = 0; digits && i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) digits = 0;
	if (!digits || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || s[4] != '-' ||
	    s[7] != '-' || m < 1 || m > 12 || d < 1 || d > 31 || y < 2009)
		return tl_err_set(err, "bad date '%.40s' (expected YYYY-MM-DD, 2009 or later)", s ? s : "");
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > mdays[m - 1] + (m == 2 && leap)) return tl_err_set(err, "bad date '%s': no such day", s);
	/* days from civil (Howard Hinnant's algorithm, public domain math) */
	int yy = y - (m <= 2);
	int era = yy / 400;
	int yoe = yy - era * 400;
	int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = (int64_t)era * 146097 + doe - 719468;
	*t = days * 86400 + (end_of_day ? 86399 : 0);
	return 0;
}

int tl_trace_height_at(struct tl_store *s, int64_t t, uint32_t *height, struct tl_err *err)
{
	struct tl_tip tip;
	if (tl_store_tip(s, &tip, err)) return -1;
	if (tip.height < 0) return 0;
	int32_t lo = 0, hi = tip.height, ans = -1;
	while (lo <= hi) {
		int32_t mid = lo + (hi - lo) / 2;
		struct tl_block_rec b;
		int r = tl_store_block_by_height(s, mid, &b, err);
		if (r < 0) return -1;
		if (r == 0) return tl_err_set(err, "block %d missing from the index", mid);
		if ((int64_t)b.time <= t) {
			ans = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	if (ans < 0) return 0;
	*height = (uint32_t)ans;
	return 1;
}

static void txid_hex(const uint8_t txid[32], char out[65]) { tl_hash_to_hex(txid, out); }

/* Adds a txid (+vout or whole tx) seed; spec_desc is stolen. */
static int add_txid(struct tl_storegraph *sg, const uint8_t txid[32], uint32_t vout, struct tl_trace_seeds *s,
                    json_t *d, struct tl_err *err)
{
	struct tl_tx_rec r;
	char hex[65];
	txid_hex(txid, hex);
	int rc = tl_store_tx_by_txid(tl_storegraph_store(sg), txid, &r, err);
	if (rc < 0) { json_decref(d); return -1; }
	if (rc == 0) {
		json_decref(d);
		return tl_err_setc(err, TL_E_NOT_FOUND, "unknown transaction %s (not in the index)", hex);
	}
	uint32_t n_out = r.n_out;
	uint64_t tx_num = r.tx_num;
	tl_tx_rec_free(&r);
	if (vout != TL_SEED_WHOLE_TX && vout >= n_out) {
		json_decref(d);
		return tl_err_setc(err, TL_E_NOT_FOUND, "transaction %s has %u outputs: no output %u", hex, n_out, vout);
	}
	if (seeds_push(s, tx_num, vout, TL_SEED_FULL, err)) { json_decref(d); return -1; }
	desc_add(s, d);
	return 0;
}

int tl_trace_seeds_add_outpoint(struct tl_storegraph *sg, const char *spec, struct tl_trace_seeds *s,
                                struct tl_err *err)
{
	uint8_t txid[32];
	uint32_t vout;
	if (tl_trace_parse_outpoint(spec, txid, &vout, err)) return -1;
	char hex[65];
	txid_hex(txid, hex);
	json_t *d = vout == TL_SEED_WHOLE_TX ? json_pack("{s:s,s:s}", "kind", "tx", "txid", hex)
	                                     : json_pack("{s:s,s:s,s:I}", "kind", "output", "txid", hex, "vout",
	                                                 (json_int_t)vout);
	return add_txid(sg, txid, vout, s, d, err);
}

static void time_str(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int tl_trace_seeds_add_address(struct tl_storegraph *sg, const char *address, int64_t from, int64_t to,
                               struct tl_trace_seeds *s, struct tl_err *err)
{
	struct tl_store *st = tl_storegraph_store(sg);
	uint8_t script[42];
	size_t slen;
	if (tl_address_to_script(address, tl_store_net(st), script, &slen, err)) {
		tl_err_prefix(err, "seed address '%.100s': ", address);
		return -1;
	}
	uint64_t addr_id;
	int r = tl_store_addr_id_of_string(st, address, &addr_id, err);
	if (r < 0) return -1;
	if (r == 0) return tl_err_setc(err, TL_E_NOT_FOUND, "seed address %s never appears in the index", address);
	struct tl_hist_row rows[256];
	uint64_t before = UINT64_MAX;
	size_t found = 0;
	for (;;) {
		int n = tl_store_hist_page(st, addr_id, before, rows, 256, err);
		if (n < 0) return -1;
		for (int i = 0; i < n; i++) {
			if (!rows[i].n_received) continue;
			struct tl_tx_rec tx;
			int rc = tl_store_tx(st, rows[i].tx_num, &tx, err);
			if (rc < 0) return -1;
			if (rc == 0) return tl_err_set(err, "history names missing tx_num %llu",
			                               (unsigned long long)rows[i].tx_num);
			int64_t t = 0;
			int tr = tl_storegraph_block_time(sg, tx.height, &t, err);
			if (tr < 0) { tl_tx_rec_free(&tx); return -1; }
			if (t >= from && t <= to)
				for (uint32_t j = 0; j < tx.n_out; j++)
					if (tx.out[j].addr_id == addr_id) {
						if (seeds_push(s, tx.tx_num, j, TL_SEED_FULL, err)) {
							tl_tx_rec_free(&tx);
							return -1;
						}
						found++;
					}
			tl_tx_rec_free(&tx);
		}
		if (n < 256) break;
		before = rows[n - 1].tx_num;
	}
	if (!found) return tl_err_setc(err, TL_E_NOT_FOUND, "seed address %s received nothing in the window", address);
	json_t *d = json_pack("{s:s,s:s,s:I}", "kind", "address", "address", address, "outputs", (json_int_t)found);
	char buf[32];
	if (from != INT64_MIN) { time_str(from, buf); json_object_set_new(d, "from", json_string(buf)); }
	if (to != INT64_MAX) { time_str(to, buf); json_object_set_new(d, "to", json_string(buf)); }
	desc_add(s, d);
	return 0;
}

int tl_trace_seeds_add_heist(struct tl_storegraph *sg, const struct tl_heist *h, struct tl_trace_seeds *s,
                             struct tl_err *err)
{
	const struct tl_netparams *net = tl_store_net(tl_storegraph_store(sg));
	if (!h->net || h->net->net != net->net)
		return tl_err_set(err, "heist '%s' is on chain '%s'; the database indexes %s", h->id, h->chain,
		                  net->tag_chain);
	if (!h->nseeds) return tl_err_set(err, "heist '%s' has no seeds", h->id);
	for (size_t i = 0; i < h->nseeds; i++) {
		const struct tl_heist_seed *sd = &h->seeds[i];
		int rc;
		if (sd->kind == TL_SEED_ADDRESS) {
			int64_t from = INT64_MIN, to = INT64_MAX;
			if (sd->from[0] && tl_trace_parse_date(sd->from, 0, &from, err)) rc = -1;
			else if (sd->until[0] && tl_trace_parse_date(sd->until, 1, &to, err)) rc = -1;
			else rc = tl_trace_seeds_add_address(sg, sd->address, from, to, s, err);
		} else {
			uint32_t vout = sd->kind == TL_SEED_OUTPUT ? sd->vout : TL_SEED_WHOLE_TX;
			char hex[65];
			txid_hex(sd->txid, hex);
			json_t *d = vout == TL_SEED_WHOLE_TX
			                    ? json_pack("{s:s,s:s}", "kind", "tx", "txid", hex)
			                    : json_pack("{s:s,s:s,s:I}", "kind", "output", "txid", hex, "vout",
			                                (json_int_t)vout);
			rc = add_txid(sg, sd->txid, vout, s, d, err);
		}
		if (rc) {
			tl_err_prefix(err, "heist '%s' seed %zu: ", h->id, i);
			return -1;
		}
	}
	json_t *last = json_array_get(s->desc, json_array_size(s->desc) - 1);
	(void)last;
	/* tag every description that came from this heist */
	size_t k;
	json_t *d;
	json_array_foreach(s->desc, k, d)
		if (!json_object_get(d, "heist")) json_object_set_new(d, "heist", json_string(h->id));
	if (!s->heists) s->heists = json_object();
	json_object_set_new(s->heists, h->id, heist_prov_from_struct(h));
	return 0;
}

const char *tl_trace_cat_name(uint32_t c)
{
	return tl_category_walk_name(c);
}

/* ---- result object ---- */

/* A small tx_num -> txid cache (open addressing). */
struct txc {
	uint64_t *k;
	uint8_t (*v)[32];
	size_t cap, n;
};

static int txc_get(struct txc *c, struct tl_storegraph *sg, uint64_t tx_num, char hex[65], struct tl_err *err)
{
	if ((c->n + 1) * 2 > c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 1024;
		uint64_t *nk = malloc(nc * sizeof *nk);
		uint8_t(*nv)[32] = malloc(nc * sizeof *nv);
		if (!nk || !nv) { free(nk); free(nv); return tl_err_set(err, "out of memory"); }
		memset(nk, 0xff, nc * sizeof *nk);
		for (size_t i = 0; i < c->cap; i++)
			if (c->k[i] != UINT64_MAX) {
				size_t j = (size_t)(c->k[i] * 0x9E3779B97F4A7C15ull >> 20) & (nc - 1);
				while (nk[j] != UINT64_MAX) j = (j + 1) & (nc - 1);
				nk[j] = c->k[i];
				memcpy(nv[j], c->v[i], 32);
			}
		free(c->k);
		free(c->v);
		c->k = nk;
		c->v = nv;
		c->cap = nc;
	}
	size_t j = (size_t)(tx_num * 0x9E3779B97F4A7C15ull >> 20) & (c->cap - 1);
	while (c->k[j] != UINT64_MAX && c->k[j] != tx_num) j = (j + 1) & (c->cap - 1);
	if (c->k[j] != tx_num) {
		int r = tl_storegraph_txid(sg, tx_num, c->v[j], err);
		if (r < 0) return -1;
		if (r == 0) return tl_err_set(err, "tx_num %llu missing from the index", (unsigned long long)tx_num);
		c->k[j] = tx_num;
		c->n++;
	}
	tl_hash_to_hex(c->v[j], hex);
	return 0;
}

struct build {
	struct tl_storegraph *sg;
	struct txc txc;
	struct tl_err *err;
	int failed;
};

static json_t *j_outpoint(struct build *b, uint64_t tx_num, uint32_t vout)
{
	char hex[65], buf[80];
	if (txc_get(&b->txc, b->sg, tx_num, hex, b->err)) { b->failed = 1; return json_string(""); }
	snprintf(buf, sizeof buf, "%s:%u", hex, vout);
	return json_string(buf);
}

static json_t *j_txid(struct build *b, uint64_t tx_num)
{
	char hex[65];
	if (txc_get(&b->txc, b->sg, tx_num, hex, b->err)) { b->failed = 1; return json_string(""); }
	return json_string(hex);
}

/* The address paid by output (tx_num, vout). */
static json_t *j_address(struct build *b, uint64_t tx_num, uint32_t vout)
{
	char a[TL_ADDRESS_MAX];
	int r = tl_storegraph_output_address(b->sg, tx_num, vout, a, b->err);
	if (r < 0) b->failed = 1;
	return r == 1 ? json_string(a) : json_null();
}

static json_t *j_time(int64_t t)
{
	char buf[32];
	time_str(t, buf);
	return json_string(buf);
}

static json_t *stop_cats_json(uint32_t c)
{
	json_t *a = json_array();
	for (size_t i = 0; i < tl_categories_n; i++)
		if (c & tl_categories[i].walkbit) json_array_append_new(a, json_string(tl_categories[i].name));
	return a;
}

static const char *fate_name(enum tl_fate f)
{
	switch (f) {
	case TL_FATE_FOLLOWED: return "followed";
	case TL_FATE_ENDPOINT: return "endpoint";
	case TL_FATE_HOLDING: return "holding";
	default: return "cut";
	}
}

/* ---- provenance ---- */

/* The provenance of one heist: its stored definition when the database
 * has it (attribution, sources, amounts exactly as stored, and the
 * sha256 of the stored text), else what the caller's definition said. */
static json_t *heist_prov(struct tl_store *st, const char *id, json_t *fallback, struct tl_err *err, int *failed)
{
	struct tl_heist_info hi;
	memset(&hi, 0, sizeof hi);
	int r = tl_heist_get(st, id, &hi, err);
	if (r < 0) {
		*failed = 1;
		return json_null();
	}
	json_t *def = r == 1 && hi.json ? json_loads(hi.json, 0, NULL) : NULL;
	if (!def || !json_is_object(def)) {
		json_decref(def);
		free(hi.json);
		return fallback ? json_deep_copy(fallback) : json_pack("{s:s,s:s}", "id", id, "definition", "unknown");
	}
	uint8_t h[32];
	char hex[65];
	tl_sha256(hi.json, strlen(hi.json), h);
	tl_hex_encode(h, 32, hex);
	free(hi.json);
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(id));
	static const char *const keys[] = { "name", "date", "chain", "actor", "attribution", "sources", "amounts" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		json_t *v = json_object_get(def, keys[i]);
		json_object_set_new(o, keys[i], v ? json_deep_copy(v) : json_null());
	}
	/* attribution always carries the three fields */
	json_t *a = json_object_get(o, "attribution");
	if (json_is_object(a))
		for (int i = 0; i < 3; i++) {
			const char *f = i == 0 ? "authority" : i == 1 ? "document" : "url";
			if (!json_object_get(a, f)) json_object_set_new(a, f, json_null());
		}
	json_object_set_new(o, "definition", json_string("database"));
	json_object_set_new(o, "definition_sha256", json_string(hex));
	json_decref(def);
	return o;
}

/* The stored tag behind an endpoint's label: found on the address itself
 * or on a member of its cluster; the first tag whose label is the
 * endpoint's label, else the first with a category among want. */
struct tag_pick {
	struct tl_store *st;
	const struct tl_clearance *clr; /* NULL: every tag */
	struct tl_err *err;
	int failed;
	const char *label;
	uint32_t want;
	int found, exact;
	char *source, *address, *label_out, *category;
	int confidence;
};
static void pick_set(struct tag_pick *p, const struct tl_tag_rec *t, int exact)
{
	free(p->source);
	free(p->address);
	free(p->label_out);
	free(p->category);
	p->source = strdup(t->source ? t->source : "");
	p->address = strdup(t->address ? t->address : "");
	p->label_out = strdup(t->label ? t->label : "");
	p->category = strdup(t->category ? t->category : "");
	p->confidence = t->confidence;
	p->found = 1;
	p->exact = exact;
}
static int pick_cb(void *ctx, const struct tl_tag_rec *t)
{
	struct tag_pick *p = ctx;
	/* a tag above the caller's clearance is not there */
	int v = tl_tag_visible(p->st, p->clr, t, p->err);
	if (v < 0) {
		p->failed = 1;
		return 1;
	}
	if (!v) return 0;
	if (p->label[0] && t->label && !strcmp(t->label, p->label)) {
		pick_set(p, t, 1);
		return 1; /* stop */
	}
	if (!p->found && (t->cats & p->want)) pick_set(p, t, 0);
	return 0;
}
static void pick_free(struct tag_pick *p)
{
	free(p->source);
	free(p->address);
	free(p->label_out);
	free(p->category);
}

/* Fills the provenance fields of an endpoint's tag object (source,
 * confidence, tagged_address). cache: "addr:N" / "cluster:N" -> object. */
static int endpoint_tag_source(struct tl_store *st, const struct tl_clearance *clr, const struct tl_endpoint *e,
                               json_t *tag, json_t *cache, struct tl_err *err)
{
	char key[48];
	snprintf(key, sizeof key, "%s:%llu", e->cluster_id ? "cluster" : "addr",
	         (unsigned long long)(e->cluster_id ? e->cluster_id : e->addr_id));
	json_t *c = json_object_get(cache, key);
	if (!c) {
		struct tag_pick p;
		memset(&p, 0, sizeof p);
		p.st = st;
		p.clr = clr;
		p.err = err;
		p.label = e->label;
		p.want = e->cats ? e->cats : TL_CAT_ALL;
		int r = e->addr_id ? tl_tags_of_addr_id(st, e->addr_id, pick_cb, &p, err) : 0;
		if (r >= 0 && !p.failed && !p.exact && e->cluster_id)
			r = tl_tags_of_cluster(st, e->cluster_id, pick_cb, &p, err);
		if (r < 0 || p.failed) {
			pick_free(&p);
			return -1;
		}
		c = p.found ? json_pack("{s:s,s:o,s:s}", "source", p.source, "confidence",
		                        p.confidence >= 0 ? json_integer(p.confidence) : json_null(),
		                        "tagged_address", p.address)
		            : json_pack("{s:n,s:n,s:n}", "source", "confidence", "tagged_address");
		pick_free(&p);
		json_object_set_new(cache, key, c);
	}
	json_object_update(tag, c);
	return 0;
}

static json_t *provenance(struct tl_store *st, const struct tl_trace_seeds *seeds, const struct tl_tip *tip,
                          struct tl_err *err, int *failed)
{
	char now[32], hh[65];
	time_str((int64_t)time(NULL), now);
	tl_hash_to_hex(tip->hash, hh);
	json_t *hs = json_array(), *seen = json_object();
	size_t k;
	json_t *d;
	json_array_foreach(seeds->desc, k, d) {
		const char *id = json_string_value(json_object_get(d, "heist"));
		if (!id || json_object_get(seen, id)) continue;
		json_object_set_new(seen, id, json_true());
		json_array_append_new(hs, heist_prov(st, id, seeds->heists ? json_object_get(seeds->heists, id) : NULL,
		                                     err, failed));
	}
	json_decref(seen);
	return json_pack("{s:s,s:s,s:s,s:{s:i,s:s},s:o}", "software", tl_trace_software(), "generated_at", now,
	                 "network", tl_store_net(st)->name, "tip", "height", (int)tip->height, "hash", hh,
	                 "heists", hs);
}

int tl_trace_run(struct tl_storegraph *sg, const struct tl_trace_seeds *seeds, const struct tl_walk_params *pin,
                 json_t **out, struct tl_err *err)
{
	*out = NULL;
	if (!seeds || !seeds->n) return tl_err_set(err, "no seeds to trace");
	struct tl_walk_params p;
	if (pin) p = *pin;
	else tl_walk_params_default(&p);
	struct tl_store *st = tl_storegraph_store(sg);
	struct tl_tip tip;
	if (tl_store_tip(st, &tip, err)) return -1;
	struct tl_graph g;
	tl_storegraph_graph(sg, &g);
	struct tl_walk_result res;
	memset(&res, 0, sizeof res);
	int rc = tl_walk_forward(&g, seeds->v, seeds->n, &p, &res, err);
	if (rc) {
		tl_walk_result_free(&res);
		return rc;
	}
	struct build b = { .sg = sg, .err = err };
	char hh[65];
	tl_hash_to_hex(tip.hash, hh);
	json_t *o = json_object();
	json_object_set_new(o, "tip", json_pack("{s:i,s:s}", "height", (int)tip.height, "hash", hh));
	json_object_set_new(o, "network", json_string(tl_store_net(st)->name));
	json_object_set_new(o, "policy", json_string(tl_policy_name(p.policy)));
	json_object_set_new(o, "params",
	                    json_pack("{s:I,s:I,s:I,s:o,s:b,s:I,s:I}", "max_hops", (json_int_t)p.max_hops, "min_sat",
	                              (json_int_t)p.min_sat, "until_height", (json_int_t)p.until_height,
	                              "stop_categories", stop_cats_json(p.stop_cats), "stop_at_mixers",
	                              p.stop_at_mixers, "max_tx", (json_int_t)p.max_tx, "peel_min_len",
	                              (json_int_t)p.peel_min_len));
	/* a trace made for a restricted clearance says so, so that it is
	 * recomputed under the same view (report/manifest.h) */
	const struct tl_clearance *clr = tl_storegraph_clearance(sg);
	if (clr) {
		char cn[TL_TLP_AUDIENCE_MAX + 16];
		json_object_set_new(json_object_get(o, "params"), "clearance", json_string(tl_clearance_name(clr, cn)));
	}
	json_t *sj = seeds->desc ? json_deep_copy(seeds->desc) : json_array();
	json_t *so = json_array();
	for (size_t i = 0; i < seeds->n; i++) {
		const struct tl_seed *s = &seeds->v[i];
		json_t *e = json_object();
		if (s->vout == TL_SEED_WHOLE_TX) json_object_set_new(e, "txid", j_txid(&b, s->tx_num));
		else json_object_set_new(e, "outpoint", j_outpoint(&b, s->tx_num, s->vout));
		if (s->amount != TL_SEED_FULL) json_object_set_new(e, "amount_sat", json_integer((json_int_t)s->amount));
		json_array_append_new(so, e);
	}
	json_object_set_new(o, "seeds", sj);
	json_object_set_new(o, "seed_outputs", so);
	const struct tl_walk_totals *t = &res.totals;
	json_object_set_new(o, "totals",
	                    json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "seeded_sat", (json_int_t)t->seeded,
	                              "endpoints_sat", (json_int_t)t->endpoints, "holdings_sat",
	                              (json_int_t)t->holdings, "fees_sat", (json_int_t)t->fees, "cut_sat",
	                              (json_int_t)t->cut, "cut_dust_sat", (json_int_t)t->cut_dust,
	                              "cut_hops_sat", (json_int_t)t->cut_hops, "holdings_at_cutoff_sat",
	                              (json_int_t)t->holdings_at_cutoff));
	json_object_set_new(o, "visited", json_integer((json_int_t)res.visited));

	json_t *ea = json_array(), *tagcache = json_object();
	for (size_t i = 0; i < res.n_endpoints; i++) {
		const struct tl_endpoint *e = &res.endpoints[i];
		static const char *kinds[] = { "tagged", "mixer", "coinjoin" };
		json_t *x = json_object();
		json_object_set_new(x, "outpoint", j_outpoint(&b, e->tx_num, e->vout));
		json_object_set_new(x, "address", j_address(&b, e->tx_num, e->vout));
		json_object_set_new(x, "cluster", e->cluster_id ? json_integer((json_int_t)e->cluster_id) : json_null());
		json_t *tag = json_pack("{s:s,s:s}", "label", e->label, "category", tl_trace_cat_name(e->cats));
		if (e->kind != TL_END_COINJOIN && endpoint_tag_source(st, tl_storegraph_clearance(sg), e, tag, tagcache, err) < 0) b.failed = 1;
		json_object_set_new(x, "tag", tag);
		json_object_set_new(x, "amount_sat", json_integer((json_int_t)e->amount));
		json_object_set_new(x, "hops", json_integer(e->hops));
		json_object_set_new(x, "height", json_integer(e->height));
		json_object_set_new(x, "time", j_time(e->time));
		json_object_set_new(x, "kind", json_string(kinds[e->kind <= TL_END_COINJOIN ? e->kind : 0]));
		if (e->kind == TL_END_COINJOIN) json_object_set_new(x, "coinjoin_txid", j_txid(&b, e->coinjoin_tx));
		json_array_append_new(ea, x);
	}
	json_decref(tagcache);
	json_object_set_new(o, "endpoints", ea);

	json_t *ha = json_array();
	for (size_t i = 0; i < res.n_holdings; i++) {
		const struct tl_holding *h = &res.holdings[i];
		json_array_append_new(ha, json_pack("{s:o,s:o,s:I,s:i,s:i,s:b}", "outpoint",
		                                    j_outpoint(&b, h->tx_num, h->vout), "address",
		                                    j_address(&b, h->tx_num, h->vout), "amount_sat", (json_int_t)h->amount,
		                                    "hops", (int)h->hops, "height", (int)h->height, "at_cutoff",
		                                    h->at_cutoff));
	}
	json_object_set_new(o, "holdings", ha);

	json_t *ma = json_array();
	for (size_t i = 0; i < res.n_mixers; i++) {
		const struct tl_mixer_entry *m = &res.mixers[i];
		json_t *x = json_object();
		if (m->vout == TL_MIXER_WHOLE_TX) {
			json_object_set_new(x, "kind", json_string("coinjoin"));
			json_object_set_new(x, "txid", j_txid(&b, m->tx_num));
		} else {
			json_object_set_new(x, "kind", json_string("mixer"));
			json_object_set_new(x, "outpoint", j_outpoint(&b, m->tx_num, m->vout));
			json_object_set_new(x, "address", j_address(&b, m->tx_num, m->vout));
		}
		json_object_set_new(x, "amount_sat", json_integer((json_int_t)m->amount));
		json_object_set_new(x, "hops", json_integer(m->hops));
		json_object_set_new(x, "height", json_integer(m->height));
		json_array_append_new(ma, x);
	}
	json_object_set_new(o, "mixers", ma);

	json_t *pa = json_array();
	for (size_t i = 0; i < res.n_peel_chains; i++) {
		const struct tl_peel_chain *c = &res.peel_chains[i];
		json_t *peels = json_array();
		for (size_t k = 0; k < c->length && c->first_peel + k < res.n_peels; k++) {
			const struct tl_peel *pe = &res.peels[c->first_peel + k];
			json_array_append_new(peels, json_pack("{s:o,s:o,s:I,s:s,s:s}", "outpoint",
			                                       j_outpoint(&b, pe->tx_num, pe->vout), "address",
			                                       j_address(&b, pe->tx_num, pe->vout), "amount_sat",
			                                       (json_int_t)pe->amount, "fate", fate_name(pe->fate),
			                                       "category", tl_trace_cat_name(pe->cats)));
		}
		json_array_append_new(pa, json_pack("{s:o,s:o,s:i,s:I,s:o}", "first_txid", j_txid(&b, c->first_tx),
		                                    "last_txid", j_txid(&b, c->last_tx), "length", (int)c->length,
		                                    "peeled_sat", (json_int_t)c->peeled, "peels", peels));
	}
	json_object_set_new(o, "peel_chains", pa);

	json_t *ca = json_array();
	for (size_t i = 0; i < res.n_consolidations; i++) {
		const struct tl_consolidation *c = &res.consolidations[i];
		json_array_append_new(ca, json_pack("{s:o,s:i,s:i,s:i,s:I,s:I}", "txid", j_txid(&b, c->tx_num), "height",
		                                    (int)c->height, "tainted_inputs", (int)c->n_tainted_in,
		                                    "clean_inputs", (int)c->n_clean_in, "tainted_sat",
		                                    (json_int_t)c->tainted, "clean_sat", (json_int_t)c->clean));
	}
	json_object_set_new(o, "consolidations", ca);

	/* graph: transaction nodes from the flows and seeds, output nodes for
	 * endpoints and holdings; edges tx -> tx (flows) and tx -> output. */
	json_t *nodes = json_array(), *edges = json_array(), *seen = json_object();
#define ADD_TX_NODE(txn)                                                                                   \
	do {                                                                                               \
		json_t *id_ = j_txid(&b, (txn));                                                           \
		const char *ids_ = json_string_value(id_);                                                 \
		if (!json_object_get(seen, ids_)) {                                                        \
			json_object_set_new(seen, ids_, json_true());                                     \
			json_array_append_new(nodes, json_pack("{s:s,s:s}", "id", ids_, "kind", "tx"));    \
		}                                                                                          \
		json_decref(id_);                                                                          \
	} while (0)
	for (size_t i = 0; i < seeds->n; i++) ADD_TX_NODE(seeds->v[i].tx_num);
	for (size_t i = 0; i < res.n_flows; i++) {
		ADD_TX_NODE(res.flows[i].from_tx);
		ADD_TX_NODE(res.flows[i].to_tx);
		json_array_append_new(edges, json_pack("{s:o,s:o,s:I,s:s}", "from", j_txid(&b, res.flows[i].from_tx),
		                                       "to", j_txid(&b, res.flows[i].to_tx), "amount_sat",
		                                       (json_int_t)res.flows[i].amount, "kind", "flow"));
	}
	for (size_t i = 0; i < res.n_endpoints; i++) {
		const struct tl_endpoint *e = &res.endpoints[i];
		ADD_TX_NODE(e->tx_num);
		json_t *op = j_outpoint(&b, e->tx_num, e->vout);
		json_array_append_new(nodes, json_pack("{s:O,s:s,s:s,s:s,s:I}", "id", op, "kind", "endpoint", "label",
		                                       e->label, "category", tl_trace_cat_name(e->cats),
		                                       "amount_sat", (json_int_t)e->amount));
		json_array_append_new(edges, json_pack("{s:o,s:o,s:I,s:s}", "from", j_txid(&b, e->tx_num), "to", op,
		                                       "amount_sat", (json_int_t)e->amount, "kind", "endpoint"));
	}
	for (size_t i = 0; i < res.n_holdings; i++) {
		const struct tl_holding *h = &res.holdings[i];
		ADD_TX_NODE(h->tx_num);
		json_t *op = j_outpoint(&b, h->tx_num, h->vout);
		json_array_append_new(nodes, json_pack("{s:O,s:s,s:I}", "id", op, "kind", "holding", "amount_sat",
		                                       (json_int_t)h->amount));
		json_array_append_new(edges, json_pack("{s:o,s:o,s:I,s:s}", "from", j_txid(&b, h->tx_num), "to", op,
		                                       "amount_sat", (json_int_t)h->amount, "kind", "holding"));
	}
#undef ADD_TX_NODE
	json_decref(seen);
	json_object_set_new(o, "graph", json_pack("{s:o,s:o}", "nodes", nodes, "edges", edges));
	json_object_set_new(o, "provenance", provenance(st, seeds, &tip, err, &b.failed));
	free(b.txc.k);
	free(b.txc.v);
	tl_walk_result_free(&res);
	if (b.failed) {
		json_decref(o);
		return -1;
	}
	*out = o;
	return 0;
}
