/* The deposit-address heuristic on an Ethereum database, for trace
 * --deposit-heuristic: an untagged account whose every outgoing value
 * transfer (fees aside) goes to one account tagged exchange is taken for
 * that exchange's deposit account. Exchanges give each customer such an
 * account and sweep it into their hot wallet; counting a transfer into it
 * as reaching the exchange names the customer's account (what an
 * investigator asks the exchange about) instead of the sweep. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tracer/eth_trace.h"
#include "ethereum/address.h"
#include "store/eth_scan.h"
#include "taint/graph.h"

int tl_eth_deposit_accounts(struct tl_eth_store *st, uint64_t n_acct, uint32_t (*cats)(void *, uint64_t), void *ctx,
                            uint64_t **hot_of, size_t *found, struct tl_err *err)
{
	uint64_t *dest = calloc(n_acct ? n_acct : 1, sizeof *dest); /* 0 none yet, UINT64_MAX several */
	if (!dest) return tl_err_set(err, "out of memory");
	struct tl_eth_xfer_iter *it;
	if (tl_eth_xfer_iter_new(st, 0, &it, err)) {
		free(dest);
		return -1;
	}
	struct tl_eth_xfer_rec r;
	uint64_t seq;
	int k;
	while ((k = tl_eth_xfer_iter_next(it, &seq, &r, err)) == 1) {
		if (r.kind == TL_ETH_FEE || !r.from || !r.to || r.from >= n_acct || tl_uint256_is_zero(&r.amount)) continue;
		if (dest[r.from] == 0) dest[r.from] = r.to;
		else if (dest[r.from] != r.to) dest[r.from] = UINT64_MAX;
	}
	tl_eth_xfer_iter_free(it);
	if (k < 0) {
		free(dest);
		return -1;
	}
	size_t n = 0;
	for (uint64_t a = 1; a < n_acct; a++) {
		uint64_t h = dest[a];
		if (h && h != UINT64_MAX && h != a && !cats(ctx, a) && (cats(ctx, h) & TL_CAT_EXCHANGE)) n++;
		else dest[a] = 0;
	}
	*hot_of = dest;
	*found = n;
	return 0;
}
