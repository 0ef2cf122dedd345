/* Tags and heists in the Ethereum database (eth_intel.h). */
#include "store/eth_intel.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "ethereum/address.h"
#include "store/eth_store_int.h"

int tl_eth_chain_is(struct tl_eth_store *s, const char *chain)
{
	return chain && !strcmp(chain, tl_eth_store_net(s)->chain);
}

/* ---- tags ---- */

static void tag_key(struct tl_buf *k, const uint8_t a[20], const char *source, const char *category, const char *label)
{
	tl_buf_put(k, a, 20);
	tl_buf_put(k, source, strlen(source) + 1);
	tl_buf_put(k, category, strlen(category) + 1);
	tl_buf_put(k, label, strlen(label));
}

int tl_eth_tag_add(struct tl_eth_store *s, struct tl_eth_batch *b, const struct tl_tag *t, int *seen, struct tl_err *err)
{
	if (seen) *seen = 0;
	if (!tl_eth_chain_is(s, t->chain)) return 2;
	uint8_t a[20];
	if (tl_eth_addr_parse(t->address, strlen(t->address), a, err)) return 3;
	const char *label = t->label ? t->label : "", *source = t->source ? t->source : "";
	struct tl_buf k;
	tl_buf_init(&k);
	tag_key(&k, a, source, t->category, label);
	char *v;
	size_t vl;
	int r = tl_eth_store_get_raw(s, TL_ECF_TAG, k.data, k.len, &v, &vl, err);
	if (r == 1) rocksdb_free(v);
	if (r == 0) {
		json_t *o = json_pack("{s:s,s:s,s:s,s:i}", "label", label, "category", t->category, "source", source,
		                      "confidence", t->confidence);
		if (t->entity && *t->entity) json_object_set_new(o, "entity", json_string(t->entity));
		if (t->notes && *t->notes) json_object_set_new(o, "notes", json_string(t->notes));
		char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		json_decref(o);
		if (!text) r = tl_err_set(err, "out of memory");
		else {
			tl_eth_batch_put_raw(b, TL_ECF_TAG, k.data, k.len, text, strlen(text));
			free(text);
			r = 1;
		}
	} else if (r == 1) {
		r = 0;
	}
	tl_buf_free(&k);
	if (r >= 0 && seen) {
		uint64_t id;
		struct tl_err e2;
		*seen = tl_eth_store_account_id(s, a, &id, &e2) == 1;
	}
	return r;
}

int tl_eth_tags_each(struct tl_eth_store *s, const uint8_t *addr, tl_eth_tag_cb cb, void *ctx, struct tl_err *err)
{
	rocksdb_iterator_t *it = tl_eth_store_iter(s, TL_ECF_TAG, true);
	if (addr) rocksdb_iter_seek(it, (const char *)addr, 20);
	else rocksdb_iter_seek_to_first(it);
	int rc = 0;
	for (; rc == 0 && rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
		size_t kl, vl;
		const char *k = rocksdb_iter_key(it, &kl);
		const char *v = rocksdb_iter_value(it, &vl);
		if (kl < 20) {
			rc = tl_err_set(err, "a tag key is damaged");
			break;
		}
		if (addr && memcmp(k, addr, 20)) break;
		json_error_t je;
		json_t *o = json_loadb(v, vl, 0, &je);
		struct tl_eth_tag_rec t;
		memcpy(t.addr, k, 20);
		t.label = json_string_value(json_object_get(o, "label"));
		t.category = json_string_value(json_object_get(o, "category"));
		t.source = json_string_value(json_object_get(o, "source"));
		t.entity = json_string_value(json_object_get(o, "entity"));
		t.notes = json_string_value(json_object_get(o, "notes"));
		t.confidence = (int)json_integer_value(json_object_get(o, "confidence"));
		if (!t.label || !t.category || !t.source) rc = tl_err_set(err, "a tag record is damaged");
		else rc = cb(ctx, &t);
		json_decref(o);
	}
	if (rc == 0) {
		char *rerr = NULL;
		rocksdb_iter_get_error(it, &rerr);
		if (rerr) rc = tl_eth_store_rocks_err(err, "reading tags", rerr);
	}
	rocksdb_iter_destroy(it);
	return rc;
}

/* ---- heists ---- */

static int valid_id(const char *id)
{
	size_t n = strlen(id);
	if (!n || n > 64) return 0;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)id[i]) || isdigit((unsigned char)id[i]) || strchr("._-", id[i]))) return 0;
	return 1;
}

static int valid_date(const char *d)
{
	int y, m, dd;
	char tail;
	if (strlen(d) != 10 || d[4] != '-' || d[7] != '-' || sscanf(d, "%4d-%2d-%2d%c", &y, &m, &dd, &tail) != 3)
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)d[i])) return 0;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return y >= 1970 && m >= 1 && m <= 12 && dd >= 1 && dd <= mdays[m - 1] &&
	       !(m == 2 && dd == 29 && (y % 4 || (y % 100 == 0 && y % 400)));
}

