/* Following a node (eth_node.h). Every batch is fetched whole, checked
 * to be one chain (each block's parent the previous block; receipts and
 * traces of those very blocks, by block hash), and only then indexed:
 * answers from both sides of a reorg never mix in the database. */
#include "indexer/eth_node.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ethereum/address.h"
#include "ethereum/rpc.h"
#include "indexer/eth_index.h"
#include "indexer/eth_rpc_client.h"
#include "store/eth_undo.h"

/* Calls per POST when receipts are fetched one transaction at a time
 * (nodes cap batches; geth at 1000). */
#define RCPT_CHUNK 500

enum { OK = 0, RETRY = -1, FATAL = -2 };

struct node {
	const struct tl_eth_node_opts *o;
	struct tl_eth_rpc_client *c;
	enum tl_eth_trace_mode traces;
	int rcpt_per_tx;
	bool auto_traces; /* still finding which tracer the node has */
	struct tl_err *err;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool stopped(const struct node *n) { return n->o->stop && *n->o->stop; }

/* Sleeps s seconds, in slices so that a stop request is seen soon. */
static void wait_s(const struct node *n, double s)
{
	double end = now() + s;
	while (!stopped(n)) {
		double left = end - now();
		if (left <= 0) break;
		if (left > 0.2) left = 0.2;
		struct timespec ts = { (time_t)left, (long)((left - (double)(time_t)left) * 1e9) };
		nanosleep(&ts, NULL);
	}
}

static void note(const struct node *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(const struct node *n, const char *fmt, ...)
{
	if (!n->o->note) return;
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	n->o->note(n->o->ctx, buf);
}

/* A method the node does not offer (as geth, erigon, reth and
 * nethermind say it), as opposed to a call that failed. */
static bool no_such_method(const struct tl_eth_rpc_call *c)
{
	if (c->result) return false;
	if (c->code == -32601) return true;
	return strcasestr(c->msg, "method") &&
	       (strcasestr(c->msg, "not found") || strcasestr(c->msg, "does not exist") || strcasestr(c->msg, "not available") ||
		strcasestr(c->msg, "not supported"));
}

static json_t *qty(uint64_t v)
{
	char b[24];
	snprintf(b, sizeof b, "0x%llx", (unsigned long long)v);
	return json_string(b);
}

/* The node's answer to a batch of calls: RETRY with err on a failed
 * exchange or any call's error. */
static int run(struct node *n, struct tl_eth_rpc_call *cl, size_t k)
{
	if (tl_eth_rpc_batch(n->c, cl, k, n->err) < 0) return RETRY;
	for (size_t i = 0; i < k; i++)
		if (!cl[i].result) {
			tl_err_set(n->err, "node error on %s: %s (code %ld)", cl[i].method, cl[i].msg, cl[i].code);
			tl_eth_rpc_calls_clear(cl, k);
			return RETRY;
		}
	return OK;
}

static void free_params(struct tl_eth_rpc_call *cl, size_t k)
{
	for (size_t i = 0; i < k; i++) json_decref(cl[i].params);
}

static bool same_hash(const json_t *o, const char *field, const char *want)
{
	const char *h = json_string_value(json_object_get(o, field));
	return !h || !strcasecmp(h, want); /* absent: nothing to check */
}

/* The node's head block number. */
static int head_of(struct node *n, uint64_t *head)
{
	struct tl_eth_rpc_call cl = { .method = "eth_blockNumber", .params = json_array() };
	int rc = run(n, &cl, 1);
	json_decref(cl.params);
	if (rc) return rc;
	const char *s = json_string_value(cl.result);
	char *end = NULL;
	unsigned long long v = s && s[0] == '0' && s[1] == 'x' && s[2] ? strtoull(s + 2, &end, 16) : 0;
	rc = end && !*end ? OK : tl_err_set(n->err, "eth_blockNumber: not a quantity");
	*head = v;
	json_decref(cl.result);
	return rc == OK ? OK : FATAL;
}

/* The hash of the node's block h: OK with *have 1 and out, or *have 0
 * when the node has no such block. */
static int hash_of(struct node *n, uint64_t h, uint8_t out[32], int *have)
{
	struct tl_eth_rpc_call cl = { .method = "eth_getBlockByNumber", .params = json_pack("[o,b]", qty(h), 0) };
	int rc = run(n, &cl, 1);
	json_decref(cl.params);
	if (rc) return rc;
	*have = 0;
	if (!json_is_null(cl.result)) {
		const char *s = json_string_value(json_object_get(cl.result, "hash"));
		if (!s || strlen(s) != 66 || tl_eth_hex_bytes(s, 66, out, 32) < 0)
			rc = (tl_err_set(n->err, "eth_getBlockByNumber(%llu): no block hash", (unsigned long long)h), FATAL);
		else
			*have = 1;
	}
	json_decref(cl.result);
	return rc;
}

/* Receipts of blocks[0..nb), into d: eth_getBlockReceipts, or (the node
 * lacks it) eth_getTransactionReceipt per transaction. */
static int fetch_receipts(struct node *n, json_t **blocks, size_t nb, struct tl_eth_data *d)
{
	int rc = OK;
	if (!n->rcpt_per_tx) {
		struct tl_eth_rpc_call *cl = calloc(nb, sizeof *cl);
		if (!cl) abort();
		for (size_t i = 0; i < nb; i++) {
			cl[i].method = "eth_getBlockReceipts";
			cl[i].params = json_pack("[o]", json_string(json_string_value(json_object_get(blocks[i], "hash"))));
		}
		if (tl_eth_rpc_batch(n->c, cl, nb, n->err) < 0) rc = RETRY;
		for (size_t i = 0; rc == OK && i < nb; i++)
			if (no_such_method(&cl[i])) {
				n->rcpt_per_tx = 1;
				note(n, "the node has no eth_getBlockReceipts (%s): receipts are fetched one transaction at a time",
				     cl[i].msg);
				rc = 1;
			}
		if (rc == OK) {
			for (size_t i = 0; rc == OK && i < nb; i++) {
				const char *bh = json_string_value(json_object_get(blocks[i], "hash"));
				json_t *txs = json_object_get(blocks[i], "transactions");
				if (!cl[i].result) rc = tl_err_set(n->err, "node error on eth_getBlockReceipts: %s (code %ld)", cl[i].msg, cl[i].code);
				else if (!json_is_array(cl[i].result) || json_array_size(cl[i].result) != json_array_size(txs))
					rc = tl_err_set(n->err, "eth_getBlockReceipts(%s): %zu receipts for %zu transactions", bh,
							json_array_size(cl[i].result), json_array_size(txs));
				else {
					size_t k;
					json_t *r;
					json_array_foreach(cl[i].result, k, r) if (!same_hash(r, "blockHash", bh))
						rc = tl_err_set(n->err, "eth_getBlockReceipts(%s): a receipt of another block", bh);
				}
				if (rc == OK && tl_eth_rpc_receipts(d, cl[i].result, n->err) < 0) rc = FATAL;
			}
		}
		tl_eth_rpc_calls_clear(cl, nb);
		free_params(cl, nb);
		free(cl);
		if (rc != 1) return rc;
		rc = OK;
	}
	/* one call per transaction, in chunks */
	size_t total = 0;
	for (size_t i = 0; i < nb; i++) total += json_array_size(json_object_get(blocks[i], "transactions"));
	struct tl_eth_rpc_call *cl = calloc(total ? total : 1, sizeof *cl);
	const char **bh = calloc(total ? total : 1, sizeof *bh);
	if (!cl || !bh) abort();
	size_t k = 0;
	for (size_t i = 0; i < nb; i++) {
		size_t j;
		json_t *t;
		json_array_foreach(json_object_get(blocks[i], "transactions"), j, t) {
			cl[k].method = "eth_getTransactionReceipt";
			cl[k].params = json_pack("[O]", json_object_get(t, "hash"));
			if (!cl[k].params) cl[k].params = json_array(); /* the block decoder refuses such a transaction first */
			bh[k++] = json_string_value(json_object_get(blocks[i], "hash"));
		}
	}
	for (size_t at = 0; rc == OK && at < total; at += RCPT_CHUNK) {
		size_t m = total - at < RCPT_CHUNK ? total - at : RCPT_CHUNK;
		if ((rc = run(n, cl + at, m)) != OK) break;
		for (size_t i = at; rc == OK && i < at + m; i++) {
			if (json_is_null(cl[i].result))
				rc = tl_err_set(n->err, "eth_getTransactionReceipt: the node has no receipt for a transaction of block %s",
						bh[i]);
			else if (!same_hash(cl[i].result, "blockHash", bh[i]))
				rc = tl_err_set(n->err, "eth_getTransactionReceipt: a receipt of another block than %s", bh[i]);
			else if (tl_eth_rpc_receipts(d, cl[i].result, n->err) < 0)
				rc = FATAL;
		}
		tl_eth_rpc_calls_clear(cl + at, m);
	}
	free_params(cl, total);
	free(cl);
	free(bh);
	return rc;
}

static const char *cl_name(bool parity) { return parity ? "trace_block" : "debug_traceBlockByNumber"; }

/* Traces of blocks[0..nb) (numbers first..), into d, by the mode in use;
 * in auto mode, the first method the node has. */
static int fetch_traces(struct node *n, json_t **blocks, size_t nb, uint64_t first, struct tl_eth_data *d)
{
	while (n->traces != TL_ETH_TRACES_NONE) {
		bool parity = n->traces == TL_ETH_TRACES_PARITY || n->traces == TL_ETH_TRACES_AUTO;
		struct tl_eth_rpc_call *cl = calloc(nb, sizeof *cl);
		if (!cl) abort();
		for (size_t i = 0; i < nb; i++) {
			cl[i].method = parity ? "trace_block" : "debug_traceBlockByNumber";
			cl[i].params = parity ? json_pack("[o]", qty(first + i))
					      : json_pack("[o,{s:s}]", qty(first + i), "tracer", "callTracer");
		}
		int rc = tl_eth_rpc_batch(n->c, cl, nb, n->err) < 0 ? RETRY : OK;
		bool missing = false;
		for (size_t i = 0; rc == OK && i < nb; i++) missing |= no_such_method(&cl[i]);
		if (missing) {
			tl_eth_rpc_calls_clear(cl, nb);
			free_params(cl, nb);
			free(cl);
			if (!n->auto_traces)
				return tl_err_set(n->err, "the node has no %s: choose another --traces", cl_name(parity)), FATAL;
			n->traces = parity ? TL_ETH_TRACES_GETH : TL_ETH_TRACES_NONE;
			if (parity) note(n, "the node has no trace_block: internal transfers from debug_traceBlockByNumber (callTracer)");
			else note(n, "the node has neither trace_block nor debug_traceBlockByNumber: internal transfers are unknown");
			continue;
		}
		for (size_t i = 0; rc == OK && i < nb; i++) {
			const char *bh = json_string_value(json_object_get(blocks[i], "hash"));
			json_t *r = cl[i].result;
			size_t ntx = json_array_size(json_object_get(blocks[i], "transactions"));
			if (!r) rc = tl_err_set(n->err, "node error on %s: %s (code %ld)", cl[i].method, cl[i].msg, cl[i].code);
			else if (!json_is_array(r)) rc = tl_err_set(n->err, "%s(%llu): not an array", cl[i].method, (unsigned long long)(first + i));
			else if (parity) {
				size_t k;
				json_t *t;
				json_array_foreach(r, k, t) if (!same_hash(t, "blockHash", bh))
					rc = tl_err_set(n->err, "trace_block(%llu): a trace of another block", (unsigned long long)(first + i));
				if (rc == OK && tl_eth_rpc_trace_block(d, r, n->err) < 0) rc = FATAL;
			} else {
				if (json_array_size(r) != ntx)
					rc = tl_err_set(n->err, "debug_traceBlockByNumber(%llu): %zu traces for %zu transactions",
							(unsigned long long)(first + i), json_array_size(r), ntx);
				else if (tl_eth_rpc_call_tracer(d, first + i, r, n->err) < 0)
					rc = FATAL;
			}
		}
		tl_eth_rpc_calls_clear(cl, nb);
		free_params(cl, nb);
		free(cl);
		if (rc == OK) {
			if (n->traces == TL_ETH_TRACES_AUTO) n->traces = TL_ETH_TRACES_PARITY;
			n->auto_traces = false; /* settled */
		}
		return rc;
	}
	return OK;
}

/* Blocks first..last, with receipts and traces, into d (finished). */
static int fetch_range(struct node *n, uint64_t first, uint64_t last, struct tl_eth_data *d)
{
	size_t nb = (size_t)(last - first + 1);
	struct tl_eth_rpc_call *cl = calloc(nb, sizeof *cl);
	json_t **blocks = calloc(nb, sizeof *blocks);
	if (!cl || !blocks) abort();
	for (size_t i = 0; i < nb; i++) {
		cl[i].method = "eth_getBlockByNumber";
		cl[i].params = json_pack("[o,b]", qty(first + i), 1);
	}
	int rc = run(n, cl, nb);
	for (size_t i = 0; rc == OK && i < nb; i++) {
		blocks[i] = cl[i].result;
		if (!json_is_object(blocks[i])) {
			rc = json_is_null(blocks[i]) ? tl_err_set(n->err, "the node has no block %llu (yet)", (unsigned long long)(first + i))
						     : (tl_err_set(n->err, "eth_getBlockByNumber(%llu): not a block", (unsigned long long)(first + i)), FATAL);
			break;
		}
		const char *h = json_string_value(json_object_get(blocks[i], "hash"));
		if (!h) {
			rc = tl_err_set(n->err, "eth_getBlockByNumber(%llu): a block without hash (pending?)", (unsigned long long)(first + i));
			break;
		}
		if (tl_eth_rpc_block(d, blocks[i], n->err) < 0) {
			tl_err_prefix(n->err, "eth_getBlockByNumber(%llu)", (unsigned long long)(first + i));
			rc = FATAL;
			break;
		}
		if (d->blocks[d->n_blocks - 1].number != first + i) {
			rc = tl_err_set(n->err, "eth_getBlockByNumber(%llu): the node answered block %llu", (unsigned long long)(first + i),
					(unsigned long long)d->blocks[d->n_blocks - 1].number);
			rc = FATAL;
			break;
		}
		/* one chain: otherwise the node reorganised during the fetch */
		if (i && memcmp(d->blocks[i].parent, d->blocks[i - 1].hash, 32)) {
			rc = tl_err_set(n->err, "block %llu's parent is not the block %llu the node gave just before (a reorg on the node)",
					(unsigned long long)(first + i), (unsigned long long)(first + i - 1));
			break;
		}
	}
	if (rc == OK) rc = fetch_receipts(n, blocks, nb, d);
	if (rc == OK) rc = fetch_traces(n, blocks, nb, first, d);
	/* every table of these blocks was asked for, so each is whole even
	 * where a batch's blocks had no transactions (the decoders mark only
	 * what they saw); token transfers are the logs' */
	d->have |= TL_ETH_HAVE_BLOCKS | TL_ETH_HAVE_TXS | TL_ETH_HAVE_RECEIPTS | TL_ETH_HAVE_LOGS | TL_ETH_HAVE_TOKTX;
	if (n->traces == TL_ETH_TRACES_NONE) d->have &= ~(unsigned)TL_ETH_HAVE_TRACES;
	else d->have |= TL_ETH_HAVE_TRACES;
	if (rc == OK && tl_eth_data_finish(d, n->err) < 0) rc = FATAL;
	tl_eth_rpc_calls_clear(cl, nb);
	free_params(cl, nb);
	free(cl);
	free(blocks);
	return rc;
}

/* f with retries: RETRY results are tried again after waits of backoff,
 * 2 x backoff, ... up to o->retries times. With d: blocks a..b into d;
 * with hash: block a's hash (*have 0: the node has none); else the head. */
static int with_retries(struct node *n, const char *what, uint64_t a, uint64_t b, struct tl_eth_data *d, uint64_t *head,
			uint8_t *hash, int *have)
{
	uint32_t retries = n->o->retries;
	double wait = n->o->backoff > 0 ? n->o->backoff : 1;
	for (uint32_t attempt = 0;; attempt++) {
		int rc;
		if (d) {
			tl_eth_data_free(d);
			rc = fetch_range(n, a, b, d);
		} else if (hash)
			rc = hash_of(n, a, hash, have);
		else
			rc = head_of(n, head);
		if (rc != RETRY) return rc;
		if (attempt >= retries || stopped(n)) {
			tl_err_prefix(n->err, "%s: gave up after %u attempts", what, attempt + 1);
			return FATAL;
		}
		note(n, "%s: %s; again in %.1f s", what, n->err->msg, wait);
		wait_s(n, wait);
		if (wait < 60) wait *= 2;
	}
}

/* Whether the node's block h is the indexed one: 1 same, 0 another
 * (or none), -1 error. */
static int node_agrees(struct node *n, struct tl_eth_store *s, uint64_t h)
{
	uint8_t nh[32];
	int have = 0;
	char what[48];
	snprintf(what, sizeof what, "block %llu's hash", (unsigned long long)h);
	if (with_retries(n, what, h, h, NULL, NULL, nh, &have) != OK) return -1;
	struct tl_eth_block_rec br;
	int r = tl_eth_store_block(s, h, &br, n->err);
	if (r < 0) return -1;
	return have && r == 1 && !memcmp(br.hash, nh, 32);
}

/* The node's chain forked below the tip: finds the highest indexed block
 * the node still has, checking first that every block above it has undo
 * data (nothing is rolled back otherwise), then rolls back to it. */
static int rewind_to_fork(struct node *n, struct tl_eth_store *s, struct tl_eth_tip *tip, struct tl_eth_node_result *res)
{
	int64_t top = tip->height, k = top;
	for (;; k--) {
		int u = tl_eth_store_has_undo(s, (uint64_t)k, n->err);
		if (u < 0) return -1;
		if (u == 0)
			return tl_err_set(n->err,
					  "reorg: the node's chain forks below indexed block %lld, which has no undo data (undo depth "
					  "%u, or blocks indexed from an export): nothing rolled back; index the node's chain into a "
					  "fresh database",
					  (long long)k, n->o->undo_depth ? n->o->undo_depth : 64);
		if (k - 1 < tip->first)
			return tl_err_set(n->err,
					  "reorg: the node's chain forks below the first indexed block %lld: nothing rolled back",
					  (long long)tip->first);
		int a = node_agrees(n, s, (uint64_t)(k - 1));
		if (a < 0) return -1;
		if (a) break;
	}
	note(n, "reorg: the node's chain forks after block %lld; rolling back blocks %lld-%lld", (long long)(k - 1), (long long)k,
	     (long long)top);
	for (int64_t h = top; h >= k; h--) {
		uint64_t done;
		if (tl_eth_store_rollback_tip(s, &done, n->err) < 0) return -1;
		res->rolled_back++;
		if (n->o->rolled_back) n->o->rolled_back(n->o->ctx, done);
	}
	res->reorgs++;
	return tl_eth_store_tip(s, tip, n->err);
}

int tl_eth_node_index(struct tl_eth_store *s, const struct tl_eth_node_opts *o, struct tl_eth_node_result *res,
		      struct tl_err *err)
{
	memset(res, 0, sizeof *res);
	struct node n = { .o = o, .traces = o->traces, .auto_traces = o->traces == TL_ETH_TRACES_AUTO, .err = err };
	n.c = tl_eth_rpc_client_new(o->url, o->timeout, err);
	if (!n.c) return -1;
	struct tl_eth_index_opts io = { .cache_bytes = o->cache_bytes, .undo_depth = o->undo_depth ? o->undo_depth : 64 };
	struct tl_eth_indexer *ix = tl_eth_indexer_new(s, &io);
	uint32_t batch = o->batch_blocks ? o->batch_blocks : 16;
	double poll = o->poll > 0 ? o->poll : 4, t0 = now();
	struct tl_eth_tip tip;
	int rc = tl_eth_store_tip(s, &tip, err);
	uint64_t next = tip.height >= 0 ? (uint64_t)tip.height + 1 : o->from, first = next;
	bool dirty = false; /* written since the last synced() */
	uint32_t stale = 0; /* contradicting answers in a row */
	while (rc == 0 && !stopped(&n)) {
		uint64_t head = 0;
		if (with_retries(&n, "eth_blockNumber", 0, 0, NULL, &head, NULL, NULL) != OK) {
			rc = -1;
			break;
		}
		bool none = head < o->confirmations; /* nothing confirmed yet */
		head = none ? 0 : head - o->confirmations;
		uint64_t target = o->until >= 0 && (uint64_t)o->until < head ? (uint64_t)o->until : head;
		bool forked = false;
		if (none || next > target) { /* caught up: is the tip still the node's? */
			if (tip.height >= 0 && !none) {
				/* a node below the tip with the same block at its head is lagging */
				uint64_t h = (uint64_t)tip.height < head ? (uint64_t)tip.height : head;
				int a = (int64_t)h >= tip.first ? node_agrees(&n, s, h) : 1;
				if (a < 0) {
					rc = -1;
					break;
				}
				forked = !a;
			}
			if (!forked) {
				if (dirty && o->synced && (rc = o->synced(o->ctx, err)) != 0) {
					rc = -1;
					break;
				}
				dirty = false;
				if (o->until >= 0 && next > (uint64_t)o->until) break;
				wait_s(&n, poll);
				continue;
			}
		}
		struct tl_eth_data d = { 0 };
		uint64_t last = 0;
		if (!forked) {
			last = target - next + 1 > batch ? next + batch - 1 : target;
			char what[64];
			snprintf(what, sizeof what, "blocks %llu-%llu", (unsigned long long)next, (unsigned long long)last);
			if (with_retries(&n, what, next, last, &d, NULL, NULL, NULL) != OK) {
				tl_eth_data_free(&d);
				rc = -1;
				break;
			}
			forked = tip.height >= 0 && memcmp(d.blocks[0].parent, tip.hash, 32);
			if (forked) {
				/* the node may still hold the indexed tip: then its answers
				 * contradict each other (a reorg on the node between two
				 * requests), which passes if asked again */
				int a = node_agrees(&n, s, (uint64_t)tip.height);
				if (a < 0) {
					tl_eth_data_free(&d);
					rc = -1;
					break;
				}
				if (a) {
					tl_eth_data_free(&d);
					if (stale++ >= o->retries) {
						rc = tl_err_set(err,
								"block %llu's parent is not the node's own block %lld (a reorg on the node "
								"during the requests?): gave up after %u attempts",
								(unsigned long long)next, (long long)tip.height, stale);
						break;
					}
					note(&n, "block %llu's parent is not the node's block %lld; asking again", (unsigned long long)next,
					     (long long)tip.height);
					wait_s(&n, o->backoff > 0 ? o->backoff : 1);
					continue;
				}
			}
		}
		stale = 0;
		if (forked) {
			tl_eth_data_free(&d);
			if (rewind_to_fork(&n, s, &tip, res) < 0) {
				rc = -1;
				break;
			}
			dirty = true;
			next = tip.height >= 0 ? (uint64_t)tip.height + 1 : o->from;
			/* the indexer's caches hold ids and totals of the blocks rolled back */
			tl_eth_indexer_free(ix);
			ix = tl_eth_indexer_new(s, &io);
			continue;
		}
		struct tl_eth_index_result r;
		rc = tl_eth_indexer_add(ix, &d, &r, err);
		tl_eth_data_free(&d);
		if (rc < 0) break;
		dirty = true;
		res->blocks += r.blocks;
		res->txs += r.txs;
		res->transfers += r.transfers;
		if ((rc = tl_eth_store_tip(s, &tip, err)) < 0) break;
		next = last + 1;
		if (o->progress) {
			struct tl_eth_node_progress p = { (uint64_t)tip.height, target, res->blocks, res->txs, first, now() - t0 };
			o->progress(o->ctx, &p);
		}
	}
	res->traces = n.traces;
	res->receipts_per_tx = n.rcpt_per_tx;
	tl_eth_indexer_free(ix);
	tl_eth_rpc_client_free(n.c);
	return rc;
}
