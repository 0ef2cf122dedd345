/* The multichain simulator (see xchain.h and docs/bridges.md).
 *
 * Ethereum (network dev): a Bybit-shaped theft drains the victim's cold
 * wallet to one address, which splits it over eight, each of which
 * deposits twice to THORChain's inbound vault (swaps to Bitcoin); other
 * users deposit to the vault too. Bitcoin (regtest): the vault pays each
 * inbound out with an OUT:<inbound hash> memo (some split over two
 * OP_RETURN outputs); the thieves' coins then go to exchange deposit
 * addresses directly, through a two-hop peel, or through a 5-party
 * equal-output CoinJoin, or stay put; one inbound's outbound has not
 * happened yet. A DMM-shaped theft on Bitcoin deposits to the vault with
 * memo =:ETH.ETH:0x... (paid on Ethereum by the vault), and one such
 * deposit is refunded (REFUND:<txid>). Bitcoin transactions are not
 * signed (the indexer does not verify scripts); values always balance. */
#include "sim/xchain.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "bitcoin/address.h"
#include "bitcoin/block.h"
#include "base/bytes.h"
#include "bitcoin/hash.h"
#include "bitcoin/network.h"
#include "ethereum/keccak.h"
#include "ethereum/u256.h"
#include "sim/internal.h"
#include "sim/sim.h"

#define WEI_PER_ETH_STR "000000000000000000"
#define SAT_PER_ETH 5000000ULL /* 0.05 BTC per ETH */
#define N_THIEF 8
#define N_CLEAN 6

struct coin {
	uint8_t txid[32];
	uint32_t vout;
	uint64_t value;
	uint8_t owner[20];
};

struct btc {
	struct tl_buf txs;
	uint8_t (*ids)[32];
	size_t n, cap;
	struct tl_buf file;
	uint8_t tip[32];
	uint32_t height, time;
	const struct tl_netparams *np;
};

struct xs {
	struct sim_rng rng;
	uint64_t seed;
	struct btc b;
	FILE *etx, *erc, *ebl;
	uint64_t eblock, etxi, etime;
	uint64_t etxn;
	char eblock_hash[67], eparent[67];
	json_t *truth;
};

static void owner_of(struct xs *x, const char *role, int i, uint8_t out[20])
{
	char buf[96];
	uint8_t h[32];
	snprintf(buf, sizeof buf, "xsim|%llu|%s|%d", (unsigned long long)x->seed, role, i);
	tl_sha256(buf, strlen(buf), h);
	memcpy(out, h, 20);
}

static void eth_addr(struct xs *x, const char *role, int i, char out[43])
{
	uint8_t a[20];
	owner_of(x, role, i, a);
	out[0] = '0', out[1] = 'x';
	tl_hex_encode(a, 20, out + 2);
}

static void btc_addr(struct xs *x, const uint8_t owner[20], char out[TL_ADDRESS_MAX])
{
	uint8_t spk[22] = { 0x00, 0x14 };
	memcpy(spk + 2, owner, 20);
	if (tl_address_from_script(spk, 22, x->b.np, out) != 0) snprintf(out, TL_ADDRESS_MAX, "?");
}

/* ---- Bitcoin ---- */

struct out {
	uint64_t value;
	const uint8_t *owner; /* NULL: OP_RETURN with text */
	const char *text;
	size_t tlen;
};

