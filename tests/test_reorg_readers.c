/* Readers during reorgs: a real `taintline serve` answers every request
 * from one state of the database, the state before or after a reorg,
 * never a mix (half a rollback, or the new chain with the old screening
 * index).
 *
 * A simulated chain (the simulator's tags and heist imported) is
 * reorganised several times with `taintline simulate --extend --reorg D`;
 * a copy of its blocks directory is kept after each, and a fresh index of
 * each copy with the same imports gives the truth: the answer of every
 * URL in that state (addresses under /api/address, /v1/screen, the
 * heist's poison and haircut traces), read from an in-process server on
 * that fresh database. Then, while client threads hammer a `taintline
 * serve` on loopback with those URLs, the states are applied one after
 * the other:
 *
 *  - test_secondary: by separate `taintline index` runs beside the
 *    server, which reads the database as a secondary;
 *  - test_follow: by `serve --follow`, its followed blocks directory
 *    grown to each state's files in turn.
 *
 * The writers flush their memtables every few blocks
 * (TL_TEST_SMALL_MEMTABLE), so that intermediate states of each reorg
 * reach the disk, where a reader could see them. Every answer must equal
 * the answer of one of the states; each state must be served (the server
 * is waited for at each). The clients' order of URLs and the reorg depths
 * come from a seed, printed; TL_READERS_SEED=S replays one,
 * TL_READERS_BINARY=PATH runs another build's taintline. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "api/serve.h"
#include "bitcoin/hash.h"
#include "bitcoin/network.h"
#include "store/store.h"
#include "tests/chainfix.h"
#include "tests/httpc.h"
#include "tests/testutil.h"

#define STATES 5          /* the initial chain and four reorgs */
#define CLIENTS 3
#define MAX_URLS 64
#define MAX_ADDRS 160

static char *g_dir;
static const char *g_bin;
static unsigned long long g_seed;

#define FAIL(...)                                                                                                   \
	do {                                                                                                        \
		print_error("readers: failing seed %llu (TL_READERS_SEED=%llu replays it)\n", g_seed, g_seed);        \
		fail_msg(__VA_ARGS__);                                                                              \
	} while (0)

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void run(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	char *out = NULL;
	int rc = tu_run(cmd, &out);
	if (rc != 0) FAIL("'%s' exited %d: %s", cmd, rc, out ? out : "");
	free(out);
}

/* An answer as compared: the status and the body's JSON with keys
 * sorted and the trace's time stamp taken out. */
static void drop_key(json_t *j, const char *key)
{
	if (json_is_object(j)) {
		json_object_del(j, key);
		const char *k;
		json_t *v;
		json_object_foreach(j, k, v) drop_key(v, key);
	} else if (json_is_array(j)) {
		size_t i;
		json_t *v;
		json_array_foreach(j, i, v) drop_key(v, key);
	}
}

static char *answer(uint16_t port, const char *url)
{
	struct resp r;
	if (http_do(port, "GET", url, NULL, NULL, 0, &r) < 0) {
		resp_free(&r);
		return NULL;
	}
	json_t *j = r.body ? json_loadb(r.body, r.blen, 0, NULL) : NULL;
	char *txt = NULL;
	if (j) {
		drop_key(j, "generated_at");
		drop_key(j, "screened_at"); /* a verdict's time, not its content */
		char *d = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		if (asprintf(&txt, "%d %s", r.status, d) < 0) abort();
		free(d);
		json_decref(j);
	} else {
		/* Say where and why, so that a rare failure can be read from the log. */
		json_error_t e;
		json_t *again = r.body ? json_loadb(r.body, r.blen, 0, &e) : NULL;
		json_decref(again);
		size_t at = r.body && e.position >= 0 && (size_t)e.position < r.blen ? (size_t)e.position : 0;
		size_t from = at > 60 ? at - 60 : 0;
		fprintf(stderr, "readers: %s answered %d with %zu bytes that are not JSON: %s at byte %zu, near: %.*s\n",
			url, r.status, r.blen, r.body ? e.text : "no body", at, (int)(r.blen - from > 120 ? 120 : r.blen - from),
			r.body ? r.body + from : "");
		if (asprintf(&txt, "%d (not json) %.*s", r.status, (int)(r.blen > 200 ? 200 : r.blen), r.body ? r.body : "") < 0)
			abort();
	}
	resp_free(&r);
	return txt;
}

