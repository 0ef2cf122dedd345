/* Helpers shared by the Ethereum tests: loading fixtures of the shared
 * reference data both ways, and comparing the model's tables. */
#ifndef TL_TESTS_ETH_FIX_H
#define TL_TESTS_ETH_FIX_H

#include <stdbool.h>

#include "ethereum/derive.h"
#include "ethereum/etl.h"
#include "ethereum/model.h"

#define ETL_FIX "ethereum/ethereum-etl-fixtures/"

/* Reads one ethereum-etl file (path under the shared data folder) into
 * d; fails the test on error. */
void ef_etl(struct tl_eth_data *d, const char *rel);
/* Reads a JSON-RPC response file (under the shared data folder) and
 * decodes its result with the decoder named by method:
 * "block", "receipts", "logs", "trace_block", "call_tracer" (block is
 * the block number, for the call tracer only). */
void ef_rpc(struct tl_eth_data *d, const char *rel, const char *method, uint64_t block);
void ef_finish(struct tl_eth_data *d);
/* Asserts two finished readings hold the same tables (trace read order
 * aside). */
void ef_same_tables(const struct tl_eth_data *a, const struct tl_eth_data *b);
void ef_derive(const struct tl_eth_data *d, struct tl_eth_transfers *t);
/* Asserts two transfer lists are equal, element by element. */
void ef_same_transfers(const struct tl_eth_transfers *a, const struct tl_eth_transfers *b);

#endif
