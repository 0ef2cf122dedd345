/* The indexer: best chain of a blocks directory -> graph writes. See
 * indexer.h for the contract and docs/schema.md for what is written. */
#include "indexer/indexer.h"

#include <dirent.h>
#include <jansson.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bitcoin/blkfile.h"
#include "bitcoin/block.h"
#include "base/bytes.h"
#include "bitcoin/hash.h"
#include "bitcoin/script.h"
#include "indexer/cluster.h"
#include "base/hmap.h"
#include "store/heist_rows.h"
#include "store/links_btc.h"
#include "store/store.h"

/* A cached transaction's outputs (value of the utxo cache, key = txid). */
struct uout {
	uint64_t value;
	uint64_t addr_id;
	uint8_t type;
	uint8_t spent;
};
struct ucache {
	uint64_t tx_num;
	uint32_t n_out, n_unspent;
	struct uout out[];
};

/* Uncommitted changes to one address's totals (key = addr_id). */
struct adelta {
	int64_t funded_count, funded_sum, spent_count, spent_sum, tx_count;
	uint8_t is_new;
};

/* A commit happens once the batch holds this many bytes of records
 * (whatever --cache-mb is: the batch sits beside the caches). */
#define BATCH_BYTES ((size_t)16 << 20)

struct hrow {
	uint64_t addr_id;
	uint32_t nr, ns;
};

struct ix {
	const struct tl_index_opts *o;
	struct tl_store *s;
	struct tl_blkdir *d;
	struct tl_batch *b;
	struct tl_cluster *cl; /* NULL when clustering is off */
	struct tl_tip tip;
	uint32_t undo_keep;
	struct tl_hmap utxo, addr, delta;
	size_t utxo_budget, addr_budget;
	uint32_t batch_txs, batch_limit;
	/* tx_num of the first transaction of the uncommitted batch: outputs
	 * at or above it are not in the utxo family yet. Their utxo entries
	 * are written at commit if still unspent (an output created and spent
	 * within one batch never reaches the database). */
	uint64_t batch_first;
	/* scratch */
	uint8_t *raw;
	size_t raw_cap;
	struct tl_block blk;
	struct tl_in_rec *ins;
	struct tl_out_rec *outs;
	size_t ins_cap, outs_cap;
	struct hrow *rows;
	size_t rows_cap;
	/* progress */
	struct tl_index_stats *st;
	struct timespec t0;
	double last_report;
	int32_t start, target;
	/* Tests only (TL_TEST_KILL_AT_COMMIT=k): after the k-th commit of the
	 * run, flush it to disk and die by SIGKILL, so that crash tests stop
	 * the indexer exactly between two batches (of a rollback, or of the
	 * new branch). 0 = off. */
	long kill_at;
	bool marked;           /* the update marker is written (first commit) */
	long commits;
	/* txids rolled back by this run's reorg, taken out as the new branch
	 * re-mines them: what is left was dropped */
	struct tl_hmap gone;
};

static double now_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void report(struct ix *x, const char *phase, int force)
{
	if (!x->o->progress) return;
	double el = now_since(&x->t0);
	if (!force && el - x->last_report < 0.25) return;
	x->last_report = el;
	struct tl_index_progress p = {
		.phase = phase, .height = x->tip.height, .target = x->target, .start = x->start,
		.txs = x->st->txs, .inputs = x->st->inputs, .outputs = x->st->outputs, .bytes = x->st->bytes,
		.elapsed = el,
	};
	x->o->progress(x->o->ctx, &p);
}

static struct adelta *delta_of(struct ix *x, uint64_t addr_id)
{
	uint8_t k[8];
	memcpy(k, &addr_id, 8);
	struct tl_hent *e = tl_hmap_get(&x->delta, k, 8);
	if (!e) e = tl_hmap_put(&x->delta, k, 8, sizeof(struct adelta));
	return tl_hent_val(e);
}

/* ---- owners ---- */

static int owner_id(struct ix *x, const uint8_t *script, size_t len, uint64_t *id,
		    struct tl_err *err)
{
	uint8_t key[TL_SCRIPT_KEY_MAX];
	size_t kl = tl_script_key(script, len, key);
	struct tl_hent *e = tl_hmap_get(&x->addr, key, kl);
	if (e) {
		tl_hmap_touch(&x->addr, e);
		memcpy(id, tl_hent_val(e), 8);
		return 0;
	}
	/* Not cached: owners of this batch are all in the cache, so a
	 * committed record or a new owner. */
	int rc = tl_store_addr_id(x->s, key, kl, id, err);
	if (rc < 0) return -1;
	if (rc == 0) {
		*id = x->tip.next_addr_id++;
		tl_batch_put_addr(x->b, key, kl, *id);
		tl_batch_put_scripthash(x->b, script, len, *id);
		delta_of(x, *id)->is_new = 1;
	}
	e = tl_hmap_put(&x->addr, key, kl, 8);
	memcpy(tl_hent_val(e), id, 8);
	return 0;
}

/* ---- prevouts ---- */

/* Resolves (txid, vout) to the newest unspent output with that outref.
 * Returns 1 found (u filled, marked spent in the cache), 0 unknown, -1. */
