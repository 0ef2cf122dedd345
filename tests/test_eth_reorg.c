/* Ethereum reorgs, model-based: a fake node (a libevent HTTP server on
 * 127.0.0.1 in this program) serves a simulated chain that grows and
 * reorganises (depth 1 up to the undo depth; the dropped blocks'
 * transactions partly re-mined in the new blocks, partly dropped, new
 * ones added; new token contracts and accounts appearing on forks), with
 * tag and heist imports before, between and after. After every step the
 * database that followed the node (`taintline index --chain ethereum
 * --rpc`) must have the digest of a fresh database indexed from the
 * node's final chain with the same imports. Some rollbacks are cut short
 * by SIGKILL after a random number of rolled-back blocks (a child
 * process running the follower): the next run must reach the same
 * digest. A reorg deeper than the undo data must stop the run with the
 * database unchanged.
 *
 * TL_ETH_REORG_SEED=N replays one seed; TL_ETH_REORG_LONG=1 runs many
 * more seeds and steps. Every failure prints its seed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>
#include <jansson.h>

#include "bridge/memo.h"
#include "bridge/router.h"
#include "indexer/eth_node.h"
#include "store/eth_store.h"
#include "tests/testutil.h"

/* ---- the simulated chain ---- */

#define NACCT 20
#define NTOKEN 4
#define MAXB 400
#define UNDO 6 /* --undo-depth of the runs */

struct mtx {
	uint8_t hash[32];
	int from, to;
	uint64_t value;   /* wei; big: value << 64 (above 2^64) */
	bool big, fail;
	uint64_t gas_price, gas_used;
	int token;        /* -1 none */
	int tto;
	uint64_t tamount;
	int ito;          /* an internal call from `to`, -1 none */
	uint64_t ivalue;
	int router;       /* a THORChain router event: 0 none, 1 Deposit, 2 TransferOut, 3 one with a bad memo */
	uint8_t in_hash[32];
};

struct mblock {
	uint8_t hash[32], parent[32];
	int miner;
	struct mtx *txs;
	int ntx;
	bool withdrawal;
	int wto;
};

static struct {
	pthread_mutex_t mu;
	struct mblock b[MAXB];
	int height; /* -1: none */
	/* server */
	struct event_base *base;
	struct evhttp *http;
	pthread_t th;
	uint16_t port;
} N;

static uint64_t rng;
static uint64_t rnd(void)
{
	/* splitmix64: reproducible from the seed */
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}
static int below(int n) { return (int)(rnd() % (uint64_t)n); }
static void rnd_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) p[i] = (uint8_t)rnd();
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	static const char *d = "0123456789abcdef";
	out[0] = '0';
	out[1] = 'x';
	for (size_t i = 0; i < n; i++) {
		out[2 + 2 * i] = d[p[i] >> 4];
		out[3 + 2 * i] = d[p[i] & 15];
	}
	out[2 + 2 * n] = 0;
}

/* Account i's address, token i's contract: fixed bytes, distinct. */
static void acct_addr(int i, char out[43])
{
	uint8_t a[20];
	memset(a, 0x11, 20);
	a[0] = 0xa0;
	a[19] = (uint8_t)i;
	hex(a, 20, out);
}
static void token_addr(int i, char out[43])
{
	uint8_t a[20];
	memset(a, 0x22, 20);
	a[0] = 0xc0;
	a[19] = (uint8_t)i;
	hex(a, 20, out);
}

static json_t *q(uint64_t v)
{
	char b[24];
	snprintf(b, sizeof b, "0x%llx", (unsigned long long)v);
	return json_string(b);
}

static json_t *value_of(uint64_t v, bool big)
{
	char b[48];
	if (big) snprintf(b, sizeof b, "0x%llx0000000000000000", (unsigned long long)v);
	else snprintf(b, sizeof b, "0x%llx", (unsigned long long)v);
	return json_string(b);
}

