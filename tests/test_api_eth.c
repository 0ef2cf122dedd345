/* `taintline serve` with an Ethereum database, as a real process on
 * loopback, checked against the command line on the same databases (an
 * independent path: `get`, `screen` and `trace` open the databases
 * themselves) and against naive sums over the simulator's export:
 *   - one database per chain: two of one chain are refused;
 *   - accounts: equal to `get account`; each token's received, sent and
 *     transfer count equal to sums over token_transfers.csv;
 *   - transactions and blocks (by number and by hash) equal to `get`;
 *   - an account's transfers paged with the cursor at several page sizes:
 *     newest first, no repeat, no miss (the count the account's totals
 *     give, and the command line's own paging gives the same list);
 *   - /v1/screen for Ethereum accounts equal to `screen --address`, its
 *     received equal to the account's, its share floor(tainted * 10^6 /
 *     received); Bitcoin addresses still get the Bitcoin verdict;
 *   - heist traces byte-identical to `trace` (the Ethereum-only server
 *     and `trace --db ETHDB`; both databases and `trace --db BTC --db
 *     ETH`), and the server's transaction cap answered 413;
 *   - bad input: 400 or 404 with a typed JSON error, never a crash;
 *   - a server beside the writer: an index run extending the database
 *     while it serves is seen once caught up (a secondary). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ethereum/address.h"
#include "ethereum/u256.h"
#include "tests/httpc.h"
#include "tests/testutil.h"

/* WETH: its wrapping and unwrapping are Deposit and Withdrawal events,
 * not Transfer rows, so the export's token_transfers.csv misses them. */
#define WETH "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"

static char *dir;
static char mc[1024], es[1024];

struct server {
	pid_t pid;
	uint16_t port;
};
static struct server both, ethonly;

static void sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int rc = tu_run(cmd, NULL);
	if (rc) fail_msg("exit %d: %s", rc, cmd);
}

static json_t *sh_json(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	char *out = NULL;
	int rc = tu_run(cmd, &out);
	if (rc) fail_msg("exit %d: %s\n%s", rc, cmd, out ? out : "");
	json_error_t je;
	json_t *j = json_loads(out, 0, &je);
	if (!j) fail_msg("%s: not JSON: %s", cmd, je.text);
	free(out);
	return j;
}


/* Starts `taintline serve ARGS --listen 127.0.0.1:PORT` and waits (at
 * most 20 s) for /healthz to answer. */
static struct server start_server(const char *args)
{
	struct server s = { 0, tu_free_port() };
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "exec %s serve %s --listen 127.0.0.1:%u 2>>%s/serve.log", TL_BINARY, args, s.port, dir);
	s.pid = fork();
	assert_true(s.pid >= 0);
	if (s.pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 400; i++) {
		struct resp r;
		if (http_do(s.port, "GET", "/healthz", NULL, NULL, 0, &r) == 0 && r.status > 0) {
			resp_free(&r);
			return s;
		}
		resp_free(&r);
		int st;
		if (waitpid(s.pid, &st, WNOHANG) == s.pid) {
			char log[4096];
			snprintf(log, sizeof log, "%s/serve.log", dir);
			size_t n = 0;
			char *text = (char *)tu_read_file(log, &n);
			fail_msg("serve %s exited: %.*s", args, (int)(n > 2000 ? 2000 : n), text);
		}
		usleep(50000);
	}
	fail_msg("serve %s did not answer", args);
	return s;
}

static void stop_server(struct server *s)
{
	if (s->pid <= 0) return;
	kill(s->pid, SIGTERM);
	int st = 0;
	waitpid(s->pid, &st, 0);
	s->pid = 0;
}

static struct resp get(const struct server *s, const char *fmt, ...)
{
	char path[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof path, fmt, ap);
	va_end(ap);
	struct resp r;
	if (http_do(s->port, "GET", path, NULL, NULL, 0, &r)) fail_msg("GET %s: no answer", path);
	return r;
}

static json_t *get_json(const struct server *s, const char *fmt, ...)
{
	char path[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof path, fmt, ap);
	va_end(ap);
	struct resp r;
	if (http_do(s->port, "GET", path, NULL, NULL, 0, &r)) fail_msg("GET %s: no answer", path);
	if (r.status != 200) fail_msg("GET %s: %d %s", path, r.status, r.body);
	json_t *j = resp_json(&r);
	resp_free(&r);
	return j;
}

static void expect_equal(json_t *a, json_t *b, const char *what)
{
	if (!json_equal(a, b)) {
		char *x = json_dumps(a, JSON_COMPACT), *y = json_dumps(b, JSON_COMPACT);
		fail_msg("%s differ:\nHTTP %.2000s\nCLI  %.2000s", what, x, y);
	}
}

/* ---- the export, read naively ---- */

/* Field k (0-based) of a CSV line whose quoted fields all come after it:
 * copied into out. */
static void field(const char *line, int k, char *out, size_t cap)
{
	const char *p = line;
	for (int i = 0; i < k && p; i++) {
		p = strchr(p, ',');
		if (p) p++;
	}
	size_t n = 0;
	while (p && p[n] && p[n] != ',' && p[n] != '\n' && p[n] != '\r') n++;
	if (n >= cap) n = cap - 1;
	memcpy(out, p ? p : "", n);
	out[n] = 0;
}

static int column(const char *header, const char *name)
{
	char f[64];
	for (int k = 0; k < 64; k++) {
		field(header, k, f, sizeof f);
		if (!strcmp(f, name)) return k;
		if (!f[0]) break;
	}
	fail_msg("no column %s", name);
	return -1;
}

