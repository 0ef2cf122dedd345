/* /metrics of the real server checked against the Prometheus text
 * exposition format 0.0.4, line by line (metric and label names, HELP and
 * TYPE lines, label value escapes, sample values, one family's samples
 * together, histogram buckets), and against the conventions: counters
 * named _total, process_* metrics agreeing with /proc read here,
 * taintline_build_info carrying the version `taintline --version`
 * prints. Screening verdicts and limits are counted: the counts equal
 * the verdicts the answers carried and the limits they named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "api/auth.h"
#include "api/serve.h"
#include "store/store.h"
#include "tests/chainfix.h"
#include "tests/httpc.h"
#include "tests/testutil.h"
#include "tracer/entities.h"
#include "tracer/screen.h"

/* ---------------- a parser of the text format ---------------- */

#define MAXFAM 256

struct family {
	char name[128];
	char type[16]; /* "" until a TYPE line */
	int help, typed, samples, closed;
};

struct series {
	char key[512]; /* name{sorted labels} */
};

struct expo {
	struct family fam[MAXFAM];
	int nfam;
	int cur; /* family of the last line, -1 none */
	char **series;
	size_t nseries, cap;
};

static int name_ok(const char *s, size_t n)
{
	if (!n || !(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == ':')) return 0;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == ':')) return 0;
	return 1;
}

static int label_name_ok(const char *s, size_t n)
{
	if (!n || !(isalpha((unsigned char)s[0]) || s[0] == '_')) return 0;
	if (n >= 2 && s[0] == '_' && s[1] == '_') return 0; /* reserved */
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_')) return 0;
	return 1;
}

/* A sample value as Go's ParseFloat takes it (and Prometheus writes). */
static int value_ok(const char *s, double *v)
{
	if (!strcmp(s, "+Inf") || !strcmp(s, "Inf")) return *v = INFINITY, 1;
	if (!strcmp(s, "-Inf")) return *v = -INFINITY, 1;
	if (!strcmp(s, "NaN")) return *v = NAN, 1;
	char *end;
	*v = strtod(s, &end);
	return end != s && !*end && !isspace((unsigned char)*s);
}

static struct family *fam_get(struct expo *e, const char *name)
{
	for (int i = 0; i < e->nfam; i++)
		if (!strcmp(e->fam[i].name, name)) return &e->fam[i];
	assert_true(e->nfam < MAXFAM);
	struct family *f = &e->fam[e->nfam++];
	memset(f, 0, sizeof *f);
	snprintf(f->name, sizeof f->name, "%s", name);
	return f;
}

/* The family a sample name belongs to: a histogram's _bucket, _sum,
 * _count belong to the typed base name. */
static struct family *fam_of_sample(struct expo *e, const char *name)
{
	static const char *const suf[] = { "_bucket", "_sum", "_count" };
	size_t n = strlen(name);
	for (int k = 0; k < 3; k++) {
		size_t sl = strlen(suf[k]);
		if (n > sl && !strcmp(name + n - sl, suf[k])) {
			char base[128];
			snprintf(base, sizeof base, "%.*s", (int)(n - sl), name);
			for (int i = 0; i < e->nfam; i++)
				if (!strcmp(e->fam[i].name, base) &&
				    (!strcmp(e->fam[i].type, "histogram") || !strcmp(e->fam[i].type, "summary")))
					return &e->fam[i];
		}
	}
	return fam_get(e, name);
}

/* Parses one sample line; fills name, the canonical series key and le
 * (or NULL). Fails the test on a syntax error. */
