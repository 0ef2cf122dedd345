/* Indexing from a node: a fake node (a libevent HTTP server on 127.0.0.1
 * in this program) answers JSON-RPC from real mainnet node responses
 * (ethereum-etl's fixtures) and from the simulator's rpc/ files; the
 * database indexed from it must equal (db digest) the one indexed from
 * the export of the same blocks. The node also misbehaves: HTTP errors,
 * JSON-RPC errors, answers too slow, a method it lacks, a block it does
 * not have yet, a fork below the tip: the indexer retries, falls back,
 * or stops with a clear error and an unchanged database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <jansson.h>

#include "ethereum/etl.h"
#include "indexer/eth_index.h"
#include "indexer/eth_node.h"
#include "sim/eth.h"
#include "store/eth_store.h"
#include "tests/eth_fix.h"
#include "tests/testutil.h"

/* ---- the fake node ---- */

/* F_FORKED: a batch's later blocks name another parent (the node
 * reorganised between two answers); F_STRAY: receipts of another block. */
enum fault { F_NONE, F_HTTP500, F_RPCERR, F_SLOW, F_GARBAGE, F_FORKED, F_STRAY };

struct fnode {
	pthread_mutex_t mu;
	json_t *blocks;       /* "number" (decimal string) -> block */
	json_t *by_hash;      /* block hash -> receipts array */
	json_t *rcpts;        /* tx hash -> receipt */
	json_t *traces;       /* "number" -> trace_block result */
	bool block_receipts;  /* offers eth_getBlockReceipts */
	bool trace_block;     /* offers trace_block */
	uint64_t head;
	enum fault fault;     /* for the next fault_n requests */
	int fault_n;
	int requests;
	/* server */
	struct event_base *base;
	struct evhttp *http;
	pthread_t th;
	uint16_t port;
};

static struct fnode N;

static json_t *err_obj(json_t *id, long code, const char *msg)
{
	return json_pack("{s:s,s:O,s:{s:I,s:s}}", "jsonrpc", "2.0", "id", id, "error", "code", (json_int_t)code, "message", msg);
}

static json_t *res_obj(json_t *id, json_t *r)
{
	return json_pack("{s:s,s:O,s:o}", "jsonrpc", "2.0", "id", id, "result", r ? r : json_null());
}

static uint64_t qty_of(const json_t *v)
{
	const char *s = json_string_value(v);
	return s ? strtoull(s + 2, NULL, 16) : UINT64_MAX;
}

static json_t *answer(json_t *call)
{
	json_t *id = json_object_get(call, "id"), *params = json_object_get(call, "params");
	const char *m = json_string_value(json_object_get(call, "method"));
	char key[32];
	if (!m) return err_obj(id, -32600, "invalid request");
	if (N.fault == F_RPCERR) return err_obj(id, -32000, "header not found");
	if (!strcmp(m, "eth_blockNumber")) {
		char h[24];
		snprintf(h, sizeof h, "0x%llx", (unsigned long long)N.head);
		return res_obj(id, json_string(h));
	}
	if (!strcmp(m, "eth_getBlockByNumber")) {
		uint64_t n = qty_of(json_array_get(params, 0));
		snprintf(key, sizeof key, "%llu", (unsigned long long)n);
		json_t *b = n <= N.head ? json_object_get(N.blocks, key) : NULL;
		if (b && N.fault == F_FORKED && json_integer_value(id) > 0) {
			b = json_deep_copy(b);
			json_object_set_new(b, "parentHash", json_string("0x3333333333333333333333333333333333333333333333333333333333333333"));
			return res_obj(id, b);
		}
		return res_obj(id, b ? json_incref(b) : NULL);
	}
	if (!strcmp(m, "eth_getBlockReceipts")) {
		if (!N.block_receipts) return err_obj(id, -32601, "the method eth_getBlockReceipts does not exist/is not available");
		json_t *r = json_object_get(N.by_hash, json_string_value(json_array_get(params, 0)));
		if (r && N.fault == F_STRAY && json_array_size(r)) {
			r = json_deep_copy(r);
			json_object_set_new(json_array_get(r, 0), "blockHash",
					    json_string("0x4444444444444444444444444444444444444444444444444444444444444444"));
			return res_obj(id, r);
		}
		return res_obj(id, r ? json_incref(r) : NULL);
	}
	if (!strcmp(m, "eth_getTransactionReceipt")) {
		json_t *r = json_object_get(N.rcpts, json_string_value(json_array_get(params, 0)));
		return res_obj(id, r ? json_incref(r) : NULL);
	}
	if (!strcmp(m, "trace_block") && N.trace_block) {
		snprintf(key, sizeof key, "%llu", (unsigned long long)qty_of(json_array_get(params, 0)));
		json_t *r = json_object_get(N.traces, key);
		return r ? res_obj(id, json_incref(r)) : err_obj(id, -32000, "block not found");
	}
	char msg[128];
	snprintf(msg, sizeof msg, "the method %s does not exist/is not available", m);
	return err_obj(id, -32601, msg);
}

