/* Accounts, balances and the transaction builder of the Ethereum
 * simulator. A transaction is built by esim_tx (fee, top-level call),
 * then esim_call / esim_log / esim_token_move for its internal calls and
 * events; every value movement goes through move(), which keeps the
 * balances and feeds the heists' accounting (esim_flow). */
#include <stdlib.h>
#include <string.h>

#include "sim/eth_internal.h"

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap) return p;
	size_t c = *cap ? *cap * 2 : 64;
	while (c < need) c *= 2;
	void *q = realloc(p, c * elem);
	if (!q) abort();
	*cap = c;
	return q;
}

int32_t esim_account_at(struct esim *s, const uint8_t addr[20], uint8_t kind)
{
	s->a = grow(s->a, &s->cap_a, s->n_a + 1, sizeof *s->a);
	struct eacct *a = &s->a[s->n_a];
	memset(a, 0, sizeof *a);
	memcpy(a->addr, addr, 20);
	a->kind = kind;
	a->ex = -1;
	return (int32_t)s->n_a++;
}

int32_t esim_account(struct esim *s, uint8_t kind, int ex, uint8_t heist)
{
	uint8_t buf[32], h[32];
	memcpy(buf, "tlsim-eth-acct\0\0", 16);
	for (int i = 0; i < 8; i++) buf[16 + i] = (uint8_t)(s->p.seed >> (8 * i));
	for (int i = 0; i < 8; i++) buf[24 + i] = (uint8_t)(s->addr_ctr >> (8 * i));
	s->addr_ctr++;
	tl_keccak256(buf, sizeof buf, h);
	int32_t i = esim_account_at(s, h + 12, kind);
	s->a[i].ex = (int8_t)ex;
	s->a[i].heist = heist;
	return i;
}

void esim_credit(struct esim *s, int32_t acct, int asset, u128 v)
{
	u128 *b = &s->a[acct].bal[asset];
	if (v >= ESIM_LIMIT - *b) {
		s->fault = "an amount would reach 2^127";
		return;
	}
	*b += v;
}

void esim_debit(struct esim *s, int32_t acct, int asset, u128 v)
{
	u128 *b = &s->a[acct].bal[asset];
	if (*b < v) {
		s->fault = "a balance would go below zero (simulator bug)";
		return;
	}
	*b -= v;
}

void esim_flow(struct esim *s, int asset, int32_t from, int32_t to, u128 v)
{
	uint8_t hf = from >= 0 ? s->a[from].heist : 0, ht = to >= 0 ? s->a[to].heist : 0;
	if (hf == ht || !v) return;
	if (hf) {
		struct eheist *h = &s->h[hf - 1];
		int f;
		if (to < 0) f = F_FEES;
		else if (s->a[to].kind == K_DEPOSIT) f = F_CASHOUT;
		else if (to == s->mixer) f = F_MIXED;
		else if (to == s->router) f = F_BRIDGED;
		else if (to == s->pool) f = F_CONVERTED_OUT;
		else f = F_OTHER_OUT;
		h->flow[asset][f] += v;
	}
	if (ht) {
		struct eheist *h = &s->h[ht - 1];
		int f;
		if (from == h->victim) f = F_DRAINED;
		else if (from == s->pool) f = F_CONVERTED_IN;
		else if (from == s->mixer) f = F_MIXER_IN;
		else f = F_CLEAN_IN;
		h->flow[asset][f] += v;
	}
}

/* Every value movement: balances plus the heists' accounting. */
static void move(struct esim *s, int asset, int32_t from, int32_t to, u128 v)
{
	if (!v) return;
	esim_debit(s, from, asset, v);
	esim_credit(s, to, asset, v);
	esim_flow(s, asset, from, to, v);
}

uint32_t esim_bytes(struct esim *s, const void *p, size_t n)
{
	struct eblock *b = &s->b;
	b->bytes = grow(b->bytes, &b->cap_bytes, b->n_bytes + n + 1, 1);
	uint32_t off = (uint32_t)b->n_bytes;
	if (n) memcpy(b->bytes + off, p, n);
	b->n_bytes += n;
	return off;
}

void esim_word_addr(uint8_t w[32], const uint8_t addr[20])
{
	memset(w, 0, 12);
	memcpy(w + 12, addr, 20);
}

void esim_word_u128(uint8_t w[32], u128 v)
{
	memset(w, 0, 32);
	for (int i = 31; i >= 16; i--, v >>= 8) w[i] = (uint8_t)v;
}

void esim_selector(const char *sig, uint8_t out[4])
{
	uint8_t h[32];
	tl_keccak256(sig, strlen(sig), h);
	memcpy(out, h, 4);
}