static void parse_sample(const char *line, char *name, size_t ncap, char *key, size_t kcap, double *value, char *le,
			 size_t lecap)
{
	const char *p = line;
	size_t n = 0;
	while (p[n] && p[n] != '{' && p[n] != ' ') n++;
	if (!name_ok(p, n)) fail_msg("bad metric name in: %s", line);
	snprintf(name, ncap, "%.*s", (int)n, p);
	p += n;
	char labels[16][2][256];
	int nl = 0;
	le[0] = 0;
	if (*p == '{') {
		p++;
		while (*p != '}') {
			size_t ln = 0;
			while (p[ln] && p[ln] != '=') ln++;
			if (!label_name_ok(p, ln)) fail_msg("bad label name in: %s", line);
			assert_true(nl < 16);
			snprintf(labels[nl][0], 256, "%.*s", (int)ln, p);
			for (int i = 0; i < nl; i++)
				if (!strcmp(labels[i][0], labels[nl][0])) fail_msg("label repeated in: %s", line);
			p += ln + 1;
			if (*p != '"') fail_msg("label value not quoted in: %s", line);
			p++;
			size_t o = 0;
			while (*p != '"') {
				if (!*p) fail_msg("unterminated label value in: %s", line);
				if (*p == '\\') {
					p++;
					if (*p != '\\' && *p != '"' && *p != 'n') fail_msg("bad escape in: %s", line);
				}
				if (o < 255) labels[nl][1][o++] = *p;
				p++;
			}
			labels[nl][1][o] = 0;
			p++;
			nl++;
			if (*p == ',') p++;
			else if (*p != '}') fail_msg("expected , or } in: %s", line);
		}
		p++;
	}
	if (*p != ' ') fail_msg("no space before the value in: %s", line);
	p++;
	char val[64];
	size_t vl = 0;
	while (p[vl] && p[vl] != ' ') vl++;
	assert_true(vl < sizeof val);
	snprintf(val, sizeof val, "%.*s", (int)vl, p);
	if (!value_ok(val, value)) fail_msg("bad value '%s' in: %s", val, line);
	p += vl;
	if (*p == ' ') { /* optional timestamp: an integer */
		p++;
		if (*p == '-') p++;
		if (!isdigit((unsigned char)*p)) fail_msg("bad timestamp in: %s", line);
		while (isdigit((unsigned char)*p)) p++;
	}
	if (*p) fail_msg("trailing text in: %s", line);
	/* canonical key: name and labels sorted by name (le kept apart) */
	for (int i = 0; i < nl; i++)
		for (int j = i + 1; j < nl; j++)
			if (strcmp(labels[i][0], labels[j][0]) > 0) {
				char t[2][256];
				memcpy(t, labels[i], sizeof t);
				memcpy(labels[i], labels[j], sizeof t);
				memcpy(labels[j], t, sizeof t);
			}
	size_t ko = (size_t)snprintf(key, kcap, "%s{", name);
	for (int i = 0; i < nl; i++) {
		if (!strcmp(labels[i][0], "le")) snprintf(le, lecap, "%s", labels[i][1]);
		ko += (size_t)snprintf(key + ko, ko < kcap ? kcap - ko : 0, "%s=%s,", labels[i][0], labels[i][1]);
	}
	snprintf(key + (ko < kcap ? ko : kcap - 1), ko < kcap ? kcap - ko : 1, "}");
}

static void series_add(struct expo *e, const char *key)
{
	for (size_t i = 0; i < e->nseries; i++)
		if (!strcmp(e->series[i], key)) fail_msg("series twice: %s", key);
	if (e->nseries == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 256;
		e->series = realloc(e->series, e->cap * sizeof *e->series);
		assert_non_null(e->series);
	}
	e->series[e->nseries++] = strdup(key);
}

/* Checks a whole exposition; fills e. Histogram buckets are checked to
 * be cumulative and to end with +Inf equal to _count. */
