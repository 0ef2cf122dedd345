/* Tables of the Ethereum model: growth, chain order, duplicates. */
#include "ethereum/model.h"

#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include "ethereum/address.h"
#include "ethereum/keccak.h"

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

static uint8_t router_topics[2][32];
static pthread_once_t router_once = PTHREAD_ONCE_INIT;
static void router_init(void)
{
	static const char dep[] = "Deposit(address,address,uint256,string)";
	static const char out[] = "TransferOut(address,address,address,uint256,string)";
	tl_keccak256(dep, sizeof dep - 1, router_topics[0]);
	tl_keccak256(out, sizeof out - 1, router_topics[1]);
}

bool tl_eth_log_keeps_data(const uint8_t topic0[32])
{
	pthread_once(&router_once, router_init);
	return !memcmp(topic0, router_topics[0], 32) || !memcmp(topic0, router_topics[1], 32);
}

int tl_eth_log_set_data(struct tl_eth_log *l, const char *hex)
{
	if (!l->ntopics || l->data_len > TL_ETH_LOG_DATA_MAX || !l->data_len || !tl_eth_log_keeps_data(l->topics[0])) return 0;
	l->data = malloc(l->data_len);
	if (!l->data) abort();
	if (tl_eth_hex_bytes(hex, 2 * l->data_len, l->data, l->data_len) < 0) {
		free(l->data);
		l->data = NULL;
		return -1;
	}
	return 0;
}

void tl_eth_data_free(struct tl_eth_data *d)
{
	for (size_t i = 0; i < d->n_traces; i++) free(d->traces[i].addr);
	for (size_t i = 0; i < d->n_logs; i++) free(d->logs[i].data);
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
#undef block_key
	/* logs: as DEDUP, but the kept data is compared by content */
	if (d->n_logs > 1) qsort(d->logs, d->n_logs, sizeof *d->logs, cmp_log);
	size_t wl = 0;
	for (size_t i = 0; i < d->n_logs; i++) {
		struct tl_eth_log *x = &d->logs[i];
		if (wl > 0 && cmp_log(&d->logs[wl - 1], x) == 0) {
			struct tl_eth_log *p = &d->logs[wl - 1];
			uint8_t *pd = p->data, *xd = x->data;
			p->data = x->data = NULL;
			bool same = !memcmp(p, x, sizeof *x) && !pd == !xd && (!pd || !memcmp(pd, xd, x->data_len));
			p->data = pd;
			free(xd);
			if (!same) {
				for (size_t k = i + 1; k < d->n_logs; k++) d->logs[wl + k - i - 1] = d->logs[k];
				d->n_logs = wl + d->n_logs - i - 1;
				return tl_err_set(err, "two different log rows for block %llu", (unsigned long long)p->block);
			}
			continue;
		}
		if (wl != i) d->logs[wl] = *x;
		wl++;
	}
	d->n_logs = wl;
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
