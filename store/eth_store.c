/* The Ethereum database (eth_store.h): RocksDB setup, network and schema
 * checks, typed rows, digest. Key layouts (docs/schema.md):
 *   eth_block      be64 number                 -> block record
 *   eth_blockhash  hash32                      -> be64 number
 *   eth_tx         hash32                      -> transaction record
 *   eth_acct       address20                   -> be64 id
 *   eth_acctid     be64 id                     -> address20
 *   eth_asset      'a' address20               -> be32 id
 *                  'i' be32 id                 -> asset record
 *   eth_xfer       be64 seq                    -> transfer record
 *   eth_stat       be64 account, be32 asset    -> received, sent, fees (u256 compact), be64 count
 *   eth_hist       be64 account, be32 asset, be64 seq -> (empty)
 *   eth_tag, eth_heist: store/eth_intel.c; eth_screen: store/eth_screen.c
 * Amounts are u256 in their compact form (a length byte, big-endian). */
#include "store/eth_store.h"
#include "store/checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <rocksdb/c.h>

#include "base/bytes.h"
#include "store/eth_store_int.h"
#include "store/digest_cf.h"

static const char *cf_names[TL_ECF_COUNT] = {
	"eth_meta", "eth_block", "eth_blockhash", "eth_tx", "eth_acct", "eth_acctid", "eth_asset", "eth_xfer", "eth_stat", "eth_hist",
	"eth_tag", "eth_heist", "eth_screen", "eth_undo", "eth_xlink",
};

const char *tl_eth_cf_name(enum tl_eth_cf cf) { return (unsigned)cf < TL_ECF_COUNT ? cf_names[cf] : "?"; }

struct tl_eth_store {
	rocksdb_t *db;
	rocksdb_options_t *dbopt;
	rocksdb_options_t *cfopt[TL_ECF_COUNT + 1];
	rocksdb_column_family_handle_t *handles[TL_ECF_COUNT + 1];
	rocksdb_column_family_handle_t **cf;
	rocksdb_cache_t *cache;
	rocksdb_readoptions_t *ro, *ro_total;
	rocksdb_writeoptions_t *wo;
	const struct tl_eth_net *net;
	bool secondary, read_only;
};

/* A batch keeps its puts in an arena and writes them sorted by family
 * and key: RocksDB's memtable inserts keys in order almost for free,
 * where random keys (accounts, totals, history) each cost a skiplist
 * search with cache misses (more than half the indexing time). */
struct put {
	size_t off;       /* in arena: key then value */
	uint32_t kl, vl;
	uint32_t seq;     /* order of the put: the later of two equal keys wins */
	uint8_t cf;
	bool del;         /* a delete of the key (vl 0) */
};
struct tl_eth_batch {
	struct tl_eth_store *s;
	struct tl_buf arena;
	struct put *puts;
	size_t n, cap;
};

static int rocks_err(struct tl_err *err, const char *what, char *rerr)
{
	int r;
	if (rerr && strcasestr(rerr, "lock") && (strcasestr(rerr, "IO error") || strcasestr(rerr, "unavailable")))
		r = tl_err_setc(err, TL_E_CONFLICT, "database is in use by another process (%s)", rerr);
	else
		r = tl_err_setc(err, TL_E_STORE, "%s: %s", what, rerr ? rerr : "unknown RocksDB error");
	free(rerr);
	return r;
}

static rocksdb_options_t *cf_options(struct tl_eth_store *s, int cf)
{
	rocksdb_options_t *opt = rocksdb_options_create();
	rocksdb_block_based_table_options_t *bb = rocksdb_block_based_options_create();
	rocksdb_block_based_options_set_block_cache(bb, s->cache);
	rocksdb_block_based_options_set_block_size(bb, 16 * 1024);
	rocksdb_block_based_options_set_cache_index_and_filter_blocks(bb, 1);
	rocksdb_block_based_options_set_pin_l0_filter_and_index_blocks_in_cache(bb, 1);
	/* point lookups by hash or address are mostly misses while indexing */
	if (cf == TL_ECF_ACCT || cf == TL_ECF_BLOCKHASH || cf == TL_ECF_TX || cf == TL_ECF_STAT)
		rocksdb_block_based_options_set_filter_policy(bb, rocksdb_filterpolicy_create_ribbon(10));
	rocksdb_options_set_block_based_table_factory(opt, bb);
	rocksdb_block_based_options_destroy(bb);
	rocksdb_options_set_compression(opt, rocksdb_zstd_compression);
	rocksdb_options_set_bottommost_compression(opt, rocksdb_zstd_compression);
	rocksdb_options_set_write_buffer_size(opt, (cf == TL_ECF_XFER || cf == TL_ECF_HIST || cf == TL_ECF_TX) ? 32u << 20 : 8u << 20);
	rocksdb_options_set_level_compaction_dynamic_level_bytes(opt, 1);
	rocksdb_options_set_target_file_size_base(opt, 16u << 20);
	return opt;
}

