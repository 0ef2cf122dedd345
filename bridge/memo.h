/* THORChain memos: the text a user or THORChain itself attaches to a
 * transaction (a Bitcoin OP_RETURN, the memo string of the Ethereum
 * router's events) to say what the bridge should do with it.
 *
 * Only the memos that link transactions across chains are parsed:
 *   OUT:<HASH>      an outbound paying a swap's result;
 *   REFUND:<HASH>   an outbound returning an inbound that failed;
 *                   HASH the inbound's hash on the other chain, 64 hex
 *                   digits (THORNode writes them upper case; either case
 *                   and an optional 0x are accepted);
 *   SWAP:, s:, =:, =<: (limit swap) with
 *                   ASSET:DESTADDR[/REFUNDADDR]:LIMIT[/INTERVAL/QUANTITY]:AFFILIATE:FEE,
 *                   every part after ASSET optional from the right.
 * Anything else (add/withdraw liquidity, CONSOLIDATE, other protocols'
 * OP_RETURNs, free text) is "not a swap memo", which is not an error.
 * The parser is pure: no allocation, no global state. */
#ifndef TL_BRIDGE_MEMO_H
#define TL_BRIDGE_MEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* THORChain limits a memo to 250 bytes on any chain. */
#define TL_MEMO_MAX 250

enum tl_memo_kind {
	TL_MEMO_NONE = 0, /* not a memo we index */
	TL_MEMO_OUT,
	TL_MEMO_REFUND,
	TL_MEMO_SWAP,
};

struct tl_memo {
	enum tl_memo_kind kind;
	/* OUT/REFUND: the inbound's hash as the memo writes it (display
	 * order: a Bitcoin txid as explorers print it, an Ethereum hash as
	 * is). */
	uint8_t in_hash[32];
	/* SWAP: the target asset, upper-cased and expanded from THORNode's
	 * one-letter short codes ("b" -> "BTC.BTC"), and its chain ("BTC"). */
	bool limit_swap;               /* "=<:" */
	char asset[TL_MEMO_MAX + 1];
	char chain[TL_MEMO_MAX + 1];
	char dest[TL_MEMO_MAX + 1];    /* may be empty: pay the sender */
	char refund[TL_MEMO_MAX + 1];  /* empty when not given */
	char limit[TL_MEMO_MAX + 1];   /* decimal digits (optionally "NeM"), empty when not given */
	uint64_t interval, quantity;   /* streaming swap; 0 when not given */
	char affiliate[TL_MEMO_MAX + 1];
	char fee[TL_MEMO_MAX + 1];     /* basis points, '/'-separated for several affiliates */
};

/* Parses one memo of len bytes (no NUL needed; a NUL byte inside is
 * malformed text). Returns 1 with *m filled for OUT/REFUND/SWAP, 0 when
 * the text is not such a memo (m->kind TL_MEMO_NONE), -1 when it starts
 * like one (a known function name) but its parameters are malformed; then
 * *why (if not NULL) gets a static reason. Args: s may be NULL when len
 * is 0; m is the caller's. */
int tl_memo_parse(const char *s, size_t len, struct tl_memo *m, const char **why)
	__attribute__((warn_unused_result));

/* Writes the canonical OUT:/REFUND: memo for an inbound hash (display
 * order) into buf (at least 72 bytes): upper-case hex, no 0x. Returns the
 * length. For the simulator and tests. */
size_t tl_memo_format_out(bool refund, const uint8_t in_hash[32], char *buf);

#endif
