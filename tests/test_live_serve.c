/* serve following a fake Bitcoin Core node (tests/fakenode.h): blocks
 * announced over ZMQ are fetched and served with polling disabled, a
 * reorg on the node is followed, and with polling alone the server keeps
 * up; /healthz reports the node unreachable while it restarts, and the
 * database built this way equals a direct index of the node's chain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "api/serve.h"
#include "bitcoin/blkfile.h"
#include "bitcoin/block.h"
#include "bitcoin/hash.h"
#include "live/follow.h"
#include "live/glue.h"
#include "live/index_rpc.h"
#include "tracer/screen.h"
#include "sim/sim.h"
#include "tests/chainfix.h"
#include "tests/fakenode.h"
#include "tests/httpc.h"
#include "tests/testutil.h"

static const struct tl_netparams *regtest(void)
{
	return tl_net_params(TL_NET_REGTEST);
}

struct rig {
	char *tmp;
	char sim[4200], simblocks[4300], db[4200], blocks[4200];
	struct fakenode *n;
	struct tl_follow *f;
	struct tl_app *app;
	struct tl_live_glue g;
	int32_t len;
};

/* A node at height start of a simulated chain, a database indexed from
 * it, a follower (ZMQ or not) and a server on an ephemeral port. */
static void rig_up_sim(struct rig *r, const char *tag, uint64_t seed, uint32_t blocks, uint32_t txs, int32_t start,
		       int zmq, int follow_poll_ms, int labels)
{
	memset(r, 0, sizeof *r);
	r->tmp = tu_tmpdir(tag);
	snprintf(r->sim, sizeof r->sim, "%s/sim", r->tmp);
	snprintf(r->simblocks, sizeof r->simblocks, "%s/blocks", r->sim);
	snprintf(r->db, sizeof r->db, "%s/db", r->tmp);
	snprintf(r->blocks, sizeof r->blocks, "%s/fetched", r->tmp);
	cf_sim(r->sim, seed, blocks, txs, blocks > 130 ? 0 : 1, true);
	r->n = fn_start(r->tmp, regtest());
	r->len = fn_load_chain(r->n, r->simblocks);
	fn_set_height(r->n, start);
	struct tl_err err;
	struct tl_rpc_opts ro = { .url = fn_url(r->n), .cookie_file = fn_cookie(r->n), .backoff_ms = 5 };
	struct tl_rpc *rpc;
	assert_int_equal(tl_rpc_open(&ro, &rpc, &err), 0);
	struct tl_index_opts io = cf_index_opts(r->blocks, r->db);
	struct tl_live_index_stats st;
	if (tl_live_index(rpc, &io, 0, &st, &err) < 0) fail_msg("%s", err.msg);
	tl_rpc_close(rpc);
	if (labels) {
		/* The heists of the simulation, screened. (Tags import only
		 * the addresses indexed so far, so such a database is not
		 * compared with a fresh index.) */
		struct tl_store_opts wso = { .cache_mb = 16 };
		struct tl_store *ws = cf_store_open(r->db, &wso);
		cf_import_sim_labels(ws, r->sim);
		if (tl_screen_update(ws, NULL, &err) < 0) fail_msg("%s", err.msg);
		tl_store_close(ws);
	}
	atomic_init(&r->g.app, NULL);
	r->g.mempool = tl_mempool_new();
	struct tl_follow_opts fo = { .rpc = ro, .zmq = zmq ? fn_zmq(r->n) : NULL, .blocks_dir = r->blocks,
				     .net = regtest(), .poll_ms = follow_poll_ms, .on_blocks = tl_live_glue_on_blocks,
				     .ctx = &r->g, .mempool = r->g.mempool, .prevout = tl_live_glue_prevout,
				     .prevout_ctx = &r->g };
	if (tl_follow_start(&fo, &r->f, &err) < 0) fail_msg("%s", err.msg);
	struct tl_serve_opts o;
	tl_serve_opts_default(&o);
	o.db_path = r->db;
	o.listen = "127.0.0.1:0";
	o.follow_dir = r->blocks;
	o.net = regtest();
	o.poll_ms = 3600000; /* only the follower's announcements count */
	o.log = NULL;
	o.extra_health = tl_follow_health;
	o.extra_ctx = r->f;
	o.extra_screen = tl_live_glue_screen;
	o.extra_screen_ctx = &r->g;
	if (tl_app_open(&o, &r->app, &err) < 0) fail_msg("%s", err.msg);
	atomic_store(&r->g.app, r->app);
	if (tl_app_start(r->app, &err) < 0) fail_msg("%s", err.msg);
}

