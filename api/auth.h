/* API keys, roles and per-key token-bucket rate limits.
 *
 * Keys file: one key per line, "sha256hex role rate_per_s [tlp=LEVEL]
 * [name]", where
 * sha256hex is the SHA-256 (64 lower- or upper-case hex digits) of the key
 * exactly as clients send it after "Authorization: Bearer ", role is one of
 * screen, investigate, admin, rate_per_s a non-negative number (0 means
 * unlimited), tlp=LEVEL the key's TLP clearance (clear, green, amber,
 * amber+strict, or red/AUDIENCE for RED with a named audience of
 * [A-Za-z0-9._-]; absent: amber+strict, what keys saw before clearances
 * existed) and name an optional label (the rest of the line, trimmed).
 * Blank lines and lines whose first non-blank character is '#' are
 * ignored. The file never holds a key itself, only its hash.
 *
 * Roles are ordered: screen < investigate < admin; a key may call a route
 * that requires its role or a lower one. */
#ifndef TL_API_AUTH_H
#define TL_API_AUTH_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "store/tlp.h"

enum tl_api_role {
	TL_ROLE_PUBLIC = 0,      /* route needs no key */
	TL_ROLE_SCREEN = 1,      /* screening and lookups */
	TL_ROLE_INVESTIGATE = 2, /* everything read-only */
	TL_ROLE_ADMIN = 3,       /* imports and other writes */
};

/* "public", "screen", "investigate", "admin". */
const char *tl_role_name(enum tl_api_role role);
/* Parses one of screen, investigate, admin (not public). Returns 0 and
 * sets *out, or -1. */
int tl_role_parse(const char *s, enum tl_api_role *out);

/* One key of a keyring. The bucket fields are private to auth.c. */
struct tl_api_key {
	uint8_t hash[32];
	enum tl_api_role role;
	double rate;      /* tokens per second; 0 = unlimited */
	char name[64];
	struct tl_clearance clearance;
	int line;         /* line in the keys file */
	pthread_mutex_t lock;
	double tokens;    /* current tokens, capacity max(1, rate) */
	double last;      /* monotonic seconds of the last refill */
};

struct tl_keyring;

/* Loads a keys file. Returns 0 and *out (free with tl_keyring_free), or -1
 * with err naming the file and line (bad hash, unknown role, bad rate,
 * duplicate hash, unreadable file). An empty file loads as zero keys. */
int tl_keyring_load(const char *path, struct tl_keyring **out, struct tl_err *err);
/* Parses keys-file text (same format); name is used in error messages. */
int tl_keyring_parse(const char *text, size_t len, const char *name, struct tl_keyring **out,
		     struct tl_err *err);
void tl_keyring_free(struct tl_keyring *kr);
size_t tl_keyring_count(const struct tl_keyring *kr);
/* The i-th key (file order), i < count. Owned by the keyring. */
const struct tl_api_key *tl_keyring_get(const struct tl_keyring *kr, size_t i);

/* Finds the key whose hash is SHA-256(token[0..len)). Returns it (owned by
 * the keyring, mutable for rate limiting) or NULL. Thread-safe. */
struct tl_api_key *tl_keyring_find(struct tl_keyring *kr, const char *token, size_t len);

/* Takes one token from the key's bucket at monotonic time now (seconds).
 * Returns 0 when the request may proceed, or the number of whole seconds
 * (>= 1) after which one token will be available (the Retry-After value).
 * Thread-safe. The bucket starts full; capacity is max(1, rate). */
int tl_ratelimit_take(struct tl_api_key *key, double now);

/* Monotonic clock in seconds. */
double tl_mono_now(void);

/* A new random API key: "tlk_" followed by 64 hex digits (256 random bits
 * from the kernel), NUL-terminated in out. Returns 0, or -1 with err. */
#define TL_API_KEY_LEN 68
int tl_key_generate(char out[TL_API_KEY_LEN + 1], struct tl_err *err);

/* Formats a keys-file line "sha256hex role rate [name]\n" for key into
 * out (at least 256 bytes). name may be NULL; it must not contain a
 * newline. Returns 0, or -1 with err (bad role, negative rate, bad name). */
int tl_keyline_format(const char *key, enum tl_api_role role, double rate, const char *name,
		      char *out, size_t outlen, struct tl_err *err);
/* The same with a clearance (NULL: none written, i.e. the default).
 * A RED clearance needs an audience. */
int tl_keyline_format_tlp(const char *key, enum tl_api_role role, double rate, const struct tl_clearance *c,
			  const char *name, char *out, size_t outlen, struct tl_err *err);
/* Parses "LEVEL" or "red/AUDIENCE" (the tlp= value). Returns 0 or -1
 * with err. */
int tl_clearance_parse(const char *s, struct tl_clearance *c, struct tl_err *err);

#endif
