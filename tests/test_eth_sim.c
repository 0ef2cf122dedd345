/* The Ethereum simulator against independent checks. Its export is read
 * back by a deliberately naive CSV reader written here (not the
 * project's Ethereum readers): headers equal ethereum-etl's own fixtures;
 * every transaction has its receipt, its top-level trace carries the
 * transaction's value, logs and token_transfers agree, blocks chain by
 * parent hash and count their transactions, nonces run from zero; all
 * balances recomputed from the CSVs (fees, base fee burned, priority fee
 * to the miner, successful traces, Transfer logs, WETH Deposit and
 * Withdrawal, withdrawals) stay at or above zero, with only the zero
 * address (the mint source) below; truth.json's per-heist flows equal
 * what the transfers show, and its lists sum to them; the JSON-RPC files
 * carry the same blocks; runs are deterministic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ethereum/keccak.h"
#include "sim/eth.h"
#include "tests/testutil.h"
#include "intel/registry.h"
#include "intel/tags.h"

typedef unsigned __int128 u128;
typedef __int128 i128;

static const char T_TRANSFER[] = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
/* WETH's events as published (keccak-256 of Deposit(address,uint256) and
 * Withdrawal(address,uint256); the values other projects hard-code) */
static const char T_WDEPOSIT[] = "0xe1fffcc4923d04b559f4d29a8bfc6cda04eb5b0d3c460751c2402c5c5cc9109c";
static const char T_WWITHDRAWAL[] = "0x7fcf532c15f0a6db0bd6d0e038bea71d30d808c7d98cb3bf7268a95bf5081b65";
static const char WETH[] = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2";
static const char ZERO[] = "0x0000000000000000000000000000000000000000";

/* ---- a naive CSV reader ------------------------------------------------- */

struct csv {
	char *buf;
	size_t nf, nrows;
	char **hdr;
	char **cell; /* nrows x nf */
};

static void csv_load(struct csv *c, const char *dir, const char *name)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	size_t len;
	c->buf = (char *)tu_read_file(path, &len);
	c->buf = realloc(c->buf, len + 1);
	c->buf[len] = 0;
	size_t cap = 1024, n = 0, rowlen = 0;
	char **cells = malloc(cap * sizeof *cells);
	char *p = c->buf, *end = c->buf + len;
	c->nf = 0;
	while (p < end) {
		/* one field */
		char *start = p, *w = p;
		if (*p == '"') {
			p++;
			for (;;) {
				assert_true(p < end);
				if (*p == '"') {
					if (p + 1 < end && p[1] == '"') { *w++ = '"'; p += 2; continue; }
					p++;
					break;
				}
				*w++ = *p++;
			}
		} else {
			while (p < end && *p != ',' && *p != '\n') *w++ = *p++;
		}
		char sep = p < end ? *p : '\n';
		*w = 0;
		if (n == cap) cells = realloc(cells, (cap *= 2) * sizeof *cells);
		cells[n++] = start;
		rowlen++;
		p++;
		if (sep == '\n') {
			if (!c->nf) c->nf = rowlen;
			else if (rowlen != c->nf) fail_msg("%s: row %zu has %zu fields, header %zu", name, n / c->nf, rowlen, c->nf);
			rowlen = 0;
		} else
			assert_int_equal(sep, ',');
	}
	assert_int_equal(rowlen, 0);
	c->hdr = cells;
	c->cell = cells + c->nf;
	c->nrows = n / c->nf - 1;
}

static void csv_free(struct csv *c) { free(c->buf); free(c->hdr); }

static int col(const struct csv *c, const char *name)
{
	for (size_t i = 0; i < c->nf; i++)
		if (!strcmp(c->hdr[i], name)) return (int)i;
	fail_msg("no column %s", name);
	return -1;
}

#define CELL(c, r, k) ((c)->cell[(size_t)(r) * (c)->nf + (size_t)(k)])

static u128 dec(const char *s)
{
	u128 v = 0;
	assert_true(*s);
	for (; *s; s++) {
		assert_true(*s >= '0' && *s <= '9');
		assert_true(v < ((u128)1 << 123));
		v = v * 10 + (u128)(*s - '0');
	}
	return v;
}

static u128 hexq(const char *s)
{
	assert_true(s && s[0] == '0' && s[1] == 'x' && s[2]);
	u128 v = 0;
	for (s += 2; *s; s++) {
		int d = *s >= '0' && *s <= '9' ? *s - '0' : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10 : -1;
		assert_true(d >= 0);
		assert_true(v < ((u128)1 << 123));
		v = v * 16 + (u128)d;
	}
	return v;
}

static char *u128s(u128 v, char buf[48])
{
	char t[48];
	int k = 0;
	do { t[k++] = (char)('0' + (int)(v % 10)); v /= 10; } while (v);
	for (int i = 0; i < k; i++) buf[i] = t[k - 1 - i];
	buf[k] = 0;
	return buf;
}

/* ---- a string -> int map (open addressing) -------------------------------- */

struct smap { const char **k; int *v; size_t cap, n; };

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

static int *smap_get(struct smap *m, const char *k, int insert)
{
	if (insert && (m->n + 1) * 2 > m->cap) {
		struct smap o = *m;
		m->cap = o.cap ? o.cap * 2 : 1024;
		m->k = calloc(m->cap, sizeof *m->k);
		m->v = calloc(m->cap, sizeof *m->v);
		m->n = 0;
		for (size_t i = 0; i < o.cap; i++)
			if (o.k[i]) *smap_get(m, o.k[i], 1) = o.v[i];
		free(o.k);
		free(o.v);
	}
	if (!m->cap) return NULL;
	for (size_t i = fnv(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->k[i]) {
			if (!insert) return NULL;
			m->k[i] = k;
			m->n++;
			m->v[i] = -1;
			return &m->v[i];
		}
		if (!strcmp(m->k[i], k)) return &m->v[i];
	}
}

static void smap_free(struct smap *m) { free(m->k); free(m->v); }

/* ---- the simulation under test ----------------------------------------------- */

static char *simulate(const char *tag, uint64_t seed, uint32_t blocks, uint32_t tpb, uint32_t heists, bool rpc)
{
	char *dir = tu_tmpdir(tag);
	struct tl_eth_sim_params p;
	tl_eth_sim_params_default(&p);
	p.seed = seed;
	p.blocks = blocks;
	p.txs_per_block = tpb;
	p.heists = heists;
	p.rpc = rpc;
	struct tl_eth_sim_stats st;
	struct tl_err err = { 0 };
	if (tl_eth_sim_run(dir, &p, &st, &err)) fail_msg("simulate: %s", err.msg);
	assert_true(st.txs > 0);
	return dir;
}

static json_t *load_json(const char *dir, const char *name)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	if (!j) fail_msg("%s: %s", path, je.text);
	return j;
}

