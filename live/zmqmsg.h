/* Bitcoin Core's ZMQ notifications: multipart messages [topic, body,
 * 4-byte little-endian sequence number per topic]. Bodies: hashblock and
 * hashtx a 32-byte hash (display order, as RPC prints it); rawblock and
 * rawtx the serialized block or transaction; sequence a 32-byte hash and
 * a label, C (block connected) or D (disconnected), or A (transaction
 * added to the mempool) or R (removed) followed by an 8-byte
 * little-endian mempool sequence. */
#ifndef TL_LIVE_ZMQMSG_H
#define TL_LIVE_ZMQMSG_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

enum tl_zmq_topic { TL_ZMQ_HASHBLOCK, TL_ZMQ_HASHTX, TL_ZMQ_RAWBLOCK, TL_ZMQ_RAWTX, TL_ZMQ_SEQUENCE };

struct tl_zmq_msg {
	enum tl_zmq_topic topic;
	const uint8_t *body;      /* points into the frame given (raw topics) */
	size_t body_len;
	uint32_t seq;             /* the publisher's per-topic counter */
	uint8_t hash[32];         /* hash order (hashblock, hashtx, sequence) */
	char label;               /* sequence: 'C', 'D', 'A' or 'R'; else 0 */
	uint64_t mempool_seq;     /* sequence A and R */
};

/* Parses the three frames of one message. Errors: another frame count,
 * an unknown topic, a body of the wrong size or label. Returns 0 or -1
 * with err. */
int tl_zmq_parse(const uint8_t *const frames[], const size_t lens[], size_t nframes, struct tl_zmq_msg *out,
		 struct tl_err *err) __attribute__((warn_unused_result));

#endif
