/* Network parameters: message start (blk-file magic), address prefixes,
 * genesis hash and proof-of-work limit for each supported network. */
#ifndef TL_BITCOIN_NETWORK_H
#define TL_BITCOIN_NETWORK_H

#include <stdint.h>

enum tl_net { TL_NET_MAIN = 0, TL_NET_TESTNET, TL_NET_SIGNET, TL_NET_REGTEST, TL_NET_COUNT };

struct tl_netparams {
	enum tl_net net;
	const char *name;        /* "main", "test", "signet", "regtest" (Core's chain names) */
	const char *tag_chain;   /* tag-file chain name: "bitcoin", "bitcoin-testnet", ... */
	uint8_t magic[4];        /* blk-file record magic */
	uint8_t p2pkh_prefix;    /* base58check version byte for P2PKH */
	uint8_t p2sh_prefix;     /* base58check version byte for P2SH */
	const char *hrp;         /* bech32 human-readable part */
	uint8_t genesis[32];     /* genesis block hash, hash order */
	uint32_t pow_limit_bits; /* compact form of the proof-of-work limit */
};

/** Returns: the static parameters of one network; never NULL for a
 *  valid enum value.
 */
const struct tl_netparams *tl_net_params(enum tl_net net);
/** Looks a network up by name.
 *
 *  Returns: the static parameters, or NULL if unknown.
 *  In:      name: "main"/"mainnet"/"bitcoin", "test"/"testnet", "signet"
 *           or "regtest".
 */
const struct tl_netparams *tl_net_by_name(const char *name);
/** Looks a network up by blk-file magic.
 *
 *  Returns: the static parameters, or NULL if none matches.
 *  In:      magic: 4 bytes.
 */
const struct tl_netparams *tl_net_by_magic(const uint8_t magic[4]);

#endif
