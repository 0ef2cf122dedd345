/* Watch alerts end to end: `taintline serve --rpc` follows a fake Core
 * node (tests/fakenode.h) publishing a simulated chain with heists block
 * by block, each block's transactions first in the mempool, an RBF
 * replacement (a transaction paying the watched heist is first seen
 * with another lock time, then replaced by the original), a restart of serve in the middle (blocks and mempool
 * transactions published while it is down) and at the end a reorg that
 * removes alerted transactions. A webhook receiver checks every
 * signature; it fails every request for an hour of the server's retry
 * clock (serve runs it 600 times faster than real time,
 * --alert-time-scale) and then accepts.
 *
 * The expected events are computed apart from the server, from a second
 * database indexing the simulated chain directly and screened the same
 * way: for a heist watch and an address watch, every output of the
 * published blocks (and of the replacement) whose exposure passes the
 * watch is a deposit (and, in a block, confirmed), every spent output
 * that passes is a movement, and every such output in a block the reorg
 * removed is a reorg. The test checks that exactly these were delivered,
 * each under one webhook-id only (retries reuse it), every body the same
 * under one id, and every signature valid. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <jansson.h>

#include "bitcoin/blkfile.h"
#include "bitcoin/block.h"
#include "bitcoin/hash.h"
#include "live/index_rpc.h"
#include "live/rpc.h"
#include "live/webhook.h"
#include "tests/chainfix.h"
#include "tests/fakenode.h"
#include "tests/httpc.h"
#include "tests/testutil.h"
#include "tracer/screen.h"

#define H0 124   /* the node's tip when serve starts (the heists' seeds are below) */
#define LAST 140 /* the last block of the simulated chain published */
#define FORK 137 /* the reorg keeps blocks up to here */
#define DOWN_AT 133 /* published while serve is down */
#define FAIL_AT 131 /* the receiver fails from here */
#define NW 2

static const struct tl_netparams *regtest(void)
{
	return tl_net_params(TL_NET_REGTEST);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------- the receiver ---------------- */

static struct {
	struct event_base *base;
	struct evhttp *http;
	pthread_t thread;
	uint16_t port;
	pthread_mutex_t lock;
	char secret[NW][TL_WEBHOOK_SECRET_MAX];
	int failing;
	int bad_sig, bad_body, bad_json, requests, refused;
	json_t *byid;   /* webhook-id -> {"body", "key", "ok"} */
	json_t *bykey;  /* "w<i>/<event key>" -> webhook-id */
	int id_conflicts;
	int mempool_deposits; /* deposits delivered with confirmations 0 */
} R;

/* The event key of a body: type/txid:vout (and /block for a reorg). */
static void key_of(json_t *body, char *out, size_t cap)
{
	json_t *d = json_object_get(body, "data");
	const char *type = json_string_value(json_object_get(body, "type"));
	const char *txid = json_string_value(json_object_get(d, "txid"));
	int vout = (int)json_integer_value(json_object_get(d, "vout"));
	const char *blk = json_string_value(json_object_get(d, "removed_from_block"));
	snprintf(out, cap, "%s/%s:%d%s%s", type ? type : "?", txid ? txid : "?", vout, blk ? "/" : "", blk ? blk : "");
}

static void handle(struct evhttp_request *req, void *arg)
{
	(void)arg;
	const char *uri = evhttp_request_get_uri(req);
	int which = !strcmp(uri, "/hook1") ? 1 : 0;
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char *id = evhttp_find_header(h, "webhook-id");
	const char *ts = evhttp_find_header(h, "webhook-timestamp");
	const char *sig = evhttp_find_header(h, "webhook-signature");
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	char *body = malloc(len + 1);
	evbuffer_remove(in, body, len);
	body[len] = 0;
	pthread_mutex_lock(&R.lock);
	R.requests++;
	char want[TL_WEBHOOK_SIG_LEN];
	struct tl_err err;
	if (!id || !ts || !sig ||
	    tl_webhook_sign(R.secret[which], id, strtoll(ts, NULL, 10), (const uint8_t *)body, len, want, &err) < 0 ||
	    strcmp(want, sig))
		R.bad_sig++;
	int fail = R.failing;
	if (fail) R.refused++;
	json_t *bj = json_loads(body, 0, NULL);
	if (!bj) R.bad_json++;
	if (id && bj) {
		char k[300], wk[320];
		key_of(bj, k, sizeof k);
		snprintf(wk, sizeof wk, "w%d/%s", which, k);
		json_t *e = json_object_get(R.byid, id);
		if (!e) {
			e = json_pack("{s:s,s:s,s:b}", "body", body, "key", wk, "ok", 0);
			json_object_set_new(R.byid, id, e);
		} else if (strcmp(json_string_value(json_object_get(e, "body")), body)) {
			R.bad_body++; /* one id, one body */
		}
		const char *prev = json_string_value(json_object_get(R.bykey, wk));
		if (prev && strcmp(prev, id)) R.id_conflicts++; /* one event, two ids */
		if (!prev) json_object_set_new(R.bykey, wk, json_string(id));
		if (!fail) {
			if (!json_is_true(json_object_get(e, "ok")) &&
			    !strcmp(json_string_value(json_object_get(bj, "type")), "deposit") &&
			    json_integer_value(json_object_get(json_object_get(bj, "data"), "confirmations")) == 0)
				R.mempool_deposits++;
			json_object_set_new(e, "ok", json_true());
		}
	}
	json_decref(bj);
	pthread_mutex_unlock(&R.lock);
	free(body);
	evhttp_send_reply(req, fail ? 503 : 204, fail ? "Unavailable" : "No Content", NULL);
}

static void *loop_main(void *arg)
{
	(void)arg;
	event_base_dispatch(R.base);
	return NULL;
}

static void receiver_start(void)
{
	assert_int_equal(evthread_use_pthreads(), 0);
	pthread_mutex_init(&R.lock, NULL);
	R.byid = json_object();
	R.bykey = json_object();
	R.base = event_base_new();
	R.http = evhttp_new(R.base);
	evhttp_set_gencb(R.http, handle, NULL);
	struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(R.http, "127.0.0.1", 0);
	assert_non_null(bs);
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sa, &sl);
	R.port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&R.thread, NULL, loop_main, NULL), 0);
}