/* Copies the rows of DIR/src/file with block <= until into DIR/dst. */
static void cut_csv(const char *src, const char *dst, const char *file, const char *col, long until)
{
	char p[4200];
	snprintf(p, sizeof p, "%s/%s", src, file);
	FILE *in = fopen(p, "r");
	if (!in) return; /* a file this export lacks */
	snprintf(p, sizeof p, "%s/%s", dst, file);
	FILE *out = fopen(p, "w");
	assert_non_null(out);
	char *line = NULL;
	size_t cap = 0;
	int c = -1;
	while (getline(&line, &cap, in) > 0) {
		if (c < 0) {
			c = column(line, col);
			fputs(line, out);
			continue;
		}
		char f[32];
		field(line, c, f, sizeof f);
		if (atol(f) <= until) fputs(line, out);
	}
	free(line);
	fclose(in);
	fclose(out);
}

struct tok_sum {
	char token[43];
	tl_uint256 received, sent;
	uint64_t count;
};

/* Per token, what addr received and sent in token_transfers.csv. */
static size_t token_sums(const char *addr, struct tok_sum *s, size_t max)
{
	char p[2048];
	snprintf(p, sizeof p, "%s/token_transfers.csv", es);
	FILE *in = fopen(p, "r");
	assert_non_null(in);
	char *line = NULL;
	size_t cap = 0, n = 0;
	int first = 1;
	while (getline(&line, &cap, in) > 0) {
		if (first) {
			first = 0;
			continue;
		}
		char tok[43], from[64], to[64], val[100];
		field(line, 0, tok, sizeof tok);
		field(line, 1, from, sizeof from);
		field(line, 2, to, sizeof to);
		field(line, 3, val, sizeof val);
		int is_from = !strcmp(from, addr), is_to = !strcmp(to, addr);
		if (!is_from && !is_to) continue;
		size_t i = 0;
		while (i < n && strcmp(s[i].token, tok)) i++;
		if (i == n) {
			assert_true(n < max);
			memset(&s[n], 0, sizeof s[n]);
			snprintf(s[n].token, sizeof s[n].token, "%s", tok);
			n++;
		}
		tl_uint256 v;
		assert_int_equal(tl_uint256_from_dec(val, strlen(val), &v), 0);
		if (is_to) assert_false(tl_uint256_add(&s[i].received, &s[i].received, &v));
		if (is_from) assert_false(tl_uint256_add(&s[i].sent, &s[i].sent, &v));
		s[i].count++;
	}
	free(line);
	fclose(in);
	return n;
}

/* Accounts of the export: every from and to of transactions.csv, in
 * file order, without repeats; *n set. */
static char (*accounts(size_t *n))[43]
{
	char p[2048];
	snprintf(p, sizeof p, "%s/transactions.csv", es);
	FILE *in = fopen(p, "r");
	assert_non_null(in);
	size_t cap = 4096, k = 0;
	char(*v)[43] = malloc(cap * sizeof *v);
	char *line = NULL;
	size_t lc = 0;
	int first = 1;
	while (getline(&line, &lc, in) > 0) {
		if (first) {
			first = 0;
			continue;
		}
		for (int f = 5; f <= 6; f++) {
			char a[64];
			field(line, f, a, sizeof a);
			if (strlen(a) != 42) continue;
			size_t i = 0;
			while (i < k && strcmp(v[i], a)) i++;
			if (i < k) continue;
			if (k == cap) v = realloc(v, (cap *= 2) * sizeof *v);
			memcpy(v[k++], a, 43); /* 42 characters and the NUL */
		}
	}
	free(line);
	fclose(in);
	*n = k;
	return v;
}

/* ---- fixtures ---- */

static int setup(void **st)
{
	(void)st;
	dir = tu_tmpdir("api_eth");
	snprintf(mc, sizeof mc, "%s/mc", dir);
	snprintf(es, sizeof es, "%s/es", dir);
	/* both chains: the multichain simulation */
	sh("%s simulate --chain multichain --out %s --seed 9 >/dev/null", TL_BINARY, mc);
	sh("%s index --chain ethereum --etl %s/ethereum --db %s/eth --network dev -q", TL_BINARY, mc, mc);
	sh("%s index --blocks-dir %s/bitcoin/blocks --db %s/btc --network regtest >/dev/null 2>&1", TL_BINARY, mc, mc);
	sh("%s tags import --db %s/eth %s/ethereum/tags.csv >/dev/null", TL_BINARY, mc, mc);
	sh("%s tags import --db %s/btc %s/bitcoin/tags.csv >/dev/null", TL_BINARY, mc, mc);
	sh("%s heist import --db %s/eth %s/ethereum/heists.json >/dev/null", TL_BINARY, mc, mc);
	sh("%s heist import --db %s/btc %s/bitcoin/heists.json >/dev/null", TL_BINARY, mc, mc);
	/* Ethereum alone: the Ethereum simulator, 150 blocks */
	sh("%s simulate --chain ethereum --out %s --blocks 150 --txs-per-block 20 --no-rpc >/dev/null", TL_BINARY, es);
	sh("%s index --chain ethereum --etl %s --db %s/db -q", TL_BINARY, es, es);
	sh("%s tags import --db %s/db %s/tags.csv >/dev/null", TL_BINARY, es, es);
	sh("%s heist import --db %s/db %s/heists.json >/dev/null", TL_BINARY, es, es);
	char args[3000];
	snprintf(args, sizeof args, "--db %s/btc --db %s/eth", mc, mc);
	both = start_server(args);
	snprintf(args, sizeof args, "--db %s/db", es);
	ethonly = start_server(args);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	stop_server(&both);
	stop_server(&ethonly);
	tu_rmrf(dir);
	free(dir);
	return 0;
}

