/* Transaction-shape statistics measured from parsed blocks: inputs and
 * outputs per transaction (with the 10+ tail), script types, sizes,
 * batched payouts and consolidations, the ages of the coins spent and
 * how concentrated outputs are on reused scripts.
 *
 * It reads only what chain/ parses out of the block bytes, never the
 * simulator's own bookkeeping, so that the simulator's mainnet shape can
 * be checked against the real blocks by an independent path (tests) and
 * the real distributions can be printed (bench_shape). */
#ifndef TL_SIM_SHAPESTAT_H
#define TL_SIM_SHAPESTAT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bitcoin/block.h"
#include "bitcoin/script.h"

/* Count buckets: 1..9 exactly, then 10-19, 20-49, 50+ (0 unused). */
#define SIM_SHAPE_NB 13
/* Coin-age buckets (blocks between creation and spend): 0, 1-9, 10-99,
 * 100-999, 1000-9999, 10000+. */
#define SIM_SHAPE_NAGE 6

struct sim_shapestat {
	uint64_t txs;              /* non-coinbase transactions */
	uint64_t bytes;            /* their serialized bytes (witness included) */
	uint64_t vbytes;
	uint64_t ins, outs;
	uint64_t in_b[SIM_SHAPE_NB], out_b[SIM_SHAPE_NB];
	uint64_t joint[SIM_SHAPE_NB][SIM_SHAPE_NB]; /* [in bucket][out bucket] */
	uint64_t in_sum_b[SIM_SHAPE_NB], out_sum_b[SIM_SHAPE_NB]; /* inputs/outputs of the txs in each bucket */
	uint64_t in10, out10;      /* transactions with 10+ inputs, 10+ outputs */
	uint64_t consolidations;   /* 5+ inputs, at most 2 outputs */
	uint64_t batches;          /* 5+ outputs */
	uint64_t size_b[8];        /* <200, <300, <400, <600, <1000, <2000, <10000, >= 10000 bytes */
	uint64_t otype[TL_SCRIPT_TYPE_COUNT];
	uint64_t witness_txs;
	/* coin ages (only when tracking): inputs whose prevout was seen */
	bool track;
	uint64_t age_b[SIM_SHAPE_NAGE];
	uint64_t age_unknown;      /* prevout made before the blocks read */
	uint64_t age_sum;
	/* open-addressing tables: txid prefix -> height, script hash -> outputs */
	uint64_t *tx_k; uint32_t *tx_h; size_t tx_cap, tx_n;
	uint64_t *sp_k; uint32_t *sp_n; size_t sp_cap, sp_n_used;
};

/* Starts empty; track = also record coin ages and script reuse (needs
 * the blocks in chain order, and memory for every txid and script). */
void sim_shapestat_init(struct sim_shapestat *s, bool track);
void sim_shapestat_free(struct sim_shapestat *s);
/* Adds one parsed block (its coinbase is skipped) at height. */
void sim_shapestat_block(struct sim_shapestat *s, const struct tl_block *b, uint32_t height);
/* The count bucket of n (n >= 1) and its label ("1".."9","10-19",...). */
int sim_shape_bucket(uint64_t n);
const char *sim_shape_bucket_label(int b);
/* Share of outputs paid to the k most used scripts (tracking only). */
double sim_shapestat_top_share(const struct sim_shapestat *s, size_t k);
/* Prints the distributions as text tables. */
void sim_shapestat_print(const struct sim_shapestat *s, FILE *f);

#endif
