/* Transfers from the model's tables (rules in derive.h). The tables are
 * sorted (tl_eth_data_finish), so one pass with a cursor per table walks
 * blocks and, inside each, transaction positions in order; a table that
 * is absent simply contributes nothing. */
#include "ethereum/derive.h"

#include <stdlib.h>
#include <string.h>

const uint8_t TL_ETH_TOPIC_TRANSFER[32] = { 0xdd, 0xf2, 0x52, 0xad, 0x1b, 0xe2, 0xc8, 0x9b, 0x69, 0xc2, 0xb0,
					     0x68, 0xfc, 0x37, 0x8d, 0xaa, 0x95, 0x2b, 0xa7, 0xf1, 0x63, 0xc4,
					     0xa1, 0x16, 0x28, 0xf5, 0x5a, 0x4d, 0xf5, 0x23, 0xb3, 0xef };
const uint8_t TL_ETH_TOPIC_DEPOSIT[32] = { 0xe1, 0xff, 0xfc, 0xc4, 0x92, 0x3d, 0x04, 0xb5, 0x59, 0xf4, 0xd2,
					    0x9a, 0x8b, 0xfc, 0x6c, 0xda, 0x04, 0xeb, 0x5b, 0x0d, 0x3c, 0x46,
					    0x07, 0x51, 0xc2, 0x40, 0x2c, 0x5c, 0x5c, 0xc9, 0x10, 0x9c };
const uint8_t TL_ETH_TOPIC_WITHDRAWAL[32] = { 0x7f, 0xcf, 0x53, 0x2c, 0x15, 0xf0, 0xa6, 0xdb, 0x0b, 0xd6, 0xd0,
					       0xe0, 0x38, 0xbe, 0xa7, 0x1d, 0x30, 0xd8, 0x08, 0xc7, 0xd9, 0x8c,
					       0xb3, 0xbf, 0x72, 0x68, 0xa9, 0x5b, 0xf5, 0x08, 0x1b, 0x65 };

const char *tl_eth_kind_name(enum tl_eth_kind k)
{
	static const char *N[] = { "fee", "native", "token", "mint", "burn", "reward", "withdrawal" };
	return (unsigned)k < TL_ETH_KIND_COUNT ? N[k] : "?";
}

void tl_eth_transfers_free(struct tl_eth_transfers *t)
{
	free(t->v);
	memset(t, 0, sizeof *t);
}

static struct tl_eth_transfer *push(struct tl_eth_transfers *o)
{
	return tl_eth_vec_push((void **)&o->v, &o->n, &o->cap, sizeof *o->v);
}

static bool is_prefix(const struct tl_eth_trace *anc, const struct tl_eth_trace *t)
{
	if (anc->depth >= t->depth) return false;
	for (uint32_t i = 0; i < anc->depth; i++)
		if (anc->addr[i] != t->addr[i]) return false;
	return true;
}

#define MIN_AT(cond, val) \
	do {              \
		if ((cond) && (val) < m) m = (val); \
	} while (0)