static int resolve(struct ix *x, const uint8_t *txid, uint32_t vout, struct tl_utxo *u, struct tl_err *err)
{
	struct tl_hent *e = tl_hmap_get(&x->utxo, txid, 32);
	if (e) {
		struct ucache *c = tl_hent_val(e);
		if (vout < c->n_out && !c->out[vout].spent) {
			u->tx_num = c->tx_num;
			u->vout = vout;
			u->value = c->out[vout].value;
			u->addr_id = c->out[vout].addr_id;
			u->script_type = c->out[vout].type;
			c->out[vout].spent = 1;
			if (c->tx_num < x->batch_first) tl_batch_del_utxo(x->b, u->addr_id, c->tx_num, vout);
			if (--c->n_unspent == 0) tl_hmap_del(&x->utxo, e);
			x->st->cache_hits++;
			return 1;
		}
	}
	x->st->cache_misses++;
	uint64_t nums[16];
	int n = tl_store_txid_nums(x->s, txid, nums, 16, err);
	if (n < 0) return -1;
	if (n > 16) n = 16;
	/* utxo keys start with the owner: the spent transaction's record
	 * names it. */
	for (int i = n - 1; i >= 0; i--) {
		struct tl_tx_rec r;
		int rc = tl_store_tx(x->s, nums[i], &r, err);
		if (rc < 0) return -1;
		if (rc == 0) continue;
		uint64_t owner = vout < r.n_out ? r.out[vout].addr_id : 0;
		tl_tx_rec_free(&r);
		if (!owner) continue;
		rc = tl_store_utxo(x->s, owner, nums[i], vout, u, err);
		if (rc < 0) return -1;
		if (rc == 1) {
			tl_batch_del_utxo(x->b, owner, u->tx_num, u->vout);
			return 1;
		}
	}
	return 0;
}

/* ---- applying a block ---- */

/* Notes that addr_id received (is_spend 0) or sent (is_spend 1). */
static void hist_add(struct ix *x, size_t *n, uint64_t addr_id, int is_spend)
{
	if (*n == x->rows_cap) {
		x->rows_cap = x->rows_cap ? x->rows_cap * 2 : 64;
		x->rows = realloc(x->rows, x->rows_cap * sizeof *x->rows);
		if (!x->rows) abort();
	}
	struct hrow *r = &x->rows[(*n)++];
	r->addr_id = addr_id;
	r->nr = is_spend ? 0 : 1;
	r->ns = is_spend ? 1 : 0;
}

static int cmp_hrow(const void *a, const void *b)
{
	const struct hrow *x = a, *y = b;
	return x->addr_id < y->addr_id ? -1 : x->addr_id > y->addr_id;
}

/* Queues the utxo entries of a cached transaction of the current batch
 * that are still unspent. */
static void put_pending_utxos(struct ix *x, const struct ucache *c)
{
	if (c->tx_num < x->batch_first) return;
	for (uint32_t o = 0; o < c->n_out; o++) {
		if (c->out[o].spent) continue;
		struct tl_utxo u = { c->tx_num, o, c->out[o].value, c->out[o].addr_id, c->out[o].type };
		tl_batch_put_utxo(x->b, &u);
	}
}

