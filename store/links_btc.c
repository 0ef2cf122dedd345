/* The xlink family of the Bitcoin database. Keys (integers big-endian so
 * that iteration is in chain order):
 *   'm' tx_num                -> kind (1 byte) | memo text   a parsed memo
 *   'x' tx_num                -> reason text                 a malformed memo
 *   'o' in_hash(32) tx_num    -> kind (1 byte)               an outbound by the inbound it names
 *   'v' addr_id tx_num        -> (empty)                     a vault learned from an outbound's input */
#include "store/links_btc.h"

#include <stdlib.h>
#include <string.h>

#include "bridge/btc_memo.h"
#include "base/bytes.h"

static void be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++) v = v << 8 | p[i];
	return v;
}

static bool has_opreturn(const struct tl_tx *tx)
{
	for (uint32_t o = 0; o < tx->n_out; o++)
		if (tx->out[o].script_len && tx->out[o].script[0] == 0x6a) return true;
	return false;
}

/* Queues (del false) or deletes (del true) the derived keys of a parsed
 * outbound memo. */
static void outbound_keys(struct tl_batch *b, const struct tl_tx_rec *r, const struct tl_memo *m, bool del)
{
	uint8_t k[1 + 32 + 8];
	k[0] = 'o';
	memcpy(k + 1, m->in_hash, 32);
	be64(k + 33, r->tx_num);
	uint8_t kind = (uint8_t)m->kind;
	if (del) tl_batch_del(b, TL_CF_XLINK, k, sizeof k);
	else tl_batch_put(b, TL_CF_XLINK, k, sizeof k, &kind, 1);
	for (uint32_t i = 0; i < r->n_in; i++) {
		if (r->in[i].kind != TL_IN_KNOWN || !r->in[i].addr_id) continue;
		uint8_t v[1 + 8 + 8];
		v[0] = 'v';
		be64(v + 1, r->in[i].addr_id);
		be64(v + 9, r->tx_num);
		if (del) tl_batch_del(b, TL_CF_XLINK, v, sizeof v);
		else tl_batch_put(b, TL_CF_XLINK, v, sizeof v, NULL, 0);
	}
}

void tl_links_btc_put_tx(struct tl_batch *b, const struct tl_tx_rec *r, const struct tl_tx *tx)
{
	if (!has_opreturn(tx)) return;
	/* Room for more than a memo may hold, so that an over-long memo is
	 * seen (and counted) rather than cut. */
	char text[4 * TL_MEMO_MAX];
	int n = tl_btc_memo_text(tx, text, sizeof text);
	if (n <= 0) return; /* no data, or not push-only data: no memo */
	struct tl_memo m;
	const char *why;
	int rc = tl_memo_parse(text, (size_t)n, &m, &why);
	uint8_t k[9];
	be64(k + 1, r->tx_num);
	if (rc < 0) {
		k[0] = 'x';
		tl_batch_put(b, TL_CF_XLINK, k, sizeof k, why, strlen(why));
		return;
	}
	if (rc == 0) return;
	uint8_t v[1 + TL_MEMO_MAX];
	v[0] = (uint8_t)m.kind;
	memcpy(v + 1, text, (size_t)n);
	k[0] = 'm';
	tl_batch_put(b, TL_CF_XLINK, k, sizeof k, v, 1 + (size_t)n);
	if (m.kind == TL_MEMO_OUT || m.kind == TL_MEMO_REFUND) outbound_keys(b, r, &m, false);
}

int tl_links_btc_memo(struct tl_store *s, uint64_t tx_num, struct tl_memo *m, struct tl_err *err)
{
	uint8_t k[9], *v = NULL;
	size_t vl = 0;
	k[0] = 'm';
	be64(k + 1, tx_num);
	int rc = tl_store_get(s, TL_CF_XLINK, k, sizeof k, &v, &vl, err);
	if (rc <= 0) return rc;
	int pr = vl >= 1 ? tl_memo_parse((const char *)v + 1, vl - 1, m, NULL) : -1;
	free(v);
	if (pr != 1) return tl_err_set(err, "xlink record of transaction %llu does not hold a memo", (unsigned long long)tx_num);
	return 1;
}

int tl_links_btc_del_tx(struct tl_store *s, struct tl_batch *b, const struct tl_tx_rec *r, struct tl_err *err)
{
	uint8_t k[9];
	be64(k + 1, r->tx_num);
	k[0] = 'x';
	tl_batch_del(b, TL_CF_XLINK, k, sizeof k);
	struct tl_memo m;
	int rc = tl_links_btc_memo(s, r->tx_num, &m, err);
	if (rc <= 0) return rc;
	k[0] = 'm';
	tl_batch_del(b, TL_CF_XLINK, k, sizeof k);
	if (m.kind == TL_MEMO_OUT || m.kind == TL_MEMO_REFUND) outbound_keys(b, r, &m, true);
	return 0;
}

