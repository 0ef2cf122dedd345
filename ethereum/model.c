/* Tables of the Ethereum model: growth, chain order, duplicates. */
#include "ethereum/model.h"

#include <stdlib.h>
#include <string.h>

#include "ethereum/address.h"

const uint8_t TL_ETH_WETH_MAINNET[20] = { 0xc0, 0x2a, 0xaa, 0x39, 0xb2, 0x23, 0xfe, 0x8d, 0x0a, 0x0e,
					  0x5c, 0x4f, 0x27, 0xea, 0xd9, 0x08, 0x3c, 0x75, 0x6c, 0xc2 };

static const struct tl_eth_net NETS[] = {
	{ "mainnet", 1, "ethereum" },
	{ "sepolia", 11155111, "ethereum-sepolia" },
	{ "holesky", 17000, "ethereum-holesky" },
	{ "dev", 0, "ethereum-dev" },
};

const struct tl_eth_net *tl_eth_net_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof NETS / sizeof NETS[0]; i++)
		if (!strcmp(NETS[i].name, name)) return &NETS[i];
	return NULL;
}

void *tl_eth_vec_push(void **v, size_t *n, size_t *cap, size_t elem)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		void *p = realloc(*v, nc * elem);
		if (!p) abort();
		*v = p;
		*cap = nc;
	}
	void *e = (uint8_t *)*v + *n * elem;
	memset(e, 0, elem);
	(*n)++;
	return e;
}

void tl_eth_data_free(struct tl_eth_data *d)
{
	for (size_t i = 0; i < d->n_traces; i++) free(d->traces[i].addr);
	free(d->blocks);
	free(d->wds);
	free(d->txs);
	free(d->rcpts);
	free(d->logs);
	free(d->toktx);
	free(d->traces);
	free(d->tokens);
	memset(d, 0, sizeof *d);
}

static int cmp_u64(uint64_t a, uint64_t b) { return a < b ? -1 : a > b; }

static int cmp_block(const void *a, const void *b)
{
	return cmp_u64(((const struct tl_eth_block *)a)->number, ((const struct tl_eth_block *)b)->number);
}
static int cmp_wd(const void *a, const void *b)
{
	const struct tl_eth_withdrawal *x = a, *y = b;
	int c = cmp_u64(x->block, y->block);
	return c ? c : cmp_u64(x->index, y->index);
}
static int cmp_tx(const void *a, const void *b)
{
	const struct tl_eth_tx *x = a, *y = b;
	int c = cmp_u64(x->block, y->block);
	return c ? c : cmp_u64(x->index, y->index);
}
static int cmp_rcpt(const void *a, const void *b)
{
	const struct tl_eth_receipt *x = a, *y = b;
	int c = cmp_u64(x->block, y->block);
	return c ? c : cmp_u64(x->index, y->index);
}
static int cmp_log(const void *a, const void *b)
{
	const struct tl_eth_log *x = a, *y = b;
	int c = cmp_u64(x->block, y->block);
	return c ? c : cmp_u64(x->log_index, y->log_index);
}
static int cmp_toktx(const void *a, const void *b)
{
	const struct tl_eth_toktx *x = a, *y = b;
	int c = cmp_u64(x->block, y->block);
	return c ? c : cmp_u64(x->log_index, y->log_index);
}
/* Depth first by trace address: a parent before its children, siblings
 * by position. */
static int cmp_trace_addr(const struct tl_eth_trace *x, const struct tl_eth_trace *y)
{
	for (uint32_t i = 0; i < x->depth && i < y->depth; i++)
		if (x->addr[i] != y->addr[i]) return x->addr[i] < y->addr[i] ? -1 : 1;
	return cmp_u64(x->depth, y->depth);
}
static int cmp_trace(const void *a, const void *b)
{
	const struct tl_eth_trace *x = a, *y = b;
	int c = cmp_u64(x->block, y->block);
	if (!c) c = cmp_u64(x->tx_index, y->tx_index); /* rewards (NO_TX) last */
	if (!c) c = cmp_trace_addr(x, y);
	if (!c) c = cmp_u64(x->seq, y->seq);
	return c;
}
static bool same_trace(const struct tl_eth_trace *x, const struct tl_eth_trace *y)
{
	return x->block == y->block && x->tx_index == y->tx_index && x->type == y->type && x->call_type == y->call_type &&
	       x->has_from == y->has_from && x->has_to == y->has_to && x->error == y->error &&
	       !memcmp(x->from, y->from, 20) && !memcmp(x->to, y->to, 20) && !tl_uint256_cmp(&x->value, &y->value) &&
	       !cmp_trace_addr(x, y);
}

