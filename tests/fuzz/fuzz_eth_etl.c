/* libFuzzer target: ethereum-etl export files. The first byte picks the
 * table and the format (CSV or JSON lines); the rest is the file. Beyond
 * "never crash": a file that reads must finish and derive, and the CSV
 * reader must account for every byte it was given. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ethereum/derive.h"
#include "ethereum/etl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 1 << 16) return 0;
	static const unsigned tables[] = { TL_ETH_HAVE_BLOCKS, TL_ETH_HAVE_TXS,   TL_ETH_HAVE_RECEIPTS, TL_ETH_HAVE_LOGS,
					   TL_ETH_HAVE_TOKTX,  TL_ETH_HAVE_TRACES, TL_ETH_HAVE_TOKENS,  0 };
	unsigned table = tables[data[0] & 7];
	const char *name = (data[0] & 8) ? "fuzz.csv" : "fuzz.json";
	char *buf = malloc(size);
	if (!buf) return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = 0;
	struct tl_eth_data d = { 0 };
	struct tl_err err;
	if (tl_eth_etl_read_buf(&d, name, buf, size - 1, table, &err) == 0 && tl_eth_data_finish(&d, &err) == 0) {
		struct tl_eth_transfers t = { 0 };
		if (tl_eth_derive(&d, TL_ETH_WETH_MAINNET, &t, &err) == 0) {
			for (size_t i = 0; i < t.n; i++)
				if (tl_uint256_is_zero(&t.v[i].amount)) abort(); /* zero amounts are not transfers */
		}
		tl_eth_transfers_free(&t);
	}
	tl_eth_data_free(&d);
	free(buf);
	return 0;
}
