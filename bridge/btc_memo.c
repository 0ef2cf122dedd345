/* OP_RETURN data of a Bitcoin transaction, joined in output order. */
#include "bridge/btc_memo.h"

#include <string.h>

int tl_btc_opreturn_data(const uint8_t *script, size_t slen, char *buf, size_t cap, size_t *len)
{
	if (!slen || script[0] != 0x6a) return 0;
	size_t i = 1;
	while (i < slen) {
		uint8_t op = script[i++];
		size_t n;
		if (op <= 75) {
			n = op;
		} else if (op == 0x4c) {
			if (i + 1 > slen) return -1;
			n = script[i];
			i += 1;
		} else if (op == 0x4d) {
			if (i + 2 > slen) return -1;
			n = (size_t)script[i] | (size_t)script[i + 1] << 8;
			i += 2;
		} else if (op == 0x4e) {
			if (i + 4 > slen) return -1;
			n = (size_t)script[i] | (size_t)script[i + 1] << 8 | (size_t)script[i + 2] << 16 |
			    (size_t)script[i + 3] << 24;
			i += 4;
		} else {
			return -1; /* OP_1..OP_16 and others carry no text */
		}
		if (n > slen - i || *len + n >= cap) return -1;
		memcpy(buf + *len, script + i, n);
		*len += n;
		i += n;
	}
	return 1;
}

int tl_btc_memo_text(const struct tl_tx *tx, char *buf, size_t cap)
{
	if (!cap) return -1;
	size_t len = 0;
	for (uint32_t o = 0; o < tx->n_out; o++) {
		int r = tl_btc_opreturn_data(tx->out[o].script, tx->out[o].script_len, buf, cap, &len);
		if (r < 0) return -1;
	}
	buf[len] = 0;
	return (int)len;
}