static void receiver_stop(void)
{
	event_base_loopbreak(R.base);
	pthread_join(R.thread, NULL);
	evhttp_free(R.http);
	event_base_free(R.base);
	json_decref(R.byid);
	json_decref(R.bykey);
}

/* Whether the receiver accepted an event of watch w with key k. */
static int received(int w, const char *k)
{
	char wk[320];
	snprintf(wk, sizeof wk, "w%d/%s", w, k);
	pthread_mutex_lock(&R.lock);
	const char *id = json_string_value(json_object_get(R.bykey, wk));
	int ok = id && json_is_true(json_object_get(json_object_get(R.byid, id), "ok"));
	pthread_mutex_unlock(&R.lock);
	return ok;
}

/* ---------------- the chain ---------------- */

struct blk {
	uint8_t *raw;
	size_t cap;
	struct tl_block b;
	char hash[65];
};

static void read_block(struct tl_blkdir *d, int32_t h, struct blk *out)
{
	struct tl_err err;
	const struct tl_chain_entry *e = tl_blkdir_chain_at(d, (uint32_t)h);
	assert_non_null(e);
	out->raw = NULL;
	out->cap = 0;
	if (tl_blkdir_read(d, &e->loc, &out->raw, &out->cap, &err) < 0) fail_msg("%s", err.msg);
	tl_block_init(&out->b);
	if (tl_block_parse(&out->b, out->raw, e->loc.size, &err) < 0) fail_msg("%s", err.msg);
	tl_hash_to_hex(out->b.hdr.hash, out->hash);
}

static void free_block(struct blk *k)
{
	tl_block_free(&k->b);
	free(k->raw);
}

/* An output as the independent screening sees it. */
struct cand {
	char txid[65];
	uint32_t vout;
	char address[TL_ADDRESS_MAX];
	uint64_t value;
	json_t *exp; /* heist -> amount */
};

/* The verdict of a confirmed output in the reference database. */
static int ref_output(struct tl_screen *sc, const uint8_t txid[32], uint32_t vout, struct cand *c)
{
	struct tl_err err;
	json_t *v = tl_screen_outpoint(sc, txid, vout, &err);
	if (!v) fail_msg("reference screening: %s", err.msg);
	json_t *subj = json_object_get(v, "subject");
	tl_hash_to_hex(txid, c->txid);
	c->vout = vout;
	snprintf(c->address, sizeof c->address, "%s", json_string_value(json_object_get(subj, "address")) ?: "");
	c->value = (uint64_t)json_integer_value(json_object_get(subj, "value_sat"));
	c->exp = json_object();
	json_t *x;
	size_t i;
	json_array_foreach(json_object_get(v, "exposures"), i, x)
		json_object_set(c->exp, json_string_value(json_object_get(x, "heist")), json_object_get(x, "amount_sat"));
	json_decref(v);
	return json_object_size(c->exp) > 0;
}

struct watchdef {
	const char *heist;   /* or */
	char address[TL_ADDRESS_MAX];
	double min_share;    /* address watch */
	uint64_t id;
};

/* The rule of docs/live.md, written out again: a heist watch passes on
 * that heist's amount, an address watch on its address and the sum. */
static int passes(const struct watchdef *w, const struct cand *c)
{
	if (w->heist) return json_integer_value(json_object_get(c->exp, w->heist)) > 0;
	if (strcmp(w->address, c->address)) return 0;
	uint64_t sum = 0;
	const char *k;
	json_t *v;
	json_object_foreach(c->exp, k, v) sum += (uint64_t)json_integer_value(v);
	return sum > 0 && c->value && (double)sum / (double)c->value >= w->min_share;
}

/* Candidates with the height of the block they belong to (-1: none). */
struct clist {
	struct cand *v;
	int32_t *h;
	size_t n;
};

static void cl_add(struct clist *l, const struct cand *c, int32_t h)
{
	l->v = realloc(l->v, (l->n + 1) * sizeof *l->v);
	l->h = realloc(l->h, (l->n + 1) * sizeof *l->h);
	assert_non_null(l->v);
	assert_non_null(l->h);
	l->v[l->n] = *c;
	l->h[l->n++] = h;
}

static void cl_free(struct clist *l)
{
	for (size_t i = 0; i < l->n; i++) json_decref(l->v[i].exp);
	free(l->v);
	free(l->h);
}

/* The unconfirmed taint of one output, by the rule of docs/live.md
 * written out again: per heist, the taint T entering the transaction
 * (inputs at endpoints and category sources pass nothing) spread as
 * floor(T * value / max(inputs' value, outputs' value)), amounts under
 * 1000 sat dropped. */
#define NAIVE_MAX 16
#define NAIVE_MIN_SAT 1000
struct nout {
	uint64_t value;
	int n;
	struct tl_screen_exp e[NAIVE_MAX];
};

/* The naive exposures of every output of block k's transactions as they
 * wait in the mempool, judged on the reference's state before the block
 * (rs, sc): confirmed inputs from its screening index, inputs of earlier
 * transactions of the block from this computation. out[i] gets
 * transaction i's outputs (malloc'd; out[0], the coinbase, none). */
