/* The node follower thread (live/follow.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#include "bitcoin/hash.h"
#include "live/fetch.h"
#include "live/follow.h"
#include "live/zmqmsg.h"

struct tl_follow {
	struct tl_follow_opts o;
	char *url, *cookie, *user, *password, *zmq, *blocks_dir; /* owned copies */
	struct tl_rpc *rpc;
	void *zctx, *zsub;
	pthread_t thread;
	pthread_mutex_t mu;
	volatile sig_atomic_t stop;
	struct tl_follow_status st;
};

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits up to ms for a notification that asks for a round. Returns 1 if
 * one came, 0 on timeout or stop. */
static int wait_notice(struct tl_follow *f, int ms)
{
	int64_t end = now_ms() + ms;
	int want = 0;
	while (!f->stop) {
		int64_t left = end - now_ms();
		if (left <= 0) break;
		int slice = left > 100 ? 100 : (int)left;
		if (!f->zsub) {
			struct timespec ts = { 0, (long)slice * 1000000L };
			nanosleep(&ts, NULL);
			continue;
		}
		zmq_pollitem_t it = { .socket = f->zsub, .events = ZMQ_POLLIN };
		if (zmq_poll(&it, 1, slice) <= 0) continue;
		/* Drain what is queued: one round answers many notices. */
		for (;;) {
			zmq_msg_t parts[3];
			size_t n = 0;
			int more = 1, rc = 0;
			while (more) {
				zmq_msg_t m;
				zmq_msg_init(&m);
				rc = zmq_msg_recv(&m, f->zsub, ZMQ_DONTWAIT);
				if (rc < 0) {
					zmq_msg_close(&m);
					break;
				}
				more = zmq_msg_more(&m);
				if (n < 3) parts[n] = m;
				else zmq_msg_close(&m);
				n++;
			}
			if (rc < 0 && n == 0) break;
			const uint8_t *fr[3];
			size_t lens[3];
			size_t k = n < 3 ? n : 3;
			for (size_t i = 0; i < k; i++) {
				fr[i] = zmq_msg_data(&parts[i]);
				lens[i] = zmq_msg_size(&parts[i]);
			}
			struct tl_zmq_msg msg;
			int ok = tl_zmq_parse(fr, lens, n, &msg, NULL) == 0;
			pthread_mutex_lock(&f->mu);
			if (ok) f->st.zmq_messages++;
			else f->st.zmq_bad++;
			pthread_mutex_unlock(&f->mu);
			if (ok && (msg.topic == TL_ZMQ_HASHBLOCK ||
				   (msg.topic == TL_ZMQ_SEQUENCE && (msg.label == 'C' || msg.label == 'D'))))
				want = 1;
			if (ok && f->o.mempool) {
				struct tl_err err;
				if (msg.topic == TL_ZMQ_RAWTX &&
				    tl_mempool_add(f->o.mempool, msg.body, msg.body_len, f->o.prevout, f->o.prevout_ctx,
						   &err) < 0 &&
				    f->o.log)
					fprintf(f->o.log, "taintline serve: mempool: %s\n", err.msg);
				if (msg.topic == TL_ZMQ_SEQUENCE && msg.label == 'R')
					tl_mempool_remove(f->o.mempool, msg.hash);
			}
			for (size_t i = 0; i < k; i++) zmq_msg_close(&parts[i]);
			if (rc < 0) break;
		}
		if (want) return 1;
	}
	return want;
}

/* The mempool as the node has it: what it no longer holds leaves, what
 * is missing is fetched, what was screened before its inputs were
 * indexed is screened again. Returns 0 or -1 with err. */