/* ---- balances recomputed from the export ------------------------------------------ */

enum { NA = 4 }; /* ETH, WETH, the token, the staking token: assets by contract */
enum { F_DRAINED, F_CONVERTED_IN, F_CLEAN_IN, F_MIXER_IN, F_CASHOUT, F_MIXED, F_BRIDGED, F_CONVERTED_OUT,
       F_OTHER_OUT, F_FEES, F_N };
static const char *flow_names[F_N] = { "drained", "converted_in", "clean_in", "mixer_in", "cashouts", "mixed",
				       "bridged", "converted_out", "other_out", "fees" };

struct ledger {
	struct smap acct;      /* address -> account index */
	struct smap asset;     /* token contract -> asset index (1..) */
	const char **asset_key;
	int n_assets;
	i128 *bal;             /* n_acct x NA */
	size_t n_acct, cap;
	uint8_t *heist;        /* 1 + heist index */
	uint8_t *kind;         /* 1 deposit account */
	int zero, mixer, router, pool, *victim;
	u128 flow[8][NA][F_N];
	i128 burned, withdrawn;
	int touched[64];
	int n_touched;
};

static int acct(struct ledger *L, const char *addr)
{
	int *v = smap_get(&L->acct, addr, 0);
	if (!v) {
		/* the map keeps the key: a copy, since addr may be a temporary */
		v = smap_get(&L->acct, strdup(addr), 1);
		if (L->n_acct == L->cap) {
			L->cap = L->cap ? 2 * L->cap : 4096;
			L->bal = realloc(L->bal, L->cap * NA * sizeof *L->bal);
			L->heist = realloc(L->heist, L->cap);
			L->kind = realloc(L->kind, L->cap);
		}
		memset(&L->bal[L->n_acct * NA], 0, NA * sizeof *L->bal);
		L->heist[L->n_acct] = 0;
		L->kind[L->n_acct] = 0;
		*v = (int)L->n_acct++;
	}
	return *v;
}

static int asset_of(struct ledger *L, const char *contract)
{
	int *v = smap_get(&L->asset, contract, 0);
	if (!v) {
		contract = strdup(contract);
		v = smap_get(&L->asset, contract, 1);
		assert_true(L->n_assets < NA);
		L->asset_key[L->n_assets] = contract;
		*v = L->n_assets++;
	}
	return *v;
}

static void touch(struct ledger *L, int a)
{
	if (L->n_touched < 64) L->touched[L->n_touched++] = a;
}

static void flow(struct ledger *L, int asset, int from, int to, u128 v)
{
	uint8_t hf = from >= 0 ? L->heist[from] : 0, ht = to >= 0 ? L->heist[to] : 0;
	if (hf == ht || !v) return;
	if (hf) {
		int f = to < 0 ? F_FEES : L->kind[to] == 1 ? F_CASHOUT : to == L->mixer ? F_MIXED : to == L->router ? F_BRIDGED
		      : to == L->pool ? F_CONVERTED_OUT : F_OTHER_OUT;
		L->flow[hf - 1][asset][f] += v;
	}
	if (ht) {
		int f = from == L->victim[ht - 1] ? F_DRAINED : from == L->pool ? F_CONVERTED_IN : from == L->mixer ? F_MIXER_IN
		      : F_CLEAN_IN;
		L->flow[ht - 1][asset][f] += v;
	}
}

static void move(struct ledger *L, int asset, int from, int to, u128 v)
{
	L->bal[(size_t)from * NA + (size_t)asset] -= (i128)v;
	L->bal[(size_t)to * NA + (size_t)asset] += (i128)v;
	touch(L, from);
	touch(L, to);
	flow(L, asset, from, to, v);
}

static void check_touched(struct ledger *L, const char *tx)
{
	for (int i = 0; i < L->n_touched; i++) {
		int a = L->touched[i];
		for (int k = 0; k < NA; k++)
			if (L->bal[(size_t)a * NA + (size_t)k] < 0 && !(a == L->zero && k > 0))
				fail_msg("after %s an account holds a negative balance of asset %d", tx, k);
	}
	L->n_touched = 0;
}

/* Marks the truth's heist accounts and the counterparties its flows name. */
static void ledger_from_truth(struct ledger *L, json_t *truth)
{
	memset(L, 0, sizeof *L);
	L->asset_key = calloc(NA, sizeof *L->asset_key);
	L->asset_key[0] = "ETH";
	L->n_assets = 1;
	L->zero = acct(L, ZERO);
	json_t *c = json_object_get(truth, "contracts");
	L->mixer = acct(L, json_string_value(json_object_get(c, "mixer")));
	L->router = acct(L, json_string_value(json_object_get(c, "router")));
	L->pool = acct(L, json_string_value(json_object_get(c, "dex_pool")));
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(truth, "exchanges"), i, e) {
		static const char *lists[] = { "customer_deposit_accounts", "attacker_deposit_accounts" };
		for (int l = 0; l < 2; l++) {
			size_t j;
			json_t *a;
			json_array_foreach(json_object_get(e, lists[l]), j, a) L->kind[acct(L, json_string_value(a))] = 1;
		}
	}
	json_t *hs = json_object_get(truth, "heists");
	L->victim = calloc(json_array_size(hs) + 1, sizeof *L->victim);
	json_array_foreach(hs, i, e) {
		if (!json_is_true(json_object_get(e, "happened"))) continue;
		uint8_t id = (uint8_t)(i + 1);
		L->victim[i] = acct(L, json_string_value(json_object_get(json_object_get(e, "victim"), "address")));
		static const char *one[] = { "exploiter", "operator", "intermediary", "consolidation" };
		for (int k = 0; k < 4; k++) L->heist[acct(L, json_string_value(json_object_get(e, one[k])))] = id;
		size_t j;
		json_t *a;
		json_array_foreach(json_object_get(e, "split_accounts"), j, a)
			L->heist[acct(L, json_string_value(json_object_get(a, "address")))] = id;
		json_array_foreach(json_object_get(e, "postmix_accounts"), j, a) L->heist[acct(L, json_string_value(a))] = id;
	}
}

static void ledger_free(struct ledger *L)
{
	for (size_t i = 0; i < L->acct.cap; i++) free((char *)L->acct.k[i]);
	for (size_t i = 0; i < L->asset.cap; i++) free((char *)L->asset.k[i]);
	smap_free(&L->acct);
	smap_free(&L->asset);
	free(L->asset_key);
	free(L->bal);
	free(L->heist);
	free(L->kind);
	free(L->victim);
}

struct export {
	struct csv b, t, r, l, tt, tr;
};

static void export_load(struct export *x, const char *dir)
{
	csv_load(&x->b, dir, "blocks.csv");
	csv_load(&x->t, dir, "transactions.csv");
	csv_load(&x->r, dir, "receipts.csv");
	csv_load(&x->l, dir, "logs.csv");
	csv_load(&x->tt, dir, "token_transfers.csv");
	csv_load(&x->tr, dir, "traces.csv");
}