static void naive_block(struct tl_store *rs, struct tl_screen *sc, const struct tl_block *b, struct nout **out)
{
	struct tl_err err;
	for (uint32_t i = 0; i < b->n_tx; i++) out[i] = calloc(b->tx[i].n_out ? b->tx[i].n_out : 1, sizeof **out);
	for (uint32_t i = 1; i < b->n_tx; i++) {
		const struct tl_tx *t = &b->tx[i];
		struct {
			uint32_t heist;
			unsigned __int128 amount;
			uint32_t hops;
		} acc[NAIVE_MAX];
		int na = 0;
		unsigned __int128 vin = 0, vout = 0;
		for (uint32_t q = 0; q < t->n_in; q++) {
			struct tl_screen_exp tmp[NAIVE_MAX];
			const struct tl_screen_exp *x = tmp;
			int n = 0;
			uint64_t value = 0;
			uint32_t j = 0;
			for (j = 1; j < i; j++)
				if (!memcmp(b->tx[j].txid, t->in[q].prev_txid, 32)) break;
			if (j < i) { /* an unconfirmed parent */
				assert_true(t->in[q].prev_vout < b->tx[j].n_out);
				value = out[j][t->in[q].prev_vout].value;
				x = out[j][t->in[q].prev_vout].e;
				n = out[j][t->in[q].prev_vout].n;
			} else {
				struct tl_tx_rec r;
				if (tl_store_tx_by_txid(rs, t->in[q].prev_txid, &r, &err) != 1)
					fail_msg("the reference lacks an input of block %u's transaction %u", b->n_tx, i);
				assert_true(t->in[q].prev_vout < r.n_out);
				value = r.out[t->in[q].prev_vout].value;
				n = tl_screen_lookup_outref(sc, r.tx_num, t->in[q].prev_vout, tmp, NAIVE_MAX, &err);
				tl_tx_rec_free(&r);
				if (n < 0) fail_msg("reference lookup: %s", err.msg);
			}
			vin += value;
			for (int k = 0; k < n; k++) {
				if ((x[k].flags & 1) || x[k].heist_num >= TL_SCREEN_CAT_BASE) continue;
				int a;
				for (a = 0; a < na && acc[a].heist != x[k].heist_num; a++)
					;
				if (a == na) {
					assert_true(na < NAIVE_MAX);
					acc[na].heist = x[k].heist_num;
					acc[na].amount = 0;
					acc[na++].hops = 0;
				}
				acc[a].amount += x[k].amount;
				if (x[k].hops > acc[a].hops) acc[a].hops = x[k].hops;
			}
		}
		for (uint32_t o = 0; o < t->n_out; o++) vout += t->out[o].value;
		unsigned __int128 den = vin > vout ? vin : vout;
		for (uint32_t o = 0; o < t->n_out; o++) {
			struct nout *no = &out[i][o];
			no->value = t->out[o].value;
			for (int a = 0; a < na && den; a++) {
				uint64_t amt = (uint64_t)(acc[a].amount * t->out[o].value / den);
				if (amt < NAIVE_MIN_SAT) continue;
				no->e[no->n++] = (struct tl_screen_exp){ .heist_num = acc[a].heist, .amount = amt,
									 .hops = acc[a].hops + 1, .value = no->value };
			}
		}
	}
}

/* A candidate from naive exposures (the heists named by the reference's
 * verdict). Returns whether it has any. */
static int naive_cand(struct tl_screen *sc, const uint8_t txid[32], uint32_t vout, const struct tl_txout *o,
		      const struct nout *no, struct cand *c)
{
	memset(c, 0, sizeof *c);
	tl_hash_to_hex(txid, c->txid);
	c->vout = vout;
	if (tl_address_from_script(o->script, o->script_len, regtest(), c->address) < 0) c->address[0] = 0;
	c->value = o->value;
	c->exp = json_object();
	json_t *v = tl_screen_verdict(sc, json_pack("{s:s}", "kind", "outpoint"), no->e, no->n);
	json_t *x;
	size_t i;
	json_array_foreach(json_object_get(v, "exposures"), i, x)
		json_object_set(c->exp, json_string_value(json_object_get(x, "heist")), json_object_get(x, "amount_sat"));
	json_decref(v);
	return json_object_size(c->exp) > 0;
}

/* ---------------- serve ---------------- */

struct srv {
	pid_t pid;
	uint16_t port;
	char listen[64], log[4300];
};