void tl_eth_store_close(struct tl_eth_store *s)
{
	if (!s) return;
	if (s->db) {
		for (int i = 0; i < TL_ECF_COUNT + 1; i++)
			if (s->handles[i]) rocksdb_column_family_handle_destroy(s->handles[i]);
		rocksdb_close(s->db);
	}
	for (int i = 0; i < TL_ECF_COUNT + 1; i++)
		if (s->cfopt[i]) rocksdb_options_destroy(s->cfopt[i]);
	if (s->dbopt) rocksdb_options_destroy(s->dbopt);
	if (s->ro) rocksdb_readoptions_destroy(s->ro);
	if (s->ro_total) rocksdb_readoptions_destroy(s->ro_total);
	if (s->wo) rocksdb_writeoptions_destroy(s->wo);
	if (s->cache) rocksdb_cache_destroy(s->cache);
	free(s);
}

/* The family names stored at path, or -1 when there is no database. */
static int list_families(const char *path, char ***names, size_t *n)
{
	rocksdb_options_t *o = rocksdb_options_create();
	char *rerr = NULL;
	*names = rocksdb_list_column_families(o, path, n, &rerr);
	rocksdb_options_destroy(o);
	if (rerr || !*names) {
		/* on failure RocksDB still hands back an (empty) array */
		if (*names) rocksdb_list_column_families_destroy(*names, *n);
		free(rerr);
		return -1;
	}
	return 0;
}

int tl_eth_store_probe(const char *path)
{
	char **names;
	size_t n;
	if (list_families(path, &names, &n) < 0) return 0;
	int found = 0;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], "eth_xfer")) found = 1;
	rocksdb_list_column_families_destroy(names, n);
	return found;
}

static void put_cf(struct tl_eth_batch *b, int cf, const void *k, size_t kl, const void *v, size_t vl);

static int get_raw(struct tl_eth_store *s, int cf, const void *k, size_t kl, char **v, size_t *vl, struct tl_err *err)
{
	char *rerr = NULL;
	*v = rocksdb_get_cf(s->db, s->ro, s->cf[cf], k, kl, vl, &rerr);
	if (rerr) return rocks_err(err, "reading", rerr);
	return *v ? 1 : 0;
}