static void btc_tx(struct xs *x, const struct coin *in, size_t nin, const struct out *o, size_t nout, struct coin *made)
{
	struct tl_buf t;
	tl_buf_init(&t);
	tl_buf_u32le(&t, 2);
	tl_buf_compact(&t, nin ? nin : 1);
	if (!nin) { /* coinbase: BIP34 height push */
		tl_buf_put(&t, (uint8_t[32]){ 0 }, 32);
		tl_buf_u32le(&t, 0xffffffff);
		uint8_t sig[6] = { 0x04, (uint8_t)x->b.height, (uint8_t)(x->b.height >> 8), (uint8_t)(x->b.height >> 16), 0, 0x58 };
		tl_buf_compact(&t, sizeof sig);
		tl_buf_put(&t, sig, sizeof sig);
		tl_buf_u32le(&t, 0xffffffff);
	}
	for (size_t i = 0; i < nin; i++) {
		tl_buf_put(&t, in[i].txid, 32);
		tl_buf_u32le(&t, in[i].vout);
		tl_buf_compact(&t, 0);
		tl_buf_u32le(&t, 0xfffffffd);
	}
	tl_buf_compact(&t, nout);
	for (size_t i = 0; i < nout; i++) {
		tl_buf_u64le(&t, o[i].value);
		if (o[i].owner) {
			uint8_t spk[22] = { 0x00, 0x14 };
			memcpy(spk + 2, o[i].owner, 20);
			tl_buf_compact(&t, 22);
			tl_buf_put(&t, spk, 22);
		} else {
			tl_buf_compact(&t, 2 + o[i].tlen);
			tl_buf_u8(&t, 0x6a);
			tl_buf_u8(&t, (uint8_t)o[i].tlen);
			tl_buf_put(&t, o[i].text, o[i].tlen);
		}
	}
	tl_buf_u32le(&t, 0);
	uint8_t id[32];
	tl_sha256d(t.data, t.len, id);
	tl_buf_put(&x->b.txs, t.data, t.len);
	tl_buf_free(&t);
	if (x->b.n == x->b.cap) {
		x->b.cap = x->b.cap ? x->b.cap * 2 : 16;
		x->b.ids = realloc(x->b.ids, x->b.cap * sizeof *x->b.ids);
		if (!x->b.ids) abort();
	}
	memcpy(x->b.ids[x->b.n++], id, 32);
	for (size_t i = 0; made && i < nout; i++) {
		memcpy(made[i].txid, id, 32);
		made[i].vout = (uint32_t)i;
		made[i].value = o[i].value;
		if (o[i].owner) memcpy(made[i].owner, o[i].owner, 20);
	}
}

/* Starts a block: its coinbase pays 50 BTC to owner. */
static void btc_begin(struct xs *x, const uint8_t owner[20], struct coin *cb)
{
	x->b.height++;
	struct out o = { 5000000000ULL, owner, NULL, 0 };
	btc_tx(x, NULL, 0, &o, 1, cb);
}

static void btc_mine(struct xs *x)
{
	struct tl_header h = { .version = 0x20000000, .time = 1740300000 + x->b.height * 600, .bits = 0x207fffff };
	memcpy(h.prev, x->b.tip, 32);
	bool mutated;
	tl_merkle_root((const uint8_t(*)[32])x->b.ids, x->b.n, h.merkle, &mutated);
	uint8_t ser[80];
	tl_header_serialize(&h, ser);
	sim_mine(ser, x->b.tip);
	tl_buf_put(&x->b.file, x->b.np->magic, 4);
	struct tl_buf n;
	tl_buf_init(&n);
	tl_buf_compact(&n, x->b.n);
	tl_buf_u32le(&x->b.file, (uint32_t)(80 + n.len + x->b.txs.len));
	tl_buf_put(&x->b.file, ser, 80);
	tl_buf_put(&x->b.file, n.data, n.len);
	tl_buf_put(&x->b.file, x->b.txs.data, x->b.txs.len);
	tl_buf_free(&n);
	x->b.txs.len = 0;
	x->b.n = 0;
}

static void txid_hex(const uint8_t id[32], char out[65]) { tl_hash_to_hex(id, out); }

/* ---- Ethereum ---- */

static void hex32_of(struct xs *x, const char *kind, uint64_t n, char out[67])
{
	char buf[96];
	uint8_t h[32];
	snprintf(buf, sizeof buf, "xsim|%llu|%s|%llu", (unsigned long long)x->seed, kind, (unsigned long long)n);
	tl_sha256(buf, strlen(buf), h);
	out[0] = '0', out[1] = 'x';
	tl_hex_encode(h, 32, out + 2);
}