static void on_req(struct evhttp_request *req, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&N.mu);
	N.requests++;
	enum fault f = N.fault_n > 0 ? N.fault : F_NONE;
	if (N.fault_n > 0) N.fault_n--;
	enum fault saved = N.fault;
	N.fault = f;
	struct evbuffer *out = evbuffer_new();
	if (f == F_HTTP500) {
		evbuffer_add_printf(out, "upstream unavailable");
		evhttp_send_reply(req, 500, "Internal Server Error", out);
	} else if (f == F_GARBAGE) {
		evbuffer_add_printf(out, "<html>not json");
		evhttp_send_reply(req, 200, "OK", out);
	} else {
		if (f == F_SLOW) usleep(600 * 1000); /* the client waits 0.2 s */
		struct evbuffer *in = evhttp_request_get_input_buffer(req);
		size_t len = evbuffer_get_length(in);
		char *body = malloc(len + 1);
		evbuffer_remove(in, body, len);
		json_t *q = json_loadb(body, len, 0, NULL), *a;
		free(body);
		if (json_is_array(q)) {
			a = json_array();
			size_t i;
			json_t *c;
			json_array_foreach(q, i, c) json_array_append_new(a, answer(c));
		} else
			a = q ? answer(q) : err_obj(json_null(), -32700, "parse error");
		json_decref(q);
		char *t = json_dumps(a, JSON_COMPACT);
		json_decref(a);
		evbuffer_add(out, t, strlen(t));
		free(t);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
		evhttp_send_reply(req, 200, "OK", out);
	}
	N.fault = saved;
	evbuffer_free(out);
	pthread_mutex_unlock(&N.mu);
}

static void *serve(void *arg)
{
	(void)arg;
	event_base_dispatch(N.base);
	return NULL;
}

static void node_start(void)
{
	memset(&N, 0, sizeof N);
	pthread_mutex_init(&N.mu, NULL);
	N.blocks = json_object();
	N.by_hash = json_object();
	N.rcpts = json_object();
	N.traces = json_object();
	evthread_use_pthreads(); /* node_stop breaks the loop from this thread */
	N.base = event_base_new();
	N.http = evhttp_new(N.base);
	evhttp_set_max_body_size(N.http, 1 << 26);
	evhttp_set_gencb(N.http, on_req, NULL);
	struct evhttp_bound_socket *h = evhttp_bind_socket_with_handle(N.http, "127.0.0.1", 0);
	assert_non_null(h);
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	assert_int_equal(getsockname(evhttp_bound_socket_get_fd(h), (struct sockaddr *)&sa, &sl), 0);
	N.port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&N.th, NULL, serve, NULL), 0);
}

static void node_stop(void)
{
	event_base_loopbreak(N.base);
	pthread_join(N.th, NULL);
	evhttp_free(N.http);
	event_base_free(N.base);
	json_decref(N.blocks);
	json_decref(N.by_hash);
	json_decref(N.rcpts);
	json_decref(N.traces);
	pthread_mutex_destroy(&N.mu);
}

static void node_fault(enum fault f, int n)
{
	pthread_mutex_lock(&N.mu);
	N.fault = f;
	N.fault_n = n;
	pthread_mutex_unlock(&N.mu);
}

/* Adds a block (a node's eth_getBlockByNumber result). */
static void node_block(json_t *b)
{
	char key[32];
	snprintf(key, sizeof key, "%llu", (unsigned long long)qty_of(json_object_get(b, "number")));
	json_object_set(N.blocks, key, b);
}

static void node_receipts(const char *block_hash, json_t *arr)
{
	json_object_set(N.by_hash, block_hash, arr);
	size_t i;
	json_t *r;
	json_array_foreach(arr, i, r) json_object_set(N.rcpts, json_string_value(json_object_get(r, "transactionHash")), r);
}

