/* Script classification with Bitcoin Core's output type names
 * (TxoutType / GetTxnOutputType), and the identity of an output's owner.
 *
 * Classification follows Core's Solver(): exact templates only. */
#ifndef TL_CHAIN_SCRIPT_H
#define TL_CHAIN_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

enum tl_script_type {
	TL_SCRIPT_NONSTANDARD = 0,
	TL_SCRIPT_PUBKEY,                /* <33 or 65-byte key> OP_CHECKSIG */
	TL_SCRIPT_PUBKEYHASH,            /* OP_DUP OP_HASH160 <20> OP_EQUALVERIFY OP_CHECKSIG */
	TL_SCRIPT_SCRIPTHASH,            /* OP_HASH160 <20> OP_EQUAL */
	TL_SCRIPT_MULTISIG,              /* m <keys> n OP_CHECKMULTISIG */
	TL_SCRIPT_NULLDATA,              /* OP_RETURN <push-only data> */
	TL_SCRIPT_WITNESS_V0_KEYHASH,    /* OP_0 <20> */
	TL_SCRIPT_WITNESS_V0_SCRIPTHASH, /* OP_0 <32> */
	TL_SCRIPT_WITNESS_V1_TAPROOT,    /* OP_1 <32> */
	TL_SCRIPT_ANCHOR,                /* OP_1 <0x4e73> (pay-to-anchor) */
	TL_SCRIPT_WITNESS_UNKNOWN,       /* other witness versions/lengths */
	TL_SCRIPT_TYPE_COUNT
};

struct tl_script_info {
	enum tl_script_type type;
	/* The payload that identifies the owner, pointing into the script:
	 * the key (pubkey), the 20/32-byte hash (pubkeyhash, scripthash,
	 * witness_v0_*), the witness program (taproot, anchor,
	 * witness_unknown). NULL/0 for the other types. */
	const uint8_t *data;
	size_t data_len;
	int witness_version; /* 0..16 for witness types, else -1 */
	int m, n;            /* multisig only */
};

/* Classifies a scriptPubKey. Never fails: anything unrecognised is
 * TL_SCRIPT_NONSTANDARD. */
void tl_script_classify(const uint8_t *script, size_t len, struct tl_script_info *out);

/* Core's name for a type: "pubkeyhash", "witness_v0_keyhash", ... */
const char *tl_script_type_name(enum tl_script_type t);

/* Whether outputs of this type have an address in Core's sense. */
int tl_script_type_has_address(enum tl_script_type t);

/* The owner key of an output, used to identify addresses in the index:
 * one type byte followed by the payload (the hash, key or witness
 * program); for nonstandard, multisig and nulldata scripts the payload is
 * SHA-256 of the whole script. Writes at most TL_SCRIPT_KEY_MAX bytes to
 * out and returns the length. */
#define TL_SCRIPT_KEY_MAX 66
size_t tl_script_key(const uint8_t *script, size_t len, uint8_t out[TL_SCRIPT_KEY_MAX]);

#endif
