#include "api/auth.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "bitcoin/hash.h"

/* Keys sorted by hash for binary search. */
struct tl_keyring {
	struct tl_api_key *keys; /* file order */
	size_t n;
	size_t *by_hash;         /* indexes sorted by hash */
};

static const char *const role_names[] = { "public", "screen", "investigate", "admin" };

const char *tl_role_name(enum tl_api_role role)
{
	if ((int)role < 0 || (int)role > 3) return "?";
	return role_names[role];
}

int tl_role_parse(const char *s, enum tl_api_role *out)
{
	for (int i = 1; i <= 3; i++)
		if (!strcmp(s, role_names[i])) {
			*out = (enum tl_api_role)i;
			return 0;
		}
	return -1;
}

double tl_mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const struct tl_keyring *sort_ctx;
static int cmp_idx(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return memcmp(sort_ctx->keys[x].hash, sort_ctx->keys[y].hash, 32);
}

void tl_keyring_free(struct tl_keyring *kr)
{
	if (!kr) return;
	for (size_t i = 0; i < kr->n; i++) pthread_mutex_destroy(&kr->keys[i].lock);
	free(kr->keys);
	free(kr->by_hash);
	free(kr);
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r') s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = '\0';
	return s;
}

static int parse_line(char *line, struct tl_api_key *k, struct tl_err *err)
{
	char *save = NULL;
	char *hex = strtok_r(line, " \t", &save);
	char *role = strtok_r(NULL, " \t", &save);
	char *rate = strtok_r(NULL, " \t", &save);
	char *name = save ? trim(save) : NULL;
	k->clearance.level = TL_TLP_AMBER_STRICT;
	if (name && !strncmp(name, "tlp=", 4)) {
		char *sp = name + strcspn(name, " \t");
		char *rest = *sp ? sp + 1 : sp;
		*sp = '\0';
		if (tl_clearance_parse(name + 4, &k->clearance, err)) return -1;
		name = trim(rest);
	}
	if (!hex || !role || !rate)
		return tl_err_set(err, "expected 'sha256hex role rate_per_s [name]'");
	if (strlen(hex) != 64 || tl_hex_decode(hex, 64, k->hash, 32))
		return tl_err_set(err, "'%.70s' is not a SHA-256 hash (64 hex digits)", hex);
	if (tl_role_parse(role, &k->role))
		return tl_err_set(err, "unknown role '%.40s' (screen, investigate or admin)", role);
	char *end;
	errno = 0;
	double r = strtod(rate, &end);
	if (*end || errno || !isfinite(r) || r < 0 || r > 1e9)
		return tl_err_set(err, "rate '%.40s' is not a number of requests per second >= 0", rate);
	k->rate = r;
	k->name[0] = '\0';
	if (name && *name) snprintf(k->name, sizeof k->name, "%s", name);
	return 0;
}

