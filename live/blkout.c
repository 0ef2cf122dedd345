/* Blocks directory writer for fetched blocks (live/blkout.h). */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "live/blkout.h"

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

static int open_file(struct tl_blkout *w, struct tl_err *err)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/blk%05u.dat", w->dir, w->file);
	w->f = fopen(path, "ab");
	if (!w->f) return tl_err_set(err, "cannot open %s: %s", path, strerror(errno));
	struct stat sb;
	if (fstat(fileno(w->f), &sb) != 0) return tl_err_set(err, "cannot stat %s: %s", path, strerror(errno));
	w->size = (uint64_t)sb.st_size;
	return 0;
}

int tl_blkout_open(struct tl_blkout *w, const char *dir, const struct tl_netparams *np, struct tl_err *err)
{
	memset(w, 0, sizeof *w);
	if (strlen(dir) >= sizeof w->dir - 64) return tl_err_set(err, "blocks directory path too long");
	strcpy(w->dir, dir);
	memcpy(w->magic, np->magic, 4);
	if (mkdir_p(dir)) return tl_err_set(err, "cannot create %s: %s", dir, strerror(errno));
	char path[4200];
	struct stat sb;
	snprintf(path, sizeof path, "%s/%s", dir, TL_BLKOUT_MARKER);
	if (stat(path, &sb) != 0) {
		DIR *d = opendir(dir);
		if (!d) return tl_err_set(err, "cannot read %s: %s", dir, strerror(errno));
		struct dirent *e;
		int has_blk = 0;
		while ((e = readdir(d)))
			if (!strncmp(e->d_name, "blk", 3)) has_blk = 1;
		closedir(d);
		if (has_blk)
			return tl_err_set(err, "%s holds blk files that taintline did not fetch (a node's own "
					  "blocks directory?): choose another --blocks-dir", dir);
		FILE *f = fopen(path, "w");
		if (!f || fputs("Blocks fetched from a Bitcoin Core node over RPC by taintline.\n", f) < 0 ||
		    fclose(f))
			return tl_err_set(err, "cannot write %s: %s", path, strerror(errno));
	}
	for (uint32_t n = 0;; n++) {
		snprintf(path, sizeof path, "%s/blk%05u.dat", dir, n + 1);
		if (stat(path, &sb) != 0) {
			w->file = n;
			break;
		}
	}
	return open_file(w, err);
}

int tl_blkout_append(struct tl_blkout *w, const uint8_t *block, size_t len, struct tl_err *err)
{
	if (len > 0xffffffffu - 8) return tl_err_set(err, "block too large");
	if (w->size && w->size + 8 + len > TL_BLKOUT_FILE_MAX) {
		if (tl_blkout_sync(w, err) < 0) return -1;
		fclose(w->f);
		w->f = NULL;
		w->file++;
		if (open_file(w, err) < 0) return -1;
	}
	uint8_t hdr[8];
	memcpy(hdr, w->magic, 4);
	for (int i = 0; i < 4; i++) hdr[4 + i] = (uint8_t)(len >> (8 * i));
	if (fwrite(hdr, 1, 8, w->f) != 8 || fwrite(block, 1, len, w->f) != len)
		return tl_err_set(err, "%s/blk%05u.dat: write failed: %s", w->dir, w->file, strerror(errno));
	w->size += 8 + len;
	return 0;
}

int tl_blkout_sync(struct tl_blkout *w, struct tl_err *err)
{
	if (!w->f) return 0;
	if (fflush(w->f) != 0 || fdatasync(fileno(w->f)) != 0)
		return tl_err_set(err, "%s/blk%05u.dat: cannot sync: %s", w->dir, w->file, strerror(errno));
	return 0;
}

void tl_blkout_close(struct tl_blkout *w)
{
	if (!w->f) return;
	if (tl_blkout_sync(w, NULL) < 0) { /* reported by the caller's own sync */
	}
	fclose(w->f);
	w->f = NULL;
}
