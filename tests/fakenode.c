/* The fake Bitcoin Core node (tests/fakenode.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <zmq.h>

#include "bitcoin/blkfile.h"
#include "bitcoin/block.h"
#include "bitcoin/hash.h"
#include "tests/fakenode.h"

struct fblock {
	uint8_t hash[32];
	uint8_t *raw;
	size_t len;
};

struct fakenode {
	const struct tl_netparams *np;
	char dir[1024], cookie_path[1100], url[64], zurl[64];
	char auth[256];                  /* expected Authorization header */
	uint16_t port;
	struct event_base *base;
	struct evhttp *http;
	pthread_t thread;
	pthread_mutex_t mu;
	struct fblock *all;              /* every block ever loaded */
	size_t nall, capall;
	size_t *chain;                   /* index into all, by height */
	int32_t chain_len, height;
	uint64_t rng;
	unsigned per_mille;
	struct fn_stats st;
	struct fblock *mem;              /* the mempool: txid (hash field) and raw tx */
	size_t nmem, capmem;
	uint64_t mem_seq;
	void *zctx, *zpub;
	uint32_t zseq[3];                /* per topic: hashblock, rawtx, sequence */
};

static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void write_cookie(struct fakenode *n)
{
	uint8_t secret[32];
	char hex[65], line[128];
	assert_int_equal(RAND_bytes(secret, sizeof secret), 1);
	tl_hex_encode(secret, sizeof secret, hex);
	int len = snprintf(line, sizeof line, "__cookie__:%s", hex);
	FILE *f = fopen(n->cookie_path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(line, 1, (size_t)len, f), (size_t)len);
	assert_int_equal(fclose(f), 0);
	memcpy(n->auth, "Basic ", 6);
	EVP_EncodeBlock((unsigned char *)n->auth + 6, (const unsigned char *)line, len);
}

static struct fblock *find_block(struct fakenode *n, const char *hex, int32_t *height)
{
	uint8_t h[32];
	*height = -1;
	if (!hex || tl_hash_from_hex(hex, h) < 0) return NULL;
	for (int32_t i = 0; i <= n->height && i < n->chain_len; i++)
		if (!memcmp(n->all[n->chain[i]].hash, h, 32)) {
			*height = i;
			return &n->all[n->chain[i]];
		}
	/* Stale blocks stay known; blocks above the visible tip do not. */
	for (size_t i = 0; i < n->nall; i++) {
		if (memcmp(n->all[i].hash, h, 32)) continue;
		for (int32_t k = 0; k < n->chain_len; k++)
			if (n->chain[k] == i) return NULL;
		return &n->all[i];
	}
	return NULL;
}

static void reply_json(struct evhttp_request *req, int status, json_t *doc)
{
	char *s = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(doc);
	struct evbuffer *b = evbuffer_new();
	evbuffer_add(b, s, strlen(s));
	free(s);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
	evhttp_send_reply(req, status, status == 200 ? "OK" : "Error", b);
	evbuffer_free(b);
}

static void reply_error(struct evhttp_request *req, json_t *id, int code, const char *msg)
{
	json_t *e = json_pack("{s:i,s:s}", "code", code, "message", msg);
	reply_json(req, code == -32601 ? 404 : 500, json_pack("{s:n,s:o,s:O}", "result", "error", e, "id", id));
}

static void reply_result(struct evhttp_request *req, json_t *id, json_t *result)
{
	reply_json(req, 200, json_pack("{s:o,s:n,s:O}", "result", result, "error", "id", id));
}