static void export_free(struct export *x)
{
	csv_free(&x->b); csv_free(&x->t); csv_free(&x->r); csv_free(&x->l); csv_free(&x->tt); csv_free(&x->tr);
}

/* Splits "a,b,c" in place; returns the count. */
static int split(char *s, char **out, int max)
{
	int n = 0;
	if (!*s) return 0;
	for (;;) {
		assert_true(n < max);
		out[n++] = s;
		char *c = strchr(s, ',');
		if (!c) return n;
		*c = 0;
		s = c + 1;
	}
}

/* Walks the whole export in chain order, checking its consistency and
 * applying every value movement to the ledger. */
static void replay(struct export *x, struct ledger *L)
{
	struct csv *B = &x->b, *T = &x->t, *R = &x->r, *Lg = &x->l, *TT = &x->tt, *TR = &x->tr;
	int b_num = col(B, "number"), b_hash = col(B, "hash"), b_par = col(B, "parent_hash"), b_cnt = col(B, "transaction_count"),
	    b_gas = col(B, "gas_used"), b_base = col(B, "base_fee_per_gas"), b_miner = col(B, "miner"),
	    b_wd = col(B, "withdrawals"), b_time = col(B, "timestamp");
	int t_hash = col(T, "hash"), t_nonce = col(T, "nonce"), t_bh = col(T, "block_hash"), t_bn = col(T, "block_number"),
	    t_idx = col(T, "transaction_index"), t_from = col(T, "from_address"), t_to = col(T, "to_address"),
	    t_val = col(T, "value"), t_gas = col(T, "gas"), t_price = col(T, "gas_price"), t_maxfee = col(T, "max_fee_per_gas"),
	    t_prio = col(T, "max_priority_fee_per_gas"), t_type = col(T, "transaction_type");
	int r_hash = col(R, "transaction_hash"), r_idx = col(R, "transaction_index"), r_bn = col(R, "block_number"),
	    r_cum = col(R, "cumulative_gas_used"), r_used = col(R, "gas_used"), r_status = col(R, "status"),
	    r_price = col(R, "effective_gas_price");
	int l_idx = col(Lg, "log_index"), l_tx = col(Lg, "transaction_hash"), l_addr = col(Lg, "address"), l_data = col(Lg, "data"),
	    l_topics = col(Lg, "topics"), l_bn = col(Lg, "block_number");
	int tt_tok = col(TT, "token_address"), tt_from = col(TT, "from_address"), tt_to = col(TT, "to_address"),
	    tt_val = col(TT, "value"), tt_tx = col(TT, "transaction_hash"), tt_li = col(TT, "log_index");
	int tr_tx = col(TR, "transaction_hash"), tr_from = col(TR, "from_address"), tr_to = col(TR, "to_address"),
	    tr_val = col(TR, "value"), tr_sub = col(TR, "subtraces"), tr_addr = col(TR, "trace_address"),
	    tr_err = col(TR, "error"), tr_status = col(TR, "status"), tr_id = col(TR, "trace_id"), tr_type = col(TR, "trace_type");
	assert_int_equal(T->nrows, R->nrows);
	struct smap nonce = { 0 };
	size_t ti = 0, li = 0, tti = 0, tri = 0;
	const char *prev_hash = "0x0000000000000000000000000000000000000000000000000000000000000000";
	u128 prev_time = 0;
	for (size_t bi = 0; bi < B->nrows; bi++) {
		assert_true(dec(CELL(B, bi, b_num)) == bi);
		assert_string_equal(CELL(B, bi, b_par), prev_hash);
		prev_hash = CELL(B, bi, b_hash);
		u128 time = dec(CELL(B, bi, b_time));
		assert_true(bi == 0 || time > prev_time);
		prev_time = time;
		u128 base = dec(CELL(B, bi, b_base)), gas_sum = 0, ntx = 0, log_index = 0;
		int miner = acct(L, CELL(B, bi, b_miner));
		for (; ti < T->nrows && dec(CELL(T, ti, t_bn)) == bi; ti++, ntx++) {
			const char *h = CELL(T, ti, t_hash);
			/* the receipt, in the same order */
			assert_string_equal(CELL(R, ti, r_hash), h);
			assert_true(dec(CELL(R, ti, r_idx)) == ntx && dec(CELL(T, ti, t_idx)) == ntx);
			assert_true(dec(CELL(R, ti, r_bn)) == bi);
			assert_string_equal(CELL(T, ti, t_bh), CELL(B, bi, b_hash));
			u128 used = dec(CELL(R, ti, r_used)), price = dec(CELL(R, ti, r_price)), val = dec(CELL(T, ti, t_val));
			gas_sum += used;
			assert_true(dec(CELL(R, ti, r_cum)) == gas_sum);
			assert_true(used <= dec(CELL(T, ti, t_gas)));
			assert_true(price == dec(CELL(T, ti, t_price)));
			assert_true(price >= base);
			if (!strcmp(CELL(T, ti, t_type), "2")) {
				u128 mf = dec(CELL(T, ti, t_maxfee)), pr = dec(CELL(T, ti, t_prio));
				assert_true(price == base + (pr < mf - base ? pr : mf - base));
			} else {
				assert_string_equal(CELL(T, ti, t_type), "0");
				assert_string_equal(CELL(T, ti, t_maxfee), "");
			}
			int ok = !strcmp(CELL(R, ti, r_status), "1");
			assert_true(ok || !strcmp(CELL(R, ti, r_status), "0"));
			int from = acct(L, CELL(T, ti, t_from)), to = acct(L, CELL(T, ti, t_to));
			int *nn = smap_get(&nonce, CELL(T, ti, t_from), 1);
			if (*nn < 0) *nn = 0;
			assert_true(dec(CELL(T, ti, t_nonce)) == (u128)*nn);
			(*nn)++;
			/* the fee: base fee burned, the rest to the block's miner */
			u128 fee = used * price;
			L->bal[(size_t)from * NA] -= (i128)fee;
			flow(L, 0, from, -1, fee);
			L->bal[(size_t)miner * NA] += (i128)(used * (price - base));
			L->burned += (i128)(used * base);
			touch(L, from);
			/* traces: the top-level call first, then its subtree in order */
			assert_true(tri < TR->nrows);
			assert_string_equal(CELL(TR, tri, tr_tx), h);
			assert_string_equal(CELL(TR, tri, tr_addr), "");
			assert_string_equal(CELL(TR, tri, tr_from), CELL(T, ti, t_from));
			assert_string_equal(CELL(TR, tri, tr_to), CELL(T, ti, t_to));
			assert_true(dec(CELL(TR, tri, tr_val)) == val);
			assert_int_equal(!strcmp(CELL(TR, tri, tr_status), "1"), ok);
			size_t first = tri;
			char idbuf[200];
			for (; tri < TR->nrows && !strcmp(CELL(TR, tri, tr_tx), h); tri++) {
				assert_string_equal(CELL(TR, tri, tr_type), "call");
				char pathc[64], *parts[8];
				snprintf(pathc, sizeof pathc, "%s", CELL(TR, tri, tr_addr));
				int depth = split(pathc, parts, 8);
				snprintf(idbuf, sizeof idbuf, "call_%s_", h);
				for (int k = 0; k < depth; k++) {
					if (k) strcat(idbuf, "_");
					strcat(idbuf, parts[k]);
				}
				assert_string_equal(CELL(TR, tri, tr_id), idbuf);
				int st = !strcmp(CELL(TR, tri, tr_status), "1"), parent_failed = 0;
				if (depth > 0) {
					/* the parent: the closest earlier trace whose path is ours minus the last */
					size_t pj = tri;
					int found = 0;
					while (pj-- > first) {
						char pc[64], *pp[8];
						snprintf(pc, sizeof pc, "%s", CELL(TR, pj, tr_addr));
						int pd = split(pc, pp, 8);
						if (pd != depth - 1) continue;
						int same = 1;
						for (int k = 0; k < pd; k++) same &= !strcmp(pp[k], parts[k]);
						if (same) { found = 1; break; }
					}
					assert_true(found);
					parent_failed = strcmp(CELL(TR, pj, tr_status), "1") != 0;
				}
				/* status 0 exactly when the call, an ancestor or the transaction failed */
				assert_int_equal(st == 0, CELL(TR, tri, tr_err)[0] != 0 || !ok || parent_failed);
				/* subtraces = the direct children that follow */
				u128 kids = 0;
				for (size_t k = tri + 1; k < TR->nrows && !strcmp(CELL(TR, k, tr_tx), h); k++) {
					char pc[64], *pp[8];
					snprintf(pc, sizeof pc, "%s", CELL(TR, k, tr_addr));
					int pd = split(pc, pp, 8);
					if (pd != depth + 1) continue;
					int same = 1;
					for (int q = 0; q < depth; q++) same &= !strcmp(pp[q], parts[q]);
					kids += same;
				}
				assert_true(dec(CELL(TR, tri, tr_sub)) == kids);
				u128 v = dec(CELL(TR, tri, tr_val));
				if (st && v) move(L, 0, acct(L, CELL(TR, tri, tr_from)), acct(L, CELL(TR, tri, tr_to)), v);
			}
			/* logs, then the token transfers they imply */
			size_t nlogs = 0;
			for (; li < Lg->nrows && !strcmp(CELL(Lg, li, l_tx), h); li++, nlogs++, log_index++) {
				assert_true(dec(CELL(Lg, li, l_idx)) == log_index);
				assert_true(dec(CELL(Lg, li, l_bn)) == bi);
				char tc[400], *tp[4];
				snprintf(tc, sizeof tc, "%s", CELL(Lg, li, l_topics));
				int nt = split(tc, tp, 4);
				const char *addr = CELL(Lg, li, l_addr), *data = CELL(Lg, li, l_data);
				if (nt == 3 && !strcmp(tp[0], T_TRANSFER)) {
					assert_true(tti < TT->nrows);
					assert_string_equal(CELL(TT, tti, tt_tx), h);
					assert_string_equal(CELL(TT, tti, tt_tok), addr);
					assert_true(dec(CELL(TT, tti, tt_li)) == log_index);
					assert_string_equal(CELL(TT, tti, tt_from) + 2, tp[1] + 26);
					assert_string_equal(CELL(TT, tti, tt_to) + 2, tp[2] + 26);
					u128 v = dec(CELL(TT, tti, tt_val));
					assert_true(hexq(data) == v);
					move(L, asset_of(L, addr), acct(L, CELL(TT, tti, tt_from)), acct(L, CELL(TT, tti, tt_to)), v);
					tti++;
				} else if (nt == 2 && !strcmp(addr, WETH) && !strcmp(tp[0], T_WDEPOSIT)) {
					char a[43] = "0x";
					strcat(a, tp[1] + 26);
					int w = acct(L, a);
					L->bal[(size_t)w * NA + (size_t)asset_of(L, WETH)] += (i128)hexq(data);
				} else if (nt == 2 && !strcmp(addr, WETH) && !strcmp(tp[0], T_WWITHDRAWAL)) {
					char a[43] = "0x";
					strcat(a, tp[1] + 26);
					int w = acct(L, a);
					L->bal[(size_t)w * NA + (size_t)asset_of(L, WETH)] -= (i128)hexq(data);
					touch(L, w);
				}
			}
			if (!ok) assert_int_equal(nlogs, 0);
			(void)to;
			check_touched(L, h);
		}
		assert_true(dec(CELL(B, bi, b_cnt)) == ntx);
		assert_true(dec(CELL(B, bi, b_gas)) == gas_sum);
		/* withdrawals (Gwei) after the transactions */
		const char *wd = CELL(B, bi, b_wd);
		if (*wd) {
			size_t n = strlen(wd);
			char *arr = malloc(n + 3);
			arr[0] = '[';
			memcpy(arr + 1, wd, n);
			arr[n + 1] = ']';
			arr[n + 2] = 0;
			json_error_t je;
			json_t *a = json_loads(arr, 0, &je);
			if (!a) fail_msg("block %zu withdrawals: %s", bi, je.text);
			size_t k;
			json_t *w;
			json_array_foreach(a, k, w) {
				u128 v = (u128)json_integer_value(json_object_get(w, "amount")) * 1000000000u;
				int to = acct(L, json_string_value(json_object_get(w, "address")));
				L->bal[(size_t)to * NA] += (i128)v;
				L->withdrawn += (i128)v;
				flow(L, 0, -1, to, v);
			}
			json_decref(a);
			free(arr);
		}
	}
	assert_int_equal(ti, T->nrows);
	assert_int_equal(li, Lg->nrows);
	assert_int_equal(tti, TT->nrows);
	assert_int_equal(tri, TR->nrows);
	smap_free(&nonce);
}

