/* Script classification with Bitcoin Core's output type names
 * (TxoutType / GetTxnOutputType), and the identity of an output's owner.
 *
 * Classification follows Core's Solver(): exact templates only, checked
 * in Core's order. Notable details kept from Core: a 65-byte P2PK key may
 * start 04, 06 or 07 (hybrid) and is not checked against the curve; a
 * witness program is a 4..42-byte script of a version opcode and one
 * direct push of 2..40 bytes, and v0 with a length other than 20 or 32 is
 * nonstandard; nulldata is OP_RETURN followed only by push opcodes
 * (OP_0..OP_16, OP_RESERVED included) with no size limit; bare multisig
 * takes 1 <= m <= n <= 20 (OP_1..OP_16, or a minimal one-byte push for
 * 17..20) and keys of Core's "valid size" (33 bytes 02/03, 65 bytes
 * 04/06/07, with any push opcode).
 *
 * The enum values are stored in the index (script keys), so they never
 * change; new types are added before TL_SCRIPT_TYPE_COUNT. */
#ifndef TL_BITCOIN_SCRIPT_H
#define TL_BITCOIN_SCRIPT_H

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

/** Classifies a scriptPubKey. Never fails: anything unrecognised is
 *  TL_SCRIPT_NONSTANDARD.
 *
 *  In:      script, len: the script (script may be NULL when len is 0).
 *  Out:     out: the type and payload; out->data points into script, so
 *           script must outlive its use.
 */
void tl_script_classify(const uint8_t *script, size_t len, struct tl_script_info *out);

/** Core's name for a type: "pubkeyhash", "witness_v0_keyhash", ...
 *
 *  Returns: a static string; "nonstandard" for an out-of-range value.
 */
const char *tl_script_type_name(enum tl_script_type t);
/** The reverse of tl_script_type_name.
 *
 *  Returns: 0 on success; -1 for an unknown name.
 *  In:      name: NUL-terminated.
 *  Out:     t: the type (written only on success).
 */
int tl_script_type_from_name(const char *name, enum tl_script_type *t) __attribute__((warn_unused_result));

/** Whether outputs of this type have an address in Core's sense
 *  (pubkeyhash, scripthash, witness_*, anchor).
 *
 *  Returns: 1 if so, else 0.
 */
int tl_script_type_has_address(enum tl_script_type t);

/** The owner key of an output, used to identify addresses in the index:
 * one type byte followed by the payload (the hash, key or witness
 * program); for nonstandard, multisig and nulldata scripts the payload is
 * SHA-256 of the whole script. Exact layouts (type byte = enum value):
 *   pubkey                  type | key (33 or 65 bytes, as in the script)
 *   pubkeyhash, scripthash,
 *   witness_v0_keyhash      type | 20-byte hash
 *   witness_v0_scripthash,
 *   witness_v1_taproot      type | 32-byte program
 *   anchor                  type | 4e 73
 *   witness_unknown         type | version (1..16) | program (2..40 bytes)
 *   nonstandard, multisig,
 *   nulldata                type | SHA-256(script)
 *
 *  Returns: the key's length (always >= 3).
 *  In:      script, len: the scriptPubKey.
 *  Out:     out: at most TL_SCRIPT_KEY_MAX bytes.
 */
#define TL_SCRIPT_KEY_MAX 66
size_t tl_script_key(const uint8_t *script, size_t len, uint8_t out[TL_SCRIPT_KEY_MAX]);

/** Reads one operation the way Core's GetOp() does.
 *
 *  Returns: 0 on success; -1 at the end of the script or when a push runs
 *           past it (*pos is then unchanged).
 *  In:      s, len: the script.
 *  In/Out:  pos: where to read; advanced past the operation.
 *  Out:     op: the opcode; data, dlen: for push opcodes (0x00 to 0x4e) the
 *           pushed bytes, pointing into s (*dlen is 0 for other opcodes).
 */
int tl_script_get_op(const uint8_t *s, size_t len, size_t *pos, uint8_t *op, const uint8_t **data, size_t *dlen)
	__attribute__((warn_unused_result));

#endif