int tl_links_btc_outbounds(struct tl_store *s, const uint8_t in_hash[32], uint64_t *tx_nums, uint8_t *kinds, int cap,
			   struct tl_err *err)
{
	(void)err;
	uint8_t pre[33];
	pre[0] = 'o';
	memcpy(pre + 1, in_hash, 32);
	struct tl_iter *it = tl_iter_new(s, TL_CF_XLINK);
	int n = 0;
	for (tl_iter_seek(it, pre, sizeof pre); tl_iter_valid(it); tl_iter_next(it)) {
		size_t kl, vl;
		const uint8_t *k = tl_iter_key(it, &kl), *v = tl_iter_value(it, &vl);
		if (kl != 41 || memcmp(k, pre, sizeof pre) != 0) break;
		if (n < cap) {
			tx_nums[n] = get_be64(k + 33);
			kinds[n] = vl ? v[0] : 0;
		}
		n++;
	}
	tl_iter_free(it);
	return n;
}

int tl_links_btc_is_vault(struct tl_store *s, uint64_t addr_id, struct tl_err *err)
{
	(void)err;
	uint8_t pre[9];
	pre[0] = 'v';
	be64(pre + 1, addr_id);
	struct tl_iter *it = tl_iter_new(s, TL_CF_XLINK);
	tl_iter_seek(it, pre, sizeof pre);
	int found = 0;
	if (tl_iter_valid(it)) {
		size_t kl;
		const uint8_t *k = tl_iter_key(it, &kl);
		found = kl == 17 && memcmp(k, pre, sizeof pre) == 0;
	}
	tl_iter_free(it);
	return found;
}

int tl_links_btc_each_vault(struct tl_store *s, int (*cb)(void *ctx, uint64_t addr_id), void *ctx, struct tl_err *err)
{
	(void)err;
	uint8_t pre = 'v';
	uint64_t last = 0;
	int rc = 0;
	struct tl_iter *it = tl_iter_new(s, TL_CF_XLINK);
	for (tl_iter_seek(it, &pre, 1); tl_iter_valid(it) && !rc; tl_iter_next(it)) {
		size_t kl;
		const uint8_t *k = tl_iter_key(it, &kl);
		if (kl != 17 || k[0] != 'v') break;
		uint64_t a = get_be64(k + 1);
		if (a != last) rc = cb(ctx, a);
		last = a;
	}
	tl_iter_free(it);
	return rc;
}

int tl_links_btc_counts(struct tl_store *s, uint64_t *memos, uint64_t *outbounds, uint64_t *vault_rows,
			uint64_t *malformed, struct tl_err *err)
{
	(void)err;
	uint64_t c[256] = { 0 };
	struct tl_iter *it = tl_iter_new(s, TL_CF_XLINK);
	for (tl_iter_first(it); tl_iter_valid(it); tl_iter_next(it)) {
		size_t kl;
		const uint8_t *k = tl_iter_key(it, &kl);
		if (kl) c[k[0]]++;
	}
	tl_iter_free(it);
	if (memos) *memos = c['m'];
	if (outbounds) *outbounds = c['o'];
	if (vault_rows) *vault_rows = c['v'];
	if (malformed) *malformed = c['x'];
	return 0;
}

int tl_links_btc_resolve(struct tl_store *s, const uint8_t in_hash[32], uint64_t dest_addr_id,
			 struct tl_links_btc_payout *out, struct tl_err *err)
{
	uint64_t num;
	uint8_t kind;
	int n = tl_links_btc_outbounds(s, in_hash, &num, &kind, 1, err);
	if (n <= 0) return n;
	struct tl_tx_rec r;
	int rc = tl_store_tx(s, num, &r, err);
	if (rc <= 0) return rc < 0 ? -1 : tl_err_set(err, "outbound transaction %llu missing", (unsigned long long)num);
	int found = 0;
	for (uint32_t o = 0; o < r.n_out; o++) {
		uint64_t a = r.out[o].addr_id;
		if (!a) continue;
		bool pick;
		if (dest_addr_id) {
			pick = a == dest_addr_id;
		} else {
			pick = true;
			for (uint32_t i = 0; i < r.n_in && pick; i++)
				if (r.in[i].kind == TL_IN_KNOWN && r.in[i].addr_id == a) pick = false;
		}
		if (!pick) continue;
		if (found++) break;
		out->tx_num = num;
		out->kind = kind;
		out->vout = o;
		out->value = r.out[o].value;
	}
	tl_tx_rec_free(&r);
	if (found != 1)
		return tl_err_set(err, "outbound transaction %llu has %s payout", (unsigned long long)num,
				  found ? "more than one" : "no");
	return 1;
}