int tl_eth_store_open(const char *path, const struct tl_eth_store_opts *opts, struct tl_eth_store **out, struct tl_err *err)
{
	*out = NULL;
	struct stat st;
	char cur[4096];
	snprintf(cur, sizeof cur, "%s/CURRENT", path);
	bool exists = stat(cur, &st) == 0;
	struct tl_eth_store_opts o2 = *opts;
	if (o2.secondary) o2.read_only = true;
	opts = &o2;
	if (opts->secondary && !opts->secondary_path) return tl_err_set(err, "%s: a secondary open needs a secondary path", path);
	if (!exists && (!opts->create || opts->read_only))
		return tl_err_set(err, "%s: no database here (run 'taintline index --chain ethereum' first)", path);
	if (exists && !tl_eth_store_probe(path))
		return tl_err_set(err, "%s: not an Ethereum database (a Bitcoin database? one database per chain)", path);
	if (!exists && !opts->net) return tl_err_set(err, "%s: a new database needs a network", path);

	struct tl_eth_store *s = calloc(1, sizeof *s);
	if (!s) return tl_err_set(err, "out of memory");
	s->cache = rocksdb_cache_create_lru((size_t)(opts->cache_mb ? opts->cache_mb : 64) << 20);
	s->dbopt = rocksdb_options_create();
	rocksdb_options_set_create_if_missing(s->dbopt, opts->create && !opts->read_only);
	/* a writer adds the families a database made by an older build lacks */
	rocksdb_options_set_create_missing_column_families(s->dbopt, !opts->read_only);
	rocksdb_options_set_max_background_jobs(s->dbopt, 2);
	rocksdb_options_set_max_open_files(s->dbopt, 512);
	rocksdb_options_set_atomic_flush(s->dbopt, 1);
	rocksdb_options_set_keep_log_file_num(s->dbopt, 2);
	rocksdb_options_set_info_log_level(s->dbopt, 2);
	rocksdb_options_set_db_write_buffer_size(s->dbopt, 64u << 20);
	const char *names[TL_ECF_COUNT + 1];
	const rocksdb_options_t *cfo[TL_ECF_COUNT + 1];
	names[0] = "default";
	s->cfopt[0] = rocksdb_options_create();
	cfo[0] = s->cfopt[0];
	for (int i = 0; i < TL_ECF_COUNT; i++) {
		names[i + 1] = cf_names[i];
		s->cfopt[i + 1] = cf_options(s, i);
		cfo[i + 1] = s->cfopt[i + 1];
	}
	s->cf = s->handles + 1;
	char *rerr = NULL;
	if (opts->secondary) {
		/* RocksDB requires every file open for a secondary to follow the primary. */
		rocksdb_options_set_max_open_files(s->dbopt, -1);
		s->db = rocksdb_open_as_secondary_column_families(s->dbopt, path, opts->secondary_path, TL_ECF_COUNT + 1,
								  names, cfo, s->handles, &rerr);
	} else if (opts->read_only)
		s->db = rocksdb_open_for_read_only_column_families(s->dbopt, path, TL_ECF_COUNT + 1, names, cfo, s->handles, 0, &rerr);
	else
		s->db = rocksdb_open_column_families(s->dbopt, path, TL_ECF_COUNT + 1, names, cfo, s->handles, &rerr);
	if (!s->db) {
		rocks_err(err, "opening the database", rerr);
		tl_err_prefix(err, "%s: ", path);
		tl_eth_store_close(s);
		return -1;
	}
	s->read_only = opts->read_only || opts->secondary;
	s->ro = rocksdb_readoptions_create();
	s->ro_total = rocksdb_readoptions_create();
	rocksdb_readoptions_set_total_order_seek(s->ro_total, 1);
	rocksdb_readoptions_set_fill_cache(s->ro_total, 0);
	s->wo = rocksdb_writeoptions_create();

	char *v = NULL;
	size_t vl = 0;
	int r = get_raw(s, TL_ECF_META, "network", 7, &v, &vl, err);
	if (r < 0) goto fail;
	if (r == 0) {
		if (!opts->create || opts->read_only || !opts->net) {
			tl_err_set(err, "%s: not a taintline database (no network recorded)", path);
			goto fail;
		}
		struct tl_eth_batch *b = tl_eth_batch_new(s);
		uint8_t ver[4];
		tl_put_be32(ver, TL_ETH_SCHEMA_VERSION);
		put_cf(b, TL_ECF_META, "chain", 5, "ethereum", 8);
		put_cf(b, TL_ECF_META, "network", 7, opts->net->name, strlen(opts->net->name));
		put_cf(b, TL_ECF_META, "schema", 6, ver, 4);
		struct tl_eth_tip t = { .height = -1, .first = -1, .next_acct = 1, .next_asset = 1, .have = 0x7f };
		tl_eth_batch_put_tip(b, &t);
		r = tl_eth_store_write(s, b, err);
		tl_eth_batch_free(b);
		if (r < 0) goto fail;
		s->net = opts->net;
	} else {
		char name[32];
		size_t n = vl < sizeof name - 1 ? vl : sizeof name - 1;
		memcpy(name, v, n);
		name[n] = 0;
		rocksdb_free(v);
		v = NULL;
		s->net = tl_eth_net_by_name(name);
		if (!s->net) {
			tl_err_set(err, "%s: database records unknown network '%s'", path, name);
			goto fail;
		}
		if (opts->net && opts->net != s->net) {
			tl_err_set(err, "%s: database is for network %s, not %s", path, s->net->name, opts->net->name);
			goto fail;
		}
		r = get_raw(s, TL_ECF_META, "schema", 6, &v, &vl, err);
		if (r < 0) goto fail;
		uint32_t ver = (r == 1 && vl == 4) ? tl_get_be32((const uint8_t *)v) : 0;
		if (v) rocksdb_free(v);
		v = NULL;
		if (ver != TL_ETH_SCHEMA_VERSION) {
			tl_err_set(err, "%s: database schema version %u, this program needs %u (re-index)", path, ver,
				   TL_ETH_SCHEMA_VERSION);
			goto fail;
		}
	}
	s->secondary = opts->secondary;
	*out = s;
	return 0;
fail:
	if (v) rocksdb_free(v);
	tl_eth_store_close(s);
	return -1;
}

const struct tl_eth_net *tl_eth_store_net(const struct tl_eth_store *s) { return s->net; }

/* ---- encodings ---- */

static void put_u256(struct tl_buf *b, const tl_uint256 *v)
{
	uint8_t t[33];
	tl_buf_put(b, t, tl_uint256_put_compact(v, t));
}

struct rd {
	const uint8_t *p;
	size_t n;
	bool bad;
};
static const uint8_t *rd_take(struct rd *r, size_t k)
{
	if (r->bad || r->n < k) {
		r->bad = true;
		static const uint8_t zero[64];
		return zero;
	}
	const uint8_t *p = r->p;
	r->p += k;
	r->n -= k;
	return p;
}
static uint64_t rd_u64(struct rd *r) { return tl_get_be64(rd_take(r, 8)); }
static uint32_t rd_u32(struct rd *r) { return tl_get_be32(rd_take(r, 4)); }
static uint8_t rd_u8(struct rd *r) { return *rd_take(r, 1); }
static void rd_bytes(struct rd *r, void *out, size_t k) { memcpy(out, rd_take(r, k), k); }
static void rd_u256(struct rd *r, tl_uint256 *v)
{
	size_t k = r->bad ? 0 : tl_uint256_get_compact(r->p, r->n, v);
	if (!k) {
		r->bad = true;
		*v = tl_uint256_from_u64(0);
		return;
	}
	r->p += k;
	r->n -= k;
}

