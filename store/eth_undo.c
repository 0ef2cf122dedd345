/* Undo rows and rolling back the tip block (eth_undo.h). */
#include "store/eth_undo.h"

#include <stdlib.h>
#include <string.h>

#include "store/eth_store_int.h"

#define UNDO_VERSION 1

void tl_eth_undo_init(struct tl_eth_undo *u, const struct tl_eth_tip *prior)
{
	memset(u, 0, sizeof *u);
	u->prior = *prior;
	tl_buf_init(&u->txs);
	tl_buf_init(&u->extra);
}

void tl_eth_undo_free(struct tl_eth_undo *u)
{
	tl_buf_free(&u->txs);
	tl_buf_free(&u->extra);
}

void tl_eth_undo_tx(struct tl_eth_undo *u, const uint8_t hash[32])
{
	tl_buf_put(&u->txs, hash, 32);
	u->ntx++;
}

void tl_eth_undo_key(struct tl_eth_undo *u, enum tl_eth_cf cf, const void *key, size_t kl)
{
	if (kl > 0xffff) abort(); /* keys of this database are short */
	uint8_t h[3] = { (uint8_t)cf, (uint8_t)(kl >> 8), (uint8_t)kl };
	tl_buf_put(&u->extra, h, 3);
	tl_buf_put(&u->extra, key, kl);
	u->nextra++;
}

void tl_eth_batch_put_undo(struct tl_eth_batch *b, uint64_t height, const struct tl_eth_undo *u)
{
	uint8_t k[8], tip[TL_ETH_TIP_BYTES];
	tl_put_be64(k, height);
	struct tl_buf v;
	tl_buf_init(&v);
	tl_buf_u8(&v, UNDO_VERSION);
	tl_eth_tip_encode(&u->prior, tip);
	tl_buf_put(&v, tip, sizeof tip);
	tl_buf_u32be(&v, u->ntx);
	tl_buf_put(&v, u->txs.data, u->txs.len);
	tl_buf_u32be(&v, u->nextra);
	tl_buf_put(&v, u->extra.data, u->extra.len);
	tl_eth_batch_put_raw(b, TL_ECF_UNDO, k, 8, v.data, v.len);
	tl_buf_free(&v);
}

void tl_eth_batch_del_undo(struct tl_eth_batch *b, uint64_t height)
{
	uint8_t k[8];
	tl_put_be64(k, height);
	tl_eth_batch_del_raw(b, TL_ECF_UNDO, k, 8);
}

int tl_eth_store_has_undo(struct tl_eth_store *s, uint64_t height, struct tl_err *err)
{
	uint8_t k[8];
	tl_put_be64(k, height);
	char *v;
	size_t vl;
	int r = tl_eth_store_get_raw(s, TL_ECF_UNDO, k, 8, &v, &vl, err);
	if (r == 1) rocksdb_free(v);
	return r;
}

/* A change to one (account, asset) total, to be taken back. */
struct delta {
	uint64_t acct;
	uint32_t asset;
	uint8_t field; /* 0 received, 1 sent, 2 fees */
	bool counted;  /* the transfer counted in its count */
	tl_uint256 amount;
};

static int cmp_delta(const void *a, const void *b)
{
	const struct delta *x = a, *y = b;
	if (x->acct != y->acct) return x->acct < y->acct ? -1 : 1;
	return x->asset < y->asset ? -1 : x->asset > y->asset;
}

static void hist_key(uint8_t k[20], uint64_t acct, uint32_t asset, uint64_t seq)
{
	tl_put_be64(k, acct);
	tl_put_be32(k + 8, asset);
	tl_put_be64(k + 12, seq);
}

/* Takes the deltas d[0..n) (one account and asset) back from its totals,
 * into b: the row rewritten, or deleted when nothing is left. */