static int apply_tx(struct ix *x, const struct tl_tx *tx, int32_t height, uint32_t offset, struct tl_err *err)
{
	uint64_t tx_num = x->tip.next_tx_num++;
	if (x->gone.count) {
		struct tl_hent *g = tl_hmap_get(&x->gone, tx->txid, 32);
		if (g) tl_hmap_del(&x->gone, g);
	}
	if (tx->n_in > x->ins_cap) {
		x->ins_cap = tx->n_in * 2;
		x->ins = realloc(x->ins, x->ins_cap * sizeof *x->ins);
		if (!x->ins) abort();
	}
	if (tx->n_out > x->outs_cap) {
		x->outs_cap = tx->n_out * 2;
		x->outs = realloc(x->outs, x->outs_cap * sizeof *x->outs);
		if (!x->outs) abort();
	}
	size_t nrows = 0;
	uint64_t sum_in = 0, sum_out = 0;
	int all_known = 1, coinbase = tl_tx_is_coinbase(tx);
	for (uint32_t i = 0; i < tx->n_in; i++) {
		struct tl_in_rec *in = &x->ins[i];
		memset(in, 0, sizeof *in);
		if (coinbase) {
			in->kind = TL_IN_COINBASE;
			continue;
		}
		struct tl_utxo u;
		int rc = resolve(x, tx->in[i].prev_txid, tx->in[i].prev_vout, &u, err);
		if (rc < 0) return -1;
		if (rc == 0) {
			in->kind = TL_IN_UNKNOWN;
			all_known = 0;
			x->tip.unknown_inputs++;
			x->st->unknown_inputs++;
			continue;
		}
		in->kind = TL_IN_KNOWN;
		in->prev_tx_num = u.tx_num;
		in->prev_vout = u.vout;
		in->value = u.value;
		in->addr_id = u.addr_id;
		in->script_type = u.script_type;
		sum_in += u.value;
		tl_batch_put_spend(x->b, u.tx_num, u.vout, tx_num, i);
		if (u.addr_id) {
			struct adelta *d = delta_of(x, u.addr_id);
			d->spent_count++;
			d->spent_sum += (int64_t)u.value;
			hist_add(x, &nrows, u.addr_id, 1);
		}
	}
	uint32_t unspent = 0;
	for (uint32_t o = 0; o < tx->n_out; o++) {
		const struct tl_txout *to = &tx->out[o];
		struct tl_out_rec *out = &x->outs[o];
		struct tl_script_info si;
		tl_script_classify(to->script, to->script_len, &si);
		out->value = to->value;
		out->script_type = (uint8_t)si.type;
		out->addr_id = 0;
		sum_out += to->value;
		if (si.type == TL_SCRIPT_NULLDATA) continue;
		if (owner_id(x, to->script, to->script_len, &out->addr_id, err) < 0) return -1;
		struct adelta *d = delta_of(x, out->addr_id);
		d->funded_count++;
		d->funded_sum += (int64_t)to->value;
		hist_add(x, &nrows, out->addr_id, 0);
		unspent++;
	}
	struct tl_tx_rec r = {
		.tx_num = tx_num, .height = height, .offset = offset, .size = tx->size,
		.flags = (coinbase ? TL_TX_COINBASE : 0) | (!coinbase && !all_known ? TL_TX_FEE_UNKNOWN : 0),
		.fee = (!coinbase && all_known && sum_in >= sum_out) ? sum_in - sum_out : 0,
		.n_in = tx->n_in, .n_out = tx->n_out, .in = x->ins, .out = x->outs,
	};
	memcpy(r.txid, tx->txid, 32);
	tl_batch_put_tx(x->b, &r);
	tl_links_btc_put_tx(x->b, &r, tx);
	if (x->cl && tl_cluster_tx(x->cl, x->b, &r, tx, err) < 0) return -1;

	if (unspent) {
		/* A duplicate txid (BIP30) replaces the cached entry: first
		 * write out what the older one still holds unwritten. */
		struct tl_hent *old = tl_hmap_get(&x->utxo, tx->txid, 32);
		if (old) put_pending_utxos(x, tl_hent_val(old));
		struct tl_hent *e = tl_hmap_put(&x->utxo, tx->txid, 32,
						sizeof(struct ucache) + tx->n_out * sizeof(struct uout));
		struct ucache *c = tl_hent_val(e);
		c->tx_num = tx_num;
		c->n_out = tx->n_out;
		c->n_unspent = unspent;
		for (uint32_t o = 0; o < tx->n_out; o++) {
			c->out[o].value = x->outs[o].value;
			c->out[o].addr_id = x->outs[o].addr_id;
			c->out[o].type = x->outs[o].script_type;
			c->out[o].spent = x->outs[o].script_type == TL_SCRIPT_NULLDATA;
		}
	}

	/* One history row per address touched, with how many outputs it got
	 * and gave. */
	qsort(x->rows, nrows, sizeof *x->rows, cmp_hrow);
	for (size_t i = 0; i < nrows;) {
		struct tl_hist_row h = { .tx_num = tx_num };
		uint64_t a = x->rows[i].addr_id;
		for (; i < nrows && x->rows[i].addr_id == a; i++) {
			h.n_received += x->rows[i].nr;
			h.n_sent += x->rows[i].ns;
		}
		tl_batch_put_hist(x->b, a, &h);
		delta_of(x, a)->tx_count++;
	}
	x->st->txs++;
	x->st->inputs += tx->n_in;
	x->st->outputs += tx->n_out;
	x->batch_txs++;
	return 0;
}

static uint32_t median_time(struct ix *x, int32_t h)
{
	uint32_t t[11];
	int n = 0;
	for (int32_t i = h; i >= 0 && n < 11; i--) t[n++] = tl_blkdir_chain_at(x->d, (uint32_t)i)->time;
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && t[j - 1] > t[j]; j--) {
			uint32_t s = t[j];
			t[j] = t[j - 1];
			t[j - 1] = s;
		}
	return t[n / 2];
}

