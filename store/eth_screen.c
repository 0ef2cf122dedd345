/* The Ethereum screening index (eth_screen.h). */
#include "store/eth_screen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "ethereum/address.h"
#include "store/eth_intel.h"
#include "store/eth_store_int.h"
#include "taint/muldiv.h"

static size_t key(uint8_t *k, const char *heist, uint64_t acct)
{
	size_t n = strlen(heist);
	memcpy(k, heist, n);
	k[n] = 0;
	tl_put_be64(k + n + 1, acct);
	return n + 9;
}

/* Writes by_acct under id (a heist id, or "<heist>@<chain>"), its state
 * (extra members merged in) and, when inbounds is not NULL, its bridge
 * deposits, replacing what id had. */
static int store_id(struct tl_eth_store *s, const char *heist, int64_t tip, json_t *by_acct, json_t *inbounds,
		    json_t *extra, struct tl_err *err)
{
	size_t n = strlen(heist);
	if (n > 64) return tl_err_set(err, "heist id too long");
	uint8_t a[80], b[80];
	memcpy(a, heist, n);
	a[n] = 0;
	memcpy(b, heist, n);
	b[n] = 1; /* [heist ‖ 0, heist ‖ 1): every account of the heist */
	if (tl_eth_store_delete_range(s, TL_ECF_SCREEN, a, n + 1, b, n + 1, err)) return -1;
	struct tl_eth_batch *bt = tl_eth_batch_new(s);
	const char *k;
	json_t *v;
	int rc = 0;
	json_object_foreach(by_acct, k, v) {
		uint8_t kb[80];
		char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
		if (!text) {
			rc = tl_err_set(err, "out of memory");
			break;
		}
		size_t kl = key(kb, heist, strtoull(k, NULL, 10));
		tl_eth_batch_put_raw(bt, TL_ECF_SCREEN, kb, kl, text, strlen(text));
		free(text);
	}
	if (!rc) {
		uint8_t mk[80];
		mk[0] = 0xff;
		memcpy(mk + 1, heist, n);
		json_t *m = json_pack("{s:I,s:s,s:I}", "tip", (json_int_t)tip, "policy", "haircut", "accounts",
		                      (json_int_t)json_object_size(by_acct));
		if (extra) json_object_update(m, extra);
		char *text = json_dumps(m, JSON_COMPACT);
		json_decref(m);
		tl_eth_batch_put_raw(bt, TL_ECF_SCREEN, mk, n + 1, text, strlen(text));
		free(text);
		mk[0] = 0xfe;
		if (json_array_size(inbounds)) {
			text = json_dumps(inbounds, JSON_COMPACT | JSON_SORT_KEYS);
			if (!text) rc = tl_err_set(err, "out of memory");
			else tl_eth_batch_put_raw(bt, TL_ECF_SCREEN, mk, n + 1, text, strlen(text));
			free(text);
		} else if (inbounds) {
			tl_eth_batch_del_raw(bt, TL_ECF_SCREEN, mk, n + 1);
		}
		if (!rc) rc = tl_eth_store_write(s, bt, err);
	}
	tl_eth_batch_free(bt);
	return rc;
}

int tl_eth_screen_store(struct tl_eth_store *s, const char *heist, int64_t tip, json_t *by_acct, json_t *inbounds,
			struct tl_err *err)
{
	json_t *none = json_array();
	int rc = store_id(s, heist, tip, by_acct, inbounds ? inbounds : none, NULL, err);
	json_decref(none);
	return rc;
}

int tl_eth_screen_inbounds(struct tl_eth_store *s, const char *heist, json_t **out, struct tl_err *err)
{
	size_t n = strlen(heist);
	if (n > 64) return 0;
	uint8_t mk[80];
	mk[0] = 0xfe;
	memcpy(mk + 1, heist, n);
	char *v;
	size_t vl;
	int r = tl_eth_store_get_raw(s, TL_ECF_SCREEN, mk, n + 1, &v, &vl, err);
	if (r <= 0) return r;
	json_error_t je;
	*out = json_loadb(v, vl, 0, &je);
	rocksdb_free(v);
	if (!json_is_array(*out)) {
		json_decref(*out);
		*out = NULL;
		return tl_err_set(err, "bridge deposits of '%s' damaged", heist);
	}
	return 1;
}