/* The three bloom bits of an address or topic (yellow paper: the low 11
 * bits of the first three byte pairs of its keccak-256). Topics and
 * addresses repeat (event signatures, busy accounts): a direct-mapped
 * cache saves most of the hashing. */
static void bloom_add(struct esim *s, uint8_t bloom[256], const uint8_t *p, size_t n)
{
	uint64_t k = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++) k = (k ^ p[i]) * 1099511628211ull;
	struct esim_bloom_slot *c = &s->bloom_cache[k & (ESIM_BLOOM_CACHE - 1)];
	if (!(c->len == n && !memcmp(c->key, p, n))) {
		uint8_t h[32];
		tl_keccak256(p, n, h);
		for (int i = 0; i < 3; i++) c->bit[i] = (uint16_t)(((unsigned)h[2 * i] << 8 | h[2 * i + 1]) & 2047u);
		memcpy(c->key, p, n);
		c->len = (uint8_t)n;
	}
	for (int i = 0; i < 3; i++) bloom[255 - c->bit[i] / 8] |= (uint8_t)(1u << (c->bit[i] % 8));
}

static uint64_t tx_price(struct esim *s, bool legacy, uint64_t *prio, uint64_t *max_fee)
{
	uint64_t base = s->b.base_fee;
	if (legacy) {
		*prio = s->b.legacy_prio;
		*max_fee = base + *prio;
	} else {
		*prio = sim_rng_range(&s->rng, 10000000ull, 2000000000ull);
		*max_fee = 2 * base + *prio;
	}
	return base + *prio;
}

u128 esim_legacy_fee(struct esim *s, uint64_t gas_used)
{
	return (u128)gas_used * (s->b.base_fee + s->b.legacy_prio);
}

bool esim_affords(struct esim *s, int32_t from, u128 value, uint64_t gas_used, int legacy)
{
	uint64_t worst = legacy ? s->b.base_fee + s->b.legacy_prio : 2 * s->b.base_fee + 2000000000ull;
	uint64_t gas = legacy ? gas_used : gas_used + gas_used / 2;
	return s->a[from].bal[A_ETH] >= value + (u128)gas * worst;
}

static struct etrace *new_trace(struct esim *s)
{
	struct eblock *b = &s->b;
	b->tr = grow(b->tr, &b->cap_tr, b->n_tr + 1, sizeof *b->tr);
	struct etrace *t = &b->tr[b->n_tr++];
	memset(t, 0, sizeof *t);
	t->call_type = "call";
	return t;
}

int esim_tx(struct esim *s, int32_t from, int32_t to, u128 value, uint64_t gas_used, bool legacy, bool ok,
	    const uint8_t *input, size_t in_len)
{
	struct eblock *b = &s->b;
	if (b->gas_used + gas_used > b->gas_limit) return -1;
	/* the heists' accounts bid like everyone else: they only get the
	 * block's room up to 40% of its gas (below the target), so that
	 * laundering does not drive the base fee up without bound */
	if (s->a[from].heist && b->gas_used + gas_used > b->gas_limit / 100 * 40) return -1;
	uint64_t prio, max_fee, price = tx_price(s, legacy, &prio, &max_fee);
	uint64_t gas = legacy ? gas_used : gas_used + sim_rng_below(&s->rng, gas_used / 2 + 1);
	if (s->a[from].bal[A_ETH] < value + (u128)gas * max_fee) return -1;
	b->tx = grow(b->tx, &b->cap_tx, b->n_tx + 1, sizeof *b->tx);
	struct etx *t = &b->tx[b->n_tx];
	memset(t, 0, sizeof *t);
	t->from = from;
	t->to = to;
	t->nonce = s->a[from].nonce++;
	t->value = value;
	t->gas = gas;
	t->gas_used = gas_used;
	t->type = legacy ? 0 : 2;
	t->max_fee = max_fee;
	t->prio = prio;
	t->price = price;
	t->in_off = esim_bytes(s, input, in_len);
	t->in_len = (uint32_t)in_len;
	t->status = ok;
	t->log0 = (uint32_t)b->n_lg;
	t->tr0 = (uint32_t)b->n_tr;
	b->gas_used += gas_used;
	t->cumulative = b->gas_used;
	/* hash over what makes the transaction unique */
	uint8_t buf[64];
	memcpy(buf, "tlsim-eth-tx", 12);
	for (int i = 0; i < 8; i++) buf[12 + i] = (uint8_t)(s->p.seed >> (8 * i));
	for (int i = 0; i < 8; i++) buf[20 + i] = (uint8_t)(b->number >> (8 * i));
	for (int i = 0; i < 4; i++) buf[28 + i] = (uint8_t)(b->n_tx >> (8 * i));
	memcpy(buf + 32, s->a[from].addr, 20);
	for (int i = 0; i < 4; i++) buf[52 + i] = (uint8_t)(t->nonce >> (8 * i));
	memset(buf + 56, 0, 8);
	tl_keccak256(buf, sizeof buf, t->hash);
	/* signatures are placeholders: random, low-s shaped */
	sim_rng_bytes(&s->rng, t->r, 32);
	sim_rng_bytes(&s->rng, t->s, 32);
	t->s[0] &= 0x7f;
	t->yparity = t->hash[31] & 1;
	b->n_tx++;
	s->cur = t;
	/* the fee: base part burned, priority part to the block's fee recipient */
	u128 fee = (u128)gas_used * price;
	esim_debit(s, from, A_ETH, fee);
	esim_flow(s, A_ETH, from, -1, fee);
	s->burned += (u128)gas_used * b->base_fee;
	esim_credit(s, b->miner, A_ETH, (u128)gas_used * prio);
	struct etrace *tr = new_trace(s);
	tr->tx = (uint32_t)(b->n_tx - 1);
	tr->from = from;
	tr->to = to;
	tr->value = value;
	tr->in_off = t->in_off;
	tr->in_len = t->in_len;
	tr->gas = gas > 21000 ? gas - 21000 : 0;
	tr->gas_used = gas_used > 21000 ? gas_used - 21000 : 0;
	tr->parent = -1;
	tr->status = ok;
	tr->error = ok ? NULL : "Reverted";
	tr->out_off = esim_bytes(s, NULL, 0);
	t->n_tr = 1;
	if (!ok) s->n_failed++;
	s->n_txs++;
	if (ok) move(s, A_ETH, from, to, value);
	return (int)(b->n_tr - 1);
}

