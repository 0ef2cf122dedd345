/* Risk rules of screening: defaults, the rules file, their application;
 * see screen.h. */
#include "tracer/screen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/category.h"

static const char *const level_names[] = { "none", "low", "medium", "high", "severe" };

static int cat_index(const char *name)
{
	const struct tl_category *c = tl_category_find(name);
	return c && c->screened ? (int)(c - tl_categories) : -1;
}

static void add_rule(struct tl_screen_rules *r, const char *cat, int direct, int level, double score,
                     double share, uint32_t hops, uint64_t sat)
{
	int i = cat_index(cat);
	if (i < 0 || r->n_cat >= TL_SCREEN_RULES_MAX) return;
	r->cat[r->n_cat++] = (struct tl_screen_cat_rule){ (uint8_t)i, (uint8_t)direct, (uint8_t)level, score,
							  share, hops, sat };
}

void tl_screen_rules_default(struct tl_screen_rules *r)
{
	memset(r, 0, sizeof *r);
	r->sanctioned_severe = 1;
	r->high_share = 0.5;
	r->high_hops = 1;
	r->medium_share = 0.1;
	r->medium_hops = 3;
	r->low_min_sat = 1000;
	snprintf(r->version, sizeof r->version, "default-1");
	/* Ownership by a sanctioned entity is a legal block; funds from one
	 * are a strong signal when close or large, else a review. */
	add_rule(r, "sanctioned", 1, 4, 100, 0, 0, 0);
	add_rule(r, "sanctioned", 0, 3, 85, 0, 1, 0);
	add_rule(r, "sanctioned", 0, 3, 80, 0.1, 0, 0);
	add_rule(r, "sanctioned", 0, 2, 60, 0, 3, 0);
	add_rule(r, "sanctioned", 0, 1, 30, 0, 0, 1000);
	/* Criminal categories: the perpetrators themselves, then their funds. */
	static const char *const crime[] = { "thief", "ransomware", "darknet", "scam" };
	for (size_t i = 0; i < 4; i++) {
		add_rule(r, crime[i], 1, 3, 90, 0, 0, 0);
		add_rule(r, crime[i], 0, 3, 75, 0.5, 0, 0);
		add_rule(r, crime[i], 0, 3, 70, 0, 1, 0);
		add_rule(r, crime[i], 0, 2, 50, 0.1, 0, 0);
		add_rule(r, crime[i], 0, 2, 45, 0, 3, 0);
		add_rule(r, crime[i], 0, 1, 20, 0, 0, 1000);
	}
	/* Mixers: a privacy service, not a crime; exposure is a review. */
	add_rule(r, "mixer", 1, 3, 70, 0, 0, 0);
	add_rule(r, "mixer", 0, 2, 50, 0.5, 0, 0);
	add_rule(r, "mixer", 0, 2, 40, 0, 1, 0);
	add_rule(r, "mixer", 0, 1, 15, 0, 0, 1000);
}

double tl_screen_level_score(int level)
{
	static const double s[] = { 0, 25, 50, 75, 100 };
	return level >= 0 && level <= 4 ? s[level] : 0;
}

int tl_screen_rules_apply(const struct tl_screen_rules *r, size_t cat, int direct, double share, uint32_t hops,
                          uint64_t amount, double *score)
{
	int level = 0;
	double best = 0;
	for (size_t i = 0; i < r->n_cat; i++) {
		const struct tl_screen_cat_rule *u = &r->cat[i];
		if (u->cat != cat || u->direct != !!direct) continue;
		if (u->min_share > 0 && share < u->min_share) continue;
		if (u->max_hops && hops > u->max_hops) continue;
		if (u->min_sat && amount < u->min_sat) continue;
		if (u->score > best || (u->score == best && u->level > level)) {
			best = u->score;
			level = u->level;
		}
	}
	*score = best;
	return level;
}

/* ---- the file ---- */

/* Parses a non-negative decimal number that is the whole of s. */
static int num(const char *s, double *d)
{
	char *end;
	errno = 0;
	*d = strtod(s, &end);
	return !*s || *end || errno || !(*d >= 0) || *d > 1e18 ? -1 : 0;
}

