/* ABI decoding of the router's two events (see router.h). */
#include "bridge/router.h"

#include <string.h>

#include "ethereum/keccak.h"

void tl_router_topics(uint8_t deposit[32], uint8_t transfer_out[32])
{
	static const char dep[] = "Deposit(address,address,uint256,string)";
	static const char out[] = "TransferOut(address,address,address,uint256,string)";
	tl_keccak256(dep, sizeof dep - 1, deposit);
	tl_keccak256(out, sizeof out - 1, transfer_out);
}

static int bad(const char **why, const char *r)
{
	if (why) *why = r;
	return -1;
}

/* An address in a 32-byte word: 12 zero bytes then 20. */
static int word_address(const uint8_t w[32], uint8_t out[20])
{
	for (int i = 0; i < 12; i++)
		if (w[i]) return -1;
	memcpy(out, w + 12, 20);
	return 0;
}

/* A word that must fit a size_t offset or length below limit. */
static int word_small(const uint8_t w[32], size_t limit, size_t *out)
{
	for (int i = 0; i < 24; i++)
		if (w[i]) return -1;
	uint64_t v = 0;
	for (int i = 24; i < 32; i++) v = v << 8 | w[i];
	if (v > limit) return -1;
	*out = (size_t)v;
	return 0;
}

/* The ABI string whose offset is in head word k. */
static int abi_string(const uint8_t *data, size_t len, size_t k, struct tl_router_event *ev, const char **why)
{
	size_t off, n;
	if (word_small(data + 32 * k, len, &off) || off % 32 || off + 32 > len)
		return bad(why, "memo offset out of range");
	if (word_small(data + off, len, &n) || n > len - off - 32) return bad(why, "memo length out of range");
	if (n > TL_MEMO_MAX) return bad(why, "memo longer than 250 bytes");
	memcpy(ev->memo, data + off + 32, n);
	ev->memo[n] = 0;
	ev->memo_len = n;
	return 1;
}

int tl_router_decode(const uint8_t (*topics)[32], int ntopics, const uint8_t *data, size_t len,
		     struct tl_router_event *ev, const char **why)
{
	uint8_t dep[32], out[32];
	memset(ev, 0, sizeof *ev);
	if (why) *why = NULL;
	if (ntopics < 1) return 0;
	tl_router_topics(dep, out);
	if (memcmp(topics[0], dep, 32) == 0) {
		if (ntopics != 3) return bad(why, "Deposit needs 3 topics");
		if (len < 64) return bad(why, "Deposit data shorter than its head");
		ev->kind = TL_ROUTER_DEPOSIT;
		if (word_address(topics[1], ev->vault) || word_address(topics[2], ev->asset))
			return bad(why, "Deposit address topic with high bytes set");
		memcpy(ev->to, ev->vault, 20);
		tl_uint256_from_be32(data, &ev->amount);
		return abi_string(data, len, 1, ev, why);
	}
	if (memcmp(topics[0], out, 32) == 0) {
		if (ntopics != 3) return bad(why, "TransferOut needs 3 topics");
		if (len < 96) return bad(why, "TransferOut data shorter than its head");
		ev->kind = TL_ROUTER_TRANSFER_OUT;
		if (word_address(topics[1], ev->vault) || word_address(topics[2], ev->to) ||
		    word_address(data, ev->asset))
			return bad(why, "TransferOut address with high bytes set");
		tl_uint256_from_be32(data + 32, &ev->amount);
		return abi_string(data, len, 2, ev, why);
	}
	return 0;
}
