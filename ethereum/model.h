/* The Ethereum data model that both inputs decode into: ethereum-etl
 * exports (CSV or JSON lines) and a node's JSON-RPC responses. Tables
 * mirror ethereum-etl's (blocks, transactions, receipts, logs,
 * token_transfers, traces, tokens) with only the fields value movement
 * needs; tl_eth_derive (derive.h) turns them into transfers.
 *
 * Rows are joined on (block number, transaction index), which every
 * source carries (geth-style trace exports have no transaction hash). */
#ifndef TL_ETHEREUM_MODEL_H
#define TL_ETHEREUM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "ethereum/u256.h"

/* tx_index of block-level movements (rewards, withdrawals) and of rows
 * whose transaction is not known. */
#define TL_ETH_NO_TX UINT32_MAX

struct tl_eth_block {
	uint64_t number, timestamp;
	uint8_t hash[32], parent[32];
	uint8_t miner[20];
	bool has_base_fee;
	tl_uint256 base_fee;
	uint32_t tx_count;
	bool has_withdrawals; /* post-Shanghai (a list, maybe empty) */
};

struct tl_eth_withdrawal {
	uint64_t block, index;
	uint8_t addr[20];
	tl_uint256 amount_wei; /* given in Gwei by every source; stored in wei */
};

struct tl_eth_tx {
	uint64_t block;
	uint32_t index;
	uint8_t hash[32];
	uint8_t from[20], to[20];
	bool has_to; /* false: contract creation */
	tl_uint256 value, gas_price;
};

struct tl_eth_receipt {
	uint64_t block;
	uint32_t index;
	uint8_t tx_hash[32];
	uint64_t gas_used;
	bool has_eff_price;
	tl_uint256 eff_price;
	int status; /* 1, 0, or -1 when the receipt predates Byzantium (root instead) */
	bool has_contract;
	uint8_t contract[20];
};

struct tl_eth_log {
	uint64_t block;
	uint32_t tx_index, log_index;
	uint8_t tx_hash[32];
	uint8_t address[20];
	uint8_t ntopics;     /* how many topics the log has (up to 4 kept) */
	uint8_t topics[4][32];
	size_t data_len;     /* bytes of data */
	tl_uint256 word0;       /* the first data word when data_len >= 32 */
	/* The whole data (malloc'd, owned by the table) of logs whose event
	 * the index decodes beyond its first word (tl_eth_log_keeps_data),
	 * when data_len is at most TL_ETH_LOG_DATA_MAX; NULL otherwise. */
	uint8_t *data;
};

/* Data kept per log at most: an ABI head and a string of THORChain's
 * largest memo (250 bytes) fit with room to spare. */
#define TL_ETH_LOG_DATA_MAX 1024
/* Whether the data of a log with this topic0 is kept whole: the THORChain
 * router's Deposit(address,address,uint256,string) and
 * TransferOut(address,address,address,uint256,string) events, whose memo
 * is an ABI-encoded string (bridge/router.h decodes them). */
bool tl_eth_log_keeps_data(const uint8_t topic0[32]);
/* Sets l->data from hex digits hex[0..2 * l->data_len) when l keeps its
 * data (its topics set first). Returns 0, or -1 when the digits are not
 * hex. */
int tl_eth_log_set_data(struct tl_eth_log *l, const char *hex) __attribute__((warn_unused_result));

/* A row of ethereum-etl's token_transfers table (used when the export
 * has no logs). */
struct tl_eth_toktx {
	uint64_t block;
	uint32_t tx_index, log_index; /* tx_index resolved from the hash when transactions are known */
	uint8_t tx_hash[32];
	bool has_tx_hash;
	uint8_t token[20], from[20], to[20];
	tl_uint256 value;
};

enum tl_eth_trace_type { TL_ETH_TR_CALL, TL_ETH_TR_CREATE, TL_ETH_TR_SUICIDE, TL_ETH_TR_REWARD };
enum tl_eth_call_type { TL_ETH_CT_NONE, TL_ETH_CT_CALL, TL_ETH_CT_DELEGATECALL, TL_ETH_CT_STATICCALL, TL_ETH_CT_CALLCODE };

struct tl_eth_trace {
	uint64_t block;
	uint32_t tx_index; /* TL_ETH_NO_TX for rewards */
	uint32_t seq;      /* position among the block's trace rows as read (ties) */
	uint8_t type, call_type;
	bool has_from, has_to, error;
	uint8_t from[20], to[20];
	tl_uint256 value;
	uint32_t depth;    /* length of the trace address */
	uint32_t *addr;    /* the trace address (owned) */
};

struct tl_eth_token {
	uint8_t address[20];
	char symbol[32];
	int decimals; /* -1 unknown */
};

/* Which tables a reading found (bits of tl_eth_data.have). */
enum {
	TL_ETH_HAVE_BLOCKS = 1,
	TL_ETH_HAVE_TXS = 2,
	TL_ETH_HAVE_RECEIPTS = 4,
	TL_ETH_HAVE_LOGS = 8,
	TL_ETH_HAVE_TOKTX = 16,
	TL_ETH_HAVE_TRACES = 32,
	TL_ETH_HAVE_TOKENS = 64,
};

#define TL_ETH_VEC(T, name) \
	T *name;            \
	size_t n_##name, cap_##name

struct tl_eth_data {
	TL_ETH_VEC(struct tl_eth_block, blocks);
	TL_ETH_VEC(struct tl_eth_withdrawal, wds);
	TL_ETH_VEC(struct tl_eth_tx, txs);
	TL_ETH_VEC(struct tl_eth_receipt, rcpts);
	TL_ETH_VEC(struct tl_eth_log, logs);
	TL_ETH_VEC(struct tl_eth_toktx, toktx);
	TL_ETH_VEC(struct tl_eth_trace, traces);
	TL_ETH_VEC(struct tl_eth_token, tokens);
	unsigned have;
	uint32_t trace_seq; /* next tl_eth_trace.seq */
};

/* Frees every table and zeroes d. */
void tl_eth_data_free(struct tl_eth_data *d);
/* Appends a zeroed element to a table and returns it (aborts on OOM). */
void *tl_eth_vec_push(void **v, size_t *n, size_t *cap, size_t elem);
#define TL_ETH_PUSH(d, name) \
	((__typeof__((d)->name))tl_eth_vec_push((void **)&(d)->name, &(d)->n_##name, &(d)->cap_##name, sizeof *(d)->name))

/* Sorts every table into chain order (blocks by number; transactions,
 * receipts by (block, index); logs by (block, log index); traces by
 * (block, transaction, trace address), rewards last), drops exact
 * duplicates (the same table read twice, e.g. as CSV and JSON), and
 * fills token transfers' transaction index from the transactions.
 * Fails on two different rows for one key (two hashes for one block
 * number, two transactions at one position). Returns 0 or -1. */
int tl_eth_data_finish(struct tl_eth_data *d, struct tl_err *err) __attribute__((warn_unused_result));

/* Ethereum networks (an export carries no chain id: the user says). */
struct tl_eth_net {
	const char *name;  /* mainnet, sepolia, holesky, dev */
	uint64_t chain_id; /* 0 for dev: any */
	const char *chain; /* the name tags and heists use: ethereum, ethereum-sepolia, ... */
};
/* The network of that name, or NULL. */
const struct tl_eth_net *tl_eth_net_by_name(const char *name);

/* The canonical WETH contract on mainnet, whose Deposit and Withdrawal
 * events are mints and burns of wrapped ether. */
extern const uint8_t TL_ETH_WETH_MAINNET[20];

#endif
