/* Writes each simulated block as ethereum-etl CSV rows (blocks,
 * transactions, receipts, logs, token_transfers, traces: the column names
 * and order of ethereum-etl's exporters, as in its test fixtures) and as
 * a node's JSON-RPC responses (eth_getBlockByNumber with full
 * transactions, eth_getBlockReceipts, parity-style trace_block), one
 * response per line. Rows are formatted into one buffer per file and
 * written once per block. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sim/eth_internal.h"

static const char hexd[] = "0123456789abcdef";
static const char empty_uncles[] = "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347";
static const uint8_t empty_trie[32] = { 0x56, 0xe8, 0x1f, 0x17, 0x1b, 0xcc, 0x55, 0xa6, 0xff, 0x83, 0x45,
					0xe6, 0x92, 0xc0, 0xf8, 0x6e, 0x5b, 0x48, 0xe0, 0x1b, 0x99, 0x6c,
					0xad, 0xc0, 0x01, 0x62, 0x2f, 0xb5, 0xe3, 0x63, 0xb4, 0x21 };

struct sb { char *p; size_t n, cap; };

static void sb_need(struct sb *b, size_t k)
{
	if (b->n + k <= b->cap) return;
	size_t c = b->cap ? b->cap * 2 : 1 << 16;
	while (c < b->n + k) c *= 2;
	b->p = realloc(b->p, c);
	if (!b->p) abort();
	b->cap = c;
}
static void sb_s(struct sb *b, const char *s)
{
	size_t k = strlen(s);
	sb_need(b, k);
	memcpy(b->p + b->n, s, k);
	b->n += k;
}
static void sb_c(struct sb *b, char c) { sb_need(b, 1); b->p[b->n++] = c; }
static void sb_hex(struct sb *b, const uint8_t *p, size_t n)
{
	sb_need(b, 2 + 2 * n);
	char *o = b->p + b->n;
	*o++ = '0';
	*o++ = 'x';
	for (size_t i = 0; i < n; i++) { *o++ = hexd[p[i] >> 4]; *o++ = hexd[p[i] & 15]; }
	b->n += 2 + 2 * n;
}
static void sb_dec(struct sb *b, u128 v)
{
	char t[40];
	size_t k = esim_u128_dec(v, t);
	sb_need(b, k);
	memcpy(b->p + b->n, t, k);
	b->n += k;
}
/* JSON-RPC quantity: 0x + hex without leading zeros. */
static void sb_qty(struct sb *b, u128 v)
{
	char t[40];
	int k = 0;
	do { t[k++] = hexd[v & 15]; v >>= 4; } while (v);
	sb_need(b, 2 + (size_t)k);
	b->p[b->n++] = '0';
	b->p[b->n++] = 'x';
	while (k) b->p[b->n++] = t[--k];
}
static void sb_qstr(struct sb *b, u128 v) { sb_c(b, '"'); sb_qty(b, v); sb_c(b, '"'); }
static void sb_hstr(struct sb *b, const uint8_t *p, size_t n) { sb_c(b, '"'); sb_hex(b, p, n); sb_c(b, '"'); }

size_t esim_u128_dec(u128 v, char out[40])
{
	char t[40];
	size_t k = 0;
	do { t[k++] = (char)('0' + (int)(v % 10)); v /= 10; } while (v);
	for (size_t i = 0; i < k; i++) out[i] = t[k - 1 - i];
	out[k] = 0;
	return k;
}

void esim_hex(const uint8_t *p, size_t n, char *out)
{
	*out++ = '0';
	*out++ = 'x';
	for (size_t i = 0; i < n; i++) { *out++ = hexd[p[i] >> 4]; *out++ = hexd[p[i] & 15]; }
	*out = 0;
}

struct esim_out { struct sb blocks, txs, rcpt, logs, tt, traces, rb, rr, rt; };

static FILE *open1(const char *dir, const char *name, const char *header)
{
	char path[4200];
	if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) return NULL;
	FILE *f = fopen(path, "w");
	if (!f) return NULL;
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	if (header && fprintf(f, "%s\n", header) < 0) { fclose(f); return NULL; }
	return f;
}