int tl_keyring_parse(const char *text, size_t len, const char *fname, struct tl_keyring **out,
		     struct tl_err *err)
{
	*out = NULL;
	struct tl_keyring *kr = calloc(1, sizeof *kr);
	if (!kr) return tl_err_set(err, "out of memory");
	size_t cap = 0;
	int lineno = 0;
	size_t pos = 0;
	char buf[1024];
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - (text + pos)) : len - pos;
		lineno++;
		if (ll >= sizeof buf) {
			tl_err_set(err, "%s line %d: line over %zu bytes", fname, lineno, sizeof buf - 1);
			goto fail;
		}
		memcpy(buf, text + pos, ll);
		buf[ll] = '\0';
		pos += ll + (nl ? 1 : 0);
		if (memchr(buf, '\0', ll)) {
			tl_err_set(err, "%s line %d: NUL byte", fname, lineno);
			goto fail;
		}
		char *s = trim(buf);
		if (*s == '\0' || *s == '#') continue;
		if (kr->n == cap) {
			cap = cap ? cap * 2 : 8;
			struct tl_api_key *nk = realloc(kr->keys, cap * sizeof *nk);
			if (!nk) {
				tl_err_set(err, "out of memory");
				goto fail;
			}
			kr->keys = nk;
		}
		struct tl_api_key *k = &kr->keys[kr->n];
		memset(k, 0, sizeof *k);
		if (parse_line(s, k, err)) {
			tl_err_prefix(err, "%s line %d: ", fname, lineno);
			goto fail;
		}
		k->line = lineno;
		k->tokens = k->rate < 1 ? 1 : k->rate;
		k->last = -1;
		pthread_mutex_init(&k->lock, NULL);
		kr->n++;
	}
	kr->by_hash = malloc((kr->n ? kr->n : 1) * sizeof(size_t));
	if (!kr->by_hash) {
		tl_err_set(err, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < kr->n; i++) kr->by_hash[i] = i;
	sort_ctx = kr; /* qsort has no context argument; loading is single-threaded */
	qsort(kr->by_hash, kr->n, sizeof(size_t), cmp_idx);
	for (size_t i = 1; i < kr->n; i++) {
		const struct tl_api_key *a = &kr->keys[kr->by_hash[i - 1]], *b = &kr->keys[kr->by_hash[i]];
		if (!memcmp(a->hash, b->hash, 32)) {
			tl_err_set(err, "%s line %d: same key hash as line %d", fname,
				   a->line > b->line ? a->line : b->line, a->line < b->line ? a->line : b->line);
			goto fail;
		}
	}
	*out = kr;
	return 0;
fail:
	tl_keyring_free(kr);
	return -1;
}

int tl_keyring_load(const char *path, struct tl_keyring **out, struct tl_err *err)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f) return tl_err_set(err, "cannot open keys file %s: %s", path, strerror(errno));
	char *text = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len + 4096 > cap) {
			cap = cap ? cap * 2 : 8192;
			if (cap > (64u << 20)) {
				free(text);
				fclose(f);
				return tl_err_set(err, "keys file %s is over 64 MiB", path);
			}
			char *nt = realloc(text, cap);
			if (!nt) {
				free(text);
				fclose(f);
				return tl_err_set(err, "out of memory");
			}
			text = nt;
		}
		size_t got = fread(text + len, 1, cap - len, f);
		len += got;
		if (got == 0) break;
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(text);
		return tl_err_set(err, "reading keys file %s failed", path);
	}
	int rc = tl_keyring_parse(text ? text : "", len, path, out, err);
	free(text);
	return rc;
}

size_t tl_keyring_count(const struct tl_keyring *kr)
{
	return kr ? kr->n : 0;
}

const struct tl_api_key *tl_keyring_get(const struct tl_keyring *kr, size_t i)
{
	return i < kr->n ? &kr->keys[i] : NULL;
}

