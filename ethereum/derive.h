/* Value movements (transfers) from the model's tables, in chain order:
 * block, transaction index, then within a transaction the fee, native
 * ether in call-tree order, tokens in log order; a block's rewards and
 * withdrawals after its transactions.
 *
 * - fee: gas_used x effective gas price (the transaction's gas price
 *   before London) from the sender, for every included transaction,
 *   failed or not; `burnt` is gas_used x base fee (destroyed), the rest
 *   goes to the block's fee recipient.
 * - native: with traces, every call (plain CALL only: delegate, static
 *   and callcode calls move nothing between accounts), create and
 *   selfdestruct with nonzero value and no error on it or any ancestor;
 *   without traces, the top-level value. A failed transaction (receipt
 *   status 0) moves nothing but its fee.
 * - tokens: ERC-20 Transfer logs (three topics, a 32-byte value) of
 *   successful transactions; WETH Deposit/Withdrawal as a mint to / burn
 *   from the account; ERC-721 Transfer (four topics) skipped. Without
 *   logs, the token_transfers table's rows.
 * - rewards (parity-style reward traces) and withdrawals (in wei).
 * Zero amounts are not transfers. */
#ifndef TL_ETHEREUM_DERIVE_H
#define TL_ETHEREUM_DERIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "ethereum/model.h"

enum tl_eth_kind {
	TL_ETH_FEE = 0,
	TL_ETH_NATIVE,
	TL_ETH_TOKEN,
	TL_ETH_MINT,  /* WETH Deposit: from nowhere to the account */
	TL_ETH_BURN,  /* WETH Withdrawal: from the account to nowhere */
	TL_ETH_REWARD,
	TL_ETH_WITHDRAWAL,
	TL_ETH_KIND_COUNT
};

/* "fee", "native", "token", "mint", "burn", "reward", "withdrawal". */
const char *tl_eth_kind_name(enum tl_eth_kind k);

struct tl_eth_transfer {
	uint64_t block;
	uint32_t tx_index; /* TL_ETH_NO_TX for rewards and withdrawals */
	uint32_t seq;      /* log index (tokens), trace position (native), withdrawal index */
	uint8_t kind;
	bool has_from, has_to, has_tx;
	bool is_token;     /* asset: the token contract; otherwise ether */
	uint8_t from[20], to[20], token[20];
	uint8_t tx_hash[32];
	tl_uint256 amount;
	tl_uint256 burnt;     /* fees: the base-fee part of amount (to nobody) */
};

struct tl_eth_transfers {
	struct tl_eth_transfer *v;
	size_t n, cap;
};

void tl_eth_transfers_free(struct tl_eth_transfers *t);

/* Appends the transfers of d's blocks, in chain order, to out. weth is
 * the WETH contract whose events are mints and burns (NULL: none, off
 * mainnet). d must have been through tl_eth_data_finish. Fails only on
 * an amount that overflows 256 bits (a fee) or a receipt whose hash does
 * not match its transaction. Returns 0 or -1. */
int tl_eth_derive(const struct tl_eth_data *d, const uint8_t *weth, struct tl_eth_transfers *out, struct tl_err *err)
	__attribute__((warn_unused_result));

/* ERC-20 Transfer, WETH Deposit and Withdrawal event signatures. */
extern const uint8_t TL_ETH_TOPIC_TRANSFER[32], TL_ETH_TOPIC_DEPOSIT[32], TL_ETH_TOPIC_WITHDRAWAL[32];

#endif