int esim_out_open(struct esim *s, const char *dir)
{
	s->out = calloc(1, sizeof *s->out);
	if (!s->out) return tl_err_set(s->err, "out of memory");
	s->f_blocks = open1(dir, "blocks.csv",
			    "number,hash,parent_hash,nonce,sha3_uncles,logs_bloom,transactions_root,state_root,"
			    "receipts_root,miner,difficulty,total_difficulty,size,extra_data,gas_limit,gas_used,timestamp,"
			    "transaction_count,base_fee_per_gas,withdrawals_root,withdrawals");
	s->f_txs = open1(dir, "transactions.csv",
			 "hash,nonce,block_hash,block_number,transaction_index,from_address,to_address,value,gas,"
			 "gas_price,input,block_timestamp,max_fee_per_gas,max_priority_fee_per_gas,transaction_type");
	s->f_rcpt = open1(dir, "receipts.csv",
			  "transaction_hash,transaction_index,block_hash,block_number,cumulative_gas_used,gas_used,"
			  "contract_address,root,status,effective_gas_price,l1_fee,l1_gas_used,l1_gas_price,l1_fee_scalar");
	s->f_logs = open1(dir, "logs.csv",
			  "log_index,transaction_hash,transaction_index,block_hash,block_number,address,data,topics");
	s->f_tt = open1(dir, "token_transfers.csv",
			"token_address,from_address,to_address,value,transaction_hash,log_index,block_number");
	s->f_traces = open1(dir, "traces.csv",
			    "block_number,transaction_hash,transaction_index,from_address,to_address,value,input,output,"
			    "trace_type,call_type,reward_type,gas,gas_used,subtraces,trace_address,error,status,trace_id");
	if (!s->f_blocks || !s->f_txs || !s->f_rcpt || !s->f_logs || !s->f_tt || !s->f_traces)
		return tl_err_set(s->err, "cannot create the CSV files in %s: %s", dir, strerror(errno));
	if (s->p.rpc) {
		char sub[4200];
		if (snprintf(sub, sizeof sub, "%s/rpc", dir) >= (int)sizeof sub) return tl_err_set(s->err, "path too long");
		if (mkdir(sub, 0777) && errno != EEXIST) return tl_err_set(s->err, "cannot create %s: %s", sub, strerror(errno));
		s->f_rb = open1(sub, "eth_getBlockByNumber.jsonl", NULL);
		s->f_rr = open1(sub, "eth_getBlockReceipts.jsonl", NULL);
		s->f_rt = open1(sub, "trace_block.jsonl", NULL);
		if (!s->f_rb || !s->f_rr || !s->f_rt)
			return tl_err_set(s->err, "cannot create the JSON-RPC files in %s: %s", sub, strerror(errno));
	}
	return 0;
}

static uint64_t close1(FILE **f, int *bad)
{
	if (!*f) return 0;
	if (fflush(*f)) *bad = 1;
	long n = ftell(*f);
	if (fclose(*f)) *bad = 1;
	*f = NULL;
	return n > 0 ? (uint64_t)n : 0;
}

int esim_out_close(struct esim *s, uint64_t *csv_bytes, uint64_t *rpc_bytes)
{
	int bad = 0;
	*csv_bytes = close1(&s->f_blocks, &bad) + close1(&s->f_txs, &bad) + close1(&s->f_rcpt, &bad) +
		     close1(&s->f_logs, &bad) + close1(&s->f_tt, &bad) + close1(&s->f_traces, &bad);
	*rpc_bytes = close1(&s->f_rb, &bad) + close1(&s->f_rr, &bad) + close1(&s->f_rt, &bad);
	struct esim_out *x = s->out;
	if (x) {
		struct sb *all[] = { &x->blocks, &x->txs, &x->rcpt, &x->logs, &x->tt, &x->traces, &x->rb, &x->rr, &x->rt };
		for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) free(all[i]->p);
		free(x);
		s->out = NULL;
	}
	return bad ? -1 : 0;
}

/* ---- block header fields ------------------------------------------------ */