static json_t *result_of_file(const char *path)
{
	json_error_t je;
	json_t *o = json_load_file(path, 0, &je);
	if (!o) fail_msg("%s: %s", path, je.text);
	json_t *r = json_incref(json_object_get(o, "result"));
	json_decref(o);
	return r;
}

/* Loads the simulator's rpc/ files (one response per line, id = block). */
static uint64_t node_load_sim(const char *dir)
{
	static const char *names[] = { "eth_getBlockByNumber", "eth_getBlockReceipts", "trace_block" };
	json_t *blocks = json_array();
	uint64_t last = 0;
	for (int k = 0; k < 3; k++) {
		char path[4400];
		snprintf(path, sizeof path, "%s/rpc/%s.jsonl", dir, names[k]);
		FILE *f = fopen(path, "r");
		assert_non_null(f);
		json_error_t je;
		json_t *o;
		size_t i = 0;
		while ((o = json_loadf(f, JSON_DISABLE_EOF_CHECK, &je))) {
			json_t *r = json_object_get(o, "result");
			if (k == 0) {
				node_block(r);
				json_array_append(blocks, r);
				last = qty_of(json_object_get(r, "number"));
			} else if (k == 1) {
				node_receipts(json_string_value(json_object_get(json_array_get(blocks, i), "hash")), r);
			} else {
				char key[32];
				snprintf(key, sizeof key, "%zu", i);
				json_object_set(N.traces, key, r);
			}
			json_decref(o);
			i++;
		}
		fclose(f);
		assert_int_equal(i, json_array_size(blocks));
	}
	json_decref(blocks);
	N.block_receipts = N.trace_block = true;
	N.head = last;
	return last;
}

/* ---- databases ---- */

static struct tl_eth_store *open_new(const char *dir)
{
	struct tl_eth_store *s;
	struct tl_err err;
	struct tl_eth_store_opts o = { .create = true, .net = tl_eth_net_by_name("mainnet") };
	if (tl_eth_store_open(dir, &o, &s, &err) < 0) fail_msg("%s", err.msg);
	return s;
}

static void digest_of(struct tl_eth_store *s, uint8_t dg[32])
{
	struct tl_err err;
	if (tl_eth_store_digest(s, dg, NULL, &err) < 0) fail_msg("%s", err.msg);
}

static void digest_of_data(const char *dir, struct tl_eth_data *d, uint8_t dg[32])
{
	struct tl_eth_store *s = open_new(dir);
	struct tl_eth_index_result r;
	struct tl_err err;
	if (tl_eth_index_data(s, d, NULL, &r, &err) < 0) fail_msg("%s", err.msg);
	digest_of(s, dg);
	tl_eth_store_close(s);
}

static char g_notes[8192];
static void on_note(void *ctx, const char *msg)
{
	(void)ctx;
	size_t n = strlen(g_notes);
	snprintf(g_notes + n, sizeof g_notes - n, "%s\n", msg);
}

static volatile sig_atomic_t g_stop;
static uint64_t g_stop_at, g_max_tip;
static void stop_when_there(void *ctx, const struct tl_eth_node_progress *p)
{
	(void)ctx;
	if (p->tip > g_max_tip) g_max_tip = p->tip;
	if (p->tip >= g_stop_at) g_stop = 1;
}

static void opts_init(struct tl_eth_node_opts *o, char *url, size_t cap)
{
	snprintf(url, cap, "http://127.0.0.1:%u/", N.port);
	memset(o, 0, sizeof *o);
	o->url = url;
	o->until = -1;
	o->retries = 5;
	o->backoff = 0.01;
	o->timeout = 5;
	o->batch_blocks = 7;
	o->note = on_note;
	g_notes[0] = 0;
}

static int node_index(struct tl_eth_store *s, const struct tl_eth_node_opts *o, struct tl_eth_node_result *r,
		      struct tl_err *err)
{
	return tl_eth_node_index(s, o, r, err);
}

/* ---- tests ---- */

#define ST ETL_FIX "test_stream/blocks_1755634_1755635/"

/* Two real mainnet blocks, as a node without eth_getBlockReceipts and
 * without tracers answers them: the indexer falls back to receipts per
 * transaction and to no traces, and the database equals the one from
 * ethereum-etl's export of the same blocks. */
