/* Public keys through libsecp256k1: parse and validate the keys seen in
 * P2PK outputs and in P2PKH / P2WPKH spends, and convert between the
 * compressed (33-byte) and uncompressed (65-byte) forms of one key, so
 * that clustering can link the two. */
#ifndef TL_BITCOIN_PUBKEY_H
#define TL_BITCOIN_PUBKEY_H

#include <stddef.h>
#include <stdint.h>

/** Whether the bytes are a valid secp256k1 public key: 33 bytes starting
 *  02/03, or 65 bytes starting 04 (or the hybrid 06/07, whose parity must
 *  match, as libsecp256k1 and Core's CPubKey::IsFullyValid accept), with
 *  the point on the curve.
 *
 *  Returns: 1 if valid, else 0.
 *  In:      key, len: the bytes; key may be NULL (then 0).
 */
int tl_pubkey_valid(const uint8_t *key, size_t len);

/** Writes both serializations of a valid key (the same point: linking
 *  them is what lets clustering join a key's P2PKH addresses).
 *
 *  Returns: 0 on success; -1 if the key does not parse (outputs then
 *           unspecified).
 *  In:      key, len: a serialized public key.
 *  Out:     compressed, uncompressed: the two forms; either may be NULL.
 */
int tl_pubkey_forms(const uint8_t *key, size_t len, uint8_t compressed[33], uint8_t uncompressed[65]);

/** The public key a P2PKH scriptSig reveals: the scriptSig must be push
 *  only and its last push a valid key (tl_pubkey_valid).
 *
 *  Returns: the key's length (33 or 65), or 0 if there is no valid key.
 *  In:      script, len: the scriptSig.
 *  Out:     key: points into script; may be NULL.
 */
size_t tl_pubkey_from_scriptsig(const uint8_t *script, size_t len, const uint8_t **key);
/** The same for a P2WPKH spend: the witness must have exactly two items
 *  and the second must be a valid key.
 *
 *  Returns: the key's length, or 0 if there is no valid key.
 *  In:      witness, len: an input's serialized witness stack (CompactSize
 *           item count, then items, as struct tl_txin holds it).
 *  Out:     key: points into witness; may be NULL.
 */
size_t tl_pubkey_from_witness(const uint8_t *witness, size_t len, const uint8_t **key);

/** A shared verify-capable libsecp256k1 context, created on first use
 *  (pthread_once); safe to use from any thread for parsing, serializing
 *  and verification (never randomize it).
 *
 *  Returns: the context, never freed and never NULL; aborts only if the
 *           allocation fails.
 */
struct secp256k1_context_struct;
const struct secp256k1_context_struct *tl_secp_ctx(void);

#endif
