/* Fuzz target: every decoder of stored values, on arbitrary bytes, as a
 * damaged or foreign database would present them. The pure decoders
 * (store.h, store/tags.h) are called directly; the records that are only
 * decoded inside the store (block, undo, addr list, history, the tip) go
 * through a real database in a temporary directory: the input is written
 * as the value under a valid key, read back through tl_store_*, and the
 * key is restored, so that each input runs on the same database. The
 * first byte picks the record. Must never crash, hang or leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <unistd.h>

#include "base/bytes.h"
#include "bitcoin/network.h"
#include "store/store.h"
#include "store/tags.h"
#include "tracer/entities.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tl_store *db;
static uint8_t *tip_val;
static size_t tip_len;
static char dbdir[64];

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* At exit (libFuzzer's time limit ends with exit()): remove the
 * database directory. The database stays open (unlinked files are fine):
 * RocksDB cannot be closed from an exit handler, its own statics may be
 * gone by then. */
static void cleanup(void)
{
	if (dbdir[0]) nftw(dbdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void open_db(void)
{
	char tmpl[] = "/tmp/tl_fuzz_records_XXXXXX";
	if (!mkdtemp(tmpl)) abort();
	snprintf(dbdir, sizeof dbdir, "%s", tmpl);
	atexit(cleanup);
	char path[64];
	snprintf(path, sizeof path, "%s/db", tmpl);
	struct tl_store_opts o = { 0 };
	o.create = true;
	o.net = tl_net_params(TL_NET_REGTEST);
	o.cache_mb = 8;
	o.memtable_mb = 8;
	struct tl_err err;
	if (tl_store_open(path, &o, &db, &err) < 0) {
		fprintf(stderr, "fuzz_records: %s\n", err.msg);
		abort();
	}
	/* addresses 1..999 exist (cluster sizes up to that pass the reader's
	 * bound), and address 6 is a member of cluster 5 whose next is 5
	 * again: a fuzzed record of 5 that lists 6 makes a cycle */
	struct tl_batch *b = tl_batch_new(db);
	struct tl_tip t = { .height = -1, .next_addr_id = 1000 };
	tl_batch_put_tip(b, &t);
	uint8_t k[9], v[TL_CLUSTER_ADDR_MAX];
	tl_cluster_addr_key(6, k);
	tl_batch_put_kv(b, TL_CF_CLUSTER, k, 9, v, tl_cluster_addr_encode(6, 5, 5, v));
	if (tl_store_write(db, b, &err) < 0) abort();
	tl_batch_free(b);
	if (tl_store_get(db, TL_CF_META, "tip", 3, &tip_val, &tip_len, &err) != 1) abort();
}

/* Writes (cf, key) = value, or deletes it when value is NULL. */
static void put(enum tl_cf cf, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct tl_err err;
	struct tl_batch *b = tl_batch_new(db);
	if (val) tl_batch_put(b, cf, key, klen, val, vlen);
	else tl_batch_del(b, cf, key, klen);
	if (tl_store_write(db, b, &err) < 0) abort();
	tl_batch_free(b);
}

static void pure(uint8_t sel, const uint8_t *v, size_t n)
{
	struct tl_err err;
	switch (sel) {
	case 0: {
		struct tl_tx_rec r;
		if (tl_tx_rec_decode(7, v, n, &r, &err) == 0) {
			/* Re-encoding a decoded record gives the same bytes. */
			struct tl_buf b;
			tl_buf_init(&b);
			tl_tx_rec_encode(&r, &b);
			if (b.len != n || memcmp(b.data, v, n) != 0) {
				/* Varints may be non-minimal in the input; only
				 * the decoded content must round-trip. */
				struct tl_tx_rec r2;
				if (tl_tx_rec_decode(7, b.data, b.len, &r2, &err) != 0) abort();
				if (r2.n_in != r.n_in || r2.n_out != r.n_out || r2.fee != r.fee) abort();
				tl_tx_rec_free(&r2);
			}
			tl_buf_free(&b);
			tl_tx_rec_free(&r);
		}
		break;
	}
	case 1: {
		struct tl_utxo u;
		(void)tl_utxo_decode(3, 1, 2, v, n, &u);
		break;
	}
	case 2: {
		struct tl_addr_info a;
		(void)tl_addr_info_decode(3, v, n, &a);
		break;
	}
	case 3: {
		struct tl_tag_rec t;
		if (tl_tag_rec_decode(v, n, &t) == 0) {
			size_t k = 0;
			const char *f[] = { t.chain, t.address, t.label, t.category, t.source, t.entity, t.notes };
			for (size_t i = 0; i < 7; i++) k += f[i] ? strlen(f[i]) : 0;
			(void)k;
			tl_tag_rec_free(&t);
		}
		break;
	}
	case 4: {
		uint32_t num;
		int tr;
		const char *json;
		if (tl_heist_rec_decode(v, n, &num, &tr, &json) == 0 &&
		    ((const uint8_t *)json < v || (const uint8_t *)json + strlen(json) >= v + n))
			abort();
		break;
	}
	default: {
		struct tl_cluster_summary s;
		if (tl_cluster_summary_decode(v, n, &s) == 0 && strnlen(s.label, sizeof s.label) == sizeof s.label)
			abort();
	}
	}
}

/* The cluster "a" and link decoders: what decodes re-encodes to a value
 * that decodes the same (inputs may hold non-minimal varints). */
static void pure_cluster(uint8_t sel, const uint8_t *v, size_t n)
{
	const uint64_t at = n ? v[0] * 0x0101010101010101ull : 0; /* the key's address */
	if (sel == 0) {
		uint64_t cid, next, size, c2, n2, z2;
		uint8_t e[TL_CLUSTER_ADDR_MAX];
		if (tl_cluster_addr_decode_size(at, v, n, &cid, &next, &size) < 0) return;
		size_t el = size ? tl_cluster_head_encode(at, next, size, e) : tl_cluster_addr_encode(at, cid, next, e);
		if (el > n || tl_cluster_addr_decode_size(at, e, el, &c2, &n2, &z2) < 0 || c2 != cid || n2 != next ||
		    z2 != size || (size != 0) != (cid == at))
			abort();
	} else {
		int kind, k2;
		uint64_t tx, a, b, t2, a2, b2;
		if (tl_cluster_link_decode(at, v, n, &kind, &tx, &a, &b) < 0) return;
		struct tl_buf e;
		tl_buf_init(&e);
		tl_cluster_link_encode(at, kind, tx & (UINT64_MAX >> 2), a, b, &e);
		if (tl_cluster_link_decode(at, e.data, e.len, &k2, &t2, &a2, &b2) < 0 || k2 != kind ||
		    t2 != (tx & (UINT64_MAX >> 2)) || a2 != a || b2 != b)
			abort();
		tl_buf_free(&e);
	}
}

/* The input as the "a" and link records of cluster 5, read through the
 * tracer's cluster queries (tracer/entities.c). */
static void stored_cluster(const uint8_t *v, size_t n)
{
	struct tl_err err;
	uint8_t ka[9], kl[9];
	tl_cluster_addr_key(5, ka);
	tl_cluster_link_key(5, kl);
	put(TL_CF_CLUSTER, ka, 9, v, n);
	put(TL_CF_CLUSTER, kl, 9, v, n);
	uint64_t cid, *ids;
	struct tl_cluster_summary sum;
	struct tl_cluster_link links[8];
	(void)tl_cluster_of(db, 5, &cid, &err);
	(void)tl_cluster_of(db, 6, &cid, &err);
	(void)tl_cluster_summary(db, 5, &sum, &err);
	if (tl_cluster_members_all(db, 5, &ids, &err) >= 0) free(ids);
	(void)tl_cluster_links(db, 5, links, 8, &err);
	put(TL_CF_CLUSTER, kl, 9, NULL, 0);
	put(TL_CF_CLUSTER, ka, 9, NULL, 0);
}

static void stored(uint8_t sel, const uint8_t *v, size_t n)
{
	struct tl_err err;
	uint8_t k[16];
	switch (sel) {
	case 0: { /* block record at height 0, and a blockhash record */
		struct tl_block_rec b;
		tl_put_be32(k, 0);
		put(TL_CF_BLOCK, k, 4, v, n);
		(void)tl_store_block_by_height(db, 0, &b, &err);
		uint8_t h[32] = { 1 };
		put(TL_CF_BLOCKHASH, h, 32, v, n);
		(void)tl_store_block_by_hash(db, h, &b, &err);
		put(TL_CF_BLOCKHASH, h, 32, NULL, 0);
		put(TL_CF_BLOCK, k, 4, NULL, 0);
		break;
	}
	case 1: {
		struct tl_undo_rec u;
		tl_put_be32(k, 5);
		put(TL_CF_UNDO, k, 4, v, n);
		(void)tl_store_undo(db, 5, &u, &err);
		put(TL_CF_UNDO, k, 4, NULL, 0);
		break;
	}
	case 2: { /* the addr record under an owner's digest */
		const uint8_t skey[21] = { 2, 9, 9 };
		tl_owner_digest(skey, sizeof skey, k);
		put(TL_CF_ADDR, k, TL_ADDR_KEY_LEN, v, n);
		uint64_t id;
		(void)tl_store_addr_id(db, skey, sizeof skey, &id, &err);
		put(TL_CF_ADDR, k, TL_ADDR_KEY_LEN, NULL, 0);
		break;
	}
	case 3: { /* a history row, an unspent output and the transaction they name */
		/* hist: addr_id BE5 ‖ tx_num BE5; utxo: that ‖ vout BE4 (docs/schema.md) */
		const uint8_t hk[10] = { 0, 0, 0, 0, 1, 0, 0, 0, 0, 5 };
		const uint8_t uk[14] = { 0, 0, 0, 0, 1, 0, 0, 0, 0, 5, 0, 0, 0, 0 };
		struct tl_addr_info ai = { .addr_id = 1, .funded_count = 2, .funded_sum = 7, .tx_count = 1 };
		struct tl_batch *b = tl_batch_new(db);
		tl_batch_put_addr_info(b, &ai);
		if (tl_store_write(db, b, &err) < 0) abort();
		tl_batch_free(b);
		put(TL_CF_HIST, hk, sizeof hk, v, n);
		put(TL_CF_UTXO, uk, sizeof uk, v, n);
		uint8_t tk[8];
		tl_put_be64(tk, 5);
		put(TL_CF_TX, tk, 8, v, n);
		struct tl_hist_row rows[4];
		(void)tl_store_hist_page(db, 1, UINT64_MAX, rows, 4, &err);
		struct tl_utxo u[4];
		(void)tl_store_addr_utxos(db, 1, u, 4, &err);
		struct tl_tx_rec r;
		if (tl_store_tx(db, 5, &r, &err) == 1) tl_tx_rec_free(&r);
		put(TL_CF_TX, tk, 8, NULL, 0);
		put(TL_CF_UTXO, uk, sizeof uk, NULL, 0);
		put(TL_CF_HIST, hk, sizeof hk, NULL, 0);
		b = tl_batch_new(db);
		tl_batch_del_addr_info(b, 1);
		if (tl_store_write(db, b, &err) < 0) abort();
		tl_batch_free(b);
		break;
	}
	default: { /* the tip */
		struct tl_tip t;
		put(TL_CF_META, "tip", 3, v, n);
		(void)tl_store_tip(db, &t, &err);
		struct tl_block_rec b;
		(void)tl_store_block_of_tx(db, 3, &b, &err);
		put(TL_CF_META, "tip", 3, tip_val, tip_len);
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1) return 0;
	/* 0-5 pure, 6-10 stored, 11-12 the cluster codecs, 13 the cluster
	 * records through the tracer (added last: older seeds keep their
	 * meaning) */
	uint8_t sel = data[0] % 14;
	/* Copy so that reads past the value are caught (data may be larger). */
	uint8_t *v = malloc(size - 1 ? size - 1 : 1);
	memcpy(v, data + 1, size - 1);
	if (sel < 6) {
		pure(sel, v, size - 1);
	} else if (sel == 11 || sel == 12) {
		pure_cluster((uint8_t)(sel - 11), v, size - 1);
	} else if (sel == 13) {
		if (!db) open_db();
		stored_cluster(v, size - 1);
	} else {
		if (!db) open_db();
		stored((uint8_t)(sel - 6), v, size - 1);
	}
	free(v);
	return 0;
}