static void serve_start(struct srv *s, struct fakenode *n, const char *db, const char *blocks)
{
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		FILE *lf = freopen(s->log, "a", stderr);
		(void)lf;
		/* Never outlive the test, nor hold its output open: a server left
		 * behind by a failed assertion would keep ctest waiting. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		lf = freopen("/dev/null", "w", stdout);
		execl(TL_BINARY, TL_BINARY, "serve", "--rpc", fn_url(n), "--rpc-cookie", fn_cookie(n), "--zmq", fn_zmq(n),
		      "--db", db, "--blocks-dir", blocks, "--network", "regtest", "--listen", s->listen, "--poll-ms", "300",
		      "--alert-time-scale", "600", (char *)NULL);
		_exit(127);
	}
}

static void serve_stop(struct srv *s)
{
	assert_int_equal(kill(s->pid, SIGTERM), 0);
	int st;
	assert_int_equal(waitpid(s->pid, &st, 0), s->pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		char *log = NULL, cmd[4400];
		snprintf(cmd, sizeof cmd, "cat '%s'", s->log);
		tu_run(cmd, &log);
		fail_msg("serve --rpc ended with status %d: %s", st, log ? log : "");
	}
}

static json_t *get_json(uint16_t port, const char *path, int *status)
{
	struct resp rs;
	*status = 0;
	if (http_do(port, "GET", path, NULL, NULL, 0, &rs) < 0) return NULL;
	*status = rs.status;
	json_t *j = rs.status == 200 ? resp_json(&rs) : NULL;
	resp_free(&rs);
	return j;
}

/* Waits (bounded) until serve serves the node's tip and its alerts have
 * scanned up to it. */
static void wait_served(struct srv *s, struct fakenode *n)
{
	uint8_t want[32];
	fn_hash_at(n, fn_height(n), want);
	char hex[65];
	tl_hash_to_hex(want, hex);
	for (int i = 0; i < 1200; i++) {
		struct resp rs;
		int tip_ok = http_do(s->port, "GET", "/api/blocks/tip/hash", NULL, NULL, 0, &rs) == 0 && rs.status == 200 &&
			     rs.blen == 64 && !memcmp(rs.body, hex, 64);
		if (tip_ok || rs.status) resp_free(&rs);
		if (tip_ok) {
			int st;
			json_t *h = get_json(s->port, "/healthz", &st);
			int at = h && json_integer_value(json_object_get(json_object_get(h, "alerts"), "height")) ==
					      fn_height(n);
			json_decref(h);
			if (at) return;
		}
		if (i % 5 == 4) fn_republish(n);
		sleep_ms(100);
	}
	int st, gone = waitpid(s->pid, &st, WNOHANG) == s->pid;
	json_t *h = get_json(s->port, "/healthz", &st);
	char *t = h ? json_dumps(h, JSON_COMPACT) : NULL;
	fail_msg("serve did not reach the node's tip %s (height %d) with its alerts: %s; /healthz %s", hex, fn_height(n),
		 gone ? "serve has ended" : "serve runs", t ? t : "no answer");
}

/* Waits until serve's mempool screens txid (bounded). */
static void wait_unconfirmed(struct srv *s, const uint8_t txid[32])
{
	char hex[65], path[128];
	tl_hash_to_hex(txid, hex);
	snprintf(path, sizeof path, "/v1/screen?txid=%s", hex);
	for (int i = 0; i < 600; i++) {
		int st;
		json_t *v = get_json(s->port, path, &st);
		int ok = v && json_integer_value(json_object_get(v, "confirmations")) == 0 &&
			 json_object_get(v, "confirmations");
		json_decref(v);
		if (ok) return;
		sleep_ms(50);
	}
	fail_msg("transaction %s never screened from the mempool", hex);
}

/* Waits (bounded) until serve's alerts have examined every mempool
 * transaction they were told of, none waiting for an input
 * (/healthz alerts.mempool_pending and mempool_unresolved). */
static void wait_examined(struct srv *s)
{
	json_t *a = NULL;
	for (int i = 0; i < 1200; i++) {
		int st;
		json_t *h = get_json(s->port, "/healthz", &st);
		a = json_incref(json_object_get(h, "alerts"));
		json_decref(h);
		json_t *p = json_object_get(a, "mempool_pending"), *u = json_object_get(a, "mempool_unresolved");
		if (p && u && !json_integer_value(p) && !json_integer_value(u)) {
			json_decref(a);
			return;
		}
		if (i < 1199) json_decref(a);
		sleep_ms(50);
	}
	char *t = a ? json_dumps(a, JSON_COMPACT) : NULL;
	fail_msg("serve's alerts did not examine the mempool: %s", t ? t : "no answer");
}

static uint64_t create_watch(uint16_t port, struct watchdef *w, int which, char secret[TL_WEBHOOK_SECRET_MAX])
{
	char url[128];
	snprintf(url, sizeof url, "http://127.0.0.1:%u/hook%d", R.port, which);
	json_t *b = w->heist ? json_pack("{s:s,s:I,s:s,s:[ssss]}", "heist", w->heist, "min_amount_sat", (json_int_t)1, "url",
					 url, "events", "deposit", "confirmed", "movement", "reorg")
			     : json_pack("{s:s,s:f,s:s,s:[ssss]}", "address", w->address, "min_share", w->min_share, "url",
					 url, "events", "deposit", "confirmed", "movement", "reorg");
	char *t = json_dumps(b, JSON_COMPACT);
	json_decref(b);
	struct resp rs;
	assert_int_equal(http_do(port, "POST", "/v1/watches", NULL, t, strlen(t), &rs), 0);
	free(t);
	if (rs.status != 201 && rs.status != 200) fail_msg("POST /v1/watches: HTTP %d %.*s", rs.status, (int)rs.blen, rs.body);
	json_t *j = resp_json(&rs);
	resp_free(&rs);
	snprintf(secret, TL_WEBHOOK_SECRET_MAX, "%s", json_string_value(json_object_get(j, "secret")));
	uint64_t id = (uint64_t)json_integer_value(json_object_get(j, "id"));
	if (!id) id = strtoull(json_string_value(json_object_get(j, "id")) ?: "0", NULL, 10);
	json_decref(j);
	return id;
}

/* Appends the blk record of a raw block to file. */
static void put_record(struct tl_buf *file, const uint8_t *raw, size_t len)
{
	tl_buf_put(file, regtest()->magic, 4);
	tl_buf_u32le(file, (uint32_t)len);
	tl_buf_put(file, raw, len);
}

static void test_alerts_end_to_end(void **state)
{
	(void)state;
	receiver_start();
	char *tmp = tu_tmpdir("live-alerts");
	char sim[4200], simblocks[4300], db[4200], blocks[4200], ref[4200], alt[4200];
	snprintf(sim, sizeof sim, "%s/sim", tmp);
	snprintf(simblocks, sizeof simblocks, "%s/blocks", sim);
	snprintf(db, sizeof db, "%s/db", tmp);
	snprintf(blocks, sizeof blocks, "%s/fetched", tmp);
	snprintf(ref, sizeof ref, "%s/ref", tmp);
	snprintf(alt, sizeof alt, "%s/alt", tmp);
	cf_sim(sim, 41, 150, 30, 0, true);
	struct fakenode *n = fn_start(tmp, regtest());
	fn_load_chain(n, simblocks);
	fn_set_height(n, H0);
	struct tl_err err;

	/* The served database: fetched from the node up to H0, labelled and
	 * screened there. */
	struct tl_rpc_opts ro = { .url = fn_url(n), .cookie_file = fn_cookie(n), .backoff_ms = 5 };
	struct tl_rpc *rpc;
	assert_int_equal(tl_rpc_open(&ro, &rpc, &err), 0);
	struct tl_index_opts io = cf_index_opts(blocks, db);
	struct tl_live_index_stats lst;
	if (tl_live_index(rpc, &io, 0, &lst, &err) < 0) fail_msg("%s", err.msg);
	tl_rpc_close(rpc);
	struct tl_store_opts wso = { .cache_mb = 16 };
	struct tl_store *ws = cf_store_open(db, &wso);
	cf_import_sim_labels(ws, sim);
	if (tl_screen_update(ws, NULL, &err) < 0) fail_msg("%s", err.msg);
	tl_store_close(ws);
	/* The reference: the same labels at H0, then the chain indexed and
	 * screened block by block, as the server meets it, so that each event
	 * is judged on what could be known when it is due (a later block can
	 * make an address an endpoint and end the taint it passed on). For
	 * each block h:
	 *   mo, ms: on the state before h, the naive unconfirmed taint of its
	 *     transactions' outputs and of the outputs they spend (deposits
	 *     and movements seen in the mempool);
	 *   bo, bs: on the state after h, the verdicts of its outputs and of
	 *     the outputs it spends (deposits, confirmations and movements
	 *     seen in the block; reorgs). */
	io = cf_index_opts(simblocks, ref);
	io.until = H0;
	cf_index_run(&io, NULL);
	ws = cf_store_open(ref, &wso);
	cf_import_sim_labels(ws, sim);
	if (tl_screen_update(ws, NULL, &err) < 0) fail_msg("%s", err.msg);
	struct tl_screen *sc;
	assert_int_equal(tl_screen_open(ws, NULL, &sc, &err), 0);

	struct tl_blkdir *d;
	if (tl_blkdir_open(simblocks, regtest(), &d, &err) < 0 || tl_blkdir_scan(d, NULL, &err) < 0)
		fail_msg("%s", err.msg);

	struct clist bo = { 0 }, bs = { 0 }, mo = { 0 }, ms = { 0 };
	for (int32_t h = H0 + 1; h <= LAST; h++) {
		struct blk k;
		read_block(d, h, &k);
		struct nout **nv = calloc(k.b.n_tx, sizeof *nv);
		assert_non_null(nv);
		naive_block(ws, sc, &k.b, nv);
		for (uint32_t i = 1; i < k.b.n_tx; i++) {
			const struct tl_tx *t = &k.b.tx[i];
			for (uint32_t o = 0; o < t->n_out; o++) {
				struct cand c;
				if (naive_cand(sc, t->txid, o, &t->out[o], &nv[i][o], &c)) cl_add(&mo, &c, h);
				else json_decref(c.exp);
			}
			for (uint32_t q = 0; q < t->n_in; q++) {
				uint32_t j, pv = t->in[q].prev_vout;
				for (j = 1; j < i; j++)
					if (!memcmp(k.b.tx[j].txid, t->in[q].prev_txid, 32)) break;
				struct cand c;
				int has = j < i ? naive_cand(sc, t->in[q].prev_txid, pv, &k.b.tx[j].out[pv], &nv[j][pv], &c)
						: ref_output(sc, t->in[q].prev_txid, pv, &c);
				if (has) cl_add(&ms, &c, h);
				else json_decref(c.exp);
			}
		}
		for (uint32_t i = 0; i < k.b.n_tx; i++) free(nv[i]);
		free(nv);

		tl_screen_close(sc);
		tl_store_close(ws);
		io.until = h;
		cf_index_run(&io, NULL);
		ws = cf_store_open(ref, &wso);
		if (tl_screen_update(ws, NULL, &err) < 0) fail_msg("%s", err.msg);
		assert_int_equal(tl_screen_open(ws, NULL, &sc, &err), 0);
		for (uint32_t i = 0; i < k.b.n_tx; i++) {
			for (uint32_t o = 0; o < k.b.tx[i].n_out; o++) {
				struct cand c;
				if (ref_output(sc, k.b.tx[i].txid, o, &c)) cl_add(&bo, &c, h);
				else json_decref(c.exp);
			}
			if (i == 0) continue;
			for (uint32_t q = 0; q < k.b.tx[i].n_in; q++) {
				struct cand c;
				if (ref_output(sc, k.b.tx[i].in[q].prev_txid, k.b.tx[i].in[q].prev_vout, &c)) cl_add(&bs, &c, h);
				else json_decref(c.exp);
			}
		}
		free_block(&k);
	}

	/* The heist with most tainted outputs, and the address with the
	 * largest share. */
	json_t *count = json_object();
	const char *hk;
	json_t *v;
	for (size_t i = 0; i < bo.n; i++)
		json_object_foreach(bo.v[i].exp, hk, v)
			json_object_set_new(count, hk, json_integer(json_integer_value(json_object_get(count, hk)) + 1));
	struct watchdef W[NW];
	memset(W, 0, sizeof W);
	json_int_t best = 0;
	json_object_foreach(count, hk, v) if (json_integer_value(v) > best)
	{
		best = json_integer_value(v);
		W[0].heist = hk;
	}
	assert_non_null(W[0].heist);
	double bshare = 0;
	for (size_t i = 0; i < bo.n; i++) {
		uint64_t sum = 0;
		json_object_foreach(bo.v[i].exp, hk, v) sum += (uint64_t)json_integer_value(v);
		double sh = bo.v[i].value ? (double)sum / (double)bo.v[i].value : 0;
		if (bo.v[i].address[0] && sh > bshare) {
			bshare = sh;
			snprintf(W[1].address, sizeof W[1].address, "%s", bo.v[i].address);
		}
	}
	assert_true(bshare > 0);
	W[1].min_share = bshare / 2;
	print_message("%zu tainted outputs, %zu tainted outputs spent (%zu and %zu unconfirmed); watching heist %s and %s "
		      "(share >= %.3f)\n",
		      bo.n, bs.n, mo.n, ms.n, W[0].heist, W[1].address, W[1].min_share);

	/* The replacement: a transaction of block RBF_AT that nothing in it
	 * spends and whose unconfirmed output pays the watched heist, with
	 * another lock time (a new txid, the same inputs and outputs). */
	struct blk rb;
	uint32_t victim = 0, victim_vout = 0;
	int32_t rbf_at = H0 + 1;
	for (; rbf_at < FAIL_AT && !victim; rbf_at++) {
		read_block(d, rbf_at, &rb);
		for (uint32_t i = rb.b.n_tx - 1; i >= 1 && !victim; i--) {
			int sp = 0, tainted = 0;
			for (uint32_t j = 1; j < rb.b.n_tx; j++)
				for (uint32_t q = 0; q < rb.b.tx[j].n_in; q++)
					if (!memcmp(rb.b.tx[j].in[q].prev_txid, rb.b.tx[i].txid, 32)) sp = 1;
			char hx[65];
			tl_hash_to_hex(rb.b.tx[i].txid, hx);
			for (size_t k = 0; k < mo.n && !tainted; k++)
				if (mo.h[k] == rbf_at && !strcmp(mo.v[k].txid, hx) && passes(&W[0], &mo.v[k])) {
					tainted = 1;
					victim_vout = mo.v[k].vout;
				}
			if (!sp && tainted) victim = i;
		}
		if (!victim) free_block(&rb);
	}
	rbf_at--;
	assert_true(victim > 0);
	size_t rlen = rb.b.tx[victim].size;
	uint8_t *rraw = malloc(rlen);
	memcpy(rraw, rb.b.tx[victim].raw, rlen);
	rraw[rlen - 4] ^= 0x01; /* the lock time (the last 4 bytes) */
	uint8_t rtxid[32];
	{
		struct cf_block tmpb = { 0 };
		cf_block_add_raw(&tmpb, rraw, rlen, rtxid);
		tl_buf_free(&tmpb.txs);
		free(tmpb.ids);
	}
	char rhex[65], vhex[65];
	tl_hash_to_hex(rtxid, rhex);
	tl_hash_to_hex(rb.b.tx[victim].txid, vhex);
	/* its outputs: the victim's unconfirmed ones (the same inputs on the
	 * same state), under the new txid, never in a block; it spends what
	 * the victim spends (the same movements) */
	size_t nbefore = mo.n;
	for (size_t k = 0; k < nbefore; k++)
		if (!strcmp(mo.v[k].txid, vhex)) {
			struct cand c = mo.v[k];
			c.exp = json_incref(mo.v[k].exp);
			memcpy(c.txid, rhex, 65);
			cl_add(&mo, &c, -1);
		}
	/* serve, and the watches */
	struct srv s = { 0 };
	s.port = tu_free_port();
	snprintf(s.listen, sizeof s.listen, "127.0.0.1:%u", s.port);
	snprintf(s.log, sizeof s.log, "%s/serve.log", tmp);
	serve_start(&s, n, db, blocks);
	wait_served(&s, n);
	for (int w = 0; w < NW; w++) W[w].id = create_watch(s.port, &W[w], w, R.secret[w]);

	/* Blocks H0+1..LAST, each one's transactions first in the mempool. */
	int64_t fail_from = 0;
	for (int32_t h = H0 + 1; h <= LAST; h++) {
		struct blk k;
		read_block(d, h, &k);
		int up = h != DOWN_AT;
		if (h == DOWN_AT) serve_stop(&s);
		if (h == FAIL_AT) {
			/* the receiver fails from here for an hour of serve's clock
			 * (600 times real time: 6 s) */
			pthread_mutex_lock(&R.lock);
			R.failing = 1;
			pthread_mutex_unlock(&R.lock);
			fail_from = now_ms();
		}
		for (uint32_t i = 1; i < k.b.n_tx; i++)
			if (h != rbf_at || i != victim) fn_mempool_add(n, k.b.tx[i].raw, k.b.tx[i].size, k.b.tx[i].txid);
		for (uint32_t i = 1; up && i < k.b.n_tx; i++)
			if (h != rbf_at || i != victim) wait_unconfirmed(&s, k.b.tx[i].txid);
		if (h == rbf_at) {
			fn_mempool_add(n, rraw, rlen, rtxid);
			wait_unconfirmed(&s, rtxid);
			/* the replacement's deposit is queued before it leaves */
			char key[200];
			int got = 0;
			snprintf(key, sizeof key, "deposit/%s:%u", rhex, victim_vout);
			for (int t = 0; t < 600 && !got; t++) {
				got = received(0, key);
				if (!got) sleep_ms(50);
			}
			if (!got) {
				int st;
				char path[128];
				json_t *hj = get_json(s.port, "/healthz", &st);
				snprintf(path, sizeof path, "/v1/watches/%llu/deliveries", (unsigned long long)W[0].id);
				json_t *dj = get_json(s.port, path, &st);
				char *a = json_dumps(hj, 0), *b = json_dumps(dj, 0);
				fail_msg("the replacement %s was not alerted: %s\n%.3000s", rhex, a ? a : "", b ? b : "");
			}
			fn_mempool_remove(n, rtxid);
			fn_mempool_add(n, k.b.tx[victim].raw, k.b.tx[victim].size, k.b.tx[victim].txid);
			wait_unconfirmed(&s, k.b.tx[victim].txid);
		}
		/* Each transaction is examined in the mempool before its block
		 * is mined, so that what the mempool could tell is alerted (the
		 * model's mempool events): a transaction mined before that is
		 * rightly alerted from its block only. */
		if (up) wait_examined(&s);

		fn_set_height(n, h);
		if (h == DOWN_AT) {
			/* the next block's transactions arrive while serve is down too */
			struct blk k2;
			read_block(d, h + 1, &k2);
			for (uint32_t i = 1; i < k2.b.n_tx; i++)
				fn_mempool_add(n, k2.b.tx[i].raw, k2.b.tx[i].size, k2.b.tx[i].txid);
			free_block(&k2);
			serve_start(&s, n, db, blocks);
		}
		wait_served(&s, n);
		if (fail_from && now_ms() - fail_from >= 6500) {
			pthread_mutex_lock(&R.lock);
			R.failing = 0;
			pthread_mutex_unlock(&R.lock);
			print_message("the receiver accepts again after %lld ms (%d requests refused)\n",
				      (long long)(now_ms() - fail_from), R.refused);
			fail_from = 0;
		}
		free_block(&k);
	}
	if (fail_from) {
		while (now_ms() - fail_from < 6500) sleep_ms(100);
		pthread_mutex_lock(&R.lock);
		R.failing = 0;
		pthread_mutex_unlock(&R.lock);
		print_message("the receiver accepts again (%d requests refused)\n", R.refused);
	}
	assert_true(R.refused > 0);

	/* The reorg: blocks up to FORK, then empty blocks, one more than the
	 * node had. */
	struct tl_buf file;
	tl_buf_init(&file);
	uint8_t tip[32];
	uint32_t time0 = 0;
	for (int32_t h = 0; h <= FORK; h++) {
		const struct tl_chain_entry *e = tl_blkdir_chain_at(d, (uint32_t)h);
		uint8_t *raw = NULL;
		size_t cap = 0;
		assert_int_equal(tl_blkdir_read(d, &e->loc, &raw, &cap, &err), 0);
		put_record(&file, raw, e->loc.size);
		struct tl_block b;
		tl_block_init(&b);
		assert_int_equal(tl_block_parse(&b, raw, e->loc.size, &err), 0);
		memcpy(tip, b.hdr.hash, 32);
		time0 = b.hdr.time;
		tl_block_free(&b);
		free(raw);
	}
	for (int32_t h = FORK + 1; h <= LAST + 1; h++) {
		struct cf_block cb = { 0 };
		uint8_t sig[8] = { 4, (uint8_t)h, (uint8_t)(h >> 8), 0, 0, 0x51, 0x52, 0x53 };
		struct cf_in ci = { .prev = NULL, .sig = sig, .sig_len = sizeof sig };
		struct cf_out co = { .value = 5000000000ULL, .script = { 0x51 }, .len = 1 };
		cf_block_add_tx(&cb, &ci, 1, &co, 1, NULL);
		cf_mine(&file, &cb, tip, time0 + 600u * (uint32_t)(h - FORK));
	}
	cf_write_blocks(alt, &file);
	tl_buf_free(&file);
	assert_int_equal(fn_load_chain(n, alt), LAST + 2);
	fn_set_height(n, LAST + 1);
	wait_served(&s, n);

	/* The expected events, per watch: deposits seen in the mempool
	 * (block DOWN_AT's transactions never were: mined while serve was
	 * down) or in a block, confirmations and reorgs of the block's
	 * verdicts, movements seen either way. */
	json_t *expect[NW];
	size_t mempool_only = 0;
	for (int w = 0; w < NW; w++) {
		expect[w] = json_object();
		char k[300];
		for (size_t i = 0; i < bo.n; i++) {
			if (!passes(&W[w], &bo.v[i])) continue;
			snprintf(k, sizeof k, "deposit/%s:%u", bo.v[i].txid, bo.v[i].vout);
			json_object_set_new(expect[w], k, json_true());
			snprintf(k, sizeof k, "confirmed/%s:%u", bo.v[i].txid, bo.v[i].vout);
			json_object_set_new(expect[w], k, json_true());
			if (bo.h[i] > FORK) {
				struct blk k2;
				read_block(d, bo.h[i], &k2);
				snprintf(k, sizeof k, "reorg/%s:%u/%s", bo.v[i].txid, bo.v[i].vout, k2.hash);
				json_object_set_new(expect[w], k, json_true());
				free_block(&k2);
			}
		}
		for (size_t i = 0; i < mo.n; i++) {
			if (mo.h[i] == DOWN_AT || !passes(&W[w], &mo.v[i])) continue;
			snprintf(k, sizeof k, "deposit/%s:%u", mo.v[i].txid, mo.v[i].vout);
			if (json_object_get(expect[w], k)) continue;
			json_object_set_new(expect[w], k, json_true());
			if (mo.h[i] < 0) continue; /* the replacement */
			mempool_only++;
			print_message("watch %d: deposit %s:%u (block %d) passes in the mempool only\n", w, mo.v[i].txid,
				      mo.v[i].vout, mo.h[i]);
		}
		for (size_t i = 0; i < bs.n; i++) {
			if (!passes(&W[w], &bs.v[i])) continue;
			snprintf(k, sizeof k, "movement/%s:%u", bs.v[i].txid, bs.v[i].vout);
			json_object_set_new(expect[w], k, json_true());
		}
		for (size_t i = 0; i < ms.n; i++) {
			if (ms.h[i] == DOWN_AT || !passes(&W[w], &ms.v[i])) continue;
			snprintf(k, sizeof k, "movement/%s:%u", ms.v[i].txid, ms.v[i].vout);
			if (json_object_get(expect[w], k)) continue;
			json_object_set_new(expect[w], k, json_true());
			mempool_only++;
			print_message("watch %d: movement %s:%u (block %d) passes in the mempool only\n", w, ms.v[i].txid,
				      ms.v[i].vout, ms.h[i]);
		}
	}

	/* Everything expected is delivered (bounded: 120 s). */
	int64_t t0 = now_ms();
	size_t missing = 0;
	for (;;) {
		missing = 0;
		for (int w = 0; w < NW; w++) {
			const char *k;
			json_object_foreach(expect[w], k, v) missing += !received(w, k);
		}
		if (!missing || now_ms() - t0 > 120000) break;
		sleep_ms(200);
	}
	sleep_ms(1500); /* anything extra would arrive meanwhile */
	size_t expected_n = 0, extra = 0, delivered = 0;
	pthread_mutex_lock(&R.lock);
	for (int w = 0; w < NW; w++) expected_n += json_object_size(expect[w]);
	json_object_foreach(R.byid, hk, v)
	{
		if (!json_is_true(json_object_get(v, "ok"))) continue;
		delivered++;
		const char *wk = json_string_value(json_object_get(v, "key"));
		int w = wk[1] - '0';
		if (!json_object_get(expect[w], wk + 3)) {
			if (extra < 10) print_message("not expected: watch %d %s\n", w, wk + 3);
			extra++;
		}
	}
	pthread_mutex_unlock(&R.lock);
	for (int w = 0; w < NW && missing; w++) {
		/* what serve recorded for them */
		int st;
		char path[128];
		snprintf(path, sizeof path, "/v1/watches/%llu/deliveries", (unsigned long long)W[w].id);
		json_t *dl = get_json(s.port, path, &st), *hz = get_json(s.port, "/healthz", &st);
		char *ht = json_dumps(json_object_get(hz, "alerts"), JSON_COMPACT);
		print_message("serve's alerts: %s; %zu deliveries of watch %d\n", ht ? ht : "?",
			      json_array_size(json_object_get(dl, "deliveries")), w);
		free(ht);
		json_decref(hz);
		const char *k;
		int shown = 0;
		json_object_foreach(expect[w], k, v) if (!received(w, k) && shown++ < 10) {
			char wk[320];
			snprintf(wk, sizeof wk, "w%d/%s", w, k);
			pthread_mutex_lock(&R.lock);
			const char *id = json_string_value(json_object_get(R.bykey, wk));
			json_t *e = id ? json_object_get(R.byid, id) : NULL;
			print_message("missing: watch %d %s (webhook-id %s, %s)\n", w, k, id ? id : "none",
				      e ? json_string_value(json_object_get(e, "key")) : "never sent");
			pthread_mutex_unlock(&R.lock);
			json_t *x;
			size_t i;
			json_array_foreach(json_object_get(dl, "deliveries"), i, x)
			{
				json_t *b = json_loads(json_string_value(json_object_get(x, "body")) ?: "", 0, NULL);
				char bk[300];
				key_of(b, bk, sizeof bk);
				json_decref(b);
				if (strcmp(bk, k)) continue;
				json_t *c = json_deep_copy(x);
				json_object_del(c, "body");
				char *t = json_dumps(c, JSON_COMPACT);
				print_message("  serve: %s\n", t ? t : "?");
				free(t);
				json_decref(c);
			}
		}
		json_decref(dl);
	}
	print_message("%zu events expected, %zu delivered (%d from the mempool), %d requests, %d refused\n", expected_n,
		      delivered, R.mempool_deposits, R.requests, R.refused);
	print_message("signatures bad %d, ids with two bodies %d, bodies not JSON %d, events under two ids %d\n", R.bad_sig,
		      R.bad_body, R.bad_json, R.id_conflicts);
	assert_int_equal(missing, 0);
	assert_int_equal(extra, 0);
	assert_int_equal(delivered, expected_n);
	assert_int_equal(R.bad_sig, 0);
	assert_int_equal(R.bad_body, 0);
	assert_int_equal(R.bad_json, 0);
	assert_int_equal(R.id_conflicts, 0);
	assert_true(R.mempool_deposits > 0);
	for (int w = 0; w < NW; w++) {
		const char *k;
		int kinds[4] = { 0 };
		json_object_foreach(expect[w], k, v) kinds[k[0] == 'd' ? 0 : k[0] == 'c' ? 1 : k[0] == 'm' ? 2 : 3]++;
		print_message("watch %d: %d deposit, %d confirmed, %d movement, %d reorg\n", w, kinds[0], kinds[1], kinds[2],
			      kinds[3]);
		if (w == 0) for (int t = 0; t < 4; t++) assert_true(kinds[t] > 0);
		json_decref(expect[w]);
	}

	serve_stop(&s);
	{
		/* how often the events thread found blocks indexed before their
		 * screening (it waits for the screening: docs/live.md) */
		char cmd[4400], *out = NULL;
		snprintf(cmd, sizeof cmd, "grep -c 'screened up to' '%s'", s.log);
		tu_run(cmd, &out);
		print_message("serve's alerts waited for the screening %d times\n", out ? atoi(out) : 0);
		free(out);
	}
	cl_free(&bo);
	cl_free(&bs);
	cl_free(&mo);
	cl_free(&ms);
	free(rraw);
	free_block(&rb);
	json_decref(count);
	tl_screen_close(sc);
	tl_store_close(ws);
	tl_blkdir_close(d);
	fn_stop(n);
	receiver_stop();
	tu_rmrf(tmp);
	free(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alerts_end_to_end),
	};
	return tu_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
