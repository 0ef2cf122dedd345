/* The arithmetic of a THORChain crossing. An inbound deposit of amount a
 * (base units of the source chain's asset), of which t is tainted by the
 * policy, is paid out on the other chain by an outbound output of amount
 * o (base units of the target asset). The outbound carries
 * floor(o * t / a) of taint: the share of the inbound that was tainted,
 * in the target's units, rounded down so that a crossing never creates
 * taint. Poison carries all of o when t > 0. Under fifo the carried
 * amount is the output's first units (the Bitcoin walk seeds an output's
 * first units when given a partial amount). */
#ifndef TL_BRIDGE_LINK_H
#define TL_BRIDGE_LINK_H

#include <stdbool.h>

#include "base/err.h"
#include "ethereum/u256.h"

/* Sets *carried to the outbound's taint. Returns 0, or -1 with err when
 * a is zero or t exceeds a (the inbound cannot be more than fully
 * tainted). Args: all amounts exact 256-bit integers; poison selects the
 * poison rule. */
int tl_xlink_carry(const tl_uint256 *a, const tl_uint256 *t, const tl_uint256 *o, bool poison, tl_uint256 *carried,
		   struct tl_err *err) __attribute__((warn_unused_result));

#endif
