/* libFuzzer target: the request-framing scanner (api/reqscan.h) fed the
 * input whole and split at a point taken from its first byte. Beyond
 * "never crash": both feedings must reach the same events in the same
 * order at the same offsets, and body_seen never exceeds what was fed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/reqscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run(const uint8_t *d, size_t n, size_t split, int *evs, size_t *offs, int max)
{
	struct tl_reqscan s;
	tl_reqscan_init(&s, 512, 64);
	int k = 0;
	size_t off = 0;
	size_t bound = split;
	while (k < max) {
		size_t used;
		enum tl_scan_event ev = tl_reqscan_feed(&s, (const char *)d + off, bound - off, &used);
		off += used;
		if (s.body_seen > off) abort();
		if (ev == TL_SCAN_MORE) {
			if (bound == n) break;
			bound = n;
			continue;
		}
		evs[k] = ev;
		offs[k++] = off;
		if (ev == TL_SCAN_HEADERS) s.body_limit = 1000;
		if (ev == TL_SCAN_ERROR) break;
	}
	tl_reqscan_free(&s);
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 8192) return 0;
	size_t split = data[0] % size;
	int e1[256], e2[256];
	size_t o1[256], o2[256];
	int k1 = run(data + 1, size - 1, size - 1, e1, o1, 256);
	int k2 = run(data + 1, size - 1, split < size - 1 ? split : size - 1, e2, o2, 256);
	if (k1 != k2) abort();
	for (int i = 0; i < k1; i++)
		if (e1[i] != e2[i] || o1[i] != o2[i]) abort();
	return 0;
}