/* ---- tests ------------------------------------------------------------------ */

static void hex32(const uint8_t h[32], char out[67])
{
	static const char d[] = "0123456789abcdef";
	out[0] = '0';
	out[1] = 'x';
	for (int i = 0; i < 32; i++) { out[2 + 2 * i] = d[h[i] >> 4]; out[3 + 2 * i] = d[h[i] & 15]; }
	out[66] = 0;
}

static void test_keccak(void **state)
{
	(void)state;
	uint8_t h[32];
	char x[67];
	tl_keccak256("", 0, h);
	hex32(h, x);
	assert_string_equal(x, "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
	tl_keccak256("Transfer(address,address,uint256)", 33, h);
	hex32(h, x);
	assert_string_equal(x, T_TRANSFER);
	tl_keccak256("Deposit(address,uint256)", 24, h);
	hex32(h, x);
	assert_string_equal(x, T_WDEPOSIT);
	tl_keccak256("Withdrawal(address,uint256)", 27, h);
	hex32(h, x);
	assert_string_equal(x, T_WWITHDRAWAL);
	/* a message longer than the 136-byte rate: absorbs two blocks */
	char big[300];
	memset(big, 'a', sizeof big);
	uint8_t h2[32];
	tl_keccak256(big, 137, h);
	tl_keccak256(big, 136, h2);
	assert_memory_not_equal(h, h2, 32);
}

static const char *files[] = { "blocks.csv", "transactions.csv", "receipts.csv", "logs.csv", "token_transfers.csv",
			       "traces.csv", "truth.json", "tags.csv", "heists.json", "rpc/eth_getBlockByNumber.jsonl",
			       "rpc/eth_getBlockReceipts.jsonl", "rpc/trace_block.jsonl" };

static int same_file(const char *a, const char *b, const char *name)
{
	char pa[4200], pb[4200];
	snprintf(pa, sizeof pa, "%s/%s", a, name);
	snprintf(pb, sizeof pb, "%s/%s", b, name);
	size_t la, lb;
	uint8_t *x = tu_read_file(pa, &la), *y = tu_read_file(pb, &lb);
	int eq = la == lb && !memcmp(x, y, la);
	free(x);
	free(y);
	return eq;
}

static void test_deterministic(void **state)
{
	(void)state;
	char *a = simulate("ethsim-det-a", 7, 160, 30, 1, true);
	char *b = simulate("ethsim-det-b", 7, 160, 30, 1, true);
	char *c = simulate("ethsim-det-c", 8, 160, 30, 1, true);
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		if (!same_file(a, b, files[i])) fail_msg("%s differs between two runs with one seed", files[i]);
	assert_false(same_file(a, c, "transactions.csv"));
	assert_false(same_file(a, c, "truth.json"));
	/* a directory that already holds an export is refused, not overwritten */
	struct tl_eth_sim_params p;
	tl_eth_sim_params_default(&p);
	p.blocks = 160;
	struct tl_err err = { 0 };
	assert_int_not_equal(tl_eth_sim_run(a, &p, NULL, &err), 0);
	assert_non_null(strstr(err.msg, "already exists"));
	tu_rmrf(a); tu_rmrf(b); tu_rmrf(c);
	free(a); free(b); free(c);
}

static void test_bad_params(void **state)
{
	(void)state;
	char *dir = tu_tmpdir("ethsim-bad");
	struct tl_eth_sim_params p;
	struct tl_err err = { 0 };
	tl_eth_sim_params_default(&p);
	p.blocks = 149;
	assert_int_not_equal(tl_eth_sim_run(dir, &p, NULL, &err), 0);
	assert_non_null(strstr(err.msg, "--blocks"));
	tl_eth_sim_params_default(&p);
	p.txs_per_block = 0;
	assert_int_not_equal(tl_eth_sim_run(dir, &p, NULL, &err), 0);
	tl_eth_sim_params_default(&p);
	p.heists = TL_ETH_SIM_MAX_HEISTS + 1;
	assert_int_not_equal(tl_eth_sim_run(dir, &p, NULL, &err), 0);
	tu_rmrf(dir);
	free(dir);
}

/* Headers equal ethereum-etl's exports in its own test fixtures. */
static void test_headers_match_ethereum_etl(void **state)
{
	(void)state;
	static const char *pairs[][2] = {
		{ "blocks.csv", "ethereum/ethereum-etl-fixtures/test_export_blocks_job/blocks_with_transactions_and_withdrawals/expected_blocks.csv" },
		{ "transactions.csv", "ethereum/ethereum-etl-fixtures/test_export_blocks_job/blocks_with_transactions_and_withdrawals/expected_transactions.csv" },
		{ "receipts.csv", "ethereum/ethereum-etl-fixtures/test_export_receipts_job/receipts_with_logs/expected_receipts.csv" },
		{ "logs.csv", "ethereum/ethereum-etl-fixtures/test_export_receipts_job/receipts_with_logs/expected_logs.csv" },
		{ "token_transfers.csv", "ethereum/ethereum-etl-fixtures/test_export_token_transfers_job/block_with_transfers/expected_token_transfers.csv" },
		{ "traces.csv", "ethereum/ethereum-etl-fixtures/test_export_traces_job/block_with_subtraces/expected_traces.csv" },
	};
	const char *probe = tu_shared_path(pairs[0][1]);
	(void)probe;
	char *dir = simulate("ethsim-hdr", 3, 150, 5, 0, false);
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
		size_t la, lb;
		char path[4200];
		snprintf(path, sizeof path, "%s/%s", dir, pairs[i][0]);
		char *ours = (char *)tu_read_file(path, &la);
		char *theirs = (char *)tu_read_file(tu_shared_path(pairs[i][1]), &lb);
		char *ea = memchr(ours, '\n', la), *eb = memchr(theirs, '\n', lb);
		assert_non_null(ea);
		assert_non_null(eb);
		*ea = *eb = 0;
		assert_string_equal(ours, theirs);
		free(ours);
		free(theirs);
	}
	tu_rmrf(dir);
	free(dir);
}

