/* Addresses: base58check (P2PKH, P2SH; BIP13), bech32 (BIP173, witness
 * v0) and bech32m (BIP350, witness v1+), for main, test, signet, regtest. */
#ifndef TL_CHAIN_ADDRESS_H
#define TL_CHAIN_ADDRESS_H

#include <stddef.h>
#include <stdint.h>

#include "chain/err.h"
#include "chain/network.h"
#include "chain/script.h"

/* Longest address string this module produces, with its NUL. */
#define TL_ADDRESS_MAX 91

/* The address Bitcoin Core gives a scriptPubKey (pubkeyhash, scripthash,
 * witness_*, anchor). Returns 0 and writes a NUL-terminated string to
 * out, or -1 if the script has no address (pubkey, multisig, nulldata,
 * nonstandard). */
int tl_address_from_script(const uint8_t *script, size_t len, const struct tl_netparams *np,
			   char out[TL_ADDRESS_MAX]);

/* Decodes an address for network np into its scriptPubKey (at most 42
 * bytes). Rejects bad checksums, another network's prefix or HRP, mixed
 * case, bad lengths, bech32 used for v1+ or bech32m for v0, with a
 * message in err. Returns 0 or -1. */
int tl_address_to_script(const char *addr, const struct tl_netparams *np, uint8_t script[42],
			 size_t *script_len, struct tl_err *err);

/* Base58check: payload (version byte included) to string. out holds at
 * least 2*len+6 bytes. */
void tl_base58check_encode(const uint8_t *payload, size_t len, char *out);
/* Decodes and verifies the 4-byte checksum. Returns 0 and the payload
 * length in *len (at most cap), or -1 with a message. */
int tl_base58check_decode(const char *s, uint8_t *payload, size_t cap, size_t *len, struct tl_err *err);

/* Segwit address (BIP173/BIP350) for witness version ver and program. */
int tl_segwit_encode(const char *hrp, int ver, const uint8_t *prog, size_t prog_len, char out[TL_ADDRESS_MAX]);
/* Decodes a segwit address with the expected hrp; checks the checksum
 * variant matches the version (bech32 for v0, bech32m for v1+), program
 * lengths (v0: 20 or 32; others 2..40) and case. Returns 0 or -1. */
int tl_segwit_decode(const char *addr, const char *hrp, int *ver, uint8_t prog[40], size_t *prog_len,
		     struct tl_err *err);

#endif
