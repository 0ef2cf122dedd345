/* Index throughput against the parse floor, side by side in one run.
 *
 * usage: bench_index BLOCKS_DIR DB_DIR [CACHE_MB]
 * Make the blocks with e.g.
 *   taintline simulate --out SIM --fast --blocks 1000 --txs-per-block 1000
 * and pass SIM/blocks. DB_DIR must not exist. Reports tx/s and MB/s for
 * (1) read + parse + txid of every best-chain block, and within it the
 * txid hashing alone (the physical floor), and
 * (2) the full index, their ratios, inputs + outputs per second, peak RSS, database bytes per tx, and
 * history paging time at the start, middle and end of the longest
 * history, and of a constructed 1,000,000-row hot-wallet history (in
 * DB_DIR-hotwallet, which must not exist either). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bitcoin/blkfile.h"
#include "bitcoin/block.h"
#include "bitcoin/script.h"
#include "indexer/indexer.h"
#include "store/store.h"
#include "txid_floor.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* An exchange hot wallet: the simulator's busiest address has a few
 * thousand rows, so build one with 1,000,000 history rows (between two
 * neighbours with their own rows, every 3rd tx_num) in a database of its
 * own, written the way the indexer writes, and page through all of it.
 * Reports the mean time per page over the first, middle and last 1000
 * pages, and the slowest page. */
