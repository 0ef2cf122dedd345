/* Indexer tests: every address's totals and every spend edge against a
 * naive computation from the decoded blocks; reorgs (stale branches leave
 * no trace, digest equals a fresh index); BIP30-style duplicate txids;
 * crash safety with SIGKILL of the real binary; bad input.
 *
 * Chains are built here: regtest blocks (trivial proof of work) with a
 * small deterministic wallet, written as a Core-style blocks directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bitcoin/address.h"
#include "bitcoin/blkfile.h"
#include "bitcoin/block.h"
#include "base/bytes.h"
#include "bitcoin/hash.h"
#include "bitcoin/script.h"
#include "indexer/indexer.h"
#include "store/store.h"
#include "tests/testutil.h"

/* The genesis coinbase (identical on every network); regtest's genesis
 * header differs from mainnet's only in time, bits and nonce. */
static const char genesis_tx_hex[] =
	"01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ffff001d0104"
	"455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66207365636f"
	"6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01000000434104678afdb0fe5548271967f1a67130"
	"b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f"
	"ac00000000";

/* ---- a tiny chain builder ---- */

struct coin {
	uint8_t txid[32];
	uint32_t vout;
	uint64_t value;
	int height;       /* block that created it */
	int coinbase;
};

struct gen {
	uint64_t rng;
	struct coin *coins;
	size_t ncoins, cap;
};

static uint64_t rnd(struct gen *g)
{
	g->rng ^= g->rng << 13;
	g->rng ^= g->rng >> 7;
	g->rng ^= g->rng << 17;
	return g->rng;
}

/* One of 40 owners, of several script types, or an OP_RETURN. */
static void owner_script(struct tl_buf *b, unsigned who)
{
	uint8_t h[32];
	uint8_t seed[4] = { (uint8_t)who, 1, 2, 3 };
	tl_sha256(seed, 4, h);
	switch (who % 4) {
	case 0: /* p2pkh */
		tl_buf_compact(b, 25);
		tl_buf_put(b, "\x76\xa9\x14", 3);
		tl_buf_put(b, h, 20);
		tl_buf_put(b, "\x88\xac", 2);
		break;
	case 1: /* p2wpkh */
		tl_buf_compact(b, 22);
		tl_buf_put(b, "\x00\x14", 2);
		tl_buf_put(b, h, 20);
		break;
	case 2: /* p2sh */
		tl_buf_compact(b, 23);
		tl_buf_put(b, "\xa9\x14", 2);
		tl_buf_put(b, h, 20);
		tl_buf_u8(b, 0x87);
		break;
	default: /* p2tr */
		tl_buf_compact(b, 34);
		tl_buf_put(b, "\x51\x20", 2);
		tl_buf_put(b, h, 32);
		break;
	}
}

static void add_coin(struct gen *g, const uint8_t txid[32], uint32_t vout, uint64_t value, int height, int cb)
{
	if (g->ncoins == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 256;
		g->coins = realloc(g->coins, g->cap * sizeof *g->coins);
	}
	struct coin *c = &g->coins[g->ncoins++];
	memcpy(c->txid, txid, 32);
	c->vout = vout;
	c->value = value;
	c->height = height;
	c->coinbase = cb;
}

/* Serialized transactions of one block being built. */
struct bb {
	struct tl_buf txs;
	uint8_t (*txids)[32];
	size_t n, cap;
};

static void bb_add(struct bb *b, const uint8_t *tx, size_t len, uint8_t txid_out[32])
{
	tl_sha256d(tx, len, txid_out);
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		b->txids = realloc(b->txids, b->cap * sizeof *b->txids);
	}
	memcpy(b->txids[b->n++], txid_out, 32);
	tl_buf_put(&b->txs, tx, len);
}

static void coinbase_tx(struct tl_buf *t, int height, const char *tag, unsigned who)
{
	tl_buf_u32le(t, 1);
	tl_buf_compact(t, 1);
	uint8_t zero[32] = { 0 };
	tl_buf_put(t, zero, 32);
	tl_buf_u32le(t, 0xffffffff);
	char sig[64];
	int n = snprintf(sig, sizeof sig, "h%d %s", height, tag);
	tl_buf_compact(t, (uint64_t)n);
	tl_buf_put(t, sig, (size_t)n);
	tl_buf_u32le(t, 0xffffffff);
	tl_buf_compact(t, 1);
	tl_buf_u64le(t, 5000000000ull);
	owner_script(t, who);
	tl_buf_u32le(t, 0);
}

/* Appends a spending transaction (1-3 inputs from coins created at or
 * below max_src_height, 1-3 outputs, sometimes an OP_RETURN). */
