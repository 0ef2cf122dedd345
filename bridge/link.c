/* Crossing arithmetic (see link.h). */
#include "bridge/link.h"

#include "taint/muldiv.h"

int tl_xlink_carry(const tl_uint256 *a, const tl_uint256 *t, const tl_uint256 *o, bool poison, tl_uint256 *carried,
		   struct tl_err *err)
{
	if (tl_uint256_is_zero(a)) return tl_err_set(err, "inbound amount is zero");
	if (tl_uint256_cmp(t, a) > 0) return tl_err_set(err, "inbound taint exceeds the inbound amount");
	if (tl_uint256_is_zero(t)) {
		*carried = tl_uint256_from_u64(0);
		return 0;
	}
	if (poison) {
		*carried = *o;
		return 0;
	}
	/* o * t / a with t <= a never exceeds o: the quotient fits */
	if (tl_taint_muldiv(o, t, a, carried)) return tl_err_set(err, "crossing amount overflow");
	return 0;
}