static int apply_block(struct ix *x, int32_t h, struct tl_err *err)
{
	const struct tl_chain_entry *e = tl_blkdir_chain_at(x->d, (uint32_t)h);
	char hex[65];
	tl_hash_to_hex(e->hash, hex);
	if (tl_blkdir_read(x->d, &e->loc, &x->raw, &x->raw_cap, err) < 0)
		return tl_err_prefix(err, "block %d (%s): ", h, hex);
	if (tl_block_parse(&x->blk, x->raw, e->loc.size, err) < 0)
		return tl_err_prefix(err, "block %d (%s) in blk%05u.dat at offset %u: ", h, hex, e->loc.file,
				     e->loc.offset);
	if (memcmp(x->blk.hdr.hash, e->hash, 32) != 0)
		return tl_err_set(err, "block %d (%s): bytes in blk%05u.dat changed since the scan", h, hex,
				  e->loc.file);
	if (tl_block_check_merkle(&x->blk, err) < 0 || tl_block_check_values(&x->blk, err) < 0)
		return tl_err_prefix(err, "block %d (%s) in blk%05u.dat: ", h, hex, e->loc.file);

	struct tl_undo_rec u = { x->tip.next_tx_num, x->blk.n_tx, x->tip.next_addr_id, x->tip.unknown_inputs };
	for (uint32_t i = 0; i < x->blk.n_tx; i++)
		if (apply_tx(x, &x->blk.tx[i], h, x->blk.tx_offset[i], err) < 0)
			return tl_err_prefix(err, "block %d: ", h);
	struct tl_block_rec br = {
		.height = h, .version = x->blk.hdr.version, .time = x->blk.hdr.time, .bits = x->blk.hdr.bits,
		.nonce = x->blk.hdr.nonce, .median_time = median_time(x, h), .file = e->loc.file,
		.offset = e->loc.offset, .size = x->blk.size, .weight = x->blk.weight, .n_tx = x->blk.n_tx,
		.first_tx_num = u.first_tx_num,
	};
	memcpy(br.hash, x->blk.hdr.hash, 32);
	memcpy(br.prev, x->blk.hdr.prev, 32);
	memcpy(br.merkle, x->blk.hdr.merkle, 32);
	tl_batch_put_block(x->b, &br);
	tl_batch_put_undo(x->b, h, &u);
	if (h >= (int32_t)x->undo_keep) tl_batch_del_undo(x->b, h - (int32_t)x->undo_keep);
	if (x->cl) tl_cluster_block_end(x->cl, x->b, h, x->undo_keep);
	x->tip.height = h;
	memcpy(x->tip.hash, br.hash, 32);
	x->st->bytes += e->loc.size;
	x->st->blocks_indexed++;
	return 0;
}

/* ---- committing ---- */

/* Writes the address totals changed since the last commit (reading the
 * committed ones in one multi-get), then the tip, atomically. */
static int commit(struct ix *x, struct tl_err *err)
{
	if (!x->marked) {
		/* Readers beside the run keep the state before it until the run
		 * and the screening update after it are done (store.h, the
		 * update marker). Written with the log, before this handle's
		 * first unlogged batch: a secondary replaying the log sees it
		 * at once. */
		struct tl_batch *mb = tl_batch_new(x->s);
		tl_batch_put_updating(mb, "index");
		int r = tl_store_write(x->s, mb, err);
		tl_batch_free(mb);
		if (r < 0) return -1;
		x->marked = true;
	}
	size_t n = x->delta.count;
	uint8_t (*keys)[8] = malloc((n ? n : 1) * sizeof *keys);
	const uint8_t **kp = malloc((n ? n : 1) * sizeof *kp);
	size_t *kl = malloc((n ? n : 1) * sizeof *kl);
	uint8_t **vals = calloc(n ? n : 1, sizeof *vals);
	size_t *vl = calloc(n ? n : 1, sizeof *vl);
	struct tl_hent **ents = malloc((n ? n : 1) * sizeof *ents);
	if (!keys || !kp || !kl || !vals || !vl || !ents) abort();
	size_t m = 0;
	for (struct tl_hent *e = x->delta.lru_head; e; e = e->lru_next) {
		struct adelta *d = tl_hent_val(e);
		uint64_t id;
		memcpy(&id, tl_hent_key(e), 8);
		ents[m] = e;
		tl_addr_id_key(id, keys[m]);
		kp[m] = keys[m];
		kl[m] = d->is_new ? 0 : 8;
		m++;
	}
	/* Only existing addresses are read; new ones are skipped below. */
	size_t nq = 0;
	const uint8_t **qk = calloc(n ? n : 1, sizeof *qk);
	size_t *qkl = calloc(n ? n : 1, sizeof *qkl), *qidx = calloc(n ? n : 1, sizeof *qidx);
	if (!qk || !qkl || !qidx) abort();
	for (size_t i = 0; i < m; i++)
		if (kl[i]) {
			qk[nq] = kp[i];
			qkl[nq] = 8;
			qidx[nq] = i;
			nq++;
		}
	uint8_t **qv = calloc(nq ? nq : 1, sizeof *qv);
	size_t *qvl = calloc(nq ? nq : 1, sizeof *qvl);
	int rc = tl_store_multi_get(x->s, TL_CF_ADDR_INFO, nq, qk, qkl, qv, qvl, err);
	for (size_t q = 0; q < nq && rc == 0; q++) {
		vals[qidx[q]] = qv[q];
		vl[qidx[q]] = qvl[q];
		qv[q] = NULL;
	}
	for (size_t i = 0; i < m && rc == 0; i++) {
		struct adelta *d = tl_hent_val(ents[i]);
		uint64_t id;
		memcpy(&id, tl_hent_key(ents[i]), 8);
		struct tl_addr_info a;
		memset(&a, 0, sizeof a);
		a.addr_id = id;
		if (!d->is_new && (!vals[i] || tl_addr_info_decode(id, vals[i], vl[i], &a) < 0)) {
			rc = tl_err_set(err, "address %llu: totals record missing or corrupt", (unsigned long long)id);
			break;
		}
		a.funded_count += (uint64_t)d->funded_count;
		a.funded_sum += (uint64_t)d->funded_sum;
		a.spent_count += (uint64_t)d->spent_count;
		a.spent_sum += (uint64_t)d->spent_sum;
		a.tx_count += (uint64_t)d->tx_count;
		tl_batch_put_addr_info(x->b, &a);
	}
	for (size_t i = 0; i < m; i++) free(vals[i]);
	for (size_t q = 0; q < nq; q++) free(qv[q]);
	free(keys); free(kp); free(kl); free(vals); free(vl); free(ents);
	free(qk); free(qkl); free(qidx); free(qv); free(qvl);
	if (rc < 0) return -1;
	/* Outputs of this batch still unspent: cache entries are appended
	 * at the LRU tail and never touched, so they are the newest ones. */
	for (struct tl_hent *e = x->utxo.lru_tail; e; e = e->lru_prev) {
		const struct ucache *c = tl_hent_val(e);
		if (c->tx_num < x->batch_first) break;
		put_pending_utxos(x, c);
	}
	x->tip.undo_keep = x->undo_keep;
	tl_batch_put_tip(x->b, &x->tip);
	if (x->cl) tl_cluster_flush(x->cl, x->b);
	if (tl_store_write(x->s, x->b, err) < 0) return -1;
	if (x->cl) tl_cluster_committed(x->cl);
	if (x->kill_at && ++x->commits == x->kill_at) {
		if (tl_store_flush(x->s, err) < 0) return -1;
		raise(SIGKILL);
	}
	tl_batch_clear(x->b);
	x->batch_first = x->tip.next_tx_num;
	tl_hmap_clear(&x->delta);
	tl_hmap_trim(&x->utxo, x->utxo_budget);
	tl_hmap_trim(&x->addr, x->addr_budget);
	x->batch_txs = 0;
	return 0;
}