/* ---- tests ---- */

static void test_one_db_per_chain(void **st)
{
	(void)st;
	char cmd[4096], *out = NULL;
	snprintf(cmd, sizeof cmd, "%s serve --db %s/eth --db %s/db --listen 127.0.0.1:0 2>&1", TL_BINARY, mc, es);
	int rc = tu_run(cmd, &out);
	assert_int_not_equal(rc, 0);
	assert_non_null(strstr(out, "both Ethereum databases"));
	free(out);
	snprintf(cmd, sizeof cmd, "%s serve --db %s/btc --db %s/btc --listen 127.0.0.1:0 2>&1", TL_BINARY, mc, mc);
	rc = tu_run(cmd, &out);
	assert_int_not_equal(rc, 0);
	assert_non_null(strstr(out, "both Bitcoin databases"));
	free(out);
	/* health names both chains' tips */
	json_t *h = get_json(&both, "/healthz");
	json_t *e = json_object_get(h, "ethereum");
	assert_string_equal(json_string_value(json_object_get(e, "network")), "dev");
	json_t *blk = sh_json("%s get block %lld --db %s/eth", TL_BINARY,
			      (long long)json_integer_value(json_object_get(e, "height")), mc);
	assert_string_equal(json_string_value(json_object_get(e, "tip_hash")),
			    json_string_value(json_object_get(blk, "hash")));
	assert_string_equal(json_string_value(json_object_get(h, "network")), "regtest");
	json_decref(blk);
	json_decref(h);
}

/* A fixed-seed sample of the export's accounts (the seed is printed). */
static size_t sample(size_t n, size_t *idx, size_t want, unsigned seed)
{
	printf("# sample seed %u\n", seed);
	size_t k = 0;
	for (size_t i = 0; i < want && n; i++) {
		seed = seed * 1103515245u + 12345u;
		idx[k++] = (seed >> 8) % n;
	}
	return k;
}

static void test_accounts(void **st)
{
	(void)st;
	size_t n;
	char(*all)[43] = accounts(&n);
	assert_true(n > 100);
	size_t idx[40];
	size_t k = sample(n, idx, 40, (unsigned)time(NULL));
	int tokens_checked = 0;
	for (size_t i = 0; i < k; i++) {
		const char *a = all[idx[i]];
		json_t *h = get_json(&ethonly, "/eth/api/v2/addresses/%s", a);
		json_t *c = sh_json("%s get account %s --db %s/db", TL_BINARY, a, es);
		expect_equal(h, c, a);
		/* tokens: the naive sums of the export */
		struct tok_sum ts[64];
		size_t nt = token_sums(a, ts, 64);
		json_t *assets = json_object_get(h, "assets"), *x;
		size_t j, seen = 0;
		json_array_foreach(assets, j, x)
		{
			const char *as = json_string_value(json_object_get(x, "asset"));
			if (!strcmp(as, "ETH") || !strcmp(as, WETH)) continue;
			size_t t = 0;
			while (t < nt && strcmp(ts[t].token, as)) t++;
			if (t == nt) fail_msg("%s: token %s has no row in token_transfers.csv", a, as);
			char d1[TL_U256_DEC_MAX], d2[TL_U256_DEC_MAX];
			assert_string_equal(json_string_value(json_object_get(x, "received")),
					    tl_uint256_to_dec(&ts[t].received, d1));
			assert_string_equal(json_string_value(json_object_get(x, "sent")), tl_uint256_to_dec(&ts[t].sent, d2));
			assert_int_equal(json_integer_value(json_object_get(x, "transfers")), ts[t].count);
			seen++;
			tokens_checked++;
		}
		for (size_t t = 0; t < nt; t++) seen += !strcmp(ts[t].token, WETH);
		assert_int_equal(seen, nt);
		json_decref(h);
		json_decref(c);
	}
	printf("# %zu accounts, %d token totals checked\n", k, tokens_checked);
	/* a checksummed address answers as its lower-case form */
	uint8_t raw[20];
	char cs[43];
	struct tl_err err;
	assert_int_equal(tl_eth_addr_parse(all[0], 42, raw, &err), 0);
	tl_eth_addr_checksum(raw, cs);
	json_t *x = get_json(&ethonly, "/eth/api/v2/addresses/%s", cs), *y = get_json(&ethonly, "/eth/api/v2/addresses/%s", all[0]);
	expect_equal(x, y, "checksummed");
	json_decref(x);
	json_decref(y);
	free(all);
}

static void test_tx_and_block(void **st)
{
	(void)st;
	char p[2048];
	snprintf(p, sizeof p, "%s/transactions.csv", es);
	FILE *in = fopen(p, "r");
	assert_non_null(in);
	char *line = NULL;
	size_t cap = 0;
	int row = 0, checked = 0;
	while (getline(&line, &cap, in) > 0) {
		if (row++ == 0 || row % 397) continue; /* every 397th transaction */
		char h[80], num[32];
		field(line, 0, h, sizeof h);
		field(line, 3, num, sizeof num);
		json_t *a = get_json(&ethonly, "/eth/api/v2/transactions/%s", h);
		json_t *b = sh_json("%s get tx %s --db %s/db", TL_BINARY, h, es);
		expect_equal(a, b, h);
		json_decref(a);
		json_decref(b);
		a = get_json(&ethonly, "/eth/api/v2/blocks/%s", num);
		b = sh_json("%s get block %s --db %s/db", TL_BINARY, num, es);
		expect_equal(a, b, num);
		json_t *c = get_json(&ethonly, "/eth/api/v2/blocks/%s", json_string_value(json_object_get(b, "hash")));
		expect_equal(c, b, "block by hash");
		json_decref(a);
		json_decref(b);
		json_decref(c);
		checked++;
	}
	free(line);
	fclose(in);
	assert_true(checked >= 10);
}

