/* Where memos come from: the OP_RETURN outputs of a Bitcoin transaction
 * (one output, a memo split over two, pushes of every size form, scripts
 * that are no memo) and the THORChain router's Ethereum events (topic0
 * against the TransferOut topic GraphSense matches, ABI data built by
 * hand word by word, malformed data). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bridge/btc_memo.h"
#include "bridge/memo.h"
#include "bridge/router.h"
#include "tests/testutil.h"

/* An OP_RETURN script pushing text with one direct push (<= 75 bytes)
 * or OP_PUSHDATA1. */
static size_t opret(uint8_t *s, const char *text)
{
	size_t n = strlen(text), k = 0;
	s[k++] = 0x6a;
	if (n <= 75) {
		s[k++] = (uint8_t)n;
	} else {
		s[k++] = 0x4c;
		s[k++] = (uint8_t)n;
	}
	memcpy(s + k, text, n);
	return k + n;
}

static void test_btc_split(void **st)
{
	(void)st;
	const char *memo = "=:ETH.USDT-0XDAC17F958D2EE523A2206206994597C13D831EC7:0x1c5f1a7b8a9d0e3f4c2b6a5d7e8f9a0b1c2d3e4f:0/1/0:t:0";
	size_t n = strlen(memo);
	assert_true(n > 80);
	uint8_t s0[100], s1[100], p2wpkh[22] = { 0x00, 0x14 };
	char first[81];
	memcpy(first, memo, 80);
	first[80] = 0;
	size_t l0 = opret(s0, first), l1 = opret(s1, memo + 80);
	struct tl_txout outs[4] = {
		{ 1000, p2wpkh, 22 }, { 0, s0, (uint32_t)l0 }, { 5000, p2wpkh, 22 }, { 0, s1, (uint32_t)l1 },
	};
	struct tl_tx tx = { .n_out = 4, .out = outs };
	char buf[TL_MEMO_MAX + 1];
	assert_int_equal(tl_btc_memo_text(&tx, buf, sizeof buf), (int)n);
	assert_string_equal(buf, memo);
	struct tl_memo m;
	assert_int_equal(tl_memo_parse(buf, n, &m, NULL), 1);
	assert_string_equal(m.asset, "ETH.USDT-0XDAC17F958D2EE523A2206206994597C13D831EC7");
	assert_string_equal(m.dest, "0x1c5f1a7b8a9d0e3f4c2b6a5d7e8f9a0b1c2d3e4f");
	/* the order of the outputs is the order of the text */
	struct tl_txout swapped[2] = { outs[3], outs[1] };
	struct tl_tx tx2 = { .n_out = 2, .out = swapped };
	assert_int_equal(tl_btc_memo_text(&tx2, buf, sizeof buf), (int)n);
	assert_int_equal(tl_memo_parse(buf, n, &m, NULL), 0); /* starts mid-memo: not a memo */
	/* no OP_RETURN: empty text */
	struct tl_tx tx3 = { .n_out = 1, .out = outs };
	assert_int_equal(tl_btc_memo_text(&tx3, buf, sizeof buf), 0);
	assert_string_equal(buf, "");
	/* too long for the buffer */
	assert_int_equal(tl_btc_memo_text(&tx, buf, 50), -1);
	/* a push of a number (OP_1) or a truncated push is no text */
	uint8_t bad1[] = { 0x6a, 0x51 }, bad2[] = { 0x6a, 0x05, 'a', 'b' }, bad3[] = { 0x6a, 0x4d, 0x01 };
	struct tl_txout ob[1] = { { 0, bad1, sizeof bad1 } };
	struct tl_tx tb = { .n_out = 1, .out = ob };
	assert_int_equal(tl_btc_memo_text(&tb, buf, sizeof buf), -1);
	ob[0] = (struct tl_txout){ 0, bad2, sizeof bad2 };
	assert_int_equal(tl_btc_memo_text(&tb, buf, sizeof buf), -1);
	ob[0] = (struct tl_txout){ 0, bad3, sizeof bad3 };
	assert_int_equal(tl_btc_memo_text(&tb, buf, sizeof buf), -1);
	/* OP_PUSHDATA2 and several pushes in one script */
	uint8_t multi[] = { 0x6a, 0x04, 'O', 'U', 'T', ':', 0x4d, 0x02, 0x00, 'A', 'B', 0x00 };
	ob[0] = (struct tl_txout){ 0, multi, sizeof multi };
	assert_int_equal(tl_btc_memo_text(&tb, buf, sizeof buf), 6);
	assert_string_equal(buf, "OUT:AB");
}

static void put_word_u64(uint8_t *w, uint64_t v)
{
	memset(w, 0, 32);
	for (int i = 0; i < 8; i++) w[31 - i] = (uint8_t)(v >> (8 * i));
}

static void put_word_addr(uint8_t *w, const uint8_t a[20])
{
	memset(w, 0, 12);
	memcpy(w + 12, a, 20);
}

