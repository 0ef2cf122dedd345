/* Heist registry parser (jansson). See registry.h for the format. */
#include "intel/registry.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitcoin/address.h"

int tl_registry_chain_net(const char *chain, const struct tl_netparams **np)
{
	static const struct {
		const char *chain;
		enum tl_net net;
	} m[] = {
		{"bitcoin", TL_NET_MAIN},
		{"bitcoin-testnet", TL_NET_TESTNET},
		{"bitcoin-signet", TL_NET_SIGNET},
		{"bitcoin-regtest", TL_NET_REGTEST},
	};
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
		if (chain && strcmp(chain, m[i].chain) == 0) {
			if (np) *np = tl_net_params(m[i].net);
			return 1;
		}
	if (np) *np = NULL;
	return 0;
}

static void heist_free(struct tl_heist *h)
{
	free(h->id);
	free(h->name);
	free(h->date);
	free(h->chain);
	free(h->actor);
	free(h->notes);
	free(h->attribution.authority);
	free(h->attribution.document);
	free(h->attribution.url);
	for (size_t i = 0; i < h->nseeds; i++) {
		free(h->seeds[i].address);
		free(h->seeds[i].source);
		free(h->seeds[i].role);
	}
	free(h->seeds);
	for (size_t i = 0; i < h->nsources; i++) free(h->sources[i]);
	free(h->sources);
	for (size_t i = 0; i < h->namounts; i++) {
		free(h->amounts[i].asset);
		free(h->amounts[i].amount);
		free(h->amounts[i].source);
	}
	free(h->amounts);
}

void tl_registry_free(struct tl_registry *reg)
{
	if (!reg) return;
	for (size_t i = 0; i < reg->n; i++) heist_free(&reg->heists[i]);
	free(reg->heists);
	free(reg);
}

const struct tl_heist *tl_registry_find(const struct tl_registry *reg, const char *id)
{
	if (!reg || !id) return NULL;
	for (size_t i = 0; i < reg->n; i++)
		if (strcmp(reg->heists[i].id, id) == 0) return &reg->heists[i];
	return NULL;
}

/* ---- validation helpers; each returns 0 or -1 with err set ---- */

struct ctx {
	const char *file;
	const char *hid; /* heist id (or "#<index>") for messages */
	struct tl_err *err;
};

#define FAIL(c, ...) fail_at((c), __VA_ARGS__)
static int fail_at(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail_at(struct ctx *c, const char *fmt, ...)
{
	char m[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	return tl_err_set(c->err, "%s: heist '%.64s': %s", c->file, c->hid, m);
}

static int no_ctrl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n') return 0;
	return 1;
}

/* Gets an optional string member; *out is a malloc'd copy or NULL. */
static int get_str(struct ctx *c, json_t *obj, const char *key, const char *path, int required, char **out)
{
	*out = NULL;
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v)) {
		if (required) return FAIL(c, "%s%s: missing", path, key);
		return 0;
	}
	if (!json_is_string(v)) return FAIL(c, "%s%s: not a string", path, key);
	const char *s = json_string_value(v);
	if (required && !*s) return FAIL(c, "%s%s: empty", path, key);
	if (strlen(s) != json_string_length(v) || !no_ctrl(s))
		return FAIL(c, "%s%s: contains a NUL or control character", path, key);
	*out = strdup(s);
	if (!*out) return FAIL(c, "out of memory");
	return 0;
}

static int days_in(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
	return d[m - 1];
}

/* full: only YYYY-MM-DD; else also YYYY-MM and YYYY. */
static int valid_date(const char *s, int full)
{
	size_t n = strlen(s);
	if (!(n == 10 || (!full && (n == 7 || n == 4)))) return 0;
	for (size_t i = 0; i < n; i++) {
		if (i == 4 || i == 7) {
			if (s[i] != '-') return 0;
		} else if (!isdigit((unsigned char)s[i]))
			return 0;
	}
	int y = atoi(s);
	if (y < 2009 || y > 2100) return 0;
	if (n == 4) return 1;
	int m = (s[5] - '0') * 10 + (s[6] - '0');
	if (m < 1 || m > 12) return 0;
	if (n == 7) return 1;
	int d = (s[8] - '0') * 10 + (s[9] - '0');
	return d >= 1 && d <= days_in(y, m);
}