/* Walks an account's transfers of one asset with the cursor. Returns the
 * seqs in order (malloc'd), *n their count. */
static uint64_t *walk(const char *addr, const char *asset, int limit, size_t *n)
{
	size_t cap = 64, k = 0;
	uint64_t *v = malloc(cap * sizeof *v);
	char before[40] = "";
	for (int pages = 0; pages < 100000; pages++) {
		json_t *j = get_json(&ethonly, "/eth/api/v2/addresses/%s/transfers?limit=%d%s%s%s%s", addr, limit,
				     asset ? "&asset=" : "", asset ? asset : "", before[0] ? "&before=" : "", before);
		json_t *t = json_object_get(j, "transfers"), *x;
		size_t i;
		assert_true(json_array_size(t) <= (size_t)limit);
		json_array_foreach(t, i, x)
		{
			if (k == cap) v = realloc(v, (cap *= 2) * sizeof *v);
			v[k++] = (uint64_t)json_integer_value(json_object_get(x, "seq"));
		}
		json_t *next = json_object_get(j, "next");
		if (json_is_null(next)) {
			json_decref(j);
			break;
		}
		assert_int_equal(json_array_size(t), limit); /* only a last page is short */
		snprintf(before, sizeof before, "%lld", (long long)json_integer_value(next));
		json_decref(j);
	}
	*n = k;
	return v;
}

static void test_paging(void **st)
{
	(void)st;
	/* the busiest accounts of a sample, ether and their first token */
	size_t n;
	char(*all)[43] = accounts(&n);
	int walked = 0;
	for (size_t i = 0; i < n && walked < 6; i += n / 12 + 1) {
		json_t *acct = get_json(&ethonly, "/eth/api/v2/addresses/%s", all[i]);
		json_t *x;
		size_t j;
		json_array_foreach(json_object_get(acct, "assets"), j, x)
		{
			const char *as = json_string_value(json_object_get(x, "asset"));
			uint64_t count = (uint64_t)json_integer_value(json_object_get(x, "transfers"));
			const char *asset = strcmp(as, "ETH") ? as : NULL;
			size_t n7, n25;
			uint64_t *a = walk(all[i], asset, 7, &n7);
			uint64_t *b = walk(all[i], asset, 25, &n25);
			assert_int_equal(n7, count); /* no miss, no repeat: the totals' count */
			assert_int_equal(n25, count);
			for (size_t q = 0; q < n7; q++) {
				assert_int_equal(a[q], b[q]);
				if (q) assert_true(a[q] < a[q - 1]); /* newest first, each once */
			}
			/* the command line's pages (25 each) give the same list */
			size_t q = 0;
			char before[40] = "";
			for (;;) {
				json_t *c = sh_json("%s get account %s --db %s/db --transfers%s%s%s%s", TL_BINARY, all[i], es,
						    asset ? " --asset " : "", asset ? asset : "", before[0] ? " --before " : "",
						    before);
				json_t *y;
				size_t m;
				json_array_foreach(json_object_get(c, "transfers"), m, y)
				{
					assert_true(q < n7);
					assert_int_equal(json_integer_value(json_object_get(y, "seq")), a[q]);
					q++;
				}
				json_t *next = json_object_get(c, "next");
				int last = json_is_null(next);
				snprintf(before, sizeof before, "%lld", (long long)json_integer_value(next));
				json_decref(c);
				if (last) break;
			}
			assert_int_equal(q, n7);
			free(a);
			free(b);
			walked++;
			if (j >= 1) break;
		}
		json_decref(acct);
	}
	assert_true(walked >= 4);
	free(all);
}

static void test_screen(void **st)
{
	(void)st;
	/* the heist's recipients and a sample of others */
	json_t *truth = NULL;
	char p[2048];
	snprintf(p, sizeof p, "%s/truth.json", es);
	json_error_t je;
	truth = json_load_file(p, 0, &je);
	assert_non_null(truth);
	size_t n;
	char(*all)[43] = accounts(&n);
	int exposed = 0;
	for (size_t i = 0; i < n; i += 7) {
		json_t *h = get_json(&ethonly, "/v1/screen?address=%s", all[i]);
		json_t *c = sh_json("%s screen --db %s/db --address %s", TL_BINARY, es, all[i]);
		expect_equal(h, c, all[i]);
		json_t *acct = NULL, *e, *as;
		size_t j, k;
		json_array_foreach(json_object_get(h, "exposures"), j, e)
		{
			json_array_foreach(json_object_get(e, "assets"), k, as)
			{
				if (!acct) acct = get_json(&ethonly, "/eth/api/v2/addresses/%s", all[i]);
				const char *asset = json_string_value(json_object_get(as, "asset"));
				json_t *x, *match = NULL;
				size_t q;
				json_array_foreach(json_object_get(acct, "assets"), q, x)
				if (!strcmp(json_string_value(json_object_get(x, "asset")), asset)) match = x;
				assert_non_null(match);
				const char *recv = json_string_value(json_object_get(as, "received"));
				assert_string_equal(recv, json_string_value(json_object_get(match, "received")));
				/* share = floor(tainted * 10^6 / received), naively by
				 * repeated subtraction of the 256-bit received */
				const char *tt = json_string_value(json_object_get(as, "tainted"));
				tl_uint256 t, r, num;
				assert_int_equal(tl_uint256_from_dec(tt, strlen(tt), &t), 0);
				assert_int_equal(tl_uint256_from_dec(recv, strlen(recv), &r), 0);
				assert_false(tl_uint256_mul_u64(&num, &t, 1000000));
				uint64_t qn = 0;
				while (!tl_uint256_sub(&num, &num, &r)) qn++; /* t <= r: at most 10^6 rounds */
				char want[32];
				snprintf(want, sizeof want, "%llu.%06llu", (unsigned long long)(qn / 1000000),
					 (unsigned long long)(qn % 1000000));
				assert_string_equal(json_string_value(json_object_get(as, "share")), want);
				exposed++;
			}
		}
		json_decref(acct);
		json_decref(h);
		json_decref(c);
	}
	printf("# %d exposures checked\n", exposed);
	assert_true(exposed > 0);
	/* both databases: Ethereum accounts by the Ethereum index, Bitcoin
	 * addresses as before */
	json_t *h = get_json(&both, "/v1/screen?address=0x%040x", 0);
	assert_true(json_is_array(json_object_get(h, "exposures")));
	json_decref(h);
	json_decref(truth);
	free(all);
}