static int bridged_id(char *buf, size_t cap, const char *heist, const char *from_chain, struct tl_err *err)
{
	if (strchr(heist, '@') || (size_t)snprintf(buf, cap, "%s@%s", heist, from_chain) >= cap || strlen(buf) > 64)
		return tl_err_set(err, "heist id '%s' cannot name a bridged exposure", heist);
	return 0;
}

int tl_eth_screen_store_bridged(struct tl_eth_store *s, const char *heist, const char *from_chain, int64_t tip,
				json_t *by_acct, struct tl_err *err)
{
	char id[80];
	if (bridged_id(id, sizeof id, heist, from_chain, err)) return -1;
	if (!json_object_size(by_acct)) return tl_eth_screen_drop(s, id, err);
	json_t *extra = json_pack("{s:s,s:s,s:s}", "heist", heist, "from_chain", from_chain, "via", "thorchain");
	int rc = store_id(s, id, tip, by_acct, NULL, extra, err);
	json_decref(extra);
	return rc;
}

int tl_eth_screen_bridged_list(struct tl_eth_store *s, const char *from_chain, json_t **out, struct tl_err *err)
{
	json_t *a = json_array();
	rocksdb_iterator_t *it = tl_eth_store_iter(s, TL_ECF_SCREEN, false);
	uint8_t k0 = 0xff;
	size_t cl = strlen(from_chain);
	for (rocksdb_iter_seek(it, (const char *)&k0, 1); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
		size_t kl;
		const char *k = rocksdb_iter_key(it, &kl);
		if (!kl || (uint8_t)k[0] != 0xff) break;
		const char *at = memchr(k + 1, '@', kl - 1);
		if (!at || (size_t)(k + kl - at - 1) != cl || memcmp(at + 1, from_chain, cl)) continue;
		json_array_append_new(a, json_stringn(k + 1, (size_t)(at - k - 1)));
	}
	char *rerr = NULL;
	rocksdb_iter_get_error(it, &rerr);
	rocksdb_iter_destroy(it);
	if (rerr) {
		json_decref(a);
		return tl_eth_store_rocks_err(err, "reading the screening states", rerr);
	}
	*out = a;
	return 0;
}

int tl_eth_screen_drop(struct tl_eth_store *s, const char *heist, struct tl_err *err)
{
	size_t n = strlen(heist);
	if (n > 64) return tl_err_set(err, "heist id too long");
	uint8_t a[80], b[80];
	memcpy(a, heist, n);
	a[n] = 0;
	memcpy(b, heist, n);
	b[n] = 1;
	if (tl_eth_store_delete_range(s, TL_ECF_SCREEN, a, n + 1, b, n + 1, err)) return -1;
	struct tl_eth_batch *bt = tl_eth_batch_new(s);
	a[0] = 0xff;
	memcpy(a + 1, heist, n);
	tl_eth_batch_del_raw(bt, TL_ECF_SCREEN, a, n + 1);
	a[0] = 0xfe;
	tl_eth_batch_del_raw(bt, TL_ECF_SCREEN, a, n + 1);
	int rc = tl_eth_store_write(s, bt, err);
	tl_eth_batch_free(bt);
	return rc;
}

int tl_eth_screen_state(struct tl_eth_store *s, const char *heist, int64_t *tip, struct tl_err *err)
{
	size_t n = strlen(heist);
	if (n > 64) return 0;
	uint8_t mk[80];
	mk[0] = 0xff;
	memcpy(mk + 1, heist, n);
	char *v;
	size_t vl;
	int r = tl_eth_store_get_raw(s, TL_ECF_SCREEN, mk, n + 1, &v, &vl, err);
	if (r <= 0) return r;
	json_error_t je;
	json_t *m = json_loadb(v, vl, 0, &je);
	rocksdb_free(v);
	if (!m) return tl_err_set(err, "screening state of '%s' damaged", heist);
	*tip = json_integer_value(json_object_get(m, "tip"));
	json_decref(m);
	return 1;
}

