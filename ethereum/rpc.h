/* A node's JSON-RPC responses into the model (model.h), the same tables
 * an ethereum-etl export of those blocks gives:
 * eth_getBlockByNumber(n, true), eth_getBlockReceipts(n) or
 * eth_getTransactionReceipt, eth_getLogs/eth_getFilterLogs, trace_block
 * (parity-style) and debug_traceBlockByNumber with the callTracer
 * (geth-style). Quantities are "0x" hex; numbers of any size are read
 * exactly. Each function appends to d; call tl_eth_data_finish after. */
#ifndef TL_ETHEREUM_RPC_H
#define TL_ETHEREUM_RPC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"
#include "ethereum/model.h"

/* Parses a JSON-RPC response text (one object, or a batch array whose
 * element with the given id is wanted when id >= 0). Returns its
 * "result" (a new reference; caller json_decref's), or NULL with err:
 * the node's error code and message, or what is malformed. */
json_t *tl_eth_rpc_result(const char *text, size_t n, long id, struct tl_err *err);

/* eth_getBlockByNumber: the block, its transactions when full objects
 * (hashes only give the count), its withdrawals (Gwei -> wei). */
int tl_eth_rpc_block(struct tl_eth_data *d, const json_t *block, struct tl_err *err) __attribute__((warn_unused_result));
/* A receipt object or an array of them (eth_getBlockReceipts), with
 * their logs. */
int tl_eth_rpc_receipts(struct tl_eth_data *d, const json_t *r, struct tl_err *err) __attribute__((warn_unused_result));
/* An array of log objects (removed ones skipped). */
int tl_eth_rpc_logs(struct tl_eth_data *d, const json_t *logs, struct tl_err *err) __attribute__((warn_unused_result));
/* trace_block's array of parity-style traces, rewards included. */
int tl_eth_rpc_trace_block(struct tl_eth_data *d, const json_t *traces, struct tl_err *err)
	__attribute__((warn_unused_result));
/* debug_traceBlockByNumber with the callTracer: one call tree per
 * transaction, in block order, flattened depth first with trace
 * addresses as parity numbers them. */
int tl_eth_rpc_call_tracer(struct tl_eth_data *d, uint64_t block, const json_t *results, struct tl_err *err)
	__attribute__((warn_unused_result));

#endif