/* The Bitcoin walks' reports carry their wall-clock time: blanked in both
 * texts before comparing. */
static void blank_times(char *s)
{
	for (char *p = s; (p = strstr(p, "\"generated_at\": \"")); p += 17) {
		char *q = p + 17;
		while (*q && *q != '"') *q++ = 'T';
	}
}

static void test_trace_identical(void **st)
{
	(void)st;
	static const char *pols[] = { "poison", "haircut", "fifo", "seniority" };
	for (int i = 0; i < 4; i++) {
		struct resp r = get(&ethonly, "/v1/heists/sim-eth-heist-1/trace?policy=%s", pols[i]);
		assert_int_equal(r.status, 200);
		char *c = tu_run_ok("%s trace --db %s/db --heist sim-eth-heist-1 --policy %s", TL_BINARY, es, pols[i]);
		if (strlen(c) != r.blen || memcmp(c, r.body, r.blen)) fail_msg("Ethereum trace %s differs from the CLI", pols[i]);
		free(c);
		resp_free(&r);
	}
	struct resp r = get(&ethonly, "/v1/heists/sim-eth-heist-1/trace?format=csv&max_hops=3");
	char *c = tu_run_ok("%s trace --db %s/db --heist sim-eth-heist-1 --format csv --max-hops 3", TL_BINARY, es);
	assert_int_equal(r.status, 200);
	assert_true(strlen(c) == r.blen && !memcmp(c, r.body, r.blen));
	free(c);
	resp_free(&r);
	/* both chains: the Ethereum heist through THORChain, and the Bitcoin one */
	static const char *xp[] = { "poison", "haircut", "fifo", "tiho" };
	static const char *heists[] = { "sim-bybit", "sim-dmm" };
	for (int hh = 0; hh < 2; hh++)
		for (int i = 0; i < 4; i++) {
			r = get(&both, "/v1/heists/%s/trace?policy=%s", heists[hh], xp[i]);
			assert_int_equal(r.status, 200);
			c = tu_run_ok("%s trace --db %s/btc --db %s/eth --heist %s --policy %s --max-tx 200000", TL_BINARY, mc, mc,
				   heists[hh], xp[i]);
			blank_times(c);
			blank_times(r.body);
			if (strlen(c) != r.blen || memcmp(c, r.body, r.blen))
				fail_msg("cross-chain trace %s %s differs from the CLI", heists[hh], xp[i]);
			json_t *j = resp_json(&r);
			if (hh == 0) assert_true(json_array_size(json_object_get(j, "crossings")) > 0);
			json_decref(j);
			free(c);
			resp_free(&r);
		}
}

/* ---- TLP clearance ---- */

/* GET path with key; the reply's body (malloc'd), status in *status. */
static char *get_keyed(const struct server *s, const char *key, const char *path, int *status)
{
	struct resp r;
	if (http_do(s->port, "GET", path, key, NULL, 0, &r)) fail_msg("GET %s: no answer", path);
	*status = r.status;
	return r.body;
}

/* A trace as compared: its JSON without params.clearance, which says
 * who it was made for (returned in *who, "" when absent). */
static char *trace_text(const char *body, char who[32])
{
	json_error_t je;
	json_t *j = json_loads(body, 0, &je);
	if (!j) fail_msg("trace: not JSON: %s", je.text);
	json_t *p = json_object_get(j, "params");
	snprintf(who, 32, "%s", json_string_value(json_object_get(p, "clearance")) ?: "");
	json_object_del(p, "clearance");
	char *t = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	return t;
}

/* An Ethereum database "full" where the tag the heist's first endpoint
 * carries comes from a partner's source marked AMBER and a second heist
 * is marked AMBER, and "truth", where neither was ever imported. A GREEN
 * key's trace on full equals the trace of truth (the independent truth:
 * a database without what the key may not see); an AMBER key's equals
 * full's own; the AMBER heist does not exist for the GREEN key, in
 * traces and in screening. */