static int is_int(double d) { return d == (double)(uint64_t)d; }

static int level_of(const char *s)
{
	for (int i = 1; i <= 4; i++)
		if (!strcmp(s, level_names[i])) return i;
	return -1;
}

/* One "rule ..." line split into tokens (NUL-separated in place). */
static int parse_rule(char **tok, int nt, struct tl_screen_rules *r, const char *name, int ln, struct tl_err *err)
{
	if (nt < 5) return tl_err_set(err, "%s line %d: a rule is 'rule CATEGORY direct|indirect LEVEL SCORE [conditions]'", name, ln);
	int ci = cat_index(tok[1]);
	if (ci < 0) return tl_err_set(err, "%s line %d: '%s' is not a screened category", name, ln, tok[1]);
	int direct = !strcmp(tok[2], "direct") ? 1 : !strcmp(tok[2], "indirect") ? 0 : -1;
	if (direct < 0) return tl_err_set(err, "%s line %d: direction '%s' is not direct or indirect", name, ln, tok[2]);
	int level = level_of(tok[3]);
	if (level < 0) return tl_err_set(err, "%s line %d: level '%s' is not low, medium, high or severe", name, ln, tok[3]);
	double score;
	if (num(tok[4], &score) || score > 100)
		return tl_err_set(err, "%s line %d: score '%s' is not a number in 0..100", name, ln, tok[4]);
	struct tl_screen_cat_rule u = { (uint8_t)ci, (uint8_t)direct, (uint8_t)level, score, 0, 0, 0 };
	for (int i = 5; i < nt; i++) {
		double d;
		if (!strncmp(tok[i], "share>=", 7) && !num(tok[i] + 7, &d) && d <= 1) u.min_share = d;
		else if (!strncmp(tok[i], "hops<=", 6) && !num(tok[i] + 6, &d) && is_int(d) && d >= 1 && d < 1e6)
			u.max_hops = (uint32_t)d;
		else if (!strncmp(tok[i], "amount>=", 8) && !num(tok[i] + 8, &d) && is_int(d) && d < 2.1e15)
			u.min_sat = (uint64_t)d;
		else
			return tl_err_set(err, "%s line %d: bad condition '%s' (share>=0..1, hops<=N, amount>=SAT)", name,
					  ln, tok[i]);
		if (direct) return tl_err_set(err, "%s line %d: a direct rule takes no condition", name, ln);
	}
	if (r->n_cat >= TL_SCREEN_RULES_MAX)
		return tl_err_set(err, "%s line %d: more than %d rules", name, ln, TL_SCREEN_RULES_MAX);
	r->cat[r->n_cat++] = u;
	return 0;
}

static int parse_setting(char *line, struct tl_screen_rules *r, const char *name, int ln, struct tl_err *err)
{
	char *eq = strchr(line, '=');
	if (!eq) return tl_err_set(err, "%s line %d: expected name = value or a rule", name, ln);
	*eq = 0;
	char *key = line, *val = eq + 1;
	for (char *q = eq - 1; q >= key && (*q == ' ' || *q == '\t'); q--) *q = 0;
	while (*val == ' ' || *val == '\t') val++;
	for (char *q = val + strlen(val) - 1; q >= val && (*q == ' ' || *q == '\t'); q--) *q = 0;
	if (!strcmp(key, "version")) {
		size_t l = strlen(val);
		if (!l || l >= sizeof r->version) return tl_err_set(err, "%s line %d: version wants 1..63 characters", name, ln);
		for (size_t i = 0; i < l; i++)
			if ((unsigned char)val[i] < 0x21 || (unsigned char)val[i] > 0x7e || val[i] == '"' || val[i] == '\\')
				return tl_err_set(err, "%s line %d: version wants printable ASCII without spaces or quotes",
						  name, ln);
		memcpy(r->version, val, l + 1);
		return 0;
	}
	double d;
	if (num(val, &d)) return tl_err_set(err, "%s line %d: bad value '%s' for %s", name, ln, val, key);
	if (!strcmp(key, "sanctioned_severe") && (d == 0 || d == 1)) r->sanctioned_severe = (int)d;
	else if (!strcmp(key, "high_share") && d <= 1) r->high_share = d;
	else if (!strcmp(key, "medium_share") && d <= 1) r->medium_share = d;
	else if (!strcmp(key, "high_hops") && is_int(d) && d < 1e6) r->high_hops = (uint32_t)d;
	else if (!strcmp(key, "medium_hops") && is_int(d) && d < 1e6) r->medium_hops = (uint32_t)d;
	else if (!strcmp(key, "low_min_sat") && is_int(d) && d < 2.1e15) r->low_min_sat = (uint64_t)d;
	else return tl_err_set(err, "%s line %d: unknown rule '%s' or value out of range", name, ln, key);
	return 0;
}