/* ---- rolling back ---- */

/* Reads and parses block br back into x->blk: the scripts of the owners
 * it created, which the database does not store. */
static int read_block_back(struct ix *x, const struct tl_block_rec *br, uint32_t n_tx, struct tl_err *err)
{
	const struct tl_blkloc loc = { .file = br->file, .offset = br->offset, .size = br->size };
	if (tl_blkdir_read(x->d, &loc, &x->raw, &x->raw_cap, err) < 0 ||
	    tl_block_parse(&x->blk, x->raw, br->size, err) < 0)
		return tl_err_prefix(err, "rolling back block %d: ", br->height);
	if (memcmp(x->blk.hdr.hash, br->hash, 32) != 0 || x->blk.n_tx != n_tx)
		return tl_err_set(err, "rolling back block %d: blk%05u.dat no longer holds it", br->height, br->file);
	return 0;
}

static int rollback_block(struct ix *x, struct tl_err *err)
{
	int32_t h = x->tip.height;
	struct tl_block_rec br;
	struct tl_undo_rec u;
	int rc = tl_store_block_by_height(x->s, h, &br, err);
	if (rc <= 0) return rc < 0 ? -1 : tl_err_set(err, "block %d missing from the database", h);
	rc = tl_store_undo(x->s, h, &u, err);
	if (rc < 0) return -1;
	if (rc == 0)
		return tl_err_set(err, "no undo data for block %d: the reorg is deeper than the %u blocks of undo data "
				  "kept; re-index into a new database", h, x->undo_keep);
	if (x->cl && tl_cluster_rollback(x->cl, x->b, h, err) < 0) return -1;
	/* Owners first seen in this block disappear with it: their addr
	 * digests come from the block's own bytes. */
	int new_owners = u.first_addr_id < x->tip.next_addr_id;
	if (new_owners && read_block_back(x, &br, u.n_tx, err) < 0) return -1;
	for (uint64_t t = u.first_tx_num + u.n_tx; t-- > u.first_tx_num;) {
		struct tl_tx_rec r;
		rc = tl_store_tx(x->s, t, &r, err);
		if (rc <= 0) return rc < 0 ? -1 : tl_err_set(err, "transaction %llu missing", (unsigned long long)t);
		size_t nrows = 0;
		const struct tl_tx *raw = new_owners ? &x->blk.tx[t - u.first_tx_num] : NULL;
		for (uint32_t o = 0; o < r.n_out; o++) {
			if (raw && r.out[o].addr_id >= u.first_addr_id && o < raw->n_out) {
				uint8_t key[TL_SCRIPT_KEY_MAX];
				size_t kl = tl_script_key(raw->out[o].script, raw->out[o].script_len, key);
				tl_batch_del_addr(x->b, key, kl);
				tl_batch_del_scripthash(x->b, raw->out[o].script, raw->out[o].script_len);
				if (x->cl && tl_cluster_owner_tagged(x->cl, key, kl)) x->st->tagged_rolled_back++;
			}
			if (r.out[o].script_type == TL_SCRIPT_NULLDATA) continue;
			tl_batch_del_utxo(x->b, r.out[o].addr_id, t, o);
			struct adelta *d = delta_of(x, r.out[o].addr_id);
			d->funded_count--;
			d->funded_sum -= (int64_t)r.out[o].value;
			hist_add(x, &nrows, r.out[o].addr_id, 0);
		}
		for (uint32_t i = 0; i < r.n_in; i++) {
			const struct tl_in_rec *in = &r.in[i];
			if (in->kind != TL_IN_KNOWN) continue;
			tl_batch_del_spend(x->b, in->prev_tx_num, in->prev_vout);
			if (in->prev_tx_num < u.first_tx_num) {
				/* the script type is not in the input record: the
				 * spent output's record has it */
				struct tl_tx_rec pr;
				rc = tl_store_tx(x->s, in->prev_tx_num, &pr, err);
				if (rc <= 0 || in->prev_vout >= pr.n_out) {
					if (rc > 0) tl_tx_rec_free(&pr);
					tl_tx_rec_free(&r);
					return rc < 0 ? -1 : tl_err_set(err, "output %llu:%u spent by transaction %llu missing",
									(unsigned long long)in->prev_tx_num, in->prev_vout,
									(unsigned long long)t);
				}
				struct tl_utxo ut = { in->prev_tx_num, in->prev_vout, in->value, in->addr_id,
						      pr.out[in->prev_vout].script_type };
				tl_tx_rec_free(&pr);
				tl_batch_put_utxo(x->b, &ut);
			}
			if (in->addr_id) {
				struct adelta *d = delta_of(x, in->addr_id);
				d->spent_count--;
				d->spent_sum -= (int64_t)in->value;
				hist_add(x, &nrows, in->addr_id, 1);
			}
		}
		qsort(x->rows, nrows, sizeof *x->rows, cmp_hrow);
		for (size_t i = 0; i < nrows;) {
			uint64_t a = x->rows[i].addr_id;
			while (i < nrows && x->rows[i].addr_id == a) i++;
			tl_batch_del_hist(x->b, a, t);
			delta_of(x, a)->tx_count--;
		}
		if (tl_links_btc_del_tx(x->s, x->b, &r, err) < 0) {
			tl_tx_rec_free(&r);
			return -1;
		}
		tl_batch_del_tx(x->b, t, r.txid);
		tl_hmap_put(&x->gone, r.txid, 32, 0);
		x->st->reorg_txs++;
		tl_tx_rec_free(&r);
	}
	for (uint64_t id = u.first_addr_id; id < x->tip.next_addr_id; id++) {
		tl_batch_del_addr_info(x->b, id);
		uint8_t k[8];
		memcpy(k, &id, 8);
		struct tl_hent *e = tl_hmap_get(&x->delta, k, 8);
		if (e) tl_hmap_del(&x->delta, e);
	}
	tl_batch_del_block(x->b, h, br.hash);
	tl_batch_del_undo(x->b, h);
	x->tip.height = h - 1;
	if (h > 0) memcpy(x->tip.hash, br.prev, 32);
	else memset(x->tip.hash, 0, 32);
	x->tip.next_tx_num = u.first_tx_num;
	x->tip.next_addr_id = u.first_addr_id;
	x->tip.unknown_inputs = u.unknown_inputs;
	x->st->blocks_rolled_back++;
	return commit(x, err);
}