static void block_hashes(struct esim *s)
{
	struct eblock *b = &s->b;
	size_t n = b->n_tx;
	uint8_t *buf = malloc(64 * (n + b->n_wd) + 256);
	if (!buf) abort();
	memset(b->bloom, 0, sizeof b->bloom);
	for (size_t i = 0; i < n; i++) {
		memcpy(buf + 32 * i, b->tx[i].hash, 32);
		for (int k = 0; k < 256; k++) b->bloom[k] |= b->tx[i].bloom[k];
	}
	if (n) tl_keccak256(buf, 32 * n, b->tx_root);
	else memcpy(b->tx_root, empty_trie, 32);
	for (size_t i = 0; i < n; i++) {
		memcpy(buf + 16 * i, &b->tx[i].cumulative, 8);
		memset(buf + 16 * i + 8, b->tx[i].status, 8);
	}
	if (n) tl_keccak256(buf, 16 * n, b->rc_root);
	else memcpy(b->rc_root, empty_trie, 32);
	for (size_t i = 0; i < b->n_wd; i++) {
		memcpy(buf + 40 * i, &b->wd[i].index, 8);
		memcpy(buf + 40 * i + 8, &b->wd[i].gwei, 8);
		memcpy(buf + 40 * i + 16, s->a[b->wd[i].acct].addr, 20);
		memset(buf + 40 * i + 36, 0, 4);
	}
	if (b->n_wd) tl_keccak256(buf, 40 * b->n_wd, b->wd_root);
	else memcpy(b->wd_root, empty_trie, 32);
	uint8_t h[8 + 8 + 8];
	memcpy(h, "tlstate", 8);
	memcpy(h + 8, &s->p.seed, 8);
	memcpy(h + 16, &b->number, 8);
	tl_keccak256(h, sizeof h, b->state_root);
	uint8_t *p = buf;
	memcpy(p, b->parent, 32); p += 32;
	memcpy(p, &b->number, 8); p += 8;
	memcpy(p, &b->time, 8); p += 8;
	memcpy(p, b->tx_root, 32); p += 32;
	memcpy(p, b->rc_root, 32); p += 32;
	memcpy(p, b->state_root, 32); p += 32;
	memcpy(p, b->wd_root, 32); p += 32;
	memcpy(p, s->a[b->miner].addr, 20); p += 20;
	memcpy(p, &b->base_fee, 8); p += 8;
	memcpy(p, &b->gas_used, 8); p += 8;
	tl_keccak256(buf, (size_t)(p - buf), b->hash);
	free(buf);
	b->size = 620 + 120 * b->n_wd / 3;
	for (size_t i = 0; i < n; i++) b->size += 112 + b->tx[i].in_len;
}

static const char extra[] = "taintline-sim";

static void csv_addr(struct sb *o, struct esim *s, int32_t a) { sb_hex(o, s->a[a].addr, 20); }

static void csv_block(struct esim *s, struct sb *o)
{
	struct eblock *b = &s->b;
	sb_dec(o, b->number); sb_c(o, ',');
	sb_hex(o, b->hash, 32); sb_c(o, ',');
	sb_hex(o, b->parent, 32); sb_s(o, ",0x0000000000000000,");
	sb_s(o, empty_uncles); sb_c(o, ',');
	sb_hex(o, b->bloom, 256); sb_c(o, ',');
	sb_hex(o, b->tx_root, 32); sb_c(o, ',');
	sb_hex(o, b->state_root, 32); sb_c(o, ',');
	sb_hex(o, b->rc_root, 32); sb_c(o, ',');
	csv_addr(o, s, b->miner); sb_s(o, ",0,0,");
	sb_dec(o, b->size); sb_c(o, ',');
	sb_hex(o, (const uint8_t *)extra, sizeof extra - 1); sb_c(o, ',');
	sb_dec(o, b->gas_limit); sb_c(o, ',');
	sb_dec(o, b->gas_used); sb_c(o, ',');
	sb_dec(o, b->time); sb_c(o, ',');
	sb_dec(o, b->n_tx); sb_c(o, ',');
	sb_dec(o, b->base_fee); sb_c(o, ',');
	sb_hex(o, b->wd_root, 32); sb_c(o, ',');
	if (b->n_wd) {
		sb_c(o, '"');
		for (size_t i = 0; i < b->n_wd; i++) {
			if (i) sb_c(o, ',');
			sb_s(o, "{\"\"index\"\":");
			sb_dec(o, b->wd[i].index);
			sb_s(o, ",\"\"validator_index\"\":");
			sb_dec(o, b->wd[i].validator);
			sb_s(o, ",\"\"address\"\":\"\"");
			csv_addr(o, s, b->wd[i].acct);
			sb_s(o, "\"\",\"\"amount\"\":");
			sb_dec(o, b->wd[i].gwei);
			sb_c(o, '}');
		}
		sb_c(o, '"');
	}
	sb_s(o, "\n");
}

