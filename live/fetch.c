/* Fetching the node's best chain into the blocks directory (live/fetch.h). */
#include <stdlib.h>
#include <string.h>

#include "bitcoin/blkfile.h"
#include "bitcoin/block.h"
#include "bitcoin/hash.h"
#include "live/blkout.h"
#include "live/fetch.h"

int tl_fetch_check_network(struct tl_rpc *r, const struct tl_netparams *net, struct tl_err *err)
{
	json_t *res;
	if (tl_rpc_call(r, "getblockchaininfo", NULL, &res, NULL, err) < 0) return -1;
	const char *chain = json_string_value(json_object_get(res, "chain"));
	int rc = 0;
	if (!chain)
		rc = tl_err_set(err, "node: getblockchaininfo has no \"chain\"");
	else if (strcmp(chain, net->name) != 0)
		rc = tl_err_set(err, "the node follows %s, not %s: pass --network %s", chain, net->name, chain);
	json_decref(res);
	return rc;
}

/* getblockheader: 1 if hash is on the node's best chain, 0 if not (or
 * unknown to the node), -1 on error. */
static int on_node_chain(struct tl_rpc *r, const uint8_t hash[32], struct tl_err *err)
{
	char hex[65];
	tl_hash_to_hex(hash, hex);
	json_t *res;
	int code;
	if (tl_rpc_call(r, "getblockheader", json_pack("[sb]", hex, 1), &res, &code, err) < 0)
		return code == TL_RPC_INVALID_ADDRESS_OR_KEY ? 0 : -1;
	json_t *c = json_object_get(res, "confirmations");
	int on = json_is_integer(c) && json_integer_value(c) >= 0;
	json_decref(res);
	return on;
}

/* getblockhash h: 1 with hash, 0 when h is above the node's tip, -1. */
static int block_hash(struct tl_rpc *r, int32_t h, uint8_t hash[32], struct tl_err *err)
{
	json_t *res;
	int code;
	if (tl_rpc_call(r, "getblockhash", json_pack("[i]", (int)h), &res, &code, err) < 0)
		return code == TL_RPC_INVALID_PARAMETER ? 0 : -1;
	const char *s = json_string_value(res);
	int rc = 1;
	if (!s || tl_hash_from_hex(s, hash) < 0) rc = tl_err_set(err, "node: getblockhash %d: not a block hash", h);
	json_decref(res);
	return rc;
}

/* getblock HASH 0: 1 with the block (malloc'd), 0 when the node no longer
 * knows it (reorged away and dropped), -1. */
static int block_raw(struct tl_rpc *r, const uint8_t hash[32], uint8_t **raw, size_t *len, struct tl_err *err)
{
	char hex[65];
	tl_hash_to_hex(hash, hex);
	json_t *res;
	int code;
	if (tl_rpc_call(r, "getblock", json_pack("[si]", hex, 0), &res, &code, err) < 0) {
		if (code == TL_RPC_INVALID_ADDRESS_OR_KEY) return 0;
		if (code == -1 && strstr(err->msg, "prun"))
			return tl_err_set(err, "the node has pruned block %s: taintline needs an archive node", hex);
		return -1;
	}
	const char *s = json_string_value(res);
	int rc = 1;
	if (!s || tl_hex_decode_alloc(s, json_string_length(res), raw, len) < 0)
		rc = tl_err_set(err, "node: getblock %s: not hex", hex);
	json_decref(res);
	return rc;
}

