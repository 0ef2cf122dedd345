#include "bitcoin/blkfile.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/bytes.h"
#include "bitcoin/hash.h"

/* Core refuses records larger than MAX_SIZE; blocks are at most 4 MB. */
#define MAX_RECORD TL_MAX_BLOCK_SIZE
#define SCAN_CHUNK (1u << 20)

struct blkfile_state {
	uint64_t scanned;   /* bytes of the file already scanned */
};

struct tl_blkdir {
	char *dir;
	const struct tl_netparams *np;
	uint8_t key[8];
	int obfuscated;
	tl_blk_warn_fn warn;
	void *warn_ctx;

	struct blkfile_state *files;
	uint32_t n_files;

	int open_fd;            /* cached descriptor for reads */
	uint32_t open_file;

	struct tl_chain_entry *ent;  /* every block seen */
	int32_t *parent;             /* index of parent in ent, -1 unknown */
	uint32_t n_ent, cap_ent;
	int32_t *table;              /* open addressing on hash -> index */
	uint32_t table_cap;

	uint32_t *chain;             /* best chain: indexes into ent by height */
	uint32_t chain_len;
	struct tl_u256 tip_work;     /* its tip's total work */

	struct tl_scan_report rep;
};

void tl_xor_apply(uint8_t *buf, size_t len, uint64_t pos, const uint8_t key[8])
{
	for (size_t i = 0; i < len; i++) buf[i] ^= key[(pos + i) & 7];
}

static void warnf(struct tl_blkdir *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warnf(struct tl_blkdir *d, const char *fmt, ...)
{
	if (!d->warn) return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	d->warn(d->warn_ctx, msg);
}

static void file_path(const struct tl_blkdir *d, uint32_t n, char *out, size_t cap)
{
	snprintf(out, cap, "%s/blk%05u.dat", d->dir, n);
}

int tl_blkdir_open(const char *dir, const struct tl_netparams *np, struct tl_blkdir **out, struct tl_err *err)
{
	char path[4096];
	struct stat st;
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) return tl_err_set(err, "%s: not a directory", dir);
	snprintf(path, sizeof path, "%s/blk00000.dat", dir);
	if (stat(path, &st)) return tl_err_set(err, "%s: no blk00000.dat (not a blocks directory?)", dir);

	struct tl_blkdir *d = calloc(1, sizeof *d);
	if (!d) abort();
	d->dir = strdup(dir);
	d->np = np;
	d->open_fd = -1;
	snprintf(path, sizeof path, "%s/xor.dat", dir);
	FILE *f = fopen(path, "rb");
	if (f) {
		uint8_t extra;
		size_t n = fread(d->key, 1, 8, f);
		int more = fread(&extra, 1, 1, f) == 1;
		fclose(f);
		if (n != 8 || more) {
			tl_blkdir_close(d);
			return tl_err_set(err, "%s: xor.dat must hold exactly 8 bytes", dir);
		}
		for (int i = 0; i < 8; i++)
			if (d->key[i]) d->obfuscated = 1;
	}
	*out = d;
	return 0;
}

void tl_blkdir_close(struct tl_blkdir *d)
{
	if (!d) return;
	if (d->open_fd >= 0) close(d->open_fd);
	free(d->dir);
	free(d->files);
	free(d->ent);
	free(d->parent);
	free(d->table);
	free(d->chain);
	free(d);
}

void tl_blkdir_set_warn(struct tl_blkdir *d, tl_blk_warn_fn fn, void *ctx)
{
	d->warn = fn;
	d->warn_ctx = ctx;
}

const struct tl_netparams *tl_blkdir_net(const struct tl_blkdir *d) { return d->np; }

/* --- hash table of blocks --- */

static uint32_t hash_slot(const uint8_t h[32], uint32_t cap)
{
	uint64_t v;
	memcpy(&v, h, 8); /* block hashes are uniformly random in these bytes */
	return (uint32_t)(v ^ (v >> 29)) & (cap - 1);
}