static void csv_txs(struct esim *s, struct sb *o, struct sb *r)
{
	struct eblock *b = &s->b;
	for (size_t i = 0; i < b->n_tx; i++) {
		const struct etx *t = &b->tx[i];
		sb_hex(o, t->hash, 32); sb_c(o, ',');
		sb_dec(o, t->nonce); sb_c(o, ',');
		sb_hex(o, b->hash, 32); sb_c(o, ',');
		sb_dec(o, b->number); sb_c(o, ',');
		sb_dec(o, i); sb_c(o, ',');
		csv_addr(o, s, t->from); sb_c(o, ',');
		csv_addr(o, s, t->to); sb_c(o, ',');
		sb_dec(o, t->value); sb_c(o, ',');
		sb_dec(o, t->gas); sb_c(o, ',');
		sb_dec(o, t->price); sb_c(o, ',');
		sb_hex(o, b->bytes + t->in_off, t->in_len); sb_c(o, ',');
		sb_dec(o, b->time); sb_c(o, ',');
		if (t->type == 2) { sb_dec(o, t->max_fee); sb_c(o, ','); sb_dec(o, t->prio); }
		else sb_c(o, ',');
		sb_c(o, ',');
		sb_dec(o, t->type);
		sb_s(o, "\n");
		/* receipts */
		sb_hex(r, t->hash, 32); sb_c(r, ',');
		sb_dec(r, i); sb_c(r, ',');
		sb_hex(r, b->hash, 32); sb_c(r, ',');
		sb_dec(r, b->number); sb_c(r, ',');
		sb_dec(r, t->cumulative); sb_c(r, ',');
		sb_dec(r, t->gas_used); sb_s(r, ",,,");
		sb_dec(r, t->status); sb_c(r, ',');
		sb_dec(r, t->price); sb_s(r, ",,,,\n");
	}
}

static void csv_logs(struct esim *s, struct sb *o, struct sb *tt)
{
	struct eblock *b = &s->b;
	for (size_t i = 0; i < b->n_lg; i++) {
		const struct elog *l = &b->lg[i];
		const struct etx *t = &b->tx[l->tx];
		sb_dec(o, i); sb_c(o, ',');
		sb_hex(o, t->hash, 32); sb_c(o, ',');
		sb_dec(o, l->tx); sb_c(o, ',');
		sb_hex(o, b->hash, 32); sb_c(o, ',');
		sb_dec(o, b->number); sb_c(o, ',');
		csv_addr(o, s, l->address); sb_c(o, ',');
		sb_hex(o, b->bytes + l->data_off, l->data_len); sb_c(o, ',');
		if (l->n_topics > 1) sb_c(o, '"');
		for (int k = 0; k < l->n_topics; k++) { if (k) sb_c(o, ','); sb_hex(o, l->topics[k], 32); }
		if (l->n_topics > 1) sb_c(o, '"');
		sb_s(o, "\n");
		if (l->n_topics == 3 && !memcmp(l->topics[0], s->t_transfer, 32) && l->data_len == 32) {
			const uint8_t *d = b->bytes + l->data_off;
			u128 v = 0;
			for (int k = 16; k < 32; k++) v = v << 8 | d[k];
			csv_addr(tt, s, l->address); sb_c(tt, ',');
			sb_hex(tt, l->topics[1] + 12, 20); sb_c(tt, ',');
			sb_hex(tt, l->topics[2] + 12, 20); sb_c(tt, ',');
			sb_dec(tt, v); sb_c(tt, ',');
			sb_hex(tt, t->hash, 32); sb_c(tt, ',');
			sb_dec(tt, i); sb_c(tt, ',');
			sb_dec(tt, b->number); sb_s(tt, "\n");
			s->n_tt++;
		}
	}
	s->n_logs += b->n_lg;
}