static void new_tx(struct mtx *t)
{
	memset(t, 0, sizeof *t);
	rnd_bytes(t->hash, 32);
	t->from = below(NACCT);
	t->to = below(NACCT);
	t->value = below(4) ? rnd() % 1000000000000ull : 0;
	t->big = below(10) == 0 && t->value;
	t->fail = below(12) == 0;
	t->gas_price = 10 + rnd() % 50;
	t->gas_used = 21000 + rnd() % 50000;
	t->token = below(3) == 0 ? below(NTOKEN) : -1;
	t->tto = below(NACCT);
	t->tamount = 1 + rnd() % 1000000;
	t->ito = below(5) == 0 ? below(NACCT) : -1;
	t->ivalue = 1 + rnd() % 1000;
	t->router = below(4) == 0 ? 1 + below(3) : 0;
	rnd_bytes(t->in_hash, 32);
}

/* The ABI data of a router event: head words, then the memo string. */
static void router_data(const struct mtx *t, char *out, size_t cap)
{
	char memo[80];
	if (t->router == 1) snprintf(memo, sizeof memo, "=:BTC.BTC:bc1qexample:0/1/0");
	else if (t->router == 3) snprintf(memo, sizeof memo, "OUT:NOTAHASH");
	else {
		size_t n = tl_memo_format_out(false, t->in_hash, memo);
		memo[n] = 0;
	}
	size_t ml = strlen(memo), k = 0;
	char to[43];
	acct_addr(t->tto, to);
	k += (size_t)snprintf(out + k, cap - k, "0x");
	if (t->router != 1) k += (size_t)snprintf(out + k, cap - k, "%064x", 0); /* asset: ether */
	k += (size_t)snprintf(out + k, cap - k, "%064llx", (unsigned long long)t->tamount);
	k += (size_t)snprintf(out + k, cap - k, "%064x%064zx", t->router == 1 ? 0x40 : 0x60, ml);
	for (size_t i = 0; i < (ml + 31) / 32 * 32; i++) k += (size_t)snprintf(out + k, cap - k, "%02x", i < ml ? (unsigned char)memo[i] : 0);
}

/* Appends a block to the chain: transactions from pool (re-mined) first,
 * then new ones. */
static void mine(struct mtx *pool, int *npool)
{
	int h = ++N.height;
	assert_true(h < MAXB);
	struct mblock *b = &N.b[h];
	memset(b, 0, sizeof *b);
	rnd_bytes(b->hash, 32);
	if (h) memcpy(b->parent, N.b[h - 1].hash, 32);
	b->miner = below(NACCT);
	int take = *npool ? below(*npool + 1) : 0, fresh = below(4);
	b->txs = calloc((size_t)(take + fresh) + 1, sizeof *b->txs);
	for (int i = 0; i < take; i++) {
		int k = below(*npool);
		b->txs[b->ntx++] = pool[k];
		pool[k] = pool[--*npool];
	}
	for (int i = 0; i < fresh; i++) new_tx(&b->txs[b->ntx++]);
	b->withdrawal = below(4) == 0;
	b->wto = below(NACCT);
}

static void drop_top(struct mtx *pool, int *npool)
{
	struct mblock *b = &N.b[N.height--];
	for (int i = 0; i < b->ntx; i++)
		if (below(3)) pool[(*npool)++] = b->txs[i]; /* re-mined later; the rest dropped */
	free(b->txs);
	b->txs = NULL;
}

/* ---- the node's answers ---- */

static json_t *tx_json(const struct mblock *b, int n, int i)
{
	const struct mtx *t = &b->txs[i];
	char h[67], bh[67], f[43], to[43];
	hex(t->hash, 32, h);
	hex(b->hash, 32, bh);
	acct_addr(t->from, f);
	acct_addr(t->to, to);
	return json_pack("{s:s,s:s,s:o,s:o,s:s,s:s,s:o,s:o}", "hash", h, "blockHash", bh, "blockNumber", q((uint64_t)n),
			 "transactionIndex", q((uint64_t)i), "from", f, "to", to, "value", value_of(t->value, t->big), "gasPrice",
			 q(t->gas_price));
}