/* ---- the states and their truth ---- */

struct fixture {
	char sim[600], final_blocks[700];
	char blocks[STATES][700], fresh[STATES][700];
	char tip[STATES][65];
	int depth[STATES];
	char *urls[MAX_URLS];
	int nurls;
	char *truth[STATES][MAX_URLS];
};
static struct fixture F;

static void tip_hex(const char *db, char hex[65])
{
	struct tl_store_opts so = { .read_only = true, .cache_mb = 8 };
	struct tl_store *s = cf_store_open(db, &so);
	struct tl_tip t;
	struct tl_err err;
	if (tl_store_tip(s, &t, &err)) FAIL("tip: %s", err.msg);
	tl_hash_to_hex(t.hash, hex);
	tl_store_close(s);
}

/* taintline index, tags import, heist import: a fresh database. */
static void fresh_index(const char *blocks, const char *db)
{
	run("'%s' index --blocks-dir '%s' --db '%s' --network regtest -q 2>&1", g_bin, blocks, db);
	run("'%s' tags import --db '%s' '%s/tags0.csv' >/dev/null 2>&1", g_bin, db, g_dir);
	run("'%s' heist import --db '%s' '%s/heists0.json' >/dev/null 2>&1", g_bin, db, g_dir);
}

static void add_url(const char *u)
{
	if (F.nurls < MAX_URLS) F.urls[F.nurls++] = strdup(u);
}

