/* Parsing Core's ZMQ notifications (live/zmqmsg.h). */
#include <string.h>

#include "live/zmqmsg.h"

static void hash_from_display(const uint8_t *p, uint8_t out[32])
{
	for (int i = 0; i < 32; i++) out[i] = p[31 - i];
}

int tl_zmq_parse(const uint8_t *const frames[], const size_t lens[], size_t nframes, struct tl_zmq_msg *out,
		 struct tl_err *err)
{
	static const struct {
		const char *name;
		enum tl_zmq_topic t;
	} topics[] = { { "hashblock", TL_ZMQ_HASHBLOCK }, { "hashtx", TL_ZMQ_HASHTX },
		       { "rawblock", TL_ZMQ_RAWBLOCK },   { "rawtx", TL_ZMQ_RAWTX },
		       { "sequence", TL_ZMQ_SEQUENCE } };
	memset(out, 0, sizeof *out);
	if (nframes != 3) return tl_err_set(err, "zmq: %zu frames, expected 3", nframes);
	size_t i;
	for (i = 0; i < sizeof topics / sizeof *topics; i++)
		if (lens[0] == strlen(topics[i].name) && !memcmp(frames[0], topics[i].name, lens[0])) break;
	if (i == sizeof topics / sizeof *topics) return tl_err_set(err, "zmq: unknown topic");
	if (lens[2] != 4) return tl_err_set(err, "zmq: sequence frame of %zu bytes, expected 4", lens[2]);
	const uint8_t *s = frames[2], *b = frames[1];
	out->topic = topics[i].t;
	out->seq = (uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16 | (uint32_t)s[3] << 24;
	out->body = b;
	out->body_len = lens[1];
	switch (out->topic) {
	case TL_ZMQ_HASHBLOCK:
	case TL_ZMQ_HASHTX:
		if (lens[1] != 32) return tl_err_set(err, "zmq: %s body of %zu bytes, expected 32", topics[i].name, lens[1]);
		hash_from_display(b, out->hash);
		break;
	case TL_ZMQ_RAWBLOCK:
	case TL_ZMQ_RAWTX:
		if (lens[1] == 0) return tl_err_set(err, "zmq: empty %s", topics[i].name);
		break;
	case TL_ZMQ_SEQUENCE:
		if (lens[1] < 33) return tl_err_set(err, "zmq: sequence body of %zu bytes", lens[1]);
		hash_from_display(b, out->hash);
		out->label = (char)b[32];
		if (out->label == 'C' || out->label == 'D') {
			if (lens[1] != 33) return tl_err_set(err, "zmq: sequence %c body of %zu bytes, expected 33",
							     out->label, lens[1]);
		} else if (out->label == 'A' || out->label == 'R') {
			if (lens[1] != 41) return tl_err_set(err, "zmq: sequence %c body of %zu bytes, expected 41",
							     out->label, lens[1]);
			for (int k = 7; k >= 0; k--) out->mempool_seq = out->mempool_seq << 8 | b[33 + k];
		} else {
			return tl_err_set(err, "zmq: unknown sequence label 0x%02x", (unsigned)b[32]);
		}
		break;
	}
	return 0;
}
