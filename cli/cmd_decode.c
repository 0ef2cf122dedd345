/* taintline decode: a raw block (binary or hex; file or stdin) printed in
 * the shape of Bitcoin Core's `getblock <hash> 2`. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitcoin/address.h"
#include "bitcoin/block.h"
#include "bitcoin/hash.h"
#include "bitcoin/script.h"
#include "cli/cli.h"
#include "cli/jsonw.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: taintline decode [--network main|test|signet|regtest] FILE|-\n"
		   "  Decodes one serialized block (raw bytes or hex text) and prints it as\n"
		   "  Bitcoin Core's `getblock <hash> 2` JSON.\n"
		   "  --network N   address encoding (default main)\n"
		   "  -h, --help    this text\n");
}

static uint8_t *slurp(FILE *f, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	uint8_t *b = malloc(cap);
	if (!b) abort();
	size_t got;
	while ((got = fread(b + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			if (cap > 64u << 20) break; /* far above any block, even as hex */
			cap *= 2;
			b = realloc(b, cap);
			if (!b) abort();
		}
	}
	*len = n;
	return b;
}

/* Hex text is decoded (whitespace anywhere is ignored, so wrapped output
 * of xxd -p or a copied RPC answer works); anything else is taken as raw
 * bytes. */
static int maybe_hex(uint8_t **data, size_t *len)
{
	size_t digits = 0;
	for (size_t i = 0; i < *len; i++) {
		if (isspace((*data)[i])) continue;
		if (!isxdigit((*data)[i])) return 0;
		digits++;
	}
	if (!digits) return 0;
	char *hex = malloc(digits + 1);
	if (!hex) abort();
	size_t k = 0;
	for (size_t i = 0; i < *len; i++)
		if (!isspace((*data)[i])) hex[k++] = (char)(*data)[i];
	uint8_t *raw;
	size_t n;
	int rc = tl_hex_decode_alloc(hex, digits, &raw, &n);
	free(hex);
	if (rc) return -1;
	free(*data);
	*data = raw;
	*len = n;
	return 0;
}

static void emit_tx(struct jw *w, const struct tl_tx *tx, const struct tl_netparams *np)
{
	char hex[65];
	jw_obj(w);
	tl_hash_to_hex(tx->txid, hex);
	jw_key(w, "txid"); jw_str(w, hex);
	uint8_t wtxid[32];
	tl_tx_wtxid(tx, wtxid);
	tl_hash_to_hex(wtxid, hex);
	jw_key(w, "hash"); jw_str(w, hex);
	jw_key(w, "version"); jw_int(w, tx->version);
	jw_key(w, "size"); jw_uint(w, tx->size);
	jw_key(w, "vsize"); jw_uint(w, tl_tx_vsize(tx));
	jw_key(w, "weight"); jw_uint(w, tl_tx_weight(tx));
	jw_key(w, "locktime"); jw_uint(w, tx->locktime);
	jw_key(w, "vin"); jw_arr(w);
	int coinbase = tl_tx_is_coinbase(tx);
	for (uint32_t i = 0; i < tx->n_in; i++) {
		const struct tl_txin *in = &tx->in[i];
		jw_obj(w);
		if (coinbase) {
			jw_key(w, "coinbase"); jw_hex(w, in->script_sig, in->script_sig_len);
		} else {
			tl_hash_to_hex(in->prev_txid, hex);
			jw_key(w, "txid"); jw_str(w, hex);
			jw_key(w, "vout"); jw_uint(w, in->prev_vout);
			jw_key(w, "scriptSig"); jw_obj(w);
			jw_key(w, "hex"); jw_hex(w, in->script_sig, in->script_sig_len);
			jw_end_obj(w);
		}
		if (in->witness_items) {
			jw_key(w, "txinwitness"); jw_arr(w);
			size_t pos = 0, ilen;
			const uint8_t *item;
			while (tl_witness_next(in, &pos, &item, &ilen)) jw_hex(w, item, ilen);
			jw_end_arr(w);
		}
		jw_key(w, "sequence"); jw_uint(w, in->sequence);
		jw_end_obj(w);
	}
	jw_end_arr(w);
	jw_key(w, "vout"); jw_arr(w);
	for (uint32_t i = 0; i < tx->n_out; i++) {
		const struct tl_txout *o = &tx->out[i];
		struct tl_script_info si;
		char addr[TL_ADDRESS_MAX];
		tl_script_classify(o->script, o->script_len, &si);
		jw_obj(w);
		jw_key(w, "value"); jw_btc(w, o->value);
		jw_key(w, "n"); jw_uint(w, i);
		jw_key(w, "scriptPubKey"); jw_obj(w);
		jw_key(w, "hex"); jw_hex(w, o->script, o->script_len);
		if (tl_address_from_script(o->script, o->script_len, np, addr) == 0) {
			jw_key(w, "address"); jw_str(w, addr);
		}
		jw_key(w, "type"); jw_str(w, tl_script_type_name(si.type));
		jw_end_obj(w);
		jw_end_obj(w);
	}
	jw_end_arr(w);
	jw_end_obj(w);
}