static int spend_tx(struct gen *g, struct tl_buf *t, int height, int max_src_height, struct coin *used,
		    int *nused)
{
	int nin = 1 + (int)(rnd(g) % 3);
	size_t idx[3];
	int got = 0;
	for (int tries = 0; tries < 20 && got < nin; tries++) {
		if (!g->ncoins) break;
		size_t i = rnd(g) % g->ncoins;
		if (g->coins[i].height > max_src_height) continue;
		int dup = 0;
		for (int k = 0; k < got; k++) dup |= idx[k] == i;
		if (!dup) idx[got++] = i;
	}
	if (!got) return 0;
	uint64_t total = 0;
	tl_buf_u32le(t, 2);
	tl_buf_compact(t, (uint64_t)got);
	for (int k = 0; k < got; k++) {
		struct coin *c = &g->coins[idx[k]];
		tl_buf_put(t, c->txid, 32);
		tl_buf_u32le(t, c->vout);
		tl_buf_compact(t, 2);
		tl_buf_put(t, "\x51\x51", 2);
		tl_buf_u32le(t, 0xfffffffe);
		total += c->value;
		used[(*nused)++] = *c;
	}
	/* Remove spent coins (highest index first). */
	for (int a = 0; a < got; a++)
		for (int b2 = a + 1; b2 < got; b2++)
			if (idx[b2] > idx[a]) {
				size_t s = idx[a];
				idx[a] = idx[b2];
				idx[b2] = s;
			}
	for (int k = 0; k < got; k++) g->coins[idx[k]] = g->coins[--g->ncoins];
	int nout = 1 + (int)(rnd(g) % 3);
	int opret = rnd(g) % 5 == 0;
	uint64_t fee = 1000 + rnd(g) % 1000;
	if (total <= fee + (uint64_t)nout * 1000) fee = 0;
	tl_buf_compact(t, (uint64_t)(nout + opret));
	uint64_t left = total - fee;
	for (int o = 0; o < nout; o++) {
		uint64_t v = o == nout - 1 ? left : left / 2;
		left -= v;
		tl_buf_u64le(t, v);
		owner_script(t, (unsigned)(rnd(g) % 40));
	}
	if (opret) {
		tl_buf_u64le(t, 0);
		tl_buf_put(t, "\x04\x6a\x02\xab\xcd", 5);
	}
	tl_buf_u32le(t, (uint32_t)height);
	(void)height;
	return nout;
}

/* Mines a block on prev with the given transactions, appends the record
 * to f, returns the hash. */
static void mine(FILE *f, const uint8_t prev[32], uint32_t time, struct bb *b, uint8_t hash_out[32])
{
	struct tl_header h = { .version = 1, .time = time, .bits = 0x207fffff, .nonce = 0 };
	memcpy(h.prev, prev, 32);
	bool mut;
	tl_merkle_root((const uint8_t (*)[32])b->txids, b->n, h.merkle, &mut);
	const struct tl_netparams *np = tl_net_params(TL_NET_REGTEST);
	uint8_t hdr[80];
	for (;; h.nonce++) {
		tl_header_serialize(&h, hdr);
		tl_sha256d(hdr, 80, h.hash);
		if (tl_header_check_pow(&h, np, NULL) == 0) break;
	}
	struct tl_buf blk;
	tl_buf_init(&blk);
	tl_buf_put(&blk, hdr, 80);
	tl_buf_compact(&blk, b->n);
	tl_buf_put(&blk, b->txs.data, b->txs.len);
	fwrite(np->magic, 1, 4, f);
	uint8_t sz[4];
	tl_put_le32(sz, (uint32_t)blk.len);
	fwrite(sz, 1, 4, f);
	fwrite(blk.data, 1, blk.len, f);
	tl_buf_free(&blk);
	memcpy(hash_out, h.hash, 32);
}

struct chain {
	uint8_t hash[600][32];
	int len;
};

static void write_genesis(FILE *f, struct chain *c)
{
	struct bb b = { 0 };
	tl_buf_init(&b.txs);
	uint8_t *tx;
	size_t n;
	assert_int_equal(tl_hex_decode_alloc(genesis_tx_hex, strlen(genesis_tx_hex), &tx, &n), 0);
	uint8_t txid[32];
	bb_add(&b, tx, n, txid);
	free(tx);
	struct tl_header h = { .version = 1, .time = 1296688602, .bits = 0x207fffff, .nonce = 2 };
	bool mut;
	tl_merkle_root((const uint8_t (*)[32])b.txids, 1, h.merkle, &mut);
	uint8_t hdr[80];
	tl_header_serialize(&h, hdr);
	tl_sha256d(hdr, 80, c->hash[0]);
	assert_memory_equal(c->hash[0], tl_net_params(TL_NET_REGTEST)->genesis, 32);
	struct tl_buf blk;
	tl_buf_init(&blk);
	tl_buf_put(&blk, hdr, 80);
	tl_buf_compact(&blk, 1);
	tl_buf_put(&blk, b.txs.data, b.txs.len);
	fwrite(tl_net_params(TL_NET_REGTEST)->magic, 1, 4, f);
	uint8_t sz[4];
	tl_put_le32(sz, (uint32_t)blk.len);
	fwrite(sz, 1, 4, f);
	fwrite(blk.data, 1, blk.len, f);
	tl_buf_free(&blk);
	tl_buf_free(&b.txs);
	free(b.txids);
	c->len = 1;
}

/* Extends chain c from height `from` (the new block's parent is at
 * from-1) with n blocks of up to txs_per_block spends, spending only coins
 * created at or below max_src (or anything older than the block if -1).
 * tag distinguishes coinbases of competing branches. dup_coinbase_at: a
 * height whose coinbase repeats the one at dup_of (BIP30-style), or -1. */