int tl_fetch_round(struct tl_rpc *r, const struct tl_fetch_opts *o, struct tl_fetch_stats *st, struct tl_err *err)
{
	memset(st, 0, sizeof *st);
	st->fork_height = -2;
	st->node_tip = -1;
	struct tl_blkout w;
	if (tl_blkout_open(&w, o->blocks_dir, o->net, err) < 0) {
		tl_blkout_close(&w);
		return -1;
	}
	struct tl_blkdir *d = NULL;
	uint8_t (*ours)[32] = NULL;
	uint8_t *raw = NULL;
	int rc = -1;
	if (tl_blkdir_open(o->blocks_dir, o->net, &d, err) < 0 || tl_blkdir_scan(d, NULL, err) < 0) goto out;
	uint32_t len = tl_blkdir_chain_len(d);

	/* The node's tip first: the fork search below only needs to look
	 * at our blocks that the node may have left. */
	json_t *res;
	if (tl_rpc_call(r, "getblockcount", NULL, &res, NULL, err) < 0) goto out;
	if (!json_is_integer(res) || json_integer_value(res) < 0 || json_integer_value(res) > INT32_MAX - 1) {
		json_decref(res);
		tl_err_set(err, "node: getblockcount: not a height");
		goto out;
	}
	st->node_tip = (int32_t)json_integer_value(res);
	json_decref(res);

	int32_t fork = (int32_t)len - 1;
	while (fork >= 0) {
		if (o->stop && *o->stop) goto done;
		int on = on_node_chain(r, tl_blkdir_chain_at(d, (uint32_t)fork)->hash, err);
		if (on < 0) goto out;
		if (on) break;
		fork--;
	}
	if (fork < (int32_t)len - 1) st->fork_height = fork;

	int32_t top = st->node_tip;
	if (o->max_blocks && (int64_t)top > (int64_t)fork + o->max_blocks) top = fork + (int32_t)o->max_blocks;
	if (top < fork) top = fork; /* the node's tip went down meanwhile: nothing to fetch this round */
	ours = malloc(sizeof *ours * (size_t)(top - fork + 1));
	if (!ours) {
		tl_err_set(err, "out of memory");
		goto out;
	}
	/* ours[i] is the hash at height fork + i. */
	if (fork >= 0) memcpy(ours[0], tl_blkdir_chain_at(d, (uint32_t)fork)->hash, 32);
	else memset(ours[0], 0, 32);
	st->tip = fork;
	int reorged = 0;
	for (int32_t h = fork + 1; h <= top; h++) {
		if (o->stop && *o->stop) break;
		uint8_t *hash = ours[h - fork];
		int got = block_hash(r, h, hash, err);
		if (got < 0) goto out;
		if (got == 0) { /* the node's tip went down (a reorg in progress) */
			reorged = 1;
			break;
		}
		const uint8_t *prev = ours[h - fork - 1];
		if (h == 0 && memcmp(hash, o->net->genesis, 32) != 0) {
			tl_err_set(err, "the node's genesis block is not the %s genesis block", o->net->name);
			goto out;
		}
		const struct tl_chain_entry *kept = tl_blkdir_find(d, hash);
		if (kept) {
			/* A branch that came back: its blocks are already here. */
			if (h > 0 && memcmp(kept->prev, prev, 32) != 0) {
				reorged = 1;
				break;
			}
			st->reused++;
			st->tip = h;
			continue;
		}
		size_t n;
		int have = block_raw(r, hash, &raw, &n, err);
		if (have < 0) goto out;
		if (have == 0) {
			reorged = 1;
			break;
		}
		struct tl_header hd;
		char hex[65];
		tl_hash_to_hex(hash, hex);
		if (tl_header_parse(raw, n, &hd, err) < 0 || memcmp(hd.hash, hash, 32) != 0) {
			tl_err_set(err, "node: getblock %s returned another block", hex);
			goto out;
		}
		if (h > 0 && memcmp(hd.prev, prev, 32) != 0) {
			/* The node reorganised between two calls: start again. */
			free(raw);
			raw = NULL;
			reorged = 1;
			break;
		}
		if (tl_blkout_append(&w, raw, n, err) < 0) goto out;
		free(raw);
		raw = NULL;
		st->fetched++;
		st->bytes += n;
		st->tip = h;
	}
	if (tl_blkout_sync(&w, err) < 0) goto out;
	if (st->fork_height != -2 && st->fetched == 0 && !reorged && st->tip == st->node_tip && st->tip >= 0 &&
	    st->reused > 0) {
		/* Everything of the node's chain was already here, yet the
		 * directory's best chain is another: ours has more work. */
		const struct tl_chain_entry *best = tl_blkdir_chain_at(d, len - 1);
		if (best && (int32_t)len - 1 >= st->tip) {
			tl_err_set(err, "the node's best chain has less work than blocks already fetched into %s "
				   "(invalidateblock on the node?): index into a new database and blocks directory",
				   o->blocks_dir);
			goto out;
		}
	}
	st->caught_up = !reorged && st->tip == st->node_tip;
done:
	rc = 0;
out:
	free(raw);
	free(ours);
	tl_blkdir_close(d);
	tl_blkout_close(&w);
	return rc;
}