static void test_real_blocks(void **state)
{
	(void)state;
	const char *b0 = tu_shared_path(ST "web3_response.eth_getBlockByNumber_0x1ac9f2_true.json");
	node_start();
	json_t *blk[2] = { result_of_file(b0), result_of_file(tu_shared_path(ST "web3_response.eth_getBlockByNumber_0x1ac9f3_true.json")) };
	for (int i = 0; i < 2; i++) node_block(blk[i]);
	static const char *rh[] = { "0x2e3dcd051a91d3a694f6b8de2ac4b5fe7acdba55f58bcf8471ff00d4a430074d",
				    "0x9a5437ec71b74ecf5930b406908ac6999966d38a86d1534b7190ece7599095eb" };
	for (int i = 0; i < 2; i++) {
		char rel[512];
		snprintf(rel, sizeof rel, ST "web3_response.eth_getTransactionReceipt_%s.json", rh[i]);
		json_t *r = result_of_file(tu_shared_path(rel));
		json_object_set(N.rcpts, rh[i], r);
		json_decref(r);
	}
	N.head = 0x1ac9f3 + 5; /* the node knows later blocks; --until stops before them */

	char *dir = tu_tmpdir("ethnode-real");
	char pa[4300], pb[4300], url[64];
	snprintf(pa, sizeof pa, "%s/node", dir);
	snprintf(pb, sizeof pb, "%s/etl", dir);
	struct tl_eth_store *s = open_new(pa);
	struct tl_eth_node_opts o;
	opts_init(&o, url, sizeof url);
	o.from = 0x1ac9f2;
	o.until = 0x1ac9f3;
	struct tl_eth_node_result r;
	struct tl_err err;
	if (node_index(s, &o, &r, &err) < 0) fail_msg("%s", err.msg);
	assert_int_equal(r.blocks, 2);
	assert_int_equal(r.receipts_per_tx, 1);
	assert_int_equal(r.traces, TL_ETH_TRACES_NONE);
	assert_non_null(strstr(g_notes, "eth_getBlockReceipts"));
	assert_non_null(strstr(g_notes, "internal transfers are unknown"));
	uint8_t g1[32], g2[32];
	digest_of(s, g1);
	tl_eth_store_close(s);

	struct tl_eth_data d = { 0 };
	ef_etl(&d, ST "expected_blocks.json");
	ef_etl(&d, ST "expected_transactions.json");
	ef_etl(&d, ST "expected_logs.json");
	ef_etl(&d, ST "expected_token_transfers.json");
	ef_finish(&d);
	digest_of_data(pb, &d, g2);
	tl_eth_data_free(&d);
	assert_memory_equal(g1, g2, 32);

	/* strict modes: a node without trace_block is refused, not indexed
	 * without traces */
	snprintf(pa, sizeof pa, "%s/strict", dir);
	s = open_new(pa);
	o.traces = TL_ETH_TRACES_PARITY;
	assert_int_equal(node_index(s, &o, &r, &err), -1);
	assert_non_null(strstr(err.msg, "no trace_block"));
	struct tl_eth_tip t;
	assert_int_equal(tl_eth_store_tip(s, &t, &err), 0);
	assert_int_equal(t.height, -1);
	tl_eth_store_close(s);

	for (int i = 0; i < 2; i++) json_decref(blk[i]);
	node_stop();
	tu_rmrf(dir);
	free(dir);
}

/* The simulator's chain (with traces, tokens, WETH, heists) from its node
 * files: equal to its CSV export indexed, through every kind of failure
 * the node can show, and resumed across runs. */