static void test_clearance(void **st)
{
	(void)st;
	char d[1200], full[1300], truth[1300], keys[1300];
	snprintf(d, sizeof d, "%s/clr", dir);
	snprintf(full, sizeof full, "%s/full", d);
	snprintf(truth, sizeof truth, "%s/truth", d);
	snprintf(keys, sizeof keys, "%s/keys.txt", d);
	sh("mkdir -p %s", d);
	json_t *t0 = sh_json("%s trace --db %s/db --heist sim-eth-heist-1 --format json", TL_BINARY, es);
	const char *hidden =
		json_string_value(json_object_get(json_object_get(json_array_get(json_object_get(t0, "endpoints"), 0), "tag"), "address"));
	assert_non_null(hidden);
	/* the tag file split: that address's rows under the partner's source */
	char path[1400];
	snprintf(path, sizeof path, "%s/tags.csv", es);
	size_t n = 0;
	char *csv = (char *)tu_read_file(path, &n);
	assert_non_null(csv);
	snprintf(path, sizeof path, "%s/green.csv", d);
	FILE *g = fopen(path, "w");
	snprintf(path, sizeof path, "%s/amber.csv", d);
	FILE *a = fopen(path, "w");
	assert_true(g && a);
	int moved = 0;
	for (char *line = strtok(csv, "\n"); line; line = strtok(NULL, "\n")) {
		if (!strncmp(line, "chain,", 6)) {
			fprintf(g, "%s\n", line);
			fprintf(a, "%s\n", line);
		} else if (strstr(line, hidden)) {
			char *src = strstr(line, ",taintline-simulator,");
			assert_non_null(src);
			fprintf(a, "%.*s,partner-amber-feed,%s\n", (int)(src - line), line, src + strlen(",taintline-simulator,"));
			moved++;
		} else {
			fprintf(g, "%s\n", line);
		}
	}
	fclose(g);
	fclose(a);
	free(csv);
	assert_true(moved > 0);
	/* the second heist: the first under another id */
	snprintf(path, sizeof path, "%s/heists.json", es);
	json_t *reg = json_load_file(path, 0, NULL);
	json_t *h2 = json_deep_copy(json_array_get(json_object_get(reg, "heists"), 0));
	json_object_set_new(h2, "id", json_string("sim-eth-heist-amber"));
	json_t *reg2 = json_pack("{s:[o]}", "heists", h2);
	snprintf(path, sizeof path, "%s/amber-heists.json", d);
	assert_int_equal(json_dump_file(reg2, path, 0), 0);
	json_decref(reg2);
	json_decref(reg);
	const char *dbs[2] = { full, truth };
	for (int i = 0; i < 2; i++) {
		sh("%s index --chain ethereum --etl %s --db %s -q", TL_BINARY, es, dbs[i]);
		sh("%s tags import --db %s %s/green.csv >/dev/null", TL_BINARY, dbs[i], d);
		sh("%s heist import --db %s %s/heists.json >/dev/null", TL_BINARY, dbs[i], es);
	}
	sh("%s tags import --db %s %s/amber.csv --tlp amber >/dev/null", TL_BINARY, full, d);
	sh("%s heist import --db %s %s/amber-heists.json --tlp amber >/dev/null", TL_BINARY, full, d);
	char *kg = tu_run_ok("%s keys add --file %s --role investigate --tlp green 2>/dev/null", TL_BINARY, keys);
	char *ka = tu_run_ok("%s keys add --file %s --role investigate --tlp amber 2>/dev/null", TL_BINARY, keys);
	kg[strcspn(kg, "\n")] = ka[strcspn(ka, "\n")] = '\0';
	char args[3000];
	snprintf(args, sizeof args, "--db %s --keys %s", full, keys);
	struct server s = start_server(args);

	char *cli_truth = tu_run_ok("%s trace --db %s --heist sim-eth-heist-1 --format json", TL_BINARY, truth);
	char *cli_full = tu_run_ok("%s trace --db %s --heist sim-eth-heist-1 --format json", TL_BINARY, full);
	assert_string_not_equal(cli_truth, cli_full); /* the hidden tag matters to this trace */
	int status;
	char who[32];
	char *body = get_keyed(&s, kg, "/v1/heists/sim-eth-heist-1/trace", &status);
	assert_int_equal(status, 200);
	char *got = trace_text(body, who), *want = trace_text(cli_truth, (char[32]){ 0 });
	assert_string_equal(who, "green");
	assert_string_equal(got, want);
	free(body), free(got), free(want);
	body = get_keyed(&s, ka, "/v1/heists/sim-eth-heist-1/trace", &status);
	assert_int_equal(status, 200);
	got = trace_text(body, who), want = trace_text(cli_full, (char[32]){ 0 });
	assert_string_equal(who, "amber");
	assert_string_equal(got, want);
	free(body), free(got), free(want);

	/* the AMBER heist: there for AMBER, as unknown as a made-up id for GREEN */
	body = get_keyed(&s, ka, "/v1/heists/sim-eth-heist-amber/trace", &status);
	assert_int_equal(status, 200);
	free(body);
	char *none = get_keyed(&s, kg, "/v1/heists/no-such-heist/trace", &status);
	assert_int_equal(status, 404);
	body = get_keyed(&s, kg, "/v1/heists/sim-eth-heist-amber/trace", &status);
	assert_int_equal(status, 404);
	assert_non_null(strstr(body, "\"not_found\""));
	free(body), free(none);
	/* the exploiter, who received the seed (the simulator's truth) */
	snprintf(path, sizeof path, "%s/truth.json", es);
	json_t *tr = json_load_file(path, 0, NULL);
	const char *exploiter = json_string_value(json_object_get(json_array_get(json_object_get(tr, "heists"), 0), "exploiter"));
	assert_non_null(exploiter);
	const char *heists_of[2][2] = { { kg, "sim-eth-heist-1" }, { ka, "sim-eth-heist-1 sim-eth-heist-amber" } };
	for (int k = 0; k < 2; k++) {
		snprintf(path, sizeof path, "/v1/screen?address=%s", exploiter);
		body = get_keyed(&s, heists_of[k][0], path, &status);
		assert_int_equal(status, 200);
		json_t *v = json_loads(body, 0, NULL);
		char seen[200] = "";
		json_t *x;
		size_t i;
		json_array_foreach(json_object_get(v, "exposures"), i, x)
			snprintf(seen + strlen(seen), sizeof seen - strlen(seen), "%s%s", i ? " " : "",
				 json_string_value(json_object_get(x, "heist")));
		assert_string_equal(seen, heists_of[k][1]);
		json_decref(v);
		free(body);
	}
	json_decref(tr);
	json_decref(t0);
	stop_server(&s);
	free(cli_truth), free(cli_full), free(kg), free(ka);
}