static json_t *block_json(int n, bool full)
{
	const struct mblock *b = &N.b[n];
	char h[67], p[67], m[43];
	hex(b->hash, 32, h);
	hex(b->parent, 32, p);
	acct_addr(b->miner, m);
	json_t *txs = json_array(), *w = json_array();
	for (int i = 0; i < b->ntx; i++) {
		if (full) json_array_append_new(txs, tx_json(b, n, i));
		else {
			char th[67];
			hex(b->txs[i].hash, 32, th);
			json_array_append_new(txs, json_string(th));
		}
	}
	if (b->withdrawal) {
		char a[43];
		acct_addr(b->wto, a);
		json_array_append_new(w, json_pack("{s:o,s:s,s:s,s:o}", "index", q((uint64_t)n), "validatorIndex", "0x1", "address", a,
						   "amount", q(32000000000ull + (uint64_t)n)));
	}
	return json_pack("{s:o,s:s,s:s,s:s,s:o,s:s,s:o,s:o}", "number", q((uint64_t)n), "hash", h, "parentHash", p, "miner", m,
			 "timestamp", q(1700000000ull + (uint64_t)n * 12), "baseFeePerGas", "0x7", "transactions", txs,
			 "withdrawals", w);
}

static json_t *receipts_json(int n)
{
	const struct mblock *b = &N.b[n];
	char bh[67];
	hex(b->hash, 32, bh);
	json_t *a = json_array();
	uint32_t li = 0;
	for (int i = 0; i < b->ntx; i++) {
		const struct mtx *t = &b->txs[i];
		char h[67];
		hex(t->hash, 32, h);
		json_t *logs = json_array();
		if (t->token >= 0 && !t->fail) {
			char ta[43], f[43], to[43], data[67], tf[67], tt[67];
			token_addr(t->token, ta);
			acct_addr(t->from, f);
			acct_addr(t->tto, to);
			snprintf(data, sizeof data, "0x%064llx", (unsigned long long)t->tamount);
			snprintf(tf, sizeof tf, "0x000000000000000000000000%s", f + 2);
			snprintf(tt, sizeof tt, "0x000000000000000000000000%s", to + 2);
			json_array_append_new(
				logs, json_pack("{s:o,s:s,s:o,s:o,s:s,s:s,s:s,s:[s,s,s]}", "logIndex", q(li++), "transactionHash", h,
						"transactionIndex", q((uint64_t)i), "blockNumber", q((uint64_t)n), "blockHash", bh,
						"address", ta, "data", data, "topics",
						"0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef", tf, tt));
		}
		if (t->router && !t->fail) {
			char data[1024], ra[43], v[43], to[43], tv[67], tt[67];
			uint8_t topic[2][32];
			tl_router_topics(topic[0], topic[1]);
			char t0[67];
			hex(topic[t->router == 1 ? 0 : 1], 32, t0);
			router_data(t, data, sizeof data);
			token_addr(9, ra); /* the router contract */
			acct_addr(t->to, v); /* the vault */
			acct_addr(t->tto, to);
			snprintf(tv, sizeof tv, "0x000000000000000000000000%s", v + 2);
			snprintf(tt, sizeof tt, "0x000000000000000000000000%s", t->router == 1 ? "0000000000000000000000000000000000000000" : to + 2);
			json_array_append_new(logs, json_pack("{s:o,s:s,s:o,s:o,s:s,s:s,s:s,s:[s,s,s]}", "logIndex", q(li++),
							      "transactionHash", h, "transactionIndex", q((uint64_t)i), "blockNumber",
							      q((uint64_t)n), "blockHash", bh, "address", ra, "data", data, "topics", t0,
							      tv, tt));
		}
		json_array_append_new(a, json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o}", "transactionHash", h, "blockHash", bh,
						   "blockNumber", q((uint64_t)n), "transactionIndex", q((uint64_t)i), "gasUsed",
						   q(t->gas_used), "effectiveGasPrice", q(t->gas_price), "status",
						   q(t->fail ? 0 : 1), "logs", logs));
	}
	return a;
}