/* ---- batches ---- */

struct tl_eth_batch *tl_eth_batch_new(struct tl_eth_store *s)
{
	struct tl_eth_batch *b = calloc(1, sizeof *b);
	if (!b) abort();
	b->s = s;
	tl_buf_init(&b->arena);
	return b;
}

void tl_eth_batch_free(struct tl_eth_batch *b)
{
	if (!b) return;
	tl_buf_free(&b->arena);
	free(b->puts);
	free(b);
}

size_t tl_eth_batch_bytes(const struct tl_eth_batch *b) { return b->arena.len + b->n * sizeof *b->puts; }

static void put_op(struct tl_eth_batch *b, int cf, const void *k, size_t kl, const void *v, size_t vl, bool del)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 1024;
		b->puts = realloc(b->puts, b->cap * sizeof *b->puts);
		if (!b->puts) abort();
	}
	struct put *p = &b->puts[b->n];
	p->off = b->arena.len;
	p->kl = (uint32_t)kl;
	p->vl = (uint32_t)vl;
	p->seq = (uint32_t)b->n;
	p->cf = (uint8_t)cf;
	p->del = del;
	b->n++;
	tl_buf_put(&b->arena, k, kl);
	tl_buf_put(&b->arena, v, vl);
}

static void put_cf(struct tl_eth_batch *b, int cf, const void *k, size_t kl, const void *v, size_t vl)
{
	put_op(b, cf, k, kl, v, vl, false);
}

void tl_eth_batch_put_block(struct tl_eth_batch *b, const struct tl_eth_block_rec *r)
{
	uint8_t k[8];
	tl_put_be64(k, r->number);
	struct tl_buf v;
	tl_buf_init(&v);
	tl_buf_put(&v, r->hash, 32);
	tl_buf_put(&v, r->parent, 32);
	tl_buf_u64be(&v, r->timestamp);
	tl_buf_put(&v, r->miner, 20);
	tl_buf_u32be(&v, r->tx_count);
	tl_buf_u64be(&v, r->first_seq);
	tl_buf_u32be(&v, r->n_xfer);
	tl_buf_u8(&v, r->has_base_fee);
	put_u256(&v, &r->base_fee);
	put_cf(b, TL_ECF_BLOCK, k, 8, v.data, v.len);
	put_cf(b, TL_ECF_BLOCKHASH, r->hash, 32, k, 8);
	tl_buf_free(&v);
}

static int dec_block(const char *p, size_t n, struct tl_eth_block_rec *r, uint64_t number)
{
	struct rd d = { (const uint8_t *)p, n, false };
	memset(r, 0, sizeof *r);
	r->number = number;
	rd_bytes(&d, r->hash, 32);
	rd_bytes(&d, r->parent, 32);
	r->timestamp = rd_u64(&d);
	rd_bytes(&d, r->miner, 20);
	r->tx_count = rd_u32(&d);
	r->first_seq = rd_u64(&d);
	r->n_xfer = rd_u32(&d);
	r->has_base_fee = rd_u8(&d);
	rd_u256(&d, &r->base_fee);
	return d.bad ? -1 : 0;
}

void tl_eth_batch_put_tx(struct tl_eth_batch *b, const struct tl_eth_tx_rec *r)
{
	struct tl_buf v;
	tl_buf_init(&v);
	tl_buf_u64be(&v, r->block);
	tl_buf_u32be(&v, r->index);
	tl_buf_put(&v, r->from, 20);
	tl_buf_u8(&v, r->has_to);
	if (r->has_to) tl_buf_put(&v, r->to, 20);
	tl_buf_u8(&v, (uint8_t)r->status);
	put_u256(&v, &r->value);
	put_u256(&v, &r->gas_price);
	tl_buf_u64be(&v, r->gas_used);
	tl_buf_u64be(&v, r->first_seq);
	tl_buf_u32be(&v, r->n_xfer);
	put_cf(b, TL_ECF_TX, r->hash, 32, v.data, v.len);
	tl_buf_free(&v);
}

static int dec_tx(const char *p, size_t n, struct tl_eth_tx_rec *r)
{
	struct rd d = { (const uint8_t *)p, n, false };
	r->block = rd_u64(&d);
	r->index = rd_u32(&d);
	rd_bytes(&d, r->from, 20);
	r->has_to = rd_u8(&d);
	if (r->has_to) rd_bytes(&d, r->to, 20);
	r->status = (int8_t)rd_u8(&d);
	rd_u256(&d, &r->value);
	rd_u256(&d, &r->gas_price);
	r->gas_used = rd_u64(&d);
	r->first_seq = rd_u64(&d);
	r->n_xfer = rd_u32(&d);
	return d.bad ? -1 : 0;
}

void tl_eth_batch_put_account(struct tl_eth_batch *b, const uint8_t addr[20], uint64_t id)
{
	uint8_t k[8];
	tl_put_be64(k, id);
	put_cf(b, TL_ECF_ACCT, addr, 20, k, 8);
	put_cf(b, TL_ECF_ACCTID, k, 8, addr, 20);
}