#define LONG_ROWS 1000000u
static int long_history(const char *db_dir)
{
	char path[4096];
	snprintf(path, sizeof path, "%s-hotwallet", db_dir);
	struct tl_err err;
	struct tl_store *s;
	struct tl_store_opts so = { .create = true, .net = tl_net_params(TL_NET_REGTEST), .bulk = true };
	if (tl_store_open(path, &so, &s, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	double t0 = now();
	struct tl_batch *b = tl_batch_new_bulk(s);
	for (uint64_t i = 0; i < LONG_ROWS; i++) {
		for (uint64_t a = 1; a <= 3; a++) {
			if (a != 2 && i % 3) continue; /* neighbours: a third as many rows */
			struct tl_hist_row h = { .tx_num = 3 * i + a, .n_received = 1 };
			tl_batch_put_hist(b, a, &h);
		}
		if ((i + 1) % 200000 == 0 && (tl_store_write(s, b, &err) < 0 || (tl_batch_clear(b), 0))) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
	}
	/* Its oldest output is its only unspent one: behind 999,999 newer
	 * rows of history. */
	struct tl_utxo u = { .tx_num = 2, .vout = 0, .value = 5000, .addr_id = 2, .script_type = TL_SCRIPT_WITNESS_V0_KEYHASH };
	tl_batch_put_utxo(b, &u);
	struct tl_addr_info ai = { .addr_id = 2, .funded_count = LONG_ROWS, .funded_sum = 5000ull * LONG_ROWS,
				   .spent_count = LONG_ROWS - 1, .spent_sum = 5000ull * (LONG_ROWS - 1),
				   .tx_count = LONG_ROWS };
	tl_batch_put_addr_info(b, &ai);
	if (tl_store_write(s, b, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	tl_batch_free(b);
	if (tl_store_compact(s, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	tl_store_close(s);
	double build_s = now() - t0;
	struct tl_store_opts ro = { .read_only = true };
	if (tl_store_open(path, &ro, &s, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	struct tl_hist_row rows[25];
	uint64_t cursor = UINT64_MAX, pages = 0, total = LONG_ROWS / 25, seen = 0;
	double sum[3] = { 0 }, worst = 0;
	for (;;) {
		double p0 = now();
		int n = tl_store_hist_page(s, 2, cursor, rows, 25, &err);
		double dt = now() - p0;
		if (n < 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		if (pages < 1000) sum[0] += dt;
		if (pages >= total / 2 - 500 && pages < total / 2 + 500) sum[1] += dt;
		if (pages >= total - 1000 && pages < total) sum[2] += dt;
		if (dt > worst) worst = dt;
		pages++;
		seen += (uint64_t)n;
		if (n < 25) break;
		cursor = rows[n - 1].tx_num;
	}
	printf("hot wallet (%llu history rows, built in %.1f s): %llu pages of 25, mean per page: first 1000 %.1f us, "
	       "middle 1000 %.1f us, last 1000 %.1f us; slowest %.1f us\n",
	       (unsigned long long)seen, build_s, (unsigned long long)pages, sum[0] / 1000 * 1e6, sum[1] / 1000 * 1e6,
	       sum[2] / 1000 * 1e6, worst * 1e6);
	struct tl_utxo got[4];
	double u0 = now();
	int nu = tl_store_addr_utxos(s, 2, got, 4, &err);
	double udt = now() - u0;
	printf("hot wallet's one unspent output, the oldest of its %u received: listed in %.1f us (%d found)\n",
	       LONG_ROWS, udt * 1e6, nu);
	tl_store_close(s);
	return seen == LONG_ROWS && nu == 1 && got[0].tx_num == 2 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_index BLOCKS_DIR DB_DIR [CACHE_MB]\n");
		return 2;
	}
	const struct tl_netparams *np = tl_net_params(TL_NET_REGTEST);
	struct tl_err err;
	struct tl_blkdir *d;
	if (tl_blkdir_open(argv[1], np, &d, &err) < 0 || tl_blkdir_scan(d, NULL, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	/* 1. parse floor */
	double t0 = now();
	uint8_t *buf = NULL;
	size_t cap = 0;
	uint64_t ntx = 0, bytes = 0, nio = 0;
	struct tl_block b;
	tl_block_init(&b);
	uint8_t *sbuf = NULL, sink = 0;
	size_t scap = 0, ocap = 0;
	uint32_t *soff = NULL;
	double hash_s = 0, strip_s = 0;
	for (uint32_t h = 0; h < tl_blkdir_chain_len(d); h++) {
		const struct tl_chain_entry *e = tl_blkdir_chain_at(d, h);
		if (tl_blkdir_read(d, &e->loc, &buf, &cap, &err) < 0 || tl_block_parse(&b, buf, e->loc.size, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		ntx += b.n_tx;
		bytes += e->loc.size;
		for (uint32_t i = 0; i < b.n_tx; i++) nio += b.tx[i].n_in + b.tx[i].n_out;
		/* the txid hashing alone, on copies made outside its clock */
		double s0 = now();
		txid_floor_strip_block(&b, &sbuf, &scap, &soff, &ocap);
		double s1 = now();
		for (uint32_t i = 0; i < b.n_tx; i++) {
			uint8_t th[32];
			tl_sha256d(sbuf + soff[i], soff[i + 1] - soff[i], th);
			sink ^= th[0] ^ b.tx[i].txid[0];
		}
		hash_s += now() - s1;
		strip_s += s1 - s0;
	}
	double floor_s = now() - t0 - strip_s;
	free(sbuf);
	free(soff);
	tl_block_free(&b);
	free(buf);
	tl_blkdir_close(d);

	/* 2. the index */
	struct tl_index_opts o = { .blocks_dir = argv[1], .db_path = argv[2], .net = np, .until = -1,
				   .cache_mb = argc > 3 ? (uint32_t)atoi(argv[3]) : 512 };
	struct tl_index_stats st;
	t0 = now();
	if (tl_index_run(&o, &st, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	double ix_s = now() - t0;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);

	printf("chain: %u blocks, %llu txs, %.1f MB\n", st.blocks_indexed, (unsigned long long)ntx, bytes / 1e6);
	printf("inputs + outputs: %llu (%.2f per tx)\n", (unsigned long long)nio, (double)nio / (double)ntx);
	printf("floor, txid hashing: %.2f s, %.0f tx/s   [sink %02x]\n", hash_s, ntx / hash_s, sink);
	printf("read + parse + txid: %.2f s, %.0f tx/s, %.1f MB/s\n", floor_s, ntx / floor_s, bytes / floor_s / 1e6);
	printf("index:       %.2f s, %.0f tx/s, %.1f MB/s, %.0f inputs+outputs/s\n", ix_s, ntx / ix_s, bytes / ix_s / 1e6,
	       nio / ix_s);
	printf("ratio index/txid-hashing time: %.1fx; index/read+parse: %.1fx\n", ix_s / hash_s, ix_s / floor_s);
	double peak = ru.ru_maxrss / 1024.0, goal = o.cache_mb + 256.0;
	printf("peak RSS: %.1f MiB (cache %u MiB; goal cache + 256 = %.0f MiB: %.2fx, %s)\n", peak, o.cache_mb, goal,
	       peak / goal, peak <= goal ? "met" : "NOT met");
	printf("prevout cache: %llu hits, %llu misses\n", (unsigned long long)st.cache_hits,
	       (unsigned long long)st.cache_misses);

	struct tl_store *s;
	struct tl_store_opts so = { .read_only = true };
	if (tl_store_open(argv[2], &so, &s, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	uint64_t dbb = tl_store_disk_bytes(s);
	printf("database right after the run (every file): %.1f MiB, %.1f bytes/tx, %.2f of the blk bytes\n",
	       dbb / 1048576.0, (double)dbb / (double)ntx, (double)dbb / (double)bytes);
	for (int c = 0; c < TL_CF_COUNT; c++) {
		uint64_t n = tl_store_cf_bytes(s, (enum tl_cf)c);
		if (n > 1048576) printf("  %-10s %7.1f MiB %6.1f bytes/tx\n", tl_cf_name((enum tl_cf)c), n / 1048576.0,
					(double)n / (double)ntx);
	}
	tl_store_close(s);

	/* After a full compaction (what the database settles to), per family. */
	struct tl_store_opts sw = { .create = false };
	t0 = now();
	if (tl_store_open(argv[2], &sw, &s, &err) < 0 || tl_store_compact(s, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	dbb = tl_store_disk_bytes(s);
	printf("compacted (%.1f s, every file): %.1f MiB, %.1f bytes/tx, %.2f of the blk bytes\n", now() - t0,
	       dbb / 1048576.0, (double)dbb / (double)ntx, (double)dbb / (double)bytes);
	for (int c = 0; c < TL_CF_COUNT; c++) {
		uint64_t n = tl_store_cf_bytes(s, (enum tl_cf)c);
		if (n > 1048576) printf("  %-10s %7.1f MiB %6.1f bytes/tx\n", tl_cf_name((enum tl_cf)c), n / 1048576.0,
					(double)n / (double)ntx);
	}
	tl_store_close(s);
	if (tl_store_open(argv[2], &so, &s, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}

	/* 3. history paging on the address with the most transactions */
	struct tl_tip tip;
	tl_store_tip(s, &tip, &err);
	uint64_t best = 0, best_n = 0;
	for (uint64_t id = 1; id < tip.next_addr_id && id < 200000; id++) {
		struct tl_addr_info a;
		if (tl_store_addr_info(s, id, &a, &err) == 1 && a.tx_count > best_n) {
			best_n = a.tx_count;
			best = id;
		}
	}
	struct tl_hist_row rows[25];
	uint64_t cursor = UINT64_MAX, pages = 0, total = best_n / 25 + 1;
	double tpage[3] = { 0 };
	for (;;) {
		double p0 = now();
		int n = tl_store_hist_page(s, best, cursor, rows, 25, &err);
		double dt = now() - p0;
		if (pages == 0) tpage[0] = dt;
		if (pages == total / 2) tpage[1] = dt;
		tpage[2] = dt;
		pages++;
		if (n < 25) break;
		cursor = rows[n - 1].tx_num;
	}
	printf("history of addr %llu (%llu txs, %llu pages of 25): first %.1f us, middle %.1f us, last %.1f us\n",
	       (unsigned long long)best, (unsigned long long)best_n, (unsigned long long)pages, tpage[0] * 1e6,
	       tpage[1] * 1e6, tpage[2] * 1e6);
	tl_store_close(s);
	return long_history(argv[2]);
}