static json_t *traces_json(int n)
{
	const struct mblock *b = &N.b[n];
	char bh[67];
	hex(b->hash, 32, bh);
	json_t *a = json_array();
	for (int i = 0; i < b->ntx; i++) {
		const struct mtx *t = &b->txs[i];
		char f[43], to[43];
		acct_addr(t->from, f);
		acct_addr(t->to, to);
		json_t *c = json_pack("{s:s,s:{s:s,s:s,s:s,s:o},s:{},s:I,s:s,s:I,s:[]}", "type", "call", "action", "callType", "call",
				      "from", f, "to", to, "value", value_of(t->value, t->big), "result", "blockNumber",
				      (json_int_t)n, "blockHash", bh, "transactionPosition", (json_int_t)i, "traceAddress");
		if (t->fail) json_object_set_new(c, "error", json_string("Reverted"));
		json_array_append_new(a, c);
		if (t->ito >= 0) {
			char io[43];
			acct_addr(t->ito, io);
			json_t *s = json_pack("{s:s,s:{s:s,s:s,s:s,s:o},s:{},s:I,s:s,s:I,s:[i]}", "type", "call", "action", "callType",
					      "call", "from", to, "to", io, "value", q(t->ivalue), "result", "blockNumber",
					      (json_int_t)n, "blockHash", bh, "transactionPosition", (json_int_t)i, "traceAddress", 0);
			json_array_append_new(a, s);
		}
	}
	char m[43];
	acct_addr(b->miner, m);
	json_array_append_new(a, json_pack("{s:s,s:{s:s,s:s,s:s},s:I,s:s,s:[]}", "type", "reward", "action", "author", m, "value",
					   "0x1bc16d674ec80000", "rewardType", "block", "blockNumber", (json_int_t)n, "blockHash",
					   bh, "traceAddress"));
	return a;
}

static json_t *err_obj(json_t *id, long code, const char *msg)
{
	return json_pack("{s:s,s:O,s:{s:I,s:s}}", "jsonrpc", "2.0", "id", id, "error", "code", (json_int_t)code, "message", msg);
}

static int block_of_qty(const json_t *v)
{
	const char *s = json_string_value(v);
	if (!s || strncmp(s, "0x", 2)) return -1;
	unsigned long long n = strtoull(s + 2, NULL, 16);
	return n <= (unsigned long long)N.height ? (int)n : -1;
}

static int block_of_hash(const json_t *v)
{
	const char *s = json_string_value(v);
	for (int i = 0; s && i <= N.height; i++) {
		char h[67];
		hex(N.b[i].hash, 32, h);
		if (!strcmp(h, s)) return i;
	}
	return -1;
}

static json_t *answer(json_t *call)
{
	json_t *id = json_object_get(call, "id"), *params = json_object_get(call, "params");
	const char *m = json_string_value(json_object_get(call, "method"));
	json_t *r = NULL;
	if (!m) return err_obj(id, -32600, "invalid request");
	if (!strcmp(m, "eth_blockNumber")) r = q((uint64_t)(N.height < 0 ? 0 : N.height));
	else if (!strcmp(m, "eth_getBlockByNumber")) {
		int n = block_of_qty(json_array_get(params, 0));
		r = n >= 0 ? block_json(n, json_is_true(json_array_get(params, 1))) : json_null();
	} else if (!strcmp(m, "eth_getBlockReceipts")) {
		int n = block_of_hash(json_array_get(params, 0));
		r = n >= 0 ? receipts_json(n) : json_null();
	} else if (!strcmp(m, "trace_block")) {
		int n = block_of_qty(json_array_get(params, 0));
		if (n < 0) return err_obj(id, -32000, "block not found");
		r = traces_json(n);
	} else {
		char msg[128];
		snprintf(msg, sizeof msg, "the method %s does not exist/is not available", m);
		return err_obj(id, -32601, msg);
	}
	return json_pack("{s:s,s:O,s:o}", "jsonrpc", "2.0", "id", id, "result", r);
}