static int valid_id(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64) return 0;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-' || *s == '_' || *s == '.'))
			return 0;
	return 1;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static int parse_seed(struct ctx *c, struct tl_heist *h, json_t *js, size_t idx, struct tl_heist_seed *sd)
{
	char p[48];
	snprintf(p, sizeof p, "seeds[%zu].", idx);
	if (!json_is_object(js)) return FAIL(c, "seeds[%zu]: not an object", idx);
	json_t *tx = json_object_get(js, "txid"), *ad = json_object_get(js, "address");
	if (tx && ad) return FAIL(c, "seeds[%zu]: has both txid and address (one seed is one or the other)", idx);
	if (!tx && !ad) return FAIL(c, "seeds[%zu]: needs a txid or an address", idx);
	if (get_str(c, js, "source", p, 0, &sd->source) < 0) return -1;
	if (get_str(c, js, "role", p, 0, &sd->role) < 0) return -1;
	int btc = h->net != NULL;
	if (tx) {
		if (!json_is_string(tx)) return FAIL(c, "%stxid: not a string", p);
		const char *s = json_string_value(tx);
		size_t n = strlen(s);
		if (btc) {
			if (n != 64) return FAIL(c, "%stxid: not 64 hex digits", p);
			for (size_t i = 0; i < 64; i++)
				if (hexval(s[i]) < 0) return FAIL(c, "%stxid: not 64 hex digits", p);
			for (size_t i = 0; i < 32; i++)
				sd->txid[31 - i] = (uint8_t)(hexval(s[2 * i]) << 4 | hexval(s[2 * i + 1]));
		} else if (n == 0 || n > 64 + 2 || !no_ctrl(s))
			return FAIL(c, "%stxid: empty or longer than 66 characters", p);
		for (size_t i = 0; i <= n; i++) sd->txid_hex[i] = btc ? (char)tolower((unsigned char)s[i]) : s[i];
		json_t *vo = json_object_get(js, "vout");
		if (vo) {
			if (!json_is_integer(vo) || json_integer_value(vo) < 0 || json_integer_value(vo) > 0xffffffffLL)
				return FAIL(c, "%svout: not an integer 0..4294967295", p);
			sd->kind = TL_SEED_OUTPUT;
			sd->vout = (uint32_t)json_integer_value(vo);
		} else
			sd->kind = TL_SEED_TX;
		if (json_object_get(js, "from") || json_object_get(js, "until"))
			return FAIL(c, "%sfrom/until: only address seeds have a time window", p);
		return 0;
	}
	sd->kind = TL_SEED_ADDRESS;
	if (json_object_get(js, "vout")) return FAIL(c, "%svout: only txid seeds have a vout", p);
	if (get_str(c, js, "address", p, 1, &sd->address) < 0) return -1;
	if (strlen(sd->address) > 128) return FAIL(c, "%saddress: longer than 128 characters", p);
	if (btc) {
		struct tl_err aerr = { 0 };
		if (tl_address_to_script(sd->address, h->net, sd->script, &sd->script_len, &aerr) < 0)
			return FAIL(c, "%saddress: '%.100s' is not a valid %s address: %s", p, sd->address, h->chain,
				    aerr.msg);
	}
	char *from = NULL, *until = NULL;
	if (get_str(c, js, "from", p, 0, &from) < 0) return -1;
	if (get_str(c, js, "until", p, 0, &until) < 0) {
		free(from);
		return -1;
	}
	int bad = 0;
	if (from && !valid_date(from, 1)) bad = FAIL(c, "%sfrom: '%.20s' is not a date YYYY-MM-DD", p, from);
	else if (until && !valid_date(until, 1))
		bad = FAIL(c, "%suntil: '%.20s' is not a date YYYY-MM-DD", p, until);
	else if (from && until && strcmp(from, until) > 0)
		bad = FAIL(c, "%suntil: %s is before from %s", p, until, from);
	if (!bad) {
		if (from) memcpy(sd->from, from, 11);
		if (until) memcpy(sd->until, until, 11);
	}
	free(from);
	free(until);
	return bad;
}