int tl_screen_rules_parse(const char *text, size_t len, const char *name, struct tl_screen_rules *out,
                          struct tl_err *err)
{
	if (memchr(text, 0, len)) return tl_err_set(err, "%s: a NUL byte in a rules file", name);
	struct tl_screen_rules *r = malloc(sizeof *r);
	if (!r) return tl_err_set(err, "out of memory");
	*r = *out;
	r->version[0] = 0;
	size_t n_default = r->n_cat;
	r->n_cat = 0;
	int ln = 0, ret = 0, rules = 0;
	size_t pos = 0;
	char line[1024];
	while (pos < len && !ret) {
		size_t e = pos;
		while (e < len && text[e] != '\n') e++;
		ln++;
		if (e - pos >= sizeof line) {
			ret = tl_err_set(err, "%s line %d: longer than %zu bytes", name, ln, sizeof line - 1);
			break;
		}
		memcpy(line, text + pos, e - pos);
		line[e - pos] = 0;
		pos = e + 1;
		char *h = strchr(line, '#');
		if (h) *h = 0;
		size_t l = strlen(line);
		while (l && (line[l - 1] == '\r' || line[l - 1] == ' ' || line[l - 1] == '\t')) line[--l] = 0;
		char *p = line;
		while (*p == ' ' || *p == '\t') p++;
		if (!*p) continue;
		if (!strncmp(p, "rule", 4) && (p[4] == ' ' || p[4] == '\t')) {
			char *tok[16];
			int nt = 0;
			char *sv = NULL;
			for (char *t = strtok_r(p, " \t", &sv); t; t = strtok_r(NULL, " \t", &sv)) {
				if (nt == 16) {
					ret = tl_err_set(err, "%s line %d: too many fields", name, ln);
					break;
				}
				tok[nt++] = t;
			}
			if (!ret) ret = parse_rule(tok, nt, r, name, ln, err);
			rules++;
		} else {
			ret = parse_setting(p, r, name, ln, err);
		}
	}
	if (!ret) {
		if (!rules) r->n_cat = n_default; /* no rule line: the defaults stay */
		if (!r->version[0]) {
			uint64_t x = 1469598103934665603ull;
			for (size_t i = 0; i < len; i++) x = (x ^ (uint8_t)text[i]) * 1099511628211ull;
			snprintf(r->version, sizeof r->version, "fnv-%016llx", (unsigned long long)x);
		}
		*out = *r;
	}
	free(r);
	return ret;
}

int tl_screen_rules_load(const char *path, struct tl_screen_rules *r, struct tl_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) return tl_err_set(err, "%s: %s", path, strerror(errno));
	size_t cap = 1 << 20;
	char *buf = malloc(cap + 1);
	if (!buf) {
		fclose(f);
		return tl_err_set(err, "out of memory");
	}
	size_t n = fread(buf, 1, cap + 1, f);
	int bad = ferror(f);
	fclose(f);
	int ret;
	if (bad) ret = tl_err_set(err, "%s: read error", path);
	else if (n > cap) ret = tl_err_set(err, "%s: larger than 1 MiB", path);
	else ret = tl_screen_rules_parse(buf, n, path, r, err);
	free(buf);
	return ret;
}