static void check_exposition(const char *text, struct expo *e)
{
	memset(e, 0, sizeof *e);
	e->cur = -1;
	char *copy = strdup(text);
	size_t tl = strlen(text);
	assert_true(tl > 0 && text[tl - 1] == '\n'); /* every line ends in \n */
	char prev_bucket_series[512] = "";
	double prev_bucket = -1, prev_le = -INFINITY, inf_bucket = -1;
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#') {
			char kw[8], name[128];
			if (sscanf(line, "# %7s %127s", kw, name) != 2) continue; /* a plain comment */
			if (strcmp(kw, "HELP") && strcmp(kw, "TYPE")) continue;
			if (!name_ok(name, strlen(name))) fail_msg("bad name in: %s", line);
			struct family *f = fam_get(e, name);
			if (f->samples) fail_msg("%s after the family's samples: %s", kw, line);
			if (!strcmp(kw, "HELP")) {
				if (f->help++) fail_msg("HELP twice for %s", name);
				/* help text: only \\ and \n escapes */
				const char *h = line + strlen("# HELP ") + strlen(name);
				for (; *h; h++)
					if (*h == '\\' && h[1] != '\\' && h[1] != 'n') fail_msg("bad escape in: %s", line);
			} else {
				if (f->typed++) fail_msg("TYPE twice for %s", name);
				const char *t = line + strlen("# TYPE ") + strlen(name);
				if (*t != ' ') fail_msg("no type in: %s", line);
				t++;
				if (strcmp(t, "counter") && strcmp(t, "gauge") && strcmp(t, "histogram") &&
				    strcmp(t, "summary") && strcmp(t, "untyped"))
					fail_msg("unknown type in: %s", line);
				snprintf(f->type, sizeof f->type, "%s", t);
			}
			continue;
		}
		if (!*line) fail_msg("empty line in the exposition");
		char name[128], key[512], le[64];
		double v;
		parse_sample(line, name, sizeof name, key, sizeof key, &v, le, sizeof le);
		struct family *f = fam_of_sample(e, name);
		int idx = (int)(f - e->fam);
		if (f->closed) fail_msg("samples of %s are not together (again at: %s)", f->name, line);
		if (e->cur >= 0 && e->cur != idx) e->fam[e->cur].closed = 1;
		e->cur = idx;
		f->samples++;
		series_add(e, key);
		if (!strcmp(f->type, "counter") && !(v >= 0)) fail_msg("negative counter: %s", line);
		if (!strcmp(f->type, "histogram")) {
			size_t nl = strlen(name);
			if (nl > 7 && !strcmp(name + nl - 7, "_bucket")) {
				if (!le[0]) fail_msg("bucket without le: %s", line);
				/* the series without le: buckets of one series in order */
				char base[512];
				snprintf(base, sizeof base, "%s", key);
				char *lp = strstr(base, "le=");
				if (lp) {
					char *c = strchr(lp, ',');
					memmove(lp, c + 1, strlen(c + 1) + 1);
				}
				double lev;
				assert_true(value_ok(le, &lev));
				if (strcmp(base, prev_bucket_series)) {
					snprintf(prev_bucket_series, sizeof prev_bucket_series, "%s", base);
					prev_bucket = -1;
					prev_le = -INFINITY;
				}
				if (!(lev > prev_le)) fail_msg("le not increasing: %s", line);
				if (v < prev_bucket) fail_msg("buckets not cumulative: %s", line);
				prev_le = lev;
				prev_bucket = v;
				if (isinf(lev)) inf_bucket = v;
			} else if (nl > 6 && !strcmp(name + nl - 6, "_count")) {
				if (inf_bucket != v) fail_msg("_count %g differs from the +Inf bucket %g: %s", v, inf_bucket, line);
				inf_bucket = -1;
			}
		}
	}
	free(copy);
	/* conventions */
	for (int i = 0; i < e->nfam; i++) {
		struct family *f = &e->fam[i];
		size_t n = strlen(f->name);
		int total = n > 6 && !strcmp(f->name + n - 6, "_total");
		if (!f->typed) fail_msg("%s has no TYPE line", f->name);
		if (!f->help) fail_msg("%s has no HELP line", f->name);
		if (!strcmp(f->type, "counter") && !total) fail_msg("counter %s not named _total", f->name);
		if (total && strcmp(f->type, "counter")) fail_msg("%s is named _total but typed %s", f->name, f->type);
	}
}