/* Answers one call under n->mu. */
static void dispatch(struct fakenode *n, struct evhttp_request *req, json_t *call)
{
	json_t *id = json_object_get(call, "id");
	const char *m = json_string_value(json_object_get(call, "method"));
	json_t *params = json_object_get(call, "params");
	if (!m) return reply_error(req, id, -32600, "Invalid Request object");
	if (!strcmp(m, "getblockchaininfo")) {
		char hex[65] = "";
		if (n->height >= 0) tl_hash_to_hex(n->all[n->chain[n->height]].hash, hex);
		return reply_result(req, id, json_pack("{s:s,s:i,s:s}", "chain", n->np->name, "blocks", n->height,
						       "bestblockhash", hex));
	}
	if (!strcmp(m, "getblockcount")) return reply_result(req, id, json_integer(n->height));
	if (!strcmp(m, "getblockhash")) {
		json_t *h = json_array_get(params, 0);
		if (!json_is_integer(h) || json_integer_value(h) < 0 || json_integer_value(h) > n->height)
			return reply_error(req, id, -8, "Block height out of range");
		char hex[65];
		tl_hash_to_hex(n->all[n->chain[json_integer_value(h)]].hash, hex);
		return reply_result(req, id, json_string(hex));
	}
	if (!strcmp(m, "getblockheader") || !strcmp(m, "getblock")) {
		int32_t height;
		struct fblock *b = find_block(n, json_string_value(json_array_get(params, 0)), &height);
		if (!b) return reply_error(req, id, -5, "Block not found");
		if (!strcmp(m, "getblock")) {
			char *hex = malloc(b->len * 2 + 1);
			tl_hex_encode(b->raw, b->len, hex);
			json_t *s = json_string(hex);
			free(hex);
			return reply_result(req, id, s);
		}
		char hex[65], prev[65];
		tl_hash_to_hex(b->hash, hex);
		uint8_t ph[32];
		memcpy(ph, b->raw + 4, 32);
		tl_hash_to_hex(ph, prev);
		return reply_result(req, id,
				    json_pack("{s:s,s:i,s:i,s:s}", "hash", hex, "confirmations",
					      height >= 0 ? n->height - height + 1 : -1, "height", height,
					      "previousblockhash", prev));
	}
	if (!strcmp(m, "getrawmempool")) {
		json_t *a = json_array();
		for (size_t i = 0; i < n->nmem; i++) {
			char hex[65];
			tl_hash_to_hex(n->mem[i].hash, hex);
			json_array_append_new(a, json_string(hex));
		}
		return reply_result(req, id, a);
	}
	if (!strcmp(m, "getrawtransaction")) {
		uint8_t h[32];
		const char *t = json_string_value(json_array_get(params, 0));
		if (!t || tl_hash_from_hex(t, h) < 0) return reply_error(req, id, -8, "parameter 1 must be hexadecimal");
		for (size_t i = 0; i < n->nmem; i++)
			if (!memcmp(n->mem[i].hash, h, 32)) {
				char *hex = malloc(n->mem[i].len * 2 + 1);
				tl_hex_encode(n->mem[i].raw, n->mem[i].len, hex);
				json_t *js = json_string(hex);
				free(hex);
				return reply_result(req, id, js);
			}
		return reply_error(req, id, -5, "No such mempool or blockchain transaction");
	}
	return reply_error(req, id, -32601, "Method not found");
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct fakenode *n = arg;
	pthread_mutex_lock(&n->mu);
	n->st.requests++;
	const char *a = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
	if (!a || strcmp(a, n->auth) != 0) {
		n->st.unauthorized++;
		pthread_mutex_unlock(&n->mu);
		evhttp_send_reply(req, 401, "Unauthorized", NULL);
		return;
	}
	if (n->per_mille && next_rand(&n->rng) % 1000 < n->per_mille) {
		n->st.faults++;
		unsigned kind = (unsigned)(next_rand(&n->rng) % 4);
		pthread_mutex_unlock(&n->mu);
		if (kind == 0) {
			evhttp_send_reply(req, 500, "Internal Server Error", NULL);
		} else if (kind == 1) {
			struct evbuffer *b = evbuffer_new();
			evbuffer_add_printf(b, "Work queue depth exceeded");
			evhttp_send_reply(req, 503, "Service Unavailable", b);
			evbuffer_free(b);
		} else if (kind == 2) {
			reply_error(req, json_null(), -28, "Loading block index...");
		}
		/* else slower than any client waits: no reply at all; libevent
		 * frees the request when the client gives up and closes. */
		return;
	}
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	char *body = malloc(len + 1);
	evbuffer_remove(in, body, len);
	json_error_t je;
	json_t *call = json_loadb(body, len, 0, &je);
	free(body);
	if (!json_is_object(call)) {
		json_decref(call);
		reply_error(req, json_null(), -32700, "Parse error");
	} else {
		dispatch(n, req, call);
		json_decref(call);
	}
	pthread_mutex_unlock(&n->mu);
}