/* A server without an Ethereum database answers the Ethereum routes with
 * a code a client can act on (the web app says "not served"). */
static void test_no_ethereum(void **st)
{
	(void)st;
	char args[3000];
	snprintf(args, sizeof args, "--db %s/btc", mc);
	struct server s = start_server(args);
	static const char *paths[] = { "/eth/api/v2/addresses/0x00000000000000000000000000000000deadbeef",
				       "/eth/api/v2/transactions/0x" "abababababababababababababababababababababababababababababababab",
				       "/eth/api/v2/blocks/1" };
	for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
		struct resp r = get(&s, paths[i]);
		expect_error(&r, 404, "chain_not_served");
		resp_free(&r);
	}
	stop_server(&s);
}

static void test_bad_input(void **st)
{
	(void)st;
	static const struct {
		const char *path;
		int status;
		const char *code;
	} cases[] = {
		{ "/eth/api/v2/addresses/0x123", 400, "bad_address" },
		{ "/eth/api/v2/addresses/1BoatSLRHtKNngkdXEeobR76b53LETtpyT", 400, "bad_address" },
		/* mixed case with a wrong EIP-55 checksum */
		{ "/eth/api/v2/addresses/0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", 400, "bad_address" },
		{ "/eth/api/v2/addresses/0x00000000000000000000000000000000deadbeef", 404, "not_found" },
		{ "/eth/api/v2/addresses/0x00000000000000000000000000000000deadbeef/transfers", 404, "not_found" },
		{ "/eth/api/v2/addresses/0xzz00000000000000000000000000000000000000", 400, "bad_address" },
		{ "/eth/api/v2/transactions/0x1234", 400, "bad_txid" },
		{ "/eth/api/v2/transactions/0x" "00000000000000000000000000000000000000000000000000000000000000ff", 404,
		  "not_found" },
		{ "/eth/api/v2/blocks/abc", 400, "bad_request" },
		{ "/eth/api/v2/blocks/-1", 400, "bad_request" },
		{ "/eth/api/v2/blocks/99999999999999999999999", 400, "bad_request" },
		{ "/eth/api/v2/blocks/9999999", 404, "not_found" },
		{ "/eth/api/v2/blocks/0x" "00000000000000000000000000000000000000000000000000000000000000ff", 404,
		  "not_found" },
		{ "/v1/screen", 400, "bad_request" },
		{ "/v1/screen?address=0xnothex", 400, "bad_address" },
		{ "/v1/heists/nope/trace", 404, "not_found" },
		{ "/v1/heists/sim-eth-heist-1/trace?policy=tiho2", 400, "bad_policy" },
		{ "/v1/heists/sim-eth-heist-1/trace?format=pdf", 400, "bad_request" },
		{ "/v1/heists/sim-eth-heist-1/trace?max_hops=-3", 400, "bad_request" },
		{ "/v1/heists/sim-eth-heist-1/trace?min_amount=1e9", 400, "bad_request" },
		{ "/v1/heists/sim-eth-heist-1/trace?stop_categories=bank", 400, "bad_request" },
	};
	size_t n;
	char(*all)[43] = accounts(&n);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct resp r = get(&ethonly, "%s", cases[i].path);
		expect_error(&r, cases[i].status, cases[i].code);
		resp_free(&r);
	}
	static const char *paging[] = { "limit=0", "limit=1001", "limit=x", "before=-1", "before=1x",
					"asset=0x1", "before=18446744073709551616" };
	for (size_t i = 0; i < sizeof paging / sizeof paging[0]; i++) {
		struct resp r = get(&ethonly, "/eth/api/v2/addresses/%s/transfers?%s", all[0], paging[i]);
		expect_error(&r, 400, i == 5 ? "bad_address" : "bad_request");
		resp_free(&r);
	}
	/* over both chains: the parameters of a cross-chain trace */
	struct resp r = get(&both, "/v1/heists/sim-bybit/trace?until=3");
	expect_error(&r, 400, "bad_request");
	resp_free(&r);
	r = get(&both, "/v1/heists/sim-bybit/trace?format=csv");
	expect_error(&r, 400, "bad_request");
	resp_free(&r);
	/* still serving */
	json_t *h = get_json(&ethonly, "/healthz");
	json_decref(h);
	free(all);
}

static void test_budget(void **st)
{
	(void)st;
	char args[3000];
	snprintf(args, sizeof args, "--db %s/eth --db %s/btc --max-trace-txs 1", mc, mc);
	struct server s = start_server(args);
	struct resp r = get(&s, "/v1/heists/sim-bybit/trace");
	expect_error(&r, 413, "limit_exceeded");
	resp_free(&r);
	stop_server(&s);
}

/* The server reads the database as a secondary beside the writer: an
 * index run that extends it is seen once the server catches up. */