struct tl_api_key *tl_keyring_find(struct tl_keyring *kr, const char *token, size_t len)
{
	if (!kr || !kr->n) return NULL;
	uint8_t h[32];
	tl_sha256(token, len, h);
	size_t lo = 0, hi = kr->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(kr->keys[kr->by_hash[mid]].hash, h, 32);
		if (c == 0) return &kr->keys[kr->by_hash[mid]];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int tl_ratelimit_take(struct tl_api_key *key, double now)
{
	if (key->rate <= 0) return 0;
	double cap = key->rate < 1 ? 1 : key->rate;
	int wait = 0;
	pthread_mutex_lock(&key->lock);
	if (key->last >= 0 && now > key->last) {
		key->tokens += (now - key->last) * key->rate;
		if (key->tokens > cap) key->tokens = cap;
	}
	if (key->last < 0 || now > key->last) key->last = now;
	if (key->tokens >= 1) {
		key->tokens -= 1;
	} else {
		double secs = (1 - key->tokens) / key->rate;
		if (secs > 1e6) secs = 1e6;
		wait = (int)secs; /* ceil without libm */
		if ((double)wait < secs) wait++;
		if (wait < 1) wait = 1;
	}
	pthread_mutex_unlock(&key->lock);
	return wait;
}

int tl_key_generate(char out[TL_API_KEY_LEN + 1], struct tl_err *err)
{
	uint8_t r[32];
	size_t got = 0;
	while (got < sizeof r) {
		ssize_t n = getrandom(r + got, sizeof r - got, 0);
		if (n < 0) {
			if (errno == EINTR) continue;
			return tl_err_set(err, "getrandom: %s", strerror(errno));
		}
		got += (size_t)n;
	}
	memcpy(out, "tlk_", 4);
	tl_hex_encode(r, 32, out + 4);
	return 0;
}

static int audience_ok(const char *a)
{
	if (!*a || strlen(a) >= TL_TLP_AUDIENCE_MAX) return 0;
	for (; *a; a++)
		if (!((*a >= 'a' && *a <= 'z') || (*a >= 'A' && *a <= 'Z') || (*a >= '0' && *a <= '9') || *a == '.' ||
		      *a == '_' || *a == '-'))
			return 0;
	return 1;
}

int tl_clearance_parse(const char *s, struct tl_clearance *c, struct tl_err *err)
{
	memset(c, 0, sizeof *c);
	char lv[24];
	size_t n = strcspn(s, "/");
	if (n < sizeof lv) {
		memcpy(lv, s, n);
		lv[n] = '\0';
	}
	if (n >= sizeof lv || tl_tlp_parse_name(lv, &c->level))
		return tl_err_set(err, "unknown TLP clearance '%.40s' (clear, green, amber, amber+strict, red/AUDIENCE)",
				  s);
	if (s[n] == '/') {
		if (c->level != TL_TLP_RED) return tl_err_set(err, "only a RED clearance names an audience");
		if (!audience_ok(s + n + 1))
			return tl_err_set(err, "audience '%.70s' must be 1-63 characters of A-Z a-z 0-9 . _ -", s + n + 1);
		snprintf(c->audience, sizeof c->audience, "%s", s + n + 1);
	} else if (c->level == TL_TLP_RED) {
		return tl_err_set(err, "a RED clearance needs a named audience (red/AUDIENCE)");
	}
	return 0;
}

int tl_keyline_format(const char *key, enum tl_api_role role, double rate, const char *name,
		      char *out, size_t outlen, struct tl_err *err)
{
	return tl_keyline_format_tlp(key, role, rate, NULL, name, out, outlen, err);
}

int tl_keyline_format_tlp(const char *key, enum tl_api_role role, double rate, const struct tl_clearance *c,
			  const char *name, char *out, size_t outlen, struct tl_err *err)
{
	if (role < TL_ROLE_SCREEN || role > TL_ROLE_ADMIN) return tl_err_set(err, "bad role");
	if (!(rate >= 0) || rate > 1e9) return tl_err_set(err, "rate must be between 0 and 1e9 per second");
	if (name && (strpbrk(name, "\r\n") || strlen(name) >= 64))
		return tl_err_set(err, "key name must be one line of under 64 bytes");
	if (name && !strncmp(name, "tlp=", 4)) return tl_err_set(err, "a key name may not start with 'tlp='");
	char tlp[96] = "";
	if (c) {
		if (c->level == TL_TLP_RED && !audience_ok(c->audience))
			return tl_err_set(err, "a RED clearance needs an audience of A-Z a-z 0-9 . _ -");
		snprintf(tlp, sizeof tlp, " tlp=%s%s%s", tl_tlp_level_name(c->level), c->level == TL_TLP_RED ? "/" : "",
			 c->level == TL_TLP_RED ? c->audience : "");
	}
	uint8_t h[32];
	char hex[65];
	tl_sha256(key, strlen(key), h);
	tl_hex_encode(h, 32, hex);
	int n = snprintf(out, outlen, "%s %s %g%s%s%s\n", hex, tl_role_name(role), rate, tlp,
			 name && *name ? " " : "", name && *name ? name : "");
	if (n < 0 || (size_t)n >= outlen) return tl_err_set(err, "key line too long");
	return 0;
}