static u128 amount_of(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	if (!s) fail_msg("missing amount %s", k);
	return dec(s);
}

static u128 list_sum(json_t *list, const char *key)
{
	u128 t = 0;
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e) t += amount_of(e, key);
	return t;
}

/* The export replayed by the naive reader: consistency, no negative
 * balance, totals, and truth.json's accounting equal to the transfers. */
static void test_export_and_truth(void **state)
{
	(void)state;
	/* five heists: the fifth drains a cold wallet already drained (no staking tokens left) */
	char *dir = simulate("ethsim-truth", 5, 260, 40, 5, true);
	struct export x;
	export_load(&x, dir);
	json_t *truth = load_json(dir, "truth.json");
	struct ledger L;
	ledger_from_truth(&L, truth);
	replay(&x, &L);
	/* totals: what exists is what withdrawals brought minus burned base fees */
	i128 eth = 0, weth = 0;
	int aw = asset_of(&L, WETH);
	for (size_t a = 0; a < L.n_acct; a++) {
		eth += L.bal[a * NA];
		weth += L.bal[a * NA + (size_t)aw];
	}
	json_t *ch = json_object_get(truth, "chain");
	assert_true(eth == L.withdrawn - L.burned);
	assert_true((u128)L.burned == amount_of(ch, "burned_base_fees"));
	assert_true((u128)L.withdrawn == amount_of(ch, "withdrawals_total"));
	/* WETH is backed one to one by the ETH the contract holds */
	assert_true(weth == L.bal[(size_t)acct(&L, WETH) * NA]);
	assert_true(json_integer_value(json_object_get(ch, "transactions")) == (json_int_t)x.t.nrows);
	assert_true(json_integer_value(json_object_get(ch, "tip")) + 1 == (json_int_t)x.b.nrows);
	/* failed transactions, a failed internal call and internal calls exist */
	size_t failed = 0, failed_inner = 0, inner = 0;
	int r_status = col(&x.r, "status"), tr_addr = col(&x.tr, "trace_address"), tr_err = col(&x.tr, "error");
	for (size_t i = 0; i < x.r.nrows; i++) failed += !strcmp(CELL(&x.r, i, r_status), "0");
	for (size_t i = 0; i < x.tr.nrows; i++) {
		inner += CELL(&x.tr, i, tr_addr)[0] != 0;
		failed_inner += CELL(&x.tr, i, tr_addr)[0] != 0 && CELL(&x.tr, i, tr_err)[0] != 0;
	}
	assert_true(failed > 0 && inner > 0 && failed_inner > 0);
	/* per heist: flows recomputed from the transfers equal truth.json's */
	json_t *hs = json_object_get(truth, "heists");
	assert_int_equal(json_array_size(hs), 5);
	size_t hi;
	json_t *h;
	json_array_foreach(hs, hi, h) {
		assert_true(json_is_true(json_object_get(h, "happened")));
		json_t *flows = json_object_get(h, "flows");
		const char *key;
		json_t *f;
		int seen_eth = 0;
		json_object_foreach(flows, key, f) {
			int a = strcmp(key, "ETH") ? asset_of(&L, key) : 0;
			seen_eth |= a == 0;
			u128 in = 0, out = 0;
			for (int k = 0; k < F_N; k++) {
				char b1[48], b2[48];
				u128 t = amount_of(f, flow_names[k]);
				if (t != L.flow[hi][a][k])
					fail_msg("heist %zu %s %s: truth %s, transfers %s", hi + 1, key, flow_names[k], u128s(t, b1),
						 u128s(L.flow[hi][a][k], b2));
				if (k < F_CASHOUT) in += t;
				else out += t;
			}
			/* holdings: the heist accounts' balances as replayed */
			i128 hold = 0;
			for (size_t q = 0; q < L.n_acct; q++)
				if (L.heist[q] == hi + 1) hold += L.bal[q * NA + (size_t)a];
			assert_true((u128)hold == amount_of(f, "holdings"));
			/* every stolen wei accounted for */
			assert_true(in == out + (u128)hold);
			assert_true(amount_of(f, "other_out") == 0);
			json_t *st = json_object_get(json_object_get(h, "stolen"), key);
			if (st) assert_true(dec(json_string_value(st)) == amount_of(f, "drained"));
		}
		assert_true(seen_eth);
		json_t *fe = json_object_get(flows, "ETH");
		/* the lists add up to the flows */
		assert_true(list_sum(json_object_get(h, "cashouts"), "amount") == amount_of(fe, "cashouts"));
		assert_true(list_sum(json_object_get(h, "bridged"), "amount") == amount_of(fe, "bridged"));
		assert_true(list_sum(json_object_get(h, "mixer_deposits"), "amount") == amount_of(fe, "mixed"));
		assert_true(list_sum(json_object_get(h, "mixer_withdrawals"), "amount") == amount_of(fe, "mixer_in"));
		assert_true(list_sum(json_object_get(h, "swaps"), "received") == amount_of(fe, "converted_in"));
		assert_true(list_sum(json_object_get(h, "clean_funds"), "amount") == amount_of(fe, "clean_in"));
		/* every pattern occurred */
		assert_true(json_array_size(json_object_get(h, "cashouts")) > 0);
		assert_true(json_array_size(json_object_get(h, "bridged")) > 0);
		assert_true(json_array_size(json_object_get(h, "mixer_deposits")) > 0);
		/* the staking tokens were swapped when there were any */
		assert_int_equal(json_array_size(json_object_get(h, "swaps")) > 0, json_object_size(json_object_get(h, "stolen")) == 2);
		assert_int_equal(json_array_size(json_object_get(h, "seeds")), json_object_size(json_object_get(h, "stolen")) + 1);
		assert_true(json_array_size(json_object_get(h, "split_accounts")) >= 40);
		/* cash-outs land in attacker deposit accounts of the named exchange */
		size_t ci;
		json_t *co;
		json_array_foreach(json_object_get(h, "cashouts"), ci, co) {
			const char *ex = json_string_value(json_object_get(co, "exchange"));
			const char *dep = json_string_value(json_object_get(co, "deposit_address"));
			size_t ei;
			json_t *e;
			int found = 0;
			json_array_foreach(json_object_get(truth, "exchanges"), ei, e) {
				if (strcmp(json_string_value(json_object_get(e, "id")), ex)) continue;
				size_t di;
				json_t *d;
				json_array_foreach(json_object_get(e, "attacker_deposit_accounts"), di, d) found |= !strcmp(json_string_value(d), dep);
			}
			assert_true(found);
		}
		/* bridge memos: THORChain swap memos, carried in the router's Deposit event */
		size_t bi2;
		json_t *br;
		int l_tx = col(&x.l, "transaction_hash"), l_data = col(&x.l, "data"), l_addr = col(&x.l, "address");
		const char *router = json_string_value(json_object_get(json_object_get(truth, "contracts"), "router"));
		json_array_foreach(json_object_get(h, "bridged"), bi2, br) {
			if (bi2 > 20) break; /* a sample: the scan below is linear */
			const char *memo = json_string_value(json_object_get(br, "memo"));
			assert_int_equal(strncmp(memo, "=:BTC.BTC:bc1q", 14), 0);
			const char *tx = json_string_value(json_object_get(br, "tx"));
			int found = 0;
			for (size_t li = 0; li < x.l.nrows && !found; li++) {
				if (strcmp(CELL(&x.l, li, l_tx), tx) || strcmp(CELL(&x.l, li, l_addr), router)) continue;
				const char *d = CELL(&x.l, li, l_data) + 2;
				char w[65];
				memcpy(w, d, 64); w[64] = 0;
				char a0[67] = "0x";
				strcat(a0, w);
				assert_true(hexq(a0) == amount_of(br, "amount"));
				memcpy(w, d + 128, 64);
				char a2[67] = "0x";
				strcat(a2, w);
				size_t ml = (size_t)hexq(a2);
				assert_int_equal(ml, strlen(memo));
				for (size_t k = 0; k < ml; k++) {
					unsigned byte;
					sscanf(d + 192 + 2 * k, "%2x", &byte);
					assert_int_equal((char)byte, memo[k]);
				}
				found = 1;
			}
			assert_true(found);
		}
	}
	/* heists.json loads with the registry reader; its seeds are the drains */
	char path[4200];
	snprintf(path, sizeof path, "%s/heists.json", dir);
	struct tl_registry *reg = NULL;
	struct tl_err err = { 0 };
	if (tl_registry_load(path, &reg, &err)) fail_msg("heists.json: %s", err.msg);
	json_t *hj = load_json(dir, "heists.json");
	int t_hash = col(&x.t, "hash");
	json_array_foreach(json_object_get(hj, "heists"), hi, h) {
		json_t *th = json_array_get(hs, hi);
		size_t si;
		json_t *sd;
		json_array_foreach(json_object_get(h, "seeds"), si, sd) {
			const char *tx = json_string_value(json_object_get(sd, "txid"));
			int found = 0;
			for (size_t i = 0; i < x.t.nrows && !found; i++) found = !strcmp(CELL(&x.t, i, t_hash), tx);
			assert_true(found);
			json_t *to = json_object_get(sd, "to");
			if (to) assert_string_equal(json_string_value(to), json_string_value(json_object_get(th, "exploiter")));
		}
	}
	json_decref(hj);
	tl_registry_free(reg);
	json_decref(truth);
	ledger_free(&L);
	export_free(&x);
	tu_rmrf(dir);
	free(dir);
}

