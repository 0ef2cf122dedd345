/* libFuzzer target for what the live module parses from the network: the
 * RPC URL, and Core's ZMQ messages (the input split into three frames at
 * its first two bytes' lengths). Beyond "never crash": a parsed URL's
 * host and path are within their buffers and printable, and a parsed
 * ZMQ message's hash and label agree with its body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "live/rpc.h"
#include "live/zmqmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096) return 0;
	char *s = malloc(size + 1);
	if (!s) return 0;
	memcpy(s, data, size);
	s[size] = 0;
	char host[64], path[128];
	uint16_t port;
	if (tl_rpc_parse_url(s, host, sizeof host, &port, path, sizeof path, NULL) == 0) {
		if (!host[0] || path[0] != '/' || port == 0) abort();
		if (strlen(host) >= sizeof host || strlen(path) >= sizeof path) abort();
	}
	free(s);

	if (size < 2) return 0;
	size_t l0 = data[0] % 16, l1 = data[1];
	const uint8_t *p = data + 2;
	size_t left = size - 2;
	if (l0 > left) return 0;
	if (l1 > left - l0) l1 = left - l0;
	const uint8_t *frames[3] = { p, p + l0, p + l0 + l1 };
	size_t lens[3] = { l0, l1, left - l0 - l1 };
	struct tl_zmq_msg m;
	if (tl_zmq_parse(frames, lens, 3, &m, NULL) == 0) {
		if (m.body != frames[1] || m.body_len != lens[1]) abort();
		if (m.topic == TL_ZMQ_SEQUENCE) {
			if (m.label != 'C' && m.label != 'D' && m.label != 'A' && m.label != 'R') abort();
			for (int i = 0; i < 32; i++)
				if (m.hash[i] != m.body[31 - i]) abort();
		}
	}
	return 0;
}