int esim_call(struct esim *s, int parent, int32_t from, int32_t to, u128 value, bool ok, const uint8_t *input,
	      size_t in_len)
{
	struct eblock *b = &s->b;
	struct etrace *t = new_trace(s);
	struct etrace *p = &b->tr[parent];
	if (p->depth >= 3) abort(); /* the simulator never nests deeper */
	t->tx = p->tx;
	t->from = from;
	t->to = to;
	t->value = value;
	t->in_off = esim_bytes(s, input, in_len);
	t->in_len = (uint32_t)in_len;
	t->out_off = esim_bytes(s, NULL, 0);
	t->parent = parent;
	t->depth = (uint8_t)(p->depth + 1);
	memcpy(t->path, p->path, sizeof t->path);
	t->path[p->depth] = (uint8_t)p->subtraces++;
	t->gas = p->gas > 2300 ? p->gas / 2 : 0;
	t->gas_used = ok ? t->gas / 3 : 0;
	t->error = ok ? NULL : "Reverted";
	t->status = ok && p->status;
	s->cur->n_tr++;
	if (t->status) move(s, A_ETH, from, to, value);
	return (int)(b->n_tr - 1);
}

void esim_log(struct esim *s, int32_t address, int n_topics, const uint8_t (*topics)[32], const uint8_t *data,
	      size_t data_len)
{
	struct eblock *b = &s->b;
	b->lg = grow(b->lg, &b->cap_lg, b->n_lg + 1, sizeof *b->lg);
	struct elog *l = &b->lg[b->n_lg++];
	l->tx = (uint32_t)(b->n_tx - 1);
	l->address = address;
	l->n_topics = (uint8_t)n_topics;
	memcpy(l->topics, topics, (size_t)n_topics * 32);
	l->data_off = esim_bytes(s, data, data_len);
	l->data_len = (uint32_t)data_len;
	s->cur->n_logs++;
	bloom_add(s, s->cur->bloom, s->a[address].addr, 20);
	for (int i = 0; i < n_topics; i++) bloom_add(s, s->cur->bloom, topics[i], 32);
}

int32_t esim_asset_contract(struct esim *s, int asset)
{
	return asset == A_WETH ? s->weth : asset == A_TKN ? s->tkn : s->stk;
}

void esim_token_move(struct esim *s, int asset, int32_t from, int32_t to, u128 v)
{
	uint8_t topics[3][32], data[32];
	memcpy(topics[0], s->t_transfer, 32);
	esim_word_addr(topics[1], s->a[from].addr);
	esim_word_addr(topics[2], s->a[to].addr);
	esim_word_u128(data, v);
	esim_log(s, esim_asset_contract(s, asset), 3, (const uint8_t(*)[32])topics, data, 32);
	if (from == s->zero) {
		esim_credit(s, to, asset, v); /* a mint: the zero address has no balance to debit */
		esim_flow(s, asset, from, to, v);
	} else {
		move(s, asset, from, to, v);
	}
}