struct tagcount { int n, exchange, mixer, bridge, service; };

static int on_tag(void *ctx, const struct tl_tag *t)
{
	struct tagcount *c = ctx;
	c->n++;
	c->exchange += !strcmp(t->category, "exchange");
	c->mixer += !strcmp(t->category, "mixer");
	c->bridge += !strcmp(t->category, "bridge");
	c->service += !strcmp(t->category, "service");
	return 0;
}

static void test_tags_import(void **state)
{
	(void)state;
	char *dir = simulate("ethsim-tags", 9, 150, 5, 1, false);
	char path[4200];
	snprintf(path, sizeof path, "%s/tags.csv", dir);
	struct tagcount c = { 0 };
	struct tl_tag_report rep;
	memset(&rep, 0, sizeof rep);
	struct tl_err err = { 0 };
	if (tl_tags_parse_file(path, TL_TAGFMT_AUTO, on_tag, &c, &rep, &err)) fail_msg("tags.csv: %s", err.msg);
	assert_int_equal(rep.skipped, 0);
	assert_int_equal(c.n, 9);
	assert_int_equal(c.exchange, 4);
	assert_int_equal(c.mixer, 1);
	assert_int_equal(c.bridge, 2);
	assert_int_equal(c.service, 2);
	tu_rmrf(dir);
	free(dir);
}