static void eth_block(struct xs *x, int ntx)
{
	x->eblock++;
	memcpy(x->eparent, x->eblock_hash, 67);
	hex32_of(x, "block", x->eblock, x->eblock_hash);
	fprintf(x->ebl, "%llu,%s,%s,0x9999999999999999999999999999999999999999,%llu,%d,500000000\n",
		(unsigned long long)x->eblock, x->eblock_hash, x->eparent,
		(unsigned long long)(1740096000 + x->eblock * 12), ntx);
	x->etxi = 0;
}

/* An ether transfer of eth whole ETH (plus extra wei); hash into h. */
static void eth_tx(struct xs *x, const char *from, const char *to, uint64_t eth, char h[67])
{
	hex32_of(x, "tx", ++x->etxn, h);
	fprintf(x->etx, "%s,%llu,%llu,%s,%s,%llu" WEI_PER_ETH_STR ",1000000000\n", h, (unsigned long long)x->eblock,
		(unsigned long long)x->etxi, from, to, (unsigned long long)eth);
	fprintf(x->erc, "%s,%llu,%llu,21000,1000000000,1\n", h, (unsigned long long)x->eblock, (unsigned long long)x->etxi);
	x->etxi++;
}

static int mkdirs(const char *p, struct tl_err *err)
{
	if (mkdir(p, 0755) && errno != EEXIST) return tl_err_set(err, "cannot create %s: %s", p, strerror(errno));
	return 0;
}

static FILE *open_in(const char *dir, const char *name, struct tl_err *err)
{
	char p[1200];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	if (!f) tl_err_set(err, "cannot write %s", p);
	return f;
}

