/* The memo text of a Bitcoin transaction: the data pushed by its
 * OP_RETURN outputs. THORChain splits a memo over 80 bytes across several
 * OP_RETURN outputs, so they are joined in output order, no separator. */
#ifndef TL_BRIDGE_BTC_MEMO_H
#define TL_BRIDGE_BTC_MEMO_H

#include <stddef.h>

#include "bitcoin/tx.h"

/* Writes the joined push data of tx's OP_RETURN outputs into buf (cap
 * bytes, NUL-terminated when it fits). Returns the text length (0 when
 * the transaction has no OP_RETURN data), or -1 when it is longer than
 * cap - 1 or an OP_RETURN script is not OP_RETURN followed by data
 * pushes only (then it is no memo). Args: tx parsed by tl_tx_parse. */
int tl_btc_memo_text(const struct tl_tx *tx, char *buf, size_t cap);

/* The push data of one script: OP_RETURN then pushes (OP_0, direct
 * pushes, OP_PUSHDATA1/2/4), appended to buf at *len. Returns 1 when the
 * script is such an OP_RETURN, 0 when it is not an OP_RETURN, -1 when it
 * is malformed or the data overflows cap. */
int tl_btc_opreturn_data(const uint8_t *script, size_t slen, char *buf, size_t cap, size_t *len);

#endif
