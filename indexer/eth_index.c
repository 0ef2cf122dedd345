/* Ethereum indexing (eth_index.h). The caches: accounts (address -> id)
 * and totals ((account, asset) -> received/sent/fees/count) live across
 * batches within a byte budget; entries created or changed since the
 * last commit are never evicted before it, since the database does not
 * have them yet. */
#include "indexer/eth_index.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ethereum/derive.h"
#include "base/hmap.h"
#include "store/eth_links.h"
#include "store/eth_undo.h"

struct acct_ent {
	uint64_t id;
};
struct stat_ent {
	struct tl_eth_stat st;
	uint64_t dirty_gen; /* the batch that last changed it (0: never) */
};

struct tl_eth_indexer {
	struct tl_eth_store *s;
	struct tl_eth_batch *b;
	struct tl_eth_tip tip;
	struct tl_hmap accts, stats, assets;
	uint64_t gen;                 /* current batch number, from 1 */
	const struct tl_eth_data *d;
	struct tl_err *err;
	struct tl_eth_index_opts o;
	/* Reads that cannot hit are skipped: while no account left the
	 * cache, an address the cache lacks is new if the database had no
	 * accounts when this indexer began (first_acct == 1); while no
	 * totals left the cache, an account created by this indexer has none
	 * stored. */
	uint64_t first_acct;
	bool accts_evicted;
	/* accounts (by id) some of whose totals left the cache: only theirs,
	 * and those of accounts older than this indexer, need a read */
	uint8_t *stat_gone;
	size_t stat_gone_bytes;
};