static void extend(struct gen *g, FILE *f, struct chain *c, int from, int n, int txs_per_block, int max_src,
		   const char *tag, int dup_at, int dup_of)
{
	for (int h = from; h < from + n; h++) {
		struct bb b = { 0 };
		tl_buf_init(&b.txs);
		struct tl_buf t;
		tl_buf_init(&t);
		uint8_t txid[32];
		if (h == dup_at) coinbase_tx(&t, dup_of, "dup", 7);
		else if (h == dup_of) coinbase_tx(&t, dup_of, "dup", 7);
		else coinbase_tx(&t, h, tag, (unsigned)(rnd(g) % 40));
		bb_add(&b, t.data, t.len, txid);
		/* Coins of this block become spendable from the next one. */
		struct coin newc[4096];
		int nnew = 0;
		newc[nnew++] = (struct coin){ .vout = 0, .value = 5000000000ull, .height = h, .coinbase = 1 };
		memcpy(newc[0].txid, txid, 32);
		int ntx = (int)(rnd(g) % (unsigned)(txs_per_block + 1));
		for (int k = 0; k < ntx; k++) {
			t.len = 0;
			struct coin used[3];
			int nused = 0;
			int lim = max_src >= 0 ? max_src : h - 1;
			int nout = spend_tx(g, &t, h, lim, used, &nused);
			if (!nout) break;
			bb_add(&b, t.data, t.len, txid);
			/* Read the values back from the serialized outputs. */
			struct tl_reader r;
			tl_reader_init(&r, t.data, t.len);
			struct tl_arena ar;
			tl_arena_init(&ar);
			struct tl_tx tx;
			assert_int_equal(tl_tx_parse(&r, &ar, &tx, NULL), 0);
			for (int o = 0; o < nout && nnew < 4096; o++) {
				newc[nnew] = (struct coin){ .vout = (uint32_t)o, .value = tx.out[o].value, .height = h };
				memcpy(newc[nnew].txid, txid, 32);
				nnew++;
			}
			tl_arena_free(&ar);
		}
		mine(f, c->hash[h - 1], 1296688602u + (uint32_t)h * 600, &b, c->hash[h]);
		for (int k = 0; k < nnew; k++) add_coin(g, newc[k].txid, newc[k].vout, newc[k].value, h, newc[k].coinbase);
		tl_buf_free(&t);
		tl_buf_free(&b.txs);
		free(b.txids);
	}
	c->len = from + n;
}

/* ---- naive truth from the decoded blocks ---- */

struct naddr {
	uint8_t key[TL_SCRIPT_KEY_MAX];
	size_t klen;
	uint64_t fc, fs, sc, ss, txc;
	uint64_t last_tx;
	uint64_t first_tx; /* the output that made it an owner */
};

struct nout {
	uint8_t txid[32];
	uint32_t vout;
	uint64_t value;
	int addr;          /* index into addrs, -1 for OP_RETURN */
	uint64_t tx_num;
	int spent;
};

static int find_addr(struct naddr *a, size_t n, const uint8_t *k, size_t kl)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].klen == kl && !memcmp(a[i].key, k, kl)) return (int)i;
	return -1;
}

/* Indexes nothing itself: walks the best chain of dir with chain/ only,
 * computes per-owner totals and the spend of every outpoint, and checks
 * the store against them. */