static void csv_traces(struct esim *s, struct sb *o)
{
	struct eblock *b = &s->b;
	for (size_t i = 0; i < b->n_tr; i++) {
		const struct etrace *t = &b->tr[i];
		const struct etx *x = &b->tx[t->tx];
		sb_dec(o, b->number); sb_c(o, ',');
		sb_hex(o, x->hash, 32); sb_c(o, ',');
		sb_dec(o, t->tx); sb_c(o, ',');
		csv_addr(o, s, t->from); sb_c(o, ',');
		csv_addr(o, s, t->to); sb_c(o, ',');
		sb_dec(o, t->value); sb_c(o, ',');
		sb_hex(o, b->bytes + t->in_off, t->in_len); sb_c(o, ',');
		if (!t->error) sb_hex(o, b->bytes + t->out_off, t->out_len);
		sb_s(o, ",call,");
		sb_s(o, t->call_type); sb_s(o, ",,");
		sb_dec(o, t->gas); sb_c(o, ',');
		if (!t->error) sb_dec(o, t->gas_used);
		sb_c(o, ',');
		sb_dec(o, t->subtraces); sb_c(o, ',');
		if (t->depth > 1) sb_c(o, '"');
		for (int k = 0; k < t->depth; k++) { if (k) sb_c(o, ','); sb_dec(o, t->path[k]); }
		if (t->depth > 1) sb_c(o, '"');
		sb_c(o, ',');
		if (t->error) sb_s(o, t->error);
		sb_c(o, ',');
		sb_dec(o, t->status); sb_s(o, ",call_");
		sb_hex(o, x->hash, 32); sb_c(o, '_');
		for (int k = 0; k < t->depth; k++) { if (k) sb_c(o, '_'); sb_dec(o, t->path[k]); }
		sb_s(o, "\n");
	}
	s->n_traces += b->n_tr;
}

/* ---- JSON-RPC ------------------------------------------------------------ */

static void rpc_head(struct sb *o, uint64_t id) { sb_s(o, "{\"jsonrpc\":\"2.0\",\"id\":"); sb_dec(o, id); sb_s(o, ",\"result\":"); }

