/* Fuzz target: the blocks-directory reader. The input becomes
 * blk00000.dat (first byte chooses whether an xor.dat key is used), then
 * the directory is scanned and every chain block read back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bitcoin/blkfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256];

static void put(const char *name, const uint8_t *p, size_t n)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f) abort();
	if (n && fwrite(p, 1, n, f) != n) abort();
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dir[0]) {
		snprintf(dir, sizeof dir, "/tmp/fuzz-blkdir-%d", (int)getpid());
		mkdir(dir, 0700);
	}
	if (size < 1) return 0;
	char xorpath[512];
	snprintf(xorpath, sizeof xorpath, "%s/xor.dat", dir);
	if ((data[0] & 1) && size >= 9) {
		put("xor.dat", data + 1, 8);
		data += 9;
		size -= 9;
	} else {
		unlink(xorpath);
		data += 1;
		size -= 1;
	}
	put("blk00000.dat", data, size);
	struct tl_blkdir *d;
	struct tl_err err;
	if (tl_blkdir_open(dir, tl_net_params(TL_NET_REGTEST), &d, &err)) return 0;
	struct tl_scan_report rep;
	if (tl_blkdir_scan(d, &rep, &err) == 0) {
		uint8_t *buf = NULL;
		size_t cap = 0;
		for (uint32_t h = 0; h < tl_blkdir_chain_len(d); h++)
			(void)tl_blkdir_read(d, &tl_blkdir_chain_at(d, h)->loc, &buf, &cap, &err);
		free(buf);
	}
	tl_blkdir_close(d);
	return 0;
}
