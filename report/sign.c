/* BIP-340 signatures over canonical JSON; see sign.h. */
#include "report/sign.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include "bitcoin/hash.h"

/* One context for the process: creating one costs a precomputation, and
 * a context is read-only (thread-safe) once randomized. */
static secp256k1_context *g_ctx;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void ctx_init(void)
{
	g_ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	uint8_t seed[32];
	/* Randomization only hardens against side channels; without
	 * randomness the context still signs correctly. */
	if (g_ctx && getrandom(seed, sizeof seed, 0) == (ssize_t)sizeof seed)
		if (!secp256k1_context_randomize(g_ctx, seed)) { /* keeps the unrandomized context */ }
}

static secp256k1_context *ctx(void)
{
	pthread_once(&g_once, ctx_init);
	return g_ctx;
}

int tl_bip340_pubkey(const uint8_t sec[32], uint8_t pub[32], struct tl_err *err)
{
	secp256k1_keypair kp;
	secp256k1_xonly_pubkey xp;
	if (!ctx()) return tl_err_set(err, "cannot create a secp256k1 context");
	if (!secp256k1_keypair_create(ctx(), &kp, sec)) return tl_err_set(err, "invalid secret key (zero or not below the curve order)");
	int ok = secp256k1_keypair_xonly_pub(ctx(), &xp, NULL, &kp) && secp256k1_xonly_pubkey_serialize(ctx(), pub, &xp);
	memset(&kp, 0, sizeof kp);
	return ok ? 0 : tl_err_set(err, "cannot derive the public key");
}

int tl_bip340_sign(const uint8_t sec[32], const uint8_t msg[32], const uint8_t *aux, uint8_t sig[64],
                   struct tl_err *err)
{
	secp256k1_keypair kp;
	if (!ctx()) return tl_err_set(err, "cannot create a secp256k1 context");
	if (!secp256k1_keypair_create(ctx(), &kp, sec)) return tl_err_set(err, "invalid secret key (zero or not below the curve order)");
	int ok = secp256k1_schnorrsig_sign32(ctx(), sig, msg, &kp, aux);
	memset(&kp, 0, sizeof kp);
	return ok ? 0 : tl_err_set(err, "signing failed");
}

int tl_bip340_verify(const uint8_t pub[32], const uint8_t msg[32], const uint8_t sig[64])
{
	secp256k1_xonly_pubkey xp;
	if (!ctx() || !secp256k1_xonly_pubkey_parse(ctx(), &xp, pub)) return 0;
	return secp256k1_schnorrsig_verify(ctx(), sig, msg, 32, &xp) == 1;
}

void tl_tagged_hash(const char *tag, const void *data, size_t len, uint8_t out[32])
{
	uint8_t th[32];
	tl_sha256(tag, strlen(tag), th);
	size_t n = 64 + len;
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf) abort(); /* the project treats allocation failure of a message as fatal */
	memcpy(buf, th, 32);
	memcpy(buf + 32, th, 32);
	if (len) memcpy(buf + 64, data, len);
	tl_sha256(buf, n, out);
	free(buf);
}

int tl_canonical_json(const json_t *doc, char **buf, size_t *len, struct tl_err *err)
{
	if (!doc) return tl_err_set(err, "no document");
	char *s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
	if (!s) return tl_err_set(err, "cannot serialize the document");
	*buf = s;
	*len = strlen(s);
	return 0;
}

int tl_sign_keygen(uint8_t sec[32], struct tl_err *err)
{
	uint8_t pub[32];
	for (int tries = 0; tries < 16; tries++) {
		ssize_t n = getrandom(sec, 32, 0);
		if (n != 32) return tl_err_set(err, "getrandom: %s", n < 0 ? strerror(errno) : "short read");
		if (tl_bip340_pubkey(sec, pub, NULL) == 0) return 0;
	}
	/* 16 invalid draws in a row (each has probability ~2^-128): the
	 * random source is broken; refuse rather than make a weak key. */
	memset(sec, 0, 32);
	return tl_err_set(err, "the random source gave no valid key");
}