static int setup(void **state)
{
	(void)state;
	g_dir = tu_tmpdir("reorg-readers");
	g_bin = getenv("TL_READERS_BINARY") ? getenv("TL_READERS_BINARY") : TL_BINARY;
	const char *one = getenv("TL_READERS_SEED");
	g_seed = one ? strtoull(one, NULL, 10) : (unsigned long long)time(NULL) * 1000003ull + (unsigned)getpid();
	if (!g_seed) g_seed = 1;
	print_message("readers: seed %llu, binary %s\n", g_seed, g_bin);
	uint64_t rs = g_seed;
	snprintf(F.sim, sizeof F.sim, "%s/sim", g_dir);
	cf_sim(F.sim, 1, 210, 50, 3, false);
	run("cp '%s/tags.csv' '%s/tags0.csv' && cp '%s/heists.json' '%s/heists0.json'", F.sim, g_dir, F.sim, g_dir);
	/* the states: the chain, then a reorg of 1 to 3 blocks at a time */
	for (int s = 0; s < STATES; s++) {
		if (s > 0) {
			F.depth[s] = 1 + (int)(rnd(&rs) % 3);
			run("'%s' simulate --extend '%s' --reorg %d --blocks %d -q 2>&1", g_bin, F.sim, F.depth[s],
			    (int)(rnd(&rs) % 2));
		}
		snprintf(F.blocks[s], sizeof F.blocks[s], "%s/blocks%d", g_dir, s);
		snprintf(F.fresh[s], sizeof F.fresh[s], "%s/fresh%d", g_dir, s);
		run("cp -r '%s/blocks' '%s'", F.sim, F.blocks[s]);
		fresh_index(F.blocks[s], F.fresh[s]);
		tip_hex(F.fresh[s], F.tip[s]);
	}
	snprintf(F.final_blocks, sizeof F.final_blocks, "%s", F.blocks[STATES - 1]);
	/* the URLs: every address of the simulation, then the heist */
	json_t *t = cf_sim_truth(F.sim);
	size_t i, k;
	json_t *e, *a;
	char u[300];
	static char (*addrs)[TL_ADDRESS_MAX];
	size_t na = 0;
	json_array_foreach(json_object_get(t, "entities"), i, e) json_array_foreach(json_object_get(e, "addresses"), k, a)
	{
		addrs = realloc(addrs, (na + 1) * sizeof *addrs);
		snprintf(addrs[na++], TL_ADDRESS_MAX, "%s", json_string_value(a));
	}
	json_decref(t);
	/* at most MAX_ADDRS of them, spread over the list (the truths of
	 * every candidate are read in every state) */
	size_t stride = na > MAX_ADDRS ? na / MAX_ADDRS : 1;
	/* the truth of every candidate URL in every state */
	struct tl_app *apps[STATES];
	for (int s = 0; s < STATES; s++) {
		struct tl_serve_opts so;
		tl_serve_opts_default(&so);
		so.db_path = F.fresh[s];
		so.blocks_dir = F.final_blocks;
		so.listen = "127.0.0.1:0";
		so.log = NULL;
		struct tl_err err;
		if (tl_app_open(&so, &apps[s], &err) || tl_app_start(apps[s], &err)) FAIL("serve: %s", err.msg);
	}
	char *cand[2 * 4096 + 2];
	size_t nc = 0;
	for (size_t j = 0; j < na && nc < 2 * 4096; j += stride) {
		snprintf(u, sizeof u, "/api/address/%s", addrs[j]);
		cand[nc++] = strdup(u);
		snprintf(u, sizeof u, "/v1/screen?address=%s", addrs[j]);
		cand[nc++] = strdup(u);
	}
	free(addrs);
	cand[nc++] = strdup("/v1/heists/sim-heist-1/trace?policy=haircut&max_hops=30");
	cand[nc++] = strdup("/v1/heists/sim-heist-1/trace?policy=poison&max_hops=30");
	/* keep the URLs whose answer changes with the reorgs (and both
	 * traces), up to MAX_URLS */
	int kinds[3] = { 0 };
	for (size_t c = 0; c < nc; c++) {
		char *ans[STATES];
		int change = 0;
		for (int s = 0; s < STATES; s++) {
			ans[s] = answer(tl_app_port(apps[s]), cand[c]);
			if (!ans[s]) FAIL("no answer to %s", cand[c]);
			change |= s > 0 && strcmp(ans[s], ans[0]);
		}
		int trace = strstr(cand[c], "/trace") != NULL;
		int kind = trace ? 2 : strncmp(cand[c], "/api/", 5) ? 1 : 0;
		if ((change || trace) && F.nurls < MAX_URLS && (kinds[kind] < MAX_URLS / 2 - 1 || trace)) {
			for (int s = 0; s < STATES; s++) F.truth[s][F.nurls] = ans[s];
			add_url(cand[c]);
			kinds[kind] += change;
		} else
			for (int s = 0; s < STATES; s++) free(ans[s]);
		free(cand[c]);
	}
	for (int s = 0; s < STATES; s++) tl_app_close(apps[s]);
	print_message("readers: %d URLs (%d addresses, %d screens, %d traces change with the reorgs), reorg depths",
		      F.nurls, kinds[0], kinds[1], kinds[2]);
	for (int s = 1; s < STATES; s++) print_message(" %d", F.depth[s]);
	print_message("\n");
	/* a test of readers needs answers that tell the states apart */
	if (kinds[0] == 0 || kinds[1] == 0) FAIL("the reorgs change no address or no screening answer");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int u = 0; u < F.nurls; u++) {
		free(F.urls[u]);
		for (int s = 0; s < STATES; s++) free(F.truth[s][u]);
	}
	return 0;
}

/* ---- the server under test ---- */

static int free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof a;
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) || getsockname(s, (struct sockaddr *)&a, &l)) {
		if (s >= 0) close(s);
		return -1;
	}
	close(s);
	return ntohs(a.sin_port);
}

/* Starts taintline serve with these arguments; returns its pid and the
 * port, once /healthz answers. */
