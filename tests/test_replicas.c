/* Reads beyond one server: replicas made with `taintline db checkpoint`,
 * each served by its own `serve`, behind Debian's haproxy on loopback.
 *
 * The primary is indexed to a first height; two checkpoints of it are
 * served behind haproxy (round robin, health-checked on /healthz). Every
 * answer through the balancer must equal the answer of a server on the
 * primary itself (the independent truth: the database the replicas were
 * copied from), and both replicas must have answered some. Then the
 * primary indexes the rest of the chain, a third checkpoint is served and
 * haproxy is reloaded onto it (`-sf`, the old process finishing its
 * connections): the balancer then answers at the new tip, again equal to
 * the primary. Digests of checkpoints equal the primary's at the time.
 * Skipped (77) without haproxy (scripts/install-deps.sh installs it). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "tests/httpc.h"
#include "tests/testutil.h"

#define FIRST_HEIGHT 130
#define REQUESTS 60

static char *dir;

/* A child running cmd (sh -c), its output appended to DIR/log. */
static pid_t spawn(const char *fmt, ...)
{
	char cmd[4096], full[4400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	snprintf(full, sizeof full, "exec %s >>%s/log 2>&1", cmd, dir);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM); /* a failed test leaves nothing running */
		execl("/bin/sh", "sh", "-c", full, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void stop(pid_t pid)
{
	if (pid <= 0) return;
	kill(pid, SIGTERM);
	int st;
	waitpid(pid, &st, 0);
}

/* The body of GET path on port (malloc'd, "" on no answer), status in *st. */
static char *fetch(uint16_t port, const char *path, int *st)
{
	struct resp r;
	*st = 0;
	if (http_do(port, "GET", path, NULL, NULL, 0, &r)) {
		resp_free(&r);
		return strdup("");
	}
	*st = r.status;
	return r.body ? r.body : strdup("");
}

static void wait_up(uint16_t port, pid_t pid, const char *what)
{
	for (int i = 0; i < 400; i++) {
		int st;
		free(fetch(port, "/healthz", &st));
		if (st == 200) return;
		if (waitpid(pid, &st, WNOHANG) == pid) fail_msg("%s exited (see %s/log)", what, dir);
		usleep(50000);
	}
	fail_msg("%s did not answer on port %u", what, port);
}

static pid_t serve(const char *db, uint16_t port)
{
	pid_t p = spawn("%s serve --db %s --blocks-dir %s/sim/blocks --listen 127.0.0.1:%u --threads 2", TL_BINARY, db,
			dir, port);
	wait_up(port, p, db);
	return p;
}

/* Requests answered by serve's router (tl_http_requests_total), summed. */
static long served(uint16_t port)
{
	int st;
	char *m = fetch(port, "/metrics", &st);
	long n = 0;
	for (char *l = strstr(m, "\ntl_http_requests_total{"); l; l = strstr(l + 1, "\ntl_http_requests_total{")) {
		char *v = strchr(l + 1, '}');
		if (v) n += strtol(v + 1, NULL, 10);
	}
	free(m);
	return n;
}

static void write_cfg(const char *path, uint16_t front, const uint16_t *backs, int n)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "global\n  maxconn 256\ndefaults\n  mode http\n  timeout connect 2s\n  timeout client 30s\n"
		   "  timeout server 30s\nfrontend front\n  bind 127.0.0.1:%u\n  default_backend replicas\n"
		   "backend replicas\n  balance roundrobin\n  option httpchk GET /healthz\n",
		front);
	for (int i = 0; i < n; i++) fprintf(f, "  server r%d 127.0.0.1:%u check inter 200ms\n", i, backs[i]);
	fclose(f);
}

static char *digest(const char *db)
{
	char *d = tu_run_ok("%s db digest --db %s", TL_BINARY, db);
	d[strcspn(d, "\n")] = '\0';
	return d;
}

/* What a user of the replicas asks: the tip, blocks, transactions and
 * addresses of the chain, and screening, drawn from the primary's own
 * answers so that they exist. */
static char **questions(uint16_t primary, int *n)
{
	char **q = calloc(REQUESTS, sizeof *q);
	int st, k = 0;
	char *tip = fetch(primary, "/api/blocks/tip/height", &st);
	long h = strtol(tip, NULL, 10);
	free(tip);
	for (int i = 0; k < REQUESTS; i++) {
		char path[256];
		long bh = (h * (i + 1)) / (REQUESTS / 4 + 1);
		snprintf(path, sizeof path, "/api/block-height/%ld", bh);
		char *hash = fetch(primary, path, &st);
		assert_int_equal(st, 200);
		snprintf(path, sizeof path, "/api/block/%s/txids", hash);
		char *ids = fetch(primary, path, &st);
		char txid[65] = "";
		const char *p = strchr(ids, '"');
		if (p && strlen(p) > 65) memcpy(txid, p + 1, 64);
		free(ids);
		if (asprintf(&q[k++], "/api/block/%s", hash) < 0) abort();
		if (txid[0] && k < REQUESTS && asprintf(&q[k++], "/api/tx/%s", txid) < 0) abort();
		if (txid[0] && k < REQUESTS && asprintf(&q[k++], "/v1/screen?txid=%s", txid) < 0) abort();
		if (k < REQUESTS && asprintf(&q[k++], "/api/blocks/tip/height") < 0) abort();
		free(hash);
	}
	*n = k;
	return q;
}

/* An answer as compared: a JSON body without the time it was made
 * (screened_at), anything else as it is. Takes body. */
static char *comparable(char *body)
{
	json_t *j = json_loads(body, JSON_DECODE_ANY, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return body;
	}
	json_object_del(j, "screened_at");
	free(body);
	char *t = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return t;
}

