/* Fuzz target: block and transaction parsing plus every check run on a
 * parsed block. Must never crash, leak or read out of bounds. */
#include <stddef.h>
#include <stdint.h>

#include "bitcoin/block.h"
#include "bitcoin/script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tl_block b;
	struct tl_err err;
	tl_block_init(&b);
	if (tl_block_parse(&b, data, size, &err) == 0) {
		bool present;
		int64_t h;
		(void)tl_block_check_merkle(&b, &err);
		(void)tl_block_check_witness(&b, &present, &err);
		(void)tl_block_bip34_height(&b, &h);
		(void)tl_header_check_pow(&b.hdr, tl_net_params(TL_NET_REGTEST), &err);
		for (uint32_t i = 0; i < b.n_tx; i++) {
			for (uint32_t k = 0; k < b.tx[i].n_out; k++) {
				struct tl_script_info si;
				uint8_t key[TL_SCRIPT_KEY_MAX];
				tl_script_classify(b.tx[i].out[k].script, b.tx[i].out[k].script_len, &si);
				(void)tl_script_key(b.tx[i].out[k].script, b.tx[i].out[k].script_len, key);
			}
			for (uint32_t k = 0; k < b.tx[i].n_in; k++) {
				size_t pos = 0, len;
				const uint8_t *item;
				while (tl_witness_next(&b.tx[i].in[k], &pos, &item, &len)) {
				}
			}
		}
	}
	/* The transaction parser alone, from any offset. */
	struct tl_arena a;
	tl_arena_init(&a);
	struct tl_reader r;
	tl_reader_init(&r, data, size);
	struct tl_tx tx;
	while (r.pos < r.len && tl_tx_parse(&r, &a, &tx, &err) == 0) {
	}
	tl_arena_free(&a);
	tl_block_free(&b);
	return 0;
}