static void rpc_block(struct esim *s, struct sb *o)
{
	struct eblock *b = &s->b;
	uint8_t mix[32], seed[40];
	memcpy(seed, b->hash, 32);
	memcpy(seed + 32, "prevrand", 8);
	tl_keccak256(seed, sizeof seed, mix);
	uint64_t chain = s->p.mainnet ? 1 : 1337;
	rpc_head(o, b->number);
	sb_s(o, "{\"baseFeePerGas\":"); sb_qstr(o, b->base_fee);
	sb_s(o, ",\"difficulty\":\"0x0\",\"extraData\":"); sb_hstr(o, (const uint8_t *)extra, sizeof extra - 1);
	sb_s(o, ",\"gasLimit\":"); sb_qstr(o, b->gas_limit);
	sb_s(o, ",\"gasUsed\":"); sb_qstr(o, b->gas_used);
	sb_s(o, ",\"hash\":"); sb_hstr(o, b->hash, 32);
	sb_s(o, ",\"logsBloom\":"); sb_hstr(o, b->bloom, 256);
	sb_s(o, ",\"miner\":"); sb_hstr(o, s->a[b->miner].addr, 20);
	sb_s(o, ",\"mixHash\":"); sb_hstr(o, mix, 32);
	sb_s(o, ",\"nonce\":\"0x0000000000000000\",\"number\":"); sb_qstr(o, b->number);
	sb_s(o, ",\"parentHash\":"); sb_hstr(o, b->parent, 32);
	sb_s(o, ",\"receiptsRoot\":"); sb_hstr(o, b->rc_root, 32);
	sb_s(o, ",\"sha3Uncles\":\""); sb_s(o, empty_uncles);
	sb_s(o, "\",\"size\":"); sb_qstr(o, b->size);
	sb_s(o, ",\"stateRoot\":"); sb_hstr(o, b->state_root, 32);
	sb_s(o, ",\"timestamp\":"); sb_qstr(o, b->time);
	sb_s(o, ",\"totalDifficulty\":\"0x0\",\"transactions\":[");
	for (size_t i = 0; i < b->n_tx; i++) {
		const struct etx *t = &b->tx[i];
		if (i) sb_c(o, ',');
		sb_s(o, "{\"blockHash\":"); sb_hstr(o, b->hash, 32);
		sb_s(o, ",\"blockNumber\":"); sb_qstr(o, b->number);
		sb_s(o, ",\"from\":"); sb_hstr(o, s->a[t->from].addr, 20);
		sb_s(o, ",\"gas\":"); sb_qstr(o, t->gas);
		sb_s(o, ",\"gasPrice\":"); sb_qstr(o, t->price);
		if (t->type == 2) {
			sb_s(o, ",\"maxFeePerGas\":"); sb_qstr(o, t->max_fee);
			sb_s(o, ",\"maxPriorityFeePerGas\":"); sb_qstr(o, t->prio);
		}
		sb_s(o, ",\"hash\":"); sb_hstr(o, t->hash, 32);
		sb_s(o, ",\"input\":"); sb_hstr(o, b->bytes + t->in_off, t->in_len);
		sb_s(o, ",\"nonce\":"); sb_qstr(o, t->nonce);
		sb_s(o, ",\"to\":"); sb_hstr(o, s->a[t->to].addr, 20);
		sb_s(o, ",\"transactionIndex\":"); sb_qstr(o, i);
		sb_s(o, ",\"value\":"); sb_qstr(o, t->value);
		sb_s(o, ",\"type\":"); sb_qstr(o, t->type);
		if (t->type == 2) { sb_s(o, ",\"accessList\":[],\"chainId\":"); sb_qstr(o, chain); }
		sb_s(o, ",\"v\":"); sb_qstr(o, t->type == 2 ? t->yparity : chain * 2 + 35 + t->yparity);
		sb_s(o, ",\"r\":"); sb_hstr(o, t->r, 32);
		sb_s(o, ",\"s\":"); sb_hstr(o, t->s, 32);
		if (t->type == 2) { sb_s(o, ",\"yParity\":"); sb_qstr(o, t->yparity); }
		sb_c(o, '}');
	}
	sb_s(o, "],\"transactionsRoot\":"); sb_hstr(o, b->tx_root, 32);
	sb_s(o, ",\"uncles\":[],\"withdrawals\":[");
	for (size_t i = 0; i < b->n_wd; i++) {
		if (i) sb_c(o, ',');
		sb_s(o, "{\"index\":"); sb_qstr(o, b->wd[i].index);
		sb_s(o, ",\"validatorIndex\":"); sb_qstr(o, b->wd[i].validator);
		sb_s(o, ",\"address\":"); sb_hstr(o, s->a[b->wd[i].acct].addr, 20);
		sb_s(o, ",\"amount\":"); sb_qstr(o, b->wd[i].gwei);
		sb_c(o, '}');
	}
	sb_s(o, "],\"withdrawalsRoot\":"); sb_hstr(o, b->wd_root, 32);
	sb_s(o, "}}\n");
}

static void rpc_receipts(struct esim *s, struct sb *o)
{
	struct eblock *b = &s->b;
	rpc_head(o, b->number);
	sb_c(o, '[');
	for (size_t i = 0; i < b->n_tx; i++) {
		const struct etx *t = &b->tx[i];
		if (i) sb_c(o, ',');
		sb_s(o, "{\"blockHash\":"); sb_hstr(o, b->hash, 32);
		sb_s(o, ",\"blockNumber\":"); sb_qstr(o, b->number);
		sb_s(o, ",\"contractAddress\":null,\"cumulativeGasUsed\":"); sb_qstr(o, t->cumulative);
		sb_s(o, ",\"effectiveGasPrice\":"); sb_qstr(o, t->price);
		sb_s(o, ",\"from\":"); sb_hstr(o, s->a[t->from].addr, 20);
		sb_s(o, ",\"gasUsed\":"); sb_qstr(o, t->gas_used);
		sb_s(o, ",\"logs\":[");
		for (uint32_t k = 0; k < t->n_logs; k++) {
			const struct elog *l = &b->lg[t->log0 + k];
			if (k) sb_c(o, ',');
			sb_s(o, "{\"address\":"); sb_hstr(o, s->a[l->address].addr, 20);
			sb_s(o, ",\"topics\":[");
			for (int j = 0; j < l->n_topics; j++) { if (j) sb_c(o, ','); sb_hstr(o, l->topics[j], 32); }
			sb_s(o, "],\"data\":"); sb_hstr(o, b->bytes + l->data_off, l->data_len);
			sb_s(o, ",\"blockNumber\":"); sb_qstr(o, b->number);
			sb_s(o, ",\"transactionHash\":"); sb_hstr(o, t->hash, 32);
			sb_s(o, ",\"transactionIndex\":"); sb_qstr(o, i);
			sb_s(o, ",\"blockHash\":"); sb_hstr(o, b->hash, 32);
			sb_s(o, ",\"logIndex\":"); sb_qstr(o, t->log0 + k);
			sb_s(o, ",\"removed\":false}");
		}
		sb_s(o, "],\"logsBloom\":"); sb_hstr(o, t->bloom, 256);
		sb_s(o, ",\"status\":"); sb_qstr(o, t->status);
		sb_s(o, ",\"to\":"); sb_hstr(o, s->a[t->to].addr, 20);
		sb_s(o, ",\"transactionHash\":"); sb_hstr(o, t->hash, 32);
		sb_s(o, ",\"transactionIndex\":"); sb_qstr(o, i);
		sb_s(o, ",\"type\":"); sb_qstr(o, t->type);
		sb_c(o, '}');
	}
	sb_s(o, "]}\n");
}

