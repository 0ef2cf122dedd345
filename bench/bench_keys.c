/* Random request keys for the HTTP benchmark: N outpoints (TXID:VOUT of
 * outputs that pay an address) and their N addresses, drawn uniformly
 * over the whole best chain of a blocks directory (reservoir sampling over
 * outputs, so busy addresses come up as often as they are paid),
 * read with chain/'s parser. One per line: "o TXID:VOUT" or "a ADDRESS".
 *   bench_keys BLOCKS_DIR [N] [SEED]   (regtest; N defaults to 5000) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitcoin/address.h"
#include "bitcoin/blkfile.h"
#include "bitcoin/block.h"
#include "bitcoin/hash.h"
#include "bitcoin/network.h"

static uint64_t rng_state;
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_keys BLOCKS_DIR [N] [SEED]\n");
		return 2;
	}
	size_t n = argc > 2 ? (size_t)atol(argv[2]) : 5000;
	rng_state = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
	const struct tl_netparams *np = tl_net_params(TL_NET_REGTEST);
	struct tl_blkdir *d;
	struct tl_err err;
	if (!n || tl_blkdir_open(argv[1], np, &d, &err) || tl_blkdir_scan(d, NULL, &err)) {
		fprintf(stderr, "bench_keys: %s\n", n ? err.msg : "N must be positive");
		return 1;
	}
	char (*outp)[80] = calloc(n, sizeof *outp);
	char (*addr)[TL_ADDRESS_MAX] = calloc(n, sizeof *addr);
	if (!outp || !addr) return 1;
	uint64_t seen = 0;
	struct tl_block b;
	tl_block_init(&b);
	uint8_t *buf = NULL;
	size_t cap = 0;
	for (uint32_t h = 1; h < tl_blkdir_chain_len(d); h++) {
		const struct tl_chain_entry *ce = tl_blkdir_chain_at(d, h);
		if (tl_blkdir_read(d, &ce->loc, &buf, &cap, &err) || tl_block_parse(&b, buf, ce->loc.size, &err)) {
			fprintf(stderr, "bench_keys: height %u: %s\n", h, err.msg);
			return 1;
		}
		for (uint32_t t = 0; t < b.n_tx; t++)
			for (uint32_t o = 0; o < b.tx[t].n_out; o++) {
				char a[TL_ADDRESS_MAX];
				if (tl_address_from_script(b.tx[t].out[o].script, b.tx[t].out[o].script_len, np, a)) continue;
				/* one reservoir of outputs; each keeps its outpoint and address */
				uint64_t j = seen < n ? seen : rnd() % (seen + 1);
				seen++;
				if (j >= n) continue;
				char hex[65];
				tl_hash_to_hex(b.tx[t].txid, hex);
				snprintf(outp[j], sizeof outp[j], "%s:%u", hex, o);
				memcpy(addr[j], a, sizeof a);
			}
	}
	size_t k = seen < n ? (size_t)seen : n;
	for (size_t i = 0; i < k; i++) printf("o %s\n", outp[i]);
	/* addresses of outputs drawn uniformly: busy addresses come up more
	 * often, as they do in requests; duplicates are kept */
	for (size_t i = 0; i < k; i++) printf("a %s\n", addr[i]);
	fprintf(stderr, "bench_keys: %zu outpoints and addresses of %llu outputs\n", k, (unsigned long long)seen);
	free(buf);
	free(outp);
	free(addr);
	tl_block_free(&b);
	tl_blkdir_close(d);
	return 0;
}