static void test_router(void **st)
{
	(void)st;
	uint8_t dep[32], out[32];
	tl_router_topics(dep, out);
	/* GraphSense's TransferOut topic begins a9cd03aa and ends 0f1bf7 */
	static const uint8_t pre[4] = { 0xa9, 0xcd, 0x03, 0xaa }, suf[3] = { 0x0f, 0x1b, 0xf7 };
	assert_memory_equal(out, pre, 4);
	assert_memory_equal(out + 29, suf, 3);
	assert_memory_not_equal(dep, out, 32);

	uint8_t vault[20], to[20], token[20];
	for (int i = 0; i < 20; i++) vault[i] = (uint8_t)(0x10 + i), to[i] = (uint8_t)(0x80 + i), token[i] = (uint8_t)(0xd0 + i);
	const char *memo = "OUT:A709EC70E2254ECE1E32CCF857047663E395C7CA259CB9C3099652C552A409D4";
	size_t ml = strlen(memo);

	/* TransferOut: topics vault, to; data asset, amount, offset 0x60, len, bytes */
	uint8_t topics[3][32];
	memcpy(topics[0], out, 32);
	put_word_addr(topics[1], vault);
	put_word_addr(topics[2], to);
	uint8_t data[32 * 8];
	memset(data, 0, sizeof data);
	put_word_addr(data, token);
	put_word_u64(data + 32, 123456789012345678ULL);
	put_word_u64(data + 64, 96);
	put_word_u64(data + 96, ml);
	memcpy(data + 128, memo, ml);
	size_t dlen = 128 + (ml + 31) / 32 * 32;
	struct tl_router_event ev;
	const char *why = NULL;
	assert_int_equal(tl_router_decode((const uint8_t(*)[32])topics, 3, data, dlen, &ev, &why), 1);
	assert_int_equal(ev.kind, TL_ROUTER_TRANSFER_OUT);
	assert_memory_equal(ev.vault, vault, 20);
	assert_memory_equal(ev.to, to, 20);
	assert_memory_equal(ev.asset, token, 20);
	assert_true(tl_uint256_fits_u64(&ev.amount));
	assert_int_equal(ev.amount.w[0], 123456789012345678ULL);
	assert_int_equal(ev.memo_len, ml);
	assert_string_equal(ev.memo, memo);
	/* malformed: string past the end, offset not a word, short head,
	 * address word with high bytes, wrong topic count */
	assert_int_equal(tl_router_decode((const uint8_t(*)[32])topics, 3, data, 130, &ev, &why), -1);
	put_word_u64(data + 64, 97);
	assert_int_equal(tl_router_decode((const uint8_t(*)[32])topics, 3, data, dlen, &ev, &why), -1);
	put_word_u64(data + 64, 96);
	put_word_u64(data + 96, (uint64_t)1 << 40);
	assert_int_equal(tl_router_decode((const uint8_t(*)[32])topics, 3, data, dlen, &ev, &why), -1);
	put_word_u64(data + 96, ml);
	assert_int_equal(tl_router_decode((const uint8_t(*)[32])topics, 3, data, 64, &ev, &why), -1);
	topics[1][0] = 1;
	assert_int_equal(tl_router_decode((const uint8_t(*)[32])topics, 3, data, dlen, &ev, &why), -1);
	topics[1][0] = 0;
	assert_int_equal(tl_router_decode((const uint8_t(*)[32])topics, 2, data, dlen, &ev, &why), -1);
	assert_non_null(why);

	/* Deposit: topics to (vault), asset (0 = ether); data amount, offset 0x40, len, bytes */
	const char *dmemo = "=:BTC.BTC:bc1qrrqlabc::thor1a427xyz:100";
	size_t dml = strlen(dmemo);
	memcpy(topics[0], dep, 32);
	put_word_addr(topics[1], vault);
	memset(topics[2], 0, 32);
	memset(data, 0, sizeof data);
	put_word_u64(data, 5000000000000000000ULL);
	put_word_u64(data + 32, 64);
	put_word_u64(data + 64, dml);
	memcpy(data + 96, dmemo, dml);
	dlen = 96 + (dml + 31) / 32 * 32;
	assert_int_equal(tl_router_decode((const uint8_t(*)[32])topics, 3, data, dlen, &ev, &why), 1);
	assert_int_equal(ev.kind, TL_ROUTER_DEPOSIT);
	assert_memory_equal(ev.vault, vault, 20);
	static const uint8_t zero[20];
	assert_memory_equal(ev.asset, zero, 20);
	assert_int_equal(ev.amount.w[0], 5000000000000000000ULL);
	assert_string_equal(ev.memo, dmemo);
	/* any other event is not ours */
	topics[0][0] ^= 1;
	assert_int_equal(tl_router_decode((const uint8_t(*)[32])topics, 3, data, dlen, &ev, &why), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_btc_split),
		cmocka_unit_test(test_router),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