static void emit_block(const struct tl_block *b, const struct tl_netparams *np, FILE *f)
{
	struct jw w;
	char hex[65];
	jw_init(&w, f);
	jw_obj(&w);
	tl_hash_to_hex(b->hdr.hash, hex);
	jw_key(&w, "hash"); jw_str(&w, hex);
	jw_key(&w, "size"); jw_uint(&w, b->size);
	jw_key(&w, "strippedsize"); jw_uint(&w, b->stripped_size);
	jw_key(&w, "weight"); jw_uint(&w, b->weight);
	int64_t h;
	if (tl_block_bip34_height(b, &h) == 0) {
		jw_key(&w, "height"); jw_int(&w, h);
	}
	jw_key(&w, "version"); jw_int(&w, b->hdr.version);
	char vh[9];
	snprintf(vh, sizeof vh, "%08x", (uint32_t)b->hdr.version);
	jw_key(&w, "versionHex"); jw_str(&w, vh);
	tl_hash_to_hex(b->hdr.merkle, hex);
	jw_key(&w, "merkleroot"); jw_str(&w, hex);
	jw_key(&w, "time"); jw_uint(&w, b->hdr.time);
	jw_key(&w, "nonce"); jw_uint(&w, b->hdr.nonce);
	char bits[9];
	snprintf(bits, sizeof bits, "%08x", b->hdr.bits);
	jw_key(&w, "bits"); jw_str(&w, bits);
	char diff[64];
	snprintf(diff, sizeof diff, "%.16g", tl_bits_difficulty(b->hdr.bits));
	jw_key(&w, "difficulty"); jw_raw(&w, diff);
	jw_key(&w, "nTx"); jw_uint(&w, b->n_tx);
	if (!tl_hash_is_zero(b->hdr.prev)) {
		tl_hash_to_hex(b->hdr.prev, hex);
		jw_key(&w, "previousblockhash"); jw_str(&w, hex);
	}
	jw_key(&w, "tx"); jw_arr(&w);
	for (uint32_t i = 0; i < b->n_tx; i++) emit_tx(&w, &b->tx[i], np);
	jw_end_arr(&w);
	jw_end_obj(&w);
	jw_finish(&w);
}

int cmd_decode(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "network", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct tl_netparams *np = tl_net_params(TL_NET_MAIN);
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			np = tl_net_by_name(optarg);
			if (!np) {
				fprintf(stderr, "decode: unknown network '%s' (main, test, signet, regtest)\n", optarg);
				return TL_EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return TL_EXIT_OK;
		default:
			usage(stderr);
			return TL_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return TL_EXIT_USAGE;
	}
	const char *path = argv[optind];
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!f) {
		fprintf(stderr, "decode: %s: %s\n", path, strerror(errno));
		return TL_EXIT_FAIL;
	}
	size_t len;
	uint8_t *data = slurp(f, &len);
	if (f != stdin) fclose(f);
	if (maybe_hex(&data, &len)) {
		fprintf(stderr, "decode: %s: odd number of hex digits\n", path);
		free(data);
		return TL_EXIT_FAIL;
	}
	struct tl_block b;
	struct tl_err err;
	tl_block_init(&b);
	int rc = TL_EXIT_OK;
	if (tl_block_parse(&b, data, len, &err)) {
		fprintf(stderr, "decode: %s: %s\n", path, err.msg);
		rc = TL_EXIT_FAIL;
	} else {
		emit_block(&b, np, stdout);
	}
	tl_block_free(&b);
	free(data);
	return rc;
}