/* Listens on n->port (any free port when 0). Returns 0, or -1 when the
 * port is taken: while a restarted node is down, a client's connect to
 * its (ephemeral) port can pick that very port as its own source and
 * connect to itself, holding it for a moment. */
static int listen_http(struct fakenode *n)
{
	n->http = evhttp_new(n->base);
	assert_non_null(n->http);
	evhttp_set_gencb(n->http, on_request, n);
	struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(n->http, "127.0.0.1", n->port);
	if (!bs) {
		evhttp_free(n->http);
		n->http = NULL;
		return -1;
	}
	if (!n->port) {
		struct sockaddr_in sa;
		socklen_t sl = sizeof sa;
		assert_int_equal(getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sa, &sl), 0);
		n->port = ntohs(sa.sin_port);
	}
	return 0;
}

static void *loop_main(void *arg)
{
	struct fakenode *n = arg;
	event_base_loop(n->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

struct fakenode *fn_start(const char *dir, const struct tl_netparams *np)
{
	struct fakenode *n = calloc(1, sizeof *n);
	assert_non_null(n);
	n->np = np;
	n->height = -1;
	snprintf(n->dir, sizeof n->dir, "%s", dir);
	snprintf(n->cookie_path, sizeof n->cookie_path, "%s/.cookie", dir);
	pthread_mutex_init(&n->mu, NULL);
	assert_int_equal(evthread_use_pthreads(), 0);
	n->base = event_base_new();
	assert_non_null(n->base);
	write_cookie(n);
	assert_int_equal(listen_http(n), 0);
	snprintf(n->url, sizeof n->url, "http://127.0.0.1:%u", n->port);
	n->zctx = zmq_ctx_new();
	n->zpub = zmq_socket(n->zctx, ZMQ_PUB);
	assert_int_equal(zmq_bind(n->zpub, "tcp://127.0.0.1:*"), 0);
	size_t zl = sizeof n->zurl;
	assert_int_equal(zmq_getsockopt(n->zpub, ZMQ_LAST_ENDPOINT, n->zurl, &zl), 0);
	assert_int_equal(pthread_create(&n->thread, NULL, loop_main, n), 0);
	return n;
}

static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct fakenode *n = arg;
	if (n->http) evhttp_free(n->http);
	n->http = NULL;
	event_base_loopbreak(n->base);
}

void fn_stop(struct fakenode *n)
{
	if (!n) return;
	struct timeval tv = { 0, 0 };
	event_base_once(n->base, -1, EV_TIMEOUT, stop_cb, n, &tv);
	pthread_join(n->thread, NULL);
	event_base_free(n->base);
	int linger = 0;
	zmq_setsockopt(n->zpub, ZMQ_LINGER, &linger, sizeof linger);
	zmq_close(n->zpub);
	zmq_ctx_term(n->zctx);
	for (size_t i = 0; i < n->nall; i++) free(n->all[i].raw);
	free(n->all);
	free(n->chain);
	for (size_t i = 0; i < n->nmem; i++) free(n->mem[i].raw);
	free(n->mem);
	pthread_mutex_destroy(&n->mu);
	free(n);
}

const char *fn_url(const struct fakenode *n) { return n->url; }
const char *fn_cookie(const struct fakenode *n) { return n->cookie_path; }
const char *fn_zmq(const struct fakenode *n) { return n->zurl; }

static void zsend(struct fakenode *n, int topic, const char *name, const uint8_t *body, size_t len)
{
	uint8_t seq[4];
	for (int i = 0; i < 4; i++) seq[i] = (uint8_t)(n->zseq[topic] >> (8 * i));
	n->zseq[topic]++;
	assert_true(zmq_send(n->zpub, name, strlen(name), ZMQ_SNDMORE) >= 0);
	assert_true(zmq_send(n->zpub, body, len, ZMQ_SNDMORE) >= 0);
	assert_true(zmq_send(n->zpub, seq, 4, 0) >= 0);
}

/* hashblock and sequence 'C' for the block at height h (display order, as Core). */
static void publish_block(struct fakenode *n, int32_t h)
{
	uint8_t disp[33];
	const uint8_t *hh = n->all[n->chain[h]].hash;
	for (int i = 0; i < 32; i++) disp[i] = hh[31 - i];
	zsend(n, 0, "hashblock", disp, 32);
	disp[32] = 'C';
	zsend(n, 2, "sequence", disp, 33);
}

static void publish_seq_tx(struct fakenode *n, const uint8_t txid[32], char label)
{
	uint8_t body[41];
	for (int i = 0; i < 32; i++) body[i] = txid[31 - i];
	body[32] = (uint8_t)label;
	uint64_t s = ++n->mem_seq;
	for (int i = 0; i < 8; i++) body[33 + i] = (uint8_t)(s >> (8 * i));
	zsend(n, 2, "sequence", body, 41);
}

void fn_mempool_add(struct fakenode *n, const uint8_t *raw, size_t len, const uint8_t txid[32])
{
	pthread_mutex_lock(&n->mu);
	/* A set, as Core's: a transaction held already is not accepted
	 * again (nor announced). Held twice, a block would take out one copy
	 * and getrawmempool would go on listing a mined transaction. */
	for (size_t i = 0; i < n->nmem; i++)
		if (!memcmp(n->mem[i].hash, txid, 32)) {
			pthread_mutex_unlock(&n->mu);
			return;
		}
	if (n->nmem == n->capmem) {
		n->capmem = n->capmem ? n->capmem * 2 : 64;
		n->mem = realloc(n->mem, sizeof *n->mem * n->capmem);
	}
	struct fblock *t = &n->mem[n->nmem++];
	memcpy(t->hash, txid, 32);
	t->raw = malloc(len);
	memcpy(t->raw, raw, len);
	t->len = len;
	zsend(n, 1, "rawtx", raw, len);
	publish_seq_tx(n, txid, 'A');
	pthread_mutex_unlock(&n->mu);
}

static void mem_drop(struct fakenode *n, size_t i)
{
	free(n->mem[i].raw);
	n->mem[i] = n->mem[--n->nmem];
}

void fn_mempool_remove(struct fakenode *n, const uint8_t txid[32])
{
	pthread_mutex_lock(&n->mu);
	for (size_t i = 0; i < n->nmem; i++)
		if (!memcmp(n->mem[i].hash, txid, 32)) {
			mem_drop(n, i);
			publish_seq_tx(n, txid, 'R');
			break;
		}
	pthread_mutex_unlock(&n->mu);
}

/* A block became visible: its transactions leave the mempool. */
static void mem_confirm(struct fakenode *n, int32_t h)
{
	if (!n->nmem) return;
	struct fblock *b = &n->all[n->chain[h]];
	struct tl_block blk;
	struct tl_err err;
	tl_block_init(&blk);
	if (tl_block_parse(&blk, b->raw, b->len, &err) < 0) fail_msg("fakenode: %s", err.msg);
	for (uint32_t k = 0; k < blk.n_tx; k++)
		for (size_t i = 0; i < n->nmem; i++)
			if (!memcmp(n->mem[i].hash, blk.tx[k].txid, 32)) {
				mem_drop(n, i);
				break;
			}
	tl_block_free(&blk);
}

int32_t fn_load_chain(struct fakenode *n, const char *blocks_dir)
{
	struct tl_blkdir *d;
	struct tl_err err;
	if (tl_blkdir_open(blocks_dir, n->np, &d, &err) < 0 || tl_blkdir_scan(d, NULL, &err) < 0)
		fail_msg("fakenode: %s", err.msg);
	uint32_t len = tl_blkdir_chain_len(d);
	pthread_mutex_lock(&n->mu);
	size_t *chain = malloc(sizeof *chain * (len ? len : 1));
	uint8_t *buf = NULL;
	size_t cap = 0;
	for (uint32_t h = 0; h < len; h++) {
		const struct tl_chain_entry *e = tl_blkdir_chain_at(d, h);
		size_t i;
		for (i = 0; i < n->nall; i++)
			if (!memcmp(n->all[i].hash, e->hash, 32)) break;
		if (i == n->nall) {
			if (tl_blkdir_read(d, &e->loc, &buf, &cap, &err) < 0) fail_msg("fakenode: %s", err.msg);
			if (n->nall == n->capall) {
				n->capall = n->capall ? n->capall * 2 : 256;
				n->all = realloc(n->all, sizeof *n->all * n->capall);
			}
			struct fblock *b = &n->all[n->nall++];
			memcpy(b->hash, e->hash, 32);
			b->len = e->loc.size;
			b->raw = malloc(b->len);
			memcpy(b->raw, buf, b->len);
		}
		chain[h] = i;
	}
	free(buf);
	tl_blkdir_close(d);
	/* The visible tip: the highest height the old and new chains share
	 * stays visible; a reorg shows the new branch up to the old height
	 * plus one (the new branch has more work), at least. */
	int32_t old_h = n->height;
	int32_t common = -1;
	for (int32_t h = 0; h <= old_h && h < (int32_t)len && h < n->chain_len; h++) {
		if (n->chain[h] != chain[h]) break;
		common = h;
	}
	free(n->chain);
	n->chain = chain;
	n->chain_len = (int32_t)len;
	if (common < old_h) {
		n->height = old_h + 1 < (int32_t)len ? old_h + 1 : (int32_t)len - 1;
		for (int32_t h = common + 1; h <= n->height; h++) publish_block(n, h);
	}
	pthread_mutex_unlock(&n->mu);
	return (int32_t)len;
}

void fn_set_height(struct fakenode *n, int32_t h)
{
	pthread_mutex_lock(&n->mu);
	assert_true(h < n->chain_len);
	int32_t old = n->height;
	n->height = h;
	for (int32_t k = old + 1; k <= h; k++) {
		mem_confirm(n, k);
		publish_block(n, k);
	}
	pthread_mutex_unlock(&n->mu);
}

void fn_republish(struct fakenode *n)
{
	pthread_mutex_lock(&n->mu);
	if (n->height >= 0) publish_block(n, n->height);
	pthread_mutex_unlock(&n->mu);
}

int32_t fn_height(const struct fakenode *n)
{
	return n->height;
}

void fn_hash_at(const struct fakenode *n, int32_t h, uint8_t out[32])
{
	assert_true(h >= 0 && h < n->chain_len);
	memcpy(out, n->all[n->chain[h]].hash, 32);
}

void fn_faults(struct fakenode *n, uint64_t seed, unsigned per_mille)
{
	pthread_mutex_lock(&n->mu);
	n->rng = seed;
	n->per_mille = per_mille;
	pthread_mutex_unlock(&n->mu);
}

static void reopen_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct fakenode *n = arg;
	if (n->http) return; /* already listening */
	pthread_mutex_lock(&n->mu);
	write_cookie(n);
	pthread_mutex_unlock(&n->mu);
	if (listen_http(n) < 0) { /* the port is held for a moment: try again */
		struct timeval tv = { 0, 20000 };
		event_base_once(n->base, -1, EV_TIMEOUT, reopen_cb, n, &tv);
	}
}

static void restart_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct fakenode *n = arg;
	if (n->http) evhttp_free(n->http); /* drops every connection */
	n->http = NULL;
	pthread_mutex_lock(&n->mu);
	n->st.restarts++;
	pthread_mutex_unlock(&n->mu);
}

void fn_restart(struct fakenode *n, int down_ms)
{
	struct timeval now = { 0, 0 }, later = { down_ms / 1000, (down_ms % 1000) * 1000 };
	event_base_once(n->base, -1, EV_TIMEOUT, restart_cb, n, &now);
	event_base_once(n->base, -1, EV_TIMEOUT, reopen_cb, n, &later);
}

void fn_stats(const struct fakenode *n, struct fn_stats *out)
{
	pthread_mutex_lock((pthread_mutex_t *)&n->mu);
	*out = n->st;
	pthread_mutex_unlock((pthread_mutex_t *)&n->mu);
}