static int32_t table_find(const struct tl_blkdir *d, const uint8_t h[32])
{
	if (!d->table_cap) return -1;
	for (uint32_t s = hash_slot(h, d->table_cap);; s = (s + 1) & (d->table_cap - 1)) {
		int32_t i = d->table[s];
		if (i < 0) return -1;
		if (!memcmp(d->ent[i].hash, h, 32)) return i;
	}
}

static void table_insert(struct tl_blkdir *d, uint32_t idx)
{
	if ((d->n_ent + 1) * 2 > d->table_cap) {
		uint32_t cap = d->table_cap ? d->table_cap * 2 : 1024;
		free(d->table);
		d->table = malloc(cap * sizeof *d->table);
		if (!d->table) abort();
		memset(d->table, 0xff, cap * sizeof *d->table);
		d->table_cap = cap;
		for (uint32_t i = 0; i < d->n_ent; i++) {
			if (i == idx) continue;
			uint32_t s = hash_slot(d->ent[i].hash, cap);
			while (d->table[s] >= 0) s = (s + 1) & (cap - 1);
			d->table[s] = (int32_t)i;
		}
	}
	uint32_t s = hash_slot(d->ent[idx].hash, d->table_cap);
	while (d->table[s] >= 0) s = (s + 1) & (d->table_cap - 1);
	d->table[s] = (int32_t)idx;
}

static void add_entry(struct tl_blkdir *d, const struct tl_header *h, uint32_t file, uint32_t off, uint32_t size,
		      uint32_t n_tx)
{
	if (table_find(d, h->hash) >= 0) {
		d->rep.duplicates++;
		return;
	}
	if (d->n_ent == d->cap_ent) {
		d->cap_ent = d->cap_ent ? d->cap_ent * 2 : 1024;
		d->ent = realloc(d->ent, d->cap_ent * sizeof *d->ent);
		d->parent = realloc(d->parent, d->cap_ent * sizeof *d->parent);
		if (!d->ent || !d->parent) abort();
	}
	struct tl_chain_entry *e = &d->ent[d->n_ent];
	memset(e, 0, sizeof *e);
	memcpy(e->hash, h->hash, 32);
	memcpy(e->prev, h->prev, 32);
	e->time = h->time;
	e->bits = h->bits;
	e->loc.file = file;
	e->loc.offset = off;
	e->loc.size = size;
	e->n_tx = n_tx;
	e->height = -1;
	d->n_ent++;
	table_insert(d, d->n_ent - 1);
}

/* --- reading --- */

static int pread_full(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, (off_t)(off + got));
		if (n < 0) {
			if (errno == EINTR) continue;
			return -1;
		}
		if (n == 0) return -1;
		got += (size_t)n;
	}
	return 0;
}

static int is_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i]) return 0;
	return 1;
}

/* Finds the next offset >= from where the (de-obfuscated) network magic
 * starts and the raw bytes are not Core's zero padding. Returns the file
 * size if there is none. */
static uint64_t resync(struct tl_blkdir *d, int fd, uint64_t from, uint64_t fsize)
{
	uint8_t *buf = malloc(SCAN_CHUNK + 3);
	if (!buf) abort();
	uint64_t pos = from;
	while (pos + 8 <= fsize) {
		size_t n = (size_t)((fsize - pos) < SCAN_CHUNK + 3 ? (fsize - pos) : SCAN_CHUNK + 3);
		if (pread_full(fd, buf, n, pos)) break;
		if (d->obfuscated) tl_xor_apply(buf, n, pos, d->key);
		for (size_t i = 0; i + 4 <= n; i++) {
			if (!memcmp(buf + i, d->np->magic, 4)) {
				free(buf);
				return pos + i;
			}
		}
		if (n < SCAN_CHUNK + 3) break;
		pos += SCAN_CHUNK;
	}
	free(buf);
	return fsize;
}