static void on_req(struct evhttp_request *req, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&N.mu);
	struct evbuffer *in = evhttp_request_get_input_buffer(req), *out = evbuffer_new();
	size_t len = evbuffer_get_length(in);
	char *body = malloc(len + 1);
	evbuffer_remove(in, body, len);
	json_t *qq = json_loadb(body, len, 0, NULL), *a;
	free(body);
	if (json_is_array(qq)) {
		a = json_array();
		size_t i;
		json_t *c;
		json_array_foreach(qq, i, c) json_array_append_new(a, answer(c));
	} else
		a = qq ? answer(qq) : err_obj(json_null(), -32700, "parse error");
	json_decref(qq);
	char *t = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	evbuffer_add(out, t, strlen(t));
	free(t);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
	evhttp_send_reply(req, 200, "OK", out);
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
	N.height = -1;
	pthread_mutex_init(&N.mu, NULL);
	evthread_use_pthreads();
	N.base = event_base_new();
	N.http = evhttp_new(N.base);
	evhttp_set_gencb(N.http, on_req, NULL);
	struct evhttp_bound_socket *h = evhttp_bind_socket_with_handle(N.http, "127.0.0.1", 0);
	assert_non_null(h);
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	assert_int_equal(getsockname(evhttp_bound_socket_get_fd(h), (struct sockaddr *)&sa, &sl), 0);
	N.port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&N.th, NULL, serve, NULL), 0);
}

static void node_reset(void)
{
	pthread_mutex_lock(&N.mu);
	for (int i = 0; i <= N.height; i++) free(N.b[i].txs);
	N.height = -1;
	pthread_mutex_unlock(&N.mu);
}

static void node_stop(void)
{
	node_reset();
	event_base_loopbreak(N.base);
	pthread_join(N.th, NULL);
	evhttp_free(N.http);
	event_base_free(N.base);
	pthread_mutex_destroy(&N.mu);
}

/* ---- the runs ---- */

static uint64_t g_seed;
static char g_dir[4096];

#define FAIL(...)                                                                                                      \
	do {                                                                                                           \
		fprintf(stderr, "seed %llu (replay with TL_ETH_REORG_SEED=%llu): ", (unsigned long long)g_seed,       \
			(unsigned long long)g_seed);                                                                   \
		fail_msg(__VA_ARGS__);                                                                                 \
	} while (0)

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	char *out = NULL;
	int rc = tu_run(cmd, &out);
	if (rc != 0 && getenv("TL_ETH_REORG_VERBOSE")) fprintf(stderr, "%s: exit %d\n%s\n", cmd, rc, out ? out : "");
	free(out);
	return rc;
}

static int index_to(const char *db, int until)
{
	return run("%s index --chain ethereum --rpc http://127.0.0.1:%u/ --db %s --until %d --undo-depth %d --retries 0 -q 2>&1",
		   TL_BINARY, N.port, db, until, UNDO);
}

/* One import: a tag file or a heist registry of one entry, applied to
 * the followed database when made; every fresh database gets all of
 * them in one tag file and one registry (tags of category "thief" stop
 * nothing, so screening does not depend on their order). */
struct imp {
	char path[4200];
	char line[400]; /* the tag row or the heist object */
	bool heist;
};

static void make_import(struct imp *im, int k)
{
	im->heist = below(2);
	snprintf(im->path, sizeof im->path, "%s/import%d.%s", g_dir, k, im->heist ? "json" : "csv");
	char a[43];
	acct_addr(below(NACCT), a);
	if (!im->heist) {
		snprintf(im->line, sizeof im->line, "ethereum,%s,suspect %d,thief,test,50", a, k);
	} else {
		/* an address seed, or a transaction of the chain (which a reorg may drop) */
		char seed[200];
		if (below(2) && N.height >= 0 && N.b[N.height].ntx) {
			char h[67];
			hex(N.b[N.height].txs[0].hash, 32, h);
			snprintf(seed, sizeof seed, "{\"txid\":\"%s\"}", h);
		} else
			snprintf(seed, sizeof seed, "{\"address\":\"%s\",\"from\":%d}", a, below(3));
		snprintf(im->line, sizeof im->line, "{\"id\":\"h%d\",\"name\":\"heist %d\",\"chain\":\"ethereum\",\"seeds\":[%s]}", k, k,
			 seed);
	}
}

