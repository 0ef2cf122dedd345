/* Public keys through libsecp256k1: parse and validate the keys seen in
 * P2PK outputs and in P2PKH / P2WPKH spends, and convert between the
 * compressed (33-byte) and uncompressed (65-byte) forms of one key, so
 * that clustering can link the two. */
#ifndef TL_CHAIN_PUBKEY_H
#define TL_CHAIN_PUBKEY_H

#include <stddef.h>
#include <stdint.h>

/* Whether the bytes are a valid secp256k1 public key (33 bytes starting
 * 02/03, or 65 bytes starting 04 and on the curve). Returns 1 or 0. */
int tl_pubkey_valid(const uint8_t *key, size_t len);

/* Writes both serializations of a valid key. Returns 0, or -1 if the key
 * does not parse. Either output may be NULL. */
int tl_pubkey_forms(const uint8_t *key, size_t len, uint8_t compressed[33], uint8_t uncompressed[65]);

/* The public key a P2PKH scriptSig or P2WPKH witness reveals: the last
 * push of the scriptSig, or the second witness item. Sets *key to point
 * into the input and returns its length, or 0 if there is no valid key. */
size_t tl_pubkey_from_scriptsig(const uint8_t *script, size_t len, const uint8_t **key);

/* A shared verify-capable libsecp256k1 context (created once, never
 * freed; thread-safe to use for verification and parsing). */
struct secp256k1_context_struct;
const struct secp256k1_context_struct *tl_secp_ctx(void);

#endif
