/* taintline cluster: the cluster of an address (size, totals, tags, the
 * transactions that linked it). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitcoin/address.h"
#include "bitcoin/hash.h"
#include "cli/cli.h"
#include "cli/jsonw.h"
#include "indexer/cluster.h"
#include "store/store.h"
#include "tracer/entities.h"

#define MAX_LIST 1000

static void usage(FILE *f)
{
	fprintf(f, "usage: taintline cluster --db DB ADDRESS [--members] [--json] [--blocks-dir DIR]\n"
		   "  The cluster ADDRESS belongs to: id, size, received/sent totals, tags of its\n"
		   "  members, and the transactions that linked it (heuristic, tx, addresses).\n"
		   "  --members lists the member addresses (at most %d), read from the blk files:\n"
		   "  --blocks-dir names them if they moved since the index was built.\n", MAX_LIST);
}

/* The address string of addr_id, or "#id" when its script has none.
 * Returns 0, or -1 with err when the blk files cannot be read. */
static int addr_str(struct tl_store *s, uint64_t id, char *out, size_t cap, struct tl_err *err)
{
	char buf[TL_ADDRESS_MAX];
	int r = tl_store_owner_address(s, id, buf, err);
	if (r == 1) snprintf(out, cap, "%s", buf);
	else snprintf(out, cap, "#%" PRIu64, id);
	return r < 0 ? -1 : 0;
}

struct tagctx {
	struct jw *w;
	int n;
};

static int tag_cb(void *ctx, const struct tl_tag_rec *t)
{
	struct tagctx *c = ctx;
	if (++c->n > MAX_LIST) return 1;
	if (c->w) {
		jw_obj(c->w);
		jw_key(c->w, "address"); jw_str(c->w, t->address);
		jw_key(c->w, "label"); jw_str(c->w, t->label);
		jw_key(c->w, "category"); jw_str(c->w, t->category);
		jw_key(c->w, "source"); jw_str(c->w, t->source);
		jw_end_obj(c->w);
	} else {
		printf("  %-10s %s (%s) source: %s\n", t->category, t->label, t->address, t->source);
	}
	return 0;
}

