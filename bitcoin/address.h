/* Addresses: base58check (P2PKH, P2SH; BIP13), bech32 (BIP173, witness
 * v0) and bech32m (BIP350, witness v1+), for main, test, signet, regtest. */
#ifndef TL_BITCOIN_ADDRESS_H
#define TL_BITCOIN_ADDRESS_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "bitcoin/network.h"
#include "bitcoin/script.h"

/* Longest address string this module produces, with its NUL. */
#define TL_ADDRESS_MAX 91

/** The address Bitcoin Core gives a scriptPubKey (pubkeyhash, scripthash,
 *  witness_*, anchor).
 *
 *  Returns: 0 on success; -1 if the script has no address (pubkey,
 *           multisig, nulldata, nonstandard).
 *  In:      script, len: the scriptPubKey; np: the network.
 *  Out:     out: the NUL-terminated address (caller's buffer).
 */
int tl_address_from_script(const uint8_t *script, size_t len, const struct tl_netparams *np,
			   char out[TL_ADDRESS_MAX]);

/** Decodes an address for network np into its scriptPubKey. Testnet and
 *  signet share prefixes, and regtest shares their base58 prefixes (as in
 *  Core), so those addresses are accepted on each other.
 *
 *  Returns: 0 on success; -1 for a bad checksum, another network's prefix
 *           or HRP, mixed case, a bad length, bech32 used for v1+ or
 *           bech32m for v0.
 *  Args:    err: receives the message (an address valid for another
 *           network gets one starting "wrong network:"); may be NULL.
 *  In:      addr: NUL-terminated; np: the network.
 *  Out:     script, script_len: the scriptPubKey (at most 42 bytes).
 */
int tl_address_to_script(const char *addr, const struct tl_netparams *np, uint8_t script[42],
			 size_t *script_len, struct tl_err *err) __attribute__((warn_unused_result));

/** Base58check: payload (version byte included) followed by the first 4
 *  bytes of its SHA256d, in base 58 (leading zero bytes as '1').
 *
 *  In:      payload, len: len must be 1..128 (out is set to "" otherwise).
 *  Out:     out: the NUL-terminated string; holds at least 2*len+6 bytes.
 */
void tl_base58check_encode(const uint8_t *payload, size_t len, char *out);
/** Decodes base58check and verifies the 4-byte checksum. Strict: no
 *  whitespace, only base-58 characters, at most 180 characters.
 *
 *  Returns: 0 on success, -1 on failure with err set.
 *  Args:    err: receives the message; may be NULL.
 *  In:      s: NUL-terminated; cap: room in payload.
 *  Out:     payload, len: the payload (version byte included), at most cap bytes.
 */
int tl_base58check_decode(const char *s, uint8_t *payload, size_t cap, size_t *len, struct tl_err *err)
	__attribute__((warn_unused_result));

/** Segwit address (BIP173/BIP350): bech32 for v0, bech32m for v1..16.
 *
 *  Returns: 0 on success; -1 for a version over 16, a program length
 *           outside 2..40 (20 or 32 for v0), or a result over 90 characters.
 *  In:      hrp: lower case; ver: witness version; prog, prog_len: program.
 *  Out:     out: the NUL-terminated address.
 */
int tl_segwit_encode(const char *hrp, int ver, const uint8_t *prog, size_t prog_len, char out[TL_ADDRESS_MAX])
	__attribute__((warn_unused_result));
/** Decodes a segwit address with the expected hrp; checks that the
 *  checksum variant matches the version (bech32 for v0, bech32m for v1+),
 *  the program length (v0: 20 or 32; others 2..40) and case.
 *
 *  Returns: 0 on success, -1 on failure with err set.
 *  Args:    err: receives the message; may be NULL.
 *  In:      addr: NUL-terminated; hrp: the expected hrp.
 *  Out:     ver: witness version; prog, prog_len: the program.
 */
int tl_segwit_decode(const char *addr, const char *hrp, int *ver, uint8_t prog[40], size_t *prog_len,
		     struct tl_err *err) __attribute__((warn_unused_result));

/* Longest bech32 string (BIP173), without the NUL. */
#define TL_BECH32_MAX_LEN 90
enum { TL_BECH32 = 1, TL_BECH32M = 2 };

/** Decodes any bech32 or bech32m string (BIP173/BIP350 rules: at most 90
 *  characters, each in 33..126, not mixed case, non-empty hrp before the
 *  last '1', at least 6 checksum characters).
 *
 *  Returns: 0 on success, -1 on failure with err set.
 *  Args:    err: receives the message; may be NULL.
 *  In:      s: NUL-terminated.
 *  Out:     hrp: lower-case, NUL-terminated; data, data_len: the 5-bit
 *           values without the checksum; variant: TL_BECH32 or TL_BECH32M.
 */
int tl_bech32_decode(const char *s, char hrp[TL_BECH32_MAX_LEN], uint8_t data[TL_BECH32_MAX_LEN], size_t *data_len,
		     int *variant, struct tl_err *err) __attribute__((warn_unused_result));

#endif
