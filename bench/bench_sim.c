/* Simulation speed: signed and --fast chains side by side, in tx/s, and
 * peak RSS (getrusage). Usage: bench_sim [FAST_BLOCKS [TXS_PER_BLOCK]]
 * (default 600 x 200, about 100k transactions; the goal of a
 * 1,000,000-transaction --fast chain is `bench_sim 2100 500`). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "sim/sim.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double run(const char *dir, uint32_t blocks, uint32_t tpb, bool fast, struct tl_sim_stats *st)
{
	char cmd[4300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0) return -1;
	struct tl_sim_params p;
	tl_sim_params_default(&p);
	p.blocks = blocks;
	p.txs_per_block = tpb;
	p.fast = fast;
	struct tl_err err = { 0 };
	double t0 = now();
	if (tl_sim_run(dir, &p, st, &err)) {
		fprintf(stderr, "bench_sim: %s\n", err.msg);
		exit(1);
	}
	double s = now() - t0;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0) return -1;
	return s;
}

int main(int argc, char **argv)
{
	uint32_t fb = argc > 1 ? (uint32_t)atoi(argv[1]) : 600;
	uint32_t ft = argc > 2 ? (uint32_t)atoi(argv[2]) : 200;
	char dir[256];
	snprintf(dir, sizeof dir, "%s/bench-sim-%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
	struct tl_sim_stats ss, fs;
	double s_signed = run(dir, 300, 50, false, &ss);
	double s_fast = run(dir, fb, ft, true, &fs);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double r1 = (double)ss.txs / s_signed, r2 = (double)fs.txs / s_fast;
	printf("signed: %u blocks, %llu tx in %.2f s = %.0f tx/s (%.1f MiB)\n", ss.tip, (unsigned long long)ss.txs, s_signed,
	       r1, (double)ss.bytes / 1048576.0);
	printf("fast:   %u blocks, %llu tx in %.2f s = %.0f tx/s (%.1f MiB)\n", fs.tip, (unsigned long long)fs.txs, s_fast, r2,
	       (double)fs.bytes / 1048576.0);
	printf("fast/signed speed ratio: %.1fx\n", r2 / r1);
	printf("peak RSS: %.1f MiB\n", (double)ru.ru_maxrss / 1024.0);
	printf("projected 1,000,000-tx --fast chain: %.0f s\n", 1e6 / r2);
	return 0;
}