/* Sorts and drops exact duplicates; two different rows with one key are
 * an error. */
#define DEDUP(T, arr, n, cmp, what)                                                                      \
	do {                                                                                             \
		if ((n) > 1) qsort((arr), (n), sizeof(T), cmp);                                          \
		size_t w = 0;                                                                            \
		for (size_t i = 0; i < (n); i++) {                                                       \
			if (w > 0 && cmp(&(arr)[w - 1], &(arr)[i]) == 0) {                               \
				if (memcmp(&(arr)[w - 1], &(arr)[i], sizeof(T)))                         \
					return tl_err_set(err, "two different %s rows for block %llu", what, \
							  (unsigned long long)(arr)[i].block_key);       \
				continue;                                                                \
			}                                                                                \
			if (w != i) memcpy(&(arr)[w], &(arr)[i], sizeof(T));                           \
			w++;                                                                             \
		}                                                                                        \
		(n) = w;                                                                                 \
	} while (0)

int tl_eth_data_finish(struct tl_eth_data *d, struct tl_err *err)
{
#define block_key number
	DEDUP(struct tl_eth_block, d->blocks, d->n_blocks, cmp_block, "block");
#undef block_key
#define block_key block
	DEDUP(struct tl_eth_withdrawal, d->wds, d->n_wds, cmp_wd, "withdrawal");
	DEDUP(struct tl_eth_tx, d->txs, d->n_txs, cmp_tx, "transaction");
	DEDUP(struct tl_eth_receipt, d->rcpts, d->n_rcpts, cmp_rcpt, "receipt");
	DEDUP(struct tl_eth_log, d->logs, d->n_logs, cmp_log, "log");
#undef block_key
	/* token transfers: the transaction's index from its hash */
	for (size_t i = 0; i < d->n_toktx; i++) {
		struct tl_eth_toktx *t = &d->toktx[i];
		if (t->tx_index != TL_ETH_NO_TX || !t->has_tx_hash) continue;
		/* the block's transactions (sorted above), then its hash */
		size_t lo = 0, hi = d->n_txs;
		while (lo < hi) {
			size_t m = lo + (hi - lo) / 2;
			if (d->txs[m].block < t->block) lo = m + 1;
			else hi = m;
		}
		for (size_t j = lo; j < d->n_txs && d->txs[j].block == t->block; j++)
			if (!memcmp(d->txs[j].hash, t->tx_hash, 32)) {
				t->tx_index = d->txs[j].index;
				break;
			}
	}
#define block_key block
	DEDUP(struct tl_eth_toktx, d->toktx, d->n_toktx, cmp_toktx, "token transfer");
#undef block_key
	if (d->n_traces > 1) qsort(d->traces, d->n_traces, sizeof *d->traces, cmp_trace);
	size_t w = 0;
	for (size_t i = 0; i < d->n_traces; i++) {
		/* the same trace read twice (CSV and JSON of one table) */
		bool dup = false;
		for (size_t k = w; k > 0; k--) {
			struct tl_eth_trace *p = &d->traces[k - 1];
			if (p->block != d->traces[i].block || p->tx_index != d->traces[i].tx_index ||
			    cmp_trace_addr(p, &d->traces[i]))
				break;
			if (same_trace(p, &d->traces[i]) && p->type != TL_ETH_TR_REWARD) {
				dup = true;
				break;
			}
		}
		if (dup) {
			free(d->traces[i].addr);
			continue;
		}
		d->traces[w++] = d->traces[i];
	}
	d->n_traces = w;
	return 0;
}