/* A window end: absent, null, a block number, or a date. */
static int check_wend(json_t *seed, const char *key, const char *p, struct tl_err *err)
{
	json_t *v = json_object_get(seed, key);
	if (!v || json_is_null(v)) return 0;
	if (json_is_integer(v) && json_integer_value(v) >= 0) return 0;
	if (json_is_string(v) && valid_date(json_string_value(v))) return 0;
	return tl_err_set(err, "%s%s: a block number or a date YYYY-MM-DD", p, key);
}

static int check_seed(json_t *sd, const char *p, struct tl_err *err)
{
	if (!json_is_object(sd)) return tl_err_set(err, "%snot an object", p);
	json_t *txid = json_object_get(sd, "txid"), *addr = json_object_get(sd, "address");
	uint8_t buf[32];
	if (txid) {
		const char *h = json_string_value(txid);
		if (addr) return tl_err_set(err, "%stxid and address: one or the other", p);
		if (!h || strncmp(h, "0x", 2) || strlen(h) != 66 || tl_eth_hex_bytes(h, 66, buf, 32))
			return tl_err_set(err, "%stxid: not 0x and 64 hex digits", p);
		json_t *to = json_object_get(sd, "to");
		if (to) {
			const char *a = json_string_value(to);
			if (!a || tl_eth_addr_parse(a, strlen(a), buf, err))
				return tl_err_prefix(err, "%sto: ", p), -1;
		}
		if (json_object_get(sd, "from") || json_object_get(sd, "until"))
			return tl_err_set(err, "%sfrom/until: only address seeds have a window", p);
		return 0;
	}
	if (!addr) return tl_err_set(err, "%sneither txid nor address", p);
	const char *a = json_string_value(addr);
	if (!a) return tl_err_set(err, "%saddress: not a string", p);
	if (tl_eth_addr_parse(a, strlen(a), buf, err)) return tl_err_prefix(err, "%saddress: ", p), -1;
	if (check_wend(sd, "from", p, err) || check_wend(sd, "until", p, err)) return -1;
	json_t *f = json_object_get(sd, "from"), *u = json_object_get(sd, "until");
	if (json_is_integer(f) && json_is_integer(u) && json_integer_value(f) > json_integer_value(u))
		return tl_err_set(err, "%suntil: before from", p);
	if (json_is_string(f) && json_is_string(u) && strcmp(json_string_value(f), json_string_value(u)) > 0)
		return tl_err_set(err, "%suntil: before from", p);
	json_t *as = json_object_get(sd, "asset");
	if (as) {
		const char *x = json_string_value(as);
		if (!x || (strcmp(x, "ETH") && tl_eth_addr_parse(x, strlen(x), buf, err)))
			return tl_err_set(err, "%sasset: ETH or a token contract's address", p);
	}
	return 0;
}

int tl_eth_heists_import(struct tl_eth_store *s, const char *path, const struct tl_tlp_mark *mark,
			 struct tl_eth_heist_import_report *rep, struct tl_err *err)
{
	memset(rep, 0, sizeof *rep);
	json_error_t je;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!root) return tl_err_set(err, "%s: line %d: %s", path, je.line, je.text);
	json_t *list = json_object_get(root, "heists");
	int rc = 0;
	if (!json_is_array(list)) rc = tl_err_set(err, "%s: no \"heists\" array", path);
	struct tl_eth_batch *b = tl_eth_batch_new(s);
	json_t *ids = json_object();
	for (size_t i = 0; !rc && i < json_array_size(list); i++) {
		json_t *h = json_array_get(list, i);
		const char *id = json_string_value(json_object_get(h, "id"));
		const char *chain = json_string_value(json_object_get(h, "chain"));
		if (!id || !valid_id(id)) {
			rc = tl_err_set(err, "heists[%zu].id: missing, or not [a-z0-9._-] of at most 64 characters", i);
			break;
		}
		if (json_object_get(ids, id)) {
			rc = tl_err_set(err, "heist '%s': id given twice", id);
			break;
		}
		json_object_set_new(ids, id, json_true());
		if (!chain) {
			rc = tl_err_set(err, "heist '%s': chain: missing", id);
			break;
		}
		json_t *seeds = json_object_get(h, "seeds");
		if (seeds && !json_is_array(seeds)) {
			rc = tl_err_set(err, "heist '%s': seeds: not an array", id);
			break;
		}
		if (tl_eth_chain_is(s, chain)) {
			for (size_t j = 0; !rc && j < json_array_size(seeds); j++) {
				char p[128];
				snprintf(p, sizeof p, "heist '%s': seeds[%zu].", id, j);
				rc = check_seed(json_array_get(seeds, j), p, err);
			}
			if (rc) break;
		}
		if (tl_eth_chain_is(s, chain) && json_array_size(seeds)) rep->traceable++;
		else rep->other++;
		char *v;
		size_t vl;
		int k = tl_eth_store_get_raw(s, TL_ECF_HEIST, id, strlen(id), &v, &vl, err);
		if (k < 0) {
			rc = -1;
			break;
		}
		if (k) rocksdb_free(v), rep->updated++;
		else rep->added++;
		char *text = json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (!text) {
			rc = tl_err_set(err, "out of memory");
			break;
		}
		tl_eth_batch_put_raw(b, TL_ECF_HEIST, id, strlen(id), text, strlen(text));
		free(text);
		if (mark) tl_eth_tlp_mark_put(b, TL_TLP_HEIST, id, mark);
	}
	if (!rc) rc = tl_eth_store_write(s, b, err);
	tl_eth_batch_free(b);
	json_decref(ids);
	json_decref(root);
	if (rc) memset(rep, 0, sizeof *rep);
	return rc ? -1 : 0;
}