static void write_imports(const char *path, const struct imp *imps, int n, bool heists)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, heists ? "{\"heists\":[" : "chain,address,label,category,source,confidence\n");
	bool first = true;
	for (int i = 0; i < n; i++)
		if (imps[i].heist == heists) {
			fprintf(f, heists ? "%s%s" : "%s%s\n", heists && !first ? "," : "", imps[i].line);
			first = false;
		}
	if (heists) fprintf(f, "]}\n");
	fclose(f);
}

static void import_file(const char *db, const char *path, bool heist)
{
	int rc = run("%s %s import --db %s %s 2>&1", TL_BINARY, heist ? "heist" : "tags", db, path);
	if (rc != 0) FAIL("%s import of %s into %s: exit %d", heist ? "heist" : "tags", path, db, rc);
}

static void digest(const char *db, uint8_t out[32])
{
	struct tl_eth_store *s;
	struct tl_err err;
	struct tl_eth_store_opts so = { .read_only = true };
	if (tl_eth_store_open(db, &so, &s, &err) < 0) FAIL("%s", err.msg);
	if (tl_eth_store_digest(s, out, NULL, &err) < 0) FAIL("%s", err.msg);
	tl_eth_store_close(s);
}

static void node_opts(struct tl_eth_node_opts *o, char *url, size_t cap)
{
	snprintf(url, cap, "http://127.0.0.1:%u/", N.port);
	memset(o, 0, sizeof *o);
	o->url = url;
	o->until = N.height;
	o->timeout = 10;
	o->undo_depth = UNDO;
}

/* The followed database must equal a fresh index of the node's chain
 * with the same imports. */
static void check(const char *db, const struct imp *imps, int nimp, const char *when)
{
	char fresh[4200], path[4300], url[64];
	uint8_t a[32], b[32];
	snprintf(fresh, sizeof fresh, "%s/fresh", g_dir);
	tu_rmrf(fresh);
	struct tl_eth_store *s;
	struct tl_err err;
	struct tl_eth_store_opts so = { .create = true, .net = tl_eth_net_by_name("mainnet") };
	if (tl_eth_store_open(fresh, &so, &s, &err) < 0) FAIL("%s", err.msg);
	struct tl_eth_node_opts o;
	node_opts(&o, url, sizeof url);
	struct tl_eth_node_result r;
	if (tl_eth_node_index(s, &o, &r, &err) < 0) FAIL("fresh index: %s", err.msg);
	tl_eth_store_close(s);
	for (int h = 0; h < 2; h++) {
		int n = 0;
		for (int i = 0; i < nimp; i++) n += imps[i].heist == h;
		if (!n) continue;
		snprintf(path, sizeof path, "%s/all.%s", g_dir, h ? "json" : "csv");
		write_imports(path, imps, nimp, h);
		import_file(fresh, path, h);
	}
	digest(db, a);
	digest(fresh, b);
	if (memcmp(a, b, 32)) FAIL("%s: the followed database differs from a fresh index at height %d", when, N.height);
}

/* Runs the follower in a child process that kills itself (SIGKILL) after
 * kill_after blocks rolled back. */
static int g_kill_after, g_rolled;
static void kill_me(void *ctx, uint64_t h)
{
	(void)ctx;
	(void)h;
	if (++g_rolled == g_kill_after) raise(SIGKILL);
}

static void follow_killed(const char *db, int kill_after)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct tl_eth_store *s;
		struct tl_err err;
		struct tl_eth_store_opts so = { .net = NULL };
		if (tl_eth_store_open(db, &so, &s, &err) < 0) _exit(3);
		char url[64];
		struct tl_eth_node_opts o;
		node_opts(&o, url, sizeof url);
		o.rolled_back = kill_me;
		g_kill_after = kill_after;
		g_rolled = 0;
		struct tl_eth_node_result r;
		int rc = tl_eth_node_index(s, &o, &r, &err);
		tl_eth_store_close(s);
		_exit(rc == 0 ? 0 : 4);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
		FAIL("the killed follower ended with status %d", st);
}

