/* Public keys through libsecp256k1, with one shared context. */
#include "bitcoin/pubkey.h"

#include <pthread.h>
#include <secp256k1.h>
#include <stdlib.h>

#include "base/bytes.h"
#include "bitcoin/script.h"

static secp256k1_context *g_ctx;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void ctx_init(void)
{
	/* Since libsecp256k1 0.2 every context can verify; NONE is the
	 * documented flag. Creation only fails on allocation failure. */
	g_ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	if (!g_ctx) abort();
}

const struct secp256k1_context_struct *tl_secp_ctx(void)
{
	pthread_once(&g_once, ctx_init);
	return g_ctx;
}

static int parse(const uint8_t *key, size_t len, secp256k1_pubkey *pk)
{
	if (!key || (len != 33 && len != 65)) return 0;
	/* libsecp256k1 checks the prefix against the length and that the
	 * point is on the curve (it also takes hybrid 06/07 keys, as Core's
	 * CPubKey::IsFullyValid does). */
	return secp256k1_ec_pubkey_parse(tl_secp_ctx(), pk, key, len);
}

int tl_pubkey_valid(const uint8_t *key, size_t len)
{
	secp256k1_pubkey pk;
	return parse(key, len, &pk) ? 1 : 0;
}

int tl_pubkey_forms(const uint8_t *key, size_t len, uint8_t compressed[33], uint8_t uncompressed[65])
{
	secp256k1_pubkey pk;
	if (!parse(key, len, &pk)) return -1;
	size_t n;
	if (compressed) {
		n = 33;
		if (!secp256k1_ec_pubkey_serialize(tl_secp_ctx(), compressed, &n, &pk, SECP256K1_EC_COMPRESSED) || n != 33)
			return -1;
	}
	if (uncompressed) {
		n = 65;
		if (!secp256k1_ec_pubkey_serialize(tl_secp_ctx(), uncompressed, &n, &pk, SECP256K1_EC_UNCOMPRESSED) ||
		    n != 65)
			return -1;
	}
	return 0;
}

size_t tl_pubkey_from_scriptsig(const uint8_t *script, size_t len, const uint8_t **key)
{
	size_t pos = 0, dlen = 0, last_len = 0;
	const uint8_t *data, *last = NULL;
	uint8_t op;
	if (!script) return 0;
	while (pos < len) {
		if (tl_script_get_op(script, len, &pos, &op, &data, &dlen) < 0) return 0;
		if (op > 0x4e) return 0; /* not push-only: not a P2PKH spend */
		last = data;
		last_len = dlen;
	}
	if (!last || !tl_pubkey_valid(last, last_len)) return 0;
	if (key) *key = last;
	return last_len;
}

size_t tl_pubkey_from_witness(const uint8_t *witness, size_t len, const uint8_t **key)
{
	struct tl_reader r;
	uint64_t count, n;
	const uint8_t *item = NULL;
	if (!witness) return 0;
	tl_reader_init(&r, witness, len);
	if (tl_read_compact(&r, &count) < 0 || count != 2) return 0;
	for (int i = 0; i < 2; i++) {
		if (tl_read_compact(&r, &n) < 0 || n > tl_reader_left(&r)) return 0;
		if (tl_read_bytes(&r, (size_t)n, &item) < 0) return 0;
	}
	if (!tl_pubkey_valid(item, (size_t)n)) return 0;
	if (key) *key = item;
	return (size_t)n;
}
