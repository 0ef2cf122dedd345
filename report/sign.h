/* Signed documents: BIP-340 Schnorr signatures (libsecp256k1) over the
 * canonical serialization of a JSON document, so that a trace report or
 * an export can be checked by anyone holding the signer's public key.
 *
 * Canonical serialization (docs/sharing.md gives it in full): the JSON
 * text jansson writes with JSON_COMPACT | JSON_SORT_KEYS, i.e. object
 * keys in byte order, no whitespace, strings as UTF-8 with only '"', '\'
 * and control characters escaped, integers in decimal, reals with 17
 * significant digits. The signed message is the BIP-340 tagged hash
 * SHA256(SHA256(tag) || SHA256(tag) || canonical) with the tag
 * TL_SIGN_TAG, computed over the document whose "signature" member is
 * the signature object without its "sig" field (so the public key and
 * the manifest are covered too).
 *
 * A signed document is the document plus
 *   "signature": {"alg": TL_SIGN_ALG, "pubkey": 64 hex (x-only key),
 *                 "sig": 128 hex, "manifest": {...}}.
 *
 * Memory: json_t arguments are borrowed unless said otherwise; buffers
 * returned are malloc'd and owned by the caller. */
#ifndef TL_REPORT_SIGN_H
#define TL_REPORT_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"

#define TL_SIGN_TAG "taintline/signed-document/v1"
#define TL_SIGN_ALG "bip340-schnorr-sha256-tagged"

/* BIP-340 primitives (libsecp256k1's schnorrsig and extrakeys modules).
 * tl_bip340_pubkey: the x-only public key of a 32-byte secret.
 * tl_bip340_sign: signs a 32-byte message with aux (32 bytes of fresh
 * randomness; NULL = none, still a valid signature).
 * Returns 0, or -1 with err (invalid secret key). */
int tl_bip340_pubkey(const uint8_t sec[32], uint8_t pub[32], struct tl_err *err) __attribute__((warn_unused_result));
int tl_bip340_sign(const uint8_t sec[32], const uint8_t msg[32], const uint8_t *aux, uint8_t sig[64],
                   struct tl_err *err) __attribute__((warn_unused_result));
/* 1 if sig is a valid signature of msg under the x-only key pub, else 0
 * (also 0 when pub is not a valid x coordinate). */
int tl_bip340_verify(const uint8_t pub[32], const uint8_t msg[32], const uint8_t sig[64]);

/* SHA256(SHA256(tag) || SHA256(tag) || data): BIP-340's tagged hash. */
void tl_tagged_hash(const char *tag, const void *data, size_t len, uint8_t out[32]);

/* The canonical serialization of doc (see above). Returns 0 with *buf
 * (malloc'd, NUL-terminated) and *len, or -1 with err. */
int tl_canonical_json(const json_t *doc, char **buf, size_t *len, struct tl_err *err)
        __attribute__((warn_unused_result));

/* A new secret key from the operating system's CSPRNG (getrandom),
 * valid for secp256k1. Returns 0 or -1 with err. */
int tl_sign_keygen(uint8_t sec[32], struct tl_err *err) __attribute__((warn_unused_result));
/* Writes sec as 64 lower-case hex digits and a newline to a new file
 * (created with mode 0600; an existing file is refused). Returns 0 or -1. */
int tl_sign_key_write(const char *path, const uint8_t sec[32], struct tl_err *err)
        __attribute__((warn_unused_result));
/* Reads a key file (64 hex digits, surrounding whitespace allowed).
 * Refuses files readable by group or others. Returns 0 or -1 with err. */
int tl_sign_key_read(const char *path, uint8_t sec[32], struct tl_err *err) __attribute__((warn_unused_result));

/* Signs doc in place: replaces any "signature" member with a new one
 * holding the public key of sec, the manifest (stolen reference; NULL =
 * an empty object) and the signature. The manifest gets a
 * "content_sha256" object (top-level member -> SHA-256 of its canonical
 * form) so that a failed check can name what changed.
 * Returns 0 or -1 with err. */
int tl_sign_document(json_t *doc, const uint8_t sec[32], json_t *manifest, struct tl_err *err)
        __attribute__((warn_unused_result));

/* Checks the signature of doc. want_pub: a public key the signer must
 * have (NULL = any). Returns 1 if valid; 0 if not, with reason (a
 * sentence a person can act on: no signature, malformed, another key,
 * content changed and which members); -1 on an internal error (err). */
int tl_verify_document(const json_t *doc, const uint8_t *want_pub, char *reason, size_t reason_cap,
                       struct tl_err *err);

#endif