static void one_seed(uint64_t seed, int steps)
{
	g_seed = seed;
	rng = seed * 0x2545f4914f6cdd1dull + 1;
	char *dir = tu_tmpdir("eth_reorg");
	snprintf(g_dir, sizeof g_dir, "%s", dir);
	free(dir);
	char db[4200];
	snprintf(db, sizeof db, "%s/followed", g_dir);
	node_reset();
	static struct mtx pool[MAXB * 8];
	int npool = 0, nimp = 0, maxw = -1, n_reorg = 0, n_killed = 0; /* maxw: the highest block the followed database ever indexed */
	struct imp imps[16];
	pthread_mutex_lock(&N.mu);
	for (int i = 0, n = 3 + below(5); i < n; i++) mine(pool, &npool);
	pthread_mutex_unlock(&N.mu);
	/* the database exists from the first blocks on */
	if (index_to(db, N.height) != 0) FAIL("the first run failed");
	maxw = N.height;
	for (int step = 0; step < steps; step++) {
		/* imports before, between and after the blocks they concern */
		if (nimp < 16 && below(3) == 0) {
			make_import(&imps[nimp], nimp);
			write_imports(imps[nimp].path, &imps[nimp], 1, imps[nimp].heist);
			import_file(db, imps[nimp].path, imps[nimp].heist);
			nimp++;
		}
		/* undo rows exist above maxw - UNDO (rows below it were pruned when
		 * maxw was indexed), so a fork keeps at least that */
		int room = N.height - (maxw - UNDO); /* blocks that can be rolled back */
		if (room > N.height) room = N.height; /* keep block 0 */
		int depth = 0;
		pthread_mutex_lock(&N.mu);
		if (maxw >= 0 && room >= 1 && below(2)) {
			depth = 1 + below(room);
			for (int i = 0; i < depth; i++) drop_top(pool, &npool);
			int grow = depth - 1 + below(3);
			if (grow < 1) grow = 1; /* a strict prefix would look like a lagging node */
			for (int i = 0; i < grow; i++) mine(pool, &npool);
		} else {
			for (int i = 0, n = below(4); i < n; i++) mine(pool, &npool);
		}
		pthread_mutex_unlock(&N.mu);
		bool killed = depth > 0 && maxw >= 0 && below(3) == 0;
		n_reorg += depth > 0;
		n_killed += killed;
		if (killed) follow_killed(db, 1 + below(depth));
		if (index_to(db, N.height) != 0) FAIL("step %d: following the node failed", step);
		if (N.height > maxw) maxw = N.height;
		char when[96];
		snprintf(when, sizeof when, "step %d (reorg depth %d%s)", step, depth, killed ? ", killed during the rollback" : "");
		check(db, imps, nimp, when);
	}
	printf("seed %llu: %d steps, %d reorgs (%d killed during the rollback), %d imports, height %d\n",
	       (unsigned long long)seed, steps, n_reorg, n_killed, nimp, N.height);
	/* a reorg deeper than the undo data: refused, nothing rolled back */
	int deep = N.height - (maxw - UNDO) + 1;
	if (deep <= N.height) {
		uint8_t before[32], after[32];
		digest(db, before);
		pthread_mutex_lock(&N.mu);
		for (int i = 0; i < deep; i++) drop_top(pool, &npool);
		for (int i = 0; i < deep + 1; i++) mine(pool, &npool);
		pthread_mutex_unlock(&N.mu);
		if (index_to(db, N.height) == 0) FAIL("a reorg of depth %d (undo depth %d) was not refused", deep, UNDO);
		digest(db, after);
		if (memcmp(before, after, 32)) FAIL("the refused reorg changed the database");
	}
	tu_rmrf(g_dir);
}

static void test_reorgs(void **state)
{
	(void)state;
	node_start();
	const char *one = getenv("TL_ETH_REORG_SEED");
	bool lng = getenv("TL_ETH_REORG_LONG") != NULL;
	if (one) one_seed(strtoull(one, NULL, 10), lng ? 30 : 8);
	else
		for (uint64_t s = 1; s <= (lng ? 100u : 3u); s++) one_seed(s, lng ? 30 : 8);
	node_stop();
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_reorgs) };
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