static int take_back(struct tl_eth_store *s, struct tl_eth_batch *b, const struct delta *d, size_t n, struct tl_err *err)
{
	struct tl_eth_stat st;
	int r = tl_eth_store_stat(s, d->acct, d->asset, &st, err);
	if (r < 0) return -1;
	if (r == 0) return tl_err_set(err, "rollback: account %llu has no totals for asset %u", (unsigned long long)d->acct, d->asset);
	bool bad = false;
	for (size_t i = 0; i < n; i++) {
		tl_uint256 *f = d[i].field == 0 ? &st.received : d[i].field == 1 ? &st.sent : &st.fees;
		bad |= tl_uint256_sub(f, f, &d[i].amount);
		if (d[i].counted) {
			bad |= st.count == 0;
			st.count--;
		}
	}
	bool empty = st.count == 0;
	if (bad || (empty && !(tl_uint256_is_zero(&st.received) && tl_uint256_is_zero(&st.sent) && tl_uint256_is_zero(&st.fees))))
		return tl_err_set(err, "rollback: the totals of account %llu, asset %u do not hold the block's transfers (damaged)",
				  (unsigned long long)d->acct, d->asset);
	uint8_t k[12];
	tl_put_be64(k, d->acct);
	tl_put_be32(k + 8, d->asset);
	if (empty) tl_eth_batch_del_raw(b, TL_ECF_STAT, k, 12);
	else tl_eth_batch_put_stat(b, d->acct, d->asset, &st);
	return 0;
}

/* The block's transfers: deletes them and their history rows into b, and
 * takes their amounts back from the totals. */
static int undo_transfers(struct tl_eth_store *s, struct tl_eth_batch *b, const struct tl_eth_block_rec *br,
			  struct tl_err *err)
{
	size_t n = 0, cap = (size_t)br->n_xfer * 2 + 1;
	struct delta *d = malloc(cap * sizeof *d);
	if (!d) abort();
	int rc = 0;
	for (uint64_t seq = br->first_seq; rc == 0 && seq < br->first_seq + br->n_xfer; seq++) {
		struct tl_eth_xfer_rec x;
		int r = tl_eth_store_xfer(s, seq, &x, err);
		if (r <= 0) {
			rc = r < 0 ? -1 : tl_err_set(err, "rollback: transfer %llu of block %llu is missing", (unsigned long long)seq,
						     (unsigned long long)br->number);
			break;
		}
		uint8_t k[20];
		tl_put_be64(k, seq);
		tl_eth_batch_del_raw(b, TL_ECF_XFER, k, 8);
		/* as the indexer counted them (indexer/eth_index.c) */
		if (x.from) {
			d[n++] = (struct delta){ x.from, x.asset, x.kind == TL_ETH_FEE ? 2 : 1, true, x.amount };
			hist_key(k, x.from, x.asset, seq);
			tl_eth_batch_del_raw(b, TL_ECF_HIST, k, 20);
		}
		if (x.to) {
			tl_uint256 to_amt = x.amount;
			if (x.kind == TL_ETH_FEE && tl_uint256_sub(&to_amt, &x.amount, &x.burnt)) to_amt = tl_uint256_from_u64(0);
			d[n++] = (struct delta){ x.to, x.asset, 0, x.to != x.from, to_amt };
			hist_key(k, x.to, x.asset, seq);
			tl_eth_batch_del_raw(b, TL_ECF_HIST, k, 20);
		}
	}
	if (rc == 0) {
		qsort(d, n, sizeof *d, cmp_delta);
		for (size_t i = 0, j; rc == 0 && i < n; i = j) {
			for (j = i + 1; j < n && !cmp_delta(&d[i], &d[j]); j++) {
			}
			rc = take_back(s, b, d + i, j - i, err);
		}
	}
	free(d);
	return rc;
}

/* The parsed undo row of block height. */
struct undo_row {
	char *raw;
	size_t len;
	struct tl_eth_tip prior;
	const uint8_t *txs, *extra;
	uint32_t ntx, nextra;
	size_t extra_len;
};

static int read_undo(struct tl_eth_store *s, uint64_t height, struct undo_row *u, struct tl_err *err)
{
	uint8_t k[8];
	tl_put_be64(k, height);
	int r = tl_eth_store_get_raw(s, TL_ECF_UNDO, k, 8, &u->raw, &u->len, err);
	if (r < 0) return -1;
	if (r == 0)
		return tl_err_set(err,
				  "block %llu has no undo data (deeper than the undo depth, or indexed from an export): "
				  "cannot roll it back; index the new chain into a fresh database",
				  (unsigned long long)height);
	const uint8_t *p = (const uint8_t *)u->raw, *end = p + u->len;
	if (u->len < 1 + TL_ETH_TIP_BYTES + 4 || p[0] != UNDO_VERSION) goto bad;
	tl_eth_tip_decode(p + 1, &u->prior);
	p += 1 + TL_ETH_TIP_BYTES;
	u->ntx = tl_get_be32(p);
	p += 4;
	if ((size_t)(end - p) < (size_t)u->ntx * 32 + 4) goto bad;
	u->txs = p;
	p += (size_t)u->ntx * 32;
	u->nextra = tl_get_be32(p);
	p += 4;
	u->extra = p;
	u->extra_len = (size_t)(end - p);
	/* the extra keys must fill the rest exactly */
	for (uint32_t i = 0; i < u->nextra; i++) {
		if (end - p < 3) goto bad;
		size_t kl = (size_t)p[1] << 8 | p[2];
		if (p[0] >= TL_ECF_COUNT || (size_t)(end - p - 3) < kl) goto bad;
		p += 3 + kl;
	}
	if (p != end) goto bad;
	return 0;
bad:
	rocksdb_free(u->raw);
	u->raw = NULL;
	return tl_err_set(err, "the undo data of block %llu is damaged", (unsigned long long)height);
}