/* The first offset >= from whose raw (not de-obfuscated) byte is non-zero,
 * or fsize. */
static uint64_t skip_zeros(int fd, uint64_t from, uint64_t fsize)
{
	uint8_t buf[65536];
	uint64_t pos = from;
	while (pos < fsize) {
		size_t n = (size_t)(fsize - pos < sizeof buf ? fsize - pos : sizeof buf);
		if (pread_full(fd, buf, n, pos)) return fsize;
		for (size_t i = 0; i < n; i++)
			if (buf[i]) return pos + i;
		pos += n;
	}
	return fsize;
}

static int scan_file(struct tl_blkdir *d, uint32_t fno, struct tl_err *err)
{
	char path[4096];
	file_path(d, fno, path, sizeof path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return tl_err_set(err, "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st)) {
		close(fd);
		return tl_err_set(err, "%s: %s", path, strerror(errno));
	}
	uint64_t fsize = (uint64_t)st.st_size;
	struct blkfile_state *fs = &d->files[fno];
	uint64_t pos = fs->scanned;
	d->rep.bytes += fsize;
	d->rep.files++;

	uint8_t hb[8 + TL_HEADER_SIZE + 9];
	while (pos + 8 <= fsize) {
		size_t want = (size_t)(fsize - pos < sizeof hb ? fsize - pos : sizeof hb);
		if (pread_full(fd, hb, want, pos)) {
			close(fd);
			return tl_err_set(err, "%s: read error at offset %llu", path, (unsigned long long)pos);
		}
		/* Preallocated space is raw zeros, never obfuscated. Resync only
		 * past the zeros: de-obfuscated, zeros read as the key, which may
		 * itself contain the magic (found by fuzzing: it looped here). */
		if (is_zero(hb, 8)) {
			uint64_t nz = skip_zeros(fd, pos, fsize);
			uint64_t next = nz < fsize ? resync(d, fd, nz, fsize) : fsize;
			if (next >= fsize) {
				if (nz < fsize) {
					warnf(d, "%s offset %llu: garbage after zero padding", path,
					      (unsigned long long)nz);
					d->rep.garbage_skips++;
				}
				break; /* zero tail: Core's preallocation */
			}
			warnf(d, "%s offset %llu: %llu zero bytes before the next record", path,
			      (unsigned long long)pos, (unsigned long long)(next - pos));
			d->rep.garbage_skips++;
			pos = next;
			continue;
		}
		if (d->obfuscated) tl_xor_apply(hb, want, pos, d->key);
		if (memcmp(hb, d->np->magic, 4)) {
			const struct tl_netparams *other = tl_net_by_magic(hb);
			if (other) {
				warnf(d, "%s offset %llu: record of network %s, expected %s", path,
				      (unsigned long long)pos, other->name, d->np->name);
				d->rep.wrong_magic++;
			} else {
				warnf(d, "%s offset %llu: garbage (no network magic); resynchronising", path,
				      (unsigned long long)pos);
				d->rep.garbage_skips++;
			}
			pos = resync(d, fd, pos + 1, fsize);
			continue;
		}
		uint32_t size = tl_get_le32(hb + 4);
		if (size < TL_HEADER_SIZE + 1 || size > MAX_RECORD) {
			warnf(d, "%s offset %llu: record size %u out of range; resynchronising", path,
			      (unsigned long long)pos, size);
			d->rep.garbage_skips++;
			pos = resync(d, fd, pos + 1, fsize);
			continue;
		}
		if (pos + 8 + size > fsize) {
			warnf(d, "%s offset %llu: record of %u bytes truncated by the end of the file", path,
			      (unsigned long long)pos, size);
			d->rep.truncated++;
			/* A later scan may find it complete (Core still writing). */
			break;
		}
		struct tl_header h;
		tl_header_parse(hb + 8, TL_HEADER_SIZE, &h, NULL);
		struct tl_reader r;
		tl_reader_init(&r, hb + 8 + TL_HEADER_SIZE, want - 8 - TL_HEADER_SIZE);
		uint64_t ntx = 0;
		if (tl_read_compact(&r, &ntx) || ntx == 0) {
			warnf(d, "%s offset %llu: bad transaction count; skipping record", path,
			      (unsigned long long)pos);
			d->rep.garbage_skips++;
			pos = resync(d, fd, pos + 1, fsize);
			continue;
		}
		if (tl_header_check_pow(&h, d->np, NULL)) {
			char hex[65];
			tl_hash_to_hex(h.hash, hex);
			warnf(d, "%s offset %llu: block %s fails its proof of work; ignored", path,
			      (unsigned long long)pos, hex);
			d->rep.bad_pow++;
		} else {
			add_entry(d, &h, fno, (uint32_t)(pos + 8), size, (uint32_t)ntx);
			d->rep.records++;
		}
		pos += 8 + size;
	}
	fs->scanned = pos;
	close(fd);
	return 0;
}

/* Heights and chain work (into work[], one per entry) for every entry
 * linked to genesis; entries that do not link stay at height -1
 * (orphans). */
static void link_entries(struct tl_blkdir *d, struct tl_u256 *work)
{
	for (uint32_t i = 0; i < d->n_ent; i++) {
		d->parent[i] = table_find(d, d->ent[i].prev);
		d->ent[i].height = -1;
	}
	uint32_t *stack = malloc((d->n_ent + 1) * sizeof *stack);
	if (!stack) abort();
	for (uint32_t i = 0; i < d->n_ent; i++) {
		if (d->ent[i].height >= 0) continue;
		/* Walk up to a resolved ancestor, genesis or a dead end. */
		uint32_t sp = 0;
		int32_t j = (int32_t)i;
		int ok = 0;
		while (1) {
			struct tl_chain_entry *e = &d->ent[j];
			if (e->height >= 0) { ok = 1; break; }
			if (e->height == -2) break; /* known orphan */
			stack[sp++] = (uint32_t)j;
			if (!memcmp(e->hash, d->np->genesis, 32)) {
				e->height = 0;
				tl_bits_work(e->bits, &work[j]);
				sp--;
				ok = 1;
				break;
			}
			if (d->parent[j] < 0 || sp > d->n_ent) break;
			j = d->parent[j];
		}
		while (sp) {
			uint32_t k = stack[--sp];
			struct tl_chain_entry *e = &d->ent[k];
			if (!ok) {
				e->height = -2;
				continue;
			}
			e->height = d->ent[d->parent[k]].height + 1;
			tl_bits_work(e->bits, &work[k]);
			tl_u256_add(&work[k], &work[d->parent[k]]);
		}
	}
	free(stack);
}

/* Links the entries and orders the chain with the most work by height.
 * The work of each entry is only needed here. */
static void select_chain(struct tl_blkdir *d)
{
	struct tl_u256 *work = calloc(d->n_ent + 1, sizeof *work);
	if (!work) abort();
	link_entries(d, work);
	int32_t best = -1;
	for (uint32_t i = 0; i < d->n_ent; i++) {
		if (d->ent[i].height < 0) continue;
		/* Most work wins; on a tie the first block found stays, as Core
		 * keeps the first-received tip. */
		if (best < 0 || tl_u256_cmp(&work[i], &work[best]) > 0) best = (int32_t)i;
	}
	memset(&d->tip_work, 0, sizeof d->tip_work);
	if (best >= 0) d->tip_work = work[best];
	free(work);
	free(d->chain);
	d->chain = NULL;
	d->chain_len = 0;
	uint32_t linked = 0, orphans = 0;
	for (uint32_t i = 0; i < d->n_ent; i++) {
		if (d->ent[i].height >= 0) linked++;
		else orphans++;
	}
	d->rep.orphans = orphans;
	if (best < 0) {
		d->rep.stale = 0;
		return;
	}
	d->chain_len = (uint32_t)d->ent[best].height + 1;
	d->chain = malloc(d->chain_len * sizeof *d->chain);
	if (!d->chain) abort();
	for (int32_t j = best; j >= 0; j = d->ent[j].height > 0 ? d->parent[j] : -1)
		d->chain[d->ent[j].height] = (uint32_t)j;
	d->rep.stale = linked - d->chain_len;
}

int tl_blkdir_scan(struct tl_blkdir *d, struct tl_scan_report *rep, struct tl_err *err)
{
	uint32_t dup = d->rep.duplicates, rec = d->rep.records, bad = d->rep.bad_pow;
	memset(&d->rep, 0, sizeof d->rep);
	d->rep.duplicates = dup;
	d->rep.records = rec;
	d->rep.bad_pow = bad;
	for (uint32_t fno = 0;; fno++) {
		char path[4096];
		struct stat st;
		file_path(d, fno, path, sizeof path);
		if (stat(path, &st)) break;
		if (fno >= d->n_files) {
			d->files = realloc(d->files, (fno + 1) * sizeof *d->files);
			if (!d->files) abort();
			memset(&d->files[fno], 0, sizeof *d->files);
			d->n_files = fno + 1;
		}
		if (scan_file(d, fno, err)) return -1;
	}
	select_chain(d);
	if (rep) *rep = d->rep;
	return 0;
}

uint32_t tl_blkdir_chain_len(const struct tl_blkdir *d) { return d->chain_len; }

void tl_blkdir_tip_work(const struct tl_blkdir *d, struct tl_u256 *out) { *out = d->tip_work; }

size_t tl_blkdir_mem_bytes(const struct tl_blkdir *d)
{
	return (size_t)d->cap_ent * (sizeof *d->ent + sizeof *d->parent) + (size_t)d->table_cap * sizeof *d->table +
	       (size_t)d->chain_len * sizeof *d->chain + (size_t)d->n_files * sizeof *d->files;
}

const struct tl_chain_entry *tl_blkdir_chain_at(const struct tl_blkdir *d, uint32_t height)
{
	if (height >= d->chain_len) return NULL;
	return &d->ent[d->chain[height]];
}

const struct tl_chain_entry *tl_blkdir_find(const struct tl_blkdir *d, const uint8_t hash[32])
{
	int32_t i = table_find(d, hash);
	return i < 0 ? NULL : &d->ent[i];
}

static int get_fd(struct tl_blkdir *d, uint32_t file, struct tl_err *err)
{
	if (d->open_fd >= 0 && d->open_file == file) return d->open_fd;
	if (d->open_fd >= 0) close(d->open_fd);
	char path[4096];
	file_path(d, file, path, sizeof path);
	d->open_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (d->open_fd < 0) return tl_err_set(err, "%s: %s", path, strerror(errno));
	d->open_file = file;
	return d->open_fd;
}

int tl_blkdir_read_at(struct tl_blkdir *d, uint32_t file, uint64_t offset, uint8_t *out, size_t len,
		      struct tl_err *err)
{
	int fd = get_fd(d, file, err);
	if (fd < 0) return -1;
	if (pread_full(fd, out, len, offset))
		return tl_err_set(err, "blk%05u.dat: cannot read %zu bytes at offset %llu", file, len,
				  (unsigned long long)offset);
	if (d->obfuscated) tl_xor_apply(out, len, offset, d->key);
	return 0;
}

int tl_blkdir_read(struct tl_blkdir *d, const struct tl_blkloc *loc, uint8_t **buf, size_t *cap,
		   struct tl_err *err)
{
	if (*cap < loc->size) {
		uint8_t *b = realloc(*buf, loc->size);
		if (!b) abort();
		*buf = b;
		*cap = loc->size;
	}
	return tl_blkdir_read_at(d, loc->file, loc->offset, *buf, loc->size, err);
}
