/* The chain simulator: writes a Bitcoin Core style blocks directory
 * (blk00000.dat ... with xor.dat) holding a small simulated economy with
 * one or more DPRK-style heists, plus the ground truth an indexer and a
 * tracer can be tested against (truth.json, tags.csv, heists.json).
 *
 * The output is a pure function of the parameters: the same parameters
 * give byte-identical files (own seeded PRNG, deterministic signatures).
 * Memory stays bounded by the simulated wallets' unspent coins and the
 * address lists of the ground truth; blocks are streamed to disk.
 * See docs/simulator.md for the economy and the heist script. */
#ifndef TL_SIM_SIM_H
#define TL_SIM_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "bitcoin/network.h"

/* Core's MAX_BLOCKFILE_SIZE: a new blk file starts before one would
 * reach 128 MiB. */
#define TL_SIM_BLOCKFILE_MAX 0x8000000u

/* Called after each best-chain block is produced (may be NULL). */
typedef void (*tl_sim_progress_fn)(void *ctx, uint32_t height, uint32_t tip, uint64_t txs);

/* What the ordinary transactions look like. */
enum tl_sim_shape {
	TL_SIM_SHAPE_DEMO = 0,    /* small payments (1-6 inputs, 1-3 outputs): the demo and tests */
	TL_SIM_SHAPE_MAINNET,     /* inputs, outputs and script types drawn from real 2021-24 blocks,
				   * old coins spent, hot wallets reused (docs/simulator.md) */
};

struct tl_sim_params {
	uint64_t seed;            /* PRNG seed; everything derives from it */
	uint32_t blocks;          /* best-chain blocks above genesis (>= 120) */
	uint32_t txs_per_block;   /* target non-coinbase transactions per block once the economy runs (1..3000) */
	enum tl_net net;          /* only TL_NET_REGTEST is supported (see docs) */
	bool fast;                /* random bytes instead of keys and signatures */
	uint8_t shape;            /* enum tl_sim_shape (0: the demo's) */
	bool xor_key;             /* write a random xor.dat key (else all zero) */
	uint32_t forks;           /* stale branches of 1..6 blocks to include */
	/* Test only: start a new blk file before one would reach this many
	 * bytes, like Core's -fastprune (64 KiB), so that a small chain spans
	 * several files. 0 = TL_SIM_BLOCKFILE_MAX; otherwise at least 65536.
	 * Not recorded for tl_sim_extend, which appends with the default. */
	uint32_t blockfile_max;
	tl_sim_progress_fn progress;
	void *progress_ctx;
};

struct tl_sim_stats {
	uint32_t tip;             /* best-chain height at the end */
	uint64_t blocks_written;  /* blocks written (best chain and stale) */
	uint64_t stale_blocks;    /* stale blocks written */
	uint64_t txs;             /* best-chain transactions (coinbases included) */
	uint64_t bytes;           /* bytes of block data written */
	uint32_t files;           /* blk files written or appended to */
	uint64_t addresses;       /* distinct addresses in the truth */
};

/* Defaults for the demo: seed 1, 300 blocks, 50 tx per block, regtest,
 * signed, xor on, 3 stale forks. */
void tl_sim_params_default(struct tl_sim_params *p);

/* Simulates a chain into dir (created if missing; dir/blocks must not
 * already hold blk files). Writes dir/blocks/blk*.dat, dir/blocks/xor.dat,
 * dir/truth.json, dir/tags.csv, dir/heists.json and dir/sim-state.json
 * (what --extend needs). Returns 0, or -1 with a message in err (bad
 * parameters, I/O error). stats may be NULL. */
int tl_sim_run(const char *dir, const struct tl_sim_params *p, struct tl_sim_stats *stats, struct tl_err *err);

/* Reorganises a simulated directory made by tl_sim_run: appends a branch
 * forking reorg_depth blocks below the current tip that is one block
 * longer than the blocks it replaces, then `blocks` more blocks on it, and
 * rewrites the truth files. The branch's first block double-spends the
 * inputs of one replaced transaction that spent a tainted coin to a new
 * exchange deposit address; the next blocks re-mine the replaced blocks'
 * other transactions one block later, except that transaction and two
 * ordinary ones, which become stale (docs/simulator.md). The state is
 * re-derived by replaying the recorded parameters and extensions.
 * progress may be NULL. Returns 0 or -1 with a message. */
int tl_sim_extend(const char *dir, uint32_t reorg_depth, uint32_t blocks, tl_sim_progress_fn progress,
		  void *progress_ctx, struct tl_sim_stats *stats, struct tl_err *err);

#endif