int tl_eth_derive(const struct tl_eth_data *d, const uint8_t *weth, struct tl_eth_transfers *out, struct tl_err *err)
{
	size_t ib = 0, it = 0, ir = 0, il = 0, ik = 0, itr = 0, iw = 0;
	bool use_logs = (d->have & TL_ETH_HAVE_LOGS) != 0;
	for (;;) {
		uint64_t B = UINT64_MAX, m = UINT64_MAX;
		MIN_AT(ib < d->n_blocks, d->blocks[ib].number);
		MIN_AT(it < d->n_txs, d->txs[it].block);
		MIN_AT(ir < d->n_rcpts, d->rcpts[ir].block);
		MIN_AT(il < d->n_logs, d->logs[il].block);
		MIN_AT(ik < d->n_toktx, d->toktx[ik].block);
		MIN_AT(itr < d->n_traces, d->traces[itr].block);
		MIN_AT(iw < d->n_wds, d->wds[iw].block);
		if (m == UINT64_MAX) break;
		B = m;
		const struct tl_eth_block *blk = (ib < d->n_blocks && d->blocks[ib].number == B) ? &d->blocks[ib++] : NULL;
		for (;;) {
			m = UINT64_MAX;
			MIN_AT(it < d->n_txs && d->txs[it].block == B, d->txs[it].index);
			MIN_AT(ir < d->n_rcpts && d->rcpts[ir].block == B, d->rcpts[ir].index);
			MIN_AT(il < d->n_logs && d->logs[il].block == B, d->logs[il].tx_index);
			MIN_AT(ik < d->n_toktx && d->toktx[ik].block == B && d->toktx[ik].tx_index != TL_ETH_NO_TX,
			       d->toktx[ik].tx_index);
			MIN_AT(itr < d->n_traces && d->traces[itr].block == B && d->traces[itr].tx_index != TL_ETH_NO_TX,
			       d->traces[itr].tx_index);
			if (m >= TL_ETH_NO_TX) break;
			uint32_t X = (uint32_t)m;
			const struct tl_eth_tx *tx = (it < d->n_txs && d->txs[it].block == B && d->txs[it].index == X) ? &d->txs[it++] : NULL;
			const struct tl_eth_receipt *rc =
				(ir < d->n_rcpts && d->rcpts[ir].block == B && d->rcpts[ir].index == X) ? &d->rcpts[ir++] : NULL;
			if (tx && rc && memcmp(tx->hash, rc->tx_hash, 32))
				return tl_err_set(err, "block %llu position %u: the receipt is for another transaction",
						  (unsigned long long)B, X);
			const uint8_t *hash = tx ? tx->hash : rc ? rc->tx_hash : NULL;
			if (!hash && il < d->n_logs && d->logs[il].block == B && d->logs[il].tx_index == X) hash = d->logs[il].tx_hash;
			int status = rc ? rc->status : -1;
#define NEW(K)                                              \
	struct tl_eth_transfer *x = push(out);              \
	x->block = B;                                       \
	x->tx_index = X;                                    \
	x->kind = K;                                        \
	if (hash) {                                         \
		x->has_tx = true;                           \
		memcpy(x->tx_hash, hash, 32);               \
	}
			/* the fee */
			if (tx && rc) {
				tl_uint256 fee, burnt = tl_uint256_from_u64(0);
				const tl_uint256 *price = rc->has_eff_price ? &rc->eff_price : &tx->gas_price;
				if (tl_uint256_mul_u64(&fee, price, rc->gas_used))
					return tl_err_set(err, "block %llu position %u: the fee overflows 256 bits", (unsigned long long)B, X);
				if (blk && blk->has_base_fee) {
					if (tl_uint256_mul_u64(&burnt, &blk->base_fee, rc->gas_used)) burnt = fee;
					if (tl_uint256_cmp(&burnt, &fee) > 0) burnt = fee;
				}
				if (!tl_uint256_is_zero(&fee)) {
					NEW(TL_ETH_FEE);
					x->has_from = true;
					memcpy(x->from, tx->from, 20);
					if (blk) {
						x->has_to = true;
						memcpy(x->to, blk->miner, 20);
					}
					x->amount = fee;
					x->burnt = burnt;
				}
			}
			/* native ether */
			size_t t0 = itr;
			while (itr < d->n_traces && d->traces[itr].block == B && d->traces[itr].tx_index == X) itr++;
			if (status != 0 && itr > t0) {
				for (size_t i = t0; i < itr; i++) {
					const struct tl_eth_trace *t = &d->traces[i];
					bool failed = t->error;
					for (size_t a = t0; a < i && !failed; a++)
						if (d->traces[a].error && is_prefix(&d->traces[a], t)) failed = true;
					if (failed || tl_uint256_is_zero(&t->value) || !t->has_from || !t->has_to) continue;
					if (t->type == TL_ETH_TR_CALL && t->call_type != TL_ETH_CT_CALL && t->call_type != TL_ETH_CT_NONE)
						continue;
					if (t->type == TL_ETH_TR_REWARD) continue;
					NEW(TL_ETH_NATIVE);
					x->seq = (uint32_t)(i - t0);
					x->has_from = x->has_to = true;
					memcpy(x->from, t->from, 20);
					memcpy(x->to, t->to, 20);
					x->amount = t->value;
				}
			} else if (status != 0 && tx && !tl_uint256_is_zero(&tx->value)) {
				NEW(TL_ETH_NATIVE);
				x->has_from = true;
				memcpy(x->from, tx->from, 20);
				if (tx->has_to) {
					x->has_to = true;
					memcpy(x->to, tx->to, 20);
				} else if (rc && rc->has_contract) {
					x->has_to = true;
					memcpy(x->to, rc->contract, 20);
				}
				x->amount = tx->value;
			}
			/* tokens */
			for (; il < d->n_logs && d->logs[il].block == B && d->logs[il].tx_index == X; il++) {
				const struct tl_eth_log *l = &d->logs[il];
				if (status == 0 || l->ntopics < 2 || l->data_len != 32 || tl_uint256_is_zero(&l->word0)) continue;
				if (!memcmp(l->topics[0], TL_ETH_TOPIC_TRANSFER, 32) && l->ntopics == 3) {
					NEW(TL_ETH_TOKEN);
					x->seq = l->log_index;
					x->is_token = x->has_from = x->has_to = true;
					memcpy(x->token, l->address, 20);
					memcpy(x->from, l->topics[1] + 12, 20);
					memcpy(x->to, l->topics[2] + 12, 20);
					x->amount = l->word0;
				} else if (weth && !memcmp(l->address, weth, 20) && l->ntopics == 2 &&
					   (!memcmp(l->topics[0], TL_ETH_TOPIC_DEPOSIT, 32) ||
					    !memcmp(l->topics[0], TL_ETH_TOPIC_WITHDRAWAL, 32))) {
					bool dep = !memcmp(l->topics[0], TL_ETH_TOPIC_DEPOSIT, 32);
					NEW(dep ? TL_ETH_MINT : TL_ETH_BURN);
					x->seq = l->log_index;
					x->is_token = true;
					memcpy(x->token, l->address, 20);
					if (dep) {
						x->has_to = true;
						memcpy(x->to, l->topics[1] + 12, 20);
					} else {
						x->has_from = true;
						memcpy(x->from, l->topics[1] + 12, 20);
					}
					x->amount = l->word0;
				}
			}
			for (; ik < d->n_toktx && d->toktx[ik].block == B && d->toktx[ik].tx_index == X; ik++) {
				const struct tl_eth_toktx *k = &d->toktx[ik];
				if (use_logs || status == 0 || tl_uint256_is_zero(&k->value)) continue;
				NEW(TL_ETH_TOKEN);
				x->seq = k->log_index;
				x->is_token = x->has_from = x->has_to = true;
				memcpy(x->token, k->token, 20);
				memcpy(x->from, k->from, 20);
				memcpy(x->to, k->to, 20);
				x->amount = k->value;
			}
#undef NEW
		}
		/* block level: token transfers of unknown transactions, rewards, withdrawals */
		for (; ik < d->n_toktx && d->toktx[ik].block == B; ik++) {
			const struct tl_eth_toktx *k = &d->toktx[ik];
			if (use_logs || tl_uint256_is_zero(&k->value)) continue;
			struct tl_eth_transfer *x = push(out);
			x->block = B;
			x->tx_index = TL_ETH_NO_TX;
			x->kind = TL_ETH_TOKEN;
			x->seq = k->log_index;
			x->has_tx = k->has_tx_hash;
			memcpy(x->tx_hash, k->tx_hash, 32);
			x->is_token = x->has_from = x->has_to = true;
			memcpy(x->token, k->token, 20);
			memcpy(x->from, k->from, 20);
			memcpy(x->to, k->to, 20);
			x->amount = k->value;
		}
		uint32_t rseq = 0;
		for (; itr < d->n_traces && d->traces[itr].block == B; itr++) {
			const struct tl_eth_trace *t = &d->traces[itr];
			if (t->type != TL_ETH_TR_REWARD || !t->has_to || tl_uint256_is_zero(&t->value)) continue;
			struct tl_eth_transfer *x = push(out);
			x->block = B;
			x->tx_index = TL_ETH_NO_TX;
			x->kind = TL_ETH_REWARD;
			x->seq = rseq++;
			x->has_to = true;
			memcpy(x->to, t->to, 20);
			x->amount = t->value;
		}
		for (; iw < d->n_wds && d->wds[iw].block == B; iw++) {
			const struct tl_eth_withdrawal *w = &d->wds[iw];
			if (tl_uint256_is_zero(&w->amount_wei)) continue;
			struct tl_eth_transfer *x = push(out);
			x->block = B;
			x->tx_index = TL_ETH_NO_TX;
			x->kind = TL_ETH_WITHDRAWAL;
			x->seq = (uint32_t)w->index;
			x->has_to = true;
			memcpy(x->to, w->addr, 20);
			x->amount = w->amount_wei;
		}
		/* rows of this block not consumed above (e.g. logs of a position
		 * whose tx index was out of order) cannot remain: every cursor
		 * advanced to the next block */
		while (it < d->n_txs && d->txs[it].block == B) it++;
		while (ir < d->n_rcpts && d->rcpts[ir].block == B) ir++;
		while (il < d->n_logs && d->logs[il].block == B) il++;
	}
	return 0;
}
