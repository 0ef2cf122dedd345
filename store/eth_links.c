/* THORChain router events in the Ethereum database (eth_links.h). */
#include "store/eth_links.h"

#include <stdlib.h>
#include <string.h>

#include "bridge/memo.h"
#include "bridge/router.h"
#include "store/eth_store_int.h"

static void put(struct tl_eth_batch *b, struct tl_eth_undo *u, const uint8_t *k, size_t kl, const void *v, size_t vl)
{
	tl_eth_batch_put_raw(b, TL_ECF_XLINK, k, kl, v, vl);
	if (u) tl_eth_undo_key(u, TL_ECF_XLINK, k, kl);
}

static void malformed(struct tl_eth_batch *b, struct tl_eth_undo *u, const struct tl_eth_log *l, const char *why,
		      struct tl_eth_links_counts *c)
{
	uint8_t k[13];
	k[0] = 'x';
	tl_put_be64(k + 1, l->block);
	tl_put_be32(k + 9, l->log_index);
	put(b, u, k, sizeof k, why, strlen(why));
	if (c) c->malformed++;
}

void tl_eth_links_add(struct tl_eth_batch *b, struct tl_eth_undo *u, const struct tl_eth_log *logs, size_t n,
		      struct tl_eth_links_counts *c)
{
	for (size_t i = 0; i < n; i++) {
		const struct tl_eth_log *l = &logs[i];
		if (!l->ntopics || !tl_eth_log_keeps_data(l->topics[0])) continue;
		struct tl_router_event ev;
		const char *why = NULL;
		int r;
		if (!l->data && l->data_len) r = -1, why = "data longer than the index keeps";
		else r = tl_router_decode((const uint8_t(*)[32])l->topics, l->ntopics > 4 ? 4 : l->ntopics, l->data, l->data_len,
					  &ev, &why);
		if (r <= 0) {
			malformed(b, u, l, why ? why : "not a router event", c);
			continue;
		}
		struct tl_buf v;
		tl_buf_init(&v);
		uint8_t k[45], t[33];
		if (ev.kind == TL_ROUTER_DEPOSIT) {
			k[0] = 'd';
			memcpy(k + 1, l->tx_hash, 32);
			tl_put_be32(k + 33, l->log_index);
			tl_buf_put(&v, ev.vault, 20);
			tl_buf_put(&v, ev.asset, 20);
			tl_buf_put(&v, t, tl_uint256_put_compact(&ev.amount, t));
			tl_buf_put(&v, ev.memo, ev.memo_len);
			put(b, u, k, 37, v.data, v.len);
			if (c) c->deposits++;
		} else {
			struct tl_memo m;
			const char *mwhy = NULL;
			int mr = tl_memo_parse(ev.memo, ev.memo_len, &m, &mwhy);
			if (mr != 1 || (m.kind != TL_MEMO_OUT && m.kind != TL_MEMO_REFUND)) {
				tl_buf_free(&v);
				malformed(b, u, l, mr < 0 && mwhy ? mwhy : "TransferOut memo is not OUT: or REFUND:", c);
				continue;
			}
			k[0] = 'o';
			memcpy(k + 1, m.in_hash, 32);
			tl_put_be64(k + 33, l->block);
			tl_put_be32(k + 41, l->log_index);
			tl_buf_u8(&v, (uint8_t)m.kind);
			tl_buf_put(&v, l->tx_hash, 32);
			tl_buf_put(&v, ev.vault, 20);
			tl_buf_put(&v, ev.to, 20);
			tl_buf_put(&v, ev.asset, 20);
			tl_buf_put(&v, t, tl_uint256_put_compact(&ev.amount, t));
			tl_buf_put(&v, ev.memo, ev.memo_len);
			put(b, u, k, 45, v.data, v.len);
			if (c) c->outbounds++;
		}
		tl_buf_free(&v);
		/* the vault, learned */
		k[0] = 'v';
		memcpy(k + 1, ev.vault, 20);
		tl_put_be64(k + 21, l->block);
		tl_put_be32(k + 29, l->log_index);
		put(b, u, k, 33, "", 0);
	}
}

/* The first key of family XLINK at or after prefix[0..pl) that starts
 * with it: 1 with the value copied to *v (malloc'd) and the key to
 * key[0..kcap), 0 none, -1 error. */