int cmd_cluster(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "members", no_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "blocks-dir", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *bdir = NULL;
	int json = 0, list = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:mjh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'B': bdir = optarg; break;
		case 'm': list = 1; break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); return TL_EXIT_OK;
		default: usage(stderr); return TL_EXIT_USAGE;
		}
	}
	if (!db || argc - optind != 1) {
		usage(stderr);
		return TL_EXIT_USAGE;
	}
	const char *addr = argv[optind];
	struct tl_err err;
	struct tl_store *s;
	struct tl_store_opts so = { .read_only = true, .cache_mb = 16 };
	if (tl_store_open(db, &so, &s, &err) < 0) {
		fprintf(stderr, "cluster: %s\n", err.msg);
		return TL_EXIT_FAIL;
	}
	if (bdir && tl_store_set_blocks_dir(s, bdir, &err) < 0) {
		fprintf(stderr, "cluster: --blocks-dir: %s\n", err.msg);
		tl_store_close(s);
		return TL_EXIT_FAIL;
	}
	/* Addresses and tags are read from the blk files: check they can be
	 * before printing anything. */
	struct tl_blkdir *bd = tl_store_blkdir_get(s, &err);
	if (!bd) {
		fprintf(stderr, "cluster: %s\n", err.msg);
		tl_store_close(s);
		return TL_EXIT_FAIL;
	}
	tl_store_blkdir_put(s, bd);
	int rc = TL_EXIT_FAIL;
	uint64_t id, cid, *ids = NULL;
	struct tl_cluster_link *links = NULL;
	int r = tl_store_addr_id_of_string(s, addr, &id, &err);
	if (r <= 0) {
		fprintf(stderr, "cluster: %s\n", r < 0 ? err.msg : "address not seen by the index");
		goto out;
	}
	struct tl_cluster_summary sum;
	if (tl_cluster_of(s, id, &cid, &err) < 0 || tl_cluster_summary(s, cid, &sum, &err) < 0) goto fail;
	int nm = tl_cluster_members_all(s, cid, &ids, &err);
	if (nm < 0) goto fail;
	links = malloc(MAX_LIST * sizeof *links);
	if (!links) abort();
	uint64_t recv = 0, sent = 0, txs = 0;
	for (int i = 0; i < nm; i++) {
		struct tl_addr_info a;
		if (tl_store_addr_info(s, ids[i], &a, &err) == 1) {
			recv += a.funded_sum;
			sent += a.spent_sum;
			txs += a.tx_count;
		}
	}
	int nl = tl_cluster_links(s, cid, links, MAX_LIST, &err);
	if (nl < 0) goto fail;
	char cats[128], buf[TL_ADDRESS_MAX + 24], ba[TL_ADDRESS_MAX + 24], hex[65];
	tl_tagcat_names(sum.cats, cats, sizeof cats);
	struct jw w;
	struct tagctx tc = { json ? &w : NULL, 0 };
	if (json) {
		jw_init(&w, stdout);
		jw_obj(&w);
		jw_key(&w, "address"); jw_str(&w, addr);
		jw_key(&w, "cluster_id"); jw_uint(&w, cid);
		jw_key(&w, "size"); jw_uint(&w, (uint64_t)nm);
		jw_key(&w, "received_sat"); jw_uint(&w, recv);
		jw_key(&w, "sent_sat"); jw_uint(&w, sent);
		jw_key(&w, "balance_sat"); jw_uint(&w, recv - sent);
		jw_key(&w, "tx_rows"); jw_uint(&w, txs);
		jw_key(&w, "categories"); jw_str(&w, cats);
		jw_key(&w, "label"); jw_str(&w, sum.label);
		jw_key(&w, "tags"); jw_arr(&w);
	} else {
		printf("cluster %" PRIu64 " (address %s)\n  size: %d address%s\n  received: %.8f BTC, sent: %.8f BTC, "
		       "balance: %.8f BTC\n  categories: %s%s%s\ntags:\n",
		       cid, addr, nm, nm == 1 ? "" : "es", recv / 1e8, sent / 1e8, (recv - sent) / 1e8,
		       cats[0] ? cats : "none", sum.label[0] ? ", label " : "", sum.label);
	}
	if (tl_tags_of_cluster(s, cid, tag_cb, &tc, &err) < 0) goto fail;
	if (json) {
		jw_end_arr(&w);
		jw_key(&w, "links"); jw_arr(&w);
	} else {
		if (!tc.n) printf("  none\n");
		printf("linked by %d transaction%s%s:\n", nl, nl == 1 ? "" : "s", nl == MAX_LIST ? " (first shown)" : "");
	}
	for (int i = 0; i < nl; i++) {
		struct tl_tx_rec t;
		strcpy(hex, "?");
		if (tl_store_tx(s, links[i].tx_num, &t, &err) == 1) {
			tl_hash_to_hex(t.txid, hex);
			tl_tx_rec_free(&t);
		}
		if (addr_str(s, links[i].a, buf, sizeof buf, &err) < 0 || addr_str(s, links[i].b, ba, sizeof ba, &err) < 0)
			goto fail;
		if (json) {
			jw_obj(&w);
			jw_key(&w, "heuristic"); jw_str(&w, tl_link_kind_name(links[i].kind));
			jw_key(&w, "txid"); jw_str(&w, hex);
			jw_key(&w, "a"); jw_str(&w, buf);
			jw_key(&w, "b"); jw_str(&w, ba);
			jw_end_obj(&w);
		} else {
			printf("  %-13s %s  %s + %s\n", tl_link_kind_name(links[i].kind), hex, buf, ba);
		}
	}
	if (json) jw_end_arr(&w);
	if (list) {
		if (json) { jw_key(&w, "members"); jw_arr(&w); }
		else printf("members:\n");
		for (int i = 0; i < nm && i < MAX_LIST; i++) {
			if (addr_str(s, ids[i], buf, sizeof buf, &err) < 0) goto fail;
			if (json) jw_str(&w, buf);
			else printf("  %s\n", buf);
		}
		if (json) jw_end_arr(&w);
	}
	if (json) {
		jw_end_obj(&w);
		jw_finish(&w);
	}
	rc = TL_EXIT_OK;
	goto out;
fail:
	fprintf(stderr, "cluster: %s\n", err.msg);
out:
	free(ids);
	free(links);
	tl_store_close(s);
	return rc;
}
