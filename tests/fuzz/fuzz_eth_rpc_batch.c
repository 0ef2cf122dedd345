/* libFuzzer target: a node's answer to a JSON-RPC batch of three calls
 * (what the indexer's client matches by id). Beyond "never crash": on
 * success every call holds exactly a result or an error; on failure none
 * holds a result. */
#include <stdint.h>
#include <stdlib.h>

#include "indexer/eth_rpc_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 16) return 0;
	struct tl_eth_rpc_call c[3] = { { .method = "a" }, { .method = "b" }, { .method = "c" } };
	struct tl_err err;
	int rc = tl_eth_rpc_batch_answer((const char *)data, size, "fuzz", c, 3, &err);
	for (int i = 0; i < 3; i++) {
		if (rc < 0 && c[i].result) abort();
		if (rc == 0 && !c[i].result == !c[i].code) abort();
	}
	tl_eth_rpc_calls_clear(c, 3);
	return 0;
}