static int reconcile(struct tl_follow *f, struct tl_err *err)
{
	json_t *ids;
	if (tl_rpc_call(f->rpc, "getrawmempool", NULL, &ids, NULL, err) < 0) return -1;
	size_t n = json_array_size(ids);
	uint8_t (*keep)[32] = malloc(32 * (n ? n : 1));
	if (!keep) {
		json_decref(ids);
		return tl_err_set(err, "out of memory");
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(ids, i));
		if (s && tl_hash_from_hex(s, keep[k]) == 0) k++;
	}
	json_decref(ids);
	tl_mempool_retain(f->o.mempool, keep, k);
	int rc = 0;
	for (size_t i = 0; i < k && !f->stop; i++) {
		if (tl_mempool_has(f->o.mempool, keep[i])) continue;
		char hex[65];
		tl_hash_to_hex(keep[i], hex);
		json_t *raw;
		int code;
		if (tl_rpc_call(f->rpc, "getrawtransaction", json_pack("[s]", hex), &raw, &code, err) < 0) {
			if (code == TL_RPC_INVALID_ADDRESS_OR_KEY) continue; /* left the mempool meanwhile */
			rc = -1;
			break;
		}
		uint8_t *bytes;
		size_t len;
		const char *s = json_string_value(raw);
		if (s && tl_hex_decode_alloc(s, json_string_length(raw), &bytes, &len) == 0) {
			struct tl_err e2;
			if (tl_mempool_add(f->o.mempool, bytes, len, f->o.prevout, f->o.prevout_ctx, &e2) < 0 && f->o.log)
				fprintf(f->o.log, "taintline serve: mempool: %s\n", e2.msg);
			free(bytes);
		}
		json_decref(raw);
	}
	free(keep);
	tl_mempool_rescreen(f->o.mempool, f->o.prevout, f->o.prevout_ctx);
	pthread_mutex_lock(&f->mu);
	f->st.mempool_txs = tl_mempool_count(f->o.mempool);
	pthread_mutex_unlock(&f->mu);
	return rc;
}

static void *follow_main(void *arg)
{
	struct tl_follow *f = arg;
	struct tl_fetch_opts fo = { .blocks_dir = f->o.blocks_dir, .net = f->o.net, .max_blocks = 2000,
				    .stop = &f->stop };
	int poll = f->o.poll_ms > 0 ? f->o.poll_ms : (f->zsub ? 5000 : 1000);
	int backoff = 250, wait = 0;
	while (!f->stop) {
		if (wait > 0) wait_notice(f, wait);
		if (f->stop) break;
		struct tl_fetch_stats fs;
		struct tl_err err;
		int rc = tl_fetch_round(f->rpc, &fo, &fs, &err);
		if (rc == 0 && f->o.mempool) rc = reconcile(f, &err);
		pthread_mutex_lock(&f->mu);
		f->st.rounds++;
		if (rc < 0) {
			f->st.errors++;
			f->st.reachable = 0;
			snprintf(f->st.last_error, sizeof f->st.last_error, "%s", err.msg);
			tl_utf8_sanitize(f->st.last_error);
		} else {
			f->st.reachable = 1;
			f->st.node_tip = fs.node_tip;
			f->st.fetched_tip = fs.tip;
			f->st.blocks_fetched += fs.fetched;
			f->st.last_ok = (int64_t)time(NULL);
		}
		pthread_mutex_unlock(&f->mu);
		if (rc < 0) {
			if (f->o.log && !f->stop) fprintf(f->o.log, "taintline serve: node: %s\n", err.msg);
			wait = backoff;
			backoff = backoff >= 15000 ? 30000 : backoff * 2;
			continue;
		}
		backoff = 250;
		if ((fs.fetched || fs.fork_height != -2) && f->o.on_blocks) f->o.on_blocks(f->o.ctx);
		/* More to fetch (a long catch-up or a reorg during the round):
		 * go on at once. */
		wait = fs.caught_up ? poll : 0;
	}
	return NULL;
}