static bool stat_maybe_stored(const struct tl_eth_indexer *x, uint64_t acct)
{
	if (acct < x->first_acct) return true;
	uint64_t i = acct / 8;
	return i < x->stat_gone_bytes && (x->stat_gone[i] >> (acct % 8) & 1);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The id of addr, assigning one at first sight. Returns 0 on error. */
static uint64_t acct_id(struct tl_eth_indexer *x, const uint8_t addr[20])
{
	struct tl_hent *e = tl_hmap_get(&x->accts, addr, 20);
	if (e) {
		tl_hmap_touch(&x->accts, e);
		return ((struct acct_ent *)tl_hent_val(e))->id;
	}
	uint64_t id;
	int r = 0;
	if (x->accts_evicted || x->first_acct != 1) r = tl_eth_store_account_id(x->s, addr, &id, x->err);
	if (r < 0) return 0;
	if (r == 0) {
		id = x->tip.next_acct++;
		tl_eth_batch_put_account(x->b, addr, id);
	}
	e = tl_hmap_insert(&x->accts, addr, 20, sizeof(struct acct_ent));
	((struct acct_ent *)tl_hent_val(e))->id = id;
	return id;
}

static uint32_t asset_id(struct tl_eth_indexer *x, const uint8_t contract[20], bool *fail)
{
	struct tl_hent *e = tl_hmap_get(&x->assets, contract, 20);
	if (e) return *(uint32_t *)tl_hent_val(e);
	uint32_t id;
	int r = tl_eth_store_asset_id(x->s, contract, &id, x->err);
	if (r < 0) {
		*fail = true;
		return 0;
	}
	if (r == 0) {
		struct tl_eth_asset_rec a;
		memset(&a, 0, sizeof a);
		a.id = id = x->tip.next_asset++;
		memcpy(a.contract, contract, 20);
		a.decimals = -1;
		for (size_t i = 0; i < x->d->n_tokens; i++)
			if (!memcmp(x->d->tokens[i].address, contract, 20)) {
				a.decimals = (int16_t)x->d->tokens[i].decimals;
				memcpy(a.symbol, x->d->tokens[i].symbol, sizeof a.symbol);
			}
		tl_eth_batch_put_asset(x->b, &a);
	}
	e = tl_hmap_insert(&x->assets, contract, 20, sizeof(uint32_t));
	*(uint32_t *)tl_hent_val(e) = id;
	return id;
}

static struct tl_eth_stat *stat_of(struct tl_eth_indexer *x, uint64_t acct, uint32_t asset)
{
	uint8_t k[12];
	memcpy(k, &acct, 8);
	memcpy(k + 8, &asset, 4);
	struct tl_hent *e = tl_hmap_get(&x->stats, k, 12);
	struct stat_ent *se;
	if (e) {
		tl_hmap_touch(&x->stats, e);
		se = tl_hent_val(e);
	} else {
		e = tl_hmap_insert(&x->stats, k, 12, sizeof(struct stat_ent));
		se = tl_hent_val(e);
		if (stat_maybe_stored(x, acct) && tl_eth_store_stat(x->s, acct, asset, &se->st, x->err) < 0) {
			tl_hmap_del(&x->stats, e);
			return NULL;
		}
	}
	se->dirty_gen = x->gen;
	return &se->st;
}

static int commit(struct tl_eth_indexer *x, size_t budget)
{
	/* dirty totals into the batch */
	for (size_t i = 0; i < x->stats.nb; i++)
		for (struct tl_hent *e = x->stats.b[i]; e; e = e->next) {
			struct stat_ent *se = tl_hent_val(e);
			if (se->dirty_gen != x->gen) continue;
			uint64_t acct;
			uint32_t asset;
			memcpy(&acct, tl_hent_key(e), 8);
			memcpy(&asset, tl_hent_key(e) + 8, 4);
			tl_eth_batch_put_stat(x->b, acct, asset, &se->st);
		}
	tl_eth_batch_put_tip(x->b, &x->tip);
	int r = tl_eth_store_write(x->s, x->b, x->err);
	tl_eth_batch_free(x->b);
	x->b = tl_eth_batch_new(x->s);
	x->gen++;
	/* everything is in the database now: the caches may shrink */
	size_t na = x->accts.count;
	tl_hmap_trim(&x->accts, budget / 2);
	x->accts_evicted |= x->accts.count < na;
	while (x->stats.bytes > budget / 2 && x->stats.lru_head) {
		struct tl_hent *e = x->stats.lru_head;
		uint64_t acct;
		memcpy(&acct, tl_hent_key(e), 8);
		uint64_t i = acct / 8;
		if (i >= x->stat_gone_bytes) {
			size_t nb = (size_t)i * 2 + 64;
			x->stat_gone = realloc(x->stat_gone, nb);
			if (!x->stat_gone) abort();
			memset(x->stat_gone + x->stat_gone_bytes, 0, nb - x->stat_gone_bytes);
			x->stat_gone_bytes = nb;
		}
		x->stat_gone[i] |= (uint8_t)(1u << (acct % 8));
		tl_hmap_del(&x->stats, e);
	}
	return r;
}

static int add(tl_uint256 *a, const tl_uint256 *b, struct tl_err *err)
{
	if (tl_uint256_add(a, a, b)) return tl_err_set(err, "an account's totals overflow 256 bits");
	return 0;
}

/* Checks that the blocks fit the database and each other; sets *start to
 * the first block to index. */
static int check_blocks(struct tl_eth_indexer *x, size_t *start)
{
	const struct tl_eth_data *d = x->d;
	if (!(d->have & TL_ETH_HAVE_BLOCKS) || d->n_blocks == 0)
		return tl_err_set(x->err, "no blocks in the input: the index needs the blocks table (hashes, parents, fee recipients)");
	size_t i = 0;
	for (; i < d->n_blocks && x->tip.height >= 0 && (int64_t)d->blocks[i].number <= x->tip.height; i++) {
		const struct tl_eth_block *b = &d->blocks[i];
		if ((int64_t)b->number < x->tip.first)
			return tl_err_set(x->err, "block %llu is before the first indexed block %lld", (unsigned long long)b->number,
					  (long long)x->tip.first);
		struct tl_eth_block_rec r;
		int k = tl_eth_store_block(x->s, b->number, &r, x->err);
		if (k < 0) return -1;
		if (k == 0 || memcmp(r.hash, b->hash, 32))
			return tl_err_set(x->err, "block %llu differs from the indexed one (another chain: index a fresh database)",
					  (unsigned long long)b->number);
	}
	*start = i;
	for (size_t j = i; j < d->n_blocks; j++) {
		const struct tl_eth_block *b = &d->blocks[j];
		bool first_ever = x->tip.height < 0 && j == i;
		if (first_ever) continue;
		uint64_t want = j == i ? (uint64_t)x->tip.height + 1 : d->blocks[j - 1].number + 1;
		const uint8_t *parent = j == i ? x->tip.hash : d->blocks[j - 1].hash;
		if (b->number != want)
			return tl_err_set(x->err, "block %llu follows block %llu: blocks %llu to %llu are missing",
					  (unsigned long long)b->number, (unsigned long long)want - 1, (unsigned long long)want,
					  (unsigned long long)b->number - 1);
		if (memcmp(b->parent, parent, 32))
			return tl_err_set(x->err, "block %llu's parent hash is not block %llu's hash (a reorg in the input?)",
					  (unsigned long long)b->number, (unsigned long long)want - 1);
	}
	/* every row belongs to a block of the input */
	for (size_t j = 0; j < d->n_txs; j++) {
		const struct tl_eth_tx *t = &d->txs[j];
		size_t lo = 0, hi = d->n_blocks;
		while (lo < hi) {
			size_t m = (lo + hi) / 2;
			if (d->blocks[m].number < t->block) lo = m + 1;
			else hi = m;
		}
		if (lo == d->n_blocks || d->blocks[lo].number != t->block)
			return tl_err_set(x->err, "transaction at block %llu position %u: its block is not in the input",
					  (unsigned long long)t->block, t->index);
	}
	return 0;
}

struct tl_eth_indexer *tl_eth_indexer_new(struct tl_eth_store *s, const struct tl_eth_index_opts *o)
{
	struct tl_eth_indexer *x = calloc(1, sizeof *x);
	if (!x) abort();
	x->s = s;
	if (o) x->o = *o;
	x->gen = 1;
	x->first_acct = 0; /* known at the first tip read */
	tl_hmap_init(&x->accts);
	tl_hmap_init(&x->stats);
	tl_hmap_init(&x->assets);
	return x;
}

void tl_eth_indexer_free(struct tl_eth_indexer *x)
{
	if (!x) return;
	tl_hmap_free(&x->accts);
	tl_hmap_free(&x->stats);
	tl_hmap_free(&x->assets);
	free(x->stat_gone);
	free(x);
}

int tl_eth_index_data(struct tl_eth_store *s, const struct tl_eth_data *d, const struct tl_eth_index_opts *o,
		      struct tl_eth_index_result *res, struct tl_err *err)
{
	struct tl_eth_indexer *x = tl_eth_indexer_new(s, o);
	int rc = tl_eth_indexer_add(x, d, res, err);
	tl_eth_indexer_free(x);
	return rc;
}

int tl_eth_indexer_add(struct tl_eth_indexer *x, const struct tl_eth_data *d, struct tl_eth_index_result *res,
		       struct tl_err *err)
{
	memset(res, 0, sizeof *res);
	struct tl_eth_store *s = x->s;
	const struct tl_eth_index_opts *o = &x->o;
	x->d = d;
	x->err = err;
	if (tl_eth_store_tip(s, &x->tip, err) < 0) return -1;
	if (x->first_acct == 0) x->first_acct = x->tip.next_acct;
	size_t start = 0;
	if (check_blocks(x, &start) < 0) return -1;
	res->skipped = start;
	const struct tl_eth_net *net = tl_eth_store_net(s);
	struct tl_eth_transfers xf = { 0 };
	if (tl_eth_derive(d, !strcmp(net->name, "mainnet") ? TL_ETH_WETH_MAINNET : NULL, &xf, err) < 0) return -1;
	/* every movement belongs to a block of the input (receipts, logs or
	 * traces of a block the blocks table lacks would be lost) */
	for (size_t i = 0, b = 0; i < xf.n; i++) {
		while (b < d->n_blocks && d->blocks[b].number < xf.v[i].block) b++;
		if (b == d->n_blocks || d->blocks[b].number != xf.v[i].block) {
			tl_err_set(err, "block %llu has receipts, logs or traces but is not in the blocks table",
				   (unsigned long long)xf.v[i].block);
			tl_eth_transfers_free(&xf);
			return -1;
		}
	}
	size_t budget = o->cache_bytes ? o->cache_bytes : (128u << 20);
	size_t batch_bytes = o->batch_bytes ? o->batch_bytes : (16u << 20);
	x->b = tl_eth_batch_new(s);
	uint32_t have0 = x->tip.have; /* a rollback of this input's first block restores it */
	x->tip.have &= d->have;
	double t0 = now();
	int rc = 0;
	size_t it = 0, ir = 0, ix = 0, il = 0;
	/* skip the rows of blocks already indexed */
	uint64_t first_new = start < d->n_blocks ? d->blocks[start].number : UINT64_MAX;
	while (it < d->n_txs && d->txs[it].block < first_new) it++;
	while (ir < d->n_rcpts && d->rcpts[ir].block < first_new) ir++;
	while (ix < xf.n && xf.v[ix].block < first_new) ix++;
	while (il < d->n_logs && d->logs[il].block < first_new) il++;
	for (size_t bi = start; rc == 0 && bi < d->n_blocks; bi++) {
		const struct tl_eth_block *b = &d->blocks[bi];
		struct tl_eth_tip prior = x->tip;
		if (bi == start) prior.have = have0;
		size_t it0 = it;
		struct tl_eth_block_rec br;
		memset(&br, 0, sizeof br);
		br.number = b->number;
		br.timestamp = b->timestamp;
		memcpy(br.hash, b->hash, 32);
		memcpy(br.parent, b->parent, 32);
		memcpy(br.miner, b->miner, 20);
		br.tx_count = b->tx_count;
		br.has_base_fee = b->has_base_fee;
		br.base_fee = b->base_fee;
		br.first_seq = x->tip.next_seq;
		/* rows of blocks absent from the input were refused above; rows
		 * between blocks cannot exist */
		size_t x0 = ix;
		for (; rc == 0 && ix < xf.n && xf.v[ix].block == b->number; ix++) {
			const struct tl_eth_transfer *t = &xf.v[ix];
			uint64_t seq = x->tip.next_seq++;
			struct tl_eth_xfer_rec r;
			memset(&r, 0, sizeof r);
			r.kind = t->kind;
			r.block = t->block;
			r.tx_index = t->tx_index;
			r.has_tx = t->has_tx;
			memcpy(r.tx_hash, t->tx_hash, 32);
			r.amount = t->amount;
			r.burnt = t->burnt;
			bool fail = false;
			r.asset = t->is_token ? asset_id(x, t->token, &fail) : 0;
			if (fail) {
				rc = -1;
				break;
			}
			if (t->has_from && !(r.from = acct_id(x, t->from))) {
				rc = -1;
				break;
			}
			tl_uint256 to_amt = t->amount;
			if (t->kind == TL_ETH_FEE && tl_uint256_sub(&to_amt, &t->amount, &t->burnt)) to_amt = tl_uint256_from_u64(0);
			if (t->has_to && !tl_uint256_is_zero(&to_amt) && !(r.to = acct_id(x, t->to))) {
				rc = -1;
				break;
			}
			tl_eth_batch_put_xfer(x->b, seq, &r);
			if (r.from) {
				struct tl_eth_stat *st = stat_of(x, r.from, r.asset);
				if (!st || add(t->kind == TL_ETH_FEE ? &st->fees : &st->sent, &t->amount, err) < 0) {
					rc = -1;
					break;
				}
				st->count++;
				tl_eth_batch_put_hist(x->b, r.from, r.asset, seq);
			}
			if (r.to) {
				struct tl_eth_stat *st = stat_of(x, r.to, r.asset);
				if (!st || add(&st->received, &to_amt, err) < 0) {
					rc = -1;
					break;
				}
				if (r.to != r.from) {
					st->count++;
					tl_eth_batch_put_hist(x->b, r.to, r.asset, seq);
				}
			}
		}
		if (rc) break;
		br.n_xfer = (uint32_t)(ix - x0);
		tl_eth_batch_put_block(x->b, &br);
		/* transactions, with their slice of the block's transfers */
		size_t k = x0;
		for (; it < d->n_txs && d->txs[it].block == b->number; it++) {
			const struct tl_eth_tx *t = &d->txs[it];
			while (ir < d->n_rcpts && (d->rcpts[ir].block < t->block ||
						   (d->rcpts[ir].block == t->block && d->rcpts[ir].index < t->index)))
				ir++;
			const struct tl_eth_receipt *rcpt =
				(ir < d->n_rcpts && d->rcpts[ir].block == t->block && d->rcpts[ir].index == t->index) ? &d->rcpts[ir] : NULL;
			struct tl_eth_tx_rec tr;
			memset(&tr, 0, sizeof tr);
			memcpy(tr.hash, t->hash, 32);
			tr.block = t->block;
			tr.index = t->index;
			memcpy(tr.from, t->from, 20);
			memcpy(tr.to, t->to, 20);
			tr.has_to = t->has_to;
			if (!t->has_to && rcpt && rcpt->has_contract) {
				tr.has_to = true;
				memcpy(tr.to, rcpt->contract, 20);
			}
			tr.status = rcpt ? (int8_t)rcpt->status : -1;
			tr.value = t->value;
			tr.gas_price = rcpt && rcpt->has_eff_price ? rcpt->eff_price : t->gas_price;
			tr.gas_used = rcpt ? rcpt->gas_used : 0;
			while (k < ix && xf.v[k].tx_index < t->index) k++;
			tr.first_seq = br.first_seq + (k - x0);
			size_t k1 = k;
			while (k1 < ix && xf.v[k1].tx_index == t->index) k1++;
			tr.n_xfer = (uint32_t)(k1 - k);
			tl_eth_batch_put_tx(x->b, &tr);
			x->tip.txs++;
			res->txs++;
		}
		/* THORChain router events: cross-chain links */
		struct tl_eth_undo u;
		tl_eth_undo_init(&u, &prior);
		size_t l0 = il;
		while (il < d->n_logs && d->logs[il].block == b->number) il++;
		tl_eth_links_add(x->b, o->undo_depth ? &u : NULL, d->logs + l0, il - l0, NULL);
		if (o->undo_depth) {
			for (size_t j = it0; j < it; j++) tl_eth_undo_tx(&u, d->txs[j].hash);
			tl_eth_batch_put_undo(x->b, b->number, &u);
			if (b->number >= o->undo_depth) tl_eth_batch_del_undo(x->b, b->number - o->undo_depth);
		}
		tl_eth_undo_free(&u);
		x->tip.height = (int64_t)b->number;
		if (x->tip.first < 0) x->tip.first = (int64_t)b->number;
		memcpy(x->tip.hash, b->hash, 32);
		res->blocks++;
		res->transfers += ix - x0;
		if (tl_eth_batch_bytes(x->b) >= batch_bytes || bi + 1 == d->n_blocks) {
			rc = commit(x, budget);
			if (rc == 0 && o->progress) {
				struct tl_eth_index_progress p = { bi + 1 - start, d->n_blocks - start, res->txs, now() - t0 };
				o->progress(o->ctx, &p);
			}
		}
	}
	if (rc == 0 && start == d->n_blocks) rc = commit(x, budget); /* nothing new: records what the input had */
	tl_eth_batch_free(x->b);
	x->b = NULL;
	if (rc < 0) {
		/* the caches may hold ids and totals of the failed batch, which
		 * the database never got: start them afresh */
		tl_hmap_clear(&x->accts);
		tl_hmap_clear(&x->stats);
		tl_hmap_clear(&x->assets);
		x->accts_evicted = true;
		x->first_acct = UINT64_MAX; /* every total may be stored */
	}
	tl_eth_transfers_free(&xf);
	return rc;
}