static void naive_check(struct tl_store *s, const char *dir, const struct tl_netparams *np)
{
	struct tl_blkdir *d;
	assert_int_equal(tl_blkdir_open(dir, np, &d, NULL), 0);
	assert_int_equal(tl_blkdir_scan(d, NULL, NULL), 0);
	size_t acap = 4096, ocap = 1 << 16, na = 0, no = 0;
	struct naddr *addrs = calloc(acap, sizeof *addrs);
	struct nout *outs = calloc(ocap, sizeof *outs);
	uint8_t *buf = NULL;
	size_t cap = 0;
	uint64_t tx_num = 0, spends_checked = 0;
	struct tl_block blk;
	tl_block_init(&blk);
	for (uint32_t h = 0; h < tl_blkdir_chain_len(d); h++) {
		const struct tl_chain_entry *e = tl_blkdir_chain_at(d, h);
		assert_int_equal(tl_blkdir_read(d, &e->loc, &buf, &cap, NULL), 0);
		assert_int_equal(tl_block_parse(&blk, buf, e->loc.size, NULL), 0);
		for (uint32_t t = 0; t < blk.n_tx; t++, tx_num++) {
			const struct tl_tx *tx = &blk.tx[t];
			int touched[64];
			int nt = 0;
			if (!tl_tx_is_coinbase(tx))
				for (uint32_t i = 0; i < tx->n_in; i++) {
					/* newest unspent output with that outpoint */
					long found = -1;
					for (long k = (long)no - 1; k >= 0; k--)
						if (!outs[k].spent && outs[k].vout == tx->in[i].prev_vout &&
						    !memcmp(outs[k].txid, tx->in[i].prev_txid, 32)) {
							found = k;
							break;
						}
					if (found < 0) continue;
					struct nout *o = &outs[found];
					o->spent = 1;
					uint64_t sp;
					uint32_t vin;
					assert_int_equal(tl_store_spender(s, o->tx_num, o->vout, &sp, &vin, NULL), 1);
					assert_int_equal(sp, tx_num);
					assert_int_equal(vin, i);
					spends_checked++;
					if (o->addr >= 0) {
						addrs[o->addr].sc++;
						addrs[o->addr].ss += o->value;
						if (nt < 64) touched[nt++] = o->addr;
					}
				}
			/* each output's address, read back from the blk file */
			struct tl_tx_rec rec;
			assert_int_equal(tl_store_tx(s, tx_num, &rec, NULL), 1);
			for (uint32_t i = 0; i < tx->n_out; i++) {
				char want[TL_ADDRESS_MAX], got[TL_ADDRESS_MAX];
				int has = tl_address_from_script(tx->out[i].script, tx->out[i].script_len, np, want) == 0;
				assert_int_equal(tl_store_output_address(s, &rec, i, got, NULL), has);
				if (has) assert_string_equal(got, want);
			}
			tl_tx_rec_free(&rec);
			for (uint32_t i = 0; i < tx->n_out; i++) {
				struct tl_script_info si;
				tl_script_classify(tx->out[i].script, tx->out[i].script_len, &si);
				int ai = -1;
				if (si.type != TL_SCRIPT_NULLDATA) {
					uint8_t k[TL_SCRIPT_KEY_MAX];
					size_t kl = tl_script_key(tx->out[i].script, tx->out[i].script_len, k);
					ai = find_addr(addrs, na, k, kl);
					if (ai < 0) {
						if (na == acap) {
							acap *= 2;
							addrs = realloc(addrs, acap * sizeof *addrs);
						}
						memset(&addrs[na], 0, sizeof addrs[na]);
						memcpy(addrs[na].key, k, kl);
						addrs[na].klen = kl;
						addrs[na].last_tx = UINT64_MAX;
						addrs[na].first_tx = tx_num;
						ai = (int)na++;
					}
					addrs[ai].fc++;
					addrs[ai].fs += tx->out[i].value;
					if (nt < 64) touched[nt++] = ai;
				}
				if (no == ocap) {
					ocap *= 2;
					outs = realloc(outs, ocap * sizeof *outs);
				}
				struct nout *o = &outs[no++];
				memcpy(o->txid, tx->txid, 32);
				o->vout = i;
				o->value = tx->out[i].value;
				o->addr = ai;
				o->tx_num = tx_num;
				o->spent = si.type == TL_SCRIPT_NULLDATA;
			}
			for (int k = 0; k < nt; k++)
				if (addrs[touched[k]].last_tx != tx_num) {
					addrs[touched[k]].last_tx = tx_num;
					addrs[touched[k]].txc++;
				}
		}
	}
	/* Every owner's totals; the count of owners; unspent outputs. */
	for (size_t i = 0; i < na; i++) {
		uint64_t id;
		assert_int_equal(tl_store_addr_id(s, addrs[i].key, addrs[i].klen, &id, NULL), 1);
		struct tl_addr_info a;
		assert_int_equal(tl_store_addr_info(s, id, &a, NULL), 1);
		assert_int_equal(a.funded_count, addrs[i].fc);
		assert_int_equal(a.funded_sum, addrs[i].fs);
		assert_int_equal(a.spent_count, addrs[i].sc);
		assert_int_equal(a.spent_sum, addrs[i].ss);
		assert_int_equal(a.tx_count, addrs[i].txc);
		uint64_t first;
		assert_int_equal(tl_store_addr_first_tx(s, id, &first, NULL), 1);
		assert_int_equal(first, addrs[i].first_tx);
		/* history rows agree with the totals */
		struct tl_hist_row rows[512];
		int n = tl_store_hist_page(s, id, UINT64_MAX, rows, 512, NULL);
		assert_int_equal((uint64_t)n, addrs[i].txc);
		uint64_t rc = 0, sc = 0;
		for (int k = 0; k < n; k++) {
			rc += rows[k].n_received;
			sc += rows[k].n_sent;
			if (k) assert_true(rows[k].tx_num < rows[k - 1].tx_num);
		}
		assert_int_equal(rc, addrs[i].fc);
		assert_int_equal(sc, addrs[i].sc);
		/* the script key the database does not store, read back */
		uint8_t key[TL_SCRIPT_KEY_MAX];
		size_t kl = 0;
		assert_int_equal(tl_store_owner_key(s, id, key, &kl, NULL), 1);
		assert_int_equal(kl, addrs[i].klen);
		assert_memory_equal(key, addrs[i].key, kl);
	}
	/* no blocks directory: no script keys, and a clear error for a bad one */
	if (na) {
		struct tl_err err;
		assert_int_equal(tl_store_set_blocks_dir(s, "/nonexistent-blocks-dir", &err), -1);
		assert_non_null(strstr(err.msg, "not a directory"));
	}
	struct tl_tip tip;
	assert_int_equal(tl_store_tip(s, &tip, NULL), 0);
	assert_int_equal(tip.next_addr_id - 1, na);
	assert_int_equal(tip.next_tx_num, tx_num);
	assert_int_equal(tip.height, (int32_t)tl_blkdir_chain_len(d) - 1);
	uint64_t *ids = calloc(na ? na : 1, sizeof *ids);
	for (size_t i = 0; i < na; i++) assert_int_equal(tl_store_addr_id(s, addrs[i].key, addrs[i].klen, &ids[i], NULL), 1);
	for (size_t k = 0; k < no; k++) {
		if (outs[k].addr < 0) continue; /* OP_RETURN: never unspent */
		struct tl_utxo u;
		int rc = tl_store_utxo(s, ids[outs[k].addr], outs[k].tx_num, outs[k].vout, &u, NULL);
		assert_int_equal(rc, outs[k].spent ? 0 : 1);
		if (!outs[k].spent) {
			uint64_t sp;
			uint32_t vin;
			assert_int_equal(tl_store_spender(s, outs[k].tx_num, outs[k].vout, &sp, &vin, NULL), 0);
			assert_int_equal(u.value, outs[k].value);
		}
	}
	/* every owner's unspent outputs, newest first, as the naive walk
	 * leaves them (outs is in chain order) */
	struct tl_utxo *ul = calloc(no ? no : 1, sizeof *ul);
	for (size_t i = 0; i < na; i++) {
		int n = tl_store_addr_utxos(s, ids[i], ul, (int)no, NULL);
		assert_true(n >= 0);
		int m = 0;
		for (size_t k = no; k-- > 0;) {
			if (outs[k].addr != (int)i || outs[k].spent) continue;
			assert_true(m < n);
			assert_int_equal(ul[m].tx_num, outs[k].tx_num);
			assert_int_equal(ul[m].vout, outs[k].vout);
			assert_int_equal(ul[m].value, outs[k].value);
			m++;
		}
		assert_int_equal(m, n);
		if (n > 1) assert_int_equal(tl_store_addr_utxos(s, ids[i], ul, 1, NULL), n); /* capped: the count */
	}
	free(ul);
	free(ids);
	print_message("naive check: %zu owners, %zu outputs, %llu spends, %llu txs\n", na, no,
		      (unsigned long long)spends_checked, (unsigned long long)tx_num);
	tl_block_free(&blk);
	free(buf);
	free(addrs);
	free(outs);
	tl_blkdir_close(d);
}

