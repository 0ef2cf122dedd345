/* Fuzz target: the THORChain memo parser, the Bitcoin OP_RETURN data
 * reader and the router event decoder, all on the same bytes. Must never
 * crash, hang or read out of bounds; a failed parse never reports a kind. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/btc_memo.h"
#include "bridge/memo.h"
#include "bridge/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tl_memo m;
	const char *why;
	int r = tl_memo_parse((const char *)data, size, &m, &why);
	if (r != 1 && m.kind != TL_MEMO_NONE) abort();
	if (r == 1) {
		size_t n = strlen(m.asset) + strlen(m.dest) + strlen(m.refund) + strlen(m.limit) + strlen(m.affiliate);
		if (n > 5 * TL_MEMO_MAX) abort();
	}
	char buf[TL_MEMO_MAX + 1];
	size_t len = 0;
	(void)tl_btc_opreturn_data(data, size, buf, sizeof buf, &len);
	if (len >= sizeof buf) abort();
	/* a router log: topics from the first 96 bytes, the rest as data;
	 * topic0 is forced to a router event on the first byte's low bits so
	 * the decoder's body is reached */
	if (size >= 97) {
		uint8_t topics[3][32], dep[32], out[32];
		memcpy(topics, data + 1, 96);
		tl_router_topics(dep, out);
		if (data[0] & 1) memcpy(topics[0], data[0] & 2 ? dep : out, 32);
		struct tl_router_event ev;
		int nt = 1 + data[0] % 3;
		if (tl_router_decode((const uint8_t(*)[32])topics, nt, data + 97, size - 97, &ev, &why) == 1 &&
		    ev.memo_len > TL_MEMO_MAX)
			abort();
	}
	return 0;
}
