/* Ethereum simulation speed: writes an export of about BLOCKS x 1.2 x
 * TXS_PER_BLOCK transactions with and without the JSON-RPC files and
 * prints tx/s, bytes and peak RSS. Usage: bench_eth_sim [BLOCKS
 * [TXS_PER_BLOCK]] (default 300 x 500, about 160,000 transactions; the
 * 1,000,000-transaction export is `bench_eth_sim 1650 500`). The export
 * is written under TMPDIR (default /tmp) and removed. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "sim/eth.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double run(const char *dir, uint32_t blocks, uint32_t tpb, bool rpc, struct tl_eth_sim_stats *st)
{
	char cmd[4300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0) return -1;
	struct tl_eth_sim_params p;
	tl_eth_sim_params_default(&p);
	p.blocks = blocks;
	p.txs_per_block = tpb;
	p.rpc = rpc;
	struct tl_err err = { 0 };
	double t0 = now();
	if (tl_eth_sim_run(dir, &p, st, &err)) {
		fprintf(stderr, "bench_eth_sim: %s\n", err.msg);
		exit(1);
	}
	double s = now() - t0;
	if (system(cmd) != 0) return -1;
	return s;
}

int main(int argc, char **argv)
{
	uint32_t blocks = argc > 1 ? (uint32_t)atoi(argv[1]) : 300;
	uint32_t tpb = argc > 2 ? (uint32_t)atoi(argv[2]) : 500;
	char dir[256];
	snprintf(dir, sizeof dir, "%s/bench-eth-sim-%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
	struct tl_eth_sim_stats a, b;
	double s1 = run(dir, blocks, tpb, false, &a);
	double s2 = run(dir, blocks, tpb, true, &b);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("CSV only:   %llu tx (%llu traces, %llu logs, %llu token transfers) in %.2f s = %.0f tx/s, CSV %.1f MiB\n",
	       (unsigned long long)a.txs, (unsigned long long)a.traces, (unsigned long long)a.logs,
	       (unsigned long long)a.token_transfers, s1, (double)a.txs / s1, (double)a.csv_bytes / 1048576.0);
	printf("CSV + RPC:  %llu tx in %.2f s = %.0f tx/s, CSV %.1f MiB + JSON-RPC %.1f MiB\n", (unsigned long long)b.txs, s2,
	       (double)b.txs / s2, (double)b.csv_bytes / 1048576.0, (double)b.rpc_bytes / 1048576.0);
	printf("peak RSS: %.1f MiB\n", (double)ru.ru_maxrss / 1024.0);
	return 0;
}