void tl_eth_batch_put_asset(struct tl_eth_batch *b, const struct tl_eth_asset_rec *r)
{
	uint8_t ka[21], ki[5], id[4];
	ka[0] = 'a';
	memcpy(ka + 1, r->contract, 20);
	ki[0] = 'i';
	tl_put_be32(ki + 1, r->id);
	tl_put_be32(id, r->id);
	put_cf(b, TL_ECF_ASSET, ka, 21, id, 4);
	struct tl_buf v;
	tl_buf_init(&v);
	tl_buf_put(&v, r->contract, 20);
	tl_buf_u8(&v, (uint8_t)(r->decimals < 0 ? 0xff : r->decimals));
	tl_buf_put(&v, r->symbol, strnlen(r->symbol, sizeof r->symbol - 1));
	put_cf(b, TL_ECF_ASSET, ki, 5, v.data, v.len);
	tl_buf_free(&v);
}

void tl_eth_batch_put_xfer(struct tl_eth_batch *b, uint64_t seq, const struct tl_eth_xfer_rec *r)
{
	uint8_t k[8];
	tl_put_be64(k, seq);
	struct tl_buf v;
	tl_buf_init(&v);
	tl_buf_u8(&v, (uint8_t)(r->kind | (r->has_tx ? 0x80 : 0)));
	tl_buf_u64be(&v, r->block);
	tl_buf_u32be(&v, r->tx_index);
	if (r->has_tx) tl_buf_put(&v, r->tx_hash, 32);
	tl_buf_u64be(&v, r->from);
	tl_buf_u64be(&v, r->to);
	tl_buf_u32be(&v, r->asset);
	put_u256(&v, &r->amount);
	if (r->kind == TL_ETH_FEE) put_u256(&v, &r->burnt);
	put_cf(b, TL_ECF_XFER, k, 8, v.data, v.len);
	tl_buf_free(&v);
}

int tl_eth_xfer_decode(const char *p, size_t n, struct tl_eth_xfer_rec *r)
{
	struct rd d = { (const uint8_t *)p, n, false };
	memset(r, 0, sizeof *r);
	uint8_t k = rd_u8(&d);
	r->kind = k & 0x7f;
	r->has_tx = (k & 0x80) != 0;
	r->block = rd_u64(&d);
	r->tx_index = rd_u32(&d);
	if (r->has_tx) rd_bytes(&d, r->tx_hash, 32);
	r->from = rd_u64(&d);
	r->to = rd_u64(&d);
	r->asset = rd_u32(&d);
	rd_u256(&d, &r->amount);
	if (r->kind == TL_ETH_FEE) rd_u256(&d, &r->burnt);
	return d.bad ? -1 : 0;
}

void tl_eth_batch_put_stat(struct tl_eth_batch *b, uint64_t acct, uint32_t asset, const struct tl_eth_stat *st)
{
	uint8_t k[12];
	tl_put_be64(k, acct);
	tl_put_be32(k + 8, asset);
	struct tl_buf v;
	tl_buf_init(&v);
	put_u256(&v, &st->received);
	put_u256(&v, &st->sent);
	put_u256(&v, &st->fees);
	tl_buf_u64be(&v, st->count);
	put_cf(b, TL_ECF_STAT, k, 12, v.data, v.len);
	tl_buf_free(&v);
}

static int dec_stat(const char *p, size_t n, struct tl_eth_stat *st)
{
	struct rd d = { (const uint8_t *)p, n, false };
	rd_u256(&d, &st->received);
	rd_u256(&d, &st->sent);
	rd_u256(&d, &st->fees);
	st->count = rd_u64(&d);
	return d.bad ? -1 : 0;
}

void tl_eth_batch_put_hist(struct tl_eth_batch *b, uint64_t acct, uint32_t asset, uint64_t seq)
{
	uint8_t k[20];
	tl_put_be64(k, acct);
	tl_put_be32(k + 8, asset);
	tl_put_be64(k + 12, seq);
	put_cf(b, TL_ECF_HIST, k, 20, "", 0);
}

void tl_eth_tip_encode(const struct tl_eth_tip *t, uint8_t v[TL_ETH_TIP_BYTES])
{
	tl_put_be64(v, (uint64_t)t->height);
	tl_put_be64(v + 8, (uint64_t)t->first);
	memcpy(v + 16, t->hash, 32);
	tl_put_be64(v + 48, t->next_seq);
	tl_put_be64(v + 56, t->next_acct);
	tl_put_be32(v + 64, t->next_asset);
	tl_put_be64(v + 68, t->txs);
	tl_put_be32(v + 76, t->have);
}

