/* Prints the shape of the transactions in real or simulated blocks:
 * inputs and outputs per transaction (with the 10+ tail, jointly),
 * script types, sizes, batched payouts and consolidations; for a blocks
 * directory also the ages of the coins spent and the share of outputs on
 * the most reused scripts. Everything is read back with chain/'s parser.
 *   bench_shape [BIN_DIR [MIN_HEIGHT]]   folder of <height>-<hash>.bin blocks
 *                                        (the reference mainnet folder by default)
 *   bench_shape --blocks BLOCKS_DIR      a Core-style blocks directory (regtest) */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitcoin/blkfile.h"
#include "bitcoin/block.h"
#include "bitcoin/network.h"
#include "sim/shapestat.h"

static uint8_t *read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f) return NULL;
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = len > 0 ? malloc((size_t)len) : NULL;
	if (!b || fread(b, 1, (size_t)len, f) != (size_t)len) {
		fclose(f);
		free(b);
		return NULL;
	}
	fclose(f);
	*n = (size_t)len;
	return b;
}

static int bin_dir(const char *dir, long min_height)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "bench_shape: cannot open %s\n", dir);
		return 1;
	}
	struct sim_shapestat s;
	sim_shapestat_init(&s, false);
	struct tl_block b;
	tl_block_init(&b);
	struct dirent *de;
	int nb = 0;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".bin")) continue;
		long h = strtol(de->d_name, NULL, 10);
		if (h < min_height) continue;
		char path[8192];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		size_t n;
		uint8_t *raw = read_file(path, &n);
		struct tl_err err;
		if (!raw || tl_block_parse(&b, raw, n, &err)) {
			fprintf(stderr, "bench_shape: %s: unreadable\n", path);
			free(raw);
			continue;
		}
		sim_shapestat_block(&s, &b, (uint32_t)h);
		printf("block %ld: %u transactions\n", h, b.n_tx);
		nb++;
		free(raw);
	}
	closedir(d);
	printf("%d blocks at height >= %ld\n", nb, min_height);
	sim_shapestat_print(&s, stdout);
	tl_block_free(&b);
	sim_shapestat_free(&s);
	return 0;
}

static int blocks_dir(const char *dir)
{
	struct tl_blkdir *d;
	struct tl_err err;
	if (tl_blkdir_open(dir, tl_net_params(TL_NET_REGTEST), &d, &err) || tl_blkdir_scan(d, NULL, &err)) {
		fprintf(stderr, "bench_shape: %s\n", err.msg);
		return 1;
	}
	struct sim_shapestat s;
	sim_shapestat_init(&s, true);
	struct tl_block b;
	tl_block_init(&b);
	uint8_t *buf = NULL;
	size_t cap = 0;
	uint32_t len = tl_blkdir_chain_len(d);
	for (uint32_t h = 0; h < len; h++) {
		const struct tl_chain_entry *ce = tl_blkdir_chain_at(d, h);
		if (tl_blkdir_read(d, &ce->loc, &buf, &cap, &err) || tl_block_parse(&b, buf, ce->loc.size, &err)) {
			fprintf(stderr, "bench_shape: height %u: %s\n", h, err.msg);
			return 1;
		}
		sim_shapestat_block(&s, &b, h);
	}
	printf("%u blocks\n", len);
	sim_shapestat_print(&s, stdout);
	free(buf);
	tl_block_free(&b);
	sim_shapestat_free(&s);
	tl_blkdir_close(d);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "--blocks")) return blocks_dir(argv[2]);
	return bin_dir(argc > 1 ? argv[1] : TL_SHARED_DATA "/mainnet", argc > 2 ? atol(argv[2]) : 0);
}