static void test_sim_chain(void **state)
{
	(void)state;
	char *dir = tu_tmpdir("ethnode-sim");
	char sim[4300], pa[4300], pb[4300], url[64];
	snprintf(sim, sizeof sim, "%s/sim", dir);
	struct tl_eth_sim_params p;
	tl_eth_sim_params_default(&p);
	p.seed = 11;
	p.blocks = 150;
	p.txs_per_block = 12;
	p.heists = 1;
	struct tl_err err;
	if (tl_eth_sim_run(sim, &p, NULL, &err)) fail_msg("simulate: %s", err.msg);
	node_start();
	uint64_t last = node_load_sim(sim);
	assert_true(last >= 150);

	/* the export, indexed */
	struct tl_eth_data d = { 0 };
	if (tl_eth_etl_read_dir(&d, sim, &err) < 0) fail_msg("%s", err.msg);
	uint8_t want[32], got[32], mid[32];
	snprintf(pb, sizeof pb, "%s/etl", dir);
	digest_of_data(pb, &d, want);
	tl_eth_data_free(&d);

	/* from the node, in three runs, the node failing in every way */
	snprintf(pa, sizeof pa, "%s/node", dir);
	struct tl_eth_store *s = open_new(pa);
	struct tl_eth_node_opts o;
	opts_init(&o, url, sizeof url);
	o.timeout = 0.2;
	struct tl_eth_node_result r;
	o.until = 40;
	node_fault(F_HTTP500, 2);
	if (node_index(s, &o, &r, &err) < 0) fail_msg("%s", err.msg);
	assert_int_equal(r.blocks, 41);
	assert_non_null(strstr(g_notes, "HTTP status 500"));
	assert_int_equal(r.traces, TL_ETH_TRACES_PARITY);
	assert_int_equal(r.receipts_per_tx, 0);

	g_notes[0] = 0;
	o.until = 100;
	node_fault(F_SLOW, 2);
	/* The node's one thread sleeps through both slow answers, so every
	 * retry meanwhile times out too: enough of them to outlast it on a
	 * loaded machine (a sanitizer build beside other tests). */
	o.retries = 30;
	if (node_index(s, &o, &r, &err) < 0) fail_msg("%s", err.msg);
	o.retries = 5;
	assert_int_equal(r.blocks, 60);
	assert_non_null(strstr(g_notes, "timed out"));

	g_notes[0] = 0;
	node_fault(F_RPCERR, 1);
	o.until = 120;
	if (node_index(s, &o, &r, &err) < 0) fail_msg("%s", err.msg);
	assert_non_null(strstr(g_notes, "header not found"));
	g_notes[0] = 0;
	node_fault(F_GARBAGE, 1);
	o.until = 130;
	if (node_index(s, &o, &r, &err) < 0) fail_msg("%s", err.msg);
	assert_non_null(strstr(g_notes, "not JSON"));

	/* answers from two chains in one batch: fetched again, nothing mixed */
	g_notes[0] = 0;
	node_fault(F_FORKED, 2); /* eth_blockNumber, then the blocks */
	o.until = 137;
	if (node_index(s, &o, &r, &err) < 0) fail_msg("%s", err.msg);
	assert_non_null(strstr(g_notes, "a reorg on the node"));
	g_notes[0] = 0;
	node_fault(F_STRAY, 3); /* eth_blockNumber, the blocks, the receipts */
	o.until = 144;
	if (node_index(s, &o, &r, &err) < 0) fail_msg("%s", err.msg);
	if (!strstr(g_notes, "a receipt of another block")) fail_msg("notes: %s", g_notes);

	/* a node that keeps failing: a clear error, the database unchanged */
	digest_of(s, mid);
	node_fault(F_HTTP500, 1000);
	o.until = -1;
	o.retries = 2;
	assert_int_equal(node_index(s, &o, &r, &err), -1);
	assert_non_null(strstr(err.msg, "gave up after 3 attempts"));
	assert_non_null(strstr(err.msg, "HTTP status 500"));
	digest_of(s, got);
	assert_memory_equal(got, mid, 32);
	node_fault(F_NONE, 0);

	/* a block the node does not have yet: waited for, then given up */
	pthread_mutex_lock(&N.mu);
	uint64_t head = N.head;
	N.head = head + 3; /* claims blocks it cannot give */
	pthread_mutex_unlock(&N.mu);
	o.until = (int64_t)head + 1;
	assert_int_equal(node_index(s, &o, &r, &err), -1);
	assert_non_null(strstr(err.msg, "has no block"));
	pthread_mutex_lock(&N.mu);
	N.head = head;
	pthread_mutex_unlock(&N.mu);

	/* the rest, then the whole equals the export's database */
	o.retries = 5;
	o.until = (int64_t)last;
	if (node_index(s, &o, &r, &err) < 0) fail_msg("%s", err.msg);
	digest_of(s, got);
	assert_memory_equal(got, want, 32);

	/* nothing new: a run up to the tip does nothing */
	if (node_index(s, &o, &r, &err) < 0) fail_msg("%s", err.msg);
	assert_int_equal(r.blocks, 0);

	/* a node that contradicts itself: its next block's parent is not its
	 * own block at the indexed tip. Asked again, then an error; nothing
	 * written (real reorgs: test_eth_reorg.c). */
	char key[32];
	snprintf(key, sizeof key, "%llu", (unsigned long long)last);
	json_t *tipb = json_deep_copy(json_object_get(N.blocks, key));
	json_t *next = json_deep_copy(tipb);
	char nk[32], nq[24];
	snprintf(nk, sizeof nk, "%llu", (unsigned long long)last + 1);
	snprintf(nq, sizeof nq, "0x%llx", (unsigned long long)last + 1);
	json_object_set_new(next, "number", json_string(nq));
	json_object_set_new(next, "parentHash", json_string("0x1111111111111111111111111111111111111111111111111111111111111111"));
	json_object_set_new(next, "hash", json_string("0x2222222222222222222222222222222222222222222222222222222222222222"));
	json_object_set_new(next, "transactions", json_array());
	json_object_set_new(next, "withdrawals", json_array());
	pthread_mutex_lock(&N.mu);
	json_object_set_new(N.blocks, nk, next);
	json_object_set_new(N.by_hash, "0x2222222222222222222222222222222222222222222222222222222222222222", json_array());
	json_object_set_new(N.traces, nk, json_array());
	N.head = last + 1;
	pthread_mutex_unlock(&N.mu);
	o.until = (int64_t)last + 1;
	assert_int_equal(node_index(s, &o, &r, &err), -1);
	assert_non_null(strstr(err.msg, "reorg"));
	digest_of(s, got);
	assert_memory_equal(got, want, 32);
	json_decref(tipb);
	tl_eth_store_close(s);

	/* the command line against the same node: the same database */
	pthread_mutex_lock(&N.mu);
	N.head = last;
	pthread_mutex_unlock(&N.mu);
	char cmd[9000], *out = NULL;
	snprintf(cmd, sizeof cmd, "'%s' index --chain ethereum --rpc http://127.0.0.1:%u --db '%s/cli' --until %llu 2>&1 && '%s' db digest --db '%s/cli'",
		 TL_BINARY, N.port, dir, (unsigned long long)last, TL_BINARY, dir);
	int rc = tu_run(cmd, &out);
	if (rc != 0) fail_msg("%s", out);
	char hex[65];
	for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", want[i]);
	if (!strstr(out, hex)) fail_msg("digest %s not in: %s", hex, out);
	assert_non_null(strstr(out, "indexed"));
	free(out);

	/* following with --confirmations: never closer than N to the head;
	 * the run stops (as on a signal) once it is there */
	snprintf(pa, sizeof pa, "%s/conf", dir);
	s = open_new(pa);
	opts_init(&o, url, sizeof url);
	o.confirmations = 10;
	o.poll = 0.01;
	o.stop = &g_stop;
	o.progress = stop_when_there;
	g_stop = 0;
	g_stop_at = last - 10;
	g_max_tip = 0;
	if (node_index(s, &o, &r, &err) < 0) fail_msg("%s", err.msg);
	assert_int_equal(g_max_tip, last - 10);
	struct tl_eth_tip t;
	assert_int_equal(tl_eth_store_tip(s, &t, &err), 0);
	assert_int_equal(t.height, (int64_t)(last - 10));
	tl_eth_store_close(s);

	node_stop();
	tu_rmrf(dir);
	free(dir);
}

/* Bad URLs and an unreachable node: clear errors, no hang. */
static void test_bad_node(void **state)
{
	(void)state;
	char *dir = tu_tmpdir("ethnode-bad");
	struct tl_eth_store *s = open_new(dir);
	struct tl_eth_node_opts o;
	memset(&o, 0, sizeof o);
	o.until = 10;
	struct tl_eth_node_result r;
	struct tl_err err;
	o.url = "https://127.0.0.1:1/";
	assert_int_equal(tl_eth_node_index(s, &o, &r, &err), -1);
	assert_non_null(strstr(err.msg, "only http://"));
	o.url = "not a url";
	assert_int_equal(tl_eth_node_index(s, &o, &r, &err), -1);
	/* a port nothing listens on (bound, then closed) */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof sa;
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%u", ntohs(sa.sin_port));
	o.url = url;
	o.retries = 1;
	o.backoff = 0.01;
	o.timeout = 2;
	assert_int_equal(tl_eth_node_index(s, &o, &r, &err), -1);
	assert_non_null(strstr(err.msg, "gave up after 2 attempts"));
	tl_eth_store_close(s);
	tu_rmrf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_blocks),
		cmocka_unit_test(test_sim_chain),
		cmocka_unit_test(test_bad_node),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
