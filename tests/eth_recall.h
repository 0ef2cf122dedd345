/* The Ethereum pipeline end to end on the simulator's output, scored
 * against its truth.json: shared by test_eth_recall (bounds) and
 * bench/bench_eth_recall (figures). Everything goes through the taintline
 * binary (simulate, index, heist import, tags import, trace), so what is
 * measured is what a user runs. */
#ifndef TL_TESTS_ETH_RECALL_H
#define TL_TESTS_ETH_RECALL_H

#include <stddef.h>

#include <jansson.h>

struct er_run {
	const char *bin; /* the taintline binary */
	const char *dir; /* work folder: dir/sim (the export), dir/db */
	json_t *truth;   /* truth.json once prepared */
};

/* Simulates (--chain ethereum, the given size, seed and heists, no RPC
 * files), indexes, imports tags.csv and heists.json. Returns 0, or -1
 * with a message in msg. */
int er_prepare(struct er_run *r, unsigned blocks, unsigned txs_per_block, unsigned heists, unsigned seed, char *msg,
               size_t cap);

struct er_score {
	size_t want;      /* the heist's cash-out deposit accounts of this kind (truth) */
	size_t found;     /* deposit accounts the trace names */
	size_t hit;       /* of those, the heist's own (any route) */
	size_t hit_want;  /* of those, in the wanted set */
	size_t endpoints; /* endpoints in the trace */
	double seconds;   /* wall time of the trace command */
	int conserved;    /* 1: seeded + converted_in = endpoints + holdings + fees + cut + converted_out per asset */
	char unbalanced[96]; /* the first asset that did not balance */
};

/* Traces heist id under policy, walking through mixers or stopping at
 * them (mixed: 0 scores the cash-outs that never went through the mixer,
 * 1 those that did), with or without --deposit-heuristic. Without it, a
 * deposit account is found when an endpoint is its sweep into a tagged
 * exchange (the endpoint transaction's sender); with it, when it is the
 * endpoint. Returns 0, or -1 with msg. */
int er_score(struct er_run *r, const char *id, const char *policy, int mixed, int heuristic, struct er_score *s,
             char *msg, size_t cap);

#endif