void tl_eth_tip_decode(const uint8_t v[TL_ETH_TIP_BYTES], struct tl_eth_tip *t)
{
	t->height = (int64_t)tl_get_be64(v);
	t->first = (int64_t)tl_get_be64(v + 8);
	memcpy(t->hash, v + 16, 32);
	t->next_seq = tl_get_be64(v + 48);
	t->next_acct = tl_get_be64(v + 56);
	t->next_asset = tl_get_be32(v + 64);
	t->txs = tl_get_be64(v + 68);
	t->have = tl_get_be32(v + 76);
}

void tl_eth_batch_put_tip(struct tl_eth_batch *b, const struct tl_eth_tip *t)
{
	uint8_t v[TL_ETH_TIP_BYTES];
	tl_eth_tip_encode(t, v);
	put_cf(b, TL_ECF_META, "tip", 3, v, sizeof v);
}

int tl_eth_store_tip(struct tl_eth_store *s, struct tl_eth_tip *t, struct tl_err *err)
{
	char *v;
	size_t vl;
	int r = get_raw(s, TL_ECF_META, "tip", 3, &v, &vl, err);
	if (r <= 0) return r < 0 ? -1 : tl_err_set(err, "the database has no tip record");
	if (vl != TL_ETH_TIP_BYTES) {
		rocksdb_free(v);
		return tl_err_set(err, "the tip record is damaged");
	}
	tl_eth_tip_decode((const uint8_t *)v, t);
	rocksdb_free(v);
	return 0;
}