/* ---- helpers ---- */

static int run_index(const char *blocks, const char *db, const struct tl_netparams *np, uint32_t undo_keep,
		     uint32_t batch, struct tl_err *err)
{
	struct tl_index_opts o = { .blocks_dir = blocks, .db_path = db, .net = np, .cache_mb = 8, .until = -1,
				   .undo_keep = undo_keep, .batch_tx = batch };
	struct tl_index_stats st;
	return tl_index_run(&o, &st, err);
}

static void digest_of(const char *db, uint8_t out[32])
{
	struct tl_store *s;
	struct tl_store_opts so = { .read_only = true };
	struct tl_err err;
	if (tl_store_open(db, &so, &s, &err) < 0) fail_msg("%s", err.msg);
	assert_int_equal(tl_store_digest(s, out, NULL, NULL), 0);
	tl_store_close(s);
}

static struct tl_store *open_ro(const char *db)
{
	struct tl_store *s;
	struct tl_store_opts so = { .read_only = true };
	struct tl_err err;
	if (tl_store_open(db, &so, &s, &err) < 0) fail_msg("%s", err.msg);
	return s;
}

static char *path2(const char *a, const char *b)
{
	char *p = malloc(strlen(a) + strlen(b) + 2);
	sprintf(p, "%s/%s", a, b);
	return p;
}

/* ---- tests ---- */

static void test_mainnet_sample(void **state)
{
	(void)state;
	char plain[4096], obf[4096];
	snprintf(plain, sizeof plain, "%s", tu_shared_path("mainnet/blk-sample/plain"));
	snprintf(obf, sizeof obf, "%s", tu_shared_path("mainnet/blk-sample/obfuscated"));
	char *tmp = tu_tmpdir("ix-main");
	char *db1 = path2(tmp, "db1"), *db2 = path2(tmp, "db2");
	struct tl_err err;
	const struct tl_netparams *np = tl_net_params(TL_NET_MAIN);
	if (run_index(plain, db1, np, 0, 0, &err) < 0) fail_msg("%s", err.msg);
	struct tl_store *s = open_ro(db1);
	naive_check(s, plain, np);
	tl_store_close(s);
	/* The obfuscated copy indexes to the same content. */
	if (run_index(obf, db2, np, 0, 7, &err) < 0) fail_msg("%s", err.msg);
	uint8_t d1[32], d2[32];
	digest_of(db1, d1);
	digest_of(db2, d2);
	assert_memory_equal(d1, d2, 32);
	/* Opening as another network is refused, the database left intact. */
	assert_int_equal(run_index(plain, db1, tl_net_params(TL_NET_REGTEST), 0, 0, &err), -1);
	assert_non_null(strstr(err.msg, "network"));
	digest_of(db1, d2);
	assert_memory_equal(d1, d2, 32);
	tu_rmrf(tmp);
	free(db1);
	free(db2);
	free(tmp);
}

struct fixture {
	char *tmp, *blocks, *blk0;
	struct gen g;
	struct chain c;
};

static void make_chain(struct fixture *fx, const char *tag, int n, int txs)
{
	fx->tmp = tu_tmpdir(tag);
	fx->blocks = path2(fx->tmp, "blocks");
	mkdir(fx->blocks, 0755);
	fx->blk0 = path2(fx->blocks, "blk00000.dat");
	memset(&fx->g, 0, sizeof fx->g);
	fx->g.rng = 0x9e3779b97f4a7c15ull;
	FILE *f = fopen(fx->blk0, "wb");
	write_genesis(f, &fx->c);
	extend(&fx->g, f, &fx->c, 1, n, txs, -1, "a", -1, -1);
	fclose(f);
}

static void free_fixture(struct fixture *fx)
{
	tu_rmrf(fx->tmp);
	free(fx->tmp);
	free(fx->blocks);
	free(fx->blk0);
	free(fx->g.coins);
}

