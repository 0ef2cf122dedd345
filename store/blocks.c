/* The blocks directory behind a store: a pool of readers, and what is
 * read back from the blk files (raw transactions, owners' script keys)
 * instead of being copied into the database. */
#include <stdlib.h>
#include <string.h>

#include "bitcoin/address.h"
#include "bitcoin/blkfile.h"
#include "base/bytes.h"
#include "store/store_int.h"

int tl_store_set_blocks_dir(struct tl_store *s, const char *dir, struct tl_err *err)
{
	struct tl_blkdir *d;
	if (tl_blkdir_open(dir, s->net, &d, err) < 0) return -1;
	pthread_mutex_lock(&s->blk_lock);
	for (int i = 0; i < s->blk_nfree; i++) tl_blkdir_close(s->blk_free[i]);
	s->blk_nfree = 0;
	free(s->blk_dir);
	s->blk_dir = strdup(dir);
	if (!s->blk_dir) abort();
	s->blk_looked_up = true;
	pthread_mutex_unlock(&s->blk_lock);
	tl_store_blkdir_put(s, d);
	return 0;
}

/* Reads meta "blocks_dir" once. Called with blk_lock held. */
static int look_up_dir(struct tl_store *s, struct tl_err *err)
{
	if (s->blk_looked_up) return 0;
	char *v = NULL;
	if (tl_store_get_meta(s, "blocks_dir", &v, err) < 0) return -1;
	s->blk_dir = v; /* NULL when unset */
	s->blk_looked_up = true;
	return 0;
}

/* 1 when a blocks directory is known, 0 not, -1 on a read error. */
static int have_dir(struct tl_store *s, struct tl_err *err)
{
	pthread_mutex_lock(&s->blk_lock);
	int rc = look_up_dir(s, err) < 0 ? -1 : s->blk_dir != NULL;
	pthread_mutex_unlock(&s->blk_lock);
	return rc;
}

struct tl_blkdir *tl_store_blkdir_get(struct tl_store *s, struct tl_err *err)
{
	struct tl_blkdir *d = NULL;
	pthread_mutex_lock(&s->blk_lock);
	if (look_up_dir(s, err) < 0) {
		pthread_mutex_unlock(&s->blk_lock);
		return NULL;
	}
	if (s->blk_nfree > 0) d = s->blk_free[--s->blk_nfree];
	char *dir = !d && s->blk_dir ? strdup(s->blk_dir) : NULL;
	pthread_mutex_unlock(&s->blk_lock);
	if (d) return d;
	if (!dir) {
		tl_err_set(err, "the blocks directory is unknown (the database does not record it; pass --blocks-dir)");
		return NULL;
	}
	if (tl_blkdir_open(dir, s->net, &d, err) < 0) {
		tl_err_prefix(err, "the blk files (pass --blocks-dir if they moved): ");
		d = NULL;
	}
	free(dir);
	return d;
}

void tl_store_blkdir_put(struct tl_store *s, struct tl_blkdir *d)
{
	if (!d) return;
	pthread_mutex_lock(&s->blk_lock);
	if (s->blk_nfree == s->blk_cap) {
		int nc = s->blk_cap ? 2 * s->blk_cap : 4;
		struct tl_blkdir **f = realloc(s->blk_free, (size_t)nc * sizeof *f);
		if (!f) abort();
		s->blk_free = f;
		s->blk_cap = nc;
	}
	s->blk_free[s->blk_nfree++] = d;
	pthread_mutex_unlock(&s->blk_lock);
}

void tl_store_blocks_close(struct tl_store *s)
{
	for (int i = 0; i < s->blk_nfree; i++) tl_blkdir_close(s->blk_free[i]);
	free(s->blk_free);
	free(s->blk_dir);
	pthread_mutex_destroy(&s->blk_lock);
}

void tl_rawtx_free(struct tl_rawtx *t)
{
	free(t->bytes);
	tl_arena_free(&t->arena);
	t->bytes = NULL;
}