static const uint8_t *sort_arena;
static int cmp_put(const void *a, const void *b)
{
	const struct put *x = a, *y = b;
	if (x->cf != y->cf) return x->cf < y->cf ? -1 : 1;
	size_t n = x->kl < y->kl ? x->kl : y->kl;
	int c = memcmp(sort_arena + x->off, sort_arena + y->off, n);
	if (c) return c;
	if (x->kl != y->kl) return x->kl < y->kl ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int tl_eth_store_write(struct tl_eth_store *s, struct tl_eth_batch *b, struct tl_err *err)
{
	/* one writer (eth_store.h), so the comparator's arena can be static */
	sort_arena = b->arena.data;
	if (b->n > 1) qsort(b->puts, b->n, sizeof *b->puts, cmp_put);
	rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
	for (size_t i = 0; i < b->n; i++) {
		const struct put *p = &b->puts[i];
		/* of equal keys only the last put counts */
		if (i + 1 < b->n && b->puts[i + 1].cf == p->cf && b->puts[i + 1].kl == p->kl &&
		    !memcmp(b->arena.data + b->puts[i + 1].off, b->arena.data + p->off, p->kl))
			continue;
		const char *k = (const char *)b->arena.data + p->off;
		if (p->del) rocksdb_writebatch_delete_cf(wb, s->cf[p->cf], k, p->kl);
		else rocksdb_writebatch_put_cf(wb, s->cf[p->cf], k, p->kl, k + p->kl, p->vl);
	}
	char *rerr = NULL;
	rocksdb_write(s->db, s->wo, wb, &rerr);
	rocksdb_writebatch_destroy(wb);
	if (rerr) return rocks_err(err, "writing", rerr);
	/* the batch is spent: empty it for reuse */
	b->n = 0;
	b->arena.len = 0;
	return 0;
}

/* ---- reads ---- */

int tl_eth_store_account_id(struct tl_eth_store *s, const uint8_t addr[20], uint64_t *id, struct tl_err *err)
{
	char *v;
	size_t vl;
	int r = get_raw(s, TL_ECF_ACCT, addr, 20, &v, &vl, err);
	if (r <= 0) return r;
	*id = vl == 8 ? tl_get_be64((const uint8_t *)v) : 0;
	rocksdb_free(v);
	return *id ? 1 : tl_err_set(err, "an account record is damaged");
}

int tl_eth_store_account_addr(struct tl_eth_store *s, uint64_t id, uint8_t addr[20], struct tl_err *err)
{
	uint8_t k[8];
	tl_put_be64(k, id);
	char *v;
	size_t vl;
	int r = get_raw(s, TL_ECF_ACCTID, k, 8, &v, &vl, err);
	if (r <= 0) return r;
	if (vl == 20) memcpy(addr, v, 20);
	rocksdb_free(v);
	return vl == 20 ? 1 : tl_err_set(err, "an account record is damaged");
}

int tl_eth_store_asset_id(struct tl_eth_store *s, const uint8_t contract[20], uint32_t *id, struct tl_err *err)
{
	uint8_t k[21];
	k[0] = 'a';
	memcpy(k + 1, contract, 20);
	char *v;
	size_t vl;
	int r = get_raw(s, TL_ECF_ASSET, k, 21, &v, &vl, err);
	if (r <= 0) return r;
	*id = vl == 4 ? tl_get_be32((const uint8_t *)v) : 0;
	rocksdb_free(v);
	return *id ? 1 : tl_err_set(err, "an asset record is damaged");
}

int tl_eth_store_asset(struct tl_eth_store *s, uint32_t id, struct tl_eth_asset_rec *r, struct tl_err *err)
{
	memset(r, 0, sizeof *r);
	r->id = id;
	if (id == 0) {
		strcpy(r->symbol, "ETH");
		r->decimals = 18;
		return 1;
	}
	uint8_t k[5];
	k[0] = 'i';
	tl_put_be32(k + 1, id);
	char *v;
	size_t vl;
	int rc = get_raw(s, TL_ECF_ASSET, k, 5, &v, &vl, err);
	if (rc <= 0) return rc;
	if (vl < 21) {
		rocksdb_free(v);
		return tl_err_set(err, "an asset record is damaged");
	}
	memcpy(r->contract, v, 20);
	uint8_t dec = (uint8_t)v[20];
	r->decimals = dec == 0xff ? -1 : dec;
	size_t sl = vl - 21 < sizeof r->symbol - 1 ? vl - 21 : sizeof r->symbol - 1;
	memcpy(r->symbol, v + 21, sl);
	rocksdb_free(v);
	return 1;
}

int tl_eth_store_stat(struct tl_eth_store *s, uint64_t acct, uint32_t asset, struct tl_eth_stat *st, struct tl_err *err)
{
	uint8_t k[12];
	tl_put_be64(k, acct);
	tl_put_be32(k + 8, asset);
	char *v;
	size_t vl;
	memset(st, 0, sizeof *st);
	int r = get_raw(s, TL_ECF_STAT, k, 12, &v, &vl, err);
	if (r <= 0) return r;
	int d = dec_stat(v, vl, st);
	rocksdb_free(v);
	return d < 0 ? tl_err_set(err, "a totals record is damaged") : 1;
}

int tl_eth_store_account_stats(struct tl_eth_store *s, uint64_t acct, uint32_t **assets, struct tl_eth_stat **stats,
			       size_t *n, struct tl_err *err)
{
	*assets = NULL;
	*stats = NULL;
	*n = 0;
	size_t cap = 0;
	uint8_t k[8];
	tl_put_be64(k, acct);
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(s->db, s->ro, s->cf[TL_ECF_STAT]);
	int rc = 0;
	for (rocksdb_iter_seek(it, (const char *)k, 8); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
		size_t kl, vl;
		const char *key = rocksdb_iter_key(it, &kl);
		if (kl != 12 || memcmp(key, k, 8)) break;
		const char *v = rocksdb_iter_value(it, &vl);
		if (*n == cap) {
			cap = cap ? cap * 2 : 4;
			*assets = realloc(*assets, cap * sizeof **assets);
			*stats = realloc(*stats, cap * sizeof **stats);
			if (!*assets || !*stats) abort();
		}
		(*assets)[*n] = tl_get_be32((const uint8_t *)key + 8);
		if (dec_stat(v, vl, &(*stats)[*n]) < 0) {
			rc = tl_err_set(err, "a totals record is damaged");
			break;
		}
		(*n)++;
	}
	char *rerr = NULL;
	rocksdb_iter_get_error(it, &rerr);
	rocksdb_iter_destroy(it);
	if (rerr) rc = rocks_err(err, "reading totals", rerr);
	return rc;
}

int tl_eth_store_history(struct tl_eth_store *s, uint64_t acct, uint32_t asset, uint64_t before, uint64_t *seqs,
			 int limit, struct tl_err *err)
{
	uint8_t k[20];
	tl_put_be64(k, acct);
	tl_put_be32(k + 8, asset);
	tl_put_be64(k + 12, before);
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(s->db, s->ro, s->cf[TL_ECF_HIST]);
	int n = 0;
	/* the last key below (acct, asset, before) */
	rocksdb_iter_seek_for_prev(it, (const char *)k, 20);
	if (rocksdb_iter_valid(it)) {
		size_t kl;
		const char *key = rocksdb_iter_key(it, &kl);
		if (kl == 20 && !memcmp(key, k, 20)) rocksdb_iter_prev(it); /* strictly before */
	}
	for (; n < limit && rocksdb_iter_valid(it); rocksdb_iter_prev(it)) {
		size_t kl;
		const char *key = rocksdb_iter_key(it, &kl);
		if (kl != 20 || memcmp(key, k, 12)) break;
		seqs[n++] = tl_get_be64((const uint8_t *)key + 12);
	}
	char *rerr = NULL;
	rocksdb_iter_get_error(it, &rerr);
	rocksdb_iter_destroy(it);
	if (rerr) return rocks_err(err, "reading history", rerr);
	return n;
}

int tl_eth_store_xfer(struct tl_eth_store *s, uint64_t seq, struct tl_eth_xfer_rec *r, struct tl_err *err)
{
	uint8_t k[8];
	tl_put_be64(k, seq);
	char *v;
	size_t vl;
	int rc = get_raw(s, TL_ECF_XFER, k, 8, &v, &vl, err);
	if (rc <= 0) return rc;
	int d = tl_eth_xfer_decode(v, vl, r);
	rocksdb_free(v);
	return d < 0 ? tl_err_set(err, "a transfer record is damaged") : 1;
}

int tl_eth_store_tx(struct tl_eth_store *s, const uint8_t hash[32], struct tl_eth_tx_rec *r, struct tl_err *err)
{
	char *v;
	size_t vl;
	memset(r, 0, sizeof *r);
	int rc = get_raw(s, TL_ECF_TX, hash, 32, &v, &vl, err);
	if (rc <= 0) return rc;
	memcpy(r->hash, hash, 32);
	int d = dec_tx(v, vl, r);
	rocksdb_free(v);
	return d < 0 ? tl_err_set(err, "a transaction record is damaged") : 1;
}

int tl_eth_store_block(struct tl_eth_store *s, uint64_t number, struct tl_eth_block_rec *r, struct tl_err *err)
{
	uint8_t k[8];
	tl_put_be64(k, number);
	char *v;
	size_t vl;
	int rc = get_raw(s, TL_ECF_BLOCK, k, 8, &v, &vl, err);
	if (rc <= 0) return rc;
	int d = dec_block(v, vl, r, number);
	rocksdb_free(v);
	return d < 0 ? tl_err_set(err, "a block record is damaged") : 1;
}

int tl_eth_store_block_by_hash(struct tl_eth_store *s, const uint8_t hash[32], struct tl_eth_block_rec *r,
			       struct tl_err *err)
{
	char *v;
	size_t vl;
	int rc = get_raw(s, TL_ECF_BLOCKHASH, hash, 32, &v, &vl, err);
	if (rc <= 0) return rc;
	uint64_t n = vl == 8 ? tl_get_be64((const uint8_t *)v) : 0;
	rocksdb_free(v);
	if (vl != 8) return tl_err_set(err, "a block hash record is damaged");
	return tl_eth_store_block(s, n, r, err);
}

int tl_eth_store_digest(struct tl_eth_store *s, uint8_t out[32], uint64_t *counts, struct tl_err *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return tl_err_set(err, "sha256 init failed");
	}
	for (int c = 0; c < TL_ECF_COUNT; c++) {
		uint64_t n;
		/* undo rows are bookkeeping of how the tip was reached (how deep
		 * they go depends on the reorgs seen), not content */
		if (c == TL_ECF_UNDO) {
			if (counts) counts[c] = 0;
			continue;
		}
		char *rerr = tl_digest_cf(ctx, s->db, s->ro_total, s->cf[c], cf_names[c], NULL, &n);
		if (rerr) {
			EVP_MD_CTX_free(ctx);
			return rocks_err(err, "reading for digest", rerr);
		}
		if (counts) counts[c] = n;
	}
	unsigned int ol = 32;
	EVP_DigestFinal_ex(ctx, out, &ol);
	EVP_MD_CTX_free(ctx);
	return 0;
}