static void test_reorg(void **state)
{
	(void)state;
	struct fixture fx;
	const struct tl_netparams *np = tl_net_params(TL_NET_REGTEST);
	make_chain(&fx, "ix-reorg", 30, 12);
	/* Branch A continues 30..40 spending only coins at or below 29, so a
	 * competing branch B can mine the same transactions again. */
	FILE *f = fopen(fx.blk0, "ab");
	struct gen gsave = fx.g;
	gsave.coins = malloc(fx.g.cap * sizeof *fx.g.coins);
	memcpy(gsave.coins, fx.g.coins, fx.g.ncoins * sizeof *fx.g.coins);
	extend(&fx.g, f, &fx.c, 31, 10, 12, 30, "a", -1, -1);
	fclose(f);
	char *db = path2(fx.tmp, "db"), *fresh = path2(fx.tmp, "fresh");
	struct tl_err err;
	if (run_index(fx.blocks, db, np, 0, 5, &err) < 0) fail_msg("%s", err.msg);
	/* Branch B: forks at 30 (replaces 31..40) with 14 blocks; same rng
	 * state, so its first blocks re-mine branch A's transactions. */
	struct chain cb = fx.c;
	char *blk1 = path2(fx.blocks, "blk00001.dat");
	f = fopen(blk1, "wb");
	free(blk1);
	free(fx.g.coins);
	fx.g = gsave;
	extend(&fx.g, f, &cb, 31, 14, 12, 30, "b", -1, -1);
	fclose(f);
	if (run_index(fx.blocks, db, np, 0, 5, &err) < 0) fail_msg("%s", err.msg);
	if (run_index(fx.blocks, fresh, np, 0, 1000, &err) < 0) fail_msg("%s", err.msg);
	uint8_t d1[32], d2[32];
	digest_of(db, d1);
	digest_of(fresh, d2);
	assert_memory_equal(d1, d2, 32);
	struct tl_store *s = open_ro(db);
	naive_check(s, fx.blocks, np);
	/* No trace of branch A's blocks. */
	struct tl_block_rec br;
	for (int h = 31; h <= 40; h++) assert_int_equal(tl_store_block_by_hash(s, fx.c.hash[h], &br, NULL), 0);
	tl_store_close(s);
	free(db);
	free(fresh);
	free_fixture(&fx);
}

static void test_reorg_too_deep(void **state)
{
	(void)state;
	struct fixture fx;
	const struct tl_netparams *np = tl_net_params(TL_NET_REGTEST);
	make_chain(&fx, "ix-deep", 20, 4);
	char *db = path2(fx.tmp, "db");
	struct tl_err err;
	if (run_index(fx.blocks, db, np, 3, 0, &err) < 0) fail_msg("%s", err.msg);
	uint8_t d1[32], d2[32];
	digest_of(db, d1);
	/* A heavier branch forking 6 blocks below the tip. */
	struct chain cb = fx.c;
	char *blk1 = path2(fx.blocks, "blk00001.dat");
	FILE *f = fopen(blk1, "wb");
	free(blk1);
	extend(&fx.g, f, &cb, 15, 8, 4, 14, "b", -1, -1);
	fclose(f);
	assert_int_equal(run_index(fx.blocks, db, np, 3, 0, &err), -1);
	print_message("expected error: %s\n", err.msg);
	assert_non_null(strstr(err.msg, "deeper"));
	digest_of(db, d2);
	assert_memory_equal(d1, d2, 32);
	free(db);
	free_fixture(&fx);
}

static void test_duplicate_txids(void **state)
{
	(void)state;
	struct fixture fx;
	const struct tl_netparams *np = tl_net_params(TL_NET_REGTEST);
	fx.tmp = tu_tmpdir("ix-dup");
	fx.blocks = path2(fx.tmp, "blocks");
	mkdir(fx.blocks, 0755);
	fx.blk0 = path2(fx.blocks, "blk00000.dat");
	memset(&fx.g, 0, sizeof fx.g);
	fx.g.rng = 12345;
	FILE *f = fopen(fx.blk0, "wb");
	write_genesis(f, &fx.c);
	/* Blocks 3 and 6 have the same coinbase, hence the same txid. Spends
	 * of it resolve to the newest unspent one. */
	extend(&fx.g, f, &fx.c, 1, 12, 3, -1, "a", 6, 3);
	fclose(f);
	char *db = path2(fx.tmp, "db");
	struct tl_err err;
	if (run_index(fx.blocks, db, np, 0, 0, &err) < 0) fail_msg("%s", err.msg);
	struct tl_store *s = open_ro(db);
	naive_check(s, fx.blocks, np);
	struct tl_block_rec b3, b6;
	assert_int_equal(tl_store_block_by_height(s, 3, &b3, NULL), 1);
	assert_int_equal(tl_store_block_by_height(s, 6, &b6, NULL), 1);
	struct tl_tx_rec r;
	assert_int_equal(tl_store_tx(s, b3.first_tx_num, &r, NULL), 1);
	uint64_t nums[4];
	assert_int_equal(tl_store_txid_nums(s, r.txid, nums, 4, NULL), 2);
	assert_int_equal(nums[0], b3.first_tx_num);
	assert_int_equal(nums[1], b6.first_tx_num);
	struct tl_tx_rec r2;
	assert_int_equal(tl_store_tx_by_txid(s, r.txid, &r2, NULL), 1);
	assert_int_equal(r2.tx_num, b6.first_tx_num);
	tl_tx_rec_free(&r);
	tl_tx_rec_free(&r2);
	tl_store_close(s);
	free(db);
	free_fixture(&fx);
}

/* The database does not store script keys: with the blocks directory
 * moved they are a clear error, and naming the new place brings them
 * back. */