int tl_xsim_run(const char *dir, uint64_t seed, struct tl_err *err)
{
	struct xs x;
	memset(&x, 0, sizeof x);
	x.seed = seed;
	sim_rng_seed(&x.rng, seed, 77);
	x.b.np = tl_net_params(TL_NET_REGTEST);
	if (strlen(dir) > 1024) return tl_err_set(err, "output directory name too long");
	char edir[1100], bdir[1100], blocks[1100];
	snprintf(edir, sizeof edir, "%s/ethereum", dir);
	snprintf(bdir, sizeof bdir, "%s/bitcoin", dir);
	snprintf(blocks, sizeof blocks, "%s/bitcoin/blocks", dir);
	if (mkdirs(dir, err) || mkdirs(edir, err) || mkdirs(bdir, err) || mkdirs(blocks, err)) return -1;
	x.ebl = open_in(edir, "blocks.csv", err);
	x.etx = open_in(edir, "transactions.csv", err);
	x.erc = open_in(edir, "receipts.csv", err);
	if (!x.ebl || !x.etx || !x.erc) {
		if (x.ebl) fclose(x.ebl);
		if (x.etx) fclose(x.etx);
		if (x.erc) fclose(x.erc);
		return -1;
	}
	fputs("number,hash,parent_hash,miner,timestamp,transaction_count,base_fee_per_gas\n", x.ebl);
	fputs("hash,block_number,transaction_index,from_address,to_address,value,gas_price\n", x.etx);
	fputs("transaction_hash,block_number,transaction_index,gas_used,effective_gas_price,status\n", x.erc);
	snprintf(x.eblock_hash, sizeof x.eblock_hash, "0x%064d", 0);

	char victim[43], a0[43], vault[43], thief[N_THIEF][43], clean[N_CLEAN][43], dmm_eth[43], h[67];
	eth_addr(&x, "victim", 0, victim);
	eth_addr(&x, "attacker", 0, a0);
	eth_addr(&x, "vault", 0, vault);
	eth_addr(&x, "dmm-eth", 0, dmm_eth);
	for (int i = 0; i < N_THIEF; i++) eth_addr(&x, "thief", i, thief[i]);
	for (int i = 0; i < N_CLEAN; i++) eth_addr(&x, "clean", i, clean[i]);

	json_t *bybit = json_object(), *inb = json_array(), *cashouts = json_array(), *dormant = json_array(),
	       *pending = json_array(), *cj = json_array(), *crossings = json_array();
	/* Ethereum: theft, split, deposits */
	eth_block(&x, 1);
	char theft[67];
	eth_tx(&x, victim, a0, 10000, theft);
	eth_block(&x, N_THIEF);
	for (int i = 0; i < N_THIEF; i++) eth_tx(&x, a0, thief[i], 1200, h);
	struct inbound {
		char hash[67];
		uint64_t eth;
		int thief; /* -1 clean */
	} ins[2 * N_THIEF + N_CLEAN];
	int nin = 0;
	eth_block(&x, 2 * N_THIEF + N_CLEAN);
	for (int i = 0; i < N_THIEF; i++)
		for (int k = 0; k < 2; k++) {
			uint64_t e = 400 + sim_rng_below(&x.rng, 150);
			eth_tx(&x, thief[i], vault, e, ins[nin].hash);
			ins[nin].eth = e;
			ins[nin++].thief = i;
		}
	for (int i = 0; i < N_CLEAN; i++) {
		uint64_t e = 50 + sim_rng_below(&x.rng, 100);
		eth_tx(&x, clean[i], vault, e, ins[nin].hash);
		ins[nin].eth = e;
		ins[nin++].thief = -1;
	}

	/* Bitcoin: vault coins (one coinbase per outbound), exchanges */
	uint8_t vault_b[20], pool[20], coord[20];
	owner_of(&x, "btc-vault", 0, vault_b);
	owner_of(&x, "pool", 0, pool);
	owner_of(&x, "coordinator", 0, coord);
	sim_genesis_block(&x.b.file); /* bytes of genesis, then its record framing below */
	{
		struct tl_buf g;
		tl_buf_init(&g);
		tl_buf_put(&g, x.b.np->magic, 4);
		tl_buf_u32le(&g, (uint32_t)x.b.file.len);
		tl_buf_put(&g, x.b.file.data, x.b.file.len);
		tl_sha256d(x.b.file.data, 80, x.b.tip);
		tl_buf_free(&x.b.file);
		x.b.file = g;
	}
	struct coin vc[40], cleanc[8];
	int nvc = 0;
	for (int i = 0; i < 30; i++) {
		btc_begin(&x, vault_b, &vc[nvc++]);
		btc_mine(&x);
	}
	for (int i = 0; i < 8; i++) { /* clean CoinJoin participants' coins */
		uint8_t o[20];
		owner_of(&x, "cj-clean", i, o);
		btc_begin(&x, o, &cleanc[i]);
		btc_mine(&x);
	}
	/* outbounds: all but the last thief inbound (its outbound comes later) */
	struct coin payout[2 * N_THIEF + N_CLEAN];
	int vi = 0;
	struct coin dummy_cb;
	btc_begin(&x, pool, &dummy_cb);
	for (int k = 0; k < nin; k++) {
		bool later = k == 2 * N_THIEF - 1;
		json_t *ij = json_pack("{s:s,s:s,s:b}", "eth_tx", ins[k].hash, "amount_eth", "", "thief", ins[k].thief >= 0);
		json_object_set_new(ij, "amount_eth", json_integer((json_int_t)ins[k].eth));
		if (later) {
			json_array_append_new(pending, json_string(ins[k].hash));
			json_object_set_new(ij, "outbound", json_null());
			json_array_append_new(inb, ij);
			continue;
		}
		uint8_t payee[20];
		owner_of(&x, ins[k].thief >= 0 ? "thief-btc" : "clean-btc", k, payee);
		char memo[80], up[67];
		for (int i = 0; i < 64; i++) {
			char c = ins[k].hash[2 + i];
			up[i] = c >= 'a' && c <= 'f' ? (char)(c - 32) : c;
		}
		up[64] = 0;
		int ml = snprintf(memo, sizeof memo, "OUT:%s", up);
		uint64_t sat = ins[k].eth * SAT_PER_ETH - 20000 - sim_rng_below(&x.rng, 100000); /* THORChain's fees */
		struct coin *vin = &vc[vi++];
		struct out o[4];
		int no = 0;
		bool split = k % 3 == 0;
		o[no++] = (struct out){ sat, payee, NULL, 0 };
		if (split) {
			o[no++] = (struct out){ 0, NULL, memo, 40 };
			o[no++] = (struct out){ 0, NULL, memo + 40, (size_t)ml - 40 };
		} else {
			o[no++] = (struct out){ 0, NULL, memo, (size_t)ml };
		}
		o[no++] = (struct out){ vin->value - sat - 3000, vault_b, NULL, 0 };
		struct coin made[4];
		btc_tx(&x, vin, 1, o, (size_t)no, made);
		payout[k] = made[0];
		char th[65];
		txid_hex(made[0].txid, th);
		json_object_set_new(ij, "outbound", json_pack("{s:s,s:i,s:I}", "txid", th, "vout", 0, "amount_sat", (json_int_t)sat));
		json_array_append_new(inb, ij);
		if (ins[k].thief >= 0) /* the heist's crossings; every inbound is in "inbounds" */
			json_array_append_new(crossings, json_pack("{s:s,s:s,s:I}", "from_tx", ins[k].hash, "to_tx", th, "amount_sat",
								   (json_int_t)sat));
	}
	btc_mine(&x);

	/* the thieves' coins: cash-out, peel, CoinJoin, dormant; clean payees deposit */
	btc_begin(&x, pool, &dummy_cb);
	struct coin cj_in[5];
	int ncj = 0;
	for (int k = 0; k < nin; k++) {
		if (k == 2 * N_THIEF - 1) continue;
		struct coin *c = &payout[k];
		int ex = (int)sim_rng_below(&x.rng, 3);
		uint8_t dep[20];
		owner_of(&x, ins[k].thief >= 0 ? "deposit-thief" : "deposit-clean", k * 3 + ex, dep);
		int role = ins[k].thief < 0 ? 0 : k % 4;
		struct coin made[2];
		char th[65];
		if (role == 0) { /* straight to an exchange */
			struct out o = { c->value - 2000, dep, NULL, 0 };
			btc_tx(&x, c, 1, &o, 1, made);
			if (ins[k].thief >= 0) {
				txid_hex(made[0].txid, th);
				json_array_append_new(cashouts, json_pack("{s:s,s:i,s:I,s:s}", "txid", th, "vout", 0, "amount_sat",
									  (json_int_t)made[0].value, "how", "direct"));
			}
		} else if (role == 1) { /* a peel: 10% to an exchange, the rest on, then in */
			uint8_t next[20];
			owner_of(&x, "peel", k, next);
			uint64_t p = c->value / 10;
			struct out o[2] = { { p, dep, NULL, 0 }, { c->value - p - 2000, next, NULL, 0 } };
			btc_tx(&x, c, 1, o, 2, made);
			txid_hex(made[0].txid, th);
			json_array_append_new(cashouts, json_pack("{s:s,s:i,s:I,s:s}", "txid", th, "vout", 0, "amount_sat",
								  (json_int_t)p, "how", "peel"));
			struct coin rest = made[1];
			uint8_t dep2[20];
			owner_of(&x, "deposit-thief2", k, dep2);
			struct out o2 = { rest.value - 2000, dep2, NULL, 0 };
			btc_tx(&x, &rest, 1, &o2, 1, made);
			txid_hex(made[0].txid, th);
			json_array_append_new(cashouts, json_pack("{s:s,s:i,s:I,s:s}", "txid", th, "vout", 0, "amount_sat",
								  (json_int_t)made[0].value, "how", "peel"));
		} else if (role == 2 && ncj == 0) { /* into the CoinJoin (one thief coin) */
			cj_in[ncj++] = *c;
		} else { /* dormant */
			txid_hex(c->txid, th);
			json_array_append_new(dormant, json_pack("{s:s,s:i,s:I}", "txid", th, "vout", (int)c->vout, "amount_sat",
								 (json_int_t)c->value));
		}
	}
	btc_mine(&x);
	/* the CoinJoin: the thief's coin and four clean ones, five equal outputs of
	 * 10 BTC, changes, a coordinator fee; every output then goes to an exchange */
	btc_begin(&x, pool, &dummy_cb);
	for (int i = 0; ncj < 5; i++) cj_in[ncj++] = cleanc[i];
	struct out o[11];
	int no = 0;
	uint8_t mix_out[5][20], change[5][20];
	uint64_t denom = 1000000000ULL, fee = 100000;
	for (int i = 0; i < 5; i++) {
		owner_of(&x, "mixed", i, mix_out[i]);
		o[no++] = (struct out){ denom, mix_out[i], NULL, 0 };
	}
	for (int i = 0; i < 5; i++) {
		owner_of(&x, "cj-change", i, change[i]);
		o[no++] = (struct out){ cj_in[i].value - denom - fee - 1000, change[i], NULL, 0 };
	}
	o[no++] = (struct out){ 5 * fee, coord, NULL, 0 };
	struct coin mixed[11];
	btc_tx(&x, cj_in, 5, o, (size_t)no, mixed);
	char cjh[65];
	txid_hex(mixed[0].txid, cjh);
	json_array_append_new(cj, json_string(cjh));
	btc_mine(&x);
	btc_begin(&x, pool, &dummy_cb);
	for (int i = 0; i < 10; i++) { /* all ten go to exchanges; the thief's is mixed output 0 and change 0 */
		uint8_t dep[20];
		owner_of(&x, "deposit-mixed", i, dep);
		struct out oo = { mixed[i].value - 2000, dep, NULL, 0 };
		struct coin m[1];
		btc_tx(&x, &mixed[i], 1, &oo, 1, m);
		if (i == 0 || i == 5) {
			char th[65];
			txid_hex(m[0].txid, th);
			json_array_append_new(cashouts, json_pack("{s:s,s:i,s:I,s:s}", "txid", th, "vout", 0, "amount_sat",
								  (json_int_t)m[0].value, "how", i == 0 ? "coinjoin" : "coinjoin change"));
		}
	}
	btc_mine(&x);

	/* DMM-shaped: a theft on Bitcoin swapped to ether, one refunded */
	struct coin dcb, dmm[3];
	uint8_t dvictim[20], dthief[20];
	owner_of(&x, "dmm-victim", 0, dvictim);
	owner_of(&x, "dmm-thief", 0, dthief);
	btc_begin(&x, dvictim, &dcb);
	btc_mine(&x);
	btc_begin(&x, pool, &dummy_cb);
	struct out dsplit[2] = { { 2500000000ULL, dthief, NULL, 0 }, { 2499990000ULL, dthief, NULL, 0 } };
	btc_tx(&x, &dcb, 1, dsplit, 2, dmm);
	char dmemo[80];
	int dml = snprintf(dmemo, sizeof dmemo, "=:ETH.ETH:%s", dmm_eth);
	struct out din[2] = { { 2499990000ULL, vault_b, NULL, 0 }, { 0, NULL, dmemo, (size_t)dml } };
	struct coin dinb[2], dref[2];
	btc_tx(&x, &dmm[0], 1, din, 2, dinb);
	btc_tx(&x, &dmm[1], 1, din, 2, dref);
	btc_mine(&x);
	btc_begin(&x, pool, &dummy_cb);
	char rmemo[80], rid[65], did[65];
	txid_hex(dref[0].txid, rid);
	txid_hex(dinb[0].txid, did);
	for (char *p = rid; *p; p++) *p = (char)(*p >= 'a' && *p <= 'f' ? *p - 32 : *p);
	int rml = snprintf(rmemo, sizeof rmemo, "REFUND:%s", rid);
	struct out ro[3] = { { 2499900000ULL, dthief, NULL, 0 }, { 0, NULL, rmemo, (size_t)rml },
			     { 0, vault_b, NULL, 0 } };
	struct coin rin[2] = { dref[0], vc[vi++] };
	ro[2].value = rin[1].value - 3000 + 2499990000ULL - 2499900000ULL;
	btc_tx(&x, rin, 2, ro, 3, NULL);
	btc_mine(&x);
	/* its ether side: the vault pays the swap out on Ethereum */
	eth_block(&x, 1);
	char dmm_out[67];
	eth_tx(&x, vault, dmm_eth, 490, dmm_out);
	/* with the router's TransferOut(vault, to, asset, amount, memo)
	 * event, memo OUT:<the Bitcoin inbound's txid>. (The real router
	 * forwards the ether in an internal call; here the vault pays the
	 * payee directly and a router contract logs the event.) */
	char router[43], omemo[80];
	eth_addr(&x, "thorchain-router", 0, router);
	int oml = snprintf(omemo, sizeof omemo, "OUT:%s", did);
	for (char *q = omemo + 4; *q; q++) *q = (char)(*q >= 'a' && *q <= 'f' ? *q - 32 : *q);
	uint8_t t0[32], aw[32];
	static const char sig[] = "TransferOut(address,address,address,uint256,string)";
	tl_keccak256(sig, sizeof sig - 1, t0);
	tl_uint256 amt = tl_uint256_from_u64(490);
	if (tl_uint256_mul_u64(&amt, &amt, 1000000000000000000ull)) abort();
	tl_uint256_to_be32(&amt, aw);
	char t0h[65], awh[65];
	tl_hex_encode(t0, 32, t0h);
	tl_hex_encode(aw, 32, awh);
	char lp[1200];
	snprintf(lp, sizeof lp, "%s/logs.csv", edir);
	FILE *lf = fopen(lp, "w");
	if (!lf) return tl_err_set(err, "%s: %s", lp, strerror(errno));
	fprintf(lf, "log_index,transaction_hash,transaction_index,block_hash,block_number,address,data,topics\n");
	fprintf(lf, "0,%s,0,%s,%llu,%s,0x%064x%s%064x%064x", dmm_out, x.eblock_hash, (unsigned long long)x.eblock, router, 0,
		awh, 0x60, oml);
	for (int i = 0; i < (oml + 31) / 32 * 32; i++) fprintf(lf, "%02x", i < oml ? (unsigned char)omemo[i] : 0);
	fprintf(lf, ",\"0x%s,0x000000000000000000000000%s,0x000000000000000000000000%s\"\n", t0h, vault + 2, dmm_eth + 2);
	if (fclose(lf) != 0) return tl_err_set(err, "%s: write failed", lp);

	/* files */
	int rc = 0;
	rc |= fclose(x.ebl) != 0;
	rc |= fclose(x.etx) != 0;
	rc |= fclose(x.erc) != 0;
	if (rc) {
		tl_err_set(err, "writing the Ethereum export failed");
	} else {
		/* one blk file, not obfuscated (no xor.dat) */
		char bp[4096];
		snprintf(bp, sizeof bp, "%s/blk00000.dat", blocks);
		FILE *bf = fopen(bp, "wb");
		rc = !bf || fwrite(x.b.file.data, 1, x.b.file.len, bf) != x.b.file.len;
		if (bf) rc |= fclose(bf) != 0;
	}
	FILE *tf;
	char p[4096];
	char va[TL_ADDRESS_MAX], ea[TL_ADDRESS_MAX];
	btc_addr(&x, vault_b, va);
	snprintf(p, sizeof p, "%s/tags.csv", edir);
	if (!rc && (tf = fopen(p, "w"))) {
		fprintf(tf, "chain,address,label,category,source,confidence\nethereum-dev,%s,THORChain,bridge,taintline-simulator,100\n", vault);
		rc |= fclose(tf) != 0;
	}
	snprintf(p, sizeof p, "%s/heists.json", edir);
	json_t *hj = json_pack("{s:[{s:s,s:s,s:s,s:s,s:{s:s,s:s},s:[{s:s}]}]}", "heists", "id", "sim-bybit", "name",
			       "Simulated Bybit-shaped theft", "date", "2025-02-21", "chain", "ethereum-dev", "attribution",
			       "authority", "simulated", "document", "simulated", "seeds", "txid", theft);
	if (!rc) rc |= json_dump_file(hj, p, JSON_INDENT(2)) != 0;
	json_decref(hj);
	snprintf(p, sizeof p, "%s/tags.csv", bdir);
	if (!rc && (tf = fopen(p, "w"))) {
		fprintf(tf, "chain,address,label,category,source,confidence\n");
		/* every deposit address the simulation handed out */
		static const char *roles[] = { "deposit-thief", "deposit-clean", "deposit-thief2", "deposit-mixed" };
		for (int r = 0; r < 4; r++)
			for (int k = 0; k < 3 * (2 * N_THIEF + N_CLEAN) + 3; k++) {
				uint8_t dep[20];
				owner_of(&x, roles[r], k, dep);
				btc_addr(&x, dep, ea);
				fprintf(tf, "bitcoin-regtest,%s,Exchange %d,exchange,taintline-simulator,100\n", ea, k % 3);
			}
		btc_addr(&x, coord, ea);
		fprintf(tf, "bitcoin-regtest,%s,CoinJoin coordinator,mixer,taintline-simulator,100\n", ea);
		btc_addr(&x, vault_b, ea);
		fprintf(tf, "bitcoin-regtest,%s,THORChain,bridge,taintline-simulator,100\n", ea);
		rc |= fclose(tf) != 0;
	}
	char dtheft[65];
	txid_hex(dmm[0].txid, dtheft);
	snprintf(p, sizeof p, "%s/heists.json", bdir);
	hj = json_pack("{s:[{s:s,s:s,s:s,s:s,s:{s:s,s:s},s:[{s:s}]}]}", "heists", "id", "sim-dmm", "name",
		       "Simulated DMM-shaped theft", "date", "2024-05-31", "chain", "bitcoin-regtest", "attribution",
		       "authority", "simulated", "document", "simulated", "seeds", "txid", dtheft);
	if (!rc) rc |= json_dump_file(hj, p, JSON_INDENT(2)) != 0;
	json_decref(hj);
	json_object_set_new(bybit, "id", json_string("sim-bybit"));
	json_object_set_new(bybit, "theft_tx", json_string(theft));
	json_object_set_new(bybit, "stolen_eth", json_integer(10000));
	json_object_set_new(bybit, "inbounds", inb);
	json_object_set_new(bybit, "crossings", crossings);
	json_object_set_new(bybit, "pending_inbounds", pending);
	json_object_set_new(bybit, "btc_cashouts", cashouts);
	json_object_set_new(bybit, "btc_dormant", dormant);
	json_object_set_new(bybit, "coinjoin_txids", cj);
	for (char *q = rid; *q; q++) *q = (char)(*q >= 'A' && *q <= 'F' ? *q + 32 : *q);
	json_t *truth = json_pack("{s:s,s:i,s:s,s:o,s:{s:s,s:s,s:s,s:I,s:s,s:I,s:s,s:s,s:s},s:{s:s,s:s}}", "generator",
				  "taintline simulate --chain multichain", "format", 1, "seed", "", "bybit", bybit, "dmm", "id",
				  "sim-dmm", "theft_txid", dtheft, "btc_inbound_txid", did, "inbound_sat", (json_int_t)2499990000LL,
				  "refunded_txid", rid, "refund_sat", (json_int_t)2499900000LL, "memo", dmemo, "eth_payout_tx",
				  dmm_out, "eth_payee", dmm_eth, "vaults", "bitcoin", va, "ethereum", vault);
	char sd[24];
	snprintf(sd, sizeof sd, "%llu", (unsigned long long)seed);
	json_object_set_new(truth, "seed", json_string(sd));
	snprintf(p, sizeof p, "%s/truth.json", dir);
	if (!rc) rc |= json_dump_file(truth, p, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0;
	json_decref(truth);
	if (rc && !err->msg[0]) tl_err_set(err, "writing %s failed", dir);
	tl_buf_free(&x.b.file);
	tl_buf_free(&x.b.txs);
	free(x.b.ids);
	return rc ? -1 : 0;
}
