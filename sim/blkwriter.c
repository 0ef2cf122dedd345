/* Block files as Bitcoin Core writes them: records of magic, size and
 * block in blk%05u.dat, a new file when the next record would take one to
 * 128 MiB (or the test-only smaller size of tl_sim_params.blockfile_max), every byte XORed with xor.dat's key at its file offset. Also
 * the regtest genesis block and a tiny miner. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bitcoin/blkfile.h"
#include "bitcoin/hash.h"
#include "sim/internal.h"

static void blk_path(const struct sim_blkw *w, uint32_t n, char *out, size_t cap)
{
	snprintf(out, cap, "%s/blk%05u.dat", w->dir, n);
}

static int mkdir_p(const char *path)
{
	char tmp[4096];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof tmp) return -1;
	memcpy(tmp, path, n + 1);
	for (size_t i = 1; i < n; i++) {
		if (tmp[i] != '/') continue;
		tmp[i] = 0;
		if (mkdir(tmp, 0777) && errno != EEXIST) return -1;
		tmp[i] = '/';
	}
	if (mkdir(tmp, 0777) && errno != EEXIST) return -1;
	return 0;
}

int sim_blkw_open(struct sim_blkw *w, const char *dir, const struct tl_netparams *np, const uint8_t key[8],
		  bool append, struct tl_err *err)
{
	memset(w, 0, sizeof *w);
	w->held_countdown = -1;
	w->np = np;
	w->file_max = TL_SIM_BLOCKFILE_MAX;
	if (strlen(dir) >= sizeof w->dir - 32) return tl_err_set(err, "blocks directory path too long");
	strcpy(w->dir, dir);
	if (mkdir_p(dir)) return tl_err_set(err, "cannot create %s: %s", dir, strerror(errno));
	char path[4200];
	struct stat sb;
	snprintf(path, sizeof path, "%s/xor.dat", dir);
	if (!append) {
		blk_path(w, 0, path, sizeof path);
		if (stat(path, &sb) == 0)
			return tl_err_set(err, "%s already holds blk files; choose an empty directory", dir);
		snprintf(path, sizeof path, "%s/xor.dat", dir);
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(key, 1, 8, f) != 8 || fclose(f))
			return tl_err_set(err, "cannot write %s: %s", path, strerror(errno));
		memcpy(w->key, key, 8);
		w->file = 0;
		w->file_size = 0;
	} else {
		FILE *f = fopen(path, "rb");
		memset(w->key, 0, 8);
		if (f) {
			size_t got = fread(w->key, 1, 8, f);
			fclose(f);
			if (got != 8) return tl_err_set(err, "%s: expected an 8-byte key", path);
		}
		uint32_t n = 0;
		for (;; n++) {
			blk_path(w, n + 1, path, sizeof path);
			if (stat(path, &sb) != 0) break;
		}
		blk_path(w, n, path, sizeof path);
		if (stat(path, &sb) != 0) return tl_err_set(err, "%s: no blk00000.dat to append to", dir);
		w->file = n;
		w->file_size = (uint64_t)sb.st_size;
	}
	blk_path(w, w->file, path, sizeof path);
	w->f = fopen(path, append ? "r+b" : "wb");
	if (!w->f) return tl_err_set(err, "cannot open %s: %s", path, strerror(errno));
	if (fseeko(w->f, (off_t)w->file_size, SEEK_SET))
		return tl_err_set(err, "cannot seek in %s: %s", path, strerror(errno));
	w->files_touched = 1;
	return 0;
}

static int write_record(struct sim_blkw *w, const uint8_t *blk, size_t len, struct tl_err *err)
{
	char path[4200];
	if (w->file_size + 8 + len >= w->file_max && w->file_size > 0) {
		if (fclose(w->f)) return tl_err_set(err, "closing blk%05u.dat: %s", w->file, strerror(errno));
		w->file++;
		w->file_size = 0;
		blk_path(w, w->file, path, sizeof path);
		w->f = fopen(path, "wb");
		if (!w->f) return tl_err_set(err, "cannot create %s: %s", path, strerror(errno));
		w->files_touched++;
	}
	struct tl_buf *b = &w->scratch;
	b->len = 0;
	tl_buf_put(b, w->np->magic, 4);
	tl_buf_u32le(b, (uint32_t)len);
	tl_buf_put(b, blk, len);
	tl_xor_apply(b->data, b->len, w->file_size, w->key);
	if (fwrite(b->data, 1, b->len, w->f) != b->len)
		return tl_err_set(err, "writing blk%05u.dat: %s", w->file, strerror(errno));
	w->file_size += b->len;
	w->bytes_written += b->len;
	return 0;
}

int sim_blkw_write(struct sim_blkw *w, const uint8_t *blk, size_t len, int delay, struct tl_err *err)
{
	if (delay > 0 && w->held_countdown < 0) {
		w->held.len = 0;
		tl_buf_put(&w->held, blk, len);
		w->held_countdown = delay;
		return 0;
	}
	if (write_record(w, blk, len, err)) return -1;
	if (w->held_countdown > 0 && --w->held_countdown == 0) {
		w->held_countdown = -1;
		if (write_record(w, w->held.data, w->held.len, err)) return -1;
	}
	return 0;
}

int sim_blkw_close(struct sim_blkw *w, struct tl_err *err)
{
	int rc = 0;
	if (w->f && w->held_countdown >= 0) {
		w->held_countdown = -1;
		rc = write_record(w, w->held.data, w->held.len, err);
	}
	if (w->f && fclose(w->f) && rc == 0) rc = tl_err_set(err, "closing blk%05u.dat: %s", w->file, strerror(errno));
	w->f = NULL;
	tl_buf_free(&w->held);
	tl_buf_free(&w->scratch);
	return rc;
}

void sim_genesis_block(struct tl_buf *out)
{
	static const char *cb_script =
		"04ffff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e20"
		"6272696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73";
	static const char *pk_script =
		"4104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504"
		"e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac";
	uint8_t ss[77], spk[67];
	tl_hex_decode(cb_script, strlen(cb_script), ss, sizeof ss);
	tl_hex_decode(pk_script, strlen(pk_script), spk, sizeof spk);
	struct tl_buf tx;
	tl_buf_init(&tx);
	tl_buf_u32le(&tx, 1);
	tl_buf_compact(&tx, 1);
	uint8_t zero[32] = { 0 };
	tl_buf_put(&tx, zero, 32);
	tl_buf_u32le(&tx, 0xffffffffu);
	tl_buf_compact(&tx, sizeof ss);
	tl_buf_put(&tx, ss, sizeof ss);
	tl_buf_u32le(&tx, 0xffffffffu);
	tl_buf_compact(&tx, 1);
	tl_buf_u64le(&tx, 5000000000ull);
	tl_buf_compact(&tx, sizeof spk);
	tl_buf_put(&tx, spk, sizeof spk);
	tl_buf_u32le(&tx, 0);
	uint8_t merkle[32];
	tl_sha256d(tx.data, tx.len, merkle);
	tl_buf_u32le(out, 1);
	tl_buf_put(out, zero, 32);
	tl_buf_put(out, merkle, 32);
	tl_buf_u32le(out, 1296688602u);
	tl_buf_u32le(out, 0x207fffffu);
	tl_buf_u32le(out, 2);
	tl_buf_compact(out, 1);
	tl_buf_put(out, tx.data, tx.len);
	tl_buf_free(&tx);
}

/* hash (little-endian 256-bit number) <= target of bits? */
static bool meets(const uint8_t hash[32], uint32_t bits)
{
	uint8_t t[32] = { 0 };
	int e = (int)(bits >> 24);
	uint32_t m = bits & 0x007fffffu;
	for (int i = 0; i < 3; i++) {
		int pos = e - 3 + i;
		if (pos >= 0 && pos < 32) t[pos] = (uint8_t)(m >> (8 * i));
	}
	for (int i = 31; i >= 0; i--) {
		if (hash[i] < t[i]) return true;
		if (hash[i] > t[i]) return false;
	}
	return true;
}

void sim_mine(uint8_t hdr[80], uint8_t hash[32])
{
	uint32_t bits = tl_get_le32(hdr + 72);
	for (uint32_t nonce = 0;; nonce++) {
		tl_put_le32(hdr + 76, nonce);
		tl_sha256d(hdr, 80, hash);
		if (meets(hash, bits)) return;
	}
}
