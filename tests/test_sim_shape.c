/* The mainnet shape (--shape mainnet) against the real blocks: a chain is
 * simulated, read back from its blk files with chain/'s parser (not from
 * the simulator's bookkeeping) and its measured distributions are
 * compared with the same measurements of the real 2021-24 blocks in the
 * shared reference folder, within the tolerances stated below. The
 * demo shape of the same size is measured beside it, to show what the
 * mainnet shape changes (old coins, hot addresses, the 10+ tail). */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bitcoin/blkfile.h"
#include "bitcoin/block.h"
#include "bitcoin/network.h"
#include "sim/shapestat.h"
#include "sim/sim.h"
#include "tests/testutil.h"

/* The real blocks the targets come from: heights 702861 .. 832918. */
#define REAL_MIN_HEIGHT 700000

static void measure_real(struct sim_shapestat *s)
{
	const char *dir = tu_shared_path("mainnet");
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct tl_block b;
	tl_block_init(&b);
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".bin")) continue;
		long h = strtol(de->d_name, NULL, 10);
		if (h < REAL_MIN_HEIGHT) continue;
		char path[8192];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		size_t n;
		uint8_t *raw = tu_read_file(path, &n);
		struct tl_err err;
		if (tl_block_parse(&b, raw, n, &err)) fail_msg("%s: %s", path, err.msg);
		sim_shapestat_block(s, &b, (uint32_t)h);
		free(raw);
	}
	closedir(d);
	tl_block_free(&b);
	assert_true(s->txs > 5000);
}

static void simulate_and_measure(const char *tag, uint8_t shape, struct sim_shapestat *s)
{
	char *dir = tu_tmpdir(tag);
	struct tl_sim_params p;
	tl_sim_params_default(&p);
	p.seed = 3;
	p.blocks = 300;
	p.txs_per_block = 150;
	p.fast = true;
	p.forks = 1;
	p.shape = shape;
	struct tl_err err = { 0 };
	if (tl_sim_run(dir, &p, NULL, &err)) fail_msg("tl_sim_run: %s", err.msg);
	char bdir[4200];
	snprintf(bdir, sizeof bdir, "%s/blocks", dir);
	struct tl_blkdir *d;
	if (tl_blkdir_open(bdir, tl_net_params(TL_NET_REGTEST), &d, &err) || tl_blkdir_scan(d, NULL, &err))
		fail_msg("blocks: %s", err.msg);
	sim_shapestat_init(s, true);
	struct tl_block b;
	tl_block_init(&b);
	uint8_t *buf = NULL;
	size_t cap = 0;
	for (uint32_t h = 0; h < tl_blkdir_chain_len(d); h++) {
		const struct tl_chain_entry *ce = tl_blkdir_chain_at(d, h);
		if (tl_blkdir_read(d, &ce->loc, &buf, &cap, &err) || tl_block_parse(&b, buf, ce->loc.size, &err))
			fail_msg("height %u: %s", h, err.msg);
		sim_shapestat_block(s, &b, h);
	}
	free(buf);
	tl_block_free(&b);
	tl_blkdir_close(d);
	tu_rmrf(dir);
	free(dir);
}

static double frac(uint64_t a, uint64_t b) { return b ? (double)a / (double)b : 0; }

/* |sim/real - 1| <= rel */
static void near_rel(const char *what, double sim, double real, double rel)
{
	print_message("  %-34s sim %9.4f  real %9.4f  (tolerance %.0f%% relative)\n", what, sim, real, rel * 100);
	if (fabs(sim / real - 1) > rel) fail_msg("%s: simulated %.4f, real %.4f: off by more than %.0f%%", what, sim, real, rel * 100);
}

/* |sim - real| <= abs_pts percentage points */
static void near_pts(const char *what, double sim, double real, double pts)
{
	print_message("  %-34s sim %8.2f%%  real %8.2f%%  (tolerance %.0f points)\n", what, 100 * sim, 100 * real, pts);
	if (fabs(sim - real) * 100 > pts) fail_msg("%s: simulated %.2f%%, real %.2f%%: more than %.0f points apart", what, 100 * sim, 100 * real, pts);
}