static void test_blocks_dir_moved(void **state)
{
	(void)state;
	struct fixture fx;
	const struct tl_netparams *np = tl_net_params(TL_NET_REGTEST);
	make_chain(&fx, "ix-moved", 12, 3);
	char *db = path2(fx.tmp, "db"), *moved = path2(fx.tmp, "moved");
	struct tl_err err;
	if (run_index(fx.blocks, db, np, 0, 0, &err) < 0) fail_msg("%s", err.msg);
	assert_int_equal(rename(fx.blocks, moved), 0);
	struct tl_store *s = open_ro(db);
	uint8_t key[TL_SCRIPT_KEY_MAX];
	size_t kl;
	assert_int_equal(tl_store_owner_key(s, 1, key, &kl, &err), -1);
	print_message("expected error: %s\n", err.msg);
	assert_non_null(strstr(err.msg, "--blocks-dir"));
	assert_int_equal(tl_store_set_blocks_dir(s, moved, &err), 0);
	assert_int_equal(tl_store_owner_key(s, 1, key, &kl, &err), 1);
	uint64_t id;
	assert_int_equal(tl_store_addr_id(s, key, kl, &id, NULL), 1);
	assert_int_equal(id, 1);
	char addr[TL_ADDRESS_MAX];
	uint64_t with = 1; /* an owner with an address (coinbases may pay bare keys) */
	while (with < 100 && tl_store_owner_address(s, with, addr, &err) == 0) with++;
	assert_int_equal(tl_store_owner_address(s, with, addr, &err), 1);
	tl_store_close(s);

	/* the CLI says so before printing anything, and takes --blocks-dir */
	char cmd[4096], *out = NULL;
	snprintf(cmd, sizeof cmd, "%s cluster --db %s %s --members 2>&1", TL_BINARY, db, addr);
	assert_int_not_equal(tu_run(cmd, &out), 0);
	print_message("expected error: %s", out);
	assert_non_null(strstr(out, "--blocks-dir"));
	assert_null(strstr(out, "members:"));
	free(out);
	snprintf(cmd, sizeof cmd, "%s cluster --db %s %s --members --blocks-dir %s", TL_BINARY, db, addr, moved);
	assert_int_equal(tu_run(cmd, &out), 0);
	assert_non_null(strstr(out, addr));
	free(out);

	/* no blocks directory recorded at all: addresses are left out, but a
	 * script key (what tags are found by) is an error, never "no tags" */
	struct tl_store_opts rw = { 0 };
	assert_int_equal(tl_store_open(db, &rw, &s, &err), 0);
	struct tl_batch *b = tl_batch_new(s);
	tl_batch_del(b, TL_CF_META, "blocks_dir", 10);
	assert_int_equal(tl_store_write(s, b, &err), 0);
	tl_batch_free(b);
	assert_int_equal(tl_store_owner_address(s, with, addr, &err), 0);
	assert_string_equal(addr, "");
	assert_int_equal(tl_store_owner_key(s, 1, key, &kl, &err), -1);
	print_message("expected error: %s\n", err.msg);
	assert_non_null(strstr(err.msg, "no blocks directory"));
	tl_store_close(s);
	assert_int_equal(rename(moved, fx.blocks), 0);
	free(db);
	free(moved);
	free_fixture(&fx);
}

static void test_bad_input(void **state)
{
	(void)state;
	struct fixture fx;
	const struct tl_netparams *np = tl_net_params(TL_NET_REGTEST);
	make_chain(&fx, "ix-bad", 20, 5);
	char *db = path2(fx.tmp, "db"), *clean = path2(fx.tmp, "clean");
	struct tl_err err;
	if (run_index(fx.blocks, clean, np, 0, 0, &err) < 0) fail_msg("%s", err.msg);

	/* Corrupt a transaction byte deep in the file: the block's merkle root
	 * no longer matches; the error names the block; what was committed
	 * stays and a later run (file repaired) completes it identically. */
	size_t len;
	uint8_t *orig = tu_read_file(fx.blk0, &len);
	uint8_t *bad = malloc(len);
	memcpy(bad, orig, len);
	bad[len - 30] ^= 0x55;
	FILE *f = fopen(fx.blk0, "wb");
	fwrite(bad, 1, len, f);
	fclose(f);
	assert_int_equal(run_index(fx.blocks, db, np, 0, 1, &err), -1);
	print_message("expected error: %s\n", err.msg);
	assert_non_null(strstr(err.msg, "block 20"));
	f = fopen(fx.blk0, "wb");
	fwrite(orig, 1, len, f);
	fclose(f);
	if (run_index(fx.blocks, db, np, 0, 1, &err) < 0) fail_msg("%s", err.msg);
	uint8_t d1[32], d2[32];
	digest_of(db, d1);
	digest_of(clean, d2);
	assert_memory_equal(d1, d2, 32);

	/* A missing file in the sequence. */
	char *b1 = path2(fx.blocks, "blk00001.dat"), *b2 = path2(fx.blocks, "blk00002.dat");
	f = fopen(b2, "wb");
	fclose(f);
	assert_int_equal(run_index(fx.blocks, db, np, 0, 0, &err), -1);
	print_message("expected error: %s\n", err.msg);
	assert_non_null(strstr(err.msg, "blk00001.dat is missing"));
	unlink(b2);

	/* Truncated file: the last record is cut; the chain ends before it. */
	f = fopen(fx.blk0, "wb");
	fwrite(orig, 1, len - 40, f);
	fclose(f);
	char *db3 = path2(fx.tmp, "db3");
	if (run_index(fx.blocks, db3, np, 0, 0, &err) < 0) fail_msg("%s", err.msg);
	struct tl_store *s = open_ro(db3);
	struct tl_tip tip;
	assert_int_equal(tl_store_tip(s, &tip, NULL), 0);
	assert_int_equal(tip.height, 19);
	tl_store_close(s);

	/* A second writer on the same database. */
	struct tl_store *w;
	struct tl_store_opts so = { .create = true, .net = np };
	assert_int_equal(tl_store_open(db, &so, &w, &err), 0);
	assert_int_equal(run_index(fx.blocks, db, np, 0, 0, &err), -1);
	print_message("expected error: %s\n", err.msg);
	assert_non_null(strstr(err.msg, "in use by another process"));
	tl_store_close(w);
	digest_of(db, d1);
	assert_memory_equal(d1, d2, 32);

	free(orig);
	free(bad);
	free(b1);
	free(b2);
	free(db);
	free(db3);
	free(clean);
	free_fixture(&fx);
}