static int first_with(struct tl_eth_store *s, const uint8_t *prefix, size_t pl, uint8_t *key, size_t kcap, size_t *kl,
		      char **v, size_t *vl, struct tl_err *err)
{
	rocksdb_iterator_t *it = tl_eth_store_iter(s, TL_ECF_XLINK, true);
	rocksdb_iter_seek(it, (const char *)prefix, pl);
	int r = 0;
	if (rocksdb_iter_valid(it)) {
		size_t n;
		const char *k = rocksdb_iter_key(it, &n);
		if (n >= pl && !memcmp(k, prefix, pl)) {
			r = 1;
			*kl = n < kcap ? n : kcap;
			memcpy(key, k, *kl);
			if (v) {
				const char *val = rocksdb_iter_value(it, vl);
				*v = malloc(*vl ? *vl : 1);
				if (!*v) abort();
				memcpy(*v, val, *vl);
			}
		}
	}
	char *rerr = NULL;
	rocksdb_iter_get_error(it, &rerr);
	rocksdb_iter_destroy(it);
	if (rerr) return tl_eth_store_rocks_err(err, "reading cross-chain links", rerr);
	return r;
}

int tl_eth_links_resolve(struct tl_eth_store *s, const uint8_t in_hash[32], struct tl_eth_outbound *out, struct tl_err *err)
{
	uint8_t p[33], k[45];
	p[0] = 'o';
	memcpy(p + 1, in_hash, 32);
	size_t kl, vl;
	char *v = NULL;
	int r = first_with(s, p, 33, k, sizeof k, &kl, &v, &vl, err);
	if (r <= 0) return r;
	memset(out, 0, sizeof *out);
	const uint8_t *q = (const uint8_t *)v;
	size_t used = 0;
	if (kl == 45 && vl > 1 + 32 + 60) {
		out->kind = q[0];
		memcpy(out->tx_hash, q + 1, 32);
		memcpy(out->vault, q + 33, 20);
		memcpy(out->to, q + 53, 20);
		memcpy(out->asset, q + 73, 20);
		used = tl_uint256_get_compact(q + 93, vl - 93, &out->amount);
		out->block = tl_get_be64(k + 33);
		out->log_index = tl_get_be32(k + 41);
	}
	free(v);
	return used ? 1 : tl_err_set(err, "a cross-chain link record is damaged");
}

int tl_eth_links_is_vault(struct tl_eth_store *s, const uint8_t addr[20], struct tl_err *err)
{
	uint8_t p[21], k[33];
	p[0] = 'v';
	memcpy(p + 1, addr, 20);
	size_t kl;
	return first_with(s, p, 21, k, sizeof k, &kl, NULL, NULL, err);
}

int tl_eth_links_count(struct tl_eth_store *s, struct tl_eth_links_counts *c, uint64_t *vaults, struct tl_err *err)
{
	memset(c, 0, sizeof *c);
	*vaults = 0;
	rocksdb_iterator_t *it = tl_eth_store_iter(s, TL_ECF_XLINK, false);
	for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
		size_t n;
		const char *k = rocksdb_iter_key(it, &n);
		if (!n) continue;
		if (k[0] == 'd') c->deposits++;
		else if (k[0] == 'o') c->outbounds++;
		else if (k[0] == 'x') c->malformed++;
		else if (k[0] == 'v') (*vaults)++;
	}
	char *rerr = NULL;
	rocksdb_iter_get_error(it, &rerr);
	rocksdb_iter_destroy(it);
	return rerr ? tl_eth_store_rocks_err(err, "reading cross-chain links", rerr) : 0;
}

int tl_eth_links_each_vault(struct tl_eth_store *s, int (*cb)(void *ctx, const uint8_t addr[20]), void *ctx,
			    struct tl_err *err)
{
	rocksdb_iterator_t *it = tl_eth_store_iter(s, TL_ECF_XLINK, true);
	uint8_t last[20];
	bool any = false;
	int rc = 0;
	for (rocksdb_iter_seek(it, "v", 1); rc == 0 && rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
		size_t n;
		const char *k = rocksdb_iter_key(it, &n);
		if (n != 33 || k[0] != 'v') break;
		/* rows of one vault are adjacent: one call each */
		if (any && !memcmp(last, k + 1, 20)) continue;
		memcpy(last, k + 1, 20);
		any = true;
		rc = cb(ctx, last);
	}
	char *rerr = NULL;
	rocksdb_iter_get_error(it, &rerr);
	rocksdb_iter_destroy(it);
	return rerr ? tl_eth_store_rocks_err(err, "reading cross-chain links", rerr) : rc;
}
