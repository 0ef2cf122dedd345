/* Fuzz target: a log that claims to be a THORChain router event, as the
 * indexer meets it: topics and ABI data from the input, decoded into
 * cross-chain link rows (store/eth_links.c over bridge/router.c and the
 * memo grammar), and the model's data keeping from hex (the readers'
 * path). The first byte picks the event (Deposit or TransferOut) and the
 * topic count. Must never crash, hang or leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/router.h"
#include "ethereum/model.h"
#include "store/eth_links.h"
#include "store/eth_undo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1) return 0;
	uint8_t mode = data[0];
	data++;
	size--;
	struct tl_eth_log l;
	memset(&l, 0, sizeof l);
	uint8_t dep[32], out[32];
	tl_router_topics(dep, out);
	memcpy(l.topics[0], mode & 1 ? out : dep, 32);
	l.ntopics = (uint8_t)(1 + (mode >> 1) % 4);
	for (int t = 1; t < l.ntopics && size >= 32; t++) {
		memcpy(l.topics[t], data, 32);
		data += 32;
		size -= 32;
	}
	l.data_len = size;
	if (size) {
		/* as the readers do: from hex, kept only when small enough */
		char *hex = malloc(2 * size + 1);
		if (!hex) return 0;
		static const char *d = "0123456789abcdef";
		for (size_t i = 0; i < size; i++) {
			hex[2 * i] = d[data[i] >> 4];
			hex[2 * i + 1] = d[data[i] & 15];
		}
		hex[2 * size] = 0;
		if (tl_eth_log_set_data(&l, hex) < 0) abort(); /* valid hex must decode */
		free(hex);
		if (size <= TL_ETH_LOG_DATA_MAX && (!l.data || memcmp(l.data, data, size))) abort();
	}
	struct tl_eth_batch *b = tl_eth_batch_new(NULL); /* never written */
	struct tl_eth_undo u;
	struct tl_eth_tip tip;
	memset(&tip, 0, sizeof tip);
	tl_eth_undo_init(&u, &tip);
	struct tl_eth_links_counts c = { 0 };
	tl_eth_links_add(b, &u, &l, 1, &c);
	if (c.deposits + c.outbounds + c.malformed != 1) abort(); /* every router-topic log is counted once */
	tl_eth_undo_free(&u);
	tl_eth_batch_free(b);
	free(l.data);
	return 0;
}