/* The addr family equals one built naively: every owner's script key,
 * read back from the chain, under the digest store.h specifies (type
 * byte, then 12 bytes of the hash, or of SHA-256 of the key for the
 * other types), computed here from that text; and nothing else. */
static void check_addr_family(const char *db)
{
	struct tl_store *s;
	struct tl_err err;
	struct tl_store_opts so = { .read_only = true };
	if (tl_store_open(db, &so, &s, &err) < 0) fail_msg("%s", err.msg);
	struct tl_tip tip;
	assert_int_equal(tl_store_tip(s, &tip, NULL), 0);
	size_t n = 0;
	struct tl_iter *it = tl_iter_new(s, TL_CF_ADDR);
	for (tl_iter_first(it); tl_iter_valid(it); tl_iter_next(it)) n++;
	tl_iter_free(it);
	assert_int_equal(n, tip.next_addr_id - 1);
	for (uint64_t id = 1; id < tip.next_addr_id; id++) {
		uint8_t key[TL_SCRIPT_KEY_MAX], dg[TL_ADDR_KEY_LEN], h[32], *v;
		size_t kl, vl;
		if (tl_store_owner_key(s, id, key, &kl, &err) != 1) fail_msg("owner %llu: %s", (unsigned long long)id, err.msg);
		dg[0] = key[0];
		int direct = (kl == 21 || kl == 33) && key[0] != TL_SCRIPT_WITNESS_UNKNOWN;
		if (direct) {
			memcpy(dg + 1, key + 1, 12);
		} else {
			tl_sha256(key, kl, h);
			memcpy(dg + 1, h, 12);
		}
		assert_int_equal(tl_store_get(s, TL_CF_ADDR, dg, sizeof dg, &v, &vl, NULL), 1);
		size_t pos = 0;
		uint64_t got;
		assert_int_equal(tl_get_varint(v, vl, &pos, &got), 0);
		assert_int_equal(pos, vl);
		assert_int_equal(got, id);
		free(v);
	}
	tl_store_close(s);
}

/* Kills the real binary at random instants, restarts it each time; the
 * final database equals an uninterrupted run. Tiny memtables
 * (TL_TEST_SMALL_MEMTABLE) make RocksDB flush every few blocks, so the
 * kills land between flushes and commits. */
static void test_crash_safety(void **state)
{
	(void)state;
	struct fixture fx;
	const struct tl_netparams *np = tl_net_params(TL_NET_REGTEST);
	make_chain(&fx, "ix-crash", 300, 25);
	char *db = path2(fx.tmp, "db"), *clean = path2(fx.tmp, "clean");
	struct tl_err err;
	(void)np;
	(void)err;
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "%s index --blocks-dir %s --db %s --network regtest -q", TL_BINARY, fx.blocks, clean);
	assert_int_equal(tu_run(cmd, NULL), 0);
	check_addr_family(clean);
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	int kills = 0;
	for (int round = 0; round < 8; round++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			int fd = open("/dev/null", O_WRONLY);
			dup2(fd, 2);
			setenv("TL_TEST_SMALL_MEMTABLE", "1", 1);
			execl(TL_BINARY, TL_BINARY, "index", "--blocks-dir", fx.blocks, "--db", db, "--network", "regtest",
			      "--batch-tx", "40", "--cache-mb", "4", "-q", (char *)NULL);
			_exit(127);
		}
		usleep((useconds_t)(5000 + rand() % 120000));
		int st;
		if (waitpid(pid, &st, WNOHANG) == 0) {
			kill(pid, SIGKILL);
			kills++;
		}
		waitpid(pid, &st, 0);
	}
	print_message("killed the indexer %d times\n", kills);
	snprintf(cmd, sizeof cmd, "%s index --blocks-dir %s --db %s --network regtest -q", TL_BINARY, fx.blocks, db);
	assert_int_equal(tu_run(cmd, NULL), 0);
	uint8_t d1[32], d2[32];
	digest_of(db, d1);
	digest_of(clean, d2);
	assert_memory_equal(d1, d2, 32);
	free(db);
	free(clean);
	free_fixture(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mainnet_sample),
		cmocka_unit_test(test_reorg),
		cmocka_unit_test(test_reorg_too_deep),
		cmocka_unit_test(test_duplicate_txids),
		cmocka_unit_test(test_blocks_dir_moved),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_crash_safety),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
