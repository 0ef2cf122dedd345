/* Script disassembly in the text form Esplora (Blockstream's electrs)
 * prints in scriptpubkey_asm, scriptsig_asm, inner_redeemscript_asm and
 * inner_witnessscript_asm. electrs formats scripts with rust-bitcoin's
 * assembly printer; this module reproduces that text byte for byte:
 *
 *   - operations are separated by one space;
 *   - every opcode has a fixed name: 0x00 is "OP_0", 0x01..0x4b are
 *     "OP_PUSHBYTES_<n>", 0x4f "OP_PUSHNUM_NEG1", 0x51..0x60
 *     "OP_PUSHNUM_1".."OP_PUSHNUM_16", 0xb1/0xb2 "OP_CLTV"/"OP_CSV",
 *     0xba "OP_CHECKSIGADD", 0xbb..0xfe "OP_RETURN_187".."OP_RETURN_254",
 *     0xff "OP_INVALIDOPCODE", the rest by their usual Core names with the
 *     "OP_" prefix (OP_DUP, OP_CHECKMULTISIG, OP_NOP1, OP_RESERVED1 ...);
 *   - a push (direct or OP_PUSHDATA1/2/4) is its opcode name, a space and
 *     the pushed bytes in lowercase hex; OP_0 has no data after it;
 *   - a push whose data runs past the end of the script prints
 *     "<push past end>" in place of the data and ends the text;
 *   - an OP_PUSHDATA1/2/4 whose length field itself is cut off prints
 *     "<unexpected end>" with no opcode name and no space before it (so
 *     76 4c gives "OP_DUP<unexpected end>"), and ends the text.
 * The empty script gives the empty string. */
#ifndef TL_BITCOIN_SCRIPT_ASM_H
#define TL_BITCOIN_SCRIPT_ASM_H

#include <stddef.h>
#include <stdint.h>

/** The name of opcode op as printed in assembly ("OP_0" for 0x00,
 *  "OP_PUSHBYTES_20" for 0x14, ...).
 *
 *  Returns: a static string; never NULL.
 */
const char *tl_opcode_name(uint8_t op);

/** Disassembles a script. Never fails on any input.
 *
 *  Returns: a new NUL-terminated string the caller free()s; aborts on
 *           out-of-memory.
 *  In:      script, len: the script (script may be NULL when len is 0).
 */
char *tl_script_asm(const uint8_t *script, size_t len);

/** The data of the last operation of script if that operation is a push
 *  (OP_0, a direct push or OP_PUSHDATA1/2/4 with its data complete), as
 *  electrs finds a P2SH redeemScript in a scriptSig. Pushes need not be
 *  minimal.
 *
 *  Returns: 1 if found; 0 when the script is empty, its last operation is
 *           not a push (OP_1..16 included), or any operation is truncated.
 *  In:      script, len: the script.
 *  Out:     data, dlen: the pushed bytes, pointing into script.
 */
int tl_script_last_push(const uint8_t *script, size_t len, const uint8_t **data, size_t *dlen);

#endif