/* Counts the reorg in meta "reorgs" (left out of the digest: history,
 * not content), written with the first rollback batch: {"count": n,
 * "last": {"depth", "fork_height", "from_height", "from_hash", "time"}}. */
static int note_reorg(struct ix *x, int32_t depth, int32_t fork, struct tl_err *err)
{
	char *old = NULL;
	if (tl_store_get_meta(x->s, "reorgs", &old, err) < 0) return -1;
	json_int_t n = 0;
	if (old) {
		json_t *j = json_loads(old, 0, NULL);
		n = json_integer_value(json_object_get(j, "count"));
		json_decref(j);
		free(old);
	}
	char hex[65];
	tl_hash_to_hex(x->tip.hash, hex);
	json_t *j = json_pack("{s:I,s:{s:i,s:i,s:i,s:s,s:I}}", "count", n + 1, "last", "depth", (int)depth,
			      "fork_height", (int)fork, "from_height", (int)x->tip.height, "from_hash", hex, "time",
			      (json_int_t)time(NULL));
	char *txt = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	tl_batch_put_meta(x->b, "reorgs", txt);
	free(txt);
	json_decref(j);
	return 0;
}

/* ---- the run ---- */

static void scan_warn(void *ctx, const char *msg)
{
	struct ix *x = ctx;
	if (x->o->warn) x->o->warn(x->o->ctx, msg);
}

/* A blk file missing in the middle hides every later block: refuse. */
static int check_sequence(const char *dir, uint32_t files, struct tl_err *err)
{
	DIR *dd = opendir(dir);
	if (!dd) return tl_err_set(err, "%s: cannot open directory", dir);
	struct dirent *de;
	unsigned max = 0;
	int found = 0;
	while ((de = readdir(dd))) {
		unsigned n;
		char tail[8];
		if (sscanf(de->d_name, "blk%5u.%3s", &n, tail) == 2 && strlen(de->d_name) == 12 &&
		    !strcmp(tail, "dat")) {
			if (!found || n > max) max = n;
			found = 1;
		}
	}
	closedir(dd);
	if (found && max >= files)
		return tl_err_set(err, "%s: blk%05u.dat is missing but blk%05u.dat exists; the blocks directory is "
				  "incomplete", dir, files, max);
	return 0;
}

