/* The multichain simulator: a small Ethereum export and a regtest Bitcoin
 * chain that are consistent with each other through a simulated
 * THORChain (docs/bridges.md, "The multichain simulator"). */
#ifndef TL_SIM_XCHAIN_H
#define TL_SIM_XCHAIN_H

#include <stdint.h>

#include "base/err.h"

/* Writes DIR/ethereum (an ethereum-etl export: blocks, transactions,
 * receipts; tags.csv; heists.json), DIR/bitcoin (blocks/, tags.csv,
 * heists.json) and DIR/truth.json for seed. The same seed gives the same
 * bytes. Returns 0, or -1 with err (a file that cannot be written, DIR
 * not empty). */
int tl_xsim_run(const char *dir, uint64_t seed, struct tl_err *err) __attribute__((warn_unused_result));

#endif