int tl_sign_key_write(const char *path, const uint8_t sec[32], struct tl_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) return tl_err_set(err, "%s: %s", path, strerror(errno));
	char hex[66];
	tl_hex_encode(sec, 32, hex);
	hex[64] = '\n';
	hex[65] = 0;
	/* the umask may have narrowed the mode further, never widened it */
	int bad = write(fd, hex, 65) != 65;
	bad |= fsync(fd) != 0;
	bad |= close(fd) != 0;
	memset(hex, 0, sizeof hex);
	if (bad) {
		unlink(path);
		return tl_err_set(err, "%s: write failed", path);
	}
	return 0;
}

int tl_sign_key_read(const char *path, uint8_t sec[32], struct tl_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return tl_err_set(err, "%s: %s", path, strerror(errno));
	struct stat stt;
	if (fstat(fd, &stt)) {
		close(fd);
		return tl_err_set(err, "%s: %s", path, strerror(errno));
	}
	if (stt.st_mode & 077) {
		close(fd);
		return tl_err_set(err, "%s: the key file is readable by others (mode %03o); chmod 600 it", path,
		                  (unsigned)(stt.st_mode & 0777));
	}
	char buf[160];
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0) return tl_err_set(err, "%s: %s", path, strerror(errno));
	buf[n] = 0;
	char *p = buf;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
	size_t l = 0;
	while (p[l] && p[l] != ' ' && p[l] != '\t' && p[l] != '\n' && p[l] != '\r') l++;
	for (size_t i = l; p[i]; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r') l = SIZE_MAX;
	int bad = l != 64 || tl_hex_decode(p, 64, sec, 32) != 0;
	memset(buf, 0, sizeof buf);
	if (bad) return tl_err_set(err, "%s: not a signing key (64 hex digits)", path);
	uint8_t pub[32];
	if (tl_bip340_pubkey(sec, pub, err)) return tl_err_prefix(err, "%s: ", path);
	return 0;
}

/* SHA-256 of the canonical form of each top-level member but "signature". */
static json_t *content_digests(const json_t *doc, struct tl_err *err)
{
	json_t *d = json_object();
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)doc, k, v) {
		if (!strcmp(k, "signature")) continue;
		char *c = NULL;
		size_t n = 0;
		if (tl_canonical_json(v, &c, &n, err)) {
			json_decref(d);
			return NULL;
		}
		uint8_t h[32];
		char hex[65];
		tl_sha256(c, n, h);
		free(c);
		tl_hex_encode(h, 32, hex);
		json_object_set_new(d, k, json_string(hex));
	}
	return d;
}

/* The message a signature covers: the tagged hash of the canonical form
 * of doc with "signature" replaced by sigobj minus "sig". */
static int signed_message(const json_t *doc, const json_t *sigobj, uint8_t msg[32], struct tl_err *err)
{
	json_t *copy = json_copy((json_t *)doc); /* shallow: members shared, not modified */
	json_t *s = json_copy((json_t *)sigobj);
	if (!copy || !s) {
		json_decref(copy);
		json_decref(s);
		return tl_err_set(err, "out of memory");
	}
	json_object_del(s, "sig");
	json_object_set_new(copy, "signature", s);
	char *c = NULL;
	size_t n = 0;
	int r = tl_canonical_json(copy, &c, &n, err);
	json_decref(copy);
	if (r) return -1;
	tl_tagged_hash(TL_SIGN_TAG, c, n, msg);
	free(c);
	return 0;
}