static void test_mainnet_shape(void **state)
{
	(void)state;
	struct sim_shapestat real, sim, demo;
	sim_shapestat_init(&real, false);
	measure_real(&real);
	simulate_and_measure("shape-mainnet", TL_SIM_SHAPE_MAINNET, &sim);
	simulate_and_measure("shape-demo", TL_SIM_SHAPE_DEMO, &demo);
	assert_true(sim.txs > 25000);
	double rn = (double)real.txs, sn = (double)sim.txs;
	print_message("real: %llu transactions; simulated: %llu\n", (unsigned long long)real.txs, (unsigned long long)sim.txs);
	/* means: the 50+ tails carry a large share, so 20% */
	near_rel("inputs per tx", sim.ins / sn, real.ins / rn, 0.20);
	near_rel("outputs per tx", sim.outs / sn, real.outs / rn, 0.15);
	/* the tails: within half their (small) real share either way */
	near_rel("share with 10+ inputs", frac(sim.in10, sim.txs), frac(real.in10, real.txs), 0.5);
	near_rel("share with 10+ outputs", frac(sim.out10, sim.txs), frac(real.out10, real.txs), 0.5);
	near_rel("consolidations (5+ in, <=2 out)", frac(sim.consolidations, sim.txs), frac(real.consolidations, real.txs), 0.5);
	near_rel("batches (5+ out)", frac(sim.batches, sim.txs), frac(real.batches, real.txs), 0.5);
	/* the bulk: 1 and 2 inputs/outputs within 5 points */
	for (int b = 1; b <= 2; b++) {
		char w[64];
		snprintf(w, sizeof w, "txs with %d input%s", b, b > 1 ? "s" : "");
		near_pts(w, frac(sim.in_b[b], sim.txs), frac(real.in_b[b], real.txs), 5);
		snprintf(w, sizeof w, "txs with %d output%s", b, b > 1 ? "s" : "");
		near_pts(w, frac(sim.out_b[b], sim.txs), frac(real.out_b[b], real.txs), 5);
	}
	/* output script types within 10 points (the simulator writes every
	 * P2SH as P2SH-P2WPKH and every P2WSH as 2-of-3 multisig; exchange
	 * deposit addresses are P2WPKH, which pushes that type up) */
	static const enum tl_script_type types[] = { TL_SCRIPT_PUBKEYHASH, TL_SCRIPT_SCRIPTHASH, TL_SCRIPT_WITNESS_V0_KEYHASH,
						     TL_SCRIPT_WITNESS_V0_SCRIPTHASH, TL_SCRIPT_WITNESS_V1_TAPROOT, TL_SCRIPT_NULLDATA };
	for (size_t i = 0; i < sizeof types / sizeof *types; i++)
		near_pts(tl_script_type_name(types[i]), frac(sim.otype[types[i]], sim.outs), frac(real.otype[types[i]], real.outs), 10);
	/* sizes: the bulk under 400 bytes within 10 points; the mean is
	 * lower than mainnet's (no inscription-sized witnesses: see
	 * docs/simulator.md), so only a floor of 0.6x is held */
	uint64_t s400 = sim.size_b[0] + sim.size_b[1] + sim.size_b[2], r400 = real.size_b[0] + real.size_b[1] + real.size_b[2];
	near_pts("txs under 400 bytes", frac(s400, sim.txs), frac(r400, real.txs), 10);
	print_message("  mean size: sim %.1f B, real %.1f B, demo %.1f B\n", sim.bytes / sn, real.bytes / rn, demo.bytes / (double)demo.txs);
	assert_true(sim.bytes / sn >= 0.6 * real.bytes / rn);
	assert_true(sim.bytes / sn > demo.bytes / (double)demo.txs);

	/* old coins: the real sample cannot say (its prevouts are not in it),
	 * so the simulated chain is held to a long tail of its own length and
	 * to far older coins than the demo's */
	uint64_t known = 0, dknown = 0;
	for (int i = 0; i < SIM_SHAPE_NAGE; i++) { known += sim.age_b[i]; dknown += demo.age_b[i]; }
	double old = frac(sim.age_b[3] + sim.age_b[4] + sim.age_b[5], known);
	double dold = frac(demo.age_b[3] + demo.age_b[4] + demo.age_b[5], dknown);
	print_message("  inputs spending coins 100+ blocks old: sim %.2f%%, demo %.2f%%; mean age %.1f vs %.1f blocks\n",
		      100 * old, 100 * dold, frac(sim.age_sum, known), frac(demo.age_sum, dknown));
	assert_int_equal(sim.age_unknown, 0); /* every prevout is in the chain */
	assert_true(old >= 0.03);
	assert_true(old > 2 * dold);
	assert_true(frac(sim.age_sum, known) > 1.5 * frac(demo.age_sum, dknown));
	/* hot addresses: the 10 most paid scripts take a large share */
	double top = sim_shapestat_top_share(&sim, 10), dtop = sim_shapestat_top_share(&demo, 10);
	print_message("  top 10 scripts' share of outputs: sim %.2f%%, demo %.2f%%\n", 100 * top, 100 * dtop);
	assert_true(top >= 0.05);
	sim_shapestat_free(&real);
	sim_shapestat_free(&sim);
	sim_shapestat_free(&demo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mainnet_shape),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