static void rig_up(struct rig *r, const char *tag, uint64_t seed, int32_t start, int zmq, int follow_poll_ms)
{
	rig_up_sim(r, tag, seed, 130, 10, start, zmq, follow_poll_ms, 0);
}

static void rig_down(struct rig *r)
{
	tl_follow_stop(r->f);
	tl_app_close(r->app);
	tl_mempool_free(r->g.mempool);
	fn_stop(r->n);
	tu_rmrf(r->tmp);
	free(r->tmp);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* The tip hash served on port (display hex), or "" when the request fails. */
static void served_tip_at(uint16_t port, char out[65])
{
	struct resp rs;
	out[0] = 0;
	if (http_do(port, "GET", "/api/blocks/tip/hash", NULL, NULL, 0, &rs) == 0 && rs.status == 200 &&
	    rs.blen == 64) {
		memcpy(out, rs.body, 64);
		out[64] = 0;
	}
	resp_free(&rs);
}

static void served_tip(struct rig *r, char out[65])
{
	served_tip_at(tl_app_port(r->app), out);
}

/* Waits (bounded, 120 s) until the server's tip is the node's. With
 * republish, the tip's hashblock is sent again every half second. */
static void wait_tip(struct rig *r, int republish)
{
	uint8_t want[32];
	fn_hash_at(r->n, fn_height(r->n), want);
	char hex[65], got[65];
	tl_hash_to_hex(want, hex);
	for (int i = 0; i < 1200; i++) {
		served_tip(r, got);
		if (!strcmp(got, hex)) return;
		if (republish && i % 5 == 4) fn_republish(r->n);
		sleep_ms(100);
	}
	fail_msg("the server did not reach the node's tip %s (serves %s)", hex, got);
}

static json_t *health(struct rig *r)
{
	struct resp rs;
	assert_int_equal(http_do(tl_app_port(r->app), "GET", "/healthz", NULL, NULL, 0, &rs), 0);
	json_t *j = resp_json(&rs);
	resp_free(&rs);
	return j;
}

/* After the server stops: the fetched directory's best chain is the
 * node's chain, and the database the server built block by block (and
 * through reorgs) has the digest of a fresh index of that directory. */
static void check_chain_and_digest(struct rig *r)
{
	tl_follow_stop(r->f);
	r->f = NULL;
	tl_app_close(r->app);
	r->app = NULL;
	struct tl_err err;
	struct tl_blkdir *d;
	if (tl_blkdir_open(r->blocks, regtest(), &d, &err) < 0 || tl_blkdir_scan(d, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	uint32_t len = tl_blkdir_chain_len(d);
	assert_int_equal(len, (uint32_t)fn_height(r->n) + 1);
	for (uint32_t h = 0; h < len; h++) {
		uint8_t want[32];
		fn_hash_at(r->n, (int32_t)h, want);
		assert_memory_equal(tl_blkdir_chain_at(d, h)->hash, want, 32);
	}
	tl_blkdir_close(d);
	char fresh[4300];
	snprintf(fresh, sizeof fresh, "%s/fresh", r->tmp);
	struct tl_index_opts o = cf_index_opts(r->blocks, fresh);
	cf_index_run(&o, NULL);
	uint8_t a[32], b[32];
	struct tl_store_opts so = { .read_only = true };
	struct tl_store *s = cf_store_open(r->db, &so);
	uint64_t ca[TL_CF_COUNT], cb[TL_CF_COUNT];
	assert_int_equal(tl_store_digest(s, a, ca, &err), 0);
	tl_store_close(s);
	s = cf_store_open(fresh, &so);
	assert_int_equal(tl_store_digest(s, b, cb, &err), 0);
	tl_store_close(s);
	for (int i = 0; i < TL_CF_COUNT; i++)
		if (ca[i] != cb[i])
			print_message("%s: %llu entries vs %llu\n", tl_cf_name((enum tl_cf)i), (unsigned long long)ca[i],
				      (unsigned long long)cb[i]);
	assert_memory_equal(a, b, 32);
}

static void test_zmq_announces_blocks(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "live-serve-zmq", 31, 100, 1, 3600000);
	wait_tip(&r, 0);
	/* Polling is off (an hour): only ZMQ can bring these blocks. */
	fn_set_height(r.n, 110);
	wait_tip(&r, 1);
	fn_set_height(r.n, r.len - 1);
	wait_tip(&r, 1);
	/* A reorg three blocks deep on the node. */
	struct tl_err err;
	if (tl_sim_extend(r.sim, 3, 1, NULL, NULL, NULL, &err) < 0) fail_msg("%s", err.msg);
	r.len = fn_load_chain(r.n, r.simblocks);
	fn_set_height(r.n, r.len - 1);
	wait_tip(&r, 1);
	json_t *h = health(&r);
	json_t *node = json_object_get(h, "node");
	assert_true(json_is_true(json_object_get(node, "reachable")));
	assert_int_equal(json_integer_value(json_object_get(node, "node_height")), r.len - 1);
	assert_true(json_integer_value(json_object_get(node, "zmq_messages")) >= 2);
	json_decref(h);
	struct tl_follow_status fs;
	tl_follow_status(r.f, &fs);
	/* One round at start, then rounds only on announcements. */
	assert_true(fs.zmq_messages >= 2);
	check_chain_and_digest(&r);
	rig_down(&r);
}

static void test_poll_and_unreachable_node(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "live-serve-poll", 32, 90, 0, 50);
	wait_tip(&r, 0);
	fn_set_height(r.n, 100);
	wait_tip(&r, 0);
	/* The node goes away for 2 s: /healthz says so, then recovers. */
	fn_restart(r.n, 2000);
	int seen_down = 0;
	for (int i = 0; i < 300 && !seen_down; i++) {
		json_t *h = health(&r);
		json_t *node = json_object_get(h, "node");
		if (json_is_false(json_object_get(node, "reachable"))) {
			seen_down = 1;
			assert_non_null(json_string_value(json_object_get(node, "last_error")));
		}
		json_decref(h);
		sleep_ms(20);
	}
	assert_true(seen_down);
	fn_set_height(r.n, r.len - 1);
	wait_tip(&r, 0);
	json_t *h = health(&r);
	assert_true(json_is_true(json_object_get(json_object_get(h, "node"), "reachable")));
	json_decref(h);
	check_chain_and_digest(&r);
	rig_down(&r);
}

static json_t *get_screen(struct rig *r, const char *q, int *status)
{
	char path[256];
	snprintf(path, sizeof path, "/v1/screen?%s", q);
	struct resp rs;
	assert_int_equal(http_do(tl_app_port(r->app), "GET", path, NULL, NULL, 0, &rs), 0);
	*status = rs.status;
	json_t *j = rs.status == 200 ? resp_json(&rs) : NULL;
	resp_free(&rs);
	return j;
}

/* Exposures as "heist/amount/hops" lines, sorted, for comparing verdicts. */
static void exposures_text(json_t *v, char *out, size_t cap)
{
	out[0] = 0;
	json_t *ex = json_object_get(v, "exposures");
	size_t n = json_array_size(ex);
	char lines[16][128];
	size_t k = 0;
	for (size_t i = 0; i < n && k < 16; i++) {
		json_t *e = json_array_get(ex, i);
		snprintf(lines[k++], 128, "%s/%lld/%lld", json_string_value(json_object_get(e, "heist")),
			 (long long)json_integer_value(json_object_get(e, "amount_sat")),
			 (long long)json_integer_value(json_object_get(e, "hops")));
	}
	qsort(lines, k, 128, (int (*)(const void *, const void *))strcmp);
	for (size_t i = 0; i < k; i++) {
		strncat(out, lines[i], cap - strlen(out) - 2);
		strcat(out, ";");
	}
}

/* The node's mempool screened over HTTP: every transaction of the next
 * block answers with confirmations 0 as it arrives over ZMQ, one that
 * the node drops (replaced) stops answering, and once the block is
 * mined the confirmed verdicts carry the exposures the mempool gave. */
static void test_mempool_over_http(void **state)
{
	(void)state;
	struct rig r;
	const int32_t next = 125; /* seed 41: the block with the most tainted outputs (test_live_mempool) */
	rig_up_sim(&r, "live-serve-mempool", 41, 150, 30, next - 1, 1, 3600000, 1);
	wait_tip(&r, 0);
	struct tl_blkdir *d;
	struct tl_err err;
	if (tl_blkdir_open(r.simblocks, regtest(), &d, &err) < 0 || tl_blkdir_scan(d, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	const struct tl_chain_entry *ce = tl_blkdir_chain_at(d, next);
	uint8_t *raw = NULL;
	size_t cap = 0;
	assert_int_equal(tl_blkdir_read(d, &ce->loc, &raw, &cap, &err), 0);
	struct tl_block b;
	tl_block_init(&b);
	assert_int_equal(tl_block_parse(&b, raw, ce->loc.size, &err), 0);
	for (uint32_t i = 1; i < b.n_tx; i++) fn_mempool_add(r.n, b.tx[i].raw, b.tx[i].size, b.tx[i].txid);

	char (*before)[2048] = calloc(b.n_tx, sizeof *before);
	int tainted = 0;
	for (uint32_t i = 1; i < b.n_tx; i++) {
		char hex[65], q[128];
		tl_hash_to_hex(b.tx[i].txid, hex);
		snprintf(q, sizeof q, "txid=%s", hex);
		json_t *v = NULL;
		int st = 0;
		for (int t = 0; t < 600 && !v; t++) {
			v = get_screen(&r, q, &st);
			if (!v) sleep_ms(100);
		}
		if (!v) fail_msg("tx %u never screened from the mempool (HTTP %d)", i, st);
		assert_int_equal(json_integer_value(json_object_get(v, "confirmations")), 0);
		if (strcmp(json_string_value(json_object_get(v, "risk")), "none")) tainted++;
		json_decref(v);
		snprintf(q, sizeof q, "outpoint=%s:0", hex);
		v = get_screen(&r, q, &st);
		assert_non_null(v);
		assert_int_equal(json_integer_value(json_object_get(v, "confirmations")), 0);
		exposures_text(v, before[i], sizeof before[i]);
		json_decref(v);
	}
	assert_true(tainted > 0);
	print_message("%u unconfirmed transactions screened, %d with a risk\n", b.n_tx - 1, tainted);

	/* Dropped by the node (a replacement): gone from the answers. Pick
	 * one that nothing else in the block spends. */
	uint32_t victim = 0;
	for (uint32_t i = b.n_tx - 1; i >= 1 && !victim; i--) {
		int spent = 0;
		for (uint32_t j = 1; j < b.n_tx && !spent; j++)
			for (uint32_t q = 0; q < b.tx[j].n_in; q++)
				if (!memcmp(b.tx[j].in[q].prev_txid, b.tx[i].txid, 32)) spent = 1;
		if (!spent) victim = i;
	}
	assert_true(victim > 0);
	fn_mempool_remove(r.n, b.tx[victim].txid);
	char hex[65], q[128];
	tl_hash_to_hex(b.tx[victim].txid, hex);
	snprintf(q, sizeof q, "txid=%s", hex);
	int st = 200;
	for (int t = 0; t < 600 && st == 200; t++) {
		json_t *v = get_screen(&r, q, &st);
		json_decref(v);
		if (st == 200) sleep_ms(100);
	}
	assert_int_equal(st, 404);

	/* Mined: confirmed verdicts, the same exposures. The server screens
	 * a block just after it serves it: wait for the taint to reach it
	 * (materialized height, bounded). */
	fn_set_height(r.n, next);
	wait_tip(&r, 1);
	tl_hash_to_hex(b.tx[1].txid, hex);
	snprintf(q, sizeof q, "outpoint=%s:0", hex);
	int reached = 0;
	for (int t = 0; t < 600 && !reached; t++) {
		json_t *v = get_screen(&r, q, &st);
		json_t *m = json_object_get(v, "materialized");
		reached = json_array_size(m) > 0;
		for (size_t k = 0; k < json_array_size(m); k++)
			if (json_integer_value(json_object_get(json_array_get(m, k), "height")) < next) reached = 0;
		json_decref(v);
		if (!reached) sleep_ms(100);
	}
	assert_true(reached);
	for (uint32_t i = 1; i < b.n_tx; i++) {
		tl_hash_to_hex(b.tx[i].txid, hex);
		snprintf(q, sizeof q, "outpoint=%s:0", hex);
		json_t *v = get_screen(&r, q, &st);
		assert_non_null(v);
		assert_null(json_object_get(v, "confirmations"));
		char after[2048];
		exposures_text(v, after, sizeof after);
		if (strcmp(after, before[i])) fail_msg("tx %u: mempool said %s, the index says %s", i, before[i], after);
		json_decref(v);
	}
	free(before);
	tl_block_free(&b);
	free(raw);
	tl_blkdir_close(d);
	rig_down(&r);
}

/* Waits (bounded, 120 s) until the server on port serves the node's tip. */
static void wait_tip_at(struct fakenode *n, uint16_t port)
{
	uint8_t want[32];
	fn_hash_at(n, fn_height(n), want);
	char hex[65], got[65];
	tl_hash_to_hex(want, hex);
	for (int i = 0; i < 1200; i++) {
		served_tip_at(port, got);
		if (!strcmp(got, hex)) return;
		if (i % 5 == 4) fn_republish(n);
		sleep_ms(100);
	}
	fail_msg("taintline serve --rpc did not reach the node's tip %s (serves %s)", hex, got);
}

/* The command: serve --rpc builds the database, follows the node over
 * ZMQ, reports it in /healthz and exits 0 on SIGTERM. */
static void test_cli_serve_rpc(void **state)
{
	(void)state;
	char *tmp = tu_tmpdir("live-cli-serve");
	char sim[4200], simblocks[4300], db[4200], blocks[4300], logf[4300];
	snprintf(sim, sizeof sim, "%s/sim", tmp);
	snprintf(simblocks, sizeof simblocks, "%s/blocks", sim);
	snprintf(db, sizeof db, "%s/db", tmp);
	snprintf(blocks, sizeof blocks, "%s/db.blocks/blk00000.dat", tmp);
	snprintf(logf, sizeof logf, "%s/serve.log", tmp);
	cf_sim(sim, 33, 125, 8, 0, true);
	struct fakenode *n = fn_start(tmp, regtest());
	int32_t len = fn_load_chain(n, simblocks);
	fn_set_height(n, len - 6);
	/* A free port: bound, read, released. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof sa;
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	uint16_t port = ntohs(sa.sin_port);
	close(fd);
	char listen[64];
	snprintf(listen, sizeof listen, "127.0.0.1:%u", port);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		FILE *lf = freopen(logf, "w", stderr);
		(void)lf;
		execl(TL_BINARY, TL_BINARY, "serve", "--rpc", fn_url(n), "--rpc-cookie", fn_cookie(n), "--zmq", fn_zmq(n),
		      "--db", db, "--network", "regtest", "--listen", listen, "--poll-ms", "3600000", (char *)NULL);
		_exit(127);
	}
	wait_tip_at(n, port);
	fn_set_height(n, len - 1); /* announced over ZMQ only: polling is off */
	wait_tip_at(n, port);
	struct resp rs;
	assert_int_equal(http_do(port, "GET", "/healthz", NULL, NULL, 0, &rs), 0);
	json_t *h = resp_json(&rs);
	resp_free(&rs);
	json_t *node = json_object_get(h, "node");
	assert_true(json_is_true(json_object_get(node, "reachable")));
	assert_int_equal(json_integer_value(json_object_get(node, "node_height")), len - 1);
	json_decref(h);
	assert_int_equal(access(blocks, F_OK), 0); /* the default blocks directory, beside DB */
	assert_int_equal(kill(pid, SIGTERM), 0);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		char *log = NULL;
		char cmd[4400];
		snprintf(cmd, sizeof cmd, "cat '%s'", logf);
		tu_run(cmd, &log);
		fail_msg("serve --rpc ended with status %d: %s", st, log ? log : "");
	}
	fn_stop(n);
	tu_rmrf(tmp);
	free(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zmq_announces_blocks),
		cmocka_unit_test(test_poll_and_unreachable_node),
		cmocka_unit_test(test_mempool_over_http),
		cmocka_unit_test(test_cli_serve_rpc),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