static void rpc_traces(struct esim *s, struct sb *o)
{
	struct eblock *b = &s->b;
	rpc_head(o, b->number);
	sb_c(o, '[');
	for (size_t i = 0; i < b->n_tr; i++) {
		const struct etrace *t = &b->tr[i];
		if (i) sb_c(o, ',');
		sb_s(o, "{\"action\":{\"from\":"); sb_hstr(o, s->a[t->from].addr, 20);
		sb_s(o, ",\"callType\":\""); sb_s(o, t->call_type);
		sb_s(o, "\",\"gas\":"); sb_qstr(o, t->gas);
		sb_s(o, ",\"input\":"); sb_hstr(o, b->bytes + t->in_off, t->in_len);
		sb_s(o, ",\"to\":"); sb_hstr(o, s->a[t->to].addr, 20);
		sb_s(o, ",\"value\":"); sb_qstr(o, t->value);
		sb_s(o, "},\"blockHash\":"); sb_hstr(o, b->hash, 32);
		sb_s(o, ",\"blockNumber\":"); sb_dec(o, b->number);
		if (t->error) {
			sb_s(o, ",\"error\":\""); sb_s(o, t->error); sb_c(o, '"');
		} else {
			sb_s(o, ",\"result\":{\"gasUsed\":"); sb_qstr(o, t->gas_used);
			sb_s(o, ",\"output\":"); sb_hstr(o, b->bytes + t->out_off, t->out_len);
			sb_c(o, '}');
		}
		sb_s(o, ",\"subtraces\":"); sb_dec(o, t->subtraces);
		sb_s(o, ",\"traceAddress\":[");
		for (int k = 0; k < t->depth; k++) { if (k) sb_c(o, ','); sb_dec(o, t->path[k]); }
		sb_s(o, "],\"transactionHash\":"); sb_hstr(o, b->tx[t->tx].hash, 32);
		sb_s(o, ",\"transactionPosition\":"); sb_dec(o, t->tx);
		sb_s(o, ",\"type\":\"call\"}");
	}
	sb_s(o, "]}\n");
}

static int flush(struct sb *o, FILE *f)
{
	int bad = o->n && fwrite(o->p, 1, o->n, f) != o->n;
	o->n = 0;
	return bad;
}

int esim_out_block(struct esim *s)
{
	struct esim_out *x = s->out;
	block_hashes(s);
	csv_block(s, &x->blocks);
	csv_txs(s, &x->txs, &x->rcpt);
	csv_logs(s, &x->logs, &x->tt);
	csv_traces(s, &x->traces);
	int bad = flush(&x->blocks, s->f_blocks) | flush(&x->txs, s->f_txs) | flush(&x->rcpt, s->f_rcpt) |
		  flush(&x->logs, s->f_logs) | flush(&x->tt, s->f_tt) | flush(&x->traces, s->f_traces);
	if (s->p.rpc) {
		rpc_block(s, &x->rb);
		rpc_receipts(s, &x->rr);
		rpc_traces(s, &x->rt);
		bad |= flush(&x->rb, s->f_rb) | flush(&x->rr, s->f_rr) | flush(&x->rt, s->f_rt);
	}
	if (bad) return tl_err_set(s->err, "cannot write block %llu: %s", (unsigned long long)s->b.number, strerror(errno));
	return 0;
}