/* Every question through the balancer answers as the primary does. */
static void compare(uint16_t front, uint16_t primary, char **q, int n)
{
	for (int i = 0; i < n; i++) {
		int s1, s2;
		char *a = comparable(fetch(front, q[i], &s1)), *b = comparable(fetch(primary, q[i], &s2));
		if (s1 != s2 || strcmp(a, b))
			fail_msg("%s: the balancer answered %d %.200s, the primary %d %.200s", q[i], s1, a, s2, b);
		free(a);
		free(b);
	}
}

static void test_replicas(void **state)
{
	(void)state;
	char primary[600], r[3][600], cfg[600], cfg2[600];
	snprintf(primary, sizeof primary, "%s/primary", dir);
	for (int i = 0; i < 3; i++) snprintf(r[i], sizeof r[i], "%s/replica%d", dir, i + 1);
	snprintf(cfg, sizeof cfg, "%s/haproxy.cfg", dir);
	snprintf(cfg2, sizeof cfg2, "%s/haproxy2.cfg", dir);
	free(tu_run_ok("%s simulate --out %s/sim --seed 5 --blocks 160 --txs-per-block 20 --fast --quiet", TL_BINARY, dir));
	free(tu_run_ok("%s index --blocks-dir %s/sim/blocks --db %s --network regtest --until %d --quiet", TL_BINARY, dir, primary,
		     FIRST_HEIGHT));
	free(tu_run_ok("%s tags import --db %s %s/sim/tags.csv", TL_BINARY, primary, dir));
	free(tu_run_ok("%s heist import --db %s %s/sim/heists.json", TL_BINARY, primary, dir));

	/* two replicas of the primary as it is */
	char *d0 = digest(primary);
	for (int i = 0; i < 2; i++) {
		free(tu_run_ok("%s db checkpoint --db %s --out %s", TL_BINARY, primary, r[i]));
		char *d = digest(r[i]);
		assert_string_equal(d, d0);
		free(d);
	}
	/* a checkpoint does not overwrite */
	char cmd[2000];
	snprintf(cmd, sizeof cmd, "%s db checkpoint --db %s --out %s 2>&1", TL_BINARY, primary, r[0]);
	char *out = NULL;
	assert_int_not_equal(tu_run(cmd, &out), 0);
	assert_non_null(strstr(out, "exists"));
	free(out);

	uint16_t pp = tu_free_port(), b[3] = { tu_free_port(), tu_free_port(), tu_free_port() }, front = tu_free_port();
	pid_t ps = serve(primary, pp);
	pid_t s1 = serve(r[0], b[0]), s2 = serve(r[1], b[1]);
	write_cfg(cfg, front, b, 2);
	snprintf(cmd, sizeof cmd, "haproxy -c -q -f %s", cfg);
	assert_int_equal(tu_run(cmd, NULL), 0);
	pid_t hp = spawn("haproxy -db -f %s", cfg);
	wait_up(front, hp, "haproxy");
	long before[2] = { served(b[0]), served(b[1]) };
	int n;
	char **q = questions(pp, &n);
	compare(front, pp, q, n);
	long after[2] = { served(b[0]), served(b[1]) };
	print_message("replicas: %d questions through haproxy, equal to the primary's answers; replica 1 answered %ld, "
		      "replica 2 %ld\n", n, after[0] - before[0], after[1] - before[1]);
	assert_true(after[0] - before[0] >= n / 4 && after[1] - before[1] >= n / 4);

	/* the primary moves on (the serve on it follows as a reader); a new
	 * replica is made and the balancer reloaded onto it */
	free(tu_run_ok("%s index --blocks-dir %s/sim/blocks --db %s --network regtest --quiet", TL_BINARY, dir, primary));
	stop(ps);
	ps = serve(primary, pp);
	free(tu_run_ok("%s db checkpoint --db %s --out %s", TL_BINARY, primary, r[2]));
	free(d0);
	d0 = digest(primary);
	char *d3 = digest(r[2]);
	assert_string_equal(d3, d0);
	free(d3);
	pid_t s3 = serve(r[2], b[2]);
	write_cfg(cfg2, front, &b[2], 1);
	pid_t hp2 = spawn("haproxy -db -f %s -sf %d", cfg2, (int)hp);
	int st;
	char *tipp = fetch(pp, "/api/blocks/tip/height", &st);
	int moved = 0;
	for (int i = 0; i < 200 && !moved; i++) {
		char *t = fetch(front, "/api/blocks/tip/height", &st);
		moved = st == 200 && !strcmp(t, tipp);
		free(t);
		if (!moved) usleep(50000);
	}
	assert_true(moved);
	waitpid(hp, &st, 0); /* the old haproxy finished and left */
	for (int i = 0; i < n; i++) free(q[i]);
	free(q);
	q = questions(pp, &n);
	compare(front, pp, q, n);
	print_message("after the reload: tip %s through haproxy, %d questions equal to the primary's answers\n", tipp, n);
	free(tipp);
	for (int i = 0; i < n; i++) free(q[i]);
	free(q);
	free(d0);
	stop(hp2);
	stop(s1);
	stop(s2);
	stop(s3);
	stop(ps);
}

int main(void)
{
	char *path = NULL;
	if (tu_run("command -v haproxy", &path) != 0) {
		printf("skipped: haproxy is not installed (scripts/install-deps.sh installs it)\n");
		free(path);
		return 77;
	}
	free(path);
	dir = tu_tmpdir("replicas");
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_replicas) };
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (!rc) tu_rmrf(dir);
	free(dir);
	return rc;
}