static int parse_amount(struct ctx *c, json_t *ja, size_t idx, struct tl_heist_amount *a)
{
	char p[48];
	snprintf(p, sizeof p, "amounts[%zu].", idx);
	if (!json_is_object(ja)) return FAIL(c, "amounts[%zu]: not an object", idx);
	if (get_str(c, ja, "asset", p, 1, &a->asset) < 0) return -1;
	if (get_str(c, ja, "source", p, 0, &a->source) < 0) return -1;
	json_t *v = json_object_get(ja, "amount");
	char buf[64];
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		int dot = 0, digits = 0;
		for (const char *q = s; *q; q++) {
			if (*q == '.' && !dot) dot = 1;
			else if (isdigit((unsigned char)*q)) digits++;
			else return FAIL(c, "%samount: '%.30s' is not a decimal number", p, s);
		}
		if (!digits || strlen(s) > 40) return FAIL(c, "%samount: '%.30s' is not a decimal number", p, s);
		snprintf(buf, sizeof buf, "%s", s);
	} else if (json_is_integer(v) && json_integer_value(v) >= 0)
		snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v) && json_real_value(v) >= 0)
		snprintf(buf, sizeof buf, "%.15g", json_real_value(v));
	else
		return FAIL(c, "%samount: missing or not a non-negative number", p);
	a->amount = strdup(buf);
	return a->amount ? 0 : FAIL(c, "out of memory");
}