/* ---- for the other store files (eth_store_int.h) ---- */

int tl_eth_store_get_raw(struct tl_eth_store *s, int cf, const void *k, size_t kl, char **v, size_t *vl,
			 struct tl_err *err)
{
	return get_raw(s, cf, k, kl, v, vl, err);
}

rocksdb_iterator_t *tl_eth_store_iter(struct tl_eth_store *s, int cf, bool fill_cache)
{
	return rocksdb_create_iterator_cf(s->db, fill_cache ? s->ro : s->ro_total, s->cf[cf]);
}

void tl_eth_batch_put_raw(struct tl_eth_batch *b, int cf, const void *k, size_t kl, const void *v, size_t vl)
{
	put_cf(b, cf, k, kl, v, vl);
}

void tl_eth_batch_del_raw(struct tl_eth_batch *b, int cf, const void *k, size_t kl)
{
	put_op(b, cf, k, kl, "", 0, true);
}

int tl_eth_store_rocks_err(struct tl_err *err, const char *what, char *rerr) { return rocks_err(err, what, rerr); }

int tl_eth_store_delete_range(struct tl_eth_store *s, int cf, const void *a, size_t al, const void *b, size_t bl,
			      struct tl_err *err)
{
	char *rerr = NULL;
	rocksdb_delete_range_cf(s->db, s->wo, s->cf[cf], a, al, b, bl, &rerr);
	return rerr ? rocks_err(err, "deleting", rerr) : 0;
}

int tl_eth_store_catch_up(struct tl_eth_store *s, struct tl_err *err)
{
	if (!s->secondary) return tl_err_set(err, "database not opened as a secondary");
	char *rerr = NULL;
	rocksdb_try_catch_up_with_primary(s->db, &rerr);
	if (rerr) return rocks_err(err, "catching up with the primary", rerr);
	return 0;
}

int tl_eth_store_checkpoint(struct tl_eth_store *s, const char *dir, struct tl_err *err)
{
	if (s->read_only)
		return tl_err_set(err, "a checkpoint is made by the database's writer: open it for writing (no index may be "
				       "running on it)");
	return tl_rocks_checkpoint(s->db, dir, err);
}