static void test_beside_writer(void **st)
{
	(void)st;
	char half[2048], db[2048];
	snprintf(half, sizeof half, "%s/half", dir);
	snprintf(db, sizeof db, "%s/grow", dir);
	sh("mkdir -p %s", half);
	static const char *files[][2] = { { "blocks.csv", "number" },         { "transactions.csv", "block_number" },
					  { "receipts.csv", "block_number" },     { "logs.csv", "block_number" },
					  { "token_transfers.csv", "block_number" }, { "traces.csv", "block_number" } };
	for (size_t i = 0; i < 6; i++) cut_csv(es, half, files[i][0], files[i][1], 75);
	sh("%s index --chain ethereum --etl %s --db %s -q", TL_BINARY, half, db);
	char args[3000];
	snprintf(args, sizeof args, "--db %s --poll-ms 50", db);
	struct server s = start_server(args);
	json_t *h = get_json(&s, "/healthz");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(h, "ethereum"), "height")), 75);
	json_decref(h);
	struct resp r = get(&s, "/eth/api/v2/blocks/120");
	expect_error(&r, 404, "not_found");
	resp_free(&r);
	sh("%s index --chain ethereum --etl %s --db %s -q", TL_BINARY, es, db);
	int64_t height = 0;
	for (int i = 0; i < 400 && height != 150; i++) {
		h = get_json(&s, "/healthz");
		height = json_integer_value(json_object_get(json_object_get(h, "ethereum"), "height"));
		json_decref(h);
		if (height != 150) usleep(50000);
	}
	assert_int_equal(height, 150);
	json_t *a = get_json(&s, "/eth/api/v2/blocks/120");
	json_t *b = sh_json("%s get block 120 --db %s/db", TL_BINARY, es);
	expect_equal(a, b, "block 120 after the catch-up");
	json_decref(a);
	json_decref(b);
	stop_server(&s);
}

static void sample_add(json_t *a, const char *method, int status, const char *fmt, ...)
{
	char path[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof path, fmt, ap);
	va_end(ap);
	json_array_append_new(a, json_pack("{s:s,s:s,s:i}", "method", method, "path", path, "status", status));
}

/* The answers against api/openapi.json's schemas, by the maintained
 * validator of tests/tools-openapi (as test_openapi_validate does for
 * the Bitcoin routes); skipped without node or its modules. */
static void test_contract(void **st)
{
	(void)st;
	char tools[4200], nm[4400];
	snprintf(tools, sizeof tools, "%s/tests/tools-openapi", TL_SOURCE_DIR);
	snprintf(nm, sizeof nm, "%s/node_modules/@seriousme/openapi-schema-validator", tools);
	if (tu_run("node --version >/dev/null 2>&1", NULL) != 0 || access(nm, F_OK) != 0) {
		printf("# contract check skipped: node or %s/node_modules is absent\n", tools);
		skip();
	}
	size_t n;
	char(*all)[43] = accounts(&n);
	json_t *tx = get_json(&ethonly, "/eth/api/v2/addresses/%s/transfers?limit=1", all[0]);
	const char *h = json_string_value(json_object_get(json_array_get(json_object_get(tx, "transfers"), 0), "transaction"));
	assert_non_null(h);
	for (int srv = 0; srv < 2; srv++) {
		json_t *a = json_array();
		const char *acct = srv ? all[0] : "0x3dd0d1ebaf1fdfefc527d79b4275b84bc7aece32";
		if (srv) {
			sample_add(a, "GET", 200, "/eth/api/v2/addresses/%s", acct);
			sample_add(a, "GET", 200, "/eth/api/v2/addresses/%s/transfers?limit=3", acct);
			sample_add(a, "GET", 200, "/eth/api/v2/transactions/%s", h);
			sample_add(a, "GET", 200, "/eth/api/v2/blocks/7");
			sample_add(a, "GET", 200, "/v1/heists/sim-eth-heist-1/trace?max_hops=3");
		} else {
			sample_add(a, "GET", 200, "/eth/api/v2/addresses/%s", acct);
			sample_add(a, "GET", 200, "/v1/heists/sim-bybit/trace");
		}
		sample_add(a, "GET", 200, "/v1/screen?address=%s", acct);
		sample_add(a, "GET", 400, "/eth/api/v2/addresses/0x12");
		sample_add(a, "GET", 404, "/eth/api/v2/blocks/99999999");
		sample_add(a, "GET", 200, "/healthz");
		char samples[4300], cmd[13000], *out = NULL;
		snprintf(samples, sizeof samples, "%s/samples-%d.json", dir, srv);
		assert_int_equal(json_dump_file(a, samples, JSON_INDENT(1)), 0);
		snprintf(cmd, sizeof cmd, "cd '%s' && node check.mjs http://127.0.0.1:%u '%s' 2>&1", tools,
			 srv ? ethonly.port : both.port, samples);
		int rc = tu_run(cmd, &out);
		printf("%s", out ? out : "");
		if (rc != 0) fail_msg("the contract check failed (exit %d)", rc);
		assert_non_null(strstr(out, " passed, 0 failed"));
		free(out);
		json_decref(a);
	}
	json_decref(tx);
	free(all);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_db_per_chain), cmocka_unit_test(test_accounts),
		cmocka_unit_test(test_tx_and_block),     cmocka_unit_test(test_paging),
		cmocka_unit_test(test_screen),           cmocka_unit_test(test_trace_identical),
		cmocka_unit_test(test_no_ethereum),
		cmocka_unit_test(test_clearance),
		cmocka_unit_test(test_bad_input),        cmocka_unit_test(test_budget),
		cmocka_unit_test(test_beside_writer),    cmocka_unit_test(test_contract),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
