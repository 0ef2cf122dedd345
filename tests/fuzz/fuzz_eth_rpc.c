/* libFuzzer target: JSON-RPC answers as a node might send them (or a
 * hostile proxy): the response envelope, then every decoder on its
 * result. Beyond "never crash": decoded blocks finish and derive. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ethereum/derive.h"
#include "ethereum/rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 16) return 0;
	struct tl_err err;
	json_t *r = tl_eth_rpc_result((const char *)data, size, 1, &err);
	if (!r) return 0;
	for (int k = 0; k < 5; k++) {
		struct tl_eth_data d = { 0 };
		int rc = k == 0   ? tl_eth_rpc_block(&d, r, &err)
			 : k == 1 ? tl_eth_rpc_receipts(&d, r, &err)
			 : k == 2 ? tl_eth_rpc_logs(&d, r, &err)
			 : k == 3 ? tl_eth_rpc_trace_block(&d, r, &err)
				  : tl_eth_rpc_call_tracer(&d, 7, r, &err);
		if (rc == 0 && tl_eth_data_finish(&d, &err) == 0) {
			struct tl_eth_transfers t = { 0 };
			if (tl_eth_derive(&d, NULL, &t, &err) == 0)
				for (size_t i = 0; i < t.n; i++)
					if (tl_uint256_is_zero(&t.v[i].amount)) abort();
			tl_eth_transfers_free(&t);
		}
		tl_eth_data_free(&d);
	}
	json_decref(r);
	return 0;
}