/* floor(t * 10^6 / r) written as "q.dddddd" */
static json_t *share(const tl_uint256 *t, const tl_uint256 *r)
{
	if (tl_uint256_is_zero(r)) return json_null();
	tl_uint256 m = tl_uint256_from_u64(1000000), q;
	if (tl_taint_muldiv(t, &m, r, &q)) return json_null();
	char d[TL_U256_DEC_MAX], out[TL_U256_DEC_MAX + 8];
	tl_uint256_to_dec(&q, d);
	size_t n = strlen(d);
	if (n <= 6) snprintf(out, sizeof out, "0.%.*s%s", (int)(6 - n), "000000", d);
	else snprintf(out, sizeof out, "%.*s.%s", (int)(n - 6), d, d + n - 6);
	return json_string(out);
}

struct tl_eth_screen {
	struct tl_eth_store *s;
	size_t n, cap;
	char **ids;     /* screening ids: a heist, or "<heist>@<chain>" */
	int64_t *tips;
};

void tl_eth_screen_close(struct tl_eth_screen *h)
{
	if (!h) return;
	for (size_t i = 0; i < h->n; i++) free(h->ids[i]);
	free(h->ids);
	free(h->tips);
	free(h);
}

static int handle_add(struct tl_eth_screen *h, const char *id, int64_t tip)
{
	if (h->n == h->cap) {
		size_t nc = h->cap ? h->cap * 2 : 8;
		char **ids = realloc(h->ids, nc * sizeof *ids);
		if (!ids) return -1;
		h->ids = ids;
		int64_t *tips = realloc(h->tips, nc * sizeof *tips);
		if (!tips) return -1;
		h->tips = tips;
		h->cap = nc;
	}
	if (!(h->ids[h->n] = strdup(id))) return -1;
	h->tips[h->n++] = tip;
	return 0;
}

/* Adds every "<heist>@<chain>" state to the handle. */
static int add_bridged(struct tl_eth_screen *h, struct tl_err *err)
{
	rocksdb_iterator_t *it = tl_eth_store_iter(h->s, TL_ECF_SCREEN, false);
	uint8_t k0 = 0xff;
	int rc = 0;
	for (rocksdb_iter_seek(it, (const char *)&k0, 1); rocksdb_iter_valid(it) && !rc; rocksdb_iter_next(it)) {
		size_t kl, vl;
		const char *k = rocksdb_iter_key(it, &kl);
		if (!kl || (uint8_t)k[0] != 0xff) break;
		if (kl > 65 || !memchr(k + 1, '@', kl - 1)) continue;
		const char *v = rocksdb_iter_value(it, &vl);
		json_error_t je;
		json_t *m = json_loadb(v, vl, 0, &je);
		char id[80];
		memcpy(id, k + 1, kl - 1);
		id[kl - 1] = 0;
		if (!m) rc = tl_err_set(err, "screening state of '%s' damaged", id);
		else if (handle_add(h, id, json_integer_value(json_object_get(m, "tip")))) rc = tl_err_set(err, "out of memory");
		json_decref(m);
	}
	char *rerr = NULL;
	rocksdb_iter_get_error(it, &rerr);
	rocksdb_iter_destroy(it);
	if (rerr) return tl_eth_store_rocks_err(err, "reading the screening states", rerr);
	return rc;
}

