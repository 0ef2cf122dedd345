/* index --rpc against a fake Bitcoin Core node (tests/fakenode.h) serving
 * simulated chains: the database built from the node equals the one
 * indexed directly from the simulator's blocks directory (db digest),
 * after resuming, after a reorg on the node, and while the node fails at
 * random, answers slowly and restarts with a new cookie. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bitcoin/blkfile.h"
#include "bitcoin/hash.h"
#include "live/blkout.h"
#include "live/fetch.h"
#include "live/index_rpc.h"
#include "live/rpc.h"
#include "sim/sim.h"
#include "store/store.h"
#include "tests/chainfix.h"
#include "tests/fakenode.h"
#include "tests/testutil.h"

static const struct tl_netparams *regtest(void)
{
	return tl_net_params(TL_NET_REGTEST);
}

static void digest_of(const char *db, uint8_t out[32])
{
	struct tl_store *s;
	struct tl_store_opts so = { .read_only = true };
	struct tl_err err;
	if (tl_store_open(db, &so, &s, &err) < 0) fail_msg("%s", err.msg);
	assert_int_equal(tl_store_digest(s, out, NULL, NULL), 0);
	tl_store_close(s);
}

/* Digest of a fresh direct index of a blocks directory (the truth). */
static void direct_digest(const char *tmp, const char *blocks_dir, const char *tag, uint8_t out[32])
{
	char db[4200];
	snprintf(db, sizeof db, "%s/direct-%s", tmp, tag);
	struct tl_index_opts o = cf_index_opts(blocks_dir, db);
	cf_index_run(&o, NULL);
	digest_of(db, out);
}

/* The truth for the blocks directory: the blocks of hashes (from the
 * simulator's directory), written in that order as plain records by this
 * naive writer. */