/* The JSON-RPC files carry the same blocks as the CSV export. */
static void test_rpc_matches_csv(void **state)
{
	(void)state;
	char *dir = simulate("ethsim-rpc", 4, 150, 20, 1, true);
	struct export x;
	export_load(&x, dir);
	char path[4200];
	FILE *fb, *fr, *ft;
	snprintf(path, sizeof path, "%s/rpc/eth_getBlockByNumber.jsonl", dir);
	assert_non_null(fb = fopen(path, "r"));
	snprintf(path, sizeof path, "%s/rpc/eth_getBlockReceipts.jsonl", dir);
	assert_non_null(fr = fopen(path, "r"));
	snprintf(path, sizeof path, "%s/rpc/trace_block.jsonl", dir);
	assert_non_null(ft = fopen(path, "r"));
	int b_hash = col(&x.b, "hash"), b_par = col(&x.b, "parent_hash"), b_wd = col(&x.b, "withdrawals"),
	    b_base = col(&x.b, "base_fee_per_gas");
	int t_hash = col(&x.t, "hash"), t_from = col(&x.t, "from_address"), t_to = col(&x.t, "to_address"),
	    t_val = col(&x.t, "value"), t_price = col(&x.t, "gas_price"), t_nonce = col(&x.t, "nonce"), t_in = col(&x.t, "input");
	int r_status = col(&x.r, "status"), r_used = col(&x.r, "gas_used"), r_cum = col(&x.r, "cumulative_gas_used");
	int l_data = col(&x.l, "data"), l_addr = col(&x.l, "address"), l_topics = col(&x.l, "topics");
	int tr_val = col(&x.tr, "value"), tr_err = col(&x.tr, "error"), tr_addr = col(&x.tr, "trace_address"),
	    tr_from = col(&x.tr, "from_address");
	size_t ti = 0, li = 0, tri = 0, cap = 1 << 24;
	char *line = malloc(cap);
	for (size_t bi = 0; bi < x.b.nrows; bi++) {
		json_error_t je;
		assert_non_null(fgets(line, (int)cap, fb));
		json_t *rb = json_loads(line, 0, &je), *blk = json_object_get(rb, "result");
		if (!blk) fail_msg("block %zu: %s", bi, je.text);
		assert_true(json_integer_value(json_object_get(rb, "id")) == (json_int_t)bi);
		assert_true(hexq(json_string_value(json_object_get(blk, "number"))) == bi);
		assert_string_equal(json_string_value(json_object_get(blk, "hash")), CELL(&x.b, bi, b_hash));
		assert_string_equal(json_string_value(json_object_get(blk, "parentHash")), CELL(&x.b, bi, b_par));
		assert_true(hexq(json_string_value(json_object_get(blk, "baseFeePerGas"))) == dec(CELL(&x.b, bi, b_base)));
		json_t *wds = json_object_get(blk, "withdrawals");
		size_t nwd = 0;
		for (const char *p = CELL(&x.b, bi, b_wd); (p = strstr(p, "\"index\"")); p++) nwd++;
		assert_int_equal(json_array_size(wds), nwd);
		assert_non_null(fgets(line, (int)cap, fr));
		json_t *rr = json_loads(line, 0, &je), *rcpts = json_object_get(rr, "result");
		if (!rcpts) fail_msg("receipts %zu: %s", bi, je.text);
		assert_non_null(fgets(line, (int)cap, ft));
		json_t *rt = json_loads(line, 0, &je), *trs = json_object_get(rt, "result");
		if (!trs) fail_msg("traces %zu: %s", bi, je.text);
		json_t *txs = json_object_get(blk, "transactions");
		assert_int_equal(json_array_size(txs), json_array_size(rcpts));
		size_t k;
		json_t *t;
		json_array_foreach(txs, k, t) {
			assert_string_equal(json_string_value(json_object_get(t, "hash")), CELL(&x.t, ti, t_hash));
			assert_string_equal(json_string_value(json_object_get(t, "from")), CELL(&x.t, ti, t_from));
			assert_string_equal(json_string_value(json_object_get(t, "to")), CELL(&x.t, ti, t_to));
			assert_string_equal(json_string_value(json_object_get(t, "input")), CELL(&x.t, ti, t_in));
			assert_true(hexq(json_string_value(json_object_get(t, "value"))) == dec(CELL(&x.t, ti, t_val)));
			assert_true(hexq(json_string_value(json_object_get(t, "gasPrice"))) == dec(CELL(&x.t, ti, t_price)));
			assert_true(hexq(json_string_value(json_object_get(t, "nonce"))) == dec(CELL(&x.t, ti, t_nonce)));
			json_t *r = json_array_get(rcpts, k);
			assert_string_equal(json_string_value(json_object_get(r, "transactionHash")), CELL(&x.t, ti, t_hash));
			assert_true(hexq(json_string_value(json_object_get(r, "status"))) == dec(CELL(&x.r, ti, r_status)));
			assert_true(hexq(json_string_value(json_object_get(r, "gasUsed"))) == dec(CELL(&x.r, ti, r_used)));
			assert_true(hexq(json_string_value(json_object_get(r, "cumulativeGasUsed"))) == dec(CELL(&x.r, ti, r_cum)));
			assert_true(hexq(json_string_value(json_object_get(r, "effectiveGasPrice"))) == dec(CELL(&x.t, ti, t_price)));
			size_t q;
			json_t *lg;
			json_array_foreach(json_object_get(r, "logs"), q, lg) {
				assert_true(hexq(json_string_value(json_object_get(lg, "logIndex"))) == dec(CELL(&x.l, li, col(&x.l, "log_index"))));
				assert_string_equal(json_string_value(json_object_get(lg, "data")), CELL(&x.l, li, l_data));
				assert_string_equal(json_string_value(json_object_get(lg, "address")), CELL(&x.l, li, l_addr));
				json_t *tp = json_object_get(lg, "topics");
				char joined[400] = "";
				for (size_t z = 0; z < json_array_size(tp); z++) {
					if (z) strcat(joined, ",");
					strcat(joined, json_string_value(json_array_get(tp, z)));
				}
				assert_string_equal(joined, CELL(&x.l, li, l_topics));
				li++;
			}
			ti++;
		}
		json_array_foreach(trs, k, t) {
			json_t *ac = json_object_get(t, "action");
			assert_string_equal(json_string_value(json_object_get(ac, "from")), CELL(&x.tr, tri, tr_from));
			assert_true(hexq(json_string_value(json_object_get(ac, "value"))) == dec(CELL(&x.tr, tri, tr_val)));
			assert_int_equal(json_object_get(t, "error") != NULL, CELL(&x.tr, tri, tr_err)[0] != 0);
			assert_int_equal(json_object_get(t, "result") == NULL, CELL(&x.tr, tri, tr_err)[0] != 0);
			json_t *ta = json_object_get(t, "traceAddress");
			char joined[64] = "";
			for (size_t z = 0; z < json_array_size(ta); z++) {
				char n[12];
				snprintf(n, sizeof n, "%s%lld", z ? "," : "", (long long)json_integer_value(json_array_get(ta, z)));
				strcat(joined, n);
			}
			assert_string_equal(joined, CELL(&x.tr, tri, tr_addr));
			tri++;
		}
		json_decref(rb);
		json_decref(rr);
		json_decref(rt);
	}
	assert_int_equal(ti, x.t.nrows);
	assert_int_equal(li, x.l.nrows);
	assert_int_equal(tri, x.tr.nrows);
	assert_null(fgets(line, (int)cap, fb));
	free(line);
	fclose(fb);
	fclose(fr);
	fclose(ft);
	export_free(&x);
	tu_rmrf(dir);
	free(dir);
}

