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

int tl_eth_screen_store(struct tl_eth_store *s, const char *heist, int64_t tip, json_t *by_acct, struct tl_err *err)
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
		char *text = json_dumps(m, JSON_COMPACT);
		json_decref(m);
		tl_eth_batch_put_raw(bt, TL_ECF_SCREEN, mk, n + 1, text, strlen(text));
		free(text);
		rc = tl_eth_store_write(s, bt, err);
	}
	tl_eth_batch_free(bt);
	return rc;
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
	size_t n;
	char **ids;
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

int tl_eth_screen_open(struct tl_eth_store *s, struct tl_eth_screen **out, struct tl_err *err)
{
	json_t *heists;
	if (tl_eth_heists_list(s, &heists, err)) return -1;
	struct tl_eth_screen *h = calloc(1, sizeof *h);
	size_t n = json_array_size(heists);
	if (h) h->ids = calloc(n ? n : 1, sizeof *h->ids), h->tips = calloc(n ? n : 1, sizeof *h->tips);
	if (!h || !h->ids || !h->tips) {
		json_decref(heists);
		tl_eth_screen_close(h);
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
		h->ids[h->n] = strdup(id);
		h->tips[h->n++] = tip;
	}
	json_decref(heists);
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
		json_array_append_new(exp, json_pack("{s:s,s:I,s:o}", "heist", id, "tip", (json_int_t)tip, "assets", assets));
	}
	*out = o;
	return 0;
fail:
	json_decref(o);
	return -1;
}