static int parse_heist(struct ctx *c, json_t *jh, struct tl_heist *h)
{
	if (get_str(c, jh, "id", "", 1, &h->id) < 0) return -1;
	if (!valid_id(h->id)) return FAIL(c, "id: use 1 to 64 characters a-z, 0-9, '-', '_', '.'");
	c->hid = h->id;
	if (get_str(c, jh, "name", "", 1, &h->name) < 0) return -1;
	if (get_str(c, jh, "date", "", 1, &h->date) < 0) return -1;
	if (!valid_date(h->date, 0)) return FAIL(c, "date: '%.20s' is not YYYY-MM-DD (or YYYY-MM / YYYY)", h->date);
	if (get_str(c, jh, "chain", "", 1, &h->chain) < 0) return -1;
	for (char *s = h->chain; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-' || *s == '_'))
			return FAIL(c, "chain: '%.30s' is not a lower-case chain name", h->chain);
	tl_registry_chain_net(h->chain, &h->net);
	if (get_str(c, jh, "actor", "", 0, &h->actor) < 0) return -1;
	if (get_str(c, jh, "notes", "", 0, &h->notes) < 0) return -1;

	json_t *at = json_object_get(jh, "attribution");
	if (!json_is_object(at)) return FAIL(c, "attribution: missing or not an object");
	if (get_str(c, at, "authority", "attribution.", 1, &h->attribution.authority) < 0) return -1;
	if (get_str(c, at, "document", "attribution.", 1, &h->attribution.document) < 0) return -1;
	if (get_str(c, at, "url", "attribution.", 0, &h->attribution.url) < 0) return -1;
	if (h->attribution.url && strncmp(h->attribution.url, "https://", 8) != 0 &&
	    strncmp(h->attribution.url, "http://", 7) != 0)
		return FAIL(c, "attribution.url: not an http(s) URL");

	json_t *seeds = json_object_get(jh, "seeds");
	if (seeds && !json_is_array(seeds)) return FAIL(c, "seeds: not an array");
	size_t ns = seeds ? json_array_size(seeds) : 0;
	if (ns) {
		h->seeds = calloc(ns, sizeof *h->seeds);
		if (!h->seeds) return FAIL(c, "out of memory");
	}
	for (size_t i = 0; i < ns; i++) {
		h->nseeds = i + 1;
		if (parse_seed(c, h, json_array_get(seeds, i), i, &h->seeds[i]) < 0) return -1;
	}

	json_t *src = json_object_get(jh, "sources");
	if (src && !json_is_array(src)) return FAIL(c, "sources: not an array");
	size_t nsrc = src ? json_array_size(src) : 0;
	if (nsrc) {
		h->sources = calloc(nsrc, sizeof *h->sources);
		if (!h->sources) return FAIL(c, "out of memory");
	}
	for (size_t i = 0; i < nsrc; i++) {
		json_t *s = json_array_get(src, i);
		const char *v = NULL;
		if (json_is_string(s))
			v = json_string_value(s);
		else if (json_is_object(s) && json_is_string(json_object_get(s, "url")))
			v = json_string_value(json_object_get(s, "url"));
		if (!v || !*v || !no_ctrl(v)) return FAIL(c, "sources[%zu]: not a URL string or {\"url\": ...}", i);
		h->sources[i] = strdup(v);
		h->nsources = i + 1;
		if (!h->sources[i]) return FAIL(c, "out of memory");
	}

	json_t *am = json_object_get(jh, "amounts");
	if (am && !json_is_array(am)) return FAIL(c, "amounts: not an array");
	size_t na = am ? json_array_size(am) : 0;
	if (na) {
		h->amounts = calloc(na, sizeof *h->amounts);
		if (!h->amounts) return FAIL(c, "out of memory");
	}
	for (size_t i = 0; i < na; i++) {
		h->namounts = i + 1;
		if (parse_amount(c, json_array_get(am, i), i, &h->amounts[i]) < 0) return -1;
	}
	h->traceable = h->net != NULL && h->nseeds > 0;
	return 0;
}

int tl_registry_parse(const char *buf, size_t len, const char *name, struct tl_registry **out, struct tl_err *err)
{
	*out = NULL;
	const char *file = name ? name : "registry";
	json_error_t je;
	json_t *root = json_loadb(buf ? buf : "", buf ? len : 0, JSON_REJECT_DUPLICATES, &je);
	if (!root) return tl_err_set(err, "%s: line %d column %d: JSON error: %s", file, je.line, je.column, je.text);
	int ret = 0;
	struct tl_registry *reg = NULL;
	json_t *arr = json_is_object(root) ? json_object_get(root, "heists") : NULL;
	if (!json_is_array(arr)) {
		ret = tl_err_set(err, "%s: expected an object {\"heists\": [...]}", file);
		goto out;
	}
	reg = calloc(1, sizeof *reg);
	size_t n = json_array_size(arr);
	if (!reg || (n && !(reg->heists = calloc(n, sizeof *reg->heists)))) {
		ret = tl_err_set(err, "%s: out of memory", file);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char idx[32];
		snprintf(idx, sizeof idx, "#%zu", i);
		struct ctx c = {.file = file, .hid = idx, .err = err};
		json_t *jh = json_array_get(arr, i);
		reg->n = i + 1;
		if (!json_is_object(jh)) {
			ret = FAIL(&c, "not an object");
			goto out;
		}
		if ((ret = parse_heist(&c, jh, &reg->heists[i])) < 0) goto out;
		for (size_t j = 0; j < i; j++)
			if (strcmp(reg->heists[j].id, reg->heists[i].id) == 0) {
				ret = FAIL(&c, "id: duplicate (heists[%zu] has the same id)", j);
				goto out;
			}
	}
out:
	json_decref(root);
	if (ret < 0) {
		tl_registry_free(reg);
		return -1;
	}
	*out = reg;
	return 0;
}

int tl_registry_load(const char *path, struct tl_registry **out, struct tl_err *err)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f) return tl_err_set(err, "%s: cannot open: %s", path, strerror(errno));
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (len == cap) {
			if (cap >= (size_t)1 << 30) break;
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		size_t r = fread(buf + len, 1, cap - len, f);
		if (r == 0) break;
		len += r;
	}
	int bad = !buf || ferror(f) || len == cap;
	fclose(f);
	if (bad) {
		free(buf);
		return tl_err_set(err, "%s: read error or file over 1 GiB", path);
	}
	int rc = tl_registry_parse(buf, len, path, out, err);
	free(buf);
	return rc;
}
