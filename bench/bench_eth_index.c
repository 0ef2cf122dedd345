/* Ethereum index throughput: writes a synthetic ethereum-etl export (CSV,
 * partitioned by block range as export_all does) of N transactions with
 * receipts, traces (internal calls, some failing), ERC-20 logs and
 * token_transfers, then measures in one run:
 *   - read + parse + derive of the same files (the floor),
 *   - index into a fresh database (in a child process, whose peak RSS is
 *     reported),
 * and compares the database's size with the export's CSV.
 *   bench_eth_index [TXS] [WORKDIR]     (TXS default 1000000, WORKDIR default
 *                                        ./tl-bench-eth; emptied first, so it
 *                                        must be new or one this program made)
 * The export is synthetic (this program's own generator, seeded), not
 * the simulator's economy: its shape (150 transactions a block, 30% with
 * internal calls, 30% with a token transfer, 5% failing) is stated here. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ethereum/address.h"
#include "ethereum/derive.h"
#include "ethereum/etl.h"
#include "indexer/eth_index.h"
#include "store/eth_store.h"

#define TX_PER_BLOCK 150
#define BLOCKS_PER_PART 500
#define N_ACCTS 200000
#define N_TOKENS 20

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void hex32(char *out, uint64_t a, uint64_t b)
{
	sprintf(out, "0x%016llx%016llx%016llx%016llx", (unsigned long long)a, (unsigned long long)b,
		(unsigned long long)(a * 31 + b), (unsigned long long)(b * 17 + a));
}
static void acct_hex(char *out, uint64_t i)
{
	sprintf(out, "0x%08llx%016llx%016llx", (unsigned long long)(i % 0xffffffffull), (unsigned long long)(i * 0x9e3779b97f4a7c15ull),
		(unsigned long long)i);
}

static FILE *open_part(const char *root, const char *table, uint64_t s, uint64_t e, const char *header)
{
	char dir[2048], path[2300], cmd[2300];
	snprintf(dir, sizeof dir, "%s/export/%s/start_block=%08llu/end_block=%08llu", root, table, (unsigned long long)s,
		 (unsigned long long)e);
	snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
	if (system(cmd) != 0) exit(1);
	snprintf(path, sizeof path, "%s/%s_%08llu_%08llu.csv", dir, table, (unsigned long long)s, (unsigned long long)e);
	FILE *f = fopen(path, "w");
	if (!f) exit(1);
	fprintf(f, "%s\n", header);
	return f;
}

static void generate(const char *root, uint64_t ntx)
{
	uint64_t nblocks = (ntx + TX_PER_BLOCK - 1) / TX_PER_BLOCK, txn = 0;
	char parent[67] = "0x0000000000000000000000000000000000000000000000000000000000000000";
	FILE *fb = NULL, *ft = NULL, *fr = NULL, *fl = NULL, *fk = NULL, *fc = NULL;
	for (uint64_t b = 0; b < nblocks; b++) {
		uint64_t num = 15000000 + b;
		if (b % BLOCKS_PER_PART == 0) {
			if (fb) {
				fclose(fb), fclose(ft), fclose(fr), fclose(fl), fclose(fk), fclose(fc);
			}
			uint64_t e = num + BLOCKS_PER_PART - 1;
			fb = open_part(root, "blocks", num, e, "number,hash,parent_hash,nonce,sha3_uncles,logs_bloom,transactions_root,state_root,receipts_root,miner,difficulty,total_difficulty,size,extra_data,gas_limit,gas_used,timestamp,transaction_count,base_fee_per_gas,withdrawals_root,withdrawals");
			ft = open_part(root, "transactions", num, e, "hash,nonce,block_hash,block_number,transaction_index,from_address,to_address,value,gas,gas_price,input,block_timestamp,max_fee_per_gas,max_priority_fee_per_gas,transaction_type");
			fr = open_part(root, "receipts", num, e, "transaction_hash,transaction_index,block_hash,block_number,cumulative_gas_used,gas_used,contract_address,root,status,effective_gas_price");
			fl = open_part(root, "logs", num, e, "log_index,transaction_hash,transaction_index,block_hash,block_number,address,data,topics");
			fk = open_part(root, "token_transfers", num, e, "token_address,from_address,to_address,value,transaction_hash,log_index,block_number");
			fc = open_part(root, "traces", num, e, "block_number,transaction_hash,transaction_index,from_address,to_address,value,input,output,trace_type,call_type,reward_type,gas,gas_used,subtraces,trace_address,error,status,trace_id");
		}
		char hash[67], miner[43];
		hex32(hash, num, 0xb10c);
		acct_hex(miner, 1 + num % 10);
		uint64_t ntxb = ntx - txn < TX_PER_BLOCK ? ntx - txn : TX_PER_BLOCK;
		uint64_t base = 10000000000ull + rnd() % 20000000000ull;
		fprintf(fb, "%llu,%s,%s,0x0,0x0,0x0,0x0,0x0,0x0,%s,0,0,1000,0x,30000000,15000000,%llu,%llu,%llu,,\n",
			(unsigned long long)num, hash, parent, miner, (unsigned long long)(1650000000 + b * 12),
			(unsigned long long)ntxb, (unsigned long long)base);
		uint32_t log_index = 0;
		for (uint64_t i = 0; i < ntxb; i++, txn++) {
			char th[67], from[43], to[43];
			hex32(th, txn, 0x7a);
			acct_hex(from, 100 + rnd() % N_ACCTS);
			acct_hex(to, 100 + rnd() % N_ACCTS);
			unsigned long long value = rnd() % 5 ? (unsigned long long)(rnd() % 10000000000000000000ull / 1000) * 1000 : 0;
			unsigned long long price = base + rnd() % 2000000000ull, gas_used = 21000 + rnd() % 150000;
			int status = rnd() % 20 ? 1 : 0;
			fprintf(ft, "%s,%llu,%s,%llu,%llu,%s,%s,%llu,%llu,%llu,0x,%llu,%llu,%llu,2\n", th, (unsigned long long)i, hash,
				(unsigned long long)num, (unsigned long long)i, from, to, value, gas_used + 10000, price,
				(unsigned long long)(1650000000 + b * 12), price, price - base);
			fprintf(fr, "%s,%llu,%s,%llu,0,%llu,,,%d,%llu\n", th, (unsigned long long)i, hash, (unsigned long long)num,
				gas_used, status, price);
			/* the top-level call, then internal calls for 30% */
			int ninternal = rnd() % 10 < 3 ? 1 + (int)(rnd() % 3) : 0;
			fprintf(fc, "%llu,%s,%llu,%s,%s,%llu,0x,0x,call,call,,0,0,%d,,%s,%d,\n", (unsigned long long)num, th,
				(unsigned long long)i, from, to, value, ninternal, status ? "" : "Reverted", status);
			for (int k = 0; k < ninternal; k++) {
				char to2[43];
				acct_hex(to2, 100 + rnd() % N_ACCTS);
				int err = rnd() % 10 == 0;
				fprintf(fc, "%llu,%s,%llu,%s,%s,%llu,0x,0x,call,call,,0,0,0,%d,%s,%d,\n", (unsigned long long)num, th,
					(unsigned long long)i, to, to2, (unsigned long long)(rnd() % 1000000000000000000ull), k,
					err ? "Out of gas" : "", status && !err);
			}
			if (status && rnd() % 10 < 3) {
				char tok[43];
				acct_hex(tok, 1000000 + rnd() % N_TOKENS);
				unsigned long long amt = rnd() % 1000000000000ull + 1;
				fprintf(fl, "%u,%s,%llu,%s,%llu,%s,0x%064llx,\"0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef,0x000000000000000000000000%s,0x000000000000000000000000%s\"\n",
					log_index, th, (unsigned long long)i, hash, (unsigned long long)num, tok, amt, from + 2, to + 2);
				fprintf(fk, "%s,%s,%s,%llu,%s,%u,%llu\n", tok, from, to, amt, th, log_index, (unsigned long long)num);
				log_index++;
			}
		}
		strcpy(parent, hash);
	}
	fclose(fb), fclose(ft), fclose(fr), fclose(fl), fclose(fk), fclose(fc);
}

