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

#include "api/serve.h"
#include "chain/blkfile.h"
#include "chain/hash.h"
#include "live/follow.h"
#include "live/index_rpc.h"
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
	int32_t len;
};

static void kick(void *ctx)
{
	struct rig *r = ctx;
	if (r->app) tl_app_kick(r->app);
}

/* A node at height start of a simulated chain, a database indexed from
 * it, a follower (ZMQ or not) and a server on an ephemeral port. */
static void rig_up(struct rig *r, const char *tag, uint64_t seed, int32_t start, int zmq, int follow_poll_ms)
{
	memset(r, 0, sizeof *r);
	r->tmp = tu_tmpdir(tag);
	snprintf(r->sim, sizeof r->sim, "%s/sim", r->tmp);
	snprintf(r->simblocks, sizeof r->simblocks, "%s/blocks", r->sim);
	snprintf(r->db, sizeof r->db, "%s/db", r->tmp);
	snprintf(r->blocks, sizeof r->blocks, "%s/fetched", r->tmp);
	cf_sim(r->sim, seed, 130, 10, 1, true);
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
	struct tl_follow_opts fo = { .rpc = ro, .zmq = zmq ? fn_zmq(r->n) : NULL, .blocks_dir = r->blocks,
				     .net = regtest(), .poll_ms = follow_poll_ms, .on_blocks = kick, .ctx = r };
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
	if (tl_app_open(&o, &r->app, &err) < 0) fail_msg("%s", err.msg);
	if (tl_app_start(r->app, &err) < 0) fail_msg("%s", err.msg);
}

static void rig_down(struct rig *r)
{
	tl_follow_stop(r->f);
	tl_app_close(r->app);
	fn_stop(r->n);
	tu_rmrf(r->tmp);
	free(r->tmp);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* The served tip hash (display hex), or "" when the request fails. */
static void served_tip(struct rig *r, char out[65])
{
	struct resp rs;
	out[0] = 0;
	if (http_do(tl_app_port(r->app), "GET", "/api/blocks/tip/hash", NULL, NULL, 0, &rs) == 0 && rs.status == 200 &&
	    rs.blen == 64) {
		memcpy(out, rs.body, 64);
		out[64] = 0;
	}
	resp_free(&rs);
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
	assert_int_equal(tl_store_digest(s, a, NULL, &err), 0);
	tl_store_close(s);
	s = cf_store_open(fresh, &so);
	assert_int_equal(tl_store_digest(s, b, NULL, &err), 0);
	tl_store_close(s);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zmq_announces_blocks),
		cmocka_unit_test(test_poll_and_unreachable_node),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