static pid_t start_serve(const char *db, const char *follow, int *port, const char *log)
{
	*port = free_port();
	if (*port <= 0) FAIL("no free port");
	char listen[64], poll[] = "20";
	snprintf(listen, sizeof listen, "127.0.0.1:%d", *port);
	pid_t pid = fork();
	if (pid < 0) FAIL("fork");
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives the test */
		FILE *f = freopen(log, "w", stderr);
		(void)f;
		setenv("TL_TEST_SMALL_MEMTABLE", "1", 1);
		if (follow)
			execl(g_bin, "taintline", "serve", "--db", db, "--listen", listen, "--poll-ms", poll, "--follow",
			      follow, "--network", "regtest", "--threads", "3", (char *)NULL);
		else
			execl(g_bin, "taintline", "serve", "--db", db, "--listen", listen, "--poll-ms", poll,
			      "--blocks-dir", F.final_blocks, "--threads", "3", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 600; i++) {
		struct resp r;
		int ok = http_do((uint16_t)*port, "GET", "/healthz", NULL, NULL, 0, &r) == 0 && r.status > 0;
		resp_free(&r);
		if (ok) return pid;
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) FAIL("serve exited (log %s)", log);
		sleep_ms(50);
	}
	kill(pid, SIGKILL);
	FAIL("serve did not answer");
	return -1;
}