static void free_follow(struct tl_follow *f)
{
	tl_rpc_close(f->rpc);
	if (f->zsub) {
		int linger = 0;
		zmq_setsockopt(f->zsub, ZMQ_LINGER, &linger, sizeof linger);
		zmq_close(f->zsub);
	}
	if (f->zctx) zmq_ctx_term(f->zctx);
	free(f->url);
	free(f->cookie);
	free(f->user);
	free(f->password);
	free(f->zmq);
	free(f->blocks_dir);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

int tl_follow_start(const struct tl_follow_opts *o, struct tl_follow **out, struct tl_err *err)
{
	*out = NULL;
	struct tl_follow *f = calloc(1, sizeof *f);
	if (!f) return tl_err_set(err, "out of memory");
	pthread_mutex_init(&f->mu, NULL);
	f->o = *o;
	f->url = dup_or_null(o->rpc.url);
	f->cookie = dup_or_null(o->rpc.cookie_file);
	f->user = dup_or_null(o->rpc.user);
	f->password = dup_or_null(o->rpc.password);
	f->zmq = dup_or_null(o->zmq);
	f->blocks_dir = dup_or_null(o->blocks_dir);
	f->o.rpc.url = f->url;
	f->o.rpc.cookie_file = f->cookie;
	f->o.rpc.user = f->user;
	f->o.rpc.password = f->password;
	f->o.zmq = f->zmq;
	f->o.blocks_dir = f->blocks_dir;
	/* A few quick tries per call; the thread's own backoff does the
	 * waiting, so that the status says "unreachable" meanwhile. */
	f->o.rpc.max_attempts = 3;
	f->o.rpc.stop = &f->stop;
	f->st.node_tip = f->st.fetched_tip = -1;
	if (!o->blocks_dir || !o->net) {
		free_follow(f);
		return tl_err_set(err, "follow: no blocks directory or network");
	}
	if (tl_rpc_open(&f->o.rpc, &f->rpc, err) < 0) {
		free_follow(f);
		return -1;
	}
	if (o->zmq) {
		f->zctx = zmq_ctx_new();
		f->zsub = f->zctx ? zmq_socket(f->zctx, ZMQ_SUB) : NULL;
		if (!f->zsub || zmq_setsockopt(f->zsub, ZMQ_SUBSCRIBE, "hashblock", 9) ||
		    zmq_setsockopt(f->zsub, ZMQ_SUBSCRIBE, "sequence", 8) ||
		    (o->mempool && zmq_setsockopt(f->zsub, ZMQ_SUBSCRIBE, "rawtx", 5)) || zmq_connect(f->zsub, o->zmq)) {
			tl_err_set(err, "ZMQ %s: %s", o->zmq, zmq_strerror(zmq_errno()));
			free_follow(f);
			return -1;
		}
	}
	int rc = pthread_create(&f->thread, NULL, follow_main, f);
	if (rc) {
		free_follow(f);
		return tl_err_set(err, "cannot start the node follower: %s", strerror(rc));
	}
	*out = f;
	return 0;
}

void tl_follow_stop(struct tl_follow *f)
{
	if (!f) return;
	f->stop = 1;
	pthread_join(f->thread, NULL);
	free_follow(f);
}

void tl_follow_status(struct tl_follow *f, struct tl_follow_status *out)
{
	pthread_mutex_lock(&f->mu);
	*out = f->st;
	pthread_mutex_unlock(&f->mu);
}

void tl_follow_health(struct json_t *obj, void *arg)
{
	struct tl_follow_status s;
	tl_follow_status(arg, &s);
	json_t *n = json_object();
	json_object_set_new(n, "reachable", json_boolean(s.reachable));
	json_object_set_new(n, "node_height", json_integer(s.node_tip));
	json_object_set_new(n, "fetched_height", json_integer(s.fetched_tip));
	json_object_set_new(n, "errors", json_integer((json_int_t)s.errors));
	json_object_set_new(n, "zmq_messages", json_integer((json_int_t)s.zmq_messages));
	json_object_set_new(n, "last_ok", json_integer(s.last_ok));
	json_object_set_new(n, "mempool_txs", json_integer((json_int_t)s.mempool_txs));
	if (!s.reachable && s.last_error[0]) json_object_set_new(n, "last_error", json_string(s.last_error));
	json_object_set_new(obj, "node", n);
}
