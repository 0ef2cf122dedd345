/* The Ethereum simulator: writes an ethereum-etl export (CSV) of a
 * simulated account-model economy with Bybit-shaped heists, the same
 * blocks as a node's JSON-RPC responses, and the ground truth a tracer is
 * measured against (truth.json, tags.csv, heists.json).
 *
 * The output is a pure function of the parameters (own seeded PRNG, no
 * clock): the same parameters give byte-identical files. Amounts are
 * exact integers in wei (unsigned __int128 inside, every balance checked
 * to stay below 2^127). Memory holds the accounts and one block; blocks
 * are streamed to disk. See docs/simulator.md, "Ethereum". */
#ifndef TL_SIM_ETH_H
#define TL_SIM_ETH_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "sim/sim.h"

#define TL_ETH_SIM_MIN_BLOCKS 150u
#define TL_ETH_SIM_MAX_HEISTS 8u

struct tl_eth_sim_params {
	uint64_t seed;           /* PRNG seed; everything derives from it */
	uint32_t blocks;         /* blocks above genesis (>= TL_ETH_SIM_MIN_BLOCKS) */
	uint32_t txs_per_block;  /* the economy's scale T (1..5000): 40 + 4T users, gas limit
	                          * 90,000 T + 2,000,000; blocks carry about 1.2..1.4 T transactions */
	uint32_t heists;         /* Bybit-shaped heists (0..TL_ETH_SIM_MAX_HEISTS) */
	bool mainnet;            /* tags and heists name the chain "ethereum" (else "ethereum-dev") */
	bool rpc;                /* also write DIR/rpc/ (JSON-RPC responses) */
	tl_sim_progress_fn progress; /* may be NULL */
	void *progress_ctx;
};

struct tl_eth_sim_stats {
	uint32_t tip;            /* last block number */
	uint64_t txs;            /* transactions (failed included) */
	uint64_t failed;         /* transactions with status 0 */
	uint64_t traces;         /* rows of traces.csv */
	uint64_t logs;           /* rows of logs.csv */
	uint64_t token_transfers;/* rows of token_transfers.csv */
	uint64_t accounts;       /* accounts created */
	uint64_t csv_bytes;      /* bytes of the six CSV files */
	uint64_t rpc_bytes;      /* bytes under rpc/ */
};

/* Defaults: seed 1, 300 blocks, 50 transactions per block, 1 heist,
 * mainnet names, JSON-RPC files on. */
void tl_eth_sim_params_default(struct tl_eth_sim_params *p);

/* Simulates a chain into dir (created if missing; must not already hold
 * blocks.csv). Writes dir/{blocks,transactions,receipts,logs,
 * token_transfers,traces}.csv, dir/rpc/{eth_getBlockByNumber,
 * eth_getBlockReceipts,trace_block}.jsonl (one response per line, block 0
 * first) unless p->rpc is false, dir/truth.json, dir/tags.csv and
 * dir/heists.json. Returns 0, or -1 with a message in err (bad
 * parameters, I/O error, an amount that would reach 2^127). stats may be
 * NULL. */
int tl_eth_sim_run(const char *dir, const struct tl_eth_sim_params *p, struct tl_eth_sim_stats *stats,
		   struct tl_err *err) __attribute__((warn_unused_result));

#endif