static void stop_serve(pid_t pid)
{
	kill(pid, SIGTERM);
	int st;
	for (int i = 0; i < 200; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid) return;
		sleep_ms(50);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

/* The tip the server serves now (hex), or "" when it does not answer. */
static void served_tip(int port, char hex[65])
{
	hex[0] = 0;
	struct resp r;
	if (http_do((uint16_t)port, "GET", "/healthz", NULL, NULL, 0, &r) == 0 && r.body) {
		json_t *j = json_loadb(r.body, r.blen, 0, NULL);
		const char *h = json_string_value(json_object_get(j, "tip_hash"));
		if (h) snprintf(hex, 65, "%s", h);
		json_decref(j);
	}
	resp_free(&r);
}

static void wait_for_state(int port, int s)
{
	char hex[65];
	for (int i = 0; i < 1200; i++) {
		served_tip(port, hex);
		if (!strcmp(hex, F.tip[s])) return;
		sleep_ms(25);
	}
	FAIL("the server never served state %d (tip %s; serves %s)", s, F.tip[s], hex);
}

/* ---- the clients ---- */

struct hammer {
	int port;
	volatile int stop;
	pthread_mutex_t lock;
	long answers, by_state[STATES], unique_new; /* answers matching only states > 0 */
	long bad;
	char first_bad[2048];
	uint64_t seed;
};

static void *client(void *arg)
{
	struct hammer *h = arg;
	pthread_mutex_lock(&h->lock);
	uint64_t rs = h->seed = h->seed * 6364136223846793005ull + 1442695040888963407ull;
	pthread_mutex_unlock(&h->lock);
	if (!rs) rs = 1;
	while (!h->stop) {
		int u = (int)(rnd(&rs) % (uint64_t)F.nurls);
		char *a = answer((uint16_t)h->port, F.urls[u]);
		int match = -1, only_new = 1;
		for (int s = 0; a && s < STATES; s++)
			if (!strcmp(a, F.truth[s][u])) {
				if (match < 0) match = s;
				if (s == 0) only_new = 0;
			}
		pthread_mutex_lock(&h->lock);
		h->answers++;
		if (match >= 0) {
			h->by_state[match]++;
			h->unique_new += only_new;
		} else {
			if (!h->bad++)
				snprintf(h->first_bad, sizeof h->first_bad, "%s answered %.1500s", F.urls[u],
					 a ? a : "(no answer)");
			if (h->bad <= 3) {
				/* kept for a look: the answer and the truths */
				char p[800];
				snprintf(p, sizeof p, "%s/bad%ld-%d.txt", g_dir, h->bad, h->port);
				FILE *f = fopen(p, "w");
				if (f) {
					fprintf(f, "%s\n%s\n", F.urls[u], a ? a : "(no answer)");
					for (int s = 0; s < STATES; s++) fprintf(f, "%s\n", F.truth[s][u]);
					fclose(f);
				}
			}
		}
		pthread_mutex_unlock(&h->lock);
		free(a);
	}
	return NULL;
}

/* Appends to dst's blk files what src's have beyond them (src's chain
 * extends dst's: the simulator appends), as a node writes new blocks. */
static void append_blocks(const char *src, const char *dst)
{
	run("cd '%s' && for f in *; do n=$(stat -c %%s '%s/'\"$f\" 2>/dev/null || echo 0); "
	    "tail -c +$((n + 1)) \"$f\" >> '%s/'\"$f\"; done", src, dst, dst);
}

static void hammer_run(int follow)
{
	char db[700], log[700], live[700];
	snprintf(db, sizeof db, "%s/served-%s", g_dir, follow ? "follow" : "secondary");
	snprintf(log, sizeof log, "%s/serve-%s.log", g_dir, follow ? "follow" : "secondary");
	snprintf(live, sizeof live, "%s/live-blocks", g_dir);
	/* the database as a user has it before the reorgs: indexed, tags and
	 * heist imported */
	run("rm -rf '%s' '%s' && cp -r '%s' '%s'", db, live, F.fresh[0], db);
	if (follow) run("cp -r '%s' '%s'", F.blocks[0], live);
	int port;
	pid_t pid = start_serve(db, follow ? live : NULL, &port, log);
	wait_for_state(port, 0);
	struct hammer h = { .port = port, .seed = g_seed };
	pthread_mutex_init(&h.lock, NULL);
	pthread_t th[CLIENTS];
	for (int c = 0; c < CLIENTS; c++) pthread_create(&th[c], NULL, client, &h);
	for (int s = 1; s < STATES; s++) {
		sleep_ms(200);
		if (follow) {
			append_blocks(F.blocks[s], live);
		} else {
			run("TL_TEST_SMALL_MEMTABLE=1 '%s' index --blocks-dir '%s' --db '%s' --network regtest -q 2>&1",
			    g_bin, F.blocks[s], db);
		}
		wait_for_state(port, s);
	}
	sleep_ms(300);
	h.stop = 1;
	for (int c = 0; c < CLIENTS; c++) pthread_join(th[c], NULL);
	stop_serve(pid);
	char by[256] = "";
	for (int s = 0; s < STATES; s++) {
		size_t l = strlen(by);
		snprintf(by + l, sizeof by - l, " %ld", h.by_state[s]);
	}
	print_message("readers (%s): %ld answers, %ld matching no state; first matching state:%s; %ld only after a "
		      "reorg\n", follow ? "serve --follow" : "secondary beside index", h.answers, h.bad, by,
		      h.unique_new);
	if (h.bad) FAIL("%ld of %ld answers match no state before or after a reorg; first: %s", h.bad, h.answers,
			h.first_bad);
	/* the clients saw the reorgs happen, not only the first state */
	if (h.unique_new == 0) FAIL("no answer came from a state after a reorg");
	/* and the served database ends equal to the fresh index */
	char *d1 = NULL, *d2 = NULL;
	char cmd[2000];
	snprintf(cmd, sizeof cmd, "'%s' db digest --db '%s' 2>&1", g_bin, db);
	tu_run(cmd, &d1);
	snprintf(cmd, sizeof cmd, "'%s' db digest --db '%s' 2>&1", g_bin, F.fresh[STATES - 1]);
	tu_run(cmd, &d2);
	if (!d1 || !d2 || !*d1 || strcmp(d1, d2)) FAIL("digest after the reorgs: %s, fresh: %s", d1, d2);
	free(d1);
	free(d2);
	pthread_mutex_destroy(&h.lock);
}

static void test_secondary(void **state)
{
	(void)state;
	hammer_run(0);
}

static void test_follow(void **state)
{
	(void)state;
	hammer_run(1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secondary),
		cmocka_unit_test(test_follow),
	};
	int rc = cmocka_run_group_tests(tests, setup, teardown);
	if (!rc) tu_rmrf(g_dir);
	free(g_dir);
	return tu_finish(rc);
}
