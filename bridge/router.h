/* The THORChain router contract's events on Ethereum, ABI-decoded:
 *   Deposit(address indexed to, address indexed asset, uint256 amount, string memo)
 *       an inbound: `to` is the vault, asset 0 is ether;
 *   TransferOut(address indexed vault, address indexed to, address asset, uint256 amount, string memo)
 *       an outbound (memo OUT:/REFUND:<inbound hash>).
 * topic0 values are keccak-256 of those signatures, computed at run time. */
#ifndef TL_BRIDGE_ROUTER_H
#define TL_BRIDGE_ROUTER_H

#include <stddef.h>
#include <stdint.h>

#include "bridge/memo.h"
#include "ethereum/u256.h"

enum tl_router_kind { TL_ROUTER_DEPOSIT = 1, TL_ROUTER_TRANSFER_OUT = 2 };

struct tl_router_event {
	enum tl_router_kind kind;
	uint8_t vault[20];
	uint8_t to[20];     /* TransferOut: the payee; Deposit: the vault again */
	uint8_t asset[20];  /* token contract; all zero for ether */
	tl_uint256 amount;  /* base units */
	char memo[TL_MEMO_MAX + 1];
	size_t memo_len;
};

/* topic0 of Deposit and of TransferOut (keccak-256 of the signatures). */
void tl_router_topics(uint8_t deposit[32], uint8_t transfer_out[32]);

/* Decodes one log. Returns 1 with *ev for a Deposit or TransferOut, 0
 * when topic0 is neither, -1 when it is one of them but the topics or
 * data do not fit the ABI (wrong topic count, short data, an out-of-range
 * string offset or length, an address word with nonzero high bytes, a
 * memo over 250 bytes); *why (if not NULL) gets a static reason. Args:
 * topics[0..ntopics), data[0..len) as in the log; ev is the caller's. */
int tl_router_decode(const uint8_t (*topics)[32], int ntopics, const uint8_t *data, size_t len,
		     struct tl_router_event *ev, const char **why) __attribute__((warn_unused_result));

#endif