int tl_eth_heist_get(struct tl_eth_store *s, const char *id, json_t **out, struct tl_err *err)
{
	char *v;
	size_t vl;
	int k = tl_eth_store_get_raw(s, TL_ECF_HEIST, id, strlen(id), &v, &vl, err);
	if (k <= 0) return k;
	json_error_t je;
	*out = json_loadb(v, vl, 0, &je);
	rocksdb_free(v);
	return *out ? 1 : tl_err_set(err, "heist '%s': stored definition damaged", id);
}

int tl_eth_heists_list(struct tl_eth_store *s, json_t **out, struct tl_err *err)
{
	json_t *a = json_array();
	rocksdb_iterator_t *it = tl_eth_store_iter(s, TL_ECF_HEIST, true);
	int rc = 0;
	for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
		size_t vl;
		const char *v = rocksdb_iter_value(it, &vl);
		json_error_t je;
		json_t *h = json_loadb(v, vl, 0, &je);
		if (!h) {
			rc = tl_err_set(err, "a stored heist definition is damaged");
			break;
		}
		json_array_append_new(a, h);
	}
	char *rerr = NULL;
	rocksdb_iter_get_error(it, &rerr);
	if (rerr && !rc) rc = tl_eth_store_rocks_err(err, "reading heists", rerr);
	else free(rerr);
	rocksdb_iter_destroy(it);
	if (rc) {
		json_decref(a);
		return -1;
	}
	*out = a;
	return 0;
}

/* ---- TLP marks: the Bitcoin store's records (store/tlp.h) in this
 * store's meta family ---- */

void tl_eth_tlp_mark_put(struct tl_eth_batch *b, enum tl_tlp_kind kind, const char *name, const struct tl_tlp_mark *m)
{
	char key[256], val[TL_TLP_MARK_MAX];
	size_t kl = tl_tlp_mark_key(kind, name, key, sizeof key), vl = tl_tlp_mark_encode(m, val, sizeof val);
	if (kl && vl) tl_eth_batch_put_raw(b, TL_ECF_META, key, kl, val, vl);
}

int tl_eth_tlp_mark_get(struct tl_eth_store *s, enum tl_tlp_kind kind, const char *name, struct tl_tlp_mark *m,
			struct tl_err *err)
{
	memset(m, 0, sizeof *m);
	char key[256];
	size_t kl = tl_tlp_mark_key(kind, name ? name : "", key, sizeof key);
	if (!kl) return 0;
	char *v;
	size_t vl;
	int r = tl_eth_store_get_raw(s, TL_ECF_META, key, kl, &v, &vl, err);
	if (r <= 0) return r;
	r = tl_tlp_mark_decode(v, vl, m);
	rocksdb_free(v);
	if (r) return tl_err_set(err, "corrupt TLP mark of %s '%.80s'", kind == TL_TLP_SOURCE ? "tag source" : "heist", name);
	return 1;
}

int tl_eth_tlp_tag_mark(struct tl_eth_store *s, const char *source, const char *notes, struct tl_tlp_mark *m,
			struct tl_err *err)
{
	if (tl_eth_tlp_mark_get(s, TL_TLP_SOURCE, source, m, err) < 0) return -1;
	tl_tlp_raise_notes(m, notes);
	return 0;
}

int tl_eth_tlp_heist_mark(struct tl_eth_store *s, const char *id, const json_t *definition, struct tl_tlp_mark *m,
			  struct tl_err *err)
{
	if (tl_eth_tlp_mark_get(s, TL_TLP_HEIST, id, m, err) < 0) return -1;
	tl_tlp_raise_definition(m, definition);
	return 0;
}

int tl_eth_heist_visible(struct tl_eth_store *s, const struct tl_clearance *c, const char *id, const json_t *definition,
			 struct tl_err *err)
{
	if (!c || c->all) return 1;
	struct tl_tlp_mark m;
	if (tl_eth_tlp_heist_mark(s, id, definition, &m, err)) return -1;
	return tl_tlp_visible(&m, c);
}

int tl_eth_tag_visible(struct tl_eth_store *s, const struct tl_clearance *c, const struct tl_eth_tag_rec *t,
		       struct tl_err *err)
{
	if (!c || c->all) return 1;
	struct tl_tlp_mark m;
	if (tl_eth_tlp_tag_mark(s, t->source ? t->source : "", t->notes, &m, err)) return -1;
	return tl_tlp_visible(&m, c);
}
