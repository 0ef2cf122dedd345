#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "bitcoin/tx.h"

#include <openssl/sha.h>
#include <string.h>

#include "bitcoin/hash.h"

/* Counts cannot exceed what the remaining bytes could hold: an input is at
 * least 41 bytes, an output 9, a witness item 1. This bounds allocations
 * on hostile input before anything is read. */
#define MIN_TXIN_SIZE 41
#define MIN_TXOUT_SIZE 9

static int read_count(struct tl_reader *r, size_t min_elem, uint64_t *n)
{
	if (tl_read_compact(r, n)) return -1;
	if (min_elem && *n > tl_reader_left(r) / min_elem) return -1;
	return 0;
}

int tl_tx_parse(struct tl_reader *r, struct tl_arena *arena, struct tl_tx *tx, struct tl_err *err)
{
	size_t start = r->pos;
	uint32_t ver;
	uint64_t n_in, n_out;
	memset(tx, 0, sizeof *tx);

	if (tl_read_u32le(r, &ver)) return tl_err_set(err, "truncated transaction version");
	tx->version = (int32_t)ver;
	size_t body_start = r->pos;
	if (read_count(r, 0, &n_in)) return tl_err_set(err, "bad input count");
	if (n_in == 0) {
		/* BIP144: a zero input count followed by flag 1 marks the
		 * extended serialization. */
		uint8_t flag;
		if (tl_read_u8(r, &flag)) return tl_err_set(err, "truncated segwit flag");
		if (flag != 1) return tl_err_set(err, "unknown transaction serialization flag %u", flag);
		tx->has_witness = true;
		body_start = r->pos;
		if (read_count(r, 0, &n_in)) return tl_err_set(err, "bad input count");
		if (n_in == 0) return tl_err_set(err, "segwit transaction without inputs");
	}
	if (n_in > tl_reader_left(r) / MIN_TXIN_SIZE)
		return tl_err_set(err, "input count %llu exceeds the remaining %zu bytes", (unsigned long long)n_in,
				  tl_reader_left(r));
	tx->n_in = (uint32_t)n_in;
	tx->in = tl_arena_alloc(arena, n_in * sizeof *tx->in);
	for (uint32_t i = 0; i < tx->n_in; i++) {
		struct tl_txin *in = &tx->in[i];
		uint64_t sl;
		const uint8_t *s;
		if (tl_read_bytes(r, 32, &in->prev_txid) || tl_read_u32le(r, &in->prev_vout) ||
		    tl_read_compact(r, &sl) || tl_read_bytes(r, sl, &s) || tl_read_u32le(r, &in->sequence))
			return tl_err_set(err, "truncated input %u", i);
		in->script_sig = s;
		in->script_sig_len = (uint32_t)sl;
		in->witness = NULL;
		in->witness_len = in->witness_items = 0;
	}
	if (read_count(r, MIN_TXOUT_SIZE, &n_out)) return tl_err_set(err, "bad output count");
	tx->n_out = (uint32_t)n_out;
	tx->out = tl_arena_alloc(arena, (n_out ? n_out : 1) * sizeof *tx->out);
	for (uint32_t i = 0; i < tx->n_out; i++) {
		struct tl_txout *o = &tx->out[i];
		uint64_t sl;
		const uint8_t *s;
		if (tl_read_u64le(r, &o->value) || tl_read_compact(r, &sl) || tl_read_bytes(r, sl, &s))
			return tl_err_set(err, "truncated output %u", i);
		o->script = s;
		o->script_len = (uint32_t)sl;
	}
	size_t body_end = r->pos;
	if (tx->has_witness) {
		bool any = false;
		for (uint32_t i = 0; i < tx->n_in; i++) {
			struct tl_txin *in = &tx->in[i];
			size_t ws = r->pos;
			uint64_t items;
			if (read_count(r, 1, &items)) return tl_err_set(err, "truncated witness of input %u", i);
			for (uint64_t k = 0; k < items; k++) {
				uint64_t il;
				if (tl_read_compact(r, &il) || tl_skip(r, il))
					return tl_err_set(err, "truncated witness item %llu of input %u",
							  (unsigned long long)k, i);
			}
			in->witness = r->p + ws;
			in->witness_len = (uint32_t)(r->pos - ws);
			in->witness_items = (uint32_t)items;
			if (items) any = true;
		}
		/* Core rejects a marker with all-empty witnesses ("Superfluous
		 * witness record"). */
		if (!any) return tl_err_set(err, "segwit marker with empty witnesses");
	}
	if (tl_read_u32le(r, &tx->locktime)) return tl_err_set(err, "truncated locktime");

	tx->raw = r->p + start;
	tx->size = (uint32_t)(r->pos - start);
	if (tx->has_witness) {
		/* txid covers version | inputs | outputs | locktime, skipping the
		 * marker, flag and witnesses. */
		SHA256_CTX c;
		uint8_t t[32];
		SHA256_Init(&c);
		SHA256_Update(&c, r->p + start, 4);
		SHA256_Update(&c, r->p + body_start, body_end - body_start);
		SHA256_Update(&c, r->p + r->pos - 4, 4);
		SHA256_Final(t, &c);
		tl_sha256(t, 32, tx->txid);
		tx->stripped_size = (uint32_t)(8 + body_end - body_start);
	} else {
		tx->stripped_size = tx->size;
		tl_sha256d(tx->raw, tx->size, tx->txid);
	}
	return 0;
}

void tl_tx_wtxid(const struct tl_tx *tx, uint8_t out[32])
{
	if (tx->has_witness) tl_sha256d(tx->raw, tx->size, out);
	else memcpy(out, tx->txid, 32);
}

int tl_witness_next(const struct tl_txin *in, size_t *pos, const uint8_t **item, size_t *len)
{
	if (!in->witness) return 0;
	struct tl_reader r;
	tl_reader_init(&r, in->witness, in->witness_len);
	uint64_t n;
	if (*pos == 0) {
		if (tl_read_compact(&r, &n)) return 0;
	} else {
		r.pos = *pos;
	}
	if (r.pos >= r.len) return 0;
	const uint8_t *p;
	if (tl_read_compact(&r, &n) || tl_read_bytes(&r, n, &p)) return 0;
	*item = p;
	*len = n;
	*pos = r.pos;
	return 1;
}