static void expo_free(struct expo *e)
{
	for (size_t i = 0; i < e->nseries; i++) free(e->series[i]);
	free(e->series);
}

/* The value of the series name{labels} ("" for none) from the text, or
 * NAN when absent. labels as written by the server. */
static double sample(const char *text, const char *series)
{
	size_t n = strlen(series);
	for (const char *p = text; (p = strstr(p, series)); p += n)
		if ((p == text || p[-1] == '\n') && p[n] == ' ') return strtod(p + n + 1, NULL);
	return NAN;
}

/* ---------------- the parser itself, on hand-made texts ---------------- */

static void test_parser_vectors(void **state)
{
	(void)state;
	struct expo e;
	check_exposition("# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\\\"\\\\\\n\"} 3\n"
			 "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3.5\nh_count 2\n"
			 "# HELP g G.\n# TYPE g gauge\ng NaN\ng{a=\"b\"} -1e-3 1700000000000\n",
			 &e);
	assert_int_equal(e.nfam, 3);
	assert_int_equal(e.nseries, 7);
	expo_free(&e);
	/* the pieces the checker refuses, one by one */
	char name[128], key[512], le[64];
	double v;
	assert_false(name_ok("1abc", 4));
	assert_false(name_ok("a-b", 3));
	assert_true(name_ok("a:b_c9", 6));
	assert_false(label_name_ok("__x", 3));
	assert_false(label_name_ok("a:b", 3));
	assert_false(value_ok("1.5x", &v));
	assert_false(value_ok("", &v));
	assert_true(value_ok("+Inf", &v) && isinf(v));
	parse_sample("m{b=\"2\",a=\"1\"} 4", name, sizeof name, key, sizeof key, &v, le, sizeof le);
	assert_string_equal(key, "m{a=1,b=2,}");
	assert_true(v == 4);
}

/* ---------------- the real server ---------------- */

struct fixture {
	char *dir;
	char db[2048], keys[2048], heists[2048];
	char key_screen[TL_API_KEY_LEN + 1], key_inv[TL_API_KEY_LEN + 1];
	struct tl_app *app;
	uint16_t port;
};
static struct fixture F;

static void add_key(FILE *f, char *key, enum tl_api_role role)
{
	struct tl_err err;
	char line[256];
	assert_int_equal(tl_key_generate(key, &err), 0);
	assert_int_equal(tl_keyline_format(key, role, 0, tl_role_name(role), line, sizeof line, &err), 0);
	fputs(line, f);
}

static int setup(void **state)
{
	(void)state;
	memset(&F, 0, sizeof F);
	F.dir = tu_tmpdir("metrics_fmt");
	char sim[1024], blocks[1100];
	snprintf(sim, sizeof sim, "%s/sim", F.dir);
	snprintf(blocks, sizeof blocks, "%s/blocks", sim);
	snprintf(F.db, sizeof F.db, "%s/db", F.dir);
	snprintf(F.keys, sizeof F.keys, "%s/keys.txt", F.dir);
	snprintf(F.heists, sizeof F.heists, "%s/heists.json", sim);
	cf_sim(sim, 7, 140, 12, 1, false);
	struct tl_index_opts io = cf_index_opts(blocks, F.db);
	cf_index_run(&io, NULL);
	struct tl_store_opts so = { .cache_mb = 8 };
	struct tl_store *s = cf_store_open(F.db, &so);
	struct tl_err err;
	struct tl_heist_import_report hr;
	if (tl_heists_import(s, F.heists, &hr, &err) < 0) fail_msg("heists: %s", err.msg);
	uint32_t done = 0, skipped = 0;
	if (tl_screen_rebuild(s, NULL, &done, &skipped, &err) < 0) fail_msg("screen: %s", err.msg);
	tl_store_close(s);
	FILE *kf = fopen(F.keys, "w");
	assert_non_null(kf);
	add_key(kf, F.key_screen, TL_ROLE_SCREEN);
	add_key(kf, F.key_inv, TL_ROLE_INVESTIGATE);
	fclose(kf);
	struct tl_serve_opts o;
	tl_serve_opts_default(&o);
	o.db_path = F.db;
	o.listen = "127.0.0.1:0";
	o.keys_file = F.keys;
	o.threads = 2;
	o.log = NULL;
	if (tl_app_open(&o, &F.app, &err) < 0) fail_msg("open: %s", err.msg);
	if (tl_app_start(F.app, &err) < 0) fail_msg("start: %s", err.msg);
	F.port = tl_app_port(F.app);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tl_app_close(F.app);
	tu_rmrf(F.dir);
	free(F.dir);
	return 0;
}

