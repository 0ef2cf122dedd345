/* floor(a * b / c) on 256-bit integers with an exact 512-bit product: the
 * haircut policy's share of a pool's taint, floor(amount * T / B), where
 * amount and T can each be near 2^256 (token supplies of 10^30 base units
 * and more are common, so the product passes 2^128 routinely). */
#ifndef TL_TAINT_MULDIV_H
#define TL_TAINT_MULDIV_H

#include "ethereum/u256.h"

/** *q = floor(a * b / c), exactly.
 *
 *  Returns: 0 on success; -1 when c is zero or the quotient does not fit
 *           in 256 bits (*q untouched).
 *  In:      a, b, c: the operands.
 *  Out:     q: the quotient; may alias a, b or c.
 */
int tl_taint_muldiv(const tl_uint256 *a, const tl_uint256 *b, const tl_uint256 *c, tl_uint256 *q)
	__attribute__((warn_unused_result));

#endif