int tl_sign_document(json_t *doc, const uint8_t sec[32], json_t *manifest, struct tl_err *err)
{
	if (!json_is_object(doc)) {
		json_decref(manifest);
		return tl_err_set(err, "only a JSON object can be signed");
	}
	if (!manifest) manifest = json_object();
	if (!json_is_object(manifest)) {
		json_decref(manifest);
		return tl_err_set(err, "the manifest must be an object");
	}
	json_object_del(doc, "signature");
	json_t *dig = content_digests(doc, err);
	if (!dig) {
		json_decref(manifest);
		return -1;
	}
	json_object_set_new(manifest, "content_sha256", dig);
	uint8_t pub[32], msg[32], sig[64], aux[32];
	if (tl_bip340_pubkey(sec, pub, err)) {
		json_decref(manifest);
		return -1;
	}
	char pubhex[65], sighex[129];
	tl_hex_encode(pub, 32, pubhex);
	json_t *so = json_pack("{s:s,s:s,s:o}", "alg", TL_SIGN_ALG, "pubkey", pubhex, "manifest", manifest);
	if (!so) return tl_err_set(err, "out of memory");
	if (signed_message(doc, so, msg, err)) {
		json_decref(so);
		return -1;
	}
	if (getrandom(aux, sizeof aux, 0) != (ssize_t)sizeof aux) {
		json_decref(so);
		return tl_err_set(err, "getrandom failed");
	}
	if (tl_bip340_sign(sec, msg, aux, sig, err)) {
		json_decref(so);
		return -1;
	}
	/* a signature that does not verify would be worse than none */
	if (!tl_bip340_verify(pub, msg, sig)) {
		json_decref(so);
		return tl_err_set(err, "the new signature does not verify (library fault)");
	}
	tl_hex_encode(sig, 64, sighex);
	json_object_set_new(so, "sig", json_string(sighex));
	json_object_set_new(doc, "signature", so);
	return 0;
}

static int hexfield(const json_t *o, const char *k, uint8_t *out, size_t n)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s && strlen(s) == 2 * n && tl_hex_decode(s, 2 * n, out, n) == 0 ? 0 : -1;
}

int tl_verify_document(const json_t *doc, const uint8_t *want_pub, char *reason, size_t cap, struct tl_err *err)
{
	const json_t *so = json_object_get(doc, "signature");
	if (!json_is_object(doc) || !json_is_object(so)) {
		snprintf(reason, cap, "the document has no \"signature\" object: it is not signed");
		return 0;
	}
	const char *alg = json_string_value(json_object_get(so, "alg"));
	if (!alg || strcmp(alg, TL_SIGN_ALG)) {
		snprintf(reason, cap, "unknown signature algorithm '%.60s' (expected %s)", alg ? alg : "", TL_SIGN_ALG);
		return 0;
	}
	uint8_t pub[32], sig[64], msg[32];
	if (hexfield(so, "pubkey", pub, 32)) {
		snprintf(reason, cap, "signature.pubkey is not 64 hex digits");
		return 0;
	}
	if (hexfield(so, "sig", sig, 64)) {
		snprintf(reason, cap, "signature.sig is not 128 hex digits");
		return 0;
	}
	char pubhex[65];
	tl_hex_encode(pub, 32, pubhex);
	if (want_pub && memcmp(want_pub, pub, 32)) {
		char wh[65];
		tl_hex_encode(want_pub, 32, wh);
		snprintf(reason, cap, "signed by another key: %s, not the expected %s", pubhex, wh);
		return 0;
	}
	if (signed_message(doc, so, msg, err)) return -1;
	if (tl_bip340_verify(pub, msg, sig)) return 1;
	/* Name what changed, by the digests the manifest recorded (they may
	 * have been changed too; then only "no match" can be said). */
	json_t *now = content_digests(doc, err);
	if (!now) return -1;
	const json_t *was = json_object_get(json_object_get(so, "manifest"), "content_sha256");
	char changed[256] = "";
	size_t used = 0;
	const char *k;
	json_t *v;
	json_object_foreach(now, k, v) {
		const char *w = json_string_value(json_object_get(was, k));
		if (w && !strcmp(w, json_string_value(v))) continue;
		int n = snprintf(changed + used, sizeof changed - used, "%s%s%s", used ? ", " : "", k, w ? "" : " (added)");
		if (n < 0 || (size_t)n >= sizeof changed - used) break;
		used += (size_t)n;
	}
	if (json_is_object(was)) {
		json_object_foreach((json_t *)was, k, v) {
			if (json_object_get(now, k)) continue;
			int n = snprintf(changed + used, sizeof changed - used, "%s%s (removed)", used ? ", " : "", k);
			if (n < 0 || (size_t)n >= sizeof changed - used) break;
			used += (size_t)n;
		}
	}
	json_decref(now);
	if (used)
		snprintf(reason, cap, "the signature by %s does not match the document: changed after signing: %s", pubhex,
		         changed);
	else
		snprintf(reason, cap,
		         "the signature by %s does not match the document: its signature object (key, manifest or "
		         "signature) was changed, or it was signed by another key",
		         pubhex);
	return 0;
}
