/* Parse benchmark: blocks/s, tx/s and MB/s for parse + txid over the real
 * mainnet sample blocks, against the floor a parser cannot go below: the
 * txid hashing of the same transactions (double SHA-256 of each one's
 * serialization without witness, prepared before the clock starts),
 * measured side by side in one run. Double SHA-256 of the whole block
 * bytes (witnesses included, which no txid hashes) is printed beside it
 * for comparison with earlier figures.
 *   bench_parse [DIR] [ROUNDS]   (DIR defaults to the reference mainnet folder) */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bitcoin/block.h"
#include "bitcoin/hash.h"
#include "txid_floor.h"

struct blob {
	uint8_t *p;
	size_t n;
	/* the block's transactions without witness, back to back */
	uint8_t *stripped;
	uint32_t *off;     /* n_tx + 1 offsets into stripped */
	uint32_t n_tx;
};

static void strip_block(struct blob *bl, const struct tl_block *b)
{
	size_t cap = 0, off_cap = 0;
	bl->stripped = NULL;
	bl->off = NULL;
	txid_floor_strip_block(b, &bl->stripped, &cap, &bl->off, &off_cap);
	bl->n_tx = b->n_tx;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint8_t *read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f) return NULL;
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc((size_t)len);
	if (!b || fread(b, 1, (size_t)len, f) != (size_t)len) {
		fclose(f);
		free(b);
		return NULL;
	}
	fclose(f);
	*n = (size_t)len;
	return b;
}

int main(int argc, char **argv)
{
	char dirpath[4096];
	snprintf(dirpath, sizeof dirpath, "%s", argc > 1 ? argv[1] : TL_SHARED_DATA "/mainnet");
	int rounds = argc > 2 ? atoi(argv[2]) : 20;
	DIR *d = opendir(dirpath);
	if (!d) {
		fprintf(stderr, "bench_parse: cannot open %s (pass a folder of raw .bin blocks)\n", dirpath);
		return 1;
	}
	struct blob blobs[256];
	size_t nb = 0, bytes = 0;
	struct dirent *de;
	while ((de = readdir(d)) && nb < 256) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".bin")) continue;
		char path[8192];
		snprintf(path, sizeof path, "%s/%s", dirpath, de->d_name);
		blobs[nb].p = read_file(path, &blobs[nb].n);
		if (!blobs[nb].p) continue;
		bytes += blobs[nb].n;
		nb++;
	}
	closedir(d);
	if (!nb) {
		fprintf(stderr, "bench_parse: no .bin blocks in %s\n", dirpath);
		return 1;
	}
	struct tl_block b;
	struct tl_err err;
	tl_block_init(&b);
	size_t stripped_bytes = 0;
	for (size_t i = 0; i < nb; i++) {
		if (tl_block_parse(&b, blobs[i].p, blobs[i].n, &err)) {
			fprintf(stderr, "bench_parse: %s\n", err.msg);
			return 1;
		}
		strip_block(&blobs[i], &b);
		/* the copies must hash to the parser's txids, or the floor is wrong */
		for (uint32_t t = 0; t < b.n_tx; t++) {
			uint8_t h[32];
			tl_sha256d(blobs[i].stripped + blobs[i].off[t], blobs[i].off[t + 1] - blobs[i].off[t], h);
			if (memcmp(h, b.tx[t].txid, 32)) {
				fprintf(stderr, "bench_parse: stripped copy of tx %u does not hash to its txid\n", t);
				return 1;
			}
		}
		stripped_bytes += blobs[i].off[b.n_tx];
	}
	uint64_t txs = 0;
	uint8_t sink[32] = { 0 };
	double t_floor = 1e9, t_parse = 1e9, t_block = 1e9;
	/* Interleave the two measurements and keep each one's best round, so
	 * that noise from the other core affects both alike. */
	for (int r = 0; r < rounds; r++) {
		double tb = now();
		for (size_t i = 0; i < nb; i++) {
			uint8_t h[32];
			tl_sha256d(blobs[i].p, blobs[i].n, h);
			sink[2] ^= h[0];
		}
		double t0 = now();
		for (size_t i = 0; i < nb; i++)
			for (uint32_t t = 0; t < blobs[i].n_tx; t++) {
				uint8_t h[32];
				tl_sha256d(blobs[i].stripped + blobs[i].off[t], blobs[i].off[t + 1] - blobs[i].off[t], h);
				sink[0] ^= h[0];
			}
		double t1 = now();
		uint64_t n = 0;
		for (size_t i = 0; i < nb; i++) {
			if (tl_block_parse(&b, blobs[i].p, blobs[i].n, &err)) {
				fprintf(stderr, "bench_parse: %s\n", err.msg);
				return 1;
			}
			n += b.n_tx;
			sink[1] ^= b.tx[b.n_tx - 1].txid[0];
		}
		double t2 = now();
		txs = n;
		if (t0 - tb < t_block) t_block = t0 - tb;
		if (t1 - t0 < t_floor) t_floor = t1 - t0;
		if (t2 - t1 < t_parse) t_parse = t2 - t1;
	}
	tl_block_free(&b);
	double mb = bytes / 1e6;
	printf("sample: %zu blocks, %llu transactions, %.1f MB; best of %d rounds\n", nb, (unsigned long long)txs, mb,
	       rounds);
	printf("(%.1f MB without witnesses: what txids hash)\n", stripped_bytes / 1e6);
	printf("%-26s %10s %12s %10s\n", "", "blocks/s", "tx/s", "MB/s");
	printf("%-26s %10.0f %12.0f %10.1f\n", "floor: txid hashing", nb / t_floor, txs / t_floor, mb / t_floor);
	printf("%-26s %10.0f %12.0f %10.1f\n", "parse + txid", nb / t_parse, txs / t_parse, mb / t_parse);
	printf("%-26s %10.0f %12.0f %10.1f\n", "(sha256d of whole blocks)", nb / t_block, txs / t_block, mb / t_block);
	printf("ratio parse/floor: %.2fx (goal <= 1.5x)   [sink %02x%02x%02x]\n", t_parse / t_floor, sink[0], sink[1], sink[2]);
	for (size_t i = 0; i < nb; i++) {
		free(blobs[i].p);
		free(blobs[i].stripped);
		free(blobs[i].off);
	}
	return 0;
}