int tl_eth_screen_open(struct tl_eth_store *s, struct tl_eth_screen **out, struct tl_err *err)
{
	json_t *heists;
	if (tl_eth_heists_list(s, &heists, err)) return -1;
	struct tl_eth_screen *h = calloc(1, sizeof *h);
	size_t n = json_array_size(heists);
	if (!h) {
		json_decref(heists);
		return tl_err_set(err, "out of memory");
	}
	h->s = s;
	for (size_t i = 0; i < n; i++) {
		const char *id = json_string_value(json_object_get(json_array_get(heists, i), "id"));
		int64_t tip;
		int st = id ? tl_eth_screen_state(s, id, &tip, err) : 0;
		if (st < 0) {
			json_decref(heists);
			tl_eth_screen_close(h);
			return -1;
		}
		if (st == 0) continue;
		if (handle_add(h, id, tip)) {
			json_decref(heists);
			tl_eth_screen_close(h);
			return tl_err_set(err, "out of memory");
		}
	}
	json_decref(heists);
	if (add_bridged(h, err)) {
		tl_eth_screen_close(h);
		return -1;
	}
	*out = h;
	return 0;
}

int tl_eth_screen_account(struct tl_eth_store *s, const uint8_t addr[20], json_t **out, struct tl_err *err)
{
	struct tl_eth_screen *h;
	if (tl_eth_screen_open(s, &h, err)) return -1;
	int r = tl_eth_screen_lookup(h, addr, out, err);
	tl_eth_screen_close(h);
	return r;
}

int tl_eth_screen_lookup(struct tl_eth_screen *hs, const uint8_t addr[20], json_t **out, struct tl_err *err)
{
	struct tl_eth_store *s = hs->s;
	char hx[43];
	json_t *o = json_pack("{s:s,s:[]}", "address", tl_eth_addr_hex(addr, hx), "exposures");
	json_t *exp = json_object_get(o, "exposures");
	uint64_t acct;
	int k = tl_eth_store_account_id(s, addr, &acct, err);
	if (k < 0) goto fail;
	if (k == 0) {
		*out = o;
		return 0;
	}
	for (size_t i = 0; i < hs->n; i++) {
		const char *id = hs->ids[i];
		int64_t tip = hs->tips[i];
		uint8_t kb[80];
		size_t kl = key(kb, id, acct);
		char *v;
		size_t vl;
		int r = tl_eth_store_get_raw(s, TL_ECF_SCREEN, kb, kl, &v, &vl, err);
		if (r < 0) goto fail;
		if (r == 0) continue;
		json_error_t je;
		json_t *by = json_loadb(v, vl, 0, &je);
		rocksdb_free(v);
		json_t *assets = json_array();
		const char *an;
		json_t *tv;
		json_object_foreach(by, an, tv) {
			uint32_t aid = 0;
			uint8_t c[20];
			tl_uint256 t, rcv = tl_uint256_from_u64(0);
			const char *ts = json_string_value(tv);
			if (!ts || tl_uint256_from_dec(ts, strlen(ts), &t)) continue;
			if (strcmp(an, "ETH") && (tl_eth_addr_parse(an, strlen(an), c, err) ||
			                          tl_eth_store_asset_id(s, c, &aid, err) != 1))
				continue;
			struct tl_eth_stat stt;
			if (tl_eth_store_stat(s, acct, aid, &stt, err) == 1) rcv = stt.received;
			char d[TL_U256_DEC_MAX];
			json_array_append_new(assets, json_pack("{s:s,s:s,s:s,s:o}", "asset", an, "tainted", ts, "received",
			                                        tl_uint256_to_dec(&rcv, d), "share", share(&t, &rcv)));
		}
		json_decref(by);
		const char *at = strchr(id, '@');
		json_t *x = at ? json_pack("{s:s%,s:I,s:o,s:s,s:s}", "heist", id, (size_t)(at - id), "tip", (json_int_t)tip,
		                           "assets", assets, "from_chain", at + 1, "via", "thorchain")
		               : json_pack("{s:s,s:I,s:o}", "heist", id, "tip", (json_int_t)tip, "assets", assets);
		json_array_append_new(exp, x);
	}
	*out = o;
	return 0;
fail:
	json_decref(o);
	return -1;
}