static double cpu_self(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static uint64_t du(const char *path)
{
	char cmd[2200];
	snprintf(cmd, sizeof cmd, "du -sb '%s' | cut -f1", path);
	FILE *p = popen(cmd, "r");
	unsigned long long n = 0;
	if (p) {
		if (fscanf(p, "%llu", &n) != 1) n = 0;
		pclose(p);
	}
	return n;
}

int main(int argc, char **argv)
{
	uint64_t ntx = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	char root[1024], marker[1100];
	snprintf(root, sizeof root, "%s", argc > 2 ? argv[2] : "tl-bench-eth");
	snprintf(marker, sizeof marker, "%s/.tl-bench-eth", root);
	struct stat sb;
	if (stat(root, &sb) == 0 && stat(marker, &sb) != 0) {
		fprintf(stderr, "%s exists and was not made by this benchmark: give a new folder\n", root);
		return 2;
	}
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && touch '%s'", root, root, marker);
	if (system(cmd) != 0) return 1;
	double t0 = now();
	generate(root, ntx);
	char exp[1100], db[1100];
	snprintf(exp, sizeof exp, "%s/export", root);
	snprintf(db, sizeof db, "%s/db", root);
	uint64_t csv = du(exp);
	printf("export: %llu transactions, %.1f MB of CSV, written in %.1f s\n", (unsigned long long)ntx, csv / 1e6, now() - t0);
	fflush(stdout);

	struct tl_err err;
	struct tl_eth_parts parts;
	if (tl_eth_etl_parts(exp, &parts, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	/* the floor: read, parse and derive, part by part */
	t0 = now();
	double c0 = cpu_self();
	uint64_t txs = 0, xfers = 0;
	for (size_t k = 0; k < parts.n; k++) {
		struct tl_eth_data d = { 0 };
		struct tl_eth_transfers t = { 0 };
		if (tl_eth_etl_read_part(&d, &parts.v[k], &err) < 0 || tl_eth_derive(&d, TL_ETH_WETH_MAINNET, &t, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		txs += d.n_txs;
		xfers += t.n;
		tl_eth_transfers_free(&t);
		tl_eth_data_free(&d);
	}
	double parse_s = now() - t0, parse_cpu = cpu_self() - c0;
	printf("read+parse+derive: %.1f s wall, %.1f s CPU: %.0f tx/s wall, %.0f tx/s per CPU second (%llu transfers)\n",
	       parse_s, parse_cpu, txs / parse_s, txs / parse_cpu, (unsigned long long)xfers);
	fflush(stdout);

	/* the index, in a child so that its peak memory is its own */
	uint32_t cache_mb = 64;
	t0 = now();
	pid_t pid = fork();
	if (pid == 0) {
		struct tl_eth_store *s;
		struct tl_eth_store_opts so = { .create = true, .net = tl_eth_net_by_name("mainnet"), .cache_mb = cache_mb };
		if (tl_eth_store_open(db, &so, &s, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			_exit(1);
		}
		struct tl_eth_index_opts io = { .cache_bytes = (size_t)cache_mb << 20 };
		struct tl_eth_indexer *ix = tl_eth_indexer_new(s, &io);
		for (size_t k = 0; k < parts.n; k++) {
			struct tl_eth_data d = { 0 };
			struct tl_eth_index_result r;
			if (tl_eth_etl_read_part(&d, &parts.v[k], &err) < 0 || tl_eth_indexer_add(ix, &d, &r, &err) < 0) {
				fprintf(stderr, "%s\n", err.msg);
				_exit(1);
			}
			tl_eth_data_free(&d);
		}
		tl_eth_indexer_free(ix);
		tl_eth_store_close(s);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	double index_s = now() - t0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) return 1;
	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	uint64_t dbb = du(db);
	double index_cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	printf("index (read+parse+derive+write): %.1f s wall, %.1f s CPU: %.0f tx/s wall, %.0f tx/s per CPU second\n"
	       "  peak RSS %.0f MiB (block cache %u MiB + index caches %u MiB); database %.1f MB = %.2f of the CSV\n",
	       index_s, index_cpu, txs / index_s, txs / index_cpu, ru.ru_maxrss / 1024.0, cache_mb, cache_mb, dbb / 1e6,
	       (double)dbb / (double)csv);
	tl_eth_parts_free(&parts);
	return 0;
}