int tl_index_run(const struct tl_index_opts *o, struct tl_index_stats *st, struct tl_err *err)
{
	memset(st, 0, sizeof *st);
	st->fork_height = -2;
	if (!o->net) return tl_err_set(err, "no network given");
	struct ix x;
	memset(&x, 0, sizeof x);
	x.o = o;
	x.st = st;
	{
		const char *k = getenv("TL_TEST_KILL_AT_COMMIT");
		x.kill_at = k ? atol(k) : 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &x.t0);
	x.last_report = -1;
	x.undo_keep = o->undo_keep ? o->undo_keep : TL_INDEX_DEFAULT_UNDO_KEEP;
	x.batch_limit = o->batch_tx ? o->batch_tx : 50000;
	uint32_t cache_mb = o->cache_mb ? o->cache_mb : 512;
	tl_hmap_init(&x.utxo);
	tl_hmap_init(&x.gone);
	tl_hmap_init(&x.addr);
	tl_hmap_init(&x.delta);
	tl_block_init(&x.blk);
	int rc = -1;
	struct tl_store_opts so = { .create = true, .net = o->net, .bulk = true, .memtable_mb = 96 };
	struct stat sb;
	if (stat(o->blocks_dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		tl_err_set(err, "%s: no such blocks directory", o->blocks_dir);
		goto out;
	}
	/* Scan first: a blocks directory that yields no chain is refused
	 * before the database is created or opened for writing. */
	if (tl_blkdir_open(o->blocks_dir, o->net, &x.d, err) < 0) goto out;
	tl_blkdir_set_warn(x.d, scan_warn, &x);
	struct tl_scan_report rep;
	memset(&rep, 0, sizeof rep);
	report(&x, "scan", 1);
	if (tl_blkdir_scan(x.d, &rep, err) < 0) goto out;
	st->blk_files = rep.files;
	st->stale_blocks = rep.stale;
	st->garbage_skips = rep.garbage_skips;
	if (check_sequence(o->blocks_dir, rep.files, err) < 0) goto out;
	int32_t len = (int32_t)tl_blkdir_chain_len(x.d);
	if (len == 0) {
		/* Nothing links to this network's genesis block: say why rather
		 * than index nothing and succeed, and before a database is
		 * created for what may be the wrong network. */
		if (rep.wrong_magic)
			tl_err_set(err, "%s: the blocks belong to another network than %s; pass the right --network",
				   o->blocks_dir, o->net->name);
		else if (rep.records)
			tl_err_set(err, "%s: none of the %u blocks found links to the %s genesis block (a pruned "
				   "node's blocks directory lacks the early blocks; taintline needs an archive node)",
				   o->blocks_dir, rep.records, o->net->name);
		else
			tl_err_set(err, "%s: no blocks found", o->blocks_dir);
		goto out;
	}

	/* The index of blocks grows with the chain: it comes out of
	 * cache_mb. The rest is split: prevouts 7/16, owners 3/16,
	 * clustering 1/8, RocksDB's block cache 1/4 (with the index and
	 * filter blocks); the caches count what the allocator gives them.
	 * Beside cache_mb, whatever its value: memtables 96 MiB (about 1.3x
	 * while one flushes) and a 16 MiB batch (held about twice while
	 * written), so that with compactions and the program the process
	 * stays within cache_mb + 256 MiB (docs/schema.md, "Memory while
	 * indexing"). */
	size_t total = (size_t)cache_mb << 20, blocks_index = tl_blkdir_mem_bytes(x.d);
	if (o->blocks_index_beside_cache) blocks_index = 0;
	if (blocks_index > total / 2) {
		tl_err_set(err, "the index of the %u blocks found takes %zu MiB, more than half of --cache-mb %u: pass "
			   "--cache-mb %zu or more", rep.records, (blocks_index >> 20) + 1, cache_mb,
			   ((blocks_index >> 20) + 1) * 2);
		goto out;
	}
	size_t caches = total - blocks_index;
	x.utxo_budget = caches / 16 * 7;
	x.addr_budget = caches / 16 * 3;
	so.cache_mb = (uint32_t)(caches / 4 >> 20 ? caches / 4 >> 20 : 1);

	if (tl_store_open(o->db_path, &so, &x.s, err) < 0) goto out;
	if (tl_store_tip(x.s, &x.tip, err) < 0) goto out;
	st->tip_before = x.tip.height;
	x.batch_first = x.tip.next_tx_num;
	x.b = tl_batch_new_bulk(x.s);
	if (!o->no_cluster) {
		struct tl_cluster_opts co = { .cache_mb = (uint32_t)(caches / 8 >> 20 ? caches / 8 >> 20 : 1),
					      .heuristics = o->cluster_heuristics };
		if (tl_cluster_open(x.s, &co, &x.cl, err) < 0) goto out;
	}
	{
		char *abs = realpath(o->blocks_dir, NULL);
		tl_batch_put_meta(x.b, "blocks_dir", abs ? abs : o->blocks_dir);
		free(abs);
	}

	x.start = x.tip.height + 1;
	x.target = x.tip.height;
	/* Where the database and the blocks directory agree. */
	int32_t fork = x.tip.height;
	if (x.tip.height >= 0) {
		if (x.tip.height >= len ||
		    memcmp(tl_blkdir_chain_at(x.d, (uint32_t)x.tip.height)->hash, x.tip.hash, 32) != 0) {
			char hex[65];
			tl_hash_to_hex(x.tip.hash, hex);
			if (!tl_blkdir_find(x.d, x.tip.hash)) {
				tl_err_set(err, "the database tip (block %d, %s) is not in %s: wrong or incomplete "
					   "blocks directory", x.tip.height, hex, o->blocks_dir);
				goto out;
			}
			int32_t h = x.tip.height < len ? x.tip.height : len - 1;
			for (; h >= 0; h--) {
				struct tl_block_rec br;
				int r2 = tl_store_block_by_height(x.s, h, &br, err);
				if (r2 < 0) goto out;
				if (r2 == 1 && !memcmp(br.hash, tl_blkdir_chain_at(x.d, (uint32_t)h)->hash, 32))
					break;
			}
			fork = h;
			st->fork_height = fork;
			int32_t depth = x.tip.height - fork;
			struct tl_undo_rec u;
			int r2 = fork + 1 <= x.tip.height ? tl_store_undo(x.s, fork + 1, &u, err) : 1;
			if (r2 < 0) goto out;
			if (r2 == 0) {
				tl_err_set(err, "reorg of %d blocks (fork at height %d, database tip %d) is deeper than "
					   "the undo data kept (%u blocks); re-index into a new database",
					   depth, fork, x.tip.height, x.tip.undo_keep ? x.tip.undo_keep : x.undo_keep);
				goto out;
			}
			x.target = fork;
			if (note_reorg(&x, depth, fork, err) < 0) goto out;
			while (x.tip.height > fork) {
				if (rollback_block(&x, err) < 0) goto out;
				report(&x, "rollback", 0);
			}
			tl_hmap_clear(&x.utxo);
			tl_hmap_clear(&x.addr);
		}
	}

	int32_t end = len - 1;
	if (o->until >= 0 && o->until < end) end = o->until;
	x.start = x.tip.height + 1;
	x.target = end > x.tip.height ? end : x.tip.height;
	for (int32_t h = x.tip.height + 1; h <= end; h++) {
		if (apply_block(&x, h, err) < 0) goto out;
		if (x.batch_txs >= x.batch_limit || tl_batch_bytes(x.b) >= BATCH_BYTES || h == end) {
			if (commit(&x, err) < 0) goto out;
			if (o->stop && *o->stop && h < end) {
				st->stopped = 1;
				break;
			}
		}
		report(&x, "index", 0);
	}
	rc = 0;
	st->reorg_dropped = x.gone.count;
	if (x.cl) {
		struct tl_cluster_stats cs;
		tl_cluster_get_stats(x.cl, &cs);
		st->tagged_applied = (uint32_t)cs.tagged_new;
	}
	if (!st->stopped) {
		/* At the target: what is left is the screening update. Also
		 * after a run killed past its last batch (nothing to write
		 * now, the marker still says "index"). */
		char stage[32];
		int r = tl_store_updating(x.s, stage, sizeof stage, err);
		if (r < 0) {
			rc = -1;
			goto out;
		}
		if (r == 1 && !strcmp(stage, "index")) {
			/* Without heists the screening index has nothing to
			 * bring up to date: the run ends the update itself. */
			bool heists = tl_heists_any(x.s);
			/* Written with the log, like the marker it replaces (a
			 * secondary that replayed that one from the log sees this
			 * one only so): the unlogged batches are flushed first. */
			tl_batch_free(x.b);
			x.b = NULL;
			tl_cluster_free(x.cl); /* holds reads of the handle reopened below */
			x.cl = NULL;
			if (tl_store_flush(x.s, err) < 0) {
				rc = -1;
				goto out;
			}
			struct tl_batch *mb = tl_batch_new(x.s);
			if (heists) tl_batch_put_updating(mb, "screen");
			else tl_batch_del(mb, TL_CF_META, "updating", 8);
			int w = tl_store_write(x.s, mb, err);
			tl_batch_free(mb);
			if (w < 0) {
				rc = -1;
				goto out;
			}
		}
	}
out:
	tl_hmap_free(&x.gone);
	tl_cluster_free(x.cl);
	x.cl = NULL;
	tl_batch_free(x.b);
	x.b = NULL;
	/* A run that at least doubled the database compacts it: the files
	 * then hold no overwritten totals or spent utxos, and the database is at its settled size when the run ends
	 * (about 15% of the indexing time on a 1M-tx chain; amortised, since
	 * a database doubles only a few times). */
	if (rc == 0 && x.s && st->txs >= 10000 && st->txs >= x.tip.next_tx_num - st->txs) {
		report(&x, "compact", 1);
		if (tl_store_compact(x.s, err) < 0) rc = -1;
	}
	if (rc == 0) {
		st->tip_after = x.tip.height;
		st->unknown_inputs_total = x.tip.unknown_inputs;
		st->seconds = now_since(&x.t0);
		if (x.s) st->db_bytes = tl_store_disk_bytes(x.s);
		report(&x, "done", 1);
	}
	tl_blkdir_close(x.d);
	tl_store_close(x.s);
	tl_hmap_free(&x.utxo);
	tl_hmap_free(&x.addr);
	tl_hmap_free(&x.delta);
	tl_block_free(&x.blk);
	free(x.raw);
	free(x.ins);
	free(x.outs);
	free(x.rows);
	return rc;
}