int tl_store_rawtx(struct tl_store *s, struct tl_blkdir *d, const struct tl_tx_rec *r, struct tl_rawtx *out,
		   struct tl_err *err)
{
	struct tl_block_rec b;
	int rc = tl_store_block_by_height(s, r->height, &b, err);
	if (rc <= 0) return rc < 0 ? -1 : tl_err_set(err, "block %d of transaction missing", r->height);
	struct tl_blkdir *own = NULL;
	if (!d && !(d = own = tl_store_blkdir_get(s, err))) return -1;
	out->bytes = malloc(r->size ? r->size : 1);
	if (!out->bytes) abort();
	tl_arena_init(&out->arena);
	rc = tl_blkdir_read_at(d, b.file, (uint64_t)b.offset + r->offset, out->bytes, r->size, err);
	tl_store_blkdir_put(s, own);
	if (rc < 0) goto fail;
	struct tl_reader rd;
	tl_reader_init(&rd, out->bytes, r->size);
	if (tl_tx_parse(&rd, &out->arena, &out->tx, err) < 0) goto fail;
	if (memcmp(out->tx.txid, r->txid, 32) != 0) {
		tl_err_set(err, "blk%05u.dat no longer holds this transaction at the indexed offset", b.file);
		goto fail;
	}
	return 0;
fail:
	tl_rawtx_free(out);
	return -1;
}

/* The transaction that first paid addr_id, read back, and the output
 * that paid it. 1 (free t with tl_rawtx_free), 0 not an owner, -1. */
static int first_output(struct tl_store *s, uint64_t addr_id, struct tl_rawtx *t, uint32_t *vout,
			struct tl_err *err)
{
	/* An owner's first history row is the transaction that first paid
	 * it (an input can only spend an owner already seen). */
	uint64_t first;
	int rc = addr_id ? tl_store_addr_first_tx(s, addr_id, &first, err) : 0;
	if (rc <= 0) return rc;
	struct tl_tx_rec r;
	rc = tl_store_tx(s, first, &r, err);
	if (rc <= 0) return rc < 0 ? -1 : tl_err_set(err, "transaction %llu missing", (unsigned long long)first);
	uint32_t o = 0;
	while (o < r.n_out && r.out[o].addr_id != addr_id) o++;
	if (o == r.n_out)
		rc = tl_err_set(err, "address %llu: its first transaction does not pay it", (unsigned long long)addr_id);
	else
		rc = tl_store_rawtx(s, NULL, &r, t, err) < 0 ? -1 : 1;
	tl_tx_rec_free(&r);
	*vout = o;
	return rc;
}

int tl_store_owner_key(struct tl_store *s, uint64_t addr_id, uint8_t skey[TL_SCRIPT_KEY_MAX], size_t *sklen,
		       struct tl_err *err)
{
	/* Tags are found by script key: without the blk files that is an
	 * error, not an owner without tags. */
	int rc = have_dir(s, err);
	if (rc == 0)
		return tl_err_set(err, "no blocks directory is known (the database records none; pass --blocks-dir): "
				       "owners' script keys are read from the blk files");
	if (rc < 0) return -1;
	struct tl_rawtx t;
	uint32_t o;
	rc = first_output(s, addr_id, &t, &o, err);
	if (rc <= 0) return rc;
	*sklen = tl_script_key(t.tx.out[o].script, t.tx.out[o].script_len, skey);
	tl_rawtx_free(&t);
	return 1;
}

/* The address of output o of t into out: 1, or 0 (out empty) when its
 * script has none. */
static int address_of(struct tl_store *s, const struct tl_rawtx *t, uint32_t o, char out[TL_ADDRESS_MAX])
{
	if (o < t->tx.n_out && tl_address_from_script(t->tx.out[o].script, t->tx.out[o].script_len, s->net, out) == 0)
		return 1;
	out[0] = 0;
	return 0;
}

int tl_store_owner_address(struct tl_store *s, uint64_t addr_id, char out[TL_ADDRESS_MAX], struct tl_err *err)
{
	out[0] = 0;
	int rc = addr_id ? have_dir(s, err) : 0;
	if (rc <= 0) return rc;
	struct tl_rawtx t;
	uint32_t o;
	rc = first_output(s, addr_id, &t, &o, err);
	if (rc <= 0) return rc;
	rc = address_of(s, &t, o, out);
	tl_rawtx_free(&t);
	return rc;
}

int tl_store_output_address(struct tl_store *s, const struct tl_tx_rec *r, uint32_t vout, char out[TL_ADDRESS_MAX],
			    struct tl_err *err)
{
	out[0] = 0;
	int rc = vout < r->n_out && r->out[vout].addr_id ? have_dir(s, err) : 0;
	if (rc <= 0) return rc;
	struct tl_rawtx t;
	if (tl_store_rawtx(s, NULL, r, &t, err) < 0) return -1;
	rc = address_of(s, &t, vout, out);
	tl_rawtx_free(&t);
	return rc;
}