int tl_eth_store_rollback_tip(struct tl_eth_store *s, uint64_t *height, struct tl_err *err)
{
	struct tl_eth_tip tip;
	if (tl_eth_store_tip(s, &tip, err) < 0) return -1;
	if (tip.height < 0) return tl_err_set(err, "rollback: the database has no blocks");
	uint64_t h = (uint64_t)tip.height;
	*height = h;
	struct undo_row u = { 0 };
	if (read_undo(s, h, &u, err) < 0) return -1;
	struct tl_eth_block_rec br;
	int r = tl_eth_store_block(s, h, &br, err);
	int rc = 0;
	const struct tl_eth_tip *p = &u.prior;
	if (r <= 0) rc = r < 0 ? -1 : tl_err_set(err, "rollback: block %llu is missing", (unsigned long long)h);
	else if (memcmp(br.hash, tip.hash, 32) || (p->height != tip.height - 1 && !(p->height < 0 && tip.first == tip.height)) || p->next_seq != br.first_seq ||
		 br.first_seq + br.n_xfer != tip.next_seq || p->next_acct > tip.next_acct || p->next_asset > tip.next_asset ||
		 p->txs + u.ntx != tip.txs)
		rc = tl_err_set(err, "rollback: the undo data of block %llu does not match the tip (damaged)", (unsigned long long)h);
	struct tl_eth_batch *b = tl_eth_batch_new(s);
	if (rc == 0) rc = undo_transfers(s, b, &br, err);
	/* accounts and assets first seen in the block */
	for (uint64_t id = p->next_acct; rc == 0 && id < tip.next_acct; id++) {
		uint8_t addr[20], k[8];
		r = tl_eth_store_account_addr(s, id, addr, err);
		if (r <= 0) {
			rc = r < 0 ? -1 : tl_err_set(err, "rollback: account %llu is missing", (unsigned long long)id);
			break;
		}
		tl_put_be64(k, id);
		tl_eth_batch_del_raw(b, TL_ECF_ACCTID, k, 8);
		tl_eth_batch_del_raw(b, TL_ECF_ACCT, addr, 20);
	}
	for (uint32_t id = p->next_asset; rc == 0 && id < tip.next_asset; id++) {
		struct tl_eth_asset_rec a;
		r = tl_eth_store_asset(s, id, &a, err);
		if (r <= 0) {
			rc = r < 0 ? -1 : tl_err_set(err, "rollback: asset %u is missing", id);
			break;
		}
		uint8_t ka[21], ki[5];
		ka[0] = 'a';
		memcpy(ka + 1, a.contract, 20);
		ki[0] = 'i';
		tl_put_be32(ki + 1, id);
		tl_eth_batch_del_raw(b, TL_ECF_ASSET, ka, 21);
		tl_eth_batch_del_raw(b, TL_ECF_ASSET, ki, 5);
	}
	if (rc == 0) {
		for (uint32_t i = 0; i < u.ntx; i++) tl_eth_batch_del_raw(b, TL_ECF_TX, u.txs + (size_t)i * 32, 32);
		const uint8_t *q = u.extra;
		for (uint32_t i = 0; i < u.nextra; i++) {
			size_t kl = (size_t)q[1] << 8 | q[2];
			tl_eth_batch_del_raw(b, q[0], q + 3, kl);
			q += 3 + kl;
		}
		uint8_t k[8];
		tl_put_be64(k, h);
		tl_eth_batch_del_raw(b, TL_ECF_BLOCK, k, 8);
		tl_eth_batch_del_raw(b, TL_ECF_BLOCKHASH, br.hash, 32);
		tl_eth_batch_del_undo(b, h);
		tl_eth_batch_put_tip(b, p);
		rc = tl_eth_store_write(s, b, err);
	}
	tl_eth_batch_free(b);
	rocksdb_free(u.raw);
	return rc;
}