static void naive_dir(const char *simblocks, uint8_t (*hashes)[32], size_t n, const char *dst)
{
	struct tl_blkdir *d;
	struct tl_err err;
	if (tl_blkdir_open(simblocks, regtest(), &d, &err) < 0 || tl_blkdir_scan(d, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	char path[4300];
	snprintf(path, sizeof path, "mkdir -p '%s'", dst);
	assert_int_equal(tu_run(path, NULL), 0);
	snprintf(path, sizeof path, "%s/blk00000.dat", dst);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	uint8_t *buf = NULL;
	size_t cap = 0;
	for (size_t i = 0; i < n; i++) {
		const struct tl_chain_entry *e = tl_blkdir_find(d, hashes[i]);
		assert_non_null(e);
		if (tl_blkdir_read(d, &e->loc, &buf, &cap, &err) < 0) fail_msg("%s", err.msg);
		uint32_t sz = e->loc.size;
		uint8_t le[4] = { (uint8_t)sz, (uint8_t)(sz >> 8), (uint8_t)(sz >> 16), (uint8_t)(sz >> 24) };
		assert_int_equal(fwrite(regtest()->magic, 1, 4, f), 4);
		assert_int_equal(fwrite(le, 1, 4, f), 4);
		assert_int_equal(fwrite(buf, 1, sz, f), sz);
	}
	assert_int_equal(fclose(f), 0);
	free(buf);
	tl_blkdir_close(d);
}

/* The node's chain heights from..to appended to *hs. */
static void add_hashes(const struct fakenode *n, int32_t from, int32_t to, uint8_t (**hs)[32], size_t *len)
{
	*hs = realloc(*hs, sizeof **hs * (*len + (size_t)(to - from + 1)));
	for (int32_t h = from; h <= to; h++) fn_hash_at(n, h, (*hs)[(*len)++]);
}

/* The fetched directory holds exactly the naive one's bytes. */
static void same_files(const char *a, const char *b)
{
	char pa[4300], pb[4300];
	snprintf(pa, sizeof pa, "%s/blk00000.dat", a);
	snprintf(pb, sizeof pb, "%s/blk00000.dat", b);
	size_t la, lb;
	uint8_t *x = tu_read_file(pa, &la), *y = tu_read_file(pb, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(x, y, la);
	free(x);
	free(y);
	snprintf(pa, sizeof pa, "%s/blk00001.dat", a);
	assert_int_not_equal(access(pa, F_OK), 0);
}

static struct tl_rpc *client(const struct fakenode *n, int max_attempts, int timeout_ms)
{
	struct tl_rpc_opts ro = { .url = fn_url(n), .cookie_file = fn_cookie(n), .max_attempts = max_attempts,
				  .timeout_ms = timeout_ms, .backoff_ms = 5, .max_backoff_ms = 100 };
	struct tl_rpc *r;
	struct tl_err err;
	if (tl_rpc_open(&ro, &r, &err) < 0) fail_msg("%s", err.msg);
	return r;
}

static void live_index(struct tl_rpc *r, const char *blocks, const char *db, uint32_t chunk,
		       struct tl_live_index_stats *st)
{
	struct tl_index_opts o = cf_index_opts(blocks, db);
	struct tl_err err;
	if (tl_live_index(r, &o, chunk, st, &err) < 0) fail_msg("live index: %s", err.msg);
}

static void test_url_parse(void **state)
{
	(void)state;
	char host[64], path[64];
	uint16_t port;
	struct tl_err err;
	assert_int_equal(tl_rpc_parse_url("http://127.0.0.1:18443", host, sizeof host, &port, path, sizeof path, &err),
			 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 18443);
	assert_string_equal(path, "/");
	assert_int_equal(tl_rpc_parse_url("http://node.local/wallet/x", host, sizeof host, &port, path, sizeof path,
					  &err),
			 0);
	assert_string_equal(host, "node.local");
	assert_int_equal(port, 8332);
	assert_string_equal(path, "/wallet/x");
	const char *bad[] = { "https://a:1", "http://", "http://:80", "http://a:0", "http://a:65536", "http://a:12x",
			      "http://a b:1", "ftp://a", "http://a:1/p q", "http://a:" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		if (tl_rpc_parse_url(bad[i], host, sizeof host, &port, path, sizeof path, &err) == 0)
			fail_msg("accepted bad URL %s", bad[i]);
}

static void test_rpc_client(void **state)
{
	(void)state;
	char *tmp = tu_tmpdir("live-rpc");
	char sim[4200];
	snprintf(sim, sizeof sim, "%s/sim", tmp);
	cf_sim(sim, 3, 120, 2, 0, true);
	struct fakenode *n = fn_start(tmp, regtest());
	strcat(sim, "/blocks");
	int32_t len = fn_load_chain(n, sim);
	fn_set_height(n, len - 1);
	struct tl_err err;
	json_t *res;
	int code;

	/* Right cookie: the node's height; the network check passes. */
	struct tl_rpc *r = client(n, 10, 5000);
	assert_int_equal(tl_rpc_call(r, "getblockcount", NULL, &res, &code, &err), 0);
	assert_int_equal(json_integer_value(res), len - 1);
	json_decref(res);
	assert_int_equal(tl_fetch_check_network(r, regtest(), &err), 0);
	assert_int_equal(tl_fetch_check_network(r, tl_net_params(TL_NET_MAIN), &err), -1);
	assert_non_null(strstr(err.msg, "--network regtest"));
	/* An error the node means comes back at once with its code. */
	assert_int_equal(tl_rpc_call(r, "nosuchmethod", NULL, &res, &code, &err), -1);
	assert_int_equal(code, -32601);
	assert_int_equal(tl_rpc_call(r, "getblockhash", json_pack("[i]", len + 5), &res, &code, &err), -1);
	assert_int_equal(code, TL_RPC_INVALID_PARAMETER);
	struct tl_rpc_stats rs;
	tl_rpc_stats(r, &rs);
	assert_int_equal(rs.retries, 0);

	/* A restart writes a new cookie: the client reads it again. */
	fn_restart(n, 50);
	assert_int_equal(tl_rpc_call(r, "getblockcount", NULL, &res, &code, &err), 0);
	json_decref(res);
	tl_rpc_stats(r, &rs);
	assert_true(rs.retries >= 1);
	tl_rpc_close(r);

	/* A wrong password is refused, not retried forever. */
	struct tl_rpc_opts ro = { .url = fn_url(n), .user = "u", .password = "wrong", .backoff_ms = 5 };
	assert_int_equal(tl_rpc_open(&ro, &r, &err), 0);
	assert_int_equal(tl_rpc_call(r, "getblockcount", NULL, &res, &code, &err), -1);
	assert_non_null(strstr(err.msg, "refused"));
	tl_rpc_close(r);
	/* Credentials are required, and only one kind. */
	struct tl_rpc_opts none = { .url = fn_url(n) };
	assert_int_equal(tl_rpc_open(&none, &r, &err), -1);
	struct tl_rpc_opts both = { .url = fn_url(n), .cookie_file = "x", .user = "u", .password = "p" };
	assert_int_equal(tl_rpc_open(&both, &r, &err), -1);

	/* Nobody listening: retried, then a clear error. */
	fn_stop(n);
	struct tl_rpc_opts gone = { .url = "http://127.0.0.1:1", .user = "u", .password = "p", .max_attempts = 3,
				    .backoff_ms = 5 };
	assert_int_equal(tl_rpc_open(&gone, &r, &err), 0);
	assert_int_equal(tl_rpc_call(r, "getblockcount", NULL, &res, &code, &err), -1);
	assert_non_null(strstr(err.msg, "after 3 attempts"));
	assert_int_equal(code, 0);
	tl_rpc_close(r);
	tu_rmrf(tmp);
	free(tmp);
}

/* The node grows in steps; each index --rpc resumes; then a reorg. */
static void test_index_rpc_resume_and_reorg(void **state)
{
	(void)state;
	char *tmp = tu_tmpdir("live-index");
	char sim[4200], simblocks[4300], blocks[4200], db[4200];
	snprintf(sim, sizeof sim, "%s/sim", tmp);
	snprintf(simblocks, sizeof simblocks, "%s/blocks", sim);
	snprintf(db, sizeof db, "%s/db", tmp);
	char *bd = tl_live_default_blocks_dir(db);
	snprintf(blocks, sizeof blocks, "%s", bd);
	free(bd);
	assert_true(strlen(blocks) > 7 && !strcmp(blocks + strlen(blocks) - 7, ".blocks"));
	cf_sim(sim, 11, 140, 12, 3, true);
	struct fakenode *n = fn_start(tmp, regtest());
	int32_t len = fn_load_chain(n, simblocks);
	struct tl_rpc *r = client(n, 0, 5000);
	struct tl_live_index_stats st;

	fn_set_height(n, 0);
	live_index(r, blocks, db, 0, &st);
	assert_int_equal(st.fetched, 1);
	assert_int_equal(st.index.tip_after, 0);
	fn_set_height(n, 57);
	live_index(r, blocks, db, 10, &st); /* rounds of 10 blocks */
	assert_int_equal(st.fetched, 57);
	assert_int_equal(st.rounds, 6);
	assert_int_equal(st.index.tip_after, 57);
	fn_set_height(n, len - 1);
	live_index(r, blocks, db, 0, &st);
	assert_int_equal(st.fetched, (uint32_t)(len - 1 - 57));
	assert_int_equal(st.index.tip_after, len - 1);
	/* Nothing new: nothing fetched, nothing indexed. */
	live_index(r, blocks, db, 0, &st);
	assert_int_equal(st.fetched, 0);
	assert_int_equal(st.index.blocks_indexed, 0);

	uint8_t (*hs)[32] = NULL;
	size_t nh = 0;
	add_hashes(n, 0, len - 1, &hs, &nh);
	char naive[4300];
	snprintf(naive, sizeof naive, "%s/naive1", tmp);
	naive_dir(simblocks, hs, nh, naive);
	same_files(blocks, naive);
	uint8_t a[32], b[32];
	direct_digest(tmp, naive, "1", b);
	digest_of(db, a);
	assert_memory_equal(a, b, 32);

	/* A reorg 4 blocks deep with 2 more blocks on the new branch: the
	 * node's chain is the simulator's new best chain. */
	struct tl_err err;
	if (tl_sim_extend(sim, 4, 2, NULL, NULL, NULL, &err) < 0) fail_msg("%s", err.msg);
	int32_t len2 = fn_load_chain(n, simblocks);
	fn_set_height(n, len2 - 1);
	live_index(r, blocks, db, 0, &st);
	assert_int_equal(st.reorgs, 1);
	assert_int_equal(st.index.blocks_rolled_back, 4);
	assert_int_equal(st.index.fork_height, len - 1 - 4);
	assert_int_equal(st.index.tip_after, len2 - 1);
	/* Truth: the old chain then the new branch, as a node that saw the
	 * reorg stores them, indexed fresh in one run. */
	add_hashes(n, len - 4, len2 - 1, &hs, &nh);
	snprintf(naive, sizeof naive, "%s/naive2", tmp);
	naive_dir(simblocks, hs, nh, naive);
	same_files(blocks, naive);
	free(hs);
	direct_digest(tmp, naive, "2", b);
	digest_of(db, a);
	assert_memory_equal(a, b, 32);
	/* The database's tip is the node's. */
	struct tl_store *s;
	struct tl_store_opts so = { .read_only = true };
	assert_int_equal(tl_store_open(db, &so, &s, &err), 0);
	struct tl_tip tip;
	assert_int_equal(tl_store_tip(s, &tip, &err), 0);
	tl_store_close(s);
	uint8_t want[32];
	fn_hash_at(n, len2 - 1, want);
	assert_memory_equal(tip.hash, want, 32);

	/* The node's own blocks directory is never written to. */
	struct tl_fetch_opts fo = { .blocks_dir = simblocks, .net = regtest() };
	struct tl_fetch_stats fs;
	assert_int_equal(tl_fetch_round(r, &fo, &fs, &err), -1);
	assert_non_null(strstr(err.msg, "did not fetch"));

	tl_rpc_close(r);
	fn_stop(n);
	tu_rmrf(tmp);
	free(tmp);
}

struct restarter {
	struct fakenode *n;
	volatile int stop;
	int restarts;
};

static void *restart_main(void *arg)
{
	struct restarter *rs = arg;
	while (!rs->stop && rs->restarts < 6) {
		struct timespec ts = { 0, 60 * 1000000L };
		nanosleep(&ts, NULL);
		fn_restart(rs->n, 40);
		rs->restarts++;
	}
	return NULL;
}

/* Random faults, slow replies and restarts: no block skipped, no crash. */
static void test_index_rpc_unreliable_node(void **state)
{
	(void)state;
	uint64_t seed = (uint64_t)time(NULL);
	const char *env = getenv("TL_TEST_SEED");
	if (env) seed = strtoull(env, NULL, 10);
	print_message("unreliable node: seed %llu (TL_TEST_SEED to replay)\n", (unsigned long long)seed);
	char *tmp = tu_tmpdir("live-faults");
	char sim[4200], simblocks[4300], blocks[4200], db[4200];
	snprintf(sim, sizeof sim, "%s/sim", tmp);
	snprintf(simblocks, sizeof simblocks, "%s/blocks", sim);
	snprintf(db, sizeof db, "%s/db", tmp);
	snprintf(blocks, sizeof blocks, "%s/fetched", tmp);
	cf_sim(sim, 5 + seed % 1000, 130, 10, 2, true);
	struct fakenode *n = fn_start(tmp, regtest());
	int32_t len = fn_load_chain(n, simblocks);
	fn_set_height(n, len - 1);
	fn_faults(n, seed, 200);
	struct tl_rpc *r = client(n, 0, 100);
	struct restarter rs = { .n = n };
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, restart_main, &rs), 0);
	struct tl_live_index_stats st;
	live_index(r, blocks, db, 25, &st);
	rs.stop = 1;
	pthread_join(th, NULL);
	struct fn_stats ns;
	fn_stats(n, &ns);
	struct tl_rpc_stats cs;
	tl_rpc_stats(r, &cs);
	print_message("node: %llu requests, %llu faults, %llu restarts; client: %llu retries\n",
		      (unsigned long long)ns.requests, (unsigned long long)ns.faults,
		      (unsigned long long)ns.restarts, (unsigned long long)cs.retries);
	assert_true(ns.faults > 0);
	assert_true(cs.retries >= ns.faults);
	assert_int_equal(st.index.tip_after, len - 1);
	uint8_t (*hs)[32] = NULL;
	size_t nh = 0;
	add_hashes(n, 0, len - 1, &hs, &nh);
	char naive[4300];
	snprintf(naive, sizeof naive, "%s/naive", tmp);
	naive_dir(simblocks, hs, nh, naive);
	free(hs);
	same_files(blocks, naive);
	uint8_t a[32], b[32];
	direct_digest(tmp, naive, "f", b);
	digest_of(db, a);
	if (memcmp(a, b, 32)) fail_msg("digest differs (seed %llu)", (unsigned long long)seed);
	tl_rpc_close(r);
	fn_stop(n);
	tu_rmrf(tmp);
	free(tmp);
}

/* The command line: index --rpc with a cookie, then db digest. */
static void test_cli_index_rpc(void **state)
{
	(void)state;
	char *tmp = tu_tmpdir("live-cli");
	char sim[4200], simblocks[4300], db[4200], cmd[9000];
	snprintf(sim, sizeof sim, "%s/sim", tmp);
	snprintf(simblocks, sizeof simblocks, "%s/blocks", sim);
	snprintf(db, sizeof db, "%s/db", tmp);
	cf_sim(sim, 21, 125, 8, 1, true);
	struct fakenode *n = fn_start(tmp, regtest());
	fn_set_height(n, fn_load_chain(n, simblocks) - 1);
	snprintf(cmd, sizeof cmd, "'%s' index --rpc %s --rpc-cookie '%s' --db '%s' --network regtest -q 2>&1",
		 TL_BINARY, fn_url(n), fn_cookie(n), db);
	char *out = NULL;
	if (tu_run(cmd, &out) != 0) fail_msg("index --rpc failed: %s", out);
	free(out);
	/* Wrong network: refused with the node's. */
	snprintf(cmd, sizeof cmd, "'%s' index --rpc %s --rpc-cookie '%s' --db '%s'.x 2>&1", TL_BINARY, fn_url(n),
		 fn_cookie(n), db);
	assert_int_equal(tu_run(cmd, &out), 1);
	assert_non_null(strstr(out, "--network regtest"));
	free(out);
	char *d1 = NULL, *d2 = NULL;
	snprintf(cmd, sizeof cmd, "'%s' db digest --db '%s'", TL_BINARY, db);
	assert_int_equal(tu_run(cmd, &d1), 0);
	uint8_t b[32];
	uint8_t (*hs)[32] = NULL;
	size_t nh = 0;
	add_hashes(n, 0, fn_height(n), &hs, &nh);
	char naive[4300];
	snprintf(naive, sizeof naive, "%s/naive", tmp);
	naive_dir(simblocks, hs, nh, naive);
	free(hs);
	direct_digest(tmp, naive, "c", b);
	snprintf(cmd, sizeof cmd, "'%s' db digest --db '%s/direct-c'", TL_BINARY, tmp);
	assert_int_equal(tu_run(cmd, &d2), 0);
	assert_string_equal(d1, d2);
	free(d1);
	free(d2);
	fn_stop(n);
	tu_rmrf(tmp);
	free(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_parse),
		cmocka_unit_test(test_rpc_client),
		cmocka_unit_test(test_index_rpc_resume_and_reorg),
		cmocka_unit_test(test_index_rpc_unreliable_node),
		cmocka_unit_test(test_cli_index_rpc),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