/* The command line: --chain ethereum writes the export; Ethereum options
 * are refused for Bitcoin; bad values are usage errors. */
static void test_cli(void **state)
{
	(void)state;
	char *dir = tu_tmpdir("ethsim-cli");
	char cmd[8600], *out = NULL;
	snprintf(cmd, sizeof cmd, "'%s' simulate --chain ethereum --out '%s/x' --blocks 150 --txs-per-block 5 --heists 1 "
		 "--network dev --no-rpc --seed 4 -q 2>&1", TL_BINARY, dir);
	assert_int_equal(tu_run(cmd, &out), 0);
	free(out);
	static const char *want[] = { "blocks.csv", "transactions.csv", "receipts.csv", "logs.csv", "token_transfers.csv",
				      "traces.csv", "truth.json", "tags.csv", "heists.json" };
	char path[4300];
	struct stat sb;
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		snprintf(path, sizeof path, "%s/x/%s", dir, want[i]);
		assert_int_equal(stat(path, &sb), 0);
	}
	snprintf(path, sizeof path, "%s/x/rpc", dir);
	assert_int_not_equal(stat(path, &sb), 0); /* --no-rpc */
	snprintf(path, sizeof path, "%s/x/tags.csv", dir);
	size_t len;
	char *tags = (char *)tu_read_file(path, &len);
	assert_non_null(strstr(tags, "\nethereum-dev,0x"));
	free(tags);
	/* the same run from the library is byte-identical */
	snprintf(cmd, sizeof cmd, "%s/y", dir);
	struct tl_eth_sim_params p;
	tl_eth_sim_params_default(&p);
	p.blocks = 150;
	p.txs_per_block = 5;
	p.mainnet = false;
	p.rpc = false;
	p.seed = 4;
	struct tl_err err = { 0 };
	assert_int_equal(tl_eth_sim_run(cmd, &p, NULL, &err), 0);
	char xa[4300], ya[4300];
	snprintf(xa, sizeof xa, "%s/x", dir);
	snprintf(ya, sizeof ya, "%s/y", dir);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) assert_true(same_file(xa, ya, want[i]));
	static const char *bad[] = { "--chain ethereum --out '%s/z' --blocks 149", "--chain ethereum --out '%s/z' --network sepolia",
				     "--out '%s/z' --heists 2", "--chain dogecoin --out '%s/z'", "--chain ethereum --out '%s/z' --blocks x" };
	static const int rc[] = { 1, 2, 2, 2, 2 };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char args[4400];
		snprintf(args, sizeof args, bad[i], dir);
		snprintf(cmd, sizeof cmd, "'%s' simulate %s -q 2>&1", TL_BINARY, args);
		out = NULL;
		int r = tu_run(cmd, &out);
		if (r != rc[i]) fail_msg("%s: exit %d, expected %d: %s", args, r, rc[i], out ? out : "");
		assert_non_null(strstr(out, "simulate"));
		free(out);
	}
	tu_rmrf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keccak),
		cmocka_unit_test(test_bad_params),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_headers_match_ethereum_etl),
		cmocka_unit_test(test_export_and_truth),
		cmocka_unit_test(test_tags_import),
		cmocka_unit_test(test_rpc_matches_csv),
		cmocka_unit_test(test_cli),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