static char *get_metrics(void)
{
	struct resp r;
	if (http_do(F.port, "GET", "/metrics", NULL, NULL, 0, &r) < 0) fail_msg("no /metrics answer");
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(hdr(&r, "Content-Type"), "text/plain; version=0.0.4"));
	char *b = r.body;
	r.body = NULL;
	resp_free(&r);
	return b;
}

/* Every string "address" under v, appended to out (at most cap). */
static void addresses(json_t *v, const char **out, int *n, int cap)
{
	if (json_is_object(v)) {
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x)
		{
			if (!strcmp(k, "address") && json_is_string(x) && *n < cap) out[(*n)++] = json_string_value(x);
			else addresses(x, out, n, cap);
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) addresses(x, out, n, cap);
	}
}

static void test_server_exposition(void **state)
{
	(void)state;
	/* screening: the heist's own addresses, and a clean one */
	json_error_t je;
	json_t *h = json_load_file(F.heists, 0, &je);
	assert_non_null(h);
	const char *addr[16];
	int na = 0;
	addresses(h, addr, &na, 15);
	assert_true(na > 0);
	addr[na++] = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";
	long by_risk[5] = { 0 };
	int answered = 0;
	for (int i = 0; i < na; i++) {
		char url[256];
		snprintf(url, sizeof url, "/v1/screen?address=%s", addr[i]);
		struct resp r;
		assert_int_equal(http_do(F.port, "GET", url, F.key_screen, NULL, 0, &r), 0);
		if (r.status == 200) {
			json_t *j = resp_json(&r);
			const char *risk = json_string_value(json_object_get(j, "risk"));
			assert_non_null(risk);
			int k;
			for (k = 0; k < 5 && strcmp(risk, tl_screen_risk_name(k)); k++) {}
			assert_true(k < 5);
			by_risk[k]++;
			answered++;
			json_decref(j);
		}
		resp_free(&r);
	}
	assert_true(answered > 0);
	/* limits: a trace stopped at one transaction, an oversized batch */
	const char *hid = json_string_value(json_object_get(json_array_get(json_object_get(h, "heists"), 0), "id"));
	assert_non_null(hid);
	char url[256];
	snprintf(url, sizeof url, "/v1/heists/%s/trace?max_tx=1", hid);
	struct resp r;
	assert_int_equal(http_do(F.port, "GET", url, F.key_inv, NULL, 0, &r), 0);
	int trace_413 = r.status == 413;
	print_message("%d screened (none %ld, low %ld, medium %ld, high %ld, severe %ld); trace with max_tx=1: %d\n",
		      answered, by_risk[0], by_risk[1], by_risk[2], by_risk[3], by_risk[4], r.status);
	if (trace_413) {
		json_t *j = resp_json(&r);
		assert_string_equal(json_string_value(json_object_get(j, "limit")), "trace_txs");
		json_decref(j);
	}
	resp_free(&r);
	size_t big = 1001 * 24 + 32;
	char *batch = malloc(big);
	size_t o = (size_t)snprintf(batch, big, "{\"items\":[");
	for (int i = 0; i < 1001; i++) o += (size_t)snprintf(batch + o, big - o, "%s{\"txid\":\"00\"}", i ? "," : "");
	o += (size_t)snprintf(batch + o, big - o, "]}");
	assert_int_equal(http_do(F.port, "POST", "/v1/screen", F.key_screen, batch, o, &r), 0);
	assert_int_equal(r.status, 413);
	resp_free(&r);
	free(batch);

	char *text = get_metrics();
	struct expo e;
	check_exposition(text, &e);

	/* verdicts by risk: exactly what the answers said */
	for (int k = 0; k < 5; k++) {
		char series[128];
		snprintf(series, sizeof series, "tl_screen_verdicts_total{risk=\"%s\"}", tl_screen_risk_name(k));
		double v = sample(text, series);
		if (by_risk[k]) assert_true(v == (double)by_risk[k]);
		else assert_true(isnan(v) || v == 0);
	}
	assert_true(sample(text, "tl_limits_hit_total{limit=\"screen_batch\"}") == 1);
	if (trace_413) assert_true(sample(text, "tl_limits_hit_total{limit=\"trace_txs\"}") == 1);

	/* process metrics against /proc read here (the server is this process) */
	double rss = sample(text, "process_resident_memory_bytes");
	long pages_rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	assert_non_null(f);
	long pages_vm = 0;
	assert_int_equal(fscanf(f, "%ld %ld", &pages_vm, &pages_rss), 2);
	fclose(f);
	double mine = (double)pages_rss * (double)sysconf(_SC_PAGESIZE);
	assert_true(rss > 0 && rss > mine / 2 && rss < mine * 2);
	double fds = sample(text, "process_open_fds");
	long nfd = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') nfd++;
	closedir(d);
	assert_true(fds > 3 && fds < (double)nfd + 16 && fds > (double)nfd - 16);
	struct rlimit rl;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	assert_true(sample(text, "process_max_fds") == (double)rl.rlim_cur);
	double start = sample(text, "process_start_time_seconds");
	double now = (double)time(NULL);
	assert_true(start <= now + 1 && start > now - 3600);
	double cpu = sample(text, "process_cpu_seconds_total");
	assert_true(cpu > 0);
	assert_true(sample(text, "process_virtual_memory_bytes") >= rss);

	/* build info: the version the CLI prints */
	char cmd[4200], *out = NULL;
	snprintf(cmd, sizeof cmd, "'%s' --version", TL_BINARY);
	assert_int_equal(tu_run(cmd, &out), 0);
	char ver[64] = "";
	assert_int_equal(sscanf(out, "taintline %63s", ver), 1);
	free(out);
	char series[256];
	snprintf(series, sizeof series, "taintline_build_info{version=\"%s\",schema=\"%d\",compiler=\"", ver,
		 TL_STORE_SCHEMA_VERSION);
	const char *bi = strstr(text, series);
	assert_non_null(bi);
	assert_non_null(strstr(bi, "\"} 1\n"));
	/* the counters the issue named are typed counters */
	const char *counters[] = { "tl_http_requests_total", "tl_pool_rejected_total", "tl_http_connections_refused_total",
				   "tl_screen_verdicts_total", "tl_limits_hit_total", "process_cpu_seconds_total" };
	for (size_t i = 0; i < sizeof counters / sizeof *counters; i++) {
		int found = 0;
		for (int k = 0; k < e.nfam; k++)
			if (!strcmp(e.fam[k].name, counters[i])) {
				assert_string_equal(e.fam[k].type, "counter");
				found = 1;
			}
		if (!found) fail_msg("%s missing", counters[i]);
	}
	expo_free(&e);
	free(text);
	json_decref(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parser_vectors),
		cmocka_unit_test_setup_teardown(test_server_exposition, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
